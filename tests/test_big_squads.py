"""The big squads' benchmark (benchmarks/big_squads.py) compares the time
course's two influence rules: its first rule must be the one of squads up to 8
strength runners, its second the default, and its table must count the squads
whose course was not the ramp."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis.models.prepare as prepare
from analysis.models.prepare import FULL_BLOCK, choose_course_from
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def big():
    return load_benchmark("big_squads")


def test_the_two_rules_are_one_runner_and_one_per_eight(big, monkeypatch):
    # 30 runners: two carry a plateau (3 units each), the rest gain 0.05
    gains = [3.0, 3.0] + [0.05] * 28
    per_runner = {
        FULL_BLOCK: {f"R{k}": -50.0 for k in range(30)},
        4.0: {f"R{k}": -50.0 + g for k, g in enumerate(gains)},
    }
    chosen = {}
    for rule, per in big.RULES.items():
        monkeypatch.setattr(prepare, "TIME_COURSE_RUNNERS_PER_LEFT_OUT", per)
        chosen[rule] = choose_course_from(per_runner)[0]
    assert chosen == {"one runner left out": 4.0, "one per 8 left out": FULL_BLOCK}
    assert big.RULES["one per 8 left out"] == 8


def test_the_table_counts_the_courses_and_the_strength_errors(big):
    rows = pd.DataFrame(
        {
            "squad": [0, 0, 1, 1, 2, 2],
            "plateau_weeks": [4.0, 4.0, np.nan, np.nan, np.nan, np.nan],
            "delay_weeks": [np.nan, np.nan, np.nan, np.nan, 4.0, 4.0],
            "o2_cost_change_pct": [-4.0, -3.0, -5.0, -4.0, -2.0, -3.0],
            "truth": [-4.0, -4.0, -4.0, -4.0, -4.0, -4.0],
            "ci_low_pct": [-6.0, -3.5, -7.0, -6.0, -3.0, -5.0],
            "ci_high_pct": [-2.0, -1.0, -3.0, -2.0, 0.0, -1.0],
        }
    )
    row = big.summarise(rows)
    assert (row["plateau"], row["late start"]) == (1, 1)
    err = 100 * (np.log1p(rows["o2_cost_change_pct"] / 100) - np.log1p(rows["truth"] / 100))
    assert row["bias_pp"] == f"{err.mean():+.2f}"
    assert row["mae_pp"] == f"{err.abs().mean():.2f}"
    assert row["coverage"] == f"{4 / 6:.2f}"  # -4 outside -3.5..-1 and -3..0
