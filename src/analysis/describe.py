"""Figure descriptions: what each report figure shows, in words, with its key numbers.

One function per figure of :mod:`analysis.plots` (and of the interactive
versions in :mod:`analysis.charts`), taking the same frames and returning
plain text: the alt text of the HTML report's images and charts, read by a
screen reader or shown when an image cannot be. Text from a data file
(names, groups) is passed through :func:`analysis.formatting.clean_text`;
escaping it for HTML is the exporter's job (the text is never markup).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.blocks import training_window
from analysis.formatting import (
    CI_LEVEL_PCT,
    as_mapping,
    clean_text,
    format_change,
    format_date,
    format_number,
    format_pace,
)


def _span(dates: pd.Series) -> str:
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return "no dates"
    first, last = format_date(dates.min()), format_date(dates.max())
    return first if first == last else f"{first} to {last}"


def _counts(reasons: pd.Series) -> str:
    counts = reasons.fillna("").astype(str).replace("", "no reason given").value_counts()
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())


def _block_text(block: Mapping) -> str:
    if pd.isna(block.get("block_start")):
        return "no strength block dates"
    return (
        f"the strength block, {format_date(block['block_start'])} to "
        f"{format_date(block['block_end'])}, is shaded"
    )


def economy_over_time(
    fit_frame: pd.DataFrame, block: Mapping | pd.Series, field: Mapping | pd.Series
) -> str:
    """Alt text of the economy-over-time figure (``RunnerFit.frame``, block row, field_hr row)."""
    block, field = as_mapping(block), as_mapping(field)
    frame = fit_frame
    cost = pd.to_numeric(frame["o2_cost_ml_kg_km"], errors="coerce")
    used = frame["used"].astype(bool)
    outside = frame["period"].eq("outside")
    left_out = ~used & ~outside
    parts = [
        f"Oxygen cost per kilometre of each run over time, {_span(frame['date'])}: "
        f"{int(used.sum())} steady runs used by the model"
    ]
    if used.any():
        parts[0] += (
            f" (from {format_number(cost[used].min(), 0)} to "
            f"{format_number(cost[used].max(), 0)} ml/kg/km)"
        )
    if left_out.any():
        parts.append(
            f"{int(left_out.sum())} runs left out ({_counts(frame.loc[left_out, 'exclude_reason'])})"
        )
    if outside.any():
        parts.append(f"{int(outside.sum())} runs outside the baseline and block")
    trend = pd.to_numeric(frame["o2_cost_trend_ml_kg_km"], errors="coerce")
    if trend.notna().any():
        ramp = pd.to_numeric(frame["ramp"], errors="coerce")
        start = trend[ramp.eq(0)].dropna()
        end = trend[ramp.eq(ramp.max())].dropna()
        parts.append(
            "the model's trend goes from "
            f"{format_number(start.iloc[0] if len(start) else trend.dropna().iloc[0], 0)} "
            f"ml/kg/km in the baseline to "
            f"{format_number(end.iloc[-1] if len(end) else trend.dropna().iloc[-1], 0)} "
            "at the end of the block, the runner's own change "
            + format_change(
                field.get("raw_change_pct"),
                field.get("raw_ci_low_pct"),
                field.get("raw_ci_high_pct"),
            )
        )
    parts.append(_block_text(block))
    return "; ".join(parts) + ". Lower is more economical."


def hr_vs_pace(metrics: pd.DataFrame, block: Mapping | pd.Series, *, late_weeks: int = 4) -> str:
    """Alt text of the heart-rate-against-pace figure (as :func:`analysis.plots.hr_vs_pace`)."""
    block = as_mapping(block)
    if pd.isna(block.get("block_start")):
        return "Heart rate against grade-adjusted pace: no block dates, nothing to compare."
    steady = metrics.loc[metrics["steady"].astype(bool)]
    start = pd.Timestamp(block["block_start"])
    end = pd.Timestamp(block["block_end"]) + pd.Timedelta(days=1)
    late_start = max(start, end - pd.Timedelta(weeks=late_weeks))
    groups = (
        (
            "baseline",
            steady.loc[(steady["date"] >= block["baseline_start"]) & (steady["date"] < start)],
        ),
        (
            f"last {late_weeks} weeks of the block",
            steady.loc[(steady["date"] >= late_start) & (steady["date"] < end)],
        ),
    )
    parts = []
    for label, runs in groups:
        pace = 60_000.0 / runs["gas_m_min"].to_numpy(dtype=float)
        hr = runs["hr_used_bpm"].to_numpy(dtype=float)
        ok = np.isfinite(pace) & np.isfinite(hr)
        if not ok.any():
            parts.append(f"{label}: no steady runs")
            continue
        parts.append(
            f"{label}: {int(ok.sum())} steady runs, median grade-adjusted pace "
            f"{format_pace(np.median(pace[ok]))} at a median {format_number(np.median(hr[ok]), 0)} bpm"
        )
    return (
        "Heart rate against grade-adjusted pace, one point per steady run. "
        + "; ".join(parts)
        + ". At the same pace, a lower heart rate late in the block means better economy or fitness."
    )


def weekly_training(weekly: pd.DataFrame, block: Mapping | pd.Series, last_block_end=None) -> str:
    """Alt text of the weekly-training figure (:func:`analysis.metrics.weekly_metrics`
    rows), over the weeks it shows (:func:`analysis.blocks.training_window`)."""
    block = as_mapping(block)
    weekly, before, after = training_window(weekly, block, last_block_end)
    if weekly.empty:
        return "Weekly training: no runs or strength sessions."
    km = weekly["running_km"].fillna(0).astype(float)
    sessions = weekly.get("strength_sessions", pd.Series(0, index=weekly.index)).fillna(0)
    left_out = [
        f"{len(f)} {when} week{'s' * (len(f) != 1)} of training ({_span(f['week'])})"
        for f, when in ((before, "earlier"), (after, "later"))
        if len(f)
    ]
    return (
        f"Weekly training over {len(weekly)} weeks, {_span(weekly['week'])}: running "
        f"{format_number(km.min(), 0)} to {format_number(km.max(), 0)} km a week "
        f"(mean {format_number(km.mean(), 0)}); {int(sessions.sum())} strength sessions in all, "
        f"at most {int(sessions.max())} in a week; {_block_text(block)}"
        + (f"; not shown: {' and '.join(left_out)}" if left_out else "")
        + "."
    )


def vo2max_over_time(
    runs: pd.DataFrame, metrics: pd.DataFrame, parameters: Mapping | pd.Series
) -> str:
    """Alt text of the VO2max figure: the estimates drawn and the value the analysis used."""
    parameters = as_mapping(parameters)
    parts = []
    if "vo2max_est_ml_kg_min" in runs:
        device = pd.to_numeric(runs["vo2max_est_ml_kg_min"], errors="coerce").dropna()
        if len(device):
            parts.append(
                f"{len(device)} watch estimates from {format_number(device.min(), 1)} to "
                f"{format_number(device.max(), 1)} ml/kg/min"
            )
    if "race_vdot" in metrics:
        vdot = pd.to_numeric(metrics["race_vdot"], errors="coerce").dropna()
        if len(vdot):
            parts.append(f"{len(vdot)} race VDOTs up to {format_number(vdot.max(), 1)}")
    drawn = "; ".join(parts) if parts else "no estimates over time"
    return (
        f"VO2max estimates over time: {drawn}. The analysis used "
        f"{format_number(parameters.get('vo2max_ml_kg_min'), 1)} ml/kg/min "
        f"(source: {clean_text(parameters.get('vo2max_source', 'unknown'))})."
    )


def lab_economy(lab_stages: pd.DataFrame, *, reference_speed_kmh: float | None = None) -> str:
    """Alt text of the lab figure: oxygen cost against treadmill speed per test day."""
    stages = (
        lab_stages.loc[lab_stages["submaximal"].astype(bool)] if len(lab_stages) else lab_stages
    )
    if stages.empty:
        return "Lab economy: no submaximal lab stages."
    days = []
    for date, day in stages.groupby("date"):
        days.append(
            f"{format_date(date)}: {len(day)} stages, {format_number(day['speed_kmh'].min(), 1)}"
            f" to {format_number(day['speed_kmh'].max(), 1)} km/h, "
            f"{format_number(day['o2_cost_ml_kg_km'].min(), 0)} to "
            f"{format_number(day['o2_cost_ml_kg_km'].max(), 0)} ml/kg/km"
        )
    ref = (
        f"; the reference speed {format_number(reference_speed_kmh, 1)} km/h is dotted"
        if reference_speed_kmh is not None and np.isfinite(reference_speed_kmh)
        else ""
    )
    return (
        "Oxygen cost against treadmill speed, one line per lab test day: "
        + "; ".join(days)
        + ref
        + "."
    )


def _group_counts(groups: pd.Series) -> str:
    control = groups.astype(str).str.strip().str.lower().eq("control")
    return f"{int((~control).sum())} strength, {int(control.sum())} control"


def _below_zero(n: int) -> str:
    return (
        f"{n} interval lies entirely below zero"
        if n == 1
        else f"{n} intervals lie entirely below zero"
    )


def forest(per_runner: pd.DataFrame, squad: pd.DataFrame | None = None) -> str:
    """Alt text of the forest plot (all of its parts): each runner's change and the squad's."""
    field = per_runner.loc[per_runner["method"].eq("field_hr")]
    change = pd.to_numeric(field["o2_cost_change_pct"], errors="coerce")
    known = field.loc[change.notna()]
    text = (
        f"Change in oxygen cost over the block with its {CI_LEVEL_PCT} % CI for "
        f"{len(field)} runners ({_group_counts(field['group'])})"
    )
    if len(known):
        order = known.assign(_c=change[change.notna()]).sort_values("_c")
        lo, hi = order.iloc[0], order.iloc[-1]
        text += (
            f": from {format_number(lo['o2_cost_change_pct'], 1)} % ({clean_text(lo['runner_id'])})"
            f" to {format_number(hi['o2_cost_change_pct'], 1)} % ({clean_text(hi['runner_id'])}); "
            + _below_zero(int((known["ci_high_pct"] < 0).sum()))
        )
    missing = len(field) - len(known)
    if missing:
        text += f"; {missing} without an estimate (insufficient data)"
    if squad is not None and len(squad):
        for row in squad.loc[squad["estimate_pct"].notna()].itertuples(index=False):
            text += f"; squad model, {clean_text(row.effect)}: " + format_change(
                row.estimate_pct, row.ci_low_pct, row.ci_high_pct
            )
    return text + ". Negative is more economical."


def dose_response(
    per_runner: pd.DataFrame, doses: pd.DataFrame, *, dose: str = "sessions_per_week"
) -> str:
    """Alt text of the dose-response figure: each runner's own change (``own_change_pct``,
    as the figure draws it) against the dose."""
    field = per_runner.loc[
        per_runner["method"].eq("field_hr") & per_runner["own_change_pct"].notna(),
        ["runner_id", "own_change_pct"],
    ].merge(doses, on="runner_id")
    field = field.loc[field[dose].notna()]
    if field.empty:
        return "Change in oxygen cost against strength work: no runner with both."
    return (
        f"Change in oxygen cost against {dose.replace('_', ' ')} during the block for "
        f"{len(field)} runners ({_group_counts(field['group'])}): doses "
        f"{format_number(field[dose].min(), 1)} to {format_number(field[dose].max(), 1)}, "
        f"each runner's own changes {format_number(field['own_change_pct'].min(), 1)} to "
        f"{format_number(field['own_change_pct'].max(), 1)} %."
    )


def adherence(doses: pd.DataFrame) -> str:
    """Alt text of the adherence chart (all of its parts)."""
    if doses.empty:
        return "Adherence: no runners."
    strength = doses.loc[~doses["group"].astype(str).str.strip().str.lower().eq("control")]
    values = strength["sessions_per_week"].fillna(0).astype(float)
    if values.empty:
        return (
            f"Strength sessions per week during the block for {len(doses)} runners, all controls."
        )
    return (
        f"Strength sessions per week during the block for {len(doses)} runners "
        f"({_group_counts(doses['group'])}); the strength runners did "
        f"{format_number(values.min(), 1)} to {format_number(values.max(), 1)} a week, "
        f"{int(values.between(2.0, 3.0).sum())} of them within the 2 to 3 a week of the studies "
        "(dotted lines)."
    )
