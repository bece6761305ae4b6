"""Unseen-physiology test-data generator for runeco (independent of the other generators).

Written without reading runeco's source, tests or other benchmark generators: only
docs/DATA_FORMAT.md, the CLI help and the command sections of README.md were used.
There was no internet access: every source below is cited FROM MEMORY (author, year,
gist); numbers are rounded as remembered and should be checked before being quoted.

Truth
-----
For each runner, ``true_change_pct`` is the percent change in the oxygen cost of running
(ml O2 per kg of that day's body mass per km) at the reference speed of 11 km/h on flat
ground in still air, from the baseline (whole baseline: economy is constant there) to the
last day of the strength block. Every strength effect multiplies the runner's whole
cost-speed curve, so the change is the same at every speed. Controls' truth is 0 in every
scenario (no scenario changes a control's economy). Nothing other than the strength work
changes economy: altitude, heat, dehydration, hills, run length and sleep act on heart rate
or on the cost of a particular run only (hills: the run's cost, not the flat cost).

Base physiology (``plain``; every scenario starts from it)
-----------------------------------------------------------
* Cost-speed relation: oxygen cost per km nearly independent of speed (Margaria et al. 1963;
  di Prampero 1986: ~1 kcal/kg/km), with each runner's own mild exponent:
  C(v) = C0 * (v/11)**beta, C0 ~ N(200, 12) ml/kg/km (trained runners 180-220, Barnes &
  Kilding 2015), beta ~ N(0, 0.05) (individual curves, Saunders et al. 2004 review).
  (Different from Daniels' rising curve and Leger-Mercier/ACSM falling cost.)
* Day-to-day biological variation of economy: CV 1.5 % (Morgan et al. 1991; Saunders 2004:
  1.5-2.5 %), independent by run.
* Heart rate from uptake: %HRR = x + kappa*x*(1-x), x = %VO2R (uptake reserve, rest 3.5).
  A curved heart-rate performance curve with a per-runner curvature ("k factor",
  Hofmann et al. 1997: most runners show a downward deflection at high intensity, some an
  upward one; Conconi et al. 1982). Base kappa ~ N(0, 0.08): on average the 1:1 line of
  Swain & Leutholtz 1997, but each runner curved.
* Heart-rate kinetics within a run: first-order approach to the steady value, tau 0.7 min
  from a start at HRrest + 20 (on-kinetics of HR ~30-60 s at moderate intensity), on a
  15-s grid; the run's avg_hr_bpm is the time average (summary export), max_hr_bpm the top.
* Cardiovascular drift from 10 min on (Coyle & Gonzalez-Alonso 2001: drift begins ~10 min
  into moderate exercise), d ~ U(0.06, 0.16) bpm/min, growing 6 % per degC of WBGT above 10.
  (Not an onset after 20-60 min as in other generators.)
* Heat: strain from a shade WBGT approximation (Australian Bureau of Meteorology formula,
  as remembered: WBGT = 0.567 T + 0.393 e + 3.94, e = vapour pressure in hPa), plus a
  radiant term in sunshine (globe temperature; 0-2 degC of WBGT under partial sun, up to 3.5
  in strong summer sun at midday); HR rises h * max(0, WBGT - 13)**1.3, h ~ U(0.15, 0.45)
  bpm per degC**1.3 (roughly +10 bpm from temperate to hot, Gonzalez-Alonso et al. 1999).
  Relative humidity varies by day (plain: no trend). Only air temperature (temp_c) is logged.
* Dehydration (every scenario): sweat rate 0.5 + 0.06 (T - 10) L/h, drinking 0.35 L/h on
  long runs only; HR rises 3 bpm per 1 % of body mass lost (Montain & Coyle 1992), growing
  through the run (small in the base's cool autumn).
* Sleep: a poor night with probability 0.12 raises the next morning's resting HR ~4 bpm and
  exercise HR ~3 bpm, half of it the day after (Buchheit 2014 review of HR monitoring;
  sleep-loss studies e.g. Oliver et al. 2009, magnitudes my assumption); a per-runner
  per-ISO-week "life stress" offset N(0, 1.2) bpm; run-level optical-sensor noise N(0, 2) bpm.
* Circadian HR rhythm: +-1 bpm cosine peaking 17:00 (Reilly & Brooks 1990); each runner has
  a habitual run time (morning or evening) that does not change, so it is a nuisance only.
* Hills: rolling routes whose climbs and descents are at grade gamma (5 % on roads);
  the fraction of distance on hills follows from elevation gain; cost on a grade from
  Minetti et al. 2002's polynomial for the energy cost of running (J/kg/m)
  C(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6, applied separately to
  uphill and downhill halves (the downhill saving does not repay the climb). Logged gain is
  barometric (+-10 % error) or, for GPS-only watches, inflated by ~2 m/km of noise.
* Pacing: plan pacing from each runner's baseline paces with 3 % run-to-run spread, and a
  group long run on Sundays run halfway between the runner's own long pace and the squad's
  median long pace (a club pacing culture: the pack sets the pace).
* Week: 3-6 runs (runner's habit; 1 long on Sunday, a quality run mid-week from 4 runs,
  a recovery run from 5); quality alternates tempo (warm-up, 20-30 min at ~82 % VO2max,
  cool-down, one summary) and intervals (6 x 3 min at ~95 % with jogs; run_type interval);
  half the runners race a 5 km parkrun every ~5 weeks (run_type race).
* Strength effect: heavy (2 sessions/week: back squat, deadlift, walking lunges, single-leg
  deadlift; Storen et al. 2008 ~ -5 %) or plyometric programme (3/week: box jumps, bounding,
  single-leg lateral jumps, jump squats, burpees; Spurrs et al. 2003 ~ -6 %; Paavolainen
  1999). Potential effect E ~ N(-5.5, 2.0) % (clipped to [-12, +1]; Balsalobre-Fernandez
  et al. 2016 meta-analysis: moderate improvements); realised effect saturates with the
  cumulative sessions actually done, D: change(t) = E * g(D(t)) / g(20), g(D) = 1 - exp(-D/10)
  (a dose-driven time course, flat in missed weeks; compliance per runner 0.7-1.0, and a
  one-week holiday without gym for a third of them). No residual fatigue after sessions is
  assumed (a deliberate contrast to other generators).
* Runners: sex 40 % F; VO2max U(48, 68) (F -5); HRmax = 208 - 0.7 age + N(0, 7) (Tanaka et
  al. 2001); HRrest U(42, 60); body mass constant (daily weighing noise 0.5 kg) .
  runners.csv: hr_rest from morning readings (+-1.5), hr_max the highest race HR (0-3 below
  the true max; blank for one runner in eight), vo2max from a lab test (+-3 %).
* wellness.csv: morning resting HR for ~65 % of runners on ~85 % of days; body mass for
  ~40 % of runners.
* lab_tests.csv: 3 runners per group tested a week before the block and 2 days after it,
  3 stages (easy, easy+1.5, easy+3 km/h), VO2 with 2 % noise, stage HR (steady, 18 degC lab).
* Season (plain): autumn, baseline from mid-August, block through November: air
  temperature falling from ~18 to ~5 degC with 3 degC weather noise (a cooling season).

Scenarios
---------
plain              the base above.
humid_summer       summer squad (baseline June, block July-September): air temperature
                   flat around 21 degC, relative humidity rising from 50 % to 80 % and more
                   midday sun, so WBGT climbs while temp_c does not; 30 % of runs have no
                   temp_c (phone app without weather). Affects both groups, each runner by
                   their own heat sensitivity.
short_runs         strength runners shorten their runs in the block to find time for the
                   gym (easy/recovery x0.6, long x0.8, min 20 min). With HR kinetics and early
                   drift a short run's average HR is lower at the same cost (~2 bpm): a
                   revealable confound (duration_s is logged). Controls unchanged.
marathon_build     summer build (baseline May, block June-August, warming 14 -> 24 degC):
                   the strength group are marathoners whose long runs grow from ~85 to ~150
                   min, the controls half-marathoners (to ~105 min). The base dehydration
                   (Montain & Coyle 1992) and heat-amplified drift then grow with run length
                   and warmth, more for the strength group.
altitude_camp      half of each group (at least one) spends block weeks 5-7 at a 2000 m camp:
                   VO2max 10 % lower on arrival (~6 % per 1000 m above ~300 m, Wehrlin &
                   Hallen 2006), recovering to -6 % after 3 weeks; HRrest +5 bpm decaying
                   (tau 5 days); HRmax -3 bpm; hillier routes, cooler air, 5 % slower paces.
                   After return VO2max +3 % decaying with tau 28 days (haemoglobin-mass gain
                   ~1 %/100 h, Gore et al. 2013; decay over ~3-4 weeks). Economy itself is
                   assumed unchanged (I do NOT assume Saunders et al. 2004's LHTL economy
                   gain). Campers race a 5 km in the block's last week. Partly a LIMIT
                   scenario: a post-camp fitness rise reads like better economy, revealable
                   only through races, wellness and the runner's own HRmax/VO2max updates.
unequal_responders 12 strength, 4 controls; bimodal response: 40 % non-responders
                   (E ~ N(0, 0.7)) and responders E ~ N(-7, 1.5) (heterogeneous response,
                   e.g. Mann et al. 2014 on responders and non-responders).
hilly_trails       trail season: in the block every runner moves part of their running to
                   trails with 8-12 % climbs (runner-specific extra gain U(0, 25) m/km on
                   easy/long runs); cost per Minetti et al. 2002 segment-wise, so a route
                   with equal gain and loss costs more than its net grade says. Logged
                   elevation has the base errors. Revealable (gain and loss are logged).
sparse_logs        messy real logs: 35 % of runs without temp_c, 12 % without HR (strap
                   dropouts), 15 % with no run_type, 3 runners (any group) without elevation
                   columns (watch exports summaries only) on hilly routes, 2 runners with
                   only 2-3 runs a week, a 2-week holiday without runs inside the block for
                   3 runners, and every control doing a weekly core/mobility routine
                   (plank, fire hydrants, glute bridge) logged in strength.csv.

CLI
---
python benchmarks/unseen_scenarios.py gen --scenario NAME --seed N --out DIR
python benchmarks/unseen_scenarios.py run --work DIR --seeds K --first-seed S \
    --scenarios a,b --runeco PATH --md FILE --per-runner FILE [--timeout SEC]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import time
import zlib

import numpy as np
import pandas as pd
from scipy.signal import lfilter

SCENARIOS = [
    "plain",
    "humid_summer",
    "short_runs",
    "marathon_build",
    "altitude_camp",
    "unequal_responders",
    "hilly_trails",
    "sparse_logs",
]

REF_SPEED = 11.0
DT_MIN = 0.25  # 15-s grid
BASELINE_WEEKS = 6
BLOCK_WEEKS = 10
PRE_WEEKS = 1  # logged weeks before the baseline


# ----------------------------------------------------------------------------- physiology
def minetti_cost(i):
    """Energy cost of running on grade i (fraction), J/kg/m (Minetti et al. 2002)."""
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def hill_multiplier(gain_per_km, grade):
    """Cost multiplier of a rolling route: climbs and descents at +-grade."""
    if gain_per_km <= 0:
        return 1.0, 0.0
    frac = min(1.0, 2.0 * gain_per_km / (grade * 1000.0))
    mult = (1 - frac) + frac / 2 * (minetti_cost(grade) + minetti_cost(-grade)) / minetti_cost(0.0)
    gain_per_km = frac * grade * 1000.0 / 2.0
    return mult, gain_per_km


def wbgt(temp, rh, radiant):
    e = rh / 100.0 * 6.105 * np.exp(17.27 * temp / (237.7 + temp))
    return 0.567 * temp + 0.393 * e + 3.94 + radiant


# ----------------------------------------------------------------------------- squad spec
def scenario_config(name):
    cfg = dict(
        n_strength=8,
        n_control=8,
        start=dt.date(2025, 8, 11),  # Monday; first logged day (pre-week)
        temp_start=18.0,
        temp_end=5.0,
        rh_start=70.0,
        rh_end=70.0,
        sun_max=2.0,
        temp_missing=0.0,
        hr_missing=0.0,
        type_missing=0.0,
    )
    if name == "humid_summer":
        cfg.update(
            start=dt.date(2025, 6, 2),
            temp_start=20.0,
            temp_end=22.0,
            rh_start=50.0,
            rh_end=80.0,
            sun_max=3.5,
            temp_missing=0.30,
        )
    elif name == "marathon_build":
        cfg.update(
            start=dt.date(2025, 4, 28),
            temp_start=14.0,
            temp_end=24.0,
            rh_start=60,
            rh_end=65,
            sun_max=3.0,
        )
    elif name == "unequal_responders":
        cfg.update(n_strength=12, n_control=4)
    elif name == "sparse_logs":
        cfg.update(temp_missing=0.35, hr_missing=0.12, type_missing=0.15)
    return cfg


def make_runners(rng, cfg, scenario):
    rows = []
    n = cfg["n_strength"] + cfg["n_control"]
    groups = ["strength"] * cfg["n_strength"] + ["control"] * cfg["n_control"]
    for k in range(n):
        sex = "F" if rng.random() < 0.4 else "M"
        age = int(rng.integers(20, 51))
        vo2max = rng.uniform(48, 68) - (5 if sex == "F" else 0)
        hrmax = 208 - 0.7 * age + rng.normal(0, 7)
        hrrest = rng.uniform(42, 60)
        mass = rng.uniform(52, 62) if sex == "F" else rng.uniform(62, 76)
        c0 = rng.normal(200, 12)
        r = dict(
            rid=f"U{k + 1:02d}",
            group=groups[k],
            sex=sex,
            age=age,
            vo2max=vo2max,
            hrmax=hrmax,
            hrrest=hrrest,
            mass=mass,
            c0=c0,
            beta=rng.normal(0, 0.05),
            kappa=rng.normal(0, 0.08),
            heat=rng.uniform(0.15, 0.45),
            drift=rng.uniform(0.06, 0.16),
            runs_per_week=int(rng.integers(3, 7)),
            hour=float(rng.choice([6.5, 7.0, 12.5, 17.5, 18.5, 19.0])),
            gain_km=rng.uniform(0, 12),
            gps_only=rng.random() < 0.3,
            races=rng.random() < 0.5,
            wellness_hr=rng.random() < 0.65,
            wellness_mass=rng.random() < 0.4,
            programme=rng.choice(["heavy", "plyometric"]),
            compliance=rng.uniform(0.7, 1.0),
            gym_holiday=rng.random() < 0.33,
            no_elev=False,
            holiday=False,
            sparse=False,
            camp=False,
            trail_extra=rng.uniform(0, 25),
        )
        # easy speed such that VO2 is ~62 % of VO2max on flat ground
        r["v_easy"] = float(np.clip(0.62 * vo2max * 60.0 / c0, 8.0, 14.5))
        if groups[k] == "strength":
            if scenario == "unequal_responders":
                if rng.random() < 0.4:
                    e = rng.normal(0, 0.7)
                else:
                    e = rng.normal(-7, 1.5)
            else:
                e = rng.normal(-5.5, 2.0)
            r["e_pot"] = float(np.clip(e, -12, 1))
        else:
            r["e_pot"] = 0.0
        rows.append(r)
    if scenario == "altitude_camp":
        for g in ("strength", "control"):
            ids = [i for i, r in enumerate(rows) if r["group"] == g]
            m = max(1, int(round(len(ids) / 2)))
            for i in rng.choice(ids, size=m, replace=False):
                rows[i]["camp"] = True
    if scenario == "sparse_logs":
        for i in rng.choice(n, size=3, replace=False):
            rows[i]["no_elev"] = True
            rows[i]["gain_km"] = rng.uniform(8, 18)
        for i in rng.choice(n, size=2, replace=False):
            rows[i]["sparse"] = True
        for i in rng.choice(n, size=3, replace=False):
            rows[i]["holiday"] = True
    return rows


# ----------------------------------------------------------------------------- one squad
def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    rng = np.random.default_rng([zlib.crc32(scenario.encode()), seed])
    cfg = scenario_config(scenario)
    runners = make_runners(rng, cfg, scenario)
    n_days = 7 * (PRE_WEEKS + BASELINE_WEEKS + BLOCK_WEEKS)
    start = cfg["start"]
    block_start_day = 7 * (PRE_WEEKS + BASELINE_WEEKS)
    block_end_day = n_days - 1
    block_start = start + dt.timedelta(days=block_start_day)
    block_end = start + dt.timedelta(days=block_end_day)

    # weather, shared by the squad
    frac = np.arange(n_days) / (n_days - 1)
    noise = np.zeros(n_days)
    for d in range(1, n_days):
        noise[d] = 0.7 * noise[d - 1] + rng.normal(0, 3.0 * np.sqrt(1 - 0.49))
    temp_day = cfg["temp_start"] + (cfg["temp_end"] - cfg["temp_start"]) * frac + noise
    rh_day = np.clip(
        cfg["rh_start"] + (cfg["rh_end"] - cfg["rh_start"]) * frac + rng.normal(0, 8, n_days),
        25,
        98,
    )
    sun_day = rng.uniform(0, 1, n_days)  # share of clear sky
    # squad median long pace (group long run)
    group_long = np.median([r["v_easy"] for r in runners]) * 0.97
    group_long_week = group_long * (1 + rng.normal(0, 0.03, n_days // 7 + 1))

    run_rows, str_rows, well_rows, lab_rows, truth_rows, block_rows, runner_rows = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )

    for r in runners:
        rid = r["rid"]
        # ---- day states
        poor = rng.random(n_days) < 0.12
        sleep_hr = np.zeros(n_days)
        for d in range(n_days):
            if d >= 1 and poor[d - 1]:
                sleep_hr[d] += 3.0
            if d >= 2 and poor[d - 2]:
                sleep_hr[d] += 1.5
        week_stress = rng.normal(0, 1.2, n_days // 7 + 1)
        # ---- altitude camp timeline
        vo2_fac = np.ones(n_days)
        hrrest_add = np.zeros(n_days)
        hrmax_add = np.zeros(n_days)
        at_camp = np.zeros(n_days, bool)
        if r["camp"]:
            c0d = block_start_day + 28
            c1d = block_start_day + 49
            for d in range(n_days):
                if c0d <= d < c1d:
                    k = d - c0d
                    at_camp[d] = True
                    vo2_fac[d] = 0.90 + 0.04 * k / 20.0
                    hrrest_add[d] = 5.0 * np.exp(-k / 5.0)
                    hrmax_add[d] = -3.0
                elif d >= c1d:
                    vo2_fac[d] = 1.0 + 0.03 * np.exp(-(d - c1d) / 28.0)
        # ---- strength sessions and the time course
        dose = np.zeros(n_days)
        sessions = []
        if r["group"] == "strength":
            wd = [0, 3] if r["programme"] == "heavy" else [0, 2, 4]
            hol_week = int(rng.integers(2, BLOCK_WEEKS - 1)) if r["gym_holiday"] else -1
            for w in range(BLOCK_WEEKS):
                if w == hol_week:
                    continue
                for x in wd:
                    d = block_start_day + 7 * w + x
                    if d <= block_end_day and rng.random() < r["compliance"]:
                        sessions.append(d)
        cum = 0
        sess_set = set(sessions)
        for d in range(n_days):
            dose[d] = cum
            if d in sess_set:
                cum += 1  # a session counts from the next day
        d_end = cum

        def g(dd):
            return 1 - np.exp(-dd / 10.0)

        truth = r["e_pot"] * g(d_end) / g(20.0) if r["group"] == "strength" else 0.0
        econ = 1.0 + (truth / 100.0) * (g(dose) / g(d_end) if d_end > 0 else np.zeros(n_days))
        truth_rows.append(dict(runner_id=rid, group=r["group"], true_change_pct=round(truth, 4)))
        if r["group"] == "strength":
            block_rows.append(
                dict(
                    runner_id=rid,
                    block_start=block_start.isoformat(),
                    block_end=block_end.isoformat(),
                    label="strength block",
                )
            )
            one_rm = r["mass"] * rng.uniform(1.1, 1.6)
            for d in sessions:
                date = (start + dt.timedelta(days=d)).isoformat() + "T18:00:00"
                if r["programme"] == "heavy":
                    ex = [
                        ("back squat", 4, 5, round(0.85 * one_rm / 2.5) * 2.5),
                        ("deadlift", 3, 5, round(0.85 * one_rm * 1.1 / 2.5) * 2.5),
                        ("walking lunges", 3, 10, round(0.25 * r["mass"] / 2) * 2),
                        ("single-leg deadlift", 3, 8, round(0.2 * r["mass"] / 2) * 2),
                    ]
                else:
                    ex = [
                        ("box jumps", 4, 6, None),
                        ("bounding", 3, 8, None),
                        ("single-leg lateral jumps", 3, 10, None),
                        ("jump squat", 3, 8, None),
                        ("burpees", 2, 10, None),
                    ]
                for name, sets, reps, load in ex:
                    str_rows.append(
                        dict(
                            runner_id=rid,
                            date=date,
                            exercise=name,
                            sets=sets,
                            reps=reps,
                            load_kg=load if load else "",
                            duration_s="",
                            rpe=int(rng.integers(6, 9)),
                        )
                    )
        elif scenario == "sparse_logs":
            for d in range(n_days):
                if d % 7 == 2 and rng.random() < 0.85:
                    date = (start + dt.timedelta(days=d)).isoformat() + "T20:00:00"
                    for name, sets, reps, dur in [
                        ("plank", 3, "", 45),
                        ("fire hydrants", 2, 15, ""),
                        ("glute bridge", 3, 12, ""),
                    ]:
                        str_rows.append(
                            dict(
                                runner_id=rid,
                                date=date,
                                exercise=name,
                                sets=sets,
                                reps=reps,
                                load_kg="",
                                duration_s=dur,
                                rpe=4,
                            )
                        )

        # ---- runner-level (reported) values
        runner_rows.append(
            dict(
                runner_id=rid,
                name=f"Runner {rid}",
                sex=r["sex"],
                birth_year=2025 - r["age"],
                body_mass_kg=round(r["mass"] + rng.normal(0, 0.5), 1),
                hr_rest_bpm=int(round(r["hrrest"] + rng.normal(0, 1.5))),
                hr_max_bpm=""
                if rng.random() < 0.125
                else int(round(r["hrmax"] - rng.uniform(0, 3))),
                vo2max_ml_kg_min=round(r["vo2max"] * (1 + rng.normal(0, 0.03)), 1),
                group=r["group"],
            )
        )

        # ---- wellness
        for d in range(n_days):
            row = {}
            if r["wellness_hr"] and rng.random() < 0.85:
                row["hr_rest_bpm"] = int(
                    round(r["hrrest"] + 1.3 * sleep_hr[d] + hrrest_add[d] + rng.normal(0, 1.8))
                )
            if r["wellness_mass"] and rng.random() < 0.85:
                row["body_mass_kg"] = round(r["mass"] + rng.normal(0, 0.5), 1)
            if row:
                well_rows.append(
                    dict(runner_id=rid, date=(start + dt.timedelta(days=d)).isoformat(), **row)
                )

        # ---- lab tests (3 runners per group: the first three of each)
        idx_in_group = [x["rid"] for x in runners if x["group"] == r["group"]].index(rid)
        if idx_in_group < 3:
            for d, day_econ in (
                (block_start_day - 7, econ[block_start_day - 7]),
                (block_end_day + 2, 1.0 + truth / 100.0),
            ):
                for s, dv in enumerate((0.0, 1.5, 3.0)):
                    v = round(r["v_easy"] + dv, 1)
                    vo2 = v / 60 * r["c0"] * (v / REF_SPEED) ** r["beta"] * day_econ
                    x = (vo2 - 3.5) / (r["vo2max"] * vo2_fac[min(d, n_days - 1)] - 3.5)
                    p = x + r["kappa"] * x * (1 - x)
                    hr = r["hrrest"] + p * (r["hrmax"] - r["hrrest"]) + 0.5 + rng.normal(0, 1.5)
                    lab_rows.append(
                        dict(
                            runner_id=rid,
                            date=(start + dt.timedelta(days=d)).isoformat(),
                            speed_kmh=v,
                            grade_pct=0,
                            vo2_ml_kg_min=round(vo2 * (1 + rng.normal(0, 0.02)), 1),
                            hr_bpm=int(round(hr)),
                            rer=round(0.84 + 0.04 * s + rng.normal(0, 0.01), 2),
                        )
                    )

        # ---- runs
        run_days = []
        for w in range(n_days // 7):
            nw = r["runs_per_week"]
            if r["sparse"]:
                nw = int(rng.integers(2, 4))
            days = {6}
            if nw >= 4:
                days.add(int(rng.choice([1, 2])))
            others = [x for x in range(6) if x not in days]
            rng.shuffle(others)
            for x in others[: nw - len(days)]:
                days.add(x)
            for x in sorted(days):
                run_days.append(7 * w + x)
        if r["holiday"]:
            h0 = block_start_day + 7 * int(rng.integers(2, 7))
            run_days = [d for d in run_days if not (h0 <= d < h0 + 14)]
        quality_toggle = 0
        race_week_phase = int(rng.integers(0, 5))
        for d in run_days:
            w = d // 7
            wdx = d % 7
            in_block = d >= block_start_day
            # run type
            if wdx == 6:
                rtype = "long"
            elif (
                wdx in (1, 2)
                and r["runs_per_week"] >= 4
                and (d == min(x for x in run_days if x // 7 == w and x % 7 in (1, 2)))
            ):
                rtype = "tempo" if quality_toggle % 2 == 0 else "interval"
                quality_toggle += 1
            elif r["races"] and wdx == 5 and w % 5 == race_week_phase:
                rtype = "race"
            elif r["runs_per_week"] >= 5 and wdx == 4:
                rtype = "recovery"
            else:
                rtype = "easy"
            if r["camp"] and w == (block_end_day // 7) and wdx == 5:
                rtype = "race"
            ve = r["v_easy"] * (0.95 if at_camp[d] else 1.0)
            jitter = 1 + rng.normal(0, 0.03)
            segs = []  # (minutes, speed km/h)
            if rtype == "easy":
                dur = rng.uniform(35, 60)
                if scenario == "short_runs" and in_block and r["group"] == "strength":
                    dur = max(20.0, dur * 0.6)
                segs = [(dur, ve * jitter)]
            elif rtype == "recovery":
                dur = rng.uniform(25, 35)
                if scenario == "short_runs" and in_block and r["group"] == "strength":
                    dur = max(20.0, dur * 0.6)
                segs = [(dur, 0.88 * ve * jitter)]
            elif rtype == "long":
                dur = rng.uniform(75, 100)
                if scenario == "marathon_build":
                    target = 150.0 if r["group"] == "strength" else 105.0
                    fr = max(0.0, (d - block_start_day) / (block_end_day - block_start_day))
                    dur = rng.uniform(80, 90) + (target - 85) * fr + rng.normal(0, 5)
                if scenario == "short_runs" and in_block and r["group"] == "strength":
                    dur = dur * 0.8
                v = 0.5 * ve * 0.97 + 0.5 * group_long_week[w] * (0.95 if at_camp[d] else 1.0)
                segs = [(dur, v * (1 + rng.normal(0, 0.015)))]
            elif rtype == "tempo":
                vt = ve * rng.uniform(1.26, 1.33)
                segs = [
                    (15, ve),
                    (rng.uniform(20, 30), vt * (1 + rng.normal(0, 0.02))),
                    (10, 0.9 * ve),
                ]
            elif rtype == "interval":
                vi = ve * 1.5
                segs = [(15, ve)]
                for _ in range(6):
                    segs += [(3, vi), (2, 0.75 * ve)]
                segs += [(10, 0.9 * ve)]
            elif rtype == "race":
                vr = ve * 1.5 * (1 + rng.normal(0, 0.015))
                segs = [(5.0 / vr * 60, vr)]
            # conditions
            hour = r["hour"] + rng.normal(0, 0.5)
            if rtype in ("race",):
                hour = 9.0
            if rtype == "long":
                hour = 8.5
            t_air = (
                temp_day[d]
                + (-2.5 if hour < 9 else (2.0 if 11 <= hour <= 15 else 0.5))
                + rng.normal(0, 1.0)
            )
            rh = rh_day[d] + (10 if hour < 9 else (-8 if 11 <= hour <= 15 else -3))
            rh = float(np.clip(rh, 20, 100))
            if at_camp[d]:
                t_air -= 5.0
                rh = max(25.0, rh - 20)
            sunf = 1.0 if 10 <= hour <= 16 else (0.5 if 8 <= hour <= 18 else 0.05)
            radiant = cfg["sun_max"] * sun_day[d] * sunf
            w_bgt = wbgt(t_air, rh, radiant)
            # hills
            gkm = r["gain_km"] * rng.uniform(0.5, 1.5)
            grade = 0.05
            if at_camp[d]:
                gkm += 15.0
                grade = 0.07
            if scenario == "hilly_trails" and in_block and rtype in ("easy", "long", "recovery"):
                gkm += r["trail_extra"]
                grade = 0.10
            if rtype in ("tempo", "interval", "race"):
                gkm = min(gkm, 4.0)
            hmult, gkm = hill_multiplier(gkm, grade)
            # minute grid
            t_list, v_list = [], []
            t0 = 0.0
            for mins, v in segs:
                nstep = max(1, int(round(mins / DT_MIN)))
                t_list.append(t0 + DT_MIN * (np.arange(nstep) + 0.5))
                v_list.append(np.full(nstep, v))
                t0 += nstep * DT_MIN
            tt = np.concatenate(t_list)
            vv = np.concatenate(v_list)
            total_min = t0
            day_noise = 1 + rng.normal(0, 0.015)
            cost = r["c0"] * (vv / REF_SPEED) ** r["beta"] * hmult * econ[d] * day_noise
            vo2 = vv / 60.0 * cost
            vmax = r["vo2max"] * vo2_fac[d]
            x = (vo2 - 3.5) / (vmax - 3.5)
            p = x + r["kappa"] * x * (1 - x)
            p = np.clip(p, 0, 1.02)
            hr_rest_d = r["hrrest"] + hrrest_add[d]
            hr_max_d = r["hrmax"] + hrmax_add[d]
            heat = r["heat"] * max(0.0, w_bgt - 13.0) ** 1.3
            circ = 1.0 * np.cos(2 * np.pi * (hour + total_min / 120 - 17) / 24)
            hrss = (
                hr_rest_d + p * (hr_max_d - hr_rest_d) + heat + sleep_hr[d] + week_stress[w] + circ
            )
            # first-order kinetics, tau 0.7 min
            a = np.exp(-DT_MIN / 0.7)
            h0 = hr_rest_d + 20
            hr = lfilter([1 - a], [1, -a], hrss, zi=[a * h0])[0]
            drift = r["drift"] * (1 + 0.06 * max(0.0, w_bgt - 10)) * np.maximum(0, tt - 10)
            hr = hr + drift
            # dehydration (matters only when runs are long and warm)
            sweat = 0.5 + 0.06 * max(0.0, t_air - 10)  # L/h
            drink = 0.35 if rtype == "long" else 0.0
            loss_pct = np.maximum(0, sweat - drink) * tt / 60 / r["mass"] * 100
            hr = hr + 3.0 * loss_pct
            hr = np.minimum(hr, hr_max_d + 2)
            avg_hr = float(np.mean(hr)) + rng.normal(0, 2.0)
            max_hr = float(np.max(hr)) + abs(rng.normal(2, 1.5))
            dist = float(np.sum(vv) * DT_MIN / 60.0)
            true_gain = gkm * dist
            if r["gps_only"]:
                gain_rep = true_gain * (1 + rng.normal(0, 0.1)) + 2.0 * dist
            else:
                gain_rep = true_gain * (1 + rng.normal(0, 0.1))
            loss_rep = gain_rep + rng.normal(0, 3)
            ts = dt.datetime.combine(start + dt.timedelta(days=d), dt.time(0, 0)) + dt.timedelta(
                hours=float(np.clip(hour, 5, 21))
            )
            ts = ts.replace(second=0, microsecond=0)
            row = dict(
                runner_id=rid,
                date=ts.isoformat(),
                distance_km=round(dist, 3),
                duration_s=int(round(total_min * 60)),
                avg_hr_bpm=int(round(avg_hr)),
                max_hr_bpm=int(round(max(max_hr, avg_hr + 3))),
                elev_gain_m=int(round(max(0, gain_rep))),
                elev_loss_m=int(round(max(0, loss_rep))),
                temp_c=round(t_air, 1),
                run_type=rtype,
            )
            if r["no_elev"]:
                row["elev_gain_m"] = ""
                row["elev_loss_m"] = ""
            if rng.random() < cfg["temp_missing"]:
                row["temp_c"] = ""
            if rng.random() < cfg["hr_missing"]:
                row["avg_hr_bpm"] = ""
                row["max_hr_bpm"] = ""
            if rng.random() < cfg["type_missing"]:
                row["run_type"] = ""
            run_rows.append(row)

    os.makedirs(out, exist_ok=True)
    pd.DataFrame(runner_rows).to_csv(os.path.join(out, "runners.csv"), index=False)
    pd.DataFrame(run_rows).to_csv(os.path.join(out, "runs.csv"), index=False)
    if str_rows:
        pd.DataFrame(str_rows).to_csv(os.path.join(out, "strength.csv"), index=False)
    if block_rows:
        pd.DataFrame(block_rows).to_csv(os.path.join(out, "blocks.csv"), index=False)
    if lab_rows:
        pd.DataFrame(lab_rows).to_csv(os.path.join(out, "lab_tests.csv"), index=False)
    if well_rows:
        cols = ["runner_id", "date", "hr_rest_bpm", "body_mass_kg"]
        wdf = pd.DataFrame(well_rows).reindex(columns=cols)
        wdf["hr_rest_bpm"] = wdf["hr_rest_bpm"].astype("Int64")
        wdf.to_csv(os.path.join(out, "wellness.csv"), index=False)
    pd.DataFrame(truth_rows).to_csv(os.path.join(out, "truth.csv"), index=False)
    return out


# ----------------------------------------------------------------------------- run + report
def _summ(df, col_change, ci=True):
    err = df[col_change] - df["true_change_pct"]
    res = dict(n=int(err.notna().sum()))
    if res["n"] == 0:
        return res
    res["bias"] = err.mean()
    sq = df.assign(err=err).groupby(["seed"])["err"].mean().dropna()
    res["se"] = sq.std(ddof=1) / np.sqrt(len(sq)) if len(sq) > 1 else np.nan
    res["mae"] = err.abs().mean()
    if ci:
        ok = df[col_change].notna()
        d = df[ok]
        cov = (d["ci_low_pct"] <= d["true_change_pct"]) & (d["true_change_pct"] <= d["ci_high_pct"])
        res["cov"] = cov.mean()
        res["width"] = (d["ci_high_pct"] - d["ci_low_pct"]).mean()
        res["impr"] = int((d["verdict"] == "improved").sum())
        res["wors"] = int((d["verdict"] == "worsened").sum())
        det = d[(d["group"] == "strength") & (d["true_change_pct"] <= -3)]
        res["det"] = (det["verdict"] == "improved").mean() if len(det) else np.nan
        res["n_det"] = len(det)
    return res


def write_report(per, crashes, md_path, meta):
    lines = [
        "# runeco on unseen-physiology squads (benchmarks/unseen_scenarios.py)",
        "",
        meta,
        "",
        "Errors are o2_cost_change_pct - true_change_pct in percentage points (pp); "
        "`own` columns use own_change_pct. SE = SD of squad mean errors / sqrt(squads). "
        "det = share of strength runners with truth <= -3 % called improved. "
        "`raw` = raw_change_pct (the runner's own change before the control reference), "
        "added to show how large each confound is before referencing. With >= 3 controls "
        "a control's headline and own change are referenced to the other controls, so the "
        "control rows' mean headline error is ~0 by construction: read their MAE, "
        "coverage and verdicts, and the raw column.",
        "",
        "| scenario | group | n | n_na | bias pp | SE | MAE | cover | CI width | improved | worsened "
        "| det | own bias | own SE | own MAE | raw bias | raw SE |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def f(x, p=2):
        return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{p}f}"

    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        for grp in ("strength", "control", "all"):
            d = d0 if grp == "all" else d0[d0["group"] == grp]
            if len(d) == 0:
                continue
            s = _summ(d, "o2_cost_change_pct")
            o = _summ(d, "own_change_pct", ci=False)
            rw = _summ(d, "raw_change_pct", ci=False)
            n_na = int(d["o2_cost_change_pct"].isna().sum())
            lines.append(
                f"| {sc} | {grp} | {s['n']} | {n_na} | {f(s.get('bias'))} | {f(s.get('se'))} | "
                f"{f(s.get('mae'))} | {f(s.get('cov'))} | {f(s.get('width'))} | {s.get('impr', '')} | "
                f"{s.get('wors', '')} | {f(s.get('det'))} | {f(o.get('bias'))} | {f(o.get('se'))} | "
                f"{f(o.get('mae'))} | {f(rw.get('bias'))} | {f(rw.get('se'))} |"
            )
    lines += ["", "## Crashes", ""]
    if crashes:
        for c in crashes:
            lines.append(f"- {c}")
    else:
        lines.append("None: every analyze exited 0 and no squad had quarantined rows.")
    lines.append("")
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines))


def run(args):
    scen = [s.strip() for s in args.scenarios.split(",")] if args.scenarios else SCENARIOS
    os.makedirs(args.work, exist_ok=True)
    frames, crashes = [], []
    t_all = time.time()
    for sc in scen:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            sq = os.path.join(args.work, f"{sc}_s{seed}")
            if os.path.exists(sq):
                shutil.rmtree(sq)
            generate(sc, seed, sq)
            out_csv = os.path.join(args.work, f"{sc}_s{seed}_analyze.csv")
            t0 = time.time()
            try:
                pr = subprocess.run(
                    [args.runeco, "analyze", sq, "--out", out_csv, "--quiet"],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                rc = pr.returncode
                err = (pr.stderr or "").strip().splitlines()[-3:]
            except subprocess.TimeoutExpired:
                rc, err = "timeout", []
            el = time.time() - t0
            try:
                vr = subprocess.run(
                    [args.runeco, "validate", sq],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                if vr.returncode != 0:
                    crashes.append(
                        f"{sc} seed {seed}: validate exit {vr.returncode}: "
                        + " / ".join(vr.stdout.strip().splitlines()[-4:])
                    )
            except subprocess.TimeoutExpired:
                crashes.append(f"{sc} seed {seed}: validate timed out")
            print(
                f"[{time.time() - t_all:6.0f}s] {sc} seed {seed}: analyze rc={rc} in {el:.0f}s",
                flush=True,
            )
            if rc != 0 or not os.path.exists(out_csv):
                crashes.append(f"{sc} seed {seed}: analyze exit {rc}: {' / '.join(err)}")
                continue
            res = pd.read_csv(out_csv)
            res = res[res["method"] == "field_hr"].drop(columns=["group"], errors="ignore")
            truth = pd.read_csv(os.path.join(sq, "truth.csv"))
            m = truth.merge(res, on="runner_id", how="left")
            m.insert(0, "seed", seed)
            m.insert(0, "scenario", sc)
            frames.append(m)
            per = pd.concat(frames, ignore_index=True)
            per.to_csv(args.per_runner, index=False)
            write_report(
                per,
                crashes,
                args.md,
                f"Squads: {args.seeds} seeds from {args.first_seed} per scenario (partial "
                f"while running). runeco: {args.runeco}.",
            )
    per = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    per.to_csv(args.per_runner, index=False)
    write_report(
        per,
        crashes,
        args.md,
        f"Squads: {args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1}) "
        f"per scenario; {len(per)} runner rows. runeco: {args.runeco}.",
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--scenario", required=True, choices=SCENARIOS)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, default=2)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--scenarios", default=",".join(SCENARIOS))
    r.add_argument("--runeco", default="runeco")
    r.add_argument("--md", required=True)
    r.add_argument("--per-runner", required=True)
    r.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args(argv)
    if a.cmd == "gen":
        generate(a.scenario, a.seed, a.out)
        print(a.out)
    else:
        run(a)


if __name__ == "__main__":
    main()
