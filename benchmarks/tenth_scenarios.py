"""Tenth independent check of runeco: squad designs and logging habits, not physiology.

Standalone generator (numpy and pandas only; nothing imported from ``analysis``),
written blind to runeco's model: its author read only docs/DATA_FORMAT.md, the CLI
help and the command-line loop of benchmarks/training_load_scenarios.py.

The physiology is simple, standard and the same in every scenario; what changes
from scenario to scenario is the design of the squad (group sizes, block dates and
lengths, several blocks, a large squad, a longer baseline) and how the runs and the
strength work are logged (holidays, thinning logs, few baseline runs, missing heart
rate, no ``group`` column, no blocks.csv, mobility-only logs of controls, controls
who joined late, two devices).

Physiology (every scenario)
---------------------------
- Oxygen uptake on flat ground: ACSM's running equation, VO2 = 3.5 + k * v
  (ml/kg/min, v in m/min; ACSM 2013 guidelines, k = 0.2 there), with a per-runner
  k ~ N(0.19, 0.012). The strength effect multiplies the whole (gross) VO2, so the
  oxygen cost per km (VO2 / speed) changes by exactly that factor at every speed.
- Strength effect: a linear ramp from block_start to block_end (full at block_end,
  kept afterwards). Responders (75 % of strength runners): -3 to -5 % (uniform;
  the size reported for heavy/explosive strength work in trained runners by
  Balsalobre-Fernandez et al. 2016 and Blagrove et al. 2018, meta-analyses and
  review, roughly 2-8 %); non-responders and controls: 0. A second block adds
  -1.5 to -3 % for a responder, on top of the first (kept).
- Heart rate from uptake: %HRR = a + b * %VO2R with a ~ N(0, 0.02) and
  b ~ N(1, 0.03) per runner (Swain & Leutholtz 1997: %HRR ~ %VO2R, modest
  individual scatter).
- Aerobic fitness: VO2max rises 0.075 % a week for every runner (about 1.5 % over
  a 20-week season; the same for controls and strength runners: a parallel
  trend). This lowers heart rate at a pace without changing the oxygen cost.
- Heat: +1.2 bpm per degC of air temperature above 15 degC (cardiovascular drift
  in the heat, e.g. Gonzalez-Alonso et al. 1999; Galloway & Maughan 1997);
  a season warming from about 1 degC in February to about 17 degC in late June,
  with weather noise (AR(1), SD 3 degC) and mornings 2 degC cooler than evenings.
- Day-to-day noise of heart rate at a fixed pace: SD 2.5 bpm (Lamberts et al.
  2004/2011: submaximal heart rate varies about 1-2 % day to day); logged heart
  rates are whole beats.
- Runs: easy (3 a week), one long (0.92 x easy speed), one tempo (1.14 x), speeds
  varying 3 % from run to run, small symmetric elevation. No residual fatigue
  after strength sessions, no time-of-day rhythm, no training-load effect, no
  change of body mass: none of these is simulated.

Truth (truth.csv)
-----------------
DATA_FORMAT.md: ``o2_cost_change_pct`` is the change in oxygen cost from the
baseline to the end of the block in % of baseline; with ``reference`` = controls,
the runner's change minus the squad's controls' mean change over the same dates (a
control relative to the other controls). Controls' true cost never changes here,
so ``true_change_pct`` = the runner's own true change in oxygen cost over the
block: the strength effect of that block for a strength runner, 0 for a control.
The same truth holds for ``raw_change_pct`` (own change) because cost changes only
by the strength effect; ``fitness_confound_pct`` gives what the VO2max rise alone
would read as a change in cost at the runner's easy pace over the block (with
VO2max fixed at runners.csv's value), which the control reference should remove.

Sources are cited from memory (author, year, gist) and were NOT re-checked: this
machine has no internet access.

Usage::

    python benchmarks/tenth_scenarios.py gen --scenario plain --seed 1 --out /tmp/sq
    python benchmarks/tenth_scenarios.py run --work /tmp/gen10 --seeds 10 \
        --first-seed 1001 --runeco .venv/bin/runeco --md gen10.md --per-runner gen10.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import time
import zlib
from collections import Counter

import numpy as np
import pandas as pd

SEASON_START = dt.date(2026, 2, 2)  # a Monday; week 0
VO2MAX_DRIFT_PER_WEEK = 0.00075
HEAT_BPM_PER_C = 1.2
HEAT_ONSET_C = 15.0
HR_NOISE_BPM = 2.5
DEVICE_OFFSET_MAX_BPM = 4.0  # optical watch reads 0-4 bpm high (per runner)
DEVICE_EXTRA_SD_BPM = 3.0  # and noisier

SCENARIOS = [
    "plain",
    "strength_heavy",
    "control_heavy",
    "staggered",
    "big_squad",
    "two_blocks",
    "control_holiday",
    "sparse_baseline",
    "hr_gaps",
    "inferred_blocks",
    "no_group_mobility",
    "late_controls",
    "baseline8",
    "two_devices",
    "coach_labels",
]

SCENARIO_TEXT = {
    "plain": "16 runners, 8 strength + 8 controls, everything logged, one 10-week block "
    "for all (weeks 10-19), logs from week 0, blocks.csv given",
    "strength_heavy": "16 runners, 12 strength + 4 controls, otherwise plain",
    "control_heavy": "16 runners, 4 strength + 12 controls, otherwise plain",
    "staggered": "8 + 8; strength blocks start on different dates (weeks 8-14) and last 8, "
    "10 or 12 weeks; controls log the whole span",
    "big_squad": "40 runners, 20 + 20, otherwise plain",
    "two_blocks": "8 + 8; 4 strength runners have two 8-week blocks in blocks.csv (weeks "
    "8-15 and 20-27, 4 weeks apart), 4 have one (weeks 8-15); logs to week 27",
    "control_holiday": "8 + 8; 3 controls log nothing for 3 weeks mid-block (weeks 14-16, "
    "still running), 2 controls log 2 runs a week in the block (affected = these 5)",
    "sparse_baseline": "8 + 8; strength runners log 3 runs a week before the block and "
    "6 in it; controls 5 throughout",
    "hr_gaps": "8 + 8; avg_hr_bpm empty in a random third of all runs",
    "inferred_blocks": "8 + 8; no blocks.csv (blocks from strength.csv: 2 sessions a "
    "week in weeks 10-19, one week missed by some runners); group cell empty for 2 strength "
    "runners and 2 controls (affected)",
    "no_group_mobility": "8 + 8; runners.csv has no group column; blocks.csv for the strength "
    "runners; 4 controls log mobility/yoga all season (exercises.csv maps them to "
    "`mobility`) (affected)",
    "late_controls": "8 + 8; 4 controls start logging 2 weeks before the block, 4 at the "
    "block start (joined the squad late; affected); strength runners log from week 0",
    "baseline8": "8 + 8; runeco.toml sets baseline_weeks = 8; otherwise plain",
    "two_devices": "8 + 8; every runner's runs come from two devices: a chest strap and an "
    "optical watch reading a runner-specific 0-4 bpm high with more noise (30-60 % of runs)",
    "coach_labels": "plain, but the coach's own group labels in runners.csv: `gym` for the "
    "strength runners, `runs only` for the controls (the contract: group is free text, "
    "e.g. strength / control)",
}


# --------------------------------------------------------------------------------------
# squad design
def _day(week, dow=0):
    return SEASON_START + dt.timedelta(days=7 * week + dow)


def _design(scenario, rng):
    """Runner specs: group, blocks [(start, end)], log window, logging habits."""
    n_s, n_c = 8, 8
    if scenario == "strength_heavy":
        n_s, n_c = 12, 4
    elif scenario == "control_heavy":
        n_s, n_c = 4, 12
    elif scenario == "big_squad":
        n_s, n_c = 20, 20
    specs = []
    for i in range(n_s + n_c):
        g = "strength" if i < n_s else "control"
        specs.append(
            dict(
                runner_id=f"R{i + 1:02d}",
                group=g,
                blocks=[],
                log_start=_day(0),
                log_end=None,
                gaps=[],
                rate=lambda d, blk: 5,
                hr_missing=0.0,
                affected=False,
                group_cell=g,
                mobility=False,
                skip_weeks=set(),
            )
        )
    strength = [s for s in specs if s["group"] == "strength"]
    controls = [s for s in specs if s["group"] == "control"]
    default_block = (_day(10), _day(19, 6))
    for s in strength:
        s["blocks"] = [default_block]

    if scenario == "staggered":
        starts = rng.permutation([8, 9, 10, 11, 12, 13, 14, 10])
        lengths = rng.permutation([8, 8, 10, 10, 10, 12, 12, 12])
        for s, w, L in zip(strength, starts, lengths, strict=True):
            s["blocks"] = [(_day(int(w)), _day(int(w) + int(L) - 1, 6))]
    elif scenario == "two_blocks":
        for j, s in enumerate(strength):
            s["blocks"] = [(_day(8), _day(15, 6))]
            if j < 4:
                s["blocks"].append((_day(20), _day(27, 6)))
                s["affected"] = True
    elif scenario == "control_holiday":
        for c in controls[:3]:
            c["gaps"] = [(_day(14), _day(16, 6))]
            c["affected"] = True
        for c in controls[3:5]:
            c["rate"] = lambda d, blk: 2 if d >= _day(10) else 5
            c["affected"] = True
    elif scenario == "sparse_baseline":
        for s in strength:
            s["rate"] = lambda d, blk: 6 if blk else 3
    elif scenario == "hr_gaps":
        for s in specs:
            s["hr_missing"] = 1 / 3
    elif scenario == "inferred_blocks":
        for s in strength:
            if rng.random() < 0.5:
                s["skip_weeks"] = {int(rng.integers(12, 18))}
        for s in strength[:2] + controls[:2]:
            s["group_cell"] = ""
            s["affected"] = True
    elif scenario == "no_group_mobility":
        for c in controls[:4]:
            c["mobility"] = True
            c["affected"] = True
    elif scenario == "late_controls":
        for c in controls[:4]:
            c["log_start"] = _day(8)
            c["affected"] = True
        for c in controls[4:]:
            c["log_start"] = _day(10)
            c["affected"] = True
    end = max(b[1] for s in strength for b in s["blocks"])
    if scenario == "coach_labels":
        for s in specs:
            s["group_cell"] = "gym" if s["group"] == "strength" else "runs only"
    for s in specs:
        s["log_end"] = end
    return specs


# --------------------------------------------------------------------------------------
# physiology
def _temperature_series(rng, days):
    doy = np.array([d.timetuple().tm_yday for d in days], float)
    season = 9 + 9 * np.sin(2 * np.pi * (doy - 105) / 365)
    w = np.zeros(len(days))
    for i in range(1, len(days)):
        w[i] = 0.7 * w[i - 1] + rng.normal(0, 3 * np.sqrt(1 - 0.49))
    return dict(zip(days, season + w, strict=True))


def _econ_factor(d, blocks_eff):
    """Multiplier of oxygen cost on day d (ramps over each block, kept after)."""
    f = 1.0
    for (b0, b1), e in blocks_eff:
        if d <= b0:
            frac = 0.0
        elif d >= b1:
            frac = 1.0
        else:
            frac = (d - b0).days / (b1 - b0).days
        f *= 1 + e / 100 * frac
    return f


def _vo2max_factor(d):
    return 1 + VO2MAX_DRIFT_PER_WEEK * (d - SEASON_START).days / 7


def _runner_params(rng, spec):
    sex = "F" if rng.random() < 0.4 else "M"
    vo2max = rng.uniform(46, 58) if sex == "F" else rng.uniform(50, 64)
    hr_max = int(round(rng.normal(188, 7)))
    hr_rest = int(round(rng.normal(50, 5)))
    k = rng.normal(0.19, 0.012)
    x_easy = rng.uniform(0.60, 0.70)
    v_easy = x_easy * (vo2max - 3.5) / k  # m/min at the target %VO2R
    return dict(
        sex=sex,
        birth_year=int(rng.integers(1976, 2004)),
        body_mass=round(rng.normal(58, 5) if sex == "F" else rng.normal(70, 6), 1),
        vo2max=round(vo2max, 1),
        hr_max=hr_max,
        hr_rest=hr_rest,
        k=k,
        a=rng.normal(0, 0.02),
        b=rng.normal(1, 0.03),
        v_easy=v_easy,
        morning=rng.random() < 0.6,
        dev_offset=rng.uniform(0, DEVICE_OFFSET_MAX_BPM),
        dev_share=rng.uniform(0.3, 0.6),
    )


def _hr(p, v_mmin, d, temp, econ):
    vo2 = (3.5 + p["k"] * v_mmin) * econ
    vmax = p["vo2max"] * _vo2max_factor(d)
    x = (vo2 - 3.5) / (vmax - 3.5)
    hrr = p["a"] + p["b"] * x
    return (
        p["hr_rest"]
        + hrr * (p["hr_max"] - p["hr_rest"])
        + HEAT_BPM_PER_C * max(0.0, temp - HEAT_ONSET_C)
    )


def _fitness_confound(p, b0, b1) -> float:
    """The change [%] in cost read from heart rate at easy pace between 3 weeks before
    ``b0`` and ``b1`` that fitness alone causes (the truth file's confound)."""
    v = p["v_easy"]
    hr0 = _hr(p, v, b0 - dt.timedelta(days=21), 10, 1.0)
    hr1 = _hr(p, v, b1, 10, 1.0)
    return 100 * (_read_cost(p, v, hr1, p["vo2max"]) / _read_cost(p, v, hr0, p["vo2max"]) - 1)


def _read_cost(p, v_mmin, hr, vo2max_used):
    """Cost [ml/kg/km] a plain %HRR = %VO2R reading gives."""
    x = (hr - p["hr_rest"]) / (p["hr_max"] - p["hr_rest"])
    return (3.5 + x * (vo2max_used - 3.5)) / (v_mmin / 1000)


STRENGTH_SESSION = [
    ("back squat", 4, 5, "heavy"),
    ("single-leg deadlift", 3, 6, "heavy"),
    ("walking lunges", 3, 10, "bw"),
    ("single-leg lateral jumps", 3, 8, "plyo"),
    ("plank", 3, None, "hold"),
]
MOBILITY_SESSION = ["hip mobility flow", "yoga", "hamstring stretch"]


# --------------------------------------------------------------------------------------
def generate(scenario, seed, out):
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}")
    rng = np.random.default_rng([seed, zlib.crc32(scenario.encode())])
    specs = _design(scenario, rng)
    first = min(s["log_start"] for s in specs)
    last = max(s["log_end"] for s in specs)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    temps = _temperature_series(rng, days)
    runners, runs, strength, blocks, truth = [], [], [], [], []
    for spec in specs:
        rid = spec["runner_id"]
        p = _runner_params(rng, spec)
        eff = []
        responder = spec["group"] == "strength" and rng.random() < 0.75
        for j, blk in enumerate(spec["blocks"]):
            if not responder:
                e = 0.0
            elif j == 0:
                e = rng.uniform(-5, -3)
            else:
                e = rng.uniform(-3, -1.5)
            eff.append((blk, e))
        runners.append(
            dict(
                runner_id=rid,
                name=f"Runner {rid[1:]}",
                sex=p["sex"],
                birth_year=p["birth_year"],
                body_mass_kg=p["body_mass"],
                hr_rest_bpm=p["hr_rest"],
                hr_max_bpm=p["hr_max"],
                vo2max_ml_kg_min=p["vo2max"],
                group=spec["group_cell"],
            )
        )
        # runs, week by week
        wk = 0
        while _day(wk) <= spec["log_end"]:
            monday = _day(wk)
            wk += 1
            if monday + dt.timedelta(days=6) < spec["log_start"]:
                continue
            in_blk = any(b0 <= monday <= b1 for (b0, b1), _ in eff)
            n = spec["rate"](monday, in_blk)
            # weekly plan: Mon easy, Tue tempo, Thu easy, Sat easy, Sun long, (Wed, Fri)
            plan = [(0, "easy"), (1, "tempo"), (3, "easy"), (6, "long"), (5, "easy"), (2, "easy")]
            if n <= 3:
                plan = [(1, "easy"), (3, "tempo"), (6, "long")][:n]
            else:
                plan = plan[:n]
            for dow, rtype in plan:
                d = monday + dt.timedelta(days=dow)
                if d < spec["log_start"] or d > spec["log_end"]:
                    continue
                if any(g0 <= d <= g1 for g0, g1 in spec["gaps"]):
                    continue
                if rng.random() < 0.08:
                    continue  # a missed run
                morning = p["morning"] if rng.random() < 0.75 else not p["morning"]
                if rtype == "long":
                    morning = True
                hour = rng.uniform(6, 8) if morning else rng.uniform(17, 19.5)
                temp = temps[d] + (-2 if morning else 2)
                mult = {"easy": 1.0, "long": 0.92, "tempo": 1.14}[rtype]
                v = p["v_easy"] * mult * np.exp(rng.normal(0, 0.03))
                dist = {
                    "easy": rng.uniform(7, 12),
                    "long": rng.uniform(16, 24),
                    "tempo": rng.uniform(8, 12),
                }[rtype]
                dur = dist * 1000 / v * 60
                econ = _econ_factor(d, eff)
                hr = _hr(p, v, d, temp, econ) + rng.normal(0, HR_NOISE_BPM)
                device = "Forerunner 255"
                if scenario == "two_devices" and rng.random() < p["dev_share"]:
                    device = "Apple Watch Series 8"
                    hr += p["dev_offset"] + rng.normal(0, DEVICE_EXTRA_SD_BPM)
                hr_cell = int(round(hr))
                if rng.random() < spec["hr_missing"]:
                    hr_cell = None
                gain = int(rng.integers(0, 8) * dist / 2)
                start = dt.datetime.combine(d, dt.time()) + dt.timedelta(hours=hour)
                row = dict(
                    runner_id=rid,
                    date=start.strftime("%Y-%m-%dT%H:%M:00"),
                    distance_km=round(dist, 2),
                    duration_s=int(round(dur)),
                    avg_hr_bpm=hr_cell,
                    max_hr_bpm=None if hr_cell is None else hr_cell + int(rng.integers(6, 15)),
                    elev_gain_m=gain,
                    elev_loss_m=gain,
                    temp_c=round(temp, 1),
                    run_type=rtype,
                )
                if scenario == "two_devices":
                    row["device"] = device
                runs.append(row)
        # strength log
        for bi, ((b0, b1), _) in enumerate(eff):
            w = 0
            while b0 + dt.timedelta(days=7 * w) <= b1:
                monday = b0 + dt.timedelta(days=7 * w)
                wi = (monday - SEASON_START).days // 7
                w += 1
                if wi in spec["skip_weeks"]:
                    continue
                for dow in (1, 4):
                    d = monday + dt.timedelta(days=dow)
                    if d > b1:
                        continue
                    for name, sets, reps, kind in STRENGTH_SESSION:
                        load = None
                        if kind == "heavy":
                            load = (
                                round(p["body_mass"] * (0.9 if "squat" in name else 0.5) / 2.5)
                                * 2.5
                            )
                        strength.append(
                            dict(
                                runner_id=rid,
                                date=d.isoformat(),
                                exercise=name,
                                sets=sets,
                                reps=reps,
                                load_kg=load,
                                duration_s=45 if kind == "hold" else None,
                                rpe=int(rng.integers(6, 9)),
                            )
                        )
            blocks.append(
                dict(
                    runner_id=rid,
                    block_start=b0.isoformat(),
                    block_end=b1.isoformat(),
                    label=f"block {bi + 1}",
                )
            )
        if spec["mobility"]:
            d = spec["log_start"]
            while d <= spec["log_end"]:
                if d.weekday() in (2, 5) and rng.random() < 0.8:
                    for name in MOBILITY_SESSION:
                        strength.append(
                            dict(
                                runner_id=rid,
                                date=d.isoformat(),
                                exercise=name,
                                sets=1,
                                reps=None,
                                load_kg=None,
                                duration_s=600,
                                rpe=3,
                            )
                        )
                d += dt.timedelta(days=1)
        # truth
        if spec["group"] == "strength":
            for bi, ((b0, b1), e) in enumerate(eff):
                conf = _fitness_confound(p, b0, b1)
                truth.append(
                    dict(
                        runner_id=rid,
                        block=bi + 1,
                        group="strength",
                        group_label=spec["group_cell"],
                        true_change_pct=round(e, 4),
                        responder=responder,
                        affected=spec["affected"],
                        true_block_start=b0.isoformat(),
                        true_block_end=b1.isoformat(),
                        fitness_confound_pct=round(conf, 3),
                    )
                )
        else:
            b0 = min(b[0] for s in specs for b in s["blocks"])
            b1 = max(b[1] for s in specs for b in s["blocks"])
            conf = _fitness_confound(p, b0, b1)
            truth.append(
                dict(
                    runner_id=rid,
                    block=1,
                    group="control",
                    group_label=spec["group_cell"],
                    true_change_pct=0.0,
                    responder=False,
                    affected=spec["affected"],
                    true_block_start="",
                    true_block_end="",
                    fitness_confound_pct=round(conf, 3),
                )
            )

    os.makedirs(out, exist_ok=True)
    pdf = pd.DataFrame(runners)
    if scenario == "no_group_mobility":
        pdf = pdf.drop(columns=["group"])
    pdf.to_csv(os.path.join(out, "runners.csv"), index=False)
    rdf = pd.DataFrame(runs)
    for c in ("avg_hr_bpm", "max_hr_bpm"):
        rdf[c] = rdf[c].astype("Int64")
    rdf.to_csv(os.path.join(out, "runs.csv"), index=False)
    sdf = pd.DataFrame(strength)
    for c in ("reps", "duration_s"):
        sdf[c] = sdf[c].astype("Int64")
    sdf.to_csv(os.path.join(out, "strength.csv"), index=False)
    if scenario != "inferred_blocks":
        pd.DataFrame(blocks).to_csv(os.path.join(out, "blocks.csv"), index=False)
    if scenario == "no_group_mobility":
        pd.DataFrame(
            [dict(exercise=n, category="mobility", runner_id="") for n in MOBILITY_SESSION]
        ).to_csv(os.path.join(out, "exercises.csv"), index=False)
    if scenario == "baseline8":
        with open(os.path.join(out, "runeco.toml"), "w") as fh:
            fh.write("[analysis]\nbaseline_weeks = 8\n")
    pd.DataFrame(truth).to_csv(os.path.join(out, "truth.csv"), index=False)
    return out


# --------------------------------------------------------------------------------------
# summary (loop and table after benchmarks/training_load_scenarios.py)
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
        "| improved | worsened | det | raw bias | raw SE | fitness confound pp |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in per["scenario"].unique():
        d0 = per[per["scenario"] == sc]
        subsets = []
        for g in ("strength", "control"):
            dg = d0[d0["group"] == g]
            if dg["block"].nunique() > 1:
                for b in sorted(dg["block"].unique()):
                    subsets.append((f"{g}, block {b}", dg[dg["block"] == b]))
            else:
                subsets.append((g, dg))
            aff = dg["affected"].astype(str).str.lower() == "true"
            if aff.any() and not aff.all():
                subsets.append((f"{g}, affected", dg[aff]))
                subsets.append((f"{g}, unaffected", dg[~aff]))
            if g == "strength":
                resp = dg["responder"].astype(str).str.lower() == "true"
                subsets.append(("strength, non-responders", dg[~resp]))
        for name, d in subsets:
            if len(d) == 0:
                continue
            s = _summ(d, "o2_cost_change_pct")
            rw = _summ(d, "raw_change_pct", ci=False)
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
                f"| {_f(d['fitness_confound_pct'].mean())} |"
            )
    return lines


def _norm_warning(w):
    w = re.sub(r"R\d\d", "R..", w)
    w = re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", w)
    w = re.sub(r"[-+−]?\d+(\.\d+)?", "N", w)
    return w.strip()


def _structural(sc, seed, truth, out_all, problems, notes):
    """Record structural problems of one squad's output."""
    res = out_all[out_all["method"] == "field_hr"].copy()
    if "block" not in res:
        res["block"] = 1
    key = ["runner_id", "block"]
    m = truth.merge(
        res[key + ["group"]].rename(columns={"group": "group_out"}),
        on=key,
        how="left",
        indicator=True,
    )
    missing = m[m["_merge"] == "left_only"]
    for _, r in missing.iterrows():
        problems.append(f"{sc} seed {seed}: no field_hr row for {r.runner_id} block {r.block}")
    extra = res.merge(truth[key], on=key, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    for _, r in extra.iterrows():
        problems.append(
            f"{sc} seed {seed}: unexpected field_hr row {r.runner_id} block {r.block} "
            f"(group {r.get('group')}, verdict {r.get('verdict')})"
        )
    both = m[m["_merge"] == "both"]
    label = both["group_label"].fillna("").astype(str)
    expected = label.where(label != "", both["group"].astype(str))
    wrong = both[both["group_out"].astype(str) != expected]
    for _, r in wrong.iterrows():
        problems.append(
            f"{sc} seed {seed}: {r.runner_id} block {r.block} group `{r.group_out}`, truth `{r.group}`"
        )
    # pooled with more runners than the runner's true group has (same block)
    if "n_pooled_runners" in res:
        pr = res.merge(truth[key + ["group"]].rename(columns={"group": "g_true"}), on=key)
        size = truth.groupby(["group", "block"]).size()
        over = pr[
            (pr["pooling"] == "group")
            & pr.apply(
                lambda r: r["n_pooled_runners"] > size.get((r["g_true"], r["block"]), 0), axis=1
            )
        ]
        if len(over):
            problems.append(
                f"{sc} seed {seed}: {len(over)} rows pooled with more runners than their true "
                f"group holds (e.g. {over.iloc[0].runner_id}: {int(over.iloc[0].n_pooled_runners)} "
                f"pooled, {over.iloc[0].g_true} group of {size.get((over.iloc[0].g_true, over.iloc[0].block))})"
            )
    n_ctrl_answered = 0
    if len(res):
        ok = ~res["verdict"].astype(str).str.startswith("insufficient")
        true_ctrl = res["runner_id"].isin(truth.loc[truth["group"] == "control", "runner_id"])
        n_ctrl_answered = int((true_ctrl & ok).sum())
        if n_ctrl_answered >= 2 and "reference" in res:
            nref = res[ok & (res["reference"].astype(str) == "none")]
            if len(nref):
                problems.append(
                    f"{sc} seed {seed}: {len(nref)} answered rows with reference `none` "
                    f"although {n_ctrl_answered} controls were answered "
                    f"(e.g. {nref.iloc[0].runner_id})"
                )
        for _, r in res[~ok].iterrows():
            notes["insufficient"][(sc, str(r["group"]), str(r["verdict"]))] += 1
        if "warning" in res:
            for _, r in res.iterrows():
                w = r.get("warning")
                if isinstance(w, str) and w.strip():
                    for part in re.split(r";\s+|\.\s+(?=[A-Z])", w):
                        if part.strip():
                            notes["warnings"][(sc, str(r["group"]), _norm_warning(part))] += 1
        # block dates of strength runners against the design
        t = truth[truth["group"] == "strength"].merge(
            res[key + ["block_start", "block_end"]], on=key, how="inner"
        )
        for _, r in t.iterrows():
            try:
                ds = (pd.Timestamp(r.block_start) - pd.Timestamp(r.true_block_start)).days
                de = (pd.Timestamp(r.block_end) - pd.Timestamp(r.true_block_end)).days
            except (ValueError, TypeError):
                ds = de = None
            if ds is None or abs(ds) > 7 or abs(de) > 7:
                problems.append(
                    f"{sc} seed {seed}: {r.runner_id} block {r.block} dates "
                    f"{r.block_start}..{r.block_end}, design {r.true_block_start}..{r.true_block_end}"
                )
    return both


def write_report(per, problems, notes, md_path, meta):
    lines = [
        "# runeco on squad designs and logging habits (benchmarks/tenth_scenarios.py)",
        "",
        meta,
        "",
        "Rows with method `field_hr`, merged with truth.csv on runner_id and block. Errors are "
        "o2_cost_change_pct - true_change_pct in percentage points (pp); SE = SD over squads "
        "(seeds) of the squad's mean error / sqrt(squads). answered = verdict not `insufficient "
        "data`. cover = share of answered runners whose [ci_low_pct, ci_high_pct] holds the "
        "truth. det = share of strength runners with truth <= -3 % called `improved`. raw = "
        "raw_change_pct against the same truth. fitness confound = what the common VO2max rise "
        "alone reads as a change in cost (the control reference should remove it).",
        "",
    ]
    lines += table_lines(per)
    lines += ["", "## Structural problems", ""]
    lines += [f"- {p}" for p in problems] or ["None."]
    lines += [
        "",
        "## `insufficient data` reasons",
        "",
        "| scenario | group | verdict | rows |",
        "|---|---|---|---|",
    ]
    for (sc, g, v), n in sorted(notes["insufficient"].items()):
        lines.append(f"| {sc} | {g} | {v} | {n} |")
    lines += [
        "",
        "## Warnings (numbers replaced by N, ids by R..)",
        "",
        "| scenario | group | warning | rows |",
        "|---|---|---|---|",
    ]
    for (sc, g, w), n in sorted(notes["warnings"].items()):
        lines.append(f"| {sc} | {g} | {w.replace('|', '/')} | {n} |")
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
    notes = dict(insufficient=Counter(), warnings=Counter())
    t_all = time.time()
    for sc in scen:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            sq = os.path.join(args.work, f"{sc}_s{seed}")
            if os.path.exists(sq):
                shutil.rmtree(sq)
            generate(sc, seed, sq)
            out_csv = os.path.join(args.work, f"{sc}_s{seed}_out.csv")
            qfile = os.path.join(args.work, f"{sc}_s{seed}_quarantine.csv")
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
            print(
                f"[{time.time() - t_all:6.0f}s] {sc} seed {seed}: analyze rc={rc} "
                f"in {time.time() - t0:.1f}s",
                flush=True,
            )
            if rc != 0 or not os.path.exists(out_csv):
                problems.append(f"{sc} seed {seed}: analyze exit {rc}: {' / '.join(err)}")
                continue
            out_all = pd.read_csv(out_csv)
            truth = pd.read_csv(os.path.join(sq, "truth.csv"))
            _structural(sc, seed, truth, out_all, problems, notes)
            res = out_all[out_all["method"] == "field_hr"].rename(columns={"group": "group_out"})
            if "block" not in res:
                res["block"] = 1
            m = truth.merge(res, on=["runner_id", "block"], how="left")
            m.insert(0, "seed", seed)
            m.insert(0, "scenario", sc)
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
