"""Per-run inputs of the field model: the design, its reference conditions and the speed offset.

The model itself is described in :mod:`analysis.models.field`.
"""

from __future__ import annotations

import hashlib
import math
import threading

import numpy as np
import pandas as pd
from scipy import special

from analysis.metrics import wall_clock
from analysis.models.serial import _pad, grid_cross_products
from analysis.physiology import ECONOMY_DAY_CV_PCT, daniels_vo2
from analysis.schema import is_control

MIN_STEADY_RUNS = 8
"""Steady runs needed in the baseline and in the block. With a field typical
error of 3-6 % per run (SCIENCE.md section 5) fewer runs give a CI too wide to
say anything about a 2-5 % change."""

DRIFT_ONSET_MIN = 60.0
"""Cardiac drift term: run duration beyond this [min]. Heart rate drifts
upwards at a constant pace after about an hour of running (Coyle &
Gonzalez-Alonso 2001, SCIENCE.md section 6); drift accrues with time, so the
term is in minutes rather than kilometres (about 12 km at easy pace)."""

FULL_BLOCK = float("inf")
"""``ramp_weeks`` of a change that builds up over the whole block."""

HEAT_ONSET_C = 15.0
"""Heat term: air temperature beyond this [degC]. Coaching figures put the HR
cost of heat at about 1 bpm per degC above ~15-20 degC (SCIENCE.md section 6,
no verified constant), so only the onset is fixed; the slope is estimated per
runner. Below the onset air temperature is taken to leave heart rate alone."""

MIN_TEMP_FRACTION = 0.5
"""A runner whose steady runs have a temperature at least this often is
adjusted for temperature; a steady run without one takes the temperature of
the runner's runs within ``TEMP_FILL_DAYS`` (:func:`nearby_temperature`), and
is left out ("no temperature") where there is none; below this fraction the
temperature term is dropped and a warning says so. Imputing the missing
temperatures with the runner's median would put the warming season into the
residual of exactly those runs and bias the ramp."""

TEMP_FILL_DAYS = 3
"""A steady run without a temperature takes the mean of the temperatures of the
runner's nearest runs before and after it (any run with one, the same day
included) at most this many days away (:func:`nearby_temperature`), unless it
looks indoors (no climbing at all: :func:`_no_climbing`)."""

FIELD_TERMS = (
    "ramp",
    "heat_c_dev",
    "drift_min_dev",
    "device_dev",
    "shoes_dev",
    "post_strength_dev",
    "clock_dev",
)
"""Regressors of the field model, in order (``ramp`` always)."""

NO_POST_STRENGTH = -1.0
"""``post_strength_days`` of a model without a residual-fatigue term (the
documented design; its column is 0 on every run, so the term drops out)."""

POST_STRENGTH_DAYS = NO_POST_STRENGTH
"""The documented residual-fatigue design: none (see ``POST_STRENGTH_WINDOWS``)."""

POST_STRENGTH_WINDOWS = (1.0, 2.0, 3.0)
"""Residual fatigue after strength work: a run on the day of a strength session
or up to this many days after it [days] gets the runner's own offset
(``post_strength_dev``). A session of heavy or explosive lower-body work leaves
residual fatigue that raises the oxygen cost of running for hours to days
(Doma, Deakin & Bentley 2017, a review): the cost of running was higher the
day after a strength session (Doma & Deakin 2013) and for up to 48 h after one
(Doma et al. 2019). A strength runner runs on such days through the block but
not in the baseline, so that fatigue would read as worse economy. ``analyze``
adds the term only where the squad's runs show it
(:func:`choose_post_strength`); 2 days unless 1 or 3 fits better."""

POST_STRENGTH_WINDOW = 2.0
"""The window compared first with the others (48 h, Doma et al. 2019)."""

POST_STRENGTH_CANDIDATES = (NO_POST_STRENGTH, *POST_STRENGTH_WINDOWS)
"""What ``analyze`` compares: no term, or one of the windows."""

NO_SHARED_FATIGUE = 0.0
"""``post_strength_shared`` of a model without the squad's shared residual fatigue."""

NO_LOAD = 0.0
"""``load_scale`` of a model in which heart rate at a given pace does not move
with the runner's own training load (the documented design)."""

LOAD_SCALES = tuple(round(0.0125 * k, 4) for k in range(25))
"""Candidate ``load_scale`` values (:func:`choose_load_scale`): the log oxygen
cost read from heart rate falls by ``load_scale`` times the relative rise of the
runner's recent running (``load_dev``): at 0.15, running 10 % more over the last
weeks reads as 1.5 % better economy."""

LOAD_TAU_DAYS = 28.0
"""Time constant of the recent running load [days] (:func:`training_load_deviation`):
between the week or two in which plasma volume follows training (Convertino
1991) and the 40-45 days of Banister's fitness (Banister et al. 1975)."""

SHARED_FATIGUE_OFFSETS = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04)
"""Log offsets of the cost of a run in the window after a strength session, one
for the whole squad, that :func:`choose_shared_fatigue` compares: 0 to about 4 %
in steps of 0.5-1 % (single heavy or plyometric sessions raised the cost of
running by 2-6 % for a day or two in the studies Doma, Deakin & Bentley 2017
review; less in trained runners used to the work). None below 0: fatigue raises
the cost, and after a block's first weeks most of its runs follow a session, so
a negative offset would take up an early improvement in economy (a change
complete 4 weeks into the block read 0.81 pp too small with -1 % learned,
``tests/models/test_prepare.py``)."""


NO_CLOCK = -1.0
"""``clock_peak_h`` of a model without a time-of-day term (the documented design)."""

CLOCK_PEAK_H = 17.0
"""Time-of-day term: heart rate in exercise keeps the body's daily rhythm, lowest
in the early morning and highest in the late afternoon (Reilly, Robinson &
Minors 1984; Reilly & Brooks 1990: a few beats per minute peak to trough in
submaximal exercise, oxygen uptake without the rhythm), with core temperature
peaking at about 17:00-18:00 (Refinetti & Menaker 1992). A runner whose runs
move to the morning in the block (light mornings in spring, an evening gym
session) would read the lower morning heart rate as better economy: on a
held-out generator's squads whose strength runners ran 70 % of their block in
the morning (15 % in the baseline; controls 35 %), the strength runners'
change was biased by -0.67 pp (20 squads). Where the squad's runs show it
(:func:`choose_clock`), each runner's runs get ``b_clock * clock_dev``, the
cosine of the run's middle hour against this peak, centred at the runner's
baseline: the runner's own amplitude, the squad's phase. The phase is fixed:
on those squads with each runner's peak drawn around 14:00 or 20:00 instead
of 16:30 the bias was -0.14 and +0.02 pp (docs/HELDOUT_CHECK.md)."""

CLOCK_CANDIDATES = (NO_CLOCK, CLOCK_PEAK_H)
"""What ``analyze`` compares: no time-of-day term, or the cosine peaking at 17:00."""


def clock_words(peak) -> str:
    """The time-of-day design in words: "heart rate's daily rhythm (highest at
    17:00)", or "no time-of-day term"."""
    try:
        peak = float(peak)
    except (TypeError, ValueError):
        peak = NO_CLOCK
    if not np.isfinite(peak) or peak < 0:
        return "no time-of-day term"
    return f"heart rate's daily rhythm (highest at {clock_time(peak)})"


def clock_time(hour: float) -> str:
    """An hour of the day as a clock reads it: 17.0 -> "17:00", 29.5 -> "05:30"."""
    hours, minutes = divmod(round((float(hour) % 24.0) * 60), 60)
    return f"{hours % 24:02d}:{minutes:02d}"


def clock_hours(m: pd.DataFrame) -> np.ndarray:
    """Each run's middle as hours after local midnight (0 to 24): its start's wall
    clock plus half its duration; NaN where the log gives a date without a time
    (a start at exactly midnight) or no date."""
    at = wall_clock(m["date"])  # a time zone dropped, unreadable or mixed dates read each alone
    at.index = m.index
    since = (at - at.dt.normalize()) / pd.Timedelta(hours=1)
    since = since.to_numpy(dtype=float, copy=True)
    since[since == 0.0] = np.nan  # a date alone: no time of day
    half = pd.to_numeric(m["duration_s"], errors="coerce").to_numpy(dtype=float) / 7200.0
    return np.mod(since + np.where(np.isfinite(half), half, 0.0), 24.0)


def clock_deviation(m: pd.DataFrame, peak: float) -> np.ndarray:
    """``cos(2 pi (hour - peak) / 24)`` of each run's middle (:func:`clock_hours`),
    less the runner's median over its baseline runs in the model (all its runs in
    the model when the baseline has none with a time); 0 without a time of day
    and everywhere for ``NO_CLOCK``. ``m``: :func:`prepare_runs`' frame
    (``runner_id``, ``date``, ``duration_s``, ``used``, ``period``)."""
    if not np.isfinite(peak) or peak < 0:
        return np.zeros(len(m))
    value = pd.Series(np.cos(2.0 * np.pi * (clock_hours(m) - float(peak)) / 24.0), index=m.index)
    used = m["used"].astype(bool) & value.notna()
    runner = m["runner_id"]
    overall = value.where(used).groupby(runner).median()
    base = value.where(used & m["period"].eq("baseline")).groupby(runner).median()
    ref = base.fillna(overall).reindex(runner.to_numpy()).to_numpy(dtype=float)
    dev = value.to_numpy(dtype=float) - ref
    return np.where(np.isfinite(dev), dev, 0.0)


def post_strength_words(days) -> str:
    """The residual-fatigue design in words: "the day of a strength session and the
    2 days after it", or "no residual-fatigue term" (``NO_POST_STRENGTH``, or a
    missing value)."""
    try:
        days = float(days)
    except (TypeError, ValueError):
        days = NO_POST_STRENGTH
    if not np.isfinite(days) or days < 0:
        return "no residual-fatigue term"
    after = "the day after it" if days == 1 else f"the {days:g} days after it"
    return f"the day of a strength session and {after}"


def post_strength_indicator(days_after, days: float) -> np.ndarray:
    """1.0 on a run on the day of one of its runner's strength sessions or up to
    ``days`` days after it (``days_after``: :func:`analysis.metrics.days_after_strength`),
    else 0 (also before the runner's first session; everywhere for
    ``NO_POST_STRENGTH``)."""
    after = pd.to_numeric(pd.Series(days_after), errors="coerce").to_numpy(dtype=float)
    return (after <= float(days)).astype(float)


def choose_post_strength(per_runner: dict[float, dict[str, float]]) -> tuple[float, dict]:
    """Whether, and over how many days, the squad's runs show residual fatigue
    after strength sessions: ``(post_strength_days, summed log-likelihoods)``.

    ``per_runner``: :func:`choice_logliks` of ``POST_STRENGTH_CANDIDATES``. The
    window is chosen among ``POST_STRENGTH_WINDOWS`` as the other design choices
    are (:func:`choose_from`, ``POST_STRENGTH_WINDOW`` unless another fits better).
    The term is one coefficient per runner who has it (a runner without strength
    sessions in the window has none, and the same likelihood either way), so it
    is kept only when the summed gain over no term beats a likelihood-ratio test
    at 1 % with that many degrees of freedom, also without its most favourable
    runner (the influence check of :func:`choose_from`). An extra coefficient
    per runner would otherwise be kept by chance (its expected gain is 1/2 per
    runner) and cost precision where there is no such fatigue: on our simulated
    squads, which have none, an always-present term raised the strength
    runners' mean absolute error from 1.10 to 1.19 pp (120 runners).

    References
    ----------
    .. [1] Doma K, Deakin GB (2013). The effects of strength training and
       endurance training order on running economy and performance. Appl
       Physiol Nutr Metab 38:651-656.
    .. [2] Doma K, Deakin GB, Bentley DJ (2017). Implications of impaired
       endurance performance following single bouts of resistance training:
       an alternate concurrent training perspective. Sports Med,
       doi:10.1007/s40279-017-0758-3.
    .. [3] Doma K, Nicholls A, Gahreman D, Damas F, Libardi CA, Sinclair W
       (2019). The effect of a resistance training session on physiological
       and thermoregulatory measures of sub-maximal running performance in the
       heat in heat-acclimatized men. Sports Med Open 5:21.
    """
    return _runner_term_choice(per_runner, NO_POST_STRENGTH, POST_STRENGTH_WINDOW)


def post_strength_window(per_runner: dict[float, dict[str, float]]) -> float:
    """The window of residual fatigue that fits the squad's runs best
    (:func:`choose_from` among ``POST_STRENGTH_WINDOWS``: ``POST_STRENGTH_WINDOW``
    unless another fits better), kept term or not."""
    options = {k: v for k, v in per_runner.items() if k != NO_POST_STRENGTH}
    return choose_from(options, POST_STRENGTH_WINDOW)[0] if options else POST_STRENGTH_WINDOW


def choose_load_scale(per_runner: dict[float, dict[str, float]]) -> float:
    """How much the runners' own recent running moves the cost read from heart
    rate: the ``LOAD_SCALES`` value under which the squad's runs fit best
    (``per_runner``: :func:`choice_logliks` of ``"load_scale"``), moved from
    ``NO_LOAD`` only by a likelihood-ratio test at 1 % that no single runner
    carries (:func:`choose_from`), one number for the squad.

    Heart rate at a given pace falls as training raises VO2max and plasma
    volume (Convertino 1991; fitness in Banister et al. 1975's
    impulse-response model) and as accumulated fatigue suppresses it (Le Meur
    et al. 2013), so a runner who ran more in the last weeks reads as more
    economical. The control reference takes out what the two groups share,
    not what differs between them: on the seventh generator's squads
    (``benchmarks/training_load_scenarios.py``, written blind), strength
    runners who dropped an easy run a week read 2.4 pp too bad, and runners
    whose own load rose or fell by up to 40 % read up to 2 pp too good or
    bad. The offset is learned from what each runner's ramp does not take up
    (deload weeks, tapers, illness, a load that rises and falls within the
    block) and from the controls, whose true change is 0. Where heart rate
    does not move with load (our simulator), the test keeps it at 0.
    """
    return choose_from(per_runner, NO_LOAD)[0]


def choose_shared_fatigue(per_runner: dict[float, dict[str, float]]) -> float:
    """The squad's shared residual fatigue after strength sessions: the log offset
    of ``SHARED_FATIGUE_OFFSETS`` under which the runs fit best, summed over the
    runners with runs in the window (``per_runner``: :func:`choice_logliks` of
    ``"post_strength_shared"``), learned from the data without a test.

    Where the test of one coefficient per runner (:func:`choose_post_strength`)
    keeps no term, the cost of a run in the window was taken to be that of
    any other run: a constant, 0, that matched our simulator, whose runners
    have no such fatigue. Fatigue small in each run but on every strength
    runner's runs goes unseen by a test that spends a degree of freedom on each
    runner, and it reads as worse economy because the runs after sessions are
    all in the block: on a blind generator's squads with +1.5 % the day after an
    evening session and +0.7 % the day after that (``docs/COACHING_CHECK.md``),
    the runner's term entered in 1 of the first 10 squads, and over 20 more the
    strength runners' change read 0.60 pp too high (SE 0.15); a test of one
    shared coefficient at 1 % entered in 2 of the 10. One offset for the
    squad, learned, costs one number: 0.60 -> 0.08 pp there (mean absolute
    error 1.16 -> 1.07, detection of a -3 % change 65 -> 86 %). On our
    simulated squads, which have no such fatigue (``docs/VALIDATION.md``, 36
    scenarios x 40 squads), the strength runners' bias moved by -0.02 to
    -0.16 pp (the offset cannot go below 0, so with no fatigue it is 0 or a
    little above) and their mean absolute error by -0.04 to +0.05 pp. The
    window is :func:`post_strength_window`'s."""
    loglik = {k: float(sum(v.values())) for k, v in per_runner.items()}
    finite = {k: v for k, v in loglik.items() if np.isfinite(v) and v != 0.0}
    if NO_SHARED_FATIGUE not in finite:
        return NO_SHARED_FATIGUE
    return float(max(finite, key=lambda k: (finite[k], -abs(k))))


def choose_clock(per_runner: dict[float, dict[str, float]]) -> tuple[float, dict]:
    """Whether the squad's runs show heart rate's daily rhythm: ``(clock_peak_h,
    summed log-likelihoods)``, ``CLOCK_PEAK_H`` or ``NO_CLOCK``.

    ``per_runner``: :func:`choice_logliks` of ``CLOCK_CANDIDATES``. The term is one
    coefficient per runner whose runs have a time of day, so it is kept only when
    the summed gain beats a likelihood-ratio test at 1 % with that many degrees of
    freedom, also without its most favourable runner, as
    :func:`choose_post_strength` is.

    References
    ----------
    .. [1] Reilly T, Robinson G, Minors DS (1984). Some circulatory responses to
       exercise at different times of day. Med Sci Sports Exerc 16(5):477-482.
    .. [2] Reilly T, Brooks GA (1990). Selective persistence of circadian rhythms
       in physiological responses to exercise. Chronobiol Int 7(1):59-67.
    .. [3] Refinetti R, Menaker M (1992). The circadian rhythm of body
       temperature. Physiol Behav 51(3):613-637.
    """
    return _runner_term_choice(per_runner, NO_CLOCK, CLOCK_PEAK_H)


def _runner_term_choice(per_runner, none_key: float, default: float) -> tuple[float, dict]:
    """A term with one coefficient per runner who has it: the best candidate
    (:func:`choose_from` among those other than ``none_key``), kept only when its
    summed gain over ``none_key`` beats a likelihood-ratio test at 1 % with one
    degree of freedom per runner with a gain, also without its most favourable
    runner; else ``none_key``."""
    loglik = {k: float(sum(v.values())) for k, v in per_runner.items()}
    options = {k: v for k, v in per_runner.items() if k != none_key}
    none = per_runner.get(none_key, {})
    if not options or not none:
        return none_key, loglik
    best, _ = choose_from(options, default)
    if best not in per_runner or not np.isfinite(loglik.get(best, np.nan)):
        return none_key, loglik
    gains = [per_runner[best][r] - none[r] for r in per_runner[best] if r in none]
    gains = [g for g in gains if np.isfinite(g) and g != 0.0]  # runners with the term
    k = len(gains)
    if k == 0:
        return none_key, loglik
    total = float(sum(gains))
    if total <= float(special.chdtri(k, 0.01)) / 2.0:
        return none_key, loglik
    if k >= MIN_RUNNERS_FOR_INFLUENCE and (
        total - max(gains) <= float(special.chdtri(k - 1, 0.01)) / 2.0
    ):
        return none_key, loglik
    return best, loglik


SPEED_OFFSET = "speed_cost_dev"
"""The speed adjustment: a fixed offset, not a regressor (module docstring)."""

SPEED_SCALE = 1.0
"""The speed offset's documented curve: Daniels & Gilbert's cost per km, which
rises about 13 % from 9 to 15 km/h (SCIENCE.md section 1). Its multiple
``speed_scale`` is learned from the squad (:func:`choose_speed_scale`)."""

SPEED_SCALE_CANDIDATES = tuple(k / 4.0 for k in range(-6, 7))
"""Multiples of Daniels' log cost-per-km curve :func:`choose_speed_scale`
compares, -1.5 to 1.5 in steps of 0.25: 0 is cost per km the same at every
speed (di Prampero 1986), about -0.3 the slight fall of ACSM's running
equation or Leger & Mercier (1984). The curve is that of the cost read from
heart rate, so a heart rate-VO2 line other than the documented one bends it
further: on the blind generator's squads (individual lines meeting zero
uptake above rest; ``docs/BLIND_CHECK.md``) the between-type multiple was
-0.4 to -0.9 (SE 0.07), and a grid ending at -0.5 (until 2026-12-05) held
every squad there (strength runners' bias -0.26 pp; -0.12 with this grid)."""


def curve_words(scale) -> str:
    """The cost-speed curve of multiple ``scale`` in words, as every text names it:
    "Daniels' cost-speed curve" (1, also for a missing value), "the same oxygen
    cost per kilometre at every speed" (0), else "0.5 times Daniels' cost-speed
    curve"."""
    if scale is None or not np.isfinite(scale) or scale == SPEED_SCALE:
        return "Daniels' cost-speed curve"
    if scale == 0.0:
        return "the same oxygen cost per kilometre at every speed"
    return f"{scale:g} times Daniels' cost-speed curve"


SPEED_FLOOR_M_MIN = 60.0
"""Grade-adjusted speeds below this [m/min] (3.6 km/h, walking) enter the
speed offset at this speed: Daniels' curve is fitted to running speeds and
its cost per km turns negative below about 25 m/min."""

CONFOUNDERS = (*FIELD_TERMS[1:], SPEED_OFFSET)
"""The confounders adjusted for by default: ``heat_c_dev`` (air temperature
above ``HEAT_ONSET_C``) and ``drift_min_dev`` (run time beyond
``DRIFT_ONSET_MIN``), each centred at the runner's baseline median with a
coefficient estimated per runner, ``device_dev`` (1 on runs recorded by a
device other than the runner's baseline one, :func:`device_indicator`: that
device's heart-rate offset, estimated per runner where the runner has such
runs), and ``speed_cost_dev`` (the Daniels &
Gilbert cost per km at the run's grade-adjusted speed relative to the
baseline median speed), a fixed offset."""

Z_COLUMNS = 2 + len(FIELD_TERMS)  # response, intercept, regressors

_DAY = pd.Timedelta(days=1)


def daniels_cost_log_ratio(gas_m_min, reference_gas_m_min):
    """Log ratio of Daniels & Gilbert oxygen cost per km at two speeds.

    ``log(c(v) / c(v_ref))`` with ``c(v) = daniels_vo2(v) / v`` [ml/kg/m]:
    how much more oxygen a kilometre costs at ``v`` than at ``v_ref`` for a
    runner whose economy is a constant multiple of Daniels' curve. Speeds
    below ``SPEED_FLOOR_M_MIN`` are taken at that speed.

    Parameters
    ----------
    gas_m_min, reference_gas_m_min : float or array-like
        Grade-adjusted speed of the run and the reference speed [m/min].

    Returns
    -------
    ndarray
        The log ratio (0 at the reference speed; about +0.1 from 150 to
        250 m/min).

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power: Performance Tables for Distance
       Runners (1979); SCIENCE.md section 1.
    """
    v = np.maximum(np.asarray(gas_m_min, dtype=float), SPEED_FLOOR_M_MIN)
    v_ref = np.maximum(np.asarray(reference_gas_m_min, dtype=float), SPEED_FLOOR_M_MIN)
    return np.log(daniels_vo2(v) / v) - np.log(daniels_vo2(v_ref) / v_ref)


_METRIC_COLUMNS = (
    "run_id",
    "runner_id",
    "date",
    "distance_km",
    "duration_s",
    "avg_hr_bpm",
    "temp_c",
    "gas_m_min",
    "o2_cost_ml_kg_km",
    "steady",
    "exclude_reason",
)


def _ramp(day: pd.Series, start: pd.Series, end: pd.Series, ramp_weeks: float) -> pd.Series:
    """Day-level ramp: 0 up to ``start``, 1 from ``end`` (or ``ramp_weeks`` into
    the block) on, linear in between. A negative ``ramp_weeks`` is a delayed
    change: 0 for the first ``-ramp_weeks`` weeks of the block (at most all but
    its last week), then linear to 1 at ``end``."""
    span = (end - start).where(end > start, _DAY)
    if ramp_weeks < 0:
        delay = (span - pd.Timedelta(weeks=1)).clip(
            lower=pd.Timedelta(0), upper=pd.Timedelta(weeks=-ramp_weeks)
        )
        start = start + delay
        span = span - delay
    elif np.isfinite(ramp_weeks):
        span = span.clip(upper=pd.Timedelta(weeks=ramp_weeks))
    return ((day - start) / span).clip(lower=0.0, upper=1.0).astype(float)


def _heat_dev(temp: pd.Series, ref_temp: pd.Series, use_temp, onset: float) -> np.ndarray:
    """Degrees above the heat onset, relative to the runner's reference temperature."""

    def heat(t):
        return (t - onset).clip(lower=0.0)

    return np.where(use_temp, heat(temp) - heat(ref_temp), 0.0)


OUT_OF_LINE_SDS = 4.5
"""A steady run whose oxygen cost lies more than this many robust SDs from a
least-squares line through its runner's runs (:func:`_out_of_line`) is left
out of the model."""

SCREEN_MIN_SD = ECONOMY_DAY_CV_PCT / 100.0
"""The screen's robust SD is never taken below economy's own day-to-day CV
(2 %, :data:`analysis.physiology.ECONOMY_DAY_CV_PCT`): no field estimate
scatters less, so a smaller MAD (heart rates filled in by an app, every run at
the same heart rate) says the runs lie on the design, not that they are precise."""

OUT_OF_LINE = "heart rate out of line with the other runs (sensor error or not steady?)"
"""Its reason (``excluded_reasons``): on real exports the runs it finds are as
often sessions that were not steady (track intervals a summary-only import
cannot recognise) as sensor errors."""

SCREEN_MIN_RUNS = 12
"""Runners with fewer steady runs are not screened (too few for a robust SD)."""

SCREEN_PASSES = 10
"""The screen refits without the runs it put out of line until the set stops
changing, at most this many times."""

SCREEN_SPEED_M_MIN = 200.0
"""Reference speed of the screen's speed term (any constant: the fit has an intercept)."""


def _out_of_line(runner_id, used, log_cost, ramp, heat, drift, speed) -> np.ndarray:
    """Steady runs whose heart rate is out of line with the runner's other runs:
    optical sensors lock onto the step rate or lose contact for part of a run
    (Gillinov et al. 2017), and one such run moves a runner's answer.

    Per runner, the log oxygen cost of the steady runs is regressed by least
    squares on the field model's terms under the documented choices (the ramp
    over the whole block, heat above ``HEAT_ONSET_C``, drift beyond
    ``DRIFT_ONSET_MIN``) and on Daniels' speed term with a free coefficient, so
    that the screen is the same whatever design the squad's data later favour.
    Each run's deviation is read as a fraction of its fitted cost,
    ``exp(residual) - 1``: the cost is linear in heart rate, so a heart rate
    off by so many beats moves it by the same fraction either way, where the
    log would stretch the low side (on clean squads the log's residuals were
    skewed, -0.14, and the rule took mostly genuinely low runs). A run whose
    deviation from the runner's median exceeds ``OUT_OF_LINE_SDS`` robust SDs
    (1.4826 x the median absolute deviation, Rousseeuw & Croux 1993; never
    below ``SCREEN_MIN_SD``) is out of line; the fit is then made again
    without those runs and the rule applied to its residuals, until the set
    stops changing (at most ``SCREEN_PASSES`` fits; a run can come back when
    the fit without the others no longer puts it out of line). With artefacts
    in 8 % of runs, refitting until stable found 86 % of them against 83 %
    after one refit (review of 2026-12-05). The first fit includes the run
    itself: it is not a leave-one-out prediction.

    Why 4.5 and not Iglewicz & Hoaglin's (1993) 3.5 for modified z-scores: a
    robust SD from a few dozen serially correlated runs is itself uncertain,
    and clean simulated runs have heavier tails than a normal (8 of 14,401
    beyond 4 robust SDs, against 1 expected). The cut-off was chosen among 4,
    4.5 and 5 on the independent generator's artefact scenario (cadence locks
    of 8-25 bpm in 6 % of runs, dropouts of 5-15 bpm in 2 %; 45 squads of 16),
    then checked on 30 squads not used to choose it: strength runners' mean
    absolute error 1.50 pp without the screen, 1.41 at 4.5, 1.43 at 5 (the
    earlier rule, 4 SDs of the log: 1.36), called improved 107, 139, 129
    (140) of 240. On clean data it is nearly inert: 5 of 31,666 runs in 30
    clean squads of that generator (the earlier rule 15), 4 of 71,139 in the
    clean 1,000-runner benchmark squad (the earlier rule 47, most of them low),
    none of 150 clean heart-rate paced runners (the earlier rule took 7 of 59
    runs from one control and called it improved; review of 2026-12-05). On
    our simulator's artefact scenario (40 squads of 16) the strength runners'
    MAE and detection of a -3 % change are in ``docs/VALIDATION.md``. With a
    robust SD of 3 % of the cost (our simulator; 2 % is the floor; 3.5-4.9 %
    on a real summary-only export), 4.5 SDs are 14-22 % of the cost, some
    14-22 bpm at a typical heart-rate reserve: what a sensor locked onto the
    step rate gives. Where it fails (review of 2026-12-05): smaller artefacts
    stay in; artefacts bunched in one period (a new watch reading 10-25 % high
    for much of the block) look like a change and are not found (+6.9 pp);
    with 30 % of runs affected it finds few; a run alone in its conditions
    (the only run above the heat onset or beyond the drift onset) has its own
    term absorb its error, so an artefact on it is not caught (0 of 500 with
    one such run, 58 % with five); a heat wave in a squad without
    temperatures is left out under this reason; and with heavier-tailed clean
    noise (t, 4 df) 0.6-0.7 % of clean runs go. At 4.5 rather than 5, 16
    rather than 2 of 151,192 clean simulated runs went (36 squads of 60), and
    4 of 2,160 runners' verdicts moved between "no meaningful change" and
    "inconclusive" (largest move 0.59 pp). Runners with fewer than
    ``SCREEN_MIN_RUNS`` steady runs are not screened.

    Returns a boolean array over the runs (False where not screened).
    """
    out = np.zeros(len(used), dtype=bool)
    codes = pd.factorize(pd.Series(runner_id).astype(str))[0]
    columns = np.column_stack([np.ones(len(used)), ramp, heat, drift, speed])
    ok = used & np.isfinite(log_cost) & np.isfinite(columns).all(axis=1)
    rows = np.flatnonzero(ok)
    rows = rows[np.argsort(codes[rows], kind="stable")]
    group = codes[rows]
    counts = np.bincount(group, minlength=codes.max() + 1 if len(codes) else 0)
    rows = rows[counts[group] >= SCREEN_MIN_RUNS]
    if not len(rows):
        return out
    group = pd.factorize(codes[rows])[0]  # 0..k-1, contiguous
    starts = np.flatnonzero(np.r_[True, np.diff(group) != 0])
    x, y = columns[rows], log_cost[rows]
    outer = x[:, :, None] * x[:, None, :]
    keep = np.ones(len(rows), dtype=bool)
    for _ in range(SCREEN_PASSES):  # least squares per runner, all runners at once
        w = keep.astype(float)
        xtx = np.add.reduceat(outer * w[:, None, None], starts)
        xty = np.add.reduceat(x * (w * y)[:, None], starts)
        beta = np.einsum("kij,kj->ki", np.linalg.pinv(xtx), xty)
        with np.errstate(over="ignore"):  # an absurd cost is inf off: out of line
            off = np.expm1(y - np.einsum("ij,ij->i", x, beta[group]))  # fraction of the fit
        kept = pd.Series(np.where(keep, off, np.nan))
        centre = kept.groupby(group).transform("median").to_numpy()
        spread = (kept - centre).abs().groupby(group).transform("median").to_numpy()
        scale = np.maximum(1.4826 * spread, SCREEN_MIN_SD)
        again = np.abs(off - centre) <= OUT_OF_LINE_SDS * scale
        if (again == keep).all():
            break
        keep = again
    out[rows[~keep]] = True
    return out


def prepare_runs(
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    heat_onset_c: float = HEAT_ONSET_C,
    ramp_weeks: float = FULL_BLOCK,
    speed_scale: float = SPEED_SCALE,
    post_strength_days: float = POST_STRENGTH_DAYS,
    clock_peak_h: float = NO_CLOCK,
    post_strength_shared: float = NO_SHARED_FATIGUE,
    load_scale: float = NO_LOAD,
) -> pd.DataFrame:
    """Per-run inputs of the field model, for every runner at once.

    Parameters
    ----------
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` rows (any number of runners).
    blocks : DataFrame
        :func:`analysis.blocks.runner_blocks` rows (``runner_id``,
        ``block_start``, ``block_end``, ``baseline_start``).
    heat_onset_c : float, keyword-only
        Air temperature above which heat raises heart rate [degC] (default
        ``HEAT_ONSET_C``; :func:`choose_heat_onset` learns it from a squad;
        ``LINEAR_HEAT`` makes the heat term linear across every temperature).
    ramp_weeks : float, keyword-only
        Weeks over which the change builds up from ``block_start`` before it
        plateaus (default ``FULL_BLOCK``: a ramp over the whole block;
        :func:`choose_time_course` learns it); negative: no change for the
        first ``-ramp_weeks`` weeks, then a ramp to the block's end. The ramp
        reaches 1 at the plateau or the end, so its coefficient is always the
        change at the block end.
    speed_scale : float, keyword-only
        The speed offset is this multiple of Daniels & Gilbert's log cost
        ratio (default ``SPEED_SCALE``, 1: their curve; 0: cost per km the
        same at every speed; below 0: falling with speed;
        :func:`choose_speed_scale` learns it).
    post_strength_days : float, keyword-only
        A run on the day of a strength session or up to this many days after it
        has ``post_strength_dev`` 1, from the metrics' ``days_after_strength``
        (default ``NO_POST_STRENGTH``: no such term; ``analyze`` learns it).
    clock_peak_h : float, keyword-only
        ``clock_dev`` is the cosine of each run's middle hour against this peak,
        centred at the runner's baseline (:func:`clock_deviation`; default
        ``NO_CLOCK``: no such term; ``analyze`` learns it).
    post_strength_shared : float, keyword-only
        The squad's shared residual fatigue (:func:`choose_shared_fatigue`): a
        log offset of the cost of a run in the ``post_strength_days`` window,
        taken out of every runner's runs with the speed offset
        (``speed_cost_dev`` holds both), instead of the runner's own
        ``post_strength_dev`` (then 0; default ``NO_SHARED_FATIGUE``: none).
    load_scale : float, keyword-only
        How much the runner's recent running load moves the cost read from
        heart rate (:func:`choose_load_scale`): ``load_scale * load_dev`` is
        added back to each run's log cost with the speed offset
        (``speed_cost_dev`` holds both; default ``NO_LOAD``: none).

    Returns
    -------
    DataFrame
        One row per run of a runner in ``blocks``, sorted by runner and date,
        with the metric columns plus: ``period`` (``baseline``, ``block`` or
        ``outside`` the analysis window), ``in_window``, ``used`` (enters the
        model), ``reason`` (why an in-window run was left out, else ``""``),
        ``ramp``, ``log_o2_cost``, the regressors centred at the runner's
        reference conditions ``heat_c_dev`` and ``drift_min_dev``, the speed
        offset ``speed_cost_dev`` (:func:`daniels_cost_log_ratio`), the reference conditions (baseline medians of the
        runs in the model) ``reference_temp_c``, ``reference_minutes`` and
        ``reference_gas_m_min``, and ``use_temp`` (the runner's runs mostly
        have a temperature; see ``MIN_TEMP_FRACTION``). Where ``use_temp``, a
        steady run's empty ``temp_c`` holds the temperature the model uses,
        from the runner's runs within ``TEMP_FILL_DAYS`` (``temp_filled``
        True; :func:`nearby_temperature`). ``shoes_dev`` marks runs in shoes
        other than the runner's baseline ones (:func:`shoes_indicator`), and
        ``load_dev`` is the runner's recent running load against its
        baseline's (:func:`training_load_deviation`).
    """
    missing = [c for c in _METRIC_COLUMNS if c not in metrics.columns]
    if missing:
        raise ValueError(
            "The 'metrics' parameter of prepare_runs must have the run_metrics columns; "
            f"missing {missing}."
        )
    weeks = float(ramp_weeks)
    if not (weeks == FULL_BLOCK or (np.isfinite(weeks) and weeks != 0)):
        raise ValueError(
            "The 'ramp_weeks' parameter of prepare_runs must be inf (a ramp over the whole "
            "block), a positive number of weeks (a plateau) or a negative one (a late start). "
            f"Got {ramp_weeks!r} instead."
        )
    m = _prepared_base(metrics, blocks)
    # the design's columns (the rest does not depend on it)
    if weeks != FULL_BLOCK:
        day = pd.to_datetime(m["date"]).dt.normalize()
        start, end = pd.to_datetime(m["block_start"]), pd.to_datetime(m["block_end"])
        m["ramp"] = _ramp(day, start, end, ramp_weeks)
    temp = m["temp_c"]
    m["heat_c_dev"] = _heat_dev(temp, m["reference_temp_c"], m["use_temp"], heat_onset_c)
    after = (
        post_strength_indicator(m["days_after_strength"], post_strength_days)
        if "days_after_strength" in m.columns
        else np.zeros(len(m))
    )
    shared = float(post_strength_shared)
    m["post_strength_dev"] = after * 0.0 if shared else after
    m["clock_dev"] = clock_deviation(m, clock_peak_h)
    gas = pd.to_numeric(m["gas_m_min"], errors="coerce").astype(float)
    m["speed_cost_dev"] = speed_scale * daniels_cost_log_ratio(
        gas.where(gas > 0), m["reference_gas_m_min"]
    )
    if shared:  # a fixed offset as the speed curve's (the squad's, not a coefficient)
        m["speed_cost_dev"] = m["speed_cost_dev"] + shared * after
    if float(load_scale):  # more recent running reads as a lower cost: taken back out
        m["speed_cost_dev"] = m["speed_cost_dev"] - float(load_scale) * m["load_dev"]
    return m


_BASE_CACHE: dict[str, tuple[pd.DataFrame, int]] = {}
""":func:`_prepared_base` by the content of its inputs, newest last: (frame, bytes)."""

_BASE_LOCK = threading.Lock()

_BASE_CACHE_SIZE = 4
"""Frames :func:`_prepared_base` always keeps: a squad's choice passes, fits and
control references prepare the same runs under up to a dozen designs."""

_BASE_CACHE_BYTES = 64 * 2**20
"""More frames are kept while they hold no more than this together: ``analyze``
in chunks of runners prepares every chunk under each design in turn, so with
more than ``_BASE_CACHE_SIZE`` chunks a cache of that many frames kept none of
them (a 20-runner squad in chunks of 4 took 2.5 times as long as in one). A
prepared runner takes about 28 KB, so every chunk is kept up to about 2,000
runners in chunks of 500; above that the chunks pass through in the same order
again and miss as before, and the process holds up to this much more than the
four frames it kept before."""


def _prepared_base(metrics: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """:func:`prepare_runs`' frame without the design's columns (which hold
    placeholders), a copy of the one computed last for the same inputs.

    Only five columns depend on the design (``ramp``, ``heat_c_dev``,
    ``post_strength_dev``, ``clock_dev``, ``speed_cost_dev``), while the run
    selection, the reference conditions and the filled temperatures, three
    quarters of the time, do not. ``analyze`` prepares the same squad under
    up to a dozen designs (each learned choice, the fits, the control
    reference, the documented design beside a learned one), so the rest is
    kept, keyed by a hash of every value it reads (:func:`pandas.util.hash_pandas_object`
    of the columns read, with their names and types): a frame changed in place
    is a new key, never a stale answer."""
    optional = [
        c
        for c in (
            "defaulted",
            "run_type",
            "hr_vo2_line",
            "hrmax_line_scale",
            "device",
            "shoes",
            "days_after_strength",
            "body_mass_kg",
            "elev_gain_m",
            "elev_loss_m",
        )
        if c in metrics.columns
    ]
    keep = list(_METRIC_COLUMNS) + optional
    block_columns = ["runner_id", "block_start", "block_end", "baseline_start"]
    key = _content_key(metrics[keep], blocks[block_columns])
    with _BASE_LOCK:  # threads of one process (a Dask worker) share the cache
        entry = _BASE_CACHE.pop(key, None)
    if entry is None:
        frame = _compute_base(metrics[keep], blocks[block_columns])
        entry = (frame, int(frame.memory_usage(index=True, deep=True).sum()))
    with _BASE_LOCK:
        _BASE_CACHE[key] = entry
        while len(_BASE_CACHE) > _BASE_CACHE_SIZE and (
            sum(size for _, size in _BASE_CACHE.values()) > _BASE_CACHE_BYTES
        ):
            del _BASE_CACHE[next(iter(_BASE_CACHE))]
    return entry[0].copy()


def _content_key(*frames: pd.DataFrame) -> str:
    """A digest of the frames' values, index, column names and types."""
    digest = hashlib.blake2b(digest_size=20)
    for frame in frames:
        digest.update(repr((list(frame.columns), [str(t) for t in frame.dtypes])).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def _compute_base(metrics: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """:func:`_prepared_base`, computed."""
    m = metrics.copy()
    m["runner_id"] = m["runner_id"].astype(str)
    b = blocks.copy()
    b["runner_id"] = b["runner_id"].astype(str)
    m = m.merge(b, on="runner_id", how="inner")
    m = m.sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)
    if "defaulted" not in m.columns:
        m["defaulted"] = False

    date = pd.to_datetime(m["date"])
    day = date.dt.normalize()
    start = pd.to_datetime(m["block_start"])
    end = pd.to_datetime(m["block_end"])
    in_window = (day >= pd.to_datetime(m["baseline_start"])) & (day <= end)
    in_window = in_window.fillna(False).astype(bool)
    m["in_window"] = in_window
    m["period"] = np.where(~in_window, "outside", np.where(day < start, "baseline", "block"))

    cost = pd.to_numeric(m["o2_cost_ml_kg_km"], errors="coerce").astype(float)
    gas = pd.to_numeric(m["gas_m_min"], errors="coerce").astype(float)
    temp = pd.to_numeric(m["temp_c"], errors="coerce").astype(float)
    minutes = pd.to_numeric(m["duration_s"], errors="coerce").astype(float) / 60.0
    steady = m["steady"].fillna(False).astype(bool)
    cost_ok = np.isfinite(cost) & (cost > 0) & np.isfinite(gas) & (gas > 0) & np.isfinite(minutes)
    candidate = in_window & steady & cost_ok

    has_temp = candidate & temp.notna()
    n_cand = candidate.groupby(m["runner_id"]).transform("sum")
    n_temp = has_temp.groupby(m["runner_id"]).transform("sum")
    use_temp = (n_temp >= np.maximum(3, MIN_TEMP_FRACTION * n_cand)) & (n_cand > 0)
    filled = candidate & use_temp & temp.isna() & ~_no_climbing(m)  # no weather, no hills: indoors
    if filled.any():  # from the runner's runs within TEMP_FILL_DAYS
        temp = temp.where(~filled, nearby_temperature(m["runner_id"], day, temp))
    m["temp_filled"] = filled & temp.notna()
    m["temp_c"] = temp  # the temperature the model uses (choice_logliks reads it too)
    used = candidate & (~use_temp | temp.notna())
    m["use_temp"] = use_temp
    full_ramp = _ramp(day, start, end, FULL_BLOCK)
    artefact = _out_of_line(
        m["runner_id"],
        used.to_numpy(dtype=bool),
        np.log(cost.where(cost > 0)).to_numpy(dtype=float),
        full_ramp.to_numpy(dtype=float),
        np.where(use_temp, (temp - HEAT_ONSET_C).clip(lower=0.0).fillna(0.0), 0.0),
        (minutes - DRIFT_ONSET_MIN).clip(lower=0.0).to_numpy(dtype=float),
        daniels_cost_log_ratio(gas.where(gas > 0), SCREEN_SPEED_M_MIN),
    )
    used = used & ~artefact
    m["used"] = used

    reason = pd.Series("", index=m.index, dtype=object)
    given = m["exclude_reason"].astype(object).where(m["exclude_reason"].notna(), "")
    given = given.map(str).str.strip()
    not_steady = in_window & ~steady
    reason[not_steady] = given[not_steady].where(given[not_steady] != "", "not steady")
    reason[in_window & steady & ~cost_ok] = "no oxygen cost"
    reason[candidate & ~used] = "no temperature"
    reason[artefact] = OUT_OF_LINE
    m["reason"] = reason

    # Day-level ramp: 0 up to block_start, 1 from block_end on (the last day
    # of the block is its end), linear in between; with ramp_weeks, 1 from
    # that many weeks into the block on (an early plateau).
    m["ramp"] = full_ramp  # prepare_runs: the design's

    log_gas = np.log(gas.where(gas > 0))
    refs = pd.DataFrame(
        {"temp": temp.where(used), "minutes": minutes.where(used), "log_gas": log_gas.where(used)}
    )
    by_runner = m["runner_id"]
    overall = refs.groupby(by_runner).median()
    base = refs.loc[used & m["period"].eq("baseline")].groupby(by_runner).median()
    ref = base.reindex(overall.index).fillna(overall).reindex(by_runner.to_numpy())
    ref.index = m.index
    m["reference_temp_c"] = ref["temp"]
    m["reference_minutes"] = ref["minutes"]
    m["reference_gas_m_min"] = np.exp(ref["log_gas"])

    def drift(t):
        return (t - DRIFT_ONSET_MIN).clip(lower=0.0)

    m["log_o2_cost"] = np.log(cost.where(cost > 0))
    # the design's columns, in their place (prepare_runs fills them)
    m["heat_c_dev"] = np.nan
    m["drift_min_dev"] = drift(minutes) - drift(ref["minutes"])
    m["device_dev"] = device_indicator(m)
    m["shoes_dev"] = shoes_indicator(m)
    m["post_strength_dev"] = np.nan
    m["clock_dev"] = np.nan
    m["speed_cost_dev"] = np.nan
    m["load_dev"] = training_load_deviation(m)
    return m


def training_load_deviation(m: pd.DataFrame) -> np.ndarray:
    """Per run, the runner's recent running load relative to its baseline's, less 1.

    The load is running minutes a day (every run in the log, steady or not),
    averaged exponentially with a time constant of ``LOAD_TAU_DAYS`` over the
    days before the run's (from the runner's first logged day, started at the
    mean of its first two weeks); the reference is that average's mean over
    the runner's baseline days. Minutes, not TRIMP: a TRIMP is read from heart
    rate, which a better economy lowers, so it would fall with the very change
    being measured. ``m``: :func:`prepare_runs`' frame so far, sorted by runner
    and date (``runner_id``, ``date``, ``duration_s``, ``baseline_start``,
    ``block_start``). 0 where the runner's baseline has no load.
    """
    out = np.zeros(len(m))
    if not len(m):
        return out
    seconds = pd.to_numeric(m["duration_s"], errors="coerce").fillna(0.0).clip(lower=0.0)
    minutes = seconds.to_numpy(dtype=float) / 60.0
    days = ((pd.to_datetime(m["date"]).dt.normalize() - _EPOCH) / pd.Timedelta(days=1)).to_numpy()
    base_start = ((pd.to_datetime(m["baseline_start"]) - _EPOCH) / pd.Timedelta(days=1)).to_numpy()
    block_start = ((pd.to_datetime(m["block_start"]) - _EPOCH) / pd.Timedelta(days=1)).to_numpy()
    runner = m["runner_id"].astype(str).to_numpy()
    bounds = np.flatnonzero(np.r_[True, runner[1:] != runner[:-1], True])
    a = 1.0 - math.exp(-1.0 / LOAD_TAU_DAYS)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        d = days[lo:hi]
        ok = np.isfinite(d)
        if not ok.any():
            continue
        first = int(np.floor(d[ok].min()))
        index = np.where(ok, np.floor(d) - first, 0).astype(int)
        daily = np.bincount(index[ok], weights=minutes[lo:hi][ok], minlength=index.max() + 1)
        start = daily[:14].mean()
        # y_t = a x_t + (1 - a) y_(t-1) from y = start (pandas' recursion: importing
        # scipy.signal for it cost every process that imports the models 0.5 s)
        smooth = pd.Series(np.r_[start, daily]).ewm(alpha=a, adjust=False).mean().to_numpy()
        before = smooth[:-1]  # the load up to the day before
        span = np.arange(len(daily)) + first
        baseline = (span >= base_start[lo]) & (span < block_start[lo])
        ref = before[baseline].mean() if baseline.any() else np.nan
        if np.isfinite(ref) and ref > 0:
            out[lo:hi] = np.where(ok, before[index] / ref - 1.0, 0.0)
    return out


def _no_climbing(m: pd.DataFrame) -> pd.Series:
    """Runs with an ascent and descent both recorded as exactly 0. Without a
    temperature such a run looks indoors (a treadmill: no weather and no
    climbing; outdoors a barometer or GPS always logs a little), and its room's
    temperature is not that of the runs around it, so :func:`nearby_temperature`
    does not fill those in: on a held-out generator's squads whose strength runners ran 30 %
    of their block on a treadmill (controls 10 %, everyone 35 % of a winter
    baseline; temp_c empty, gain and loss 0), filling them in took the
    strength runners' bias from +0.09 to +0.54 pp (20 squads): a treadmill
    run costs less (no air resistance) and its room is warm."""
    zero = pd.Series(True, index=m.index)
    for column in ("elev_gain_m", "elev_loss_m"):
        if column not in m.columns:
            return pd.Series(False, index=m.index)
        zero &= pd.to_numeric(m[column], errors="coerce").eq(0.0)
    return zero


def nearby_temperature(runner_ids, dates, temps) -> np.ndarray:
    """Per run, the mean of the temperatures of the same runner's nearest runs with
    one before and after it (the same day included, the run itself excluded), each
    at most ``TEMP_FILL_DAYS`` away; the one there is where only one side has a run
    that close; NaN where neither has.

    A run logged without a temperature (a phone app without weather, a GPX file
    beside the watch's FIT files) was left out of the model, though the weather
    of a day is close to that of the days around it: day-to-day changes of air
    temperature have an SD of about 3 degC, a season changes it by about 1 degC a
    week. On a blind generator's squads with 35 % of runs without a
    temperature, leaving them out had cost a third of the runs and 11 of 160
    runners their answer (3 with the runs kept: docs/UNSEEN_CHECK.md); on our
    scenario with a third missing at random, the strength runners' MAE went
    from 1.10 to 1.04 pp and their intervals from 4.85 to 4.41 pp wide. The
    runner's own runs, not the squad's, so that an answer does not depend on
    which runners are analysed together or where each of them ran.
    """
    frame = pd.DataFrame(
        {
            "runner_id": np.asarray(runner_ids, dtype=object).astype(str),
            "date": pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(),
            "temp": pd.to_numeric(pd.Series(temps), errors="coerce").to_numpy(dtype=float),
            "pos": np.arange(len(runner_ids)),
        }
    )
    out = np.full(len(frame), np.nan)
    known = frame.loc[frame["temp"].notna() & frame["date"].notna()]
    wanted = frame.loc[frame["temp"].isna() & frame["date"].notna()]
    if known.empty or wanted.empty:
        return out
    known = known.sort_values("date", kind="stable")
    wanted = wanted.sort_values("date", kind="stable")
    sides = []
    for direction in ("backward", "forward"):
        near = pd.merge_asof(
            wanted[["runner_id", "date", "pos"]],
            known[["runner_id", "date", "temp"]],
            on="date",
            by="runner_id",
            direction=direction,
            tolerance=pd.Timedelta(days=TEMP_FILL_DAYS),
        )
        sides.append(near.set_index("pos")["temp"])
    both = pd.concat(sides, axis=1)
    out[both.index.to_numpy()] = both.mean(axis=1, skipna=True).to_numpy(dtype=float)
    return out


def device_indicator(m: pd.DataFrame) -> np.ndarray:
    """1.0 on a run recorded by a device other than its runner's baseline device, else 0.

    A runner who changes watch or heart-rate sensor (an optical sensor for a
    chest strap, a new watch mid-block) can see heart rate read a few beats
    higher or lower from that day on; on the blind generator's squads a step
    of 3-5 bpm in half the runners (``docs/BLIND_CHECK.md``, ``watch_change``)
    was read as a change in economy. Where runs.csv names the ``device``, its
    offset is a regressor of the field model. The baseline device is the one
    named most often on the runner's runs in the model before the block (on
    all its runs in the model when none before names one); a run with no
    device named counts as that device, and names are compared without case.
    Every other device shares one offset (two or more changes of device in one
    block are not told apart). A name is what the data say: ``runeco import``
    names a Garmin watch's TCX files as its FIT files do ("garmin fr245"),
    but the same watch named two ways by hand ("FR245", "Forerunner 245")
    counts as two devices, which costs that runner precision (an offset for
    nothing), not bias. A
    device named only in the block, with the
    baseline's runs unnamed, is taken for the baseline device: no offset.

    ``m``: :func:`prepare_runs`' frame so far (``runner_id``, ``used``,
    ``period`` and, optionally, ``device``).
    """
    return _other_than_baseline(m, "device")


def shoes_indicator(m: pd.DataFrame) -> np.ndarray:
    """1.0 on a run in shoes other than its runner's baseline shoes, else 0.

    Shoes change the oxygen cost of running itself, not only what heart rate
    reads: shoes with a carbon plate and a resilient foam cost about 4 % less
    oxygen than racing flats at the same speed (Hoogkamer et al. 2018), and
    a runner who buys such shoes during a strength block would be read as
    more economical because of the strength work. Where runs.csv names the
    ``shoes`` (``runeco import`` writes Strava's "Activity Gear"), their
    offset is a regressor of the field model, the runner's own, chosen as
    the device's is (:func:`device_indicator`): the baseline shoes are those
    named most often on the runner's runs in the model before the block, a
    run with none named counts as in them, names are compared without case,
    and every other pair shares one offset. A runner who rotates several
    pairs is adjusted for the share of runs in other shoes, not for each
    pair: a change of mix between two other pairs that differ (a trainer and
    a racer) is not told apart. On simulated squads whose strength runners
    half switched to shoes 3 % more economical a third of the way into the
    block (``tests/models/test_shoes.py``) the switchers' change read the
    shoes' 3 % without the term and their own change with it.

    1. Hoogkamer W, Kipp S, Frank JH, Farina EM, Luo G, Kram R (2018). A
       comparison of the energetic cost of running in marathon racing shoes.
       Sports Med 48:1009-1019.
    """
    return _other_than_baseline(m, "shoes")


def _other_than_baseline(m: pd.DataFrame, column: str) -> np.ndarray:
    """1.0 on a run whose ``column`` names something other than its runner's
    baseline one (named most on the baseline's runs in the model, else on all
    its runs in the model; a tie to the one named first), else 0 (an empty
    cell counts as the baseline one; names compared without case)."""
    out = np.zeros(len(m))
    if column not in m.columns:
        return out
    # "Forerunner 245" and "forerunner 245" are one watch
    device = m[column].astype(object).where(m[column].notna(), "").map(str).str.strip()
    device = device.str.casefold()
    named = m["used"].to_numpy(dtype=bool) & device.ne("").to_numpy()
    if not named.any():
        return out
    runner = m["runner_id"].astype(str).to_numpy()
    baseline = named & m["period"].eq("baseline").to_numpy()
    # the pool that decides: the baseline's named runs, or all named runs when
    # the runner's baseline names none
    has_baseline = pd.Series(baseline).groupby(runner).transform("any").to_numpy()
    pool = np.where(has_baseline, baseline, named)
    counts = (
        pd.DataFrame({"runner_id": runner[pool], "device": device.to_numpy()[pool]})
        .groupby(["runner_id", "device"], sort=False)
        .size()
        .rename("n")
        .reset_index()
    )
    # most named; a tie goes to the device named first
    home = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("runner_id")
    baseline_device = pd.Series(runner).map(home.set_index("runner_id")["device"]).fillna("")
    named_other = device.ne("").to_numpy() & (device.to_numpy() != baseline_device.to_numpy())
    return named_other.astype(float)


LINEAR_HEAT = -60.0
"""An onset below any running temperature: the heat term is linear in temperature."""

# chi-square(1) 99th percentile: scipy.stats.chi2.ppf(0.99, 1), without importing scipy.stats
ONSET_LR_THRESHOLD = float(special.chdtri(1, 1 - 0.99) / 2.0)
"""Log-likelihood gain over ``HEAT_ONSET_C`` needed to move the onset (LR test, 1 %)."""

HEAT_ONSET_CANDIDATES_C = (LINEAR_HEAT, 5.0, 10.0, 12.5, 15.0, 17.5, 20.0)
"""Onsets :func:`choose_heat_onset` compares (``LINEAR_HEAT``: no onset)."""


_EPOCH = pd.Timestamp("2000-01-01")
"""Origin of the run times in days (any date: only differences enter)."""


def _serial_profiles(
    prep: pd.DataFrame, columns: list, candidates: list[tuple[np.ndarray, list[int]]]
) -> list[dict[str, float]]:
    """Each runner's Gaussian profile log-likelihood of several designs, with
    the field model's serially correlated errors.

    ``columns``: arrays over ``prep``'s rows. A candidate ``(a, regressors)``
    is the regression of the response ``columns @ a`` on the columns numbered
    ``regressors``. The errors are white noise plus an AR(1) process in days,
    as in the fit (:func:`analysis.models.serial._kalman_pass`, Diggle 1988):
    at every point ``(r, phi)`` of the serial grid the log-likelihood
    maximised over the coefficients and the scale is
    ``-(log det V + n log(RSS_V / n)) / 2`` (GLS), and a runner's profile is
    its largest over the grid. One Kalman pass whitens every column of every
    candidate at once (:func:`analysis.models.serial.grid_cross_products`). Runners with
    more than ``p + 2`` runs (``p`` the regressors they have) and only finite
    values; a regressor that is zero for a runner (heat without temperatures,
    no change of device) drops out. Returns one
    ``{runner_id: log-likelihood}`` per candidate.

    Why not least squares: a runner's runs are serially correlated (states
    that carry over from day to day), and independent-error likelihoods
    overstate what a design choice gains. On the independent generator's
    squads whose change was a ramp, the least-squares test at 1 % put a
    plateau or a late start in 18 of 225 squads (one such choice moved every
    strength runner of its squad by 1-3 pp); with these likelihoods, and the
    time course learned from the strength runners (:func:`choose_time_course`),
    in 2, while a plateau after 4 weeks was found in 7 of 15 squads that had
    one, against 10 (``docs/INDEPENDENT_CHECK.md``, session 14).
    """
    mask = prep["used"].to_numpy(dtype=bool)
    out: list[dict[str, float]] = [{} for _ in candidates]
    if not mask.any():
        return out
    used = prep.loc[mask]
    Z_all = np.column_stack([np.asarray(c, dtype=float)[mask] for c in columns])
    days = ((pd.to_datetime(used["date"]) - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    codes, ids = pd.factorize(used["runner_id"], sort=False)
    finite = np.isfinite(Z_all).all(axis=1) & np.isfinite(days)
    n_runs = np.bincount(codes, minlength=len(ids))
    # regressors a runner has (a zero column, no device change, drops out)
    has = np.zeros((len(ids), Z_all.shape[1]), dtype=bool)
    np.logical_or.at(has, codes, Z_all != 0)
    p_max = np.max([has[:, list(regs)].sum(axis=1) for _, regs in candidates], axis=0)
    ok = (np.bincount(codes, weights=~finite, minlength=len(ids)) == 0) & (n_runs > p_max + 2)
    runners = np.flatnonzero(ok)
    if not len(runners):
        return out
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(ids)))
    rows = [order[starts[j] : starts[j] + n_runs[j]] for j in runners]
    rows = [r[np.argsort(days[r], kind="stable")] for r in rows]
    Z, dt, live = _pad([Z_all[r] for r in rows], [days[r] for r in rows], Z_all.shape[1])
    M, logdet = grid_cross_products(Z, dt, live)
    n = live.sum(axis=1)[:, None].astype(float)
    present = (Z != 0).any(axis=1)  # (R, m): a column some run of the runner has
    # consecutive candidates with the same regressors (a fixed offset's) share
    # one inverse; only the last is kept (each is runners x grid x p x p)
    last, inverse = None, None
    for c, (a, regs) in enumerate(candidates):
        a = np.asarray(a, dtype=float)
        regs = list(regs)
        if tuple(regs) != last:
            absent = ~present[:, regs]
            xtx = M[..., regs, :][..., regs] + np.eye(len(regs)) * absent[:, None, None, :]
            # pseudo-inverse: a regressor collinear with the others (every run of a
            # runner past a plateau's end) drops out instead of failing the squad
            last, inverse = tuple(regs), np.linalg.pinv(xtx)
        xty = np.einsum("rgij,j->rgi", M[..., regs, :], a)
        yty = np.einsum("i,rgij,j->rg", a, M, a)
        beta = np.einsum("rgij,rgj->rgi", inverse, xty)
        rss = yty - np.einsum("rgi,rgi->rg", xty, beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            loglik = -0.5 * (logdet + n * np.log(rss / n))
        best = np.where(np.isfinite(loglik) & (rss > 0), loglik, -np.inf).max(axis=1)
        for j, value in zip(runners, best, strict=True):
            if np.isfinite(value):
                out[c][str(ids[j])] = float(value)
    return out


def choose_heat_onset(
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    candidates=HEAT_ONSET_CANDIDATES_C,
) -> tuple[float, dict[float, float]]:
    """The heat onset that fits the squad best, by profile likelihood.

    Heart rate rises with heat from some air temperature on, but where is not
    a published constant (coaching figures say ~15-20 degC, SCIENCE.md
    section 6) and differs between squads and climates; a wrong onset leaves
    a temperature trend in the residual that a warming season turns into a
    biased change. So the onset is learned: each candidate is fitted to every
    runner's steady runs (the field design, generalised least squares with
    the fit's serially correlated errors, :func:`_serial_profiles`) and the
    one with the highest summed log-likelihood is kept, shared by the squad
    (all candidates have the same number of parameters). The slope stays per
    runner. The documented default ``HEAT_ONSET_C`` is kept unless another
    onset fits better by a likelihood-ratio test at the 1 % level (a gain in
    log-likelihood above ``chi2_1(0.99) / 2 = 3.32``): on small squads the
    profile is flat and an argmax would move the answer on noise (on the
    8-runner sample squad it picked 5 degC by 3.3 units; on 40-runner
    simulated squads learned and default onsets gave the same bias and error),
    and the gain must stay above that threshold without the runner who
    contributes most to it (from 3 runners on; see :func:`_choose`).

    Returns
    -------
    onset : float
        The chosen onset [degC] (``LINEAR_HEAT`` for a linear term).
    loglik : dict
        Summed profile log-likelihood per candidate, for reporting.
    """
    return _choose(metrics, blocks, "heat_onset_c", candidates, HEAT_ONSET_C)


RAMP_WEEKS_CANDIDATES = (FULL_BLOCK, 2.0, 4.0, 6.0, 8.0, -2.0, -4.0, -6.0)
"""Time courses :func:`choose_time_course` compares: a ramp over the whole
block, a plateau after 2, 4, 6 or 8 weeks, or (negative) no change for the
first 2, 4 or 6 weeks and then a ramp to the block's end (a delayed response)."""


def time_course_words(ramp_weeks) -> str:
    """A time course in words, as every text names it (without an article):
    "ramp over the whole block", "plateau after 4 weeks", "ramp from week 4 to
    the block's end" (``ramp_weeks`` -4, a delayed change)."""
    weeks = float(ramp_weeks) if ramp_weeks is not None else FULL_BLOCK
    if not np.isfinite(weeks):
        return "ramp over the whole block"
    if weeks < 0:
        return f"ramp from week {-weeks:g} to the block's end"
    return f"plateau after {weeks:g} weeks"


def choose_time_course(
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    heat_onset_c: float = HEAT_ONSET_C,
    candidates=RAMP_WEEKS_CANDIDATES,
) -> tuple[float, dict[float, float]]:
    """How the change builds up over the block, shared by the squad, by profile likelihood.

    Adaptation to strength work accrues over weeks, but whether it keeps
    growing to the end of an 8-12 week block or levels off after a few weeks
    differs between programmes (SCIENCE.md section 8). A ramp fitted to a
    change that plateaued after 4 weeks puts the end value between the two,
    so the time course is chosen like the heat onset: the full-block ramp
    unless a plateau after 2-8 weeks, or a change that starts only 2-6 weeks
    into the block, fits the squad better by a likelihood-ratio test at 1 %.
    Every candidate's coefficient is the change at the end of the block. A
    ramp fitted to a change delayed by 4 weeks recovers about 70 % of it (on
    simulated squads the strength runners' change was biased by +0.6 pp; with
    the delayed candidates, -0.04). The time course is that of the strength
    work, so it is learned from the strength runners' likelihoods where the
    squad has at least ``MIN_RUNNERS_FOR_INFLUENCE`` of them
    (:func:`strength_runners_only`); the controls' ramp carries their season.
    In squads of more than 8 strength runners the choice must also hold
    without one most favourable runner per 8 (:func:`choose_course_from`).
    """
    per_runner = choice_logliks(
        metrics, blocks, "ramp_weeks", candidates, heat_onset_c=heat_onset_c
    )
    return choose_course_from(strength_runners_only(per_runner, blocks))


TIME_COURSE_RUNNERS_PER_LEFT_OUT = 8
"""The time course must hold without its most favourable runner for every 8
strength runners (at least one; :func:`choose_course_from`)."""


def choose_course_from(per_runner: dict[float, dict[str, float]]) -> tuple[float, dict]:
    """The time course of :func:`choose_time_course` from its runners' likelihoods:
    :func:`choose_from` (the full-block ramp the default, the 1 % test), with an
    influence check that grows with the squad: the gain must stay above the
    threshold without its most favourable runner for every
    ``TIME_COURSE_RUNNERS_PER_LEFT_OUT`` runners (one up to 8 runners, as for
    every other choice; 4 of 30).

    Why: a time course that is almost, but not quite, a ramp (heat, fatigue
    or a season the model leaves in the block) gives each runner a small
    gain for some plateau, and a few runners a large one by chance; summed
    over 30 runners that passes the test though the typical runner gains
    nothing. On an independent generator's squads of 30 strength runners
    whose change was a steady ramp (``benchmarks/eleventh_scenarios.py``,
    big_squad, 40 squads), the 1 % test with one runner left out chose a
    plateau after 2 or 6 weeks in 5 (16-20 of 30 runners in favour), and
    those squads' strength runners read +1.07 pp (mean; +0.68 with the ramp);
    with 4 left out, in none (strength bias over the 40 squads +0.29 ->
    +0.25 pp). Checked on generators it was not tuned on, at 30 + 30 (10
    squads each): ``unseen_scenarios.py`` plain, a plateau in 8 -> 2 squads,
    bias +0.69 -> +0.24 pp, MAE 1.25 -> 1.07; ``independent_scenarios.py``
    plain 1 -> 0 (+0.33 -> +0.25), its plateau after 4 weeks found in 10 -> 9
    (+0.06 -> +0.03), its S-shaped late change 5 -> 2 late starts (-0.26 ->
    -0.21); ``heldout_scenarios.py``, ``tenth_scenarios.py`` (20 + 20) and
    ``training_load_scenarios.py`` plain unchanged; ``unseen`` 12 + 4, 2
    plateaus of 15 -> 0 (those squads +0.47 and +0.15 -> -0.12 and -0.23);
    20 more unseen plain squads 14 -> 8 plateaus, bias +0.35 -> +0.06. The
    cost: where the change really levels off late but modestly, it is read
    as a ramp more often. ``ninth_scenarios.py`` plain at 30 + 30 (an S-curve
    in sessions that flattens late in the block): a plateau after 8 weeks in
    3 -> 0 of 10 squads, those squads' strength runners -0.19 -> -0.93 pp on
    average, bias -0.38 -> -0.60 pp (SE 0.2). On our simulator's 30 + 30
    squads (``docs/BIG_SQUADS.md``): a plateau or late start of -2 % is found
    in about half as many squads (bias 0.00 -> -0.19 and +0.09 -> +0.20 pp);
    of -3 and -4 %, 0-2 of 30 squads fewer (bias within 0.04 pp). The runs
    cannot tell the two apart (the ninth's late plateaus had 17-21 of 30
    runners in favour and 0.22-0.27 units per runner, the eleventh's wrong
    ones 16-20 and 0.19-0.38); over the blind generators' squads the rule
    removed more error than it added. Squads of up to 8 strength runners
    choose exactly as before.
    """
    n = len(per_runner.get(FULL_BLOCK, {}))
    return choose_from(
        per_runner, FULL_BLOCK, without=max(1, math.ceil(n / TIME_COURSE_RUNNERS_PER_LEFT_OUT))
    )


def strength_runners_only(
    per_runner: dict[float, dict[str, float]], blocks: pd.DataFrame
) -> dict[float, dict[str, float]]:
    """The time-course likelihoods of :func:`choice_logliks` restricted to the
    runners who did the strength work (``blocks``' ``group`` not control),
    where at least ``MIN_RUNNERS_FOR_INFLUENCE`` of them have one; otherwise
    unchanged (a squad of controls, or one or two strength runners).

    The controls have no strength effect, so their likelihoods add only noise
    to the choice of its time course. On the independent generator's squads
    (8 strength runners, 8 controls, 15 squads per scenario; likelihoods with
    serially correlated errors), the strength runners alone found a plateau
    in 7 of 15 squads whose change plateaued after 4 weeks (5 at 4 weeks),
    every runner in 6 (3), and chose a wrong time course in 2 of 225 squads
    whose change was a ramp, every runner in 4.
    """
    if "group" not in blocks:
        return per_runner
    strength = {
        str(r)
        for r, g in zip(blocks["runner_id"], blocks["group"], strict=True)
        if not is_control(g)
    }
    some = next(iter(per_runner.values()), {})
    if len(strength & set(some)) < MIN_RUNNERS_FOR_INFLUENCE:
        return per_runner
    return {v: {r: x for r, x in per.items() if r in strength} for v, per in per_runner.items()}


MIN_RUNS_PER_TYPE = 3
"""Steady runs of one type a runner needs for that type's mean to enter
:func:`speed_scale_between_types`."""

TYPE_DRIFT_ONSETS_MIN = (0.0, 15.0, 30.0, 45.0, 60.0, 75.0)
"""Drift onsets [min] :func:`speed_scale_between_types` compares within run types."""

_WITHIN_TYPE_TERMS = (
    "ramp",
    "heat_c_dev",
    "device_dev",
    "shoes_dev",
    "post_strength_dev",
    "clock_dev",
)
"""The field terms taken out of the drift's slope within run types."""


def _hinge(onset: float) -> str:
    return f"drift_h{onset:g}"


_WITHIN_NAMES = [*map(_hinge, TYPE_DRIFT_ONSETS_MIN), *_WITHIN_TYPE_TERMS, "log_o2_cost"]
"""The columns whose within-type cross-products :func:`run_type_means` keeps."""


_TYPE_MEAN_TERMS = (
    "log_o2_cost",
    "curve",
    "drift_min_dev",
    "heat_c_dev",
    "device_dev",
    "shoes_dev",
    "post_strength_dev",
    "clock_dev",
    "ramp",
)
"""The columns :func:`run_type_means` averages: the response, Daniels' curve and
the regressors (drift, device, residual fatigue, time of day, heat, ramp)."""


def run_type_means(prep: pd.DataFrame) -> pd.DataFrame:
    """Each runner's steady runs in the model averaged by ``run_type``: the mean log
    oxygen cost, Daniels log cost ratio (``curve``), drift, heat and ramp terms,
    the minutes beyond each onset of ``TYPE_DRIFT_ONSETS_MIN`` (``drift_h<onset>``)
    and the count ``n``, with the sums of products of those minutes, the field
    terms and the log cost centred within the type (``xp:<a>:<b>``, for
    :func:`_without_type_drift`; kept also for types with fewer than
    ``MIN_RUNS_PER_TYPE`` runs, whose means
    :func:`speed_scale_between_types` leaves out), indexed by runner and type;
    empty without run types. Runners are independent here, so a squad's can be
    computed in chunks and concatenated (:func:`speed_scale_between_types`)."""
    terms = list(_TYPE_MEAN_TERMS)
    if "run_type" not in prep.columns:
        return pd.DataFrame(columns=[*terms, "n"])
    used = prep.loc[prep["used"]]
    gas = used["gas_m_min"].astype(float)
    kind = used["run_type"].astype(object).where(used["run_type"].notna(), "").map(str)
    frame = pd.DataFrame(
        {
            "runner_id": used["runner_id"].to_numpy(),
            "run_type": kind.str.strip().to_numpy(),
            "log_o2_cost": used["log_o2_cost"].to_numpy(dtype=float),
            "curve": daniels_cost_log_ratio(gas, used["reference_gas_m_min"]),
            "drift_min_dev": used["drift_min_dev"].to_numpy(dtype=float),
            "heat_c_dev": used["heat_c_dev"].to_numpy(dtype=float),
            "device_dev": used["device_dev"].to_numpy(dtype=float),
            "shoes_dev": used["shoes_dev"].to_numpy(dtype=float),
            "post_strength_dev": used["post_strength_dev"].to_numpy(dtype=float),
            "clock_dev": used["clock_dev"].to_numpy(dtype=float),
            "ramp": used["ramp"].to_numpy(dtype=float),
        }
    )
    minutes = pd.to_numeric(used["duration_s"], errors="coerce").to_numpy(dtype=float) / 60.0
    for onset in TYPE_DRIFT_ONSETS_MIN:
        frame[_hinge(onset)] = np.clip(minutes - onset, 0.0, None)
    names = _WITHIN_NAMES
    typed = frame.loc[frame["run_type"].ne("") & np.isfinite(frame[names]).all(axis=1)]
    keys = [typed["runner_id"], typed["run_type"]]
    centred = typed[names] - typed[names].groupby(keys).transform("mean")
    products = pd.DataFrame(
        {f"xp:{a}:{b}": centred[a] * centred[b] for i, a in enumerate(names) for b in names[i:]}
    )
    within = products.groupby(keys, sort=True).sum()
    within.index.names = ["runner_id", "run_type"]
    frame = frame.loc[frame["run_type"].ne("") & np.isfinite(frame[terms]).all(axis=1)]
    groups = frame.groupby(["runner_id", "run_type"], sort=True)
    means = groups[[*terms, *map(_hinge, TYPE_DRIFT_ONSETS_MIN)]].mean()
    means["n"] = groups.size()
    # every type's within-type sums (also of types too small for a mean of their own)
    return means.join(within, how="outer")


def speed_scale_between_types(means: pd.DataFrame) -> tuple[float, float, int] | None:
    """The cost-speed curve's multiple from the differences between a runner's run types.

    ``means``: :func:`run_type_means` of the squad. Easy, long, recovery and
    tempo runs are run at different planned intensities, so their mean speeds differ
    for a reason that has nothing to do with the day's form. Within each runner
    (the type means less the runner's weighted mean), weighted least squares of
    the mean log oxygen cost (less the cardiac drift read within the types,
    :func:`_without_type_drift`) on the mean Daniels log cost ratio, with the
    mean heat, ramp and the other field terms beside it (the types need not be
    spread evenly over the block), weights the runs per type. The slope is the
    multiple of Daniels' curve. Within a type, a runner who paces by heart rate
    runs faster on a good day, which ties the run's speed to the run's error;
    the type means average those days out (instrumental variables with the run
    type as instrument: Angrist & Pischke 2009, ch. 4, grouped data). On our
    simulator's squads (20 per row, truth in brackets): plan-paced 0.96 (1),
    heart-rate paced with 3 % day-to-day economy noise 1.08 (1; the run-level
    likelihood gave 0.25-0.5), cost per km flat 0.01 (0), ACSM's falling cost
    -0.30 (about -0.33); SD between squads 0.10-0.15 (with the drift term among
    the type means, before session 27: 0.99, 0.96, -0.01, -0.33, SD 0.06-0.07,
    but -0.52 on a generator whose drift starts at 15 minutes).

    Returns
    -------
    (float, float, int) or None
        The multiple, its standard error and the residual degrees of freedom;
        None without run types (at least 2 per runner) or with fewer than 4
        residual degrees of freedom.

    References
    ----------
    .. [1] Angrist JD, Pischke J-S (2009). Mostly Harmless Econometrics.
       Princeton University Press, chapter 4 (IV with grouped data).
    """
    terms = list(_TYPE_MEAN_TERMS)
    means, drift_out = _without_type_drift(means)
    if drift_out:  # the drift is out of the response already
        terms.remove("drift_min_dev")
    if "n" in means:
        means = means.loc[means["n"].fillna(0) >= MIN_RUNS_PER_TYPE]
    runners = means.index.get_level_values(0)
    several = pd.Series(1, index=means.index).groupby(runners).transform("sum").to_numpy() >= 2
    means = means.loc[several]
    if means.empty:
        return None
    weight = means["n"].astype(float)
    runners = means.index.get_level_values(0)
    centre = (
        means[terms]
        .mul(weight, axis=0)
        .groupby(runners)
        .transform("sum")
        .div(weight.groupby(runners).transform("sum"), axis=0)
    )
    within = means[terms] - centre
    if not np.abs(within["curve"].to_numpy()).max() > 0:
        return None
    X = within[terms[1:]].to_numpy()
    X = X[:, np.abs(X).max(axis=0) > 0]  # a term no runner varies (no heat) drops out
    y = within["log_o2_cost"].to_numpy()
    sw = np.sqrt(weight.to_numpy())
    df = len(y) - runners.nunique() - X.shape[1]
    if df < 4:
        return None
    Xw, yw = X * sw[:, None], y * sw
    beta, *_ = np.linalg.lstsq(Xw, yw, rcond=None)
    resid = yw - Xw @ beta
    cov = np.linalg.pinv(Xw.T @ Xw) * float(resid @ resid) / df
    return float(beta[0]), float(np.sqrt(cov[0, 0])), int(df)


def _without_type_drift(means: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The type means with cardiac drift taken out of the mean log cost, as run
    duration within each runner's run type shows it, and whether it was.

    Between types, drift and speed go together (long runs are the slow ones; an
    easy run is longer than a tempo run), so a drift term with a fixed onset
    among the type means takes part of the speed curve or leaves part of the
    drift in it: a heart-rate pacer whose heart rate drifts from 15 minutes
    runs an easy run slower at its heart rate than a shorter tempo run, which
    between types reads as cost falling with speed. Within a type the planned
    intensity is the same and the duration varies, so the drift is read there:
    least squares of the log cost on the minutes beyond an onset and the other
    field terms (block ramp, heat, device, shoes, residual fatigue, time of
    day), all centred within each runner's type and pooled over the squad, for
    each onset of ``TYPE_DRIFT_ONSETS_MIN``; the onset with the smallest
    residual sum of squares is kept, and each type mean loses its slope times
    the type's mean minutes beyond it (the sums come from
    :func:`run_type_means`, so chunks merge). Measured (session 27): on an
    independent generator's squads of 30 + 30, heart rate drifting from 15
    minutes, cost per km falling with speed as ACSM's equation does (about
    -0.33 of Daniels' curve; ``benchmarks/eleventh_scenarios.py``), the
    multiple was -0.52 with the type means' drift term and -0.32 with this,
    and the change read on the truth 0.95 -> 0.98 of it over 40 squads (mixed
    pacing; every runner heart-rate paced 0.90 -> 0.96); our scenario suite's
    answers moved by 0.02 pp at most (``docs/VALIDATION.md``)."""
    if "xp:log_o2_cost:log_o2_cost" not in means:
        return means, False
    xp = means[[c for c in means.columns if c.startswith("xp:")]].sum()

    def product(a, b):
        return float(xp.get(f"xp:{a}:{b}", xp.get(f"xp:{b}:{a}", 0.0)))

    others = [t for t in _WITHIN_TYPE_TERMS if product(t, t) > 1e-12]
    best = None
    for onset in TYPE_DRIFT_ONSETS_MIN:
        names = [_hinge(onset), *others]
        if not product(names[0], names[0]) > 1e-12:
            continue
        A = np.array([[product(a, b) for b in names] for a in names])
        rhs = np.array([product(a, "log_o2_cost") for a in names])
        beta = np.linalg.lstsq(A, rhs, rcond=None)[0]
        rss = product("log_o2_cost", "log_o2_cost") - float(rhs @ beta)
        if best is None or rss < best[0]:
            best = (rss, onset, float(beta[0]))
    if best is None:
        return means, False
    _, onset, slope = best
    out = means.copy()
    out["log_o2_cost"] = out["log_o2_cost"] - slope * out[_hinge(onset)]
    return out, True


def speed_scale_from_types(means: pd.DataFrame, candidates=SPEED_SCALE_CANDIDATES) -> float | None:
    """The choice :func:`choose_speed_scale` makes from run types: Daniels' curve (1)
    unless the between-type multiple differs from 1 by a t test at 1 % (two-sided),
    then the candidate nearest to it; None when run types cannot tell
    (:func:`speed_scale_between_types`)."""
    found = speed_scale_between_types(means)
    if found is None:
        return None
    k, se, df = found
    if se > 0 and abs(k - SPEED_SCALE) / se <= float(special.stdtrit(df, 0.995)):
        return SPEED_SCALE
    return float(min(candidates, key=lambda c: abs(c - k)))


def choose_speed_scale(
    metrics: pd.DataFrame,
    blocks: pd.DataFrame,
    *,
    heat_onset_c: float = HEAT_ONSET_C,
    candidates=SPEED_SCALE_CANDIDATES,
) -> tuple[float, dict[float, float]]:
    """How a squad's oxygen cost per km changes with speed, by profile likelihood.

    The speed offset moves each run's cost to the runner's reference speed along
    a curve; Daniels & Gilbert's rises about 13 % per km from 9 to 15 km/h, but
    per km cost is also reported flat across speeds (di Prampero 1986) or
    slightly falling (ACSM's running equation; Leger & Mercier 1984). For a
    runner who paces by plan the curve hardly matters: the speeds do not change
    with the block. A runner who paces by heart rate shows better economy as
    faster running at the same heart rate, and the curve converts that speed
    into cost: on simulated heart-rate paced squads whose cost per km falls with
    speed as ACSM's does, Daniels' fixed curve biased the strength runners'
    change by -1.07 pp (flat cost: -0.83 pp). So the curve's multiple is learned
    like the heat onset: Daniels' unless another multiple fits the squad better
    by a likelihood-ratio test at 1 %, also without its most favourable runner.

    Where the runs carry their ``run_type`` (easy, long, recovery, tempo; from
    the log or ``runeco import``), the multiple comes from the differences
    between a runner's run types (:func:`speed_scale_from_types`): a runner who
    paces by heart rate and whose economy varies from day to day runs faster
    on the better days, which pulls a run-level likelihood toward a flatter
    curve (0.25-0.5 where the truth is 1 on simulated squads with 3 % day-to-day
    variation; the strength runners' change then +0.36 pp), while the type
    means average those days out (0.95). Without run types the run-level
    profile likelihood decides, with that weakness. The loglik returned is the
    run-level one either way, for reporting.
    """
    loglik_choice, loglik = _choose(
        metrics, blocks, "speed_scale", candidates, SPEED_SCALE, heat_onset_c=heat_onset_c
    )
    prep = prepare_runs(metrics, blocks, heat_onset_c=heat_onset_c)
    from_types = speed_scale_from_types(run_type_means(prep), candidates)
    return (loglik_choice if from_types is None else from_types), loglik


MIN_RUNNERS_FOR_INFLUENCE = 3
"""From this many runners on, a learned choice must not rest on one runner."""


def _choose(metrics, blocks, key, candidates, default, **fixed) -> tuple[float, dict]:
    """The candidate with the highest summed profile log-likelihood, if it beats the
    default by the likelihood-ratio threshold, also without its most favourable runner.

    The influence check: one runner's wrong VO2max moved an 8-runner squad's
    learned heat onset from 15 to 5 degC (and flipped another runner's verdict);
    a choice shared by the squad should hold without any single runner.
    """
    return choose_from(choice_logliks(metrics, blocks, key, candidates, **fixed), default)


def choice_logliks(metrics, blocks, key, candidates, **fixed) -> dict[float, dict[str, float]]:
    """``candidate -> {runner_id: profile log-likelihood}`` of a design choice
    (``key``: ``heat_onset_c``, ``ramp_weeks``, ``speed_scale``,
    ``post_strength_days`` or ``clock_peak_h``) over these runners. Runners
    are independent here, so a squad's can be computed in chunks and merged
    before :func:`choose_from`."""
    # Only one column depends on the candidate: prepare once, then swap that column
    # (the same formula prepare_runs uses), 12 squad-wide preparations -> 2, and
    # every candidate's column beside the others in one Kalman pass.
    window = float(fixed.pop("post_strength_window", POST_STRENGTH_WINDOW))
    prep = prepare_runs(metrics, blocks, **fixed)
    if key == "post_strength_shared":
        return _shared_fatigue_logliks(prep, window, candidates)
    if key == "load_scale":  # the response less each candidate's load offset
        response = prep["log_o2_cost"] - prep[SPEED_OFFSET]
        terms = [prep[t].to_numpy(dtype=float) for t in FIELD_TERMS]
        return _offset_profiles(prep, response, -prep["load_dev"], terms, candidates)
    if key == "heat_onset_c":
        temp = pd.to_numeric(prep["temp_c"], errors="coerce").astype(float)
        ref = prep["reference_temp_c"].astype(float)

        def column(value):
            return _heat_dev(temp, ref, prep["use_temp"], value)
    elif key == "speed_scale":
        gas = prep["gas_m_min"].astype(float)
        curve = daniels_cost_log_ratio(gas.where(gas > 0), prep["reference_gas_m_min"])
    elif key == "post_strength_days":
        prep, after = _runners_in_window(prep, max(candidates))

        def column(value):
            return post_strength_indicator(after, value)
    elif key == "clock_peak_h":
        # runners without a time of day have the same likelihood either way: left out
        timed = pd.Series(np.isfinite(clock_hours(prep)), index=prep.index) & prep["used"]
        keep = timed.groupby(prep["runner_id"]).transform("any").to_numpy(dtype=bool)
        prep = prep.loc[keep].reset_index(drop=True)

        def column(value):
            return clock_deviation(prep, value)
    elif key == "ramp_weeks":
        day = pd.to_datetime(prep["date"]).dt.normalize()
        start, end = pd.to_datetime(prep["block_start"]), pd.to_datetime(prep["block_end"])

        def column(value):
            return _ramp(day, start, end, value)
    else:
        raise ValueError(
            "The 'key' parameter of choice_logliks must be 'heat_onset_c', 'ramp_weeks', "
            "'speed_scale', 'post_strength_days', 'post_strength_shared', 'load_scale' or "
            "'clock_peak_h'. "
            f"Got {key!r} instead."
        )
    ones = np.ones(len(prep))
    terms = {t: prep[t].to_numpy(dtype=float) for t in FIELD_TERMS}
    if key == "speed_scale":  # the response changes: log cost less the candidate's offset
        return _offset_profiles(prep, prep["log_o2_cost"], curve, terms.values(), candidates)
    swapped = {
        "heat_onset_c": "heat_c_dev",
        "post_strength_days": "post_strength_dev",
        "clock_peak_h": "clock_dev",
    }.get(key, "ramp")
    columns = [prep["log_o2_cost"] - prep[SPEED_OFFSET], ones]
    columns += [c for t, c in terms.items() if t != swapped]
    columns += [column(float(value)) for value in candidates]
    e0 = np.eye(len(columns))[0]
    kept = list(range(1, len(FIELD_TERMS) + 1))  # intercept and the other terms
    specs = [(e0, [*kept, len(FIELD_TERMS) + 1 + k]) for k in range(len(candidates))]
    profiles = _serial_profiles(prep, columns, specs)
    return {float(value): per for value, per in zip(candidates, profiles, strict=True)}


def _runners_in_window(prep: pd.DataFrame, days: float) -> tuple[pd.DataFrame, pd.Series]:
    """The runs of the runners with a run in the model on the day of a strength
    session or up to ``days`` after it, and those runs' days after a session: a
    runner without one has the same likelihood under every residual-fatigue
    candidate, so it is left out, as no gain (the controls)."""
    after = (
        pd.to_numeric(prep["days_after_strength"], errors="coerce")
        if "days_after_strength" in prep.columns
        else pd.Series(np.nan, index=prep.index)
    )
    marked = (after <= days) & prep["used"].astype(bool)
    keep = marked.groupby(prep["runner_id"]).transform("any").to_numpy(dtype=bool)
    return prep.loc[keep].reset_index(drop=True), after.loc[keep].reset_index(drop=True)


def _shared_fatigue_logliks(prep: pd.DataFrame, window: float, candidates) -> dict:
    """:func:`choice_logliks` of the squad's shared residual fatigue: the response
    less each candidate log offset on the runs in ``window`` (as the speed
    offset's curve), the other terms free, over :func:`_runners_in_window`."""
    prep, after = _runners_in_window(prep, window)
    terms = [prep[t].to_numpy(dtype=float) for t in FIELD_TERMS if t != "post_strength_dev"]
    response = prep["log_o2_cost"] - prep[SPEED_OFFSET]
    return _offset_profiles(
        prep, response, post_strength_indicator(after, window), terms, candidates
    )


def _offset_profiles(prep: pd.DataFrame, response, offset, terms, candidates) -> dict:
    """``candidate -> {runner_id: profile log-likelihood}`` of the regression of
    ``response - candidate * offset`` (a fixed offset, not a coefficient) on an
    intercept and ``terms`` (:func:`_serial_profiles`: one Kalman pass)."""
    columns = [response, offset, np.ones(len(prep)), *terms]
    e = np.eye(len(columns))
    regressors = list(range(2, len(columns)))  # intercept and the terms
    specs = [(e[0] - float(value) * e[1], regressors) for value in candidates]
    profiles = _serial_profiles(prep, columns, specs)
    return {float(value): per for value, per in zip(candidates, profiles, strict=True)}


def choose_from(
    per_runner: dict[float, dict[str, float]], default: float, without: int = 1
) -> tuple[float, dict]:
    """The choice of :func:`_choose` from :func:`choice_logliks` of the whole squad:
    its gain must pass the test also without its ``without`` most favourable
    runners (from ``MIN_RUNNERS_FOR_INFLUENCE`` runners on)."""
    loglik = {k: float(sum(v.values())) for k, v in per_runner.items()}
    finite = {k: v for k, v in loglik.items() if np.isfinite(v) and v != 0.0}
    if not finite or default not in finite:
        return default, loglik
    ranked = sorted(finite, key=finite.get, reverse=True)
    for best in ranked:
        gain = finite[best] - finite[default]
        if best == default or gain <= ONSET_LR_THRESHOLD:
            break
        runners = set(per_runner[best]) & set(per_runner[default])
        gains = sorted(
            (per_runner[best][r] - per_runner[default][r] for r in runners), reverse=True
        )
        if (
            len(gains) < MIN_RUNNERS_FOR_INFLUENCE
            or gain - sum(gains[:without]) > ONSET_LR_THRESHOLD
        ):
            return best, loglik
    return default, loglik


def design_columns(design: dict) -> dict:
    """The design choices as output columns: ``heat_onset_c``, ``plateau_weeks``
    (empty unless the change plateaus), ``delay_weeks`` (empty unless it starts
    late), ``speed_cost_scale``, ``post_strength_days`` (empty without a
    residual-fatigue term), ``time_of_day_peak_h`` (empty without a time-of-day
    term), ``post_strength_shared_pct`` (empty without the squad's shared
    residual fatigue) and ``training_load_scale`` (empty without the load's
    offset)."""
    weeks = float(design.get("ramp_weeks", FULL_BLOCK))
    days = float(design.get("post_strength_days", POST_STRENGTH_DAYS))
    peak = float(design.get("clock_peak_h", NO_CLOCK))
    shared = float(design.get("post_strength_shared", NO_SHARED_FATIGUE))
    load = float(design.get("load_scale", NO_LOAD))
    return {
        "heat_onset_c": float(design.get("heat_onset_c", HEAT_ONSET_C)),
        "plateau_weeks": weeks if 0 < weeks < FULL_BLOCK else np.nan,
        "delay_weeks": -weeks if weeks < 0 else np.nan,
        "speed_cost_scale": float(design.get("speed_scale", SPEED_SCALE)),
        "post_strength_days": days if days >= 0 else np.nan,
        "time_of_day_peak_h": peak if peak >= 0 else np.nan,
        "post_strength_shared_pct": 100.0 * math.expm1(shared) if shared else np.nan,
        "training_load_scale": load if load else np.nan,
    }


def design_from(per_runner: pd.DataFrame | None) -> dict:
    """The design :func:`analysis.models.analyze` used, read back from its output."""
    design = {
        "heat_onset_c": HEAT_ONSET_C,
        "ramp_weeks": FULL_BLOCK,
        "speed_scale": SPEED_SCALE,
        "post_strength_days": POST_STRENGTH_DAYS,
        "clock_peak_h": NO_CLOCK,
        "post_strength_shared": NO_SHARED_FATIGUE,
        "load_scale": NO_LOAD,
    }
    if per_runner is None:
        return design
    if "heat_onset_c" in per_runner and per_runner["heat_onset_c"].notna().any():
        design["heat_onset_c"] = float(per_runner["heat_onset_c"].dropna().iloc[0])
    if "plateau_weeks" in per_runner and per_runner["plateau_weeks"].notna().any():
        design["ramp_weeks"] = float(per_runner["plateau_weeks"].dropna().iloc[0])
    if "delay_weeks" in per_runner and per_runner["delay_weeks"].notna().any():
        design["ramp_weeks"] = -float(per_runner["delay_weeks"].dropna().iloc[0])
    if "speed_cost_scale" in per_runner and per_runner["speed_cost_scale"].notna().any():
        design["speed_scale"] = float(per_runner["speed_cost_scale"].dropna().iloc[0])
    if "post_strength_days" in per_runner and per_runner["post_strength_days"].notna().any():
        design["post_strength_days"] = float(per_runner["post_strength_days"].dropna().iloc[0])
    if "time_of_day_peak_h" in per_runner and per_runner["time_of_day_peak_h"].notna().any():
        design["clock_peak_h"] = float(per_runner["time_of_day_peak_h"].dropna().iloc[0])
    shared = per_runner.get("post_strength_shared_pct")
    if shared is not None and shared.notna().any():
        # the candidate it was (exactly: a report refits with the same offset)
        logged = math.log1p(float(shared.dropna().iloc[0]) / 100.0)
        design["post_strength_shared"] = min(SHARED_FATIGUE_OFFSETS, key=lambda c: abs(c - logged))
    load = per_runner.get("training_load_scale")
    if load is not None and load.notna().any():
        logged = float(load.dropna().iloc[0])
        design["load_scale"] = min(LOAD_SCALES, key=lambda c: abs(c - logged))
    return design
