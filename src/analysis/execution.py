"""Where per-runner work runs: a process pool on this machine, or a Dask cluster.

One small interface, two back ends. A back end maps a picklable top-level
function over a list of items and yields ``(item, outcome)`` as each one
finishes; the outcome is the function's return value, or a :class:`TaskFailed`
with the reason (an exception in the task, a worker process that died). No
item is ever silently missing: every item comes back exactly once.

- :class:`ProcessBackend` (the default): ``workers`` spawned processes
  (``concurrent.futures``), or this very process when ``workers == 1``.
  Worker processes ask for a parent-death signal, so none outlives the command.
- :class:`DaskBackend`: ``dask.distributed``. ``scheduler="local"`` starts a
  ``LocalCluster`` of ``workers`` single-threaded worker processes;
  ``scheduler="tcp://HOST:PORT"`` connects to a running cluster, whose
  workers must have runeco installed and see the same files (the dataset and
  the output folder) at the same paths. A task whose worker dies is retried
  on another worker by the scheduler; after ``distributed.scheduler.allowed-failures``
  retries (Dask's default: 3) it comes back as :class:`TaskFailed`.

Per-worker state: ``setup`` (a picklable top-level function) runs once in
each worker process before its first task, and its return value is what
:func:`worker_state` gives the tasks there; if it has a ``close()`` method,
that runs when the worker leaves. The reports keep one warm Jupyter kernel per
worker this way, on either back end (a Dask ``WorkerPlugin`` on a cluster).
On a Dask worker with several threads, tasks that use the state take turns.

Dask is an optional dependency (``pip install "runeco[cluster]"``), imported
only by :class:`DaskBackend`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from analysis.errors import DataError

LOCAL_SCHEDULER = "local"
CHUNK_RUNNERS = 500
"""Runners per task of a chunked stage (``analyze``): large enough that a squad of
a few hundred is one pass, small enough that a chunk's runs fit any worker."""
PLUGIN_NAME = "runeco-worker-state"

_STATE: object = None
_STATE_LOCK = threading.Lock()


@dataclass(frozen=True)
class TaskFailed:
    """A task that did not return: the reason, for the command's list of failures."""

    reason: str


def worker_state() -> object:
    """This worker's state, from the back end's ``setup`` (None without one)."""
    return _STATE


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def die_with_parent() -> None:
    """On Linux, have the kernel send this process SIGTERM when its parent dies.

    ``kill -9`` of a command cannot run any clean-up, so each worker process
    asks for a parent-death signal (``prctl(PR_SET_PDEATHSIG)``): the workers
    die with the command, and no process outlives it.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        return


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _close_state() -> None:
    global _STATE
    state, _STATE = _STATE, None
    close = getattr(state, "close", None)
    if callable(close):
        close()


# --------------------------------------------------------------------------- process pool


def _process_init(setup: Callable[[], object] | None, parent_pid: int) -> None:
    global _STATE
    die_with_parent()
    if parent_pid and os.getppid() != parent_pid:
        os._exit(0)  # the command died before this worker asked for the signal
    if setup is not None:
        from multiprocessing.util import Finalize

        _STATE = setup()
        # pool workers leave through os._exit: atexit would not run, Finalize does.
        Finalize(_STATE, _close_state, exitpriority=10)


def _ping() -> None:
    return None


class ProcessBackend:
    """``workers`` spawned processes on this machine; this process when ``workers == 1``.

    Processes are spawned, not forked: the parent may hold threads (pyarrow,
    tqdm, a Jupyter kernel's own) that a fork would copy mid-state. As with
    any spawn-based pool, a script using it needs the
    ``if __name__ == "__main__":`` guard.
    """

    def __init__(self, workers: int, *, setup: Callable[[], object] | None = None):
        self.workers = workers
        self.setup = setup
        self.executor = None
        self._own_state = False
        if workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_process_init,
                initargs=(setup, os.getpid()),
            )
            # The executor spawns a process per submit while none is idle: start them all now.
            for _ in range(workers):
                self.executor.submit(_ping)

    @property
    def description(self) -> str:
        n = self.workers
        return "this process" if n == 1 else f"{n} worker processes on this machine"

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        """Yield ``(item, fn(item) or TaskFailed)`` for every item, as they finish."""
        items = list(items)
        if self.executor is None:
            global _STATE
            if self.setup is not None and not self._own_state:
                _STATE, self._own_state = self.setup(), True
            for item in items:
                try:
                    yield item, fn(item)
                except Exception as exc:  # one task must not lose the rest of the batch
                    yield item, TaskFailed(_reason(exc))
            return
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        futures = {self.executor.submit(fn, item): item for item in items}
        for future in as_completed(futures):
            item = futures[future]
            try:
                yield item, future.result()
            except BrokenProcessPool as exc:
                yield item, TaskFailed(f"worker process died: {exc}")
            except Exception as exc:
                yield item, TaskFailed(_reason(exc))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        if self._own_state:
            _close_state()
            self._own_state = False


# --------------------------------------------------------------------------- Dask


def _dask_plugin_class():
    from distributed import WorkerPlugin

    class StatePlugin(WorkerPlugin):
        """Runs the back end's ``setup`` once per Dask worker; ``close()`` on teardown."""

        def __init__(self, setup: Callable[[], object]):
            self.setup_fn = setup

        def setup(self, worker):  # noqa: ARG002 - Dask's signature
            _plugin_setup(self.setup_fn)

        def teardown(self, worker):  # noqa: ARG002
            _plugin_teardown()

    return StatePlugin


# The plugin class is made at run time (Dask is optional), so cloudpickle ships it
# by value; these module functions, shipped by reference, hold what it does.
# The state itself is made by the first task, in the thread that runs tasks: the
# plugin's setup runs on the worker's event loop, which must not block for seconds
# (a kernel start), and a kernel's sockets must stay in the thread that uses them.
_PENDING_SETUP: Callable[[], object] | None = None


def _plugin_setup(setup: Callable[[], object]) -> None:
    global _PENDING_SETUP
    with _STATE_LOCK:
        _close_state()
        _PENDING_SETUP = setup


def _plugin_teardown() -> None:
    global _PENDING_SETUP
    with _STATE_LOCK:
        _PENDING_SETUP = None
        _close_state()


def _with_state_lock(fn: Callable, item: object) -> object:
    global _STATE, _PENDING_SETUP
    with _STATE_LOCK:  # one task at a time uses a worker's state (one kernel)
        if _PENDING_SETUP is not None:
            setup, _PENDING_SETUP = _PENDING_SETUP, None
            _STATE = setup()
        return fn(item)


class DaskBackend:
    """Tasks on a Dask cluster: a new ``LocalCluster`` or a running scheduler."""

    def __init__(
        self,
        scheduler: str = LOCAL_SCHEDULER,
        workers: int | None = None,
        *,
        setup: Callable[[], object] | None = None,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise DataError(
                "--scheduler needs Dask: pip install 'runeco[cluster]' "
                "(dask[distributed] and bokeh for the dashboard)"
            ) from exc
        self.scheduler = scheduler
        self.cluster = None
        self.setup = setup
        if scheduler == LOCAL_SCHEDULER:
            self.cluster = LocalCluster(
                n_workers=workers or available_cores(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            self.client = Client(self.cluster)
        elif scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise DataError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}; "
                    "start one with `dask scheduler` (and workers with `dask worker ADDRESS`), "
                    "or use --scheduler local"
                ) from exc
        else:
            raise DataError(
                f"--scheduler must be 'local' or a scheduler address such as "
                f"tcp://HOST:8786; got {scheduler!r}"
            )
        if setup is not None:
            self.client.register_plugin(_dask_plugin_class()(setup), name=PLUGIN_NAME)

    @property
    def dashboard_link(self) -> str:
        try:
            return str(self.client.dashboard_link or "")
        except Exception:
            return ""

    @property
    def description(self) -> str:
        n = len(self.client.scheduler_info().get("workers", {}))
        where = "a local Dask cluster" if self.cluster is not None else f"Dask at {self.scheduler}"
        return f"{where} ({n} workers)"

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        """Yield ``(item, fn(item) or TaskFailed)`` for every item, as they finish.

        A task whose worker died is rescheduled by Dask; one that killed
        ``allowed-failures`` workers comes back as ``TaskFailed`` (KilledWorker).
        """
        from distributed import as_completed

        items = list(items)
        call = _with_state_lock if self.setup is not None else None
        # The items travel inside the tasks, not scattered ahead: scattered data
        # lives on one worker, and a worker lost with it could not be retried.
        futures = {}
        for item in items:
            future = (
                self.client.submit(call, fn, item, pure=False)
                if call is not None
                else self.client.submit(fn, item, pure=False)
            )
            futures[future.key] = (future, item)
        for future in as_completed([f for f, _ in futures.values()]):
            item = futures[future.key][1]
            try:
                yield item, future.result()
            except Exception as exc:
                name = type(exc).__name__
                if name == "KilledWorker":
                    yield item, TaskFailed(f"worker process died (Dask KilledWorker): {exc}")
                else:
                    yield item, TaskFailed(_reason(exc))
            finally:
                future.release()

    def close(self) -> None:
        try:
            if self.setup is not None:
                try:
                    self.client.unregister_worker_plugin(PLUGIN_NAME)
                except Exception:  # noqa: S110 - a worker already gone has nothing to tear down
                    pass
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
                self.cluster = None


def make_backend(
    scheduler: str | None,
    workers: int | None,
    *,
    setup: Callable[[], object] | None = None,
) -> ProcessBackend | DaskBackend:
    """The process pool (``scheduler`` None) or Dask (``"local"`` or an address)."""
    if scheduler:
        return DaskBackend(scheduler, workers, setup=setup)
    return ProcessBackend(workers or available_cores(), setup=setup)


class ExecutionError(DataError):
    """Tasks that failed on every try: the command stops and names them."""


def _apply(task: tuple) -> object:
    _, fn, payload = task
    return fn(payload)


def ordered_map(
    backend: ProcessBackend | DaskBackend | None,
    fn: Callable,
    payloads: list,
    *,
    describe: Callable[[int], str] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list:
    """``[fn(p) for p in payloads]``, each call a task on ``backend`` (here, in turn, without one).

    For work whose results are all needed (the stages of ``analyze``): a task
    that fails, after the retries the back end gives it, raises
    :class:`ExecutionError` naming every failed task (``describe(i)``, default
    ``task i``) with its reason. ``on_done(i)`` runs as each task finishes.
    """
    if backend is None:
        out = []
        for i, payload in enumerate(payloads):
            out.append(fn(payload))
            if on_done is not None:
                on_done(i)
        return out
    results: dict[int, object] = {}
    failed: list[str] = []
    tasks = [(i, fn, p) for i, p in enumerate(payloads)]
    for task, result in backend.map_unordered(_apply, tasks):
        i = task[0]
        if isinstance(result, TaskFailed):
            failed.append(f"{describe(i) if describe else f'task {i}'}: {result.reason}")
        else:
            results[i] = result
        if on_done is not None:
            on_done(i)
    if failed:
        raise ExecutionError(
            f"{len(failed)} of {len(tasks)} tasks failed on {backend.description}: "
            + "; ".join(failed)
        )
    return [results[i] for i in range(len(tasks))]
