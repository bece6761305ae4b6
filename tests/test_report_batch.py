"""Reports from the batch's one analysis read exactly like reports that analyse themselves."""

from __future__ import annotations

import json
import re

import pytest

from analysis.report import render_reports

pytestmark = pytest.mark.slow
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f]+"')


def _injected(notebook) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "".join(
        "".join(c["source"])
        for c in cells
        if "injected-parameters" in c["metadata"].get("tags", [])
    )


def test_the_batch_analysis_changes_no_word_of_a_report(sample_dir, tmp_path):
    runners = ["R01", "R02"]  # a strength runner and a control
    common = dict(runner_ids=runners, fmt="html", workers=1, progress=False)
    once = render_reports(sample_dir, tmp_path / "once", **common)
    alone = render_reports(sample_dir, tmp_path / "alone", precompute=False, **common)
    assert once.failed == [] and alone.failed == []
    for rid in runners:
        a = _CELL_ID.sub("", (tmp_path / "once" / f"{rid}.html").read_text())
        b = _CELL_ID.sub("", (tmp_path / "alone" / f"{rid}.html").read_text())
        assert a == b, rid
    assert "batch = " in _injected(tmp_path / "once" / "R01.ipynb")  # the notebooks read it
    assert "batch = " not in _injected(tmp_path / "alone" / "R01.ipynb")
    assert not list((tmp_path / "once").glob(".runeco-batch-*"))  # removed after the batch
