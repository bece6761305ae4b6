"""Reading a source file's bytes, with the errors every importer reports the same way."""

from __future__ import annotations

import gzip
from pathlib import Path

from analysis.errors import DataError


def read_bytes(path: Path) -> bytes:
    """The file's bytes as stored; DataError (with the OS reason) when unreadable."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc


def read_source(path: Path) -> bytes:
    """A device file's bytes, gunzipped when its name ends in ``.gz``.

    Raises
    ------
    DataError
        Unreadable, not a readable gzip stream, or empty (no bytes, or only
        white space).
    """
    path = Path(path)
    data = read_bytes(path)
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"not a readable gzip file ({exc})", file=str(path)) from exc
    if not data:
        raise DataError("empty file (0 bytes)", file=str(path))
    if not data.strip():
        raise DataError("empty file (only white space)", file=str(path))
    return data
