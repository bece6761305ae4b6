"""Per-run, weekly and lab metrics (analysis.metrics)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import physiology as phys
from analysis import schema
from analysis.io.dataset import Dataset
from analysis.metrics import (
    RUN_METRIC_COLUMNS,
    lab_economy_at_speed,
    lab_metrics,
    run_metrics,
    runner_parameters,
    weekly_metrics,
)


def _typed(rows, spec) -> pd.DataFrame:
    """A frame typed like the loader's: canonical columns, dtypes and a line column."""
    frame = pd.DataFrame(list(rows))
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in spec:
        values = (
            frame[col.name] if col.name in frame else pd.Series([None] * len(frame), dtype=object)
        )
        if col.kind in ("datetime", "date"):
            out[col.name] = pd.to_datetime(values)
        elif col.kind == "float":
            out[col.name] = pd.to_numeric(values).astype(float)
        elif col.kind == "int":
            out[col.name] = pd.array(values, dtype="Int64")
        elif col.kind == "category":
            default = "other" if col.name == "run_type" else None
            out[col.name] = pd.Categorical(
                values.fillna(default) if default else values, categories=col.categories
            )
        else:
            out[col.name] = values.astype(object)
    for extra in frame.columns.difference([c.name for c in spec]):
        out[extra] = frame[extra]
    out["line"] = np.arange(2, len(frame) + 2)
    return out


def _dataset(runners, runs, lab_tests=(), strength=()) -> Dataset:
    runs_frame = _typed(runs, schema.RUNS)
    if runs_frame["run_id"].isna().any():
        runs_frame["run_id"] = (
            runs_frame["runner_id"] + "-" + runs_frame["date"].dt.strftime("%Y%m%dT%H%M")
        )
    strength_frame = _typed(strength, schema.STRENGTH)
    return Dataset(
        path=Path("."),
        runners=_typed(runners, schema.RUNNERS),
        runs=runs_frame,
        strength=strength_frame,
        blocks=_typed([], schema.BLOCKS),
        lab_tests=_typed(lab_tests, schema.LAB_TESTS),
        quarantine=pd.DataFrame(columns=list(schema.QUARANTINE_COLUMNS)),
    )


FULL_RUNNER = {
    "runner_id": "R1",
    "sex": "F",
    "hr_rest_bpm": 50,
    "hr_max_bpm": 190,
    "vo2max_ml_kg_min": 60,
}


def _run(**kw):
    run = {
        "runner_id": "R1",
        "date": "2026-03-02T07:00",
        "distance_km": 10.0,
        "duration_s": 3000.0,
        "avg_hr_bpm": 148.0,
        "elev_gain_m": 0.0,
        "elev_loss_m": 0.0,
        "run_type": "easy",
    }
    run.update(kw)
    return run


def test_flat_steady_run_equals_hand_computation():
    ds = _dataset([FULL_RUNNER], [_run()])
    m = run_metrics(ds)
    row = m.iloc[0]
    # 10 km in 50 min = 200 m/min; f_HRR = (148-50)/(190-50) = 0.7;
    # VO2 = 3.5 + 0.7 * (60 - 3.5) = 43.05; cost = 43.05 / 0.2 km/min = 215.25 ml/kg/km
    assert row["speed_m_min"] == pytest.approx(200.0)
    assert row["gas_m_min"] == pytest.approx(200.0)
    assert row["pace_s_per_km"] == pytest.approx(300.0)
    assert row["hrr_fraction"] == pytest.approx(0.7)
    assert row["vo2_hr_ml_kg_min"] == pytest.approx(43.05)
    assert row["o2_cost_ml_kg_km"] == pytest.approx(215.25, rel=1e-12)
    assert row["ef"] == pytest.approx(200.0 / 148.0)
    # Banister, women: 50 min x 0.7 x 0.86 x exp(1.67 x 0.7) = 96.885
    assert row["trimp"] == pytest.approx(96.88504, rel=1e-6)
    assert bool(row["steady"]) and row["exclude_reason"] == ""
    assert (row["hr_rest_source"], row["hr_max_source"], row["vo2max_source"]) == (
        "runners.csv",
    ) * 3
    assert not row["defaulted"]
    assert row["hr_basis"] == "whole run" and row["line"] == 2
    assert tuple(m.columns) == RUN_METRIC_COLUMNS


def test_hilly_run_uses_grade_adjusted_speed_and_loop_assumption():
    ds = _dataset([FULL_RUNNER], [_run(elev_gain_m=150.0, elev_loss_m=None)])
    row = run_metrics(ds).iloc[0]
    gas = phys.grade_adjusted_speed(10.0, 150.0, 150.0, 3000.0)  # descent taken = ascent
    assert row["gas_m_min"] == pytest.approx(gas)
    assert row["gas_m_min"] > row["speed_m_min"]
    assert row["o2_cost_ml_kg_km"] == pytest.approx(43.05 / (gas / 1000))
    flat = run_metrics(_dataset([FULL_RUNNER], [_run(elev_gain_m=None, elev_loss_m=None)])).iloc[0]
    assert not flat["elevation_known"] and flat["gas_m_min"] == pytest.approx(200.0)


def test_steady_part_columns_replace_whole_run_averages():
    run = _run(
        avg_hr_bpm=150.0,
        steady_avg_hr_bpm=141.0,
        steady_gas_m_min=210.0,
        steady_duration_s=2400.0,
        decoupling_pct=3.2,
    )
    row = run_metrics(_dataset([FULL_RUNNER], [run])).iloc[0]
    # %HRR = %VO2R at the steady part's 141 bpm: 3.5 + (91/140) x 56.5 = 40.225 ml/kg/min
    assert row["hr_basis"] == "steady part"
    assert row["o2_cost_ml_kg_km"] == pytest.approx(40.225 / 0.210)
    assert row["decoupling_pct"] == 3.2 and row["duration_used_s"] == 2400.0
    # TRIMP is the load of the whole session
    # 50 min x (100/140) x 0.86 x exp(1.67 x 100/140) = 101.249
    assert row["trimp"] == pytest.approx(101.24922, rel=1e-6)
    # a long run whose steady part is short says so, rather than "too short"
    short_part = _run(steady_avg_hr_bpm=141.0, steady_gas_m_min=210.0, steady_duration_s=420.0)
    row = run_metrics(_dataset([FULL_RUNNER], [short_part])).iloc[0]
    assert row["exclude_reason"] == "steady part too short (< 15 min)"


def test_every_excluded_run_has_its_reason():
    runs = [
        _run(date="2026-03-02T07:00", run_type="interval", avg_hr_bpm=None),  # interval wins
        _run(date="2026-03-03T07:00", run_type="race", distance_km=10.0, duration_s=2400.0),
        _run(date="2026-03-04T07:00", avg_hr_bpm=None),
        _run(date="2026-03-05T07:00", distance_km=2.0, duration_s=600.0),
        _run(date="2026-03-06T07:00", avg_hr_bpm=60.0),  # 7 % HRR
        _run(date="2026-03-07T07:00", avg_hr_bpm=188.0),  # 98.6 % HRR
        _run(date="2026-03-08T07:00", run_type="tempo", avg_hr_bpm=170.0),  # 86 %: steady
        _run(date="2026-03-09T07:00", run_type=None),  # empty type = other: steady
    ]
    m = run_metrics(_dataset([FULL_RUNNER], runs))
    assert list(m["exclude_reason"]) == [
        "interval",
        "race",
        "no heart rate",
        "too short (< 15 min)",
        "HR outside 40-95 % HRR",
        "HR outside 40-95 % HRR",
        "",
        "",
    ]
    assert list(m["steady"]) == [False] * 6 + [True, True]
    assert m.loc[1, "race_vdot"] == pytest.approx(phys.vdot_from_race(10000, 2400))
    assert np.isnan(m.loc[0, "race_vdot"])
    # thresholds are parameters, and the reason text follows them
    loose = run_metrics(_dataset([FULL_RUNNER], runs), min_duration_min=5, hrr_range=(0.05, 0.99))
    assert list(loose["exclude_reason"][3:6]) == ["", "", ""]
    with pytest.raises(ValueError, match="'hrr_range' parameter of run_metrics"):
        run_metrics(_dataset([FULL_RUNNER], runs), hrr_range=(0.9, 0.4))


def test_non_running_sport_from_an_import_is_left_out():
    runs = [
        _run(date="2026-03-02T07:00", sport="cycling"),
        _run(date="2026-03-03T07:00", sport="running"),
        _run(date="2026-03-04T07:00"),  # no sport column value: a run
    ]
    m = run_metrics(_dataset([FULL_RUNNER], runs))
    assert list(m["exclude_reason"]) == ["not running", "", ""]


def test_hr_rest_default_is_flagged():
    runner = {**FULL_RUNNER, "hr_rest_bpm": None}
    m = run_metrics(_dataset([runner], [_run()]))
    assert m.loc[0, "hr_rest_bpm"] == 50.0
    assert m.loc[0, "hr_rest_source"] == "default"
    assert bool(m.loc[0, "defaulted"])


def test_hr_max_fallback_order():
    runners = [
        {"runner_id": "GIVEN", "hr_max_bpm": 185, "birth_year": 1996},
        {"runner_id": "OBS", "birth_year": 1996},
        {"runner_id": "SPIKE", "birth_year": 1996},
        {"runner_id": "AGE", "birth_year": 1996},
        {"runner_id": "NONE"},
    ]
    runs = [
        _run(runner_id="GIVEN", max_hr_bpm=199.0),
        _run(runner_id="OBS", max_hr_bpm=192.0),
        _run(runner_id="OBS", date="2026-03-05T07:00", max_hr_bpm=150.0),
        _run(runner_id="SPIKE", max_hr_bpm=240.0),  # > Tanaka + 30: a spike
        _run(runner_id="SPIKE", date="2026-03-05T07:00", max_hr_bpm=160.0),  # < Tanaka - 20
        _run(runner_id="AGE", max_hr_bpm=None),
        _run(runner_id="NONE", max_hr_bpm=160.0),  # below the 170 bpm floor without an age
    ]
    p = runner_parameters(_dataset(runners, runs)).set_index("runner_id")
    assert (p.loc["GIVEN", "hr_max_bpm"], p.loc["GIVEN", "hr_max_source"]) == (185.0, "runners.csv")
    assert (p.loc["OBS", "hr_max_bpm"], p.loc["OBS", "hr_max_source"]) == (192.0, "observed max")
    for rid in ("SPIKE", "AGE"):
        assert p.loc[rid, "hr_max_source"] == "age formula"
        # born mid-1996, median run early March 2026 -> 29.7 years
        assert p.loc[rid, "age_years"] == pytest.approx(29.67, abs=0.01)
        assert p.loc[rid, "hr_max_bpm"] == pytest.approx(208 - 0.7 * p.loc[rid, "age_years"])
    assert (p.loc["NONE", "hr_max_bpm"], p.loc["NONE", "hr_max_source"]) == (190.0, "default")
    assert bool(p.loc["NONE", "defaulted"])
    assert p.loc["AGE", "vo2max_source"] == "default"


def test_race_average_hr_counts_as_observed_max():
    runners = [{"runner_id": "R1", "birth_year": 1990}]
    runs = [_run(run_type="race", avg_hr_bpm=183.0, max_hr_bpm=None, duration_s=2400.0)]
    p = runner_parameters(_dataset(runners, runs)).iloc[0]
    assert (p["hr_max_bpm"], p["hr_max_source"]) == (183.0, "observed max")


def test_vo2max_fallback_order():
    runners = [
        {"runner_id": "GIVEN", "vo2max_ml_kg_min": 61.0},
        {"runner_id": "LAB"},
        {"runner_id": "SUBMAX"},
        {"runner_id": "RACE"},
        {"runner_id": "NONE"},
    ]
    runs = [
        _run(runner_id="GIVEN", vo2max_est_ml_kg_min=50.0),
        _run(runner_id="LAB", vo2max_est_ml_kg_min=50.0),
        _run(runner_id="SUBMAX", vo2max_est_ml_kg_min=52.0),
        _run(runner_id="SUBMAX", date="2026-03-04T07:00", vo2max_est_ml_kg_min=54.0),
        _run(runner_id="SUBMAX", date="2026-03-06T07:00", vo2max_est_ml_kg_min=None),
        _run(runner_id="RACE", run_type="race", distance_km=5.0, duration_s=1200.0),
        _run(
            runner_id="RACE",
            date="2026-03-09T07:00",
            run_type="race",
            distance_km=5.0,
            duration_s=1260.0,
        ),
        _run(runner_id="NONE"),
    ]
    lab = [
        {
            "runner_id": "LAB",
            "date": "2026-02-01",
            "speed_kmh": 14.0,
            "vo2_ml_kg_min": 48.0,
            "rer": 0.95,
        },
        {
            "runner_id": "LAB",
            "date": "2026-02-01",
            "speed_kmh": 18.0,
            "vo2_ml_kg_min": 63.5,
            "rer": 1.12,
        },
        {
            "runner_id": "SUBMAX",
            "date": "2026-02-01",
            "speed_kmh": 14.0,
            "vo2_ml_kg_min": 48.0,
            "rer": 0.97,
        },
    ]
    p = runner_parameters(_dataset(runners, runs, lab_tests=lab)).set_index("runner_id")
    assert (p.loc["GIVEN", "vo2max_ml_kg_min"], p.loc["GIVEN", "vo2max_source"]) == (
        61.0,
        "runners.csv",
    )
    assert (p.loc["LAB", "vo2max_ml_kg_min"], p.loc["LAB", "vo2max_source"]) == (63.5, "lab test")
    # a submaximal economy test gives no VO2max: the watch's median is used
    assert (p.loc["SUBMAX", "vo2max_ml_kg_min"], p.loc["SUBMAX", "vo2max_source"]) == (
        53.0,
        "device estimate",
    )
    assert p.loc["RACE", "vo2max_source"] == "race VDOT"
    assert p.loc["RACE", "vo2max_ml_kg_min"] == pytest.approx(phys.vdot_from_race(5000, 1200))
    assert (p.loc["NONE", "vo2max_ml_kg_min"], p.loc["NONE", "vo2max_source"]) == (50.0, "default")
    assert list(p["defaulted"]) == [True] * 5  # nobody has HRrest in runners.csv


def test_run_metrics_keeps_order_and_leaves_the_dataset_alone():
    runs = [_run(date=f"2026-03-{d:02d}T07:00") for d in (9, 2, 5)]
    ds = _dataset([FULL_RUNNER], runs)
    before = ds.runs.copy()
    m = run_metrics(ds)
    pd.testing.assert_frame_equal(ds.runs, before)
    assert list(m["date"].dt.day) == [9, 2, 5]
    assert list(m["line"]) == [2, 3, 4]


def test_run_metrics_on_an_empty_log():
    ds = _dataset([FULL_RUNNER], [])
    m = run_metrics(ds)
    assert m.empty and tuple(m.columns) == RUN_METRIC_COLUMNS


def test_weekly_metrics_fills_empty_weeks_and_joins_strength():
    runs = [
        _run(date="2026-03-02T07:00", distance_km=10.0),
        _run(date="2026-03-04T07:00", distance_km=8.0, duration_s=2400.0, run_type="interval"),
        _run(date="2026-03-17T07:00", distance_km=12.0, duration_s=3600.0),
    ]
    strength = [
        {
            "runner_id": "R1",
            "date": "2026-03-03",
            "exercise": "Back squat",
            "sets": 3,
            "reps": 5,
            "load_kg": 100.0,
        },
        {
            "runner_id": "R1",
            "date": "2026-03-10",
            "exercise": "Plank",
            "sets": 3,
            "duration_s": 60.0,
        },
    ]
    w = weekly_metrics(_dataset([FULL_RUNNER], runs, strength=strength)).set_index("week")
    assert list(w.index) == list(pd.to_datetime(["2026-03-02", "2026-03-09", "2026-03-16"]))
    assert list(w["runs"]) == [2, 0, 1]
    assert list(w["steady_runs"]) == [1, 0, 1]
    assert list(w["running_km"]) == [18.0, 0.0, 12.0]
    assert list(w["strength_sessions"]) == [1, 1, 0]
    assert list(w["strength_sessions_core"]) == [0, 1, 0]
    assert w.loc["2026-03-02", "volume_load_kg"] == 1500.0
    assert np.isnan(w.loc["2026-03-09", "o2_cost_ml_kg_km_median"])
    assert w.loc["2026-03-02", "o2_cost_ml_kg_km_median"] == pytest.approx(215.25)


# --------------------------------------------------------------------------
# Lab
# --------------------------------------------------------------------------


def _lab_rows():
    day1 = [
        (10, 34.0, 0.85),
        (11, 37.6, 0.88),
        (12, 41.0, 0.91),
        (13, 45.0, 0.95),
        (14, 49.5, 1.02),
    ]
    day2 = [(10, 33.0, 0.84), (11, 36.5, 0.87), (12, 40.2, 0.90)]
    rows = [
        {
            "runner_id": "R1",
            "date": "2026-02-01",
            "speed_kmh": s,
            "vo2_ml_kg_min": v,
            "rer": r,
            "hr_bpm": 150,
        }
        for s, v, r in day1
    ]
    rows += [
        {"runner_id": "R1", "date": "2026-05-01", "speed_kmh": s, "vo2_ml_kg_min": v, "rer": r}
        for s, v, r in day2
    ]
    return rows


def test_lab_metrics_per_stage():
    ds = _dataset([FULL_RUNNER], [], lab_tests=_lab_rows())
    st = lab_metrics(ds.lab_tests, ds.runners)
    first = st.iloc[0]
    assert first["o2_cost_ml_kg_km"] == pytest.approx(34.0 / (10 / 60))
    assert first["energy_cost_j_kg_m"] == pytest.approx(phys.energy_cost_j_kg_m(34.0, 10.0, 0.85))
    assert first["pct_vo2max"] == pytest.approx(34.0 / 60 * 100)
    assert first["pct_hrmax"] == pytest.approx(150 / 190 * 100)
    top = st.loc[st["speed_kmh"] == 14].iloc[0]
    assert not top["submaximal"] and np.isnan(top["energy_cost_j_kg_m"])  # RER 1.02
    with pytest.raises(ValueError, match="'equation' parameter of lab_metrics"):
        lab_metrics(ds.lab_tests, equation="zuntz")


def test_lab_economy_at_the_shared_reference_speed():
    ds = _dataset([FULL_RUNNER], [], lab_tests=_lab_rows())
    e = lab_economy_at_speed(ds.lab_tests).set_index("date")
    # Day 1's 14 km/h stage has RER 1.02 and is left out; both days share 10-12 km/h.
    assert list(e["reference_speed_kmh"]) == [12.0, 12.0]
    assert list(e["n_stages"]) == [4, 3]
    assert e.loc["2026-02-01", "o2_cost_ml_kg_km"] == pytest.approx(41.0 / 0.2)
    assert e.loc["2026-05-01", "o2_cost_ml_kg_km"] == pytest.approx(40.2 / 0.2)
    # residual SD of the stage costs around a straight line in speed (n - 2 dof)
    x = np.array([10, 11, 12, 13.0])
    y = np.array([34.0, 37.6, 41.0, 45.0]) / (x / 60)
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    assert e.loc["2026-02-01", "residual_sd_ml_kg_km"] == pytest.approx(
        np.sqrt((resid**2).sum() / 2)
    )


def test_lab_economy_uses_the_runners_usual_grade_only():
    rows = _lab_rows() + [
        {
            "runner_id": "R1",
            "date": "2026-02-01",
            "speed_kmh": 12.0,
            "grade_pct": 5.0,
            "vo2_ml_kg_min": 52.0,
            "rer": 0.97,
        }
    ]
    e = lab_economy_at_speed(_dataset([FULL_RUNNER], [], lab_tests=rows).lab_tests).set_index(
        "date"
    )
    assert list(e["grade_pct"]) == [0.0, 0.0]
    assert list(e["n_stages"]) == [4, 3]
    assert e.loc["2026-02-01", "o2_cost_ml_kg_km"] == pytest.approx(41.0 / 0.2)


def test_lab_economy_at_a_given_speed_interpolates_vo2():
    ds = _dataset([FULL_RUNNER], [], lab_tests=_lab_rows())
    e = lab_economy_at_speed(ds.lab_tests, reference_speed_kmh=11.5).set_index("date")
    vo2 = (37.6 + 41.0) / 2
    assert e.loc["2026-02-01", "vo2_ml_kg_min"] == pytest.approx(vo2)
    assert e.loc["2026-02-01", "o2_cost_ml_kg_km"] == pytest.approx(vo2 / (11.5 / 60))
    assert e.loc["2026-02-01", "reference_source"] == "given"
    outside = lab_economy_at_speed(ds.lab_tests, reference_speed_kmh=12.5).set_index("date")
    assert np.isfinite(outside.loc["2026-02-01", "o2_cost_ml_kg_km"])
    assert np.isnan(outside.loc["2026-05-01", "o2_cost_ml_kg_km"])  # no extrapolation
    with pytest.raises(ValueError, match="'reference_speed_kmh' parameter"):
        lab_economy_at_speed(ds.lab_tests, reference_speed_kmh=-1)


# --------------------------------------------------------------------------
# Against the simulator's truth
# --------------------------------------------------------------------------


def test_field_cost_recovers_the_simulated_true_cost(tmp_path):
    simulate = pytest.importorskip("analysis.simulate")
    from analysis.io import load_dataset

    path = simulate.simulate_squad(tmp_path / "squad", n_runners=6, seed=11, lab_tests=False)
    ds = load_dataset(path)
    truth = pd.read_csv(path / "truth.csv").set_index("runner_id")
    m = run_metrics(ds)
    assert (m["vo2max_source"] == "runners.csv").all()
    # Cool, shorter-than-an-hour steady runs before any block: HR follows %HRR = %VO2R
    # exactly in the simulator, so the estimate should sit on the true cost.
    block_start = pd.to_datetime(truth["block_start"]).min()
    clean = m.loc[
        m["steady"] & (m["temp_c"] < 15) & (m["duration_s"] < 3600) & (m["date"] < block_start)
    ]
    econ = clean["runner_id"].map(truth["econ_factor"]).to_numpy()
    gas = clean["gas_m_min"].to_numpy()
    true_cost = econ * phys.daniels_vo2(gas) / (gas / 1000)
    ratio = clean["o2_cost_ml_kg_km"].to_numpy() / true_cost
    assert len(clean) > 50
    assert np.median(ratio) == pytest.approx(1.0, abs=0.01)
    assert np.std(ratio) < 0.08  # HR noise of a few bpm, nothing systematic
    excluded = m.loc[~m["steady"], "exclude_reason"]
    assert set(excluded) <= {
        "interval",
        "race",
        "no heart rate",
        "HR outside 40-95 % HRR",
        "too short (< 15 min)",
    }
    assert {"interval", "race"} <= set(excluded)


@pytest.mark.parametrize(
    ("hrr", "steady"), [(0.39, False), (0.41, True), (0.94, True), (0.96, False)]
)
def test_steady_window_edges(hrr, steady):
    """40-95 % of heart-rate reserve, tried 1 point either side of each edge (issue 15)."""
    hr = FULL_RUNNER["hr_rest_bpm"] + hrr * (FULL_RUNNER["hr_max_bpm"] - FULL_RUNNER["hr_rest_bpm"])
    m = run_metrics(_dataset([FULL_RUNNER], [_run(avg_hr_bpm=hr)]))
    assert m.loc[0, "hrr_fraction"] == pytest.approx(hrr)
    assert bool(m.loc[0, "steady"]) is steady
    assert m.loc[0, "exclude_reason"] == ("" if steady else "HR outside 40-95 % HRR")
