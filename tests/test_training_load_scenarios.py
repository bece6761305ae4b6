"""The seventh generator (benchmarks/training_load_scenarios.py, written blind to
the estimator) writes squads runeco reads whole, with the truths it documents."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def training_load():
    return load_benchmark("training_load_scenarios")


def test_a_squad_that_runs_less_loads_whole_with_its_truths(training_load, tmp_path):
    training_load.generate("strength_runs_less", 503, str(tmp_path))
    ds = load_dataset(tmp_path)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(ds.quarantine) == 0
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    assert truth["group"].value_counts().to_dict() == {"strength": 8, "control": 8}
    assert (truth.loc[truth["group"] == "control", "true_change_pct"] == 0).all()
    strength = truth.loc[truth["group"] == "strength", "true_change_pct"]
    assert strength.between(-9.5, 2.0).all() and strength.mean() < -1.0
    # the strength runners run less in the block than the controls, relative to
    # their baselines (what the scenario is about): minutes a week, the 10 weeks
    # of the block against the 8 logged before it
    runs = ds.runs.assign(minutes=pd.to_numeric(ds.runs["duration_s"]) / 60.0)
    start = pd.to_datetime(ds.blocks["block_start"]).min()
    date = pd.to_datetime(runs["date"], utc=True).dt.tz_localize(None)
    per = runs.groupby([runs["runner_id"], date >= start])["minutes"].sum().unstack()
    ratio = (per[True] / 10.0) / (per[False] / 8.0)
    by_group = ratio.groupby(truth.set_index("runner_id")["group"]).median()
    assert by_group["strength"] < 0.95 * by_group["control"]


def test_weigh_ins_are_written_for_half_of_each_group_in_the_mass_gain_squads(
    training_load, tmp_path
):
    training_load.generate("mass_gain", 504, str(tmp_path))
    ds = load_dataset(tmp_path)
    assert len(ds.quarantine) == 0
    truth = pd.read_csv(tmp_path / "truth.csv")
    weighed = set(ds.wellness["runner_id"].astype(str))
    assert truth.loc[truth["runner_id"].isin(weighed)].groupby("group").size().to_dict() == {
        "control": 4,
        "strength": 4,
    }
