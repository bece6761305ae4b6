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


def test_analyze_unreadable_dataset_exit_2(tmp_path, write_dataset, capsys):
    write_dataset(tmp_path, **{"runners.csv": "runner_id,name\n../evil,Eve\n", "runs.csv": None})
    rc = main(["analyze", str(tmp_path), "--out", str(tmp_path / "out.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ")
    assert "runners.csv" in err
    assert not (tmp_path / "out.csv").exists()


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
