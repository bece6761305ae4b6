"""wellness.csv: morning resting heart rate as a time-varying HRrest."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.metrics import morning_resting_hr, run_metrics
from analysis.models import analyze
from tests.models._support_models import _squad


def test_morning_values_are_a_seven_day_median_and_expire():
    wellness = pd.DataFrame(
        {
            "runner_id": ["A"] * 4,
            "date": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-20"]),
            "hr_rest_bpm": [50.0, 60.0, 52.0, 44.0],
        }
    )
    dates = pd.to_datetime(
        [
            "2026-03-03 18:00",
            "2026-03-02 07:00",
            "2026-03-18 08:00",
            "2026-03-20 06:00",
            "2026-02-27 08:00",
        ]
    )
    got = morning_resting_hr(wellness, ["A", "A", "A", "A", "A"], dates)
    assert got[0] == 52.0  # median of 50, 60, 52
    assert got[1] == 55.0  # median of 50, 60 (that morning counts)
    assert np.isnan(got[2])  # 15 days after the last value: too old
    assert got[3] == 44.0
    assert np.isnan(got[4])  # before any value
    assert np.isnan(morning_resting_hr(wellness, ["B"], dates[:1])).all()


def test_wellness_csv_is_loaded_validated_and_used(write_dataset, tmp_path):
    folder = write_dataset(
        tmp_path / "ds",
        runners="runner_id,hr_rest_bpm,hr_max_bpm,vo2max_ml_kg_min\nR01,50,190,55\n",
        runs=(
            "runner_id,date,distance_km,duration_s,avg_hr_bpm\n"
            "R01,2026-03-04T07:00,10,3000,150\nR01,2026-04-04T07:00,10,3000,150\n"
        ),
        wellness=(
            "runner_id,date,hr_rest_bpm,hrv_ms\n"
            "R01,2026-03-03,46,70\nR01,2026-03-04,44,\nR01,2026-03-05,400,\nR09,2026-03-05,50,\n"
        ),
    )
    ds = load_dataset(folder)
    assert list(ds.wellness["hr_rest_bpm"]) == [46.0, 44.0]
    q = ds.quarantine.loc[ds.quarantine["file"] == "wellness.csv"]
    assert sorted(zip(q["line"], q["code"], strict=True)) == [
        (4, "out_of_range"),
        (5, "unknown_runner"),
    ]
    m = run_metrics(ds)
    assert list(m["hr_rest_bpm"]) == [45.0, 50.0]
    assert list(m["hr_rest_source"].astype(str)) == ["wellness.csv", "runners.csv"]
    # a lower resting HR is a larger reserve fraction at the same HR
    assert m["hrr_fraction"].iloc[0] > m["hrr_fraction"].iloc[1]


def test_falling_resting_hr_is_not_read_as_better_economy(tmp_path):
    """Every runner's resting HR falls 4 bpm over the block (fitter, not more
    economical): heart rate at a given effort falls by (1 - HRR fraction) x 4 bpm.
    Without wellness.csv the model calls that an improvement; with the morning
    values it does not."""
    ds, truth = _squad(tmp_path, "w", n_runners=40, seed=51)
    block = truth.iloc[0]
    start, end = pd.Timestamp(block["block_start"]), pd.Timestamp(block["block_end"])
    params = ds.runners.set_index("runner_id")

    def drop(dates):
        return -4.0 * ((dates.dt.normalize() - start) / (end - start)).clip(0, 1)

    runs = ds.runs.copy()
    rest = runs["runner_id"].map(params["hr_rest_bpm"])
    hmax = runs["runner_id"].map(params["hr_max_bpm"])
    for col in ("avg_hr_bpm", "steady_avg_hr_bpm"):
        if col in runs:
            fraction = (runs[col] - rest) / (hmax - rest)
            runs[col] = runs[col] + drop(runs["date"]) * (1 - fraction)
    days = pd.date_range(runs["date"].min().normalize(), runs["date"].max().normalize())
    wellness = pd.DataFrame(
        [
            {"runner_id": r, "date": d, "hr_rest_bpm": params.loc[r, "hr_rest_bpm"] + x}
            for r in params.index
            for d, x in zip(days, drop(pd.Series(days)), strict=True)
        ]
    )
    shifted = dataclasses.replace(ds, runs=runs)
    with_morning = dataclasses.replace(shifted, wellness=wellness)
    true = truth.set_index("runner_id")["o2_cost_change_pct"]
    bias = {}
    for name, data in (("static", shifted), ("morning", with_morning)):
        out = analyze(data, control_reference=False)
        field = out.loc[out["method"] == "field_hr"].set_index("runner_id")
        bias[name] = float((field["raw_change_pct"] - true.loc[field.index]).mean())
    assert bias["static"] < -1.0  # the fall in resting HR reads as better economy
    assert abs(bias["morning"]) < 0.5
    assert abs(bias["morning"]) < abs(bias["static"]) / 3


@pytest.mark.parametrize("column", ["hr_rest_bpm"])
def test_wellness_is_in_the_contract(column, repo_root):
    text = (repo_root / "docs" / "DATA_FORMAT.md").read_text()
    assert "wellness.csv" in text and column in text
