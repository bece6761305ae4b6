"""analyze of a Parquet dataset part by part: the same answer, one part's runs in memory.

:func:`analysis.models.analyze_parts` measures each part of runners as it is
read and spills its metrics; every stage then reads its own chunk. The
results file, and what ``runeco analyze`` prints, must be the in-memory
answer, byte for byte.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest

import analysis.models.runner as runner_module
from analysis.blocks import runner_blocks
from analysis.cli import SPILL_DIR_PREFIX, main
from analysis.io import layout, load_dataset, load_dataset_parts
from analysis.io.convert import convert
from analysis.metrics import run_metrics
from analysis.models import analyze, analyze_parts
from analysis.models.columns import ANALYZE, names
from analysis.readiness import runner_readiness, runner_readiness_parts
from analysis.simulate import simulate_squad
from analysis.tempdirs import LOCK_NAME, private_dir

PART = 6


@pytest.fixture(scope="module")
def squads(tmp_path_factory):
    root = tmp_path_factory.mktemp("parts")
    csv = simulate_squad(
        root / "csv", n_runners=20, seed=41, bad_rows=12, blocks=2, missing_fraction=0.1
    )
    _stop_lifting_early(csv)
    runners = csv / "runners.csv"  # a runner without runs: no answer, and readiness says why
    columns = runners.read_text().splitlines()[0].count(",")
    runners.write_text(runners.read_text() + "Z99" + "," * columns + "\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout, "RUNNERS_PER_PART", PART)
        convert(csv, root / "pq", "parquet")
    return csv, root / "pq"


STOPPED = {}
"""``runner_id -> block`` whose lifting :func:`_stop_lifting_early` ended 5 weeks early."""


def _stop_lifting_early(folder):
    """The first two runners with two blocks in blocks.csv stop lifting 5 weeks before
    the end of their first and their second block (their runs go on): the note on
    lifting that stopped early, read part by part from each part's logs."""
    blocks = pd.read_csv(folder / "blocks.csv", parse_dates=["block_start", "block_end"])
    twice = blocks.groupby("runner_id").filter(lambda b: len(b) == 2).sort_values("block_start")
    strength = pd.read_csv(folder / "strength.csv", dtype=str)
    day = pd.to_datetime(strength["date"], errors="coerce")
    drop = pd.Series(False, index=strength.index)
    for block, rid in enumerate(sorted(twice["runner_id"].unique())[:2], start=1):
        end = twice.loc[twice["runner_id"] == rid, "block_end"].iloc[block - 1]
        drop |= strength["runner_id"].eq(rid) & day.between(end - pd.Timedelta(days=35), end)
        STOPPED[rid] = block
    assert len(STOPPED) == 2 and drop.sum() >= 4
    strength.loc[~drop].to_csv(folder / "strength.csv", index=False)


@pytest.fixture(scope="module")
def in_memory(squads):
    """``analyze`` of the CSV squad in memory by chunk size, computed once each
    (a copy per test: a test may not change another's expectation)."""
    csv, _ = squads
    answers: dict[int, pd.DataFrame] = {}

    def answer(chunk: int) -> pd.DataFrame:
        if chunk not in answers:
            answers[chunk] = analyze(load_dataset(csv), chunk_runners=chunk)
        return answers[chunk].copy()

    return answer


def _parts(folder, tmp_path, **kwargs):
    head, parts = load_dataset_parts(folder)
    return analyze_parts(head, parts, tmp_path, **kwargs)


@pytest.mark.parametrize("chunk", [500, 4])
def test_the_answer_is_the_in_memory_one_byte_for_byte(
    squads, in_memory, tmp_path, monkeypatch, chunk
):
    csv, pq = squads
    expected = in_memory(chunk)
    measured = []
    real = runner_module.run_metrics

    def counting(ds, **options):
        measured.append(ds.runs["runner_id"].nunique())
        return real(ds, **options)

    monkeypatch.setattr(runner_module, "run_metrics", counting)
    got, ds, blocks, spilled = _parts(pq, tmp_path, chunk_runners=chunk)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    assert expected["o2_cost_change_pct"].notna().sum() >= 15
    noted = expected.loc[expected["warning"].fillna("").str.contains("can fade once it stops")]
    assert sorted(zip(noted["runner_id"], noted["block"], strict=True)) == sorted(STOPPED.items())
    # metrics were computed one part (at most PART runners) at a time, every part once
    assert len(measured) == len(list((pq / "runs").iterdir())) >= 4
    assert max(measured) <= PART
    assert len(spilled.parts) == len(measured)
    whole = load_dataset(csv)
    assert len(ds.quarantine) == len(whole.quarantine) >= 12
    pd.testing.assert_frame_equal(blocks, runner_blocks(whole), check_exact=True)


def test_readiness_part_by_part_is_the_whole_table(squads, tmp_path):
    csv, pq = squads
    got, ds, blocks, spilled = _parts(pq, tmp_path)
    whole = load_dataset(csv)
    expected = runner_readiness(whole, got, run_metrics(whole), blocks, baseline_weeks=6)
    table = runner_readiness_parts(ds, got, spilled, blocks, baseline_weeks=6)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert list(expected.loc[~expected["ready"], "runner_id"]) == ["Z99"]
    assert "no runs" in expected.loc[~expected["ready"], "reasons"].iloc[0]


def test_runeco_analyze_on_the_layout_prints_and_writes_what_the_csv_gives(
    squads, tmp_path, capsys, monkeypatch
):
    csv, pq = squads
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    printed = {}
    for name, folder in (("csv", csv), ("pq", pq)):
        out = tmp_path / f"{name}.csv"
        assert main(["analyze", str(folder), "--out", str(out)]) == 0
        text = capsys.readouterr().out
        printed[name] = text.replace(str(folder), "DATASET").replace(str(out), "OUT")
    assert (tmp_path / "pq.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()
    assert printed["pq"] == printed["csv"]
    assert "rows were quarantined on loading" in printed["pq"]
    assert list(spill_root.iterdir()) == []  # the spilled metrics are gone


def test_runeco_analyze_removes_a_killed_commands_spill_folder_and_keeps_a_live_ones(
    squads, tmp_path, monkeypatch, capsys
):
    _, pq = squads
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    killed = spill_root / f"{SPILL_DIR_PREFIX}killed"
    killed.mkdir()
    (killed / LOCK_NAME).touch()  # its owner is gone: nobody holds the lock
    (killed / "part-0.parquet").write_bytes(b"PAR1")
    live = private_dir(SPILL_DIR_PREFIX)  # another analyze still running
    try:
        assert main(["analyze", str(pq), "--out", str(tmp_path / "out.csv"), "--quiet"]) == 0
        assert list(spill_root.iterdir()) == [live.path]
    finally:
        live.close()
    capsys.readouterr()


def test_runeco_metrics_on_the_layout_writes_the_same_rows_part_by_part(squads, tmp_path):
    csv, pq = squads
    for name, folder in (("csv", csv), ("pq", pq)):
        argv = ["metrics", str(folder), "--out", str(tmp_path / f"{name}.csv")]
        assert main([*argv, "--weekly", str(tmp_path / f"{name}-weekly.csv")]) == 0
    for stem in ("", "-weekly"):
        whole = pd.read_csv(tmp_path / f"csv{stem}.csv")
        parted = pd.read_csv(tmp_path / f"pq{stem}.csv")
        assert list(parted.columns) == list(whole.columns)
        keys = list(whole.columns)
        pd.testing.assert_frame_equal(
            parted.sort_values(keys, ignore_index=True), whole.sort_values(keys, ignore_index=True)
        )
    # part by part: each runner's rows together, the runners of one part before the next
    ids = pd.read_csv(tmp_path / "pq.csv")["runner_id"]
    assert (ids != ids.shift()).sum() == ids.nunique()


@pytest.mark.parametrize("chunk", [500, 4])
def test_the_streamed_answer_is_the_in_memory_frame_chunk_by_chunk(
    squads, in_memory, tmp_path, chunk
):
    """``stream=True`` (what ``runeco analyze`` writes on the Parquet layout): the
    frames of the chunks of runners, whose rows waited on disk, concatenated are
    :func:`analyze`'s frame, pooled, insufficient-data, lab and later-block rows alike."""
    csv, pq = squads
    expected = in_memory(chunk)
    frames, *_ = _parts(pq, tmp_path, chunk_runners=chunk, stream=True)
    assert not (tmp_path / "rows").exists()  # nothing runs until the first frame is asked for
    frames = list(frames)
    n_runners = expected["runner_id"].nunique()
    assert len(frames) == -(-n_runners // chunk)
    assert sorted(p.name for p in (tmp_path / "rows").iterdir()) == [
        f"rows-{k:05d}.pickle" for k in range(len(frames))
    ]
    got = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    # the kinds of rows the streamed path must carry through unchanged
    field = expected["method"] == "field_hr"
    assert (expected.loc[field, "pooling"] == "group").sum() >= 15
    assert expected.loc[field, "n_pooled_runners"].max() >= 5
    assert expected.loc[field, "own_change_pct"].notna().sum() >= 15
    assert (
        expected.loc[field, "own_change_pct"] != expected.loc[field, "o2_cost_change_pct"]
    ).any()
    assert (
        expected.loc[expected["runner_id"] == "Z99", "verdict"]
        .str.startswith("insufficient data")
        .all()
    )
    assert (expected["method"] == "lab").sum() >= 5
    assert (expected["block"] == 2).sum() >= 5


def test_a_streamed_squad_with_no_runner_still_gives_a_header(tmp_path):
    frames = list(runner_module._frames(iter([])))
    assert len(frames) == 1
    assert frames[0].empty
    assert list(frames[0].columns) == list(names(ANALYZE))


def test_the_streamed_answer_carries_the_documented_design_beside_a_learned_one(
    tmp_path, monkeypatch
):
    """Heat raising heart rate across every temperature: the squad learns a linear heat
    term, and the streamed answer has the documented design's answer beside it, as
    the in-memory one (that answer is itself streamed through the spill folder)."""
    csv = simulate_squad(tmp_path / "csv", n_runners=16, seed=7, lab_tests=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout, "RUNNERS_PER_PART", PART)
        convert(csv, tmp_path / "pq", "parquet")
    real = runner_module.run_metrics

    def warm(ds, **options):
        metrics = real(ds, **options)
        metrics["o2_cost_ml_kg_km"] *= np.exp(0.008 * (metrics["temp_c"].fillna(10) - 10))
        return metrics

    whole = load_dataset(csv)
    expected = analyze(whole, metrics=warm(whole), chunk_runners=5)
    assert (expected["sensitivity_design"] != "").all()  # the premise: the onset moved
    monkeypatch.setattr(runner_module, "run_metrics", warm)
    spill = tmp_path / "spill"
    spill.mkdir()
    frames, *_ = _parts(tmp_path / "pq", spill, chunk_runners=5, stream=True)
    got = pd.concat(list(frames), ignore_index=True)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    assert (spill / "rows" / "documented" / "rows-00000.pickle").exists()


def test_runeco_analyze_of_a_large_squad_prints_the_same_summary_from_streamed_rows(
    squads, tmp_path, capsys, monkeypatch
):
    """Above ``MAX_PRINTED_ROWS`` rows the Parquet path keeps of each written row only
    the columns the summary reads (verdict counts, warnings, readiness): the same
    lines as the in-memory path, and the same file."""
    import analysis.cli as cli

    monkeypatch.setattr(cli, "MAX_PRINTED_ROWS", 5)
    csv, pq = squads
    printed = {}
    for name, folder in (("csv", csv), ("pq", pq)):
        out = tmp_path / f"{name}.csv"
        argv = ["analyze", str(folder), "--out", str(out), "--chunk-runners", "4"]
        assert main(argv) == 0
        text = capsys.readouterr().out
        printed[name] = text.replace(str(folder), "DATASET").replace(str(out), "OUT")
    assert (tmp_path / "pq.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()
    assert printed["pq"] == printed["csv"]
    assert "verdicts: " in printed["pq"]
    assert "runner(s) without an answer" in printed["pq"]
    assert "Z99" in printed["pq"]
