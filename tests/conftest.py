"""Shared fixtures: the shared reference folder, the sample squad, hand-written datasets."""

from __future__ import annotations

import textwrap
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
