"""Training load over the block against the baseline (analysis.models.training)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.training import (
    CONTROLS_LOAD_NOTE_START,
    LOAD_RATIO_LIMITS,
    add_training_load,
    controls_load_note,
    controls_load_ratio,
    training_load,
    training_load_note,
)

BLOCK = {
    "runner_id": "A",
    "group": "strength",
    "baseline_start": pd.Timestamp("2026-01-01"),  # 14 days of baseline
    "block_start": pd.Timestamp("2026-01-15"),
    "block_end": pd.Timestamp("2026-02-04"),  # 21 days of block, both ends included
}


def _runs(rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "trimp", "duration_s"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_load_per_week_counts_each_window_by_its_days():
    runs = _runs(
        [
            ("A", "2025-12-31", 999.0, 3600),  # the day before the baseline: not counted
            ("A", "2026-01-01", 300.0, 3600),  # the baseline's first day
            ("A", "2026-01-14", 400.0, 3600),  # the day before the block: baseline
            ("A", "2026-01-15", 600.0, 3600),  # the block's first day
            ("A", "2026-02-04", 975.0, 3600),  # the block's last day
            ("A", "2026-02-05", 999.0, 3600),  # after the block: not counted
        ]
    )
    load = training_load(runs, pd.DataFrame([BLOCK]))
    assert load.at["A", "training_load_basis"] == "trimp"
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(700.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(1575.0 / 3)
    assert load.at["A", "training_load_ratio"] == pytest.approx(525.0 / 350.0)


def test_load_reads_time_zone_aware_dates_on_the_wall_clock():
    """Dates with a UTC offset (a hand-built frame; the loader's are naive) are
    read as the runner's wall-clock day, as the rest of the model reads them: a
    run at 00:30 on the block's first day, +02:00, is in the block (in UTC it
    would be the baseline's last day), and no comparison of aware and naive
    times fails."""
    runs = _runs(
        [
            ("A", "2026-01-01T08:00:00+02:00", 300.0, 3600),
            ("A", "2026-01-14T18:00:00+02:00", 400.0, 3600),
            ("A", "2026-01-15T00:30:00+02:00", 600.0, 3600),
            ("A", "2026-02-04T23:30:00+02:00", 975.0, 3600),
        ]
    )
    assert runs["date"].dt.tz is not None
    load = training_load(runs, pd.DataFrame([BLOCK]))
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(700.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(1575.0 / 3)


def test_block_dates_with_a_utc_offset_are_read_on_the_wall_clock():
    """A hand-built blocks frame whose dates carry a UTC offset (a block starting
    at 00:00+02:00 is 22:00 UTC the day before) is read on its own wall-clock
    days, as the runs are: the run on the block's first day is in the block,
    and naive run dates meet aware block dates without an error."""
    runs = _runs(
        [
            ("A", "2026-01-01", 300.0, 3600),
            ("A", "2026-01-14", 400.0, 3600),
            ("A", "2026-01-15", 600.0, 3600),
            ("A", "2026-02-04", 975.0, 3600),
        ]
    )
    aware = {
        **BLOCK,
        "baseline_start": "2026-01-01T00:00:00+02:00",
        "block_start": "2026-01-15T00:00:00+02:00",
        "block_end": "2026-02-04T00:00:00+02:00",
    }
    blocks = pd.DataFrame([aware])
    for col in ("baseline_start", "block_start", "block_end"):
        blocks[col] = pd.to_datetime(blocks[col])
    assert blocks["block_start"].dt.tz is not None
    load = training_load(runs, blocks)
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(700.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(1575.0 / 3)


def test_load_falls_back_to_minutes_when_heart_rate_is_missing_on_many_runs():
    runs = _runs(
        [
            ("A", "2026-01-02", 100.0, 1800),
            ("A", "2026-01-03", np.nan, 1800),  # half the runs without TRIMP
            ("A", "2026-01-20", 100.0, 5400),
            ("A", "2026-01-21", np.nan, 5400),
        ]
    )
    load = training_load(runs, pd.DataFrame([BLOCK]))
    assert load.at["A", "training_load_basis"] == "minutes"
    assert load.at["A", "baseline_load_per_week"] == pytest.approx(60.0 / 2)
    assert load.at["A", "block_load_per_week"] == pytest.approx(180.0 / 3)
    assert load.at["A", "training_load_ratio"] == pytest.approx(2.0)


def test_no_baseline_load_gives_no_ratio_and_no_block_gives_no_row():
    runs = _runs([("A", "2026-01-20", 100.0, 3600), ("B", "2026-01-20", 100.0, 3600)])
    blocks = pd.DataFrame([BLOCK, {**BLOCK, "runner_id": "B", "block_start": pd.NaT}])
    load = training_load(runs, blocks)
    assert list(load.index) == ["A"]
    assert np.isnan(load.at["A", "training_load_ratio"])
    assert training_load_note(load.at["A", "training_load_ratio"], "trimp") == ""


@pytest.mark.parametrize(
    "ratio, says",
    [
        (LOAD_RATIO_LIMITS[1] - 0.01, ""),
        (LOAD_RATIO_LIMITS[1], "rose: 1.30×"),
        (LOAD_RATIO_LIMITS[0] + 0.01, ""),
        (LOAD_RATIO_LIMITS[0], "fell: 0.80×"),
    ],
)
def test_note_is_given_at_the_limits_and_not_inside(ratio, says):
    note = training_load_note(ratio, "trimp", 1.05)
    if not says:
        assert note == ""
    else:
        assert says in note
        assert "Banister TRIMP" in note and "controls: 1.05×" in note


def test_analyze_notes_a_strength_runners_rise_in_load_without_changing_the_answer(sample_dir):
    ds = load_dataset(sample_dir)
    metrics = run_metrics(ds)
    before = analyze(ds, metrics=metrics)
    row = before.loc[(before["runner_id"] == "R03") & (before["method"] == "field_hr")].iloc[0]
    more = metrics.copy()
    in_block = (more["runner_id"] == "R03") & (more["date"] >= row["block_start"])
    more.loc[in_block, "trimp"] *= 1.6  # the same runs, trained harder
    after = analyze(ds, metrics=more)
    changed = after.loc[(after["runner_id"] == "R03") & (after["method"] == "field_hr")].iloc[0]
    assert changed["training_load_ratio"] == pytest.approx(1.6 * row["training_load_ratio"])
    assert "training load rose" in changed["warning"]
    controls = before.loc[(before["group"] == "control") & (before["method"] == "field_hr")]
    median = controls.drop_duplicates("runner_id")["training_load_ratio"].median()
    assert f"controls: {median:.2f}×" in changed["warning"]
    # A note, not an adjustment: the estimate and its interval are the same.
    for col in ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "verdict"):
        assert changed[col] == row[col]
    # Nobody else got the note.
    others = after.loc[after["runner_id"] != "R03", "warning"].fillna("")
    assert not others.str.contains("training load").any()


def test_page_one_check_first_carries_the_note():
    from analysis.narrative import level_warning

    row = {
        "baseline_o2_cost_ml_kg_km": 200.0,
        "params_defaulted": False,
        "verdict": "improved",
        "training_load_ratio": 1.45,
        "training_load_basis": "minutes",
    }
    text = level_warning(row)
    assert text.startswith("**Check first.**")
    assert "training load rose: 1.45×" in text and "running minutes" in text
    assert level_warning({**row, "training_load_ratio": 1.1}) == ""
    assert level_warning({**row, "verdict": "insufficient data: 3 steady runs"}) == ""


def test_load_edges_by_hand():
    """Hand-counted loads on the edges of training_load: ids given as numbers, a
    baseline start with a time of day, a second block row (the first counts), runs
    outside the windows without TRIMP (they do not vote on the basis), exactly 90 %
    of runs with TRIMP (TRIMP, the other run counting 0), one-week windows, a
    baseline load below 1 per week, a runner without runs in the windows and one
    without runs in the block."""
    blocks = pd.DataFrame(
        [
            # A: 7-day baseline (1 week), 7-day block (1 week)
            {
                "runner_id": 7,
                "baseline_start": "2026-01-01 12:00",
                "block_start": "2026-01-08",
                "block_end": "2026-01-14",
            },
            {
                "runner_id": 7,
                "baseline_start": "2026-03-01",
                "block_start": "2026-03-08",
                "block_end": "2026-03-14",
            },
            {"runner_id": "B", **{k: v for k, v in BLOCK.items() if k != "runner_id"}},
            {"runner_id": "C", **{k: v for k, v in BLOCK.items() if k != "runner_id"}},
            {"runner_id": "D", **{k: v for k, v in BLOCK.items() if k != "runner_id"}},
        ]
    )
    rows = [
        (7, "2026-01-01", 10.0, 600),  # counts: the baseline starts that day at 12:00
        (7, "2026-01-03", 10.0, 600),
        (7, "2026-01-05", 10.0, 600),
    ]
    rows += [(7, f"2026-01-{d:02d}", 20.0, 600) for d in range(8, 16)]  # 8-14: block; 15: after
    rows[-2] = (7, "2026-01-14", np.nan, 600)  # 9 of 10 runs in the windows with TRIMP
    rows += [(7, f"2026-02-{d:02d}", np.nan, 600) for d in range(1, 28)]  # outside: no TRIMP
    rows += [("B", "2026-01-05", np.nan, 60), ("B", "2026-01-20", np.nan, 600)]  # minutes
    rows += [("D", "2026-01-05", 100.0, 600)]  # D: baseline runs only
    load = training_load(_runs(rows), blocks)
    assert sorted(load.index) == ["7", "B", "C", "D"]
    assert load.at["D", "block_load_per_week"] == 0.0  # no runs in the block: no load
    assert load.at["D", "training_load_ratio"] == 0.0
    assert load.at["7", "training_load_basis"] == "trimp"
    assert load.at["7", "baseline_load_per_week"] == pytest.approx(30.0)  # 3 x 10 over 1 week
    assert load.at["7", "block_load_per_week"] == pytest.approx(20.0 * 6)  # the NaN one: 0
    assert load.at["7", "training_load_ratio"] == pytest.approx(4.0)
    assert load.at["B", "training_load_basis"] == "minutes"
    assert load.at["B", "baseline_load_per_week"] == pytest.approx(0.5)  # 1 minute / 2 weeks
    assert load.at["B", "training_load_ratio"] == pytest.approx((10.0 / 3) / 0.5)
    assert load.at["C", "training_load_basis"] == "minutes"  # no runs: minutes, zero load
    assert load.at["C", "baseline_load_per_week"] == 0.0
    assert load.at["C", "block_load_per_week"] == 0.0
    assert np.isnan(load.at["C", "training_load_ratio"])
    # 8 of 9 runs with TRIMP (89 %): minutes
    fewer = _runs([r for r in rows if r[0] == 7 and r[1] != "2026-01-01"])
    assert training_load(fewer, blocks).at["7", "training_load_basis"] == "minutes"


def test_load_without_load_columns_or_block_dates():
    plain = pd.DataFrame({"runner_id": ["A"], "date": pd.to_datetime(["2026-01-20"])})
    load = training_load(plain, pd.DataFrame([BLOCK]))
    assert load.at["A", "block_load_per_week"] == 0.0
    assert np.isnan(load.at["A", "training_load_ratio"])
    empty = training_load(plain, pd.DataFrame([{**BLOCK, "block_start": pd.NaT}]))
    assert empty.empty and empty.index.name == "runner_id"
    assert list(empty.columns) == [
        "training_load_basis",
        "baseline_load_per_week",
        "block_load_per_week",
        "training_load_ratio",
    ]


def test_the_notes_word_for_word():
    assert training_load_note(1.5, "minutes") == (
        "training load rose: 1.50× the baseline's per week (running minutes); more running "
        "can improve economy by itself, so part of this change may come from the extra training"
    )
    assert training_load_note(0.5, "trimp", 0.98) == (
        "training load fell: 0.50× the baseline's per week (Banister TRIMP) (the controls: "
        "0.98× over their blocks); less running (a taper, an injury, an illness) can change "
        "economy by itself, so part of this change may come from it"
    )
    assert "(watts)" in training_load_note(2.0, "watts", np.nan)
    assert training_load_note(None, "trimp") == ""


def test_controls_ratio_is_their_median_from_two():
    """From as many controls as a control reference needs (2 since 2026-12-06): the
    notes on the controls' load guard every referenced headline (a review found a
    10 + 2 squad whose controls halved their running told nothing)."""
    load = pd.DataFrame({"training_load_ratio": [1.0, 1.2, 2.0, 5.0, 9.0]}, index=list("KLMSN"))
    groups = ["control", " Control ", "CONTROL", "strength", "strength"]
    blocks = pd.DataFrame({"runner_id": list("KLMSN"), "group": groups})
    assert controls_load_ratio(load, blocks) == pytest.approx(1.2)
    assert controls_load_ratio(load, blocks.iloc[1:]) == pytest.approx(1.6)  # two: the mean
    assert controls_load_ratio(load, blocks.iloc[2:]) is None  # one control
    assert controls_load_ratio(load, blocks.drop(columns="group")) is None


def test_add_training_load_notes_only_rows_with_an_answer():
    """On analyze rows: the ratio and basis on every row with block dates (NaN and ""
    otherwise), the note in the warning after what is there, the controls' median
    beside a strength runner's note but not a control's, no note on insufficient rows."""
    blocks = pd.DataFrame(
        [
            {**BLOCK, "runner_id": rid, "group": group}
            for rid, group in (
                ("S", "strength"),
                ("K1", "control"),
                ("K2", "Control"),
                ("K3", "control"),
                ("I", "strength"),
            )
        ]
        + [{**BLOCK, "runner_id": "Z", "group": "strength", "block_start": pd.NaT}]
    )
    per_runner = {"S": (60, 180), "K1": (60, 90), "K2": (60, 99), "K3": (60, 135), "I": (60, 120)}
    rows = []
    for rid, (base_min, block_min) in per_runner.items():
        rows += [
            (rid, "2026-01-02", np.nan, 60 * base_min),
            (rid, "2026-01-20", np.nan, 60 * block_min),
        ]
    out = [
        {"runner_id": "Z", "group": "strength", "verdict": "insufficient data: no block"},
        {"runner_id": "S", "group": "strength", "verdict": "improved", "warning": "short block"},
        {"runner_id": "K1", "group": "control", "verdict": "no meaningful change"},
        {"runner_id": "K3", "group": "control", "verdict": "worsened", "warning": None},
        {"runner_id": "I", "group": "strength", "verdict": "insufficient data: 3 steady runs"},
    ]
    add_training_load(out, _runs(rows), blocks)
    z, s, k1, k3, i = out
    assert np.isnan(z["training_load_ratio"]) and z["training_load_basis"] == ""
    assert "warning" not in z
    assert s["training_load_ratio"] == pytest.approx(2.0) and s["training_load_basis"] == "minutes"
    # controls' ratios 1.0, 1.1, 1.5: median 1.1
    assert s["warning"] == "short block; " + training_load_note(2.0, "minutes", 1.1)
    assert "(the controls" not in k3["warning"] and k3["warning"].startswith(
        "training load rose: 1.50×"
    )
    assert "warning" not in k1  # 1.0: inside the limits
    assert i["training_load_ratio"] == pytest.approx(1.33333, rel=1e-4) and "warning" not in i


@pytest.mark.parametrize(
    "control_ratio, ratio, says, better",
    [
        (0.70, 1.00, "the controls' training load fell in the block (0.70× their baseline's", 1),
        (0.70, np.nan, "(0.70× their baseline's per week): if they lost fitness", 1),
        (1.40, 1.00, "the controls' training load rose", 0),
        (0.70, 0.75, "", None),  # the runner ran less too: the runner's own note says so
        (None, 1.00, "", None),
        (np.nan, 1.00, "", None),
        # most controls logged nothing in their block: a median of 0, not a crash
        (0.0, 1.00, "the controls' training load fell in the block (0.00×", 1),
        # the controls within the limits: the runner's load against theirs
        (1.10, 0.93, "changed differently from this runner's (1.10× their baseline's", 0),
        (0.85, 1.20, "this runner 1.20×): if the controls' lighter training", 1),
        (1.10, 1.00, "", None),  # 0.91 of theirs: within 15 %
        (1.00, 0.86, "", None),
        (1.00, 1.17, "", None),
        (1.10, np.nan, "", None),
    ],
)
def test_controls_load_note_is_given_where_the_controls_trained_differently(
    control_ratio, ratio, says, better
):
    note = controls_load_note(control_ratio, ratio, -4.2)
    if not says:
        assert note == ""
        return
    assert note.startswith(CONTROLS_LOAD_NOTE_START) and says in note
    assert note.endswith("; before the reference: -4.2 %")
    assert ("looks better than it was" in note) == bool(better)
    assert ("looks worse than it was" in note) == (not better)


def test_analyze_notes_controls_who_ran_less_on_the_strength_runners_only(sample_dir):
    """The sample's controls ran 40 % less in the block (their TRIMP cut): each
    strength runner's referenced row says so, its headline sentence points to it,
    and nothing in the answer moves."""
    from analysis.narrative import answer_sentence

    ds = load_dataset(sample_dir)
    metrics = run_metrics(ds)
    before = analyze(ds, metrics=metrics)
    field = before.loc[before["method"] == "field_hr"].set_index("runner_id")
    less = metrics.copy()
    controls = field.index[field["group"] == "control"]
    start = field["block_start"].min()
    cut = less["runner_id"].isin(controls) & (less["date"] >= start)
    less.loc[cut, "trimp"] *= 0.6
    after = analyze(ds, metrics=less).query("method == 'field_hr'").set_index("runner_id")
    warned = after["warning"].fillna("").str.contains(CONTROLS_LOAD_NOTE_START)
    strength = after.index[after["group"] == "strength"]
    assert warned.reindex(strength).all()
    assert not warned.reindex(controls).any()
    assert not before["warning"].fillna("").str.contains(CONTROLS_LOAD_NOTE_START).any()
    for col in ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "verdict"):
        assert after[col].reindex(strength).tolist() == field[col].reindex(strength).tolist()
    row = after.loc[strength[0]].to_dict()
    assert f"before the reference: {row['raw_change_pct']:+.1f} %" in row["warning"]
    sentence = answer_sentence({**row, "runner_id": strength[0]})
    assert "the controls trained differently, see Notes" in sentence


def test_the_load_notes_marker_is_in_no_other_warning():
    """The headline sentence recognises the note by its start: the controls'
    clear-change note ("...if the controls trained differently...") and the
    runner's own load note must not hold it."""
    from analysis.models.inference import reference_note

    clear = reference_note(0.05, 0.0001, -3.0)
    assert clear and CONTROLS_LOAD_NOTE_START not in clear
    assert CONTROLS_LOAD_NOTE_START not in training_load_note(0.6, "trimp", 0.6)
    assert controls_load_note(0.6, 1.0, -3.0).startswith(CONTROLS_LOAD_NOTE_START)


def test_a_log_that_starts_late_in_the_baseline_is_not_read_as_a_load_rise():
    """A 6-week baseline (1 Jan - 11 Feb 2026) and 3 weeks of block, 100 TRIMP every
    other day throughout the log. L logs from 29 Jan (14 days before the block, as
    controls who joined the squad late did on a blind generator's squads, reading 3x
    their baseline's load): its baseline load per week is over the 2 logged weeks,
    ratio about 1. O is L with one stray run 4 months before (an old import), W
    with one 10 days before (a lone run is no log of the weeks after it): the
    same. E starts 3 days into the baseline (a rest, not a late log): the whole 6
    weeks. S starts 4 days before the block: less than a week logged, no ratio. B
    ran until 4 months before and not in the baseline: a baseline of 0."""
    start, block = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-12")
    window = {
        "baseline_start": start,
        "block_start": block,
        "block_end": pd.Timestamp("2026-03-04"),
    }
    rows = []
    for rid, first in (("L", "2026-01-29"), ("E", "2026-01-04"), ("S", "2026-02-08")):
        for day in pd.date_range(first, "2026-03-04", freq="2D"):
            rows.append((rid, day.strftime("%Y-%m-%d"), 100.0, 3600))
    for day in pd.date_range("2026-01-29", "2026-03-04", freq="2D"):
        rows.append(("O", day.strftime("%Y-%m-%d"), 100.0, 3600))
        rows.append(("W", day.strftime("%Y-%m-%d"), 100.0, 3600))
    rows.append(("O", "2025-09-01", 100.0, 3600))
    rows.append(("W", "2025-12-22", 100.0, 3600))
    for day in [*pd.date_range("2025-08-01", "2025-09-01", freq="2D"), block]:
        rows.append(("B", day.strftime("%Y-%m-%d"), 100.0, 3600))
    blocks = pd.DataFrame([{"runner_id": r, "group": "control", **window} for r in "LESOBW"])
    load = training_load(_runs(rows), blocks)
    for rid in "LOW":
        assert load.at[rid, "baseline_load_per_week"] == pytest.approx(7 * 100.0 * 7 / 14)
        assert load.at[rid, "training_load_ratio"] == pytest.approx(1.0, abs=0.1)
    assert load.at["B", "baseline_load_per_week"] == 0.0
    e_runs = len(pd.date_range("2026-01-04", "2026-02-11", freq="2D"))
    assert load.at["E", "baseline_load_per_week"] == pytest.approx(100.0 * e_runs / 6)
    assert np.isnan(load.at["S", "training_load_ratio"])
    assert training_load_note(load.at["S", "training_load_ratio"], "trimp") == ""


def test_a_break_at_the_baseline_start_after_a_running_log_is_not_a_late_log():
    """A daily log up to the day before the baseline, then 3 weeks of rest (a review's
    case: read as a log that started late, its baseline load doubled, 210 -> 420
    min/week, and the ratio 2.0 fell inside 0.8-1.3, losing the load note); and 10
    days of rest (ratio 1.31 -> 1.0). Both are breaks: the weeks count."""
    blocks = pd.DataFrame(
        {
            "runner_id": ["R1", "R2"],
            "group": "control",
            "baseline_start": pd.Timestamp("2026-01-05"),
            "block_start": pd.Timestamp("2026-02-16"),
            "block_end": pd.Timestamp("2026-04-26"),
        }
    )
    rows = []
    for rid, back in (("R1", "2026-01-26"), ("R2", "2026-01-15")):
        days = [*pd.date_range("2025-10-01", "2026-01-04"), *pd.date_range(back, "2026-04-26")]
        rows += [(rid, d.strftime("%Y-%m-%d"), np.nan, 3600) for d in days]
    load = training_load(_runs(rows), blocks)
    assert load.at["R1", "baseline_load_per_week"] == pytest.approx(60 * 21 / 6)
    assert load.at["R1", "training_load_ratio"] == pytest.approx(2.0)
    assert load.at["R2", "baseline_load_per_week"] == pytest.approx(60 * 32 / 6)
    assert load.at["R2", "training_load_ratio"] == pytest.approx(420 / 320)


def test_a_first_run_a_week_into_the_baseline_starts_the_log_and_six_days_is_a_rest():
    """``LATE_LOG_DAYS`` counts from ``baseline_start``: a runner whose first run is
    7 days into a 6-week baseline (1 Jan - 11 Feb 2026), with nothing logged
    before, started logging then, and its baseline load per week is over the 5
    weeks logged; one whose first run is 6 days in took a rest, and its weeks are
    all 6. 100 TRIMP every other day from the first run."""
    window = {
        "group": "control",
        "baseline_start": pd.Timestamp("2026-01-01"),
        "block_start": pd.Timestamp("2026-02-12"),
        "block_end": pd.Timestamp("2026-03-04"),
    }
    rows, runs_in = [], {}
    for rid, first in (("D7", "2026-01-08"), ("D6", "2026-01-07")):
        days = pd.date_range(first, "2026-03-04", freq="2D")
        rows += [(rid, d.strftime("%Y-%m-%d"), 100.0, 3600) for d in days]
        runs_in[rid] = int((days < window["block_start"]).sum())
    blocks = pd.DataFrame([{"runner_id": r, **window} for r in runs_in])
    load = training_load(_runs(rows), blocks)
    assert load.at["D7", "baseline_load_per_week"] == pytest.approx(100.0 * runs_in["D7"] / 5)
    assert load.at["D6", "baseline_load_per_week"] == pytest.approx(100.0 * runs_in["D6"] / 6)


def test_the_running_log_before_the_baseline_is_its_28_days_on_two_days():
    """Runs on ``LOG_RUNNING_MIN_RUNS`` (2) different days within the
    ``LOG_RUNNING_DAYS`` (28) before ``baseline_start`` make a first run 3 weeks
    into the baseline a break (the baseline's 6 weeks count), fewer a late log
    (its 3 weeks): runs 28 and 22 days before (the 28th day counts) are a log;
    runs 29 and 22 days before are one run in the window; two runs on one day 10
    days before (a race and its warm-up) are one day. All run 60 minutes every
    other day from 22 Jan 2026."""
    start, block = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-12")
    window = {
        "baseline_start": start,
        "block_start": block,
        "block_end": pd.Timestamp("2026-03-04"),
    }
    before = {
        "D28": ["2025-12-04", "2025-12-10"],
        "D29": ["2025-12-03", "2025-12-10"],
        "SAME": ["2025-12-22", "2025-12-22"],
    }
    days = pd.date_range("2026-01-22", "2026-03-04", freq="2D")
    rows = []
    for rid, old in before.items():
        rows += [(rid, d, np.nan, 3600) for d in old]
        rows += [(rid, d.strftime("%Y-%m-%d"), np.nan, 3600) for d in days]
    blocks = pd.DataFrame([{"runner_id": r, "group": "control", **window} for r in before])
    load = training_load(_runs(rows), blocks)
    minutes = 60.0 * int((days < block).sum())
    assert load.at["D28", "baseline_load_per_week"] == pytest.approx(minutes / 6)  # a break
    assert load.at["D29", "baseline_load_per_week"] == pytest.approx(minutes / 3)  # a late log
    assert load.at["SAME", "baseline_load_per_week"] == pytest.approx(minutes / 3)
