"""Correcting a dataset by command: set a runner's details, remove a runner.

Both edit the CSV files as text rows (the ``csv`` module, every cell a
string), so every other row stays exactly as it was, including rows that
fail validation (they stay quarantined, never lost) and columns runeco does
not know. Both hold the dataset's write lock and stage every file through a
:class:`~analysis.io.transaction.Transaction`, so a second command waits and
a power cut leaves the old files or the new ones, never a mix.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import DataError
from analysis.io.layout import refuse_partitioned
from analysis.io.transaction import Transaction, dataset_lock, recover
from analysis.io.write import DATASET_CSV_FILES
from analysis.schema import RUNNERS, SEXES, is_runner_id

RUNNER_FIELDS = {c.name: c for c in RUNNERS if c.name != "runner_id"}
"""runners.csv columns ``runeco runner set`` can change."""


def _owned(rows: list[list[str]], key: int, runner_id: str) -> list[bool]:
    """Which rows belong to ``runner_id`` (its id in column ``key``)."""
    return [len(r) > key and r[key].strip() == runner_id for r in rows]


def _runner_files(dataset: Path, runner_id: str):
    """Each dataset CSV file with a runner_id column: (name, path, header, rows,
    line ending, which rows are the runner's)."""
    for name in DATASET_CSV_FILES:
        path = dataset / name
        if not path.is_file():
            continue
        header, rows, ending = _read_rows(path)
        if "runner_id" in header:
            yield (
                name,
                path,
                header,
                rows,
                ending,
                _owned(rows, header.index("runner_id"), runner_id),
            )


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], str]:
    """Header, rows and line ending of a CSV file, all cells as text (a byte-order
    mark is remembered in the line ending's place: see :func:`_write_rows`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc
    try:
        text = raw.decode("utf-8-sig") if raw else ""
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte {exc.start}): nothing was changed", file=str(path)
        ) from None
    ending = "\r\n" if "\r\n" in text[:4096] else "\n"
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"broken CSV ({exc}): nothing was changed", file=str(path)) from None
    if not rows:
        raise DataError("empty file: no header row", file=str(path))
    if raw.startswith(b"\xef\xbb\xbf"):
        ending = "\ufeff" + ending
    return rows[0], rows[1:], ending


def _write_rows(header: list[str], rows: list[list[str]], ending: str) -> str:
    bom = ending.startswith("\ufeff")
    ending = ending.removeprefix("\ufeff")
    out = io.StringIO(newline="")
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _check_value(name: str, value: str) -> str:
    """The cell text for ``name``, or DataError saying what is allowed."""
    column = RUNNER_FIELDS[name]
    text = value.strip()
    if text == "":
        return ""  # clears the cell
    if any(ch in text for ch in "\r\n\x00"):
        raise DataError("line breaks are not allowed", column=name)
    if column.kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise DataError(f"{text!r} is not a number", column=name) from None
        if not math.isfinite(number) or (column.kind == "int" and number != int(number)):
            raise DataError(f"{text!r} is not a valid {column.kind}", column=name)
        if (column.low is not None and number < column.low) or (
            column.high is not None and number > column.high
        ):
            raise DataError(
                f"{text} is outside the plausible {column.low:g}-{column.high:g}"
                f"{' ' + column.unit if column.unit else ''}",
                column=name,
            )
        return str(int(number)) if column.kind == "int" else f"{number:g}"
    if column.kind == "category" and name == "sex" and text.upper() not in SEXES:
        raise DataError(f"{text!r} is not one of {', '.join(SEXES)}", column=name)
    if len(text) > 200:
        raise DataError("longer than 200 characters", column=name)
    return text.upper() if name == "sex" else text


@dataclass
class Change:
    column: str
    before: str
    after: str


def set_runner(dataset, runner_id: str, values: dict[str, str]) -> list[Change]:
    """Set some of a runner's runners.csv fields; returns what changed.

    ``values`` maps runners.csv column names to their new text ("" clears a
    cell). Every value is checked against the data format's range first, so
    nothing is written when one is wrong. DataError for an unknown runner, an
    unknown column or a value out of range.
    """
    dataset = Path(dataset)
    unknown = sorted(set(values) - set(RUNNER_FIELDS))
    if unknown:
        raise DataError(f"unknown runners.csv column(s): {', '.join(unknown)}")
    cells = {k: _check_value(k, v) for k, v in values.items()}
    path = dataset / "runners.csv"
    with dataset_lock(dataset):
        recover(dataset)
        header, rows, ending = _read_rows(path)
        if "runner_id" not in header:
            raise DataError("no runner_id column", file=str(path))
        key = header.index("runner_id")
        hits = [r for r, mine in zip(rows, _owned(rows, key, runner_id), strict=True) if mine]
        if not hits:
            known = sorted({r[key].strip() for r in rows if len(r) > key})
            raise DataError(
                f"runner {runner_id!r} is not in runners.csv (known: {', '.join(known[:20])}"
                f"{' ...' if len(known) > 20 else ''}); `runeco import` adds a runner",
                file=str(path),
            )
        for name in cells:
            if name not in header:
                header.append(name)
                for row in rows:
                    row.extend([""] * (len(header) - len(row)))
        changes = []
        for row in hits:
            row.extend([""] * (len(header) - len(row)))
            for name, text in cells.items():
                i = header.index(name)
                if row[i] != text:
                    changes.append(Change(name, row[i], text))
                    row[i] = text
        if changes:
            tx = Transaction(dataset)
            tx.stage_text(path, _write_rows(header, rows, ending))
            tx.commit()
    return changes


def runner_rows(dataset, runner_id: str) -> dict[str, int]:
    """How many rows of each CSV file belong to ``runner_id`` (files without any left out)."""
    counts = {}
    for name, *_, mine in _runner_files(Path(dataset), runner_id):
        if any(mine):
            counts[name] = sum(mine)
    return counts


def remove_runner(dataset, runner_id: str) -> dict[str, int]:
    """Remove a runner: their rows of every CSV file and their activity streams.

    Returns the rows removed per file (and ``activities/`` files). The CSV
    files change together in one transaction; the stream folder is removed
    after it (a cut power leaves at worst streams nobody refers to, which
    the next import of that runner would reuse). DataError for an unknown runner.
    """
    dataset = Path(dataset)
    if not is_runner_id(runner_id):
        raise DataError(f"{runner_id!r} is not a valid runner id")
    refuse_partitioned(dataset, "remove")
    with dataset_lock(dataset):
        recover(dataset)
        removed: dict[str, int] = {}
        tx = Transaction(dataset)
        for name, path, header, rows, ending, mine in _runner_files(dataset, runner_id):
            keep = [r for r, m in zip(rows, mine, strict=True) if not m]
            if len(keep) != len(rows):
                removed[name] = len(rows) - len(keep)
                tx.stage_text(path, _write_rows(header, keep, ending))
        if "runners.csv" not in removed:
            tx.abort()
            raise DataError(f"runner {runner_id!r} is not in runners.csv", file=str(dataset))
        tx.commit()
        streams = dataset / "activities" / runner_id
        if streams.is_dir() and not streams.is_symlink():
            removed["activities/"] = sum(1 for p in streams.rglob("*") if p.is_file())
            shutil.rmtree(streams)
    return removed
