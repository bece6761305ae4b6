"""exercises.csv: a coach's exercise categories for one runner or all (issue 12, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.io import load_dataset
from analysis.io.convert import convert
from analysis.metrics import weekly_metrics

RUNNERS = "runner_id,name\nR01,Ana\nR02,Bob\n"
# back squats at 50-64 kg after one at 100 kg: the log's 1RM makes them bodyweight work
STRENGTH = "runner_id,date,exercise,sets,reps,load_kg\n" + "".join(
    f"{rid},2026-03-{day:02d},back squat,3,5,{load}\n{rid},2026-03-{day:02d},box jumps,3,6,\n"
    for rid in ("R01", "R02")
    for day, load in ((2, 100), (9, 50), (16, 57.5), (23, 64))
)


def _dataset(tmp_path, exercises: str | None) -> pd.DataFrame:
    ds = tmp_path / "ds"
    ds.mkdir(exist_ok=True)
    (ds / "runners.csv").write_text(RUNNERS, encoding="utf-8")
    (ds / "runs.csv").write_text("runner_id,date,distance_km,duration_s\n", encoding="utf-8")
    (ds / "strength.csv").write_text(STRENGTH, encoding="utf-8")
    if exercises is not None:
        (ds / "exercises.csv").write_text(exercises, encoding="utf-8")
    return ds


def _categories(dataset) -> dict:
    s = dataset.strength
    light = s["load_kg"].isna() | (s["load_kg"] < 70)
    got = (
        s.loc[light].groupby(["runner_id", "exercise"])["category"].agg(lambda c: set(map(str, c)))
    )
    return got.to_dict()


def test_without_a_mapping_light_back_squats_are_bodyweight_work(tmp_path):
    cats = _categories(load_dataset(_dataset(tmp_path, None)))
    assert cats[("R01", "back squat")] == {"bodyweight_strength"}
    assert cats[("R01", "box jumps")] == {"plyometric"}


def test_a_runners_row_beats_an_all_runners_row_which_beats_the_automatic_map(tmp_path):
    mapping = (
        "exercise,category,runner_id\n"
        "Back Squat,heavy,R01\n"  # matched as the log writes it ("back squat")
        "box jump,explosive,\n"
        "BOX JUMPS,plyometric,R02\n"
    )
    ds = load_dataset(_dataset(tmp_path, mapping))
    assert ds.quarantine.empty
    cats = _categories(ds)
    assert cats[("R01", "back squat")] == {"heavy"}  # the case, now heavy
    assert cats[("R02", "back squat")] == {"bodyweight_strength"}  # R01's row only
    assert cats[("R01", "box jumps")] == {"explosive"}  # the all-runners row
    assert cats[("R02", "box jumps")] == {"plyometric"}  # R02's own row beats it
    weeks = weekly_metrics(ds).set_index(["runner_id", "week"])
    # what analyze's dose-response and the report's strength chart count
    assert weeks.loc["R01", "strength_sessions_heavy"].sum() == 4
    assert weeks.loc["R02", "strength_sessions_heavy"].sum() == 1
    assert weeks.loc["R01", "strength_sessions_explosive"].sum() == 4


def test_bad_mapping_rows_are_quarantined_with_line_and_reason(tmp_path):
    mapping = (
        "exercise,category,runner_id\n"
        "back squat,heavvy,\n"  # 2
        "back squat,heavy,R99\n"  # 3
        '=HYPERLINK("http://x"),heavy,\n'  # 4
        "squat\x1b[31m,heavy,\n" + "x" * 101 + ",core,\n"  # 5  # 6
        "back squat,heavy,R01\n"  # 7: kept
        "Back-Squat,core,R01\n"  # 8: the same exercise and runner again
        "box jumps,,\n"  # 9
    )
    ds = load_dataset(_dataset(tmp_path, mapping))
    q = ds.quarantine[ds.quarantine["file"] == "exercises.csv"].set_index("line")
    assert sorted(q.index) == [2, 3, 4, 5, 6, 8, 9]
    assert "heavvy is not one of heavy" in q.loc[2, "reason"]
    assert (
        q.loc[3, "reason"]
        == "runner_id R99 is not in runners.csv (leave it empty for every runner)"
    )
    assert q.loc[4, "code"] == "bad_text" and "spreadsheet formula" in q.loc[4, "reason"]
    assert q.loc[5, "reason"] == "exercise holds control characters"
    assert q.loc[6, "reason"] == "exercise is longer than 100 characters"
    assert q.loc[8, "code"] == "duplicate_mapping" and "repeats line 7" in q.loc[8, "reason"]
    assert q.loc[9, "code"] == "missing_required"
    assert list(ds.exercises["line"]) == [7]
    assert _categories(ds)[("R01", "back squat")] == {"heavy"}
    assert main(["validate", str(tmp_path / "ds")]) == 1  # rows quarantined: exit 1


def test_the_exercises_template_is_ready_to_use(tmp_path, capsys):
    out = tmp_path / "exercises.csv"
    assert main(["template", "exercises", "--out", str(out)]) == 0
    assert "save it as exercises.csv" in capsys.readouterr().out
    assert main(["template", "exercises", "--out", str(out)]) == 2  # never overwrites
    ds = _dataset(tmp_path, out.read_text(encoding="utf-8"))
    loaded = load_dataset(ds)
    assert loaded.quarantine.empty and len(loaded.exercises) == 2
    cats = _categories(loaded)
    assert cats[("R02", "back squat")] == {"heavy"}  # "back squat,heavy," is for everyone


def test_convert_carries_the_mapping_to_the_parquet_layout(tmp_path):
    ds = _dataset(tmp_path, "exercise,category,runner_id\nback squat,heavy,R01\n")
    convert(ds, tmp_path / "pq", "parquet")
    assert (tmp_path / "pq" / "exercises.csv").is_file()
    before, after = load_dataset(ds), load_dataset(tmp_path / "pq")
    assert _categories(after) == _categories(before)
    assert _categories(after)[("R01", "back squat")] == {"heavy"}


@pytest.mark.parametrize("missing", ["exercise", "category"])
def test_a_mapping_without_a_required_column_is_one_clear_error(tmp_path, missing):
    from analysis.errors import DataError

    header = ",".join(c for c in ("exercise", "category", "runner_id") if c != missing)
    ds = _dataset(tmp_path, header + "\n")
    with pytest.raises(DataError, match=f"missing required column '{missing}'"):
        load_dataset(ds)
