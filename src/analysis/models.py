"""Did running economy change during the strength block? Per runner and per squad.

Three levels, each returning a tidy frame (``STYLE.md``, "Results"):

- :func:`analyze`: one row per runner and method (``field_hr`` from the
  steady runs, ``lab`` from treadmill tests), with exactly the
  ``DATA_FORMAT.md`` ``analyze`` columns first (``ANALYZE_COLUMNS``), then the
  extras in ``EXTRA_COLUMNS``. :func:`fit_runner` is the same field model for
  one runner, with the statsmodels results and a frame for plotting.
- :func:`squad_model`: a linear mixed model over all runners, the
  strength-minus-control difference of the change with its CI.
- :func:`dose_response`: the change versus how much strength work was done
  (:func:`runner_doses`), across the strength group.

The field model (per runner)
----------------------------
On the runner's steady runs between ``baseline_start`` and ``block_end``
(intervals, races, runs without heart rate and the other reasons of
:func:`analysis.metrics.run_metrics` left out and counted)::

    log(o2_cost) - speed_cost_dev = b0 + b_ramp * ramp
                   + b_heat * (max(temp_c - 15, 0) - H_ref)
                   + b_drift * (max(minutes - 60, 0) - D_ref) + e

    speed_cost_dev = log(c(gas_m_min)) - log(c(v_ref)),  c(v) = daniels_vo2(v) / v

- ``ramp`` is 0 through the baseline and rises linearly from 0 on
  ``block_start`` to 1 on ``block_end``: adaptation accrues over weeks, and a
  before/after comparison of means averages the ramp over the block and
  reports about half of a gradual change (``tests/test_models.py``).
- Heat: heart rate rises with air temperature without any change in economy.
  The rise is taken to start at ``HEAT_ONSET_C`` (15 degC; coaching figures
  put it at ~1 bpm per degC above ~15-20 degC, SCIENCE.md section 6) and its
  slope is estimated per runner (``temp_coef_pct_per_c``, % of cost per degC
  above 15 degC, with its CI). A straight line through all temperatures was
  tried: spring temperatures trend with the block, so the line competes with
  the ramp and, on the simulated squads, raised the mean absolute error from
  1.16 to 1.39 pp, while below ~15 degC heart rate hardly responds. Leaving
  heat out biased a March-May block by +4.5 pp.
- Cardiac drift: heart rate drifts up on long runs (Coyle & Gonzalez-Alonso
  2001); the term is the run time beyond ``DRIFT_ONSET_MIN`` (60 min), since
  drift accrues with time (60 min is about 12 km at easy pace).
- Speed: oxygen cost per km rises with speed (about 13 % from 9 to 15
  km/h on Daniels & Gilbert's curve, Oxygen Power 1979, SCIENCE.md section
  1; :func:`analysis.physiology.daniels_vo2`),
  so a run's cost is moved to the reference speed along that published curve
  (:func:`daniels_cost_log_ratio`, at the grade-adjusted speed, so grade is
  already in it): a fixed offset, not a fitted coefficient. On the simulated
  squads it lowers the typical error from 3.3 to 2.8 % like a free
  coefficient of log speed did, but a free coefficient can absorb part of
  the ramp: a runner who paces easy runs by heart rate or feel shows better
  economy as faster running at the same heart rate, so speed rises with the
  ramp, and good days (better economy) are faster days. On HR-paced squads
  (``simulate_squad(pacing="hr", econ_day_sd=0.03)``, true change -5 %) the
  free coefficient biased the change by +0.6 pp, the offset by +0.05 pp
  (300 strength runners; ``tests/test_models.py``); on plan-paced squads both
  are unbiased (+0.02 pp, mean absolute error 1.16 pp, coverage 97 %).
  Dropping speed altogether biased HR-paced runners by +0.9 pp. The offset
  assumes the runner's cost-speed curve has Daniels' shape (a constant
  multiple of it); ``confounders`` without ``speed_cost_dev`` turns it off.
- ``H_ref``, ``D_ref`` and ``v_ref`` are the runner's reference conditions:
  the baseline median temperature, run time and speed. So ``exp(b0)`` is the
  baseline oxygen cost in the runner's typical baseline conditions,
  ``exp(b0 + b_ramp)`` the cost at the end of the block in the same
  conditions, and the change is ``100 * (exp(b_ramp) - 1)`` %.
- ``e`` is white noise plus a continuous-time AR(1) process in days (a
  day-level state of sleep, fatigue and hydration), with both variance
  parameters estimated by REML; see :func:`fit_runner` for why this and not
  Newey-West.

No pre-block trend is fitted: six weeks of baseline cannot separate one from
noise, and seasonal trends are what the control group is for (SCIENCE.md
section 9). Heart-rate based economy cannot separate economy from aerobic
fitness (SCIENCE.md section 6).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import special

from analysis.blocks import runner_blocks
from analysis.io.dataset import Dataset
from analysis.io.errors import DataError
from analysis.metrics import lab_metrics, run_metrics
from analysis.physiology import daniels_vo2
from analysis.strength import week_start, weekly_strength

ANALYZE_COLUMNS = (
    "runner_id",
    "group",
    "method",
    "block_start",
    "block_end",
    "baseline_o2_cost_ml_kg_km",
    "end_o2_cost_ml_kg_km",
    "o2_cost_change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
    "n_baseline_runs",
    "n_block_runs",
    "n_excluded_runs",
    "verdict",
)
"""The ``analyze`` output columns of DATA_FORMAT.md, in order."""

EXTRA_COLUMNS = (
    "block_source",
    "baseline_start",
    "block_weeks",
    "typical_error_pct",
    "temp_coef_pct_per_c",
    "temp_coef_ci_low_pct_per_c",
    "temp_coef_ci_high_pct_per_c",
    "ar_phi_per_day",
    "ar_variance_share",
    "reference_temp_c",
    "reference_gas_m_min",
    "reference_speed_kmh",
    "lab_pre_date",
    "lab_post_date",
    "model_terms",
    "se_method",
    "params_defaulted",
    "excluded_reasons",
    "warning",
)
"""Columns :func:`analyze` adds after ``ANALYZE_COLUMNS``."""

FIELD_METHOD = "field_hr"
LAB_METHOD = "lab"

MIN_STEADY_RUNS = 8
"""Steady runs needed in the baseline and in the block. With a field typical
error of 3-6 % per run (SCIENCE.md section 5) fewer runs give a CI too wide to
say anything about a 2-5 % change."""

DRIFT_ONSET_MIN = 60.0
"""Cardiac drift term: run duration beyond this [min]. Heart rate drifts
upwards at a constant pace after about an hour of running (Coyle &
Gonzalez-Alonso 2001, SCIENCE.md section 6); drift accrues with time, so the
term is in minutes rather than kilometres (about 12 km at easy pace)."""

HEAT_ONSET_C = 15.0
"""Heat term: air temperature beyond this [degC]. Coaching figures put the HR
cost of heat at about 1 bpm per degC above ~15-20 degC (SCIENCE.md section 6,
no verified constant), so only the onset is fixed; the slope is estimated per
runner. Below the onset air temperature is taken to leave heart rate alone."""

MIN_TEMP_FRACTION = 0.5
"""A runner whose steady runs have a temperature at least this often is
adjusted for temperature, and the steady runs without one are left out
("no temperature"); below it the temperature term is dropped and a warning
says so. Imputing the missing temperatures with the runner's median would put
the warming season into the residual of exactly those runs and bias the ramp."""

LAB_POST_WINDOW = pd.Timedelta(weeks=2)
"""A lab test counts as the post-block test from ``block_end`` minus two weeks
on (tests are often done in the last week of a block)."""

CONFIDENCE = 0.95

FIELD_TERMS = ("ramp", "heat_c_dev", "drift_min_dev")
"""Regressors of the field model, in order (``ramp`` always)."""

SPEED_OFFSET = "speed_cost_dev"
"""The speed adjustment: a fixed offset, not a regressor (module docstring)."""

SPEED_FLOOR_M_MIN = 60.0
"""Grade-adjusted speeds below this [m/min] (3.6 km/h, walking) enter the
speed offset at this speed: Daniels' curve is fitted to running speeds and
its cost per km turns negative below about 25 m/min."""

CONFOUNDERS = (*FIELD_TERMS[1:], SPEED_OFFSET)
"""The confounders adjusted for by default: ``heat_c_dev`` (air temperature
above ``HEAT_ONSET_C``) and ``drift_min_dev`` (run time beyond
``DRIFT_ONSET_MIN``), each centred at the runner's baseline median with a
coefficient estimated per runner, and ``speed_cost_dev`` (the Daniels &
Gilbert cost per km at the run's grade-adjusted speed relative to the
baseline median speed), a fixed offset."""

Z_COLUMNS = 2 + len(FIELD_TERMS)  # response, intercept, regressors


def daniels_cost_log_ratio(gas_m_min, reference_gas_m_min):
    """Log ratio of Daniels & Gilbert oxygen cost per km at two speeds.

    ``log(c(v) / c(v_ref))`` with ``c(v) = daniels_vo2(v) / v`` [ml/kg/m]:
    how much more oxygen a kilometre costs at ``v`` than at ``v_ref`` for a
    runner whose economy is a constant multiple of Daniels' curve. Speeds
    below ``SPEED_FLOOR_M_MIN`` are taken at that speed.

    Parameters
    ----------
    gas_m_min, reference_gas_m_min : float or array-like
        Grade-adjusted speed of the run and the reference speed [m/min].

    Returns
    -------
    ndarray
        The log ratio (0 at the reference speed; about +0.1 from 150 to
        250 m/min).

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power: Performance Tables for Distance
       Runners (1979); SCIENCE.md section 1.
    """
    v = np.maximum(np.asarray(gas_m_min, dtype=float), SPEED_FLOOR_M_MIN)
    v_ref = np.maximum(np.asarray(reference_gas_m_min, dtype=float), SPEED_FLOOR_M_MIN)
    return np.log(daniels_vo2(v) / v) - np.log(daniels_vo2(v_ref) / v_ref)


SERIAL_VARIANCE_RATIOS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""Grid of r = AR variance / white-noise variance for :func:`serial_correlation_reml`."""

SERIAL_PHI_PER_DAY = (0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97)
"""Grid of the AR(1) correlation one day apart (0.97/day: about a month)."""

ERRORS = ("ar1", "hac")
"""Error models of the field fit: ``"ar1"`` (default, GLS with REML serial
correlation) and ``"hac"`` (OLS with Newey-West SEs, kept for comparison)."""

_CHUNK = 64  # runners per vectorised REML pass
_DAY = pd.Timedelta(days=1)
_EPOCH = pd.Timestamp("2000-01-01")


def newey_west_maxlags(n_obs: int) -> int:
    """Lag truncation for Newey-West HAC standard errors.

    ``L = floor(4 * (n / 100) ** (2 / 9))``, at least 1 (SCIENCE.md section 9).

    References
    ----------
    .. [1] Newey WK, West KD (1994). Automatic lag selection in covariance
       matrix estimation. Rev Econ Stud 61(4):631-653.
    """
    return max(1, int(np.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0))))


def _pct(log_ratio):
    return 100.0 * np.expm1(log_ratio)


def _verdict(ci_low_pct: float, ci_high_pct: float) -> str:
    if ci_high_pct < 0:
        return "improved"
    if ci_low_pct > 0:
        return "worsened"
    return "no clear change"


# --------------------------------------------------------------------------
# Field model: preparation (vectorised over all runners)
# --------------------------------------------------------------------------

_METRIC_COLUMNS = (
    "run_id",
    "runner_id",
    "date",
    "distance_km",
    "duration_s",
    "avg_hr_bpm",
    "temp_c",
    "gas_m_min",
    "o2_cost_ml_kg_km",
    "steady",
    "exclude_reason",
)


def prepare_runs(metrics: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """Per-run inputs of the field model, for every runner at once.

    Parameters
    ----------
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` rows (any number of runners).
    blocks : DataFrame
        :func:`analysis.blocks.runner_blocks` rows (``runner_id``,
        ``block_start``, ``block_end``, ``baseline_start``).

    Returns
    -------
    DataFrame
        One row per run of a runner in ``blocks``, sorted by runner and date,
        with the metric columns plus: ``period`` (``baseline``, ``block`` or
        ``outside`` the analysis window), ``in_window``, ``used`` (enters the
        model), ``reason`` (why an in-window run was left out, else ``""``),
        ``ramp``, ``log_o2_cost``, the regressors centred at the runner's
        reference conditions ``heat_c_dev`` and ``drift_min_dev``, the speed
        offset ``speed_cost_dev`` (:func:`daniels_cost_log_ratio`), the reference conditions (baseline medians of the
        runs in the model) ``reference_temp_c``, ``reference_minutes`` and
        ``reference_gas_m_min``, and ``use_temp`` (the runner's runs mostly
        have a temperature; see ``MIN_TEMP_FRACTION``).
    """
    missing = [c for c in _METRIC_COLUMNS if c not in metrics.columns]
    if missing:
        raise ValueError(
            "The 'metrics' parameter of prepare_runs must have the run_metrics columns; "
            f"missing {missing}."
        )
    keep = list(_METRIC_COLUMNS) + (["defaulted"] if "defaulted" in metrics.columns else [])
    m = metrics[keep].copy()
    m["runner_id"] = m["runner_id"].astype(str)
    b = blocks[["runner_id", "block_start", "block_end", "baseline_start"]].copy()
    b["runner_id"] = b["runner_id"].astype(str)
    m = m.merge(b, on="runner_id", how="inner")
    m = m.sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)
    if "defaulted" not in m.columns:
        m["defaulted"] = False

    date = pd.to_datetime(m["date"])
    day = date.dt.normalize()
    start = pd.to_datetime(m["block_start"])
    end = pd.to_datetime(m["block_end"])
    in_window = (day >= pd.to_datetime(m["baseline_start"])) & (day <= end)
    in_window = in_window.fillna(False).astype(bool)
    m["in_window"] = in_window
    m["period"] = np.where(~in_window, "outside", np.where(day < start, "baseline", "block"))

    cost = pd.to_numeric(m["o2_cost_ml_kg_km"], errors="coerce").astype(float)
    gas = pd.to_numeric(m["gas_m_min"], errors="coerce").astype(float)
    temp = pd.to_numeric(m["temp_c"], errors="coerce").astype(float)
    minutes = pd.to_numeric(m["duration_s"], errors="coerce").astype(float) / 60.0
    steady = m["steady"].fillna(False).astype(bool)
    cost_ok = np.isfinite(cost) & (cost > 0) & np.isfinite(gas) & (gas > 0) & np.isfinite(minutes)
    candidate = in_window & steady & cost_ok

    has_temp = candidate & temp.notna()
    n_cand = candidate.groupby(m["runner_id"]).transform("sum")
    n_temp = has_temp.groupby(m["runner_id"]).transform("sum")
    use_temp = (n_temp >= np.maximum(3, MIN_TEMP_FRACTION * n_cand)) & (n_cand > 0)
    used = candidate & (~use_temp | temp.notna())
    m["use_temp"] = use_temp
    m["used"] = used

    reason = pd.Series("", index=m.index, dtype=object)
    given = m["exclude_reason"].astype(object).where(m["exclude_reason"].notna(), "")
    given = given.map(str).str.strip()
    not_steady = in_window & ~steady
    reason[not_steady] = given[not_steady].where(given[not_steady] != "", "not steady")
    reason[in_window & steady & ~cost_ok] = "no oxygen cost"
    reason[candidate & ~used] = "no temperature"
    m["reason"] = reason

    # Day-level ramp: 0 up to block_start, 1 from block_end on (the last day
    # of the block is its end), linear in between.
    span = (end - start).where(end > start, _DAY)
    m["ramp"] = ((day - start) / span).clip(lower=0.0, upper=1.0).astype(float)

    log_gas = np.log(gas.where(gas > 0))
    refs = pd.DataFrame(
        {"temp": temp.where(used), "minutes": minutes.where(used), "log_gas": log_gas.where(used)}
    )
    by_runner = m["runner_id"]
    overall = refs.groupby(by_runner).median()
    base = refs.loc[used & m["period"].eq("baseline")].groupby(by_runner).median()
    ref = base.reindex(overall.index).fillna(overall).reindex(by_runner.to_numpy())
    ref.index = m.index
    m["reference_temp_c"] = ref["temp"]
    m["reference_minutes"] = ref["minutes"]
    m["reference_gas_m_min"] = np.exp(ref["log_gas"])

    def heat(t):
        return (t - HEAT_ONSET_C).clip(lower=0.0)

    def drift(t):
        return (t - DRIFT_ONSET_MIN).clip(lower=0.0)

    m["log_o2_cost"] = np.log(cost.where(cost > 0))
    m["heat_c_dev"] = np.where(use_temp, heat(temp) - heat(ref["temp"]), 0.0)
    m["drift_min_dev"] = drift(minutes) - drift(ref["minutes"])
    m["speed_cost_dev"] = daniels_cost_log_ratio(gas.where(gas > 0), np.exp(ref["log_gas"]))
    return m


# --------------------------------------------------------------------------
# Field model: one runner
# --------------------------------------------------------------------------


def _select_terms(
    columns: Mapping[str, np.ndarray], use_temp: bool, confounders: Iterable[str] = CONFOUNDERS
) -> list[str]:
    """Regressors with variation that keep the design of full rank.

    ``ramp`` always; the ``confounders`` in ``FIELD_TERMS`` order when they
    vary (``heat_c_dev`` only with ``use_temp``) and, if the design is then
    rank deficient, only those that add to its rank.
    """
    n = len(columns["ramp"])
    candidates = [
        t
        for t in FIELD_TERMS[1:]
        if t in confounders
        and (t != "heat_c_dev" or use_temp)
        and np.all(np.isfinite(columns[t]))
        and np.ptp(columns[t]) > 1e-9
    ]
    full = np.column_stack([np.ones(n), columns["ramp"]] + [columns[t] for t in candidates])
    if np.linalg.matrix_rank(full) == full.shape[1]:
        return ["ramp", *candidates]
    chosen = ["ramp"]
    design = full[:, :2]
    for j, term in enumerate(candidates, start=2):
        trial = np.column_stack([design, full[:, j]])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            design = trial
            chosen.append(term)
    return chosen


def _serial_grid() -> tuple[np.ndarray, np.ndarray]:
    """(r, phi) pairs of the REML grid; r = 0 (independent errors) once."""
    r = [0.0] + [v for v in SERIAL_VARIANCE_RATIOS for _ in SERIAL_PHI_PER_DAY]
    phi = [0.5] + [v for _ in SERIAL_VARIANCE_RATIOS for v in SERIAL_PHI_PER_DAY]
    return np.asarray(r), np.asarray(phi)


def _kalman_pass(
    Z: np.ndarray,
    dt: np.ndarray,
    live: np.ndarray,
    r: np.ndarray,
    phi: np.ndarray,
    *,
    keep: bool,
):
    """GLS-whiten padded series with a Kalman filter, for many runners at once.

    The error of run i at time t_i (days) is ``w_i + s(t_i)``: white noise of
    variance 1 plus a continuous-time AR(1) state of variance ``r`` and
    correlation ``phi ** |t_i - t_j|``, so ``V = I + r * phi ** |dt|``. The
    standardised one-step innovations of the filter are ``L^-1 z`` with
    ``V = L L'``, so OLS on them is GLS, and ``sum(log F_i) = log det V``.
    O(n) per series instead of a dense Cholesky, vectorised over runners,
    grid points and columns.

    Parameters
    ----------
    Z : ndarray (R, N, m)
        Columns (response and regressors) of R runners, padded to N runs.
    dt : ndarray (R, N)
        Days since the runner's previous run (0 for the first and for padding).
    live : ndarray (R, N) of bool
        Real runs (False for padding).
    r, phi : ndarray (R, G)
        Covariance parameters: G grid points per runner.
    keep : bool
        Return the whitened data (R, G, N, m) instead of the cross-product
        matrices (R, G, m, m).

    Returns
    -------
    (ndarray, ndarray)
        Whitened data or cross-products, and log det V (R, G).
    """
    R, N, m = Z.shape
    G = r.shape[1]
    state = np.zeros((R, G, m))
    var = r.astype(float).copy()
    logdet = np.zeros((R, G))
    w = np.zeros((R, G, N, m))
    for i in range(N):
        if i:
            rho = phi ** dt[:, i][:, None]
            state *= rho[..., None]
            var = rho * rho * var + r * (1.0 - rho * rho)
        f = var + 1.0
        innov = Z[:, i][:, None, :] - state
        w[:, :, i, :] = innov * (live[:, i][:, None, None] / np.sqrt(f)[..., None])
        logdet += np.log(f) * live[:, i][:, None]
        gain = var / f
        state += gain[..., None] * innov
        var = var - gain * var
    if keep:
        return w, logdet
    return np.matmul(np.swapaxes(w, -1, -2), w), logdet


@dataclass
class _Reml:
    """REML results of :func:`_reml_batch`, one entry per runner."""

    params: np.ndarray  # (R, P) coefficients averaged over the grid
    cov: np.ndarray  # (R, P, P) their covariance, averaged over the grid
    r: np.ndarray  # (R,) REML-best r
    phi: np.ndarray  # (R,) REML-best phi


def _reml_batch(Z: np.ndarray, dt: np.ndarray, live: np.ndarray, active: np.ndarray) -> _Reml:
    """Serial-correlation REML over the grid, for every runner at once.

    ``Z`` holds ``[y, 1, regressors...]``; ``active`` (R, P) marks the design
    columns each runner uses (the others are zero and get a unit diagonal so
    that they drop out of the solve and the determinant). For each runner and
    grid point (r, phi) the GLS coefficients, their covariance and the
    restricted log-likelihood come from the whitened cross-products. The
    returned coefficients and covariance average the grid points with weights
    proportional to their restricted likelihood (the mean and variance of a
    mixture: within-point covariance plus the spread of the estimates), so
    the uncertainty of the serial correlation itself widens the CI instead of
    being ignored as with a plug-in estimate (Hoeting et al. 1999).
    """
    r_grid, phi_grid = _serial_grid()
    R = Z.shape[0]
    r = np.broadcast_to(r_grid, (R, len(r_grid)))
    phi = np.broadcast_to(phi_grid, (R, len(phi_grid)))
    # Chunks of runners bound the memory of the whitened data (chunk x G x N x m).
    parts = [
        _kalman_pass(
            Z[k : k + _CHUNK],
            dt[k : k + _CHUNK],
            live[k : k + _CHUNK],
            r[k : k + _CHUNK],
            phi[k : k + _CHUNK],
            keep=False,
        )
        for k in range(0, R, _CHUNK)
    ]
    M = np.concatenate([p[0] for p in parts])
    logdet = np.concatenate([p[1] for p in parts])
    xtx = M[..., 1:, 1:] + np.eye(active.shape[1]) * (~active)[:, None, None, :]
    xty = M[..., 1:, 0]
    xtx_inv = np.linalg.inv(xtx)
    beta = np.einsum("rgij,rgj->rgi", xtx_inv, xty)
    rss = M[..., 0, 0] - np.einsum("rgi,rgi->rg", xty, beta)
    n = live.sum(axis=1)[:, None]
    p = active.sum(axis=1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = rss / (n - p)
        loglik = -0.5 * (logdet + np.linalg.slogdet(xtx)[1] + (n - p) * np.log(s2))
    loglik = np.where(np.isfinite(loglik) & (s2 > 0), loglik, -np.inf)
    weight = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    weight /= weight.sum(axis=1, keepdims=True)
    mean = np.einsum("rg,rgi->ri", weight, beta)
    spread = beta - mean[:, None, :]
    within = np.where(np.isfinite(s2), s2, 0.0)[..., None, None] * xtx_inv
    cov = np.einsum("rg,rgij->rij", weight, within + spread[..., :, None] * spread[..., None, :])
    best = np.argmax(loglik, axis=1)
    return _Reml(mean, cov, r_grid[best], phi_grid[best])


def _pad(series: list[np.ndarray], times: list[np.ndarray], m: int):
    """Stack per-runner (n_i, m) arrays into padded (R, N, m) arrays."""
    R, N = len(series), max(len(t) for t in times)
    Z = np.zeros((R, N, m))
    dt = np.zeros((R, N))
    live = np.zeros((R, N), dtype=bool)
    for k, (z, t) in enumerate(zip(series, times, strict=True)):
        Z[k, : len(t)] = z
        dt[k, 1 : len(t)] = np.diff(t)
        live[k, : len(t)] = True
    return Z, dt, live


def serial_correlation_reml(
    y: np.ndarray, X: np.ndarray, t_days: np.ndarray
) -> tuple[float, float]:
    """REML estimate of the serial correlation of one runner's residuals.

    Errors are modelled as white noise plus a continuous-time AR(1) process
    in days (the exponential correlation with a nugget of Diggle 1988):
    ``cov(e_i, e_j) = s2 * (delta_ij + r * phi ** |t_i - t_j|)``. ``r`` (AR
    variance / white-noise variance) and ``phi`` (correlation one day apart)
    maximise the restricted likelihood over the grid ``SERIAL_VARIANCE_RATIOS``
    x ``SERIAL_PHI_PER_DAY`` (plus r = 0), with ``s2`` and the coefficients
    profiled out.

    Parameters
    ----------
    y : ndarray
        Responses (n,), in time order.
    X : ndarray
        Design matrix (n, p) with the intercept, of full column rank.
    t_days : ndarray
        Time of each run [days], non-decreasing.

    Returns
    -------
    (float, float)
        ``(r, phi)``.

    References
    ----------
    .. [1] Diggle PJ (1988). An approach to the analysis of repeated
       measurements. Biometrics 44(4):959-971.
    .. [2] Harville DA (1977). Maximum likelihood approaches to variance
       component estimation and to related problems. J Am Stat Assoc
       72(358):320-338 (REML).
    """
    X = np.asarray(X, dtype=float)
    Z, dt, live = _pad([np.column_stack([y, X])], [np.asarray(t_days, dtype=float)], X.shape[1] + 1)
    reml = _reml_batch(Z, dt, live, np.ones((1, X.shape[1]), dtype=bool))
    return float(reml.r[0]), float(reml.phi[0])


def serial_covariance(t_days: np.ndarray, r: float, phi: float) -> np.ndarray:
    """``V = I + r * phi ** |t_i - t_j|``, the error covariance up to scale."""
    t = np.asarray(t_days, dtype=float)
    return np.eye(len(t)) + r * phi ** np.abs(t[:, None] - t[None, :])


def _hac_fit_kwargs(n_obs: int) -> dict:
    return {
        "cov_type": "HAC",
        "cov_kwds": {"maxlags": newey_west_maxlags(n_obs), "use_correction": True},
        "use_t": True,
    }


@dataclass
class _Fit:
    """A fitted field model: coefficients, SEs and what describes them."""

    params: np.ndarray
    bse: np.ndarray
    df: int
    terms: list[str]
    y: np.ndarray
    X: np.ndarray
    se_method: str
    result: object = None
    ar_phi_per_day: float = np.nan
    ar_variance_share: float = np.nan
    speed_offset: bool = False


def field_formula(terms: Iterable[str], speed_offset: bool = False) -> str:
    """The statsmodels formula of the field model with the given regressors.

    With ``speed_offset`` the response is log oxygen cost less the Daniels
    speed offset ``speed_cost_dev`` (its coefficient fixed at 1).
    """
    response = f"I(log_o2_cost - {SPEED_OFFSET})" if speed_offset else "log_o2_cost"
    return response + " ~ " + " + ".join(terms)


def _t_quantile(df: float) -> float:
    return float(special.stdtrit(df, 0.5 + CONFIDENCE / 2.0))


def _t_pvalue(t_stat: float, df: float) -> float:
    return float(2.0 * special.stdtr(df, -abs(t_stat)))


def _summarise(fit: _Fit) -> dict:
    """Numbers of the field model from a fitted model."""
    terms, params, bse, df = fit.terms, fit.params, fit.bse, float(fit.df)
    tcrit = _t_quantile(df)
    i = 1 + terms.index("ramp")
    b, se = params[i], bse[i]
    baseline = float(np.exp(params[0]))
    resid = fit.y - fit.X @ params
    out = {
        "baseline_o2_cost_ml_kg_km": baseline,
        "end_o2_cost_ml_kg_km": baseline * float(np.exp(b)),
        "o2_cost_change_pct": float(_pct(b)),
        "ci_low_pct": float(_pct(b - tcrit * se)),
        "ci_high_pct": float(_pct(b + tcrit * se)),
        "p_value": _t_pvalue(b / se, df) if se > 0 else np.nan,
        "typical_error_pct": float(100.0 * np.sqrt(resid @ resid / df)),
        "temp_coef_pct_per_c": np.nan,
        "temp_coef_ci_low_pct_per_c": np.nan,
        "temp_coef_ci_high_pct_per_c": np.nan,
        "ar_phi_per_day": fit.ar_phi_per_day,
        "ar_variance_share": fit.ar_variance_share,
        "model_terms": " + ".join(
            ["1", *terms, *([f"offset({SPEED_OFFSET})"] if fit.speed_offset else [])]
        ),
        "se_method": fit.se_method,
    }
    if "heat_c_dev" in terms:
        j = 1 + terms.index("heat_c_dev")
        out["temp_coef_pct_per_c"] = float(_pct(params[j]))
        out["temp_coef_ci_low_pct_per_c"] = float(_pct(params[j] - tcrit * bse[j]))
        out["temp_coef_ci_high_pct_per_c"] = float(_pct(params[j] + tcrit * bse[j]))
    out["verdict"] = _verdict(out["ci_low_pct"], out["ci_high_pct"])
    return out


def _empty_numbers() -> dict:
    return {
        "baseline_o2_cost_ml_kg_km": np.nan,
        "end_o2_cost_ml_kg_km": np.nan,
        "o2_cost_change_pct": np.nan,
        "ci_low_pct": np.nan,
        "ci_high_pct": np.nan,
        "p_value": np.nan,
        "typical_error_pct": np.nan,
        "temp_coef_pct_per_c": np.nan,
        "temp_coef_ci_low_pct_per_c": np.nan,
        "temp_coef_ci_high_pct_per_c": np.nan,
        "ar_phi_per_day": np.nan,
        "ar_variance_share": np.nan,
        "model_terms": "",
        "se_method": "",
    }


def _runner_summary(prep: pd.DataFrame) -> pd.DataFrame:
    """Per-runner counts, reasons and reference values of prepared runs (vectorised)."""
    rid = prep["runner_id"]
    used, window = prep["used"], prep["in_window"]
    flags = pd.DataFrame(
        {
            "n_runs": np.ones(len(prep), dtype=int),
            "n_window": window,
            "n_used": used,
            "n_base": used & prep["period"].eq("baseline"),
            "n_block": used & prep["period"].eq("block"),
            "n_hr": window & prep["avg_hr_bpm"].notna(),
            "defaulted": used & prep["defaulted"].fillna(False).astype(bool),
        }
    )
    out = flags.groupby(rid).sum()
    out["defaulted"] = out["defaulted"] > 0
    out["reach"] = prep["ramp"].where(used).groupby(rid).max()
    out = out.join(
        prep.groupby(rid)[["use_temp", "reference_temp_c", "reference_gas_m_min"]].first()
    )
    left_out = prep.loc[window & prep["reason"].ne(""), ["runner_id", "reason"]]
    counts = left_out.groupby(["runner_id", "reason"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["runner_id", "n", "reason"], ascending=[True, False, True], kind="stable"
    )
    counts["text"] = counts["reason"].astype(str) + ": " + counts["n"].astype(str)
    out["reasons"] = counts.groupby("runner_id")["text"].agg("; ".join)
    out["reasons"] = out["reasons"].fillna("")
    return out


def _insufficiency(block: Mapping, summary: Mapping | None) -> str:
    """The reason a runner cannot be modelled, or ``""``."""
    if block["block_source"] == "none" or pd.isna(block["block_start"]):
        return "no block dates (no runner in the squad has a strength block)"
    if summary is None or summary["n_runs"] == 0:
        return "no runs"
    if summary["n_window"] == 0:
        return "no runs between baseline start and block end"
    if summary["n_hr"] == 0:
        return "no heart rate"
    n_base, n_block = int(summary["n_base"]), int(summary["n_block"])
    if n_base < MIN_STEADY_RUNS or n_block < MIN_STEADY_RUNS:
        return (
            f"{n_base} steady runs in the baseline and {n_block} in the block "
            f"(need {MIN_STEADY_RUNS} in each)"
        )
    return ""


def _fit_runners(
    used: pd.DataFrame,
    positions: Mapping[str, np.ndarray],
    runners: list[tuple[str, bool]],
    errors: str,
    confounders: Iterable[str],
    *,
    formula: bool = False,
    progress=None,
) -> dict[str, _Fit | None]:
    """Fit the field model of several runners (the hot path of analyze).

    ``used`` holds the runs in the model (sorted by runner and date),
    ``positions`` their row positions per runner and ``runners`` the
    ``(runner_id, use_temp)`` pairs to fit. The regressors are chosen per
    runner. For ``errors="ar1"`` all runners go through one vectorised REML
    pass (:func:`_reml_batch`: Kalman-whitened cross-products for every grid
    point, GLS coefficients and covariance in closed form, averaged over the
    grid); building numpy designs once and solving them in batch is what
    keeps 1,000 runners at about a second, where the formula API costs ~9 ms
    per fit in formula parsing alone. ``formula=True`` (:func:`fit_runner`)
    also fits ``smf.gls`` at the REML-best covariance for a statsmodels result
    with named coefficients; the reported numbers are the same either way.
    ``errors="hac"`` is one ``sm.OLS`` per runner. A runner with fewer than 3
    residual degrees of freedom gets None.
    """
    confounders = tuple(confounders)
    offset = SPEED_OFFSET in confounders
    y_all = used["log_o2_cost"].to_numpy(dtype=float)
    if offset:
        y_all = y_all - used[SPEED_OFFSET].to_numpy(dtype=float)
    cols_all = {t: used[t].to_numpy(dtype=float) for t in FIELD_TERMS}
    days_all = ((used["date"] - _EPOCH) / _DAY).to_numpy(dtype=float)
    designs = []
    for rid, use_temp in runners:
        idx = positions[rid]
        cols = {t: c[idx] for t, c in cols_all.items()}
        terms = _select_terms(cols, use_temp, confounders)
        if len(idx) - (1 + len(terms)) < 3:
            continue
        active = np.array([True] + [t in terms for t in FIELD_TERMS])
        z = np.column_stack([y_all[idx], np.ones(len(idx))] + [cols[t] for t in FIELD_TERMS])
        z[:, 1:][:, ~active] = 0.0
        designs.append((rid, idx, terms, active, z, days_all[idx] - days_all[idx[0]]))

    fits: dict[str, _Fit | None] = {rid: None for rid, _ in runners}
    reml = None
    if errors == "ar1" and designs:
        Z, dt, live = _pad([d[4] for d in designs], [d[5] for d in designs], Z_COLUMNS)
        reml = _reml_batch(Z, dt, live, np.stack([d[3] for d in designs]))
    for k, (rid, idx, terms, active, z, days) in enumerate(designs):
        y, X = z[:, 0], z[:, 1:][:, active]
        n, p = X.shape
        data = (
            used.iloc[idx][["log_o2_cost", SPEED_OFFSET, *terms]].reset_index(drop=True)
            if formula
            else None
        )
        formula_text = field_formula(terms, offset)
        if errors == "hac":
            if formula:
                result = smf.ols(formula_text, data=data).fit(**_hac_fit_kwargs(n))
            else:
                result = sm.OLS(y, X).fit(**_hac_fit_kwargs(n))
            method = (
                f"OLS, HAC Newey-West (Bartlett, maxlags={newey_west_maxlags(n)}); t, {n - p} df"
            )
            fits[rid] = _Fit(
                np.asarray(result.params, dtype=float),
                np.asarray(result.bse, dtype=float),
                n - p,
                terms,
                y,
                X,
                method,
                result,
                speed_offset=offset,
            )
        else:
            r, phi = float(reml.r[k]), float(reml.phi[k])
            result = None
            if formula:
                sigma = serial_covariance(days, r, phi)
                result = smf.gls(formula_text, data=data, sigma=sigma).fit(use_t=True)
            share = r / (1.0 + r)
            method = (
                f"GLS, AR(1) in days + white noise (REML: phi {phi:.2f}/day, "
                f"{100 * share:.0f} % of error variance), averaged over the REML grid; "
                f"t, {n - p} df"
            )
            fits[rid] = _Fit(
                reml.params[k][active],
                np.sqrt(np.diag(reml.cov[k][np.ix_(active, active)])),
                n - p,
                terms,
                y,
                X,
                method,
                result,
                phi if r > 0 else np.nan,
                share,
                offset,
            )
        if progress is not None:
            progress.update(1)
    return fits


def _field_rows(
    blocks: pd.DataFrame,
    prep: pd.DataFrame,
    quarantined: Mapping[str, int],
    errors: str,
    confounders: Iterable[str],
    *,
    formula: bool = False,
    progress=None,
) -> list[tuple[dict, _Fit | None]]:
    """The ``field_hr`` row (and fit) of every runner in ``blocks``.

    Counts, reasons and references are computed for all runners at once
    (:func:`_runner_summary`); the fits in :func:`_fit_runners`.
    """
    summaries = _runner_summary(prep).to_dict("index")
    used = prep.loc[prep["used"]]
    positions = used.groupby("runner_id", sort=False).indices
    records = blocks.to_dict("records")
    problems = {b["runner_id"]: _insufficiency(b, summaries.get(b["runner_id"])) for b in records}
    to_fit = [(rid, bool(summaries[rid]["use_temp"])) for rid, pr in problems.items() if not pr]
    if progress is not None:
        progress.update(len(records) - len(to_fit))
    fits = _fit_runners(
        used, positions, to_fit, errors, confounders, formula=formula, progress=progress
    )

    out = []
    for block in records:
        rid = block["runner_id"]
        summary = summaries.get(rid)
        n_quarantined = int(quarantined.get(rid, 0))
        counts = summary or {"n_base": 0, "n_block": 0, "n_window": 0, "n_used": 0}
        reasons = summary["reasons"] if summary else ""
        if n_quarantined:
            reasons = "; ".join(x for x in (reasons, f"quarantined: {n_quarantined}") if x)
        row = {
            "runner_id": rid,
            "group": block["group"],
            "method": FIELD_METHOD,
            "block_start": block["block_start"],
            "block_end": block["block_end"],
            "n_baseline_runs": int(counts["n_base"]),
            "n_block_runs": int(counts["n_block"]),
            "n_excluded_runs": int(counts["n_window"] - counts["n_used"]) + n_quarantined,
            "block_source": block["block_source"],
            "baseline_start": block["baseline_start"],
            "block_weeks": block["block_weeks"],
            "reference_temp_c": np.nan,
            "reference_gas_m_min": np.nan,
            "reference_speed_kmh": np.nan,
            "lab_pre_date": pd.NaT,
            "lab_post_date": pd.NaT,
            "params_defaulted": bool(summary["defaulted"]) if summary else False,
            "excluded_reasons": reasons,
        }
        notes = [block["warning"]] if block.get("warning") else []
        problem = problems[rid]
        fit = fits.get(rid)
        if not problem and fit is None:
            problem = f"{int(counts['n_used'])} steady runs are too few for the model"
        if problem:
            row.update(_empty_numbers())
            row["verdict"] = f"insufficient data: {problem}"
        else:
            row.update(_summarise(fit))
            row["reference_temp_c"] = float(summary["reference_temp_c"])
            row["reference_gas_m_min"] = float(summary["reference_gas_m_min"])
            if not summary["use_temp"]:
                notes.append("temperature missing on most runs: not adjusted for temperature")
            if summary["reach"] < 0.75:
                notes.append(
                    f"last steady run at {100 * summary['reach']:.0f} % of the block: "
                    "the end value is extrapolated"
                )
        row["warning"] = "; ".join(n for n in notes if n)
        out.append((row, fit))
    return out


@dataclass
class RunnerFit:
    """The field model of one runner (:func:`fit_runner`).

    Attributes
    ----------
    row : dict
        The summary row, with the keys of ``ANALYZE_COLUMNS`` and
        ``EXTRA_COLUMNS`` (the runner's :func:`analyze` ``field_hr`` row).
    result : statsmodels RegressionResultsWrapper or None
        The fit through the formula API (``smf.gls`` with the REML-best serial
        covariance; ``smf.ols`` with HAC SEs for ``errors="hac"``); None when
        the runner has insufficient data. ``row`` averages over the REML grid,
        so its numbers can differ slightly from this single fit.
    formula : str
        The model formula that was fitted (``""`` when not fitted).
    frame : DataFrame
        One row per run of the runner, for plotting: ``date``, ``run_id``,
        ``period`` (``baseline``/``block``/``outside``), ``steady`` (the
        run_metrics flag), ``used`` (entered the model), ``exclude_reason``,
        ``temp_c``, ``ramp``, ``o2_cost_ml_kg_km`` (observed),
        ``o2_cost_adjusted_ml_kg_km`` (observed cost moved to the reference
        temperature, run time and speed with the fitted coefficients; only
        for runs in the model) and ``o2_cost_trend_ml_kg_km`` (the fitted
        baseline-then-ramp trend at reference conditions, for runs in the
        analysis window).
    """

    row: dict
    result: object | None
    formula: str
    frame: pd.DataFrame = field(repr=False)

    @property
    def insufficient(self) -> bool:
        """True when the runner could not be modelled."""
        return self.result is None


def _plot_frame(prep: pd.DataFrame, fit: _Fit | None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "date": prep["date"].to_numpy(),
            "run_id": prep["run_id"].to_numpy(),
            "period": prep["period"].to_numpy(),
            "steady": prep["steady"].fillna(False).astype(bool).to_numpy(),
            "used": prep["used"].to_numpy(),
            "exclude_reason": prep["reason"].to_numpy(),
            "temp_c": pd.to_numeric(prep["temp_c"], errors="coerce").to_numpy(dtype=float),
            "ramp": prep["ramp"].to_numpy(),
            "o2_cost_ml_kg_km": pd.to_numeric(prep["o2_cost_ml_kg_km"], errors="coerce").to_numpy(
                dtype=float
            ),
        }
    )
    out["o2_cost_adjusted_ml_kg_km"] = np.nan
    out["o2_cost_trend_ml_kg_km"] = np.nan
    if fit is not None:
        terms = fit.terms
        params = fit.params
        adjust = np.zeros(len(prep))
        for j, term in enumerate(terms, start=1):
            if term != "ramp":
                adjust = adjust + params[j] * prep[term].to_numpy(dtype=float)
        if fit.speed_offset:
            adjust = adjust + prep[SPEED_OFFSET].to_numpy(dtype=float)
        used = prep["used"].to_numpy()
        adjusted = np.exp(prep["log_o2_cost"].to_numpy(dtype=float) - adjust)
        out.loc[used, "o2_cost_adjusted_ml_kg_km"] = adjusted[used]
        trend = np.exp(params[0] + params[1 + terms.index("ramp")] * prep["ramp"].to_numpy())
        window = prep["in_window"].to_numpy()
        out.loc[window, "o2_cost_trend_ml_kg_km"] = trend[window]
    return out


def fit_runner(
    runs: pd.DataFrame,
    block: Mapping | pd.Series,
    *,
    n_quarantined: int = 0,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
) -> RunnerFit:
    """Fit the field model of one runner.

    Generalised least squares of log field oxygen cost on a baseline level, a
    ramp through the block and the confounders (module docstring), with
    serially correlated errors: white noise plus a continuous-time AR(1)
    process in days, ``cov = s2 * (I + r * phi ** |t_i - t_j|)``. The two
    parameters are estimated by REML over a grid
    (:func:`serial_correlation_reml`), and the reported estimate and CI
    average the grid points weighted by their restricted likelihood, so the
    uncertainty of the serial correlation widens the CI instead of being
    ignored. The CI uses Student t with the residual degrees of freedom.

    Why not HAC (Newey-West): the residuals of daily runs carry a day-level
    state (sleep, fatigue, hydration) that persists for days, and the ramp is
    a smooth function of time, so what matters is the low-frequency part of
    the noise. With ~70 irregularly spaced runs, HAC on the run index sees a
    lag-1 residual autocorrelation of only ~0.15 (residual autocorrelations
    are biased low in short series and the Bartlett kernel down-weights
    them): on the simulated squads its 95 % intervals covered the true change
    in only 86 % of runners and called 6 % of controls "improved"; longer
    lags did worse, and a moving-block bootstrap shares the small-sample
    bias. GLS with the REML plug-in covariance covered 93 %; averaging over
    the REML grid, 97 %, with 1 of 300 controls called "improved"
    (``tests/test_models.py`` checks 90-98 % on 600 simulated runners).
    Modelling the correlation in calendar time, as for longitudinal data
    (Diggle 1988), also handles the irregular spacing of runs.
    ``errors="hac"`` keeps the Newey-West fit (lag ``floor(4 (n/100)^(2/9))``,
    small-sample correction, t critical values) for comparison.

    Parameters
    ----------
    runs : DataFrame
        :func:`analysis.metrics.run_metrics` rows of one runner.
    block : Mapping or Series
        That runner's :func:`analysis.blocks.runner_blocks` row.
    n_quarantined : int, keyword-only
        The runner's quarantined runs.csv rows, added to ``n_excluded_runs``.
    errors : {"ar1", "hac"}, keyword-only
        Error model (see ``ERRORS``).
    confounders : collection of str, keyword-only
        Confounders to adjust for, a subset of ``CONFOUNDERS`` (default all;
        fewer only for sensitivity analyses).

    Returns
    -------
    RunnerFit
        ``row`` (the summary, identical to the runner's :func:`analyze`
        ``field_hr`` row), ``result`` (statsmodels, formula API: ``smf.gls``
        at the REML-best covariance, so its ramp coefficient can differ
        slightly from the grid-averaged row), ``formula`` and ``frame`` (for
        plots).

    References
    ----------
    .. [1] Diggle PJ (1988). An approach to the analysis of repeated
       measurements. Biometrics 44(4):959-971.
    .. [2] Newey WK, West KD (1987). A simple, positive semi-definite,
       heteroskedasticity and autocorrelation consistent covariance matrix.
       Econometrica 55(3):703-708.
    .. [3] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15 (typical error as the residual CV).
    .. [4] Coyle EF, Gonzalez-Alonso J (2001). Cardiovascular drift during
       prolonged exercise: new perspectives. Exerc Sport Sci Rev 29(2):88-92.
    """
    _check_options(errors, confounders, "fit_runner")
    block = dict(block.items()) if hasattr(block, "items") else dict(block)
    if "runner_id" not in block:
        raise ValueError(
            "The 'block' parameter of fit_runner must be a runner_blocks row with "
            "runner_id, block_start and block_end."
        )
    start = pd.Timestamp(block["block_start"]) if pd.notna(block.get("block_start")) else pd.NaT
    end = pd.Timestamp(block["block_end"]) if pd.notna(block.get("block_end")) else pd.NaT
    block.setdefault("group", "")
    block.setdefault("block_source", "none" if pd.isna(start) else "blocks.csv")
    block.setdefault("baseline_start", start - pd.Timedelta(weeks=6))
    block.setdefault("block_weeks", (end - start + _DAY) / pd.Timedelta(weeks=1))
    block.setdefault("warning", "")
    block_frame = pd.DataFrame([block])
    runner_id = str(block_frame["runner_id"].iloc[0])
    runs = runs.loc[runs["runner_id"].astype(str) == runner_id]
    prep = prepare_runs(runs, block_frame)
    [(row, fit)] = _field_rows(
        block_frame, prep, {runner_id: n_quarantined}, errors, confounders, formula=True
    )
    return RunnerFit(
        row=row,
        result=fit.result if fit is not None else None,
        formula=field_formula(fit.terms, fit.speed_offset) if fit is not None else "",
        frame=_plot_frame(prep, fit),
    )


def _check_options(errors: str, confounders, function: str) -> None:
    if errors not in ERRORS:
        raise ValueError(
            f"The 'errors' parameter of {function} must be one of "
            f"{', '.join(repr(e) for e in ERRORS)}. Got {errors!r} instead."
        )
    if isinstance(confounders, str) or not all(c in CONFOUNDERS for c in confounders):
        raise ValueError(
            f"The 'confounders' parameter of {function} must be a collection of "
            f"{', '.join(repr(c) for c in CONFOUNDERS)}. Got {confounders!r} instead."
        )


# --------------------------------------------------------------------------
# Lab path
# --------------------------------------------------------------------------


def _lab_rows(blocks: pd.DataFrame, lab_tests: pd.DataFrame) -> dict[str, dict]:
    """The ``lab`` row of every runner with a test before and after the block start.

    Stages come from :func:`analysis.metrics.lab_metrics` (oxygen cost per
    stage; ``submaximal`` = RER < 1.0 or not measured). The pre test is the
    last test day before ``block_start``; the post test is the first test day
    from ``block_end`` - 2 weeks on, else the last test day after
    ``block_start`` (with a warning: a mid-block test). Stages with RER >= 1.0
    are not steady state (SCIENCE.md section 5) and stages at another grade
    than the runner's most common one are not comparable; both are left out
    and counted. On the stages of the two days, OLS of log oxygen cost on a
    post-test indicator and speed (a common slope; the speed term is dropped
    when every stage has the same speed): the indicator's coefficient is the
    change at any common speed, with its CI from the stage-to-stage residual
    variability (Student t, residual df; independent stages, since one test
    day gives no between-day variance). Baseline and end values are the
    fitted costs at the reference speed, the highest speed both tests cover
    with submaximal stages (as :func:`analysis.metrics.lab_economy_at_speed`),
    or the median stage speed with a warning when their ranges do not overlap.
    """
    if lab_tests is None or len(lab_tests) == 0:
        return {}
    wanted = set(blocks["runner_id"].astype(str))
    lab = lab_tests.loc[lab_tests["runner_id"].astype(str).isin(wanted)]
    lab = lab.loc[lab["date"].notna()]
    if lab.empty:
        return {}
    st = lab_metrics(lab)
    arrays = {
        "day": st["date"].to_numpy(dtype="datetime64[ns]"),
        "speed": st["speed_kmh"].to_numpy(dtype=float),
        "grade": st["grade_pct"].to_numpy(dtype=float),
        "cost": st["o2_cost_ml_kg_km"].to_numpy(dtype=float),
        "submaximal": st["submaximal"].to_numpy(dtype=bool),
    }
    groups = st.groupby(st["runner_id"].astype(str), sort=False).indices
    rows = {}
    for block in blocks.to_dict("records"):
        idx = groups.get(block["runner_id"])
        if idx is None or pd.isna(block["block_start"]):
            continue
        row = _lab_row(block, {k: v[idx] for k, v in arrays.items()})
        if row is not None:
            rows[block["runner_id"]] = row
    return rows


def _lab_row(block: Mapping, stages: Mapping[str, np.ndarray]) -> dict | None:
    """The ``lab`` row of one runner (see :func:`_lab_rows`), or None."""
    day = stages["day"]
    days = np.unique(day)
    start = np.datetime64(pd.Timestamp(block["block_start"]), "ns")
    end = np.datetime64(pd.Timestamp(block["block_end"]), "ns")
    before, after = days[days < start], days[days >= start]
    if len(before) == 0 or len(after) == 0:
        return None
    notes = [block["warning"]] if block.get("warning") else []
    pre = before[-1]
    late = after[after >= end - np.timedelta64(LAB_POST_WINDOW)]
    post = late[0] if len(late) else after[-1]
    if not len(late):
        notes.append(
            f"no lab test in the last 2 weeks of the block: used the test of "
            f"{pd.Timestamp(post):%Y-%m-%d}"
        )
    on_days = (day == pre) | (day == post)
    grade = stages["grade"][on_days]
    values, counts = np.unique(grade, return_counts=True)
    modal = values[np.argmax(counts)]
    reason = np.select(
        [
            ~stages["submaximal"],
            stages["grade"] != modal,
            ~(np.isfinite(stages["cost"]) & (stages["cost"] > 0)),
        ],
        ["RER >= 1.0", "other grade", "no oxygen cost"],
        default="",
    )
    reason = reason[on_days]
    keep = reason == ""
    is_post = (day[on_days] == post)[keep]
    speed = stages["speed"][on_days][keep]
    log_cost = np.log(stages["cost"][on_days][keep])
    n_pre, n_post = int((~is_post).sum()), int(is_post.sum())
    kinds, n_kind = np.unique(reason[~keep], return_counts=True)
    order = np.argsort(-n_kind, kind="stable")

    ref_speed = np.nan
    if n_pre and n_post:
        top = min(speed[~is_post].max(), speed[is_post].max())
        bottom = max(speed[~is_post].min(), speed[is_post].min())
        ref_speed = float(top)
        if top < bottom:
            ref_speed = float(np.median(speed))
            notes.append("the two tests share no stage speed: the change is extrapolated")
    row = {
        "runner_id": block["runner_id"],
        "group": block["group"],
        "method": LAB_METHOD,
        "block_start": block["block_start"],
        "block_end": block["block_end"],
        "n_baseline_runs": n_pre,
        "n_block_runs": n_post,
        "n_excluded_runs": int((~keep).sum()),
        "block_source": block["block_source"],
        "baseline_start": block["baseline_start"],
        "block_weeks": block["block_weeks"],
        "reference_temp_c": np.nan,
        "reference_gas_m_min": np.nan,
        "reference_speed_kmh": ref_speed,
        "lab_pre_date": pd.Timestamp(pre),
        "lab_post_date": pd.Timestamp(post),
        "params_defaulted": False,
        "excluded_reasons": "; ".join(f"{kinds[j]}: {n_kind[j]}" for j in order),
    }
    row.update(_empty_numbers())
    columns = [np.ones(len(speed)), is_post.astype(float)]
    terms = ["post"]
    if len(speed) and np.ptp(speed) > 1e-9:
        columns.append(speed - ref_speed)
        terms.append("speed_kmh_dev")
    X = np.column_stack(columns)
    if n_pre < 2 or n_post < 2 or len(speed) - X.shape[1] < 1:
        row["verdict"] = (
            f"insufficient data: {n_pre} steady lab stages before and {n_post} after "
            "(need 2 in each and one more than the model terms)"
        )
        row["warning"] = "; ".join(n for n in notes if n)
        return row
    result = sm.OLS(log_cost, X).fit(use_t=True)
    b, se, df = float(result.params[1]), float(result.bse[1]), float(result.df_resid)
    tcrit = _t_quantile(df)
    baseline = float(np.exp(result.params[0]))
    row.update(
        {
            "baseline_o2_cost_ml_kg_km": baseline,
            "end_o2_cost_ml_kg_km": baseline * float(np.exp(b)),
            "o2_cost_change_pct": float(_pct(b)),
            "ci_low_pct": float(_pct(b - tcrit * se)),
            "ci_high_pct": float(_pct(b + tcrit * se)),
            "p_value": _t_pvalue(b / se, df),
            "typical_error_pct": float(100.0 * np.sqrt(result.scale)),
            "model_terms": " + ".join(["1", *terms]),
            "se_method": (
                f"OLS on lab stages; t, {df:g} df (stage-to-stage noise only: "
                "day-to-day variation is not in the CI)"
            ),
        }
    )
    row["verdict"] = _verdict(row["ci_low_pct"], row["ci_high_pct"])
    row["warning"] = "; ".join(n for n in notes if n)
    return row


# --------------------------------------------------------------------------
# analyze
# --------------------------------------------------------------------------


def _quarantined_runs(dataset: Dataset) -> pd.Series:
    """Quarantined runs.csv rows (distinct lines) per runner_id."""
    q = dataset.quarantine
    if q.empty:
        return pd.Series(dtype="int64")
    q = q.loc[q["file"].astype(str) == "runs.csv", ["runner_id", "line"]]
    q = q.assign(runner_id=q["runner_id"].astype(object).where(q["runner_id"].notna(), ""))
    return q.drop_duplicates().groupby(q["runner_id"].map(str))["line"].size()


def _select_runners(blocks: pd.DataFrame, runner_ids, runners_file="runners.csv") -> pd.DataFrame:
    if runner_ids is None:
        return blocks
    if isinstance(runner_ids, str):
        runner_ids = [runner_ids]
    wanted = [str(r) for r in runner_ids]
    known = set(blocks["runner_id"])
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise DataError(
            f"runner(s) {', '.join(unknown)} not found; known runners are listed in runners.csv",
            file=str(runners_file),
            column="runner_id",
        )
    keep = blocks.loc[blocks["runner_id"].isin(wanted)]
    return keep.set_index("runner_id").loc[list(dict.fromkeys(wanted))].reset_index()


def _as_frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=[*ANALYZE_COLUMNS, *EXTRA_COLUMNS])
    for col in ("block_start", "block_end", "baseline_start", "lab_pre_date", "lab_post_date"):
        out[col] = pd.to_datetime(out[col])
    for col in ("n_baseline_runs", "n_block_runs", "n_excluded_runs"):
        out[col] = out[col].astype("Int64")
    for col in (
        "baseline_o2_cost_ml_kg_km",
        "end_o2_cost_ml_kg_km",
        "o2_cost_change_pct",
        "ci_low_pct",
        "ci_high_pct",
        "p_value",
        "block_weeks",
        "typical_error_pct",
        "temp_coef_pct_per_c",
        "temp_coef_ci_low_pct_per_c",
        "temp_coef_ci_high_pct_per_c",
        "ar_phi_per_day",
        "ar_variance_share",
        "reference_temp_c",
        "reference_gas_m_min",
        "reference_speed_kmh",
    ):
        out[col] = out[col].astype(float)
    out["params_defaulted"] = out["params_defaulted"].astype(bool)
    return out


def analyze(
    dataset: Dataset,
    runner_ids: Iterable[str] | str | None = None,
    *,
    progress: bool = False,
    baseline_weeks: int = 6,
    metrics: pd.DataFrame | None = None,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
) -> pd.DataFrame:
    """Change in oxygen cost of running over the strength block, per runner.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`analysis.io.load_dataset`).
    runner_ids : iterable of str, str or None
        Runners to analyse (default: all, in runners.csv order). Blocks of
        controls still come from the whole squad. An unknown id raises
        :class:`~analysis.io.errors.DataError`.
    progress : bool, keyword-only
        Show a tqdm progress bar (for the CLI).
    baseline_weeks : int, keyword-only
        Weeks of baseline before the block start (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics` of ``dataset``.
    errors : {"ar1", "hac"}, keyword-only
        Error model of the field fit (:func:`fit_runner`); default ``"ar1"``.
    confounders : collection of str, keyword-only
        Confounders of the field model, a subset of ``CONFOUNDERS`` (default
        all; fewer only for sensitivity analyses).

    Returns
    -------
    DataFrame
        ``ANALYZE_COLUMNS`` (DATA_FORMAT.md, in order) then ``EXTRA_COLUMNS``,
        one ``field_hr`` row for every selected runner, each followed by a
        ``lab`` row where lab_tests.csv has a test before and one after the
        block start (:func:`_lab_rows`).

        - A runner that cannot be modelled (no block dates, no runs, no runs
          in the window, no heart rate, fewer than ``MIN_STEADY_RUNS`` steady
          runs in the baseline or the block) gets ``verdict`` =
          ``"insufficient data: <reason>"`` and empty estimates; its run
          counts are still given.
        - ``n_baseline_runs``, ``n_block_runs``: runs in the model (lab:
          stages of the pre and post test). ``n_excluded_runs``: runs in the
          analysis window left out, plus the runner's quarantined runs.csv
          rows (lab: stages left out); ``excluded_reasons`` spells them out
          (``"interval: 12; race: 2; quarantined: 1"``). Runs outside the
          window are not counted.
        - Extras: ``block_source``, ``baseline_start``, ``block_weeks``,
          ``typical_error_pct`` (residual SD of log cost x 100: the per-run
          typical error as a CV, Hopkins 2000), ``temp_coef_pct_per_c`` with
          its CI (% of cost per degC above ``HEAT_ONSET_C``),
          ``ar_phi_per_day`` and ``ar_variance_share`` (the REML serial
          correlation), the reference conditions (``reference_temp_c``,
          ``reference_gas_m_min``; lab: ``reference_speed_kmh``,
          ``lab_pre_date``, ``lab_post_date``), ``model_terms``,
          ``se_method``, ``params_defaulted`` (a runner parameter came from a
          default, :func:`analysis.metrics.run_metrics`) and ``warning``
          (block length, extrapolated end, missing temperatures...).

    References
    ----------
    .. [1] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15.
    .. [2] Barnes KR, Kilding AE (2015). Running economy: measurement, norms,
       and determining factors. Sports Med Open 1:8.
    """
    _check_options(errors, confounders, "analyze")
    all_blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    blocks = _select_runners(all_blocks, runner_ids, Path(dataset.path) / "runners.csv")
    if metrics is None:
        metrics = run_metrics(dataset)
    metrics = metrics.loc[metrics["runner_id"].astype(str).isin(set(blocks["runner_id"]))]
    prep = prepare_runs(metrics, blocks)
    lab_rows = _lab_rows(blocks, dataset.lab_tests)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(blocks), desc="analyze", unit="runner")
    try:
        fitted = _field_rows(
            blocks, prep, _quarantined_runs(dataset), errors, confounders, progress=bar
        )
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for row, _ in fitted:
        rows.append(row)
        if row["runner_id"] in lab_rows:
            rows.append(lab_rows[row["runner_id"]])
    return _as_frame(rows)


# --------------------------------------------------------------------------
# Squad model
# --------------------------------------------------------------------------

SQUAD_COLUMNS = (
    "effect",
    "estimate_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
    "n_runners",
    "n_runs",
    "random_effects",
    "ci_method",
    "note",
)
"""Columns of :func:`squad_model`, one row per effect."""

SQUAD_EFFECTS = ("strength minus control", "strength change", "control change")

FEW_RUNNERS = 20
"""Below this many runners a mixed model's large-sample (z) CI is too narrow
(SCIENCE.md section 9); :func:`squad_model` says so in ``note``."""

_SQUAD_CONFOUNDERS = ("heat_c_dev", "drift_min_dev")


def _is_control(group: pd.Series) -> pd.Series:
    return group.astype(str).str.strip().str.lower().eq("control")


def _squad_data(
    dataset: Dataset,
    per_runner: pd.DataFrame | None,
    baseline_weeks: int,
    metrics: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs in the model (prepared) and the runner table used by the squad model."""
    blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    if metrics is None:
        metrics = run_metrics(dataset)
    prep = prepare_runs(metrics, blocks)
    used = prep.loc[prep["used"]]
    counts = pd.crosstab(used["runner_id"], used["period"]).reindex(
        columns=["baseline", "block"], fill_value=0
    )
    enough = counts.index[
        (counts["baseline"] >= MIN_STEADY_RUNS) & (counts["block"] >= MIN_STEADY_RUNS)
    ]
    runners = blocks.loc[blocks["runner_id"].isin(enough) & blocks["block_source"].ne("none")]
    if per_runner is not None:
        field_rows = per_runner.loc[per_runner["method"].eq(FIELD_METHOD)]
        modelled = field_rows.loc[~field_rows["verdict"].str.startswith("insufficient data")]
        runners = runners.loc[runners["runner_id"].isin(set(modelled["runner_id"].astype(str)))]
    data = used.loc[used["runner_id"].isin(set(runners["runner_id"]))].copy()
    strength = ~_is_control(runners.set_index("runner_id")["group"])
    data["strength"] = data["runner_id"].map(strength).astype(float)
    return data.reset_index(drop=True), runners


def _mixed_fit(data: pd.DataFrame, formula: str, slope: bool):
    """Fit the REML mixed model; None when it fails or does not converge.

    statsmodels warns "MLE may be on the boundary" whenever a variance
    parameter gets close to zero during the search; that is not a failure.
    A random-slope fit is rejected when it did not converge or its
    random-effects covariance is singular (a slope variance or correlation at
    the boundary), so that the caller falls back to a random intercept.
    """
    model = smf.mixedlm(
        formula, data, groups=data["runner_id"], re_formula="~ramp" if slope else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(reml=True, method=["lbfgs"])
        except (np.linalg.LinAlgError, ValueError):
            return None
        ramp_terms = [name for name in result.fe_params.index if "ramp" in name]
        if not result.converged or not np.all(np.isfinite(result.bse_fe[ramp_terms])):
            return None
    if slope:
        eig = np.linalg.eigvalsh(np.asarray(result.cov_re, dtype=float))
        if eig.min() <= 1e-3 * max(eig.max(), 1e-12):
            return None
    return result


def _contrasts(has_strength: bool, has_control: bool) -> dict[str, dict[str, float]]:
    """Linear combinations of fixed effects for each reported effect."""
    if has_strength and has_control:
        return {
            "strength minus control": {"ramp:strength": 1.0},
            "strength change": {"ramp": 1.0, "ramp:strength": 1.0},
            "control change": {"ramp": 1.0},
        }
    name = "strength change" if has_strength else "control change"
    return {name: {"ramp": 1.0}}


def _estimate(result, weights: Mapping[str, float]) -> tuple[float, float]:
    names = list(result.fe_params.index)
    c = np.zeros(len(names))
    for term, w in weights.items():
        c[names.index(term)] = w
    beta = float(c @ result.fe_params.to_numpy())
    cov = np.asarray(result.cov_params().loc[names, names], dtype=float)
    return beta, float(np.sqrt(c @ cov @ c))


def squad_model(
    dataset: Dataset,
    per_runner: pd.DataFrame | None = None,
    *,
    baseline_weeks: int = 6,
    metrics: pd.DataFrame | None = None,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Did the strength group improve more than the controls? A mixed model.

    Over the steady runs of every runner with enough of them (the runners
    :func:`analyze` can model), a linear mixed model (REML)::

        log(o2_cost) - speed_cost_dev ~ ramp * strength + heat_c_dev + drift_min_dev
                                        + (1 + ramp | runner)

    with the same ramp and centred confounders as the per-runner model.
    ``strength`` is 1 for every runner whose group is not ``control``. The
    random slope for ``ramp`` is kept when the fit converges with a
    non-singular random-effects covariance, else the model falls back to a
    random intercept (``random_effects`` says which). Each effect is reported
    as ``100 * (exp(beta) - 1)`` %: the strength-minus-control difference of
    the change over the block (``ramp:strength``) and each group's own change.

    Small squads: the group effects are contrasts between runners, so the
    Wald CI and p-value use Student t with ``n_runners - 2`` degrees of
    freedom (the "between-within" / containment df) instead of the normal
    distribution, whose intervals are too narrow with few runners (SCIENCE.md
    section 9 suggests Kenward-Roger/Satterthwaite or a cluster bootstrap).
    On simulated 12-runner squads the z interval covered the true group
    difference in 92 % of 60 squads, the t interval in 98 %. A cluster bootstrap
    over runners (runners resampled with replacement within each group, the
    model refitted, percentile interval; p-value twice the smaller tail
    fraction beyond 0) is available with ``n_bootstrap``, but costs a mixed
    model fit per draw (about 0.2 s for 12 runners) and percentile intervals
    over few clusters are themselves too narrow, so it is not the default.
    Without a control group the strength group's change cannot be separated
    from seasonal trends: the ``note`` column says so.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    per_runner : DataFrame, optional
        :func:`analyze` output; when given, only runners with a ``field_hr``
        estimate (not ``insufficient data``) enter the model.
    baseline_weeks : int, keyword-only
        Weeks of baseline (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics`.
    n_bootstrap : int, keyword-only
        Cluster-bootstrap refits for the CI (default 0: Wald CI with t).
    seed : int, keyword-only
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        ``SQUAD_COLUMNS``, one row per effect.

    References
    ----------
    .. [1] Laird NM, Ware JH (1982). Random-effects models for longitudinal
       data. Biometrics 38(4):963-974.
    .. [2] Field CA, Welsh AH (2007). Bootstrapping clustered data. J R Stat
       Soc B 69(3):369-390.
    """
    data, runners = _squad_data(dataset, per_runner, baseline_weeks, metrics)
    strength_ids = runners.loc[~_is_control(runners["group"]), "runner_id"]
    control_ids = runners.loc[_is_control(runners["group"]), "runner_id"]
    has_s, has_c = len(strength_ids) > 0, len(control_ids) > 0
    n_runners = len(runners)

    def empty(note: str) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "effect": e,
                    "estimate_pct": np.nan,
                    "ci_low_pct": np.nan,
                    "ci_high_pct": np.nan,
                    "p_value": np.nan,
                    "n_runners": n_runners,
                    "n_runs": len(data),
                    "random_effects": "",
                    "ci_method": "",
                    "note": note,
                }
                for e in SQUAD_EFFECTS
            ],
            columns=list(SQUAD_COLUMNS),
        )

    if n_runners < 2:
        return empty(f"{n_runners} runner(s) with enough steady runs: no squad model")

    terms = ["ramp"]
    if has_s and has_c:
        terms += ["strength", "ramp:strength"]
    terms += [t for t in _SQUAD_CONFOUNDERS if np.ptp(data[t].to_numpy(dtype=float)) > 1e-9]
    formula = field_formula(terms, speed_offset=True)
    slope = True
    result = _mixed_fit(data, formula, slope=True)
    if result is None:
        slope = False
        result = _mixed_fit(data, formula, slope=False)
    if result is None:
        return empty("the mixed model did not converge")
    contrasts = _contrasts(has_s, has_c)

    notes = []
    if not has_c:
        notes.append(
            "no control group: the change cannot be separated from seasonal trends "
            "(warming, fitness)"
        )
    if not has_s:
        notes.append("no strength group")
    if n_runners < FEW_RUNNERS:
        notes.append(
            f"only {n_runners} runners: CI from t with {n_runners - 2} df; "
            "a small squad can only show large effects"
        )

    boot = None
    if n_bootstrap > 0:
        boot = _cluster_bootstrap(
            data, runners, formula, slope, contrasts, n_bootstrap, np.random.default_rng(seed)
        )
        n_ok = int(np.isfinite(boot[next(iter(contrasts))]).sum())
        if n_ok < 0.8 * n_bootstrap:
            notes.append(f"only {n_ok} of {n_bootstrap} bootstrap refits converged")

    df = max(n_runners - 2, 1)
    tcrit = _t_quantile(df)
    rows = []
    for effect in SQUAD_EFFECTS:
        group_n = {
            "strength minus control": n_runners,
            "strength change": len(strength_ids),
            "control change": len(control_ids),
        }[effect]
        row = {
            "effect": effect,
            "n_runners": group_n,
            "n_runs": int(
                len(data)
                if effect == "strength minus control"
                else data["strength"].eq(1.0 if effect == "strength change" else 0.0).sum()
            ),
            "random_effects": "intercept + ramp slope" if slope else "intercept",
            "note": "; ".join(notes),
        }
        if effect not in contrasts:
            row.update(estimate_pct=np.nan, ci_low_pct=np.nan, ci_high_pct=np.nan, p_value=np.nan)
            row["ci_method"] = ""
            rows.append(row)
            continue
        beta, se = _estimate(result, contrasts[effect])
        row["estimate_pct"] = float(_pct(beta))
        if boot is not None:
            draws = boot[effect][np.isfinite(boot[effect])]
            lo, hi = np.quantile(draws, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
            row["ci_low_pct"], row["ci_high_pct"] = float(_pct(lo)), float(_pct(hi))
            tail = min((draws <= 0).mean(), (draws >= 0).mean())
            row["p_value"] = float(min(1.0, 2.0 * max(tail, 1.0 / len(draws))))
            row["ci_method"] = f"cluster bootstrap over runners ({len(draws)} refits, percentile)"
        else:
            row["ci_low_pct"] = float(_pct(beta - tcrit * se))
            row["ci_high_pct"] = float(_pct(beta + tcrit * se))
            row["p_value"] = _t_pvalue(beta / se, df)
            row["ci_method"] = f"Wald (REML mixed model), t with {df} df"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SQUAD_COLUMNS))


def _cluster_bootstrap(
    data: pd.DataFrame,
    runners: pd.DataFrame,
    formula: str,
    slope: bool,
    contrasts: Mapping[str, Mapping[str, float]],
    n_bootstrap: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Refit the mixed model on runners resampled within each group."""
    positions = data.groupby("runner_id", sort=False).indices
    groups = [
        runners.loc[mask, "runner_id"].to_numpy()
        for mask in (~_is_control(runners["group"]), _is_control(runners["group"]))
    ]
    groups = [g for g in groups if len(g)]
    out = {e: np.full(n_bootstrap, np.nan) for e in contrasts}
    for b in range(n_bootstrap):
        draw = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        idx = [positions[r] for r in draw]
        sample = data.iloc[np.concatenate(idx)].copy()
        sample["runner_id"] = np.repeat(np.arange(len(draw)), [len(i) for i in idx])
        result = _mixed_fit(sample, formula, slope)
        if result is None and slope:
            result = _mixed_fit(sample, formula, False)
        if result is None:
            continue
        for effect, weights in contrasts.items():
            out[effect][b] = _estimate(result, weights)[0]
    return out


# --------------------------------------------------------------------------
# Dose-response
# --------------------------------------------------------------------------

DOSE_CATEGORIES = ("heavy", "explosive", "plyometric")
"""Strength categories reported separately (SCIENCE.md section 8: heavy and
explosive or plyometric work help running economy most)."""

VOLUME_STEP_KG = 1000.0
"""Dose-response slopes for volume load are per this many kg per week."""

DOSE_COLUMNS = (
    "dose",
    "dose_step",
    "dose_unit",
    "slope_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
    "n_runners",
    "method",
    "note",
)
"""Columns of :func:`dose_response`, one row per dose variable."""


def _dose_variables() -> list[tuple[str, float, str]]:
    out = [("sessions_per_week", 1.0, "session/week")]
    out.append(("volume_load_kg_per_week", VOLUME_STEP_KG, "kg/week"))
    for cat in DOSE_CATEGORIES:
        out.append((f"sessions_per_week_{cat}", 1.0, "session/week"))
    for cat in DOSE_CATEGORIES:
        out.append((f"volume_load_kg_per_week_{cat}", VOLUME_STEP_KG, "kg/week"))
    return out


def runner_doses(
    dataset: Dataset, *, baseline_weeks: int = 6, blocks: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Strength work done during each runner's block, per week.

    Sums :func:`analysis.strength.weekly_strength` over the ISO weeks that
    overlap ``[block_start, block_end]`` and divides by ``block_weeks``.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    baseline_weeks : int, keyword-only
        Passed to :func:`analysis.blocks.runner_blocks` (default 6).
    blocks : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.blocks.runner_blocks`.

    Returns
    -------
    DataFrame
        One row per runner: ``runner_id``, ``group``, ``block_source``,
        ``block_weeks``, ``sessions`` (in the block), ``sessions_per_week``,
        ``volume_load_kg_per_week`` and, for each of ``DOSE_CATEGORIES``,
        ``sessions_per_week_<category>`` (sessions with at least one exercise
        of it) and ``volume_load_kg_per_week_<category>`` (sets x reps x
        external load; body-weight moves add 0 kg). Zero for a runner without
        sessions; NaN without block dates.

    References
    ----------
    .. [1] SCIENCE.md section 10 (volume load).
    """
    if blocks is None:
        blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    weekly = weekly_strength(dataset.strength)
    weekly = weekly.assign(runner_id=weekly["runner_id"].astype(str))
    weekly = weekly.merge(blocks[["runner_id", "block_start", "block_end"]], on="runner_id")
    first_week = week_start(weekly["block_start"])
    inside = (weekly["week"] >= first_week) & (weekly["week"] <= weekly["block_end"])
    sums = {
        "sessions": "sessions",
        "volume_load_kg_per_week": "volume_load_kg",
        **{f"sessions_per_week_{c}": f"sessions_{c}" for c in DOSE_CATEGORIES},
        **{f"volume_load_kg_per_week_{c}": f"volume_load_{c}_kg" for c in DOSE_CATEGORIES},
    }
    totals = weekly.loc[inside].groupby("runner_id")[list(sums.values())].sum()
    totals.columns = list(sums)
    out = blocks[["runner_id", "group", "block_source", "block_weeks"]].merge(
        totals, left_on="runner_id", right_index=True, how="left"
    )
    has_block = out["block_weeks"].notna()
    out.loc[has_block, list(sums)] = out.loc[has_block, list(sums)].fillna(0.0)
    weeks = out["block_weeks"].astype(float)
    for col in sums:
        if col != "sessions":
            out[col] = out[col].astype(float) / weeks
    out["sessions_per_week"] = out["sessions"].astype(float) / weeks
    order = [
        "runner_id",
        "group",
        "block_source",
        "block_weeks",
        "sessions",
        "sessions_per_week",
        "volume_load_kg_per_week",
        *(f"sessions_per_week_{c}" for c in DOSE_CATEGORIES),
        *(f"volume_load_kg_per_week_{c}" for c in DOSE_CATEGORIES),
    ]
    return out[order].reset_index(drop=True)


def dose_response(
    dataset: Dataset,
    per_runner: pd.DataFrame,
    *,
    baseline_weeks: int = 6,
    doses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Change in oxygen cost versus the strength work done, across runners.

    For each dose variable of :func:`runner_doses` (sessions per week, weekly
    volume load, and both for heavy, explosive and plyometric work), weighted
    least squares across the strength group's runners of the per-runner
    ``field_hr`` change on the dose, weighted by ``1 / SE^2`` of each change
    (SE from its CI, ``(ci_high - ci_low) / (2 t)``). The residual scale is
    estimated (statsmodels WLS), so runners who differ more than their SEs
    say widen the CI instead of being ignored (a multiplicative-dispersion
    meta-regression). Controls are not included: the group contrast is the
    squad model's job, and a dose of zero by design would turn the slope into
    that contrast. Runners with ``insufficient data`` are left out.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    per_runner : DataFrame
        :func:`analyze` output.
    baseline_weeks : int, keyword-only
        Passed to :func:`runner_doses` (default 6).
    doses : DataFrame, optional, keyword-only
        Precomputed :func:`runner_doses`.

    Returns
    -------
    DataFrame
        ``DOSE_COLUMNS``: ``dose`` (the :func:`runner_doses` column),
        ``dose_step`` and ``dose_unit`` (the slope is the change in
        percentage points per ``dose_step`` ``dose_unit``), ``slope_pct``
        with its 95 % CI (t, n - 2 df) and p-value, ``n_runners``, ``method``
        and ``note`` (why a slope is missing: fewer than 3 runners, or no
        variation in that dose).

    References
    ----------
    .. [1] Thompson SG, Sharp SJ (1999). Explaining heterogeneity in
       meta-analysis: a comparison of methods. Stat Med 18(20):2693-2708.
    """
    if doses is None:
        doses = runner_doses(dataset, baseline_weeks=baseline_weeks)
    field_rows = per_runner.loc[
        per_runner["method"].eq(FIELD_METHOD) & per_runner["o2_cost_change_pct"].notna()
    ]
    data = field_rows[["runner_id", "o2_cost_change_pct", "ci_low_pct", "ci_high_pct"]].merge(
        doses, on="runner_id"
    )
    data = data.loc[
        ~_is_control(data["group"]) & data["block_source"].isin(["blocks.csv", "inferred"])
    ]
    se = (data["ci_high_pct"] - data["ci_low_pct"]) / (2.0 * _t_quantile(1e6))
    data = data.assign(weight=1.0 / se**2)
    data = data.loc[np.isfinite(data["weight"]) & (data["weight"] > 0)]
    method = "WLS across runners, weights 1/SE^2 of each change, scale estimated; t, n-2 df"
    rows = []
    for dose, step, unit in _dose_variables():
        row = {
            "dose": dose,
            "dose_step": step,
            "dose_unit": unit,
            "slope_pct": np.nan,
            "ci_low_pct": np.nan,
            "ci_high_pct": np.nan,
            "p_value": np.nan,
            "n_runners": len(data),
            "method": method,
            "note": "",
        }
        x = data[dose].to_numpy(dtype=float) / step
        if len(data) < 3:
            row["note"] = f"{len(data)} strength runners with an estimate: need 3"
        elif np.ptp(x) <= 1e-12:
            row["note"] = "no variation in this dose across runners"
        else:
            fit = sm.WLS(
                data["o2_cost_change_pct"].to_numpy(dtype=float),
                sm.add_constant(x, has_constant="add"),
                weights=data["weight"].to_numpy(dtype=float),
            ).fit()
            b, s, df = float(fit.params[1]), float(fit.bse[1]), float(fit.df_resid)
            tcrit = _t_quantile(df)
            row.update(
                slope_pct=b,
                ci_low_pct=b - tcrit * s,
                ci_high_pct=b + tcrit * s,
                p_value=_t_pvalue(b / s, df) if s > 0 else np.nan,
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(DOSE_COLUMNS))


# --------------------------------------------------------------------------
# One squad table
# --------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "section",
    "effect",
    "estimate_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
    "n_runners",
    "n_runs",
    "method",
    "note",
)
"""Columns of :func:`squad_summary`."""


def squad_summary(
    dataset: Dataset,
    per_runner: pd.DataFrame,
    *,
    baseline_weeks: int = 6,
    metrics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`squad_model` and :func:`dose_response` stacked into one tidy table.

    For ``runeco analyze --squad-out``. Rows with ``section`` =
    ``"squad model"`` are the group effects (``estimate_pct`` is the change
    or difference in %); rows with ``section`` = ``"dose response"`` are the
    slopes (``estimate_pct`` is percentage points of change per
    ``effect``'s step, e.g. "sessions_per_week, per 1 session/week").
    ``method`` combines the random effects and CI method, or the weighting.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    per_runner : DataFrame
        :func:`analyze` output.
    baseline_weeks : int, keyword-only
        Weeks of baseline (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics`.

    Returns
    -------
    DataFrame
        ``SUMMARY_COLUMNS``.
    """
    squad = squad_model(dataset, per_runner, baseline_weeks=baseline_weeks, metrics=metrics)
    dose = dose_response(dataset, per_runner, baseline_weeks=baseline_weeks)
    squad_rows = pd.DataFrame(
        {
            "section": "squad model",
            "effect": squad["effect"],
            "estimate_pct": squad["estimate_pct"],
            "ci_low_pct": squad["ci_low_pct"],
            "ci_high_pct": squad["ci_high_pct"],
            "p_value": squad["p_value"],
            "n_runners": squad["n_runners"],
            "n_runs": squad["n_runs"],
            "method": ("random " + squad["random_effects"] + "; " + squad["ci_method"]).where(
                squad["random_effects"] != "", ""
            ),
            "note": squad["note"],
        }
    )
    step_text = dose["dose_step"].map("{:g}".format) + " " + dose["dose_unit"]
    dose_rows = pd.DataFrame(
        {
            "section": "dose response",
            "effect": dose["dose"] + ", per " + step_text,
            "estimate_pct": dose["slope_pct"],
            "ci_low_pct": dose["ci_low_pct"],
            "ci_high_pct": dose["ci_high_pct"],
            "p_value": dose["p_value"],
            "n_runners": dose["n_runners"],
            "n_runs": np.nan,
            "method": dose["method"],
            "note": dose["note"],
        }
    )
    out = pd.concat([squad_rows, dose_rows], ignore_index=True)
    out["n_runs"] = out["n_runs"].astype("Int64")
    out["n_runners"] = out["n_runners"].astype("Int64")
    return out[list(SUMMARY_COLUMNS)]
