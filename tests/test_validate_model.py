"""The scenario-suite script runs and measures what it says (a small version of `make validate-model`)."""

from __future__ import annotations

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
