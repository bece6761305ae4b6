"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

from analysis.io.importers import (
    dedupe,
)
from tests.io.importers._support_importers import _runs


def test_same_run_from_local_time_and_utc_exports_matches():
    garmin = _runs(("R", "2024-05-04T09:30:00", 10.0, "garmin_csv"))
    strava = _runs(("R", "2024-05-04T07:30:20Z", 10.1, "strava_csv"))
    assert dedupe.match_runs(garmin, strava).tolist() == [0]


def test_start_and_distance_tolerances():
    old = _runs(("R", "2024-05-04T07:30:00+02:00", 10.0, "fit"))
    cases = [
        ("2024-05-04T05:30:59Z", 10.15, 0),  # 59 s, 1.5 %: same
        ("2024-05-04T05:31:05Z", 10.0, -1),  # 65 s: different
        ("2024-05-04T05:30:30Z", 10.5, -1),  # 30 s and 5 %: different
        ("2024-05-04T05:30:05Z", 11.5, 0),  # 5 s: one recording, GPX vs device distance
    ]
    for date, km, expected in cases:
        assert dedupe.match_runs(_runs(("R", date, km, "gpx")), old).tolist() == [expected], date
    assert dedupe.match_runs(_runs(("Q", "2024-05-04T05:30:00Z", 10.0, "gpx")), old).tolist() == [
        -1
    ]


def test_date_only_row_matches_a_run_of_that_day_and_distance():
    old = _runs(("R", "2024-05-04", 10.0, ""))
    assert dedupe.match_runs(_runs(("R", "2024-05-04T18:00:00Z", 10.1, "fit")), old).tolist() == [0]
    assert dedupe.match_runs(_runs(("R", "2024-05-05T18:00:00Z", 10.1, "fit")), old).tolist() == [
        -1
    ]


def test_within_one_import_the_richer_source_is_kept():
    rows = _runs(
        ("R", "2024-05-04T07:30:00Z", 10.0, "strava_csv"),
        ("R", "2024-05-04T09:30:10+02:00", 10.05, "fit"),
        ("R", "2024-05-05T07:30:00Z", 10.0, "gpx"),
    )
    assert dedupe.dedupe_batch(rows).tolist() == [True, False, False]
