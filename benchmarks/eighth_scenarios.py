"""Eighth test-data generator for runeco: squads with unlogged real-life conditions (written blind).

Written without reading runeco's model, simulator, tests, validation documents or the other
generators. The author read only docs/DATA_FORMAT.md (the data contract), the CLI's ``--help``,
a summary of what six earlier generators assumed (so as to choose differently), and the
command-line ``run``/``main`` loop and ``write_report`` table of
benchmarks/training_load_scenarios.py, whose shape is copied here. numpy and pandas only;
nothing is imported from ``analysis``. Deterministic per (scenario, seed): every random
stream is ``numpy.random.default_rng([seed, stream])`` and the per-runner, per-day draws are
made in full whether or not a run happens, so one seed gives the same runners, schedule noise
and weather anomalies in every scenario; scenarios differ only by what the scenario changes.

Sources are cited from memory (author, year, gist). There was no internet access: none of the
citations was re-checked. Every number not attributed to a source is this author's choice.

TRUTH
-----
``true_change_pct`` is the change, from the baseline to the runner's ``block_end``, of the
runner's *intrinsic* oxygen cost of running on flat, firm ground in still air, at any fixed
speed, per kg of the body mass of the day (ml O2 / kg / km), in percent of the baseline: what
``o2_cost_change_pct`` claims to measure (DATA_FORMAT: "the change in that number from the
baseline to the end of the block ... on flat ground"). The intrinsic cost changes only through
the strength work in every scenario. Not in the truth (confounds the tool has to see through):
surface (trails, snow), wind, clothing mass, the acute residual fatigue after a gym session,
anything that moves heart rate at a given oxygen uptake. Controls: 0.

PHYSIOLOGY (base, every scenario)
---------------------------------
Runners. 50 % women. Age U(22, 48). Height M N(178, 6), F N(166, 6) cm; mass M N(70, 6),
F N(58, 5) kg. VO2max M N(58, 5), F N(51, 5) ml/kg/min, minus 0.4 per year over 35 (Tanaka &
Seals 2003: endurance-trained runners lose ~0.5 %/yr), clipped 40-72; the maximum in L/min is
the physiological constant (Fick), so VO2max per kg moves with the day's mass. HRmax =
211 - 0.64 age + N(0, 6.5) (Nes et al. 2013, HUNT fitness study: 211 - 0.64 age, SD ~ 10 in
the general population; less in runners, our choice). HRrest N(50, 4) - 0.3 (VO2max - 55),
clipped 36-66. A seasonal fitness trend shared by neither group in particular: VO2max in L/min
+U(0, 3) % linear over the logged period, HRrest -1.5 bpm x the same share.

Oxygen cost per km on the flat (our own curve, a mild U with a per-runner optimum):
    C(v) = C_i * (1 + q_i * ln(v / v_opt,i)^2) * (1 + a_i (v/12)^2 (1 + F_wind)) / (1 + a_i (v_opt/12)^2)
C_i ~ N(205, 13) ml/kg/km (Saunders et al. 2004 review: ~190-220 in trained runners),
q_i ~ U(0.1, 0.5), v_opt ~ N(12.5, 1.0) km/h (Steudel-Numbers & Wall-Scheffler 2009 reported
individual optimal running speeds, a U-shaped cost of transport; the flatness is our choice).
Air resistance a_i = 0.024 x N(1, 0.1) of the cost at 12 km/h, scaling with v^2 (Pugh 1971:
about 8 % at middle-distance speed, scaled down with the square of speed). Run-to-run
biological variation of cost: 1.3 % (Saunders et al. 2004 report 1.5-3 % within-subject CV
including measurement error). Hills: +U(1.0, 1.3) ml/kg per metre climbed; a metre descended
returns U(0.35, 0.6) ml/kg on roads and 0.3 on trails (our linearisation of Minetti et al. 2002
at 3-8 % grades, with less credit on steep technical descents). Loads: clothing (0.3 kg in the
warm, +0.045 kg per degC below 12 degC, at most 1.2 kg) raises cost per kg of body mass in
proportion to load / body mass (Teunissen, Grabowski & Kram 2007: cost rises about in
proportion to load in running).

Heart rate from oxygen uptake, per runner (a power curve in the uptake reserve, no line):
    %HRR = a_i + (1 - a_i) * x^g_i,    x = (VO2 - 3.5) / (VO2max_day - 3.5)
a_i ~ N(0.03, 0.03), g_i ~ N(0.93, 0.07) (Swain & Leutholtz 1997: %HRR ~ %VO2R on average; a
mildly concave, individual curve is our choice). Added bpm, none of them economy:
- heat strain from a heat balance (our model): heat produced 0.9 x VO2 (20.1 J per ml O2);
  dry loss (8.3 sqrt(v_air) + 4.7) W/m2/K x (33 - T_air) x body surface area (Du Bois 1916);
  the evaporative requirement E_req = softplus of the shortfall (60 W scale); HR +k_i per
  100 W of E_req, k_i ~ U(1.1, 2.0) x (1 + 0.025 (age - 35)+) (older runners dissipate heat
  less well: Kenney 1997; Larose et al. 2013, decrements from about age 40);
- heat acclimatisation state A (0..1), built by runs with E_req > 0 (+0.10 (1 - A) per run at
  300 W; living in heat +0.05 (1 - A) per day at a camp), decaying with tau U(14, 24) d
  (Pandolf 1998; Periard et al. 2015): the heat term x (1 - 0.45 A), plasma volume lowers HR by
  U(3, 6) A bpm at any temperature and VO2max rises by 3 % A (Lorenzo et al. 2010: heat
  acclimation raised VO2max in cool conditions by ~5 %);
- cardiac drift after minute 15: U(0.4, 1.0) bpm per 10 min x (1 + E_req / 500 W) x the age
  factor (Coyle & Gonzalez-Alonso 2001), averaged over the run;
- on-kinetics: tau 0.75 min deficit at the start;
- an autonomic day state, AR(1) with phi 0.65 and SD U(1.3, 2.6) bpm; per-run noise 1.3 bpm;
  optical wrist sensors +2.2 bpm noise and cadence lock (the reading follows cadence for 30-90 %
  of the run) on 1.5 % of runs + 1 % per degC below 5 degC (poor perfusion in the cold, our
  choice), at most 12 %;
- time of day: cosine, amplitude U(1, 3) bpm, peak U(15, 19) h (Atkinson & Reilly 1996);
- interval repetitions read 6 bpm under and jog recoveries 14 bpm over the steady value (lag).

Strength effect (the truth's only cause). Responders (80 %): E = -exp(N(ln 4.6, 0.33)) % at
full dose; non-responders N(0, 0.5) % (Denadai et al. 2017 meta-analysis: about -4 % on
average; Balsalobre-Fernandez et al. 2016 similar; individual variation ours). Two-phase
time course in sessions done S (our model): a neural part w ~ U(0.2, 0.45) with
1 - exp(-S / 5), and a structural part (tendon stiffness; Albracht & Arampatzis 2013: 14 weeks
of tendon loading improved economy ~4 %) that starts after U(6, 10) sessions and saturates
with U(8, 14) sessions; normalised so that the planned 22 sessions give E. Sessions: Monday and
Thursday 18:30, adherence U(0.75, 0.97); programs heavy (back squat 4x5 ~82 % 1RM), plyometric
or mixed. Acute residual fatigue (not truth; Doma, Deakin & Bentley 2017; delayed-onset shape
ours): cost +A_i x (0.3, 1.0, 0.7, 0.25) on the day of the session (runs after it) and the
three days after, A_i ~ U(1.0, 2.5) %, shrinking with the repeated-bout effect
x (0.35 + 0.65 exp(-n / 3)) (McHugh 2003).

Training. 4-6 runs a week (Tue quality rotating interval 6x3 min / tempo 25 min / threshold
3x10 min; Sun long run 24-30 % of the week's minutes; easy runs; a Monday recovery run for
6-run weeks); 170-340 min a week, +8 % over the block, deload weeks (x0.75) every 4th week for
half the runners; 5 % of runs skipped; 25 % of runners take a 5-8 day holiday; half race a
5 km parkrun in baseline week -3 and block week 7. Pace: habitual speeds per run type (easy
0.64, long 0.62, recovery 0.55, tempo 0.80, threshold 0.86, interval 0.95, race 0.97 of the
uptake reserve), +-3 % per run; each runner paces partly by feel, lambda ~ U(0, 1): speed x
(habitual cost / today's cost)^lambda (wind, surface, snow, hills, clothing) and slows
0.4 % per degC over 15 degC x lambda; half of an economy gain goes into speed (x lambda).
10 % of easy/long runs on forest trails (surface +U(3, 7) % cost: Voloshina & Ferris 2015,
uneven terrain about +5 %; trails 12-25 m/km of climbing, GPS distance reads 1.5 % short).

Weather. Maritime spring (base): seasonal daily mean 10 - 6 cos(2 pi (doy - 22) / 365) degC,
AR(1) anomaly phi 0.8 SD 2.5 degC, diurnal +-3.5 degC peaking 15 h; 10-m wind Weibull (k 2),
mean 4.5 m/s with day-to-day persistence; each runner's routes expose them to U(0.25, 0.6) of
it. Wind on a loop (our algebra after Pugh 1971 and Davies 1980, a tailwind returns about half
of what a headwind costs): F_wind = (r + 1.5 r^2) / 2 with r = wind_eff / v.

Recording (runners.csv as a coach has it). HRmax: 50 % field value (true - U(0, 4)), 30 %
the coach's 220 - age, 20 % empty. HRrest: the watch's overnight value (true - U(0, 4) +
N(0, 2)), 15 % empty. VO2max: 35 % lab (+-3 %), 45 % watch (+N(1.5, 2.5)), 20 % empty. Mass
+-1 kg. runs.csv: distance +-0.8 % GPS, barometric elevation +-6 % + N(0, 3) m, temp_c from a
weather service +-0.6 degC (4 % empty), 2 % of HR empty, 4 % of run_type empty, cadence, rpe on
50 % of runs, the device name, and the watch's VO2max estimate (from pace and heart rate, so it
moves with economy) on most runs of 60 % of runners.

SCENARIOS (each changes one condition from plain; numbers our choice unless cited)
- plain: the base.
- winter_block: continental autumn into winter (baseline from 29 Sep, block 10 Nov - 25 Jan,
  seasonal mean 12 -> -5.5 degC); snow cover after snowfall below 0.5 degC, melting after two
  days over 2 degC; on snow-covered roads cost +U(3, 7) % that day; runners with a treadmill
  (40 %) run indoors on 60 % of snow days (no temperature, no elevation, no wind, no air
  resistance); more clothing; Christmas (22 Dec - 1 Jan): runs x0.7, half the gym sessions
  missed, +U(0.3, 1.2) kg of mass, half of it lost by 25 Jan (Yanovski et al. 2000: ~0.4 kg
  holiday gain in adults).
- spring_gales: the 10-m wind's mean rises from 4.0 m/s (baseline) to 7.5 m/s over the block's
  first 8 weeks (a windy season), unlogged, both groups (about +1.5 % cost on exposed routes).
- warm_camp: 5 of 8 strength runners and 2 of 8 controls go to a 10-day warm-weather camp
  (block days 24-33, 20 degC mean, +-5 degC daily, hilly, volume +25 %); heat acclimatisation
  and its plasma volume follow from the base model, then decay after they return.
- cycle: naturally cycling women (70 % of women; the rest on hormonal contraception) have
  heart rate +U(2, 5) bpm at a given uptake in the luteal phase (13 +- 1 days before the next
  menses; cycles U(25, 33) +- 2 days) and 30 % more heat strain then (Janse de Jonge 2003
  review: higher core temperature and often slightly higher HR in the mid-luteal phase;
  running economy itself unchanged: Williams & Krahenbuhl 1997).
- masters_controls: the controls are masters runners aged U(46, 62), the strength runners
  U(20, 33) (a study recruiting students, with the coach's masters as controls); everything
  that follows from age follows (HRmax, VO2max, heat sensitivity, drift); the coach used
  220 - age for 60 % of the masters.
- pace_shift: 6 of 8 strength runners join a faster club group for their easy, long and
  recovery runs from block day 14: +U(4, 8) % speed, paced by the group (lambda 0 on those
  runs). Economy at a fixed speed is unchanged by it.
- fade: the strength runners stop lifting after block day 48 (spring races) while blocks.csv
  keeps the planned 11 weeks; the effect decays with tau U(35, 63) d after the last session
  (Mujika & Padilla 2000: detraining of neuromuscular adaptations over weeks). Truth at
  block_end.
- two_controls: 10 strength runners and 2 controls (of the seed's 16: two controls become
  strength runners and four leave the squad).
- trail_season: forest paths dry out: each runner's share of easy/long runs on trails rises
  from 10 % to 0.2 + 0.5 affinity (affinity U(0, 1)) between block days 7 and 35, both groups.
- watch_swap: 3 strength runners and 2 controls change mid-block (block day U(21, 35)) to a
  budget watch (``Forerunner 55``): optical heart rate (+N(1, 1.5) bpm offset vs their old
  sensor, extra noise), and GPS-only elevation: gain and loss x U(1.15, 1.4) plus U(3, 7) m/km
  of phantom climbing (GPS altitude noise).
- blood_donation: 2 strength runners and 2 controls give 450 ml of blood once in block days
  14-70 (unlogged): no run that day, VO2max -U(6, 9) % recovering with tau U(18, 28) d
  (haemoglobin), and +3 bpm for two days (plasma volume) (Panebianco et al. 1995; Judd et al.
  2011: VO2max reduced for up to a few weeks after donation).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import time

import numpy as np
import pandas as pd

SCENARIOS = [
    "plain",
    "winter_block",
    "spring_gales",
    "warm_camp",
    "cycle",
    "masters_controls",
    "pace_shift",
    "fade",
    "two_controls",
    "trail_season",
    "watch_swap",
    "blood_donation",
]
N_RUNNERS = 16
PRE_DAYS = 56  # logged days before the block (6-week baseline + 2 weeks of history)
BLOCK_DAYS = 77  # 11 weeks
N_DAYS = PRE_DAYS + BLOCK_DAYS
PLANNED_SESSIONS = 22
X_TYPE = dict(
    easy=0.64, long=0.62, recovery=0.55, tempo=0.80, threshold=0.86, interval=0.95, race=0.97
)
DEVICES = [
    ("Forerunner 265", True),
    ("Forerunner 965", False),  # with a chest strap
    ("Polar Pacer Pro", True),
    ("Coros Pace 3", True),
    ("Suunto Race", False),
    ("Apple Watch Series 9", True),
]
PROGRAMS = {
    "heavy": [
        ("Back Squat", 4, 5, 0.82 * 1.3, None),
        ("Romanian Deadlift", 3, 6, 0.75 * 1.2, None),
        ("Bulgarian Split Squat", 3, 8, 0.25, None),
        ("Calf Raise", 3, 12, 0.4, None),
        ("Plank", 3, None, 0.0, 45),
    ],
    "plyometric": [
        ("Box Jump", 4, 6, 0.0, None),
        ("Jump Squat", 3, 8, 0.15, None),
        ("Single-Leg Lateral Jumps", 3, 10, 0.0, None),
        ("Walking Lunges", 3, 10, 0.15, None),
        ("Burpees", 3, 10, 0.0, None),
    ],
    "mixed": [
        ("Back Squat", 3, 5, 0.8 * 1.3, None),
        ("Box Jump", 3, 5, 0.0, None),
        ("Single-Leg Deadlift", 3, 8, 0.18, None),
        ("Calf Raise", 3, 15, 0.3, None),
        ("Plank", 2, None, 0.0, 60),
    ],
}


def _rng(seed, stream):
    return np.random.default_rng([int(seed), int(stream)])


def _softplus(x, s):
    return s * math.log1p(math.exp(min(x / s, 50.0))) if x / s < 50 else x


def _phi(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


# --------------------------------------------------------------------------------------
# calendar and weather
# --------------------------------------------------------------------------------------
def calendar(scenario):
    if scenario == "winter_block":
        return dict(block_start=pd.Timestamp("2025-11-10"), tm=5.5, amp=11.0, phase=22)
    return dict(block_start=pd.Timestamp("2026-04-06"), tm=10.0, amp=6.0, phase=22)


def make_weather(seed, scenario, cal):
    rng = _rng(seed, 2)
    za = rng.standard_normal(N_DAYS)
    zw = rng.standard_normal(N_DAYS)
    up = rng.random(N_DAYS)
    snow_sev = rng.uniform(0.03, 0.07, N_DAYS)
    zcamp = rng.standard_normal(N_DAYS)
    log_start = cal["block_start"] - pd.Timedelta(days=PRE_DAYS)
    dates = [log_start + pd.Timedelta(days=d) for d in range(N_DAYS)]
    doy = np.array([t.day_of_year for t in dates], float)
    seas = cal["tm"] - cal["amp"] * np.cos(2 * np.pi * (doy - cal["phase"]) / 365.25)
    anom = np.zeros(N_DAYS)
    lat = np.zeros(N_DAYS)
    phi, phw = 0.8, 0.6
    for d in range(N_DAYS):
        prev = anom[d - 1] if d else 0.0
        anom[d] = phi * prev + 2.5 * math.sqrt(1 - phi**2) * za[d]
        lat[d] = phw * (lat[d - 1] if d else 0.0) + math.sqrt(1 - phw**2) * zw[d]
    tmean = seas + anom
    b = np.arange(N_DAYS) - PRE_DAYS
    wind_mean = np.full(N_DAYS, 4.5)
    if scenario == "spring_gales":
        wind_mean = 4.0 + 3.5 * np.clip(b / 56.0, 0, 1)
    wind = np.array(
        [
            wind_mean[d] / 0.886 * math.sqrt(-math.log(max(1e-9, 1 - _phi(lat[d]))))
            for d in range(N_DAYS)
        ]
    )
    precip = (up < 0.35) | (anom > 1.5) & (up < 0.6)
    snow = np.zeros(N_DAYS, bool)
    if scenario == "winter_block":
        cover, warm_days = False, 0
        for d in range(N_DAYS):
            if precip[d] and tmean[d] < 0.5:
                cover, warm_days = True, 0
            elif tmean[d] > 2.0:
                warm_days += 1
                if warm_days >= 2:
                    cover = False
            else:
                warm_days = 0
            snow[d] = cover
    camp_t = 20.0 + 1.5 * zcamp
    return dict(
        dates=dates,
        tmean=tmean,
        wind=wind,
        snow=snow,
        snow_sev=snow_sev,
        camp_t=camp_t,
        log_start=log_start,
    )


def air_temp(w, d, hour, camp=False):
    if camp:
        return w["camp_t"][d] + 5.0 * math.cos(2 * math.pi * (hour - 15) / 24)
    return w["tmean"][d] + 3.5 * math.cos(2 * math.pi * (hour - 15) / 24)


# --------------------------------------------------------------------------------------
# runners
# --------------------------------------------------------------------------------------
def make_runners(seed, scenario):
    rng = _rng(seed, 1)
    groups = np.array(["strength"] * 8 + ["control"] * 8)
    rng.shuffle(groups)
    rs = []
    for i in range(N_RUNNERS):
        u = rng.random(40)
        z = rng.standard_normal(40)
        r = dict(idx=i, runner_id=f"E{i + 1:02d}", group=str(groups[i]))
        r["sex"] = "F" if u[0] < 0.5 else "M"
        r["u_age"] = u[1]
        r["height"] = (166 if r["sex"] == "F" else 178) + 6 * z[0]
        r["mass0"] = float(
            np.clip((58 if r["sex"] == "F" else 70) + (5 if r["sex"] == "F" else 6) * z[1], 45, 95)
        )
        r["vo2_z"] = z[2]
        r["hrmax_dev"] = 6.5 * z[3]
        r["hrrest_z"] = z[4]
        r["hr_a"] = 0.03 + 0.03 * z[5]
        r["hr_g"] = float(np.clip(0.93 + 0.07 * z[6], 0.75, 1.1))
        r["C"] = 205 + 13 * z[7]
        r["q"] = 0.1 + 0.4 * u[2]
        r["v_opt"] = 12.5 + 1.0 * z[8]
        r["a_air"] = 0.024 * (1 + 0.1 * z[9])
        r["k_up"] = 1.0 + 0.3 * u[3]
        r["k_dn"] = 0.35 + 0.25 * u[4]
        r["trail_cost"] = 0.03 + 0.04 * u[5]
        r["exposure"] = 0.25 + 0.35 * u[6]
        r["heat_k0"] = 1.1 + 0.9 * u[7]
        r["drift0"] = 0.4 + 0.6 * u[8]
        r["ar_sd"] = 1.3 + 1.3 * u[9]
        r["tod_amp"] = 1.0 + 2.0 * u[10]
        r["tod_peak"] = 15 + 4 * u[11]
        r["hab_hour"] = [6.5, 7.0, 12.25, 17.5, 18.0, 19.25][int(u[12] * 6)]
        r["n_runs"] = 4 + int(u[13] * 3)
        r["minutes"] = 170 + 170 * u[14]
        r["lam"] = u[15]
        r["deload"] = u[16] < 0.5
        dev = DEVICES[int(u[17] * len(DEVICES))]
        r["device"], r["optical"] = dev
        r["responder"] = u[18] < 0.8
        r["E"] = -math.exp(math.log(4.6) + 0.33 * z[10]) if r["responder"] else 0.5 * z[11]
        r["E"] = float(np.clip(r["E"], -10, 1.5))
        r["w_neural"] = 0.2 + 0.25 * u[19]
        r["s_delay"] = 6 + 4 * u[20]
        r["s_tau"] = 8 + 6 * u[21]
        r["program"] = ["heavy", "plyometric", "mixed"][int(u[22] * 3)]
        r["adherence"] = 0.75 + 0.22 * u[23]
        r["doms"] = 1.0 + 1.5 * u[24]
        r["trend"] = 0.03 * u[25]
        r["u_hrmax"] = u[26]
        r["u_hrrest"] = u[27]
        r["u_vo2rec"] = u[28]
        r["hrmax_field_short"] = 4 * u[29]
        r["hrrest_watch"] = -4 * u[30] + 2 * z[12]
        r["vo2_lab_err"] = 0.03 * z[13]
        r["vo2_watch_err"] = 1.5 + 2.5 * z[14]
        r["mass_err"] = 1.0 * z[15]
        r["est_user"] = u[31] < 0.6
        r["holiday"] = u[32] < 0.25
        r["holiday_start"] = 10 + int(100 * u[33])
        r["holiday_len"] = 5 + int(4 * u[34])
        r["parkrun"] = u[35] < 0.5
        r["treadmill"] = u[36] < 0.4
        r["trail_aff"] = u[37]
        r["acc_tau"] = 14 + 10 * u[38]
        r["pv_bpm"] = 3 + 3 * u[39]
        r["cad0"] = 5 * z[16]
        r["det_tau"] = 35 + 28 * _phi(z[17])
        # menstrual cycle (used in `cycle` only)
        r["oc"] = _phi(z[18]) < 0.3
        r["cyc_len"] = 25 + 8 * _phi(z[19])
        r["cyc_amp"] = 2 + 3 * _phi(z[20])
        r["cyc_phase"] = r["cyc_len"] * _phi(z[21])
        r["cyc_jit"] = [2.0 * float(x) for x in z[22:30]]
        r["luteal"] = 13 + float(np.clip(z[30], -1, 1))
        r["est_bias"] = 1.0 * z[31]
        r["road_m"] = 3 + 9 * _phi(z[32])
        r["xmas_gain"] = 0.3 + 0.9 * _phi(z[33])
        rs.append(r)
    # scenario-specific assignments from their own stream (same per seed)
    srng = _rng(seed, 3)
    S = [r for r in rs if r["group"] == "strength"]
    Cc = [r for r in rs if r["group"] == "control"]
    for r in rs:
        r["affected"] = False
    if scenario == "masters_controls":
        for r in rs:
            if r["group"] == "strength":
                r["age"] = 20 + 13 * r["u_age"]
            else:
                r["age"] = 46 + 16 * r["u_age"]
    else:
        for r in rs:
            r["age"] = 22 + 26 * r["u_age"]
    pick_s = srng.permutation(8)
    pick_c = srng.permutation(8)
    if scenario == "warm_camp":
        for j in pick_s[:5]:
            S[j]["affected"] = True
        for j in pick_c[:2]:
            Cc[j]["affected"] = True
    elif scenario == "pace_shift":
        for j in pick_s[:6]:
            S[j]["affected"] = True
            S[j]["pace_up"] = 0.04 + 0.04 * srng.random()
    elif scenario == "watch_swap":
        for r in [S[j] for j in pick_s[:3]] + [Cc[j] for j in pick_c[:2]]:
            r["affected"] = True
            r["swap_day"] = int(srng.integers(21, 36))
            r["swap_off"] = 1.0 + 1.5 * srng.standard_normal()
            r["gain_x"] = srng.uniform(1.15, 1.4)
            r["phantom"] = srng.uniform(3, 7)
    elif scenario == "blood_donation":
        for r in [S[j] for j in pick_s[:2]] + [Cc[j] for j in pick_c[:2]]:
            r["affected"] = True
            r["don_day"] = int(srng.integers(14, 71))
            r["don_drop"] = srng.uniform(0.06, 0.09)
            r["don_tau"] = srng.uniform(18, 28)
    elif scenario == "cycle":
        for r in rs:
            r["affected"] = r["sex"] == "F" and not r["oc"]
    elif scenario == "two_controls":
        convert = [Cc[j] for j in sorted(pick_c[2:4])]
        for r in convert:
            r["group"] = "strength"
        drop = {id(Cc[j]) for j in pick_c[4:]}
        rs = [r for r in rs if id(r) not in drop]
    elif scenario == "masters_controls":
        for r in Cc:
            r["affected"] = True
    # derived
    for r in rs:
        age = r["age"]
        r["birth_year"] = 2026 - int(round(age))
        vo2 = (51 if r["sex"] == "F" else 58) + 5 * r["vo2_z"] - 0.4 * max(0.0, age - 35)
        r["vo2max0"] = float(np.clip(vo2, 40, 72))
        r["vo2abs0"] = r["vo2max0"] * r["mass0"]
        r["hrmax"] = 211 - 0.64 * age + r["hrmax_dev"]
        r["hrrest0"] = float(np.clip(50 - 0.3 * (r["vo2max0"] - 55) + 4 * r["hrrest_z"], 36, 66))
        agef = 1 + 0.025 * max(0.0, age - 35)
        r["heat_k"] = r["heat_k0"] * agef
        r["drift"] = r["drift0"] * agef
        r["bsa"] = 0.007184 * r["mass0"] ** 0.425 * r["height"] ** 0.725
    return rs


# --------------------------------------------------------------------------------------
# economy and heart rate
# --------------------------------------------------------------------------------------
def effect_fraction(r, s):
    w = r["w_neural"]

    def f(x):
        st = 1 - math.exp(-max(0.0, x - r["s_delay"]) / r["s_tau"])
        return w * (1 - math.exp(-x / 5.0)) + (1 - w) * st

    return f(s) / f(PLANNED_SESSIONS)


def flat_cost(r, v, f_wind=0.0, air=True):
    """ml/kg/km on the flat at v km/h for the intrinsic cost C_i (before the strength effect)."""
    a = r["a_air"]
    air_t = a * (v / 12) ** 2 * (1 + f_wind) if air else 0.0
    return (
        r["C"]
        * (1 + r["q"] * math.log(v / r["v_opt"]) ** 2)
        * (1 + air_t)
        / (1 + a * (r["v_opt"] / 12) ** 2)
    )


def speed_for(r, x):
    """Habitual flat speed at a share x of the uptake reserve (baseline fitness, still air)."""
    target = 3.5 + x * (r["vo2max0"] - 3.5)
    v = 12.0
    for _ in range(30):
        v = 0.5 * v + 0.5 * target * 60 / flat_cost(r, v)
    return v


def hr_from_vo2(r, vo2, vo2max, hrrest):
    x = min(max((vo2 - 3.5) / (vo2max - 3.5), 0.03), 1.05)
    frac = r["hr_a"] + (1 - r["hr_a"]) * x ** r["hr_g"]
    return hrrest + (r["hrmax"] - hrrest) * frac


def wind_factor(w_eff, v_kmh):
    rr = w_eff / (v_kmh / 3.6)
    return (rr + 1.5 * rr * rr) / 2


# --------------------------------------------------------------------------------------
# one squad
# --------------------------------------------------------------------------------------
def week_plan(r, wk_in_block):
    n = r["n_runs"]
    rot = ["interval", "tempo", "threshold"][wk_in_block % 3]
    plan = {1: rot, 6: "long"}
    if n == 4:
        plan.update({3: "easy", 5: "easy"})
    elif n == 5:
        plan.update({2: "easy", 3: "easy", 5: "easy"})
    else:
        plan.update({0: "recovery", 2: "easy", 3: "tempo" if rot != "tempo" else "easy", 5: "easy"})
    return plan  # weekday (Mon=0) -> type


def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}")
    cal = calendar(scenario)
    w = make_weather(seed, scenario, cal)
    rs = make_runners(seed, scenario)
    nrng = _rng(seed, 4)
    Z = nrng.standard_normal((N_RUNNERS, N_DAYS, 16))
    U = nrng.random((N_RUNNERS, N_DAYS, 16))
    block_start = cal["block_start"]
    block_end = block_start + pd.Timedelta(days=BLOCK_DAYS - 1)
    os.makedirs(out, exist_ok=True)
    runs_rows, gym_rows, blocks, truth, runners_rows = [], [], [], [], []
    xmas = None
    if scenario == "winter_block":
        xmas = (
            (pd.Timestamp("2025-12-22") - w["log_start"]).days,
            (pd.Timestamp("2026-01-01") - w["log_start"]).days,
        )
    for r in rs:
        i = r["idx"]
        z, u = Z[i], U[i]
        is_s = r["group"] == "strength"
        vhab = {t: speed_for(r, x) for t, x in X_TYPE.items()}
        # --- strength sessions
        sess_days = []
        stop_b = 49 if scenario == "fade" else BLOCK_DAYS
        if is_s:
            for b in range(BLOCK_DAYS):
                d = PRE_DAYS + b
                if b % 7 not in (0, 3) or b >= stop_b:
                    continue
                if r["holiday"] and r["holiday_start"] <= d < r["holiday_start"] + r["holiday_len"]:
                    continue
                p = r["adherence"]
                if xmas and xmas[0] <= d <= xmas[1]:
                    p *= 0.5
                if u[d, 1] < p:
                    sess_days.append(d)
        sess_arr = np.array(sess_days, int)
        # --- state
        ar = 0.0
        acc = 0.0
        diag = []
        nsess_before = 0
        for d in range(N_DAYS):
            b = d - PRE_DAYS
            date = w["dates"][d]
            ar = 0.65 * ar + r["ar_sd"] * math.sqrt(1 - 0.65**2) * z[d, 0]
            acc *= math.exp(-1.0 / r["acc_tau"])
            camp = scenario == "warm_camp" and r["affected"] and 24 <= b <= 33
            if camp:
                acc += 0.05 * (1 - acc)
            # mass of the day
            mass = r["mass0"]
            if xmas:
                gain = r["xmas_gain"]
                d0, d1 = xmas[0] - 2, xmas[1] + 1
                if d >= d0:
                    mass += gain * min(1.0, (d - d0) / (d1 - d0))
                if d > d1:
                    mass -= 0.5 * gain * min(1.0, (d - d1) / (N_DAYS - 1 - d1))
            # fitness of the day
            share = d / (N_DAYS - 1)
            vo2abs = r["vo2abs0"] * (1 + r["trend"] * share) * (1 + 0.03 * acc)
            hr_add_state = 0.0
            if "don_day" in r and b >= r["don_day"]:
                t = b - r["don_day"]
                vo2abs *= 1 - r["don_drop"] * math.exp(-t / r["don_tau"])
                if t < 2:
                    hr_add_state += 3.0
            vo2max = vo2abs / mass
            hrrest = r["hrrest0"] - 1.5 * (r["trend"] / 0.03) * share
            # sessions done before today (session at 18:30)
            nsess_before = int((sess_arr < d).sum())
            # does the runner run today?
            wk = b // 7 if b >= 0 else (b // 7)
            wk_b = max(0, wk)
            plan = week_plan(r, wk_b if b >= 0 else (wk % 3))
            wd = date.weekday()
            rtype = plan.get(wd)
            if camp and rtype is None and wd in (0, 4):
                rtype = "easy"
            race = r["parkrun"] and wd == 5 and (wk == -3 or wk == 7)
            if race:
                rtype = "race"
            if rtype is None:
                continue
            if u[d, 0] < 0.05 and not race:
                continue
            if r["holiday"] and r["holiday_start"] <= d < r["holiday_start"] + r["holiday_len"]:
                continue
            if "don_day" in r and b == r["don_day"]:
                continue
            # week minutes
            wmin = r["minutes"] * (1 + 0.08 * max(0.0, b) / BLOCK_DAYS)
            if r["deload"] and wk % 4 == 3:
                wmin *= 0.75
            if camp:
                wmin *= 1.25
            easy_n = max(1, r["n_runs"] - 2)
            if rtype == "long":
                dur = min(150, max(55, (0.24 + 0.06 * r["u_age"]) * wmin))
            elif rtype in ("interval", "tempo", "threshold"):
                dur = 50.0
            elif rtype == "race":
                dur = None
            elif rtype == "recovery":
                dur = 30.0
            else:
                dur = max(30, (wmin - 0.27 * wmin - 50) / easy_n)
            if dur is not None:
                dur *= 1 + 0.12 * z[d, 2]
                if xmas and xmas[0] <= d <= xmas[1]:
                    dur *= 0.7
                dur = max(20.0, dur)
            hour = 9.0 if wd >= 5 else r["hab_hour"]
            if camp:
                hour = 9.0
            hour += 0.25 * z[d, 13]
            t_air = air_temp(w, d, hour, camp) + 0.35 * z[d, 14]
            # surface and environment
            steady = rtype in ("easy", "long", "recovery")
            p_trail = 0.10
            if scenario == "trail_season" and b >= 0:
                p_i = 0.2 + 0.5 * r["trail_aff"]
                p_trail = 0.10 + (p_i - 0.10) * min(1.0, max(0.0, (b - 7) / 28))
            trail = steady and u[d, 2] < p_trail and not camp
            snowy = bool(w["snow"][d]) and not camp
            tread = snowy and r["treadmill"] and u[d, 8] < 0.6
            if tread:
                trail = False
            wind10 = 0.0 if (tread or camp) else w["wind"][d]
            w_eff = r["exposure"] * wind10 * (0.6 if trail else 1.0)
            load = min(1.2, max(0.3, 0.3 + 0.045 * (12 - t_air)))
            if tread:
                load = 0.3
            env = (1 + (load - 0.3) / mass) * (1 + (r["trail_cost"] if trail else 0.0))
            if snowy and not tread:
                env *= 1 + w["snow_sev"][d]
            # hills
            if tread:
                grade_m = 0.0
            elif camp:
                grade_m = 18.0 * math.exp(0.3 * z[d, 8])
            elif trail:
                grade_m = (12 + 13 * r["trail_aff"]) * math.exp(0.3 * z[d, 8])
            else:
                grade_m = r["road_m"] * math.exp(0.4 * z[d, 8])
            # strength effect and acute fatigue
            intr = 1.0
            if is_s and nsess_before > 0:
                if scenario == "fade" and b >= stop_b and sess_days:
                    last = max(sess_days)
                    ef = effect_fraction(r, nsess_before) * math.exp(-(d - last) / r["det_tau"])
                else:
                    ef = effect_fraction(r, nsess_before)
                intr = 1 + r["E"] / 100 * ef
            doms = 0.0
            if is_s:
                prior = sess_arr[sess_arr <= d]
                if len(prior):
                    ls = int(prior[-1])
                    k = d - ls
                    if k == 0 and hour < 18.5:
                        prior = prior[:-1]
                        ls = int(prior[-1]) if len(prior) else None
                        k = d - ls if ls is not None else 99
                    prof = {0: 0.3, 1: 1.0, 2: 0.7, 3: 0.25}.get(k, 0.0)
                    n_at = int((sess_arr < (ls if ls is not None else 0)).sum())
                    doms = r["doms"] * prof * (0.35 + 0.65 * math.exp(-n_at / 3.0))
            acute = 1 + doms / 100
            # speeds
            v0 = vhab[rtype] * (1 + 0.03 * z[d, 1])
            lam = r["lam"]
            if scenario == "pace_shift" and r["affected"] and b >= 14 and steady:
                v0 *= 1 + r["pace_up"]
                lam = 0.0
            hill_cost_hab = (r["k_up"] - r["k_dn"]) * r["road_m"]
            c_hab = flat_cost(r, v0) + hill_cost_hab
            fw = wind_factor(w_eff, v0) if w_eff > 0 else 0.0
            kdn = 0.3 if trail else r["k_dn"]
            c_now = (
                flat_cost(r, v0, fw, air=not tread) * env * intr**0.5
                + r["k_up"] * grade_m
                - kdn * grade_m
            )
            v = v0 * (c_hab / c_now) ** lam
            if rtype != "race":
                v *= 1 - 0.004 * lam * max(0.0, t_air - 15)
            # segments: (minutes, speed, kind)
            vez = vhab["easy"] * (1 + 0.03 * z[d, 1]) * (v / v0)
            if rtype == "race":
                segs = [(5.0 / v * 60, v, "steady")]
            elif rtype == "interval":
                vj = vhab["recovery"] * 0.9
                segs = [(15, vez, "steady")]
                for _ in range(6):
                    segs += [(3, v, "rep"), (2, vj, "jog")]
                segs += [(10, vez, "steady")]
            elif rtype == "threshold":
                vj = vhab["recovery"] * 0.9
                segs = [(15, vez, "steady")]
                for k3 in range(3):
                    segs += [(10, v, "rep")] + ([(2, vj, "jog")] if k3 < 2 else [])
                segs += [(10, vez, "steady")]
            elif rtype == "tempo":
                segs = [(15, vez, "steady"), (25, v, "steady"), (10, vez, "steady")]
            else:
                segs = [(dur, v, "steady")]
            tot_min = sum(s[0] for s in segs)
            dist = sum(s[0] * s[1] / 60 for s in segs)
            gain = grade_m * dist
            # per-segment uptake and heart rate
            econ_noise = math.exp(0.013 * z[d, 3])
            hr_seg, vo2_seg = [], []
            for mins, vs, kind in segs:
                fws = wind_factor(w_eff, vs) if w_eff > 0 else 0.0
                c = flat_cost(r, vs, fws, air=not tread) * env * intr * acute * econ_noise
                vo2 = c * vs / 60 + (r["k_up"] - kdn) * grade_m * vs / 60
                vo2 = max(vo2, 8.0)
                vo2_seg.append(vo2)
                h = hr_from_vo2(r, vo2, vo2max, hrrest)
                if kind == "rep":
                    h -= 6 if mins <= 5 else 2
                elif kind == "jog":
                    h += 14
                hr_seg.append(h)
            vo2_mean = sum(m * q for (m, _, _), q in zip(segs, vo2_seg, strict=True)) / tot_min
            hr_base = sum(m * h for (m, _, _), h in zip(segs, hr_seg, strict=True)) / tot_min
            # heat balance
            v_ms = dist / tot_min * 60 / 3.6
            v_air = (
                math.sqrt(v_ms**2 + (0.0 if tread else (0.6 * w_eff) ** 2))
                if not tread
                else 0.8 * v_ms
            )
            t_eff = 18.0 if tread else t_air
            heat_w = 0.9 * vo2_mean * mass * 20.1 / 60
            dry = (8.3 * math.sqrt(max(v_air, 0.2)) + 4.7) * (33 - t_eff) * r["bsa"]
            ereq = _softplus(heat_w - dry, 60.0)
            luteal = False
            if scenario == "cycle" and r["affected"]:
                # days since last menses onset with jittered cycle lengths
                tt = d + r["cyc_phase"]
                k_c = 0
                start = 0.0
                while True:
                    ln = r["cyc_len"] + r["cyc_jit"][k_c % len(r["cyc_jit"])]
                    if start + ln > tt:
                        break
                    start += ln
                    k_c += 1
                luteal = tt - start >= ln - r["luteal"]
            heat_hr = r["heat_k"] * ereq / 100 * (1 - 0.45 * acc) * (1.3 if luteal else 1.0)
            drift = r["drift"] * (1 + ereq / 500) / 10 * max(0.0, tot_min - 15) ** 2 / (2 * tot_min)
            kin = -(hr_base - hrrest - 20) * 0.75 / tot_min
            tod = r["tod_amp"] * math.cos(2 * math.pi * (hour - r["tod_peak"]) / 24)
            cyc_hr = r["cyc_amp"] if luteal else 0.0
            pv = -r["pv_bpm"] * acc
            hr_true = hr_base + heat_hr + drift + kin + tod + ar + cyc_hr + pv + hr_add_state
            device, optical = r["device"], r["optical"]
            swapped = "swap_day" in r and b >= r["swap_day"]
            if swapped:
                device, optical = "Forerunner 55", True
                hr_true += r["swap_off"]
            hr_meas = hr_true + 1.3 * z[d, 4] + (2.2 * z[d, 5] if optical else 0.0)
            cad = 150 + 2.2 * (dist / tot_min * 60) + r["cad0"] + 1.5 * z[d, 10]
            p_lock = min(0.12, 0.015 + 0.01 * max(0.0, 5 - t_air)) if optical and not tread else 0
            if optical and u[d, 6] < p_lock:
                f_l = 0.3 + 0.6 * u[d, 11]
                hr_meas = (1 - f_l) * hr_meas + f_l * cad
            hr_meas = min(hr_meas, r["hrmax"] + 2)
            hr_max = (
                max(hr_seg) + heat_hr + drift * 1.8 + tod + ar + cyc_hr + pv + 6 + 2 * abs(z[d, 11])
            )
            hr_max = min(max(hr_max, hr_meas + 3), r["hrmax"] + 3)
            # acclimatisation from this run
            acc += (1 - acc) * 0.10 * min(1.0, ereq / 300.0)
            # recording
            dist_log = dist * (1 + 0.008 * z[d, 7]) * (0.985 if trail else 1.0)
            if tread:
                g_log = l_log = 0.0
            elif swapped:
                g_log = gain * r["gain_x"] + r["phantom"] * dist * abs(1 + 0.3 * z[d, 9])
                l_log = gain * r["gain_x"] + r["phantom"] * dist * abs(1 + 0.3 * z[d, 12])
            else:
                g_log = max(0.0, gain * (1 + 0.06 * z[d, 9]) + 3 * z[d, 12])
                l_log = max(0.0, gain * (1 + 0.06 * z[d, 12]) + 3 * z[d, 9])
            temp_log = None if (tread or u[d, 4] < 0.04) else round(t_air + 0.6 * z[d, 6], 1)
            if camp:
                temp_log = round(t_air + 0.6 * z[d, 6], 1)
            hh = int(hour)
            mm = int((hour - hh) * 60)
            ts = date + pd.Timedelta(hours=hh, minutes=mm)
            rpe_map = dict(easy=3, long=4, recovery=2, tempo=6, threshold=7, interval=8, race=9)
            row = dict(
                runner_id=r["runner_id"],
                date=ts.strftime("%Y-%m-%dT%H:%M:%S"),
                distance_km=round(dist_log, 2),
                duration_s=int(round(tot_min * 60)),
                avg_hr_bpm=None if u[d, 5] < 0.02 else int(round(hr_meas)),
                max_hr_bpm=None if u[d, 5] < 0.02 else int(round(hr_max)),
                elev_gain_m=int(round(g_log)),
                elev_loss_m=int(round(l_log)),
                temp_c=temp_log,
                run_type="" if u[d, 7] < 0.04 else rtype,
                vo2max_est_ml_kg_min=None,
                cadence_spm=int(round(cad)),
                rpe=(
                    int(np.clip(rpe_map[rtype] + round(0.8 * z[d, 11]), 1, 10))
                    if u[d, 3] < 0.5
                    else None
                ),
                device=device,
            )
            if r["est_user"] and u[d, 9] < 0.8:
                est = r["vo2max0"] * (1 + r["trend"] * share) * (1 / intr) ** 0.8
                row["vo2max_est_ml_kg_min"] = int(round(est + r["est_bias"] + 0.6 * z[d, 10]))
            runs_rows.append(row)
            if steady and not tread:
                diag.append(
                    dict(
                        b=b,
                        env=100
                        * (
                            env
                            * (1 + r["a_air"] * (v / 12) ** 2 * (1 + fw))
                            / (1 + r["a_air"] * (v / 12) ** 2)
                            - 1
                        ),
                        hr=heat_hr + cyc_hr + pv + hr_add_state + (r["swap_off"] if swapped else 0),
                        x_shift=(vo2max - r["vo2max0"]) / r["vo2max0"] * 100,
                        v=v,
                    )
                )
        # --- strength log
        for d in sess_days:
            ts = w["dates"][d] + pd.Timedelta(hours=18, minutes=30)
            prog = PROGRAMS[r["program"]]
            prog_w = 1 + 0.01 * ((d - PRE_DAYS) // 7)
            for name, sets, reps, lf, hold in prog:
                load = lf * r["mass0"] * prog_w
                load = round(load / 2.5) * 2.5 if load > 0 else 0.0
                gym_rows.append(
                    dict(
                        runner_id=r["runner_id"],
                        date=ts.strftime("%Y-%m-%dT%H:%M:%S"),
                        exercise=name,
                        sets=sets,
                        reps=reps,
                        load_kg=load if load > 0 else None,
                        duration_s=hold,
                        rpe=int(6 + round(2 * u[d, 10])),
                    )
                )
        if is_s:
            blocks.append(
                dict(
                    runner_id=r["runner_id"],
                    block_start=block_start.strftime("%Y-%m-%d"),
                    block_end=block_end.strftime("%Y-%m-%d"),
                    label="spring strength block"
                    if scenario != "winter_block"
                    else "winter strength block",
                )
            )
        # --- truth
        if is_s:
            s_end = len(sess_days)
            ef = effect_fraction(r, s_end) if s_end else 0.0
            if scenario == "fade" and sess_days:
                ef *= math.exp(-(N_DAYS - 1 - max(sess_days)) / r["det_tau"])
            true = r["E"] * ef
        else:
            true = 0.0
        dg = pd.DataFrame(diag)
        if len(dg):
            base = dg[(dg.b >= -42) & (dg.b < 0)]
            end = dg[dg.b >= BLOCK_DAYS - 21]
            env_c = end.env.mean() - base.env.mean()
            hr_c = end.hr.mean() - base.hr.mean()
            x_c = end.x_shift.mean() - base.x_shift.mean()
            sp_c = 100 * (end.v.mean() / base.v.mean() - 1)
        else:
            env_c = hr_c = x_c = sp_c = np.nan
        truth.append(
            dict(
                runner_id=r["runner_id"],
                group=r["group"],
                true_change_pct=round(true, 4),
                affected=bool(r["affected"]),
                responder=bool(r["responder"]) if is_s else None,
                full_dose_pct=round(r["E"], 3) if is_s else None,
                sessions_done=len(sess_days),
                sex=r["sex"],
                age=round(r["age"], 1),
                env_cost_change_pct=round(env_c, 3),
                hr_offset_change_bpm=round(hr_c, 3),
                vo2max_change_pct=round(x_c, 3),
                steady_speed_change_pct=round(sp_c, 3),
            )
        )
        # --- runners.csv as recorded
        uh = r["u_hrmax"]
        if scenario == "masters_controls" and r["group"] == "control":
            kind = "field" if uh < 0.25 else ("formula" if uh < 0.85 else "empty")
        else:
            kind = "field" if uh < 0.5 else ("formula" if uh < 0.8 else "empty")
        hrmax_rec = {
            "field": int(round(r["hrmax"] - r["hrmax_field_short"])),
            "formula": int(220 - round(r["age"])),
            "empty": None,
        }[kind]
        hrrest_rec = None if r["u_hrrest"] < 0.15 else int(round(r["hrrest0"] + r["hrrest_watch"]))
        uv = r["u_vo2rec"]
        if uv < 0.35:
            vo2_rec = round(r["vo2max0"] * (1 + r["vo2_lab_err"]), 1)
        elif uv < 0.8:
            vo2_rec = round(r["vo2max0"] + r["vo2_watch_err"], 0)
        else:
            vo2_rec = None
        runners_rows.append(
            dict(
                runner_id=r["runner_id"],
                name=f"Runner {r['runner_id']}",
                sex=r["sex"],
                birth_year=r["birth_year"],
                body_mass_kg=round(r["mass0"] + r["mass_err"], 1),
                hr_rest_bpm=hrrest_rec,
                hr_max_bpm=hrmax_rec,
                vo2max_ml_kg_min=vo2_rec,
                group=r["group"],
            )
        )
    runs_df = pd.DataFrame(runs_rows)
    for c in ("avg_hr_bpm", "max_hr_bpm", "vo2max_est_ml_kg_min", "rpe"):
        runs_df[c] = runs_df[c].astype("Int64")
    pd.DataFrame(runners_rows).astype({"hr_rest_bpm": "Int64", "hr_max_bpm": "Int64"}).to_csv(
        os.path.join(out, "runners.csv"), index=False
    )
    runs_df.to_csv(os.path.join(out, "runs.csv"), index=False)
    gdf = pd.DataFrame(gym_rows)
    for c in ("reps", "duration_s"):
        gdf[c] = gdf[c].astype("Int64")
    gdf.to_csv(os.path.join(out, "strength.csv"), index=False)
    pd.DataFrame(blocks).to_csv(os.path.join(out, "blocks.csv"), index=False)
    pd.DataFrame(truth).to_csv(os.path.join(out, "truth.csv"), index=False)
    return out


# --------------------------------------------------------------------------------------
# run: generate, validate, analyze, summarise (shape of training_load_scenarios.py)
# --------------------------------------------------------------------------------------
def _summ(df, col, ci=True):
    err = df[col] - df["true_change_pct"]
    res = dict(n=int(err.notna().sum()))
    if res["n"] == 0:
        return res
    res["bias"] = err.mean()
    sq = df.assign(err=err).groupby("seed")["err"].mean().dropna()
    res["se"] = sq.std(ddof=1) / np.sqrt(len(sq)) if len(sq) > 1 else np.nan
    res["mae"] = err.abs().mean()
    if ci:
        d = df[df[col].notna()]
        t = d["true_change_pct"]
        res["cov"] = ((d["ci_low_pct"] <= t) & (t <= d["ci_high_pct"])).mean()
        res["width"] = (d["ci_high_pct"] - d["ci_low_pct"]).mean()
        res["impr"] = int((d["verdict"] == "improved").sum())
        res["wors"] = int((d["verdict"] == "worsened").sum())
        det = d[(d["group"] == "strength") & (t <= -3)]
        res["det"] = (det["verdict"] == "improved").mean() if len(det) else np.nan
    return res


def _f(x, p=2):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return f"{x:.{p}f}"


def table_lines(per):
    lines = [
        "| scenario | group | n | answered | truth mean | bias pp | SE | MAE | cover | CI width "
        "| improved | worsened | det | raw bias | raw SE | env cost pp | HR offset bpm |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        subsets = [(g, d0[d0["group"] == g]) for g in ("strength", "control")]
        for g in ("strength", "control"):
            dg = d0[d0["group"] == g]
            aff = dg["affected"].astype(str).str.lower() == "true"
            if aff.any() and not aff.all():
                subsets.append((f"{g}, affected", dg[aff]))
                subsets.append((f"{g}, unaffected", dg[~aff]))
        for name, d in subsets:
            if len(d) == 0:
                continue
            s = _summ(d, "o2_cost_change_pct")
            rw = _summ(d, "raw_change_pct", ci=False) if "raw_change_pct" in d else {}
            answered = int(
                (
                    d["verdict"].notna() & ~d["verdict"].astype(str).str.startswith("insufficient")
                ).sum()
            )
            lines.append(
                f"| {sc} | {name} | {len(d)} | {answered} | {_f(d['true_change_pct'].mean())} "
                f"| {_f(s.get('bias'))} | {_f(s.get('se'))} "
                f"| {_f(s.get('mae'))} | {_f(s.get('cov'))} | {_f(s.get('width'))} "
                f"| {s.get('impr', '')} | {s.get('wors', '')} | {_f(s.get('det'))} "
                f"| {_f(rw.get('bias'))} | {_f(rw.get('se'))} "
                f"| {_f(d['env_cost_change_pct'].mean())} | {_f(d['hr_offset_change_bpm'].mean())} |"
            )
    return lines


def write_report(per, problems, md_path, meta):
    lines = [
        "# runeco on eighth-generator squads (benchmarks/eighth_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`. Errors are o2_cost_change_pct - true_change_pct in "
        "percentage points (pp); SE = SD over squads (seeds) of the squad's mean error / "
        "sqrt(squads). answered = a row whose verdict is not `insufficient data`. cover = share "
        "of runners whose [ci_low_pct, ci_high_pct] holds the truth. det = share of strength "
        "runners with truth <= -3 % called `improved`. raw = raw_change_pct (own change, "
        "before control reference and pooling) against the same truth. env cost = truth.csv's "
        "env_cost_change_pct (change in the non-economy cost of steady outdoor runs: clothing, "
        "surface, snow, wind; block's last 3 weeks vs baseline); HR offset = "
        "hr_offset_change_bpm (heat, acclimatisation, cycle, donation, new sensor).",
        "",
    ]
    lines += table_lines(per)
    lines += ["", "## Crashes and quarantined rows", ""]
    lines += [f"- {p}" for p in problems] or [
        "None: every validate and analyze exited 0, nothing quarantined."
    ]
    lines.append("")
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines))


def run(args):
    scen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in scen:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)}")
    os.makedirs(args.work, exist_ok=True)
    frames, problems = [], []
    t_all = time.time()
    for sc in scen:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            sq = os.path.join(args.work, f"{sc}_s{seed}")
            if os.path.exists(sq):
                shutil.rmtree(sq)
            generate(sc, seed, sq)
            out_csv = os.path.join(args.work, f"{sc}_s{seed}_out.csv")
            qfile = os.path.join(args.work, f"{sc}_s{seed}_quarantine.csv")
            if os.path.exists(qfile):
                os.remove(qfile)
            try:
                vr = subprocess.run(
                    [args.runeco, "validate", sq, "--quarantine", qfile],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                nq = 0
                if os.path.exists(qfile) and os.path.getsize(qfile) > 0:
                    try:
                        nq = len(pd.read_csv(qfile))
                    except pd.errors.EmptyDataError:
                        nq = 0
                if nq > 0:
                    problems.append(f"{sc} seed {seed}: {nq} quarantined rows")
                elif vr.returncode != 0:
                    tail = " / ".join(vr.stdout.strip().splitlines()[-3:])
                    problems.append(f"{sc} seed {seed}: validate exit {vr.returncode}: {tail}")
            except subprocess.TimeoutExpired:
                problems.append(f"{sc} seed {seed}: validate timed out")
            t0 = time.time()
            try:
                pr = subprocess.run(
                    [args.runeco, "analyze", sq, "--out", out_csv, "--quiet"],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                rc, err = pr.returncode, (pr.stderr or "").strip().splitlines()[-3:]
            except subprocess.TimeoutExpired:
                rc, err = "timeout", []
            print(
                f"[{time.time() - t_all:6.0f}s] {sc} seed {seed}: analyze rc={rc} "
                f"in {time.time() - t0:.1f}s",
                flush=True,
            )
            if rc != 0 or not os.path.exists(out_csv):
                problems.append(f"{sc} seed {seed}: analyze exit {rc}: {' / '.join(err)}")
                continue
            res = pd.read_csv(out_csv)
            res = res[res["method"] == "field_hr"].drop(columns=["group"], errors="ignore")
            res = res.drop(columns=["block_start", "block_end"], errors="ignore")
            truth = pd.read_csv(os.path.join(sq, "truth.csv"))
            m = truth.merge(res, on="runner_id", how="left")
            m.insert(0, "seed", seed)
            m.insert(0, "scenario", sc)
            frames.append(m)
            per = pd.concat(frames, ignore_index=True)
            per.to_csv(args.per_runner, index=False)
            write_report(per, problems, args.md, "Partial (still running).")
    per = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    per.to_csv(args.per_runner, index=False)
    elapsed = time.time() - t_all
    meta = (
        f"Squads: {args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1}) "
        f"per scenario, {N_RUNNERS} runners each (12 in two_controls); {len(per)} runner rows; "
        f"runeco: `{args.runeco}`; total run time {elapsed / 60:.1f} min."
    )
    if len(per):
        write_report(per, problems, args.md, meta)
    print(meta)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", aliases=["generate"], help="write one squad")
    g.add_argument("--scenario", required=True, choices=SCENARIOS)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="generate, validate, analyze and summarise")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, default=2)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--scenarios", default=",".join(SCENARIOS))
    r.add_argument("--runeco", default="runeco")
    r.add_argument("--md", required=True)
    r.add_argument("--per-runner", required=True)
    r.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args(argv)
    if a.cmd in ("gen", "generate"):
        generate(a.scenario, a.seed, a.out)
        print(a.out)
    else:
        run(a)


if __name__ == "__main__":
    main()
