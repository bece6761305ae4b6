"""The squad model: did the strength group improve more than the controls? (statsmodels MixedLM)"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.blocks import runner_blocks
from analysis.io.dataset import Dataset
from analysis.metrics import run_metrics
from analysis.models.columns import SQUAD, as_frame, first_blocks
from analysis.models.field import FIELD_METHOD, field_formula
from analysis.models.inference import CONFIDENCE, pct_change, t_pvalue, t_quantile
from analysis.models.prepare import MIN_STEADY_RUNS, design_from, prepare_runs
from analysis.models.training import _is_control
from analysis.schema import BASELINE_WEEKS

SQUAD_EFFECTS = ("strength minus control", "strength change", "control change")

FEW_RUNNERS = 20
"""Below this many runners a mixed model's large-sample (z) CI is too narrow
(SCIENCE.md section 9); :func:`squad_model` says so in ``note``."""

_SQUAD_CONFOUNDERS = ("heat_c_dev", "drift_min_dev", "post_strength_dev", "clock_dev")
"""Confounders of the squad model, shared by its runners, where they vary: the
residual-fatigue term only where ``analyze`` put it in the design (on two
simulated squads whose strength runners' runs cost 5 % more the day of a
session and the day after, the strength-minus-control estimate was -1.6 and
-0.9 % without it for true -3.8 and -3.3 %; -3.6 and -3.8 % with it), and
so is the time-of-day term (``clock_dev``)."""


def _squad_data(
    dataset: Dataset,
    per_runner: pd.DataFrame | None,
    baseline_weeks: int,
    metrics: pd.DataFrame | None,
    blocks: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs in the model (prepared) and the runner table used by the squad model."""
    if blocks is None:
        blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    if metrics is None:
        metrics = run_metrics(dataset)
    prep = prepare_runs(metrics, blocks, **design_from(per_runner))
    used = prep.loc[prep["used"]]
    counts = pd.crosstab(used["runner_id"], used["period"]).reindex(
        columns=["baseline", "block"], fill_value=0
    )
    enough = counts.index[
        (counts["baseline"] >= MIN_STEADY_RUNS) & (counts["block"] >= MIN_STEADY_RUNS)
    ]
    runners = blocks.loc[blocks["runner_id"].isin(enough) & blocks["block_source"].ne("none")]
    if per_runner is not None:
        # each runner once, with its first block (analysis.models.runner: the squad
        # steps use first blocks; a runner's blocks are not independent units)
        per_runner = first_blocks(per_runner)
        field_rows = per_runner.loc[per_runner["method"].eq(FIELD_METHOD)]
        modelled = field_rows.loc[~field_rows["verdict"].str.startswith("insufficient data")]
        runners = runners.loc[runners["runner_id"].isin(set(modelled["runner_id"].astype(str)))]
    data = used.loc[used["runner_id"].isin(set(runners["runner_id"]))].copy()
    strength = ~_is_control(runners.set_index("runner_id")["group"])
    data["strength"] = data["runner_id"].map(strength).astype(float)
    return data.reset_index(drop=True), runners


def _mixed_fit(data: pd.DataFrame, formula: str, slope: bool):
    """Fit the REML mixed model; None when it fails or does not converge.

    statsmodels warns "MLE may be on the boundary" whenever a variance
    parameter gets close to zero during the search; that is not a failure.
    A random-slope fit is rejected when it did not converge or its
    random-effects covariance is singular (a slope variance or correlation at
    the boundary), so that the caller falls back to a random intercept.
    """
    import statsmodels.formula.api as smf  # lazily (import cost)

    model = smf.mixedlm(
        formula, data, groups=data["runner_id"], re_formula="~ramp" if slope else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(reml=True, method=["lbfgs"])
        except (np.linalg.LinAlgError, ValueError):
            return None
        ramp_terms = [name for name in result.fe_params.index if "ramp" in name]
        if not result.converged or not np.all(np.isfinite(result.bse_fe[ramp_terms])):
            return None
    if slope:
        eig = np.linalg.eigvalsh(np.asarray(result.cov_re, dtype=float))
        if eig.min() <= 1e-3 * max(eig.max(), 1e-12):
            return None
    return result


def _contrasts(has_strength: bool, has_control: bool) -> dict[str, dict[str, float]]:
    """Linear combinations of fixed effects for each reported effect."""
    if has_strength and has_control:
        return {
            "strength minus control": {"ramp:strength": 1.0},
            "strength change": {"ramp": 1.0, "ramp:strength": 1.0},
            "control change": {"ramp": 1.0},
        }
    name = "strength change" if has_strength else "control change"
    return {name: {"ramp": 1.0}}


def _estimate(result, weights: Mapping[str, float]) -> tuple[float, float]:
    names = list(result.fe_params.index)
    c = np.zeros(len(names))
    for term, w in weights.items():
        c[names.index(term)] = w
    beta = float(c @ result.fe_params.to_numpy())
    cov = np.asarray(result.cov_params().loc[names, names], dtype=float)
    return beta, float(np.sqrt(c @ cov @ c))


def squad_model(
    dataset: Dataset,
    per_runner: pd.DataFrame | None = None,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    metrics: pd.DataFrame | None = None,
    blocks: pd.DataFrame | None = None,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Did the strength group improve more than the controls? A mixed model.

    Over the steady runs of every runner with enough of them (the runners
    :func:`analyze` can model), a linear mixed model (REML)::

        log(o2_cost) - speed_cost_dev ~ ramp * strength + heat_c_dev + drift_min_dev
                                        [+ post_strength_dev] [+ clock_dev]
                                        + (1 + ramp | runner)

    with the same ramp and centred confounders as the per-runner model.
    ``strength`` is 1 for every runner whose group is not ``control``. The
    random slope for ``ramp`` is kept when the fit converges with a
    non-singular random-effects covariance, else the model falls back to a
    random intercept (``random_effects`` says which). Each effect is reported
    as ``100 * (exp(beta) - 1)`` %: the strength-minus-control difference of
    the change over the block (``ramp:strength``) and each group's own change.

    Small squads: the group effects are contrasts between runners, so the
    Wald CI and p-value use Student t with ``n_runners - 2`` degrees of
    freedom (the "between-within" / containment df) instead of the normal
    distribution, whose intervals are too narrow with few runners (SCIENCE.md
    section 9 suggests Kenward-Roger/Satterthwaite or a cluster bootstrap).
    On simulated 12-runner squads the z interval covered the true group
    difference in 92 % of 60 squads, the t interval in 98 %. A cluster bootstrap
    over runners (runners resampled with replacement within each group, the
    model refitted, percentile interval; p-value twice the smaller tail
    fraction beyond 0) is available with ``n_bootstrap``, but costs a mixed
    model fit per draw (about 0.2 s for 12 runners) and percentile intervals
    over few clusters are themselves too narrow, so it is not the default.
    Without a control group the strength group's change cannot be separated
    from seasonal trends: the ``note`` column says so.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    per_runner : DataFrame, optional
        :func:`analyze` output; when given, only runners with a ``field_hr``
        estimate (not ``insufficient data``) of their first block enter the
        model. Later blocks (``block`` > 1) never do: each runner enters once,
        over its first block (:mod:`analysis.models.runner`).
    baseline_weeks : int, keyword-only
        Weeks of baseline (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics`.
    blocks : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.blocks.runner_blocks`.
    n_bootstrap : int, keyword-only
        Cluster-bootstrap refits for the CI (default 0: Wald CI with t).
    seed : int, keyword-only
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        ``SQUAD_COLUMNS``, one row per effect.

    References
    ----------
    .. [1] Laird NM, Ware JH (1982). Random-effects models for longitudinal
       data. Biometrics 38(4):963-974.
    .. [2] Field CA, Welsh AH (2007). Bootstrapping clustered data. J R Stat
       Soc B 69(3):369-390.
    """
    data, runners = _squad_data(dataset, per_runner, baseline_weeks, metrics, blocks)
    strength_ids = runners.loc[~_is_control(runners["group"]), "runner_id"]
    control_ids = runners.loc[_is_control(runners["group"]), "runner_id"]
    has_s, has_c = len(strength_ids) > 0, len(control_ids) > 0
    n_runners = len(runners)

    def empty(note: str) -> pd.DataFrame:
        return as_frame(
            [
                {
                    "effect": e,
                    "estimate_pct": np.nan,
                    "ci_low_pct": np.nan,
                    "ci_high_pct": np.nan,
                    "p_value": np.nan,
                    "n_runners": n_runners,
                    "n_runs": len(data),
                    "random_effects": "",
                    "ci_method": "",
                    "note": note,
                }
                for e in SQUAD_EFFECTS
            ],
            SQUAD,
        )

    if n_runners < 2:
        return empty(f"{n_runners} runner(s) with enough steady runs: no squad model")

    terms = ["ramp"]
    if has_s and has_c:
        terms += ["strength", "ramp:strength"]
    terms += [t for t in _SQUAD_CONFOUNDERS if np.ptp(data[t].to_numpy(dtype=float)) > 1e-9]
    formula = field_formula(terms, speed_offset=True)
    slope = True
    result = _mixed_fit(data, formula, slope=True)
    if result is None:
        slope = False
        result = _mixed_fit(data, formula, slope=False)
    if result is None:
        return empty("the mixed model did not converge")
    contrasts = _contrasts(has_s, has_c)

    notes = []
    if not has_c:
        notes.append(
            "no control group: the change cannot be separated from seasonal trends "
            "(warming, fitness)"
        )
    if not has_s:
        notes.append("no strength group")
    if n_runners < FEW_RUNNERS:
        notes.append(
            f"only {n_runners} runners: CI from t with {n_runners - 2} df; "
            "a small squad can only show large effects"
        )

    boot = None
    if n_bootstrap > 0:
        boot = _cluster_bootstrap(
            data, runners, formula, slope, contrasts, n_bootstrap, np.random.default_rng(seed)
        )
        n_ok = int(np.isfinite(boot[next(iter(contrasts))]).sum())
        if n_ok < 0.8 * n_bootstrap:
            notes.append(f"only {n_ok} of {n_bootstrap} bootstrap refits converged")

    df = max(n_runners - 2, 1)
    tcrit = t_quantile(df)
    rows = []
    for effect in SQUAD_EFFECTS:
        group_n = {
            "strength minus control": n_runners,
            "strength change": len(strength_ids),
            "control change": len(control_ids),
        }[effect]
        row = {
            "effect": effect,
            "n_runners": group_n,
            "n_runs": int(
                len(data)
                if effect == "strength minus control"
                else data["strength"].eq(1.0 if effect == "strength change" else 0.0).sum()
            ),
            "random_effects": "intercept + ramp slope" if slope else "intercept",
            "note": "; ".join(notes),
        }
        if effect not in contrasts:
            row.update(estimate_pct=np.nan, ci_low_pct=np.nan, ci_high_pct=np.nan, p_value=np.nan)
            row["ci_method"] = ""
            rows.append(row)
            continue
        beta, se = _estimate(result, contrasts[effect])
        row["estimate_pct"] = float(pct_change(beta))
        if boot is not None:
            draws = boot[effect][np.isfinite(boot[effect])]
            lo, hi = np.quantile(draws, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
            row["ci_low_pct"], row["ci_high_pct"] = float(pct_change(lo)), float(pct_change(hi))
            tail = min((draws <= 0).mean(), (draws >= 0).mean())
            row["p_value"] = float(min(1.0, 2.0 * max(tail, 1.0 / len(draws))))
            row["ci_method"] = f"cluster bootstrap over runners ({len(draws)} refits, percentile)"
        else:
            row["ci_low_pct"] = float(pct_change(beta - tcrit * se))
            row["ci_high_pct"] = float(pct_change(beta + tcrit * se))
            row["p_value"] = t_pvalue(beta / se, df)
            row["ci_method"] = f"Wald (REML mixed model), t with {df} df"
        rows.append(row)
    return as_frame(rows, SQUAD)


def _cluster_bootstrap(
    data: pd.DataFrame,
    runners: pd.DataFrame,
    formula: str,
    slope: bool,
    contrasts: Mapping[str, Mapping[str, float]],
    n_bootstrap: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Refit the mixed model on runners resampled within each group."""
    positions = data.groupby("runner_id", sort=False).indices
    groups = [
        runners.loc[mask, "runner_id"].to_numpy()
        for mask in (~_is_control(runners["group"]), _is_control(runners["group"]))
    ]
    groups = [g for g in groups if len(g)]
    out = {e: np.full(n_bootstrap, np.nan) for e in contrasts}
    for b in range(n_bootstrap):
        draw = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        idx = [positions[r] for r in draw]
        sample = data.iloc[np.concatenate(idx)].copy()
        sample["runner_id"] = np.repeat(np.arange(len(draw)), [len(i) for i in idx])
        result = _mixed_fit(sample, formula, slope)
        if result is None and slope:
            result = _mixed_fit(sample, formula, False)
        if result is None:
            continue
        for effect, weights in contrasts.items():
            out[effect][b] = _estimate(result, weights)[0]
    return out
