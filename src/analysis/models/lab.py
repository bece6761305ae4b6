"""The lab path: change in oxygen cost at a common reference speed between a
pre- and a post-block treadmill test.

One definition, shared with the report's lab table: each test day's oxygen
cost at the runner's reference speed, interpolated across its submaximal
stages by :func:`analysis.metrics.lab_economy_at_speed` (SCIENCE.md section 5:
"interpolate each test to a common reference speed below threshold"). The
change is ``log(post / pre)`` of those two numbers, so the headline and the
table always agree.

Its uncertainty has two parts: the stage-to-stage noise of each day's
interpolated value (the residual SD of the day's stages around a line in
speed) and the day-to-day variation of economy itself, which one test on each
side cannot estimate: a documented within-subject CV, ``LAB_DAY_CV_PCT`` (2 %,
Saunders et al. 2004; SCIENCE.md section 5 gives 1.5-3 %), settable. Without
the second part, lab controls were called improved far above the nominal rate
(7 of 150).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.metrics import lab_economy_at_speed
from analysis.models.field import _empty_numbers
from analysis.models.inference import welch_df
from analysis.physiology import ECONOMY_DAY_CV_PCT

LAB_METHOD = "lab"

LAB_POST_WINDOW = pd.Timedelta(weeks=2)
"""A lab test counts as the post-block test from ``block_end`` minus two weeks
on (tests are often done in the last week of a block)."""

LAB_DAY_CV_PCT = ECONOMY_DAY_CV_PCT
"""Within-subject day-to-day CV of submaximal VO2 [%]
(:data:`analysis.physiology.ECONOMY_DAY_CV_PCT`, 2 %, Saunders et al. 2004).
Added to the lab CI for each test day."""


def _lab_rows(
    blocks: pd.DataFrame, lab_tests: pd.DataFrame, *, day_cv_pct: float = LAB_DAY_CV_PCT
) -> dict[str, dict]:
    """The ``lab`` row of every runner with a test before and after the block start.

    The pre test is the last test day before ``block_start``; the post test is
    the first test day from ``block_end`` - 2 weeks on, else the last test day
    after ``block_start`` (with a warning: a mid-block test). Each day's cost
    is :func:`analysis.metrics.lab_economy_at_speed` at the runner's shared
    submaximal reference speed (stages with RER >= 1.0 or at another grade
    than the runner's usual one are left out and counted).
    """
    if lab_tests is None or len(lab_tests) == 0:
        return {}
    wanted = set(blocks["runner_id"].astype(str).unique())
    lab = lab_tests.loc[lab_tests["runner_id"].astype(str).isin(wanted)]
    lab = lab.loc[lab["date"].notna()]
    if lab.empty:
        return {}
    at_speed = lab_economy_at_speed(lab)
    at_speed = at_speed.assign(runner_id=at_speed["runner_id"].astype(str))
    rer = pd.to_numeric(lab.get("rer"), errors="coerce") if "rer" in lab else None
    # a missing grade is level (0 %), as lab_economy_at_speed reads it
    grade = (
        pd.to_numeric(lab["grade_pct"], errors="coerce").fillna(0.0)
        if "grade_pct" in lab
        else pd.Series(0.0, index=lab.index)
    )
    modal_grade = grade.groupby(lab["runner_id"].astype(str)).transform(lambda g: g.mode().iloc[0])
    reason = np.where(
        (rer >= 1.0).to_numpy() if rer is not None else False,
        "RER >= 1.0",
        np.where(grade.ne(modal_grade).to_numpy(), "other grade", ""),
    )
    keyed = pd.DataFrame(
        {"runner_id": lab["runner_id"].astype(str), "date": lab["date"], "reason": reason}
    )
    stages_per_day = keyed.groupby(["runner_id", "date"]).size().to_dict()
    left_out: dict[str, list] = {}
    counted = keyed.loc[keyed["reason"] != ""].groupby(["runner_id", "date", "reason"]).size()
    for (rid, date, why), n in counted.items():
        left_out.setdefault(rid, []).append((date, why, int(n)))
    # plain records per runner, by date: a federation has thousands of lab runners
    by_runner: dict[str, list[dict]] = {}
    for day in at_speed.sort_values(["runner_id", "date"], kind="stable").to_dict("records"):
        by_runner.setdefault(day["runner_id"], []).append(day)
    rows = {}
    for block in blocks.to_dict("records"):
        days = by_runner.get(str(block["runner_id"]))
        if days is None or pd.isna(block["block_start"]):
            continue
        row = _lab_row(block, days, stages_per_day, left_out, day_cv_pct)
        if row is not None:
            rows[block["runner_id"]] = row
    return rows


def _lab_row(
    block: Mapping,
    days: list[dict],
    stages_per_day: Mapping[tuple, int],
    left_out: Mapping[str, list],
    day_cv_pct: float,
) -> dict | None:
    """The ``lab`` row of one runner (see :func:`_lab_rows`), or None.

    ``days``: the runner's :func:`analysis.metrics.lab_economy_at_speed`
    records by date; ``stages_per_day``: ``(runner, date) -> stages``;
    ``left_out``: ``runner -> [(date, reason, stages)]``.
    """
    start = pd.Timestamp(block["block_start"])
    end = pd.Timestamp(block["block_end"])
    before = [d for d in days if d["date"] < start]
    after = [d for d in days if d["date"] >= start]
    if not before or not after:
        return None
    notes = [block["warning"]] if block.get("warning") else []
    pre = before[-1]
    late = [d for d in after if d["date"] >= end - LAB_POST_WINDOW]
    post = late[0] if late else after[-1]
    if not late:
        notes.append(
            f"no lab test in the last 2 weeks of the block: used the test of "
            f"{pd.Timestamp(post['date']):%Y-%m-%d}"
        )
    rid = str(block["runner_id"])
    n_pre, n_post = int(pre["n_stages"]), int(post["n_stages"])
    n_on_days = int(
        stages_per_day.get((rid, pre["date"]), 0) + stages_per_day.get((rid, post["date"]), 0)
    )
    ref_speed = float(pre["reference_speed_kmh"])
    row = {
        "runner_id": block["runner_id"],
        "group": block["group"],
        "method": LAB_METHOD,
        "block_start": block["block_start"],
        "block_end": block["block_end"],
        "n_baseline_runs": n_pre,
        "n_block_runs": n_post,
        "n_excluded_runs": max(n_on_days - n_pre - n_post, 0),
        "block_source": block["block_source"],
        "baseline_start": block["baseline_start"],
        "block_weeks": block["block_weeks"],
        "reference_temp_c": np.nan,
        "reference_gas_m_min": np.nan,
        "reference_speed_kmh": ref_speed,
        "lab_pre_date": pd.Timestamp(pre["date"]),
        "lab_post_date": pd.Timestamp(post["date"]),
        "params_defaulted": False,
        "excluded_reasons": _reasons(left_out, rid, (pre["date"], post["date"])),
    }
    row.update(_empty_numbers())
    cost_pre, cost_post = float(pre["o2_cost_ml_kg_km"]), float(post["o2_cost_ml_kg_km"])
    if not (np.isfinite(cost_pre) and np.isfinite(cost_post) and cost_pre > 0 and cost_post > 0):
        row["verdict"] = (
            "insufficient data: the pre and post lab tests share no submaximal speed "
            "(or a test has fewer than 2 submaximal stages)"
        )
        row["warning"] = "; ".join(n for n in notes if n)
        return row
    # Variance of log(post / pre): each day's stage noise at the interpolated
    # speed (residual SD / cost, n - 2 df; 0 below 3 stages) plus the
    # day-to-day CV of each test day (a documented constant: infinite df).
    stage_var, stage_df = [], []
    for day, cost in ((pre, cost_pre), (post, cost_post)):
        sd = float(day["residual_sd_ml_kg_km"])
        if np.isfinite(sd) and day["n_stages"] >= 3:
            stage_var.append((sd / cost) ** 2)
            stage_df.append(float(day["n_stages"] - 2))
    day_var = 2.0 * (day_cv_pct / 100.0) ** 2
    variances = [*stage_var, day_var]
    dfs = [*stage_df, math.inf]
    se = math.sqrt(sum(variances))
    row.update(
        {
            "baseline_o2_cost_ml_kg_km": cost_pre,
            "end_o2_cost_ml_kg_km": cost_post,
            "_b": math.log(cost_post / cost_pre),
            "_se": se,
            "_df": welch_df(variances, dfs),
            "typical_error_pct": float(100.0 * math.sqrt(np.mean(stage_var)))
            if stage_var
            else np.nan,
            "model_terms": "log(post / pre) at the reference speed",
            "se_method": (
                f"stage-to-stage noise of each test plus {day_cv_pct:g} % day-to-day "
                "variation per test day (Saunders et al. 2004); t, Welch-Satterthwaite df"
            ),
        }
    )
    row["warning"] = "; ".join(n for n in notes if n)
    return row


def _reasons(left_out: Mapping[str, list], runner_id: str, dates) -> str:
    """Stages of the two test days left out, by reason (``"RER >= 1.0: 2"``)."""
    counts: dict[str, int] = {}
    for date, reason, n in left_out.get(runner_id, ()):
        if date in dates:
            counts[reason] = counts.get(reason, 0) + int(n)
    return "; ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
