"""``analyze``: one row per runner and method (field and lab), the answer to the question."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.blocks import runner_blocks
from analysis.errors import DataError
from analysis.io.dataset import Dataset
from analysis.metrics import run_metrics
from analysis.models.columns import ANALYZE, as_frame
from analysis.models.field import _check_options, _field_rows
from analysis.models.lab import _lab_rows
from analysis.models.prepare import CONFOUNDERS, prepare_runs


def _quarantined_runs(dataset: Dataset) -> pd.Series:
    """Quarantined runs.csv rows (distinct lines) per runner_id."""
    q = dataset.quarantine
    if q.empty:
        return pd.Series(dtype="int64")
    q = q.loc[q["file"].astype(str) == "runs.csv", ["runner_id", "line"]]
    q = q.assign(runner_id=q["runner_id"].astype(object).where(q["runner_id"].notna(), ""))
    return q.drop_duplicates().groupby(q["runner_id"].map(str))["line"].size()


def _select_runners(blocks: pd.DataFrame, runner_ids, runners_file="runners.csv") -> pd.DataFrame:
    if runner_ids is None:
        return blocks
    if isinstance(runner_ids, str):
        runner_ids = [runner_ids]
    wanted = [str(r) for r in runner_ids]
    known = set(blocks["runner_id"])
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise DataError(
            f"runner(s) {', '.join(unknown)} not found; known runners are listed in runners.csv",
            file=str(runners_file),
            column="runner_id",
        )
    keep = blocks.loc[blocks["runner_id"].isin(wanted)]
    return keep.set_index("runner_id").loc[list(dict.fromkeys(wanted))].reset_index()


def analyze(
    dataset: Dataset,
    runner_ids: Iterable[str] | str | None = None,
    *,
    progress: bool = False,
    baseline_weeks: int = 6,
    metrics: pd.DataFrame | None = None,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
) -> pd.DataFrame:
    """Change in oxygen cost of running over the strength block, per runner.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`analysis.io.load_dataset`).
    runner_ids : iterable of str, str or None
        Runners to analyse (default: all, in runners.csv order). Blocks of
        controls still come from the whole squad. An unknown id raises
        :class:`~analysis.errors.DataError`.
    progress : bool, keyword-only
        Show a tqdm progress bar (for the CLI).
    baseline_weeks : int, keyword-only
        Weeks of baseline before the block start (default 6).
    metrics : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.metrics.run_metrics` of ``dataset``.
    errors : {"ar1", "hac"}, keyword-only
        Error model of the field fit (:func:`fit_runner`); default ``"ar1"``.
    confounders : collection of str, keyword-only
        Confounders of the field model, a subset of ``CONFOUNDERS`` (default
        all; fewer only for sensitivity analyses).

    Returns
    -------
    DataFrame
        ``ANALYZE_COLUMNS`` (DATA_FORMAT.md, in order) then ``EXTRA_COLUMNS``,
        one ``field_hr`` row for every selected runner, each followed by a
        ``lab`` row where lab_tests.csv has a test before and one after the
        block start (:func:`_lab_rows`).

        - A runner that cannot be modelled (no block dates, no runs, no runs
          in the window, no heart rate, fewer than ``MIN_STEADY_RUNS`` steady
          runs in the baseline or the block) gets ``verdict`` =
          ``"insufficient data: <reason>"`` and empty estimates; its run
          counts are still given.
        - ``n_baseline_runs``, ``n_block_runs``: runs in the model (lab:
          stages of the pre and post test). ``n_excluded_runs``: runs in the
          analysis window left out, plus the runner's quarantined runs.csv
          rows (lab: stages left out); ``excluded_reasons`` spells them out
          (``"interval: 12; race: 2; quarantined: 1"``). Runs outside the
          window are not counted.
        - Extras: ``block_source``, ``baseline_start``, ``block_weeks``,
          ``typical_error_pct`` (residual SD of log cost x 100: the per-run
          typical error as a CV, Hopkins 2000), ``temp_coef_pct_per_c`` with
          its CI (% of cost per degC above ``HEAT_ONSET_C``),
          ``ar_phi_per_day`` and ``ar_variance_share`` (the REML serial
          correlation), the reference conditions (``reference_temp_c``,
          ``reference_gas_m_min``; lab: ``reference_speed_kmh``,
          ``lab_pre_date``, ``lab_post_date``), ``model_terms``,
          ``se_method``, ``params_defaulted`` (a runner parameter came from a
          default, :func:`analysis.metrics.run_metrics`) and ``warning``
          (block length, extrapolated end, missing temperatures...).

    References
    ----------
    .. [1] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15.
    .. [2] Barnes KR, Kilding AE (2015). Running economy: measurement, norms,
       and determining factors. Sports Med Open 1:8.
    """
    _check_options(errors, confounders, "analyze")
    all_blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    blocks = _select_runners(all_blocks, runner_ids, Path(dataset.path) / "runners.csv")
    if metrics is None:
        metrics = run_metrics(dataset)
    metrics = metrics.loc[metrics["runner_id"].astype(str).isin(set(blocks["runner_id"]))]
    prep = prepare_runs(metrics, blocks)
    lab_rows = _lab_rows(blocks, dataset.lab_tests)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(blocks), desc="analyze", unit="runner")
    try:
        fitted = _field_rows(
            blocks, prep, _quarantined_runs(dataset), errors, confounders, progress=bar
        )
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for row, _ in fitted:
        rows.append(row)
        if row["runner_id"] in lab_rows:
            rows.append(lab_rows[row["runner_id"]])
    return as_frame(rows, ANALYZE)
