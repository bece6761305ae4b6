"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io.importers import (
    streams,
)
from analysis.physiology import aerobic_decoupling
from tests.io.importers._support_importers import _hr_response, _track


def test_elevation_gain_ignores_noise_that_a_plain_sum_would_add():
    rng = np.random.default_rng(1)
    t = np.arange(1200)
    true = np.where(t < 600, 50.0 * t / 600, 50.0 * (1200 - t) / 600)  # up 50 m, down 50 m
    noisy = np.round(true + rng.normal(0, 0.7, t.size))  # 1 m steps, like an altimeter
    naive_gain = np.clip(np.diff(noisy), 0, None).sum()
    gain, loss = streams.elevation_gain_loss(noisy)
    assert naive_gain > 150
    assert gain == pytest.approx(50, abs=5)
    assert loss == pytest.approx(50, abs=5)


def test_elevation_of_a_flat_run_is_zero_despite_jitter():
    rng = np.random.default_rng(2)
    gain, loss = streams.elevation_gain_loss(100 + rng.normal(0, 1.0, 3600))
    assert gain < 3 and loss < 3


def test_resample_fills_short_gaps_and_leaves_pauses_empty():
    samples = pd.DataFrame(
        {"time_s": [0.0, 4.0, 8.0, 100.0, 104.0], "hr_bpm": [100, 104, 108, 120, 124.0]}
    )
    grid = streams.resample_1hz(samples)
    assert list(grid["time_s"][:3]) == [0, 1, 2]
    assert grid.loc[2, "hr_bpm"] == pytest.approx(102)
    assert grid.loc[8:99, "hr_bpm"].iloc[1:-1].isna().all()  # the 92 s pause is not invented
    assert grid.loc[102, "hr_bpm"] == pytest.approx(122)


def test_moving_time_leaves_out_a_stop_with_gps_jitter():
    t = np.arange(1500)
    speed = np.where((t >= 600) & (t < 780), 0.0, 3.0)  # a 3 min stop at lights
    samples = _track(t, speed, jitter_m=2.0)
    samples["distance_m"] = np.cumsum(
        streams.gps_distance_steps_m(samples["time_s"], samples["lat_deg"], samples["lon_deg"])
    )
    grid = streams.resample_1hz(samples)
    moving = streams.moving_time_s(grid, samples)
    assert moving == pytest.approx(1500 - 180, abs=30)


def test_gps_spike_is_removed_from_the_distance():
    t = np.arange(0, 600, 4)
    samples = _track(t, np.full(t.size, 12.0))  # 3 m/s sampled every 4 s
    samples.loc[50, "lat_deg"] += 500 / 111195.0  # one fix 500 m off
    steps = streams.gps_distance_steps_m(samples["time_s"], samples["lat_deg"], samples["lon_deg"])
    assert steps.sum() == pytest.approx(3.0 * t[-1], rel=0.01)


def test_steady_parts_skip_warm_up_intervals_and_the_hr_lag_after_them():
    t = np.arange(3600)
    speed = np.full(t.size, 3.0)
    reps = (t >= 900) & (t < 1500)
    speed[reps] = np.where(((t[reps] - 900) // 60) % 2 == 0, 4.5, 2.5)  # 5 x 1 min hard / easy
    hr = _hr_response(speed)
    steady = streams.steady_mask(speed, hr, np.ones(t.size, bool))
    assert not steady[:300].any()  # warm-up
    assert not steady[900:1500].any()  # the intervals
    assert not steady[1500:1590].any()  # HR still settling after the last one
    assert steady[390:860].mean() > 0.9  # steady first part, after its own lag
    assert steady[1600:3560].mean() > 0.95  # steady second part
    metrics = streams.stream_metrics(speed, hr, steady, t)
    assert metrics["steady_duration_s"] == steady.sum()
    assert metrics["steady_gas_m_min"] == pytest.approx(180.0, rel=0.01)
    assert metrics["steady_avg_hr_bpm"] == pytest.approx(hr[steady].mean())


def test_decoupling_comes_from_the_steady_part_only():
    t = np.arange(3600)
    speed = np.full(t.size, 3.0)
    hr = _hr_response(speed, drift_bpm_per_s=0.004)  # cardiac drift, ~14 bpm an hour
    steady = streams.steady_mask(speed, hr, np.ones(t.size, bool))
    metrics = streams.stream_metrics(speed, hr, steady, t)
    expected = aerobic_decoupling(speed[steady], hr[steady], time_s=t[steady])
    assert metrics["decoupling_pct"] == pytest.approx(expected)
    assert 3 < metrics["decoupling_pct"] < 10


def test_short_steady_part_reports_no_averages():
    t = np.arange(600)
    speed = np.full(t.size, 3.0)
    steady = streams.steady_mask(speed, _hr_response(speed), np.ones(t.size, bool))
    metrics = streams.stream_metrics(speed, _hr_response(speed), steady, t)
    assert 0 < metrics["steady_duration_s"] < streams.STEADY_MIN_TOTAL_S
    assert np.isnan(metrics["steady_avg_hr_bpm"]) and np.isnan(metrics["decoupling_pct"])
