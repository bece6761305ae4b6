"""Fitness signals beside the heart-rate answer: race VDOT and lab VO2max before
and during the block.

Heart rate at a given pace falls with better economy, but also with higher
aerobic fitness and with the season (SCIENCE.md section 6), so without controls
a heart-rate change cannot say which it was. Two signals in the data can help:

- **Lab VO2max** from maximal tests (RER >= 1.10,
  :func:`analysis.metrics.lab_vo2max_tests`) measures aerobic fitness directly
  and does not depend on economy.
- **Race VDOT** (Daniels & Gilbert 1979, SCIENCE.md section 1) is performance:
  it rises with economy *and* with fitness, so it confirms that a runner got
  faster, not why.

The model does not use them (one or two numbers per runner, each with its own
day-to-day noise); the output and the verdict sentence name them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics import lab_vo2max_tests
from analysis.models.training import block_windows

COLUMNS = ("race_vdot_baseline", "race_vdot_block", "lab_vo2max_pre", "lab_vo2max_post")


def fitness_signals(
    metrics: pd.DataFrame, lab_tests: pd.DataFrame | None, blocks: pd.DataFrame
) -> pd.DataFrame:
    """Race VDOT in the baseline and in the block, lab VO2max before and after.

    ``race_vdot_baseline`` / ``race_vdot_block``: the best ``race_vdot`` of the
    runner's races (:func:`analysis.metrics.run_metrics`) in the baseline
    (``baseline_start`` to the day before ``block_start``) and in the block
    (``block_start`` to ``block_end``), as Daniels' tables use a runner's best
    recent race. ``lab_vo2max_pre``: the last maximal lab test on or before
    ``block_start``; ``lab_vo2max_post``: the first on or after ``block_end``
    [ml/kg/min]. NaN where there is none. Indexed by ``runner_id``; runners
    without block dates are absent.
    """
    w = block_windows(blocks)
    out = pd.DataFrame(np.nan, index=w.index, columns=list(COLUMNS))
    if w.empty:
        return out
    if "race_vdot" in metrics:
        races = metrics.loc[metrics["race_vdot"].notna(), ["runner_id", "date", "race_vdot"]]
        races = races.assign(runner_id=races["runner_id"].astype(str))
        races = races.loc[races["runner_id"].isin(w.index)]
        day = pd.to_datetime(races["date"]).dt.normalize()
        ids = races["runner_id"]
        start = ids.map(w["block_start"])
        base = (day >= ids.map(w["baseline_start"])) & (day < start)
        during = (day >= start) & (day <= ids.map(w["block_end"]))
        out["race_vdot_baseline"] = races.loc[base].groupby("runner_id")["race_vdot"].max()
        out["race_vdot_block"] = races.loc[during].groupby("runner_id")["race_vdot"].max()
    tests = lab_vo2max_tests(lab_tests).reset_index()
    tests = tests.assign(runner_id=tests["runner_id"].astype(str))
    tests = tests.loc[tests["runner_id"].isin(w.index)].sort_values("day")
    if len(tests):
        ids = tests["runner_id"]
        pre = tests.loc[tests["day"] <= ids.map(w["block_start"])]
        post = tests.loc[tests["day"] >= ids.map(w["block_end"])]
        out["lab_vo2max_pre"] = pre.groupby("runner_id")["peak"].last()
        out["lab_vo2max_post"] = post.groupby("runner_id")["peak"].first()
    return out


def fitness_words(row) -> str:
    """The signals present in a result row, in words (e.g. "race VDOT 50.1 → 52.3"), or ""."""
    parts = []
    for label, before, after in (
        ("lab VO2max", "lab_vo2max_pre", "lab_vo2max_post"),
        ("race VDOT", "race_vdot_baseline", "race_vdot_block"),
    ):
        a, b = row.get(before, np.nan), row.get(after, np.nan)
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b):
            parts.append(f"{label} {a:.1f} → {b:.1f}")
    return ", ".join(parts)


def signal_lookup(signals: pd.DataFrame) -> dict[str, dict[str, float]]:
    """:func:`fitness_signals` as ``runner_id -> {column: value}`` (a dict lookup per
    row instead of four frame lookups: 60,000 of those cost 2 s at 5,000 runners)."""
    values = signals[list(COLUMNS)].astype(float)
    return {
        str(rid): dict(zip(COLUMNS, row, strict=True))
        for rid, row in zip(values.index, values.to_numpy(), strict=True)
    }


def add_fitness_signals(row: dict, signals: dict[str, dict[str, float]]) -> dict:
    """Put the :data:`COLUMNS` of :func:`fitness_signals` (as its
    :func:`signal_lookup`) on one analyze row (in place, before its verdict
    sentence is written) and return it."""
    found = signals.get(str(row.get("runner_id")))
    for col in COLUMNS:
        row[col] = float(found[col]) if found is not None else np.nan
    return row
