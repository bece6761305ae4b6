"""analysis.io: loading, validating and quarantining the canonical dataset."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.io import (
    DataError,
    Dataset,
    load_dataset,
    validation_summary,
    write_quarantine,
)
from analysis.io import load as load_module
from analysis.schema import (
    EXERCISE_CATEGORIES,
    QUARANTINE_CODES,
    QUARANTINE_COLUMNS,
    RUN_TYPES,
    RUNS,
    STRENGTH,
)

RUNNERS = """\
runner_id,name,sex,birth_year,hr_max_bpm
R01,Ann,F,1990,190
R02,Bob,M,1985,185
"""

RUNS_HEADER = "runner_id,date,distance_km,duration_s,avg_hr_bpm,run_type,run_id"
RUNS_OK = [
    "R01,2026-03-02T07:15:00,10,3000,150,easy,",
    "R02,2026-03-02T18:00:00,8,2600,140,,",
]


def runs_text(*rows: str) -> str:
    """runs.csv with the two good rows (lines 2-3), then ``rows`` from line 4."""
    return "\n".join([RUNS_HEADER, *RUNS_OK, *rows]) + "\n"


def problems(ds: Dataset, file: str) -> pd.DataFrame:
    return ds.quarantine.loc[ds.quarantine["file"] == file]


# --------------------------------------------------------------------------- sample


def test_sample_squad_loads_typed_and_traceable(sample_dir):
    ds = load_dataset(sample_dir)
    runners = pd.read_csv(sample_dir / "runners.csv")
    runs = pd.read_csv(sample_dir / "runs.csv")
    assert len(ds.runners) == len(runners)
    # nothing lost: every data row is either typed or quarantined
    q = problems(ds, "runs.csv")
    assert len(ds.runs) + q["line"].nunique() == len(runs)
    assert ds.runs["date"].dtype == "datetime64[ns]"
    assert ds.runs["distance_km"].dtype == "float64"
    assert list(ds.runs["run_type"].cat.categories) == list(RUN_TYPES)
    assert list(ds.strength["category"].cat.categories) == list(EXERCISE_CATEGORIES)
    assert ds.runs["run_id"].notna().all()
    assert not ds.runs.duplicated(["runner_id", "run_id"]).any()
    # the line column points at the row in the file
    first = ds.runs.iloc[0]
    raw = runs.iloc[first["line"] - 2]
    assert raw["runner_id"] == first["runner_id"]
    assert raw["distance_km"] == pytest.approx(first["distance_km"])
    assert set(ds.quarantine.columns) == set(QUARANTINE_COLUMNS)


# ------------------------------------------------------------ row-level quarantine

RUN_CASES = [
    # (bad row at line 4, code, column, reason pattern)
    ("R01,2026-03-04,ten,3000,150,easy,", "unparseable", "distance_km", r"^distance_km ten is not a number \(use a plain number"),
    ("R01,2026-03-04,10,3000,NA,easy,", "unparseable", "avg_hr_bpm", r"^avg_hr_bpm NA is not a number \(leave the cell empty"),
    ("R01,2026-02-30,10,3000,150,easy,", "bad_date", "date", r"^date 2026-02-30 is not a real date or time$"),
    ("R01,03/04/2026,10,3000,150,easy,", "bad_date", "date", r"^date 03/04/2026 is not an ISO 8601 date"),
    ("R01,2026-03-04T24:30,10,3000,150,easy,", "bad_date", "date", r"^date 2026-03-04T24:30 is not a real date or time$"),
    ("R01,1850-03-04,10,3000,150,easy,", "bad_date", "date", r"^date 1850-03-04 is outside the years 1900-2100"),
    ("R01,2026-03-04,10,3000,400,easy,", "out_of_range", "avg_hr_bpm", r"^avg_hr_bpm 400 is outside 25-250 bpm$"),
    ("R01,2026-03-04,10,3000,20,easy,", "out_of_range", "avg_hr_bpm", r"^avg_hr_bpm 20 is outside 25-250 bpm$"),
    ("R01,2026-03-04,-5,3000,150,easy,", "out_of_range", "distance_km", r"^distance_km -5 must be > 0$"),
    ("R01,2026-03-04,10,0,150,easy,", "out_of_range", "duration_s", r"^duration_s 0 must be > 0$"),
    ("R01,2026-03-04,10,1000,150,easy,", "pace_implausible", "duration_s", r"^pace 1:40/km \(distance_km 10, duration_s 1000\) is faster than 2:30/km$"),
    ("R01,2026-03-04,1,1500,150,easy,", "pace_implausible", "duration_s", r"^pace 25:00/km .* is slower than 20:00/km$"),
    ("R99,2026-03-04,10,3000,150,easy,", "unknown_runner", "runner_id", r"^runner_id R99 is not in runners.csv$"),
    (",2026-03-04,10,3000,150,easy,", "missing_required", "runner_id", r"^runner_id is missing$"),
    ("R01,,10,3000,150,easy,", "missing_required", "date", r"^date is missing$"),
    ("R01,2026-03-04,,3000,150,easy,", "missing_required", "distance_km", r"^distance_km is missing$"),
    ("R01,2026-03-04,10,,150,easy,", "missing_required", "duration_s", r"^duration_s is missing"),
    ("R01,2026-03-04,10,3000,150,jog,", "bad_category", "run_type", r"^run_type jog is not one of easy, long, recovery"),
    ("R01,2026-03-02T07:15:00,12,3600,150,long,", "duplicate_run", "date", r"^duplicate of line 2 \(same runner_id and date\)$"),
    ("R01,2026-03-02T07:15:00+02:00,12,3600,150,long,", "duplicate_run", "date", r"^duplicate of line 2 "),
    ("R02,2026-03-05,10,3000,150,easy,R02-20260302T1800", "duplicate_run", "run_id", r"^duplicate of line 3 \(same run_id R02-20260302T1800\)$"),
    ("R01,2026-03-04,10,3000,150,easy,,surplus", "malformed_row", "", r"^row has more fields than the 7 columns"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "code", "column", "reason"), RUN_CASES)
def test_runs_row_problem_is_quarantined_with_its_line(
    tmp_path, write_dataset, row, code, column, reason
):
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(row)))
    q = problems(ds, "runs.csv")
    assert len(q) == 1, q
    got = q.iloc[0]
    assert (got["line"], got["code"], got["column"]) == (4, code, column)
    assert pd.Series([got["reason"]]).str.contains(reason).all(), got["reason"]
    assert got["code"] in QUARANTINE_CODES
    # the row is out of the typed frame and the good rows are in
    assert list(ds.runs["line"]) == [2, 3]


def test_quarantine_value_and_runner_are_the_raw_cells(tmp_path, write_dataset):
    ds = load_dataset(
        write_dataset(
            tmp_path, runners=RUNNERS, runs=runs_text(" R01 ,2026-03-04,10,3000, 400 ,easy,")
        )
    )
    got = ds.quarantine.iloc[0]
    assert (got["value"], got["runner_id"]) == ("400", "R01")


def test_all_problems_of_a_row_are_listed(tmp_path, write_dataset):
    ds = load_dataset(
        write_dataset(tmp_path, runners=RUNNERS, runs=runs_text("R01,2026-13-01,x,3000,400,jog,"))
    )
    q = problems(ds, "runs.csv")
    assert set(q["column"]) == {"date", "distance_km", "avg_hr_bpm", "run_type"}
    assert set(q["line"]) == {4}
    assert len(ds.runs) == 2


def test_runner_quarantined_in_runners_csv_takes_its_runs_along(tmp_path, write_dataset):
    runners = RUNNERS + "R03,Cy,X,1990,300\n"
    ds = load_dataset(
        write_dataset(tmp_path, runners=runners, runs=runs_text("R03,2026-03-04,10,3000,150,easy,"))
    )
    q = ds.quarantine
    assert q.loc[q["file"] == "runners.csv", ["line", "column", "code"]].values.tolist() == [
        [4, "hr_max_bpm", "out_of_range"]
    ]
    run = problems(ds, "runs.csv").iloc[0]
    assert run["code"] == "unknown_runner"
    assert run["reason"] == "runner_id R03 was quarantined in runners.csv (line 4)"
    assert list(ds.runners["runner_id"]) == ["R01", "R02"]


@pytest.mark.parametrize(
    ("row", "column", "code", "reason"),
    [
        ("R03,Cy,female,1990,190", "sex", "bad_category", r"^sex female is not one of F, M, X$"),
        (
            "R03,Cy,F,1990.5,190",
            "birth_year",
            "unparseable",
            r"^birth_year 1990.5 is not a whole number$",
        ),
        ("R03,Cy,F,1990,abc", "hr_max_bpm", "unparseable", r"^hr_max_bpm abc is not a number"),
        (",Cy,F,1990,190", "runner_id", "missing_required", r"^runner_id is missing$"),
    ],
)
def test_runners_row_problems(tmp_path, write_dataset, row, column, code, reason):
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS + row + "\n", runs=runs_text()))
    got = problems(ds, "runners.csv")
    assert got[["line", "column", "code"]].values.tolist() == [[4, column, code]]
    assert got["reason"].str.contains(reason).all(), got["reason"].iloc[0]
    assert len(ds.runners) == 2


STRENGTH_HEADER = "runner_id,date,exercise,sets,reps,load_kg"


@pytest.mark.parametrize(
    ("row", "column", "code", "reason"),
    [
        (
            "R01,2026-03-02,Squat,2.5,5,80",
            "sets",
            "unparseable",
            r"^sets 2.5 is not a whole number$",
        ),
        ("R01,2026-03-02,Squat,3,-1,80", "reps", "out_of_range", r"^reps -1 is outside 0-1000$"),
        (
            "R01,2026-03-02,Squat,3,5,heavy",
            "load_kg",
            "unparseable",
            r"^load_kg heavy is not a number",
        ),
        (
            "R01,2026-03-02,Squat,3,5,2000",
            "load_kg",
            "out_of_range",
            r"^load_kg 2000 is outside 0-1000 kg$",
        ),
        ("R01,2026-03-02,,3,5,80", "exercise", "missing_required", r"^exercise is missing$"),
        (
            "R01,yesterday,Squat,3,5,80",
            "date",
            "bad_date",
            r"^date yesterday is not an ISO 8601 date",
        ),
        (
            "R09,2026-03-02,Squat,3,5,80",
            "runner_id",
            "unknown_runner",
            r"^runner_id R09 is not in runners.csv$",
        ),
    ],
)
def test_strength_row_problems(tmp_path, write_dataset, row, column, code, reason):
    strength = f"{STRENGTH_HEADER}\nR01,2026-03-02,Plank,,,\n{row}\n"
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(), strength=strength))
    got = problems(ds, "strength.csv")
    assert got[["line", "column", "code"]].values.tolist() == [[3, column, code]]
    assert got["reason"].str.contains(reason).all(), got["reason"].iloc[0]
    assert list(ds.strength["line"]) == [2]


def test_blocks_and_lab_tests_row_problems(tmp_path, write_dataset):
    blocks = """\
        runner_id,block_start,block_end,label
        R01,2026-03-01,2026-05-10,ok
        R02,2026-05-10,2026-03-01,reversed
        R02,2026-03-01,soon,bad
    """
    lab = """\
        runner_id,date,speed_kmh,vo2_ml_kg_min,rer
        R01,2026-03-01,12,40.5,0.9
        R01,2026-03-01,0,40.5,0.9
        R01,2026-03-01,13,,0.9
        R01,2026-03-01,14,48,3
    """
    ds = load_dataset(
        write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(), blocks=blocks, lab_tests=lab)
    )
    got = ds.quarantine[["file", "line", "column", "code", "reason"]].values.tolist()
    assert got == [
        ["blocks.csv", 3, "block_end", "bad_date", "block_end 2026-03-01 is before block_start 2026-05-10"],
        ["blocks.csv", 4, "block_end", "bad_date", "block_end soon is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"],
        ["lab_tests.csv", 3, "speed_kmh", "out_of_range", "speed_kmh 0 must be > 0"],
        ["lab_tests.csv", 4, "vo2_ml_kg_min", "missing_required", "vo2_ml_kg_min is missing"],
        ["lab_tests.csv", 5, "rer", "out_of_range", "rer 3 is outside 0.6-1.5"],
    ]  # fmt: skip
    assert list(ds.blocks["label"]) == ["ok"]
    assert ds.lab_tests["grade_pct"].tolist() == [0.0]  # default 0 (DATA_FORMAT.md)


def test_own_category_column_is_checked_and_wins(tmp_path, write_dataset):
    strength = """\
        runner_id,date,exercise,sets,reps,load_kg,category
        R01,2026-03-02,Plank,,,,
        R01,2026-03-02,Secret drill,3,10,,plyometric
        R01,2026-03-02,Plank,,,,strong
    """
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(), strength=strength))
    assert ds.strength["category"].astype(str).tolist() == ["core", "plyometric"]
    assert ds.quarantine[["line", "column", "code"]].values.tolist() == [
        [4, "category", "bad_category"]
    ]


# ------------------------------------------------------------------------- parsing


def test_duration_clock_times_and_offsets_are_accepted(tmp_path, write_dataset):
    runs = """\
        runner_id,date,distance_km,duration,avg_hr_bpm
        R01,2026-03-02T07:15:00+01:00,10,0:50:00,150
        R01,2026-03-03T07:15:00Z,10,50:00,150
        R01,2026-03-04 18:30,10,1:02:03,150
        R01,2026-03-05T06:00:00.5-0500,21.1,1:45:30.5,150
        R01,2026-03-06,42.2,3:30:00,150
        R01,2026-03-07T07:00:00+01,5,25:00,150
        R01,2026-03-08,10,1:75:00,150
        R01,2026-03-09,10,fifty,150
    """
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert ds.runs["duration_s"].tolist() == [3000, 3000, 3723, 6330.5, 12600, 1500]
    assert ds.runs["date"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == [
        "2026-03-02 07:15:00",  # the offset is dropped, the wall-clock time kept
        "2026-03-03 07:15:00",
        "2026-03-04 18:30:00",
        "2026-03-05 06:00:00",
        "2026-03-06 00:00:00",
        "2026-03-07 07:00:00",
    ]
    assert ds.runs["date"].dtype == "datetime64[ns]"
    q = ds.quarantine
    assert q[["line", "column", "code"]].values.tolist() == [
        [8, "duration", "unparseable"],
        [9, "duration", "unparseable"],
    ]
    assert (
        q["reason"].iloc[0]
        == "duration 1:75:00 is not a time like 1:02:03 (H:MM:SS) or 45:10 (MM:SS)"
    )


def test_duration_s_wins_over_duration_where_both_given(tmp_path, write_dataset):
    runs = """\
        runner_id,date,distance_km,duration_s,duration
        R01,2026-03-02,10,3000,1:00:00
        R01,2026-03-03,10,,1:00:00
    """
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert ds.runs["duration_s"].tolist() == [3000, 3600]


def test_unknown_columns_are_kept_in_file_order_before_line(tmp_path, write_dataset):
    runs = """\
        shoe,runner_id,date,distance_km,duration_s,notes
        Pegasus,R01,2026-03-02,10,3000,felt good
        ,R01,2026-03-03,10,3000,
    """
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert list(ds.runs.columns) == [c.name for c in RUNS] + ["shoe", "notes", "line"]
    assert ds.runs["shoe"].tolist()[0] == "Pegasus"
    assert ds.runs["notes"].isna().tolist() == [False, True]
    assert ds.quarantine.empty


def test_line_numbers_count_quoted_line_breaks_blank_lines_and_crlf(tmp_path, write_dataset):
    text = (
        "runner_id,date,distance_km,duration_s,notes\r\n"
        "\r\n"  # line 2: blank, skipped
        'R01,2026-03-02,10,3000,"two\r\nlines"\r\n'  # lines 3-4
        ",,,,\r\n"  # line 5: all blank, skipped
        "R01,2026-03-03,10,3000,x\r\n"  # line 6
        "R01,2026-03-04,10,-1,x\r\n"  # line 7
    )
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=text.encode()))
    assert ds.runs["line"].tolist() == [3, 6]
    assert ds.runs["notes"].iloc[0] == "two\r\nlines"
    assert ds.quarantine["line"].tolist() == [7]
    assert ds.meta["files"]["runs.csv"] == {"present": True, "rows": 3, "blank_rows": 2}


def test_run_ids_are_derived_and_date_only_doubles_are_kept(tmp_path, write_dataset):
    runs = """\
        runner_id,date,distance_km,duration_s,run_id
        R01,2026-03-02T07:15:30,10,3000,
        R01,2026-03-03,10,3000,
        R01,2026-03-03,6,2000,
        R01,2026-03-03,10,3000,
        R02,2026-03-03,10,3000,my-run
    """
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert ds.runs["run_id"].tolist() == [
        "R01-20260302T0715",
        "R01-20260303T0000",
        "R01-20260303T0000-2",
        "my-run",
    ]
    q = ds.quarantine
    assert q[["line", "code", "reason"]].values.tolist() == [
        [5, "duplicate_run", "duplicate of line 3 (same runner_id and date)"]
    ]


def test_defaults_and_types(tmp_path, write_dataset):
    strength = (
        f"{STRENGTH_HEADER}\nR01,2026-03-02T18:00:00,Back squat,,5,100\nR01,2026-03-02,plank,3,,\n"
    )
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(), strength=strength))
    assert ds.runs["run_type"].astype(str).tolist() == ["easy", "other"]
    assert ds.strength["sets"].tolist() == [1, 3]
    assert str(ds.strength["sets"].dtype) == "Int64"
    assert ds.strength["reps"].isna().tolist() == [False, True]
    assert ds.strength["category"].astype(str).tolist() == ["heavy", "core"]
    assert list(ds.strength.columns[: len(STRENGTH) + 1]) == [c.name for c in STRENGTH] + [
        "category"
    ]
    assert str(ds.runners["birth_year"].dtype) == "Int64"
    assert ds.runners["sex"].astype(str).tolist() == ["F", "M"]


def test_absent_optional_files_give_empty_typed_frames(tmp_path, write_dataset):
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text()))
    assert ds.strength.empty and ds.blocks.empty and ds.lab_tests.empty
    assert ds.strength["date"].dtype == "datetime64[ns]"
    assert isinstance(ds.strength["category"].dtype, pd.CategoricalDtype)
    assert ds.blocks["block_start"].dtype == "datetime64[ns]"
    assert ds.lab_tests["vo2_ml_kg_min"].dtype == "float64"
    assert ds.meta["files"]["strength.csv"]["present"] is False


def test_header_with_only_a_header_row_is_fine(tmp_path, write_dataset):
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=RUNS_HEADER + "\n"))
    assert ds.runs.empty and ds.quarantine.empty
    assert ds.runs["distance_km"].dtype == "float64"


def test_a_column_named_line_is_kept_under_another_name(tmp_path, write_dataset):
    runs = "runner_id,date,distance_km,duration_s,line\nR01,2026-03-02,10,3000,L7\n"
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert ds.runs["line"].tolist() == [2]
    assert ds.runs["line.1"].tolist() == ["L7"]
    assert any("'line.1'" in w for w in ds.warnings)


def test_utf8_bom_and_quoted_commas(tmp_path, write_dataset):
    strength = '\ufeffrunner_id,date,exercise\nR01,2026-03-02,"Squat, back"\n'
    ds = load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs_text(), strength=strength))
    assert ds.strength["exercise"].tolist() == ["Squat, back"]


def test_dataset_for_runner_filters_the_quarantine_too(tmp_path, write_dataset):
    ds = load_dataset(
        write_dataset(tmp_path, runners=RUNNERS, runs=runs_text("R02,2026-03-04,10,3000,400,easy,"))
    )
    one = ds.for_runner("R02")
    assert one.runs["runner_id"].tolist() == ["R02"]
    assert one.quarantine["line"].tolist() == [4]
    assert ds.for_runner("R01").quarantine.empty


# ---------------------------------------------------------------- file-level errors


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match=r"dataset folder .*nowhere.* does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_path_is_a_file(tmp_path):
    (tmp_path / "runs.csv").write_text("x\n")
    with pytest.raises(DataError, match=r"is a file, not a dataset folder"):
        load_dataset(tmp_path / "runs.csv")


def test_missing_required_file(tmp_path, write_dataset):
    with pytest.raises(DataError, match=r"^runs.csv: required file runs.csv is missing"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS))


def test_missing_required_column_lists_the_columns_found(tmp_path, write_dataset):
    runs = "runner_id,date,distance,duration_s\nR01,2026-03-02,10,3000\n"
    with pytest.raises(DataError) as info:
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    err = info.value
    assert (err.file, err.line, err.column) == ("runs.csv", 1, "distance_km")
    assert "missing required column 'distance_km'" in str(err)
    assert "found columns: runner_id, date, distance, duration_s" in str(err)


def test_missing_duration_column_mentions_the_alternative(tmp_path, write_dataset):
    runs = "runner_id,date,distance_km\nR01,2026-03-02,10\n"
    with pytest.raises(DataError, match=r"'duration_s' \(or duration as H:MM:SS\)"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


def test_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path, write_dataset):
    runs = (runs_text() + "R01,2026-03-04,10,3000,150,easy,caf\xe9\n").encode("latin-1")
    with pytest.raises(DataError, match=r"^runs.csv line 4: is not UTF-8: byte 0xE9") as info:
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))
    assert info.value.line == 4


def test_utf16_is_refused(tmp_path, write_dataset):
    runs = runs_text().encode("utf-16")
    with pytest.raises(DataError, match=r"UTF-16 encoded, not UTF-8"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


def test_nul_bytes_are_refused(tmp_path, write_dataset):
    runs = runs_text("R01,2026-03-04,10,3000,150,\x00,").encode()
    with pytest.raises(DataError, match=r"^runs.csv line 4: contains a NUL character"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b",,,\n"])
def test_empty_file(tmp_path, write_dataset, content):
    with pytest.raises(DataError, match=r"^runs.csv line 1: is empty: there is no header row"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=content))


def test_unbalanced_quotes_name_the_line_where_the_quote_opens(tmp_path, write_dataset):
    runs = runs_text('R01,2026-03-04,10,3000,150,"easy,', "R01,2026-03-05,10,3000,150,easy,")
    with pytest.raises(DataError, match=r"^runs.csv line 4: unbalanced quotes"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


def test_text_after_a_closing_quote_is_a_csv_error(tmp_path, write_dataset):
    runs = runs_text('R01,2026-03-04,10,3000,150,"easy"ish,')
    with pytest.raises(DataError, match=r"^runs.csv line 4: is not valid CSV"):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


@pytest.mark.parametrize("bad_id", ["R 01", "-R01", "R01/../x", "Ř01", "x" * 65])
def test_invalid_runner_id_in_runners_csv(tmp_path, write_dataset, bad_id):
    runners = RUNNERS + f"{bad_id},Cy,F,1990,190\n"
    with pytest.raises(
        DataError, match=r"^runners.csv line 4, column runner_id: runner_id .* is not a valid id"
    ):
        load_dataset(write_dataset(tmp_path, runners=runners, runs=runs_text()))


def test_duplicate_runner_names_both_lines(tmp_path, write_dataset):
    runners = RUNNERS + "R03,Cy,F,1990,190\nR01,Ann again,F,1990,190\n"
    with pytest.raises(DataError, match=r"runner_id 'R01' appears on lines 2 and 5"):
        load_dataset(write_dataset(tmp_path, runners=runners, runs=runs_text()))


def test_canonical_column_named_twice(tmp_path, write_dataset):
    runs = "runner_id,date,distance_km,duration_s,distance_km\nR01,2026-03-02,10,3000,11\n"
    with pytest.raises(
        DataError, match=r"column 'distance_km' appears twice in the header \(fields 3 and 5\)"
    ):
        load_dataset(write_dataset(tmp_path, runners=RUNNERS, runs=runs))


def test_unreadable_file(tmp_path, write_dataset):
    folder = write_dataset(tmp_path, runners=RUNNERS)
    (folder / "runs.csv").mkdir()
    with pytest.raises(DataError, match=r"^runs.csv: cannot read the file"):
        load_dataset(folder)


# --------------------------------------------------------------- summary and CLI


def test_summary_groups_by_code_and_truncates_line_lists(tmp_path, write_dataset):
    bad = [f"R01,2026-03-{d:02d},10,3000,400,easy," for d in range(4, 16)]  # lines 4-15
    strength = f"{STRENGTH_HEADER}\nR01,2026-03-09,Squat,3,5,80\nR02,2026-03-10,Plank,,,\n"
    ds = load_dataset(
        write_dataset(
            tmp_path,
            runners=RUNNERS,
            runs=runs_text(*bad, "R07,2026-03-20,10,3000,150,easy,"),
            strength=strength,
        )
    )
    text = validation_summary(ds)
    assert "runners: 2" in text
    assert "runs: 2 (2026-03-02 to 2026-03-02)" in text
    assert "strength sessions: 2 (runner-days; 2 exercise rows)" in text
    assert "weeks covered: 2 (2026-03-02 to 2026-03-10)" in text
    assert "quarantined rows: 13 (13 problems)" in text
    assert "  out_of_range: 12 rows, runs.csv lines 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, …" in text
    assert 'e.g. "avg_hr_bpm 400 is outside 25-250 bpm"' in text
    assert "  unknown_runner: 1 row, runs.csv line 16" in text


def test_summary_names_group_labels_that_are_neither_strength_nor_control(tmp_path, write_dataset):
    """A coach's own labels: `runeco validate` says how analyze will read them (a
    blind generator's `gym` / `runs only` squads were analysed with no control, and
    nothing said so); wordings of the two count as them; no groups at all, one line."""
    runners = (
        "runner_id,name,sex,birth_year,hr_max_bpm,group\n"
        "R01,Ann,F,1990,190,gym\nR02,Bob,M,1985,185,gym\nR03,Cy,M,1980,180,Controls\n"
        "R04,Di,F,1992,192,strength\nR05,Ed,M,1991,190,\nR06,Flo,F,1988,188,runs only\n"
    )
    runs = runs_text("R01,2026-03-04,10,3000,150,easy,")
    text = validation_summary(load_dataset(write_dataset(tmp_path, runners=runners, runs=runs)))
    assert (
        "groups (runners.csv): 1 strength, 1 control, 1 without a group (read from the "
        "data), 3 with another label" in text
    )
    assert (
        "  group 'gym' (2 runners) is neither strength nor control: analyze reads it from "
        "the data (strength with a block of its own, else control)" in text
    )
    assert "  group 'runs only' (1 runner) is neither" in text
    assert "'Controls'" not in text
    plain = validation_summary(
        load_dataset(write_dataset(tmp_path / "b", runners=RUNNERS, runs=runs))
    )
    assert "groups (runners.csv): none given; analyze reads each runner's from the data" in plain


def test_write_quarantine_is_a_complete_csv(tmp_path, write_dataset):
    ds = load_dataset(
        write_dataset(
            tmp_path / "ds", runners=RUNNERS, runs=runs_text("R01,2026-03-04,10,3000,400,easy,")
        )
    )
    out = write_quarantine(ds, tmp_path / "out" / "q.csv")
    back = pd.read_csv(out, keep_default_na=False, dtype={"value": str})
    assert list(back.columns) == list(QUARANTINE_COLUMNS)
    assert back[["file", "line", "column", "value", "code"]].values.tolist() == [
        ["runs.csv", 4, "avg_hr_bpm", "400", "out_of_range"]
    ]
    assert [p.name for p in out.parent.iterdir()] == ["q.csv"]  # no temporary file left


def validate_command(path, quarantine_path=None):
    """``runeco validate`` as the CLI runs it."""
    argv = ["validate", str(path)]
    if quarantine_path is not None:
        argv += ["--quarantine", str(quarantine_path)]
    return main(argv)


def test_validate_command_exit_codes(tmp_path, write_dataset, capsys):
    clean = write_dataset(tmp_path / "clean", runners=RUNNERS, runs=runs_text())
    assert validate_command(clean, quarantine_path=tmp_path / "q0.csv") == 0
    out = capsys.readouterr().out
    assert "quarantined rows: none" in out
    assert pd.read_csv(tmp_path / "q0.csv").empty

    dirty = write_dataset(
        tmp_path / "dirty", runners=RUNNERS, runs=runs_text("R01,2026-03-04,10,3000,150,jog,")
    )
    assert validate_command(dirty, quarantine_path=tmp_path / "q1.csv") == 1
    assert "bad_category: 1 row, runs.csv line 4" in capsys.readouterr().out
    q = pd.read_csv(tmp_path / "q1.csv")
    assert q[["line", "column", "value"]].values.tolist() == [[4, "run_type", "jog"]]

    assert validate_command(tmp_path / "missing") == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: dataset folder")
    assert captured.out == ""


# ---------------------------------------------------------------- property tests

_TRICKY = [
    "", " ", "NA", "nan", "inf", "-inf", "1e400", "-0", "0", "１２", "١٢", "0x10", "1,5", "+3",
    "2026-13-45", "2026-02-29", "9999-12-31T23:59:59", "0001-01-01", "2026-03-02T25:00",
    "2026-03-02T07:15:00+25:00", "99:99:99", "1:00:00", "R01", "R02", "easy", "EASY", "\n",
    '"', "'", ",", "\r", "\t", "\u2028", "\x85", "é", "🏃", "\ufeff", "None", "True", "[]",
    "9" * 40, "-" * 3, "1_000", "1e-400", "2026-03-02 07:15", "Z",
]  # fmt: skip
GARBAGE = st.one_of(
    st.sampled_from(_TRICKY),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
)

_RUN_COLUMNS = [c.name for c in RUNS] + ["duration", "notes"]
_STRENGTH_COLUMNS = [c.name for c in STRENGTH] + ["category", "one_rm_kg"]
_GOOD_RUN = {
    "runner_id": "R01",
    "date": "2026-03-02T07:15:00",
    "distance_km": "10",
    "duration_s": "3000",
    "run_type": "easy",
}
_GOOD_STRENGTH = {"runner_id": "R01", "date": "2026-03-02", "exercise": "Squat", "reps": "5"}


def _csv_text(columns, rows, extra_fields) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # "\r\n": a bare \r or \n in a cell gets quoted
    writer.writerow(columns)
    for row, extra in zip(rows, extra_fields, strict=True):
        writer.writerow([row.get(c, "") for c in columns] + extra)
    return buffer.getvalue()


def _data_rows(rows, extra_fields, columns) -> int:
    """Rows that are not blank (a row whose cells are all blank is a blank line)."""
    ws = load_module._WS
    return sum(
        any(str(row.get(c, "")).strip(ws) for c in columns) or any(f.strip(ws) for f in extra)
        for row, extra in zip(rows, extra_fields, strict=True)
    )


def _garbled_rows(good, columns):
    row = st.fixed_dictionaries({}, optional={c: GARBAGE for c in columns}).map(
        lambda garbage: {**good, **garbage}
    )
    extra = st.lists(GARBAGE, max_size=2)
    return st.lists(st.tuples(row, extra), min_size=1, max_size=8)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(pairs=_garbled_rows(_GOOD_RUN, _RUN_COLUMNS), runs_first=st.booleans())
def test_garbage_in_runs_never_crashes_and_never_loses_a_row(tmp_path_factory, pairs, runs_first):
    rows = [p[0] for p in pairs]
    extra = [p[1] for p in pairs]
    columns = _RUN_COLUMNS if runs_first else list(reversed(_RUN_COLUMNS))
    folder = tmp_path_factory.mktemp("runs")
    (folder / "runners.csv").write_text(RUNNERS, encoding="utf-8")
    (folder / "runs.csv").write_text(_csv_text(columns, rows, extra), encoding="utf-8", newline="")
    ds = load_dataset(folder)  # quoted by csv.writer, no NUL: no file-level error possible
    q = problems(ds, "runs.csv")
    assert len(ds.runs) + q["line"].nunique() == _data_rows(rows, extra, columns)
    assert not set(ds.runs["line"]) & set(q["line"])
    assert q["code"].isin(list(QUARANTINE_CODES)).all()
    assert q["reason"].str.len().gt(0).all()
    assert ds.runs["run_id"].notna().all()
    assert not ds.runs.duplicated(["runner_id", "run_id"]).any()
    pace = ds.runs["duration_s"] / ds.runs["distance_km"]
    assert pace.between(150, 1200).all()


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(pairs=_garbled_rows(_GOOD_STRENGTH, _STRENGTH_COLUMNS))
def test_garbage_in_strength_never_crashes_and_never_loses_a_row(tmp_path_factory, pairs):
    rows = [p[0] for p in pairs]
    extra = [p[1] for p in pairs]
    folder = tmp_path_factory.mktemp("strength")
    (folder / "runners.csv").write_text(RUNNERS, encoding="utf-8")
    (folder / "runs.csv").write_text(runs_text(), encoding="utf-8")
    text = _csv_text(_STRENGTH_COLUMNS, rows, extra)
    (folder / "strength.csv").write_text(text, encoding="utf-8", newline="")
    ds = load_dataset(folder)
    q = problems(ds, "strength.csv")
    assert len(ds.strength) + q["line"].nunique() == _data_rows(rows, extra, _STRENGTH_COLUMNS)
    assert ds.strength["sets"].notna().all()
    assert ds.strength["category"].notna().all()


@settings(max_examples=150, deadline=None)
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_bytes_raise_only_data_error(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "runners.csv").write_text(RUNNERS, encoding="utf-8")
    (folder / "runs.csv").write_bytes(b"runner_id,date,distance_km,duration_s\n" + content)
    (folder / "strength.csv").write_bytes(content)
    try:
        ds = load_dataset(folder)
    except DataError as exc:
        assert exc.file, str(exc)  # names the file it is about
        assert str(exc).startswith(exc.file)
    else:
        # what loaded is accounted for: every data row kept or quarantined
        assert set(ds.quarantine["file"]) <= {"runs.csv", "strength.csv"}


def _quote_free_rows(max_rows: int):
    """Rows of up to 5 cells without quotes, line breaks or NUL: the Arrow path's files."""
    cell = st.text(
        st.characters(blacklist_characters='\x00"\r\n', blacklist_categories=("Cs",)),
        max_size=6,
    )
    return st.lists(st.lists(cell, max_size=5), min_size=1, max_size=max_rows)


@settings(max_examples=200, deadline=None)
@given(text=_quote_free_rows(8), crlf=st.booleans())
def test_plain_and_csv_tokenizers_agree(text, crlf):
    """The Arrow fast path (no quotes) gives exactly what the csv module gives."""
    content = ("\r\n" if crlf else "\n").join(",".join(r) for r in text) + "\n"
    plain = load_module._tokens_plain(content)
    slow = load_module._tokens_csv(content, "x.csv")
    assert (plain is None) == (slow is None)
    if plain is None:
        return
    assert [f.strip(load_module._WS) for f in plain[0]] == [
        f.strip(load_module._WS) for f in slow[0]
    ]
    assert plain[1] == slow[1]
    assert len(plain[2]) == len(slow[2])
    for a, b in zip(plain[2], slow[2], strict=True):
        assert a.tolist() == b.tolist()
    assert plain[3].tolist() == slow[3].tolist()
    assert np.asarray(plain[4]).tolist() == np.asarray(slow[4]).tolist()


# ------------------------------------------------- large files: blocks and runner chunks


@settings(max_examples=150, deadline=None)
@given(
    text=_quote_free_rows(12),
    crlf=st.booleans(),
    final_break=st.booleans(),
    block=st.integers(1, 40),
)
def test_a_large_file_read_in_blocks_gives_the_one_block_tokens(text, crlf, final_break, block):
    content = ("\r\n" if crlf else "\n").join(",".join(r) for r in text)
    content += ("\r\n" if crlf else "\n") if final_break else ""
    whole = load_module._tokens_plain(content)
    original = load_module._BLOCK_CHARS
    load_module._BLOCK_CHARS = block  # a block boundary every few characters
    try:
        blocked = load_module._tokens_plain(content)
    finally:
        load_module._BLOCK_CHARS = original
    assert (whole is None) == (blocked is None)
    if whole is None:
        return
    assert blocked[0] == whole[0] and blocked[1] == whole[1]
    assert [c.tolist() for c in blocked[2]] == [c.tolist() for c in whole[2]]
    assert blocked[3].tolist() == whole[3].tolist()
    assert blocked[4].tolist() == whole[4].tolist()


_THREE_RUNNERS = RUNNERS + "R03,Cy,F,1999,195\n"


def _load_in_chunks(folder, rows: int) -> Dataset:
    original = load_module.CHUNK_ROWS
    load_module.CHUNK_ROWS = rows
    try:
        return load_dataset(folder)
    finally:
        load_module.CHUNK_ROWS = original


def _same_dataset(a: Dataset, b: Dataset) -> None:
    for name in ("runners", "runs", "strength", "blocks", "lab_tests", "wellness", "quarantine"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    runs=_garbled_rows(_GOOD_RUN, _RUN_COLUMNS),
    strength=_garbled_rows(_GOOD_STRENGTH, _STRENGTH_COLUMNS),
    owners=st.lists(st.sampled_from(["R01", "R02", "R03", "R09", ""]), min_size=16, max_size=16),
    rows=st.integers(1, 4),
)
def test_validating_runner_by_runner_finds_what_validating_at_once_finds(
    tmp_path_factory, runs, strength, owners, rows
):
    """Duplicates, run ids and 1RM estimates look within a runner only, so
    chunks of whole runners quarantine and keep exactly the same rows."""
    folder = tmp_path_factory.mktemp("chunks")
    (folder / "runners.csv").write_text(_THREE_RUNNERS, encoding="utf-8")
    for name, pairs, columns in (
        ("runs.csv", runs + runs, _RUN_COLUMNS),  # repeated: duplicates across chunks
        ("strength.csv", strength, _STRENGTH_COLUMNS),
    ):
        table = [
            {**row, "runner_id": row.get("runner_id", "") if k % 4 == 3 else owners[k % 16]}
            for k, (row, _) in enumerate(pairs)
        ]
        text = _csv_text(columns, table, [extra for _, extra in pairs])
        (folder / name).write_text(text, encoding="utf-8", newline="")
    _same_dataset(_load_in_chunks(folder, rows), load_dataset(folder))


def test_sample_squad_loads_the_same_in_chunks_of_runners(sample_dir):
    whole = load_dataset(sample_dir)
    chunked = _load_in_chunks(sample_dir, 100)
    assert len(whole.runs) > 300  # several chunks
    _same_dataset(chunked, whole)
