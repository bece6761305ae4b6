"""``analyze``: one row per runner, block and method (field and lab), the answer to the question.

More than one block per runner
------------------------------
A runner with several rows in ``blocks.csv`` gets one set of rows per block
(``block`` = 1, 2, ... in date order; :func:`analysis.blocks.later_blocks`),
each block with its own baseline, which never reaches back into the block
before it. The squad-level steps are learned from **block 1 of every runner
only**: the heat onset and time course, the serial-correlation prior, the
partial pooling of the squad, and (in :mod:`analysis.models.squad` and
:mod:`analysis.models.dose`) the squad's mixed model and dose-response. So a
squad's results do not change when later blocks are added, and no runner
enters a squad fit twice: two blocks of one runner share the runner's
physiology, parameters and noise, and entering both as independent units
would count one runner as two (their errors are correlated) and weight runners
with many blocks more. A later block is then fitted per runner with those
squad-level quantities, exactly as block 1 is: the same design, the same
prior; its control reference is the controls' pooled change over *that
block's* baseline and block dates, fitted on the controls' runs of those
dates (:func:`analysis.models.reference.control_references` works per window);
and its headline is pooled (``pooling``) with the same block of the other
runners of its group (a second block is a different dose of the same kind of
training, so its changes are pooled with each other, not with first blocks).
A runner with one block, an inferred block or none (a control) gets exactly
the rows it got before blocks were numbered.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.blocks import Logged, infer_blocks, later_blocks, runner_blocks
from analysis.errors import DataError
from analysis.execution import CHUNK_RUNNERS, DaskBackend, ProcessBackend, ordered_map
from analysis.io.dataset import Dataset, quarantined_row_count
from analysis.metrics import days_after_strength, lab_hr_vo2_line, run_metrics
from analysis.models.columns import ANALYZE, as_frame
from analysis.models.field import (
    FIELD_METHOD,
    RunnerFit,
    SquadPrior,
    _check_options,
    _field_rows,
    field_formula,
    plot_frame,
    serial_grid_stats,
    squad_prior,
)
from analysis.models.fitness import add_fitness_signals, fitness_signals, signal_lookup
from analysis.models.inference import SMALLEST_WORTHWHILE_CHANGE_PCT, finish_row
from analysis.models.lab import LAB_DAY_CV_PCT, LAB_POST_WINDOW, _lab_rows
from analysis.models.pooling import (
    OWN_COLUMNS,
    POOLED_COLUMNS,
    apply_pooled,
    pool_changes,
    pooled_values,
    window_key,
)
from analysis.models.prepare import (
    CLOCK_CANDIDATES,
    CONFOUNDERS,
    FULL_BLOCK,
    HEAT_ONSET_C,
    HEAT_ONSET_CANDIDATES_C,
    LINEAR_HEAT,
    LOAD_SCALES,
    NO_CLOCK,
    NO_LOAD,
    NO_POST_STRENGTH,
    NO_SHARED_FATIGUE,
    POST_STRENGTH_CANDIDATES,
    POST_STRENGTH_DAYS,
    RAMP_WEEKS_CANDIDATES,
    SHARED_FATIGUE_OFFSETS,
    SPEED_OFFSET,
    SPEED_SCALE,
    SPEED_SCALE_CANDIDATES,
    choice_logliks,
    choose_clock,
    choose_course_from,
    choose_from,
    choose_load_scale,
    choose_post_strength,
    choose_shared_fatigue,
    clock_words,
    curve_words,
    design_columns,
    post_strength_window,
    post_strength_words,
    prepare_runs,
    run_type_means,
    speed_scale_from_types,
    strength_runners_only,
    time_course_words,
)
from analysis.models.reference import REFERENCE_INPUTS, control_references
from analysis.models.spill import SpilledMetrics, dump_rows, load_rows, resolve
from analysis.models.spill import runner_ids as runner_ids_of
from analysis.models.training import add_training_load, training_load
from analysis.schema import BASELINE_WEEKS


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
            f"runner(s) {', '.join(map(repr, unknown))} not found; "
            "known runners are listed in runners.csv",
            file=str(runners_file),
            column="runner_id",
        )
    keep = blocks.loc[blocks["runner_id"].isin(wanted)]
    return keep.set_index("runner_id").loc[list(dict.fromkeys(wanted))].reset_index()


_POOLED = (*POOLED_COLUMNS, *OWN_COLUMNS)
_POOLED_CACHE: dict[tuple, dict] = {}
"""The squad's pooled values per dataset state and options, so that a worker
rendering many runner reports of one squad pools the squad once."""


def _dataset_state(dataset: Dataset) -> tuple | None:
    """(path, (name, size, mtime) of every file): changes whenever the data do."""
    folder = Path(dataset.path)
    try:
        return (
            str(folder.resolve()),
            tuple(
                sorted(
                    (p.name, p.stat().st_size, p.stat().st_mtime_ns)
                    for p in folder.iterdir()
                    if p.is_file()
                )
            ),
        )
    except OSError:
        return None


def _squad_pooled(
    dataset: Dataset, squad_metrics, all_blocks, *, computed: bool, backend=None, **options
) -> dict[str, dict]:
    """``(runner_id, block) -> pooled columns`` from ``analyze`` of the whole squad."""
    state = _dataset_state(dataset) if computed else None
    key = None if state is None else (state, tuple(sorted(options.items())))
    if key is not None and key in _POOLED_CACHE:
        return _POOLED_CACHE[key]
    whole = analyze(dataset, metrics=squad_metrics, blocks=all_blocks, backend=backend, **options)
    field = whole.loc[whole["method"] == FIELD_METHOD]
    pooled = {
        (str(row["runner_id"]), int(row["block"])): {c: row[c] for c in _POOLED}
        for row in field.to_dict("records")
    }
    if key is not None:
        # one squad (dataset state) at a time, but every set of options for it: a
        # report asks for the learned design and, beside it, the documented one
        for old in [k for k in _POOLED_CACHE if k[0] != state]:
            del _POOLED_CACHE[old]
        _POOLED_CACHE[key] = pooled
    return pooled


def _design_text(
    design: dict, fatigue: bool = False, clock: bool = False, load: bool = False
) -> str:
    """``{"heat_onset_c": 15, "ramp_weeks": inf, "speed_scale": 1}`` -> "heat from 15
    degC, ramp over the whole block, Daniels' cost-speed curve"; with ``fatigue``
    the residual-fatigue design after it ("no residual-fatigue term")."""
    onset = float(design["heat_onset_c"])
    heat = (
        "heat linear over every temperature"
        if onset <= LINEAR_HEAT
        else f"heat from {onset:g} degC"
    )
    ramp = time_course_words(design["ramp_weeks"])
    text = f"{heat}, {ramp}, {curve_words(float(design.get('speed_scale', SPEED_SCALE)))}"
    if fatigue:  # named where the learned design differs there
        text += ", " + post_strength_words(design.get("post_strength_days", POST_STRENGTH_DAYS))
    if clock:
        text += ", " + clock_words(design.get("clock_peak_h", NO_CLOCK))
    if load:
        scale = float(design.get("load_scale", NO_LOAD))
        text += ", " + (
            "no training-load offset" if not scale else f"training-load offset {scale:g}"
        )
    return text


def _chunks(metrics: pd.DataFrame, blocks: pd.DataFrame, size: int) -> list[tuple]:
    """``(metrics, blocks)`` of consecutive ``size`` runners of ``blocks``, in its order.

    The metrics of runners not in ``blocks`` are left out; spilled metrics
    (:class:`SpilledMetrics`) give each chunk a reference its task reads. The rows are put in
    chunk order once (keeping their order within a runner) and each chunk is a
    slice of that one copy, not a copy of its own.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(
            f"The 'chunk_runners' parameter of analyze must be a positive integer. Got {size!r} instead."
        )
    n_chunks = -(-len(blocks) // size)
    if isinstance(metrics, SpilledMetrics):  # each task reads its own chunk where it runs
        parts = [blocks.iloc[k * size : (k + 1) * size] for k in range(n_chunks)]
        return [(metrics.select(b["runner_id"]), b) for b in parts]
    position = {str(r): k for k, r in enumerate(blocks["runner_id"])}
    chunk = metrics["runner_id"].astype(str).map(position).to_numpy(dtype=float) // size
    kept = np.flatnonzero(np.isfinite(chunk))
    order = kept[np.argsort(chunk[kept], kind="stable")]
    ordered = metrics.take(order)
    bounds = np.searchsorted(chunk[order], np.arange(n_chunks + 1))
    return [
        (ordered.iloc[bounds[k] : bounds[k + 1]], blocks.iloc[k * size : (k + 1) * size])
        for k in range(n_chunks)
    ]


def _race_rows(metrics) -> pd.DataFrame:
    """What :func:`fitness_signals` reads: the frame, or the spilled parts' races only."""
    if not isinstance(metrics, SpilledMetrics):
        return metrics

    def races(m: pd.DataFrame) -> pd.DataFrame:
        if "race_vdot" not in m:
            return m.iloc[:0][["runner_id", "date"]]
        return m.loc[m["race_vdot"].notna(), ["runner_id", "date", "race_vdot"]]

    return metrics.map_parts(races).reset_index(drop=True)


def _training_load(metrics, blocks: pd.DataFrame) -> pd.DataFrame:
    """:func:`training_load` of the squad; of spilled metrics part by part (it is per runner)."""
    if not isinstance(metrics, SpilledMetrics):
        return training_load(metrics, blocks)
    ids = blocks["runner_id"].astype(str)
    done: set[str] = set()
    empty: list[pd.DataFrame] = []

    def one(m: pd.DataFrame) -> pd.DataFrame:
        own = set(m["runner_id"].astype(str).unique())
        done.update(own)
        empty[:] = [m.iloc[:0]]
        return training_load(m, blocks.loc[ids.isin(own).to_numpy()])

    load = metrics.map_parts(one)
    rest = blocks.loc[~ids.isin(done).to_numpy()]  # runners without runs: no load
    return pd.concat([load, training_load(empty[0], rest)])


def _chunk_name(blocks: pd.DataFrame) -> str:
    ids = list(blocks["runner_id"])
    return f"runner {ids[0]}" if len(ids) == 1 else f"runners {ids[0]} to {ids[-1]}"


def _choice_task(payload: tuple) -> dict:
    metrics, blocks, key, candidates, fixed = payload
    return choice_logliks(resolve(metrics), blocks, key, candidates, **fixed)


def _learned_choice(
    run, chunks, key, candidates, default, fixed, squad_blocks=None, chooser=None
) -> float:
    """A design choice learned from the whole squad (:func:`choose_from`, or
    ``chooser`` of the merged likelihoods), chunk by chunk; the time course from
    its strength runners (``squad_blocks`` given, :func:`strength_runners_only`)."""
    merged = _merged_logliks(run, chunks, key, candidates, fixed)
    if squad_blocks is not None:
        merged = strength_runners_only(merged, squad_blocks)
    if chooser is not None:
        return chooser(merged)[0]
    return choose_from(merged, default)[0]


def _merged_logliks(run, chunks, key, candidates, fixed) -> dict[float, dict[str, float]]:
    """:func:`choice_logliks` of the whole squad, chunk by chunk, merged."""
    merged: dict[float, dict[str, float]] = {float(c): {} for c in candidates}
    for part in run(_choice_task, [(m, b, key, candidates, fixed) for m, b in chunks]):
        for value, per_runner in part.items():
            merged[value].update(per_runner)
    return merged


def _type_means_task(payload: tuple) -> pd.DataFrame:
    metrics, blocks, fixed = payload
    return run_type_means(prepare_runs(resolve(metrics), blocks, **fixed))


def _grid_stats_task(payload: tuple) -> tuple:
    metrics, blocks, confounders, design = payload
    return serial_grid_stats(blocks, prepare_runs(resolve(metrics), blocks, **design), confounders)


def _float(value) -> float:
    """A row's number as its frame column holds it (``None``: NaN)."""
    return math.nan if value is None else float(value)


def _rows_task(payload: tuple) -> tuple[list[tuple[dict, RunnerFit | None]], SquadPrior | None]:
    """The field rows of one chunk of runners (with their plotting fits when asked).

    With a spill path (a streamed ``analyze``), the rows are written there and
    only what the control reference reads of each comes back."""
    blocks, metrics, quarantined, errors, confounders, design, prior, with_fits, bar, path = payload
    prep = prepare_runs(resolve(metrics), blocks, **design)
    fitted, prior = _field_rows(
        blocks, prep, quarantined, errors, confounders, serial_prior=prior, progress=bar
    )
    if path is not None:
        dump_rows(path, [row for row, _ in fitted])
        keep = [{k: row[k] for k in REFERENCE_INPUTS if k in row} for row, _ in fitted]
        return [(row, None) for row in keep], prior
    if not with_fits:
        return [(row, None) for row, _ in fitted], prior
    positions = prep.groupby("runner_id", sort=False).indices
    out = []
    for row, fit in fitted:
        rid = row["runner_id"]
        own = prep.iloc[positions[rid]] if rid in positions else prep.iloc[:0]
        out.append(
            (
                row,
                RunnerFit(
                    row=row,
                    result=None,
                    formula=field_formula(fit.terms, fit.speed_offset) if fit is not None else "",
                    frame=plot_frame(own, fit),
                ),
            )
        )
    return out, prior


def _lab_after(lab_tests: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """The lab tests that can be a later block's: from the end of the block before
    less ``LAB_POST_WINDOW`` on (that block's post test is this block's pre test)."""
    if lab_tests is None or len(lab_tests) == 0:
        return lab_tests
    previous = later.set_index(later["runner_id"].astype(str))["previous_block_end"]
    floor = lab_tests["runner_id"].astype(str).map(previous) - LAB_POST_WINDOW
    return lab_tests.loc[(lab_tests["date"] >= floor).to_numpy(dtype=bool)]


def _later_rows(
    run,
    later: pd.DataFrame,
    metrics: pd.DataFrame,
    quarantined: dict,
    *,
    errors: str,
    confounders: tuple,
    design: dict,
    prior,
    return_fits: bool,
    chunk_runners: int,
) -> list[tuple[dict, RunnerFit | None]]:
    """The field rows (and fits) of one later block number of the selected runners,
    with the squad's design and serial prior, chunk by chunk as block 1."""
    chunks = _chunks(metrics, later, chunk_runners)
    parts = run(
        _rows_task,
        [
            (
                b,
                m,
                {r: quarantined[r] for r in b["runner_id"] if r in quarantined},
                errors,
                confounders,
                design,
                prior,
                return_fits,
                None,
                None,
            )
            for m, b in chunks
        ],
        describe=lambda i: _chunk_name(chunks[i][1]),
    )
    return [item for part, _ in parts for item in part]


def analyze(
    dataset: Dataset,
    runner_ids: Iterable[str] | str | None = None,
    *,
    progress: bool = False,
    baseline_weeks: int = BASELINE_WEEKS,
    metrics: pd.DataFrame | None = None,
    blocks: pd.DataFrame | None = None,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
    swc_pct: float = SMALLEST_WORTHWHILE_CHANGE_PCT,
    lab_day_cv_pct: float = LAB_DAY_CV_PCT,
    control_reference: bool = True,
    heat_onset_c: float | str = "auto",
    ramp_weeks: float | str = "auto",
    speed_scale: float | str = "auto",
    post_strength_days: float | str = "auto",
    clock_peak_h: float | str = "auto",
    post_strength_shared: float | str = "auto",
    load_scale: float | str = "auto",
    return_fits: bool = False,
    backend: ProcessBackend | DaskBackend | None = None,
    chunk_runners: int = CHUNK_RUNNERS,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, RunnerFit]]:
    """Change in oxygen cost of running over the strength block, per runner and block.

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
    blocks : DataFrame, optional, keyword-only
        Precomputed :func:`analysis.blocks.runner_blocks` of the whole squad
        (with the same ``baseline_weeks``).
    errors : {"ar1", "hac"}, keyword-only
        Error model of the field fit (:func:`fit_runner`); default ``"ar1"``.
    confounders : collection of str, keyword-only
        Confounders of the field model, a subset of ``CONFOUNDERS`` (default
        all; fewer only for sensitivity analyses).
    swc_pct : float, keyword-only
        Smallest worthwhile change [%] for the ``no meaningful change`` verdict
        (default ``SMALLEST_WORTHWHILE_CHANGE_PCT``, 2.5).
    lab_day_cv_pct : float, keyword-only
        Day-to-day variation of lab economy [% CV] included in the lab CI
        (default ``LAB_DAY_CV_PCT``, 2.0; :mod:`analysis.models.lab`).
    control_reference : bool, keyword-only
        Reference each field change to the squad's controls over the same
        dates when there are at least ``MIN_CONTROLS`` of them
        (:mod:`analysis.models.reference`; default True). False gives every
        runner the raw within-runner change as the headline.
    heat_onset_c : float or "auto", keyword-only
        Air temperature above which heat raises heart rate [degC]. ``"auto"``
        (default) learns it from the squad's steady runs by profile likelihood
        (:func:`analysis.models.prepare.choose_heat_onset`, candidates from
        linear to 20 degC); the value used is in the ``heat_onset_c`` column.
    ramp_weeks : float or "auto", keyword-only
        Weeks over which the change builds up before a plateau (``inf``: a ramp
        over the whole block; negative: no change for that many weeks, then a
        ramp to the block's end). ``"auto"`` (default) chooses between the
        full-block ramp, a plateau after 2-8 weeks and a start delayed 2-6
        weeks by profile likelihood, from the strength runners where the squad
        has at least 3 (:func:`analysis.models.prepare.choose_time_course`); the choice is in
        ``plateau_weeks`` and ``delay_weeks`` (both empty for the full-block ramp).
    speed_scale : float or "auto", keyword-only
        How oxygen cost per km changes with speed, as a multiple of Daniels &
        Gilbert's log cost-per-km curve (1: their curve; 0: the same at every
        speed). ``"auto"`` (default) keeps 1 unless another multiple fits the
        squad better (:func:`analysis.models.prepare.choose_speed_scale`); the
        value used is in ``speed_cost_scale``. Not learned when ``confounders``
        leave the speed offset out.
    post_strength_days : float or "auto", keyword-only
        Runs on the day of a strength session and up to this many days after
        it get their own residual-fatigue offset (the runner's
        ``post_strength_dev`` coefficient; -1: no such term, the documented
        design). ``"auto"`` (default) adds it where the squad's runs show it
        (:func:`analysis.models.prepare.choose_post_strength`: 1, 2 or 3 days,
        or none); the value used is in ``post_strength_days`` (empty: none).
    clock_peak_h : float or "auto", keyword-only
        Heart rate's daily rhythm: each runner's runs get an offset along the
        cosine of the run's middle hour peaking at this hour (-1: no such term,
        the documented design). ``"auto"`` (default) adds it, peaking at 17:00,
        where the squad's runs show it
        (:func:`analysis.models.prepare.choose_clock`); the value used is in
        ``time_of_day_peak_h`` (empty: none).
    post_strength_shared : float or "auto", keyword-only
        The squad's shared residual fatigue: a log offset of the cost of a run
        in the ``post_strength_days`` window, the same for every runner, taken
        out as a fixed offset (0: none, the documented design). ``"auto"``
        (default, only with ``post_strength_days="auto"``) learns it where the
        runner's own term is not kept
        (:func:`analysis.models.prepare.choose_shared_fatigue`, over the window
        that fits best); the value used is in ``post_strength_shared_pct``
        (empty: none).
    load_scale : float or "auto", keyword-only
        How much the runner's own recent running (minutes a day, averaged over
        about 4 weeks, relative to its baseline's) moves the cost read from
        heart rate, the same for every runner, taken out as a fixed offset (0:
        none, the documented design). ``"auto"`` (default) learns it
        (:func:`analysis.models.prepare.choose_load_scale`); the value used is
        in ``training_load_scale`` (empty: none).
    return_fits : bool, keyword-only
        Also return each selected runner's :class:`RunnerFit` (the field
        model's row and plotting frame, ``result`` None: the formula-API
        refit of :func:`fit_runner` is skipped), so a report fits each model
        once.
    backend : execution back end, optional, keyword-only
        Where the work on each chunk of runners runs (:mod:`analysis.execution`:
        a process pool or a Dask cluster); default here, chunk after chunk.
        The answer does not depend on it: the chunks are the same everywhere.
    chunk_runners : int, keyword-only
        Runners per chunk (default ``CHUNK_RUNNERS``). Each squad-level step
        (heat onset, time course, serial prior, control references) combines
        per-chunk summaries; a squad of one chunk is fitted in one pass.

    Returns
    -------
    DataFrame, or (DataFrame, dict of runner_id -> RunnerFit) with ``return_fits``
        ``ANALYZE_COLUMNS`` (DATA_FORMAT.md, in order) then ``EXTRA_COLUMNS``,
        one ``field_hr`` row for every selected runner, each followed by a
        ``lab`` row where lab_tests.csv has a test before and one after the
        block start (:func:`_lab_rows`), then the same for each of the
        runner's later blocks (``block`` 2, 3, ...; module docstring: they
        use the squad-level quantities of the first blocks; a later block's
        lab pre test is from the end of the block before less two weeks on).

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
        - The headline of a ``field_hr`` row is partially pooled within its
          group over the whole squad (:mod:`analysis.models.pooling`; the
          same values when only some runners are selected) when the group has
          at least ``MIN_POOLED_RUNNERS`` (3) runners with an estimate (``pooling`` = ``group``,
          ``n_pooled_runners``); ``own_change_pct``, ``own_ci_low_pct``,
          ``own_ci_high_pct`` and ``own_verdict`` keep the runner's own.
        - ``sensitivity_design``, ``sensitivity_change_pct``,
          ``sensitivity_ci_low_pct``, ``sensitivity_ci_high_pct``: when a
          choice learned with ``"auto"`` differs from the documented one
          (``HEAT_ONSET_C``, ``FULL_BLOCK``), the headline under the
          documented choice (one more fit of the selected runners); empty
          otherwise.

    References
    ----------
    .. [1] Hopkins WG (2000). Measures of reliability in sports medicine and
       science. Sports Med 30(1):1-15.
    .. [2] Barnes KR, Kilding AE (2015). Running economy: measurement, norms,
       and determining factors. Sports Med Open 1:8.
    """
    fits: dict[str, RunnerFit] | None = {} if return_fits else None
    chunks = _analyzed_rows(
        dataset,
        runner_ids,
        progress=progress,
        baseline_weeks=baseline_weeks,
        metrics=metrics,
        blocks=blocks,
        errors=errors,
        confounders=confounders,
        swc_pct=swc_pct,
        lab_day_cv_pct=lab_day_cv_pct,
        control_reference=control_reference,
        heat_onset_c=heat_onset_c,
        ramp_weeks=ramp_weeks,
        speed_scale=speed_scale,
        post_strength_days=post_strength_days,
        clock_peak_h=clock_peak_h,
        post_strength_shared=post_strength_shared,
        load_scale=load_scale,
        backend=backend,
        chunk_runners=chunk_runners,
        fits=fits,
    )
    out = as_frame([row for rows in chunks for row in rows], ANALYZE)
    return out if fits is None else (out, fits)


def _analyzed_rows(
    dataset: Dataset,
    runner_ids: Iterable[str] | str | None = None,
    *,
    progress: bool = False,
    baseline_weeks: int = BASELINE_WEEKS,
    metrics: pd.DataFrame | None = None,
    blocks: pd.DataFrame | None = None,
    errors: str = "ar1",
    confounders: Iterable[str] = CONFOUNDERS,
    swc_pct: float = SMALLEST_WORTHWHILE_CHANGE_PCT,
    lab_day_cv_pct: float = LAB_DAY_CV_PCT,
    control_reference: bool = True,
    heat_onset_c: float | str = "auto",
    ramp_weeks: float | str = "auto",
    speed_scale: float | str = "auto",
    post_strength_days: float | str = "auto",
    clock_peak_h: float | str = "auto",
    post_strength_shared: float | str = "auto",
    load_scale: float | str = "auto",
    backend: ProcessBackend | DaskBackend | None = None,
    chunk_runners: int = CHUNK_RUNNERS,
    fits: dict | None = None,
    spill: Path | None = None,
    labs: bool = True,
) -> Iterator[list[dict]]:
    """:func:`analyze`'s rows, chunk of runners after chunk, in the frame's order.

    The squad-level steps run at the first ``next``. ``fits``: a dict that gets
    each selected runner's :class:`RunnerFit` (not with ``spill``). ``spill``:
    a folder where each chunk's rows wait from their fit until they are
    yielded, so that what stays in memory per runner is what the squad-level
    steps read (its pooling inputs, reference window, fitness signals and
    training load), not its row; without it the rows wait in memory. A
    runner's later blocks (``block`` 2, ...) are held in memory either way.
    ``labs=False``: the field rows only (the documented design's answer beside
    a learned one reads nothing else).
    """
    _check_options(errors, confounders, "analyze")
    return_fits = fits is not None
    if return_fits and spill is not None:
        raise ValueError("analyze: fits are returned only when the rows are kept in memory")
    if blocks is None:
        blocks = runner_blocks(dataset, baseline_weeks=baseline_weeks)
    all_blocks = blocks
    blocks = _select_runners(all_blocks, runner_ids, Path(dataset.path) / "runners.csv")
    if metrics is None:
        metrics = run_metrics(dataset)
    elif isinstance(metrics, pd.DataFrame) and "days_after_strength" not in metrics.columns:
        # metrics written before the column existed: the days after a session from
        # this dataset's strength log, as run_metrics gives them
        metrics = metrics.assign(
            days_after_strength=days_after_strength(
                metrics["runner_id"], metrics["date"], dataset.strength
            )
        )
    metrics_given = metrics
    squad_metrics = metrics
    with_runs = set(dataset.runs["runner_id"].astype(str).unique()) if len(dataset.runs) else set()
    if with_runs - runner_ids_of(squad_metrics):
        # metrics of a subset (a runner's report): the squad-level choices (heat
        # onset, time course) and the control reference need the whole squad, so
        # that a report and `runeco analyze` give the same answer
        squad_metrics = run_metrics(dataset)
    run = partial(ordered_map, backend)
    squad_chunks = _chunks(squad_metrics, all_blocks, chunk_runners)
    if speed_scale == "auto" and SPEED_OFFSET not in tuple(confounders):
        speed_scale = SPEED_SCALE  # no speed offset: nothing to learn
    if "post_strength_dev" not in tuple(confounders):
        post_strength_days = NO_POST_STRENGTH  # the term left out: no window either
    if post_strength_shared == "auto" and (
        post_strength_days != "auto" or SPEED_OFFSET not in tuple(confounders)
    ):
        post_strength_shared = NO_SHARED_FATIGUE  # a window given: as asked
    if "clock_dev" not in tuple(confounders):
        clock_peak_h = NO_CLOCK
    if load_scale == "auto" and SPEED_OFFSET not in tuple(confounders):
        load_scale = NO_LOAD  # carried with the speed offset: none without it
    learned = "auto" in (
        heat_onset_c,
        ramp_weeks,
        speed_scale,
        post_strength_days,
        clock_peak_h,
        post_strength_shared,
        load_scale,
    )
    asked = {
        "heat_onset_c": heat_onset_c,
        "ramp_weeks": ramp_weeks,
        "speed_scale": speed_scale,
        "post_strength_days": post_strength_days,
        "clock_peak_h": clock_peak_h,
        "post_strength_shared": post_strength_shared,
        "load_scale": load_scale,
    }
    if heat_onset_c == "auto":
        heat_onset_c = _learned_choice(
            run, squad_chunks, "heat_onset_c", HEAT_ONSET_CANDIDATES_C, HEAT_ONSET_C, {}
        )
    if speed_scale == "auto":  # from the run types where the runs carry them
        fixed = {"heat_onset_c": heat_onset_c}
        means = run(_type_means_task, [(m, b, fixed) for m, b in squad_chunks])
        speed_scale = speed_scale_from_types(pd.concat(means), SPEED_SCALE_CANDIDATES)
        if speed_scale is None:
            speed_scale = _learned_choice(
                run, squad_chunks, "speed_scale", SPEED_SCALE_CANDIDATES, SPEED_SCALE, fixed
            )
    if post_strength_days == "auto":
        fixed = {"heat_onset_c": heat_onset_c, "speed_scale": float(speed_scale)}
        windows = _merged_logliks(
            run, squad_chunks, "post_strength_days", POST_STRENGTH_CANDIDATES, fixed
        )
        post_strength_days = choose_post_strength(windows)[0]
        if post_strength_shared == "auto":
            post_strength_shared = NO_SHARED_FATIGUE
            if post_strength_days == NO_POST_STRENGTH:  # no runner's own term: the squad's
                window = post_strength_window(windows)
                shared = _merged_logliks(
                    run,
                    squad_chunks,
                    "post_strength_shared",
                    SHARED_FATIGUE_OFFSETS,
                    {**fixed, "post_strength_window": window},
                )
                post_strength_shared = choose_shared_fatigue(shared)
                if post_strength_shared != NO_SHARED_FATIGUE:
                    post_strength_days = window
        elif float(post_strength_shared) != NO_SHARED_FATIGUE:  # an offset asked for
            post_strength_days = post_strength_window(windows)
    # each later choice is made under the ones before it
    chosen = {
        "heat_onset_c": heat_onset_c,
        "speed_scale": float(speed_scale),
        "post_strength_days": float(post_strength_days),
        "post_strength_shared": float(post_strength_shared),
    }
    if clock_peak_h == "auto":
        clock_peak_h = _learned_choice(
            run,
            squad_chunks,
            "clock_peak_h",
            CLOCK_CANDIDATES,
            NO_CLOCK,
            chosen,
            chooser=choose_clock,
        )
    chosen = {**chosen, "clock_peak_h": float(clock_peak_h)}
    if load_scale == "auto":
        merged = _merged_logliks(run, squad_chunks, "load_scale", LOAD_SCALES, chosen)
        load_scale = choose_load_scale(merged)
    chosen = {**chosen, "load_scale": float(load_scale)}
    if ramp_weeks == "auto":
        ramp_weeks = _learned_choice(
            run,
            squad_chunks,
            "ramp_weeks",
            RAMP_WEEKS_CANDIDATES,
            FULL_BLOCK,
            chosen,
            squad_blocks=all_blocks,
            chooser=choose_course_from,
        )
    design = {
        "heat_onset_c": float(heat_onset_c),
        "ramp_weeks": float(ramp_weeks),
        "speed_scale": float(speed_scale),
        "post_strength_days": float(post_strength_days),
        "clock_peak_h": float(clock_peak_h),
        "post_strength_shared": float(post_strength_shared),
        "load_scale": float(load_scale),
    }
    whole_squad = blocks is all_blocks and metrics is squad_metrics
    chunks = squad_chunks if whole_squad else _chunks(metrics, blocks, chunk_runners)
    prior = None  # learned by the one fit below when it holds the whole squad
    if errors == "ar1" and (len(blocks) < len(all_blocks) or len(chunks) > 1):
        prior = squad_prior(
            run(_grid_stats_task, [(m, b, tuple(confounders), design) for m, b in squad_chunks])
        )
    quarantined = quarantined_row_count(dataset.quarantine, "runs.csv", by_runner=True)
    if spill is not None:
        Path(spill).mkdir(parents=True, exist_ok=True)

    def spilled_rows(k: int) -> str | None:
        return None if spill is None else str(Path(spill) / f"rows-{k:05d}.pickle")

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(blocks), desc="analyze", unit="runner")
    try:
        parts = run(
            _rows_task,
            [
                (
                    b,
                    m,
                    {r: quarantined[r] for r in b["runner_id"] if r in quarantined},
                    errors,
                    tuple(confounders),
                    design,
                    prior,
                    return_fits,
                    bar if backend is None else None,  # here: runner by runner
                    spilled_rows(k),
                )
                for k, (m, b) in enumerate(chunks)
            ],
            describe=lambda i: _chunk_name(chunks[i][1]),
            # on workers: chunk by chunk, as each comes back
            on_done=None
            if bar is None or backend is None
            else (lambda i: bar.update(len(chunks[i][1]))),
        )
    finally:
        if bar is not None:
            bar.close()
    if prior is None and parts:
        prior = parts[0][1]
    # with spill: per chunk, the rows' reference inputs (the rows are on disk)
    held = [[row for row, _ in part] for part, _ in parts]
    fitted = [item for part, _ in parts for item in part] if return_fits else []
    del parts
    later = later_blocks(dataset, blocks=all_blocks, logged=partial(_logged, dataset, metrics))
    later = later.loc[later["runner_id"].isin(set(blocks["runner_id"].astype(str)))]

    def referenced(fitted_rows: list[dict]) -> dict:
        """The controls' pooled change over each fitted runner's own window."""
        if not control_reference:
            return {}
        return control_references(
            fitted_rows,
            all_blocks,
            squad_metrics,
            errors,
            confounders,
            design=design,
            serial_prior=prior,
            run=run,
            chunk_runners=chunk_runners,
        )

    references = referenced([row for rows in held for row in rows])
    headline: dict = {}
    members: list[tuple] = []  # (runner, group, window) of the rows to pool, in order
    races = _race_rows(squad_metrics)
    signals = signal_lookup(fitness_signals(races, dataset.lab_tests, all_blocks))
    load = _training_load(squad_metrics, all_blocks)
    for k, (_, b) in enumerate(chunks):
        fitted_k = held[k] if spill is None else load_rows(spilled_rows(k))
        lab_rows = _lab_rows(b, dataset.lab_tests, day_cv_pct=lab_day_cv_pct) if labs else {}
        rows: list[dict] = []
        for row in fitted_k:
            row.update(design_columns(design))
            add_fitness_signals(row, signals)
            rows.append(
                finish_row(row, swc_pct, references.get(row["runner_id"]), headline=headline)
            )
            if row["runner_id"] in lab_rows:
                lab_row = add_fitness_signals(lab_rows[row["runner_id"]], signals)
                rows.append(finish_row(lab_row, swc_pct))
        add_training_load(rows, squad_metrics, all_blocks, load=load)
        members += [
            (row["runner_id"], row.get("group"), window_key(row))
            for row in rows
            if row.get("method") == FIELD_METHOD and row["runner_id"] in headline
        ]
        held[k] = rows
        if spill is not None:
            dump_rows(spilled_rows(k), rows)
            held[k] = []
    del load, signals, references
    # Later blocks: per runner, with the squad-level quantities learned above
    later_rows: dict[str, list[dict]] = {}
    later_fits: dict[str, list[RunnerFit]] = {}
    pools = []
    for number in sorted(later["block"].unique()):
        part = later.loc[later["block"] == number].reset_index(drop=True)
        fitted_k = _later_rows(
            run,
            part,
            metrics,
            quarantined,
            errors=errors,
            confounders=tuple(confounders),
            design=design,
            prior=prior,
            return_fits=return_fits,
            chunk_runners=chunk_runners,
        )
        references_k = referenced([row for row, _ in fitted_k])
        labs_k = (
            _lab_rows(part, _lab_after(dataset.lab_tests, part), day_cv_pct=lab_day_cv_pct)
            if labs
            else {}
        )
        rows_k: list[dict] = []
        headline_k: dict = {}
        signals_k = signal_lookup(fitness_signals(races, dataset.lab_tests, part))
        for row, fit in fitted_k:
            rid = row["runner_id"]
            row.update(design_columns(design))
            add_fitness_signals(row, signals_k)
            own = [finish_row(row, swc_pct, references_k.get(rid), headline=headline_k)]
            if rid in labs_k:
                lab_row = add_fitness_signals(dict(labs_k[rid], block=int(number)), signals_k)
                own.append(finish_row(lab_row, swc_pct))
            rows_k += own
            later_rows.setdefault(rid, []).extend(own)
            if fit is not None:
                later_fits.setdefault(rid, []).append(fit)
        # the block's own dates
        add_training_load(rows_k, squad_metrics, part, load=_training_load(squad_metrics, part))
        pools.append((rows_k, headline_k))
    later_all = [r for own in later_rows.values() for r in own]
    whole = len(blocks) == len(all_blocks)
    squad: dict = {}
    if whole:  # each block number pooled on its own
        pooled = pooled_values(members, headline)
        for pool_rows, pool_headline in pools:
            pool_changes(pool_rows, pool_headline)
    else:  # the pooled values are the squad's: pool over the whole squad's fit
        pooled = {}
        squad = _squad_pooled(
            dataset,
            squad_metrics,
            all_blocks,
            computed=squad_metrics is not metrics_given,
            errors=errors,
            confounders=tuple(confounders),
            swc_pct=swc_pct,
            control_reference=control_reference,
            heat_onset_c=design["heat_onset_c"],
            ramp_weeks=design["ramp_weeks"],
            speed_scale=design["speed_scale"],
            post_strength_days=design["post_strength_days"],
            clock_peak_h=design["clock_peak_h"],
            post_strength_shared=design["post_strength_shared"],
            load_scale=design["load_scale"],
            backend=backend,
            chunk_runners=chunk_runners,
        )
    del headline, members
    documented = {
        key: default if asked[key] == "auto" else float(asked[key])
        for key, default in (
            ("heat_onset_c", HEAT_ONSET_C),
            ("ramp_weeks", FULL_BLOCK),
            ("speed_scale", SPEED_SCALE),
            ("post_strength_days", POST_STRENGTH_DAYS),
            ("clock_peak_h", NO_CLOCK),
            ("post_strength_shared", NO_SHARED_FATIGUE),
            ("load_scale", NO_LOAD),
        )
    }
    alt: dict = {}
    if learned and documented != design:
        # A choice learned from the data moved away from the documented one: the
        # answer under the documented choice, so a report can show whether it matters.
        alternative = _analyzed_rows(
            dataset,
            list(blocks["runner_id"]),
            metrics=metrics_given,
            blocks=all_blocks,
            errors=errors,
            confounders=confounders,
            swc_pct=swc_pct,
            lab_day_cv_pct=lab_day_cv_pct,
            control_reference=control_reference,
            backend=backend,
            chunk_runners=chunk_runners,
            spill=None if spill is None else Path(spill) / "documented",
            labs=False,
            **documented,
        )
        alt = {
            (str(row["runner_id"]), int(row["block"])): tuple(
                _float(row.get(col)) for col in ("o2_cost_change_pct", "ci_low_pct", "ci_high_pct")
            )
            for rows in alternative
            for row in rows
            if row.get("method") == FIELD_METHOD
        }
    text = _design_text(
        documented,
        fatigue=documented["post_strength_days"] != design["post_strength_days"]
        or documented["post_strength_shared"] != design["post_strength_shared"],
        clock=documented["clock_peak_h"] != design["clock_peak_h"],
        load=documented["load_scale"] != design["load_scale"],
    )

    def completed(rows: list[dict]) -> None:
        """The squad-level columns: pooled headline, sensitivity to the design."""
        for row in rows:
            row.setdefault("block", 1)
            if row.get("method") != FIELD_METHOD:
                continue
            key = (row["runner_id"], int(row["block"]))
            if key[1] == 1 and key[0] in pooled:
                apply_pooled(row, pooled[key[0]])
            if key in squad:
                row.update(squad[key])
            if key in alt:
                row["sensitivity_design"] = text
                (
                    row["sensitivity_change_pct"],
                    row["sensitivity_ci_low_pct"],
                    row["sensitivity_ci_high_pct"],
                ) = alt[key]

    completed(later_all)
    if fits is not None:
        fits.update((row["runner_id"], fit) for row, fit in fitted)
        for rid, own in later_fits.items():
            fits[rid] = dataclasses.replace(fits[rid], later=tuple(own))
    for k in range(len(chunks)):
        rows = held[k] if spill is None else load_rows(spilled_rows(k))
        held[k] = []
        completed(rows)
        if later_rows:  # each runner's later blocks right after its first
            by_runner: dict[str, list[dict]] = {}
            for row in rows:
                by_runner.setdefault(row["runner_id"], []).append(row)
            rows = [r for rid, own in by_runner.items() for r in (*own, *later_rows.get(rid, ()))]
        yield rows


def analyze_parts(
    head: Dataset,
    parts: Iterable[Dataset],
    spill_folder: str | Path,
    runner_ids: Iterable[str] | str | None = None,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    progress: bool = False,
    stream: bool = False,
    **options,
) -> tuple[pd.DataFrame | Iterator[pd.DataFrame], Dataset, pd.DataFrame, SpilledMetrics]:
    """:func:`analyze` of a dataset read part by part (:func:`analysis.io.load_dataset_parts`).

    Each part's run metrics (the models' columns) and the dates of its runs and
    strength sessions are written to ``spill_folder`` as the part is read, and
    its blocks inferred from its strength log; then :func:`analyze` runs on the
    spilled metrics, each chunk of runners read where its task runs. Only one
    part's rows (and one chunk's metrics per worker) are in memory at a time;
    what grows with the squad is one row per runner (blocks, results) and the
    quarantine. The answer is the same as :func:`analyze` of the whole
    dataset.

    With ``stream``, the results are not one frame but the frames of its
    chunks of runners, in order (their concatenation is the frame), computed
    when the first is asked for: each chunk's result rows wait in
    ``spill_folder`` from their fit until they are yielded, so what the
    analysis holds per runner is what the squad-level steps read (the partial
    pooling's inputs and values, the control reference's window, the fitness
    signals and training load: a few numbers), not the runner's rows. Read them
    before ``spill_folder`` is removed (``runeco analyze`` writes them to its CSV).

    Returns
    -------
    (results, dataset, blocks, spilled)
        ``analyze``'s frame (with ``stream``: an iterator of its chunks' frames);
        ``head`` with the whole quarantine (no runs or strength rows); the
        squad's :func:`analysis.blocks.runner_blocks`; the
        :class:`~analysis.models.spill.SpilledMetrics` (for
        :func:`analysis.readiness.runner_readiness_parts`).
    """
    spilled = SpilledMetrics(spill_folder)
    inferred, logged, quarantine = [], [], [head.quarantine]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="read and measure", unit="part")
    try:
        line = lab_hr_vo2_line(head)  # the squad's, the same for every part: fitted once
        for part in parts:
            spilled.add(run_metrics(part, hr_vo2_line=line), runs=part.runs, strength=part.strength)
            inferred.append(infer_blocks(part.strength))
            logged.append(Logged.of(part.strength, part.runs))
            quarantine.append(part.quarantine)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    dataset = dataclasses.replace(head, quarantine=pd.concat(quarantine, ignore_index=True))
    blocks = runner_blocks(
        dataset,
        baseline_weeks=baseline_weeks,
        inferred=pd.concat(inferred, ignore_index=True),
        logged=Logged.join(logged),
    )
    if stream:
        chunks = _analyzed_rows(
            dataset,
            runner_ids,
            metrics=spilled,
            blocks=blocks,
            baseline_weeks=baseline_weeks,
            progress=progress,
            spill=Path(spill_folder) / "rows",
            **options,
        )
        return _frames(chunks), dataset, blocks, spilled
    results = analyze(
        dataset,
        runner_ids,
        metrics=spilled,
        blocks=blocks,
        baseline_weeks=baseline_weeks,
        progress=progress,
        **options,
    )
    return results, dataset, blocks, spilled


def _logged(dataset: Dataset, metrics) -> Logged:
    """What the note on lifting that stopped early reads (:class:`analysis.blocks.Logged`):
    from the dataset's logs, or, read part by part, from each part's dates of runs and
    strength sessions that the spilled metrics keep."""
    if isinstance(metrics, SpilledMetrics):
        return Logged.join(
            Logged.of(metrics.dates(k, "strength"), metrics.dates(k, "runs"))
            for k in range(len(metrics.parts))
        )
    return Logged.of(dataset.strength, dataset.runs)


def _frames(chunks: Iterator[list[dict]]) -> Iterator[pd.DataFrame]:
    """Each chunk's rows as :func:`analyze`'s frame (its columns and their types);
    at least one frame (an empty one for no runner), so a writer has a header."""
    empty = True
    for rows in chunks:
        if rows or empty:
            yield as_frame(rows, ANALYZE)
            empty = False
    if empty:
        yield as_frame([], ANALYZE)
