"""A long gap without runs late in the block is named in the runner's warning
(analysis.models.field.break_note): heart rate after a break reads as worse economy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.io import load_dataset
from analysis.models import analyze
from analysis.models.field import BREAK_LATE_DAYS, BREAK_NOTE_DAYS, _block_gaps, break_note
from analysis.simulate import simulate_squad


def test_the_note_names_the_gap_from_its_threshold_on():
    assert break_note(BREAK_NOTE_DAYS - 1, "2025-04-01", "2025-04-10") == ""
    assert break_note(np.nan, None, None) == ""
    text = break_note(BREAK_NOTE_DAYS, "2025-04-01", "2025-04-11")
    assert text.startswith("10 days from one run to the next (2025-04-01 to 2025-04-11)")
    assert "Mujika & Padilla 2000" in text


def _prep(dates, block_start="2025-03-01", block_end="2025-05-09"):
    return pd.DataFrame(
        {
            "runner_id": "A",
            "date": pd.to_datetime(dates),
            "block_start": pd.Timestamp(block_start),
            "block_end": pd.Timestamp(block_end),
            "in_window": True,
        }
    )


def test_only_the_longest_gap_that_ends_late_in_the_block_counts():
    early = ["2025-02-20", "2025-03-02", "2025-03-20", "2025-04-15", "2025-04-20"]
    gaps = _block_gaps(_prep(early))
    # 2025-03-20 -> 04-15 (26 days) ends 24 days before the block's end: late
    assert gaps.loc["A", "gap_days"] == 26
    assert gaps.loc["A", "gap_start"] == pd.Timestamp("2025-03-20")
    # a gap that ended more than BREAK_LATE_DAYS before the end is not counted
    end = pd.Timestamp("2025-05-09")
    first = end - pd.Timedelta(days=BREAK_LATE_DAYS + 20)
    back = end - pd.Timedelta(days=BREAK_LATE_DAYS + 1)
    daily = pd.date_range(back, end, freq="2D")
    gaps = _block_gaps(_prep([first, *daily]))
    assert gaps.empty or gaps.loc["A", "gap_days"] <= 2
    # the gap between the baseline and the block's first run ends on the block's
    # first day or before it: not a break in the block
    assert _block_gaps(_prep(["2025-02-01", "2025-03-01", "2025-03-03"])).empty


def test_a_runner_who_stopped_late_in_the_block_is_warned_and_no_other(tmp_path):
    folder = simulate_squad(tmp_path / "squad", n_runners=8, seed=5, lab_tests=False)
    runs = pd.read_csv(folder / "runs.csv")
    truth = pd.read_csv(folder / "truth.csv")
    ill = truth.loc[truth["group"] == "strength", "runner_id"].iloc[0]
    end = pd.Timestamp(truth.loc[truth["runner_id"] == ill, "block_end"].iloc[0])
    day = pd.to_datetime(runs["date"]).dt.normalize()
    away = (runs["runner_id"] == ill) & (day > end - pd.Timedelta(days=30))
    away &= day <= end - pd.Timedelta(days=15)
    runs.loc[~away].to_csv(folder / "runs.csv", index=False)
    field = analyze(load_dataset(folder)).query("method == 'field_hr'").set_index("runner_id")
    warned = field["warning"].fillna("").str.contains("days from one run to the next")
    assert warned[ill]
    assert not warned.drop(index=ill).any()
    assert "late in the block" in field.loc[ill, "warning"]
