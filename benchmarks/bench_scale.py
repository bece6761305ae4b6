"""Benchmark: ``runeco analyze`` as the squad grows (1,000, 5,000, 20,000 runners).

Target (issue 14): 20,000 runners x 16 weeks analysed on one machine in
<= 2 GB peak memory, and memory that stays flat as the squad grows. Each
measurement runs in its own Python process (peak resident memory ``VmHWM``,
which is not inherited from this parent): the dataset in the Parquet layout
read part by part (:func:`analysis.io.load_dataset_parts` and
:func:`analysis.models.analyze_parts`, what ``runeco analyze`` does with that
layout; the target is judged on it), the same squad in CSV loaded whole
(``load_dataset``, ``run_metrics``, ``analyze``), and the baseline measured in
the same run: plain ``pandas.read_csv`` of the same runs.csv and strength.csv
(what any pandas tool pays just to hold the data). Time and memory per 1,000
runners come from a least-squares line through the measured sizes and are
projected to 100,000 runners.

The squads are the benchmark squad of ``_common.py`` at each size (16 weeks,
70 % strength, seed 0), simulated once per simulator version and cached, and
converted once to the Parquet layout (``runeco convert``, parts of 500).

Usage: ``python benchmarks/bench_scale.py [--runners 1000 5000 20000]``; exit
code 1 when the 20,000-runner target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import benchmark_squad, benchmark_squad_parquet, run_child  # noqa: E402

TARGET_MB = 2048.0
TARGET_RUNNERS = 20_000
PROJECT_TO = 100_000

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
kind, folder = sys.argv[1], Path(sys.argv[2])

def peak_mb():  # VmHWM: unlike ru_maxrss, not inherited from the parent that simulated
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
info = {}
if kind == "analyze":
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics
    from analysis.models import analyze
    ready = peak_mb()
    start = time.perf_counter()
    ds = load_dataset(folder)
    info["load_s"] = time.perf_counter() - start
    metrics = run_metrics(ds)
    blocks = runner_blocks(ds)
    out = analyze(ds, metrics=metrics, blocks=blocks)
    info["rows"] = len(out)
    info["answered"] = int(out["o2_cost_change_pct"].notna().sum())
elif kind == "parts":  # the Parquet layout, one part of runners in memory at a time
    import tempfile
    from analysis.io import load_dataset_parts
    from analysis.models import analyze_parts
    ready = peak_mb()
    start = time.perf_counter()
    head, parts = load_dataset_parts(folder)
    from analysis.io.write import neutralise_formulas, write_csv_atomic
    counts = {"rows": 0, "answered": 0}
    def written(frames):  # as `runeco analyze` writes them: each chunk's frame as it comes
        for frame in frames:
            counts["rows"] += len(frame)
            counts["answered"] += int(frame["o2_cost_change_pct"].notna().sum())
            yield neutralise_formulas(frame)
    with tempfile.TemporaryDirectory() as spill:
        frames = analyze_parts(head, parts, spill, stream=True)[0]
        write_csv_atomic(written(frames), Path(spill) / "analysis.csv")
    info["load_s"] = float("nan")
    info.update(counts)
else:  # baseline: the two large files read by plain pandas
    import pandas as pd
    ready = peak_mb()
    start = time.perf_counter()
    frames = [pd.read_csv(folder / name) for name in ("runs.csv", "strength.csv")]
    info["rows"] = sum(len(f) for f in frames)
seconds = time.perf_counter() - start
peak = peak_mb()
print(json.dumps({"seconds": seconds, "peak_mb": peak, "ready_mb": ready, **info}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, nargs="+", default=[1000, 5000, TARGET_RUNNERS])
    parser.add_argument(
        "--parts-only",
        action="store_true",
        help="measure only the Parquet part-by-part path (not the CSV loaded whole, nor read_csv)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(set(args.runners))
    results = []
    for n in sizes:
        folder = benchmark_squad(n)
        parts = run_child(_CHILD, "parts", benchmark_squad_parquet(n))
        if args.parts_only:
            results.append((n, parts, parts, parts))
            print(
                f"{n:>7,} runners: Parquet part by part {parts['seconds']:6.1f} s, "
                f"peak {parts['peak_mb']:5.0f} MB ({parts['answered']:,} answers)",
                flush=True,
            )
            continue
        whole = run_child(_CHILD, "analyze", folder)
        base = run_child(_CHILD, "baseline", folder)
        results.append((n, parts, whole, base))
        print(
            f"{n:>7,} runners: Parquet part by part {parts['seconds']:6.1f} s, "
            f"peak {parts['peak_mb']:5.0f} MB | CSV loaded whole {whole['seconds']:6.1f} s, "
            f"peak {whole['peak_mb']:5.0f} MB | plain read_csv of runs + strength "
            f"{base['seconds']:5.1f} s, peak {base['peak_mb']:5.0f} MB | ratio to read_csv: "
            f"{parts['peak_mb'] / base['peak_mb']:.2f} x / {whole['peak_mb'] / base['peak_mb']:.2f} x "
            f"memory ({parts['answered']:,} answers)",
            flush=True,
        )
    ok = True
    if len(results) >= 2:
        n = np.array([r[0] for r in results], dtype=float)
        paths = (("Parquet part by part", 1), ("CSV loaded whole", 2))
        for label, k in paths[: 1 if args.parts_only else 2]:
            for key, unit in (("peak_mb", "MB"), ("seconds", "s")):
                y = np.array([r[k][key] for r in results])
                slope, intercept = np.polyfit(n, y, 1)
                print(
                    f"{label}, {key}: {1000 * slope:.1f} {unit} per 1,000 runners above "
                    f"{intercept:.0f} {unit}; projected at {PROJECT_TO:,} runners: "
                    f"{intercept + slope * PROJECT_TO:,.0f} {unit}"
                )
    at_target = [r for r in results if r[0] == TARGET_RUNNERS]
    if at_target:
        peak = at_target[0][1]["peak_mb"]
        ok = peak <= TARGET_MB
        print(
            f"target <= {TARGET_MB:.0f} MB at {TARGET_RUNNERS:,} runners: "
            f"{'met' if ok else 'MISSED'} ({peak:.0f} MB)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
