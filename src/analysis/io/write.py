"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import DataError


def _to_csv(frame, handle, kwargs: dict) -> None:
    """One frame, or the frames of an iterable one after another (one header)."""
    if isinstance(frame, pd.DataFrame):
        frame.to_csv(handle, **kwargs)
        return
    header = kwargs.get("header", True)
    for k, part in enumerate(frame):
        part.to_csv(handle, **{**kwargs, "header": header if k == 0 else False})


def write_csv_atomic(frame, path: str | os.PathLike, **to_csv_kwargs) -> Path:
    """Write ``frame`` as UTF-8 CSV to ``path`` through a temporary file and a rename.

    ``frame`` is a DataFrame, or an iterable of DataFrames with the same
    columns, written one after another under one header (a large output made
    part by part, never whole in memory). The temporary file lives in the
    target folder, so ``os.replace`` is atomic on POSIX: the old file stays
    intact until the new one is complete.
    """
    path = Path(path)
    to_csv_kwargs.setdefault("index", False)
    if path.is_symlink():  # write the file it names, never replace the link (/dev/stdout)
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file() and not path.is_dir():
        # A device or a pipe (/dev/null, /dev/stdout on a terminal, a FIFO): a
        # rename would replace the device node itself (as root, /dev/null
        # became a regular file), so it is written in place.
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                _to_csv(frame, handle, to_csv_kwargs)
        except OSError as exc:
            raise DataError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from exc
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"cannot write here: {exc.strerror}", file=str(path)) from exc
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            _to_csv(frame, handle, to_csv_kwargs)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        hint = "; it is a folder: give a file name" if path.is_dir() else ""
        raise DataError(f"cannot write here: {exc.strerror}{hint}", file=str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection)."""


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading single quote (the OWASP recommendation), so a group
    of ``=cmd|' /C calc'!A0`` opens as text. Numbers, dates and booleans are
    not touched (a negative change stays a number); only string cells of
    object and string columns are.
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            # look at the categories only; a column with a formula among them as text
            if not any(_is_formula(c) for c in values.cat.categories):
                continue
            values = values.astype(object)
        elif not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        text = values.map(_is_formula)
        if text.any():
            out[col] = values.astype(object).where(~text, "'" + values.astype(str))
    return out


DATASET_CSV_FILES = (
    "runners.csv",
    "runs.csv",
    "strength.csv",
    "blocks.csv",
    "lab_tests.csv",
    "wellness.csv",
    "exercises.csv",
)
DATASET_FILES = (*DATASET_CSV_FILES, "runeco.toml", "truth.csv")
DATASET_FOLDERS = ("activities", "runs", "strength")
"""Folders of the dataset's own files: streams, and the Parquet layout's parts
of runs.csv and strength.csv (``analysis.io.layout``)."""


def refuse_dataset_files(dataset: str | os.PathLike, *outputs) -> None:
    """Raise :class:`DataError` when an output path is one of the dataset's own files.

    ``runeco analyze ds --out ds/runs.csv`` once replaced the runs with the
    results; an output may live in the dataset folder, never over its data
    files (``truth.csv`` of a simulated squad included) or inside
    ``activities/`` or the Parquet layout's ``runs/`` and ``strength/``
    (``metrics pq --out pq/runs/part-00000.parquet`` replaced a part).
    """
    root = Path(dataset).resolve()
    protected = {root / name for name in DATASET_FILES}
    for output in outputs:
        if output is None:
            continue
        target = Path(output).resolve()
        if target in protected or any(root / name in target.parents for name in DATASET_FOLDERS):
            raise DataError(
                "is one of the dataset's own files: runeco never writes over its input; "
                "give another output path",
                file=str(output),
            )
