"""Report tables: result frames in, formatted frames (strings) out, and their HTML.

Each ``*_table`` function takes a frame the library computed and returns
one with the columns and cell text a report shows; :func:`html_table`
renders it. Nothing here computes a statistic.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import pandas as pd

from analysis.formatting import (
    as_mapping,
    clean_text,
    format_change,
    format_date,
    format_int,
    format_number,
    format_p,
)

_LONG_WORD = re.compile(r"\S{25,}")


def table_cell(text) -> str:
    """Cell text as HTML: control and bidi formatting characters dropped, escaped,
    and words longer than 24 characters given break opportunities (zero-width
    spaces every 12 characters), so a name without spaces wraps inside its
    column instead of pushing the number columns off the page."""
    text = _LONG_WORD.sub(
        lambda m: "\u200b".join(m.group(0)[i : i + 12] for i in range(0, len(m.group(0)), 12)),
        clean_text(text),
    )
    return html.escape(text)


def _change_cells(results: pd.DataFrame) -> list[str]:
    """Each row's change with its CI, as the reports print it."""
    columns = (results["o2_cost_change_pct"], results["ci_low_pct"], results["ci_high_pct"])
    return [format_change(c, lo, hi) for c, lo, hi in zip(*columns, strict=True)]


def _run_count_cells(results: pd.DataFrame) -> list[str]:
    """``"baseline, block"`` run (or lab stage) counts of each row."""
    pairs = zip(results["n_baseline_runs"], results["n_block_runs"], strict=True)
    return [f"{format_int(b)}, {format_int(k)}" for b, k in pairs]


def html_table(frame: pd.DataFrame, *, caption: str | None = None, long: bool = False) -> str:
    """An HTML table of already formatted cells (escaped; no index).

    ``caption`` is printed above the table and kept on its page; ``long=True``
    lets a long table break across pages (its header repeats).
    """
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    # Numbers (and "n/a") are right-aligned, text left-aligned.
    numeric = [
        bool(len(cells)) and cells[c].str.match(r"^([+\u2212-]?\d|n/a$|< ?0\.|$)").all()
        for c in cells.columns
    ]
    align = ['class="num"' if n else 'class="text"' for n in numeric]
    head = "".join(
        f"<th {a}>{html.escape(str(c))}</th>" for c, a in zip(frame.columns, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td {a}>{table_cell(v)}</td>" for v, a in zip(row, align, strict=True))
        + "</tr>"
        for row in cells.itertuples(index=False)
    )
    css = "runeco long" if long else "runeco"
    cap = f"<caption>{table_cell(caption)}</caption>" if caption else ""
    return f'<table class="{css}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """One formatted row per method (and block) of :func:`analysis.models.analyze` output.

    With several blocks the method cell names the block (``field (heart rate),
    block 2``); with one it is as it always was."""
    methods = {"field_hr": "field (heart rate)", "lab": "lab test"}
    method = results["method"].map(methods).fillna(results["method"])
    if "block" in results and results["block"].fillna(1).gt(1).any():
        method = method + ", block " + results["block"].fillna(1).astype(int).astype(str)
    return pd.DataFrame(
        {
            "method": method,
            "oxygen cost [ml/kg/km], baseline to end": [
                f"{format_number(b, 1)} to {format_number(e, 1)}"
                for b, e in zip(
                    results["baseline_o2_cost_ml_kg_km"],
                    results["end_o2_cost_ml_kg_km"],
                    strict=True,
                )
            ],
            "change (95 % CI)": _change_cells(results),
            "p": results["p_value"].map(format_p),
            "runs or stages (baseline, block)": _run_count_cells(results),
            "verdict": results["verdict"].astype(str),
        }
    )


def blocks_table(field_rows: pd.DataFrame, weekly: pd.DataFrame) -> pd.DataFrame:
    """One formatted row per block of a runner with several (the report's comparison).

    Parameters
    ----------
    field_rows : DataFrame
        The runner's ``field_hr`` rows of :func:`analysis.models.analyze`, one
        per block.
    weekly : DataFrame
        :func:`analysis.metrics.weekly_metrics` of the runner (``week``,
        ``strength_sessions``): the sessions per week inside each block.

    Returns
    -------
    DataFrame
        ``block``, ``dates``, ``change (95 % CI)``, ``verdict`` and
        ``strength sessions per week`` (the mean over the weeks that start
        inside the block, as the training section counts them).
    """
    week = pd.to_datetime(weekly["week"]) if len(weekly) else pd.Series(dtype="datetime64[ns]")
    sessions = weekly.get("strength_sessions", pd.Series(0.0, index=weekly.index))
    per_week = []
    for start, end in zip(field_rows["block_start"], field_rows["block_end"], strict=True):
        inside = (week >= pd.Timestamp(start)) & (week <= pd.Timestamp(end))
        per_week.append(format_number(sessions.loc[inside].mean(), 1) if inside.any() else "n/a")
    return pd.DataFrame(
        {
            "block": field_rows["block"].fillna(1).astype(int).astype(str).to_numpy(),
            "dates": [
                f"{format_date(a)} to {format_date(b)}"
                for a, b in zip(field_rows["block_start"], field_rows["block_end"], strict=True)
            ],
            "change (95 % CI)": _change_cells(field_rows),
            "verdict": field_rows["verdict"].astype(str).to_numpy(),
            "strength sessions per week": per_week,
        }
    )


def exclusions_table(fit_frame: pd.DataFrame, n_quarantined: int = 0) -> pd.DataFrame:
    """Runs used and left out, by reason (``RunnerFit.frame``)."""
    frame = fit_frame
    period = frame["period"].astype(str)
    used = frame["used"].astype(bool)
    rows = [
        ("used in the model: baseline", int((used & period.eq("baseline")).sum())),
        ("used in the model: block", int((used & period.eq("block")).sum())),
    ]
    window = ~period.eq("outside")
    left = frame.loc[window & ~used, "exclude_reason"].astype(str).replace("", "other")
    rows += [(f"left out: {reason}", int(n)) for reason, n in left.value_counts().items()]
    outside = int((~window).sum())
    if outside:
        rows.append(("not analysed: outside baseline and block", outside))
    if n_quarantined:
        rows.append(("quarantined rows in runs.csv (not loaded)", int(n_quarantined)))
    return pd.DataFrame(rows, columns=["runs", "count"])


def left_out_runs(fit_frame: pd.DataFrame) -> pd.DataFrame:
    """Every run of ``RunnerFit.frame`` the model did not use, one row each, with the reason.

    Columns: ``date``, ``run id``, ``period`` (baseline, block, outside) and
    ``reason`` (``exclude_reason``; runs outside the baseline and block:
    "outside the baseline and block").
    """
    frame = fit_frame.loc[~fit_frame["used"].astype(bool)].sort_values("date")
    period = frame["period"].astype(str)
    reason = frame["exclude_reason"].astype(str).where(frame["exclude_reason"].notna(), "")
    reason = reason.mask(period.eq("outside"), "outside the baseline and block").replace(
        "", "other"
    )
    return pd.DataFrame(
        {
            "date": [format_date(d, "%d %b %Y %H:%M") for d in frame["date"]],
            "run id": frame["run_id"].astype(str).to_numpy(),
            "period": period.to_numpy(),
            "reason": reason.to_numpy(),
        }
    )


def parameters_table(parameters: Mapping | pd.Series) -> pd.DataFrame:
    """HRrest, HRmax and VO2max with their sources (:func:`analysis.metrics.runner_parameters`)."""
    p = as_mapping(parameters)
    rows = []
    for label, value, unit, source in (
        ("resting heart rate", "hr_rest_bpm", "bpm", "hr_rest_source"),
        ("maximal heart rate", "hr_max_bpm", "bpm", "hr_max_source"),
        ("VO2max", "vo2max_ml_kg_min", "ml/kg/min", "vo2max_source"),
    ):
        src = str(p.get(source, ""))
        rows.append(
            (
                label,
                f"{format_number(p.get(value), 0 if unit == 'bpm' else 1)} {unit}",
                src,
                "DEFAULT: set it in runners.csv" if src == "default" else "",
            )
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "source", "note"])


def quarantine_table(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows: file, line, column, value and reason."""
    cols = ["file", "line", "column", "value", "reason"]
    if quarantine.empty:
        return pd.DataFrame(columns=cols)
    out = quarantine.loc[:, [c for c in cols if c in quarantine]].copy()
    out["line"] = out["line"].map(format_int)
    return out.sort_values(["file", "line"], kind="stable")


def squad_table(per_runner: pd.DataFrame, runners: pd.DataFrame | None = None) -> pd.DataFrame:
    """One formatted row per runner, block and method: group, change (95 % CI), verdict,
    runs (the method names the block, ``field, block 2``, for a later block)."""
    frame = per_runner.copy()
    names = {}
    if runners is not None and "name" in runners:
        names = dict(zip(runners["runner_id"].astype(str), runners["name"].fillna(""), strict=True))
    method = frame["method"].map({"field_hr": "field", "lab": "lab"}).fillna(frame["method"])
    if "block" in frame and frame["block"].fillna(1).gt(1).any():
        several = frame["block"].fillna(1).groupby(frame["runner_id"]).transform("max").gt(1)
        number = frame["block"].fillna(1).astype(int).astype(str)
        method = method.where(~several, method + ", block " + number)
    return pd.DataFrame(
        {
            "runner": frame["runner_id"].astype(str),
            "name": frame["runner_id"].astype(str).map(names).fillna(""),
            "group": frame["group"].astype(str),
            "method": method,
            "change (95 % CI)": _change_cells(frame),
            "verdict": frame["verdict"].astype(str),
            "runs (baseline, block)": _run_count_cells(frame),
        }
    )


def lab_table(at_speed: pd.DataFrame) -> pd.DataFrame:
    """Each lab test day at the common reference speed (:func:`analysis.metrics.lab_economy_at_speed`)."""
    return pd.DataFrame(
        {
            "test day": at_speed["date"].map(format_date),
            "reference speed [km/h]": at_speed["reference_speed_kmh"].map(
                lambda v: format_number(v, 1)
            ),
            "VO2 [ml/kg/min]": at_speed["vo2_ml_kg_min"].map(lambda v: format_number(v, 1)),
            "oxygen cost [ml/kg/km]": at_speed["o2_cost_ml_kg_km"].map(
                lambda v: format_number(v, 1)
            ),
            "energy cost [J/kg/m]": at_speed["energy_cost_j_kg_m"].map(
                lambda v: format_number(v, 2)
            ),
            "stages": at_speed["n_stages"].map(format_int),
        }
    )


def effects_table(squad: pd.DataFrame) -> pd.DataFrame:
    """The squad model's effects (:func:`analysis.models.squad_model`), formatted."""
    return pd.DataFrame(
        {
            "effect": squad["effect"].astype(str),
            "estimate (95 % CI)": [
                format_change(e, lo, hi)
                for e, lo, hi in zip(
                    squad["estimate_pct"], squad["ci_low_pct"], squad["ci_high_pct"], strict=True
                )
            ],
            "p": squad["p_value"].map(format_p),
            "runners": squad["n_runners"].map(format_int),
            "runs": squad["n_runs"].map(format_int),
            "CI method": squad["ci_method"].fillna("").astype(str),
        }
    )


def adherence_table(doses: pd.DataFrame) -> pd.DataFrame:
    """Strength work per runner during the block (:func:`analysis.models.runner_doses`)."""
    return pd.DataFrame(
        {
            "runner": doses["runner_id"].astype(str),
            "group": doses["group"].astype(str),
            "block weeks": doses["block_weeks"].map(lambda v: format_number(v, 1)),
            "sessions": doses["sessions"].map(format_int),
            "sessions/week": doses["sessions_per_week"].map(lambda v: format_number(v, 1)),
            "heavy/week": doses["sessions_per_week_heavy"].map(lambda v: format_number(v, 1)),
            "explosive/week": doses["sessions_per_week_explosive"].map(
                lambda v: format_number(v, 1)
            ),
            "plyometric/week": doses["sessions_per_week_plyometric"].map(
                lambda v: format_number(v, 1)
            ),
            # sessions without any external load (plyometrics, bodyweight) are work
            # done, not "0": say so rather than print a volume load of 0
            "volume load [kg/week]": [
                "no added load" if sessions > 0 and not volume > 0 else format_number(volume, 0)
                for sessions, volume in zip(
                    doses["sessions"].fillna(0), doses["volume_load_kg_per_week"], strict=True
                )
            ],
            # the work volume load cannot see: bodyweight moves and jump contacts
            "reps/week (all work)": doses["repetitions_per_week"].map(
                lambda v: format_number(v, 0)
            ),
        }
    )
