"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.models import (
    ANALYZE_COLUMNS,
    EXTRA_COLUMNS,
    analyze,
)
from analysis.models.inference import VERDICTS
from analysis.simulate import simulate_squad
from tests.models._support_models import DATA_FORMAT_ANALYZE_COLUMNS, NUMBERS, _field, _squad


def test_columns_follow_data_format_exactly(small):
    _, _, out = small
    assert list(ANALYZE_COLUMNS) == DATA_FORMAT_ANALYZE_COLUMNS
    assert list(out.columns) == DATA_FORMAT_ANALYZE_COLUMNS + list(EXTRA_COLUMNS)
    assert set(out["method"]) == {"field_hr", "lab"}
    assert out["verdict"].isin(VERDICTS).all()
    assert set(out["reference"]) == {"controls", "none"}  # field rows vs lab rows
    assert (out.loc[out["method"] == "lab", "reference"] == "none").all()
    assert (out["mdc_pct"] > 0).all() and (out["swc_pct"] == 2.5).all()
    assert out["verdict_text"].str.len().gt(20).all()
    # verdict follows the CI, change follows the two values
    field = _field(out)
    # the raw change is the two levels' ratio; the headline is the raw change
    # net of the controls' pooled change over the same dates
    np.testing.assert_allclose(
        field["raw_change_pct"],
        100 * (field["end_o2_cost_ml_kg_km"] / field["baseline_o2_cost_ml_kg_km"] - 1),
    )
    np.testing.assert_allclose(
        1 + field["own_change_pct"] / 100,
        (1 + field["raw_change_pct"] / 100) / (1 + field["reference_change_pct"] / 100),
    )
    assert ((field["ci_high_pct"] < 0) == (field["verdict"] == "improved")).all()
    assert ((field["ci_low_pct"] > 0) == (field["verdict"] == "worsened")).all()
    inside = (field["ci_low_pct"] > -2.5) & (field["ci_high_pct"] < 2.5)
    assert (inside == (field["verdict"] == "no meaningful change")).all()
    assert (out["block_source"].isin(["blocks.csv", "inferred", "squad (control)"])).all()


def test_every_runner_gets_a_field_row_in_runners_csv_order(small):
    ds, truth, out = small
    assert list(_field(out)["runner_id"]) == list(ds.runners["runner_id"])
    lab_runners = set(truth.loc[truth["lab_tested"], "runner_id"])
    assert set(out.loc[out["method"] == "lab", "runner_id"]) == lab_runners
    # each lab row directly follows its runner's field row
    methods = out.groupby("runner_id", sort=False)["method"].agg(list)
    assert all(m[0] == "field_hr" for m in methods)


def test_dirty_dataset_still_gives_every_runner_a_row(tmp_path):
    ds, _ = _squad(tmp_path, "dirty", n_runners=12, seed=4, bad_rows=14, missing_fraction=0.2)
    q = ds.quarantine.loc[ds.quarantine["file"] == "runs.csv"]
    assert len(q) > 0
    out = analyze(ds)
    field = _field(out).set_index("runner_id")
    assert list(field.index) == list(ds.runners["runner_id"])
    per_runner_q = q.drop_duplicates(["runner_id", "line"]).groupby("runner_id").size()
    known = per_runner_q.loc[per_runner_q.index.isin(field.index)]
    assert len(known) > 0
    for rid, k in known.items():
        assert f"quarantined: {k}" in field.loc[rid, "excluded_reasons"]
        assert field.loc[rid, "n_excluded_runs"] >= k
    assert field["excluded_reasons"].str.contains("no heart rate").any()
    assert field["excluded_reasons"].str.contains("no temperature").any()


def test_insufficient_data_rows_have_the_reason_and_no_numbers(tmp_path):
    folder = simulate_squad(tmp_path / "sq", n_runners=6, seed=12, lab_tests=False)
    runs = pd.read_csv(folder / "runs.csv")
    date = pd.to_datetime(runs["date"])
    few = (runs["runner_id"] == "R01") & (date < pd.Timestamp("2026-02-16"))
    keep = ~few | (few.cumsum() <= 3)  # R01: 3 baseline runs left
    runs = runs.loc[keep & (runs["runner_id"] != "R03")].copy()  # R03: no runs at all
    runs.loc[runs["runner_id"] == "R02", ["avg_hr_bpm", "max_hr_bpm"]] = np.nan  # R02: no HR
    runs.to_csv(folder / "runs.csv", index=False)
    out = _field(analyze(load_dataset(folder))).set_index("runner_id")
    assert out.loc["R01", "verdict"].startswith("insufficient data: ")
    assert "steady runs in the baseline" in out.loc["R01", "verdict"]
    assert out.loc["R01", "n_baseline_runs"] < 8
    assert out.loc["R02", "verdict"] == "insufficient data: no heart rate"
    assert out.loc["R03", "verdict"] == "insufficient data: no runs"
    bad = out.loc[["R01", "R02", "R03"], NUMBERS]
    assert bad.isna().all().all()
    assert not out.loc[["R04", "R05", "R06"], NUMBERS].isna().any().any()


def test_runner_selection_and_unknown_runner(small):
    ds, _, _ = small
    out = analyze(ds, runner_ids=["R06", "R03"])
    assert list(_field(out)["runner_id"]) == ["R06", "R03"]
    # a control's squad block still comes from the whole squad
    row = _field(out).set_index("runner_id").loc["R06"]
    assert row["block_source"] == "squad (control)"
    assert row["block_start"] == pd.Timestamp("2026-02-16")
    with pytest.raises(DataError, match="runner.s. 'R99' not found"):
        analyze(ds, runner_ids=["R99"])
    with pytest.raises(ValueError, match="'errors' parameter of analyze must be one of"):
        analyze(ds, errors="ols")
    with pytest.raises(ValueError, match="'confounders' parameter of analyze"):
        analyze(ds, confounders=("temp_c",))


def test_progress_bar(small, capsys):
    ds, _, _ = small
    analyze(ds, runner_ids=["R01"], progress=True)
    assert "analyze" in capsys.readouterr().err


def test_a_runners_report_gives_the_squads_answer(sample_dir):
    """The runner notebook passes only its runner's metrics; the learned choices and
    the control reference still come from the whole squad, as in `runeco analyze`."""
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics

    ds = load_dataset(sample_dir)
    squad = analyze(ds).set_index(["runner_id", "method"])
    for rid in ("R01", "R02"):
        alone = analyze(ds, [rid], metrics=run_metrics(ds.for_runner(rid)))
        row = alone.set_index(["runner_id", "method"]).loc[(rid, "field_hr")]
        expected = squad.loc[(rid, "field_hr")]
        for col in (
            "o2_cost_change_pct",
            "ci_low_pct",
            "ci_high_pct",
            "heat_onset_c",
            "verdict",
        ):
            assert row[col] == expected[col] or row[col] == pytest.approx(expected[col]), col


def test_a_runners_report_gives_the_squads_pooled_headline(tmp_path):
    """The headline is pooled over the whole squad (12 runners: 6 per group),
    also when a report analyses one runner; it differs from the runner's own,
    which is kept in ``own_*``."""
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics
    from analysis.simulate import simulate_squad

    ds = load_dataset(simulate_squad(tmp_path / "sq", n_runners=12, seed=4, lab_tests=False))
    squad = analyze(ds).set_index("runner_id")
    assert squad["pooling"].eq("group").all() and squad["n_pooled_runners"].eq(6).all()
    columns = ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "p_value", "mdc_pct")
    own = ("own_change_pct", "own_ci_low_pct", "own_ci_high_pct")
    for rid in ("R01", "R02"):
        alone = analyze(ds, [rid], metrics=run_metrics(ds.for_runner(rid))).set_index("runner_id")
        for col in (*columns, *own):
            assert alone.at[rid, col] == pytest.approx(squad.at[rid, col]), col
        for col in ("verdict", "verdict_text", "own_verdict", "pooling"):
            assert alone.at[rid, col] == squad.at[rid, col], col
        assert alone.at[rid, "o2_cost_change_pct"] != pytest.approx(alone.at[rid, "own_change_pct"])


def test_one_runner_cannot_move_the_squads_learned_choice(sample_copy):
    """One runner's wrong VO2max (85) moved the 8-runner sample squad's learned heat
    onset from 15 to 5 degC and flipped R03 from improved to inconclusive; a choice
    shared by the squad must hold without its most favourable runner."""
    import pandas as pd

    from analysis.io import load_dataset

    folder = sample_copy
    runners = pd.read_csv(folder / "runners.csv")
    runners.loc[runners["runner_id"] == "R03", "vo2max_ml_kg_min"] = 85.0
    runners.to_csv(folder / "runners.csv", index=False)
    out = analyze(load_dataset(folder)).query("method == 'field_hr'").set_index("runner_id")
    assert (out["heat_onset_c"] == 15.0).all()
    assert out.at["R03", "verdict"] == "improved"
    assert out["sensitivity_change_pct"].isna().all()  # nothing learned away from the default


def test_a_learned_choice_away_from_the_documented_one_comes_with_the_documented_answer(
    tmp_path,
):
    """Heat raising heart rate across every temperature, in every runner: the squad
    learns a linear heat term, and analyze gives the answer under the documented
    choice beside it (what a fixed-onset analysis gives)."""
    import numpy as np

    from analysis.io import load_dataset
    from analysis.metrics import run_metrics
    from analysis.simulate import simulate_squad

    ds = load_dataset(simulate_squad(tmp_path / "sq", n_runners=16, seed=7, lab_tests=False))
    metrics = run_metrics(ds)
    metrics["o2_cost_ml_kg_km"] *= np.exp(0.008 * (metrics["temp_c"].fillna(10) - 10))
    out = analyze(ds, metrics=metrics).query("method == 'field_hr'").set_index("runner_id")
    assert out["heat_onset_c"].iloc[0] != 15.0  # the premise: the learned onset moved
    # the documented design of each choice (the squad's shared residual fatigue
    # included: under heat from 15 degC the misfit heat of the block's runs, which
    # follow sessions, would be learned as +0.5 % of it)
    fixed = (
        analyze(
            ds,
            metrics=metrics,
            heat_onset_c=15.0,
            ramp_weeks=np.inf,
            speed_scale=1.0,
            post_strength_shared=0.0,
        )
        .query("method == 'field_hr'")
        .set_index("runner_id")
    )
    documented = "heat from 15 degC, ramp over the whole block, Daniels' cost-speed curve"
    assert (out["sensitivity_design"] == documented).all()
    np.testing.assert_allclose(out["sensitivity_change_pct"], fixed["o2_cost_change_pct"])
    np.testing.assert_allclose(out["sensitivity_ci_low_pct"], fixed["ci_low_pct"])
    assert fixed["sensitivity_change_pct"].isna().all()  # nothing learned, nothing to compare
