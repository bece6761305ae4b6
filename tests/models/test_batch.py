"""The batch's analysis: each runner's share of one squad-wide analyze."""

from __future__ import annotations

import pandas as pd

from analysis.io import load_dataset
from analysis.models import analyze
from analysis.models.batch import read_batch, write_batch


def test_each_runner_reads_the_squad_rows_and_its_own_fit(sample_dir, tmp_path):
    ds = load_dataset(sample_dir)
    write_batch(ds, tmp_path / "batch")
    whole = analyze(ds)
    for rid in ds.runner_ids:
        results, fits = read_batch(tmp_path / "batch", rid)
        expected = whole.loc[whole["runner_id"] == rid].reset_index(drop=True)
        pd.testing.assert_frame_equal(results, expected, check_exact=True)  # `runeco analyze`
        alone, own = analyze(ds, [rid], return_fits=True)  # what the notebook did on its own
        pd.testing.assert_frame_equal(results, alone, rtol=1e-9, check_dtype=False)
        pd.testing.assert_frame_equal(fits[rid].frame, own[rid].frame, rtol=1e-9)
        assert fits[rid].formula == own[rid].formula
        assert fits[rid].row["o2_cost_change_pct"] == expected["o2_cost_change_pct"].iloc[0] or (
            pd.isna(fits[rid].row["o2_cost_change_pct"])
        )
