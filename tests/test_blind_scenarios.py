"""The blind generator (benchmarks/blind_scenarios.py) writes squads runeco reads whole,
and its hills cost what their reported climb costs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.io import load_dataset
from tests.paths import load_benchmark


@pytest.fixture(scope="module")
def blind():
    return load_benchmark("blind_scenarios")


def test_every_metre_of_a_reported_climb_is_run(blind):
    """The first version capped the climbing distance at 45 % of the route, so a run
    reporting 300 m of gain in 10 km at 3 % climbed only 135 m: its cost stopped
    rising with the gain, and the tool's (right) correction looked too large."""
    gains = [50, 100, 200, 300, 440, 700]
    for grade in (0.03, 0.06, 0.09):
        cost = [blind.hill_multiplier(10.0, g, g, grade) for g in gains]
        assert np.all(np.diff(cost) > 0), (grade, cost)
    # a climb the route can hold at its grade: Minetti's costs, up, down and flat
    up, down = 200 / 0.09, 200 / 0.09
    flat = 10_000 - up - down
    expected = (up * blind.minetti_cr(0.09) + down * blind.minetti_cr(-0.09) + flat * 3.6) / (
        3.6 * 10_000
    )
    assert blind.hill_multiplier(10.0, 200, 200, 0.09) == pytest.approx(expected)


def test_a_generated_squad_loads_without_a_quarantined_row(blind, tmp_path):
    truth = blind.generate("irregular", 3, tmp_path)
    ds = load_dataset(tmp_path)
    assert len(ds.quarantine) == 0
    assert set(ds.runners["runner_id"]) == set(truth["runner_id"])
    strength = truth["group"] == "strength"
    assert strength.sum() == 8 and (truth.loc[~strength, "true_change_pct"] == 0).all()
    # irregular logging: some runs without heart rate, kept as rows (left out by the model)
    assert ds.runs["avg_hr_bpm"].isna().any()
