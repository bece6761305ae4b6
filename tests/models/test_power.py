"""Power and planning: the minimum detectable change of a design."""

from __future__ import annotations

import math

import pytest

from analysis.cli import main
from analysis.models import analyze, fit_runner, squad_serial_prior
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
    """The plan's prediction from a runner's typical error, runs and serial
    correlation matches the detectable change of the runner's own fit (the sample
    squad's analyze headline is pooled with its group, so each runner is fitted
    alone here, under the squad's serial prior, as analyze fits it)."""
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics

    ds = load_dataset(sample_dir)
    metrics, blocks = run_metrics(ds), runner_blocks(ds)
    out = analyze(ds, metrics=metrics, blocks=blocks, control_reference=False)
    design = {"heat_onset_c": out["heat_onset_c"].dropna().iloc[0]}
    prior = squad_serial_prior(metrics, blocks, **design)
    field = out.loc[out["method"] == "field_hr"]
    assert (field["pooling"] == "group").all()
    for _, pooled in field.iterrows():
        block = blocks.set_index("runner_id").loc[pooled["runner_id"]].copy()
        block["runner_id"] = pooled["runner_id"]
        row = fit_runner(metrics, block, serial_prior=prior, **design).row
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
