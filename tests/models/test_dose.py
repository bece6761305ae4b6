"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.io.dataset import Dataset
from analysis.models import (
    DOSE_COLUMNS,
    analyze,
    dose_response,
    runner_doses,
)
from analysis.simulate import DOSE_REF_SESSIONS_PER_WEEK
from tests.models._support_models import _squad


def test_runner_doses_counts_sessions_and_volume_per_block_week():
    strength = pd.DataFrame(
        {
            "runner_id": ["S1"] * 4 + ["S1"],
            "date": pd.to_datetime(
                ["2026-02-16", "2026-02-16", "2026-02-19", "2026-03-02", "2026-06-01"]
            ),
            "exercise": ["back squat", "box jumps", "back squat", "burpees", "back squat"],
            "sets": [3, 3, 4, 2, 3],
            "reps": [5, 6, 5, 10, 5],
            "load_kg": [100.0, np.nan, 100.0, np.nan, 100.0],
            "category": pd.Categorical(["heavy", "plyometric", "heavy", "plyometric", "heavy"]),
        }
    )
    blocks = pd.DataFrame(
        {
            "runner_id": ["S1", "C1"],
            "group": ["strength", "control"],
            "block_source": ["blocks.csv", "squad (control)"],
            "block_start": pd.to_datetime(["2026-02-16"] * 2),
            "block_end": pd.to_datetime(["2026-04-26"] * 2),
            "block_weeks": [10.0, 10.0],
        }
    )
    ds = Dataset(
        path=Path("."),
        runners=pd.DataFrame({"runner_id": ["S1", "C1"]}),
        runs=pd.DataFrame(),
        strength=strength,
        blocks=pd.DataFrame(),
        lab_tests=pd.DataFrame(),
        quarantine=pd.DataFrame(),
    )
    out = runner_doses(ds, blocks=blocks).set_index("runner_id")
    # Three sessions inside the block (16 Feb, 19 Feb, 2 Mar); 1 June is after it.
    assert out.loc["S1", "sessions"] == 3
    assert out.loc["S1", "sessions_per_week"] == pytest.approx(0.3)
    assert out.loc["S1", "sessions_per_week_heavy"] == pytest.approx(0.2)
    assert out.loc["S1", "sessions_per_week_plyometric"] == pytest.approx(0.2)
    # 3x5x100 + 4x5x100 kg of squats; body-weight jumps add no load.
    assert out.loc["S1", "volume_load_kg_per_week"] == pytest.approx(350.0)
    assert out.loc["S1", "volume_load_kg_per_week_heavy"] == pytest.approx(350.0)
    assert out.loc["C1", "sessions_per_week"] == 0.0


@pytest.mark.slow
def test_dose_response_recovers_the_simulated_slope(tmp_path):
    # Over seeds 11-30 this CI covered the simulated slope in 19 of 20 squads.
    ds, truth = _squad(tmp_path, "dose", n_runners=240, seed=13, lab_tests=False)
    per = analyze(ds)
    out = dose_response(ds, per).set_index("dose")
    assert list(out.reset_index().columns) == list(DOSE_COLUMNS)
    row = out.loc["sessions_per_week"]
    # Simulator: effect x (0.5 + 0.5 spw / 2.2) with a -4 % mean effect.
    true_slope = -4.0 * 0.5 / DOSE_REF_SESSIONS_PER_WEEK
    assert row["ci_low_pct"] <= true_slope <= row["ci_high_pct"]
    assert row["ci_high_pct"] < 0
    assert row["n_runners"] == 120
    doses = runner_doses(ds).set_index("runner_id")
    spw = truth.set_index("runner_id")["strength_sessions_per_week"]
    strength = truth.loc[truth["group"] == "strength", "runner_id"]
    np.testing.assert_allclose(
        doses.loc[strength, "sessions_per_week"], spw.loc[strength], atol=0.05
    )


def test_dose_response_needs_runners_and_variation():
    per = pd.DataFrame(
        {
            "runner_id": ["A", "B"],
            "method": ["field_hr"] * 2,
            "own_change_pct": [-3.0, -4.0],
            "own_ci_low_pct": [-5.0, -6.0],
            "own_ci_high_pct": [-1.0, -2.0],
        }
    )
    doses = pd.DataFrame(
        {
            "runner_id": ["A", "B"],
            "group": ["strength"] * 2,
            "block_source": ["blocks.csv"] * 2,
            **{c: [1.0, 2.0] for c in ("sessions_per_week", "volume_load_kg_per_week")},
            **{
                f"{k}_{c}": [0.0, 0.0]
                for k in ("sessions_per_week", "volume_load_kg_per_week")
                for c in ("heavy", "explosive", "plyometric")
            },
        }
    )
    out = dose_response(None, per, doses=doses)
    assert out["slope_pct"].isna().all()
    assert out["note"].str.contains("2 strength runners with an estimate: need 3").all()


def _dose_frames(ids, change, se, sessions, volume_kg, heavy):
    z = 1.959963984540054
    per = pd.DataFrame(
        {
            "runner_id": [*ids, "K", "U", "N", "Z", "A", "A"],
            "block": [1] * (len(ids) + 5) + [2],
            "method": ["field_hr"] * (len(ids) + 4) + ["lab", "field_hr"],
            "own_change_pct": [*change, 9.0, 9.0, np.nan, 9.0, 9.0, 9.0],
            "own_ci_low_pct": [*(change - z * se), 8.0, 8.0, np.nan, -np.inf, 8.0, 8.0],
            "own_ci_high_pct": [*(change + z * se), 10.0, 10.0, np.nan, np.inf, 10.0, 10.0],
        }
    )
    # the pooled headline, all but flat across the group: the slope is fitted on
    # each runner's own change, not on it
    per["o2_cost_change_pct"] = -3.0 + 0.01 * np.arange(len(per))
    per["ci_low_pct"], per["ci_high_pct"] = (
        per["o2_cost_change_pct"] - 1,
        per["o2_cost_change_pct"] + 1,
    )
    n = len(ids)
    doses = pd.DataFrame(
        {
            "runner_id": [*ids, "K", "U", "N", "Z"],
            "group": ["strength"] * n + ["Control ", "strength", "strength", "strength"],
            "block_source": ["blocks.csv"] * (n - 1)
            + ["inferred", "blocks.csv", "none", "blocks.csv", "blocks.csv"],
            "sessions_per_week": [*sessions, 9.0, 9.0, 9.0, 9.0],
            "volume_load_kg_per_week": [*volume_kg, 9e3, 9e3, 9e3, 9e3],
            "sessions_per_week_heavy": [*heavy, 0.0, 0.0, 0.0, 0.0],
            **{
                f"{k}_{c}": [0.0] * (n + 4)
                for k in ("sessions_per_week", "volume_load_kg_per_week")
                for c in ("heavy", "explosive", "plyometric")
                if f"{k}_{c}" != "sessions_per_week_heavy"
            },
        }
    )
    return per, doses


def test_dose_response_slope_is_weighted_least_squares_by_hand():
    """Five strength runners with a change and a 95 % CI each (SE = half-width / 1.96)
    and a dose; beside them a control and a runner whose block source does not
    count, a runner without an estimate, one with an infinite interval, a lab row
    and a second block, none of which enter. The slope, its t(n - 2) interval
    and p-value from the WLS formulas with the residual scale estimated:
    b = Sxy / Sxx (weighted, centred), s^2 = sum w r^2 / (n - 2), SE(b) = sqrt(s^2 / Sxx)."""
    ids = ["A", "B", "C", "D", "E"]
    change = np.array([-1.0, -2.5, -2.0, -4.5, -5.0])
    se = np.array([1.0, 0.8, 1.5, 1.2, 2.0])
    sessions = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    volume_kg = np.array([800.0, 1500.0, 1200.0, 3000.0, 2600.0])
    heavy = np.array([0.1, 0.3, 0.2, 0.5, 0.4])  # a spread below 1 session/week
    per, doses = _dose_frames(ids, change, se, sessions, volume_kg, heavy)
    out = dose_response(None, per, doses=doses).set_index("dose")
    w = 1 / se**2
    for dose, x in (
        ("sessions_per_week", sessions),
        ("volume_load_kg_per_week", volume_kg / 1000),
        ("sessions_per_week_heavy", heavy),
    ):
        xm, ym = (w * x).sum() / w.sum(), (w * change).sum() / w.sum()
        sxx = (w * (x - xm) ** 2).sum()
        b = (w * (x - xm) * (change - ym)).sum() / sxx
        resid = change - ym - b * (x - xm)
        s2 = (w * resid**2).sum() / 3
        se_b = np.sqrt(s2 / sxx)
        tcrit = 3.182446305284263  # t_0.975 with 3 df
        row = out.loc[dose]
        assert row["n_runners"] == 5
        assert row["note"] == ""
        assert row["slope_pct"] == pytest.approx(b, rel=1e-6)
        assert row["ci_low_pct"] == pytest.approx(b - tcrit * se_b, rel=1e-6)
        assert row["ci_high_pct"] == pytest.approx(b + tcrit * se_b, rel=1e-6)
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(b / se_b), 3), rel=1e-6)
    steps = [(d, out.loc[d, "dose_step"], out.loc[d, "dose_unit"]) for d in out.index]
    assert steps == [
        ("sessions_per_week", 1.0, "session/week"),
        ("volume_load_kg_per_week", 1000.0, "kg/week"),
        *(
            (f"sessions_per_week_{c}", 1.0, "session/week")
            for c in ("heavy", "explosive", "plyometric")
        ),
        *(
            (f"volume_load_kg_per_week_{c}", 1000.0, "kg/week")
            for c in ("heavy", "explosive", "plyometric")
        ),
    ]
    assert (
        out["method"]
        == "WLS across runners, weights 1/SE^2 of each change, scale estimated; t, n-2 df"
    ).all()
    flat = out.loc["sessions_per_week_explosive"]
    assert (
        np.isnan(flat["slope_pct"]) and flat["note"] == "no variation in this dose across runners"
    )
    # three runners are enough (1 df); two are not
    per, doses = _dose_frames(ids[:3], change[:3], se[:3], sessions[:3], volume_kg[:3], heavy[:3])
    three = dose_response(None, per, doses=doses)
    assert np.isfinite(three.set_index("dose").loc["sessions_per_week", "slope_pct"])
    per, doses = _dose_frames(ids[:2], change[:2], se[:2], sessions[:2], volume_kg[:2], heavy[:2])
    two = dose_response(None, per, doses=doses)
    assert (two["note"] == "2 strength runners with an estimate: need 3").all()


def test_runner_doses_count_the_week_that_starts_on_the_last_day():
    """A block ending on a Monday: that ISO week overlaps the block, so its session
    counts; the frame has the documented columns and a plain index."""
    strength = pd.DataFrame(
        {
            "runner_id": ["S1", "S1"],
            "date": pd.to_datetime(["2026-02-16", "2026-03-02"]),  # Monday, Monday
            "exercise": ["back squat", "back squat"],
            "sets": [3, 3],
            "reps": [5, 5],
            "load_kg": [100.0, 100.0],
            "category": pd.Categorical(["heavy", "heavy"]),
        }
    )
    blocks = pd.DataFrame(
        {
            "runner_id": ["S1"],
            "group": ["strength"],
            "block_source": ["blocks.csv"],
            "block_start": pd.to_datetime(["2026-02-16"]),
            "block_end": pd.to_datetime(["2026-03-02"]),
            "block_weeks": [2.0],
        }
    )
    ds = Dataset(
        path=Path("."),
        runners=pd.DataFrame({"runner_id": ["S1"]}),
        runs=pd.DataFrame(),
        strength=strength,
        blocks=pd.DataFrame(),
        lab_tests=pd.DataFrame(),
        quarantine=pd.DataFrame(),
    )
    out = runner_doses(ds, blocks=blocks)
    assert out.loc[0, "sessions"] == 2
    assert out.loc[0, "volume_load_kg_per_week"] == pytest.approx(2 * 3 * 5 * 100.0 / 2)
    assert out.loc[0, "repetitions_per_week"] == pytest.approx(2 * 3 * 5 / 2)
    assert list(out.columns) == [
        "runner_id",
        "group",
        "block_source",
        "block_weeks",
        "sessions",
        "sessions_per_week",
        "volume_load_kg_per_week",
        *(f"sessions_per_week_{c}" for c in ("heavy", "explosive", "plyometric")),
        *(f"volume_load_kg_per_week_{c}" for c in ("heavy", "explosive", "plyometric")),
        "repetitions_per_week",
    ]
