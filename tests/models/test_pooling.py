"""Partial pooling of the per-runner change (empirical Bayes within group)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.models.pooling import MIN_POOLED_RUNNERS, pool_changes
from tests.models._support_models import paule_mandel


def _squad(rng, n, mean_pct, sd_pct, se, group):
    truth = rng.normal(np.log1p(mean_pct / 100), sd_pct / 100, n)
    est = truth + rng.normal(0, se, n)
    rows = [{"runner_id": f"{group[0]}{k}", "group": group, "method": "field_hr"} for k in range(n)]
    headline = {r["runner_id"]: (e, se) for r, e in zip(rows, est, strict=True)}
    return rows, headline, np.expm1(truth) * 100, np.expm1(est) * 100


def test_pooling_halves_the_error_and_its_interval_covers():
    """True changes -4 +- 1.5 %, each measured with SE 2 %: the pooled value is
    closer to the truth (shrinkage factor about 0.36, so MAE about 0.6 x) and
    its interval covers about 95 %."""
    rng = np.random.default_rng(5)
    errors_raw, errors_pooled, covered = [], [], []
    for _ in range(60):  # 60 squads of 8 strength runners
        rows, headline, truth, est = _squad(rng, 8, -4.0, 1.5, 0.02, "strength")
        pool_changes(rows, headline)
        pooled = np.array([r["pooled_change_pct"] for r in rows])
        low = np.array([r["pooled_ci_low_pct"] for r in rows])
        high = np.array([r["pooled_ci_high_pct"] for r in rows])
        errors_raw += list(est - truth)
        errors_pooled += list(pooled - truth)
        covered += list((low <= truth) & (truth <= high))
    mae_raw = np.mean(np.abs(errors_raw))
    mae_pooled = np.mean(np.abs(errors_pooled))
    assert mae_pooled < 0.8 * mae_raw, (mae_pooled, mae_raw)
    assert abs(np.mean(errors_pooled)) < 0.15  # 480 runners: SE of the mean error ~0.05
    assert 0.92 <= np.mean(covered) <= 0.99, np.mean(covered)


def test_groups_are_pooled_apart_and_small_groups_not_at_all():
    rng = np.random.default_rng(1)
    strength, h1, *_ = _squad(rng, 8, -6.0, 1.0, 0.02, "strength")
    controls, h2, *_ = _squad(rng, 8, 0.0, 0.5, 0.02, "control")
    few, h3, *_ = _squad(rng, MIN_POOLED_RUNNERS - 1, 0.0, 0.5, 0.02, "control")
    rows = strength + controls
    pool_changes(rows, {**h1, **h2})
    pooled_controls = np.mean([r["pooled_change_pct"] for r in controls])
    pooled_strength = np.mean([r["pooled_change_pct"] for r in strength])
    assert abs(pooled_controls) < 1.5 and pooled_strength < -4.0
    for r in few:
        r.update(pooled_change_pct=math.nan)
    pool_changes(few, h3)
    assert all(math.isnan(r["pooled_change_pct"]) for r in few)


def test_identical_estimates_pool_to_themselves():
    rows = [{"runner_id": f"R{k}", "group": "strength", "method": "field_hr"} for k in range(6)]
    headline = {r["runner_id"]: (math.log1p(-0.03), 0.02) for r in rows}
    pool_changes(rows, headline)
    for r in rows:
        assert r["pooled_change_pct"] == pytest.approx(-3.0)
        assert r["pooled_ci_low_pct"] < -3.0 < r["pooled_ci_high_pct"]


def _by_hand(d, s):
    """Morris (1983) posterior mean and interval with Kass & Steffey's (1989) term for
    the uncertainty of tau^2, written from the papers: B_i = s_i^2 / (s_i^2 + tau^2),
    Var = s_i^2 (1 - B_i) + B_i^2 Var(mu) + (dB_i/dtau^2)^2 Var(tau^2) (d_i - mu)^2,
    Var(tau^2) = 2 / sum w_i^2, and Student t with k - 1 df."""
    d, s2 = np.asarray(d), np.asarray(s) ** 2
    mu, var_mu, tau2 = paule_mandel(d, s)
    w = 1 / (s2 + tau2)
    b = s2 / (s2 + tau2)
    db_dtau2 = -s2 / (s2 + tau2) ** 2
    var = s2 * (1 - b) + b**2 * var_mu + db_dtau2**2 * (2 / (w**2).sum()) * (d - mu) ** 2
    post = d - b * (d - mu)
    half = stats.t.ppf(0.975, len(d) - 1) * np.sqrt(var)
    return 100 * np.expm1(post), 100 * np.expm1(post - half), 100 * np.expm1(post + half), tau2


D = [-0.080, -0.020, -0.050, 0.010, -0.065, -0.030]
S = [0.015, 0.020, 0.010, 0.025, 0.020, 0.012]


def test_pooled_values_are_the_empirical_bayes_posterior_by_hand():
    rows = [{"runner_id": f"S{k}", "group": "strength", "method": "field_hr"} for k in range(6)]
    pool_changes(rows, {r["runner_id"]: (d, s) for r, d, s in zip(rows, D, S, strict=True)})
    change, low, high, tau2 = _by_hand(D, S)
    assert tau2 > 1e-4  # runners differ more than their SEs: every term counts
    np.testing.assert_allclose([r["pooled_change_pct"] for r in rows], change, rtol=1e-6)
    np.testing.assert_allclose([r["pooled_ci_low_pct"] for r in rows], low, rtol=1e-6)
    np.testing.assert_allclose([r["pooled_ci_high_pct"] for r in rows], high, rtol=1e-6)


def test_a_group_of_exactly_five_pools_after_a_smaller_one_and_lab_rows_stay_out():
    controls = [{"runner_id": f"C{k}", "group": " Control", "method": "field_hr"} for k in range(4)]
    strength = [{"runner_id": f"S{k}", "group": "strength", "method": "field_hr"} for k in range(5)]
    lab = {"runner_id": "S0", "group": "strength", "method": "lab"}
    headline = {r["runner_id"]: (d, s) for r, d, s in zip(strength, D, S, strict=False)}
    headline.update({r["runner_id"]: (0.0, 0.02) for r in controls})
    assert MIN_POOLED_RUNNERS == 5
    pool_changes([*controls, *strength, lab], headline)
    assert not any("pooled_change_pct" in r for r in [*controls, lab])
    change, low, high, _ = _by_hand(D[:5], S[:5])
    np.testing.assert_allclose([r["pooled_change_pct"] for r in strength], change, rtol=1e-6)
    np.testing.assert_allclose([r["pooled_ci_low_pct"] for r in strength], low, rtol=1e-6)
