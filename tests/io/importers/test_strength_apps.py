"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.io.importers import import_sources
from analysis.io.importers.strength_apps import KG_PER_LB, read_fitnotes, read_hevy, read_strong
from tests.io.importers._support_importers import FIXTURES, _import


def test_strong_weights_in_the_unit_given_and_warm_up_flagged():
    got = read_strong(FIXTURES / "strong_lb.csv", weight_unit="lb")
    rows = got.rows
    assert list(rows["exercise"]) == ["Squat (Barbell)"] * 3 + [
        "Plank",
        "Romanian Deadlift (Barbell)",
    ]
    np.testing.assert_allclose(rows["load_kg"].iloc[:3], np.array([45, 135, 135]) * KG_PER_LB)
    assert list(rows["set_type"]) == ["warmup", "normal", "normal", "normal", "normal"]
    plank = rows.iloc[3]
    assert np.isnan(plank["load_kg"]) and np.isnan(plank["reps"]) and plank["duration_s"] == 60
    assert any("Rest Timer" in w for w in got.warnings) and any("cardio" in w for w in got.warnings)
    assert got.unit_notes == []  # given, and the loads agree
    assert set(rows["weight_unit"]) == {"lb"} and set(rows["weight_unit_source"]) == {
        "--weight-unit"
    }


def test_strong_pounds_are_inferred_from_the_plates_when_no_unit_is_given():
    got = read_strong(FIXTURES / "strong_lb.csv")  # 45 (empty bar), 135, 135, 155
    assert got.rows["load_kg"].iloc[1] == pytest.approx(135 * KG_PER_LB)
    (note,) = got.unit_notes
    assert "WEIGHT UNIT INFERRED AS LB" in note
    assert "45 on Squat (Barbell), 135 on Squat (Barbell) (a 45-lb bar plus pound plates)" in note
    assert "--weight-unit kg --replace" in note
    assert set(got.rows["weight_unit_source"]) == {"inferred"}


def test_an_explicit_weight_unit_is_never_overridden_by_the_evidence():
    got = read_strong(FIXTURES / "strong_lb.csv", weight_unit="kg")
    assert got.rows["load_kg"].iloc[1] == 135  # as the user said
    (note,) = got.unit_notes
    assert "read as kg (--weight-unit), but the loads look like pounds" in note
    assert "--weight-unit lb --replace" in note
    assert set(got.rows["weight_unit_source"]) == {"--weight-unit"}


def _strong(path, rows):
    head = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds\n"
    body = "".join(
        f'2024-05-0{1 + i // 4} 18:00:00,"W",40m,"{ex}",{i % 4 + 1},{w},5,0,0\n'
        for i, (ex, w) in enumerate(rows)
    )
    path.write_text(head + body, encoding="utf-8")
    return path


def test_loads_implausible_in_kg_are_read_as_pounds(tmp_path):
    """Issue 12: a 590 leg press, a 500 hip thrust and a 420 deadlift read as kg."""
    path = _strong(
        tmp_path / "strong.csv",
        [("Leg Press", 590), ("Hip Thrust (Barbell)", 500), ("Deadlift (Barbell)", 420)]
        + [("Leg Press", 410)],
    )
    got = read_strong(path)
    np.testing.assert_allclose(
        got.rows["load_kg"], np.array([590, 500, 420, 410]) * KG_PER_LB, rtol=1e-9
    )
    (note,) = got.unit_notes
    assert "WEIGHT UNIT INFERRED AS LB" in note
    assert "4 loads implausible in kg (e.g. 590 on Leg Press, above 400 kg)" in note


def test_kilogram_plates_are_recognised(tmp_path):
    path = _strong(
        tmp_path / "strong.csv",
        [("Squat (Barbell)", 20), ("Squat (Barbell)", 62.5), ("Squat (Barbell)", 72.5)],
    )
    got = read_strong(path)
    assert got.rows["load_kg"].tolist() == [20, 62.5, 72.5]
    (note,) = got.unit_notes
    assert "WEIGHT UNIT INFERRED AS KG" in note and "2.5-kg steps" in note
    assert "an empty 20-kg bar" in note and "--weight-unit lb --replace" in note


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([("Leg Extension (Machine)", 50), ("Leg Extension (Machine)", 60)], "do not tell"),
        (
            [
                ("Squat (Barbell)", 45),
                ("Squat (Barbell)", 135),
                ("Squat (Barbell)", 22.5),
                ("Squat (Barbell)", 62.5),
            ],
            "point both ways",
        ),
    ],
)
def test_ambiguous_loads_keep_kg_and_say_so(tmp_path, rows, why):
    got = read_strong(_strong(tmp_path / "strong.csv", rows))
    assert got.rows["load_kg"].tolist() == [w for _, w in rows]
    (note,) = got.unit_notes
    assert "weight unit is ambiguous" in note and why in note and "kg was assumed" in note
    assert set(got.rows["weight_unit_source"]) == {"default"}


def test_hostile_exercise_names_are_shown_clipped_and_without_control_characters(tmp_path):
    name = "Deadlift \x1b[31mRED\x1b[0m" + "x" * 200
    got = read_strong(_strong(tmp_path / "strong.csv", [(name, 420), (name, 430), (name, 440)]))
    (note,) = got.unit_notes
    assert "\x1b" not in note and "x" * 60 not in note
    assert "WEIGHT UNIT INFERRED AS LB" in note


def test_strong_legacy_semicolon_export_with_a_unit_per_row():
    rows = read_strong(FIXTURES / "strong_semicolon.csv").rows
    assert list(rows["load_kg"].iloc[:2]) == [22.5, 22.5]  # "22,5"
    assert rows["load_kg"].iloc[2] == pytest.approx(100 * KG_PER_LB)
    assert np.isnan(rows["load_kg"].iloc[3])  # box jump: body weight
    assert list(rows["set_number"]) == [1, 2, 1, 1]


def test_hevy_sets_types_bodyweight_assisted_and_cardio():
    got = read_hevy(FIXTURES / "hevy.csv")
    rows = got.rows.set_index(["exercise", "set_number"])
    assert rows.loc[("Squat (Barbell)", 1), "set_type"] == "warmup"
    assert rows.loc[("Squat (Barbell)", 3), "set_type"] == "failure"
    assert np.isnan(rows.loc[("Pull Up", 1), "load_kg"])
    assistance = rows.loc[("Chin Up (Assisted)", 1)]
    assert np.isnan(assistance["load_kg"]) and assistance["assistance_kg"] == 20
    assert rows.loc[("Plank", 1), "duration_s"] == 45
    assert "Treadmill" not in got.rows["exercise"].tolist()
    assert got.rows["date"].iloc[0] == "2026-04-08T16:50:00"
    lbs = read_hevy(FIXTURES / "hevy_lbs.csv").rows
    assert lbs["load_kg"].iloc[0] == pytest.approx(225 * KG_PER_LB)


def test_fitnotes_unit_from_the_header_and_identical_sets_kept_apart():
    rows = read_fitnotes(FIXTURES / "fitnotes.csv").rows
    assert list(rows["exercise"]) == ["Barbell Squat", "Barbell Squat", "Plank"]
    assert rows["load_kg"].iloc[0] == pytest.approx(225 * KG_PER_LB)
    assert list(rows["set_number"]) == [1, 2, 1]
    assert rows["duration_s"].iloc[2] == 60 and rows["date"].iloc[0] == "2024-05-20"


def test_strength_rows_load_with_set_type_and_unknown_exercises_listed(tmp_path):
    summary = _import(tmp_path, "hevy.csv", "strong_lb.csv", "fitnotes.csv", weight_unit="lb")
    assert summary.imported_strength_rows == 7 + 5 + 3
    assert summary.unknown_exercises == ["Zercher Carry Thing"]
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.strength) == 15 and ds.quarantine.empty
    assert (ds.strength["set_type"] == "warmup").sum() == 2
    assert ds.strength["category"].notna().all()


def test_dates_with_mixed_utc_offsets_keep_their_wall_clock_time(tmp_path):
    """Found by the fuzz test: a date carrying a UTC offset next to plain dates made
    pandas refuse the column (a traceback). Each keeps the time as written."""
    path = tmp_path / "fitnotes.csv"
    path.write_text(
        "Date,Exercise,Category,Weight (kgs),Reps\n"
        "2024-05-20 18:00+02:00,Barbell Squat,Legs,100,5\n"
        "2024-05-21,Barbell Squat,Legs,100,5\n"
        "2024-05-22 07:30-05:00,Barbell Squat,Legs,100,5\n"
        "1850-05-22,Barbell Squat,Legs,100,5\n"
    )
    got = read_fitnotes(path)
    dates = sorted(str(d) for d in got.rows["date"].dropna())
    assert [d[:16] for d in dates] == ["2024-05-20T18:00", "2024-05-21", "2024-05-22T07:30"]


def test_a_coachs_own_strength_log_is_read_one_row_per_set(tmp_path):
    """The header a coach writes by hand (issue 12: 'date,exercise,sets,reps,load_kg'
    was refused as an unknown export). Any case; sets expand to one row per set."""
    from analysis.io.importers.detect import detect_kind
    from analysis.io.importers.strength_apps import read_strength_csv

    path = tmp_path / "notes.csv"
    path.write_text(
        "Date,Exercise,Sets,Reps,Load_kg\n"
        "2026-02-16,back squat,3,5,80\n"
        "16/02/2026,box jumps,2,6,\n"
        "not a date,lunges,3,8,20\n"
        "2026-02-18,deadlift,500,1,100\n"
    )
    assert detect_kind(path)[0] == "strength_csv"
    got = read_strength_csv(path)
    rows = got.rows
    assert list(rows["exercise"]) == ["back squat"] * 3 + ["box jumps"] * 2
    assert list(rows["set_number"]) == [1, 2, 3, 1, 2]
    assert rows["load_kg"].iloc[0] == 80 and rows["load_kg"].iloc[3:].isna().all()
    assert (rows["sets"] == 1).all()
    text = " ".join(got.warnings)
    assert "1 rows with an unreadable date" in text
    assert "sets not a whole number from 1 to 50" in text


def test_the_generic_log_takes_the_unit_per_row_and_warns_without_one(tmp_path):
    from analysis.io.importers.strength_apps import read_strength_csv

    path = tmp_path / "log.csv"
    path.write_text(
        "date,exercise,sets,reps,load,unit\n"
        "2026-02-16,barbell squat,1,5,225,lb\n"
        "2026-02-16,barbell squat,1,5,100,kg\n"
        "2026-02-16,barbell squat,1,5,100,stone\n"
    )
    got = read_strength_csv(path)
    assert got.rows["load_kg"].tolist()[:2] == pytest.approx([225 * KG_PER_LB, 100.0])
    assert np.isnan(got.rows["load_kg"].iloc[2])
    assert "unit other than kg or lb" in " ".join(got.warnings)
    bare = tmp_path / "bare.csv"
    bare.write_text(
        "date,exercise,sets,reps,load\n"
        + "".join(
            f"2026-02-{d},barbell bench press,1,5,{w}\n"
            for d, w in [(16, 45), (17, 135), (18, 185)]
        )
    )
    got = read_strength_csv(bare)
    assert "WEIGHT UNIT INFERRED AS LB" in " ".join(got.unit_notes)
    assert got.rows["load_kg"].tolist() == pytest.approx(np.array([45, 135, 185]) * KG_PER_LB)
    forced = read_strength_csv(bare, weight_unit="kg")
    assert forced.rows["load_kg"].iloc[1] == 135
    assert "look like pounds" in " ".join(forced.unit_notes)


def test_the_generic_log_infers_only_the_rows_whose_unit_cell_is_empty(tmp_path):
    from analysis.io.importers.strength_apps import read_strength_csv

    path = tmp_path / "log.csv"
    path.write_text(
        "date,exercise,sets,reps,load,unit\n"
        "2026-02-16,leg press,1,5,200,kg\n"
        "2026-02-17,leg press,1,5,590,\n"
        "2026-02-17,deadlift,1,5,420,\n"
    )
    got = read_strength_csv(path)
    assert got.rows["load_kg"].tolist() == pytest.approx([200, 590 * KG_PER_LB, 420 * KG_PER_LB])
    assert got.rows["weight_unit_source"].tolist() == ["file", "inferred", "inferred"]
    assert got.rows["weight_unit"].tolist() == ["kg", "lb", "lb"]


def test_the_strength_template_imports_as_it_is(tmp_path, capsys):
    from analysis.cli import main

    out = tmp_path / "log.csv"
    assert main(["template", "strength", "--out", str(out)]) == 0
    assert main(["template", "strength", "--out", str(out)]) == 2  # never overwrites
    ds = tmp_path / "ds"
    assert main(["import", str(ds), "--runner", "R01", str(out)]) == 0
    strength = load_dataset(ds).strength
    assert len(strength) == 6  # 3 sets of squats, 3 of box jumps
    assert set(strength["notes"]) == {
        "one row per exercise: 3 sets of 5 at 80 kg",
        "no load: plyometric or bodyweight work",
    }


def test_an_import_records_the_inferred_unit_with_the_rows_and_says_so(tmp_path):
    summary = _import(tmp_path, "strong_lb.csv")
    text = summary.format()
    assert "weight units:" in text and "WEIGHT UNIT INFERRED AS LB" in text
    strength = load_dataset(tmp_path / "ds").strength
    assert set(strength["weight_unit"]) == {"lb"}
    assert set(strength["weight_unit_source"]) == {"inferred"}
    squat = strength.loc[strength["exercise"] == "Squat (Barbell)", "load_kg"]
    assert squat.tolist() == pytest.approx(np.array([45, 135, 135]) * KG_PER_LB, abs=0.01)


def test_real_pounds_strong_export_imports_as_pounds_without_a_flag(tmp_path):
    from tests.paths import REAL_DIR

    path = REAL_DIR / "strength" / "strong-small.csv"
    if not path.is_file():
        pytest.skip("../shared/data/real is not available")
    summary = import_sources(tmp_path / "ds", "ana", [path], progress=False)
    assert "WEIGHT UNIT INFERRED AS LB" in summary.format()
    strength = load_dataset(tmp_path / "ds").strength
    assert len(strength) == 48 and set(strength["weight_unit_source"]) == {"inferred"}
    # the heaviest barbell squat, 100 lb, is 45.4 kg (not 100 kg)
    squats = strength.loc[strength["exercise"] == "Squat (Barbell)", "load_kg"]
    assert squats.max() == pytest.approx(100 * KG_PER_LB, abs=0.01)


@pytest.mark.parametrize("text", [";", ";;\n ; \n", ",,,\n,\n"])
def test_an_export_of_only_delimiters_is_one_clear_error_naming_it(tmp_path, text):
    """Found by the fuzz test: a file whose every line is empty cells has no
    header; it was an IndexError, now one error naming the file."""
    path = tmp_path / "fitnotes.csv"
    path.write_text(text)
    with pytest.raises(DataError, match="no header row") as caught:
        read_fitnotes(path)
    assert "fitnotes.csv" in str(caught.value)


def test_a_wrong_header_is_named_clipped_and_without_control_characters(tmp_path):
    """A file that is not the export it was taken for (here a compressed one read
    as text) lists the header it found clipped, each field to 40 characters and
    without control characters, not the whole binary first line."""
    path = tmp_path / "fitnotes.csv"
    path.write_bytes(b"\x1b[2J" + b"\x8b\x01A" * 3000 + b",Reps\n2026-03-02,5\n")
    with pytest.raises(DataError, match="has no 'Date', 'Exercise' column") as caught:
        read_fitnotes(path)
    message = str(caught.value)
    assert len(message) < 300
    assert "\x1b" not in message and "Reps" in message
