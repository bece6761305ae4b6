"""The screen for runs whose heart rate is out of line with the runner's other
runs (optical-sensor artefacts): prepare._out_of_line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.blocks import runner_blocks
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.prepare import (
    OUT_OF_LINE,
    OUT_OF_LINE_SDS,
    SCREEN_MIN_RUNS,
    SCREEN_MIN_SD,
    SCREEN_PASSES,
    _out_of_line,
    prepare_runs,
)
from tests.models._support_models import _squad


def _one_runner_at_a_time(runner_id, used, log_cost, *terms):
    """The rule written plainly: per runner, least squares, each run's deviation as a
    fraction of its fitted cost, then the same rule on the fit without the runs it
    put out of line, until the set stops changing."""
    out = np.zeros(len(used), dtype=bool)
    x_all = np.column_stack([np.ones(len(used)), *terms])
    ids = np.asarray(runner_id)
    for rid in pd.unique(ids):
        rows = np.flatnonzero((ids == rid) & used & np.isfinite(log_cost))
        if len(rows) < SCREEN_MIN_RUNS:
            continue
        x, y = x_all[rows], log_cost[rows]
        keep = np.ones(len(rows), dtype=bool)
        for _ in range(SCREEN_PASSES):
            beta = np.linalg.lstsq(x[keep], y[keep], rcond=None)[0]
            off = np.exp(y - x @ beta) - 1.0
            centre = np.median(off[keep])
            scale = max(1.4826 * np.median(np.abs(off[keep] - centre)), SCREEN_MIN_SD)
            again = np.abs(off - centre) <= OUT_OF_LINE_SDS * scale
            if (again == keep).all():
                break
            keep = again
        out[rows[~keep]] = True
    return out


def test_all_runners_at_once_flag_what_one_runner_at_a_time_flags():
    rng = np.random.default_rng(5)
    sizes = {"A": 60, "B": 40, "C": SCREEN_MIN_RUNS - 1, "D": 30, "E": 80}
    ids = np.concatenate([[k] * n for k, n in sizes.items()])
    rng.shuffle(ids)
    n = len(ids)
    ramp = rng.uniform(0, 1, n)
    heat = np.where(ids == "D", 0.0, rng.exponential(2.0, n))  # D: no heat term at all
    drift = np.where(rng.random(n) < 0.2, rng.uniform(0, 60, n), 0.0)
    speed = rng.normal(0, 0.04, n)
    log_cost = 5.3 - 0.04 * ramp + 0.01 * heat + 0.001 * drift + speed
    log_cost = log_cost + rng.normal(0, 0.03, n)
    hit = rng.random(n) < 0.06
    log_cost[hit] += rng.uniform(0.25, 0.40, hit.sum())  # 28-49 % too high
    low = ~hit & (rng.random(n) < 0.03)
    log_cost[low] -= 0.30  # contact lost: 26 % too low
    used = rng.random(n) < 0.95
    log_cost[rng.random(n) < 0.02] = np.nan
    got = _out_of_line(ids, used, log_cost, ramp, heat, drift, speed)
    expected = _one_runner_at_a_time(ids, used, log_cost, ramp, heat, drift, speed)
    np.testing.assert_array_equal(got, expected)
    assert not got[ids == "C"].any() and not got[~used].any()
    # most of the injected artefacts are found, few clean runs are taken
    screened = used & (ids != "C") & np.isfinite(log_cost)
    assert got[hit & screened].mean() > 0.8
    assert got[low & screened].mean() > 0.8  # low readings are found as well
    assert got[~hit & ~low].mean() < 0.01


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    ds, _ = _squad(tmp_path_factory.mktemp("screen"), "s", n_runners=16, seed=410)
    return ds, run_metrics(ds), runner_blocks(ds)


def test_a_locked_sensor_run_is_left_out_with_its_reason_and_clean_runs_stay(squad):
    ds, metrics, blocks = squad
    clean = prepare_runs(metrics, blocks)
    assert (clean["reason"] == OUT_OF_LINE).mean() < 0.01  # the simulator's noise is Gaussian
    steady = clean.loc[clean["used"] & clean["runner_id"].eq("R03")]
    run = steady["run_id"].iloc[len(steady) // 2]
    bad = metrics.copy()
    at = bad["run_id"] == run
    bad.loc[at, "o2_cost_ml_kg_km"] *= 1.25  # about 25 bpm too high: a cadence lock
    prep = prepare_runs(bad, blocks)
    row = prep.loc[prep["run_id"] == run].iloc[0]
    assert not row["used"] and row["reason"] == OUT_OF_LINE
    # the same screen whatever design is asked for: the candidates compare the same runs
    other = prepare_runs(bad, blocks, heat_onset_c=5.0, ramp_weeks=4.0, speed_scale=0.0)
    pd.testing.assert_series_equal(other["used"], prep["used"])
    out = analyze(ds, metrics=bad)
    r03 = out.loc[(out["runner_id"] == "R03") & (out["method"] == "field_hr")].iloc[0]
    assert f"{OUT_OF_LINE}: " in r03["excluded_reasons"]
    # counted in n_excluded_runs like every other run left out of the window
    n_out = int(r03["excluded_reasons"].split(f"{OUT_OF_LINE}: ")[1].split(";")[0])
    assert n_out >= 1
    assert r03["n_excluded_runs"] >= n_out


def test_a_runner_with_too_few_runs_is_not_screened():
    rng = np.random.default_rng(2)

    def flagged(n):
        log_cost = 5.3 + rng.normal(0, 0.02, n)
        log_cost[0] += 0.3  # 35 % too high: far out of line
        zeros = np.zeros(n)
        return _out_of_line(["R"] * n, np.ones(n, bool), log_cost, zeros, zeros, zeros, zeros)

    assert not flagged(SCREEN_MIN_RUNS - 1).any()
    assert flagged(SCREEN_MIN_RUNS)[0]


def test_the_sample_squad_loses_no_run_to_the_screen(sample_dir):
    ds = load_dataset(sample_dir)
    prep = prepare_runs(run_metrics(ds), runner_blocks(ds))
    assert not (prep["reason"] == OUT_OF_LINE).any()


def test_a_real_fast_change_is_not_screened_away(squad):
    """A -10 % change complete 3 weeks into the block (the screen's fit has a ramp
    over the whole block) leaves no run out of line."""
    ds, metrics, blocks = squad
    strength = set(blocks.loc[blocks["group"].eq("strength"), "runner_id"])
    start = blocks.set_index("runner_id")["block_start"]
    day = metrics["date"].dt.normalize()
    weeks = (day - metrics["runner_id"].map(start)) / pd.Timedelta(weeks=3)
    fast = metrics["runner_id"].isin(strength) * weeks.clip(0, 1)
    assert len(strength) >= 4 and fast.max() == 1.0
    changed = metrics.assign(o2_cost_ml_kg_km=metrics["o2_cost_ml_kg_km"] * (1 - 0.10 * fast))
    assert not (prepare_runs(changed, blocks)["reason"] == OUT_OF_LINE).any()


def test_runs_lying_on_the_design_are_not_thinned_out():
    """Heart rates filled in by an app (or every run at one heart rate) put the runs on
    the design: a tiny MAD must not turn ordinary day-to-day differences into
    'out of line' (review of 2026-12-05: up to half of such a runner's runs went)."""
    rng = np.random.default_rng(8)
    n = 84
    ramp = np.linspace(0, 1, n)
    speed = rng.normal(0, 0.04, n)
    zeros = np.zeros(n)
    log_cost = 5.3 - 0.05 * ramp + speed + rng.normal(0, 0.001, n)
    log_cost[::7] += rng.choice([-1, 1], len(log_cost[::7])) * 0.06  # 6 % days
    got = _out_of_line(["R07"] * n, np.ones(n, bool), log_cost, ramp, zeros, zeros, speed)
    assert not got.any()
    log_cost[40] += np.log(1.3)  # a locked sensor still stands out
    got = _out_of_line(["R07"] * n, np.ones(n, bool), log_cost, ramp, zeros, zeros, speed)
    assert np.flatnonzero(got).tolist() == [40]


def test_a_clean_heart_rate_paced_squad_loses_no_run(tmp_path):
    """The review's case: 150 clean heart-rate paced runners; at 4 robust SDs of the
    log cost one control lost 7 of 59 runs and was called improved."""
    ds, _ = _squad(tmp_path, "hr", n_runners=150, seed=5, pacing="hr")
    prep = prepare_runs(run_metrics(ds), runner_blocks(ds))
    assert prep["used"].sum() > 10_000
    assert not (prep["reason"] == OUT_OF_LINE).any()


def test_an_absurd_cost_is_out_of_line_without_a_warning(recwarn):
    rng = np.random.default_rng(1)
    n = 30
    log_cost = np.log(1e-300) + rng.normal(0, 0.03, n)  # absurd units throughout
    log_cost[3] = np.log(1e300)  # exp of its residual overflows
    zeros = np.zeros(n)
    got = _out_of_line(["R"] * n, np.ones(n, bool), log_cost, zeros, zeros, zeros, zeros)
    assert np.flatnonzero(got).tolist() == [3]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
