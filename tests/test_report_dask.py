"""Reports on a 2-worker Dask LocalCluster are the reports of the process pool."""

from __future__ import annotations

import re

import pytest

from analysis.report import render_reports

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

_CELL_ID = re.compile(r'id="cell-id=[0-9a-f]+"')  # papermill's injected cell: a new id every run


def _html(folder, name) -> str:
    return _CELL_ID.sub('id="cell-id"', (folder / f"{name}.html").read_text())


def test_dask_reports_match_the_process_pool(sample_dir, tmp_path):
    runners = ["R01", "R04"]
    common = dict(runner_ids=runners, squad=True, fmt="html", workers=2, progress=False)
    pool = render_reports(sample_dir, tmp_path / "pool", **common)
    seen = []
    dask = render_reports(
        sample_dir, tmp_path / "dask", scheduler="local", on_backend=seen.append, **common
    )
    assert pool.failed == [] and dask.failed == []
    assert dask.backend == "a local Dask cluster (2 workers)"
    assert seen and seen[0].dashboard.startswith("http")
    assert sorted(dask.ok) == sorted(pool.ok) == sorted(["squad", *runners])
    for name in pool.ok:
        assert _html(tmp_path / "dask", name) == _html(tmp_path / "pool", name), name
