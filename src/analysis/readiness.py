"""Is each runner ready for an answer? If not, why, and what to change (``runeco check``).

One row per runner from what :func:`analysis.models.analyze` and the data say:
the reasons there is no answer (or why an answer may mislead) and, for each,
the change that would fix it, in the coach's words. Used by ``runeco check``
and at the end of ``runeco analyze``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.blocks import MIN_BASELINE_WEEKS, later_blocks
from analysis.formatting import clean_text, format_date
from analysis.models.field import FIELD_METHOD
from analysis.models.pooling import MIN_POOLED_RUNNERS
from analysis.models.prepare import MIN_STEADY_RUNS
from analysis.physiology import PLAUSIBLE_O2_COST_ML_KG_KM

BLOCK_WEEKS_RANGE = (4.0, 16.0)
"""An inferred block outside 4-16 weeks is more likely a gap or a stray session
than a training block."""

MAX_SUGGESTED_BASELINE_WEEKS = 52

READINESS_COLUMNS = ("runner_id", "block", "ready", "reasons", "fixes", "detectable_pct")
"""``runeco check --out``: one row per runner and block (``block`` 1, 2, ... as in
``analyze``); ``reasons`` and ``fixes`` are "; "-joined, in the same order."""


def _suggest_baseline_weeks(steady_dates: pd.Series, block_start: pd.Timestamp) -> int | None:
    """The shortest baseline [weeks] holding ``MIN_STEADY_RUNS`` steady runs before the block."""
    before = steady_dates.loc[steady_dates < block_start].sort_values(ascending=False)
    if len(before) < MIN_STEADY_RUNS:
        return None
    span = block_start - before.iloc[MIN_STEADY_RUNS - 1].normalize()
    weeks = math.ceil(span / pd.Timedelta(weeks=1))
    return weeks if weeks <= MAX_SUGGESTED_BASELINE_WEEKS else None


def _range(dates: pd.Series) -> str:
    return f"{format_date(dates.min())} to {format_date(dates.max())}"


def runner_readiness(
    dataset,
    results: pd.DataFrame,
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    baseline_weeks: int,
) -> pd.DataFrame:
    """Whether each runner (and each of its blocks) of ``results`` has an answer,
    and what to change if not.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset (runs and strength log dates).
    results : DataFrame
        :func:`analysis.models.analyze` output.
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` of the dataset.
    blocks : DataFrame
        :func:`analysis.blocks.runner_blocks` with ``baseline_weeks`` (the
        later blocks of ``blocks.csv`` are found from it and the dataset).
    baseline_weeks : int, keyword-only
        The baseline used, for the suggestion of a longer one.

    Returns
    -------
    DataFrame
        ``READINESS_COLUMNS``, one row per ``field_hr`` row of ``results``
        (per runner and block): ``ready`` is False when the field model has no
        estimate or its level is implausible; ``reasons`` and ``fixes`` are
        "; "-joined sentences (``fixes`` in the same order); ``detectable_pct``
        the smallest change these data can detect (``mdc_pct``); ``problems``
        the (reason, fix) pairs.
    """
    field = results.loc[results["method"] == FIELD_METHOD]
    records = {(str(b["runner_id"]), 1): b for b in blocks.to_dict("records")}
    for b in later_blocks(dataset, blocks=blocks).to_dict("records"):
        records[(str(b["runner_id"]), int(b["block"]))] = b
    # each runner's dates, grouped once (not a scan of every table per runner)
    run_dates = _dates_by_runner(dataset.runs)
    strength_dates = _dates_by_runner(dataset.strength)
    steady_dates = _dates_by_runner(metrics.loc[metrics["steady"].astype(bool)])
    defaulted_runners = (
        set(metrics.loc[metrics["defaulted"].astype(bool), "runner_id"].astype(str))
        if "defaulted" in metrics
        else set()
    )
    none = pd.Series(dtype="datetime64[ns]")
    rows = []
    for row in field.to_dict("records"):
        rid = str(row["runner_id"])
        reasons: list[str] = []
        fixes: list[str] = []
        verdict = str(row["verdict"])
        ready = not verdict.startswith("insufficient data")
        own_runs = run_dates.get(rid, none)
        own_strength = strength_dates.get(rid, none)
        number = int(row["block"]) if pd.notna(row.get("block", np.nan)) else 1
        block = records.get((rid, number))
        if not ready:
            reasons.append(clean_text(verdict.removeprefix("insufficient data: ")))
            fixes.append(_fix(verdict, rid, steady_dates.get(rid, none), block, baseline_weeks))
        if len(own_runs) and len(own_strength):
            if own_strength.min() > own_runs.max() or own_strength.max() < own_runs.min():
                reasons.append(
                    f"the run log ({_range(own_runs)}) and the strength log "
                    f"({_range(own_strength)}) do not overlap"
                )
                fixes.append("import the runs of the strength block's weeks")
        if block is not None and block["block_source"] == "inferred":
            weeks = float(block["block_weeks"])
            lo, hi = BLOCK_WEEKS_RANGE
            if np.isfinite(weeks) and not lo <= weeks <= hi:
                reasons.append(
                    f"the block inferred from the strength log is {weeks:.1f} weeks long "
                    "(a gap or a stray session?)"
                )
                fixes.append("give the block's dates in blocks.csv")
        if bool(row.get("params_defaulted")) or rid in defaulted_runners:
            reasons.append("HRrest, HRmax or VO2max came from a default")
            fixes.append(
                "set hr_rest_bpm, hr_max_bpm and vo2max_ml_kg_min in runners.csv "
                "(a lab test or race also gives VO2max)"
            )
        level = float(row.get("baseline_o2_cost_ml_kg_km", np.nan))
        lo, hi = PLAUSIBLE_O2_COST_ML_KG_KM
        if np.isfinite(level) and not lo <= level <= hi:
            ready = False
            reasons.append(
                f"the baseline oxygen cost {level:.0f} ml/kg/km is outside the plausible "
                f"{lo:.0f}-{hi:.0f}"
            )
            fixes.append("check HRrest, HRmax and VO2max in runners.csv")
        rows.append(
            {
                "runner_id": rid,
                "block": number,
                "ready": ready,
                "reasons": "; ".join(reasons),
                "fixes": "; ".join(fixes),
                "detectable_pct": float(row.get("mdc_pct", np.nan)),
                "problems": list(zip(reasons, fixes, strict=True)),
            }
        )
    return pd.DataFrame(rows, columns=[*READINESS_COLUMNS, "problems"])


def runner_readiness_parts(
    dataset, results: pd.DataFrame, spilled, blocks: pd.DataFrame, *, baseline_weeks: int
) -> pd.DataFrame:
    """:func:`runner_readiness` of a dataset read part by part
    (:func:`analysis.models.analyze_parts`): each part's runners with that part's
    spilled metrics and dates, one part in memory at a time; the same table.
    """
    field = results["method"] == FIELD_METHOD
    ids = results["runner_id"].astype(str)
    done = np.zeros(len(results), dtype=bool)
    empty = pd.DataFrame({"runner_id": [], "date": pd.Series(dtype="datetime64[ns]")})
    bare = dataclasses.replace(dataset, runs=empty, strength=empty)
    none = empty.assign(steady=pd.Series(dtype=bool))
    tables = []
    for k, (_, own) in enumerate(spilled.parts):
        mine = (ids.isin(own) & ~done).to_numpy()
        if not (mine & field.to_numpy()).any():
            continue
        done |= mine
        part = dataclasses.replace(
            dataset, runs=spilled.dates(k, "runs"), strength=spilled.dates(k, "strength")
        )
        tables.append(
            runner_readiness(
                part, results.loc[mine], spilled.part(k), blocks, baseline_weeks=baseline_weeks
            )
        )
    if (~done & field.to_numpy()).any():  # runners without runs or strength rows
        tables.append(
            runner_readiness(bare, results.loc[~done], none, blocks, baseline_weeks=baseline_weeks)
        )
    if not tables:
        return runner_readiness(bare, results.iloc[:0], none, blocks, baseline_weeks=baseline_weeks)
    table = pd.concat(tables, ignore_index=True)
    order = {key: i for i, key in enumerate(_keys(results.loc[field]))}
    position = [order[key] for key in zip(table["runner_id"], table["block"], strict=True)]
    return table.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


def _keys(field: pd.DataFrame) -> list[tuple[str, int]]:
    blocks = field["block"] if "block" in field else pd.Series(1, index=field.index)
    return [
        (str(r), int(b) if pd.notna(b) else 1)
        for r, b in zip(field["runner_id"], blocks, strict=True)
    ]


def _dates_by_runner(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """``runner_id -> its dates`` (missing dates dropped)."""
    if frame.empty:
        return {}
    dated = frame.loc[frame["date"].notna(), ["runner_id", "date"]]
    return {str(rid): g["date"] for rid, g in dated.groupby(dated["runner_id"].astype(str))}


def _fix(
    verdict: str,
    rid: str,
    dates: pd.Series,
    block: Mapping | None,
    baseline_weeks: int,
) -> str:
    """What to change for an ``insufficient data`` verdict (``dates``: the runner's steady runs)."""
    if "overlaps an earlier block" in verdict or "a baseline needs at least" in verdict:
        return (
            "give this block dates in blocks.csv that start at least "
            f"{MIN_BASELINE_WEEKS} weeks after the block before ends"
        )
    if "no block dates" in verdict:
        return "import the strength log or give the block's dates in blocks.csv"
    if "no runs" in verdict and "between" not in verdict:
        return f"import the runner's running files (runeco import DATASET --runner {rid} FILES)"
    if "between baseline start and block end" in verdict:
        return "import runs from the weeks before and during the block"
    if "no heart rate" in verdict:
        return "import files recorded with a heart-rate sensor"
    if "steady runs" in verdict and block is not None:
        start = pd.Timestamp(block["block_start"])
        n_block = int(((dates >= start) & (dates <= pd.Timestamp(block["block_end"]))).sum())
        fixes = []
        n_base = int(((dates < start) & (dates >= pd.Timestamp(block["baseline_start"]))).sum())
        if n_base < MIN_STEADY_RUNS:
            previous = block.get("previous_block_end", pd.NaT)
            if pd.notna(previous):  # a later block: its baseline stops at the block before
                weeks = _suggest_baseline_weeks(dates.loc[dates > previous], start)
                after = f"between {format_date(previous)} and {format_date(start)}"
            else:
                weeks = _suggest_baseline_weeks(dates, start)
                after = f"from before {format_date(start)}"
            fixes.append(
                f"use --baseline-weeks {weeks} (now {baseline_weeks})"
                if weeks is not None and weeks > baseline_weeks
                else f"import more steady runs {after}"
            )
        if n_block < MIN_STEADY_RUNS:
            fixes.append(
                f"import more steady runs from the block ({format_date(start)} to "
                f"{format_date(block['block_end'])})"
            )
        return " and ".join(fixes) or "import more steady runs"
    return "see the runner's report"


def readiness_lines(table: pd.DataFrame) -> list[str]:
    """One line per runner: ready (and what it can detect) or not, with reasons and fixes.

    A runner with several blocks has one line per block, ``R03 block 2``."""
    labels = _labels(table)
    width = max((len(label) for label in labels), default=6)
    lines = []
    for label, row in zip(labels, table.itertuples(index=False), strict=True):
        rid = label.ljust(width)
        if row.ready:
            text = "ready"
            if np.isfinite(row.detectable_pct):
                text += f": these data can detect a change larger than {row.detectable_pct:.1f} %"
            if row.problems:
                text += " (but " + "; ".join(f"{r} -> {f}" for r, f in row.problems) + ")"
        else:
            text = "NOT READY: " + "; ".join(f"{r} -> {f}" for r, f in row.problems)
        lines.append(f"{rid}  {text}")
    return lines


def _labels(table: pd.DataFrame) -> list[str]:
    """``runner_id``, or ``runner_id block k`` for a runner with several blocks."""
    ids = table["runner_id"].astype(str).map(clean_text)
    if "block" not in table.columns:
        return list(ids)
    number = table["block"].fillna(1).astype(int)
    several = number.groupby(table["runner_id"].astype(str)).transform("max").gt(1)
    return [
        f"{r} block {k}" if many else r for r, k, many in zip(ids, number, several, strict=True)
    ]


def results_lines(results: pd.DataFrame) -> list[str]:
    """``analyze`` on the terminal: runner, method, change with its 95 % CI, verdict
    (with the reason when there is no answer), in plain ASCII. A pooled change
    (``pooling`` = ``group``) is marked ``*`` and, where the runner's own runs
    alone give another verdict, that verdict follows; a footnote says what
    ``*`` means."""
    header = ("runner", "method", "change [%] (95 % CI)", "verdict")
    body = []
    labels = _labels(results)
    pooled_any = False
    for label, row in zip(labels, results.to_dict("records"), strict=True):
        change = row["o2_cost_change_pct"]
        pooled = row.get("pooling") == "group"
        pooled_any |= pooled
        text = (
            f"{change:+.1f} ({row['ci_low_pct']:+.1f} to {row['ci_high_pct']:+.1f})"
            + ("*" if pooled else "")
            if np.isfinite(change)
            else "-"
        )
        verdict = clean_text(row["verdict"])
        own = row.get("own_verdict")
        if pooled and isinstance(own, str) and own != row["verdict"]:
            verdict += f" (own runs alone: {clean_text(own)})"
        body.append((label, str(row["method"]), text, verdict))
    widths = [max(len(r[k]) for r in [header, *body]) for k in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in [header, *body]
    ]
    if pooled_any:
        lines.append(
            f"* pooled with the runner's group (strength or controls, at least {MIN_POOLED_RUNNERS} runners): "
            "closer to the truth on average, but leaning toward the group; each runner's "
            "own is in own_change_pct and own_verdict"
        )
    return lines
