"""The scenario-suite script runs and measures what it says (a small version of `make validate-model`)."""

from __future__ import annotations

import numpy as np
import pytest


def test_small_scenario_table(validate, tmp_path):
    rows = [
        validate.run_scenario(name, squads=1, runners=16, root=tmp_path)
        for name in ("default", "fitness rising in both groups (-4.5 %)")
    ]
    for row in rows:
        assert set(row) == set(validate.COLUMNS)
        assert row["runners"] == 16
        assert abs(row["bias_pp"]) < 1.5  # one squad: a loose bound; the suite reports the rest
        assert 0.6 <= row["coverage"] <= 1.0
        assert row["controls_improved"].endswith("/8")
    text = validate.to_markdown(__import__("pandas").DataFrame(rows))
    assert text.count("\n") == 4 and "| fitness rising in both groups" in text


def test_uneven_fitness_gives_each_runner_its_own_rise(validate):
    pd = __import__("pandas")
    truth = pd.DataFrame(
        {
            "runner_id": ["A", "B", "C"],
            "group": ["strength", "control", "control"],
            "o2_cost_change_pct": [-4.0, 0.0, 0.0],
            "block_start": ["2026-03-02"] * 3,
            "block_end": ["2026-05-11"] * 3,
        }
    )
    end = pd.Timestamp("2026-05-11")
    metrics = pd.DataFrame(
        {"runner_id": ["A", "B", "C"] * 2, "date": [end - pd.Timedelta(weeks=20)] * 3 + [end] * 3}
    ).assign(o2_cost_ml_kg_km=200.0)
    out = validate.SCENARIOS["fitness rising unevenly (3-6 % each runner its own)"][1](
        metrics, truth
    )
    before, after = out["o2_cost_ml_kg_km"].iloc[:3], out["o2_cost_ml_kg_km"].iloc[3:]
    assert (before == 200.0).all()  # before the block: untouched
    rise = 1 - after.to_numpy() / 200.0
    assert ((rise >= 0.03) & (rise <= 0.06)).all() and len(set(rise.round(6))) == 3
    again = validate.SCENARIOS["fitness rising unevenly (3-6 % each runner its own)"][1](
        metrics, truth
    )
    assert again["o2_cost_ml_kg_km"].equals(
        out["o2_cost_ml_kg_km"]
    )  # the same squad, the same rises


def test_delayed_effect_is_zero_for_four_weeks_and_whole_at_the_block_end(validate):
    """The delayed scenario moves when the change happens, not how big it is at the end."""
    pd = __import__("pandas")
    truth = pd.DataFrame(
        {
            "runner_id": ["A", "B"],
            "group": ["strength", "control"],
            "o2_cost_change_pct": [-4.0, 0.0],
            "block_start": ["2026-03-02"] * 2,
            "block_end": ["2026-05-11"] * 2,  # 10 weeks
        }
    )
    start = pd.Timestamp("2026-03-02")
    days = [start - pd.Timedelta(weeks=2), start + pd.Timedelta(weeks=4)]
    days += [start + pd.Timedelta(weeks=7), pd.Timestamp("2026-05-11")]
    metrics = pd.DataFrame({"runner_id": ["A"] * 4 + ["B"] * 4, "date": days * 2})
    # costs as simulated: the ramp over the whole block
    ramp = validate._ramp(metrics, truth)
    change = metrics["runner_id"].map({"A": -0.04, "B": 0.0})
    metrics["o2_cost_ml_kg_km"] = 200.0 * (1 + change * ramp)
    out = validate.SCENARIOS["effect delayed 4 weeks"][1](metrics, truth)["o2_cost_ml_kg_km"]
    assert out.iloc[:4].tolist() == pytest.approx([200.0, 200.0, 200 * (1 - 0.02), 200 * 0.96])
    assert (out.iloc[4:] == 200.0).all()


def test_thinned_runs_keep_about_three_in_five_the_same_way_each_time(validate):
    pd = __import__("pandas")
    truth = pd.DataFrame({"runner_id": ["A"], "o2_cost_change_pct": [-4.0]})
    metrics = pd.DataFrame({"runner_id": ["A"] * 1000, "o2_cost_ml_kg_km": range(1000)})
    thin = validate.SCENARIOS["about 3 runs a week"][1]
    kept = thin(metrics, truth)
    assert 550 <= len(kept) <= 650
    assert kept.equals(thin(metrics, truth))


def _pct(log_pct):
    return 100 * np.expm1(np.asarray(log_pct, dtype=float) / 100)


def test_best_pooling_mae_shrinks_a_squad_without_spread_to_its_mean(validate):
    """The oracle column: with no true spread in a squad each runner's own change
    is pooled all the way to the squad's precision-weighted mean, so errors that
    cancel within the squad vanish; with a spread far above the noise nothing moves."""
    truth_log = np.repeat([-3.0, -5.0], 4)  # two squads, each runner the same change
    noise = np.tile([-2.0, 2.0, -1.0, 1.0], 2)  # symmetric: the squad means are right
    own = _pct(truth_log + noise)
    low, high = _pct(truth_log + noise - 1.96 * 2), _pct(truth_log + noise + 1.96 * 2)
    squad = np.repeat([0, 1], 4)
    mae = validate.oracle_pooled_mae(own, low, high, _pct(truth_log), squad)
    assert mae < 1e-9
    # unpooled, the same estimates are 1.5 pp off on average
    assert np.mean(np.abs(own - _pct(truth_log))) > 1.4
    # a true spread of 100 pp (log) against SEs of about 2: the own changes stand
    spread = np.tile([-100.0, 100.0, -50.0, 50.0], 2)
    truth_wide = _pct(truth_log + spread)
    own_wide = _pct(truth_log + spread + noise)
    lo_wide = _pct(truth_log + spread + noise - 1.96 * 2)
    hi_wide = _pct(truth_log + spread + noise + 1.96 * 2)
    oracle = validate.oracle_pooled_mae(own_wide, lo_wide, hi_wide, truth_wide, squad)
    unpooled = np.mean(np.abs(own_wide - truth_wide))
    assert abs(oracle - unpooled) < 0.05 * unpooled


def test_best_pooling_mae_does_not_depend_on_how_wide_the_reported_intervals_are(validate):
    """Its SEs are rescaled to the actual spread of the errors, so the oracle
    measures the information in the estimates, not whether their SEs are right."""
    rng = np.random.default_rng(3)
    truth = _pct(rng.normal(-4, 1.5, 32))
    own_log = 100 * np.log1p(truth / 100) + rng.normal(0, 2.2, 32)
    se = rng.uniform(1.5, 3.0, 32)
    squad = np.repeat(np.arange(4), 8)
    args = [
        (_pct(own_log), _pct(own_log - 1.96 * k * se), _pct(own_log + 1.96 * k * se))
        for k in (1, 3)
    ]
    narrow, wide = (validate.oracle_pooled_mae(*a, truth, squad) for a in args)
    assert narrow == pytest.approx(wide, rel=1e-9)
    assert narrow < np.mean(np.abs(_pct(own_log) - truth))  # pooling helps at this spread
