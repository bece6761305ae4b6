"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.io.errors import DataError
from analysis.io.importers import (
    ImportSummary,
    dedupe,
    detect_kind,
    import_sources,
    load_runner_streams,
    read_fit,
    read_gpx,
    read_tcx,
    streams,
    summarise,
)
from analysis.io.importers.activity import NotAnActivity, normalise_sport, strides_to_steps
from analysis.io.importers.strength_apps import KG_PER_LB, read_fitnotes, read_hevy, read_strong
from analysis.physiology import aerobic_decoupling

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def real() -> Path:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is not available")
    return REAL


def _csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _import(tmp_path, *sources, runner="R01", **kwargs) -> ImportSummary:
    return import_sources(
        tmp_path / "ds", runner, [FIXTURES / s for s in sources], progress=False, **kwargs
    )


# ------------------------------------------------------------------ detection


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("tiny_run.gpx", "gpx"),
        ("tiny_run.tcx", "tcx"),
        ("not_a_fit.fit", "fit"),
        ("garmin_activities.csv", "garmin_csv"),
        ("garmin_decimal_comma.csv", "garmin_csv"),
        ("strava_export/activities.csv", "strava_csv"),
        ("strong_lb.csv", "strong"),
        ("strong_semicolon.csv", "strong"),
        ("hevy.csv", "hevy"),
        ("hevy_lbs.csv", "hevy"),
        ("fitnotes.csv", "fitnotes"),
    ],
)
def test_kind_is_detected_from_extension_and_header(name, kind):
    assert detect_kind(FIXTURES / name) == (kind, "")


def test_unknown_csv_header_is_named():
    kind, reason = detect_kind(FIXTURES / "unknown.csv")
    assert kind is None
    assert "unknown CSV header (foo, bar, baz)" in reason


def test_sport_names_from_every_source_are_normalised():
    assert [normalise_sport(s) for s in ("Running", "Trail Run", "9", "treadmill_running")] == [
        "running"
    ] * 4
    assert [normalise_sport(s) for s in ("Biking", "Ride", "16", "Walk", "", None)] == [
        "cycling",
        "cycling",
        "swimming",
        "walking",
        "",
        "",
    ]


def test_running_cadence_in_strides_is_doubled_and_steps_are_kept():
    np.testing.assert_allclose(strides_to_steps([84, 86, 85]), [168, 172, 170])
    np.testing.assert_allclose(strides_to_steps([168, 172, 0]), [168, 172, 0])


# ------------------------------------------------------------ stream maths


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


def _track(seconds, speed_m_s, *, jitter_m=0.0, seed=0):
    """Samples of a run due north at the given speed per second, with GPS jitter."""
    rng = np.random.default_rng(seed)
    north = np.cumsum(np.concatenate(([0.0], speed_m_s[:-1])))
    north = north + rng.normal(0, jitter_m, north.size)
    m_per_deg = 6371008.8 * math.pi / 180
    return pd.DataFrame(
        {"time_s": seconds.astype(float), "lat_deg": 45 + north / m_per_deg, "lon_deg": 6.0}
    )


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


def _hr_response(speed, *, tau_s=30.0, drift_bpm_per_s=0.0):
    """Heart rate following speed with a first-order lag, plus a slow drift."""
    target = 60 + 30 * speed
    hr = np.empty_like(target)
    hr[0] = target[0]
    alpha = 1 - math.exp(-1 / tau_s)
    for i in range(1, target.size):
        hr[i] = hr[i - 1] + alpha * (target[i] - hr[i - 1])
    return hr + drift_bpm_per_s * np.arange(target.size)


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


# ------------------------------------------------------------------ dedupe


def _runs(*rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "distance_km", "source"])


def test_same_run_from_local_time_and_utc_exports_matches():
    garmin = _runs(("R", "2024-05-04T09:30:00", 10.0, "garmin_csv"))
    strava = _runs(("R", "2024-05-04T07:30:20Z", 10.1, "strava_csv"))
    assert dedupe.match_runs(garmin, strava).tolist() == [0]


def test_start_and_distance_tolerances():
    old = _runs(("R", "2024-05-04T07:30:00+02:00", 10.0, "fit"))
    cases = [
        ("2024-05-04T05:30:59Z", 10.15, 0),  # 59 s, 1.5 %: same
        ("2024-05-04T05:31:05Z", 10.0, -1),  # 65 s: different
        ("2024-05-04T05:30:30Z", 10.5, -1),  # 30 s and 5 %: different
        ("2024-05-04T05:30:05Z", 11.5, 0),  # 5 s: one recording, GPX vs device distance
    ]
    for date, km, expected in cases:
        assert dedupe.match_runs(_runs(("R", date, km, "gpx")), old).tolist() == [expected], date
    assert dedupe.match_runs(_runs(("Q", "2024-05-04T05:30:00Z", 10.0, "gpx")), old).tolist() == [
        -1
    ]


def test_date_only_row_matches_a_run_of_that_day_and_distance():
    old = _runs(("R", "2024-05-04", 10.0, ""))
    assert dedupe.match_runs(_runs(("R", "2024-05-04T18:00:00Z", 10.1, "fit")), old).tolist() == [0]
    assert dedupe.match_runs(_runs(("R", "2024-05-05T18:00:00Z", 10.1, "fit")), old).tolist() == [
        -1
    ]


def test_within_one_import_the_richer_source_is_kept():
    rows = _runs(
        ("R", "2024-05-04T07:30:00Z", 10.0, "strava_csv"),
        ("R", "2024-05-04T09:30:10+02:00", 10.05, "fit"),
        ("R", "2024-05-05T07:30:00Z", 10.0, "gpx"),
    )
    assert dedupe.dedupe_batch(rows).tolist() == [True, False, False]


# ------------------------------------------------------- device fixtures


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


def test_tcx_distance_is_the_lap_total_and_run_cadence_is_doubled(tmp_path):
    (act,) = read_tcx(FIXTURES / "tiny_run.tcx")
    assert act.totals["distance_m"] == 1800.0 and act.totals["timer_s"] == 600.0
    row, stream = summarise(act)
    assert row["distance_km"] == 1.8
    assert row["max_hr_bpm"] == 156 and row["avg_hr_bpm"] == 150
    assert row["cadence_spm"] == 170
    assert stream["speed_m_s"].dropna().eq(3.0).all()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("no_time.gpx", "no time stamps"),
        ("not_a_fit.fit", "not a FIT file"),
        ("empty.fit", "empty file"),
    ],
)
def test_bad_device_files_fail_with_their_reason(tmp_path, name, reason):
    summary = _import(tmp_path, name)
    assert len(summary.failed) == 1
    assert reason in summary.failed[0][1]
    assert f"{name}: " in summary.format()
    assert not summary.ok


def test_one_bad_file_does_not_stop_the_others_nor_touch_the_dataset(tmp_path):
    _import(tmp_path, "tiny_run.gpx")
    before = {p.name: p.read_bytes() for p in (tmp_path / "ds").glob("*.csv")}
    summary = _import(tmp_path, "not_a_fit.fit", "no_time.gpx", "tiny_run.tcx")
    assert summary.imported_runs == 1 and len(summary.failed) == 2
    assert (tmp_path / "ds" / "runners.csv").read_bytes() == before["runners.csv"]
    assert (tmp_path / "ds" / "runs.csv").read_bytes().startswith(before["runs.csv"])


def test_reimport_is_idempotent_and_leaves_the_files_byte_identical(tmp_path):
    first = _import(tmp_path, "tiny_run.gpx", "tiny_run.tcx", "strava_export", "hevy.csv")
    files = {p: p.read_bytes() for p in (tmp_path / "ds").rglob("*") if p.is_file()}
    second = _import(tmp_path, "tiny_run.gpx", "tiny_run.tcx", "strava_export", "hevy.csv")
    assert first.imported_runs == 4 and first.imported_strength_rows == 7
    assert (second.imported_runs, second.imported_strength_rows) == (0, 0)
    assert second.duplicate_runs == 4 and second.duplicate_strength_rows == 7
    assert {p: p.read_bytes() for p in files} == files


def test_failed_import_creates_no_dataset(tmp_path):
    summary = import_sources(tmp_path / "ds", "R01", [tmp_path / "nonexistent"], progress=False)
    assert summary.failed == [(str(tmp_path / "nonexistent"), "no such file or folder")]
    assert not summary.ok and not summary.created_runner
    assert not (tmp_path / "ds").exists()
    # a bad file, or only non-running / too-short activities, writes nothing either
    assert not _import(tmp_path, "not_a_fit.fit").ok
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("content", [None, "notes.txt"])
def test_folder_without_importable_files_is_not_ok_and_says_so(tmp_path, content):
    folder = tmp_path / "downloads"
    folder.mkdir()
    if content:
        (folder / content).write_text("not an activity\n")
    summary = import_sources(tmp_path / "ds", "R01", [folder], progress=False)
    assert summary.nothing_found and not summary.ok and not summary.failed
    text = summary.format()
    assert f"no importable files found in {folder}" in text
    assert text.startswith(f"Nothing imported into {tmp_path / 'ds'} for runner R01")
    assert "was not written" in text
    assert not (tmp_path / "ds").exists()


def test_import_with_nothing_new_leaves_an_existing_dataset_byte_identical(tmp_path):
    _import(tmp_path, "tiny_run.gpx", "hevy.csv", name="Ana")
    files = {p: p.read_bytes() for p in (tmp_path / "ds").rglob("*") if p.is_file()}
    stamps = {p: p.stat().st_mtime_ns for p in files}
    empty = tmp_path / "empty"
    empty.mkdir()
    attempts = [
        import_sources(tmp_path / "ds", "R02", [empty], name="Ben", progress=False),
        import_sources(tmp_path / "ds", "R02", [tmp_path / "nope"], progress=False),
        _import(tmp_path, "not_a_fit.fit", runner="R02"),
        _import(tmp_path, "tiny_run.gpx", runner="R01", name="Someone else"),
    ]
    assert [a.ok for a in attempts] == [False, False, False, True]
    assert attempts[-1].duplicate_runs == 1 and not attempts[-1].changed
    assert not any(a.created_runner for a in attempts)
    after = [p for p in (tmp_path / "ds").rglob("*") if p.is_file()]
    assert sorted(after) == sorted(files)
    assert {p: p.read_bytes() for p in after} == files
    assert {p: p.stat().st_mtime_ns for p in after} == stamps  # not even rewritten


def test_device_files_are_read_gunzipped_and_empty_ones_refused(tmp_path):
    import gzip

    from analysis.io.importers.files import read_source

    text = (FIXTURES / "tiny_run.gpx").read_bytes()
    (tmp_path / "a.gpx.gz").write_bytes(gzip.compress(text))
    assert read_source(tmp_path / "a.gpx.gz") == text
    (tmp_path / "b.fit.gz").write_bytes(b"not gzip")
    (tmp_path / "c.tcx").write_bytes(b" \n\t")
    (tmp_path / "d.gpx.gz").write_bytes(gzip.compress(b""))
    for name, reason in (
        ("b.fit.gz", "not a readable gzip file"),
        ("c.tcx", "empty file (only white space)"),
        ("d.gpx.gz", "empty file (0 bytes)"),
        ("missing.fit", "cannot read the file"),
    ):
        with pytest.raises(DataError, match=re.escape(reason)):
            read_source(tmp_path / name)
    for reader, name in ((read_fit, "d.gpx.gz"), (read_gpx, "c.tcx"), (read_tcx, "c.tcx")):
        with pytest.raises(DataError, match="empty file"):
            reader(tmp_path / name)


def test_write_failure_leaves_the_old_file_whole(tmp_path, monkeypatch):
    _import(tmp_path, "tiny_run.gpx")
    runs = tmp_path / "ds" / "runs.csv"
    before = runs.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        _import(tmp_path, "tiny_run.tcx")
    assert runs.read_bytes() == before
    assert not [p for p in (tmp_path / "ds").rglob("*.tmp")]


def test_existing_rows_are_kept_even_those_the_loader_would_quarantine(tmp_path):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "runners.csv").write_text("runner_id,name,hr_max_bpm\nR01,Ana,190\nR02,Ben,\n")
    original = (
        "runner_id,date,distance_km,duration,avg_hr_bpm,run_type,notes\n"
        'R01,2024-04-01,10,0:50:00,150,easy,"hilly, windy"\n'
        "R01,2024-04-02,10,0:05:00,150,easy,too fast to be true\n"
        "R02,2024-04-03,8.0,0:44:00,,long,\n"
    )
    (ds / "runs.csv").write_text(original)
    summary = _import(tmp_path, "tiny_run.gpx", name="Ana")
    assert summary.imported_runs == 1 and not summary.created_runner
    rows = _csv_rows(ds / "runs.csv")
    old = [
        {
            k: r[k]
            for k in (
                "runner_id",
                "date",
                "distance_km",
                "duration",
                "avg_hr_bpm",
                "run_type",
                "notes",
            )
        }
        for r in rows[:3]
    ]
    expected = list(csv.DictReader(original.splitlines()))
    assert old == expected
    assert rows[3]["source"] == "gpx" and rows[3]["duration"] == ""
    loaded = load_dataset(ds)
    assert len(loaded.runs) == 3 and (loaded.quarantine["line"] == 3).any()
    # the header now has every importer column: a further import only appends
    before = (ds / "runs.csv").read_bytes()
    _import(tmp_path, "tiny_run.tcx")
    assert (ds / "runs.csv").read_bytes().startswith(before)
    assert (ds / "runners.csv").read_text() == "runner_id,name,hr_max_bpm\nR01,Ana,190\nR02,Ben,\n"


def test_new_runner_is_created_with_name_and_bad_runner_id_refused(tmp_path):
    summary = _import(tmp_path, "tiny_run.gpx", runner="S-07", name="Sam Okafor")
    assert summary.created_runner
    assert _csv_rows(tmp_path / "ds" / "runners.csv") == [
        {"runner_id": "S-07", "name": "Sam Okafor"}
    ]
    with pytest.raises(DataError, match="runner id 'a b' is not valid"):
        _import(tmp_path, "tiny_run.gpx", runner="a b")


def test_unusable_dataset_is_a_data_error(tmp_path):
    not_a_folder = tmp_path / "ds"
    not_a_folder.write_text("x")
    with pytest.raises(DataError, match="is a file, not a dataset folder"):
        _import(tmp_path, "tiny_run.gpx")
    not_a_folder.unlink()
    not_a_folder.mkdir()
    (not_a_folder / "runs.csv").write_text("runner,when\nR01,2024-01-01\n")
    with pytest.raises(DataError, match="not a canonical dataset file"):
        _import(tmp_path, "tiny_run.gpx")


# ------------------------------------------------------------ app exports


def test_strava_export_folder_imports_its_activity_files_once(tmp_path):
    summary = _import(tmp_path, "strava_export")
    assert summary.imported_runs == 2 and summary.failed == []
    assert sorted(s for _, s in summary.non_running) == ["Ride", "Walk"]
    rows = {r["strava_id"]: r for r in _csv_rows(tmp_path / "ds" / "runs.csv")}
    from_file = rows["1001"]
    assert from_file["source"] == "gpx" and from_file["activity_file"]
    assert (from_file["name"], from_file["rpe"]) == ("Sunday Run", "4")
    assert from_file["date"] == "2024-05-05T07:30:00Z"
    summary_only = rows["1002"]
    assert summary_only["source"] == "strava_csv" and summary_only["activity_file"] == ""
    # the second Distance column is in metres, the first is rounded display km
    assert summary_only["distance_km"] == "5.012"
    assert summary_only["duration_s"] == "1490"  # Moving Time
    assert summary_only["cadence_spm"] == "176"  # 88 strides/min
    assert summary_only["date"] == "2024-05-07T18:00:00Z"  # "May 7, 2024, 6:00:00 PM", UTC


def test_run_in_a_strava_csv_and_a_device_file_is_kept_once_from_the_device(tmp_path):
    summary = _import(tmp_path, "strava_tiny_run.csv", "tiny_run.gpx")
    assert (summary.imported_runs, summary.duplicate_runs) == (1, 1)
    (row,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert row["source"] == "gpx"


def test_device_file_upgrades_a_csv_run_imported_before(tmp_path):
    _import(tmp_path, "strava_tiny_run.csv")
    (before,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    summary = _import(tmp_path, "tiny_run.gpx")
    assert (summary.imported_runs, summary.upgraded_runs) == (0, 1)
    (after,) = _csv_rows(tmp_path / "ds" / "runs.csv")
    assert after["run_id"] == before["run_id"]
    assert after["rpe"] == "3"  # the CSV's own value is kept
    assert after["source"] == "gpx" and after["activity_file"].endswith(
        before["run_id"] + ".parquet"
    )
    assert float(after["distance_km"]) == pytest.approx(1.8, rel=0.01)


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


def test_csv_exports_skip_undated_rows_and_list_other_sports(tmp_path):
    from analysis.io.importers.garmin_csv import read_garmin_csv
    from analysis.io.importers.strava import read_strava_csv

    lines = (FIXTURES / "garmin_activities.csv").read_text().splitlines()
    lines[2] = lines[2].replace("2024-05-06 19:00:00", "yesterday")
    (tmp_path / "garmin.csv").write_text("\n".join(lines) + "\n")
    got = read_garmin_csv(tmp_path / "garmin.csv")
    assert got.rows["name"].tolist() == ["Paris Running"]
    assert got.non_running == [
        ("garmin.csv line 4", "Pool Swimming"),
        ("garmin.csv line 5", "Road Cycling"),
    ]
    assert got.others["name"].tolist() == ["Pool Swim", "Evening Ride"]
    assert "garmin.csv: 1 rows with an unreadable Date were skipped" in got.warnings

    export = tmp_path / "strava"
    shutil.copytree(FIXTURES / "strava_export", export)
    header, run_with_file, run_without = (export / "activities.csv").read_text().splitlines()[:3]
    gone = run_without.replace("1002,", "1003,", 1).replace(
        ",,,,1500.0", ",activities/3.fit,,,1500.0"
    )
    assert "activities/3.fit" in gone
    ride = run_without.replace("1002,", "1004,", 1).replace(",Run,", ",Ride,")
    undated = run_without.replace("May 7, 2024, 6:00:00 PM", "someday")
    (export / "activities.csv").write_text(
        "\n".join([header, run_with_file, gone, ride, undated]) + "\n"
    )
    got = read_strava_csv(export / "activities.csv")
    assert got.rows["strava_id"].tolist() == ["1001", "1003"]
    assert [(p.name, i) for p, i in got.device_files] == [("1001.gpx", 0)]
    assert got.non_running == [("activities.csv line 4", "Ride")]
    assert got.warnings == [
        "activities.csv: 1 rows with an unreadable Activity Date were skipped",
        "activities.csv: 1 runs name an activity file that is not next to the CSV; their "
        "summary values from the CSV were imported (no per-second stream)",
    ]


def test_garmin_run_and_gpx_of_the_same_run_in_different_zones_kept_once(tmp_path):
    summary = _import(tmp_path, "garmin_activities.csv", "tiny_run.gpx")
    assert summary.duplicate_runs == 1
    sources = sorted(r["source"] for r in _csv_rows(tmp_path / "ds" / "runs.csv"))
    assert sources == ["garmin_csv", "gpx"]  # the treadmill run and the GPX


def test_non_running_activities_can_be_included(tmp_path):
    summary = _import(tmp_path, "garmin_activities.csv", include_non_running=True)
    assert summary.imported_runs == 4 and summary.non_running == []
    sports = sorted(r["sport"] for r in _csv_rows(tmp_path / "ds" / "runs.csv"))
    assert sports == ["cycling", "running", "running", "swimming"]


def test_strong_weights_in_the_unit_given_and_warm_up_flagged():
    got = read_strong(FIXTURES / "strong_lb.csv", weight_unit="lb")
    rows = got.rows
    assert list(rows["exercise"]) == ["Squat (Barbell)"] * 3 + [
        "Plank",
        "Romanian Deadlift (Barbell)",
    ]
    np.testing.assert_allclose(rows["load_kg"].iloc[:3], np.array([45, 135, 135]) * KG_PER_LB)
    assert list(rows["set_type"]) == ["warmup", "normal", "normal", "normal", "normal"]
    plank = rows.iloc[3]
    assert np.isnan(plank["load_kg"]) and np.isnan(plank["reps"]) and plank["duration_s"] == 60
    assert any("Rest Timer" in w for w in got.warnings) and any("cardio" in w for w in got.warnings)
    assert not any("look like" in w for w in got.warnings)


def test_strong_loads_that_look_like_pounds_are_warned_about():
    got = read_strong(FIXTURES / "strong_lb.csv")  # no unit given: kg assumed
    assert got.rows["load_kg"].iloc[1] == 135
    assert any("look like pounds" in w and "--weight-unit lb" in w for w in got.warnings)


def test_strong_legacy_semicolon_export_with_a_unit_per_row():
    rows = read_strong(FIXTURES / "strong_semicolon.csv").rows
    assert list(rows["load_kg"].iloc[:2]) == [22.5, 22.5]  # "22,5"
    assert rows["load_kg"].iloc[2] == pytest.approx(100 * KG_PER_LB)
    assert np.isnan(rows["load_kg"].iloc[3])  # box jump: body weight
    assert list(rows["set_number"]) == [1, 2, 1, 1]


def test_hevy_sets_types_bodyweight_assisted_and_cardio():
    got = read_hevy(FIXTURES / "hevy.csv")
    rows = got.rows.set_index(["exercise", "set_number"])
    assert rows.loc[("Squat (Barbell)", 1), "set_type"] == "warmup"
    assert rows.loc[("Squat (Barbell)", 3), "set_type"] == "failure"
    assert np.isnan(rows.loc[("Pull Up", 1), "load_kg"])
    assistance = rows.loc[("Chin Up (Assisted)", 1)]
    assert np.isnan(assistance["load_kg"]) and assistance["assistance_kg"] == 20
    assert rows.loc[("Plank", 1), "duration_s"] == 45
    assert "Treadmill" not in got.rows["exercise"].tolist()
    assert got.rows["date"].iloc[0] == "2026-04-08T16:50:00"
    lbs = read_hevy(FIXTURES / "hevy_lbs.csv").rows
    assert lbs["load_kg"].iloc[0] == pytest.approx(225 * KG_PER_LB)


def test_fitnotes_unit_from_the_header_and_identical_sets_kept_apart():
    rows = read_fitnotes(FIXTURES / "fitnotes.csv").rows
    assert list(rows["exercise"]) == ["Barbell Squat", "Barbell Squat", "Plank"]
    assert rows["load_kg"].iloc[0] == pytest.approx(225 * KG_PER_LB)
    assert list(rows["set_number"]) == [1, 2, 1]
    assert rows["duration_s"].iloc[2] == 60 and rows["date"].iloc[0] == "2024-05-20"


def test_strength_rows_load_with_set_type_and_unknown_exercises_listed(tmp_path):
    summary = _import(tmp_path, "hevy.csv", "strong_lb.csv", "fitnotes.csv", weight_unit="lb")
    assert summary.imported_strength_rows == 7 + 5 + 3
    assert summary.unknown_exercises == ["Zercher Carry Thing"]
    ds = load_dataset(tmp_path / "ds")
    assert len(ds.strength) == 15 and ds.quarantine.empty
    assert (ds.strength["set_type"] == "warmup").sum() == 2
    assert ds.strength["category"].notna().all()


# ------------------------------------------------------------ real files


@pytest.fixture(scope="module")
def real_activities(real):
    """Every real device file decoded once: {file name: [(activity, row, stream) or exception]}."""
    out = {}
    readers = {"fit": read_fit, "gpx": read_gpx, "tcx": read_tcx}
    for folder, reader in readers.items():
        for path in sorted((real / folder).glob(f"*.{folder}")):
            try:
                acts = reader(path)
            except (DataError, NotAnActivity) as exc:
                out[path.name] = exc
                continue
            items = []
            for act in acts:
                if act.sport != "running":
                    items.append((act, None, None))
                    continue
                try:
                    row, stream = summarise(act)
                except DataError as exc:
                    items.append((act, exc, None))
                    continue
                items.append((act, row, stream))
            out[path.name] = items
    return out


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
    assert row["date"] == "2020-03-04T16:14:31Z"  # no local time stamp in the file


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
    assert any(
        "look like pounds" in w
        for w in read_strong(real / "strength" / "strong-small.csv").warnings
    )
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


def test_gzipped_files_and_parallel_workers_give_the_same_dataset(tmp_path):
    import gzip

    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "tiny_run.gpx.gz").write_bytes(
        gzip.compress((FIXTURES / "tiny_run.gpx").read_bytes())
    )
    (folder / "tiny_run.tcx.gz").write_bytes(
        gzip.compress((FIXTURES / "tiny_run.tcx").read_bytes())
    )
    shutil.copy(FIXTURES / "hevy.csv", folder / "hevy.csv")
    serial = import_sources(tmp_path / "one", "R01", [folder], progress=False)
    parallel = import_sources(tmp_path / "two", "R01", [folder], progress=False, workers=2)
    assert serial.imported_runs == parallel.imported_runs == 2
    for name in ("runs.csv", "strength.csv", "runners.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    with pytest.raises(ValueError, match="'workers' parameter"):
        import_sources(tmp_path / "three", "R01", [folder], progress=False, workers=0)
