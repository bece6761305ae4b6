"""What the loader tests in tests/io share."""

from __future__ import annotations

from analysis.io import load_dataset
from analysis.schema import QUARANTINE_COLUMNS

RUNS_HEADER = "runner_id,date,distance_km,duration_s"


def quarantine_rows(quarantine) -> list[list]:
    """The quarantine table as plain rows, every column in the contract's order."""
    return quarantine[list(QUARANTINE_COLUMNS)].values.tolist()


def load_files(tmp_path, write_dataset, runners: str, **files):
    """Load a dataset of these files; runs.csv is a bare header unless given."""
    files.setdefault("runs", RUNS_HEADER + "\n")
    return load_dataset(write_dataset(tmp_path / "ds", runners=runners, **files))
