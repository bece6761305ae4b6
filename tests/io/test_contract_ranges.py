"""The plausible ranges of the data contract, written out by hand.

``test_boundaries.py`` generates its cases from ``analysis.schema``, so it
follows the schema wherever it goes; here every limit, unit and reason is a
literal (the contract as of 2026-12-04: ``DATA_FORMAT.md`` and the quarantine
reasons it promises), so a limit that moves (heart rate 250 -> 350, a low
bound lost, ``-`` for ``to``) fails a test. Each case is one file with four
rows at known lines: just outside the low limit (line 2), on it (3), on the
high limit (4) and just outside it (5).
"""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.io import load_dataset
from tests.io._support import RUNS_HEADER, load_files, quarantine_rows

RUNNERS = "runner_id\nR01\n"

# (file, column, below low, low, high, above high, the range as the reason words it)
RANGES = [
    ("runners.csv", "birth_year", "1899", "1900", "2030", "2031", "1900-2030"),
    ("runners.csv", "body_mass_kg", "24.9", "25", "200", "200.1", "25-200 kg"),
    ("runners.csv", "hr_rest_bpm", "24", "25", "120", "121", "25-120 bpm"),
    ("runners.csv", "hr_max_bpm", "99", "100", "250", "251", "100-250 bpm"),
    ("runners.csv", "vo2max_ml_kg_min", "14.9", "15", "95", "95.1", "15-95 ml/kg/min"),
    ("runs.csv", "avg_hr_bpm", "24", "25", "250", "251", "25-250 bpm"),
    ("runs.csv", "max_hr_bpm", "24", "25", "250", "251", "25-250 bpm"),
    ("runs.csv", "elev_gain_m", "-0.1", "0", "20000", "20000.1", "0-20000 m"),
    ("runs.csv", "elev_loss_m", "-0.1", "0", "20000", "20000.1", "0-20000 m"),
    ("runs.csv", "temp_c", "-50.1", "-50", "60", "60.1", "-50 to 60 °C"),
    ("runs.csv", "vo2max_est_ml_kg_min", "14.9", "15", "95", "95.1", "15-95 ml/kg/min"),
    ("runs.csv", "cadence_spm", "59", "60", "260", "261", "60-260 steps/min"),
    ("runs.csv", "rpe", "-0.1", "0", "10", "10.1", "0-10"),
    ("runs.csv", "elapsed_s", "-1", "0", "1209600", "1209601", "0-1.2096e+06 s"),
    ("runs.csv", "avg_power_w", "-1", "0", "2500", "2501", "0-2500 W"),
    ("runs.csv", "steady_duration_s", "-1", "0", "604800", "604801", "0-604800 s"),
    ("runs.csv", "steady_avg_hr_bpm", "24", "25", "250", "251", "25-250 bpm"),
    ("runs.csv", "steady_gas_m_min", "-0.1", "0", "1500", "1500.1", "0-1500 m/min"),
    ("runs.csv", "decoupling_pct", "-100.1", "-100", "100", "100.1", "-100 to 100 %"),
    ("strength.csv", "sets", "0", "1", "100", "101", "1-100"),
    ("strength.csv", "reps", "-1", "0", "1000", "1001", "0-1000"),
    ("strength.csv", "load_kg", "-0.5", "0", "1000", "1000.5", "0-1000 kg"),
    ("strength.csv", "duration_s", "-1", "0", "14400", "14401", "0-14400 s"),
    ("strength.csv", "rpe", "-0.1", "0", "10", "10.1", "0-10"),
    ("lab_tests.csv", "grade_pct", "-30.1", "-30", "45", "45.1", "-30 to 45 %"),
    ("lab_tests.csv", "hr_bpm", "24", "25", "250", "251", "25-250 bpm"),
    ("lab_tests.csv", "rer", "0.59", "0.6", "1.5", "1.51", "0.6-1.5"),
    ("lab_tests.csv", "lactate_mmol", "-0.1", "0", "30", "30.1", "0-30 mmol/L"),
    ("wellness.csv", "hr_rest_bpm", "24", "25", "120", "121", "25-120 bpm"),
    ("wellness.csv", "hrv_ms", "-1", "0", "500", "501", "0-500 ms"),
]


def _file_text(file: str, column: str, values: list[str]) -> str:
    """The file with one row per value (lines 2, 3, ...), all else valid."""
    if file == "runners.csv":
        rows = [f"R{i:02d},{v}" for i, v in enumerate(values, start=1)]
        return f"runner_id,{column}\n" + "".join(r + "\n" for r in rows)
    if file == "runs.csv":
        rows = [f"R01,2026-03-{d:02d}T07:00,10,3000,{v}" for d, v in enumerate(values, 2)]
        return f"{RUNS_HEADER},{column}\n" + "".join(r + "\n" for r in rows)
    if file == "strength.csv":
        rows = [f"R01,2026-03-02,Plank,{v}" for v in values]
        return f"runner_id,date,exercise,{column}\n" + "".join(r + "\n" for r in rows)
    if file == "lab_tests.csv":
        rows = [f"R01,2026-03-02,12,40,{v}" for v in values]
        return f"runner_id,date,speed_kmh,vo2_ml_kg_min,{column}\n" + "".join(
            r + "\n" for r in rows
        )
    rows = [f"R01,2026-03-{d:02d},{v}" for d, v in enumerate(values, 2)]
    return f"runner_id,date,{column}\n" + "".join(r + "\n" for r in rows)


def _load(tmp_path, write_dataset, file: str, text: str):
    files = {file.removesuffix(".csv"): text}
    return load_files(tmp_path, write_dataset, files.pop("runners", RUNNERS), **files)


def _frame(ds, file):
    return {
        "blocks.csv": ds.blocks,
        "runners.csv": ds.runners,
        "runs.csv": ds.runs,
        "strength.csv": ds.strength,
        "lab_tests.csv": ds.lab_tests,
        "wellness.csv": ds.wellness,
    }[file]


@pytest.mark.parametrize(
    ("file", "column", "below", "low", "high", "above", "words"),
    RANGES,
    ids=[f"{f}:{c}" for f, c, *_ in RANGES],
)
def test_each_limit_is_inclusive_and_one_step_beyond_is_quarantined(
    tmp_path, write_dataset, file, column, below, low, high, above, words
):
    ds = _load(tmp_path, write_dataset, file, _file_text(file, column, [below, low, high, above]))
    rid = ("R01", "R04") if file == "runners.csv" else ("R01", "R01")
    assert quarantine_rows(ds.quarantine) == [
        [file, 2, column, below, f"{column} {below} is outside {words}", rid[0], "out_of_range"],
        [file, 5, column, above, f"{column} {above} is outside {words}", rid[1], "out_of_range"],
    ]
    kept = _frame(ds, file)
    assert kept["line"].tolist() == [3, 4]
    assert kept[column].astype("float64").tolist() == [float(low), float(high)]


# Positive columns with only an upper limit: 0 is refused as "must be > 0", a
# tiny positive value is kept, the upper limit is kept and one step above is not.
# (file, column, tiny, high, above, unit)
POSITIVE = [
    ("lab_tests.csv", "speed_kmh", "0.1", "30", "30.1", "km/h"),
    ("lab_tests.csv", "vo2_ml_kg_min", "0.1", "95", "95.1", "ml/kg/min"),
]


@pytest.mark.parametrize(("file", "column", "tiny", "high", "above", "unit"), POSITIVE)
def test_positive_lab_columns(tmp_path, write_dataset, file, column, tiny, high, above, unit):
    other = {"speed_kmh": "12", "vo2_ml_kg_min": "40"}
    cells = []
    for v in ("0", "-1", tiny, high, above):
        row = dict(other, **{column: v})
        cells.append(f"R01,2026-03-02,{row['speed_kmh']},{row['vo2_ml_kg_min']}")
    text = "runner_id,date,speed_kmh,vo2_ml_kg_min\n" + "".join(c + "\n" for c in cells)
    ds = _load(tmp_path, write_dataset, file, text)
    assert quarantine_rows(ds.quarantine) == [
        [file, 2, column, "0", f"{column} 0 must be > 0", "R01", "out_of_range"],
        [file, 3, column, "-1", f"{column} -1 must be > 0", "R01", "out_of_range"],
        [file, 6, column, above, f"{column} {above} is above the limit of {high} {unit}", "R01", "out_of_range"],
    ]  # fmt: skip
    assert ds.lab_tests[column].tolist() == [float(tiny), float(high)]


def test_run_distance_is_positive_and_at_most_400_km(tmp_path, write_dataset):
    # durations chosen so that every kept pace lies in 2:30-20:00/km
    text = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02T07:00,0,3000\n"
        "R01,2026-03-03T07:00,-0.5,3000\n"
        "R01,2026-03-04T07:00,0.01,3\n"
        "R01,2026-03-05T07:00,400,120000\n"
        "R01,2026-03-06T07:00,400.01,120000\n"
    )
    ds = _load(tmp_path, write_dataset, "runs.csv", text)
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "distance_km", "0", "distance_km 0 must be > 0", "R01", "out_of_range"],
        ["runs.csv", 3, "distance_km", "-0.5", "distance_km -0.5 must be > 0", "R01", "out_of_range"],
        ["runs.csv", 6, "distance_km", "400.01", "distance_km 400.01 is above the limit of 400 km", "R01", "out_of_range"],
    ]  # fmt: skip
    assert ds.runs["distance_km"].tolist() == [0.01, 400.0]


def test_run_duration_is_positive_and_at_most_seven_days(tmp_path, write_dataset):
    # 7 days = 604,800 s: on the limit the duration passes its own range check
    # and only the pace rule (over 20:00/km at 400 km) refuses the run.
    text = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02T07:00,0.005,0\n"
        "R01,2026-03-03T07:00,0.005,1\n"
        "R01,2026-03-04T07:00,400,604800\n"
        "R01,2026-03-05T07:00,400,604801\n"
    )
    ds = _load(tmp_path, write_dataset, "runs.csv", text)
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "duration_s", "0", "duration_s 0 must be > 0", "R01", "out_of_range"],
        ["runs.csv", 4, "duration_s", "604800", "pace 25:12/km (distance_km 400, duration_s 604800) is slower than 20:00/km", "R01", "pace_implausible"],
        ["runs.csv", 5, "duration_s", "604801", "duration_s 604801 is above the limit of 604800 s", "R01", "out_of_range"],
    ]  # fmt: skip
    assert ds.runs["duration_s"].tolist() == [1.0]


def test_a_clock_duration_has_the_same_limits_under_its_own_column(tmp_path, write_dataset):
    text = (
        "runner_id,date,distance_km,duration\n"
        "R01,2026-03-02T07:00,0.005,0:00\n"
        "R01,2026-03-03T07:00,400,168:00:00\n"
        "R01,2026-03-04T07:00,400,168:00:01\n"
        "R01,2026-03-05T07:00,10,0:24:50\n"
        "R01,2026-03-06T07:00,10,0:25:00\n"
        "R01,2026-03-07T07:00,10,3:20:00\n"
        "R01,2026-03-08T07:00,10,3:20:10\n"
    )
    ds = _load(tmp_path, write_dataset, "runs.csv", text)
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "duration", "0:00", "duration 0:00 must be > 0", "R01", "out_of_range"],
        ["runs.csv", 3, "duration", "168:00:00", "pace 25:12/km (distance_km 400, duration 168:00:00) is slower than 20:00/km", "R01", "pace_implausible"],
        ["runs.csv", 4, "duration", "168:00:01", "duration 168:00:01 is above the limit of 604800 s", "R01", "out_of_range"],
        ["runs.csv", 5, "duration", "0:24:50", "pace 2:29/km (distance_km 10, duration 0:24:50) is faster than 2:30/km", "R01", "pace_implausible"],
        ["runs.csv", 8, "duration", "3:20:10", "pace 20:01/km (distance_km 10, duration 3:20:10) is slower than 20:00/km", "R01", "pace_implausible"],
    ]  # fmt: skip
    assert ds.runs["duration_s"].tolist() == [1500.0, 12000.0]


def test_pace_limits_are_2_30_and_20_00_per_km_inclusive(tmp_path, write_dataset):
    text = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02T07:00,10,1490\n"  # 2:29/km
        "R01,2026-03-03T07:00,10,1500\n"  # 2:30/km
        "R01,2026-03-04T07:00,10,12000\n"  # 20:00/km
        "R01,2026-03-05T07:00,10,12010\n"  # 20:01/km
        "R01,2026-03-06T07:00,0.5,74.5\n"  # 2:29/km (149 s/km) on a short one
    )
    ds = _load(tmp_path, write_dataset, "runs.csv", text)
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "duration_s", "1490", "pace 2:29/km (distance_km 10, duration_s 1490) is faster than 2:30/km", "R01", "pace_implausible"],
        ["runs.csv", 5, "duration_s", "12010", "pace 20:01/km (distance_km 10, duration_s 12010) is slower than 20:00/km", "R01", "pace_implausible"],
        ["runs.csv", 6, "duration_s", "74.5", "pace 2:29/km (distance_km 0.5, duration_s 74.5) is faster than 2:30/km", "R01", "pace_implausible"],
    ]  # fmt: skip
    assert ds.runs["line"].tolist() == [3, 4]


@pytest.mark.parametrize(
    ("file", "column", "header", "row"),
    [
        ("runs.csv", "date", RUNS_HEADER, "R01,{},10,3000"),
        ("strength.csv", "date", "runner_id,date,exercise", "R01,{},Plank"),
        ("blocks.csv", "block_start", "runner_id,block_start,block_end", "R01,{},2100-12-31"),
        ("lab_tests.csv", "date", "runner_id,date,speed_kmh,vo2_ml_kg_min", "R01,{},12,40"),
        ("wellness.csv", "date", "runner_id,date,hr_rest_bpm", "R01,{},50"),
    ],
    ids=["runs", "strength", "blocks", "lab_tests", "wellness"],
)
def test_dates_from_1900_to_2100_inclusive(tmp_path, write_dataset, file, column, header, row):
    days = ["1899-12-31", "1900-01-01", "2100-12-31", "2101-01-01"]
    text = header + "\n" + "".join(row.format(d) + "\n" for d in days)
    ds = _load(tmp_path, write_dataset, file, text)
    assert quarantine_rows(ds.quarantine) == [
        [file, 2, column, "1899-12-31", f"{column} 1899-12-31 is outside the years 1900-2100", "R01", "bad_date"],
        [file, 5, column, "2101-01-01", f"{column} 2101-01-01 is outside the years 1900-2100", "R01", "bad_date"],
    ]  # fmt: skip
    assert _frame(ds, file)["line"].tolist() == [3, 4]


# ------------------------------------------------------------ hostile runner ids

HOSTILE_IN_RUNNERS = [
    ("a/b", '"a/b"'),
    ("..", ".."),
    ("-x", "-x"),
    ("_x", "_x"),
    ("x" * 65, "x" * 65),
    ("R\u0661\u0662", "R\u0661\u0662"),  # Arabic-Indic digits are not [0-9]
    ("R\uff11", "R\uff11"),  # a fullwidth digit
    ("é", "é"),
    ("R 01", "R 01"),
    ("R01;rm", "R01;rm"),
    ("R\u202e01", "R\u202e01"),
    ("R01\nR02", '"R01\nR02"'),
]


@pytest.mark.parametrize(
    ("runner_id", "cell"),
    HOSTILE_IN_RUNNERS,
    ids=[f"id{k}" for k in range(len(HOSTILE_IN_RUNNERS))],
)
def test_a_hostile_id_in_runners_csv_stops_the_load_naming_line_and_id(
    tmp_path, write_dataset, runner_id, cell
):
    folder = write_dataset(
        tmp_path / "ds", runners=f"runner_id,name\nR01,Ann\n{cell},Bob\n", runs=RUNS_HEADER + "\n"
    )
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    err = info.value
    assert (err.file, err.line, err.column) == ("runners.csv", 3, "runner_id")
    assert err.detail == (
        f"runner_id {runner_id!r} is not a valid id: use 1-64 letters, digits, '_' or '-', "
        "starting with a letter or digit (ids are used in file names)"
    )


def test_the_longest_and_shortest_ids_load(tmp_path, write_dataset):
    long_id = "R" + "x" * 62 + "9"  # 64 characters
    runs = f"{RUNS_HEADER}\n{long_id},2026-03-02T07:00,10,3000\nR,2026-03-03T07:00,10,3000\n"
    ds = load_dataset(
        write_dataset(tmp_path / "ds", runners=f"runner_id\n{long_id}\nR\na-b_C9\n", runs=runs)
    )
    assert ds.runners["runner_id"].tolist() == [long_id, "R", "a-b_C9"]
    assert ds.runs["runner_id"].tolist() == [long_id, "R"]
    assert ds.quarantine.empty


def test_a_trailing_line_break_is_blank_around_the_cell_not_part_of_the_id(tmp_path, write_dataset):
    # "R01\n" once made a folder activities/R01\n/: the loader strips blanks
    # around every cell, so the id that comes out is R01 itself.
    runs = f'{RUNS_HEADER}\n"R01\n",2026-03-02T07:00,10,3000\n'
    ds = load_dataset(write_dataset(tmp_path / "ds", runners='runner_id\n"R01\n"\n', runs=runs))
    assert ds.runners["runner_id"].tolist() == ["R01"]
    assert ds.runs["runner_id"].tolist() == ["R01"]
    assert ds.runs["run_id"].tolist() == ["R01-20260302T0700"]


# (the id, as the reason shows it: one line, at most 40 characters)
HOSTILE_IN_RUNS = [
    ("a/b", "a/b"),
    ("..", ".."),
    ("-x", "-x"),
    ("x" * 65, "x" * 39 + "…"),
    ("R\u0661", "R\u0661"),
    ("R01;rm", "R01;rm"),
    ("R0\n1", "R0 1"),
]


@pytest.mark.parametrize(
    ("runner_id", "shown"), HOSTILE_IN_RUNS, ids=[f"id{k}" for k in range(len(HOSTILE_IN_RUNS))]
)
def test_a_hostile_id_in_runs_csv_is_an_unknown_runner(tmp_path, write_dataset, runner_id, shown):
    runs = f'{RUNS_HEADER}\nR01,2026-03-02T07:00,10,3000\n"{runner_id}",2026-03-03T07:00,10,3000\n'
    ds = load_dataset(write_dataset(tmp_path / "ds", runners=RUNNERS, runs=runs))
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 3, "runner_id", runner_id, f"runner_id {shown} is not in runners.csv", runner_id, "unknown_runner"]
    ]  # fmt: skip
    assert ds.runs["runner_id"].tolist() == ["R01"]
