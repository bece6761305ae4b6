"""The scenario-suite script runs and measures what it says (a small version of `make validate-model`)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.paths import REPO_ROOT


@pytest.fixture(scope="module")
def validate():
    spec = importlib.util.spec_from_file_location(
        "validate_model", REPO_ROOT / "benchmarks" / "validate_model.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_scenario_table(validate, tmp_path):
    rows = [
        validate.run_scenario(name, squads=1, runners=16, root=tmp_path)
        for name in ("default", "fitness rising in both groups (-4.5 %)")
    ]
    for row in rows:
        assert set(row) == set(validate.COLUMNS)
        assert row["runners"] == 16
        assert abs(row["bias_pp"]) < 1.5  # one squad: a loose bound; the suite reports the rest
        assert 0.6 <= row["coverage"] <= 1.0
        assert row["controls_improved"].endswith("/8")
    text = validate.to_markdown(__import__("pandas").DataFrame(rows))
    assert text.count("\n") == 4 and "| fitness rising in both groups" in text
