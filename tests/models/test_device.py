"""A change of heart-rate device gets its own offset in the field model
(runs.csv's ``device``; analysis.models.prepare.device_indicator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.models.prepare import device_indicator
from analysis.simulate import simulate_squad
from tests.models._support_models import change_half_of_each_group


def _frame(runner, device, used, period):
    return pd.DataFrame({"runner_id": runner, "device": device, "used": used, "period": period})


def test_the_baseline_device_is_the_one_named_most_on_the_runners_baseline_runs():
    m = _frame(
        ["A"] * 6 + ["B"] * 4 + ["C"] * 3,
        # A: mostly "w1" before the block, "w2" and an unnamed run after it
        ["w1", "w1", "w2", "w2", "", None]
        # B: nothing named before the block: the device named most in the model
        + ["", "x", "y", "y"]
        # C: the baseline's only named run is not in the model: the model's runs decide
        + ["z", "q", "q"],
        [True] * 6 + [True] * 4 + [False, True, True],
        ["baseline", "baseline", "block", "block", "block", "block"]
        + ["baseline", "block", "block", "block"]
        + ["baseline", "block", "block"],
    )
    got = device_indicator(m)
    assert got.tolist() == [0, 0, 1, 1, 0, 0] + [0, 1, 0, 0] + [1, 0, 0]


def test_without_a_device_column_or_a_named_device_nothing_is_marked():
    m = _frame(["A"] * 3, ["", None, " "], [True] * 3, ["baseline", "block", "block"])
    assert not device_indicator(m).any()
    assert not device_indicator(m.drop(columns="device")).any()


def _switch(folder, weeks_in, bpm=6):
    """Half the runners of each group switch ``weeks_in`` weeks into the block to a
    watch reading ``bpm`` high; returns runs.csv with the device named and who switched."""
    return change_half_of_each_group(folder, weeks_in, bpm, "device", "Watch A", "Watch B")


@pytest.fixture(scope="module")
def squad_with_a_new_watch(tmp_path_factory):
    """A simulated squad in which half the runners of each group switch five weeks
    into the block to a watch reading 6 bpm high, with and without runs.csv
    naming the device."""
    folder = simulate_squad(
        tmp_path_factory.mktemp("device") / "squad", n_runners=12, seed=5, lab_tests=False
    )
    runs, truth, switched = _switch(folder, 5)
    answers = {}
    for named in (False, True):
        (runs if named else runs.drop(columns="device")).to_csv(folder / "runs.csv", index=False)
        out = analyze(load_dataset(folder))
        field = out.loc[out["method"] == "field_hr"].set_index("runner_id")
        answers[named] = field
    return answers, truth, switched


def test_a_new_watch_from_the_blocks_start_is_said_to_be_inseparable_from_a_step(tmp_path):
    """A device that came with the block is nearly a step at its start, which a change
    that came at once would also be: the row says so (only there)."""
    folder = simulate_squad(tmp_path / "squad", n_runners=12, seed=5, lab_tests=False)
    runs, _, switched = _switch(folder, 0)
    runs.to_csv(folder / "runs.csv", index=False)
    field = analyze(load_dataset(folder)).query("method == 'field_hr'").set_index("runner_id")
    said = field["warning"].fillna("").str.contains("a new device")
    assert said.reindex(switched).all()
    assert not said.drop(index=switched).any()


def test_a_new_watch_reading_high_is_not_read_as_a_change_when_runs_name_it(
    squad_with_a_new_watch,
):
    answers, truth, switched = squad_with_a_new_watch
    others = truth.index.difference(switched)
    gap = {}  # the switched runners' raw error beyond the others' (the season they share)
    for named, field in answers.items():
        error = field["raw_change_pct"] - truth["o2_cost_change_pct"]
        gap[named] = error.reindex(switched).mean() - error.reindex(others).mean()
    # not named: 6 bpm is about 6 % of the heart rate above rest, half the block long
    assert gap[False] > 4.0
    # named: the switch is the device's offset, not the runner's economy
    assert abs(gap[True]) < 1.5
    terms = answers[True]["model_terms"]
    assert terms.reindex(switched).str.contains("device_dev").all()
    assert not terms.reindex(others).str.contains("device").any()
    # mid-block, the device is not taken for a step at the block's start
    assert not answers[True]["warning"].fillna("").str.contains("a new device").any()
    # the runners who did not switch get the same answer either way
    unswitched = answers[False]["raw_change_pct"].reindex(others)
    assert np.allclose(unswitched, answers[True]["raw_change_pct"].reindex(others), atol=0.3)


def test_device_names_are_compared_without_case_and_gpx_creators_are_not_devices(tmp_path):
    m = _frame(
        ["A"] * 3, ["Watch A", "watch a", "WATCH A "], [True] * 3, ["baseline", "block", "block"]
    )
    assert not device_indicator(m).any()
    # runs imported from GPX before session 15 carry the file's creator (the app)
    folder = simulate_squad(tmp_path / "squad", n_runners=4, seed=2, lab_tests=False)
    runs = pd.read_csv(folder / "runs.csv", dtype=str, keep_default_na=False)
    runs["device"] = np.where(np.arange(len(runs)) % 2, "StravaGPX", "Garmin Connect")
    runs["source"] = "gpx"
    runs.loc[0, "source"] = "fit"
    runs.to_csv(folder / "runs.csv", index=False)
    metrics = run_metrics(load_dataset(folder))
    assert metrics["device"].astype(str).tolist() == ["Garmin Connect"] + [""] * (len(runs) - 1)


def test_one_runners_new_watch_reading_high_is_removed_whatever_the_others_read(tmp_path):
    """Six runners changed watch mid-block, five to one that reads the same and
    one to one that reads 5 bpm high. Each offset is the runner's own, so the
    high one is taken out as if it read the same (the field model is linear in
    the offset), and the others do not move. A normal prior shared by the six
    (tried, 2026-12-06) shrank the high offset toward the others': that
    runner's change came out about 1.9 pp too high, the others' 0.5 pp low."""
    folder = simulate_squad(tmp_path / "squad", n_runners=12, seed=5, lab_tests=False)
    runs, _, switched = _switch(folder, 5, bpm=0)
    high = switched[0]
    answers = {}
    for bpm in (0, 5):
        shifted = runs.copy()
        late = shifted["runner_id"].eq(high) & shifted["device"].eq("Watch B")
        for col in ("avg_hr_bpm", "max_hr_bpm"):
            hr = pd.to_numeric(shifted.loc[late, col], errors="coerce") + bpm
            shifted.loc[late, col] = [f"{v:.0f}" if np.isfinite(v) else "" for v in hr]
        shifted.to_csv(folder / "runs.csv", index=False)
        out = analyze(load_dataset(folder)).query("method == 'field_hr'").set_index("runner_id")
        answers[bpm] = out["raw_change_pct"]
    assert len(switched) == 6
    assert abs(answers[5][high] - answers[0][high]) < 0.3
    others = [r for r in switched if r != high]
    np.testing.assert_allclose(answers[5][others], answers[0][others], atol=0.2)
