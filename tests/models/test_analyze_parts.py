"""analyze of a Parquet dataset part by part: the same answer, one part's runs in memory.

:func:`analysis.models.analyze_parts` measures each part of runners as it is
read and spills its metrics; every stage then reads its own chunk. The
results file, and what ``runeco analyze`` prints, must be the in-memory
answer, byte for byte.
"""

from __future__ import annotations

import tempfile

import pandas as pd
import pytest

import analysis.models.runner as runner_module
from analysis.blocks import runner_blocks
from analysis.cli import SPILL_DIR_PREFIX, main
from analysis.io import layout, load_dataset, load_dataset_parts
from analysis.io.convert import convert
from analysis.metrics import run_metrics
from analysis.models import analyze, analyze_parts
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
    runners = csv / "runners.csv"  # a runner without runs: no answer, and readiness says why
    columns = runners.read_text().splitlines()[0].count(",")
    runners.write_text(runners.read_text() + "Z99" + "," * columns + "\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout, "RUNNERS_PER_PART", PART)
        convert(csv, root / "pq", "parquet")
    return csv, root / "pq"


def _parts(folder, tmp_path, **kwargs):
    head, parts = load_dataset_parts(folder)
    return analyze_parts(head, parts, tmp_path, **kwargs)


@pytest.mark.parametrize("chunk", [500, 4])
def test_the_answer_is_the_in_memory_one_byte_for_byte(squads, tmp_path, monkeypatch, chunk):
    csv, pq = squads
    expected = analyze(load_dataset(csv), chunk_runners=chunk)
    measured = []
    real = runner_module.run_metrics

    def counting(ds):
        measured.append(ds.runs["runner_id"].nunique())
        return real(ds)

    monkeypatch.setattr(runner_module, "run_metrics", counting)
    got, ds, blocks, spilled = _parts(pq, tmp_path, chunk_runners=chunk)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    assert expected["o2_cost_change_pct"].notna().sum() >= 15
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
