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
