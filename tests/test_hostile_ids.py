"""The same hostile runner ids through every entry point that takes one (issue 10, C2)."""

from __future__ import annotations

import shutil

import pytest

from analysis.cli import main
from analysis.schema import is_runner_id
from tests.paths import FIXTURES_DIR, SAMPLE_DIR

HOSTILE_IDS = [
    "R01\n",
    "R01\r\n",
    "\nR01",
    "R01\x00",
    "a/b",
    "../x",
    "..",
    ".",
    "a b",
    "",
    "-x",
    "_x",
    "x" * 65,
    "R01;rm",
    "é",
    "R\u202e01",
]


@pytest.mark.parametrize("runner_id", HOSTILE_IDS)
def test_is_runner_id_refuses(runner_id):
    assert not is_runner_id(runner_id)


def test_is_runner_id_accepts_the_edges():
    assert is_runner_id("R") and is_runner_id("x" * 64) and is_runner_id("a-b_C9")


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("runner_id", HOSTILE_IDS)
def test_import_refuses_and_creates_nothing(runner_id, tmp_path, capsys):
    dataset = tmp_path / "ds"
    code = main(
        [
            "import",
            str(dataset),
            f"--runner={runner_id}",
            str(FIXTURES_DIR / "import" / "tiny_run.gpx"),
        ]
    )
    assert code == 2
    assert "runner id" in capsys.readouterr().err
    assert not dataset.exists()
    assert _tree(tmp_path) == []


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("squad") / "s"
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


@pytest.mark.parametrize("runner_id", HOSTILE_IDS[:8])
@pytest.mark.parametrize("command", ["analyze", "report", "plan"])
def test_analyze_report_and_plan_refuse(command, runner_id, squad, tmp_path, capsys):
    before = _tree(squad)
    out = tmp_path / "out"
    argv = {
        "analyze": ["analyze", str(squad), f"--runner={runner_id}", "--out", str(out / "a.csv")],
        "report": [
            "report",
            str(squad),
            "--runner",
            runner_id,
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        "plan": ["plan", str(squad), f"--runner={runner_id}"],
    }[command]
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (1, 2), err
    assert "error" in err or "failed" in err
    # the id is shown escaped, on the error's one line (no raw newline or NUL)
    assert err.count("\n") == 1 and repr(runner_id) in err, err
    assert _tree(squad) == before  # nothing written into the dataset
    if out.exists():
        assert not any(p.suffix in (".pdf", ".ipynb", ".csv") for p in out.rglob("*"))


def test_a_runners_csv_row_with_a_hostile_id_is_refused(tmp_path, write_dataset):
    from analysis.errors import DataError
    from analysis.io import load_dataset

    folder = write_dataset(
        tmp_path / "ds",
        runners='runner_id\nR01\n"a/b"\n',
        runs="runner_id,date,distance_km,duration_s\n",
    )
    with pytest.raises(DataError, match="runner_id"):
        load_dataset(folder)
