"""Helpers shared by the tests split from test_importers.py."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io.importers import (
    ImportSummary,
    import_sources,
)
from tests.paths import FIXTURES_DIR, REAL_DIR

FIXTURES = FIXTURES_DIR / "import"


REAL = REAL_DIR


def _csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _import(tmp_path, *sources, runner="R01", **kwargs) -> ImportSummary:
    return import_sources(
        tmp_path / "ds", runner, [FIXTURES / s for s in sources], progress=False, **kwargs
    )


def _track(seconds, speed_m_s, *, jitter_m=0.0, seed=0):
    """Samples of a run due north at the given speed per second, with GPS jitter."""
    rng = np.random.default_rng(seed)
    north = np.cumsum(np.concatenate(([0.0], speed_m_s[:-1])))
    north = north + rng.normal(0, jitter_m, north.size)
    m_per_deg = 6371008.8 * math.pi / 180
    return pd.DataFrame(
        {"time_s": seconds.astype(float), "lat_deg": 45 + north / m_per_deg, "lon_deg": 6.0}
    )


def _hr_response(speed, *, tau_s=30.0, drift_bpm_per_s=0.0):
    """Heart rate following speed with a first-order lag, plus a slow drift."""
    target = 60 + 30 * speed
    hr = np.empty_like(target)
    hr[0] = target[0]
    alpha = 1 - math.exp(-1 / tau_s)
    for i in range(1, target.size):
        hr[i] = hr[i - 1] + alpha * (target[i] - hr[i - 1])
    return hr + drift_bpm_per_s * np.arange(target.size)


def _runs(*rows):
    return pd.DataFrame(rows, columns=["runner_id", "date", "distance_km", "source"])
