"""One writer at a time, whole updates, recovery after a kill, modes kept (issue 10: D1, C3, M5)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.io.importers import import_sources
from analysis.io.transaction import JOURNAL, Transaction, recover
from tests.paths import FIXTURES_DIR

GPX = FIXTURES_DIR / "import" / "tiny_run.gpx"


def _runeco(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_whole(dataset, runners):
    ds = load_dataset(dataset)
    assert sorted(ds.runners["runner_id"]) == sorted(runners)
    assert sorted(ds.runs["runner_id"]) == sorted(runners)  # one run each, none lost
    referenced = {dataset / f for f in ds.runs["activity_file"].dropna() if f}
    on_disk = set((dataset / "activities").rglob("*.parquet"))
    assert referenced == on_disk  # no orphan streams, no missing ones
    assert not list(dataset.rglob("*.tmp")) and not (dataset / JOURNAL).exists()


@pytest.mark.parametrize("n_writers", [2, 4])
def test_simultaneous_imports_lose_nothing(tmp_path, n_writers):
    for trial in range(2):
        dataset = tmp_path / f"ds{trial}"
        runners = [f"R{i}" for i in range(n_writers)]
        procs = [
            _runeco("import", str(dataset), "--runner", r, "--quiet", str(GPX)) for r in runners
        ]
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err
        _check_whole(dataset, runners)


def test_a_writer_killed_after_its_journal_is_completed_by_the_next(tmp_path):
    dataset = tmp_path / "ds"
    killer = (
        "import os, sys\n"
        "import analysis.io.transaction as t\n"
        "t._replay = lambda entries: os._exit(137)  # killed right after the journal\n"
        "from analysis.io.importers import import_sources\n"
        "import_sources(sys.argv[1], 'K1', [sys.argv[2]], progress=False)\n"
    )
    done = subprocess.run([sys.executable, "-c", killer, str(dataset), str(GPX)], timeout=120)
    assert done.returncode == 137
    assert (dataset / JOURNAL).exists() and not (dataset / "runs.csv").exists()
    summary = import_sources(dataset, "K2", [str(GPX)], progress=False)
    assert any("completed an interrupted write" in w for w in summary.warnings)
    _check_whole(dataset, ["K1", "K2"])


def test_a_writer_killed_before_its_journal_leaves_nothing(tmp_path):
    dataset = tmp_path / "ds"
    import_sources(dataset, "A1", [str(GPX)], progress=False)
    before = {p.name: p.read_bytes() for p in dataset.glob("*.csv")}
    tx = Transaction(dataset)
    tx.stage_text(dataset / "runs.csv", "half,written\n")
    tx.stage_text(dataset / "runners.csv", "runner_id\n")  # then the process died
    assert len(list(dataset.glob(".*.tmp"))) == 2
    assert recover(dataset) == ["removed 2 temporary files of an interrupted write"]
    assert {p.name: p.read_bytes() for p in dataset.glob("*.csv")} == before


def test_file_modes_are_kept(tmp_path):
    dataset = tmp_path / "ds"
    import_sources(dataset, "A1", [str(GPX)], progress=False)
    os.chmod(dataset / "runs.csv", 0o640)
    os.chmod(dataset / "runners.csv", 0o644)
    import_sources(dataset, "A2", [str(GPX)], progress=False)
    assert stat.S_IMODE(os.stat(dataset / "runs.csv").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(dataset / "runners.csv").st_mode) == 0o644
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh"
    import_sources(fresh, "A1", [str(GPX)], progress=False)
    assert stat.S_IMODE(os.stat(fresh / "runs.csv").st_mode) == 0o666 & ~umask


def test_an_unwritable_dataset_is_one_clear_error_and_nothing_half_written(
    tmp_path, monkeypatch, capsys
):
    from analysis.cli import main

    dataset = tmp_path / "ds"
    import_sources(dataset, "A1", [str(GPX)], progress=False)
    before = {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()}
    real = tempfile.mkstemp
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2:  # the first staged file is written, the second finds the disk full
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    code = main(
        [
            "import",
            str(dataset),
            "--runner",
            "B1",
            "--quiet",
            str(FIXTURES_DIR / "import" / "tiny_run.tcx"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "No space left on device" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()} == before


def test_a_second_writer_says_it_is_waiting(tmp_path):
    from analysis.io.transaction import dataset_lock

    dataset = tmp_path / "ds"
    with dataset_lock(dataset):
        p = _runeco("import", str(dataset), "--runner", "W1", "--quiet", str(GPX))
        # Hold the lock until the second writer says it waits (a busy machine can
        # take many seconds to start it), reading its stderr as it comes.
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.extend(iter(p.stderr.readline, "")))
        reader.start()
        deadline = time.monotonic() + 120
        while not any("waiting for another runeco command" in s for s in said):
            assert p.poll() is None, "the second writer did not wait for the lock"
            assert time.monotonic() < deadline, "the second writer never said it was waiting"
            time.sleep(0.05)
    p.wait(timeout=120)
    reader.join(timeout=10)
    err = "".join(said)
    assert p.returncode == 0
    assert "waiting for another runeco command writing" in err
    assert pd.read_csv(dataset / "runners.csv")["runner_id"].tolist() == ["W1"]


def test_removals_happen_with_the_renames_and_never_undo_a_staged_file(tmp_path):
    dataset = tmp_path / "ds"
    folder = dataset / "activities" / "R01"
    folder.mkdir(parents=True)
    gone, rewritten = folder / "a.parquet", folder / "b.parquet"
    gone.write_bytes(b"old a")
    rewritten.write_bytes(b"old b")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (folder / "link.parquet").symlink_to(outside)
    tx = Transaction(dataset)
    tx.stage_text(dataset / "runs.csv", "runner_id\n")
    tx.stage_text(rewritten, "new b")
    for path in (gone, rewritten, folder / "link.parquet", folder / "never-there.parquet"):
        tx.stage_removal(path)
    tx.commit()
    assert not gone.exists() and rewritten.read_text() == "new b"
    assert not (folder / "link.parquet").is_symlink() and outside.read_text() == "keep me"
    assert (dataset / "runs.csv").read_text() == "runner_id\n"
    assert not list(dataset.rglob("*.tmp")) and not (dataset / JOURNAL).exists()


def test_an_aborted_update_removes_nothing(tmp_path):
    dataset = tmp_path / "ds"
    dataset.mkdir()
    kept = dataset / "stream.parquet"
    kept.write_bytes(b"stream")
    tx = Transaction(dataset)
    tx.stage_text(dataset / "runs.csv", "runner_id\n")
    tx.stage_removal(kept)
    tx.abort()
    tx.commit()  # nothing left to do
    assert kept.read_bytes() == b"stream" and not (dataset / "runs.csv").exists()


def test_a_writer_killed_during_its_removals_is_completed_by_recover(tmp_path):
    dataset = tmp_path / "ds"
    dataset.mkdir()
    streams = [dataset / f"s{i}.parquet" for i in range(3)]
    for p in streams:
        p.write_bytes(b"x")
    killer = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "import analysis.io.transaction as t\n"
        "real = t._replay\n"
        "t._replay = lambda entries: (real(entries[:2]), os._exit(137))  # died half-way\n"
        "tx = t.Transaction(sys.argv[1])\n"
        "tx.stage_text(Path(sys.argv[1]) / 'runs.csv', 'runner_id\\n')\n"
        "for name in ('s0', 's1', 's2'):\n"
        "    tx.stage_removal(Path(sys.argv[1]) / f'{name}.parquet')\n"
        "tx.commit()\n"
    )
    done = subprocess.run([sys.executable, "-c", killer, str(dataset)], timeout=120)
    assert done.returncode == 137
    assert (dataset / JOURNAL).exists()
    assert [p.exists() for p in streams] == [False, True, True]
    assert recover(dataset) == ["completed an interrupted write (4 files)"]
    assert not any(p.exists() for p in streams)
    assert (dataset / "runs.csv").read_text() == "runner_id\n"
    assert recover(dataset) == []
