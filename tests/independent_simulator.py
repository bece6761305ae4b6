"""A small squad simulator that shares no code or constant with runeco's estimator.

Its physiology is written here from the papers, on purpose not imported from
``analysis.physiology``: a wrong constant shared by a simulator and the
estimator it checks is invisible to every simulation test (issue 15). It
writes a canonical dataset of flat, steady easy runs in mild weather, with
heart rate from the true oxygen uptake by heart-rate reserve = VO2 reserve.

- Oxygen cost of running on the flat (Daniels & Gilbert 1979, Oxygen Power):
  VO2 = -4.60 + 0.182258 v + 0.000104 v^2 [ml/kg/min], v in m/min.
- Resting oxygen uptake 3.5 ml/kg/min (1 MET; ACSM Guidelines).
- %HRR = %VO2R (Swain & Leutholtz 1997, Med Sci Sports Exerc 29:410-414).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REST_VO2 = 3.5  # ml/kg/min, ACSM
DANIELS = (-4.60, 0.182258, 0.000104)


def true_vo2(speed_m_min):
    a, b, c = DANIELS
    return a + b * speed_m_min + c * speed_m_min**2


def write_squad(
    folder: Path,
    *,
    n_runners: int = 10,
    change_pct: float = -4.0,
    hr_noise_bpm: float = 0.5,
    seed: int = 0,
) -> pd.DataFrame:
    """Write the squad; return the truth (runner_id, group, true baseline cost at
    the runner's median speed, true change in %)."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    start = pd.Timestamp("2026-01-05")
    block_start, block_end = start + pd.Timedelta(weeks=6), start + pd.Timedelta(weeks=16, days=-1)
    runners, runs, blocks, truth = [], [], [], []
    for i in range(n_runners):
        rid = f"I{i:02d}"
        strength = i % 2 == 0
        vo2max = 50.0 + 2.0 * i
        rest, hmax = 50.0 + (i % 5), 185.0 - (i % 4)
        econ = 1.0 + 0.01 * (i % 3)
        runners.append(
            {
                "runner_id": rid,
                "group": "strength" if strength else "control",
                "hr_rest_bpm": rest,
                "hr_max_bpm": hmax,
                "vo2max_ml_kg_min": vo2max,
            }
        )
        if strength:
            blocks.append(
                {"runner_id": rid, "block_start": block_start.date(), "block_end": block_end.date()}
            )
        days = pd.date_range(start, start + pd.Timedelta(weeks=16, days=-1), freq="D")
        days = days[rng.random(len(days)) < 5 / 7]
        for k, day in enumerate(days):
            ramp = float(np.clip((day - block_start) / (block_end - block_start), 0, 1))
            factor = econ * (1 + (change_pct / 100.0) * ramp if strength else 1.0)
            speed = rng.uniform(160.0, 200.0)  # m/min, easy running
            vo2 = factor * true_vo2(speed)
            hrr = (vo2 - REST_VO2) / (vo2max - REST_VO2)
            hr = rest + hrr * (hmax - rest) + rng.normal(0, hr_noise_bpm)
            minutes = rng.uniform(35.0, 55.0)
            runs.append(
                {
                    "runner_id": rid,
                    "run_id": f"{rid}-{k}",
                    "date": (day + pd.Timedelta(hours=7)).isoformat(),
                    "run_type": "easy",
                    "distance_km": round(speed * minutes / 1000.0, 4),
                    "duration_s": round(minutes * 60.0, 2),
                    "avg_hr_bpm": round(hr, 3),
                    "elev_gain_m": 0,
                    "elev_loss_m": 0,
                    "temp_c": 8.0,
                }
            )
        median_speed = 180.0
        truth.append(
            {
                "runner_id": rid,
                "group": "strength" if strength else "control",
                "true_change_pct": change_pct if strength else 0.0,
                "true_cost_at_180_m_min": econ * true_vo2(median_speed) / median_speed * 1000.0,
            }
        )
    pd.DataFrame(runners).to_csv(folder / "runners.csv", index=False)
    pd.DataFrame(runs).to_csv(folder / "runs.csv", index=False)
    pd.DataFrame(blocks).to_csv(folder / "blocks.csv", index=False)
    return pd.DataFrame(truth)
