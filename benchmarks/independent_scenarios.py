"""Independent check of runeco's field (heart-rate) economy estimate.

A squad generator written from the physiology literature, deliberately
independent of ``analysis.simulate`` and of the estimator (neither was read
when this was written; nothing from ``analysis`` is imported). It writes
canonical datasets (docs/DATA_FORMAT.md) with the known truth beside them,
runs ``runeco analyze`` on each, and scores the ``field_hr`` rows.

Physiology (the generator's own choices; see docs/INDEPENDENT_CHECK.md):

- Oxygen cost of level running: Léger & Mercier (1984), gross
  VO2 = 2.209 + 3.1633 * v [km/h], times a personal economy factor
  (log-normal, SD 6 %). Its cost per km *falls* slightly with speed, unlike
  Daniels & Gilbert's curve, whose cost per km rises with speed.
- Hills: each metre climbed costs 0.9 ml/kg (the vertical term of ACSM's
  running equation), each metre descended gives back 40 % of that. Runners
  slow on hilly routes by half the extra cost. Routes are per-runner loops
  with 2-16 m of climb per km.
- Heart rate: HRmax from Tanaka (208 - 0.7 age) +- 7 bpm, HRrest 42-60.
  Steady-state HR from VO2 on the scenario's line (``Scenario.hr_line``),
  used for the runs, the HR-paced targets and the lab stages alike:
  "hrr" (default): %HRR = %VO2R (Swain & Leutholtz 1997), VO2rest
  3.5 ml/kg/min; "hrmax" (scenarios 12-13): Swain et al. (1994),
  %HRmax = 0.6463 %VO2max + 37.182, i.e. HR = HRmax (0.6463 VO2/VO2max +
  0.37182), capped at HRmax - 1 (it does not use HRrest, so the HRrest fall
  of scenario 4 would not move it). Heat, cardiac drift, the daily HR state,
  per-run noise and interval kinetics are added in bpm on top of either line,
  as before; an HR-paced runner inverts the same line.
- Heat (scenario dependent): by default a smooth onset,
  s * 3 * softplus((T - 12) / 3) bpm with s = 0.4-0.8 bpm/degC.
- Cardiac drift beyond 40 min of continuous running, 0.06-0.14 bpm/min,
  5 % more per degC above 10 degC; averaged over the run.
- Noise: a daily AR(1) in heart rate (phi 0.6-0.85 per day, SD 1.5-2.5 bpm),
  per-run white noise (SD 1.5-3 bpm), per-run pace scatter (3 %) and GPS
  distance error (1.2 %). Heart rates are integers.
- Strength effect: the whole oxygen cost is multiplied by (1 + c * g(t)),
  g a ramp from 0 at block start to 1 at block end (or reaching 1 after 4
  weeks in the plateau scenario); c ~ N(-4 %, 1.5 %) for strength runners,
  0 for controls. The truth is c (the change at any fixed speed). Scenario 11
  replaces the ramp by an S-curve (logistic, time constant 1.2 weeks, half
  the change 6 weeks in, rescaled to 0 at block start and 1 at block end).
- Heart-rate pacing (scenarios 9-10): easy, long and recovery runs are run
  to a target heart rate instead of a planned speed. The target is the
  steady-state HR of the plan's %VO2max at baseline fitness (on the HR line),
  with per-run scatter SD 2 bpm. The runner picks the speed at which the
  expected average HR that day equals the target: the daily HR state, heat,
  hills, the day's economy (strength effect, day-to-day factor) and half of
  the run's expected cardiac drift are corrected for; the other half of the
  drift and the per-run white noise are not. Scenario 10 adds a per-day
  economy factor exp(N(0, 3 %)) on the whole oxygen cost of every run.
- Lab tests (``Scenario.lab_tests``, scenarios 12 and 14): lab_tests.csv for
  every runner, one treadmill test 2-6 days before the block starts and one
  2-6 days after it ends, the same protocol both times: 4-6 steady stages
  (3-4 min, steady state assumed) on the flat at 1 km/h steps, the first at
  55-60 % VO2max (to 0.5 km/h), none above 90 % VO2max at the pre-test.
  Stage VO2 is the true uptake at that speed that day (Léger & Mercier x
  economy factor x the strength effect at that date; no hills, no slow
  component, no day-to-day economy factor) x exp(N(0, 2.5 %)) measurement
  error. Stage HR is the scenario's line at the day's VO2max and HRrest plus
  N(0, 2 bpm) per stage: no heat (about 20 degC, fans), no drift, no daily
  HR state (fresh). RER 0.85 -> 0.97 linearly from 55 to 90 % VO2max
  (+- 0.01, within 0.80-0.99); lactate 1 + 3 exp((f - f4) / 0.09) mmol/L
  x exp(N(0, 8 %)), f4 (%VO2max at 4 mmol/L) 80-88 % per runner. All of it
  is drawn from its own random stream, so the other scenarios' files are
  byte-identical to those written before lab tests existed. runners.csv is
  unchanged (pre-season HRrest, HRmax, VO2max with small error).
- Marathon build (``Scenario.marathon_build``, scenario 15): training volume
  grows through baseline and block in both groups, as in a marathon build
  (long run progressed weekly towards 2.5-3 h; Pfitzinger & Douglas,
  *Advanced Marathoning*; Daniels' *Running Formula*). Week w counted from
  the first baseline week (0-15): the long run lasts U(80, 100) + a_long w
  min (instead of + 2 min(w, 10)), a_long = 4 min/week, an easy run
  U(35, 65) + a_easy w min, a_easy = 1.5 min/week, each rate x U(0.7, 1.3)
  per runner; long runs at most 180 min. Recovery, tempo, interval and race
  sessions are as by default. Cardiac drift starts early and is strong:
  beyond 20 min of continuous running at 0.10-0.20 bpm/min per runner
  (cardiovascular drift from about 10-20 min of moderate prolonged
  exercise on, reviewed by Coyle & Gonzalez-Alonso 2001), 5 % more per
  degC above 10 degC and averaged over the run as by default. Per-runner rates and the drift rate
  come from a stream of their own; the default drift rate is still drawn
  (and not used), so every other draw is that of the default scenario.
  truth.csv adds the per-runner rates.
- Optical heart-rate artefacts (``Scenario.hr_artefacts``, scenario 16):
  default physiology, but wrist optical sensors err (Gillinov et al. 2017;
  Stahl et al. 2016): each run, whatever its type, group and period, has
  with probability 6 % a cadence lock (the sensor follows the step rate for
  part of the run), which raises the run's average HR by U(8, 25) bpm; its
  max HR becomes the higher of the run's max, the locked reading (the run's
  cadence + U(0, 5)) and the new average + U(3, 8), at most 210 bpm. With
  probability 2 % (exclusive of the lock) a run has a dropout segment
  (the sensor loses contact and reads low), lowering its average HR by
  U(5, 15) bpm; max HR unchanged. The runs are otherwise valid and nothing
  marks them (the runner does not know). All of it is drawn from a stream
  of its own (one uniform per run and the sizes); truth.csv adds each
  runner's count of affected runs.

Usage::

    python benchmarks/independent_scenarios.py generate --scenario heat_linear --seed 1 --out DIR
    python benchmarks/independent_scenarios.py run --work /tmp/indep --seeds 5 \
        --runeco .venv/bin/runeco --md docs/INDEPENDENT_CHECK.md
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import oracle_pooled_mae  # noqa: E402

# --------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    heat: str = "smooth"  # smooth | linear | above15
    weather: str = "spring"  # spring | mild
    temp_missing: bool = False
    fitness_gain: tuple[float, float] | None = None  # VO2max rise over the block
    hr_rest_drop_bpm: float = 0.0  # squad-wide fall over the block
    plateau_weeks: float | None = None
    sigmoid_mid_weeks: float | None = None  # S-shaped time course with this midpoint
    block_weeks: int = 10
    fixed_effect_pct: float | None = None  # every strength runner the same
    noise_scale: float = 1.0  # heart-rate and GPS noise (diagnostics only)
    hr_paced: bool = False  # easy/long/recovery runs paced by heart rate
    day_econ_sd: float = 0.0  # SD of a per-day log-normal economy factor
    hr_line: str = "hrr"  # hrr: %HRR = %VO2R (1997) | hrmax: %HRmax line (Swain 1994)
    lab_tests: bool = False  # write lab_tests.csv (a test before and after the block)
    marathon_build: bool = False  # growing long and easy runs, early strong drift
    hr_artefacts: bool = False  # optical-sensor cadence lock and dropouts


SCENARIOS = [
    Scenario("heat_linear", "1. HR +0.3-0.6 bpm/degC at every temperature", heat="linear"),
    Scenario("heat_above15", "2. heat only above 15 degC (0.5-1.0 bpm/degC)", heat="above15"),
    Scenario("fitness_rise", "3. VO2max +3-6 % in both groups", fitness_gain=(0.03, 0.06)),
    Scenario("hr_rest_fall", "4. HRrest -4 bpm over the block", hr_rest_drop_bpm=4.0),
    Scenario("plateau_4wk", "5. effect plateaus after 4 weeks", plateau_weeks=4.0),
    Scenario("block_12wk", "6. 12-week block", block_weeks=12),
    Scenario("no_temp", "7. temperature column empty", temp_missing=True),
    Scenario(
        "power_3pct",
        "8. mild constant weather, -3 % for all",
        weather="mild",
        fixed_effect_pct=-3.0,
    ),
    Scenario("hr_paced_easy", "9. easy runs paced by heart rate", hr_paced=True),
    Scenario(
        "hr_paced_econ3",
        "10. easy runs paced by heart rate, 3 % day-to-day economy variation",
        hr_paced=True,
        day_econ_sd=0.03,
    ),
    Scenario(
        "delayed_sigmoid",
        "11. effect delayed: an S-curve, half the change 6 weeks into the block",
        sigmoid_mid_weeks=6.0,
    ),
    Scenario(
        "hrmax_line_lab",
        "12. heart rate on Swain's %HRmax line (1994), with lab tests",
        hr_line="hrmax",
        lab_tests=True,
    ),
    Scenario(
        "hrmax_line",
        "13. heart rate on Swain's %HRmax line (1994), no lab tests",
        hr_line="hrmax",
    ),
    Scenario("hrr_line_lab", "14. lab tests, heart rate on %HRR = %VO2R", lab_tests=True),
    Scenario(
        "marathon_build",
        "15. marathon build: long run +4, easy runs +1.5 min/week in both groups, "
        "drift from 20 min at 0.10-0.20 bpm/min",
        marathon_build=True,
    ),
    Scenario(
        "optical_artefacts",
        "16. optical HR artefacts: cadence lock +8-25 bpm in 6 % of runs, dropout -5-15 bpm in 2 %",
        hr_artefacts=True,
    ),
    Scenario("plain", "17. no confound (the generator's defaults)"),
]
BY_NAME = {s.name: s for s in SCENARIOS}

PER_GROUP = 8
SIGMOID_WEEKS = 1.2  # time constant of the S-shaped time course (scenario 11)
HR_TARGET_SD = 2.0  # bpm, run-to-run scatter of an HR-paced runner's target
DRIFT_CORRECTED = 0.5  # share of the expected cardiac drift an HR-paced runner slows for
HR_PACED_KINDS = ("easy", "long", "recovery")
PLAN_FRACTION_OFFSET = {"easy": 0.0, "long": -0.02, "recovery": -0.07}  # of f_easy
BASELINE_WEEKS = 6
# Swain et al. (1994): %HRmax = 0.6463 %VO2max + 37.182
SWAIN94_SLOPE, SWAIN94_INTERCEPT = 0.6463, 0.37182
# lab treadmill tests (scenarios with lab_tests)
LAB_DAYS_AWAY = (2, 6)  # days before the block start / after the block end
LAB_START_FRACTION = (0.55, 0.60)  # of VO2max, first stage
LAB_MAX_FRACTION = 0.90  # no stage above this share of VO2max
LAB_STAGES = (4, 6)
LAB_VO2_CV = 0.025  # measurement CV per stage
LAB_HR_SD = 2.0  # bpm per stage
LAB_TEMP_C = 20.0
FIRST_DAY = dt.date(2025, 2, 3)  # a Monday
# marathon build (scenario 15)
MB_LONG_MIN_PER_WEEK = 4.0
MB_EASY_MIN_PER_WEEK = 1.5
MB_RATE_SPREAD = 0.30  # per-runner rates x U(0.7, 1.3)
MB_LONG_MAX_MIN = 180.0
MB_DRIFT_ONSET_MIN = 20.0
MB_DRIFT_RATE = (0.10, 0.20)  # bpm/min
# optical heart-rate artefacts (scenario 16)
ART_LOCK_P = 0.06  # share of runs with a cadence lock
ART_LOCK_BPM = (8.0, 25.0)  # rise of the run's average HR
ART_DROPOUT_P = 0.02  # share of runs with a dropout segment
ART_DROPOUT_BPM = (5.0, 15.0)  # fall of the run's average HR
ART_MAX_HR = 210.0  # no reported max HR above this

# --------------------------------------------------------------------------
# Physiology


def leger_mercier_vo2(speed_kmh: np.ndarray | float) -> np.ndarray | float:
    """Gross VO2 [ml/kg/min] of level running, Léger & Mercier (1984)."""
    return 2.209 + 3.1633 * speed_kmh


def speed_for_vo2(vo2: float, econ: float) -> float:
    """Level speed [km/h] at which a runner with economy factor econ uses vo2."""
    return (vo2 / econ - 2.209) / 3.1633


def hill_extra_ml_per_km(gain_m_km: float, loss_m_km: float) -> float:
    """Extra O2 [ml/kg per km]: 0.9 ml/kg per m climbed (ACSM vertical term),
    40 % of that given back per m descended."""
    return 0.9 * gain_m_km - 0.36 * loss_m_km


def softplus(x: float) -> float:
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


@dataclass
class Runner:
    rid: str
    group: str
    sex: str
    age: int
    mass: float
    hr_max: float
    hr_rest: float
    vo2max: float
    econ: float
    effect: float  # fractional change in O2 cost at block end (0 for controls)
    fitness_gain: float
    heat_slope: float
    drift_rate: float
    ar_phi: float
    ar_sd: float
    white_sd: float
    f_easy: float
    f_tempo: float
    routes: list[float]
    strength_per_week: int
    am_runner: bool
    extra_days: list[int]
    drift_onset_min: float = 40.0
    long_growth: float | None = None  # min/week (marathon build), else the default 2 for 10 weeks
    easy_growth: float = 0.0  # min/week


def draw_runner(rng: np.random.Generator, rid: str, group: str, sc: Scenario) -> Runner:
    sex = "F" if rng.random() < 0.5 else "M"
    age = int(rng.integers(20, 51))
    hr_max = float(np.clip(208 - 0.7 * age + rng.normal(0, 7), 165, 205))
    hr_rest = float(rng.uniform(42, 60))
    vo2max = float(np.clip(rng.normal(60 if sex == "M" else 53, 5.5), 44, 72))
    econ = float(math.exp(rng.normal(0, 0.06)))
    if group == "strength":
        if sc.fixed_effect_pct is not None:
            effect = sc.fixed_effect_pct / 100
        else:
            effect = float(rng.normal(-4.0, 1.5)) / 100
    else:
        effect = 0.0
    gain = float(rng.uniform(*sc.fitness_gain)) if sc.fitness_gain else 0.0
    if sc.heat == "linear":
        heat_slope = float(rng.uniform(0.3, 0.6))
    elif sc.heat == "above15":
        heat_slope = float(rng.uniform(0.5, 1.0))
    else:
        heat_slope = float(rng.uniform(0.4, 0.8))
    n_routes = 4
    routes = list(rng.uniform(2, 16, n_routes))
    return Runner(
        rid=rid,
        group=group,
        sex=sex,
        age=age,
        mass=float(rng.normal(70 if sex == "M" else 58, 6)),
        hr_max=hr_max,
        hr_rest=hr_rest,
        vo2max=vo2max,
        econ=econ,
        effect=effect,
        fitness_gain=gain,
        heat_slope=heat_slope,
        drift_rate=float(rng.uniform(0.06, 0.14)),
        ar_phi=float(rng.uniform(0.6, 0.85)),
        ar_sd=sc.noise_scale * float(rng.uniform(1.5, 2.5)),
        white_sd=sc.noise_scale * float(rng.uniform(1.5, 3.0)),
        f_easy=float(rng.uniform(0.62, 0.70)),
        f_tempo=float(rng.uniform(0.82, 0.87)),
        routes=routes,
        strength_per_week=int(rng.integers(2, 4)),
        am_runner=bool(rng.random() < 0.5),
        extra_days=[0, 2] if rng.random() < 0.5 else [2, 4],
    )


# --------------------------------------------------------------------------
# Calendar and weather


def calendar(sc: Scenario) -> tuple[dt.date, dt.date, dt.date, int]:
    block_start = FIRST_DAY + dt.timedelta(weeks=BASELINE_WEEKS)
    block_end = block_start + dt.timedelta(weeks=sc.block_weeks) - dt.timedelta(days=1)
    n_days = (block_end - FIRST_DAY).days + 1
    return FIRST_DAY, block_start, block_end, n_days


def weather(rng: np.random.Generator, sc: Scenario, n_days: int) -> np.ndarray:
    """Daily mean air temperature [degC]."""
    if sc.weather == "mild":
        mean = np.full(n_days, 10.0)
        phi, sd = 0.7, 1.0
    else:
        mean = 3.0 + 15.0 * np.arange(n_days) / (n_days - 1)
        phi, sd = 0.75, 3.0
    anom = np.empty(n_days)
    anom[0] = rng.normal(0, sd)
    innov = sd * math.sqrt(1 - phi**2)
    for d in range(1, n_days):
        anom[d] = phi * anom[d - 1] + rng.normal(0, innov)
    return mean + anom


def block_fraction(day: int, block_start_day: int, sc: Scenario) -> float:
    """Fraction of the block's full adaptation reached on this day."""
    if day < block_start_day:
        return 0.0
    weeks_in = (day - block_start_day + 1) / 7
    if sc.sigmoid_mid_weeks is not None:
        # a logistic rise (time constant 1.2 weeks), 0 at the block start and 1 at its end
        def logistic(w: float) -> float:
            return 1.0 / (1.0 + math.exp(-(w - sc.sigmoid_mid_weeks) / SIGMOID_WEEKS))

        low, high = logistic(0.0), logistic(float(sc.block_weeks))
        return min(1.0, (logistic(weeks_in) - low) / (high - low))
    full = sc.plateau_weeks if sc.plateau_weeks is not None else sc.block_weeks
    return min(1.0, weeks_in / full)


def block_ramp(day: int, block_start_day: int, sc: Scenario) -> float:
    """Linear ramp over the whole block (fitness, resting HR)."""
    if day < block_start_day:
        return 0.0
    return min(1.0, (day - block_start_day + 1) / (7 * sc.block_weeks))


# --------------------------------------------------------------------------
# One runner's log


def true_state(r: Runner, sc: Scenario, day: int, bs_day: int) -> tuple[float, float, float]:
    """Economy factor (with the strength effect), VO2max and HRrest on a day
    (day counted from FIRST_DAY; days after the block keep the block's end)."""
    econ = r.econ * (1 + r.effect * block_fraction(day, bs_day, sc))
    ramp = block_ramp(day, bs_day, sc)
    vo2max = r.vo2max * (1 + r.fitness_gain * ramp)
    hr_rest = r.hr_rest - sc.hr_rest_drop_bpm * ramp
    return econ, vo2max, hr_rest


def hr_from_vo2(r: Runner, sc: Scenario, vo2: float, vo2max: float, hr_rest: float) -> float:
    """Steady-state HR [bpm] at vo2 on the scenario's HR-VO2 line (before
    heat, drift and the day's HR state, which are added in bpm)."""
    if sc.hr_line == "hrmax":
        # Swain et al. (1994), capped below HRmax
        hr = r.hr_max * (SWAIN94_SLOPE * vo2 / vo2max + SWAIN94_INTERCEPT)
        return min(hr, r.hr_max - 1)
    f = (vo2 - 3.5) / (vo2max - 3.5)
    return hr_rest + f * (r.hr_max - hr_rest)


def vo2_from_hr(r: Runner, sc: Scenario, hr: float, vo2max: float, hr_rest: float) -> float:
    """The inverse of hr_from_vo2 (below the cap)."""
    if sc.hr_line == "hrmax":
        return vo2max * (hr / r.hr_max - SWAIN94_INTERCEPT) / SWAIN94_SLOPE
    return 3.5 + (hr - hr_rest) / (r.hr_max - hr_rest) * (vo2max - 3.5)


def heat_bpm(r: Runner, sc: Scenario, temp: float) -> float:
    if sc.heat == "linear":
        return r.heat_slope * (temp - 10.0)
    if sc.heat == "above15":
        return r.heat_slope * max(0.0, temp - 15.0)
    return r.heat_slope * 3.0 * softplus((temp - 12.0) / 3.0)


def drift_bpm(r: Runner, temp: float, total_min: float) -> float:
    """Cardiac drift beyond the runner's onset (40 min by default, 20 min in
    the marathon build) of running, stronger when warm, averaged over the run
    (0 for runs no longer than the onset)."""
    rate = r.drift_rate * max(0.3, 1 + 0.05 * (temp - 10))
    t0 = r.drift_onset_min
    if total_min > t0:
        return rate * (total_min - t0) ** 2 / (2 * total_min)
    return 0.0


def hr_target(r: Runner, kind: str, sc: Scenario) -> float:
    """Steady-state HR [bpm] of the plan's %VO2max for this run type at
    baseline fitness (on the scenario's HR-VO2 line): an HR-paced runner's
    target."""
    f = r.f_easy + PLAN_FRACTION_OFFSET[kind]
    vo2 = f * r.vo2max
    if sc.hr_line == "hrmax":
        return hr_from_vo2(r, sc, vo2, r.vo2max, r.hr_rest)
    return r.hr_rest + (vo2 - 3.5) / (r.vo2max - 3.5) * (r.hr_max - r.hr_rest)


def simulate_runner(
    rng: np.random.Generator,
    r: Runner,
    sc: Scenario,
    temps: np.ndarray,
    rng_new: np.random.Generator | None = None,
    rng_art: np.random.Generator | None = None,
    art_counts: dict[str, int] | None = None,
) -> tuple[list[dict], list[dict]]:
    """rng drives everything the original scenarios draw, in its original
    order; rng_new (only used by the HR-paced scenarios) draws the targets'
    scatter and the day-to-day economy factors; rng_art (only used with
    hr_artefacts) the optical-sensor artefacts, counted in art_counts."""
    first, block_start, block_end, n_days = calendar(sc)
    bs_day = (block_start - first).days

    # daily heart-rate state: AR(1), persistent over a few days
    day_noise = np.empty(n_days)
    day_noise[0] = rng.normal(0, r.ar_sd)
    innov = r.ar_sd * math.sqrt(1 - r.ar_phi**2)
    for d in range(1, n_days):
        day_noise[d] = r.ar_phi * day_noise[d - 1] + rng.normal(0, innov)
    gps_sd = 0.012 * sc.noise_scale
    day_econ = None
    if sc.day_econ_sd > 0:
        assert rng_new is not None
        day_econ = np.exp(rng_new.normal(0.0, sc.day_econ_sd, n_days))

    v_easy = speed_for_vo2(r.f_easy * r.vo2max, r.econ)
    v_long = speed_for_vo2((r.f_easy - 0.02) * r.vo2max, r.econ)
    v_rec = speed_for_vo2((r.f_easy - 0.07) * r.vo2max, r.econ)
    v_tempo = speed_for_vo2(r.f_tempo * r.vo2max, r.econ)
    v_rep = speed_for_vo2(0.98 * r.vo2max, r.econ)

    def state(day: int) -> tuple[float, float, float]:
        return true_state(r, sc, day, bs_day)

    def hr_at(vo2: float, vo2max: float, hr_rest: float) -> float:
        return hr_from_vo2(r, sc, vo2, vo2max, hr_rest)

    runs: list[dict] = []
    n_weeks = n_days // 7
    quality_toggle = bool(rng.random() < 0.5)
    for week in range(n_weeks):
        race_this_week = rng.random() < 0.18 and week not in (0, BASELINE_WEEKS)
        quality_toggle = not quality_toggle
        plan: list[tuple[int, str]] = [(1, "interval" if quality_toggle else "tempo"), (3, "easy")]
        plan.append((5, "race" if race_this_week else "easy"))
        plan.append((6, "recovery" if race_this_week else "long"))
        extra = [d for d in r.extra_days if rng.random() < 0.5]
        plan += [(d, "easy" if rng.random() < 0.7 else "recovery") for d in extra]
        for wd, kind in sorted(plan):
            if kind != "race" and rng.random() < 0.05:  # illness, life
                continue
            day = week * 7 + wd
            date = first + dt.timedelta(days=day)
            if r.am_runner or wd in (5, 6):
                hour = rng.uniform(6.3, 9.5)
                t_offset = -2.0 + 1.0 * (hour - 6.3) / 3.2
            else:
                hour = rng.uniform(17.3, 19.3)
                t_offset = 1.5
            temp = float(temps[day] + t_offset + rng.normal(0, 0.7))
            econ, vo2max, hr_rest = state(day)
            if day_econ is not None:
                econ = econ * float(day_econ[day])
            route = r.routes[int(rng.integers(len(r.routes)))]
            if kind == "race":
                route = float(rng.uniform(1, 5))
            gain_km = route * float(rng.uniform(0.9, 1.1))
            loss_km = gain_km * float(rng.uniform(0.9, 1.1))
            pace_noise = math.exp(rng.normal(0, 0.03))

            def seg_vo2(v: float, intensity_extra: float = 0.0, _g=gain_km, _l=loss_km, _e=econ):
                flat = leger_mercier_vo2(v)
                hill = hill_extra_ml_per_km(_g, _l) * v / 60.0
                return _e * (flat + hill) * (1 + intensity_extra)

            def hill_slowdown(v: float, _g=gain_km, _l=loss_km) -> float:
                frac = hill_extra_ml_per_km(_g, _l) * v / 60.0 / leger_mercier_vo2(v)
                return 1.0 / (1.0 + 0.5 * frac)

            # segments: (minutes, speed km/h, vo2, hr offset for kinetics)
            segs: list[tuple[float, float, float, float]] = []
            if kind in ("easy", "long", "recovery"):
                v0 = {"easy": v_easy, "long": v_long, "recovery": v_rec}[kind]
                minutes = {
                    "easy": rng.uniform(35, 65),
                    "long": rng.uniform(80, 100) + 2.0 * min(week, 10),
                    "recovery": rng.uniform(28, 40),
                }[kind]
                if r.long_growth is not None:  # marathon build: same draws, other growth
                    if kind == "long":
                        minutes = min(
                            minutes - 2.0 * min(week, 10) + r.long_growth * week,
                            MB_LONG_MAX_MIN,
                        )
                    elif kind == "easy":
                        minutes += r.easy_growth * week
                if sc.hr_paced:
                    # hold a target HR: the speed whose expected average HR
                    # today (state, heat, hills, economy, half the drift)
                    # equals the target; white noise and the rest of the
                    # drift are not corrected
                    assert rng_new is not None
                    target = hr_target(r, kind, sc) + rng_new.normal(0.0, HR_TARGET_SD)
                    hr_ss = (
                        target
                        - heat_bpm(r, sc, temp)
                        - day_noise[day]
                        - DRIFT_CORRECTED * drift_bpm(r, temp, minutes)
                    )
                    vo2_need = vo2_from_hr(r, sc, hr_ss, vo2max, hr_rest)
                    # econ * (2.209 + (3.1633 + hill / 60) * v) = vo2_need
                    slope = 3.1633 + hill_extra_ml_per_km(gain_km, loss_km) / 60.0
                    v = float(np.clip((vo2_need / econ - 2.209) / slope, 5.0, 20.0))
                else:
                    v = v0 * pace_noise * hill_slowdown(v0)
                segs.append((minutes, v, seg_vo2(v), 0.0))
            elif kind == "tempo":
                ve = v_easy * pace_noise * hill_slowdown(v_easy)
                vt = v_tempo * math.exp(rng.normal(0, 0.02)) * hill_slowdown(v_tempo)
                segs.append((15.0, ve, seg_vo2(ve), 0.0))
                # slow component above ~80 % VO2max: +2 % VO2
                segs.append((float(rng.uniform(20, 30)), vt, seg_vo2(vt, 0.02), 0.0))
                segs.append((10.0, ve * 0.95, seg_vo2(ve * 0.95), 0.0))
            elif kind == "interval":
                ve = v_easy * pace_noise
                vr = v_rep * math.exp(rng.normal(0, 0.02))
                vj = v_rec * 0.85
                n_reps = int(rng.integers(5, 8))
                segs.append((15.0, ve, seg_vo2(ve), 0.0))
                for _ in range(n_reps):
                    # HR lags the work: below steady state in a rep,
                    # above it in the jog recovery
                    segs.append((3.0, vr, seg_vo2(vr), -7.0))
                    segs.append((2.0, vj, seg_vo2(vj), +10.0))
                segs.append((10.0, ve * 0.95, seg_vo2(ve * 0.95), 0.0))
            else:  # race: 5K or 10K, flat-ish course, race effort
                dist = 5.0 if rng.random() < 0.6 else 10.0
                frac = 0.95 if dist == 5.0 else 0.905
                vrace = speed_for_vo2(frac * vo2max, econ) * math.exp(rng.normal(0, 0.01))
                vrace *= hill_slowdown(vrace)
                segs.append((dist / vrace * 60, vrace, seg_vo2(vrace), 2.0))

            total_min = sum(s[0] for s in segs)
            dist_km = sum(s[0] * s[1] / 60 for s in segs)
            hr_ss = [hr_at(s[2], vo2max, hr_rest) for s in segs]
            hr_seg = [min(h + s[3], r.hr_max - 1) for h, s in zip(hr_ss, segs, strict=True)]
            avg_hr = sum(h * s[0] for h, s in zip(hr_seg, segs, strict=True)) / total_min
            # cardiac drift beyond 40 min of running, stronger when warm
            avg_hr += drift_bpm(r, temp, total_min)
            avg_hr += heat_bpm(r, sc, temp) + day_noise[day] + rng.normal(0, r.white_sd)
            max_hr = max(hr_seg) + (rng.uniform(2, 6) if kind in ("interval", "race") else 0)
            max_hr = max(max_hr, avg_hr) + rng.uniform(4, 12)
            max_hr = min(max_hr, r.hr_max + rng.uniform(-1, 1))
            max_hr = max(max_hr, avg_hr + 1)
            cadence = 150 + 2.2 * dist_km / total_min * 60
            if sc.hr_artefacts:
                # optical sensor: cadence lock raises the reading for part of
                # the run, a dropout lowers it; the runner does not know
                assert rng_art is not None and art_counts is not None
                u = rng_art.random()
                if u < ART_LOCK_P:
                    avg_hr += rng_art.uniform(*ART_LOCK_BPM)
                    locked = cadence + rng_art.uniform(0, 5)
                    max_hr = max(max_hr, locked, avg_hr + rng_art.uniform(3, 8))
                    max_hr = max(min(max_hr, ART_MAX_HR), avg_hr + 1)
                    art_counts["lock"] += 1
                elif u < ART_LOCK_P + ART_DROPOUT_P:
                    avg_hr -= rng_art.uniform(*ART_DROPOUT_BPM)
                    art_counts["dropout"] += 1

            dist_rep = dist_km * (1 + rng.normal(0, gps_sd))  # GPS error
            start = dt.datetime.combine(date, dt.time()) + dt.timedelta(hours=hour)
            rpe = {"easy": 3, "long": 4, "recovery": 2, "tempo": 6, "interval": 8, "race": 9}
            runs.append(
                {
                    "runner_id": r.rid,
                    "date": start.strftime("%Y-%m-%dT%H:%M:00"),
                    "run_type": kind,
                    "distance_km": f"{dist_rep:.3f}",
                    "duration_s": str(round(total_min * 60)),
                    "avg_hr_bpm": str(round(avg_hr)),
                    "max_hr_bpm": str(round(max_hr)),
                    "elev_gain_m": str(round(gain_km * dist_km)),
                    "elev_loss_m": str(round(loss_km * dist_km)),
                    "temp_c": "" if sc.temp_missing else f"{temp:.1f}",
                    "cadence_spm": str(round(cadence)),
                    "rpe": str(rpe[kind]),
                }
            )

    strength: list[dict] = []
    if r.group == "strength":
        strength = strength_log(rng, r, block_start, block_end)
    return runs, strength


LAB_FIELDS = [
    "runner_id",
    "date",
    "speed_kmh",
    "grade_pct",
    "vo2_ml_kg_min",
    "hr_bpm",
    "rer",
    "lactate_mmol",
]


def lab_tests(rng_lab: np.random.Generator, r: Runner, sc: Scenario) -> tuple[list[dict], float]:
    """Two treadmill tests (flat, about 20 degC, fresh): a few days before the
    block starts and a few days after it ends, the same protocol both times.
    4-6 steady stages (3-4 min) at 1 km/h steps, the first at 55-60 % of
    VO2max, none above 90 % at the pre-test. Every draw comes from rng_lab.
    Returns the rows and the runner's %VO2max at 4 mmol/L lactate."""
    first, block_start, block_end, _ = calendar(sc)
    bs_day = (block_start - first).days
    n_stages = int(rng_lab.integers(LAB_STAGES[0], LAB_STAGES[1] + 1))
    f_start = float(rng_lab.uniform(*LAB_START_FRACTION))
    f_lt4 = float(rng_lab.uniform(0.80, 0.88))  # %VO2max at 4 mmol/L
    pre = block_start - dt.timedelta(
        days=int(rng_lab.integers(LAB_DAYS_AWAY[0], LAB_DAYS_AWAY[1] + 1))
    )
    post = block_end + dt.timedelta(
        days=int(rng_lab.integers(LAB_DAYS_AWAY[0], LAB_DAYS_AWAY[1] + 1))
    )

    # protocol from the pre-test's true state: start at f_start (to 0.5 km/h),
    # 1 km/h steps, drop stages above 90 % VO2max, start lower if fewer than 4 fit
    econ0, vo2max0, _ = true_state(r, sc, (pre - first).days, bs_day)
    v_start = round(2 * speed_for_vo2(f_start * vo2max0, econ0)) / 2

    def frac(v: float) -> float:
        return econ0 * leger_mercier_vo2(v) / vo2max0

    speeds = [v_start + k for k in range(n_stages) if frac(v_start + k) <= LAB_MAX_FRACTION]
    while len(speeds) < LAB_STAGES[0]:
        v_start -= 1.0
        speeds = [v_start + k for k in range(n_stages) if frac(v_start + k) <= LAB_MAX_FRACTION]

    rows = []
    for date in (pre, post):
        econ, vo2max, hr_rest = true_state(r, sc, (date - first).days, bs_day)
        for v in speeds:
            vo2 = econ * leger_mercier_vo2(v)  # flat, the day's economy
            f = vo2 / vo2max
            vo2_meas = vo2 * math.exp(rng_lab.normal(0.0, LAB_VO2_CV))
            hr = hr_from_vo2(r, sc, vo2, vo2max, hr_rest) + rng_lab.normal(0.0, LAB_HR_SD)
            hr = min(hr, r.hr_max - 1)
            rer = 0.85 + 0.12 * (f - 0.55) / (LAB_MAX_FRACTION - 0.55)
            rer = float(np.clip(rer + rng_lab.normal(0.0, 0.01), 0.80, 0.99))
            lactate = (1.0 + 3.0 * math.exp((f - f_lt4) / 0.09)) * math.exp(
                rng_lab.normal(0.0, 0.08)
            )
            rows.append(
                {
                    "runner_id": r.rid,
                    "date": date.isoformat(),
                    "speed_kmh": f"{v:.1f}",
                    "grade_pct": "0",
                    "vo2_ml_kg_min": f"{vo2_meas:.1f}",
                    "hr_bpm": str(round(hr)),
                    "rer": f"{rer:.2f}",
                    "lactate_mmol": f"{lactate:.1f}",
                }
            )
    return rows, f_lt4


EXERCISES = [
    # name, sets, reps, load_kg (per kg body mass; 0 = body weight)
    ("back squat", 4, 5, 1.0),
    ("single-leg deadlift", 3, 8, 0.3),
    ("walking lunges", 3, 10, 0.2),
    ("calf raises", 3, 12, 0.4),
    ("box jumps", 4, 5, 0.0),
    ("jump squats", 3, 6, 0.2),
    ("single-leg lateral jumps", 3, 10, 0.0),
    ("plank", 3, None, 0.0),
]


def strength_log(rng: np.random.Generator, r: Runner, start: dt.date, end: dt.date) -> list[dict]:
    rows = []
    day = start
    days = [0, 2, 4][: r.strength_per_week]
    while day <= end:
        week_start = day
        for wd in days:
            d = week_start + dt.timedelta(days=wd)
            if d > end or rng.random() < 0.08:
                continue
            weeks_in = (d - start).days // 7
            chosen = rng.choice(len(EXERCISES), size=int(rng.integers(4, 7)), replace=False)
            for i in sorted(chosen):
                name, sets, reps, load = EXERCISES[i]
                kg = load * r.mass * (1 + 0.03 * weeks_in)
                rows.append(
                    {
                        "runner_id": r.rid,
                        "date": d.isoformat(),
                        "exercise": name,
                        "sets": str(sets),
                        "reps": "" if reps is None else str(reps),
                        "load_kg": f"{2.5 * round(kg / 2.5):.1f}" if kg > 0 else "",
                        "duration_s": "45" if reps is None else "",
                        "rpe": str(int(rng.integers(6, 9))),
                    }
                )
        day = week_start + dt.timedelta(days=7)
    return rows


# --------------------------------------------------------------------------
# A squad on disk


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def generate(sc: Scenario, seed: int, out: Path, per_group: int = PER_GROUP) -> None:
    rng = np.random.default_rng([seed, sum(map(ord, sc.name))])
    out.mkdir(parents=True, exist_ok=True)
    first, block_start, block_end, n_days = calendar(sc)
    temps = weather(rng, sc, n_days)
    groups = ["strength"] * per_group + ["control"] * per_group
    rng.shuffle(groups)
    runners = [draw_runner(rng, f"R{i + 1:02d}", g, sc) for i, g in enumerate(groups)]
    # a separate stream for what only the HR-paced scenarios draw, so the
    # other scenarios' draws (and files) are unchanged
    rng_new = np.random.default_rng([seed, sum(map(ord, sc.name)), 1])
    # and another for the lab tests
    rng_lab = np.random.default_rng([seed, sum(map(ord, sc.name)), 2])
    # the marathon build's per-runner rates and drift, and the optical
    # artefacts, each from a stream of its own
    rng_mb = np.random.default_rng([seed, sum(map(ord, sc.name)), 3])
    rng_art = np.random.default_rng([seed, sum(map(ord, sc.name)), 4])
    if sc.marathon_build:
        runners = [
            replace(
                r,
                drift_onset_min=MB_DRIFT_ONSET_MIN,
                drift_rate=float(rng_mb.uniform(*MB_DRIFT_RATE)),
                long_growth=MB_LONG_MIN_PER_WEEK
                * float(rng_mb.uniform(1 - MB_RATE_SPREAD, 1 + MB_RATE_SPREAD)),
                easy_growth=MB_EASY_MIN_PER_WEEK
                * float(rng_mb.uniform(1 - MB_RATE_SPREAD, 1 + MB_RATE_SPREAD)),
            )
            for r in runners
        ]

    runner_rows, run_rows, strength_rows, block_rows, truth_rows = [], [], [], [], []
    lab_rows: list[dict] = []
    for r in runners:
        art_counts = {"lock": 0, "dropout": 0}
        runs, strength = simulate_runner(rng, r, sc, temps, rng_new, rng_art, art_counts)
        run_rows += runs
        strength_rows += strength
        # runners.csv: measured once before the season (small measurement error)
        runner_rows.append(
            {
                "runner_id": r.rid,
                "name": f"Runner {r.rid}",
                "sex": r.sex,
                "birth_year": str(2025 - r.age),
                "body_mass_kg": f"{r.mass:.1f}",
                "hr_rest_bpm": str(round(r.hr_rest + rng.normal(0, 1.5))),
                "hr_max_bpm": str(round(r.hr_max + rng.normal(0, 2))),
                "vo2max_ml_kg_min": f"{r.vo2max * (1 + rng.normal(0, 0.03)):.1f}",
                "group": r.group,
            }
        )
        if r.group == "strength":
            block_rows.append(
                {
                    "runner_id": r.rid,
                    "block_start": block_start.isoformat(),
                    "block_end": block_end.isoformat(),
                    "label": "strength block",
                }
            )
        truth_rows.append(
            {
                "runner_id": r.rid,
                "group": r.group,
                "true_o2_cost_change_pct": f"{100 * r.effect:.3f}",
                "scenario": sc.name,
                "seed": str(seed),
                "vo2max_true": f"{r.vo2max:.2f}",
                "hr_rest_true": f"{r.hr_rest:.1f}",
                "hr_max_true": f"{r.hr_max:.1f}",
                "econ_factor": f"{r.econ:.4f}",
                "fitness_gain_pct": f"{100 * r.fitness_gain:.2f}",
                "heat_slope_bpm_per_c": f"{r.heat_slope:.3f}",
                "cost_12kmh_ml_kg_km": f"{r.econ * leger_mercier_vo2(12.0) / 0.2:.1f}",
            }
        )
        if sc.hr_line != "hrr" or sc.lab_tests:
            truth_rows[-1]["hr_line"] = sc.hr_line
        if sc.lab_tests:
            rows_lab, f_lt4 = lab_tests(rng_lab, r, sc)
            lab_rows += rows_lab
            truth_rows[-1]["lab_lt4_pct_vo2max"] = f"{100 * f_lt4:.1f}"
        if sc.marathon_build:
            truth_rows[-1]["long_growth_min_per_week"] = f"{r.long_growth:.2f}"
            truth_rows[-1]["easy_growth_min_per_week"] = f"{r.easy_growth:.2f}"
            truth_rows[-1]["drift_onset_min"] = f"{r.drift_onset_min:.0f}"
            truth_rows[-1]["drift_rate_bpm_per_min"] = f"{r.drift_rate:.3f}"
        if sc.hr_artefacts:
            truth_rows[-1]["n_runs_cadence_lock"] = str(art_counts["lock"])
            truth_rows[-1]["n_runs_dropout"] = str(art_counts["dropout"])
        if sc.hr_paced:
            for kind in HR_PACED_KINDS:
                truth_rows[-1][f"hr_target_{kind}_bpm"] = f"{hr_target(r, kind, sc):.1f}"
    write_csv(out / "runners.csv", runner_rows, list(runner_rows[0]))
    write_csv(out / "runs.csv", run_rows, list(run_rows[0]))
    write_csv(out / "strength.csv", strength_rows, list(strength_rows[0]))
    write_csv(out / "blocks.csv", block_rows, list(block_rows[0]))
    write_csv(out / "truth.csv", truth_rows, list(truth_rows[0]))
    if lab_rows:
        write_csv(out / "lab_tests.csv", lab_rows, LAB_FIELDS)


# --------------------------------------------------------------------------
# Scoring


def _f(x: str) -> float:
    return float(x) if x not in ("", None) else math.nan


def score(rows: list[dict]) -> dict:
    """rows: joined analyze rows (field_hr, estimated) with 'truth'."""
    t = np.array([_f(r["truth"]) for r in rows])
    est = np.array([_f(r["o2_cost_change_pct"]) for r in rows])
    lo = np.array([_f(r["ci_low_pct"]) for r in rows])
    hi = np.array([_f(r["ci_high_pct"]) for r in rows])
    raw = np.array([_f(r["raw_change_pct"]) for r in rows])
    grp = np.array([r["group"] for r in rows])
    seeds = np.array([r["seed"] for r in rows])
    verdict = np.array([r["verdict"] for r in rows])
    err = est - t
    err_log = 100 * (np.log1p(est / 100) - np.log1p(t / 100))
    # the reported SE: a pooled headline's posterior SD, which mdc_pct states as
    # (z_0.975 + z_0.80) SD; the runner's own from its interval's width
    pooled = np.array([r.get("pooling", "") == "group" for r in rows])
    mdc = np.array([_f(r.get("mdc_pct", "")) for r in rows])
    k_mdc = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    se_log = np.where(
        pooled,
        -100 * np.log1p(-mdc / 100) / k_mdc,
        100 * (np.log1p(hi / 100) - np.log1p(lo / 100)) / 2 / 1.96,
    )
    ctrl, strg = grp == "control", grp == "strength"
    out = {
        "n": len(rows),
        "bias": float(np.mean(err)),
        # squads share their controls' reference, so the squad is the unit
        "bias_se": float(
            np.std([np.mean(err[seeds == k]) for k in np.unique(seeds)], ddof=1)
            / math.sqrt(len(np.unique(seeds)))
        ),
        "mae": float(np.mean(np.abs(err))),
        "coverage": float(np.mean((lo <= t) & (t <= hi))),
        "width": float(np.mean(hi - lo)),
        "ctrl_improved": int(np.sum(ctrl & (verdict == "improved"))),
        "ctrl_worsened": int(np.sum(ctrl & (verdict == "worsened"))),
        "n_ctrl": int(ctrl.sum()),
        "str_improved": int(np.sum(strg & (verdict == "improved"))),
        "n_str": int(strg.sum()),
        "sd_err": float(np.std(err_log, ddof=1)),
        "mean_se": float(np.mean(se_log)),
        "se_ratio_strength": float(np.mean(se_log[strg]) / np.std(err_log[strg], ddof=1))
        if strg.sum() > 1
        else math.nan,
        "raw_bias": float(np.mean(raw - t)),
        "bias_ctrl": float(np.mean(err[ctrl])),
        "bias_str": float(np.mean(err[strg])),
    }
    own = np.array([_f(r.get("own_change_pct", "")) for r in rows])
    olo = np.array([_f(r.get("own_ci_low_pct", "")) for r in rows])
    ohi = np.array([_f(r.get("own_ci_high_pct", "")) for r in rows])
    own_verdict = np.array([r.get("own_verdict", "") for r in rows])
    ok = ~np.isnan(own)
    out["pooled_n"] = int(pooled.sum())
    out["own_str_improved"] = int(np.sum(ok & strg & (own_verdict == "improved")))
    out["own_ctrl_improved"] = int(np.sum(ok & ctrl & (own_verdict == "improved")))
    out["own_mae"] = float(np.mean(np.abs(own[ok] - t[ok]))) if ok.any() else math.nan
    out["own_cov"] = (
        float(np.mean((olo[ok] <= t[ok]) & (t[ok] <= ohi[ok]))) if ok.any() else math.nan
    )
    out["mae_str"] = float(np.mean(np.abs(err[strg]))) if strg.any() else math.nan
    # the best pooling of the same own changes, knowing each squad's true spread
    use = ok & strg
    out["oracle_mae_str"] = (
        oracle_pooled_mae(own[use], olo[use], ohi[use], t[use], seeds[use])
        if use.sum() > 1
        else math.nan
    )
    return out


def analyze_one(runeco: str, data: Path, out_csv: Path) -> list[dict]:
    subprocess.run(
        [runeco, "analyze", str(data), "--out", str(out_csv), "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with (data / "truth.csv").open(encoding="utf-8") as fh:
        truth = {r["runner_id"]: r for r in csv.DictReader(fh)}
    with out_csv.open(encoding="utf-8") as fh:
        res = list(csv.DictReader(fh))
    rows = []
    for r in res:
        if r["method"] != "field_hr":
            continue
        r["truth"] = truth[r["runner_id"]]["true_o2_cost_change_pct"]
        r["truth_group"] = truth[r["runner_id"]]["group"]
        rows.append(r)
    return rows


def run_all(args: argparse.Namespace) -> None:
    work = Path(args.work)
    names = args.scenario or [s.name for s in SCENARIOS]
    all_rows: dict[str, list[dict]] = {}
    per_runner: list[dict] = []
    for name in names:
        sc = replace(BY_NAME[name], noise_scale=args.noise_scale)
        rows_sc = []
        for k in range(1, args.seeds + 1):
            seed = args.seed_base + k
            d = work / name / f"seed{seed}"
            generate(sc, seed, d, args.per_group)
            rows = analyze_one(args.runeco, d, work / name / f"seed{seed}_analyze.csv")
            for r in rows:
                r["scenario"], r["seed"] = name, seed
            rows_sc += rows
            print(f"{name} seed {seed}: {len(rows)} field_hr rows", file=sys.stderr)
        all_rows[name] = rows_sc
        per_runner += rows_sc
    if args.per_runner:
        keep = [
            "scenario",
            "seed",
            "runner_id",
            "group",
            "truth",
            "o2_cost_change_pct",
            "ci_low_pct",
            "ci_high_pct",
            "verdict",
            "raw_change_pct",
            "reference_change_pct",
            "pooling",
            "n_pooled_runners",
            "own_change_pct",
            "own_ci_low_pct",
            "own_ci_high_pct",
            "own_verdict",
            "heat_onset_c",
            "plateau_weeks",
            "delay_weeks",
            "speed_cost_scale",
            "hr_vo2_line",
            "hrmax_line_change_pct",
            "hrmax_line_ci_low_pct",
            "hrmax_line_ci_high_pct",
            "typical_error_pct",
            "n_baseline_runs",
            "n_block_runs",
            "warning",
        ]
        write_csv(
            Path(args.per_runner), [{k: r.get(k, "") for k in keep} for r in per_runner], keep
        )
    table = markdown_table(all_rows)
    print(table)
    if args.md:
        Path(args.md).write_text(table + "\n", encoding="utf-8")


def markdown_table(all_rows: dict[str, list[dict]]) -> str:
    head = (
        "| scenario | n | bias pp (squad SE) | MAE pp | strength MAE pp (best pooling) | coverage | mean CI width pp | ctrl improved | "
        "ctrl worsened | strength improved | SD err / mean SE (log %) | raw-change bias pp | "
        "pooled | own MAE pp | own coverage | own improved: strength / ctrl | insufficient |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for name, rows in all_rows.items():
        est = [r for r in rows if not r["verdict"].startswith("insufficient data")]
        s = score(est)
        lines.append(
            f"| {BY_NAME[name].title} | {s['n']} | {s['bias']:+.2f} ({s['bias_se']:.2f}) | "
            f"{s['mae']:.2f} | {s['mae_str']:.2f} ({s['oracle_mae_str']:.2f}) | "
            f"{s['coverage']:.2f} | {s['width']:.1f} | {s['ctrl_improved']}/{s['n_ctrl']} | "
            f"{s['ctrl_worsened']}/{s['n_ctrl']} | {s['str_improved']}/{s['n_str']} | "
            f"{s['sd_err']:.2f} / {s['mean_se']:.2f} = {s['mean_se'] / s['sd_err']:.2f} "
            f"(strength {s['se_ratio_strength']:.2f}) | "
            f"{s['raw_bias']:+.2f} | {s['pooled_n']}/{s['n']} | {s['own_mae']:.2f} | "
            f"{s['own_cov']:.2f} | "
            f"{s['own_str_improved']}/{s['n_str']} / {s['own_ctrl_improved']}/{s['n_ctrl']} | "
            f"{len(rows) - len(est)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one squad")
    g.add_argument("--scenario", choices=list(BY_NAME), required=True)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="generate, analyze and score every scenario")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, default=5)
    r.add_argument("--seed-base", type=int, default=20250)
    r.add_argument("--scenario", action="append", choices=list(BY_NAME))
    r.add_argument("--runeco", default=".venv/bin/runeco")
    r.add_argument("--md", help="write the table here")
    r.add_argument("--per-runner", help="write every scored row here (CSV)")
    r.add_argument(
        "--noise-scale", type=float, default=1.0, help="scale heart-rate and GPS noise (diagnostic)"
    )
    for sub_parser in (g, r):
        sub_parser.add_argument(
            "--per-group", type=int, default=PER_GROUP, help="runners per group (default 8)"
        )
    args = p.parse_args(argv)
    if args.cmd == "generate":
        generate(BY_NAME[args.scenario], args.seed, Path(args.out), args.per_group)
    else:
        run_all(args)


if __name__ == "__main__":
    main()
