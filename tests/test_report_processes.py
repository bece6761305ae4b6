"""No process outlives `runeco report`, however it is stopped (issue 10, C5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from analysis.tempdirs import LOCK_NAME
from tests.paths import SAMPLE_DIR

psutil = pytest.importorskip("psutil")


def _wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _kernels(procs) -> list:
    out = []
    for p in procs:
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "workers"), [(signal.SIGKILL, "2"), (signal.SIGTERM, "2"), (signal.SIGKILL, "1")]
)
def test_killing_the_command_leaves_no_worker_or_kernel(tmp_path, sig, workers):
    cmd = [
        sys.executable,
        "-m",
        "analysis",
        "report",
        str(SAMPLE_DIR),
        "--squad",
        "--out",
        str(tmp_path / "out"),
        "--workers",
        workers,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    seen: list = []

    def kernel_running() -> bool:
        try:
            children = parent.children(recursive=True)
        except psutil.Error:
            return False
        seen[:] = children
        return bool(_kernels(children))

    assert _wait_for(kernel_running, 90), "no Jupyter kernel started"
    descendants = list(seen)
    proc.send_signal(sig)
    proc.wait(timeout=30)

    def all_gone() -> bool:
        return not [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    assert _wait_for(all_gone, 30), [p.cmdline()[:3] for p in descendants if p.is_running()]


def _report(out, *args: str) -> list[str]:
    return [sys.executable, "-m", "analysis", "report", str(SAMPLE_DIR), "--out", str(out), *args]


def _private_tmp(tmp_path) -> tuple[object, dict]:
    """A temporary folder of the test's own (TMPDIR), so no other run's files count."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp, {**os.environ, "TMPDIR": str(tmp)}


@pytest.mark.slow
def test_the_next_report_removes_what_a_killed_report_left(tmp_path):
    tmp, env = _private_tmp(tmp_path)
    out = tmp_path / "out"
    cmd = _report(out, "--squad", "--workers", "2", "--format", "ipynb")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    seen: list = []

    def started(folder) -> bool:
        return {"kernel.json", "ipc-1"} <= {p.name for p in folder.iterdir()}

    def kernel_running() -> bool:
        try:
            seen[:] = parent.children(recursive=True)
        except psutil.Error:
            return False
        # the kernel process and its files: under load a kernel can be listed
        # before it has written them, and a kill then leaves only the lock
        return bool(_kernels(seen)) and any(started(f) for f in tmp.glob("runeco-kernel-*"))

    assert _wait_for(kernel_running, 90), "no Jupyter kernel started"
    descendants = list(seen)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _wait_for(
        lambda: (
            not [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        ),
        30,
    )
    left = sorted(f for f in tmp.glob("runeco-kernel-*") if started(f))
    assert left, "the killed report left no kernel folder: nothing to test"
    assert {p.name for p in left[0].iterdir()} >= {"kernel.json", "ipc-1", LOCK_NAME}
    assert [p.name for p in tmp.iterdir() if not p.name.startswith("runeco-kernel-")] == []

    done = subprocess.run(
        _report(out, "--runner", "R01", "--workers", "1", "--format", "ipynb"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp.iterdir()) == []  # no kernel folder, socket or connection file
    assert list(out.glob(".runeco-*")) == []  # nor the killed report's batch folder


@pytest.mark.slow
def test_two_reports_into_one_folder_at_once_both_succeed_and_leave_nothing(tmp_path):
    tmp, env = _private_tmp(tmp_path)
    out = tmp_path / "out"
    common = ("--fresh-kernels", "--workers", "2", "--format", "ipynb", "--figures", str(out / "f"))
    first = ("R01", "R03")
    second = ("R02", "R04")
    runs = []
    for ids in (first, second):
        runners = [arg for rid in ids for arg in ("--runner", rid)]
        runs.append(
            subprocess.Popen(
                _report(out, *runners, *common),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        if len(runs) == 1:  # the second starts (and sweeps) while the first has its folders
            assert _wait_for(
                lambda: bool(
                    list(tmp.glob("runeco-kernel-*")) and list(out.glob(".runeco-batch-*"))
                ),
                90,
            )
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stdout + stderr
    assert sorted(p.stem for p in out.glob("*.ipynb")) == sorted(first + second)
    assert list(tmp.iterdir()) == []
    assert list(out.glob(".runeco-*")) == []
    assert list((out / "f").glob(".runeco-*")) == []
