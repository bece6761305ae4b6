"""The fifth generator (benchmarks/unseen_scenarios.py, written blind to the
estimator) writes squads runeco reads whole, with the truths it documents."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def unseen():
    return load_benchmark("unseen_scenarios")


def test_a_sparse_squad_loads_whole_with_the_gaps_it_documents(unseen, tmp_path):
    unseen.generate("sparse_logs", 3, str(tmp_path))
    ds = load_dataset(tmp_path)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(ds.quarantine) == 0
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    assert (truth.loc[truth["group"] == "control", "true_change_pct"] == 0).all()
    # about 35 % of runs without a temperature and 12 % without heart rate
    runs = ds.runs
    assert 0.25 < runs["temp_c"].isna().mean() < 0.45
    assert 0.05 < runs["avg_hr_bpm"].isna().mean() < 0.2


def test_unequal_squads_have_twelve_strength_runners_and_four_controls(unseen, tmp_path):
    unseen.generate("unequal_responders", 1, str(tmp_path))
    groups = pd.read_csv(tmp_path / "truth.csv")["group"].value_counts().to_dict()
    assert groups == {"strength": 12, "control": 4}
