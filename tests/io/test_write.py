"""Writing outputs safely: formulas neutralised, inputs never overwritten (issue 10, M2 and D2)."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from analysis.cli import main
from analysis.io.write import neutralise_formulas
from tests.paths import SAMPLE_DIR


def test_text_that_a_spreadsheet_would_run_is_quoted_and_numbers_are_not():
    frame = pd.DataFrame(
        {
            "group": ["=cmd|' /C calc'!A0", "control", "+1", "-x", "@SUM(A1)", "\tx", "\rx"],
            "change": [-3.2, 1.0, 2.0, -0.5, 0.0, 1.0, 2.0],
        }
    )
    out = neutralise_formulas(frame)
    assert list(out["group"]) == [
        "'=cmd|' /C calc'!A0",
        "control",
        "'+1",
        "'-x",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert out["change"].tolist() == frame["change"].tolist()  # numbers untouched
    assert frame["group"].iloc[0].startswith("=")  # the input is not modified


def test_a_categorical_text_column_is_neutralised_too():
    """Categorical text (``run_metrics``' ``hr_vo2_line``, ``run_type``) is text."""
    frame = pd.DataFrame({"line": pd.Categorical(["=1+1", "%HRR = %VO2R", "=1+1"])})
    out = neutralise_formulas(frame)
    assert list(out["line"]) == ["'=1+1", "%HRR = %VO2R", "'=1+1"]


@pytest.fixture
def squad(tmp_path):
    folder = tmp_path / "squad"
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


def _cells(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_hostile_text_reaches_no_output_csv_as_a_formula(squad, tmp_path):
    runners = pd.read_csv(squad / "runners.csv", dtype=str)
    runners.loc[1, "group"] = "=cmd|' /C calc'!A0"
    runners.to_csv(squad / "runners.csv", index=False)
    runs = pd.read_csv(squad / "runs.csv", dtype=str)
    runs.loc[0, "run_id"] = '=HYPERLINK("http://x")'
    runs.loc[1, "avg_hr_bpm"] = "@SUM(1)"
    runs.to_csv(squad / "runs.csv", index=False)
    out = tmp_path / "out"
    assert (
        main(
            [
                "analyze",
                str(squad),
                "--out",
                str(out / "a.csv"),
                "--squad-out",
                str(out / "s.csv"),
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["metrics", str(squad), "--out", str(out / "m.csv")]) == 0
    assert main(["validate", str(squad), "--quarantine", str(out / "q.csv")]) == 1
    for name in ("a.csv", "s.csv", "m.csv", "q.csv"):
        cells = _cells(out / name)
        risky = [
            c
            for c in cells
            if c.startswith(("=", "@", "+")) or (c.startswith("-") and not _number(c))
        ]
        assert risky == [], (name, risky[:3])
    # the label is neither strength nor control: read from the data, and quoted in
    # the runner's warning, where it does not start the cell
    assert any("group '=cmd|' /C calc'!A0' in runners.csv" in c for c in _cells(out / "a.csv"))
    assert '\'=HYPERLINK("http://x")' in _cells(out / "m.csv")
    assert "'@SUM(1)" in _cells(out / "q.csv")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", "{d}", "--out", "{d}/runs.csv"],
        ["analyze", "{d}", "--out", "{o}/a.csv", "--squad-out", "{d}/strength.csv"],
        ["metrics", "{d}", "--out", "{d}/runners.csv"],
        ["metrics", "{d}", "--out", "{o}/m.csv", "--weekly", "{d}/activities/x.csv"],
        ["validate", "{d}", "--quarantine", "{d}/runners.csv"],
        ["validate", "{d}", "--quarantine", "{d}/../squad/lab_tests.csv"],
        ["metrics", "{d}", "--out", "{o}/m.csv", "--lab", "{d}/truth.csv"],
        ["metrics", "{d}", "--out", "{d}/runs/part-00000.parquet"],
        ["analyze", "{d}", "--out", "{d}/strength/part-00000.parquet"],
    ],
)
def test_no_command_writes_over_the_datasets_own_files(argv, squad, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in squad.glob("*.csv")}
    code = main([a.format(d=squad, o=tmp_path / "out") for a in argv])
    assert code == 2
    assert "never writes over its input" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in squad.glob("*.csv")} == before


def test_simulate_refuses_a_folder_with_files_unless_forced(squad, capsys):
    before = (squad / "runs.csv").read_bytes()
    assert main(["simulate", "--out", str(squad), "--runners", "2"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (squad / "runs.csv").read_bytes() == before
    assert main(["simulate", "--out", str(squad), "--runners", "2", "--force"]) == 0
    assert (squad / "runs.csv").read_bytes() != before


def test_no_output_replaces_a_parquet_part_or_the_known_truth(squad, tmp_path, capsys):
    """``metrics pq --out pq/runs/part-00000.parquet`` replaced a part (the dataset no longer loaded)."""
    pq = tmp_path / "pq"
    assert main(["convert", str(squad), str(pq)]) == 0
    (pq / "truth.csv").write_text("runner_id,o2_cost_change_pct\nR01,-3.0\n", encoding="utf-8")
    files = sorted(p for p in pq.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}
    part = next((pq / "runs").glob("*.parquet"))
    for argv in (
        ["metrics", str(pq), "--out", str(part)],
        ["metrics", str(pq), "--out", str(tmp_path / "m.csv"), "--lab", str(pq / "truth.csv")],
        ["analyze", str(pq), "--out", str(pq / "strength" / part.name), "--quiet"],
    ):
        assert main(argv) == 2
        assert "never writes over its input" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in files} == before


def test_an_output_that_is_a_pipe_or_a_device_is_written_in_place_not_replaced(tmp_path):
    """``--out /dev/null`` run as root replaced /dev/null with a regular file (a rename onto it)."""
    import os
    import stat

    from analysis.io.write import write_csv_atomic

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_csv_atomic(pd.DataFrame({"a": [1, 2]}), fifo)
        assert os.read(reader, 1000) == b"a\n1\n2\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]
    target = tmp_path / "real.csv"
    target.write_text("old\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(target)
    write_csv_atomic(pd.DataFrame({"a": [3]}), tmp_path / "link.csv")
    assert (tmp_path / "link.csv").is_symlink()
    assert target.read_text(encoding="utf-8") == "a\n3\n"


def test_frames_written_one_after_another_under_one_header_or_not_at_all(tmp_path):
    from analysis.io.write import write_csv_atomic

    target = tmp_path / "out.csv"
    target.write_text("old\n")
    parts = [pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), pd.DataFrame({"a": [3], "b": ["z"]})]
    write_csv_atomic(iter(parts), target)
    assert target.read_text() == "a,b\n1,x\n2,y\n3,z\n"

    def broken():
        yield parts[0]
        raise RuntimeError("the second part failed")

    with pytest.raises(RuntimeError, match="second part"):
        write_csv_atomic(broken(), target)
    assert target.read_text() == "a,b\n1,x\n2,y\n3,z\n"  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left
