"""Control-referenced answers, verdict categories and the minimum detectable change."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis.models.runner as runner_module
from analysis.blocks import runner_blocks
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.inference import mdc_pct, verdict, welch_df
from analysis.models.prepare import CONFOUNDERS
from analysis.models.reference import (
    MIN_CONTROLS,
    control_references,
    pooled_reference,
)
from tests.models._support_models import _field, _squad


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-6.0, -0.1, "improved"),
        (0.2, 4.0, "worsened"),
        (-2.4, 2.4, "no meaningful change"),
        (-2.6, 1.0, "inconclusive"),
        (-1.0, 2.5, "inconclusive"),  # touching the SWC is not inside it
    ],
)
def test_verdict_categories(low, high, expected):
    assert verdict(low, high, 2.5) == expected


def test_minimum_detectable_change_by_hand():
    # z_0.975 + z_0.80 = 1.95996 + 0.84162 = 2.80158; SE 2 % on the log scale:
    # 100 * (1 - exp(-0.0560317)) = 5.4491 %
    assert mdc_pct(0.02, math.inf) == pytest.approx(5.4491, abs=1e-3)
    # fewer degrees of freedom need a bigger change: t_0.975,10 + t_0.80,10 = 2.2281 + 0.8791
    assert mdc_pct(0.02, 10) == pytest.approx(100 * (1 - math.exp(-0.02 * 3.1072)), abs=2e-3)
    assert math.isnan(mdc_pct(0.0, 10))


def test_welch_satterthwaite_by_hand():
    # (4 + 1)^2 / (16/10 + 1/2) = 25 / 2.1
    assert welch_df([4.0, 1.0], [10.0, 2.0]) == pytest.approx(25 / 2.1)
    assert welch_df([4.0, 1.0], [10.0, math.inf]) == pytest.approx(25 / 1.6)


def test_pooled_reference_needs_two_controls_and_leaves_one_out():
    changes = {"C1": (0.01, 0.01), "C2": (0.01, 0.01), "C3": (0.01, 0.01), "C4": (0.05, 0.01)}
    assert MIN_CONTROLS == 2
    mu, var, df, n = pooled_reference(changes, leave_out="C4")
    # three identical controls: every tau gives the mean 0.01, and no Student t
    assert (mu, df, n) == (pytest.approx(0.01), math.inf, 3)
    # tau is not known to be 0 from three controls: wider than the fixed-effect s^2 / 3,
    # as the posterior by hand says, over the range of tau of the three alone (the
    # grid of all four let C4's own value move C4's reference)
    assert var == pytest.approx(_group_mean_by_hand([0.01] * 3, [0.01] * 3)[1], rel=2e-3)
    assert var > 1.2 * 0.01**2 / 3
    assert pooled_reference(changes, leave_out="C1")[0] > 0.01  # C4 pulls the mean up
    # a squad of three controls: each is referenced to the other two
    three = {"C1": (0.01, 0.01), "C2": (0.03, 0.01), "C3": (0.02, 0.01)}
    mu, var, df, n = pooled_reference(three, leave_out="C3")
    assert (mu, df, n) == (pytest.approx(0.02), math.inf, 2)
    assert var > 0.01**2 / 2
    # two controls are a reference (3 were needed until 2026-12-06): their posterior
    # mean, far wider than the fixed-effect s^2 / 2, since two say little about tau
    two = {"C1": (0.0, 0.01), "C2": (0.02, 0.01)}
    mu, var, df, n = pooled_reference(two)
    assert (mu, df, n) == (pytest.approx(0.01), math.inf, 2)
    assert var == pytest.approx(_group_mean_by_hand([0.0, 0.02], [0.01, 0.01])[1], rel=2e-3)
    assert var > 2 * 0.01**2 / 2
    # ... and each of the two is referenced to the other one
    mu, var, df, n = pooled_reference(two, leave_out="C1")
    assert (mu, df, n) == (pytest.approx(0.02), math.inf, 1)
    assert var > 0.01**2
    # one control is not a reference, for a strength runner or for itself
    assert pooled_reference({"C1": (0.0, 0.01)}) is None
    assert pooled_reference({"C1": (0.0, 0.01)}, leave_out="C1") is None


CONTROLS = {
    "C1": (0.030, 0.010),
    "C2": (-0.010, 0.015),
    "C3": (0.045, 0.008),
    "C4": (0.000, 0.012),
    "C5": (0.020, 0.020),
}


def _group_mean_by_hand(b, se, top=None):
    """Posterior mean and variance of the group mean of the normal hierarchical model
    (BDA3 section 5.4), written from the book and integrated over tau with quad, not on
    a grid: the uniform shrinkage prior p(tau) = 2 tau s0^2 / (s0^2 + tau^2)^2 (s0^2 the
    harmonic mean of the s_i^2; Daniels 1999), p(tau | d) ~ p(tau) V_mu^(1/2) prod
    (s_i^2 + tau^2)^(-1/2) exp(-(d_i - mu_hat)^2 / 2(s_i^2 + tau^2)); mu | tau, d ~
    N(mu_hat, V_mu)."""
    from scipy import integrate

    b, s2 = np.asarray(b, dtype=float), np.asarray(se, dtype=float) ** 2

    def at(tau):
        w = 1.0 / (s2 + tau * tau)
        v = 1.0 / w.sum()
        mu = v * (w * b).sum()
        dens = math.sqrt(v) * math.exp(0.5 * (np.log(w) - (b - mu) ** 2 * w).sum())
        s0 = len(s2) / (1.0 / s2).sum()
        return dens * 2 * tau * s0 / (s0 + tau * tau) ** 2, mu, v

    if top is None:  # the grid's range (pooling.posterior_grid)
        top = 6.0 * max(float(np.std(b)), float(np.sqrt(s2.max())))
    z = integrate.quad(lambda t: at(t)[0], 0, top, limit=200)[0]
    m = integrate.quad(lambda t: at(t)[0] * at(t)[1], 0, top, limit=200)[0] / z
    m2 = integrate.quad(lambda t: at(t)[0] * (at(t)[2] + at(t)[1] ** 2), 0, top, limit=200)[0] / z
    return m, m2 - m * m


def test_the_controls_mean_is_the_hierarchical_posterior_from_three_controls_on():
    """Five usable controls that differ more than their SEs say: their mean and its
    variance are the hierarchical model's posterior (by hand, with quad), with no
    Student t (df inf); so are the four left when one is left out, and three alone
    (until 2026-12-05, 3 or 4 controls gave a Paule-Mandel mean with tau^2 in its
    variance and Student t at 2 or 3 df: intervals about twice as wide as the errors).
    Controls without a finite change or a positive SE do not count."""
    b, se = zip(*CONTROLS.values(), strict=True)
    mu, var = _group_mean_by_hand(b, se)
    unusable = {
        "N1": (math.nan, 0.01),
        "N2": (0.01, math.nan),
        "N3": (0.01, math.inf),
        "N4": (0.01, 0.0),
        "N5": (math.inf, 0.01),
    }
    got = pooled_reference({**CONTROLS, **unusable})
    assert got == (pytest.approx(mu, rel=1e-3), pytest.approx(var, rel=2e-3), math.inf, 5)
    # tau is uncertain: wider than the variance of the fixed-effect mean
    assert var > 1.5 / sum(1.0 / np.square(se))
    # left out: the other four, on their own range of tau
    others = {k: v for k, v in CONTROLS.items() if k != "C3"}
    mu4, var4 = _group_mean_by_hand(*zip(*others.values(), strict=True))
    got = pooled_reference({**CONTROLS, **unusable}, leave_out="C3")
    assert got == (pytest.approx(mu4, rel=1e-3), pytest.approx(var4, rel=2e-3), math.inf, 4)
    three = {k: CONTROLS[k] for k in ("C1", "C2", "C4")}
    mu3, var3 = _group_mean_by_hand(*zip(*three.values(), strict=True))
    got = pooled_reference(three)
    assert got == (pytest.approx(mu3, rel=1e-3), pytest.approx(var3, rel=2e-3), math.inf, 3)


def test_every_control_left_out_in_turn_is_the_posterior_of_the_others():
    """Seven controls: each one's leave-one-out reference equals the hierarchical
    posterior of the other six by hand, over their own range of tau (the one left
    out cannot move it)."""
    rng = np.random.default_rng(3)
    changes = {f"C{k}": (rng.normal(0.01, 0.015), rng.uniform(0.008, 0.02)) for k in range(7)}
    b, se = (np.array(v) for v in zip(*changes.values(), strict=True))
    for left in changes:
        others = [v for k, v in changes.items() if k != left]
        mu, var = _group_mean_by_hand(*zip(*others, strict=True))
        got = pooled_reference(changes, leave_out=left)
        # grid (400 points) against quad: about 1e-4 relative under the shrinkage prior
        assert got[0] == pytest.approx(mu, rel=1e-3, abs=1e-6)
        assert got[1] == pytest.approx(var, rel=2e-3)
        assert got[2:] == (math.inf, 6)


def test_control_references_need_two_controls_and_reference_field_rows_only(sample_dir):
    """The sample squad's four controls share R03's dates; with two of them
    dropped there are exactly MIN_CONTROLS, with three one too few; a lab row gets
    no reference."""
    ds = load_dataset(sample_dir)
    metrics = run_metrics(ds)
    blocks = runner_blocks(ds)
    window = blocks.set_index("runner_id").loc[
        "R03", ["baseline_start", "block_start", "block_end"]
    ]
    rows = [
        {"runner_id": "R03", "method": "field_hr", "_b": -0.05, **window},
        {"runner_id": "R04", "method": "lab", "_b": -0.05, **window},
    ]
    three = blocks.loc[blocks["runner_id"] != "R08"]
    refs = control_references(rows, three, metrics, "ar1", CONFOUNDERS)  # in turn
    assert set(refs) == {"R03"}
    assert refs["R03"][2:] == (math.inf, 3)
    two = three.loc[three["runner_id"] != "R07"]
    refs_two = control_references(rows, two, metrics, "ar1", CONFOUNDERS)
    assert set(refs_two) == {"R03"}
    assert refs_two["R03"][2:] == (math.inf, 2)
    one = two.loc[two["runner_id"] != "R06"]
    assert control_references(rows, one, metrics, "ar1", CONFOUNDERS) == {}
    # one control per task gives the same answer as all at once
    one_by_one = control_references(
        rows,
        three,
        metrics,
        "ar1",
        CONFOUNDERS,
        run=lambda fn, ps: [fn(p) for p in ps],
        chunk_runners=1,
    )
    assert one_by_one == refs


def test_each_field_change_is_net_of_the_controls_pooled_by_hand(sample_dir, monkeypatch):
    """The sample squad (all on the same dates, four controls), with a heat onset and
    a plateau that are not the defaults: each strength runner's reference is the
    hierarchical posterior of the group mean of the four controls' own field changes
    (by hand, with quad), each control's that of the other three (on the grid of all
    four); the runner's own answer (``own_*``; the headline is pooled in groups of 4)
    is the difference, its variance the sum, with a Welch-Satterthwaite t interval
    (the reference's df infinite)."""
    own = {}
    finish = runner_module.finish_row

    def spy(row, swc_pct, reference=None, **kwargs):
        if row.get("method") == "field_hr" and "_b" in row:
            own[row["runner_id"]] = (row["_b"], row["_se"], row["_df"])
        return finish(row, swc_pct, reference, **kwargs)

    monkeypatch.setattr(runner_module, "finish_row", spy)
    ds = load_dataset(sample_dir)
    out = _field(analyze(ds, heat_onset_c=12.0, ramp_weeks=4.0)).set_index("runner_id")
    controls = sorted(out.index[out["group"] == "control"])
    assert len(controls) == 4 and set(own) == set(out.index)
    assert set(out["pooling"]) == {"group"} and set(out["n_pooled_runners"]) == {4}
    for rid, row in out.iterrows():
        pool = [c for c in controls if c != rid]
        mu, var_ref = _group_mean_by_hand([own[c][0] for c in pool], [own[c][1] for c in pool])
        b, se, df = own[rid]
        assert row["n_reference_runners"] == len(pool)
        assert row["reference_change_pct"] == pytest.approx(100 * math.expm1(mu), rel=2e-3)
        assert row["raw_change_pct"] == pytest.approx(100 * math.expm1(b), rel=1e-9)
        d = b - mu
        df_d = (se**2 + var_ref) ** 2 / (se**4 / df)  # Welch-Satterthwaite, reference df inf
        half = stats.t.ppf(0.975, df_d) * math.sqrt(se**2 + var_ref)
        assert row["own_change_pct"] == pytest.approx(100 * math.expm1(d), rel=2e-3, abs=1e-3)
        assert row["own_ci_low_pct"] == pytest.approx(100 * math.expm1(d - half), rel=2e-3)
        assert row["own_ci_high_pct"] == pytest.approx(100 * math.expm1(d + half), rel=2e-3)


@pytest.fixture(scope="module")
def shared_trend(tmp_path_factory):
    """Two squads of 40 where every runner's cost also rises 4 % over the block
    (a season, or a fall in fitness, that strength work has nothing to do with)."""
    root = tmp_path_factory.mktemp("trend")
    rows = []
    for seed in (41, 42):
        ds, truth = _squad(root, f"t{seed}", n_runners=40, seed=seed)
        metrics = run_metrics(ds)
        start = pd.Timestamp(truth["block_start"].iloc[0])
        end = pd.Timestamp(truth["block_end"].iloc[0])
        ramp = ((metrics["date"].dt.normalize() - start) / (end - start)).clip(0, 1)
        metrics["o2_cost_ml_kg_km"] = metrics["o2_cost_ml_kg_km"] * (1 + 0.04 * ramp)
        out = _field(analyze(ds, metrics=metrics))
        out = out.merge(
            truth[["runner_id", "o2_cost_change_pct"]].rename(
                columns={"o2_cost_change_pct": "truth_pct"}
            ),
            on="runner_id",
        )
        rows.append(out)
    return pd.concat(rows, ignore_index=True)


def test_a_shared_trend_biases_the_raw_change_but_not_the_referenced_one(shared_trend):
    d = shared_trend
    assert (d["reference"] == "controls").all()
    raw_bias = (d["raw_change_pct"] - d["truth_pct"]).mean()
    bias = (d["o2_cost_change_pct"] - d["truth_pct"]).mean()
    assert raw_bias == pytest.approx(4.0, abs=1.0)  # the trend lands in the raw change
    assert abs(bias) < 0.6  # measured: about 0.1 pp


def test_controls_are_not_called_worse_for_a_shared_trend(shared_trend):
    controls = shared_trend.loc[shared_trend["group"] == "control"]
    raw_worse = (controls["raw_ci_low_pct"] > 0).mean()
    worse = (controls["verdict"] == "worsened").mean()
    assert raw_worse > 0.25  # their own change shows the trend
    assert worse <= 0.05
    covered = (controls["ci_low_pct"] <= 0) & (controls["ci_high_pct"] >= 0)
    assert covered.mean() >= 0.9
    assert np.isfinite(controls["mdc_pct"]).all()


def test_three_controls_are_each_referenced_to_the_other_two(sample_copy):
    """A squad of three controls: a control's headline is its deviation from the
    controls' mean, as with four or more, not its own change, which carries the
    squad's season (measured on a held-out generator's 3 + 3 squads, 6 squads:
    the controls' bias -0.85 pp as their own change, 0.00 as the deviation)."""
    for name in ("runners.csv", "runs.csv"):
        frame = pd.read_csv(sample_copy / name)
        frame.loc[frame["runner_id"] != "R08"].to_csv(sample_copy / name, index=False)
    out = _field(analyze(load_dataset(sample_copy))).set_index("runner_id")
    controls = out.loc[out["group"] == "control"]
    assert len(controls) == 3
    assert set(controls["reference"]) == {"controls"}
    assert set(controls["n_reference_runners"]) == {2}
    assert set(controls["pooling"]) == {"group"}
    # deviations from their own mean: they sum to about zero
    assert abs(float(np.log1p(controls["o2_cost_change_pct"] / 100).sum())) < 0.01
    strength = out.loc[out["group"] != "control"]
    assert set(strength["n_reference_runners"]) == {3}


def test_two_controls_take_a_shared_trend_out_of_ten_strength_runners(tmp_path):
    """Squads of 10 strength runners and 2 controls whose cost also rises 4 % over
    the block: referenced to the 2 controls (each control to the other one), the
    strength runners' headline loses the trend that their own change carries, and
    the intervals, wide as 2 controls leave them, still cover. With 3 controls needed
    (until 2026-12-06) the headline was the raw change, 4 pp off (and on an eighth,
    blind generator's 10 + 2 squads, -2.1 pp with 13 of 48 controls called improved)."""
    rows = []
    for seed in (44, 45):
        ds, truth = _squad(tmp_path, f"t{seed}", n_runners=12, strength_fraction=10 / 12, seed=seed)
        metrics = run_metrics(ds)
        start = pd.Timestamp(truth["block_start"].iloc[0])
        end = pd.Timestamp(truth["block_end"].iloc[0])
        ramp = ((metrics["date"].dt.normalize() - start) / (end - start)).clip(0, 1)
        metrics["o2_cost_ml_kg_km"] = metrics["o2_cost_ml_kg_km"] * (1 + 0.04 * ramp)
        out = _field(analyze(ds, metrics=metrics))
        truth = truth[["runner_id", "o2_cost_change_pct"]].rename(
            columns={"o2_cost_change_pct": "truth_pct"}
        )
        rows.append(out.merge(truth, on="runner_id"))
    d = pd.concat(rows, ignore_index=True)
    control = d["group"] == "control"
    assert control.sum() == 4 and (~control).sum() == 20
    assert (d["reference"] == "controls").all()
    assert set(d.loc[~control, "n_reference_runners"]) == {2}
    assert set(d.loc[control, "n_reference_runners"]) == {1}
    strength = d.loc[~control]
    raw_bias = (strength["raw_change_pct"] - strength["truth_pct"]).mean()
    bias = (strength["o2_cost_change_pct"] - strength["truth_pct"]).mean()
    assert raw_bias == pytest.approx(4.0, abs=1.0)  # measured: 3.8 and 4.1
    assert abs(bias) < 1.5  # measured: -0.5 and -0.2 (10 seeds: -2.4 to +0.4 a squad)
    covered = d["truth_pct"].between(d["ci_low_pct"], d["ci_high_pct"])
    assert covered.mean() >= 0.9
    assert not d.loc[control, "verdict"].isin(["improved", "worsened"]).any()
