"""Physiology formulas against the published tables and computed vectors (SCIENCE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from analysis import physiology as phys
from tests.paths import VECTORS_DIR

VECTORS = VECTORS_DIR
RTOL = 1e-6  # SCIENCE.md: computed vectors are to 1e-6 relative

MARATHON_M = 42195.0
HALF_M = 21097.5


def _hms(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


@pytest.fixture(scope="module")
def vectors():
    """Reader for tests/data/reference/vectors/*.csv (copied from SCIENCE.md's sources)."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(VECTORS / name)

    return read


@pytest.fixture(scope="module")
def daniels_table_5_1_anchors() -> pd.DataFrame:
    """Daniels' Running Formula 3rd ed. (2014) Table 5.1, as quoted in SCIENCE.md §1.

    VDOT 30-80 x 5K / 10K / half / marathon; two public transcriptions agree.
    """
    rows = {
        30: ("30:40", "63:46", "2:21:04", "4:49:17"),
        40: ("24:08", "50:03", "1:50:59", "3:49:45"),
        50: ("19:57", "41:21", "1:31:35", "3:10:49"),
        60: ("17:03", "35:22", "1:18:09", "2:43:25"),
        70: ("14:55", "31:00", "1:08:21", "2:23:10"),
        80: ("13:17.8", "27:41", "1:00:54", "2:07:38"),
    }
    distances = (5000.0, 10000.0, HALF_M, MARATHON_M)
    return pd.DataFrame(
        [
            {"vdot": vdot, "distance_m": d, "time_s": _hms(t)}
            for vdot, times in rows.items()
            for d, t in zip(distances, times, strict=True)
        ]
    )


# --------------------------------------------------------------------------
# Daniels & Gilbert
# --------------------------------------------------------------------------


def test_vdot_reproduces_table_5_1_anchor_rows(daniels_table_5_1_anchors):
    t = daniels_table_5_1_anchors
    got = phys.vdot_from_race(t["distance_m"], t["time_s"])
    # SCIENCE.md §1: |formula - table| <= 0.15 VDOT for 5K and longer.
    assert_allclose(got, t["vdot"], atol=0.15, rtol=0)


def test_race_time_reproduces_table_5_1_anchor_times(daniels_table_5_1_anchors):
    t = daniels_table_5_1_anchors
    got = phys.race_time_from_vdot(t["vdot"], t["distance_m"])
    assert_allclose(got, t["time_s"], rtol=0.005)  # ±0.5 % of the table time (§1)


def test_vdot_published_vectors(vectors):
    t = vectors("daniels_vdot.csv")
    got = phys.vdot_from_race(t["distance_m"], t["time_s"])
    long = t["distance_m"] >= 5000
    assert_allclose(got[long], t.loc[long, "vdot"], atol=0.15, rtol=0)
    assert_allclose(got[~long], t.loc[~long, "vdot"], atol=0.30, rtol=0)
    assert (~long).sum() >= 5  # the 1500 m-2 mile rows were really checked


def test_race_time_published_vectors(vectors):
    t = vectors("daniels_vdot.csv")
    got = phys.race_time_from_vdot(t["vdot"], t["distance_m"])
    assert_allclose(got, t["time_s"], rtol=0.005)


def test_vdot_computed_vectors(vectors):
    t = vectors("daniels_vdot_computed.csv")
    got = phys.vdot_from_race(t["distance_m"], t["time_s"])
    # The file's VDOT is computed from the rounded time and given to 2 decimals.
    assert_allclose(got, t["vdot"], atol=0.005 + 1e-9, rtol=0)


def test_daniels_equation_vectors(vectors):
    t = vectors("daniels_equations.csv")
    assert_allclose(
        phys.daniels_vo2(t["velocity_m_per_min"]), t["vo2_ml_per_kg_per_min"], rtol=RTOL
    )
    assert_allclose(phys.daniels_fraction(t["duration_min"]), t["fraction_vo2max"], rtol=RTOL)


def test_daniels_vo2_by_hand_and_edges():
    assert phys.daniels_vo2(200.0) == pytest.approx(-4.60 + 0.182258 * 200 + 0.000104 * 200**2)
    assert np.isnan(phys.daniels_vo2(0.0))
    assert np.isnan(phys.daniels_vo2(-100.0))
    assert np.isnan(phys.daniels_vo2(np.nan))
    assert np.isnan(phys.daniels_fraction(0.0))
    assert np.isnan(phys.daniels_fraction(-5.0))


def test_daniels_speed_from_vo2_inverts_daniels_vo2():
    v = np.array([120.0, 200.0, 333.3, 450.0])
    assert_allclose(phys.daniels_speed_from_vo2(phys.daniels_vo2(v)), v, rtol=1e-12)
    assert np.isnan(phys.daniels_speed_from_vo2(0.0))
    assert np.isnan(phys.daniels_speed_from_vo2(-3.0))


def test_vdot_outside_valid_range_is_nan():
    assert np.isnan(phys.vdot_from_race(400.0, 60.0))  # 1 min sprint
    assert np.isnan(phys.vdot_from_race(50000.0, 7 * 3600.0))  # 7 h ultra
    assert np.isnan(phys.vdot_from_race(5000.0, 0.0))
    assert np.isnan(phys.vdot_from_race(-5000.0, 1200.0))
    assert np.isnan(phys.vdot_from_race(np.nan, 1200.0))
    assert np.isnan(phys.race_time_from_vdot(300.0, 5000.0))  # would need > 1000 m/min
    assert np.isnan(phys.race_time_from_vdot(0.0, 5000.0))
    assert np.isnan(phys.race_time_from_vdot(50.0, np.nan))


def test_race_time_brentq_fallback_agrees_with_find_root():
    d = np.array([1500.0, 5000.0, MARATHON_M])
    v = np.array([60.0, 45.0, 35.0])

    def f(t, dist, target):
        return phys._vdot_raw(dist, t) - target

    fallback = phys._find_root_brentq(f, 3.0, 300.0, (d, v))
    assert_allclose(fallback * 60, phys.race_time_from_vdot(v, d), rtol=1e-9)


# --------------------------------------------------------------------------
# ACSM, Minetti, grade-adjusted speed
# --------------------------------------------------------------------------


def test_acsm_vectors(vectors):
    t = vectors("acsm_running.csv")
    got = phys.acsm_running_vo2(t["speed_m_min"], t["grade_fraction"])
    assert_allclose(got, t["vo2_ml_kg_min"], rtol=RTOL)


def test_acsm_worked_examples_and_edges():
    assert phys.acsm_running_vo2(160.8) == pytest.approx(35.66)
    assert phys.acsm_running_vo2(160.8, 0.05) == pytest.approx(42.896)
    assert phys.acsm_running_vo2(0.0) == pytest.approx(3.5)  # resting
    assert np.isnan(phys.acsm_running_vo2(-10.0))
    assert np.isnan(phys.acsm_running_vo2(200.0, np.nan))


def test_minetti_vectors(vectors):
    t = vectors("minetti_cost.csv")
    assert_allclose(phys.minetti_cost(t["grade_fraction"]), t["cost_j_per_kg_per_m"], rtol=RTOL)


def test_minetti_clips_to_measured_range_and_keeps_nan():
    assert phys.minetti_cost(0.0) == pytest.approx(3.6)
    assert phys.minetti_cost(0.7) == phys.minetti_cost(0.45)
    assert phys.minetti_cost(-0.9) == phys.minetti_cost(-0.45)
    assert np.isnan(phys.minetti_cost(np.nan))
    grades = np.linspace(-0.45, 0.45, 9001)
    cost = phys.minetti_cost(grades)
    # SCIENCE.md §3: minimum about 1.78 J/kg/m near -18 %.
    assert grades[np.argmin(cost)] == pytest.approx(-0.18, abs=0.01)
    assert cost.min() == pytest.approx(1.78, abs=0.01)


def test_grade_factor_has_the_shape_of_stravas_reverse_engineered_factors(vectors):
    """Strava's factors are unofficial (one source): shape only, not values."""
    t = vectors("strava_gap_factor_reverse_engineered.csv")
    ours = phys.grade_cost_factor(t["grade_fraction"])
    up = t["grade_fraction"] > 0
    assert (t.loc[up, "gap_speed_factor"] > 1).all() and (ours[up] > 1).all()
    assert np.all(np.diff(t.loc[up | (t["grade_fraction"] == 0), "gap_speed_factor"]) > 0)
    assert np.all(np.diff(ours[up | (t["grade_fraction"] == 0)]) > 0)
    gentle_down = (t["grade_fraction"] < 0) & (t["grade_fraction"] >= -0.10)
    assert (t.loc[gentle_down, "gap_speed_factor"] < 1).all() and (ours[gentle_down] < 1).all()
    assert phys.grade_cost_factor(0.0) == 1.0


def test_grade_adjusted_speed_flat_equals_speed():
    assert phys.grade_adjusted_speed(10.0, 0.0, 0.0, 3000.0) == pytest.approx(200.0)


def test_grade_adjusted_speed_by_hand_for_a_loop_and_a_climb():
    # Loop: 100 m up and 100 m down over 10 km -> 5 km at +2 %, 5 km at -2 %.
    k_up, k_down = phys.grade_cost_factor(0.02), phys.grade_cost_factor(-0.02)
    expected = 10000 * (0.5 * k_up + 0.5 * k_down) / 50.0
    assert phys.grade_adjusted_speed(10.0, 100.0, 100.0, 3000.0) == pytest.approx(expected)
    # Climb only: 200 m up over 10 km -> the whole run at +2 %.
    assert phys.grade_adjusted_speed(10.0, 200.0, 0.0, 3000.0) == pytest.approx(200.0 * k_up)
    assert phys.grade_adjusted_speed(10.0, 200.0, 0.0, 3000.0) > 200.0


def test_grade_adjusted_speed_edges_and_series():
    assert np.isnan(phys.grade_adjusted_speed(0.0, 0.0, 0.0, 3000.0))
    assert np.isnan(phys.grade_adjusted_speed(10.0, 0.0, 0.0, 0.0))
    assert np.isnan(phys.grade_adjusted_speed(10.0, -5.0, 0.0, 3000.0))
    assert np.isnan(phys.grade_adjusted_speed(10.0, np.nan, 0.0, 3000.0))
    s = pd.Series([10.0, 5.0], index=["a", "b"])
    out = phys.grade_adjusted_speed(s, 0.0, 0.0, 3000.0)
    assert list(out.index) == ["a", "b"]
    assert_allclose(out, [200.0, 100.0])


def test_gas_stream_flat_and_constant_grade():
    n = 600
    speed = np.full(n, 3.0)
    dist = np.arange(1, n + 1) * 3.0
    flat = phys.grade_adjusted_speed_stream(speed, np.full(n, 100.0), dist)
    assert_allclose(flat, 3.0)
    hill = phys.grade_adjusted_speed_stream(speed, 100.0 + 0.05 * dist, dist)
    assert_allclose(hill[20:-20], 3.0 * phys.grade_cost_factor(0.05), rtol=1e-9)
    # distance integrated from speed at 1 Hz gives the same answer
    assert_allclose(
        phys.grade_adjusted_speed_stream(speed, 100.0 + 0.05 * dist)[20:-20], hill[20:-20]
    )


def test_gas_stream_smoothing_damps_altitude_noise():
    rng = np.random.default_rng(3)
    n = 1800
    speed = np.full(n, 3.0)
    altitude = 50.0 + rng.normal(0, 0.5, n)  # flat route, noisy barometer
    raw = phys.grade_adjusted_speed_stream(speed, altitude, smooth_s=1.0)
    smooth = phys.grade_adjusted_speed_stream(speed, altitude, smooth_s=10.0)
    # k is convex, so noise inflates the mean; smoothing brings it back to the flat speed.
    assert raw.mean() > 3.0 * 1.05
    assert smooth.mean() == pytest.approx(3.0, rel=0.01)
    with pytest.raises(ValueError, match="'smooth_s' parameter"):
        phys.grade_adjusted_speed_stream(speed, altitude, smooth_s=0)


def test_gas_stream_keeps_series_index_and_nan():
    idx = pd.RangeIndex(100, 110)
    speed = pd.Series(3.0, index=idx)
    speed.iloc[2] = np.nan
    out = phys.grade_adjusted_speed_stream(speed, pd.Series(10.0, index=idx))
    assert out.index.equals(idx)
    assert np.isnan(out.iloc[2]) and out.iloc[5] == pytest.approx(3.0)


# --------------------------------------------------------------------------
# Heart rate
# --------------------------------------------------------------------------


def test_hr_to_vo2_by_hand():
    # f = (148 - 50) / (190 - 50) = 0.7; VO2 = 3.5 + 0.7 * (60 - 3.5)
    assert phys.hr_to_vo2(148, 50, 190, 60) == pytest.approx(43.05)
    assert phys.hr_to_vo2(50, 50, 190, 60) == pytest.approx(3.5)
    assert phys.hr_to_vo2(190, 50, 190, 60) == pytest.approx(60.0)


@pytest.mark.parametrize(
    "hr, rest, hmax, vo2max",
    [
        (45, 50, 190, 60),  # below rest
        (195, 50, 190, 60),  # above max
        (150, 190, 190, 60),  # HRmax <= HRrest
        (150, 50, 190, 3.0),  # VO2max below rest VO2
        (np.nan, 50, 190, 60),
        (150, 50, 190, np.nan),
    ],
)
def test_hr_to_vo2_outside_range_is_nan(hr, rest, hmax, vo2max):
    assert np.isnan(phys.hr_to_vo2(hr, rest, hmax, vo2max))


def test_heart_rate_vectors(vectors):
    t = vectors("heart_rate.csv")
    assert_allclose(phys.hr_max_tanaka(t["age_y"]), t["hrmax_tanaka"], rtol=RTOL)
    assert_allclose(phys.hr_max_fox(t["age_y"]), t["hrmax_fox"], rtol=RTOL)
    assert_allclose(
        phys.pct_hrmax_from_pct_vo2max(t["pct_vo2"]), t["pct_hrmax_swain1994"], rtol=RTOL
    )
    assert_allclose(
        phys.pct_vo2max_from_pct_hrmax(t["pct_hrmax_swain1994"]), t["pct_vo2"], rtol=RTOL
    )
    karvonen = phys.karvonen_target_hr(t["pct_vo2"] / 100, t["hr_rest"], t["hrmax_tanaka"])
    assert_allclose(karvonen, t["target_hr_karvonen_tanaka"], rtol=RTOL)


def test_hr_max_formulas_edges():
    assert phys.hr_max_tanaka(40) == pytest.approx(180.0)
    assert np.isnan(phys.hr_max_tanaka(0))
    assert np.isnan(phys.hr_max_tanaka(-5))
    assert np.isnan(phys.hr_max_fox(np.nan))
    assert np.isnan(phys.karvonen_target_hr(1.2, 50, 190))
    assert np.isnan(phys.pct_hrmax_from_pct_vo2max(120))


def test_runalyze_vectors(vectors):
    t = vectors("runalyze_effective_vo2max.csv")
    assert_allclose(
        phys.runalyze_vo2max_fraction(t["hr_fraction_of_max"]), t["vo2max_fraction"], rtol=RTOL
    )
    hr_max = 190.0
    got = phys.runalyze_effective_vo2max(
        t["distance_km"], t["time_s"], t["hr_fraction_of_max"] * hr_max, hr_max
    )
    assert_allclose(got, t["effective_vo2max"], rtol=RTOL)
    corrected = phys.runalyze_effective_vo2max(10, 3000, 0.85 * hr_max, hr_max, corrector=0.9)
    assert corrected == pytest.approx(0.9 * t.loc[0, "effective_vo2max"], rel=RTOL)
    assert np.isnan(phys.runalyze_effective_vo2max(10, 3000, 200, 190))  # HR above max


# --------------------------------------------------------------------------
# Economy and energy
# --------------------------------------------------------------------------


def test_o2_cost_by_hand_and_edges():
    assert phys.o2_cost(40.0, 12.0) == pytest.approx(200.0)  # 40 ml/kg/min at 0.2 km/min
    assert np.isnan(phys.o2_cost(40.0, 0.0))
    assert np.isnan(phys.o2_cost(40.0, -12.0))
    assert np.isnan(phys.o2_cost(0.0, 12.0))
    assert np.isnan(phys.o2_cost(np.nan, 12.0))


def test_energy_equivalent_vectors(vectors):
    t = vectors("energy_equivalents.csv")
    assert_allclose(phys.weir_kcal(t["vo2_l"], t["vco2_l"]), t["weir_kcal"], rtol=RTOL)
    assert_allclose(phys.peronnet_kj(t["vo2_l"], t["vco2_l"]), t["peronnet_kj"], rtol=RTOL)
    # per litre of O2 at the vector's RER
    weir = phys.oxygen_energy_equivalent_kj_per_l(t["rer"], equation="weir")
    assert_allclose(weir, t["weir_kcal"] / t["vo2_l"] * 4.184, rtol=RTOL)
    per = phys.oxygen_energy_equivalent_kj_per_l(t["rer"], equation="peronnet")
    assert_allclose(per, t["peronnet_kj"] / t["vo2_l"], rtol=RTOL)


def test_energy_cost_by_hand():
    # OC = 200 ml/kg/km; Weir at RER 0.80 = 3.941 + 1.106 * 0.8 = 4.8258 kcal/L
    kcal = phys.energy_cost_kcal_kg_km(40.0, 12.0, 0.80)
    assert kcal == pytest.approx(0.2 * 4.8258)
    joules = phys.energy_cost_j_kg_m(40.0, 12.0, 0.80)
    assert joules == pytest.approx(0.2 * 4.8258 * 4.184)
    per = phys.energy_cost_j_kg_m(40.0, 12.0, 0.80, equation="peronnet")
    assert per == pytest.approx(0.2 * (16.89 + 4.84 * 0.8))
    assert np.isnan(phys.energy_cost_j_kg_m(40.0, 12.0, 1.05))  # non-metabolic CO2
    assert np.isnan(phys.energy_cost_j_kg_m(40.0, 12.0, 0.5))
    with pytest.raises(
        ValueError, match="'equation' parameter of energy_cost_j_kg_m must be one of"
    ):
        phys.energy_cost_j_kg_m(40.0, 12.0, 0.9, equation="brouwer")


def test_efficiency_factor():
    assert phys.efficiency_factor(240.0, 150.0) == pytest.approx(1.6)
    assert np.isnan(phys.efficiency_factor(240.0, 0.0))
    assert np.isnan(phys.efficiency_factor(-1.0, 150.0))


def test_aerobic_decoupling():
    speed = np.full(100, 3.0)
    assert phys.aerobic_decoupling(speed, np.full(100, 150.0)) == pytest.approx(0.0)
    hr = np.r_[np.full(50, 150.0), np.full(50, 157.5)]  # HR 5 % higher in the second half
    assert phys.aerobic_decoupling(speed, hr) == pytest.approx((1 - 1 / 1.05) * 100)
    # irregular sampling: split at the midpoint of elapsed time, not of samples
    t = np.r_[np.arange(0, 50), np.arange(50, 100, 0.5)]
    hr_t = np.where(t < 50, 150.0, 157.5)
    assert phys.aerobic_decoupling(np.full(t.size, 3.0), hr_t, time_s=t) == pytest.approx(
        (1 - 1 / 1.05) * 100
    )
    assert np.isnan(phys.aerobic_decoupling([3.0], [150.0]))
    with pytest.raises(ValueError, match="same length"):
        phys.aerobic_decoupling([3.0, 3.0], [150.0])


# --------------------------------------------------------------------------
# Training load
# --------------------------------------------------------------------------


def test_banister_vectors(vectors):
    t = vectors("banister_trimp.csv")
    got = phys.banister_trimp(t["minutes"], t["hr_avg"], t["hr_rest"], t["hr_max"], t["sex"])
    assert_allclose(got, t["trimp"], rtol=RTOL)


def test_banister_edges_and_unknown_sex():
    male = phys.banister_trimp(60, 150, 50, 190, "M")
    female = phys.banister_trimp(60, 150, 50, 190, "female")
    assert phys.banister_trimp(60, 150, 50, 190, "X") == pytest.approx((male + female) / 2)
    assert np.isnan(phys.banister_trimp(60, 200, 50, 190, "M"))
    assert np.isnan(phys.banister_trimp(-1, 150, 50, 190, "M"))
    assert phys.banister_trimp(0, 150, 50, 190, "M") == 0.0


def test_banister_stream_equals_summary_for_constant_hr():
    hr = np.full(3600, 150.0)
    stream = phys.banister_trimp_stream(hr, 50, 190, "M")
    assert stream == pytest.approx(phys.banister_trimp(60, 150, 50, 190, "M"), rel=1e-12)
    # samples below rest add nothing; spikes above max count as max
    clipped = phys.banister_trimp_stream([40.0, 200.0], 50, 190, "M", sample_s=60.0)
    assert clipped == pytest.approx(phys.banister_trimp(1, 190, 50, 190, "M"))
    assert np.isnan(phys.banister_trimp_stream(hr, 190, 190, "M"))


def test_edwards_trimp_zones():
    # 10 min each at 55 %, 75 % and 95 % of HRmax 200; 10 min at 40 % adds nothing
    hr = np.repeat([110.0, 150.0, 190.0, 80.0], 600)
    assert phys.edwards_trimp(hr, 200.0) == pytest.approx(10 * 1 + 10 * 3 + 10 * 5)
    assert phys.edwards_trimp([210.0], 200.0, sample_s=60.0) == pytest.approx(5.0)
    assert np.isnan(phys.edwards_trimp(hr, 0.0))


def test_exponential_load_and_atl_ctl():
    lam = 1 - np.exp(-1 / 7)
    x = phys.exponential_load([100.0, 0.0, 0.0], 7)
    assert_allclose(x, [100 * lam, 100 * lam * (1 - lam), 100 * lam * (1 - lam) ** 2])
    tp = phys.exponential_load([100.0], 7, method="tp")
    assert tp[0] == pytest.approx(100 / 7)
    steady = phys.exponential_load(np.full(2000, 50.0), 42)
    assert steady[-1] == pytest.approx(50.0, rel=1e-9)
    days = pd.Series([100.0, 60.0], index=pd.to_datetime(["2026-01-01", "2026-01-04"]))
    pmc = phys.atl_ctl(days)
    assert list(pmc.index) == list(pd.date_range("2026-01-01", "2026-01-04"))
    assert_allclose(pmc["load"], [100, 0, 0, 60])
    assert pmc["tsb"].iloc[0] == 0.0
    assert pmc["tsb"].iloc[1] == pytest.approx(pmc["ctl"].iloc[0] - pmc["atl"].iloc[0])
    with pytest.raises(ValueError, match="'method' parameter of atl_ctl must be one of"):
        phys.atl_ctl(days, method="fast")
    with pytest.raises(ValueError, match="'tau_days' parameter of exponential_load"):
        phys.exponential_load([1.0], 0)


def test_session_rpe_load():
    assert phys.session_rpe_load(7, 60) == 420
    assert np.isnan(phys.session_rpe_load(11, 60))
    assert np.isnan(phys.session_rpe_load(5, -1))


# --------------------------------------------------------------------------
# Kinds in, kinds out
# --------------------------------------------------------------------------


def test_returns_the_kind_it_was_given_and_never_mutates():
    speeds = np.array([150.0, 200.0])
    before = speeds.copy()
    assert isinstance(phys.daniels_vo2(200.0), float)
    assert isinstance(phys.daniels_vo2(speeds), np.ndarray)
    s = pd.Series([150.0, 200.0], index=[7, 9], name="speed")
    out = phys.daniels_vo2(s)
    assert isinstance(out, pd.Series) and list(out.index) == [7, 9]
    assert_allclose(out, phys.daniels_vo2(speeds))
    assert_allclose(speeds, before)
    assert list(s) == [150.0, 200.0]
    nullable = pd.Series([150.0, None], dtype="Float64")
    assert np.isnan(phys.daniels_vo2(nullable).iloc[1])
    assert np.isnan(phys.daniels_vo2(pd.NA)) and np.isnan(phys.daniels_vo2(None))


def test_series_with_different_indexes_are_refused():
    a = pd.Series([1.0, 2.0], index=[0, 1])
    b = pd.Series([1.0, 2.0], index=[1, 2])
    with pytest.raises(ValueError, match="share the same index"):
        phys.o2_cost(a, b)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

speeds = st.floats(min_value=100.0, max_value=500.0, allow_nan=False)
grades = st.floats(min_value=0.0, max_value=0.45, allow_nan=False)


@given(speeds, speeds)
def test_daniels_cost_rises_with_speed(v1, v2):
    lo, hi = sorted((v1, v2))
    assume(hi - lo > 1e-9)
    assert phys.daniels_vo2(lo) < phys.daniels_vo2(hi)


@given(speeds, speeds, grades)
def test_acsm_cost_rises_with_speed(v1, v2, g):
    lo, hi = sorted((v1, v2))
    assume(hi - lo > 1e-9)
    assert phys.acsm_running_vo2(lo, g) < phys.acsm_running_vo2(hi, g)


@given(grades, grades, speeds)
def test_cost_rises_with_uphill_grade(g1, g2, v):
    lo, hi = sorted((g1, g2))
    assume(hi - lo > 1e-9)
    assert phys.minetti_cost(lo) < phys.minetti_cost(hi)
    assert phys.acsm_running_vo2(v, lo) < phys.acsm_running_vo2(v, hi)
    assert phys.grade_adjusted_speed(10.0, hi * 10000, 0.0, 3000.0) > phys.grade_adjusted_speed(
        10.0, lo * 10000, 0.0, 3000.0
    )


distances = st.sampled_from(
    [1500.0, 1609.344, 3000.0, 5000.0, 10000.0, 15000.0, HALF_M, MARATHON_M]
)
race_speeds = st.floats(min_value=150.0, max_value=420.0, allow_nan=False)


@given(distances, race_speeds, race_speeds)
def test_vdot_rises_as_race_time_falls(d, v1, v2):
    t1, t2 = d / v1 * 60, d / v2 * 60
    assume(abs(t1 - t2) > 1e-6 and 180 <= min(t1, t2) and max(t1, t2) <= 18000)
    fast, slow = sorted((t1, t2))
    assert phys.vdot_from_race(d, fast) > phys.vdot_from_race(d, slow)


@settings(max_examples=200)
@given(distances, race_speeds)
def test_race_time_from_vdot_inverts_vdot_from_race(d, v):
    t = d / v * 60
    assume(180 <= t <= 18000)
    vdot = phys.vdot_from_race(d, t)
    assert phys.race_time_from_vdot(vdot, d) == pytest.approx(t, rel=1e-9)


@given(
    st.floats(min_value=40, max_value=70),
    st.floats(min_value=160, max_value=210),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)
def test_hr_to_vo2_rises_with_heart_rate(rest, hmax, f1, f2):
    lo, hi = sorted((f1, f2))
    hr_lo, hr_hi = rest + lo * (hmax - rest), rest + hi * (hmax - rest)
    assume(hr_hi - hr_lo > 1e-9)
    assert phys.hr_to_vo2(hr_lo, rest, hmax, 55.0) < phys.hr_to_vo2(hr_hi, rest, hmax, 55.0)


def test_hand_worked_examples_from_the_papers():
    """Expected values worked by hand from each paper's formula, not from our code."""
    # Banister (1991): men k 0.64, b 1.92; 60 min at 150 bpm, HRrest 50, HRmax 190:
    # ratio 100/140 = 0.714286; 60 x 0.714286 x 0.64 x exp(1.92 x 0.714286) = 108.0954
    assert phys.banister_trimp(60, 150, 50, 190, "M") == pytest.approx(108.09536, rel=1e-6)
    # women k 0.86, b 1.67: 60 x 0.714286 x 0.86 x exp(1.67 x 0.714286) = 121.4991
    assert phys.banister_trimp(60, 150, 50, 190, "F") == pytest.approx(121.49907, rel=1e-6)
    # Edwards (1993): 10 min in each zone 50-60 ... 90-100 % HRmax, weights 1..5: 150
    hr = np.repeat([110.0, 130.0, 150.0, 170.0, 190.0], 600)  # HRmax 200, 1 s samples
    assert phys.edwards_trimp(hr, 200.0) == pytest.approx(150.0)
    # Fox: 220 - age; Tanaka (2001): 208 - 0.7 x age
    assert phys.hr_max_fox(30) == pytest.approx(190.0)
    assert phys.hr_max_tanaka(30) == pytest.approx(187.0)
    # Karvonen: rest + 0.7 x (max - rest) = 60 + 0.7 x 130 = 151
    assert phys.karvonen_target_hr(0.7, 60, 190) == pytest.approx(151.0)
    # Swain & Leutholtz (1997), %HRR = %VO2R: 3.5 + (100/140) x (60 - 3.5) = 43.857
    assert phys.hr_to_vo2(150, 50, 190, 60) == pytest.approx(43.857143, rel=1e-6)


def test_the_hrmax_line_scale_is_the_ratio_of_the_two_lines_relative_slopes():
    """Checked against the two published lines themselves: the relative change in
    uptake for a small change in heart rate, on Swain et al. 1994's %HRmax line
    (pct_vo2max_from_pct_hrmax) over that on %HRR = %VO2R (hr_to_vo2)."""
    rest, top, vo2max = 50.0, 190.0, 60.0
    for hr in (120.0, 150.0, 175.0):
        d = 0.01

        def on_hrmax(h):
            return phys.pct_vo2max_from_pct_hrmax(100 * h / top) * vo2max / 100

        def on_hrr(h):
            return phys.hr_to_vo2(h, rest, top, vo2max)

        expected = (np.log(on_hrmax(hr + d)) - np.log(on_hrmax(hr - d))) / (
            np.log(on_hrr(hr + d)) - np.log(on_hrr(hr - d))
        )
        assert phys.hrmax_line_change_scale(hr, rest, top, vo2max) == pytest.approx(expected, 1e-6)
    # by hand at 150 bpm: (100 + 3.5 x 140 / 56.5) / (150 - 0.37182 x 190) = 1.3695
    assert phys.hrmax_line_change_scale(150, 50, 190, 60) == pytest.approx(1.3695, abs=1e-4)
    out = phys.hrmax_line_change_scale(
        np.array([40.0, 60.0, 195.0, 150.0, 150.0]),
        np.array([50.0, 50.0, 50.0, 190.0, 50.0]),
        np.array([190.0, 190.0, 190.0, 190.0, 190.0]),
        np.array([60.0, 60.0, 60.0, 60.0, 3.0]),
    )
    # below HRrest, below where the %HRmax line meets zero uptake (70.6 bpm), above
    # HRmax, HRmax <= HRrest, VO2max <= 3.5: no scale
    assert np.isnan(out).all()
