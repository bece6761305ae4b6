"""The field model of one runner against numbers computed here, not by the model.

Each expected value is written out from the module docstring of
``analysis.models.field``: the design (ramp, heat above 15 degC, drift above
60 min, the Daniels speed offset, each centred at the runner's baseline
medians) built by hand, then dense GLS and Harville's restricted likelihood
at every point of the serial grid with numpy matrices (no Kalman filter),
averaged with the posterior weights; OLS with a Newey-West covariance written
out; counts, reasons, notes and messages written by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import CONFOUNDERS, fit_runner, prepare_runs, squad_serial_prior
from analysis.models.field import (
    SquadPrior,
    _field_rows,
    _select_terms,
    serial_grid_stats,
    squad_prior,
)
from analysis.models.serial import SERIAL_PHI_PER_DAY, SERIAL_VARIANCE_RATIOS
from tests.models._support_models import BLOCK, NUMBERS, _metrics_frame

START = BLOCK["block_start"]
END = BLOCK["block_end"]
GRID = [(0.0, 0.5)] + [(r, p) for r in SERIAL_VARIANCE_RATIOS for p in SERIAL_PHI_PER_DAY]

ANALYZE_NUMBERS = (
    *NUMBERS,
    "typical_error_pct",
    "temp_coef_pct_per_c",
    "temp_coef_ci_low_pct_per_c",
    "temp_coef_ci_high_pct_per_c",
    "ar_phi_per_day",
    "ar_variance_share",
)


def _daniels_cost(v):
    """Daniels & Gilbert (1979) oxygen cost per metre, at least 60 m/min."""
    v = np.maximum(v, 60.0)
    return (-4.60 + 0.182258 * v + 0.000104 * v**2) / v


def _runner(seed=42, *, n_days=None, block=BLOCK, phi=0.8, keep_fraction=0.7, runner_id="X"):
    """A runner's steady runs from the baseline start to the block end: warming
    weather, weekly long runs, varying speed, an AR(1) day state and white noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(block["baseline_start"], block["block_end"], freq="D")
    keep = rng.random(len(dates)) < keep_fraction
    hours = np.where(rng.random(keep.sum()) < 0.3, 18, 7)
    dates = dates[keep] + pd.to_timedelta(hours, unit="h")
    n = len(dates)
    temp = np.linspace(3, 24, n) + rng.normal(0, 3, n)
    minutes = np.where(rng.random(n) < 0.15, 100.0, 40.0 + rng.normal(0, 5, n))
    gas = 200 + rng.normal(0, 15, n)
    day = (dates.normalize() - block["block_start"]).days.to_numpy()
    span = (block["block_end"] - block["block_start"]).days
    ramp = np.clip(day / span, 0, 1)
    t = ((dates - dates[0]) / pd.Timedelta(days=1)).to_numpy()
    state = np.zeros(n)
    for i in range(1, n):
        a = phi ** (t[i] - t[i - 1])
        state[i] = a * state[i - 1] + 0.015 * math.sqrt(1 - a * a) * rng.normal()
    log_cost = (
        np.log(200)
        + np.log(0.96) * ramp
        + 0.012 * np.maximum(temp - 15, 0)
        + 0.001 * np.maximum(minutes - 60, 0)
        + np.log(_daniels_cost(gas) / _daniels_cost(200.0))
        + state
        + rng.normal(0, 0.01, n)
    )
    frame = _metrics_frame(np.exp(log_cost), dates, temp=temp, minutes=minutes, gas=gas)
    frame["runner_id"] = runner_id
    frame["run_id"] = [f"{runner_id}-{i}" for i in range(n)]
    return frame


def _design(frame, block=BLOCK, *, heat=True, drift=True, speed=True, onset=15.0, plateau=None):
    """``y, X, t, names`` of the field model of the runs of ``frame`` (all used),
    built from the module docstring."""
    dates = pd.to_datetime(frame["date"])
    day = (dates.dt.normalize() - block["block_start"]).dt.days.to_numpy()
    span = (block["block_end"] - block["block_start"]).days
    if plateau is not None:
        span = min(span, 7 * plateau)
    base = day < 0
    temp = frame["temp_c"].to_numpy(dtype=float)
    minutes = frame["duration_s"].to_numpy(dtype=float) / 60
    gas = frame["gas_m_min"].to_numpy(dtype=float)
    ref_temp = np.median(temp[base])
    ref_minutes = np.median(minutes[base])
    ref_gas = np.exp(np.median(np.log(gas[base])))
    columns = {"ramp": np.clip(day / span, 0, 1)}
    if heat:
        columns["heat_c_dev"] = np.maximum(temp - onset, 0) - max(ref_temp - onset, 0)
    if drift:
        columns["drift_min_dev"] = np.maximum(minutes - 60, 0) - max(ref_minutes - 60, 0)
    y = np.log(frame["o2_cost_ml_kg_km"].to_numpy(dtype=float))
    offset = np.log(_daniels_cost(gas) / _daniels_cost(ref_gas))
    if speed:
        y = y - offset
    X = np.column_stack([np.ones(len(y)), *columns.values()])
    t = ((dates - dates.iloc[0]) / pd.Timedelta(days=1)).to_numpy()
    return y, X, t, list(columns), {"temp": ref_temp, "gas": ref_gas, "offset": offset}


def _dense_grid(y, X, t):
    """Per (r, phi) of the grid: GLS coefficients, their covariance and the
    restricted log-likelihood (Harville 1977) with ``V = I + r phi^|dt|``."""
    n, p = X.shape
    out = []
    for r, phi in GRID:
        v = np.eye(n) + r * phi ** np.abs(t[:, None] - t[None, :])
        vinv = np.linalg.inv(v)
        xtx = X.T @ vinv @ X
        beta = np.linalg.solve(xtx, X.T @ vinv @ y)
        resid = y - X @ beta
        s2 = resid @ vinv @ resid / (n - p)
        loglik = -0.5 * (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xtx)[1] + (n - p) * np.log(s2))
        out.append((beta, s2 * np.linalg.inv(xtx), loglik))
    return out


def _likelihood(dense):
    loglik = np.array([d[2] for d in dense])
    weight = np.exp(loglik - loglik.max())
    return weight / weight.sum()


def _dense_reml(y, X, t, prior=None):
    """The mixture over the grid: mean, covariance and the REML-best (r, phi)."""
    dense = _dense_grid(y, X, t)
    weight = _likelihood(dense) * (np.ones(len(GRID)) if prior is None else prior)
    weight /= weight.sum()
    mean = sum(w * d[0] for w, d in zip(weight, dense, strict=True))
    cov = sum(
        w * (d[1] + np.outer(d[0] - mean, d[0] - mean)) for w, d in zip(weight, dense, strict=True)
    )
    best = GRID[int(np.argmax([d[2] for d in dense]))]
    return mean, cov, best


def _paule_mandel(b, v):
    """tau^2 with sum w (b - mu)^2 = k - 1, w = 1 / (v + tau^2), by bisection (0 below it)."""

    def q(tau2):
        w = 1.0 / (v + tau2)
        mu = (w * b).sum() / w.sum()
        return (w * (b - mu) ** 2).sum()

    k = len(b)
    if q(0.0) <= k - 1:
        return 0.0
    lo, hi = 0.0, 1.0
    while q(hi) > k - 1:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if q(mid) > k - 1 else (lo, mid)
    return (lo + hi) / 2.0


def _heat_prior(mixtures, names_list):
    """The squad's heat prior from the runners' dense mixtures: Paule-Mandel mean, and
    tau^2 plus the variance of the mean (None with fewer than 5 heat slopes)."""
    b, v = [], []
    for (mean, cov), names in zip(mixtures, names_list, strict=True):
        if "heat_c_dev" in names:
            j = names.index("heat_c_dev") + 1
            b.append(mean[j])
            v.append(cov[j, j])
    if len(b) < 5:
        return None
    b, v = np.array(b), np.array(v)
    tau2 = _paule_mandel(b, v)
    w = 1.0 / (v + tau2)
    return (w * b).sum() / w.sum(), tau2 + 1.0 / w.sum()


def _pooled(mean, cov, names, prior):
    """The posterior with the prior N(mu, v) on the heat slope, in precision form."""
    if prior is None or "heat_c_dev" not in names:
        return mean, cov
    mu, v = prior
    e = np.zeros(len(mean))
    e[names.index("heat_c_dev") + 1] = 1.0
    data_precision = np.linalg.inv(cov)
    post = np.linalg.inv(data_precision + np.outer(e, e) / v)
    return post @ (data_precision @ mean + e * mu / v), post


def _pct(x):
    return 100.0 * (math.exp(x) - 1.0)


def _expected_row(mean, se, df, y, X, names):
    tcrit = stats.t.ppf(0.975, df)
    i = names.index("ramp") + 1
    b = mean[i]
    resid = y - X @ mean
    out = {
        "baseline_o2_cost_ml_kg_km": math.exp(mean[0]),
        "end_o2_cost_ml_kg_km": math.exp(mean[0] + b),
        "raw_change_pct": _pct(b),
        "raw_ci_low_pct": _pct(b - tcrit * se[i]),
        "raw_ci_high_pct": _pct(b + tcrit * se[i]),
        "o2_cost_change_pct": _pct(b),
        "p_value": 2 * stats.t.sf(abs(b / se[i]), df),
        "typical_error_pct": 100 * math.sqrt(resid @ resid / df),
    }
    if "heat_c_dev" in names:
        j = names.index("heat_c_dev") + 1
        out["temp_coef_pct_per_c"] = _pct(mean[j])
        out["temp_coef_ci_low_pct_per_c"] = _pct(mean[j] - tcrit * se[j])
        out["temp_coef_ci_high_pct_per_c"] = _pct(mean[j] + tcrit * se[j])
    return out


def _assert_row(row, expected, rel=1e-8):
    for key, value in expected.items():
        assert row[key] == pytest.approx(value, rel=rel), key


def test_ar1_fit_is_dense_reml_gls_averaged_over_the_grid():
    """One runner, every confounder: the row's numbers are the REML mixture over
    the grid (flat prior: one runner), the statsmodels result is GLS at the
    REML-best point, and the plot frame moves each run to the reference
    conditions with the averaged coefficients."""
    frame = _runner()
    fit = fit_runner(frame, BLOCK)
    y, X, t, names, ref = _design(frame)
    mean, cov, (r, phi) = _dense_reml(y, X, t)
    se = np.sqrt(np.diag(cov))
    n, p = X.shape
    row = fit.row
    _assert_row(row, _expected_row(mean, se, n - p, y, X, names))
    assert row["ci_low_pct"] == row["raw_ci_low_pct"] and row["reference"] == "none"
    assert (r, phi) == (2.0, 0.8)  # the simulated state: AR(1) 0.8/day, 1.5x the white noise
    assert row["ar_phi_per_day"] == phi
    assert row["ar_variance_share"] == pytest.approx(2.0 / 3.0)
    assert row["se_method"] == (
        "GLS, AR(1) in days + white noise (REML: phi 0.80/day, 67 % of error "
        "variance), averaged over the REML grid with a prior learned from the squad; "
        f"t, {n - p} df"
    )
    assert row["model_terms"] == "1 + ramp + heat_c_dev + drift_min_dev + offset(speed_cost_dev)"
    assert row["reference_temp_c"] == pytest.approx(ref["temp"], rel=1e-12)
    assert row["reference_gas_m_min"] == pytest.approx(ref["gas"], rel=1e-12)
    base = int((pd.to_datetime(frame["date"]).dt.normalize() < START).sum())
    assert (row["n_baseline_runs"], row["n_block_runs"]) == (base, n - base)
    assert row["n_excluded_runs"] == 0 and row["excluded_reasons"] == ""
    assert row["warning"] == "" and row["params_defaulted"] is False
    assert (row["group"], row["method"], row["block"]) == ("strength", "field_hr", 1)
    assert (row["block_start"], row["block_end"]) == (START, END)

    # statsmodels' GLS at the REML-best (r, phi), by dense matrices
    v = np.eye(n) + r * phi ** np.abs(t[:, None] - t[None, :])
    vinv = np.linalg.inv(v)
    beta = np.linalg.solve(X.T @ vinv @ X, X.T @ vinv @ y)
    assert fit.formula == "I(log_o2_cost - speed_cost_dev) ~ ramp + heat_c_dev + drift_min_dev"
    np.testing.assert_allclose(fit.result.params.to_numpy(), beta, rtol=1e-8)
    assert list(fit.result.params.index) == ["Intercept", *names]

    # the frame: observed cost moved to the reference conditions, and the trend
    f = fit.frame
    adjusted = np.exp(y - X[:, 2:] @ mean[2:])
    np.testing.assert_allclose(f["o2_cost_adjusted_ml_kg_km"], adjusted, rtol=1e-10)
    trend = np.exp(mean[0] + mean[1] * X[:, 1])
    np.testing.assert_allclose(f["o2_cost_trend_ml_kg_km"], trend, rtol=1e-10)
    np.testing.assert_allclose(f["o2_cost_ml_kg_km"], frame["o2_cost_ml_kg_km"])
    np.testing.assert_allclose(f["ramp"], X[:, 1])
    assert list(f["period"]) == ["baseline"] * base + ["block"] * (n - base)
    assert f["used"].all() and f["steady"].all() and (f["exclude_reason"] == "").all()


def test_white_noise_runner_reports_no_serial_correlation():
    """When independent errors (r = 0) are the REML best, the row has no phi
    and a 0 % AR share; the average over the grid is still the dense mixture."""
    rng = np.random.default_rng(1)
    dates = pd.date_range("2026-01-05 07:00", "2026-04-26 07:00", freq="D")
    n = len(dates)
    day = (dates.normalize() - START).days.to_numpy()
    cost = 200 * np.exp(np.log(0.97) * np.clip(day / 69, 0, 1) + rng.normal(0, 0.02, n))
    frame = _metrics_frame(cost, dates)
    fit = fit_runner(frame, BLOCK)
    y, X, t, _, _ = _design(frame, heat=False, drift=False)
    mean, cov, best = _dense_reml(y, X, t)
    assert best == (0.0, 0.5)
    row = fit.row
    assert math.isnan(row["ar_phi_per_day"]) and row["ar_variance_share"] == 0.0
    assert "phi 0.50/day, 0 % of error variance" in row["se_method"]
    assert row["model_terms"] == "1 + ramp + offset(speed_cost_dev)"
    # temperature and run time are constant: no heat or drift term, no heat slope
    for key in ("temp_coef_pct_per_c", "temp_coef_ci_low_pct_per_c", "temp_coef_ci_high_pct_per_c"):
        assert math.isnan(row[key]), key
    se = np.sqrt(np.diag(cov))
    _assert_row(row, _expected_row(mean, se, n - 2, y, X, ["ramp"]))


def _newey_west(X, resid, lags):
    """Bartlett-kernel HAC covariance of OLS (Newey & West 1987) with the
    small-sample factor n / (n - p)."""
    n, p = X.shape
    score = X * resid[:, None]
    s = score.T @ score
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        g = score[lag:].T @ score[:-lag]
        s += w * (g + g.T)
    bread = np.linalg.inv(X.T @ X)
    return bread @ s @ bread * n / (n - p)


def test_hac_fit_is_ols_with_newey_west_by_hand():
    frame = _runner(7)
    fit = fit_runner(frame, BLOCK, errors="hac")
    y, X, _, names, _ = _design(frame)
    n, p = X.shape
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    lags = math.floor(4 * (n / 100) ** (2 / 9))
    assert lags == 3
    se = np.sqrt(np.diag(_newey_west(X, y - X @ beta, lags)))
    row = fit.row
    _assert_row(row, _expected_row(beta, se, n - p, y, X, names))
    assert row["se_method"] == f"OLS, HAC Newey-West (Bartlett, maxlags=3); t, {n - p} df"
    assert math.isnan(row["ar_phi_per_day"]) and math.isnan(row["ar_variance_share"])
    np.testing.assert_allclose(fit.result.params.to_numpy(), beta, rtol=1e-9)
    np.testing.assert_allclose(fit.result.bse.to_numpy(), se, rtol=1e-9)
    assert fit.formula == "I(log_o2_cost - speed_cost_dev) ~ ramp + heat_c_dev + drift_min_dev"


def test_without_the_speed_offset_the_response_is_the_log_cost():
    """``confounders`` without ``speed_cost_dev``: no offset in the response, the
    formula, the terms or the plot frame's adjusted cost; without heat no
    temperature slope."""
    frame = _runner(3)
    # one of its 79 runs lies 4 robust SDs out (prepare._out_of_line): the model
    # leaves it out, so the formula below is checked on the others
    frame = frame.loc[frame["run_id"] != "X-76"].reset_index(drop=True)
    fit = fit_runner(frame, BLOCK, confounders=("drift_min_dev",))
    assert fit.row["excluded_reasons"] == ""
    y, X, t, names, _ = _design(frame, heat=False, speed=False)
    mean, cov, _ = _dense_reml(y, X, t)
    se = np.sqrt(np.diag(cov))
    row = fit.row
    _assert_row(row, _expected_row(mean, se, len(y) - 3, y, X, names))
    assert row["model_terms"] == "1 + ramp + drift_min_dev"
    assert fit.formula == "log_o2_cost ~ ramp + drift_min_dev"
    assert math.isnan(row["temp_coef_pct_per_c"])
    adjusted = np.exp(y - X[:, 2] * mean[2])
    np.testing.assert_allclose(fit.frame["o2_cost_adjusted_ml_kg_km"], adjusted, rtol=1e-10)
    # and through HAC: the same formula with OLS
    hac = fit_runner(frame, BLOCK, errors="hac", confounders=("drift_min_dev",))
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(hac.result.params.to_numpy(), beta, rtol=1e-9)
    assert hac.formula == "log_o2_cost ~ ramp + drift_min_dev"


def test_select_terms_keeps_what_adds_to_the_rank():
    n = 12
    ramp = np.clip(np.arange(n) / 6 - 0.5, 0, 1)
    drift = np.array([0.0, 40, 0, 0, 35, 0, 0, 50, 0, 0, 45, 0])
    heat = np.linspace(-3, 6, n)
    cols = {"ramp": ramp, "heat_c_dev": heat, "drift_min_dev": drift}
    assert _select_terms(cols, True) == ["ramp", "heat_c_dev", "drift_min_dev"]
    # without use_temp, or outside the confounders, a column is never a term
    assert _select_terms(cols, False) == ["ramp", "drift_min_dev"]
    assert _select_terms(cols, True, ("drift_min_dev",)) == ["ramp", "drift_min_dev"]
    assert _select_terms(cols, True, ()) == ["ramp"]
    # a constant column (ptp 0) and one with a NaN are left out
    assert _select_terms({**cols, "heat_c_dev": np.full(n, 2.0)}, True) == ["ramp", "drift_min_dev"]
    nan_heat = heat.copy()
    nan_heat[3] = np.nan
    assert _select_terms({**cols, "heat_c_dev": nan_heat}, True) == ["ramp", "drift_min_dev"]
    tiny = np.r_[np.zeros(n - 1), 2e-9]  # varies by more than 1e-9: kept
    assert _select_terms({**cols, "heat_c_dev": tiny}, True)[:2] == ["ramp", "heat_c_dev"]
    # rank deficient: drift a multiple of heat, so heat (first in FIELD_TERMS) stays
    assert _select_terms({**cols, "drift_min_dev": 3 * heat}, True) == ["ramp", "heat_c_dev"]
    # heat an affine function of the ramp: it adds nothing, drift still does
    assert _select_terms({**cols, "heat_c_dev": 2 * ramp - 1}, True) == ["ramp", "drift_min_dev"]


def test_collinear_heat_and_drift_keep_only_heat():
    """Every run hotter than 15 degC by its minutes beyond 60, less 50: the
    centred heat and drift columns are equal, so the design keeps heat alone,
    and the fit is that of the smaller design."""
    frame = _runner(5)
    minutes = frame["duration_s"].to_numpy() / 60
    frame["duration_s"] = 60 * np.maximum(minutes, 61.0)
    frame["temp_c"] = frame["duration_s"] / 60 - 60 + 15
    fit = fit_runner(frame, BLOCK, errors="hac")
    assert fit.row["model_terms"] == "1 + ramp + heat_c_dev + offset(speed_cost_dev)"
    y, X, _, _, _ = _design(frame, drift=False)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(fit.result.params.to_numpy(), beta, rtol=1e-9)


def test_excluded_runs_are_counted_with_their_reasons():
    """In-window runs left out, by reason (most frequent first, then by name),
    plus quarantined rows; runs outside the window are not counted at all."""
    frame = _runner(11)
    n = len(frame)
    frame["exclude_reason"] = frame["exclude_reason"].astype(object)
    frame.loc[[3, 40], ["steady", "exclude_reason"]] = [False, "interval"]
    frame.loc[[5, 41], ["steady", "exclude_reason"]] = [False, ""]  # no reason given
    frame.loc[[50], ["steady", "exclude_reason"]] = [False, "race"]
    frame["steady"] = frame["steady"].astype(object)
    frame.loc[[52], ["steady", "exclude_reason"]] = [np.nan, ""]  # unknown: not steady
    frame.loc[[7], "o2_cost_ml_kg_km"] = np.nan
    frame.loc[[9], "o2_cost_ml_kg_km"] = -1.0
    outside = frame.iloc[[0, 1]].copy()
    outside["date"] = pd.to_datetime(outside["date"]) - pd.Timedelta(days=30)
    outside["run_id"] = ["early-0", "early-1"]
    outside["steady"] = False
    frame = pd.concat([outside, frame], ignore_index=True)
    fit = fit_runner(frame, BLOCK, n_quarantined=4, errors="hac")
    row = fit.row
    assert row["excluded_reasons"] == (
        "not steady: 3; interval: 2; no oxygen cost: 2; race: 1; quarantined: 4"
    )
    assert row["n_excluded_runs"] == 8 + 4
    day = pd.to_datetime(frame["date"]).dt.normalize()
    used = frame["steady"].eq(True) & (frame["o2_cost_ml_kg_km"] > 0)
    assert row["n_baseline_runs"] == int(
        (used & (day >= BLOCK["baseline_start"]) & (day < START)).sum()
    )
    assert row["n_block_runs"] == int((used & (day >= START)).sum())
    assert row["n_baseline_runs"] + row["n_block_runs"] == n - 8
    f = fit.frame
    assert len(f) == n + 2
    assert list(f["period"].iloc[:2]) == ["outside", "outside"]
    assert f["steady"].dtype == bool and f["steady"].sum() == n - 6  # NaN steady: False
    assert f["o2_cost_adjusted_ml_kg_km"].isna().sum() == 10  # 2 outside + 8 left out
    assert f["o2_cost_trend_ml_kg_km"].isna().sum() == 2  # the trend spans the window
    assert list(f.loc[f["run_id"] == "X-3", "exclude_reason"]) == ["interval"]
    # quarantined rows alone: the reasons are only that
    clean = fit_runner(_runner(11), BLOCK, n_quarantined=2, errors="hac")
    assert clean.row["excluded_reasons"] == "quarantined: 2"
    assert clean.row["n_excluded_runs"] == 2


def test_defaulted_parameters_are_flagged_only_from_runs_in_the_model():
    frame = _runner(2)
    frame["defaulted"] = pd.Series(False, index=frame.index, dtype=object)
    frame.loc[4, ["defaulted", "steady"]] = [True, False]  # left out: does not count
    frame.loc[6, "defaulted"] = np.nan
    assert fit_runner(frame, BLOCK, errors="hac").row["params_defaulted"] is False
    frame.loc[8, "defaulted"] = True
    assert fit_runner(frame, BLOCK, errors="hac").row["params_defaulted"] is True


def _block(start="2026-02-16", days=80, **extra):
    start = pd.Timestamp(start)
    return {
        "runner_id": "X",
        "group": "strength",
        "block_start": start,
        "block_end": start + pd.Timedelta(days=days),
        "block_source": "blocks.csv",
        "baseline_start": start - pd.Timedelta(weeks=6),
        "block_weeks": (days + 1) / 7,
        "warning": "",
        **extra,
    }


@pytest.mark.parametrize(("last_day", "note"), [(60, None), (59, 74), (53, 66)])
def test_a_block_whose_runs_stop_early_is_said_to_be_extrapolated(last_day, note):
    """The last steady run at 60 of 80 days (75 %) gives no note; at 59 or 53 days it does."""
    block = _block()
    frame = _runner(4, block=block)
    day = (pd.to_datetime(frame["date"]).dt.normalize() - block["block_start"]).dt.days
    frame = frame.loc[day <= last_day]
    row = fit_runner(frame, block, errors="hac").row
    if note is None:
        assert row["warning"] == ""
    else:
        assert row["warning"] == (
            f"last steady run at {note} % of the block: the end value is extrapolated"
        )


def test_warnings_of_the_block_and_of_missing_temperature_are_joined():
    block = _block(warning="block dates inferred")
    frame = _runner(4, block=block)
    frame.loc[frame.index[::2], "temp_c"] = np.nan  # half the runs: too few to adjust
    frame.loc[frame.index[1], "temp_c"] = np.nan
    fit = fit_runner(frame, block, errors="hac")
    assert fit.row["warning"] == (
        "block dates inferred; temperature missing on most runs: not adjusted for temperature"
    )
    assert fit.row["model_terms"] == "1 + ramp + drift_min_dev + offset(speed_cost_dev)"
    assert fit.row["excluded_reasons"] == ""  # runs without temperature stay in
    assert math.isnan(fit.row["reference_temp_c"]) is False


def _assert_insufficient(row, reason):
    assert row["verdict"] == f"insufficient data: {reason}"
    for key in ANALYZE_NUMBERS:
        assert isinstance(row[key], float) and math.isnan(row[key]), key
    assert row["model_terms"] == "" and row["se_method"] == ""


def test_insufficient_data_says_why():
    frame = _runner(6)
    day = (pd.to_datetime(frame["date"]).dt.normalize() - START).dt.days
    no_dates = {**BLOCK, "block_start": pd.NaT, "block_end": pd.NaT}
    for key in ("block_source", "baseline_start", "block_weeks"):
        del no_dates[key]
    fit = fit_runner(frame, no_dates)
    _assert_insufficient(fit.row, "no block dates (no runner in the squad has a strength block)")
    assert fit.row["block_source"] == "none" and fit.result is None and fit.formula == ""
    none_source = fit_runner(frame, {**BLOCK, "block_source": "none"})
    _assert_insufficient(
        none_source.row, "no block dates (no runner in the squad has a strength block)"
    )
    _assert_insufficient(fit_runner(frame.iloc[:0], BLOCK).row, "no runs")
    late = frame.copy()
    late["date"] = pd.to_datetime(late["date"]) + pd.Timedelta(days=200)
    _assert_insufficient(
        fit_runner(late, BLOCK).row, "no runs between baseline start and block end"
    )
    no_hr = frame.assign(avg_hr_bpm=np.nan)
    _assert_insufficient(fit_runner(no_hr, BLOCK).row, "no heart rate")
    problem = fit_runner(frame, {**BLOCK, "problem": "overlaps block 1"})
    _assert_insufficient(problem.row, "overlaps block 1")
    # 7 baseline runs are too few, 8 are enough (the block keeps all of its runs)
    base_positions = np.flatnonzero(day < 0)
    seven = frame.drop(frame.index[base_positions[7:]])
    n_block = int((day >= 0).sum())
    _assert_insufficient(
        fit_runner(seven, BLOCK).row,
        f"7 steady runs in the baseline and {n_block} in the block (need 8 in each)",
    )
    eight = frame.drop(frame.index[base_positions[8:]])
    assert fit_runner(eight, BLOCK, errors="hac").row["verdict"] != "insufficient data"
    assert not fit_runner(eight, BLOCK, errors="hac").insufficient
    # and the block side: 7 runs in the block
    block_positions = np.flatnonzero(day >= 0)
    few_block = frame.drop(frame.index[block_positions[7:]])
    n_base = int((day < 0).sum())
    _assert_insufficient(
        fit_runner(few_block, BLOCK).row,
        f"{n_base} steady runs in the baseline and 7 in the block (need 8 in each)",
    )
    eight_block = frame.drop(frame.index[block_positions[8:]])
    assert not fit_runner(eight_block, BLOCK, errors="hac").insufficient


def test_fit_runner_fills_the_block_from_its_dates():
    """A block with dates only: baseline ``baseline_weeks`` before the start, the
    block's length in weeks counting both end days, the source blocks.csv."""
    frame = _runner(8)
    bare = {"runner_id": "X", "block_start": START, "block_end": END}
    row = fit_runner(frame, bare, baseline_weeks=4, errors="hac").row
    assert row["baseline_start"] == START - pd.Timedelta(weeks=4)
    assert row["block_weeks"] == pytest.approx(70 / 7)
    assert row["block_source"] == "blocks.csv" and row["group"] == "" and row["warning"] == ""
    day = (pd.to_datetime(frame["date"]).dt.normalize() - START).dt.days
    assert row["n_baseline_runs"] == int(((day >= -28) & (day < 0)).sum())
    assert row["block"] == 1
    # a pandas Series block gives the same row
    again = fit_runner(frame, pd.Series(bare), baseline_weeks=4, errors="hac").row
    assert again["o2_cost_change_pct"] == row["o2_cost_change_pct"]


def test_options_are_checked_with_their_names():
    frame = _runner(9)
    with pytest.raises(ValueError) as err:
        fit_runner(frame, {"block_start": START, "block_end": END})
    assert str(err.value) == (
        "The 'block' parameter of fit_runner must be a runner_blocks row with "
        "runner_id, block_start and block_end."
    )
    with pytest.raises(ValueError) as err:
        fit_runner(frame, BLOCK, errors="ols")
    assert str(err.value) == (
        "The 'errors' parameter of fit_runner must be one of 'ar1', 'hac'. Got 'ols' instead."
    )
    for bad in ("heat_c_dev", ("heat_c_dev", "temp_c")):
        with pytest.raises(ValueError) as err:
            fit_runner(frame, BLOCK, confounders=bad)
        assert str(err.value) == (
            "The 'confounders' parameter of fit_runner must be a collection of "
            "'heat_c_dev', 'drift_min_dev', 'device_dev', 'shoes_dev', 'post_strength_dev', "
            "'clock_dev', 'speed_cost_dev'. "
            f"Got {bad!r} instead."
        )


def _squad_frames(n_runners=5):
    frames = [_runner(20 + k, runner_id=f"R{k}") for k in range(n_runners)]
    blocks = pd.DataFrame([{**BLOCK, "runner_id": f"R{k}"} for k in range(n_runners)])
    return frames, blocks


def test_the_squad_prior_is_learned_from_each_runners_dense_likelihood():
    """Five runners: the serial likelihoods are each runner's dense restricted
    likelihood over the grid (normalised), the prior is the EM mixing
    distribution of them (written out here), the heat prior the Paule-Mandel
    mean and spread of the runners' dense heat slopes under it, and a runner
    fitted with them gets its dense mixture with the heat prior added."""
    frames, blocks = _squad_frames()
    metrics = pd.concat(frames, ignore_index=True)
    prep = prepare_runs(metrics, blocks)
    like = serial_grid_stats(blocks, prep)[0]
    dense = [_likelihood(_dense_grid(*_design(f)[:3])) for f in frames]
    np.testing.assert_allclose(like, np.array(dense), rtol=1e-6, atol=1e-12)
    # Laird's EM with one pseudo-runner spread evenly, 200 steps
    G = len(GRID)
    pi = np.full(G, 1.0 / G)
    for _ in range(200):
        post = pi * np.array(dense)
        post /= post.sum(axis=1, keepdims=True)
        pi = (post.sum(axis=0) + 1.0 / G) / (len(dense) + 1.0)
    designs = [_design(f) for f in frames]
    mixtures = [_dense_reml(y, X, t, prior=pi)[:2] for y, X, t, _, _ in designs]
    heat = _heat_prior(mixtures, [d[3] for d in designs])
    assert heat is not None  # all five runners have a heat slope: it is pooled
    prior = squad_serial_prior(metrics, blocks)
    np.testing.assert_allclose(prior.serial, pi, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(prior.heat, heat, rtol=1e-5)
    fit = fit_runner(metrics, blocks.iloc[2], serial_prior=prior, errors="ar1")
    y, X, t, names, _ = designs[2]
    mean, cov = _pooled(*_dense_reml(y, X, t, prior=prior.serial)[:2], names, prior.heat)
    _assert_row(fit.row, _expected_row(mean, np.sqrt(np.diag(cov)), len(y) - 4, y, X, names))
    assert "heat slope pooled with the squad's" in fit.row["se_method"]
    # the squad's rows: each runner's own design with the squad's priors
    rows, used_prior = _field_rows(blocks, prep, {"R4": 1}, "ar1", CONFOUNDERS)
    np.testing.assert_allclose(used_prior.serial, pi, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(used_prior.heat, heat, rtol=1e-5)
    for k, (row, _) in enumerate(rows):
        assert row["runner_id"] == f"R{k}"
        y, X, t, names, _ = designs[k]
        mean, cov = _pooled(*_dense_reml(y, X, t, prior=used_prior.serial)[:2], names, heat)
        assert row["_b"] == pytest.approx(mean[1], rel=1e-6)
        assert row["_se"] == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-6)
        assert row["_df"] == len(y) - 4
    assert rows[4][0]["excluded_reasons"] == "quarantined: 1"
    assert rows[4][0]["n_excluded_runs"] == 1
    # without the heat prior (SquadPrior(..., None)) each runner keeps its own slope
    rows, _ = _field_rows(blocks, prep, {}, "ar1", CONFOUNDERS, serial_prior=SquadPrior(pi, None))
    y, X, t, names, _ = designs[0]
    mean, cov, _ = _dense_reml(y, X, t, prior=pi)
    assert rows[0][0]["_b"] == pytest.approx(mean[1], rel=1e-6)
    assert rows[0][0]["_se"] == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-6)
    assert "pooled" not in rows[0][0]["se_method"]


def test_a_squad_without_a_runner_to_model_has_no_prior():
    frames, blocks = _squad_frames(2)
    metrics = pd.concat(frames, ignore_index=True).assign(avg_hr_bpm=np.nan)
    prep = prepare_runs(metrics, blocks)
    assert serial_grid_stats(blocks, prep)[0].shape == (0, len(GRID))
    assert squad_serial_prior(metrics, blocks) is None
    rows, prior = _field_rows(blocks, prep, {}, "ar1", CONFOUNDERS)
    assert prior is None
    assert [r["verdict"] for r, _ in rows] == ["insufficient data: no heart rate"] * 2
    assert [f for _, f in rows] == [None, None]


class _Counter:
    def __init__(self):
        self.n = 0

    def update(self, k):
        self.n += k


def test_progress_counts_every_runner_once():
    """Three runners, one without heart rate: three steps in all, whether the
    runner is fitted (one step each) or not."""
    frames, blocks = _squad_frames(3)
    frames[1] = frames[1].assign(avg_hr_bpm=np.nan)
    prep = prepare_runs(pd.concat(frames, ignore_index=True), blocks)
    for errors in ("ar1", "hac"):
        counter = _Counter()
        rows, _ = _field_rows(blocks, prep, {}, errors, CONFOUNDERS, progress=counter)
        assert counter.n == 3
        assert [f is None for _, f in rows] == [False, True, False]


def test_two_runners_keep_each_runners_own_design():
    """Two runners fitted together: each row is that runner's dense REML fit with
    the prior of the two (flat: fewer than five runners), and its statsmodels
    result is GLS at its own REML-best point, whatever the other runner looks like."""
    frames, blocks = _squad_frames(2)
    frames[1] = frames[1].iloc[::2]  # a sparser second runner
    metrics = pd.concat(frames, ignore_index=True)
    prep = prepare_runs(metrics, blocks)
    rows, prior = _field_rows(blocks, prep, {}, "ar1", CONFOUNDERS, formula=True)
    np.testing.assert_allclose(prior.serial, 1.0 / len(GRID))
    assert prior.heat is None  # two heat slopes are too few to pool
    for k, (row, fit) in enumerate(rows):
        y, X, t, names, _ = _design(frames[k])
        mean, cov, (r, phi) = _dense_reml(y, X, t)
        assert row["_b"] == pytest.approx(mean[1], rel=1e-8)
        assert row["_se"] == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-8)
        v = np.eye(len(t)) + r * phi ** np.abs(t[:, None] - t[None, :])
        vinv = np.linalg.inv(v)
        beta = np.linalg.solve(X.T @ vinv @ X, X.T @ vinv @ y)
        np.testing.assert_allclose(fit.result.params.to_numpy(), beta, rtol=1e-8)


def test_a_learned_heat_onset_and_plateau_enter_the_design():
    """``heat_onset_c`` 10 degC and a change that plateaus after 5 weeks: the
    design of the dense fit uses both, and the row reports them."""
    frame = _runner(12)
    fit = fit_runner(frame, BLOCK, heat_onset_c=10.0, ramp_weeks=5.0)
    y, X, t, names, _ = _design(frame, onset=10.0, plateau=5.0)
    assert (X[:, 1] == 1).sum() > 20  # on the plateau: the last 5 of the 10 weeks
    mean, cov, _ = _dense_reml(y, X, t)
    _assert_row(fit.row, _expected_row(mean, np.sqrt(np.diag(cov)), len(y) - 4, y, X, names))
    assert fit.row["heat_onset_c"] == 10.0 and fit.row["plateau_weeks"] == 5.0
    np.testing.assert_allclose(fit.frame["ramp"], X[:, 1])


def test_a_block_given_as_key_value_pairs_is_read_like_a_mapping():
    frame = _runner(13)
    pairs = fit_runner(frame, list(BLOCK.items()), errors="hac").row
    mapping = fit_runner(frame, BLOCK, errors="hac").row
    assert pairs["o2_cost_change_pct"] == mapping["o2_cost_change_pct"]
    assert pairs["block_start"] == START and pairs["block_end"] == END


def test_lab_vo2max_around_the_block_comes_with_the_row():
    """The last maximal test (RER >= 1.10) on or before the block start and the
    first on or after its end, picked by hand from four tests."""
    frame = _runner(14)
    lab = pd.DataFrame(
        [
            ("X", "2026-01-10", 55.0, 1.15),
            ("X", "2026-02-10", 57.0, 1.12),  # the last before the block
            ("X", "2026-04-27", 59.5, 1.11),  # the first after it
            ("X", "2026-05-20", 62.0, 1.13),
        ],
        columns=["runner_id", "date", "vo2_ml_kg_min", "rer"],
    ).assign(date=lambda f: pd.to_datetime(f["date"]))
    row = fit_runner(frame, BLOCK, errors="hac", lab_tests=lab).row
    assert (row["lab_vo2max_pre"], row["lab_vo2max_post"]) == (57.0, 59.5)
    row = fit_runner(frame, BLOCK, errors="hac").row
    assert math.isnan(row["lab_vo2max_pre"]) and math.isnan(row["lab_vo2max_post"])


def test_the_squad_prior_from_chunks_is_the_squad_prior_of_the_whole_squad():
    """The squad prior learned from its runners' grid statistics handed over in
    chunks (as a streamed ``analyze`` gets them, one chunk's heat-slope moments
    computed at a time) is, to the bit, the one learned from the same statistics
    in one piece."""
    frames, blocks = _squad_frames(7)
    prep = prepare_runs(pd.concat(frames, ignore_index=True), blocks)
    stats = serial_grid_stats(blocks, prep)
    whole = squad_prior([stats])
    cuts = [slice(0, 3), slice(3, 4), slice(4, 7)]
    chunked = squad_prior(tuple(a[cut] for a in stats) for cut in cuts)
    assert whole.heat is not None
    np.testing.assert_array_equal(chunked.serial, whole.serial)
    assert chunked.heat == whole.heat


def test_the_squad_prior_follows_the_design_options():
    """With a 10 degC onset, a 5-week plateau and no drift term, the squad's
    prior is the EM mixing distribution of the dense likelihoods of that design."""
    frames, blocks = _squad_frames()
    metrics = pd.concat(frames, ignore_index=True)
    options = {"heat_onset_c": 10.0, "ramp_weeks": 5.0}
    prior = squad_serial_prior(
        metrics, blocks, confounders=("heat_c_dev", "speed_cost_dev"), **options
    )
    dense = np.array(
        [
            _likelihood(_dense_grid(*_design(f, drift=False, onset=10.0, plateau=5.0)[:3]))
            for f in frames
        ]
    )
    G = len(GRID)
    pi = np.full(G, 1.0 / G)
    for _ in range(200):
        post = pi * dense
        post /= post.sum(axis=1, keepdims=True)
        pi = (post.sum(axis=0) + 1.0 / G) / (len(dense) + 1.0)
    np.testing.assert_allclose(prior.serial, pi, rtol=1e-5, atol=1e-12)


def test_a_row_has_exactly_the_analyze_columns():
    """DATA_FORMAT.md's columns and the extras, no more and no fewer, whether the
    runner is modelled or not; an unmodelled runner has no reference values."""
    from analysis.models import ANALYZE_COLUMNS, EXTRA_COLUMNS

    frame = _runner(15)
    expected = set(ANALYZE_COLUMNS) | set(EXTRA_COLUMNS)
    fitted = fit_runner(frame, BLOCK, errors="hac").row
    assert set(fitted) == expected
    missing = fit_runner(frame.assign(avg_hr_bpm=np.nan), BLOCK).row
    assert set(missing) == expected
    for key in ("reference_temp_c", "reference_gas_m_min", "reference_speed_kmh"):
        assert math.isnan(missing[key]), key
    assert missing["lab_pre_date"] is pd.NaT and missing["lab_post_date"] is pd.NaT


def test_a_runner_without_runs_has_zero_counts_and_no_reasons():
    row = fit_runner(_runner(16).iloc[:0], BLOCK).row
    assert row["verdict"] == "insufficient data: no runs"
    assert (row["n_baseline_runs"], row["n_block_runs"], row["n_excluded_runs"]) == (0, 0, 0)
    assert row["excluded_reasons"] == "" and row["params_defaulted"] is False
    # one run, before the baseline: it has runs, none in the window
    early = _runner(16).iloc[:1].assign(date=pd.Timestamp("2025-11-01 07:00"))
    row = fit_runner(early, BLOCK).row
    assert row["verdict"] == "insufficient data: no runs between baseline start and block end"
    assert row["n_excluded_runs"] == 0


def test_the_block_number_comes_from_the_block():
    frame = _runner(17)
    assert fit_runner(frame, {**BLOCK, "block": 2}, errors="hac").row["block"] == 2


def test_a_column_varying_by_exactly_1e9_is_constant():
    n = 12
    ramp = np.clip(np.arange(n) / 6 - 0.5, 0, 1)
    drift = np.array([0.0, 40, 0, 0, 35, 0, 0, 50, 0, 0, 45, 0])
    heat = np.r_[np.zeros(n - 1), 1e-9]
    assert np.ptp(heat) == 1e-9
    cols = {"ramp": ramp, "heat_c_dev": heat, "drift_min_dev": drift}
    assert _select_terms(cols, True) == ["ramp", "drift_min_dev"]


def test_the_squads_runners_report_their_own_serial_correlation():
    """Each runner's REML-best (r, phi) from the dense likelihood, in the row's
    phi, AR share and SE method; the squad's fits without formulas carry no
    statsmodels result, and a formula fit's intervals use Student t."""
    frames, blocks = _squad_frames(6)
    frames[5] = _runner(40, phi=0.5, runner_id="R5")
    metrics = pd.concat(frames, ignore_index=True)
    prep = prepare_runs(metrics, blocks)
    rows, prior = _field_rows(blocks, prep, {}, "ar1", CONFOUNDERS)
    seen = set()
    for k, (row, fit) in enumerate(rows):
        y, X, t, _, _ = _design(frames[k])
        _, _, (r, phi) = _dense_reml(y, X, t)
        seen.add(r)
        share = r / (1 + r)
        assert row["ar_variance_share"] == pytest.approx(share)
        if r > 0:
            assert row["ar_phi_per_day"] == phi
        else:
            assert math.isnan(row["ar_phi_per_day"])
        assert row["se_method"].startswith(
            f"GLS, AR(1) in days + white noise (REML: phi {phi:.2f}/day, "
            f"{100 * share:.0f} % of error variance)"
        )
        assert fit.result is None
    assert seen & {0.5, 1.0} and seen & {0.5, 4.0, 8.0, 16.0}, seen
    # statsmodels' GLS through fit_runner: t intervals at the REML-best point
    fit = fit_runner(metrics, blocks.iloc[5], serial_prior=prior)
    y, X, t, _, _ = _design(frames[5])
    _, _, (r, phi) = _dense_reml(y, X, t)
    v = np.eye(len(t)) + r * phi ** np.abs(t[:, None] - t[None, :])
    vinv = np.linalg.inv(v)
    xtx = X.T @ vinv @ X
    beta = np.linalg.solve(xtx, X.T @ vinv @ y)
    resid = y - X @ beta
    df = len(y) - 4
    se = np.sqrt(np.diag(resid @ vinv @ resid / df * np.linalg.inv(xtx)))
    tcrit = stats.t.ppf(0.975, df)
    ci = fit.result.conf_int().to_numpy()
    np.testing.assert_allclose(ci[:, 0], beta - tcrit * se, rtol=1e-8)
    np.testing.assert_allclose(ci[:, 1], beta + tcrit * se, rtol=1e-8)
