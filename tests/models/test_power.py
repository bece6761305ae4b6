"""Power and planning: the minimum detectable change of a design."""

from __future__ import annotations

import math

import pytest

from analysis.cli import main
from analysis.models import analyze
from analysis.models.power import (
    cheapest_plan,
    detectable_change,
    plan,
    ramp_se_per_sigma,
    serial_inflation,
)


def test_ramp_se_by_hand():
    # 2 baseline runs (ramp 0, 0) and 2 block runs (0.5, 1): X'X = [[4, 1.5], [1.5, 1.25]],
    # det 2.75, [(X'X)^-1]_11 = 4 / 2.75
    assert ramp_se_per_sigma(1, 1, 2) == pytest.approx(math.sqrt(4 / 2.75))


def test_more_runs_and_weeks_detect_smaller_changes():
    base = detectable_change(4.0, 6, 10, 4)
    assert detectable_change(4.0, 6, 10, 6) < base
    assert detectable_change(4.0, 8, 12, 4) < base
    assert detectable_change(2.0, 6, 10, 4) == pytest.approx(base / 2, rel=0.03)
    assert detectable_change(4.0, 6, 10, 4, serial_inflation=2.0) > base


def test_plan_table_and_cheapest_plan():
    table = plan(2.5, target_pct=3.0)
    assert table["mdc_pct"].is_monotonic_increasing
    best = cheapest_plan(table)
    assert best is not None and best["mdc_pct"] <= 3.0
    assert cheapest_plan(plan(8.0, target_pct=1.0)) is None


def test_a_runners_own_fit_predicts_its_detectable_change(sample_dir):
    from analysis.io import load_dataset

    out = analyze(load_dataset(sample_dir), control_reference=False)
    field = out.loc[out["method"] == "field_hr"]
    for _, row in field.iterrows():
        inflation = serial_inflation(row)
        assert 1.0 <= inflation < 3.0
        weeks = row["block_weeks"]
        per_week = row["n_block_runs"] / weeks
        predicted = detectable_change(
            row["typical_error_pct"],
            row["n_baseline_runs"] / per_week,
            weeks,
            per_week,
            serial_inflation=inflation,
        )
        assert predicted == pytest.approx(row["mdc_pct"], rel=0.15), row["runner_id"]


def test_plan_command(sample_dir, capsys):
    assert main(["plan", "--typical-error-pct", "2.5"]) == 0
    assert "to detect a 3 % change with 80 % power: " in capsys.readouterr().out
    assert main(["plan", str(sample_dir), "--runner", "R03"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("R03: now detects ") and "needs " in out
