"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.io import load_dataset
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
    assert not any("look like" in w for w in got.warnings)


def test_strong_loads_that_look_like_pounds_are_warned_about():
    got = read_strong(FIXTURES / "strong_lb.csv")  # no unit given: kg assumed
    assert got.rows["load_kg"].iloc[1] == 135
    assert any("look like pounds" in w and "--weight-unit lb" in w for w in got.warnings)


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
    assert "read as kg (no unit column)" in " ".join(got.warnings)
    assert "look like pounds" in " ".join(got.warnings)
    assert got.rows["load_kg"].tolist() == [45.0, 135.0, 185.0]  # as written, with the warning
    assert read_strength_csv(bare, weight_unit="lb").rows["load_kg"].iloc[1] == pytest.approx(
        135 * KG_PER_LB
    )


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
