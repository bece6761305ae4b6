"""Every ranged column, just inside and just outside each limit (issue 15).

Generated from the schema, so a new ranged column is covered the day it is
added, and a loosened or tightened limit (heart rate 250 -> 350) fails here.
"""

from __future__ import annotations

import pytest

from analysis.io import load_dataset
from analysis.schema import FILES, MAX_PACE_S_PER_KM, MIN_PACE_S_PER_KM

BASE = {
    "runners.csv": {"runner_id": "R01"},
    "runs.csv": {
        "runner_id": "R01",
        "date": "2026-03-04T07:00",
        "distance_km": "10",
        "duration_s": "3000",
    },
    "strength.csv": {"runner_id": "R01", "date": "2026-03-04", "exercise": "squat"},
    "blocks.csv": {"runner_id": "R01", "block_start": "2026-03-01", "block_end": "2026-05-01"},
    "lab_tests.csv": {
        "runner_id": "R01",
        "date": "2026-03-04",
        "speed_kmh": "12",
        "vo2_ml_kg_min": "40",
    },
    "wellness.csv": {"runner_id": "R01", "date": "2026-03-04"},
}
# distance and duration are also bound by the pace rule: tested on their own below
COUPLED = {("runs.csv", "distance_km"), ("runs.csv", "duration_s")}


def _cases():
    for file, (columns, _) in FILES.items():
        for col in columns:
            if (file, col.name) in COUPLED or col.kind not in ("int", "float"):
                continue
            step = 1 if col.kind == "int" or col.unit == "bpm" else 0.01
            if col.low is not None:
                yield file, col.name, col.low, True
                yield file, col.name, col.low - step, False
            if col.high is not None:
                yield file, col.name, col.high, True
                yield file, col.name, col.high + step, False


CASES = list(_cases())


def _fmt(value) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _dataset(tmp_path, write_dataset, file, column, value):
    texts = {}
    for name, row in BASE.items():
        if name not in (file, "runners.csv", "runs.csv"):
            continue
        row = dict(row)
        if name == file:
            row[column] = _fmt(value)
        texts[name.removesuffix(".csv")] = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    return write_dataset(tmp_path / "ds", **texts)


@pytest.mark.parametrize(("file", "column", "value", "inside"), CASES)
def test_just_inside_is_kept_and_just_outside_is_quarantined(
    tmp_path, write_dataset, file, column, value, inside
):
    ds = load_dataset(_dataset(tmp_path, write_dataset, file, column, value))
    q = ds.quarantine
    hit = q.loc[(q["file"] == file) & (q["column"] == column)]
    if inside:
        assert hit.empty, hit[["value", "reason"]].to_dict("records")
    else:
        assert list(hit["code"]) == ["out_of_range"], (file, column, value)
        assert list(hit["line"]) == [2]


def test_the_generated_cases_include_the_heart_rate_limits():
    hr = {(v, inside) for f, c, v, inside in CASES if (f, c) == ("runs.csv", "avg_hr_bpm")}
    assert hr == {(25, True), (24, False), (250, True), (251, False)}


@pytest.mark.parametrize(
    ("pace_s_per_km", "kept"),
    [
        (MIN_PACE_S_PER_KM, True),
        (MIN_PACE_S_PER_KM - 1, False),
        (MAX_PACE_S_PER_KM, True),
        (MAX_PACE_S_PER_KM + 1, False),
    ],
)
def test_pace_limits(tmp_path, write_dataset, pace_s_per_km, kept):
    runs = (
        f"runner_id,date,distance_km,duration_s\nR01,2026-03-04T07:00,10,{10 * pace_s_per_km:g}\n"
    )
    ds = load_dataset(write_dataset(tmp_path / "ds", runners="runner_id\nR01\n", runs=runs))
    assert len(ds.runs) == (1 if kept else 0)
    if not kept:
        assert list(ds.quarantine["code"]) == ["pace_implausible"]


@pytest.mark.parametrize(
    ("date", "kept"),
    [("1900-01-01", True), ("1899-12-31", False), ("2100-12-31", True), ("2101-01-01", False)],
)
def test_date_range_ends(tmp_path, write_dataset, date, kept):
    runs = f"runner_id,date,distance_km,duration_s\nR01,{date}T07:00,10,3000\n"
    ds = load_dataset(write_dataset(tmp_path / "ds", runners="runner_id\nR01\n", runs=runs))
    assert len(ds.runs) == (1 if kept else 0)
    if not kept:
        assert list(ds.quarantine["code"]) == ["bad_date"]
