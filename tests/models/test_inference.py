"""Result rows: the headline, raw columns, defaults and verdict sentences, exactly."""

from __future__ import annotations

import math

import pytest

from analysis.models.inference import finish_row, verdict_text, welch_df
from analysis.models.power import TYPICAL_SERIAL_INFLATION, serial_inflation


def test_a_row_without_an_estimate_gets_every_default():
    row = finish_row({"verdict": "insufficient data: no runs"}, 2.5)
    assert row["swc_pct"] == 2.5 and row["reference"] == "none"
    assert row["n_reference_runners"] == 0
    for col in (
        "raw_change_pct",
        "raw_ci_low_pct",
        "raw_ci_high_pct",
        "reference_change_pct",
        "mdc_pct",
    ):
        assert math.isnan(row[col]), col
    assert row["verdict_text"] == "No answer yet: no runs."
    assert "_b" not in row and "_se" not in row and "_df" not in row


def test_a_fitted_row_without_controls():
    row = finish_row({"_b": math.log(0.95), "_se": 0.01, "_df": math.inf}, 2.5)
    assert row["o2_cost_change_pct"] == pytest.approx(-5.0)
    assert row["raw_change_pct"] == pytest.approx(-5.0)
    assert row["ci_low_pct"] == pytest.approx(
        100 * (math.exp(math.log(0.95) - 1.959964 * 0.01) - 1), abs=1e-4
    )
    assert row["reference"] == "none" and row["verdict"] == "improved"
    assert row["p_value"] < 1e-6
    assert "_b" not in row


def test_a_fitted_row_referenced_to_controls():
    reference = (math.log(1.02), 0.0001, 4.0, 5)  # controls rose 2 %, variance 1e-4, df 4, n 5
    row = finish_row({"_b": math.log(0.97), "_se": 0.01, "_df": 60.0}, 2.5, reference)
    assert row["reference"] == "controls" and row["n_reference_runners"] == 5
    assert row["reference_change_pct"] == pytest.approx(2.0)
    assert row["raw_change_pct"] == pytest.approx(-3.0)
    assert row["o2_cost_change_pct"] == pytest.approx(100 * (0.97 / 1.02 - 1))
    # combined SE sqrt(1e-4 + 1e-4); Welch df (2e-4)^2 / (1e-8/60 + 1e-8/4)
    se = math.sqrt(2e-4)
    df = welch_df([1e-4, 1e-4], [60.0, 4.0])
    assert df == pytest.approx(4e-8 / (1e-8 / 60 + 1e-8 / 4))
    assert row["mdc_pct"] > 100 * (1 - math.exp(-2.8 * se))  # t quantiles at ~7 df are wider
    assert "relative to the controls" in row["verdict_text"]


def test_a_clear_change_of_the_controls_is_named_with_the_assumption_it_carries():
    """Difference in differences assumes the runner would have moved as the controls
    did; where the controls' own change is clear, the row says so and names the
    reading that holds if they trained differently (the raw change)."""
    clear = (math.log(1.02), 0.0001, math.inf, 8)  # +2 %, SE 1 %: the CI excludes 0
    row = finish_row(
        {"_b": math.log(0.96), "_se": 0.01, "_df": 60.0, "group": "strength", "warning": "x"},
        2.5,
        clear,
    )
    note = row["warning"]
    assert note.startswith("x; the controls' own oxygen cost changed by +2.0 % (95 % CI ")
    low, high = 100 * math.expm1(math.log(1.02) - 0.0196), 100 * math.expm1(math.log(1.02) + 0.0196)
    assert f"(95 % CI {low:+.1f} to {high:+.1f})" in note
    assert "read the change before the reference (-4.0 %)" in note
    # not clear (the CI includes 0), or a control (referenced to the other controls): nothing
    vague = (math.log(1.015), 0.0001, math.inf, 8)
    row = finish_row(
        {"_b": math.log(0.96), "_se": 0.01, "_df": 60.0, "group": "strength"}, 2.5, vague
    )
    assert not row.get("warning")
    row = finish_row(
        {"_b": math.log(0.96), "_se": 0.01, "_df": 60.0, "group": "control"}, 2.5, clear
    )
    assert not row.get("warning")


@pytest.mark.parametrize(
    ("verdict", "start"),
    [
        ("improved", "More economical: oxygen cost changed by -5.0 % (95 % CI -7.0 to -3.0 %)."),
        ("worsened", "Less economical: oxygen cost changed by -5.0 % (95 % CI -7.0 to -3.0 %)."),
        (
            "no meaningful change",
            "No change larger than 2.5 %: oxygen cost changed by -5.0 % "
            "(95 % CI -7.0 to -3.0 %), inside the smallest worthwhile change.",
        ),
        (
            "inconclusive",
            "Inconclusive: these data can only detect changes larger than about 6.4 %; "
            "oxygen cost changed by -5.0 % (95 % CI -7.0 to -3.0 %).",
        ),
    ],
)
def test_verdict_sentences(verdict, start):
    row = {
        "verdict": verdict,
        "o2_cost_change_pct": -5.0,
        "ci_low_pct": -7.0,
        "ci_high_pct": -3.0,
        "mdc_pct": 6.4,
        "reference": "none",
    }
    assert verdict_text(row, 2.5) == start


def test_serial_inflation_guards_and_value():
    full = {
        "typical_error_pct": 3.0,
        "raw_ci_low_pct": -8.0,
        "raw_ci_high_pct": 2.0,
        "n_baseline_runs": 25,
        "n_block_runs": 45,
        "block_weeks": 10.0,
    }
    assert 1.0 <= serial_inflation(full) < 3.0
    for key, bad in [
        ("typical_error_pct", math.nan),
        ("typical_error_pct", 0.0),
        ("n_baseline_runs", 1),
        ("n_block_runs", 1),
        ("raw_ci_low_pct", None),
        ("block_weeks", math.nan),
    ]:
        assert serial_inflation({**full, key: bad}) == TYPICAL_SERIAL_INFLATION, key
    # a narrow interval never gives an inflation below 1 (white noise is the floor)
    assert serial_inflation({**full, "raw_ci_low_pct": -3.01, "raw_ci_high_pct": -2.99}) == 1.0
