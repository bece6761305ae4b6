"""Blind check of ``runeco analyze`` on squads from an independent generator.

Written without reading the project's simulators or its estimator: only the
data contract (docs/DATA_FORMAT.md) and the user-facing CLI help were used.
Every physiological constant below is this file's own choice, so a constant
shared between generator and estimator cannot hide a bias.

Usage (numpy and pandas only)::

    python benchmarks/blind_scenarios.py generate --scenario default --seed 1 --out /tmp/blind/sq
    python benchmarks/blind_scenarios.py run --work /tmp/blind/work --seeds 8 \\
        --runeco .venv/bin/runeco --md /tmp/blind/results.md --per-runner /tmp/blind/per_runner.csv

Squad design
------------
16 runners: 8 ``strength`` (with a blocks.csv row and twice-weekly strength
sessions in strength.csv) and 8 ``control``.  A 6-week baseline precedes a
10-week block (block_start = 2025-03-03).  3-6 runs a week per runner
(2-3 in ``irregular``), typed ``recovery``, ``easy``, ``long``, ``tempo``,
``interval`` or ``race``.

Truth
-----
As DATA_FORMAT.md's headline: the change in oxygen cost of running on the
flat at a fixed speed, from the baseline to the end of the block, in percent
of baseline.  Economy in the baseline is constant (no effect), and the
strength effect grows over the block as ``(1 - exp(-t/tau)) / (1 -
exp(-L/tau))`` (tau = 3 weeks, L = block length), so at block end it equals
the runner's drawn change ``delta_i`` exactly.  ``delta_i ~ N(-4 %, 1.5 %)``
for strength runners, 0 for controls.  Nothing else in any scenario changes
economy (fatigue, heat, VO2max, sensors, hills change heart rate or speed,
not the cost of running on the flat), so every control's truth is 0 and the
control-referenced headline's truth is ``delta_i``.  In ``speed_dependent``
the change depends on speed; the truth is stated at each runner's median
baseline easy-run flat speed (DATA_FORMAT.md defines no field reference speed).

Physiological assumptions (this generator's own)
------------------------------------------------
1. Oxygen cost on the flat: Léger & Mercier (1984) gross VO2 = 2.209 +
   3.1633 v (ml/kg/min, v in km/h), i.e. cost per km = 60 (2.209/v + 3.1633),
   slightly *falling* with speed, scaled per runner by a lognormal factor
   (SD 6 %, Saunders et al. 2004, Sports Med 34:465, between-runner spread of
   economy) and tilted per runner by ``exp(g_i (v - 11)/4)``, g_i ~ N(0, 3 %):
   runners differ in how their cost changes with speed.
2. Day-to-day variation of economy: 1.5 % CV per day (Saunders et al. 2004
   report 1.5-5 % for treadmill economy; part of theirs is measurement error).
3. Hills: Minetti et al. (2002, J Appl Physiol 93:1039) cost of running on a
   gradient, Cr(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6
   J/kg/m.  A run's gain is climbed at a course grade of 3-9 % (hidden from the
   tool) and its loss descended at the same grade; the rest is flat.  A route
   too short to hold its climb at that grade within 45 % of its length climbs
   more steeply (the first version capped the climbing distance instead, so
   the runner climbed less than the reported gain and the tool's correction
   looked too large: found in review, 2026-12-05).  The
   runner holds metabolic rate (effort) constant, so hills lower average
   speed and raise the mean cost per km.  Barometric gain/loss carry 8 % noise.
4. Heart rate from uptake: an individual line in reserve units,
   %HRR = c0 + (1 - c0) %VO2R + k %VO2R (1 - %VO2R) with c0 ~ N(0.07, 0.05)
   (between Swain & Leutholtz 1997's %HRR = %VO2R, c0 = 0, and Swain et al.
   1994's %HRmax line, c0 about 0.15-0.2 in reserve units) and a small
   curvature k ~ N(0, 0.06).  VO2rest = 3.5 ml/kg/min.
5. runners.csv values are measured with error: HRmax +-3 bpm (SD), HRrest
   +-2.5 bpm, VO2max +-4 % (lab/field test error).
6. Fitness: VO2max rises 1 % over the 16 weeks in both groups (ordinary
   training); resting HR falls 1 bpm.  ``detraining``: controls lose 2 % VO2max
   linearly over the block (and rest HR +1 bpm), strength runners hold.
7. HR kinetics and drift: mean HR is lowered by the on-kinetics deficit
   (tau = 45 s: about 0.75 min x (HR_ss - 90 bpm) / duration) and raised by
   cardiovascular drift (Coyle & González-Alonso 2001): 0.06 bpm/min after
   minute 10, plus 0.012 bpm/min per degC of apparent temperature above 12.
8. Heat: apparent temperature (Steadman 1984 / Australian BoM formula with
   humidity) raises HR by h_i ~ N(0.5, 0.15) bpm per degC above 13 degC
   (runner-specific heat tolerance); long runs get the drift term above on top.
   Humidity is not in the data (runs.csv has no humidity column).
9. Noise: a day-level HR offset with heavy tails (Student t, 4 df, scale
   2.0 bpm), a 3-week loading cycle (+-1 bpm), +2 bpm on the day after a hard
   session (tempo/interval/race/long), and run-level t(5) noise of 1.2 bpm.
10. Pacing: half the runners pace by effort (target %VO2R per run type with
    per-run jitter, so a better economy shows as faster pace), half by habit
    (a fixed habitual speed per run type, +-3 %, so it shows as lower HR).
    Target intensities (%VO2R): recovery 0.55, easy 0.65, long 0.64,
    tempo 0.83; intervals (mean 0.78, HR +3 bpm for the repetitions) and
    5/10-km races (0.93, one week in five for runners with 4+ runs) are
    written with their own types.  Each week has one long run and, from 3
    runs, one tempo or interval session.
11. GPS: distance error N(0, 1.5 %) per run, with a 4 % chance of a +-6 %
    outlier (trees, tunnels).  Durations exact (moving time).

Scenarios
---------
default          the above, spring weather 7 -> 15 degC, gentle hills (0-60 m).
hilly            half the runners live in hills (100-350 m gain on 70 % of
                 runs); for half of the hilly strength runners the block's runs
                 are 1.6 x hillier than the baseline's.
volume_fatigue   the strength group runs 30 % more per week in the block;
                 fatigue (acute:chronic load above 1) adds up to 6 bpm on
                 some days.
watch_change     half the runners (both groups) change to an optical watch
                 mid-block that reads 3-5 bpm higher (runner-specific).
humid_summer     temperature rising 10 -> 25 degC and relative humidity
                 50 -> 80 % over the 16 weeks; heat raises HR more on long runs.
speed_dependent  the strength change grows with speed: delta(v) = delta_ref
                 (1 + 0.12 (v - v_ref)/1 km/h), v_ref the runner's median
                 baseline easy speed (truth = delta_ref).
irregular        2-3 runs a week, a 2-week illness gap in the block for 3
                 of 8 runners per group, 15 % of runs without heart rate.
detraining       controls lose 2 % VO2max over the block, strength runners
                 hold; economy is unchanged in controls.
watch_change_device  the watch_change squads (same seeds, same runs) with
                 runs.csv's ``device`` column: which watch recorded each run
                 (added after the blind run, with runeco's device offset).
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIOS = (
    "default",
    "hilly",
    "volume_fatigue",
    "watch_change",
    "humid_summer",
    "speed_dependent",
    "irregular",
    "detraining",
    "watch_change_device",
)

BLOCK_START = pd.Timestamp("2025-03-03")
BASELINE_WEEKS = 6
BLOCK_WEEKS = 10
N_PER_GROUP = 8
VO2_REST = 3.5
EFFECT_TAU_WEEKS = 3.0


# --------------------------------------------------------------------------
# physiology
# --------------------------------------------------------------------------
def leger_cost_per_km(v_kmh):
    """Léger & Mercier (1984) gross cost per km [ml/kg/km] on the flat."""
    return 60.0 * (2.209 / v_kmh + 3.1633)


def minetti_cr(grade):
    """Minetti et al. (2002) energy cost of running [J/kg/m] at a gradient."""
    i = grade
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def hill_multiplier(distance_km, gain_m, loss_m, grade):
    """Mean cost per km relative to the flat for a run with given gain and loss."""
    d_m = distance_km * 1000.0
    # every metre of the reported climb is run: a route too short to hold it at
    # this grade within 45 % of its length climbs (and descends) more steeply
    grade = max(grade, gain_m / (0.45 * d_m), loss_m / (0.45 * d_m))
    d_up = gain_m / grade
    d_down = loss_m / grade
    d_flat = max(d_m - d_up - d_down, 0.0)
    flat = minetti_cr(0.0)
    return (d_up * minetti_cr(grade) + d_down * minetti_cr(-grade) + d_flat * flat) / (flat * d_m)


def apparent_temperature(temp_c, rh_pct):
    """Steadman's apparent temperature (BoM version, no wind, shade)."""
    e = rh_pct / 100.0 * 6.105 * np.exp(17.27 * temp_c / (237.7 + temp_c))
    return temp_c + 0.33 * e - 4.0


@dataclass
class Runner:
    rid: str
    group: str
    sex: str
    birth_year: int
    mass: float
    hr_rest: float
    hr_max: float
    vo2max: float
    cost_scale: float
    cost_tilt: float
    c0: float
    k: float
    heat_sens: float
    paces_by_effort: bool
    delta: float  # true change at block end, fraction (-0.04 = -4 %)
    runs_per_week: int
    hilly: bool = False
    hill_grade: float = 0.05
    block_hill_factor: float = 1.0
    watch_bias: float = 0.0
    watch_change_day: int | None = None
    gap_days: tuple[int, int] | None = None
    habit_speed: dict = field(default_factory=dict)
    v_ref: float = 11.0

    def flat_cost(self, v):
        return leger_cost_per_km(v) * self.cost_scale * np.exp(self.cost_tilt * (v - 11.0) / 4.0)

    def pct_hrr(self, x):
        return self.c0 + (1.0 - self.c0) * x + self.k * x * (1.0 - x)


def effect_fraction(day, block_days):
    """Share of the full strength effect reached on `day` (0 = block start)."""
    if day <= 0:
        return 0.0
    tau = EFFECT_TAU_WEEKS * 7.0
    return min(1.0, (1 - math.exp(-day / tau)) / (1 - math.exp(-block_days / tau)))


def make_runner(rng, idx, group, scenario):
    sex = "F" if rng.random() < 0.4 else "M"
    age = int(rng.integers(22, 50))
    hr_max = 208 - 0.7 * age + rng.normal(0, 6)
    vo2max = rng.normal(52 if sex == "M" else 46, 5)
    r = Runner(
        rid=f"{'S' if group == 'strength' else 'C'}{idx:02d}",
        group=group,
        sex=sex,
        birth_year=2025 - age,
        mass=rng.normal(72 if sex == "M" else 60, 6),
        hr_rest=rng.normal(52, 6),
        hr_max=hr_max,
        vo2max=vo2max,
        cost_scale=float(np.exp(rng.normal(0, 0.06))),
        cost_tilt=rng.normal(0, 0.03),
        c0=float(np.clip(rng.normal(0.07, 0.05), -0.05, 0.2)),
        k=rng.normal(0, 0.06),
        heat_sens=max(0.1, rng.normal(0.5, 0.15)),
        paces_by_effort=bool(idx % 2 == 0),
        delta=float(rng.normal(-0.04, 0.015)) if group == "strength" else 0.0,
        runs_per_week=int(rng.integers(3, 7))
        if scenario != "irregular"
        else int(rng.integers(2, 4)),
    )
    r.hill_grade = rng.uniform(0.03, 0.09)
    if scenario == "hilly" and idx % 2 == 1:
        r.hilly = True
        if group == "strength" and idx % 4 == 1:
            r.block_hill_factor = 1.6
    block_days = BLOCK_WEEKS * 7
    if scenario == "watch_change" and idx % 2 == 0:
        r.watch_bias = rng.uniform(3, 5)
        r.watch_change_day = int(rng.integers(block_days // 3, 2 * block_days // 3))
    if scenario == "irregular" and idx in (1, 4, 7):
        start = int(rng.integers(14, block_days - 21))
        r.gap_days = (start, start + 14)
    return r


# target intensity (%VO2R) and duration range (min) per steady run type
RUN_TYPES = {
    "recovery": (0.55, (25, 40)),
    "easy": (0.65, (35, 65)),
    "long": (0.64, (85, 140)),
    "tempo": (0.83, (25, 45)),
}


def week_plan(rng, n):
    """Run types for a week of n runs."""
    plan = ["long"]
    if n >= 3:
        plan.append("tempo" if rng.random() < 0.5 else "interval")
    if n >= 5:
        plan.append("recovery")
    if n >= 4 and rng.random() < 0.2:
        plan.append("race")  # a 5 or 10 km race about one week in five
    while len(plan) < n:
        plan.append("easy")
    rng.shuffle(plan)
    return plan[:n]


def speed_for_vo2(r, vo2, mult):
    """Speed [km/h] at which the runner's gross VO2 equals vo2 (fixed point)."""
    v = 10.0
    for _ in range(8):
        v = vo2 * 60.0 / (r.flat_cost(v) * mult)
    return v


def simulate_squad(scenario: str, seed: int):
    # watch_change_device: the watch_change squads themselves, with runs.csv's device
    logged = scenario == "watch_change_device"
    scenario = "watch_change" if logged else scenario
    rng = np.random.default_rng([seed, SCENARIOS.index(scenario)])
    runners = [make_runner(rng, i + 1, "strength", scenario) for i in range(N_PER_GROUP)]
    runners += [make_runner(rng, i + 1, "control", scenario) for i in range(N_PER_GROUP)]
    start = BLOCK_START - pd.Timedelta(weeks=BASELINE_WEEKS)
    n_days = (BASELINE_WEEKS + BLOCK_WEEKS) * 7
    block_days = BLOCK_WEEKS * 7
    block_end = BLOCK_START + pd.Timedelta(days=block_days - 1)

    # squad weather: one temperature and humidity per day
    t = np.arange(n_days)
    if scenario == "humid_summer":
        temp_day = 10 + 15 * t / (n_days - 1) + rng.normal(0, 2.5, n_days)
        rh_day = np.clip(50 + 30 * t / (n_days - 1) + rng.normal(0, 8, n_days), 20, 98)
    else:
        temp_day = 7 + 8 * t / (n_days - 1) + rng.normal(0, 3, n_days)
        rh_day = np.clip(rng.normal(65, 10, n_days), 20, 98)

    run_rows, strength_rows, block_rows, truth_rows = [], [], [], []
    for r in runners:
        # habitual (pace-paced) speeds, set at baseline fitness and economy
        for rt, (x, _) in RUN_TYPES.items():
            vo2 = VO2_REST + x * (r.vo2max - VO2_REST)
            r.habit_speed[rt] = speed_for_vo2(r, vo2, 1.0)
        r.v_ref = r.habit_speed["easy"]  # refined below from the baseline runs
        day_offset = 2.0 * rng.standard_t(4, n_days)
        cycle_phase = rng.uniform(0, 2 * np.pi)
        econ_day = rng.normal(0, 0.015, n_days)
        is_strength = r.group == "strength"
        hard_prev = np.zeros(n_days + 1, bool)
        load = np.zeros(n_days)  # minutes per day, for fatigue
        pending = []
        for week in range(BASELINE_WEEKS + BLOCK_WEEKS):
            in_block_week = week >= BASELINE_WEEKS
            n = r.runs_per_week
            if scenario == "irregular":
                n = int(rng.integers(2, 4))
            else:
                n = int(np.clip(n + rng.integers(-1, 2), 3, 6))
            vol_factor = 1.0
            if scenario == "volume_fatigue" and is_strength and in_block_week:
                vol_factor = 1.3
                if rng.random() < 0.5:
                    n = min(n + 1, 7)
            days = np.sort(rng.choice(7, size=min(n, 7), replace=False))
            for d, rt in zip(days, week_plan(rng, len(days)), strict=True):
                pending.append((week * 7 + int(d), rt, vol_factor))
        baseline_easy_speeds = []
        v_ref_set = False
        for day, rt, vol_factor in pending:
            block_day = day - BASELINE_WEEKS * 7
            if block_day >= 0 and baseline_easy_speeds and not v_ref_set:
                # runs come in date order: the baseline (effect-free) is done
                r.v_ref = float(np.median(baseline_easy_speeds))
                v_ref_set = True
            if r.gap_days and r.gap_days[0] <= block_day < r.gap_days[1]:
                continue
            frac_time = day / (n_days - 1)
            vo2max = r.vo2max * (1 + 0.01 * frac_time)
            hr_rest = r.hr_rest - 1.0 * frac_time
            if scenario == "detraining" and r.group == "control" and block_day > 0:
                vo2max *= 1 - 0.02 * block_day / block_days
                hr_rest += 1.0 * block_day / block_days
            eff = effect_fraction(block_day, block_days) if is_strength else 0.0

            # duration and intensity
            if rt in RUN_TYPES:
                x_target, (dmin, dmax) = RUN_TYPES[rt]
                dur_min = rng.uniform(dmin, dmax) * vol_factor
                x = x_target + rng.normal(0, 0.025)
            elif rt == "interval":
                dur_min = rng.uniform(40, 60)
                x = 0.78 + rng.normal(0, 0.04)
            else:  # race
                dur_min = 0.0
                x = 0.93 + rng.normal(0, 0.015)
            # hills
            if r.hilly and rng.random() < 0.7:
                gain_per_km = rng.uniform(100, 350) / 8.0
            else:
                gain_per_km = rng.uniform(0, 60) / 8.0
            if block_day >= 0:
                gain_per_km *= r.block_hill_factor
            # speed
            vo2_target = VO2_REST + x * (vo2max - VO2_REST)

            def econ_mult(v, r=r, eff=eff, econ_day=econ_day, day=day):
                d = r.delta * eff
                if scenario == "speed_dependent":
                    d = d * (1 + 0.12 * (v - r.v_ref))
                return (1 + d) * (1 + econ_day[day])

            if rt == "race":
                dist_true = float(rng.choice([5.0, 10.0]))
                gain = rng.uniform(0, 40) * dist_true / 10
                grade = r.hill_grade
                v = 12.0
                for _ in range(6):
                    hm = hill_multiplier(dist_true, gain, gain, grade)
                    v = speed_for_vo2(r, vo2_target, hm * econ_mult(v))
                dur_min = dist_true / v * 60
            else:
                if r.paces_by_effort or rt == "interval":
                    v = 11.0
                    for _ in range(6):
                        dist_est = v * dur_min / 60
                        gain = gain_per_km * dist_est
                        hm = hill_multiplier(dist_est, gain, gain, r.hill_grade)
                        v = speed_for_vo2(r, vo2_target, hm * econ_mult(v))
                    dist_true = v * dur_min / 60
                else:
                    v_flat = r.habit_speed[rt] * (1 + rng.normal(0, 0.03))
                    dist_true = v_flat * dur_min / 60
                    gain = gain_per_km * dist_true
                    hm = hill_multiplier(dist_true, gain, gain, r.hill_grade)
                    # on hills a pace-runner slows to keep roughly the same effort
                    v = v_flat / hm**0.7
                    dist_true = v * dur_min / 60
                    gain = gain_per_km * dist_true
                    hm = hill_multiplier(dist_true, gain, gain, r.hill_grade)
                    vo2_target = r.flat_cost(v) * hm * econ_mult(v) * v / 60
                    x = (vo2_target - VO2_REST) / (vo2max - VO2_REST)
            gain = gain_per_km * dist_true
            if block_day < 0 and rt == "easy":
                baseline_easy_speeds.append(v)

            # heart rate
            x = float(np.clip(x, 0.2, 1.0))
            hr_ss = hr_rest + r.pct_hrr(x) * (r.hr_max - hr_rest)
            temp = temp_day[day] + rng.normal(0, 1.5)
            at = apparent_temperature(temp, rh_day[day])
            heat = r.heat_sens * max(0.0, at - 13.0)
            drift_rate = 0.06 + 0.012 * max(0.0, at - 12.0)
            drift = drift_rate * max(0.0, dur_min - 10) / 2
            kinetics = 0.75 * max(0.0, hr_ss - 90) / dur_min
            fatigue = 2.0 if hard_prev[day] else 0.0
            if scenario == "volume_fatigue":
                acute = load[max(0, day - 7) : day].sum()
                chronic = load[max(0, day - 28) : day].sum() / 4 if day >= 7 else acute
                ratio = acute / chronic if chronic > 0 else 1.0
                if ratio > 1.05 and rng.random() < 0.5:
                    fatigue += min(6.0, 10 * (ratio - 1.0)) * rng.uniform(0.5, 1.0)
            cycle = 1.0 * math.sin(2 * math.pi * day / 21 + cycle_phase)
            hr = (
                hr_ss
                + heat
                + drift
                - kinetics
                + fatigue
                + day_offset[day]
                + cycle
                + 1.2 * rng.standard_t(5)
            )
            if rt == "interval":
                hr += rng.normal(3, 3)
            if r.watch_change_day is not None and block_day >= r.watch_change_day:
                hr += r.watch_bias + rng.normal(0, 1.0)
            hr = min(hr, r.hr_max - 1)
            max_hr = min(
                r.hr_max + rng.normal(0, 1),
                hr + rng.uniform(6, 16) + (8 if rt == "interval" else 0),
            )

            load[day] += dur_min * (1 + 2 * x)
            if rt in ("tempo", "interval", "race", "long"):
                hard_prev[day + 1] = True
            # GPS distance
            gps = rng.normal(0, 0.015)
            if rng.random() < 0.04:
                gps += rng.choice([-0.06, 0.06])
            dist_rep = dist_true * (1 + gps)
            no_hr = scenario == "irregular" and rng.random() < 0.15
            hour = int(rng.choice([6, 7, 12, 17, 18, 19]))
            date = start + pd.Timedelta(days=day, hours=hour, minutes=int(rng.integers(0, 60)))
            run_rows.append(
                {
                    "runner_id": r.rid,
                    "date": date.strftime("%Y-%m-%dT%H:%M:%S"),
                    "distance_km": round(dist_rep, 3),
                    "duration_s": int(round(dur_min * 60)),
                    "avg_hr_bpm": "" if no_hr else int(round(hr)),
                    "max_hr_bpm": "" if no_hr else int(round(max_hr)),
                    "elev_gain_m": round(gain * (1 + rng.normal(0, 0.08)), 1),
                    "elev_loss_m": round(gain * (1 + rng.normal(0, 0.08)), 1),
                    "temp_c": round(temp, 1),
                    "run_type": rt,
                }
            )
            if logged:
                switched = r.watch_change_day is not None and block_day >= r.watch_change_day
                run_rows[-1]["device"] = "Watch B (optical)" if switched else "Watch A"
        # strength log and block
        if r.group == "strength":
            block_rows.append(
                {
                    "runner_id": r.rid,
                    "block_start": BLOCK_START.date().isoformat(),
                    "block_end": block_end.date().isoformat(),
                    "label": "strength block",
                }
            )
            squat = 0.9 * r.mass
            for week in range(BLOCK_WEEKS):
                for d in (1, 4):
                    day = BLOCK_START + pd.Timedelta(days=week * 7 + d, hours=17)
                    if r.gap_days and r.gap_days[0] <= week * 7 + d < r.gap_days[1]:
                        continue
                    ds = day.strftime("%Y-%m-%dT%H:%M:%S")
                    load_kg = round(squat * (1 + 0.03 * week) / 2.5) * 2.5
                    strength_rows += [
                        {
                            "runner_id": r.rid,
                            "date": ds,
                            "exercise": "back squat",
                            "sets": 4,
                            "reps": 5,
                            "load_kg": load_kg,
                            "rpe": 8,
                        },
                        {
                            "runner_id": r.rid,
                            "date": ds,
                            "exercise": "single-leg deadlift",
                            "sets": 3,
                            "reps": 8,
                            "load_kg": round(0.3 * r.mass),
                            "rpe": 7,
                        },
                        {
                            "runner_id": r.rid,
                            "date": ds,
                            "exercise": "box jump",
                            "sets": 3,
                            "reps": 6,
                            "load_kg": "",
                            "rpe": 6,
                        },
                        {
                            "runner_id": r.rid,
                            "date": ds,
                            "exercise": "plank",
                            "sets": 3,
                            "reps": "",
                            "load_kg": "",
                            "rpe": 5,
                            "duration_s": 45,
                        },
                    ]
    # the truth: delta_i (in speed_dependent, delta_i is the change at v_ref)
    for r in runners:
        truth_rows.append(
            {
                "runner_id": r.rid,
                "group": r.group,
                "true_change_pct": 100 * r.delta,
                "v_ref_kmh": round(r.v_ref, 2),
                "paces_by_effort": r.paces_by_effort,
                "c0": round(r.c0, 3),
                "hilly": r.hilly,
                "block_hill_factor": r.block_hill_factor,
                "watch_bias_bpm": round(r.watch_bias, 2),
                "gap": r.gap_days is not None,
            }
        )
    runners_df = pd.DataFrame(
        [
            {
                "runner_id": r.rid,
                "name": f"Runner {r.rid}",
                "sex": r.sex,
                "birth_year": r.birth_year,
                "body_mass_kg": round(r.mass, 1),
                "hr_rest_bpm": int(round(r.hr_rest + rng.normal(0, 2.5))),
                "hr_max_bpm": int(round(r.hr_max + rng.normal(0, 3))),
                "vo2max_ml_kg_min": round(r.vo2max * (1 + rng.normal(0, 0.04)), 1),
                "group": r.group,
            }
            for r in runners
        ]
    )
    return {
        "runners": runners_df,
        "runs": pd.DataFrame(run_rows).sort_values(["runner_id", "date"]),
        "strength": pd.DataFrame(strength_rows),
        "blocks": pd.DataFrame(block_rows),
        "truth": pd.DataFrame(truth_rows),
    }


def generate(scenario: str, seed: int, out: Path) -> pd.DataFrame:
    data = simulate_squad(scenario, seed)
    out.mkdir(parents=True, exist_ok=True)
    data["runners"].to_csv(out / "runners.csv", index=False)
    data["runs"].to_csv(out / "runs.csv", index=False)
    data["strength"].to_csv(out / "strength.csv", index=False)
    data["blocks"].to_csv(out / "blocks.csv", index=False)
    data["truth"].to_csv(out / "truth.csv", index=False)
    return data["truth"]


# --------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------
Z95 = 1.959964


def _log_se(lo, hi):
    return (np.log1p(hi / 100.0) - np.log1p(lo / 100.0)) / (2 * Z95)


def score(df: pd.DataFrame, est: str, lo: str, hi: str) -> dict:
    """Accuracy of the estimate column `est` (and its CI lo, hi) against the truth."""
    ok = df[est].notna()
    d = df[ok]
    out = {"n": int(ok.sum()), "n_insufficient": int((~ok).sum())}
    if d.empty:
        return out
    err = d[est] - d["true_change_pct"]
    log_err = np.log1p(d[est] / 100) - np.log1p(d["true_change_pct"] / 100)
    se = _log_se(d[lo], d[hi])
    cover = (d[lo] <= d["true_change_pct"]) & (d["true_change_pct"] <= d[hi])
    out.update(
        {
            "bias_pp": err.mean(),
            "mae_pp": err.abs().mean(),
            "coverage": cover.mean(),
            "width_pp": (d[hi] - d[lo]).mean(),
            "sd_err_over_se": log_err.std(ddof=1) / se.mean() if len(d) > 1 else np.nan,
        }
    )
    return out


def verdict_counts(df, col="verdict"):
    v = df[col].fillna("")
    return {
        "called_improved": int((v == "improved").sum()),
        "called_worsened": int((v == "worsened").sum()),
        "insufficient": int(v.str.startswith("insufficient").sum()),
    }


def analyse_squad(runeco: str, data: Path, out_csv: Path, log: Path):
    cmd = [runeco, "analyze", str(data), "--out", str(out_csv), "--quiet"]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(
        f"$ {' '.join(cmd)}\nexit {p.returncode}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}"
    )
    return p.returncode, time.time() - t0, p.stderr


def run_all(
    work: Path,
    seeds: int,
    runeco: str,
    md: Path,
    per_runner_csv: Path,
    scenarios=SCENARIOS,
    first_seed: int = 1,
):
    work.mkdir(parents=True, exist_ok=True)
    rows, crashes = [], []
    for sc in scenarios:
        for seed in range(first_seed, first_seed + seeds):
            d = work / sc / f"seed{seed:03d}"
            if d.exists():
                shutil.rmtree(d)
            truth = generate(sc, seed, d / "data")
            out_csv = d / "analyze.csv"
            rc, secs, err = analyse_squad(runeco, d / "data", out_csv, d / "analyze.log")
            print(
                f"{sc:16s} seed {seed:3d}: exit {rc} in {secs:5.1f} s", file=sys.stderr, flush=True
            )
            if rc != 0 or not out_csv.exists():
                crashes.append(
                    {
                        "scenario": sc,
                        "seed": seed,
                        "exit": rc,
                        "command": f"{runeco} analyze {d / 'data'} --out {out_csv}",
                        "stderr": err.strip()[-2000:],
                    }
                )
                continue
            res = pd.read_csv(out_csv)
            res = res[res["method"] == "field_hr"].copy()
            res = res.merge(truth, on="runner_id", how="right", suffixes=("", "_truth"))
            res["scenario"], res["seed"] = sc, seed
            rows.append(res)
    per = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    per_runner_csv.parent.mkdir(parents=True, exist_ok=True)
    keep = [
        "scenario",
        "seed",
        "runner_id",
        "group_truth",
        "true_change_pct",
        "o2_cost_change_pct",
        "ci_low_pct",
        "ci_high_pct",
        "verdict",
        "own_change_pct",
        "own_ci_low_pct",
        "own_ci_high_pct",
        "own_verdict",
        "raw_change_pct",
        "raw_ci_low_pct",
        "raw_ci_high_pct",
        "reference",
        "pooling",
        "n_baseline_runs",
        "n_block_runs",
        "n_excluded_runs",
        "heat_onset_c",
        "plateau_weeks",
        "delay_weeks",
        "speed_cost_scale",
        "training_load_ratio",
        "paces_by_effort",
        "c0",
        "hilly",
        "block_hill_factor",
        "watch_bias_bpm",
        "gap",
        "v_ref_kmh",
        "warning",
    ]
    if not per.empty:
        per[[c for c in keep if c in per.columns]].to_csv(per_runner_csv, index=False)
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(render_markdown(per, crashes, seeds, runeco))
    return per, crashes


def summary_table(per: pd.DataFrame) -> pd.DataFrame:
    out = []
    for sc, g in per.groupby("scenario", sort=False):
        for grp in ("strength", "control", "all"):
            d = g if grp == "all" else g[g["group_truth"] == grp]
            s = score(d, "o2_cost_change_pct", "ci_low_pct", "ci_high_pct")
            s.update(verdict_counts(d))
            s["scenario"], s["group"] = sc, grp
            if grp == "strength":
                big = d[d["true_change_pct"] <= -3]
                s["detect_le_-3"] = f"{int((big['verdict'] == 'improved').sum())}/{len(big)}"
            out.append(s)
    return pd.DataFrame(out)


def own_table(per: pd.DataFrame) -> pd.DataFrame:
    out = []
    for sc, g in per.groupby("scenario", sort=False):
        d = g[g["group_truth"] == "strength"]
        s = score(d, "own_change_pct", "own_ci_low_pct", "own_ci_high_pct")
        big = d[d["true_change_pct"] <= -3]
        s["detect_le_-3"] = f"{int((big['own_verdict'] == 'improved').sum())}/{len(big)}"
        s["scenario"] = sc
        out.append(s)
    return pd.DataFrame(out)


def _fmt(x, signed=False):
    """Two decimals, empty for a missing value."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def render_markdown(per, crashes, seeds, runeco):
    lines = [
        "# Blind check of `runeco analyze` (benchmarks/blind_scenarios.py)",
        "",
        f"{seeds} squads of 8 strength + 8 control runners per scenario; method `field_hr`; "
        "error = estimate - truth (pp); SE ratio = SD of log errors / mean reported log SE "
        "(> 1: intervals too narrow).",
        "",
    ]
    if per.empty:
        lines.append("No results.")
    else:
        t = summary_table(per)
        lines += [
            "## Headline (`o2_cost_change_pct`, pooled and control-referenced)",
            "",
            "| scenario | group | n | bias pp | MAE pp | coverage | width pp | SE ratio | improved | worsened | detected (true <= -3 %) | insufficient |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in t.iterrows():
            lines.append(
                "| "
                + " | ".join(
                    [
                        r["scenario"],
                        r["group"],
                        str(r["n"]),
                        _fmt(r.get("bias_pp", np.nan), True),
                        _fmt(r.get("mae_pp", np.nan)),
                        _fmt(r.get("coverage", np.nan)),
                        _fmt(r.get("width_pp", np.nan)),
                        _fmt(r.get("sd_err_over_se", np.nan)),
                        str(r["called_improved"]),
                        str(r["called_worsened"]),
                        str(r.get("detect_le_-3", ""))
                        if isinstance(r.get("detect_le_-3"), str)
                        else "",
                        str(r["n_insufficient"] + 0),
                    ]
                )
                + " |"
            )
        o = own_table(per)
        lines += [
            "",
            "## Strength runners' own change (`own_change_pct`, before pooling)",
            "",
            "| scenario | n | bias pp | MAE pp | coverage | width pp | SE ratio | detected (true <= -3 %) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for _, r in o.iterrows():
            lines.append(
                f"| {r['scenario']} | {r['n']} | {_fmt(r.get('bias_pp', np.nan), True)} | "
                f"{_fmt(r.get('mae_pp', np.nan))} | {_fmt(r.get('coverage', np.nan))} | "
                f"{_fmt(r.get('width_pp', np.nan))} | {_fmt(r.get('sd_err_over_se', np.nan))} | "
                f"{r['detect_le_-3']} |"
            )
        ins = per[per["verdict"].fillna("").str.startswith("insufficient")]
        lines += ["", "## Insufficient-data rows", ""]
        if ins.empty:
            lines.append("None.")
        else:
            for (sc, v), g in ins.groupby(["scenario", "verdict"]):
                lines.append(f"- {sc}: {len(g)} x `{v}`")
        lines += ["", "## Learned model choices (share of squads)", ""]
        for col in ("heat_onset_c", "plateau_weeks", "delay_weeks", "speed_cost_scale"):
            if col in per.columns:
                first = per.groupby(["scenario", "seed"])[col].first()
                vc = first.fillna("empty").astype(str).groupby(level=0).value_counts()
                lines.append(
                    f"- `{col}`: "
                    + "; ".join(
                        f"{sc}: " + ", ".join(f"{k} x{n}" for k, n in vc[sc].items())
                        for sc in dict.fromkeys(first.index.get_level_values(0))
                    )
                )
    lines += ["", "## Crashes", ""]
    if not crashes:
        lines.append("None.")
    for c in crashes:
        lines += [
            f"- {c['scenario']} seed {c['seed']}: exit {c['exit']}",
            f"  `{c['command']}`",
            "",
            "```",
            c["stderr"],
            "```",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one squad (and truth.csv)")
    g.add_argument("--scenario", choices=SCENARIOS, required=True)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run", help="generate, analyse and score every scenario")
    r.add_argument("--work", type=Path, required=True)
    r.add_argument("--seeds", type=int, default=8)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--runeco", default="runeco")
    r.add_argument("--md", type=Path, required=True)
    r.add_argument("--per-runner", type=Path, required=True)
    r.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="only these scenarios (repeatable; default all)",
    )
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        truth = generate(a.scenario, a.seed, a.out)
        print(truth[["runner_id", "group", "true_change_pct"]].to_string(index=False))
    else:
        per, crashes = run_all(
            a.work,
            a.seeds,
            a.runeco,
            a.md,
            a.per_runner,
            tuple(a.scenario) if a.scenario else SCENARIOS,
            a.first_seed,
        )
        print(a.md.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
