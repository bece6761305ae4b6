"""The Parquet layout: runs and strength partitioned by runner, for squads that outgrow CSV.

A dataset folder may hold ``runs/`` and ``strength/`` folders of Parquet parts
instead of ``runs.csv`` and ``strength.csv``; every other file stays CSV.
Each part holds whole runners (``RUNNERS_PER_PART`` of them, in the order of
their first row) and stores the **raw cells** as the CSV had them (text,
header names after the loader's renames), the CSV line each row came from
(``line``) and any fields beyond the header (``_extra``). So
:func:`analysis.io.load_dataset` validates and quarantines a Parquet dataset
with exactly the code and the messages of a CSV one (a quarantined row still
names ``runs.csv`` and the line it had there), part by part, and a part is
never more than a few hundred runners in memory. Dask DataFrame reads the
layout directly (``dask.dataframe.read_parquet("DATASET/runs")``: every column
text, as in the CSV).

:func:`analysis.io.convert.convert` goes both ways (``runeco convert``): CSV to Parquet, and back
to CSV in line order. CSV stays the interchange format: the importers and
``runeco runner set`` / ``remove`` write CSV, and refuse a dataset in this
layout with a message to convert it back first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.errors import DataError

PARTITIONED = ("runs.csv", "strength.csv")
"""The dataset files that may be stored as a folder of Parquet parts."""

RUNNERS_PER_PART = 500
"""Runners per Parquet part: large enough for few files, small enough that a
part's raw cells are a small share of memory."""

MAX_PART_MB = 2048
"""Largest uncompressed part read (a part of 500 runners' raw cells is tens of MB)."""

_RENAMED_KEY = b"runeco.renamed"
RESERVED_COLUMNS = ("line", "_extra")


def part_folder(root: Path, name: str) -> Path:
    """``runs.csv`` -> ``ROOT/runs``."""
    return Path(root) / name.removesuffix(".csv")


def parts(root: Path, name: str) -> list[Path]:
    """The Parquet parts of ``name`` in ``root`` (empty when it is not partitioned)."""
    folder = part_folder(root, name)
    if name not in PARTITIONED or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == ".parquet" and p.is_file())


def is_partitioned(root: Path) -> bool:
    """True when any file of the dataset is stored as Parquet parts."""
    return any(part_folder(root, name).is_dir() for name in PARTITIONED)


def read_parts(root: Path, name: str) -> Iterator[tuple[pd.DataFrame, dict]]:
    """Each part of ``name`` as the loader's raw frame (text cells, ``line``,
    ``_extra``) with ``{"renamed": ...}``; a part that cannot be read is one
    DataError naming it."""
    for path in parts(root, name):
        yield read_part(path, name)


def part_runner_ids(path: Path, name: str) -> set[str]:
    """The runner ids (stripped) in one part, from its ``runner_id`` column alone."""
    label = f"{part_folder(Path(''), name).name}/{path.name}"
    try:
        column = pq.read_table(path, columns=["runner_id"]).column("runner_id")
        text = column.cast(pa.string()).fill_null("").to_pylist()
    except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
        raise DataError(
            f"cannot read this Parquet part ({exc}); convert the CSV files again "
            "with `runeco convert`",
            file=label,
        ) from None
    return {value.strip(" \t\r\n\f\v") for value in text}


def read_part(path: Path, name: str) -> tuple[pd.DataFrame, dict]:
    """One part of ``name`` as the loader's raw frame (:func:`read_parts`)."""
    label = f"{part_folder(Path(''), name).name}/{path.name}"
    try:
        meta = pq.ParquetFile(path).metadata
        size = sum(meta.row_group(k).total_byte_size for k in range(meta.num_row_groups))
        if size > MAX_PART_MB * 1024 * 1024:  # a small file may unpack to gigabytes
            raise DataError(
                f"unpacks to {size / 2**20:,.0f} MB, more than a part of "
                f"{RUNNERS_PER_PART} runners can hold ({MAX_PART_MB} MB); "
                "convert the CSV files again with `runeco convert`",
                file=label,
            )
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise DataError(
            f"cannot read this Parquet part ({exc}); convert the CSV files again "
            "with `runeco convert`",
            file=label,
        ) from None
    missing = [c for c in RESERVED_COLUMNS if c not in table.column_names]
    if missing:
        raise DataError(
            f"is not a runeco part: no {', '.join(missing)} column; write parts with "
            "`runeco convert`",
            file=label,
        )
    renamed = {}
    meta = table.schema.metadata or {}
    if _RENAMED_KEY in meta:
        try:
            renamed = dict(json.loads(meta[_RENAMED_KEY]))
        except (ValueError, TypeError):
            renamed = {}
    cells = {}
    for column in table.column_names:
        values = table.column(column)
        if column == "line":
            try:
                cells[column] = values.cast(pa.int64()).to_numpy()
            except (pa.ArrowException, ValueError) as exc:
                raise DataError(
                    f"its line column is not whole numbers ({exc})", file=label
                ) from None
        else:
            try:  # the raw cells are text; a part written by other means may not be
                text = values.cast(pa.string()).fill_null("")
            except (pa.ArrowException, ValueError):
                raise DataError(
                    f"column {column!r} holds {values.type}, not text cells; write parts "
                    "with `runeco convert`",
                    file=label,
                ) from None
            cells[column] = pd.Series(text, dtype="str")
    return pd.DataFrame(cells), {"renamed": renamed}


def write_parts(raw: pd.DataFrame, folder: Path, renamed: dict) -> int:
    """Write a raw frame (:func:`analysis.io.load.read_csv_text`) as parts of
    whole runners into ``folder`` (created); return the number of parts."""
    folder.mkdir(parents=True, exist_ok=True)
    runner = raw["runner_id"].str.strip() if "runner_id" in raw else pd.Series("", index=raw.index)
    codes, _ = pd.factorize(runner.to_numpy())
    part_of = codes // RUNNERS_PER_PART
    n_parts = int(part_of.max()) + 1 if len(raw) else 1
    metadata = {_RENAMED_KEY: json.dumps(renamed).encode()}
    for k in range(n_parts):
        rows = raw.loc[part_of == k] if len(raw) else raw
        table = pa.Table.from_pandas(rows.reset_index(drop=True), preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        pq.write_table(table, folder / f"part-{k:05d}.parquet")
    return n_parts


def refuse_partitioned(root: str | Path, action: str) -> None:
    """Writers of CSV rows (import, runner set, remove) stop on a Parquet dataset."""
    root = Path(root)
    if root.is_dir() and is_partitioned(root):
        raise DataError(
            f"{str(root)!r} is in the Parquet layout (runs/, strength/); {action} writes CSV: "
            f"convert it back first with `runeco convert {root} NEW_FOLDER --to csv`"
        )
