"""Benchmark: load + validate a 1,000-runner x 16-week squad.

Target (issue 2): ``analysis.io.load_dataset`` on ~80k runs and ~70k strength
rows in < 5 s and < 1 GB peak memory. The baseline, measured in the same run
on the same files, is plain ``pandas.read_csv`` of every CSV (no validation):
the floor any loader pays for parsing.

The squad is simulated once (``analysis.simulate.simulate_squad``, seed 0,
70 % of runners in the strength group so the strength log reaches the issue's
~70k rows; the default half-and-half squad has ~55k) under
``benchmarks/.out/`` and reused. Each measurement runs in its own Python
process and reports that process's peak resident memory (``VmHWM``, which,
unlike ``ru_maxrss``, is not inherited from the parent); times are the median
of three loads in that process.

Usage: ``python benchmarks/bench_load.py [--runners N] [--weeks W]``; exit code 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import SQUAD_TEXT, benchmark_squad, run_child  # noqa: E402

OUT = HERE / ".out"
TARGET_SECONDS = 5.0
TARGET_MB = 1024.0
REPEATS = 3

_CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
kind, folder, repeats = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])

def peak_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

import pandas as pd
if kind == "ours":
    from analysis.io import load_dataset
rss_ready = peak_mb()
times, info = [], {}
for _ in range(repeats):
    start = time.perf_counter()
    if kind == "ours":
        ds = load_dataset(folder)
        info = {"runs": len(ds.runs), "strength": len(ds.strength), "quarantined": len(ds.quarantine)}
    else:
        frames = [pd.read_csv(p) for p in sorted(folder.glob("*.csv")) if p.name != "truth.csv"]
        info = {"rows": sum(len(f) for f in frames)}
    times.append(time.perf_counter() - start)
    ds = frames = None
peak = peak_mb()
print(json.dumps({"seconds": statistics.median(times), "peak_mb": peak, "ready_mb": rss_ready, **info}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=16)
    args = parser.parse_args(argv)

    folder = benchmark_squad(args.runners, args.weeks)
    print(f"squad: {folder.name} ({SQUAD_TEXT} unless --runners/--weeks say otherwise)")
    sizes = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in sorted(folder.glob("*.csv"))}
    print(f"squad: {args.runners} runners x {args.weeks} weeks (analysis.simulate) in {folder}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))

    base = run_child(_CHILD, "read_csv", folder, REPEATS)
    ours = run_child(_CHILD, "ours", folder, REPEATS)
    print(
        f"baseline pd.read_csv (no validation): {base['seconds']:.2f} s, "
        f"peak RSS {base['peak_mb']:.0f} MB ({base['ready_mb']:.0f} MB after imports)"
    )
    print(
        f"load_dataset (parse + validate):      {ours['seconds']:.2f} s, "
        f"peak RSS {ours['peak_mb']:.0f} MB ({ours['ready_mb']:.0f} MB after imports); "
        f"{ours['runs']:,} runs, {ours['strength']:,} strength rows, "
        f"{ours['quarantined']:,} quarantined"
    )
    ratio_t = ours["seconds"] / base["seconds"]
    ratio_m = (ours["peak_mb"] - ours["ready_mb"]) / max(base["peak_mb"] - base["ready_mb"], 1.0)
    print(
        f"ratio to baseline: time x{ratio_t:.1f}, memory above imports x{ratio_m:.1f} "
        f"(median of {REPEATS} loads)"
    )
    ok_t = ours["seconds"] < TARGET_SECONDS
    ok_m = ours["peak_mb"] < TARGET_MB
    print(
        f"target < {TARGET_SECONDS:.0f} s: {'met' if ok_t else 'MISSED'}; "
        f"target < {TARGET_MB:.0f} MB: {'met' if ok_m else 'MISSED'}"
    )
    return 0 if ok_t and ok_m else 1


if __name__ == "__main__":
    sys.exit(main())
