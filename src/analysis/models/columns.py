"""The output tables of the models, declared once: column names, dtypes, contract.

Each table is a tuple of :class:`OutputColumn`. The names (``ANALYZE_COLUMNS``
and friends), the dtypes of the returned frames (:func:`as_frame`) and the
contract test against ``docs/DATA_FORMAT.md`` all read these declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

KINDS = ("text", "datetime", "float", "count", "bool")


@dataclass(frozen=True)
class OutputColumn:
    """One column of a model's output table.

    ``kind`` is one of ``text`` (left as given), ``datetime``, ``float``,
    ``count`` (nullable ``Int64``) or ``bool``. ``contract`` marks the columns
    that ``DATA_FORMAT.md`` names (the ``analyze`` section), in its order.
    """

    name: str
    kind: str = "text"
    contract: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"OutputColumn {self.name!r}: kind must be one of {KINDS}.")


def _c(name: str, kind: str = "text") -> OutputColumn:
    return OutputColumn(name, kind, contract=True)


ANALYZE = (
    _c("runner_id"),
    _c("group"),
    _c("method"),
    _c("block_start", "datetime"),
    _c("block_end", "datetime"),
    _c("block", "count"),
    _c("baseline_o2_cost_ml_kg_km", "float"),
    _c("end_o2_cost_ml_kg_km", "float"),
    _c("o2_cost_change_pct", "float"),
    _c("ci_low_pct", "float"),
    _c("ci_high_pct", "float"),
    _c("p_value", "float"),
    _c("n_baseline_runs", "count"),
    _c("n_block_runs", "count"),
    _c("n_excluded_runs", "count"),
    _c("verdict"),
    _c("verdict_text"),
    _c("mdc_pct", "float"),
    _c("swc_pct", "float"),
    _c("reference"),
    _c("raw_change_pct", "float"),
    _c("raw_ci_low_pct", "float"),
    _c("raw_ci_high_pct", "float"),
    _c("pooling"),
    _c("n_pooled_runners", "count"),
    _c("own_change_pct", "float"),
    _c("own_ci_low_pct", "float"),
    _c("own_ci_high_pct", "float"),
    _c("own_verdict"),
    OutputColumn("reference_change_pct", "float"),
    OutputColumn("sensitivity_design"),
    OutputColumn("sensitivity_change_pct", "float"),
    OutputColumn("sensitivity_ci_low_pct", "float"),
    OutputColumn("sensitivity_ci_high_pct", "float"),
    OutputColumn("n_reference_runners", "count"),
    OutputColumn("block_source"),
    OutputColumn("baseline_start", "datetime"),
    OutputColumn("block_weeks", "float"),
    OutputColumn("typical_error_pct", "float"),
    OutputColumn("heat_onset_c", "float"),
    OutputColumn("plateau_weeks", "float"),
    OutputColumn("delay_weeks", "float"),
    OutputColumn("speed_cost_scale", "float"),
    OutputColumn("post_strength_days", "float"),
    OutputColumn("time_of_day_peak_h", "float"),
    OutputColumn("hr_vo2_line"),
    OutputColumn("hrmax_line_scale", "float"),
    OutputColumn("hrmax_line_change_pct", "float"),
    OutputColumn("hrmax_line_ci_low_pct", "float"),
    OutputColumn("hrmax_line_ci_high_pct", "float"),
    OutputColumn("temp_coef_pct_per_c", "float"),
    OutputColumn("temp_coef_ci_low_pct_per_c", "float"),
    OutputColumn("temp_coef_ci_high_pct_per_c", "float"),
    OutputColumn("post_strength_pct", "float"),
    OutputColumn("post_strength_ci_low_pct", "float"),
    OutputColumn("post_strength_ci_high_pct", "float"),
    OutputColumn("post_strength_shared_pct", "float"),
    OutputColumn("training_load_scale", "float"),
    OutputColumn("time_of_day_pct", "float"),
    OutputColumn("time_of_day_ci_low_pct", "float"),
    OutputColumn("time_of_day_ci_high_pct", "float"),
    OutputColumn("ar_phi_per_day", "float"),
    OutputColumn("ar_variance_share", "float"),
    OutputColumn("reference_temp_c", "float"),
    OutputColumn("reference_gas_m_min", "float"),
    OutputColumn("reference_speed_kmh", "float"),
    OutputColumn("lab_pre_date", "datetime"),
    OutputColumn("lab_post_date", "datetime"),
    OutputColumn("model_terms"),
    OutputColumn("se_method"),
    OutputColumn("params_defaulted", "bool"),
    OutputColumn("training_load_ratio", "float"),
    OutputColumn("training_load_basis"),
    OutputColumn("race_vdot_baseline", "float"),
    OutputColumn("race_vdot_block", "float"),
    OutputColumn("lab_vo2max_pre", "float"),
    OutputColumn("lab_vo2max_post", "float"),
    OutputColumn("excluded_reasons"),
    OutputColumn("warning"),
)
"""``analyze``: the ``DATA_FORMAT.md`` columns in order, then the extras."""

SQUAD = (
    OutputColumn("effect"),
    OutputColumn("estimate_pct", "float"),
    OutputColumn("ci_low_pct", "float"),
    OutputColumn("ci_high_pct", "float"),
    OutputColumn("p_value", "float"),
    OutputColumn("n_runners", "count"),
    OutputColumn("n_runs", "count"),
    OutputColumn("random_effects"),
    OutputColumn("ci_method"),
    OutputColumn("note"),
)
"""``squad_model``: one row per effect."""

DOSE = (
    OutputColumn("dose"),
    OutputColumn("dose_step", "float"),
    OutputColumn("dose_unit"),
    OutputColumn("slope_pct", "float"),
    OutputColumn("ci_low_pct", "float"),
    OutputColumn("ci_high_pct", "float"),
    OutputColumn("p_value", "float"),
    OutputColumn("n_runners", "count"),
    OutputColumn("method"),
    OutputColumn("note"),
)
"""``dose_response``: one row per dose variable."""

SUMMARY = (
    OutputColumn("section"),
    OutputColumn("effect"),
    OutputColumn("estimate_pct", "float"),
    OutputColumn("ci_low_pct", "float"),
    OutputColumn("ci_high_pct", "float"),
    OutputColumn("p_value", "float"),
    OutputColumn("n_runners", "count"),
    OutputColumn("n_runs", "count"),
    OutputColumn("method"),
    OutputColumn("note"),
)
"""``squad_summary``: the squad model and dose-response stacked."""


def names(table: Iterable[OutputColumn]) -> tuple[str, ...]:
    return tuple(c.name for c in table)


ANALYZE_COLUMNS = tuple(c.name for c in ANALYZE if c.contract)
"""The ``analyze`` output columns of DATA_FORMAT.md, in order."""
EXTRA_COLUMNS = tuple(c.name for c in ANALYZE if not c.contract)
"""Columns ``analyze`` adds after ``ANALYZE_COLUMNS``."""
SQUAD_COLUMNS = names(SQUAD)
DOSE_COLUMNS = names(DOSE)
SUMMARY_COLUMNS = names(SUMMARY)

_CAST = {
    "datetime": pd.to_datetime,
    "float": lambda s: s.astype(float),
    "count": lambda s: s.astype("Int64"),
    "bool": lambda s: s.astype(bool),
}


def as_frame(
    rows: Iterable[Mapping] | pd.DataFrame, table: tuple[OutputColumn, ...]
) -> pd.DataFrame:
    """``rows`` as a frame with exactly ``table``'s columns, in order, each of its dtype."""
    out = pd.DataFrame(rows, columns=list(names(table)))
    for col in table:
        cast = _CAST.get(col.kind)
        if cast is not None:
            out[col.name] = cast(out[col.name])
    return out


def first_blocks(per_runner: pd.DataFrame) -> pd.DataFrame:
    """The rows of each runner's first block (``block`` 1) of an ``analyze`` frame:
    what the squad-level models use (:mod:`analysis.models.runner`). A frame
    without a ``block`` column (an older output) is returned whole."""
    if "block" not in per_runner.columns:
        return per_runner
    return per_runner.loc[per_runner["block"].fillna(1).eq(1)]
