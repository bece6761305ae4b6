"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

from analysis.io.importers import (
    read_fit,
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


def test_a_garmin_watch_is_named_in_a_tcx_file_as_its_fit_files_name_it(tmp_path):
    """The field model gives every device other than a runner's baseline one a
    heart-rate offset: the same watch named "Garmin Forerunner 220" by its TCX
    exports and "garmin fr220" by its FIT files would be two devices. The TCX
    creator's ProductID is looked up in the FIT profile (1632 is fr220) when that
    product is the name; another maker's number keeps the name."""
    text = (FIXTURES / "tiny_run.tcx").read_text(encoding="utf-8")
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    for name, product, expected in (
        ("Garmin Forerunner 220", "1632", "garmin fr220"),
        ("vívoactive HR", "2337", "garmin vivo_active_hr"),
        ("Garmin Edge 1000", " 1836 ", "garmin edge1000"),
        ("Forerunner 245", "3076", "garmin fr245"),
        # Polar's V800 writes ProductID 13, in Garmin's table a heart-rate strap
        ("Polar V800", "13", "Polar V800"),
        # a Garmin number that is not this watch, none, or not a number
        ("Forerunner 245", "1632", "Forerunner 245"),
        ("EDGE705", "625", "EDGE705"),
        ("Forerunner 245", "", "Forerunner 245"),
        ("Forerunner 245", "x1", "Forerunner 245"),
        # a shorter model inside a longer name (1482 is fr10, 1551 fenix)
        ("Forerunner 105", "1482", "Forerunner 105"),
        ("fēnix 3", "1551", "fēnix 3"),
        ("Forerunner 2200", "1632", "Forerunner 2200"),
        # only ASCII digits are a product ID
        ("Garmin Forerunner 220", "١٦٣٢", "Garmin Forerunner 220"),
        ("Garmin Forerunner 220", "+1632", "Garmin Forerunner 220"),
        ("Garmin Forerunner 220", "9" * 5000, "Garmin Forerunner 220"),
        # a name that goes on after the product keeps the mapping
        ("Garmin Forerunner 220 (EU)", "1632", "garmin fr220"),
    ):
        creator = (
            f'<Creator {xsi} xsi:type="Device_t"><Name>{name}</Name>'
            f"<ProductID>{product}</ProductID></Creator>"
        )
        path = tmp_path / "run.tcx"
        path.write_text(text.replace("</Lap>\n  </Activity>", f"</Lap>\n{creator}</Activity>"))
        (act,) = read_tcx(path)
        assert act.device == expected, name


def test_a_real_watchs_fit_and_tcx_files_name_the_same_device(real):
    """The same Forerunner 220 run exported as FIT and as TCX (MANIFEST)."""
    (fit,) = read_fit(real / "fit" / "garmin-fr220-run-short.fit")
    (tcx,) = read_tcx(real / "tcx" / "garmin-fr220-run-short.tcx")
    assert fit.device == tcx.device == "garmin fr220"
    (other,) = read_tcx(real / "tcx" / "run-6281425038.tcx")
    assert other.device == "Polar V800"
