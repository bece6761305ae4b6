"""Strength: 1RM equations, exercise categories, volume load and weekly strength."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import strength
from analysis.schema import EXERCISE_CATEGORIES
from tests.paths import REAL_DIR, VECTORS_DIR

VECTORS = VECTORS_DIR
REAL = REAL_DIR


@pytest.fixture(scope="module")
def epley_brzycki_vectors() -> pd.DataFrame:
    path = VECTORS / "epley_brzycki.csv"
    return pd.read_csv(path)


# --------------------------------------------------------------------------
# 1RM
# --------------------------------------------------------------------------


def test_estimate_1rm_vectors(epley_brzycki_vectors):
    t = epley_brzycki_vectors
    usable = t["reps"] <= 12
    assert (~usable).any()  # the file has a row beyond the equations' range
    epley = strength.estimate_1rm(t["load_kg"], t["reps"], method="epley")
    brzycki = strength.estimate_1rm(t["load_kg"], t["reps"], method="brzycki")
    assert_allclose(epley[usable], t.loc[usable, "epley_1rm_kg"], rtol=1e-6)
    assert_allclose(brzycki[usable], t.loc[usable, "brzycki_1rm_kg"], rtol=1e-6)
    # SCIENCE.md §10: not used above 12 reps -> NaN, documented
    assert epley[~usable].isna().all() and brzycki[~usable].isna().all()
    assert epley.index.equals(t.index)


def test_epley_and_brzycki_agree_at_ten_reps():
    assert strength.estimate_1rm(90.0, 10) == pytest.approx(120.0)
    assert strength.estimate_1rm(90.0, 10, method="brzycki") == pytest.approx(120.0)


@pytest.mark.parametrize("reps, shown", [(0, "0"), (-3, "-3"), (2.5, "2.5")])
def test_estimate_1rm_refuses_impossible_reps(reps, shown):
    with pytest.raises(
        ValueError,
        match=f"The 'reps' parameter of estimate_1rm must be a positive integer. Got {shown} instead.",
    ):
        strength.estimate_1rm(100.0, reps)


def test_estimate_1rm_edges():
    assert np.isnan(strength.estimate_1rm(0.0, 5))  # body weight: no external 1RM
    assert np.isnan(strength.estimate_1rm(np.nan, 5))
    assert np.isnan(strength.estimate_1rm(100.0, np.nan))
    assert np.isnan(strength.estimate_1rm(100.0, 13))
    arr = strength.estimate_1rm(np.array([100.0, 100.0]), np.array([5, 20]))
    assert isinstance(arr, np.ndarray) and np.isnan(arr[1])
    with pytest.raises(ValueError, match="'method' parameter of estimate_1rm must be one of"):
        strength.estimate_1rm(100.0, 5, method="lombardi")


# --------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------

DATA_FORMAT_EXERCISES = {
    # DATA_FORMAT.md's named list, body weight (no load)
    "walking lunges": "bodyweight_strength",
    "squats": "bodyweight_strength",
    "single-leg deadlifts": "bodyweight_strength",
    "reverse lunges": "bodyweight_strength",
    "pistol squats": "bodyweight_strength",
    "plank": "core",
    "glute bridge": "bodyweight_strength",
    "lying superman": "core",
    "dive-bomber push-ups": "bodyweight_strength",
    "Russian twists": "core",
    "single-leg lateral jumps": "plyometric",
    "fire hydrants": "bodyweight_strength",
    "burpees": "plyometric",
}

GYM_EXERCISES = {
    "Back Squat": "bodyweight_strength",
    "front squat": "bodyweight_strength",
    "Deadlift": "bodyweight_strength",
    "RDL": "bodyweight_strength",
    "Romanian deadlift": "bodyweight_strength",
    "hip thrust": "bodyweight_strength",
    "bench press": "bodyweight_strength",
    "overhead press": "bodyweight_strength",
    "pull-ups": "bodyweight_strength",
    "bent-over row": "bodyweight_strength",
    "leg press": "bodyweight_strength",
    "calf raises": "bodyweight_strength",
    "step-ups": "bodyweight_strength",
    "Bulgarian split squats": "bodyweight_strength",
    "power clean": "explosive",
    "hang cleans": "explosive",
    "snatch": "explosive",
    "jump squats": "explosive",
    "box jumps": "plyometric",
    "depth jumps": "plyometric",
    "bounds": "plyometric",
    "hops": "plyometric",
    "skipping": "plyometric",
    "Nordic curls": "bodyweight_strength",
    "Copenhagen plank": "core",
    "side plank": "core",
    "dead bugs": "core",
    "bird dog": "core",
    "hip mobility": "mobility",
    "foam rolling": "mobility",
}


@pytest.mark.parametrize(
    "name, expected", sorted({**DATA_FORMAT_EXERCISES, **GYM_EXERCISES}.items())
)
def test_named_exercises_map_to_their_category(name, expected):
    assert strength.exercise_category(name) == expected
    assert strength.unknown_exercises([name]) == []


@pytest.mark.parametrize(
    "variants",
    [
        ("Walking Lunges", "walking lunge", "WALKING-LUNGES", "walking_lunges (dumbbell)"),
        ("Single-leg deadlift", "single leg deadlifts", "1-leg deadlift", "one legged deadlift"),
        ("Push-ups", "push up", "pushups", "PUSH UPS!"),
        ("Squat (Barbell)", "barbell squats", "squat"),
    ],
)
def test_matching_ignores_case_punctuation_plurals_and_equipment(variants):
    cats = {strength.exercise_category(v, 100.0, reps=3) for v in variants}
    assert len(cats) == 1


def test_unknown_names_are_other_and_listed_but_known_other_is_not():
    names = ["Underwater basket weaving", "Bicep Curl (Dumbbell)", "Treadmill", None, "squats"]
    cats = strength.categorise(names)
    assert list(cats[:3]) == ["other", "other", "other"]
    assert cats[3] == "other"  # a missing name
    assert strength.unknown_exercises(names) == ["Underwater basket weaving"]


def test_heavy_versus_bodyweight_strength_rules():
    cat = strength.exercise_category
    # known 1RM: 80 % is the threshold
    assert cat("back squat", 80.0, 100.0) == "heavy"
    assert cat("back squat", 79.0, 100.0) == "bodyweight_strength"
    # unknown 1RM: loaded sets of 1-6 reps are heavy
    assert cat("back squat", 100.0, reps=5) == "heavy"
    assert cat("back squat", 100.0, reps=8) == "bodyweight_strength"
    # no load, or load without reps or 1RM: not heavy
    assert cat("back squat", 0.0, reps=3) == "bodyweight_strength"
    assert cat("back squat", None, reps=3) == "bodyweight_strength"
    assert cat("back squat", pd.NA, reps=pd.NA) == "bodyweight_strength"
    assert cat("back squat", 100.0) == "bodyweight_strength"
    # bodyweight moves stay bodyweight_strength even with added load
    assert cat("weighted pull-ups", 20.0, reps=3) == "bodyweight_strength"
    # load does not turn other categories heavy
    assert cat("jump squats", 40.0, reps=3) == "explosive"


def test_categorise_is_categorical_and_keeps_the_index():
    names = pd.Series(["back squat", "plank", "box jumps"], index=[10, 20, 30])
    out = strength.categorise(
        names, load_kg=pd.Series([120.0, 0.0, 0.0], index=names.index), reps=3
    )
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert tuple(out.cat.categories) == EXERCISE_CATEGORIES
    assert list(out.index) == [10, 20, 30]
    assert list(out) == ["heavy", "core", "plyometric"]


def test_categorise_strength_uses_each_runners_own_1rm():
    frame = pd.DataFrame(
        {
            "runner_id": ["A", "A", "B"],
            "exercise": ["Back squat", "back squats", "Back Squat"],
            "reps": [3, 10, 10],
            "load_kg": [100.0, 70.0, 70.0],
        },
        index=[5, 6, 7],
    )
    out = strength.categorise_strength(frame)
    # A's 1RM from 100 x 3 is 110 kg: 100 kg is heavy, 70 kg (64 %) is not.
    # B's only set (70 x 10) gives a 1RM of 93 kg: 70 kg is 75 %, not heavy.
    assert list(out) == ["heavy", "bodyweight_strength", "bodyweight_strength"]
    assert list(out.index) == [5, 6, 7]


@pytest.mark.parametrize(
    "file, column",
    [
        ("strength/strong-small.csv", "Exercise Name"),
        ("strength/hevy-workouts.csv", "exercise_title"),
        ("csv/fitnotes-export-2020-10-04.csv", "Exercise"),
    ],
)
def test_real_app_exports_have_no_unknown_exercises(file, column):
    path = REAL / file
    if not path.is_file():
        pytest.skip(f"real sample files not available at {REAL}")
    names = pd.read_csv(path, encoding="utf-8-sig")[column]
    assert names.nunique() >= 3
    assert strength.unknown_exercises(names) == []


# --------------------------------------------------------------------------
# Volume and weekly strength
# --------------------------------------------------------------------------


def _strength_frame():
    rows = [
        # runner, date, exercise, sets, reps, load, duration, rpe
        ("R1", "2026-03-02", "Back squat", 3, 5, 100.0, None, 8),  # Monday
        ("R1", "2026-03-02", "Plank", 3, None, None, 60.0, 6),
        ("R1", "2026-03-05", "Box jumps", 3, 6, None, None, 7),
        ("R1", "2026-03-08", "Back squat", None, 8, 60.0, None, 6),  # Sunday, same week
        ("R1", "2026-03-09", "Glute bridge", 2, 12, 20.0, None, 5),  # next Monday
        ("R2", "2026-03-04", "Walking lunges", 2, 10, None, None, 5),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["runner_id", "date", "exercise", "sets", "reps", "load_kg", "duration_s", "rpe"],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_volume_load_counts_external_load_only():
    vol = strength.volume_load(_strength_frame())
    assert vol.name == "volume_load_kg"
    # 3x5x100; plank (no reps) 0; box jumps (body weight) 0; sets missing -> 1: 1x8x60
    assert_allclose(vol, [1500.0, 0.0, 0.0, 480.0, 480.0, 0.0])


def test_warmup_sets_add_no_volume_load():
    frame = pd.DataFrame(
        {
            "sets": [1, 1, 1],
            "reps": [5, 5, 5],
            "load_kg": [60.0, 100.0, 100.0],
            "set_type": ["warmup", "normal", "failure"],
        }
    )
    assert_allclose(strength.volume_load(frame), [0.0, 500.0, 500.0])


def test_weekly_strength_one_row_per_runner_week():
    frame = _strength_frame()
    before = frame.copy()
    weekly = strength.weekly_strength(frame).set_index(["runner_id", "week"])
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    w1 = weekly.loc[("R1", pd.Timestamp("2026-03-02"))]
    assert w1["sessions"] == 3  # Mon, Thu, Sun
    assert w1["sessions_heavy"] == 1  # 100 x 5 (1RM 116.7 -> 86 %)
    assert w1["sessions_bodyweight_strength"] == 1  # 60 x 8 on Sunday (51 %)
    assert w1["sessions_core"] == 1 and w1["sessions_plyometric"] == 1
    assert w1["volume_load_kg"] == pytest.approx(1980.0)
    assert w1["volume_load_heavy_kg"] == pytest.approx(1500.0)
    assert w1["volume_load_bodyweight_strength_kg"] == pytest.approx(480.0)
    assert np.isnan(w1["session_rpe_load"])  # no session duration recorded
    assert weekly.loc[("R1", pd.Timestamp("2026-03-09")), "sessions"] == 1
    assert weekly.loc[("R2", pd.Timestamp("2026-03-02")), "sessions_bodyweight_strength"] == 1
    assert len(weekly) == 3


def test_weekly_strength_session_rpe_load_with_session_duration():
    frame = _strength_frame()
    frame["session_duration_s"] = 3600.0
    weekly = strength.weekly_strength(frame).set_index(["runner_id", "week"])
    # Monday mean RPE (8 + 6) / 2 = 7, Thursday 7, Sunday 6; 60 min each
    assert weekly.loc[("R1", pd.Timestamp("2026-03-02")), "session_rpe_load"] == pytest.approx(
        (7 + 7 + 6) * 60
    )


def test_weekly_strength_empty_frame():
    empty = _strength_frame().iloc[0:0]
    out = strength.weekly_strength(empty)
    assert out.empty and "volume_load_heavy_kg" in out.columns
