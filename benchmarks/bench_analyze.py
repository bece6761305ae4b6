"""Benchmark: ``runeco analyze`` on a 1,000-runner x 16-week squad.

Target (issue 4): load the dataset and run :func:`analysis.models.analyze`
(per-run metrics, blocks, the field model of every runner, the lab rows) in
< 30 s and < 2 GB peak memory on 2 cores. Printed beside it, the floor: the
per-runner field fit alone (one runner's prepared runs, the same code path:
serial-correlation REML and GLS) timed and multiplied by 1,000, and the ratio
of the two. ``analyze`` batches the REML of all runners, so the ratio can be
below 1. The squad model and dose-response (``--squad-out``) are timed too,
without a target.

The squad (6 baseline + 10 block weeks, ``analysis.simulate.simulate_squad``,
seed 0, 70 % strength: the benchmark squad of ``_common.py``, shared with
bench_load) is written once under ``benchmarks/.out/`` and reused. Each
measurement runs in its own Python process so that its peak resident memory
(``ru_maxrss``) is its own.

Usage: ``python benchmarks/bench_analyze.py [--runners N]``; exit code 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import SQUAD_TEXT, benchmark_squad, run_child  # noqa: E402

OUT = HERE / ".out"
TARGET_SECONDS = 30.0
TARGET_MB = 2048.0
FLOOR_FITS = 1000

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from pathlib import Path
kind, folder, n_fits = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
from analysis.io import load_dataset
from analysis import models
from analysis.models.field import _fit_runners
from analysis.blocks import runner_blocks
from analysis.metrics import run_metrics
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
info = {}
start = time.perf_counter()
if kind == "analyze":
    ds = load_dataset(folder)
    info["load_s"] = time.perf_counter() - start
    t = time.perf_counter()
    out = models.analyze(ds)
    info["analyze_s"] = time.perf_counter() - t
    info["rows"] = len(out)
    info["insufficient"] = int(out["verdict"].str.startswith("insufficient").sum())
elif kind == "squad":
    ds = load_dataset(folder)
    metrics = run_metrics(ds)
    per = models.analyze(ds, metrics=metrics)
    t = time.perf_counter()
    squad = models.squad_summary(ds, per, metrics=metrics)
    info["squad_s"] = time.perf_counter() - t
    start = t
else:  # floor: one runner's prepared runs, fitted n_fits times
    ds = load_dataset(folder)
    blocks = runner_blocks(ds)
    prep = models.prepare_runs(run_metrics(ds), blocks)
    rid = blocks["runner_id"].iloc[0]
    used = prep.loc[prep["used"] & (prep["runner_id"] == rid)]
    positions = {rid: np.arange(len(used))}
    use_temp = bool(used["use_temp"].iloc[0])
    start = time.perf_counter()
    for _ in range(n_fits):
        _fit_runners(used, positions, [(rid, use_temp)], "ar1", models.CONFOUNDERS)
    info["runs"] = len(used)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "ready_mb": ready, **info}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=1000)
    args = parser.parse_args(argv)

    folder = benchmark_squad(args.runners)
    print(f"squad: {folder.name} ({SQUAD_TEXT} unless --runners/--weeks say otherwise)")
    ours = run_child(_CHILD, "analyze", folder, FLOOR_FITS)
    floor = run_child(_CHILD, "floor", folder, FLOOR_FITS)
    squad = run_child(_CHILD, "squad", folder, FLOOR_FITS)
    floor_total = floor["seconds"] / FLOOR_FITS * args.runners
    print(
        f"runeco analyze (load + analyze):  {ours['seconds']:.2f} s "
        f"(load {ours['load_s']:.2f} s, analyze {ours['analyze_s']:.2f} s), "
        f"peak RSS {ours['peak_mb']:.0f} MB ({ours['ready_mb']:.0f} MB after imports); "
        f"{ours['rows']:,} rows, {ours['insufficient']} insufficient"
    )
    print(
        f"floor: one runner's fit ({floor['runs']} runs) x {FLOOR_FITS:,} = "
        f"{floor['seconds']:.2f} s -> x {args.runners:,} runners: {floor_total:.2f} s"
    )
    print(
        f"ratio analyze / floor: {ours['analyze_s'] / floor_total:.2f} "
        f"(whole command / floor: {ours['seconds'] / floor_total:.2f})"
    )
    print(f"squad model + dose-response (--squad-out): {squad['squad_s']:.2f} s (no target)")
    ok_t = ours["seconds"] < TARGET_SECONDS
    ok_m = ours["peak_mb"] < TARGET_MB
    print(
        f"target < {TARGET_SECONDS:.0f} s: {'met' if ok_t else 'MISSED'}; "
        f"target < {TARGET_MB:.0f} MB: {'met' if ok_m else 'MISSED'}"
    )
    return 0 if ok_t and ok_m else 1


if __name__ == "__main__":
    sys.exit(main())
