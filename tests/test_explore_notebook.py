"""``notebooks/explore_runner.ipynb``: executed with papermill on the sample squad.

Leaving runs out in the notebook must give exactly what ``analyze`` gives
on a copy of the dataset whose ``runs.csv`` lacks those rows.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from analysis import formatting, report
from analysis.io import load_dataset
from analysis.models import analyze

NOTEBOOK = "explore_runner.ipynb"
RUNNER = "R01"


def _outputs(nb) -> list[dict]:
    return [o for cell in nb.cells for o in cell.get("outputs", [])]


def _texts(nb, mime: str) -> list[str]:
    return [o["data"][mime] for o in _outputs(nb) if mime in o.get("data", {})]


def test_the_notebook_is_thin_and_stripped():
    nb = nbformat.read(report.notebook_path(NOTEBOOK), as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    assert "exclude_runs = []" in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") for c in code), "strip the outputs"
    assert not any(re.search(r"^\s*(def|class)\b|lambda\b", c.source, re.M) for c in code)


@pytest.mark.slow
def test_leaving_runs_out_in_the_notebook_matches_analyze_without_those_rows(sample_dir, tmp_path):
    ds = load_dataset(sample_dir)
    before, fits = analyze(ds, [RUNNER], return_fits=True)
    before = before.loc[before["method"].eq("field_hr")].iloc[0]
    # the block's used runs with the lowest cost pull the ramp most: two by id, one by day
    frame = fits[RUNNER].frame
    used = frame.loc[frame["used"] & frame["period"].eq("block")]
    chosen = used.nsmallest(3, "o2_cost_ml_kg_km")
    ids = list(chosen["run_id"].iloc[:2])
    day = chosen["date"].iloc[2].strftime("%Y-%m-%d")

    # the same runs deleted from a copy of runs.csv, as a coach would do by hand
    copy = tmp_path / "squad"
    shutil.copytree(sample_dir, copy)
    lines = (copy / "runs.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    rid, run_id, date = (header.index(c) for c in ("runner_id", "run_id", "date"))

    def dropped(line: str) -> bool:
        cells = line.split(",")
        return cells[rid] == RUNNER and (cells[run_id] in ids or cells[date].startswith(day))

    kept = [lines[0]] + [line for line in lines[1:] if not dropped(line)]
    n_dropped = len(lines) - len(kept)
    assert n_dropped >= 3
    (copy / "runs.csv").write_text("".join(kept), encoding="utf-8")
    after = analyze(load_dataset(copy), [RUNNER])
    after = after.loc[after["method"].eq("field_hr")].iloc[0]

    session = report._KernelSession(cwd=str(report.notebook_path(NOTEBOOK).parent))
    try:
        nb = session.execute_notebook(
            str(report.notebook_path(NOTEBOOK)),
            str(tmp_path / NOTEBOOK),
            {"dataset": str(sample_dir), "runner_id": RUNNER, "exclude_runs": [*ids, day]},
            timeout_s=300,
        )
    finally:
        session.shutdown()
    assert [o for o in _outputs(nb) if o["output_type"] == "error"] == []

    change_before = formatting.format_change(
        before["o2_cost_change_pct"], before["ci_low_pct"], before["ci_high_pct"]
    )
    change_after = formatting.format_change(
        after["o2_cost_change_pct"], after["ci_low_pct"], after["ci_high_pct"]
    )
    assert change_before != change_after  # leaving these runs out moves the answer
    [sentence] = [t for t in _texts(nb, "text/markdown") if t.startswith("Without the")]
    assert sentence.startswith(f"Without the {n_dropped} runs left out")
    now, was = sentence.split("instead of")
    assert change_after in now and change_before in was

    # the season, the fit and the runs left out with their reasons are all shown
    assert len(_texts(nb, "image/png")) >= 4
    plain = "\n".join(_texts(nb, "text/plain"))
    unused = frame.loc[~frame["used"]]
    assert len(unused) and all(r in plain for r in unused["run_id"].head(3))
    for reason in set(unused["exclude_reason"]):
        assert f"left out: {reason}" in plain
    for run in ids:
        assert run in plain  # the runs the reader left out are listed


@pytest.mark.slow
def test_an_unknown_run_is_named_in_the_error(sample_dir, tmp_path):
    session = report._KernelSession(cwd=str(report.notebook_path(NOTEBOOK).parent))
    try:
        with pytest.raises(Exception, match="No run of R02 has the run id or date 'R01-nope'"):
            session.execute_notebook(
                str(report.notebook_path(NOTEBOOK)),
                str(tmp_path / NOTEBOOK),
                {"dataset": str(sample_dir), "runner_id": "R02", "exclude_runs": ["R01-nope"]},
                timeout_s=300,
            )
    finally:
        session.shutdown()
