"""Power and planning: what change can a runner's data detect, and what would it take?

The field model's change is the coefficient of a ramp from 0 (baseline) to 1
(end of block). For white noise with per-run SD ``sigma`` (the typical error,
Hopkins 2000) its standard error follows from the design alone:
``sigma * sqrt([(X'X)^-1]_ramp)`` with ``X = [1, ramp]`` at the run dates.
Runs on nearby days are correlated (:mod:`analysis.models.serial`), which
inflates that SE; the inflation is read from a runner's own fit (reported SE
/ white-noise SE of the same design) or taken as ``TYPICAL_SERIAL_INFLATION``.
The minimum detectable change is then ``(t_{0.975} + t_{0.80}) * SE``
(:func:`analysis.models.inference.mdc_pct`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.models.inference import mdc_pct, t_quantile

TYPICAL_ERROR_PCT = 4.0
"""Per-run typical error of the field estimate when a runner has no fit [%]:
field proxies vary 3-6 % from session to session (SCIENCE.md section 5)."""

TYPICAL_SERIAL_INFLATION = 1.3
"""SE inflation from day-to-day correlation when a runner has no fit (the
ratio of the REML SE to the white-noise SE on the simulated squads: 1.2-1.4)."""

TARGET_CHANGE_PCT = 3.0
"""Default change to detect [%]: strength blocks improve economy by 2-5 % (SCIENCE.md section 8)."""

PLAN_COLUMNS = (
    "baseline_weeks",
    "block_weeks",
    "runs_per_week",
    "mdc_pct",
    "detects_target",
)


def ramp_se_per_sigma(baseline_weeks: float, block_weeks: float, runs_per_week: float) -> float:
    """SE of the ramp coefficient per unit of per-run SD, runs evenly spread, white noise."""
    n_base = max(int(round(baseline_weeks * runs_per_week)), 1)
    n_block = max(int(round(block_weeks * runs_per_week)), 1)
    ramp = np.concatenate([np.zeros(n_base), (np.arange(1, n_block + 1) / n_block)])
    X = np.column_stack([np.ones(len(ramp)), ramp])
    return float(math.sqrt(np.linalg.inv(X.T @ X)[1, 1]))


def detectable_change(
    typical_error_pct: float,
    baseline_weeks: float,
    block_weeks: float,
    runs_per_week: float,
    *,
    serial_inflation: float = TYPICAL_SERIAL_INFLATION,
) -> float:
    """The change [%] a runner with this typical error detects with 80 % power."""
    se = serial_inflation * (typical_error_pct / 100.0)
    se *= ramp_se_per_sigma(baseline_weeks, block_weeks, runs_per_week)
    n = (baseline_weeks + block_weeks) * runs_per_week
    return mdc_pct(se, max(n - 4, 1))


def serial_inflation(row: Mapping) -> float:
    """A fitted runner's SE inflation over white noise (reported SE / white-noise SE)."""
    te = row.get("typical_error_pct")
    lo, hi = row.get("raw_ci_low_pct"), row.get("raw_ci_high_pct")
    n_base, n_block = row.get("n_baseline_runs"), row.get("n_block_runs")
    weeks_block = row.get("block_weeks")
    values = (te, lo, hi, n_base, n_block, weeks_block)
    if any(v is None or pd.isna(v) for v in values) or te <= 0 or n_base < 2 or n_block < 2:
        return TYPICAL_SERIAL_INFLATION
    df = float(n_base + n_block - 4)
    se = (math.log1p(hi / 100.0) - math.log1p(lo / 100.0)) / (2 * t_quantile(max(df, 1)))
    base_weeks = max(n_base / max(n_block / weeks_block, 1e-9), 1.0)
    white = (te / 100.0) * ramp_se_per_sigma(base_weeks, weeks_block, n_block / weeks_block)
    return float(max(se / white, 1.0)) if white > 0 else TYPICAL_SERIAL_INFLATION


def plan(
    typical_error_pct: float = TYPICAL_ERROR_PCT,
    *,
    target_pct: float = TARGET_CHANGE_PCT,
    inflation: float = TYPICAL_SERIAL_INFLATION,
    baseline_weeks: Iterable[float] = (4, 6, 8, 12),
    block_weeks: Iterable[float] = (8, 10, 12, 16),
    runs_per_week: Iterable[float] = (2, 3, 4, 5, 6, 7),
) -> pd.DataFrame:
    """Minimum detectable change for each plan, smallest first.

    Returns
    -------
    DataFrame
        ``PLAN_COLUMNS``: one row per (baseline weeks, block weeks, steady runs
        per week), with ``mdc_pct`` and ``detects_target`` (mdc <= target).
    """
    rows = [
        {
            "baseline_weeks": b,
            "block_weeks": k,
            "runs_per_week": r,
            "mdc_pct": detectable_change(typical_error_pct, b, k, r, serial_inflation=inflation),
        }
        for b, k, r in itertools.product(baseline_weeks, block_weeks, runs_per_week)
    ]
    out = pd.DataFrame(rows, columns=list(PLAN_COLUMNS[:-1]))
    out["detects_target"] = out["mdc_pct"] <= target_pct
    return out.sort_values(["mdc_pct"], kind="stable").reset_index(drop=True)[list(PLAN_COLUMNS)]


def cheapest_plan(table: pd.DataFrame) -> Mapping | None:
    """The plan that detects the target with the fewest steady runs in total, or None."""
    ok = table.loc[table["detects_target"]]
    if ok.empty:
        return None
    total = (ok["baseline_weeks"] + ok["block_weeks"]) * ok["runs_per_week"]
    return ok.loc[total.idxmin()].to_dict()
