"""A real runner's year of GPX runs, end to end: import -> validate -> analyze -> report.

Reads ``../shared/data/real/session/`` (34 real runs, Jul 2020 - Jun 2021,
heart rate on most points) and skips cleanly where that folder is absent.
The runner logged no strength work, so the test adds a ``blocks.csv`` row
for a hypothetical 12-week winter block, as a coach would.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.cli import main
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import ANALYZE_COLUMNS


@pytest.fixture(scope="module")
def session_dataset(tmp_path_factory, request):
    shared = request.getfixturevalue("shared_dir")
    source = shared / "data" / "real" / "session"
    if not source.is_dir():
        pytest.skip(f"{source} is not present")
    folder = tmp_path_factory.mktemp("session") / "dataset"
    rc = main(
        [
            "import",
            str(folder),
            "--runner",
            "S01",
            "--name",
            "Session Runner",
            "--quiet",
            str(source),
        ]
    )
    assert rc == 0
    (folder / "blocks.csv").write_text(
        "runner_id,block_start,block_end,label\nS01,2020-11-02,2021-01-24,winter block\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.slow
def test_real_session_imports_and_validates_clean(session_dataset, capsys):
    assert main(["validate", str(session_dataset)]) == 0
    ds = load_dataset(session_dataset)
    assert len(ds.runs) == 34
    assert ds.runs["distance_km"].sum() == pytest.approx(228.2, abs=0.5)
    assert ds.runs["avg_hr_bpm"].notna().all()
    m = run_metrics(ds)
    steady = m[m["steady"]]
    # Plausible field physiology for a recreational runner at ~6:15/km: oxygen
    # cost within the range of published values for runners (~170-300 ml/kg/km)
    assert len(steady) >= 20
    assert steady["o2_cost_ml_kg_km"].between(170, 320).all()
    assert 320 <= steady["pace_s_per_km"].median() <= 420


@pytest.mark.slow
def test_real_session_analyze_and_report(session_dataset, tmp_path):
    out = tmp_path / "analysis.csv"
    assert main(["analyze", str(session_dataset), "--out", str(out), "--quiet"]) == 0
    result = pd.read_csv(out)
    assert list(result.columns[: len(ANALYZE_COLUMNS)]) == list(ANALYZE_COLUMNS)
    row = result.iloc[0]
    assert row["runner_id"] == "S01" and row["method"] == "field_hr"
    assert row["block_start"] == "2020-11-02"
    # Every other run of the year is in the folder: 3 steady runs in the
    # 6-week baseline and 5 in the block, too few for a model, and the row says
    # so instead of guessing.
    assert row["verdict"] == (
        "insufficient data: 3 steady runs in the baseline and 5 in the block (need 8 in each)"
    )
    assert pd.isna(row["o2_cost_change_pct"]) and pd.isna(row["ci_low_pct"])
    assert (row["n_baseline_runs"], row["n_block_runs"]) == (3, 5)

    reports = tmp_path / "reports"
    rc = main(["report", str(session_dataset), "--out", str(reports), "--quiet", "--workers", "1"])
    assert rc == 0
    text = "".join(page.extract_text() for page in PdfReader(reports / "S01.pdf").pages)
    assert "Session Runner" in text
    assert row["verdict"].split(":")[0] in text
