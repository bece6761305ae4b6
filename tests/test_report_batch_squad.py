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
