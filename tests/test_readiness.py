"""``runeco check``: per runner, ready or not, why, and the one change that fixes it."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main


@pytest.fixture
def squad(sample_copy):
    return sample_copy


def _lines(capsys) -> dict[str, str]:
    out = capsys.readouterr().out.splitlines()
    return {line.split()[0]: line for line in out if line[:1] == "R"}


def test_the_sample_squad_is_ready_and_says_what_it_can_detect(squad, capsys):
    assert main(["check", str(squad)]) == 0
    lines = _lines(capsys)
    assert len(lines) == 8
    assert all("ready: these data can detect a change larger than" in x for x in lines.values())


def test_a_thin_baseline_names_the_baseline_that_would_do_and_that_one_works(squad, capsys):
    assert main(["check", str(squad), "--baseline-weeks", "1"]) == 1
    line = _lines(capsys)["R01"]
    assert "NOT READY" in line and "steady runs in the baseline" in line
    weeks = int(line.split("--baseline-weeks ")[1].split()[0])
    assert 1 < weeks <= 6
    assert main(["check", str(squad), "--baseline-weeks", str(weeks), "--runner", "R01"]) == 0
    assert main(["check", str(squad), "--baseline-weeks", str(weeks - 1), "--runner", "R01"]) == 1


def test_run_and_strength_logs_that_do_not_overlap_are_named_with_their_dates(squad, capsys):
    """A real runner's GPX log ended on 04 Jul 2021, the Strong log began on 07 Jul."""
    runs = pd.read_csv(squad / "runs.csv")
    strength = pd.read_csv(squad / "strength.csv")
    first_session = strength.loc[strength["runner_id"] == "R01", "date"].min()
    keep = ~((runs["runner_id"] == "R01") & (runs["date"] >= first_session))
    runs.loc[keep].to_csv(squad / "runs.csv", index=False)
    assert main(["check", str(squad), "--runner", "R01"]) == 1
    line = _lines(capsys)["R01"]
    assert "do not overlap" in line and "-> import the runs of the strength block's weeks" in line
    assert "16 Feb 2026" in line  # the strength log's first date


def test_an_implausible_level_is_not_an_answer(squad, capsys):
    runners = pd.read_csv(squad / "runners.csv")
    runners.loc[runners["runner_id"] == "R02", "vo2max_ml_kg_min"] = 85.0
    runners.to_csv(squad / "runners.csv", index=False)
    out = squad / "check.csv"
    assert main(["check", str(squad), "--out", str(out)]) == 1
    line = _lines(capsys)["R02"]
    assert "outside the plausible 150-250" in line and "check HRrest, HRmax and VO2max" in line
    table = pd.read_csv(out).set_index("runner_id")
    assert not table.loc["R02", "ready"] and table.loc["R01", "ready"]
    assert list(table.reset_index().columns) == [
        "runner_id",
        "block",
        "ready",
        "reasons",
        "fixes",
        "detectable_pct",
    ]


def test_analyze_prints_each_runner_and_what_to_change(squad, tmp_path, capsys):
    out = tmp_path / "a.csv"
    assert main(["analyze", str(squad), "--out", str(out), "--baseline-weeks", "1"]) == 0
    text = capsys.readouterr().out
    assert "runner  method" in text.splitlines()[0]
    assert "R01     field_hr" in text and "insufficient data" in text
    assert "without an answer; what to change:" in text and "--baseline-weeks" in text


def test_analyze_prints_counts_not_rows_for_a_large_squad(squad, tmp_path, capsys, monkeypatch):
    from analysis import cli

    monkeypatch.setattr(cli, "MAX_PRINTED_ROWS", 3)
    assert main(["analyze", str(squad), "--out", str(tmp_path / "a.csv")]) == 0
    text = capsys.readouterr().out
    assert "runner  method" not in text
    verdicts = text.split("verdicts: ")[1].splitlines()[0]
    counts = dict(item.rsplit(" ", 1) for item in verdicts.split(", "))
    assert sum(int(n) for n in counts.values()) == len(pd.read_csv(tmp_path / "a.csv"))


def test_a_coachs_real_files_get_reasons_and_fixes(tmp_path, capsys):
    """A year of real GPX runs and a real Strong log from a later year (issue 12):
    check says the logs do not overlap, with both date ranges, and what to change."""
    from tests.paths import REAL_DIR

    session, strong = REAL_DIR / "session", REAL_DIR / "strength" / "strong-small.csv"
    if not (session.is_dir() and strong.is_file()):
        pytest.skip(f"real sample files not available at {REAL_DIR}")
    ds = tmp_path / "ds"
    assert main(["import", str(ds), "--runner", "ana", str(session), str(strong)]) == 0
    capsys.readouterr()
    assert main(["check", str(ds)]) == 1
    line = capsys.readouterr().out
    assert "the run log (03 Jul 2020 to 27 Jun 2021) and the strength log" in line
    assert "do not overlap -> import the runs of the strength block's weeks" in line
    assert "came from a default -> set hr_rest_bpm" in line


@pytest.mark.slow
def test_a_runner_without_an_answer_gets_the_fixes_on_page_one_and_no_empty_charts(squad, tmp_path):
    from pypdf import PdfReader

    from analysis import report

    runs = pd.read_csv(squad / "runs.csv")
    strength = pd.read_csv(squad / "strength.csv")
    first = strength.loc[strength["runner_id"] == "R01", "date"].min()
    runs.loc[~((runs["runner_id"] == "R01") & (runs["date"] >= first))].to_csv(
        squad / "runs.csv", index=False
    )
    out = tmp_path / "rep"
    summary = report.render_reports(squad, out, runner_ids=["R01"], workers=1, progress=False)
    assert summary.failed == []
    pages = [p.extract_text() for p in PdfReader(out / "R01.pdf").pages]
    first = " ".join(pages[0].split())
    assert "What to change for an answer" in first
    assert "do not overlap: import the runs of the strength block's weeks" in first


def test_each_block_of_a_runner_is_checked_on_its_own_line(squad, tmp_path, capsys):
    """Issue 12: two blocks for one runner; only the first was analysed and the
    warning existed only in a CSV column. Now each block is ready or not, with why."""
    with open(squad / "blocks.csv", "a") as handle:
        handle.write("R03,2026-05-04,2026-06-28,strength block 2\n")
    out = tmp_path / "check.csv"
    assert main(["check", str(squad), "--runner", "R03", "--out", str(out)]) == 1
    text = capsys.readouterr().out
    lines = [x for x in text.splitlines() if x.startswith("R03")]
    assert lines[0].startswith("R03 block 1  ready: these data can detect a change larger than")
    assert lines[1] == (
        "R03 block 2  NOT READY: only 7 days between the end of the block before (2026-04-26) "
        "and this block's start: a baseline needs at least 2 weeks -> give this block dates "
        "in blocks.csv that start at least 2 weeks after the block before ends"
    )
    assert "1 of 2 blocks of 1 runners ready" in text
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["runner_id", "block", "ready"]
    assert list(table["block"]) == [1, 2] and list(table["ready"]) == [True, False]
    assert main(["analyze", str(squad), "--out", str(tmp_path / "a.csv")]) == 0
    printed = capsys.readouterr().out
    assert "R03 block 2  field_hr" in printed
    assert "R03 block 2 field_hr: block of 8 weeks" not in printed  # 8 weeks is typical
    assert "R01  " in printed  # one block: no block number


def test_a_later_blocks_thin_baseline_asks_for_runs_between_the_blocks(tmp_path, capsys):
    from analysis.simulate import simulate_squad

    squad = simulate_squad(tmp_path / "two", n_runners=8, seed=4, blocks=2, lab_tests=False)
    blocks = pd.read_csv(squad / "blocks.csv")
    rid = blocks["runner_id"].iloc[0]
    # block 2 of this runner moved to start 12 days after block 1: a baseline of 12 days
    second = (blocks["runner_id"] == rid) & (blocks["label"] == "strength block 2")
    blocks.loc[second, "block_start"] = "2026-05-08"
    blocks.to_csv(squad / "blocks.csv", index=False)
    assert main(["check", str(squad), "--runner", rid]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(f"{rid} block 2"))
    assert "only 11 days between the end of the block before (2026-04-26)" in line
    blocks.loc[second, "block_start"] = "2026-05-11"  # 14 days: room for a baseline
    blocks.to_csv(squad / "blocks.csv", index=False)
    runs = pd.read_csv(squad / "runs.csv")
    gap = (runs["runner_id"] == rid) & runs["date"].between("2026-04-27", "2026-05-11")
    runs.drop(index=runs.index[gap][3:]).to_csv(squad / "runs.csv", index=False)  # 3 left
    assert main(["check", str(squad), "--runner", rid]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(f"{rid} block 2"))
    assert "NOT READY" in line and "in the baseline" in line
    # not a longer --baseline-weeks: the baseline cannot reach back into block 1
    assert "import more steady runs between 26 Apr 2026 and 11 May 2026" in line


def test_the_terminal_table_marks_pooled_changes_and_a_different_own_verdict():
    from analysis.readiness import results_lines

    results = pd.DataFrame(
        {
            "runner_id": ["R01", "R02", "R03"],
            "method": ["field_hr", "field_hr", "lab"],
            "o2_cost_change_pct": [-3.3, -4.4, 1.6],
            "ci_low_pct": [-5.8, -6.8, -6.8],
            "ci_high_pct": [-0.3, -2.0, 10.9],
            "verdict": ["improved", "improved", "inconclusive"],
            "pooling": ["group", "group", "none"],
            "own_verdict": ["inconclusive", "improved", "inconclusive"],
        }
    )
    lines = results_lines(results)
    assert lines[1].endswith("-3.3 (-5.8 to -0.3)*  improved (own runs alone: inconclusive)")
    assert lines[2].endswith("-4.4 (-6.8 to -2.0)*  improved")
    assert lines[3].endswith("+1.6 (-6.8 to +10.9)  inconclusive")
    assert lines[-1].startswith("* pooled with the runner's group")
    assert not results_lines(results.assign(pooling="none"))[-1].startswith("*")
