"""Read a canonical dataset folder into typed frames, quarantining bad rows.

:func:`load_dataset` is the one call that turns a dataset folder
(``DATA_FORMAT.md``) into a :class:`~analysis.io.dataset.Dataset`.

Two kinds of problem are told apart:

* **File-level** problems stop the load with a :class:`DataError` that names
  the file, line and column and says how to fix it: a missing folder, file or
  required column, a file that is not UTF-8, an empty file, broken CSV quoting,
  an invalid or duplicated ``runner_id`` in ``runners.csv``.
* **Row-level** problems never stop the load and are never silent: the row is
  left out of its typed frame and one quarantine row per problem records the
  file, line, column, raw value, a short reason, a stable ``code`` (see
  :data:`analysis.schema.QUARANTINE_CODES`) and the row's runner id.

Parsing rules (all vectorised; each cell is read as text and parsed here, so
``NA``, ``null`` or ``--`` are *not* missing values: only an empty or blank
cell is):

* Numbers: anything :func:`pandas.to_numeric` reads (``10``, ``10.5``,
  ``1e3``); a decimal comma or a unit suffix is unparseable.
* Dates: ISO 8601, ``2026-03-02``, ``2026-03-02T07:15:00`` (or with a space,
  seconds optional, fraction allowed) and the same with an offset
  (``+01:00``, ``+0100``, ``+01``, ``Z``). **An offset is dropped, keeping the
  local wall-clock time**: ``2026-03-02T07:15:00+01:00`` loads as 07:15, the
  time on the runner's watch, which is what weekly grouping and
  morning/evening questions need (``Z`` keeps the UTC clock time, since the
  local zone is unknown). Years outside 1900-2100 are rejected. ``date``
  columns of ``blocks.csv`` and ``lab_tests.csv`` keep the day only.
* ``runs.csv`` may give ``duration`` as ``H:MM:SS`` or ``MM:SS`` instead of
  (or beside) ``duration_s``; ``duration_s`` wins where both are filled.
* An empty ``run_type`` is ``other``; strength ``sets`` defaults to 1;
  lab ``grade_pct`` defaults to 0.
* A row whose cells are all blank is a blank line, not data, and is skipped
  (the count is in ``Dataset.meta``). A row with more non-empty fields than
  the header is quarantined (``malformed_row``); a shorter row is padded
  with empty cells.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.errors import DataError
from analysis.io import layout
from analysis.io.dataset import Dataset
from analysis.io.settings import load_settings
from analysis.schema import (
    BLOCKS,
    EXERCISE_CATEGORIES,
    EXERCISES,
    FILES,
    LAB_TESTS,
    MAX_EXERCISE_NAME_CHARS,
    MAX_PACE_S_PER_KM,
    MIN_PACE_S_PER_KM,
    QUARANTINE_COLUMNS,
    RUNNER_ID_PATTERN,
    RUNNERS,
    RUNS,
    STRENGTH,
    WELLNESS,
    Column,
)
from analysis.strength import categorise_strength, normalise_exercise_name

__all__ = ["load_dataset", "read_csv_text"]

MIN_YEAR = 1900
MAX_YEAR = 2100

_RESERVED = ("line",)
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_OFFSET_RE = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
    r" *(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)
# the same without groups (and no \s: both make pandas fall back to slow Python regex)
_HAS_OFFSET_RE = (
    r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)? *(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)
_DURATION_RE = r"^(?:([0-9]+):)?([0-9]+):([0-9]{2}(?:\.[0-9]+)?)$"
_UNITS = {"degC": "°C"}
_WS = " \t\r\n\f\v"  # what counts as blank around a cell (the same in every code path)
_MISSING_MARKERS = ("na", "n/a", "nan", "null", "none", "-", "--", "?", "missing")
_ORDER = tuple(FILES)


# --------------------------------------------------------------------------- CSV


def read_csv_text(path: Path, name: str) -> tuple[pd.DataFrame, dict]:
    """Read one CSV file as text cells with their line numbers.

    Parameters
    ----------
    path : Path
        The CSV file.
    name : str
        Its name in messages (``runs.csv``).

    Returns
    -------
    frame : DataFrame
        One ``str`` column per header field (names stripped; an empty name
        becomes ``unnamed_<position>``; a repeated unknown name, or ``line``,
        gets ``.1``, ``.2``), cells as written (an empty or absent cell is
        ``""``; spaces after a comma are skipped), plus ``line`` (int64, the
        1-based line where the row starts) and ``_extra`` (non-empty fields
        beyond the header's width joined by commas, ``""`` for a well-formed
        row). Rows whose cells are all blank are dropped.
    info : dict
        ``header_line``, ``blank_rows`` and ``renamed`` (header field ->
        column name, for renamed fields).

    Raises
    ------
    DataError
        Unreadable file, not UTF-8, NUL characters, empty file, broken
        quoting, or a canonical column named twice.

    Notes
    -----
    A file without any ``"`` (and without bare carriage returns) has one
    record per line and is split with Arrow string kernels; any other file
    goes through the :mod:`csv` module, with line numbers counted from the
    line breaks inside quoted fields. Both give the same frame.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read the file ({exc.strerror or exc}); check that it is a readable file",
            file=name,
        ) from exc
    text = _decode(data, name)
    del data  # a federation's runs.csv: the bytes and the text need not both stay
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(
            "contains a NUL character, so it is not a text CSV (a spreadsheet saved "
            "under a .csv name?); export it as 'CSV UTF-8'",
            file=name,
            line=line,
        )
    plain = '"' not in text and text.count("\r") == text.count("\r\n")
    tokens = _tokens_plain(text) if plain else _tokens_csv(text, name)
    del text
    if tokens is None:
        raise DataError(
            "is empty: there is no header row; the first line must name the columns "
            "(see DATA_FORMAT.md)",
            file=name,
            line=1,
        )
    fields, header_line, columns, extra, lines = tokens
    header, renamed = _header_names(fields, name, header_line)
    n_rows = len(lines)
    cells = {}
    for j, col in enumerate(header):
        cells[col] = columns[j] if j < len(columns) else pd.Series([""] * n_rows, dtype="str")
    frame = pd.DataFrame(cells, index=pd.RangeIndex(n_rows))
    frame["line"] = lines.astype(np.int64)
    frame["_extra"] = pd.Series(extra, dtype="str")
    blank = (frame["_extra"] == "").to_numpy(dtype=bool, copy=True)
    for col in header:
        blank &= (frame[col].str.strip(_WS) == "").to_numpy(dtype=bool)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
    info = {"header_line": header_line, "blank_rows": int(blank.sum()), "renamed": renamed}
    return frame, info


_BLOCK_CHARS = 4 << 20
"""Characters of a quote-free file tokenised at a time: the transient memory of
reading a large runs.csv is a block's, not the file's (5,000 runners: 460 -> ~XX MB)."""


def _tokens_plain(text: str):
    """Split a file without quotes: one record per line (Arrow kernels, no row loop).

    The body is split in blocks of about ``_BLOCK_CHARS`` characters, ending
    at line breaks, so the Arrow intermediates of a large file never exist at
    once; the columns are concatenated at the end.
    """
    start, header_line, end = 0, 1, -1
    while start < len(text):  # the header: the first line with a non-blank cell
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].replace(",", "").strip(_WS):
            break
        start, header_line = end + 1, header_line + 1
    else:
        return None
    fields = [f.lstrip(" ") for f in text[start:end].rstrip("\r").split(",")]
    n_cols = len(fields)
    parts: list[list[pa.Array]] = [[] for _ in range(n_cols)]
    extras, lines = [], []
    first_line = header_line + 1
    pos = end + 1
    while pos < len(text):
        stop = text.find("\n", min(pos + _BLOCK_CHARS, len(text)) - 1)
        stop = len(text) if stop < 0 else stop + 1
        block = text[pos:stop]
        n = _tokens_block(block, n_cols, parts, extras)
        lines.append(first_line + np.arange(n, dtype=np.int64))
        first_line += n
        pos = stop
    columns = [
        pd.Series(pa.concat_arrays(p) if p else pa.array([], pa.string()), dtype="str")
        for p in parts
    ]
    extra = np.concatenate(extras) if extras else np.array([], dtype=object)
    body_lines = np.concatenate(lines) if lines else np.array([], dtype=np.int64)
    return fields, header_line, columns, extra, body_lines


def _tokens_block(block: str, n_cols: int, parts: list, extras: list) -> int:
    """Tokenise whole lines of a quote-free file into ``parts`` (one list of
    Arrow arrays per column) and ``extras``; return the number of lines."""
    lines = pc.split_pattern(pa.array([block], pa.string()), "\n").values
    if len(lines) and block.endswith("\n"):
        lines = lines[:-1]  # the empty piece after the last line break
    rows = pc.split_pattern(pc.utf8_rtrim(lines, characters="\r"), ",")
    offsets = rows.offsets.to_numpy()
    counts = np.diff(offsets)
    flat = pc.utf8_ltrim(rows.values, characters=" ")
    n = len(lines)
    for j in range(n_cols):
        has = counts > j
        index = pa.array(offsets[:-1] + j, mask=~has)
        parts[j].append(pc.take(flat, index).fill_null(""))
    extra = np.full(n, "", dtype=object)
    for r in np.flatnonzero(counts > n_cols):  # malformed rows only, usually none
        tail = flat[offsets[r] + n_cols : offsets[r + 1]].to_pylist()
        if any(f.strip(_WS) for f in tail):
            extra[r] = ",".join(tail)
    extras.append(extra)
    return n


def _tokens_csv(text: str, name: str):
    """Split any CSV with the csv module; rows may span lines inside quotes."""
    records = _parse_records(text, name)
    h = next((i for i, r in enumerate(records) if any(f.strip(_WS) for f in r)), None)
    if h is None:
        return None
    header_line = 1 + sum(_span(r) for r in records[:h])
    fields = records[h]
    n_cols = len(fields)
    body = records[h + 1 :]
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    extra = np.full(len(body), "", dtype=object)
    spans = np.ones(len(body), dtype=np.int64)
    for i in np.flatnonzero(lengths > n_cols):  # malformed rows only, usually none
        tail = body[i][n_cols:]
        spans[i] += sum(_breaks(f) for f in tail)
        if any(f.strip(_WS) for f in tail):
            extra[i] = ",".join(tail)
        body[i] = body[i][:n_cols]
    transposed = list(itertools.zip_longest(*body, fillvalue="")) if body else []
    columns = []
    for j in range(n_cols):
        values = transposed[j] if j < len(transposed) else ("",) * len(body)
        column = pd.Series(np.asarray(values, dtype=object), dtype="str")
        spans += column.str.count(r"\r\n|\r|\n").to_numpy(dtype=np.int64)
        columns.append(column)
    first = header_line + _span(fields)
    lines = first + np.concatenate(([0], np.cumsum(spans)[:-1])) if len(body) else spans
    return fields, header_line, columns, extra, lines


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            "is UTF-16 encoded, not UTF-8; save it as 'CSV UTF-8 (comma delimited)'",
            file=name,
            line=1,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"is not UTF-8: byte 0x{data[exc.start]:02X} cannot be decoded (a Latin-1 or "
            "Windows-1252 file?); save it as 'CSV UTF-8' or convert it with "
            "`iconv -f cp1252 -t utf-8`",
            file=name,
            line=line,
        ) from None


def _parse_records(text: str, name: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    try:
        return list(reader)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            # an unclosed quote runs to the end of the file; find where it opened
            loose = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))
            lines_before = sum(_span(r) for r in loose[:-1])
            raise DataError(
                "unbalanced quotes: a quoted field opened on this line is never closed; "
                'close it with " or remove the stray quote',
                file=name,
                line=lines_before + 1,
            ) from None
        raise DataError(
            f"is not valid CSV ({exc}); a quoted field must be followed by a comma or "
            'the end of the line, and a " inside quotes is written ""',
            file=name,
            line=reader.line_num,
        ) from None


def _breaks(field: str) -> int:
    return field.count("\r\n") + field.count("\r") + field.count("\n") - 2 * field.count("\r\n")


def _span(record: list[str]) -> int:
    return 1 + sum(_breaks(f) for f in record)


def _header_names(raw: list[str], name: str, line: int) -> tuple[list[str], dict]:
    canonical = {c.name for c in FILES[name][0]} if name in FILES else set()
    names: list[str] = []
    renamed: dict[str, str] = {}
    seen: dict[str, int] = {}
    for pos, field in enumerate(raw, start=1):
        col = field.strip(_WS) or f"unnamed_{pos}"
        if col in seen and col in canonical:
            raise DataError(
                f"column {col!r} appears twice in the header (fields {seen[col]} and {pos}); "
                "remove or rename one of them",
                file=name,
                line=line,
                column=col,
            )
        new = col
        k = 0
        while new in seen or new in _RESERVED or new == "_extra":
            k += 1
            new = f"{col}.{k}"
        if new != col:
            renamed[f"{col} (field {pos})"] = new
        seen[new] = pos
        names.append(new)
    return names, renamed


# ---------------------------------------------------------------------- checking


def _col(schema: tuple[Column, ...], name: str) -> Column:
    return next(c for c in schema if c.name == name)


def _unit(column: Column) -> str:
    unit = _UNITS.get(column.unit, column.unit)
    return f" {unit}" if unit else ""


def _short(values: pd.Series) -> pd.Series:
    """Values as shown in reasons: text, one line, at most 40 characters."""
    flat = values.astype("str").fillna("").str.replace(r"[\r\n]+", " ", regex=True)
    return flat.where(flat.str.len() <= 40, flat.str.slice(0, 39) + "…")


def _to_float(txt: pd.Series, empty: np.ndarray) -> pd.Series:
    """Parse stripped text as float64; NaN where empty or not a number.

    Arrow's cast is ~10x faster than :func:`pandas.to_numeric` and reads the
    same numbers; it refuses the whole column on one bad cell, so a column with
    a bad cell goes through ``to_numeric(errors="coerce")``.
    """
    cells = txt.where(~empty)
    try:
        values = pc.cast(pa.array(cells), pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(values, index=txt.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(cells, errors="coerce").astype("float64")


def _join(parts: list, mask: np.ndarray) -> np.ndarray:
    """Concatenate reason parts for the rows in ``mask`` only (cheap when few are bad)."""
    out = pd.Series([""] * int(mask.sum()), dtype="str")
    for part in parts:
        if isinstance(part, str):
            out = out + part
        else:
            sub = pd.Series(np.asarray(part.to_numpy(dtype=object))[mask])
            out = out + _short(sub).to_numpy(dtype=object)
    return out.to_numpy(dtype=object)


class _Checker:
    """Collects the quarantine rows of one file; ``bad`` marks the rows to drop."""

    def __init__(self, name: str, raw: pd.DataFrame):
        self.name = name
        self.raw = raw
        self.n = len(raw)
        self.bad = np.zeros(self.n, dtype=bool)
        self.parts: list[pd.DataFrame] = []
        self.runner = self.text("runner_id")
        self.malformed = (raw["_extra"] != "").to_numpy(dtype=bool)
        width = len(raw.columns) - 2
        self.flag(
            self.malformed,
            "",
            raw["_extra"],
            f"row has more fields than the {width} columns of the header; "
            "quote text that contains commas",
            "malformed_row",
            force=True,
        )

    def text(self, col: str) -> pd.Series:
        """The stripped cells of a column (``""`` for every row when absent)."""
        if col in self.raw:
            return self.raw[col].str.strip(_WS)
        return pd.Series([""] * self.n, index=self.raw.index, dtype="str")

    def flag(self, mask, column: str, value, reason, code: str, *, force: bool = False) -> None:
        """Quarantine the rows in ``mask`` (a malformed row gets no further reasons)."""
        mask = np.asarray(mask, dtype=bool)
        if not force:
            mask = mask & ~self.malformed
        if not mask.any():
            return
        if not isinstance(reason, str):
            reason = _join(reason, mask)
        if isinstance(value, pd.Series):
            value = value.to_numpy(dtype=object)[mask]
        if isinstance(column, pd.Series):
            column = column.to_numpy(dtype=object)[mask]
        part = pd.DataFrame(
            {
                "file": self.name,
                "line": self.raw["line"].to_numpy()[mask],
                "column": column,
                "value": value,
                "reason": reason,
                "runner_id": self.runner.to_numpy(dtype=object)[mask],
                "code": code,
            }
        )
        self.parts.append(part)
        self.bad |= mask

    def required(self, column: Column, txt: pd.Series) -> np.ndarray:
        empty = (txt == "").to_numpy(dtype=bool)
        if column.required:
            self.flag(empty, column.name, txt, f"{column.name} is missing", "missing_required")
        return empty

    def number(self, column: Column, txt: pd.Series | None = None) -> pd.Series:
        """Float values; NaN where missing or rejected (rejected rows are flagged)."""
        name = column.name
        txt = self.text(name) if txt is None else txt
        empty = self.required(column, txt)
        num = _to_float(txt, empty)
        values = num.to_numpy()
        ok = np.isfinite(values)
        shown = [f"{name} ", txt]
        bad = ~empty & ~ok
        if bad.any():
            marker = txt.str.lower().isin(_MISSING_MARKERS).to_numpy(dtype=bool)
            tail = " is not a number (leave the cell empty for a missing value)"
            self.flag(bad & marker, name, txt, [*shown, tail], "unparseable")
            tail = " is not a number (use a plain number such as 10.5)"
            self.flag(bad & ~marker, name, txt, [*shown, tail], "unparseable")
        if column.kind == "int":
            whole = np.floor(np.where(ok, values, 0.0)) == np.where(ok, values, 0.0)
            self.flag(ok & ~whole, name, txt, [*shown, " is not a whole number"], "unparseable")
            ok &= whole
        ok &= self.in_range(column, values, ok, shown, txt)
        return num.where(ok)

    def in_range(self, column, values, ok, shown, raw, *, flag_column=None) -> np.ndarray:
        """Flag finite values outside the column's bounds; return the in-range mask."""
        where = flag_column or column.name
        unit = _unit(column)
        out = np.zeros(self.n, dtype=bool)
        v = np.where(ok, values, 0.0)
        if column.positive:
            low = ok & (v <= 0)
            self.flag(low, where, raw, [*shown, " must be > 0"], "out_of_range")
            out |= low
        if column.low is not None and column.high is not None:
            outside = ok & ((v < column.low) | (v > column.high))
            sep = " to " if column.low < 0 else "-"
            reason = f" is outside {column.low:g}{sep}{column.high:g}{unit}"
        elif column.high is not None:
            outside = ok & ~out & (v > column.high)
            reason = f" is above the limit of {column.high:g}{unit}"
        elif column.low is not None:
            outside = ok & (v < column.low)
            reason = f" is below the limit of {column.low:g}{unit}"
        else:
            outside = np.zeros(self.n, dtype=bool)
            reason = ""
        self.flag(outside, where, raw, [*shown, reason], "out_of_range")
        return ~(out | outside)

    def datetime(self, column: Column) -> tuple[pd.Series, np.ndarray]:
        """Naive wall-clock datetimes (any offset dropped) and a has-time-of-day flag."""
        name = column.name
        txt = self.text(name)
        empty = self.required(column, txt)
        wall = txt
        offset = txt.str.contains(_HAS_OFFSET_RE).to_numpy(dtype=bool)
        if offset.any():  # Python-regex speed, so only on the cells that have an offset
            wall = txt.copy()
            wall[offset] = txt[offset].str.replace(_OFFSET_RE, r"\1", regex=True)
        shaped = wall.str.fullmatch(_DATE_RE).to_numpy(dtype=bool)
        parsed = pd.to_datetime(wall.where(shaped), format="ISO8601", errors="coerce")
        parsed = pd.Series(parsed, index=txt.index).astype("datetime64[us]")
        valid = parsed.notna().to_numpy(dtype=bool)
        shown = [f"{name} ", txt]
        self.flag(
            ~empty & ~shaped,
            name,
            txt,
            [*shown, " is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"],
            "bad_date",
        )
        self.flag(shaped & ~valid, name, txt, [*shown, " is not a real date or time"], "bad_date")
        years = parsed.dt.year.to_numpy(dtype="float64", na_value=np.nan)
        out = valid & ((np.nan_to_num(years) < MIN_YEAR) | (np.nan_to_num(years) > MAX_YEAR))
        self.flag(
            out, name, txt, [*shown, f" is outside the years {MIN_YEAR}-{MAX_YEAR}"], "bad_date"
        )
        result = parsed.where(valid & ~out).astype("datetime64[ns]")
        if column.kind == "date":
            result = result.dt.normalize()
        has_time = (wall.str.len() > 10).to_numpy(dtype=bool)
        return result, has_time

    def category(self, column: Column, *, default: str | None = None, upper: bool = False):
        """A categorical with the schema's categories; other values are flagged."""
        name = column.name
        txt = self.text(name)
        norm = txt.str.upper() if upper else txt.str.lower()
        empty = (txt == "").to_numpy(dtype=bool)
        if default is not None:
            norm = norm.where(~empty, default)
        known = norm.isin(column.categories).to_numpy(dtype=bool)
        allowed = ", ".join(column.categories)
        bad = ~empty & ~known
        self.flag(bad, name, txt, [f"{name} ", txt, f" is not one of {allowed}"], "bad_category")
        values = norm.where(known).astype(object)
        return pd.Series(pd.Categorical(values, categories=column.categories), index=txt.index)

    def runner_known(self, runners: pd.DataFrame, runner_quarantine: pd.DataFrame) -> None:
        """Flag rows whose runner_id is empty or not a (kept) row of runners.csv."""
        rid = self.runner
        empty = (rid == "").to_numpy(dtype=bool)
        self.flag(empty, "runner_id", rid, "runner_id is missing", "missing_required")
        unknown = ~empty & ~rid.isin(runners["runner_id"]).to_numpy(dtype=bool)
        if not unknown.any():
            return
        dropped = np.zeros(self.n, dtype=bool)
        if len(runner_quarantine):
            first = runner_quarantine.drop_duplicates("runner_id").set_index("runner_id")["line"]
            was = rid.map(first).astype("Int64")
            dropped = was.notna().to_numpy(dtype=bool)
            reason = ["runner_id ", rid, " was quarantined in runners.csv (line ", was, ")"]
            self.flag(unknown & dropped, "runner_id", rid, reason, "unknown_runner")
        reason = ["runner_id ", rid, " is not in runners.csv"]
        self.flag(unknown & ~dropped, "runner_id", rid, reason, "unknown_runner")

    def quarantine(self) -> pd.DataFrame:
        if not self.parts:
            return _empty_quarantine()
        return pd.concat(self.parts, ignore_index=True)


def _empty_quarantine() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in QUARANTINE_COLUMNS})
    frame["line"] = frame["line"].astype("int64")
    return frame


def _parse_columns(chk: _Checker, schema: tuple[Column, ...], skip=()) -> dict[str, pd.Series]:
    """Parse numbers, dates and text by kind (``id`` and category columns: the caller)."""
    out: dict[str, pd.Series] = {}
    for column in schema:
        if column.name in skip or column.kind in ("id", "category"):
            continue
        if column.kind in ("float", "int"):
            out[column.name] = chk.number(column)
        elif column.kind in ("datetime", "date"):
            out[column.name] = chk.datetime(column)[0]
        else:
            txt = chk.text(column.name)
            chk.required(column, txt)
            out[column.name] = txt.where(txt != "")
    return out


def _typed(chk: _Checker, schema: tuple[Column, ...], values: dict[str, pd.Series]) -> pd.DataFrame:
    """The kept rows: canonical columns in schema order, derived, unknown, then ``line``."""
    ordered = {c.name: values[c.name] for c in schema}
    ordered.update({k: v for k, v in values.items() if k not in ordered})
    for col in chk.raw.columns:
        if col in ordered or col in ("line", "_extra"):
            continue
        raw = chk.raw[col]
        ordered[col] = raw.where(raw.str.strip(_WS) != "")
    ordered["line"] = chk.raw["line"]
    frame = pd.DataFrame(ordered, index=chk.raw.index)
    return frame.loc[~chk.bad].reset_index(drop=True)


# ------------------------------------------------------------------------- files


def _runners(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = "runners.csv"
    chk = _Checker(name, raw)
    rid = chk.runner
    empty = (rid == "").to_numpy(dtype=bool)
    chk.flag(empty, "runner_id", rid, "runner_id is missing", "missing_required")
    lines = raw["line"].to_numpy()
    candidates = ~empty & ~chk.malformed
    invalid = candidates & ~rid.str.fullmatch(RUNNER_ID_PATTERN).to_numpy(dtype=bool)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise DataError(
            f"runner_id {rid.iloc[i]!r} is not a valid id: use 1-64 letters, digits, '_' "
            "or '-', starting with a letter or digit (ids are used in file names)",
            file=name,
            line=int(lines[i]),
            column="runner_id",
        )
    dup = candidates & rid.duplicated(keep=False).to_numpy(dtype=bool)
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = np.flatnonzero(dup & (rid == rid.iloc[first]).to_numpy(dtype=bool))
        raise DataError(
            f"runner_id {rid.iloc[first]!r} appears on lines {lines[same[0]]} and "
            f"{lines[same[1]]}; each runner needs exactly one row (merge or rename them)",
            file=name,
            line=int(lines[same[1]]),
            column="runner_id",
        )
    values = _parse_columns(chk, RUNNERS)
    values["runner_id"] = rid.where(~empty)
    values["sex"] = chk.category(_col(RUNNERS, "sex"), upper=True)
    values["birth_year"] = values["birth_year"].astype("Int64")
    return _typed(chk, RUNNERS, values), chk.quarantine()


def _parse_duration(chk: _Checker) -> pd.Series:
    """Seconds from ``duration_s`` or, where that is empty, ``duration`` (H:MM:SS)."""
    column = _col(RUNS, "duration_s")
    secs_txt = chk.text("duration_s")
    clock_txt = chk.text("duration")
    use_clock = ((secs_txt == "") & (clock_txt != "")).to_numpy(dtype=bool)
    missing = ((secs_txt == "") & (clock_txt == "")).to_numpy(dtype=bool)
    chk.flag(
        missing,
        "duration_s",
        secs_txt,
        "duration_s is missing (give seconds, or duration as H:MM:SS)",
        "missing_required",
    )
    optional = Column(
        column.name, column.kind, False, column.low, column.high, column.positive, unit=column.unit
    )
    secs = chk.number(optional, secs_txt)
    if not use_clock.any():
        return secs

    parts = clock_txt.where(use_clock, "").str.extract(_DURATION_RE)
    h = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    s = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    hours_given = np.isfinite(h)
    shaped = np.isfinite(m) & (np.nan_to_num(s, nan=99) < 60)
    shaped &= ~hours_given | (np.nan_to_num(m, nan=99) < 60)
    chk.flag(
        use_clock & ~shaped,
        "duration",
        clock_txt,
        ["duration ", clock_txt, " is not a time like 1:02:03 (H:MM:SS) or 45:10 (MM:SS)"],
        "unparseable",
    )
    clock = np.nan_to_num(h) * 3600 + m * 60 + s
    ok = use_clock & shaped
    ok &= chk.in_range(
        optional, clock, ok, ["duration ", clock_txt], clock_txt, flag_column="duration"
    )
    return secs.where(~use_clock, pd.Series(np.where(ok, clock, np.nan), index=secs.index))


def _clock(seconds: np.ndarray) -> pd.Series:
    # an infinite pace (a distance so small that duration / distance overflows) is
    # shown at the cap like any other absurd pace, not as 0:00; NaN is never shown
    whole = np.round(np.clip(np.nan_to_num(seconds), 0.0, 1e15)).astype(np.int64)
    minutes = pd.Series(whole // 60).astype("str")
    return minutes + ":" + pd.Series(whole % 60).astype("str").str.zfill(2)


def _check_pace(chk: _Checker, distance_km: pd.Series, duration_s: pd.Series) -> None:
    dist = distance_km.to_numpy()
    dur = duration_s.to_numpy()
    ok = np.isfinite(dist) & np.isfinite(dur) & (dist > 0)
    with np.errstate(over="ignore"):  # a subnormal distance: an infinite pace, shown capped
        pace = np.where(ok, dur / np.where(ok, dist, 1.0), np.nan)
    fast = ok & (pace < MIN_PACE_S_PER_KM)
    slow = ok & (pace > MAX_PACE_S_PER_KM)
    if not (fast | slow).any():
        return
    secs_txt = chk.text("duration_s")
    from_clock = secs_txt == ""
    column = pd.Series("duration_s", index=chk.raw.index, dtype="str").where(
        ~from_clock, "duration"
    )
    value = secs_txt.where(~from_clock, chk.text("duration"))
    shown = ["pace ", _clock(pace), "/km (distance_km ", chk.text("distance_km"), ", "]
    shown += [column, " ", value, ") is "]
    for mask, word, limit in (
        (fast, "faster", MIN_PACE_S_PER_KM),
        (slow, "slower", MAX_PACE_S_PER_KM),
    ):
        limit_text = _clock(np.array([limit])).iloc[0]
        reason = [*shown, f"{word} than {limit_text}/km"]
        chk.flag(mask, column, value, reason, "pace_implausible")


def _runs(raw: pd.DataFrame, runners: pd.DataFrame, runner_q: pd.DataFrame):
    chk = _Checker("runs.csv", raw)
    values = _parse_columns(chk, RUNS, skip=("date", "duration_s", "run_id"))
    date, has_time = chk.datetime(_col(RUNS, "date"))
    values["date"] = date
    values["runner_id"] = chk.runner.where(chk.runner != "")
    values["duration_s"] = _parse_duration(chk)
    values["run_type"] = chk.category(_col(RUNS, "run_type"), default="other")
    chk.runner_known(runners, runner_q)
    _check_pace(chk, values["distance_km"], values["duration_s"])
    values["run_id"] = _run_ids(chk, date, has_time, values)
    typed = _typed(chk, RUNS, values)
    typed["run_id"] = typed["run_id"].astype("str")
    return typed, chk.quarantine()


def _first_lines(
    chk: _Checker, keys: pd.DataFrame, among: np.ndarray
) -> tuple[np.ndarray, pd.Series]:
    """Rows (within ``among``) repeating an earlier row's keys, and that row's line."""
    sub = keys.loc[among].assign(_line=chk.raw["line"].to_numpy()[among])
    cols = list(keys.columns)
    dup = sub.duplicated(cols, keep="first").to_numpy(dtype=bool)
    mask = np.zeros(chk.n, dtype=bool)
    first_line = pd.Series(0, index=chk.raw.index, dtype="int64")
    if dup.any():
        first = sub.groupby(cols, dropna=False, sort=False)["_line"].transform("first")
        positions = np.flatnonzero(among)[dup]
        mask[positions] = True
        first_line.iloc[positions] = first.to_numpy()[dup]
    return mask, first_line


def _run_ids(chk: _Checker, date: pd.Series, has_time: np.ndarray, values: dict) -> pd.Series:
    """Flag later duplicates of a run and return run_id (derived where empty).

    Two rows are the same run when they share the runner and the start
    datetime; when both give the date only (no time of day), also the
    distance and duration, so that two runs logged on one day are both kept.
    """
    rid = chk.runner
    date_only = ~has_time
    keys = pd.DataFrame(
        {
            "r": rid,
            "d": date,
            "t": has_time,
            "km": values["distance_km"].where(date_only),
            "s": values["duration_s"].where(date_only),
        }
    )
    mask, first_line = _first_lines(chk, keys, ~chk.bad)
    chk.flag(
        mask,
        "date",
        chk.text("date"),
        ["duplicate of line ", first_line, " (same runner_id and date)"],
        "duplicate_run",
    )

    run_id = chk.text("run_id")
    given = (run_id != "").to_numpy(dtype=bool)
    _flag_same_id(chk, run_id, given & ~chk.bad)

    base = rid + "-" + date.dt.strftime("%Y%m%dT%H%M").fillna("")
    derive = ~given & ~chk.bad
    nth = pd.Series(0, index=rid.index, dtype="int64")
    if derive.any():
        frame = pd.DataFrame({"r": rid, "b": base}).loc[derive]
        nth.loc[frame.index] = frame.groupby(["r", "b"], sort=False).cumcount().to_numpy()
    derived = base.where(nth == 0, base + "-" + (nth + 1).astype("str"))
    final = run_id.where(given, derived)
    _flag_same_id(chk, final, ~chk.bad)  # a derived id may equal an id given on another row
    return final.where(~chk.bad)


def _flag_same_id(chk: _Checker, ids: pd.Series, among: np.ndarray) -> None:
    keys = pd.DataFrame({"r": chk.runner, "id": ids})
    mask, first_line = _first_lines(chk, keys, among)
    chk.flag(
        mask,
        "run_id",
        ids,
        ["duplicate of line ", first_line, " (same run_id ", ids, ")"],
        "duplicate_run",
    )


def _categorise(kept: pd.DataFrame, raw_one_rm: pd.Series | None) -> pd.Series:
    """Categories of the kept strength rows, by :func:`analysis.strength.categorise_strength`.

    That function estimates each runner's 1RM per exercise from the log, so a
    loaded lift is ``heavy`` at >= 80 % of it (``DATA_FORMAT.md``). A
    ``one_rm_kg`` column, if the file has one, is passed on where it is a
    number.
    """
    frame = kept[["runner_id", "exercise", "load_kg"]].assign(
        exercise=kept["exercise"].fillna(""), reps=kept["reps"].astype("float64")
    )
    if raw_one_rm is not None:
        txt = raw_one_rm.str.strip(_WS)
        frame["one_rm_kg"] = _to_float(txt, (txt == "").to_numpy(dtype=bool)).to_numpy()
    return categorise_strength(frame).astype(object)


_FORMULA_START = ("=", "+", "-", "@")


def _exercises(raw: pd.DataFrame, runners: pd.DataFrame, runner_q: pd.DataFrame):
    """exercises.csv: a coach's category for an exercise, for one runner or for all.

    A row is quarantined when its category is not one of the contract's, its
    runner_id (empty = all runners) is not in runners.csv, its exercise name
    is hostile (control characters, a spreadsheet formula, longer than
    :data:`MAX_EXERCISE_NAME_CHARS`) or has no letters or digits, or it
    repeats an earlier row for the same exercise (as matched) and runner.
    The kept rows get ``exercise_key``, the name as matched
    (:func:`analysis.strength.normalise_exercise_name`).
    """
    chk = _Checker("exercises.csv", raw)
    values = _parse_columns(chk, EXERCISES)
    name = chk.text("exercise")
    spec = _col(EXERCISES, "category")
    category_txt = chk.text("category")
    chk.required(spec, category_txt)
    values["category"] = chk.category(spec)
    hostile = ~name.map(str.isprintable).to_numpy(dtype=bool)
    chk.flag(hostile, "exercise", name, "exercise holds control characters", "bad_text")
    formula = name.str.startswith(_FORMULA_START).to_numpy(dtype=bool)
    chk.flag(
        formula,
        "exercise",
        name,
        "exercise starts like a spreadsheet formula (=, +, -, @); write the name itself",
        "bad_text",
    )
    long = (name.str.len() > MAX_EXERCISE_NAME_CHARS).to_numpy(dtype=bool)
    chk.flag(
        long,
        "exercise",
        name,
        f"exercise is longer than {MAX_EXERCISE_NAME_CHARS} characters",
        "bad_text",
    )
    key = name.map(normalise_exercise_name)
    no_words = ((key == "") & (name != "")).to_numpy(dtype=bool)
    chk.flag(no_words, "exercise", name, "exercise has no letters or digits", "bad_text")
    rid = chk.runner
    values["runner_id"] = rid.where(rid != "")
    unknown = ((rid != "") & ~rid.isin(runners["runner_id"])).to_numpy(dtype=bool)
    chk.flag(
        unknown,
        "runner_id",
        rid,
        ["runner_id ", rid, " is not in runners.csv (leave it empty for every runner)"],
        "unknown_runner",
    )
    pair = key + "|" + rid
    ok = pd.Series(~chk.bad, index=raw.index)
    first_line = raw["line"].where(ok).groupby(pair.where(ok)).transform("min")
    repeat = ok & pair.where(ok).duplicated()
    first = first_line.astype("Int64").astype(str)
    reason = ["repeats line ", first, " (the same exercise and runner); keep one row"]
    chk.flag(repeat.to_numpy(dtype=bool), "exercise", name, reason, "duplicate_mapping")
    values["exercise_key"] = key
    return _typed(chk, EXERCISES, values), chk.quarantine()


def _apply_mapping(kept: pd.DataFrame, mapped: pd.Series, exercises: pd.DataFrame | None):
    """Categories from exercises.csv: a runner's own row, else an all-runners row, else ``mapped``."""
    if exercises is None or exercises.empty or kept.empty:
        return mapped
    key = kept["exercise"].fillna("").map(normalise_exercise_name)
    rid = kept["runner_id"].fillna("").astype(str)
    cat = exercises["category"].astype(object)
    mine = exercises["runner_id"].notna()
    own = pd.Series(
        cat[mine].to_numpy(),
        index=exercises.loc[mine, "runner_id"].astype(str)
        + "|"
        + exercises.loc[mine, "exercise_key"],
    )
    everyone = pd.Series(cat[~mine].to_numpy(), index=exercises.loc[~mine, "exercise_key"])
    by_runner = (rid + "|" + key).map(own)
    for_all = key.map(everyone)
    return (
        by_runner.where(by_runner.notna(), for_all)
        .where(lambda s: s.notna(), mapped)
        .astype(object)
    )


def _strength(
    raw: pd.DataFrame,
    runners: pd.DataFrame,
    runner_q: pd.DataFrame,
    exercises: pd.DataFrame | None = None,
):
    chk = _Checker("strength.csv", raw)
    values = _parse_columns(chk, STRENGTH)
    values["runner_id"] = chk.runner.where(chk.runner != "")
    values["sets"] = values["sets"].fillna(1.0)
    chk.runner_known(runners, runner_q)
    own = None
    if "category" in raw:
        spec = Column("category", "category", categories=EXERCISE_CATEGORIES)
        own = chk.category(spec).astype(object)
    for name in ("sets", "reps"):
        values[name] = values[name].where(~chk.bad).astype("Int64")
    keep = ~chk.bad
    kept = pd.DataFrame({c: values[c] for c in ("runner_id", "exercise", "load_kg", "reps")})
    one_rm = raw["one_rm_kg"].loc[keep] if "one_rm_kg" in raw else None
    mapped = _categorise(kept.loc[keep], one_rm)
    mapped = _apply_mapping(kept.loc[keep], mapped, exercises)
    if own is not None:
        own_kept = own.loc[keep]
        mapped = mapped.where(own_kept.isna(), own_kept)
    typed = _typed(chk, STRENGTH, values)
    category = pd.Categorical(mapped.to_numpy(dtype=object), categories=EXERCISE_CATEGORIES)
    typed = typed.drop(columns="category", errors="ignore")
    typed.insert(len(STRENGTH), "category", category)
    return typed, chk.quarantine()


def _blocks(raw: pd.DataFrame, runners: pd.DataFrame, runner_q: pd.DataFrame):
    chk = _Checker("blocks.csv", raw)
    values = _parse_columns(chk, BLOCKS)
    values["runner_id"] = chk.runner.where(chk.runner != "")
    chk.runner_known(runners, runner_q)
    start_txt, end_txt = chk.text("block_start"), chk.text("block_end")
    before = (values["block_end"] < values["block_start"]).to_numpy(dtype=bool)
    chk.flag(
        before,
        "block_end",
        end_txt,
        ["block_end ", end_txt, " is before block_start ", start_txt],
        "bad_date",
    )
    return _typed(chk, BLOCKS, values), chk.quarantine()


def _lab_tests(raw: pd.DataFrame, runners: pd.DataFrame, runner_q: pd.DataFrame):
    chk = _Checker("lab_tests.csv", raw)
    values = _parse_columns(chk, LAB_TESTS)
    values["runner_id"] = chk.runner.where(chk.runner != "")
    values["grade_pct"] = values["grade_pct"].fillna(0.0)
    chk.runner_known(runners, runner_q)
    return _typed(chk, LAB_TESTS, values), chk.quarantine()


def _wellness(raw: pd.DataFrame, runners: pd.DataFrame, runner_q: pd.DataFrame):
    chk = _Checker("wellness.csv", raw)
    values = _parse_columns(chk, WELLNESS)
    values["runner_id"] = chk.runner.where(chk.runner != "")
    chk.runner_known(runners, runner_q)
    return _typed(chk, WELLNESS, values), chk.quarantine()


# -------------------------------------------------------------------------- main


def _empty_raw(schema: tuple[Column, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({c.name: pd.Series([], dtype="str") for c in schema})
    frame["line"] = pd.Series([], dtype="int64")
    frame["_extra"] = pd.Series([], dtype="str")
    return frame


def _check_columns(frame: pd.DataFrame, name: str, schema, header_line: int) -> None:
    found = [c for c in frame.columns if c not in ("line", "_extra")]
    for column in schema:
        if not column.required or column.name in frame:
            continue
        if name == "runs.csv" and column.name == "duration_s" and "duration" in frame:
            continue
        alt = " (or duration as H:MM:SS)" if column.name == "duration_s" else ""
        raise DataError(
            f"missing required column {column.name!r}{alt}; found columns: "
            f"{', '.join(found) if found else '(none)'}. Add the column or rename the "
            "matching one (see DATA_FORMAT.md)",
            file=name,
            line=header_line,
            column=column.name,
        )


CHUNK_ROWS = 100_000
"""Rows of a file validated at a time (whole runners per chunk): the transient
memory of validating a federation's runs.csv is a chunk's, not the file's."""


def _by_runner_chunks(validate, raw: pd.DataFrame, runners, runner_q, size: int | None = None):
    """``validate(raw, runners, runner_q)`` on chunks of whole runners, merged.

    Every check that looks across rows (duplicate runs, the same run_id, a
    runner's 1RM estimated from its log) looks within one runner, so
    validating the runners of a file chunk by chunk finds exactly what
    validating it at once finds; the kept rows are put back in file order.
    """
    size = size or CHUNK_ROWS
    if len(raw) <= size:
        return validate(raw, runners, runner_q)
    ids = raw["runner_id"].str.strip(_WS) if "runner_id" in raw else pd.Series("", index=raw.index)
    codes, _ = pd.factorize(ids.to_numpy())
    chunk = (np.cumsum(np.bincount(codes)) // size)[codes]
    kept, found = [], []
    for k in np.unique(chunk):
        typed, quarantine = validate(raw.loc[chunk == k].reset_index(drop=True), runners, runner_q)
        kept.append(typed)
        found.append(quarantine)
    del raw, ids, codes, chunk  # the raw cells go before the kept rows are joined
    return _in_line_order(kept), pd.concat(found, ignore_index=True)


def _in_line_order(kept: list[pd.DataFrame]) -> pd.DataFrame:
    """Typed chunks of one file joined, rows in the file's line order."""
    merged = kept[0] if len(kept) == 1 else pd.concat(kept, ignore_index=True)
    kept.clear()
    if not merged["line"].is_monotonic_increasing:  # a file not grouped by runner
        merged = merged.sort_values("line", kind="stable").reset_index(drop=True)
    return merged


def _one_layout(root: Path, name: str) -> None:
    """A file kept both as CSV and as Parquet parts is ambiguous: refused."""
    if (root / name).exists():
        raise DataError(
            f"both {name} and the Parquet folder {layout.part_folder(Path(), name)}/ exist; "
            "keep one of them (runeco convert writes a new folder)",
            file=name,
        )


def _read_parquet(root: Path, name: str, files_meta: dict, warnings: list):
    """The raw parts of a partitioned file (:mod:`analysis.io.layout`), checked like a CSV."""
    _one_layout(root, name)
    rows = 0
    for raw, info in layout.read_parts(root, name):
        _check_columns(raw, name, FILES[name][0], 1)
        if rows == 0:
            for original, new in info["renamed"].items():
                warnings.append(f"{name}: header field {original} is loaded as column {new!r}")
        rows += len(raw)
        yield raw
    files_meta[name] = {"present": True, "rows": rows, "blank_rows": 0, "layout": "parquet"}


def load_dataset(path) -> Dataset:
    """Load and validate a canonical dataset folder.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder, holding ``runners.csv`` and ``runs.csv`` and
        optionally ``strength.csv``, ``blocks.csv`` and ``lab_tests.csv``
        (``DATA_FORMAT.md``).

    Returns
    -------
    Dataset
        Typed frames (absent optional files give empty frames with the
        canonical columns), the quarantine table (one row per problem, with a
        ``code``), ``warnings`` (renamed header fields) and ``meta``
        (``files``: per file whether present, data rows read, blank rows
        skipped; ``load_seconds``).

    Raises
    ------
    DataError
        For a file-level problem (see the module docstring); every other
        problem is quarantined.

    Notes
    -----
    A run is rejected when its pace is faster than 2:30/km or slower than
    20:00/km, when it repeats an earlier row (same runner and start
    datetime; for date-only rows also the same distance and duration; or the
    same run_id for the runner), or when its runner is not in runners.csv (or
    the runner's own row was quarantined). A missing ``run_id`` is derived as
    ``<runner_id>-<YYYYMMDDTHHMM>``, with ``-2``, ``-3`` ... appended for
    further runs starting in the same minute (date-only doubles).
    Strength rows get ``category`` from
    :func:`analysis.strength.categorise_strength` (names mapped to
    categories, loaded lifts split into heavy / bodyweight_strength against
    the runner's 1RM estimated from the log), overridden by the dataset's
    ``exercises.csv`` (a row for the runner beats a row for every runner),
    and a row's own valid ``category`` cell beats both.
    """
    opened = _open(path)
    frames, problems = {}, list(opened.problems)
    for name, validate in opened.validators.items():  # one file's raw cells in memory at a time
        if layout.parts(opened.root, name):  # the Parquet layout: part by part
            kept = []
            for raw in _read_parquet(opened.root, name, opened.files_meta, opened.warnings):
                typed, found = _by_runner_chunks(validate, raw, opened.runners, opened.q_runners)
                kept.append(typed)
                problems.append(found)
            frames[name] = _in_line_order(kept)
        else:
            frames[name], found = _by_runner_chunks(
                validate, opened.read(name), opened.runners, opened.q_runners
            )
            problems.append(found)
    return _assemble(opened, frames, problems)


class _Opened:
    """A dataset folder checked, its settings, runners and exercises read (:func:`_open`)."""

    def __init__(self, root: Path, settings, present: dict):
        self.started = time.perf_counter()
        self.root = root
        self.settings = settings
        self.present = present
        self.files_meta: dict[str, dict] = {}
        self.warnings: list[str] = []

    def read(self, name: str) -> pd.DataFrame:
        schema = FILES[name][0]
        if not self.present[name]:
            self.files_meta[name] = {"present": False, "rows": 0, "blank_rows": 0}
            return _empty_raw(schema)
        frame, info = read_csv_text(self.root / name, name)
        _check_columns(frame, name, schema, info["header_line"])
        for original, new in info["renamed"].items():
            self.warnings.append(f"{name}: header field {original} is loaded as column {new!r}")
        self.files_meta[name] = {
            "present": True,
            "rows": len(frame),
            "blank_rows": info["blank_rows"],
        }
        return frame


def _open(path) -> _Opened:
    """Check the folder, read its settings, runners.csv and exercises.csv."""
    root = Path(path)
    hint = "give the folder that holds runners.csv and runs.csv"
    try:
        exists, is_dir = root.exists(), root.is_dir()
        present = (
            {name: (root / name).exists() or bool(layout.parts(root, name)) for name in FILES}
            if is_dir
            else {}
        )
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot open dataset folder {str(root)!r} ({exc}); {hint}") from None
    if not exists:
        raise DataError(f"dataset folder {str(root)!r} does not exist; {hint}")
    if not is_dir:
        raise DataError(f"{str(root)!r} is a file, not a dataset folder; {hint}")
    opened = _Opened(root, load_settings(root), present)
    for name, (_, required) in FILES.items():
        if required and not present[name]:
            raise DataError(
                f"required file {name} is missing from {root}; every dataset needs "
                "runners.csv and runs.csv (see DATA_FORMAT.md)",
                file=name,
            )
    raw_runners = opened.read("runners.csv")
    if raw_runners.empty:
        raise DataError(
            f"has a header but no runners (in {root}); add one row per runner "
            "(runner_id, and optionally name, group, hr_rest_bpm, ...)",
            file="runners.csv",
            line=2,
        )
    opened.runners, opened.q_runners = _runners(raw_runners)
    opened.exercises, q_exercises = _exercises(
        opened.read("exercises.csv"), opened.runners, opened.q_runners
    )
    opened.problems = [opened.q_runners, q_exercises]
    opened.validators = {
        "runs.csv": _runs,
        "strength.csv": functools.partial(_strength, exercises=opened.exercises),
        "blocks.csv": _blocks,
        "lab_tests.csv": _lab_tests,
        "wellness.csv": _wellness,
    }
    return opened


def _quarantine_table(problems: list[pd.DataFrame]) -> pd.DataFrame:
    """The problems found, in file order then line order, with the quarantine's columns."""
    quarantine = pd.concat(problems, ignore_index=True)
    quarantine = quarantine.astype({c: "str" for c in QUARANTINE_COLUMNS if c != "line"})
    quarantine["line"] = quarantine["line"].astype("int64")
    order = quarantine["file"].map({n: i for i, n in enumerate(_ORDER)})
    return (
        quarantine.assign(_order=order)
        .sort_values(["_order", "line"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)[list(QUARANTINE_COLUMNS)]
    )


def _assemble(opened: _Opened, frames: dict, problems: list) -> Dataset:
    """The Dataset of validated frames (an absent file: empty) and every problem found."""
    empty = {
        name: validate(_empty_raw(FILES[name][0]), opened.runners, opened.q_runners)[0]
        for name, validate in opened.validators.items()
        if name not in frames
    }
    frames = {**empty, **frames}
    quarantine = _quarantine_table(problems)
    # Arrow keeps the buffers of the raw cells in its own pool; hand them back, so
    # that what comes next (metrics, the model: numpy) can use that memory.
    pa.default_memory_pool().release_unused()
    meta = {"files": opened.files_meta, "load_seconds": time.perf_counter() - opened.started}
    return Dataset(
        path=opened.root,
        runners=opened.runners,
        runs=frames["runs.csv"],
        strength=frames["strength.csv"],
        blocks=frames["blocks.csv"],
        lab_tests=frames["lab_tests.csv"],
        wellness=frames["wellness.csv"],
        exercises=opened.exercises,
        quarantine=quarantine,
        warnings=tuple(opened.warnings),
        meta=MappingProxyType(meta),
        settings=opened.settings,
    )


def load_dataset_parts(path) -> tuple[Dataset, Iterator[Dataset]]:
    """A dataset in the Parquet layout, one part of runners at a time, for squads
    too large to hold at once (:mod:`analysis.io.layout`).

    Returns ``(head, parts)``. ``head`` is the dataset without runs and strength
    (runners, blocks, lab tests, wellness, exercises, and the quarantine of
    those files). ``parts`` yields, for each Parquet part of ``runs/``, the
    dataset of that part's runners: ``head`` with their runs and strength
    rows and the quarantine of those rows alone; then one more part with the
    strength rows of runners that have no runs (or an unknown id), when there
    are any. Rows are validated and quarantined exactly as
    :func:`load_dataset` does (every check looks within one runner), so the
    parts' rows and quarantines together are the whole dataset's. Only one
    part's rows are in memory at a time; ``strength/`` parts are matched to
    runners by their ``runner_id`` column (a CSV ``strength.csv`` is read
    once).

    Raises
    ------
    DataError
        As :func:`load_dataset`; also when ``runs`` is not in the Parquet
        layout (convert it with ``runeco convert``).
    """
    opened = _open(path)
    root = opened.root
    if not layout.parts(root, "runs.csv"):
        raise DataError(
            f"{str(root)!r} keeps its runs in runs.csv; reading it in parts needs the "
            f"Parquet layout: `runeco convert {root} NEW_FOLDER`"
        )
    frames, problems = {}, list(opened.problems)
    for name in ("blocks.csv", "lab_tests.csv", "wellness.csv"):
        frames[name], found = _by_runner_chunks(
            opened.validators[name], opened.read(name), opened.runners, opened.q_runners
        )
        problems.append(found)
    head = _assemble(opened, frames, problems)
    return head, _part_datasets(opened, head)


def _part_datasets(opened: _Opened, head: Dataset) -> Iterator[Dataset]:
    root, name = opened.root, "strength.csv"
    strength_parts = [(p, layout.part_runner_ids(p, name)) for p in layout.parts(root, name)]
    if strength_parts:
        _one_layout(root, name)
    strength_csv = (
        opened.read(name) if opened.present[name] and not strength_parts else _empty_raw(STRENGTH)
    )
    strength_rows = 0

    def strength_of(ids: set[str]) -> pd.DataFrame:
        nonlocal strength_rows
        if strength_parts:
            found = []
            for part, own in strength_parts:
                if own & ids:
                    raw, _ = layout.read_part(part, name)
                    _check_columns(raw, name, STRENGTH, 1)
                    found.append(raw.loc[raw["runner_id"].str.strip(_WS).isin(ids)])
            raw = pd.concat(found, ignore_index=True) if found else _empty_raw(STRENGTH)
        else:
            raw = strength_csv.loc[strength_csv["runner_id"].str.strip(_WS).isin(ids)]
            raw = raw.reset_index(drop=True)
        strength_rows += len(raw)
        return raw

    def dataset(raw_runs: pd.DataFrame, raw_strength: pd.DataFrame) -> Dataset:
        runs, q_runs = _by_runner_chunks(_runs, raw_runs, opened.runners, opened.q_runners)
        strength, q_strength = _by_runner_chunks(
            opened.validators[name], raw_strength, opened.runners, opened.q_runners
        )
        quarantine = _quarantine_table([head.quarantine.iloc[:0], q_runs, q_strength])
        return dataclasses.replace(head, runs=runs, strength=strength, quarantine=quarantine)

    covered: set[str] = set()
    for raw in _read_parquet(root, "runs.csv", opened.files_meta, opened.warnings):
        ids = set(raw["runner_id"].str.strip(_WS))
        yield dataset(raw, strength_of(ids - covered))
        covered |= ids
    every = {str(r) for r in opened.runners["runner_id"]}
    if strength_parts:
        every |= set().union(*(own for _, own in strength_parts))
    elif len(strength_csv):
        every |= set(strength_csv["runner_id"].str.strip(_WS))
    rest = strength_of(every - covered)
    if len(rest):
        yield dataset(_empty_raw(RUNS), rest)
    if strength_parts:
        opened.files_meta[name] = {
            "present": True,
            "rows": strength_rows,
            "blank_rows": 0,
            "layout": "parquet",
        }
    elif not opened.present[name]:
        opened.files_meta[name] = {"present": False, "rows": 0, "blank_rows": 0}
