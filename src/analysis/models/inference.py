"""The inference conventions every model shares: confidence level, t quantiles, % changes, verdicts."""

from __future__ import annotations

import numpy as np
from scipy import special

CONFIDENCE = 0.95
"""Confidence level of every interval runeco reports."""


def pct_change(log_ratio):
    return 100.0 * np.expm1(log_ratio)


def verdict(ci_low_pct: float, ci_high_pct: float) -> str:
    if ci_high_pct < 0:
        return "improved"
    if ci_low_pct > 0:
        return "worsened"
    return "no clear change"


def t_quantile(df: float) -> float:
    return float(special.stdtrit(df, 0.5 + CONFIDENCE / 2.0))


def t_pvalue(t_stat: float, df: float) -> float:
    return float(2.0 * special.stdtr(df, -abs(t_stat)))
