"""Run every benchmark (``make bench``).

Each ``bench_*.py`` beside this file is a script that measures one target and
prints its figures as ratios against a baseline measured in the same run (for
example plain ``pandas.read_csv`` beside our validated loader). Each runs in
its own process so peak-memory figures don't leak between benchmarks.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "bench_load",
    "bench_metrics",
    "bench_analyze",
    "bench_scale",
    "bench_fit_once",
    "bench_report",
    "bench_dask",
    "bench_import",
]


def main(argv: list[str]) -> int:
    wanted = [a for a in argv if not a.startswith("-")]
    found = {p.stem: p for p in sorted(HERE.glob("bench_*.py"))}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    if wanted:
        names = [n for n in names if any(w in n for w in wanted)]
    failed = []
    for name in names:
        print(f"=== {name}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(found[name])], cwd=HERE.parent)
        print(f"--- {name}: {time.perf_counter() - start:.1f} s wall, exit {rc}\n", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print("benchmarks that failed or missed their target: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
