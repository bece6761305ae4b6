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
    SERIAL_PHI_PER_DAY,
    SERIAL_VARIANCE_RATIOS,
    _hac_fit_kwargs,
    _kalman_pass,
    _pad,
    _reml_batch,
    _serial_grid,
    newey_west_maxlags,
    serial_prior,
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


@pytest.mark.parametrize(
    ("n_obs", "lags"), [(0, 1), (1, 1), (50, 3), (100, 4), (300, 5), (1000, 6), (10000, 11)]
)
def test_newey_west_lags_by_hand(n_obs, lags):
    # floor(4 (n / 100)^(2/9)): 4 x 0.5^0.2222 = 3.43; 4 x 3^0.2222 = 5.11;
    # 4 x 10^0.2222 = 6.67; 4 x 100^0.2222 = 11.13; at least 1
    assert newey_west_maxlags(n_obs) == lags
    kwargs = _hac_fit_kwargs(n_obs)
    assert kwargs == {
        "cov_type": "HAC",
        "cov_kwds": {"maxlags": lags, "use_correction": True},
        "use_t": True,
    }


def test_serial_covariance_by_hand():
    v = serial_covariance([0.0, 1.0, 3.0], 2.0, 0.5)
    expected = [[3.0, 1.0, 0.25], [1.0, 3.0, 0.5], [0.25, 0.5, 3.0]]  # 1 + 2 x 0.5^|dt|
    np.testing.assert_allclose(v, expected, rtol=1e-12)


def _dense_reml(y, X, t):
    """Per grid point, dense GLS with V = I + r phi^|dt| (statsmodels) and the
    restricted log-likelihood -1/2 [log|V| + log|X'V^-1 X| + (n - p) log s2]
    (Harville 1977, s2 and beta profiled out): no Kalman filter."""
    n, p = X.shape
    out = []
    for r, phi in zip(*_serial_grid(), strict=True):
        v = serial_covariance(t, r, phi)
        fit = sm.GLS(y, X, sigma=v).fit()
        vinv = np.linalg.inv(v)
        xtx = X.T @ vinv @ X
        resid = y - X @ fit.params
        s2 = resid @ vinv @ resid / (n - p)
        loglik = -0.5 * (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xtx)[1] + (n - p) * np.log(s2))
        out.append((fit.params, s2 * np.linalg.inv(xtx), loglik))
    return out


def test_reml_average_over_the_grid_is_dense_gls_by_hand():
    """Two runners of 9 and 7 runs (one padded): each grid point's GLS fit and
    restricted likelihood from dense matrices, the posterior weights under a
    given prior, and the mixture's mean and covariance (within plus spread)."""
    rng = np.random.default_rng(12)
    runners = []
    for n in (9, 7):
        t = np.cumsum(rng.choice([1.0, 2.0, 3.0], n)) - 1.0
        X = np.column_stack([np.ones(n), (t > t[n // 2]) * 1.0])
        y = X @ [1.0, -0.04] + 0.02 * rng.normal(size=n) + 0.01 * np.sin(t)
        runners.append((y, X, t))
    G = len(_serial_grid()[0])
    prior = rng.dirichlet(np.ones(G))
    Z, dt, live = _pad(
        [np.column_stack([y, X]) for y, X, _ in runners], [t for *_, t in runners], 3
    )
    got = _reml_batch(Z, dt, live, np.ones((2, 2), dtype=bool), prior)
    r_grid, phi_grid = _serial_grid()
    for k, (y, X, t) in enumerate(runners):
        dense = _dense_reml(y, X, t)
        loglik = np.array([d[2] for d in dense])
        weight = prior * np.exp(loglik - loglik.max())
        weight /= weight.sum()
        mean = sum(w * d[0] for w, d in zip(weight, dense, strict=True))
        cov = sum(
            w * (d[1] + np.outer(d[0] - mean, d[0] - mean))
            for w, d in zip(weight, dense, strict=True)
        )
        np.testing.assert_allclose(got.params[k], mean, rtol=1e-8)
        np.testing.assert_allclose(got.cov[k], cov, rtol=1e-7)
        best = np.argmax(loglik)
        assert (got.r[k], got.phi[k]) == (r_grid[best], phi_grid[best])
    np.testing.assert_allclose(got.prior, prior)


def test_an_inactive_column_drops_out_of_the_fit():
    """A runner without one regressor (all zeros, marked inactive) gets the fit of
    the design without it: same coefficients, covariance and best grid point."""
    rng = np.random.default_rng(5)
    n = 12
    t = np.arange(n, dtype=float) * 2.0
    X = np.column_stack([np.ones(n), (t > 10) * 1.0])
    y = X @ [1.0, -0.05] + 0.02 * rng.normal(size=n)
    prior = np.full(len(_serial_grid()[0]), 1.0 / len(_serial_grid()[0]))
    Z2, dt, live = _pad([np.column_stack([y, X])], [t], 3)
    Z3, *_ = _pad([np.column_stack([y, X, np.zeros(n)])], [t], 4)
    two = _reml_batch(Z2, dt, live, np.ones((1, 2), dtype=bool), prior)
    three = _reml_batch(Z3, dt, live, np.array([[True, True, False]]), prior)
    np.testing.assert_allclose(three.params[0, :2], two.params[0], rtol=1e-10)
    np.testing.assert_allclose(three.cov[0, :2, :2], two.cov[0], rtol=1e-10)
    assert (three.r[0], three.phi[0]) == (two.r[0], two.phi[0])


def _map_objective(pi, likelihood):
    """Log posterior of the mixing weights: sum_r log sum_g pi_g L_rg plus a
    Dirichlet prior worth one pseudo-runner spread over the G points."""
    return np.log(likelihood @ pi).sum() + np.log(pi).sum() / len(pi)


def test_serial_prior_is_the_map_mixing_distribution():
    """The EM fixed point (Laird 1978, with one pseudo-runner spread evenly) is the
    maximum of the penalised mixture likelihood: checked here with a generic
    optimiser over the simplex, not with EM."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(9)
    R, G = 8, 4
    likelihood = rng.dirichlet(np.ones(G) * 0.7, size=R)
    pi = serial_prior(likelihood, iterations=5000)

    def negative(z):
        p = np.exp(z - z.max())
        return -_map_objective(p / p.sum(), likelihood)

    best = minimize(
        negative,
        np.zeros(G),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40000},
    )
    p = np.exp(best.x - best.x.max())
    np.testing.assert_allclose(pi, p / p.sum(), atol=1e-4)
    assert _map_objective(pi, likelihood) >= -best.fun - 1e-9
    assert pi.sum() == pytest.approx(1.0)
    # the default iterations are enough on this case
    np.testing.assert_allclose(serial_prior(likelihood), pi, atol=1e-4)
    # exactly MIN_RUNNERS_FOR_PRIOR runners learn a prior; one fewer keep it flat
    five = likelihood[:MIN_RUNNERS_FOR_PRIOR]
    assert not np.allclose(serial_prior(five), 1.0 / G)
    np.testing.assert_allclose(serial_prior(five[:-1]), 1.0 / G)


def test_the_grid_is_independent_errors_then_every_pair():
    r, phi = _serial_grid()
    assert (r[0], phi[0]) == (0.0, 0.5)  # r = 0: phi plays no part; 0.5 by convention
    pairs = list(zip(r[1:], phi[1:], strict=True))
    assert pairs == [(v, p) for v in SERIAL_VARIANCE_RATIOS for p in SERIAL_PHI_PER_DAY]
