"""Where the tests find their data: the repository's own, and ../shared when it is there."""

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = REPO_ROOT / "tests"
FIXTURES_DIR = TESTS_DIR / "fixtures"
VECTORS_DIR = TESTS_DIR / "data" / "reference" / "vectors"
"""Published and computed test vectors (SCIENCE.md), kept in the repository so CI checks them."""
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
SHARED_DIR = REPO_ROOT.parent / "shared"
REAL_DIR = SHARED_DIR / "data" / "real"
"""Real device files and app exports; only present beside a developer's checkout."""


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` as a module (registered in ``sys.modules``: a
    module's dataclasses look it up there), for the tests of a generator or suite."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
