"""The lab path: change in oxygen cost at a common reference speed between a pre- and a post-block treadmill test."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.metrics import lab_metrics
from analysis.models.field import _empty_numbers
from analysis.models.inference import pct_change, t_pvalue, t_quantile, verdict

LAB_METHOD = "lab"

LAB_POST_WINDOW = pd.Timedelta(weeks=2)
"""A lab test counts as the post-block test from ``block_end`` minus two weeks
on (tests are often done in the last week of a block)."""


def _lab_rows(blocks: pd.DataFrame, lab_tests: pd.DataFrame) -> dict[str, dict]:
    """The ``lab`` row of every runner with a test before and after the block start.

    Stages come from :func:`analysis.metrics.lab_metrics` (oxygen cost per
    stage; ``submaximal`` = RER < 1.0 or not measured). The pre test is the
    last test day before ``block_start``; the post test is the first test day
    from ``block_end`` - 2 weeks on, else the last test day after
    ``block_start`` (with a warning: a mid-block test). Stages with RER >= 1.0
    are not steady state (SCIENCE.md section 5) and stages at another grade
    than the runner's most common one are not comparable; both are left out
    and counted. On the stages of the two days, OLS of log oxygen cost on a
    post-test indicator and speed (a common slope; the speed term is dropped
    when every stage has the same speed): the indicator's coefficient is the
    change at any common speed, with its CI from the stage-to-stage residual
    variability (Student t, residual df; independent stages, since one test
    day gives no between-day variance). Baseline and end values are the
    fitted costs at the reference speed, the highest speed both tests cover
    with submaximal stages (as :func:`analysis.metrics.lab_economy_at_speed`),
    or the median stage speed with a warning when their ranges do not overlap.
    """
    if lab_tests is None or len(lab_tests) == 0:
        return {}
    wanted = set(blocks["runner_id"].astype(str))
    lab = lab_tests.loc[lab_tests["runner_id"].astype(str).isin(wanted)]
    lab = lab.loc[lab["date"].notna()]
    if lab.empty:
        return {}
    st = lab_metrics(lab)
    arrays = {
        "day": st["date"].to_numpy(dtype="datetime64[ns]"),
        "speed": st["speed_kmh"].to_numpy(dtype=float),
        "grade": st["grade_pct"].to_numpy(dtype=float),
        "cost": st["o2_cost_ml_kg_km"].to_numpy(dtype=float),
        "submaximal": st["submaximal"].to_numpy(dtype=bool),
    }
    groups = st.groupby(st["runner_id"].astype(str), sort=False).indices
    rows = {}
    for block in blocks.to_dict("records"):
        idx = groups.get(block["runner_id"])
        if idx is None or pd.isna(block["block_start"]):
            continue
        row = _lab_row(block, {k: v[idx] for k, v in arrays.items()})
        if row is not None:
            rows[block["runner_id"]] = row
    return rows


def _lab_row(block: Mapping, stages: Mapping[str, np.ndarray]) -> dict | None:
    """The ``lab`` row of one runner (see :func:`_lab_rows`), or None."""
    day = stages["day"]
    days = np.unique(day)
    start = np.datetime64(pd.Timestamp(block["block_start"]), "ns")
    end = np.datetime64(pd.Timestamp(block["block_end"]), "ns")
    before, after = days[days < start], days[days >= start]
    if len(before) == 0 or len(after) == 0:
        return None
    notes = [block["warning"]] if block.get("warning") else []
    pre = before[-1]
    late = after[after >= end - np.timedelta64(LAB_POST_WINDOW)]
    post = late[0] if len(late) else after[-1]
    if not len(late):
        notes.append(
            f"no lab test in the last 2 weeks of the block: used the test of "
            f"{pd.Timestamp(post):%Y-%m-%d}"
        )
    on_days = (day == pre) | (day == post)
    grade = stages["grade"][on_days]
    values, counts = np.unique(grade, return_counts=True)
    modal = values[np.argmax(counts)]
    reason = np.select(
        [
            ~stages["submaximal"],
            stages["grade"] != modal,
            ~(np.isfinite(stages["cost"]) & (stages["cost"] > 0)),
        ],
        ["RER >= 1.0", "other grade", "no oxygen cost"],
        default="",
    )
    reason = reason[on_days]
    keep = reason == ""
    is_post = (day[on_days] == post)[keep]
    speed = stages["speed"][on_days][keep]
    log_cost = np.log(stages["cost"][on_days][keep])
    n_pre, n_post = int((~is_post).sum()), int(is_post.sum())
    kinds, n_kind = np.unique(reason[~keep], return_counts=True)
    order = np.argsort(-n_kind, kind="stable")

    ref_speed = np.nan
    if n_pre and n_post:
        top = min(speed[~is_post].max(), speed[is_post].max())
        bottom = max(speed[~is_post].min(), speed[is_post].min())
        ref_speed = float(top)
        if top < bottom:
            ref_speed = float(np.median(speed))
            notes.append("the two tests share no stage speed: the change is extrapolated")
    row = {
        "runner_id": block["runner_id"],
        "group": block["group"],
        "method": LAB_METHOD,
        "block_start": block["block_start"],
        "block_end": block["block_end"],
        "n_baseline_runs": n_pre,
        "n_block_runs": n_post,
        "n_excluded_runs": int((~keep).sum()),
        "block_source": block["block_source"],
        "baseline_start": block["baseline_start"],
        "block_weeks": block["block_weeks"],
        "reference_temp_c": np.nan,
        "reference_gas_m_min": np.nan,
        "reference_speed_kmh": ref_speed,
        "lab_pre_date": pd.Timestamp(pre),
        "lab_post_date": pd.Timestamp(post),
        "params_defaulted": False,
        "excluded_reasons": "; ".join(f"{kinds[j]}: {n_kind[j]}" for j in order),
    }
    row.update(_empty_numbers())
    columns = [np.ones(len(speed)), is_post.astype(float)]
    terms = ["post"]
    if len(speed) and np.ptp(speed) > 1e-9:
        columns.append(speed - ref_speed)
        terms.append("speed_kmh_dev")
    X = np.column_stack(columns)
    if n_pre < 2 or n_post < 2 or len(speed) - X.shape[1] < 1:
        row["verdict"] = (
            f"insufficient data: {n_pre} steady lab stages before and {n_post} after "
            "(need 2 in each and one more than the model terms)"
        )
        row["warning"] = "; ".join(n for n in notes if n)
        return row
    result = sm.OLS(log_cost, X).fit(use_t=True)
    b, se, df = float(result.params[1]), float(result.bse[1]), float(result.df_resid)
    tcrit = t_quantile(df)
    baseline = float(np.exp(result.params[0]))
    row.update(
        {
            "baseline_o2_cost_ml_kg_km": baseline,
            "end_o2_cost_ml_kg_km": baseline * float(np.exp(b)),
            "o2_cost_change_pct": float(pct_change(b)),
            "ci_low_pct": float(pct_change(b - tcrit * se)),
            "ci_high_pct": float(pct_change(b + tcrit * se)),
            "p_value": t_pvalue(b / se, df),
            "typical_error_pct": float(100.0 * np.sqrt(result.scale)),
            "model_terms": " + ".join(["1", *terms]),
            "se_method": (
                f"OLS on lab stages; t, {df:g} df (stage-to-stage noise only: "
                "day-to-day variation is not in the CI)"
            ),
        }
    )
    row["verdict"] = verdict(row["ci_low_pct"], row["ci_high_pct"])
    row["warning"] = "; ".join(n for n in notes if n)
    return row
