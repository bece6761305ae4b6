"""Heart rate's daily rhythm gets its own term where the squad's runs show it
(analysis.models.prepare.clock_hours, clock_deviation, choose_clock)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.models import analyze
from analysis.models.prepare import (
    CLOCK_PEAK_H,
    CONFOUNDERS,
    NO_CLOCK,
    choose_clock,
    clock_deviation,
    clock_hours,
    clock_words,
)
from analysis.simulate import simulate_squad

AMPLITUDE = 0.03
"""Heart rate above rest 3 % higher at 17:00 than the mean, 3 % lower at 05:00."""


def test_a_runs_middle_hour_and_a_date_without_a_time():
    m = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2026-01-06 16:30", "2026-01-07 00:00", "2026-01-08 23:30", None]
            ),
            "duration_s": [3600.0, 3600.0, 7200.0, 1800.0],
        }
    )
    np.testing.assert_allclose(clock_hours(m), [17.0, np.nan, 0.5, np.nan])
    aware = m.assign(date=pd.to_datetime(["2026-01-06 16:30"] * 4).tz_localize("Europe/Berlin"))
    assert clock_hours(aware)[0] == pytest.approx(17.0)  # the wall clock, not UTC
    # mixed time zones and an unreadable date, as text: each read alone, never an error
    text = pd.DataFrame(
        {
            "date": pd.Series(["2026-01-06T16:30:00+01:00", "2026-01-07T07:00:00Z", "bad"]),
            "duration_s": [3600.0] * 3,
        }
    )
    np.testing.assert_allclose(clock_hours(text), [17.0, 7.5, np.nan])
    assert clock_words(CLOCK_PEAK_H) == "heart rate's daily rhythm (highest at 17:00)"
    assert clock_words(NO_CLOCK) == clock_words(float("nan")) == "no time-of-day term"


def test_the_cosine_is_centred_at_the_runners_baseline_and_zero_without_a_time():
    m = pd.DataFrame(
        {
            "runner_id": ["A"] * 4,
            "date": pd.to_datetime(
                ["2026-01-06 16:30", "2026-01-07 16:30", "2026-03-01 04:30", "2026-03-02 00:00"]
            ),
            "duration_s": [3600.0] * 4,
            "used": [True] * 4,
            "period": ["baseline", "baseline", "block", "block"],
        }
    )
    # baseline runs at the peak (cos 1); a run at 05:00 is 2 below; no time: 0
    np.testing.assert_allclose(clock_deviation(m, 17.0), [0.0, 0.0, -2.0, 0.0], atol=1e-12)
    assert not clock_deviation(m, NO_CLOCK).any()


def _rhythm(folder, morning_share):
    """Evening runs (18:00) through the baseline; in the block ``morning_share`` of the
    strength runners' runs at 07:00 (an evening gym session, light mornings), and
    heart rate above rest following the rhythm of the run's hour (``AMPLITUDE``)."""
    runs = pd.read_csv(folder / "runs.csv")
    runners = pd.read_csv(folder / "runners.csv").set_index("runner_id")
    blocks = pd.read_csv(folder / "blocks.csv").groupby("runner_id")["block_start"].first()
    day = pd.to_datetime(runs["date"]).dt.normalize()
    start = pd.to_datetime(runs["runner_id"].map(blocks))
    rng = np.random.default_rng(5)
    morning = (day >= start).to_numpy() & (rng.random(len(runs)) < morning_share)
    hour = np.where(morning, 7.0, 18.0)
    runs["date"] = (day + pd.to_timedelta(hour, unit="h")).dt.strftime("%Y-%m-%dT%H:%M:%S")
    middle = hour + runs["duration_s"].to_numpy(float) / 7200.0
    factor = 1.0 + AMPLITUDE * np.cos(2 * np.pi * (middle - 17.0) / 24.0)
    rest = runs["runner_id"].map(runners["hr_rest_bpm"])
    runs["avg_hr_bpm"] = np.round(rest + (runs["avg_hr_bpm"] - rest) * factor, 1)
    runs.to_csv(folder / "runs.csv", index=False)
    return morning


@pytest.fixture(scope="module")
def morning_squads(tmp_path_factory):
    """Two simulated squads of 16 whose strength runners move 70 % of their block runs
    to the morning, analysed with the learned design and without the term."""
    out = []
    for seed in (51, 52):
        folder = simulate_squad(
            tmp_path_factory.mktemp("clock") / "squad", n_runners=16, seed=seed, lab_tests=False
        )
        _rhythm(folder, 0.7)
        ds = load_dataset(folder)
        truth = pd.read_csv(folder / "truth.csv").set_index("runner_id")
        for label, peak in (("with", "auto"), ("without", NO_CLOCK)):
            a = analyze(ds, clock_peak_h=peak)
            field = a.loc[a["method"] == "field_hr"].set_index("runner_id")
            field["error"] = field["own_change_pct"] - truth["o2_cost_change_pct"]
            field["label"], field["seed"] = label, seed
            out.append(field.reset_index())
    return pd.concat(out, ignore_index=True)


def test_mornings_in_the_block_read_as_better_economy_unless_the_rhythm_is_taken_out(
    morning_squads,
):
    strength = morning_squads.loc[morning_squads["group"] != "control"]
    bias = strength.groupby("label")["error"].mean()
    # 70 % of the block at 07:00 against 18:00: about -3 % on the heart-rate cost
    assert bias["without"] < -1.5
    assert abs(bias["with"]) < 0.6
    chosen = morning_squads.loc[morning_squads["label"] == "with", "time_of_day_peak_h"]
    assert (chosen == CLOCK_PEAK_H).all()
    # the rhythm's size: 2 x 3 % of heart rate above rest, about 6 % of cost
    size = morning_squads.loc[morning_squads["label"] == "with", "time_of_day_pct"]
    assert 3.5 < size.median() < 8.5
    without = morning_squads.loc[morning_squads["label"] == "without"]
    assert without["time_of_day_peak_h"].isna().all() and without["time_of_day_pct"].isna().all()


def test_no_rhythm_no_term_and_the_same_answer(sample_dir):
    ds = load_dataset(sample_dir)
    auto = analyze(ds)
    none = analyze(ds, clock_peak_h=NO_CLOCK)
    assert auto["time_of_day_peak_h"].isna().all()
    pd.testing.assert_series_equal(auto["o2_cost_change_pct"], none["o2_cost_change_pct"])
    # confounders without the term learn no rhythm either
    dropped = tuple(c for c in CONFOUNDERS if c != "clock_dev")
    assert analyze(ds, confounders=dropped)["time_of_day_peak_h"].isna().all()


def test_the_term_needs_more_than_the_chance_gain_of_one_coefficient_per_runner():
    chance = {NO_CLOCK: {f"R{i}": 0.0 for i in range(16)}}
    chance[CLOCK_PEAK_H] = {f"R{i}": 0.5 for i in range(16)}  # the expected gain by chance
    assert choose_clock(chance)[0] == NO_CLOCK
    real = {NO_CLOCK: chance[NO_CLOCK], CLOCK_PEAK_H: {f"R{i}": 3.0 for i in range(16)}}
    assert choose_clock(real)[0] == CLOCK_PEAK_H
    one = {
        NO_CLOCK: chance[NO_CLOCK],
        CLOCK_PEAK_H: {"R0": 40.0, **{f"R{i}": 0.3 for i in range(1, 16)}},
    }
    assert choose_clock(one)[0] == NO_CLOCK  # one runner alone does not bring it in


def test_the_report_names_the_rhythm_and_its_size(morning_squads):
    from analysis.narrative import economy_caption, methods_markdown

    row = morning_squads.loc[
        (morning_squads["label"] == "with") & (morning_squads["group"] != "control")
    ].iloc[0]
    caption = economy_caption(row, pd.DataFrame({"used": [True]}))
    assert "A run at 17:00 read +" in caption
    assert "against one at 05:00 (heart rate's daily rhythm), also taken out" in caption
    methods = methods_markdown(row)
    assert "the time of day (heart rate's daily rhythm" in methods
    assert "Reilly T, Brooks GA (1990)" in methods
    odd = row.copy()
    odd["time_of_day_peak_h"] = np.nan  # columns that disagree: no sentence
    assert "daily rhythm" not in economy_caption(odd, pd.DataFrame({"used": [True]}))
