"""Residual fatigue after a strength session gets its own term in the field model
(analysis.metrics.days_after_strength, analysis.models.prepare.post_strength_indicator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import layout, load_dataset, load_dataset_parts
from analysis.io.convert import convert
from analysis.metrics import days_after_strength, run_metrics
from analysis.models import analyze, analyze_parts, squad_model
from analysis.models.prepare import (
    CONFOUNDERS,
    NO_POST_STRENGTH,
    choose_post_strength,
    post_strength_indicator,
)
from analysis.narrative import economy_caption, methods_markdown
from analysis.simulate import simulate_squad


def _strength(rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "category"])


def test_days_count_from_the_runners_latest_session_on_or_before_the_runs_day():
    strength = _strength(
        [
            ("A", pd.Timestamp("2026-03-02"), "heavy"),
            ("A", pd.Timestamp("2026-03-05"), "plyometric"),
            ("A", pd.Timestamp("2026-03-09"), "mobility"),  # not fatiguing: not counted
            ("B", pd.Timestamp("2026-03-04"), "explosive"),
        ]
    )
    runner = ["A", "A", "A", "A", "A", "A", "B", "B", "C"]
    date = pd.to_datetime(
        [
            "2026-03-01 07:00",  # before A's first session
            "2026-03-02 18:30",  # the day of one
            "2026-03-03 06:00",  # the day after
            "2026-03-06 12:00",  # the day after the second (not 4 days after the first)
            "2026-03-09 08:00",  # 4 days after: the mobility session does not count
            "2026-03-04 07:00",  # A's run on B's session day: B's does not count
            "2026-03-06 07:00",
            "NaT",  # no date
            "2026-03-06 07:00",  # C: no strength log
        ]
    )
    got = days_after_strength(runner, date, strength)
    np.testing.assert_array_equal(got, [np.nan, 0, 1, 1, 4, 2, 2, np.nan, np.nan])


def test_a_session_with_a_time_of_day_counts_for_the_runs_after_it_only():
    strength = _strength(
        [
            ("A", pd.Timestamp("2026-03-02 17:00"), "heavy"),
            ("A", pd.Timestamp("2026-03-05 18:00"), "heavy"),
        ]
    )
    date = pd.to_datetime(["2026-03-02 07:00", "2026-03-02 19:00", "2026-03-05 06:30"])
    # before the first session; after it; before the second (3 days after the first)
    got = days_after_strength(["A"] * 3, date, strength)
    np.testing.assert_array_equal(got, [np.nan, 0, 3])


def test_dates_with_and_without_a_time_and_out_of_range_years_are_read_not_fatal():
    strength = _strength(
        [("A", "2026-03-02", "heavy"), ("A", "1500-01-01", "heavy"), ("B", "3000-01-01", "heavy")]
    ).astype({"date": object})
    runs = pd.Series(["2026-03-02", "2026-03-03 07:00", "2026-03-04T07:00:00+09:00"], dtype=object)
    got = days_after_strength(["A", "A", "B"], runs, strength)
    np.testing.assert_array_equal(got, [0.0, 1.0, np.nan])


def test_time_zone_aware_run_dates_and_no_strength_log():
    strength = _strength([("A", pd.Timestamp("2026-03-02"), "heavy")])
    date = pd.Series(pd.to_datetime(["2026-03-03 06:00"]).tz_localize("Europe/Oslo"))
    assert days_after_strength(["A"], date, strength).tolist() == [1.0]
    assert np.isnan(days_after_strength(["A"], date, None)).all()
    mixed = _strength(
        [("A", "2026-03-02T17:00:00+01:00", "heavy"), ("A", "not a date", "heavy")]
    ).astype({"date": object})
    runs = pd.Series(["2026-03-03T07:00:00+09:00", "2026-03-02T08:00:00Z", "x"], dtype=object)
    got = days_after_strength(["A"] * 3, runs, mixed)
    np.testing.assert_array_equal(got, [1.0, np.nan, np.nan])  # wall clock: 08:00 < 17:00
    assert np.isnan(days_after_strength(["A"], date, strength.iloc[:0])).all()


def test_the_window_marks_the_day_of_a_session_and_that_many_days_after():
    after = np.array([np.nan, 0, 1, 2, 3, 4])
    assert post_strength_indicator(after, 1).tolist() == [0, 1, 1, 0, 0, 0]
    assert post_strength_indicator(after, 2).tolist() == [0, 1, 1, 1, 0, 0]
    assert post_strength_indicator(after, 3).tolist() == [0, 1, 1, 1, 1, 0]


def test_run_metrics_carry_the_days_after_a_session(sample_dir):
    ds = load_dataset(sample_dir)
    m = run_metrics(ds)
    sessions = ds.strength.groupby("runner_id")["date"].min()
    strength_runner = str(sessions.index[0])
    mine = m.loc[m["runner_id"] == strength_runner]
    before = pd.to_datetime(mine["date"]).dt.normalize() < sessions[strength_runner]
    assert mine.loc[before, "days_after_strength"].isna().all()
    assert (mine.loc[~before, "days_after_strength"] >= 0).all()
    assert m.loc[~m["runner_id"].isin(sessions.index), "days_after_strength"].isna().all()


def _tired(folder, pct, days):
    """Raise heart rate above rest by ``pct`` % on the strength runners' runs on the
    day of a session and up to ``days`` days after it: their economy is ``pct`` %
    worse on those days, as after a heavy session (Doma & Deakin 2013)."""
    runs = pd.read_csv(folder / "runs.csv")
    runners = pd.read_csv(folder / "runners.csv").set_index("runner_id")
    strength = pd.read_csv(folder / "strength.csv")
    sessions = set(zip(strength["runner_id"], pd.to_datetime(strength["date"]), strict=True))
    day = pd.to_datetime(runs["date"]).dt.normalize()
    hit = np.array(
        [
            any((r, d - pd.Timedelta(days=k)) in sessions for k in range(days + 1))
            for r, d in zip(runs["runner_id"], day, strict=True)
        ]
    )
    rest = runs["runner_id"].map(runners["hr_rest_bpm"])
    raised = rest + (runs["avg_hr_bpm"] - rest) * (1 + pct / 100)
    runs.loc[hit, "avg_hr_bpm"] = np.round(raised[hit]).astype(int)
    runs.to_csv(folder / "runs.csv", index=False)
    return hit


@pytest.fixture(scope="module")
def tired_squads(tmp_path_factory):
    """Two simulated squads of 16 whose strength runners' economy is 5 % worse on
    the day of a session and the day after, analysed with and without the term."""
    out = []
    for seed in (41, 42):
        folder = simulate_squad(
            tmp_path_factory.mktemp("tired") / "squad", n_runners=16, seed=seed, lab_tests=False
        )
        hit = _tired(folder, 5.0, 1)
        assert 0.1 < hit.mean() < 0.4  # a good part of the runs (controls included), not all
        ds = load_dataset(folder)
        truth = pd.read_csv(folder / "truth.csv").set_index("runner_id")
        for label, confounders in (
            ("with", CONFOUNDERS),
            ("without", tuple(c for c in CONFOUNDERS if c != "post_strength_dev")),
        ):
            a = analyze(ds, confounders=confounders)
            field = a.loc[a["method"] == "field_hr"].set_index("runner_id")
            true = truth["o2_cost_change_pct"].reindex(field.index)
            field["error"] = field["own_change_pct"] - true
            field["label"], field["seed"] = label, seed
            out.append(field.reset_index())
    return pd.concat(out, ignore_index=True)


def test_the_term_removes_the_days_after_a_session_from_the_change(tired_squads):
    strength = tired_squads.loc[tired_squads["group"] == "strength"]
    error = strength.groupby("label")["error"].mean()
    # without the term the tired days read as worse economy through the block
    # (+1.9 pp, SE 0.35, when written; with it -0.4, SE 0.3: the same runners)
    assert error["without"] - error["with"] > 1.5
    assert abs(error["with"]) < 0.8
    assert (
        strength.loc[strength["label"] == "with", "model_terms"]
        .str.contains("post_strength_dev")
        .all()
    )


def test_leaving_the_term_out_leaves_out_its_window_and_its_sensitivity(tired_squads):
    without = tired_squads.loc[tired_squads["label"] == "without"]
    assert without["post_strength_days"].isna().all()
    assert not without["sensitivity_design"].fillna("").str.contains("fatigue").any()


def test_the_window_is_learned_and_controls_have_no_term(tired_squads):
    got = tired_squads.loc[tired_squads["label"] == "with"]
    assert set(got["post_strength_days"]) == {1.0}  # the simulated window, not the default 2
    controls = got.loc[got["group"] == "control"]
    assert not controls["model_terms"].str.contains("post_strength_dev").any()
    assert controls["post_strength_pct"].isna().all()


def test_the_extra_cost_of_a_tired_day_is_recovered_with_its_interval(tired_squads):
    got = tired_squads.loc[
        (tired_squads["label"] == "with") & (tired_squads["group"] == "strength")
    ]
    # heart rate above rest 5 % higher on those days: their cost 5 % higher
    assert 4.0 < got["post_strength_pct"].mean() < 6.0
    covered = (got["post_strength_ci_low_pct"] <= 5.0) & (5.0 <= got["post_strength_ci_high_pct"])
    assert covered.mean() >= 0.8
    row = got.iloc[0]
    caption = economy_caption(row, pd.DataFrame({"used": [True]}))
    assert "Runs on the day of a strength session and the day after it cost +" in caption
    assert "(residual fatigue), also taken out" in caption
    methods = methods_markdown(row)
    assert "residual fatigue from strength work (runs on the day of a strength session" in methods
    assert "Doma K, Deakin GB (2013) Appl Physiol Nutr Metab 38:651-656" in methods
    odd = row.copy()
    odd["post_strength_days"] = np.nan  # a row whose columns disagree: no sentence
    assert "residual fatigue" not in economy_caption(odd, pd.DataFrame({"used": [True]}))
    odd = row.copy()
    odd["post_strength_ci_low_pct"] = np.nan
    assert "n/a" not in economy_caption(odd, pd.DataFrame({"used": [True]}))
    control = got.iloc[0].copy()
    control["model_terms"] = "1 + ramp + heat_c_dev"
    assert "Doma" not in methods_markdown(control)


def _logliks(gains_by_window: dict[float, list[float]], controls: int = 4):
    """``choice_logliks``-like likelihoods: no term 0 for every runner, each window
    its runners' gains over it, and controls (no strength sessions: no gain)."""
    none = {f"S{i}": 0.0 for i in range(len(next(iter(gains_by_window.values()))))}
    none |= {f"C{i}": -5.0 for i in range(controls)}
    out = {NO_POST_STRENGTH: none}
    for window, gains in gains_by_window.items():
        out[window] = {f"S{i}": g for i, g in enumerate(gains)} | {
            f"C{i}": -5.0 for i in range(controls)
        }
    return out


def test_the_term_needs_more_than_the_chance_gain_of_one_coefficient_per_runner():
    # 8 runners gaining 0.6 each (4.8 in all): what a coefficient for nothing gains by
    # chance, above a one-parameter test's 3.3 but below 8 parameters' 10.0
    chance = _logliks({1.0: [0.6] * 8, 2.0: [0.5] * 8, 3.0: [0.4] * 8})
    assert choose_post_strength(chance)[0] == NO_POST_STRENGTH
    real = _logliks({1.0: [6.0] * 8, 2.0: [3.0] * 8, 3.0: [2.0] * 8})
    assert choose_post_strength(real)[0] == 1.0  # beats 2 days by the 1 % test
    close = _logliks({1.0: [3.1] * 8, 2.0: [3.0] * 8, 3.0: [2.0] * 8})
    assert choose_post_strength(close)[0] == 2.0  # 1 day not better enough: 2 kept


def test_one_runner_alone_does_not_bring_the_term_in_for_the_squad():
    one = _logliks({1.0: [40.0] + [0.1] * 7, 2.0: [30.0] + [0.1] * 7, 3.0: [20.0] + [0.1] * 7})
    assert choose_post_strength(one)[0] == NO_POST_STRENGTH
    assert choose_post_strength({NO_POST_STRENGTH: {"C0": -1.0}, 2.0: {"C0": -1.0}})[0] == (
        NO_POST_STRENGTH
    )


def test_read_part_by_part_the_term_and_the_answer_are_the_same(tmp_path, monkeypatch):
    """Each Parquet part holds its runners' runs and strength sessions, so the days
    after a session, and with them the answer, are the in-memory ones."""
    csv = simulate_squad(tmp_path / "csv", n_runners=12, seed=43, lab_tests=False)
    _tired(csv, 5.0, 1)
    monkeypatch.setattr(layout, "RUNNERS_PER_PART", 5)
    convert(csv, tmp_path / "pq", "parquet")
    expected = analyze(load_dataset(csv))
    assert expected["post_strength_pct"].notna().sum() >= 4  # the term is in
    # metrics saved before the column existed: the days after a session recomputed
    ds = load_dataset(csv)
    old = run_metrics(ds).drop(columns="days_after_strength")
    assert analyze(ds, metrics=old).to_csv(index=False) == expected.to_csv(index=False)
    head, parts = load_dataset_parts(tmp_path / "pq")
    (tmp_path / "spill").mkdir()
    got = analyze_parts(head, parts, tmp_path / "spill")[0]
    assert got.to_csv(index=False) == expected.to_csv(index=False)


def test_the_squad_model_takes_the_tired_days_out_too(tmp_path):
    folder = simulate_squad(tmp_path / "squad", n_runners=16, seed=41, lab_tests=False)
    _tired(folder, 5.0, 1)
    ds = load_dataset(folder)
    truth = pd.read_csv(folder / "truth.csv")
    true = truth.loc[truth["group"] == "strength", "o2_cost_change_pct"].mean()
    squad = squad_model(ds, analyze(ds)).set_index("effect").loc["strength minus control"]
    # measured -3.59 % (95 % CI -5.80 to -1.33) for a true -3.81; -1.60 without the term
    assert abs(squad["estimate_pct"] - true) < 1.0
    assert squad["ci_low_pct"] <= true <= squad["ci_high_pct"]


def test_missing_or_non_finite_likelihoods_choose_no_term_without_failing():
    no_default = {NO_POST_STRENGTH: {"S0": 0.0}, 1.0: {"S0": 50.0}}
    assert choose_post_strength(no_default)[0] == NO_POST_STRENGTH
    broken = _logliks({1.0: [20.0] * 8, 2.0: [np.nan] + [3.0] * 7, 3.0: [2.0] * 8})
    assert choose_post_strength(broken)[0] in (NO_POST_STRENGTH, 1.0)
