"""Benchmark: the runner report fits its model once (issue 9).

Before, the runner notebook called ``analyze(...)`` and then ``fit_runner(...)``
for the same runner: two fits per report, the second through the statsmodels
formula API. Now ``analyze(..., return_fits=True)`` hands the fit over. This
renders the same runner reports with both notebooks in one run, one worker
(a warm kernel), and prints the time per report and the ratio. The "before"
notebook is the current one with the second fit put back, so only that
differs. Squad: the bundled sample (8 runners).

Usage: ``python benchmarks/bench_fit_once.py [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
NOTEBOOK = REPO / "notebooks" / "runner_report.ipynb"
SECOND_FIT = (
    "\nfrom analysis.models import fit_runner\n"
    "fit = fit_runner(metrics, block, n_quarantined=n_quarantined_runs)  # the old second fit\n"
)


def _fit_twice_notebook(folder: Path) -> Path:
    nb = json.loads(NOTEBOOK.read_text())
    cell = nb["cells"][1]
    source = "".join(cell["source"])
    marker = 'n_quarantined_runs = quarantined_row_count(data.quarantine, "runs.csv")\n'
    assert marker in source, "the runner notebook changed: update this benchmark"
    cell["source"] = source.replace(marker, marker + SECOND_FIT).splitlines(keepends=True)
    path = folder / "runner_report_fit_twice.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _per_report(notebook: Path, out: Path) -> float:
    from analysis import report

    started = time.perf_counter()
    summary = report.render_reports(
        SAMPLE, out, workers=1, progress=False, runner_notebook=notebook, fmt="ipynb"
    )
    if summary.failed:
        raise SystemExit(f"reports failed: {summary.failed}")
    return (time.perf_counter() - started) / len(summary.ok)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        before_nb = _fit_twice_notebook(tmp)
        _per_report(NOTEBOOK, tmp / "warm")  # kernel start and imports out of the timing
        before = min(_per_report(before_nb, tmp / f"b{i}") for i in range(args.repeat))
        after = min(_per_report(NOTEBOOK, tmp / f"a{i}") for i in range(args.repeat))
    print("runner report (notebook executed, sample squad, 1 warm kernel):")
    print(f"  before (analyze + fit_runner): {before:.3f} s per report")
    print(f"  after  (analyze once):         {after:.3f} s per report")
    print(f"  after / before = {after / before:.2f}")
    return 0 if after < before else 1


if __name__ == "__main__":
    sys.exit(main())
