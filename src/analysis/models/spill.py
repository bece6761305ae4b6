"""Run metrics kept on disk, part by part, so ``analyze`` holds one part at a time.

:func:`analysis.models.analyze` takes the squad's run metrics either as one
DataFrame or as a :class:`SpilledMetrics`: one Parquet file per part of
runners (written as each part of a Parquet dataset is loaded), with only the
columns the models read. Each stage then hands its tasks a
:class:`MetricsRef` (the files and runner ids of one chunk), which the task
reads where it runs (:func:`resolve`), so neither this process nor a worker
ever holds the whole squad's metrics. Workers on a cluster must see the spill
folder at the same path (``runeco analyze`` puts it beside the output file).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.models.prepare import _METRIC_COLUMNS

SPILL_COLUMNS = (
    *_METRIC_COLUMNS,
    "defaulted",
    "device",
    "shoes",
    "days_after_strength",
    "trimp",
    "race_vdot",
    "hr_vo2_line",
    "hrmax_line_scale",
)
"""The run-metric columns the models read: the field model's
(:func:`analysis.models.prepare.prepare_runs`), the training load's and the
fitness signals' (races)."""


@dataclass(frozen=True)
class MetricsRef:
    """The metrics of some runners: the spill files that hold them and their ids."""

    paths: tuple[str, ...]
    runner_ids: frozenset[str]

    def load(self) -> pd.DataFrame:
        """Their rows, part after part, each runner's rows in their order."""
        frames = [pd.read_parquet(path) for path in self.paths]
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        keep = frame["runner_id"].astype(str).isin(self.runner_ids)
        return frame if keep.all() else frame.loc[keep.to_numpy()].reset_index(drop=True)


class SpilledMetrics:
    """The squad's run metrics as Parquet files in ``folder``, one per part."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.parts: list[tuple[str, frozenset[str]]] = []

    def add(
        self,
        metrics: pd.DataFrame,
        *,
        runs: pd.DataFrame | None = None,
        strength: pd.DataFrame | None = None,
    ) -> None:
        """Write one part's :func:`analysis.metrics.run_metrics` (the models' columns),
        and the dates of its runs and strength sessions (with their category:
        :meth:`dates`)."""
        k = len(self.parts)
        columns = [c for c in SPILL_COLUMNS if c in metrics.columns]
        path = self.folder / f"metrics-{k:05d}.parquet"
        metrics[columns].reset_index(drop=True).to_parquet(path, index=False)
        ids = set(metrics["runner_id"].astype(str).unique())
        for kind, frame in (("runs", runs), ("strength", strength)):
            if frame is not None:  # a strength session's category: is it strength work
                kept = [c for c in ("runner_id", "date", "category") if c in frame.columns]
                dates = frame[kept].reset_index(drop=True)
                dates.to_parquet(self.folder / f"{kind}-{k:05d}.parquet", index=False)
                ids |= set(frame["runner_id"].astype(str).unique())
        self.parts.append((str(path), frozenset(ids)))

    def dates(self, k: int, kind: str) -> pd.DataFrame:
        """``runner_id`` and ``date`` of part ``k``'s ``"runs"`` or ``"strength"``
        (and a strength session's ``category``, where strength.csv has it)."""
        return pd.read_parquet(self.folder / f"{kind}-{k:05d}.parquet")

    def part(self, k: int) -> pd.DataFrame:
        """Part ``k``'s metrics."""
        return pd.read_parquet(self.parts[k][0])

    @property
    def runner_ids(self) -> set[str]:
        return set().union(*(ids for _, ids in self.parts))

    def select(self, runner_ids: Iterable[str]) -> MetricsRef:
        ids = frozenset(str(r) for r in runner_ids)
        paths = tuple(path for path, own in self.parts if own & ids)
        # runners without runs: the first part, filtered to none of its rows (its columns)
        return MetricsRef(paths or tuple(path for path, _ in self.parts[:1]), ids)

    def map_parts(self, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``fn`` on each part's metrics in turn, the results concatenated (one part in memory)."""
        out = [fn(pd.read_parquet(path)) for path, _ in self.parts]
        return pd.concat(out) if out else fn(pd.DataFrame(columns=list(SPILL_COLUMNS)))


def dump_rows(path: str | Path, rows: list[dict]) -> None:
    """Keep a chunk's result rows (dicts) on disk until ``analyze`` writes them out."""
    with open(path, "wb") as handle:
        pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_rows(path: str | Path) -> list[dict]:
    """The rows :func:`dump_rows` wrote (files this process or its workers wrote)."""
    with open(path, "rb") as handle:
        return pickle.load(handle)


def resolve(metrics) -> pd.DataFrame:
    """A task's metrics: the frame itself, or a :class:`MetricsRef` read here."""
    return metrics.load() if isinstance(metrics, MetricsRef) else metrics


def select(metrics, runner_ids: Iterable[str]):
    """The rows of ``runner_ids``: a frame's rows, or a reference to the spilled ones."""
    if isinstance(metrics, SpilledMetrics):
        return metrics.select(runner_ids)
    ids = set(str(r) for r in runner_ids)
    return metrics.loc[metrics["runner_id"].astype(str).isin(ids)]


def runner_ids(metrics) -> set[str]:
    """The runners that have metrics."""
    if isinstance(metrics, SpilledMetrics):
        return metrics.runner_ids
    return set(metrics["runner_id"].astype(str).unique())
