"""Dose-response: the change versus how much strength work each runner did."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.blocks import runner_blocks
from analysis.io.dataset import Dataset
from analysis.models.columns import DOSE, as_frame, first_blocks
from analysis.models.field import FIELD_METHOD
from analysis.models.inference import t_pvalue, t_quantile
from analysis.models.training import _is_control
from analysis.schema import BASELINE_WEEKS
from analysis.strength import week_start, weekly_strength

DOSE_CATEGORIES = ("heavy", "explosive", "plyometric")
"""Strength categories reported separately (SCIENCE.md section 8: heavy and
explosive or plyometric work help running economy most)."""

VOLUME_STEP_KG = 1000.0
"""Dose-response slopes for volume load are per this many kg per week."""


def _dose_variables() -> list[tuple[str, float, str]]:
    out = [("sessions_per_week", 1.0, "session/week")]
    out.append(("volume_load_kg_per_week", VOLUME_STEP_KG, "kg/week"))
    for cat in DOSE_CATEGORIES:
        out.append((f"sessions_per_week_{cat}", 1.0, "session/week"))
    for cat in DOSE_CATEGORIES:
        out.append((f"volume_load_kg_per_week_{cat}", VOLUME_STEP_KG, "kg/week"))
    return out


def runner_doses(
    dataset: Dataset, *, baseline_weeks: int = BASELINE_WEEKS, blocks: pd.DataFrame | None = None
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
        external load; body-weight moves add 0 kg), then
        ``repetitions_per_week`` (sets x reps of every exercise, bodyweight
        and jumps included: :func:`analysis.strength.repetitions`). Zero for a runner without
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
        "repetitions_per_week": "repetitions",
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
        "repetitions_per_week",
    ]
    return out[order].reset_index(drop=True)


OWN = ("own_change_pct", "own_ci_low_pct", "own_ci_high_pct")
CHANGE = ("change_pct", "change_ci_low_pct", "change_ci_high_pct")


def dose_response(
    dataset: Dataset,
    per_runner: pd.DataFrame,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    doses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Change in oxygen cost versus the strength work done, across runners.

    For each dose variable of :func:`runner_doses` (sessions per week, weekly
    volume load, and both for heavy, explosive and plyometric work), weighted
    least squares across the strength group's runners of the per-runner
    ``field_hr`` change on the dose (the runner's own, ``own_change_pct``:
    the pooled headline leans toward the group's mean and would flatten the
    slope), weighted by ``1 / SE^2`` of each change
    (SE from its CI, ``(ci_high - ci_low) / (2 t)``). The residual scale is
    estimated (statsmodels WLS), so runners who differ more than their SEs
    say widen the CI instead of being ignored (a multiplicative-dispersion
    meta-regression). Controls are not included: the group contrast is the
    squad model's job, and a dose of zero by design would turn the slope into
    that contrast. Runners with ``insufficient data`` are left out. Each
    runner enters once, with its first block (``block`` 1): the doses of
    :func:`runner_doses` are those of the first block, and one runner's
    blocks are not independent units (:mod:`analysis.models.runner`).

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
    import statsmodels.api as sm  # lazily: the reports never fit here

    if doses is None:
        doses = runner_doses(dataset, baseline_weeks=baseline_weeks)
    per_runner = first_blocks(per_runner)  # the dose of each runner's first block
    # each runner's own change: the pooled headline leans toward the group's mean,
    # which would flatten the slope across the group
    field_rows = per_runner.loc[
        per_runner["method"].eq(FIELD_METHOD) & per_runner["own_change_pct"].notna()
    ]
    data = field_rows[["runner_id", *OWN]].rename(columns=dict(zip(OWN, CHANGE, strict=True)))
    data = data.merge(doses, on="runner_id")
    data = data.loc[
        ~_is_control(data["group"]) & data["block_source"].isin(["blocks.csv", "inferred"])
    ]
    se = (data["change_ci_high_pct"] - data["change_ci_low_pct"]) / (2.0 * t_quantile(1e6))
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
                data["change_pct"].to_numpy(dtype=float),
                sm.add_constant(x, has_constant="add"),
                weights=data["weight"].to_numpy(dtype=float),
            ).fit()
            b, s, df = float(fit.params[1]), float(fit.bse[1]), float(fit.df_resid)
            tcrit = t_quantile(df)
            row.update(
                slope_pct=b,
                ci_low_pct=b - tcrit * s,
                ci_high_pct=b + tcrit * s,
                p_value=t_pvalue(b / s, df) if s > 0 else np.nan,
            )
        rows.append(row)
    return as_frame(rows, DOSE)
