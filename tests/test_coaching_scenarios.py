"""The sixth generator (benchmarks/coaching_scenarios.py, written blind to the
estimator) writes squads runeco reads whole, with the truths it documents."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def coaching():
    return load_benchmark("coaching_scenarios")


def test_an_illness_squad_loads_whole_with_its_documented_truths(coaching, tmp_path):
    coaching.generate("illness_break", 5, str(tmp_path))
    ds = load_dataset(tmp_path)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(ds.quarantine) == 0
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    assert truth["group"].value_counts().to_dict() == {"strength": 8, "control": 8}
    assert (truth.loc[truth["group"] == "control", "true_change_pct"] == 0).all()
    st = truth[truth["group"] == "strength"]
    assert st["true_change_pct"].between(-6, 0).all()
    # 2-3 ill runners per group, each with a 10-20 day gap without runs
    ill = truth[truth["affected"]]
    assert ill.groupby("group").size().between(2, 3).all()
    runs = ds.runs
    for _, r in ill.iterrows():
        lo = pd.Timestamp(r["ill_start"])
        hi = lo + pd.Timedelta(days=int(r["ill_days"]))
        dates = pd.to_datetime(runs.loc[runs["runner_id"] == r["runner_id"], "date"])
        assert 10 <= r["ill_days"] <= 20
        assert not ((dates >= lo) & (dates < hi)).any()


def test_new_shoes_keep_the_shoe_out_of_the_strength_truth(coaching, tmp_path):
    coaching.generate("new_shoes", 6, str(tmp_path))
    truth = pd.read_csv(tmp_path / "truth.csv")
    shod = truth[truth["affected"]]
    assert shod.groupby("group").size().to_dict() == {"control": 4, "strength": 4}
    assert shod["true_shoe_pct"].between(-4, -1).all()
    assert (truth.loc[~truth["affected"], "true_shoe_pct"] == 0).all()
    total = (1 + truth["true_change_pct"] / 100) * (1 + truth["true_shoe_pct"] / 100) - 1
    assert (100 * total - truth["true_total_change_pct"]).abs().max() < 1e-3
    assert "shoe" not in " ".join(pd.read_csv(tmp_path / "runs.csv").columns)
