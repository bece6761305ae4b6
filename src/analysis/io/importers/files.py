"""Reading a source file's bytes, with the errors every importer reports the same way."""

from __future__ import annotations

import gzip
import os
import stat
from pathlib import Path

from analysis.errors import DataError

MAX_DECOMPRESSED_MB = 512
"""Default cap on a source file's size after decompression [MB] (``--max-decompressed-mb``,
or the ``RUNECO_MAX_DECOMPRESSED_MB`` environment variable)."""

_CHUNK = 1 << 20


def max_source_bytes() -> int:
    """The size cap on one source file's (decompressed) bytes, from the environment or default."""
    text = os.environ.get("RUNECO_MAX_DECOMPRESSED_MB", "")
    try:
        mb = float(text) if text else MAX_DECOMPRESSED_MB
    except ValueError:
        mb = MAX_DECOMPRESSED_MB
    return int(mb * (1 << 20))


def check_regular_file(path: Path) -> None:
    """DataError unless ``path`` is a regular file (a FIFO would block a read forever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe or device)"
        raise DataError(f"{kind}: skipped", file=str(path))


def read_bytes(path: Path) -> bytes:
    """The file's bytes as stored; DataError (with the OS reason) when unreadable,
    not a regular file, or larger than :func:`max_source_bytes`."""
    check_regular_file(path)
    limit = max_source_bytes()
    try:
        if Path(path).stat().st_size > limit:
            raise DataError(
                f"larger than the {limit >> 20} MB limit: skipped (raise --max-decompressed-mb)",
                file=str(path),
            )
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc


def _gunzip(path: Path, limit: int) -> bytes:
    """Stream-decompress a gzip file, stopping past ``limit`` bytes (a gzip bomb)."""
    # A list of chunks joined once at the end, not a growing bytearray: each
    # resize of a bytearray may copy it, and with glibc the freed copies can stay
    # resident (measured: 548 MB peak for a 64 MB cap on one CI machine).
    chunks: list[bytes] = []
    size = 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise DataError(
                        f"expands to more than {limit >> 20} MB when decompressed: skipped "
                        "(a damaged or hostile file; raise --max-decompressed-mb if it is real)",
                        file=str(path),
                    )
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"not a readable gzip file ({exc})", file=str(path)) from exc
    return b"".join(chunks)


def read_source(path: Path) -> bytes:
    """A device file's bytes, gunzipped when its name ends in ``.gz``.

    Raises
    ------
    DataError
        Unreadable, not a regular file, larger than :func:`max_source_bytes`
        once decompressed (read in 1 MB chunks, so a gzip bomb stops at the cap
        and memory stays bounded), not a readable gzip stream, or empty (no
        bytes, or only white space).
    """
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        check_regular_file(path)
        data = _gunzip(path, max_source_bytes())
    else:
        data = read_bytes(path)
    if not data:
        raise DataError("empty file (0 bytes)", file=str(path))
    if not data.strip():
        raise DataError("empty file (only white space)", file=str(path))
    return data
