"""Benchmark: this checkout's report batch against another revision's, in one run.

``bench_report`` compares two paths of the *same* code; a change to the
worker, the export or the kernels speeds both up. This script measures the
code itself: it takes ``src/`` and ``notebooks/`` of ``--against`` (a git
revision, default ``main``) with ``git archive`` into a temporary folder and
renders the same squad's 31 PDFs (``render_reports(..., squad=True)``, the
default pool of one worker per core) with that code and with this checkout's,
alternating ``--rounds`` times, each batch in a fresh interpreter. CPU
seconds are those of the batch's whole process tree (the interpreter, its
workers and their kernels: all waited for); they hardly depend on what else
the machine runs, so they are the figure to compare on a busy machine. Wall
seconds are printed too. The PDFs' text (``pdftotext``) of the last round is
compared between the two: it must be the same.

Usage: ``python benchmarks/bench_report_against.py [--against main] [--rounds 3]
[--runners 30] [--seed 2026]``; exit code 1 when a batch failed or the text differs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

_RENDER = """
import sys
from analysis.report import render_reports
summary = render_reports(sys.argv[1], sys.argv[2], squad=True, progress=False)
assert not summary.failed, summary.failed
print(len(summary.ok))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _extract(revision: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "src", "notebooks"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _render(src: Path, dataset: Path, out: Path) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src)}
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _RENDER, str(dataset), str(out)],
        env=env,
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runners", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    from bench_report import _squad

    dataset = _squad(args.runners, args.seed)
    with tempfile.TemporaryDirectory(prefix="runeco-against-") as tmp:
        tmp = Path(tmp)
        _extract(args.against, tmp / "before")
        codes = {"before": tmp / "before" / "src", "after": REPO / "src"}
        times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        load = os.getloadavg()[0]
        for _ in range(args.rounds):
            for label, src in codes.items():
                times[label].append(_render(src, dataset, tmp / label / "out"))
        load_after = os.getloadavg()[0]
        for label in codes:
            walls = [w for w, _ in times[label]]
            cpus = [c for _, c in times[label]]
            print(
                f"{label:6s} ({args.against if label == 'before' else 'this checkout'}): "
                f"median {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} CPU s "
                f"(= {statistics.median(cpus) / 2:.1f} s on 2 idle cores); rounds: "
                + ", ".join(f"{w:.1f} s / {c:.1f} CPU s" for w, c in times[label])
            )
        cpu_ratio = statistics.median(c for _, c in times["after"]) / statistics.median(
            c for _, c in times["before"]
        )
        wall_ratio = statistics.median(w for w, _ in times["after"]) / statistics.median(
            w for w, _ in times["before"]
        )
        print(
            f"after / before: CPU {cpu_ratio:.2f}, wall {wall_ratio:.2f}; "
            f"load average {load:.1f} before, {load_after:.1f} after"
        )
        if shutil.which("pdftotext") is None:
            print("pdftotext not found: the text was not compared")
            return 0
        pdfs = sorted(p.name for p in (tmp / "before" / "out").glob("*.pdf"))
        differ = [
            n for n in pdfs if _text(tmp / "before" / "out" / n) != _text(tmp / "after" / "out" / n)
        ]
        print(f"text of {len(pdfs)} PDFs compared: {len(differ)} differ {differ or ''}".rstrip())
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
