"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

from tests.io.importers._support_importers import _csv_rows, _import


def test_strava_export_folder_imports_its_activity_files_once(tmp_path):
    summary = _import(tmp_path, "strava_export")
    assert summary.imported_runs == 2 and summary.failed == []
    assert sorted(s for _, s in summary.non_running) == ["Ride", "Walk"]
    rows = {r["strava_id"]: r for r in _csv_rows(tmp_path / "ds" / "runs.csv")}
    from_file = rows["1001"]
    assert from_file["source"] == "gpx" and from_file["activity_file"]
    assert (from_file["name"], from_file["rpe"]) == ("Sunday Run", "4")
    assert from_file["date"] == "2024-05-05T09:30:00+02:00"  # local time in Paris
    summary_only = rows["1002"]
    assert summary_only["source"] == "strava_csv" and summary_only["activity_file"] == ""
    # the second Distance column is in metres, the first is rounded display km
    assert summary_only["distance_km"] == "5.012"
    assert summary_only["duration_s"] == "1490"  # Moving Time
    assert summary_only["cadence_spm"] == "176"  # 88 strides/min
    assert summary_only["date"] == "2024-05-07T18:00:00Z"  # "May 7, 2024, 6:00:00 PM", UTC
    # Strava's gear is the shoes (runs.csv's shoes: the field model's shoe offset),
    # from the CSV row also where the run came from its activity file; kept as text
    assert from_file["shoes"] == "Pegasus 40"
    assert summary_only["shoes"] == "Vaporfly 3 <b>race</b>"


def test_run_in_a_strava_csv_and_a_device_file_is_kept_once_from_the_device(tmp_path):
    summary = _import(tmp_path, "strava_tiny_run.csv", "tiny_run.gpx")
    assert (summary.imported_runs, summary.duplicate_runs) == (1, 1)
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["source"] == "gpx"
