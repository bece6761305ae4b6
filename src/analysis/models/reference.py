"""Control-referenced answers: each runner's change net of what the controls did.

A strength runner's field change over the block mixes the strength effect with
everything else that moved heart rate at a given pace over the same weeks: the
season (warming weather beyond what the heat term captures), rising aerobic
fitness, falling resting heart rate. Controls over the same dates carry all of
that but not the strength work, so when the squad has controls the headline is
the difference in differences (SCIENCE.md section 9: "without a control group,
a change cannot be separated from seasonal trends"):

    d_i = b_i - mu_c,   Var(d_i) = SE_i^2 + Var(mu_c)

``b_i`` is the runner's log change (:mod:`analysis.models.field`), ``mu_c``
the controls' mean log change over the runner's own baseline and block dates:
the group mean of the same normal hierarchical model that pools each group
(:func:`analysis.models.pooling.group_mean_posterior`: the controls' changes
scatter around ``mu_c`` with a between-control spread tau under the uniform
shrinkage prior; ``mu_c``'s posterior mean and variance, tau integrated out),
so the answer is the runner's change relative to the controls' mean change.
Before, this was a Paule-Mandel mean whose variance also held the
between-control ``tau^2`` (the runner's own season as one more draw) and whose
interval was Student t at ``n_controls - 1`` df: on the scenario suite (40
squads of 16 per scenario) that made the strength runners' pooled SE
1.06-1.28 x the spread of their errors, against 0.97-1.19 x with the posterior
under a uniform prior on tau and 0.91-1.14 x under the shrinkage prior. Adding
the posterior mean of ``tau^2`` back (a prediction of the runner's own season)
was measured again where the runners' fitness rose unevenly (3-6 % each, so
the controls' changes do differ; uniform prior): 1.38 x, against 0.96 x
without it. The runner's own season is already in the spread of its group's
pooling, so it is not counted twice.

From ``MIN_CONTROLS`` (2) controls on. With few controls the between-control
spread is mostly the prior's; with 3 or 4 the Paule-Mandel mean with
``tau^2`` and Student t at 2 or 3 df was kept there until measured (30 simulated squads each,
2026-12-05): with 9 strength runners and 3 controls the strength runners'
intervals were 10.7 pp wide, their SE 1.99 x the spread of their errors
(coverage 0.99) and 31 % of them called improved; with the posterior, 6.4 pp,
1.19 x, 0.97 and 67 %. In squads of 3 + 3 runners 1.18 x became 1.06 x
(coverage 0.97 -> 0.93). The posterior's width follows the data through tau:
it is not a fixed t quantile whatever the controls say. A control is
referenced to the other controls (leave one out), so a control is called
improved only at the nominal rate even when the whole squad got fitter; in a
squad of 2 controls each is referenced to the other one.

Two controls are enough (since 2026-12-06; 3 before). Without a reference a
runner's answer carries whatever moved the whole squad's heart rate at a given
pace: on an eighth, blind generator's squads of 10 strength runners and 2
controls (``benchmarks/eighth_scenarios.py``, 24 squads) the strength runners
read -2.14 pp too good (squad SE 0.27; coverage 0.68) and 13 of 48 controls
were called improved; referenced to the 2 controls, +0.76 pp (0.35; coverage
0.96) and none.
On our simulator's 10 + 2 squads with aerobic fitness rising 4.5 % in both
groups (20 squads) the strength runners' bias went from -4.54 to -0.08 pp and
the controls called improved from 85 % to none. The price is width: the
spread between 2 controls says little about tau, so the reference's variance
is mostly the prior's, and the strength runners' intervals are about twice as
wide (our 10 + 2 squads without a squad-wide trend: 4.4 -> 8.0 pp, SE 1.04 ->
1.52 x the spread of their errors, called improved 89 -> 52 %; the eighth
generator's 5.9 -> 11.6 pp, called improved 87 -> 8 %). An honest
"inconclusive" (its ``mdc_pct`` says what the data could detect) is the
answer there, not a confident change that may be the season's
(``docs/SMALL_SQUADS.md``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.execution import CHUNK_RUNNERS
from analysis.models.field import FIELD_METHOD, _field_rows
from analysis.models.pooling import group_mean_posterior
from analysis.models.prepare import prepare_runs
from analysis.models.spill import resolve, select
from analysis.models.training import _is_control
from analysis.schema import MIN_CONTROLS

_WINDOW = ("baseline_start", "block_start", "block_end")
REFERENCE_INPUTS = ("runner_id", "method", "_b", *_WINDOW)
"""What :func:`control_references` reads of a field row (a streamed ``analyze``
keeps only these of each row while the rows wait on disk)."""


def _window_key(block: Mapping) -> tuple:
    return tuple(pd.Timestamp(block[c]).normalize() for c in _WINDOW)


def _control_changes(
    window: tuple,
    controls: pd.DataFrame,
    metrics: pd.DataFrame,
    errors: str,
    confounders: Iterable[str],
    design: dict,
    serial_prior,
) -> dict[str, tuple[float, float]]:
    """Each control's field log change and SE over one baseline-and-block window."""
    blocks = controls.copy()
    for col, value in zip(_WINDOW, window, strict=True):
        blocks[col] = value
    own = metrics.loc[metrics["runner_id"].astype(str).isin(set(blocks["runner_id"]))]
    prep = prepare_runs(own, blocks, **design)
    out = {}
    rows, _ = _field_rows(blocks, prep, {}, errors, confounders, serial_prior=serial_prior)
    for row, fit in rows:
        if fit is not None and "_b" in row:
            out[row["runner_id"]] = (row["_b"], row["_se"])
    return out


def _control_changes_task(payload: tuple) -> dict[str, tuple[float, float]]:
    """:func:`_control_changes` of one window, as one task of an execution back end."""
    window, controls, metrics, *rest = payload
    return _control_changes(window, controls, resolve(metrics), *rest)


def pooled_reference(changes: Mapping[str, tuple[float, float]], leave_out: str | None = None):
    """The controls' mean log change: ``(mu, variance, df, n)`` or None (fewer than
    ``MIN_CONTROLS``): the hierarchical model's posterior mean and variance (df inf;
    module docstring)."""
    return _pooled(_Controls(changes), leave_out)


class _Controls:
    """The controls of one window with a finite change and a positive SE (built
    once per window: a federation has thousands of controls, each left out in
    turn), and their group mean's posterior (:func:`group_mean_posterior`,
    computed once, with every leave-one-out)."""

    def __init__(self, changes: Mapping[str, tuple[float, float]]):
        keep = [
            (rid, b, se)
            for rid, (b, se) in changes.items()
            if np.isfinite(b) and np.isfinite(se) and se > 0
        ]
        self.position = {rid: k for k, (rid, _, _) in enumerate(keep)}
        self.b = np.array([k[1] for k in keep])
        self.se = np.array([k[2] for k in keep])
        self._posterior = None

    def posterior(self):
        if self._posterior is None:
            self._posterior = group_mean_posterior(self.b, self.se**2)
        return self._posterior


def _pooled(usable: _Controls, leave_out: str | None = None):
    left = usable.position.get(leave_out)
    n = len(usable.b) - (left is not None)
    if len(usable.b) < MIN_CONTROLS:  # a control's reference: the others, at least 1
        return None
    mean, var, loo_mean, loo_var = usable.posterior()
    if left is not None:
        mean, var = loo_mean[left], loo_var[left]
    return float(mean), float(var), math.inf, n


def control_references(
    rows: list[dict],
    all_blocks: pd.DataFrame,
    metrics: pd.DataFrame,
    errors: str,
    confounders: Iterable[str],
    *,
    design: dict | None = None,
    serial_prior=None,
    run=None,
    chunk_runners: int = CHUNK_RUNNERS,
) -> dict[str, tuple[float, float, float, int]]:
    """The controls' pooled change over each modelled runner's own window.

    ``rows`` are field rows (with ``_b``); ``all_blocks`` the whole squad's
    :func:`analysis.blocks.runner_blocks`; ``metrics`` run metrics that include
    the controls (a frame, or :class:`~analysis.models.spill.SpilledMetrics`). Returns ``{runner_id: (mu, variance, df, n_controls)}`` for
    every runner that can be referenced. ``serial_prior``: the squad's
    (:func:`analysis.models.serial.serial_prior`), so the controls are fitted as
    in the squad's own fit. ``run(fn, payloads)``: where the controls' fit of
    each window runs, ``chunk_runners`` controls at a time (a list of
    ``fn(payload)`` in order; default here, in turn).
    """
    controls = all_blocks.loc[_is_control(all_blocks["group"]) & all_blocks["block_start"].notna()]
    if len(controls) < MIN_CONTROLS:
        return {}
    modelled = [r for r in rows if r.get("method") == FIELD_METHOD and "_b" in r]
    windows = list(dict.fromkeys(_window_key(r) for r in modelled))
    groups = []  # the controls in chunks: one window's fit of thousands of controls is large
    for k in range(0, len(controls), chunk_runners):
        part = controls.iloc[k : k + chunk_runners]
        groups.append((part, select(metrics, part["runner_id"])))
    payloads = [
        (key, part, own, errors, tuple(confounders), design or {}, serial_prior)
        for key in windows
        for part, own in groups
    ]
    if run is None:
        changes = [_control_changes_task(p) for p in payloads]
    else:
        changes = run(_control_changes_task, payloads)
    cache: dict[tuple, dict] = {key: {} for key in windows}
    for (key, *_), found in zip(payloads, changes, strict=True):
        cache[key].update(found)
    usable = {key: _Controls(found) for key, found in cache.items()}
    pooled_all: dict[tuple, tuple | None] = {}  # per window, for runners that are not controls
    out = {}
    for row in modelled:
        key = _window_key(row)
        rid = row["runner_id"]
        if rid in cache[key]:  # a control: referenced to the other controls
            ref = _pooled(usable[key], leave_out=rid)
        else:  # every strength runner of a window shares one pooled reference
            if key not in pooled_all:
                pooled_all[key] = _pooled(usable[key])
            ref = pooled_all[key]
        if ref is not None:
            out[rid] = ref
    return out
