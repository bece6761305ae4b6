"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.io.importers import (
    detect_kind,
)
from analysis.io.importers.activity import normalise_sport, strides_to_steps
from tests.io.importers._support_importers import FIXTURES


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("tiny_run.gpx", "gpx"),
        ("tiny_run.tcx", "tcx"),
        ("not_a_fit.fit", "fit"),
        ("garmin_activities.csv", "garmin_csv"),
        ("garmin_decimal_comma.csv", "garmin_csv"),
        ("strava_export/activities.csv", "strava_csv"),
        ("strong_lb.csv", "strong"),
        ("strong_semicolon.csv", "strong"),
        ("hevy.csv", "hevy"),
        ("hevy_lbs.csv", "hevy"),
        ("fitnotes.csv", "fitnotes"),
    ],
)
def test_kind_is_detected_from_extension_and_header(name, kind):
    assert detect_kind(FIXTURES / name) == (kind, "")


def test_unknown_csv_header_is_named():
    kind, reason = detect_kind(FIXTURES / "unknown.csv")
    assert kind is None
    assert "unknown CSV header (foo, bar, baz)" in reason


def test_sport_names_from_every_source_are_normalised():
    assert [normalise_sport(s) for s in ("Running", "Trail Run", "9", "treadmill_running")] == [
        "running"
    ] * 4
    assert [normalise_sport(s) for s in ("Biking", "Ride", "16", "Walk", "", None)] == [
        "cycling",
        "cycling",
        "swimming",
        "walking",
        "",
        "",
    ]


def test_running_cadence_in_strides_is_doubled_and_steps_are_kept():
    np.testing.assert_allclose(strides_to_steps([84, 86, 85]), [168, 172, 170])
    np.testing.assert_allclose(strides_to_steps([168, 172, 0]), [168, 172, 0])
