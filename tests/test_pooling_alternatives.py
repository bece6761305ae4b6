"""The other population models' benchmark recomputes our pooling exactly before it
compares (benchmarks/pooling_alternatives.py): its engine with a normal population
must give analyze's pooled headline, or its table compares nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.models.pooling import pooled_values
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def alternatives():
    return load_benchmark("pooling_alternatives")


def test_the_normal_population_is_analyzes_pooling(alternatives):
    rng = np.random.default_rng(25)
    d = rng.normal(-0.03, 0.02, 8)
    s = rng.uniform(0.01, 0.02, 8)
    ref, vref = np.full(8, -0.01), np.full(8, 0.006**2)
    centre, low, high = alternatives.pooled("normal", d, s, ref, vref)
    headline = {f"R{i}": (d[i], s[i], ref[i], vref[i], math.inf) for i in range(8)}
    ours = pooled_values([(f"R{i}", "strength", ("w",)) for i in range(8)], headline)
    for i in range(8):
        want = ours[f"R{i}"]
        # our grid (400 points over tau) against the benchmark's (50 x 50 over mu, tau)
        assert centre[i] == pytest.approx(want[0], abs=2e-4)
        assert low[i] == pytest.approx(want[1], abs=6e-4)
        assert high[i] == pytest.approx(want[2], abs=6e-4)


def test_the_spike_pulls_a_non_responder_to_the_controls_and_t4_does_not(alternatives):
    """Four responders at -5 % and four runners at the controls' change (0), SE 1 %:
    the responder / non-responder mixture leaves the four near 0; the normal and t4
    populations pull them toward the group's mean."""
    d = np.log1p(np.array([-0.05] * 4 + [0.0] * 4))
    s, ref, vref = np.full(8, 0.01), np.zeros(8), np.zeros(8)
    normal = alternatives.pooled("normal", d, s, ref, vref)[0][4:]
    t4 = alternatives.pooled("t4", d, s, ref, vref)[0][4:]
    spike = alternatives.pooled("spike", d, s, ref, vref)[0][4:]
    assert np.all(spike > -0.003)
    assert np.all(normal < -0.004) and np.all(t4 < -0.004)


def test_the_averaged_model_follows_the_mixture_only_where_the_group_is_split(alternatives):
    """Model averaging: four responders at -5 % and four at the controls' change give
    the mixture most of the weight (the four stay near 0); eight runners spread
    evenly around -3 % give the normal population most of it (each headline within
    0.2 pp of the normal model's)."""
    s, ref, vref = np.full(8, 0.01), np.zeros(8), np.zeros(8)
    split = np.log1p(np.array([-0.05] * 4 + [0.0] * 4))
    assert np.all(alternatives.pooled("bma", split, s, ref, vref)[0][4:] > -0.004)
    even = np.log1p(np.linspace(-0.045, -0.015, 8))
    averaged = alternatives.pooled("bma", even, s, ref, vref)[0]
    normal = alternatives.pooled("normal", even, s, ref, vref)[0]
    np.testing.assert_allclose(averaged, normal, atol=0.002)


def test_a_generators_rows_keep_only_the_answers_pooled_against_controls(alternatives, tmp_path):
    """``--rows``: an independent generator's per-runner CSV is read as analyze's own
    rows: an unanswered row, one not pooled and one without the control reference
    are left out; the squad is (scenario, seed, block), the truth its true change,
    the group analyze's; the referenced change is read back from the columns."""
    base = {
        "scenario": "half_null",
        "seed": 1101,
        "block": 1,
        "group": "strength",
        "group_out": "strength",
        "true_change_pct": -4.0,
        "verdict": "improved",
        "pooling": "group",
        "reference": "controls",
        "raw_change_pct": -5.0,
        "raw_ci_low_pct": -8.0,
        "raw_ci_high_pct": -2.0,
        "reference_change_pct": -1.0,
        "own_ci_low_pct": -9.0,
        "own_ci_high_pct": 1.0,
        "o2_cost_change_pct": -4.1,
        "ci_low_pct": -7.0,
        "ci_high_pct": -1.0,
    }
    frame = pd.DataFrame(
        [
            base,
            {**base, "seed": 1102, "group": "control", "group_out": "control"},
            {**base, "verdict": "insufficient data: no baseline runs"},
            {**base, "pooling": "none"},
            {**base, "reference": "none"},
        ]
    )
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    rows = alternatives.generator_rows(path)
    assert list(rows["squad"]) == ["half_null/1101/1", "half_null/1102/1"]
    assert list(rows["group"]) == ["strength", "control"]
    assert list(rows["truth"]) == [-4.0, -4.0]
    assert rows["d"].iloc[0] == pytest.approx(math.log(0.95))
    assert rows["ref"].iloc[0] == pytest.approx(math.log(0.99))
    assert rows["vref"].iloc[0] > 0


def test_rows_from_two_generators_give_a_table_each(alternatives, tmp_path):
    """``--rows A B --out F``: one document, a section per file naming its squads,
    analyze's headline and the three models for each scenario."""
    rng = np.random.default_rng(26)
    rows = []
    for seed in (7, 8):
        for i in range(8):
            group = "strength" if i < 4 else "control"
            truth = -4.0 if group == "strength" else 0.0
            raw = truth - 1.0 + rng.normal(0, 1.0)
            rows.append(
                {
                    "scenario": "plain",
                    "seed": seed,
                    "block": 1,
                    "group": group,
                    "group_out": group,
                    "true_change_pct": truth,
                    "verdict": "inconclusive",
                    "pooling": "group",
                    "reference": "controls",
                    "raw_change_pct": raw,
                    "raw_ci_low_pct": raw - 3.0,
                    "raw_ci_high_pct": raw + 3.0,
                    "reference_change_pct": -1.0,
                    "own_ci_low_pct": raw + 1.0 - 3.5,
                    "own_ci_high_pct": raw + 1.0 + 3.5,
                    "o2_cost_change_pct": raw + 1.0,
                    "ci_low_pct": raw - 2.0,
                    "ci_high_pct": raw + 4.0,
                }
            )
    paths = []
    for name in ("a.csv", "b.csv"):
        paths.append(tmp_path / name)
        pd.DataFrame(rows).to_csv(paths[-1], index=False)
    out = tmp_path / "blind.md"
    assert alternatives.main(["--rows", *map(str, paths), "--out", str(out)]) == 0
    text = out.read_text()
    assert "## a.csv: 1 scenarios x 2 squads (seeds 7-8)" in text
    assert "## b.csv: 1 scenarios x 2 squads (seeds 7-8)" in text
    for model in ("current", "normal", "spike", "bma"):
        assert text.count(f"| plain | {model} |") == 2
    assert "| plain | t4 |" not in text
