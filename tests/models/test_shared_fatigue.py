"""Residual fatigue too small for each runner's own term: one offset for the squad,
learned (analysis.models.prepare.choose_shared_fatigue)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.models import analyze
from analysis.models.prepare import (
    NO_SHARED_FATIGUE,
    SHARED_FATIGUE_OFFSETS,
    choose_shared_fatigue,
    design_columns,
    design_from,
)
from analysis.narrative import economy_caption, methods_markdown
from analysis.simulate import simulate_squad
from tests.models.test_post_strength import _tired


@pytest.fixture(scope="module")
def slightly_tired(tmp_path_factory):
    """Two simulated squads of 16 whose strength runners' economy is 1.5 % worse on
    the day of a session and the day after: the squad's offset learned, and left
    out (``post_strength_shared=0``)."""
    out = []
    for seed in (51, 53):
        folder = simulate_squad(
            tmp_path_factory.mktemp("tired") / "squad", n_runners=16, seed=seed, lab_tests=False
        )
        _tired(folder, 1.5, 1)
        ds = load_dataset(folder)
        truth = pd.read_csv(folder / "truth.csv").set_index("runner_id")
        for label, options in (("learned", {}), ("none", {"post_strength_shared": 0.0})):
            a = analyze(ds, **options)
            field = a.loc[a["method"] == "field_hr"].set_index("runner_id")
            field["error"] = field["own_change_pct"] - truth["o2_cost_change_pct"]
            field["label"], field["seed"] = label, seed
            out.append(field.reset_index())
    return pd.concat(out, ignore_index=True)


def test_a_small_fatigue_no_runner_term_sees_is_learned_for_the_squad(slightly_tired):
    learned = slightly_tired.loc[slightly_tired["label"] == "learned"]
    # each runner's own term does not enter at 1.5 % ...
    assert not learned["model_terms"].str.contains("post_strength_dev").any()
    # ... the squad's offset does: +1.0 % over 2 days in both squads when written
    per_squad = learned.groupby("seed")["post_strength_shared_pct"].agg(["min", "max"])
    assert (per_squad["min"] == per_squad["max"]).all()  # one value for the squad
    assert per_squad["min"].between(0.5, 2.0).all()
    assert (learned["post_strength_days"] == 2.0).all()
    assert learned["sensitivity_design"].str.contains("no residual-fatigue term").all()
    none = slightly_tired.loc[slightly_tired["label"] == "none"]
    assert none["post_strength_shared_pct"].isna().all()
    assert none["post_strength_days"].isna().all()


def test_the_squads_offset_takes_the_tired_days_out_of_the_change(slightly_tired):
    strength = slightly_tired.loc[slightly_tired["group"] == "strength"]
    error = strength.groupby("label")["error"].mean()
    # when written: +1.19 pp without the offset, +0.38 with it (16 strength runners)
    assert error["none"] - error["learned"] > 0.5
    assert abs(error["learned"]) < 0.6


def test_without_fatigue_nothing_is_learned(tmp_path):
    folder = simulate_squad(tmp_path / "squad", n_runners=16, seed=52, lab_tests=False)
    field = analyze(load_dataset(folder)).query("method == 'field_hr'")
    # 0 in this squad; +0.5 % in that of seed 51 (MAE cost on 40 squads: docs/VALIDATION.md)
    assert field["post_strength_shared_pct"].isna().all()
    assert field["post_strength_days"].isna().all()


def test_the_offset_is_the_best_candidate_and_reads_back_exactly():
    runners = {"a": 0.0, "b": 0.0}
    loglik = {c: {r: -((c - 0.012) ** 2) * 1e4 for r in runners} for c in SHARED_FATIGUE_OFFSETS}
    assert choose_shared_fatigue(loglik) == 0.01
    assert choose_shared_fatigue({0.01: {"a": 1.0}}) == NO_SHARED_FATIGUE  # no "none" to beat
    flat = {c: {"a": -5.0} for c in SHARED_FATIGUE_OFFSETS}
    assert choose_shared_fatigue(flat) == NO_SHARED_FATIGUE  # a tie: none
    for c in SHARED_FATIGUE_OFFSETS:
        columns = design_columns({"post_strength_days": 2.0, "post_strength_shared": c})
        if c == NO_SHARED_FATIGUE:
            assert np.isnan(columns["post_strength_shared_pct"])
        else:
            assert columns["post_strength_shared_pct"] == pytest.approx(100 * np.expm1(c))
        back = design_from(pd.DataFrame([columns]))
        assert back["post_strength_shared"] == c  # exactly: a report refits the same model
        assert back["post_strength_days"] == 2.0


def test_the_report_says_the_offset_is_the_squads(slightly_tired):
    row = slightly_tired.loc[
        (slightly_tired["label"] == "learned") & (slightly_tired["group"] == "strength")
    ].iloc[0]
    caption = economy_caption(row, pd.DataFrame({"used": [True]}))
    assert "Runs on the day of a strength session and the 2 days after it were taken to" in caption
    assert "the same for every runner of the squad" in caption
    methods = methods_markdown(row)
    assert "one offset learned from the whole squad" in methods
    assert "Doma K, Deakin GB (2013)" in methods
