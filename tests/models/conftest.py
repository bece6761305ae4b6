"""Fixtures of the tests in tests/models."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.models import (
    analyze,
)
from tests.conftest import once_per_run
from tests.models._support_models import EVIDENCE_RUNNERS, EVIDENCE_SEEDS, _squad


@pytest.fixture(scope="session")
def evidence(tmp_path_factory):
    """analyze() on 10 simulated squads of 60 runners (600 runners), beside the truth
    (computed once per run: test_field, test_lab and test_pooling read it)."""
    return once_per_run(tmp_path_factory, "evidence", _evidence)


def _evidence(root):
    rows = []
    for seed in EVIDENCE_SEEDS:
        ds, truth = _squad(root, f"s{seed}", n_runners=EVIDENCE_RUNNERS, seed=seed)
        out = analyze(ds).merge(
            truth[["runner_id", "o2_cost_change_pct"]].rename(
                columns={"o2_cost_change_pct": "truth_pct"}
            ),
            on="runner_id",
        )
        rows.append(out.assign(seed=seed))
    out = pd.concat(rows, ignore_index=True)
    # the runner's own estimate (the field model; test_field.py) and the headline,
    # pooled within each group of 30 (test_pooling.py)
    out["error_pp"] = out["own_change_pct"] - out["truth_pct"]
    out["covered"] = (out["own_ci_low_pct"] <= out["truth_pct"]) & (
        out["truth_pct"] <= out["own_ci_high_pct"]
    )
    out["pooled_error_pp"] = out["o2_cost_change_pct"] - out["truth_pct"]
    out["pooled_covered"] = (out["ci_low_pct"] <= out["truth_pct"]) & (
        out["truth_pct"] <= out["ci_high_pct"]
    )
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    ds, truth = _squad(tmp_path_factory.mktemp("small"), "small", n_runners=8, seed=2026)
    return ds, truth, analyze(ds)
