"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import DataError


def write_csv_atomic(frame: pd.DataFrame, path: str | os.PathLike, **to_csv_kwargs) -> Path:
    """Write ``frame`` as UTF-8 CSV to ``path`` through a temporary file and a rename.

    The temporary file lives in the target folder, so ``os.replace`` is atomic
    on POSIX: the old file stays intact until the new one is complete.
    """
    path = Path(path)
    to_csv_kwargs.setdefault("index", False)
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
            frame.to_csv(handle, **to_csv_kwargs)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        hint = "; it is a folder: give a file name" if path.is_dir() else ""
        raise DataError(f"cannot write here: {exc.strerror}{hint}", file=str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
