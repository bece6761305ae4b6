"""One squad table: the squad model and dose-response stacked (``runeco analyze --squad-out``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.io.dataset import Dataset
from analysis.models.columns import SUMMARY, as_frame
from analysis.models.dose import dose_response, runner_doses
from analysis.models.squad import squad_model
from analysis.schema import BASELINE_WEEKS


def squad_summary(
    dataset: Dataset,
    per_runner: pd.DataFrame,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    metrics: pd.DataFrame | None = None,
    blocks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`squad_model` and :func:`dose_response` stacked into one tidy table.

    For ``runeco analyze --squad-out``. Rows with ``section`` =
    ``"squad model"`` are the group effects (``estimate_pct`` is the change
    or difference in %); rows with ``section`` = ``"dose response"`` are the
    slopes (``estimate_pct`` is percentage points of change per
    ``effect``'s step, e.g. "sessions_per_week, per 1 session/week").
    ``method`` combines the random effects and CI method, or the weighting.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    per_runner : DataFrame
        :func:`analyze` output.
    baseline_weeks : int, keyword-only
        Weeks of baseline (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics`.
    blocks : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.blocks.runner_blocks`.

    Returns
    -------
    DataFrame
        ``SUMMARY_COLUMNS``.
    """
    squad = squad_model(
        dataset, per_runner, baseline_weeks=baseline_weeks, metrics=metrics, blocks=blocks
    )
    doses = runner_doses(dataset, baseline_weeks=baseline_weeks, blocks=blocks)
    dose = dose_response(dataset, per_runner, baseline_weeks=baseline_weeks, doses=doses)
    squad_rows = pd.DataFrame(
        {
            "section": "squad model",
            "effect": squad["effect"],
            "estimate_pct": squad["estimate_pct"],
            "ci_low_pct": squad["ci_low_pct"],
            "ci_high_pct": squad["ci_high_pct"],
            "p_value": squad["p_value"],
            "n_runners": squad["n_runners"],
            "n_runs": squad["n_runs"],
            "method": ("random " + squad["random_effects"] + "; " + squad["ci_method"]).where(
                squad["random_effects"] != "", ""
            ),
            "note": squad["note"],
        }
    )
    step_text = dose["dose_step"].map("{:g}".format) + " " + dose["dose_unit"]
    dose_rows = pd.DataFrame(
        {
            "section": "dose response",
            "effect": dose["dose"] + ", per " + step_text,
            "estimate_pct": dose["slope_pct"],
            "ci_low_pct": dose["ci_low_pct"],
            "ci_high_pct": dose["ci_high_pct"],
            "p_value": dose["p_value"],
            "n_runners": dose["n_runners"],
            "n_runs": np.nan,
            "method": dose["method"],
            "note": dose["note"],
        }
    )
    out = pd.concat([squad_rows, dose_rows], ignore_index=True)
    return as_frame(out, SUMMARY)
