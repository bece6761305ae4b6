"""Blocks: explicit, inferred from the strength log, and the squad block for controls."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.blocks import (
    BLOCK_COLUMNS,
    LATER_BLOCK_COLUMNS,
    Logged,
    infer_blocks,
    later_blocks,
    runner_blocks,
)
from analysis.io.dataset import Dataset, group_labels
from analysis.io.summary import validation_summary


def _dataset(runners, strength=(), blocks=(), runs=()) -> Dataset:
    """A hand-built Dataset with only the columns the block logic reads (``runs``:
    ``(runner_id, date)`` pairs)."""
    strength = pd.DataFrame(list(strength), columns=["runner_id", "date", "exercise"])
    strength["date"] = pd.to_datetime(strength["date"])
    blocks = pd.DataFrame(list(blocks), columns=["runner_id", "block_start", "block_end"])
    for col in ("block_start", "block_end"):
        blocks[col] = pd.to_datetime(blocks[col])
    empty = pd.DataFrame({"runner_id": pd.Series(dtype=object)})
    runs = pd.DataFrame(list(runs), columns=["runner_id", "date"])
    runs["date"] = pd.to_datetime(runs["date"])
    return Dataset(
        path=Path("."),
        runners=pd.DataFrame(runners),
        runs=runs,
        strength=strength,
        blocks=blocks,
        lab_tests=empty,
        quarantine=pd.DataFrame(columns=["file", "line", "column", "value", "reason", "runner_id"]),
    )


def _sessions(runner_id, first_monday, weeks, weekdays=(0, 3)):
    """Strength rows on the given weekdays of the given week offsets."""
    start = pd.Timestamp(first_monday)
    return [
        (runner_id, start + pd.Timedelta(weeks=w, days=d), "squat") for w in weeks for d in weekdays
    ]


def test_inferred_block_spans_first_session_to_end_of_last_week():
    # Sessions Tue/Fri of weeks 0-9 starting Monday 2026-02-16.
    rows = _sessions("R1", "2026-02-16", range(10), weekdays=(1, 4))
    out = infer_blocks(_dataset([{"runner_id": "R1"}], rows).strength)
    assert out.loc[0, "block_start"] == pd.Timestamp("2026-02-17")  # first session (Tuesday)
    assert out.loc[0, "block_end"] == pd.Timestamp("2026-04-26")  # Sunday of week 9
    assert out.loc[0, "n_session_weeks"] == 10
    assert out.loc[0, "n_sessions"] == 20


def test_mobility_alone_is_not_a_strength_block():
    # R1 foam-rolls every week all season and lifts in weeks 4-13; R2 only foam-rolls.
    rolling = [
        (r, pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w), "foam rolling")
        for r in ("R1", "R2")
        for w in range(16)
    ]
    lifting = _sessions("R1", "2026-02-02", range(10))
    ds = _dataset([{"runner_id": "R1"}, {"runner_id": "R2"}], rolling + lifting)
    strength = ds.strength.assign(
        category=["mobility"] * len(rolling) + ["bodyweight_strength"] * len(lifting)
    )
    out = infer_blocks(strength).set_index("runner_id")
    assert list(out.index) == ["R1"]
    assert out.loc["R1", "block_start"] == pd.Timestamp("2026-02-02")
    assert out.loc["R1", "block_end"] == pd.Timestamp("2026-04-12")


def test_one_empty_week_is_bridged_two_are_not():
    weeks = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10]  # week 3 empty: one block of 11 weeks
    one_gap = _sessions("R1", "2026-01-05", weeks)
    # Two empty weeks (5, 6) split R2's log into weeks 0-4 and 7-15; the longer one wins.
    two_gaps = _sessions("R2", "2026-01-05", [0, 1, 2, 3, 4, *range(7, 16)])
    out = infer_blocks(
        _dataset([{"runner_id": "R1"}, {"runner_id": "R2"}], one_gap + two_gaps).strength
    )
    out = out.set_index("runner_id")
    assert out.loc["R1", "block_start"] == pd.Timestamp("2026-01-05")
    assert out.loc["R1", "block_end"] == pd.Timestamp("2026-03-22")  # Sunday of week 10
    assert out.loc["R2", "block_start"] == pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=7)
    assert out.loc["R2", "n_session_weeks"] == 9


def test_tie_between_equal_runs_goes_to_more_session_weeks_then_earliest():
    # Runs of equal span (3 weeks): weeks 0,2 (gap bridged, 2 session weeks) vs 6,7,8 (3).
    tie_by_weeks = _sessions("R1", "2026-01-05", [0, 2, 6, 7, 8])
    # Two identical 2-week runs: weeks 0-1 and 5-6: the earliest wins.
    tie_by_date = _sessions("R2", "2026-01-05", [0, 1, 5, 6])
    out = infer_blocks(
        _dataset([{"runner_id": "R1"}, {"runner_id": "R2"}], tie_by_weeks + tie_by_date).strength
    ).set_index("runner_id")
    assert out.loc["R1", "block_start"] == pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=6)
    assert out.loc["R2", "block_start"] == pd.Timestamp("2026-01-05")


def test_runner_blocks_sources_groups_and_squad_block_for_controls():
    runners = [
        {"runner_id": "S1", "group": "strength"},
        {"runner_id": "S2", "group": None},
        {"runner_id": "C1", "group": "control"},
        {"runner_id": "C2", "group": None},
        {"runner_id": "S3", "group": "strength"},
    ]
    strength = _sessions("S2", "2026-02-02", range(10)) + _sessions("C1", "2026-03-02", [0])
    blocks = [("S1", "2026-02-16", "2026-04-26")]
    out = runner_blocks(_dataset(runners, strength, blocks)).set_index("runner_id")
    assert list(out.reset_index().columns) == list(BLOCK_COLUMNS)
    assert out.loc["S1", "block_source"] == "blocks.csv"
    assert out.loc["S2", "block_source"] == "inferred"
    assert out.loc["S2", "group"] == "strength"  # no label, own block
    assert out.loc["C2", "group"] == "control"  # no label, no block
    # Controls get the squad block: earliest start to latest end.
    for rid in ("C1", "C2"):
        assert out.loc[rid, "block_source"] == "squad (control)"
        assert out.loc[rid, "block_start"] == pd.Timestamp("2026-02-02")
        assert out.loc[rid, "block_end"] == pd.Timestamp("2026-04-26")
    # C1 is labelled control: its stray session does not make a block, and it is said.
    assert "strength session(s) in strength.csv set aside" in out.loc["C1", "warning"]
    assert out.loc["S1", "baseline_start"] == pd.Timestamp("2026-01-05")  # 6 weeks before
    assert out.loc["S1", "block_weeks"] == 10.0
    assert out.loc["S1", "warning"] == ""
    # Labelled strength without any block: analysed over the squad block, and said so.
    assert out.loc["S3", "block_source"] == "squad (control)"
    assert out.loc["S3", "group"] == "strength"
    assert "group is strength but neither blocks.csv nor strength.csv" in out.loc["S3", "warning"]


def test_baseline_weeks_and_length_warning():
    runners = [{"runner_id": "S1", "group": "strength"}]
    blocks = [("S1", "2026-02-16", "2026-03-15")]  # 4 weeks
    out = runner_blocks(_dataset(runners, blocks=blocks), baseline_weeks=4).iloc[0]
    assert out["baseline_start"] == pd.Timestamp("2026-01-19")
    assert out["block_weeks"] == 4.0
    assert out["warning"] == "block of 4 weeks is outside the typical 8-12 weeks"


def test_the_earliest_explicit_block_is_block_1_and_the_next_a_later_block():
    runners = [{"runner_id": "S1"}]
    blocks = [("S1", "2026-06-08", "2026-08-16"), ("S1", "2026-02-16", "2026-04-26")]
    ds = _dataset(runners, blocks=blocks)
    out = runner_blocks(ds).iloc[0]
    assert out["block_start"] == pd.Timestamp("2026-02-16") and out["block"] == 1
    assert out["warning"] == ""  # no "only the first is analysed" any more
    later = later_blocks(ds).iloc[0]
    assert later["block"] == 2 and later["block_start"] == pd.Timestamp("2026-06-08")
    assert later["baseline_start"] == pd.Timestamp("2026-04-27")  # 6 weeks, clear of block 1
    assert later["previous_block_end"] == pd.Timestamp("2026-04-26")
    assert later["problem"] == "" and later["warning"] == ""


def test_no_blocks_anywhere_gives_source_none_and_empty_dates():
    out = runner_blocks(_dataset([{"runner_id": "A"}, {"runner_id": "B"}]))
    assert (out["block_source"] == "none").all()
    assert out["block_start"].isna().all() and out["block_end"].isna().all()
    assert (out["group"] == "control").all()


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_baseline_weeks_must_be_positive_integer(bad):
    with pytest.raises(
        (ValueError, TypeError), match="'baseline_weeks' parameter of runner_blocks"
    ):
        runner_blocks(_dataset([{"runner_id": "A"}]), baseline_weeks=bad)


def test_inference_is_vectorised_over_a_large_squad():
    rng = np.random.default_rng(1)
    rows = []
    for i in range(1000):
        start = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=int(rng.integers(0, 6)))
        rows += _sessions(f"R{i}", start, range(10))
    ds = _dataset([{"runner_id": f"R{i}"} for i in range(1000)], rows)
    out = runner_blocks(ds)  # its speed is measured by benchmarks, not asserted here
    assert (out["block_source"] == "inferred").all()
    assert (out["block_weeks"] == 10.0).all()


def test_blocks_of_a_simulated_squad_match_its_truth(tmp_path):
    from analysis.io import load_dataset
    from analysis.simulate import simulate_squad

    folder = simulate_squad(tmp_path / "sq", n_runners=16, seed=5, lab_tests=False)
    truth = pd.read_csv(folder / "truth.csv").set_index("runner_id")
    out = runner_blocks(load_dataset(folder)).set_index("runner_id")
    assert (truth["block_source"] == "inferred").sum() >= 1
    assert (out["block_source"] == truth["block_source"]).all()
    assert (out["group"] == truth["group"]).all()
    assert (out["block_start"] == pd.to_datetime(truth["block_start"])).all()
    assert (out["block_end"] == pd.to_datetime(truth["block_end"])).all()
    assert (out["block_weeks"] == 10.0).all()
    assert (out["baseline_start"] == pd.Timestamp("2026-01-05")).all()


# --------------------------------------------------------------------------
# infer_blocks: longest span, empty logs, output shape
# --------------------------------------------------------------------------


def test_longest_span_beats_more_session_weeks():
    # Weeks 0, 2, 4, 6 (gaps of one week bridged): span 7 weeks, 4 session weeks.
    # Weeks 10-14: span 5 weeks, 5 session weeks. The longer span wins.
    rows = _sessions("R1", "2026-01-05", [0, 2, 4, 6, 10, 11, 12, 13, 14], weekdays=(0,))
    out = infer_blocks(_dataset([{"runner_id": "R1"}], rows).strength)
    assert out.loc[0, "block_start"] == pd.Timestamp("2026-01-05")
    assert out.loc[0, "block_end"] == pd.Timestamp("2026-02-22")  # Sunday of week 6
    assert out.loc[0, "n_session_weeks"] == 4 and out.loc[0, "n_sessions"] == 4


def test_infer_blocks_rows_sorted_by_runner_with_only_the_documented_columns():
    rows = _sessions("R2", "2026-01-05", range(3)) + _sessions("R1", "2026-01-12", range(3))
    out = infer_blocks(_dataset([{"runner_id": "R2"}, {"runner_id": "R1"}], rows).strength)
    assert list(out.columns) == [
        "runner_id",
        "block_start",
        "block_end",
        "n_session_weeks",
        "n_sessions",
    ]
    assert list(out["runner_id"]) == ["R1", "R2"]
    assert list(out.index) == [0, 1]


def test_infer_blocks_without_dated_strength_work_is_empty_and_typed():
    strength = pd.DataFrame(
        {
            "runner_id": ["R1", "R2"],
            "date": pd.to_datetime(["2026-01-05", None]),
            "exercise": ["foam rolling", "squat"],
            "category": ["mobility", "heavy"],  # R2's squat has no date
        }
    )
    out = infer_blocks(strength)
    assert len(out) == 0
    assert out["runner_id"].dtype == object
    assert pd.api.types.is_datetime64_dtype(out["block_start"])
    assert pd.api.types.is_datetime64_dtype(out["block_end"])
    assert out["n_session_weeks"].dtype == "int64" and out["n_sessions"].dtype == "int64"


# --------------------------------------------------------------------------
# blocks.csv rows: validity, notes, ids, times of day
# --------------------------------------------------------------------------


def test_invalid_blocks_csv_rows_are_ignored_and_counted():
    runners = [{"runner_id": r} for r in ("A", "B", "C", "D")]
    blocks = [
        ("A", "2026-04-26", "2026-02-16"),  # end before start
        ("B", "2026-02-16", None),  # no end
        ("C", None, "2026-04-26"),  # no start
        ("C", "2026-02-16", "2026-04-26"),
        ("D", "2026-02-16", "2026-02-16"),  # a one-day block is valid
    ]
    out = runner_blocks(_dataset(runners, blocks=blocks)).set_index("runner_id")
    ignored = "blocks.csv: 1 row(s) with block_end before block_start or a missing date ignored"
    assert out.loc["A", "block_source"] == "squad (control)"
    assert out.loc["A", "warning"].startswith(ignored)
    assert out.loc["B", "block_source"] == "squad (control)"
    assert out.loc["B", "warning"].startswith(ignored)
    assert out.loc["C", "block_source"] == "blocks.csv"
    assert out.loc["C", "block_start"] == pd.Timestamp("2026-02-16")
    assert out.loc["C", "warning"] == ignored
    assert out.loc["D", "block_source"] == "blocks.csv"
    assert out.loc["D", "block_end"] == pd.Timestamp("2026-02-16")
    # 1 day / 7 = 0.142857 -> 0.1 weeks
    assert out.loc["D", "block_weeks"] == 0.1
    assert out.loc["D", "warning"] == "block of 0.1 weeks is outside the typical 8-12 weeks"


def test_blocks_csv_notes_of_one_runner_are_joined_and_others_have_none():
    runners = [{"runner_id": "S1"}, {"runner_id": "S2"}]
    blocks = [
        ("S1", "2026-06-01", "2026-08-09"),
        ("S1", "2026-02-16", "2026-04-26"),
        ("S1", "2026-05-01", "2026-04-01"),  # end before start
        ("S2", "2026-02-16", "2026-04-26"),
    ]
    out = runner_blocks(_dataset(runners, blocks=blocks)).set_index("runner_id")
    assert out.loc["S1", "warning"] == (
        "blocks.csv: 1 row(s) with block_end before block_start or a missing date ignored"
    )
    assert out.loc["S2", "warning"] == ""
    assert out.loc["S2", "block_weeks"] == 10.0  # 70 days


def test_numeric_runner_ids_match_between_runners_and_blocks():
    runners = pd.DataFrame({"runner_id": [101, 102]})
    blocks = pd.DataFrame(
        {
            "runner_id": [102],
            "block_start": pd.to_datetime(["2026-02-16"]),
            "block_end": pd.to_datetime(["2026-04-26"]),
        }
    )
    ds = dataclasses.replace(_dataset([{"runner_id": "x"}]), runners=runners, blocks=blocks)
    out = runner_blocks(ds).set_index("runner_id")
    assert out.loc["102", "block_source"] == "blocks.csv"
    assert out.loc["101", "block_source"] == "squad (control)"


def test_blocks_csv_times_of_day_are_dropped():
    runners = [{"runner_id": "S1"}]
    blocks = [("S1", "2026-02-16 18:30", "2026-04-26 07:00")]
    out = runner_blocks(_dataset(runners, blocks=blocks)).iloc[0]
    assert out["block_start"] == pd.Timestamp("2026-02-16")
    assert out["block_end"] == pd.Timestamp("2026-04-26")
    assert out["block_weeks"] == 10.0  # 16 Feb to 26 Apr inclusive: 70 days


# --------------------------------------------------------------------------
# runner_blocks: lengths, warnings, baseline
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "end, weeks, warning",
    [
        # from Monday 2026-02-16: 55 days = 7.857 -> 7.9 weeks, just short of 8
        ("2026-04-11", 7.9, "block of 7.9 weeks is outside the typical 8-12 weeks"),
        ("2026-04-12", 8.0, ""),  # 56 days
        ("2026-04-22", 9.4, ""),  # 66 days = 9.4286 weeks, shown to one decimal
        ("2026-05-10", 12.0, ""),  # 84 days
        ("2026-05-11", 12.1, "block of 12.1 weeks is outside the typical 8-12 weeks"),  # 85
    ],
)
def test_block_length_and_the_typical_range_boundaries(end, weeks, warning):
    runners = [{"runner_id": "S1"}]
    out = runner_blocks(_dataset(runners, blocks=[("S1", "2026-02-16", end)])).iloc[0]
    assert out["block_weeks"] == weeks
    assert out["warning"] == warning


def test_baseline_of_one_week_is_allowed():
    runners = [{"runner_id": "S1"}]
    blocks = [("S1", "2026-02-16", "2026-04-26")]
    out = runner_blocks(_dataset(runners, blocks=blocks), baseline_weeks=1).iloc[0]
    assert out["baseline_start"] == pd.Timestamp("2026-02-09")  # 7 days before


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_baseline_weeks_message(bad, error):
    with pytest.raises(
        error,
        match=r"^The 'baseline_weeks' parameter of runner_blocks must be a positive integer\. "
        rf"Got {bad!r} instead\.$",
    ):
        runner_blocks(_dataset([{"runner_id": "A"}]), baseline_weeks=bad)


def test_runner_blocks_warnings_word_for_word():
    runners = [
        {"runner_id": "S2", "group": None},
        {"runner_id": "C1", "group": "control"},
        {"runner_id": "C3", "group": "Control "},
        {"runner_id": "S3", "group": "strength"},
    ]
    strength = _sessions("S2", "2026-02-02", range(10)) + _sessions("C1", "2026-03-02", [0])
    out = runner_blocks(_dataset(runners, strength)).set_index("runner_id")
    assert out.loc["S2", "warning"] == ""  # inferred 10-week block, nothing to say
    # C1's two sessions (Monday and Thursday of one week) are set aside
    assert out.loc["C1", "warning"] == (
        "group is control: 2 strength session(s) in strength.csv set aside, squad block used"
    )
    assert out.loc["C3", "warning"] == ""  # labelled control, no sessions: nothing to say
    assert out.loc["C3", "group"] == "control"  # one spelling, whatever the case written
    assert out.loc["S3", "warning"] == (
        "group is strength but neither blocks.csv nor strength.csv gives a block: squad block used"
    )


def test_no_blocks_anywhere_warning_and_date_types():
    out = runner_blocks(_dataset([{"runner_id": "A"}]))
    assert out.loc[0, "warning"] == "no block in blocks.csv or strength.csv for anyone in the squad"
    for col in ("block_start", "block_end", "baseline_start"):
        assert pd.api.types.is_datetime64_dtype(out[col]) and out[col].isna().all()
    assert np.isnan(out.loc[0, "block_weeks"])


def test_warnings_from_different_checks_are_joined_with_semicolons():
    runners = [{"runner_id": "S1"}]
    blocks = [("S1", "2026-02-16", "2026-03-15"), ("S1", "2026-06-01", "2026-05-09")]
    out = runner_blocks(_dataset(runners, blocks=blocks)).iloc[0]
    # the first block, 16 Feb to 15 Mar, is 28 days: 4 weeks
    assert out["warning"] == (
        "blocks.csv: 1 row(s) with block_end before block_start or a missing date ignored; "
        "block of 4 weeks is outside the typical 8-12 weeks"
    )


def _later(blocks, baseline_weeks=6):
    ds = _dataset([{"runner_id": "S1"}, {"runner_id": "S2"}], blocks=blocks)
    return later_blocks(ds, baseline_weeks=baseline_weeks)


def test_later_blocks_are_numbered_in_date_order_each_with_its_own_baseline():
    out = _later(
        [
            ("S1", "2026-09-28", "2026-12-06"),  # block 3
            ("S1", "2026-02-16", "2026-04-26"),  # block 1
            ("S1", "2026-06-08", "2026-08-16"),  # block 2
            ("S2", "2026-02-16", "2026-04-26"),  # one block: nothing later
        ]
    )
    assert list(out.columns) == list(LATER_BLOCK_COLUMNS)
    assert list(out["runner_id"]) == ["S1", "S1"] and list(out["block"]) == [2, 3]
    assert list(out["block_start"]) == [pd.Timestamp("2026-06-08"), pd.Timestamp("2026-09-28")]
    assert list(out["baseline_start"]) == [pd.Timestamp("2026-04-27"), pd.Timestamp("2026-08-17")]
    assert (out["problem"] == "").all() and (out["block_source"] == "blocks.csv").all()
    assert list(out["block_weeks"]) == [10.0, 10.0]


def test_a_baseline_that_would_reach_into_the_block_before_is_shortened_and_said_so():
    # block 2 starts 4 weeks after block 1 ends: a 6-week baseline would overlap it
    out = _later([("S1", "2026-02-16", "2026-04-26"), ("S1", "2026-05-25", "2026-08-02")])
    row = out.iloc[0]
    assert row["baseline_start"] == pd.Timestamp("2026-04-27")  # the day after block 1
    assert row["problem"] == ""
    assert row["warning"] == "baseline shortened to 4 weeks: the block before ended on 2026-04-26"


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        # overlapping: starts before block 1 ends
        (("S1", "2026-04-01", "2026-06-30"), "overlaps an earlier block in blocks.csv"),
        # inside block 1
        (("S1", "2026-03-02", "2026-03-29"), "overlaps an earlier block in blocks.csv"),
        # the same block twice
        (("S1", "2026-02-16", "2026-04-26"), "overlaps an earlier block in blocks.csv"),
        # back to back: no room for a baseline
        (("S1", "2026-04-27", "2026-07-05"), "only 0 days between the end of the block before"),
        (("S1", "2026-05-04", "2026-07-05"), "only 7 days between the end of the block before"),
    ],
)
def test_hostile_later_blocks_get_a_reason_not_an_analysis(second, reason):
    out = _later([("S1", "2026-02-16", "2026-04-26"), second])
    assert len(out) == 1
    assert out.loc[0, "problem"].startswith(reason)
    assert "2026-04-26" in out.loc[0, "problem"]  # names the block it clashes with


def test_a_block_after_one_inside_another_is_compared_with_the_latest_end():
    # block 2 lies inside block 1; block 3 starts after block 2 but inside block 1
    out = _later(
        [
            ("S1", "2026-02-16", "2026-06-28"),
            ("S1", "2026-03-02", "2026-03-29"),
            ("S1", "2026-04-06", "2026-05-03"),
        ]
    )
    assert list(out["block"]) == [2, 3]
    assert out["problem"].str.startswith("overlaps an earlier block").all()


def test_no_later_blocks_is_an_empty_frame_with_the_columns():
    out = _later([("S1", "2026-02-16", "2026-04-26")])
    assert out.empty and list(out.columns) == list(LATER_BLOCK_COLUMNS)
    assert pd.api.types.is_datetime64_dtype(out["block_start"])


def test_lifting_that_stops_weeks_before_the_end_of_a_blocks_csv_block_is_said():
    """blocks.csv plans 11 weeks (6 Apr - 21 Jun 2026); R1 lifts twice a week in
    weeks 0-6 only (last session Thu 21 May, 31 days before the end), R2 to the
    last week, R3 to 17 days before the end (a deload), R4's block is inferred
    (it ends with its sessions by construction) and R5, a control, lifts after
    the block; R6, a control with a blocks.csv row of the squad's dates, lifts in
    weeks 0-6 as R1 does. Only R1 is told: the change is read at block_end, and what the
    lifting did can fade once it stops (an eighth, blind generator's strength
    runners who stopped 4 weeks early read -0.65 pp more improvement than was
    left)."""
    plan = ("2026-04-06", "2026-06-21")
    strength = (
        _sessions("R1", "2026-04-06", range(7))
        + _sessions("R2", "2026-04-06", range(11))
        + [
            s
            for s in _sessions("R3", "2026-04-06", range(10))
            if s[1] <= pd.Timestamp("2026-06-07")
        ]
        + _sessions("R4", "2026-04-06", range(7))
        + _sessions("R5", "2026-07-06", range(2))
        + _sessions("R6", "2026-04-06", range(7))
    )
    runners = [
        {"runner_id": r, "group": g}
        for r, g in [
            ("R1", "strength"),
            ("R2", "strength"),
            ("R3", "strength"),
            ("R4", "strength"),
            ("R5", "control"),
            ("R6", "control"),
        ]
    ]
    blocks = [(r, *plan) for r in ("R1", "R2", "R3", "R6")]
    runs = _runs_every_other_day(("R1", "R2", "R3", "R4", "R5", "R6"), "2026-02-23", "2026-06-21")
    ds = _dataset(runners, strength, blocks, runs)
    out = runner_blocks(ds).set_index("runner_id")
    assert out.loc["R1", "warning"] == (
        "strength.csv's last session is on 2026-05-21, 4.4 weeks before block_end "
        "(2026-06-21): the change is read at the block's end, and what the lifting did "
        "can fade once it stops"
    )
    assert out.loc["R6", "group"] == "control"
    for rid in ("R2", "R3", "R4", "R5", "R6"):
        assert "last session" not in out.loc[rid, "warning"], rid
    # a dataset read part by part passes its inferred blocks and what each part
    # logged (R1-R2 in one part, the rest in another): the same notes
    ids_of = (("R1", "R2"), ("R3", "R4", "R5", "R6"))
    parts = [[r for r in strength if r[0] in ids] for ids in ids_of]
    part_runs = [[r for r in runs if r[0] in ids] for ids in ids_of]
    head = dataclasses.replace(ds, strength=ds.strength.iloc[:0], runs=ds.runs.iloc[:0])
    again = runner_blocks(
        head,
        inferred=pd.concat([infer_blocks(_dataset(runners, p).strength) for p in parts]),
        logged=Logged.join(
            Logged.of(_dataset(runners, p).strength, _dataset(runners, runs=r).runs)
            for p, r in zip(parts, part_runs, strict=True)
        ),
    )
    assert again["warning"].tolist() == out["warning"].tolist()


def _runs_every_other_day(ids, first, last):
    return [(r, day) for r in ids for day in pd.date_range(first, last, freq="2D")]


def test_lifting_that_stops_early_is_judged_within_each_block_and_not_when_the_log_ends():
    """R1 has two blocks.csv blocks (16 Feb - 26 Apr and 1 Jun - 9 Aug 2026) and
    lifts in weeks 0-5 of the first (last session Thu 26 Mar, 4.4 weeks before its
    end) and through the second: block 1 is told, block 2 not (the note read the
    last session of the whole log, in block 2, and never fired for block 1). R2
    lifts through block 1 and in weeks 0-4 of block 2 while running on to its end:
    block 2 is told (later_blocks had no such note). R3 is a file exported on 26
    Mar: its runs and its lifting both end 4.4 weeks before block_end, which says
    nothing of fading: no note."""
    runners = [{"runner_id": r, "group": "strength"} for r in ("R1", "R2", "R3")]
    one, two = ("2026-02-16", "2026-04-26"), ("2026-06-01", "2026-08-09")
    strength = (
        _sessions("R1", one[0], range(6))
        + _sessions("R1", two[0], range(10))
        + _sessions("R2", one[0], range(10))
        + _sessions("R2", two[0], range(5))
        + _sessions("R3", one[0], range(6))
    )
    runs = _runs_every_other_day(("R1", "R2"), "2026-01-05", "2026-08-09")
    runs += _runs_every_other_day(("R3",), "2026-01-05", "2026-03-26")
    blocks = [("R1", *one), ("R1", *two), ("R2", *one), ("R2", *two), ("R3", *one)]
    ds = _dataset(runners, strength, blocks, runs)
    first = runner_blocks(ds).set_index("runner_id")["warning"]
    assert first["R1"].startswith("strength.csv's last session is on 2026-03-26, 4.4 weeks")
    assert "last session" not in first["R2"]
    assert "last session" not in first["R3"]
    later = later_blocks(ds).set_index("runner_id")["warning"]
    assert "last session" not in later["R1"]
    assert "strength.csv's last session is on 2026-07-02, 5.4 weeks before" in later["R2"]
    # dates with a time zone (a hand-built dataset; the loader's are naive): the same
    aware = dataclasses.replace(
        ds,
        runs=ds.runs.assign(date=ds.runs["date"].dt.tz_localize("Europe/Oslo")),
        strength=ds.strength.assign(date=ds.strength["date"].dt.tz_localize("Europe/Oslo")),
    )
    assert runner_blocks(aware).set_index("runner_id")["warning"].equals(first)
    # a repeated blocks.csv row is a later block that overlaps: a problem, not a note
    twice = _dataset(runners, strength, [*blocks, ("R1", *one)], runs)
    repeat = later_blocks(twice).set_index(["runner_id", "block"])
    assert repeat.loc[("R1", 2), "problem"].startswith("overlaps an earlier block")
    assert "last session" not in repeat.loc[("R1", 2), "warning"]


def test_controls_on_the_squads_span_get_no_block_length_warning():
    """Staggered blocks of 8 and 10 weeks: the controls are modelled over the
    squad's span (17 weeks here), which is not a block of theirs, so they are not
    told that "their" block is outside 8-12 weeks (a blind generator's staggered
    squads warned every control); a strength runner's own 17-week block still is."""
    runners = [
        {"runner_id": "S1", "group": "strength"},
        {"runner_id": "S2", "group": "strength"},
        {"runner_id": "S3", "group": "strength"},
        {"runner_id": "C1", "group": "control"},
    ]
    blocks = [
        ("S1", "2026-03-02", "2026-04-26"),  # 8 weeks
        ("S2", "2026-04-20", "2026-06-28"),  # 10 weeks
        ("S3", "2026-03-02", "2026-06-28"),  # 17 weeks of its own
    ]
    out = runner_blocks(_dataset(runners, blocks=blocks)).set_index("runner_id")
    assert out.loc["C1", "block_source"] == "squad (control)"
    assert out.loc["C1", "block_weeks"] == 17.0
    assert out.loc["C1", "warning"] == ""
    assert out.loc[["S1", "S2"], "warning"].eq("").all()
    assert out.loc["S3", "warning"] == "block of 17 weeks is outside the typical 8-12 weeks"


def test_a_group_label_other_than_strength_or_control_is_read_from_the_data_and_said():
    """A coach's own labels ("gym", "runs only"): kept as written they made nobody a
    control, so a blind generator's squads got no control reference and one pooled
    group (20 of 80 controls called improved). A runner with a block of its own is
    strength, the others control, each told how its label was read. A wording of
    the two ("Controls", "control group", "ctrl", "Strength training") is read as
    it, so a stray session does not turn such a control into a 1-week strength
    block (a review's finding); every group is written in lower case."""
    runners = [
        {"runner_id": "G1", "group": "gym"},
        {"runner_id": "G2", "group": "runs only"},
        {"runner_id": "G3", "group": "Controls"},
        {"runner_id": "G4", "group": "Strength"},
        {"runner_id": "G5", "group": " CONTROL "},
        {"runner_id": "G6", "group": "gym but never went"},
        {"runner_id": "G7", "group": "control group"},
        {"runner_id": "G8", "group": "Strength training"},
    ]
    strength = (
        _sessions("G1", "2026-03-02", range(10))
        + _sessions("G4", "2026-03-02", range(10))
        + _sessions("G8", "2026-03-02", range(10))
        + _sessions("G7", "2026-03-02", [0])  # a stray week of sessions
    )
    out = runner_blocks(_dataset(runners, strength)).set_index("runner_id")
    assert list(out["group"]) == [
        "strength",
        "control",
        "control",
        "strength",
        "control",
        "control",
        "control",
        "strength",
    ]
    assert out.loc["G1", "warning"] == (
        "group 'gym' in runners.csv is neither strength nor control: read as strength "
        "from the data (it has a strength block of its own)"
    )
    assert out.loc["G2", "warning"] == (
        "group 'runs only' in runners.csv is neither strength nor control: read as "
        "control from the data (no strength block of its own)"
    )
    assert out.loc["G3", "warning"] == "group 'Controls' in runners.csv read as control"
    assert "read as control" in out.loc["G6", "warning"]
    assert out.loc["G7", "warning"].startswith("group is control: 2 strength session(s)")
    assert out.loc["G7", "block_source"] == "squad (control)"
    assert out.loc[["G4", "G5"], "warning"].eq("").all()
    assert out.loc[["G2", "G3", "G5", "G6", "G7"], "block_source"].eq("squad (control)").all()


def test_validate_reads_the_group_labels_as_analyze_does():
    """One reading of runners.csv's ``group`` (:func:`analysis.io.dataset.group_labels`)
    for validate's summary and analyze's blocks: a label of spaces or a missing one
    is no label (read from the data) in both, a wording of the two is the group, and
    another label is counted as such; nothing said in one that the other does not do."""
    runners = [
        {"runner_id": "H1", "group": "gym"},
        {"runner_id": "H2", "group": " Controls "},
        {"runner_id": "H3", "group": "   "},
        {"runner_id": "H4", "group": None},
        {"runner_id": "H5", "group": "Strength"},
    ]
    ds = _dataset(runners, _sessions("H3", "2026-03-02", range(10)))
    assert list(group_labels(ds.runners["group"])) == ["gym", "Controls", "", "", "Strength"]
    summary = validation_summary(ds)
    assert (
        "groups (runners.csv): 1 strength, 1 control, 2 without a group (read from the "
        "data), 1 with another label"
    ) in summary
    assert "group 'gym' (1 runner) is neither strength nor control" in summary
    out = runner_blocks(ds).set_index("runner_id")
    assert list(out["group"]) == ["control", "control", "strength", "control", "strength"]
    assert out.loc["H3", "block_source"] != "squad (control)"


def test_the_note_on_lifting_that_stopped_early_at_its_21_day_edges():
    """Both edges of ``STOPPED_EARLY_DAYS`` (21), blocks.csv's 6 Apr - 21 Jun 2026
    for every runner: R1's last session is 21 days before block_end (Sun 31 May)
    and it is told; R2's 20 days before (Mon 1 Jun) and it is not. R3 stops
    lifting on Thu 21 May and its log ends 21 days later (11 Jun, a file exported
    mid-block): it ran on three weeks without lifting, which is what the note is
    for, though its runs end before block_end; R4's log ends 20 days after its
    last session, which says nothing yet."""
    plan = ("2026-04-06", "2026-06-21")
    strength = (
        _sessions("R1", "2026-04-06", range(8), weekdays=(0, 6))
        + _sessions("R2", "2026-04-06", range(9), weekdays=(0,))
        + _sessions("R3", "2026-04-06", range(7))
        + _sessions("R4", "2026-04-06", range(7))
    )
    runners = [{"runner_id": r, "group": "strength"} for r in ("R1", "R2", "R3", "R4")]
    runs = _runs_every_other_day(("R1", "R2"), "2026-02-23", "2026-06-21")
    runs += [("R3", day) for day in pd.date_range(end="2026-06-11", periods=55, freq="2D")]
    runs += [("R4", day) for day in pd.date_range(end="2026-06-10", periods=55, freq="2D")]
    ds = _dataset(runners, strength, [(r, *plan) for r in ("R1", "R2", "R3", "R4")], runs)
    out = runner_blocks(ds).set_index("runner_id")["warning"]
    assert out["R1"].startswith("strength.csv's last session is on 2026-05-31, 3 weeks before")
    assert out["R3"].startswith("strength.csv's last session is on 2026-05-21, 4.4 weeks before")
    assert "last session" not in out["R2"]
    assert "last session" not in out["R4"]
