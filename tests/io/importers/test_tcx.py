"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

from analysis.io.importers import (
    read_tcx,
    summarise,
)
from tests.io.importers._support_importers import FIXTURES


def test_tcx_distance_is_the_lap_total_and_run_cadence_is_doubled(tmp_path):
    (act,) = read_tcx(FIXTURES / "tiny_run.tcx")
    assert act.totals["distance_m"] == 1800.0 and act.totals["timer_s"] == 600.0
    row, stream = summarise(act)
    assert row["distance_km"] == 1.8
    assert row["max_hr_bpm"] == 156 and row["avg_hr_bpm"] == 150
    assert row["cadence_spm"] == 170
    assert stream["speed_m_s"].dropna().eq(3.0).all()
