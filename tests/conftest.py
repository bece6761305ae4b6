"""Shared fixtures: the shared reference folder, the sample squad, its rendered
reports, hand-written datasets."""

from __future__ import annotations

import os
import pickle
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.paths import REPO_ROOT, SAMPLE_DIR, SHARED_DIR, load_benchmark


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``/work/shared`` (the repo root's sibling ``shared``); skips when absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared reference folder {SHARED_DIR} is not present")
    return SHARED_DIR


@pytest.fixture(scope="session")
def validate():
    """``benchmarks/validate_model.py`` as a module (the scenario suite and its
    transforms), for the tests of the suite and of what it exercises."""
    return load_benchmark("validate_model")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample squad ``data/sample``; skips until it has been generated."""
    if not (SAMPLE_DIR / "runners.csv").is_file():
        pytest.skip("data/sample has not been generated yet (make sample)")
    return SAMPLE_DIR


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], object]):
    """``make(folder)``'s value, computed once per test run and shared by its processes.

    Under pytest-xdist each worker has its own session; the first to ask computes
    the value in a folder of the run's shared temporary folder while the others
    wait on a lock, then everyone reads its pickle. For costly fixtures that
    several test modules read (so that ``--dist loadscope`` cannot keep them on
    one worker). The value and the files in ``folder`` are read-only to the tests.
    """
    from filelock import FileLock

    # under xdist, the parent of a worker's base folder is the run's, shared by its workers
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    done = root / f"{name}.pickle"
    with FileLock(str(root / f"{name}.lock")):
        if not done.is_file():
            folder.mkdir(exist_ok=True)
            partial = done.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(make(folder)))
            os.replace(partial, done)  # a worker killed mid-write leaves no half pickle
    return pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory, sample_dir):
    """The whole sample squad rendered once per run: every runner report and the
    squad report as PDFs (``summary.out_dir``), with every figure as PNG and SVG
    (``summary.figures_dir``), as ``runeco report --squad --figures`` makes them.

    The :class:`analysis.report.RenderSummary`; 15 s of rendering that five test
    modules read. A test that changes a report renders its own.
    """
    from analysis import report

    def render(folder: Path):
        return report.render_reports(
            sample_dir,
            folder / "out",
            squad=True,
            workers=2,
            progress=False,
            figures_dir=folder / "figures",
        )

    return once_per_run(tmp_path_factory, "sample-reports", render)


@pytest.fixture
def sample_copy(tmp_path, sample_dir) -> Path:
    """A writable copy of the sample squad, for tests that change its files."""
    import shutil

    folder = tmp_path / "squad"
    shutil.copytree(sample_dir, folder)
    return folder


def _write_dataset(directory, **files) -> Path:
    """Write a hand-made dataset folder and return it.

    Each keyword is a file stem (``runners``, ``runs``, ``strength``,
    ``blocks``, ``lab_tests``; any other stem is written too) and its value:
    ``str`` (dedented, a leading newline dropped, written as UTF-8 exactly,
    so line numbers are those of the text), ``bytes`` (written as is), a
    DataFrame (``to_csv(index=False)``) or ``None`` (not written).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        path = folder / (stem if stem.endswith(".csv") else f"{stem}.csv")
        if content is None:
            continue
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        else:
            text = textwrap.dedent(content)
            if text.startswith("\n"):
                text = text[1:]
            path.write_bytes(text.encode("utf-8"))
    return folder


@pytest.fixture
def write_dataset():
    """``write_dataset(directory, **csv_texts) -> Path``: write a dataset folder.

    Example: ``write_dataset(tmp_path, runners="runner_id\\nR01\\n", runs=...)``.
    """
    return _write_dataset
