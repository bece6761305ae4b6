"""Heart rate that moves with the runner's own recent running: the squad's
training-load offset (analysis.models.prepare.training_load_deviation,
choose_load_scale), learned where the runs show it, 0 where they do not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.blocks import runner_blocks
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.prepare import LOAD_TAU_DAYS, prepare_runs, training_load_deviation
from analysis.narrative import methods_markdown
from analysis.simulate import simulate_squad


def test_the_load_is_the_minutes_of_the_days_before_against_the_baselines():
    """60 min a day through a 6-week baseline, then 90: k days into the block the
    load is 60 + 30 (1 - (1 - a)^k) minutes (a = 1 - exp(-1/tau)), the run's own
    day not yet in it, relative to the baseline's 60."""
    days = pd.date_range("2026-01-05", periods=42 + 70)
    m = pd.DataFrame(
        {
            "runner_id": "A",
            "date": days,
            "duration_s": np.where(np.arange(len(days)) < 42, 3600.0, 5400.0),
            "baseline_start": pd.Timestamp("2026-01-05"),
            "block_start": pd.Timestamp("2026-02-16"),
        }
    )
    got = training_load_deviation(m)
    a = 1 - math.exp(-1 / LOAD_TAU_DAYS)
    assert np.allclose(got[:43], 0.0)  # the baseline, and the block's first day
    for k in (1, 7, 28, 69):
        assert got[42 + k] == pytest.approx(0.5 * (1 - (1 - a) ** k), rel=1e-9)
    # another runner in the same frame is computed on its own
    two = pd.concat([m, m.assign(runner_id="B", duration_s=1800.0)], ignore_index=True)
    both = training_load_deviation(two)
    assert np.allclose(both[: len(m)], got) and np.allclose(both[len(m) :], 0.0)


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    folder = simulate_squad(
        tmp_path_factory.mktemp("load") / "squad", n_runners=16, seed=21, lab_tests=False
    )
    ds = load_dataset(folder)
    return ds, pd.read_csv(folder / "truth.csv").set_index("runner_id")


def _strength_bias(out, truth):
    field = out.loc[out["method"] == "field_hr"].set_index("runner_id")
    error = field["o2_cost_change_pct"] - truth["o2_cost_change_pct"].reindex(field.index)
    return float(error[truth["group"].reindex(field.index).eq("strength")].mean()), field


def test_a_squad_whose_heart_rate_follows_its_running_gets_the_offset(squad):
    """The strength runners run a tenth less through the block, the controls a
    tenth more, and heart rate reads the load (0.15 of its relative change in
    the log cost, as fitness and plasma volume would): the difference is read
    as worse economy in the strength runners; learned, most of it is not.

    The offset comes out a little low (0.10-0.14 on seeds 21-23; the runner's
    serially correlated errors take up part of a slow signal), so about a fifth
    of the bias stays: +0.7 to +1.0 pp against +3.1 to +3.6 without it and
    -0.3 to +0.4 with the true 0.15."""
    ds, truth = squad
    metrics, blocks = run_metrics(ds), runner_blocks(ds)
    group = metrics["runner_id"].map(truth["group"])
    start = metrics["runner_id"].map(blocks.set_index("runner_id")["block_start"])
    in_block = pd.to_datetime(metrics["date"]) >= pd.to_datetime(start)
    factor = np.where(in_block, np.where(group.eq("strength"), 0.9, 1.1), 1.0)
    m = metrics.assign(
        duration_s=metrics["duration_s"] * factor,
        distance_km=metrics["distance_km"] * factor,
        trimp=metrics["trimp"] * factor,
    )
    load = prepare_runs(m, blocks).set_index("run_id")["load_dev"]
    m["o2_cost_ml_kg_km"] *= np.exp(-0.15 * m["run_id"].map(load).fillna(0.0).to_numpy())
    learned, field = _strength_bias(analyze(ds, metrics=m, blocks=blocks), truth)
    fixed, _ = _strength_bias(analyze(ds, metrics=m, blocks=blocks, load_scale=0.0), truth)
    (scale,) = field["training_load_scale"].dropna().unique()
    assert 0.1 <= scale <= 0.2
    assert fixed > 2.5  # the controls' extra fitness taken for the season's
    assert learned < 0.3 * fixed
    assert (field["sensitivity_design"].str.contains("no training-load offset")).all()
    # a note that the controls trained differently says the offset takes some out
    noted = field["warning"].fillna("").str.contains("changed differently")
    assert noted.any()
    assert field.loc[noted, "warning"].str.contains("the squad's training-load offset").all()
    # the report's words say what was taken out
    assert "running 10 % more over the last four weeks" in methods_markdown(field.iloc[0].to_dict())


def test_where_heart_rate_does_not_follow_the_running_nothing_moves(squad):
    ds, truth = squad
    out = analyze(ds)
    field = out.loc[out["method"] == "field_hr"]
    assert field["training_load_scale"].isna().all()
    fixed = analyze(ds, load_scale=0.0)
    pd.testing.assert_frame_equal(out, fixed)
