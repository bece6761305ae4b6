"""The other population models' benchmark recomputes our pooling exactly before it
compares (benchmarks/pooling_alternatives.py): its engine with a normal population
must give analyze's pooled headline, or its table compares nothing."""

from __future__ import annotations

import math

import numpy as np
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
