"""Reading app CSV exports: raw cells by header name, numbers, clock times, dates.

App exports are read as text (nothing guessed by a CSV library), by header
name and never by position. A header may repeat a name (Strava's
``activities.csv`` has two ``Distance`` columns): :class:`RawCsv` keeps every
occurrence, in order.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.importers.files import read_bytes
from analysis.schema import shown  # noqa: F401  (the importers' name for it)

#: Cells that mean "no value" in app exports (Garmin Connect writes ``--``).
MISSING = ("", "--", "-", "n/a", "na", "nan", "null", "none")


@dataclass
class RawCsv:
    """A CSV file as text: its header names (repeats kept) and one column per position."""

    path: Path
    header: list[str]
    columns: list[np.ndarray]
    delimiter: str

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def has(self, name: str) -> bool:
        return name in self.header

    def seconds(self, *names: str) -> pd.Series:
        """Clock times of the first of ``names`` present, as seconds (NaN when absent)."""
        col = self.first(*names)
        if col is None:
            return pd.Series(np.nan, index=range(self.n_rows))
        return clock_seconds(col)

    def number(self, *names: str, comma_decimal: bool = False) -> pd.Series:
        """Numbers of the first of ``names`` present (NaN when absent)."""
        col = self.first(*names)
        if col is None:
            return pd.Series(np.nan, index=range(self.n_rows))
        return to_number(col, comma_decimal=comma_decimal)

    def get(self, name: str, occurrence: int = 0) -> pd.Series | None:
        """The ``occurrence``-th column called ``name`` (0 = first), or None."""
        hits = [i for i, h in enumerate(self.header) if h == name]
        if len(hits) <= occurrence:
            return None
        return pd.Series(self.columns[hits[occurrence]], dtype="str")

    def first(self, *names: str) -> pd.Series | None:
        """The first of ``names`` present in the header."""
        for name in names:
            col = self.get(name)
            if col is not None:
                return col
        return None

    def line_numbers(self) -> np.ndarray:
        return np.arange(2, self.n_rows + 2)


KM_PER_MILE = 1.609344  # international mile (1959)


def read_header_line(path: Path) -> str:
    """The first non-empty line of a text file (BOM stripped), for detection."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return ""
    text = head.decode("utf-8-sig", errors="replace")
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def sniff_delimiter(header_line: str) -> str:
    """``;`` when the header has more semicolons than commas, else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def split_header(header_line: str) -> list[str]:
    """Header names of one CSV line (quotes removed, names stripped)."""
    delim = sniff_delimiter(header_line)
    row = next(csv.reader([header_line], delimiter=delim), [])
    return [h.strip().strip('"').strip() for h in row]


def read_raw_csv(path) -> RawCsv:
    """Read an app export as text cells.

    Raises
    ------
    DataError
        Unreadable, not UTF-8 (Latin-1 is accepted as a fallback, as Excel on
        Windows writes it), empty, or with broken quoting.
    """
    path = Path(path)
    data = read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.strip():
        raise DataError("empty file", file=str(path))
    header_line = next(line for line in text.splitlines() if line.strip())
    delim = sniff_delimiter(header_line)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim, strict=True))
    except csv.Error as exc:
        raise DataError(f"broken CSV quoting ({exc})", file=str(path)) from exc
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:  # only delimiters and blanks: no header to read
        raise DataError("no header row: every line is empty cells", file=str(path))
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    padded = [r[:width] + [""] * (width - len(r)) for r in body]
    array = (
        np.array(padded, dtype=object).reshape(len(padded), width)
        if padded
        else np.empty((0, width), dtype=object)
    )
    columns = [array[:, j] for j in range(width)]
    return RawCsv(path=path, header=header, columns=columns, delimiter=delim)


def missing(text: pd.Series) -> pd.Series:
    """True where a cell means "no value"."""
    return text.fillna("").str.strip().str.lower().isin(MISSING)


def decimal_comma(texts: list[pd.Series]) -> bool:
    """Whether numbers in these columns use a decimal comma (``7,00``).

    A dot anywhere followed by digits means a decimal point (commas are then
    thousands separators, ``"4,808"``); otherwise a comma followed by other
    than exactly three digits (``7,5`` or ``7,00``) means a decimal comma.
    """
    dot = comma_decimal = False
    for text in texts:
        if text is None:
            continue
        t = text.fillna("").str.strip()
        dot |= bool(t.str.contains(r"^-?[0-9,]*\.[0-9]+$", regex=True).any())
        comma_decimal |= bool(
            t.str.contains(r"^-?[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})$", regex=True).any()
        )
    return comma_decimal and not dot


def to_number(text: pd.Series | None, *, comma_decimal: bool = False) -> pd.Series:
    """Numbers from text cells: thousands separators, decimal commas, ``--``.

    Returns a float Series (NaN for missing or unparseable cells).
    """
    if text is None:
        return pd.Series(dtype=float)
    t = (
        text.fillna("")
        .str.strip()
        .str.replace("\u202f", "", regex=False)
        .str.replace(" ", "", regex=False)
    )
    if comma_decimal:
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        t = t.str.replace(",", "", regex=False)
    t = t.where(~missing(text), "")
    return pd.to_numeric(t, errors="coerce")


_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")


def clock_seconds(text: pd.Series | None) -> pd.Series:
    """Seconds from ``H:MM:SS``, ``HH:MM:SS.s`` or ``MM:SS`` cells; plain numbers as seconds."""
    if text is None:
        return pd.Series(dtype=float)
    t = text.fillna("").str.strip()
    if t.empty:
        return pd.Series(dtype=float)
    parts = t.str.extract(_CLOCK)
    h = pd.to_numeric(parts[0], errors="coerce").fillna(0.0)
    m = pd.to_numeric(parts[1], errors="coerce")
    s = pd.to_numeric(parts[2].str.replace(",", ".", regex=False), errors="coerce")
    clock = h * 3600 + m * 60 + s
    plain = pd.to_numeric(t.where(~missing(text), ""), errors="coerce")
    return clock.where(clock.notna(), plain)


EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2101-01-01")
"""Dates outside 1900-2100 are not dates of a run (DATA_FORMAT.md): such a row is skipped."""


def _in_range(parsed: pd.Series) -> pd.Series:
    """Parsed datetimes as ``datetime64[ns]``, NaT outside 1900-2100 (pandas may parse
    ``0202-01-05`` at a coarser resolution that does not fit nanoseconds)."""
    ok = parsed.notna() & (parsed >= EARLIEST) & (parsed < LATEST)
    return parsed.where(ok).astype("datetime64[ns]")


def _wall_clock(parsed: pd.Series) -> pd.Series:
    """Drop a UTC offset and keep the time as written: dates in our files are the
    runner's local wall-clock time (DATA_FORMAT.md), and ``10:00+02:00`` was 10:00
    where it was written."""
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_localize(None)
    return parsed


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime`` with NaT for what does not parse, as wall-clock time; values
    with different UTC offsets (pandas refuses to mix them) are parsed one by one."""
    try:
        return _wall_clock(pd.to_datetime(text, format=fmt, errors="coerce"))
    except (ValueError, TypeError, OverflowError):
        one = {"format": fmt} if fmt != "mixed" else {}

        def parse(value: str):
            try:
                stamp = pd.to_datetime(value, errors="coerce", **one)
            except (ValueError, TypeError, OverflowError):
                return pd.NaT
            return stamp.tz_localize(None) if getattr(stamp, "tzinfo", None) else stamp

        return pd.to_datetime(text.map(parse), errors="coerce")


def parse_datetimes(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Datetimes from text, trying each format in turn, then ISO 8601 / mixed;
    NaT where none fits or the date is outside 1900-2100."""
    t = text.fillna("").str.strip().str.replace("\u202f", " ", regex=False)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    tried = pd.Series(False, index=t.index)
    for fmt in formats:
        todo = out.isna() & (t != "") & ~tried
        if not todo.any():
            break
        parsed = _to_datetime(t[todo], fmt)
        tried.loc[todo] = parsed.notna()  # parsed, maybe out of range: do not retry
        out.loc[todo] = _in_range(parsed)
    todo = out.isna() & (t != "") & ~tried
    if todo.any():
        out.loc[todo] = _in_range(_to_datetime(t[todo], "mixed"))
    return out


@dataclass
class CsvRuns:
    """Runs read from a summary export (Garmin Connect, Strava).

    ``rows`` has the runs.csv columns the export provides plus ``label``
    (``file line N``); ``non_running`` lists (label, sport) of the other
    activities; ``device_files`` (path, row index) the activity files the
    export points to that exist next to it (Strava); ``others`` the rows of
    the other sports (imported only when asked for).
    """

    rows: pd.DataFrame
    non_running: list
    warnings: list
    device_files: list
    others: pd.DataFrame | None = None


def split_runs(
    raw: RawCsv,
    rows: pd.DataFrame,
    running: np.ndarray,
    sport_label: pd.Series,
    *,
    date_column: str,
    warnings: list,
) -> CsvRuns:
    """The end of every summary-export reader: drop undated rows, split off other sports.

    Parameters
    ----------
    raw : RawCsv
        The export (for its file name).
    rows : DataFrame
        One row per CSV row, with ``label`` and ``date`` ("" where the date
        could not be read) and, for Strava, ``device_file``.
    running : ndarray of bool
        Which rows are runs.
    sport_label : Series of str
        The export's own sport name of each row (shown for the others).
    date_column : str
        The export's date column, named in the warning.
    warnings : list of str
        Warnings so far; the undated-row warning is appended.

    Returns
    -------
    CsvRuns
        ``device_files`` lists (path, index in ``rows``) of the runs whose
        ``device_file`` is filled.
    """
    bad_date = (rows["date"] == "").to_numpy()
    if bad_date.any():
        warnings.append(
            f"{raw.path.name}: {int(bad_date.sum())} rows with an unreadable {date_column} "
            "were skipped"
        )
    other = ~bad_date & ~running
    non_running = list(
        zip(rows["label"][other], sport_label[other].replace("", "unknown"), strict=True)
    )
    others = rows.loc[other].reset_index(drop=True)
    runs = rows.loc[~bad_date & running].reset_index(drop=True)
    device_files = (
        [(Path(f), i) for i, f in enumerate(runs["device_file"].tolist()) if f]
        if "device_file" in runs
        else []
    )
    return CsvRuns(
        rows=runs,
        non_running=non_running,
        warnings=warnings,
        device_files=device_files,
        others=others,
    )


def row_labels(raw: RawCsv) -> pd.Series:
    """``<file name> line <n>`` for every data row (header = line 1)."""
    return pd.Series([f"{raw.path.name} line {n}" for n in raw.line_numbers()], dtype="str")


def require(raw: RawCsv, names: tuple[str, ...], what: str) -> None:
    """DataError naming the missing columns of a recognised export."""
    absent = [n for n in names if not raw.has(n)]
    if absent:
        raise DataError(
            f"looks like a {what} export but has no {', '.join(repr(a) for a in absent)} column; "
            f"found: {', '.join(shown(h) for h in raw.header[:12])}"
            f"{' ...' if len(raw.header) > 12 else ''}",
            file=str(raw.path),
        )
