"""The eleventh generator (benchmarks/eleventh_scenarios.py, written blind to the
estimator) writes squads runeco reads whole, with the spread of true responses it
documents and the truth outside the dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def eleventh():
    return load_benchmark("eleventh_scenarios")


def test_a_half_null_squad_loads_whole_with_its_non_responders(eleventh, tmp_path):
    out = tmp_path / "half_null"
    truth_path = eleventh.generate("half_null", 1101, str(out))
    ds = load_dataset(out)
    truth = pd.read_csv(truth_path)
    assert len(ds.quarantine) == 0
    assert not list(out.glob("*truth*"))  # runeco never sees the truth
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    strength = truth.loc[truth["group"] == "strength"]
    assert (truth.loc[truth["group"] == "control", "true_change_pct"] == 0).all()
    assert (strength["true_change_pct"] == 0).sum() == 4
    assert (~strength["responder"]).sum() == 4
    assert (strength.loc[strength["responder"], "true_change_pct"] < -2).all()
    # the strength group lifts in the block, the controls never
    lifted = set(ds.strength["runner_id"])
    assert lifted <= set(strength["runner_id"])


def test_the_big_squad_is_thirty_and_thirty(eleventh, tmp_path):
    truth = pd.read_csv(eleventh.generate("big_squad", 1101, str(tmp_path / "big")))
    assert truth["group"].value_counts().to_dict() == {"strength": 30, "control": 30}
