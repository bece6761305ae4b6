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


def test_tcx_names_its_device_only_when_the_creator_is_one(tmp_path):
    """runs.csv's ``device`` gives the field model a heart-rate offset per device, so
    an application (``Application_t``) or a missing creator names none."""
    text = (FIXTURES / "tiny_run.tcx").read_text(encoding="utf-8")
    (act,) = read_tcx(FIXTURES / "tiny_run.tcx")
    assert act.device == ""  # no <Creator>
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    for kind, name, expected in (
        ("Device_t", "Forerunner 245", "Forerunner 245"),
        ("Application_t", "Garmin Connect", ""),
    ):
        creator = f'<Creator {xsi} xsi:type="{kind}"><Name>{name}</Name></Creator>'
        path = tmp_path / f"{kind}.tcx"
        path.write_text(text.replace("</Lap>\n  </Activity>", f"</Lap>\n{creator}</Activity>"))
        (act,) = read_tcx(path)
        assert act.device == expected
        row, _ = summarise(act)
        assert row["device"] == expected
