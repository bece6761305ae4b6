"""Where a report's kernel keeps its files, and what the next run removes of older runs'."""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
import time

import pytest

from analysis import report
from analysis.tempdirs import LOCK_NAME

pytestmark = pytest.mark.skipif(os.name != "posix", reason="ipc sockets and flock: POSIX only")


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The temporary folder of this process (TMPDIR), the test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_every_file_of_a_kernel_is_in_its_private_folder_removed_at_shutdown(private_tmp, tmp_path):
    session = report._KernelSession(cwd=str(tmp_path))
    try:
        session.start()
        [folder] = private_tmp.iterdir()  # nothing else in the temporary folder
        assert folder.name.startswith(report.KERNEL_DIR_PREFIX)
        assert folder == session.folder.path
        names = {p.name for p in folder.iterdir()}
        assert names == {LOCK_NAME, "kernel.json", *(f"ipc-{n}" for n in range(1, 6))}
        assert stat.S_ISSOCK((folder / "ipc-1").lstat().st_mode)
        info = json.loads((folder / "kernel.json").read_text())
        assert (info["transport"], info["ip"]) == ("ipc", str(folder / "ipc"))
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0  # yours alone
        assert session.run_silent("x = 1")["status"] == "ok"
        session.restart()  # a new kernel, a new folder; the old one is gone
        [second] = private_tmp.iterdir()
        assert second != folder
    finally:
        session.shutdown()
    assert list(private_tmp.iterdir()) == []
    assert session.folder is None


def _old_socket(path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_the_loose_kernel_files_of_older_versions_are_removed_after_an_hour(private_tmp):
    hour = report.UNLOCKED_MAX_AGE_S
    old_ip = str(private_tmp / "runeco-34de90b627e9-ipc")
    for n in range(1, 6):
        _old_socket(f"{old_ip}-{n}")
    young_ip = str(private_tmp / "runeco-0123456789ab-ipc")
    _old_socket(f"{young_ip}-1")  # a run of the old version may still be going
    ours = private_tmp / "tmpab_cd123.json"
    ours.write_text(json.dumps({"transport": "ipc", "ip": old_ip, "key": "secret"}))
    kept = {
        "tmp12345678.json": {"transport": "ipc", "ip": "/elsewhere/runeco-34de90b627e9-ipc"},
        "tmpzzzzzzzz.json": {"transport": "tcp", "ip": "127.0.0.1"},  # another Jupyter's
    }
    for name, info in kept.items():
        (private_tmp / name).write_text(json.dumps(info))
    (private_tmp / "tmpnotjson.json").write_text("{")
    (private_tmp / "runeco-34de90b627e9-ipc-9").write_text("a plain file, not a socket")
    (private_tmp / "runeco-ffffffffffff-ipc-1").symlink_to(f"{old_ip}-1")
    for path in private_tmp.iterdir():
        _age(path, hour + 60)
    _age(private_tmp / "runeco-0123456789ab-ipc-1", hour - 60)

    assert report._sweep_old_kernel_files() == 6
    assert sorted(p.name for p in private_tmp.iterdir()) == sorted(
        [
            "runeco-0123456789ab-ipc-1",
            *kept,
            "tmpnotjson.json",
            "runeco-34de90b627e9-ipc-9",
            "runeco-ffffffffffff-ipc-1",
        ]
    )
