"""Partial pooling: each runner's change, informed by the squad (hierarchical model).

One runner's change is measured with an SE of about 1.5-2.5 pp, as large as
the differences between runners. When a group of runners did the same kind
of training, their true changes scatter around a group mean, and each
runner's estimate moves toward that mean in proportion to how noisy it is:

    theta_i ~ N(mu, tau^2),   d_i | theta_i ~ N(theta_i, s_i^2)
    B_i = s_i^2 / (s_i^2 + tau^2)
    theta_i | tau, d ~ N(d_i - B_i (d_i - mu_hat), s_i^2 (1 - B_i) + B_i^2 V_mu)
    p(tau | d) ~ p(tau) V_mu^(1/2) prod (s_i^2 + tau^2)^(-1/2) exp(-(d_i - mu_hat)^2 / 2 (s_i^2 + tau^2))

with ``d_i`` the runner's own within-runner log change and ``s_i`` its SE,
``mu_hat`` and ``V_mu`` the precision-weighted mean of the group at that
``tau`` and its variance (``mu`` integrated out under a flat prior): the
normal hierarchical model of Gelman et al. (2013, BDA3 section 5.4,
equations 5.17-5.21), computed as the book does, on a grid of ``tau``. The
prior on ``tau`` is the uniform shrinkage prior (Christiansen & Morris 1997;
Daniels 1999): uniform on the shrinkage ``B_0 = s_0^2 / (s_0^2 + tau^2)`` of a
runner with the group's typical SE (``s_0^2`` the harmonic mean of the
``s_i^2``), i.e. ``p(tau) = 2 tau s_0^2 / (s_0^2 + tau^2)^2``. A uniform prior
on ``tau`` (BDA3's choice, used here before) keeps more posterior mass at a
spread several times the SEs, which 8 runners cannot rule out; on the scenario
suite (40 squads of 16 per scenario) it made the strength runners' posterior SD
0.96-1.19 x the spread of their errors, this prior 0.91-1.14, with their
coverage 0.92-0.97 and the mean absolute error equal or lower in 14 of 15
scenarios (``docs/VALIDATION.md``). Each runner's posterior is the mixture over
the grid of those normals; the headline is its mean and its 95 % interval the mixture's
2.5 and 97.5 % points. So the uncertainty of ``mu`` and of ``tau`` is in the
interval as it is, not by an approximation: an estimate of ``tau^2`` at zero
(complete pooling), which a moment estimator such as Paule-Mandel gives
whenever the runners' changes differ less than their SEs say, is one point of
the grid, not the answer. (That estimator with Kass & Steffey's correction,
used before on the control-referenced changes, covered 0.85 of the 60 first
blocks of 3 squads of 20 strength runners, 0.95 with this.)

A squad with controls: the control reference (the controls' change over the
runner's dates, :mod:`analysis.models.reference`) is subtracted from the
pooled within-runner change afterwards and its variance added (as normal, its
variance scaled by ``(t_df / z)^2`` so its share of the interval is as wide as
its Student t). Pooling the referenced changes instead would treat the
reference's error, which every runner of the squad shares, as noise that
averages out over the group.

Controls referenced to the controls, all over the same dates (the usual
squad): a control's headline is its deviation from the controls' group mean,
``theta_i - mu`` under the same model (:meth:`TauGrid.deviation`), not its
pooled change minus the other controls' mean, which would count the
uncertainty of that mean twice (it is in both). On 40 simulated squads of 16
the controls' intervals were 3.9 pp wide on average against 5.6, and 178
against 59 of 320 controls were "no meaningful change". Controls over
different dates keep the reference over their own dates subtracted.

This is the headline: ``o2_cost_change_pct``, its interval, ``p_value`` (twice
the posterior probability beyond zero on the smaller side), ``mdc_pct``
(from the posterior SD), ``verdict`` and ``verdict_text`` of a pooled row are
the pooled ones (``pooling`` = ``group``, ``n_pooled_runners`` = k), and the
runner's own (control-referenced) change and verdict are kept in
``own_change_pct``, ``own_ci_low_pct``, ``own_ci_high_pct`` and
``own_verdict``. What it costs: a runner the strength work did nothing for,
in a group where it worked for the others, is pulled toward the group, and
the responders of such a group toward zero. The report shows the runner's own
value beside the pooled one, and says when the verdicts differ.

References
----------
.. [1] Gelman A, Carlin JB, Stern HS, Dunson DB, Vehtari A, Rubin DB (2013).
   Bayesian Data Analysis, 3rd ed. Chapman & Hall/CRC, section 5.4.
.. [2] Morris CN (1983). Parametric empirical Bayes inference: theory and
   applications. J Am Stat Assoc 78(381):47-55.
.. [3] Christiansen CL, Morris CN (1997). Hierarchical Poisson regression
   modeling. J Am Stat Assoc 92(438):618-632 (the uniform shrinkage prior).
.. [4] Daniels MJ (1999). A prior for the variance in hierarchical models.
   Can J Stat 27(3):567-578.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, MutableMapping

import numpy as np
from scipy import special

from analysis.models.inference import (
    CONFIDENCE,
    HRMAX_LINE_COLUMNS,
    add_hrmax_line_change,
    mdc_pct,
    pct_change,
    t_quantile,
    verdict,
    verdict_text,
)
from analysis.schema import is_control

MIN_POOLED_RUNNERS = 3
"""Runners with an estimate needed in a group to pool it; fewer leave the
pooled columns empty. From 3 runners the posterior of tau is mostly the prior's,
and that is what the mixture over it carries: measured on 30 simulated squads
each (2026-12-05), pooling groups of 3 and 4 (5 before) brought squads of 4 + 4
runners from a mean absolute error of 1.35 to 1.29 pp for the strength runners
(1.13 to 0.31 for the controls), their SE from 1.16 to 1.06 x the spread of
their errors (coverage 0.98) and those called improved from 59 to 73 %; squads
of 3 + 3 from 1.58 to 1.44 pp (coverage 0.93); with half the strength group
non-responders (4 + 4), 1.35 to 1.45 pp, coverage 0.93: the responders and
non-responders are pulled toward each other, as in larger groups."""


OWN_COLUMNS = ("own_change_pct", "own_ci_low_pct", "own_ci_high_pct", "own_verdict")
"""The runner's own headline (before pooling), kept beside the pooled one."""

POOLED_COLUMNS = (
    "o2_cost_change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
    "mdc_pct",
    "verdict",
    "verdict_text",
    "pooling",
    "n_pooled_runners",
    *HRMAX_LINE_COLUMNS,
)
"""The columns :func:`pool_changes` sets on a pooled row (besides ``OWN_COLUMNS``)."""


def pool_changes(rows: list[dict], headline: Mapping[str, tuple]) -> None:
    """Pool the field rows' changes within their group: the pooled value becomes the headline.

    Parameters
    ----------
    rows : list of dict
        ``analyze`` rows (finished, :func:`analysis.models.inference.finish_row`:
        ``own_*`` already hold the runner's own headline, ``pooling`` is
        ``none``); the field rows of runners in ``headline`` are pooled within
        their group (controls, everyone else), in place, when the group has at
        least ``MIN_POOLED_RUNNERS`` of them: the headline columns
        (``POOLED_COLUMNS``) become the pooled ones, judged against the row's
        ``swc_pct``.
    headline : mapping
        ``runner_id -> (log change, SE, reference mu, its variance, its df)``
        (:func:`analysis.models.inference.finish_row`; ``(log change, SE)``
        alone means no reference). What is pooled is each runner's own
        within-runner change; the control reference is subtracted afterwards
        and its variance added. Pooling the referenced changes would treat the
        reference's error, which every runner of the squad shares, as
        independent noise that averages out over the group, and narrow the
        group mean's interval by a factor of about sqrt(k) too much.
    """
    members = [
        (row["runner_id"], row.get("group"), window_key(row))
        for row in rows
        if row.get("method") == "field_hr" and row["runner_id"] in headline
    ]
    pooled = pooled_values(members, headline)
    for row in rows:
        if row.get("method") == "field_hr" and row["runner_id"] in pooled:
            apply_pooled(row, pooled[row["runner_id"]])


def window_key(row: Mapping) -> tuple[str, ...]:
    """A row's baseline and block dates, as :func:`pooled_values` compares them."""
    return tuple(str(row.get(c)) for c in ("baseline_start", "block_start", "block_end"))


def pooled_values(
    members: Iterable[tuple[str, object, tuple]], headline: Mapping[str, tuple]
) -> dict[str, tuple]:
    """The numbers of :func:`pool_changes`, without the rows: ``runner_id -> (centre,
    low, high, below, sd, k)`` (log scale) for the runners of each group that is pooled.

    ``members``: ``(runner_id, group, window_key(row))`` of the field rows with a
    ``headline`` entry, in row order. What a streamed ``analyze`` keeps per
    runner until its rows are written (:func:`apply_pooled` then fills a row
    from them).
    """
    groups: dict[bool, list[tuple]] = {}
    for member in members:
        groups.setdefault(is_control(member[1]), []).append(member)
    out: dict[str, tuple] = {}
    for control, group in groups.items():
        ids = [rid for rid, _, _ in group]
        k = len(ids)
        if k < MIN_POOLED_RUNNERS:
            continue
        own = np.array([_own(headline[rid]) for rid in ids])
        d, s2 = own[:, 0], own[:, 1] ** 2
        grid = posterior_grid(d, s2)
        # the reference: normal, as wide at 95 % as its Student t
        z = special.ndtri(0.5 + CONFIDENCE / 2.0)
        ref, var_ref = own[:, 2], own[:, 3]
        scale = np.array([t_quantile(df) / z if v > 0 and df > 0 else 1.0 for v, df in own[:, 3:5]])
        ref_var = var_ref * scale**2
        # controls referenced to the controls over one shared window: each one's
        # deviation from the group's own mean (below), not its pooled change minus
        # the others' mean, which would count the group mean's uncertainty twice
        one_window = len({window for _, _, window in group}) == 1
        deviation = control and one_window and bool(np.all(var_ref > 0))
        for start in range(0, k, CHUNK):  # memory: grid points x CHUNK runners at a time
            part = slice(start, min(k, start + CHUNK))
            if deviation:
                mean, var = grid.deviation(d[part], s2[part])
            else:
                mean, var = grid.given(d[part], s2[part])
                mean, var = mean - ref[part], var + ref_var[part]
            centre = grid.weight @ mean
            sd = np.sqrt(grid.weight @ (var + mean**2) - centre**2)
            low = mixture_quantiles(grid.weight, mean, var, 0.5 - CONFIDENCE / 2.0)
            high = mixture_quantiles(grid.weight, mean, var, 0.5 + CONFIDENCE / 2.0)
            below = grid.weight @ special.ndtr(-mean / np.sqrt(var))
            for i, rid in enumerate(ids[part]):
                out[rid] = (centre[i], low[i], high[i], below[i], sd[i], k)
    return out


def apply_pooled(row: MutableMapping, values: tuple) -> None:
    """Make a finished field row's headline the pooled one (:func:`pooled_values`),
    judged against the row's ``swc_pct``, in place."""
    centre, low, high, below, sd, k = values
    swc = float(row["swc_pct"])
    row["o2_cost_change_pct"] = float(pct_change(centre))
    row["ci_low_pct"] = float(pct_change(low))
    row["ci_high_pct"] = float(pct_change(high))
    row["p_value"] = float(min(1.0, 2.0 * min(below, 1.0 - below)))
    row["mdc_pct"] = mdc_pct(float(sd), math.inf)
    row["verdict"] = verdict(row["ci_low_pct"], row["ci_high_pct"], swc)
    row["pooling"] = "group"
    row["n_pooled_runners"] = k
    row["verdict_text"] = verdict_text(row, swc)
    add_hrmax_line_change(row)


GRID_POINTS = 400
"""Points of the grid over tau (:func:`posterior_grid`)."""

CHUNK = 256
"""Runners whose posteriors are computed at once (memory: grid points x CHUNK)."""


@dataclasses.dataclass(frozen=True)
class TauGrid:
    """The posterior of tau on a grid, with what each runner's posterior needs.

    ``tau2``, ``weight``, ``mu``, ``v_mu``: the grid points (those with
    posterior weight above 1e-12 of the largest), their posterior
    probabilities, and the group mean's posterior mean and variance given each.
    """

    tau2: np.ndarray
    weight: np.ndarray
    mu: np.ndarray
    v_mu: np.ndarray

    def given(self, d, s2) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, var)[j, i]``: runner i's posterior mean and variance given
        ``tau_j`` (BDA3 eq. 5.17 with ``mu`` integrated out:
        ``d_i - B_i (d_i - mu_hat)`` and ``s_i^2 (1 - B_i) + B_i^2 V_mu``)."""
        shrink = s2[None, :] / (s2[None, :] + self.tau2[:, None])  # B_i; 1 at tau = 0
        mean = d - shrink * (d - self.mu[:, None])
        var = s2[None, :] * (1.0 - shrink) + shrink**2 * self.v_mu[:, None]
        return mean, var

    def deviation(self, d, s2) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, var)[j, i]`` of ``theta_i - mu`` given ``tau_j``: runner i's
        deviation from the group mean, ``(1 - B_i) (d_i - mu_hat)`` and ``s_i^2
        (1 - B_i) + (1 - B_i)^2 V_mu`` (given ``mu``, ``theta_i - mu`` is normal
        with mean ``(1 - B_i)(d_i - mu)`` and variance ``s_i^2 (1 - B_i)``; then
        ``mu`` integrated out). At ``tau = 0`` it is exactly 0 (a variance of
        1e-300 keeps the mixture's arithmetic finite)."""
        keep = self.tau2[:, None] / (s2[None, :] + self.tau2[:, None])  # 1 - B_i
        mean = keep * (d - self.mu[:, None])
        var = s2[None, :] * keep + keep**2 * self.v_mu[:, None]
        return mean, np.maximum(var, 1e-300)


def log_tau_prior(tau2: np.ndarray, s0_sq) -> np.ndarray:
    """Log density of the uniform shrinkage prior on ``tau`` (module docstring),
    ``log(2 tau s_0^2 / (s_0^2 + tau^2)^2)``, at the grid's ``tau^2``; ``-inf`` at
    ``tau = 0``, where the density is 0. ``s0_sq``: the harmonic mean of the
    runners' ``s_i^2``, a number or one per column (broadcast against
    ``tau2[:, None]``).

    References: Christiansen & Morris (1997); Daniels (1999).
    """
    tau2 = np.asarray(tau2, dtype=float)
    s0_sq = np.asarray(s0_sq, dtype=float)
    if s0_sq.ndim:
        tau2 = tau2[:, None]
    with np.errstate(divide="ignore"):
        return np.log(2.0 * np.sqrt(tau2) * s0_sq) - 2.0 * np.log(s0_sq + tau2)


def posterior_grid(d, s2) -> TauGrid:
    """The normal hierarchical model's posterior of tau on a grid (BDA3 section 5.4).

    The uniform shrinkage prior on tau (:func:`log_tau_prior`),
    ``GRID_POINTS`` points from 0 to 6 x the larger of the estimates' spread
    and their largest SE (where the likelihood is spent), trapezoidal
    weights; ``mu`` integrated out under a flat prior: ``p(tau | d) ~ p(tau)
    V_mu^(1/2) prod (s_i^2 + tau^2)^(-1/2) exp(-(d_i - mu_hat)^2 / 2 (s_i^2 +
    tau^2))`` (BDA3 eq. 5.21).
    """
    d, s2 = np.asarray(d, dtype=float), np.asarray(s2, dtype=float)
    top = 6.0 * max(float(np.std(d)), float(np.sqrt(s2.max())))
    tau2 = np.linspace(0.0, top, GRID_POINTS) ** 2
    log_post, mu, v_mu = (np.empty(GRID_POINTS) for _ in range(3))
    for j, t2 in enumerate(tau2):  # one grid point at a time: memory k, not GRID_POINTS x k
        w = 1.0 / (s2 + t2)
        v_mu[j] = 1.0 / w.sum()
        mu[j] = v_mu[j] * (w * d).sum()
        log_post[j] = 0.5 * np.log(v_mu[j]) + 0.5 * (np.log(w) - (d - mu[j]) ** 2 * w).sum()
    log_post = log_post + log_tau_prior(tau2, len(s2) / (1.0 / s2).sum())
    weight = np.exp(log_post - log_post.max())
    weight[[0, -1]] *= 0.5  # the trapezoidal rule
    keep = weight > 1e-12 * weight.max()
    weight = weight[keep] / weight[keep].sum()
    return TauGrid(tau2[keep], weight, mu[keep], v_mu[keep])


EXACT_LEAVE_ONE_OUT = 64
"""Up to this many runners, each leave-one-out of :func:`group_mean_posterior` is
computed on a grid of its own (from the others only); above it, from running
sums on the group's grid (one pass each), where one runner moves the grid's top
by a share of about 1/k and the posterior of tau lies well below it."""


def group_mean_posterior(
    d, s2, *, leave_one_out: bool = True
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The group mean ``mu`` of the normal hierarchical model: its posterior mean and
    variance from all runners, and from all but each one in turn (leave one out).

    The model and prior of :func:`posterior_grid` (BDA3 section 5.4, ``mu``
    flat; the uniform shrinkage prior on tau, its ``s_0^2`` from the runners
    used: all, or all but the one left out), on its grid of tau (the range
    from the runners used); at each tau the precision-weighted mean ``mu_hat``
    and its variance ``V_mu``, and the posterior of ``mu`` is their mixture
    over the posterior of tau: mean ``sum p_j mu_hat_j``, variance ``sum p_j
    (V_mu_j + mu_hat_j^2) - mean^2`` (BDA3 eq. 5.20 integrated over tau). Above
    ``EXACT_LEAVE_ONE_OUT`` runners, each left out in turn from running sums over
    the group on the group's grid, so a federation's thousands of controls cost
    one pass each, not one per control.

    Returns
    -------
    (float, float, ndarray, ndarray)
        Mean and variance from all ``k`` runners; the ``k`` means and
        variances with runner i left out (empty with ``leave_one_out=False``):
        up to ``EXACT_LEAVE_ONE_OUT`` runners each from the others alone, on
        their own grid, so that what is left out cannot move it.
    """
    d, s2 = np.asarray(d, dtype=float), np.asarray(s2, dtype=float)
    centre = float(d.mean())
    d = d - centre  # the posterior shifts with the data: sums of small numbers, no cancellation
    top = 6.0 * max(float(np.std(d)), float(np.sqrt(s2.max())))
    tau2 = np.linspace(0.0, top, GRID_POINTS) ** 2
    trapezoid = np.ones(GRID_POINTS)
    trapezoid[[0, -1]] = 0.5

    def weights(part: slice) -> np.ndarray:  # (G, CHUNK): memory grid points x CHUNK runners
        return 1.0 / (s2[None, part] + tau2[:, None])

    chunks = [slice(k, min(len(d), k + CHUNK)) for k in range(0, len(d), CHUNK)]
    sums = [np.zeros(GRID_POINTS) for _ in range(4)]
    for part in chunks:
        w, dp = weights(part), d[part]
        for total, term in zip(sums, (w, w * dp, w * dp * dp, np.log(w)), strict=True):
            total += term.sum(axis=1)

    def moments(s_w, s_d, s_dd, s_log, n):
        v_mu = 1.0 / s_w
        mu = s_d * v_mu
        log_post = 0.5 * np.log(v_mu) + 0.5 * (s_log - (s_dd - s_d * mu))
        log_post = log_post + log_tau_prior(tau2, n / s_w[0])  # s_w at tau = 0: sum 1/s_i^2
        p = np.exp(log_post - log_post.max(axis=0)) * trapezoid.reshape(
            (-1,) + (1,) * (log_post.ndim - 1)
        )
        p = p / p.sum(axis=0)
        mean = (p * mu).sum(axis=0)
        return mean, (p * (v_mu + mu * mu)).sum(axis=0) - mean * mean

    mean_all, var_all = moments(*sums, len(d))
    if not leave_one_out:
        return float(mean_all) + centre, float(var_all), np.empty(0), np.empty(0)
    loo_mean, loo_var = np.empty(len(d)), np.empty(len(d))
    if len(d) <= EXACT_LEAVE_ONE_OUT:
        # each on a grid of its own, from the others only: on the shared one, a
        # control's reference moved with its own value through the grid's top (2
        # controls: the other's SD 0.029-0.041 as its own change went 0-0.2)
        for i in range(len(d)):
            others = np.arange(len(d)) != i
            if not others.any():  # one runner: nobody else
                loo_mean[i], loo_var[i] = np.nan, np.nan
                continue
            m, v, *_ = group_mean_posterior(d[others], s2[others], leave_one_out=False)
            loo_mean[i], loo_var[i] = m, v
        return float(mean_all) + centre, float(var_all), loo_mean + centre, loo_var
    for part in chunks:
        wp, dp = weights(part), d[part]
        m, v = moments(
            sums[0][:, None] - wp,
            sums[1][:, None] - wp * dp,
            sums[2][:, None] - wp * dp * dp,
            sums[3][:, None] - np.log(wp),
            len(d) - 1,
        )
        loo_mean[part], loo_var[part] = m, v
    return float(mean_all) + centre, float(var_all), loo_mean + centre, loo_var


def mixture_quantiles(weight, mean, var, q: float) -> np.ndarray:
    """The ``q`` point of each runner's normal mixture ``sum_j weight_j N(mean[j, i], var[j, i])``,
    by bisection on the mixture's distribution function (all runners at once, to
    about 1e-15 on the log scale)."""
    sd = np.sqrt(var)
    lo = (mean - 12 * sd).min(axis=0)
    hi = (mean + 12 * sd).max(axis=0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = weight @ special.ndtr((mid - mean) / sd) < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _own(value) -> tuple[float, float, float, float, float]:
    """``(log change, SE[, reference mu, its variance, its df])`` -> all five."""
    b, se, *reference = value
    ref, var_ref, df_ref = reference or (0.0, 0.0, math.inf)
    return float(b), float(se), float(ref), float(var_ref), float(df_ref)
