"""Private folders a killed run leaves behind are removed by the next run, and only those."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from analysis import tempdirs
from analysis.tempdirs import LOCK_NAME, private_dir, sweep

pytestmark = pytest.mark.skipif(tempdirs.fcntl is None, reason="no fcntl: no sweep")

PREFIX = "runeco-test-"
_HOLDER = (
    "import sys; from analysis.tempdirs import private_dir; "
    "d = private_dir(sys.argv[1], sys.argv[2]); print(d.path, flush=True); sys.stdin.read()"
)


def _holder(parent) -> tuple[subprocess.Popen, str]:
    """Another process that made a private folder in ``parent`` and holds its lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, PREFIX, str(parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, proc.stdout.readline().strip()


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_a_private_folder_is_locked_and_close_removes_it(tmp_path):
    folder = private_dir(PREFIX, tmp_path)
    assert folder.path.parent == tmp_path
    assert folder.path.name.startswith(PREFIX)
    assert (folder.path / LOCK_NAME).is_file()
    assert [p.name for p in folder.path.iterdir()] == [LOCK_NAME]  # the renamed lock only
    assert sweep(PREFIX, tmp_path) == []  # our own live folder, in this very process
    (folder.path / "data.txt").write_text("x")
    folder.close()
    assert folder.closed and list(tmp_path.iterdir()) == []
    folder.path.mkdir()  # a folder of that name made since is not ours to remove
    folder.close()
    assert folder.path.is_dir()


def test_a_folder_locked_by_a_live_process_is_left_alone_and_removed_once_it_is_killed(tmp_path):
    proc, path = _holder(tmp_path)
    try:
        assert path.startswith(str(tmp_path / PREFIX))
        assert sweep(PREFIX, tmp_path, unlocked_max_age_s=0) == []
        assert os.path.isdir(path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stdin.close()
    assert os.path.isdir(path)  # killed: the folder stays, its lock is released
    assert [str(p) for p in sweep(PREFIX, tmp_path)] == [path]
    assert not os.path.exists(path)


def test_a_stale_folder_whose_lock_nobody_holds_is_removed_at_once(tmp_path):
    stale = tmp_path / f"{PREFIX}abandoned"
    (stale / "sub").mkdir(parents=True)
    (stale / LOCK_NAME).touch()
    (stale / "sub" / "ipc-1").write_text("")
    assert sweep(PREFIX, tmp_path) == [stale]
    assert list(tmp_path.iterdir()) == []


def test_a_folder_without_a_lock_file_is_removed_only_after_an_hour(tmp_path):
    young = tmp_path / f"{PREFIX}young"
    old = tmp_path / f"{PREFIX}old"
    for folder in (young, old):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}")
    _age(young, tempdirs.UNLOCKED_MAX_AGE_S - 60)
    _age(old, tempdirs.UNLOCKED_MAX_AGE_S + 60)
    assert sweep(PREFIX, tmp_path) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == [young.name]


def test_a_symlink_named_like_the_prefix_is_not_followed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    (home / LOCK_NAME).touch()  # even with what looks like an unlocked lock inside
    _age(home, 10 * tempdirs.UNLOCKED_MAX_AGE_S)
    parent = tmp_path / "tmp"
    parent.mkdir()
    (parent / f"{PREFIX}evil").symlink_to(home, target_is_directory=True)
    assert sweep(PREFIX, parent, unlocked_max_age_s=0) == []
    assert (home / "thesis.tex").read_text() == "years of work"
    assert (parent / f"{PREFIX}evil").is_symlink()


def test_a_symlink_inside_a_swept_folder_is_removed_not_followed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    stale = tmp_path / f"{PREFIX}abandoned"
    stale.mkdir()
    (stale / LOCK_NAME).touch()
    (stale / "link").symlink_to(home, target_is_directory=True)
    assert sweep(PREFIX, tmp_path) == [stale]
    assert (home / "thesis.tex").read_text() == "years of work"


def test_a_lock_file_that_is_a_symlink_is_not_a_lock(tmp_path):
    elsewhere = tmp_path / "elsewhere.lock"
    elsewhere.write_text("not ours")
    folder = tmp_path / f"{PREFIX}odd"
    folder.mkdir()
    (folder / LOCK_NAME).symlink_to(elsewhere)
    assert sweep(PREFIX, tmp_path) == []  # no lock of ours, and young: kept
    _age(folder, tempdirs.UNLOCKED_MAX_AGE_S + 60)
    assert sweep(PREFIX, tmp_path) == [folder]  # old: removed like any lock-less folder
    assert elsewhere.read_text() == "not ours"


def test_only_folders_with_the_prefix_directly_in_the_parent_are_swept(tmp_path):
    other = tmp_path / "runeco-other-x"
    nested = tmp_path / "keep" / f"{PREFIX}nested"
    a_file = tmp_path / f"{PREFIX}file"
    for folder in (other, nested):
        folder.mkdir(parents=True)
        (folder / LOCK_NAME).touch()
    a_file.write_text("")
    assert sweep(PREFIX, tmp_path, unlocked_max_age_s=0) == []
    assert other.is_dir() and nested.is_dir() and a_file.is_file()


def test_the_sweep_looks_in_the_temporary_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(tempdirs.tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{PREFIX}abandoned"
    stale.mkdir()
    (stale / LOCK_NAME).touch()
    assert sweep(PREFIX) == [stale]
    assert private_dir(PREFIX).path.parent == tmp_path


def test_without_fcntl_there_is_no_sweep_and_folders_still_work(tmp_path, monkeypatch):
    monkeypatch.setattr(tempdirs, "fcntl", None)
    stale = tmp_path / f"{PREFIX}abandoned"
    stale.mkdir()
    (stale / LOCK_NAME).touch()
    assert sweep(PREFIX, tmp_path) == []
    assert stale.is_dir()
    folder = private_dir(PREFIX, tmp_path)
    assert list(folder.path.iterdir()) == []
    folder.close()
    assert not folder.path.exists()
