"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth. The evidence
tests check each runner's own estimate (``own_*``); the pooled headline built
on it is checked in ``test_pooling.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.blocks import runner_blocks
from analysis.metrics import run_metrics
from analysis.models import (
    CONFOUNDERS,
    analyze,
    daniels_cost_log_ratio,
    fit_runner,
    squad_serial_prior,
)
from analysis.models.pooling import POOLED_COLUMNS
from tests.models._support_models import (
    BLOCK,
    EVIDENCE_RUNNERS,
    EVIDENCE_SEEDS,
    HR_PACED_SEEDS,
    _field,
    _metrics_frame,
    _squad,
)


@pytest.mark.slow
def test_field_estimates_unbiased_and_accurate(evidence):
    field = _field(evidence)
    assert len(field) == len(EVIDENCE_SEEDS) * EVIDENCE_RUNNERS
    assert not field["verdict"].str.startswith("insufficient").any()
    # measured +0.03 pp; SD of the errors 1.5 pp over 600 runners: SE 0.06 pp, bound about 3 SE
    assert abs(field["error_pp"].mean()) <= 0.2
    # ~1 pp is the target; the simulator's day-to-day HR noise (white 2 bpm +
    # AR(1) day state 1.5 bpm) sets the floor: GLS with the *true* noise
    # covariance reaches a mean absolute error of 1.17 pp on these squads.
    assert field["error_pp"].abs().mean() <= 1.25


@pytest.mark.slow
def test_field_confidence_intervals_cover_the_truth(evidence):
    field = _field(evidence)
    coverage = field["covered"].mean()
    # measured 0.977 on 600 runners (SE 0.006): the bound sits 2.5 SE below it,
    # so a 90 % interval (coverage about 0.93) fails here
    assert 0.96 <= coverage <= 0.99, coverage


@pytest.mark.slow
def test_reported_se_matches_the_spread_of_the_estimates(evidence):
    """Measured 1.09 with the serial-correlation prior learned from the squad
    (1.23 with flat weights over the REML grid, the inflation of issue 11)."""
    field = _field(evidence)
    se = (field["own_ci_high_pct"] - field["own_ci_low_pct"]) / (2 * 1.97)
    ratio = se.mean() / field["error_pp"].std()
    assert 0.9 <= ratio <= 1.15, ratio


@pytest.mark.slow
def test_controls_are_rarely_called_improved(evidence):
    controls = _field(evidence).loc[lambda f: f["group"] == "control"]
    n = len(controls)
    improved = int((controls["own_verdict"] == "improved").sum())
    # Nominal rate 2.5 % (one tail of a 95 % CI); allow binomial slack: the
    # 99th percentile of Binomial(n, 0.025) (14 of 300; measured: 1 of 300).
    bound = stats.binom.ppf(0.99, n, 0.025)
    assert n == 300
    assert improved <= bound, (improved, bound)


@pytest.mark.slow
def test_strength_runners_are_mostly_detected(evidence):
    strength = _field(evidence).loc[lambda f: f["group"] == "strength"]
    # Power: a -4 % change (SD 1.5 %) against a CI half-width of ~3.5 pp
    # (honest intervals are wide); measured: 57 % called improved.
    assert (strength["own_verdict"] == "improved").mean() > 0.45
    assert (strength["own_verdict"] == "worsened").mean() < 0.02


@pytest.mark.slow
def test_field_estimates_unbiased_when_runners_pace_by_heart_rate(tmp_path):
    """Runners who pace easy runs by heart rate show better economy as faster
    running at the same HR. A free speed coefficient then absorbs part of the
    ramp (measured on these squads, 300 strength runners, true -5 %: +0.61 pp
    of bias); the fixed Daniels speed offset does not (+0.05 pp). With 3 %
    day-to-day economy noise, which HR pacing turns into speed."""
    rows = []
    for seed in HR_PACED_SEEDS:
        ds, truth = _squad(
            tmp_path,
            f"hr{seed}",
            n_runners=EVIDENCE_RUNNERS,
            seed=seed,
            pacing="hr",
            econ_day_sd=0.03,
            effect_pct_mean=-5.0,
            lab_tests=False,
        )
        out = _field(analyze(ds)).merge(
            truth[["runner_id", "o2_cost_change_pct"]].rename(
                columns={"o2_cost_change_pct": "truth_pct"}
            ),
            on="runner_id",
        )
        rows.append(out)
    field = pd.concat(rows, ignore_index=True)
    assert not field["verdict"].str.startswith("insufficient").any()
    error = field["o2_cost_change_pct"] - field["truth_pct"]
    covered = (field["ci_low_pct"] <= field["truth_pct"]) & (
        field["truth_pct"] <= field["ci_high_pct"]
    )
    strength = field["group"].eq("strength").to_numpy()
    assert strength.sum() == 300
    # measured: bias +0.05 pp (strength), +0.02 pp (controls), coverage 97 %
    assert abs(error[strength].mean()) <= 0.5
    assert abs(error[~strength].mean()) <= 0.5
    assert error.abs().mean() <= 1.75  # the economy noise widens the scatter (measured 1.5)
    assert 0.90 <= covered.mean() <= 0.99
    controls = field.loc[~strength]
    bound = stats.binom.ppf(0.99, len(controls), 0.025)
    assert (controls["verdict"] == "improved").sum() <= bound


def test_speed_offset_is_daniels_cost_per_km():
    """Daniels & Gilbert (1979): VO2 = -4.60 + 0.182258 v + 0.000104 v^2 [ml/kg/min]."""

    def cost(v):
        return (-4.60 + 0.182258 * v + 0.000104 * v**2) / v

    got = daniels_cost_log_ratio(np.array([250.0, 150.0, 200.0]), 150.0)
    np.testing.assert_allclose(got, np.log([cost(250) / cost(150), 1.0, cost(200) / cost(150)]))
    assert 100 * np.expm1(got[0]) == pytest.approx(13.56, abs=0.01)  # 9 -> 15 km/h
    # walking speeds enter at the 60 m/min floor (the curve is for running)
    assert daniels_cost_log_ratio(10.0, 150.0) == pytest.approx(np.log(cost(60) / cost(150)))


def test_leaving_temperature_out_biases_a_warming_season(tmp_path):
    """Blocks from March to May warm past 15 degC: without the heat term HR rises
    with the weather and a runner's own change reads it as worse economy; the
    controls run in the same weather, so the control-referenced headline keeps
    most of that bias out."""
    errors = {"adjusted": [], "no temperature": [], "no temperature, referenced": []}
    for seed in (7, 8, 9):
        ds, truth = _squad(tmp_path, f"w{seed}", n_runners=40, seed=seed, start_date="2026-03-02")
        metrics = run_metrics(ds)
        truth = truth.set_index("runner_id")["o2_cost_change_pct"]
        for name, confounders in (
            ("adjusted", CONFOUNDERS),
            ("no temperature", ("drift_min_dev", "speed_cost_dev")),
        ):
            out = _field(analyze(ds, metrics=metrics, confounders=confounders))
            true = truth.loc[out["runner_id"]].to_numpy()
            errors[name].append(out["raw_change_pct"].to_numpy() - true)
            if name == "no temperature":
                errors[name + ", referenced"].append(out["o2_cost_change_pct"].to_numpy() - true)
    bias = {k: float(np.mean(np.concatenate(v))) for k, v in errors.items()}
    assert abs(bias["adjusted"]) < 0.5
    assert bias["no temperature"] > 2.0  # measured: about +4.5 pp
    # measured: +0.9 pp relative to the controls
    assert bias["no temperature, referenced"] < bias["no temperature"] / 3


def test_gradual_change_is_recovered_where_before_after_halves_it():
    dates = pd.date_range("2026-01-05 07:00", "2026-04-26 07:00", freq="D")
    day = (dates.normalize() - BLOCK["block_start"]).days.to_numpy()
    ramp = np.clip(day / 69.0, 0, 1)
    wiggle = 0.004 * np.sin(np.arange(len(dates)) * 2.1)  # small, fast noise
    cost = 200.0 * (1 - 0.05 * ramp) * np.exp(wiggle)
    fit = fit_runner(_metrics_frame(cost, dates), BLOCK)
    assert fit.row["o2_cost_change_pct"] == pytest.approx(-5.0, abs=0.15)
    assert fit.row["ci_low_pct"] < -5.0 < fit.row["ci_high_pct"]
    assert fit.row["baseline_o2_cost_ml_kg_km"] == pytest.approx(200.0, rel=0.003)
    naive = 100 * (cost[day >= 0].mean() / cost[day < 0].mean() - 1)
    assert naive == pytest.approx(-2.5, abs=0.15)  # what a before/after comparison reports


def test_confounders_are_adjusted_and_frame_is_ready_to_plot():
    rng = np.random.default_rng(0)
    dates = pd.date_range("2026-01-05 07:00", "2026-04-26 07:00", freq="D")
    n = len(dates)
    day = (dates.normalize() - BLOCK["block_start"]).days.to_numpy()
    ramp = np.clip(day / 69.0, 0, 1)
    temp = np.linspace(2, 22, n) + rng.normal(0, 3, n)  # warming
    minutes = np.where(np.arange(n) % 7 == 5, 110.0, 45.0)  # weekly long run
    log_cost = (
        np.log(200)
        + np.log(0.96) * ramp
        + 0.01 * np.maximum(temp - 15, 0)
        + 0.0008 * np.maximum(minutes - 60, 0)
        + rng.normal(0, 0.02, n)
    )
    frame = _metrics_frame(np.exp(log_cost), dates, temp=temp, minutes=minutes)
    fit = fit_runner(frame, BLOCK)
    row = fit.row
    assert row["o2_cost_change_pct"] == pytest.approx(-4.0, abs=1.0)
    assert row["temp_coef_ci_low_pct_per_c"] < 1.005 < row["temp_coef_ci_high_pct_per_c"]
    # speed is constant, so the Daniels speed offset is 0 on every run
    assert row["model_terms"] == "1 + ramp + heat_c_dev + drift_min_dev + offset(speed_cost_dev)"
    assert row["typical_error_pct"] == pytest.approx(2.0, abs=0.3)
    f = fit.frame
    assert list(f.columns) == [
        "date",
        "run_id",
        "period",
        "steady",
        "used",
        "exclude_reason",
        "temp_c",
        "temp_filled",
        "ramp",
        "o2_cost_ml_kg_km",
        "o2_cost_adjusted_ml_kg_km",
        "o2_cost_trend_ml_kg_km",
    ]
    assert len(f) == n and f["used"].all()
    # adjusted values no longer rise with the heat
    hot = f["temp_c"] > 18
    late = f["ramp"] > 0.8
    resid_raw = np.log(f["o2_cost_ml_kg_km"] / f["o2_cost_trend_ml_kg_km"])
    resid_adj = np.log(f["o2_cost_adjusted_ml_kg_km"] / f["o2_cost_trend_ml_kg_km"])
    assert resid_raw[hot & late].mean() > 0.02
    assert abs(resid_adj[hot & late].mean()) < 0.01
    assert f["o2_cost_trend_ml_kg_km"].iloc[-1] == pytest.approx(row["end_o2_cost_ml_kg_km"])
    # statsmodels result through the formula API, with named coefficients
    assert fit.formula == "I(log_o2_cost - speed_cost_dev) ~ ramp + heat_c_dev + drift_min_dev"
    assert "ramp" in fit.result.params.index
    assert fit.result.params["ramp"] == pytest.approx(
        np.log1p(row["o2_cost_change_pct"] / 100), abs=0.01
    )


def test_fit_runner_matches_analyze(small):
    ds, _, out = small
    blocks = runner_blocks(ds).set_index("runner_id")
    metrics = run_metrics(ds)
    prior = squad_serial_prior(
        metrics, blocks.reset_index(), heat_onset_c=out["heat_onset_c"].iloc[0]
    )
    for rid in ("R01", "R06"):
        block = blocks.loc[rid].copy()
        block["runner_id"] = rid
        fit = fit_runner(
            metrics, block, serial_prior=prior, heat_onset_c=out["heat_onset_c"].iloc[0]
        )
        row = _field(out).set_index("runner_id").loc[rid]
        # fit_runner has no squad, so its headline is the runner's own change:
        # analyze's raw columns; analyze's headline is relative to the controls.
        assert fit.row["reference"] == "none" and row["reference"] == "controls"
        for mine, theirs in [
            ("baseline_o2_cost_ml_kg_km", "baseline_o2_cost_ml_kg_km"),
            ("end_o2_cost_ml_kg_km", "end_o2_cost_ml_kg_km"),
            ("o2_cost_change_pct", "raw_change_pct"),
            ("ci_low_pct", "raw_ci_low_pct"),
            ("ci_high_pct", "raw_ci_high_pct"),
            ("n_baseline_runs", "n_baseline_runs"),
            ("n_block_runs", "n_block_runs"),
            ("n_excluded_runs", "n_excluded_runs"),
        ]:
            assert fit.row[mine] == pytest.approx(row[theirs], rel=1e-9), mine
        assert len(fit.frame) == (metrics["runner_id"] == rid).sum()


def test_analyze_hands_back_the_fits_it_made(small):
    """A report fits each model once: analyze's fits equal fit_runner's, row and frame."""
    ds, _, out = small
    blocks = runner_blocks(ds)
    metrics = run_metrics(ds)
    again, fits = analyze(ds, metrics=metrics, blocks=blocks, return_fits=True)
    pd.testing.assert_frame_equal(again, out)
    assert set(fits) == set(out["runner_id"])
    assert (
        fits["R01"].row["o2_cost_change_pct"]
        == _field(out).set_index("runner_id").loc["R01", "o2_cost_change_pct"]
    )
    # Without the control reference the rows are fit_runner's exactly.
    _, fits = analyze(ds, metrics=metrics, blocks=blocks, control_reference=False, return_fits=True)
    design = {"heat_onset_c": out["heat_onset_c"].iloc[0]}
    prior = squad_serial_prior(metrics, blocks, **design)
    by_id = blocks.set_index("runner_id")
    for rid in ("R01", "R06"):
        block = by_id.loc[rid].copy()
        block["runner_id"] = rid
        alone = fit_runner(metrics, block, serial_prior=prior, lab_tests=ds.lab_tests, **design)
        assert fits[rid].row.keys() == alone.row.keys()
        # pooled with its group of 4 (pooling.POOLED_COLUMNS); its own answer is fit_runner's
        assert (fits[rid].row["pooling"], fits[rid].row["n_pooled_runners"]) == ("group", 4)
        for key, value in alone.row.items():
            if key in POOLED_COLUMNS:
                continue
            got = fits[rid].row[key]
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-12, nan_ok=True), key
            else:
                assert got == value or (pd.isna(got) and pd.isna(value)), key
        assert fits[rid].formula == alone.formula
        pd.testing.assert_frame_equal(fits[rid].frame, alone.frame)
        assert fits[rid].insufficient is alone.insufficient is False
