"""Physiological formulas: oxygen cost, VDOT, grade, heart rate, energy, load.

Small pure functions, one equation each, with the units in the parameter
names and the source in a References section. Every function accepts
scalars, numpy arrays and pandas Series (a Series keeps its index), never
modifies its input, and returns NaN where an input is NaN or outside the
range where the equation means anything (each docstring says which range).
Bad *options* (an unknown method name) raise ``ValueError``.

The equations, their units, valid ranges and citations are collected in
``shared/reference/SCIENCE.md``; section numbers below (``§1`` ...) refer to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "VO2_REST_ML_KG_MIN",
    "daniels_vo2",
    "daniels_fraction",
    "daniels_speed_from_vo2",
    "vdot_from_race",
    "race_time_from_vdot",
    "acsm_running_vo2",
    "minetti_cost",
    "grade_cost_factor",
    "grade_adjusted_speed",
    "smoothed_grade",
    "grade_adjusted_speed_stream",
    "hr_reserve_fraction",
    "hr_to_vo2",
    "hr_max_tanaka",
    "hr_max_fox",
    "pct_hrmax_from_pct_vo2max",
    "pct_vo2max_from_pct_hrmax",
    "karvonen_target_hr",
    "o2_cost",
    "weir_kcal",
    "peronnet_kj",
    "oxygen_energy_equivalent_kj_per_l",
    "energy_cost_kcal_kg_km",
    "energy_cost_j_kg_m",
    "efficiency_factor",
    "aerobic_decoupling",
    "runalyze_vo2max_fraction",
    "runalyze_effective_vo2max",
    "banister_trimp",
    "banister_trimp_stream",
    "edwards_trimp",
    "exponential_load",
    "atl_ctl",
    "session_rpe_load",
]

# Resting oxygen uptake, 1 MET [ml/kg/min] (ACSM; Swain & Leutholtz 1997).
VO2_REST_ML_KG_MIN = 3.5

ECONOMY_DAY_CV_PCT = 2.0
"""Within-subject day-to-day CV of submaximal VO2 in trained runners [%]:
about 2 % (Saunders PU et al. 2004, Med Sci Sports Exerc 36:1972-1976;
SCIENCE.md section 5: 1.5-3 %). Economy itself varies this much from day to
day, so no field estimate of it can scatter less."""

PLAUSIBLE_O2_COST_ML_KG_KM = (150.0, 250.0)
"""A baseline oxygen cost outside this range more likely means wrong runner
parameters (HRrest, HRmax, VO2max) than a real runner: trained runners are
about 180-220 ml/kg/km (Barnes & Kilding 2015, SCIENCE.md section 5); the
range leaves about 15 % either side."""

# Daniels & Gilbert (1979) oxygen-cost polynomial, v in m/min (SCIENCE.md §1).
_DANIELS_A = -4.60
_DANIELS_B = 0.182258
_DANIELS_C = 0.000104

# Valid range of the VDOT equations: race durations of the published table
# (1500 m at VDOT 85, about 3.4 min, to the marathon at VDOT 30, about 4.8 h;
# §1 says "about 3.5 min to about 4-5 h") and Runalyze's speed limits of
# 50-1000 m/min (§1).
_VDOT_MIN_DURATION_MIN = 3.0
_VDOT_MAX_DURATION_MIN = 300.0
_VDOT_MIN_SPEED_M_MIN = 50.0
_VDOT_MAX_SPEED_M_MIN = 1000.0

# Minetti et al. (2002) running polynomial, highest power first (§3).
_MINETTI_RUN = (155.4, -30.4, -43.3, 46.3, 19.5, 3.6)
_MINETTI_MAX_GRADE = 0.45
_MINETTI_FLAT = 3.6

# Banister TRIMP weighting (§10): (k, b) by sex.
_BANISTER = {"M": (0.64, 1.92), "F": (0.86, 1.67)}

# 1 kcal = 4.184 kJ (§5).
_KJ_PER_KCAL = 4.184

# Range of RER over which the oxygen energy equivalent holds: the non-protein
# respiratory quotient runs from about 0.70 (all fat) to 1.00 (all
# carbohydrate); above 1.0 the expired CO2 includes bicarbonate-buffered CO2
# and is no longer metabolic (§5).
_RER_LOW = 0.70
_RER_HIGH = 1.00


# --------------------------------------------------------------------------
# helpers: accept scalars, arrays and Series; give back the kind received
# --------------------------------------------------------------------------


def _prepare(*args):
    """Convert inputs to float arrays; remember a Series index and scalar-ness."""
    index = None
    for a in args:
        if isinstance(a, pd.Series):
            if index is None:
                index = a.index
            elif not a.index.equals(index):
                raise ValueError(
                    "All pandas Series arguments must share the same index. "
                    "Align them first (for example with Series.align)."
                )
    arrays = []
    for a in args:
        if isinstance(a, pd.Series | pd.Index):
            arrays.append(a.to_numpy(dtype=float, na_value=np.nan))
        elif a is None or a is pd.NA or a is pd.NaT:
            arrays.append(np.asarray(np.nan))
        else:
            arrays.append(np.asarray(a, dtype=float))
    scalar = index is None and all(x.ndim == 0 for x in arrays)
    return arrays, index, scalar


def _finish(values, index, scalar):
    """Return ``values`` as a Series (with ``index``), a float or an ndarray."""
    values = np.asarray(values, dtype=float)
    if index is not None:
        if values.ndim == 0:
            values = np.full(len(index), float(values))
        return pd.Series(values, index=index)
    if scalar:
        return float(values)
    return values


def _check_option(value, allowed, parameter, function):
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"The '{parameter}' parameter of {function} must be one of {options}. "
            f"Got {value!r} instead."
        )


# --------------------------------------------------------------------------
# Daniels & Gilbert (1979)
# --------------------------------------------------------------------------


def _daniels_vo2_raw(v):
    return _DANIELS_A + _DANIELS_B * v + _DANIELS_C * v * v


def _daniels_fraction_raw(t):
    return 0.8 + 0.1894393 * np.exp(-0.012778 * t) + 0.2989558 * np.exp(-0.1932605 * t)


def daniels_vo2(speed_m_min):
    """Oxygen cost of running on the flat at a given speed (Daniels & Gilbert).

    .. math:: VO_2 = -4.60 + 0.182258\\,v + 0.000104\\,v^2

    Parameters
    ----------
    speed_m_min : float or array-like
        Running speed v [m/min]. The fit holds for running speeds (about
        130-450 m/min). Speeds <= 0 give NaN.

    Returns
    -------
    float, ndarray or Series
        VO2 [ml/kg/min] (no resting term: Daniels' cost of running).

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power: Performance Tables for Distance
       Runners (1979); SCIENCE.md §1.
    """
    (v,), index, scalar = _prepare(speed_m_min)
    out = np.where(v > 0, _daniels_vo2_raw(v), np.nan)
    return _finish(out, index, scalar)


def daniels_fraction(duration_min):
    """Fraction of VO2max sustainable for a race of a given duration.

    The Daniels & Gilbert "drop-dead" curve:

    .. math:: F(t) = 0.8 + 0.1894393\\,e^{-0.012778 t} + 0.2989558\\,e^{-0.1932605 t}

    Parameters
    ----------
    duration_min : float or array-like
        Race duration t [min]. Meaningful for about 3.5 min to 5 h; the value
        is returned for any t > 0 (it exceeds 1 below about 10 min). t <= 0
        gives NaN.

    Returns
    -------
    float, ndarray or Series
        Fraction of VO2max (dimensionless).

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power (1979); SCIENCE.md §1.
    """
    (t,), index, scalar = _prepare(duration_min)
    out = np.where(t > 0, _daniels_fraction_raw(t), np.nan)
    return _finish(out, index, scalar)


def daniels_speed_from_vo2(vo2_ml_kg_min):
    """Running speed whose Daniels oxygen cost equals a given VO2.

    The positive root of :math:`0.000104 v^2 + 0.182258 v - (4.60 + VO_2) = 0`:

    .. math:: v = \\frac{-0.182258 + \\sqrt{0.182258^2 + 4 \\cdot 0.000104\\,(4.60 + VO_2)}}{2 \\cdot 0.000104}

    Use it for vVO2max (``vo2 = VDOT``) or a pace at a % of VDOT.

    Parameters
    ----------
    vo2_ml_kg_min : float or array-like
        Oxygen uptake [ml/kg/min]; values <= 0 give NaN.

    Returns
    -------
    float, ndarray or Series
        Speed [m/min].

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power (1979); SCIENCE.md §1 (inverse problems).
    """
    (vo2,), index, scalar = _prepare(vo2_ml_kg_min)
    with np.errstate(invalid="ignore"):
        disc = _DANIELS_B**2 + 4 * _DANIELS_C * (-_DANIELS_A + vo2)
        v = (-_DANIELS_B + np.sqrt(disc)) / (2 * _DANIELS_C)
    return _finish(np.where(vo2 > 0, v, np.nan), index, scalar)


def _vdot_raw(distance_m, duration_min):
    return _daniels_vo2_raw(distance_m / duration_min) / _daniels_fraction_raw(duration_min)


def _vdot_valid(distance_m, duration_min):
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = distance_m / duration_min
    return (
        (distance_m > 0)
        & (duration_min >= _VDOT_MIN_DURATION_MIN)
        & (duration_min <= _VDOT_MAX_DURATION_MIN)
        & (speed >= _VDOT_MIN_SPEED_M_MIN)
        & (speed <= _VDOT_MAX_SPEED_M_MIN)
    )


def vdot_from_race(distance_m, time_s):
    """VDOT (Daniels' performance-based pseudo-VO2max) from one race result.

    .. math:: v = d / T; \\quad VDOT = VO_2(v) / F(T)

    with :func:`daniels_vo2` and :func:`daniels_fraction`, T in minutes.

    Parameters
    ----------
    distance_m : float or array-like
        Race distance d [m] (marathon 42195, half 21097.5, mile 1609.344).
    time_s : float or array-like
        Finishing time [s].

    Returns
    -------
    float, ndarray or Series
        VDOT [ml/kg/min]. NaN outside the range where the equations hold:
        race duration 3-300 min and mean speed 50-1000 m/min (the limits
        Runalyze uses), or for NaN / non-positive input. VDOT is a
        performance index, not a laboratory VO2max.

    Notes
    -----
    The equations reproduce the published Table 5.1 within 0.15 VDOT for 5K
    and longer and within 0.30 VDOT for 1500 m to 2 miles (SCIENCE.md §1).

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power (1979); Daniels' Running
       Formula, 3rd ed. (2014), Table 5.1; SCIENCE.md §1.
    """
    (d, t), index, scalar = _prepare(distance_m, time_s)
    t_min = t / 60.0
    valid = _vdot_valid(d, t_min)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(valid, _vdot_raw(d, t_min), np.nan)
    return _finish(out, index, scalar)


def _solve_race_minutes(vdot, distance_m):
    """Race time [min] with VDOT(d, T) = vdot, T in the valid range; NaN if none."""
    vdot, distance_m = np.broadcast_arrays(vdot, distance_m)
    lo = np.full(vdot.shape, _VDOT_MIN_DURATION_MIN)
    hi = np.full(vdot.shape, _VDOT_MAX_DURATION_MIN)
    ok = np.isfinite(vdot) & np.isfinite(distance_m) & (vdot > 0) & (distance_m > 0)
    # VDOT falls monotonically as T rises (SCIENCE.md §1): a root exists in
    # [lo, hi] only when the target lies between VDOT(hi) and VDOT(lo).
    with np.errstate(invalid="ignore", divide="ignore"):
        ok &= (_vdot_raw(distance_m, lo) >= vdot) & (_vdot_raw(distance_m, hi) <= vdot)
    out = np.full(vdot.shape, np.nan)
    if not ok.any():
        return out
    d_ok, v_ok = distance_m[ok], vdot[ok]
    out[ok] = _find_root(
        lambda t, d, target: _vdot_raw(d, t) - target,
        _VDOT_MIN_DURATION_MIN,
        _VDOT_MAX_DURATION_MIN,
        (d_ok, v_ok),
    )
    return out


def _find_root(func, lo, hi, args):
    """Elementwise bracketing root finder (scipy >= 1.15), else brentq per element."""
    try:
        from scipy.optimize.elementwise import find_root
    except ImportError:  # scipy < 1.15
        return _find_root_brentq(func, lo, hi, args)
    lo_arr = np.full(np.shape(args[0]), float(lo))
    hi_arr = np.full(np.shape(args[0]), float(hi))
    res = find_root(func, (lo_arr, hi_arr), args=args)
    return np.where(res.success, res.x, np.nan)


def _find_root_brentq(func, lo, hi, args):
    from scipy.optimize import brentq

    out = np.empty(np.shape(args[0]))
    for i, row in enumerate(zip(*args, strict=True)):
        out[i] = brentq(func, lo, hi, args=row, xtol=1e-12, rtol=1e-14)
    return out


def race_time_from_vdot(vdot, distance_m):
    """Race time predicted for a VDOT over a distance (inverse of :func:`vdot_from_race`).

    Solves :math:`VO_2(d/T) / F(T) = VDOT` for T numerically (Chandrupatla
    bracketing from ``scipy.optimize.elementwise.find_root``, or ``brentq``
    on scipy < 1.15) on T in [3, 300] min, where VDOT falls monotonically
    with T.

    Parameters
    ----------
    vdot : float or array-like
        VDOT [ml/kg/min].
    distance_m : float or array-like
        Race distance [m].

    Returns
    -------
    float, ndarray or Series
        Race time [s]. NaN where the solution would lie outside 3-300 min
        or outside 50-1000 m/min (the valid range of :func:`vdot_from_race`),
        or for NaN / non-positive input.

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power (1979); SCIENCE.md §1 (inverse problems).
    """
    (v, d), index, scalar = _prepare(vdot, distance_m)
    minutes = _solve_race_minutes(v, d)
    with np.errstate(invalid="ignore"):
        minutes = np.where(_vdot_valid(np.broadcast_to(d, minutes.shape), minutes), minutes, np.nan)
    return _finish(minutes * 60.0, index, scalar)


# --------------------------------------------------------------------------
# ACSM and Minetti
# --------------------------------------------------------------------------


def acsm_running_vo2(speed_m_min, grade_fraction=0.0):
    """Oxygen uptake of running from the ACSM metabolic equation.

    .. math:: VO_2 = 0.2\\,S + 0.9\\,S\\,G + 3.5

    Parameters
    ----------
    speed_m_min : float or array-like
        Running speed S [m/min], valid above about 134 m/min (8 km/h); below
        that the walking equation applies. Negative speeds give NaN.
    grade_fraction : float or array-like
        Treadmill or road grade G as a fraction (0.05 = 5 %). The equation
        was derived for level and uphill running; a negative grade is
        evaluated as written.

    Returns
    -------
    float, ndarray or Series
        VO2 [ml/kg/min], including the resting 3.5. Do not mix with
        :func:`daniels_vo2` in one series (SCIENCE.md §2).

    References
    ----------
    .. [1] American College of Sports Medicine. ACSM's Guidelines for Exercise
       Testing and Prescription, metabolic equations; SCIENCE.md §2.
    """
    (s, g), index, scalar = _prepare(speed_m_min, grade_fraction)
    out = np.where(s >= 0, 0.2 * s + 0.9 * s * g + VO2_REST_ML_KG_MIN, np.nan)
    return _finish(out, index, scalar)


def minetti_cost(grade_fraction):
    """Energy cost of running on a gradient (Minetti et al. 2002).

    .. math:: C_r(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6

    Parameters
    ----------
    grade_fraction : float or array-like
        Gradient i as a fraction (rise / horizontal run). The polynomial was
        fitted on -0.45 <= i <= +0.45; grades outside are **clipped** to that
        range (a 60 % slope costs what a 45 % slope costs). NaN stays NaN.

    Returns
    -------
    float, ndarray or Series
        Energy cost [J/kg/m]; 3.6 on the flat, minimum about 1.78 near -18 %.

    References
    ----------
    .. [1] Minetti AE, Moia C, Roi GS, Susta D, Ferretti G. Energy cost of
       walking and running at extreme uphill and downhill slopes. J Appl
       Physiol 93:1039-1046 (2002); SCIENCE.md §3.
    """
    (i,), index, scalar = _prepare(grade_fraction)
    i = np.clip(i, -_MINETTI_MAX_GRADE, _MINETTI_MAX_GRADE)
    return _finish(np.polyval(_MINETTI_RUN, i), index, scalar)


def grade_cost_factor(grade_fraction):
    """Cost of running on a grade relative to the flat, k(i) = Cr(i) / Cr(0).

    Parameters
    ----------
    grade_fraction : float or array-like
        Gradient as a fraction; clipped to +/-0.45 as in :func:`minetti_cost`.

    Returns
    -------
    float, ndarray or Series
        Cost ratio (dimensionless): 1 on the flat, > 1 uphill, < 1 on gentle
        downhills (minimum about 0.49 near -18 %).

    References
    ----------
    .. [1] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3
       (grade-adjusted pace, Minetti form).
    """
    (i,), index, scalar = _prepare(grade_fraction)
    i = np.clip(i, -_MINETTI_MAX_GRADE, _MINETTI_MAX_GRADE)
    return _finish(np.polyval(_MINETTI_RUN, i) / _MINETTI_FLAT, index, scalar)


def grade_adjusted_speed(distance_km, elev_gain_m, elev_loss_m, duration_s):
    """Flat-equivalent (grade-adjusted) speed of a run from its summary.

    A summary has no profile, so the route is modelled as two parts at one
    constant absolute gradient: an uphill part that climbs ``elev_gain_m``
    and a downhill part that descends ``elev_loss_m``, with

    .. math::

        g = (gain + loss) / d, \\quad d_{up} = d\\,\\frac{gain}{gain + loss},
        \\quad d_{down} = d - d_{up}

        d_{flat} = d_{up}\\,k(g) + d_{down}\\,k(-g), \\quad GAS = d_{flat} / t

    where k is :func:`grade_cost_factor` (Minetti cost ratio). This is the
    least-assumption split (no flats, no steep pitches); because k is convex,
    a real route with flats and steep climbs costs somewhat more than this
    estimate. ``distance_km`` is treated as horizontal distance (what GPS
    devices report); the difference from slope distance is below 0.5 % under
    10 % grade.

    Parameters
    ----------
    distance_km : float or array-like
        Run distance [km], > 0.
    elev_gain_m, elev_loss_m : float or array-like
        Total ascent and descent [m], >= 0. Both 0 gives the plain speed.
    duration_s : float or array-like
        Moving time [s], > 0.

    Returns
    -------
    float, ndarray or Series
        Grade-adjusted speed [m/min]. NaN where any input is NaN, a distance
        or duration is <= 0, or an elevation is negative.

    References
    ----------
    .. [1] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3.
    """
    (d_km, gain, loss, t), index, scalar = _prepare(
        distance_km, elev_gain_m, elev_loss_m, duration_s
    )
    d = d_km * 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        climb = gain + loss
        g = climb / d
        up_share = np.where(climb > 0, gain / np.where(climb > 0, climb, 1.0), 0.5)
        k = up_share * grade_cost_factor(g) + (1.0 - up_share) * grade_cost_factor(-g)
        gas = d * k / (t / 60.0)
    valid = (d > 0) & (t > 0) & (gain >= 0) & (loss >= 0)
    return _finish(np.where(valid, gas, np.nan), index, scalar)


def smoothed_grade(altitude_m, distance_m, *, window_samples=10, min_step_m=1.0):
    """Per-sample gradient from an altitude stream, after smoothing.

    Altitude is smoothed with a centred moving mean over ``window_samples``
    samples (NaN samples skipped); the grade at sample j is the change of the
    smoothed altitude over the change of distance across the same window,
    which damps GPS/barometric noise (SCIENCE.md §3: raw grade noise inflates
    the Minetti sum because k is convex). Where the runner moved less than
    ``min_step_m`` across the window (standing), the grade is 0.

    Parameters
    ----------
    altitude_m : array-like
        Altitude per sample [m].
    distance_m : array-like
        Cumulative distance per sample [m], non-decreasing.
    window_samples : int
        Smoothing and differencing window [samples], >= 1 (10 at 1 Hz = 10 s).
    min_step_m : float
        Smallest horizontal distance [m] over which a grade is computed.

    Returns
    -------
    ndarray or Series
        Gradient as a fraction (not clipped; :func:`minetti_cost` clips).

    References
    ----------
    .. [1] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3
       (smooth elevation over 5-10 s or >= 20-50 m before computing grade).
    """
    if int(window_samples) != window_samples or window_samples < 1:
        raise ValueError(
            "The 'window_samples' parameter of smoothed_grade must be a positive "
            f"integer. Got {window_samples!r} instead."
        )
    (alt, dist), index, _ = _prepare(altitude_m, distance_m)
    alt, dist = np.atleast_1d(alt), np.atleast_1d(dist)
    w = int(window_samples)
    smooth = pd.Series(alt).rolling(w, center=True, min_periods=1).mean().to_numpy()
    n = len(alt)
    half = w // 2
    j = np.arange(n)
    a = np.clip(j - half, 0, n - 1)
    b = np.clip(j + (w - half), 0, n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rise = smooth[b] - smooth[a]
        run = dist[b] - dist[a]
        grade = np.where(run >= min_step_m, rise / run, 0.0)
    grade = np.where(np.isnan(rise) | np.isnan(run), np.nan, grade)
    return _finish(grade, index, False)


def grade_adjusted_speed_stream(
    speed_m_s, altitude_m, distance_m=None, *, sample_s=1.0, smooth_s=10.0
):
    """Per-sample grade-adjusted speed from speed and altitude streams.

    GAS_j = v_j * k(i_j), with k the Minetti cost ratio
    (:func:`grade_cost_factor`) and i_j the smoothed gradient from
    :func:`smoothed_grade`.

    Parameters
    ----------
    speed_m_s : array-like
        Speed per sample [m/s], >= 0.
    altitude_m : array-like
        Altitude per sample [m].
    distance_m : array-like, optional
        Cumulative distance per sample [m]. When omitted it is integrated
        from the speed at a fixed ``sample_s`` step.
    sample_s : float
        Sampling interval [s] (1 for 1 Hz records); used to integrate the
        distance and to turn ``smooth_s`` into samples.
    smooth_s : float
        Altitude smoothing window [s] (SCIENCE.md §3 suggests 5-10 s).

    Returns
    -------
    ndarray or Series
        Grade-adjusted speed per sample [m/s] (same unit as ``speed_m_s``).
        NaN where speed or grade is NaN; negative speed gives NaN.

    References
    ----------
    .. [1] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3.
    """
    if not (np.isfinite(sample_s) and sample_s > 0):
        raise ValueError(
            "The 'sample_s' parameter of grade_adjusted_speed_stream must be a "
            f"positive number. Got {sample_s!r} instead."
        )
    if not (np.isfinite(smooth_s) and smooth_s > 0):
        raise ValueError(
            "The 'smooth_s' parameter of grade_adjusted_speed_stream must be a "
            f"positive number of seconds. Got {smooth_s!r} instead."
        )
    if distance_m is None:
        (v, alt), index, _ = _prepare(speed_m_s, altitude_m)
        v, alt = np.atleast_1d(v), np.atleast_1d(alt)
        dist = np.cumsum(np.nan_to_num(np.clip(v, 0, None)) * sample_s)
    else:
        (v, alt, dist), index, _ = _prepare(speed_m_s, altitude_m, distance_m)
        v, alt, dist = np.atleast_1d(v), np.atleast_1d(alt), np.atleast_1d(dist)
    window = max(1, int(round(smooth_s / sample_s)))
    grade = smoothed_grade(alt, dist, window_samples=window)
    with np.errstate(invalid="ignore"):
        gas = np.where(v >= 0, v * grade_cost_factor(grade), np.nan)
    return _finish(gas, index, False)


# --------------------------------------------------------------------------
# Heart rate
# --------------------------------------------------------------------------


def hr_reserve_fraction(hr_bpm, hr_rest_bpm, hr_max_bpm):
    """Fraction of heart-rate reserve, f_HRR = (HR - HRrest) / (HRmax - HRrest).

    Parameters
    ----------
    hr_bpm, hr_rest_bpm, hr_max_bpm : float or array-like
        Heart rate, resting and maximal heart rate [bpm].

    Returns
    -------
    float, ndarray or Series
        f_HRR (dimensionless), not clipped: values below 0 or above 1 are
        returned as computed so callers can see them. NaN when
        HRmax <= HRrest or any input is NaN or <= 0.

    References
    ----------
    .. [1] Swain DP, Leutholtz BC. Heart rate reserve is equivalent to %VO2
       reserve, not to %VO2max. Med Sci Sports Exerc 29:410-414 (1997);
       SCIENCE.md §4 and §7 (Karvonen).
    """
    (hr, rest, hmax), index, scalar = _prepare(hr_bpm, hr_rest_bpm, hr_max_bpm)
    valid = (hr > 0) & (rest > 0) & (hmax > rest)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (hr - rest) / (hmax - rest)
    return _finish(np.where(valid, f, np.nan), index, scalar)


def hr_to_vo2(hr_bpm, hr_rest_bpm, hr_max_bpm, vo2max_ml_kg_min):
    """Oxygen uptake from heart rate: %HRR = %VO2R (Swain & Leutholtz).

    .. math::

        f_{HRR} = \\frac{HR - HR_{rest}}{HR_{max} - HR_{rest}}, \\quad
        VO_2 = 3.5 + f_{HRR}\\,(VO_{2max} - 3.5)

    Parameters
    ----------
    hr_bpm : float or array-like
        Heart rate [bpm], e.g. the average of a steady run.
    hr_rest_bpm, hr_max_bpm : float or array-like
        Resting and maximal heart rate [bpm].
    vo2max_ml_kg_min : float or array-like
        VO2max [ml/kg/min], > 3.5.

    Returns
    -------
    float, ndarray or Series
        VO2 [ml/kg/min]. NaN when HR lies outside [HRrest, HRmax] (the
        relation has no meaning there and such values usually mean a wrong
        parameter or a bad sensor), when HRmax <= HRrest, when VO2max <= 3.5,
        or for NaN input. Inside that interval the value is returned even
        where the relation is least accurate; the relation was validated for
        steady submaximal exercise at about 50-90 % HRR, so callers decide
        which range to trust (:func:`analysis.metrics.run_metrics` keeps runs
        at 40-95 % HRR by default).

    References
    ----------
    .. [1] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997);
       SCIENCE.md §4.
    """
    (hr, rest, hmax, vmax), index, scalar = _prepare(
        hr_bpm, hr_rest_bpm, hr_max_bpm, vo2max_ml_kg_min
    )
    f = hr_reserve_fraction(hr, rest, hmax)
    valid = (f >= 0) & (f <= 1) & (vmax > VO2_REST_ML_KG_MIN)
    vo2 = VO2_REST_ML_KG_MIN + f * (vmax - VO2_REST_ML_KG_MIN)
    return _finish(np.where(valid, vo2, np.nan), index, scalar)


def hr_max_tanaka(age_years):
    """Age-predicted maximal heart rate, HRmax = 208 - 0.7 * age (Tanaka).

    Parameters
    ----------
    age_years : float or array-like
        Age [years], > 0 (the study covered adults of about 18-81; the SD of
        individuals around the line is about 10 bpm). Age <= 0 gives NaN.

    Returns
    -------
    float, ndarray or Series
        HRmax [bpm].

    References
    ----------
    .. [1] Tanaka H, Monahan KD, Seals DR. Age-predicted maximal heart rate
       revisited. J Am Coll Cardiol 37:153-156 (2001); SCIENCE.md §7.
    """
    (age,), index, scalar = _prepare(age_years)
    return _finish(np.where(age > 0, 208.0 - 0.7 * age, np.nan), index, scalar)


def hr_max_fox(age_years):
    """Historic age-predicted maximal heart rate, HRmax = 220 - age (Fox).

    Inaccurate after about 40 years; offered for comparison with
    :func:`hr_max_tanaka` only.

    Parameters
    ----------
    age_years : float or array-like
        Age [years], > 0; age <= 0 gives NaN.

    Returns
    -------
    float, ndarray or Series
        HRmax [bpm].

    References
    ----------
    .. [1] Fox SM, Naughton JP, Haskell WL (1971), as summarised in SCIENCE.md §7.
    """
    (age,), index, scalar = _prepare(age_years)
    return _finish(np.where(age > 0, 220.0 - age, np.nan), index, scalar)


def pct_hrmax_from_pct_vo2max(pct_vo2max):
    """%HRmax at a given %VO2max (Swain et al. 1994): 0.6463 * %VO2max + 37.182.

    Parameters
    ----------
    pct_vo2max : float or array-like
        Intensity [% of VO2max]; studied at about 50-90 %, returned for
        0-100 %, NaN outside.

    Returns
    -------
    float, ndarray or Series
        Heart rate [% of HRmax].

    References
    ----------
    .. [1] Swain DP, Abernathy KS, Smith CS, Lee SJ, Bunn SA. Target heart
       rates for the development of cardiorespiratory fitness. Med Sci Sports
       Exerc 26:112-116 (1994); SCIENCE.md §4.
    """
    (p,), index, scalar = _prepare(pct_vo2max)
    out = np.where((p >= 0) & (p <= 100), 0.6463 * p + 37.182, np.nan)
    return _finish(out, index, scalar)


def pct_vo2max_from_pct_hrmax(pct_hrmax):
    """%VO2max at a given %HRmax (Swain et al. 1994): (%HRmax - 37.182) / 0.6463.

    Parameters
    ----------
    pct_hrmax : float or array-like
        Heart rate [% of HRmax]; NaN outside 37.182-100 (where the line gives
        0-97 % VO2max).

    Returns
    -------
    float, ndarray or Series
        Intensity [% of VO2max].

    References
    ----------
    .. [1] Swain DP et al. Med Sci Sports Exerc 26:112-116 (1994); SCIENCE.md §4.
    """
    (p,), index, scalar = _prepare(pct_hrmax)
    out = np.where((p >= 37.182) & (p <= 100), (p - 37.182) / 0.6463, np.nan)
    return _finish(out, index, scalar)


def hrmax_line_change_scale(hr_bpm, hr_rest_bpm, hr_max_bpm, vo2max_ml_kg_min):
    """How much larger a relative change in oxygen uptake read from heart rate is on
    Swain et al. (1994)'s %HRmax line than on the %HRR = %VO2R line (Swain &
    Leutholtz 1997), at heart rate ``hr_bpm``.

    Both lines are straight in heart rate, so a small change ``dHR`` is a relative
    change ``dHR / (HR - HR0)`` in uptake, ``HR0`` the heart rate where the line
    meets zero uptake: ``HRrest - 3.5 (HRmax - HRrest) / (VO2max - 3.5)`` on the
    %HRR line and ``0.37182 HRmax`` on Swain et al. 1994's. The ratio is

    .. math::

        s = \\frac{HR - HR_{rest} + 3.5\\,(HR_{max} - HR_{rest}) / (VO_{2max} - 3.5)}
                  {HR - 0.37182\\,HR_{max}}

    (about 1.3-1.5 at 60-80 % HRR: the %HRmax line meets zero uptake about 20 bpm
    higher, so the same change in heart rate is a larger share of a smaller uptake).

    Parameters
    ----------
    hr_bpm : float or array-like
        Heart rate [bpm]; NaN outside [HRrest, HRmax] or at or below 0.37182 HRmax.
    hr_rest_bpm, hr_max_bpm : float or array-like
        Resting and maximal heart rate [bpm].
    vo2max_ml_kg_min : float or array-like
        VO2max [ml/kg/min], > 3.5.

    Returns
    -------
    float, ndarray or Series
        The scale ``s`` (dimensionless).

    References
    ----------
    .. [1] Swain DP, Leutholtz BC. Heart rate reserve is equivalent to %VO2
       reserve, not to %VO2max. Med Sci Sports Exerc 29:410-414 (1997); SCIENCE.md §4.
    .. [2] Swain DP et al. Med Sci Sports Exerc 26:112-116 (1994); SCIENCE.md §4.
    """
    (hr, rest, top, vo2max), index, scalar = _prepare(
        hr_bpm, hr_rest_bpm, hr_max_bpm, vo2max_ml_kg_min
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        documented = hr - rest + 3.5 * (top - rest) / (vo2max - 3.5)
        on_hrmax_line = hr - 0.37182 * top
        out = documented / on_hrmax_line
    ok = (top > rest) & (vo2max > 3.5) & (hr >= rest) & (hr <= top) & (on_hrmax_line > 0)
    return _finish(np.where(ok, out, np.nan), index, scalar)


def karvonen_target_hr(fraction, hr_rest_bpm, hr_max_bpm):
    """Karvonen target heart rate, HR = HRrest + f * (HRmax - HRrest).

    Parameters
    ----------
    fraction : float or array-like
        Intensity f as a fraction of heart-rate (or VO2) reserve, 0-1; NaN
        outside.
    hr_rest_bpm, hr_max_bpm : float or array-like
        Resting and maximal heart rate [bpm]; NaN when HRmax <= HRrest.

    Returns
    -------
    float, ndarray or Series
        Target heart rate [bpm].

    References
    ----------
    .. [1] Karvonen MJ, Kentala E, Mustala O (1957); SCIENCE.md §7.
    """
    (f, rest, hmax), index, scalar = _prepare(fraction, hr_rest_bpm, hr_max_bpm)
    valid = (f >= 0) & (f <= 1) & (rest > 0) & (hmax > rest)
    return _finish(np.where(valid, rest + f * (hmax - rest), np.nan), index, scalar)


# --------------------------------------------------------------------------
# Economy and energy
# --------------------------------------------------------------------------


def o2_cost(vo2_ml_kg_min, speed_kmh):
    """Oxygen cost of running per distance, OC = VO2 / v.

    .. math:: OC = VO_2 / (v_{km/h} / 60)

    Parameters
    ----------
    vo2_ml_kg_min : float or array-like
        Steady-state oxygen uptake [ml/kg/min], > 0.
    speed_kmh : float or array-like
        Speed [km/h], > 0.

    Returns
    -------
    float, ndarray or Series
        Oxygen cost [ml/kg/km]; trained runners are typically about 180-220.
        NaN for non-positive or NaN input.

    References
    ----------
    .. [1] Barnes KR, Kilding AE. Running economy: measurement, norms, and
       determining factors. Sports Med Open 1:8 (2015); SCIENCE.md §5.
    """
    (vo2, v), index, scalar = _prepare(vo2_ml_kg_min, speed_kmh)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((vo2 > 0) & (v > 0), vo2 / (v / 60.0), np.nan)
    return _finish(out, index, scalar)


def weir_kcal(vo2_l, vco2_l):
    """Energy expenditure from gas exchange, Weir (1949), without the urinary N term.

    .. math:: E = 3.941\\,VO_2 + 1.106\\,VCO_2

    Parameters
    ----------
    vo2_l, vco2_l : float or array-like
        Oxygen consumed and carbon dioxide produced [L], >= 0.

    Returns
    -------
    float, ndarray or Series
        Energy [kcal]; NaN for negative or NaN input.

    References
    ----------
    .. [1] Weir JB de V. New methods for calculating metabolic rate with
       special reference to protein metabolism. J Physiol 109:1-9 (1949);
       SCIENCE.md §5.
    """
    (o2, co2), index, scalar = _prepare(vo2_l, vco2_l)
    out = np.where((o2 >= 0) & (co2 >= 0), 3.941 * o2 + 1.106 * co2, np.nan)
    return _finish(out, index, scalar)


def peronnet_kj(vo2_l, vco2_l):
    """Energy expenditure from gas exchange, Peronnet & Massicotte (1991).

    .. math:: E = 16.89\\,VO_2 + 4.84\\,VCO_2

    Parameters
    ----------
    vo2_l, vco2_l : float or array-like
        Oxygen consumed and carbon dioxide produced [L], >= 0.

    Returns
    -------
    float, ndarray or Series
        Energy [kJ]; NaN for negative or NaN input.

    References
    ----------
    .. [1] Peronnet F, Massicotte D. Table of nonprotein respiratory quotient:
       an update. Can J Sport Sci 16:23-29 (1991); SCIENCE.md §5.
    """
    (o2, co2), index, scalar = _prepare(vo2_l, vco2_l)
    out = np.where((o2 >= 0) & (co2 >= 0), 16.89 * o2 + 4.84 * co2, np.nan)
    return _finish(out, index, scalar)


def oxygen_energy_equivalent_kj_per_l(rer, *, equation="weir"):
    """Energy released per litre of oxygen at a given RER.

    Weir: (3.941 + 1.106 RER) kcal/L, times 4.184 kJ/kcal.
    Peronnet & Massicotte: 16.89 + 4.84 RER kJ/L.

    Parameters
    ----------
    rer : float or array-like
        Respiratory exchange ratio VCO2/VO2. The equivalent holds for a
        metabolic RER of 0.70-1.00; outside that range (RER > 1 means
        non-metabolic CO2 from bicarbonate buffering, i.e. not a steady
        submaximal state) the result is NaN.
    equation : {"weir", "peronnet"}
        Which equation to use.

    Returns
    -------
    float, ndarray or Series
        Energy equivalent of oxygen [kJ per L O2] (about 20.2 at RER 0.80).

    References
    ----------
    .. [1] Weir JB de V. J Physiol 109:1-9 (1949).
    .. [2] Peronnet F, Massicotte D. Can J Sport Sci 16:23-29 (1991);
       SCIENCE.md §5.
    """
    _check_option(equation, ("weir", "peronnet"), "equation", "oxygen_energy_equivalent_kj_per_l")
    (r,), index, scalar = _prepare(rer)
    if equation == "weir":
        kj = (3.941 + 1.106 * r) * _KJ_PER_KCAL
    else:
        kj = 16.89 + 4.84 * r
    valid = (r >= _RER_LOW) & (r <= _RER_HIGH)
    return _finish(np.where(valid, kj, np.nan), index, scalar)


def energy_cost_j_kg_m(vo2_ml_kg_min, speed_kmh, rer, *, equation="weir"):
    """Energy cost of running per distance from VO2, speed and RER.

    .. math:: EC = OC \\times e(RER) / 1000

    with OC the oxygen cost [ml/kg/km] (:func:`o2_cost`) and e the energy
    equivalent of oxygen [kJ/L] (:func:`oxygen_energy_equivalent_kj_per_l`);
    kJ/kg/km equals J/kg/m.

    Parameters
    ----------
    vo2_ml_kg_min : float or array-like
        Steady-state VO2 [ml/kg/min].
    speed_kmh : float or array-like
        Speed [km/h].
    rer : float or array-like
        Respiratory exchange ratio; NaN outside 0.70-1.00.
    equation : {"weir", "peronnet"}
        Energy equivalent used.

    Returns
    -------
    float, ndarray or Series
        Energy cost [J/kg/m] (typical 3.6-4.5).

    References
    ----------
    .. [1] Fletcher JR, Esau SP, MacIntosh BR. Economy of running: beyond the
       measurement of oxygen uptake. J Appl Physiol 107:1918-1922 (2009).
    .. [2] Weir (1949); Peronnet & Massicotte (1991); SCIENCE.md §5.
    """
    _check_option(equation, ("weir", "peronnet"), "equation", "energy_cost_j_kg_m")
    (vo2, v, r), index, scalar = _prepare(vo2_ml_kg_min, speed_kmh, rer)
    out = o2_cost(vo2, v) * oxygen_energy_equivalent_kj_per_l(r, equation=equation) / 1000.0
    return _finish(out, index, scalar)


def energy_cost_kcal_kg_km(vo2_ml_kg_min, speed_kmh, rer, *, equation="weir"):
    """Energy cost of running per distance in kcal/kg/km.

    :func:`energy_cost_j_kg_m` divided by 4.184 kJ/kcal (1 J/kg/m = 1 kJ/kg/km).

    Parameters
    ----------
    vo2_ml_kg_min : float or array-like
        Steady-state VO2 [ml/kg/min].
    speed_kmh : float or array-like
        Speed [km/h].
    rer : float or array-like
        Respiratory exchange ratio; NaN outside 0.70-1.00.
    equation : {"weir", "peronnet"}
        Energy equivalent used.

    Returns
    -------
    float, ndarray or Series
        Energy cost [kcal/kg/km] (typical 0.9-1.1).

    References
    ----------
    .. [1] Weir (1949); Peronnet & Massicotte (1991); SCIENCE.md §5.
    """
    _check_option(equation, ("weir", "peronnet"), "equation", "energy_cost_kcal_kg_km")
    j = energy_cost_j_kg_m(vo2_ml_kg_min, speed_kmh, rer, equation=equation)
    return j / _KJ_PER_KCAL


# --------------------------------------------------------------------------
# Field proxies
# --------------------------------------------------------------------------


def efficiency_factor(speed_m_min, hr_bpm):
    """Efficiency Factor, EF = speed / HR (TrainingPeaks / Friel).

    Pass a grade-adjusted speed (the normalised graded pace as a speed) for
    the TrainingPeaks definition. Higher is better; compare steady aerobic
    runs only.

    Parameters
    ----------
    speed_m_min : float or array-like
        (Grade-adjusted) speed [m/min], >= 0.
    hr_bpm : float or array-like
        Average heart rate [bpm], > 0.

    Returns
    -------
    float, ndarray or Series
        EF [m/min per bpm]; NaN for HR <= 0, negative speed or NaN.

    References
    ----------
    .. [1] Friel J. The Triathlete's Training Bible / TrainingPeaks Efficiency
       Factor; SCIENCE.md §6.
    """
    (v, hr), index, scalar = _prepare(speed_m_min, hr_bpm)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((v >= 0) & (hr > 0), v / hr, np.nan)
    return _finish(out, index, scalar)


def aerobic_decoupling(speed, hr_bpm, *, time_s=None):
    """Aerobic decoupling (Pa:HR) of one steady effort, first vs second half.

    .. math::

        r = \\bar v / \\overline{HR}, \\quad
        decoupling = (r_{first} - r_{second}) / r_{first} \\times 100

    Pass the steady part only (warm-up and cool-down removed), ideally with
    grade-adjusted speed. Below 5 % is usually read as aerobically fit for
    that duration.

    Parameters
    ----------
    speed : array-like
        Speed per sample (any unit; m/s or m/min) of one run.
    hr_bpm : array-like
        Heart rate per sample [bpm].
    time_s : array-like, optional
        Elapsed time per sample [s]. When given, the halves are split at the
        midpoint of elapsed time; otherwise at the middle sample (equal
        sampling assumed).

    Returns
    -------
    float
        Decoupling [%]; positive = HR drifted up relative to speed. NaN when
        either half has no valid (non-NaN speed, HR > 0) sample.

    References
    ----------
    .. [1] TrainingPeaks aerobic decoupling (Pa:HR); SCIENCE.md §6.
    """
    (v, hr), _, _ = _prepare(speed, hr_bpm)
    v, hr = np.atleast_1d(v), np.atleast_1d(hr)
    if v.shape != hr.shape:
        raise ValueError(
            "The 'speed' and 'hr_bpm' parameters of aerobic_decoupling must have "
            f"the same length. Got {v.shape[0]} and {hr.shape[0]} instead."
        )
    if time_s is None:
        first = np.arange(v.size) < v.size / 2
    else:
        (t,), _, _ = _prepare(time_s)
        t = np.atleast_1d(t)
        first = t < (np.nanmin(t) + np.nanmax(t)) / 2 if t.size else t.astype(bool)
    ok = np.isfinite(v) & np.isfinite(hr) & (hr > 0)
    a, b = ok & first, ok & ~first
    if not a.any() or not b.any():
        return float("nan")
    r1 = v[a].mean() / hr[a].mean()
    r2 = v[b].mean() / hr[b].mean()
    if r1 == 0:
        return float("nan")
    return float((r1 - r2) / r1 * 100.0)


def runalyze_vo2max_fraction(hr_fraction_of_max):
    """Fraction of vVO2max run at a fraction of HRmax (Runalyze legacy model).

    .. math:: p = \\exp((h - 1.00466) / 0.68725), \\quad h = HR_{avg} / HR_{max}

    Parameters
    ----------
    hr_fraction_of_max : float or array-like
        h = HRavg / HRmax, in (0, 1]; NaN outside.

    Returns
    -------
    float, ndarray or Series
        p, fraction of the velocity at VO2max (dimensionless).

    References
    ----------
    .. [1] Runalyze, inc/core/Calculation/JD/LegacyEffectiveVO2max.php;
       SCIENCE.md §4.
    """
    (h,), index, scalar = _prepare(hr_fraction_of_max)
    out = np.where((h > 0) & (h <= 1), np.exp((h - 1.00466) / 0.68725), np.nan)
    return _finish(out, index, scalar)


def runalyze_effective_vo2max(distance_km, duration_s, hr_avg_bpm, hr_max_bpm, *, corrector=1.0):
    """Runalyze's legacy "effective VO2max" (VDOT by heart rate) of one run.

    .. math::

        p = \\exp((HR_{avg}/HR_{max} - 1.00466) / 0.68725), \\quad v = d / t

        VO_{2max,eff} = corrector \\cdot (-4.6 + 0.182258\\,(v/p) + 0.000104\\,(v/p)^2)

    Parameters
    ----------
    distance_km : float or array-like
        Distance [km], > 0.
    duration_s : float or array-like
        Duration [s], > 0.
    hr_avg_bpm, hr_max_bpm : float or array-like
        Average and maximal heart rate [bpm]; NaN when HRavg > HRmax.
    corrector : float
        Runalyze's per-runner corrector (largest ratio of VDOT-by-time to
        VDOT-by-HR over the best races; 1.0 = uncorrected).

    Returns
    -------
    float, ndarray or Series
        Effective VO2max [ml/kg/min].

    References
    ----------
    .. [1] Runalyze, LegacyEffectiveVO2max.php and
       LegacyEffectiveVO2maxCorrector.php; SCIENCE.md §4.
    """
    (d, t, hr, hmax), index, scalar = _prepare(distance_km, duration_s, hr_avg_bpm, hr_max_bpm)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = runalyze_vo2max_fraction(hr / hmax)
        v = 1000.0 * d / (t / 60.0)
        vmax = v / p
        out = corrector * _daniels_vo2_raw(vmax)
    valid = (d > 0) & (t > 0) & (hmax > 0)
    return _finish(np.where(valid, out, np.nan), index, scalar)


# --------------------------------------------------------------------------
# Training load
# --------------------------------------------------------------------------


def _banister_weights(sex):
    """(k, b) arrays for a sex scalar/array; any sex but M/F gives NaN."""
    if isinstance(sex, str) or sex is None or np.ndim(sex) == 0:
        codes = np.asarray(_sex_code(sex), dtype=object)
    else:
        values = sex if isinstance(sex, pd.Series) else pd.Series(list(sex), dtype=object)
        # factorise first: a squad has a handful of distinct values, not one per run
        idx, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = np.array([_sex_code(u) for u in uniques] + [""], dtype=object)
        codes = mapped[idx]
    k = np.where(codes == "M", _BANISTER["M"][0], np.where(codes == "F", _BANISTER["F"][0], np.nan))
    b = np.where(codes == "M", _BANISTER["M"][1], np.where(codes == "F", _BANISTER["F"][1], np.nan))
    return k, b


def _sex_code(x):
    return x.strip().upper()[:1] if isinstance(x, str) else ""


def _banister_curve(dhr, sex):
    k, b = _banister_weights(sex)
    known = np.isfinite(k)
    weighted = np.where(known, k * np.exp(np.where(known, b, 0.0) * dhr), np.nan)
    # Banister defined only male and female weightings; for any other or
    # missing sex use the mean of the two curves (a documented convention).
    (km, bm), (kf, bf) = _BANISTER["M"], _BANISTER["F"]
    mean_curve = 0.5 * (km * np.exp(bm * dhr) + kf * np.exp(bf * dhr))
    return dhr * np.where(known, weighted, mean_curve)


def banister_trimp(duration_min, hr_avg_bpm, hr_rest_bpm, hr_max_bpm, sex):
    """Banister training impulse (TRIMP) of a session from its average HR.

    .. math::

        \\Delta HR = (HR_{avg} - HR_{rest}) / (HR_{max} - HR_{rest})

        TRIMP = t \\cdot \\Delta HR \\cdot k\\,e^{b\\,\\Delta HR}

    men k = 0.64, b = 1.92; women k = 0.86, b = 1.67.

    Parameters
    ----------
    duration_min : float or array-like
        Session duration t [min], >= 0.
    hr_avg_bpm, hr_rest_bpm, hr_max_bpm : float or array-like
        Average, resting and maximal heart rate [bpm].
    sex : str or array-like of str
        "M" or "F" (case-insensitive; "male"/"female" work too). Any other
        value ("X", empty, NaN) uses the mean of the male and female
        weightings, a convention: Banister defined only those two.

    Returns
    -------
    float, ndarray or Series
        TRIMP [AU]. NaN when HRavg lies outside [HRrest, HRmax], when
        HRmax <= HRrest, for negative duration or NaN input.

    References
    ----------
    .. [1] Banister EW. Modeling elite athletic performance. In: Physiological
       Testing of Elite Athletes (1991); SCIENCE.md §10.
    """
    (t, hr, rest, hmax), index, scalar = _prepare(duration_min, hr_avg_bpm, hr_rest_bpm, hr_max_bpm)
    if isinstance(sex, pd.Series):
        if index is not None and not sex.index.equals(index):
            raise ValueError("The 'sex' Series must share the index of the other arguments.")
        index = sex.index if index is None else index
        scalar = False
    elif not isinstance(sex, str) and np.ndim(sex) > 0:
        scalar = False
    dhr = hr_reserve_fraction(hr, rest, hmax)
    valid = (dhr >= 0) & (dhr <= 1) & (t >= 0)
    with np.errstate(invalid="ignore"):
        out = t * _banister_curve(dhr, sex)
    return _finish(np.where(valid, out, np.nan), index, scalar)


def _sample_minutes(n, time_s, sample_s, max_gap_s):
    """Minutes represented by each sample of a stream."""
    if time_s is None:
        return np.full(n, sample_s / 60.0)
    (t,), _, _ = _prepare(time_s)
    t = np.atleast_1d(t)
    if t.size != n:
        raise ValueError(f"'time_s' has {t.size} samples but the heart-rate stream has {n}.")
    dt = np.diff(t)
    step = np.nanmedian(dt) if dt.size else sample_s
    dt = np.append(dt, step)
    dt = np.clip(np.nan_to_num(dt, nan=0.0), 0.0, max_gap_s)
    return dt / 60.0


def banister_trimp_stream(
    hr_bpm, hr_rest_bpm, hr_max_bpm, sex, *, time_s=None, sample_s=1.0, max_gap_s=30.0
):
    """Banister TRIMP summed over a heart-rate stream (the accurate form).

    Each sample contributes :math:`\\Delta t \\cdot \\Delta HR \\cdot k e^{b \\Delta HR}`
    with :math:`\\Delta HR` clipped to [0, 1], so a sample below HRrest adds
    nothing and a brief spike above HRmax counts as HRmax. NaN samples add
    nothing.

    Parameters
    ----------
    hr_bpm : array-like
        Heart rate per sample [bpm].
    hr_rest_bpm, hr_max_bpm : float
        Resting and maximal heart rate [bpm].
    sex : str
        "M", "F" or other (mean weighting; see :func:`banister_trimp`).
    time_s : array-like, optional
        Elapsed time per sample [s]; each sample lasts until the next one
        (the last one the median step), gaps capped at ``max_gap_s``.
    sample_s : float
        Fixed sampling interval [s] when ``time_s`` is not given.
    max_gap_s : float
        Longest interval [s] a single sample may stand for (pauses).

    Returns
    -------
    float
        TRIMP [AU]; NaN when HRmax <= HRrest.

    References
    ----------
    .. [1] Banister EW (1991); SCIENCE.md §10 ("compute it per sample and sum").
    """
    (hr, rest, hmax), _, _ = _prepare(hr_bpm, hr_rest_bpm, hr_max_bpm)
    hr = np.atleast_1d(hr)
    if not (np.ndim(rest) == 0 and np.ndim(hmax) == 0):
        raise ValueError("hr_rest_bpm and hr_max_bpm of banister_trimp_stream must be scalars.")
    if not (rest > 0 and hmax > rest):
        return float("nan")
    minutes = _sample_minutes(hr.size, time_s, sample_s, max_gap_s)
    dhr = np.clip((hr - rest) / (hmax - rest), 0.0, 1.0)
    contrib = minutes * _banister_curve(dhr, sex)
    return float(np.nansum(contrib))


def edwards_trimp(hr_bpm, hr_max_bpm, *, time_s=None, sample_s=1.0, max_gap_s=30.0):
    """Edwards' summated heart-rate-zone TRIMP of a heart-rate stream.

    Minutes in zones of %HRmax weighted 1 (50-60 %), 2 (60-70 %), 3 (70-80 %),
    4 (80-90 %) and 5 (90-100 %), summed. Lower bounds are inclusive; samples
    below 50 % add nothing and samples above 100 % count in the top zone.

    Parameters
    ----------
    hr_bpm : array-like
        Heart rate per sample [bpm].
    hr_max_bpm : float
        Maximal heart rate [bpm], > 0.
    time_s : array-like, optional
        Elapsed time per sample [s] (see :func:`banister_trimp_stream`).
    sample_s : float
        Fixed sampling interval [s] when ``time_s`` is not given.
    max_gap_s : float
        Longest interval [s] a single sample may stand for.

    Returns
    -------
    float
        TRIMP [AU]; NaN when HRmax is not positive.

    References
    ----------
    .. [1] Edwards S. The Heart Rate Monitor Book (1993); SCIENCE.md §10.
    """
    (hr, hmax), _, _ = _prepare(hr_bpm, hr_max_bpm)
    hr = np.atleast_1d(hr)
    if not hmax > 0:
        return float("nan")
    minutes = _sample_minutes(hr.size, time_s, sample_s, max_gap_s)
    pct = hr / hmax * 100.0
    with np.errstate(invalid="ignore"):
        weight = np.clip(np.floor((pct - 40.0) / 10.0), 0, 5)
    return float(np.nansum(np.where(np.isfinite(pct), weight, 0.0) * minutes))


def exponential_load(daily_load, tau_days, *, method="exact", initial=0.0):
    """Exponentially weighted daily training load (one PMC line).

    .. math::

        X_t = X_{t-1} + (load_t - X_{t-1})\\,\\lambda, \\quad
        \\lambda = 1 - e^{-1/\\tau} \\;(\\text{exact}) \\text{ or } 1/\\tau \\;(\\text{tp})

    Parameters
    ----------
    daily_load : array-like or Series
        One load value per consecutive day [AU] (TRIMP, session-RPE load...).
        NaN counts as 0 (no recorded training). A Series with a
        DatetimeIndex is first summed per calendar day and missing days
        are filled with 0, so the result is indexed by every day from the
        first to the last.
    tau_days : float
        Time constant [days], > 0 (7 for ATL, 42 for CTL).
    method : {"exact", "tp"}
        "exact" uses the discrete equivalent of a continuous time constant;
        "tp" uses TrainingPeaks' 1/tau approximation (1-7 % different).
    initial : float
        X before the first day.

    Returns
    -------
    ndarray or Series
        The smoothed load [AU per day].

    References
    ----------
    .. [1] Banister EW, Calvert TW, Savage MV, Bach T. A systems model of
       training for athletic performance. Aust J Sports Med 7:57-61 (1975).
    .. [2] TrainingPeaks Performance Management Chart; SCIENCE.md §10.
    """
    _check_option(method, ("exact", "tp"), "method", "exponential_load")
    if not (np.isscalar(tau_days) and np.isfinite(tau_days) and tau_days > 0):
        raise ValueError(
            "The 'tau_days' parameter of exponential_load must be a positive number. "
            f"Got {tau_days!r} instead."
        )
    daily = _daily_series(daily_load)
    index = daily.index if isinstance(daily, pd.Series) else None
    x = np.nan_to_num(np.asarray(daily, dtype=float), nan=0.0)
    lam = 1.0 - np.exp(-1.0 / tau_days) if method == "exact" else 1.0 / tau_days
    if x.size == 0:
        out = x
    else:
        from scipy import signal  # lazily: scipy.signal costs ~0.8 s to import

        zi = np.array([(1.0 - lam) * initial])
        out, _ = signal.lfilter([lam], [1.0, -(1.0 - lam)], x, zi=zi)
    return pd.Series(out, index=index) if index is not None else out


def _daily_series(daily_load):
    if isinstance(daily_load, pd.Series):
        s = daily_load.astype(float)
        if isinstance(s.index, pd.DatetimeIndex) and len(s):
            s = s.groupby(s.index.normalize()).sum(min_count=1)
            full = pd.date_range(s.index.min(), s.index.max(), freq="D")
            s = s.reindex(full, fill_value=0.0)
        return s
    return np.atleast_1d(np.asarray(daily_load, dtype=float))


def atl_ctl(daily_load, *, atl_tau_days=7.0, ctl_tau_days=42.0, method="exact"):
    """Acute and chronic training load and training-stress balance (PMC).

    ATL and CTL are :func:`exponential_load` with time constants 7 and 42
    days; TSB_t = CTL_{t-1} - ATL_{t-1} (yesterday's balance, 0 on day one).

    Parameters
    ----------
    daily_load : array-like or Series
        One load value per consecutive day [AU] (see :func:`exponential_load`
        for NaN and DatetimeIndex handling).
    atl_tau_days, ctl_tau_days : float
        Time constants [days].
    method : {"exact", "tp"}
        Smoothing constant; see :func:`exponential_load`.

    Returns
    -------
    DataFrame
        Columns ``load``, ``atl``, ``ctl``, ``tsb`` [AU], indexed like the
        daily series (a RangeIndex for arrays).

    References
    ----------
    .. [1] Banister EW et al. (1975); TrainingPeaks PMC; SCIENCE.md §10.
    """
    _check_option(method, ("exact", "tp"), "method", "atl_ctl")
    daily = _daily_series(daily_load)
    atl = exponential_load(daily, atl_tau_days, method=method)
    ctl = exponential_load(daily, ctl_tau_days, method=method)
    index = daily.index if isinstance(daily, pd.Series) else pd.RangeIndex(len(daily))
    frame = pd.DataFrame(
        {
            "load": np.nan_to_num(np.asarray(daily, dtype=float), nan=0.0),
            "atl": np.asarray(atl),
            "ctl": np.asarray(ctl),
        },
        index=index,
    )
    frame["tsb"] = (frame["ctl"] - frame["atl"]).shift(1, fill_value=0.0)
    return frame


def session_rpe_load(rpe, duration_min):
    """Session-RPE training load (Foster): CR-10 RPE x session minutes.

    Parameters
    ----------
    rpe : float or array-like
        Session rating of perceived exertion on the CR-10 scale, 0-10; NaN
        outside.
    duration_min : float or array-like
        Session duration [min], >= 0; NaN when negative.

    Returns
    -------
    float, ndarray or Series
        Load [AU].

    References
    ----------
    .. [1] Foster C et al. A new approach to monitoring exercise training.
       J Strength Cond Res 15:109-115 (2001); SCIENCE.md §10.
    """
    (r, t), index, scalar = _prepare(rpe, duration_min)
    out = np.where((r >= 0) & (r <= 10) & (t >= 0), r * t, np.nan)
    return _finish(out, index, scalar)
