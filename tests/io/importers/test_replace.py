"""``runeco import --replace`` for runs (issue 12, item 4): the rows of the files
imported are replaced by their new reading, with a summary of what changed."""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.io.importers import import_sources, read_stream
from analysis.io.transaction import JOURNAL
from tests.io.importers._support_importers import _csv_rows

M_PER_DEG = 6371008.8 * math.pi / 180


def _gpx(path, start, *, hr_bpm=140.0, minutes=15, speed_m_s=2.8, name="Morning Run"):
    """A steady GPX run due north, one point every 5 s, starting at ``start`` (UTC)."""
    t = np.arange(0, minutes * 60 + 1, 5)
    north = speed_m_s * t
    hr = hr_bpm + 0.01 * t  # a slow drift, so the stream is not constant
    points = "".join(
        f'<trkpt lat="{48.8 + n / M_PER_DEG:.7f}" lon="2.3"><ele>35.0</ele>'
        f"<time>{(pd.Timestamp(start) + pd.Timedelta(seconds=int(s))):%Y-%m-%dT%H:%M:%SZ}</time>"
        "<extensions><gpxtpx:TrackPointExtension>"
        f"<gpxtpx:hr>{h:.0f}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"
        for s, n, h in zip(t, north, hr, strict=True)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="runeco test" version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>{name}</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    return path


def _import(ds, runner, *files, **kwargs):
    return import_sources(ds, runner, list(files), progress=False, **kwargs)


def _lines(path) -> list[str]:
    """The records of a CSV file as their raw text (a quoted cell may span lines)."""
    with open(path, newline="", encoding="utf-8") as handle:
        text = handle.read()
    return [
        line
        for line in re.split(r"\r?\n(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text)  # outside quotes
        if line
    ]


def _snapshot(folder) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _whole(ds) -> pd.DataFrame:
    """Load the dataset and check its streams: none missing, no orphan, no temporary file."""
    runs = load_dataset(ds).runs
    cells = {f for f in runs["activity_file"].fillna("") if f}
    on_disk = {str(p.relative_to(ds)) for p in (ds / "activities").rglob("*.parquet")}
    assert cells == on_disk
    assert not list(ds.rglob("*.tmp")) and not (ds / JOURNAL).exists()
    return runs


def _rewrite_runs(ds, edit) -> None:
    """Edit runs.csv as a user would in a spreadsheet (every row a dict of text)."""
    rows = _csv_rows(ds / "runs.csv")
    header = list(rows[0])
    for row in rows:
        edit(row)
    for row in rows:
        header += [k for k in row if k not in header]
    with open(ds / "runs.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def squad(tmp_path):
    """R01 with three GPX runs, R02 with a file of the same name, a run typed by hand."""
    src = tmp_path / "src"
    (src / "r02").mkdir(parents=True)
    files = {
        "a": _gpx(src / "a.gpx", "2024-05-04T07:30:00"),
        "b": _gpx(src / "b.gpx", "2024-05-06T07:30:00"),
        "c": _gpx(src / "c.gpx", "2024-05-08T07:30:00"),
    }
    ds = tmp_path / "ds"
    assert _import(ds, "R01", *files.values()).imported_runs == 3
    r02 = _gpx(src / "r02" / "b.gpx", "2024-05-06T07:30:00", hr_bpm=150)
    assert _import(ds, "R02", r02).imported_runs == 1
    with open(ds / "runs.csv", "a", newline="", encoding="utf-8") as handle:
        handle.write("R01,2024-05-10T18:00:00,5,1500,150,,,,,tempo" + "," * 18 + "\n")
    return ds, files


def test_a_corrected_file_replaces_exactly_its_row(squad):
    ds, files = squad
    before_lines = _lines(ds / "runs.csv")
    before = _snapshot(ds)
    rows = {r["source_file"] + r["runner_id"]: r for r in _csv_rows(ds / "runs.csv")}
    b_id = rows["b.gpxR01"]["run_id"]
    _gpx(files["b"], "2024-05-06T07:30:00", hr_bpm=152)  # a strap fixed: heart rate +12
    summary = _import(ds, "R01", files["b"], files["c"], replace=True)
    assert (summary.replaced_runs, summary.unchanged_runs) == (1, 1)
    assert (summary.imported_runs, summary.removed_runs) == (0, [])
    assert summary.replaced_columns["avg_hr_bpm"] == 1 and summary.replaced_columns["stream"] == 1
    assert "distance_km" not in summary.replaced_columns and "date" not in summary.replaced_columns
    text = summary.format()
    assert "--replace, runs from these files: 1 replaced (" in text
    assert "avg_hr_bpm on 1 run" in text and "1 unchanged, 0 new, 0 removed" in text

    after_lines = _lines(ds / "runs.csv")
    assert len(after_lines) == len(before_lines)
    changed = [i for i, (x, y) in enumerate(zip(before_lines, after_lines, strict=True)) if x != y]
    assert len(changed) == 1 and b_id in after_lines[changed[0]]  # only b's row
    row = {r["run_id"]: r for r in _csv_rows(ds / "runs.csv")}[b_id]
    assert float(row["avg_hr_bpm"]) == pytest.approx(float(rows["b.gpxR01"]["avg_hr_bpm"]) + 12)
    # streams: b's rewritten, every other file byte for byte
    after = _snapshot(ds)
    b_stream = f"activities/R01/{b_id}.parquet"
    assert {str(p) for p in after if after[p] != before.get(p)} == {"runs.csv", b_stream}
    assert read_stream(ds / b_stream)["hr_bpm"].min() >= 152
    runs = _whole(ds)
    assert len(runs) == 5


def test_rows_of_other_runners_other_files_and_hand_typed_rows_are_untouched(squad):
    ds, files = squad
    keep = [line for line in _lines(ds / "runs.csv") if "R02" in line or ",tempo," in line]
    keep += [line for line in _lines(ds / "runs.csv") if "a.gpx" in line]
    assert len(keep) == 3
    for f in files.values():
        _gpx(f, re.search(r"\d{4}-\d\d-\d\dT07:30:00", f.read_text()).group(0), hr_bpm=160)
    files["a"].unlink()  # a file no longer in the folder is not given: its row stays
    summary = _import(ds, "R01", files["b"], files["c"], replace=True)
    assert summary.replaced_runs == 2 and summary.removed_runs == []
    after = _lines(ds / "runs.csv")
    assert all(line in after for line in keep)
    assert len(_whole(ds)) == 5


def test_a_user_set_run_type_and_rpe_survive_and_an_imported_type_follows_the_file(squad):
    ds, files = squad
    ids = {
        r["source_file"]: r["run_id"] for r in _csv_rows(ds / "runs.csv") if r["runner_id"] == "R01"
    }

    def edit(row):
        if row["run_id"] == ids["b.gpx"]:
            row["run_type"], row["run_type_reason"], row["rpe"] = "race", "", "8"
            row["notes"] = "club 10k, windy"

    _rewrite_runs(ds, edit)
    for name in ("b", "c"):  # now a 95-minute run: typed long by the import
        start = re.search(r"\d{4}-\d\d-\d\dT07:30:00", files[name].read_text()).group(0)
        _gpx(files[name], start, minutes=95)
    summary = _import(ds, "R01", files["b"], files["c"], replace=True)
    assert summary.replaced_runs == 2
    rows = {r["run_id"]: r for r in _csv_rows(ds / "runs.csv")}
    b, c = rows[ids["b.gpx"]], rows[ids["c.gpx"]]
    assert (b["run_type"], b["run_type_reason"], b["rpe"]) == ("race", "", "8")
    assert b["notes"] == "club 10k, windy" and float(b["duration_s"]) > 90 * 60
    assert c["run_type"] == "long" and c["run_type_reason"] != ""
    assert summary.replaced_columns["run_type"] == 1  # c only


def _garmin(path, rows):
    header = "Activity Type,Date,Title,Distance,Time,Avg HR,Max HR\n"
    body = "".join(
        f'Running,{when},"{title}","{km}","{clock}","{hr}","{hr + 15}"\n'
        for when, title, km, clock, hr in rows
    )
    path.write_text(header + body, encoding="utf-8")
    return path


def test_a_corrected_export_counts_replaced_unchanged_new_and_removed(tmp_path):
    export = tmp_path / "Activities.csv"
    _garmin(
        export,
        [
            ("2024-05-04 09:30:00", "Easy", "10.00", "00:55:00", 140),
            ("2024-05-05 09:30:00", "Long", "8.00", "00:45:00", 142),
            ("2024-05-06 09:30:00", "Deleted later", "6.00", "00:33:00", 139),
        ],
    )
    ds = tmp_path / "ds"
    assert _import(ds, "R01", export).imported_runs == 3
    ids = [r["run_id"] for r in _csv_rows(ds / "runs.csv")]
    _garmin(
        export,
        [
            ("2024-05-04 09:30:00", "Easy", "10.00", "00:55:00", 140),
            ("2024-05-05 09:30:00", "Long", "16.00", "01:30:00", 142),  # a distance fixed
            ("2024-05-07 09:30:00", "Recorded late", "5.00", "00:28:00", 141),
        ],
    )
    summary = _import(ds, "R01", export, replace=True)
    assert (summary.replaced_runs, summary.unchanged_runs, summary.imported_runs) == (1, 1, 1)
    assert [r[0] for r in summary.removed_runs] == [ids[2]]
    assert summary.replaced_columns["distance_km"] == 1
    assert summary.replaced_columns["duration_s"] == 1
    assert "removed " + ids[2] in summary.format()
    rows = _csv_rows(ds / "runs.csv")
    assert [r["run_id"] for r in rows][:2] == ids[:2]  # the same runs keep their ids
    assert [float(r["distance_km"]) for r in rows] == [10.0, 16.0, 5.0]
    assert len(_whole(ds)) == 3


def test_a_file_that_lost_its_run_removes_the_row_and_its_stream(squad):
    ds, files = squad
    ids = {
        r["source_file"]: r["run_id"] for r in _csv_rows(ds / "runs.csv") if r["runner_id"] == "R01"
    }
    gone = ds / "activities" / "R01" / f"{ids['c.gpx']}.parquet"
    assert gone.is_file()
    _gpx(files["c"], "2024-05-08T07:30:00", minutes=0.25)  # now a 15-s button press
    summary = _import(ds, "R01", files["c"], replace=True)
    assert [(r[0], r[2]) for r in summary.removed_runs] == [(ids["c.gpx"], "c.gpx")]
    assert not gone.exists()
    runs = _whole(ds)
    assert ids["c.gpx"] not in set(runs["run_id"]) and len(runs) == 4
    for name in ("a.gpx", "b.gpx"):
        assert (ds / "activities" / "R01" / f"{ids[name]}.parquet").is_file()


def test_an_unreadable_or_renamed_file_replaces_nothing_and_says_why(squad):
    ds, files = squad
    before = _snapshot(ds)
    files["b"].write_text("<gpx>cut off in the middle of a dow")
    broken = _import(ds, "R01", files["b"], replace=True)
    assert not broken.ok and broken.removed_runs == [] and not broken.changed
    assert any(
        "b.gpx could not be read" in w and "1 run in runs.csv was kept" in w
        for w in broken.warnings
    )
    renamed = _gpx(files["c"].with_name("c-reexport.gpx"), "2024-05-08T07:30:00", hr_bpm=160)
    again = _import(ds, "R01", renamed, replace=True)
    assert again.duplicate_runs == 1 and not again.changed
    assert any("from other files (c.gpx)" in w for w in again.warnings)
    assert _snapshot(ds) == before


def test_replace_without_changes_writes_nothing(squad):
    ds, files = squad
    before = _snapshot(ds)
    stamps = {p: (ds / p).stat().st_mtime_ns for p in before}
    summary = _import(ds, "R01", *files.values(), replace=True)
    assert (summary.unchanged_runs, summary.replaced_runs, summary.changed) == (3, 0, False)
    assert _snapshot(ds) == before
    assert {p: (ds / p).stat().st_mtime_ns for p in before} == stamps


def test_a_failure_mid_write_leaves_the_dataset_byte_identical(squad, monkeypatch):
    ds, files = squad
    before = _snapshot(ds)
    for name, start in (("a", "2024-05-04"), ("b", "2024-05-06")):
        _gpx(files[name], f"{start}T07:30:00", hr_bpm=155)
    _gpx(files["c"], "2024-05-08T07:30:00", minutes=0.25)  # and c's run is removed
    real = tempfile.mkstemp
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2:  # the first stream is staged, the second finds the disk full
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(DataError, match="No space left on device"):
        _import(ds, "R01", *files.values(), replace=True)
    monkeypatch.undo()
    assert _snapshot(ds) == before
    summary = _import(ds, "R01", *files.values(), replace=True)  # and it works afterwards
    assert (summary.replaced_runs, len(summary.removed_runs)) == (2, 1)
    assert len(_whole(ds)) == 4


@pytest.mark.parametrize("done", [0, 2])
def test_a_replace_killed_after_its_journal_is_completed_by_the_next_command(squad, done):
    """Killed before any rename (done=0) or after two: the next writer finishes it,
    and the dataset is the new one, whole, with no orphan stream."""
    ds, files = squad
    _gpx(files["b"], "2024-05-06T07:30:00", hr_bpm=155)
    _gpx(files["c"], "2024-05-08T07:30:00", minutes=0.25)
    killer = (
        "import os, sys\n"
        "import analysis.io.transaction as t\n"
        "real = t._replay\n"
        f"t._replay = lambda entries: (real(entries[:{done}]), os._exit(137))\n"
        "from analysis.io.importers import import_sources\n"
        "import_sources(sys.argv[1], 'R01', sys.argv[2:], progress=False, replace=True)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", killer, str(ds), str(files["b"]), str(files["c"])], timeout=240
    )
    assert run.returncode == 137 and (ds / JOURNAL).exists()
    after = _import(ds, "R01", files["b"], files["c"], replace=True)
    assert any("completed an interrupted write" in w for w in after.warnings)
    assert (after.replaced_runs, after.removed_runs, after.unchanged_runs) == (0, [], 1)
    runs = _whole(ds)
    assert len(runs) == 4 and "c.gpx" not in set(runs["source_file"].dropna())


def test_two_replaces_at_once_are_serialised(squad):
    ds, files = squad
    _gpx(files["b"], "2024-05-06T07:30:00", hr_bpm=155)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "analysis",
                "import",
                str(ds),
                "--runner",
                "R01",
                "--quiet",
                "--replace",
                str(files["b"]),
                str(files["c"]),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    said = sorted(
        re.search(r"runs from these files: (\d) replaced", out).group(1) for out, _ in outs
    )
    assert said == ["0", "1"]  # one replaced b, the other then found it unchanged
    runs = _whole(ds)
    assert len(runs) == 5


def test_hostile_names_in_runs_csv_never_escape_the_dataset(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    names = ['=HYPERLINK("x")|calc.gpx', "two\nlines.gpx", "-1+1.gpx", "..gpx"]
    files = [_gpx(src / n, f"2024-05-0{i + 1}T07:30:00") for i, n in enumerate(names)]
    ds = tmp_path / "ds"
    assert _import(ds, "R01", *files).imported_runs == 4
    outside = tmp_path / "outside.parquet"
    outside.write_bytes(b"not yours")
    evil = tmp_path / "evil.parquet"

    def edit(row):
        if row["source_file"] == names[0]:  # a row edited to point out of the dataset
            row["run_id"], row["activity_file"] = "../../evil", "../outside.parquet"
        if row["source_file"] == names[1]:
            row["activity_file"] = "../outside.parquet"

    _rewrite_runs(ds, edit)
    with open(ds / "runs.csv", "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = _csv_rows(ds / "runs.csv")[0].keys()
        for day, sf, af in ((1, "../../../etc/passwd", "../outside.parquet"), (2, "a\r\n=cmd", "")):
            cells = dict.fromkeys(header, "")
            cells.update(
                runner_id="R01",
                date=f"2024-06-0{day}T07:00:00",
                distance_km="5",
                duration_s="1500",
                source="gpx",
                source_file=sf,
                activity_file=af,
                run_id="R01-h" + str(len(sf)),
            )
            writer.writerow(cells.values())
    outside_before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for i, f in enumerate(files[:3]):
        _gpx(f, f"2024-05-0{i + 1}T07:30:00", hr_bpm=150)
    _gpx(files[3], "2024-05-04T07:30:00", minutes=0.25)  # "..gpx" lost its run
    summary = _import(ds, "R01", *files, replace=True)
    assert summary.replaced_runs == 3 and len(summary.removed_runs) == 1
    assert any("run_id '../../evil' cannot name a file" in w for w in summary.warnings)
    assert "\n".join(summary.format().splitlines()) == summary.format()
    assert [r[2] for r in summary.removed_runs] == ["..gpx"]
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == outside_before
    assert not evil.exists()
    rows = _csv_rows(ds / "runs.csv")
    assert {r["source_file"] for r in rows} >= {"../../../etc/passwd", "a\r\n=cmd", names[1]}
    assert len(rows) == 5  # 4 imported - 1 removed + 2 typed
    load_dataset(ds)  # still a dataset


def test_an_upgraded_row_with_a_run_id_that_cannot_name_a_file_gets_no_stream(tmp_path):
    """A run typed by hand with run_id '../../x' upgraded by its GPX: the stream
    would have been written outside the dataset."""
    gpx = _gpx(tmp_path / "run.gpx", "2024-05-04T07:30:00")
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "runners.csv").write_text("runner_id\nR01\n")
    (ds / "runs.csv").write_text(
        "runner_id,date,distance_km,duration_s,run_id\n"
        "R01,2024-05-04T09:30:00+02:00,2.52,900,../../x\n"
    )
    summary = _import(ds, "R01", gpx)
    assert summary.upgraded_runs == 1
    assert any("cannot name a file" in w for w in summary.warnings)
    assert not (tmp_path / "x.parquet").exists() and not list(ds.rglob("*.parquet"))
    (row,) = _csv_rows(ds / "runs.csv")
    assert row["run_id"] == "../../x" and row["source_file"] == "run.gpx"


def test_the_command_line_prints_what_changed(squad, capsys):
    from analysis.cli import main

    ds, files = squad
    _gpx(files["a"], "2024-05-04T07:30:00", hr_bpm=150)
    code = main(["import", str(ds), "--runner", "R01", "--quiet", "--replace", str(files["a"])])
    out = capsys.readouterr().out
    assert code == 0
    assert "--replace, runs from these files: 1 replaced (" in out and "avg_hr_bpm on 1 run" in out


def test_a_real_gpx_edited_and_imported_again_with_replace(real, tmp_path):
    original = real / "session" / "1368f9a8-cdbe-4528-a1dc-af90dfddd6fb.gpx"
    if not original.is_file():
        pytest.skip(f"{original} is not available")
    gpx = tmp_path / original.name
    shutil.copyfile(original, gpx)
    ds = tmp_path / "ds"
    first = _import(ds, "S01", gpx)
    assert first.imported_runs == 1
    (row,) = _csv_rows(ds / "runs.csv")
    stream = read_stream(ds / row["activity_file"])
    text = gpx.read_text(encoding="utf-8")
    assert "<gpxtpx:hr>" in text
    gpx.write_text(
        re.sub(
            r"<gpxtpx:hr>(\d+)</gpxtpx:hr>",
            lambda m: f"<gpxtpx:hr>{int(m.group(1)) + 10}</gpxtpx:hr>",
            text,
        ),
        encoding="utf-8",
    )
    _rewrite_runs(ds, lambda r: r.update(run_type="tempo", run_type_reason=""))
    summary = _import(ds, "S01", gpx, replace=True)
    assert (summary.replaced_runs, summary.imported_runs, summary.removed_runs) == (1, 0, [])
    assert (
        summary.replaced_columns["avg_hr_bpm"] == 1 and summary.replaced_columns["max_hr_bpm"] == 1
    )
    assert "distance_km" not in summary.replaced_columns
    (new,) = _csv_rows(ds / "runs.csv")
    assert new["run_id"] == row["run_id"] and new["activity_file"] == row["activity_file"]
    assert float(new["avg_hr_bpm"]) == pytest.approx(float(row["avg_hr_bpm"]) + 10, abs=0.15)
    assert (new["run_type"], new["run_type_reason"]) == ("tempo", "")
    after = read_stream(ds / new["activity_file"])
    np.testing.assert_allclose(after["hr_bpm"], stream["hr_bpm"] + 10, atol=0.01)
    assert len(_whole(ds)) == 1


def _old(*rows):
    cols = ["runner_id", "date", "distance_km", "source", "source_file", "sport"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], dtype="str")


def test_targets_are_the_runners_rows_of_the_files_read_as_their_kind():
    from analysis.io.importers.replace import FilesRead, targets

    files = FilesRead()
    files.read("a.gpx", "gpx")
    files.read("Activities.csv", "garmin_csv")
    files.read("bad.fit", "fit")
    files.failed("bad.fit")
    old = _old(
        ("R01", "2024-05-04T07:30:00Z", "5", "gpx", "a.gpx", "running"),  # yes
        ("R02", "2024-05-04T07:30:00Z", "5", "gpx", "a.gpx", "running"),  # another runner
        ("R01", "2024-05-04T07:30:00Z", "5", "", "a.gpx", ""),  # typed by hand
        ("R01", "2024-05-05T07:30:00", "5", "strava_csv", "Activities.csv", "running"),  # kind
        ("R01", "2024-05-05T07:30:00", "5", "garmin_csv", "Activities.csv", ""),  # yes
        ("R01", "2024-05-06T07:30:00Z", "5", "fit", "bad.fit", "running"),  # unreadable now
        ("R01", "2024-05-07T07:30:00Z", "20", "gpx", "a.gpx", "cycling"),  # another sport
        ("R01", "2024-05-08T07:30:00Z", "5", "gpx", "b.gpx", "running"),  # not given
    )
    assert targets(old, "R01", files, include_non_running=False).tolist() == [
        True,
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert targets(old, "R01", files, include_non_running=True)[6]


def test_pairing_by_file_and_start_one_run_files_and_the_same_run_from_another_file():
    from analysis.io.importers.replace import pair

    old = _old(
        ("R01", "2024-05-04T09:30:00", "8", "garmin_csv", "A.csv", "running"),
        ("R01", "2024-05-05T09:30:00", "6", "garmin_csv", "A.csv", "running"),
        ("R01", "2024-05-06T07:30:00Z", "5", "gpx", "trimmed.gpx", "running"),
        ("R01", "2024-05-07T07:30:00Z", "10", "gpx", "run.gpx", "running"),
    )
    new = pd.DataFrame(
        {
            "runner_id": "R01",
            "date": [
                "2024-05-04T09:30:00",  # 8 -> 16 km (a unit fixed): the same row
                "2024-05-09T09:30:00",  # a new run of A.csv, not the one removed
                "2024-05-06T07:45:00Z",  # the file's only run, its start trimmed
                "2024-05-07T07:30:02Z",  # the FIT of run.gpx's run
            ],
            "distance_km": [16.0, 6.0, 4.2, 10.05],
            "source_file": ["A.csv", "A.csv", "trimmed.gpx", "run.fit"],
        }
    )
    assert pair(new, old, np.ones(4, dtype=bool)).tolist() == [0, -1, 2, 3]
    assert pair(new, old, np.array([False, True, False, False])).tolist() == [-1, -1, -1, -1]
