"""analysis.io.load: exact line numbers, messages and meta worked out by hand.

Each test writes a small CSV (or converts it to the Parquet layout) whose
line numbers can be counted on the page, and states the expected rows,
messages and counts from ``DATA_FORMAT.md`` and the loader's documented
rules: a line break inside a quoted cell (``\\n``, ``\\r\\n`` or a bare
``\\r``, as ``str.splitlines`` counts them) moves the following lines on;
only ``" \\t\\r\\n\\f\\v"`` is blank. These pin the mutants that the older
loader tests let survive (``make mutation``).
"""

from __future__ import annotations

import re
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.errors import DataError
from analysis.io import layout, load_dataset
from analysis.io import load as load_module
from analysis.io.convert import convert
from analysis.io.load import read_csv_text
from tests.io._support import RUNS_HEADER, load_files, quarantine_rows

RUNNERS = "runner_id,sex\nR01,F\nR02,M\nR03,F\n"
MALFORMED = "row has more fields than the {} columns of the header; quote text that contains commas"


def _load(tmp_path, write_dataset, **files):
    return load_files(tmp_path, write_dataset, files.pop("runners", RUNNERS), **files)


def _csv(tmp_path, text: str, name: str = "runs.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return read_csv_text(path, name)


# ------------------------------------------------------------ line numbers, CSV path


def test_every_kind_of_quoted_line_break_moves_the_next_rows_on(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER},notes\n"  # 1
        'R01,2026-03-02,10,3000,"a\nb"\n'  # 2-3: LF inside quotes
        'R01,2026-03-03,10,3000,"c\rd"\n'  # 4-5: a bare CR inside quotes
        'R01,2026-03-04,10,3000,"e\r\nf"\n'  # 6-7: CRLF inside quotes
        'R01,2026-03-05,10,3000,x,"g\nh"\n'  # 8-9: a surplus field with a break
        "R01,2026-03-06,10,3000,y\n"  # 10
    )
    assert len(runs.splitlines()) == 10  # the count an editor shows
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.runs["line"].tolist() == [2, 4, 6, 10]
    assert ds.runs["notes"].tolist() == ["a\nb", "c\rd", "e\r\nf", "y"]
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 8, "", "g\nh", MALFORMED.format(5), "R01", "malformed_row"],
    ]


def test_a_file_with_bare_cr_line_ends_loads_line_by_line(tmp_path, write_dataset):
    # classic Mac line ends: no quotes, yet not the one-record-per-\n fast path
    runs = f"{RUNS_HEADER}\rR01,2026-03-02,10,3000\rR02,2026-03-02,10,-5\rR01,2026-03-03,10,3000\r"
    ds = _load(tmp_path, write_dataset, runs=runs.encode())
    assert ds.runs["line"].tolist() == [2, 4]
    assert ds.runs["distance_km"].tolist() == [10.0, 10.0]
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 3, "duration_s", "-5", "duration_s -5 must be > 0", "R02", "out_of_range"],
    ]


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_a_no_break_space_is_text_not_blank_in_both_tokenizers(tmp_path, quoted):
    # blank is " \t\r\n\f\v" only; U+00A0 is a character like any other, in both code paths
    last = 'R02,"q"' if quoted else "R02,q"
    frame, info = _csv(tmp_path, f"\xa0\n{RUNS_HEADER}\nR01,x,\xa0\n{last}\n", "notes.csv")
    assert info["header_line"] == 1
    assert list(frame.columns) == ["\xa0", "line", "_extra"]
    assert frame["line"].tolist() == [2, 3, 4]
    assert frame["\xa0"].tolist() == ["runner_id", "R01", "R02"]
    assert frame["_extra"].tolist() == ["date,distance_km,duration_s", "x,\xa0", "q"]


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_surplus_fields_of_a_no_break_space_make_a_row_malformed(tmp_path, quoted):
    cell = '"n"' if quoted else "n"
    text = f"runner_id,notes\nR01,{cell},\xa0\nR01,{cell}, \t\n,\xa0\n"
    frame, info = _csv(tmp_path, text)
    assert frame["line"].tolist() == [2, 3, 4]  # line 4 is not blank either
    assert frame["_extra"].tolist() == ["\xa0", "", ""]
    assert frame["notes"].tolist() == ["n", "n", "\xa0"]
    assert info["blank_rows"] == 0


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_leading_blank_lines_no_final_break_and_x_at_the_edges(tmp_path, quoted):
    # the header is line 3; the last row has no line break after it; cells and names
    # that start or end with "X" keep every character
    last = 'R02,"X "' if quoted else "R02, X "
    frame, info = _csv(tmp_path, f"\n \nrunner_id,INDEX\nXR01,XX\n ,\t\n{last}", "notes.csv")
    assert (info["header_line"], info["blank_rows"]) == (3, 1)
    assert list(frame.columns) == ["runner_id", "INDEX", "line", "_extra"]
    assert frame.drop(columns="line").values.tolist() == [["XR01", "XX", ""], ["R02", "X ", ""]]
    assert frame["line"].tolist() == [4, 6]
    assert [str(frame[c].dtype) for c in ("runner_id", "INDEX", "_extra")] == ["str"] * 3


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_short_rows_are_padded_with_empty_cells(tmp_path, quoted):
    notes = '"notes"' if quoted else "notes"
    frame, _ = _csv(tmp_path, f"runner_id,{notes},rpe\nR01\nR02,n\n", "notes.csv")
    assert frame.drop(columns="line").values.tolist() == [["R01", "", "", ""], ["R02", "n", "", ""]]
    frame, _ = _csv(tmp_path, f"runner_id,{notes}\nR01\nR02\n", "notes.csv")  # all short
    assert frame["notes"].tolist() == ["", ""]
    assert frame["line"].tolist() == [2, 3]


def test_a_header_without_a_line_break_and_names_starting_with_x(tmp_path):
    frame, info = _csv(tmp_path, "Xtra,runner_id,INDEX", "notes.csv")
    assert list(frame.columns) == ["Xtra", "runner_id", "INDEX", "line", "_extra"]
    assert len(frame) == 0 and info["header_line"] == 1


def test_blocks_of_one_character_end_at_line_breaks_only(tmp_path, monkeypatch):
    # a block ends at a line break: "XX" at the end of a line and the start of the next
    # stays two cells of two separate rows
    monkeypatch.setattr(load_module, "_BLOCK_CHARS", 1)
    frame, info = _csv(tmp_path, "runner_id,notes\nR01,XX\nXX,a\n\nR02,b\n", "notes.csv")
    assert frame.drop(columns="line").values.tolist() == [
        ["R01", "XX", ""],
        ["XX", "a", ""],
        ["R02", "b", ""],
    ]
    assert frame["line"].tolist() == [2, 3, 5]
    assert info["blank_rows"] == 1


def test_a_quoted_header_only_file_has_text_columns_like_a_plain_one(tmp_path):
    plain, _ = _csv(tmp_path, "runner_id,notes\n")
    quoted, _ = _csv(tmp_path, 'runner_id,"notes"\n')
    for frame in (plain, quoted):
        assert len(frame) == 0
        assert [str(frame[c].dtype) for c in ("runner_id", "notes", "_extra")] == ["str"] * 3
        assert str(frame["line"].dtype) == "int64"


# ---------------------------------------------------------------------- header


def test_repeated_and_reserved_header_names_are_numbered(tmp_path):
    frame, info = _csv(tmp_path, "runner_id,notes,notes,line,_extra,,notes\nR01,a,b,c,d,e,f\n")
    assert list(frame.columns) == [
        "runner_id", "notes", "notes.1", "line.1", "_extra.1", "unnamed_6", "notes.2",
        "line", "_extra",
    ]  # fmt: skip
    assert frame.iloc[0].tolist() == ["R01", "a", "b", "c", "d", "e", "f", 2, ""]
    assert info["renamed"] == {
        "notes (field 3)": "notes.1",
        "line (field 4)": "line.1",
        "_extra (field 5)": "_extra.1",
        "notes (field 7)": "notes.2",
    }


def test_a_canonical_column_named_twice_is_refused_whole(tmp_path, write_dataset):
    runs = "\nrunner_id,date,distance_km,duration_s,distance_km\nR01,2026-03-02,10,3000,11\n"
    message = (
        r"^runs\.csv line 2, column distance_km: column 'distance_km' appears twice in the "
        r"header \(fields 3 and 5\); remove or rename one of them$"
    )
    with pytest.raises(DataError, match=message) as caught:
        _load(tmp_path, write_dataset, runs=runs.encode())  # bytes: the blank line 1 stays
    assert (caught.value.file, caught.value.line, caught.value.column) == (
        "runs.csv",
        2,
        "distance_km",
    )


# ------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")],
    ids=["little-endian", "big-endian"],
)
def test_utf16_of_either_byte_order_is_refused_whole(tmp_path, write_dataset, bom, codec):
    runs = bom + f"{RUNS_HEADER}\nR01,2026-03-02,10,3000\n".encode(codec)
    message = (
        r"^runs\.csv line 1: is UTF-16 encoded, not UTF-8; save it as "
        r"'CSV UTF-8 \(comma delimited\)'$"
    )
    with pytest.raises(DataError, match=message) as caught:
        _load(tmp_path, write_dataset, runs=runs)
    assert (caught.value.file, caught.value.line) == ("runs.csv", 1)


def test_not_utf8_after_a_leading_blank_line_names_the_third_line(tmp_path, write_dataset):
    runs = f"\n{RUNS_HEADER},notes\nR01,2026-03-02,10,3000,caf\xe9\n".encode("latin-1")
    message = (
        r"^runs\.csv line 3: is not UTF-8: byte 0xE9 cannot be decoded \(a Latin-1 or "
        r"Windows-1252 file\?\); save it as 'CSV UTF-8' or convert it with "
        r"`iconv -f cp1252 -t utf-8`$"
    )
    with pytest.raises(DataError, match=message):
        _load(tmp_path, write_dataset, runs=runs)


def test_nul_characters_are_refused_at_the_first_ones_line(tmp_path, write_dataset):
    runs = f"\n{RUNS_HEADER},notes\nR01,2026-03-02,10,3000,a\x00\nR01,2026-03-03,10,3000,\x00\n"
    message = (
        r"^runs\.csv line 3: contains a NUL character, so it is not a text CSV \(a spreadsheet "
        r"saved under a \.csv name\?\); export it as 'CSV UTF-8'$"
    )
    with pytest.raises(DataError, match=message):
        _load(tmp_path, write_dataset, runs=runs.encode())


@pytest.mark.parametrize(
    "content", [b"", b"\n \t\n,,\n", b'"",\n"  "\n'], ids=["no bytes", "blank lines", "quoted"]
)
def test_an_empty_file_is_refused_whole(tmp_path, write_dataset, content):
    message = (
        r"^runs\.csv line 1: is empty: there is no header row; the first line must name the "
        r"columns \(see DATA_FORMAT\.md\)$"
    )
    with pytest.raises(DataError, match=message):
        _load(tmp_path, write_dataset, runs=content)


def test_an_unreadable_file_says_why_in_words(tmp_path, write_dataset):
    folder = write_dataset(tmp_path / "ds", runners=RUNNERS)
    (folder / "runs.csv").mkdir()  # a folder where the file should be
    message = (
        r"^runs\.csv: cannot read the file \(Is a directory\); check that it is a readable file$"
    )
    with pytest.raises(DataError, match=message):
        load_dataset(folder)


# ------------------------------------------------------------ broken quoting messages


def test_an_unclosed_quote_names_its_line_after_multi_line_cells(tmp_path, write_dataset):
    runs = (
        f"{RUNS_HEADER},notes\n"  # 1
        'R01,2026-03-02,10,3000,"a\r\nb"\n'  # 2-3
        'R01,2026-03-03,10,3000,"c\rd"\n'  # 4-5
        'R01,2026-03-04,10,3000, "e\nf"\n'  # 6-7: a space before the quote is skipped
        'R01,2026-03-05,10,3000, "never closed\n'  # 8: the quote opens here
        "R01,2026-03-06,10,3000,x\n"
    )
    message = (
        r"^runs\.csv line 8: unbalanced quotes: a quoted field opened on this line is never "
        r'closed; close it with " or remove the stray quote$'
    )
    with pytest.raises(DataError, match=message) as caught:
        _load(tmp_path, write_dataset, runs=runs)
    assert (caught.value.file, caught.value.line) == ("runs.csv", 8)


def test_an_unclosed_quote_in_a_file_with_bare_cr_line_ends(tmp_path, write_dataset):
    runs = f'{RUNS_HEADER},notes\rR01,2026-03-02,10,3000,ok\rR01,2026-03-03,10,3000,"open\rR01,x\r'
    with pytest.raises(DataError, match=r"^runs\.csv line 3: unbalanced quotes"):
        _load(tmp_path, write_dataset, runs=runs.encode())


def test_text_after_a_closing_quote_gets_the_whole_message(tmp_path, write_dataset):
    runs = f'{RUNS_HEADER},notes\nR01,2026-03-02,10,3000,ok\nR01,2026-03-03,10,3000,"a"b\n'
    message = (
        r"^runs\.csv line 3: is not valid CSV \(.+\); a quoted field must be followed by a "
        r'comma or the end of the line, and a " inside quotes is written ""$'
    )
    with pytest.raises(DataError, match=message):
        _load(tmp_path, write_dataset, runs=runs)


# ---------------------------------------------------------------------- pace shown


@pytest.mark.filterwarnings("error::RuntimeWarning")  # and no overflow warning on the way
def test_an_off_the_scale_pace_is_shown_at_the_cap_never_as_0_00(tmp_path, write_dataset):
    # 3000 s / 1e-310 km overflows to an infinite pace; 3000 s / 1e-300 km is 3e303 s/km.
    # Both are shown at the display cap of 1e15 s = 16666666666666 min 40 s.
    runs = f"{RUNS_HEADER}\nR01,2026-03-02,1e-310,3000\nR01,2026-03-03,1e-300,3000\n"
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.quarantine["reason"].tolist() == [
        "pace 16666666666666:40/km (distance_km 1e-310, duration_s 3000) is slower than 20:00/km",
        "pace 16666666666666:40/km (distance_km 1e-300, duration_s 3000) is slower than 20:00/km",
    ]
    assert ds.quarantine["code"].tolist() == ["pace_implausible", "pace_implausible"]
    assert ds.runs.empty


# --------------------------------------------------------------- clock durations


def test_a_clock_that_is_not_a_time_gets_no_pace_reason_too(tmp_path, write_dataset):
    # read as numbers these would be 45 min 60 s = 2760 s and 1 h 60 min = 7200 s,
    # 0:28/km and 1:12/km over 100 km: too fast, but a cell that is not a time has no pace
    runs = (
        "runner_id,date,distance_km,duration\n"
        "R01,2026-03-02T07:00,100,45:60\n"
        "R01,2026-03-03T07:00,100,1:60:00\n"
        "R01,2026-03-04T07:00,10,50:00\n"
    )
    ds = _load(tmp_path, write_dataset, runs=runs)
    tail = " is not a time like 1:02:03 (H:MM:SS) or 45:10 (MM:SS)"
    assert quarantine_rows(ds.quarantine) == [
        ["runs.csv", 2, "duration", "45:60", "duration 45:60" + tail, "R01", "unparseable"],
        ["runs.csv", 3, "duration", "1:60:00", "duration 1:60:00" + tail, "R01", "unparseable"],
    ]
    assert ds.runs["duration_s"].tolist() == [3000.0]
    assert str(ds.runs["duration_s"].dtype) == "float64"


# ------------------------------------------------------------- chunks of runners


def test_two_chunks_of_runners_both_keep_their_rows(tmp_path, write_dataset, monkeypatch):
    runs = f"{RUNS_HEADER}\nR01,2026-03-02,10,3000\nR02,2026-03-02,10,3000\n"
    monkeypatch.setattr(load_module, "CHUNK_ROWS", 1)  # one runner per chunk: two chunks
    ds = _load(tmp_path, write_dataset, runs=runs)
    assert ds.runs[["runner_id", "line"]].values.tolist() == [["R01", 2], ["R02", 3]]
    assert ds.runs.index.tolist() == [0, 1]


# ------------------------------------------------------------------ Parquet layout


def _parquet(tmp_path, write_dataset, monkeypatch, runs: str, per_part: int = 1):
    """``runs`` converted to the Parquet layout, ``per_part`` runners a part."""
    monkeypatch.setattr(layout, "RUNNERS_PER_PART", per_part)
    folder = write_dataset(tmp_path / "csv", runners=RUNNERS, runs=runs)
    convert(folder, tmp_path / "pq", "parquet")
    return tmp_path / "pq"


def test_parquet_meta_counts_the_rows_of_every_part(tmp_path, write_dataset, monkeypatch):
    runs = (
        f"{RUNS_HEADER}\n"
        "R01,2026-03-02,10,3000\n"
        "R02,2026-03-02,10,3000\n"
        "R01,2026-03-03,10,3000\n"
        "R03,2026-03-02,10,3000\n"
        "R03,2026-03-03,10,3000\n"
    )
    parquet = _parquet(tmp_path, write_dataset, monkeypatch, runs)
    assert [p.name for p in layout.parts(parquet, "runs.csv")] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    ds = load_dataset(parquet)
    assert ds.meta["files"]["runs.csv"] == {
        "present": True,
        "rows": 5,
        "blank_rows": 0,
        "layout": "parquet",
    }
    assert ds.runs["line"].tolist() == [2, 3, 4, 5, 6]
    assert ds.quarantine.empty


def test_parquet_renamed_field_is_warned_about_once(tmp_path, write_dataset, monkeypatch):
    # parts of 2, 1 and 1 rows: the warning comes from the first part only
    runs = (
        f"{RUNS_HEADER},line\n"
        "R01,2026-03-02,10,3000,a\n"
        "R01,2026-03-03,10,3000,b\n"
        "R02,2026-03-02,10,3000,c\n"
        "R03,2026-03-02,10,3000,d\n"
    )
    ds = load_dataset(_parquet(tmp_path, write_dataset, monkeypatch, runs))
    assert ds.warnings == ("runs.csv: header field line (field 5) is loaded as column 'line.1'",)
    assert ds.runs["line.1"].tolist() == ["a", "b", "c", "d"]


def test_parquet_part_without_a_required_column(tmp_path, write_dataset, monkeypatch):
    runs = "runner_id,date,duration_s\nR01,2026-03-02,3000\n"
    parquet = _parquet(tmp_path, write_dataset, monkeypatch, runs)
    message = (
        r"^runs\.csv line 1, column distance_km: missing required column 'distance_km'; "
        r"found columns: runner_id, date, duration_s\. Add the column or rename the "
        r"matching one \(see DATA_FORMAT\.md\)$"
    )
    with pytest.raises(DataError, match=message):
        load_dataset(parquet)


def test_parquet_part_with_clock_durations_only_loads(tmp_path, write_dataset, monkeypatch):
    runs = "runner_id,date,distance_km,duration\nR01,2026-03-02,10,50:00\n"
    ds = load_dataset(_parquet(tmp_path, write_dataset, monkeypatch, runs))
    assert ds.runs["duration_s"].tolist() == [3000.0]


def test_a_csv_beside_its_parquet_folder_is_refused(tmp_path, write_dataset, monkeypatch):
    runs = f"{RUNS_HEADER}\nR01,2026-03-02,10,3000\n"
    parquet = _parquet(tmp_path, write_dataset, monkeypatch, runs)
    (parquet / "runs.csv").write_text(runs, encoding="utf-8")
    message = (
        r"^runs\.csv: both runs\.csv and the Parquet folder runs/ exist; keep one of them "
        r"\(runeco convert writes a new folder\)$"
    )
    with pytest.raises(DataError, match=message) as caught:
        load_dataset(parquet)
    assert caught.value.file == "runs.csv"


# --------------------------------------------------------------------- numbers


def test_an_infinite_whole_number_gets_one_reason(tmp_path, write_dataset):
    strength = (
        "runner_id,date,exercise,sets,reps\n"
        "R01,2026-03-02,squat,inf,5\n"
        "R01,2026-03-02,squat,3,-inf\n"
        "R01,2026-03-02,squat,3,5\n"
    )
    ds = _load(tmp_path, write_dataset, strength=strength)
    plain = " is not a number (use a plain number such as 10.5)"
    assert quarantine_rows(ds.quarantine) == [
        ["strength.csv", 2, "sets", "inf", "sets inf" + plain, "R01", "unparseable"],
        ["strength.csv", 3, "reps", "-inf", "reps -inf" + plain, "R01", "unparseable"],
    ]
    assert ds.strength[["sets", "reps"]].values.tolist() == [[3, 5]]


# --------------------------------------------------------------- typed frames


def test_absent_optional_files_give_empty_frames_with_the_contract_columns(tmp_path, write_dataset):
    ds = _load(tmp_path, write_dataset)
    expected = {
        "strength": [
            "runner_id", "date", "exercise", "sets", "reps", "load_kg", "duration_s", "rpe",
            "category", "line",
        ],
        "blocks": ["runner_id", "block_start", "block_end", "label", "line"],
        "lab_tests": [
            "runner_id", "date", "speed_kmh", "grade_pct", "vo2_ml_kg_min", "hr_bpm", "rer",
            "lactate_mmol", "line",
        ],
        "wellness": ["runner_id", "date", "hr_rest_bpm", "hrv_ms", "body_mass_kg", "line"],
        "exercises": ["exercise", "category", "runner_id", "exercise_key", "line"],
    }  # fmt: skip
    for name, columns in expected.items():
        frame = getattr(ds, name)
        assert list(frame.columns) == columns, name
        assert len(frame) == 0 and str(frame["line"].dtype) == "int64", name


def test_blank_text_cells_are_missing_and_other_text_is_kept_as_written(tmp_path, write_dataset):
    runners = "runner_id,name,group,shoe\nR01, ,\xa0,\t\nR02,Bob,a,\xa0\n"
    ds = _load(tmp_path, write_dataset, runners=runners)
    assert ds.runners["name"].isna().tolist() == [True, False]
    assert ds.runners["group"].tolist() == ["\xa0", "a"]  # a no-break space is text
    assert ds.runners["shoe"].isna().tolist() == [True, False]
    assert ds.runners["shoe"].iloc[1] == "\xa0"


def test_a_duration_column_stands_in_for_duration_s_only(tmp_path, write_dataset):
    runs = "runner_id,date,duration\nR01,2026-03-02,50:00\n"
    message = (
        r"^runs\.csv line 1, column distance_km: missing required column 'distance_km'; "
        r"found columns: runner_id, date, duration\. Add the column or rename the matching "
        r"one \(see DATA_FORMAT\.md\)$"
    )
    with pytest.raises(DataError, match=message):
        _load(tmp_path, write_dataset, runs=runs)


def test_a_parquet_part_without_data_columns_finds_none(tmp_path, write_dataset):
    folder = write_dataset(tmp_path / "ds", runners=RUNNERS)
    (folder / "runs").mkdir()
    pq.write_table(
        pa.table({"line": pa.array([2], pa.int64()), "_extra": [""]}),
        folder / "runs" / "part-00000.parquet",
    )
    message = (
        r"^runs\.csv line 1, column runner_id: missing required column 'runner_id'; "
        r"found columns: \(none\)\. Add the column or rename the matching one "
        r"\(see DATA_FORMAT\.md\)$"
    )
    with pytest.raises(DataError, match=message):
        load_dataset(folder)


# ------------------------------------------------------------------ exercises.csv

EXERCISE_CATEGORIES = "heavy, explosive, plyometric, bodyweight_strength, core, mobility, other"


def test_exercises_rows_kept_and_quarantined_exactly(tmp_path, write_dataset):
    long_name = "x" * 101
    exercises = (
        "exercise,category,runner_id\n"  # 1
        "Back-Squats,HEAVY,R01\n"  # 2: kept, matched as "back squat"
        "back squat,core,R01\n"  # 3: the same exercise and runner as line 2
        "back squat,core,\n"  # 4: kept, for every runner
        "box jump,explosive,R09\n"  # 5: no such runner
        "+plank,core,\n"  # 6: a formula
        "!!!,core,\n"  # 7: no letters or digits
        "plank,,\n"  # 8: no category
        ",core,\n"  # 9: no exercise
        "plank,stretchy,\n"  # 10: not a category
        f"{long_name},core,\n"  # 11: 101 characters
        "a\tb,core,\n"  # 12: a control character inside
        "Box Jumps,explosive,R02\n"  # 13: kept
        f"{'y' * 100},core,\n"  # 14: kept, 100 characters is the limit
    )
    ds = _load(tmp_path, write_dataset, exercises=exercises)
    f = "exercises.csv"
    assert quarantine_rows(ds.quarantine) == [
        [f, 3, "exercise", "back squat", "repeats line 2 (the same exercise and runner); keep one row", "R01", "duplicate_mapping"],
        [f, 5, "runner_id", "R09", "runner_id R09 is not in runners.csv (leave it empty for every runner)", "R09", "unknown_runner"],
        [f, 6, "exercise", "+plank", "exercise starts like a spreadsheet formula (=, +, -, @); write the name itself", "", "bad_text"],
        [f, 7, "exercise", "!!!", "exercise has no letters or digits", "", "bad_text"],
        [f, 8, "category", "", "category is missing", "", "missing_required"],
        [f, 9, "exercise", "", "exercise is missing", "", "missing_required"],
        [f, 10, "category", "stretchy", f"category stretchy is not one of {EXERCISE_CATEGORIES}", "", "bad_category"],
        [f, 11, "exercise", long_name, "exercise is longer than 100 characters", "", "bad_text"],
        [f, 12, "exercise", "a\tb", "exercise holds control characters", "", "bad_text"],
    ]  # fmt: skip
    kept = ds.exercises
    assert list(kept.columns) == ["exercise", "category", "runner_id", "exercise_key", "line"]
    assert kept["exercise"].tolist() == ["Back-Squats", "back squat", "Box Jumps", "y" * 100]
    assert kept["category"].astype(str).tolist() == ["heavy", "core", "explosive", "core"]
    assert kept["runner_id"].fillna("<all>").tolist() == ["R01", "<all>", "R02", "<all>"]
    assert kept["exercise_key"].tolist() == ["back squat", "back squat", "box jump", "y" * 100]
    assert kept["line"].tolist() == [2, 4, 13, 14]


def test_exercises_precedence_own_cell_then_runner_row_then_all_runners_then_automatic(
    tmp_path, write_dataset
):
    exercises = (
        "exercise,category,runner_id\n"
        "back squat,heavy,R01\n"
        "back squat,core,\n"
        "box jumps,explosive,R02\n"
    )
    strength = (
        "runner_id,date,exercise,sets,reps,category\n"
        "R01,2026-03-02,Back Squats,3,5,\n"  # 2: R01's own mapping row
        "R02,2026-03-02,back squat,3,5,\n"  # 3: the all-runners row
        "R02,2026-03-02,box jumps,3,6,\n"  # 4: R02's own row
        "R01,2026-03-02,box jumps,3,6,\n"  # 5: no row: the automatic category
        "R01,2026-03-03,back squat,3,5,Mobility\n"  # 6: the row's own cell wins
        "R03,2026-03-03,back squat,3,5,\n"  # 7: the all-runners row again
    )
    ds = _load(tmp_path, write_dataset, exercises=exercises, strength=strength)
    assert ds.quarantine.empty
    assert ds.strength["line"].tolist() == [2, 3, 4, 5, 6, 7]
    assert ds.strength["category"].astype(str).tolist() == [
        "heavy",
        "core",
        "explosive",
        "plyometric",
        "mobility",
        "core",
    ]


def test_a_one_rm_kg_column_decides_heavy_where_it_is_a_number(tmp_path, write_dataset):
    # 160/200 = 80 % -> heavy; 150/200 = 75 % -> not heavy, though 3 reps alone would be;
    # no 1RM given (empty or not a number): the log's best Epley estimate,
    # 160 * (1 + 3/30) = 176 kg, and 150/176 = 85 % -> heavy
    strength = (
        "runner_id,date,exercise,sets,reps,load_kg,one_rm_kg\n"
        "R01,2026-03-02,deadlift,1,3,160,200\n"
        "R01,2026-03-02,deadlift,1,3,150, 200 \n"
        "R01,2026-03-02,deadlift,1,3,150,\n"
        "R01,2026-03-02,deadlift,1,3,150,abc\n"
    )
    ds = _load(tmp_path, write_dataset, strength=strength)
    assert ds.quarantine.empty
    assert ds.strength["category"].astype(str).tolist() == [
        "heavy",
        "bodyweight_strength",
        "heavy",
        "heavy",
    ]
    assert ds.strength["one_rm_kg"].fillna("<empty>").tolist() == ["200", "200 ", "<empty>", "abc"]


# ------------------------------------------------------------------ folder level


def _raises_exactly(path, message: str) -> None:
    with pytest.raises(DataError, match="^" + re.escape(message) + "$"):
        load_dataset(path)


def test_folder_level_messages_whole(tmp_path, write_dataset):
    hint = "give the folder that holds runners.csv and runs.csv"
    nowhere = tmp_path / "nowhere"
    _raises_exactly(nowhere, f"dataset folder '{nowhere}' does not exist; {hint}")
    a_file = tmp_path / "runs.csv"
    a_file.write_text("x\n", encoding="utf-8")
    _raises_exactly(a_file, f"'{a_file}' is a file, not a dataset folder; {hint}")
    folder = write_dataset(tmp_path / "ds", runners="runner_id,name\n")
    _raises_exactly(
        folder,
        f"runs.csv: required file runs.csv is missing from {folder}; every dataset needs "
        "runners.csv and runs.csv (see DATA_FORMAT.md)",
    )
    write_dataset(folder, runs=RUNS_HEADER + "\n")
    _raises_exactly(
        folder,
        f"runners.csv line 2: has a header but no runners (in {folder}); add one row per "
        "runner (runner_id, and optionally name, group, hr_rest_bpm, ...)",
    )


def test_a_folder_that_cannot_be_looked_at_is_one_data_error(tmp_path):
    too_long = tmp_path / ("x" * 300)  # a name longer than any file system allows
    with pytest.raises(DataError) as caught:
        load_dataset(too_long)
    assert re.fullmatch(
        rf"cannot open dataset folder '{re.escape(str(too_long))}' \(.*File name too long.*\); "
        r"give the folder that holds runners\.csv and runs\.csv",
        str(caught.value),
    )


def test_load_seconds_is_the_time_the_load_took(tmp_path, write_dataset):
    folder = write_dataset(
        tmp_path, runners=RUNNERS, runs=f"{RUNS_HEADER}\nR01,2026-03-02,10,3000\n"
    )
    before = time.perf_counter()
    ds = load_dataset(folder)
    took = time.perf_counter() - before
    assert 0 < ds.meta["load_seconds"] <= took  # a bound, not a speed test
