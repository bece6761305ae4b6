"""What a load found: a short text summary and the quarantine CSV (``runeco validate`` prints them)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.io.dataset import Dataset, group_labels, quarantined_row_count
from analysis.io.write import neutralise_formulas, refuse_dataset_files, write_csv_atomic
from analysis.schema import QUARANTINE_COLUMNS, group_kind, shown

__all__ = ["validation_summary", "write_quarantine", "MAX_LINES_SHOWN"]

MAX_LINES_SHOWN = 10
"""Line numbers listed per quarantine code before an ellipsis."""


def _span(dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    dates = dates.dropna()
    if dates.empty:
        return None
    return dates.min(), dates.max()


def _day(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _weeks(first: pd.Timestamp, last: pd.Timestamp) -> int:
    """ISO (Monday-Sunday) weeks from the week of ``first`` to the week of ``last``."""
    monday_first = first.normalize() - pd.Timedelta(days=first.weekday())
    monday_last = last.normalize() - pd.Timedelta(days=last.weekday())
    return (monday_last - monday_first).days // 7 + 1


def _lines(lines: pd.Series) -> str:
    values = sorted(set(lines.tolist()))
    shown = ", ".join(str(v) for v in values[:MAX_LINES_SHOWN])
    more = ", …" if len(values) > MAX_LINES_SHOWN else ""
    return f"line{'s' if len(values) > 1 else ''} {shown}{more}"


def _group_lines(runners: pd.DataFrame) -> list[str]:
    """runners.csv's groups as analyze reads them: counts, and each label that is
    neither strength nor control in some wording (read from the data: strength
    for a runner with a block of its own, else control)."""
    if "group" not in runners.columns or not len(runners):
        return []
    labels = group_labels(runners["group"])
    if labels.eq("").all():
        return [
            "groups (runners.csv): none given; analyze reads each runner's from the data "
            "(strength with a block of its own, else control)"
        ]
    kinds = labels.map(lambda t: group_kind(t) if t else None)
    n_strength, n_control = int(kinds.eq("strength").sum()), int(kinds.eq("control").sum())
    unlabelled = int(labels.eq("").sum())
    line = f"groups (runners.csv): {n_strength} strength, {n_control} control"
    if unlabelled:
        line += f", {unlabelled} without a group (read from the data)"
    other = labels.loc[kinds.isna() & labels.ne("")]
    if len(other):
        line += f", {len(other)} with another label"
    lines = [line]
    for label, n in other.value_counts(sort=False).items():
        lines.append(
            f"  group '{shown(label)}' ({n} runner{'s' if n != 1 else ''}) is neither strength nor "
            "control: analyze reads it from the data (strength with a block of its own, "
            "else control)"
        )
    return lines


def validation_summary(ds: Dataset) -> str:
    """A short text summary of a loaded dataset and its quarantined rows.

    Parameters
    ----------
    ds : Dataset
        From :func:`analysis.io.load_dataset`.

    Returns
    -------
    str
        Several lines: runners, runs (with date range), strength sessions
        (distinct runner-days) and exercise rows, blocks and lab stages, the
        groups of runners.csv (labels neither strength nor control named), weeks
        covered (ISO weeks from the first to the last run or strength session),
        then the quarantined rows grouped by code with the first
        ``MAX_LINES_SHOWN`` line numbers per file and an example reason, and
        any warnings.
    """
    out = [f"dataset: {ds.path}", f"runners: {len(ds.runners)}"]
    runs_span = _span(ds.runs["date"])
    runs_line = f"runs: {len(ds.runs)}"
    if runs_span:
        runs_line += f" ({_day(runs_span[0])} to {_day(runs_span[1])})"
    out.append(runs_line)
    strength = ds.strength
    sessions = strength[["runner_id"]].assign(day=strength["date"].dt.normalize()).drop_duplicates()
    out.append(f"strength sessions: {len(sessions)} (runner-days; {len(strength)} exercise rows)")
    out.append(f"blocks: {len(ds.blocks)}; lab test stages: {len(ds.lab_tests)}")
    out.extend(_group_lines(ds.runners))
    both = _span(pd.concat([ds.runs["date"], strength["date"]], ignore_index=True))
    if both:
        out.append(f"weeks covered: {_weeks(*both)} ({_day(both[0])} to {_day(both[1])})")
    else:
        out.append("weeks covered: 0")

    q = ds.quarantine
    if q.empty:
        out.append("quarantined rows: none")
    else:
        n_rows = quarantined_row_count(q)
        out.append(
            f"quarantined rows: {n_rows} ({len(q)} problem{'s' if len(q) != 1 else ''}), "
            "left out of the analysis:"
        )
        counts = q.groupby("code", sort=False).size().sort_values(ascending=False, kind="stable")
        for code in counts.index:
            group = q.loc[q["code"] == code]
            rows = quarantined_row_count(group)
            where = "; ".join(
                f"{file} {_lines(g['line'])}" for file, g in group.groupby("file", sort=False)
            )
            example = group["reason"].iloc[0]
            plural = "s" if rows != 1 else ""
            out.append(f'  {code}: {rows} row{plural}, {where} — e.g. "{example}"')
    if ds.warnings:
        out.append("warnings:")
        out.extend(f"  {w}" for w in ds.warnings)
    return "\n".join(out)


def write_quarantine(ds: Dataset, path: str | os.PathLike) -> Path:
    """Write the quarantine table as UTF-8 CSV, atomically (temporary file + rename).

    Parameters
    ----------
    ds : Dataset
        From :func:`analysis.io.load_dataset`.
    path : str or os.PathLike
        The CSV to write (its folder is created). Columns:
        ``analysis.schema.QUARANTINE_COLUMNS``; a clean dataset gives a
        header-only file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DataError
        If the file cannot be written.
    """
    refuse_dataset_files(ds.path, path)
    return write_csv_atomic(neutralise_formulas(ds.quarantine[list(QUARANTINE_COLUMNS)]), path)
