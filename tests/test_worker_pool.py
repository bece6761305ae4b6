"""The worker pool: a worker killed at any moment, even while sending its result, loses no item.

The standard library's pools share one result pipe and its lock: a worker
killed in the middle of sending its result leaves the parent reading half a
message for ever (the import hang of issue 10, C6). These tests kill a
worker exactly there, by making its pipe write half a message and then
``SIGKILL`` itself, and require every item back within a deadline.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from analysis.execution import TaskFailed, WorkerPool

DEADLINE_S = 60  # far above the few seconds these take; a hang is caught, not waited out


def _die_while_sending() -> None:
    """From now on, this process's next pipe write sends half its bytes and is then killed."""
    import multiprocessing.connection as mc

    real = mc.Connection._send

    def half_then_die(self, buf, *args):
        real(self, bytes(buf)[: max(1, len(buf) // 2)], *args)
        os.kill(os.getpid(), signal.SIGKILL)

    mc.Connection._send = half_then_die


def _task(spec: tuple) -> object:
    """``(name, how)``: ``ok`` returns, ``send`` dies mid-result, ``once`` does that the first time."""
    name, how, folder = spec
    if how == "send" or (how == "once" and not Path(folder, name).exists()):
        Path(folder, name).touch()
        _die_while_sending()
        return "x" * 100_000  # larger than a pipe's buffer: the half is a real half message
    if how == "raise":
        raise ValueError(f"{name} refused")
    return f"{name} done in {os.getpid()}"


def _run(pool: WorkerPool, items: list) -> dict:
    got: dict = {}

    def consume() -> None:
        for item, outcome in pool.map_unordered(_task, items):
            assert item[0] not in got, "an item came back twice"
            got[item[0]] = outcome

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), f"the pool hung: {len(got)} of {len(items)} items came back"
    return got


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_a_worker_killed_mid_result_fails_only_its_task(tmp_path, context):
    items = [(f"t{i}", "ok", str(tmp_path)) for i in range(6)]
    items.insert(2, ("deadly", "send", str(tmp_path)))
    items.insert(5, ("bad", "raise", str(tmp_path)))
    pool = WorkerPool(2, context=multiprocessing.get_context(context))
    try:
        got = _run(pool, items)
    finally:
        pool.close()
    assert sorted(got) == sorted(name for name, _, _ in items)
    # killed on its first try and on its retry: listed as failed, with the signal
    assert got["deadly"] == TaskFailed(
        "worker process died (killed by SIGKILL: out of memory, or killed)"
    )
    assert got["bad"] == TaskFailed("ValueError: bad refused")
    assert all(got[f"t{i}"].startswith(f"t{i} done in ") for i in range(6))


def test_a_task_whose_worker_died_once_is_run_again(tmp_path):
    items = [("flaky", "once", str(tmp_path))] + [(f"t{i}", "ok", str(tmp_path)) for i in range(3)]
    pool = WorkerPool(2)
    try:
        got = _run(pool, items)
        again = _run(pool, [("after", "ok", str(tmp_path))])  # the pool still works
    finally:
        pool.close()
    assert (tmp_path / "flaky").exists()  # its first worker did die
    assert got["flaky"].startswith("flaky done in ")
    assert sorted(got) == ["flaky", "t0", "t1", "t2"]
    assert again["after"].startswith("after done in ")


def _sleep_then_pid(spec: tuple) -> int:
    time.sleep(spec[1])
    return os.getpid()


def test_a_worker_killed_from_outside_at_random_times_never_hangs_the_pool():
    """As the out-of-memory killer would: SIGKILL a busy worker, 30 times at random moments."""
    import random

    rng = random.Random(7)
    for trial in range(30):
        pool = WorkerPool(2)
        pids = [w[0].pid for w in pool._workers]
        killer = threading.Timer(rng.uniform(0.0, 0.05), os.kill, (rng.choice(pids), 9))
        killer.start()
        items = [(i, rng.uniform(0, 0.004)) for i in range(40)]
        got: dict = {}

        def consume(pool=pool, items=items, got=got) -> None:
            got.update(pool.map_unordered(_sleep_then_pid, items))

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        thread.join(DEADLINE_S)
        killer.join()
        pool.close()
        assert not thread.is_alive(), f"trial {trial}: the pool hung"
        assert sorted(got) == items, f"trial {trial}: items lost"
        # a task killed twice is the only way to fail; one kill is always retried
        assert not [v for v in got.values() if isinstance(v, TaskFailed)], f"trial {trial}"


def test_close_leaves_no_worker_running():
    pool = WorkerPool(2)
    processes = [w[0] for w in pool._workers]
    assert dict(pool.map_unordered(_sleep_then_pid, [(1, 0.0)]))
    pool.close()
    assert not any(p.is_alive() for p in processes)


def _exit_now(_: object) -> None:
    os._exit(0)  # every worker gone, none restarted while nothing waits


def test_a_pool_whose_workers_all_died_starts_new_ones_for_the_next_call(tmp_path):
    pool = WorkerPool(2, retries=0)
    try:
        first = _run_fn(pool, _exit_now, ["a", "b"])
        assert all(isinstance(v, TaskFailed) for v in first.values())
        second = _run_fn(pool, _sleep_then_pid, [(1, 0.0), (2, 0.0)])
    finally:
        pool.close()
    assert sorted(second) == [(1, 0.0), (2, 0.0)]
    assert not [v for v in second.values() if isinstance(v, TaskFailed)]


def _run_fn(pool: WorkerPool, fn, items: list) -> dict:
    got: dict = {}
    thread = threading.Thread(target=lambda: got.update(pool.map_unordered(fn, items)), daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), "the pool hung"
    return got


def test_items_are_read_as_workers_become_free_and_may_be_made_meanwhile():
    """An iterator of items is read one item per free worker, so that its later
    items can be made while the first ones run (the squad report's task, issue 14)."""
    read: list[int] = []
    first_back = threading.Event()

    def items():
        for i in range(6):
            if i == 3:
                assert first_back.wait(DEADLINE_S)  # made only after a result came back
            read.append(i)
            yield (i, 0.0)

    pool = WorkerPool(2)
    got: dict = {}
    read_at_first_result: list[int] = []

    def consume() -> None:
        for item, outcome in pool.map_unordered(_sleep_then_pid, items()):
            if not got:
                read_at_first_result.append(len(read))
                first_back.set()
            got[item] = outcome

    try:
        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        thread.join(DEADLINE_S)
        assert not thread.is_alive(), "the pool hung"
    finally:
        pool.close()
    assert read_at_first_result == [2]  # one item per worker, no more
    assert sorted(got) == [(i, 0.0) for i in range(6)]
    assert not [v for v in got.values() if isinstance(v, TaskFailed)]


def test_no_items_is_no_task():
    pool = WorkerPool(2)
    try:
        assert _run_fn(pool, _sleep_then_pid, []) == {}
        assert _run_fn(pool, _sleep_then_pid, iter([])) == {}
    finally:
        pool.close()
