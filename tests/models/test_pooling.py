"""Partial pooling of the per-runner change (normal hierarchical model within group)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.models.pooling import MIN_POOLED_RUNNERS, group_mean_posterior, pool_changes


def _squad(rng, n, mean_pct, sd_pct, se, group):
    truth = rng.normal(np.log1p(mean_pct / 100), sd_pct / 100, n)
    est = truth + rng.normal(0, se, n)
    rows = [
        {"runner_id": f"{group[0]}{k}", "group": group, "method": "field_hr", "swc_pct": 2.5}
        for k in range(n)
    ]
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
        pooled = np.array([r["o2_cost_change_pct"] for r in rows])
        low = np.array([r["ci_low_pct"] for r in rows])
        high = np.array([r["ci_high_pct"] for r in rows])
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
    pooled_controls = np.mean([r["o2_cost_change_pct"] for r in controls])
    pooled_strength = np.mean([r["o2_cost_change_pct"] for r in strength])
    assert abs(pooled_controls) < 1.5 and pooled_strength < -4.0
    for r in few:
        r.update(o2_cost_change_pct=math.nan)
    pool_changes(few, h3)
    assert all(math.isnan(r["o2_cost_change_pct"]) for r in few)


def test_identical_estimates_pool_to_themselves():
    rows = [
        {"runner_id": f"R{k}", "group": "strength", "method": "field_hr", "swc_pct": 2.5}
        for k in range(6)
    ]
    headline = {r["runner_id"]: (math.log1p(-0.03), 0.02) for r in rows}
    pool_changes(rows, headline)
    for r in rows:
        assert r["o2_cost_change_pct"] == pytest.approx(-3.0)
        assert r["ci_low_pct"] < -3.0 < r["ci_high_pct"]


# The code integrates over tau on a grid of 400 points (trapezoidal), the reference
# below with quad: under the uniform shrinkage prior, which rises from 0 at tau = 0,
# the two differ by about 1e-4 of a value (0.0001 pp; with 4,000 grid points they
# agree to 1e-6), so the tolerances are 5e-4 relative and 0.001 pp.
def _by_hand(d, s, ref=0.0, ref_var=0.0, deviation=False):
    """Gelman et al. (BDA3 section 5.4) written from the book and integrated over tau
    with quad (not on a grid): the uniform shrinkage prior p(tau) = 2 tau s0^2 / (s0^2 +
    tau^2)^2 (s0^2 the harmonic mean of the s_i^2; Daniels 1999), mu integrated out,
    p(tau | d) ~ p(tau) V_mu^(1/2) prod (s_i^2 + tau^2)^(-1/2) exp(-(d_i - mu_hat)^2 / 2(s_i^2 + tau^2)),
    theta_i | tau, d ~ N(d_i - B_i (d_i - mu_hat), s_i^2 (1 - B_i) + B_i^2 V_mu).
    Returns % change, 95 % limits and the posterior SD (log) of theta_i - ref, with the
    reference N(ref, ref_var) independent."""
    from scipy import integrate, optimize

    d, s2 = np.asarray(d), np.asarray(s) ** 2

    def given(tau):
        total = s2 + tau**2
        v_mu = 1 / (1 / total).sum()
        mu = v_mu * (d / total).sum()
        b = s2 / total
        log_p = 0.5 * np.log(v_mu) - 0.5 * (np.log(total) + (d - mu) ** 2 / total).sum()
        if (
            deviation
        ):  # theta_i - mu: given mu N((1 - b)(d - mu), s2 (1 - b)), then mu ~ N(mu, v_mu)
            return log_p, (1 - b) * (d - mu), s2 * (1 - b) + (1 - b) ** 2 * v_mu
        return log_p, d - b * (d - mu) - ref, s2 * (1 - b) + b**2 * v_mu + ref_var

    top = 6 * max(np.std(d), np.sqrt(s2.max()))
    peak = max(given(t)[0] for t in np.linspace(0, top, 50))

    s0 = len(s2) / (1 / s2).sum()

    def prior(t):
        return 2 * t * s0 / (s0 + t * t) ** 2

    def integral(f):
        return integrate.quad(
            lambda t: np.exp(given(t)[0] - peak) * prior(t) * f(t), 0, top, limit=200
        )[0]

    norm = integral(lambda t: 1.0)
    out = []
    for i in range(len(d)):
        mean = integral(lambda t, i=i: given(t)[1][i]) / norm
        second = integral(lambda t, i=i: given(t)[2][i] + given(t)[1][i] ** 2) / norm

        def cdf(x, i=i):
            return integral(lambda t: stats.norm.cdf(x, given(t)[1][i], np.sqrt(given(t)[2][i])))

        low = optimize.brentq(lambda x: cdf(x) / norm - 0.025, -1, 1, xtol=1e-10)
        high = optimize.brentq(lambda x: cdf(x) / norm - 0.975, -1, 1, xtol=1e-10)
        out.append(
            (
                100 * np.expm1(mean),
                100 * np.expm1(low),
                100 * np.expm1(high),
                np.sqrt(second - mean**2),
            )
        )
    return [np.array(c) for c in zip(*out, strict=True)]


D = [-0.080, -0.020, -0.050, 0.010, -0.065, -0.030]
S = [0.015, 0.020, 0.010, 0.025, 0.020, 0.012]


def test_pooled_values_are_the_hierarchical_posterior_by_hand():
    """The pooled posterior becomes the headline: its mean and 95 % limits, and a
    minimum detectable change, p-value and verdict from it (z, posterior tails)."""
    rows = [
        {"runner_id": f"S{k}", "group": "strength", "method": "field_hr", "swc_pct": 2.5}
        for k in range(6)
    ]
    pool_changes(rows, {r["runner_id"]: (d, s) for r, d, s in zip(rows, D, S, strict=True)})
    change, low, high, sd = _by_hand(D, S)
    np.testing.assert_allclose(
        [r["o2_cost_change_pct"] for r in rows], change, rtol=5e-4, atol=1e-3
    )
    np.testing.assert_allclose([r["ci_low_pct"] for r in rows], low, rtol=5e-4, atol=1e-3)
    np.testing.assert_allclose([r["ci_high_pct"] for r in rows], high, rtol=5e-4, atol=1e-3)
    k = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    np.testing.assert_allclose(
        [r["mdc_pct"] for r in rows], -100 * np.expm1(-k * sd), rtol=5e-4, atol=1e-3
    )
    expected = [
        "improved" if h < 0 else "worsened" if lo > 0 else "inconclusive"
        for lo, h in zip(low, high, strict=True)
    ]
    assert [r["verdict"] for r in rows] == expected
    # the interval is not symmetric on the log scale (a mixture over tau): its centre
    # is not the mean, so the limits are the mixture's quantiles, not mean +- 1.96 SD
    centre = (np.log1p(low / 100) + np.log1p(high / 100)) / 2
    assert np.max(np.abs(centre - np.log1p(change / 100))) > 1e-4
    improved = [r for r in rows if r["verdict"] == "improved"]
    assert improved and all(r["p_value"] < 0.05 for r in improved)
    assert {r["pooling"] for r in rows} == {"group"} and {r["n_pooled_runners"] for r in rows} == {
        6
    }
    assert all("pooled with the group's 6 runners" in r["verdict_text"] for r in rows)


def test_the_control_reference_is_subtracted_after_pooling_with_its_variance():
    """Each runner's own change is pooled; the reference (shared by every runner of the
    squad) is subtracted afterwards and its variance added, scaled to its t width."""
    rows = [
        {"runner_id": f"S{k}", "group": "strength", "method": "field_hr", "swc_pct": 2.5}
        for k in range(6)
    ]
    ref, ref_var, ref_df = -0.02, 0.008**2, 12.0
    own = {r["runner_id"]: (d, s, ref, ref_var, ref_df) for r, d, s in zip(rows, D, S, strict=True)}
    pool_changes(rows, own)
    scaled = ref_var * (stats.t.ppf(0.975, ref_df) / stats.norm.ppf(0.975)) ** 2
    change, low, high, _ = _by_hand(D, S, ref=ref, ref_var=scaled)
    np.testing.assert_allclose(
        [r["o2_cost_change_pct"] for r in rows], change, rtol=5e-4, atol=1e-3
    )
    np.testing.assert_allclose([r["ci_low_pct"] for r in rows], low, rtol=5e-4, atol=1e-3)
    np.testing.assert_allclose([r["ci_high_pct"] for r in rows], high, rtol=5e-4, atol=1e-3)


def _controls(n, window="2026-02-16"):
    return [
        {
            "runner_id": f"C{k}",
            "group": "control",
            "method": "field_hr",
            "swc_pct": 2.5,
            "baseline_start": "2026-01-05",
            "block_start": window,
            "block_end": "2026-04-26",
        }
        for k in range(n)
    ]


def test_controls_over_one_window_get_their_deviation_from_the_controls_mean():
    """Controls referenced to the controls over the same dates: each one's headline
    is its deviation from the group mean of their own hierarchical model (by hand,
    with quad), not its pooled change minus the others' mean, which counts the
    uncertainty of that mean twice and gave intervals 1.4 x as wide (5.6 against
    3.9 pp on 40 simulated squads of 16; controls with no meaningful change 59
    against 178 of 320)."""
    rows = _controls(6)
    ref, ref_var, ref_df = 0.01, 0.006**2, 1e6
    own = {r["runner_id"]: (d, s, ref, ref_var, ref_df) for r, d, s in zip(rows, D, S, strict=True)}
    pool_changes(rows, own)
    change, low, high, sd = _by_hand(D, S, deviation=True)
    np.testing.assert_allclose(
        [r["o2_cost_change_pct"] for r in rows], change, rtol=5e-4, atol=1e-3
    )
    np.testing.assert_allclose([r["ci_low_pct"] for r in rows], low, rtol=5e-4, atol=1e-3)
    np.testing.assert_allclose([r["ci_high_pct"] for r in rows], high, rtol=5e-4, atol=1e-3)
    # the other way, with the group mean's own posterior as the reference: wider
    mu, var_mu, *_ = group_mean_posterior(D, np.square(S))
    _, low_ref, high_ref, _ = _by_hand(D, S, ref=mu, ref_var=var_mu)
    assert np.all(high - low < high_ref - low_ref)


def test_controls_over_different_windows_keep_the_reference_subtracted():
    """Controls whose dates differ are each referenced over their own dates (the
    season differs): their pooled change minus the reference, as for strength runners."""
    rows = _controls(6)
    rows[0]["block_start"] = "2026-03-02"
    ref, ref_var, ref_df = 0.01, 0.006**2, 1e6
    own = {r["runner_id"]: (d, s, ref, ref_var, ref_df) for r, d, s in zip(rows, D, S, strict=True)}
    pool_changes(rows, own)
    change, low, high, _ = _by_hand(D, S, ref=ref, ref_var=ref_var)
    np.testing.assert_allclose(
        [r["o2_cost_change_pct"] for r in rows], change, rtol=5e-4, atol=1e-3
    )
    np.testing.assert_allclose([r["ci_high_pct"] for r in rows], high, rtol=5e-4, atol=1e-3)


def test_a_reference_error_shared_by_the_squad_does_not_average_out():
    """100 squads of 20 strength runners whose own changes all carry one shared
    season shift, estimated by a reference with SE 1 %: the pooled intervals
    still cover about 95 % (0.93 here; 300 squads: 0.947). Pooling the referenced
    changes as if their errors were independent covered 0.85 on the same squads."""
    rng = np.random.default_rng(11)
    covered = []
    for _ in range(100):
        truth = rng.normal(-0.04, 0.015, 20)
        season = rng.normal(0, 0.03)
        ref = season + rng.normal(0, 0.01)
        d = truth + season + rng.normal(0, 0.02, 20)
        rows = [
            {"runner_id": f"S{k}", "group": "strength", "method": "field_hr", "swc_pct": 2.5}
            for k in range(20)
        ]
        pool_changes(
            rows,
            {r["runner_id"]: (x, 0.02, ref, 0.01**2, 1e6) for r, x in zip(rows, d, strict=True)},
        )
        low = np.log1p(np.array([r["ci_low_pct"] for r in rows]) / 100)
        high = np.log1p(np.array([r["ci_high_pct"] for r in rows]) / 100)
        covered += list((low <= truth) & (truth <= high))
    assert 0.92 <= np.mean(covered) <= 0.98, np.mean(covered)


def test_the_runners_own_headline_is_kept_beside_the_pooled_one():
    """finish_row puts the own headline in own_*; pooling replaces only the headline,
    and the sentence says what the runner's own runs alone show when it differs."""
    from analysis.models.inference import finish_row

    d_own = [-0.050, -0.055, -0.045, -0.050, -0.052, -0.010]
    s_own = [0.010, 0.010, 0.010, 0.010, 0.010, 0.030]
    rows, headline = [], {}
    for k, (d, s) in enumerate(zip(d_own, s_own, strict=True)):
        row = {"runner_id": f"S{k}", "group": "strength", "method": "field_hr"}
        row.update(_b=d, _se=s, _df=200.0)
        rows.append(finish_row(row, 2.5, headline=headline))
    own = [(r["o2_cost_change_pct"], r["verdict"]) for r in rows]
    assert {r["pooling"] for r in rows} == {"none"}
    assert [(r["own_change_pct"], r["own_verdict"]) for r in rows] == own
    pool_changes(rows, headline)
    assert [(r["own_change_pct"], r["own_verdict"]) for r in rows] == own
    np.testing.assert_allclose([r["own_change_pct"] for r in rows], 100 * np.expm1(d_own))
    changed = [r for r in rows if r["verdict"] != r["own_verdict"]]
    # S5 (-1.0 % alone, SE 3 %: inconclusive) is pulled toward the group's -5 %
    assert [(r["runner_id"], r["own_verdict"], r["verdict"]) for r in changed] == [
        ("S5", "inconclusive", "improved")
    ]
    for r in changed:
        assert f"own runs alone: {r['own_change_pct']:+.1f} %" in r["verdict_text"]
        assert r["verdict_text"].endswith(f"{r['own_verdict']}.")


def test_a_group_of_exactly_three_pools_after_a_smaller_one_and_lab_rows_stay_out():
    controls = [
        {"runner_id": f"C{k}", "group": " Control", "method": "field_hr", "swc_pct": 2.5}
        for k in range(2)
    ]
    strength = [
        {"runner_id": f"S{k}", "group": "strength", "method": "field_hr", "swc_pct": 2.5}
        for k in range(3)
    ]
    lab = {"runner_id": "S0", "group": "strength", "method": "lab", "swc_pct": 2.5}
    headline = {r["runner_id"]: (d, s) for r, d, s in zip(strength, D, S, strict=False)}
    headline.update({r["runner_id"]: (0.0, 0.02) for r in controls})
    assert MIN_POOLED_RUNNERS == 3
    pool_changes([*controls, *strength, lab], headline)
    assert not any("o2_cost_change_pct" in r for r in [*controls, lab])
    assert {r["n_pooled_runners"] for r in strength} == {3}
    change, low, high, _ = _by_hand(D[:3], S[:3])
    np.testing.assert_allclose(
        [r["o2_cost_change_pct"] for r in strength], change, rtol=5e-4, atol=1e-3
    )
    np.testing.assert_allclose([r["ci_low_pct"] for r in strength], low, rtol=5e-4, atol=1e-3)
    np.testing.assert_allclose([r["ci_high_pct"] for r in strength], high, rtol=5e-4, atol=1e-3)


@pytest.mark.slow
def test_the_pooled_headline_on_the_evidence_squads(evidence):
    """10 simulated squads of 60 (30 strength runners, 30 controls each; 600 runners).
    Measured: strength runners MAE 0.86 pp (own 1.12), coverage 0.94, posterior SD
    1.01 x the spread of the errors, 91 % called improved (own 67 %); controls, whose
    true changes are all zero, MAE 0.21 pp, coverage 1.00, none called improved."""
    field = evidence.loc[evidence["method"] == "field_hr"]
    assert (field["pooling"] == "group").all() and (field["n_pooled_runners"] == 30).all()
    strength = field.loc[field["group"] == "strength"]
    controls = field.loc[field["group"] == "control"]
    assert abs(field["pooled_error_pp"].mean()) <= 0.2
    mae, own_mae = strength["pooled_error_pp"].abs().mean(), strength["error_pp"].abs().mean()
    assert mae <= 0.85 * own_mae, (mae, own_mae)
    assert 0.93 <= strength["pooled_covered"].mean() <= 0.98
    k = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    sd = -np.log1p(-strength["mdc_pct"] / 100) / k * 100
    log_error = 100 * (
        np.log1p(strength["o2_cost_change_pct"] / 100) - np.log1p(strength["truth_pct"] / 100)
    )
    assert 0.95 <= sd.mean() / log_error.std() <= 1.25
    improved = (strength["verdict"] == "improved").mean()
    assert improved >= (strength["own_verdict"] == "improved").mean() + 0.1
    assert controls["pooled_covered"].mean() >= 0.97
    assert (controls["verdict"] == "improved").sum() <= 2


def test_a_runner_without_a_usable_own_se_is_left_as_it_is():
    """A runner whose own change has an SE of 0 (runs that fit exactly) or a
    reference without its degrees of freedom: not in the pool, its own headline
    kept, and the others pooled without a NaN."""
    from analysis.models.inference import finish_row

    rows, headline = [], {}
    reference = (-0.01, 0.005**2, 12.0, 6)
    for k, (d, s) in enumerate(zip(D, S, strict=True)):
        row = {"runner_id": f"S{k}", "group": "strength", "method": "field_hr"}
        row.update(_b=d, _se=0.0 if k == 0 else s, _df=200.0)
        rows.append(finish_row(row, 2.5, reference, headline=headline))
    assert "S0" not in headline and len(headline) == 5
    pool_changes(rows, headline)
    assert rows[0]["pooling"] == "none"
    assert rows[0]["o2_cost_change_pct"] == rows[0]["own_change_pct"]
    others = rows[1:]
    assert all(r["pooling"] == "group" and r["n_pooled_runners"] == 5 for r in others)
    assert all(
        np.isfinite([r["o2_cost_change_pct"], r["ci_low_pct"], r["ci_high_pct"]]).all()
        for r in others
    )
    no_df = {rid: (*v[:4], math.nan) for rid, v in headline.items()}
    fresh = [dict(r, pooling="none") for r in rows[1:]]
    pool_changes(fresh, no_df)
    assert all(np.isfinite(r["ci_high_pct"]) for r in fresh)


def test_the_group_mean_of_thousands_is_the_same_in_chunks(monkeypatch):
    """More runners than a chunk (a federation's controls): the running sums and
    every leave-one-out are summed chunk by chunk, with the same result as at once."""
    import analysis.models.pooling as pooling

    rng = np.random.default_rng(8)
    d = rng.normal(0.01, 0.02, 700)
    s2 = rng.uniform(0.01, 0.03, 700) ** 2
    monkeypatch.setattr(pooling, "CHUNK", 256)
    chunked = group_mean_posterior(d, s2)
    monkeypatch.setattr(pooling, "CHUNK", 4096)
    whole = group_mean_posterior(d, s2)
    for got, want in zip(chunked, whole, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9)
    keep = np.arange(700) != 123  # one leave-one-out against the whole group without it
    others = group_mean_posterior(d[keep], s2[keep])
    assert chunked[2][123] == pytest.approx(others[0], abs=1e-6)


@pytest.mark.parametrize("k", [2, 3, 8])
def test_a_left_out_runners_own_value_does_not_move_the_others_mean(k):
    """Leave one out: the group mean of the others must not depend on the runner left
    out. On the shared grid its value moved the grid's top, so with 2 controls the
    other's SD went from 0.029 to 0.041 as the left-out change went from 0 to 0.2
    (a review's finding): now each leave-one-out is the others' posterior alone."""
    rng = np.random.default_rng(k)
    base = rng.normal(0.0, 0.01, k - 1)
    s2 = np.full(k, 0.015**2)
    got = [group_mean_posterior(np.array([own, *base]), s2) for own in np.linspace(0, 0.2, 5)]
    alone = group_mean_posterior(base, s2[1:])
    for _, _, loo_mean, loo_var in got:
        assert loo_mean[0] == pytest.approx(alone[0], abs=1e-12)
        assert loo_var[0] == pytest.approx(alone[1], rel=1e-9)
