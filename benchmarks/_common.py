"""What the benchmarks share: the one benchmark squad, the child-process scaffolding
and the Markdown table of the model checks' documents.

Every benchmark that says "the benchmark squad" uses :func:`benchmark_squad`
(1,000 runners x 16 weeks, 70 % strength, seed 0), simulated once and cached
under ``benchmarks/.out``, keyed by a hash of the simulator's source so a
changed simulator never leaves a stale squad behind. :func:`run_child` runs a
measurement in a fresh interpreter (so peak memory is its own) and returns
the JSON it prints last; a failure is printed, never swallowed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / ".out"
SQUAD = {"n_runners": 1000, "weeks": 16, "strength_fraction": 0.7, "seed": 0}
SQUAD_TEXT = "1,000 runners x 16 weeks (6 baseline + 10 block), 70 % strength, seed 0"


def simulator_version() -> str:
    """Hash of the simulator's source: cached squads are keyed by it."""
    return hashlib.sha1((REPO / "src" / "analysis" / "simulate.py").read_bytes()).hexdigest()[:10]


def benchmark_squad(n_runners: int = SQUAD["n_runners"], weeks: int = SQUAD["weeks"]) -> Path:
    """The benchmark squad folder, simulated once per simulator version and reused."""
    from analysis.simulate import simulate_squad

    folder = OUT / f"squad_{n_runners}x{weeks}_s70_{simulator_version()}"
    stamp = folder / ".complete"
    if not stamp.exists():
        baseline = min(6, weeks // 3)
        simulate_squad(
            folder,
            n_runners=n_runners,
            seed=SQUAD["seed"],
            baseline_weeks=baseline,
            block_weeks=weeks - baseline,
            strength_fraction=SQUAD["strength_fraction"],
        )
        stamp.write_text("ok\n")
    return folder


def benchmark_squad_parquet(
    n_runners: int = SQUAD["n_runners"], weeks: int = SQUAD["weeks"]
) -> Path:
    """The benchmark squad in the Parquet layout (``runeco convert``), converted once."""
    from analysis.io.convert import convert

    csv = benchmark_squad(n_runners, weeks)
    folder = csv.with_name(csv.name + "_parquet")
    if not (folder / ".complete").exists():
        if folder.exists():
            shutil.rmtree(folder)
        convert(csv, folder, "parquet")
        (folder / ".complete").write_text("ok\n")
    return folder


def run_child(code: str, *args) -> dict:
    """Run ``python -c code args`` on this checkout's ``src``; return its last JSON line."""
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(f"benchmark child failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def oracle_pooled_mae(own_pct, low_pct, high_pct, truth_pct, squad) -> float:
    """The mean absolute error [pp] of the best pooling of the runners' own changes:
    what the strength runners' MAE could be if each squad's true between-runner
    spread were known.

    Each runner's own change ``d_i`` (log scale, its SE ``s_i`` from the 95 %
    interval) is shrunk toward its squad's precision-weighted mean with the
    squad's **true** spread of changes ``tau^2`` (the variance of the truths,
    ddof 0): ``theta_i = d_i - B_i (d_i - mu_hat)``, ``B_i = s_i^2 / (s_i^2 +
    tau^2)``, ``mu_hat = sum w_i d_i / sum w_i``, ``w_i = 1 / (s_i^2 + tau^2)``
    (the normal hierarchical model's posterior mean at a known tau, Gelman et
    al. 2013, BDA3 eq. 5.17-5.20). The SEs are first rescaled so that their
    mean is the actual SD of the errors (also an oracle). The group mean is
    still estimated from the squad's runners, as any method must. A model
    whose MAE is near this one is at the limit of what the runners' own
    estimates can give; only a less noisy own estimate brings it lower.
    """

    def log(p):
        return 100.0 * np.log1p(np.asarray(p, dtype=float) / 100.0)

    d, truth = log(own_pct), log(truth_pct)
    s = (log(high_pct) - log(low_pct)) / (2 * 1.959963984540054)
    squad = np.asarray(squad)
    s = s * np.std(d - truth, ddof=1) / np.mean(s)
    theta = np.empty_like(d)
    for label in np.unique(squad):
        k = squad == label
        tau2 = np.var(truth[k])
        w = 1.0 / (s[k] ** 2 + tau2)
        mu = np.sum(w * d[k]) / np.sum(w)
        shrink = s[k] ** 2 / (s[k] ** 2 + tau2)
        theta[k] = d[k] - shrink * (d[k] - mu)
    return float(np.mean(np.abs(100.0 * np.expm1(theta / 100.0) - np.asarray(truth_pct, float))))


def markdown_table(table) -> str:
    """A data frame as a GitHub Markdown table, every cell as it is (already formatted)."""
    head = "| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns) + "\n"
    return head + "".join(
        "| " + " | ".join(str(v) for v in row) + " |\n" for row in table.itertuples(index=False)
    )


def publish(text: str, *, footer: str, out: str, title: str, command: str, about: str) -> None:
    """Print a model check's Markdown table and its footer; with ``out``, also write
    it as a document: ``# title``, the command that made it with today's date,
    what the columns say (``about``), then the table."""
    print(text)
    print(footer)
    if out:
        Path(out).write_text(
            f"# {title}\n\n`{command}`, {time.strftime('%Y-%m-%d')}. {about}\n\n{text}"
        )
