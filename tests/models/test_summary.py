"""The block model: per-runner change with honest CIs, the lab path, the squad model
and dose-response, checked against the simulator's known truth."""

from __future__ import annotations

from analysis.models import (
    SUMMARY_COLUMNS,
    squad_summary,
)


def test_squad_summary_stacks_both_tables(small):
    ds, _, out = small
    summary = squad_summary(ds, out)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["section"].value_counts().to_dict() == {"dose response": 8, "squad model": 3}
    assert "only 8 runners" in summary.iloc[0]["note"]
