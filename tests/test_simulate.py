"""Tests of the synthetic squad: determinism, validity, and that its data carry its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.blocks import infer_blocks
from analysis.io import load_dataset
from analysis.physiology import (
    daniels_vo2,
    grade_adjusted_speed,
    hr_to_vo2,
    vdot_from_race,
)
from analysis.simulate import (
    DOSE_REF_SESSIONS_PER_WEEK,
    TEMP_THRESHOLD_C,
    generate_squad,
    simulate_squad,
)
from tests.paths import REPO_ROOT as REPO

SAMPLE = REPO / "data" / "sample"
SAMPLE_ARGS = dict(n_runners=8, seed=2026, baseline_weeks=6, block_weeks=10)
FRAMES = ("runners", "runs", "strength", "blocks", "lab_tests", "truth", "bad_rows")
BODYWEIGHT = {
    "walking lunges",
    "squats",
    "single-leg deadlifts",
    "reverse lunges",
    "pistol squats",
    "plank",
    "glute bridge",
    "lying superman",
    "dive-bomber push-ups",
    "Russian twists",
    "single-leg lateral jumps",
    "fire hydrants",
    "burpees",
}
LOADED = {"back squat", "deadlift", "hip thrust", "box jumps", "jump squats"}


@pytest.fixture(scope="module")
def big():
    """A 300-runner squad: enough runners to test means, still fast (< 0.5 s)."""
    return generate_squad(n_runners=300, seed=11)


def _steady(frames):
    """Steady runs joined with runner parameters, truth and derived numbers."""
    truth = frames["truth"][
        ["runner_id", "o2_cost_change_pct", "block_start", "block_end", "temp_slope_bpm_per_c"]
    ]
    r = frames["runs"].merge(frames["runners"], on="runner_id").merge(truth, on="runner_id")
    r = r.loc[r["run_type"].isin(["easy", "long", "recovery", "tempo"])].copy()
    num = [
        "distance_km",
        "duration_s",
        "avg_hr_bpm",
        "elev_gain_m",
        "elev_loss_m",
        "hr_rest_bpm",
        "hr_max_bpm",
    ]
    r[num] = r[num].astype(float)
    r["gas"] = grade_adjusted_speed(r.distance_km, r.elev_gain_m, r.elev_loss_m, r.duration_s)
    day = pd.to_datetime(r["date"]).dt.normalize()
    start, end = pd.to_datetime(r["block_start"]), pd.to_datetime(r["block_end"])
    r["ramp"] = ((day - start) / (end - start)).clip(0, 1)
    r["hinge"] = np.maximum(r["temp_c"] - TEMP_THRESHOLD_C, 0.0)
    r["over_60"] = np.maximum(r["duration_s"] / 60 - 60, 0.0)
    return r


def _ols(y, *columns):
    x = np.column_stack([np.ones(len(y)), *columns])
    coef, *_ = np.linalg.lstsq(x, np.asarray(y, dtype=float), rcond=None)
    return coef


# --------------------------------------------------------------------------
# determinism and file output
# --------------------------------------------------------------------------


def test_same_seed_gives_identical_frames():
    a = generate_squad(n_runners=12, seed=7, bad_rows=5, missing_fraction=0.1)
    b = generate_squad(n_runners=12, seed=7, bad_rows=5, missing_fraction=0.1)
    assert set(a) == set(FRAMES)
    for key in FRAMES:
        pd.testing.assert_frame_equal(a[key], b[key])


def test_different_seed_gives_different_squad():
    a = generate_squad(n_runners=12, seed=7)
    b = generate_squad(n_runners=12, seed=8)
    assert not a["runs"]["avg_hr_bpm"].equals(b["runs"]["avg_hr_bpm"])
    assert not a["truth"]["o2_cost_change_pct"].equals(b["truth"]["o2_cost_change_pct"])


def test_options_draw_from_independent_streams():
    """Lab tests, blanks and bad rows change nothing else, so dirty = clean + dirt."""
    clean = generate_squad(n_runners=10, seed=3)
    no_lab = generate_squad(n_runners=10, seed=3, lab_tests=False)
    for key in ("runners", "runs", "strength", "blocks"):
        pd.testing.assert_frame_equal(clean[key], no_lab[key])
    assert no_lab["lab_tests"].empty and not clean["lab_tests"].empty
    assert not no_lab["truth"]["lab_tested"].any()

    dirty = generate_squad(n_runners=10, seed=3, missing_fraction=0.2, bad_rows=11)
    for fname, key in (("runs.csv", "runs"), ("strength.csv", "strength")):
        listed = dirty["bad_rows"].loc[dirty["bad_rows"]["file"] == fname, "line"]
        kept = dirty[key].drop(index=listed.to_numpy() - 2).reset_index(drop=True)
        filled = kept.notna() & clean[key].notna()
        # every cell is either the clean value or blanked
        assert (kept.isna() | filled).all().all()
        for col in kept.columns:
            both = filled[col]
            assert (kept.loc[both, col].to_numpy() == clean[key].loc[both, col].to_numpy()).all()


def test_simulate_squad_writes_the_canonical_files(tmp_path):
    out = simulate_squad(tmp_path / "squad", n_runners=6, seed=1)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["runners.csv", "runs.csv", "strength.csv", "blocks.csv", "lab_tests.csv", "truth.csv"]
    )
    runs = pd.read_csv(out / "runs.csv", dtype=str, keep_default_na=False)
    # device-like precision: whole seconds and beats, 3 dp distance, 1 dp temperature
    assert runs["duration_s"].str.fullmatch(r"\d+").all()
    assert runs["avg_hr_bpm"].str.fullmatch(r"\d+").all()
    assert runs["distance_km"].str.fullmatch(r"\d+(\.\d{1,3})?").all()
    assert runs["temp_c"].str.fullmatch(r"-?\d+\.\d").all()
    assert runs["date"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00").all()

    # a second call without lab tests leaves no stale lab_tests.csv behind
    simulate_squad(out, n_runners=6, seed=1, lab_tests=False)
    assert not (out / "lab_tests.csv").exists()


def test_sample_dataset_is_what_the_generator_makes(tmp_path):
    """data/sample can never drift silently from the generator (regenerate: `make sample`)."""
    assert SAMPLE.is_dir(), "data/sample is missing; run `make sample`"
    fresh = simulate_squad(tmp_path / "sample", **SAMPLE_ARGS)
    written = sorted(p.name for p in fresh.iterdir())
    assert sorted(p.name for p in SAMPLE.glob("*.csv")) == written
    for name in written:
        assert (SAMPLE / name).read_bytes() == (fresh / name).read_bytes(), name


def test_sample_dataset_shape():
    truth = pd.read_csv(SAMPLE / "truth.csv")
    assert len(truth) == 8
    assert (truth["group"] == "strength").sum() == 4
    assert truth["lab_tested"].sum() == 4
    assert (truth["block_source"] == "inferred").sum() == 1
    total = sum(p.stat().st_size for p in SAMPLE.glob("*.csv"))
    assert total < 500_000


# --------------------------------------------------------------------------
# validation by the loader
# --------------------------------------------------------------------------


def test_output_passes_validation_with_nothing_quarantined(tmp_path):
    frames = generate_squad(n_runners=25, seed=4, missing_fraction=0.15)
    ds = load_dataset(simulate_squad(tmp_path / "s", n_runners=25, seed=4, missing_fraction=0.15))
    assert ds.quarantine.empty, ds.quarantine.head().to_string()
    assert len(ds.runners) == 25
    assert len(ds.runs) == len(frames["runs"])
    assert len(ds.strength) == len(frames["strength"])
    assert len(ds.blocks) == len(frames["blocks"])
    assert len(ds.lab_tests) == len(frames["lab_tests"])
    assert list(ds.runs["run_id"]) == list(frames["runs"]["run_id"])


def test_bad_rows_are_quarantined_at_the_listed_lines(tmp_path):
    out = simulate_squad(tmp_path / "dirty", n_runners=10, seed=9, bad_rows=22)
    bad = pd.read_csv(out / "bad_rows.csv")
    assert len(bad) == 22
    # every kind twice (11 kinds, rotated)
    assert bad.groupby(["file", "kind"]).size().eq(2).all()
    assert bad.groupby(["file", "kind"]).ngroups == 11
    ds = load_dataset(out)
    quarantined = set(zip(ds.quarantine["file"], ds.quarantine["line"], strict=True))
    listed = set(zip(bad["file"], bad["line"], strict=True))
    assert quarantined == listed
    clean = generate_squad(n_runners=10, seed=9)
    assert len(ds.runs) == len(clean["runs"])
    assert len(ds.strength) == len(clean["strength"])
    reasons = ds.quarantine.set_index(["file", "line"])["code"]
    dup = bad.loc[bad["kind"] == "duplicate run", ["file", "line"]]
    assert (reasons.loc[list(dup.itertuples(index=False, name=None))] == "duplicate_run").all()


# --------------------------------------------------------------------------
# truth
# --------------------------------------------------------------------------


def test_true_effects_by_group(big):
    truth = big["truth"]
    strength = truth.loc[truth["group"] == "strength"]
    control = truth.loc[truth["group"] == "control"]
    assert len(strength) == 150 and len(control) == 150
    assert (control["o2_cost_change_pct"] == 0).all()
    assert (control["strength_sessions_per_week"] == 0).all()
    se = strength["o2_cost_change_pct"].std() / np.sqrt(len(strength))
    assert abs(strength["o2_cost_change_pct"].mean() - (-4.0)) < 3 * se
    assert 1.2 < strength["o2_cost_change_pct"].std() < 2.0


def test_effect_follows_the_requested_mean_and_sd():
    truth = generate_squad(n_runners=400, seed=2, effect_pct_mean=-2.0, effect_pct_sd=0.0)["truth"]
    s = truth.loc[truth["group"] == "strength"]
    dose = 0.5 + 0.5 * s["strength_sessions_per_week"] / DOSE_REF_SESSIONS_PER_WEEK
    np.testing.assert_allclose(s["o2_cost_change_pct"], -2.0 * dose, atol=1e-3)
    assert abs(s["o2_cost_change_pct"].mean() + 2.0) < 0.1


def test_dose_response_in_truth(big):
    s = big["truth"].loc[big["truth"]["group"] == "strength"]
    _, slope = _ols(s["o2_cost_change_pct"], s["strength_sessions_per_week"])
    expected = -4.0 * 0.5 / DOSE_REF_SESSIONS_PER_WEEK  # about -0.9 % per weekly session
    assert slope == pytest.approx(expected, abs=0.6)
    assert slope < 0


def test_strength_sessions_only_for_strength_runners_inside_the_block(big):
    st, truth = big["strength"], big["truth"]
    groups = truth.set_index("runner_id")["group"]
    assert (groups.loc[st["runner_id"].unique()] == "strength").all()
    assert set(st["runner_id"]) == set(truth.loc[truth["group"] == "strength", "runner_id"])
    block_start = pd.Timestamp(truth["block_start"].iloc[0])
    block_end = pd.Timestamp(truth["block_end"].iloc[0])
    day = pd.to_datetime(st["date"])
    assert day.between(block_start, block_end).all()
    sessions = st.drop_duplicates(["runner_id", "date"])
    weekly = sessions.groupby(["runner_id", (day.loc[sessions.index] - block_start).dt.days // 7])
    assert weekly.size().between(1, 3).all()
    per_week = sessions.groupby("runner_id").size() / 10
    np.testing.assert_allclose(
        per_week.sort_index(),
        truth.set_index("runner_id").loc[per_week.index, "strength_sessions_per_week"].sort_index(),
        atol=1e-3,
    )
    per_session = st.groupby(["runner_id", "date"]).size()
    assert per_session.between(3, 6).all()
    assert set(st["exercise"]) <= BODYWEIGHT | LOADED
    assert BODYWEIGHT <= set(st["exercise"])
    plank = st["exercise"] == "plank"
    assert st.loc[plank, "reps"].isna().all() and st.loc[plank, "duration_s"].notna().all()
    assert st.loc[~plank, "reps"].notna().all()
    heavy = st["exercise"].isin(["back squat", "deadlift"])
    assert (st.loc[heavy, "load_kg"] > 20).all()


def test_blocks_csv_and_the_inferred_block(tmp_path):
    frames = generate_squad(n_runners=40, seed=5)
    truth = frames["truth"]
    inferred = truth.loc[truth["block_source"] == "inferred", "runner_id"]
    listed = truth.loc[truth["block_source"] == "blocks.csv", "runner_id"]
    assert len(inferred) == max(1, (truth["group"] == "strength").sum() // 8)
    assert set(frames["blocks"]["runner_id"]) == set(listed)
    assert (truth.loc[truth["group"] == "control", "block_source"] == "squad (control)").all()
    # the block inferred from the strength log is the true one
    ds = load_dataset(simulate_squad(tmp_path / "b", n_runners=40, seed=5))
    got = infer_blocks(ds.strength).set_index("runner_id").loc[list(inferred)]
    want = truth.set_index("runner_id").loc[list(inferred)]
    assert (got["block_start"] == pd.to_datetime(want["block_start"])).all()
    assert (got["block_end"] == pd.to_datetime(want["block_end"])).all()


def test_no_strength_runners_means_no_block():
    frames = generate_squad(n_runners=5, seed=1, strength_fraction=0.0)
    assert frames["strength"].empty and frames["blocks"].empty
    assert (frames["truth"]["block_source"] == "none").all()
    assert frames["truth"]["block_start"].isna().all()


# --------------------------------------------------------------------------
# the physiology in the data
# --------------------------------------------------------------------------


def test_heart_rate_stays_within_rest_and_max(big):
    r = big["runs"].merge(big["runners"], on="runner_id")
    assert (r["avg_hr_bpm"] > r["hr_rest_bpm"]).all()
    assert (r["avg_hr_bpm"] < r["hr_max_bpm"]).all()
    assert (r["max_hr_bpm"] >= r["avg_hr_bpm"]).all()
    assert (r["max_hr_bpm"] <= r["hr_max_bpm"]).all()
    # hard sessions reveal HRmax (the "observed max" fallback needs them)
    observed = r.groupby("runner_id")[["max_hr_bpm", "hr_max_bpm"]].max()
    assert ((observed["hr_max_bpm"] - observed["max_hr_bpm"]) <= 8).mean() > 0.9


def test_pace_and_types_are_plausible(big):
    r = big["runs"]
    pace = r["duration_s"] / r["distance_km"]
    assert pace.between(150, 1200).all()  # the loader's limits (2:30-20:00 /km)
    shares = r["run_type"].value_counts(normalize=True)
    assert shares["easy"] > 0.4
    assert set(shares.index) == {"easy", "long", "recovery", "tempo", "interval", "race"}
    weeks = (pd.to_datetime(r["date"]) - pd.Timestamp("2026-01-05")).dt.days // 7
    per_week = r.groupby([r["runner_id"], weeks]).size()
    assert per_week.between(4, 6).all()
    assert r.groupby([r["runner_id"], pd.to_datetime(r["date"]).dt.date]).size().max() == 1
    long_runs = r.loc[r["run_type"] == "long", "distance_km"]
    assert long_runs.between(16, 30).all()
    races = r.loc[r["run_type"] == "race", "distance_km"]
    assert set(races) == {5.0, 10.0}


def test_field_oxygen_cost_recovers_the_true_change(big):
    """HR -> VO2 on steady runs, with ramp, heat hinge and drift, is unbiased for truth."""
    r = _steady(big)
    r["vo2"] = hr_to_vo2(r.avg_hr_bpm, r.hr_rest_bpm, r.hr_max_bpm, r.vo2max_ml_kg_min)
    r["y"] = np.log(r["vo2"] / (r["gas"] / 1000))
    errors = []
    for _, g in r.groupby("runner_id"):
        coef = _ols(g["y"], g["ramp"], g["hinge"], g["over_60"], np.log(g["gas"]))
        errors.append(100 * np.expm1(coef[1]) - g["o2_cost_change_pct"].iloc[0])
    errors = np.asarray(errors)
    assert abs(errors.mean()) < 0.3
    assert np.abs(errors).mean() < 1.5


def test_heart_rate_rises_with_heat_at_fixed_speed(big):
    r = _steady(big)
    # within-runner regression of HR on speed, heat above the threshold, drift
    # and the strength ramp (economy improves while it warms up)
    r["ramp_x_effect"] = r["ramp"] * r["o2_cost_change_pct"]
    cols = ["avg_hr_bpm", "gas", "hinge", "over_60", "ramp_x_effect"]
    centred = r[cols] - r.groupby("runner_id")[cols].transform("mean")
    coef = _ols(
        centred["avg_hr_bpm"],
        centred["gas"],
        centred["hinge"],
        centred["over_60"],
        centred["ramp_x_effect"],
    )
    mean_slope = big["truth"]["temp_slope_bpm_per_c"].mean()
    assert coef[2] == pytest.approx(mean_slope, abs=0.15)
    assert coef[1] > 0  # faster -> higher HR
    assert coef[3] > 0  # cardiac drift on long runs


def test_warming_season_is_warmer_in_spring():
    warm = generate_squad(n_runners=20, seed=6)["runs"]
    flat = generate_squad(n_runners=20, seed=6, warming=False)["runs"]
    month = pd.to_datetime(warm["date"]).dt.month
    by_month = warm.groupby(month)["temp_c"].mean()
    assert by_month.loc[4] - by_month.loc[1] > 4  # climate ~8.5, monthly weather SD ~1.5
    assert by_month.loc[1] < 7
    flat_month = flat.groupby(pd.to_datetime(flat["date"]).dt.month)["temp_c"].mean()
    assert abs(flat_month.loc[4] - flat_month.loc[1]) < 5
    hot = (warm["temp_c"] > TEMP_THRESHOLD_C).groupby(month).mean()
    assert hot.loc[1] < 0.03 and hot.loc[4] > 0.08  # the heat hinge bites in spring only


def test_intervals_sit_below_the_steady_heart_rate_relation(big):
    r = (
        big["runs"]
        .merge(big["runners"], on="runner_id")
        .merge(big["truth"][["runner_id", "econ_factor", "temp_slope_bpm_per_c"]], on="runner_id")
    )
    r = r.loc[(r["run_type"] == "interval") & (pd.to_datetime(r["date"]) < "2026-02-16")]
    gas = grade_adjusted_speed(
        r.distance_km,
        r.elev_gain_m.astype(float),
        r.elev_loss_m.astype(float),
        r.duration_s.astype(float),
    )
    f = (r["econ_factor"] * daniels_vo2(gas) - 3.5) / (r["vo2max_ml_kg_min"] - 3.5)
    steady_hr = r["hr_rest_bpm"] + f * (r["hr_max_bpm"] - r["hr_rest_bpm"])
    heat = r["temp_slope_bpm_per_c"] * np.maximum(r["temp_c"] - TEMP_THRESHOLD_C, 0)
    assert (r["avg_hr_bpm"] - steady_hr - heat).mean() < -2.0


def test_race_times_match_the_runners_effective_vdot(big):
    r = big["runs"].merge(big["truth"], on="runner_id")
    r = r.loc[(r["run_type"] == "race") & (pd.to_datetime(r["date"]) < "2026-02-16")]
    vdot = vdot_from_race(r["distance_km"] * 1000, r["duration_s"].astype(float))
    ratio = vdot / (r["vo2max_ml_kg_min"] / r["econ_factor"])
    # form SD 1.5 % and mild course hills (which slow the time a little)
    assert ratio.median() == pytest.approx(0.99, abs=0.015)
    assert ratio.std() < 0.03


def test_lab_tests_measure_the_true_change(big):
    lab = big["lab_tests"]
    truth = big["truth"].set_index("runner_id")
    tested = truth.loc[truth["lab_tested"]]
    assert tested.groupby("group").size().eq(75).all()
    assert lab.groupby(["runner_id", "date"]).size().between(4, 5).all()
    assert lab["rer"].between(0.82, 0.99).all()
    pre_date, post_date = sorted(lab["date"].unique())
    assert pd.Timestamp(pre_date) < pd.Timestamp(truth["block_start"].iloc[0])
    assert pd.Timestamp(post_date) > pd.Timestamp(truth["block_end"].iloc[0])
    wide = lab.pivot_table(index=["runner_id", "speed_kmh"], columns="date", values="vo2_ml_kg_min")
    change = (np.log(wide[post_date] / wide[pre_date])).groupby(level=0).mean()
    err = 100 * np.expm1(change) - truth.loc[change.index, "o2_cost_change_pct"]
    assert abs(err.mean()) < 0.5
    assert err.std() < 2.0  # 2 % stage CV, 4-5 stages, two tests: about 1.3 %


def test_missing_fraction_blanks_optional_cells():
    runs = generate_squad(n_runners=30, seed=8, missing_fraction=0.25)["runs"]
    for col in ("avg_hr_bpm", "elev_gain_m", "temp_c", "cadence_spm", "rpe"):
        assert runs[col].isna().mean() == pytest.approx(0.25, abs=0.04)
    # heart rate and elevation vanish as pairs, as from a device without the sensor
    assert (runs["avg_hr_bpm"].isna() == runs["max_hr_bpm"].isna()).all()
    assert (runs["elev_gain_m"].isna() == runs["elev_loss_m"].isna()).all()
    for col in ("runner_id", "date", "distance_km", "duration_s", "run_type"):
        assert runs[col].notna().all()


def test_runner_ids_widen_with_squad_size():
    assert list(generate_squad(n_runners=3, seed=0)["runners"]["runner_id"]) == [
        "R01",
        "R02",
        "R03",
    ]
    ids = generate_squad(n_runners=120, seed=0)["runners"]["runner_id"]
    assert ids.iloc[0] == "R001" and ids.iloc[-1] == "R120"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_runners": 0}, "'n_runners' parameter of generate_squad must be an integer >= 1"),
        ({"block_weeks": 2.5}, "'block_weeks' parameter"),
        ({"strength_fraction": 1.5}, "'strength_fraction' parameter"),
        ({"missing_fraction": 1.0}, "'missing_fraction' parameter"),
        ({"bad_rows": -1}, "'bad_rows' parameter"),
        ({"effect_pct_sd": -1.0}, "'effect_pct_sd' parameter of generate_squad must be >= 0"),
        (
            {"start_date": "not a date"},
            "'start_date' parameter of generate_squad must be an ISO date",
        ),
        ({"start_date": "2026-01-05T07:00"}, "'start_date' parameter"),
        ({"pacing": "feel"}, "'pacing' parameter of generate_squad must be one of"),
        ({"econ_day_sd": -0.01}, "'econ_day_sd' parameter"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_squad(**kwargs)


def _easy_speed_and_hr_change(frames):
    """Per runner (indexed by group, runner_id): change of the median grade-adjusted
    speed [%] and HR [bpm] of easy runs from the baseline to the block's last two weeks."""
    r = frames["runs"].merge(frames["truth"][["runner_id", "group", "block_start", "block_end"]])
    r = r.loc[r["run_type"] == "easy"].copy()
    r["gas"] = grade_adjusted_speed(r.distance_km, r.elev_gain_m, r.elev_loss_m, r.duration_s)
    day = pd.to_datetime(r["date"]).dt.normalize()
    end = pd.to_datetime(r["block_end"])
    period = np.where(
        day < pd.to_datetime(r["block_start"]),
        "base",
        np.where(day > end - pd.Timedelta(days=14), "end", "mid"),
    )
    r = r.assign(period=period).loc[lambda f: f["period"] != "mid"]
    med = r.groupby(["group", "runner_id", "period"])[["gas", "avg_hr_bpm"]].median().unstack()
    speed = 100 * (med[("gas", "end")] / med[("gas", "base")] - 1)
    hr = (med[("avg_hr_bpm", "end")] - med[("avg_hr_bpm", "base")]).astype(float)
    return speed, hr


def test_hr_pacing_shows_better_economy_as_speed_plan_pacing_as_heart_rate():
    kw = dict(n_runners=24, seed=4, effect_pct_mean=-5.0, effect_pct_sd=0.0, lab_tests=False)
    plan = generate_squad(**kw)
    hr_paced = generate_squad(pacing="hr", **kw)
    speed_plan, hr_plan = (x.groupby("group").mean() for x in _easy_speed_and_hr_change(plan))
    speed_hr, hr_hr = (x.groupby("group").mean() for x in _easy_speed_and_hr_change(hr_paced))
    # plan: same paces, lower HR (a 5 % lower VO2 at ~65 % VO2max: about -4 bpm)
    assert abs(speed_plan["strength"]) < 1.0 and hr_plan["strength"] < -2.5
    # HR: same HR, faster (Daniels: 5 % less VO2 buys about 4.5 % more speed)
    assert 3.0 < speed_hr["strength"] < 6.0 and abs(hr_hr["strength"]) < 1.5
    # controls change in neither; mixed makes half of the runners HR-paced
    assert abs(speed_hr["control"]) < 1.0 and abs(hr_plan["control"]) < 1.5
    pd.testing.assert_frame_equal(plan["truth"], hr_paced["truth"])
    mixed = generate_squad(pacing="mixed", **kw)
    # every runner's log in "mixed" is exactly their plan-paced or HR-paced log
    style = []
    for rid, runs in mixed["runs"].groupby("runner_id"):
        same = [
            runs.reset_index(drop=True).equals(
                other["runs"].loc[lambda f, r=rid: f["runner_id"] == r].reset_index(drop=True)
            )
            for other in (plan, hr_paced)
        ]
        assert any(same), rid
        style.append("hr" if same == [False, True] else "plan" if same == [True, False] else "")
    assert 2 <= style.count("hr") and 2 <= style.count("plan")  # strength runners of each


def test_economy_day_noise_shows_in_hr_when_plan_paced_and_in_speed_when_hr_paced():
    kw = dict(n_runners=6, seed=9, strength_fraction=0.0, lab_tests=False)
    spread = {}
    for pacing in ("plan", "hr"):
        for sd in (0.0, 0.04):
            r = generate_squad(pacing=pacing, econ_day_sd=sd, **kw)["runs"]
            r = r.loc[r["run_type"] == "easy"]
            gas = grade_adjusted_speed(r.distance_km, r.elev_gain_m, r.elev_loss_m, r.duration_s)
            by = r["runner_id"]
            spread[pacing, sd] = (
                np.log(gas).groupby(by).std().mean(),
                r["avg_hr_bpm"].astype(float).groupby(by).std().mean(),
            )
    assert spread["plan", 0.04][0] == pytest.approx(spread["plan", 0.0][0], rel=1e-9)
    assert spread["plan", 0.04][1] > spread["plan", 0.0][1] + 0.5
    assert spread["hr", 0.04][0] > spread["hr", 0.0][0] + 0.01
    assert spread["hr", 0.04][1] == pytest.approx(spread["hr", 0.0][1], abs=0.3)


def test_two_blocks_per_strength_runner_with_their_own_sessions_and_truth():
    one = generate_squad(n_runners=12, seed=8)
    two = generate_squad(n_runners=12, seed=8, blocks=2, block2_effect_pct_mean=-3.0)
    # the first block's draws are those of one block
    pd.testing.assert_frame_equal(two["runners"], one["runners"])
    truth = two["truth"]
    strength = truth.loc[truth["group"] == "strength"]
    assert list(truth.columns[:2]) == ["runner_id", "block"]
    assert all(v == [1, 2] for v in strength.groupby("runner_id")["block"].agg(list))
    first, second = strength.loc[strength["block"] == 1], strength.loc[strength["block"] == 2]
    pd.testing.assert_series_equal(
        first["o2_cost_change_pct"].reset_index(drop=True),
        one["truth"]
        .loc[one["truth"]["group"] == "strength", "o2_cost_change_pct"]
        .reset_index(drop=True),
    )
    assert set(second["block_start"]) == {"2026-06-08"} and set(second["block_end"]) == {
        "2026-08-16"
    }
    assert second["o2_cost_change_pct"].ne(first["o2_cost_change_pct"].to_numpy()).all()
    # every strength runner has both rows in blocks.csv (none inferred)
    blocks = two["blocks"]
    assert len(blocks) == 2 * len(first) and set(blocks["label"]) == {
        "strength block 1",
        "strength block 2",
    }
    # sessions only inside the two blocks, some in each
    day = pd.to_datetime(two["strength"]["date"])
    in_1 = day.between("2026-02-16", "2026-04-26")
    in_2 = day.between("2026-06-08", "2026-08-16")
    assert (in_1 | in_2).all() and in_1.any() and in_2.any()
    # the runs cover both blocks
    assert pd.to_datetime(two["runs"]["date"]).max() >= pd.Timestamp("2026-08-10")


def test_blocks_must_be_one_or_two():
    with pytest.raises(ValueError, match="'blocks' parameter of generate_squad must be 1 or 2"):
        generate_squad(blocks=3)
