"""The command line: exit codes, one-line errors, no tracebacks for user errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from analysis.models import ANALYZE_COLUMNS


def test_python_dash_m_is_the_same_command(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("runeco ")


def test_validate_missing_dataset_is_one_line_and_exit_2(tmp_path, capsys):
    rc = main(["validate", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "nowhere" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_analyze_invalid_runner_id_exit_2(tmp_path, write_dataset, capsys):
    write_dataset(
        tmp_path,
        runners="runner_id,name\n../evil,Eve\n",
        runs="runner_id,date,distance_km,duration_s\n../evil,2026-03-02,10,3000\n",
    )
    rc = main(["analyze", str(tmp_path), "--out", str(tmp_path / "out.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: runners.csv line 2, column runner_id")
    assert "../evil" in err
    assert not (tmp_path / "out.csv").exists()


def test_runners_csv_without_runners_exit_2(tmp_path, write_dataset, capsys):
    write_dataset(
        tmp_path,
        runners="runner_id,name\n",
        runs="runner_id,date,distance_km,duration_s\nR1,2026-03-02,10,3000\n",
    )
    assert main(["validate", str(tmp_path)]) == 2
    assert "no runners" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--out", "{tmp}/s", "--runners", "0"],
        ["simulate", "--out", "{tmp}/s", "--runners", "-3"],
        ["simulate", "--out", "{tmp}/s", "--strength-fraction", "2"],
        ["simulate", "--out", "{tmp}/s", "--missing-fraction", "1.5"],
        ["simulate", "--out", "{tmp}/s", "--bad-rows", "-1"],
        ["simulate", "--out", "{tmp}/s", "--block-weeks", "0"],
        ["simulate", "--out", "{tmp}/s", "--start-date", "garbage"],
        ["analyze", "{sample}", "--out", "{tmp}/a.csv", "--baseline-weeks", "100000"],
        ["report", "{sample}", "--out", "{tmp}/r", "--workers", "0"],
        ["import", "{tmp}/d", "--runner", "R1", "--workers", "0", "{tmp}"],
    ],
)
def test_bad_arguments_are_usage_errors_not_crashes(argv, tmp_path, sample_dir, capsys):
    args = [a.format(tmp=tmp_path, sample=sample_dir) for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    assert "must be" in err


def test_output_paths_that_cannot_be_written_exit_2(sample_dir, tmp_path, capsys):
    folder = tmp_path / "outdir"
    folder.mkdir()
    assert main(["analyze", str(sample_dir), "--out", str(folder), "--quiet"]) == 2
    assert "it is a folder" in capsys.readouterr().err
    assert main(["validate", str(sample_dir), "--quarantine", str(folder)]) == 2
    assert "it is a folder" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x")
    rc = main(["report", str(sample_dir), "--runner", "R02", "--out", str(afile), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "afile" in err and "internal error" not in err
    assert afile.read_text() == "x"


def test_analyze_unknown_runner_names_it(sample_dir, tmp_path, capsys):
    rc = main(["analyze", str(sample_dir), "--runner", "NOPE", "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "NOPE" in err


@pytest.mark.slow
def test_simulate_then_analyze_round_trip(tmp_path, capsys):
    data = tmp_path / "squad"
    assert main(["simulate", "--out", str(data), "--runners", "4", "--seed", "3"]) == 0
    assert main(["validate", str(data)]) == 0
    out = tmp_path / "analysis.csv"
    squad = tmp_path / "squad.csv"
    rc = main(["analyze", str(data), "--out", str(out), "--squad-out", str(squad), "--quiet"])
    assert rc == 0
    result = pd.read_csv(out)
    assert list(result.columns[: len(ANALYZE_COLUMNS)]) == list(ANALYZE_COLUMNS)
    truth = pd.read_csv(data / "truth.csv")
    assert set(result.loc[result["method"] == "field_hr", "runner_id"]) == set(truth["runner_id"])
    assert "strength minus control" in pd.read_csv(squad)["effect"].tolist()


def test_validate_dirty_squad_exit_1_and_writes_quarantine(tmp_path, capsys):
    data = tmp_path / "dirty"
    assert (
        main(["simulate", "--out", str(data), "--runners", "2", "--seed", "5", "--bad-rows", "6"])
        == 0
    )
    qfile = tmp_path / "q.csv"
    assert main(["validate", str(data), "--quarantine", str(qfile)]) == 1
    quarantined = pd.read_csv(qfile)
    expected = pd.read_csv(data / "bad_rows.csv")
    got = set(zip(quarantined["file"], quarantined["line"], strict=True))
    assert set(zip(expected["file"], expected["line"], strict=True)) <= got


def test_a_closed_stdout_ends_quietly(sample_dir):
    """`runeco validate ... | head` with head already gone: no "internal error", no traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis", "validate", str(sample_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before runeco prints
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""
