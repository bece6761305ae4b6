"""The heat slope pooled with the squad's (analysis.models.field: heat_prior, pool_heat).

Expected values come from outside the code under test: the posterior of a
Gaussian linear model with a prior on one coefficient written in precision
form (pool_heat uses the covariance form), and Paule-Mandel's tau^2 in closed
form for equal variances.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models.field import (
    HEAT_COLUMN,
    MIN_RUNNERS_FOR_HEAT_PRIOR,
    heat_prior,
    pool_heat,
)
from analysis.models.serial import serial_covariance


def _runner(seed: int, n: int = 60):
    """One runner's GLS fit at a fixed serial correlation: design, data, V."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.choice(np.arange(112), n, replace=False)).astype(float)
    ramp = np.clip((t - 42) / 70, 0, 1)
    heat = 0.12 * t + rng.normal(0, 2.0, n)  # a warming season: collinear with the ramp
    heat -= heat.mean()
    drift = rng.exponential(5.0, n)
    X = np.column_stack([np.ones(n), ramp, heat, drift])
    V = serial_covariance(t, 0.5, 0.65)
    y = X @ np.array([5.3, -0.04, 0.008, 0.002]) + rng.multivariate_normal(np.zeros(n), 4e-4 * V)
    return X, y, V


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("mu", "v"), [(0.006, 1e-6), (0.0, 4e-6), (0.02, 1e-7)])
def test_pooling_is_the_posterior_with_a_prior_on_the_heat_slope(seed, mu, v):
    X, y, V = _runner(seed)
    Vi = np.linalg.inv(V)
    xtx = X.T @ Vi @ X
    beta = np.linalg.solve(xtx, X.T @ Vi @ y)
    s2 = float((y - X @ beta) @ Vi @ (y - X @ beta) / (len(y) - X.shape[1]))
    cov = s2 * np.linalg.inv(xtx)
    # precision form: the prior N(mu, v) on the heat slope added to the data's precision
    e = np.zeros(X.shape[1])
    e[HEAT_COLUMN] = 1.0
    precision = xtx / s2 + np.outer(e, e) / v
    expected_cov = np.linalg.inv(precision)
    expected = expected_cov @ (X.T @ Vi @ y / s2 + e * mu / v)

    params, covs = beta[None].copy(), cov[None].copy()
    active = np.ones((1, X.shape[1]), dtype=bool)
    pooled = pool_heat(params, covs, active, (mu, v))
    assert pooled.tolist() == [True]
    np.testing.assert_allclose(params[0], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(covs[0], expected_cov, rtol=1e-7, atol=1e-16)
    # the ramp's variance shrinks: the prior breaks its collinearity with heat
    assert covs[0][1, 1] < cov[1, 1]


def test_a_runner_without_the_heat_term_is_left_alone():
    params = np.array([[5.0, -0.03, 0.0, 0.001]])
    cov = np.diag([1e-4, 2e-4, 1.0, 1e-6])[None]
    active = np.array([[True, True, False, True]])
    before = params.copy(), cov.copy()
    assert pool_heat(params, cov, active, (0.01, 1e-6)).tolist() == [False]
    np.testing.assert_array_equal(params, before[0])
    np.testing.assert_array_equal(cov, before[1])


def test_heat_prior_is_paule_mandel_for_equal_variances():
    slopes = np.array([0.004, 0.009, 0.006, 0.012, 0.003, 0.008])
    v = 1e-6
    k = len(slopes)
    tau2 = max(0.0, slopes.var(ddof=1) - v)  # PM's equation, solved for equal variances
    mu, variance = heat_prior(slopes, np.full(k, v))
    assert mu == pytest.approx(slopes.mean(), rel=1e-9)
    assert variance == pytest.approx(tau2 + (v + tau2) / k, rel=1e-6)


def test_heat_prior_between_runner_variance_is_never_negative():
    slopes = np.array([0.006, 0.0061, 0.0059, 0.006, 0.00605])  # closer than their SEs
    mu, variance = heat_prior(slopes, np.full(5, 4e-6))
    assert mu == pytest.approx(slopes.mean(), rel=1e-9)
    assert variance == pytest.approx(4e-6 / 5, rel=1e-6)  # tau^2 = 0: only SE(mu)^2


def test_too_few_slopes_are_not_pooled():
    n = MIN_RUNNERS_FOR_HEAT_PRIOR
    assert heat_prior(np.linspace(0.0, 0.01, n - 1), np.full(n - 1, 1e-6)) is None
    # non-finite or zero variances do not count
    slopes = np.r_[np.linspace(0.0, 0.01, n - 1), np.nan]
    assert heat_prior(slopes, np.full(n, 1e-6)) is None
    assert heat_prior(np.linspace(0.0, 0.01, n), np.r_[np.full(n - 1, 1e-6), 0.0]) is None
    assert heat_prior(np.linspace(0.0, 0.01, n), np.full(n, 1e-6)) is not None
