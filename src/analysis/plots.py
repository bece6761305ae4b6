"""Figures and the small text and table pieces of the reports.

One function per figure: it takes the frames the library computes
(:mod:`analysis.metrics`, :mod:`analysis.blocks`, :mod:`analysis.models`)
and returns a :class:`matplotlib.figure.Figure`, built without pyplot (no
global figure registry, nothing shown twice in a notebook). Every figure reads
in black-and-white print: series differ by marker shape, fill and line style,
never by colour alone; blocks are shaded grey; bars are hatched.

The text helpers (:func:`format_change`, :func:`answer_sentence`, ...) and
table helpers (``*_table``, :func:`html_table`) turn computed numbers into
the report's narrative and tables, so the notebooks only call functions and
a test can format a number exactly as the report prints it.

Nothing here reads files or computes a statistic the reports quote; the
fitted lines drawn in :func:`hr_vs_pace` and :func:`dose_response_plot` are
visual guides only.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.io.schema import EXERCISE_CATEGORIES

FIGURE_WIDTH_IN = 6.9
"""Text width of an A4 page with 16 mm margins [in]; figures are drawn at print size."""

MINUS = "\u2212"
NBSP = "\u00a0"
CI_LEVEL_PCT = 95

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "0.15",
    "axes.linewidth": 0.7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "0.85",
    "grid.linewidth": 0.5,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "lines.linewidth": 1.3,
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    # Black by default: series are told apart by marker, fill and line style.
    "axes.prop_cycle": cycler(color=["black"]),
}

BLOCK_SHADE = "0.88"
"""Grey of the strength-block band (prints as a light tint)."""

# Exercise categories: white-to-grey fills, each with its own hatch.
_CATEGORY_STYLE = {
    "heavy": ("0.25", ""),
    "explosive": ("white", "xxxx"),
    "plyometric": ("0.6", ""),
    "bodyweight_strength": ("white", "////"),
    "core": ("0.85", ""),
    "mobility": ("white", "...."),
    "other": ("white", ""),
}

_BLOCK_SOURCE_TEXT = {
    "blocks.csv": "explicit (blocks.csv)",
    "inferred": "inferred from the strength log",
    "squad (control)": "the squad's block dates (control: no strength block of their own)",
    "none": "none: nobody in the squad has a strength block",
}

_VERDICT_TEXT = {
    "improved": "improved: more economical (the whole interval is below zero)",
    "worsened": "worsened: less economical (the whole interval is above zero)",
    "no clear change": "no clear change (the interval includes zero)",
}


def _styled(func):
    """Draw inside the report style (fonts, grid, line widths) without touching global rc."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _figure(
    height_in: float,
    nrows: int = 1,
    ncols: int = 1,
    *,
    left_in: float = 0.7,
    right_in: float = 0.15,
    top_in: float = 0.3,
    bottom_in: float = 0.45,
    hspace_in: float = 0.3,
    **subplot_kw,
):
    """A print-width figure with fixed margins [in].

    Fixed margins rather than constrained layout: the figures have a known
    width and known labels, and a layout engine would measure every text
    element again on each draw (it was ~40 % of a figure's rendering time).
    """
    width = FIGURE_WIDTH_IN
    fig = Figure(figsize=(width, height_in))
    axes_h = (height_in - top_in - bottom_in - hspace_in * (nrows - 1)) / nrows
    fig.subplots_adjust(
        left=left_in / width,
        right=1 - right_in / width,
        bottom=bottom_in / height_in,
        top=1 - top_in / height_in,
        hspace=hspace_in / axes_h,
    )
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def _title(ax, text: str, **kwargs) -> None:
    # An explicit y skips matplotlib's search for overlapping tick labels on every draw.
    ax.set_title(text, y=1.0, pad=5, **kwargs)


def _label_width_in(labels) -> float:
    """Rough width of the longest tick label at 7.5 pt [in]."""
    return 0.055 * max((len(str(s)) for s in labels), default=4)


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _shade_block(ax, block: Mapping, *, label: bool = True) -> None:
    start, end = block.get("block_start"), block.get("block_end")
    if pd.isna(start) or pd.isna(end):
        return
    ax.axvspan(
        pd.Timestamp(start),
        pd.Timestamp(end) + pd.Timedelta(days=1),
        color=BLOCK_SHADE,
        lw=0,
        zorder=0,
        label="strength block" if label else None,
    )


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])


def _as_mapping(row) -> Mapping:
    if isinstance(row, pd.DataFrame):
        return row.iloc[0].to_dict()
    if isinstance(row, pd.Series):
        return row.to_dict()
    return row


# --------------------------------------------------------------------------- runner figures


@_styled
def economy_over_time(fit_frame: pd.DataFrame, block: Mapping | pd.Series) -> Figure:
    """Field oxygen cost of every steady run, adjusted values and the model's trend.

    Parameters
    ----------
    fit_frame : DataFrame
        ``RunnerFit.frame`` of :func:`analysis.models.fit_runner` (``date``,
        ``used``, ``o2_cost_ml_kg_km``, ``o2_cost_adjusted_ml_kg_km``,
        ``o2_cost_trend_ml_kg_km``).
    block : Mapping or Series
        The runner's :func:`analysis.blocks.runner_blocks` row (``block_start``,
        ``block_end``, ``baseline_start``).

    Returns
    -------
    Figure
        Hollow circles: each run as estimated; filled dots: the same runs moved
        to the runner's reference temperature, distance and speed with the
        fitted coefficients; line: the model (baseline level, then a linear
        change through the block); grey band: the strength block.
    """
    block = _as_mapping(block)
    fig, axes = _figure(3.1, left_in=0.8, bottom_in=0.75)
    ax = axes[0, 0]
    frame = fit_frame.sort_values("date")
    used = frame.loc[frame["used"].astype(bool)]
    _shade_block(ax, block)
    if used.empty:
        _no_data(ax, "no steady runs with heart rate in the analysis window")
        return fig
    ax.plot(
        used["date"],
        used["o2_cost_ml_kg_km"],
        "o",
        ms=4,
        mfc="white",
        mec="0.45",
        mew=0.7,
        ls="none",
        label="steady run, as estimated",
    )
    adjusted = used["o2_cost_adjusted_ml_kg_km"]
    if adjusted.notna().any():
        ax.plot(
            used["date"],
            adjusted,
            "o",
            ms=2.6,
            color="black",
            ls="none",
            label="adjusted to reference temperature, distance and speed",
        )
    trend = frame.loc[frame["o2_cost_trend_ml_kg_km"].notna()]
    if not trend.empty:
        ax.plot(
            trend["date"],
            trend["o2_cost_trend_ml_kg_km"],
            "-",
            color="black",
            lw=1.8,
            label="model: baseline level, then linear change through the block",
        )
    ax.set_ylabel("oxygen cost [ml/kg/km]\n(lower = more economical)")
    _title(ax, "Economy over time (field estimate from heart rate)")
    _date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(-0.02, -0.1), ncol=2, borderaxespad=0)
    return fig


def _pace_label(value, _pos=None) -> str:
    if not np.isfinite(value) or value <= 0:
        return ""
    total = int(round(value * 60))
    return f"{total // 60}:{total % 60:02d}"


@_styled
def hr_vs_pace(metrics: pd.DataFrame, block: Mapping | pd.Series, *, late_weeks: int = 4) -> Figure:
    """Heart rate against grade-adjusted pace: baseline runs versus the late block.

    A runner who became more economical (or fitter) runs the same
    grade-adjusted pace at a lower heart rate, so the late-block line lies
    below the baseline line. Straight lines are least-squares guides.

    Parameters
    ----------
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` rows of one runner (``date``,
        ``steady``, ``gas_m_min``, ``hr_used_bpm``).
    block : Mapping or Series
        The runner's :func:`analysis.blocks.runner_blocks` row.
    late_weeks : int
        The last this many weeks of the block count as "late block".

    Returns
    -------
    Figure
    """
    block = _as_mapping(block)
    fig, axes = _figure(2.9, left_in=0.6, bottom_in=0.5)
    ax = axes[0, 0]
    steady = metrics.loc[metrics["steady"].astype(bool)]
    steady = steady.loc[np.isfinite(steady["gas_m_min"].to_numpy(dtype=float))]
    if pd.isna(block.get("block_start")) or steady.empty:
        _no_data(ax, "no block dates or no steady runs: nothing to compare")
        return fig
    start = pd.Timestamp(block["block_start"])
    end = pd.Timestamp(block["block_end"]) + pd.Timedelta(days=1)
    base_start = pd.Timestamp(block["baseline_start"])
    late_start = max(start, end - pd.Timedelta(weeks=late_weeks))
    groups = (
        (
            steady.loc[(steady["date"] >= base_start) & (steady["date"] < start)],
            dict(marker="o", mfc="white", mec="black", ms=4.5, mew=0.8),
            "--",
            f"baseline ({base_start:%d %b} to {start - pd.Timedelta(days=1):%d %b})",
        ),
        (
            steady.loc[(steady["date"] >= late_start) & (steady["date"] < end)],
            dict(marker="^", color="black", ms=4.5),
            "-",
            f"late block ({late_start:%d %b} to {end - pd.Timedelta(days=1):%d %b})",
        ),
    )
    drawn = False
    for runs, marker, line, label in groups:
        if runs.empty:
            continue
        pace = 1000.0 / runs["gas_m_min"].to_numpy(dtype=float)
        hr = runs["hr_used_bpm"].to_numpy(dtype=float)
        ok = np.isfinite(pace) & np.isfinite(hr)
        ax.plot(pace[ok], hr[ok], ls="none", label=f"{label}, n = {ok.sum()}", **marker)
        if ok.sum() >= 3 and np.ptp(pace[ok]) > 0:
            slope, intercept = np.polyfit(pace[ok], hr[ok], 1)
            xs = np.linspace(pace[ok].min(), pace[ok].max(), 20)
            ax.plot(xs, intercept + slope * xs, line, color="black", lw=1.2)
        drawn = True
    if not drawn:
        _no_data(ax, "no steady runs in the baseline or the late block")
        return fig
    ax.invert_xaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_pace_label))
    ax.set_xlabel("grade-adjusted pace [min:s per km], faster to the right")
    ax.set_ylabel("heart rate [bpm]")
    _title(ax, "Heart rate at a given pace, before and late in the block")
    ax.legend(loc="upper left")
    return fig


def _week_bars(ax, weeks: pd.Series, bottoms: np.ndarray, heights: np.ndarray, **style):
    """One bar per week (Monday to Saturday), drawn as a single collection.

    A collection draws in one call where ``ax.bar`` makes an artist per bar;
    for a season of weekly bars in several categories that is most of the
    figure's drawing time.
    """
    left = mdates.date2num(pd.to_datetime(weeks).to_numpy()) + 0.5
    keep = heights > 0
    left, bottom, top = left[keep], bottoms[keep], bottoms[keep] + heights[keep]
    verts = [
        [(x0, b), (x0, t), (x0 + 6.0, t), (x0 + 6.0, b)]
        for x0, b, t in zip(left, bottom, top, strict=True)
    ]
    face = style.pop("color", "0.5")
    collection = PolyCollection(verts, facecolors=face, edgecolors="black", linewidths=0.5, **style)
    ax.add_collection(collection)
    if len(left):
        ax.update_datalim([(left.min(), 0.0), (left.max() + 6.0, top.max())])
        ax.autoscale_view()
    return collection


@_styled
def weekly_training(weekly: pd.DataFrame, block: Mapping | pd.Series) -> Figure:
    """Weekly running volume, strength sessions and volume load by exercise category.

    Parameters
    ----------
    weekly : DataFrame
        :func:`analysis.metrics.weekly_metrics` rows of one runner (``week``,
        ``running_km``, ``strength_sessions_<category>``,
        ``volume_load_<category>_kg``).
    block : Mapping or Series
        The runner's :func:`analysis.blocks.runner_blocks` row.

    Returns
    -------
    Figure
        Two panels (running, strength sessions), three when any exercise had
        an external load (volume load = sets x reps x load).
    """
    block = _as_mapping(block)
    weekly = weekly.sort_values("week")
    load_cols = [f"volume_load_{c}_kg" for c in EXERCISE_CATEGORIES]
    has_load = any(c in weekly and weekly[c].fillna(0).gt(0).any() for c in load_cols)
    n = 3 if has_load else 2
    fig, axes = _figure(
        1.5 * n + 0.6, n, 1, sharex=True, left_in=0.75, right_in=1.8, bottom_in=0.3, hspace_in=0.4
    )
    axes = axes[:, 0]
    if weekly.empty:
        _no_data(axes[0], "no runs or strength sessions")
        return fig
    for ax in axes:
        _shade_block(ax, block, label=ax is axes[0])
    km = weekly["running_km"].fillna(0).to_numpy(dtype=float)
    _week_bars(axes[0], weekly["week"], np.zeros(len(km)), km, color="0.55", label="running")
    axes[0].set_ylabel("running [km/week]")
    axes[0].set_ylim(bottom=0)
    _title(axes[0], "Weekly training")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)

    panels = [(axes[1], "strength_sessions_{}", "strength sessions\nper week")]
    if has_load:
        panels.append((axes[2], "volume_load_{}_kg", "volume load\n[kg/week]"))
    for ax, pattern, ylabel in panels:
        bottom = np.zeros(len(weekly))
        for category in EXERCISE_CATEGORIES:
            col = pattern.format(category)
            if col not in weekly:
                continue
            values = weekly[col].fillna(0).to_numpy(dtype=float)
            if not values.any():
                continue
            face, hatch = _CATEGORY_STYLE[category]
            _week_bars(
                ax,
                weekly["week"],
                bottom,
                values,
                color=face,
                hatch=hatch,
                label=category.replace("_", " "),
            )
            bottom = bottom + values
        if ax is axes[1] and "strength_sessions" in weekly:
            # A session often mixes categories, so the stacked bars count
            # category-sessions; the diamonds give the sessions themselves.
            total = weekly["strength_sessions"].fillna(0).to_numpy(dtype=float)
            ax.plot(
                pd.to_datetime(weekly["week"]) + pd.Timedelta(days=3.5),
                np.where(total > 0, total, np.nan),
                "D",
                mfc="white",
                mec="black",
                mew=0.9,
                ms=4.5,
                ls="none",
                zorder=3,
                label="sessions (all categories)",
            )
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if bottom.any():
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        else:
            ax.text(0.01, 0.8, "none", transform=ax.transAxes, color="0.3")
    _title(
        axes[1],
        "by exercise category (a session with two categories counts in both)",
        fontsize=7.5,
        fontweight="normal",
    )
    _date_axis(axes[-1])
    return fig


@_styled
def vo2max_over_time(
    runs: pd.DataFrame,
    metrics: pd.DataFrame,
    lab_tests: pd.DataFrame,
    parameters: Mapping | pd.Series,
    block: Mapping | pd.Series | None = None,
    *,
    lab_max_rer: float = 1.10,
) -> Figure:
    """VO2max estimates over time from every source, and the value the analysis used.

    Parameters
    ----------
    runs : DataFrame
        The runner's runs frame (``date``, ``vo2max_est_ml_kg_min``: the
        watch's estimate).
    metrics : DataFrame
        :func:`analysis.metrics.run_metrics` rows of the runner (``race_vdot``:
        VDOT of each race, Daniels & Gilbert 1979).
    lab_tests : DataFrame
        The runner's lab stages; a test day whose top stage reached
        ``lab_max_rer`` gives a measured VO2max (its peak stage VO2).
    parameters : Mapping or Series
        The runner's :func:`analysis.metrics.runner_parameters` row
        (``vo2max_ml_kg_min``, ``vo2max_source``).
    block : Mapping or Series, optional
        The runner's :func:`analysis.blocks.runner_blocks` row (shaded).
    lab_max_rer : float
        RER a lab test must reach to count as maximal (Howley et al. 1995).

    Returns
    -------
    Figure
    """
    parameters = _as_mapping(parameters)
    fig, axes = _figure(2.7, left_in=0.6, bottom_in=0.75)
    ax = axes[0, 0]
    if block is not None:
        _shade_block(ax, _as_mapping(block))
    drawn = False
    if "vo2max_est_ml_kg_min" in runs:
        device = runs.loc[runs["vo2max_est_ml_kg_min"].notna()]
        if not device.empty:
            ax.plot(
                device["date"],
                device["vo2max_est_ml_kg_min"],
                ".",
                color="0.45",
                ms=4,
                label="watch estimate",
            )
            drawn = True
    if "race_vdot" in metrics:
        races = metrics.loc[metrics["race_vdot"].notna()]
        if not races.empty:
            ax.plot(
                races["date"],
                races["race_vdot"],
                "^",
                mfc="white",
                mec="black",
                ms=6,
                ls="none",
                label="VDOT from a race (Daniels & Gilbert 1979)",
            )
            drawn = True
    if len(lab_tests) and "rer" in lab_tests:
        days = lab_tests.assign(day=pd.to_datetime(lab_tests["date"]).dt.normalize())
        per_day = days.groupby("day").agg(peak=("vo2_ml_kg_min", "max"), top_rer=("rer", "max"))
        maximal = per_day.loc[per_day["top_rer"] >= lab_max_rer]
        if not maximal.empty:
            ax.plot(
                maximal.index,
                maximal["peak"],
                "s",
                color="black",
                ms=6,
                ls="none",
                label="lab test (maximal)",
            )
            drawn = True
    used = parameters.get("vo2max_ml_kg_min")
    if used is not None and np.isfinite(used):
        ax.axhline(
            used,
            ls="--",
            color="black",
            lw=1.0,
            label=f"value used: {used:.1f} ({parameters.get('vo2max_source', '')})",
        )
    if not drawn and (used is None or not np.isfinite(used)):
        _no_data(ax, "no VO2max estimates")
        return fig
    ax.set_ylabel("VO2max [ml/kg/min]")
    _title(ax, "VO2max estimates over time")
    _date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(-0.02, -0.12), ncol=2, borderaxespad=0)
    return fig


_DAY_STYLES = (
    dict(marker="o", mfc="white", mec="black", ls="--"),
    dict(marker="s", color="black", ls="-"),
    dict(marker="^", mfc="white", mec="black", ls=":"),
    dict(marker="D", color="0.4", ls="-."),
)


@_styled
def lab_economy(lab_stages: pd.DataFrame, *, reference_speed_kmh: float | None = None) -> Figure:
    """Oxygen cost against treadmill speed, one line per lab test day.

    Parameters
    ----------
    lab_stages : DataFrame
        :func:`analysis.metrics.lab_metrics` rows of one runner (``date``,
        ``speed_kmh``, ``o2_cost_ml_kg_km``, ``submaximal``).
    reference_speed_kmh : float, optional
        Drawn as a dotted vertical line (the speed the tests are compared at).

    Returns
    -------
    Figure
        Submaximal stages only (RER < 1.0): above it VO2 is no longer a
        steady-state measure of economy.
    """
    fig, axes = _figure(2.6, left_in=0.6, right_in=1.3, bottom_in=0.5)
    ax = axes[0, 0]
    stages = (
        lab_stages.loc[lab_stages["submaximal"].astype(bool)] if len(lab_stages) else lab_stages
    )
    if stages.empty:
        _no_data(ax, "no submaximal lab stages")
        return fig
    for i, (day, test) in enumerate(stages.groupby("date", sort=True)):
        style = _DAY_STYLES[i % len(_DAY_STYLES)]
        test = test.sort_values("speed_kmh")
        ax.plot(
            test["speed_kmh"],
            test["o2_cost_ml_kg_km"],
            ms=5,
            lw=1.1,
            label=f"{pd.Timestamp(day):%d %b %Y}",
            **({"color": "black"} | style),
        )
    if reference_speed_kmh is not None and np.isfinite(reference_speed_kmh):
        ax.axvline(reference_speed_kmh, ls=":", color="0.3", lw=1.0, label="reference speed")
    ax.set_xlabel("treadmill speed [km/h]")
    ax.set_ylabel("oxygen cost [ml/kg/km]")
    _title(ax, "Lab tests: oxygen cost at each submaximal stage")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


# --------------------------------------------------------------------------- squad figures


@_styled
def forest_plot(per_runner: pd.DataFrame, squad: pd.DataFrame | None = None) -> Figure:
    """Each runner's change in oxygen cost with its 95 % CI, and the squad estimates.

    Parameters
    ----------
    per_runner : DataFrame
        :func:`analysis.models.analyze` output; the ``field_hr`` rows are
        drawn (runners without an estimate are listed as "insufficient data").
    squad : DataFrame, optional
        :func:`analysis.models.squad_model` output, drawn as diamonds below.

    Returns
    -------
    Figure
        Filled circles: strength group; hollow squares: controls; diamonds:
        squad model effects. Left of zero = more economical.
    """
    field = per_runner.loc[per_runner["method"].eq("field_hr")].reset_index(drop=True)
    effects = pd.DataFrame() if squad is None else squad.loc[squad["estimate_pct"].notna()]
    n_rows = len(field) + (len(effects) + 1 if len(effects) else 0)
    names = [f"{r} ({g})" for r, g in zip(field["runner_id"], field["group"], strict=True)]
    names += [f"squad: {e}" for e in effects.get("effect", [])]
    fig, axes = _figure(
        max(1.8, 0.2 * n_rows + 0.85),
        left_in=0.25 + _label_width_in(names),
        right_in=1.15,
        bottom_in=0.5,
    )
    ax = axes[0, 0]
    labels = []
    y = 0
    for row in field.itertuples(index=False):
        control = str(row.group).strip().lower() == "control"
        style = (
            dict(marker="s", mfc="white", mec="black", ms=5)
            if control
            else dict(marker="o", mfc="black", mec="black", ms=5)
        )
        if np.isfinite(row.o2_cost_change_pct):
            ax.errorbar(
                row.o2_cost_change_pct,
                y,
                xerr=[
                    [row.o2_cost_change_pct - row.ci_low_pct],
                    [row.ci_high_pct - row.o2_cost_change_pct],
                ],
                color="black",
                lw=1.0,
                capsize=2,
                ls="none",
                **style,
            )
        else:
            ax.text(0, y, "insufficient data", va="center", ha="center", fontsize=7, color="0.3")
        labels.append(f"{row.runner_id} ({row.group})")
        y += 1
    if len(effects):
        y += 0.5
        for row in effects.itertuples(index=False):
            ax.errorbar(
                row.estimate_pct,
                y,
                xerr=[[row.estimate_pct - row.ci_low_pct], [row.ci_high_pct - row.estimate_pct]],
                color="black",
                marker="D",
                mfc="0.6",
                ms=6,
                lw=1.6,
                capsize=3,
                ls="none",
            )
            labels.append(f"squad: {row.effect}")
            y += 1
    positions = list(range(len(field))) + (
        [len(field) + 0.5 + i for i in range(len(effects))] if len(effects) else []
    )
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        f"change in oxygen cost [%] with {CI_LEVEL_PCT} % CI (negative = more economical)"
    )
    _title(ax, "Change over the block, per runner")
    handles = [
        mpl.lines.Line2D([], [], marker="o", color="black", ls="none", label="strength"),
        mpl.lines.Line2D([], [], marker="s", mfc="white", mec="black", ls="none", label="control"),
    ]
    if len(effects):
        handles.append(
            mpl.lines.Line2D(
                [], [], marker="D", mfc="0.6", mec="black", ls="none", label="squad model"
            )
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@_styled
def adherence_plot(adherence: pd.DataFrame) -> Figure:
    """Strength sessions per week during the block, per runner.

    Parameters
    ----------
    adherence : DataFrame
        :func:`analysis.models.runner_doses` output (``runner_id``, ``group``,
        ``sessions_per_week``).

    Returns
    -------
    Figure
        Horizontal bars; the dotted lines mark the 2-3 sessions per week of
        the programmes in the meta-analyses (SCIENCE.md section 8).
    """
    frame = adherence.reset_index(drop=True)
    fig, axes = _figure(
        max(1.6, 0.2 * len(frame) + 0.85),
        left_in=0.25 + _label_width_in(frame["runner_id"]),
        right_in=1.15,
        bottom_in=0.5,
    )
    ax = axes[0, 0]
    if frame.empty:
        _no_data(ax, "no runners")
        return fig
    control = frame["group"].astype(str).str.strip().str.lower().eq("control").to_numpy()
    values = frame["sessions_per_week"].fillna(0).to_numpy(dtype=float)
    y = np.arange(len(frame))
    ax.barh(
        y[~control], values[~control], color="0.45", edgecolor="black", lw=0.5, label="strength"
    )
    ax.barh(
        y[control],
        values[control],
        color="white",
        edgecolor="black",
        hatch="////",
        lw=0.5,
        label="control",
    )
    for ref in (2.0, 3.0):
        ax.axvline(ref, ls=":", color="black", lw=0.9)
    ax.set_yticks(y, frame["runner_id"].astype(str))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("strength sessions per week during the block")
    _title(ax, "Adherence")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


_DOSE_LABELS = {
    "sessions_per_week": "strength sessions per week during the block",
    "volume_load_kg_per_week": "volume load during the block [kg/week]",
}


@_styled
def dose_response_plot(
    per_runner: pd.DataFrame,
    doses: pd.DataFrame,
    response: pd.DataFrame | None = None,
    *,
    dose: str = "sessions_per_week",
) -> Figure:
    """Each runner's change in oxygen cost against the strength work done.

    Parameters
    ----------
    per_runner : DataFrame
        :func:`analysis.models.analyze` output (its ``field_hr`` rows).
    doses : DataFrame
        :func:`analysis.models.runner_doses` output (``runner_id``, ``group``,
        ``block_source`` and the dose column).
    response : DataFrame, optional
        :func:`analysis.models.dose_response` output; its slope for ``dose``
        is drawn through the weighted mean of the strength runners it was
        fitted on (a weighted least-squares line passes through the weighted
        means, weights 1/SE^2 with SE from the CI width).
    dose : str
        The dose column of ``doses``.

    Returns
    -------
    Figure
        Filled circles: strength group; hollow squares: controls; vertical
        bars: 95 % CIs; dashed line: the fitted slope.
    """
    fig, axes = _figure(3.1, left_in=0.8, bottom_in=0.95)
    ax = axes[0, 0]
    field = per_runner.loc[
        per_runner["method"].eq("field_hr") & per_runner["o2_cost_change_pct"].notna(),
        ["runner_id", "o2_cost_change_pct", "ci_low_pct", "ci_high_pct"],
    ]
    frame = field.merge(doses, on="runner_id")
    frame = frame.loc[frame[dose].notna()]
    if frame.empty:
        _no_data(ax, "no runner with both a change estimate and a dose")
        return fig
    control = frame["group"].astype(str).str.strip().str.lower().eq("control")
    for mask, style, label in (
        (~control, dict(marker="o", mfc="black", mec="black"), "strength"),
        (control, dict(marker="s", mfc="white", mec="black"), "control"),
    ):
        part = frame.loc[mask]
        if part.empty:
            continue
        change = part["o2_cost_change_pct"].to_numpy(dtype=float)
        dose_x = part[dose].to_numpy(dtype=float)
        ax.errorbar(
            dose_x,
            change,
            yerr=[
                change - part["ci_low_pct"].to_numpy(dtype=float),
                part["ci_high_pct"].to_numpy(dtype=float) - change,
            ],
            fmt="none",
            lw=0.8,
            capsize=2,
            color="0.4",  # caps too: a "C0" default would be resolved outside our style
            ecolor="0.4",
        )
        ax.plot(dose_x, change, ls="none", ms=5, label=label, **style)
    row = None
    if response is not None:
        rows = response.loc[response["dose"].eq(dose) & response["slope_pct"].notna()]
        row = rows.iloc[0] if len(rows) else None
    fitted = frame.loc[~control & frame["block_source"].isin(["blocks.csv", "inferred"])]
    width = (fitted["ci_high_pct"] - fitted["ci_low_pct"]).to_numpy(dtype=float)
    if row is not None and len(fitted) and np.all(width > 0):
        weight = 1.0 / width**2
        xs = fitted[dose].to_numpy(dtype=float)
        x_mean = np.average(xs, weights=weight)
        y_mean = np.average(fitted["o2_cost_change_pct"].to_numpy(dtype=float), weights=weight)
        slope = float(row["slope_pct"]) / float(row["dose_step"])
        grid = np.linspace(xs.min(), xs.max(), 20)
        ax.plot(
            grid,
            y_mean + slope * (grid - x_mean),
            "--",
            color="black",
            lw=1.0,
            label=f"fitted slope, strength group: {format_number(row['slope_pct'], 2, signed=True)}"
            f" points per {row['dose_step']:g} {row['dose_unit']}",
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(_DOSE_LABELS.get(dose, dose.replace("_", " ")))
    ax.set_ylabel("change in oxygen cost [%]\n(negative = more economical)")
    _title(ax, "Dose-response")
    ax.legend(loc="upper left", bbox_to_anchor=(-0.02, -0.22), ncol=3, borderaxespad=0)
    return fig


# --------------------------------------------------------------------------- text


def format_number(value, digits: int = 1, *, signed: bool = False) -> str:
    """A number for the report: typographic minus, ``"n/a"`` when missing."""
    if value is None or not np.isfinite(float(value)):
        return "n/a"
    text = f"{float(value):+.{digits}f}" if signed else f"{float(value):.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":  # -0.0 -> 0.0, +0.0 -> 0.0
        text = f"{0.0:.{digits}f}"
    return text.replace("-", MINUS)


def format_pct(value, digits: int = 1, *, signed: bool = True) -> str:
    """``-5.55`` -> ``"−5.6 %"`` (no-break space before the percent sign)."""
    text = format_number(value, digits, signed=signed)
    return text if text == "n/a" else f"{text}{NBSP}%"


def format_change(change_pct, ci_low_pct, ci_high_pct, digits: int = 1) -> str:
    """The change with its CI exactly as the reports print it.

    ``format_change(-5.553, -8.946, -2.034)`` gives ``"−5.6 % (95 % CI −8.9 to −2.0 %)"``
    (typographic minus, no-break spaces).
    """
    if change_pct is None or not np.isfinite(float(change_pct)):
        return "n/a"
    lo = format_number(ci_low_pct, digits, signed=True)
    hi = format_number(ci_high_pct, digits, signed=True)
    return f"{format_pct(change_pct, digits)} ({CI_LEVEL_PCT}{NBSP}% CI {lo} to {hi}{NBSP}%)"


def format_date(value, fmt: str = "%d %b %Y") -> str:
    return "n/a" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(fmt)


def display_name(runner: Mapping | pd.Series) -> str:
    """The runner's name from runners.csv, else the runner id."""
    runner = _as_mapping(runner)
    name = runner.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else str(runner["runner_id"])


def training_summary(weekly: pd.DataFrame, block: Mapping | pd.Series) -> str:
    """Running and strength per week in the baseline and in the block (Markdown)."""
    block = _as_mapping(block)
    if pd.isna(block.get("block_start")) or weekly.empty:
        return "No block dates: training is shown without a baseline/block comparison."
    week = pd.to_datetime(weekly["week"])
    start, end = pd.Timestamp(block["block_start"]), pd.Timestamp(block["block_end"])
    base = weekly.loc[(week >= pd.Timestamp(block["baseline_start"])) & (week < start)]
    during = weekly.loc[(week >= start) & (week <= end)]
    parts = []
    for label, frame in (("baseline", base), ("block", during)):
        if frame.empty:
            continue
        km = format_number(frame["running_km"].mean(), 0)
        sessions = format_number(frame.get("strength_sessions", pd.Series(0.0)).mean(), 1)
        parts.append(f"{label}: {km} km and {sessions} strength sessions per week")
    text = "Average per week, " + "; ".join(parts) + "."
    cats = [
        (c.replace("_", " "), during[f"strength_sessions_{c}"].mean())
        for c in EXERCISE_CATEGORIES
        if f"strength_sessions_{c}" in during and during[f"strength_sessions_{c}"].sum() > 0
    ]
    if cats:
        text += (
            " In the block, sessions with "
            + ", ".join(f"{name} work {format_number(v, 1)}" for name, v in cats)
            + " per week."
        )
    return text


def block_source_text(source: str) -> str:
    """How the block dates were found, in words."""
    return _BLOCK_SOURCE_TEXT.get(str(source), str(source))


def runner_header(
    runner: Mapping | pd.Series, block: Mapping | pd.Series, metrics: pd.DataFrame
) -> str:
    """Markdown title and the runner's period, block and baseline."""
    runner, block = _as_mapping(runner), _as_mapping(block)
    rid = str(runner["runner_id"])
    name = display_name(runner)
    dates = (
        pd.to_datetime(metrics["date"]) if len(metrics) else pd.Series([], dtype="datetime64[ns]")
    )
    period = (
        f"{format_date(dates.min())} to {format_date(dates.max())} ({len(metrics)} runs)"
        if len(dates)
        else "no runs"
    )
    lines = [
        f"# Running economy: {md_escape(name)}",
        "",
        f"**Runner** {md_escape(rid)} · **group** {md_escape(str(block.get('group', '')))} · "
        f"**training log** {period}  ",
    ]
    if pd.isna(block.get("block_start")):
        lines.append(f"**Strength block** {block_source_text(block.get('block_source', 'none'))}")
    else:
        weeks = block.get("block_weeks")
        weeks_text = f" ({weeks:g} weeks)" if weeks is not None and np.isfinite(weeks) else ""
        lines.append(
            f"**Strength block** {format_date(block['block_start'])} to "
            f"{format_date(block['block_end'])}{weeks_text}, "
            f"{block_source_text(block.get('block_source', ''))}  "
        )
        baseline_end = pd.Timestamp(block["block_start"]) - pd.Timedelta(days=1)
        lines.append(
            f"**Baseline** {format_date(block['baseline_start'])} to {format_date(baseline_end)}"
        )
    return "\n".join(lines)


def _ratio_text(change_pct: float, typical_error_pct: float) -> str:
    if not np.isfinite(typical_error_pct) or typical_error_pct <= 0:
        return ""
    ratio = abs(change_pct) / typical_error_pct
    te = format_pct(typical_error_pct, signed=False)
    if ratio < 1:
        return (
            f"; the change is smaller than the typical error of a single run ({te}): "
            "it shows in the trend over many runs, not from one run to the next"
        )
    return f"; the change is {ratio:.1f} times the typical error of a single run ({te})"


def answer_sentence(row: Mapping | pd.Series, name: str | None = None) -> str:
    """The report's answer in one sentence (Markdown), from one :func:`analyze` row.

    Says the change in oxygen cost with its 95 % CI, the verdict and how the
    change compares with the typical error of a single measurement (the
    per-run residual SD, Hopkins 2000). A runner without an estimate gets the
    reason instead.
    """
    row = _as_mapping(row)
    who = name or str(row["runner_id"])
    lab = row.get("method") == "lab"
    what = "In the lab tests" if lab else "From the steady runs"
    verdict = str(row.get("verdict", ""))
    change = row.get("o2_cost_change_pct")
    if verdict.startswith("insufficient data") or change is None or not np.isfinite(change):
        reason = verdict.split(":", 1)[1].strip() if ":" in verdict else verdict
        return (
            f"**{what}, the question cannot be answered for {md_escape(who)} yet**: "
            f"{md_escape(reason) or 'no estimate'}."
        )
    control = str(row.get("group", "")).strip().lower() == "control"
    span = "from before to after the block" if lab else "from the baseline to the end of the block"
    context = " (a control runner, so this is the change without strength work)" if control else ""
    change_text = format_change(change, row["ci_low_pct"], row["ci_high_pct"])
    sentence = (
        f"{what}, {md_escape(who)}'s oxygen cost of running changed by **{change_text}** "
        f"{span}{context}: **{_VERDICT_TEXT.get(verdict, verdict)}**"
        f"{_ratio_text(float(change), float(row.get('typical_error_pct', np.nan)))}."
    )
    return sentence


def squad_sentence(squad: pd.DataFrame) -> str:
    """The squad model's answer (Markdown) from :func:`analysis.models.squad_model`."""
    rows = squad.set_index("effect")
    notes = "; ".join(n for n in squad["note"].dropna().astype(str).unique() if n)
    if "strength minus control" in rows.index and np.isfinite(
        rows.loc["strength minus control", "estimate_pct"]
    ):
        r = rows.loc["strength minus control"]
        text = (
            "Across the squad, the strength group's change in oxygen cost differed from the "
            f"controls' by **{format_change(r['estimate_pct'], r['ci_low_pct'], r['ci_high_pct'])}** "
            f"(mixed model over {int(r['n_runners'])} runners; CI: {r['ci_method']})."
        )
    else:
        present = [
            e
            for e in ("strength change", "control change")
            if e in rows.index and np.isfinite(rows.loc[e, "estimate_pct"])
        ]
        if not present:
            return f"**No squad estimate**: {md_escape(notes) or 'the squad model could not be fitted'}."
        r = rows.loc[present[0]]
        text = (
            f"Across the squad, the {present[0]} in oxygen cost was "
            f"**{format_change(r['estimate_pct'], r['ci_low_pct'], r['ci_high_pct'])}** "
            f"(mixed model over {int(r['n_runners'])} runners; CI: {r['ci_method']})."
        )
    if notes:
        text += f" Note: {md_escape(notes)}."
    return text


def md_escape(text: str) -> str:
    """Escape Markdown control characters in data-derived text (names, reasons)."""
    return "".join("\\" + c if c in "\\`*_{}[]<>#|" else c for c in str(text))


def unknown_exercises_note(strength: pd.DataFrame) -> str:
    """Markdown naming the exercises that were not recognised ("" when none).

    Unrecognised names are counted in the ``other`` category, never dropped;
    the note lets the coach rename them or add a ``category`` column.
    """
    from analysis.strength import unknown_exercises

    if strength.empty or "exercise" not in strength.columns:
        return ""
    rows = strength
    if "category" in rows.columns:
        rows = rows.loc[rows["category"].astype(object) == "other"]
    names = unknown_exercises(rows["exercise"])
    if not names:
        return ""
    counts = rows["exercise"].astype(str).str.strip().str.lower().value_counts()
    listed = ", ".join(f"{md_escape(n)} ({int(counts.get(n.lower(), 0))})" for n in names)
    return (
        f"Exercise names not recognised, counted as *other* ({len(names)}): {listed}. "
        "Rename them in strength.csv or give a `category` column to classify them."
    )


# --------------------------------------------------------------------------- tables


def html_table(frame: pd.DataFrame, *, caption: str | None = None, long: bool = False) -> str:
    """An HTML table of already formatted cells (escaped; no index).

    ``caption`` is printed above the table and kept on its page; ``long=True``
    lets a long table break across pages (its header repeats).
    """
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    # Numbers (and "n/a") are right-aligned, text left-aligned.
    numeric = [
        bool(len(cells)) and cells[c].str.match(r"^([+\u2212-]?\d|n/a$|< ?0\.|$)").all()
        for c in cells.columns
    ]
    align = ['class="num"' if n else 'class="text"' for n in numeric]
    head = "".join(
        f"<th {a}>{html.escape(str(c))}</th>" for c, a in zip(frame.columns, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td {a}>{html.escape(v)}</td>" for v, a in zip(row, align, strict=True))
        + "</tr>"
        for row in cells.itertuples(index=False)
    )
    css = "runeco long" if long else "runeco"
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="{css}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """One formatted row per method of :func:`analysis.models.analyze` output."""
    methods = {"field_hr": "field (heart rate)", "lab": "lab test"}
    return pd.DataFrame(
        {
            "method": results["method"].map(methods).fillna(results["method"]),
            "oxygen cost [ml/kg/km], baseline to end": [
                f"{format_number(b, 1)} to {format_number(e, 1)}"
                for b, e in zip(
                    results["baseline_o2_cost_ml_kg_km"],
                    results["end_o2_cost_ml_kg_km"],
                    strict=True,
                )
            ],
            "change (95 % CI)": [
                format_change(c, lo, hi)
                for c, lo, hi in zip(
                    results["o2_cost_change_pct"],
                    results["ci_low_pct"],
                    results["ci_high_pct"],
                    strict=True,
                )
            ],
            "p": results["p_value"].map(_format_p),
            "runs or stages (baseline, block)": [
                f"{_int(b)}, {_int(k)}"
                for b, k in zip(results["n_baseline_runs"], results["n_block_runs"], strict=True)
            ],
            "verdict": results["verdict"].astype(str),
        }
    )


def _format_p(p) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _int(value) -> str:
    return "n/a" if value is None or pd.isna(value) else str(int(value))


def exclusions_table(fit_frame: pd.DataFrame, n_quarantined: int = 0) -> pd.DataFrame:
    """Runs used and left out, by reason (``RunnerFit.frame``)."""
    frame = fit_frame
    period = frame["period"].astype(str)
    used = frame["used"].astype(bool)
    rows = [
        ("used in the model: baseline", int((used & period.eq("baseline")).sum())),
        ("used in the model: block", int((used & period.eq("block")).sum())),
    ]
    window = ~period.eq("outside")
    left = frame.loc[window & ~used, "exclude_reason"].astype(str).replace("", "other")
    rows += [(f"left out: {reason}", int(n)) for reason, n in left.value_counts().items()]
    outside = int((~window).sum())
    if outside:
        rows.append(("outside the baseline and block (not analysed)", outside))
    if n_quarantined:
        rows.append(("quarantined rows in runs.csv (not loaded)", int(n_quarantined)))
    return pd.DataFrame(rows, columns=["runs", "count"])


def parameters_table(parameters: Mapping | pd.Series) -> pd.DataFrame:
    """HRrest, HRmax and VO2max with their sources (:func:`analysis.metrics.runner_parameters`)."""
    p = _as_mapping(parameters)
    rows = []
    for label, value, unit, source in (
        ("resting heart rate", "hr_rest_bpm", "bpm", "hr_rest_source"),
        ("maximal heart rate", "hr_max_bpm", "bpm", "hr_max_source"),
        ("VO2max", "vo2max_ml_kg_min", "ml/kg/min", "vo2max_source"),
    ):
        src = str(p.get(source, ""))
        rows.append(
            (
                label,
                f"{format_number(p.get(value), 0 if unit == 'bpm' else 1)} {unit}",
                src,
                "DEFAULT: set it in runners.csv" if src == "default" else "",
            )
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "source", "note"])


def quarantine_table(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows: file, line, column, value and reason."""
    cols = ["file", "line", "column", "value", "reason"]
    if quarantine.empty:
        return pd.DataFrame(columns=cols)
    out = quarantine.loc[:, [c for c in cols if c in quarantine]].copy()
    out["line"] = out["line"].map(_int)
    return out.sort_values(["file", "line"], kind="stable")


def squad_table(per_runner: pd.DataFrame, runners: pd.DataFrame | None = None) -> pd.DataFrame:
    """One formatted row per runner and method: group, change (95 % CI), verdict, runs."""
    frame = per_runner.copy()
    names = {}
    if runners is not None and "name" in runners:
        names = dict(zip(runners["runner_id"].astype(str), runners["name"].fillna(""), strict=True))
    return pd.DataFrame(
        {
            "runner": frame["runner_id"].astype(str),
            "name": frame["runner_id"].astype(str).map(names).fillna(""),
            "group": frame["group"].astype(str),
            "method": frame["method"]
            .map({"field_hr": "field", "lab": "lab"})
            .fillna(frame["method"]),
            "change (95 % CI)": [
                format_change(c, lo, hi)
                for c, lo, hi in zip(
                    frame["o2_cost_change_pct"],
                    frame["ci_low_pct"],
                    frame["ci_high_pct"],
                    strict=True,
                )
            ],
            "verdict": frame["verdict"].astype(str),
            "runs (baseline, block)": [
                f"{_int(b)}, {_int(k)}"
                for b, k in zip(frame["n_baseline_runs"], frame["n_block_runs"], strict=True)
            ],
        }
    )


def lab_table(at_speed: pd.DataFrame) -> pd.DataFrame:
    """Each lab test day at the common reference speed (:func:`analysis.metrics.lab_economy_at_speed`)."""
    return pd.DataFrame(
        {
            "test day": at_speed["date"].map(format_date),
            "reference speed [km/h]": at_speed["reference_speed_kmh"].map(
                lambda v: format_number(v, 1)
            ),
            "VO2 [ml/kg/min]": at_speed["vo2_ml_kg_min"].map(lambda v: format_number(v, 1)),
            "oxygen cost [ml/kg/km]": at_speed["o2_cost_ml_kg_km"].map(
                lambda v: format_number(v, 1)
            ),
            "energy cost [J/kg/m]": at_speed["energy_cost_j_kg_m"].map(
                lambda v: format_number(v, 2)
            ),
            "stages": at_speed["n_stages"].map(_int),
        }
    )


def squad_header(dataset_name: str, results: pd.DataFrame, blocks: pd.DataFrame) -> str:
    """Markdown title of the squad report: runners per group and the block dates."""
    field = results.loc[results["method"].eq("field_hr")]
    groups = field["group"].astype(str).value_counts()
    group_text = ", ".join(f"{n} {g}" for g, n in groups.items())
    own = blocks.loc[blocks["runner_id"].isin(field["runner_id"])]
    lines = [
        f"# Squad report: {md_escape(dataset_name)}",
        "",
        f"**Runners** {len(field)} ({group_text})  ",
    ]
    sources = own["block_source"].astype(str).value_counts()
    if own["block_start"].notna().any():
        lines.append(
            f"**Strength blocks** {format_date(own['block_start'].min())} to "
            f"{format_date(own['block_end'].max())}; dates "
            + ", ".join(f"{block_source_text(s)}: {n}" for s, n in sources.items())
        )
    else:
        lines.append("**Strength blocks** none in the squad")
    return "\n".join(lines)


def effects_table(squad: pd.DataFrame) -> pd.DataFrame:
    """The squad model's effects (:func:`analysis.models.squad_model`), formatted."""
    return pd.DataFrame(
        {
            "effect": squad["effect"].astype(str),
            "estimate (95 % CI)": [
                format_change(e, lo, hi)
                for e, lo, hi in zip(
                    squad["estimate_pct"], squad["ci_low_pct"], squad["ci_high_pct"], strict=True
                )
            ],
            "p": squad["p_value"].map(_format_p),
            "runners": squad["n_runners"].map(_int),
            "runs": squad["n_runs"].map(_int),
            "CI method": squad["ci_method"].fillna("").astype(str),
        }
    )


def dose_sentence(response: pd.DataFrame, dose: str = "sessions_per_week") -> str:
    """The dose-response slope in words (Markdown), from :func:`analysis.models.dose_response`."""
    rows = response.loc[response["dose"].eq(dose)]
    if rows.empty:
        return "No dose-response estimate."
    r = rows.iloc[0]
    if not np.isfinite(r["slope_pct"]):
        return f"No dose-response estimate: {md_escape(r['note']) or 'not enough runners'}."
    step = f"{r['dose_step']:g} {r['dose_unit']}"
    return (
        f"Across {int(r['n_runners'])} strength runners, each additional {step} went with a "
        f"change in oxygen cost of {format_number(r['slope_pct'], 2, signed=True)} percentage points "
        f"(95{NBSP}% CI {format_number(r['ci_low_pct'], 2, signed=True)} to "
        f"{format_number(r['ci_high_pct'], 2, signed=True)}; p {_format_p(r['p_value'])}). "
        "Runners chose or were given their dose, so this is an association, not a dose effect."
    )


def adherence_table(doses: pd.DataFrame) -> pd.DataFrame:
    """Strength work per runner during the block (:func:`analysis.models.runner_doses`)."""
    return pd.DataFrame(
        {
            "runner": doses["runner_id"].astype(str),
            "group": doses["group"].astype(str),
            "block weeks": doses["block_weeks"].map(lambda v: format_number(v, 1)),
            "sessions": doses["sessions"].map(_int),
            "sessions/week": doses["sessions_per_week"].map(lambda v: format_number(v, 1)),
            "heavy/week": doses["sessions_per_week_heavy"].map(lambda v: format_number(v, 1)),
            "explosive/week": doses["sessions_per_week_explosive"].map(
                lambda v: format_number(v, 1)
            ),
            "plyometric/week": doses["sessions_per_week_plyometric"].map(
                lambda v: format_number(v, 1)
            ),
            "volume load [kg/week]": doses["volume_load_kg_per_week"].map(
                lambda v: format_number(v, 0)
            ),
        }
    )


# --------------------------------------------------------------------------- methods


def _heat_onset_c():
    from analysis import models

    return getattr(models, "HEAT_ONSET_C", None)


def _term_words(term: str) -> str:
    onset = _heat_onset_c()
    words = {
        "temp_c_dev": "air temperature",
        "heat_c_dev": f"heat (air temperature above {onset:g} °C)" if onset else "heat",
        "drift_min_dev": "cardiac drift (run time beyond an hour)",
        "drift_km_dev": "cardiac drift (distance beyond 12 km)",
        "offset(speed_cost_dev)": (
            "speed (a fixed adjustment along Daniels & Gilbert's cost-speed curve, "
            "so speed cannot absorb the change)"
        ),
    }
    return words.get(term, term.replace("_", " "))


def _se_words(se_method: str) -> str:
    if "Newey-West" in se_method or "HAC" in se_method:
        return (
            "Newey-West standard errors, which stay valid when the residuals of runs on "
            "nearby days are correlated (Newey & West 1987)"
        )
    if se_method.startswith("GLS"):
        return (
            "generalised least squares with serially correlated errors (an AR(1) process in "
            "days plus white noise, variances estimated by REML), the model-based alternative "
            "to Newey-West standard errors (Newey & West 1987) for runs on nearby days"
        )
    return md_escape(se_method) if se_method else "its standard errors"


def economy_caption(row: Mapping | pd.Series, fit_frame: pd.DataFrame) -> str:
    """What the economy figure shows, with the runner's numbers (Markdown)."""
    row = _as_mapping(row)
    n_used = int(fit_frame["used"].astype(bool).sum())
    text = f"{n_used} steady runs entered the model."
    temp, gas = row.get("reference_temp_c"), row.get("reference_gas_m_min")
    if gas is not None and np.isfinite(gas):
        text += (
            f" Reference conditions (the runner's baseline medians): "
            f"{format_number(temp, 1)} °C and {format_number(gas * 0.06, 1)} km/h grade-adjusted."
        )
    coef = row.get("temp_coef_pct_per_c")
    if coef is not None and np.isfinite(coef):
        onset = _heat_onset_c()
        per = f"per °C above {onset:g} °C" if onset else "per °C"
        text += (
            " Heart rate, and with it the estimated cost, changed by "
            f"{format_change(coef, row['temp_coef_ci_low_pct_per_c'], row['temp_coef_ci_high_pct_per_c'], 2)} "
            f"{per}; the filled dots take out this and the other adjustments."
        )
    elif n_used:
        text += " No temperature adjustment (too few runs with an air temperature)."
    return text


def methods_markdown(row: Mapping | pd.Series, lab_rows: pd.DataFrame | None = None) -> str:
    """The runner report's methods note, with this runner's model (Markdown).

    ``lab_rows`` are the runner's ``lab`` rows of :func:`analysis.models.analyze`;
    when there are any, a paragraph says how the lab change and its CI were
    computed and what the CI leaves out.
    """
    row = _as_mapping(row)
    terms = [t.strip() for t in str(row.get("model_terms") or "").split("+")]
    confounders = [_term_words(t) for t in terms if t and t not in ("1", "ramp")]
    model = (
        "Log oxygen cost is regressed on a baseline level and a ramp rising linearly through "
        "the block"
        + (", adjusted for " + ", ".join(confounders) if confounders else "")
        + " (centred on the runner's baseline conditions). The change is the ramp's effect "
        "at the end of the block; its 95 % confidence interval comes from "
        + _se_words(str(row.get("se_method") or ""))
        + ". The typical error is the residual variation of a single run (Hopkins 2000)."
    )
    if not row.get("model_terms"):
        model = "This runner could not be modelled: " + md_escape(str(row.get("verdict", ""))) + "."
    return "\n\n".join(
        [
            "## Methods",
            "**Field estimate.** On each steady run (easy, long, recovery, tempo and threshold "
            "runs long enough and with heart rate in the usable range; intervals and races are "
            "left out) the fraction of heart-rate reserve is taken as the fraction of VO2 "
            "reserve (Swain & Leutholtz 1997), giving VO2 from the runner's resting and maximal "
            "heart rate and VO2max. Dividing by the grade-adjusted speed (Minetti et al. 2002) "
            "gives the oxygen cost per kilometre on the flat. Race VDOT follows Daniels & "
            "Gilbert (1979).",
            f"**Model.** {model}",
            *(
                [
                    "**Lab estimate.** Oxygen cost is measured on each treadmill stage and "
                    "interpolated to a reference speed shared by the tests before and after the "
                    "block. Its confidence interval reflects the stage-to-stage noise of those "
                    "two tests only: the day-to-day variation of submaximal VO2 (about 1.5-3 % "
                    "in trained runners; Saunders et al. 2004) cannot be estimated from one test "
                    "on each side and is not in it, so a lab change of a few percent is less "
                    "certain than its interval suggests."
                ]
                if lab_rows is not None and len(lab_rows)
                else []
            ),
            "**Caveat.** A heart-rate based estimate cannot separate economy from aerobic "
            "fitness: a lower heart rate at the same pace means either a lower oxygen cost or a "
            "higher VO2max. Lab tests, which measure oxygen uptake directly, separate them.",
            "*References.* Swain DP, Leutholtz BC (1997) Med Sci Sports Exerc 29:410-414. "
            "Daniels J, Gilbert J (1979) Oxygen Power. Minetti AE et al. (2002) J Appl Physiol "
            "93:1039-1046. Newey WK, West KD (1987) Econometrica 55:703-708. Hopkins WG (2000) "
            "Sports Med 30:1-15."
            + (
                " Saunders PU et al. (2004) Med Sci Sports Exerc 36:1972-1976."
                if lab_rows is not None and len(lab_rows)
                else ""
            ),
        ]
    )


def squad_methods_markdown(squad: pd.DataFrame) -> str:
    """The squad report's methods note (Markdown), with the CI method actually used."""
    methods = sorted({str(m) for m in squad["ci_method"].dropna() if str(m)})
    random = sorted({str(m) for m in squad["random_effects"].dropna() if str(m)})
    ci_text = (
        "Its confidence intervals: " + "; ".join(md_escape(m) for m in methods) + "."
        if methods
        else "The squad model could not be fitted."
    )
    return "\n\n".join(
        [
            "## Methods",
            "Each runner's change comes from their own model (see a runner report): log oxygen "
            "cost, estimated from heart rate on steady runs (Swain & Leutholtz 1997) at "
            "grade-adjusted speed (Minetti et al. 2002), on a baseline level and a linear ramp "
            "through the block with adjustments for the conditions of each run, its confidence "
            "interval allowing for correlated errors on nearby days (Newey & West 1987). "
            "Control runners are modelled over the squad's block dates.",
            "The squad model is a linear mixed model over all runners' steady runs with a "
            "random "
            + (" / ".join(md_escape(r) for r in random) if random else "intercept")
            + " per runner (Laird & Ware 1982); the strength-minus-control difference is the "
            "interaction of the ramp with the group. "
            + ci_text
            + " Without a control group a change cannot be separated from seasonal trends. The "
            "dose-response slope is an association across runners, not a controlled dose effect.",
            "**Caveat.** Heart-rate based estimates cannot separate economy from aerobic "
            "fitness; only lab tests measure oxygen uptake directly.",
            "*References.* Swain DP, Leutholtz BC (1997) Med Sci Sports Exerc 29:410-414. "
            "Daniels J, Gilbert J (1979) Oxygen Power. Minetti AE et al. (2002) J Appl Physiol "
            "93:1039-1046. Newey WK, West KD (1987) Econometrica 55:703-708. Hopkins WG (2000) "
            "Sports Med 30:1-15. Laird NM, Ware JH (1982) Biometrics 38:963-974.",
        ]
    )
