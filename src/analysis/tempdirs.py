"""Private working folders that a killed run does not leave behind for good.

A folder made by :func:`private_dir` holds an exclusive ``fcntl.flock`` on
its lock file (:data:`LOCK_NAME`) for as long as its owner process lives;
:meth:`PrivateDir.close` removes it. When the owner is killed (SIGKILL, a
power cut, the OOM killer) the folder stays, but the kernel releases the
lock, so the next run's :func:`sweep` can tell it from a live run's:

- a folder whose lock it can take (``LOCK_EX | LOCK_NB``) was abandoned and
  is removed;
- a folder whose lock is held belongs to a live run and is left alone;
- a folder without a lock file (made by an older runeco, or killed between
  creating the folder and locking it) is removed only when its modification
  time is more than :data:`UNLOCKED_MAX_AGE_S` (an hour) old.

The lock file is created under another name, locked, and only then renamed
to :data:`LOCK_NAME`, so a sweep never finds it unlocked while its owner
lives. A sweep looks only at the folders in ``parent`` whose name starts
with the prefix, that are real folders (a symlink is never followed) and
that belong to this user; removal is :func:`shutil.rmtree`, which does not
follow symlinks inside the folder either. Without ``fcntl`` (Windows) there
is no lock and no sweep.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None

LOCK_NAME = ".runeco-owner.lock"
"""The lock file inside every private folder; its owner holds an exclusive flock on it."""
UNLOCKED_MAX_AGE_S = 3600.0
"""A folder without a lock file is swept only when older than this [s]."""


class PrivateDir:
    """A folder of this process's own, locked until :meth:`close` removes it."""

    def __init__(self, path: Path, lock_fd: int | None):
        self.path = path
        self._lock_fd = lock_fd
        self.closed = False

    def close(self) -> None:
        """Remove the folder, then release its lock. Calling it again does nothing."""
        if self.closed:
            return
        self.closed = True
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> PrivateDir:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PrivateDir({str(self.path)!r})"


def private_dir(prefix: str, parent: str | os.PathLike | None = None) -> PrivateDir:
    """Make a folder ``<parent>/<prefix>XXXXXXXX`` (``tempfile.mkdtemp``) and lock it.

    Parameters
    ----------
    prefix : str
        The start of the folder's name; :func:`sweep` with the same prefix and
        parent removes the folders of killed owners.
    parent : path, optional
        Where; the system's temporary folder by default.

    Returns
    -------
    PrivateDir
        Its ``path``; ``close()`` removes it.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    if fcntl is None:
        return PrivateDir(path, None)
    try:
        fd, name = tempfile.mkstemp(prefix=".lock-", dir=path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # nobody else knows the file yet: never waits
            os.rename(name, path / LOCK_NAME)
        except BaseException:
            os.close(fd)
            raise
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return PrivateDir(path, fd)


def sweep(
    prefix: str,
    parent: str | os.PathLike | None = None,
    *,
    unlocked_max_age_s: float = UNLOCKED_MAX_AGE_S,
) -> list[Path]:
    """Remove the folders ``<parent>/<prefix>*`` that killed runs left behind.

    Parameters
    ----------
    prefix : str
        The prefix given to :func:`private_dir`; nothing else is looked at.
    parent : path, optional
        The folder to look in; the system's temporary folder by default.
    unlocked_max_age_s : float
        A folder without a lock file is removed only when its modification
        time is older than this [s].

    Returns
    -------
    list of Path
        The folders removed (none without ``fcntl``, or when ``parent`` cannot be read).
    """
    if fcntl is None or not prefix:
        return []
    folder = Path(tempfile.gettempdir() if parent is None else parent)
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return []
    uid = os.getuid()
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:  # a symlink, a file, someone else's
            continue
        path = folder / entry.name
        if _remove_if_abandoned(path, st, unlocked_max_age_s):
            removed.append(path)
    return removed


def _remove_if_abandoned(path: Path, st: os.stat_result, unlocked_max_age_s: float) -> bool:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path / LOCK_NAME, flags)
    except OSError as exc:
        # missing, or a symlink (O_NOFOLLOW): no lock file of ours
        if not isinstance(exc, FileNotFoundError) and exc.errno != errno.ELOOP:
            return False  # unreadable: not ours to judge
        if time.time() - st.st_mtime <= unlocked_max_age_s:
            return False  # perhaps a live run between mkdtemp and its lock
        shutil.rmtree(path, ignore_errors=True)
        return not os.path.lexists(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live run's
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not os.path.lexists(path)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
