"""The inference conventions every model shares: confidence level, t quantiles,
% changes, the minimum detectable change and the verdict categories."""

from __future__ import annotations

import math
from collections.abc import MutableMapping

import numpy as np
from scipy import special

from analysis.models.fitness import fitness_words
from analysis.schema import is_control

CONFIDENCE = 0.95
"""Confidence level of every interval runeco reports."""

POWER = 0.80
"""Power at which the minimum detectable change (``mdc_pct``) is stated."""

SMALLEST_WORTHWHILE_CHANGE_PCT = 2.5
"""Default smallest worthwhile change in running economy [%], settable.

Strength blocks improve economy by about 2-5 % (Denadai et al. 2017: -3.9 %
against controls; SCIENCE.md section 8), and SCIENCE.md section 9 asks for a
configurable threshold with the definition recorded: 2.5 % is the middle of
the 2-3 % band below which a change is not worth a training block."""

VERDICTS = ("improved", "worsened", "no meaningful change", "inconclusive")
"""The ``verdict`` categories besides ``insufficient data: <reason>``."""

INSUFFICIENT = "insufficient data"


def pct_change(log_ratio):
    return 100.0 * np.expm1(log_ratio)


def t_quantile(df: float, level: float = CONFIDENCE) -> float:
    """Two-sided critical value of Student's t with ``df`` degrees of freedom."""
    return float(special.stdtrit(df, 0.5 + level / 2.0))


def t_pvalue(t_stat: float, df: float) -> float:
    return float(2.0 * special.stdtr(df, -abs(t_stat)))


def welch_df(variances, dfs) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates.

    References
    ----------
    .. [1] Satterthwaite FE (1946). An approximate distribution of estimates
       of variance components. Biometrics Bulletin 2(6):110-114.
    """
    v = np.asarray(variances, dtype=float)
    d = np.asarray(dfs, dtype=float)
    denominator = np.sum(np.where(np.isfinite(d), v**2 / d, 0.0))
    return float(v.sum() ** 2 / denominator) if denominator > 0 else math.inf


def mdc_pct(se_log: float, df: float) -> float:
    """The smallest fall in oxygen cost these data detect with ``POWER`` [%].

    ``(t_{1-alpha/2} + t_{power}) * SE`` on the log scale, with Student t at
    the estimate's degrees of freedom, as a positive percentage
    (``100 * (1 - exp(-k SE))``).

    References
    ----------
    .. [1] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15 (SCIENCE.md section 9).
    """
    if not (np.isfinite(se_log) and se_log > 0):
        return math.nan
    k = t_quantile(df) + float(special.stdtrit(df, POWER))
    return float(-pct_change(-k * se_log))


def verdict(ci_low_pct: float, ci_high_pct: float, swc_pct: float) -> str:
    """``improved`` / ``worsened`` (the CI excludes 0), ``no meaningful change``
    (the CI lies within +-``swc_pct``), else ``inconclusive``.

    Judging the whole CI against zero and against the smallest worthwhile
    change follows SCIENCE.md section 9 ("CI entirely beyond SWC / overlaps /
    entirely inside"), not magnitude-based inference (Sainani 2018).
    """
    if ci_high_pct < 0:
        return "improved"
    if ci_low_pct > 0:
        return "worsened"
    if -swc_pct < ci_low_pct and ci_high_pct < swc_pct:
        return "no meaningful change"
    return "inconclusive"


def _alone(row, direction: str) -> str:
    """For a heart-rate answer without controls: what else moves heart rate at a
    pace, and the fitness signals in the data that can tell (" ..." or "")."""
    if row.get("reference", "none") != "none" or row.get("method") != "field_hr":
        return ""
    signals = fitness_words(row)
    tell = (
        f"in these data {signals} (lab VO2max measures fitness; race VDOT rises with both)"
        if signals
        else "a maximal lab test before and after the block would tell them apart"
    )
    return (
        f" Without controls, heart rate at a given pace can also {direction} with aerobic "
        f"fitness or the season; {tell}."
    )


def verdict_text(row, swc_pct: float) -> str:
    """The verdict as one plain sentence for people (``verdict_text``)."""
    v = str(row["verdict"])
    if v.startswith(INSUFFICIENT):
        return "No answer yet: " + v.split(":", 1)[-1].strip() + "."
    change = f"{row['o2_cost_change_pct']:+.1f} %"
    ci = f"95 % CI {row['ci_low_pct']:+.1f} to {row['ci_high_pct']:+.1f} %"
    against = " relative to the controls" if row.get("reference") == "controls" else ""
    if row.get("pooling") == "group":
        who = "controls" if is_control(row.get("group", "")) else "runners"
        against += f", pooled with the group's {row['n_pooled_runners']} {who}"
    if v == "improved":
        text = f"More economical: oxygen cost changed by {change}{against} ({ci})." + _alone(
            row, "fall"
        )
    elif v == "worsened":
        text = f"Less economical: oxygen cost changed by {change}{against} ({ci})." + _alone(
            row, "rise"
        )
    elif v == "no meaningful change":
        text = (
            f"No change larger than {swc_pct:g} %: oxygen cost changed by {change}{against} "
            f"({ci}), inside the smallest worthwhile change."
        )
    else:
        text = (
            f"Inconclusive: these data can only detect changes larger than about "
            f"{row['mdc_pct']:.1f} %; oxygen cost changed by {change}{against} ({ci})."
        )
    own = row.get("own_verdict")
    if row.get("pooling") == "group" and own and own != v:
        text += (
            f" This runner's own runs alone: {row['own_change_pct']:+.1f} % "
            f"({row['own_ci_low_pct']:+.1f} to {row['own_ci_high_pct']:+.1f} %), {own}."
        )
    return text


def judge(row: MutableMapping, b: float, se: float, df: float, swc_pct: float) -> None:
    """Fill a result row's headline from a log change ``b`` with SE ``se`` and ``df``."""
    tcrit = t_quantile(df)
    row["o2_cost_change_pct"] = float(pct_change(b))
    row["ci_low_pct"] = float(pct_change(b - tcrit * se))
    row["ci_high_pct"] = float(pct_change(b + tcrit * se))
    row["p_value"] = t_pvalue(b / se, df) if se > 0 else math.nan
    row["mdc_pct"] = mdc_pct(se, df)
    row["verdict"] = verdict(row["ci_low_pct"], row["ci_high_pct"], swc_pct)


def _keep_own(row: MutableMapping) -> None:
    """The runner's own headline in ``own_*`` (:func:`analysis.models.pooling.pool_changes`
    may then replace the headline by the pooled one)."""
    row["own_change_pct"] = row.get("o2_cost_change_pct", math.nan)
    row["own_ci_low_pct"] = row.get("ci_low_pct", math.nan)
    row["own_ci_high_pct"] = row.get("ci_high_pct", math.nan)
    row["own_verdict"] = row.get("verdict", "")


HRMAX_LINE_COLUMNS = ("hrmax_line_change_pct", "hrmax_line_ci_low_pct", "hrmax_line_ci_high_pct")
"""The headline and its CI as they would read on Swain et al. 1994's %HRmax line."""


def add_hrmax_line_change(row: dict) -> dict:
    """``HRMAX_LINE_COLUMNS`` of a heart-rate row: its headline and CI read on Swain
    et al. (1994)'s %HRmax line instead of %HRR = %VO2R (Swain & Leutholtz 1997).

    Field data cannot tell the two lines apart (a different line looks like a
    different cost-speed curve; README), and the size of a change read from
    heart rate depends on which is true: on the %HRmax line each relative change
    is ``hrmax_line_scale`` times as large (at the runner's baseline heart rates,
    :func:`analysis.physiology.hrmax_line_change_scale`). The change and its
    bounds are scaled on the log scale, ``(1 + p)^s - 1``; the controls' change in
    a referenced headline is scaled with the runner's own ``s`` (the runners'
    scales differ by a few hundredths). Empty where the squad's lab stages decided
    the line (``hrmax_line_scale`` empty) or there is no headline.
    """
    scale = cell_number(row.get("hrmax_line_scale"))
    for source, target in zip(
        ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct"), HRMAX_LINE_COLUMNS, strict=True
    ):
        value = cell_number(row.get(source))
        ok = np.isfinite(scale) and scale > 0 and np.isfinite(value) and value > -100.0
        row[target] = 100.0 * np.expm1(scale * np.log1p(value / 100.0)) if ok else np.nan
    return row


def cell_number(value) -> float:
    """A row's cell as a float: NaN for a missing or non-numeric one."""
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


REFERENCE_NOTE_START = "the controls' own oxygen cost changed by"
"""How :func:`reference_note`'s warning begins (the report finds it by this)."""


def reference_note(mu: float, variance: float, raw_pct: float) -> str:
    """The warning of a referenced row whose controls' change is itself clear.

    A control-referenced headline (difference in differences) assumes the
    runner's cost would have moved as the controls' did without the strength
    work: the parallel-trends assumption. Where the controls' change (log
    ``mu``, its ``variance``) has a 95 % interval that excludes 0, the answer
    leans on that assumption, so the row says how much the controls moved and
    which reading holds if they trained differently. On squads whose controls
    lost 2 % of VO2max while the strength group held its fitness
    (``benchmarks/blind_scenarios.py``, scenario ``detraining``) the
    referenced change was 2.1 pp too good and the raw change right; heart rate
    at a given pace cannot tell the two cases apart. "" when the controls'
    change is not clear.
    """
    if not (variance > 0 and np.isfinite(mu)):
        return ""
    half = t_quantile(math.inf) * math.sqrt(variance)
    if abs(mu) <= half:
        return ""
    low, high = pct_change(mu - half), pct_change(mu + half)
    return (
        f"{REFERENCE_NOTE_START} {pct_change(mu):+.1f} % "
        f"(95 % CI {low:+.1f} to {high:+.1f}) over these weeks, and the headline assumes "
        "this runner's would have too without the strength work (weather, fitness); if the "
        f"controls trained differently, read the change before the reference ({raw_pct:+.1f} %)"
    )


def finish_row(row: dict, swc_pct: float, reference=None, *, headline=None) -> dict:
    """Turn a model row's log change into its headline, raw columns and verdict.

    The headline is the runner's own here (``own_*`` hold a copy, ``pooling``
    = ``none``); :func:`analysis.models.pooling.pool_changes` may then pool it.

    ``reference`` is :func:`analysis.models.reference.pooled_reference`'s
    ``(mu, variance, df, n)`` or None (no controls). ``headline``, a dict, gets
    ``runner_id -> (raw log change, its SE, reference mu, its variance, its df)``
    (reference 0, 0, inf without controls) for
    :func:`analysis.models.pooling.pool_changes`.
    """
    from_fit = "_b" in row
    b, se, df = row.pop("_b", math.nan), row.pop("_se", math.nan), row.pop("_df", math.nan)
    row["swc_pct"] = float(swc_pct)
    row.setdefault("reference", "none")
    for col in ("raw_change_pct", "raw_ci_low_pct", "raw_ci_high_pct", "reference_change_pct"):
        row.setdefault(col, math.nan)
    row.setdefault("n_reference_runners", 0)
    row.setdefault("mdc_pct", math.nan)
    for col in (
        "sensitivity_change_pct",
        "sensitivity_ci_low_pct",
        "sensitivity_ci_high_pct",
    ):
        row.setdefault(col, math.nan)
    row.setdefault("sensitivity_design", "")
    row.setdefault("hrmax_line_scale", math.nan)
    row["pooling"], row["n_pooled_runners"] = "none", 0
    if not from_fit:
        _keep_own(row)
        row["verdict_text"] = verdict_text(row, swc_pct)
        return add_hrmax_line_change(row)
    raw: dict = {}
    judge(raw, b, se, df, swc_pct)
    row["raw_change_pct"] = raw["o2_cost_change_pct"]
    row["raw_ci_low_pct"] = raw["ci_low_pct"]
    row["raw_ci_high_pct"] = raw["ci_high_pct"]
    own = (b, se, 0.0, 0.0, math.inf)  # for pooling: raw change, then the reference
    if reference is not None:
        mu, var_ref, df_ref, n = reference
        own = (b, se, mu, var_ref, df_ref)
        var = se**2 + var_ref
        df = welch_df([se**2, var_ref], [df, df_ref])
        b, se = b - mu, math.sqrt(var)
        row["reference"] = "controls"
        row["reference_change_pct"] = float(pct_change(mu))
        row["n_reference_runners"] = int(n)
        if not is_control(row.get("group", "")):
            note = reference_note(mu, var_ref, row["raw_change_pct"])
            if note:
                row["warning"] = "; ".join(w for w in (row.get("warning") or "", note) if w)
    judge(row, b, se, df, swc_pct)
    _keep_own(row)
    row["verdict_text"] = verdict_text(row, swc_pct)
    if headline is not None and all(np.isfinite(own[:4])) and own[1] > 0 and se > 0:
        headline[row["runner_id"]] = own
    return add_hrmax_line_change(row)
