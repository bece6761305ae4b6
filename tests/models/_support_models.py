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
