"""Appending to the canonical dataset without losing a byte of what is there.

Existing rows are kept exactly as written: a CSV file is read as text
records, new rows are added at the end, and when nothing else changes the
old bytes are copied unchanged ahead of them. Only when new columns are
needed, or an existing row is upgraded in place, is the file re-serialised
(cells keep their text; quoting may be normalised). Rows the loader would
quarantine are never dropped. Every file is written to a temporary file in
the same folder and renamed over the old one (``os.replace``), so a crash
leaves the previous file intact.

Per-second streams are cached as Parquet under
``activities/<runner_id>/<run_id>.parquet`` (zstd-compressed, float32).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.importers.files import read_bytes


@dataclass
class CsvTable:
    """A dataset CSV as text records, editable by column name."""

    path: Path
    header: list[str] = field(default_factory=list)
    records: list[list[str]] = field(default_factory=list)
    text: str = ""
    newline: str = "\n"
    exists: bool = False
    appended: list[list[str]] = field(default_factory=list)
    rewrite: bool = False
    bom: bool = False

    @classmethod
    def read(cls, path) -> CsvTable:
        """Read ``path`` (a missing file gives an empty table).

        Raises
        ------
        DataError
            Not UTF-8, or broken CSV quoting: the dataset cannot be appended
            to safely.
        """
        path = Path(path)
        if not path.exists():
            return cls(path=path)
        data = read_bytes(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                "is not UTF-8 text, so new rows cannot be appended safely; save it as 'CSV UTF-8'",
                file=str(path),
            ) from exc
        try:
            records = list(csv.reader(io.StringIO(text), strict=True))
        except csv.Error as exc:
            raise DataError(
                f"has broken CSV quoting ({exc}); fix it before importing", file=str(path)
            ) from exc
        records = [r for r in records if any(c.strip() for c in r)]
        header = [h.strip() for h in records[0]] if records else []
        newline = "\r\n" if "\r\n" in text else "\n"
        return cls(
            path=path,
            header=header,
            records=records[1:],
            text=text,
            newline=newline,
            exists=True,
            bom=data.startswith(b"\xef\xbb\xbf"),
        )

    def column(self, name: str) -> pd.Series:
        """Existing cells of a column as text ("" where absent or short rows)."""
        if name not in self.header:
            return pd.Series([""] * len(self.records), dtype="str")
        j = self.header.index(name)
        return pd.Series([r[j] if j < len(r) else "" for r in self.records], dtype="str")

    def frame(self, names) -> pd.DataFrame:
        return pd.DataFrame({n: self.column(n) for n in names})

    @property
    def has_malformed(self) -> bool:
        width = len(self.header)
        return any(len(r) > width for r in self.records)

    def ensure_columns(self, names) -> list[str]:
        """Add missing columns to the header; returns those that could not be added.

        A column cannot be added when an existing row has more fields than
        the header (its extra fields would shift into the new column).
        """
        missing = [n for n in names if n not in self.header]
        if not missing:
            return []
        if self.has_malformed:
            return missing
        self.header = self.header + missing
        self.rewrite = self.rewrite or self.exists
        return []

    def append(self, rows: pd.DataFrame) -> None:
        """Queue new rows (text cells), columns matched by name."""
        cols = [c for c in rows.columns if c in self.header]
        width = len(self.header)
        block = np.full((len(rows), width), "", dtype=object)
        for c in cols:
            block[:, self.header.index(c)] = rows[c].fillna("").astype(str).to_numpy()
        self.appended.extend(block.tolist())

    def remove(self, drop) -> int:
        """Remove existing records where ``drop`` (a boolean per record) is True;
        returns how many (the file is re-serialised)."""
        drop = list(drop)
        keep = [r for r, d in zip(self.records, drop, strict=True) if not d]
        removed = len(self.records) - len(keep)
        if removed:
            self.records = keep
            self.rewrite = True
        return removed

    def update(self, index: int, values: dict) -> None:
        """Overwrite cells of an existing record (the file is re-serialised)."""
        record = self.records[index]
        for name, value in values.items():
            j = self.header.index(name)
            if j >= len(record):
                record.extend([""] * (j + 1 - len(record)))
            record[j] = value
        self.rewrite = True

    def serialise(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=self.newline)
        if self.rewrite or not self.exists:
            width = len(self.header)
            writer.writerow(self.header)
            for r in self.records:
                writer.writerow(r + [""] * (width - len(r)) if len(r) < width else r)
            writer.writerows(self.appended)
            return buf.getvalue()
        writer.writerows(self.appended)
        head = self.text
        if head and not head.endswith(("\n", "\r")):
            head += self.newline
        return head + buf.getvalue()

    def write(self, tx=None) -> None:
        """Write atomically (temporary file in the same folder, then rename), or
        stage the file in ``tx`` (:class:`analysis.io.transaction.Transaction`)."""
        if self.exists and not self.rewrite and not self.appended:
            return
        text = ("\ufeff" if self.bom else "") + self.serialise()
        if tx is not None:
            tx.stage_text(self.path, text)
        else:
            atomic_write_text(self.path, text)


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def format_numbers(values: pd.Series, decimals: int) -> pd.Series:
    """Text cells for a float column: rounded, trailing zeros dropped, NaN empty."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(v)
    out = np.full(v.size, "", dtype=object)
    if ok.any():
        text = np.char.mod(f"%.{decimals}f", np.round(v[ok], decimals))
        if decimals > 0:
            text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
        text = np.where(text == "-0", "0", text)
        out[ok] = text
    return pd.Series(out, index=values.index, dtype="str")


# ------------------------------------------------------------------ streams


_STREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def is_stream_name(run_id: str) -> bool:
    """True when ``run_id`` can name its stream file (``activities/<runner>/<run_id>.parquet``).

    The ids the importer makes always can; a run_id typed by hand with a
    ``/``, ``..``, a line break or a leading dot cannot, and such a run gets no
    cached stream rather than a file outside its folder.
    """
    return bool(_STREAM_NAME.fullmatch(str(run_id))) and ".." not in str(run_id)


def stream_path(dataset: Path, runner_id: str, run_id: str) -> Path:
    if not is_stream_name(run_id):
        raise ValueError(f"run_id {run_id!r} cannot name a stream file")
    return Path(dataset) / "activities" / runner_id / f"{run_id}.parquet"


def stream_cell(runner_id: str, run_id: str) -> str:
    """The ``activity_file`` cell of a run whose stream the importer cached."""
    return f"activities/{runner_id}/{run_id}.parquet"


def own_stream(dataset: Path, runner_id: str, run_id: str, activity_file: str) -> Path | None:
    """The cached stream file of a runs.csv row, when the importer wrote it.

    Only a row whose ``activity_file`` is exactly the importer's own name for
    its run (:func:`stream_cell`) has one; any other cell (a device file the
    user refers to, a path that leads elsewhere) gives None, so an import never
    removes a file it did not write.
    """
    if not is_stream_name(run_id) or activity_file != stream_cell(runner_id, run_id):
        return None
    path = stream_path(dataset, runner_id, run_id)
    return path if path.is_file() and not path.is_symlink() else None


def _stream_frame(stream: pd.DataFrame) -> pd.DataFrame:
    """The stream as stored: time as int32, flags as bool, the rest float32."""
    frame = stream.copy()
    for col in frame.columns:
        if col == "time_s":
            frame[col] = frame[col].astype("int32")
        elif frame[col].dtype == bool:
            continue
        else:
            frame[col] = frame[col].astype("float32")
    return frame


def same_stream(path: Path, stream: pd.DataFrame) -> bool:
    """True when the file at ``path`` already holds ``stream`` as it would be stored."""
    try:
        stored = pd.read_parquet(path)
    except (OSError, ValueError):
        return False
    return stored.reset_index(drop=True).equals(_stream_frame(stream).reset_index(drop=True))


def write_stream(path: Path, stream: pd.DataFrame, tx=None) -> None:
    """Write a per-second stream atomically as Parquet (or stage it in ``tx``)."""
    frame = _stream_frame(stream)
    if tx is not None:
        tx.stage_parquet(path, frame)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_stream(path) -> pd.DataFrame:
    """Read one cached per-second stream (columns as written)."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the cached stream ({exc})", file=str(path)) from exc


def load_runner_streams(dataset, runner_id: str) -> dict[str, pd.DataFrame]:
    """All cached per-second streams of one runner, by run_id.

    Parameters
    ----------
    dataset : str or Path
        The dataset folder.
    runner_id : str

    Returns
    -------
    dict
        ``run_id`` -> stream frame (``time_s``, ``distance_m``, ``speed_m_s``,
        ``hr_bpm``, ``altitude_m``, ``cadence_spm``, ``temp_c``, ``power_w``,
        ``gas_m_s``, ``moving``, ``steady``); empty when none are cached.
    """
    folder = Path(dataset) / "activities" / runner_id
    if not folder.is_dir():
        return {}
    return {p.stem: read_stream(p) for p in sorted(folder.glob("*.parquet"))}
