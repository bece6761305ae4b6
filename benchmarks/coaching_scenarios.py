"""Coaching-life test-data generator for runeco (the sixth generator, written blind).

Written without reading runeco's model code, simulator, validation documents or the
other generators' physiology: only docs/DATA_FORMAT.md (the data contract),
docs/SCIENCE.md (the science reference), the CLI's ``--help`` and the command-line
shape of benchmarks/unseen_scenarios.py were used. Sources are cited from memory
(author, year, gist); the numbers are rounded as remembered, and where a number is
my own choice it says so.

Squad and calendar
------------------
16 runners, 8 strength and 8 control (group in runners.csv; a blocks.csv row for every
strength runner; controls have no block row and no strength sessions). A 6-week
baseline (42 days) then a 10-week block (70 days, block_end = block_start + 69).
Temperate season: baseline from Monday 2025-01-13, block 2025-02-24 .. 2025-05-04.
Runs exist from the first baseline day to the runner's block_end (controls: the squad's last
block_end).

Truth
-----
``true_change_pct``: the percent change in the oxygen cost of running (ml/kg/km) on
flat ground at any fixed speed (the strength effect multiplies the whole cost-speed
curve) from the baseline (where it is 0) to the runner's block_end, caused by the
strength work only. Controls: 0. Strength runners: U(-6, 0) % (SCIENCE.md section 8:
2-5 %, extreme 2-8 %; Denadai et al. 2017: -3.9 % vs control). Nothing else in any
scenario changes economy except the unlogged shoes of ``new_shoes`` (own column
``true_shoe_pct``). Acute post-session fatigue (below) is excluded from the truth.

Time course of the strength effect (my choice): it follows the cumulative number of
strength sessions S(t) through a saturating curve,
h(t) = (1 - exp(-S(t)/k)) / (1 - exp(-S_end/k)), k ~ U(8, 30) sessions per runner
(k = 30 is close to a linear ramp; k = 8 is mostly done by mid-block, as in the
early neural phase of strength adaptation, Sale 1988). Missed sessions stall it.

Base physiology (``plain``; every scenario starts from it)
---------------------------------------------------------
* Flat cost per km at 12 km/h C0 ~ N(200, 12) ml/kg/km (trained runners 180-220,
  SCIENCE.md section 5). Speed dependence per runner: C(v) = C0 (1 + s (v-12)/12) with
  s ~ N(0.03, 0.04) (net cost per km nearly speed-independent, Margaria et al. 1963;
  Daniels' curve rises ~13 % from 9 to 15 km/h), plus air resistance
  0.04 (v/18)^2 of the cost (Pugh 1971: ~2 % at 12 km/h, ~8 % at middle-distance
  speeds), normalised to 1 at 12 km/h.
* Grade: each metre climbed adds c_up ~ 1.1 ml/kg (about 22 J/kg per metre; Minetti
  et al. 2002 at 5-10 % grade), each metre descended saves c_down ~ 0.65 ml/kg (less
  than Minetti's 0.7-0.85: braking on road descents; my choice), both x U(0.85, 1.15)
  per runner. Routes are loops; gain per km is runner-typical U(3, 20) m/km x
  lognormal(0, 0.45) per run; loss = gain x U(0.92, 1.08); logged with 8 % barometric
  error. Runners slow by half the hill's extra cost (running by effort).
* Day-to-day biological variation of economy CV 1.8 % (Saunders et al. 2004: ~2 %),
  independent by run (wind and surface included).
* Residual fatigue after strength sessions (Doma, Deakin & Bentley 2017): +1.5 % cost
  for runs within 24 h after a session, +0.7 % for 24-48 h (magnitudes my choice;
  the repeated-bout effect attenuates the 2-5 % of single-bout studies).
* Heart rate from uptake: %HRR = a + b %VO2R (VO2rest 3.5), Swain & Leutholtz 1997's
  1:1 line with per-runner a ~ N(0, 0.03), b ~ N(1, 0.05) (individual regressions
  scatter around the line). HRmax ~ 208 - 0.7 age + N(0, 7) (Tanaka et al. 2001),
  HRrest ~ N(48, 6) (trained), VO2max ~ N(58, 5) men / N(52, 4.5) women.
  runners.csv records HRmax + N(0, 2), HRrest + N(2, 2) (device resting HR reads a few
  bpm high; SCIENCE.md section 7), VO2max x (1 + N(0, 0.04)) (a lab test or estimate).
* HR on-kinetics: the run's average is lowered by (HRss - (HRrest + 25)) x 1.0 min /
  duration (tau about 1 min at moderate intensity).
* Cardiac drift (Coyle & Gonzalez-Alonso 2001): linear from minute 10 at
  d0 ~ U(0.06, 0.15) bpm/min x (1 + 0.06 max(0, T - 10)); the run's average carries
  d (D - 10)^2 / (2 D).
* Heat: +k (T - T0)+ bpm with k ~ U(0.35, 0.8) bpm/degC, T0 ~ U(10, 16) degC per runner
  (SCIENCE.md section 6: no verified constant; +10-15 bpm from cool to ~35 degC,
  Gonzalez-Alonso et al. 1999). Acclimatisation state s (below) reduces it by a x s,
  a ~ U(0.4, 0.6).
* Heat acclimatisation (Periard, Racinais & Sawka 2015: most of the HR reduction within
  ~1 week, complete in 10-14 days; decay ~2.5 %/day without heat, Daanen et al. 2018):
  s += (1 - s)(1 - exp(-1/4)) on a day with a run at >= 22 degC, else s *= exp(-1/30).
* Day-to-day HR noise N(0, 2.5) bpm (Achten & Jeukendrup 2003: 2-4 bpm), chest-strap
  sensor noise on the run's average N(0, 0.5) bpm. Circadian +1.5 cos(2 pi (h - 17)/24)
  bpm (Reilly & Brooks 1990); each runner has a habitual run time.
* Season: one shared aerobic-fitness trend, HR at a given uptake x (1 - 0.01 t/T) over
  the whole period (identical for every runner, so a difference in differences removes
  it). Temperature: daily mean 11 + 9.5 cos(2 pi (doy - 200)/365) degC (temperate), a
  shared AR(1) weather anomaly (phi 0.75, SD 3 degC) and a diurnal swing of +-4.5 degC
  peaking at 15:00; temp_c is the weather at the run's start + N(0, 0.8).
* Week: 4-6 runs (runner's habit): a long run on Sunday (80-120 min at 65-70 %
  VO2max), a quality session on Tuesday alternating intervals (run_type interval; 5-6
  x 3-4 min at ~97 % VO2max in 15 min warm-up/cool-down), tempo (82 %) and threshold
  (87 %), easy runs (62-70 %), a recovery run (57 %) from 6 runs. 8 % of runs skipped,
  speed +-3 % by feel, runners pace so that half an economy gain becomes speed.
  Two races per runner (5K/10K, baseline week 3 and block week 9, ~93-96 % VO2max).
  rpe on 60 % of runs, cadence_spm on every run (c0 ~ N(172, 5) + 2.2/(km/h)).
  2 % of runs have no heart rate.
* Strength sessions (strength runners, block only): two a week on the runner's two
  evenings at 19:00 (datetime), back squat 4x5 at ~82 % 1RM (heavy), single-leg
  deadlift, walking lunges, box jumps (plyometric), calf raise, plank; 10 % of sessions
  missed. A run on a session's evening is at 17:30-18:30, before the session.

Scenarios (each changes one thing)
----------------------------------
* ``plain``: the above.
* ``illness_break``: 2-3 runners per group ill in the block: no runs or sessions for
  U(10, 20) days starting on block day U(21, 42); after return HR at a given uptake is
  higher by U(3, 7) x days/15 bpm (plasma-volume loss, Mujika & Padilla 2000: submaximal
  HR rises within 2-4 weeks of detraining), falling linearly to 0 over U(14, 28) days;
  the first week back has easy runs only. Economy is unaffected (truth unchanged);
  ``ill_hr_end_bpm`` is the residual at block_end.
* ``staggered_starts``: strength runners' block_start = 2025-02-24 + offsets spread
  evenly over 0-28 days (shuffled), each block 10 weeks; controls have no block row
  (contract: controls are modelled over the squad's earliest start to latest end).
* ``wandering_runners``: 4 runners per group carry a daily AR(1) state on HR at a given
  uptake, phi = exp(-1/21) (3-week memory), SD U(2, 3) % (life stress, sleep,
  allergies: my choice within the brief's numbers); the others are quiet.
* ``new_shoes``: 4 runners per group switch on block day U(7, 49) to a lighter, more
  cushioned shoe that lowers cost by U(1, 4) % (Hoogkamer et al. 2018: ~4 % for a
  carbon-plated shoe; ordinary lighter shoes ~1 % per 100 g, Franz et al. 2012). Not
  logged. ``true_shoe_pct`` is the shoe's change (negative), ``true_total_change_pct``
  strength and shoe together.
* ``strap_and_optical``: every run is recorded either with a chest strap ("Polar H10")
  or the watch's optical sensor ("Forerunner 255 optical") at random (optical share
  U(0.3, 0.7) per runner), named in runs.csv's ``device``. Optical: extra noise
  N(0, 3.5) bpm on the run's average and a per-runner offset N(0, 1.5) bpm (wrist
  sensors are less accurate when running; Gillinov et al. 2017, Wang et al. 2017);
  4 % of optical runs lock to cadence for a share U(0.3, 1.0) of the run (average HR
  pulled toward cadence_spm, max_hr = cadence + 0-4).
* ``uneven_controls``: in the block controls run one more run a week and 12 % longer
  (about +30 % minutes) and their HR at a given uptake falls by U(1, 3) % by block_end
  (linear over the block; more aerobic fitness); strength runners' volume is flat.
  ``fitness_hr_end_pct`` records it; economy (truth) is unchanged.
* ``hot_block``: baseline 2025-04-21 .. 2025-06-01, block 2025-06-02 .. 2025-08-10 in
  a warm climate (daily mean 14 + 11 cos(2 pi (doy - 200)/365) degC); run temperatures
  in the block are held to 20-32 degC. Runner-specific heat k and acclimatisation as
  in the base; runners slow 0.6 % per degC above 18 on easy runs (my choice).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

SCENARIOS = [
    "plain",
    "illness_break",
    "staggered_starts",
    "wandering_runners",
    "new_shoes",
    "strap_and_optical",
    "uneven_controls",
    "hot_block",
]
N_STRENGTH = 8
N_CONTROL = 8
BASELINE_DAYS = 42
BLOCK_DAYS = 70
REF_KMH = 12.0
STRAP = "Polar H10"
OPTICAL = "Forerunner 255 optical"
EXERCISES = [
    # name, sets, reps, share of 1RM (None: body weight), rpe
    ("Back squat", 4, 5, 0.82, 8),
    ("Single-leg deadlift", 3, 8, 0.35, 7),
    ("Walking lunges", 3, 10, 0.25, 6),
    ("Box jumps", 4, 6, None, 6),
    ("Calf raise", 3, 12, 0.5, 6),
    ("Plank", 3, None, None, 5),
]


# ----------------------------------------------------------------------------- physiology
def flat_cost(c0, s, v):
    """Flat cost per km [ml/kg/km] at v km/h; c0 is the cost at 12 km/h."""
    air = 0.04 * (v / 18.0) ** 2
    air_ref = 0.04 * (REF_KMH / 18.0) ** 2
    return c0 * (1.0 + s * (v - REF_KMH) / REF_KMH) * (1.0 + air) / (1.0 + air_ref)


def speed_for_fraction(frac, r):
    """Flat speed [km/h] at which uptake is frac of VO2max (with the baseline cost)."""
    target = frac * r["vo2max"]
    v = 10.0
    for _ in range(40):  # fixed point: VO2 = C(v) v / 60
        v = target * 60.0 / flat_cost(r["c0"], r["s_speed"], v)
    return v


def climate(scenario):
    if scenario == "hot_block":
        return dict(mean=14.0, amp=11.0, peak_doy=200)
    return dict(mean=11.0, amp=9.5, peak_doy=200)


def season_temp(d, cl):
    doy = d.timetuple().tm_yday
    return cl["mean"] + cl["amp"] * math.cos(2 * math.pi * (doy - cl["peak_doy"]) / 365)


# ----------------------------------------------------------------------------- squad
def calendar(scenario):
    if scenario == "hot_block":
        b0 = date(2025, 6, 2)
    else:
        b0 = date(2025, 2, 24)
    return b0 - timedelta(days=BASELINE_DAYS), b0


def make_runners(seed):
    rng = np.random.default_rng([seed, 0])
    n = N_STRENGTH + N_CONTROL
    groups = np.array(["strength"] * N_STRENGTH + ["control"] * N_CONTROL)
    rng.shuffle(groups)
    runners = []
    for i in range(n):
        sex = "F" if rng.random() < 0.4 else "M"
        age = int(rng.integers(22, 52))
        vo2max = rng.normal(52, 4.5) if sex == "F" else rng.normal(58, 5)
        vo2max = float(np.clip(vo2max, 44, 72))
        hrmax = float(np.clip(208 - 0.7 * age + rng.normal(0, 7), 165, 205))
        hrrest = float(np.clip(rng.normal(48, 6), 36, 64))
        r = dict(
            runner_id=f"R{i + 1:02d}",
            group=groups[i],
            sex=sex,
            birth_year=2025 - age,
            mass=float(rng.normal(60, 5) if sex == "F" else rng.normal(71, 6)),
            vo2max=vo2max,
            hrmax=hrmax,
            hrrest=hrrest,
            c0=float(np.clip(rng.normal(200, 12), 170, 235)),
            s_speed=float(rng.normal(0.03, 0.04)),
            c_up=1.1 * rng.uniform(0.85, 1.15),
            c_down=0.65 * rng.uniform(0.85, 1.15),
            gain_km=rng.uniform(3, 20),
            hr_a=float(rng.normal(0, 0.03)),
            hr_b=float(rng.normal(1, 0.05)),
            drift0=rng.uniform(0.06, 0.15),
            heat_k=rng.uniform(0.35, 0.8),
            heat_t0=rng.uniform(10, 16),
            acclim_a=rng.uniform(0.4, 0.6),
            cad0=rng.normal(172, 5),
            runs_per_week=int(rng.choice([4, 5, 5, 6])),
            evening=bool(rng.random() < 0.45),
            hour_jit=rng.uniform(-0.5, 0.5),
            strength_days=[(0, 3), (1, 4), (0, 2), (2, 4)][int(rng.integers(0, 4))],
            true_change=float(rng.uniform(-6, 0)) if groups[i] == "strength" else 0.0,
            k_sessions=rng.uniform(8, 30),
            one_rm=float(rng.normal(85, 15) if sex == "M" else rng.normal(65, 10)),
            # recorded values
            rec_hrmax=None,
            rec_hrrest=None,
            rec_vo2max=None,
        )
        r["rec_hrmax"] = round(hrmax + rng.normal(0, 2))
        r["rec_hrrest"] = round(hrrest + rng.normal(2, 2))
        r["rec_vo2max"] = round(vo2max * (1 + rng.normal(0, 0.04)), 1)
        runners.append(r)
    return runners


def week_plan(r, n_runs):
    """Day-of-week (0 = Monday) -> run type for a week of n_runs runs."""
    order = [6, 1, 3, 5, 2, 4, 0]  # long Sun, quality Tue, easy Thu, Sat, Wed, Fri, Mon
    days = sorted(order[: max(1, min(7, n_runs))])
    plan = {}
    for d in days:
        if d == 6:
            plan[d] = "long"
        elif d == 1:
            plan[d] = "quality"
        elif d == 4 and n_runs >= 6:
            plan[d] = "recovery"
        else:
            plan[d] = "easy"
    return plan


# ----------------------------------------------------------------------------- generate
def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    os.makedirs(out, exist_ok=True)
    runners = make_runners(seed)
    srng = np.random.default_rng([seed, 3, SCENARIOS.index(scenario)])
    start, b0 = calendar(scenario)
    cl = climate(scenario)

    # block dates per strength runner
    st_ids = [r for r in runners if r["group"] == "strength"]
    offsets = [0] * len(st_ids)
    if scenario == "staggered_starts":
        offsets = [int(round(x)) for x in np.linspace(0, 28, len(st_ids))]
        srng.shuffle(offsets)
    for r, off in zip(st_ids, offsets, strict=True):
        r["block_start"] = b0 + timedelta(days=off)
        r["block_end"] = r["block_start"] + timedelta(days=BLOCK_DAYS - 1)
    squad_b0 = min(r["block_start"] for r in st_ids)
    squad_end = max(r["block_end"] for r in st_ids)
    for r in runners:
        if r["group"] == "control":
            r["block_start"], r["block_end"] = squad_b0, squad_end
    n_days = (squad_end - start).days + 1
    days = [start + timedelta(days=k) for k in range(n_days)]

    # shared weather
    wrng = np.random.default_rng([seed, 1])
    anom = np.zeros(n_days)
    anom[0] = wrng.normal(0, 3)
    for k in range(1, n_days):
        anom[k] = 0.75 * anom[k - 1] + wrng.normal(0, 3 * math.sqrt(1 - 0.75**2))
    tmean = np.array([season_temp(d, cl) for d in days]) + anom

    # scenario assignments
    for r in runners:
        r.update(
            affected=False,
            ill_start=None,
            ill_days=0,
            ill_hr0=0.0,
            ill_rec=0,
            wander_sd=0.0,
            shoe_date=None,
            shoe_pct=0.0,
            optical_share=0.0,
            optical_bias=0.0,
            fit_end=0.0,
        )
    by_group = {g: [r for r in runners if r["group"] == g] for g in ("strength", "control")}
    if scenario == "illness_break":
        for rs in by_group.values():
            k = int(srng.choice([2, 3]))
            for j in srng.choice(len(rs), size=k, replace=False):
                r = rs[j]
                r["affected"] = True
                r["ill_start"] = r["block_start"] + timedelta(days=int(srng.integers(21, 43)))
                r["ill_days"] = int(srng.integers(10, 21))
                r["ill_hr0"] = srng.uniform(3, 7) * r["ill_days"] / 15
                r["ill_rec"] = int(srng.integers(14, 29))
    elif scenario == "wandering_runners":
        for rs in by_group.values():
            for j in srng.choice(len(rs), size=len(rs) // 2, replace=False):
                rs[j]["affected"] = True
                rs[j]["wander_sd"] = srng.uniform(0.02, 0.03)
    elif scenario == "new_shoes":
        for rs in by_group.values():
            for j in srng.choice(len(rs), size=len(rs) // 2, replace=False):
                r = rs[j]
                r["affected"] = True
                r["shoe_date"] = r["block_start"] + timedelta(days=int(srng.integers(7, 50)))
                r["shoe_pct"] = -srng.uniform(1, 4)
    elif scenario == "strap_and_optical":
        for r in runners:
            r["affected"] = True
            r["optical_share"] = srng.uniform(0.3, 0.7)
            r["optical_bias"] = srng.normal(0, 1.5)
    elif scenario == "uneven_controls":
        for r in by_group["control"]:
            r["affected"] = True
            r["fit_end"] = srng.uniform(1, 3)

    run_rows, strength_rows, truth_rows = [], [], []
    for i, r in enumerate(runners):
        rows, srows, extra = simulate_runner(r, i, seed, scenario, days, tmean, start, squad_end)
        run_rows += rows
        strength_rows += srows
        truth_rows.append(
            dict(
                runner_id=r["runner_id"],
                group=r["group"],
                true_change_pct=round(r["true_change"], 4),
                block_start=r["block_start"].isoformat(),
                block_end=r["block_end"].isoformat(),
                affected=r["affected"],
                true_shoe_pct=round(r["shoe_pct"], 4),
                true_total_change_pct=round(
                    ((1 + r["true_change"] / 100) * (1 + r["shoe_pct"] / 100) - 1) * 100, 4
                ),
                shoe_date=r["shoe_date"].isoformat() if r["shoe_date"] else "",
                ill_start=r["ill_start"].isoformat() if r["ill_start"] else "",
                ill_days=r["ill_days"],
                ill_hr_return_bpm=round(r["ill_hr0"], 2),
                ill_hr_end_bpm=round(extra["ill_hr_end"], 2),
                wander_sd_pct=round(100 * r["wander_sd"], 2),
                optical_share=round(r["optical_share"], 3),
                cadence_lock_runs=extra["locks"],
                fitness_hr_end_pct=round(-r["fit_end"], 3) + 0.0,
                heat_k_bpm_per_c=round(r["heat_k"], 3),
                true_heat_onset_c=round(r["heat_t0"], 2),
                acclim_frac=round(r["acclim_a"], 3),
                hr_line_a=round(r["hr_a"], 4),
                hr_line_b=round(r["hr_b"], 4),
                c0_ml_kg_km=round(r["c0"], 2),
                k_sessions=round(r["k_sessions"], 2),
                n_sessions=extra["n_sessions"],
            )
        )

    pd.DataFrame(
        [
            dict(
                runner_id=r["runner_id"],
                name=f"Runner {r['runner_id'][1:]}",
                sex=r["sex"],
                birth_year=r["birth_year"],
                body_mass_kg=round(r["mass"], 1),
                hr_rest_bpm=r["rec_hrrest"],
                hr_max_bpm=r["rec_hrmax"],
                vo2max_ml_kg_min=r["rec_vo2max"],
                group=r["group"],
            )
            for r in runners
        ]
    ).to_csv(os.path.join(out, "runners.csv"), index=False)
    runs = pd.DataFrame(run_rows)
    if scenario != "strap_and_optical":
        runs = runs.drop(columns=["device"])
    runs.to_csv(os.path.join(out, "runs.csv"), index=False)
    pd.DataFrame(strength_rows).to_csv(os.path.join(out, "strength.csv"), index=False)
    pd.DataFrame(
        [
            dict(
                runner_id=r["runner_id"],
                block_start=r["block_start"].isoformat(),
                block_end=r["block_end"].isoformat(),
                label="strength block",
            )
            for r in runners
            if r["group"] == "strength"
        ]
    ).to_csv(os.path.join(out, "blocks.csv"), index=False)
    pd.DataFrame(truth_rows).to_csv(os.path.join(out, "truth.csv"), index=False)
    return out


def simulate_runner(r, i, seed, scenario, days, tmean, start, squad_end):
    rng = np.random.default_rng([seed, 2, i, SCENARIOS.index(scenario)])
    rows, srows = [], []
    b0, b1 = r["block_start"], r["block_end"]
    total_days = len(days)
    # ---- strength sessions (strength runners, block only)
    sessions = []
    ill_lo = r["ill_start"]
    ill_hi = ill_lo + timedelta(days=r["ill_days"]) if ill_lo else None
    if r["group"] == "strength":
        d = b0
        while d < b1:  # none on the last day: the truth is the effect at block_end
            ill = ill_lo is not None and ill_lo <= d < ill_hi
            if d.weekday() in r["strength_days"] and not ill and rng.random() > 0.10:
                sessions.append(datetime(d.year, d.month, d.day, 19, 0))
            d += timedelta(days=1)
        for s in sessions:
            for name, sets, reps, share, rpe in EXERCISES:
                load = ""
                if share is not None:
                    load = round(r["one_rm"] * share / 2.5) * 2.5
                srows.append(
                    dict(
                        runner_id=r["runner_id"],
                        date=s.isoformat(timespec="seconds"),
                        exercise=name,
                        sets=sets,
                        reps=reps if reps is not None else "",
                        load_kg=load,
                        duration_s=45 if name == "Plank" else "",
                        rpe=rpe,
                    )
                )
    s_days = np.array([(s.date() - start).days for s in sessions])
    s_end = len(sessions)
    k = r["k_sessions"]

    def strength_frac(day_idx):
        if s_end == 0:
            return 0.0
        n = int((s_days < day_idx).sum())
        return (1 - math.exp(-n / k)) / (1 - math.exp(-s_end / k))

    # ---- pacing targets (baseline cost)
    v_easy = speed_for_fraction(rng.uniform(0.62, 0.70), r)
    v_long = speed_for_fraction(rng.uniform(0.64, 0.69), r)
    v_rec = speed_for_fraction(0.57, r)
    v_tempo = speed_for_fraction(0.82, r)
    v_thr = speed_for_fraction(0.87, r)
    v_int = speed_for_fraction(0.97, r)
    hour0 = (17.8 if r["evening"] else 6.7) + r["hour_jit"]

    acclim = 0.0
    wander = rng.normal(0, r["wander_sd"]) if r["wander_sd"] else 0.0
    phi = math.exp(-1 / 21)
    quality_cycle = ["interval", "tempo", "threshold"]
    race_days = {
        (b0 - timedelta(days=BASELINE_DAYS) + timedelta(days=19)),
        (b0 + timedelta(days=61)),
    }
    locks = 0
    ill_hr_end = 0.0
    plan = None
    for di, d in enumerate(days):
        if r["group"] == "strength" and d > b1:
            break
        # wandering state (daily)
        if r["wander_sd"]:
            wander = phi * wander + rng.normal(0, r["wander_sd"] * math.sqrt(1 - phi**2))
        in_block = b0 <= d <= b1
        block_day = (d - b0).days
        if d.weekday() == 0 or plan is None:
            n = r["runs_per_week"]
            if scenario == "uneven_controls" and r["group"] == "control" and in_block:
                n = min(7, n + 1)
            if rng.random() < 0.03:
                n = max(2, n // 2)
            plan = week_plan(r, n)
        ill = ill_lo is not None and ill_lo <= d < ill_hi
        # illness HR offset after return
        ill_off = 0.0
        if ill_hi is not None and d >= ill_hi:
            since = (d - ill_hi).days
            ill_off = r["ill_hr0"] * max(0.0, 1 - since / r["ill_rec"])
        if ill_hi is not None and d == b1:
            ill_hr_end = ill_off
        first_week_back = ill_hi is not None and 0 <= (d - ill_hi).days < 7
        if d in race_days and not ill:
            kind = "race"
        elif d.weekday() in plan and not ill and rng.random() > 0.08:
            kind = plan[d.weekday()]
        else:
            kind = None
        if kind == "quality":
            kind = quality_cycle[((d - start).days // 7) % 3]
        if first_week_back and kind is not None:
            kind = "easy" if kind != "recovery" else kind
        # acclimatisation decays daily; grows on a run in heat (below)
        acclim *= math.exp(-1 / 30)
        if kind is None:
            continue

        # start time
        if kind in ("long", "race"):
            hour = 8.5 + rng.uniform(-0.5, 0.5)
        elif r["evening"] and d.weekday() in r["strength_days"] and r["group"] == "strength":
            hour = 17.5 + rng.uniform(0, 1.0)
        else:
            hour = hour0 + rng.normal(0, 0.3)
        t_start = datetime(d.year, d.month, d.day) + timedelta(hours=hour)

        # temperature at the start
        temp = tmean[di] + 4.5 * math.cos(2 * math.pi * (hour - 15) / 24)
        if scenario == "hot_block" and in_block:
            temp = float(np.clip(temp, 20, 32))
        temp_log = temp + rng.normal(0, 0.8)

        # economy multipliers
        e_frac = strength_frac(di) if r["group"] == "strength" else 0.0
        econ = 1 + r["true_change"] / 100 * e_frac
        if r["shoe_date"] is not None and d >= r["shoe_date"]:
            econ *= 1 + r["shoe_pct"] / 100
        fatigue = 0.0
        if len(sessions):
            prior = [s for s in sessions if s <= t_start]
            if prior:
                dt_h = (t_start - prior[-1]).total_seconds() / 3600
                fatigue = 0.015 if dt_h < 24 else (0.007 if dt_h < 48 else 0.0)

        # speed and duration
        heat_slow = 1 - 0.006 * max(0.0, temp - 18) if scenario == "hot_block" else 1.0
        feel = rng.normal(1, 0.03) * (1 - 0.5 * (econ - 1)) * heat_slow
        if kind == "race":
            dist_race = 5.0 if rng.random() < 0.5 else 10.0
            frac = 0.96 if dist_race == 5 else 0.93
            v = speed_for_fraction(frac, r) * (1 - 0.7 * (econ - 1)) * rng.normal(1, 0.01)
            dur_min = dist_race / v * 60
        elif kind == "long":
            v, dur_min = v_long * feel, rng.uniform(80, 120)
        elif kind == "recovery":
            v, dur_min = v_rec * feel, rng.uniform(25, 40)
        elif kind == "tempo":
            v, dur_min = v_tempo * feel, rng.uniform(30, 45)
        elif kind == "threshold":
            v, dur_min = v_thr * feel, rng.uniform(25, 35)
        elif kind == "interval":
            v, dur_min = None, None
        else:
            v, dur_min = v_easy * feel, rng.uniform(35, 60)
            if first_week_back:
                dur_min *= 0.7
        if (
            scenario == "uneven_controls"
            and r["group"] == "control"
            and in_block
            and dur_min is not None
            and kind != "race"
        ):
            dur_min *= 1.12

        # elevation
        gain_km = r["gain_km"] * rng.lognormal(0, 0.45)
        if kind == "race":
            gain_km = r["gain_km"] * 0.4
        # uptake per km on the hills
        loss_ratio = rng.uniform(0.92, 1.08)
        noise = rng.normal(0, 0.018)
        day_mult = econ * (1 + fatigue) * (1 + noise)

        def uptake(v_kmh, gain_km=gain_km, loss_ratio=loss_ratio, day_mult=day_mult):
            c = flat_cost(r["c0"], r["s_speed"], v_kmh) * day_mult
            c_hill = c + r["c_up"] * gain_km - r["c_down"] * gain_km * loss_ratio
            return c_hill * v_kmh / 60.0, c_hill

        if kind == "interval":
            wu = rng.uniform(25, 35)  # warm-up + cool-down minutes at easy pace
            reps = int(rng.integers(5, 7))
            rep_min = rng.uniform(3, 4)
            rec_min = rep_min * 0.6
            segs = [(v_easy * feel, wu), (v_int * feel, reps * rep_min)]
            segs.append((v_rec * 0.75 * feel, reps * rec_min))
            dur_min = sum(m for _, m in segs)
            dist = sum(vv * m / 60 for vv, m in segs)
            v = dist / dur_min * 60
            vo2 = sum(uptake(vv)[0] * m for vv, m in segs) / dur_min
            vo2 = min(vo2, 0.9 * r["vo2max"])
        else:
            hill_extra = (r["c_up"] - r["c_down"] * loss_ratio) * gain_km / r["c0"]
            v = v / (1 + 0.5 * max(0.0, hill_extra))
            dist = v * dur_min / 60
            vo2 = uptake(v)[0]
        vo2 = min(vo2, 0.98 * r["vo2max"])

        # heart rate
        x = (vo2 - 3.5) / (r["vo2max"] - 3.5)
        hrr = min(1.0, r["hr_a"] + r["hr_b"] * x)
        mult = 1 - 0.01 * di / total_days  # shared season fitness
        if r["fit_end"] and in_block:
            mult *= 1 - r["fit_end"] / 100 * (block_day + 1) / BLOCK_DAYS
        if r["wander_sd"]:
            mult *= 1 + wander
        hr_ss = r["hrrest"] + (r["hrmax"] - r["hrrest"]) * hrr
        hr_ss = r["hrrest"] + (hr_ss - r["hrrest"]) * mult
        drift = r["drift0"] * (1 + 0.06 * max(0.0, temp - 10))
        hr = hr_ss
        hr += drift * max(0.0, dur_min - 10) ** 2 / (2 * dur_min)
        heat = r["heat_k"] * max(0.0, temp - r["heat_t0"]) * (1 - r["acclim_a"] * acclim)
        hr += heat
        hr += 1.5 * math.cos(2 * math.pi * (hour - 17) / 24)
        hr += ill_off
        hr += rng.normal(0, 2.5)
        hr -= max(0.0, hr_ss - (r["hrrest"] + 25)) * 1.0 / dur_min
        if kind == "interval":
            hr += rng.normal(0, 3)
        hr = min(hr, r["hrmax"] - 1)
        if temp >= 22:
            acclim += (1 - acclim) * (1 - math.exp(-1 / 4))

        cadence = r["cad0"] + 2.2 * (v - REF_KMH) + rng.normal(0, 2)
        device = STRAP
        if r["optical_share"] and rng.random() < r["optical_share"]:
            device = OPTICAL
        hr_rec = hr + rng.normal(0, 0.5)
        hr_max_rec = hr + rng.uniform(5, 12) + (8 if kind in ("interval", "race") else 0)
        hr_max_rec = min(hr_max_rec, r["hrmax"] + 1)
        if device == OPTICAL:
            hr_rec += rng.normal(0, 3.5) + r["optical_bias"]
            if rng.random() < 0.04:
                phi_lock = rng.uniform(0.3, 1.0)
                hr_rec = (1 - phi_lock) * hr_rec + phi_lock * cadence
                hr_max_rec = max(hr_max_rec, cadence + rng.uniform(0, 4))
                locks += 1
        has_hr = rng.random() > 0.02

        gain = gain_km * dist * rng.normal(1, 0.08)
        loss = gain_km * loss_ratio * dist * rng.normal(1, 0.08)
        rpe = {
            "easy": 3,
            "recovery": 2,
            "long": 4,
            "tempo": 6,
            "threshold": 7,
            "interval": 8,
            "race": 9,
        }[kind]
        rows.append(
            dict(
                runner_id=r["runner_id"],
                run_id=f"{r['runner_id']}-{d.strftime('%Y%m%d')}",
                date=t_start.strftime("%Y-%m-%dT%H:%M:00"),
                distance_km=round(dist, 3),
                duration_s=int(round(dur_min * 60)),
                avg_hr_bpm=int(round(hr_rec)) if has_hr else "",
                max_hr_bpm=int(round(max(hr_max_rec, hr_rec + 2))) if has_hr else "",
                elev_gain_m=round(max(0.0, gain), 1),
                elev_loss_m=round(max(0.0, loss), 1),
                temp_c=round(temp_log, 1),
                run_type=kind,
                cadence_spm=int(round(cadence)),
                rpe=rpe + int(rng.integers(-1, 2)) if rng.random() < 0.6 else "",
                device=device if r["optical_share"] else "",
            )
        )
    return rows, srows, dict(ill_hr_end=ill_hr_end, locks=locks, n_sessions=len(sessions))


# ----------------------------------------------------------------------------- run + report
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
        "| scenario | group | n | no answer | bias pp | SE | MAE | cover | CI width "
        "| improved | worsened | det | raw bias | raw SE |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        subsets = [(g, d0[d0["group"] == g]) for g in ("strength", "control")]
        subsets.append(("all", d0))
        for g in ("strength", "control"):
            dg = d0[d0["group"] == g]
            if dg["affected"].any() and not dg["affected"].all():
                subsets.append((f"{g}, affected", dg[dg["affected"]]))
                subsets.append((f"{g}, unaffected", dg[~dg["affected"]]))
        for name, d in subsets:
            if len(d) == 0:
                continue
            s = _summ(d, "o2_cost_change_pct")
            rw = _summ(d, "raw_change_pct", ci=False)
            n_na = int(
                d["verdict"].isna().sum()
                + d["verdict"].astype(str).str.startswith("insufficient").sum()
            )
            lines.append(
                f"| {sc} | {name} | {len(d)} | {n_na} | {_f(s.get('bias'))} | {_f(s.get('se'))} "
                f"| {_f(s.get('mae'))} | {_f(s.get('cov'))} | {_f(s.get('width'))} "
                f"| {s.get('impr', '')} | {s.get('wors', '')} | {_f(s.get('det'))} "
                f"| {_f(rw.get('bias'))} | {_f(rw.get('se'))} |"
            )
    return lines


def write_report(per, problems, md_path, meta):
    lines = [
        "# runeco on coaching-life squads (benchmarks/coaching_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`. Errors are o2_cost_change_pct - true_change_pct in "
        "percentage points (pp); SE = SD over squads (seeds) of the squad's mean error / "
        "sqrt(squads). no answer = verdict `insufficient data: ...` or no row. cover = share "
        "of runners whose [ci_low_pct, ci_high_pct] holds the truth. det = share of strength "
        "runners with truth <= -3 % called `improved`. raw = raw_change_pct (own change, "
        "before control reference and pooling) against the same truth. `affected` rows: the "
        "runners the scenario touched (ill, wandering, new shoes); the truth is always the "
        "strength effect alone.",
        "",
    ]
    lines += table_lines(per)
    lines += ["", "## Crashes and quarantined rows", ""]
    lines += [f"- {p}" for p in problems] or ["None: every analyze exited 0, nothing quarantined."]
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
            out_csv = os.path.join(sq, "out.csv")
            qfile = os.path.join(args.work, f"{sc}_s{seed}_quarantine.csv")
            try:
                vr = subprocess.run(
                    [args.runeco, "validate", sq, "--quarantine", qfile],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                if os.path.exists(qfile) and len(pd.read_csv(qfile)) > 0:
                    problems.append(f"{sc} seed {seed}: {len(pd.read_csv(qfile))} quarantined rows")
                elif vr.returncode != 0:
                    tail = " / ".join(vr.stdout.strip().splitlines()[-3:])
                    problems.append(f"{sc} seed {seed}: validate exit {vr.returncode}: {tail}")
            except subprocess.TimeoutExpired:
                problems.append(f"{sc} seed {seed}: validate timed out")
            except pd.errors.EmptyDataError:
                pass
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
                f"in {time.time() - t0:.0f}s",
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
        f"per scenario, 16 runners each; {len(per)} runner rows; runeco: `{args.runeco}`; "
        f"total run time {elapsed / 60:.1f} min."
    )
    if len(per):
        write_report(per, problems, args.md, meta)
    print(meta)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one squad")
    g.add_argument("--scenario", required=True, choices=SCENARIOS)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="generate, analyze and summarise")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, default=2)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--scenarios", default=",".join(SCENARIOS))
    r.add_argument("--runeco", default="runeco")
    r.add_argument("--md", required=True)
    r.add_argument("--per-runner", required=True)
    r.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        generate(a.scenario, a.seed, a.out)
        print(a.out)
    else:
        run(a)


if __name__ == "__main__":
    main()
