"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import csv
import os
import shutil

import pytest

from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.io.importers import (
    import_sources,
)
from tests.io.importers._support_importers import FIXTURES, _csv_rows, _import


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


def test_write_failure_leaves_the_old_file_whole(tmp_path, monkeypatch):
    _import(tmp_path, "tiny_run.gpx")
    runs = tmp_path / "ds" / "runs.csv"
    before = runs.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(DataError, match="cannot write here: disk full"):
        _import(tmp_path, "tiny_run.tcx")
    assert runs.read_bytes() == before
    assert not [p for p in (tmp_path / "ds").rglob("*.tmp")]
    assert not (tmp_path / "ds" / ".runeco-journal.json").exists()


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


def test_shoes_typed_by_hand_survive_an_upgrade_from_a_device_file(tmp_path):
    import pandas as pd

    _import(tmp_path, "strava_tiny_run.csv")
    path = tmp_path / "ds" / "runs.csv"
    runs = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "shoes" in runs.columns
    runs["shoes"] = "Pegasus 40"  # a coach's correction
    runs.to_csv(path, index=False)
    summary = _import(tmp_path, "tiny_run.gpx")
    assert summary.upgraded_runs == 1
    (after,) = _csv_rows(path)
    assert after["source"] == "gpx" and after["shoes"] == "Pegasus 40"


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


def test_non_running_activities_can_be_included(tmp_path):
    summary = _import(tmp_path, "garmin_activities.csv", include_non_running=True)
    assert summary.imported_runs == 4 and summary.non_running == []
    sports = sorted(r["sport"] for r in _csv_rows(tmp_path / "ds" / "runs.csv"))
    assert sports == ["cycling", "running", "running", "swimming"]


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


def test_replace_fixes_a_wrong_unit_instead_of_skipping_duplicates(tmp_path):
    """Issue 12: a Strong log imported as kg, then again with --weight-unit lb, said
    '0 new set rows, N duplicates skipped' and kept the wrong loads."""
    first = _import(tmp_path, "strong_lb.csv", weight_unit="kg")
    n = first.imported_strength_rows
    loads_kg = load_dataset(tmp_path / "ds").strength["load_kg"].dropna().tolist()
    again = _import(tmp_path, "strong_lb.csv", weight_unit="lb")
    assert again.imported_strength_rows == 0 and again.duplicate_strength_rows == n
    fixed = _import(tmp_path, "strong_lb.csv", weight_unit="lb", replace=True)
    assert fixed.replaced_strength_rows == n and fixed.imported_strength_rows == n
    assert "rows from the same files replaced" in fixed.format()
    strength = load_dataset(tmp_path / "ds").strength
    assert len(strength) == n
    assert strength["load_kg"].dropna().tolist() == pytest.approx(
        [w * 0.45359237 for w in loads_kg], rel=1e-3
    )


def test_replace_leaves_other_runners_and_other_files_alone(tmp_path):
    _import(tmp_path, "strong_lb.csv", runner="R01", weight_unit="kg")
    _import(tmp_path, "strong_lb.csv", runner="R02", weight_unit="kg")
    _import(tmp_path, "hevy.csv", runner="R01")
    before = load_dataset(tmp_path / "ds").strength
    _import(tmp_path, "strong_lb.csv", runner="R01", weight_unit="lb", replace=True)
    after = load_dataset(tmp_path / "ds").strength
    for rid, source in (("R02", "strong_lb.csv"), ("R01", "hevy.csv")):
        was = before.loc[(before["runner_id"] == rid) & (before["source_file"] == source)]
        now = after.loc[(after["runner_id"] == rid) & (after["source_file"] == source)]
        assert now["load_kg"].tolist() == pytest.approx(was["load_kg"].tolist(), nan_ok=True)
    assert len(after) == len(before)


def test_the_same_files_under_a_second_runner_id_are_named(tmp_path):
    """Issue 12: 68 GPX files imported under a second runner id without a word."""
    _import(tmp_path, "tiny_run.gpx", runner="ana")
    second = _import(tmp_path, "tiny_run.gpx", runner="bob")
    assert second.imported_runs == 1  # imported (it may be a different runner's run)
    assert any(
        "already in the dataset for runner ana" in w and "same start, distance and file name" in w
        for w in second.warnings
    )
    third = _import(tmp_path, "tiny_run.tcx", runner="cem")
    assert not any("already in the dataset" in w for w in third.warnings)


def test_a_squad_imports_from_one_folder_per_runner(tmp_path, capsys):
    """Issue 12: a coach with ten athletes' exports types one command."""
    from analysis.cli import main

    exports = tmp_path / "exports"
    for rid, files in {"ana": ["tiny_run.gpx"], "bob": ["tiny_run.tcx", "hevy.csv"]}.items():
        (exports / rid).mkdir(parents=True)
        for f in files:
            shutil.copy(FIXTURES / f, exports / rid / f)
    (exports / ".hidden").mkdir()
    ds = tmp_path / "ds"
    assert main(["import", str(ds), "--folders", "--quiet", str(exports)]) == 0
    out = capsys.readouterr().out
    assert "2 runners imported" in out and "runeco check" in out
    # and says at once why neither has an answer yet (one run each, no block)
    readiness = out.split("ready for an answer? (baseline 6 weeks)\n")[1].splitlines()
    assert readiness[0].startswith("ana  NOT READY: ") and readiness[1].startswith(
        "bob  NOT READY: "
    )
    assert all(" -> " in line for line in readiness[:2])  # each with what to change
    data = load_dataset(ds)
    assert set(data.runner_ids) == {"ana", "bob"}
    assert set(data.runs["runner_id"]) == {"ana", "bob"}
    assert set(data.strength["runner_id"]) == {"bob"}
    (exports / "not an id").mkdir()
    assert main(["import", str(ds), "--folders", str(exports)]) == 2
    assert "'not an id'" in capsys.readouterr().err
    assert main(["import", str(ds), "--folders", "--runner", "x", str(exports)]) == 2
    assert main(["import", str(ds), str(exports)]) == 2  # neither --runner nor --folders
