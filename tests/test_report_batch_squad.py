"""The squad report from the batch's analysis reads like the one that analyses itself."""

from __future__ import annotations

import re

import pytest

from analysis.report import render_reports

pytestmark = pytest.mark.slow
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f]+"')


@pytest.mark.parametrize("subset", [None, ["R05", "R02", "R07"]])
def test_the_squad_report_from_the_batch_changes_no_word(sample_dir, tmp_path, subset):
    common = dict(
        runner_ids=subset,
        squad=True,
        fmt="html",
        workers=1,
        progress=False,
        parameters={"baseline_weeks": 5},
    )
    once = render_reports(sample_dir, tmp_path / "once", **common)
    alone = render_reports(sample_dir, tmp_path / "alone", precompute=False, **common)
    assert once.failed == [] and alone.failed == []
    a = _CELL_ID.sub("", (tmp_path / "once" / "squad.html").read_text())
    b = _CELL_ID.sub("", (tmp_path / "alone" / "squad.html").read_text())
    assert a == b
    assert "baseline_weeks = 5" in (tmp_path / "once" / "squad.ipynb").read_text()
