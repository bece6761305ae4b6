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


def test_uneven_fitness_gives_each_runner_its_own_rise(validate):
    pd = __import__("pandas")
    truth = pd.DataFrame(
        {
            "runner_id": ["A", "B", "C"],
            "group": ["strength", "control", "control"],
            "o2_cost_change_pct": [-4.0, 0.0, 0.0],
            "block_start": ["2026-03-02"] * 3,
            "block_end": ["2026-05-11"] * 3,
        }
    )
    end = pd.Timestamp("2026-05-11")
    metrics = pd.DataFrame(
        {"runner_id": ["A", "B", "C"] * 2, "date": [end - pd.Timedelta(weeks=20)] * 3 + [end] * 3}
    ).assign(o2_cost_ml_kg_km=200.0)
    out = validate.SCENARIOS["fitness rising unevenly (3-6 %, each runner its own)"][1](
        metrics, truth
    )
    before, after = out["o2_cost_ml_kg_km"].iloc[:3], out["o2_cost_ml_kg_km"].iloc[3:]
    assert (before == 200.0).all()  # before the block: untouched
    rise = 1 - after.to_numpy() / 200.0
    assert ((rise >= 0.03) & (rise <= 0.06)).all() and len(set(rise.round(6))) == 3
    again = validate.SCENARIOS["fitness rising unevenly (3-6 %, each runner its own)"][1](
        metrics, truth
    )
    assert again["o2_cost_ml_kg_km"].equals(
        out["o2_cost_ml_kg_km"]
    )  # the same squad, the same rises
