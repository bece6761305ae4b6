"""Control-referenced answers, verdict categories and the minimum detectable change."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.inference import mdc_pct, verdict, welch_df
from analysis.models.reference import MIN_CONTROLS, pooled_reference
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


def test_pooled_reference_needs_three_controls_and_leaves_one_out():
    changes = {"C1": (0.01, 0.01), "C2": (0.01, 0.01), "C3": (0.01, 0.01), "C4": (0.05, 0.01)}
    assert MIN_CONTROLS == 3
    mu, var, df, n = pooled_reference(changes, leave_out="C4")
    assert (mu, df, n) == (pytest.approx(0.01), 2.0, 3)
    assert var == pytest.approx(0.01**2 / 3)  # identical controls: no between-control variance
    assert pooled_reference(changes, leave_out="C1")[0] > 0.01  # C4 pulls the mean up
    assert pooled_reference({"C1": (0.0, 0.01), "C2": (0.0, 0.01)}) is None


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
