"""runeco runner set / remove: corrections by command, nothing else touched, nothing lost."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.io.edit import remove_runner, set_runner


@pytest.fixture
def squad(sample_copy):
    return sample_copy


def _lines(path):
    return path.read_text().splitlines()


def test_runner_set_changes_only_those_cells(squad, capsys):
    before = _lines(squad / "runners.csv")
    assert main(["runner", "set", str(squad), "R01", "--hr-rest", "50", "--vo2max", "63.5"]) == 0
    out = capsys.readouterr().out
    assert "R01: hr_rest_bpm 53 -> 50" in out and "vo2max_ml_kg_min 61.3 -> 63.5" in out
    after = _lines(squad / "runners.csv")
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].startswith("R01,")
    ds = load_dataset(squad)
    assert ds.runner("R01")["hr_rest_bpm"] == 50 and ds.runner("R01")["vo2max_ml_kg_min"] == 63.5


def test_a_bad_value_or_runner_writes_nothing(squad, capsys):
    before = (squad / "runners.csv").read_bytes()
    assert main(["runner", "set", str(squad), "R01", "--hr-rest", "500"]) == 2
    assert "500 is outside the plausible 25-120 bpm" in capsys.readouterr().err
    assert main(["runner", "set", str(squad), "R01", "--hr-rest", "nan"]) == 2
    assert main(["runner", "set", str(squad), "R01", "--sex", "Q"]) == 2
    assert main(["runner", "set", str(squad), "R01", "--name", "a\nb"]) == 2
    assert main(["runner", "set", str(squad), "R99", "--hr-rest", "50"]) == 2
    assert "R99" in capsys.readouterr().err
    assert (squad / "runners.csv").read_bytes() == before
    with pytest.raises(DataError, match="unknown runners.csv column"):
        set_runner(squad, "R01", {"runner_id": "X"})


def test_runner_set_keeps_invalid_rows_and_unknown_columns(squad):
    path = squad / "runners.csv"
    text = path.read_text().splitlines()
    text[0] += ",coach_note"
    text[1:] = [line + "," for line in text[1:]]
    text.append("R77,Bad Row,F,1990,60,999,180,55,strength,kept")  # quarantined HR
    path.write_text("\n".join(text) + "\n")
    set_runner(squad, "R01", {"group": "control"})
    lines = _lines(path)
    assert lines[-1] == "R77,Bad Row,F,1990,60,999,180,55,strength,kept"
    assert lines[0].endswith(",coach_note")
    assert load_dataset(squad).runner("R01")["group"] == "control"


def test_remove_takes_every_row_of_the_runner_and_nothing_else(squad, capsys):
    runs_before = pd.read_csv(squad / "runs.csv")
    assert main(["remove", str(squad), "--runner", "R01"]) == 2  # no terminal: asks for --yes
    assert "add --yes" in capsys.readouterr().err
    assert main(["remove", str(squad), "--runner", "R01", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "removed R01:" in out and "rows of runs.csv" in out
    ds = load_dataset(squad)
    assert "R01" not in ds.runner_ids and len(ds.runner_ids) == 7
    for frame in (ds.runs, ds.strength, ds.blocks, ds.lab_tests):
        assert not (frame["runner_id"] == "R01").any()
    runs_after = pd.read_csv(squad / "runs.csv")
    assert len(runs_after) == len(runs_before) - (runs_before["runner_id"] == "R01").sum()
    assert len(ds.quarantine) == 0
    with pytest.raises(DataError, match="not in runners.csv"):
        remove_runner(squad, "R01")


def test_two_edits_at_once_both_land(squad):
    """The write lock serialises them: neither overwrites the other's change."""
    errors = []

    def edit(rid, hr):
        try:
            set_runner(squad, rid, {"hr_rest_bpm": str(hr)})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(f"R0{k}", 40 + k)) for k in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ds = load_dataset(squad)
    assert [ds.runner(f"R0{k}")["hr_rest_bpm"] for k in range(1, 9)] == [
        41 + k - 1 for k in range(1, 9)
    ]


def test_a_byte_order_mark_is_kept_and_a_broken_file_is_one_clear_error(squad, capsys):
    path = squad / "runners.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    set_runner(squad, "R02", {"hr_rest_bpm": "55"})
    assert path.read_bytes().startswith(b"\xef\xbb\xbfrunner_id,")
    assert load_dataset(squad).runner("R02")["hr_rest_bpm"] == 55
    path.write_bytes(path.read_bytes() + b"R99,\xff\xfe,F\n")
    before = path.read_bytes()
    assert main(["runner", "set", str(squad), "R01", "--hr-rest", "50"]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert path.read_bytes() == before
