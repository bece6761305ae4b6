"""Did running economy change during the strength block? Per runner and per squad.

Three levels, each returning a tidy frame (``STYLE.md``, "Results"), one
module each:

- :mod:`~analysis.models.runner` :func:`analyze`: one row per runner and
  method, ``field_hr`` from the steady runs (:mod:`~analysis.models.field`,
  on the design of :mod:`~analysis.models.prepare`, with the serially
  correlated errors of :mod:`~analysis.models.serial`) and ``lab`` from
  treadmill tests (:mod:`~analysis.models.lab`). :func:`fit_runner` is the
  same field model for one runner, with the statsmodels result and a frame
  for plotting.
- :mod:`~analysis.models.squad` :func:`squad_model`: a linear mixed model
  over all runners, the strength-minus-control difference of the change.
- :mod:`~analysis.models.dose` :func:`dose_response`: the change versus how
  much strength work was done (:func:`runner_doses`).

:mod:`~analysis.models.summary` stacks the squad results into one table, and
:mod:`~analysis.models.columns` declares every output table once.
"""

from analysis.models.columns import (
    ANALYZE_COLUMNS,
    DOSE_COLUMNS,
    EXTRA_COLUMNS,
    SQUAD_COLUMNS,
    SUMMARY_COLUMNS,
)
from analysis.models.dose import DOSE_CATEGORIES, VOLUME_STEP_KG, dose_response, runner_doses
from analysis.models.field import (
    ERRORS,
    FIELD_METHOD,
    RunnerFit,
    field_formula,
    fit_runner,
    squad_serial_prior,
)
from analysis.models.inference import CONFIDENCE
from analysis.models.lab import LAB_METHOD, LAB_POST_WINDOW
from analysis.models.prepare import (
    CONFOUNDERS,
    DRIFT_ONSET_MIN,
    FIELD_TERMS,
    HEAT_ONSET_C,
    MIN_STEADY_RUNS,
    MIN_TEMP_FRACTION,
    SPEED_OFFSET,
    daniels_cost_log_ratio,
    prepare_runs,
)
from analysis.models.runner import analyze, analyze_parts
from analysis.models.serial import (
    newey_west_maxlags,
    serial_correlation_reml,
    serial_covariance,
)
from analysis.models.squad import FEW_RUNNERS, SQUAD_EFFECTS, squad_model
from analysis.models.summary import squad_summary

__all__ = [
    "ANALYZE_COLUMNS",
    "CONFIDENCE",
    "CONFOUNDERS",
    "DOSE_CATEGORIES",
    "DOSE_COLUMNS",
    "DRIFT_ONSET_MIN",
    "ERRORS",
    "EXTRA_COLUMNS",
    "FEW_RUNNERS",
    "FIELD_METHOD",
    "FIELD_TERMS",
    "HEAT_ONSET_C",
    "LAB_METHOD",
    "LAB_POST_WINDOW",
    "MIN_STEADY_RUNS",
    "MIN_TEMP_FRACTION",
    "SPEED_OFFSET",
    "SQUAD_COLUMNS",
    "SQUAD_EFFECTS",
    "SUMMARY_COLUMNS",
    "VOLUME_STEP_KG",
    "RunnerFit",
    "analyze",
    "analyze_parts",
    "daniels_cost_log_ratio",
    "dose_response",
    "field_formula",
    "fit_runner",
    "squad_serial_prior",
    "newey_west_maxlags",
    "prepare_runs",
    "runner_doses",
    "serial_correlation_reml",
    "serial_covariance",
    "squad_model",
    "squad_summary",
]
