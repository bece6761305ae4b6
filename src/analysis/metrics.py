"""Per-run, per-week and per-lab-stage metrics of a dataset.

:func:`run_metrics` turns ``runs.csv`` into one row per run with pace,
grade-adjusted speed, heart-rate based VO2 and the field oxygen cost
(``o2_cost_ml_kg_km``, the headline number of DATA_FORMAT.md), the runner
parameters used and where each came from, and a ``steady`` flag with the
reason for every run left out of the economy model.
:func:`weekly_metrics` sums running and strength per runner and ISO week.
:func:`lab_metrics` and :func:`lab_economy_at_speed` do the same for
treadmill stages. Nothing here reads or writes files.

Runner parameters and their sources
-----------------------------------
Each runner gets one HRrest, HRmax and VO2max for the whole log (a value
that changed from run to run would show up as a change in economy). The
first available source wins; the source is reported in
``hr_rest_source``, ``hr_max_source`` and ``vo2max_source``:

HRrest
    ``runners.csv`` -> ``default`` (50 bpm, the usual convention for trained
    endurance runners; SCIENCE.md §7 notes it is a convention, not a
    published constant).
HRmax
    ``runners.csv`` -> ``observed max`` (the highest ``max_hr_bpm`` of any
    run, or average HR of a race, that is plausible: not above the
    age-predicted HRmax + 30 bpm (or 225 bpm without an age), which would be
    a spike, and not below the age-predicted HRmax - 20 bpm (or 170 bpm
    without an age), which would mean the log holds no maximal effort;
    the age-predicted SD is about 10 bpm, SCIENCE.md §7) -> ``age formula``
    (Tanaka, 208 - 0.7 age, at the runner's median run date; birth date taken
    as 2 July of ``birth_year``) -> ``default`` (190 bpm).
VO2max
    ``runners.csv`` -> ``lab test`` (the highest stage VO2 of a lab test
    whose top stage reached RER >= 1.10, the usual secondary criterion for a
    maximal test, Howley et al. 1995; submaximal economy tests give no
    VO2max) -> ``device estimate`` (median of the watch's
    ``vo2max_est_ml_kg_min`` over the runner's runs) -> ``race VDOT`` (the
    best :func:`analysis.physiology.vdot_from_race` over runs typed
    ``race``; a performance index, not a lab VO2max) -> ``default``
    (50 ml/kg/min).

``defaulted`` is True when any of the three came from ``default``: such
runs are kept, but the report must say so. A wrong VO2max mostly scales a
runner's oxygen cost (VO2 = 3.5 + f (VO2max - 3.5)), so within-runner
changes are much less affected than the absolute level.

References
----------
.. [1] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997); SCIENCE.md §4.
.. [2] Tanaka H, Monahan KD, Seals DR. J Am Coll Cardiol 37:153-156 (2001); SCIENCE.md §7.
.. [3] Howley ET, Bassett DR, Welch HG. Criteria for maximal oxygen uptake:
   review and commentary. Med Sci Sports Exerc 27:1292-1301 (1995) (not in
   SCIENCE.md; [unverified] in this pass).
.. [4] Barnes KR, Kilding AE. Sports Med Open 1:8 (2015); SCIENCE.md §5.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from analysis import physiology as phys
from analysis.schema import RUN_TYPES
from analysis.strength import week_start, weekly_strength

__all__ = [
    "DEFAULT_HR_REST_BPM",
    "DEFAULT_HR_MAX_BPM",
    "DEFAULT_VO2MAX_ML_KG_MIN",
    "STEADY_RUN_TYPES",
    "RUN_METRIC_COLUMNS",
    "runner_parameters",
    "run_metrics",
    "weekly_metrics",
    "lab_metrics",
    "lab_economy_at_speed",
]

DEFAULT_HR_REST_BPM = 50.0
DEFAULT_HR_MAX_BPM = 190.0
DEFAULT_VO2MAX_ML_KG_MIN = 50.0

# Observed-max plausibility window around the age-predicted HRmax [bpm].
_OBSERVED_BELOW_AGE_BPM = 20.0
_OBSERVED_ABOVE_AGE_BPM = 30.0
_OBSERVED_FLOOR_NO_AGE_BPM = 170.0
_OBSERVED_CEILING_NO_AGE_BPM = 225.0
# A lab test counts as maximal when its top stage reaches this RER (Howley 1995).
_LAB_MAX_RER = 1.10

STEADY_RUN_TYPES = ("easy", "long", "recovery", "tempo", "threshold", "other")
"""Run types that may enter the economy model (interval and race never do)."""

_SOURCES = (
    "wellness.csv",
    "runners.csv",
    "lab test",
    "device estimate",
    "race VDOT",
    "observed max",
    "age formula",
    "default",
)

RUN_METRIC_COLUMNS = (
    "run_id",
    "runner_id",
    "date",
    "run_type",
    "device",
    "shoes",
    "distance_km",
    "duration_s",
    "avg_hr_bpm",
    "max_hr_bpm",
    "temp_c",
    "elev_gain_m",
    "elev_loss_m",
    "elevation_known",
    "pace_s_per_km",
    "speed_m_min",
    "gas_m_min",
    "hr_basis",
    "hr_used_bpm",
    "duration_used_s",
    "hr_rest_bpm",
    "hr_max_bpm",
    "vo2max_ml_kg_min",
    "hr_rest_source",
    "hr_max_source",
    "vo2max_source",
    "defaulted",
    "hrr_fraction",
    "vo2_hr_ml_kg_min",
    "hr_vo2_line",
    "hrmax_line_scale",
    "o2_cost_ml_kg_km",
    "ef",
    "decoupling_pct",
    "race_vdot",
    "effective_vo2max_ml_kg_min",
    "trimp",
    "rpe",
    "session_rpe_load",
    "steady",
    "exclude_reason",
    "line",
    "days_after_strength",
    "body_mass_kg",
)


FATIGUING_CATEGORIES = ("heavy", "explosive", "plyometric", "bodyweight_strength")
"""Strength work whose residual fatigue can raise the cost of the next days' runs."""


def _one_wall_clock(value) -> pd.Timestamp:
    try:
        at = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return at.tz_localize(None) if at is not pd.NaT and at.tzinfo is not None else at


def wall_clock(values) -> pd.Series:
    """Timestamps as naive wall-clock times (a time zone dropped, not converted;
    unreadable values NaT)."""
    if pd.api.types.is_datetime64_any_dtype(getattr(values, "dtype", None)):
        at = pd.Series(pd.array(values))  # already times (the loader's): nothing to parse
    else:
        raw = pd.Series(np.asarray(values, dtype=object))
        try:  # ISO 8601 with or without a time, as the data contract writes dates
            at = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        except (ValueError, TypeError, OverflowError):  # mixed time zones: each its own clock
            at = pd.to_datetime(pd.Series([_one_wall_clock(v) for v in raw], dtype=object))
    if getattr(at.dt, "tz", None) is not None:
        at = at.dt.tz_localize(None)
    # beyond the nanosecond range (year 1500, 3000): no session, not an error
    return at.where((at.dt.year > 1678) & (at.dt.year < 2262)).astype("datetime64[ns]")


def wall_clock_days(dates: pd.Series) -> pd.Series:
    """:func:`wall_clock` days (midnight of each date's own local day; NaT where
    unreadable), on the index the dates came with."""
    return pd.Series(wall_clock(dates).dt.normalize().to_numpy(), index=dates.index)


def days_after_strength(runner_id, date, strength) -> np.ndarray:
    """Calendar days from each run's runner's latest strength session before the run.

    0 on the day of a session, 1 the day after; NaN before the runner's first
    session (or without a strength log). A session logged with a time of day
    counts for the runs after it only (a morning run before an evening gym
    session is counted from the session before); one logged with a date alone
    counts for every run that day. Sessions of mobility, core or other work
    alone do not count (``FATIGUING_CATEGORIES``).
    """
    n = len(runner_id)
    out = np.full(n, np.nan)
    if strength is None or len(strength) == 0 or n == 0:
        return out
    s = strength
    if "category" in s.columns:
        s = s.loc[s["category"].astype(object).isin(FATIGUING_CATEGORIES).to_numpy()]
    sess = pd.DataFrame(
        {"runner_id": s["runner_id"].astype(str).to_numpy(), "at": wall_clock(s["date"]).array}
    ).dropna()
    if sess.empty:
        return out
    sess = sess.drop_duplicates().sort_values("at", kind="stable")
    sess["session_day"] = sess["at"].dt.normalize()
    runs = pd.DataFrame(
        {"runner_id": pd.Series(np.asarray(runner_id)).astype(str), "at": wall_clock(date)}
    )
    runs["pos"] = np.arange(n)
    left = runs.loc[runs["at"].notna()].sort_values("at", kind="stable")
    merged = pd.merge_asof(
        left, sess, on="at", by="runner_id", direction="backward", allow_exact_matches=True
    )
    gap = (merged["at"].dt.normalize() - merged["session_day"]) / pd.Timedelta(days=1)
    out[merged["pos"].to_numpy()] = gap.to_numpy(dtype=float, na_value=np.nan)
    return out


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float (NaN for missing cells or a missing column)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("object")
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _text(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=object)
    return frame[column].astype("object").where(frame[column].notna(), default)


def _decimal_year(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    days = np.where(d.dt.is_leap_year, 366.0, 365.0)
    return (d.dt.year + (d.dt.day_of_year - 0.5) / days).to_numpy(dtype=float, na_value=np.nan)


def runner_parameters(
    dataset,
    *,
    default_hr_rest_bpm: float = DEFAULT_HR_REST_BPM,
    default_hr_max_bpm: float = DEFAULT_HR_MAX_BPM,
    default_vo2max_ml_kg_min: float = DEFAULT_VO2MAX_ML_KG_MIN,
) -> pd.DataFrame:
    """HRrest, HRmax and VO2max of every runner, with the source of each.

    The fallback order and the rules for each source are in the module
    docstring.

    Parameters
    ----------
    dataset : analysis.io.Dataset
        The loaded dataset (runners, runs and lab_tests frames are used).
    default_hr_rest_bpm, default_hr_max_bpm, default_vo2max_ml_kg_min : float
        Values used when no other source exists (flagged ``default``).

    Returns
    -------
    DataFrame
        One row per runner in runners.csv or runs.csv: ``runner_id``,
        ``sex``, ``age_years`` (at the median run date), ``hr_rest_bpm``,
        ``hr_rest_source``, ``hr_max_bpm``, ``hr_max_source``,
        ``vo2max_ml_kg_min``, ``vo2max_source``, ``defaulted``.

    References
    ----------
    .. [1] SCIENCE.md §4 (race VDOT, device estimates) and §7 (HRmax, HRrest).
    """
    runners = dataset.runners
    runs = dataset.runs
    run_codes, run_ids = _codes(runs["runner_id"])
    runner_codes, runner_ids = _codes(runners["runner_id"])
    ids = pd.Index(pd.unique(np.concatenate([runner_ids, run_ids])), name="runner_id")
    n_ids = len(ids)
    # position of each run's and each runners.csv row's runner in ``ids``
    run_pos = ids.get_indexer(run_ids)[run_codes] if len(runs) else np.zeros(0, dtype=int)
    first_row = pd.Series(np.arange(len(runner_codes))).groupby(runner_codes).first()
    r = runners.iloc[first_row.to_numpy()]
    r = r.set_axis(pd.Index(runner_ids[first_row.index.to_numpy()], dtype=object)).reindex(ids)
    out = pd.DataFrame(index=ids)
    out["sex"] = _text(r, "sex", "").to_numpy()

    def per_runner(values, how):
        return pd.Series(values).groupby(run_pos).agg(how).reindex(range(n_ids)).to_numpy()

    median_date = (
        pd.Series(pd.to_datetime(runs["date"]).to_numpy(dtype="datetime64[ns]"))
        .groupby(run_pos)
        .median()
        .reindex(range(n_ids))
    )
    birth = _num(r, "birth_year")
    age = _decimal_year(median_date) - (birth + 0.5)
    out["age_years"] = np.where(age > 0, age, np.nan)
    tanaka = phys.hr_max_tanaka(out["age_years"].to_numpy(dtype=float))

    # HRrest
    rest = _num(r, "hr_rest_bpm")
    out["hr_rest_bpm"] = np.where(np.isfinite(rest), rest, default_hr_rest_bpm)
    out["hr_rest_source"] = np.where(np.isfinite(rest), "runners.csv", "default")

    # HRmax
    given_max = _num(r, "hr_max_bpm")
    is_race = _is_type(runs, "race")
    candidates = np.fmax(
        _num(runs, "max_hr_bpm"), np.where(is_race, _num(runs, "avg_hr_bpm"), np.nan)
    )
    tanaka_by_run = tanaka[run_pos]
    ceiling = np.where(
        np.isfinite(tanaka_by_run),
        tanaka_by_run + _OBSERVED_ABOVE_AGE_BPM,
        _OBSERVED_CEILING_NO_AGE_BPM,
    )
    candidates = np.where(candidates <= ceiling, candidates, np.nan)
    observed = per_runner(candidates, "max")
    floor = np.where(
        np.isfinite(tanaka), tanaka - _OBSERVED_BELOW_AGE_BPM, _OBSERVED_FLOOR_NO_AGE_BPM
    )
    observed = np.where(observed >= floor, observed, np.nan)
    out["hr_max_bpm"], out["hr_max_source"] = _first_available(
        [
            (given_max, "runners.csv"),
            (observed, "observed max"),
            (tanaka, "age formula"),
        ],
        default_hr_max_bpm,
    )

    # VO2max
    given_vo2 = _num(r, "vo2max_ml_kg_min")
    lab = _lab_vo2max(dataset.lab_tests).reindex(ids).to_numpy(dtype=float)
    device = per_runner(_num(runs, "vo2max_est_ml_kg_min"), "median")
    vdot = np.where(
        is_race,
        phys.vdot_from_race(_num(runs, "distance_km") * 1000.0, _num(runs, "duration_s")),
        np.nan,
    )
    race = per_runner(vdot, "max")
    out["vo2max_ml_kg_min"], out["vo2max_source"] = _first_available(
        [
            (given_vo2, "runners.csv"),
            (lab, "lab test"),
            (device, "device estimate"),
            (race, "race VDOT"),
        ],
        default_vo2max_ml_kg_min,
    )
    out["defaulted"] = (
        (out["hr_rest_source"] == "default")
        | (out["hr_max_source"] == "default")
        | (out["vo2max_source"] == "default")
    )
    return out.reset_index()


HR_VO2_DOCUMENTED = "%HRR = %VO2R"
"""``source`` of the documented relation (Swain & Leutholtz 1997)."""
HR_VO2_LAB = "lab_tests.csv"
"""``source`` when the squad's lab stages gave the relation."""
MIN_LINE_RUNNERS = 3
"""Runners with lab stages the squad's heart-rate line needs."""
MIN_LINE_STAGES = 3
"""Stages with heart rate and VO2 a runner needs to enter the line."""
LINE_TEST_LEVEL = 0.01
"""The lab line replaces %HRR = %VO2R only when it differs at this level..."""
LINE_MIN_SCALE = 0.10
"""... and when it scales a change at 70 % of heart-rate reserve by at least this
fraction: with few runners a cluster-robust test rejects a true 1:1 line more
often than its level (7 % of simulated 6-8 runner squads at 1 %), and noise in
lab VO2 and in runners.csv's parameters alone gave lines that scale a change by
up to 8.5 % on an independent generator whose heart rate followed the 1:1 line;
Swain et al. 1994's line scales it by about 35 %."""
LINE_SCALE_AT_HRR = 0.70
_LINE_VO2R = (0.30, 0.95)  # stages outside this %VO2R are left out (not steady)
_LINE_C0, _LINE_C1 = (-0.4, 0.4), (0.5, 1.5)  # plausible intercept and slope


HRMAX_LINE_SCALE_RANGE = (0.8, 2.0)
"""``hrmax_line_scale`` outside this range is left empty: about 1.2-1.6 for
runners' parameters, beyond it only for parameters that are themselves wrong
(HRrest 25 with HRmax 250 gave 3.5)."""


def plausible_hrmax_line_scale(hr, hr_rest, hr_max, vo2max) -> np.ndarray:
    """:func:`analysis.physiology.hrmax_line_change_scale` as an array, NaN outside
    ``HRMAX_LINE_SCALE_RANGE`` (the ``hrmax_line_scale`` of a run)."""
    scale = np.asarray(phys.hrmax_line_change_scale(hr, hr_rest, hr_max, vo2max), dtype=float)
    low, high = HRMAX_LINE_SCALE_RANGE
    return np.where((scale >= low) & (scale <= high), scale, np.nan)


def _plausible_line(c0: float, c1: float) -> bool:
    return _LINE_C0[0] <= c0 <= _LINE_C0[1] and _LINE_C1[0] <= c1 <= _LINE_C1[1]


def documented_hr_vo2_line() -> dict:
    """%HRR = %VO2R (Swain & Leutholtz 1997) in :func:`lab_hr_vo2_line`'s form."""
    return {
        "c0": 0.0,
        "c1": 1.0,
        "source": HR_VO2_DOCUMENTED,
        "fitted": None,
        "p_value": float("nan"),
        "change_scale": float("nan"),
        "n_runners": 0,
        "n_stages": 0,
    }


def lab_hr_vo2_line(dataset) -> dict:
    """The squad's heart rate - oxygen uptake relation from its lab stages.

    The field cost turns heart rate into VO2 on the line %HRR = %VO2R (Swain &
    Leutholtz 1997). Only where that line meets zero uptake matters for a
    relative change: the change in cost is the change in heart rate over heart
    rate above that point. Other published relations put it elsewhere (Swain et
    al. 1994's %HRmax = 0.6463 %VO2max + 37.182 at 37 % of HRmax, about 20 bpm
    higher for a runner resting at 50): on squads whose heart rate followed that
    line, %HRR = %VO2R read a -4 % change as about -3 % (strength runners' bias
    +1.0 pp, coverage 0.73). Field data cannot tell the two apart (a different
    line looks like a different cost-speed curve), but lab stages measure heart
    rate and VO2 together. So where at least ``MIN_LINE_RUNNERS`` runners have
    ``MIN_LINE_STAGES`` stages with both (30-95 % VO2 reserve, RER below 1.0
    where given), %HRR = c0 + c1 %VO2R is fitted over the squad's stages by least
    squares, each runner weighing the same however many stages they ran, with
    standard errors clustered by runner (a runner's stages share
    its parameters' errors); the line used is the orthogonal fit to the same
    stages (:func:`_orthogonal_line`: heart rate and VO2 are both measured with
    error), and it replaces the documented (0, 1) when a Wald test
    rejects (0, 1) at ``LINE_TEST_LEVEL``, the fit is plausible (c0 within
    +-0.4, c1 0.5-1.5) and it matters (:func:`change_scale` at least
    ``LINE_MIN_SCALE`` from 1). A squad line rather than one per runner: a runner's 4-5
    stages span about 12 ml/kg/min, and extrapolating them to zero uptake
    leaves about 8 bpm of uncertainty each.

    The runners' HRrest, HRmax and VO2max are those of runners.csv and the lab
    (:func:`runner_parameters` without runs), and runners with a defaulted one
    are left out, so the line is the same for the whole squad and for every
    part of a Parquet squad.

    Returns
    -------
    dict
        ``c0``, ``c1`` (the line used), ``source`` (``HR_VO2_LAB`` or
        ``HR_VO2_DOCUMENTED``), ``fitted`` ((c0, c1) of the fit, or None),
        ``p_value`` (of the test, or NaN), ``change_scale`` (:func:`change_scale`
        of the fit, or NaN), ``n_runners``, ``n_stages``.

    References
    ----------
    .. [1] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997).
    .. [2] Swain DP et al. Med Sci Sports Exerc 26:112-116 (1994); SCIENCE.md §4.
    .. [3] Cameron AC, Miller DL. A practitioner's guide to cluster-robust
       inference. J Hum Resour 50:317-372 (2015).
    """
    documented = documented_hr_vo2_line()
    lab = getattr(dataset, "lab_tests", None)
    if lab is None or len(lab) == 0 or "hr_bpm" not in lab.columns:
        return documented
    runs = dataset.runs.iloc[0:0]
    params = runner_parameters(dataclasses.replace(dataset, runs=runs)).set_index("runner_id")
    params = params.loc[~params["defaulted"]]
    rid = lab["runner_id"].astype(str).to_numpy()
    p = params.reindex(rid)
    rest, hmax = p["hr_rest_bpm"].to_numpy(float), p["hr_max_bpm"].to_numpy(float)
    vo2max = p["vo2max_ml_kg_min"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_hrr = (_num(lab, "hr_bpm") - rest) / (hmax - rest)
        f_vo2r = (_num(lab, "vo2_ml_kg_min") - 3.5) / (vo2max - 3.5)
    ok = np.isfinite(f_hrr) & np.isfinite(f_vo2r)
    ok &= (f_vo2r >= _LINE_VO2R[0]) & (f_vo2r <= _LINE_VO2R[1])
    if "rer" in lab.columns:
        rer = _num(lab, "rer")
        ok &= ~(rer >= 1.0)
    counts = pd.Series(rid[ok]).value_counts()
    enough = set(counts.index[counts >= MIN_LINE_STAGES])
    ok &= np.isin(rid, list(enough))
    if len(enough) < MIN_LINE_RUNNERS:
        return {**documented, "n_runners": len(enough)}
    import statsmodels.api as sm

    groups = pd.factorize(rid[ok])[0]
    # every runner counts alike, however many stages their tests had
    weights = 1.0 / np.bincount(groups)[groups]
    fit = sm.WLS(f_hrr[ok], sm.add_constant(f_vo2r[ok]), weights=weights).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    # The line used is the orthogonal (Deming) fit: stage heart rate and VO2 both
    # carry measurement error of similar size as fractions of their reserves
    # (about 2 bpm and 2-3 % of VO2), which biases least squares' slope toward 0
    # and its scale on a change up by about a tenth; least squares is kept for the
    # test, whose clustered errors the orthogonal fit lacks.
    c0, c1 = _orthogonal_line(f_vo2r[ok], f_hrr[ok], weights)
    test = fit.wald_test((np.eye(2), np.array([0.0, 1.0])), use_f=True, scalar=True)
    p_value = float(test.pvalue)
    out = {
        **documented,
        "fitted": (c0, c1),
        "p_value": p_value,
        "n_runners": len(enough),
        "n_stages": int(ok.sum()),
    }
    plausible = _plausible_line(c0, c1)
    scale = change_scale(c0, c1, float(np.median(vo2max[ok])))
    out["change_scale"] = scale
    material = abs(scale - 1.0) >= LINE_MIN_SCALE
    if p_value < LINE_TEST_LEVEL and plausible and material:
        out.update(c0=c0, c1=c1, source=HR_VO2_LAB)
    return out


def _lab_kept_documented(line: dict) -> bool:
    """Whether the squad's lab stages gave a plausible line that scales a change by
    less than ``LINE_MIN_SCALE``: they agree with %HRR = %VO2R, and rule out a line
    as far from it as Swain et al. 1994's (which scales a change by about 1.35)."""
    fitted = line.get("fitted")
    if fitted is None or not np.all(np.isfinite(fitted)) or not _plausible_line(*fitted):
        return False
    scale = line.get("change_scale", np.nan)
    return bool(np.isfinite(scale) and abs(scale - 1.0) < LINE_MIN_SCALE)


def _orthogonal_line(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the weighted orthogonal regression of ``y`` on ``x``
    (Deming regression with equal error variances): the major axis of the
    weighted covariance.

    References
    ----------
    .. [1] Deming WE. Statistical Adjustment of Data. Wiley (1943).
    .. [2] Cornbleet PJ, Gochman N. Incorrect least-squares regression coefficients
       in method-comparison analysis. Clin Chem 25:432-438 (1979).
    """
    cov = np.cov(np.vstack([x, y]), aweights=weights)
    sxx, syy, sxy = cov[0, 0], cov[1, 1], cov[0, 1]
    if not (np.isfinite(sxy) and sxy != 0):  # no common trend: no line
        return float("nan"), float("nan")
    slope = (syy - sxx + np.sqrt((syy - sxx) ** 2 + 4 * sxy**2)) / (2 * sxy)
    intercept = np.average(y, weights=weights) - slope * np.average(x, weights=weights)
    return float(intercept), float(slope)


def change_scale(c0: float, c1: float, vo2max: float, f_hrr: float = LINE_SCALE_AT_HRR) -> float:
    """How much the line %HRR = c0 + c1 %VO2R scales a relative change in cost
    read from heart rate, against %HRR = %VO2R, at ``f_hrr`` of heart-rate
    reserve: the same change in heart rate is ``1 / c1`` as much uptake, over an
    uptake of ``3.5 + (f - c0) / c1 (VO2max - 3.5)`` instead of ``3.5 + f
    (VO2max - 3.5)``. 1 for the documented line; about 1.35 for Swain et al.
    1994's at VO2max 60 (a change read on the 1:1 line is a quarter too small)."""
    documented = 3.5 + f_hrr * (vo2max - 3.5)
    on_line = 3.5 + (f_hrr - c0) / c1 * (vo2max - 3.5)
    return documented / (c1 * on_line)


def hr_vo2_line_words(line: dict) -> str:
    """The heart rate - oxygen uptake relation in words, for the output and reports."""
    if line["source"] == HR_VO2_LAB:
        return (
            f"%HRR = {line['c0']:.2f} + {line['c1']:.2f} x %VO2R from the lab stages of "
            f"{line['n_runners']} runners"
        )
    return "%HRR = %VO2R (Swain & Leutholtz 1997)"


_LINE_WORDS = re.compile(
    r"%HRR = (-?[0-9]+\.[0-9]+) \+ ([0-9]+\.[0-9]+) x %VO2R from the lab stages of [0-9]+ runners"
)


def hr_vo2_line_from_words(words) -> tuple[float, float]:
    """``(c0, c1)`` back from :func:`hr_vo2_line_words` (the output's ``hr_vo2_line``);
    (0, 1), the documented line, for anything else, including a line outside the
    plausible range a fit may be used in."""
    match = _LINE_WORDS.fullmatch(str(words or ""))
    if match is None:
        return (0.0, 1.0)
    c0, c1 = float(match.group(1)), float(match.group(2))
    return (c0, c1) if _plausible_line(c0, c1) else (0.0, 1.0)


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the distinct values (as objects) of an id column."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if (codes < 0).any():  # a missing id: give it its own code
        uniques = np.append(uniques, np.array([None], dtype=object))
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    return codes, uniques


def _is_type(runs: pd.DataFrame, run_type: str) -> np.ndarray:
    if "run_type" not in runs.columns:
        return np.zeros(len(runs), dtype=bool)
    return (runs["run_type"] == run_type).fillna(False).to_numpy(dtype=bool)


def _first_available(sources, default):
    values = np.full(len(sources[0][0]), float(default))
    labels = np.full(len(sources[0][0]), "default", dtype=object)
    for data, label in reversed(sources):
        data = np.asarray(data, dtype=float)
        ok = np.isfinite(data)
        values = np.where(ok, data, values)
        labels = np.where(ok, label, labels)
    return values, labels


def _lab_vo2max(lab_tests: pd.DataFrame) -> pd.Series:
    """Per runner, the peak VO2 of lab tests that reached RER >= 1.10."""
    maximal = lab_vo2max_tests(lab_tests)
    return maximal.groupby(level="runner_id")["peak"].max()


def lab_vo2max_tests(lab_tests: pd.DataFrame) -> pd.DataFrame:
    """The peak VO2 of each lab test (runner and day) that reached RER >= 1.10
    [ml/kg/min], indexed by ``(runner_id, day)``: a maximal test measures VO2max
    (Howley et al. 1995; the criterion is ours, SCIENCE.md does not fix one)."""
    empty = pd.DataFrame(
        {"peak": pd.Series(dtype=float), "top_rer": pd.Series(dtype=float)},
        index=pd.MultiIndex.from_tuples([], names=["runner_id", "day"]),
    )
    if lab_tests is None or len(lab_tests) == 0 or "rer" not in lab_tests.columns:
        return empty
    vo2 = _num(lab_tests, "vo2_ml_kg_min")
    rer = _num(lab_tests, "rer")
    key = pd.DataFrame(
        {
            "runner_id": lab_tests["runner_id"].astype("object").to_numpy(),
            "day": pd.to_datetime(lab_tests["date"]).dt.normalize().to_numpy(),
            "vo2": vo2,
            "rer": rer,
        }
    )
    per_test = key.groupby(["runner_id", "day"]).agg(peak=("vo2", "max"), top_rer=("rer", "max"))
    return per_test.loc[per_test["top_rer"] >= _LAB_MAX_RER]


MORNING_WINDOW_DAYS = 7
"""Morning resting heart rates are summarised as the median of the last 7 days."""

MORNING_MAX_AGE_DAYS = 14
"""A run more than 14 days after the last morning measurement uses the static value."""


def body_mass_on_day(wellness, runner_ids, dates) -> np.ndarray:
    """Each run's body mass from ``wellness.csv``: the median of the runner's morning
    weights over the ``MORNING_WINDOW_DAYS`` centred on the last weighing at or before
    the run's day [kg] (a window that ended there read a steady 2 kg gain over a
    10-week block 3 days late: 0.12 pp on the change); NaN where the runner has none
    in the ``MORNING_MAX_AGE_DAYS`` before the run.

    Heart rate follows the absolute oxygen uptake against the absolute maximum
    (the Fick principle: cardiac output rises with uptake in L/min), while
    economy is stated per kilogram. A runner 1.5 kg heavier at the end of a block
    (muscle, or a lighter one after a build) runs at a higher (lower) share of an
    unchanged maximum in L/min at the same cost per kg, which a VO2max per kg
    fixed at runners.csv's mass reads as worse (better) economy of about the
    same size (:func:`run_metrics` scales it; SCIENCE.md section 5: VO2 and cost
    per kg of body mass).
    """
    return _recent_median(wellness, "body_mass_kg", runner_ids, dates, centred=True)


def mass_ratio(dataset, runner_ids, mass) -> np.ndarray:
    """Per run, the runner's reference mass over the run's ``mass`` (1 where either is
    unknown): runners.csv's ``body_mass_kg``, at which its VO2max per kg holds, else the
    median of the runner's ``wellness.csv`` weights. A VO2max per kg times this is the
    same maximum in L/min per kg of the day's mass (:func:`body_mass_on_day`)."""
    ids = np.asarray(runner_ids, dtype=object).astype(str)
    mass = np.asarray(mass, dtype=float)
    reference = pd.Series(np.nan, index=pd.Index(np.unique(ids)), dtype=float)
    wellness = getattr(dataset, "wellness", None)
    if wellness is not None and len(wellness) and "body_mass_kg" in wellness:
        weights = pd.to_numeric(wellness["body_mass_kg"], errors="coerce")
        typical = weights.groupby(wellness["runner_id"].astype(str)).median()
        reference = reference.fillna(typical.reindex(reference.index))
    runners = getattr(dataset, "runners", None)
    if runners is not None and len(runners) and "body_mass_kg" in runners:
        listed = pd.to_numeric(runners["body_mass_kg"], errors="coerce")
        listed = listed.groupby(runners["runner_id"].astype(str)).first()
        reference = listed.reindex(reference.index).fillna(reference)
    m0 = reference.reindex(ids).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = m0 / mass
    low, high = MASS_RATIO_RANGE
    return np.where(np.isfinite(ratio) & (ratio >= low) & (ratio <= high), ratio, 1.0)


MASS_RATIO_RANGE = (0.8, 1.25)
"""Reference mass over the day's mass outside this is not a change of body mass
(weights in pounds beside runners.csv's kilograms, another runner's scale): that
run's VO2max per kg is left as it is."""


def morning_resting_hr(wellness, runner_ids, dates) -> np.ndarray:
    """Each run's resting heart rate from ``wellness.csv``: the median of the runner's
    morning values over the ``MORNING_WINDOW_DAYS`` up to the run's day [bpm].

    Resting heart rate falls as aerobic fitness rises (and rises with fatigue
    or illness); with a static HRrest that fall moves every run's heart-rate
    reserve and reads as a change in economy. A 7-day median of morning values
    follows the trend without the day-to-day scatter. NaN where the runner has
    no morning value in the ``MORNING_MAX_AGE_DAYS`` before the run.

    References
    ----------
    .. [1] SCIENCE.md section 7 (HRrest defaults) and section 6 (field proxies
       cannot separate economy from fitness; resting HR is a signal that can).
    """
    return _recent_median(wellness, "hr_rest_bpm", runner_ids, dates)


def _recent_median(wellness, column: str, runner_ids, dates, centred=False) -> np.ndarray:
    """Per run, the median of the runner's ``wellness`` values of ``column`` over the
    ``MORNING_WINDOW_DAYS`` up to the run's day (``centred``: around its last
    measurement day, so a steady trend is not read days late); NaN with none in the
    ``MORNING_MAX_AGE_DAYS`` before it."""
    n = len(runner_ids)
    out = np.full(n, np.nan)
    if wellness is None or len(wellness) == 0 or column not in wellness:
        return out
    w = wellness.loc[wellness[column].notna() & wellness["date"].notna()]
    if w.empty:
        return out
    w = w.assign(
        runner_id=w["runner_id"].astype(str), date=pd.to_datetime(w["date"]).dt.normalize()
    )
    daily = w.groupby(["runner_id", "date"], sort=True)[column].median().reset_index()
    window = f"{MORNING_WINDOW_DAYS}D"
    daily["rest"] = (
        daily.set_index("date")
        .groupby("runner_id")[column]
        .rolling(window, center=centred)
        .median()
    ).to_numpy()
    runs = pd.DataFrame(
        {
            "runner_id": np.asarray(runner_ids, dtype=object).astype(str),
            "date": pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(),
            "pos": np.arange(n),
        }
    )
    known = runs["date"].notna()
    left = runs.loc[known].sort_values("date", kind="stable")
    merged = pd.merge_asof(
        left,
        daily[["runner_id", "date", "rest"]].sort_values("date", kind="stable"),
        on="date",
        by="runner_id",
        direction="backward",
        tolerance=pd.Timedelta(days=MORNING_MAX_AGE_DAYS),
    )
    out[merged["pos"].to_numpy()] = merged["rest"].to_numpy(dtype=float)
    return out


def run_metrics(
    dataset,
    *,
    min_duration_min: float = 15.0,
    hrr_range: tuple[float, float] = (0.40, 0.95),
    default_hr_rest_bpm: float = DEFAULT_HR_REST_BPM,
    default_hr_max_bpm: float = DEFAULT_HR_MAX_BPM,
    default_vo2max_ml_kg_min: float = DEFAULT_VO2MAX_ML_KG_MIN,
    hr_vo2_line: dict | None = None,
) -> pd.DataFrame:
    """One row per run: speeds, heart-rate VO2, field oxygen cost and the steady flag.

    The field oxygen cost on the flat is

    .. math::

        f_{HRR} = \\frac{HR - HR_{rest}}{HR_{max} - HR_{rest}}, \\quad
        VO_2 = 3.5 + f_{HRR} (VO_{2max} - 3.5), \\quad
        OC = VO_2 / (GAS / 1000)

    in ml/kg/km, with GAS the grade-adjusted speed [m/min]
    (:func:`analysis.physiology.grade_adjusted_speed` from the run's ascent
    and descent). When only one of ascent and descent is given the other is
    taken as equal (a loop); with neither the run is treated as flat
    (``elevation_known`` False). When runs.csv carries the importer's
    stream-derived columns (``steady_avg_hr_bpm``, ``steady_gas_m_min``,
    ``steady_duration_s``, ``decoupling_pct``), a run that has them uses its
    steady part instead of the whole-run averages (``hr_basis`` says which).

    A run is ``steady`` (enters the economy model) unless, checked in this
    order, the first reason that applies is given in ``exclude_reason``:
    ``interval``, ``race`` (run types whose HR is not in steady state),
    ``no heart rate``, ``too short (< 15 min)`` (HR not yet steady), ``HR
    outside 40-95 % HRR`` (outside the range where %HRR = %VO2R holds; also
    when HRmax <= HRrest), ``no oxygen cost`` (anything else that leaves the
    cost undefined).

    Parameters
    ----------
    dataset : analysis.io.Dataset
        The loaded dataset.
    min_duration_min : float
        Shortest run [min] (steady part, where known) that can be steady.
    hrr_range : (float, float)
        Fractions of heart-rate reserve between which a run can be steady.
    default_hr_rest_bpm, default_hr_max_bpm, default_vo2max_ml_kg_min : float
        Last-resort runner parameters (see :func:`runner_parameters`).
    hr_vo2_line : dict, optional
        The heart rate - VO2 relation (:func:`lab_hr_vo2_line`'s result);
        default: that of ``dataset``, %HRR = %VO2R unless its lab stages
        reject it. ``hr_vo2_line`` names the line used (:func:`hr_vo2_line_words`);
        ``hrmax_line_scale`` is how much larger the run's change would read on
        Swain et al. 1994's %HRmax line
        (:func:`analysis.physiology.hrmax_line_change_scale`; empty where the
        squad's lab stages decided the line, their own or %HRR = %VO2R kept,
        and outside ``HRMAX_LINE_SCALE_RANGE``).

    Returns
    -------
    DataFrame
        Exactly the columns :data:`RUN_METRIC_COLUMNS`, one row per run in
        the order of ``dataset.runs`` (other runs.csv columns are not
        carried; join on ``run_id`` or ``line`` for them). Units are in the names; ``ef`` is m/min per bpm,
        ``trimp`` Banister TRIMP of the whole run, ``session_rpe_load`` RPE x
        minutes, ``race_vdot`` only for races, ``effective_vo2max_ml_kg_min``
        the Runalyze HR-based estimate (uncorrected).

    References
    ----------
    .. [1] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997); SCIENCE.md §4.
    .. [2] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3.
    .. [3] SCIENCE.md §5 (oxygen cost), §6 (field proxies), §10 (TRIMP, session-RPE).
    """
    lo, hi = _check_hrr_range(hrr_range)
    if not (np.isfinite(min_duration_min) and min_duration_min >= 0):
        raise ValueError(
            "The 'min_duration_min' parameter of run_metrics must be a non-negative "
            f"number. Got {min_duration_min!r} instead."
        )
    runs = dataset.runs
    n = len(runs)
    params = runner_parameters(
        dataset,
        default_hr_rest_bpm=default_hr_rest_bpm,
        default_hr_max_bpm=default_hr_max_bpm,
        default_vo2max_ml_kg_min=default_vo2max_ml_kg_min,
    ).set_index("runner_id")
    codes, uniques = _codes(runs["runner_id"])
    p = params.reindex(uniques)
    p = pd.DataFrame({c: p[c].to_numpy()[codes] for c in p.columns})
    rid = uniques[codes]

    out = pd.DataFrame(index=pd.RangeIndex(n))
    if "run_id" in runs.columns and runs["run_id"].dtype == "str":
        # Arrow strings stay Arrow strings: a federation's 1.6 M run ids as Python
        # objects would cost ~120 MB on the way through
        out["run_id"] = runs["run_id"].fillna("").array
    else:
        out["run_id"] = _text(runs, "run_id").to_numpy()
    out["runner_id"] = rid
    out["date"] = runs["date"].to_numpy() if "date" in runs else pd.NaT
    if "run_type" in runs.columns and isinstance(runs["run_type"].dtype, pd.CategoricalDtype):
        out["run_type"] = runs["run_type"].fillna("other").array
    else:
        out["run_type"] = pd.Categorical(
            _text(runs, "run_type", "other").to_numpy(), categories=RUN_TYPES
        )
    run_type = out["run_type"].astype("object").to_numpy()
    # which watch or sensor recorded the run: the field model's device offset
    # (analysis.models.prepare.device_indicator); a few categories, so cheap.
    # Runs imported from GPX before session 15 carry the file's creator there,
    # mostly the exporting app ("StravaGPX"), not a device: not a device.
    device = _text(runs, "device").map(str).str.strip()
    if "source" in runs.columns:
        device = device.where(_text(runs, "source").map(str).str.strip().ne("gpx"), "")
    out["device"] = pd.Categorical(device.to_numpy())
    # the shoes worn: the field model's shoe offset (prepare.shoes_indicator)
    out["shoes"] = pd.Categorical(_text(runs, "shoes").map(str).str.strip().to_numpy())
    dist = _num(runs, "distance_km")
    dur = _num(runs, "duration_s")
    avg_hr = _num(runs, "avg_hr_bpm")
    out["distance_km"] = dist
    out["duration_s"] = dur
    out["avg_hr_bpm"] = avg_hr
    out["max_hr_bpm"] = _num(runs, "max_hr_bpm")
    out["temp_c"] = _num(runs, "temp_c")
    gain, loss = _num(runs, "elev_gain_m"), _num(runs, "elev_loss_m")
    out["elev_gain_m"], out["elev_loss_m"] = gain, loss
    out["elevation_known"] = np.isfinite(gain) | np.isfinite(loss)
    gain_f = np.where(np.isfinite(gain), gain, np.where(np.isfinite(loss), loss, 0.0))
    loss_f = np.where(np.isfinite(loss), loss, gain_f)

    with np.errstate(invalid="ignore", divide="ignore"):
        out["pace_s_per_km"] = np.where((dist > 0) & (dur > 0), dur / dist, np.nan)
        out["speed_m_min"] = np.where((dist > 0) & (dur > 0), dist * 1000.0 / (dur / 60.0), np.nan)
    gas_whole = phys.grade_adjusted_speed(dist, gain_f, loss_f, dur)

    steady_hr = _num(runs, "steady_avg_hr_bpm")
    steady_gas = _num(runs, "steady_gas_m_min")
    steady_dur = _num(runs, "steady_duration_s")
    use_part = np.isfinite(steady_hr)
    hr = np.where(use_part, steady_hr, avg_hr)
    gas = np.where(use_part & np.isfinite(steady_gas), steady_gas, gas_whole)
    dur_used = np.where(use_part & np.isfinite(steady_dur), steady_dur, dur)
    out["gas_m_min"] = gas
    out["hr_basis"] = np.where(use_part, "steady part", "whole run")
    out["hr_used_bpm"] = hr
    out["duration_used_s"] = dur_used

    rest = p["hr_rest_bpm"].to_numpy(dtype=float)
    hmax = p["hr_max_bpm"].to_numpy(dtype=float)
    vo2max = p["vo2max_ml_kg_min"].to_numpy(dtype=float)
    rest_source = p["hr_rest_source"].to_numpy(dtype=object)
    morning = morning_resting_hr(getattr(dataset, "wellness", None), rid, out["date"])
    has_morning = np.isfinite(morning)
    rest = np.where(has_morning, morning, rest)
    rest_source = np.where(has_morning, "wellness.csv", rest_source)
    out["hr_rest_bpm"] = rest
    out["hr_max_bpm"] = hmax
    # a maximum in L/min that stays as the runner's mass changes: per kg on the day
    mass = body_mass_on_day(getattr(dataset, "wellness", None), rid, out["date"])
    vo2max = vo2max * mass_ratio(dataset, rid, mass)
    out["body_mass_kg"] = mass
    out["vo2max_ml_kg_min"] = vo2max
    out["hr_rest_source"] = pd.Categorical(rest_source, categories=_SOURCES)
    for col in ("hr_max_source", "vo2max_source"):
        out[col] = pd.Categorical(p[col].to_numpy(dtype=object), categories=_SOURCES)
    out["defaulted"] = (
        (rest_source == "default")
        | (p["hr_max_source"].to_numpy(dtype=object) == "default")
        | (p["vo2max_source"].to_numpy(dtype=object) == "default")
    )
    f_hrr = phys.hr_reserve_fraction(hr, rest, hmax)
    vo2 = phys.hr_to_vo2(hr, rest, hmax, vo2max)
    line = lab_hr_vo2_line(dataset) if hr_vo2_line is None else hr_vo2_line
    if line["source"] == HR_VO2_LAB:  # the squad's lab line: %HRR = c0 + c1 %VO2R
        vo2 = np.where(
            np.isfinite(vo2), 3.5 + (f_hrr - line["c0"]) / line["c1"] * (vo2max - 3.5), np.nan
        )
    out["hrr_fraction"] = f_hrr
    out["vo2_hr_ml_kg_min"] = vo2
    # how much larger the run's change would read on Swain et al. 1994's %HRmax
    # line: the sensitivity to the documented line, where no lab stages decided
    # between the lines (none where the squad's stages gave its own line, or one
    # that scales a change by less than LINE_MIN_SCALE: %HRR = %VO2R kept)
    undecided = line["source"] != HR_VO2_LAB and not _lab_kept_documented(line)
    out["hrmax_line_scale"] = (
        plausible_hrmax_line_scale(hr, rest, hmax, vo2max) if undecided else np.full(n, np.nan)
    )
    words = hr_vo2_line_words(line)
    out["hr_vo2_line"] = pd.Categorical(np.full(n, words, dtype=object), categories=[words])
    out["o2_cost_ml_kg_km"] = phys.o2_cost(vo2, gas * 0.06)
    out["ef"] = phys.efficiency_factor(gas, hr)
    out["decoupling_pct"] = _num(runs, "decoupling_pct")
    is_race = run_type == "race"
    out["race_vdot"] = np.where(is_race, phys.vdot_from_race(dist * 1000.0, dur), np.nan)
    out["effective_vo2max_ml_kg_min"] = phys.runalyze_effective_vo2max(dist, dur, avg_hr, hmax)
    out["trimp"] = phys.banister_trimp(
        dur / 60.0, avg_hr, rest, hmax, p["sex"].to_numpy(dtype=object)
    )
    rpe = _num(runs, "rpe")
    out["rpe"] = rpe
    out["session_rpe_load"] = phys.session_rpe_load(rpe, dur / 60.0)

    sport = runs["sport"] if "sport" in runs.columns else pd.Series("", index=runs.index)
    not_running = ~sport.fillna("").astype(str).str.strip().str.lower().isin(
        ("", "running", "run", "trail_running", "treadmill_running")
    )
    reason = _exclusion_reasons(
        not_running.to_numpy(),
        run_type,
        hr,
        dur_used,
        use_part,
        f_hrr,
        out["o2_cost_ml_kg_km"].to_numpy(),
        min_duration_min,
        lo,
        hi,
    )
    out["steady"] = reason == ""
    out["exclude_reason"] = reason
    out["line"] = runs["line"].to_numpy() if "line" in runs.columns else np.arange(2, n + 2)
    out["days_after_strength"] = days_after_strength(
        out["runner_id"], out["date"], getattr(dataset, "strength", None)
    )
    return out[list(RUN_METRIC_COLUMNS)]


def _check_hrr_range(hrr_range):
    try:
        lo, hi = (float(x) for x in hrr_range)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    if not (0.0 <= lo < hi <= 1.0):
        raise ValueError(
            "The 'hrr_range' parameter of run_metrics must be two fractions "
            f"0 <= low < high <= 1. Got {hrr_range!r} instead."
        )
    return lo, hi


def _exclusion_reasons(
    not_running, run_type, hr, duration_s, steady_part, f_hrr, cost, min_duration_min, lo, hi
):
    too_short = ~(duration_s >= min_duration_min * 60.0)
    conditions = [
        not_running,
        run_type == "interval",
        run_type == "race",
        ~np.isfinite(hr),
        too_short & steady_part,
        too_short,
        ~((f_hrr >= lo) & (f_hrr <= hi)),
        ~(np.isfinite(cost) & (cost > 0)),
    ]
    labels = [
        "not running",
        "interval",
        "race",
        "no heart rate",
        f"steady part too short (< {min_duration_min:g} min)",
        f"too short (< {min_duration_min:g} min)",
        f"HR outside {lo * 100:g}-{hi * 100:g} % HRR",
        "no oxygen cost",
    ]
    return np.select(conditions, labels, default="").astype(object)


def weekly_metrics(dataset, metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Running and strength per runner and ISO week.

    Weeks run Monday-Sunday (``week`` is the Monday). Every week from a
    runner's first to last activity (run or strength session) has a row, so
    weeks without training show as zeros.

    Parameters
    ----------
    dataset : analysis.io.Dataset
        The loaded dataset.
    metrics : DataFrame, optional
        Precomputed :func:`run_metrics` of ``dataset``.

    Returns
    -------
    DataFrame
        ``runner_id``, ``week``, ``runs``, ``running_km``,
        ``running_duration_s``, ``steady_runs``, ``trimp`` (Banister, sum),
        ``running_session_rpe_load``, ``o2_cost_ml_kg_km_median`` (median of
        steady runs, NaN without one), then from
        :func:`analysis.strength.weekly_strength`: ``strength_sessions``,
        ``strength_sessions_<category>``, ``volume_load_kg``,
        ``volume_load_<category>_kg``, ``strength_repetitions`` (sets x reps,
        bodyweight and jumps included) and ``strength_session_rpe_load``.

    References
    ----------
    .. [1] SCIENCE.md §10 (TRIMP, session-RPE load, volume load).
    """
    m = run_metrics(dataset) if metrics is None else metrics
    runs = pd.DataFrame(
        {
            "runner_id": m["runner_id"].astype("object").to_numpy(),
            "week": week_start(m["date"]).to_numpy(),
            "km": m["distance_km"].to_numpy(dtype=float),
            "dur": m["duration_s"].to_numpy(dtype=float),
            "steady": m["steady"].to_numpy(dtype=bool),
            "trimp": m["trimp"].to_numpy(dtype=float),
            "srpe": m["session_rpe_load"].to_numpy(dtype=float),
            "cost": m["o2_cost_ml_kg_km"].where(m["steady"]).to_numpy(dtype=float),
        }
    )
    running = runs.groupby(["runner_id", "week"]).agg(
        runs=("km", "size"),
        running_km=("km", "sum"),
        running_duration_s=("dur", "sum"),
        steady_runs=("steady", "sum"),
        trimp=("trimp", "sum"),
        running_session_rpe_load=("srpe", "sum"),
        o2_cost_ml_kg_km_median=("cost", "median"),
    )
    strength = weekly_strength(dataset.strength)
    rename = {c: f"strength_{c}" for c in strength.columns if c.startswith("sessions")}
    rename["session_rpe_load"] = "strength_session_rpe_load"
    rename["repetitions"] = "strength_repetitions"
    strength = strength.rename(columns=rename)
    strength["runner_id"] = strength["runner_id"].astype("object")
    strength = strength.set_index(["runner_id", "week"])

    keys = running.index.union(strength.index)
    if len(keys) == 0:
        columns = ["runner_id", "week", *running.columns, *strength.columns]
        return pd.DataFrame(columns=columns)
    span = keys.to_frame(index=False).groupby("runner_id")["week"].agg(["min", "max"])
    n_weeks = ((span["max"] - span["min"]).dt.days // 7 + 1).to_numpy()
    runner = np.repeat(span.index.to_numpy(dtype=object), n_weeks)
    offset = np.concatenate([np.arange(k) for k in n_weeks])
    weeks = np.repeat(span["min"].to_numpy(), n_weeks) + offset * np.timedelta64(7, "D")
    full = pd.MultiIndex.from_arrays([runner, weeks], names=["runner_id", "week"])
    out = running.reindex(full).join(strength.reindex(full))
    zero_cols = [
        c for c in out.columns if c not in ("o2_cost_ml_kg_km_median", "strength_session_rpe_load")
    ]
    out[zero_cols] = out[zero_cols].fillna(0)
    for c in (
        "runs",
        "steady_runs",
        *[c for c in out.columns if c.startswith("strength_sessions")],
    ):
        out[c] = out[c].astype(int)
    return out.reset_index()


def lab_metrics(
    lab_tests: pd.DataFrame, runners: pd.DataFrame | None = None, *, equation: str = "weir"
):
    """Oxygen and energy cost of every treadmill stage.

    Parameters
    ----------
    lab_tests : DataFrame
        The dataset's lab_tests frame (``runner_id``, ``date``, ``speed_kmh``,
        ``vo2_ml_kg_min``; optional ``grade_pct``, ``hr_bpm``, ``rer``,
        ``lactate_mmol``).
    runners : DataFrame, optional
        The runners frame; when given, each stage gets ``pct_vo2max`` and
        ``pct_hrmax`` from its ``vo2max_ml_kg_min`` and ``hr_max_bpm``.
    equation : {"weir", "peronnet"}
        Energy equivalent of oxygen.

    Returns
    -------
    DataFrame
        One row per stage, sorted by runner, date and speed: the input
        columns plus ``grade_pct`` (missing = 0), ``o2_cost_ml_kg_km``,
        ``energy_cost_j_kg_m`` and ``energy_cost_kcal_kg_km`` (NaN without
        an RER of 0.70-1.00), ``submaximal`` (RER < 1.0, or RER not
        measured) and, with ``runners``, ``pct_vo2max``, ``pct_hrmax``.
        The oxygen cost is as measured on the stage's grade.

    References
    ----------
    .. [1] SCIENCE.md §5 (oxygen cost, energy equivalents; compare below RER 1.0).
    """
    if equation not in ("weir", "peronnet"):
        raise ValueError(
            "The 'equation' parameter of lab_metrics must be one of 'weir', 'peronnet'. "
            f"Got {equation!r} instead."
        )
    st = lab_tests.copy()
    st["runner_id"] = st["runner_id"].astype("object")
    st["date"] = pd.to_datetime(st["date"]).dt.normalize()
    grade = _num(st, "grade_pct")
    st["grade_pct"] = np.where(np.isfinite(grade), grade, 0.0)
    speed = _num(st, "speed_kmh")
    vo2 = _num(st, "vo2_ml_kg_min")
    rer = _num(st, "rer")
    st["o2_cost_ml_kg_km"] = phys.o2_cost(vo2, speed)
    st["energy_cost_j_kg_m"] = phys.energy_cost_j_kg_m(vo2, speed, rer, equation=equation)
    st["energy_cost_kcal_kg_km"] = phys.energy_cost_kcal_kg_km(vo2, speed, rer, equation=equation)
    st["submaximal"] = ~(rer >= 1.0)
    if runners is not None:
        r = runners.drop_duplicates("runner_id")
        r = r.set_index(r["runner_id"].astype("object").rename("rid")).reindex(
            st["runner_id"].to_numpy()
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            st["pct_vo2max"] = vo2 / _num(r, "vo2max_ml_kg_min") * 100.0
            st["pct_hrmax"] = _num(st, "hr_bpm") / _num(r, "hr_max_bpm") * 100.0
    return st.sort_values(["runner_id", "date", "speed_kmh"], kind="stable").reset_index(drop=True)


def lab_economy_at_speed(lab_tests: pd.DataFrame, reference_speed_kmh: float | None = None):
    """Oxygen cost of each lab test day at a common reference speed.

    Each day's submaximal stages (RER < 1.0 or not measured) at the
    runner's most common grade are sorted by speed and VO2 is interpolated
    linearly to the reference speed (VO2 rises close to linearly with
    speed); the oxygen cost there is VO2 / (speed / 60). No extrapolation:
    a reference speed outside a day's stage speeds gives NaN.

    Without ``reference_speed_kmh`` each runner gets their own reference:
    the highest speed that all of that runner's test days cover with
    submaximal stages (the lowest of the days' top submaximal speeds),
    provided it is not below any day's lowest stage; otherwise NaN.

    Parameters
    ----------
    lab_tests : DataFrame
        The dataset's lab_tests frame.
    reference_speed_kmh : float, optional
        One reference speed [km/h] for every runner.

    Returns
    -------
    DataFrame
        One row per runner and test day: ``runner_id``, ``date``,
        ``grade_pct``, ``reference_speed_kmh``, ``reference_source``
        ("given" or "shared submaximal"), ``n_stages`` (submaximal stages
        used), ``min_speed_kmh``, ``max_speed_kmh``, ``vo2_ml_kg_min`` and
        ``o2_cost_ml_kg_km`` at the reference speed, ``energy_cost_j_kg_m``
        interpolated where both neighbouring stages have one, and
        ``residual_sd_ml_kg_km``: the SD of the stages' oxygen cost around
        a straight line in speed (n - 2 degrees of freedom; NaN below 3
        stages), a stage-level noise estimate for confidence intervals.

    References
    ----------
    .. [1] SCIENCE.md §5 ("interpolate each test to a common reference speed
       below threshold (RER < 1.0)").
    """
    if reference_speed_kmh is not None and not (
        np.isscalar(reference_speed_kmh)
        and np.isfinite(reference_speed_kmh)
        and reference_speed_kmh > 0
    ):
        raise ValueError(
            "The 'reference_speed_kmh' parameter of lab_economy_at_speed must be a "
            f"positive number or None. Got {reference_speed_kmh!r} instead."
        )
    columns = [
        "runner_id",
        "date",
        "grade_pct",
        "reference_speed_kmh",
        "reference_source",
        "n_stages",
        "min_speed_kmh",
        "max_speed_kmh",
        "vo2_ml_kg_min",
        "o2_cost_ml_kg_km",
        "energy_cost_j_kg_m",
        "residual_sd_ml_kg_km",
    ]
    if lab_tests is None or len(lab_tests) == 0:
        return pd.DataFrame(columns=columns)
    st = lab_metrics(lab_tests)
    # the runner's most common grade (ties: the lowest grade)
    modal = (
        st.groupby(["runner_id", "grade_pct"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["runner_id", "n", "grade_pct"], ascending=[True, False, True])
        .drop_duplicates("runner_id")
        .set_index("runner_id")["grade_pct"]
    )
    use = st["submaximal"] & (st["grade_pct"] == st["runner_id"].map(modal))
    use &= np.isfinite(st["o2_cost_ml_kg_km"])
    s = st.loc[
        use,
        [
            "runner_id",
            "date",
            "grade_pct",
            "speed_kmh",
            "vo2_ml_kg_min",
            "o2_cost_ml_kg_km",
            "energy_cost_j_kg_m",
        ],
    ]
    days = (
        st[["runner_id", "date"]]
        .drop_duplicates()
        .merge(
            s.groupby(["runner_id", "date"]).agg(
                n_stages=("speed_kmh", "size"),
                min_speed_kmh=("speed_kmh", "min"),
                max_speed_kmh=("speed_kmh", "max"),
            ),
            on=["runner_id", "date"],
            how="left",
        )
    )
    days["grade_pct"] = days["runner_id"].map(modal).to_numpy(dtype=float)
    days["n_stages"] = days["n_stages"].fillna(0).astype(int)

    if reference_speed_kmh is None:
        span = (
            days.loc[days["n_stages"] > 0]
            .groupby("runner_id")
            .agg(top=("max_speed_kmh", "min"), bottom=("min_speed_kmh", "max"))
        )
        ref = span["top"].where(span["top"] >= span["bottom"])
        days["reference_speed_kmh"] = days["runner_id"].map(ref).to_numpy(dtype=float)
        days["reference_source"] = "shared submaximal"
    else:
        days["reference_speed_kmh"] = float(reference_speed_kmh)
        days["reference_source"] = "given"

    vo2_ref = _interpolate_at(days, s, "vo2_ml_kg_min")
    days["vo2_ml_kg_min"] = vo2_ref
    with np.errstate(invalid="ignore", divide="ignore"):
        days["o2_cost_ml_kg_km"] = phys.o2_cost(
            vo2_ref, days["reference_speed_kmh"].to_numpy(dtype=float)
        )
    days["energy_cost_j_kg_m"] = _interpolate_at(days, s, "energy_cost_j_kg_m")
    days["residual_sd_ml_kg_km"] = _residual_sd(days, s)
    return days[columns].sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)


def _interpolate_at(days, stages, column):
    """Linear interpolation of ``column`` at each day's reference speed (no extrapolation)."""
    target = days[["runner_id", "date", "reference_speed_kmh"]].copy()
    target["pos"] = np.arange(len(target))
    ok = np.isfinite(target["reference_speed_kmh"].to_numpy(dtype=float))
    target = target.loc[ok].rename(columns={"reference_speed_kmh": "speed"})
    result = np.full(len(days), np.nan)
    if target.empty or stages.empty:
        return result
    st = stages[["runner_id", "date", "speed_kmh", column]].dropna(subset=[column])
    st = st.rename(columns={"speed_kmh": "speed"}).sort_values("speed")
    target = target.sort_values("speed")
    st_b = st.rename(columns={"speed": "s_below", column: "v_below"})
    st_a = st.rename(columns={"speed": "s_above", column: "v_above"})
    below = pd.merge_asof(
        target,
        st_b.sort_values("s_below"),
        left_on="speed",
        right_on="s_below",
        by=["runner_id", "date"],
        direction="backward",
    )
    above = pd.merge_asof(
        target,
        st_a.sort_values("s_above"),
        left_on="speed",
        right_on="s_above",
        by=["runner_id", "date"],
        direction="forward",
    )
    above = above.set_index("pos").reindex(below["pos"])
    s0, v0 = below["s_below"].to_numpy(dtype=float), below["v_below"].to_numpy(dtype=float)
    s1, v1 = above["s_above"].to_numpy(dtype=float), above["v_above"].to_numpy(dtype=float)
    x = below["speed"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(s1 > s0, (x - s0) / (s1 - s0), 0.0)
        value = v0 + w * (v1 - v0)
    result[below["pos"].to_numpy()] = value
    return result


def _residual_sd(days, stages):
    """SD of stage oxygen cost around a per-day straight line in speed (ddof = 2)."""
    if stages.empty:
        return np.full(len(days), np.nan)
    g = stages.assign(
        x=stages["speed_kmh"].astype(float),
        y=stages["o2_cost_ml_kg_km"].astype(float),
    )
    g["xx"], g["xy"], g["yy"] = g["x"] ** 2, g["x"] * g["y"], g["y"] ** 2
    sums = g.groupby(["runner_id", "date"])[["x", "y", "xx", "xy", "yy"]].sum()
    n = g.groupby(["runner_id", "date"]).size()
    sxx = sums["xx"] - sums["x"] ** 2 / n
    sxy = sums["xy"] - sums["x"] * sums["y"] / n
    syy = sums["yy"] - sums["y"] ** 2 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        ssr = (syy - np.where(sxx > 0, sxy**2 / sxx, 0.0)).clip(lower=0.0)
        sd = np.sqrt(ssr / (n - 2)).where(n >= 3)
    key = pd.MultiIndex.from_frame(days[["runner_id", "date"]])
    return sd.reindex(key).to_numpy(dtype=float)
