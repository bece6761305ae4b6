"""Where per-runner work runs: a process pool on this machine, or a Dask cluster.

One small interface, two back ends. A back end maps a picklable top-level
function over a list of items and yields ``(item, outcome)`` as each one
finishes; the outcome is the function's return value, or a :class:`TaskFailed`
with the reason (an exception in the task, a worker process that died). No
item is ever silently missing: every item comes back exactly once.

- :class:`ProcessBackend` (the default): ``workers`` spawned processes
  (:class:`WorkerPool`), or this very process when ``workers == 1``. Worker
  processes ask for a parent-death signal, so none outlives the command; a
  task whose worker dies runs once more on a fresh worker, then comes back as
  :class:`TaskFailed`.
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

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from analysis.errors import DataError

LOCAL_SCHEDULER = "local"
CHUNK_RUNNERS = 500
"""Runners per task of a chunked stage (``analyze``): large enough that a squad of
a few hundred is one pass, small enough that a chunk's runs fit any worker."""
PLUGIN_NAME = "runeco-worker-state"

SCHEDULER_CONNECT_TIMEOUT = "20s"
"""How long ``--scheduler ADDRESS`` waits for the Dask scheduler before its one
clear error."""

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


# --------------------------------------------------------------------------- worker pool


def _worker_main(conn, initializer, initargs) -> None:
    """A pool worker: run ``(key, fn, item)`` messages until told to stop; send each outcome back."""
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the pool is gone
            return
        if message is None:
            return
        key, fn, item = message
        try:
            outcome = (key, True, fn(item))
        except BaseException as exc:  # one task must not lose the worker
            outcome = (key, False, _reason(exc))
        try:
            conn.send(outcome)
        except Exception as exc:  # an unpicklable result: nothing was written yet
            conn.send((key, False, f"its result could not be sent back ({_reason(exc)})"))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process died (killed by {name}: out of memory, or killed)"
    return f"worker process died (exit code {exitcode})"


class WorkerPool:
    """``workers`` processes, each with its own pipe: a worker that dies loses only its task.

    The standard library's pools share one result pipe and its lock among
    workers: a worker killed while sending its result (as the out-of-memory
    killer would) leaves a half message that the parent waits on for ever and
    a lock that the other workers wait on for ever. Here each worker has its
    own pipe and holds one task at a time, so the parent knows which task a
    dead worker held: it reads the end of that pipe (a half message is an end
    of file, never a wait), starts a new worker, and runs the task once more;
    a task whose worker dies ``1 + retries`` times comes back as
    :class:`TaskFailed`. Every item comes back exactly once. ``initializer``
    runs first in each worker (default: ask for a parent-death signal, so no
    worker outlives the command; :func:`_process_init` does that and more).
    """

    def __init__(
        self,
        workers: int,
        *,
        context=None,
        initializer: Callable | None = None,
        initargs: tuple = (),
        retries: int = 1,
    ):
        import multiprocessing

        self.context = context or multiprocessing.get_context()
        if initializer is None:  # at least: die with the command (a parent-death signal)
            initializer, initargs = _process_init, (None, os.getpid())
        self.initializer = initializer
        self.initargs = initargs
        self.retries = retries
        self.size = workers
        self._workers: list[list] = []  # [process, connection, task key or None]
        self._idle_deaths = 0
        for _ in range(workers):
            self._start()

    def _start(self) -> None:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main,
            args=(child_end, self.initializer, self.initargs),
            daemon=True,
        )
        process.start()
        # Only the worker may hold its end: a worker that dies is then an end of file here.
        child_end.close()
        self._workers.append([process, parent_end, None])

    def _retire(self, worker: list) -> None:
        process, conn, _ = worker
        conn.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
        self._workers.remove(worker)

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        """Yield ``(item, fn(item) or TaskFailed)`` for every item, as they finish.

        ``items`` is read as workers become free, one item per free worker: an
        iterator may make its items while the first ones run (it may wait for
        the next one; the results that come in meanwhile are taken after it).
        """
        from multiprocessing.connection import wait

        source = iter(items)
        items: list = []  # read from the source so far; their keys are their positions
        deaths: list[int] = []
        waiting: list[int] = []  # keys to hand out: run again (a worker died), then new ones
        exhausted = False

        def pull() -> bool:
            """Read one more item into ``waiting``; False once the source has no more."""
            nonlocal exhausted
            if exhausted:
                return False
            try:
                items.append(next(source))
            except StopIteration:
                exhausted = True
                return False
            deaths.append(0)
            waiting.append(len(items) - 1)
            return True

        running = 0
        while waiting or running or not exhausted:
            # an item for each free worker (and each one to start), no more
            free = self.size - len(self._workers) + sum(w[2] is None for w in self._workers)
            while len(waiting) < free and pull():
                pass
            while waiting and len(self._workers) < self.size:  # workers that died before
                self._start()
            for worker in self._workers:
                if worker[2] is None and waiting:
                    key = waiting.pop(0)
                    try:
                        worker[1].send((key, fn, items[key]))
                    except (OSError, EOFError):  # it died idle: the check below replaces it
                        waiting.insert(0, key)
                        continue
                    worker[2] = key
                    running += 1
            if not (running or waiting):
                return  # the source had no more items
            by_handle: dict = {}
            for worker in self._workers:
                by_handle[worker[1]] = worker
                by_handle[worker[0].sentinel] = worker
            ready = set(wait(list(by_handle)))
            for worker in {id(by_handle[h]): by_handle[h] for h in ready}.values():
                process, conn, key = worker
                ended = False
                try:
                    outcome = conn.recv() if conn.poll() else None
                except (EOFError, OSError):  # the end of its pipe, or half a message
                    outcome, ended = None, True
                if outcome is not None:
                    done, ok, value = outcome
                    worker[2] = None
                    running -= 1
                    yield items[done], value if ok else TaskFailed(value)
                    continue
                if not (ended or process.sentinel in ready or process.exitcode is not None):
                    continue
                self._retire(worker)
                reason = _death(process.exitcode)
                if key is None:  # it died idle, or while starting
                    self._idle_deaths += 1
                    if self._idle_deaths > 2 * self.size:
                        while waiting or pull():
                            yield (
                                items[waiting.pop(0)],
                                TaskFailed(f"{reason} before it took a task"),
                            )
                        if not running:
                            return
                else:
                    running -= 1
                    deaths[key] += 1
                    if deaths[key] > self.retries:
                        yield items[key], TaskFailed(reason)
                    else:
                        waiting.insert(0, key)

    def close(self) -> None:
        for _, conn, _ in self._workers:
            try:
                conn.send(None)
            except (OSError, EOFError):
                pass
        for worker in list(self._workers):
            self._retire(worker)


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

            self.executor = WorkerPool(
                workers,
                context=multiprocessing.get_context("spawn"),
                initializer=_process_init,
                initargs=(setup, os.getpid()),
            )

    @property
    def description(self) -> str:
        n = self.workers
        return "this process" if n == 1 else f"{n} worker processes on this machine"

    @property
    def in_process(self) -> bool:
        """Whether the tasks run in this very process (``workers == 1``)."""
        return self.executor is None

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        """Yield ``(item, fn(item) or TaskFailed)`` for every item, as they finish.

        ``items`` is read as the tasks are handed out (:meth:`WorkerPool.map_unordered`).
        """
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
        yield from self.executor.map_unordered(fn, items)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.close()
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
                self.client = Client(scheduler, timeout=SCHEDULER_CONNECT_TIMEOUT)
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

        ``items`` is read as tasks finish, keeping two tasks per worker thread
        on the cluster (as :meth:`WorkerPool.map_unordered` reads one per free
        worker): an iterator may make its items while the first ones run (it may
        wait for the next one; the results that come in meanwhile are taken
        after it), and an item it makes late (the squad report once its models
        are fitted) is not queued behind the whole batch.

        A task whose worker died is rescheduled by Dask; one that killed
        ``allowed-failures`` workers comes back as ``TaskFailed`` (KilledWorker).
        """
        from distributed import as_completed

        source = iter(items)
        # with worker state: each task runs under the worker's state lock
        head = (_with_state_lock, fn) if self.setup is not None else (fn,)
        # The items travel inside the tasks, not scattered ahead: scattered data
        # lives on one worker, and a worker lost with it could not be retried.
        futures: dict = {}
        done = as_completed()
        counted_at, limit = -math.inf, 2

        def in_flight() -> int:
            """Two tasks per worker thread, counted again at most once a second (a
            running cluster's workers may join or leave during the batch)."""
            nonlocal counted_at, limit
            if time.monotonic() - counted_at > 1.0:
                counted_at = time.monotonic()
                limit = 2 * max(sum(self.client.nthreads().values()), 1)
            return limit

        def top_up() -> None:
            while len(futures) < in_flight():
                try:
                    item = next(source)
                except StopIteration:
                    return
                future = self.client.submit(*head, item, pure=False)
                futures[future.key] = (future, item)
                done.add(future)

        try:
            top_up()
            while futures:
                future = next(done)
                item = futures.pop(future.key)[1]
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
                top_up()
        finally:  # stopped early (an error making an item, the caller gone): no task left behind
            for future, _ in futures.values():
                future.cancel()

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
