"""Run types assigned on import from the per-second stream (issue 12, item 5)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.io.importers import import_sources
from analysis.io.importers.runtype import assign_run_types, interval_repetitions
from analysis.metrics import STEADY_RUN_TYPES, run_metrics
from tests.io.importers._support_importers import _csv_rows, _hr_response

M_PER_DEG = 6371008.8 * math.pi / 180


def _write_gpx(path, speed_m_s, *, hr=None, name="Morning Run", every_s=2):
    """A GPX run due north, one point every ``every_s`` seconds, at the given speeds."""
    north = np.cumsum(np.concatenate(([0.0], speed_m_s[:-1])))
    hr = _hr_response(speed_m_s) if hr is None else hr
    start = pd.Timestamp("2024-05-04T07:30:00")
    points = []
    for t in range(0, speed_m_s.size, every_s):
        when = (start + pd.Timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
        points.append(
            f'<trkpt lat="{48.8 + north[t] / M_PER_DEG:.7f}" lon="2.3"><ele>35.0</ele>'
            f"<time>{when}</time><extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{hr[t]:.0f}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="runeco test" version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>{name}</name><type>running</type><trkseg>"
        + "".join(points)
        + "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    return path


def _session(warm_s=600, reps=6, rep_s=180, rec_s=120, fast=4.2, jog=2.2, easy=2.8):
    parts = [np.full(warm_s, easy)]
    for _ in range(reps):
        parts += [np.full(rep_s, fast), np.full(rec_s, jog)]
    parts.append(np.full(warm_s, easy))
    return np.concatenate(parts)


def test_an_interval_session_is_found_with_its_repetitions_and_paces():
    v = _session()
    n, rep_v, rec_v = interval_repetitions(v, np.ones(v.size, bool), hr_bpm=_hr_response(v))
    assert n == 6
    assert rep_v == pytest.approx(4.2, rel=0.03) and rec_v == pytest.approx(2.2, rel=0.05)


def test_steady_running_with_gps_noise_and_stops_is_not_an_interval_session():
    rng = np.random.default_rng(3)
    v = 2.8 + rng.normal(0, 0.35, 3600)  # one-second GPS speed noise
    moving = np.ones(v.size, bool)
    for a in (600, 1500, 2400, 3000):  # traffic lights: 40 s standing
        moving[a : a + 40] = False
    n, _, _ = interval_repetitions(v, moving, hr_bpm=_hr_response(v))
    assert n == 0


def test_a_hill_walked_and_run_down_is_not_an_interval_session():
    # 5 x (4 min walked up at 1.2 m/s, 3 min run down at 3.5 m/s): speed alone alternates
    parts, alt = [], [np.zeros(0)]
    for _ in range(5):
        parts += [np.full(240, 1.2), np.full(180, 3.5)]
    v = np.concatenate(parts)
    dist = np.cumsum(v)
    up = np.concatenate([np.full(240, 0.12 * 1.2), np.full(180, -0.04 * 3.5)] * 5)
    alt = np.cumsum(up)
    n, _, _ = interval_repetitions(v, np.ones(v.size, bool), altitude_m=alt, distance_m=dist)
    assert n == 0


def _features(**cols):
    base = {
        "_moving_s": 3000.0,
        "_has_speed": True,
        "_interval_reps": 0,
        "_rep_pace_s_km": np.nan,
        "_recovery_pace_s_km": np.nan,
        "_best_20min_hr_bpm": np.nan,
        "name": "",
    }
    base.update(cols)
    return pd.DataFrame([base])


@pytest.mark.parametrize(
    ("features", "hr", "expected", "reason"),
    [
        ({"_moving_s": np.nan}, {}, "other", "no per-second stream"),
        ({"_has_speed": False}, {}, "other", "no speed in the stream"),
        ({"_moving_s": 420.0}, {}, "other", "only 7 min moving"),
        ({"name": "Spring 10K RACE"}, {}, "race", "its name marks a race"),
        ({"name": "Gracefully easy"}, {}, "easy", "intensity not judged"),
        (
            {"_interval_reps": 5, "_rep_pace_s_km": 230.0, "_recovery_pace_s_km": 400.0},
            {},
            "interval",
            "5 fast repetitions at 3:50/km with recoveries at 6:40/km",
        ),
        ({"_moving_s": 5400.0}, {}, "long", "90 min moving"),
        ({"_best_20min_hr_bpm": 168.0}, {"hr_max_bpm": 190}, "threshold", "88 % of HRmax"),
        ({"_best_20min_hr_bpm": 157.0}, {"hr_max_bpm": 190}, "tempo", "83 % of HRmax"),
        ({"_best_20min_hr_bpm": 140.0}, {"hr_max_bpm": 190}, "easy", "74 % of HRmax"),
        # with HRrest: (157 - 50) / 140 = 76 % of reserve, tempo from 75 %
        (
            {"_best_20min_hr_bpm": 157.0},
            {"hr_max_bpm": 190, "hr_rest_bpm": 50},
            "tempo",
            "76 % of heart-rate reserve",
        ),
    ],
)
def test_run_type_and_its_reason(features, hr, expected, reason):
    types, reasons = assign_run_types(_features(**features), **hr)
    assert types.iloc[0] == expected
    assert reason in reasons.iloc[0]


def test_imported_interval_gpx_is_typed_interval_and_left_out_of_the_model(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _write_gpx(src / "track.gpx", _session())
    _write_gpx(src / "easy.gpx", np.full(3000, 2.8))
    # the second run a day later: shift its start by rewriting the date
    easy = src / "easy.gpx"
    easy.write_text(easy.read_text().replace("2024-05-04", "2024-05-05"))
    summary = import_sources(tmp_path / "ds", "R01", [src], progress=False)
    assert summary.imported_runs == 2
    assert summary.run_types == {"interval": 1, "easy": 1}
    assert "run types (from the streams" in summary.format()
    rows = {r["source_file"]: r for r in _csv_rows(tmp_path / "ds" / "runs.csv")}
    assert rows["track.gpx"]["run_type"] == "interval"
    assert rows["track.gpx"]["run_type_reason"].startswith("6 fast repetitions at 3:5")
    assert rows["easy.gpx"]["run_type"] == "easy"
    metrics = run_metrics(load_dataset(tmp_path / "ds"))
    by_type = metrics.set_index(metrics["run_type"].astype(str))
    assert by_type.loc["interval", "exclude_reason"] == "interval"
    assert "easy" in STEADY_RUN_TYPES and by_type.loc["easy", "steady"]


def test_runners_hrmax_types_a_sustained_hard_run_as_threshold(tmp_path):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "runners.csv").write_text("runner_id,hr_max_bpm\nR01,180\n", encoding="utf-8")
    (ds / "runs.csv").write_text("runner_id,date,distance_km,duration_s\n", encoding="utf-8")
    v = np.full(2400, 3.6)
    _write_gpx(tmp_path / "hard.gpx", v, hr=np.full(v.size, 162.0))
    import_sources(ds, "R01", [tmp_path / "hard.gpx"], progress=False)
    (row,) = _csv_rows(ds / "runs.csv")
    assert row["run_type"] == "threshold"
    assert row["run_type_reason"] == "best 20 min at 90 % of HRmax (threshold from 88 %)"


def test_a_users_run_type_is_never_overwritten_by_a_richer_source(real, tmp_path):
    """The same activity as GPX, then FIT (an upgrade): an import's type follows the
    richer file, a type the user wrote stays."""
    gpx = real / "gpx" / "garmin-connect-run-2067489619.gpx"
    fit = real / "fit" / "garmin-vivoactivehr-run-2067489619.fit"
    for user_type in ("", "tempo"):
        ds = tmp_path / f"ds{user_type}"
        import_sources(ds, "R01", [gpx], progress=False)
        rows = _csv_rows(ds / "runs.csv")
        assert rows[0]["run_type_reason"] != ""
        if user_type:
            rows[0]["run_type"], rows[0]["run_type_reason"] = user_type, ""
            with open(ds / "runs.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        summary = import_sources(ds, "R01", [fit], progress=False)
        assert summary.upgraded_runs == 1
        (row,) = _csv_rows(ds / "runs.csv")
        assert row["source"] == "fit"
        if user_type:
            assert (row["run_type"], row["run_type_reason"]) == ("tempo", "")
        else:
            assert row["run_type"] in ("interval", "easy") and row["run_type_reason"] != ""


def test_real_session_year_is_typed_and_its_runs_enter_the_model(real, tmp_path):
    summary = import_sources(tmp_path / "ds", "S01", [real / "session"], progress=False)
    assert summary.imported_runs == 34
    # one 18-min run with four surges and walks between them; the rest steady
    assert summary.run_types == {"easy": 33, "interval": 1}
    rows = _csv_rows(tmp_path / "ds" / "runs.csv")
    (interval,) = [r for r in rows if r["run_type"] == "interval"]
    assert interval["source_file"] == "0da79b1d-dc15-4589-afff-aba4497ea626.gpx"
    metrics = run_metrics(load_dataset(tmp_path / "ds"))
    steady = metrics[metrics["steady"]]
    # typed runs are steady runs of the model: the same runs enter as when every
    # run was `other`, except the interval session (18 min, 73 s of it steady)
    assert set(steady["run_type"].astype(str)) == {"easy"}
    untyped = tmp_path / "untyped"
    untyped.mkdir()
    (untyped / "runners.csv").write_bytes((tmp_path / "ds" / "runners.csv").read_bytes())
    frame = pd.read_csv(tmp_path / "ds" / "runs.csv", dtype=str, keep_default_na=False)
    frame.assign(run_type="").to_csv(untyped / "runs.csv", index=False)
    before = run_metrics(load_dataset(untyped))
    assert len(steady) == 24
    assert set(before.loc[before["steady"], "run_id"]) - set(steady["run_id"]) == {
        interval["run_id"]
    }


def test_real_device_files_types(real, tmp_path):
    files = {
        "fit/suunto-ultra-run-6914448270.fit": ("long", "min moving (90 min or more)"),
        "fit/garmin-fr955-stryd-run.fit": ("easy", "intensity not judged"),
        "fit/coros-run-6916663933.fit": ("easy", "intensity not judged"),
    }
    summary = import_sources(tmp_path / "ds", "R01", [real / f for f in files], progress=False)
    assert summary.imported_runs == 3
    rows = {r["source_file"]: r for r in _csv_rows(tmp_path / "ds" / "runs.csv")}
    for f, want in files.items():
        row = rows[f.split("/")[1]]
        assert row["run_type"] == want[0]
        assert want[1] in row["run_type_reason"]
