"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.io import load_dataset
from analysis.io.importers import (
    import_sources,
    load_runner_streams,
    read_gpx,
    streams,
)
from tests.io.importers._support_importers import FIXTURES, _csv_rows, _import


def test_tiny_gpx_summary_and_stream(tmp_path):
    summary = _import(tmp_path, "tiny_run.gpx")
    assert (summary.imported_runs, summary.failed) == (1, [])
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    # GPX times are UTC; stored as local time in Paris (48.8 N 2.3 E), summer time
    assert row["date"] == "2024-05-04T09:30:00+02:00"
    assert float(row["utc_offset_min"]) == 120
    assert float(row["distance_km"]) == pytest.approx(1.8, rel=0.01)  # 60 x 30 m
    assert float(row["duration_s"]) == pytest.approx(600, abs=1)
    hr = 140 + np.arange(61) // 6
    assert float(row["avg_hr_bpm"]) == pytest.approx(hr.mean(), abs=0.5)
    assert float(row["cadence_spm"]) == 170  # 85 strides/min
    assert row["run_id"] == "R01-20240504T0930"
    assert row["activity_file"] == "activities/R01/R01-20240504T0930.parquet"
    cached = load_runner_streams(tmp_path / "ds", "R01")
    stream = cached["R01-20240504T0930"]
    assert list(stream.columns) == list(streams.STREAM_COLUMNS)
    assert stream["time_s"].is_monotonic_increasing and len(stream) == 601
    assert stream["distance_m"].iloc[-1] == pytest.approx(1800, rel=0.01)
    assert stream["hr_bpm"].iloc[0] == 140
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.runs) == 1 and ds.quarantine.empty


def test_a_run_after_midnight_local_time_gets_its_local_day(tmp_path):
    """07:30Z in Paris is 09:30 local; 23:30Z on 4 May is 01:30 on 5 May, the day
    the runner ran (issue 12: GPX runs were stored in UTC)."""
    text = (FIXTURES / "tiny_run.gpx").read_text().replace("2024-05-04T07:", "2024-05-04T23:")
    late = tmp_path / "late.gpx"
    late.write_text(text)
    summary = import_sources(tmp_path / "ds", "R01", [late], progress=False)
    assert summary.imported_runs == 1
    [row] = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["date"].startswith("2024-05-05T01:30:00+02:00")
    assert str(load_dataset(tmp_path / "ds").runs["date"].iloc[0]).startswith("2024-05-05 01:30")


def test_local_start_needs_a_position_and_knows_summer_time():
    import pandas as pd

    from analysis.io.importers.activity import local_start

    utc = pd.Timestamp("2024-01-15T07:30:00Z")
    paris = pd.DataFrame({"time_s": [0.0], "lat_deg": [48.8], "lon_deg": [2.3]})
    assert local_start(utc, paris) == pd.Timestamp("2024-01-15T08:30:00")  # CET in winter
    assert local_start(utc, pd.DataFrame({"time_s": [0.0]})) is None
    nowhere = pd.DataFrame({"time_s": [0.0], "lat_deg": [np.nan], "lon_deg": [np.nan]})
    assert local_start(utc, nowhere) is None
    assert local_start(None, paris) is None
    bogus = pd.DataFrame({"time_s": [0.0], "lat_deg": [123.0], "lon_deg": [2.3]})
    assert local_start(utc, bogus) is None


def test_a_gpx_creator_is_not_taken_for_the_recording_device():
    """GPX creators name the exporting software ("Garmin Connect", "StravaGPX") more
    often than the watch; a device there would give the field model a spurious
    heart-rate offset between runs exported by two apps."""
    (act,) = read_gpx(FIXTURES / "tiny_run.gpx")
    assert act.device == ""
