"""Fitness signals beside the heart-rate answer (analysis.models.fitness)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.fitness import (
    COLUMNS,
    add_fitness_signals,
    fitness_signals,
    fitness_words,
    signal_lookup,
)
from analysis.models.inference import verdict_text

BLOCK = pd.DataFrame(
    [
        {
            "runner_id": "A",
            "baseline_start": pd.Timestamp("2026-01-01"),
            "block_start": pd.Timestamp("2026-02-01"),
            "block_end": pd.Timestamp("2026-04-01"),
        }
    ]
)


def _lab(rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "vo2_ml_kg_min", "rer"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_best_race_of_each_window_and_the_maximal_tests_around_the_block():
    races = pd.DataFrame(
        {
            "runner_id": ["A"] * 5 + ["A"],
            "date": pd.to_datetime(
                ["2025-12-31", "2026-01-05", "2026-01-31", "2026-02-01", "2026-04-02", "2026-03-01"]
            ),
            "race_vdot": [70.0, 50.0, 51.5, 52.0, 80.0, np.nan],
        }
    )
    lab = _lab(
        [
            ("A", "2025-11-01", 55.0, 1.15),  # maximal, but an earlier one
            ("A", "2026-01-20", 57.0, 1.12),  # the last maximal test before the block
            ("A", "2026-01-20", 40.0, 0.90),
            ("A", "2026-04-03", 61.0, 1.05),  # submaximal: not a VO2max
            ("A", "2026-04-10", 59.5, 1.11),  # the first maximal test after it
            ("A", "2026-05-10", 62.0, 1.11),
        ]
    )
    got = fitness_signals(races, lab, BLOCK).loc["A"]
    assert got["race_vdot_baseline"] == 51.5  # 2025-12-31 is before the baseline
    assert got["race_vdot_block"] == 52.0  # 2026-04-02 is after the block
    assert got["lab_vo2max_pre"] == 57.0
    assert got["lab_vo2max_post"] == 59.5


def test_no_signal_is_nan_not_zero():
    races = pd.DataFrame({"runner_id": ["A"], "date": [pd.Timestamp("2026-03-01")]})
    got = fitness_signals(races, None, BLOCK).loc["A"]
    assert got.isna().all()


def _row(**extra):
    return {
        "verdict": "improved",
        "o2_cost_change_pct": -4.0,
        "ci_low_pct": -7.0,
        "ci_high_pct": -1.0,
        "mdc_pct": 3.0,
        "method": "field_hr",
        "reference": "none",
        **extra,
    }


def test_a_heart_rate_answer_without_controls_names_what_else_it_can_be():
    text = verdict_text(_row(race_vdot_baseline=50.04, race_vdot_block=52.26), 2.5)
    assert text.startswith("More economical: oxygen cost changed by -4.0 %")
    assert "aerobic fitness or the season" in text
    assert "race VDOT 50.0 → 52.3" in text
    alone = verdict_text(_row(), 2.5)
    assert "a maximal lab test before and after the block would tell them apart" in alone
    worse = verdict_text(
        _row(verdict="worsened", o2_cost_change_pct=4.0, ci_low_pct=1.0, ci_high_pct=7.0), 2.5
    )
    assert "can also rise with aerobic fitness" in worse
    # With controls, or from the lab, the sentence is the verdict alone.
    assert "Without controls" not in verdict_text(_row(reference="controls"), 2.5)
    assert "Without controls" not in verdict_text(_row(method="lab"), 2.5)


def test_analyze_carries_the_race_vdot_of_each_window(sample_dir):
    ds = load_dataset(sample_dir)
    metrics = run_metrics(ds)
    out = analyze(ds, metrics=metrics, control_reference=False)
    row = out.loc[(out["runner_id"] == "R01") & (out["method"] == "field_hr")].iloc[0]
    races = metrics.loc[(metrics["runner_id"] == "R01") & metrics["race_vdot"].notna()]
    day = races["date"].dt.normalize()
    in_block = (day >= row["block_start"]) & (day <= row["block_end"])
    in_base = (day >= row["baseline_start"]) & (day < row["block_start"])
    assert row["race_vdot_block"] == pytest.approx(races.loc[in_block, "race_vdot"].max())
    assert row["race_vdot_baseline"] == pytest.approx(races.loc[in_base, "race_vdot"].max())
    words = f"race VDOT {row['race_vdot_baseline']:.1f} → {row['race_vdot_block']:.1f}"
    assert words in row["verdict_text"]


def test_signals_on_the_edges_of_the_windows():
    """A race on the baseline's first day counts in the baseline, one on the block's
    last day in the block; maximal tests on the block's first and last days are the
    pre and post tests. Ids given as numbers, a baseline start with a time of day,
    a second block row (the first counts) and a runner without a block end."""
    blocks = pd.DataFrame(
        [
            {
                "runner_id": 7,
                "baseline_start": pd.Timestamp("2026-01-01 12:00"),
                "block_start": "2026-02-01",
                "block_end": "2026-04-01",
            },
            {
                "runner_id": 7,
                "baseline_start": "2026-04-02",
                "block_start": "2026-05-01",
                "block_end": "2026-06-01",
            },
            {
                "runner_id": "B",
                "baseline_start": "2026-01-01",
                "block_start": "2026-02-01",
                "block_end": pd.NaT,
            },
        ]
    )
    races = pd.DataFrame(
        {
            "runner_id": [7, 7, 7, 7],
            "date": [
                pd.Timestamp(d)
                for d in ("2026-01-01 08:00", "2026-01-20", "2026-04-01 18:00", "2026-03-01")
            ],
            "race_vdot": [55.0, 50.0, 56.0, 51.0],
        }
    )
    lab = _lab(
        [
            ("7", "2026-01-10", 50.0, 1.12),
            ("7", "2026-02-01", 52.0, 1.12),  # on the block's first day: the pre test
            ("7", "2026-04-01", 58.0, 1.15),  # on its last day: the post test
            ("7", "2026-04-20", 60.0, 1.15),
        ]
    )
    got = fitness_signals(races, lab, blocks)
    assert list(got.index) == ["7"]
    assert got.loc["7"].to_dict() == {
        "race_vdot_baseline": 55.0,
        "race_vdot_block": 56.0,
        "lab_vo2max_pre": 52.0,
        "lab_vo2max_post": 58.0,
    }


def test_fitness_words_and_rows():
    row = {
        "lab_vo2max_pre": 57.04,
        "lab_vo2max_post": 59.46,
        "race_vdot_baseline": np.nan,
        "race_vdot_block": 52.0,
    }
    assert fitness_words(row) == "lab VO2max 57.0 → 59.5"  # a signal needs both ends
    row["race_vdot_baseline"] = 50.0
    assert fitness_words(row) == "lab VO2max 57.0 → 59.5, race VDOT 50.0 → 52.0"
    assert fitness_words({"lab_vo2max_pre": 57.0, "race_vdot_baseline": None}) == ""
    signals = signal_lookup(pd.DataFrame({c: [1.0] for c in COLUMNS}, index=["A"]))
    assert add_fitness_signals({"runner_id": "A"}, signals)["lab_vo2max_post"] == 1.0
    absent = add_fitness_signals({"runner_id": "Z"}, signals)
    assert all(np.isnan(absent[c]) for c in COLUMNS)
