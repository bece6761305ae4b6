"""The time course in big squads: 30 strength runners + 30 controls (issue 11).

The squad's time course (a ramp over the block, a plateau, a late start) is
chosen by a likelihood-ratio test over its strength runners that must hold
without its most favourable runner for every 8 of them
(``analysis.models.prepare.choose_course_from``). A test summed over runners
grows more eager with every runner added; leaving out one runner per 8 keeps
a course that a handful of runners carry from becoming the squad's. This
measures what that costs where the course really is a plateau or a late
start, and what it gains where it is a ramp, against the one runner left out
that squads of up to 8 strength runners use.

Each row: squads of 60 runners from our simulator (``simulate_squad``, seeds
6000 on, no lab tests), the change a ramp over the block (as simulated),
complete after 4 weeks, or starting 4 weeks in (the scenario suite's
transforms), with the strength group's mean change -4, -3 or -2 %; every
squad analysed twice, once per rule. Per rule: squads whose time course was
not the ramp, and the strength runners' bias, mean absolute error and 95 %
CI coverage of the headline (log scale, pp).

    python benchmarks/big_squads.py [--squads 15] [--jobs 2] [--out FILE.md]

(``make big-squads``, a few minutes on 2 cores.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import analysis.models.prepare as prepare
from analysis.simulate import simulate_squad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate_model  # noqa: E402  (the scenario suite's transforms)
from _common import markdown_table, publish  # noqa: E402

CASES = {
    "ramp, -4 %": (-4.0, None),
    "plateau after 4 weeks, -4 %": (-4.0, validate_model._plateau),
    "plateau after 4 weeks, -3 %": (-3.0, validate_model._plateau),
    "plateau after 4 weeks, -2 %": (-2.0, validate_model._plateau),
    "delayed 4 weeks, -4 %": (-4.0, validate_model._delayed),
    "delayed 4 weeks, -2 %": (-2.0, validate_model._delayed),
}

RULES = {
    "one runner left out": 10**9,  # ceil(n / 10**9) = 1: the rule of squads up to 8
    "one per 8 left out": prepare.TIME_COURSE_RUNNERS_PER_LEFT_OUT,
}


def squad_rows(job: tuple[str, int, str]) -> pd.DataFrame:
    """One squad of case ``name`` analysed under every rule, its strength rows."""
    name, seed, root = job
    effect, transform = CASES[name]
    folder = simulate_squad(
        Path(root) / f"{list(CASES).index(name)}-{seed}",
        n_runners=60,
        seed=6000 + seed,
        lab_tests=False,
        effect_pct_mean=effect,
    )
    rows = []
    try:
        for rule, per in RULES.items():
            prepare.TIME_COURSE_RUNNERS_PER_LEFT_OUT = per
            field = validate_model.squad_field_rows(folder, transform, seed)
            rows.append(field.assign(case=name, rule=rule))
    finally:  # the worker's next squad starts from the default
        prepare.TIME_COURSE_RUNNERS_PER_LEFT_OUT = RULES["one per 8 left out"]
    out = pd.concat(rows, ignore_index=True)
    return out.loc[~out["group"].astype(str).str.strip().str.lower().eq("control")]


def summarise(d: pd.DataFrame) -> dict:
    """One table cell group: non-ramp courses, bias, MAE and coverage of the strength rows."""

    def log(pct):
        return 100 * np.log1p(pct / 100)

    err = log(d["o2_cost_change_pct"]) - log(d["truth"])
    covered = (d["ci_low_pct"] <= d["truth"]) & (d["truth"] <= d["ci_high_pct"])
    courses = d.groupby("squad")[["plateau_weeks", "delay_weeks"]].first()
    return {
        "plateau": int(courses["plateau_weeks"].notna().sum()),
        "late start": int(courses["delay_weeks"].notna().sum()),
        "bias_pp": f"{err.mean():+.2f}",
        "squad_se_pp": (
            f"{err.groupby(d['squad']).mean().std(ddof=1) / np.sqrt(len(courses)):.2f}"
            if len(courses) > 1
            else "-"
        ),
        "mae_pp": f"{err.abs().mean():.2f}",
        "coverage": f"{covered.mean():.2f}",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squads", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        jobs = [(name, seed, root) for name in CASES for seed in range(args.squads)]
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = pd.concat(list(pool.map(squad_rows, jobs)), ignore_index=True)
    table = pd.DataFrame(
        [
            {"change": name, "rule": rule, "squads": args.squads, **summarise(d)}
            for name in CASES
            for rule in RULES
            for d in [rows.loc[(rows["case"] == name) & (rows["rule"] == rule)]]
        ]
    )
    publish(
        markdown_table(table),
        footer=f"({args.squads} squads per row; {time.perf_counter() - started:.0f} s)",
        out=args.out,
        title="The time course in big squads",
        command=f"python benchmarks/big_squads.py --squads {args.squads}",
        about="Squads of 30 strength runners and 30 controls "
        "from our simulator; the strength group's change a ramp over the block, complete "
        "after 4 weeks, or starting 4 weeks in, with the mean change named. Each squad "
        "analysed under both rules for the time course: its likelihood-ratio test at 1 % "
        "must hold without the one most favourable strength runner (the rule of squads "
        "of up to 8 strength runners), or without one per 8 (4 of 30; the default). "
        "`plateau`, `late start`: squads whose chosen course was not the ramp; then, "
        "over the strength runners, the headline's bias (with the SE of the squads' "
        "mean errors), mean absolute error and 95 % CI coverage, log scale, pp.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
