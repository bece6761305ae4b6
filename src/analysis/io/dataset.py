"""The in-memory canonical dataset: typed frames plus the quarantine table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from analysis.io.settings import Settings


@dataclass(frozen=True)
class Dataset:
    """A loaded, validated dataset (see ``DATA_FORMAT.md``).

    Frames are typed: datetimes as ``datetime64[ns]`` (local wall-clock time;
    an offset in the file is applied and then dropped, so a run at 07:15+01:00
    is 07:15), floats with units in their names, ``run_type`` and strength
    ``category`` as pandas categoricals. Every frame keeps the file's unknown
    columns and a ``line`` column with the 1-based line number in its CSV
    (the header is line 1), so any derived number can be traced back.

    Optional files that are absent give empty frames with the canonical
    columns. ``quarantine`` has one row per rejected row and problem:
    ``file``, ``line``, ``column``, ``value``, ``reason``, and ``runner_id``
    (the row's raw runner id, empty when it had none) so a runner's report can
    list its own quarantined rows.

    The object is frozen; the frames are the loader's own copies. Treat them as
    read-only (``.copy()`` before changing one).
    """

    path: Path
    runners: pd.DataFrame
    runs: pd.DataFrame
    strength: pd.DataFrame
    blocks: pd.DataFrame
    lab_tests: pd.DataFrame
    quarantine: pd.DataFrame
    warnings: tuple[str, ...] = ()
    wellness: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "runner_id": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[ns]"),
                "hr_rest_bpm": pd.Series(dtype=float),
                "hrv_ms": pd.Series(dtype=float),
            }
        )
    )
    exercises: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "exercise": pd.Series(dtype=object),
                "category": pd.Series(dtype=object),
                "runner_id": pd.Series(dtype=object),
                "exercise_key": pd.Series(dtype=object),
            }
        )
    )
    meta: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    settings: Settings = field(default_factory=Settings)

    @property
    def runner_ids(self) -> list[str]:
        return list(self.runners["runner_id"])

    def runner(self, runner_id: str) -> pd.Series:
        """The runners.csv row of one runner (``KeyError`` if unknown)."""
        rows = self.runners.loc[self.runners["runner_id"] == runner_id]
        if rows.empty:
            raise KeyError(runner_id)
        return rows.iloc[0]

    def for_runner(self, runner_id: str) -> Dataset:
        """The same dataset restricted to one runner (quarantine included)."""

        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.loc[frame["runner_id"] == runner_id]

        q = self.quarantine
        mask = q["runner_id"].astype(str) == runner_id
        return Dataset(
            path=self.path,
            runners=pick(self.runners),
            runs=pick(self.runs),
            strength=pick(self.strength),
            blocks=pick(self.blocks),
            lab_tests=pick(self.lab_tests),
            wellness=pick(self.wellness),
            exercises=self.exercises.loc[
                self.exercises["runner_id"].isna() | (self.exercises["runner_id"] == runner_id)
            ],
            quarantine=q.loc[mask],
            warnings=self.warnings,
            meta=self.meta,
            settings=self.settings,
        )


def quarantined_row_count(
    quarantine: pd.DataFrame, file: str | None = None, *, by_runner: bool = False
) -> int | pd.Series:
    """Quarantined rows (distinct file and line; a row with two problems counts once).

    Parameters
    ----------
    quarantine : DataFrame
        A :attr:`Dataset.quarantine` table (or a subset of it).
    file : str, optional
        Count only the rows of this file (e.g. ``"runs.csv"``).
    by_runner : bool, keyword-only
        Return the count per ``runner_id`` (a Series; rows without a runner
        under ``""``) instead of the total.
    """
    q = quarantine
    if file is not None:
        q = q.loc[q["file"].astype(str) == file]
    if not by_runner:
        return int(len(q[["file", "line"]].drop_duplicates()))
    if q.empty:
        return pd.Series(dtype="int64")
    q = q[["runner_id", "file", "line"]]
    q = q.assign(runner_id=q["runner_id"].astype(object).where(q["runner_id"].notna(), ""))
    return q.drop_duplicates().groupby(q["runner_id"].map(str))["line"].size()
