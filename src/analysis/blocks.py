"""Strength blocks and baseline windows: one row per runner, then the later blocks.

A runner's block comes from ``blocks.csv`` when it has a row there, else it is
inferred from ``strength.csv`` (``DATA_FORMAT.md``): the longest run of ISO
weeks with at least one strength session, where a single empty week inside
the run is allowed. A runner with no block of its own (a control) is analysed
over the squad's block: the earliest block start to the latest block end of
the runners that have one. The baseline is the ``baseline_weeks`` weeks before
the block start.

A runner with several rows in ``blocks.csv`` has several blocks, numbered 1,
2, ... in date order. :func:`runner_blocks` gives block 1 of every runner (the
block the squad-level steps use, see :mod:`analysis.models.runner`);
:func:`later_blocks` gives blocks 2, 3, ..., each with its own baseline, which
never reaches back into the block before it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from analysis.io.dataset import Dataset, group_labels
from analysis.metrics import wall_clock_days
from analysis.schema import BASELINE_WEEKS, group_kind, is_control, shown
from analysis.strength import week_start

BLOCK_COLUMNS = (
    "runner_id",
    "block",
    "group",
    "block_start",
    "block_end",
    "block_source",
    "baseline_start",
    "block_weeks",
    "warning",
)
"""Columns of :func:`runner_blocks`, in order."""

BLOCK_SOURCES = ("blocks.csv", "inferred", "squad (control)", "none")

TYPICAL_BLOCK_WEEKS = (8.0, 12.0)
"""Typical strength-block length in weeks (SCIENCE.md section 8: 8-12 weeks at
2-3 sessions per week; Balsalobre-Fernandez et al. 2016). Other lengths are
analysed but get a warning."""

MAX_GAP_WEEKS = 1
"""Empty weeks allowed inside an inferred block (DATA_FORMAT.md)."""

STOPPED_EARLY_DAYS = 21
"""A block from blocks.csv whose runner's last strength session (strength.csv)
falls inside it but this many days or more before its end gets a note: the
change is read at ``block_end``, and what the lifting did can fade after it
stops (Mujika I, Padilla S 2000, Detraining: loss of training-induced
physiological and performance adaptations, Part I, Sports Med
30(2):79-87). On an eighth, blind generator's squads whose strength runners
stopped 4 weeks early (``fade``, ``benchmarks/eighth_scenarios.py``) the answer
read -0.65 pp (SE 0.21) more improvement than was left at the block's end."""

MIN_BASELINE_WEEKS = 2
"""A later block whose gap after the block before it is shorter than this
[weeks] has no baseline of its own ("insufficient data"): 8 steady runs
(``MIN_STEADY_RUNS``) take about two weeks at 4-6 runs a week."""

LATER_BLOCK_COLUMNS = (*BLOCK_COLUMNS, "previous_block_end", "problem")
"""Columns of :func:`later_blocks`: ``BLOCK_COLUMNS``, the end of the block
before (the baseline starts after it) and why the block cannot be analysed
(``""`` when it can)."""

_DATES = ("block_start", "block_end")
_MONDAY_EPOCH = pd.Timestamp("1970-01-05")  # a Monday: ISO weeks start on Monday
_WEEK = pd.Timedelta(days=7)
_DAY = pd.Timedelta(days=1)


# Mobility work (foam rolling, stretching) is not strength training in the
# sense of SCIENCE.md section 8, so it neither starts nor extends a block.
NON_STRENGTH_CATEGORIES = ("mobility",)


def infer_blocks(strength: pd.DataFrame) -> pd.DataFrame:
    """Infer one strength block per runner from the strength log.

    Weeks are ISO weeks (Monday-Sunday). Only strength work counts: entries in
    a category of ``NON_STRENGTH_CATEGORIES`` (mobility) are ignored, so a
    runner who only foam-rolls stays a control. A block is a run of weeks with at
    least one strength session in which at most ``MAX_GAP_WEEKS`` (1)
    consecutive empty week is allowed. Each runner's block is the longest such
    run in calendar weeks; ties go to the run with more session weeks, then to
    the earliest. ``block_start`` is the date of the first session of that run;
    ``block_end`` is the Sunday that ends the week of its last session, so a
    block that starts on a Monday and lasts ten full weeks has
    ``block_weeks == 10`` and runs done in the last days of that week still
    count as block runs.

    Parameters
    ----------
    strength : DataFrame
        The ``strength`` frame of a :class:`~analysis.io.dataset.Dataset`
        (``runner_id``, ``date``); one row per exercise or set.

    Returns
    -------
    DataFrame
        ``runner_id``, ``block_start``, ``block_end``, ``n_session_weeks``,
        ``n_sessions`` (distinct training days in the block), one row per
        runner with at least one dated session.
    """
    cols = ["runner_id", "block_start", "block_end", "n_session_weeks", "n_sessions"]
    days = strength_days(strength)
    if days.empty:
        return pd.DataFrame(
            {
                "runner_id": pd.Series(dtype=object),
                "block_start": pd.Series(dtype="datetime64[ns]"),
                "block_end": pd.Series(dtype="datetime64[ns]"),
                "n_session_weeks": pd.Series(dtype="int64"),
                "n_sessions": pd.Series(dtype="int64"),
            }
        )[cols]
    days["week"] = (week_start(days["day"]) - _MONDAY_EPOCH) // _WEEK
    weeks = days.groupby(["runner_id", "week"], sort=True, as_index=False).agg(
        first_day=("day", "min"), last_day=("day", "max"), n_sessions=("day", "size")
    )
    same_runner = weeks["runner_id"].eq(weeks["runner_id"].shift())
    contiguous = weeks["week"].diff().le(MAX_GAP_WEEKS + 1)
    weeks["run"] = (~(same_runner & contiguous)).cumsum()
    runs = weeks.groupby("run", sort=False).agg(
        runner_id=("runner_id", "first"),
        first_week=("week", "min"),
        last_week=("week", "max"),
        block_start=("first_day", "min"),
        last_day=("last_day", "max"),
        n_session_weeks=("week", "size"),
        n_sessions=("n_sessions", "sum"),
    )
    runs["span_weeks"] = runs["last_week"] - runs["first_week"] + 1
    runs = runs.sort_values(
        ["runner_id", "span_weeks", "n_session_weeks", "block_start"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    best = runs.drop_duplicates("runner_id", keep="first").copy()
    best["block_end"] = week_start(best["last_day"]) + pd.Timedelta(days=6)
    return best[cols].reset_index(drop=True)


def strength_days(strength: pd.DataFrame) -> pd.DataFrame:
    """The days with strength work: ``runner_id`` (text) and ``day``, one row per
    runner and day, sorted; entries in ``NON_STRENGTH_CATEGORIES`` and undated
    ones left out (what :func:`infer_blocks` counts)."""
    counts = strength["date"].notna() if "date" in strength else pd.Series(False, strength.index)
    if "category" in strength.columns:
        counts &= ~strength["category"].astype(object).isin(NON_STRENGTH_CATEGORIES)
    s = strength.loc[counts]
    return (
        pd.DataFrame(
            {
                "runner_id": s["runner_id"].astype(str),
                "day": wall_clock_days(s["date"]),
            },
            columns=["runner_id", "day"],
        )
        .astype({"day": "datetime64[ns]"})
        .drop_duplicates()
        .sort_values(["runner_id", "day"], kind="stable")
        .reset_index(drop=True)
    )


@dataclasses.dataclass(frozen=True)
class Logged:
    """What the note on lifting that stopped early reads of the logs: the days with
    strength work (:func:`strength_days`) and each runner's last run (``last_run``,
    by ``runner_id``). A dataset read part by part gives one per part
    (:meth:`of`) and joins them (:meth:`join`)."""

    sessions: pd.DataFrame
    last_run: pd.Series

    @classmethod
    def of(cls, strength: pd.DataFrame, runs: pd.DataFrame) -> Logged:
        if "date" in runs and len(runs):
            last_run = wall_clock_days(runs["date"]).groupby(runs["runner_id"].astype(str)).max()
        else:
            last_run = pd.Series(dtype="datetime64[ns]")
        return cls(strength_days(strength), last_run)

    @classmethod
    def join(cls, parts: Iterable[Logged]) -> Logged:
        parts = list(parts)
        if not parts:
            return cls.of(pd.DataFrame(columns=["runner_id", "date"]), pd.DataFrame())
        last_run = pd.concat([p.last_run for p in parts])
        return cls(
            pd.concat([p.sessions for p in parts], ignore_index=True),
            last_run.groupby(level=0).max(),
        )


def _logs(logged: Logged | Callable[[], Logged] | None, dataset: Dataset) -> Logged:
    if logged is None:
        return Logged.of(dataset.strength, dataset.runs)
    return logged if isinstance(logged, Logged) else logged()


def _stopped_early(blocks: pd.DataFrame, logged: Logged) -> np.ndarray:
    """The note on lifting that stopped early, per row of ``blocks`` (``runner_id``,
    ``block_start``, ``block_end``, ``block_source``), or ``""``.

    Said for a blocks.csv block whose last strength session inside its dates is
    ``STOPPED_EARLY_DAYS`` or more before its end while the runner's runs go on
    at least as long after that session: the runner ran on without lifting.
    When the runs end too, the log ends there (a file exported mid-block), and
    that says nothing of fading. A control's rows (``group``) are never told: a
    control with a blocks.csv row of the squad's dates and a few sessions of its
    own did no strength block whose effect could fade."""
    n = len(blocks)
    if n == 0:
        return np.array([], dtype=object)
    frame = pd.DataFrame(
        {
            "row": np.arange(n),
            "runner_id": blocks["runner_id"].astype(str).to_numpy(),
            "start": pd.to_datetime(blocks["block_start"]).to_numpy(),
            "end": pd.to_datetime(blocks["block_end"]).to_numpy(),
        }
    )
    inside = frame.merge(logged.sessions, on="runner_id", how="inner")
    inside = inside.loc[(inside["day"] >= inside["start"]) & (inside["day"] <= inside["end"])]
    last = inside.groupby("row")["day"].max().reindex(frame["row"]).reset_index(drop=True)
    last = pd.to_datetime(last)
    last_run = pd.to_datetime(frame["runner_id"].map(logged.last_run.to_dict()))
    gap = pd.Timedelta(days=STOPPED_EARLY_DAYS)
    end = frame["end"]
    strength = (
        ~blocks["group"].map(is_control).astype(bool).to_numpy()
        if "group" in blocks
        else np.ones(n, dtype=bool)
    )
    stopped = (
        strength
        & blocks["block_source"].eq("blocks.csv").to_numpy()
        & (last <= end - gap).to_numpy()
        & (last_run >= last + gap).to_numpy()
    )
    if not stopped.any():
        return np.full(n, "", dtype=object)
    return np.where(
        stopped,
        "strength.csv's last session is on "
        + last.map(_date_text).to_numpy(dtype=object)
        + ", "
        + _weeks_text(end - last)
        + " weeks before block_end ("
        + end.map(_date_text).to_numpy(dtype=object)
        + "): the change is read at the block's end, and what the lifting did "
        "can fade once it stops",
        "",
    )


def _explicit_blocks(blocks: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Every valid blocks.csv row, numbered per runner in date order (``block``), and
    a warning per runner about the rows that were ignored."""
    cols = ["runner_id", "block_start", "block_end"]
    if blocks.empty:
        return pd.DataFrame(columns=[*cols, "block"]), pd.Series(dtype=object)
    b = blocks[cols].copy()
    b["runner_id"] = b["runner_id"].astype(str)
    b["block_start"] = pd.to_datetime(b["block_start"]).dt.normalize()
    b["block_end"] = pd.to_datetime(b["block_end"]).dt.normalize()
    valid = b["block_start"].notna() & b["block_end"].notna() & (b["block_end"] >= b["block_start"])
    notes = []
    n_invalid = (~valid).groupby(b["runner_id"]).sum()
    n_invalid = n_invalid[n_invalid > 0]
    if len(n_invalid):
        notes.append(
            "blocks.csv: "
            + n_invalid.astype(str)
            + " row(s) with block_end before block_start or a missing date ignored"
        )
    b = b.loc[valid].sort_values(["runner_id", "block_start", "block_end"], kind="stable")
    b["block"] = b.groupby("runner_id").cumcount() + 1
    note = pd.concat(notes).groupby(level=0).agg("; ".join) if notes else pd.Series(dtype=object)
    return b.reset_index(drop=True), note


def _join_notes(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Join per-row note arrays with "; ", skipping empty notes."""
    joined = np.full(n, "", dtype=object)
    for part in parts:
        sep = np.where((joined != "") & (part != ""), "; ", "")
        joined = joined + sep + part
    return joined


def _clean_group(values: pd.Series) -> pd.Series:
    text = group_labels(values)
    return text.where(text != "", None)


def runner_blocks(
    dataset: Dataset,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    inferred: pd.DataFrame | None = None,
    logged: Logged | None = None,
) -> pd.DataFrame:
    """The strength block and baseline window of every runner.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`analysis.io.load_dataset`).
    baseline_weeks : int, keyword-only
        Length of the baseline before ``block_start`` [weeks], default 6
        (``DATA_FORMAT.md``).
    inferred : DataFrame, optional, keyword-only
        :func:`infer_blocks` of the dataset's strength log, when already
        computed (a dataset read part by part: per runner, so the parts'
        results concatenated); ``dataset.strength`` is then not read.
    logged : Logged, optional, keyword-only
        :meth:`Logged.of` the dataset's strength and runs (a dataset read part
        by part: :meth:`Logged.join` of its parts'), for the note on lifting
        that stopped early; computed from ``dataset`` when not given.

    Returns
    -------
    DataFrame
        One row per runner of ``runners.csv``, in its order, with
        ``BLOCK_COLUMNS``:

        - ``block``: 1 (the runner's first block; :func:`later_blocks` has
          the others).
        - ``group``: ``"strength"`` or ``"control"``: ``runners.csv``'s
          ``group`` when it is one of them in some wording (:func:`analysis.schema.group_kind`),
          else ``"strength"`` for a runner with a block of its own, else
          ``"control"`` (any label but the two words is said in ``warning``).
        - ``block_start``, ``block_end`` (dates, ``block_end`` inclusive) and
          ``block_source``: ``"blocks.csv"`` (the runner's earliest valid row),
          ``"inferred"`` (:func:`infer_blocks`), ``"squad (control)"`` (no
          block of its own: the earliest block start to the latest block end
          of the runners that have one) or ``"none"`` (nobody in the squad has
          a block; dates empty).
        - ``baseline_start`` = ``block_start`` - ``baseline_weeks`` weeks.
        - ``block_weeks`` = (``block_end`` - ``block_start`` + 1 day) / 7.
        - ``warning``: ``""`` or a ``"; "``-joined list (own block length outside
          8-12 weeks, ignored blocks.csv rows (block_end before block_start
          or a missing date), a runner labelled control whose
          strength sessions were set aside, a runner labelled strength with no
          block of their own, a label read from the data, lifting that stopped
          ``STOPPED_EARLY_DAYS`` or more before a blocks.csv block's end while
          the runs went on).

        A runner whose ``runners.csv`` group is ``control`` and who has no
        blocks.csv row is given the squad block even if strength.csv has
        sessions for them (they are listed in ``warning``): the label is the
        study design and a stray session should not turn a control into a
        one-week block.

    References
    ----------
    .. [1] Balsalobre-Fernandez C, Santos-Concejero J, Grivas GV (2016).
       Effects of strength training on running economy in highly trained
       runners: a systematic review with meta-analysis of controlled trials.
       J Strength Cond Res 30(8):2361-2368 (8-12 week blocks).
    """
    if isinstance(baseline_weeks, bool) or not isinstance(baseline_weeks, (int, np.integer)):
        raise TypeError(
            "The 'baseline_weeks' parameter of runner_blocks must be a positive integer. "
            f"Got {baseline_weeks!r} instead."
        )
    if baseline_weeks < 1:
        raise ValueError(
            "The 'baseline_weeks' parameter of runner_blocks must be a positive integer. "
            f"Got {baseline_weeks!r} instead."
        )
    runners = dataset.runners
    out = pd.DataFrame({"runner_id": runners["runner_id"].astype(str).to_numpy()})
    if "group" in runners.columns:
        out["label"] = _clean_group(runners["group"]).to_numpy()
    else:
        out["label"] = None
    kind = out["label"].map(group_kind)
    is_control_label = kind.eq("control")

    every_explicit, explicit_notes = _explicit_blocks(dataset.blocks)
    explicit = every_explicit.loc[every_explicit["block"] == 1, ["runner_id", *_DATES]]
    if inferred is None:
        inferred = infer_blocks(dataset.strength)

    ex = out[["runner_id"]].merge(explicit, on="runner_id", how="left")
    inf = out[["runner_id"]].merge(inferred, on="runner_id", how="left")
    has_explicit = ex["block_start"].notna().to_numpy()
    has_inferred = inf["block_start"].notna().to_numpy() & ~is_control_label.to_numpy()

    out["block_start"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["block_end"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["block_source"] = "none"
    for mask, frame, source in (
        (has_inferred & ~has_explicit, inf, "inferred"),
        (has_explicit, ex, "blocks.csv"),
    ):
        out.loc[mask, "block_start"] = frame.loc[mask, "block_start"].to_numpy()
        out.loc[mask, "block_end"] = frame.loc[mask, "block_end"].to_numpy()
        out.loc[mask, "block_source"] = source
    own_block = has_explicit | has_inferred

    warnings = []
    if len(explicit_notes):
        warnings.append(out["runner_id"].map(explicit_notes).fillna("").to_numpy(dtype=object))
    set_aside = is_control_label.to_numpy() & ~has_explicit & inf["block_start"].notna().to_numpy()
    n_set_aside = inf["n_sessions"].fillna(0).astype(int).astype(str).to_numpy(dtype=object)
    warnings.append(
        np.where(
            set_aside,
            "group is control: "
            + n_set_aside
            + " strength session(s) in strength.csv set aside, squad block used",
            "",
        )
    )

    labelled_strength = (
        out["label"].fillna("").str.lower().eq("strength").to_numpy() & ~own_block & own_block.any()
    )
    warnings.append(
        np.where(
            labelled_strength,
            "group is strength but neither blocks.csv nor strength.csv gives a block: "
            "squad block used",
            "",
        )
    )

    if own_block.any():
        squad_start = out.loc[own_block, "block_start"].min()
        squad_end = out.loc[own_block, "block_end"].max()
        out.loc[~own_block, "block_start"] = squad_start
        out.loc[~own_block, "block_end"] = squad_end
        out.loc[~own_block, "block_source"] = "squad (control)"

    # a label other than strength or control ("gym", "runs only", "controls") is read
    # from the data, as a missing one is: strength with a block of its own, else
    # control, and said. Kept as written, it made no runner a control: no control
    # reference and one pooled group on a blind generator's squads (20 of 80
    # controls called improved)
    # A wording of the two ("Controls", "Strength training", "ctrl") is read as it;
    # the written case is not kept, so the groups count alike everywhere
    by_data = pd.Series(np.where(own_block, "strength", "control"), index=out.index)
    out["group"] = kind.where(kind.notna(), by_data)
    exact = out["label"].fillna("").str.lower().isin(("strength", "control"))
    other = (out["label"].notna() & ~exact).to_numpy()
    if other.any():
        labels = out["label"].fillna("").map(shown)
        words = []
        for k, text, group, has_block in zip(kind, labels, out["group"], own_block, strict=True):
            if pd.notna(k):  # a wording of one of the two
                words.append(f"group '{text}' in runners.csv read as {group}")
            else:
                why = (
                    "it has a strength block of its own"
                    if has_block
                    else "no strength block of its own"
                )
                words.append(
                    f"group '{text}' in runners.csv is neither strength nor control: "
                    f"read as {group} from the data ({why})"
                )
        warnings.append(np.where(other, np.array(words, dtype=object), ""))
    out["baseline_start"] = out["block_start"] - pd.Timedelta(weeks=baseline_weeks)
    out["block_weeks"] = ((out["block_end"] - out["block_start"] + _DAY) / _WEEK).round(1)

    warnings.append(_stopped_early(out, _logs(logged, dataset)))

    lo, hi = TYPICAL_BLOCK_WEEKS
    weeks = out["block_weeks"].to_numpy(dtype=float)
    # a control's dates are the squad's span (earliest start to latest end), not a
    # block of its own: staggered 8-12 week blocks would make it "17 weeks"
    own = ~out["block_source"].eq("squad (control)").to_numpy()
    odd = own & np.isfinite(weeks) & ((weeks < lo) | (weeks > hi))
    weeks_text = np.array([f"{w:g}" for w in weeks], dtype=object)
    warnings.append(
        np.where(
            odd,
            "block of " + weeks_text + f" weeks is outside the typical {lo:g}-{hi:g} weeks",
            "",
        )
    )
    warnings.append(
        np.where(
            out["block_source"].eq("none").to_numpy(),
            "no block in blocks.csv or strength.csv for anyone in the squad",
            "",
        )
    )
    out["warning"] = _join_notes(warnings, len(out))
    out["block"] = 1
    return out[list(BLOCK_COLUMNS)]


def _weeks_text(delta: pd.Series) -> np.ndarray:
    return np.array([f"{w:g}" for w in (delta / _WEEK).round(1)], dtype=object)


def later_blocks(
    dataset: Dataset,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    blocks: pd.DataFrame | None = None,
    logged: Logged | Callable[[], Logged] | None = None,
) -> pd.DataFrame:
    """Blocks 2, 3, ... of the runners with several rows in ``blocks.csv``.

    Block numbers follow ``block_start`` (then ``block_end``), as in
    :func:`runner_blocks`, whose block 1 they follow. Each block's baseline is
    the ``baseline_weeks`` weeks before its start, but never reaches back into
    the blocks before it: where it would, it starts the day after the latest
    end of those blocks (``previous_block_end``), and ``warning`` says it was
    shortened. ``problem`` says why a block cannot be analysed (its row gets
    ``insufficient data: <problem>``):

    - it starts on or before the end of an earlier block (two blocks that
      overlap, or one inside another: which weeks belong to which block is
      not known, so neither baseline nor ramp can be drawn);
    - the gap after the earlier block is shorter than ``MIN_BASELINE_WEEKS``
      (no baseline of its own).

    Rows with ``block_end`` before ``block_start`` never get here: the loader
    quarantines them, and :func:`runner_blocks` counts any left in its warning.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    baseline_weeks : int, keyword-only
        Weeks of baseline before each block (default 6); ignored when
        ``blocks`` is given (its own baseline is used).
    blocks : DataFrame, optional, keyword-only
        :func:`runner_blocks` of the dataset, for the runners' groups and the
        baseline length (computed when not given).
    logged : Logged or a function returning one, optional, keyword-only
        As for :func:`runner_blocks` (a later block gets the same note on
        lifting that stopped early); a function is called only when there is a
        later block (a dataset read part by part reads its parts' dates for
        it); computed from ``dataset`` when not given.

    Returns
    -------
    DataFrame
        ``LATER_BLOCK_COLUMNS``, one row per later block of a runner of
        ``blocks``, by runner (in ``blocks`` order) and block number;
        ``block_source`` is ``"blocks.csv"``.
    """
    if blocks is None:
        blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    else:
        known = blocks.loc[blocks["block_start"].notna() & blocks["baseline_start"].notna()]
        if len(known):
            span = known["block_start"].iloc[0] - known["baseline_start"].iloc[0]
            baseline_weeks = int(round(span / _WEEK))
    explicit, _ = _explicit_blocks(dataset.blocks)
    columns = list(LATER_BLOCK_COLUMNS)
    primary = blocks.loc[blocks["block"].eq(1) if "block" in blocks else slice(None)]
    groups = primary[["runner_id", "group"]].assign(runner_id=primary["runner_id"].astype(str))
    explicit = explicit.merge(groups, on="runner_id", how="inner")
    if explicit.empty or not (explicit["block"] > 1).any():
        return pd.DataFrame(
            {
                c: pd.Series(dtype="datetime64[ns]" if c in _DATE_COLUMNS else object)
                for c in columns
            }
        ).astype({"block": "int64", "block_weeks": float})
    previous = explicit.groupby("runner_id")["block_end"].transform(
        lambda ends: ends.cummax().shift()
    )
    out = explicit.assign(previous_block_end=previous).loc[explicit["block"] > 1].copy()
    order = {rid: k for k, rid in enumerate(groups["runner_id"])}
    out = out.iloc[
        np.lexsort((out["block"].to_numpy(), out["runner_id"].map(order).to_numpy()))
    ].reset_index(drop=True)
    out["block_source"] = "blocks.csv"
    wanted = out["block_start"] - pd.Timedelta(weeks=baseline_weeks)
    floor = out["previous_block_end"] + _DAY
    out["baseline_start"] = wanted.where((wanted >= floor) | (out["block_start"] <= floor), floor)
    out["block_weeks"] = ((out["block_end"] - out["block_start"] + _DAY) / _WEEK).round(1)

    overlap = out["block_start"] <= out["previous_block_end"]
    gap = out["block_start"] - floor
    short = ~overlap & (gap < pd.Timedelta(weeks=MIN_BASELINE_WEEKS))
    prev_text = out["previous_block_end"].map(_date_text)
    problem = np.where(
        overlap,
        "overlaps an earlier block in blocks.csv (which ends on "
        + prev_text
        + "): give blocks that do not overlap",
        np.where(
            short,
            "only "
            + (gap / _DAY).astype(int).astype(str)
            + np.where(gap == _DAY, " day", " days")
            + " between the end of the block before ("
            + prev_text
            + f") and this block's start: a baseline needs at least {MIN_BASELINE_WEEKS} weeks",
            "",
        ),
    )
    out["problem"] = problem
    shortened = ~overlap & ~short & (wanted < floor)
    lo, hi = TYPICAL_BLOCK_WEEKS
    weeks = out["block_weeks"].to_numpy(dtype=float)
    odd = (weeks < lo) | (weeks > hi)
    weeks_text = np.array([f"{w:g}" for w in weeks], dtype=object)
    out["warning"] = _join_notes(
        [
            np.where(
                shortened,
                "baseline shortened to "
                + _weeks_text(out["block_start"] - out["baseline_start"])
                + " weeks: the block before ended on "
                + prev_text,
                "",
            ),
            np.where(
                odd,
                "block of " + weeks_text + f" weeks is outside the typical {lo:g}-{hi:g} weeks",
                "",
            ),
            # an analysable block's note only: one that overlaps (a repeated row) has none
            np.where(
                problem == "",
                _stopped_early(out, _logs(logged, dataset)),
                "",
            ),
        ],
        len(out),
    )
    return out[columns]


_DATE_COLUMNS = ("block_start", "block_end", "baseline_start", "previous_block_end")


def _date_text(day) -> str:
    return "" if pd.isna(day) else f"{pd.Timestamp(day):%Y-%m-%d}"


def _naive(day) -> pd.Timestamp:
    day = pd.Timestamp(day)
    return day.tz_localize(None) if day is not pd.NaT and day.tz is not None else day


TRAINING_WEEKS_BEFORE = 4
"""Weeks of the log a weekly-training chart shows before the baseline."""
TRAINING_WEEKS_AFTER = 8
"""Weeks of the log a weekly-training chart shows after the (last) block's end."""


def training_window(
    weekly: pd.DataFrame, block, last_block_end=None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The weeks a runner's weekly-training chart shows, and those it leaves out.

    A log that starts with one run years before the rest would stretch the
    chart over all those years, with the block a sliver at its end. The chart
    shows ``TRAINING_WEEKS_BEFORE`` weeks before the baseline to
    ``TRAINING_WEEKS_AFTER`` after the end of the runner's last block
    (``last_block_end``, else ``block``'s end); without block dates, every week.

    Parameters
    ----------
    weekly : DataFrame
        One runner's :func:`analysis.metrics.weekly_metrics` rows (``week``).
    block : Mapping or Series
        The runner's :func:`runner_blocks` row (``baseline_start``,
        ``block_end``).
    last_block_end : date, optional
        The end of the runner's last block, when it has several.

    Returns
    -------
    tuple of DataFrame
        ``(shown, before, after)``: the weeks in the window, and the weeks
        with training (a run or a strength session) before and after it.
    """
    start, end = _naive(block.get("baseline_start")), _naive(block.get("block_end"))
    if last_block_end is not None and not pd.isna(last_block_end):
        end = max(end, _naive(last_block_end)) if not pd.isna(end) else end
    if weekly.empty or pd.isna(start) or pd.isna(end):
        return weekly, weekly.iloc[:0], weekly.iloc[:0]
    week = pd.to_datetime(weekly["week"])
    if week.dt.tz is not None:
        week = week.dt.tz_localize(None)
    first, last = week_start([start, end])
    first, last = first - TRAINING_WEEKS_BEFORE * _WEEK, last + TRAINING_WEEKS_AFTER * _WEEK
    trained = pd.Series(False, index=weekly.index)
    for column in ("runs", "running_km", "strength_sessions"):
        if column in weekly:
            trained |= weekly[column].fillna(0).gt(0)
    inside = (week >= first) & (week <= last)
    if not inside.any():  # nothing near the block: every week rather than an empty chart
        return weekly, weekly.iloc[:0], weekly.iloc[:0]
    before, after = (week < first) & trained, (week > last) & trained
    return weekly.loc[inside], weekly.loc[before], weekly.loc[after]
