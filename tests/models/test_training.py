"""Training load over the block against the baseline (analysis.models.training)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.training import (
    LOAD_RATIO_LIMITS,
    training_load,
    training_load_note,
)

BLOCK = {
    "runner_id": "A",
    "group": "strength",
    "baseline_start": pd.Timestamp("2026-01-01"),  # 14 days of baseline
    "block_start": pd.Timestamp("2026-01-15"),
    "block_end": pd.Timestamp("2026-02-04"),  # 21 days of block, both ends included
}


def _runs(rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "trimp", "duration_s"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_load_per_week_counts_each_window_by_its_days():
    runs = _runs(
        [
            ("A", "2025-12-31", 999.0, 3600),  # the day before the baseline: not counted
            ("A", "2026-01-01", 300.0, 3600),  # the baseline's first day
            ("A", "2026-01-14", 400.0, 3600),  # the day before the block: baseline
            ("A", "2026-01-15", 600.0, 3600),  # the block's first day
            ("A", "2026-02-04", 975.0, 3600),  # the block's last day
            ("A", "2026-02-05", 999.0, 3600),  # after the block: not counted
        ]
    )
    load = training_load(runs, pd.DataFrame([BLOCK]))
    assert load.at["A", "training_load_basis"] == "trimp"
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(700.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(1575.0 / 3)
    assert load.at["A", "training_load_ratio"] == pytest.approx(525.0 / 350.0)


def test_load_falls_back_to_minutes_when_heart_rate_is_missing_on_many_runs():
    runs = _runs(
        [
            ("A", "2026-01-02", 100.0, 1800),
            ("A", "2026-01-03", np.nan, 1800),  # half the runs without TRIMP
            ("A", "2026-01-20", 100.0, 5400),
            ("A", "2026-01-21", np.nan, 5400),
        ]
    )
    load = training_load(runs, pd.DataFrame([BLOCK]))
    assert load.at["A", "training_load_basis"] == "minutes"
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(60.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(180.0 / 3)
    assert load.at["A", "training_load_ratio"] == pytest.approx(2.0)


def test_no_baseline_load_gives_no_ratio_and_no_block_gives_no_row():
    runs = _runs([("A", "2026-01-20", 100.0, 3600), ("B", "2026-01-20", 100.0, 3600)])
    blocks = pd.DataFrame([BLOCK, {**BLOCK, "runner_id": "B", "block_start": pd.NaT}])
    load = training_load(runs, blocks)
    assert list(load.index) == ["A"]
    assert np.isnan(load.at["A", "training_load_ratio"])
    assert training_load_note(load.at["A", "training_load_ratio"], "trimp") == ""


@pytest.mark.parametrize(
    "ratio, says",
    [
        (LOAD_RATIO_LIMITS[1] - 0.01, ""),
        (LOAD_RATIO_LIMITS[1], "rose: 1.30×"),
        (LOAD_RATIO_LIMITS[0] + 0.01, ""),
        (LOAD_RATIO_LIMITS[0], "fell: 0.80×"),
    ],
)
def test_note_is_given_at_the_limits_and_not_inside(ratio, says):
    note = training_load_note(ratio, "trimp", 1.05)
    if not says:
        assert note == ""
    else:
        assert says in note
        assert "Banister TRIMP" in note and "controls: 1.05×" in note


def test_analyze_notes_a_strength_runners_rise_in_load_without_changing_the_answer(sample_dir):
    ds = load_dataset(sample_dir)
    metrics = run_metrics(ds)
    before = analyze(ds, metrics=metrics)
    row = before.loc[(before["runner_id"] == "R03") & (before["method"] == "field_hr")].iloc[0]
    more = metrics.copy()
    in_block = (more["runner_id"] == "R03") & (more["date"] >= row["block_start"])
    more.loc[in_block, "trimp"] *= 1.6  # the same runs, trained harder
    after = analyze(ds, metrics=more)
    changed = after.loc[(after["runner_id"] == "R03") & (after["method"] == "field_hr")].iloc[0]
    assert changed["training_load_ratio"] == pytest.approx(1.6 * row["training_load_ratio"])
    assert "training load rose" in changed["warning"]
    controls = before.loc[(before["group"] == "control") & (before["method"] == "field_hr")]
    median = controls.drop_duplicates("runner_id")["training_load_ratio"].median()
    assert f"controls: {median:.2f}×" in changed["warning"]
    # A note, not an adjustment: the estimate and its interval are the same.
    for col in ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "verdict"):
        assert changed[col] == row[col]
    # Nobody else got the note.
    others = after.loc[after["runner_id"] != "R03", "warning"].fillna("")
    assert not others.str.contains("training load").any()


def test_page_one_check_first_carries_the_note():
    from analysis.narrative import level_warning

    row = {
        "baseline_o2_cost_ml_kg_km": 200.0,
        "params_defaulted": False,
        "verdict": "improved",
        "training_load_ratio": 1.45,
        "training_load_basis": "minutes",
    }
    text = level_warning(row)
    assert text.startswith("**Check first.**")
    assert "training load rose: 1.45×" in text and "running minutes" in text
    assert level_warning({**row, "training_load_ratio": 1.1}) == ""
    assert level_warning({**row, "verdict": "insufficient data: 3 steady runs"}) == ""
