"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.io.importers import (
    import_sources,
    streams,
)
from analysis.io.importers.strength_apps import KG_PER_LB, read_fitnotes, read_hevy, read_strong
from tests.io.importers._support_importers import FIXTURES, _csv_rows


@pytest.mark.slow
def test_every_real_running_file_agrees_with_its_own_totals(real_activities):
    checked = 0
    for name, items in real_activities.items():
        if isinstance(items, Exception):
            continue
        for act, row, stream in items:
            if act.sport != "running" or not isinstance(row, dict):
                continue
            total = act.totals.get("distance_m")
            if total:
                assert row["distance_km"] * 1000 == pytest.approx(total, rel=0.01), name
                checked += 1
                if stream is not None and name != "suunto-movescount-run.tcx":
                    # the per-second stream adds up to the same distance
                    assert stream["distance_m"].max() == pytest.approx(total, rel=0.01), name
                timer = act.totals.get("timer_s")
                if timer and stream is not None:
                    assert row["duration_s"] <= timer + 1, name
    assert checked >= 20


@pytest.mark.slow
def test_real_elevation_gain_is_close_to_the_devices_own_total(real_activities):
    for name in (
        "garmin-fr945-run-6782987395.fit",
        "coros-run-6916663933.fit",
        "garmin-fr955-stryd-run.fit",
        "stryd-app-run-hrv.fit",
        "runpandas-run.fit",
        "suunto-ultra-run-6914448270.fit",
    ):
        ((act, row, _),) = real_activities[name]
        assert row["elev_gain_m"] == pytest.approx(act.totals["ascent_m"], rel=0.15), name


@pytest.mark.slow
def test_real_fit_records_match_the_reference_decode(real_activities, real):
    ref = pd.read_csv(real / "csv" / "fitdecode-garmin-fenix-5-run-records.csv")
    ((act, _, _),) = real_activities["garmin-fenix-5-run.fit"]
    np.testing.assert_allclose(act.samples["hr_bpm"].to_numpy(), ref["heart_rate"].to_numpy())
    np.testing.assert_allclose(act.samples["distance_m"].to_numpy(), ref["distance"].to_numpy())
    assert act.start_local == pd.Timestamp("2017-06-11 07:34:09")  # PDT in the reference
    ref = pd.read_csv(real / "csv" / "fitdecode-compressed-speed-distance-records.csv")
    ((act, row, _),) = real_activities["compressed-speed-distance.fit"]
    got = act.samples.dropna(subset=["distance_m"])
    np.testing.assert_allclose(got["distance_m"].to_numpy(), ref["Distance [m]"].to_numpy())
    np.testing.assert_allclose(got["hr_bpm"].to_numpy(), ref[" Heart Rate [bpm]"].to_numpy())
    assert row["distance_km"] == pytest.approx(10.24867)


@pytest.mark.slow
def test_real_cadence_temperature_and_vo2max(real_activities):
    ((act, row, _),) = real_activities["garmin-fr945-run-6782987395.fit"]
    assert row["date"] == "2019-06-15T05:42:23-04:00"
    assert row["vo2max_est_ml_kg_min"] == pytest.approx(61.7, abs=0.1)  # msg 140: 17.6 METs
    assert 150 < row["cadence_spm"] < 200 and row["temp_c"] == 21
    ((act, row, _),) = real_activities["suunto-trail-run-6909950168.fit"]
    assert row["vo2max_est_ml_kg_min"] == pytest.approx(53.0)  # developer field, scale 10
    # no local time stamp in the file: the zone of its first position (CET in March)
    assert row["date"] == "2020-03-04T17:14:31+01:00"


@pytest.mark.slow
def test_real_known_bad_and_non_running_files_give_their_reasons(real, tmp_path):
    fit = real / "fit"
    names = [
        "activity-unexpected-eof.fit",
        "activity-settings-corruptheader.fit",
        "not-a-fit-file.fit",
        "garmin-monitoring-file.fit",
        "fitsdk-developer-data.fit",
        "garmin-edge-500-activity.fit",
        "garmin-fenix-5-walk.fit",
        "garmin-fenix3-pool-swim.fit",
        "strava-android-app-201.10-b1218918.fit",
    ]
    summary = import_sources(tmp_path / "ds", "R01", [fit / n for n in names], progress=False)
    failed = {Path(f).name: why for f, why in summary.failed}
    assert "truncated FIT file" in failed["activity-unexpected-eof.fit"]
    assert "corrupt FIT file" in failed["activity-settings-corruptheader.fit"]
    assert "not a FIT file" in failed["not-a-fit-file.fit"]
    assert "no records" in failed["fitsdk-developer-data.fit"]
    skipped = {Path(f).name: why for f, why in summary.skipped}
    assert "not an activity (FIT file type 'monitoring_b')" in skipped["garmin-monitoring-file.fit"]
    sports = {Path(f).name: s for f, s in summary.non_running}
    assert sports == {
        "garmin-edge-500-activity.fit": "cycling",
        "garmin-fenix-5-walk.fit": "walking",
        "garmin-fenix3-pool-swim.fit": "swimming",
    }
    # decoding stops part-way, but the session totals are the file's own
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["source_file"] == "strava-android-app-201.10-b1218918.fit"
    assert row["distance_km"] == "11.274" and row["activity_file"] == ""
    assert any("decoding stopped part-way" in w for w in summary.warnings)


@pytest.mark.slow
def test_real_gpx_and_tcx_problems(real, tmp_path):
    names = [
        "gpx/strava-metadata-only.gpx",
        "gpx/runkeeper-garmin-tpx-snippet.gpx",
        "gpx/gpsbabel-hike-odd-times.gpx",
        "tcx/garmin-vivoactivehr-xc-ski.tcx",
        "gpx/strava-triathlon-swim-leg.gpx",
        "tcx/run-6281425038.tcx",
    ]
    summary = import_sources(tmp_path / "ds", "R01", [real / n for n in names], progress=False)
    failed = {Path(f).name: why for f, why in summary.failed}
    assert "no track points" in failed["strava-metadata-only.gpx"]
    assert "no track points" in failed["runkeeper-garmin-tpx-snippet.gpx"]
    assert "time stamps out of order" in failed["gpsbabel-hike-odd-times.gpx"]
    sports = dict(summary.non_running)
    assert sports[str(real / "tcx/garmin-vivoactivehr-xc-ski.tcx")] == "other"
    assert sports[str(real / "gpx/strava-triathlon-swim-leg.gpx")] == "swimming (16)"
    assert summary.imported_runs == 1  # the TCX with blanks before its XML declaration


@pytest.mark.slow
def test_real_same_activity_as_fit_gpx_and_tcx_is_kept_once_from_the_fit(real, tmp_path):
    names = [
        "gpx/garmin-fr220-run-short.gpx",
        "tcx/garmin-fr220-run-short.tcx",
        "fit/garmin-fr220-run-short.fit",
    ]
    first = import_sources(tmp_path / "ds", "R01", [real / n for n in names], progress=False)
    assert (first.imported_runs, first.duplicate_runs) == (1, 2)
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["source"] == "fit"
    again = import_sources(tmp_path / "ds", "R01", [real / n for n in names], progress=False)
    assert (again.imported_runs, again.duplicate_runs, again.upgraded_runs) == (0, 3, 0)


def test_real_strava_csv_uses_the_precise_distance_column(real, tmp_path):
    summary = import_sources(
        tmp_path / "ds", "R01", [real / "csv" / "strava-activities-2022.csv"], progress=False
    )
    assert summary.imported_runs == 439
    assert dict(pd.Series([s for _, s in summary.non_running]).value_counts()) == {
        "Walk": 64,
        "Workout": 59,
        "Weight Training": 44,
        "Hike": 4,
    }
    first = _csv_rows(tmp_path / "ds" / "runs.csv")[0]
    assert first["distance_km"] == "2.433"  # 2432.77 m, not the display 2.43
    assert first["date"] == "2022-10-06T23:19:20Z" and first["duration_s"] == "971"
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.runs) == 439 and ds.quarantine.empty
    # "Activity Gear": the runner rotates pairs of shoes, each run names one
    shoes = ds.runs["shoes"].value_counts()
    assert shoes["Saucony Endorphin Speed 3 Blue bolts"] == 68
    named = ds.runs["shoes"].fillna("").astype(str).str.strip().ne("")
    assert named.sum() == 429 and ds.runs.loc[named, "shoes"].nunique() == 15


def test_real_garmin_connect_export(real, tmp_path):
    summary = import_sources(
        tmp_path / "ds",
        "R01",
        [real / "csv" / "garmin-connect-activities-2022.csv"],
        progress=False,
    )
    assert summary.imported_runs == 63  # Running 56 + Treadmill Running 7
    assert not any("km or miles" in w for w in summary.warnings)  # stride x cadence says km
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.runs) == 63 and ds.quarantine.empty


def test_real_strength_exports(real, tmp_path):
    strong = read_strong(real / "strength" / "strong-small.csv", weight_unit="lb")
    assert len(strong.rows) == 48
    assert strong.rows["load_kg"].iloc[0] == pytest.approx(45 * KG_PER_LB)
    # the file does not say its unit: pounds are inferred from the barbell loads
    inferred = read_strong(real / "strength" / "strong-small.csv")
    (note,) = inferred.unit_notes
    assert "WEIGHT UNIT INFERRED AS LB" in note and "45 on Squat (Barbell)" in note
    assert inferred.rows["load_kg"].tolist() == pytest.approx(strong.rows["load_kg"].tolist())
    hevy = read_hevy(real / "strength" / "hevy-workouts.csv")
    assert (hevy.rows["set_type"] == "warmup").sum() == 48
    pullups = hevy.rows[hevy.rows["exercise"] == "Pull Up"]
    assert pullups["load_kg"].isna().all()  # empty weight: body weight
    fitnotes = read_fitnotes(real / "csv" / "fitnotes-export-2020-10-04.csv")
    assert fitnotes.rows["load_kg"].iloc[0] == pytest.approx(45 * KG_PER_LB)
    summary = import_sources(
        tmp_path / "ds",
        "R01",
        [real / "strength", real / "csv" / "fitnotes-export-2020-10-04.csv"],
        weight_unit="lb",
        progress=False,
    )
    assert summary.imported_strength_rows == len(strong.rows) + len(hevy.rows) + len(fitnotes.rows)
    again = import_sources(
        tmp_path / "ds", "R01", [real / "strength"], weight_unit="lb", progress=False
    )
    assert again.imported_strength_rows == 0
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.strength) == summary.imported_strength_rows and ds.quarantine.empty


@pytest.mark.slow
def test_real_session_year_imports_end_to_end(real, tmp_path):
    summary = import_sources(
        tmp_path / "ds", "S01", [real / "session"], name="Session runner", progress=False
    )
    assert summary.failed == [] and summary.imported_runs == 34
    assert summary.runs_with_hr == 34 and summary.runs_with_stream == 34
    assert 200 < summary.imported_km < 260
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.runs) == 34 and ds.quarantine.empty
    runs = ds.runs
    pace = runs["duration_s"] / runs["distance_km"]
    assert pace.between(300, 480).all()  # 5:00-8:00 /km: this runner's range
    steady = pd.to_numeric(runs["steady_duration_s"])
    assert (steady >= streams.STEADY_MIN_TOTAL_S).sum() >= 15
    again = import_sources(tmp_path / "ds", "S01", [real / "session"], progress=False)
    assert (again.imported_runs, again.duplicate_runs) == (0, 34)


def test_copying_real_files_into_a_strava_like_folder_keeps_one_run(real, tmp_path):
    export = tmp_path / "export"
    (export / "activities").mkdir(parents=True)
    shutil.copy(
        real / "fit" / "garmin-vivoactivehr-run-3386684871.fit", export / "activities" / "42.fit"
    )
    header = next(csv.reader(open(FIXTURES / "strava_export" / "activities.csv")))
    row = [""] * len(header)
    row[0], row[1], row[2], row[3] = "42", "Feb 16, 2019, 5:05:52 AM", "Saturday Run", "Run"
    row[12] = "activities/42.fit"
    row[17] = "4922.7"
    row[16] = "1440"
    with open(export / "activities.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([header, row])
    summary = import_sources(tmp_path / "ds", "R01", [export], progress=False)
    assert (summary.imported_runs, summary.duplicate_runs, summary.files_seen) == (1, 0, 1)
    (run,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert (run["source"], run["name"], run["strava_id"]) == ("fit", "Saturday Run", "42")
