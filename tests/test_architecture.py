"""The layers of docs/ARCHITECTURE.md hold, and the test of them can fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

SRC = REPO_ROOT / "src"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Only the top of the house may import lazily, for start-up time.
LAZY_IMPORTS_ALLOWED = {"cli.py", "report.py"}


def _lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=src.parent,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_layer_contract_is_kept():
    done = _lint_imports(SRC, REPO_ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_layer_contract_fails_on_a_back_edge(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(SRC / "analysis", copy / "analysis")
    physiology = copy / "analysis" / "physiology.py"
    physiology.write_text(physiology.read_text() + "\nimport analysis.cli  # back-edge\n")
    done = _lint_imports(copy, REPO_ROOT / "pyproject.toml")
    assert done.returncode != 0
    assert "analysis.physiology -> analysis.cli" in done.stdout


@pytest.mark.parametrize("module", ["analysis.physiology", "analysis.strength", "analysis.schema"])
def test_formulas_load_neither_io_nor_parquet(module):
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.startswith('analysis.io') "
        "or m.startswith('pyarrow.parquet')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            names = []
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [a.name for a in inner.names]
            found += [f"{path.name}:{inner.lineno} {n}" for n in names if n.startswith("analysis")]
    return found


def test_no_lazy_import_dodges_a_cycle():
    offenders = []
    for path in sorted((SRC / "analysis").rglob("*.py")):
        if path.name in LAZY_IMPORTS_ALLOWED and path.parent.name == "analysis":
            continue
        offenders += _function_level_imports(path)
    assert offenders == []


def test_the_lazy_import_check_sees_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from analysis.io import load_dataset\n    return load_dataset\n"
    )
    assert _function_level_imports(module) == ["m.py:2 analysis.io"]
