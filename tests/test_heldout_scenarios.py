"""The held-out generator (benchmarks/heldout_scenarios.py, written blind to the
estimator) writes squads runeco reads whole, with the truths it documents."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def heldout():
    return load_benchmark("heldout_scenarios")


def test_a_generated_squad_loads_without_a_quarantined_row(heldout, tmp_path):
    heldout.generate("circadian", 3, tmp_path)
    ds = load_dataset(tmp_path)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(ds.quarantine) == 0
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    strength = truth["group"] == "strength"
    assert strength.sum() == 8 and (truth.loc[~strength, "true_change_pct"] == 0).all()
    # the scenario's point: the strength runners' block runs move to the morning
    moved = truth.loc[strength, "morning_share_block"] - truth.loc[strength, "morning_share_base"]
    assert moved.mean() > 0.3


def test_three_plus_three_squads_carry_their_baseline_in_runeco_toml(heldout, tmp_path):
    heldout.generate("squad6_short", 2, tmp_path)
    assert "baseline_weeks = 4" in (tmp_path / "runeco.toml").read_text()
    assert len(pd.read_csv(tmp_path / "runners.csv")) == 6
