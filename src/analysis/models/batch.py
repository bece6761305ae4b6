"""One analysis per batch of reports: computed once, read by each runner's notebook.

``runeco report`` used to have every runner's notebook analyse its runner on
its own: about 0.4 s per report on a 30-runner squad, most of it squad-level
work (the learned heat onset and time course, the serial prior, the controls'
reference) that every report repeated. :func:`write_batch` runs
:func:`analysis.models.analyze` over the whole squad once and stores its rows
and each runner's plotting frame as Parquet in a folder; the runner notebook,
given that folder as its ``batch`` parameter, reads its runner's share with
:func:`read_batch`. The numbers are those of ``runeco analyze`` on the squad
(a notebook run on its own still analyses its runner itself). The per-run,
per-week and per-runner metrics the report shows are computed once for the
squad too (:func:`read_batch_metrics`): each runner's rows of them are
exactly what the runner's own data give (0.05 s of every report). With a
squad report, :func:`write_squad_batch` fits its squad and dose models there
too, so that its kernel never imports statsmodels (0.7 s).

Each runner's share (its rows of the dataset, of the analysis and of the
metrics, and its fits) is also stored whole, one pickle per runner under
``runners/``: a report reads it in about 3 ms instead of about 50 ms for
fourteen filtered Parquet reads. Each part of it (dataset rows, fits,
metrics) is pickled on its own inside the file, so each of the three readers
unpickles only its part (2.7 ms for all three, 7.6 ms when each unpickled the
whole share). Pickles run code when loaded, so a batch folder is trusted like the code itself: ``runeco report`` makes it with
``tempfile.mkdtemp`` (readable and writable by the user alone) and removes
it afterwards; read only a folder :func:`write_batch` made. Without a share
(a folder written before shares existed) the readers read the Parquet files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from pathlib import Path

import pandas as pd

from analysis.blocks import runner_blocks
from analysis.io.dataset import Dataset
from analysis.io.settings import load_settings
from analysis.metrics import run_metrics, runner_parameters, weekly_metrics
from analysis.models.columns import ANALYZE, as_frame
from analysis.models.dose import dose_response, runner_doses
from analysis.models.field import RunnerFit
from analysis.models.runner import analyze
from analysis.models.squad import squad_model
from analysis.schema import is_runner_id

RESULTS = "analysis.parquet"
FRAMES = "frames.parquet"
FORMULAS = "formulas.parquet"
BLOCKS = "squad-blocks.parquet"
SOURCE = "source.json"
METRICS = "metrics.parquet"
WEEKLY = "weekly.parquet"
PARAMETERS = "parameters.parquet"
SQUAD_MODELS = ("squad-effects.parquet", "squad-doses.parquet", "squad-dose-response.parquet")
SQUAD_RUNNERS = "squad-runners.json"
TABLES = ("runners", "runs", "strength", "blocks", "lab_tests", "wellness", "quarantine")
"""The dataset's tables, stored so that a runner's notebook reads its own rows only
(a 1,000-runner squad took 0.5 s to load in every report)."""
RUNNER_SHARES = "runners"
"""Folder of one pickle per runner, named by the SHA-256 of its id (:func:`write_batch`)."""
_RUNNER = "_runner_id"
_BLOCK = "_block"
_ROW = "_row"


def write_batch(
    dataset: Dataset, folder: str | os.PathLike, *, report_parts=None, **options
) -> Path:
    """Analyse the whole squad (``analyze(dataset, return_fits=True, **options)``)
    and store the rows, frames and formulas in ``folder`` (created).

    ``report_parts(dataset, results, metrics, blocks, baseline_weeks=...)``, when
    given, returns more of what the reports need, computed for the squad: a dict
    of frames (or tuples of frames) with a ``runner_id`` column; each runner's
    rows go into its share under the same name (:func:`read_batch_part`).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    blocks = runner_blocks(dataset, baseline_weeks=options.get("baseline_weeks", 6))
    blocks.to_parquet(folder / BLOCKS, index=False)
    categories: dict[str, dict[str, list]] = {}
    for name in TABLES:  # each row's position kept, as Dataset.for_runner keeps it
        frame = getattr(dataset, name)
        frame.assign(**{_ROW: frame.index}).to_parquet(folder / f"data-{name}.parquet", index=False)
        categories[name] = {
            col: list(frame[col].cat.categories)
            for col in frame.columns
            if isinstance(frame[col].dtype, pd.CategoricalDtype)
        }
    # Parquet keeps a categorical's values, not its unused categories: written beside
    (folder / SOURCE).write_text(json.dumps({"path": str(dataset.path), "categories": categories}))
    # run_metrics, weekly_metrics and runner_parameters work runner by runner:
    # a runner's rows of the squad's are those of its own data
    metrics = run_metrics(dataset)
    metrics.to_parquet(folder / METRICS, index=False)
    weekly = weekly_metrics(dataset, metrics)
    weekly.to_parquet(folder / WEEKLY, index=False)
    parameters = runner_parameters(dataset)
    parameters.to_parquet(folder / PARAMETERS, index=False)
    results, fits = analyze(dataset, return_fits=True, blocks=blocks, **options)
    results.to_parquet(folder / RESULTS, index=False)
    parts = {}
    if report_parts is not None:  # the squad's, split into the runners' shares below
        typed = as_frame(results, ANALYZE)  # as the runners read their rows (read_batch)
        parts = report_parts(
            dataset, typed, metrics, blocks, baseline_weeks=options.get("baseline_weeks", 6)
        )
    # every block's fit: block 1's, then the later blocks' (RunnerFit.later)
    every = [
        (rid, number, one)
        for rid, fit in fits.items()
        for number, one in enumerate((fit, *fit.later), start=1)
    ]
    frames = [one.frame.assign(**{_RUNNER: rid, _BLOCK: n}) for rid, n, one in every]
    all_frames = None
    if frames:
        all_frames = pd.concat(frames, ignore_index=True)
        all_frames.to_parquet(folder / FRAMES, index=False)
    formulas = pd.DataFrame(
        {
            "runner_id": [rid for rid, _, _ in every],
            "block": [n for _, n, _ in every],
            "formula": [one.formula for _, _, one in every],
        }
    )
    formulas.to_parquet(folder / FORMULAS, index=False)
    _write_shares(
        dataset,
        folder,
        tables={name: getattr(dataset, name) for name in TABLES},
        results=results,
        frames=all_frames,
        formulas=formulas,
        metrics=(metrics, weekly, parameters),
        report_parts=parts,
    )
    return folder


def _rows_of(frame: pd.DataFrame, column: str = "runner_id"):
    """``runner_id -> that runner's rows`` (index kept), and the empty frame for any other."""
    if frame is None:
        return {}, None
    positions = frame.groupby(column, observed=True, sort=False, dropna=True).indices
    return {str(rid): frame.iloc[pos] for rid, pos in positions.items()}, frame.iloc[:0]


def _write_shares(
    dataset, folder: Path, *, tables, results, frames, formulas, metrics, report_parts=None
) -> None:
    """Each runner's share, as the readers would build it from the Parquet files, pickled
    (and its rows of ``report_parts``, which only the shares hold: :func:`read_batch_part`)."""
    shares = folder / RUNNER_SHARES
    shares.mkdir(exist_ok=True)
    split = {name: _rows_of(frame) for name, frame in tables.items()}
    by_results, no_results = _rows_of(as_frame(results, ANALYZE))  # typed once, then split
    by_part = {
        name: [_rows_of(f) for f in value] if isinstance(value, tuple) else _rows_of(value)
        for name, value in (report_parts or {}).items()
    }
    if set(by_part) & {"runner_id", "dataset", "fits", "metrics"}:
        raise ValueError(f"report_parts may not replace a share's own parts: {sorted(by_part)}")
    by_frames, no_frames = _rows_of(frames, _RUNNER)
    by_formulas, no_formulas = _rows_of(formulas)
    by_metrics = [_rows_of(frame) for frame in metrics]
    for rid in dataset.runner_ids:
        if not is_runner_id(rid):  # never a path from it; its report reads the Parquet files
            continue
        rows = {name: own.get(rid, empty) for name, (own, empty) in split.items()}
        mine = by_results.get(rid, no_results).reset_index(drop=True)
        fit_frames = by_frames.get(rid, no_frames)
        if fit_frames is None:
            fit_frames = pd.DataFrame({_BLOCK: pd.Series(dtype="int64")})
        parts = {
            "dataset": (str(dataset.path), rows),
            "fits": _runner_fits(
                mine,
                fit_frames.reset_index(drop=True),
                by_formulas.get(rid, no_formulas).reset_index(drop=True),
                rid,
            ),
            "metrics": tuple(
                own.get(rid, empty).reset_index(drop=True) for own, empty in by_metrics
            ),
        }
        for name, rows_of in by_part.items():
            parts[name] = (
                tuple(own.get(rid, empty).reset_index(drop=True) for own, empty in rows_of)
                if isinstance(rows_of, list)
                else rows_of[0].get(rid, rows_of[1]).reset_index(drop=True)
            )
        # each part pickled on its own: a reader unpickles only the part it asks for
        share = {
            part: pickle.dumps(value, pickle.HIGHEST_PROTOCOL) for part, value in parts.items()
        }
        with open(_share_path(folder, rid), "wb") as handle:
            pickle.dump({"runner_id": rid, **share}, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _share_path(folder: Path, runner_id: str) -> Path:
    """The share's file: named by a hash of the id, so that ids differing only in case
    (``R01``, ``r01``) never meet in one file on a case-insensitive file system."""
    return folder / RUNNER_SHARES / f"{hashlib.sha256(runner_id.encode()).hexdigest()}.pickle"


def _read_share(folder: Path, runner_id: str, part: str):
    """``part`` of the runner's pickled share, or None when the batch has none for it
    (or holds another runner's under that name)."""
    if not is_runner_id(runner_id):
        return None
    try:
        with open(_share_path(folder, runner_id), "rb") as handle:
            share = pickle.load(handle)  # noqa: S301 - the batch's own private folder
    except FileNotFoundError:
        return None
    if share.get("runner_id") != runner_id or part not in share:
        return None
    return pickle.loads(share[part])  # noqa: S301 - the batch's own private folder


def write_squad_batch(
    dataset: Dataset, folder: str | os.PathLike, runner_ids=None, *, baseline_weeks: int = 6
) -> None:
    """The squad report's models over ``runner_ids`` (None: every runner), fitted
    as its notebook fits them on its own, in :func:`write_batch`'s folder:
    :func:`squad_model` on :func:`read_squad_batch`'s rows, :func:`runner_doses`
    of those runners and :func:`dose_response`."""
    folder = Path(folder)
    results = read_squad_batch(folder, runner_ids)
    blocks = read_batch_blocks(folder)
    metrics = pd.read_parquet(folder / METRICS)
    effects = squad_model(
        dataset, results, baseline_weeks=baseline_weeks, metrics=metrics, blocks=blocks
    )
    doses = runner_doses(dataset, blocks=blocks)
    doses = doses.loc[doses["runner_id"].isin(results["runner_id"])]  # the runners in the report
    response = dose_response(dataset, results, doses=doses)
    for frame, name in zip((effects, doses, response), SQUAD_MODELS, strict=True):
        frame.to_parquet(folder / name)  # with its index: the doses keep their rows' labels
    (folder / SQUAD_RUNNERS).write_text(json.dumps({"runner_ids": _wanted(runner_ids)}))


def read_squad_models(
    folder: str | os.PathLike, runner_ids=None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(effects, doses, response)`` from :func:`write_squad_batch`, which must
    have fitted them over the same ``runner_ids``."""
    folder = Path(folder)
    wanted = _wanted(runner_ids)
    fitted = json.loads((folder / SQUAD_RUNNERS).read_text())["runner_ids"]
    if fitted != wanted:
        raise ValueError(f"The batch's squad models are of the runners {fitted}, not of {wanted}.")
    effects, doses, response = (pd.read_parquet(folder / name) for name in SQUAD_MODELS)
    return effects, doses, response


def _wanted(runner_ids) -> list[str] | None:
    if runner_ids is None:
        return None
    return [str(r) for r in ([runner_ids] if isinstance(runner_ids, str) else runner_ids)]


def read_squad_batch(folder: str | os.PathLike, runner_ids=None) -> pd.DataFrame:
    """The squad's ``analyze`` rows from :func:`write_batch`'s folder: all of them,
    or those of ``runner_ids`` in that order (what ``analyze(squad, runner_ids)``
    returns, with the numbers of the squad-wide fit)."""
    results = as_frame(pd.read_parquet(Path(folder) / RESULTS), ANALYZE)
    if runner_ids is None:
        return results
    wanted = _wanted(runner_ids)
    order = {rid: k for k, rid in enumerate(dict.fromkeys(wanted))}
    mine = results.loc[results["runner_id"].isin(order)]
    rank = mine["runner_id"].map(order)
    return mine.iloc[rank.argsort(kind="stable")].reset_index(drop=True)


def read_batch(
    folder: str | os.PathLike, runner_id: str
) -> tuple[pd.DataFrame, dict[str, RunnerFit]]:
    """One runner's ``analyze`` rows and :class:`RunnerFit` from :func:`write_batch`'s
    folder: what ``analyze(squad, [runner_id], return_fits=True)`` returns (the
    fits of later blocks in ``RunnerFit.later``)."""
    folder = Path(folder)
    share = _read_share(folder, runner_id, "fits")
    if share is not None:
        return share
    mine = [("runner_id", "==", runner_id)]
    results = as_frame(pd.read_parquet(folder / RESULTS, filters=mine), ANALYZE)
    frames = pd.DataFrame({_BLOCK: pd.Series(dtype="int64")})
    if (folder / FRAMES).exists():
        frames = pd.read_parquet(folder / FRAMES, filters=[(_RUNNER, "==", runner_id)])
    formulas = pd.read_parquet(folder / FORMULAS, filters=mine)
    return _runner_fits(results, frames, formulas, runner_id)


def _runner_fits(results, frames, formulas, runner_id: str):
    """``(results, {runner_id: RunnerFit})`` from the runner's rows of the three tables."""
    field = results.loc[results["method"] == "field_hr"]
    fits = []
    for number in sorted(set(field["block"].astype(int))) or [1]:
        own = field.loc[field["block"] == number]
        frame = frames.loc[frames[_BLOCK] == number].drop(
            columns=[_RUNNER, _BLOCK], errors="ignore"
        )
        formula = formulas.loc[formulas["block"] == number, "formula"]
        fits.append(
            RunnerFit(
                row=own.iloc[0].to_dict() if len(own) else {},
                result=None,
                formula=str(formula.iloc[0]) if len(formula) else "",
                frame=frame.reset_index(drop=True),
            )
        )
    first, *later = fits
    return results, {runner_id: dataclasses.replace(first, later=tuple(later))}


def read_batch_metrics(
    folder: str | os.PathLike, runner_id: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """One runner's ``(run_metrics, weekly_metrics, runner_parameters row)`` from
    :func:`write_batch`'s folder: what :func:`analysis.metrics.run_metrics`,
    :func:`~analysis.metrics.weekly_metrics` and
    :func:`~analysis.metrics.runner_parameters` ``.iloc[0]`` give for the
    runner's own rows (``Dataset.for_runner``)."""
    folder = Path(folder)
    share = _read_share(folder, runner_id, "metrics")
    if share is not None:
        metrics, weekly, parameters = share
        return metrics, weekly, parameters.iloc[0]
    mine = [("runner_id", "==", runner_id)]
    metrics, weekly, parameters = (
        pd.read_parquet(folder / name, filters=mine) for name in (METRICS, WEEKLY, PARAMETERS)
    )
    return metrics, weekly, parameters.iloc[0]


def read_batch_part(folder: str | os.PathLike, runner_id: str, name: str):
    """One runner's rows of the part ``name`` that :func:`write_batch`'s
    ``report_parts`` computed for the squad (a frame, or a tuple of frames):
    what the runner's own data give. None when the batch holds no such part
    (compute it then)."""
    return _read_share(Path(folder), runner_id, name)


def read_batch_dataset(folder: str | os.PathLike, runner_id: str) -> Dataset:
    """One runner's rows of the batch's dataset (what ``load_dataset(path).for_runner``
    gives), read from :func:`write_batch`'s folder without loading the squad."""
    folder = Path(folder)
    share = _read_share(folder, runner_id, "dataset")
    if share is not None:
        path, frames = share
        path = Path(path)
        return Dataset(path=path, settings=load_settings(path), **frames)
    source = json.loads((folder / SOURCE).read_text())
    frames = {}
    for name in TABLES:
        frame = pd.read_parquet(
            folder / f"data-{name}.parquet", filters=[("runner_id", "==", runner_id)]
        )
        for col, cats in source["categories"][name].items():
            frame[col] = pd.Categorical(frame[col].astype(object), categories=cats)
        frames[name] = frame.set_index(_ROW).rename_axis(None)
    path = Path(source["path"])
    return Dataset(path=path, settings=load_settings(path), **frames)


def read_batch_blocks(folder: str | os.PathLike) -> pd.DataFrame:
    """The squad's blocks (:func:`analysis.blocks.runner_blocks`) the batch was analysed with."""
    return pd.read_parquet(Path(folder) / BLOCKS)
