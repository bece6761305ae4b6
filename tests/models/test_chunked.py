"""analyze in chunks of runners, here or on a Dask cluster: the same answer.

Every squad-level step (heat onset, time course, serial prior, control
references) combines per-chunk summaries, so the chunking must not change a
single number, and neither may where the chunks run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.execution import ExecutionError, ProcessBackend, ordered_map
from analysis.metrics import run_metrics
from analysis.models import analyze
from tests.models._support_models import _squad


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    ds, _ = _squad(tmp_path_factory.mktemp("chunked"), "chunked", n_runners=24, seed=31)
    # heat acting over every temperature: the squad learns a non-default onset, so
    # the learned choice and the answer under the documented one go through the chunks
    metrics = run_metrics(ds)
    metrics["o2_cost_ml_kg_km"] *= np.exp(0.008 * (metrics["temp_c"].fillna(10) - 10))
    return ds, metrics


def _analyze(squad, *args, **kwargs):
    ds, metrics = squad
    return analyze(ds, *args, metrics=metrics, **kwargs)


@pytest.fixture(scope="module")
def whole(squad):
    out = _analyze(squad)
    assert (out["heat_onset_c"].dropna() != 15.0).all()
    assert out["sensitivity_change_pct"].notna().sum() >= 20
    return out


def test_chunks_of_runners_give_the_one_pass_answer(squad, whole):
    assert whole["o2_cost_change_pct"].notna().sum() >= 20
    chunked = _analyze(squad, chunk_runners=5)  # 5 chunks, the last of 4 runners
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)


def test_a_runner_subset_in_chunks_gives_the_squad_answer(squad, whole):
    ids = ["R03", "R11", "R20"]  # in runners.csv order, as analyze returns them
    subset = _analyze(squad, ids, chunk_runners=2)
    expected = whole.loc[whole["runner_id"].isin(ids)].reset_index(drop=True)
    # a subset is fitted in a smaller batch (other padding): equal to rounding
    pd.testing.assert_frame_equal(subset, expected, check_exact=False, rtol=1e-9)


@pytest.fixture(scope="module")
def pool():
    """Two worker processes, for every test here (each start costs a second or two)."""
    backend = ProcessBackend(2)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def dask():
    """A local Dask cluster of two workers, for every test here."""
    pytest.importorskip("distributed")
    from analysis.execution import DaskBackend

    backend = DaskBackend("local", 2)
    yield backend
    backend.close()


@pytest.mark.slow
def test_a_process_pool_and_a_dask_cluster_give_the_same_answer(squad, whole, pool, dask):
    on_pool = _analyze(squad, chunk_runners=6, backend=pool)
    on_dask = _analyze(squad, chunk_runners=6, backend=dask)
    pd.testing.assert_frame_equal(on_pool, whole, check_exact=True)
    pd.testing.assert_frame_equal(on_dask, whole, check_exact=True)


def _fail_on_two(x: int) -> int:
    if x == 2:
        raise MemoryError("chunk too large")
    return x


def test_a_failed_chunk_stops_the_analysis_and_names_its_runners():
    backend = ProcessBackend(1)
    names = ["runners A to F", "runners G to L", "runners M to P"]
    try:
        with pytest.raises(ExecutionError) as info:
            ordered_map(backend, _fail_on_two, [0, 1, 2], describe=names.__getitem__)
    finally:
        backend.close()
    assert isinstance(info.value, DataError)  # the CLI prints it as one error line
    assert str(info.value) == (
        "1 of 3 tasks failed on this process: runners M to P: MemoryError: chunk too large"
    )
    assert ordered_map(None, _fail_on_two, [0, 1]) == [0, 1]


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_chunk_size_must_be_a_positive_integer(squad, bad):
    with pytest.raises(ValueError, match="'chunk_runners' parameter of analyze"):
        _analyze(squad, chunk_runners=bad)


@pytest.mark.slow
def test_the_command_line_on_worker_processes_writes_the_same_file(sample_dir, tmp_path, capsys):
    from analysis.cli import main

    here, pool = tmp_path / "here.csv", tmp_path / "pool.csv"
    assert main(["analyze", str(sample_dir), "--out", str(here), "--quiet"]) == 0
    args = ["--workers", "2", "--chunk-runners", "3", "--quiet"]
    assert main(["analyze", str(sample_dir), "--out", str(pool), *args]) == 0
    assert "analysing on 2 worker processes on this machine" in capsys.readouterr().err
    assert pool.read_bytes() == here.read_bytes()


@pytest.fixture(scope="module")
def two_blocks(tmp_path_factory):
    """16 runners, the 8 strength runners with two blocks each (issue 12 item 6)."""
    from analysis.io import load_dataset
    from analysis.simulate import simulate_squad

    path = simulate_squad(tmp_path_factory.mktemp("two") / "squad", n_runners=16, seed=12, blocks=2)
    ds = load_dataset(path)
    out = analyze(ds)
    assert (out["block"] == 2).sum() == 8 and out.loc[
        out["block"] == 2, "o2_cost_change_pct"
    ].notna().all()
    return ds, out


def test_later_blocks_in_chunks_give_the_one_pass_answer(two_blocks):
    ds, whole = two_blocks
    chunked = analyze(ds, chunk_runners=5)  # block 1 and block 2 each in several chunks
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    # other chunk sizes pad the batched REML pass differently: equal to rounding
    # (as for first blocks: chunks of 2 move block 1's numbers at 1e-12 too)
    chunked = analyze(ds, chunk_runners=3)
    pd.testing.assert_frame_equal(chunked, whole, check_exact=False, rtol=1e-9)


def test_later_blocks_on_a_process_pool_give_the_same_answer(two_blocks, pool):
    ds, whole = two_blocks
    on_pool = analyze(ds, chunk_runners=5, backend=pool)
    pd.testing.assert_frame_equal(on_pool, whole, check_exact=True)


@pytest.mark.slow
def test_later_blocks_on_a_dask_cluster_give_the_same_answer(two_blocks, dask):
    ds, whole = two_blocks
    on_dask = analyze(ds, chunk_runners=5, backend=dask)
    pd.testing.assert_frame_equal(on_dask, whole, check_exact=True)


def test_a_chunk_without_a_runner_to_model_changes_nothing(squad):
    """The last chunk holds only runners without runs: its empty summaries stack."""
    import dataclasses

    ds, metrics = squad
    extra = pd.DataFrame({"runner_id": ["Z1", "Z2", "Z3"]})
    runners = pd.concat([ds.runners, extra], ignore_index=True)
    padded = dataclasses.replace(ds, runners=runners)
    one_pass = analyze(padded, metrics=metrics)
    assert len(padded.runners) == 27  # chunks of 12: the last is Z1 to Z3
    chunked = analyze(padded, metrics=metrics, chunk_runners=12)
    pd.testing.assert_frame_equal(chunked, one_pass, check_exact=False, rtol=1e-9)
    last = chunked.loc[chunked["runner_id"].isin(["Z1", "Z2", "Z3"])]
    assert last["verdict"].str.startswith("insufficient data").all()
    assert chunked["o2_cost_change_pct"].notna().sum() >= 20
