"""Training-load test-data generator for runeco (written blind).

Written without reading runeco's model code, simulator, validation documents or
the other generators' physiology: only docs/DATA_FORMAT.md (the data contract),
docs/SCIENCE.md (the science reference), the CLI's ``--help`` and the
command-line / summary part of benchmarks/coaching_scenarios.py (copied in shape).

Theme: heart rate at a given pace moves with the runner's own training load.
Each runner carries a Banister (1975) impulse-response state built from the
TRIMP of every run: a fitness component (time constant ~38-48 d) that raises
VO2max, a plasma-volume component (fast up, slow down) that lowers submaximal
heart rate, and a fatigue component with Busso's (2003) time-varying gain that
*lowers* submaximal heart rate (parasympathetic over-reaching, Le Meur et al.
2013; Bosquet et al. 2008), plus an acute next-day rise after hard sessions
(our choice). Economy (the truth) changes only through the strength work,
unless a scenario says otherwise. See docs/TRAINING_LOAD_CHECK.md.

    python benchmarks/training_load_scenarios.py gen --scenario plain --seed 501 --out /tmp/sq
    python benchmarks/training_load_scenarios.py run --work /tmp/tl --seeds 10 --first-seed 501 \
        --runeco .venv/bin/runeco --md /tmp/tl.md --per-runner /tmp/tl.csv

numpy and pandas only; every squad is deterministic per (scenario, seed), and a
seed gives the same runners, schedule noise and weather in every scenario.
"""

import argparse
import math
import os
import shutil
import subprocess
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

SCENARIOS = (
    "plain",
    "strength_runs_less",
    "hard_block",
    "taper_race",
    "load_spread",
    "mass_gain",
    "gym_fatigue",
    "offseason_return",
)

N_RUNNERS = 16
N_STRENGTH = 8
BASE_WEEKS = 6
BLOCK_WEEKS = 10
LOG_LEAD_WEEKS = 2  # runs logged from 2 weeks before the baseline
HIST_WEEKS = 30  # simulated, unlogged training history before that
FIRST_WEEK = -(BASE_WEEKS + LOG_LEAD_WEEKS + HIST_WEEKS)  # -38 (weeks relative to block start)
N_DAYS = (BLOCK_WEEKS - FIRST_WEEK) * 7
REF_WEEKS = (-30, -17)  # steady pre-history: reference level of every load state
LOG_FIRST_WEEK = -(BASE_WEEKS + LOG_LEAD_WEEKS)
TAPER_DAYS = 10

# Banister TRIMP weighting (Banister 1991, as in SCIENCE.md section 10)
TRIMP_K = {"M": (0.64, 1.92), "F": (0.86, 1.67)}

STRONG_TYPES = ("interval", "threshold", "race")


def day_of(week, weekday):
    """Index of a day in the simulation (day 0 = Monday of FIRST_WEEK)."""
    return (week - FIRST_WEEK) * 7 + weekday


def week_of(d):
    return d // 7 + FIRST_WEEK


BLOCK_DAY0 = day_of(0, 0)
BLOCK_END_DAY = day_of(BLOCK_WEEKS - 1, 6)
BASE_DAY0 = day_of(-BASE_WEEKS, 0)
LOG_DAY0 = day_of(LOG_FIRST_WEEK, 0)


# --------------------------------------------------------------------------------------
# squad: runners, calendar and weather (identical across scenarios for one seed)
# --------------------------------------------------------------------------------------
def calendar(seed):
    rng = np.random.default_rng([seed, 11])
    block_start = date(2026, 2, 23) + timedelta(weeks=int(rng.integers(0, 14)))  # a Monday
    return block_start


def weather(seed, block_start):
    """Daily mean air temperature [degC]: a temperate season plus AR(1) weather."""
    rng = np.random.default_rng([seed, 7])
    d0 = block_start + timedelta(days=FIRST_WEEK * 7)
    doy = np.array([(d0 + timedelta(days=k)).timetuple().tm_yday for k in range(N_DAYS)])
    clim_mean = 10.5 + rng.normal(0, 1.2)
    clim_amp = 9.0 + rng.normal(0, 1.0)
    season = clim_mean + clim_amp * np.cos(2 * np.pi * (doy - 201) / 365.25)
    phi, sd = 0.78, 3.3
    e = np.zeros(N_DAYS)
    z = rng.standard_normal(N_DAYS)
    e[0] = z[0] * sd
    for k in range(1, N_DAYS):
        e[k] = phi * e[k - 1] + math.sqrt(1 - phi**2) * sd * z[k]
    return season + e


def diurnal(hour):
    """Temperature at the hour relative to the daily mean (min ~6 h, max ~15 h)."""
    return 4.0 * math.cos(2 * np.pi * (hour - 15.0) / 24.0)


def make_runners(seed):
    rng = np.random.default_rng([seed, 1])
    groups = np.array(["strength"] * N_STRENGTH + ["control"] * (N_RUNNERS - N_STRENGTH))
    groups = groups[rng.permutation(N_RUNNERS)]
    runners = []
    for i in range(N_RUNNERS):
        r = {"runner_id": f"R{i + 1:02d}", "idx": i, "group": groups[i]}
        sex = "F" if rng.random() < 0.45 else "M"
        r["sex"] = sex
        r["age"] = int(rng.integers(21, 57))
        r["mass0"] = float(
            np.clip(rng.normal(58, 5) if sex == "F" else rng.normal(70, 6.5), 45, 92)
        )
        r["vo2max0"] = float(
            np.clip(rng.normal(52, 5) if sex == "F" else rng.normal(58, 6), 41, 74)
        )
        r["hrmax"] = float(np.clip(208 - 0.7 * r["age"] + rng.normal(0, 7), 160, 206))
        r["hrrest0"] = float(np.clip(rng.normal(50, 6), 37, 66))
        # economy: gross cost per km at 12 km/h and a log speed slope (individual)
        r["c12"] = float(np.clip(rng.normal(201, 12), 170, 236))
        r["beta"] = float(np.clip(rng.normal(0.10, 0.12), -0.2, 0.4))
        # individual %HRR-%VO2R line (Swain & Leutholtz 1997: 1:1 on average)
        r["hr_a"] = float(np.clip(rng.normal(0.0, 0.035), -0.09, 0.09))
        r["hr_b"] = float(np.clip(rng.normal(1.0, 0.07), 0.82, 1.18))
        # training habits
        r["f_easy"] = float(rng.uniform(0.58, 0.70))
        r["pace_mode"] = "feel" if rng.random() < 0.55 else "pace"
        r["n_runs"] = int(rng.choice([4, 5, 5, 6, 6]))
        r["minutes"] = float(rng.uniform(170, 330))
        r["long_day"] = int(rng.choice([5, 6]))
        r["quality_day"] = int(rng.choice([1, 2]))
        others = [d for d in range(7) if d not in (r["long_day"], r["quality_day"])]
        r["easy_days"] = sorted(rng.choice(others, size=r["n_runs"] - 2, replace=False).tolist())
        r["rotation"] = (
            ["tempo", "interval", "threshold"] if rng.random() < 0.4 else ["tempo", "threshold"]
        )
        r["hour"] = float(rng.choice([6.5, 7.0, 7.5, 12.25, 17.5, 18.5]))
        r["deload"] = bool(rng.random() < 0.5)
        r["deload_phase"] = int(rng.integers(0, 4))
        r["racer"] = bool(rng.random() < 0.55)
        # terrain
        r["hilly"] = float(np.clip(np.exp(rng.normal(math.log(8), 0.6)), 1, 35))  # m climbed per km
        r["k_up"] = float(rng.normal(8.0, 1.0))  # flat metres per metre climbed
        r["k_dn"] = float(rng.normal(3.5, 0.8))  # flat metres saved per metre descended
        # Banister / Busso states
        r["tau_fit"] = float(rng.uniform(38, 48))
        r["tau_fat"] = float(rng.uniform(7, 15))
        r["tau_gain"] = float(rng.uniform(3, 5))
        r["tau_pv_up"] = float(rng.uniform(4, 8))
        r["tau_pv_dn"] = float(rng.uniform(15, 25))
        r["g_vo2"] = float(0.08 * math.exp(rng.normal(0, 0.35)))  # VO2max % per % fitness
        r["g_pv"] = float(0.04 * math.exp(rng.normal(0, 0.4)))  # HRR fraction per % PV load
        r["g_rest"] = float(0.06 * math.exp(rng.normal(0, 0.4)))  # HRrest % per % fitness
        r["c_fat"] = float(np.clip(rng.normal(2.0, 0.8), 0.0, 4.0))  # bpm per unit fatigue
        r["c_acute"] = float(np.clip(rng.normal(1.5, 0.7), 0.0, 3.5))  # bpm the day after
        # heat, drift, rhythm, sensor
        r["t_on"] = float(rng.uniform(9, 16))
        r["h_heat"] = float(np.clip(rng.normal(0.55, 0.18), 0.15, 1.1))
        r["acclim"] = float(rng.uniform(0.15, 0.40))
        r["drift"] = float(np.clip(rng.normal(7.0, 2.5), 2.0, 14.0))  # bpm per hour
        r["circ_amp"] = float(rng.uniform(0.5, 2.5))
        r["circ_peak"] = float(rng.normal(17.0, 1.5))
        r["sensor"] = "optical" if rng.random() < 0.6 else "strap"
        # strength: response (some non-responders), dose and habits
        responder = rng.random() < 0.75
        r["responder"] = bool(responder)
        r["resp"] = float(
            np.clip(rng.normal(-4.5, 1.5), -9, -1)
            if responder
            else np.clip(rng.normal(0, 0.6), -1.2, 1.2)
        )
        r["spw"] = int(rng.choice([2, 2, 2, 3]))
        r["adherence"] = float(rng.uniform(0.75, 1.0))
        r["pair"] = bool(rng.random() < 0.5)  # gym on the quality day ("hard days hard")
        r["program"] = "heavy" if rng.random() < 0.6 else "explosive"
        r["acute_econ"] = float(np.clip(rng.normal(1.8, 0.8), 0.0, 4.0))  # % cost after gym
        r["gym_imp"] = float(np.clip(rng.normal(70, 20), 30, 120))
        r["squat_1rm"] = float(r["mass0"] * rng.uniform(0.9, 1.5))
        r["mass_gain"] = float(rng.uniform(1.0, 2.0))
        # measurement error of runners.csv
        u = rng.random()
        if u < 0.60:
            r["hrmax_meas"] = r["hrmax"] + rng.normal(-1, 2.5)
        elif u < 0.85:
            r["hrmax_meas"] = 208 - 0.7 * r["age"] + rng.normal(0, 1)  # coach wrote the formula
        else:
            r["hrmax_meas"] = np.nan
        r["hrrest_meas"] = r["hrrest0"] + rng.normal(2.0, 2.5) if rng.random() < 0.9 else np.nan
        u = rng.random()
        if u < 0.40:
            r["vo2_src"], r["vo2max_meas"] = "lab", r["vo2max0"] * (1 + rng.normal(0, 0.03))
        elif u < 0.92:
            r["vo2_src"], r["vo2max_meas"] = "watch", r["vo2max0"] * (1 + rng.normal(0.02, 0.06))
        else:
            r["vo2_src"], r["vo2max_meas"] = "none", np.nan
        r["watch_bias"] = float(rng.normal(0.02, 0.05))
        r["mass_meas"] = r["mass0"] + rng.normal(0, 0.7)
        runners.append(r)
    # scenario draws, made for every seed so that they never shift other streams
    rs = np.random.default_rng([seed, 31])
    spread = rs.uniform(0.8, 1.4, N_RUNNERS)
    weigh = np.zeros(N_RUNNERS, bool)
    for g in ("strength", "control"):
        ids = [r["idx"] for r in runners if r["group"] == g]
        weigh[rs.choice(ids, size=len(ids) // 2, replace=False)] = True
    for r in runners:
        r["spread_target"] = float(spread[r["idx"]])
        r["weighs"] = bool(weigh[r["idx"]])
    return runners


# --------------------------------------------------------------------------------------
# training plan (scenario-dependent)
# --------------------------------------------------------------------------------------
def week_mult(r, w, scenario):
    """Volume multiplier of week w (weeks relative to block start)."""
    if w < LOG_FIRST_WEEK:
        m = 0.95
    elif w < 0:
        m = 0.95 + 0.05 * (w - LOG_FIRST_WEEK) / (-LOG_FIRST_WEEK)
    else:
        m = 1.0 + 0.10 * (w + 1) / BLOCK_WEEKS  # gentle rise through the block
    if r["deload"] and (w - r["deload_phase"]) % 4 == 3:
        m *= 0.82
    strength = r["group"] == "strength"
    if scenario == "load_spread" and w >= 0:
        ramp = min(1.0, (w + 1) / 4)
        m *= 1 + (r["spread_target"] - 1) * ramp
    if scenario == "offseason_return" and strength:
        if -17 <= w <= -11:
            m = 0.30
        elif -10 <= w <= -7:
            m *= {-10: 0.55, -9: 0.68, -8: 0.8, -7: 0.9}[w]
    return m


def segments_for(r, kind, dur, f_easy):
    """[(minutes, target fraction of VO2 reserve, tag)] of one session."""
    if kind in ("easy", "long"):
        return [(dur, f_easy - (0.01 if kind == "long" else 0), "")]
    if kind == "recovery":
        return [(dur, f_easy - 0.08, "")]
    if kind == "tempo":
        work = max(15.0, dur - 22)
        return [(12, f_easy, ""), (work, 0.80, ""), (10, f_easy - 0.03, "")]
    if kind == "threshold":
        return [
            (15, f_easy, ""),
            (24, 0.87, ""),
            (6, 0.55, ""),
            (max(8.0, dur - 45), f_easy - 0.03, ""),
        ]
    if kind == "interval":
        segs = [(15, f_easy, "")]
        for _ in range(6):
            segs += [(3, 0.95, "rep"), (2, 0.45, "rec")]
        segs += [(max(8.0, dur - 45), f_easy - 0.03, "")]
        return segs
    raise ValueError(kind)


def plan(r, scenario):
    """Per day: list of sessions {'type', 'minutes', 'hour'} and gym sessions (block only)."""
    days = {}
    strength = r["group"] == "strength"
    for w in range(FIRST_WEEK, BLOCK_WEEKS):
        m = week_mult(r, w, scenario)
        M = r["minutes"] * m
        easy_days = list(r["easy_days"])
        off = scenario == "offseason_return" and strength and -17 <= w <= -11
        if off:  # off-season: three short easy runs, no quality
            sess = {d: ("easy", M / 3) for d in ([r["quality_day"], r["long_day"]] + easy_days)[:3]}
        else:
            if scenario == "strength_runs_less" and strength and w >= 0 and len(easy_days) >= 3:
                easy_days = easy_days[:1] + easy_days[2:]  # one easy run a week goes to the gym
            long_m = float(np.clip(0.27 * M, 55, 150))
            q_m = float(np.clip(0.18 * M, 40, 70))
            if scenario == "strength_runs_less" and strength and w >= 0 and len(r["easy_days"]) < 3:
                long_m *= 0.82
                q_m *= 0.85
                M *= 0.82
            qk = r["rotation"][(w - FIRST_WEEK) % len(r["rotation"])]
            n_e = max(1, len(r["easy_days"]))
            e_m = max(
                20.0, (r["minutes"] * m - 0.27 * r["minutes"] * m - 0.18 * r["minutes"] * m) / n_e
            )
            if scenario == "strength_runs_less" and strength and w >= 0 and len(r["easy_days"]) < 3:
                e_m *= 0.82
            sess = {r["long_day"]: ("long", long_m), r["quality_day"]: (qk, q_m)}
            for d in easy_days:
                kind = "easy"
                if r["n_runs"] >= 6 and d == (r["long_day"] + 1) % 7:
                    kind = "recovery"
                sess[d] = (kind, e_m * (0.7 if kind == "recovery" else 1.0))
            if scenario == "hard_block" and w >= 0:
                for d in ((r["quality_day"] + 2) % 7, 0 if r["long_day"] == 5 else 4):
                    if d in (r["long_day"], r["quality_day"]):
                        d = (d + 1) % 7
                    sess[d] = ("interval", 50.0)
            if r["racer"] and w in (-3, 4):
                sess[5] = ("race5k", 0.0)
        for d, (kind, dur) in sess.items():
            day = day_of(w, d)
            days.setdefault(day, []).append({"type": kind, "minutes": dur})
    if scenario == "taper_race":
        for day in range(BLOCK_END_DAY - TAPER_DAYS + 1, BLOCK_END_DAY + 1):
            for s in days.get(day, []):
                if s["type"] == "long":
                    s["type"], s["minutes"] = "easy", s["minutes"] * 0.45
                elif s["type"] in ("interval", "threshold"):
                    s["type"], s["minutes"] = "tempo", 40.0
                elif s["type"] == "tempo":
                    s["minutes"] = 40.0
                elif s["type"] != "race5k":
                    s["minutes"] *= 0.55
        days[BLOCK_END_DAY] = [{"type": "race10k", "minutes": 0.0}]
        days[BLOCK_END_DAY - 1] = [{"type": "easy", "minutes": 20.0}]
    gym = set()
    if strength:
        if r["pair"]:
            cand = [r["quality_day"]] + [d for d in r["easy_days"] if d != (r["long_day"] - 1) % 7]
        else:
            cand = [
                d
                for d in range(7)
                if d not in (r["quality_day"], r["long_day"], (r["long_day"] - 1) % 7)
            ]
        gdays = (
            cand[: r["spw"]] if r["pair"] else cand[:: max(1, len(cand) // r["spw"])][: r["spw"]]
        )
        for w in range(0, BLOCK_WEEKS):
            for d in gdays:
                gym.add(day_of(w, d))
        if scenario == "taper_race":
            gym = {g for g in gym if g < BLOCK_END_DAY - 5}
    return days, sorted(gym)


# --------------------------------------------------------------------------------------
# physiology of one runner
# --------------------------------------------------------------------------------------
def solve_speed(vo2, c12, beta, factor):
    """Speed [km/h] at which the gross VO2 [ml/kg/min] is reached on that cost curve."""
    v = 10.0
    for _ in range(8):
        c = c12 * factor * (1 + beta * math.log(max(v, 3.0) / 12.0))
        v = 60.0 * vo2 / c
    return float(np.clip(v, 5.0, 24.0))


def cost_per_km(c12, beta, v, factor):
    return c12 * factor * (1 + beta * math.log(v / 12.0))


def strength_curve(x):
    """Chronic effect time course: share of the full effect after x weeks of sessions.

    Delayed logistic (our choice): little in the first 2 weeks (neural), half by
    ~4.5 weeks, complete by ~8-9 weeks of the planned frequency."""
    lg = lambda t: 1 / (1 + math.exp(-(t - 4.5) / 1.2))  # noqa: E731
    return float(np.clip((lg(x) - lg(0)) / (lg(10) - lg(0)), 0, 1.05))


def simulate_runner(r, scenario, seed, block_start, tday):
    i = r["idx"]
    rng = np.random.default_rng([seed, 2000 + i])
    Z = rng.standard_normal((N_DAYS, 16))
    U = rng.random((N_DAYS, 8))
    G = rng.standard_normal((N_DAYS, 6))
    days, gym_days = plan(r, scenario)
    strength = r["group"] == "strength"
    a_fit = 1 - math.exp(-1 / r["tau_fit"])
    a_fat = 1 - math.exp(-1 / r["tau_fat"])
    a_gain = 1 - math.exp(-1 / r["tau_gain"])
    a_pu = 1 - math.exp(-1 / r["tau_pv_up"])
    a_pd = 1 - math.exp(-1 / r["tau_pv_dn"])
    a_acc = 1 - math.exp(-1 / 8.0)
    kT, bT = TRIMP_K[r["sex"]]
    # initial states at a rough steady level (the first 8 weeks are burn-in)
    L0 = r["minutes"] * 0.95 / 7 * 0.65 * kT * math.exp(bT * 0.65) * 1.1
    fit, pv, gain, fat, acc = L0, L0, L0, L0 * L0, 0.0
    ref = None
    ref_acc = {"fit": [], "pv": [], "fat": []}
    vo2max_abs0 = r["vo2max0"] * r["mass0"]
    # fixed paces of "pace" runners, set from their habitual fitness
    pace_v = {}
    for k, f in (
        ("easy", r["f_easy"]),
        ("long", r["f_easy"] - 0.01),
        ("recovery", r["f_easy"] - 0.08),
    ):
        pace_v[k] = solve_speed(3.5 + f * (r["vo2max0"] - 3.5), r["c12"], r["beta"], 1.0)
    runs, gyms, well = [], [], []
    gym_done = []  # (day, hour, acute %)
    state_log = {}
    acute_hr = np.zeros(N_DAYS + 3)
    n_gym = 0
    for d in range(N_DAYS):
        w = week_of(d)
        # ---- morning state --------------------------------------------------------------
        if ref is None and w >= REF_WEEKS[1] + 1:
            ref = {k: float(np.mean(v)) for k, v in ref_acc.items()}
        if REF_WEEKS[0] <= w <= REF_WEEKS[1]:
            ref_acc["fit"].append(fit)
            ref_acc["pv"].append(pv)
            ref_acc["fat"].append(fat)
        rf = ref or {"fit": fit, "pv": pv, "fat": fat}
        fit_rel = fit / rf["fit"] - 1
        pv_rel = pv / rf["pv"] - 1
        fat_rel = float(np.clip(fat / rf["fat"] - 1, -0.9, 3.0))
        # body mass (hypertrophy in mass_gain, strength runners only)
        mass = r["mass0"]
        if scenario == "mass_gain" and strength and d >= BLOCK_DAY0:
            x = (d - BLOCK_DAY0) / 7.0
            mass += r["mass_gain"] * float(np.clip((x - 1.5) / (BLOCK_WEEKS - 1.5), 0, 1))
        vo2max_pk = vo2max_abs0 * (1 + float(np.clip(r["g_vo2"] * fit_rel, -0.08, 0.08))) / mass
        hrrest = r["hrrest0"] * (1 - float(np.clip(r["g_rest"] * fit_rel, -0.08, 0.08)))
        pv_eff = float(np.clip(r["g_pv"] * pv_rel, -0.04, 0.04))
        fat_bpm = -r["c_fat"] * fat_rel
        # chronic strength effect on the cost of running (the truth)
        sess_before = sum(1 for g in gym_done if g[0] < d)
        chronic = 0.0
        if strength and d >= BLOCK_DAY0:
            chronic = r["resp"] / 100 * strength_curve(sess_before / r["spw"])
        state_log[d] = dict(
            vo2max_pk=vo2max_pk,
            hrrest=hrrest,
            pv_eff=pv_eff,
            fat_bpm=fat_bpm,
            chronic=chronic,
            mass=mass,
        )

        def hr_at(vo2, vo2max_pk=vo2max_pk, pv_eff=pv_eff, hrrest=hrrest):
            x = (vo2 - 3.5) / (vo2max_pk - 3.5)
            frac = float(np.clip(r["hr_a"] + r["hr_b"] * x, 0.03, 1.0)) * (1 - pv_eff)
            return hrrest + frac * (r["hrmax"] - hrrest)

        # ---- the day's gym session (block), with the day's time --------------------------
        gym_today = None
        if d in gym_days and U[d, 0] < r["adherence"]:
            run_hour = r["hour"]
            gh = max(run_hour + 1.5, 12.5) if r["pair"] else (12.5 if r["hour"] > 12 else 18.5)
            rb = 0.6 + 0.9 * math.exp(-len(gym_done) / 5.0)  # repeated-bout effect
            gym_today = (d, gh, r["acute_econ"] * rb / 100)
        # ---- the day's runs ---------------------------------------------------------------
        day_load = 0.0
        heat_dose = 0.0
        for s in days.get(d, []):
            kind = s["type"]
            if kind not in ("race5k", "race10k") and U[d, 1] < 0.04:
                continue  # skipped (busy, niggle)
            hour = r["hour"] + 0.5 * Z[d, 0]
            if kind.startswith("race"):
                hour = 9.0 + 0.3 * Z[d, 0]
            hour = float(np.clip(hour, 5.5, 20.5))
            t_air = tday[d] + diurnal(hour) + 1.0 * Z[d, 1]
            # economy of this run: chronic + acute after gym + day-to-day
            acute = 0.0
            last = [g for g in gym_done if (g[0] < d) or (g[0] == d and g[1] < hour)]
            if gym_today and gym_today[1] < hour:
                last.append(gym_today)
            if last:
                g = last[-1]
                dd = d - g[0]
                acute = g[2] * (1.0 if dd <= 1 else 0.4 if dd == 2 else 0.0)
            econ = (1 + chronic) * (1 + acute) * (1 + 0.015 * Z[d, 2])
            # terrain
            gain_pk = r["hilly"] * math.exp(0.45 * Z[d, 3])
            loss_pk = gain_pk * (1 + 0.06 * Z[d, 4])
            if kind.startswith("race"):
                gain_pk, loss_pk = gain_pk * 0.5, gain_pk * 0.5 * (1 + 0.03 * Z[d, 4])
            hill = (
                1
                + (r["k_up"] * gain_pk - r["k_dn"] * loss_pk) / 1000
                + 0.004 * math.sqrt(gain_pk) * Z[d, 5]
            )
            taper = scenario == "taper_race" and d > BLOCK_END_DAY - TAPER_DAYS
            # segments
            if kind.startswith("race"):
                dist_target = 5.0 if kind == "race5k" else 10.0
                f_race = 0.98 if kind == "race5k" else 0.93
                vo2 = 3.5 + f_race * (vo2max_pk - 3.5)
                v = solve_speed(vo2, r["c12"], r["beta"], econ * hill)
                segs = [(dist_target / v * 60, f_race, "race")]
                logged_type = "race"
            else:
                f_e = r["f_easy"] + 0.02 * Z[d, 6]
                dur = s["minutes"]
                if kind in ("easy", "long", "recovery"):
                    dur *= 1 + 0.12 * Z[d, 7]
                segs = segments_for(r, kind, dur, f_e)
                logged_type = kind
            tot_min = sum(m for m, _, _ in segs)
            hr_sum = dist = load = 0.0
            for m, f, tag in segs:
                if r["pace_mode"] == "pace" and tag == "" and kind in pace_v and f > 0.5:
                    v = (
                        pace_v[kind]
                        * (1 + 0.6 * (vo2max_pk / r["vo2max0"] - 1))
                        * (1 + 0.03 * Z[d, 8])
                    )
                    if taper:
                        v *= 1.02
                    vo2 = cost_per_km(r["c12"], r["beta"], v, econ * hill) * v / 60
                elif tag == "race":
                    v = solve_speed(3.5 + f * (vo2max_pk - 3.5), r["c12"], r["beta"], econ * hill)
                    vo2 = 3.5 + f * (vo2max_pk - 3.5)
                else:
                    f_t = f - (0.004 * max(0.0, t_air - 15) if r["pace_mode"] == "feel" else 0.0)
                    target = 3.5 + f_t * (vo2max_pk - 3.5)
                    v = solve_speed(target, r["c12"], r["beta"], econ * hill**0.6) * (
                        1 + 0.025 * Z[d, 9]
                    )
                    if taper and kind == "easy":
                        v *= 1.02
                    vo2 = cost_per_km(r["c12"], r["beta"], v, econ * hill) * v / 60
                h = hr_at(vo2)
                if tag == "rep":
                    h -= 5.0  # heart rate lags in 3-min repetitions
                elif tag == "rec":
                    h += 15.0  # and stays up in the jog recoveries
                h = min(h, r["hrmax"] - 1)
                dist += v * m / 60
                hr_sum += h * m
                dhr = float(np.clip((h - hrrest) / (r["hrmax"] - hrrest), 0, 1))
                load += m * dhr * kT * math.exp(bT * dhr)
            hr_mean = hr_sum / tot_min
            heat = (
                r["h_heat"] * (1 - r["acclim"] * acc) * max(0.0, t_air - r["t_on"])
                + 0.04 * max(0.0, t_air - 22) ** 2
            )
            drift = (
                r["drift"]
                * (1 + 0.05 * max(0.0, t_air - 15))
                * max(0.0, tot_min - 20) ** 2
                / (120 * tot_min)
            )
            circ = r["circ_amp"] * math.cos(2 * np.pi * (hour - r["circ_peak"]) / 24)
            hr_true = hr_mean + heat + drift + circ + fat_bpm + acute_hr[d] + 1.8 * Z[d, 10]
            hr_true = min(hr_true, r["hrmax"] - 2)
            heat_dose = max(heat_dose, float(np.clip((t_air - 18) / 10, 0, 1)))
            # the impulse uses the true heart rate shifts too (what the body did)
            shift = hr_true - hr_mean
            load *= max(0.5, 1 + shift / max(20.0, hr_mean - hrrest))
            day_load += load
            if kind in STRONG_TYPES or kind.startswith("race"):
                acute_hr[d + 1] += r["c_acute"]
                acute_hr[d + 2] += 0.4 * r["c_acute"]
            elif kind in ("long", "tempo"):
                acute_hr[d + 1] += 0.5 * r["c_acute"]
            if d < LOG_DAY0:
                continue
            # ---- what the watch writes ----------------------------------------------------
            hr_log = hr_true + (2.5 * Z[d, 11] if r["sensor"] == "optical" else 0.6 * Z[d, 11])
            if r["sensor"] == "optical" and U[d, 2] < 0.012:
                hr_log = 163 + 5 * Z[d, 12]  # cadence lock
            if kind.startswith("race") or kind == "interval":
                maxhr = r["hrmax"] - abs(2 + 1.5 * Z[d, 12])
            else:
                maxhr = min(r["hrmax"] - 1, hr_true + 7 + 0.3 * gain_pk + 2 * abs(Z[d, 12]))
            dist_log = dist * (1 + 0.012 * Z[d, 13])
            ts = datetime.combine(block_start, datetime.min.time()) + timedelta(
                days=d - BLOCK_DAY0, hours=hour
            )
            ts = ts.replace(second=0, microsecond=0)
            row = {
                "runner_id": r["runner_id"],
                "date": ts.strftime("%Y-%m-%dT%H:%M:00"),
                "distance_km": round(dist_log, 2),
                "duration_s": int(round(tot_min * 60)),
                "avg_hr_bpm": int(round(hr_log)),
                "max_hr_bpm": int(round(max(maxhr, hr_log + 3))),
                "elev_gain_m": int(round(gain_pk * dist * (1 + 0.08 * Z[d, 14]))),
                "elev_loss_m": int(round(loss_pk * dist * (1 + 0.08 * Z[d, 15]))),
                "temp_c": round(t_air + 0.8 * G[d, 0], 1),
                "run_type": logged_type if U[d, 3] > 0.05 else "",
                "vo2max_est_ml_kg_min": "",
            }
            if r["vo2_src"] == "watch" and dist > 3:
                row["vo2max_est_ml_kg_min"] = int(
                    round(vo2max_pk * (1 + r["watch_bias"]) + 0.6 * G[d, 1])
                )
            if U[d, 4] < 0.025:
                row["avg_hr_bpm"] = ""
                row["max_hr_bpm"] = ""
            if U[d, 5] < 0.04:
                row["temp_c"] = ""
            if U[d, 6] < 0.02:
                row["elev_gain_m"] = ""
                row["elev_loss_m"] = ""
            runs.append(row)
        # ---- gym, after the runs of the day ------------------------------------------------
        if gym_today is not None:
            gym_done.append(gym_today)
            n_gym += 1
            gyms.extend(gym_rows(r, gym_today, n_gym, block_start))
        fat_load = day_load
        if gym_today is not None and scenario == "gym_fatigue":
            fat_load += r["gym_imp"]  # gym work feeds fatigue (and its Busso gain), not fitness
        # wellness (mass_gain): morning body mass and resting heart rate, 5 of 7 days
        if scenario == "mass_gain" and r["weighs"] and d >= LOG_DAY0 and U[d, 7] < 0.72:
            dt = block_start + timedelta(days=d - BLOCK_DAY0)
            well.append(
                {
                    "runner_id": r["runner_id"],
                    "date": dt.isoformat(),
                    "hr_rest_bpm": int(round(hrrest + 1 + 2.2 * G[d, 2])),
                    "body_mass_kg": round(mass + 0.5 * G[d, 3], 1),
                }
            )
        # ---- evening: update the load states -----------------------------------------------
        fit += a_fit * (day_load - fit)
        pv += (a_pu if day_load > pv else a_pd) * (day_load - pv)
        gain += a_gain * (fat_load - gain)
        fat += a_fat * (fat_load * gain - fat)
        acc += a_acc * (heat_dose - acc)
    return runs, gyms, well, state_log, ref


EXERCISES = {
    "heavy": [
        ("back squat", 4, 5, "squat"),
        ("single-leg deadlift", 3, 8, 16.0),
        ("walking lunges", 3, 10, 12.0),
        ("calf raise", 3, 12, 30.0),
        ("plank", 3, None, None),
    ],
    "explosive": [
        ("jump squat", 4, 6, 20.0),
        ("single-leg lateral jumps", 3, 8, 0.0),
        ("pistol squats", 3, 6, 0.0),
        ("burpees", 3, 10, 0.0),
        ("glute bridge", 3, 12, 20.0),
    ],
}


def gym_rows(r, g, n, block_start):
    d, hour, _ = g
    ts = datetime.combine(block_start, datetime.min.time()) + timedelta(
        days=d - BLOCK_DAY0, hours=hour
    )
    prog = 1 + 0.012 * (n - 1)
    rows = []
    for name, sets, reps, load in EXERCISES[r["program"]]:
        row = {
            "runner_id": r["runner_id"],
            "date": ts.strftime("%Y-%m-%dT%H:%M:00"),
            "exercise": name,
            "sets": sets,
            "reps": "" if reps is None else reps,
            "load_kg": "",
            "duration_s": "",
            "rpe": 7 if r["program"] == "heavy" else 6,
        }
        if load == "squat":
            row["load_kg"] = round(r["squat_1rm"] * 0.82 * prog / 2.5) * 2.5
        elif load:
            row["load_kg"] = round(load * prog / 2) * 2
        if reps is None:
            row["duration_s"] = 45
        rows.append(row)
    return rows


def hr_read_confound(r, state_log):
    """HR-read change in cost at a fixed easy pace from the load states (and mass) alone.

    Economy held at baseline, no weather/drift/noise; read back through the nominal
    %HRR = %VO2R line with the runner's true HRmax, HRrest and VO2max at habitual
    fitness (fixed). Baseline = mean over the 6 baseline weeks; end = mean over the
    block's last 14 days. Percent; positive = reads as a worse economy."""
    v = solve_speed(3.5 + r["f_easy"] * (r["vo2max0"] - 3.5), r["c12"], r["beta"], 1.0)
    vo2 = cost_per_km(r["c12"], r["beta"], v, 1.0) * v / 60

    def hr(s):
        x = (vo2 - 3.5) / (s["vo2max_pk"] - 3.5)
        frac = float(np.clip(r["hr_a"] + r["hr_b"] * x, 0.03, 1.0)) * (1 - s["pv_eff"])
        return s["hrrest"] + frac * (r["hrmax"] - s["hrrest"]) + s["fat_bpm"]

    def read(h):
        return 3.5 + (h - r["hrrest0"]) / (r["hrmax"] - r["hrrest0"]) * (r["vo2max0"] - 3.5)

    hb = np.mean([hr(state_log[d]) for d in range(BASE_DAY0, BLOCK_DAY0)])
    he = np.mean([hr(state_log[d]) for d in range(BLOCK_END_DAY - 13, BLOCK_END_DAY + 1)])
    return 100 * (read(he) / read(hb) - 1)


def abs_vo2max(state):
    """VO2max in ml/min of a day's state."""
    return state["vo2max_pk"] * state["mass"]


def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}")
    os.makedirs(out, exist_ok=True)
    block_start = calendar(seed)
    tday = weather(seed, block_start)
    runners = make_runners(seed)
    all_runs, all_gym, all_well, truth, rrows, blocks = [], [], [], [], [], []
    block_end = block_start + timedelta(days=BLOCK_WEEKS * 7 - 1)
    for r in runners:
        runs, gyms, well, st, ref = simulate_runner(r, scenario, seed, block_start, tday)
        all_runs += runs
        all_gym += gyms
        all_well += well
        strength = r["group"] == "strength"
        s_end = st[BLOCK_END_DAY]
        true_pct = 100 * s_end["chronic"] if strength else 0.0
        rdf = pd.DataFrame(runs)
        vo2max_base = np.mean([abs_vo2max(st[d]) for d in range(BASE_DAY0, BLOCK_DAY0)])
        t = {
            "runner_id": r["runner_id"],
            "group": r["group"],
            "true_change_pct": round(true_pct, 3),
            "hr_confound_pct": round(hr_read_confound(r, st), 3),
            "responder": r["responder"] if strength else "",
            "gym_sessions": sum(1 for g in gyms if g["exercise"] == EXERCISES[r["program"]][0][0]),
            "vo2max_change_pct": round(100 * (abs_vo2max(s_end) / vo2max_base - 1), 3),
            "minutes_ratio": round(
                block_minutes(rdf, block_start, 0, BLOCK_WEEKS * 7)
                / block_minutes(rdf, block_start, -BASE_WEEKS * 7, 0),
                3,
            ),
            "affected": False,
        }
        if scenario == "mass_gain":
            m_end = s_end["mass"]
            t["mass_change_kg"] = round(m_end - r["mass0"], 3)
            t["true_change_per_baseline_kg_pct"] = round(
                100 * ((1 + true_pct / 100) * m_end / r["mass0"] - 1), 3
            )
            t["weighs"] = r["weighs"]
            t["affected"] = r["weighs"]
        if scenario == "load_spread":
            t["affected"] = r["spread_target"] >= 1.1
            t["load_target"] = round(r["spread_target"], 3)
        truth.append(t)
        rrows.append(
            {
                "runner_id": r["runner_id"],
                "name": f"Runner {r['idx'] + 1}",
                "sex": r["sex"],
                "birth_year": 2026 - r["age"],
                "body_mass_kg": round(r["mass_meas"], 1),
                "hr_rest_bpm": "" if np.isnan(r["hrrest_meas"]) else int(round(r["hrrest_meas"])),
                "hr_max_bpm": "" if np.isnan(r["hrmax_meas"]) else int(round(r["hrmax_meas"])),
                "vo2max_ml_kg_min": ""
                if np.isnan(r["vo2max_meas"])
                else round(r["vo2max_meas"], 1),
                "group": r["group"],
            }
        )
        if strength:
            blocks.append(
                {
                    "runner_id": r["runner_id"],
                    "block_start": block_start.isoformat(),
                    "block_end": block_end.isoformat(),
                    "label": "strength block",
                }
            )
    pd.DataFrame(rrows).to_csv(os.path.join(out, "runners.csv"), index=False)
    runs_df = pd.DataFrame(all_runs)
    if (runs_df["vo2max_est_ml_kg_min"] == "").all():
        runs_df = runs_df.drop(columns=["vo2max_est_ml_kg_min"])
    runs_df.to_csv(os.path.join(out, "runs.csv"), index=False)
    pd.DataFrame(all_gym).to_csv(os.path.join(out, "strength.csv"), index=False)
    pd.DataFrame(blocks).to_csv(os.path.join(out, "blocks.csv"), index=False)
    if all_well:
        pd.DataFrame(all_well).to_csv(os.path.join(out, "wellness.csv"), index=False)
    pd.DataFrame(truth).to_csv(os.path.join(out, "truth.csv"), index=False)
    return out


def block_minutes(rdf, block_start, lo, hi):
    """Running minutes per day between day lo and hi (relative to block start) in the log."""
    if len(rdf) == 0:
        return np.nan
    d = (pd.to_datetime(rdf["date"]) - pd.Timestamp(block_start)).dt.days
    sel = (d >= lo) & (d < hi)
    return rdf.loc[sel, "duration_s"].sum() / 60 / (hi - lo)


# --------------------------------------------------------------------------------------
# run: generate, validate, analyze, summarise (shape of coaching_scenarios.py)
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
        "| improved | worsened | det | raw bias | raw SE | load confound pp |",
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
                f"| {_f(rw.get('bias'))} | {_f(rw.get('se'))} | {_f(d['hr_confound_pct'].mean())} |"
            )
    return lines


def write_report(per, problems, md_path, meta):
    lines = [
        "# runeco on training-load squads (benchmarks/training_load_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`. Errors are o2_cost_change_pct - true_change_pct in "
        "percentage points (pp); SE = SD over squads (seeds) of the squad's mean error / "
        "sqrt(squads). answered = a row whose verdict is not `insufficient data`. cover = share "
        "of runners whose [ci_low_pct, ci_high_pct] holds the truth. det = share of strength "
        "runners with truth <= -3 % called `improved`. raw = raw_change_pct (own change, "
        "before control reference and pooling) against the same truth. load confound = mean "
        "of truth.csv's hr_confound_pct: the change in cost a fixed %HRR=%VO2R reading would "
        "show at a fixed easy pace from the load states (and body mass) alone.",
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
                f"[{time.time() - t_all:6.0f}s] {sc} seed {seed}: analyze rc={rc} in {time.time() - t0:.1f}s",
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
        f"per scenario, {N_RUNNERS} runners each; {len(per)} runner rows; runeco: `{args.runeco}`; "
        f"total run time {elapsed / 60:.1f} min."
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
