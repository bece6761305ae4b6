"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

from tests.io.importers._support_importers import _csv_rows, _import


def test_garmin_connect_export_units_missing_values_and_sports(tmp_path):
    summary = _import(tmp_path, "garmin_activities.csv", "garmin_decimal_comma.csv")
    assert summary.imported_runs == 3
    assert sorted(s for _, s in summary.non_running) == ["Pool Swimming", "Road Cycling"]
    rows = {r["name"]: r for r in _csv_rows(tmp_path / "ds" / "runs.csv")}
    treadmill = rows["Treadmill Running"]
    assert treadmill["avg_hr_bpm"] == "" and treadmill["elev_gain_m"] == ""  # "--"
    assert treadmill["duration_s"] == "1980.5"  # 00:33:00.5
    assert treadmill["date"] == "2024-05-06T19:00:00"  # local time, no zone
    assert rows["Laufen"]["distance_km"] == "7"  # "7,00": decimal comma
    assert rows["Paris Running"]["cadence_spm"] == "170"


def test_garmin_run_and_gpx_of_the_same_run_in_different_zones_kept_once(tmp_path):
    summary = _import(tmp_path, "garmin_activities.csv", "tiny_run.gpx")
    assert summary.duplicate_runs == 1
    sources = sorted(r["source"] for r in _csv_rows(tmp_path / "ds" / "runs.csv"))
    assert sources == ["garmin_csv", "gpx"]  # the treadmill run and the GPX
