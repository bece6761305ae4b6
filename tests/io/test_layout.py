"""The Parquet layout (runs and strength by runner): the same dataset, the same quarantine."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.io import Dataset, load_dataset, load_dataset_parts
from analysis.io import layout as layout_module
from analysis.io.convert import convert
from analysis.io.edit import remove_runner, set_runner
from analysis.io.importers import import_sources

TABLES = ("runners", "runs", "strength", "blocks", "lab_tests", "wellness", "quarantine")


def _same(a: Dataset, b: Dataset) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.warnings == b.warnings


def test_the_sample_in_parquet_and_back_is_the_same_dataset(sample_dir, tmp_path):
    assert convert(sample_dir, tmp_path / "pq", "parquet") == {
        "runs.csv": 579,
        "strength.csv": 357,
    }
    assert not (tmp_path / "pq" / "runs.csv").exists()
    assert [p.name for p in (tmp_path / "pq" / "runs").iterdir()] == ["part-00000.parquet"]
    csv, parquet = load_dataset(sample_dir), load_dataset(tmp_path / "pq")
    _same(csv, parquet)
    assert parquet.meta["files"]["runs.csv"]["layout"] == "parquet"
    convert(tmp_path / "pq", tmp_path / "back", "csv")
    _same(csv, load_dataset(tmp_path / "back"))


# Row problems of every kind, over five runners, so that parts of 2 runners split them.
RUNNERS = """\
runner_id,name,hr_max_bpm
A1,Ann,190
B2,Bob,185
C3,Cy,188
D4,Di,191
E5,Ed,183
"""
RUNS = """\
runner_id,date,distance_km,duration_s,avg_hr_bpm,run_type
A1,2026-03-02T07:00,10,3000,150,easy
B2,2026-03-02T07:00,10,3000,400,easy
C3,2026-03-03T07:00,10,30,150,easy
A1,2026-03-02T07:00,10,3000,150,easy
D4,2026-03-04,8,2400,140,jog
ZZ,2026-03-04,8,2400,140,easy
E5,2026-03-05T07:00,10,3000,150,easy,surplus
B2,2026-03-06T07:00,12,3600,150,long

C3,not a date,10,3000,150,easy
E5,2026-03-07T07:00,10,3000,=HYPERLINK("x"),easy
"""
STRENGTH = """\
runner_id,date,exercise,sets,reps,load_kg
A1,2026-03-02,Back squat,3,5,80
E5,2026-03-02,Back squat,3,5,-4
C3,2026-03-09,Deadlift,3,5,100
ZZ,2026-03-02,Back squat,3,5,80
"""


@pytest.fixture
def hostile(tmp_path, write_dataset, monkeypatch):
    folder = write_dataset(tmp_path / "csv", runners=RUNNERS, runs=RUNS, strength=STRENGTH)
    monkeypatch.setattr(layout_module, "RUNNERS_PER_PART", 2)
    convert(folder, tmp_path / "pq", "parquet")
    return folder, tmp_path / "pq"


def test_quarantine_is_the_same_line_by_line_in_parts_of_two_runners(hostile):
    csv_dir, pq_dir = hostile
    assert len(list((pq_dir / "runs").iterdir())) == 3  # A1 B2 | C3 D4 | ZZ E5
    csv, parquet = load_dataset(csv_dir), load_dataset(pq_dir)
    _same(csv, parquet)
    q = parquet.quarantine
    assert len(q.loc[q["file"] == "runs.csv"]) >= 7  # the file and line of the CSV row
    assert set(q.loc[q["file"] == "runs.csv", "line"]) >= {3, 4, 5, 6, 7, 8, 11, 12}
    assert list(parquet.runs["line"]) == sorted(parquet.runs["line"])


def test_dask_reads_the_layout_directly(hostile):
    dd = pytest.importorskip("dask.dataframe")
    _, pq_dir = hostile
    runs = dd.read_parquet(str(pq_dir / "runs")).compute()
    assert len(runs) == 10  # every data row (not the blank line), as the raw cells
    assert set(runs["runner_id"]) == {"A1", "B2", "C3", "D4", "ZZ", "E5"}


def test_a_damaged_part_is_one_error_naming_it(hostile):
    _, pq_dir = hostile
    part = sorted((pq_dir / "strength").iterdir())[0]
    part.write_bytes(part.read_bytes()[:40])
    with pytest.raises(DataError, match=r"^strength/part-00000\.parquet: cannot read this Parquet"):
        load_dataset(pq_dir)


def test_a_part_without_line_numbers_is_refused(hostile):
    _, pq_dir = hostile
    part = sorted((pq_dir / "runs").iterdir())[1]
    pd.read_parquet(part).drop(columns="line").to_parquet(part)
    with pytest.raises(DataError, match=r"runs/part-00001\.parquet: is not a runeco part: no line"):
        load_dataset(pq_dir)


def test_a_csv_beside_its_parquet_folder_is_ambiguous(hostile):
    csv_dir, pq_dir = hostile
    (pq_dir / "runs.csv").write_bytes((csv_dir / "runs.csv").read_bytes())
    with pytest.raises(DataError, match="both runs.csv and the Parquet folder runs/ exist"):
        load_dataset(pq_dir)


@pytest.mark.parametrize("name", ["runs.csv", "strength.csv"])
def test_reading_in_parts_refuses_a_csv_beside_its_parquet_folder(hostile, name):
    csv_dir, pq_dir = hostile
    (pq_dir / name).write_bytes((csv_dir / name).read_bytes())
    folder = name.removesuffix(".csv")
    with pytest.raises(DataError, match=f"both {name} and the Parquet folder {folder}/ exist"):
        head, parts = load_dataset_parts(pq_dir)
        list(parts)


def test_writers_of_csv_rows_refuse_the_layout_and_runner_set_still_works(hostile, tmp_path):
    _, pq_dir = hostile
    with pytest.raises(DataError, match="is in the Parquet layout.*--to csv"):
        import_sources(pq_dir, "A1", [tmp_path / "nothing.gpx"])
    with pytest.raises(DataError, match="remove writes CSV"):
        remove_runner(pq_dir, "A1")
    set_runner(pq_dir, "A1", {"hr_max_bpm": "192"})  # runners.csv stays CSV
    assert load_dataset(pq_dir).runner("A1")["hr_max_bpm"] == 192


def test_analyze_on_the_layout_writes_the_same_file(sample_dir, tmp_path, capsys):
    assert main(["convert", str(sample_dir), str(tmp_path / "pq")]) == 0
    assert "in the parquet layout (runs.csv 579 rows, strength.csv 357 rows)" in (
        capsys.readouterr().out
    )
    for name, folder in (("csv", sample_dir), ("pq", tmp_path / "pq")):
        out = tmp_path / f"{name}.csv"
        assert main(["analyze", str(folder), "--out", str(out), "--quiet"]) == 0
    assert (tmp_path / "pq.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()
    assert main(["convert", str(sample_dir), str(tmp_path / "pq")]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err


def test_a_part_with_nested_columns_is_one_error(hostile):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, pq_dir = hostile
    part = sorted((pq_dir / "runs").iterdir())[0]
    table = pq.read_table(part)
    nested = pa.array([{"x": 1}] * table.num_rows)
    pq.write_table(table.set_column(1, table.column_names[1], nested), part)
    with pytest.raises(DataError, match=r"runs/part-00000\.parquet: column .* not text cells"):
        load_dataset(pq_dir)


def test_a_part_that_unpacks_to_more_than_the_limit_is_refused(hostile, monkeypatch):
    _, pq_dir = hostile
    monkeypatch.setattr(layout_module, "MAX_PART_MB", 0)  # every real part is over 0 MB
    with pytest.raises(DataError, match=r"runs/part-00000\.parquet: unpacks to .* MB, more than"):
        load_dataset(pq_dir)


def test_convert_copies_links_as_links_never_their_targets(sample_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the dataset")
    (sample_copy / "notes.txt").symlink_to(secret)
    (sample_copy / "activities").mkdir()
    (sample_copy / "activities" / "x.fit").symlink_to(secret)
    convert(sample_copy, tmp_path / "pq", "parquet")
    for link in (tmp_path / "pq" / "notes.txt", tmp_path / "pq" / "activities" / "x.fit"):
        assert link.is_symlink()  # not a copy of the secret's bytes


def test_convert_refuses_a_dataset_already_in_the_layout_and_leaves_nothing(hostile, tmp_path):
    _, pq_dir = hostile
    with pytest.raises(
        DataError, match="is already in the Parquet layout; convert it with --to csv"
    ):
        convert(pq_dir, tmp_path / "again", "parquet")
    assert not (tmp_path / "again").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".again.")]


def test_parts_hold_their_runners_and_together_the_whole_dataset(
    tmp_path, write_dataset, monkeypatch
):
    """load_dataset_parts: one runs part's runners at a time, the same rows and quarantine."""
    runners = RUNNERS + "F6,Fay,187\n"  # F6: strength sessions, no runs
    strength = STRENGTH + "F6,2026-03-03,Deadlift,3,5,90\nYY,2026-03-03,Deadlift,3,5,90\n"
    folder = write_dataset(tmp_path / "csv", runners=runners, runs=RUNS, strength=strength)
    monkeypatch.setattr(layout_module, "RUNNERS_PER_PART", 2)
    convert(folder, tmp_path / "pq", "parquet")
    whole = load_dataset(folder)
    head, parts = load_dataset_parts(tmp_path / "pq")
    parts = list(parts)
    assert head.runs.empty and head.strength.empty
    pd.testing.assert_frame_equal(head.runners, whole.runners)

    # the three runs parts (A1 B2 | C3 D4 | ZZ E5), then the strength of F6 and YY
    def runs_of(part):  # kept or quarantined
        q = part.quarantine
        return sorted(
            set(part.runs["runner_id"]) | set(q.loc[q["file"] == "runs.csv", "runner_id"])
        )

    assert [runs_of(p) for p in parts] == [["A1", "B2"], ["C3", "D4"], ["E5", "ZZ"], []]
    assert list(parts[-1].strength["runner_id"]) == ["F6"]
    assert set(parts[-1].quarantine["runner_id"]) == {"YY"}  # an unknown runner's row
    for name in ("runs", "strength"):
        joined = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        joined = joined.sort_values("line", ignore_index=True)
        pd.testing.assert_frame_equal(joined, getattr(whole, name), check_exact=True)
    found = pd.concat([head.quarantine, *(p.quarantine for p in parts)], ignore_index=True)
    key = ["file", "line", "column", "reason"]
    assert sorted(map(tuple, found[key].to_numpy().tolist())) == sorted(
        map(tuple, whole.quarantine[key].to_numpy().tolist())
    )
    assert head.meta["files"]["strength.csv"]["rows"] == len(strength.splitlines()) - 1


def test_reading_in_parts_needs_the_layout(sample_dir):
    with pytest.raises(DataError, match=r"keeps its runs in runs.csv; .*`runeco convert "):
        load_dataset_parts(sample_dir)
