"""``import --replace`` for runs: which rows came from the files imported, and what replaces them.

A runs.csv row is *from* a file of this import when it belongs to the
runner, its ``source_file`` is the name of a file this import read and its
``source`` is the kind that file was read as (a Garmin ``activities.csv`` is
not a Strava one). Rows typed by hand (no ``source``), rows of other
runners, rows of files not given, and rows of a file that could not be read
this time are never targets. Without ``--include-non-running`` an import
looks only at runs, so rows of other sports are not targets either.

Each target is paired with the new run it becomes, first that applies:
the same file and the same start (within the dedupe window, whatever the
distance: a corrected unit changes the distance); the only run left of its
file on both sides (one file, one run: a trimmed start); the same run by
start and distance from another file of this import (a GPX replaced by the
FIT of the same run). A paired row keeps its ``run_id`` (and so its stream
file name), the columns the import does not fill, and a run type the user
set (``run_type_reason`` empty); a target left unpaired is removed with its
stream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.io.importers import dedupe

#: Cells of a replaced row that a new reading without a value leaves as they
#: were (a name or perceived exertion from a Strava CSV or typed by hand).
KEEP_WHEN_EMPTY = ("rpe", "name", "strava_id")
#: Cells a replacement never writes: who the run is and where its stream is
#: (set by the importer itself).
NEVER_WRITTEN = ("runner_id", "run_id", "activity_file")


@dataclass
class FilesRead:
    """The files an import read, by the name runs.csv records (``source_file``)."""

    kinds: dict[str, set[str]] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)

    def read(self, name: str, kind: str) -> None:
        self.kinds.setdefault(name, set()).add(kind)

    def failed(self, name: str) -> None:
        self.unreadable.add(name)

    def merge(self, other: FilesRead) -> None:
        for name, kinds in other.kinds.items():
            self.kinds.setdefault(name, set()).update(kinds)
        self.unreadable |= other.unreadable


def targets(
    old: pd.DataFrame, runner_id: str, files: FilesRead, *, include_non_running: bool
) -> np.ndarray:
    """Which runs.csv rows the import replaces (see the module docstring).

    Parameters
    ----------
    old : DataFrame
        runs.csv cells as text: ``runner_id``, ``source``, ``source_file``,
        ``sport``.
    runner_id : str
    files : FilesRead
    include_non_running : bool

    Returns
    -------
    ndarray of bool
    """
    name = old["source_file"]
    source = old["source"].str.strip()
    readable = {n: k for n, k in files.kinds.items() if n not in files.unreadable}
    from_file = np.array(
        [s in readable.get(n, ()) for n, s in zip(name, source, strict=True)], dtype=bool
    )
    mine = (old["runner_id"].str.strip() == runner_id).to_numpy()
    sport = old["sport"].str.strip()
    in_scope = (
        np.ones(len(old), dtype=bool)
        if include_non_running
        else sport.isin(("", "running")).to_numpy()
    )
    return mine & from_file & (name != "").to_numpy() & in_scope


def kept_unreadable(old: pd.DataFrame, runner_id: str, files: FilesRead) -> list[tuple[str, int]]:
    """(file, rows) of the runner's rows from files that could not be read this time."""
    mine = old["runner_id"].str.strip() == runner_id
    hit = old.loc[mine & old["source_file"].isin(files.unreadable), "source_file"]
    return sorted(Counter(hit).items())


def pair(new: pd.DataFrame, old: pd.DataFrame, targeted: np.ndarray) -> np.ndarray:
    """For every new run, the position in ``old`` of the target it replaces (-1: none).

    Parameters
    ----------
    new : DataFrame
        The import's runs: ``runner_id``, ``date``, ``distance_km``, ``source_file``.
    old : DataFrame
        runs.csv cells as text: the same columns.
    targeted : ndarray of bool
        From :func:`targets`.

    Returns
    -------
    ndarray of int
        Each target is paired with at most one new run.
    """
    result = np.full(len(new), -1, dtype=np.int64)
    slots = np.flatnonzero(targeted)
    if len(new) == 0 or slots.size == 0:
        return result
    cand = old.iloc[slots].reset_index(drop=True)
    fresh = new.reset_index(drop=True)
    taken = np.zeros(slots.size, dtype=bool)

    def accept(found: np.ndarray, rows: np.ndarray) -> None:
        for k, j in zip(rows, found, strict=True):
            if j >= 0 and not taken[j] and result[k] < 0:
                taken[j] = True
                result[k] = slots[j]

    # 1. the same file, the same start: keyed by file, so only its own rows compete
    by_file = (
        fresh.assign(
            runner_id=fresh["runner_id"].astype(str)
            + "\n"
            + fresh["source_file"].fillna("").astype(str)
        )
        if "source_file" in fresh
        else fresh.assign(runner_id="")
    )
    keyed = cand.assign(runner_id=cand["runner_id"].str.strip() + "\n" + cand["source_file"])
    accept(dedupe.match_runs(by_file, keyed, check_distance=False), np.arange(len(fresh)))
    # 2. a file that holds one run, before and now: the same recording (a trimmed start)
    if "source_file" in fresh:
        names_new = fresh["source_file"].fillna("").astype(str)
        one_new = names_new.value_counts().pipe(lambda c: set(c.index[c == 1]))
        one_old = cand["source_file"].value_counts().pipe(lambda c: set(c.index[c == 1]))
        for name in one_new & one_old:
            k = int(np.flatnonzero(names_new == name)[0])
            j = int(np.flatnonzero(cand["source_file"] == name)[0])
            if result[k] < 0 and not taken[j]:
                taken[j] = True
                result[k] = slots[j]
    # 3. the same run from another file of this import
    rest = np.flatnonzero(result < 0)
    if rest.size and (~taken).any():
        free = np.flatnonzero(~taken)
        found = dedupe.match_runs(fresh.iloc[rest], cand.iloc[free].reset_index(drop=True))
        accept(np.where(found >= 0, free[np.maximum(found, 0)], -1), rest)
    return result


def replacement(old_row: dict[str, str], new_row: dict[str, str]) -> dict[str, str]:
    """The cells to write over a replaced runs.csv row.

    Parameters
    ----------
    old_row : dict
        The row's current cells (runs.csv header -> text).
    new_row : dict
        The new reading's cells, for the columns the import writes.

    Returns
    -------
    dict
        Column -> new text, only where it differs from the old cell. A run
        type the user set (``run_type`` given, ``run_type_reason`` empty) is
        kept, and so is its empty reason.
    """
    out = {}
    for col, value in new_row.items():
        if col in NEVER_WRITTEN or (col in KEEP_WHEN_EMPTY and value == ""):
            continue
        out[col] = value
    if old_row.get("run_type", "").strip() and not old_row.get("run_type_reason", "").strip():
        out.pop("run_type", None)
        out.pop("run_type_reason", None)
    return {c: v for c, v in out.items() if old_row.get(c, "") != v}
