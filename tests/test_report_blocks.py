"""The runner report with two blocks (issue 13 item 3): a table and a figure of the
blocks side by side and the season with every block shaded; one block as before."""

from __future__ import annotations

import io

import matplotlib.patches
import numpy as np
import pytest
from PIL import Image

from analysis import formatting, narrative, plots, report, tables
from analysis.io import load_dataset
from analysis.metrics import run_metrics, weekly_metrics
from analysis.models import analyze
from analysis.simulate import simulate_squad
from tests.test_report_figures import _notebook_pngs

pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    path = simulate_squad(
        tmp_path_factory.mktemp("two") / "squad", n_runners=8, seed=6, blocks=2, lab_tests=False
    )
    ds = load_dataset(path)
    results, fits = analyze(ds, return_fits=True)
    rid = results.loc[results["block"] == 2, "runner_id"].iloc[0]
    return path, ds, results, fits, rid


def _mine(two):
    _, ds, results, fits, rid = two
    rows = results.loc[(results["runner_id"] == rid) & (results["method"] == "field_hr")]
    data = ds.for_runner(rid)
    return rows, fits[rid], weekly_metrics(data, run_metrics(data))


def test_the_blocks_table_has_one_row_per_block_with_dates_change_verdict_and_sessions(two):
    rows, _, weekly = _mine(two)
    table = tables.blocks_table(rows, weekly)
    assert list(table.columns) == [
        "block",
        "dates",
        "change (95 % CI)",
        "verdict",
        "strength sessions per week",
    ]
    assert list(table["block"]) == ["1", "2"]
    assert list(table["dates"]) == ["16 Feb 2026 to 26 Apr 2026", "08 Jun 2026 to 16 Aug 2026"]
    assert list(table["change (95 % CI)"]) == [
        formatting.format_change(r.o2_cost_change_pct, r.ci_low_pct, r.ci_high_pct)
        for r in rows.itertuples()
    ]
    sessions = table["strength sessions per week"].astype(float)
    assert sessions.between(1.0, 3.0).all()  # 1-3 sessions a week in each simulated block
    assert list(table["verdict"]) == list(rows["verdict"])


def test_the_results_table_names_the_block_only_when_there_are_several(two, sample_dir):
    _, _, results, _, rid = two
    mine = results.loc[results["runner_id"] == rid]
    assert list(tables.results_table(mine)["method"]) == [
        "field (heart rate), block 1",
        "field (heart rate), block 2",
    ]
    one = analyze(load_dataset(sample_dir), ["R01"])
    assert list(tables.results_table(one)["method"]) == ["field (heart rate)", "lab test"]


def test_the_blocks_sentence_gives_each_block_and_nothing_for_one(two):
    rows, _, _ = _mine(two)
    text = narrative.blocks_sentence(rows)
    assert text.startswith("2 strength blocks, each against its own baseline: block 1 (16 Feb")
    assert "block 2 (08 Jun 2026 to 16 Aug 2026)" in text
    assert narrative.blocks_sentence(rows.iloc[:1]) == ""
    hostile = rows.assign(
        verdict=["improved", "insufficient data: overlaps an earlier block in blocks.csv"],
        o2_cost_change_pct=[rows["o2_cost_change_pct"].iloc[0], np.nan],
    )
    assert "block 2 (08 Jun 2026 to 16 Aug 2026): no estimate (insufficient data" in (
        narrative.blocks_sentence(hostile)
    )


def test_the_changes_figure_draws_each_block_with_its_ci(two):
    rows, _, _ = _mine(two)
    fig = plots.block_changes(rows)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["block 1\n16 Feb to 26 Apr 2026", "block 2\n08 Jun to 16 Aug 2026"]
    # each block's CI is drawn: the y range holds both intervals
    low, high = ax.get_ylim()
    assert low <= rows["ci_low_pct"].min() and high >= rows["ci_high_pct"].max()
    # a block without an estimate is named, not dropped
    fig = plots.block_changes(rows.assign(o2_cost_change_pct=[-3.0, np.nan]))
    assert "no estimate" in [t.get_text() for t in fig.axes[0].texts]


def test_the_season_figure_shades_every_block_and_draws_each_model(two):
    rows, fit, _ = _mine(two)
    fig = plots.season_economy([fit.frame] + [f.frame for f in fit.later], rows)
    ax = fig.axes[0]
    shaded = [
        p
        for p in ax.patches
        if isinstance(p, matplotlib.patches.Polygon | matplotlib.patches.Rectangle)
    ]
    assert len(shaded) == 2
    assert [t.get_text() for t in ax.texts] == ["block 1", "block 2"]
    trends = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert len(trends) == 2  # each block's model


def test_the_report_shows_both_blocks_and_a_one_block_report_does_not(two, tmp_path):
    path, _, results, _, rid = two
    control = results.loc[results["group"] == "control", "runner_id"].iloc[0]
    out = tmp_path / "rep"
    summary = report.render_reports(path, out, runner_ids=[rid, control], workers=1, progress=False)
    assert summary.failed == []
    text = " ".join(
        " ".join(p.extract_text().split()) for p in pypdf.PdfReader(out / f"{rid}.pdf").pages
    )
    assert "The blocks compared" in text
    assert "16 Feb 2026 to 26 Apr 2026" in text and "08 Jun 2026 to 16 Aug 2026" in text
    images = sum(len(p.images) for p in pypdf.PdfReader(out / f"{rid}.pdf").pages)
    control_images = sum(len(p.images) for p in pypdf.PdfReader(out / f"{control}.pdf").pages)
    assert images >= control_images + 2  # the changes side by side and the season
    field = results.loc[(results["runner_id"] == rid) & (results["method"] == "field_hr")]
    for row in field.itertuples():  # both changes with their CIs, as the table prints them
        cell = formatting.format_change(row.o2_cost_change_pct, row.ci_low_pct, row.ci_high_pct)
        assert " ".join(cell.replace("\u00a0", " ").split()) in text.replace("\u00a0", " ")
    control_text = " ".join(p.extract_text() for p in pypdf.PdfReader(out / f"{control}.pdf").pages)
    assert "The blocks compared" not in control_text
    # without --figures too, charts.figure_png is the kernel's PNG formatter from its
    # first report on: the notebook's own %matplotlib inline puts no RGBA PNG back
    for name in (rid, control):
        for data in _notebook_pngs(out / f"{name}.ipynb"):
            with Image.open(io.BytesIO(data)) as image:
                assert image.mode == "RGB", name


@pytest.mark.slow
def test_a_one_block_sample_report_has_no_comparison(sample_reports):
    assert sample_reports.failed == []
    for rid in sample_reports.ok[1:]:  # every runner of the sample has one block
        pdf = sample_reports.out_dir / f"{rid}.pdf"
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
        assert "blocks compared" not in text and "block 2" not in text, rid


def test_the_squad_table_names_the_blocks_of_a_runner_with_several(two, sample_dir):
    _, ds, results, _, rid = two
    table = tables.squad_table(results, ds.runners)
    mine = table.loc[table["runner"] == rid, "method"]
    assert list(mine) == ["field, block 1", "field, block 2"]
    control = results.loc[results["group"] == "control", "runner_id"].iloc[0]
    assert list(table.loc[table["runner"] == control, "method"]) == ["field"]
    one = analyze(load_dataset(sample_dir))
    assert set(tables.squad_table(one, load_dataset(sample_dir).runners)["method"]) == {
        "field",
        "lab",
    }


def test_the_squad_header_counts_runners_once_and_names_later_blocks(two, sample_dir):
    from analysis.blocks import runner_blocks

    _, ds, results, _, _ = two
    text = narrative.squad_header("two", results, runner_blocks(ds))
    assert (
        "**Runners** 8 (4 control, 4 strength)" in text
        or "**Runners** 8 (4 strength, 4 control)" in text
    )
    assert "**Later blocks** 4 runner(s) with more than one block" in text
    one = load_dataset(sample_dir)
    assert "Later blocks" not in narrative.squad_header("s", analyze(one), runner_blocks(one))


def test_the_forest_plot_names_later_blocks_and_dose_response_uses_first_blocks(two):
    from analysis.models.dose import dose_response, runner_doses

    _, ds, results, _, rid = two
    fig = plots.forest_plot(results)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert f"{rid} block 1 (strength)" in labels and f"{rid} block 2 (strength)" in labels
    doses = runner_doses(ds)
    fig = plots.dose_response_plot(results, doses, dose_response(ds, results, doses=doses))
    # one point per strength runner (its first block), not one per block
    points = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in points) == 4
