"""Training load over the block against the baseline: the note that more running
may explain part of a change.

More training improves running economy by itself (Barnes & Kilding 2015,
SCIENCE.md section 5, list training volume and history among the determinants
of economy), so a runner whose running load rose sharply with the strength
block may have become more economical from the running. The difference in
differences against the controls removes what the squad did in common; a rise
the controls did not share stays in the answer. This module measures it and
says so: it does not adjust the estimate (load and strength work were chosen
together, so no model can separate them from one runner's data).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.metrics import wall_clock_days
from analysis.schema import MIN_CONTROLS, is_control

LOAD_RATIO_LIMITS = (0.8, 1.3)
"""Block load per week ÷ baseline load per week outside which the note is given.

The 0.8-1.3 range of the acute:chronic workload ratio (Gabbett 2016, Br J Sports
Med 50(5):273-280), used here only as a conventional marker of a large change
in load; Gabbett defines it for injury risk, not for economy."""

TRIMP_SHARE = 0.9
"""Share of the window's runs with a Banister TRIMP needed to measure load as
TRIMP; below it (no heart rate on many runs), running minutes are used."""

_BASIS_WORDS = {"trimp": "Banister TRIMP", "minutes": "running minutes"}


LATE_LOG_DAYS = 7
"""A runner whose first run in the baseline is this many days or more after
``baseline_start``, with no run in the ``LOG_RUNNING_DAYS`` before it, has its
baseline load per week taken over the days from that run (a rest of a few days
at the baseline's start is not a late log; a stray old run must not stretch a
log that starts 2 weeks before the block over 6 weeks)."""

LOG_RUNNING_DAYS = 28
"""A runner with ``LOG_RUNNING_MIN_RUNS`` runs in this many days before
``baseline_start`` was logging when the baseline began: a first run in the
baseline ``LATE_LOG_DAYS`` or more after its start is then a break, whose weeks
count (a review: a 3-week rest after a daily log read twice its baseline's
load); a lone run from months before is not a log of the weeks between."""

LOG_RUNNING_MIN_RUNS = 2
"""Runs (on different days) in the ``LOG_RUNNING_DAYS`` before ``baseline_start``
that make a log: one stray run there (a race imported by hand, a test file) is
no more a log of the weeks after it than one from months before (a review: a
single run 10 days before the baseline made a log that started 3 weeks into it
read as a 3-week break, its baseline load per week halved)."""

MIN_LOGGED_BASELINE_WEEKS = 1.0
"""Weeks of the baseline covered by the runner's log (from its first logged run)
below which no baseline load per week is given (nor a ratio)."""


def training_load(metrics: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """Each runner's running load per week in the baseline and in the block.

    Load is the Banister TRIMP of each run (:func:`analysis.physiology.banister_trimp`
    via :func:`analysis.metrics.run_metrics`) when at least ``TRIMP_SHARE`` of
    the window's runs have one, else running minutes, summed over each window
    and divided by its length in weeks (the baseline from ``baseline_start``, or
    from the runner's first run on or after it when that run is ``LATE_LOG_DAYS``
    or more later and the log has fewer than ``LOG_RUNNING_MIN_RUNS`` runs in the
    ``LOG_RUNNING_DAYS`` before ``baseline_start`` (older runs do not count), to the day
    before ``block_start``: at least ``MIN_LOGGED_BASELINE_WEEKS``, else no
    baseline load; the block from ``block_start`` to ``block_end``, both days
    included).

    Parameters
    ----------
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` rows (``runner_id``, ``date``,
        ``trimp``, ``duration_s``); every run counts, steady or not.
    blocks : DataFrame
        :func:`analysis.blocks.runner_blocks` rows (``runner_id``,
        ``baseline_start``, ``block_start``, ``block_end``).

    Returns
    -------
    DataFrame
        Indexed by ``runner_id``: ``training_load_basis`` (``"trimp"`` or
        ``"minutes"``), ``baseline_load_per_week``, ``block_load_per_week`` and
        ``training_load_ratio`` (block ÷ baseline; NaN without baseline load).
        Runners without block dates are absent.
    """
    windows = block_windows(blocks).reset_index()
    out_cols = [
        "training_load_basis",
        "baseline_load_per_week",
        "block_load_per_week",
        "training_load_ratio",
    ]
    if windows.empty:
        return pd.DataFrame(columns=out_cols, index=pd.Index([], name="runner_id"))
    runs = metrics[["runner_id", "date"]].copy()
    for col in ("trimp", "duration_s"):  # hand-made metrics may lack them: no load then
        runs[col] = pd.to_numeric(metrics[col], errors="coerce") if col in metrics else np.nan
    runs["runner_id"] = runs["runner_id"].astype(str)
    runs = runs.merge(windows, on="runner_id", how="inner")
    # wall-clock days (a time zone dropped, not converted), as every other reader
    day = runs["day"] = wall_clock_days(runs["date"])
    runs["part"] = np.select(
        [
            (day >= runs["baseline_start"]) & (day < runs["block_start"]),
            (day >= runs["block_start"]) & (day <= runs["block_end"]),
        ],
        ["baseline", "block"],
        default="",
    )
    every = runs  # every run of a runner with a window, for where the log starts
    runs = runs.loc[runs["part"] != ""]
    share = runs["trimp"].notna().groupby(runs["runner_id"]).mean()
    basis = (share >= TRIMP_SHARE).map({True: "trimp", False: "minutes"})
    windows = windows.set_index("runner_id")
    windows["training_load_basis"] = basis.reindex(windows.index).fillna("minutes")
    runs["load"] = np.where(
        runs["runner_id"].map(windows["training_load_basis"]).eq("trimp"),
        runs["trimp"].fillna(0.0),
        runs["duration_s"].fillna(0.0) / 60.0,
    )
    total = runs.pivot_table(
        index="runner_id", columns="part", values="load", aggfunc="sum", fill_value=0.0
    ).reindex(index=windows.index, columns=["baseline", "block"], fill_value=0.0)
    # a log that starts inside the baseline says nothing of the weeks before it: the
    # baseline's load per week is over the weeks logged (controls who started
    # logging 2 weeks before the block read 3x their baseline's load otherwise).
    # The log's start is its first run on or after baseline_start: one stray run
    # months before (an old import) is no log of the weeks between. Without a run in
    # the baseline, the first run ever: before it, a baseline of no running (load 0);
    # after it, nothing logged
    first_ever = every.groupby("runner_id")["day"].min().reindex(windows.index)
    in_baseline = every.loc[every["part"] == "baseline"]
    first_in = in_baseline.groupby("runner_id")["day"].min().reindex(windows.index)
    first = first_in.fillna(first_ever)
    # ... unless the log ran up to the baseline: runs on LOG_RUNNING_MIN_RUNS days in
    # the LOG_RUNNING_DAYS before it make a late first run a break (load 0 in it is
    # load), not a late start
    before = (every["day"] < every["baseline_start"]) & (
        every["day"] >= every["baseline_start"] - pd.Timedelta(days=LOG_RUNNING_DAYS)
    )
    days_before = every.loc[before].groupby("runner_id")["day"].nunique()
    running = days_before.reindex(windows.index, fill_value=0) >= LOG_RUNNING_MIN_RUNS
    late = ((first - windows["baseline_start"]).dt.days >= LATE_LOG_DAYS) & ~running
    logged_from = windows["baseline_start"].where(~late, first)
    base_weeks = (windows["block_start"] - logged_from).dt.days / 7.0
    base_weeks = base_weeks.where(base_weeks >= MIN_LOGGED_BASELINE_WEEKS)
    block_weeks = ((windows["block_end"] - windows["block_start"]).dt.days + 1) / 7.0
    windows["baseline_load_per_week"] = total["baseline"] / base_weeks.where(base_weeks > 0)
    windows["block_load_per_week"] = total["block"] / block_weeks.where(block_weeks > 0)
    base = windows["baseline_load_per_week"]
    windows["training_load_ratio"] = windows["block_load_per_week"] / base.where(base > 0)
    return windows[out_cols]


def block_windows(blocks: pd.DataFrame) -> pd.DataFrame:
    """Each runner's ``baseline_start``, ``block_start`` and ``block_end`` as days,
    indexed by ``runner_id`` (text); runners without block dates are left out.

    Days are read on the wall clock (:func:`analysis.metrics.wall_clock_days`), as
    the runs' days are: a block date written with a UTC offset is that day where
    it was written, and aware and naive dates never meet in one comparison."""
    cols = ["runner_id", "baseline_start", "block_start", "block_end"]
    windows = blocks.loc[blocks["block_start"].notna() & blocks["block_end"].notna(), cols]
    windows = windows.drop_duplicates("runner_id").copy()
    windows["runner_id"] = windows["runner_id"].astype(str)
    for col in cols[1:]:
        windows[col] = wall_clock_days(windows[col])
    return windows.set_index("runner_id")


def _is_control(group: pd.Series) -> pd.Series:
    """Rows of the control group (:func:`analysis.schema.is_control` of each cell)."""
    return group.astype(str).str.strip().str.lower().eq("control")


def training_load_note(ratio: float, basis: str, control_ratio: float | None = None) -> str:
    """The warning for a block whose load per week differs a lot from the baseline's, or ""."""
    if ratio is None or not np.isfinite(ratio):
        return ""
    low, high = LOAD_RATIO_LIMITS
    if low < ratio < high:
        return ""
    words = _BASIS_WORDS.get(basis, basis)
    controls = (
        f" (the controls: {control_ratio:.2f}× over their blocks)"
        if control_ratio is not None and np.isfinite(control_ratio)
        else ""
    )
    if ratio >= high:
        return (
            f"training load rose: {ratio:.2f}× the baseline's per week "
            f"({words}){controls}; more running can improve economy by itself, so part "
            "of this change may come from the extra training"
        )
    return (
        f"training load fell: {ratio:.2f}× the baseline's per week "
        f"({words}){controls}; less running (a taper, an injury, an illness) can change "
        "economy by itself, so part of this change may come from it"
    )


CONTROLS_LOAD_NOTE_START = "the controls' training load"
"""How :func:`controls_load_note` starts (the headline sentence points to it); no
other warning holds it."""


def controls_load_note(
    control_ratio: float | None, ratio: float, raw_pct: float, load_scale: float = np.nan
) -> str:
    """The warning of a control-referenced strength runner whose controls' load
    changed differently from the runner's, or "".

    The referenced headline assumes the runner's cost would have moved as the
    controls' did without the strength work (parallel trends). Controls who
    ran much less over the block than in their baseline may have lost fitness,
    which reads as a worse economy in them and so as a better one, relative to
    them, in the runner (and the other way round for controls who ran much
    more). Given when the controls' median load ratio is outside
    ``LOAD_RATIO_LIMITS`` and the runner's is not within the same margin of
    it (the ratio of the two ratios outside the limits too, or the runner's
    unknown). A note, not an adjustment: heart rate at a given pace cannot
    tell lost fitness from worse economy, and on squads whose controls lost
    2 % of VO2max the referenced change was 1.8 pp too good
    (``benchmarks/blind_scenarios.py``, ``detraining``; that generator did not
    cut their training, so this note is for the case the data can show).
    Where the controls' load stayed within the limits, the note is given when
    the runner's ratio differs from theirs by more than ``RELATIVE_LOAD_LIMITS``
    (:func:`_relative_load_note`). ``load_scale``: the squad's learned
    training-load offset (``training_load_scale``), which the note then names
    as taking out what the squad's runs show of this.
    """
    if control_ratio is None or not np.isfinite(control_ratio) or not np.isfinite(raw_pct):
        return ""
    low, high = LOAD_RATIO_LIMITS
    if low < control_ratio < high:
        return _relative_load_note(control_ratio, ratio, raw_pct, load_scale)
    if np.isfinite(ratio) and control_ratio > 0 and low < ratio / control_ratio < high:
        return ""
    less = control_ratio <= low
    own = f", this runner {ratio:.2f}×" if np.isfinite(ratio) else ""
    return (
        f"{CONTROLS_LOAD_NOTE_START} {'fell' if less else 'rose'} in the block "
        f"({control_ratio:.2f}× their baseline's per week{own}): if they "
        f"{'lost' if less else 'gained'} fitness, the change relative to them looks "
        f"{'better' if less else 'worse'} than it was{_note_end(raw_pct, load_scale)}"
    )


def _note_end(raw_pct: float, load_scale: float) -> str:
    """How a controls' load note ends: the learned offset, if any, then the raw change."""
    offset = (
        f"; the squad's training-load offset ({load_scale:g}) takes out what its runs show of this"
        if load_scale is not None and np.isfinite(load_scale) and load_scale > 0
        else ""
    )
    return f"{offset}; before the reference: {raw_pct:+.1f} %"


RELATIVE_LOAD_LIMITS = (0.85, 1.0 / 0.85)
"""A strength runner's load ratio over the controls' median one outside which
:func:`controls_load_note` is given where the controls' own ratio is within
``LOAD_RATIO_LIMITS``.

On the seventh generator's squads (``benchmarks/training_load_scenarios.py``,
whose heart rate at a given pace moves with each runner's own training load:
Banister fitness and plasma volume), strength runners who dropped an easy run a
week had load ratios of 0.93 against the controls' 1.10, all inside 0.8-1.3,
and their referenced change was 2.4 pp too bad (10 squads): the controls'
fitness gain was taken for the season's. With these limits the note was given
on 55 % of those runners and on 1 % of the strength runners of squads whose two
groups trained alike (2 % with a taper, 22 % with two interval sessions a week
added, where the answers were right: a note, not an adjustment). Our choice:
15 %, about the run a week of a runner who runs six."""


def _relative_load_note(
    control_ratio: float, ratio: float, raw_pct: float, load_scale: float = np.nan
) -> str:
    """:func:`controls_load_note` where the controls' ratio is within the limits:
    the runner's against theirs (``RELATIVE_LOAD_LIMITS``), or ""."""
    if not (np.isfinite(ratio) and control_ratio > 0):
        return ""
    low, high = RELATIVE_LOAD_LIMITS
    relative = ratio / control_ratio
    if low < relative < high:
        return ""
    less = relative <= low  # the runner ran less than the controls, for their baselines
    return (
        f"{CONTROLS_LOAD_NOTE_START} changed differently from this runner's "
        f"({control_ratio:.2f}× their baseline's per week, this runner {ratio:.2f}×): if "
        f"the controls' {'heavier' if less else 'lighter'} training made them "
        f"{'fitter' if less else 'less fit'} than this runner, the change relative to them "
        f"looks {'worse' if less else 'better'} than it was{_note_end(raw_pct, load_scale)}"
    )


def controls_load_ratio(load: pd.DataFrame, blocks: pd.DataFrame) -> float | None:
    """The controls' median load ratio (:func:`training_load`), or None with fewer
    controls than a control reference needs (``MIN_CONTROLS``, 2: the notes on the
    controls' load guard the referenced headline wherever there is one)."""
    if "group" not in blocks:
        return None
    ids = blocks.loc[_is_control(blocks["group"]), "runner_id"].astype(str)
    ratios = load["training_load_ratio"].reindex(ids.unique()).dropna()
    return float(ratios.median()) if len(ratios) >= MIN_CONTROLS else None


def add_training_load(
    rows: Iterable[dict],
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    load: pd.DataFrame | None = None,
) -> None:
    """Put ``training_load_ratio`` and ``training_load_basis`` on analyze rows, and
    the note of :func:`training_load_note` (with the controls' ratio beside a
    strength runner's) in the ``warning`` of rows with an answer, in place.

    ``metrics`` and ``blocks`` are the whole squad's, so the controls' ratio is
    the same whichever runners ``rows`` hold. ``load``: their
    :func:`training_load`, when already computed (``metrics`` is then not read).
    """
    if load is None:
        load = training_load(metrics, blocks)
    control_ratio = controls_load_ratio(load, blocks)
    # one lookup table, not a frame lookup per row (a squad of 20,000 has 60,000 rows)
    by_runner = dict(
        zip(
            load.index.astype(str),
            zip(load["training_load_ratio"], load["training_load_basis"], strict=True),
            strict=True,
        )
    )
    for row in rows:
        rid = str(row.get("runner_id"))
        if rid not in by_runner:
            row["training_load_ratio"] = np.nan
            row["training_load_basis"] = ""
            continue
        ratio, basis = float(by_runner[rid][0]), str(by_runner[rid][1])
        row["training_load_ratio"] = ratio
        row["training_load_basis"] = basis
        control = is_control(row.get("group", ""))
        notes = [training_load_note(ratio, basis, None if control else control_ratio)]
        if not control and row.get("reference") == "controls":
            raw = row.get("raw_change_pct")
            scale = row.get("training_load_scale")
            notes.append(
                controls_load_note(
                    control_ratio,
                    ratio,
                    np.nan if raw is None else raw,
                    np.nan if scale is None else scale,
                )
            )
        if any(notes) and not str(row.get("verdict", "")).startswith("insufficient"):
            row["warning"] = "; ".join(w for w in (row.get("warning") or "", *notes) if w)
