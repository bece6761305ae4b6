"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models import (
    SQUAD_COLUMNS,
    analyze,
    squad_model,
)
from tests.models._support_models import _squad


def test_squad_model_recovers_the_group_difference(tmp_path):
    for seed in (21, 22):
        ds, truth = _squad(tmp_path, f"q{seed}", n_runners=40, seed=seed)
        per = analyze(ds)
        out = squad_model(ds, per).set_index("effect")
        assert list(out.reset_index().columns) == list(SQUAD_COLUMNS)
        means = truth.groupby("group")["o2_cost_change_pct"].mean()
        diff = out.loc["strength minus control"]
        simulated = means["strength"] - means["control"]
        assert diff["ci_low_pct"] <= simulated <= diff["ci_high_pct"], (seed, simulated, diff)
        assert diff["ci_high_pct"] < 0  # a 4 % effect in 20 v 20 runners is detected
        assert (
            out.loc["control change", "ci_low_pct"] <= 0 <= out.loc["control change", "ci_high_pct"]
        )
        assert diff["n_runners"] == 40 and out.loc["strength change", "n_runners"] == 20
        assert diff["random_effects"] in ("intercept + ramp slope", "intercept")


def test_squad_model_says_when_there_is_no_control_group(tmp_path):
    ds, _ = _squad(tmp_path, "all", n_runners=6, seed=3, strength_fraction=1.0, lab_tests=False)
    out = squad_model(ds).set_index("effect")
    assert np.isnan(out.loc["strength minus control", "estimate_pct"])
    assert out.loc["strength change", "estimate_pct"] < 0
    assert "no control group" in out.loc["strength change", "note"]
    assert "only 6 runners: CI from t with 4 df" in out.loc["strength change", "note"]


@pytest.mark.slow
def test_squad_cluster_bootstrap_option(tmp_path):
    ds, _ = _squad(tmp_path, "boot", n_runners=8, seed=5, lab_tests=False)
    out = squad_model(ds, n_bootstrap=20, seed=1).set_index("effect")
    row = out.loc["strength minus control"]
    assert row["ci_method"].startswith("cluster bootstrap over runners")
    assert row["ci_low_pct"] < row["estimate_pct"] < row["ci_high_pct"]
