"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.models import (
    analyze,
    serial_correlation_reml,
    serial_covariance,
)
from analysis.models.serial import (
    MIN_RUNNERS_FOR_PRIOR,
    _kalman_pass,
    _pad,
    _reml_batch,
    _serial_grid,
)
from tests.models._support_models import _field


def test_hac_option_keeps_the_point_estimate(small):
    ds, _, out = small
    hac = _field(analyze(ds, errors="hac"))
    assert hac["se_method"].str.startswith("OLS, HAC Newey-West").all()
    ar1 = _field(out)
    assert ar1["se_method"].str.startswith("GLS, AR(1) in days").all()
    np.testing.assert_allclose(hac["o2_cost_change_pct"], ar1["o2_cost_change_pct"], atol=1.0)


def test_kalman_whitening_is_exact_gls():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.choice([0.3, 1.0, 1.0, 2.0, 3.0], 40))
    X = np.column_stack([np.ones(40), rng.normal(size=40), np.clip(t / t[-1], 0, 1)])
    y = rng.normal(size=40)
    r, phi = 1.5, 0.8
    sigma = serial_covariance(t, r, phi)
    dense = sm.GLS(y, X, sigma=sigma).fit()
    z = np.column_stack([y, X])[None]
    dt = np.concatenate([[0.0], np.diff(t)])[None]
    w, logdet = _kalman_pass(
        z, dt, np.ones((1, 40), bool), np.array([[r]]), np.array([[phi]]), keep=True
    )
    whitened = sm.OLS(w[0, 0, :, 0], w[0, 0, :, 1:]).fit()
    np.testing.assert_allclose(whitened.params, dense.params, rtol=1e-10)
    np.testing.assert_allclose(whitened.bse, dense.bse, rtol=1e-10)
    assert logdet[0, 0] == pytest.approx(np.linalg.slogdet(sigma)[1])


def test_serial_correlation_reml_finds_the_structure():
    rng = np.random.default_rng(8)
    n = 600
    t = np.sort(rng.choice(np.arange(1200), n, replace=False)).astype(float)
    X = np.column_stack([np.ones(n), t / t[-1]])
    r_true, phi_true = 2.0, 0.8
    state = np.zeros(n)
    for i in range(1, n):
        rho = phi_true ** (t[i] - t[i - 1])
        state[i] = rho * state[i - 1] + np.sqrt(r_true * (1 - rho**2)) * rng.normal()
    state[0] = np.sqrt(r_true) * rng.normal()
    y = X @ [1.0, 0.5] + state + rng.normal(size=n)
    r, phi = serial_correlation_reml(y, X, t)
    assert 1.0 <= r <= 4.0
    assert 0.65 <= phi <= 0.9
    r0, phi0 = serial_correlation_reml(rng.normal(size=n), X, t)
    assert r0 * phi0 / (1 + r0) < 0.15  # white noise: runs a day apart barely correlated


def _ar_runner(rng, n=60, r_true=2.0, phi_true=0.8):
    t = np.sort(rng.choice(np.arange(110), n, replace=False)).astype(float)
    X = np.column_stack([np.ones(n), (t > 42) * (t - 42) / 68])
    state = np.zeros(n)
    state[0] = np.sqrt(r_true) * rng.normal()
    for i in range(1, n):
        rho = phi_true ** (t[i] - t[i - 1])
        state[i] = rho * state[i - 1] + np.sqrt(r_true * (1 - rho**2)) * rng.normal()
    y = X @ [1.0, -0.04] + 0.02 * (state + rng.normal(size=n))
    return np.column_stack([y, X]), t


def _batch(rng, runners, prior=None, **kwargs):
    series, times = zip(*[_ar_runner(rng, **kwargs) for _ in range(runners)], strict=True)
    Z, dt, live = _pad(list(series), list(times), 3)
    return _reml_batch(Z, dt, live, np.ones((runners, 2), dtype=bool), prior)


def test_the_serial_prior_is_learned_from_the_squad():
    """One runner's 60 runs hardly pin down the serial correlation; 40 runners
    with the same structure put most of the squad prior near it, and a runner
    fitted with that prior gets a narrower (not wider) interval than alone."""
    rng = np.random.default_rng(3)
    squad = _batch(rng, 40)
    r_grid, phi_grid = _serial_grid()
    near = (r_grid >= 1.0) & (r_grid <= 4.0) & (phi_grid >= 0.65) & (phi_grid <= 0.9)
    assert squad.prior[near].sum() > 0.6, squad.prior[near].sum()
    assert squad.prior.sum() == pytest.approx(1.0)
    # fewer than MIN_RUNNERS_FOR_PRIOR: flat
    few = _batch(rng, MIN_RUNNERS_FOR_PRIOR - 1)
    assert np.allclose(few.prior, 1.0 / len(r_grid))
    # the same runners, flat prior vs the squad's: the SE of the change shrinks on average
    one = _batch(np.random.default_rng(4), 20, prior=np.full(len(r_grid), 1.0 / len(r_grid)))
    pooled = _batch(np.random.default_rng(4), 20, prior=squad.prior)
    ratio = np.sqrt(pooled.cov[:, 1, 1] / one.cov[:, 1, 1])
    assert ratio.mean() < 0.97, ratio.mean()
