"""The in-memory canonical dataset: typed frames plus the quarantine table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
                "body_mass_kg": pd.Series(dtype=float),
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

    def runs_matching(self, runs, *, runner_id: str | None = None) -> pd.DataFrame:
        """The rows of ``runs.csv`` named by run id or by day (of ``runner_id`` if given).

        Parameters
        ----------
        runs : str or iterable of str
            Each a ``run_id`` (``"R01-20260310T0712"``) or a day
            (``"2026-03-10"``: every run that starts that day).
        runner_id : str, optional, keyword-only
            Only this runner's runs.

        Raises
        ------
        ValueError
            When an entry names no run (an unknown id, a day without a run).
        """
        refs = [runs] if isinstance(runs, str) else list(runs)
        frame = (
            self.runs if runner_id is None else self.runs.loc[self.runs["runner_id"] == runner_id]
        )
        run_ids = frame["run_id"].astype(str)
        days = frame["date"].dt.strftime("%Y-%m-%d")
        keep = pd.Series(False, index=frame.index)
        for ref in refs:
            hit = run_ids.eq(str(ref)) | days.eq(str(ref))
            if not hit.any():
                whose = f" of {runner_id}" if runner_id is not None else ""
                raise ValueError(
                    f"No run{whose} has the run id or date {ref!r}; give a run_id from "
                    "runs.csv or a day as YYYY-MM-DD."
                )
            keep |= hit
        return frame.loc[keep]

    def without_runs(self, runs, *, runner_id: str | None = None) -> Dataset:
        """The same dataset with some runs removed, as if their rows were not in runs.csv.

        ``runs`` and ``runner_id`` as in :meth:`runs_matching` (which raises
        for an entry that names no run). Everything else is kept as it is.
        """
        drop = self.runs_matching(runs, runner_id=runner_id).index
        return replace(self, runs=self.runs.drop(index=drop))


def group_labels(values: pd.Series) -> pd.Series:
    """runners.csv's ``group`` cells as every part of runeco reads them: the text
    with its spacing stripped, ``""`` for an empty or missing cell (object dtype).
    The runner blocks (:func:`analysis.blocks.runner_blocks`) and validate's
    summary (:func:`analysis.io.summary.validation_summary`) both read the
    column through it, so what validate says about a label is what analyze does."""
    text = values.astype(object).where(values.notna(), "")
    return text.map(str).str.strip()


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
