"""``Dataset.runs_matching`` and ``Dataset.without_runs``: leaving runs out by id or day."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset


@pytest.fixture
def squad(tmp_path, write_dataset):
    return load_dataset(
        write_dataset(
            tmp_path / "squad",
            runners="runner_id\nA1\nB2\n",
            runs="""
                runner_id,run_id,date,distance_km,duration_s,avg_hr_bpm
                A1,A1-a,2026-01-05T07:00,10,3000,140
                A1,A1-b,2026-01-05T18:00,5,1500,130
                A1,A1-c,2026-01-06T07:00,10,3000,140
                B2,B2-a,2026-01-05T07:00,10,3000,140
            """,
        )
    )


def test_a_run_id_and_a_day_name_the_runners_runs(squad):
    matched = squad.runs_matching(["A1-c", "2026-01-05"], runner_id="A1")
    assert sorted(matched["run_id"]) == ["A1-a", "A1-b", "A1-c"]  # both runs of the day
    assert list(squad.runs_matching("2026-01-05")["run_id"]) == ["A1-a", "A1-b", "B2-a"]


def test_without_runs_removes_exactly_those_rows_and_leaves_the_rest(squad):
    before = squad.runs.copy()
    trimmed = squad.without_runs(["2026-01-05"], runner_id="A1")
    assert list(trimmed.runs["run_id"]) == ["A1-c", "B2-a"]
    # the rest is untouched: other frames, line numbers, the original dataset
    assert list(trimmed.runs["line"]) == [4, 5]
    pd.testing.assert_frame_equal(squad.runs, before)
    assert trimmed.runners is squad.runners and trimmed.quarantine is squad.quarantine
    assert squad.without_runs([]).runs.equals(squad.runs)


@pytest.mark.parametrize("ref", ["A1-x", "2026-01-07", "B2-a", "05/01/2026"])
def test_an_entry_that_names_no_run_of_the_runner_is_an_error(squad, ref):
    with pytest.raises(ValueError, match=rf"No run of A1 has the run id or date '{ref}'"):
        squad.without_runs(["A1-a", ref], runner_id="A1")
