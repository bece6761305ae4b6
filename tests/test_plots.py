"""Figures and report text: exact number formatting, narrative, black-and-white figures."""

from __future__ import annotations

import html
import io

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from analysis import describe, formatting, narrative, plots, tables
from analysis.models.inference import reference_note
from analysis.models.prepare import OUT_OF_LINE, OUT_OF_LINE_SDS

MINUS, NBSP = "\u2212", "\u00a0"


# --------------------------------------------------------------------------- frames


def _block(**overrides):
    row = {
        "runner_id": "R01",
        "group": "strength",
        "block_start": pd.Timestamp("2026-02-16"),
        "block_end": pd.Timestamp("2026-04-26"),
        "block_source": "inferred",
        "baseline_start": pd.Timestamp("2026-01-05"),
        "block_weeks": 10.0,
        "warning": "",
    }
    row.update(overrides)
    return pd.Series(row)


def _fit_frame(n=60, seed=1):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-01-05", periods=n, freq="2D")
    ramp = np.clip((dates - pd.Timestamp("2026-02-16")).days / 70, 0, 1)
    trend = 180 * np.exp(-0.05 * ramp)
    cost = trend * np.exp(rng.normal(0, 0.03, n))
    used = rng.random(n) > 0.15
    return pd.DataFrame(
        {
            "date": dates,
            "run_id": [f"R01-{i}" for i in range(n)],
            "period": np.where(dates < pd.Timestamp("2026-02-16"), "baseline", "block"),
            "steady": used,
            "used": used,
            "exclude_reason": np.where(used, "", "interval"),
            "temp_c": rng.normal(5, 4, n),
            "ramp": ramp,
            "o2_cost_ml_kg_km": cost,
            "o2_cost_adjusted_ml_kg_km": np.where(used, cost * 0.99, np.nan),
            "o2_cost_trend_ml_kg_km": trend,
        }
    )


def _metrics(n=60, seed=2):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-01-05", periods=n, freq="2D")
    gas = rng.uniform(200, 260, n)
    return pd.DataFrame(
        {
            "date": dates,
            "steady": True,
            "gas_m_min": gas,
            "hr_used_bpm": 60 + 0.3 * gas + rng.normal(0, 3, n),
            "race_vdot": np.where(np.arange(n) % 20 == 0, 55.0, np.nan),
        }
    )


def _weekly(with_load=True):
    weeks = pd.date_range("2026-01-05", periods=16, freq="7D")
    in_block = weeks >= pd.Timestamp("2026-02-16")
    frame = pd.DataFrame({"runner_id": "R01", "week": weeks, "running_km": 50.0})
    frame["strength_sessions"] = np.where(in_block, 2, 0)
    for cat in plots.EXERCISE_CATEGORIES:
        frame[f"strength_sessions_{cat}"] = np.where(in_block & (cat in ("heavy", "core")), 1, 0)
        frame[f"volume_load_{cat}_kg"] = np.where(
            in_block & (cat == "heavy") & with_load, 2000.0, 0.0
        )
    return frame


def _result_row(**overrides):
    row = {
        "runner_id": "R01",
        "group": "strength",
        "method": "field_hr",
        "o2_cost_change_pct": -5.553,
        "ci_low_pct": -8.946,
        "ci_high_pct": -2.034,
        "typical_error_pct": 3.27,
        "verdict": "improved",
    }
    row.update(overrides)
    return row


# --------------------------------------------------------------------------- numbers and text


def test_format_change_is_exact():
    assert formatting.format_change(-5.553, -8.946, -2.034) == (
        f"{MINUS}5.6{NBSP}% (95{NBSP}% CI {MINUS}8.9 to {MINUS}2.0{NBSP}%)"
    )
    assert formatting.format_change(2.2167, -2.517, 7.18) == (
        f"+2.2{NBSP}% (95{NBSP}% CI {MINUS}2.5 to +7.2{NBSP}%)"
    )
    assert formatting.format_change(float("nan"), 1, 2) == "n/a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.04, "0.0"), (0.04, "0.0"), (-0.06, f"{MINUS}0.1"), (12.349, "+12.3")],
)
def test_format_number_signs(value, expected):
    assert formatting.format_number(value, 1, signed=True) == expected


def test_answer_sentence_has_change_ci_verdict_and_typical_error():
    text = narrative.answer_sentence(_result_row(), "Ann Example")
    assert formatting.format_change(-5.553, -8.946, -2.034) in text
    assert "improved" in text and "below zero" in text
    # 5.55 / 3.27 = 1.7 times the typical error of one run
    assert "1.7 times the typical error of a single run (3.3" in text
    assert "Ann Example" in text


def test_answer_sentence_small_change_and_control():
    text = narrative.answer_sentence(
        _result_row(
            group="control",
            o2_cost_change_pct=1.0,
            ci_low_pct=-2.0,
            ci_high_pct=4.0,
            verdict="inconclusive",
            mdc_pct=6.4,
            reference="controls",
            n_reference_runners=5,
            raw_change_pct=2.2,
        )
    )
    assert "inconclusive: these data can only detect changes larger than about 6.4" in text
    assert "relative to the other 5 controls over the same weeks" in text
    assert "(its change before that: +2.2" in text
    assert "control runner" in text and "pooled" not in text
    # a squad of 2 controls: each is referenced to the other one, in words
    one = narrative.answer_sentence(
        _result_row(
            group="control",
            verdict="inconclusive",
            mdc_pct=12.8,
            reference="controls",
            n_reference_runners=1,
            raw_change_pct=-1.3,
        )
    )
    assert "relative to the other control over the same weeks" in one
    assert "1 controls" not in one
    pooled = narrative.answer_sentence(_result_row(pooling="group", n_pooled_runners=30))
    assert "pooled with the squad's 30 strength runners" in pooled
    # an inconclusive change is not compared with one run's noise: the clause
    # "it shows in the trend over many runs" made no sense there (issue 13)
    assert "typical error" not in text and "trend over many runs" not in text
    small_but_clear = narrative.answer_sentence(
        _result_row(o2_cost_change_pct=-2.0, ci_low_pct=-3.5, ci_high_pct=-0.5)
    )
    assert "smaller than the typical error of a single run" in small_but_clear


def test_answer_sentence_no_meaningful_change_names_the_threshold():
    text = narrative.answer_sentence(
        _result_row(
            o2_cost_change_pct=0.3,
            ci_low_pct=-1.5,
            ci_high_pct=2.1,
            verdict="no meaningful change",
            swc_pct=2.5,
        )
    )
    assert "no change larger than 2.5" in text


def test_answer_sentence_insufficient_data_gives_the_reason():
    text = narrative.answer_sentence(
        _result_row(
            o2_cost_change_pct=np.nan,
            ci_low_pct=np.nan,
            ci_high_pct=np.nan,
            verdict="insufficient data: 3 steady runs in the baseline (need 8)",
        )
    )
    assert "cannot be answered" in text
    assert "3 steady runs in the baseline (need 8)" in html.unescape(text)


def test_markdown_and_html_escaping_of_data():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    hostile = "**x**_<b> http://a.b [l](u) `c` # h"
    assert html.unescape(formatting.md_escape(hostile)) == hostile
    rendered = markdown2html_mistune("Name: " + formatting.md_escape(hostile))
    assert "<b>" not in rendered and "<strong>" not in rendered and "<em>" not in rendered
    assert "<a " not in rendered and "<code>" not in rendered and "\\" not in rendered
    assert html.unescape(rendered) == f"<p>Name: {hostile}</p>\n"
    table = tables.html_table(pd.DataFrame({"name": ["<script>alert(1)</script>"]}))
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_runner_header_says_how_the_block_was_found():
    runner = pd.Series({"runner_id": "R01", "name": "Ann Example"})
    metrics = _metrics()
    text = narrative.runner_header(runner, _block(block_source="blocks.csv"), metrics)
    assert text.startswith("# Running economy: Ann Example")
    assert "16 Feb 2026 to 26 Apr 2026 (10 weeks), explicit (blocks.csv)" in text
    assert "05 Jan 2026 to 15 Feb 2026" in text  # baseline ends the day before the block
    inferred = narrative.runner_header(runner, _block(), metrics)
    assert "inferred from the strength log" in inferred
    assert formatting.display_name(pd.Series({"runner_id": "R09", "name": None})) == "R09"


def test_exclusions_table_accounts_for_every_run():
    frame = _fit_frame()
    frame.loc[frame.index[:5], "period"] = "outside"
    table = tables.exclusions_table(frame, n_quarantined=2)
    counts = dict(zip(table["runs"], table["count"], strict=True))
    assert counts["quarantined rows in runs.csv (not loaded)"] == 2
    assert sum(counts.values()) == len(frame) + 2


def test_parameters_table_flags_defaults():
    table = tables.parameters_table(
        {
            "hr_rest_bpm": 50.0,
            "hr_rest_source": "default",
            "hr_max_bpm": 188.0,
            "hr_max_source": "observed max",
            "vo2max_ml_kg_min": 55.04,
            "vo2max_source": "race VDOT",
        }
    )
    assert list(table["value"]) == ["50 bpm", "188 bpm", "55.0 ml/kg/min"]
    assert table.loc[0, "note"].startswith("DEFAULT")
    assert table.loc[1, "note"] == ""


# --------------------------------------------------------------------------- figures


def _is_grey(color) -> bool:
    r, g, b, _ = to_rgba(color)
    return abs(r - g) < 1e-6 and abs(g - b) < 1e-6


def _legend_styles(ax) -> list[tuple]:
    """How each legend entry of an axes looks in black-and-white print."""
    styles = []
    legend = ax.get_legend()
    if legend is not None:
        for handle in legend.legend_handles:
            if isinstance(handle, matplotlib.lines.Line2D):
                filled = handle.get_markerfacecolor()
                styles.append(
                    (
                        "line",
                        handle.get_marker(),
                        handle.get_linestyle(),
                        round(to_rgba(filled)[0], 1) if filled != "none" else None,
                        handle.get_markersize() > 3,
                    )
                )
            else:
                face = np.atleast_2d(handle.get_facecolor())[0]
                styles.append(("patch", handle.get_hatch() or "", round(float(face[0]), 2)))
    return styles


def _assert_black_and_white(fig: Figure) -> None:
    for ax in fig.axes:
        for line in ax.get_lines():
            assert _is_grey(line.get_color()), line
            assert _is_grey(line.get_markerfacecolor()) or line.get_markerfacecolor() == "none"
        for patch in ax.patches:
            assert _is_grey(patch.get_facecolor()), patch
        for coll in ax.collections:
            for face in coll.get_facecolors():
                assert _is_grey(face), coll
        styles = _legend_styles(ax)
        assert len(styles) == len(set(styles)), f"legend entries differ only by colour: {styles}"


def _png_ok(fig: Figure) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_economy_over_time_draws_runs_adjusted_and_trend_in_bw():
    fig = plots.economy_over_time(_fit_frame(), _block())
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert any("as estimated" in s for s in labels)
    assert any("adjusted" in s for s in labels)
    assert any(s.startswith("model") for s in labels)
    _assert_black_and_white(fig)
    _png_ok(fig)


def test_hr_vs_pace_separates_baseline_and_late_block():
    fig = plots.hr_vs_pace(_metrics(), _block(), late_weeks=4)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    baseline = next(s for s in labels if s.startswith("baseline"))
    late = next(s for s in labels if s.startswith("late block"))
    assert "30 Mar to 26 Apr" in late  # the last four weeks of the block (28 days)
    assert "05 Jan to 15 Feb" in baseline
    assert fig.axes[0].xaxis_inverted()  # faster to the right
    _assert_black_and_white(fig)


def test_weekly_training_panels_depend_on_external_load():
    assert len(plots.weekly_training(_weekly(with_load=True), _block()).axes) == 3
    fig = plots.weekly_training(_weekly(with_load=False), _block())
    assert len(fig.axes) == 2
    _assert_black_and_white(fig)
    _png_ok(fig)


def test_weekly_training_of_a_runner_without_strength_sessions_is_one_panel():
    weekly = _weekly(with_load=False)
    weekly[[c for c in weekly if c.startswith("strength_sessions")]] = 0
    fig = plots.weekly_training(weekly, _block())
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title(loc="left") == "Weekly running (no strength sessions)"
    assert fig.get_figheight() < plots.weekly_training(_weekly(), _block()).get_figheight() / 2
    _png_ok(fig)


def test_weekly_training_spans_the_baseline_and_block_not_a_stray_old_run():
    """One run logged years before the rest stretched the chart over those years,
    the block a sliver at its end: the chart spans 4 weeks before the baseline to
    8 after the last block, and its title and alt text count what it leaves out."""
    weekly = _weekly()
    old = weekly.iloc[[0, 0, 0]].assign(
        week=pd.to_datetime(["2023-05-08", "2023-05-15", "2023-05-22"]), running_km=[12.0, 0, 0]
    )
    later = weekly.iloc[[0]].assign(week=pd.Timestamp("2026-09-07"), strength_sessions=1)
    weekly = pd.concat([old, weekly, later], ignore_index=True).assign(runs=lambda f: 1)
    weekly.loc[[1, 2], "runs"] = 0  # weeks without training between the old run and the rest
    fig = plots.weekly_training(weekly, _block())
    lo, hi = (mdates.num2date(x).replace(tzinfo=None) for x in fig.axes[0].get_xlim())
    assert pd.Timestamp("2025-11-20") < lo < pd.Timestamp("2026-01-05")
    assert pd.Timestamp("2026-04-26") < hi < pd.Timestamp("2026-06-30")
    title = fig.axes[0].get_title(loc="left")
    assert title == (
        "Weekly training (1 earlier week (May 2023) and 1 later week (Sep 2026) "
        "of training not shown)"
    )
    alt = describe.weekly_training(weekly, _block())
    assert "Weekly training over 16 weeks, 05 Jan 2026 to 20 Apr 2026" in alt
    assert "not shown: 1 earlier week of training (08 May 2023) and 1 later week" in alt
    # a second block ending in September: the chart reaches it
    fig = plots.weekly_training(weekly, _block(), pd.Timestamp("2026-08-30"))
    assert (
        fig.axes[0]
        .get_title(loc="left")
        .endswith("(1 earlier week (May 2023) of training not shown)")
    )
    # without block dates, every week
    nodates = _block(block_start=pd.NaT, block_end=pd.NaT, baseline_start=pd.NaT)
    assert plots.weekly_training(weekly, nodates).axes[0].get_title(loc="left") == "Weekly training"
    # dates with a time zone window the same way
    aware = _block(
        **{k: _block()[k].tz_localize("Europe/Oslo") for k in ("baseline_start", "block_end")}
    )
    title = plots.weekly_training(weekly, aware).axes[0].get_title(loc="left")
    assert title.startswith("Weekly training (1 earlier week (May 2023)")
    # a log with no training near the block dates: every week, not an empty chart
    far = _block(
        baseline_start=pd.Timestamp("2030-01-07"),
        block_start=pd.Timestamp("2030-02-18"),
        block_end=pd.Timestamp("2030-04-28"),
    )
    assert plots.weekly_training(weekly, far).axes[0].get_title(loc="left") == "Weekly training"
    assert describe.weekly_training(weekly, far).startswith(
        "Weekly training over 20 weeks, 08 May 2023"
    )
    _png_ok(fig)


def test_vo2max_over_time_shows_each_source():
    runs = pd.DataFrame(
        {"date": pd.date_range("2026-01-05", periods=10, freq="7D"), "vo2max_est_ml_kg_min": 58.0}
    )
    lab = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-02-13"] * 3 + ["2026-04-27"] * 3),
            "vo2_ml_kg_min": [40, 50, 60, 41, 51, 59],
            "rer": [0.85, 0.95, 1.12, 0.85, 0.95, 1.02],  # only the first test is maximal
        }
    )
    fig = plots.vo2max_over_time(
        runs, _metrics(), lab, {"vo2max_ml_kg_min": 57.0, "vo2max_source": "lab test"}, _block()
    )
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert "watch estimate" in lines
    assert any("VDOT" in s for s in lines)
    lab_line = lines["lab test (maximal)"]
    assert list(lab_line.get_ydata()) == [60]
    assert any(s.startswith("value used: 57.0 (lab test)") for s in lines)
    _assert_black_and_white(fig)


def test_forest_plot_error_bars_match_the_ci():
    per_runner = pd.DataFrame(
        [
            _result_row(runner_id="R01"),
            _result_row(
                runner_id="R02",
                group="control",
                o2_cost_change_pct=1.0,
                ci_low_pct=-1,
                ci_high_pct=3,
            ),
            _result_row(
                runner_id="R03", o2_cost_change_pct=np.nan, ci_low_pct=np.nan, ci_high_pct=np.nan
            ),
            _result_row(runner_id="R01", method="lab"),
        ]
    )
    squad = pd.DataFrame(
        {
            "effect": ["strength minus control"],
            "estimate_pct": [-4.0],
            "ci_low_pct": [-7.0],
            "ci_high_pct": [-1.0],
            "n_runners": [3],
            "ci_method": ["Wald"],
            "note": [""],
        }
    )
    fig = plots.forest_plot(per_runner, squad)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [
        "R01 (strength)",
        "R02 (control)",
        "R03 (strength)",
        "squad: strength minus control",
    ]
    assert any("insufficient data" in t.get_text() for t in ax.texts)
    # the first error bar spans the CI of R01
    segments = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    xs = sorted(segments[0][:, 0])
    assert xs == pytest.approx([-8.946, -2.034])
    _assert_black_and_white(fig)


def test_dose_response_and_adherence_plots():
    doses = pd.DataFrame(
        {
            "runner_id": ["R01", "R02", "R03", "R04"],
            "group": ["strength", "strength", "strength", "control"],
            "block_source": ["blocks.csv", "inferred", "blocks.csv", "squad (control)"],
            "block_weeks": 10.0,
            "sessions": [10, 20, 30, 0],
            "sessions_per_week": [1.0, 2.0, 3.0, 0.0],
            "volume_load_kg_per_week": [0.0, 1000.0, 2000.0, 0.0],
        }
    )
    per_runner = pd.DataFrame(
        [
            _result_row(runner_id=r, own_change_pct=c, own_ci_low_pct=c - 2, own_ci_high_pct=c + 2)
            for r, c in (("R01", -1.0), ("R02", -3.0), ("R03", -5.0), ("R04", 0.5))
        ]
    )  # the runner's own change is drawn (the headline, -5.553 for all, is pooled)
    response = pd.DataFrame(
        {
            "dose": ["sessions_per_week"],
            "dose_step": [1.0],
            "dose_unit": ["session/week"],
            "slope_pct": [-2.0],
            "ci_low_pct": [-3.0],
            "ci_high_pct": [-1.0],
            "p_value": [0.01],
            "n_runners": [3],
            "note": [""],
        }
    )
    fig = plots.dose_response_plot(per_runner, doses, response)
    fitted = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("fitted")]
    assert len(fitted) == 1
    slope, intercept = np.polyfit(fitted[0].get_xdata(), fitted[0].get_ydata(), 1)
    # equal CI widths: the line passes through the plain means (2, -3)
    assert slope == pytest.approx(-2.0) and intercept == pytest.approx(1.0)
    points = [line for line in fig.axes[0].get_lines() if line.get_label() == "strength"]
    assert list(points[0].get_ydata()) == [-1.0, -3.0, -5.0]
    assert f"each runner's own changes {MINUS}5.0 to 0.5 %." in describe.dose_response(
        per_runner, doses
    )
    assert "per 1 session/week" in fitted[0].get_label()
    _assert_black_and_white(fig)
    sentence = narrative.dose_sentence(response)
    assert "Across 3 strength runners" in sentence and f"{MINUS}2.00 percentage points" in sentence
    fig = plots.adherence_plot(doses)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["R01", "R02", "R03", "R04"]
    _assert_black_and_white(fig)


def test_sample_runner_figures_from_the_library(sample_dir):
    """The report's figures from the real pipeline on the sample squad."""
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics, weekly_metrics
    from analysis.models import fit_runner

    ds = load_dataset(sample_dir)
    rid = ds.runner_ids[0]
    data = ds.for_runner(rid)
    blocks = runner_blocks(ds)
    block = blocks.loc[blocks["runner_id"] == rid].iloc[0]
    metrics = run_metrics(data)
    fit = fit_runner(metrics, block)
    for fig in (
        plots.economy_over_time(fit.frame, block),
        plots.hr_vs_pace(metrics, block),
        plots.weekly_training(weekly_metrics(data, metrics), block),
    ):
        _assert_black_and_white(fig)
        _png_ok(fig)


@pytest.mark.parametrize(
    ("se_method", "expected"),
    [
        (
            "GLS, AR(1) in days + white noise (REML: phi 0.90/day); t, 60 df",
            "AR(1) process in days",
        ),
        ("OLS, HAC Newey-West (Bartlett, maxlags=3); t, 80 df", "Newey-West standard errors"),
    ],
)
def test_methods_note_follows_the_fitted_model_and_cites_its_sources(se_method, expected):
    row = _result_row(
        model_terms="1 + ramp + heat_c_dev + drift_min_dev + offset(speed_cost_dev)",
        se_method=se_method,
    )
    text = narrative.methods_markdown(row)
    assert expected in text
    assert "adjusted for heat (air temperature above" in text
    assert "cardiac drift (run time beyond an hour)" in text
    assert "speed (a fixed adjustment along Daniels & Gilbert's cost-speed curve" in text
    for source in ("Swain", "Daniels", "Minetti", "Newey", "Hopkins"):
        assert source in text
    assert "cannot separate economy from aerobic fitness" in text
    # the screen for sensor errors is explained where it left runs out, with its cut-off
    assert "sensor" not in text
    screened = dict(row, excluded_reasons=f"race: 2; {OUT_OF_LINE}: 3")
    text = narrative.methods_markdown(screened)
    assert f"more than {OUT_OF_LINE_SDS:g} robust SDs" in text
    assert "at least 2 % of the cost" in text and "likely sensor errors" in text


def test_methods_note_says_when_the_heat_slope_is_pooled():
    terms = "1 + ramp + heat_c_dev + drift_min_dev + offset(speed_cost_dev)"
    pooled = (
        "GLS, AR(1) in days + white noise (REML: phi 0.65/day, 33 % of error variance), "
        "averaged over the REML grid with a prior learned from the squad; "
        "heat slope pooled with the squad's; t, 60 df"
    )
    text = narrative.methods_markdown(_result_row(model_terms=terms, se_method=pooled))
    assert "Its heat slope is pooled with the squad's (Laird & Ware 1982)." in text
    own = pooled.replace("heat slope pooled with the squad's; ", "")
    text = narrative.methods_markdown(_result_row(model_terms=terms, se_method=own))
    assert "pooled" not in text and "Laird" not in text


def test_economy_caption_states_the_temperature_coefficient():
    row = _result_row(
        reference_temp_c=4.7,
        reference_gas_m_min=215.0,
        temp_coef_pct_per_c=0.35,
        temp_coef_ci_low_pct_per_c=0.1,
        temp_coef_ci_high_pct_per_c=0.6,
    )
    frame = _fit_frame()
    text = narrative.economy_caption(row, frame)
    assert text.startswith(f"{int(frame['used'].sum())} steady runs entered the model.")
    assert "12.9 km/h" in text  # 215 m/min
    assert formatting.format_change(0.35, 0.1, 0.6, 2) in text
    no_temp = narrative.economy_caption(_result_row(temp_coef_pct_per_c=np.nan), frame)
    assert "No temperature adjustment" in no_temp


def test_unknown_exercises_note_lists_unrecognised_names_with_counts():
    strength = pd.DataFrame(
        {
            "exercise": ["Back squat", "Zercher thing", "zercher thing ", "Kettlebell_swing*"],
            "category": ["heavy", "other", "other", "core"],  # a given category wins
        }
    )
    note = narrative.unknown_exercises_note(strength)
    assert note.startswith("Exercise names not recognised, counted as *other* (1): ")
    assert "Zercher thing (2)" in note
    assert "Kettlebell" not in note and "Back squat" not in note
    assert narrative.unknown_exercises_note(strength.iloc[:1]) == ""
    assert narrative.unknown_exercises_note(pd.DataFrame()) == ""


def test_methods_note_has_the_lab_caveat_only_when_there_are_lab_rows():
    row = _result_row(model_terms="1 + ramp + heat_c_dev", se_method="GLS, AR(1) in days")
    without = narrative.methods_markdown(row)
    assert "Lab estimate" not in without and "Saunders" not in without
    lab = pd.DataFrame({"method": ["lab"], "o2_cost_change_pct": [-3.0]})
    with_lab = narrative.methods_markdown(row, lab)
    assert "**Lab estimate.**" in with_lab
    assert "day-to-day variation of submaximal VO2" in with_lab and "Saunders PU" in with_lab
    assert narrative.methods_markdown(row, lab.iloc[:0]) == without


# --------------------------------------------------------------------------- figures by their data


def _line(ax, label):
    [line] = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def test_economy_figure_draws_the_frame_it_was_given():
    frame = _fit_frame()
    # the trend is not the raw costs: a figure drawing the wrong column fails below
    frame["o2_cost_trend_ml_kg_km"] = frame["o2_cost_trend_ml_kg_km"] * 1.01
    fig = plots.economy_over_time(frame, _block())
    ax = fig.axes[0]
    used = frame.loc[frame["used"]].sort_values("date")
    raw = _line(ax, "steady run, as estimated")
    np.testing.assert_allclose(raw.get_ydata(), used["o2_cost_ml_kg_km"])
    assert len(raw.get_xdata()) == int(frame["used"].sum())
    adjusted = _line(ax, "adjusted to reference temperature, distance and speed")
    np.testing.assert_allclose(adjusted.get_ydata(), used["o2_cost_adjusted_ml_kg_km"])
    trend = _line(ax, "model: baseline level, then the change through the block")
    np.testing.assert_allclose(
        trend.get_ydata(), frame.sort_values("date")["o2_cost_trend_ml_kg_km"]
    )
    # the shaded block spans block_start to block_end
    import matplotlib.dates as mdates

    [band] = [p for p in [*ax.patches, *ax.collections] if p.get_label() == "strength block"]
    xs = (
        band.get_path().transformed(band.get_patch_transform()).vertices[:, 0]
        if hasattr(band, "get_patch_transform")
        else band.get_paths()[0].vertices[:, 0]
    )

    assert mdates.num2date(min(xs)).date() == pd.Timestamp("2026-02-16").date()
    assert mdates.num2date(max(xs)).date() >= pd.Timestamp("2026-04-26").date()


def test_forest_plot_points_and_intervals_are_the_results():
    results = pd.DataFrame(
        [
            _result_row(
                runner_id="R01", o2_cost_change_pct=-5.0, ci_low_pct=-8.0, ci_high_pct=-2.0
            ),
            _result_row(
                runner_id="R02",
                group="control",
                o2_cost_change_pct=1.0,
                ci_low_pct=-2.0,
                ci_high_pct=4.0,
            ),
            _result_row(
                runner_id="R03",
                o2_cost_change_pct=np.nan,
                ci_low_pct=np.nan,
                ci_high_pct=np.nan,
                verdict="insufficient data: no runs",
            ),
        ]
    )
    fig = plots.forest_plot(results)
    ax = fig.axes[0]
    points = [
        ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1 and ln.get_marker() in ("o", "s")
    ]
    assert sorted(float(p.get_xdata()[0]) for p in points) == [-5.0, 1.0]
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    spans = sorted(
        (round(s[:, 0].min(), 6), round(s[:, 0].max(), 6))
        for s in segments
        if len(s) == 2 and s[0, 1] == s[1, 1]
    )
    assert (-8.0, -2.0) in spans and (-2.0, 4.0) in spans
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["R01 (strength)", "R02 (control)", "R03 (strength)"]
    assert any(t.get_text() == "insufficient data" for t in ax.texts)


def _squad_results(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    change = rng.normal(-1.0, 3.0, n)
    return pd.DataFrame(
        [
            _result_row(
                runner_id=f"R{k:04d}",
                group="control" if k % 2 else "strength",
                o2_cost_change_pct=c,
                ci_low_pct=c - 3.0,
                ci_high_pct=c + 3.0,
            )
            for k, c in enumerate(change)
        ]
    )


_SQUAD_EFFECTS = pd.DataFrame(
    {
        "effect": ["strength minus control", "control change"],
        "estimate_pct": [-3.0, 0.2],
        "ci_low_pct": [-20.0, -0.5],  # wider than any runner: the shared axis must hold it
        "ci_high_pct": [-1.0, 0.9],
        "n_runners": [60, 30],
        "ci_method": ["Wald", "Wald"],
        "note": ["", ""],
    }
)


def test_a_large_squads_forest_plot_is_split_into_page_sized_parts():
    """At 60 runners one figure was 13.5 in tall and cut at the page bottom
    (issue 13): now parts of at most ROWS_PER_FIGURE runners, every runner
    once, one x axis for all parts, the squad rows on the last part."""
    results = _squad_results(60)
    figures = plots.forest_plots(results, _SQUAD_EFFECTS)
    assert len(figures) == 2
    names = []
    for k, fig in enumerate(figures, start=1):
        ax = fig.axes[0]
        assert fig.get_size_inches()[1] <= 0.2 * (plots.ROWS_PER_FIGURE + 3) + 0.85
        assert ax.get_title(loc="left").endswith(f"({k} of 2)")
        names += [t.get_text() for t in ax.get_yticklabels()]
    runners = [n for n in names if not n.startswith("squad:")]
    assert runners == [f"R{k:04d} ({'control' if k % 2 else 'strength'})" for k in range(60)]
    assert [n for n in names if n.startswith("squad:")] == [
        "squad: strength minus control",
        "squad: control change",
    ]
    assert [n for n in names[: plots.FIRST_PART_ROWS] if n.startswith("squad:")] == []
    # the first part is the one that shares page 1 with the header
    first = len(figures[0].axes[0].get_yticklabels())
    assert first == plots.FIRST_PART_ROWS
    limits = {tuple(np.round(f.axes[0].get_xlim(), 6)) for f in figures}
    assert len(limits) == 1
    low, high = limits.pop()
    assert low < -20.0 and high > results["ci_high_pct"].max()
    # 8 runners: one figure, no part number
    [small] = plots.forest_plots(_squad_results(8))
    assert small.axes[0].get_title(loc="left") == "Change over the block, per runner"


def test_a_very_large_squad_gets_a_ranked_plot_without_names():
    results = _squad_results(plots.MAX_LABELLED_RUNNERS + 50)
    results.loc[3, ["o2_cost_change_pct", "ci_low_pct", "ci_high_pct"]] = np.nan
    [fig] = plots.forest_plots(results, _SQUAD_EFFECTS)
    ax = fig.axes[0]
    assert "249 runners ranked; 1 without an estimate" in ax.get_title(loc="left")
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    ys = np.concatenate([ln.get_ydata() for ln in dots])
    xs = np.concatenate([ln.get_xdata() for ln in dots])
    assert len(ys) == 249
    # ranked: in x order the changes never fall
    assert np.all(np.diff(ys[np.argsort(xs)]) >= 0)
    assert sorted(ys) == pytest.approx(sorted(results["o2_cost_change_pct"].dropna()))
    _assert_black_and_white(fig)


def test_adherence_chart_splits_labels_its_reference_lines_and_shares_an_axis():
    doses = pd.DataFrame(
        {
            "runner_id": [f"R{k:02d}" for k in range(60)],
            "group": ["strength", "control"] * 30,
            "sessions_per_week": np.r_[np.linspace(0, 4.2, 30), np.zeros(30)],
        }
    )
    figures = plots.adherence_plots(doses)
    assert len(figures) == 2
    labels = [t.get_text() for f in figures for t in f.axes[0].get_yticklabels()]
    assert labels == list(doses["runner_id"])
    assert {tuple(f.axes[0].get_xlim()) for f in figures} == {(0.0, 1.08 * 4.2)}
    texts = [t.get_text() for t in figures[0].axes[0].texts]
    assert "2/week" in texts and "3/week" in texts
    big = pd.concat([doses] * 5, ignore_index=True)
    [hist] = plots.adherence_plots(big)
    assert hist.axes[0].get_title(loc="left") == "Adherence, 300 runners"


def test_squad_methods_note_describes_the_model_that_runs():
    """It cited Newey-West for the runner intervals while the runner report
    described (and the code ran) AR(1) REML (issue 13)."""
    squad = pd.DataFrame({"ci_method": ["Wald (REML mixed model)"], "random_effects": ["ramp"]})
    text = narrative.squad_methods_markdown(squad)
    assert "Newey" not in text
    assert "AR(1) process in days" in text and "Diggle" in text
    assert "relative to the controls" in text


def test_the_squad_methods_name_the_lab_line_where_the_squad_used_one():
    squad = pd.DataFrame({"ci_method": ["Wald (REML mixed model)"], "random_effects": ["ramp"]})
    assert "(Swain & Leutholtz 1997) at" in narrative.squad_methods_markdown(squad)
    line = "%HRR = 0.20 + 0.82 x %VO2R from the lab stages of 12 runners"
    results = pd.DataFrame({"hr_vo2_line": [np.nan, line, line]})
    text = narrative.squad_methods_markdown(squad, results)
    assert "on the squad's own line" in text and "lab stages of 12 runners" in text


def test_the_squad_methods_give_the_hrmax_line_scale_without_a_lab_line():
    squad = pd.DataFrame({"ci_method": ["Wald (REML mixed model)"], "random_effects": ["ramp"]})
    documented = "%HRR = %VO2R (Swain & Leutholtz 1997)"
    results = pd.DataFrame(
        {"hr_vo2_line": [documented] * 3 + [np.nan], "hrmax_line_scale": [1.2, 1.3, 1.5, np.nan]}
    )
    text = narrative.squad_methods_markdown(squad, results)
    assert "%HRmax line instead" in text and "about 1.3 times as large" in text
    assert "Swain DP et al. (1994)" in text
    line = "%HRR = 0.20 + 0.82 x %VO2R from the lab stages of 12 runners"
    lab = pd.DataFrame({"hr_vo2_line": [line] * 2, "hrmax_line_scale": [np.nan] * 2})
    assert "%HRmax line instead" not in narrative.squad_methods_markdown(squad, lab)
    assert "Swain DP et al. (1994)" not in narrative.squad_methods_markdown(squad, lab)


def test_the_runner_report_reads_the_change_on_the_hrmax_line_too():
    row = _result_row(
        o2_cost_change_pct=-2.0,
        ci_low_pct=-4.0,
        ci_high_pct=0.1,
        verdict="no meaningful change",
        swc_pct=2.5,
        hrmax_line_change_pct=-2.7,
        hrmax_line_ci_low_pct=-5.4,
        hrmax_line_ci_high_pct=0.1,
    )
    text = narrative.hr_line_sentence(row).replace(formatting.NBSP, " ")
    assert text.startswith("**Which heart-rate line?**")
    assert formatting.format_change(-2.7, -5.4, 0.1).replace(formatting.NBSP, " ") in text
    # the wider interval on the %HRmax line no longer rules out the worthwhile change
    assert "the verdict **inconclusive**" in text
    same = _result_row(
        hrmax_line_change_pct=-7.4, hrmax_line_ci_low_pct=-12.0, hrmax_line_ci_high_pct=-2.7
    )
    assert ": the same verdict." in narrative.hr_line_sentence(same)
    assert narrative.hr_line_sentence(_result_row(hrmax_line_change_pct=np.nan)) == ""
    assert narrative.hr_line_sentence(_result_row()) == ""
    assert "Swain DP et al. (1994)" in narrative.methods_markdown(same)
    assert "Swain DP et al. (1994)" not in narrative.methods_markdown(_result_row())


def test_pooled_sentence_gives_the_runners_own_value_beside_the_pooled_headline():
    pooled = {"pooling": "group", "n_pooled_runners": 8, "own_change_pct": -3.1}
    row = _result_row(
        **pooled, own_ci_low_pct=-7.0, own_ci_high_pct=0.8, own_verdict="inconclusive"
    )
    text = narrative.pooled_sentence(row)
    assert formatting.format_change(-3.1, -7.0, 0.8) in text
    assert "own runs alone, not pooled" in text and "**inconclusive**" in text
    same = _result_row(**pooled, own_ci_low_pct=-6.0, own_ci_high_pct=-0.2, own_verdict="improved")
    assert "the same verdict, improved" in narrative.pooled_sentence(same)
    assert narrative.pooled_sentence(_result_row(pooling="none")) == ""


def _coach_row(**changes):
    """A -5 % change (-8 to +1 %) at cost 200 ml/kg/km and 200 m/min, cost per km the
    same at every speed; HRrest 50, HRmax 190, VO2max 60."""
    row = _result_row(
        o2_cost_change_pct=-5.0,
        ci_low_pct=-8.0,
        ci_high_pct=1.0,
        baseline_o2_cost_ml_kg_km=200.0,
        reference_gas_m_min=200.0,
        reference="none",
        speed_cost_scale=0.0,
        **changes,
    )
    return row, {"hr_rest_bpm": 50.0, "hr_max_bpm": 190.0, "vo2max_ml_kg_min": 60.0}


def test_the_change_in_heart_rate_and_pace_a_coach_reads():
    """Cost 200 ml/kg/km at 200 m/min (5:00/km) is VO2 40; with HRrest 50, HRmax 190
    and VO2max 60 that is HR 50 + 140 * 36.5/56.5 = 140. A -5 % change takes 2 ml/kg/min
    off: 2/56.5 * 140 = 5 bpm lower. At the same HR (same VO2), with cost per km the
    same at every speed (``speed_cost_scale`` 0), the speed is 1/0.95 of the old: 5 %
    of 300 s = 15 s/km faster; on Daniels' curve (cost per km rising with speed, a
    log-log slope of 0.243 at 200 m/min) a faster run costs more, so 15 / 1.243 = 12."""
    from analysis import physiology

    row, params = _coach_row()
    text = narrative.coach_units_sentence(row, params).replace(formatting.NBSP, " ")
    assert "usual pace of 5:00/km" in text and "about 140 bpm" in text
    assert "about **5 bpm lower** at that pace (95 % CI from 8 bpm lower to 1 bpm higher)" in text
    assert (
        "about **15 s/km faster** at the same heart rate (from 24 s/km faster to 3 s/km slower)"
        in text
    )
    daniels = narrative.coach_units_sentence({**row, "speed_cost_scale": 1.0}, params)
    assert (
        "about **12 s/km faster** at the same heart rate (from 19 s/km faster to 2 s/km slower)"
        in daniels.replace(formatting.NBSP, " ")
    )
    # the conversion is the estimator's own (Swain & Leutholtz), run backwards
    hr_after = 140.4 - 4.96
    assert physiology.hr_to_vo2(hr_after, 50, 190, 60) == pytest.approx(40 * 0.95, abs=0.05)
    assert narrative.coach_units_sentence(row, {**params, "vo2max_ml_kg_min": np.nan}) == ""


def test_heart_rate_words_follow_the_squads_lab_line_where_one_was_used():
    """On %HRR = 0.20 + 0.80 %VO2R the same VO2 40 is HR 50 + 140 * (0.20 + 0.8 * 36.5/56.5)
    = 150, and 2 ml/kg/min less is 0.8 * 2/56.5 * 140 = 4 bpm lower, not 5."""
    row, params = _coach_row(
        hr_vo2_line="%HRR = 0.20 + 0.80 x %VO2R from the lab stages of 5 runners"
    )
    text = narrative.coach_units_sentence(row, params).replace(formatting.NBSP, " ")
    assert "about 150 bpm" in text and "about **4 bpm lower** at that pace" in text
    # the pace at the same heart rate does not depend on the line
    assert "about **15 s/km faster** at the same heart rate" in text


def test_strength_bars_count_each_session_once():
    """2 sessions a week, each with heavy, core and plyometric work: the stacked bar
    was 6 high (every category counted the session); it is the 2 sessions, shared."""
    frame = _weekly(with_load=False)
    in_block = frame["strength_sessions"] > 0
    for cat in ("heavy", "core", "plyometric"):
        frame[f"strength_sessions_{cat}"] = np.where(in_block, 2, 0)
    fig = plots.weekly_training(frame, _block())
    ax = fig.axes[1]
    tops = {}
    for collection in ax.collections:
        for path in collection.get_paths():
            x0, top = path.vertices[:, 0].min(), path.vertices[:, 1].max()
            tops[round(x0, 3)] = max(tops.get(round(x0, 3), 0.0), top)
    assert len(tops) == int(in_block.sum())
    assert all(t == pytest.approx(2.0) for t in tops.values())
    assert ax.get_ylim()[1] < 3.0


def test_adherence_table_says_no_added_load_rather_than_zero():
    doses = pd.DataFrame(
        {
            "runner_id": ["R01", "R02", "R03"],
            "group": ["strength", "strength", "control"],
            "block_weeks": 10.0,
            "sessions": [20, 24, 0],
            "sessions_per_week": [2.0, 2.4, 0.0],
            "sessions_per_week_heavy": [0.0, 2.0, 0.0],
            "sessions_per_week_explosive": [0.0, 0.0, 0.0],
            "sessions_per_week_plyometric": [2.0, 0.4, 0.0],
            "volume_load_kg_per_week": [0.0, 3150.0, 0.0],
            "repetitions_per_week": [164.4, 95.0, 0.0],
        }
    )
    table = tables.adherence_table(doses)
    assert list(table["volume load [kg/week]"]) == ["no added load", "3150", "0"]
    # the plyometric runner's work shows beside its 0 kg of volume load
    assert list(table["reps/week (all work)"]) == ["164", "95", "0"]


def test_repetitions_count_bodyweight_and_jumps_that_volume_load_cannot_see():
    from analysis.strength import repetitions, volume_load, weekly_strength

    frame = pd.DataFrame(
        {
            "runner_id": ["A"] * 4,
            "date": pd.to_datetime(["2026-03-02", "2026-03-02", "2026-03-04", "2026-03-04"]),
            "exercise": ["box jump", "back squat", "pogo jumps", "back squat"],
            "sets": [4, 3, np.nan, 2],  # a missing sets count is one set
            "reps": [8, 5, 40, 5],
            "load_kg": [np.nan, 80.0, np.nan, 60.0],
            "set_type": ["", "", "", "warmup"],
        }
    )
    assert list(repetitions(frame)) == [32.0, 15.0, 40.0, 0.0]  # warm-up sets: no work
    assert list(volume_load(frame)) == [0.0, 1200.0, 0.0, 0.0]
    [week] = weekly_strength(frame).to_dict("records")
    assert week["repetitions"] == 87.0 and week["volume_load_kg"] == 1200.0


def test_an_implausible_level_or_default_parameters_are_flagged_on_page_one():
    text = narrative.level_warning(_result_row(baseline_o2_cost_ml_kg_km=270.6))
    assert text.startswith("**Check first.**") and "270 ml/kg/km" not in text
    assert "271 ml/kg/km is outside the plausible 150–250" in text
    assert "came from a default" in narrative.level_warning(
        _result_row(baseline_o2_cost_ml_kg_km=200.0, params_defaulted=True)
    )
    assert narrative.level_warning(_result_row(baseline_o2_cost_ml_kg_km=200.0)) == ""
    assert narrative.level_warning(_result_row(baseline_o2_cost_ml_kg_km=149.0)) != ""


def test_the_report_shows_whether_a_learned_choice_moves_the_answer():
    row = _result_row(
        o2_cost_change_pct=-4.0,
        ci_low_pct=-12.1,
        ci_high_pct=4.9,
        verdict="inconclusive",
        swc_pct=2.5,
        heat_onset_c=5.0,
        plateau_weeks=np.nan,
        sensitivity_design="heat from 15 degC, ramp over the whole block",
        sensitivity_change_pct=-5.5,
        sensitivity_ci_low_pct=-10.4,
        sensitivity_ci_high_pct=-0.3,
    )
    text = narrative.sensitivity_sentence(row).replace(formatting.NBSP, " ")
    assert "favoured heat from 5 °C, a ramp over the whole block" in text
    assert "(heat from 15 °C, ramp over the whole block)" in text
    assert formatting.format_change(-5.5, -10.4, -0.3).replace(formatting.NBSP, " ") in text
    assert "the verdict **improved** instead" in text
    assert narrative.sensitivity_sentence(_result_row(sensitivity_change_pct=np.nan)) == ""


def _dose_row(slope, low, high, n):
    return pd.DataFrame(
        {
            "dose": ["sessions_per_week"],
            "dose_step": [1.0],
            "dose_unit": ["session/week"],
            "slope_pct": [slope],
            "ci_low_pct": [low],
            "ci_high_pct": [high],
            "p_value": [0.3],
            "n_runners": [n],
            "note": [""],
        }
    )


def test_dose_sentence_reads_the_interval_and_warns_at_small_n():
    """Issue 13: '+1.90 points per session/week' from 4 runners was read as 'strength
    made it worse'; the sentence now says what the interval allows."""
    text = narrative.dose_sentence(_dose_row(1.9, -3.2, 6.7, 4))
    assert "no clear link" in text and "With only 4 runners this slope is fragile" in text
    text = narrative.dose_sentence(_dose_row(-1.2, -2.0, -0.4, 30))
    assert "larger gain in economy" in text and "fragile" not in text
    text = narrative.dose_sentence(_dose_row(1.2, 0.4, 2.0, 30))
    assert "*smaller* gain" in text


def test_economy_chart_shows_the_rest_of_the_season():
    """Issue 13: runs outside the baseline and block were dropped from view."""
    frame = _fit_frame()
    extra = frame.iloc[:5].copy()
    extra["date"] = pd.date_range("2025-11-03", periods=5, freq="7D")
    extra["period"] = "outside"
    extra["used"] = False
    extra["steady"] = [True, True, True, False, True]
    extra["o2_cost_trend_ml_kg_km"] = np.nan
    fig = plots.economy_over_time(pd.concat([extra, frame], ignore_index=True), _block())
    [season] = [
        ln
        for ln in fig.axes[0].get_lines()
        if ln.get_label() == "steady run outside the analysis window"
    ]
    assert len(season.get_xdata()) == 4  # the steady ones
    assert list(season.get_ydata()) == pytest.approx(
        extra.loc[extra["steady"], "o2_cost_ml_kg_km"].tolist()
    )


def test_season_rolling_is_the_mean_of_the_steady_runs_within_14_days_either_side():
    dates = pd.to_datetime(
        ["2026-01-01", "2026-01-05", "2026-01-09", "2026-01-13", "2026-02-20", "2026-02-21"]
    )
    frame = pd.DataFrame(
        {
            "date": dates,
            "o2_cost_ml_kg_km": [200.0, 204.0, 196.0, 200.0, 190.0, 999.0],
            "steady": [True, True, True, True, True, False],  # the last is not steady
        }
    )
    out = plots.season_rolling(frame, window_days=28, min_runs=4)
    # 2026-01-05: the window 22 Dec - 19 Jan holds the four January runs
    row = out.loc[out["date"] == pd.Timestamp("2026-01-05")].iloc[0]
    values = np.array([200.0, 204.0, 196.0, 200.0])
    half = 3.182446305284263 * values.std(ddof=1) / 2.0  # t(0.975, 3) = 3.1824...
    assert row["n"] == 4 and row["mean"] == pytest.approx(200.0)
    assert row["low"] == pytest.approx(200.0 - half) and row["high"] == pytest.approx(200.0 + half)
    # 20 Feb has one steady run in its window: no estimate there
    assert pd.Timestamp("2026-02-20") not in set(out["date"])
    assert plots.season_rolling(frame.iloc[:3], min_runs=4).empty


def test_economy_chart_draws_the_season_estimate_from_its_data():
    frame = _fit_frame()
    fig = plots.economy_over_time(frame, _block())
    expected = plots.season_rolling(frame.sort_values("date"))
    [line] = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("season:")]
    assert list(line.get_ydata()) == pytest.approx(expected["mean"].tolist())
    dotted = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert [list(ln.get_ydata()) for ln in dotted] == [
        pytest.approx(expected["low"].tolist()),
        pytest.approx(expected["high"].tolist()),
    ]


# --------------------------------------------------------------------------- exploring one runner


def test_left_out_runs_lists_every_unused_run_with_its_reason():
    frame = _fit_frame()
    frame.loc[0, "period"] = "outside"
    listed = tables.left_out_runs(frame)
    unused = frame.loc[~frame["used"]]
    assert list(listed["run id"]) == list(unused["run_id"])
    reasons = dict(zip(listed["run id"], listed["reason"], strict=True))
    for row in unused.itertuples():
        expected = "outside the baseline and block" if row.period == "outside" else "interval"
        assert reasons[row.run_id] == expected
    assert tables.left_out_runs(frame.loc[frame["used"]]).empty


def test_exclusion_sentence_gives_both_answers_and_the_verdicts():
    before = _result_row(
        o2_cost_change_pct=-4.72, ci_low_pct=-9.81, ci_high_pct=0.66, verdict="inconclusive"
    )
    after = _result_row(
        o2_cost_change_pct=-5.9, ci_low_pct=-10.2, ci_high_pct=-1.1, verdict="improved"
    )
    text = narrative.exclusion_sentence(before, after, 3)
    assert text.startswith("Without the 3 runs left out, the change is ")
    assert formatting.format_change(-5.9, -10.2, -1.1) in text.split("instead of")[0]
    assert formatting.format_change(-4.72, -9.81, 0.66) in text.split("instead of")[1]
    assert "the verdict changes from *inconclusive* to *improved*" in text
    assert "stays *inconclusive*" in narrative.exclusion_sentence(before, before, 1)
    assert "1 run left out" in narrative.exclusion_sentence(before, before, 1)
    assert narrative.exclusion_sentence(before, before, 0).startswith("No runs left out")


def test_training_summary_names_the_repetitions_beside_the_sessions():
    weekly = pd.DataFrame(
        {
            "week": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]),
            "running_km": [40.0, 42.0, 44.0, 46.0],
            "strength_sessions": [0, 0, 2, 3],
            "strength_repetitions": [0.0, 0.0, 100.0, 140.0],
        }
    )
    block = {
        "baseline_start": pd.Timestamp("2026-01-05"),
        "block_start": pd.Timestamp("2026-01-19"),
        "block_end": pd.Timestamp("2026-02-01"),
    }
    text = narrative.training_summary(weekly, block)
    assert "baseline: 41 km and 0.0 strength sessions per week" in text
    assert "block: 45 km and 2.5 strength sessions (120 repetitions) per week" in text


def test_the_vo2max_note_says_the_watch_estimate_is_not_independent():
    parameters = {"vo2max_ml_kg_min": 61.3, "vo2max_source": "runners.csv"}
    runs = pd.DataFrame({"vo2max_est_ml_kg_min": [np.nan, 58.0]})
    text = narrative.vo2max_note(parameters, runs)
    assert text.startswith("The analysis used a VO2max of 61.3 ml/kg/min (source: runners.csv).")
    assert "same heart rate and pace" in text and "a maximal lab test can" in text
    # no watch estimates in the log: nothing to warn about
    for without in (None, pd.DataFrame({"vo2max_est_ml_kg_min": [np.nan]}), pd.DataFrame()):
        assert "watch" not in narrative.vo2max_note(parameters, without)


def test_methods_notes_say_when_the_headline_is_pooled():
    pooled = _result_row(model_terms="1 + ramp", pooling="group", n_pooled_runners=8)
    text = narrative.methods_markdown(pooled)
    assert "Its change is pooled with its group's 8 runners (Gelman et al. 2013)." in text
    heat = "GLS, AR(1) REML; heat slope pooled with the squad's; t, 60 df"
    both = narrative.methods_markdown(dict(pooled, se_method=heat))
    assert "Its heat slope, then its change (with its group's 8 runners), are pooled" in both
    assert "Gelman A et al. (2013)" in text
    own = narrative.methods_markdown(_result_row(model_terms="1 + ramp", pooling="none"))
    assert "partially pooled" not in own and "Gelman" not in own
    squad = pd.DataFrame({"ci_method": ["Wald (REML mixed model)"], "random_effects": ["ramp"]})
    squad_text = narrative.squad_methods_markdown(squad)
    assert "partially pooled with the group's" in squad_text
    assert "dose-response uses each runner's own change" in squad_text


def test_the_power_sentence_says_when_the_squad_helped():
    own = narrative.plan_sentence(_result_row(mdc_pct=5.04))
    assert own.startswith("**Power.** These data can detect a change of about 5.0 % (80")
    assert "To detect 3 %, plan a" in own
    pooled = narrative.plan_sentence(_result_row(mdc_pct=3.94, pooling="group"))
    assert pooled.startswith(
        "**Power.** These data with the squad can detect a change of about 3.9"
    )
    assert "To detect 3 % on its own runs alone, plan a" in pooled


@pytest.mark.parametrize(
    ("start", "end", "first"),
    [("2026-02-03", "2026-05-20", "2026"), ("2026-03-02", "2026-03-20", "Mar 2026")],
)
def test_a_date_axis_puts_the_year_in_its_first_tick_not_under_the_legend(start, end, first):
    """A block that starts after January has no January tick to carry the year:
    matplotlib's concise dates then print it below the right end of the axis, where
    the legend under the axes covered it. The first tick carries it instead."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(6.4, 3.0))
    FigureCanvasAgg(fig)  # a canvas that draws: the offset text is set when drawn
    ax = fig.add_subplot()
    days = pd.date_range(start, end, freq="D")
    ax.plot(days, np.arange(len(days)))
    plots._date_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels[0].endswith(first)
    assert not any("2026" in label for label in labels[1:])
    assert ax.xaxis.get_offset_text().get_text() == ""


def test_answer_sentence_names_a_clear_change_of_the_controls():
    """Page 1 says when the headline leans on a controls' change that is itself clear
    (the row's warning from analysis.models.inference.reference_note), and only then."""
    note = reference_note(0.018, 0.00005, -3.8)
    row = dict(
        reference="controls", n_reference_runners=8, raw_change_pct=-3.8, reference_change_pct=1.8
    )
    text = narrative.answer_sentence(_result_row(**row, warning=note))
    assert "(its change before that: −3.8\u00a0%; the controls' own: +1.8\u00a0%, clearly" in text
    assert "see Notes)" in text
    assert "controls' own" not in narrative.answer_sentence(_result_row(**row, warning=""))
    control = narrative.answer_sentence(_result_row(**row, group="control", warning=note))
    assert "controls' own" not in control
