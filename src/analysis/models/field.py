"""Did running economy change during the strength block? Per runner and per squad.

Three levels, each returning a tidy frame (``STYLE.md``, "Results"):

- :func:`analyze`: one row per runner and method (``field_hr`` from the
  steady runs, ``lab`` from treadmill tests), with exactly the
  ``DATA_FORMAT.md`` ``analyze`` columns first (``ANALYZE_COLUMNS``), then the
  extras in ``EXTRA_COLUMNS``. :func:`fit_runner` is the same field model for
  one runner, with the statsmodels results and a frame for plotting.
- :func:`squad_model`: a linear mixed model over all runners, the
  strength-minus-control difference of the change with its CI.
- :func:`dose_response`: the change versus how much strength work was done
  (:func:`runner_doses`), across the strength group.

The field model (per runner)
----------------------------
On the runner's steady runs between ``baseline_start`` and ``block_end``
(intervals, races, runs without heart rate and the other reasons of
:func:`analysis.metrics.run_metrics` left out and counted)::

    log(o2_cost) - speed_cost_dev = b0 + b_ramp * ramp
                   + b_heat * (max(temp_c - 15, 0) - H_ref)
                   + b_drift * (max(minutes - 60, 0) - D_ref) + e

    speed_cost_dev = k * (log(c(gas_m_min)) - log(c(v_ref))),  c(v) = daniels_vo2(v) / v

- ``ramp`` is 0 through the baseline and rises linearly from 0 on
  ``block_start`` to 1 on ``block_end``: adaptation accrues over weeks, and a
  before/after comparison of means averages the ramp over the block and
  reports about half of a gradual change (``tests/test_models.py``).
- Heat: heart rate rises with air temperature without any change in economy.
  Where the rise starts is learned from the squad's steady runs by profile
  likelihood among onsets from "linear across every temperature" to 20 degC
  (:func:`analysis.models.prepare.choose_heat_onset`), keeping the documented
  ``HEAT_ONSET_C`` (15 degC; coaching figures put it at ~1 bpm per degC above
  ~15-20 degC, SCIENCE.md section 6) unless another onset fits better by a
  likelihood-ratio test at 1 %; its slope is estimated per runner and
  pooled with the squad's (:func:`heat_prior`, :func:`pool_heat`: a random
  slope; in a warming season an unpooled slope is nearly collinear with the
  ramp) (``temp_coef_pct_per_c``, % of cost per degC above the onset, with
  its CI).
  A fixed onset was a liability: where heart rate rises with temperature
  across the whole range, a 15 degC onset biased the change by +6.7 pp on a
  simulated warming season, the learned onset by +0.02 pp
  (``tests/models/test_prepare.py``). Leaving heat out biased a March-May
  block by +4.5 pp.
- Cardiac drift: heart rate drifts up on long runs (Coyle & Gonzalez-Alonso
  2001); the term is the run time beyond ``DRIFT_ONSET_MIN`` (60 min), since
  drift accrues with time (60 min is about 12 km at easy pace).
- Speed: oxygen cost per km rises with speed (about 13 % from 9 to 15
  km/h on Daniels & Gilbert's curve, Oxygen Power 1979, SCIENCE.md section
  1; :func:`analysis.physiology.daniels_vo2`),
  so a run's cost is moved to the reference speed along that published curve
  (:func:`daniels_cost_log_ratio`, at the grade-adjusted speed, so grade is
  already in it): a fixed offset, not a fitted coefficient. On the simulated
  squads it lowers the typical error from 3.3 to 2.8 % like a free
  coefficient of log speed did, but a free coefficient can absorb part of
  the ramp: a runner who paces easy runs by heart rate or feel shows better
  economy as faster running at the same heart rate, so speed rises with the
  ramp, and good days (better economy) are faster days. On HR-paced squads
  (``simulate_squad(pacing="hr", econ_day_sd=0.03)``, true change -5 %) the
  free coefficient biased the change by +0.6 pp, the offset by +0.05 pp
  (300 strength runners; ``tests/test_models.py``); on plan-paced squads both
  are unbiased (+0.02 pp, mean absolute error 1.16 pp, coverage 97 %).
  Dropping speed altogether biased HR-paced runners by +0.9 pp. The offset
  is a multiple ``speed_scale`` of Daniels' log cost-per-km curve, shared by
  the squad: 1 (Daniels) unless the differences between the runners' run
  types say otherwise (or, without run types, another multiple fits the
  squad's runs better by a likelihood-ratio test at 1 %;
  :func:`analysis.models.prepare.choose_speed_scale`; 0: the same cost per km
  at every speed; reported in ``speed_cost_scale``).
  Fixed at Daniels' curve, HR-paced squads whose cost per km falls with speed
  as ACSM's running equation has it were biased by -1.07 pp for the strength
  runners, learned by -0.10 pp (40 squads of 16, 2026-12-05; that scenario of
  ``docs/VALIDATION.md`` now shows the learned curve). ``confounders`` without
  ``speed_cost_dev`` turns the offset off.
- ``H_ref``, ``D_ref`` and ``v_ref`` are the runner's reference conditions:
  the baseline median temperature, run time and speed. So ``exp(b0)`` is the
  baseline oxygen cost in the runner's typical baseline conditions,
  ``exp(b0 + b_ramp)`` the cost at the end of the block in the same
  conditions, and the change is ``100 * (exp(b_ramp) - 1)`` %.
- Device: where runs.csv names a device other than the runner's baseline
  one, ``b_device * device_dev`` (:func:`analysis.models.prepare.device_indicator`),
  that device's heart-rate offset, the runner's own. Pooled with the squad's
  like the heat slope (a normal random effect), it narrowed the switched
  runners' own change where every new watch read the same (SD 2.6 -> 1.7 pp,
  20 squads of 16 with 8 switching), but where one of six new watches read
  4 bpm high and the others the same, the normal prior shrank that one's
  offset toward the others': its change came out 1.9 pp too high (SE 0.14)
  and the other five's 0.5 pp too low (2026-12-06, 20 squads). Devices are
  same-or-different, not a normal spread, so each offset stays its own.
- Shoes: where runs.csv names shoes other than the runner's baseline ones,
  ``b_shoes * shoes_dev`` (:func:`analysis.models.prepare.shoes_indicator`),
  what those shoes change in the cost of running, the runner's own (as the
  device's).
- Residual fatigue after strength work: where the squad's runs show it
  (:func:`analysis.models.prepare.choose_post_strength`, a likelihood-ratio
  test with one degree of freedom per runner who has the term), runs on the
  day of a strength session and up to ``post_strength_days`` (1-3) days after
  it get the runner's own offset ``b_fatigue * post_strength_dev``: a heavy
  session raises the oxygen cost of running for a day or two (Doma, Deakin &
  Bentley 2017), and a strength runner has such days through the block but
  not in the baseline. On simulated squads (12 of 16) whose strength runners'
  economy was 3 % worse on the day of a session and the day after, the
  strength runners' change was biased by +1.15 pp without the term, -0.20 pp
  with it; where there was no such fatigue it entered in none of 12 squads.
  Where no runner's own term is kept, one offset for the whole squad is
  learned instead (:func:`analysis.models.prepare.choose_shared_fatigue`) and
  taken out of the runs in the window with the speed offset: smaller
  fatigue, +1.5 % the day after a session, read 0.60 pp of worse economy on a
  blind generator's squads, 0.08 with it.
- Time of day: where the squad's runs show heart rate's daily rhythm
  (:func:`analysis.models.prepare.choose_clock`, the same test), each
  runner's runs get ``b_clock * clock_dev``, the cosine of the run's middle
  hour against a peak at 17:00 centred at the runner's baseline: runs moving
  to the morning in the block (lower heart rate there) biased a held-out
  generator's strength runners by -0.67 pp without it, +0.08 with it.
- ``e`` is white noise plus a continuous-time AR(1) process in days (a
  day-level state of sleep, fatigue and hydration), with both variance
  parameters estimated by REML; see :func:`fit_runner` for why this and not
  Newey-West.

No pre-block trend is fitted: six weeks of baseline cannot separate one from
noise, and seasonal trends are what the control group is for (SCIENCE.md
section 9). Heart-rate based economy cannot separate economy from aerobic
fitness (SCIENCE.md section 6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.models.fitness import add_fitness_signals, fitness_signals, signal_lookup
from analysis.models.inference import (
    SMALLEST_WORTHWHILE_CHANGE_PCT,
    cell_number,
    finish_row,
    pct_change,
    t_quantile,
)
from analysis.models.prepare import (
    _EPOCH,
    CONFOUNDERS,
    FIELD_TERMS,
    FULL_BLOCK,
    HEAT_ONSET_C,
    MIN_STEADY_RUNS,
    NO_CLOCK,
    NO_LOAD,
    NO_SHARED_FATIGUE,
    POST_STRENGTH_DAYS,
    SPEED_OFFSET,
    SPEED_SCALE,
    Z_COLUMNS,
    design_columns,
    prepare_runs,
)
from analysis.models.serial import (
    _hac_fit_kwargs,
    _pad,
    _reml_batch,
    _reml_grid,
    _serial_grid,
    mixture_moments,
    newey_west_maxlags,
    posterior_weights,
    serial_covariance,
    serial_prior,
)
from analysis.models.training import add_training_load
from analysis.schema import BASELINE_WEEKS

FIELD_METHOD = "field_hr"

ERRORS = ("ar1", "hac")
"""Error models of the field fit: ``"ar1"`` (default, GLS with REML serial
correlation) and ``"hac"`` (OLS with Newey-West SEs, kept for comparison)."""

_DAY = pd.Timedelta(days=1)


def _select_terms(
    columns: Mapping[str, np.ndarray], use_temp: bool, confounders: Iterable[str] = CONFOUNDERS
) -> list[str]:
    """Regressors with variation that keep the design of full rank.

    ``ramp`` always; the ``confounders`` in ``FIELD_TERMS`` order when they
    vary (``heat_c_dev`` only with ``use_temp``) and, if the design is then
    rank deficient, only those that add to its rank.
    """
    n = len(columns["ramp"])
    candidates = [
        t
        for t in FIELD_TERMS[1:]
        if t in confounders
        and t in columns
        and (t != "heat_c_dev" or use_temp)
        and np.all(np.isfinite(columns[t]))
        and np.ptp(columns[t]) > 1e-9
    ]
    full = np.column_stack([np.ones(n), columns["ramp"]] + [columns[t] for t in candidates])
    if np.linalg.matrix_rank(full) == full.shape[1]:
        return ["ramp", *candidates]
    chosen = ["ramp"]
    design = full[:, :2]
    for j, term in enumerate(candidates, start=2):
        trial = np.column_stack([design, full[:, j]])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            design = trial
            chosen.append(term)
    return chosen


@dataclass
class _Fit:
    """A fitted field model: coefficients, SEs and what describes them."""

    params: np.ndarray
    bse: np.ndarray
    df: int
    terms: list[str]
    y: np.ndarray
    X: np.ndarray
    se_method: str
    result: object = None
    ar_phi_per_day: float = np.nan
    ar_variance_share: float = np.nan
    speed_offset: bool = False


HEAT_COLUMN = 1 + FIELD_TERMS.index("heat_c_dev")
"""Position of the heat slope among the fitted coefficients (intercept first)."""

MIN_RUNNERS_FOR_HEAT_PRIOR = 5
"""Runners with a heat slope needed to pool it across the squad; with fewer,
each runner's heat slope is its own (unpooled)."""


@dataclass(frozen=True)
class SquadPrior:
    """What a squad's field fits share, learned from all its runners.

    ``serial``: the prior over the serial-correlation grid
    (:func:`analysis.models.serial.serial_prior`). ``heat``: ``(mean,
    variance)`` of the runners' heat slopes (log oxygen cost per degC) that
    each runner's own slope is pooled with (:func:`heat_prior`), or None for
    no pooling. Passed to a fit of part of the squad (a chunk, the controls of
    one window, one runner's :func:`fit_runner`) so it is fitted as in the
    squad's own fit.
    """

    serial: np.ndarray | None
    heat: tuple[float, float] | None


def heat_prior(slopes: np.ndarray, variances: np.ndarray) -> tuple[float, float] | None:
    """The squad's distribution of heat slopes, for pooling each runner's.

    In a warming season each runner's own heat slope is nearly collinear with
    the ramp through the block, so an unpooled slope widens the CI of the
    change (to about 15 pp on squads from an independent generator with heat
    rising at every temperature). Runners of a squad share how heat raises
    their heart rate, up to a runner-level deviation, so the slopes are
    treated as draws from ``N(mu, tau^2)``: the random-effects mean and
    between-runner variance of the runners' slopes (Paule-Mandel,
    statsmodels ``combine_effects``), the variance of the estimated mean added
    (the predictive distribution of a runner's slope). Returns ``(mu,
    tau^2 + SE(mu)^2)``, or None with fewer than
    ``MIN_RUNNERS_FOR_HEAT_PRIOR`` slopes.

    References
    ----------
    .. [1] Paule RC, Mandel J (1982). Consensus values and weighting factors.
       J Res Natl Bur Stand 87(5):377-385.
    .. [2] Laird NM, Ware JH (1982). Random-effects models for longitudinal
       data. Biometrics 38(4):963-974 (random slopes, shrinkage).
    """
    from statsmodels.stats.meta_analysis import combine_effects  # lazily (import cost)

    slopes, variances = np.asarray(slopes, dtype=float), np.asarray(variances, dtype=float)
    keep = np.isfinite(slopes) & np.isfinite(variances) & (variances > 0)
    if keep.sum() < MIN_RUNNERS_FOR_HEAT_PRIOR:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):  # I^2 of identical slopes
        res = combine_effects(slopes[keep], variances[keep], method_re="pm")
    return float(res.mean_effect_re), float(res.tau2 + res.sd_eff_w_re**2)


def _heat_moments(grid, weight: np.ndarray, active: np.ndarray):
    """Each runner's heat slope and its variance under its posterior over the
    serial grid, and whether its model has the heat term."""
    within = (
        np.where(np.isfinite(grid.s2), grid.s2, 0.0) * grid.xtx_inv[..., HEAT_COLUMN, HEAT_COLUMN]
    )
    mean, var = mixture_moments(weight, grid.beta[..., HEAT_COLUMN], within)
    return mean, var, active[:, HEAT_COLUMN]


def pool_heat(params: np.ndarray, cov: np.ndarray, active: np.ndarray, prior) -> np.ndarray:
    """Pool each runner's heat slope with the squad's, in place; which runners.

    The prior ``N(mu, v)`` on a runner's heat slope is one more observation of
    it, so the coefficients and their covariance given the runner's data and
    the prior are the Gaussian update (a random slope's BLUP, Laird & Ware
    1982): with ``c`` the covariance column of the heat slope ``h``,
    ``beta <- beta - c (h - mu) / (c_h + v)`` and
    ``cov <- cov - c c' / (c_h + v)``. The ramp moves by its covariance with
    the heat slope, and its variance shrinks by as much as the prior breaks
    their collinearity.
    """
    mu, v = prior
    pooled = active[:, HEAT_COLUMN].copy()
    for k in np.flatnonzero(pooled):
        c = cov[k][:, HEAT_COLUMN].copy()
        s = cov[k][HEAT_COLUMN, HEAT_COLUMN] + v
        params[k] = params[k] - c * (params[k][HEAT_COLUMN] - mu) / s
        cov[k] = cov[k] - np.outer(c, c) / s
    return pooled


_LEARN = object()  # a prior to learn from the runners being fitted


def _prior_parts(prior) -> tuple[np.ndarray | None, object]:
    """``(grid prior, heat prior or _LEARN)`` of a ``serial_prior`` argument:
    a :class:`SquadPrior`, a grid prior alone (heat learned here) or None."""
    if isinstance(prior, SquadPrior):
        return prior.serial, prior.heat
    return prior, _LEARN


def field_formula(terms: Iterable[str], speed_offset: bool = False) -> str:
    """The statsmodels formula of the field model with the given regressors.

    With ``speed_offset`` the response is log oxygen cost less the Daniels
    speed offset ``speed_cost_dev`` (its coefficient fixed at 1).
    """
    response = f"I(log_o2_cost - {SPEED_OFFSET})" if speed_offset else "log_o2_cost"
    return response + " ~ " + " + ".join(terms)


def _summarise(fit: _Fit) -> dict:
    """Numbers of the field model from a fitted model (the headline is judged later).

    The change over the block is kept on the log scale with its SE and
    degrees of freedom (``_b``, ``_se``, ``_df``) for the control reference
    (:mod:`analysis.models.reference`) and the verdict (:func:`analysis.models.inference.judge`).
    """
    terms, params, bse, df = fit.terms, fit.params, fit.bse, float(fit.df)
    tcrit = t_quantile(df)
    i = 1 + terms.index("ramp")
    b, se = params[i], bse[i]
    baseline = float(np.exp(params[0]))
    resid = fit.y - fit.X @ params
    out = {
        "baseline_o2_cost_ml_kg_km": baseline,
        "end_o2_cost_ml_kg_km": baseline * float(np.exp(b)),
        "_b": float(b),
        "_se": float(se),
        "_df": df,
        "typical_error_pct": float(100.0 * np.sqrt(resid @ resid / df)),
        "temp_coef_pct_per_c": np.nan,
        "temp_coef_ci_low_pct_per_c": np.nan,
        "temp_coef_ci_high_pct_per_c": np.nan,
        "post_strength_pct": np.nan,
        "post_strength_ci_low_pct": np.nan,
        "post_strength_ci_high_pct": np.nan,
        "time_of_day_pct": np.nan,
        "time_of_day_ci_low_pct": np.nan,
        "time_of_day_ci_high_pct": np.nan,
        "ar_phi_per_day": fit.ar_phi_per_day,
        "ar_variance_share": fit.ar_variance_share,
        "model_terms": " + ".join(
            ["1", *terms, *([f"offset({SPEED_OFFSET})"] if fit.speed_offset else [])]
        ),
        "se_method": fit.se_method,
    }
    if "heat_c_dev" in terms:
        j = 1 + terms.index("heat_c_dev")
        out["temp_coef_pct_per_c"] = float(pct_change(params[j]))
        out["temp_coef_ci_low_pct_per_c"] = float(pct_change(params[j] - tcrit * bse[j]))
        out["temp_coef_ci_high_pct_per_c"] = float(pct_change(params[j] + tcrit * bse[j]))
    if "post_strength_dev" in terms:  # how much more a run costs after a strength session
        j = 1 + terms.index("post_strength_dev")
        out["post_strength_pct"] = float(pct_change(params[j]))
        out["post_strength_ci_low_pct"] = float(pct_change(params[j] - tcrit * bse[j]))
        out["post_strength_ci_high_pct"] = float(pct_change(params[j] + tcrit * bse[j]))
    if "clock_dev" in terms:  # a run at the rhythm's peak against one 12 hours from it
        j = 1 + terms.index("clock_dev")
        out["time_of_day_pct"] = float(pct_change(2.0 * params[j]))
        out["time_of_day_ci_low_pct"] = float(pct_change(2.0 * (params[j] - tcrit * bse[j])))
        out["time_of_day_ci_high_pct"] = float(pct_change(2.0 * (params[j] + tcrit * bse[j])))
    return out


def _empty_numbers() -> dict:
    return {
        "baseline_o2_cost_ml_kg_km": np.nan,
        "end_o2_cost_ml_kg_km": np.nan,
        "o2_cost_change_pct": np.nan,
        "ci_low_pct": np.nan,
        "ci_high_pct": np.nan,
        "p_value": np.nan,
        "typical_error_pct": np.nan,
        "temp_coef_pct_per_c": np.nan,
        "temp_coef_ci_low_pct_per_c": np.nan,
        "temp_coef_ci_high_pct_per_c": np.nan,
        "post_strength_pct": np.nan,
        "post_strength_ci_low_pct": np.nan,
        "post_strength_ci_high_pct": np.nan,
        "time_of_day_pct": np.nan,
        "time_of_day_ci_low_pct": np.nan,
        "time_of_day_ci_high_pct": np.nan,
        "ar_phi_per_day": np.nan,
        "ar_variance_share": np.nan,
        "model_terms": "",
        "se_method": "",
    }


def _text_or_empty(value) -> str:
    """A text cell of a row: the text, or "" where there is none (so that every
    chunk's frame has the column as text, not as missing numbers)."""
    return value if isinstance(value, str) else ""


DEVICE_WITH_BLOCK_DAYS = 14
"""A device first used this many days or fewer into the block, and not in the
baseline, came with the block (:func:`_device_with_block`)."""


def _device_with_block(summary, what: str = "device") -> bool:
    """Whether the runner's other device (``device_dev``; ``what="shoes"``: other
    shoes, ``shoes_dev``) started with the block: no baseline run on it and its
    first run at most ``DEVICE_WITH_BLOCK_DAYS`` in. Its offset is then nearly a
    step at the block's start, which a change that came at once would also be;
    on a squad whose controls changed by -4 % at the block's start on a new
    watch that read the same, the named device took about 3 pp of it (the
    ramp's shape is all that separates them)."""
    return summary[f"n_{what}_base"] == 0 and summary[f"first_{what}_day"] <= DEVICE_WITH_BLOCK_DAYS


MASS_NOTE_PCT = 2.0
"""A runner's body mass (``wellness.csv``) that moved at least this much from the
baseline to the block's last quarter gets a ``warning`` (:func:`mass_note`): a
morning weight varies about 1 % from day to day."""


BREAK_NOTE_DAYS = 10
"""A gap of at least this many days without a run inside the block, ending within
``BREAK_LATE_DAYS`` of its end, gets a ``warning`` (:func:`break_note`)."""

BREAK_LATE_DAYS = 28
"""How long after a break heart rate at a given pace stays raised: plasma volume
and stroke volume fall within 2-4 weeks without training and come back over a
few weeks of it (Mujika & Padilla 2000; Coyle et al. 1984)."""


def break_note(days: float, start, end) -> str:
    """The ``warning`` for the longest gap without runs inside the block (``days``
    long, from the run on ``start`` to the next on ``end``) when it is at least
    ``BREAK_NOTE_DAYS`` and ends within ``BREAK_LATE_DAYS`` of the block's end,
    or ``""``.

    After an illness, an injury or a holiday heart rate at a given pace is a few
    beats higher for weeks (submaximal heart rate rose within 2-4 weeks of
    stopping, Mujika & Padilla 2000), which the model reads as worse economy at
    the block's end; the data cannot tell the two apart. On a blind generator's
    squads with 10-20 days ill in mid-block and heart rate 3-7 bpm higher on
    return, fading over 2-4 weeks, the ill strength runners' change read 0.91
    pp too little improvement (SE 0.29), the others' -0.19
    (``docs/COACHING_CHECK.md``).

    References
    ----------
    .. [1] Mujika I, Padilla S (2000). Detraining: loss of training-induced
       physiological and performance adaptations. Part I. Sports Med
       30(2):79-87.
    """
    if not (np.isfinite(days) and days >= BREAK_NOTE_DAYS):
        return ""
    return (
        f"{days:.0f} days from one run to the next ({pd.Timestamp(start):%Y-%m-%d} to "
        f"{pd.Timestamp(end):%Y-%m-%d}), late in the block: heart rate at a given pace "
        "stays a few beats higher for weeks after a break (an illness, an injury; "
        "Mujika & Padilla 2000), which reads as worse economy at the block's end"
    )


def mass_note(base_kg: float, end_kg: float) -> str:
    """The ``warning`` for a body mass that moved ``MASS_NOTE_PCT`` or more from the
    baseline (``base_kg``, the median of the days' masses of its runs in the
    model) to the block's last quarter (``end_kg``), or ``""``.

    Each run's cost is per kg of its day's mass (:func:`analysis.metrics.body_mass_on_day`),
    so the change is that of economy per kg; per kg of the baseline mass (the
    oxygen the runner's whole body uses, per kg it had then) it is higher by
    about the mass change (cost per kg of mass m0 = cost per kg of m x m / m0).
    """
    if not (np.isfinite(base_kg) and np.isfinite(end_kg) and base_kg > 0):
        return ""
    pct = 100.0 * (end_kg / base_kg - 1.0)
    if abs(pct) < MASS_NOTE_PCT:
        return ""
    word, way = ("rose", "higher") if pct > 0 else ("fell", "lower")
    return (
        f"body mass {word} from {base_kg:.1f} kg in the baseline to {end_kg:.1f} kg "
        f"({pct:+.1f} %) at the block's end (wellness.csv): the change is in cost per kg "
        f"of each day's mass; per kg of the baseline mass it would be about "
        f"{abs(pct):.1f} pp {way}"
    )


def _runner_summary(prep: pd.DataFrame) -> pd.DataFrame:
    """Per-runner counts, reasons and reference values of prepared runs (vectorised)."""
    rid = prep["runner_id"]
    used, window = prep["used"], prep["in_window"]
    other_device = used & prep["device_dev"].eq(1.0)  # (prepare.device_indicator)
    other_shoes = used & prep["shoes_dev"].eq(1.0)  # (prepare.shoes_indicator)
    flags = pd.DataFrame(
        {
            "n_runs": np.ones(len(prep), dtype=int),
            "n_window": window,
            "n_used": used,
            "n_base": used & prep["period"].eq("baseline"),
            "n_block": used & prep["period"].eq("block"),
            "n_hr": window & prep["avg_hr_bpm"].notna(),
            "defaulted": used & prep["defaulted"].fillna(False).astype(bool),
            "n_device_base": other_device & prep["period"].eq("baseline"),
            "n_shoes_base": other_shoes & prep["period"].eq("baseline"),
        }
    )
    out = flags.groupby(rid).sum()
    out["defaulted"] = out["defaulted"] > 0
    out["reach"] = prep["ramp"].where(used).groupby(rid).max()
    since = pd.to_datetime(prep["date"]).dt.normalize() - pd.to_datetime(prep["block_start"])
    out["first_device_day"] = (since / pd.Timedelta(days=1)).where(other_device).groupby(rid).min()
    out["first_shoes_day"] = (since / pd.Timedelta(days=1)).where(other_shoes).groupby(rid).min()
    out = out.join(
        prep.groupby(rid)[["use_temp", "reference_temp_c", "reference_gas_m_min"]].first()
    )
    if "hr_vo2_line" in prep:
        out["hr_vo2_line"] = prep["hr_vo2_line"].astype(object).groupby(rid).first()
    if "body_mass_kg" in prep:  # the days' masses (wellness.csv), NaN without weigh-ins
        mass = pd.to_numeric(prep["body_mass_kg"], errors="coerce")
        length = pd.to_datetime(prep["block_end"]) - pd.to_datetime(prep["block_start"])
        late = used & (since >= 0.75 * length)
        out["mass_base_kg"] = mass.where(used & prep["period"].eq("baseline")).groupby(rid).median()
        out["mass_end_kg"] = mass.where(late).groupby(rid).median()
    if "hrmax_line_scale" in prep:  # at the baseline's heart rates, where the change is read
        base = used & prep["period"].eq("baseline")
        scale = pd.to_numeric(prep["hrmax_line_scale"], errors="coerce").where(base)
        out["hrmax_line_scale"] = scale.groupby(rid).median()
    gaps = _block_gaps(prep)
    out = out.join(gaps) if len(gaps) else out.assign(gap_days=np.nan)
    left_out = prep.loc[window & prep["reason"].ne(""), ["runner_id", "reason"]]
    counts = left_out.groupby(["runner_id", "reason"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["runner_id", "n", "reason"], ascending=[True, False, True], kind="stable"
    )
    counts["text"] = counts["reason"].astype(str) + ": " + counts["n"].astype(str)
    out["reasons"] = counts.groupby("runner_id")["text"].agg("; ".join)
    out["reasons"] = out["reasons"].fillna("")
    return out


def _block_gaps(prep: pd.DataFrame) -> pd.DataFrame:
    """Per runner the longest gap between consecutive runs (any run in the
    analysis window: a run that did not enter the model still shows the runner
    running) that ends inside the block and within ``BREAK_LATE_DAYS`` of its
    end: ``gap_days``, ``gap_start``, ``gap_end`` (no row: none)."""
    runs = prep.loc[prep["in_window"], ["runner_id", "date", "block_start", "block_end"]].copy()
    runs["day"] = pd.to_datetime(runs["date"]).dt.normalize()
    runs = runs.sort_values(["runner_id", "day"], kind="stable")
    runs["before"] = runs.groupby("runner_id")["day"].shift()
    runs["gap_days"] = (runs["day"] - runs["before"]) / pd.Timedelta(days=1)
    end = pd.to_datetime(runs["block_end"]).dt.normalize()
    late = (
        (runs["day"] > pd.to_datetime(runs["block_start"]).dt.normalize())
        & (runs["day"] <= end)
        & ((end - runs["day"]) / pd.Timedelta(days=1) <= BREAK_LATE_DAYS)
    )
    runs = runs.loc[late & runs["gap_days"].notna()]
    if runs.empty:
        return pd.DataFrame(columns=["gap_days", "gap_start", "gap_end"])
    top = runs.loc[runs.groupby("runner_id")["gap_days"].idxmax()]
    return top.set_index("runner_id").rename(columns={"before": "gap_start", "day": "gap_end"})[
        ["gap_days", "gap_start", "gap_end"]
    ]


def _insufficiency(block: Mapping, summary: Mapping | None) -> str:
    """The reason a runner cannot be modelled, or ``""``."""
    if block.get("problem"):  # a later block that overlaps another or has no room for a baseline
        return str(block["problem"])
    if block["block_source"] == "none" or pd.isna(block["block_start"]):
        return "no block dates (no runner in the squad has a strength block)"
    if summary is None or summary["n_runs"] == 0:
        return "no runs"
    if summary["n_window"] == 0:
        return "no runs between baseline start and block end"
    if summary["n_hr"] == 0:
        return "no heart rate"
    n_base, n_block = int(summary["n_base"]), int(summary["n_block"])
    if n_base < MIN_STEADY_RUNS or n_block < MIN_STEADY_RUNS:
        return (
            f"{n_base} steady runs in the baseline and {n_block} in the block "
            f"(need {MIN_STEADY_RUNS} in each)"
        )
    return ""


def _designs(
    used: pd.DataFrame,
    positions: Mapping[str, np.ndarray],
    runners: list[tuple[str, bool]],
    confounders: tuple[str, ...],
) -> list[tuple]:
    """Per runner that has enough runs: ``(id, row positions, terms, active
    columns, [y, 1, regressors...], days since its first run)``."""
    y_all = used["log_o2_cost"].to_numpy(dtype=float)
    if SPEED_OFFSET in confounders:
        y_all = y_all - used[SPEED_OFFSET].to_numpy(dtype=float)
    cols_all = {t: used[t].to_numpy(dtype=float) for t in FIELD_TERMS}
    days_all = ((used["date"] - _EPOCH) / _DAY).to_numpy(dtype=float)
    designs = []
    for rid, use_temp in runners:
        idx = positions[rid]
        cols = {t: c[idx] for t, c in cols_all.items()}
        terms = _select_terms(cols, use_temp, confounders)
        if len(idx) - (1 + len(terms)) < 3:
            continue
        active = np.array([True] + [t in terms for t in FIELD_TERMS])
        z = np.column_stack([y_all[idx], np.ones(len(idx))] + [cols[t] for t in FIELD_TERMS])
        z[:, 1:][:, ~active] = 0.0
        designs.append((rid, idx, terms, active, z, days_all[idx] - days_all[idx[0]]))
    return designs


def _stacked(designs: list[tuple]) -> tuple[np.ndarray, ...]:
    """The padded ``Z, dt, live`` and ``active`` arrays of :func:`_reml_batch`."""
    Z, dt, live = _pad([d[4] for d in designs], [d[5] for d in designs], Z_COLUMNS)
    return Z, dt, live, np.stack([d[3] for d in designs])


def _fit_runners(
    used: pd.DataFrame,
    positions: Mapping[str, np.ndarray],
    runners: list[tuple[str, bool]],
    errors: str,
    confounders: Iterable[str],
    *,
    formula: bool = False,
    progress=None,
    serial_prior: SquadPrior | np.ndarray | None = None,
) -> tuple[dict[str, _Fit | None], SquadPrior | np.ndarray | None]:
    """Fit the field model of several runners (the hot path of analyze).

    ``used`` holds the runs in the model (sorted by runner and date),
    ``positions`` their row positions per runner and ``runners`` the
    ``(runner_id, use_temp)`` pairs to fit. The regressors are chosen per
    runner. For ``errors="ar1"`` all runners go through one vectorised REML
    pass (:func:`_reml_batch`: Kalman-whitened cross-products for every grid
    point, GLS coefficients and covariance in closed form, averaged over the
    grid); building numpy designs once and solving them in batch is what
    keeps 1,000 runners at about a second, where the formula API costs ~9 ms
    per fit in formula parsing alone. ``formula=True`` (:func:`fit_runner`)
    also fits ``smf.gls`` at the REML-best covariance for a statsmodels result
    with named coefficients; the reported numbers are the same either way.
    ``errors="hac"`` is one ``sm.OLS`` per runner. A runner with fewer than 3
    residual degrees of freedom gets None. Returns the fits and the
    :class:`SquadPrior` used (serial grid and heat slopes): the parts given in
    ``serial_prior``, the others learned from these runners (``serial_prior``
    unchanged without AR(1) fits).
    """
    if errors == "hac" or formula:  # lazily: AR(1) fits without the formula API need neither
        import statsmodels.api as sm
        import statsmodels.formula.api as smf

    confounders = tuple(confounders)
    offset = SPEED_OFFSET in confounders
    designs = _designs(used, positions, runners, confounders)
    fits: dict[str, _Fit | None] = {rid: None for rid, _ in runners}
    reml = None
    pooled = np.zeros(len(designs), dtype=bool)
    if errors == "ar1" and designs:
        grid_prior, heat = _prior_parts(serial_prior)
        reml = _reml_batch(*_stacked(designs), grid_prior)
        active_all = np.stack([d[3] for d in designs])
        if heat is _LEARN:  # the squad's, from these runners
            mean, var, has = _heat_moments(reml.grid, reml.weight, active_all)
            heat = heat_prior(mean[has], var[has])
        if heat is not None:
            pooled = pool_heat(reml.params, reml.cov, active_all, heat)
        serial_prior = SquadPrior(reml.prior, heat)
    for k, (rid, idx, terms, active, z, days) in enumerate(designs):
        y, X = z[:, 0], z[:, 1:][:, active]
        n, p = X.shape
        data = (
            used.iloc[idx][["log_o2_cost", SPEED_OFFSET, *terms]].reset_index(drop=True)
            if formula
            else None
        )
        formula_text = field_formula(terms, offset)
        if errors == "hac":
            if formula:
                result = smf.ols(formula_text, data=data).fit(**_hac_fit_kwargs(n))
            else:
                result = sm.OLS(y, X).fit(**_hac_fit_kwargs(n))
            method = (
                f"OLS, HAC Newey-West (Bartlett, maxlags={newey_west_maxlags(n)}); t, {n - p} df"
            )
            fits[rid] = _Fit(
                np.asarray(result.params, dtype=float),
                np.asarray(result.bse, dtype=float),
                n - p,
                terms,
                y,
                X,
                method,
                result,
                speed_offset=offset,
            )
        else:
            r, phi = float(reml.r[k]), float(reml.phi[k])
            result = None
            if formula:
                sigma = serial_covariance(days, r, phi)
                result = smf.gls(formula_text, data=data, sigma=sigma).fit(use_t=True)
            share = r / (1.0 + r)
            method = (
                f"GLS, AR(1) in days + white noise (REML: phi {phi:.2f}/day, "
                f"{100 * share:.0f} % of error variance), averaged over the REML grid "
                "with a prior learned from the squad; "
                + ("heat slope pooled with the squad's; " if pooled[k] else "")
                + f"t, {n - p} df"
            )
            fits[rid] = _Fit(
                reml.params[k][active],
                np.sqrt(np.diag(reml.cov[k][np.ix_(active, active)])),
                n - p,
                terms,
                y,
                X,
                method,
                result,
                phi if r > 0 else np.nan,
                share,
                offset,
            )
        if progress is not None:
            progress.update(1)
    return fits, serial_prior


def _selection(blocks: pd.DataFrame, prep: pd.DataFrame) -> tuple:
    """Summaries, runs in the model and their positions, block records, each
    runner's insufficiency (empty: can be modelled) and the ``(id, use_temp)``
    pairs to fit."""
    summaries = _runner_summary(prep).to_dict("index")
    used = prep.loc[prep["used"]]
    positions = used.groupby("runner_id", sort=False).indices
    records = blocks.to_dict("records")
    problems = {b["runner_id"]: _insufficiency(b, summaries.get(b["runner_id"])) for b in records}
    to_fit = [(rid, bool(summaries[rid]["use_temp"])) for rid, pr in problems.items() if not pr]
    return summaries, used, positions, records, problems, to_fit


def serial_grid_stats(
    blocks: pd.DataFrame, prep: pd.DataFrame, confounders: Iterable[str] = CONFOUNDERS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid pass of every runner of ``blocks`` that the AR(1) field model
    fits, in ``blocks`` order, without the fits: its restricted likelihood over
    the serial grid (R, G), its heat slope and that slope's variance at each
    grid point (R, G), and whether its model has the heat term (R,).

    Stacked over a squad (in any chunks), they are what :func:`squad_prior`
    learns the squad's :class:`SquadPrior` from.
    """
    _, used, positions, _, _, to_fit = _selection(blocks, prep)
    designs = _designs(used, positions, to_fit, tuple(confounders))
    if not designs:
        g = len(_serial_grid()[0])
        return np.zeros((0, g)), np.zeros((0, g)), np.zeros((0, g)), np.zeros(0, dtype=bool)
    grid = _reml_grid(*_stacked(designs))
    within = (
        np.where(np.isfinite(grid.s2), grid.s2, 0.0) * grid.xtx_inv[..., HEAT_COLUMN, HEAT_COLUMN]
    )
    active = np.stack([d[3] for d in designs])
    # the heat column copied out: a view would keep every coefficient of the grid
    # (R, G, P) alive while the squad's statistics are gathered
    heat = np.ascontiguousarray(grid.beta[..., HEAT_COLUMN])
    return grid.likelihood, heat, within, active[:, HEAT_COLUMN]


def squad_prior(stats: Iterable[tuple]) -> SquadPrior | None:
    """The squad's :class:`SquadPrior` from :func:`serial_grid_stats` of its
    runners (one tuple per chunk, in squad order); None without a runner to
    model. The same numbers as a fit of the whole squad at once learns."""
    stats = list(stats)
    likelihood = np.vstack([s[0] for s in stats])
    if not len(likelihood):
        return None
    grid_prior = serial_prior(likelihood)
    del likelihood
    # the heat slopes' moments chunk by chunk (row by row, so the same numbers as
    # of the stacked squad): one chunk's (R, G) arrays at a time, not three squads'
    slopes, variances = [], []
    for lik, value, within, has in stats:
        mean, var = mixture_moments(posterior_weights(lik, grid_prior), value, within)
        slopes.append(mean[has])
        variances.append(var[has])
    return SquadPrior(grid_prior, heat_prior(np.concatenate(slopes), np.concatenate(variances)))


def _field_rows(
    blocks: pd.DataFrame,
    prep: pd.DataFrame,
    quarantined: Mapping[str, int],
    errors: str,
    confounders: Iterable[str],
    *,
    formula: bool = False,
    progress=None,
    serial_prior: SquadPrior | np.ndarray | None = None,
) -> tuple[list[tuple[dict, _Fit | None]], SquadPrior | np.ndarray | None]:
    """The ``field_hr`` row (and fit) of every runner in ``blocks``, and the
    squad prior used (:func:`_fit_runners`).

    Counts, reasons and references are computed for all runners at once
    (:func:`_runner_summary`); the fits in :func:`_fit_runners`.
    """
    summaries, used, positions, records, problems, to_fit = _selection(blocks, prep)
    if progress is not None:
        progress.update(len(records) - len(to_fit))
    fits, serial_prior = _fit_runners(
        used,
        positions,
        to_fit,
        errors,
        confounders,
        formula=formula,
        progress=progress,
        serial_prior=serial_prior,
    )

    out = []
    for block in records:
        rid = block["runner_id"]
        summary = summaries.get(rid)
        n_quarantined = int(quarantined.get(rid, 0))
        counts = summary or {"n_base": 0, "n_block": 0, "n_window": 0, "n_used": 0}
        reasons = summary["reasons"] if summary else ""
        if n_quarantined:
            reasons = "; ".join(x for x in (reasons, f"quarantined: {n_quarantined}") if x)
        row = {
            "runner_id": rid,
            "group": block["group"],
            "method": FIELD_METHOD,
            "block": int(block.get("block", 1)),
            "block_start": block["block_start"],
            "block_end": block["block_end"],
            "n_baseline_runs": int(counts["n_base"]),
            "n_block_runs": int(counts["n_block"]),
            "n_excluded_runs": int(counts["n_window"] - counts["n_used"]) + n_quarantined,
            "block_source": block["block_source"],
            "baseline_start": block["baseline_start"],
            "block_weeks": block["block_weeks"],
            "reference_temp_c": np.nan,
            "reference_gas_m_min": np.nan,
            "reference_speed_kmh": np.nan,
            "lab_pre_date": pd.NaT,
            "lab_post_date": pd.NaT,
            "params_defaulted": bool(summary["defaulted"]) if summary else False,
            # the heart rate - VO2 line the runs' costs came from (run_metrics)
            "hr_vo2_line": _text_or_empty(summary.get("hr_vo2_line") if summary else None),
            "hrmax_line_scale": cell_number(summary.get("hrmax_line_scale") if summary else None),
            "excluded_reasons": reasons,
        }
        notes = [block["warning"]] if block.get("warning") else []
        problem = problems[rid]
        fit = fits.get(rid)
        if not problem and fit is None:
            problem = f"{int(counts['n_used'])} steady runs are too few for the model"
        if problem:
            row.update(_empty_numbers())
            row["hrmax_line_scale"] = np.nan  # no change to scale
            row["verdict"] = f"insufficient data: {problem}"
        else:
            row.update(_summarise(fit))
            row["reference_temp_c"] = float(summary["reference_temp_c"])
            row["reference_gas_m_min"] = float(summary["reference_gas_m_min"])
            if not summary["use_temp"]:
                notes.append("temperature missing on most runs: not adjusted for temperature")
            if summary["reach"] < 0.75:
                notes.append(
                    f"last steady run at {100 * summary['reach']:.0f} % of the block: "
                    "the end value is extrapolated"
                )
            if "device_dev" in fit.terms and _device_with_block(summary):
                notes.append(
                    "a new device (runs.csv's device) from the block's first two weeks: "
                    "its heart-rate offset and a change at the block's start cannot be "
                    "told apart, so the change rests on how it builds through the block"
                )
            if "shoes_dev" in fit.terms and _device_with_block(summary, "shoes"):
                notes.append(
                    "new shoes (runs.csv's shoes) from the block's first two weeks: what "
                    "the shoes changed and a change at the block's start cannot be told "
                    "apart, so the change rests on how it builds through the block"
                )
            if "mass_base_kg" in summary:
                notes.append(mass_note(summary["mass_base_kg"], summary["mass_end_kg"]))
            if np.isfinite(summary.get("gap_days", np.nan)):
                notes.append(
                    break_note(summary["gap_days"], summary["gap_start"], summary["gap_end"])
                )
        row["warning"] = "; ".join(n for n in notes if n)
        out.append((row, fit))
    return out, serial_prior


@dataclass
class RunnerFit:
    """The field model of one runner (:func:`fit_runner`).

    Attributes
    ----------
    row : dict
        The summary row, with the keys of ``ANALYZE_COLUMNS`` and
        ``EXTRA_COLUMNS`` (the runner's :func:`analyze` ``field_hr`` row).
    result : statsmodels RegressionResultsWrapper or None
        The fit through the formula API (``smf.gls`` with the REML-best serial
        covariance; ``smf.ols`` with HAC SEs for ``errors="hac"``); None when
        the runner has insufficient data, and from ``analyze(...,
        return_fits=True)``, which skips this refit. ``row`` averages over the REML grid,
        so its numbers can differ slightly from this single fit.
    formula : str
        The model formula that was fitted (``""`` when not fitted).
    frame : DataFrame
        One row per run of the runner, for plotting: ``date``, ``run_id``,
        ``period`` (``baseline``/``block``/``outside``), ``steady`` (the
        run_metrics flag), ``used`` (entered the model), ``exclude_reason``,
        ``temp_c`` (the model's: where none was logged, that of the runs around
        it), ``temp_filled`` (True there), ``ramp``, ``o2_cost_ml_kg_km`` (observed),
        ``o2_cost_adjusted_ml_kg_km`` (observed cost moved to the reference
        temperature, run time and speed with the fitted coefficients; only
        for runs in the model) and ``o2_cost_trend_ml_kg_km`` (the fitted
        baseline-then-ramp trend at reference conditions, for runs in the
        analysis window).
    later : tuple of RunnerFit
        The fits of the runner's later blocks (block 2, 3, ... of blocks.csv,
        in order) from ``analyze(..., return_fits=True)``; empty for a runner
        with one block.
    """

    row: dict
    result: object | None
    formula: str
    frame: pd.DataFrame = field(repr=False)
    later: tuple = ()

    @property
    def insufficient(self) -> bool:
        """True when the runner could not be modelled."""
        return str(self.row.get("verdict", "")).startswith("insufficient data")


def plot_frame(prep: pd.DataFrame, fit: _Fit | None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "date": prep["date"].to_numpy(),
            "run_id": prep["run_id"].to_numpy(),
            "period": prep["period"].to_numpy(),
            "steady": prep["steady"].fillna(False).astype(bool).to_numpy(),
            "used": prep["used"].to_numpy(),
            "exclude_reason": prep["reason"].to_numpy(),
            "temp_c": pd.to_numeric(prep["temp_c"], errors="coerce").to_numpy(dtype=float),
            # no temperature logged: temp_c is that of the runs around it (prepare_runs)
            "temp_filled": (
                prep["temp_filled"].fillna(False).astype(bool).to_numpy()
                if "temp_filled" in prep
                else np.zeros(len(prep), dtype=bool)
            ),
            "ramp": prep["ramp"].to_numpy(),
            "o2_cost_ml_kg_km": pd.to_numeric(prep["o2_cost_ml_kg_km"], errors="coerce").to_numpy(
                dtype=float
            ),
        }
    )
    out["o2_cost_adjusted_ml_kg_km"] = np.nan
    out["o2_cost_trend_ml_kg_km"] = np.nan
    if fit is not None:
        terms = fit.terms
        params = fit.params
        adjust = np.zeros(len(prep))
        for j, term in enumerate(terms, start=1):
            if term != "ramp":
                adjust = adjust + params[j] * prep[term].to_numpy(dtype=float)
        if fit.speed_offset:
            adjust = adjust + prep[SPEED_OFFSET].to_numpy(dtype=float)
        used = prep["used"].to_numpy()
        adjusted = np.exp(prep["log_o2_cost"].to_numpy(dtype=float) - adjust)
        out.loc[used, "o2_cost_adjusted_ml_kg_km"] = adjusted[used]
        trend = np.exp(params[0] + params[1 + terms.index("ramp")] * prep["ramp"].to_numpy())
        window = prep["in_window"].to_numpy()
        out.loc[window, "o2_cost_trend_ml_kg_km"] = trend[window]
    return out


def fit_runner(
    runs: pd.DataFrame,
    block: Mapping | pd.Series,
    *,
    n_quarantined: int = 0,
    baseline_weeks: int = BASELINE_WEEKS,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
    swc_pct: float = SMALLEST_WORTHWHILE_CHANGE_PCT,
    heat_onset_c: float = HEAT_ONSET_C,
    ramp_weeks: float = FULL_BLOCK,
    speed_scale: float = SPEED_SCALE,
    post_strength_days: float = POST_STRENGTH_DAYS,
    clock_peak_h: float = NO_CLOCK,
    post_strength_shared: float = NO_SHARED_FATIGUE,
    load_scale: float = NO_LOAD,
    serial_prior: SquadPrior | np.ndarray | None = None,
    lab_tests: pd.DataFrame | None = None,
) -> RunnerFit:
    """Fit the field model of one runner.

    Generalised least squares of log field oxygen cost on a baseline level, a
    ramp through the block and the confounders (module docstring), with
    serially correlated errors: white noise plus a continuous-time AR(1)
    process in days, ``cov = s2 * (I + r * phi ** |t_i - t_j|)``. The two
    parameters are estimated by REML over a grid
    (:func:`serial_correlation_reml`), and the reported estimate and CI
    average the grid points weighted by their restricted likelihood times a
    prior learned from the squad (``serial_prior``; flat here by default), so
    the uncertainty of the serial correlation widens the CI instead of being
    ignored. The CI uses Student t with the residual degrees of freedom.

    Why not HAC (Newey-West): the residuals of daily runs carry a day-level
    state (sleep, fatigue, hydration) that persists for days, and the ramp is
    a smooth function of time, so what matters is the low-frequency part of
    the noise. With ~70 irregularly spaced runs, HAC on the run index sees a
    lag-1 residual autocorrelation of only ~0.15 (residual autocorrelations
    are biased low in short series and the Bartlett kernel down-weights
    them): on the simulated squads its 95 % intervals covered the true change
    in only 86 % of runners and called 6 % of controls "improved"; longer
    lags did worse, and a moving-block bootstrap shares the small-sample
    bias. GLS with the REML plug-in covariance covered 93 %; averaging over
    the REML grid, 97 %, with 1 of 300 controls called "improved"
    (``tests/test_models.py`` checks 90-98 % on 600 simulated runners).
    Modelling the correlation in calendar time, as for longitudinal data
    (Diggle 1988), also handles the irregular spacing of runs.
    ``errors="hac"`` keeps the Newey-West fit (lag ``floor(4 (n/100)^(2/9))``,
    small-sample correction, t critical values) for comparison.

    Parameters
    ----------
    runs : DataFrame
        :func:`analysis.metrics.run_metrics` rows of one runner.
    block : Mapping or Series
        That runner's :func:`analysis.blocks.runner_blocks` row.
    n_quarantined : int, keyword-only
        The runner's quarantined runs.csv rows, added to ``n_excluded_runs``.
    baseline_weeks : int, keyword-only
        Weeks of baseline before ``block_start`` when ``block`` has no
        ``baseline_start`` (default 6, as :func:`analysis.blocks.runner_blocks`).
    errors : {"ar1", "hac"}, keyword-only
        Error model (see ``ERRORS``).
    confounders : collection of str, keyword-only
        Confounders to adjust for, a subset of ``CONFOUNDERS`` (default all;
        fewer only for sensitivity analyses).
    swc_pct : float, keyword-only
        Smallest worthwhile change [%] for the verdict.
    heat_onset_c : float, keyword-only
        Heat onset [degC] (``analyze`` learns one per squad and reports it in
        ``heat_onset_c``; pass that value to reproduce its row).
    ramp_weeks : float, keyword-only
        Weeks before the change plateaus (default: a ramp over the whole
        block; negative: weeks before it starts; ``analyze`` reports its
        choice in ``plateau_weeks`` and ``delay_weeks``).
    speed_scale : float, keyword-only
        Multiple of Daniels' log cost-per-km curve in the speed offset
        (default 1; ``analyze`` reports its choice in ``speed_cost_scale``).
    post_strength_days : float, keyword-only
        Days after a strength session that its residual fatigue lasts
        (default 2; ``analyze`` reports its choice in ``post_strength_days``).
    clock_peak_h : float, keyword-only
        Peak hour of the time-of-day term (default none; ``analyze`` reports its
        choice in ``time_of_day_peak_h``).
    post_strength_shared : float, keyword-only
        The squad's shared residual fatigue, a log offset of the runs in the
        ``post_strength_days`` window (default none; ``analyze`` reports its
        choice in ``post_strength_shared_pct``).
    load_scale : float, keyword-only
        How much the runner's recent running moves its cost read from heart
        rate (default none; ``analyze`` reports its choice in
        ``training_load_scale``).
    serial_prior : ndarray, optional, keyword-only
        Prior over the serial-correlation grid learned from a squad
        (:func:`squad_serial_prior`; ``analyze`` uses the squad's). Default:
        flat, the runner's own restricted likelihood alone.
    lab_tests : DataFrame, optional, keyword-only
        The dataset's lab tests, for the lab VO2max before and after the block
        beside the answer (:func:`analysis.models.fitness.fitness_signals`).

    Returns
    -------
    RunnerFit
        ``row`` (the summary, identical to the runner's :func:`analyze`
        ``field_hr`` row), ``result`` (statsmodels, formula API: ``smf.gls``
        at the REML-best covariance, so its ramp coefficient can differ
        slightly from the grid-averaged row), ``formula`` and ``frame`` (for
        plots).

    References
    ----------
    .. [1] Diggle PJ (1988). An approach to the analysis of repeated
       measurements. Biometrics 44(4):959-971.
    .. [2] Newey WK, West KD (1987). A simple, positive semi-definite,
       heteroskedasticity and autocorrelation consistent covariance matrix.
       Econometrica 55(3):703-708.
    .. [3] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15 (typical error as the residual CV).
    .. [4] Coyle EF, Gonzalez-Alonso J (2001). Cardiovascular drift during
       prolonged exercise: new perspectives. Exerc Sport Sci Rev 29(2):88-92.
    """
    _check_options(errors, confounders, "fit_runner")
    block = dict(block.items()) if hasattr(block, "items") else dict(block)
    if "runner_id" not in block:
        raise ValueError(
            "The 'block' parameter of fit_runner must be a runner_blocks row with "
            "runner_id, block_start and block_end."
        )
    start = pd.Timestamp(block["block_start"]) if pd.notna(block.get("block_start")) else pd.NaT
    end = pd.Timestamp(block["block_end"]) if pd.notna(block.get("block_end")) else pd.NaT
    block.setdefault("group", "")
    block.setdefault("block_source", "none" if pd.isna(start) else "blocks.csv")
    block.setdefault("baseline_start", start - pd.Timedelta(weeks=baseline_weeks))
    block.setdefault("block_weeks", (end - start + _DAY) / pd.Timedelta(weeks=1))
    block.setdefault("warning", "")
    block_frame = pd.DataFrame([block])
    runner_id = str(block_frame["runner_id"].iloc[0])
    runs = runs.loc[runs["runner_id"].astype(str) == runner_id]
    design = {
        "heat_onset_c": heat_onset_c,
        "ramp_weeks": ramp_weeks,
        "speed_scale": speed_scale,
        "post_strength_days": post_strength_days,
        "clock_peak_h": clock_peak_h,
        "post_strength_shared": post_strength_shared,
        "load_scale": load_scale,
    }
    prep = prepare_runs(runs, block_frame, **design)
    [(row, fit)], _ = _field_rows(
        block_frame,
        prep,
        {runner_id: n_quarantined},
        errors,
        confounders,
        formula=True,
        serial_prior=serial_prior,
    )
    row = {**row, **design_columns(design)}
    add_fitness_signals(row, signal_lookup(fitness_signals(runs, lab_tests, block_frame)))
    row = finish_row(row, swc_pct)
    add_training_load([row], runs, block_frame)
    return RunnerFit(
        row=row,
        result=fit.result if fit is not None else None,
        formula=field_formula(fit.terms, fit.speed_offset) if fit is not None else "",
        frame=plot_frame(prep, fit),
    )


def squad_serial_prior(
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    heat_onset_c: float = HEAT_ONSET_C,
    ramp_weeks: float = FULL_BLOCK,
    speed_scale: float = SPEED_SCALE,
    post_strength_days: float = POST_STRENGTH_DAYS,
    clock_peak_h: float = NO_CLOCK,
    post_strength_shared: float = NO_SHARED_FATIGUE,
    load_scale: float = NO_LOAD,
    confounders: Iterable[str] = CONFOUNDERS,
) -> SquadPrior | None:
    """What a squad's field fits share (:class:`SquadPrior`): the
    serial-correlation prior and the heat-slope prior learned from every
    runner of ``blocks`` that can be modelled; what :func:`analyze` uses, so
    that :func:`fit_runner` given it reproduces the runner's ``analyze`` row.
    None when no runner can be modelled.
    """
    prep = prepare_runs(
        metrics,
        blocks,
        heat_onset_c=heat_onset_c,
        ramp_weeks=ramp_weeks,
        speed_scale=speed_scale,
        post_strength_days=post_strength_days,
        clock_peak_h=clock_peak_h,
        post_strength_shared=post_strength_shared,
        load_scale=load_scale,
    )
    return squad_prior([serial_grid_stats(blocks, prep, confounders)])  # the grid pass, no fits


def _check_options(errors: str, confounders, function: str) -> None:
    if errors not in ERRORS:
        raise ValueError(
            f"The 'errors' parameter of {function} must be one of "
            f"{', '.join(repr(e) for e in ERRORS)}. Got {errors!r} instead."
        )
    if isinstance(confounders, str) or not all(c in CONFOUNDERS for c in confounders):
        raise ValueError(
            f"The 'confounders' parameter of {function} must be a collection of "
            f"{', '.join(repr(c) for c in CONFOUNDERS)}. Got {confounders!r} instead."
        )
