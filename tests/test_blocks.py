"""Blocks: explicit, inferred from the strength log, and the squad block for controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.blocks import BLOCK_COLUMNS, infer_blocks, runner_blocks
from analysis.io.dataset import Dataset


def _dataset(runners, strength=(), blocks=()) -> Dataset:
    """A hand-built Dataset with only the columns the block logic reads."""
    strength = pd.DataFrame(list(strength), columns=["runner_id", "date", "exercise"])
    strength["date"] = pd.to_datetime(strength["date"])
    blocks = pd.DataFrame(list(blocks), columns=["runner_id", "block_start", "block_end"])
    for col in ("block_start", "block_end"):
        blocks[col] = pd.to_datetime(blocks[col])
    empty = pd.DataFrame({"runner_id": pd.Series(dtype=object)})
    return Dataset(
        path=Path("."),
        runners=pd.DataFrame(runners),
        runs=empty,
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


def test_first_explicit_block_is_used_and_the_others_flagged():
    runners = [{"runner_id": "S1"}]
    blocks = [("S1", "2026-06-01", "2026-08-09"), ("S1", "2026-02-16", "2026-04-26")]
    out = runner_blocks(_dataset(runners, blocks=blocks)).iloc[0]
    assert out["block_start"] == pd.Timestamp("2026-02-16")
    assert "2 blocks for this runner; the first one is analysed" in out["warning"]


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
