"""A synthetic squad with known truth, for proving that the models recover it.

:func:`generate_squad` builds a squad of runners in the canonical format of
``DATA_FORMAT.md`` (runners, runs, strength, blocks, lab tests) together with
the true value of everything the analysis estimates (``truth``);
:func:`simulate_squad` writes it to a dataset folder. The same seed always
gives the same bytes. Everything below is an assumption of the simulator, not
a finding: the models are tested against it, so it is written out in full.

Runners
-------
Sex F/M/X (46/52/2 %), age 20-55 (``birth_year``), body mass, VO2max 45-62
(F) or 48-70 (M) ml/kg/min less 0.15 per year over 30, HRmax from Tanaka
(208 - 0.7·age) plus an individual offset (SD 8 bpm), HRrest 40-60 bpm (lower
for fitter runners), and an individual **economy factor** ``econ_factor``
(lognormal, SD 5 %): the runner's true oxygen cost relative to the Daniels &
Gilbert curve. ``runners.csv`` carries the *true* HRrest, HRmax and VO2max,
so field estimates are not biased by wrong parameters (a test of parameter
misspecification perturbs them itself). VO2max, HRrest and HRmax do not
change over the season. Names are made up from first-name and surname lists,
without repeats until a list runs out.

Oxygen cost and the strength effect
-----------------------------------
The true VO2 of a steady run is ``econ(t) · daniels_vo2(gas)``, where ``gas``
is the grade-adjusted (flat-equivalent) speed that
:func:`analysis.physiology.grade_adjusted_speed` computes from the run's
summary (distance, ascent, descent, time), i.e. the Minetti cost of hills is
taken to be exactly right. ``strength_fraction`` of the runners (rounded)
are in the strength group; their ``econ`` falls as a straight **ramp** from
``block_start`` (no change) to ``block_end`` (the full effect) and stays
there afterwards. Controls' true economy never changes: no season, fitness or
fatigue trend in economy for anybody. A runner's true effect is

    effect = (effect_pct_mean + effect_pct_sd · z) · (0.5 + 0.5 · spw / 2.2),
    z ~ N(0, 1)

where ``spw`` is the strength sessions per week actually done in the block
and 2.2 its expected value, so half the effect depends on the dose and the
squad mean stays ``effect_pct_mean`` (dose-response slope about
``effect_pct_mean / 4.4`` % per weekly session). Because econ multiplies VO2
at every speed, ``truth.o2_cost_change_pct`` = effect is the change in flat
oxygen cost at any fixed speed from the baseline to block end, in the sense
of ``DATA_FORMAT.md`` (negative = more economical). The kind of strength
work (heavy, plyometric, bodyweight) has no effect of its own.

Heart rate
----------
Steady runs follow heart-rate reserve = VO2 reserve (Swain & Leutholtz 1997):

    HR = HRrest + (VO2 - 3.5) / (VO2max - 3.5) · (HRmax - HRrest)
         + temp_slope · max(temp - 15 °C, 0)
         + drift_rate · max(duration_min - 60, 0)
         + AR(1) day noise + white noise

``temp_slope`` is drawn per runner, 0.3-1.0 bpm/°C above 15 °C (SCIENCE.md
§6 verifies no constant); below 15 °C air temperature has no effect (a
hinge). ``drift_rate`` (0.03-0.10 bpm of *average* HR per minute beyond
60 min) is the cardiac drift of long runs. The AR(1) term is a day-level
state (sleep, fatigue, hydration) with SD 1.5 bpm and a day-to-day
correlation of 0.7 (about 0.5-0.6 between consecutive runs); the white noise
has SD 2 bpm. Heart rate is recorded as an integer and clipped to
[HRrest + 1, HRmax - 1]. Intervals and races are not steady (see below).

Training
--------
Weeks start on ``start_date`` (a Monday by default, so they are ISO weeks);
``baseline_weeks`` of training, ``block_weeks`` of block, ``post_weeks``
after it. Each runner runs 4-6 times a week (at most once a day): a long run
on their Saturday or Sunday (16-30 km, growing 0.25 km a week), in most
weeks one quality session alternating tempo (steady at 78-86 % VO2max,
8-12 km) and intervals, sometimes a recovery run, the rest easy runs (5-16
km). Every fourth week, most runners race a 5K or 10K in place of the long
run. Pace is by plan and does not change through the season: the target
grade-adjusted speed of a run is the speed whose Daniels cost, times the
runner's *baseline* economy, is a type-specific fraction of VO2max (easy
60-70 %, long 2 points lower, recovery 8 points lower, day-to-day SD 2
points); on hilly routes runners slow down to hold that flat-equivalent
speed. So a runner who becomes more economical runs the same paces at a
lower heart rate, and the change at the runner's usual speeds equals the
change at a fixed speed. That is ``pacing="plan"``, the default; see
"Pacing" for runners who run by heart rate.

- Routes: ascent 0-25 m/km around a personal hilliness, descent equal to the
  ascent ± 5 % (loops); intervals on flat routes, races on 0-6 m/km courses.
- Start times 06:30-19:00 local (morning, lunch or evening runners); long runs
  and races on weekend mornings.
- Air temperature: a temperate climate curve (about 3 °C in mid-January,
  12.5 °C in mid-April, 17 °C in mid-May) when ``warming=True``, else a flat
  10 °C; plus weather shared by the squad (AR(1), SD 3.5 °C, day-to-day
  correlation 0.7), a diurnal term (± 3 °C, warmest at 15:00) and a personal
  SD of 1 °C.
- Intervals: warm-up 2-3 km easy, 4-8 reps of 0.8-1.2 km at 95-102 %
  VO2max demand with 400 m jog recoveries, 1.5-2.5 km cool-down. Average HR
  is the time-weighted steady-state HR of the segments (rep VO2 capped at
  VO2max) minus 3-8 bpm, because HR lags the short reps: intervals sit below
  the steady HR-speed relation.
- Races: the time is what Daniels' tables predict for the runner's effective
  VDOT on the day, ``VO2max / econ(t)`` times a race-day form factor (SD 1.5
  %), on a mildly hilly course; distance logged as exactly 5 or 10 km. HR is
  the steady relation at the sustained fraction of VO2max, minus 1-3 bpm.
- ``max_hr_bpm``: average + 6-14 bpm on steady runs, within 8 bpm of HRmax
  in intervals and within 3 bpm in races.
- Device VO2max estimate: 70 % of runners' watches report one on about half
  of their easy, long, recovery and tempo runs: ``VO2max / econ(t)`` times a
  personal bias (SD 5 %), plus noise (SD 1), as an integer. It improves with
  economy, as a watch's HR-speed estimate would.
- Cadence: a personal 158-182 spm at easy speed, +0.12 spm per m/min faster.
  RPE: by run type ± 1.

Pacing
------
``pacing="plan"`` (default) is the plan above. With ``pacing="hr"`` every
runner paces easy, long and recovery runs by heart rate (or feel) instead:
the run's fraction of VO2max (same draws: easy 60-70 %, long 2 points
lower, recovery 8 points lower, day-to-day SD 2 points) is the target, and
the flat-equivalent speed is the one whose Daniels cost times the economy
*of that day*, ``econ(t)``, meets it. A runner who becomes more economical
then runs faster at the same heart rate, and the field estimate sees the
change as a lower cost at a higher speed. Tempo runs, intervals and races
are paced as before. ``pacing="mixed"`` makes half of the runners (rounded
up, at random) HR-paced and the rest plan-paced.

``econ_day_sd`` (default 0) adds day-to-day noise to the economy of runs:
``econ(t)`` is multiplied by a lognormal factor with that SD, drawn per
runner and day (lab tests are not affected). Plan-paced runners show it as
heart rate, HR-paced runners as speed. The defaults draw nothing from the
pacing stream, so they give the same bytes as before these options existed.

Strength
--------
Strength runners plan 2 or 3 sessions a week and do each with a personal
adherence (Beta(6, 1.5), mean 0.8): 1 + Binomial(planned - 1, adherence)
sessions a week (1-3, mean 2.2), on random days, only inside the block; the
first session is on ``block_start``, so a block inferred from the strength
log starts when the true block does. A session is 3-6 exercises from the
runner's programme: the bodyweight list of ``DATA_FORMAT.md`` (walking
lunges, squats, single-leg deadlifts, reverse lunges, pistol squats, plank,
glute bridge, lying superman, dive-bomber push-ups, Russian twists,
single-leg lateral jumps, fire hydrants, burpees), a gym programme (back
squat and deadlift at 80-90 %, hip thrust at 70-85 % of a personal 1RM that
grows 1 % a week, for the Epley repetition maximum at that load less 0-2
reps in reserve; box jumps, jump squats, plus plank, Russian twists, glute bridge and
single-leg deadlifts) or both mixed. One row per exercise with sets, reps (or
``duration_s`` for the plank), ``load_kg`` (empty = body weight) and RPE.
Controls do no strength work. ``blocks.csv`` has a row for every strength
runner except one in eight (at least one): their block must be inferred
(``truth.block_source`` = ``inferred``). All strength runners share the
squad's block dates.

Two blocks (``blocks=2``, ``runeco simulate --blocks 2``): after the first
block come ``baseline_weeks`` without strength work (the second block's own
baseline, so it is not shortened) and then a second block of ``block_weeks``,
with sessions drawn as in the first (same plan and adherence, new days).
Economy keeps the first block's change and ramps again through the second:
``econ(t) = econ · (1 + effect/100 · ramp1(t)) · (1 + effect2/100 · ramp2(t))``,
where ``effect2`` is drawn like ``effect`` around ``block2_effect_pct_mean``
(default half of ``effect_pct_mean``: an assumption, a second block adding
less than the first) with its own z and the second block's sessions per week.
So the true change of block 2 relative to its baseline is exactly
``effect2``. Every strength runner then has two rows in ``blocks.csv`` (none
inferred), ``truth.csv`` gets a ``block`` column and a second row per
strength runner, and the lab tests stay around the first block. All of it is
drawn from a tenth random stream, used only when ``blocks=2``.

Lab tests
---------
When ``lab_tests=True``, half of each group (rounded up) has a treadmill
test (0 % grade) three days before ``block_start`` (the Friday before a
Monday start) and the day after ``block_end``: 4-5 stages 1 km/h apart from about 55 % VO2max, the last
dropped if it needs more than 92 % VO2max. Stage VO2 = the true cost on that
date × (1 + N(0, 2 %)), independent between stages (a real lab also has a
between-day component, not simulated); HR from the steady relation (no heat)
± 2 bpm; RER 0.85-0.98 rising with intensity; lactate rising exponentially
near threshold.

Dirty data
----------
``missing_fraction`` blanks, independently per run, each group of optional
cells with that probability: heart rate (average and maximum together),
elevation (ascent and descent together), temperature, cadence, RPE; also
strength RPE and lab HR, RER and lactate. The physiology is unchanged (a
blank temperature still warmed the runner). ``bad_rows=k`` inserts k clearly
invalid rows at random lines of ``runs.csv`` (negative distance, HR 400,
unparseable date, unknown runner, duplicate of an earlier run, zero
duration, 1:00/km pace) and ``strength.csv`` (unknown runner, unparseable
date, negative load, no exercise name), in that rotation, listed with their
file, line and kind in ``bad_rows``. They are extra rows: the clean data are
the same with or without them.

Frames
------
The frames are exactly what is written: dates as ISO strings (runs carry the
local start time, the other files dates only), integers as nullable
``Int64``, floats rounded as a device would (distance 3 dp, temperature 1 dp,
HR and duration integers). Load the written folder with
:func:`analysis.io.load_dataset` for typed frames.

References
----------
.. [1] Daniels J, Gilbert J. Oxygen Power (1979); SCIENCE.md §1.
.. [2] Minetti AE et al. J Appl Physiol 93:1039-1046 (2002); SCIENCE.md §3.
.. [3] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997); SCIENCE.md §4.
.. [4] Tanaka H, Monahan KD, Seals DR. J Am Coll Cardiol 37:153-156 (2001); SCIENCE.md §7.
.. [5] Denadai BS et al. Sports Med 47:545-554 (2017): about -4 % RE after
   8-12 weeks at 2-3 sessions/week (the default effect); SCIENCE.md §8.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

from analysis.io.write import write_csv_atomic
from analysis.physiology import (
    VO2_REST_ML_KG_MIN,
    daniels_fraction,
    daniels_speed_from_vo2,
    daniels_vo2,
    grade_adjusted_speed,
    hr_max_tanaka,
    race_time_from_vdot,
)

__all__ = [
    "generate_squad",
    "simulate_squad",
    "TEMP_THRESHOLD_C",
    "DOSE_REF_SESSIONS_PER_WEEK",
    "PACING",
]

# ---------------------------------------------------------------------------
# assumptions (see the module docstring)
# ---------------------------------------------------------------------------

TEMP_THRESHOLD_C = 15.0
"""Air temperature above which heart rate rises with temperature [°C]."""

_DRIFT_ONSET_MIN = 60.0
_HR_WHITE_SD_BPM = 2.0
_HR_DAY_SD_BPM = 1.5
_HR_DAY_PHI = 0.7
_WEATHER_SD_C = 3.5
_WEATHER_PHI = 0.7
_DIURNAL_AMPLITUDE_C = 3.0
_RUN_TEMP_SD_C = 1.0
_FLAT_TEMP_C = 10.0
_LAB_VO2_CV = 0.02

# Mid-month temperature of a temperate town at running hours [°C], Jan..Dec.
_CLIMATE_C = np.array([3.0, 4.5, 8.0, 12.5, 17.0, 20.0, 22.0, 21.5, 18.0, 13.0, 8.0, 4.5])

_ADHERENCE_BETA = (6.0, 1.5)
DOSE_REF_SESSIONS_PER_WEEK = 1.0 + 1.5 * _ADHERENCE_BETA[0] / sum(_ADHERENCE_BETA)
"""Expected strength sessions per week (1 + Binomial(planned - 1, adherence),
planned 2 or 3, mean adherence 0.8): 2.2. The dose at which the effect equals
its drawn value."""
_DOSE_SHARE = 0.5

PACING = ("plan", "hr", "mixed")
"""Pacing styles of easy, long and recovery runs (module docstring, "Pacing")."""

EASY, LONG, RECOVERY, TEMPO, INTERVAL, RACE = range(6)
_TYPE_NAMES = np.array(["easy", "long", "recovery", "tempo", "interval", "race"], dtype=object)
_RPE_BY_TYPE = np.array([3, 5, 2, 6, 8, 9])

# name, reps low/high (None: timed hold), sets low/high, 1RM multiple of body
# mass (low, high) and working fraction of 1RM (low, high) for loaded lifts,
# whose reps follow from the load instead of the reps range.
_EXERCISES = (
    ("walking lunges", (10, 14), (2, 3), None, None),
    ("squats", (12, 20), (2, 3), None, None),
    ("single-leg deadlifts", (8, 12), (2, 3), None, None),
    ("reverse lunges", (10, 12), (2, 3), None, None),
    ("pistol squats", (4, 8), (2, 3), None, None),
    ("plank", None, (2, 3), None, None),
    ("glute bridge", (12, 20), (2, 3), None, None),
    ("lying superman", (10, 15), (2, 3), None, None),
    ("dive-bomber push-ups", (6, 12), (2, 3), None, None),
    ("Russian twists", (20, 40), (2, 3), None, None),
    ("single-leg lateral jumps", (10, 20), (2, 3), None, None),
    ("fire hydrants", (12, 20), (2, 3), None, None),
    ("burpees", (8, 15), (2, 4), None, None),
    ("back squat", (3, 6), (3, 5), (0.9, 1.6), (0.80, 0.90)),
    ("deadlift", (3, 6), (3, 4), (1.1, 2.0), (0.80, 0.90)),
    ("hip thrust", (6, 10), (3, 4), (1.2, 2.2), (0.70, 0.85)),
    ("box jumps", (5, 8), (3, 4), None, None),
    ("jump squats", (6, 10), (3, 4), None, None),
)
_EX_NAMES = np.array([e[0] for e in _EXERCISES], dtype=object)
_N_BODYWEIGHT = 13
_LIFTS = (13, 14, 15)  # back squat, deadlift, hip thrust
_ONE_RM_LOW = np.array([_EXERCISES[i][3][0] for i in _LIFTS])
_ONE_RM_HIGH = np.array([_EXERCISES[i][3][1] for i in _LIFTS])
_JUMP_SQUAT = 17
_PLANK = 5
# programme -> which exercises it draws from
_PROGRAMMES = ("bodyweight", "gym", "mixed")
_PROGRAMME_POOL = np.zeros((3, len(_EXERCISES)), dtype=bool)
_PROGRAMME_POOL[0, :_N_BODYWEIGHT] = True
_PROGRAMME_POOL[1, [13, 14, 15, 16, 17, 5, 9, 6, 2]] = True
_PROGRAMME_POOL[2, :] = True

_FIRST_F = (
    "Anna Sofia Emma Laura Maria Clara Julia Inès Marta Eva Nora Lea Hanna Ida Freya Elena "
    "Chloe Grace Alice Mia Zoe Lucía Ruth Tessa Aoife Priya Amara Yuki Noor Sanna"
).split()
_FIRST_M = (
    "Lukas Jonas Mateo Daniel Pablo Tomás Erik Felix Oscar Hugo Leo Samuel Marco David Ivan "
    "Nils Omar Rafael Simon Adam Theo Karim Jan Arto Kwame Ravi Sean Kenji Mikko Bruno"
).split()
_FIRST_X = ("Alex", "Sam", "Robin", "Kim", "Charlie", "Noa", "Sasha", "Eli")
_SURNAMES = (
    "Berg Novak Moreau Silva Kowalski Lindqvist Rossi Jensen Okafor Tanaka Müller García "
    "O'Neill Fischer Horvat Costa Nieminen Dubois Schmidt Petrov Andersen Walsh Kim Haddad "
    "Sato Virtanen Keller Murphy Santos López Weber Laine Mensah Iyer Byrne Nowak Ferreira"
).split()

_BAD_KINDS = (
    ("runs.csv", "negative distance"),
    ("runs.csv", "heart rate 400 bpm"),
    ("runs.csv", "unparseable date"),
    ("runs.csv", "unknown runner"),
    ("runs.csv", "duplicate run"),
    ("runs.csv", "zero duration"),
    ("runs.csv", "absurd pace"),
    ("strength.csv", "unknown runner"),
    ("strength.csv", "unparseable date"),
    ("strength.csv", "negative load"),
    ("strength.csv", "missing exercise"),
)

_FILES = (
    "runners.csv",
    "runs.csv",
    "strength.csv",
    "blocks.csv",
    "lab_tests.csv",
    "truth.csv",
    "bad_rows.csv",
)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def generate_squad(
    *,
    n_runners=8,
    seed=0,
    baseline_weeks=6,
    block_weeks=10,
    post_weeks=0,
    strength_fraction=0.5,
    start_date="2026-01-05",
    missing_fraction=0.0,
    bad_rows=0,
    lab_tests=True,
    effect_pct_mean=-4.0,
    effect_pct_sd=1.5,
    warming=True,
    pacing="plan",
    econ_day_sd=0.0,
    blocks=1,
    block2_effect_pct_mean=None,
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic squad with known truth (no file access).

    The physiology and every assumption are described in the module
    docstring (:mod:`analysis.simulate`).

    Parameters
    ----------
    n_runners : int, keyword-only
        Runners in the squad (>= 1). Ids are ``R01``.. (zero-padded to the
        width of ``n_runners``, at least two digits).
    seed : int
        Seed of ``numpy.random.default_rng``; the same arguments always give
        identical frames.
    baseline_weeks, block_weeks, post_weeks : int
        Weeks before the strength block (>= 1), of the block (>= 1) and after
        it (>= 0).
    strength_fraction : float
        Share of runners in the strength group, 0-1 (rounded to whole runners).
    start_date : str
        First day of the log, ISO date (a Monday keeps weeks = ISO weeks).
    missing_fraction : float
        Probability, 0 <= p < 1, that each group of optional cells is blank.
    bad_rows : int
        Clearly invalid rows to insert into runs.csv and strength.csv (>= 0).
    lab_tests : bool
        Give half of each group a treadmill test before and after the block.
    effect_pct_mean, effect_pct_sd : float
        Mean and SD of the true change in oxygen cost of the strength group
        at the reference dose [%] (negative = more economical; SD >= 0).
    warming : bool
        Seasonal temperature curve (True) or a flat 10 °C mean (False).
    pacing : {"plan", "hr", "mixed"}
        How easy, long and recovery runs are paced: ``"plan"`` (fixed planned
        paces; better economy shows as a lower heart rate), ``"hr"`` (at a
        target heart rate; better economy shows as faster running) or
        ``"mixed"`` (each runner one or the other, half and half). See
        "Pacing" in the module docstring.
    econ_day_sd : float
        Day-to-day SD of the runner's economy on run days, as a fraction
        (lognormal; >= 0; 0.03 = 3 %). Default 0: economy is a smooth ramp.
    blocks : {1, 2}
        Strength blocks per strength runner (module docstring, "Two blocks").
    block2_effect_pct_mean : float or None
        Mean true change of the second block at the reference dose [%]
        (default None: half of ``effect_pct_mean``); used with ``blocks=2``.

    Returns
    -------
    dict of str to DataFrame
        ``runners``, ``runs``, ``strength``, ``blocks``, ``lab_tests`` (in the
        canonical columns of DATA_FORMAT.md), ``truth`` (one row per runner:
        ``runner_id``, ``group``, ``o2_cost_change_pct``, ``block_start``,
        ``block_end``, ``block_source``, ``strength_sessions_per_week``,
        ``programme``, ``lab_tested``, ``vo2max_ml_kg_min``, ``hr_rest_bpm``,
        ``hr_max_bpm``, ``temp_slope_bpm_per_c``, ``drift_bpm_per_min``,
        ``econ_factor``, ``baseline_o2_cost_12kmh_ml_kg_km``) and
        with ``blocks=2`` a ``block`` column and a second row per strength
        runner for its second block) and
        ``bad_rows`` (``file``, ``line``, ``kind``, ``runner_id``; line is
        the 1-based CSV line, header = 1). ``lab_tests`` is empty when
        ``lab_tests=False``.

    References
    ----------
    .. [1] Daniels J, Gilbert J. Oxygen Power (1979); SCIENCE.md §1.
    .. [2] Swain DP, Leutholtz BC. Med Sci Sports Exerc 29:410-414 (1997).
    .. [3] Denadai BS et al. Sports Med 47:545-554 (2017).
    """
    start = _check_args(
        n_runners=n_runners,
        seed=seed,
        baseline_weeks=baseline_weeks,
        block_weeks=block_weeks,
        post_weeks=post_weeks,
        strength_fraction=strength_fraction,
        start_date=start_date,
        missing_fraction=missing_fraction,
        bad_rows=bad_rows,
        effect_pct_mean=effect_pct_mean,
        effect_pct_sd=effect_pct_sd,
        pacing=pacing,
        econ_day_sd=econ_day_sd,
        blocks=blocks,
        block2_effect_pct_mean=block2_effect_pct_mean,
    )
    # Independent streams, so that e.g. lab_tests=False or missing cells
    # leave every other number unchanged.
    parent = np.random.default_rng(seed)
    streams = parent.spawn(9)
    rng_runner, rng_weather, rng_plan, rng_run, rng_str, rng_lab, rng_miss, rng_bad = streams[:8]
    # The ninth stream (pacing styles, economy day noise) is drawn from only
    # when asked for, so the defaults give the same bytes as before it existed.
    rng_pacing = streams[8]

    second = 0 if blocks == 1 else baseline_weeks + block_weeks
    n_weeks = baseline_weeks + block_weeks + second + post_weeks
    cal = {
        "start": start,
        "n_weeks": n_weeks,
        "n_days": 7 * n_weeks,
        "block_start_day": 7 * baseline_weeks,
        "block_end_day": 7 * (baseline_weeks + block_weeks) - 1,
        "block_weeks": block_weeks,
    }
    p = _draw_runners(rng_runner, n_runners, strength_fraction, start)
    strength, spw = _draw_strength(rng_str, p, cal)
    z = p.pop("effect_z")
    dose = (1.0 - _DOSE_SHARE) + _DOSE_SHARE * spw / DOSE_REF_SESSIONS_PER_WEEK
    effect = np.where(p["strength"], (effect_pct_mean + effect_pct_sd * z) * dose, 0.0)
    p["effect_pct"] = np.round(effect, 3)
    p["spw"] = spw
    if blocks == 2:  # the tenth stream, drawn from only here (module docstring)
        rng_block2 = parent.spawn(1)[0]
        cal["block2_start_day"] = cal["block_start_day"] + 7 * second
        cal["block2_end_day"] = cal["block_end_day"] + 7 * second
        p["inferred"] = np.zeros(n_runners, dtype=bool)  # two blocks.csv rows each
        strength2, spw2 = _draw_strength(
            rng_block2, p, {**cal, "block_start_day": cal["block2_start_day"]}
        )
        z2 = rng_block2.standard_normal(n_runners)
        mean2 = effect_pct_mean / 2.0 if block2_effect_pct_mean is None else block2_effect_pct_mean
        dose2 = (1.0 - _DOSE_SHARE) + _DOSE_SHARE * spw2 / DOSE_REF_SESSIONS_PER_WEEK
        effect2 = np.where(p["strength"], (mean2 + effect_pct_sd * z2) * dose2, 0.0)
        p["effect2_pct"] = np.round(effect2, 3)
        p["spw2"] = spw2
        strength = (
            pd.concat([strength, strength2], ignore_index=True)
            .sort_values(["runner_id", "date"], kind="stable")
            .reset_index(drop=True)
        )

    weather = _weather(rng_weather, cal, warming)
    p["hr_paced"] = _draw_pacing(rng_pacing, pacing, n_runners)
    p["econ_day"] = (
        np.exp(rng_pacing.normal(0.0, econ_day_sd, (n_runners, cal["n_days"])))
        if econ_day_sd > 0
        else np.ones((n_runners, cal["n_days"]))
    )
    runs = _draw_runs(rng_plan, rng_run, p, cal, weather)
    labs = _draw_lab_tests(rng_lab, p, cal) if lab_tests else _empty_lab()
    if missing_fraction > 0:
        _blank_cells(rng_miss, runs, strength, labs, missing_fraction)

    out = {
        "runners": _runners_frame(p),
        "runs": runs,
        "strength": strength,
        "blocks": _blocks_frame(p, cal),
        "lab_tests": labs,
        "truth": _truth_frame(p, cal, labs),
    }
    out["runs"], out["strength"], out["bad_rows"] = _insert_bad_rows(
        rng_bad, out["runs"], out["strength"], bad_rows
    )
    return out


def simulate_squad(out_dir, **kwargs) -> Path:
    """Write a synthetic squad with known truth to a dataset folder.

    Calls :func:`generate_squad` with ``kwargs`` and writes ``runners.csv``,
    ``runs.csv``, ``strength.csv``, ``blocks.csv``, ``truth.csv``, plus
    ``lab_tests.csv`` when ``lab_tests`` is true and ``bad_rows.csv`` (file,
    line, kind, runner_id) when ``bad_rows`` > 0; UTF-8, comma-separated,
    ``\\n`` line ends, written atomically. Any of these files left in the
    folder by an earlier call that this call does not write is removed, so
    the folder always holds one consistent squad. Other files are untouched.

    Parameters
    ----------
    out_dir : str or path-like
        Dataset folder (created if needed).
    **kwargs
        The keyword arguments of :func:`generate_squad`.

    Returns
    -------
    Path
        ``out_dir``.
    """
    frames = generate_squad(**kwargs)
    out = Path(out_dir)
    write = {
        "runners.csv": frames["runners"],
        "runs.csv": frames["runs"],
        "strength.csv": frames["strength"],
        "blocks.csv": frames["blocks"],
        "truth.csv": frames["truth"],
    }
    if kwargs.get("lab_tests", True):
        write["lab_tests.csv"] = frames["lab_tests"]
    if len(frames["bad_rows"]):
        write["bad_rows.csv"] = frames["bad_rows"]
    for name, frame in write.items():
        write_csv_atomic(frame, out / name, index=False, lineterminator="\n")
    for name in _FILES:
        if name not in write and (out / name).is_file():
            os.remove(out / name)
    return out


# ---------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(
            f"The '{name}' parameter of generate_squad must be an integer >= {low}. "
            f"Got {value!r} instead."
        )


def _check_args(**a) -> pd.Timestamp:
    _check_int("n_runners", a["n_runners"], 1)
    _check_int("seed", a["seed"], 0)
    _check_int("baseline_weeks", a["baseline_weeks"], 1)
    _check_int("block_weeks", a["block_weeks"], 1)
    _check_int("post_weeks", a["post_weeks"], 0)
    _check_int("bad_rows", a["bad_rows"], 0)
    for name, lo, hi, hi_open in (
        ("strength_fraction", 0.0, 1.0, False),
        ("missing_fraction", 0.0, 1.0, True),
    ):
        v = a[name]
        ok = (
            isinstance(v, numbers.Real)
            and not isinstance(v, bool)
            and lo <= v
            and (v < hi if hi_open else v <= hi)
        )
        if not ok:
            bound = f"{lo} <= x {'<' if hi_open else '<='} {hi}"
            raise ValueError(
                f"The '{name}' parameter of generate_squad must be a number with {bound}. "
                f"Got {v!r} instead."
            )
    for name in ("effect_pct_mean", "effect_pct_sd"):
        v = a[name]
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not np.isfinite(v):
            raise ValueError(
                f"The '{name}' parameter of generate_squad must be a finite number. "
                f"Got {v!r} instead."
            )
    if a["effect_pct_sd"] < 0:
        raise ValueError(
            "The 'effect_pct_sd' parameter of generate_squad must be >= 0. "
            f"Got {a['effect_pct_sd']!r} instead."
        )
    if isinstance(a["blocks"], bool) or a["blocks"] not in (1, 2):
        raise ValueError(
            f"The 'blocks' parameter of generate_squad must be 1 or 2. Got {a['blocks']!r} instead."
        )
    v = a["block2_effect_pct_mean"]
    if v is not None and (
        not isinstance(v, numbers.Real) or isinstance(v, bool) or not np.isfinite(v)
    ):
        raise ValueError(
            "The 'block2_effect_pct_mean' parameter of generate_squad must be a finite number "
            f"or None. Got {v!r} instead."
        )
    if a["pacing"] not in PACING:
        raise ValueError(
            "The 'pacing' parameter of generate_squad must be one of "
            f"{', '.join(repr(x) for x in PACING)}. Got {a['pacing']!r} instead."
        )
    v = a["econ_day_sd"]
    if (
        not isinstance(v, numbers.Real)
        or isinstance(v, bool)
        or not np.isfinite(v)
        or not 0 <= v < 0.5
    ):
        raise ValueError(
            "The 'econ_day_sd' parameter of generate_squad must be a number with "
            f"0 <= x < 0.5. Got {v!r} instead."
        )
    try:
        start = pd.Timestamp(a["start_date"])
    except (ValueError, TypeError):
        start = pd.NaT
    if pd.isna(start) or start != start.normalize() or start.tz is not None:
        raise ValueError(
            "The 'start_date' parameter of generate_squad must be an ISO date such as "
            f"'2026-01-05'. Got {a['start_date']!r} instead."
        )
    return start


# ---------------------------------------------------------------------------
# runners
# ---------------------------------------------------------------------------


def _draw_runners(rng, n, strength_fraction, start):
    width = max(2, len(str(n)))
    ids = np.array([f"R{i + 1:0{width}d}" for i in range(n)], dtype=object)
    sex = rng.choice(np.array(["F", "M", "X"], dtype=object), size=n, p=[0.46, 0.52, 0.02])
    female = sex == "F"
    male = sex == "M"
    age = rng.integers(20, 56, size=n)
    mass = np.where(female, rng.normal(58, 6, n), np.where(male, rng.normal(70, 7, n), 64.0))
    mass = np.round(np.clip(mass, 45, 100), 1)
    vo2_lo = np.where(female, 45.0, np.where(male, 48.0, 46.5))
    vo2_hi = np.where(female, 62.0, np.where(male, 70.0, 66.0))
    vo2max = rng.uniform(vo2_lo, vo2_hi) - 0.15 * np.maximum(age - 30, 0)
    vo2max = np.round(np.clip(vo2max, 42, 72), 1)
    hr_max = np.round(np.clip(hr_max_tanaka(age.astype(float)) + rng.normal(0, 8, n), 160, 210))
    hr_rest = np.round(np.clip(58 - 0.5 * (vo2max - 45) + rng.normal(0, 4, n), 40, 60))
    econ = np.round(np.exp(rng.normal(0, 0.05, n)), 4)

    # Names drawn without replacement until a list runs out, so a small squad
    # has no two runners with the same first name or surname.
    first = np.where(
        female,
        _shuffled_names(rng, _FIRST_F, n),
        np.where(male, _shuffled_names(rng, _FIRST_M, n), _shuffled_names(rng, _FIRST_X, n)),
    )
    last = _shuffled_names(rng, _SURNAMES, n)

    n_strength = int(round(n * strength_fraction))
    is_strength = np.zeros(n, dtype=bool)
    is_strength[rng.permutation(n)[:n_strength]] = True
    # One strength runner in eight (at least one) has no blocks.csv row.
    s_idx = np.flatnonzero(is_strength)
    n_inferred = max(1, len(s_idx) // 8) if len(s_idx) else 0
    inferred = np.zeros(n, dtype=bool)
    inferred[rng.permutation(s_idx)[:n_inferred]] = True

    return {
        "n": n,
        "id": ids,
        "name": first + " " + last,
        "sex": sex,
        "birth_year": start.year - age,
        "mass": mass,
        "vo2max": vo2max,
        "hr_max": hr_max,
        "hr_rest": hr_rest,
        "econ": econ,
        "strength": is_strength,
        "inferred": inferred,
        "temp_slope": np.round(rng.uniform(0.3, 1.0, n), 3),
        "drift": np.round(rng.uniform(0.03, 0.10, n), 4),
        "effect_z": rng.standard_normal(n),
        # training habits
        "f_easy": rng.uniform(0.60, 0.70, n),
        "d_easy": rng.uniform(7.0, 11.0, n),
        "long_base": rng.uniform(16.0, 22.0, n),
        "hilliness": rng.uniform(2.0, 15.0, n),
        "runs_per_week": rng.choice([4, 5, 6], size=n, p=[0.3, 0.45, 0.25]),
        "long_day": rng.choice([5, 6], size=n),
        "start_hour": rng.choice([7.0, 12.25, 17.75], size=n, p=[0.45, 0.15, 0.40]),
        "quality_prob": rng.uniform(0.7, 1.0, n),
        "quality_phase": rng.integers(0, 2, n),
        "races": rng.random(n) < 0.8,
        "race_phase": rng.integers(0, 4, n),
        "cadence": rng.normal(170, 6, n).clip(158, 182),
        "device_est": rng.random(n) < 0.7,
        "device_bias": rng.normal(0, 0.05, n),
        # strength habits
        "planned": rng.choice([2, 3], size=n),
        "adherence": rng.beta(*_ADHERENCE_BETA, size=n),
        "programme": rng.integers(0, 3, n),
        "one_rm": mass[:, None] * rng.uniform(_ONE_RM_LOW, _ONE_RM_HIGH, (n, len(_LIFTS))),
        "jump_load": rng.choice([0.0, 10.0, 15.0, 20.0], size=n),
    }


def _shuffled_names(rng, names, n):
    reps = -(-n // len(names))
    pool = np.concatenate([rng.permutation(np.array(names, dtype=object)) for _ in range(reps)])
    return pool[:n]


def _runners_frame(p):
    return pd.DataFrame(
        {
            "runner_id": p["id"],
            "name": p["name"],
            "sex": p["sex"],
            "birth_year": pd.array(p["birth_year"], dtype="Int64"),
            "body_mass_kg": p["mass"],
            "hr_rest_bpm": pd.array(p["hr_rest"].astype(int), dtype="Int64"),
            "hr_max_bpm": pd.array(p["hr_max"].astype(int), dtype="Int64"),
            "vo2max_ml_kg_min": p["vo2max"],
            "group": np.where(p["strength"], "strength", "control").astype(object),
        }
    )


# ---------------------------------------------------------------------------
# strength sessions (drawn first: the dose sets the true effect)
# ---------------------------------------------------------------------------


def _rank_desc(priority):
    """Rank of each element along the last axis, 0 = highest priority."""
    order = np.argsort(-priority, axis=-1, kind="stable")
    return np.argsort(order, axis=-1, kind="stable")


def _draw_strength(rng, p, cal):
    s_idx = np.flatnonzero(p["strength"])
    bw = cal["block_weeks"]
    spw = np.zeros(p["n"])
    if len(s_idx) == 0:
        return _empty_strength(), spw
    ns = len(s_idx)
    counts = 1 + rng.binomial(p["planned"][s_idx, None] - 1, p["adherence"][s_idx, None], (ns, bw))
    spw[s_idx] = counts.sum(axis=1) / bw
    pr = rng.random((ns, bw, 7))
    pr[:, 0, 0] = 2.0  # the first session opens the block
    chosen = _rank_desc(pr) < counts[:, :, None]
    r, wk, dow = np.nonzero(chosen)
    runner = s_idx[r]
    day = cal["block_start_day"] + 7 * wk + dow
    n_sess = len(runner)

    n_ex = rng.integers(3, 7, n_sess)
    pool = _PROGRAMME_POOL[p["programme"][runner]]
    pr2 = np.where(pool, rng.random((n_sess, len(_EXERCISES))), -1.0)
    rank2 = _rank_desc(pr2)
    sess, ex = np.nonzero(rank2 < n_ex[:, None])
    order = np.lexsort((rank2[sess, ex], sess))
    sess, ex = sess[order], ex[order]
    rid = runner[sess]
    m = len(sess)

    reps_lo = np.array([e[1][0] if e[1] else 0 for e in _EXERCISES])
    reps_hi = np.array([e[1][1] if e[1] else 0 for e in _EXERCISES])
    sets_lo = np.array([e[2][0] for e in _EXERCISES])
    sets_hi = np.array([e[2][1] for e in _EXERCISES])
    sets = rng.integers(sets_lo[ex], sets_hi[ex] + 1)
    reps = rng.integers(reps_lo[ex], reps_hi[ex] + 1).astype(float)
    timed = ex == _PLANK
    reps[timed] = np.nan
    duration = np.where(timed, 15 * rng.integers(2, 7, m), np.nan)

    load = np.full(m, np.nan)
    week_in_block = wk[sess]
    for j, lift in enumerate(_LIFTS):
        sel = ex == lift
        frac_lo, frac_hi = _EXERCISES[lift][4]
        frac = rng.uniform(frac_lo, frac_hi, sel.sum())
        one_rm = p["one_rm"][rid[sel], j] * (1 + 0.01 * week_in_block[sel])
        load[sel] = 2.5 * np.round(one_rm * frac / 2.5)
        # Reps to match the load: the Epley repetition maximum at that
        # fraction of 1RM, less 0-2 reps in reserve.
        rep_max = np.floor(30.0 * (1.0 / frac - 1.0))
        reps[sel] = np.maximum(1, rep_max - rng.integers(0, 3, sel.sum()))
    js = ex == _JUMP_SQUAT
    load[js] = np.where(p["jump_load"][rid[js]] > 0, p["jump_load"][rid[js]], np.nan)

    heavy = np.isin(ex, _LIFTS)
    rpe = np.where(heavy, rng.integers(7, 10, m), rng.integers(5, 9, m))
    dates = cal["start"] + pd.to_timedelta(day[sess], unit="D")
    frame = pd.DataFrame(
        {
            "runner_id": p["id"][rid],
            "date": dates.strftime("%Y-%m-%d"),
            "exercise": _EX_NAMES[ex],
            "sets": pd.array(sets, dtype="Int64"),
            "reps": pd.array(reps, dtype="Int64"),
            "load_kg": load,
            "duration_s": pd.array(duration, dtype="Int64"),
            "rpe": pd.array(rpe, dtype="Int64"),
        }
    )
    return frame, spw


def _empty_strength():
    return pd.DataFrame(
        {
            "runner_id": pd.Series(dtype=object),
            "date": pd.Series(dtype=object),
            "exercise": pd.Series(dtype=object),
            "sets": pd.array([], dtype="Int64"),
            "reps": pd.array([], dtype="Int64"),
            "load_kg": pd.Series(dtype=float),
            "duration_s": pd.array([], dtype="Int64"),
            "rpe": pd.array([], dtype="Int64"),
        }
    )


# ---------------------------------------------------------------------------
# weather
# ---------------------------------------------------------------------------


def _ar1(rng, shape, sd, phi):
    """Stationary AR(1) series along the last axis with marginal SD ``sd``."""
    innov = rng.standard_normal(shape) * sd * np.sqrt(1 - phi**2)
    innov[..., 0] = innov[..., 0] / np.sqrt(1 - phi**2)
    return signal.lfilter([1.0], [1.0, -phi], innov, axis=-1)


def _weather(rng, cal, warming):
    """Daily mean running-hour temperature [°C] shared by the squad."""
    days = cal["start"] + pd.to_timedelta(np.arange(cal["n_days"]), unit="D")
    if warming:
        # Periodic interpolation between mid-month values, by day of year.
        doy = days.day_of_year.to_numpy() - 1.0
        anchors = np.array([14.5 + 365.0 / 12.0 * k for k in range(12)])
        x = np.concatenate([anchors - 365.0, anchors, anchors + 365.0])
        y = np.tile(_CLIMATE_C, 3)
        clim = np.interp(doy, x, y)
    else:
        clim = np.full(cal["n_days"], _FLAT_TEMP_C)
    return clim + _ar1(rng, cal["n_days"], _WEATHER_SD_C, _WEATHER_PHI)


# ---------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------


def _econ_at(p, day, runner, cal):
    """True economy factor of ``runner`` on ``day`` (ramp through the block)."""
    span = cal["block_end_day"] - cal["block_start_day"]  # >= 6 days
    ramp = np.clip((day - cal["block_start_day"]) / span, 0.0, 1.0)
    econ = p["econ"][runner] * (1.0 + p["effect_pct"][runner] / 100.0 * ramp)
    if "block2_start_day" in cal:  # blocks=2: the second block's ramp on top
        ramp2 = np.clip((day - cal["block2_start_day"]) / span, 0.0, 1.0)
        econ = econ * (1.0 + p["effect2_pct"][runner] / 100.0 * ramp2)
    return econ


def _hr_steady(vo2, runner, p):
    """Steady-state HR at a VO2: HR reserve fraction = VO2 reserve fraction."""
    f = (vo2 - VO2_REST_ML_KG_MIN) / (p["vo2max"][runner] - VO2_REST_ML_KG_MIN)
    return p["hr_rest"][runner] + f * (p["hr_max"][runner] - p["hr_rest"][runner])


def _gas_at(fraction, runner, p):
    """Planned flat-equivalent speed [m/min] at a fraction of VO2max."""
    return daniels_speed_from_vo2(fraction * p["vo2max"][runner] / p["econ"][runner])


def _draw_pacing(rng, pacing, n):
    """Which runners pace their easy, long and recovery runs by heart rate."""
    if pacing == "plan":
        return np.zeros(n, dtype=bool)
    if pacing == "hr":
        return np.ones(n, dtype=bool)
    hr_paced = np.zeros(n, dtype=bool)
    hr_paced[rng.permutation(n)[: (n + 1) // 2]] = True
    return hr_paced


def _route_factor(distance_km, gain_m, loss_m):
    """Grade-adjusted speed / speed of a route, as the metrics compute it."""
    ref_s = distance_km * 1000.0 / 200.0 * 60.0
    return grade_adjusted_speed(distance_km, gain_m, loss_m, ref_s) / 200.0


def _schedule(rng, p, cal):
    """Run days and types: arrays (runner, day, week, type), chronological per runner."""
    n, w = p["n"], cal["n_weeks"]
    n_rw = np.clip(
        p["runs_per_week"][:, None] + rng.choice([-1, 0, 1], size=(n, w), p=[0.15, 0.7, 0.15]),
        4,
        6,
    )
    pr = rng.random((n, w, 7))
    pr[np.arange(n), :, p["long_day"]] = 2.0  # the long run is always on
    rank = _rank_desc(pr)
    weeks = np.arange(w)
    types = np.full((n, w, 7), EASY)
    types[rank == 0] = LONG
    quality = (rng.random((n, w)) < p["quality_prob"][:, None])[:, :, None] & (rank == 1)
    qtype = np.where((weeks[None, :] + p["quality_phase"][:, None]) % 2 == 0, TEMPO, INTERVAL)
    types = np.where(quality, qtype[:, :, None], types)
    recovery = ((n_rw >= 5) & (rng.random((n, w)) < 0.6))[:, :, None] & (rank == 2)
    types[recovery] = RECOVERY
    race_week = p["races"][:, None] & ((weeks[None, :] + p["race_phase"][:, None]) % 4 == 3)
    types[race_week[:, :, None] & (rank == 0)] = RACE
    types[race_week[:, :, None] & (rank == 1)] = EASY
    chosen = rank < n_rw[:, :, None]
    r, wk, dow = np.nonzero(chosen)
    return r, 7 * wk + dow, wk, types[r, wk, dow]


def _draw_runs(rng_plan, rng, p, cal, weather):
    runner, day, week, rtype = _schedule(rng_plan, p, cal)
    n_runs = len(runner)
    is_ = {t: rtype == t for t in range(6)}
    steady = ~(is_[INTERVAL] | is_[RACE])

    # start time [min after midnight]
    hour = p["start_hour"][runner] + rng.normal(0, 0.5, n_runs)
    hour = np.where(is_[LONG], rng.uniform(7.5, 9.5, n_runs), hour)
    hour = np.where(is_[RACE], rng.choice([9.0, 9.5, 10.0], n_runs), hour)
    minute = np.clip(np.round(hour * 60), 390, 1140).astype(int)

    # air temperature, rounded as recorded; HR responds to the recorded value
    temp = weather[day] + _DIURNAL_AMPLITUDE_C * np.cos(2 * np.pi * (minute / 60 - 15) / 24)
    temp = np.round(temp + rng.normal(0, _RUN_TEMP_SD_C, n_runs), 1) + 0.0  # no "-0.0"

    # planned effort and distance of steady runs
    f_easy = p["f_easy"][runner]
    frac = np.select(
        [is_[EASY], is_[LONG], is_[RECOVERY], is_[TEMPO]],
        [
            f_easy + rng.normal(0, 0.02, n_runs),
            f_easy - 0.02 + rng.normal(0, 0.015, n_runs),
            f_easy - 0.08 + rng.normal(0, 0.015, n_runs),
            rng.uniform(0.78, 0.86, n_runs),
        ],
        default=f_easy,
    )
    d_easy = p["d_easy"][runner] * np.exp(rng.normal(0, 0.15, n_runs))
    dist = np.select(
        [is_[EASY], is_[LONG], is_[RECOVERY], is_[TEMPO]],
        [
            np.clip(d_easy, 5, 16),
            np.clip(p["long_base"][runner] + 0.25 * week + rng.normal(0, 1.5, n_runs), 16, 30),
            np.clip(0.65 * d_easy, 3, 9),
            rng.uniform(8, 12, n_runs),
        ],
        default=0.0,
    )

    # intervals: warm-up, reps with jog recoveries, cool-down
    wu_km = rng.uniform(2.0, 3.0, n_runs)
    rep_km = rng.choice([0.8, 1.0, 1.2], n_runs)
    n_reps = np.round(rng.uniform(4.0, 7.0, n_runs) / rep_km)
    rec_km = np.full(n_runs, 0.4)
    cd_km = rng.uniform(1.5, 2.5, n_runs)
    rep_frac = rng.uniform(0.95, 1.02, n_runs)
    lag_bpm = rng.uniform(3.0, 8.0, n_runs)
    seg_km = np.stack([wu_km, n_reps * rep_km, n_reps * rec_km, cd_km], axis=1)
    dist = np.where(is_[INTERVAL], seg_km.sum(axis=1), dist)

    # races: 5K or 10K
    race_m = rng.choice([5000.0, 10000.0], n_runs, p=[0.6, 0.4])
    form = 1.0 + rng.normal(0, 0.015, n_runs)
    dist = np.where(is_[RACE], race_m / 1000.0, dist)
    dist = np.round(dist, 3)

    # routes
    hill = p["hilliness"][runner] * np.exp(rng.normal(0, 0.5, n_runs))
    hill = np.where(is_[INTERVAL], 0.25 * hill, hill)
    hill = np.where(is_[RACE], rng.uniform(0, 6, n_runs), hill)
    gain = np.round(np.clip(hill, 0, 25) * dist)
    loss = np.round(gain * np.exp(rng.normal(0, 0.05, n_runs)))
    k = _route_factor(dist, gain, loss)

    econ = _econ_at(p, day, runner, cal) * p["econ_day"][runner, day]
    vo2max = p["vo2max"][runner]

    # duration [s]; by plan at the baseline economy, or by heart rate at the
    # economy of the day (easy, long and recovery runs of HR-paced runners)
    gas_plan = _gas_at(frac, runner, p)
    by_hr = p["hr_paced"][runner] & (is_[EASY] | is_[LONG] | is_[RECOVERY])
    if by_hr.any():
        gas_plan = np.where(by_hr, daniels_speed_from_vo2(frac * vo2max / econ), gas_plan)
    dur_min = np.where(steady, dist * 1000.0 / (gas_plan / k), 0.0)
    gas_seg = np.stack(
        [
            _gas_at(f_easy, runner, p),
            _gas_at(rep_frac, runner, p),
            _gas_at(f_easy - 0.2, runner, p),
            _gas_at(f_easy, runner, p),
        ],
        axis=1,
    )
    seg_min = seg_km * 1000.0 / (gas_seg / k[:, None])
    dur_min = np.where(is_[INTERVAL], seg_min.sum(axis=1), dur_min)
    race_s = np.full(n_runs, np.nan)
    if is_[RACE].any():
        sel = is_[RACE]
        flat_s = race_time_from_vdot(vo2max[sel] * form[sel] / econ[sel], race_m[sel])
        race_s[sel] = flat_s * k[sel]  # same flat-equivalent speed on the course
    dur_min = np.where(is_[RACE], race_s / 60.0, dur_min)
    duration = np.round(dur_min * 60.0)
    dur_min = duration / 60.0

    # true oxygen uptake and heart rate
    gas = dist * 1000.0 / dur_min * k
    vo2 = econ * daniels_vo2(gas)
    hr = _hr_steady(vo2, runner, p)
    seg_vo2 = np.minimum(econ[:, None] * daniels_vo2(gas_seg), vo2max[:, None])
    seg_hr = _hr_steady(seg_vo2, runner[:, None], p)
    hr_int = (seg_hr * seg_min).sum(axis=1) / seg_min.sum(axis=1) - lag_bpm
    hr = np.where(is_[INTERVAL], hr_int, hr)
    race_frac = np.where(is_[RACE], daniels_fraction(np.where(is_[RACE], dur_min, 30.0)), 1.0)
    race_vo2 = np.minimum(race_frac * vo2max * form, vo2max)
    hr_race = _hr_steady(race_vo2, runner, p) - rng.uniform(1.0, 3.0, n_runs)
    hr = np.where(is_[RACE], hr_race, hr)

    hr = hr + p["temp_slope"][runner] * np.maximum(temp - TEMP_THRESHOLD_C, 0.0)
    hr = hr + p["drift"][runner] * np.maximum(dur_min - _DRIFT_ONSET_MIN, 0.0)
    day_state = _ar1(rng, (p["n"], cal["n_days"]), _HR_DAY_SD_BPM, _HR_DAY_PHI)
    hr = hr + day_state[runner, day] + rng.normal(0, _HR_WHITE_SD_BPM, n_runs)
    hr_rest, hr_max = p["hr_rest"][runner], p["hr_max"][runner]
    avg_hr = np.round(np.clip(hr, hr_rest + 1, hr_max - 1))

    max_hr = avg_hr + rng.uniform(6, 14, n_runs)
    max_hr = np.where(is_[INTERVAL], hr_max - rng.uniform(1, 8, n_runs), max_hr)
    max_hr = np.where(is_[RACE], hr_max - rng.uniform(0, 3, n_runs), max_hr)
    max_hr = np.round(np.maximum(np.minimum(max_hr, hr_max), avg_hr))

    speed = dist * 1000.0 / dur_min
    cadence = p["cadence"][runner] + 0.12 * (speed - _gas_at(f_easy, runner, p))
    cadence = np.round(cadence + rng.normal(0, 1.5, n_runs))
    rpe = np.clip(_RPE_BY_TYPE[rtype] + rng.choice([-1, 0, 0, 1], n_runs), 1, 10)

    est_ok = (
        p["device_est"][runner]
        & (is_[EASY] | is_[LONG] | is_[RECOVERY] | is_[TEMPO])
        & (rng.random(n_runs) < 0.5)
    )
    est = vo2max / econ * (1 + p["device_bias"][runner]) + rng.normal(0, 1.0, n_runs)
    est = np.where(est_ok, np.round(est), np.nan)

    stamps = cal["start"] + pd.to_timedelta(day * 1440 + minute, unit="min")
    rid = p["id"][runner]
    return pd.DataFrame(
        {
            "runner_id": rid,
            "run_id": rid + "-" + np.asarray(stamps.strftime("%Y%m%dT%H%M"), dtype=object),
            "date": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
            "run_type": _TYPE_NAMES[rtype],
            "distance_km": dist,
            "duration_s": pd.array(duration.astype(int), dtype="Int64"),
            "avg_hr_bpm": pd.array(avg_hr, dtype="Int64"),
            "max_hr_bpm": pd.array(max_hr, dtype="Int64"),
            "elev_gain_m": pd.array(gain, dtype="Int64"),
            "elev_loss_m": pd.array(loss, dtype="Int64"),
            "temp_c": temp,
            "cadence_spm": pd.array(cadence, dtype="Int64"),
            "rpe": pd.array(rpe, dtype="Int64"),
            "vo2max_est_ml_kg_min": pd.array(est, dtype="Int64"),
        }
    )


# ---------------------------------------------------------------------------
# lab tests
# ---------------------------------------------------------------------------


def _empty_lab():
    return pd.DataFrame(
        {
            "runner_id": pd.Series(dtype=object),
            "date": pd.Series(dtype=object),
            "speed_kmh": pd.Series(dtype=float),
            "grade_pct": pd.Series(dtype=float),
            "vo2_ml_kg_min": pd.Series(dtype=float),
            "hr_bpm": pd.array([], dtype="Int64"),
            "rer": pd.Series(dtype=float),
            "lactate_mmol": pd.Series(dtype=float),
        }
    )


def _lab_runners(rng, p):
    chosen = np.zeros(p["n"], dtype=bool)
    for grp in (p["strength"], ~p["strength"]):
        idx = np.flatnonzero(grp)
        chosen[rng.permutation(idx)[: (len(idx) + 1) // 2]] = True
    return chosen


def _draw_lab_tests(rng, p, cal):
    lab = _lab_runners(rng, p)
    idx = np.flatnonzero(lab)
    if len(idx) == 0:
        return _empty_lab()
    pre_day = cal["block_start_day"] - 3
    post_day = cal["block_end_day"] + 1
    # 5 stages from about 55 % VO2max; drop the fifth above 92 % VO2max.
    s0 = np.floor(_gas_at(0.55, idx, p) * 60 / 1000)
    speeds = s0[:, None] + np.arange(5)[None, :]
    frac5 = p["econ"][idx] * daniels_vo2(speeds[:, 4] * 1000 / 60) / p["vo2max"][idx]
    keep = np.ones(speeds.shape, dtype=bool)
    keep[:, 4] = frac5 <= 0.92
    r, stage = np.nonzero(keep)
    runner = idx[r]
    speed = speeds[r, stage]
    runner = np.concatenate([runner, runner])
    speed = np.concatenate([speed, speed])
    day = np.concatenate([np.full(len(r), pre_day), np.full(len(r), post_day)])
    order = np.lexsort((speed, day, runner))
    runner, speed, day = runner[order], speed[order], day[order]
    m = len(runner)

    vo2_true = _econ_at(p, day, runner, cal) * daniels_vo2(speed * 1000 / 60)
    vo2 = vo2_true * (1 + rng.normal(0, _LAB_VO2_CV, m))
    frac = vo2_true / p["vo2max"][runner]
    hr = _hr_steady(vo2_true, runner, p) + rng.normal(0, 2.0, m)
    hr = np.clip(hr, p["hr_rest"][runner] + 1, p["hr_max"][runner] - 1)
    rer = np.clip(0.85 + 0.35 * (frac - 0.5) + rng.normal(0, 0.012, m), 0.82, 0.99)
    lactate = (0.8 + 0.25 * np.exp(7 * (frac - 0.55))) * np.exp(rng.normal(0, 0.1, m))
    dates = cal["start"] + pd.to_timedelta(day, unit="D")
    return pd.DataFrame(
        {
            "runner_id": p["id"][runner],
            "date": dates.strftime("%Y-%m-%d"),
            "speed_kmh": speed.astype(float),
            "grade_pct": np.zeros(m),
            "vo2_ml_kg_min": np.round(vo2, 1),
            "hr_bpm": pd.array(np.round(hr), dtype="Int64"),
            "rer": np.round(rer, 2),
            "lactate_mmol": np.round(lactate, 1),
        }
    )


# ---------------------------------------------------------------------------
# blocks and truth
# ---------------------------------------------------------------------------


def _block_dates(cal, number=1):
    prefix = "block" if number == 1 else "block2"
    start = cal["start"] + pd.Timedelta(days=cal[f"{prefix}_start_day"])
    end = cal["start"] + pd.Timedelta(days=cal[f"{prefix}_end_day"])
    return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def _blocks_frame(p, cal):
    listed = p["strength"] & ~p["inferred"]
    m = int(listed.sum())
    numbers = (1, 2) if "block2_start_day" in cal else (1,)
    parts = []
    for number in numbers:
        bs, be = _block_dates(cal, number)
        parts.append(
            pd.DataFrame(
                {
                    "runner_id": p["id"][listed],
                    "block_start": [bs] * m,
                    "block_end": [be] * m,
                    "label": [f"strength block {number}"] * m,
                },
                columns=["runner_id", "block_start", "block_end", "label"],
            )
        )
    frame = parts[0] if len(parts) == 1 else pd.concat(parts).sort_index(kind="stable")
    return frame.reset_index(drop=True).astype(object)


def _truth_frame(p, cal, labs):
    truth = _truth_block1(p, cal, labs)
    if "block2_start_day" not in cal:
        return truth
    truth.insert(1, "block", 1)
    bs, be = _block_dates(cal, 2)
    second = truth.loc[p["strength"]].assign(
        block=2,
        o2_cost_change_pct=p["effect2_pct"][p["strength"]],
        block_start=bs,
        block_end=be,
        strength_sessions_per_week=np.round(p["spw2"][p["strength"]], 3),
    )
    return pd.concat([truth, second]).sort_index(kind="stable").reset_index(drop=True)


def _truth_block1(p, cal, labs):
    bs, be = _block_dates(cal)
    n = p["n"]
    has_strength = p["strength"].any()
    source = np.where(
        p["strength"],
        np.where(p["inferred"], "inferred", "blocks.csv"),
        "squad (control)" if has_strength else "none",
    ).astype(object)
    dates_known = p["strength"] | has_strength
    cost_12 = p["econ"] * daniels_vo2(200.0) / 0.2
    return pd.DataFrame(
        {
            "runner_id": p["id"],
            "group": np.where(p["strength"], "strength", "control").astype(object),
            "o2_cost_change_pct": p["effect_pct"],
            "block_start": np.where(dates_known, bs, None).astype(object),
            "block_end": np.where(dates_known, be, None).astype(object),
            "block_source": source,
            "strength_sessions_per_week": np.round(p["spw"], 3),
            "programme": np.where(
                p["strength"], np.array(_PROGRAMMES, dtype=object)[p["programme"]], None
            ).astype(object),
            "lab_tested": np.isin(p["id"], labs["runner_id"].to_numpy()),
            "vo2max_ml_kg_min": p["vo2max"],
            "hr_rest_bpm": pd.array(p["hr_rest"].astype(int), dtype="Int64"),
            "hr_max_bpm": pd.array(p["hr_max"].astype(int), dtype="Int64"),
            "temp_slope_bpm_per_c": p["temp_slope"],
            "drift_bpm_per_min": p["drift"],
            "econ_factor": p["econ"],
            "baseline_o2_cost_12kmh_ml_kg_km": np.round(cost_12, 2),
        },
        index=pd.RangeIndex(n),
    )


# ---------------------------------------------------------------------------
# dirty data
# ---------------------------------------------------------------------------


def _blank_cells(rng, runs, strength, labs, fraction):
    n = len(runs)
    for cols in (
        ["avg_hr_bpm", "max_hr_bpm"],
        ["elev_gain_m", "elev_loss_m"],
        ["temp_c"],
        ["cadence_spm"],
        ["rpe"],
    ):
        mask = rng.random(n) < fraction
        for c in cols:
            runs.loc[mask, c] = pd.NA if runs[c].dtype == "Int64" else np.nan
    mask = rng.random(len(strength)) < fraction
    strength.loc[mask, "rpe"] = pd.NA
    for c in ("hr_bpm", "rer", "lactate_mmol"):
        mask = rng.random(len(labs)) < fraction
        labs.loc[mask, c] = pd.NA if labs[c].dtype == "Int64" else np.nan


def _insert_bad_rows(rng, runs, strength, k):
    """Insert ``k`` invalid rows at random lines; return the frames and the listing."""
    kinds = [kd for kd in _BAD_KINDS if kd[0] == "runs.csv" or len(strength)]
    listing_cols = ["file", "line", "kind", "runner_id"]
    if k == 0:
        return runs, strength, pd.DataFrame({c: pd.Series(dtype=object) for c in listing_cols})
    picked = [kinds[i % len(kinds)] for i in range(k)]
    out = {}
    listing = []
    for fname, frame in (("runs.csv", runs), ("strength.csv", strength)):
        mine = [kind for f, kind in picked if f == fname]
        if not mine:
            out[fname] = frame
            continue
        n = len(frame)
        bad = frame.iloc[rng.integers(0, n, len(mine))].copy()
        bad_keys = rng.uniform(0, n, len(mine))
        for j, kind in enumerate(mine):
            src = bad.index[j]
            if kind == "duplicate run":
                bad_keys[j] = rng.uniform(src + 0.5, n)  # after the original
                continue
            if fname == "runs.csv":
                stamp = pd.Timestamp(bad.iat[j, bad.columns.get_loc("date")]).normalize()
                stamp += pd.Timedelta(minutes=240 + j % 120)
                bad.iat[j, bad.columns.get_loc("date")] = stamp.strftime("%Y-%m-%dT%H:%M:%S")
                bad.iat[j, bad.columns.get_loc("run_id")] = (
                    f"{bad.iat[j, 0]}-{stamp.strftime('%Y%m%dT%H%M')}"
                )
            _spoil(bad, j, fname, kind)
        keys = np.concatenate([np.arange(n, dtype=float), bad_keys])
        merged = pd.concat([frame, bad], ignore_index=True)
        order = np.argsort(keys, kind="stable")
        merged = merged.iloc[order].reset_index(drop=True)
        lines = np.flatnonzero(order >= n) + 2
        kinds_in_order = np.array(mine, dtype=object)[order[order >= n] - n]
        listing.append(
            pd.DataFrame(
                {
                    "file": fname,
                    "line": lines,
                    "kind": kinds_in_order,
                    "runner_id": merged["runner_id"].to_numpy()[lines - 2],
                }
            )
        )
        out[fname] = merged
    bad_listing = pd.concat(listing, ignore_index=True)[listing_cols]
    return out["runs.csv"], out["strength.csv"], bad_listing


def _spoil(bad, j, fname, kind):
    col = bad.columns.get_loc
    if kind == "unknown runner":
        bad.iat[j, col("runner_id")] = "ZZ-UNKNOWN"
        if fname == "runs.csv":
            bad.iat[j, col("run_id")] = "ZZ-UNKNOWN-" + str(bad.iat[j, col("run_id")])
    elif kind == "unparseable date":
        bad.iat[j, col("date")] = "2026-02-30" if fname == "strength.csv" else "2026-02-30T07:00:00"
    elif kind == "negative distance":
        bad.iat[j, col("distance_km")] = -abs(bad.iat[j, col("distance_km")])
    elif kind == "heart rate 400 bpm":
        bad.iat[j, col("avg_hr_bpm")] = 400
    elif kind == "zero duration":
        bad.iat[j, col("duration_s")] = 0
    elif kind == "absurd pace":
        bad.iat[j, col("distance_km")] = 10.0
        bad.iat[j, col("duration_s")] = 600
    elif kind == "negative load":
        bad.iat[j, col("load_kg")] = -20.0
    elif kind == "missing exercise":
        bad.iat[j, col("exercise")] = np.nan
