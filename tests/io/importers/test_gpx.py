"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.io import load_dataset
from analysis.io.importers import (
    load_runner_streams,
    streams,
)
from tests.io.importers._support_importers import _csv_rows, _import


def test_tiny_gpx_summary_and_stream(tmp_path):
    summary = _import(tmp_path, "tiny_run.gpx")
    assert (summary.imported_runs, summary.failed) == (1, [])
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["date"] == "2024-05-04T07:30:00Z"  # GPX times are UTC
    assert float(row["distance_km"]) == pytest.approx(1.8, rel=0.01)  # 60 x 30 m
    assert float(row["duration_s"]) == pytest.approx(600, abs=1)
    hr = 140 + np.arange(61) // 6
    assert float(row["avg_hr_bpm"]) == pytest.approx(hr.mean(), abs=0.5)
    assert float(row["cadence_spm"]) == 170  # 85 strides/min
    assert row["run_id"] == "R01-20240504T0730"
    assert row["activity_file"] == "activities/R01/R01-20240504T0730.parquet"
    cached = load_runner_streams(tmp_path / "ds", "R01")
    stream = cached["R01-20240504T0730"]
    assert list(stream.columns) == list(streams.STREAM_COLUMNS)
    assert stream["time_s"].is_monotonic_increasing and len(stream) == 601
    assert stream["distance_m"].iloc[-1] == pytest.approx(1800, rel=0.01)
    assert stream["hr_bpm"].iloc[0] == 140
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.runs) == 1 and ds.quarantine.empty
