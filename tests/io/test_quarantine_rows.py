"""Row-level rules of the loader, each checked against the exact quarantine rows.

Hand-written CSV text with known line numbers; every expected row (file,
line, column, value, reason, runner_id, code) is written out, from the
contract in ``DATA_FORMAT.md`` and the loader's documented parsing rules.
"""

from __future__ import annotations

import pytest

from analysis.io import load as load_module
from analysis.io import load_dataset
from analysis.io.convert import convert
from tests.io._support import RUNS_HEADER, load_files, quarantine_rows

RUNNERS = "runner_id,sex\nR01,F\nR02,M\n"
RUNS_COLUMNS = [
    "runner_id", "date", "distance_km", "duration_s", "avg_hr_bpm", "max_hr_bpm",
    "elev_gain_m", "elev_loss_m", "temp_c", "run_type", "vo2max_est_ml_kg_min",
    "cadence_spm", "rpe", "run_id", "activity_file", "device", "shoes", "sport", "elapsed_s",
    "avg_power_w", "steady_duration_s", "steady_avg_hr_bpm", "steady_gas_m_min",
    "decoupling_pct",
]  # fmt: skip


def _load(tmp_path, write_dataset, **files):
    return load_files(tmp_path, write_dataset, files.pop("runners", RUNNERS), **files)


def test_not_a_number_names_the_cell_and_how_to_fix_it(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER},avg_hr_bpm\n"
        "R01,2026-03-02T07:00,10,3000,NA\n"
        "R01,2026-03-03T07:00,10,3000,n/a\n"
        "R01,2026-03-04T07:00,10,3000,--\n"
        "R01,2026-03-05T07:00,10,3000,150bpm\n"
        "R01,2026-03-06T07:00,10,3000,inf\n"
        "R01,2026-03-07T07:00,10,3000,1.5e2\n"
        "R01,2026-03-08T07:00,10,3000, 150 \n"
        "R01,2026-03-09T07:00,10,3000,\n"
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    empty = " is not a number (leave the cell empty for a missing value)"
    plain = " is not a number (use a plain number such as 10.5)"
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "avg_hr_bpm", "NA", "avg_hr_bpm NA" + empty, "R01", "unparseable"],
        ["runs.csv", 3, "avg_hr_bpm", "n/a", "avg_hr_bpm n/a" + empty, "R01", "unparseable"],
        ["runs.csv", 4, "avg_hr_bpm", "--", "avg_hr_bpm --" + empty, "R01", "unparseable"],
        ["runs.csv", 5, "avg_hr_bpm", "150bpm", "avg_hr_bpm 150bpm" + plain, "R01", "unparseable"],
        ["runs.csv", 6, "avg_hr_bpm", "inf", "avg_hr_bpm inf" + plain, "R01", "unparseable"],
    ]
    assert ds.runs["line"].tolist() == [7, 8, 9]
    assert ds.runs["avg_hr_bpm"].tolist()[:2] == [150.0, 150.0]
    assert ds.runs["avg_hr_bpm"].isna().tolist() == [False, False, True]


def test_whole_number_columns(tmp_path, write_dataset):
    strength = (
        "runner_id,date,exercise,sets,reps\n"
        "R01,2026-03-02,Squat,3.0,5\n"
        "R01,2026-03-02,Squat,3,5.5\n"
        "R01,2026-03-02,Squat,,12\n"
        "R01,2026-03-02,Squat,0.5,5\n"
    )
    ds = _load(tmp_path, write_dataset, strength=strength)
    assert quarantine_rows(ds.quarantine) == [
        ["strength.csv", 3, "reps", "5.5", "reps 5.5 is not a whole number", "R01", "unparseable"],
        ["strength.csv", 5, "sets", "0.5", "sets 0.5 is not a whole number", "R01", "unparseable"],
    ]
    assert ds.strength["sets"].tolist() == [3, 1]  # empty sets = 1 (DATA_FORMAT.md)
    assert ds.strength["reps"].tolist() == [5, 12]


def test_required_cells_of_every_file(tmp_path, write_dataset):
    runners = "runner_id,name\nR01,Ann\n,Nobody\n"
    strength = "runner_id,date,exercise\nR01,,Squat\nR01,2026-03-02, \n,2026-03-02,Squat\n"
    blocks = "runner_id,block_start,block_end\nR01,,2026-05-01\nR01,2026-03-01,\n"
    lab = "runner_id,date,speed_kmh,vo2_ml_kg_min\nR01,,12,40\nR01,2026-03-01,,40\n"
    wellness = "runner_id,date,hr_rest_bpm\nR01,,50\n,2026-03-02,50\n"
    ds = _load(
        tmp_path,
        write_dataset,
        runners=runners,
        strength=strength,
        blocks=blocks,
        lab_tests=lab,
        wellness=wellness,
    )
    m = "missing_required"
    assert quarantine_rows(ds.quarantine) == [
        ["runners.csv", 3, "runner_id", "", "runner_id is missing", "", m],
        ["strength.csv", 2, "date", "", "date is missing", "R01", m],
        ["strength.csv", 3, "exercise", "", "exercise is missing", "R01", m],
        ["strength.csv", 4, "runner_id", "", "runner_id is missing", "", m],
        ["blocks.csv", 2, "block_start", "", "block_start is missing", "R01", m],
        ["blocks.csv", 3, "block_end", "", "block_end is missing", "R01", m],
        ["lab_tests.csv", 2, "date", "", "date is missing", "R01", m],
        ["lab_tests.csv", 3, "speed_kmh", "", "speed_kmh is missing", "R01", m],
        ["wellness.csv", 2, "date", "", "date is missing", "R01", m],
        ["wellness.csv", 3, "runner_id", "", "runner_id is missing", "", m],
    ]
    assert ds.runners["runner_id"].tolist() == ["R01"]
    assert ds.runners["name"].tolist() == ["Ann"]
    assert ds.strength.empty and ds.blocks.empty and ds.lab_tests.empty and ds.wellness.empty


def test_duration_missing_in_both_forms(tmp_path, write_dataset):
    runs = (
        "runner_id,date,distance_km,duration_s,duration\n"
        "R01,2026-03-02T07:00,10,,\n"
        "R01,2026-03-03T07:00,10,,0:50:00\n"
        "R01,2026-03-04T07:00,10,3000,\n"
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert quarantine_rows(ds.quarantine) == [
        [
            "runs.csv",
            2,
            "duration_s",
            "",
            "duration_s is missing (give seconds, or duration as H:MM:SS)",
            "R01",
            "missing_required",
        ]
    ]
    assert ds.runs["duration_s"].tolist() == [3000.0, 3000.0]


@pytest.mark.parametrize(
    ("clock", "seconds"),
    [
        ("45:10", 2710.0),
        ("1:02:03", 3723.0),
        ("0:59:59", 3599.0),
        ("59:59", 3599.0),
        ("90:00", 5400.0),  # MM:SS: minutes may pass 59
        ("2:00:00.5", 7200.5),
    ],
)
def test_clock_durations_that_load(tmp_path, write_dataset, clock, seconds):
    runs = f"runner_id,date,distance_km,duration\nR01,2026-03-02T07:00,10,{clock}\n"
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.quarantine.empty
    assert ds.runs["duration_s"].tolist() == [seconds]


@pytest.mark.parametrize(
    "clock", ["1:60:00", "1:00:60", "45:60", "1:2:3", "50", "1:00:00:00", "h:mm:ss"]
)
def test_clock_durations_that_do_not(tmp_path, write_dataset, clock):
    runs = f"runner_id,date,distance_km,duration\nR01,2026-03-02T07:00,10,{clock}\n"
    ds = _load(tmp_path, write_dataset, runs=runs)
    reason = f"duration {clock} is not a time like 1:02:03 (H:MM:SS) or 45:10 (MM:SS)"
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "duration", clock, reason, "R01", "unparseable"]
    ]


def test_dates_and_times_accepted_and_refused(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02,10,3000\n"
        "R01,2026-03-03 07:15,10,3000\n"
        "R01,2026-03-04T07:15:30.25,10,3000\n"
        "R01,2026-03-05T23:59:59-0800,10,3000\n"
        "R01,2026-03-06T07:15 Z,10,3000\n"
        "R01,2026-3-7,10,3000\n"
        "R01,2026-02-29,10,3000\n"
        "R01,2026-03-08T07:61,10,3000\n"
        "R01,07:15 2026-03-09,10,3000\n"
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    iso = " is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"
    real = " is not a real date or time"
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 7, "date", "2026-3-7", "date 2026-3-7" + iso, "R01", "bad_date"],
        ["runs.csv", 8, "date", "2026-02-29", "date 2026-02-29" + real, "R01", "bad_date"],
        ["runs.csv", 9, "date", "2026-03-08T07:61", "date 2026-03-08T07:61" + real, "R01", "bad_date"],
        ["runs.csv", 10, "date", "07:15 2026-03-09", "date 07:15 2026-03-09" + iso, "R01", "bad_date"],
    ]  # fmt: skip
    assert ds.runs["date"].dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist() == [
        "2026-03-02 00:00:00.000000",
        "2026-03-03 07:15:00.000000",
        "2026-03-04 07:15:30.250000",
        "2026-03-05 23:59:59.000000",  # the wall clock, not UTC (that would be the 6th)
        "2026-03-06 07:15:00.000000",
    ]
    assert ds.runs["run_id"].tolist() == [
        "R01-20260302T0000",
        "R01-20260303T0715",
        "R01-20260304T0715",
        "R01-20260305T2359",
        "R01-20260306T0715",
    ]


def test_date_columns_keep_the_day_only(tmp_path, write_dataset):
    wellness = (
        "runner_id,date,hr_rest_bpm\nR01,2026-03-02T06:30,48\nR01,2026-03-03T06:30+02:00,47\n"
    )
    blocks = "runner_id,block_start,block_end\nR01,2026-03-01T10:00,2026-03-01T09:00\n"
    ds = _load(tmp_path, write_dataset, wellness=wellness, blocks=blocks)
    assert ds.wellness["date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2026-03-02 00:00",
        "2026-03-03 00:00",
    ]
    # the same day: block_end is not before block_start once times are dropped
    assert ds.quarantine.empty
    assert ds.blocks["block_end"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2026-03-01 00:00"]


def test_categories_are_case_insensitive_and_empty_is_the_default(tmp_path, write_dataset):
    runners = "runner_id,sex\nR01,f\nR02,m\nR03,\nR04,W\n"
    runs = (
        f"{RUNS_HEADER},run_type\n"
        "R01,2026-03-02T07:00,10,3000,EASY\n"
        "R01,2026-03-03T07:00,10,3000,\n"
        "R01,2026-03-04T07:00,10,3000,Long\n"
        "R01,2026-03-05T07:00,10,3000,jog\n"
    )
    ds = _load(tmp_path, write_dataset, runners=runners, runs=runs)
    assert quarantine_rows(ds.quarantine) == [
        ["runners.csv", 5, "sex", "W", "sex W is not one of F, M, X", "R04", "bad_category"],
        [
            "runs.csv",
            5,
            "run_type",
            "jog",
            "run_type jog is not one of easy, long, recovery, tempo, threshold, interval, race, other",
            "R01",
            "bad_category",
        ],
    ]
    assert ds.runners["sex"].tolist()[:2] == ["F", "M"]
    assert ds.runners["sex"].isna().tolist() == [False, False, True]
    assert ds.runs["run_type"].astype(str).tolist() == ["easy", "other", "long"]


def test_rows_of_a_runner_quarantined_in_runners_csv_name_its_line(tmp_path, write_dataset):
    runners = "runner_id,hr_max_bpm,hr_rest_bpm\nR01,190,50\nR02,300,10\nR03,abc,50\n"
    strength = (
        "runner_id,date,exercise\n"
        "R02,2026-03-02,Squat\n"
        "R03,2026-03-02,Squat\n"
        "R09,2026-03-02,Squat\n"
        "R01,2026-03-02,Squat\n"
    )
    wellness = "runner_id,date\nR02,2026-03-02\n"
    ds = _load(tmp_path, write_dataset, runners=runners, strength=strength, wellness=wellness)
    assert quarantine_rows(ds.quarantine) == [
        ["runners.csv", 3, "hr_rest_bpm", "10", "hr_rest_bpm 10 is outside 25-120 bpm", "R02", "out_of_range"],
        ["runners.csv", 3, "hr_max_bpm", "300", "hr_max_bpm 300 is outside 100-250 bpm", "R02", "out_of_range"],
        ["runners.csv", 4, "hr_max_bpm", "abc", "hr_max_bpm abc is not a number (use a plain number such as 10.5)", "R03", "unparseable"],
        ["strength.csv", 2, "runner_id", "R02", "runner_id R02 was quarantined in runners.csv (line 3)", "R02", "unknown_runner"],
        ["strength.csv", 3, "runner_id", "R03", "runner_id R03 was quarantined in runners.csv (line 4)", "R03", "unknown_runner"],
        ["strength.csv", 4, "runner_id", "R09", "runner_id R09 is not in runners.csv", "R09", "unknown_runner"],
        ["wellness.csv", 2, "runner_id", "R02", "runner_id R02 was quarantined in runners.csv (line 3)", "R02", "unknown_runner"],
    ]  # fmt: skip
    assert ds.strength["line"].tolist() == [5]


def test_a_malformed_row_gets_one_reason_and_its_surplus_fields(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02T07:00,ten,3000,x,y\n"  # surplus and a bad number: one reason
        "R01,2026-03-03T07:00,10,3000,,\n"  # empty surplus fields: fine
        "R01,2026-03-04T07:00,10\n"  # short: padded with empty cells
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert quarantine_rows(ds.quarantine) == [
        [
            "runs.csv",
            2,
            "",
            "x,y",
            "row has more fields than the 4 columns of the header; quote text that contains commas",
            "R01",
            "malformed_row",
        ],
        [
            "runs.csv",
            4,
            "duration_s",
            "",
            "duration_s is missing (give seconds, or duration as H:MM:SS)",
            "R01",
            "missing_required",
        ],
    ]
    assert ds.runs["line"].tolist() == [3]


def test_a_malformed_row_in_a_quoted_file_too(tmp_path, write_dataset):
    runs = f'{RUNS_HEADER},notes\nR01,2026-03-02T07:00,10,3000,"a, b",c\nR01,2026-03-03T07:00,10,3000,"a, b"\n'
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert quarantine_rows(ds.quarantine) == [
        [
            "runs.csv",
            2,
            "",
            "c",
            "row has more fields than the 5 columns of the header; quote text that contains commas",
            "R01",
            "malformed_row",
        ]
    ]
    assert ds.runs["notes"].tolist() == ["a, b"]


def test_duplicates_and_run_ids(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER},run_id\n"
        "R01,2026-03-02T07:00,10,3000,\n"  # 2: R01-20260302T0700
        "R02,2026-03-02T07:00,10,3000,\n"  # 3: another runner, same start: fine
        "R01,2026-03-02T07:00:30,8,2400,\n"  # 4: the same minute, another second
        "R01,2026-03-02T07:00,12,3600,\n"  # 5: same runner and start: duplicate of 2
        "R01,2026-03-03,10,3000,a\n"  # 6
        "R01,2026-03-04,10,3000,a\n"  # 7: run_id a again
        "R02,2026-03-04,10,3000,a\n"  # 8: a for another runner: fine
        "R01,2026-03-05,10,3000,R01-20260302T0700\n"  # 9: a given id equal to a derived one
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 5, "date", "2026-03-02T07:00", "duplicate of line 2 (same runner_id and date)", "R01", "duplicate_run"],
        ["runs.csv", 7, "run_id", "a", "duplicate of line 6 (same run_id a)", "R01", "duplicate_run"],
        ["runs.csv", 9, "run_id", "R01-20260302T0700", "duplicate of line 2 (same run_id R01-20260302T0700)", "R01", "duplicate_run"],
    ]  # fmt: skip
    assert ds.runs["run_id"].tolist() == [
        "R01-20260302T0700",
        "R02-20260302T0700",
        "R01-20260302T0700-2",
        "a",
        "a",
    ]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100_000])
def test_validating_in_chunks_of_runners_keeps_line_order(
    tmp_path, write_dataset, monkeypatch, chunk_rows
):
    # runners interleaved, a duplicate and a repeated run_id far from their first
    runs = (
        f"{RUNS_HEADER},run_id\n"
        "R01,2026-03-02T07:00,10,3000,\n"
        "R02,2026-03-02T07:00,10,3000,x\n"
        ",2026-03-02T07:00,10,3000,\n"
        "R01,2026-03-03T07:00,10,3000,\n"
        "R02,2026-03-03T07:00,10,3000,x\n"
        "R01,2026-03-02T07:00,10,3000,\n"
        "R09,2026-03-02T07:00,10,3000,\n"
    )
    monkeypatch.setattr(load_module, "CHUNK_ROWS", chunk_rows)
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert list(ds.runs.columns) == [*RUNS_COLUMNS, "line"]
    assert ds.runs.index.tolist() == [0, 1, 2]
    assert ds.runs["line"].tolist() == [2, 3, 5]
    assert ds.runs["runner_id"].tolist() == ["R01", "R02", "R01"]
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 4, "runner_id", "", "runner_id is missing", "", "missing_required"],
        ["runs.csv", 6, "run_id", "x", "duplicate of line 3 (same run_id x)", "R02", "duplicate_run"],
        ["runs.csv", 7, "date", "2026-03-02T07:00", "duplicate of line 2 (same runner_id and date)", "R01", "duplicate_run"],
        ["runs.csv", 8, "runner_id", "R09", "runner_id R09 is not in runners.csv", "R09", "unknown_runner"],
    ]  # fmt: skip


def test_the_quarantine_is_in_file_order_then_line_order(tmp_path, write_dataset):
    files = {
        "wellness": "runner_id,date\nR09,2026-03-02\n",
        "lab_tests": "runner_id,date,speed_kmh,vo2_ml_kg_min\nR09,2026-03-02,12,40\n",
        "blocks": "runner_id,block_start,block_end\nR09,2026-03-02,2026-05-02\n",
        "strength": "runner_id,date,exercise\nR01,2026-03-02,Squat\nR09,2026-03-02,Squat\n",
        "runs": f"{RUNS_HEADER}\nR09,2026-03-02,10,3000\nR01,2026-03-02,10,3000\nR08,2026-03-03,10,3000\n",
        "runners": "runner_id,hr_max_bpm\nR01,190\nR02,999\n",
    }
    ds = _load(tmp_path, write_dataset, **files)
    got = ds.quarantine[["file", "line", "code"]].values.tolist()
    assert got == [
        ["runners.csv", 3, "out_of_range"],
        ["runs.csv", 2, "unknown_runner"],
        ["runs.csv", 4, "unknown_runner"],
        ["strength.csv", 3, "unknown_runner"],
        ["blocks.csv", 2, "unknown_runner"],
        ["lab_tests.csv", 2, "unknown_runner"],
        ["wellness.csv", 2, "unknown_runner"],
    ]
    assert str(ds.quarantine["line"].dtype) == "int64"
    assert list(ds.quarantine.columns) == [
        "file", "line", "column", "value", "reason", "runner_id", "code"
    ]  # fmt: skip


def test_meta_counts_rows_and_blank_rows_per_file(tmp_path, write_dataset):
    runs = f"{RUNS_HEADER}\nR01,2026-03-02,10,3000\n,,,\n\nR01,2026-03-03,10,3000\n"
    ds = _load(tmp_path, write_dataset, runs=runs)
    files = ds.meta["files"]
    assert files["runners.csv"] == {"present": True, "rows": 2, "blank_rows": 0}
    assert files["runs.csv"] == {"present": True, "rows": 2, "blank_rows": 2}
    assert files["strength.csv"] == {"present": False, "rows": 0, "blank_rows": 0}
    assert ds.runs["line"].tolist() == [2, 5]


def test_a_reason_shows_at_most_40_characters_of_a_cell_on_one_line(tmp_path, write_dataset):
    forty, forty_one = "x" * 40, "y" * 41
    runs = (
        f"{RUNS_HEADER}\n"
        f"{forty},2026-03-02T07:00,10,3000\n"
        f"{forty_one},2026-03-02T07:00,10,3000\n"
        '"R0\r\n\n1",2026-03-02T07:00,10,3000\n'
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.quarantine["reason"].tolist() == [
        f"runner_id {forty} is not in runners.csv",
        f"runner_id {'y' * 39}… is not in runners.csv",
        "runner_id R0 1 is not in runners.csv",
    ]
    assert ds.quarantine["value"].tolist() == [forty, forty_one, "R0\r\n\n1"]
    assert ds.quarantine["line"].tolist() == [2, 3, 4]


def test_a_pace_under_half_a_second_per_km_shows_as_0_00(tmp_path, write_dataset):
    runs = f"{RUNS_HEADER}\nR01,2026-03-02T07:00,400,100\nR01,2026-03-03T07:00,0.5,1000\n"
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.quarantine["reason"].tolist() == [
        "pace 0:00/km (distance_km 400, duration_s 100) is faster than 2:30/km",
        "pace 33:20/km (distance_km 0.5, duration_s 1000) is slower than 20:00/km",
    ]


def test_the_parquet_layout_quarantines_the_same_rows_by_their_csv_lines(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER}\n"
        "R02,2026-03-02T07:00,10,3000\n"
        "R01,2026-03-02T07:00,10,3000\n"
        "R02,2026-03-02T07:00,10,3000\n"
        "R01,2026-03-03T07:00,10,400\n"
    )
    folder = write_dataset(tmp_path / "csv", runners=RUNNERS, runs=runs)
    convert(folder, tmp_path / "pq", "parquet")
    ds = load_dataset(tmp_path / "pq")
    assert ds.meta["files"]["runs.csv"]["layout"] == "parquet"
    assert list(ds.runs.columns) == [*RUNS_COLUMNS, "line"]
    assert ds.runs.index.tolist() == [0, 1]
    assert ds.runs[["runner_id", "line"]].values.tolist() == [["R02", 2], ["R01", 3]]
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 4, "date", "2026-03-02T07:00", "duplicate of line 2 (same runner_id and date)", "R02", "duplicate_run"],
        ["runs.csv", 5, "duration_s", "400", "pace 0:40/km (distance_km 10, duration_s 400) is faster than 2:30/km", "R01", "pace_implausible"],
    ]  # fmt: skip
