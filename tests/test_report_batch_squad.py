"""The squad report from the batch's analysis reads like the one that analyses itself."""

from __future__ import annotations

import json
import re

import pytest

from analysis.report import render_reports
from tests.test_report_batch import _CELL_ID, _injected

pytestmark = pytest.mark.slow


def _outputs(ipynb) -> str:
    """Every code cell's outputs (what the report shows), without the injected parameters
    (and with the memory addresses of objects' plain-text reprs left out)."""
    cells = json.loads(ipynb.read_text())["cells"]
    outputs = [
        c["outputs"]
        for c in cells
        if c["cell_type"] == "code" and "injected-parameters" not in c["metadata"].get("tags", [])
    ]
    return re.sub(r" at 0x[0-9a-f]+", " at 0x", json.dumps(outputs))


def test_the_sample_squad_report_from_the_batch_shows_what_it_shows_alone(
    sample_reports, sample_dir, tmp_path
):
    """The session's rendering of the sample squad (every runner, 2 workers: the squad's
    models fitted in a thread while the runner reports ran) against the squad report
    that fits its models itself: every output the same, text, tables and figures."""
    alone = render_reports(
        sample_dir,
        tmp_path,
        squad=True,
        runner_reports=False,
        precompute=False,
        workers=1,
        progress=False,
    )
    assert sample_reports.failed == [] and alone.failed == []
    once = sample_reports.out_dir / "squad.ipynb"
    assert "batch = " in _injected(once) and "batch = " not in _injected(tmp_path / "squad.ipynb")
    assert _outputs(once) == _outputs(tmp_path / "squad.ipynb")


def test_the_squad_report_from_the_batch_changes_no_word(sample_dir, tmp_path):
    common = dict(
        runner_ids=["R05", "R02", "R07"],
        squad=True,
        fmt="html",
        workers=1,
        progress=False,
        parameters={"baseline_weeks": 5},
    )
    once = render_reports(sample_dir, tmp_path / "once", **common)
    # the squad report alone: it fits its models itself (no runner reports needed)
    alone = render_reports(
        sample_dir, tmp_path / "alone", precompute=False, runner_reports=False, **common
    )
    assert once.failed == [] and alone.failed == []
    a = _CELL_ID.sub("", (tmp_path / "once" / "squad.html").read_text())
    b = _CELL_ID.sub("", (tmp_path / "alone" / "squad.html").read_text())
    assert a == b
    assert "baseline_weeks = 5" in (tmp_path / "once" / "squad.ipynb").read_text()
    assert "batch = " in _injected(tmp_path / "once" / "squad.ipynb")


def test_the_squad_report_fits_its_models_itself_when_the_batch_could_not(
    sample_dir, tmp_path, monkeypatch
):
    import analysis.models.batch

    def fail(*args, **kwargs):
        raise RuntimeError("no squad model")

    monkeypatch.setattr(analysis.models.batch, "write_squad_batch", fail)  # in this process
    summary = render_reports(
        sample_dir,
        tmp_path,
        runner_ids=["R01", "R02"],
        squad=True,
        fmt="ipynb",
        workers=2,
        progress=False,
    )
    assert summary.failed == []
    assert summary.ok == ["squad", "R01", "R02"]
    assert "batch = " not in _injected(tmp_path / "squad.ipynb")  # it fitted them itself
    assert "batch = " in _injected(tmp_path / "R01.ipynb")  # the runners' analysis still served
    assert not list(tmp_path.glob(".runeco-batch-*"))


def test_the_squad_notebook_given_a_batch_never_imports_statsmodels(sample_dir, tmp_path):
    # its models are fitted once for the batch: importing statsmodels cost its kernel 0.7 s
    import subprocess
    import sys

    from analysis.io import load_dataset
    from analysis.models.batch import write_batch, write_squad_batch
    from analysis.report import SQUAD_NOTEBOOK, notebook_path

    ds = load_dataset(sample_dir)
    batch = write_batch(ds, tmp_path / "batch", **ds.settings.resolve())
    write_squad_batch(ds, batch, None, baseline_weeks=ds.settings.resolve()["baseline_weeks"])
    script = f"""
import json, sys
import IPython.display
IPython.display.display = lambda *objects, **kw: None
nb = json.load(open({str(notebook_path(SQUAD_NOTEBOOK))!r}))
code = [''.join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
namespace = {{}}
exec(code[0], namespace)
namespace.update(dataset={str(sample_dir)!r}, batch={str(batch)!r})
for source in code[1:]:
    exec("\\n".join(l for l in source.splitlines() if not l.startswith("%")), namespace)
print(sorted(m for m in sys.modules if m.split(".")[0] == "statsmodels"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
