"""Other population models for the partial pooling, against the one we use (issue 11).

The headline pools each runner's own change within its group under a normal
population (``analysis.models.pooling``: BDA3 section 5.4, the uniform
shrinkage prior on tau). Its known cost: a runner the strength work did
nothing for, in a group where it worked for the others, is pulled toward the
group (the scenario suite's non-responders: 11 of 161 called improved, 6 from
their own runs). This script asks whether another population would do better,
on the scenario suite's squads (``benchmarks/validate_model.py``, the same
seeds), each model given the same per-runner inputs that ``analyze`` pools
(the runner's own within-runner change and SE, read back from
``raw_change_pct`` and its interval; the control reference and its variance
from ``reference_change_pct`` and ``own_*``):

- ``normal``: the normal population, recomputed here (a check on the
  reconstruction: it must match ``current``, analyze's own headline);
- ``t4``: a Student t population with 4 degrees of freedom (the robust
  hierarchical model of BDA3 section 17.4), as a scale mixture of normals
  (24 equal-probability quantiles of the Gamma(2, 2) scale);
- ``spike``: a responder / non-responder mixture: with probability ``1 - pi``
  the runner's referenced change is 0 (SD 0.3 %: the controls' change), else
  normal around the group's mean; ``pi`` uniform on a grid of 0.05-0.95;
- ``bma``: ``normal`` and ``spike`` averaged by how well each explains the
  group's changes (Bayesian model averaging, equal prior odds): the mixture
  where the group looks like responders and non-responders, the normal
  population where it does not.

Everything on a grid over ``(mu, tau[, pi])`` (``mu`` flat, ``tau`` under the
uniform shrinkage prior), each runner's posterior the mixture of normals over
it (exact for every model: no density is sampled on a grid of theta); the
referenced headline is the posterior minus the reference, its variance added.
Strength runners: bias, MAE, 95 % coverage and width, non-responders (truth
0) with an interval wholly below 0, and detection of a true change of -3 % or
more (interval wholly below 0); and the controls with an interval wholly below
0.

    python benchmarks/pooling_alternatives.py [--squads 40] [--scenarios a,b]
        [--out docs/POOLING_ALTERNATIVES.md]
    python benchmarks/pooling_alternatives.py --rows A.csv [B.csv ...] [--out F]

(``--rows``: the per-runner CSVs of independent generators' ``run``, e.g.
``benchmarks/tenth_scenarios.py`` or ``eleventh_scenarios.py``: analyze's columns
with the truth in ``true_change_pct``, the true group in ``group`` and analyze's
in ``group_out``; their answered rows pooled within their group against controls,
a table per file; docs/POOLING_ALTERNATIVES_BLIND.md.)

(``make pooling-alternatives``; 40 squads of the four default scenarios take
about 20 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import validate_model  # noqa: E402

from analysis.models.inference import VERDICTS  # noqa: E402

Z = float(special.ndtri(0.975))

SCENARIOS = (
    "default",
    "half the strength group non-responders",
    "8-week block",
    "heart-rate paced with 3 % day noise",
)

GRID = {"normal": (50, 50), "t4": (40, 40), "spike": (35, 35)}
"""Grid points over ``mu`` and ``tau`` per model."""

MODELS = ("current", "normal", "t4", "spike", "bma")

SPIKE_SD = 0.003
"""The non-responders' spread around the controls' change (log scale)."""


def runner_inputs(rows: pd.DataFrame) -> pd.DataFrame:
    """``d``, ``s``, ``ref``, ``vref`` (log scale) from analyze's columns."""

    def log(p):
        return np.log1p(p / 100.0)

    out = rows.copy()
    out["d"] = log(out["raw_change_pct"])
    out["s"] = (log(out["raw_ci_high_pct"]) - log(out["raw_ci_low_pct"])) / (2 * Z)
    out["ref"] = log(out["reference_change_pct"])
    own_sd = (log(out["own_ci_high_pct"]) - log(out["own_ci_low_pct"])) / (2 * Z)
    out["vref"] = np.maximum(own_sd**2 - out["s"] ** 2, 0.0)
    return out


def _log_tau_prior(tau, s):
    s0 = len(s) / (1.0 / s**2).sum()
    with np.errstate(divide="ignore"):
        return np.log(2.0 * tau * s0 / (s0 + tau**2) ** 2)


def posterior(d, s, ref, vref, means, variances, weights, log_prior):
    """Each runner's referenced headline (mean, 2.5 %, 97.5 %) when the population at
    grid point p is ``sum_c weights[p, c] N(means[p, c], variances[p, c])``."""
    return _headline(*components(d, s, ref, vref, means, variances, weights, log_prior)[1:])


def components(d, s, ref, vref, means, variances, weights, log_prior):
    """``(log evidence, weight, mean, variance)``: each runner's referenced posterior
    as a mixture of normals (rows: grid point x population component), and the log of
    the data's probability under the model (``log_prior`` a normalised prior over
    the grid points for that to compare models)."""
    s2 = s**2
    total = variances[..., None] + s2
    dens = weights[..., None] * np.exp(-0.5 * (d - means[..., None]) ** 2 / total)
    dens = dens / np.sqrt(2 * np.pi * total)
    marginal = dens.sum(axis=1)
    log_post = log_prior + np.log(np.maximum(marginal, 1e-300)).sum(axis=1)
    evidence = float(special.logsumexp(log_post))
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    comp = (w[:, None, None] * dens / marginal[:, None, :]).reshape(-1, len(d))
    shrink = s2 / total
    mean = (d - shrink * (d - means[..., None]) - ref).reshape(-1, len(d))
    var = (s2 * (1.0 - shrink) + vref).reshape(-1, len(d))
    return evidence, comp, mean, var


def _headline(comp, mean, var):
    """Mean, 2.5 % and 97.5 % points of each runner's mixture (columns)."""
    centre = (comp * mean).sum(axis=0)
    sd = np.sqrt((comp * (var + mean**2)).sum(axis=0) - centre**2)
    low, high = np.empty(mean.shape[1]), np.empty(mean.shape[1])
    for i in range(mean.shape[1]):
        keep = comp[:, i] > 1e-7 * comp[:, i].max()
        c, m, v = comp[keep, i], mean[keep, i], var[keep, i]
        x = np.linspace(centre[i] - 7 * sd[i], centre[i] + 7 * sd[i], 400)
        cdf = (c[:, None] * special.ndtr((x[None, :] - m[:, None]) / np.sqrt(v[:, None]))).sum(0)
        cdf /= c.sum()
        low[i], high[i] = np.interp(0.025, cdf, x), np.interp(0.975, cdf, x)
    return centre, low, high


def _grid(d, s, model):
    n_mu, n_tau = GRID[model]
    top = 6.0 * max(float(np.std(d)), float(s.max()))
    mus = np.linspace(d.min() - 3 * s.max(), d.max() + 3 * s.max(), n_mu)
    return mus, np.linspace(0.0, top, n_tau)


PIS = np.linspace(0.05, 0.95, 10)
"""The responder share ``pi`` of the ``spike`` population (uniform over these)."""


def _population(model: str, mus, taus, ref):
    """``(tau, means, variances, weights)`` of the ``normal``, ``t4`` or ``spike``
    population at every point of the grid over ``(mu, tau[, pi])``."""
    if model == "spike":
        mu, tau, pi = (a.ravel() for a in np.meshgrid(mus, taus, PIS, indexing="ij"))
        means = np.stack([np.full_like(mu, float(np.mean(ref))), mu], axis=1)
        variances = np.stack([np.full_like(tau, SPIKE_SD**2), tau**2], axis=1)
        return tau, means, variances, np.stack([1.0 - pi, pi], axis=1)
    mu, tau = (a.ravel() for a in np.meshgrid(mus, taus, indexing="ij"))
    if model == "t4":
        scale = stats.gamma.ppf((np.arange(24) + 0.5) / 24, 2.0, scale=0.5)
    else:
        scale = np.ones(1)
    means = np.repeat(mu[:, None], len(scale), axis=1)
    variances = (tau**2)[:, None] / scale[None, :]
    return tau, means, variances, np.full(means.shape, 1.0 / len(scale))


def pooled(model: str, d, s, ref, vref):
    if model == "bma":
        return _averaged(d, s, ref, vref)
    tau, means, variances, weights = _population(model, *_grid(d, s, model), ref)
    return posterior(d, s, ref, vref, means, variances, weights, _log_tau_prior(tau, s))


def _averaged(d, s, ref, vref):
    """``normal`` and ``spike`` averaged by their posterior probabilities (equal prior
    odds; Hoeting et al. 1999, Bayesian model averaging): both on one grid over
    ``(mu, tau)`` with one normalised prior (``mu`` uniform over the grid, tau's
    prior normalised over its points, ``pi`` uniform), so the evidences compare."""
    mus, taus = _grid(d, s, "spike")
    tau_norm = float(special.logsumexp(_log_tau_prior(taus[1:], s)))
    fits = []
    for model in ("normal", "spike"):
        tau, means, variances, weights = _population(model, mus, taus, ref)
        # mu uniform over its points, and pi over its own (len(tau) / len(taus) of them)
        log_prior = _log_tau_prior(tau, s) - tau_norm - np.log(len(tau) // len(taus))
        fits.append(components(d, s, ref, vref, means, variances, weights, log_prior))
    (e_normal, *normal), (e_spike, *spike) = fits
    p_spike = 1.0 / (1.0 + np.exp(e_normal - e_spike))
    return _headline(
        np.vstack([(1.0 - p_spike) * normal[0], p_spike * spike[0]]),
        np.vstack([normal[1], spike[1]]),
        np.vstack([normal[2], spike[2]]),
    )


def model_rows(rows: pd.DataFrame, model: str) -> pd.DataFrame:
    if model == "current":
        return rows.assign(
            est=rows["o2_cost_change_pct"], lo=rows["ci_low_pct"], hi=rows["ci_high_pct"]
        )
    parts = []
    for _, group in rows.groupby(["squad", "group"], sort=False):
        centre, low, high = pooled(model, *(group[c].to_numpy() for c in ("d", "s", "ref", "vref")))
        parts.append(
            group.assign(
                est=100 * np.expm1(centre), lo=100 * np.expm1(low), hi=100 * np.expm1(high)
            )
        )
    return pd.concat(parts)


def generator_rows(path: Path) -> pd.DataFrame:
    """An independent generator's per-runner CSV as :func:`runner_inputs`' rows: the
    answered rows pooled within their group against the controls, one squad per
    (scenario, seed, block), ``truth`` the true change, ``group`` analyze's."""
    rows = pd.read_csv(path)
    rows = rows.loc[
        rows["verdict"].isin(VERDICTS)
        & (rows["pooling"] == "group")
        & (rows["reference"] == "controls")
    ]
    squad = rows["scenario"] + "/" + rows["seed"].astype(str) + "/" + rows["block"].astype(str)
    rows = rows.assign(squad=squad, truth=rows["true_change_pct"], group=rows["group_out"])
    return runner_inputs(rows).dropna(subset=["d", "s", "ref", "vref"])


def summarise(rows: pd.DataFrame) -> dict:
    strength = rows.loc[rows["group"] == "strength"]
    controls = rows.loc[rows["group"] == "control"]
    err = strength["est"] - strength["truth"]
    null = strength.loc[strength["truth"] == 0]
    large = strength.loc[strength["truth"] <= -3]

    def below(frame):
        return int((frame["hi"] < 0).sum())

    covered = (strength["lo"] <= strength["truth"]) & (strength["truth"] <= strength["hi"])
    return {
        "bias_strength_pp": f"{err.mean():+.2f}",
        "mae_strength_pp": f"{err.abs().mean():.2f}",
        "coverage_strength": f"{covered.mean():.2f}",
        "ci_width_pp": f"{(strength['hi'] - strength['lo']).mean():.2f}",
        "non_responders_improved": f"{below(null)}/{len(null)}" if len(null) else "-",
        "controls_improved": f"{below(controls)}/{len(controls)}",
        "detected_at_3pct": f"{(large['hi'] < 0).mean():.2f}",
    }


def _markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join(
        "| " + " | ".join(map(str, row)) + " |\n" for row in frame.itertuples(index=False)
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squads", type=int, default=40)
    parser.add_argument("--runners", type=int, default=16)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rows", type=Path, nargs="+", help="generators' per-runner CSVs instead")
    args = parser.parse_args(argv)
    if args.rows:
        return _from_rows(args.rows, args.out)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in validate_model.SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}")
    table = []
    start = time.time()
    for name in names:
        with tempfile.TemporaryDirectory() as root:
            rows = validate_model.scenario_rows(name, args.squads, args.runners, root)
        rows = runner_inputs(rows)
        for model in MODELS:
            table.append({"scenario": name, "model": model, **summarise(model_rows(rows, model))})
            print(f"{name} / {model}: {table[-1]}", flush=True)
    frame = pd.DataFrame(table)
    text = (
        "# Other population models for the partial pooling\n\n"
        f"`python benchmarks/pooling_alternatives.py --squads {args.squads}`, "
        f"{time.strftime('%Y-%m-%d')}, {time.time() - start:.0f} s; squads of "
        f"{args.runners} (half strength, half control) from the scenario suite "
        "(`benchmarks/validate_model.py`, same seeds). Strength runners; "
        "`current` is analyze's headline, `normal` its model recomputed from the "
        "runners' own changes (the check on the reconstruction), `t4` a Student t "
        "population (BDA3 17.4), `spike` a responder / non-responder mixture, "
        "`bma` the normal and the mixture averaged by their posterior probabilities "
        "(module docstring). Improved / detected: interval wholly below 0.\n\n"
        + _markdown(frame)
        + "\n"
    )
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


def _origin(path: Path) -> str:
    """Which squads a generator's per-runner CSV holds, in words."""
    rows = pd.read_csv(path, usecols=["scenario", "seed"])
    seeds = rows["seed"].unique()
    return (
        f"{rows['scenario'].nunique()} scenarios x {len(seeds)} squads "
        f"(seeds {seeds.min()}-{seeds.max()})"
    )


def _from_rows(paths: list[Path], out: Path | None) -> int:
    text = (
        "# Other population models on independent generators' squads\n\n"
        f"`python benchmarks/pooling_alternatives.py --rows "
        f"{' '.join(p.name for p in paths)}`, {time.strftime('%Y-%m-%d')}: the answered "
        "rows of squads from generators written blind to the estimator, pooled within "
        "their group against the controls; `current` is analyze's headline, the other "
        "models as in docs/POOLING_ALTERNATIVES.md (`t4` left out: it changed nothing "
        "there). Improved / detected: interval wholly below 0.\n"
    )
    for path in paths:
        table = []
        for name, frame in generator_rows(path).groupby("scenario", sort=False):
            for model in MODELS:
                if model != "t4":
                    row = summarise(model_rows(frame, model))
                    table.append({"scenario": name, "model": model, **row})
                    print(f"{path.name} {name} / {model}: {row}", flush=True)
        text += f"\n## {path.name}: {_origin(path)}\n\n" + _markdown(pd.DataFrame(table))
    if out:
        out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
