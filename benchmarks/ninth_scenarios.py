"""Ninth, heart-centred test-data generator for runeco's per-runner economy answer.

Written blind to runeco's model: the author read only docs/DATA_FORMAT.md, the
CLI's --help, a summary of six earlier generators' physiology (so as to choose
differently) and the command-line ``run`` loop / summary table of
benchmarks/training_load_scenarios.py (copied in shape). Nothing here imports
``analysis``; numpy and pandas only. Deterministic per (scenario, seed); one seed
gives the same runners, schedule and weather in every scenario.

Sources are cited from memory (author, year, gist); they were NOT re-checked
(no internet access while writing). Every other number is the author's choice.

Physiology (per runner unless said)
-----------------------------------
* Squad: 16 runners, 45 % women; ages 19-68 (35 % 19-29, 35 % 30-44, 30 %
  45-68); years of running: 30 % novices (0.5-3 y), 40 % 3-10 y, 30 % 10-35 y.
  VO2max stratified over the squad: 47 + 38 u^1.1 ml/kg/min (u spread evenly
  over the 16 runners), x0.90 for women, -0.2 per year of age over 40, -3 for
  novices, clipped to 40 .. (85 - 0.6 per year over 35) (x0.9 for women).
  Easy intensity 0.60-0.72 of VO2max (slow runners up to 0.76, so that nobody's
  easy pace is slower than 6:36 min/km); easy paces come out about 3:15-6:45
  min/km on rolling routes.
* Oxygen cost (primary, steady, flat) per kg and km: C12 (v/12)^beta, C12 ~
  N(201, 11) - 0.3 (VO2max - 55), clipped 180-235 ml/kg/km, beta ~ N(0.03, 0.05)
  (cost per km nearly flat with speed: Margaria et al. 1963; di Prampero 1986).
  Day-to-day economy noise 1.5 % (Saunders et al. 2004: CV ~1.5-2.5 %).
* VO2 kinetics: primary phase first-order with tau1 = 18 s + 0.5 s per year over
  25 + 10 s for novices (clipped 15-60 s): slower in older and untrained people
  (Babcock et al. 1994; Poole & Jones 2012). Slow component above the first
  ventilatory threshold (VT1 = 0.70 +/- 0.04 of VO2max, +0.02 per training-age
  class, clipped 0.60-0.82): 30 % of the excess demand above VT1 and 80 % of the excess above
  critical power (VT1 + 0.14..0.20 of VO2max), appearing after ~2 min with
  tau 5 min (Gaesser & Poole 1996: slow component in the heavy domain,
  not at moderate intensity). VO2 capped at VO2max.
* Heart rate: NOT a straight %HRR-%VO2R line. x = %VO2 reserve; the fraction of
  HR reserve is a0 + (1 - a0) psi(x), a0 ~ N(0.05, 0.035) (upright exercise vs
  supine morning HRrest), psi piecewise linear with a deflection point x_d ~
  U(0.75, 0.90): 60 % of runners flatten above it (slope ratio 0.5-0.8), 25 %
  linear, 15 % steepen (1.2-1.5) - Conconi et al. 1982; Hofmann et al. 1997
  (regular, linear and inverse HR performance curves). HR on-kinetics first-order
  on the drive, tau_HR = 35 s + 0.8 s per year over 25 (+-8, 25-110 s), from a
  start of HRrest + 20 bpm (walking out of the door).
* Cardiac modulators (multiplying the reserve part, i.e. Q = HR x SV): plasma
  volume expansion lowers HR by 0.45 x dPV (Convertino 1991: PV expansion
  raises stroke volume); haemoglobin changes act through VO2max ~ Hb^0.85
  (Ekblom et al. 1972 blood withdrawal/reinfusion: VO2max follows Hb);
  dehydration raises HR by 2.5 bpm per 1 % of body mass lost during the run
  (Montain & Coyle 1992: ~3 bpm per %), sweat rate (0.25 + 0.6x)(1 + 0.05
  (T - 10)+) L/h scaled by mass/70; pre-run hypohydration N(0.3, 0.4) % on
  morning runs, N(0, 0.3) % otherwise; thermal drift 0.04 bpm/min after 20 min,
  +5 %/degC above 10 degC (Coyle & Gonzalez-Alonso 2001); heat from skin blood
  flow h (T - T_on)+ (0.6 + 0.6x) bpm with h ~ U(0.25, 0.55), T_on ~ U(8, 14)
  degC (intensity interaction is the author's choice). A daily rhythm of
  +-1 bpm peaking at 17 h (Reilly & Brooks 1990); a day-to-day AR(1) state
  (phi 0.6, SD 1.2-2.5 bpm); sensor noise: chest strap 0.7 bpm, wrist optical
  (60 % of runners in the base) 2.5 bpm and a fixed per-runner offset
  N(0, 1.5) bpm (Wang et al. 2017; Gillinov et al. 2017).
* Natural trends by training age (in every scenario, groups random except
  novice_strength): novices VO2max +0.30 %/wk, economy -0.08 %/wk, HRrest
  -0.12 bpm/wk; 3-10 y VO2max +0.08 %/wk; 10+ y 0; over 55 y -0.05 %/wk.
  runners.csv is not updated (a novice's fitter heart is not in the file).
* Hills: route climb per km U(2, 16) m per runner (+-30 % per run), in 3-min
  cycles 35 % of the time up, 35 % down, 30 % flat; cost factor from Minetti et al. (2002)'s polynomial
  for the segment's grade; runners slow 2 % per % grade uphill and speed 1 %
  per % downhill. Logged elevation +-10 %.
* Strength effect (the chronic part of the truth): E ~ N(-3.8, 1.8) %, clipped
  -9..+1 (Balsalobre-Fernandez et al. 2016 and Denadai et al. 2017 meta-
  analyses: roughly -2 to -8 % with heavy/plyometric work over 6-14 weeks;
  spread the author's). Time course in sessions done S: h = 1 - 2^(-(S/S50)^2),
  S50 ~ U(7, 14) sessions (sigmoid: neural first, then tendon), normalised so
  the effect equals E at block_end. 2 or 3 sessions/week (65/35 %), adherence
  U(0.75, 1.0). Acute residual fatigue (Doma, Deakin & Bentley 2017): +a (a ~
  U(0.5, 2.0) %) on cost in the 30 h after a session, 0.4a up to 54 h; x1.6
  in the first two block weeks (repeated-bout effect, McHugh 2003). Not in
  the truth.
* Pacing: half the runners hold a planned pace (+-2 %), half run easy/long/
  recovery runs by heart rate: they correct 80 % of the gap between today's HR
  at the planned pace and their usual HR at it.
* Weather shared by the squad: daily mean 10 - 8 cos(2 pi (doy - 20)/365) degC
  + AR(1) anomaly (phi 0.75, SD 3), daily swing +-4.5 degC peaking 15 h.
  Logged temp_c +-0.8 degC, 5 % missing.
* Race 5 km at 0.95 VO2max, intervals at 0.95-1.05, tempo at 0.80-0.87 (of
  primary demand), none faster than 22.2 km/h (2:42 min/km).
* Schedule: 3-7 runs/week by level (long run Sunday, quality Tuesday rotating
  intervals / tempo / hill repeats, easy, recovery), 5 % skipped, 50 % run a
  parkrun 5 km in baseline week 3 and in the block's second-last week.
  Logged from 7 weeks before block_start; block 8, 10 or 12 weeks (per seed),
  starting a Monday 2 Feb - 30 Mar 2026.
* runners.csv as a coach has it: HRmax measured (true - U(0, 4)) 50 %, age
  formula 208 - 0.7 age 20 %, empty 30 % (true HRmax = formula + N(0, 6),
  Tanaka et al. 2001); HRrest from the watch (true + N(2, 3)) 80 %, empty 20 %;
  VO2max from a lab test (+-3 %) 35 %, the watch's estimate at block start 45 %
  (ACSM running equation 0.2 ml/kg/m + 3.5 over %HRR with the age-formula
  HRmax, smoothed over easy/long runs, alpha 0.15, held to 20-90; those runners' runs carry
  it in vo2max_est_ml_kg_min - far from the truth for uneconomical runners and
  curved HR curves), empty 20 %. Body mass +-0.7 kg.
* Missing cells: avg/max HR 2 %, temp 5 %, elevation 3 %, cadence 10 %, rpe
  50 %, run_type 8 %. GPS distance +-1 %.

Truth (what o2_cost_change_pct claims to measure, DATA_FORMAT "The headline
number"): the oxygen cost on flat ground, VO2 / speed, here the mean VO2 of
minutes 5-45 of a flat run at the runner's planned easy speed (v_ref, including
any slow component and any speed-specific effect), in a rested state (no
residual gym fatigue), per kg of current mass. Own change
``true_own_change_pct`` = cost at block_end / mean cost over the 6 baseline
weeks - 1 (x100): every cause (strength, natural economy trend, drills).
Headline truth ``true_change_pct`` = own change minus the mean own change of
the squad's controls (for a control: of the other controls), since the
headline is referenced to the controls (difference in differences). The raw
change is compared with ``true_own_change_pct``. DATA_FORMAT does not say at
which speed a field change is read; v_ref (the easy pace) is this author's
choice, and ``true_change_tempo_pct`` gives the own change at tempo speed.

Scenarios (each changes one thing from plain; ``affected`` in truth.csv marks
the runners a scenario touches, where not all)
* plain: the base above.
* novice_strength: the 8 runners with the fewest years of running (ties: the
  younger) are the strength group, so the natural trends above (novices:
  VO2max +0.30 %/wk, economy -0.08 %/wk, HRrest -0.12 bpm/wk) sit mostly in
  the strength group. Truth includes the novices' own economy trend.
* fast_gain: the strength effect on cost at speed v is E (v/v_ref)^2.5, E as in
  the base, so the truth at easy pace is the base's but at tempo speed
  (~1.2 v_ref) about 1.6 x (Paavolainen et al. 1999: explosive training helped
  at race pace; the exponent is the author's). true_change_tempo_pct.
* grey_zone: easy intensity 0.73-0.82 of VO2max (long runs 3 % slower): most
  steady runs above VT1, with a slow component (Seiler & Kjerland 2006: many
  recreational runners train in the "threshold" zone).
* short_runs: easy runs 20-32 min, recovery 18-25, long 40-60, tempo and
  interval sessions shortened; HR starts at HRrest + 8 (out of the door).
* strides_laps: 40 % of every runner's easy runs are fartleks (after a
  warm-up of 30 %, 6-10 x 1 min at tempo speed with 1-2 min at 0.9 x easy
  pace), typed easy (half) or left empty; strength runners in the block add
  6 x 20 s strides at 1.3 x easy pace with 1-min walks (5 km/h) to about 2 easy
  runs a week, typed easy.
* strap_to_wrist: 4 runners per group on a chest strap switch to a wrist
  optical sensor on block day 7-42 (optical: +-2.5 bpm noise, per-runner
  offset N(0, 3) bpm, 4 % of runs cadence-locked for 30-100 % of the run);
  for 2 of the 4 the `device` column names it (HRM-Pro Plus -> Forerunner
  265), for the other 2 it is empty (affected = switchers).
* drills_for_all: a squad-wide drill / plyometric warm-up from block start:
  every runner's cost changes by D ~ N(-1.8, 0.8) % (clipped -4..+0.5), ramping
  over 4 weeks (Turner et al. 2003 / Saunders et al. 2006 for plyometrics,
  magnitudes the author's). The own truth includes D; the referenced truth
  only D minus the controls' mean D on top of the strength effect.
* iron_deficiency: 3 runners per group (women 3 x as likely): 2 lose 6-11 % of
  haemoglobin linearly from block day 14 to block_end, 1 (iron supplement
  after a low baseline) gains 4-7 % over block days 0-42. VO2max ~ Hb^0.85.
  Economy itself unchanged; the cost at v_ref moves only via the slow
  component where the runner is above VT1.
* sauna_gym: 6 of 8 strength runners take a sauna after every gym session and
  1 control after 2 runs a week (Scoon et al. 2007: post-exercise sauna, plasma
  volume +7 %, run time to exhaustion +32 %). PV gain PVmax (1 - e^(-n/3)),
  n = sessions in the last 21 days, PVmax ~ U(4, 9) %; the heat effect on HR
  shrinks by 3 x dPV. Economy unchanged.
* responders_uneven: strength effects -8, -7, -5.5, -4, -3, -1, +1, +2 % (+-0.4,
  shuffled; two negative responders, affected = effect > 0); runs a week per
  runner drawn from 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 9 (8-9 =
  doubles); one runner per group logs only from 3 weeks before block_start.
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

N_RUNNERS = 16
DT = 10.0  # s, simulation step
VO2REST = 3.5
VMAX_KMH = 22.2  # fastest race / repetition speed (2:42 min/km, a 13:30 5 km)

SCENARIOS = {
    "plain": "the base: random groups, none of the scenario confounds",
    "novice_strength": "the 8 least experienced runners are the strength group (natural "
    "fitness gains), the controls the veterans",
    "fast_gain": "strength effect grows with speed, (v/v_ref)^2.5; truth at easy pace",
    "grey_zone": "easy and long runs at 70-80 % VO2max: mostly above VT1 (slow component)",
    "short_runs": "runs of 20-32 min (long 40-60), started from the door: HR never settles",
    "strides_laps": "40 % of easy runs are fartleks typed easy/empty; strength runners add "
    "6x20 s strides to 2 easy runs a week in the block",
    "strap_to_wrist": "4 runners per group switch from chest strap to wrist optical in the "
    "block; half of them logged in `device`, half not",
    "drills_for_all": "whole-squad drill/plyometric warm-up from block start: every runner "
    "-1.8 +- 0.8 % economy (truth includes it)",
    "iron_deficiency": "2+2 runners lose 6-11 % haemoglobin in the block, 1+1 gain 4-7 % "
    "with iron; economy unchanged",
    "sauna_gym": "6 strength runners (and 1 control) take a sauna after sessions: plasma "
    "volume +4-9 %; economy unchanged",
    "responders_uneven": "strength effects -8..+2 % (two negative responders), 2-9 runs a "
    "week, one late-logging runner per group",
}

MINETTI = np.array([155.4, -30.4, -43.3, 46.3, 19.5, 3.6])


def minetti_ratio(g):
    """Minetti et al. 2002 cost of running at gradient g (fraction) / cost on the flat."""
    g = np.clip(g, -0.45, 0.45)
    return np.polyval(MINETTI, g) / 3.6


def exp_filter(u, tau, y0):
    """First-order lag of series u (step DT) starting from y0."""
    if tau <= 0:
        return u.copy()
    a = math.exp(-DT / tau)
    n = len(u)
    m = min(n, int(6 * tau / DT) + 2)
    k = (1 - a) * a ** np.arange(m)
    y = np.convolve(u - y0, k)[:n]
    return y0 + y


# --------------------------------------------------------------------------------------
# runners
# --------------------------------------------------------------------------------------
def make_runners(seed):
    rng = np.random.default_rng([seed, 1])
    n = N_RUNNERS
    sex = np.where(rng.random(n) < 0.45, "F", "M")
    cat = rng.choice(3, size=n, p=[0.35, 0.35, 0.30])
    age = np.where(
        cat == 0, rng.integers(19, 30, n), np.where(cat == 1, rng.integers(30, 45, n), 0)
    )
    age = np.where(cat == 2, rng.integers(45, 69, n), age)
    tcat = rng.choice(3, size=n, p=[0.30, 0.40, 0.30])
    yrs = np.where(tcat == 0, rng.uniform(0.5, 3, n), np.where(tcat == 1, rng.uniform(3, 10, n), 0))
    yrs = np.where(tcat == 2, rng.uniform(10, 35, n), yrs)
    yrs = np.minimum(yrs, np.maximum(age - 14, 0.5))
    tcat = np.where(yrs < 3, 0, np.where(yrs < 10, 1, 2))
    u = (rng.permutation(n) + rng.random(n)) / n
    vo2 = 47 + 38 * u**1.1
    vo2 = np.where(sex == "F", vo2 * 0.90, vo2)
    vo2 = vo2 - 0.2 * np.maximum(age - 40, 0) - 3.0 * (tcat == 0)
    vo2 = np.clip(vo2, 40, (85 - 0.6 * np.maximum(age - 35, 0)) * np.where(sex == "F", 0.9, 1.0))
    c12 = np.clip(rng.normal(201, 11, n) - 0.3 * (vo2 - 55), 180, 235)
    beta = rng.normal(0.03, 0.05, n)
    mass = np.where(sex == "F", rng.normal(58, 6, n), rng.normal(72, 8, n))
    mass = np.clip(mass, 45, 100)
    hrmax = np.clip(208 - 0.7 * age + rng.normal(0, 6, n), 158, 212)
    hrrest = np.clip(60 - 0.35 * (vo2 - 50) + rng.normal(0, 5, n), 36, 78)
    a0 = rng.normal(0.05, 0.035, n)
    ctype = rng.choice(3, size=n, p=[0.60, 0.25, 0.15])  # regular, linear, inverse
    xd = rng.uniform(0.75, 0.90, n)
    k2 = np.where(
        ctype == 0, rng.uniform(0.5, 0.8, n), np.where(ctype == 2, rng.uniform(1.2, 1.5, n), 1)
    )
    vt1 = np.clip(rng.normal(0.70, 0.04, n) + 0.02 * tcat, 0.60, 0.82)
    cp = np.minimum(vt1 + rng.uniform(0.14, 0.20, n), 0.94)
    tau1 = np.clip(
        18 + 0.5 * np.maximum(age - 25, 0) + 10 * (tcat == 0) + rng.normal(0, 4, n), 15, 60
    )
    tau_hr = np.clip(35 + 0.8 * np.maximum(age - 25, 0) + rng.normal(0, 8, n), 25, 110)
    heat_h = rng.uniform(0.25, 0.55, n)
    heat_on = rng.uniform(8, 14, n)
    hb = np.where(sex == "F", rng.normal(13.4, 0.8, n), rng.normal(15.0, 0.8, n))
    f_easy_u = rng.random(n)
    f_easy = 0.60 + 0.12 * f_easy_u
    f_tempo = rng.uniform(0.80, 0.87, n)
    f_int = rng.uniform(0.95, 1.05, n)
    pacer = np.where(rng.random(n) < 0.5, "hr", "pace")
    rpw = np.clip(np.round(3 + 3.5 * u + rng.normal(0, 0.8, n)), 3, 7).astype(int)
    hour = rng.choice([6.5, 7.0, 12.5, 17.5, 18.5, 19.5], size=n) + rng.normal(0, 0.4, n)
    hill = rng.uniform(2, 16, n)
    day_sd = rng.uniform(1.2, 2.5, n)
    optical = rng.random(n) < 0.6
    opt_off = rng.normal(0, 1.5, n)
    cad_off = rng.normal(0, 6, n)
    # strength-program traits (used only for strength runners)
    eff = np.clip(rng.normal(-3.8, 1.8, n), -9, 1)
    s50 = rng.uniform(7, 14, n)
    spw = np.where(rng.random(n) < 0.65, 2, 3)
    adher = rng.uniform(0.75, 1.0, n)
    acute = rng.uniform(0.5, 2.0, n)
    program = np.where(rng.random(n) < 0.5, "heavy", "plyo")
    gym_hour = rng.choice([7.0, 12.0, 18.0, 19.5], size=n)
    one_rm = mass * rng.uniform(1.0, 1.7, n)
    # recorded values
    hrmax_src = rng.choice(3, size=n, p=[0.5, 0.2, 0.3])
    hrmax_meas = np.where(
        hrmax_src == 0,
        hrmax - rng.uniform(0, 4, n),
        np.where(hrmax_src == 1, 208 - 0.7 * age, np.nan),
    )
    hrrest_meas = np.where(rng.random(n) < 0.8, hrrest + rng.normal(2, 3, n), np.nan)
    vo2_src = rng.choice(3, size=n, p=[0.35, 0.45, 0.20])  # lab, watch, none
    vo2_lab = vo2 * (1 + rng.normal(0, 0.03, n))
    base_year = 2026
    birth = base_year - age - (rng.random(n) < 0.5)
    group = np.array(["strength"] * 8 + ["control"] * 8)
    group = group[rng.permutation(n)]
    df = pd.DataFrame(
        dict(
            idx=np.arange(n),
            runner_id=[f"R{i + 1:02d}" for i in range(n)],
            sex=sex,
            age=age,
            birth_year=birth,
            yrs=yrs,
            tcat=tcat,
            vo2max=vo2,
            c12=c12,
            beta=beta,
            mass=mass,
            hrmax=hrmax,
            hrrest=hrrest,
            a0=a0,
            ctype=ctype,
            xd=xd,
            k2=k2,
            vt1=vt1,
            cp=cp,
            tau1=tau1,
            tau_hr=tau_hr,
            heat_h=heat_h,
            heat_on=heat_on,
            hb=hb,
            f_easy_u=f_easy_u,
            f_easy=f_easy,
            f_tempo=f_tempo,
            f_int=f_int,
            pacer=pacer,
            rpw=rpw,
            hour=hour,
            hill=hill,
            day_sd=day_sd,
            optical=optical,
            opt_off=opt_off,
            cad_off=cad_off,
            eff=eff,
            s50=s50,
            spw=spw,
            adher=adher,
            acute=acute,
            program=program,
            gym_hour=gym_hour,
            one_rm=one_rm,
            hrmax_meas=hrmax_meas,
            hrrest_meas=hrrest_meas,
            vo2_src=vo2_src,
            vo2_lab=vo2_lab,
            group=group,
        )
    )
    return df


def speed_for(r, frac, vo2max=None):
    """Speed (km/h) at which primary flat demand = frac * VO2max."""
    vo2max = r["vo2max"] if vo2max is None else vo2max
    target = frac * vo2max  # ml/kg/min = C12 (v/12)^b v / 60
    return (target * 60 / r["c12"] * 12 ** r["beta"]) ** (1 / (1 + r["beta"]))


# --------------------------------------------------------------------------------------
# one run's physiology
# --------------------------------------------------------------------------------------
def simulate_run(r, st, prof, temp, hour, pre_dehyd, hr_start_off=20.0):
    """prof: dict(v=speed km/h per step, g=grade per step). st: state of the day.

    Returns (mean VO2 of minutes 5..end, avg HR, max HR, mean speed).
    """
    v = prof["v"]
    g = prof["g"]
    n = len(v)
    vmax = st["vo2max"]
    cost = st["c12"] * (np.maximum(v, 1) / 12) ** r["beta"] * st["cost_mult"]
    if st.get("eff_speed_gamma"):
        # speed-specific strength effect: eff_frac * (v/v_ref)^gamma
        e = st["eff_frac"] * (np.maximum(v, 1) / st["v_ref"]) ** st["eff_speed_gamma"]
        cost = cost * (1 + e)
    demand = cost * v / 60 * minetti_ratio(g)
    demand = np.maximum(demand, 5.0)
    prim = exp_filter(demand, r["tau1"], 8.0)
    ex1 = np.maximum(demand - st["vt1"] * vmax, 0)
    ex2 = np.maximum(demand - st["cp"] * vmax, 0)
    sc_in = 0.3 * ex1 + 0.8 * ex2
    lag = int(120 / DT)
    sc_in = np.concatenate([np.zeros(min(lag, n)), sc_in[: max(n - lag, 0)]])
    sc = exp_filter(sc_in, 300.0, 0.0)
    vo2 = np.minimum(prim + sc, vmax)
    x = np.clip((vo2 - VO2REST) / (vmax - VO2REST), 0, 1.05)
    xd, k2 = r["xd"], r["k2"]
    s1 = 1 / (xd + k2 * (1 - xd))
    psi = np.where(x < xd, s1 * x, s1 * xd + k2 * s1 * (x - xd))
    frac = r["a0"] + (1 - r["a0"]) * psi
    frac = frac * st["pv_mult"]
    hrr = st["hrmax"] - st["hrrest"]
    drive = st["hrrest"] + hrr * frac
    tmin = np.arange(n) * DT / 60
    # heat (skin blood flow), thermal drift, dehydration
    heat = r["heat_h"] * max(temp - r["heat_on"], 0) * (0.6 + 0.6 * x) * st["heat_mult"]
    drift = 0.04 * np.maximum(tmin - 20, 0) * (1 + 0.05 * max(temp - 10, 0))
    sweat = (0.25 + 0.6 * x) * (1 + 0.05 * max(temp - 10, 0)) * r["mass"] / 70  # L/h
    loss_pct = pre_dehyd + 100 * np.cumsum(sweat) * DT / 3600 / r["mass"]
    dehyd = 2.5 * loss_pct
    circ = 1.0 * math.cos(2 * math.pi * (hour - 17) / 24)
    drive = drive + heat + drift + dehyd + circ + st["day_off"]
    drive = np.minimum(drive, st["hrmax"] + 1)
    hr0 = st["hrrest"] + hr_start_off
    hr = exp_filter(drive, r["tau_hr"], hr0)
    i5 = min(int(300 / DT), n - 1)
    return (
        float(vo2[i5:].mean()),
        float(hr.mean()),
        float(hr.max()),
        float(v.mean()),
    )


def flat_profile(v, minutes):
    n = max(int(minutes * 60 / DT), 6)
    return dict(v=np.full(n, v), g=np.zeros(n))


def cost_at(r, st, v_ref, minutes=45.0):
    """Truth: mean VO2 of min 5..45 of a flat run at v_ref, / speed -> ml/kg/km."""
    st2 = dict(st)
    st2["cost_mult"] = st["cost_mult_rested"]
    prof = flat_profile(v_ref, minutes)
    vo2, _, _, _ = simulate_run(r, st2, prof, 10.0, 12.0, 0.0)
    return vo2 / (v_ref / 60)


def make_state_fn(r, vmax_d, cost_rested, pv_mult, heat_mult, eff_frac, gamma, v_ref):
    def st_at(k):
        return dict(
            vo2max=vmax_d[k],
            c12=r["c12"],
            cost_mult=cost_rested[k],
            cost_mult_rested=cost_rested[k],
            vt1=r["vt1"],
            cp=r["cp"],
            pv_mult=pv_mult[k],
            heat_mult=heat_mult[k],
            hrmax=r["hrmax"],
            hrrest=r["hrrest"],
            day_off=0.0,
            eff_frac=eff_frac[k],
            eff_speed_gamma=gamma,
            v_ref=v_ref,
        )

    return st_at


def own_change(r, st_at, sample, k_end, v):
    c_base = np.mean([cost_at(r, st_at(k), v) for k in sample])
    c_end = cost_at(r, st_at(k_end), v)
    return 100 * (c_end / c_base - 1)


# --------------------------------------------------------------------------------------
# the squad
# --------------------------------------------------------------------------------------
def weather(seed, start, ndays):
    rng = np.random.default_rng([seed, 2])
    days = pd.date_range(start, periods=ndays, freq="D")
    doy = days.day_of_year.values
    anom = np.zeros(ndays)
    e = rng.normal(0, 3 * math.sqrt(1 - 0.75**2), ndays + 30)
    a = 0.0
    for i in range(ndays + 30):
        a = 0.75 * a + e[i]
        if i >= 30:
            anom[i - 30] = a
    return 10 - 8 * np.cos(2 * math.pi * (doy - 20) / 365) + anom


WEEK_TEMPLATES = {
    2: {2: "easy", 6: "long"},
    3: {1: "quality", 3: "easy", 6: "long"},
    4: {1: "quality", 3: "easy", 5: "easy", 6: "long"},
    5: {1: "quality", 2: "easy", 4: "easy", 5: "easy", 6: "long"},
    6: {0: "recovery", 1: "quality", 2: "easy", 3: "easy", 5: "easy", 6: "long"},
    7: {0: "recovery", 1: "quality", 2: "easy", 3: "tempo", 4: "recovery", 5: "easy", 6: "long"},
}


def plan_schedule(seed, runners, d0, d1, block_weeks, scenario):
    """Planned runs (scenario-independent draws, then scenario edits)."""
    rows = []
    for _, r in runners.iterrows():
        i = int(r["idx"])
        rng = np.random.default_rng([seed, 3, i])
        rpw = int(r["rpw_uneven"]) if scenario == "responders_uneven" else int(r["rpw"])
        easy_min = 30 + 30 * min(max((r["vo2max"] - 38) / 46, 0), 1)
        race_b = rng.random() < 0.5
        race_e = rng.random() < 0.5
        late = scenario == "responders_uneven" and bool(r["late"])
        for week in range((d1 - d0 + 1) // 7):
            wd0 = d0 + 7 * week
            tpl = WEEK_TEMPLATES[min(rpw, 7)]
            u_skip = rng.random(9)
            u_dur = rng.uniform(0.85, 1.15, 9)
            u_min = rng.random(9)
            u_hr = rng.normal(0, 0.4, 9)
            for j, (dow, kind) in enumerate(sorted(tpl.items())):
                d = wd0 + dow
                if u_skip[j] < 0.05 or (late and d < -21):
                    continue
                if kind == "quality":
                    kind = ["interval", "tempo", "hills"][week % 3]
                if dow == 5 and kind == "easy":
                    if (race_b and d == -23) or (race_e and d == 7 * (block_weeks - 2) + 5):
                        kind = "race"
                hour = r["hour"] + u_hr[j]
                if dow == 6:
                    hour = 8.5 + u_hr[j]
                if kind == "race":
                    hour = 9.0
                rows.append(
                    dict(
                        runner=i,
                        day=d,
                        kind=kind,
                        dur_u=u_dur[j],
                        u=u_min[j],
                        hour=hour,
                        easy_min=easy_min,
                    )
                )
            for j, dow in enumerate((1, 3)[: max(rpw - 7, 0)]):
                d = wd0 + dow
                if u_skip[7 + j] < 0.05 or (late and d < -21):
                    continue
                hour = 6.3 if r["hour"] > 11 else 18.5
                rows.append(
                    dict(
                        runner=i,
                        day=d,
                        kind="recovery",
                        dur_u=u_dur[7 + j],
                        u=u_min[7 + j],
                        hour=hour,
                        easy_min=easy_min,
                    )
                )
    return pd.DataFrame(rows)


def strength_sessions(seed, r, block_weeks):
    """Dates (block days) and hours of the runner's sessions actually done."""
    rng = np.random.default_rng([seed, 5, int(r["idx"])])
    days = []
    wd = [1, 4] if r["spw"] == 2 else [0, 2, 4]
    for w in range(block_weeks):
        for dw in wd:
            if rng.random() < r["adher"]:
                days.append(7 * w + dw)
    return np.array(days, dtype=float)


def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario}")
    rng0 = np.random.default_rng([seed, 0])
    block_weeks = int(rng0.choice([8, 10, 12]))
    block_start = pd.Timestamp("2026-02-02") + pd.Timedelta(days=7 * int(rng0.integers(0, 9)))
    runners = make_runners(seed)
    n = len(runners)
    srng = np.random.default_rng([seed, 100 + list(SCENARIOS).index(scenario)])
    runners["affected"] = False
    # ---------------- scenario edits of runners ----------------
    if scenario == "novice_strength":
        order = np.lexsort((runners["age"].values, runners["yrs"].values))
        g = np.array(["control"] * n, dtype=object)
        g[order[:8]] = "strength"
        runners["group"] = g
    if scenario == "grey_zone":
        runners["f_easy"] = 0.73 + 0.09 * runners["f_easy_u"]
    if scenario == "responders_uneven":
        strg = np.flatnonzero(runners["group"].values == "strength")
        effs = np.array([-8, -7, -5.5, -4, -3, -1, 1, 2], float) + srng.normal(0, 0.4, 8)
        runners.loc[strg, "eff"] = effs[srng.permutation(8)]
        runners["rpw_uneven"] = srng.permutation([2, 2, 3, 3, 4, 5, 6, 6, 7, 7, 8, 9, 4, 5, 3, 6])
        late = np.zeros(n, bool)
        late[srng.choice(strg)] = True
        late[srng.choice(np.flatnonzero(runners["group"].values == "control"))] = True
        runners["late"] = late
        runners["affected"] = (runners["eff"] > 0) & (runners["group"] == "strength")
    is_str = runners["group"].values == "strength"
    # haemoglobin / plasma-volume courses
    hb_change = np.zeros(n)
    hb_kind = np.array([""] * n, dtype=object)
    if scenario == "iron_deficiency":
        w = np.where(runners["sex"] == "F", 3.0, 1.0)
        picks = []
        for grp in (True, False):
            idx = np.flatnonzero(is_str == grp)
            p = w[idx] / w[idx].sum()
            ch = srng.choice(idx, size=3, replace=False, p=p)
            picks.append(ch)
            for k, i in enumerate(ch):
                if k < 2:
                    hb_change[i] = -srng.uniform(6, 11)
                    hb_kind[i] = "falls"
                else:
                    hb_change[i] = srng.uniform(4, 7)
                    hb_kind[i] = "iron"
        runners["affected"] = hb_kind != ""
    sauna = np.zeros(n, bool)
    pv_max = np.zeros(n)
    if scenario == "sauna_gym":
        sidx = srng.choice(np.flatnonzero(is_str), size=6, replace=False)
        sauna[sidx] = True
        sauna[srng.choice(np.flatnonzero(~is_str))] = True
        pv_max = np.where(sauna, srng.uniform(4, 9, n), 0.0)
        runners["affected"] = sauna
    drill = np.zeros(n)
    if scenario == "drills_for_all":
        drill = np.clip(srng.normal(-1.8, 0.8, n), -4, 0.5)
        runners["affected"] = True
    switch_day = np.full(n, np.nan)
    switch_logged = np.zeros(n, bool)
    if scenario == "strap_to_wrist":
        for grp in (True, False):
            idx = srng.choice(np.flatnonzero(is_str == grp), size=4, replace=False)
            switch_day[idx] = srng.integers(7, 43, 4)
            switch_logged[idx[:2]] = True
        runners["affected"] = ~np.isnan(switch_day)
        runners.loc[~np.isnan(switch_day), "optical"] = False
        runners["opt_off"] = np.where(
            ~np.isnan(switch_day), srng.normal(0, 3, n), runners["opt_off"]
        )
    speed_gamma = 2.5 if scenario == "fast_gain" else 0.0
    # ---------------- calendar ----------------
    d0 = -49
    d1 = 7 * block_weeks - 1
    ndays = d1 - d0 + 1
    temps = weather(seed, block_start + pd.Timedelta(days=d0), ndays)
    sched = plan_schedule(seed, runners, d0, d1, block_weeks, scenario)
    sessions = {
        i: (strength_sessions(seed, runners.iloc[i], block_weeks) if is_str[i] else np.array([]))
        for i in range(n)
    }
    # ---------------- per-runner daily states ----------------
    states = {}
    truth_rows = []
    for i in range(n):
        r = runners.iloc[i]
        nrng = np.random.default_rng([seed, 4, i])
        days = np.arange(d0, d1 + 1)
        wk = (days - d0) / 7.0
        tc = int(r["tcat"])
        vo2_tr = {0: 0.30, 1: 0.08, 2: 0.0}[tc] - (0.05 if r["age"] > 55 else 0)
        eco_tr = -0.08 if tc == 0 else 0.0
        rest_tr = -0.12 if tc == 0 else 0.0
        hb_f = np.ones(ndays)
        if hb_kind[i] == "falls":
            hb_f = 1 + hb_change[i] / 100 * np.clip((days - 14) / max(d1 - 14, 1), 0, 1)
        elif hb_kind[i] == "iron":
            hb_f = 1 + hb_change[i] / 100 * np.clip(days / 42, 0, 1)
        vmax_d = r["vo2max"] * (1 + vo2_tr / 100 * wk) * hb_f**0.85
        # strength effect course
        ses = sessions[i]
        S = np.array([(ses <= d).sum() for d in days], float)
        s_end = max((ses <= d1).sum(), 1)
        h = 1 - 2 ** (-((S / r["s50"]) ** 2))
        h_end = 1 - 2 ** (-((s_end / r["s50"]) ** 2))
        h = h / h_end if is_str[i] else np.zeros(ndays)
        eff_frac = r["eff"] / 100 * h
        dr = drill[i] / 100 * np.clip(days / 28, 0, 1)
        nat = eco_tr / 100 * wk
        eff_mult = (1 + eff_frac) if speed_gamma == 0 else np.ones(ndays)
        cost_rested = (1 + nat) * (1 + dr) * eff_mult
        # plasma volume from sauna sessions (after gym; control: after 2 runs a week)
        pv = np.zeros(ndays)
        if sauna[i]:
            sd = (
                ses
                if is_str[i]
                else np.array(
                    [7 * w + 2 for w in range(block_weeks)]
                    + [7 * w + 5 for w in range(block_weeks)],
                    float,
                )
            )
            cnt = np.array([((sd <= d) & (sd > d - 21)).sum() for d in days], float)
            pv = pv_max[i] / 100 * (1 - np.exp(-cnt / 3.0))
        pv_mult = 1 - 0.45 * pv
        heat_mult = 1 - 3 * pv
        # acute fatigue
        acute = np.zeros(ndays)  # filled per run (needs hour)
        day_off = np.zeros(ndays)
        e = nrng.normal(0, r["day_sd"] * math.sqrt(1 - 0.36), ndays)
        a = 0.0
        for k in range(ndays):
            a = 0.6 * a + e[k]
            day_off[k] = a
        states[i] = dict(
            days=days,
            vmax=vmax_d,
            cost_rested=cost_rested,
            eff_frac=eff_frac,
            pv_mult=pv_mult,
            heat_mult=heat_mult,
            hrrest=r["hrrest"] + rest_tr * wk,
            day_off=day_off,
            acute=acute,
        )
        # ---------------- truth ----------------
        v_ref = float(min(speed_for(r, r["f_easy"]), 60 / 3.17))
        if v_ref < 60 / 6.6:  # slow runners run easy runs relatively harder (up to 76 %)
            v_ref = float(min(60 / 6.6, speed_for(r, 0.76)))
            runners.loc[i, "f_easy"] = (
                r["c12"] * (v_ref / 12) ** r["beta"] * v_ref / 60 / r["vo2max"]
            )
            r = runners.iloc[i]
        v_tempo = float(speed_for(r, r["f_tempo"]))
        runners.loc[i, "v_ref"] = v_ref
        runners.loc[i, "v_tempo"] = v_tempo

        st_at = make_state_fn(
            r, vmax_d, cost_rested, pv_mult, heat_mult, eff_frac, speed_gamma, v_ref
        )

        base_idx = np.flatnonzero((days >= -42) & (days < 0))
        sample = base_idx[::3]
        states[i]["st_at"] = st_at

        own = own_change(r, st_at, sample, ndays - 1, v_ref)
        own_t = own_change(r, st_at, sample, ndays - 1, v_tempo)
        # heart-rate shift at v_ref from non-economy causes (diagnostic)
        stb = st_at(base_idx[len(base_idx) // 2])
        ste = st_at(ndays - 1)
        for s_ in (stb, ste):
            s_["cost_mult"] = 1.0
            s_["eff_frac"] = 0.0
        prof = flat_profile(v_ref, 45)
        ste["hrrest"] = r["hrrest"] + rest_tr * wk[-1]
        hr_b = simulate_run(r, stb, prof, 10, 12, 0)[1]
        hr_e = simulate_run(r, ste, prof, 10, 12, 0)[1]
        truth_rows.append(
            dict(
                runner_id=r["runner_id"],
                group=runners["group"].iloc[i],
                true_own_change_pct=own,
                true_own_change_tempo_pct=own_t,
                strength_effect_pct=(r["eff"] if is_str[i] else 0.0),
                natural_economy_pct=100 * (eco_tr / 100 * (wk[-1] - wk[base_idx].mean())),
                drill_pct=drill[i],
                nonecon_hr_shift_bpm=hr_e - hr_b,
                hb_change_pct=hb_change[i],
                pv_change_pct=pv_max[i] if sauna[i] else 0.0,
                device_switch_day=switch_day[i],
                device_switch_logged=bool(switch_logged[i]),
                affected=bool(runners["affected"].iloc[i]),
                sessions_done=len(sessions[i]),
                sex=r["sex"],
                age=int(r["age"]),
                years_running=round(float(r["yrs"]), 1),
                vo2max_true=round(float(r["vo2max"]), 1),
                easy_pace_min_km=round(60 / v_ref, 2),
                f_easy=round(float(r["f_easy"]), 3),
                vt1_frac=round(float(r["vt1"]), 3),
                easy_above_vt1=bool(r["f_easy"] > r["vt1"]),
                hr_curve=["regular", "linear", "inverse"][int(r["ctype"])],
                pacing=r["pacer"],
                optical=bool(r["optical"]),
            )
        )
    truth = pd.DataFrame(truth_rows)
    ctrl = truth["group"] == "control"
    cm = truth.loc[ctrl, "true_own_change_pct"]
    ref = np.where(
        ctrl,
        (cm.sum() - truth["true_own_change_pct"]) / max(ctrl.sum() - 1, 1),
        cm.mean(),
    )
    truth["control_reference_pct"] = ref
    truth["true_change_pct"] = truth["true_own_change_pct"] - ref
    cmt = truth.loc[ctrl, "true_own_change_tempo_pct"]
    reft = np.where(
        ctrl, (cmt.sum() - truth["true_own_change_tempo_pct"]) / max(ctrl.sum() - 1, 1), cmt.mean()
    )
    truth["true_change_tempo_pct"] = truth["true_own_change_tempo_pct"] - reft

    # ---------------- runs ----------------
    run_rows = []
    watch_est = {}
    for _, p in sched.iterrows():
        i = int(p["runner"])
        r = runners.iloc[i]
        S = states[i]
        k = int(p["day"] - d0)
        rng = np.random.default_rng([seed, 6, i, int(p["day"]) + 100, int(p["hour"] * 10)])
        v_easy = float(runners.loc[i, "v_ref"])
        kind = p["kind"]
        # acute fatigue from gym sessions before this run
        ses = sessions[i]
        t_run = p["day"] + p["hour"] / 24
        t_ses = ses + r["gym_hour"] / 24
        prior = t_ses[t_ses <= t_run]
        acute = 0.0
        if len(prior):
            dh = (t_run - prior.max()) * 24
            a_ = r["acute"] / 100 * (1.6 if prior.max() < 14 else 1.0)
            acute = a_ if dh <= 30 else (0.4 * a_ if dh <= 54 else 0.0)
        econ_noise = rng.normal(0, 0.015)
        st = S["st_at"](k)
        st["cost_mult"] = S["cost_rested"][k] * (1 + acute) * (1 + econ_noise)
        st["hrrest"] = S["hrrest"][k]
        st["day_off"] = S["day_off"][k]
        temp = float(
            temps[k] + 4.5 * math.sin(2 * math.pi * (p["hour"] - 9) / 24) + rng.normal(0, 1)
        )
        morning = p["hour"] < 10
        pre_dehyd = rng.normal(0.3, 0.4) if morning else rng.normal(0, 0.3)
        hill = r["hill"] * rng.uniform(0.7, 1.3)
        # ------- speed/duration profile -------
        dur_u = p["dur_u"]
        easy_min = p["easy_min"]
        short = scenario == "short_runs"
        segs = []  # (minutes, speed, kind) kind: 'hilly' or 'flat'
        run_type = kind
        v_plan = v_easy * (1 + rng.normal(0, 0.02))
        if kind == "easy":
            m = rng.uniform(20, 32) if short else easy_min * dur_u
            segs = [(m, v_plan, "hilly")]
            if scenario == "strides_laps" and p["u"] < 0.40:
                vt = min(speed_for(r, r["f_tempo"]), VMAX_KMH)
                nrep = int(rng.integers(6, 11))
                warm = max(m * 0.3, 8)
                segs = [(warm, v_plan, "hilly")]
                for _ in range(nrep):
                    segs += [(1.0, vt, "flat"), (rng.uniform(1, 2), v_plan * 0.9, "flat")]
                segs.append((max(m - warm - nrep * 2.5, 5), v_plan, "hilly"))
                run_type = "easy" if rng.random() < 0.5 else ""
            if (
                scenario == "strides_laps"
                and is_str[i]
                and p["day"] >= 0
                and (p["day"] - d0) % 7 in (2, 3, 4, 5)
                and p["u"] < 0.75
            ):
                for _ in range(6):
                    segs += [(20 / 60, v_easy * 1.3, "flat"), (1.0, 5.0, "flat")]
        elif kind == "recovery":
            segs = [(rng.uniform(18, 25) if short else rng.uniform(25, 40), v_plan * 0.9, "hilly")]
        elif kind == "long":
            m = rng.uniform(40, 60) if short else min(easy_min * rng.uniform(1.7, 2.3), 150)
            segs = [(m, v_plan * 0.97, "hilly")]
        elif kind == "tempo":
            vt = min(speed_for(r, r["f_tempo"]), VMAX_KMH) * (1 + rng.normal(0, 0.015))
            tm = rng.uniform(12, 15) if short else rng.uniform(20, 30)
            segs = [
                (10 if short else 15, v_plan, "flat"),
                (tm, vt, "flat"),
                (5 if short else 10, v_plan * 0.95, "flat"),
            ]
        elif kind in ("interval", "hills"):
            vi = min(speed_for(r, r["f_int"]), VMAX_KMH) * (1 + rng.normal(0, 0.015))
            nrep = int(rng.integers(4, 6) if short else rng.integers(5, 9))
            segs = [(10 if short else 15, v_plan, "flat")]
            for _ in range(nrep):
                if kind == "hills":
                    segs += [(1.5, vi * 0.8, "up"), (2.0, v_plan * 0.8, "down")]
                else:
                    segs += [(3.0, vi, "flat"), (2.0, v_plan * 0.85, "flat")]
            segs.append((5 if short else 10, v_plan * 0.95, "flat"))
            run_type = "interval"
        elif kind == "race":
            vr = min(speed_for(r, 0.95), VMAX_KMH)
            segs = [(5.0 / vr * 60, vr, "flat")]
        # build per-step profile
        vv, gg = [], []
        g_up = hill / 350.0
        for mins, spd, sk in segs:
            ns = max(int(round(mins * 60 / DT)), 1)
            if sk == "hilly" and hill > 0:
                ph = (np.arange(ns) * DT / 60 / 3.0) % 1.0  # 3-min cycles up/flat/down
                gr = np.where(ph < 0.35, g_up, np.where(ph < 0.70, -g_up, 0.0))
            elif sk == "up":
                gr = np.full(ns, 0.06)
            elif sk == "down":
                gr = np.full(ns, -0.06)
            else:
                gr = np.zeros(ns)
            sp = spd * np.where(gr > 0, 1 - 2.0 * gr, 1 - 1.0 * gr)
            vv.append(sp)
            gg.append(gr)
        prof = dict(v=np.concatenate(vv), g=np.concatenate(gg))
        hr_start = 8.0 if short else 20.0
        # HR pacers correct steady runs toward their usual HR at that pace
        if r["pacer"] == "hr" and kind in ("easy", "long", "recovery"):
            ref_st = S["st_at"](0)
            ref_st["cost_mult"] = 1.0
            ref_st["eff_frac"] = 0.0
            ref_st["pv_mult"] = 1.0
            ref_st["heat_mult"] = 1.0
            target = simulate_run(r, ref_st, prof, 10.0, 12.0, 0.0, hr_start)[1]
            now = simulate_run(r, st, prof, temp, p["hour"], pre_dehyd, hr_start)[1]
            prof_up = dict(v=prof["v"] * 1.04, g=prof["g"])
            up = simulate_run(r, st, prof_up, temp, p["hour"], pre_dehyd, hr_start)[1]
            slope = max((up - now) / 0.04, 20.0)
            adj = float(np.clip(0.8 * (target - now) / slope, -0.12, 0.08))
            prof = dict(v=prof["v"] * (1 + adj), g=prof["g"])
        vo2m, hr_avg, hr_max, v_mean = simulate_run(
            r, st, prof, temp, p["hour"], pre_dehyd, hr_start
        )
        dur_s = len(prof["v"]) * DT
        dist = float((prof["v"] * DT / 3600).sum())
        # sensor
        opt = bool(r["optical"])
        dev = ""
        if not np.isnan(switch_day[i]):
            opt = p["day"] >= switch_day[i]
            if switch_logged[i]:
                dev = "Forerunner 265" if opt else "HRM-Pro Plus"
        if opt:
            hr_meas = hr_avg + r["opt_off"] + rng.normal(0, 2.5)
            if rng.random() < 0.04:  # cadence lock for part of the run
                cad = 160 + 3 * (v_mean - 10) + r["cad_off"]
                share = rng.uniform(0.3, 1.0)
                hr_meas = (1 - share) * hr_meas + share * cad
            hr_mx = hr_max + r["opt_off"] + abs(rng.normal(0, 4))
        else:
            hr_meas = hr_avg + rng.normal(0, 0.7)
            hr_mx = hr_max + abs(rng.normal(0, 1.5))
        cad = 160 + 3 * (v_mean - 10) + r["cad_off"] + rng.normal(0, 2)
        gain = hill * dist if segs[0][2] == "hilly" else 0.0
        if kind == "hills":
            gain = sum(m * s * 0.8 / 60 * 1000 * 0.06 for m, s, k_ in segs if k_ == "up")
        gain_m = gain * rng.normal(1, 0.1)
        loss_m = gain_m * rng.normal(1, 0.05)
        rpe = {
            "recovery": 2,
            "easy": 3,
            "long": 4,
            "tempo": 6,
            "interval": 7,
            "hills": 7,
            "race": 9,
        }[kind]
        rpe = int(np.clip(rpe + rng.integers(-1, 2), 0, 10))
        date = block_start + pd.Timedelta(days=int(p["day"])) + pd.Timedelta(hours=float(p["hour"]))
        date = date.floor("min")
        # watch VO2max estimate (ACSM equation / %HRR, age-formula HRmax)
        if kind in ("easy", "long") and hr_meas > 0:
            hrm_age = 208 - 0.7 * r["age"]
            hrr_w = np.clip((hr_meas - (r["hrrest"] + 2)) / (hrm_age - (r["hrrest"] + 2)), 0.3, 1)
            est = (0.2 * v_mean * 1000 / 60) / hrr_w + 3.5
            prev = watch_est.get(i, est)
            watch_est[i] = float(np.clip(0.85 * prev + 0.15 * est, 20, 90))
        row = dict(
            runner_id=r["runner_id"],
            date=date.strftime("%Y-%m-%dT%H:%M:%S"),
            distance_km=round(dist * (1 + rng.normal(0, 0.01)), 3),
            duration_s=int(round(dur_s)),
            avg_hr_bpm=int(round(hr_meas)),
            max_hr_bpm=int(round(max(hr_mx, hr_meas + 3))),
            elev_gain_m=round(max(gain_m, 0), 0),
            elev_loss_m=round(max(loss_m, 0), 0),
            temp_c=round(temp + rng.normal(0, 0.8), 1),
            run_type=run_type if kind != "hills" else "interval",
            cadence_spm=int(round(cad)),
            rpe=rpe,
            vo2max_est_ml_kg_min=round(watch_est[i])
            if (i in watch_est and r["vo2_src"] == 1)
            else np.nan,
            device=dev,
            _day=p["day"],
        )
        if rng.random() < 0.02:
            row["avg_hr_bpm"] = np.nan
            row["max_hr_bpm"] = np.nan
        if rng.random() < 0.05:
            row["temp_c"] = np.nan
        if rng.random() < 0.03:
            row["elev_gain_m"] = np.nan
            row["elev_loss_m"] = np.nan
        if rng.random() < 0.10:
            row["cadence_spm"] = np.nan
        if rng.random() < 0.5:
            row["rpe"] = np.nan
        if rng.random() < 0.08:
            row["run_type"] = ""
        run_rows.append(row)
    runs = pd.DataFrame(run_rows).sort_values(["runner_id", "date"])
    # doubles on the same day: make dates unique per runner
    runs = runs.drop_duplicates(["runner_id", "date"])
    truth["n_runs"] = truth["runner_id"].map(runs["runner_id"].value_counts()).fillna(0).astype(int)
    truth["n_baseline_runs_logged"] = (
        truth["runner_id"]
        .map(runs[(runs["_day"] >= -42) & (runs["_day"] < 0)]["runner_id"].value_counts())
        .fillna(0)
        .astype(int)
    )
    if scenario != "strap_to_wrist":
        runs = runs.drop(columns=["device"])
    # ---------------- runners.csv ----------------
    rr = []
    for i in range(n):
        r = runners.iloc[i]
        vsrc = int(r["vo2_src"])
        if vsrc == 0:
            vo2rec = round(float(r["vo2_lab"]), 1)
        elif vsrc == 1:
            base_runs = runs[(runs["runner_id"] == r["runner_id"]) & (runs["_day"] < 0)]
            vo2rec = (
                float(base_runs["vo2max_est_ml_kg_min"].dropna().iloc[-1])
                if base_runs["vo2max_est_ml_kg_min"].notna().any()
                else np.nan
            )
        else:
            vo2rec = np.nan
        rr.append(
            dict(
                runner_id=r["runner_id"],
                name=f"Runner {i + 1}",
                sex=r["sex"],
                birth_year=int(r["birth_year"]),
                body_mass_kg=round(
                    float(r["mass"] + np.random.default_rng([seed, 7, i]).normal(0, 0.7)), 1
                ),
                hr_rest_bpm=(
                    round(float(r["hrrest_meas"])) if not np.isnan(r["hrrest_meas"]) else np.nan
                ),
                hr_max_bpm=(
                    round(float(r["hrmax_meas"])) if not np.isnan(r["hrmax_meas"]) else np.nan
                ),
                vo2max_ml_kg_min=vo2rec,
                group=runners["group"].iloc[i],
            )
        )
    truth["vo2max_recorded"] = [x["vo2max_ml_kg_min"] for x in rr]
    runs = runs.drop(columns=["_day"])
    for c in (
        "duration_s",
        "avg_hr_bpm",
        "max_hr_bpm",
        "cadence_spm",
        "rpe",
        "vo2max_est_ml_kg_min",
    ):
        runs[c] = runs[c].round().astype("Int64")
    for c in ("elev_gain_m", "elev_loss_m"):
        runs[c] = runs[c].round().astype("Int64")
    # ---------------- strength.csv, blocks.csv ----------------
    srows = []
    for i in range(n):
        if not is_str[i]:
            continue
        r = runners.iloc[i]
        rng = np.random.default_rng([seed, 8, i])
        for d in sessions[i]:
            dt = block_start + pd.Timedelta(days=int(d)) + pd.Timedelta(hours=float(r["gym_hour"]))
            ds = dt.strftime("%Y-%m-%dT%H:%M:%S")
            prog = min(d / 56, 1)
            rm = r["one_rm"] * (1 + 0.12 * prog)
            if r["program"] == "heavy":
                ex = [
                    ("back squat", 4, 5, round(0.8 * rm / 2.5) * 2.5, np.nan),
                    ("romanian deadlift", 3, 6, round(0.6 * rm / 2.5) * 2.5, np.nan),
                    ("walking lunges", 3, 10, 10.0, np.nan),
                    ("calf raise", 3, 12, 20.0, np.nan),
                    ("plank", 3, np.nan, np.nan, 60),
                ]
            else:
                ex = [
                    ("squats", 3, 6, round(0.75 * rm / 2.5) * 2.5, np.nan),
                    ("box jumps", 4, 5, np.nan, np.nan),
                    ("single-leg lateral jumps", 3, 8, np.nan, np.nan),
                    ("single-leg deadlifts", 3, 8, 12.0, np.nan),
                    ("burpees", 3, 10, np.nan, np.nan),
                    ("glute bridge", 3, 12, np.nan, np.nan),
                ]
            for e, s_, rp, ld, du in ex:
                srows.append(
                    dict(
                        runner_id=r["runner_id"],
                        date=ds,
                        exercise=e,
                        sets=s_,
                        reps=rp,
                        load_kg=ld,
                        duration_s=du,
                        rpe=int(np.clip(round(rng.normal(7, 1)), 4, 10)),
                        notes=(
                            "sauna 25 min after"
                            if (sauna[i] and e in ("plank", "glute bridge"))
                            else ""
                        ),
                    )
                )
    blocks = pd.DataFrame(
        [
            dict(
                runner_id=runners["runner_id"].iloc[i],
                block_start=block_start.strftime("%Y-%m-%d"),
                block_end=(block_start + pd.Timedelta(days=d1)).strftime("%Y-%m-%d"),
                label="strength block",
            )
            for i in range(n)
            if is_str[i]
        ]
    )
    os.makedirs(out, exist_ok=True)
    rdf = pd.DataFrame(rr)
    for c in ("hr_rest_bpm", "hr_max_bpm"):
        rdf[c] = rdf[c].round().astype("Int64")
    rdf.to_csv(os.path.join(out, "runners.csv"), index=False)
    sdf = pd.DataFrame(srows)
    for c in ("reps", "duration_s"):
        sdf[c] = sdf[c].astype("Int64")
    runs.to_csv(os.path.join(out, "runs.csv"), index=False)
    sdf.to_csv(os.path.join(out, "strength.csv"), index=False)
    blocks.to_csv(os.path.join(out, "blocks.csv"), index=False)
    truth.insert(0, "scenario", scenario)
    truth.insert(1, "seed", seed)
    truth["block_weeks"] = block_weeks
    truth["block_start"] = block_start.strftime("%Y-%m-%d")
    truth.to_csv(os.path.join(out, "truth.csv"), index=False, float_format="%.4f")
    return truth


# --------------------------------------------------------------------------------------
# summary (table columns as in benchmarks/training_load_scenarios.py)
# --------------------------------------------------------------------------------------
def _summ(df, col, truth_col="true_change_pct", ci=True):
    err = df[col] - df[truth_col]
    res = dict(n=int(err.notna().sum()))
    if res["n"] == 0:
        return res
    res["bias"] = err.mean()
    sq = df.assign(err=err).groupby("seed")["err"].mean().dropna()
    res["se"] = sq.std(ddof=1) / np.sqrt(len(sq)) if len(sq) > 1 else np.nan
    res["mae"] = err.abs().mean()
    if ci:
        d = df[df[col].notna()]
        t = d[truth_col]
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
        "| improved | worsened | det | raw truth mean | raw bias | raw SE |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
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
            rw = (
                _summ(d, "raw_change_pct", "true_own_change_pct", ci=False)
                if "raw_change_pct" in d
                else {}
            )
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
                f"| {_f(d['true_own_change_pct'].mean())} | {_f(rw.get('bias'))} "
                f"| {_f(rw.get('se'))} |"
            )
    return lines


def write_report(per, problems, md_path, meta):
    lines = [
        "# runeco on heart-centred squads (benchmarks/ninth_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`. Errors are o2_cost_change_pct - true_change_pct in "
        "percentage points (pp); true_change_pct is the runner's own change in flat oxygen "
        "cost at its easy pace minus the controls' mean own change (a control: the other "
        "controls'). SE = SD over squads (seeds) of the squad's mean error / sqrt(squads). "
        "answered = verdict not `insufficient data`. cover = share of answered runners whose "
        "[ci_low_pct, ci_high_pct] holds the truth. det = share of strength runners with "
        "truth <= -3 % called `improved`. raw = raw_change_pct against the runner's own "
        "change true_own_change_pct (raw truth mean). affected: see the scenario list.",
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
            truth = truth.drop(columns=["scenario", "seed"], errors="ignore")
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
        f"per scenario, {N_RUNNERS} runners each; {len(per)} runner rows; runeco: "
        f"`{args.runeco}`; total run time {elapsed / 60:.1f} min."
    )
    if len(per):
        write_report(per, problems, args.md, meta)
    print(meta)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", aliases=["generate"], help="write one squad")
    g.add_argument("--scenario", required=True, choices=list(SCENARIOS))
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
