"""The batch's analysis: each runner's share of one squad-wide analyze."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.models import analyze
from analysis.models.batch import read_batch, write_batch


def test_each_runner_reads_the_squad_rows_and_its_own_fit(sample_dir, tmp_path):
    ds = load_dataset(sample_dir)
    write_batch(ds, tmp_path / "batch")
    whole = analyze(ds)
    # what the notebook did on its own: for a strength runner and a control (an analysis each)
    field = whole.loc[whole["method"] == "field_hr"]
    own_analysis = {
        field.loc[field["group"] != "control", "runner_id"].iloc[0],
        field.loc[field["group"] == "control", "runner_id"].iloc[0],
    }
    for rid in ds.runner_ids:
        results, fits = read_batch(tmp_path / "batch", rid)
        expected = whole.loc[whole["runner_id"] == rid].reset_index(drop=True)
        pd.testing.assert_frame_equal(results, expected, check_exact=True)  # `runeco analyze`
        if rid not in own_analysis:
            continue
        alone, own = analyze(ds, [rid], return_fits=True)
        pd.testing.assert_frame_equal(results, alone, rtol=1e-9, check_dtype=False)
        pd.testing.assert_frame_equal(fits[rid].frame, own[rid].frame, rtol=1e-9)
        assert fits[rid].formula == own[rid].formula
        assert fits[rid].row["o2_cost_change_pct"] == expected["o2_cost_change_pct"].iloc[0] or (
            pd.isna(fits[rid].row["o2_cost_change_pct"])
        )


def test_a_runner_reads_its_own_rows_of_the_dataset_as_for_runner_gives_them(sample_dir, tmp_path):
    from analysis.blocks import runner_blocks
    from analysis.models.batch import read_batch_blocks, read_batch_dataset

    ds = load_dataset(sample_dir)
    write_batch(ds, tmp_path / "batch", baseline_weeks=5)
    for rid in ds.runner_ids:  # strength runners and controls (no strength rows at all)
        mine, expected = read_batch_dataset(tmp_path / "batch", rid), ds.for_runner(rid)
        for name in ("runners", "runs", "strength", "blocks", "lab_tests", "wellness"):
            pd.testing.assert_frame_equal(getattr(mine, name), getattr(expected, name))
        pd.testing.assert_frame_equal(mine.quarantine, expected.quarantine)
        assert mine.settings == ds.settings and mine.path == ds.path
    pd.testing.assert_frame_equal(
        read_batch_blocks(tmp_path / "batch"), runner_blocks(ds, baseline_weeks=5)
    )


def test_a_runner_with_two_blocks_reads_both_rows_and_both_fits(tmp_path):
    from analysis.simulate import simulate_squad

    ds = load_dataset(simulate_squad(tmp_path / "two", n_runners=8, seed=6, blocks=2))
    write_batch(ds, tmp_path / "batch")
    whole, fits = analyze(ds, return_fits=True)
    two = [rid for rid in ds.runner_ids if len(fits[rid].later)]
    assert len(two) == 4  # the strength runners
    for rid in ds.runner_ids:
        results, read = read_batch(tmp_path / "batch", rid)
        expected = whole.loc[whole["runner_id"] == rid].reset_index(drop=True)
        pd.testing.assert_frame_equal(results, expected, check_exact=True)
        assert len(read[rid].later) == len(fits[rid].later)
        for got, own in zip(
            (read[rid], *read[rid].later), (fits[rid], *fits[rid].later), strict=True
        ):
            pd.testing.assert_frame_equal(got.frame, own.frame, check_exact=True)
            assert got.formula == own.formula
            assert got.row["block"] == own.row["block"]
            assert got.row["o2_cost_change_pct"] == own.row["o2_cost_change_pct"]
    assert [f.row["block"] for f in (fits[two[0]], *fits[two[0]].later)] == [1, 2]


def test_a_runner_reads_the_metrics_its_own_rows_give(sample_dir, tmp_path):
    from analysis.metrics import lab_hr_vo2_line, run_metrics, runner_parameters, weekly_metrics
    from analysis.models.batch import read_batch_metrics

    ds = load_dataset(sample_dir)
    write_batch(ds, tmp_path / "batch")
    line = lab_hr_vo2_line(ds)  # the squad's, as the notebook passes it
    for rid in ds.runner_ids:  # what the runner's notebook computed on its own, to the bit
        own = ds.for_runner(rid)
        metrics, weekly, parameters = read_batch_metrics(tmp_path / "batch", rid)
        expected = run_metrics(own, hr_vo2_line=line)
        pd.testing.assert_frame_equal(metrics, expected, check_exact=True)
        pd.testing.assert_frame_equal(weekly, weekly_metrics(own, expected), check_exact=True)
        pd.testing.assert_series_equal(parameters, runner_parameters(own).iloc[0], check_exact=True)


@pytest.mark.parametrize("runner_ids", [None, ["R05", "R02", "R07"]])
def test_the_squad_models_read_from_the_batch_are_those_the_squad_notebook_fits(
    sample_dir, tmp_path, runner_ids
):
    from analysis.blocks import runner_blocks
    from analysis.metrics import run_metrics
    from analysis.models import dose_response, runner_doses, squad_model
    from analysis.models.batch import read_squad_batch, read_squad_models, write_squad_batch

    ds = load_dataset(sample_dir)
    write_batch(ds, tmp_path / "batch", baseline_weeks=5)
    write_squad_batch(ds, tmp_path / "batch", runner_ids, baseline_weeks=5)
    effects, doses, response = read_squad_models(tmp_path / "batch", runner_ids)
    # the notebook's own fits, as squad_report.ipynb makes them without a batch
    blocks = runner_blocks(ds, baseline_weeks=5)
    metrics = run_metrics(ds)
    results = read_squad_batch(tmp_path / "batch", runner_ids)
    own = squad_model(ds, results, baseline_weeks=5, metrics=metrics, blocks=blocks)
    own_doses = runner_doses(ds, blocks=blocks)
    own_doses = own_doses.loc[own_doses["runner_id"].isin(results["runner_id"])]
    pd.testing.assert_frame_equal(effects, own, check_exact=True)
    pd.testing.assert_frame_equal(doses, own_doses, check_exact=True)
    pd.testing.assert_frame_equal(
        response, dose_response(ds, results, doses=own_doses), check_exact=True
    )
    with pytest.raises(ValueError, match=r"squad models are of the runners .*, not of \['R01'\]"):
        read_squad_models(tmp_path / "batch", ["R01"])


def _read_all(folder, rid):
    from analysis.models.batch import read_batch, read_batch_dataset, read_batch_metrics

    return read_batch_dataset(folder, rid), read_batch(folder, rid), read_batch_metrics(folder, rid)


def _assert_same_share(got, expected) -> None:
    (ds_a, (res_a, fits_a), met_a), (ds_b, (res_b, fits_b), met_b) = got, expected
    for name in ("runners", "runs", "strength", "blocks", "lab_tests", "wellness", "quarantine"):
        pd.testing.assert_frame_equal(getattr(ds_a, name), getattr(ds_b, name), check_exact=True)
    assert ds_a.path == ds_b.path and ds_a.settings == ds_b.settings
    pd.testing.assert_frame_equal(res_a, res_b, check_exact=True)
    assert list(fits_a) == list(fits_b)
    for rid in fits_a:
        pairs = zip(
            (fits_a[rid], *fits_a[rid].later), (fits_b[rid], *fits_b[rid].later), strict=True
        )
        for a, b in pairs:
            pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
            assert a.formula == b.formula and a.result is None and b.result is None
            assert a.row.keys() == b.row.keys()
            assert all(
                pd.isna(a.row[k]) and pd.isna(b.row[k]) or a.row[k] == b.row[k] for k in a.row
            )
    for a, b in zip(met_a[:2], met_b[:2], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_series_equal(met_a[2], met_b[2], check_exact=True)


@pytest.mark.parametrize("blocks", [1, 2])
def test_a_runners_pickled_share_is_what_the_parquet_files_give(tmp_path, blocks):
    # a report reads its runner's share in one pickle (~3 ms) instead of fourteen
    # filtered Parquet reads (~50 ms); both give the same frames, to the bit
    import shutil

    from analysis.models.batch import RUNNER_SHARES
    from analysis.simulate import simulate_squad

    ds = load_dataset(simulate_squad(tmp_path / "squad", n_runners=8, seed=6, blocks=blocks))
    folder = write_batch(ds, tmp_path / "batch")
    shares = {rid: _read_all(folder, rid) for rid in ds.runner_ids}
    assert len(list((folder / RUNNER_SHARES).glob("*.pickle"))) == len(ds.runner_ids)
    shutil.rmtree(folder / RUNNER_SHARES)  # now the readers read the Parquet files
    for rid in ds.runner_ids:
        _assert_same_share(shares[rid], _read_all(folder, rid))


def test_the_readers_use_the_share_and_never_a_path_from_an_invalid_id(sample_dir, tmp_path):
    from analysis.models.batch import RUNNER_SHARES, read_batch_dataset

    ds = load_dataset(sample_dir)
    folder = write_batch(ds, tmp_path / "batch")
    rid = ds.runner_ids[0]
    expected = _read_all(folder, rid)
    for data in folder.glob("data-*.parquet"):  # the share alone answers
        data.unlink()
    (folder / "frames.parquet").unlink()
    _assert_same_share(_read_all(folder, rid), expected)
    # a share planted beside the folder is never reached through the id
    (folder / RUNNER_SHARES / ".." / ".." / "evil.pickle").write_bytes(b"not a pickle")
    with pytest.raises(FileNotFoundError):  # the Parquet path, which is gone here
        read_batch_dataset(folder, "../../evil")


def test_a_share_is_only_ever_its_own_runners(sample_dir, tmp_path):
    """Shares are named by a hash of the id, and a share holding another runner's
    rows (ids that differ only in case met in one file on a case-insensitive file
    system) is not used: the reader falls back to the Parquet files."""
    import shutil

    from analysis.models.batch import RUNNER_SHARES, _share_path

    ds = load_dataset(sample_dir)
    folder = write_batch(ds, tmp_path / "batch")
    first, second = ds.runner_ids[:2]
    names = {p.name for p in (folder / RUNNER_SHARES).glob("*.pickle")}
    assert not any(rid in name for rid in ds.runner_ids for name in names)
    expected = _read_all(folder, first)
    shutil.copyfile(_share_path(folder, second), _share_path(folder, first))
    _assert_same_share(_read_all(folder, first), expected)


@pytest.mark.parametrize("blocks", [1, 2])
def test_the_report_parts_a_runner_reads_are_what_its_own_data_give(sample_dir, tmp_path, blocks):
    # readiness and the lab's tables, computed once for the squad instead of in every
    # report (~40 ms each): to the bit what the runner's notebook computes without them
    from analysis.metrics import lab_economy_at_speed, lab_metrics
    from analysis.models.batch import (
        read_batch_blocks,
        read_batch_dataset,
        read_batch_metrics,
        read_batch_part,
    )
    from analysis.readiness import runner_readiness
    from analysis.report import report_parts
    from analysis.simulate import simulate_squad

    if blocks == 1:
        ds = load_dataset(sample_dir)
    else:
        ds = load_dataset(simulate_squad(tmp_path / "two", n_runners=8, seed=6, blocks=2))
    folder = write_batch(ds, tmp_path / "batch", report_parts=report_parts, baseline_weeks=5)
    with_lab = most = 0
    for rid in ds.runner_ids:
        squad = read_batch_dataset(folder, rid)  # as the notebook reads them
        results, _ = read_batch(folder, rid)
        metrics, _, _ = read_batch_metrics(folder, rid)
        own = runner_readiness(squad, results, metrics, read_batch_blocks(folder), baseline_weeks=5)
        assert len(own) == (results["method"] == "field_hr").sum()  # a row per block
        most = max(most, len(own))
        pd.testing.assert_frame_equal(
            read_batch_part(folder, rid, "readiness"), own, check_exact=True
        )
        data = squad.for_runner(rid)
        if len(data.lab_tests):  # the notebook reads the lab's only then
            with_lab += 1
            stages, at_speed = read_batch_part(folder, rid, "lab")
            pd.testing.assert_frame_equal(stages, lab_metrics(data.lab_tests), check_exact=True)
            pd.testing.assert_frame_equal(
                at_speed, lab_economy_at_speed(data.lab_tests, None), check_exact=True
            )
    assert with_lab >= 2 and most == blocks
    assert read_batch_part(folder, ds.runner_ids[0], "no such part") is None
    plain = write_batch(ds, tmp_path / "plain", baseline_weeks=5)  # without report_parts
    assert read_batch_part(plain, ds.runner_ids[0], "readiness") is None
