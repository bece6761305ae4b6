"""No process outlives `runeco report`, however it is stopped (issue 10, C5)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

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
