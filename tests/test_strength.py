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


# --------------------------------------------------------------------------
# 1RM: input shapes, boundaries and messages
# --------------------------------------------------------------------------


def test_estimate_1rm_returns_a_python_float_for_scalars_and_arrays_for_arrays():
    one = strength.estimate_1rm(90.0, 10)
    assert type(one) is float and one == pytest.approx(120.0)  # 90 x (1 + 10/30)
    # array load, scalar reps: an array, not a float (100 x 1.1 = 110, 60 x 1.1 = 66)
    arr = strength.estimate_1rm(np.array([100.0, 60.0]), 3)
    assert isinstance(arr, np.ndarray) and arr.shape == (2,)
    assert_allclose(arr, [110.0, 66.0])
    # scalar load, array reps: 100 x (1 + 3/30) = 110, 100 x (1 + 6/30) = 120
    assert_allclose(strength.estimate_1rm(100.0, np.array([3, 6])), [110.0, 120.0])


def test_estimate_1rm_keeps_a_series_index_even_with_a_scalar_partner():
    load = pd.Series([100.0, 60.0], index=["a", "b"])
    out = strength.estimate_1rm(load, 3)
    assert list(out.index) == ["a", "b"]
    assert_allclose(out, [110.0, 66.0])  # x (1 + 3/30)


def test_estimate_1rm_refuses_series_on_different_indexes():
    with pytest.raises(
        ValueError, match=r"^The 'load_kg' and 'reps' Series must share the same index\.$"
    ):
        strength.estimate_1rm(pd.Series([100.0], index=[1]), pd.Series([5], index=[2]))


def test_estimate_1rm_unknown_method_message():
    with pytest.raises(
        ValueError,
        match=r"^The 'method' parameter of estimate_1rm must be one of 'epley', 'brzycki'\. "
        r"Got 'lombardi' instead\.$",
    ):
        strength.estimate_1rm(100.0, 5, method="lombardi")


def test_estimate_1rm_names_the_first_bad_reps_of_an_array():
    with pytest.raises(ValueError, match=r"must be a positive integer\. Got 2\.5 instead\.$"):
        strength.estimate_1rm(np.array([100.0, 100.0, 100.0]), np.array([5, 2.5, 0]))
    with pytest.raises(ValueError, match=r"Got inf instead\.$"):
        strength.estimate_1rm(100.0, np.inf)


def test_estimate_1rm_boundaries_of_load_and_reps():
    # any external load counts, however small: 0.5 x (1 + 5/30) = 0.58333
    assert strength.estimate_1rm(0.5, 5) == pytest.approx(0.5833333)
    assert np.isnan(strength.estimate_1rm(-5.0, 5))  # assistance, not a load
    # 1 rep: Epley 100 x 31/30 = 103.33; Brzycki 100 x 36/36 = 100
    assert strength.estimate_1rm(100.0, 1) == pytest.approx(103.333333)
    assert strength.estimate_1rm(100.0, 1, method="brzycki") == pytest.approx(100.0)
    # 12 reps is the last one used: Epley 100 x 1.4 = 140; Brzycki 100 x 36/25 = 144
    assert strength.estimate_1rm(100.0, 12) == pytest.approx(140.0)
    assert strength.estimate_1rm(100.0, 12, method="brzycki") == pytest.approx(144.0)
    assert np.isnan(strength.estimate_1rm(100.0, 13, method="brzycki"))


def test_estimate_1rm_accepts_lists_with_gaps_and_object_series():
    # None is a missing value, as NaN: 100 x (1 + 5/30) = 116.67
    assert_allclose(strength.estimate_1rm([100.0, 100.0], [5, None]), [116.666667, np.nan])
    reps = pd.Series([5, None], dtype=object)
    load = pd.Series([100.0, 100.0], dtype=object)
    assert_allclose(strength.estimate_1rm(load, reps), [116.666667, np.nan])


def test_estimate_1rm_out_of_range_sets_raise_no_numpy_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Brzycki divides by 37 - reps: 37 reps would divide by zero, 0 kg gives 0/0
        assert np.isnan(strength.estimate_1rm(100.0, 37, method="brzycki"))
        assert np.isnan(strength.estimate_1rm(0.0, 37, method="brzycki"))


# --------------------------------------------------------------------------
# Names: normalising and the phrase table
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        (None, ""),
        (np.nan, ""),
        ("Clean & Jerk", "clean and jerk"),
        ("Farmer's walk", "farmer walk"),
        ("Farmer\u2019s walk", "farmer walk"),  # typographic apostrophe
        ("Y's & T's", "ys and ts"),  # two-letter words are never made singular
        ("Bench presses", "bench press"),  # -sses -> -ss
        ("Sled pushes", "sled push"),  # -shes -> -sh
        ("Bicycle crunches", "bicycle crunch"),  # -ches -> -ch
        ("Plyo boxes", "plyo box"),  # -xes -> -x
        ("Bodies", "body"),  # -ies -> -y
        ("Tries", "try"),  # five letters: -ies -> -y
        ("Ties", "tie"),  # four letters: only the s goes
        ("Soleus raise", "soleus raise"),  # -us stays
        ("Pelvis tilts", "pelvis tilt"),  # -is stays
        ("Glute press", "glute press"),  # -ss stays
        ("One-legged RDLs", "single leg rdl"),
    ],
)
def test_normalise_exercise_name(name, expected):
    assert strength.normalise_exercise_name(name) == expected


def test_rule_table_compiled_again_gives_the_longest_phrase_priority(monkeypatch):
    monkeypatch.setattr(strength, "_RULES", strength._compile_rules())
    cat = strength.exercise_category
    # "pistol squat" (bodyweight move) beats "squat" (a load-dependent lift)
    assert cat("pistol squat", 20.0, reps=3) == "bodyweight_strength"
    assert cat("back squat", 20.0, reps=3) == "heavy"
    # "jump squat" (explosive) beats "jump" (plyometric) and "squat"
    assert cat("jump squats") == "explosive"
    assert cat("Farmer's walk") == "core"


def test_rule_table_refuses_an_unknown_category(monkeypatch):
    monkeypatch.setitem(strength.EXERCISE_RULES, "zumba", "dance")
    with pytest.raises(
        ValueError, match=r"^EXERCISE_RULES maps 'zumba' to unknown category 'dance'$"
    ):
        strength._compile_rules()


def test_exercise_category_of_unknown_or_missing_names_is_other():
    assert strength.exercise_category("Underwater basket weaving") == "other"
    assert strength.exercise_category(np.nan) == "other"
    assert strength.exercise_category(None) == "other"
    assert strength.exercise_category("") == "other"


def test_exercise_category_passes_lists_on_with_every_argument():
    out = strength.exercise_category(
        ["back squat", "back squat", "back squat", "plank"],
        load_kg=[80.0, 100.0, 100.0, 0.0],
        one_rm_kg=[100.0, np.nan, np.nan, np.nan],
        reps=[8, 3, 8, 1],
    )
    # 80/100 = 80 % -> heavy; no 1RM and 3 reps -> heavy; no 1RM and 8 reps -> not heavy
    assert list(out) == ["heavy", "heavy", "bodyweight_strength", "core"]


@pytest.mark.parametrize(
    "load, one_rm, reps, expected",
    [
        # 1RM known: the threshold is 80 %, 79.9 kg of 100 kg is just below
        (79.9, 100.0, None, "bodyweight_strength"),
        (80.0, 100.0, None, "heavy"),
        # a 1RM of 1 kg is still a 1RM: 0.9 kg is 90 % of it
        (0.9, 1.0, None, "heavy"),
        # a 1RM of 0 or below is no 1RM: the reps rule decides (3 reps -> heavy)
        (100.0, 0.0, 3, "heavy"),
        (100.0, -100.0, 3, "heavy"),
        (100.0, -100.0, 8, "bodyweight_strength"),
        # 1RM unknown: 1 to 6 reps are heavy, 7 are not
        (100.0, None, 1, "heavy"),
        (100.0, None, 6, "heavy"),
        (100.0, None, 7, "bodyweight_strength"),
        # any external load, however small, can be heavy; none never is
        (0.5, None, 3, "heavy"),
        (0.0, None, 1, "bodyweight_strength"),
        (np.nan, 100.0, 3, "bodyweight_strength"),
    ],
)
def test_heavy_rule_boundaries(load, one_rm, reps, expected):
    assert strength.exercise_category("back squat", load, one_rm, reps=reps) == expected


def test_heavy_rule_raises_no_numpy_warnings_on_a_zero_1rm():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert strength.exercise_category("back squat", 100.0, 0.0, reps=3) == "heavy"  # x/0
        assert strength.exercise_category("deadlift", 0.0, 0.0, reps=3) == (
            "bodyweight_strength"  # 0/0
        )


def test_categorise_uses_the_1rm_and_names_the_series():
    out = strength.categorise(
        ["deadlift", "deadlift"], load_kg=[160.0, 150.0], one_rm_kg=[200.0, 200.0], reps=3
    )
    # 160/200 = 80 % -> heavy; 150/200 = 75 % -> not heavy, though 3 reps alone would be
    assert list(out) == ["heavy", "bodyweight_strength"]
    assert out.name == "category"


def test_categorise_only_missing_names():
    out = strength.categorise([None, np.nan])
    assert list(out) == ["other", "other"]
    assert tuple(out.cat.categories) == EXERCISE_CATEGORIES


def test_unknown_exercises_are_distinct_case_insensitively_and_sorted():
    names = ["Zumba", "Taiko", "zumba ", "Tai_bo", "squat", None]
    # "Tai_bo" < "Taiko" < "Zumba" in lower case ('_' sorts before the letters)
    assert strength.unknown_exercises(names) == ["Tai_bo", "Taiko", "Zumba"]


# --------------------------------------------------------------------------
# categorise_strength: the 1RM from the log
# --------------------------------------------------------------------------


def _log(rows, columns=("runner_id", "exercise", "load_kg", "reps")):
    return pd.DataFrame(rows, columns=list(columns))


def test_categorise_strength_1rm_is_per_runner_and_per_exercise():
    frame = _log(
        [
            ("A", "Back squat", 150.0, 3),  # A's squat 1RM 150 x 1.1 = 165: 91 % -> heavy
            ("B", "back squats", 100.0, 7),  # B's squat 1RM 100 x (1 + 7/30) = 123.3: 81 %
            ("B", "Deadlift", 200.0, 3),  # B's deadlift 1RM 220: 91 %
            ("B", "Back Squat", 60.0, 5),  # 60 / 123.3 = 49 %, though 5 reps alone is heavy
        ]
    )
    # Were the squat 1RM pooled over runners (165) or over B's lifts (220), 100 kg
    # would be 61 % or 45 %; were only reps used, 7 reps would not be heavy.
    out = strength.categorise_strength(frame)
    assert list(out) == ["heavy", "heavy", "heavy", "bodyweight_strength"]


def test_categorise_strength_rows_without_a_runner_still_get_their_1rm():
    frame = _log([(None, "back squat", 100.0, 7), (None, "plank", 0.0, 1)])
    # 100 / (100 x (1 + 7/30)) = 81 % -> heavy (by reps alone, 7 would not be)
    assert list(strength.categorise_strength(frame)) == ["heavy", "core"]


def test_categorise_strength_brzycki():
    frame = _log([("B", "back squat", 100.0, 5), ("B", "back squat", 91.0, 3)])
    # Epley 1RM 100 x (1 + 5/30) = 116.7: 91 kg is 78 % -> not heavy.
    # Brzycki 1RM 100 x 36/32 = 112.5 (the 91 x 3 set gives 96.4): 91 kg is 80.9 % -> heavy.
    assert list(strength.categorise_strength(frame)) == ["heavy", "bodyweight_strength"]
    assert list(strength.categorise_strength(frame, method="brzycki")) == ["heavy", "heavy"]


def test_categorise_strength_unknown_method_message():
    with pytest.raises(
        ValueError,
        match=r"^The 'method' parameter of categorise_strength must be one of 'epley', "
        r"'brzycki'\. Got 'lombardi' instead\.$",
    ):
        strength.categorise_strength(_log([("A", "squat", 100.0, 3)]), method="lombardi")


def test_categorise_strength_sets_that_give_no_1rm_are_skipped_without_error():
    frame = _log(
        [
            ("A", "squat", 120.0, 1),  # 1RM 120 x 31/30 = 124: 97 % -> heavy
            ("A", "squat", 85.0, 7),  # 85 / 124 = 69 % (its own estimate is 104.8)
            ("A", "plank", 0.0, 0),  # a hold logged with 0 reps
            ("C", "squat", 100.0, 2.5),  # not a whole number of reps: no 1RM, reps rule
            ("C", None, 50.0, 5),  # no name
        ]
    )
    out = strength.categorise_strength(frame)
    assert list(out) == ["heavy", "bodyweight_strength", "core", "heavy", "other"]


def test_categorise_strength_given_1rm_takes_precedence_when_positive():
    frame = pd.DataFrame(
        {
            "runner_id": ["A", "A", "A", "A", "D"],
            "exercise": ["squat"] * 4 + ["step up"],
            "load_kg": [100.0, 100.0, 100.0, 100.0, 0.9],
            "reps": [5, 7, 7, 7, 10],
            "one_rm_kg": [200.0, 0.0, -1.0, np.nan, 1.0],
        }
    )
    out = strength.categorise_strength(frame)
    # 100/200 = 50 %. 0, -1 and empty are no 1RM: the log's best, 100 x (1 + 7/30)
    # = 123.3, makes 100 kg 81 % (the reps rule would say 7 reps is not heavy).
    # D's given 1RM of 1 kg makes 0.9 kg 90 % (the log's 0.9 x 4/3 = 1.2 would give 75 %).
    assert list(out) == ["bodyweight_strength", "heavy", "heavy", "heavy", "heavy"]


def test_categorise_strength_empty_and_single_row_frames():
    empty = _log([]).set_index(pd.Index([], dtype="int64", name="row"))
    out = strength.categorise_strength(empty)
    assert len(out) == 0 and out.name == "category"
    assert tuple(out.cat.categories) == EXERCISE_CATEGORIES
    assert out.index.name == "row"
    one = _log([("A", "box jumps", 0.0, 5)], columns=("runner_id", "exercise", "load_kg", "reps"))
    one.index = [7]
    out = strength.categorise_strength(one)
    assert list(out) == ["plyometric"] and list(out.index) == [7]


def test_volume_load_edges_of_sets_reps_and_load():
    frame = pd.DataFrame(
        {
            "sets": [2, 3, np.nan, 2],
            "reps": [np.nan, 10, 5, 5],
            "load_kg": [32.0, -20.0, 40.0, np.nan],
        },
        index=["carry", "assisted", "one set", "body"],
    )
    vol = strength.volume_load(frame)
    # a timed carry (no reps) 0; assistance logged as -20 kg is no load: 0;
    # sets missing = 1: 1 x 5 x 40 = 200; no load 0
    assert_allclose(vol, [0.0, 0.0, 200.0, 0.0])
    assert list(vol.index) == ["carry", "assisted", "one set", "body"]


def test_volume_load_warmup_spellings():
    frame = pd.DataFrame(
        {
            "sets": [1] * 5,
            "reps": [5] * 5,
            "load_kg": [100.0] * 5,
            "set_type": ["Warm-up", " W ", "WARMUP", "w", "working"],
        }
    )
    assert_allclose(strength.volume_load(frame), [0.0, 0.0, 0.0, 0.0, 500.0])  # 1 x 5 x 100


def test_weekly_strength_full_rows_count_each_category_once_per_day():
    frame = pd.DataFrame(
        {
            "runner_id": ["R1", "R1", "R1", "R1"],
            "date": pd.to_datetime(["2026-03-03", "2026-03-03", "2026-03-03", "2026-03-10"]),
            "exercise": ["back squat", "deadlift", "plank", "plank"],
            "sets": [3, 2, 3, 2],
            "reps": [3, 2, None, None],
            "load_kg": [100.0, 150.0, None, None],
        }
    )
    weekly = strength.weekly_strength(frame)
    assert list(weekly["week"]) == [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-09")]
    w1, w2 = weekly.iloc[0], weekly.iloc[1]
    # one day with two heavy lifts is one heavy session; 3x3x100 + 2x2x150 = 1500 kg
    assert w1["sessions"] == 1 and w1["sessions_heavy"] == 1 and w1["sessions_core"] == 1
    assert w1["volume_load_heavy_kg"] == 1500.0 and w1["volume_load_kg"] == 1500.0
    for c in ("explosive", "plyometric", "bodyweight_strength", "mobility", "other"):
        assert w1[f"sessions_{c}"] == 0 and w1[f"volume_load_{c}_kg"] == 0.0
    # the second week: core only, so nothing heavy and no volume at all
    assert w2["sessions_core"] == 1 and w2["sessions_heavy"] == 0
    assert w2["volume_load_heavy_kg"] == 0.0 and w2["volume_load_kg"] == 0.0
    int_cols = ["sessions"] + [f"sessions_{c}" for c in EXERCISE_CATEGORIES]
    assert all(pd.api.types.is_integer_dtype(weekly[c]) for c in int_cols)


def test_weekly_strength_single_entry():
    frame = pd.DataFrame(
        {
            "runner_id": ["R1"],
            "date": pd.to_datetime(["2026-03-05"]),  # a Thursday
            "exercise": ["box jumps"],
            "sets": [3],
            "reps": [6],
        }
    )
    weekly = strength.weekly_strength(frame)
    assert len(weekly) == 1
    assert weekly.loc[0, "week"] == pd.Timestamp("2026-03-02")
    assert weekly.loc[0, "sessions_plyometric"] == 1


def test_weekly_strength_empty_frame_has_the_typed_columns():
    out = strength.weekly_strength(_strength_frame().iloc[0:0])
    assert list(out.columns[:3]) == ["runner_id", "week", "sessions"]
    assert out.columns[-1] == "session_rpe_load"
    assert out["runner_id"].dtype == object
    assert pd.api.types.is_datetime64_dtype(out["week"])
    assert out["volume_load_kg"].dtype == float and out["sessions_heavy"].dtype == float


def test_weekly_strength_uses_a_complete_category_column():
    frame = _strength_frame()
    frame["category"] = "mobility"  # whatever the names say
    weekly = strength.weekly_strength(frame).set_index(["runner_id", "week"])
    w1 = weekly.loc[("R1", pd.Timestamp("2026-03-02"))]
    assert w1["sessions_mobility"] == 3 and w1["sessions_heavy"] == 0
    assert w1["volume_load_mobility_kg"] == pytest.approx(1980.0)  # 3x5x100 + 1x8x60
    # one missing category: the names decide for every row
    frame.loc[1, "category"] = None
    w1 = (
        strength.weekly_strength(frame)
        .set_index(["runner_id", "week"])
        .loc[("R1", pd.Timestamp("2026-03-02"))]
    )
    assert w1["sessions_mobility"] == 0 and w1["sessions_heavy"] == 1


def test_weekly_strength_session_rpe_column_and_minutes():
    frame = _strength_frame()
    frame["session_rpe"] = 5.0
    frame["session_duration_min"] = 40.0
    weekly = strength.weekly_strength(frame).set_index(["runner_id", "week"])
    # 3 sessions x session RPE 5 x 40 min = 600 AU (the entries' rpe are ignored)
    assert weekly.loc[("R1", pd.Timestamp("2026-03-02")), "session_rpe_load"] == 600.0
    # one session in the next week: 5 x 40 = 200
    assert weekly.loc[("R1", pd.Timestamp("2026-03-09")), "session_rpe_load"] == 200.0


def test_weekly_strength_session_rpe_load_counts_only_timed_sessions():
    frame = _strength_frame()
    # only Monday's session (mean RPE (8 + 6) / 2 = 7) has a duration: 7 x 30 min = 210
    frame["session_duration_s"] = [1800.0, np.nan, np.nan, np.nan, np.nan, np.nan]
    weekly = strength.weekly_strength(frame).set_index(["runner_id", "week"])
    assert weekly.loc[("R1", pd.Timestamp("2026-03-02")), "session_rpe_load"] == 210.0
    assert np.isnan(weekly.loc[("R1", pd.Timestamp("2026-03-09")), "session_rpe_load"])


def test_object_columns_with_gaps_are_read_as_numbers():
    # columns as built from JSON records: Python numbers and None in object columns
    frame = pd.DataFrame(
        {
            "runner_id": ["A", "A"],
            "exercise": ["squat", "squat"],
            "sets": pd.Series([2, None], dtype=object),
            "reps": pd.Series([5, None], dtype=object),
            "load_kg": pd.Series([100.0, None], dtype=object),
        }
    )
    # 2 x 5 x 100 = 1000; the empty row is 1 set x 0 reps x 0 kg
    assert_allclose(strength.volume_load(frame), [1000.0, 0.0])
    # 1RM 100 x (1 + 5/30) = 116.7: 100 kg is 86 % -> heavy; the empty row has no load
    assert list(strength.categorise_strength(frame)) == ["heavy", "bodyweight_strength"]
