"""Hostile and broken source files: confined paths, bounded memory, no hang, nothing lost (issue 10)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest

from analysis.io.importers import core, import_sources
from analysis.io.importers.strava import confined_path
from tests.paths import FIXTURES_DIR

IMPORT = FIXTURES_DIR / "import"


def _summary(tmp_path, *sources, **kwargs):
    return import_sources(
        tmp_path / "ds", "A1", [str(s) for s in sources], progress=False, **kwargs
    )


def test_strava_filenames_are_confined_to_the_export_folder(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(IMPORT / "strava_export", export)
    outside = tmp_path / "outside.gpx"
    shutil.copy(IMPORT / "tiny_run.gpx", outside)
    (export / "activities" / "link.gpx").symlink_to(outside)
    csv = pd.read_csv(export / "activities.csv", dtype=str)
    csv.loc[1, "Filename"] = "../outside.gpx"
    extra = csv.iloc[[1]].assign(**{"Activity ID": "1003", "Filename": str(outside)})
    link = csv.iloc[[1]].assign(**{"Activity ID": "1004", "Filename": "activities/link.gpx"})
    pd.concat([csv, extra, link]).to_csv(export / "activities.csv", index=False)

    assert confined_path(export, "activities/1001.gpx").endswith("1001.gpx")
    for name in ("../outside.gpx", str(outside), "activities/link.gpx", "/etc/passwd"):
        assert confined_path(export, name) == ""
    summary = _summary(tmp_path, export / "activities.csv")
    runs = pd.read_csv(tmp_path / "ds" / "runs.csv")
    assert "outside.gpx" not in runs.astype(str).to_csv()
    assert any("outside the export folder" in w for w in summary.warnings)


def test_a_folder_skips_pipes_links_out_and_folders_named_like_files(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    shutil.copy(IMPORT / "tiny_run.gpx", src / "run.gpx")
    os.mkfifo(src / "pipe.fit")
    (src / "folder.fit").mkdir()
    (src / "passwd.gpx").symlink_to("/etc/passwd")
    (src / "sub" / "loop").symlink_to(src)
    summary = _summary(tmp_path, src)  # would block forever on the pipe
    reasons = dict(summary.failed)
    assert reasons == {
        "src/folder.fit": "a folder, not a file: skipped",
        "src/passwd.gpx": "a link to a file outside the folder: skipped",
        "src/pipe.fit": "not a regular file (a pipe or device): skipped",
    }
    assert summary.imported_runs == 1


def test_a_runner_folder_that_links_out_of_the_squad_folder_is_skipped(tmp_path, capsys):
    """``--folders`` followed a subfolder symlinked outside the squad folder and imported it."""
    from analysis.cli import main

    squad, outside = tmp_path / "squad", tmp_path / "outside"
    (squad / "A1").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(IMPORT / "tiny_run.gpx", squad / "A1")
    shutil.copy(IMPORT / "tiny_run.tcx", outside)
    (squad / "B1").symlink_to(outside, target_is_directory=True)
    (squad / "C1").symlink_to(squad / "A1", target_is_directory=True)  # inside: kept
    assert main(["import", str(tmp_path / "ds"), "--folders", "--quiet", str(squad)]) == 0
    assert "B1: a link to a folder outside" in capsys.readouterr().err
    runs = pd.read_csv(tmp_path / "ds" / "runs.csv")
    assert set(runs["runner_id"]) == {"A1", "C1"}


def test_a_named_pipe_given_explicitly_is_skipped_not_read(tmp_path):
    os.mkfifo(tmp_path / "p.fit")
    summary = _summary(tmp_path, tmp_path / "p.fit")
    assert dict(summary.failed) == {
        str(tmp_path / "p.fit"): "not a regular file (a pipe or device): skipped"
    }


def test_out_of_range_dates_skip_the_row_and_keep_the_rest(tmp_path):
    f = tmp_path / "strong.csv"
    f.write_text(
        "Date,Exercise,Category,Weight (kgs),Reps\n"
        "0202-01-05,Squat,Legs,100,5\n2024-01-05,Squat,Legs,100,5\n9999-01-05,Squat,Legs,100,5\n"
    )
    summary = _summary(tmp_path, f, kind="fitnotes")
    assert summary.imported_strength_rows == 1
    assert any("date" in w for w in summary.warnings)


def test_non_finite_or_huge_reps_do_not_crash_the_import(tmp_path):
    """A Reps cell of inf stopped the import with an internal error (exit 3)."""
    f = tmp_path / "strong.csv"
    f.write_text(
        "Date,Exercise,Category,Weight (kgs),Reps\n"
        "2024-01-05,Squat,Legs,100,inf\n2024-01-06,Squat,Legs,100,-inf\n"
        "2024-01-07,Squat,Legs,100,1e300\n2024-01-08,Squat,Legs,100,5\n"
    )
    summary = _summary(tmp_path, f, kind="fitnotes")
    assert summary.imported_strength_rows == 4  # kept as given; validate quarantines them
    again = _summary(tmp_path, f, kind="fitnotes")  # and recognised as the same sets
    assert again.imported_strength_rows == 0


def _bomb(path, megabytes):
    with gzip.open(path, "wb", compresslevel=9) as f:
        block = b"\0" * (1 << 20)
        for _ in range(megabytes):
            f.write(block)


def test_a_gzip_bomb_is_skipped_with_bounded_memory(tmp_path):
    """1 GB of zeros in a 1 MB .fit.gz: decompression stops at the cap (64 MB here);
    the import's peak memory stays far below the expanded size."""
    bomb = tmp_path / "b.fit.gz"
    _bomb(bomb, 1024)
    assert bomb.stat().st_size < 2 << 20
    code = (
        "import json, resource, sys\n"
        "from analysis.io.importers import import_sources\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "s = import_sources(sys.argv[1], 'G', [sys.argv[2]], progress=False)\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'failed': s.failed, 'grew_mb': peak - base}))\n"
    )
    env = {**os.environ, "RUNECO_MAX_DECOMPRESSED_MB": "64"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ds"), str(bomb)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    [(name, reason)] = result["failed"]
    assert "more than 64 MB when decompressed" in reason
    # What the import itself adds, above the interpreter with the package loaded:
    # the 64 MB of chunks and little else (measured: about 70 MB), never the 1 GB.
    assert result["grew_mb"] < 200
    assert not (tmp_path / "ds").exists()


def test_the_cap_is_settable_on_the_command_line(tmp_path, capsys):
    from analysis.cli import main

    bomb = tmp_path / "b.gpx.gz"
    _bomb(bomb, 20)
    assert (
        main(
            [
                "import",
                str(tmp_path / "ds"),
                "--runner",
                "G",
                "--max-decompressed-mb",
                "8",
                str(bomb),
            ]
        )
        == 1
    )
    assert "more than 8 MB" in capsys.readouterr().out


def _die_mid_decode(real_read, monkeypatch, path, kind):
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would


def _die_mid_result(real_read, monkeypatch, path, kind):
    """Decode, then cut this worker's next message (its result) in half and die.

    Issue 10, C6: the standard library's pool hung here (a half message on a
    shared pipe)."""
    import multiprocessing.connection as mc

    real_send = mc.Connection._send

    def half_then_die(self, buf, *args):
        real_send(self, bytes(buf)[: max(1, len(buf) // 2)], *args)
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(mc.Connection, "_send", half_then_die)
    return real_read(path, kind)


@pytest.mark.parametrize("death", [_die_mid_decode, _die_mid_result])
def test_a_worker_killed_mid_import_fails_only_its_file(tmp_path, monkeypatch, death):
    real = core._read_device

    def deadly(path, kind):
        if "kill" in path.name:
            return death(real, monkeypatch, path, kind)
        return real(path, kind)

    monkeypatch.setattr(core, "_read_device", deadly)  # inherited by forked workers
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.gpx", "kill.gpx", "b.tcx", "c.gpx", "d.gpx"):
        shutil.copy(
            IMPORT / ("tiny_run.tcx" if name.endswith("tcx") else "tiny_run.gpx"), src / name
        )
    summary = _summary(tmp_path, src, workers=2)
    failed = dict(summary.failed)
    assert list(failed) == ["src/kill.gpx"]
    assert "died" in failed["src/kill.gpx"]
    assert "killed by SIGKILL" in failed["src/kill.gpx"]
    assert summary.imported_runs >= 1  # the others were decoded (same run: kept once)
    assert (tmp_path / "ds" / "runs.csv").is_file()


def test_a_corrupted_time_stamp_fails_its_file_instead_of_filling_memory(tmp_path):
    """A fuzzed FIT file had one time stamp 97 years after the others: the
    one-second grid asked for 23 GB and the kernel killed the process. A span
    beyond the 7 days an activity may last now fails that file with a reason,
    and the rest of the import goes on. Run under a 3 GB address-space limit,
    so a regression fails here instead of exhausting the machine."""
    points = [
        ("2024-05-04T07:30:00Z", 48.80000),
        ("2024-05-04T07:30:10Z", 48.80030),
        ("2024-05-04T07:30:20Z", 48.80060),
        ("2121-05-04T07:30:30Z", 48.80090),  # the corrupted one
    ]
    gpx = tmp_path / "late.gpx"
    gpx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>'
        + "".join(f'<trkpt lat="{lat}" lon="2.3"><time>{t}</time></trkpt>' for t, lat in points)
        + "</trkseg></trk></gpx>"
    )
    good = tmp_path / "good.tcx"
    shutil.copy(FIXTURES_DIR / "import" / "tiny_run.tcx", good)
    code = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from analysis.io.importers import import_sources\n"
        "s = import_sources(sys.argv[1], 'G', sys.argv[2:], progress=False)\n"
        "print(json.dumps({'failed': s.failed, 'runs': s.imported_runs}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ds"), str(gpx), str(good)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    [(name, reason)] = result["failed"]
    assert name.endswith("late.gpx")
    days = (pd.Timestamp(points[-1][0]) - pd.Timestamp(points[0][0])).total_seconds() / 86400
    assert f"time stamps span {days:,.0f} days" in reason and "corrupted" in reason
    assert "MemoryError" not in reason
    assert result["runs"] == 1  # the good file is imported
