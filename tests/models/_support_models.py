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


def change_half_of_each_group(folder, weeks_in, bpm, column, before, after):
    """Half the runners of each group (every other, by id) change something
    ``weeks_in`` weeks into the block that moves their heart rate at the same
    pace by ``bpm``; runs.csv gets ``column`` naming it (``before`` then
    ``after``). Returns runs.csv (strings), truth.csv by runner and who changed."""
    truth = pd.read_csv(folder / "truth.csv")
    runs = pd.read_csv(folder / "runs.csv", dtype=str, keep_default_na=False)
    start = runs["runner_id"].map(truth.set_index("runner_id")["block_start"])
    when = pd.to_datetime(start) + pd.Timedelta(weeks=weeks_in)
    changed = sorted(truth.loc[truth["group"] == "strength", "runner_id"])[::2]
    changed += sorted(truth.loc[truth["group"] == "control", "runner_id"])[::2]
    later = runs["runner_id"].isin(changed) & (pd.to_datetime(runs["date"]) >= when)
    for col in ("avg_hr_bpm", "max_hr_bpm"):
        hr = pd.to_numeric(runs.loc[later, col], errors="coerce") + bpm
        runs.loc[later, col] = [f"{v:.0f}" if np.isfinite(v) else "" for v in hr]
    runs[column] = np.where(later, after, before)
    return runs, truth.set_index("runner_id"), changed
