"""The execution layer: the process pool and Dask give every item back exactly once.

Dask runs as a real 2-worker ``LocalCluster`` (worker processes, a scheduler,
the nanny that restarts a killed worker): the same code a cluster runs.
"""

from __future__ import annotations

import os
import re
import threading
import time
from functools import partial
from pathlib import Path
from unittest.mock import ANY

import pytest

from analysis import execution
from analysis.errors import DataError
from analysis.execution import DaskBackend, ProcessBackend, TaskFailed, make_backend, worker_state

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


class _Counter:
    """Worker state: counts the tasks this worker ran; ``close`` writes the count."""

    def __init__(self, folder: str):
        self.folder = folder
        self.pid = os.getpid()
        self.calls = 0

    def close(self) -> None:
        Path(self.folder, f"closed-{self.pid}").write_text(str(self.calls))


def _make_counter(folder: str) -> _Counter:
    Path(folder, f"setup-{os.getpid()}").touch()
    return _Counter(folder)


def _square_or_fail(x: int) -> tuple[int, int]:
    if x == 3:
        raise ValueError("three is refused\nsecond line")
    state = worker_state()
    if state is not None:
        state.calls += 1
    return x * x, os.getpid()


def _die_once(marker: str) -> str:
    """Kill this worker the first time (as a lost cluster node), succeed on the retry."""
    path = Path(marker)
    if not path.exists():
        path.touch()
        os._exit(1)
    return "done on retry"


def _always_die(_: object) -> None:
    os._exit(1)


def _check_every_item_once(backend, folder: Path) -> None:
    got = dict(backend.map_unordered(_square_or_fail, range(8)))
    assert sorted(got) == list(range(8))
    assert got[3] == TaskFailed("ValueError: three is refused")
    assert {x: got[x][0] for x in got if x != 3} == {x: x * x for x in range(8) if x != 3}
    pids = {got[x][1] for x in got if x != 3}
    setups = {p.name for p in folder.glob("setup-*")}
    # setup ran in each worker that ran a task, once per worker (at most the two
    # workers), never once per task; a worker started late on a busy machine may
    # have been set up and run nothing
    assert {f"setup-{pid}" for pid in pids} <= setups
    assert len(setups) <= 2


def test_process_pool_gives_every_item_once_and_sets_each_worker_up_once(tmp_path):
    backend = ProcessBackend(2, setup=partial(_make_counter, str(tmp_path)))
    try:
        _check_every_item_once(backend, tmp_path)
    finally:
        backend.close()
    closed = sorted(tmp_path.glob("closed-*"))
    assert closed and sum(int(p.read_text()) for p in closed) == 7


def test_in_process_backend_runs_here_and_closes_its_state(tmp_path):
    backend = ProcessBackend(1, setup=partial(_make_counter, str(tmp_path)))
    try:
        got = dict(backend.map_unordered(_square_or_fail, [2, 3]))
    finally:
        backend.close()
    assert got[2] == (4, os.getpid())
    assert isinstance(got[3], TaskFailed)
    assert (tmp_path / f"closed-{os.getpid()}").read_text() == "1"
    assert worker_state() is None


@pytest.fixture(scope="module")
def dask_counter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-state")
    backend = DaskBackend("local", 2, setup=partial(_make_counter, str(folder)))
    yield backend, folder
    backend.close()


def test_dask_gives_every_item_once_and_sets_each_worker_up_once(dask_counter):
    backend, folder = dask_counter
    assert re.match(r"https?://.+/status$", backend.dashboard_link)
    assert backend.description == "a local Dask cluster (2 workers)"
    _check_every_item_once(backend, folder)


def test_dask_reads_items_as_tasks_finish_and_they_may_be_made_meanwhile(dask_counter):
    """On Dask, too, an iterator of items is read as tasks finish (two per worker
    thread in flight), so a late item (the squad report, once its models are
    fitted) is made while the first ones run and is not queued behind the whole
    batch. Reading every item first, as before, waited here for a result that
    could only come once the items were read."""
    backend, _ = dask_counter
    read: list[int] = []
    first_back = threading.Event()

    def items():
        for i in range(12):
            if i == 5:
                assert first_back.wait(60), "item 5 was asked for before any result came back"
            read.append(i)
            yield i

    got: dict = {}
    read_at_first_result: list[int] = []

    def consume() -> None:
        for item, outcome in backend.map_unordered(_square_or_fail, items()):
            if not got:
                read_at_first_result.append(len(read))
                first_back.set()
            got[item] = outcome

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "Dask's map hung"
    assert read_at_first_result == [4]  # two per worker thread (2 workers x 1 thread)
    assert sorted(got) == list(range(12))
    assert {x: got[x][0] for x in got if x != 3} == {x: x * x for x in range(12) if x != 3}


def _slow_square(x: int) -> int:
    import time

    time.sleep(2.0)
    return x * x


def test_dask_stops_with_the_error_of_making_an_item_and_leaves_no_task_running(dask_counter):
    """An error while the items are made stops the map with that error (it is not
    swallowed, nor turned into a failed task); the tasks already handed out do not
    stay on the cluster (the map cancels them; releasing them would too), and the
    cluster takes the next map."""
    backend, _ = dask_counter

    def items():
        yield 1
        yield 2
        raise RuntimeError("making item 3 failed")

    with pytest.raises(RuntimeError, match="making item 3 failed"):
        list(backend.map_unordered(_slow_square, items()))
    deadline = time.monotonic() + 30
    while backend.client.processing() and any(backend.client.processing().values()):
        assert time.monotonic() < deadline, "tasks left running on the cluster"
        time.sleep(0.1)
    assert dict(backend.map_unordered(_square_or_fail, [4])) == {4: (16, ANY)}


def test_a_worker_killed_mid_task_is_retried_elsewhere(tmp_path):
    backend = DaskBackend("local", 2)
    try:
        got = dict(backend.map_unordered(_die_once, [str(tmp_path / "died")]))
    finally:
        backend.close()
    assert (tmp_path / "died").exists()  # the first attempt did kill its worker
    assert list(got.values()) == ["done on retry"]


def test_a_task_that_keeps_killing_workers_is_listed_as_failed(tmp_path):
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        backend = DaskBackend("local", 2)
        try:
            got = dict(backend.map_unordered(_always_die, ["a"]))
        finally:
            backend.close()
    assert isinstance(got["a"], TaskFailed)
    assert got["a"].reason.startswith("worker process died")


@pytest.mark.parametrize(
    "address, message",
    [
        ("nowhere", "--scheduler must be 'local' or a scheduler address"),
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ],
)
def test_a_bad_scheduler_is_one_clear_error(address, message, monkeypatch):
    import dask

    monkeypatch.setattr(execution, "SCHEDULER_CONNECT_TIMEOUT", "2s")  # not the 20 s wait
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(DataError, match=re.escape(message)):
            make_backend(address, 2)
