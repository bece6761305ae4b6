"""Eleventh blind check: how the spread of true responses to strength work affects runeco.

Standalone generator and runner (numpy + pandas only; nothing from ``analysis`` is
imported). Each squad is a strength group and a control group running over a 6-week
baseline and a 10-week block; only the distribution of the strength runners' true
changes in the oxygen cost of running differs between scenarios. The physiology below
is the same in every scenario and was written without reading the tool's model.

Physiology (values from memory of the cited literature, rounded; our own choices where
no source is named):

* Oxygen uptake while running: gross VO2 [ml/kg/min] = f(t) * k_i * (3.5 + 0.2 * v)
  * route * fatigue, with v in m/min (ACSM running equation, ACSM Guidelines for
  Exercise Testing and Prescription; the 3.5 is resting uptake). k_i ~ N(1, 0.05) is
  the runner's own economy (between-runner CV of running economy about 5-10 %,
  Saunders et al. 2004, Sports Med 34:465). f(t) is the true economy factor: 1 in the
  baseline, then a linear ramp to 1 + true_change_pct / 100 at block end (pre/post
  changes of 2-8 % after 6-14 weeks of heavy or explosive strength work: Paavolainen
  et al. 1999; Stoeren et al. 2008; meta-analysis Balsalobre-Fernandez et al. 2016).
  Because f multiplies the whole gross uptake, the true change in oxygen cost per km
  is the same at every speed and equals true_change_pct.
* Hilly routes: each runner has 3 loops (climb = descent, 2-20 m per km); the extra
  cost of a loop is taken as +0.12 % per m/km climbed (uphill cost not fully paid back
  downhill; Minetti et al. 2002 gives the grade cost curve; the factor is ours).
* Residual fatigue: runs the morning after an evening strength session cost 1 % more
  (Doma, Deakin & Bentley 2017: economy impaired 24-48 h after lower-body strength
  work; we use a small value). Kept out of the truth (the truth is the chronic change).
* Heart rate from uptake: %HRR = b_i + s_i * %VO2R (Swain & Leutholtz 1997, with a
  per-runner offset b_i ~ N(0, 0.03) and slope s_i ~ N(1, 0.04)), %VO2R against the
  runner's current VO2max. HRmax from 208 - 0.7 age (Tanaka et al. 2001) +- 6 bpm;
  HRrest 42-62 bpm.
* Fitness trend shared by both groups: VO2max rises linearly by 2 % (runner SD 0.4 %)
  over the 16 weeks and resting HR falls by 2 bpm (endurance training; e.g. Jones &
  Carter 2000). runners.csv gives the baseline values with measurement error (VO2max
  +-4 %, HRmax +-2 bpm, HRrest +-2 bpm). Read from heart rate with a fixed VO2max this
  trend looks like about -2 % cost for everyone; the controls carry it too.
* Heat: heart rate +0.6 bpm per deg C above 13 deg C (cardiovascular strain rises with
  air temperature; Galloway & Maughan 1997, 11 vs 21 deg C). Weather: daily
  temperature rising from about 4 to 17 deg C from early February to late May (a
  central-European spring), AR(1) day-to-day SD 3 deg C, 2.5 deg C cooler at 06-08 h.
* Cardiac drift: mean heart rate of a run +0.03 bpm per minute beyond 15 min
  (Coyle & Gonzalez-Alonso 2001), so a 100-min long run reads about 2.5 bpm higher.
* Noise: run-to-run heart rate at a given uptake AR(1) over a runner's runs, lag-one
  correlation 0.4, total SD 2.8 bpm (day-to-day CV of submaximal heart rate about 2 %:
  Lamberts et al. 2011; field runs are noisier).
* Pacing: 3-5 runs a week (habit per runner, 8 % of planned runs skipped), one long run
  (75-110 min at 60-66 % VO2max), easy runs (35-60 min at 62-72 %), every other week a
  tempo run (30-45 min at 80-86 %) or an interval session (typed `interval`) for
  runners with 4-5 runs. 60 % of runners pace by feel (a planned pace with 3 % day SD;
  an easy pace 1 % faster by the end of the 16 weeks), 40 % by heart rate (target %HRR
  with 2.5 % SD; their pace then follows economy and fitness). Each runner runs at a
  habitual hour (morning or evening), so no time-of-day change.
* Strength log: strength runners only, 2 sessions a week in the block (Tue and Fri,
  18:30), back squat 4x5 at about 80 % of 1RM, single-leg deadlift, walking lunges,
  jump squats, plank; a session is skipped with probability 0.1. Body mass constant.

The truth (true_change_pct: change in oxygen cost per km at block end, %, negative =
more economical; responder) goes to truth.csv beside the dataset, never into a file
that runeco reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

START = dt.date(2026, 2, 2)  # baseline start (Monday)
BASE_WEEKS = 6
BLOCK_WEEKS = 10
BLOCK_START = START + dt.timedelta(weeks=BASE_WEEKS)
BLOCK_END = BLOCK_START + dt.timedelta(weeks=BLOCK_WEEKS) - dt.timedelta(days=1)
N_DAYS = (BASE_WEEKS + BLOCK_WEEKS) * 7

# scenario -> (n_strength, n_control, response sampler description)
SCENARIOS = {
    "plain": "8+8; every strength runner responds, N(-4, 1.5) %",
    "half_null": "8+8; 4 exact non-responders (0), 4 N(-5, 1) %",
    "mostly_null": "8+8; 6 exact non-responders (0), 2 U(-8, -6) %",
    "one_big": "8+8; one runner -10 %, 7 runners U(-2, -1) %",
    "near_null": "8+8; 4 near-null U(-0.7, +0.7) %, 4 N(-5, 1) %",
    "negative": "8+8; 3 runners worse U(+2, +3) %, 5 U(-5, -3) %",
    "skewed": "8+8; improvements lognormal: -(median 2.5 %, log-SD 0.8), capped at 15 %",
    "small_squad": "4+4; 2 exact non-responders (0), 2 N(-5, 1) %",
    "big_squad": "30+30; 15 exact non-responders (0), 15 N(-5, 1) %",
    "no_effect": "8+8; strength work does nothing: all 0",
}

SIZES = {"small_squad": (4, 4), "big_squad": (30, 30)}


def _responses(scenario, n, rng):
    """True change in oxygen cost per km [%] and responder flag for n strength runners."""
    t = np.zeros(n)
    resp = np.ones(n, dtype=bool)
    if scenario == "plain":
        t = rng.normal(-4.0, 1.5, n)
    elif scenario in ("half_null", "small_squad", "big_squad"):
        k = n // 2
        t[k:] = rng.normal(-5.0, 1.0, n - k)
        resp[:k] = False
    elif scenario == "mostly_null":
        t[6:] = rng.uniform(-8.0, -6.0, n - 6)
        resp[:6] = False
    elif scenario == "one_big":
        t[0] = -10.0
        t[1:] = rng.uniform(-2.0, -1.0, n - 1)
    elif scenario == "near_null":
        k = n // 2
        t[:k] = rng.uniform(-0.7, 0.7, k)
        t[k:] = rng.normal(-5.0, 1.0, n - k)
        resp[:k] = False
    elif scenario == "negative":
        t[:3] = rng.uniform(2.0, 3.0, 3)
        t[3:] = rng.uniform(-5.0, -3.0, n - 3)
        resp[:3] = False
    elif scenario == "skewed":
        t = -np.minimum(rng.lognormal(np.log(2.5), 0.8, n), 15.0)
    elif scenario == "no_effect":
        resp[:] = False
    else:
        raise ValueError(scenario)
    order = rng.permutation(n)  # runner ids do not reveal the class
    return t[order], resp[order]


def _temperature(rng):
    d = np.arange(N_DAYS)
    seasonal = 4.0 + 13.0 * d / (N_DAYS - 1)
    e = np.zeros(N_DAYS)
    for i in range(1, N_DAYS):
        e[i] = 0.7 * e[i - 1] + rng.normal(0, 3.0 * np.sqrt(1 - 0.49))
    e[0] = rng.normal(0, 3.0)
    return seasonal + e


def _runner(rng, rid, group):
    age = int(rng.integers(22, 50))
    sex = "F" if rng.random() < 0.45 else "M"
    mass = rng.normal(58 if sex == "F" else 70, 5)
    vo2max = rng.normal(50 if sex == "F" else 57, 5)
    hrmax = 208 - 0.7 * age + rng.normal(0, 6)
    hrrest = rng.uniform(42, 62)
    return dict(
        runner_id=rid,
        group=group,
        age=age,
        sex=sex,
        mass=mass,
        vo2max=vo2max,
        hrmax=hrmax,
        hrrest=hrrest,
        k=rng.normal(1.0, 0.05),
        b=rng.normal(0.0, 0.03),
        s=rng.normal(1.0, 0.04),
        g=rng.normal(0.02, 0.004),
        runs_pw=int(rng.integers(3, 6)),
        hr_pacer=rng.random() < 0.4,
        hour=float(rng.choice([6.5, 7.0, 7.5, 12.5, 17.5, 18.0, 18.5])),
        routes=np.sort(rng.uniform(2.0, 20.0, 3)),
    )


def _vo2(p, v, f, route_g, fatigue):
    return f * p["k"] * (3.5 + 0.2 * v) * (1 + 0.0012 * route_g) * fatigue


def _speed_for_vo2(p, vo2, f, route_g, fatigue):
    return (vo2 / (f * p["k"] * (1 + 0.0012 * route_g) * fatigue) - 3.5) / 0.2


def _state(p, day):
    frac = day / (N_DAYS - 1)
    vo2max = p["vo2max"] * (1 + p["g"] * frac)
    hrrest = p["hrrest"] - 2.0 * frac
    return vo2max, hrrest


def _hr_from_vo2(p, vo2, day):
    vo2max, hrrest = _state(p, day)
    pv = (vo2 - 3.5) / (vo2max - 3.5)
    phr = p["b"] + p["s"] * pv
    return hrrest + phr * (p["hrmax"] - hrrest)


def _vo2_from_hr(p, hr, day):
    vo2max, hrrest = _state(p, day)
    phr = (hr - hrrest) / (p["hrmax"] - hrrest)
    pv = (phr - p["b"]) / p["s"]
    return 3.5 + pv * (vo2max - 3.5)


def _econ(day, truth_pct):
    bs = BASE_WEEKS * 7
    if day < bs:
        return 1.0
    frac = min(1.0, (day - bs + 1) / (BLOCK_WEEKS * 7))
    return 1.0 + truth_pct / 100.0 * frac


def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}")
    rng = np.random.default_rng([seed, sum(map(ord, scenario))])
    n_s, n_c = SIZES.get(scenario, (8, 8))
    os.makedirs(out, exist_ok=True)
    temp = _temperature(rng)
    truth_s, resp_s = _responses(scenario, n_s, rng)
    runners, runs, strength, blocks, truth = [], [], [], [], []
    ids = [f"R{i + 1:02d}" for i in range(n_s + n_c)]
    groups = ["strength"] * n_s + ["control"] * n_c
    # shuffle so that ids do not reveal group
    perm = rng.permutation(n_s + n_c)
    ids = [ids[i] for i in perm]
    for j, (rid, grp) in enumerate(zip(ids, groups, strict=True)):
        p = _runner(rng, rid, grp)
        tr = float(truth_s[j]) if grp == "strength" else 0.0
        rs = bool(resp_s[j]) if grp == "strength" else False
        runners.append(
            dict(
                runner_id=rid,
                name=f"Runner {rid}",
                sex=p["sex"],
                birth_year=2026 - p["age"],
                body_mass_kg=round(p["mass"], 1),
                hr_rest_bpm=int(round(p["hrrest"] + rng.normal(0, 2))),
                hr_max_bpm=int(round(p["hrmax"] + rng.normal(0, 2))),
                vo2max_ml_kg_min=round(p["vo2max"] * (1 + rng.normal(0, 0.04)), 1),
                group=grp,
            )
        )
        truth.append(
            dict(
                runner_id=rid,
                block=1,
                group=grp,
                true_change_pct=round(tr, 4),
                responder=rs,
                hr_pacer=p["hr_pacer"],
                true_block_start=BLOCK_START.isoformat(),
                true_block_end=BLOCK_END.isoformat(),
            )
        )
        # strength sessions (evening), strength runners only
        sess_days = set()
        if grp == "strength":
            blocks.append(
                dict(
                    runner_id=rid,
                    block_start=BLOCK_START.isoformat(),
                    block_end=BLOCK_END.isoformat(),
                    label="spring strength block",
                )
            )
            one_rm = p["mass"] * rng.uniform(1.0, 1.5)
            for w in range(BLOCK_WEEKS):
                for dow in (1, 4):
                    day = (BASE_WEEKS + w) * 7 + dow
                    if rng.random() < 0.1:
                        continue
                    sess_days.add(day)
                    ts = (START + dt.timedelta(days=day)).isoformat() + "T18:30:00"
                    prog = 1 + 0.01 * w
                    for ex, sets, reps, load in (
                        ("back squat", 4, 5, round(one_rm * 0.8 * prog / 2.5) * 2.5),
                        ("single-leg deadlift", 3, 8, round(p["mass"] * 0.2 / 2) * 2),
                        ("walking lunges", 3, 10, 0),
                        ("jump squats", 3, 6, 0),
                    ):
                        strength.append(
                            dict(
                                runner_id=rid,
                                date=ts,
                                exercise=ex,
                                sets=sets,
                                reps=reps,
                                load_kg=load if load else "",
                                duration_s="",
                                rpe=int(rng.integers(6, 9)),
                            )
                        )
                    strength.append(
                        dict(
                            runner_id=rid,
                            date=ts,
                            exercise="plank",
                            sets=3,
                            reps="",
                            load_kg="",
                            duration_s=45,
                            rpe=5,
                        )
                    )
        # runs
        vo2max0, _ = _state(p, 0)
        v_easy0 = _speed_for_vo2(p, 0.67 * vo2max0, 1.0, p["routes"][1], 1.0)
        noise_prev = 0.0
        rho, sd = 0.4, 2.8
        for w in range(BASE_WEEKS + BLOCK_WEEKS):
            nplan = p["runs_pw"]
            dows = {3: [0, 2, 5], 4: [0, 2, 4, 6], 5: [0, 1, 3, 5, 6]}[nplan]
            long_dow = dows[-1]
            quality_dow = dows[1] if nplan >= 4 else None
            for dow in dows:
                if rng.random() < 0.08:
                    continue
                day = w * 7 + dow
                f = _econ(day, tr)
                fatigue = 1.01 if (day - 1) in sess_days else 1.0
                g = float(rng.choice(p["routes"]))
                vo2max_t, hrrest_t = _state(p, day)
                if dow == long_dow:
                    rtype, frac, dur = "long", rng.uniform(0.60, 0.66), rng.uniform(75, 110)
                elif quality_dow is not None and dow == quality_dow and w % 2 == 1:
                    if rng.random() < 0.5:
                        rtype, frac, dur = "tempo", rng.uniform(0.80, 0.86), rng.uniform(30, 45)
                    else:
                        rtype, frac, dur = "interval", None, rng.uniform(40, 55)
                else:
                    rtype, frac, dur = "easy", rng.uniform(0.62, 0.72), rng.uniform(35, 60)
                if rtype == "interval":
                    # 6 x 3 min hard / 2 min jog plus warm-up: the average mixes intensities
                    v_hard = _speed_for_vo2(p, 0.95 * vo2max_t, f, g, fatigue)
                    v_jog = _speed_for_vo2(p, 0.55 * vo2max_t, f, g, fatigue)
                    v = (18 * v_hard + (dur - 18) * v_jog) / dur
                    hr = 0.4 * p["hrmax"] + 0.6 * _hr_from_vo2(p, 0.65 * vo2max_t, day)
                    hr += rng.normal(0, 3)
                elif p["hr_pacer"]:
                    # target a heart-rate reserve fraction corresponding to the planned effort
                    target = _hr_from_vo2(p, frac * vo2max0, 0) + rng.normal(0, 0.025) * (
                        p["hrmax"] - p["hrrest"]
                    )
                    heat = 0.6 * max(0.0, temp[day] - 13.0)
                    drift = 0.03 * max(0.0, dur - 15)
                    noise = rho * noise_prev + rng.normal(0, sd * np.sqrt(1 - rho**2))
                    noise_prev = noise
                    # the runner's watch shows total HR; the uptake follows the HR minus the
                    # non-metabolic parts (heat, drift, day noise)
                    hr_met = target - heat - drift - noise
                    vo2 = _vo2_from_hr(p, hr_met, day)
                    v = _speed_for_vo2(p, vo2, f, g, fatigue)
                    hr = target
                else:
                    rel = {"easy": 1.0, "long": 0.95, "tempo": 1.22}[rtype]
                    base = v_easy0 * rel * (frac / 0.67) ** 0.8 if rtype != "tempo" else None
                    if rtype == "tempo":
                        base = _speed_for_vo2(p, frac * vo2max0, 1.0, g, 1.0)
                    v = base * (1 + 0.01 * day / (N_DAYS - 1)) * (1 + rng.normal(0, 0.03))
                    vo2 = _vo2(p, v, f, g, fatigue)
                    heat = 0.6 * max(0.0, temp[day] - 13.0)
                    drift = 0.03 * max(0.0, dur - 15)
                    noise = rho * noise_prev + rng.normal(0, sd * np.sqrt(1 - rho**2))
                    noise_prev = noise
                    hr = _hr_from_vo2(p, vo2, day) + heat + drift + noise
                hr = min(hr, p["hrmax"] - 2)
                v = max(v, 120.0)
                dist_km = v * dur / 1000.0
                hour = p["hour"] + rng.uniform(-0.75, 0.75)
                t_air = temp[day] + (-2.5 if hour < 9 else 0.0) + rng.normal(0, 0.8)
                ts = dt.datetime.combine(START + dt.timedelta(days=day), dt.time(0)) + (
                    dt.timedelta(hours=hour)
                )
                climb = g * dist_km * rng.uniform(0.9, 1.1)
                runs.append(
                    dict(
                        runner_id=rid,
                        date=ts.replace(microsecond=0, second=0).isoformat(),
                        distance_km=round(dist_km, 2),
                        duration_s=int(round(dur * 60)),
                        avg_hr_bpm=int(round(hr)),
                        max_hr_bpm=int(round(min(p["hrmax"], hr + rng.uniform(6, 14)))),
                        elev_gain_m=int(round(climb)),
                        elev_loss_m=int(round(climb * rng.uniform(0.95, 1.05))),
                        temp_c="" if rng.random() < 0.05 else round(t_air, 1),
                        run_type=rtype,
                        cadence_spm=int(round(160 + 0.08 * (v - 150) + rng.normal(0, 3))),
                    )
                )
    pd.DataFrame(runners).to_csv(os.path.join(out, "runners.csv"), index=False)
    pd.DataFrame(runs).sort_values(["runner_id", "date"]).to_csv(
        os.path.join(out, "runs.csv"), index=False
    )
    pd.DataFrame(strength).to_csv(os.path.join(out, "strength.csv"), index=False)
    pd.DataFrame(blocks).to_csv(os.path.join(out, "blocks.csv"), index=False)
    tdir = os.path.dirname(os.path.abspath(out))
    tname = os.path.basename(os.path.abspath(out)) + "_truth.csv"
    pd.DataFrame(truth).to_csv(os.path.join(tdir, tname), index=False)
    return os.path.join(tdir, tname)


# --------------------------------------------------------------------------- runner


def _f(x, p=2):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{x:.{p}f}"


def _subsets(d):
    s = d["group"] == "strength"
    c = d["group"] == "control"
    resp = d["responder"].astype(str).str.lower() == "true"
    t = d["true_change_pct"]
    out = [("strength", d[s]), ("control", d[c])]
    nr = d[s & ~resp & (t.abs() < 1.0)]
    if len(nr):
        out.append(("strength non-responders", nr))
    rr = d[s & resp]
    if len(rr) and len(rr) < s.sum():
        out.append(("strength responders", rr))
    wr = d[s & (t >= 1.0)]
    if len(wr):
        out.append(("strength worsened (truth >= +1 %)", wr))
    return out


def _summ(d, col, lo, hi, verdict):
    """Summary of one estimate against the truth over the answered rows of d."""
    ok = d[col].notna() & ~d["verdict"].astype(str).str.startswith("insufficient")
    a = d[ok]
    res = dict(n=len(d), answered=len(a))
    if not len(a):
        return res
    err = a[col] - a["true_change_pct"]
    sq = err.groupby(a["seed"]).mean()
    res["bias"] = err.mean()
    res["se"] = sq.std(ddof=1) / np.sqrt(len(sq)) if len(sq) > 1 else float("nan")
    res["mae"] = err.abs().mean()
    inside = (a[lo] <= a["true_change_pct"]) & (a["true_change_pct"] <= a[hi])
    res["cov"] = inside.mean()
    res["width"] = (a[hi] - a[lo]).mean()
    v = a[verdict].astype(str)
    res["impr"] = (v == "improved").mean()
    res["wors"] = (v == "worsened").mean()
    big = a["true_change_pct"] <= -3.0
    res["n_big"] = int(big.sum())
    res["det"] = (v[big] == "improved").mean() if big.any() else float("nan")
    return res


def table_lines(per):
    lines = [
        "| scenario | subset | rows | answered | mean truth % | bias pp | SE pp | MAE pp "
        "| cover | CI width | called improved | called worsened | detection (n) "
        "| own bias pp | own SE pp | own cover | own improved | own detection |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        for name, d in _subsets(d0):
            s = _summ(d, "o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "verdict")
            o = _summ(d, "own_change_pct", "own_ci_low_pct", "own_ci_high_pct", "own_verdict")
            det = f"{_f(s.get('det'))} ({s.get('n_big', 0)})" if s.get("n_big") else ""
            lines.append(
                f"| {sc} | {name} | {s['n']} | {s['answered']} "
                f"| {_f(d['true_change_pct'].mean())} | {_f(s.get('bias'))} | {_f(s.get('se'))} "
                f"| {_f(s.get('mae'))} | {_f(s.get('cov'))} | {_f(s.get('width'))} "
                f"| {_f(s.get('impr'))} | {_f(s.get('wors'))} | {det} "
                f"| {_f(o.get('bias'))} | {_f(o.get('se'))} | {_f(o.get('cov'))} "
                f"| {_f(o.get('impr'))} | {_f(o.get('det')) if o.get('n_big') else ''} |"
            )
    return lines


def findings(per):
    """Plain-language list of results outside the thresholds of the brief."""
    out = []
    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        for name, d in _subsets(d0):
            for tag, col, lo, hi, vcol in (
                ("headline", "o2_cost_change_pct", "ci_low_pct", "ci_high_pct", "verdict"),
                ("own", "own_change_pct", "own_ci_low_pct", "own_ci_high_pct", "own_verdict"),
            ):
                s = _summ(d, col, lo, hi, vcol)
                if not s.get("answered"):
                    continue
                b, se = s["bias"], s["se"]
                if np.isfinite(se) and abs(b) > 2 * se:
                    out.append(
                        f"{sc} / {name} ({tag}): bias {b:+.2f} pp, {abs(b) / se:.1f} SE from 0 "
                        f"(SE {se:.2f})"
                    )
                if not 0.90 <= s["cov"] <= 0.98:
                    out.append(
                        f"{sc} / {name} ({tag}): 95 % CI coverage {s['cov']:.2f} "
                        f"({s['answered']} rows)"
                    )
                if (name.startswith("control") or "non-responders" in name) and s["impr"] > 0.05:
                    out.append(
                        f"{sc} / {name} ({tag}): called improved {s['impr']:.2f} "
                        f"({int(round(s['impr'] * s['answered']))} of {s['answered']})"
                    )
                if name == "strength" and s.get("n_big") and s["det"] < 0.8:
                    out.append(
                        f"{sc} / {name} ({tag}): detection {s['det']:.2f} of {s['n_big']} "
                        "runners with truth <= -3 %"
                    )
    return out


def write_report(per, problems, notes, md_path, meta):
    lines = [
        "# runeco and the spread of responses to strength work (benchmarks/eleventh_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`, merged with the truth on runner_id and block. Errors are "
        "o2_cost_change_pct - true_change_pct in percentage points (pp); SE = SD over squads "
        "(seeds) of the squad's mean error / sqrt(squads). answered = verdict not `insufficient "
        "data`. cover = share of answered rows whose [ci_low_pct, ci_high_pct] holds the truth; "
        "CI width in pp. called improved / worsened = share of answered rows with `verdict` "
        "`improved` / `worsened`. detection = share of rows with truth <= -3 % called "
        "`improved` (n such rows). own = own_change_pct, own_ci_*, own_verdict against the same "
        "truth. Subsets: non-responders = strength runners marked non-responders with "
        "|truth| < 1 %; responders = those marked responders; worsened = truth >= +1 %.",
        "",
    ]
    lines += table_lines(per)
    lines += ["", "## Beyond the thresholds", ""]
    lines += [f"- {x}" for x in findings(per)] or ["None."]
    lines += ["", "## Failures and structural problems", ""]
    lines += [f"- {p}" for p in problems] or ["None."]
    lines += ["", "## `insufficient data` and other verdicts by subset", ""]
    lines += ["| scenario | group | verdict | rows |", "|---|---|---|---|"]
    for (sc, g, v), n in sorted(notes["verdicts"].items()):
        lines.append(f"| {sc} | {g} | {v} | {n} |")
    lines += ["", "## pooling / reference columns", ""]
    lines += ["| scenario | group | pooling | reference | rows |", "|---|---|---|---|---|"]
    for (sc, g, po, rf), n in sorted(notes["pooling"].items()):
        lines.append(f"| {sc} | {g} | {po} | {rf} | {n} |")
    lines.append("")
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines))


def _one(sc, seed, args):
    sq = os.path.join(args.work, f"{sc}_s{seed}")
    if os.path.exists(sq):
        shutil.rmtree(sq)
    truth_path = generate(sc, seed, sq)
    out_csv = os.path.join(args.work, f"{sc}_s{seed}_out.csv")
    qfile = os.path.join(args.work, f"{sc}_s{seed}_quarantine.csv")
    problems = []
    for f in (qfile, out_csv):
        if os.path.exists(f):
            os.remove(f)
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
        if vr.returncode != 0 or "Traceback" in (vr.stderr or ""):
            tail = " / ".join((vr.stdout + vr.stderr).strip().splitlines()[-3:])
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
        if rc == 0 and "Traceback" in (pr.stderr or ""):
            problems.append(f"{sc} seed {seed}: traceback on stderr: {' / '.join(err)}")
    except subprocess.TimeoutExpired:
        rc, err = "timeout", []
    dt_s = time.time() - t0
    if rc != 0 or not os.path.exists(out_csv):
        problems.append(f"{sc} seed {seed}: analyze exit {rc}: {' / '.join(err)}")
        return None, problems, dt_s, rc
    out_all = pd.read_csv(out_csv)
    truth = pd.read_csv(truth_path)
    res = out_all[out_all["method"] == "field_hr"].rename(columns={"group": "group_out"})
    if "block" not in res:
        res["block"] = 1
    miss = set(truth["runner_id"]) - set(res["runner_id"])
    if miss:
        problems.append(f"{sc} seed {seed}: no field_hr row for {', '.join(sorted(miss))}")
    wrong = truth.merge(res[["runner_id", "block", "group_out"]], on=["runner_id", "block"])
    wrong = wrong[wrong["group"] != wrong["group_out"]]
    for _, r in wrong.iterrows():
        problems.append(f"{sc} seed {seed}: {r.runner_id} group `{r.group_out}`, truth `{r.group}`")
    keep = ["runner_id", "block", "group", "true_change_pct", "responder"]
    m = truth[keep].merge(res, on=["runner_id", "block"], how="left")
    m.insert(0, "seed", seed)
    m.insert(0, "scenario", sc)
    return m, problems, dt_s, rc


def run(args):
    scen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in scen:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)}")
    os.makedirs(args.work, exist_ok=True)
    for p in (args.md, args.per_runner):
        if os.path.dirname(p):
            os.makedirs(os.path.dirname(p), exist_ok=True)
    frames, problems = [], []
    notes = dict(verdicts=Counter(), pooling=Counter())
    t_all = time.time()
    jobs = [
        (sc, seed) for sc in scen for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(_one, sc, seed, args) for sc, seed in jobs]
        for (sc, seed), fu in zip(jobs, futs, strict=True):
            m, pr, dt_s, rc = fu.result()
            problems += pr
            print(
                f"[{time.time() - t_all:6.0f}s] {sc} seed {seed}: analyze rc={rc} in {dt_s:.1f}s",
                flush=True,
            )
            if m is None:
                continue
            for _, r in m.iterrows():
                v = str(r.get("verdict"))
                notes["verdicts"][(sc, r["group"], v)] += 1
                notes["pooling"][
                    (sc, r["group"], str(r.get("pooling")), str(r.get("reference")))
                ] += 1
            frames.append(m)
            per = pd.concat(frames, ignore_index=True)
            per.to_csv(args.per_runner, index=False)
            write_report(per, problems, notes, args.md, "Partial (still running).")
    per = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    per.to_csv(args.per_runner, index=False)
    elapsed = time.time() - t_all
    meta = (
        f"Squads: {args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1}) "
        f"per scenario; {len(per)} runner-block rows; runeco: `{args.runeco}`; "
        f"total run time {elapsed / 60:.1f} min."
    )
    if len(per):
        write_report(per, problems, notes, args.md, meta)
    else:
        with open(args.md, "w") as fh:
            fh.write(
                "\n".join(["# eleventh_scenarios", "", meta, ""] + [f"- {p}" for p in problems])
            )
    print(meta)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", aliases=["generate"], help="write one squad (truth beside it)")
    g.add_argument("--scenario", required=True, choices=list(SCENARIOS))
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="generate, validate, analyze and summarise")
    r.add_argument("--work", required=True)
    r.add_argument("--seeds", type=int, default=10)
    r.add_argument("--first-seed", type=int, default=1101)
    r.add_argument("--scenarios", default=",".join(SCENARIOS))
    r.add_argument("--runeco", default="runeco")
    r.add_argument("--md", required=True)
    r.add_argument("--per-runner", required=True)
    r.add_argument("--timeout", type=float, default=900)
    r.add_argument("--jobs", type=int, default=2, help="squads analysed at once")
    a = ap.parse_args(argv)
    if a.cmd in ("gen", "generate"):
        tp = generate(a.scenario, a.seed, a.out)
        print(a.out)
        print(tp)
    else:
        run(a)


if __name__ == "__main__":
    main()
