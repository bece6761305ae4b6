"""One analysis per batch of reports: computed once, read by each runner's notebook.

``runeco report`` used to have every runner's notebook analyse its runner on
its own: about 0.4 s per report on a 30-runner squad, most of it squad-level
work (the learned heat onset and time course, the serial prior, the controls'
reference) that every report repeated. :func:`write_batch` runs
:func:`analysis.models.analyze` over the whole squad once and stores its rows
and each runner's plotting frame as Parquet in a folder; the runner notebook,
given that folder as its ``batch`` parameter, reads its runner's share with
:func:`read_batch`. The numbers are those of ``runeco analyze`` on the squad
(a notebook run on its own still analyses its runner itself).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.io.dataset import Dataset
from analysis.models.columns import ANALYZE, as_frame
from analysis.models.field import RunnerFit
from analysis.models.runner import analyze

RESULTS = "analysis.parquet"
FRAMES = "frames.parquet"
FORMULAS = "formulas.parquet"
_RUNNER = "_runner_id"


def write_batch(dataset: Dataset, folder: str | os.PathLike, **options) -> Path:
    """Analyse the whole squad (``analyze(dataset, return_fits=True, **options)``)
    and store the rows, frames and formulas in ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    results, fits = analyze(dataset, return_fits=True, **options)
    results.to_parquet(folder / RESULTS, index=False)
    frames = [fit.frame.assign(**{_RUNNER: rid}) for rid, fit in fits.items()]
    if frames:
        pd.concat(frames, ignore_index=True).to_parquet(folder / FRAMES, index=False)
    pd.DataFrame(
        {"runner_id": list(fits), "formula": [fit.formula for fit in fits.values()]}
    ).to_parquet(folder / FORMULAS, index=False)
    return folder


def read_squad_batch(folder: str | os.PathLike, runner_ids=None) -> pd.DataFrame:
    """The squad's ``analyze`` rows from :func:`write_batch`'s folder: all of them,
    or those of ``runner_ids`` in that order (what ``analyze(squad, runner_ids)``
    returns, with the numbers of the squad-wide fit)."""
    results = as_frame(pd.read_parquet(Path(folder) / RESULTS), ANALYZE)
    if runner_ids is None:
        return results
    wanted = [str(r) for r in ([runner_ids] if isinstance(runner_ids, str) else runner_ids)]
    order = {rid: k for k, rid in enumerate(dict.fromkeys(wanted))}
    mine = results.loc[results["runner_id"].isin(order)]
    rank = mine["runner_id"].map(order)
    return mine.iloc[rank.argsort(kind="stable")].reset_index(drop=True)


def read_batch(
    folder: str | os.PathLike, runner_id: str
) -> tuple[pd.DataFrame, dict[str, RunnerFit]]:
    """One runner's ``analyze`` rows and :class:`RunnerFit` from :func:`write_batch`'s
    folder: what ``analyze(squad, [runner_id], return_fits=True)`` returns."""
    folder = Path(folder)
    mine = [("runner_id", "==", runner_id)]
    results = as_frame(pd.read_parquet(folder / RESULTS, filters=mine), ANALYZE)
    frame = pd.DataFrame()
    if (folder / FRAMES).exists():
        frame = pd.read_parquet(folder / FRAMES, filters=[(_RUNNER, "==", runner_id)])
        frame = frame.drop(columns=_RUNNER).reset_index(drop=True)
    formulas = pd.read_parquet(folder / FORMULAS, filters=mine)
    field = results.loc[results["method"] == "field_hr"]
    row = field.iloc[0].to_dict() if len(field) else {}
    formula = str(formulas["formula"].iloc[0]) if len(formulas) else ""
    return results, {runner_id: RunnerFit(row=row, result=None, formula=formula, frame=frame)}
