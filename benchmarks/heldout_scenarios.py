"""Held-out squads for ``runeco analyze``: physiology chosen blind to the estimator.

Written from the data contract (docs/DATA_FORMAT.md), the "analyze" parts of the
README and the CLI help only; nothing here is imported from ``analysis``.  Only
numpy and pandas are used.

    python benchmarks/heldout_scenarios.py generate --scenario NAME --seed N --out DIR
    python benchmarks/heldout_scenarios.py run --work DIR --seeds N [--first-seed 1]
        [--scenarios a,b] --runeco .venv/bin/runeco --md FILE.md --per-runner FILE.csv

Squad design (every scenario unless it says otherwise)
------------------------------------------------------
16 runners: 8 strength (one blocks.csv row, 2 or 3 logged strength sessions a
week during the block) and 8 controls (no block, no strength log); a 6-week
baseline before ``block_start`` and a 10-week block, runs from the first day of
the baseline to ``block_end``; 3-6 runs a week (each runner has a habitual
number, +/-1 from week to week).  All strength runners of a squad share the
block dates (a coach starts the block on one day).  The calendar starts on a
Monday in early February (0-2 weeks later by seed) unless the scenario moves
the season.

The truth
---------
``true_change_pct`` is the change of the oxygen cost of running on flat ground,
in still air, at a fixed speed, from the baseline to ``block_end``, in % of the
baseline cost (negative = more economical), per kilogram of the body mass the
runner has on that day.  This is how I read the contract's headline
(``o2_cost_ml_kg_km`` = VO2 / speed on flat ground; ``o2_cost_change_pct`` =
its change from the baseline to the end of the block).  The strength effect
multiplies the whole flat, still-air cost, so the truth is the same at every
speed.  Economy does not change during the baseline, so the truth is the
effect's value at block_end.  Controls: 0 in every scenario (no scenario here
changes the controls' economy; several change their heart rate).

Strength runners: final effect E ~ N(-4 %, 1.5 %) per runner.  Time course
(my own choice, not a ramp/plateau/S/saturating curve): e(t) = E * (t/T)**p
with a per-runner shape p ~ U(0.6, 1.8) (early and late responders; neural
adaptation first, tendon stiffness later: Beattie et al. 2014, Sports Med
44:845; Stoeren et al. 2008, MSSE 40:1087), plus a transient worsening at the
block's start from the first unaccustomed sessions (muscle soreness raises
running cost ~3 % for a few days: Braun & Dutto 2003, EJAP 90:29), shrinking
with the repeated-bout effect (McHugh 2003, Scand J Med Sci Sports 13:88):
+d * exp(-days/6) with d ~ U(0.5, 2.0) %, gone (< 0.001 %) by block_end.

Base physiology (all scenarios)
-------------------------------
Oxygen cost of running (ml/kg/km), flat, still air:
  C(v) = [c_i * (v/12)**beta_i + C_aero(v)] * (1 + e(t))
  * c_i ~ N(198, 12) ml/kg/km at 12 km/h: trained runners' economy
    (Saunders et al. 2004, Sports Med 34:465, review: roughly 180-220).
  * Non-aerodynamic cost per km about independent of speed (di Prampero et
    al. 1986, Int J Sports Med 7:55; di Prampero 1986; Kram & Taylor 1990),
    with a per-runner power-law tilt beta_i ~ N(0, 0.06) (individual
    cost-speed profiles differ: Black et al. 2018, IJSPP 13:1330).
  * Air resistance: C_aero = k' v_air^2 / M with k' = 0.40 J s^2 m^-3
    (di Prampero et al. 1986; Pugh 1971, J Physiol 213:255), converted at
    20.5 J per ml O2 (RER about 0.9).  About 1.5 % of the cost at 12 km/h.
  * Wind: a loop sees head- and tailwind alike, mean of (v + w cos a)^2 =
    v^2 + w^2/2.  Daily wind at 10 m ~ Weibull(k = 2), mean 4 m/s (typical
    European inland climate), times 0.5 at runner height in built-up terrain
    (log wind profile).  Wind is in no file: it is unobserved day noise.
  * Hills: each runner has 3-5 routes; a route has a share h of its distance
    up and the same share down at grade g (h ~ U(0.1, 0.35), g ~ U(1, 5) %).
    Cost on a slope = C * (1 + 4.5 g + 15 g^2) (a symmetric shallow-grade
    fit I chose to lie between published shallow-grade data: ACSM's 4.5 % per
    % grade uphill, Minetti et al. 2002's curvature; used here only for |g| <=
    5 %), so a loop costs C * (1 + 2 h * 15 g^2).  elev_gain_m = elev_loss_m =
    h * g * distance, read by a barometric altimeter with 8 % error.
  * Day-to-day economy noise: N(0, 1.8 %) per run (Saunders et al. 2004:
    within-runner CV 1.5-5 %; Morgan et al. 1991, trained runners ~1.5 %).

Heart rate from uptake: the Fick principle, not a %HRR/%HRmax line.
  HR = Q / SV.  Cardiac output rises linearly with absolute uptake,
  Q = Q0_i + k_i * VO2 (L/min), k_i ~ N(5.6, 0.5) L blood per L O2 (the
  Q-VO2 slope of about 5-6 in healthy adults: Faulkner et al. 1977, JAP
  42:635; Stringer et al. 1997, JAP 82:908), Q0_i ~ N(4.6, 0.5) *
  (mass/70)^0.75 L/min.  Stroke volume rises from rest and either plateaus
  by ~40 % VO2max (Astrand et al. 1964, JAP 19:268) or keeps rising to
  VO2max in trained endurance athletes (Gledhill, Cox & Jamnik 1994, MSSE
  26:1116; Zhou et al. 2001, MSSE 33:1849; review Vella & Robergs 2005,
  Clin Physiol Funct Imaging 25:51):
  SV(f) = SVmax * (1 - s_i exp(-f / 0.12) - r_i (1 - f)), f = VO2/VO2max,
  r_i ~ U(0, 0.25) (the continued rise; 0 = plateau).  SVmax is set so
  that HR(VO2max) = HRmax.  The early rise s_i follows from the runner's
  seated resting HR, drawn N(56, 6) bpm within 42-72 (trained runners): s_i
  makes HR at resting uptake VO2rest_i ~ N(3.3, 0.3) ml/kg/min (seated;
  below 3.5: Byrne et al. 2005, JAP 99:1112) equal to it, clipped to 0-0.5
  (then the resting HR is what the clipped s_i gives; mean 57, SD 6 bpm
  over 2,000 draws).  In the running range this gives %HRR close to %VO2R
  on average (0.63 vs 0.63 at an easy pace over 2,000 draws), with a
  runner-specific local slope: read with the documented line and the true
  parameters, a change comes out x1.01 on average (5-95 %: 0.86-1.19), with
  runners.csv's measured values x0.96 (0.82-1.13).  The resulting
  HR-VO2 relation is each runner's own, slightly curved, and its local
  slope in the running range differs from runner to runner; it is no line
  any earlier generator used.  ``line_read_pct`` in truth.csv is what the
  contract's documented line (%HRR = %VO2R with runners.csv's values)
  would read for the true change at an easy run at 10 degC (baseline mass
  vs end-of-block mass and cost): a diagnostic of how far this physiology
  alone moves a heart-rate reading (not an estimator).
  ``line_read_end_cond_pct``: the same reading of the effect alone (end
  mass, with vs without the effect) at the mean air temperature and
  acclimatisation of the runner's outdoor runs in the block's last 3 weeks
  (the multiplicative heat factor scales HR and so the reading).
Runner parameters: 40 % women; age U(22, 50); mass N(70, 7) kg (men),
  N(58, 6) (women); VO2max N(57, 5) / N(50, 4.5) ml/kg/min (trained club
  runners); HRmax = 208 - 0.7 age + N(0, 6) (Tanaka et al. 2001, JACC
  37:153; SD of individuals ~7).
runners.csv holds measured values: hr_rest_bpm = the morning supine resting
  HR, 2-7 bpm below the seated value of the model (supine > seated SV) plus
  N(0, 2) bpm; hr_max_bpm = HRmax - |N(0, 3)| (field tests fall a little
  short); vo2max_ml_kg_min = VO2max * (1 + N(0, 4 %)) (test-retest and
  protocol); body_mass_kg = baseline mass + N(0, 0.4).

Heat: skin blood flow set by the core-to-skin gradient (not a function of air
temperature fitted to HR).
  Heat production H = VO2_abs * 20.5 kJ/L (level running: all metabolic
  energy becomes heat).  Core temperature at steady state is set by H per
  kg (Nielsen 1938; Cramer & Jay 2015, JAP 119:1163): Tc = 36.9 + 0.08 H/m
  (+0.15 per degC of skin above 33; + the circadian rhythm below).  Mean
  skin temperature while running Tsk = 27.5 + 0.30 (Ta - 10) (+ 0-1.5 degC
  in sunshine, +1.5 on a treadmill without airflow).  The skin blood flow
  needed to carry the heat to the skin is 0.6 H / (3.6 kJ/(L degC) (Tc -
  Tsk)) (Sawka, Cheuvront & Kenefick 2012, Sports Med 42:S1: required flow
  rises steeply as the core-skin gradient narrows); its excess over that at
  10 degC air, as a share of Q, raises HR by the factor kappa_i ~ lognormal
  (median 1.2, SD 0.3 on the log scale) (blood pooled in skin lowers SV,
  HR rises to hold Q: Rowell 1974, Physiol Rev 54:75).  Result: about +2,
  +5, +9 and +14 bpm at 20, 25, 30 and 35 degC against 10 degC at an easy
  pace, larger at faster paces and for heavier runners; slightly negative
  below 10 degC.
Dehydration drift: sweat rate (0.45 + 0.035 max(Ta - 5, 0)) L/h * H/800 W
  (Barnes et al. 2019, J Sports Sci 37:2356: 0.5-2 L/h in running); HR rises
  8 bpm per litre lost at 70 kg (Montain & Coyle 1992, JAP 73:1340; Coyle
  1998), scaled per % body mass; a run's mean carries half its final
  deficit.
Circadian rhythm: exercise HR keeps the resting rhythm (Reilly, Robinson &
  Minors 1984, MSSE 16:477: peak mid-afternoon; Reilly & Brooks 1990): HR *
  (1 + a_i cos(2 pi (h - phi_i)/24)), a_i ~ U(1.0, 2.0) % (1.4-2.8 bpm at
  140 bpm, peak to trough 3-6 bpm), phi_i ~ N(16.5, 1) h; core temperature
  +/-0.3 degC peaking at 17:30 (Refinetti & Menaker 1992).  Uptake has no
  rhythm (Reilly & Brooks 1990: metabolic rhythms not retained in exercise).
Other heart-rate terms: on-kinetics (HR starts ~95 bpm, time constant ~60 s:
  a run's mean is lower by (HR - 95) * 60 s / duration); day-level offset
  N(0, 1.5) bpm (sleep, hydration, caffeine; white, not AR(1)); illness
  episodes (upper-respiratory infections, ~1 per 10 weeks per runner,
  Gleeson 2007; 4-8 days, +4 +/- 1.5 bpm, half the runs skipped); sensor and
  averaging error N(0, 0.8) bpm.  max_hr_bpm = highest segment HR + 3-8.

Pacing and logging: plan-paced.  Speeds as fractions of the runner's vVO2max
(speed at which C(v) v = VO2max): recovery 0.60, long 0.63, easy 0.66, tempo
main set 0.83 (with 12 min warm-up and 10 min cool-down), intervals 5-7 x
3 min at 0.98 with 2-min jogs at 0.50 (Daniels-style zones); day-to-day
speed variation N(0, 2.5 %); easy and long runs slow 0.3 % per degC above
18 degC (Ely et al. 2007, MSSE 39:487).  Weekly: one long run at the weekend
(75-115 min), one quality session (interval and tempo alternating weeks),
the rest easy (35-60 min) or recovery (25-40 min).  Start times from each
runner's habitual mix of morning (06:00-08:00), lunch (11:45-13:15) and
evening (17:30-20:00); long runs 07:30-10:00.  GPS distance: each route's own
bias N(-0.5 %, 0.8 %) plus N(0, 0.8 %) per run (Gilgen-Ammann et al. 2020,
JMIR mHealth 8:e17118: mean absolute errors 3-6 % on short reference
courses, mostly under-reading).  Weather (one city per squad): daily mean
temperature from a climatology (Berlin-like: 9.6 - 9.5 cos(2 pi (doy -
16)/365.25) degC) + AR(1) anomalies (phi 0.75, SD 3.2 degC), diurnal
half-range 3-6 degC peaking at 15:00; ``temp_c`` = the nearest weather
station's air temperature at the run's middle + N(0, 0.8).  rpe (CR-10)
from the run's %HR reserve, on 80 % of runs.  Strength sessions: 18:00-19:30
(or 06:30-07:30), 5-6 exercises of squats (heavy, ~80 % 1RM, 4x5),
single-leg deadlifts, walking lunges, glute bridge, single-leg lateral jumps
or burpees (plyometric), plank (core), with sets, reps, load_kg and rpe.

Scenarios (each adds one confound or realism feature to that base)
------------------------------------------------------------------
plain         the base alone (reference).
heat_acclim   a warm climate (Madrid-like: 15 - 10.5 cos(2 pi (doy - 20)/
              365.25), diurnal half-range 6-8 degC), baseline from late
              March, block May-July; heat acclimatisation shrinks each
              runner's heat response by up to 55 %: a state a in [0, 1]
              grows by 0.18 s (1 - a) a day with the stimulus s =
              clip((Tmax - 20)/10, 0, 1) (x 0.4 on a day without a run) and
              decays 2.5 % a day (Periard, Racinais & Sawka 2015, Scand J
              Med Sci Sports 25:20: most HR adaptation within 4-7 days;
              Daanen et al. 2018, Sports Med 48:409: decay ~2.5 %/day).
              Both groups.  A run planned where the air is above 27 degC
              (not a long run) moves to 06:00-08:00 with probability 0.6.
              Truth: as base (heat moves HR, not cost).
warm          diagnostic twin of heat_acclim: the same warm climate, season and
              move of hot runs to the morning, without acclimatisation.
circadian     run times shift between baseline and block: in the baseline
              (dark winter mornings) 15 % of runs in the morning, 20 % at
              lunch, 65 % in the evening for everyone; in the block controls
              35/20/45 % (lighter mornings), strength runners 70/10/20 %
              (their evening gym sessions push runs to the morning).  Truth:
              as base (the rhythm is in HR and core temperature, not cost).
load_cycle    block weeks 7-8 an overload (+40 % running minutes), weeks 9-10
              a taper (-45 %), both groups; submaximal HR falls with
              accumulated fatigue (Le Meur et al. 2013, MSSE 45:2061; Aubry
              et al. 2014, MSSE 46:1769: lower submaximal HR when
              functionally overreached, back after the taper):
              -min(5, 15 * max(0, F/F_base - 1.2)) bpm, F the 7-day
              exponentially weighted daily load (Banister's fatigue; load =
              session RPE x minutes, Foster et al. 2001), started at the
              baseline's mean daily load, F_base its baseline mean, F taken
              on the morning of the run.  A strength session (55 min at RPE
              7) counts 0.15 x its session-RPE load (my assumption: lifting
              loads the autonomic system far less per AU than running),
              about +10-15 % load in the block (in the generated squads
              the strength runners' dip came out about the same as the
              controls': ~2.6 bpm mean in the overload weeks, ~1 bpm in the
              taper, under 0.1 bpm in the baseline); strength sessions drop
              to one a week in the taper.  Truth: as base.
watch_temp    ``temp_c`` is the watch's own sensor, not a weather station:
              it equilibrates (time constant 10 min, starting from 21 degC
              indoors) towards Ta + w (Twrist - Ta), Twrist = 28 + 0.2 (Ta -
              10), w = 0.45 bare wrist, 0.7 under a sleeve (70 % of runs
              below 10 degC, 10 % above), + 0-2 degC in sunshine: it reads
              8-18 degC high in the cold, ~4 at 20 degC, ~1 at 30 degC
              (Garmin's own advice: body heat biases the sensor while
              worn).  Truth: as base.
mass_gain     strength runners gain dm ~ U(0.5, 1.5) kg along the effect's
              time course; runners.csv keeps the baseline mass.  Cost per kg
              of actual mass follows e(t); the absolute uptake rises with
              mass (load carried in proportion to weight: Teunissen,
              Grabowski & Kram 2007, J Exp Biol 210:4418), and HR follows
              absolute uptake through Q.  Truth: per kg of the mass on the
              day (E); ``truth_per_baseline_kg_pct`` = (1 + E)(m_end/m0) - 1
              is the change per kg of baseline mass.
treadmill     indoor treadmill runs: 35 % of every runner's runs in the
              baseline (winter), in the block 10 % for controls and 30 % for
              strength runners (they are at the gym anyway).  On the
              treadmill: no air resistance and no wind (Jones & Doust 1996,
              J Sports Sci 14:321), the runner's habitual incline (0 % or
              1 %, half each) not logged, distance and speed from the
              treadmill's calibration (its own bias N(0, 2 %), belt wear;
              my assumption), still air (Tsk +1.5 degC), room 20-22 degC;
              elev_gain_m = elev_loss_m = 0, temp_c empty (no weather),
              ``activity_type`` = treadmill_running (outdoor: running; an
              extra column the contract passes through).  Truth: as base
              (outdoor, flat, still air).
gps_city      city routes: each runner has 1-2 downtown routes among tall
              buildings with a route bias N(+1.5 %, 2.5 %) and N(0, 2 %) per
              run (multipath inflates tracks: Ranacher et al. 2016, Int J GIS
              30:1049) and park routes with N(-0.8 %, 0.8 %) and 0.7 % per
              run; in the baseline 70 % of runs are downtown (lit streets in
              the dark), in the block a runner-specific 10-60 %.  Truth: as
              base.
combo         heat_acclim + circadian (the same shifts) + mass_gain at once.
squad24_long  24 runners (12 + 12), an 8-week baseline (runeco.toml
              baseline_weeks = 8) and a 12-week block.
squad6_short  6 runners (3 + 3), a 4-week baseline (runeco.toml
              baseline_weeks = 4) and an 8-week block.

Reading of the contract where it is ambiguous (see also the report):
* "the baseline": the weeks before block_start (6 by default, the toml's
  baseline_weeks when written); runs start on the baseline's first day.
* the truth is per kg of actual mass (mass_gain, combo), as a lab test that
  weighs the runner would report it.
* a treadmill run's temp_c is left empty (the contract's temp_c is air
  temperature; a gym has no weather station reading).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------
# constants (sources in the module docstring)
# --------------------------------------------------------------------------
J_PER_ML_O2 = 20.5
K_AERO = 0.40  # J s^2 m^-3, di Prampero et al. 1986
WIND_MEAN_10M = 4.0
WIND_HEIGHT_FACTOR = 0.5
HILL_A, HILL_B = 4.5, 15.0
ECON_NOISE = 0.018
DAY_HR_SD = 1.5
HR_MEAS_SD = 0.8
BLOOD_HEAT_CAP = 3.6  # kJ / (L degC)
BLOOD_HEAT_SHARE = 0.6
HR_PER_L_DEHYD_70KG = 8.0
ILLNESS_RATE_PER_WEEK = 0.1

SCENARIOS = [
    "plain",
    "heat_acclim",
    "warm",
    "circadian",
    "load_cycle",
    "watch_temp",
    "mass_gain",
    "treadmill",
    "gps_city",
    "combo",
    "squad24_long",
    "squad6_short",
]


def scenario_config(name: str) -> dict:
    cfg = dict(
        n_strength=8,
        n_control=8,
        baseline_weeks=6,
        block_weeks=10,
        toml_baseline=None,
        climate="central",
        start_month_day=(2, 3),
        acclim=False,
        circadian_shift=False,
        load_cycle=False,
        watch_temp=False,
        mass_gain=False,
        treadmill=False,
        gps_city=False,
    )
    if name == "plain":
        pass
    elif name == "heat_acclim":
        cfg.update(climate="warm", start_month_day=(3, 24), acclim=True)
    elif name == "warm":
        cfg.update(climate="warm", start_month_day=(3, 24))
    elif name == "circadian":
        cfg.update(circadian_shift=True)
    elif name == "load_cycle":
        cfg.update(load_cycle=True)
    elif name == "watch_temp":
        cfg.update(watch_temp=True)
    elif name == "mass_gain":
        cfg.update(mass_gain=True)
    elif name == "treadmill":
        cfg.update(treadmill=True)
    elif name == "gps_city":
        cfg.update(gps_city=True)
    elif name == "combo":
        cfg.update(
            climate="warm",
            start_month_day=(3, 24),
            acclim=True,
            circadian_shift=True,
            mass_gain=True,
        )
    elif name == "squad24_long":
        cfg.update(n_strength=12, n_control=12, baseline_weeks=8, block_weeks=12, toml_baseline=8)
    elif name == "squad6_short":
        cfg.update(n_strength=3, n_control=3, baseline_weeks=4, block_weeks=8, toml_baseline=4)
    else:
        raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return cfg


# --------------------------------------------------------------------------
# weather
# --------------------------------------------------------------------------
def make_weather(rng, days: list[dt.date], climate: str) -> pd.DataFrame:
    n = len(days)
    doy = np.array([d.timetuple().tm_yday for d in days], float)
    if climate == "warm":
        clim = 15.0 - 10.5 * np.cos(2 * np.pi * (doy - 20) / 365.25)
        amp = 6.0 + 2.0 * np.clip((doy - 60) / 120, 0, 1)
        sd = 2.8
    else:
        clim = 9.6 - 9.5 * np.cos(2 * np.pi * (doy - 16) / 365.25)
        amp = 3.0 + 3.0 * np.clip((doy - 20) / 130, 0, 1)
        sd = 3.2
    anom = np.zeros(n)
    phi = 0.75
    anom[0] = rng.normal(0, sd)
    for i in range(1, n):
        anom[i] = phi * anom[i - 1] + rng.normal(0, sd * math.sqrt(1 - phi**2))
    tmean = clim + anom
    sun = rng.uniform(0, 1, n)  # share of sunshine
    amp_day = amp * (0.6 + 0.6 * sun)
    wind = rng.weibull(2.0, n) * WIND_MEAN_10M / 0.8862
    return pd.DataFrame(dict(day=days, tmean=tmean, amp=amp_day, sun=sun, wind10=wind))


def air_temp(wx_row, hour: float) -> float:
    return float(wx_row.tmean + wx_row.amp * math.cos(2 * math.pi * (hour - 15.0) / 24.0))


# --------------------------------------------------------------------------
# runner physiology
# --------------------------------------------------------------------------
class Runner:
    def __init__(self, rng, rid: str, group: str, year: int):
        self.id = rid
        self.group = group
        self.sex = "F" if rng.uniform() < 0.4 else "M"
        self.age = float(rng.uniform(22, 50))
        self.birth_year = int(year - round(self.age))
        if self.sex == "M":
            self.mass0 = float(np.clip(rng.normal(70, 7), 55, 92))
            self.vo2max = float(np.clip(rng.normal(57, 5), 44, 72))
        else:
            self.mass0 = float(np.clip(rng.normal(58, 6), 45, 78))
            self.vo2max = float(np.clip(rng.normal(50, 4.5), 40, 64))
        self.hrmax = float(np.clip(208 - 0.7 * self.age + rng.normal(0, 6), 165, 205))
        self.vo2rest = float(np.clip(rng.normal(3.3, 0.3), 2.6, 4.0))
        self.k = float(np.clip(rng.normal(5.6, 0.5), 4.5, 6.8))
        self.q0 = float(np.clip(rng.normal(4.6, 0.5), 3.5, 6.0) * (self.mass0 / 70) ** 0.75)
        self.r = float(rng.uniform(0.0, 0.25))
        self.vo2max_abs = self.vo2max * self.mass0 / 1000.0
        qmax = self.q0 + self.k * self.vo2max_abs
        self.svmax = qmax / self.hrmax
        # seated resting HR of a trained runner; the early SV rise s follows
        # from it (HR at resting uptake = that HR), kept within 0-0.5
        hr_rest_target = float(np.clip(rng.normal(56, 6), 42, 72))
        f0 = self.vo2rest / self.vo2max
        q_rest = self.q0 + self.k * self.vo2rest * self.mass0 / 1000.0
        s = (1 - self.r * (1 - f0) - q_rest / (hr_rest_target * self.svmax)) / math.exp(-f0 / 0.12)
        self.s = float(np.clip(s, 0.0, 0.5))
        self.hrrest = float(self.hr_fick(self.vo2rest * self.mass0 / 1000.0))
        # economy
        self.c12 = float(rng.normal(198, 12))
        self.beta = float(rng.normal(0, 0.06))
        self.kappa = float(1.2 * math.exp(rng.normal(0, 0.3)))
        self.circ_amp = float(rng.uniform(0.010, 0.020))
        self.circ_phase = float(rng.normal(16.5, 1.0))
        # measured values for runners.csv
        self.hr_rest_rep = int(round(self.hrrest - rng.uniform(2, 7) + rng.normal(0, 2)))
        self.hr_max_rep = int(round(self.hrmax - abs(rng.normal(0, 3))))
        self.vo2max_rep = round(self.vo2max * (1 + rng.normal(0, 0.04)), 1)
        self.mass_rep = round(self.mass0 + rng.normal(0, 0.4), 1)
        # vVO2max on the flat, still air
        self.vv = self._vvo2max()
        self.incline = 0.0 if rng.uniform() < 0.5 else 0.01
        # strength effect
        self.E = 0.0
        self.p = 1.0
        self.doms = 0.0
        self.dm = 0.0

    # Fick: HR = Q / SV
    def sv(self, f):
        f = np.clip(f, 0.0, 1.0)
        return self.svmax * (1 - self.s * np.exp(-f / 0.12) - self.r * (1 - f))

    def hr_fick(self, vo2_abs):
        vo2_abs = np.minimum(vo2_abs, self.vo2max_abs)
        q = self.q0 + self.k * vo2_abs
        return q / self.sv(vo2_abs / self.vo2max_abs)

    def q(self, vo2_abs):
        return self.q0 + self.k * np.minimum(vo2_abs, self.vo2max_abs)

    def cost_flat(self, v_kmh, still=True):
        """ml/kg/km on the flat, still air, before the strength effect."""
        vms = v_kmh / 3.6
        aero = K_AERO * vms**2 / self.mass0 / J_PER_ML_O2 * 1000.0
        return self.c12 * (v_kmh / 12.0) ** self.beta + aero

    def _vvo2max(self):
        lo, hi = 8.0, 30.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if self.cost_flat(mid) * mid / 60.0 > self.vo2max:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    def effect(self, day_in_block: float, block_days: int) -> float:
        """Fractional change in cost (negative = better) on a block day."""
        if day_in_block < 0:
            return 0.0
        tau = min(day_in_block / (block_days - 1), 1.0)
        return self.E * tau**self.p + self.doms * math.exp(-day_in_block / 6.0)

    def mass_on(self, day_in_block: float, block_days: int) -> float:
        if self.dm == 0 or day_in_block < 0:
            return self.mass0
        tau = min(day_in_block / (block_days - 1), 1.0)
        return self.mass0 + self.dm * tau**self.p


def heat_factor(r: Runner, vo2_abs, mass, ta, sun_bonus, hour, kappa_scale, treadmill=False):
    """Multiplicative HR factor from skin blood flow (relative to 10 degC air)."""
    h_w = vo2_abs * J_PER_ML_O2 * 1000.0 / 60.0
    circ_tc = 0.3 * math.cos(2 * math.pi * (hour - 17.5) / 24.0)

    def skbf(t_air, extra):
        tsk = 27.5 + 0.30 * (t_air - 10.0) + extra
        tc = 36.9 + 0.08 * h_w / mass + circ_tc + 0.15 * max(tsk - 33.0, 0.0)
        grad = max(tc - tsk, 1.5)
        return BLOOD_HEAT_SHARE * h_w * 60.0 / (BLOOD_HEAT_CAP * 1000.0 * grad)

    extra = sun_bonus + (1.5 if treadmill else 0.0)
    d = skbf(ta, extra) - skbf(10.0, 0.0)
    return 1.0 + r.kappa * kappa_scale * d / r.q(vo2_abs)


# --------------------------------------------------------------------------
# squad generation
# --------------------------------------------------------------------------
STRENGTH_EXERCISES = [
    # name, sets, reps, load (fraction of mass or None), rpe
    ("squats", 4, 5, "heavy", 8),
    ("single-leg deadlifts", 3, 8, "light", 6),
    ("walking lunges", 3, 10, "light", 6),
    ("glute bridge", 3, 12, None, 5),
    ("single-leg lateral jumps", 3, 8, None, 7),
    ("burpees", 3, 10, None, 7),
    ("plank", 3, None, None, 5),
]


def _fmt_dt(d: dt.date, hour: float) -> str:
    hh = int(hour)
    mm = int(round((hour - hh) * 60))
    if mm == 60:
        hh, mm = hh + 1, 0
    ss = 0
    return f"{d.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}"


def generate(scenario: str, seed: int, out: Path) -> dict:
    cfg = scenario_config(scenario)
    scen_key = zlib.crc32(scenario.encode("utf-8"))  # stable per scenario name
    rng_r = np.random.default_rng([seed, 7919])  # runners: shared across scenarios
    rng = np.random.default_rng([seed, 104729, scen_key])  # everything else
    year = 2025
    m, d0 = cfg["start_month_day"]
    start = dt.date(year, m, d0)
    start += dt.timedelta(days=(7 - start.weekday()) % 7)  # a Monday
    start += dt.timedelta(days=7 * int(rng.integers(0, 3)))
    bw, kw = cfg["baseline_weeks"], cfg["block_weeks"]
    block_start = start + dt.timedelta(days=7 * bw)
    block_days = 7 * kw
    block_end = block_start + dt.timedelta(days=block_days - 1)
    days = [start + dt.timedelta(days=i) for i in range((block_end - start).days + 1)]
    wx = make_weather(rng, days, cfg["climate"])

    runners: list[Runner] = []
    n_s, n_c = cfg["n_strength"], cfg["n_control"]
    for i in range(n_s + n_c):
        grp = "strength" if i < n_s else "control"
        r = Runner(rng_r, f"R{i + 1:02d}", grp, year)
        if grp == "strength":
            r.E = float(rng_r.normal(-0.04, 0.015))
            r.p = float(rng_r.uniform(0.6, 1.8))
            r.doms = float(rng_r.uniform(0.005, 0.020))
        else:
            rng_r.normal(), rng_r.uniform(), rng_r.uniform()  # keep streams aligned
        runners.append(r)
    if cfg["mass_gain"]:
        for r in runners:
            if r.group == "strength":
                r.dm = float(rng.uniform(0.5, 1.5))

    run_rows, str_rows, block_rows, truth_rows = [], [], [], []
    for r in runners:
        rr = _simulate_runner(
            rng, r, cfg, days, wx, start, block_start, block_days, run_rows, str_rows
        )
        if r.group == "strength":
            block_rows.append(
                dict(
                    runner_id=r.id,
                    block_start=block_start.isoformat(),
                    block_end=block_end.isoformat(),
                    label="Spring strength block",
                )
            )
        truth_rows.append(_truth_row(r, cfg, rr, block_days))

    out.mkdir(parents=True, exist_ok=True)
    rdf = pd.DataFrame(
        [
            dict(
                runner_id=r.id,
                name=f"Runner {r.id[1:]}",
                sex=r.sex,
                birth_year=r.birth_year,
                body_mass_kg=r.mass_rep,
                hr_rest_bpm=r.hr_rest_rep,
                hr_max_bpm=r.hr_max_rep,
                vo2max_ml_kg_min=r.vo2max_rep,
                group=r.group,
            )
            for r in runners
        ]
    )
    rdf.to_csv(out / "runners.csv", index=False)
    runs = pd.DataFrame(run_rows)
    cols = [
        "runner_id",
        "date",
        "distance_km",
        "duration_s",
        "avg_hr_bpm",
        "max_hr_bpm",
        "elev_gain_m",
        "elev_loss_m",
        "temp_c",
        "run_type",
        "rpe",
    ]
    if cfg["treadmill"]:
        cols.append("activity_type")
    runs[cols].to_csv(out / "runs.csv", index=False)
    if str_rows:
        pd.DataFrame(str_rows).to_csv(out / "strength.csv", index=False)
    pd.DataFrame(block_rows, columns=["runner_id", "block_start", "block_end", "label"]).to_csv(
        out / "blocks.csv", index=False
    )
    if cfg["toml_baseline"]:
        (out / "runeco.toml").write_text(
            f"[analysis]\nbaseline_weeks = {cfg['toml_baseline']}\n", encoding="utf-8"
        )
    truth = pd.DataFrame(truth_rows)
    truth.to_csv(out / "truth.csv", index=False)
    return dict(
        runs=len(runs), block_start=block_start.isoformat(), block_end=block_end.isoformat()
    )


def _truth_row(r: Runner, cfg, rr: dict, block_days: int) -> dict:
    E = r.E if r.group == "strength" else 0.0
    m_end = r.mass_on(block_days - 1, block_days)
    # what %HRR = %VO2R with runners.csv's values reads for the true change,
    # at an easy run, 10 degC, no circadian term, baseline vs end of block
    v = 0.66 * r.vv
    vo2_b = r.cost_flat(v) * v / 60.0
    eff_end = r.effect(block_days - 1, block_days) if r.group == "strength" else 0.0
    vo2_e = vo2_b * (1 + eff_end)
    hr_b = float(r.hr_fick(vo2_b * r.mass0 / 1000))
    hr_e = float(r.hr_fick(vo2_e * m_end / 1000))

    def doc(hr):
        return 3.5 + (hr - r.hr_rest_rep) / (r.hr_max_rep - r.hr_rest_rep) * (r.vo2max_rep - 3.5)

    line_read = (doc(hr_e) / doc(hr_b) - 1) * 100
    # the same reading of the effect alone, at the mean air temperature (and
    # acclimatisation) of the runner's outdoor runs in the block's last 3
    # weeks: HR with and without the effect, same day, same mass
    t_end = rr.get("end_temp_c", float("nan"))
    if math.isfinite(t_end):
        ks = 1 - 0.55 * rr.get("end_acclim", 0.0) if cfg["acclim"] else 1.0
        hour = r.circ_phase + 6.0
        vo2_n_abs = vo2_b * m_end / 1000
        vo2_e_abs = vo2_e * m_end / 1000
        hr_n = float(r.hr_fick(vo2_n_abs)) * heat_factor(r, vo2_n_abs, m_end, t_end, 0.0, hour, ks)
        hr_e0 = float(r.hr_fick(vo2_e_abs)) * heat_factor(r, vo2_e_abs, m_end, t_end, 0.0, hour, ks)
        line_read_end = (doc(hr_e0) / doc(hr_n) - 1) * 100
    else:
        line_read_end = float("nan")
    row = dict(
        runner_id=r.id,
        group=r.group,
        true_change_pct=round(E * 100, 4),
        truth_per_baseline_kg_pct=round(((1 + E) * m_end / r.mass0 - 1) * 100, 4),
        line_read_pct=round(line_read, 4),
        line_read_end_cond_pct=round(line_read_end, 4),
        time_course_p=round(r.p, 3),
        doms_pct=round(r.doms * 100, 3),
        mass_gain_kg=round(m_end - r.mass0, 3),
        hr_rest_true=round(r.hrrest, 1),
        hr_rest_rep=r.hr_rest_rep,
        hr_max_true=round(r.hrmax, 1),
        vo2max_true=round(r.vo2max, 2),
        vvo2max_kmh=round(r.vv, 2),
        kappa_heat=round(r.kappa, 3),
        sv_early_rise=round(r.s, 3),
        sv_late_rise=round(r.r, 3),
    )
    row.update(rr)
    return row


def _week_plan(rng, n_runs: int, quality: str) -> list[tuple[int, str]]:
    """(weekday, type) pairs; long on Sat/Sun, quality midweek."""
    long_day = 6 if rng.uniform() < 0.7 else 5
    types = ["long", quality] + ["easy"] * (n_runs - 2)
    if n_runs >= 5:
        types[-1] = "recovery"
    others = [d for d in range(7) if d != long_day]
    chosen = sorted(rng.choice(others, size=n_runs - 1, replace=False).tolist())
    q_day = chosen[len(chosen) // 2]
    plan = [(long_day, "long"), (q_day, quality)]
    rest = [d for d in chosen if d != q_day]
    for d, t in zip(rest, types[2:], strict=True):
        plan.append((d, t))
    return sorted(plan)


def _time_mix(r: Runner, cfg, in_block: bool, rng, base_mix) -> np.ndarray:
    if not cfg["circadian_shift"]:
        return base_mix
    if not in_block:
        return np.array([0.15, 0.20, 0.65])
    return np.array([0.70, 0.10, 0.20]) if r.group == "strength" else np.array([0.35, 0.20, 0.45])


def _simulate_runner(
    rng, r: Runner, cfg, days, wx, start, block_start, block_days, run_rows, str_rows
) -> dict:
    n_days = len(days)
    base_n = int(rng.integers(3, 7))
    base_mix = rng.dirichlet([2.0, 1.0, 3.0])
    # routes
    n_routes = int(rng.integers(3, 6))
    routes = []
    n_down = int(rng.integers(1, 3)) if cfg["gps_city"] else 0
    for j in range(n_routes):
        downtown = j < n_down
        if cfg["gps_city"]:
            bias = rng.normal(0.015, 0.025) if downtown else rng.normal(-0.008, 0.008)
            sd = 0.02 if downtown else 0.007
        else:
            bias, sd = rng.normal(-0.005, 0.008), 0.008
        routes.append(
            dict(
                h=rng.uniform(0.1, 0.35),
                g=rng.uniform(0.01, 0.05),
                bias=bias,
                sd=sd,
                downtown=downtown,
            )
        )
    p_down_block = float(rng.uniform(0.10, 0.60))
    tm_bias = float(rng.normal(0, 0.02))  # treadmill calibration
    # day-level states
    day_off = rng.normal(0, DAY_HR_SD, n_days)
    ill = np.zeros(n_days)
    n_weeks = n_days / 7
    for _ in range(rng.poisson(ILLNESS_RATE_PER_WEEK * n_weeks)):
        s0 = int(rng.integers(0, n_days))
        ln = int(rng.integers(4, 9))
        ill[s0 : s0 + ln] = max(rng.normal(4, 1.5), 1.0)
    # heat acclimatisation state (updated with runs below)
    acc = 0.0
    # strength schedule
    s_per_week = int(rng.integers(2, 4))
    s_weekdays = {2: [0, 3], 3: [0, 2, 4]}[s_per_week]
    s_evening = rng.uniform() < 0.75
    # load bookkeeping (load_cycle)
    daily_load = np.zeros(n_days)
    run_days: list[int] = []
    acc_log = {"b": [], "k": []}
    end_cond: list[tuple[float, float]] = []
    quality_alt = ["interval", "tempo"]
    runs_out = []
    n_morning = {"b": 0, "k": 0}
    n_total = {"b": 0, "k": 0}
    n_tm = {"b": 0, "k": 0}
    n_dt = {"b": 0, "k": 0}
    plan_by_day: dict[int, list[str]] = {}
    for w in range(int(math.ceil(n_days / 7))):
        n_runs = int(np.clip(base_n + rng.choice([-1, 0, 0, 0, 1]), 3, 6))
        for wd, typ in _week_plan(rng, n_runs, quality_alt[w % 2]):
            di = 7 * w + wd
            if di < n_days:
                plan_by_day.setdefault(di, []).append(typ)
    strength_days = set()
    for di in range(n_days):
        day = days[di]
        dib = (day - block_start).days
        if r.group == "strength" and dib >= 0:
            wk = dib // 7
            wd = day.weekday()
            wds = s_weekdays
            if cfg["load_cycle"] and wk >= cfg["block_weeks"] - 2:
                wds = [s_weekdays[0]]
            if wd in wds and rng.uniform() > 0.08:
                strength_days.add(di)
    for di in range(n_days):
        day = days[di]
        dib = (day - block_start).days
        in_block = dib >= 0
        wrow = wx.iloc[di]
        tmax_day = wrow.tmean + wrow.amp
        # strength session
        sess_load = 0.0
        if di in strength_days:
            hour_s = (
                rng.uniform(18.0, 19.5)
                if s_evening or cfg["circadian_shift"]
                else rng.uniform(6.5, 7.5)
            )
            _strength_session(rng, r, day, hour_s, str_rows)
            sess_load = 55 * 7  # minutes x session RPE
        ran_today = False
        for typ in plan_by_day.get(di, []):
            if ill[di] > 0 and rng.uniform() < 0.5:
                continue
            row, info = _one_run(
                rng,
                r,
                cfg,
                day,
                di,
                dib,
                in_block,
                typ,
                wrow,
                routes,
                p_down_block,
                tm_bias,
                day_off[di] + ill[di],
                acc,
                block_days,
                strength_days,
                base_mix,
            )
            run_rows.append(row)
            runs_out.append(info)
            key = "k" if in_block else "b"
            n_total[key] += 1
            n_morning[key] += info["hour"] < 10.5
            n_tm[key] += info["treadmill"]
            n_dt[key] += info["downtown"]
            daily_load[di] += info["trimp"]
            run_days.append(di)
            acc_log[key].append(acc)
            if in_block and dib >= block_days - 21 and not info["treadmill"]:
                end_cond.append((info["ta"], acc))
            ran_today = True
        daily_load[di] += 0.15 * sess_load if cfg["load_cycle"] else 0.0
        # update states for the next day
        if cfg["acclim"]:
            stim = float(np.clip((tmax_day - 20.0) / 10.0, 0, 1)) * (1.0 if ran_today else 0.4)
            acc = acc + 0.18 * stim * (1 - acc)
            acc = acc * (1 - 0.025)

    # accumulated fatigue (load_cycle): 7-day exponentially weighted daily load,
    # started at the baseline's mean daily load; F_base = its baseline mean;
    # a run's HR is lowered by the fatigue carried into its day
    supp_log = {"b": [], "k": [], "over": [], "taper": []}
    if cfg["load_cycle"]:
        n_base = (block_start - start).days
        a = math.exp(-1 / 7.0)
        fat = np.zeros(n_days + 1)
        fat[0] = daily_load[:n_base].mean()
        for di in range(n_days):
            fat[di + 1] = fat[di] * a + daily_load[di] * (1 - a)
        f_base = fat[1 : n_base + 1].mean()
        first_row = len(run_rows) - len(run_days)
        for j, di in enumerate(run_days):
            sup = min(5.0, 15.0 * max(0.0, fat[di] / f_base - 1.2))
            row = run_rows[first_row + j]
            row["avg_hr_bpm"] -= sup
            dib = (days[di] - block_start).days
            wk = dib // 7
            supp_log["b" if dib < 0 else "k"].append(sup)
            if wk in (cfg["block_weeks"] - 4, cfg["block_weeks"] - 3):
                supp_log["over"].append(sup)
            elif wk >= cfg["block_weeks"] - 2:
                supp_log["taper"].append(sup)
    for row in run_rows[len(run_rows) - len(run_days) :]:
        row["avg_hr_bpm"] = int(round(row["avg_hr_bpm"]))

    def share(a, b):
        return round(a / b, 3) if b else float("nan")

    def mean(x):
        return round(float(np.mean(x)), 3) if len(x) else float("nan")

    return dict(
        n_runs=len(runs_out),
        morning_share_base=share(n_morning["b"], n_total["b"]),
        morning_share_block=share(n_morning["k"], n_total["k"]),
        treadmill_share_base=share(n_tm["b"], n_total["b"]),
        treadmill_share_block=share(n_tm["k"], n_total["k"]),
        downtown_share_base=share(n_dt["b"], n_total["b"]),
        downtown_share_block=share(n_dt["k"], n_total["k"]),
        strength_sessions=len(strength_days),
        incline_pct=r.incline * 100,
        acclim_base=mean(acc_log["b"]),
        acclim_block=mean(acc_log["k"]),
        hr_supp_base=mean(supp_log["b"]),
        hr_supp_block=mean(supp_log["k"]),
        hr_supp_overload=mean(supp_log["over"]),
        hr_supp_taper=mean(supp_log["taper"]),
        end_temp_c=mean([c[0] for c in end_cond]),
        end_acclim=mean([c[1] for c in end_cond]),
    )


def _strength_session(rng, r: Runner, day, hour, str_rows):
    names = ["squats", "single-leg deadlifts", "walking lunges", "glute bridge", "plank"]
    names.append("single-leg lateral jumps" if rng.uniform() < 0.6 else "burpees")
    stamp = _fmt_dt(day, hour)
    for ex in STRENGTH_EXERCISES:
        name, sets, reps, load, rpe = ex
        if name not in names:
            continue
        if load == "heavy":
            lk = round(2.5 * round(r.mass0 * rng.uniform(0.9, 1.3) / 2.5), 1)
        elif load == "light":
            lk = round(2.0 * round(r.mass0 * rng.uniform(0.15, 0.3) / 2.0), 1)
        else:
            lk = ""
        str_rows.append(
            dict(
                runner_id=r.id,
                date=stamp,
                exercise=name,
                sets=sets,
                reps=reps if reps else "",
                load_kg=lk,
                duration_s=45 if name == "plank" else "",
                rpe=int(np.clip(rpe + rng.integers(-1, 2), 1, 10)),
            )
        )


def _segments(rng, r: Runner, typ: str) -> list[tuple[float, float]]:
    """(speed km/h, minutes) of the planned run."""
    vv = r.vv
    jit = 1 + rng.normal(0, 0.025)
    if typ == "easy":
        return [(0.66 * vv * jit, rng.uniform(35, 60))]
    if typ == "recovery":
        return [(0.60 * vv * jit, rng.uniform(25, 40))]
    if typ == "long":
        return [(0.63 * vv * jit, rng.uniform(75, 115))]
    if typ == "tempo":
        return [
            (0.66 * vv * jit, 12.0),
            (0.83 * vv * (1 + rng.normal(0, 0.015)), rng.uniform(20, 30)),
            (0.62 * vv * jit, 10.0),
        ]
    if typ == "interval":
        segs = [(0.66 * vv * jit, 15.0)]
        for _ in range(int(rng.integers(5, 8))):
            segs += [(0.98 * vv * (1 + rng.normal(0, 0.01)), 3.0), (0.50 * vv, 2.0)]
        segs.append((0.62 * vv * jit, 10.0))
        return segs
    raise ValueError(typ)


def _one_run(
    rng,
    r: Runner,
    cfg,
    day,
    di,
    dib,
    in_block,
    typ,
    wrow,
    routes,
    p_down_block,
    tm_bias,
    hr_day_off,
    acc,
    block_days,
    strength_days,
    base_mix,
):
    # time of day
    if typ == "long":
        hour = rng.uniform(7.5, 10.0)
    else:
        mix = _time_mix(r, cfg, in_block, rng, base_mix)
        slot = rng.choice(3, p=mix / mix.sum())
        hour = [rng.uniform(6.0, 8.0), rng.uniform(11.75, 13.25), rng.uniform(17.5, 20.0)][slot]
    # treadmill?
    treadmill = False
    if cfg["treadmill"]:
        if not in_block:
            p_tm = 0.35
        else:
            p_tm = 0.30 if r.group == "strength" else 0.10
        treadmill = rng.uniform() < p_tm and typ != "long"
    # route
    if cfg["gps_city"]:
        p_down = 0.70 if not in_block else p_down_block
        down_routes = [x for x in routes if x["downtown"]]
        park_routes = [x for x in routes if not x["downtown"]]
        route = down_routes if (rng.uniform() < p_down and down_routes) else park_routes
        route = route[int(rng.integers(0, len(route)))]
    else:
        route = routes[int(rng.integers(0, len(routes)))]
    segs = _segments(rng, r, typ)
    dur_min = sum(t for _, t in segs)
    mid_hour = hour + dur_min / 120.0
    ta = air_temp(wrow, mid_hour)
    if cfg["climate"] == "warm" and ta > 27.0 and typ != "long" and rng.uniform() < 0.6:
        hour = rng.uniform(6.0, 8.0)  # hot afternoon: the run moves to the early morning
        mid_hour = hour + dur_min / 120.0
        ta = air_temp(wrow, mid_hour)
    # pace slows in heat (easy, long, recovery) outdoors
    if not treadmill and typ in ("easy", "long", "recovery"):
        slow = 1 - 0.003 * max(ta - 18.0, 0.0)
        segs = [(v * slow, t) for v, t in segs]
    mass = r.mass_on(dib, block_days)
    eff = r.effect(dib, block_days) if r.group == "strength" else 0.0
    econ = 1 + rng.normal(0, ECON_NOISE)
    wind = 0.0 if treadmill else float(wrow.wind10 * WIND_HEIGHT_FACTOR * rng.uniform(0.6, 1.4))
    sun_bonus = 0.0 if treadmill else 1.5 * float(wrow.sun) * (1 if 8 <= mid_hour <= 18 else 0)
    kappa_scale = 1 - 0.55 * acc
    t_eff = 21.0 if treadmill else ta
    hr_num, t_tot, dist_true, max_seg = 0.0, 0.0, 0.0, 0.0
    vo2_sum = 0.0
    for v, tmin in segs:
        vms = v / 3.6
        nonaero = r.c12 * (v / 12.0) ** r.beta
        if treadmill:
            c = nonaero * (1 + eff) * (1 + HILL_A * r.incline + HILL_B * r.incline**2)
        else:
            aero0 = K_AERO * vms**2 / r.mass0 / J_PER_ML_O2 * 1000.0
            c = (nonaero + aero0) * (1 + eff) * (1 + 2 * route["h"] * HILL_B * route["g"] ** 2)
            c += K_AERO * (wind**2 / 2) / r.mass0 / J_PER_ML_O2 * 1000.0
        vo2_kg = c * v / 60.0 * econ
        vo2_abs = vo2_kg * mass / 1000.0
        hr = float(r.hr_fick(vo2_abs))
        hr *= heat_factor(
            r, min(vo2_abs, r.vo2max_abs), mass, t_eff, sun_bonus, mid_hour, kappa_scale, treadmill
        )
        hr *= 1 + r.circ_amp * math.cos(2 * math.pi * (mid_hour - r.circ_phase) / 24.0)
        hr = min(hr, r.hrmax)
        hr_num += hr * tmin
        t_tot += tmin
        dist_true += v * tmin / 60.0
        max_seg = max(max_seg, hr)
        vo2_sum += vo2_abs * tmin
    hr_avg = hr_num / t_tot
    first_hr = r.hr_fick(segs[0][0] * r.c12 / 60.0 * mass / 1000.0)
    hr_avg -= (first_hr - 95.0) * 60.0 / (t_tot * 60.0)
    # dehydration drift
    h_w = vo2_sum / t_tot * J_PER_ML_O2 * 1000.0 / 60.0
    sweat = (0.45 + 0.035 * max(t_eff - 5.0, 0.0)) * h_w / 800.0
    deficit_pct = sweat * t_tot / 60.0 / 2.0 / mass * 100.0
    hr_avg += HR_PER_L_DEHYD_70KG * 0.7 * deficit_pct  # 8 bpm/L at 70 kg = 5.6 bpm per %
    # day state, load-related suppression, sensor
    hr_avg += hr_day_off
    hr_avg += rng.normal(0, HR_MEAS_SD)
    # load_cycle: overload / taper scale the duration (all segments)
    if cfg["load_cycle"] and in_block:
        wk = dib // 7
        if wk in (cfg["block_weeks"] - 4, cfg["block_weeks"] - 3):
            scale = 1.4
        elif wk >= cfg["block_weeks"] - 2:
            scale = 0.55
        else:
            scale = 1.0
        if scale != 1.0:
            t_tot *= scale
            dist_true *= scale
            deficit_extra = (scale - 1) * HR_PER_L_DEHYD_70KG * 0.7 * deficit_pct
            hr_avg += deficit_extra
    # distance as logged
    if treadmill:
        dist = dist_true * (1 + tm_bias)
        gain = loss = 0
        temp = ""
    else:
        dist = dist_true * (1 + route["bias"] + rng.normal(0, route["sd"]))
        gain = int(round(route["h"] * route["g"] * dist_true * 1000 * (1 + rng.normal(0, 0.08))))
        loss = int(round(route["h"] * route["g"] * dist_true * 1000 * (1 + rng.normal(0, 0.08))))
        if cfg["watch_temp"]:
            twrist = 28.0 + 0.2 * (ta - 10.0)
            sleeve = rng.uniform() < (0.7 if ta < 10 else 0.1)
            w = 0.7 if sleeve else 0.45
            t_eq = ta + w * (twrist - ta) + 2.0 * float(wrow.sun) * rng.uniform()
            tau = 10.0
            t_mean = t_eq + (21.0 - t_eq) * tau / t_tot * (1 - math.exp(-t_tot / tau))
            temp = round(t_mean, 1)
        else:
            temp = round(ta + rng.normal(0, 0.8), 1)
    hrr_frac = (hr_avg - r.hr_rest_rep) / (r.hr_max_rep - r.hr_rest_rep)
    rpe = int(np.clip(round(10 * hrr_frac**2.2 + rng.normal(0, 0.7)), 1, 10))
    if typ == "interval":
        rpe = int(np.clip(rpe + 2, 1, 10))
    row = dict(
        runner_id=r.id,
        date=_fmt_dt(day, hour),
        distance_km=round(dist, 2),
        duration_s=int(round(t_tot * 60)),
        avg_hr_bpm=hr_avg,
        max_hr_bpm=int(round(min(max_seg + rng.uniform(3, 8), r.hrmax + 1))),
        elev_gain_m=gain,
        elev_loss_m=loss,
        temp_c=temp,
        run_type=typ,
        rpe=rpe if rng.uniform() < 0.8 else "",
    )
    if cfg["treadmill"]:
        row["activity_type"] = "treadmill_running" if treadmill else "running"
    trimp = t_tot * rpe  # session-RPE load (Foster et al. 2001), AU
    info = dict(
        hour=hour,
        treadmill=int(treadmill),
        downtown=int(route.get("downtown", False)),
        trimp=trimp,
        ta=ta,
    )
    return row, info


# --------------------------------------------------------------------------
# run: generate, analyze, score
# --------------------------------------------------------------------------
OUT_COLS = [
    "o2_cost_change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
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
    "n_pooled_runners",
    "reference_change_pct",
    "n_reference_runners",
    "mdc_pct",
    "n_baseline_runs",
    "n_block_runs",
    "n_excluded_runs",
    "heat_onset_c",
    "plateau_weeks",
    "delay_weeks",
    "speed_cost_scale",
    "hr_vo2_line",
    "post_strength_days",
    "post_strength_pct",
    "hrmax_line_scale",
    "hrmax_line_change_pct",
    "sensitivity_design",
    "sensitivity_change_pct",
    "training_load_ratio",
    "training_load_basis",
    "typical_error_pct",
    "block_start",
    "block_end",
    "block_source",
    "warning",
]


def _num(s):
    return pd.to_numeric(s, errors="coerce")


def run_all(args) -> int:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    scens = args.scenarios.split(",") if args.scenarios else SCENARIOS
    for s in scens:
        scenario_config(s)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    per_runner, crashes = [], []
    t0 = time.time()
    for s in scens:
        for seed in seeds:
            d = work / s / f"seed{seed:03d}"
            data = d / "data"
            if data.exists():
                for f in data.iterdir():
                    if f.is_file():
                        f.unlink()
            try:
                generate(s, seed, data)
            except Exception as exc:  # a generator fault: record, go on
                crashes.append(
                    dict(
                        scenario=s,
                        seed=seed,
                        command="generate",
                        returncode="exception",
                        stderr_tail=repr(exc),
                    )
                )
                continue
            out_csv = d / "analyze.csv"
            if out_csv.exists():
                out_csv.unlink()
            cmd = [args.runeco, "analyze", str(data), "--out", str(out_csv), "--quiet"]
            ts = time.time()
            try:
                pr = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                rc, err = pr.returncode, pr.stderr
            except subprocess.TimeoutExpired as exc:
                rc, err = "timeout", str(exc)
            el = time.time() - ts
            if rc != 0 or not out_csv.exists():
                crashes.append(
                    dict(
                        scenario=s,
                        seed=seed,
                        command=" ".join(cmd),
                        returncode=rc,
                        stderr_tail=(err or "")[-2000:],
                    )
                )
                print(f"[{s} seed {seed}] CRASH rc={rc}", file=sys.stderr, flush=True)
                continue
            res = pd.read_csv(out_csv, dtype=str, keep_default_na=False)
            res = res[res["method"] == "field_hr"].copy()
            truth = pd.read_csv(data / "truth.csv")
            res = res.drop(columns=[c for c in ["group"] if c in res.columns])
            mer = truth.merge(res, on="runner_id", how="left")
            mer.insert(0, "seed", seed)
            mer.insert(0, "scenario", s)
            per_runner.append(mer)
            print(
                f"[{s} seed {seed}] ok {el:.1f}s ({time.time() - t0:.0f}s total)",
                file=sys.stderr,
                flush=True,
            )
    if per_runner:
        pr_df = pd.concat(per_runner, ignore_index=True)
    else:
        pr_df = pd.DataFrame()
    keep = ["scenario", "seed", "runner_id", "group", "true_change_pct"]
    keep += [c for c in OUT_COLS if c in pr_df.columns]
    keep += [c for c in pr_df.columns if c not in keep]
    pr_df = pr_df[keep] if len(pr_df) else pr_df
    Path(args.per_runner).parent.mkdir(parents=True, exist_ok=True)
    pr_df.to_csv(args.per_runner, index=False)
    md = summarise(pr_df, crashes, scens, seeds)
    Path(args.md).parent.mkdir(parents=True, exist_ok=True)
    Path(args.md).write_text(md, encoding="utf-8")
    print(md)
    return 0


def _group_stats(g: pd.DataFrame, is_strength: bool) -> dict:
    est = _num(g["o2_cost_change_pct"])
    lo, hi = _num(g["ci_low_pct"]), _num(g["ci_high_pct"])
    truth = g["true_change_pct"].astype(float)
    verdict = g["verdict"].fillna("").astype(str)
    has = est.notna()
    insuff = (
        verdict.str.startswith("insufficient").sum()
        + (~has & ~verdict.str.startswith("insufficient")).sum()
    )
    err = (est - truth)[has]
    by_squad = (est - truth)[has].groupby(g.loc[has, "seed"]).mean()
    n_sq = by_squad.size
    sq_se = by_squad.std(ddof=1) / math.sqrt(n_sq) if n_sq > 1 else float("nan")
    cover = ((lo <= truth) & (truth <= hi))[has].mean()
    width = (hi - lo)[has].mean()
    lerr = (np.log1p(est / 100) - np.log1p(truth / 100))[has]
    lse = ((np.log1p(hi / 100) - np.log1p(lo / 100)) / (2 * 1.959964))[has]
    ratio = lerr.std(ddof=1) / lse.mean() if has.sum() > 1 else float("nan")
    own = _num(g.get("own_change_pct", pd.Series(index=g.index, dtype=float)))
    own_err = (own - truth)[own.notna()]
    line = g["line_read_pct"].astype(float) if "line_read_pct" in g else truth
    d = dict(
        n=int(has.sum()),
        insufficient=int(insuff),
        bias=err.mean(),
        squad_se=sq_se,
        mae=err.abs().mean(),
        coverage=cover,
        width=width,
        sd_over_se=ratio,
        improved=int((verdict == "improved").sum()),
        worsened=int((verdict == "worsened").sum()),
        own_bias=own_err.mean(),
        own_mae=own_err.abs().mean(),
        bias_vs_line=(est - line)[has].mean(),
    )
    if is_strength:
        tgt = truth <= -3
        d["detection"] = (verdict[tgt] == "improved").mean() if tgt.any() else float("nan")
        d["n_det"] = int(tgt.sum())
    return d


def summarise(df: pd.DataFrame, crashes: list, scens, seeds) -> str:
    lines = [
        "# Held-out scenarios (benchmarks/heldout_scenarios.py)",
        "",
        f"Seeds {seeds[0]}–{seeds[-1]} ({len(seeds)} squads per scenario). "
        "Errors are estimate − truth in percentage points (pp) of "
        "`o2_cost_change_pct` (`method == field_hr`). Squad SE = SD of the squad "
        "means / √squads. SD/SE = SD of the log errors ÷ mean SE from the CI on the "
        "log scale. Detection = share of strength runners with truth ≤ −3 % called "
        "`improved`. `bias vs 1:1 line` = mean of estimate − `line_read_pct` (what "
        "%HRR = %VO2R with runners.csv's values reads for the true change in this "
        "generator's physiology).",
        "",
    ]
    hdr = (
        "| group | n | insuff. | bias pp | squad SE | MAE pp | coverage | mean CI width | "
        "SD/SE (log) | improved | worsened | detection ≤−3 % | own bias | own MAE | "
        "bias vs 1:1 line |"
    )
    sep = "|" + "---|" * 15
    for s in scens:
        sub = df[df["scenario"] == s] if len(df) else df
        lines += [f"## {s}", ""]
        if not len(sub):
            lines += ["no results", ""]
            continue
        lines += [hdr, sep]
        for label, mask, is_s in [
            ("strength", sub["group"] == "strength", True),
            ("control", sub["group"] == "control", False),
            ("all", pd.Series(True, index=sub.index), False),
        ]:
            st = _group_stats(sub[mask], is_s)
            det = f"{st['detection']:.2f} ({st['n_det']})" if is_s and st.get("n_det") else ""

            def f(x, nd=2, sign=False):
                if x is None or not np.isfinite(x):
                    return "–"
                return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"

            lines.append(
                f"| {label} | {st['n']} | {st['insufficient']} | {f(st['bias'], sign=True)} | "
                f"{f(st['squad_se'])} | {f(st['mae'])} | {f(st['coverage'])} | {f(st['width'])} | "
                f"{f(st['sd_over_se'])} | {st['improved']} | {st['worsened']} | {det} | "
                f"{f(st['own_bias'], sign=True)} | {f(st['own_mae'])} | {f(st['bias_vs_line'], sign=True)} |"
            )
        lines.append("")
    lines += ["## Crashes", ""]
    if not crashes:
        lines.append("none")
    for c in crashes:
        lines += [
            f"- {c['scenario']} seed {c['seed']}: `{c['command']}` → rc {c['returncode']}",
            "",
            "```",
            str(c["stderr_tail"]).strip(),
            "```",
            "",
        ]
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one squad's dataset folder and truth.csv")
    g.add_argument("--scenario", required=True, choices=SCENARIOS)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="generate, analyze and score scenarios x seeds")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, required=True)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--scenarios", default="")
    r.add_argument("--runeco", required=True)
    r.add_argument("--md", required=True)
    r.add_argument("--per-runner", required=True)
    r.add_argument("--timeout", type=float, default=900.0)
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        info = generate(a.scenario, a.seed, Path(a.out))
        print(json.dumps(info))
        return 0
    return run_all(a)


if __name__ == "__main__":
    sys.exit(main())
