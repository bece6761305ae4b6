"""The field model's answer in small squads: 3 + 3, 4 + 4 (the sample's size), 9 + 3, 10 + 2 (issue 11).

The scenario suite (``validate_model.py``) runs squads of 16, 8 per group. A
coach's squad is often smaller, and there the control reference and the
partial pooling rest on 3 or 4 runners. Each row: squads from our simulator
(``simulate_squad``, seeds 5000 on, no lab tests), one confound where named
(transforms of ``validate_model.py``), and per group the bias, mean absolute
error, 95 % CI coverage and mean width, mean reported SE over the SD of the
errors (log scale), and runners called improved.

    python benchmarks/small_squads.py [--squads 30] [--out FILE.md]

(``make small-squads``, about a minute.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.simulate import simulate_squad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate_model  # noqa: E402  (the scenario suite's transforms)
from _common import markdown_table, publish  # noqa: E402

CASES = {
    "3 + 3": ({"n_runners": 6}, None),
    "4 + 4": ({"n_runners": 8}, None),
    "4 + 4, half the strength group non-responders": (
        {"n_runners": 8},
        validate_model.SCENARIOS["half the strength group non-responders"][1],
    ),
    "4 + 4, heat linear over every temperature": (
        {"n_runners": 8},
        validate_model.SCENARIOS["heat linear over every temperature"][1],
    ),
    "9 strength + 3 controls": ({"n_runners": 12, "strength_fraction": 0.75}, None),
    "10 strength + 2 controls": ({"n_runners": 12, "strength_fraction": 10 / 12}, None),
    "10 strength + 2 controls, fitness rising in both groups": (
        {"n_runners": 12, "strength_fraction": 10 / 12},
        validate_model.SCENARIOS["fitness rising in both groups (-4.5 %)"][1],
    ),
}


def case_rows(name: str, squads: int, root: Path) -> pd.DataFrame:
    """The field rows of ``squads`` squads of case ``name`` with their truth."""
    kwargs, transform = CASES[name]
    rows = []
    for seed in range(squads):
        folder = simulate_squad(
            root / f"{sorted(CASES).index(name)}-{seed}",
            seed=5000 + seed,
            lab_tests=False,
            **kwargs,
        )
        rows.append(validate_model.squad_field_rows(folder, transform, seed))
    return pd.concat(rows, ignore_index=True)


def summarise(name: str, d: pd.DataFrame) -> dict:
    """One table row: per group, error, coverage, SE over spread, called improved."""

    def log(pct):
        return 100 * np.log1p(pct / 100)

    row = {"squad": name, "runners": len(d), "pooled": f"{(d['pooling'] == 'group').mean():.2f}"}
    control = d["group"].astype(str).str.strip().str.lower().eq("control")
    for label, x in (("strength", d.loc[~control]), ("control", d.loc[control])):
        err = log(x["o2_cost_change_pct"]) - log(x["truth"])
        se = (log(x["ci_high_pct"]) - log(x["ci_low_pct"])) / (2 * 1.959964)
        covered = (x["ci_low_pct"] <= x["truth"]) & (x["truth"] <= x["ci_high_pct"])
        row[f"{label}_bias_pp"] = f"{err.mean():+.2f}"
        row[f"{label}_mae_pp"] = f"{err.abs().mean():.2f}"
        row[f"{label}_coverage"] = f"{covered.mean():.2f}"
        row[f"{label}_ci_width_pp"] = f"{(x['ci_high_pct'] - x['ci_low_pct']).mean():.1f}"
        row[f"{label}_se_over_sd"] = f"{se.mean() / err.std(ddof=1):.2f}"
        row[f"{label}_improved"] = f"{(x['verdict'] == 'improved').mean():.2f}"
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squads", type=int, default=30)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        table = pd.DataFrame([summarise(n, case_rows(n, args.squads, Path(root))) for n in CASES])
    publish(
        markdown_table(table),
        footer=f"({args.squads} squads per row; {time.perf_counter() - started:.0f} s)",
        out=args.out,
        title="The field model in small squads",
        command=f"python benchmarks/small_squads.py --squads {args.squads}",
        about="Per group: bias and mean absolute error of the "
        "headline (pp), coverage and mean width of its 95 % CI, mean reported SE over the "
        "SD of the errors (log scale), and the share called improved; `pooled`: the share "
        "of rows whose headline is pooled with its group. The controls' true changes are "
        "all zero here.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
