"""Physiology: the limits of each formula's valid range, input kinds, and error messages.

Expected values are worked by hand (arithmetic in the comments) or are exact
invariants (NaN outside the documented range, the kind of the input kept).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import physiology as phys

NAN = float("nan")

# One valid call per vectorised formula: (function, arguments).
VALID_CALLS = {
    "daniels_vo2": (200.0,),
    "daniels_fraction": (30.0,),
    "daniels_speed_from_vo2": (50.0,),
    "vdot_from_race": (5000.0, 1200.0),
    "race_time_from_vdot": (50.0, 5000.0),
    "acsm_running_vo2": (200.0, 0.05),
    "minetti_cost": (0.1,),
    "grade_cost_factor": (0.1,),
    "grade_adjusted_speed": (10.0, 100.0, 100.0, 3000.0),
    "hr_reserve_fraction": (150.0, 50.0, 190.0),
    "hr_to_vo2": (150.0, 50.0, 190.0, 60.0),
    "hr_max_tanaka": (40.0,),
    "hr_max_fox": (40.0,),
    "pct_hrmax_from_pct_vo2max": (70.0,),
    "pct_vo2max_from_pct_hrmax": (80.0,),
    "karvonen_target_hr": (0.7, 50.0, 190.0),
    "o2_cost": (40.0, 12.0),
    "weir_kcal": (1.0, 0.8),
    "peronnet_kj": (1.0, 0.8),
    "oxygen_energy_equivalent_kj_per_l": (0.85,),
    "energy_cost_j_kg_m": (40.0, 12.0, 0.85),
    "energy_cost_kcal_kg_km": (40.0, 12.0, 0.85),
    "efficiency_factor": (200.0, 150.0),
    "runalyze_vo2max_fraction": (0.8,),
    "runalyze_effective_vo2max": (10.0, 3000.0, 150.0, 190.0),
    "banister_trimp": (60.0, 150.0, 50.0, 190.0, "M"),
    "session_rpe_load": (7.0, 60.0),
}


# --------------------------------------------------------------------------
# Kinds in, kinds out; no numpy warnings at the edges
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_scalars_give_a_float_and_a_series_anywhere_keeps_its_index(name):
    func = getattr(phys, name)
    args = VALID_CALLS[name]
    one = func(*args)
    assert type(one) is float and np.isfinite(one)
    for i, value in enumerate(args):
        if isinstance(value, str):
            continue
        series_args = list(args)
        series_args[i] = pd.Series([value, value], index=[3, 8])
        out = func(*series_args)
        assert isinstance(out, pd.Series), f"argument {i}"
        assert list(out.index) == [3, 8]
        assert list(out) == [one, one]  # the same inputs give the same number


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_zero_negative_and_missing_inputs_raise_no_numpy_warnings(name):
    func = getattr(phys, name)
    args = VALID_CALLS[name]
    edge = np.array([0.0, -1.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i, value in enumerate(args):
            if isinstance(value, str):
                continue
            edge_args = list(args)
            edge_args[i] = edge
            assert len(func(*edge_args)) == 3
        zeros = [a if isinstance(a, str) else np.zeros(2) for a in args]
        assert len(func(*zeros)) == 2


def test_lists_and_object_series_with_gaps_are_numbers_with_nan():
    # 220 - 40 = 180 (Fox); the gap stays a gap
    assert_allclose(phys.hr_max_fox([40, None]), [180.0, NAN])
    out = phys.hr_max_fox(pd.Series([40, None], dtype=object, index=["a", "b"]))
    assert list(out.index) == ["a", "b"]
    assert_allclose(out, [180.0, NAN])


def test_series_on_different_indexes_message():
    with pytest.raises(
        ValueError,
        match=r"^All pandas Series arguments must share the same index\. "
        r"Align them first \(for example with Series\.align\)\.$",
    ):
        phys.o2_cost(pd.Series([40.0], index=[0]), pd.Series([12.0], index=[1]))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: phys.oxygen_energy_equivalent_kj_per_l(0.8, equation="brouwer"),
            "The 'equation' parameter of oxygen_energy_equivalent_kj_per_l must be one of "
            "'weir', 'peronnet'. Got 'brouwer' instead.",
        ),
        (
            lambda: phys.energy_cost_j_kg_m(40.0, 12.0, 0.8, equation="brouwer"),
            "The 'equation' parameter of energy_cost_j_kg_m must be one of "
            "'weir', 'peronnet'. Got 'brouwer' instead.",
        ),
        (
            lambda: phys.energy_cost_kcal_kg_km(40.0, 12.0, 0.8, equation="brouwer"),
            "The 'equation' parameter of energy_cost_kcal_kg_km must be one of "
            "'weir', 'peronnet'. Got 'brouwer' instead.",
        ),
        (
            lambda: phys.exponential_load([1.0], 7.0, method="fast"),
            "The 'method' parameter of exponential_load must be one of 'exact', 'tp'. "
            "Got 'fast' instead.",
        ),
        (
            lambda: phys.atl_ctl([1.0], method="fast"),
            "The 'method' parameter of atl_ctl must be one of 'exact', 'tp'. Got 'fast' instead.",
        ),
        (
            lambda: phys.exponential_load([1.0], 0.0),
            "The 'tau_days' parameter of exponential_load must be a positive number. "
            "Got 0.0 instead.",
        ),
        (
            lambda: phys.smoothed_grade([0.0, 1.0], [0.0, 10.0], window_samples=0),
            "The 'window_samples' parameter of smoothed_grade must be a positive integer. "
            "Got 0 instead.",
        ),
        (
            lambda: phys.smoothed_grade([0.0, 1.0], [0.0, 10.0], window_samples=2.5),
            "The 'window_samples' parameter of smoothed_grade must be a positive integer. "
            "Got 2.5 instead.",
        ),
        (
            lambda: phys.grade_adjusted_speed_stream([3.0], [0.0], sample_s=0.0),
            "The 'sample_s' parameter of grade_adjusted_speed_stream must be a positive "
            "number. Got 0.0 instead.",
        ),
        (
            lambda: phys.grade_adjusted_speed_stream([3.0], [0.0], sample_s=-1.0),
            "The 'sample_s' parameter of grade_adjusted_speed_stream must be a positive "
            "number. Got -1.0 instead.",
        ),
        (
            lambda: phys.grade_adjusted_speed_stream([3.0], [0.0], smooth_s=0.0),
            "The 'smooth_s' parameter of grade_adjusted_speed_stream must be a positive "
            "number of seconds. Got 0.0 instead.",
        ),
        (
            lambda: phys.aerobic_decoupling([3.0, 3.0], [150.0]),
            "The 'speed' and 'hr_bpm' parameters of aerobic_decoupling must have the same "
            "length. Got 2 and 1 instead.",
        ),
        (
            lambda: phys.banister_trimp(
                pd.Series([60.0], index=[0]), 150.0, 50.0, 190.0, pd.Series(["M"], index=[1])
            ),
            "The 'sex' Series must share the index of the other arguments.",
        ),
        (
            lambda: phys.banister_trimp_stream([150.0], [50.0, 50.0], 190.0, "M"),
            "hr_rest_bpm and hr_max_bpm of banister_trimp_stream must be scalars.",
        ),
        (
            lambda: phys.banister_trimp_stream([150.0], 50.0, [190.0, 190.0], "M"),
            "hr_rest_bpm and hr_max_bpm of banister_trimp_stream must be scalars.",
        ),
        (
            lambda: phys.edwards_trimp([150.0] * 3, 190.0, time_s=[0.0, 1.0]),
            "'time_s' has 2 samples but the heart-rate stream has 3.",
        ),
    ],
)
def test_error_messages(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message


# --------------------------------------------------------------------------
# The edges of each valid range: just inside gives a number, just outside NaN
# --------------------------------------------------------------------------

LIMITS = [
    # Daniels polynomial at 0.5 m/min: -4.60 + 0.182258 x 0.5 + 0.000104 x 0.25 = -4.508845
    ("daniels_vo2", (0.5,), -4.508845),
    ("daniels_vo2", (0.0,), NAN),
    # positive root of 0.000104 v^2 + 0.182258 v - 5.1 = 0:
    # (-0.182258 + sqrt(0.0332180 + 0.0021216)) / 0.000208 = 27.549
    ("daniels_speed_from_vo2", (0.5,), 27.549233),
    ("daniels_speed_from_vo2", (0.0,), NAN),
    ("daniels_fraction", (0.0,), NAN),
    # Minetti, clipped at +/-45 %: Cr(-0.45) = -2.867567 - 1.246590 + 3.945713 + 9.375750
    # - 8.775 + 3.6 = 4.032305 -> / 3.6 = 1.120085; Cr(0.45) = 19.426015 -> 5.396115
    ("grade_cost_factor", (-0.6,), 1.1200848),
    ("grade_cost_factor", (0.6,), 5.3961152),
    # f_HRR: (0.5 - 50) / 140 = -0.353571 (any HR > 0 is computed, not clipped)
    ("hr_reserve_fraction", (0.5, 50.0, 190.0), -0.3535714),
    ("hr_reserve_fraction", (0.0, 50.0, 190.0), NAN),
    # HRrest just above 0: (150 - 0.5) / 189.5 = 0.788918
    ("hr_reserve_fraction", (150.0, 0.5, 190.0), 0.7889182),
    ("hr_reserve_fraction", (150.0, 0.0, 190.0), NAN),
    ("hr_reserve_fraction", (150.0, 50.0, 50.0), NAN),  # HRmax = HRrest
    ("hr_to_vo2", (150.0, 50.0, 190.0, 3.5), NAN),  # VO2max not above rest
    ("hr_max_tanaka", (0.5,), 207.65),  # 208 - 0.7 x 0.5
    ("hr_max_tanaka", (0.0,), NAN),
    ("hr_max_fox", (0.5,), 219.5),  # 220 - 0.5
    ("hr_max_fox", (0.0,), NAN),
    # Swain: 0.6463 p + 37.182
    ("pct_hrmax_from_pct_vo2max", (0.0,), 37.182),
    ("pct_hrmax_from_pct_vo2max", (0.5,), 37.50515),
    ("pct_hrmax_from_pct_vo2max", (100.0,), 101.812),
    ("pct_hrmax_from_pct_vo2max", (100.5,), NAN),
    ("pct_hrmax_from_pct_vo2max", (-0.1,), NAN),
    # (p - 37.182) / 0.6463
    ("pct_vo2max_from_pct_hrmax", (37.182,), 0.0),
    ("pct_vo2max_from_pct_hrmax", (37.5,), 0.4920316),  # 0.318 / 0.6463
    ("pct_vo2max_from_pct_hrmax", (100.0,), 97.196348),  # 62.818 / 0.6463
    ("pct_vo2max_from_pct_hrmax", (37.1,), NAN),
    ("pct_vo2max_from_pct_hrmax", (100.5,), NAN),
    # Karvonen: HRrest + f (HRmax - HRrest)
    ("karvonen_target_hr", (0.0, 50.0, 190.0), 50.0),
    ("karvonen_target_hr", (1.0, 50.0, 190.0), 190.0),
    ("karvonen_target_hr", (0.7, 0.5, 190.0), 133.15),  # 0.5 + 0.7 x 189.5
    ("karvonen_target_hr", (0.7, 0.0, 190.0), NAN),
    ("karvonen_target_hr", (0.7, 50.0, 50.0), NAN),
    # o2 cost VO2 / (v / 60): 0.5 / 0.2 = 2.5; 40 / (0.5 / 60) = 4800
    ("o2_cost", (0.5, 12.0), 2.5),
    ("o2_cost", (40.0, 0.5), 4800.0),
    # Weir 3.941 VO2 + 1.106 VCO2; Peronnet 16.89 VO2 + 4.84 VCO2; 0 L is allowed
    ("weir_kcal", (0.0, 0.0), 0.0),
    ("weir_kcal", (0.5, 0.5), 2.5235),
    ("weir_kcal", (-1.0, 1.0), NAN),
    ("weir_kcal", (1.0, -1.0), NAN),
    ("peronnet_kj", (0.0, 0.0), 0.0),
    ("peronnet_kj", (0.5, 0.5), 10.865),
    ("peronnet_kj", (-1.0, 1.0), NAN),
    ("peronnet_kj", (1.0, -1.0), NAN),
    # RER 0.70 and 1.00 are inside: Weir (3.941 + 1.106 x 0.7) x 4.184 = 19.728397;
    # (3.941 + 1.106) x 4.184 = 21.116648
    ("oxygen_energy_equivalent_kj_per_l", (0.70,), 19.7283968),
    ("oxygen_energy_equivalent_kj_per_l", (1.00,), 21.116648),
    ("oxygen_energy_equivalent_kj_per_l", (0.699,), NAN),
    ("oxygen_energy_equivalent_kj_per_l", (1.001,), NAN),
    # EF = v / HR: 0 / 150 = 0; 0.5 / 150; 200 / 0.5 = 400
    ("efficiency_factor", (0.0, 150.0), 0.0),
    ("efficiency_factor", (0.5, 150.0), 0.0033333333),
    ("efficiency_factor", (200.0, 0.5), 400.0),
    # Runalyze p = exp((h - 1.00466) / 0.68725): at h = 1, exp(-0.0067806) = 0.993242
    ("runalyze_vo2max_fraction", (1.0,), 0.9932423),
    ("runalyze_vo2max_fraction", (0.0,), NAN),
    ("runalyze_effective_vo2max", (0.0, 3000.0, 150.0, 190.0), NAN),
    ("runalyze_effective_vo2max", (10.0, 0.0, 150.0, 190.0), NAN),
    # session RPE x minutes, RPE 0-10 and minutes >= 0 inclusive
    ("session_rpe_load", (0.0, 60.0), 0.0),
    ("session_rpe_load", (0.5, 60.0), 30.0),
    ("session_rpe_load", (10.0, 60.0), 600.0),
    ("session_rpe_load", (7.0, 0.0), 0.0),
    ("session_rpe_load", (7.0, 0.5), 3.5),
    ("session_rpe_load", (-0.1, 60.0), NAN),
]


@pytest.mark.parametrize("name, args, expected", LIMITS)
def test_range_limits(name, args, expected):
    got = getattr(phys, name)(*args)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_daniels_fraction_just_above_zero_is_below_the_sum_of_its_terms():
    # F(0) would be 0.8 + 0.1894393 + 0.2989558 = 1.2883951; F falls with t
    f = phys.daniels_fraction(0.5)
    assert 1.25 < f < 1.2883951


def test_runalyze_effective_vo2max_tiny_but_positive_inputs_are_computed():
    assert np.isfinite(phys.runalyze_effective_vo2max(0.5, 0.5, 150.0, 190.0))
    # HRmax of 0.5 bpm is nonsense but positive: 0.4 / 0.5 = 80 % of it
    assert np.isfinite(phys.runalyze_effective_vo2max(10.0, 3000.0, 0.4, 0.5))


@pytest.mark.parametrize(
    "distance_m, time_s, valid",
    [
        (2000.0, 180.0, True),  # exactly 3 min
        (2000.0, 179.9, False),
        (20000.0, 18000.0, True),  # exactly 300 min (66.7 m/min)
        (20000.0, 18001.0, False),
        (4000.0, 240.0, True),  # exactly 1000 m/min
        (4000.0, 239.9, False),
        (10000.0, 12000.0, True),  # exactly 50 m/min (200 min)
        (10000.0, 12001.0, False),
    ],
)
def test_vdot_valid_range_includes_its_limits(distance_m, time_s, valid):
    assert np.isfinite(phys.vdot_from_race(distance_m, time_s)) == valid


@pytest.mark.parametrize("distance_m, time_s", [(3000.0, 180.0), (20000.0, 18000.0)])
def test_race_time_at_the_limits_of_the_range(distance_m, time_s):
    # 3000 m in 3 min (shortest time, fastest speed); 20 km in 300 min (longest time)
    vdot = phys.vdot_from_race(distance_m, time_s)
    assert phys.race_time_from_vdot(vdot, distance_m) == pytest.approx(time_s, rel=1e-9)


def test_energy_cost_with_peronnet_and_the_weir_default():
    # O2 cost 40 / (12 / 60) = 200 ml/kg/km; Peronnet 16.89 + 4.84 x 0.85 = 21.004 kJ/L
    # -> 200 x 21.004 / 1000 = 4.2008 J/kg/m -> / 4.184 = 1.0040153 kcal/kg/km
    assert phys.energy_cost_kcal_kg_km(40.0, 12.0, 0.85, equation="peronnet") == pytest.approx(
        1.0040153, rel=1e-6
    )
    # Weir by default: (3.941 + 1.106 x 0.85) x 4.184 = 4.8811 x 4.184 = 20.4225224 kJ/L;
    # in kcal/kg/km the 4.184 cancels: 4.8811 x 200 / 1000 = 0.97622
    assert phys.oxygen_energy_equivalent_kj_per_l(0.85) == pytest.approx(20.4225224, rel=1e-6)
    assert phys.energy_cost_kcal_kg_km(40.0, 12.0, 0.85) == pytest.approx(0.97622, rel=1e-6)


# --------------------------------------------------------------------------
# Banister TRIMP: sex given per session, boundaries
# --------------------------------------------------------------------------

# Per minute at dHR = (120 - 50) / (190 - 50) = 0.5:
#   men   0.5 x 0.64 x e^(1.92 x 0.5) = 0.32 x 2.6116965 = 0.8357429
#   women 0.5 x 0.86 x e^(1.67 x 0.5) = 0.43 x 2.3048141 = 0.9910700
#   other: the mean of the two curves, 0.9134065
MALE_PER_MIN, FEMALE_PER_MIN, OTHER_PER_MIN = 0.8357429, 0.9910700, 0.9134065


def test_banister_trimp_sex_series_with_scalar_session():
    sex = pd.Series(["M", " female ", None], index=[3, 4, 5])
    out = phys.banister_trimp(60.0, 120.0, 50.0, 190.0, sex)
    assert isinstance(out, pd.Series) and list(out.index) == [3, 4, 5]
    assert_allclose(out, [60 * MALE_PER_MIN, 60 * FEMALE_PER_MIN, 60 * OTHER_PER_MIN], rtol=1e-6)


def test_banister_trimp_sex_list_and_missing_scalar_sex():
    out = phys.banister_trimp(60.0, 120.0, 50.0, 190.0, ["m", "F", "X"])
    assert isinstance(out, np.ndarray)
    assert_allclose(out, [60 * MALE_PER_MIN, 60 * FEMALE_PER_MIN, 60 * OTHER_PER_MIN], rtol=1e-6)
    for sex in (None, np.nan):
        one = phys.banister_trimp(60.0, 120.0, 50.0, 190.0, sex)
        assert type(one) is float and one == pytest.approx(60 * OTHER_PER_MIN, rel=1e-6)


def test_banister_trimp_at_resting_heart_rate_is_zero():
    assert phys.banister_trimp(60.0, 50.0, 50.0, 190.0, "M") == 0.0  # dHR = 0
    assert np.isnan(phys.banister_trimp(60.0, 49.0, 50.0, 190.0, "M"))


# --------------------------------------------------------------------------
# Stream TRIMPs: sample durations from time stamps, zones, limits
# --------------------------------------------------------------------------

# Gaps 60, 30, 210, 10, 10, NaN, NaN, -5 s; the last sample lasts the median gap
# (of 60, 30, 210, 10, 10, -5: (10 + 30) / 2 = 20 s). Missing gaps count 0, a step
# back counts 0, and each gap is capped at max_gap_s:
#   cap 30 s:  30 + 30 + 30 + 10 + 10 + 0 + 0 + 0 + 20 = 130 s
#   cap 120 s: 60 + 30 + 120 + 10 + 10 + 0 + 0 + 0 + 20 = 250 s
TIMES = [0.0, 60.0, 90.0, 300.0, 310.0, 320.0, np.nan, 330.0, 325.0]


def test_edwards_trimp_sample_minutes_from_time_stamps():
    hr = [100.0] * len(TIMES)  # 50 % of 200: zone 1, weight 1 per minute
    assert phys.edwards_trimp(hr, 200.0, time_s=TIMES) == pytest.approx(130 / 60)
    assert phys.edwards_trimp(hr, 200.0, time_s=TIMES, max_gap_s=120.0) == pytest.approx(250 / 60)
    # one sample with a time stamp lasts sample_s (20 s, under the 30 s cap): 1/3 minute
    got = phys.edwards_trimp([100.0], 200.0, time_s=[0.0], sample_s=20.0)
    assert got == pytest.approx(20 / 60)


def test_banister_trimp_stream_sample_minutes_from_time_stamps():
    hr = [120.0] * len(TIMES)  # dHR 0.5
    got = phys.banister_trimp_stream(hr, 50.0, 190.0, "M", time_s=TIMES)
    assert got == pytest.approx(130 / 60 * MALE_PER_MIN, rel=1e-6)
    got = phys.banister_trimp_stream(hr, 50.0, 190.0, "M", time_s=TIMES, max_gap_s=120.0)
    assert got == pytest.approx(250 / 60 * MALE_PER_MIN, rel=1e-6)


def test_edwards_trimp_zone_edges():
    # % of 200 bpm: 30, 49.75, 50, 60, 69.95, 70, 90, 99.9, 105, missing
    hr = [60.0, 99.5, 100.0, 120.0, 139.9, 140.0, 180.0, 199.8, 210.0, np.nan]
    # weights 0, 0, 1, 2, 2, 3, 5, 5, 5 (above 100 % is the top zone), 0; 1 minute each
    assert phys.edwards_trimp(hr, 200.0, sample_s=60.0) == 23.0


def test_stream_trimps_at_the_limits_of_their_heart_rates():
    # HRmax just above 0 is still computed: 0.5 of 1 bpm is 50 %, weight 1 for 1 minute
    assert phys.edwards_trimp([0.5], 1.0, sample_s=60.0) == 1.0
    assert np.isnan(phys.edwards_trimp([100.0], 0.0))
    # HRrest just above 0: (95.25 - 0.5) / 189.5 = 0.5 -> one minute at dHR 0.5
    got = phys.banister_trimp_stream([95.25], 0.5, 190.0, "M", sample_s=60.0)
    assert got == pytest.approx(MALE_PER_MIN, rel=1e-6)
    assert np.isnan(phys.banister_trimp_stream([95.25], 0.0, 190.0, "M"))


# --------------------------------------------------------------------------
# Grade from altitude streams
# --------------------------------------------------------------------------

ALT = [0.0, 0.0, 3.0, 6.0, 6.0]
DIST = [0.0, 10.0, 20.0, 30.0, 40.0]


def test_smoothed_grade_by_hand_centred_window_of_three():
    # centred means (partial at the ends): 0, 1, 3, 5, 6; sample j spans j-1 .. j+2
    # rises 3-0, 5-0, 6-1, 6-3, 6-5 over 20, 30, 30, 20, 10 m
    got = phys.smoothed_grade(ALT, DIST, window_samples=3)
    assert_allclose(got, [0.15, 5 / 30, 5 / 30, 0.15, 0.1])


def test_smoothed_grade_by_hand_window_of_two():
    # means of each sample and the one before: 0, 0, 1.5, 4.5, 6; sample j spans j-1 .. j+1
    # rises 0, 1.5, 4.5, 4.5, 1.5 over 10, 20, 20, 20, 10 m
    got = phys.smoothed_grade(ALT, DIST, window_samples=2)
    assert_allclose(got, [0.0, 0.075, 0.225, 0.225, 0.15])


def test_smoothed_grade_minimum_step_is_inclusive_and_standing_is_flat():
    alt = [0.0, 0.0, 3.0, 6.0, 8.0]
    # window 1: each sample to the next, 10 m apart (= the minimum step); the last
    # sample has no next one (0 m): standing, grade 0
    got = phys.smoothed_grade(alt, DIST, window_samples=1, min_step_m=10.0)
    assert_allclose(got, [0.0, 0.3, 0.3, 0.2, 0.0])


def test_smoothed_grade_default_minimum_step_of_one_metre():
    dist = np.arange(40) * 0.15  # creeping: 1.5 m over the default 10-sample window
    alt = 0.1 * dist  # a steady 10 % climb
    got = phys.smoothed_grade(alt, dist)
    assert_allclose(got[10:31], 0.1)  # where both ends have a full window


def test_smoothed_grade_missing_altitude_while_standing_is_missing():
    got = phys.smoothed_grade([0.0, np.nan, np.nan], [0.0, 0.0, 0.0], window_samples=1)
    assert np.isnan(got).all()


def test_gas_stream_integrates_distance_at_the_sample_interval():
    # 5 m/s for 2 s = 10 m per sample, 1 m of climb per sample: 10 %; smooth_s 2 s = 1 sample
    # Minetti Cr(0.1) = 0.001554 - 0.00304 - 0.0433 + 0.463 + 1.95 + 3.6 = 5.968214
    # k = 5.968214 / 3.6 = 1.6578372 -> 5 x k = 8.289186; the last sample has no next: flat
    got = phys.grade_adjusted_speed_stream(
        [5.0] * 6, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], sample_s=2.0, smooth_s=2.0
    )
    assert_allclose(got, [8.289186] * 5 + [5.0], rtol=1e-6)


def test_gas_stream_slow_stopped_and_negative_speeds():
    # window of 1 sample: grades 0.1 / 10 = 0.01, then flat
    # Cr(0.01) = 3.6 + 0.195 + 0.00463 - 0.0000433 - 0.000000304 + 0.0000000155 = 3.7995864
    # k = 1.0554407 -> 4 x k = 4.2217627
    got = phys.grade_adjusted_speed_stream(
        [4.0, 0.5, -1.0, 0.0], [0.0, 0.1, 0.1, 0.1], [0.0, 10.0, 20.0, 30.0], smooth_s=1.0
    )
    assert_allclose(got, [4.2217627, 0.5, np.nan, 0.0], rtol=1e-6)


# --------------------------------------------------------------------------
# Aerobic decoupling
# --------------------------------------------------------------------------


def test_aerobic_decoupling_splits_at_the_time_midpoint():
    # midpoint (0 + 240) / 2 = 120 s; a sample at 120 s is in the second half
    # first 3 m/s / 120 bpm = 0.025, second 3 / 150 = 0.02: (0.025 - 0.02) / 0.025 = 20 %
    got = phys.aerobic_decoupling(
        [3.0] * 5, [120.0, 120.0, 150.0, 150.0, 150.0], time_s=[0, 60, 120, 180, 240]
    )
    assert got == pytest.approx(20.0)


def test_aerobic_decoupling_skips_missing_and_zero_samples():
    # halves: samples 0-2 and 3-5; a missing speed, a missing HR and HR 0 are skipped
    v = [3.0, np.nan, 3.0, 3.0, 3.0, 3.0]
    hr = [120.0, 120.0, np.nan, 0.0, 150.0, 150.0]
    assert phys.aerobic_decoupling(v, hr) == pytest.approx(20.0)  # as above


def test_aerobic_decoupling_edges():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(phys.aerobic_decoupling([], [], time_s=[]))
        assert np.isnan(phys.aerobic_decoupling([3.0, 3.0, np.nan, np.nan], [120.0] * 4))
        assert np.isnan(phys.aerobic_decoupling([0.0, 0.0, 3.0, 3.0], [120.0] * 4))  # r1 = 0
    # a first-half ratio of exactly 1: 150/150 then 150/160 = 0.9375 -> 6.25 %
    assert phys.aerobic_decoupling([150.0, 150.0], [150.0, 160.0]) == pytest.approx(6.25)


# --------------------------------------------------------------------------
# Exponential load, ATL / CTL
# --------------------------------------------------------------------------

# lambda = 1 - e^(-1/7) = 0.1331221 (ATL), 1 - e^(-1/42) = 0.0235283 (CTL)


def test_exponential_load_keeps_a_series_index_and_counts_gaps_as_rest():
    s = pd.Series([np.nan, 100.0, 0.0], index=[10, 11, 12])
    out = phys.exponential_load(s, 7.0)
    assert isinstance(out, pd.Series) and list(out.index) == [10, 11, 12]
    # 0; 100 x 0.1331221 = 13.31221; 13.31221 x (1 - 0.1331221) = 11.540061
    assert_allclose(out, [0.0, 13.31221, 11.540061], rtol=1e-6)


def test_exponential_load_initial_value_short_tau_and_empty():
    # from 100 with a rest day: 100 x (1 - 0.1331221) = 86.68779
    assert_allclose(phys.exponential_load([0.0], 7.0, initial=100.0), [86.68779], rtol=1e-6)
    # tau 0.5 day: lambda = 1 - e^-2 = 0.8646647
    assert_allclose(phys.exponential_load([10.0], 0.5), [8.646647], rtol=1e-6)
    empty = phys.exponential_load([], 7.0)
    assert isinstance(empty, np.ndarray) and empty.size == 0
    dated = phys.exponential_load(pd.Series([], index=pd.DatetimeIndex([]), dtype=float), 7.0)
    assert isinstance(dated, pd.Series) and dated.empty


def test_atl_ctl_defaults_by_hand():
    out = phys.atl_ctl([np.nan, 100.0, 0.0])
    assert list(out.index) == [0, 1, 2]
    assert list(out["load"]) == [0.0, 100.0, 0.0]  # a gap is a rest day
    assert_allclose(out["atl"], [0.0, 13.31221, 11.540061], rtol=1e-6)
    assert_allclose(out["ctl"], [0.0, 2.3528313, 2.2974727], rtol=1e-6)  # x (1 - 0.0235283)
    # yesterday's balance: 0, 0 - 0, 2.3528313 - 13.31221
    assert_allclose(out["tsb"], [0.0, 0.0, -10.9593787], rtol=1e-6)


def test_atl_ctl_trainingpeaks_method_and_a_plain_series():
    out = phys.atl_ctl(pd.Series([100.0, 0.0]), method="tp")
    assert list(out.index) == [0, 1]
    # lambda = 1/7 and 1/42: 14.285714 and 2.380952
    assert out["atl"].iloc[0] == pytest.approx(14.285714, rel=1e-6)
    assert out["ctl"].iloc[0] == pytest.approx(2.380952, rel=1e-6)


# --------------------------------------------------------------------------
# A few more edges found by mutation testing
# --------------------------------------------------------------------------


def test_grade_adjusted_speed_small_climb_and_tiny_positive_inputs():
    # 10 m with 0.5 m of climb and no descent in 60 s: all uphill at g = 0.05
    # Cr(0.05) = 0.0000486 - 0.00019 - 0.0054125 + 0.11575 + 0.975 + 3.6 = 4.6851961
    # k = 4.6851961 / 3.6 = 1.3014434 -> 10 m x k per minute = 13.014434 m/min
    assert phys.grade_adjusted_speed(0.01, 0.5, 0.0, 60.0) == pytest.approx(13.014434, rel=1e-6)
    # half a metre in a minute on the flat; 10 m in half a second: 10 / (0.5 / 60) = 1200
    assert phys.grade_adjusted_speed(0.0005, 0.0, 0.0, 60.0) == pytest.approx(0.5)
    assert phys.grade_adjusted_speed(0.01, 0.0, 0.0, 0.5) == pytest.approx(1200.0)
    # no distance but a climb: NaN, not 0
    assert np.isnan(phys.grade_adjusted_speed(0.0, 10.0, 0.0, 600.0))


def test_more_edges_raise_no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(phys.hr_reserve_fraction(150.0, 50.0, 50.0))  # divides by 0
        assert np.isnan(phys.daniels_speed_from_vo2(-100.0))  # no real root
        # standing still (0 m over the window) with and without a change of altitude
        got = phys.smoothed_grade([0.0, 0.0, 1.0], [0.0, 0.0, 0.0], window_samples=1)
        assert_allclose(got, [0.0, 0.0, 0.0])


def test_smoothed_grade_keeps_a_series_index():
    alt = pd.Series(ALT, index=list("abcde"))
    got = phys.smoothed_grade(alt, pd.Series(DIST, index=list("abcde")), window_samples=3)
    assert isinstance(got, pd.Series) and list(got.index) == list("abcde")
    assert_allclose(got, [0.15, 5 / 30, 5 / 30, 0.15, 0.1])  # as worked out above


def test_gas_stream_distance_from_slow_speeds():
    # 2, 0.5 and 0.5 m/s for 1 s each: distances 2, 2.5, 3 m; 0.2 m up at the 2nd sample.
    # Window 1 sample: sample 0 covers 0.5 m and sample 1 covers 0.5 m, both under the
    # 1 m minimum: flat; the last has no next sample: flat. So GAS = speed.
    got = phys.grade_adjusted_speed_stream([2.0, 0.5, 0.5], [0.0, 0.2, 0.2], smooth_s=1.0)
    assert_allclose(got, [2.0, 0.5, 0.5])


def test_race_time_of_infinite_inputs_is_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = phys.race_time_from_vdot([50.0, 50.0, np.inf, -np.inf], [-np.inf, np.inf, 5e3, 5e3])
    assert np.isnan(got).all()
