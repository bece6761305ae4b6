"""Render the per-runner and squad reports: papermill -> nbconvert HTML -> WeasyPrint PDF.

The report notebooks (``notebooks/runner_report.ipynb``,
``notebooks/squad_report.ipynb``) only call library functions; this module
executes them with parameters, turns the executed notebook into print HTML
(no input cells, no stderr) with our template in ``analysis/templates`` and
prints that to an A4 PDF.

Speed comes from keeping kernels warm. A batch runs in a pool of one worker
process per core; each worker starts one Jupyter kernel and executes all its
reports in it, wiping the kernel's namespace and matplotlib state before each
report (imported modules stay loaded, which is where the time goes) and
restarting the kernel after any error. ``fresh_kernels=True`` gives every
report a new kernel instead. A report that fails is listed with the reason;
the others are still rendered.

With ``figures_dir`` every figure a report shows is also saved as PNG (the
very image in the report) and SVG, under ``figures_dir/<report name>/`` and
named by the figure's label (:mod:`analysis.plots`): the kernel's PNG
formatter is wrapped for the report (:func:`_export_figures`), the files go to
a private folder and are moved into place only when the report succeeded.

This module imports nothing heavy at import time: papermill, nbconvert and
WeasyPrint are loaded inside the workers.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from analysis.errors import DataError
from analysis.execution import TaskFailed, available_cores, make_backend, worker_state
from analysis.schema import CHART_MIME, PRINT_FIGURE_DPI, RUNNER_ID_PATTERN, is_runner_id
from analysis.tempdirs import LOCK_NAME, UNLOCKED_MAX_AGE_S, PrivateDir, private_dir, sweep

FORMATS = ("pdf", "html", "ipynb")
RUNNER_NOTEBOOK = "runner_report.ipynb"
SQUAD_NOTEBOOK = "squad_report.ipynb"
SQUAD_REPORT_NAME = "squad"
TEMPLATE_NAME = "runeco_print"
KERNEL_NAME = "python3"
# Private folders (analysis.tempdirs); a killed run's are removed by the next run.
# In the temporary folder: one kernel's sockets and connection file.
KERNEL_DIR_PREFIX = "runeco-kernel-"
# In the output folder: the squad's analysis for the batch.
BATCH_DIR_PREFIX = ".runeco-batch-"
# In the figures folder: one report's new figures, until they move into place.
FIGURES_STAGING_PREFIX = ".runeco-figures-"
# Parameters the engine sets itself; callers may not override them.
RESERVED_PARAMETERS = ("dataset", "runner_id", "runner_ids", "batch", "interactive")
# Notebooks import these; importing them once per kernel is what a warm kernel saves.
_WARM_IMPORTS = (
    "pandas",
    "matplotlib.pyplot",
    "IPython.display",
    "analysis.io",
    "analysis.metrics",
    "analysis.blocks",
    "analysis.models",
    "analysis.plots",
    "analysis.tables",
    "analysis.narrative",
)
# The HTML format's notebooks also draw interactive charts (Bokeh); the PDF path never loads them.
_WARM_IMPORTS_HTML = ("analysis.charts", "bokeh.plotting", "bokeh.models", "bokeh.embed")

_PARAMETER_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Run in the kernel, silently, before every report: a report must never see the
# previous report's variables, figures, rc settings or warning filters.
_KERNEL_RESET_CODE = """
def _runeco_reset():
    import os, warnings
    ip = get_ipython()
    ip.reset(new_session=True)
    os.chdir({cwd!r})
    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    import matplotlib
    import matplotlib.pyplot as plt
    plt.close("all")
    matplotlib.rcdefaults()
    # the inline backend set up now: the notebook's own %matplotlib inline then changes nothing
    ip.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.config import InlineBackend
    inline = InlineBackend.instance()
    # %config pushes the setting to every configurable (~5 ms): only when a report changed it
    if inline.figure_formats != {{"png"}} or inline.print_figure_kwargs != {print_kwargs!r}:
        ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
        ip.run_line_magic("config", "InlineBackend.print_figure_kwargs = {print_kwargs!r}")
    # after the lines above, which register the inline backend's own PNG formatter
    import functools
    from matplotlib.figure import Figure
    from analysis.charts import figure_png
    png = functools.partial(figure_png, dpi={dpi!r})
    ip.display_formatter.formatters["image/png"].for_type(Figure, png)
_runeco_reset()
"""
# Run once in a new kernel: import what the notebooks import (the time a kept
# kernel saves), then move everything that exists now into the GC's permanent
# generation, so that the full collection IPython's reset runs between reports
# only walks the objects the reports created (0.2 s -> 0.03 s per reset).
# Run first in every kernel: die with the process that started it (see analysis.execution.die_with_parent).
_KERNEL_PDEATHSIG_CODE = """
def _runeco_die_with_parent(expected_ppid):
    import ctypes, os, signal, sys
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
        except OSError:
            pass
    if os.getppid() != expected_ppid:
        os._exit(0)
_runeco_die_with_parent({ppid})
del _runeco_die_with_parent
"""


def _kernel_warm_code(fmt: str) -> str:
    modules = _WARM_IMPORTS + (_WARM_IMPORTS_HTML if fmt == "html" else ())
    return (
        "".join(f"try:\n    import {m}\nexcept Exception:\n    pass\n" for m in modules)
        + "import gc\ngc.freeze()\n"
    )


# Run after the reset of every report: save the figures it shows (folder) or stop saving (None).
_KERNEL_FIGURES_CODE = """
from analysis.report import _export_figures as _runeco_export_figures
_runeco_export_figures({folder!r})
del _runeco_export_figures
"""
FIGURE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
"""A figure's label becomes its file name only when it matches this; else ``figure``."""
FIGURE_FORMATS = ("png", "svg")
_FIGURE_ERRORS = ".errors"  # in the private folder: why a figure could not be saved

FIGURE_DPI = PRINT_FIGURE_DPI
# Figures lay themselves out (constrained layout), so no "tight" bbox: that would draw them twice.
_PRINT_FIGURE_KWARGS = {"bbox_inches": None, "dpi": FIGURE_DPI}


# --------------------------------------------------------------------------- public API


@dataclass
class RenderSummary:
    """What a batch produced.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    fmt : str
        ``"pdf"``, ``"html"`` or ``"ipynb"``.
    ok : list of str
        Reports rendered: runner ids, and ``"squad"`` for the squad report.
    failed : list of (str, str)
        ``(report name, reason)`` for every report that failed.
    paths : dict of str to Path
        Report name -> the main output file (``DIR/<name>.<fmt>``).
    seconds : float
        Wall time of the whole batch [s].
    timings : dict of str to dict
        Report name -> seconds per stage (``execute_s``, ``html_s``, ``pdf_s``, ``total_s``).
    figures : dict of str to list of Path
        With ``figures_dir``: report name -> the figure files written for it
        (``<figures_dir>/<name>/<figure>.png`` and ``.svg``), sorted by name.
    """

    out_dir: Path
    fmt: str
    ok: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    figures: dict[str, list[Path]] = field(default_factory=dict)
    figures_dir: Path | None = None
    backend: str = ""
    dashboard: str = ""

    @property
    def reports_per_min(self) -> float:
        return 60.0 * len(self.ok) / self.seconds if self.seconds > 0 else float("nan")

    def format(self) -> str:
        """A short human-readable account, failures last with their reasons."""
        n = len(self.ok) + len(self.failed)
        lines = [
            f"rendered {len(self.ok)} of {n} report{'s' if n != 1 else ''} ({self.fmt}) "
            f"to {self.out_dir} in {self.seconds:.1f} s"
            + (f" on {self.backend}" if self.backend else "")
        ]
        if self.figures_dir is not None:
            n_files = sum(len(files) for files in self.figures.values())
            lines.append(f"{n_files} figure files (PNG and SVG) in {self.figures_dir}")
        if self.failed:
            lines.append(f"{len(self.failed)} failed:")
            lines += [f"  {name}: {reason}" for name, reason in self.failed]
        return "\n".join(lines)


def validate_runner_id(runner_id: object) -> str:
    """Return ``runner_id`` if it matches the runner-id pattern, else raise.

    Runner ids become file names, so nothing else (``..``, ``/``, spaces,
    leading dashes) is ever used to build a path.

    Raises
    ------
    DataError
        When the id is not 1-64 letters, digits, '_' or '-' starting with a
        letter or digit (:func:`analysis.schema.is_runner_id`).
    """
    if not is_runner_id(runner_id):
        raise DataError(
            f"The runner id {runner_id!r} is not valid: expected 1-64 letters, digits, '_' "
            "or '-', starting with a letter or digit (DATA_FORMAT.md)."
        )
    return runner_id


def notebook_path(name: str) -> Path:
    """Locate a report notebook shipped with runeco.

    Looks in the repository's ``notebooks/`` folder (an editable install or a
    checkout), then in ``analysis/notebooks/`` inside the installed package.
    """
    here = Path(__file__).resolve().parent
    candidates = (here.parents[1] / "notebooks" / name, here / "notebooks" / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"report notebook {name} not found; looked in "
        + ", ".join(str(c.parent) for c in candidates)
    )


def templates_dir() -> Path:
    """The folder holding the nbconvert print template (``runeco_print``)."""
    return Path(__file__).resolve().parent / "templates"


def render_reports(
    dataset_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    runner_ids: Iterable[str] | None = None,
    squad: bool = False,
    runner_reports: bool = True,
    fmt: str = "pdf",
    workers: int | None = None,
    fresh_kernels: bool = False,
    progress: bool = True,
    parameters: dict | None = None,
    runner_notebook: str | os.PathLike | None = None,
    squad_notebook: str | os.PathLike | None = None,
    timeout_s: float = 600.0,
    scheduler: str | None = None,
    on_backend: Callable[[RenderSummary], None] | None = None,
    precompute: bool = True,
    figures_dir: str | os.PathLike | None = None,
) -> RenderSummary:
    """Render runner reports (and the squad report) for a dataset.

    Every report is executed from its notebook by papermill, kept as
    ``DIR/<name>.ipynb``, and for ``fmt="html"``/``"pdf"`` exported to
    ``DIR/<name>.html`` or ``DIR/<name>.pdf`` (the squad report's name is
    ``squad``). A report that fails does not stop the batch; it is listed in
    ``RenderSummary.failed`` with the reason, and its stale outputs are
    removed (the executed notebook with the error is kept for inspection).

    Parameters
    ----------
    dataset_path : path
        Dataset folder (DATA_FORMAT.md).
    out_dir : path
        Output folder, created if missing.
    runner_ids : iterable of str, optional
        Runners to report on; default every runner in runners.csv. With
        ``squad=True`` the squad report covers the same runners.
    squad : bool
        Also render the squad report.
    fmt : {"pdf", "html", "ipynb"}
        Output format.
    workers : int, optional
        Worker processes; default one per available core (never more than
        there are reports). ``1`` renders in this process. With
        ``scheduler="local"``: the local Dask cluster's workers.
    scheduler : str, optional
        Run the reports on Dask (:mod:`analysis.execution`): ``"local"``
        starts a ``LocalCluster``; ``"tcp://HOST:PORT"`` uses a running
        cluster whose workers see the dataset and ``out_dir`` at the same
        paths. Default: the built-in process pool.
    on_backend : callable, optional
        Called with the (still empty) summary once the workers are up, its
        ``backend`` and ``dashboard`` (the Dask dashboard link) filled in.
    precompute : bool
        Analyse the squad once for the batch while the workers start
        (:mod:`analysis.models.batch`) and hand each runner notebook the
        folder as its ``batch`` parameter (default); with ``squad``, the
        squad report's models are fitted there too, while the first runner
        reports run (in worker processes or on Dask), and the squad report
        starts as soon as they are. False: every notebook analyses its
        runner itself, as when it is run on its own.
    figures_dir : path, optional
        Also write every figure of every report as PNG and SVG (for slides):
        ``figures_dir/<runner_id>/<figure>.png`` and ``.svg``, the squad
        report's under ``figures_dir/squad/``; figures are named by their
        label (``economy``, ``hr-vs-pace``, ``forest-2``, ...). Created if
        missing; a report's figures replace its previous ones, and a report
        that fails leaves none.
    runner_reports : bool
        Render the runners' reports (default). False with ``squad``: the squad
        report alone (of ``runner_ids``, or of every runner).
    fresh_kernels : bool
        Start a new kernel for every report (strict isolation, slower).
        By default each worker reuses one kernel, reset between reports.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    parameters : dict, optional
        Extra notebook parameters for the runner reports, e.g.
        ``{"baseline_weeks": 8}``; names must be identifiers other than
        ``dataset``, ``runner_id`` and ``runner_ids``.
    runner_notebook, squad_notebook : path, optional
        Use these notebooks instead of the shipped ones.
    timeout_s : float
        Longest a single notebook cell may run [s].

    Returns
    -------
    RenderSummary

    Raises
    ------
    DataError
        When a runner id is invalid (checked before it touches a path), the
        dataset cannot be loaded, or a runner is called ``squad`` while the
        squad report is requested.
    ValueError
        For an unknown ``fmt``, a bad ``workers`` or bad ``parameters``.
    """
    start = time.perf_counter()
    if fmt not in FORMATS:
        raise ValueError(
            f"The 'fmt' parameter of render_reports must be one of {FORMATS}. Got {fmt!r} instead."
        )
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(
            f"The 'workers' parameter of render_reports must be a positive integer. Got {workers!r} instead."
        )
    requested = None if runner_ids is None else [validate_runner_id(r) for r in runner_ids]
    extra = _check_parameters(parameters)

    dataset = Path(dataset_path).resolve()
    out = Path(out_dir).resolve()
    runner_nb = (
        Path(runner_notebook).resolve() if runner_notebook else notebook_path(RUNNER_NOTEBOOK)
    )
    squad_nb = None
    if squad:
        squad_nb = (
            Path(squad_notebook).resolve() if squad_notebook else notebook_path(SQUAD_NOTEBOOK)
        )

    figures = None if figures_dir is None else Path(figures_dir).resolve()
    summary = RenderSummary(out_dir=out, fmt=fmt, figures_dir=figures)
    config = _WorkerConfig(
        out_dir=str(out),
        fmt=fmt,
        fresh_kernels=fresh_kernels,
        timeout_s=float(timeout_s),
        runner_id_pattern=RUNNER_ID_PATTERN,
        figures_dir=None if figures is None else str(figures),
    )
    n_workers = workers or available_cores()
    if not runner_reports and not squad:
        raise ValueError(
            "render_reports with runner_reports=False needs squad=True: nothing to render."
        )
    if requested is not None or not runner_reports:
        n_runners = len(set(requested or ())) if runner_reports else 0
        n_workers = min(n_workers, max(1, n_runners + int(squad)))
    if not (dataset / "runners.csv").is_file():
        _load(dataset)  # raises the loader's own DataError before any work starts
    _make_folder(out, "output folder", "--out")
    sweep(BATCH_DIR_PREFIX, out)
    if figures is not None:
        _make_folder(figures, "figures folder", "--figures")
        sweep(FIGURES_STAGING_PREFIX, figures)
    # Workers start (imports, kernel, fonts) while this process reads the dataset.
    backend = make_backend(scheduler, n_workers, setup=partial(_start_worker, config))
    batch_dir: PrivateDir | None = None
    squad_models: _SquadModels | None = None
    names: list[str] = []  # the reports, in the order of RenderSummary.ok
    summary.backend = backend.description
    summary.dashboard = getattr(backend, "dashboard_link", "")
    if on_backend is not None:
        on_backend(summary)
    try:
        squad_data = _load(dataset)  # once: the runner ids here, the batch's analysis below
        known = list(squad_data.runner_ids)
        if requested is None:
            selected = list(known)
        else:
            selected = list(dict.fromkeys(requested))
            summary.failed += [
                (r, "runner id not in runners.csv") for r in selected if r not in known
            ]
            selected = [r for r in selected if r in known]
        for rid in selected:
            validate_runner_id(rid)  # ids read from the file become file names too
        if squad and SQUAD_REPORT_NAME in selected:
            raise DataError(
                f"a runner is called {SQUAD_REPORT_NAME!r}, the squad report's file name; "
                "rename the runner or render the squad report separately",
                file=str(dataset / "runners.csv"),
            )
        if (selected or squad) and precompute:
            batch_dir = _write_batch(squad_data, out, extra)
            if squad and batch_dir is not None:
                # fitted beside the runner reports where they run in other processes
                squad_models = _SquadModels(
                    squad_data,
                    batch_dir.path,
                    extra,
                    runner_ids=None if requested is None else selected,
                    background=not getattr(backend, "in_process", False),
                )
        batch = {"batch": str(batch_dir.path)} if batch_dir is not None else {}
        batch.update(notebook_format_parameters(fmt))

        def squad_task() -> _Task:
            parameters = {
                "dataset": str(dataset),
                "runner_ids": None if requested is None else selected,
                # the squad's baseline is the runners': one analysis for the batch
                **{k: v for k, v in extra.items() if k == "baseline_weeks"},
                **batch,
            }
            if squad_models is not None and not squad_models.fitted():
                parameters.pop("batch")  # its models could not be fitted: the notebook fits them
            return _Task(SQUAD_REPORT_NAME, str(squad_nb), parameters)

        runner_tasks = [
            _Task(
                rid, str(runner_nb), {"dataset": str(dataset), "runner_id": rid, **extra, **batch}
            )
            for rid in (selected if runner_reports else [])
        ]

        def dispatch():
            """The tasks as workers become free: the squad report, the longest, as soon as its
            models are fitted (so that it does not finish last), the runners' meanwhile."""
            waiting = squad
            for task in runner_tasks:
                if waiting and (squad_models is None or squad_models.done()):
                    waiting = False
                    yield squad_task()
                yield task
            if waiting:
                yield squad_task()  # waits for the fit

        names += ([SQUAD_REPORT_NAME] if squad else []) + [t.name for t in runner_tasks]
        from tqdm.auto import tqdm

        with tqdm(total=len(names), desc="reports", unit="report", disable=not progress) as bar:
            for task, result in backend.map_unordered(_render_task, dispatch()):
                if isinstance(result, TaskFailed):
                    result = _Result(task.name, False, reason=result.reason)
                if result.ok:
                    summary.ok.append(result.name)
                    summary.paths[result.name] = Path(result.path)
                    if figures is not None:
                        summary.figures[result.name] = [Path(f) for f in result.figures]
                else:
                    summary.failed.append((result.name, result.reason))
                summary.timings[result.name] = result.timings
                bar.set_postfix_str(result.name, refresh=False)
                bar.update()
    finally:
        backend.close()
        if squad_models is not None:
            squad_models.done(wait=True)  # it writes into the batch's folder
        if batch_dir is not None:
            batch_dir.close()
    order = {name: i for i, name in enumerate(names)}
    summary.ok.sort(key=order.__getitem__)
    summary.seconds = time.perf_counter() - start
    return summary


# --------------------------------------------------------------------------- batch plumbing


@dataclass(frozen=True)
class _Task:
    name: str
    notebook: str
    parameters: dict


def _make_folder(path: Path, what: str, flag: str) -> None:
    """Create ``path`` (and its parents), or one DataError naming it and the flag."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the {what}: {exc.strerror}; give a folder path with {flag}",
            file=str(path),
        ) from exc


@dataclass(frozen=True)
class _WorkerConfig:
    out_dir: str
    fmt: str
    fresh_kernels: bool
    timeout_s: float
    runner_id_pattern: str
    figures_dir: str | None = None


@dataclass
class _Result:
    name: str
    ok: bool
    path: str = ""
    reason: str = ""
    timings: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)


def notebook_format_parameters(fmt: str) -> dict:
    """Parameters the output format sets in every notebook: ``interactive`` for HTML.

    The PDF's notebooks get none, so they run exactly as before the HTML
    format had charts (and never import Bokeh).
    """
    return {"interactive": True} if fmt == "html" else {}


def _check_parameters(parameters: dict | None) -> dict:
    if not parameters:
        return {}
    if not isinstance(parameters, dict):
        raise ValueError(
            f"The 'parameters' parameter of render_reports must be a dict. Got {type(parameters).__name__} instead."
        )
    for name, value in parameters.items():
        if (
            not isinstance(name, str)
            or not _PARAMETER_NAME_RE.match(name)
            or name in RESERVED_PARAMETERS
        ):
            raise ValueError(
                f"Notebook parameter names must be identifiers other than {RESERVED_PARAMETERS}. "
                f"Got {name!r} instead."
            )
        if not isinstance(value, str | int | float | bool | type(None)):
            raise ValueError(
                f"The notebook parameter {name!r} must be a string, number, bool or None. "
                f"Got {type(value).__name__} instead."
            )
    return dict(parameters)


def _write_batch(ds, out: Path, extra: dict) -> PrivateDir | None:
    """The squad's analysis for this batch, in a private folder under ``out``
    (locked by this process: see :mod:`analysis.tempdirs`); None when it cannot
    be made (each notebook then analyses its runner and reports its own error)."""
    from analysis.models.batch import write_batch

    folder = None
    try:
        options = ds.settings.resolve(baseline_weeks=extra.get("baseline_weeks"))
        folder = private_dir(BATCH_DIR_PREFIX, out)
        write_batch(ds, folder.path, report_parts=report_parts, **options)
        return folder
    except Exception:  # noqa: BLE001 - the reports fall back to analysing on their own
        if folder is not None:
            folder.close()
        return None


def report_parts(dataset, results, metrics, blocks, *, baseline_weeks: int) -> dict:
    """What the runner notebook computes from its runner's data besides the
    analysis, computed once for the squad (:func:`analysis.models.batch.write_batch`'s
    ``report_parts``; the notebook reads its runner's rows with
    :func:`~analysis.models.batch.read_batch_part`):

    - ``readiness``: :func:`analysis.readiness.runner_readiness`;
    - ``lab``: :func:`analysis.metrics.lab_metrics` and
      :func:`~analysis.metrics.lab_economy_at_speed` (each runner at its own
      reference speed: a notebook given another one computes its own).

    Each works runner by runner, so a runner's rows of the squad's are what its
    own data give (``tests/models/test_batch.py``): 0.07 s of CPU for 30 runners
    here, instead of about 40 ms in each report. A part that fails is left out:
    each notebook then computes it itself (and reports its own error).
    """
    from analysis.metrics import lab_economy_at_speed, lab_metrics
    from analysis.readiness import runner_readiness

    parts = {}
    try:
        parts["readiness"] = runner_readiness(
            dataset, results, metrics, blocks, baseline_weeks=baseline_weeks
        )
    except Exception:  # noqa: BLE001, S110 - the notebooks compute it themselves
        pass
    try:
        lab = dataset.lab_tests
        parts["lab"] = (lab_metrics(lab), lab_economy_at_speed(lab))
    except Exception:  # noqa: BLE001, S110 - the notebooks compute it themselves
        pass
    return parts


class _SquadModels:
    """The squad report's models (:func:`analysis.models.batch.write_squad_batch`),
    fitted into the batch's folder, in a thread of this process with ``background``.

    With ``background`` the runner reports start in the workers while this
    process fits the squad's models (about 0.6 s of CPU for 30 runners): the
    workers need not wait for them, and the squad report starts as soon as
    they are written. Should the fit fail, the squad report fits its models
    itself (:meth:`fitted` is False), as a notebook run on its own does.
    """

    def __init__(self, ds, folder: Path, extra: dict, *, runner_ids=None, background: bool):
        self._args = (ds, folder, extra, runner_ids)
        self._ok = False
        self._thread = None
        if background:
            self._thread = threading.Thread(
                target=self._fit, name="runeco-squad-models", daemon=True
            )
            self._thread.start()
        else:
            self._fit()

    def _fit(self) -> None:
        from analysis.models.batch import write_squad_batch

        ds, folder, extra, runner_ids = self._args
        try:
            options = ds.settings.resolve(baseline_weeks=extra.get("baseline_weeks"))
            write_squad_batch(ds, folder, runner_ids, baseline_weeks=options["baseline_weeks"])
            self._ok = True
        except Exception:  # noqa: BLE001 - the squad report then fits its models itself
            self._ok = False

    def done(self, *, wait: bool = False) -> bool:
        """Whether the fit has ended (with ``wait``, once it has)."""
        if self._thread is not None and wait:
            self._thread.join()
        return self._thread is None or not self._thread.is_alive()

    def fitted(self) -> bool:
        """Whether the models are in the folder (waits for the fit to end)."""
        self.done(wait=True)
        return self._ok


def _load(dataset: Path):
    # analysis.io is imported here, not at the top: it pulls in pandas and pyarrow,
    # which the worker processes (papermill, nbconvert, WeasyPrint) never need.
    from analysis.io import load_dataset

    return load_dataset(dataset)


def _start_worker(config: _WorkerConfig) -> _Worker:
    """A back end's per-worker setup: this worker's kernel, warmed up before the first report."""
    worker = _Worker(config)
    try:
        worker.warm_up()
    except Exception:  # the first report starts the kernel again and reports the error as its own
        worker.kernel.shutdown()
    return worker


def _render_task(task: _Task) -> _Result:
    worker = worker_state()
    assert isinstance(worker, _Worker)
    return worker.render(task)


# --------------------------------------------------------------------------- one worker


_JSONSCHEMA_FORMAT_MODULES = [
    "fqdn",
    "isoduration",
    "jsonpointer",
    "rfc3339_validator",
    "rfc3986_validator",
    "rfc3987",
    "uri_template",
    "webcolors",
]
"""What ``jsonschema._format`` imports under ``suppress(ImportError)`` for its format
checkers alone, which nbformat never uses (:func:`_import_export_modules`); not
``idna``, which requests (papermill's) needs."""


def _block_slow_format_checker() -> None:
    """Skip the RFC 3987 grammar jsonschema builds at import (~0.9-1.6 s).

    nbformat's schema uses no ``iri`` formats, so jsonschema's optional
    ``rfc3987_syntax`` checker is never needed here; marking the module as
    absent makes jsonschema skip it (it imports it under ``suppress(ImportError)``).
    Only done when jsonschema has not been imported yet in this process.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]


def _import_export_modules(*, pdf: bool) -> None:
    """Import papermill (and WeasyPrint with ``pdf``) without two searches a report never needs.

    Only in a process with no other Python thread (a pool worker, never a Dask
    worker whose other tasks could import at the same moment), and only for
    the import itself:

    - papermill imports pyarrow (and numpy, ~0.25 s CPU) for its optional HDFS
      handler, which a report never uses: pyarrow is marked absent while
      papermill is imported, so papermill records the handler as missing.
    - jsonschema (through nbformat) imports the optional checkers of string
      formats it finds installed (isoduration and arrow, webcolors, ...:
      ~70 ms CPU); nbformat validates with no format checker, so they are
      marked absent during the import too (:data:`_JSONSCHEMA_FORMAT_MODULES`).
    - WeasyPrint tries several names per library (Pango, HarfBuzz, fontconfig);
      each that is not a file name goes to ``ctypes.util.find_library``, which
      runs ldconfig, gcc and ld (~0.15 s CPU in about 200 subprocesses). On
      Linux every list holds the library's soname (``libpango-1.0.so.0``),
      which the dynamic loader finds itself, as it would find the soname
      find_library returns; so find_library answers None during the import,
      and should WeasyPrint then fail to load a library, it is imported again
      the usual way.
    """
    import threading

    _block_slow_format_checker()
    alone = threading.active_count() == 1
    if alone and "papermill" not in sys.modules and "pyarrow" not in sys.modules:
        absent = ["pyarrow"]
        if "jsonschema" not in sys.modules:
            absent += _JSONSCHEMA_FORMAT_MODULES
        absent = [name for name in absent if name not in sys.modules]
        for name in absent:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            import papermill  # noqa: F401
        finally:
            for name in absent:
                if name in sys.modules and sys.modules[name] is None:
                    del sys.modules[name]
    import papermill  # noqa: F401, F811

    if not pdf:
        return
    if alone and sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        import contextlib
        import ctypes.util
        import io

        search = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None  # noqa: ARG005
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint's own advice, if it fails
                import weasyprint  # noqa: F401
        except OSError:
            pass  # imported again below, with the library search
        finally:
            ctypes.util.find_library = search
    import weasyprint  # noqa: F401, F811


class _Worker:
    """Executes and exports reports; owns one kernel (reused or fresh per report)."""

    def __init__(self, config: _WorkerConfig):
        import multiprocessing
        import threading

        # a pool worker: a process of its own, where nothing else runs
        self.own_process = (
            threading.active_count() == 1 and multiprocessing.parent_process() is not None
        )
        _import_export_modules(pdf=config.fmt == "pdf")
        self.config = config
        self.out_dir = Path(config.out_dir)
        sweep(KERNEL_DIR_PREFIX)  # the kernels of killed runs, on this machine
        _sweep_old_kernel_files()
        self.kernel = _KernelSession(cwd=str(self.out_dir), warm_code=_kernel_warm_code(config.fmt))
        self._exporter = None

    def warm_up(self) -> None:
        """Start the kernel (warm: see ``_KernelSession.start``), load fonts and templates."""
        if not self.config.fresh_kernels:
            self.kernel.start()
        if self.config.fmt in ("html", "pdf"):
            html = self.exporter_html_from_string("<p>warm</p>")
            if self.config.fmt == "html":
                bokeh_js()  # read BokehJS once per worker, before the first report
            if self.config.fmt == "pdf":
                import weasyprint

                weasyprint.HTML(string=html, url_fetcher=safe_url_fetcher()).write_pdf(
                    stylesheets=[parsed_print_css()], font_config=font_config()
                )
        if self.own_process:
            # What exists now (modules, templates, fonts) lives as long as the worker:
            # frozen, the full collections during each report's export skip it
            # (about 40 ms less per report), as the kernel does after its imports.
            import gc

            gc.collect()
            gc.freeze()

    def exporter_html_from_string(self, body: str) -> str:
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell(body))
        return notebook_to_html(nb, exporter=self._get_exporter())

    def _get_exporter(self):
        if self._exporter is None:
            self._exporter = make_html_exporter(for_print=self.config.fmt == "pdf")
        return self._exporter

    def close(self) -> None:
        self.kernel.shutdown()

    def render(self, task: _Task) -> _Result:
        if not re.fullmatch(self.config.runner_id_pattern, task.name):  # never build a path from it
            return _Result(task.name, False, reason="invalid report name")
        if self.config.figures_dir is None:
            return self._render(task, None)
        root = Path(self.config.figures_dir)
        # the kernel writes into a private folder; the files move into place on success
        try:
            staging = private_dir(f"{FIGURES_STAGING_PREFIX}{task.name}-", root)
        except OSError as exc:
            return _Result(task.name, False, reason=f"cannot write figures: {exc.strerror or exc}")
        try:
            result = self._render(task, staging.path)
            if result.ok:
                try:
                    result.figures = [
                        str(f) for f in _publish_figures(staging.path, root, task.name)
                    ]
                except (OSError, DataError) as exc:
                    result = _Result(
                        task.name,
                        False,
                        reason=f"figures not saved: {getattr(exc, 'strerror', None) or exc}",
                        timings=result.timings,
                    )
            if not result.ok:
                _remove_figures(root, task.name)  # no stale figures beside a failed report
            return result
        finally:
            staging.close()

    def _render(self, task: _Task, figures: Path | None) -> _Result:
        fmt = self.config.fmt
        ipynb = self.out_dir / f"{task.name}.ipynb"
        target = self.out_dir / f"{task.name}.{fmt}"
        timings: dict[str, float] = {}
        for stale in sorted({self.out_dir / f"{task.name}.{ext}" for ext in FORMATS}):
            try:
                stale.unlink(missing_ok=True)
            except OSError as exc:  # e.g. a folder where the report goes
                return _Result(
                    task.name,
                    False,
                    reason=f"cannot replace {stale}: {exc.strerror or exc}",
                    timings=timings,
                )
        t0 = time.perf_counter()
        try:
            if self.kernel.km is not None and not self.kernel.alive():
                self.kernel.restart()
            nb = self.kernel.execute_notebook(
                task.notebook,
                str(ipynb),
                task.parameters,
                timeout_s=self.config.timeout_s,
                figures=figures,
            )
        except Exception as exc:
            self.kernel.restart_after_error()
            reason = _execution_reason(exc)
            if isinstance(exc, OSError):  # name the file, not just "[Errno 28]"
                reason = f"cannot write {ipynb}: {exc.strerror or exc}"
            return _Result(task.name, False, reason=reason, timings=timings)
        finally:
            timings["execute_s"] = time.perf_counter() - t0
        try:
            if fmt in ("html", "pdf"):
                t1 = time.perf_counter()
                html = notebook_to_html(
                    nb, exporter=self._get_exporter(), title=task.name, inline_css=fmt == "html"
                )
                timings["html_s"] = time.perf_counter() - t1
                if fmt == "html":
                    _write_atomic(target, html.encode("utf-8"))
                else:
                    t2 = time.perf_counter()
                    html_to_pdf(html, target, base_url=str(self.out_dir), print_stylesheet=True)
                    timings["pdf_s"] = time.perf_counter() - t2
        except Exception as exc:
            return _Result(
                task.name,
                False,
                reason=f"export failed: {type(exc).__name__}: {exc}",
                timings=timings,
            )
        finally:
            timings["total_s"] = time.perf_counter() - t0
            if self.config.fresh_kernels:
                self.kernel.shutdown()
        return _Result(task.name, True, path=str(target), timings=timings)


# What runeco's kernels left loose in the temporary folder before they had a
# folder of their own (a killed run's stayed for good): ipc sockets, and the
# connection files jupyter_client named with mkstemp.
_OLD_KERNEL_SOCKET_RE = re.compile(r"runeco-[0-9a-f]{12}-ipc-[0-9]+")
_OLD_CONNECTION_FILE_RE = re.compile(r"tmp[a-z0-9_]{8}\.json")


def _sweep_old_kernel_files(folder: str | None = None) -> int:
    """Remove the kernel files older runeco versions left in ``folder`` (the temporary folder).

    Only this user's files more than an hour old (``tempdirs.UNLOCKED_MAX_AGE_S``)
    are looked at: sockets named ``runeco-<12 hex>-ipc-<n>``, and ``tmpXXXXXXXX.json``
    connection files whose ipc address is such a socket. Returns how many were removed.
    """
    if not hasattr(os, "getuid"):
        return 0
    folder = folder or tempfile.gettempdir()
    ours = re.compile(re.escape(os.path.join(folder, "runeco-")) + r"[0-9a-f]{12}-ipc")
    cutoff = time.time() - UNLOCKED_MAX_AGE_S
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        socket_file = _OLD_KERNEL_SOCKET_RE.fullmatch(entry.name)
        if not socket_file and not _OLD_CONNECTION_FILE_RE.fullmatch(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if st.st_uid != os.getuid() or st.st_mtime > cutoff:
                continue
            if socket_file:
                if not stat.S_ISSOCK(st.st_mode):
                    continue
            elif not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
                continue
            else:
                fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as f:
                    info = json.loads(f.read(4096))
                if not (
                    isinstance(info, dict)
                    and info.get("transport") == "ipc"
                    and isinstance(info.get("ip"), str)
                    and ours.fullmatch(info["ip"])
                ):
                    continue
            os.unlink(entry.path)
            removed += 1
        except (OSError, ValueError, RecursionError):
            continue
    return removed


def _execution_reason(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError: the notebook's own exception
        evalue = str(getattr(exc, "evalue", "")).strip().splitlines()
        first = evalue[0] if evalue else ""
        return f"{ename}: {first}" if first else ename
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(
        ": "
    )


# --------------------------------------------------------------------------- kernels


class _KernelSession:
    """One Jupyter kernel kept alive across notebook executions.

    papermill's own ``execute_notebook`` starts and stops a kernel per call;
    here papermill still parameterizes, executes (through its nbclient-based
    client, registered as the ``runeco-kept-kernel`` engine) and writes the
    notebook, but the kernel manager and client are ours and survive the call.
    """

    def __init__(self, cwd: str, warm_code: str = ""):
        self.cwd = cwd
        self.warm_code = warm_code or _kernel_warm_code("pdf")
        self.km = None
        self.kc = None
        self.folder: PrivateDir | None = None  # the kernel's sockets and connection file
        self.exporting = False  # this kernel saves the figures it shows (_export_figures)

    def alive(self) -> bool:
        return self.km is not None and self.kc is not None and bool(_sync(self.km.is_alive)())

    def start(self) -> None:
        if self.km is not None:
            return
        from jupyter_client.manager import AsyncKernelManager

        env = dict(os.environ)
        # ipykernel's debugger otherwise prints a frozen-modules warning on start.
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        # IPC (Unix sockets) where available: local only, no TCP ports, no plain-TCP warning.
        transport = "ipc" if os.name == "posix" else "tcp"
        km = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            transport=transport,
            kernel_spec_manager=_this_python_kernel_specs(),
        )
        # Every file of the kernel in one private folder, locked by this process and
        # removed at shutdown; a killed run's is removed by the next run (tempdirs.sweep).
        # jupyter_client would otherwise write the connection file with mkstemp into the
        # temporary folder, and name the sockets after the kernel's cwd (two workers collide).
        folder = private_dir(KERNEL_DIR_PREFIX)
        km.connection_file = str(folder.path / "kernel.json")
        if transport == "ipc":
            km.ip = str(folder.path / "ipc")  # sockets ipc-1 ... ipc-5
        kc = None
        try:
            _sync(km.start_kernel)(
                cwd=self.cwd,
                env=env,
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
            kc = km.client()
            kc.start_channels()
            _sync(kc.wait_for_ready)(timeout=60)
        except BaseException:
            if kc is not None:
                kc.stop_channels()
            with contextlib.suppress(Exception):
                _sync(km.shutdown_kernel)(now=True)
            folder.close()
            raise
        kc.allow_stdin = False
        self.km, self.kc, self.folder = km, kc, folder
        self.exporting = False
        self.run_silent(_KERNEL_PDEATHSIG_CODE.format(ppid=os.getpid()))
        self.run_silent(self.warm_code)

    def shutdown(self) -> None:
        km, kc, folder = self.km, self.kc, self.folder
        self.km = self.kc = self.folder = None
        try:
            if kc is not None:
                kc.stop_channels()
            if km is not None:
                try:
                    _sync(km.shutdown_kernel)(now=True)
                except Exception:
                    pass
        finally:
            if folder is not None:
                folder.close()

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def restart_after_error(self) -> None:
        """After a failed report the kernel's state is unknown: start a clean one."""
        try:
            self.restart()
        except Exception:
            self.shutdown()

    def run_silent(self, code: str, timeout_s: float = 120.0) -> dict:
        """Execute ``code`` without output or history; raise if it fails."""
        from queue import Empty

        assert self.kc is not None
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"kernel did not answer within {timeout_s:.0f} s")
            try:
                msg = _sync(self.kc.get_shell_msg)(timeout=min(remaining, 1.0))
            except Empty:
                if not _sync(self.km.is_alive)():
                    raise RuntimeError("the kernel died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                content = msg["content"]
                if content.get("status") != "ok":
                    raise RuntimeError(
                        f"kernel setup failed: {content.get('ename')}: {content.get('evalue')}"
                    )
                return content

    def reset(self) -> None:
        """Wipe the namespace, figures, rc settings and warning filters of the kernel."""
        self.run_silent(
            _KERNEL_RESET_CODE.format(
                cwd=self.cwd, print_kwargs=_PRINT_FIGURE_KWARGS, dpi=FIGURE_DPI
            )
        )

    def execute_notebook(
        self,
        notebook: str,
        output_path: str,
        parameters: dict,
        *,
        timeout_s: float,
        figures: str | os.PathLike | None = None,
    ):
        """papermill-execute ``notebook`` with ``parameters`` in this kernel; return the node.

        papermill formats path strings with the parameters (an output folder
        named ``reports {2026}`` failed every report and ``a{runner_id}`` wrote
        elsewhere), so the notebook goes in as a node and the output path has
        its braces doubled. papermill writes the executed notebook (also when
        it fails, for inspection) to a temporary file beside ``output_path``,
        which then replaces it: no half-written ``.ipynb`` is ever left.
        With ``figures`` (a folder), every figure the notebook shows is also
        saved there (:func:`_export_figures`).
        """
        import nbformat
        import papermill

        self.start()
        self.reset()
        if figures is not None or self.exporting:  # no round trip when figures are never asked for
            self.run_silent(
                _KERNEL_FIGURES_CODE.format(folder=None if figures is None else str(figures))
            )
            self.exporting = figures is not None
        _register_engine()
        node = nbformat.read(notebook, as_version=4)
        target = Path(output_path)
        tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
        try:
            return papermill.execute_notebook(
                node,
                str(tmp).replace("{", "{{").replace("}", "}}"),
                parameters=parameters,
                engine_name=_ENGINE_NAME,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout_s,
                session=self,
            )
        except OSError:
            # the notebook itself could not be written (a full disk): the
            # half-written temporary file never replaces the output
            tmp.unlink(missing_ok=True)
            raise
        finally:
            if tmp.exists():
                try:
                    os.replace(tmp, target)
                except OSError:
                    tmp.unlink(missing_ok=True)
                    raise


def _this_python_kernel_specs():
    """A kernel-spec manager whose every kernel is ipykernel on this very interpreter.

    The notebooks' kernelspec is ``python3``, and a user-level ``python3``
    kernelspec (another Python, without runeco) would otherwise win the lookup.
    """
    from ipykernel.kernelspec import get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = get_kernel_dict()
            spec["argv"][0] = sys.executable
            return KernelSpec(resource_dir="", **spec)

    return ThisPython()


def _sync(coro_fn):
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)


_ENGINE_NAME = "runeco-kept-kernel"


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    if _ENGINE_NAME in papermill_engines._engines:
        return

    class KeptKernelEngine(NBClientEngine):
        """papermill's nbclient engine, executing in a kernel that outlives the call."""

        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, *, session, execution_timeout=None, log_output=False, **_
        ):
            client = PapermillNotebookClient(
                nb_man,
                km=session.km,  # not owned by the client: it will not shut the kernel down
                kernel_name=kernel_name,
                timeout=execution_timeout,
                log=logger,
                log_output=log_output,
            )
            client.kc = session.kc
            return client.execute()

    papermill_engines.register(_ENGINE_NAME, KeptKernelEngine)


# --------------------------------------------------------------------------- figures


def _export_figures(folder: str | None) -> None:
    """In a report's kernel: also save every figure it shows to ``folder`` (None: stop).

    Wraps the inline backend's PNG formatter for matplotlib figures, so the
    PNG saved is byte for byte the image in the report, and an SVG is drawn
    beside it. Run after the kernel's reset, before the notebook.
    """
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    shell.run_line_magic("matplotlib", "inline")  # the inline formatters exist before we wrap them
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        current = formatter.lookup_by_type(Figure)
    except KeyError:
        return
    draw = getattr(current, "draw", current)  # never wrap a saver of an earlier report
    formatter.for_type(Figure, draw if folder is None else _FigureSaver(Path(folder), draw))


class _FigureSaver:
    """A PNG formatter for figures that also writes ``<label>.png`` and ``<label>.svg``.

    The label (:meth:`Figure.get_label`, set by :mod:`analysis.plots`) is
    the file name when it matches :data:`FIGURE_NAME_RE`, else ``figure``;
    a repeated name gets ``-2``, ``-3``, ... Nothing is written outside
    ``folder``. A figure that cannot be saved is still shown: the reason
    goes to ``folder/.errors`` and the report fails after it ran.
    """

    def __init__(self, folder: Path, draw: Callable):
        self.folder = folder
        self.draw = draw
        self.names: set[str] = set()

    def name(self, fig) -> str:
        label = str(fig.get_label() or "")
        base = label if FIGURE_NAME_RE.fullmatch(label) else "figure"
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}-{k}"
        self.names.add(name)
        return name

    def __call__(self, fig):
        import base64
        import io

        data = self.draw(fig)
        if data is None:
            return data
        try:
            name = self.name(fig)
            png = base64.b64decode(data) if isinstance(data, str) else bytes(data)
            svg = io.BytesIO()
            fig.savefig(svg, format="svg", metadata={"Date": None})
            (self.folder / f"{name}.png").write_bytes(png)
            (self.folder / f"{name}.svg").write_bytes(svg.getvalue())
        except Exception as exc:  # noqa: BLE001 - the report shows the figure and fails after
            with open(self.folder / _FIGURE_ERRORS, "a", encoding="utf-8") as handle:
                handle.write(f"{type(exc).__name__}: {exc}\n")
        return data


def _figure_folder(root: Path, name: str) -> Path:
    """``root/name``, refused unless it is a real folder (or absent) directly inside ``root``."""
    if not is_runner_id(name):
        raise DataError(f"{name!r} is not a valid report name for a figures folder")
    folder = root / name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise DataError(
            f"{folder} is not a folder runeco made; remove it or choose another --figures folder"
        )
    return folder


def _publish_figures(staging: Path, root: Path, name: str) -> list[Path]:
    """Move a report's figures from its private folder to ``root/name`` (each file by an
    atomic rename) and remove that folder's figures the report no longer has."""
    errors = staging / _FIGURE_ERRORS
    if errors.exists():
        raise DataError(errors.read_text(encoding="utf-8").strip().splitlines()[0])
    folder = _figure_folder(root, name)
    folder.mkdir(exist_ok=True)
    made = sorted(p for p in staging.iterdir() if p.name != LOCK_NAME)
    for path in made:
        os.replace(path, folder / path.name)
    keep = {path.name for path in made}
    for ext in FIGURE_FORMATS:
        for stale in folder.glob(f"*.{ext}"):
            if stale.name not in keep and stale.is_file() and not stale.is_symlink():
                stale.unlink()
    return [folder / path.name for path in made]


def _remove_figures(root: Path, name: str) -> None:
    """Remove the PNG and SVG files of a report's figures folder (after the report failed)."""
    try:
        folder = _figure_folder(root, name)
    except DataError:
        return
    for ext in FIGURE_FORMATS:
        for stale in folder.glob(f"*.{ext}"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------- export


def make_html_exporter(*, for_print: bool = False):
    """nbconvert's HTMLExporter with our print template: no input cells, no prompts.

    With ``for_print`` (a page that only goes to WeasyPrint), nbconvert's
    closing pass is skipped: it parses the whole page with BeautifulSoup to
    give images without alt text a stock one and JupyterLab's cells a
    ``tabindex``, then writes the page out again (about 17 ms of CPU per
    report). Our template has no JupyterLab cells, a report's figures carry
    their alt text, and the page it leaves is the same document
    (``tests/test_report_worker.py``).
    """
    from nbconvert import HTMLExporter

    cls = _print_exporter_class() if for_print else HTMLExporter
    exporter = cls(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # the notebook validated once after the preprocessors, not after each of them
        optimistic_validation=True,
    )
    return exporter


@functools.lru_cache(maxsize=1)
def _print_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PrintHTMLExporter(HTMLExporter):
        """HTMLExporter without its closing BeautifulSoup pass (see make_html_exporter)."""

        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node (nbconvert 7) up to its BeautifulSoup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PrintHTMLExporter


def print_css() -> str:
    return (templates_dir() / TEMPLATE_NAME / "print.css").read_text(encoding="utf-8")


def notebook_to_html(
    nb, *, exporter=None, title: str = "runeco report", inline_css: bool = True
) -> str:
    """Print HTML of an executed notebook: outputs only, stderr and errors dropped.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook; it is not modified.
    exporter : nbconvert.HTMLExporter, optional
        Reuse an exporter from :func:`make_html_exporter` (its template is compiled once).
    title : str
        The HTML document's title (the PDF's title metadata).
    inline_css : bool
        Put the print stylesheet in the page (default). False for a page that
        goes straight to :func:`html_to_pdf` with ``print_stylesheet=True``:
        WeasyPrint then uses the stylesheet parsed once per process.
    """
    from nbformat import NotebookNode

    # New nodes where anything changes, never a deep copy: nbconvert copies the notebook itself.
    n_charts = 0
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
                    continue
                payload = output.get("data", {}).get(CHART_MIME)
                if payload is not None:
                    n_charts += 1
                    output = NotebookNode(
                        output,
                        data=NotebookNode({"text/html": chart_markup(payload, n_charts)}),
                        metadata=NotebookNode(),
                    )
                outputs.append(output)
            cell = NotebookNode(cell, outputs=outputs)
        cells.append(cell)
    nb = NotebookNode(nb, cells=cells)
    resources = {"metadata": {"name": title}, "runeco_css": print_css() if inline_css else ""}
    if n_charts:  # interactive charts: BokehJS and our embedding script, allowed by their hashes
        scripts = [bokeh_js(), EMBED_JS]
        resources.update(
            runeco_css=print_css() + screen_css(),
            runeco_scripts=scripts,
            runeco_csp=content_security_policy(scripts),
        )
    exporter = exporter or make_html_exporter()
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    return html


# The one script of ours in an interactive report: it hands each chart's JSON (a data
# block, never executed) to BokehJS. A constant, so its hash in the CSP is too.
EMBED_JS = """
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script.runeco-chart-data").forEach(function (data) {
    Bokeh.embed.embed_item(JSON.parse(data.textContent), data.getAttribute("data-target"));
  });
});
"""


@functools.lru_cache(maxsize=1)
def bokeh_js() -> str:
    """BokehJS (the core bundle only: no widgets, tables, WebGL or MathJax) to inline."""
    from bokeh.resources import Resources

    js = Resources(mode="inline", components=["bokeh"]).js_raw[0]
    if "</script" in js.lower() or "<!--" in js:  # would end or confuse its <script> element
        raise RuntimeError("BokehJS cannot be inlined: it contains '</script' or '<!--'")
    return js


def screen_css() -> str:
    return (templates_dir() / TEMPLATE_NAME / "screen.css").read_text(encoding="utf-8")


def script_json(value) -> str:
    """JSON for a ``<script type="application/json">`` block that no data can break out of.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and
    ``\\u0026`` (the same string to ``JSON.parse``), so no text in the data, such as
    ``</script><script>...``, can end the element or open a comment; everything
    outside ASCII is escaped too (U+2028 and U+2029 included).
    """
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_markup(payload: dict, number: int) -> str:
    """The HTML of one interactive chart: its target, its JSON as data and its alt text."""
    import html

    target = f"runeco-chart-{int(number)}"
    alt = html.escape(str(payload.get("alt") or "chart"), quote=True)
    item = _renumber_ids(payload["item"], prefix=f"c{int(number)}-")
    return (
        f'<figure class="runeco-chart">'
        f'<div id="{target}" class="runeco-chart-target"></div>'
        f'<script type="application/json" class="runeco-chart-data" data-target="{target}">'
        f"{script_json(item)}</script>"
        f'<figcaption class="runeco-alt">{alt}</figcaption>'
        f"</figure>"
    )


def _renumber_ids(item: dict, *, prefix: str) -> dict:
    """A Bokeh ``json_item`` with its object ids renamed ``<prefix>1``, ``<prefix>2``, ...

    Bokeh numbers objects with a counter that runs on across a warm kernel's
    reports, so the same report would differ from run to run, and two charts
    of one page could share ids; renamed, they are unique in the page and the
    same report gives the same bytes.
    """
    ids: dict[str, str] = {}

    def rename(value):
        if isinstance(value, dict):
            return {
                key: ids.setdefault(inner, f"{prefix}{len(ids) + 1}")
                if key == "id" and isinstance(inner, str)
                else rename(inner)
                for key, inner in value.items()
            }
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    doc = rename(item["doc"])
    out = {key: value for key, value in item.items() if key != "doc"}
    out["doc"] = doc
    if isinstance(out.get("root_id"), str):
        out["root_id"] = ids.get(out["root_id"], out["root_id"])
    return out


def script_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: Iterable[str]) -> str:
    """The interactive report's policy: nothing external; only these inline scripts run.

    No ``'unsafe-inline'`` or ``'unsafe-eval'`` for scripts (the charts use no
    ``CustomJS``: BokehJS never calls ``eval``); styles stay ``'unsafe-inline'``
    as in print (our inline CSS, and BokehJS styles its own elements), and
    images only from ``data:`` URIs (the static figures, Bokeh's tool icons).
    """
    sources = " ".join(script_hash(s) for s in scripts)
    return (
        f"default-src 'none'; script-src {sources}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def safe_url_fetcher(images: dict[str, bytes] | None = None):
    """A WeasyPrint URL fetcher that serves only ``data:`` URIs and refuses everything else.

    Our reports carry their CSS inline and their figures as ``data:`` images,
    so nothing outside the document is ever needed; refusing ``file:``,
    ``http(s):`` and every other scheme means text from a data file can never
    make the PDF embed a local file, apply a local stylesheet or send a
    request, even if it were not escaped. ``images`` (from
    :func:`_images_by_reference`) are the document's own PNGs, served from
    memory by their ``runeco-image:N`` names.
    """
    from weasyprint import urls

    images = dict(images or {})
    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 66

        class _Fetcher(urls.URLFetcher):
            def fetch(self, url, headers=None):
                if url in images:
                    return urls.URLFetcherResponse(
                        url, images[url], headers={"Content-Type": "image/png"}
                    )
                return super().fetch(url, headers)

        return _Fetcher(allowed_protocols={"data"})

    def fetch(url, *args, **kwargs):  # older WeasyPrint: a fetcher function
        if str(url) in images:
            return {"string": images[str(url)], "mime_type": "image/png"}
        if not str(url).startswith("data:"):
            raise ValueError(f"runeco reports load no external resources: {str(url)[:80]!r}")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


_EMBEDDED_PNG_RE = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]*)"')


def _images_by_reference(html: str) -> tuple[str, dict[str, bytes]]:
    """``html`` with each embedded PNG's ``src`` replaced by a short name, and the PNGs.

    The figures are most of a report's HTML (about 250 kB of base64), which
    WeasyPrint's HTML parser reads character by character and then decodes:
    about 11 ms of every report. Given by name, the same bytes are fetched
    from memory (:func:`safe_url_fetcher`), and the PDF is the same.
    """
    images: dict[str, bytes] = {}

    def refer(match: re.Match) -> str:
        name = f"runeco-image:{len(images) + 1}"
        images[name] = base64.b64decode(match.group(1))
        return f'src="{name}"'

    return _EMBEDDED_PNG_RE.sub(refer, html), images


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_TYPES = {"RGB": 2, "L": 0}  # Pillow mode -> PNG colour type, 8 bits a sample


def png_stream_data(png: bytes, mode: str) -> bytes | None:
    """The compressed pixel data of a PNG, ready for a PDF image stream; None if it is not.

    A PDF image with ``/FlateDecode`` and a PNG predictor (``/Predictor 15``)
    holds exactly what a PNG's IDAT chunks hold, one zlib stream of filtered
    rows, when the PNG is 8-bit RGB (or grey) and not interlaced: that is our
    figures (:func:`analysis.charts.figure_png`). None for anything else
    (other bit depths, palettes, alpha, interlacing, a damaged file).
    """
    colour_type = _PNG_COLOUR_TYPES.get(mode)
    if colour_type is None or not png.startswith(_PNG_SIGNATURE):
        return None
    import struct

    header, idat, pos = None, [], len(_PNG_SIGNATURE)
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(png):
            return None
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    else:
        return None  # no IEND: a truncated file
    if header is None or len(header) != 13 or not idat:
        return None
    _, _, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, compression, filtering, interlace) != (8, colour_type, 0, 0, 0):
        return None
    return b"".join(idat)


def _embed_pngs_as_they_are() -> None:
    """Have WeasyPrint put a PNG's own compressed data into the PDF (:func:`png_stream_data`).

    WeasyPrint decodes every PNG and compresses it again at zlib's default
    level only to take the IDAT chunks of its own new PNG: about 50 ms of CPU
    per report (five 150 dpi figures). The data it would get is the same
    pixels (the PDF's image is decoded to the same rows), so where the PNG is
    already in that form its IDAT chunks are used directly; any other image
    takes WeasyPrint's own path. Installed once per process, on WeasyPrint's
    ``RasterImage._get_png_data`` (a static method taking the opened Pillow
    image); left alone if a WeasyPrint version has no such method.
    """
    from weasyprint.images import RasterImage

    current = RasterImage.__dict__.get("_get_png_data")
    if not isinstance(current, staticmethod) or getattr(current.__func__, "runeco", False):
        return
    encode = current.__func__

    def png_data(pillow_image):
        fp = getattr(pillow_image, "fp", None)  # the PNG it was opened from, not decoded yet
        data = None
        if pillow_image.format == "PNG" and hasattr(fp, "getvalue"):
            data = png_stream_data(fp.getvalue(), pillow_image.mode)
        return data if data is not None else encode(pillow_image)

    png_data.runeco = True
    RasterImage._get_png_data = staticmethod(png_data)


_SIZED_CODEPOINT_ARRAY_RE = re.compile(r"hb_codepoint_t\[(\d+)\]")


def _open_codepoint_arrays() -> None:
    """Have WeasyPrint's cffi make its glyph arrays without parsing C for each new length.

    WeasyPrint subsets each font of a PDF with HarfBuzz, handing it arrays
    made by ``ffi.new(f"hb_codepoint_t[{n}]", values)``; cffi parses a C
    declaration for every type string it has not seen, and with the number
    of glyphs in the string that is most of them (about 2 ms each with
    pycparser, some 0.25 s in a worker's 15 reports). The open array
    ``hb_codepoint_t[]`` with the same ``n`` values is the same memory, and
    its type is parsed once. Installed once per process on WeasyPrint's
    ``ffi``; any other call (another type, values of another length) goes to
    cffi as it is.
    """
    from weasyprint.text.ffi import ffi

    new = ffi.new
    if getattr(new, "runeco", False):
        return

    def new_array(cdecl, init=None):
        sized = _SIZED_CODEPOINT_ARRAY_RE.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if sized is not None and isinstance(init, list | tuple) and len(init) == int(sized[1]):
            return new("hb_codepoint_t[]", init)
        return new(cdecl, init)

    new_array.runeco = True
    ffi.new = new_array


@functools.lru_cache(maxsize=1)
def parsed_print_css():
    """The print stylesheet as a WeasyPrint ``CSS``, parsed once per process.

    WeasyPrint parses a page's ``<style>`` anew for every document (about
    25 ms of CPU per report); a parsed stylesheet serves any number of them.
    """
    import weasyprint

    return weasyprint.CSS(string=print_css())


_FONTS = threading.local()


def font_config():
    """This thread's WeasyPrint ``FontConfiguration``, made once and used for every PDF.

    WeasyPrint otherwise makes a new one per document (a new fontconfig
    configuration and Pango font map), so every report loads and measures
    its fonts again: about 25 ms of CPU per report. Our pages declare no
    ``@font-face``, so a kept configuration gives the same PDF byte for byte.
    One per thread: a Pango font map is not shared between threads.
    """
    config = getattr(_FONTS, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _FONTS.config = FontConfiguration()
    return config


def html_to_pdf(
    html: str,
    pdf_path: str | os.PathLike,
    *,
    base_url: str | None = None,
    print_stylesheet: bool = False,
) -> Path:
    """Print ``html`` to an A4 PDF with WeasyPrint (written atomically), fetching nothing.

    With ``print_stylesheet``, the page is printed with our print stylesheet
    (parsed once, :func:`parsed_print_css`): for a page made by
    :func:`notebook_to_html` with ``inline_css=False``, the same PDF as with
    the stylesheet in the page. A document that would end on a nearly empty
    page (:data:`SPARE_PAGE_FILL`) is laid out again with smaller figures, and
    printed so if that saves the page.
    """
    import weasyprint

    _embed_pngs_as_they_are()
    _open_codepoint_arrays()
    html, images = _images_by_reference(html)
    stylesheets = [parsed_print_css()] if print_stylesheet else []

    def render(extra=()):
        return weasyprint.HTML(
            string=html, base_url=base_url, url_fetcher=safe_url_fetcher(images)
        ).render(stylesheets=[*stylesheets, *extra], font_config=font_config())

    document = render()
    if len(document.pages) > 1 and last_page_fill(document) < SPARE_PAGE_FILL:
        for scale in COMPACT_FIGURE_SCALES:
            smaller = render([compact_css(scale)])
            if len(smaller.pages) < len(document.pages):
                document = smaller
                break
    return _write_atomic(Path(pdf_path), document.write_pdf())


SPARE_PAGE_FILL = 0.25
"""A last page filled less than this (share of its height) is printed again with
smaller figures (:data:`COMPACT_FIGURE_SCALES`) if that saves the page: a report
whose row warnings push only its references and settings over (7 % of a page
for the sample squad's R01 with the controls' training-load note) ends a page
earlier."""

COMPACT_FIGURE_SCALES = (0.9, 0.8)
"""Widths, as a share of their usual width, tried in turn for the figures of a
report that would end on a nearly empty page; the first that saves a page is
kept, and none when neither does."""


@functools.lru_cache(maxsize=len(COMPACT_FIGURE_SCALES))
def compact_css(scale: float):
    """The stylesheet that draws every figure at ``scale`` of its usual width (parsed once)."""
    import weasyprint

    width = f"{100 * scale:g}%"
    return weasyprint.CSS(string=f"img, svg {{ max-width: {width}; }}")


def last_page_fill(document) -> float:
    """How much of its height the content of a WeasyPrint document's last page takes, 0 to 1.

    The bottom of its lowest line or image below the top of the page's content
    area, over that area's height; the page's margin boxes (running title,
    page number) are not content. 1 (full, so nothing is tried) where the
    layout cannot be read, e.g. from a WeasyPrint whose box classes differ.
    """
    from weasyprint.formatting_structure import boxes

    try:
        page = document.pages[-1]._page_box
        top, height = page.content_box_y(), page.height
        bottom = top
        for child in page.children:
            if isinstance(child, boxes.MarginBox):
                continue
            for box in child.descendants():
                if isinstance(box, boxes.LineBox | boxes.ReplacedBox):
                    bottom = max(bottom, box.position_y + box.margin_height())
        return float(min(1.0, max(0.0, (bottom - top) / height))) if height > 0 else 1.0
    except (AttributeError, TypeError, IndexError):
        return 1.0


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write through a temporary file and a rename: a reader never sees half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:  # plain open: the file gets the umask's permissions
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
