"""Benchmark: ``analysis.metrics.run_metrics`` on a 1,000-runner squad.

Target (issue 3): under 2 s for the whole squad (~80k runs), vectorised with no
per-row Python loops. The floor, measured in the same run on the same
squad, is the physiology formulas every run needs (grade-adjusted speed,
HR -> VO2, oxygen cost) applied to ready numpy arrays, with no parameters per
runner, no validation and no bookkeeping: a true lower bound. The ratio ours / floor is printed
beside both times.

The squad comes from ``analysis.simulate.simulate_squad`` (written once under
``benchmarks/.out/`` and loaded with ``analysis.io.load_dataset``; neither is
timed) when those are available, else it is drawn with numpy straight into a
typed ``Dataset``. Times are the median of five calls after one warm-up.

Usage: ``python benchmarks/bench_metrics.py [--runners N] [--weeks W]``; exit
code 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import benchmark_squad  # noqa: E402

OUT = HERE / ".out"
TARGET_SECONDS = 2.0
REPEATS = 5


def _median_time(func, repeats=REPEATS):
    func()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _simulated(n_runners: int, weeks: int):
    """The benchmark squad of ``_common.py`` (shared with bench_load and bench_analyze)."""
    try:
        from analysis.io import load_dataset
    except ImportError:
        return None
    folder = benchmark_squad(n_runners, weeks)
    return load_dataset(folder), f"the benchmark squad, {folder.name}"


def _synthetic(n_runners: int, weeks: int, seed: int = 0):
    """A typed Dataset drawn with numpy (no files)."""
    from analysis import schema
    from analysis.io.dataset import Dataset

    rng = np.random.default_rng(seed)
    ids = np.array([f"R{i:04d}" for i in range(n_runners)], dtype=object)
    runners = pd.DataFrame(
        {
            "runner_id": ids,
            "sex": pd.Categorical(rng.choice(["F", "M"], n_runners), categories=schema.SEXES),
            "birth_year": pd.array(rng.integers(1965, 2005, n_runners), dtype="Int64"),
            "hr_rest_bpm": np.where(
                rng.random(n_runners) < 0.8, rng.integers(42, 62, n_runners), np.nan
            ),
            "hr_max_bpm": np.where(
                rng.random(n_runners) < 0.5, rng.integers(175, 200, n_runners), np.nan
            ),
            "vo2max_ml_kg_min": np.where(
                rng.random(n_runners) < 0.5, rng.uniform(45, 70, n_runners), np.nan
            ),
            "line": np.arange(2, n_runners + 2),
        }
    )
    per = 5 * weeks
    runner = np.repeat(np.arange(n_runners), per)
    day = np.concatenate(
        [np.sort(rng.choice(weeks * 7, per, replace=False)) for _ in range(n_runners)]
    )
    n = runner.size
    when = np.datetime64("2026-01-05T07:00") + day.astype("timedelta64[D]")
    distance = rng.gamma(6.0, 1.6, n).clip(3, 35)
    pace = rng.normal(330, 30, n).clip(220, 480)
    run_type = rng.choice(["easy", "long", "tempo", "interval", "race", "other"], n)
    runs = pd.DataFrame(
        {
            "runner_id": ids[runner],
            "date": pd.to_datetime(when),
            "distance_km": distance,
            "duration_s": (distance * pace).round(0),
            "avg_hr_bpm": np.where(rng.random(n) < 0.95, rng.normal(148, 10, n).round(0), np.nan),
            "max_hr_bpm": rng.normal(172, 8, n).round(0),
            "elev_gain_m": rng.gamma(2.0, 40, n).round(0),
            "elev_loss_m": rng.gamma(2.0, 40, n).round(0),
            "temp_c": rng.normal(10, 6, n).round(1),
            "run_type": pd.Categorical(run_type, categories=schema.RUN_TYPES),
            "vo2max_est_ml_kg_min": np.where(
                rng.random(n) < 0.3, rng.normal(52, 5, n).round(0), np.nan
            ),
            "rpe": rng.integers(2, 9, n).astype(float),
            "line": np.arange(2, n + 2),
        }
    )
    runs["run_id"] = runs["runner_id"] + "-" + runs["date"].dt.strftime("%Y%m%dT%H%M")
    empty = {
        name: pd.DataFrame({c.name: pd.Series(dtype=object) for c in spec})
        for name, spec in (
            ("strength", schema.STRENGTH),
            ("blocks", schema.BLOCKS),
            ("lab", schema.LAB_TESTS),
        )
    }
    ds = Dataset(
        path=Path("."),
        runners=runners,
        runs=runs,
        strength=empty["strength"],
        blocks=empty["blocks"],
        lab_tests=empty["lab"],
        quarantine=pd.DataFrame(columns=list(schema.QUARANTINE_COLUMNS)),
    )
    return ds, "numpy generator in bench_metrics.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--synthetic", action="store_true", help="skip the simulator")
    args = parser.parse_args(argv)

    from analysis.metrics import lab_economy_at_speed, run_metrics, weekly_metrics

    made = None if args.synthetic else _simulated(args.runners, args.weeks)
    ds, source = made if made is not None else _synthetic(args.runners, args.weeks)
    print(
        f"squad: {args.runners} runners, {len(ds.runs):,} runs, {len(ds.strength):,} strength rows ({source})"
    )

    from analysis import physiology as phys

    dist = ds.runs["distance_km"].to_numpy(dtype=float)
    dur = ds.runs["duration_s"].to_numpy(dtype=float)
    hr = ds.runs["avg_hr_bpm"].to_numpy(dtype=float)
    gain = ds.runs["elev_gain_m"].fillna(0).to_numpy(dtype=float)
    loss = ds.runs["elev_loss_m"].fillna(0).to_numpy(dtype=float)

    def floor():
        # The formulas every run needs, on ready arrays, with no per-runner parameters,
        # validation or bookkeeping: a true lower bound of run_metrics.
        gas = phys.grade_adjusted_speed(dist, gain, loss, dur)
        vo2 = phys.hr_to_vo2(hr, 55.0, 185.0, 55.0)
        phys.o2_cost(vo2, gas * 0.06)

    base = _median_time(floor)
    ours = _median_time(lambda: run_metrics(ds))
    metrics = run_metrics(ds)
    weekly = _median_time(lambda: weekly_metrics(ds, metrics), repeats=3)
    lab = _median_time(lambda: lab_economy_at_speed(ds.lab_tests), repeats=3)

    print(f"floor (the formulas alone on arrays): {base:8.3f} s")
    print(f"run_metrics:                          {ours:8.3f} s   ratio {ours / base:,.1f}x floor")
    print(f"  target < {TARGET_SECONDS:.1f} s: {'met' if ours < TARGET_SECONDS else 'MISSED'}")
    print(f"  steady runs {int(metrics['steady'].sum()):,} of {len(metrics):,}")
    print(f"weekly_metrics (given run_metrics): {weekly:7.3f} s")
    print(f"lab_economy_at_speed ({len(ds.lab_tests):,} stages): {lab:7.3f} s")
    return 0 if ours < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
