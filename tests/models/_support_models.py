"""Helpers shared by the tests split from test_models.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io import load_dataset
from analysis.io.dataset import Dataset
from analysis.simulate import simulate_squad
from tests.paths import REPO_ROOT


# The `analyze` output columns of DATA_FORMAT.md ("Outputs"), in order: the contract.
def _data_format_analyze_columns() -> list[str]:
    """The `analyze` output columns as docs/DATA_FORMAT.md lists them, in order: the contract."""
    text = (REPO_ROOT / "docs" / "DATA_FORMAT.md").read_text()
    section = text[text.index("| runner_id | |") :]
    names = []
    for line in section.splitlines():
        if not line.startswith("| "):
            break
        names += [n.strip() for n in line.split("|")[1].split(",")]
    return list(dict.fromkeys(names))


DATA_FORMAT_ANALYZE_COLUMNS = _data_format_analyze_columns()


NUMBERS = [
    "baseline_o2_cost_ml_kg_km",
    "end_o2_cost_ml_kg_km",
    "o2_cost_change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "p_value",
]


def _squad(root: Path, name: str, **kwargs) -> tuple[Dataset, pd.DataFrame]:
    folder = simulate_squad(root / name, **kwargs)
    return load_dataset(folder), pd.read_csv(folder / "truth.csv")


def _field(out: pd.DataFrame) -> pd.DataFrame:
    return out.loc[out["method"] == "field_hr"]


EVIDENCE_SEEDS = range(100, 110)


EVIDENCE_RUNNERS = 60


HR_PACED_SEEDS = range(11, 21)


def _metrics_frame(cost, dates, temp=None, minutes=None, gas=None) -> pd.DataFrame:
    n = len(cost)
    return pd.DataFrame(
        {
            "run_id": [f"X-{i}" for i in range(n)],
            "runner_id": "X",
            "date": dates,
            "distance_km": 10.0,
            "duration_s": 60.0 * (np.full(n, 50.0) if minutes is None else minutes),
            "avg_hr_bpm": 140.0,
            "temp_c": np.full(n, 10.0) if temp is None else temp,
            "gas_m_min": np.full(n, 200.0) if gas is None else gas,
            "o2_cost_ml_kg_km": cost,
            "steady": True,
            "exclude_reason": "",
        }
    )


BLOCK = {
    "runner_id": "X",
    "group": "strength",
    "block_start": pd.Timestamp("2026-02-16"),
    "block_end": pd.Timestamp("2026-04-26"),
    "block_source": "blocks.csv",
    "baseline_start": pd.Timestamp("2026-01-05"),
    "block_weeks": 10.0,
    "warning": "",
}


def paule_mandel(b, se) -> tuple[float, float, float]:
    """``(mu, Var(mu), tau^2)`` of a random-effects mean, by hand: Paule-Mandel's
    tau^2 solves ``sum w_i (b_i - mu)^2 = k - 1`` with ``w_i = 1 / (se_i^2 + tau^2)``
    (0 when the fixed-effect Q is already below k - 1; DerSimonian & Kacker 2007),
    found here by bisection, not by statsmodels' iteration."""
    from scipy.optimize import brentq

    b, v = np.asarray(b, dtype=float), np.asarray(se, dtype=float) ** 2

    def excess_q(tau2):
        w = 1.0 / (v + tau2)
        mu = (w * b).sum() / w.sum()
        return (w * (b - mu) ** 2).sum() - (len(b) - 1)

    tau2 = 0.0 if excess_q(0.0) <= 0 else brentq(excess_q, 0.0, 10.0, xtol=1e-14)
    w = 1.0 / (v + tau2)
    return float((w * b).sum() / w.sum()), float(1.0 / w.sum()), float(tau2)
