"""``runeco convert``: a dataset from CSV to the Parquet layout and back (:mod:`analysis.io.layout`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import DataError
from analysis.io.layout import PARTITIONED, RESERVED_COLUMNS, part_folder, read_parts, write_parts
from analysis.io.load import read_csv_text


def _csv_cells(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw cells back as a CSV table, rows in line order; fields beyond the
    header (``_extra``) become extra unnamed columns."""
    raw = raw.sort_values("line", kind="stable")
    out = raw.drop(columns=list(RESERVED_COLUMNS)).reset_index(drop=True)
    extra = raw["_extra"].to_numpy(dtype=object)
    if (extra != "").any():
        split = [e.split(",") if e else [] for e in extra]
        width = max(len(s) for s in split)
        for j in range(width):
            out[f"_extra{j + 1}"] = [s[j] if j < len(s) else "" for s in split]
    return out


def convert(source: str | os.PathLike, target: str | os.PathLike, to: str) -> dict[str, int]:
    """Copy a dataset into ``target`` in the other layout (``to``: parquet or csv).

    The other files are copied as they are; ``target`` must not exist yet (it
    is written in a temporary folder beside it and renamed, so it appears
    complete or not at all). Returns rows written per converted file.
    """
    if to not in ("parquet", "csv"):
        raise ValueError(f"The 'to' parameter of convert must be 'parquet' or 'csv'. Got {to!r}.")
    source, target = Path(source), Path(target)
    if not source.is_dir():
        raise DataError(f"dataset folder {str(source)!r} does not exist or is not a folder")
    if to == "parquet" and any(part_folder(source, n).is_dir() for n in PARTITIONED):
        raise DataError(
            f"{str(source)!r} is already in the Parquet layout; convert it with --to csv"
        )
    if target.exists():
        raise DataError(
            f"{str(target)!r} already exists; give a new folder for the converted dataset"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise DataError(f"cannot write here: {exc.strerror}", file=str(target)) from exc
    written: dict[str, int] = {}
    try:
        for entry in sorted(source.iterdir()):
            name = entry.name
            is_part_folder = entry.is_dir() and f"{name}.csv" in PARTITIONED
            if to == "parquet" and name in PARTITIONED and entry.is_file():
                raw, info = read_csv_text(entry, name)
                write_parts(raw, part_folder(tmp, name), info["renamed"])
                written[name] = len(raw)
            elif to == "csv" and is_part_folder:
                frames = [frame for frame, _ in read_parts(source, f"{name}.csv")]
                raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
                if len(raw.columns):
                    _csv_cells(raw).to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
                written[f"{name}.csv"] = len(raw)
            elif entry.is_file() and not name.startswith("."):
                # a link stays a link: its target's content is never copied in
                shutil.copy2(entry, tmp / name, follow_symlinks=False)
            elif entry.is_dir() and not name.startswith("."):
                shutil.copytree(entry, tmp / name, symlinks=True)
        os.replace(tmp, target)
    except OSError as exc:  # a file that vanished or cannot be read: one line, nothing left
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(
            f"cannot convert: {exc.strerror or exc}",
            file=str(exc.filename) if getattr(exc, "filename", None) else None,
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written
