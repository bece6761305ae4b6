"""Writing a dataset safely: one writer at a time, every multi-file update whole or not at all.

:func:`dataset_lock` holds an exclusive lock (the well-kept ``filelock``
library) for a command's whole read-modify-write, so two imports into one
dataset run one after the other instead of one silently dropping the
other's runner. :class:`Transaction` stages every file of an update
(runners.csv, runs.csv, strength.csv, per-second streams) as a complete,
fsynced temporary file beside its target, and the files an update removes (the
stream of a run that ``import --replace`` removed), then writes a journal listing
the renames and the removals, performs them and deletes the journal.
:func:`recover`, run under the lock before the next write, finishes a journal a
killed process left behind (every temporary file it names was complete before
the journal existed; a removal already done is skipped) and removes temporary
files that never made it into a journal.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from analysis.errors import DataError

JOURNAL = ".runeco-journal.json"
LOCK_TIMEOUT_S = 600.0
"""How long a second writer waits for the first before giving up [s]."""


def _lock_path(dataset: Path) -> Path:
    """A lock file outside the dataset, keyed by its absolute path (so a failed
    import still creates no dataset folder)."""
    key = hashlib.sha1(str(Path(dataset).resolve()).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "runeco-locks"
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        with contextlib.suppress(OSError):  # shared by every user, like /tmp itself
            os.chmod(folder, 0o1777)
    return folder / f"{key}.lock"


@contextlib.contextmanager
def dataset_lock(dataset, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the dataset's exclusive write lock; wait (saying so on stderr) while another holds it."""
    lock = FileLock(str(_lock_path(Path(dataset))))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            f"waiting for another runeco command writing {dataset} to finish...",
            file=sys.stderr,
            flush=True,
        )
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout as exc:
            raise DataError(
                f"another runeco command has been writing this dataset for {timeout_s:.0f} s; "
                "try again when it has finished",
                file=str(dataset),
            ) from exc
    try:
        yield
    finally:
        lock.release()


def _mode_for(path: Path) -> int:
    """The target's current mode, or what a plain open() would give a new file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Transaction:
    """Stage files, then replace them all at once (see the module docstring)."""

    def __init__(self, dataset) -> None:
        self.dataset = Path(dataset)
        self.moves: list[tuple[Path, Path]] = []
        self.removals: list[Path] = []

    def _temporary(self, path: Path) -> tuple[int, Path]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise DataError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from exc
        tmp = Path(tmp)
        self.moves.append((tmp, path))
        return fd, tmp

    def stage_text(self, path, text: str) -> None:
        path = Path(path)
        fd, tmp = self._temporary(path)
        try:
            os.chmod(tmp, _mode_for(path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.abort()
            raise DataError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from exc

    def stage_parquet(self, path, frame) -> None:
        path = Path(path)
        fd, tmp = self._temporary(path)
        os.close(fd)
        try:
            os.chmod(tmp, _mode_for(path))
            frame.to_parquet(tmp, index=False, compression="zstd")
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        except OSError as exc:
            self.abort()
            raise DataError(f"cannot write here: {exc.strerror or exc}", file=str(path)) from exc

    def stage_removal(self, path) -> None:
        """Remove ``path`` with the rest of the update (not when a staged file replaces it)."""
        self.removals.append(Path(path))

    def commit(self) -> None:
        """Journal the renames and removals, perform them, remove the journal."""
        written = {final for _, final in self.moves}
        removals = [p for p in dict.fromkeys(self.removals) if p not in written]
        if not self.moves and not removals:
            return
        journal = self.dataset / JOURNAL
        # renames first, then removals ([null, path]); a replay repeats both safely
        entries = [[str(tmp), str(final)] for tmp, final in self.moves]
        entries += [[None, str(p)] for p in removals]
        tmp_journal = None
        try:
            self.dataset.mkdir(parents=True, exist_ok=True)
            fd, tmp_journal = tempfile.mkstemp(prefix=".journal.", suffix=".tmp", dir=self.dataset)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entries, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_journal, journal)
            _fsync_dir(self.dataset)
        except OSError as exc:
            self.abort()
            if tmp_journal is not None:
                Path(tmp_journal).unlink(missing_ok=True)
            raise DataError(f"cannot write here: {exc.strerror or exc}", file=str(journal)) from exc
        _replay(entries)
        journal.unlink(missing_ok=True)
        _fsync_dir(self.dataset)
        self.moves = []
        self.removals = []

    def abort(self) -> None:
        """Remove the staged files; the dataset stays as it was."""
        for tmp, _ in self.moves:
            tmp.unlink(missing_ok=True)
        self.moves = []
        self.removals = []


def _replay(entries) -> None:
    for tmp, final in entries:
        final = Path(final)
        if tmp is None:  # a removal: a file, or a link itself (never what it points to)
            if final.is_symlink() or final.is_file():
                final.unlink(missing_ok=True)
                _fsync_dir(final.parent)
            continue
        tmp = Path(tmp)
        if tmp.exists():
            os.replace(tmp, final)
            _fsync_dir(final.parent)


def recover(dataset) -> list[str]:
    """Finish what a killed writer left: replay its journal, remove stray temporary files.

    Returns what was done, one line each (empty when the dataset was clean).
    Run under :func:`dataset_lock`.
    """
    dataset = Path(dataset)
    done: list[str] = []
    if not dataset.is_dir():
        return done
    journal = dataset / JOURNAL
    if journal.exists():
        try:
            entries = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = []
        _replay(entries)
        journal.unlink(missing_ok=True)
        done.append(f"completed an interrupted write ({len(entries)} files)")
    stray = [p for p in dataset.glob(".*.tmp")]
    activities = dataset / "activities"
    if activities.is_dir():
        stray += list(activities.rglob(".*.tmp"))
    for p in stray:
        p.unlink(missing_ok=True)
    if stray:
        done.append(f"removed {len(stray)} temporary files of an interrupted write")
    return done
