"""Benchmark: reports on a Dask LocalCluster against the built-in process pool.

Target (issue 14): the PDFs of 200 runners rendered on a 2-worker Dask
``LocalCluster`` at >= 0.8 of the throughput of the built-in 2-process pool,
measured one after the other in this run (the pool is the baseline). The
cluster's start-up is included, as a user would pay it. Also: ``analyze`` of
the same squad in chunks of 50 runners in this process, on the pool and on the
cluster (each answer must be the same; the time shows the cost of shipping
chunks).

The squad: the benchmark squad of ``_common.py`` at 200 runners (16 weeks, 70 %
strength, seed 0), simulated once and cached.

Usage: ``python benchmarks/bench_dask.py [--runners 200] [--workers 2]``; exit
code 1 when the target is missed or an answer differs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import OUT, benchmark_squad  # noqa: E402

TARGET_EFFICIENCY = 0.8
CHUNK = 50


def _reports(dataset: Path, out: Path, workers: int, scheduler: str | None) -> tuple[float, int]:
    from analysis.report import render_reports

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = render_reports(
        dataset, out, fmt="pdf", workers=workers, progress=False, scheduler=scheduler
    )
    seconds = time.perf_counter() - start
    for name, reason in summary.failed:
        print(f"  failed: {name}: {reason}")
    return seconds, len(summary.ok)


def _analyze(dataset: Path, workers: int) -> bool:
    from analysis.execution import DaskBackend, ProcessBackend
    from analysis.io import load_dataset
    from analysis.models import analyze

    ds = load_dataset(dataset)
    answers = {}
    for label, make in (
        ("this process", lambda: None),
        (f"{workers}-process pool", lambda: ProcessBackend(workers)),
        (f"{workers}-worker LocalCluster", lambda: DaskBackend("local", workers)),
    ):
        backend = make()
        start = time.perf_counter()
        try:
            answers[label] = analyze(ds, backend=backend, chunk_runners=CHUNK)
        finally:
            if backend is not None:
                backend.close()
        print(f"analyze in chunks of {CHUNK}, {label}: {time.perf_counter() - start:.1f} s")
    first = next(iter(answers.values()))
    same = all(a.equals(first) for a in answers.values())
    print(f"the same answer everywhere: {'yes' if same else 'NO'}")
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    dataset = benchmark_squad(args.runners)
    print(f"squad: {dataset.name}")
    pool_s, pool_n = _reports(dataset, OUT / "dask-pool", args.workers, None)
    dask_s, dask_n = _reports(dataset, OUT / "dask-cluster", args.workers, "local")
    pool_rate, dask_rate = 60 * pool_n / pool_s, 60 * dask_n / dask_s
    efficiency = dask_rate / pool_rate
    print(
        f"process pool ({args.workers} workers): {pool_n} PDFs in {pool_s:.1f} s "
        f"({pool_rate:.0f}/min)"
    )
    print(
        f"Dask LocalCluster ({args.workers} workers, start-up included): {dask_n} PDFs in "
        f"{dask_s:.1f} s ({dask_rate:.0f}/min)"
    )
    ok = efficiency >= TARGET_EFFICIENCY and dask_n == pool_n == args.runners
    print(
        f"efficiency Dask / pool: {efficiency:.2f} (target >= {TARGET_EFFICIENCY}): "
        f"{'met' if ok else 'MISSED'}"
    )
    same = _analyze(dataset, args.workers)
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
