"""A steady run logged without a temperature takes the temperature of the
runner's runs within TEMP_FILL_DAYS (analysis.models.prepare.nearby_temperature)
instead of being left out of the model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import charts
from analysis.blocks import runner_blocks
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.field import fit_runner
from analysis.models.prepare import TEMP_FILL_DAYS, nearby_temperature
from tests.models._support_models import _field


def test_the_nearest_runs_either_side_within_the_window_give_the_temperature():
    ids = ["A"] * 6 + ["B"] * 2
    dates = pd.to_datetime(
        [
            "2026-01-01",
            "2026-01-03",
            "2026-01-05",
            "2026-01-05",
            "2026-01-20",
            "2026-01-10",
            "2026-01-03",
            "2026-01-04",
        ]
    )
    temps = [10.0, np.nan, 14.0, np.nan, np.nan, 5.0, 30.0, np.nan]
    got = nearby_temperature(ids, dates, temps)
    assert TEMP_FILL_DAYS == 3
    # 3 Jan: the mean of 1 Jan (10) and 5 Jan (14); the second run of 5 Jan: that
    # day's other run (10 Jan is 5 days on); 20 Jan: nothing within 3 days; B's run:
    # B's own 30, never A's; a run with a temperature keeps none here
    np.testing.assert_allclose(got, [np.nan, 12.0, np.nan, 14.0, np.nan, np.nan, np.nan, 30.0])


def _blank_every_third_temperature(folder) -> int:
    runs = pd.read_csv(folder / "runs.csv", dtype=str, keep_default_na=False)
    blank = np.arange(len(runs)) % 3 == 1
    runs.loc[blank, "temp_c"] = ""
    runs.to_csv(folder / "runs.csv", index=False)
    return int(blank.sum())


def test_runs_without_a_temperature_stay_in_the_model_with_their_neighbours(sample_copy, tmp_path):
    import shutil

    full = _field(analyze(load_dataset(sample_copy))).set_index("runner_id")
    gaps = tmp_path / "gaps"
    shutil.copytree(sample_copy, gaps)
    assert _blank_every_third_temperature(gaps) > 100
    out = _field(analyze(load_dataset(gaps))).set_index("runner_id")
    # the steady runs are still in the model (they were left out: "no temperature"),
    # but for one of R08's with no run within 3 days either side
    lost = out["excluded_reasons"].fillna("").str.extract(r"no temperature: (\d+)")[0]
    assert lost.astype(float).fillna(0).astype(int).to_dict() == {
        r: int(r == "R08") for r in out.index
    }
    n_runs = out["n_baseline_runs"] + out["n_block_runs"]
    assert (n_runs - (full["n_baseline_runs"] + full["n_block_runs"])).sum() == -1
    # and the answers are those of the full log within the day-to-day weather
    moved = (out["own_change_pct"] - full["own_change_pct"]).abs()
    assert moved.max() < 0.5, moved.to_dict()


def test_the_runs_hover_says_the_temperature_was_filled_in(sample_copy):
    runs = pd.read_csv(sample_copy / "runs.csv", dtype=str, keep_default_na=False)
    first = runs.index[runs["runner_id"].eq("R03")][5]
    runs.loc[first, "temp_c"] = ""
    runs.to_csv(sample_copy / "runs.csv", index=False)
    data = load_dataset(sample_copy)
    metrics = run_metrics(data)
    blocks = runner_blocks(data)
    block = blocks.set_index("runner_id").loc["R03"].to_dict() | {"runner_id": "R03"}
    fit = fit_runner(metrics.loc[metrics["runner_id"] == "R03"], block)
    table = charts.run_table(fit.frame, metrics)
    filled = table["temp_text"].str.endswith("(none logged: from the runs within 3 days)")
    assert filled.sum() == 1
    row = table.loc[filled].iloc[0]
    assert row["run_id"] == runs.loc[first, "run_id"] and row["used"]
    assert row["temp_text"].split(" °C")[0].replace(".", "").isdigit()


def test_a_run_with_no_climbing_and_no_temperature_is_taken_for_indoors(sample_copy):
    runs = pd.read_csv(sample_copy / "runs.csv", dtype=str, keep_default_na=False)
    r03 = runs.index[runs["runner_id"].eq("R03") & runs["run_type"].eq("easy")]
    outdoors, treadmill = r03[4], r03[8]
    runs.loc[[outdoors, treadmill], "temp_c"] = ""
    runs.loc[treadmill, ["elev_gain_m", "elev_loss_m"]] = "0"
    runs.to_csv(sample_copy / "runs.csv", index=False)
    out = _field(analyze(load_dataset(sample_copy))).set_index("runner_id")
    # the outdoor run takes its neighbours' temperature; the treadmill's room
    # is not theirs, so it stays out as before
    assert "no temperature: 1" in out.loc["R03", "excluded_reasons"]
