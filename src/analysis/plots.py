"""Figures and the small text and table pieces of the reports.

One function per figure: it takes the frames the library computes
(:mod:`analysis.metrics`, :mod:`analysis.blocks`, :mod:`analysis.models`)
and returns a :class:`matplotlib.figure.Figure`, built without pyplot (no
global figure registry, nothing shown twice in a notebook). Every figure reads
in black-and-white print: series differ by marker shape, fill and line style,
never by colour alone; blocks are shaded grey; bars are hatched. Each figure
carries a short file-safe name as its label (``economy``, ``hr-vs-pace``,
``training``, ``vo2max``, ``lab-economy``, ``forest``, ``dose-response``,
``adherence``; ``forest-2`` for part 2 of a figure in parts), which
``runeco report --figures`` uses as the file name.

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
from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.blocks import training_window
from analysis.formatting import CI_LEVEL_PCT, as_mapping, figure_text, format_number
from analysis.models.columns import first_blocks
from analysis.schema import EXERCISE_CATEGORIES, is_control

FIGURE_WIDTH_IN = 6.9
"""Text width of an A4 page with 16 mm margins [in]; figures are drawn at print size."""


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
    # Labels hold user text (names, groups): never parse it as mathtext.
    "text.parse_math": False,
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
    name: str = "figure",
    **subplot_kw,
):
    """A print-width figure with fixed margins [in], labelled ``name``.

    ``name`` becomes the figure's label (:meth:`Figure.get_label`): a short,
    file-safe word that ``runeco report --figures`` uses as the file name.

    Fixed margins rather than constrained layout: the figures have a known
    width and known labels, and a layout engine would measure every text
    element again on each draw (it was ~40 % of a figure's rendering time).
    """
    width = FIGURE_WIDTH_IN
    fig = Figure(figsize=(width, height_in))
    fig.set_label(name)
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


def _title(ax, text: str, *, pad: float = 5, **kwargs) -> None:
    # An explicit y skips matplotlib's search for overlapping tick labels on every draw.
    ax.set_title(text, y=1.0, pad=pad, **kwargs)


def _legend_below(ax, *, ncol: int, below_in: float = 0.21) -> None:
    """A legend under the axes, ``below_in`` inches below their bottom edge (clear of
    the tick labels whatever the figure's height; an axes fraction was not)."""
    axes_h_in = ax.get_position().height * ax.figure.get_figheight()
    ax.legend(
        loc="upper left", bbox_to_anchor=(-0.02, -below_in / axes_h_in), ncol=ncol, borderaxespad=0
    )


def _label_width_in(labels) -> float:
    """Rough width of the longest tick label at 7.5 pt [in]."""
    return 0.055 * max((len(str(s)) for s in labels), default=4)


class _YearInFirstTick(mdates.ConciseDateFormatter):
    """matplotlib's concise dates, with the year (its "offset") in the first tick's
    label instead of below the right end of the axis, where the legend under the
    axes covered it ("2026" over "speed", on a block that starts in February)."""

    def format_ticks(self, values):
        labels = list(super().format_ticks(values))
        offset = super().get_offset()  # of the last tick: a year, or a month and year
        if labels and offset:
            first = mdates.num2date(values[0])
            labels[0] = (
                f"{labels[0]} {first:%Y}" if offset.isdigit() else f"{first.day} {first:%b %Y}"
            )
        return labels

    def get_offset(self) -> str:
        return ""


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_YearInFirstTick(locator))


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


# --------------------------------------------------------------------------- runner figures


SEASON_WINDOW_DAYS = 28
"""Width of the rolling season estimate of :func:`season_rolling` [days]."""


def season_rolling(
    fit_frame: pd.DataFrame, window_days: int = SEASON_WINDOW_DAYS, min_runs: int = 4
) -> pd.DataFrame:
    """The season's economy as a rolling mean of every steady run, with a 95 % band.

    Every steady run with an estimate (in the model or outside its window)
    enters a centred window of ``window_days``; at each run's date the mean
    estimated oxygen cost of the runs in the window and its 95 % interval
    (mean ± t(n-1) · SD/√n), where the window holds at least ``min_runs`` runs.
    A description of the season, not the model: it is not adjusted for
    temperature, distance or speed.

    Returns
    -------
    DataFrame
        ``date``, ``mean``, ``low``, ``high``, ``n`` (runs in the window),
        sorted by date; empty without enough runs.
    """
    from scipy import special  # t quantiles as scipy.stats.t.ppf has them, without scipy.stats

    cost = pd.to_numeric(fit_frame.get("o2_cost_ml_kg_km"), errors="coerce")
    steady = (
        fit_frame["steady"].astype(bool)
        if "steady" in fit_frame
        else pd.Series(True, index=fit_frame.index)
    )
    keep = steady & np.isfinite(cost.astype(float))
    series = pd.Series(
        cost[keep].to_numpy(dtype=float), index=pd.to_datetime(fit_frame.loc[keep, "date"])
    ).sort_index()
    empty = pd.DataFrame(columns=["date", "mean", "low", "high", "n"])
    if len(series) < min_runs:
        return empty
    window = series.rolling(f"{int(window_days)}D", center=True, min_periods=min_runs)
    mean, sd, n = window.mean(), window.std(), window.count()
    half = special.stdtrit(np.maximum(n - 1, 1), 0.975) * sd / np.sqrt(n)
    out = pd.DataFrame(
        {
            "date": series.index,
            "mean": mean.to_numpy(),
            "low": (mean - half).to_numpy(),
            "high": (mean + half).to_numpy(),
            "n": n.to_numpy(),
        }
    )
    return out.loc[out["mean"].notna()].reset_index(drop=True)


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
        change through the block); grey band: the strength block; grey
        crosses: steady runs of the rest of the season (not in the model);
        light band and thin line: the season, a rolling mean of every steady
        run with its 95 % interval (:func:`season_rolling`).
    """
    block = as_mapping(block)
    fig, axes = _figure(2.5, left_in=0.8, bottom_in=0.75, name="economy")
    ax = axes[0, 0]
    frame = fit_frame.sort_values("date")
    used = frame.loc[frame["used"].astype(bool)]
    _shade_block(ax, block)
    rolling = season_rolling(frame)
    if len(rolling):  # the band's edges dotted: a fill alone vanishes on the block's grey
        for edge in ("low", "high"):
            ax.plot(rolling["date"], rolling[edge], ":", color="0.45", lw=0.8, zorder=0.6)
        ax.plot(
            rolling["date"],
            rolling["mean"],
            "-",
            color="0.5",
            lw=1.0,
            zorder=0.6,
            label=f"season: {SEASON_WINDOW_DAYS}-day mean, 95 % band (dotted)",
        )
    # the whole season: steady runs before the baseline and after the block, not in
    # the model, drawn faintly so the block is seen in its context (issue 13)
    season = (
        frame.loc[
            frame["period"].eq("outside")
            & frame["steady"].astype(bool)
            & np.isfinite(frame["o2_cost_ml_kg_km"].astype(float))
        ]
        if "period" in frame and "steady" in frame
        else frame.iloc[:0]
    )
    if len(season):
        ax.plot(
            season["date"],
            season["o2_cost_ml_kg_km"],
            "x",
            ms=3.5,
            color="0.6",
            mew=0.7,
            ls="none",
            label="steady run outside the analysis window",
        )
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
            label="model: baseline level, then the change through the block",
        )
    ax.set_ylabel("oxygen cost [ml/kg/km]\n(lower = more economical)")
    _title(ax, "Economy over time (field estimate from heart rate)")
    _date_axis(ax)
    _legend_below(ax, ncol=2)
    return fig


def _block_label(row: Mapping) -> str:
    start, end = pd.Timestamp(row["block_start"]), pd.Timestamp(row["block_end"])
    return f"block {int(row.get('block', 1))}\n{start:%d %b} to {end:%d %b %Y}"


@_styled
def block_changes(field_rows: pd.DataFrame) -> Figure:
    """The change of each of a runner's blocks with its CI, side by side.

    Parameters
    ----------
    field_rows : DataFrame
        The runner's ``field_hr`` rows of :func:`analysis.models.analyze`, one
        per block (``block``, ``block_start``, ``block_end``,
        ``o2_cost_change_pct``, ``ci_low_pct``, ``ci_high_pct``, ``swc_pct``).

    Returns
    -------
    Figure
        One dot and 95 % CI per block; a block without an estimate is named
        with "no estimate"; the band is the smallest worthwhile change.
    """
    rows = field_rows.to_dict("records")
    fig, axes = _figure(2.6, left_in=0.8, bottom_in=0.55)
    ax = axes[0, 0]
    x = np.arange(len(rows))
    swc = next((float(r["swc_pct"]) for r in rows if np.isfinite(float(r["swc_pct"]))), np.nan)
    if np.isfinite(swc):
        ax.axhspan(-swc, swc, color=BLOCK_SHADE, lw=0, zorder=0, label="smallest worthwhile change")
    ax.axhline(0.0, color="0.3", lw=0.8)
    for k, row in zip(x, rows, strict=True):
        change = float(row["o2_cost_change_pct"])
        if not np.isfinite(change):
            ax.text(k, 0.0, "no estimate", ha="center", va="bottom", color="0.3")
            continue
        low, high = float(row["ci_low_pct"]), float(row["ci_high_pct"])
        ax.errorbar(
            k,
            change,
            yerr=[[change - low], [high - change]],
            fmt="o",
            color="black",
            capsize=4,
            ms=5,
            lw=1.2,
        )
        ax.annotate(
            format_number(change, 1, signed=True) + " %",
            (k, change),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_xticks(x, [_block_label(r) for r in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylabel(f"change in oxygen cost [%]\n{CI_LEVEL_PCT} % CI; below 0 = more economical")
    _title(ax, "Change over each block")
    if np.isfinite(swc):
        ax.legend(loc="upper right")
    return fig


@_styled
def season_economy(fit_frames: list[pd.DataFrame], field_rows: pd.DataFrame) -> Figure:
    """Economy over the whole log with every block shaded and each block's model.

    Parameters
    ----------
    fit_frames : list of DataFrame
        ``RunnerFit.frame`` of each block, in block order (block 1's, then
        ``RunnerFit.later``'s); each holds every run of the runner.
    field_rows : DataFrame
        The runner's ``field_hr`` rows, one per block, in the same order.

    Returns
    -------
    Figure
        Hollow circles: every steady run as estimated; filled dots: the runs
        each block's model used, adjusted to that block's reference
        conditions; lines: each block's model (its baseline level, then its
        change); grey bands: the blocks, each labelled.
    """
    fig, axes = _figure(3.1, left_in=0.8, bottom_in=0.75)
    ax = axes[0, 0]
    rows = field_rows.to_dict("records")
    for k, row in enumerate(rows):
        _shade_block(ax, row, label=k == 0)
        if pd.notna(row["block_start"]):
            ax.annotate(
                f"block {int(row.get('block', k + 1))}",
                (pd.Timestamp(row["block_start"]), 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                color="0.3",
            )
    frame = fit_frames[0] if fit_frames else pd.DataFrame()
    steady = (
        frame.loc[
            frame["steady"].astype(bool) & np.isfinite(frame["o2_cost_ml_kg_km"].astype(float))
        ]
        if len(frame)
        else frame
    )
    if steady.empty:
        _no_data(ax, "no steady runs with heart rate")
        return fig
    ax.plot(
        steady["date"],
        steady["o2_cost_ml_kg_km"],
        "o",
        ms=3.5,
        mfc="white",
        mec="0.55",
        mew=0.6,
        ls="none",
        label="steady run, as estimated",
    )
    for k, own in enumerate(fit_frames):
        used = own.loc[own["used"].astype(bool)]
        ax.plot(
            used["date"],
            used["o2_cost_adjusted_ml_kg_km"],
            "o",
            ms=2.6,
            color="black",
            ls="none",
            label="adjusted, in a block's model" if k == 0 else None,
        )
        trend = own.loc[own["o2_cost_trend_ml_kg_km"].notna()].sort_values("date")
        ax.plot(
            trend["date"],
            trend["o2_cost_trend_ml_kg_km"],
            "-",
            color="black",
            lw=1.8,
            label="each block's model" if k == 0 else None,
        )
    ax.set_ylabel("oxygen cost [ml/kg/km]\n(lower = more economical)")
    _title(ax, "Economy over the season, every block")
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
    block = as_mapping(block)
    fig, axes = _figure(2.3, left_in=0.6, bottom_in=0.5, name="hr-vs-pace")
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


def _left_out_words(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """The weekly-training title's note on the weeks of training it leaves out."""
    parts = []
    for frame, when in ((before, "earlier"), (after, "later")):
        if len(frame):
            weeks = pd.to_datetime(frame["week"])
            first, last = f"{weeks.min():%b %Y}", f"{weeks.max():%b %Y}"
            span = first if first == last else f"{first}-{last}"
            parts.append(f"{len(frame)} {when} week{'s' * (len(frame) != 1)} ({span})")
    return f" ({' and '.join(parts)} of training not shown)" if parts else ""


@_styled
def weekly_training(
    weekly: pd.DataFrame, block: Mapping | pd.Series, last_block_end=None
) -> Figure:
    """Weekly running volume, strength sessions and volume load by exercise category.

    Parameters
    ----------
    weekly : DataFrame
        :func:`analysis.metrics.weekly_metrics` rows of one runner (``week``,
        ``running_km``, ``strength_sessions_<category>``,
        ``volume_load_<category>_kg``).
    block : Mapping or Series
        The runner's :func:`analysis.blocks.runner_blocks` row.
    last_block_end : date, optional
        The end of the runner's last block, when it has several. The chart
        spans the baseline to the last block, with a few weeks either side
        (:func:`analysis.blocks.training_window`); the title counts the weeks
        of training left out.

    Returns
    -------
    Figure
        Two panels (running, strength sessions), three when any exercise had
        an external load (volume load = sets x reps x load); running alone,
        titled so, when no strength session was logged (an empty panel
        said no more than the title and took a sixth of a page).
    """
    block = as_mapping(block)
    weekly, before, after = training_window(weekly.sort_values("week"), block, last_block_end)
    load_cols = [f"volume_load_{c}_kg" for c in EXERCISE_CATEGORIES]
    has_load = any(c in weekly and weekly[c].fillna(0).gt(0).any() for c in load_cols)
    session_cols = [f"strength_sessions_{c}" for c in EXERCISE_CATEGORIES]
    has_sessions = has_load or any(
        c in weekly and weekly[c].fillna(0).gt(0).any()
        for c in ("strength_sessions", *session_cols)
    )
    n = 1 + int(has_sessions) + int(has_load)
    fig, axes = _figure(
        1.05 * n + 0.5,
        n,
        1,
        sharex=True,
        left_in=0.75,
        right_in=1.8,
        bottom_in=0.3,
        hspace_in=0.4,
        name="training",
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
    title = "Weekly training" if has_sessions else "Weekly running (no strength sessions)"
    _title(axes[0], title + _left_out_words(before, after))
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    if not has_sessions:
        _date_axis(axes[0])
        return fig

    panels = [(axes[1], "strength_sessions_{}", "strength sessions\nper week")]
    if has_load:
        panels.append((axes[2], "volume_load_{}_kg", "volume load\n[kg/week]"))
    # A session often mixes categories: its count is split between them in
    # proportion, so the stacked bar is the week's sessions, not 2-3 sessions
    # stacked to 7-10 category-sessions (issue 13).
    present = [c for c in session_cols if c in weekly]
    category_sessions = weekly[present].fillna(0).sum(axis=1).to_numpy(dtype=float)
    total = (
        weekly["strength_sessions"].fillna(0).to_numpy(dtype=float)
        if "strength_sessions" in weekly
        else category_sessions
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        session_scale = np.where(category_sessions > 0, total / category_sessions, 0.0)
    for ax, pattern, ylabel in panels:
        bottom = np.zeros(len(weekly))
        for category in EXERCISE_CATEGORIES:
            col = pattern.format(category)
            if col not in weekly:
                continue
            values = weekly[col].fillna(0).to_numpy(dtype=float)
            if ax is axes[1]:
                values = values * session_scale
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
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if bottom.any():
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        else:
            ax.text(0.01, 0.8, "none", transform=ax.transAxes, color="0.3")
    _title(
        axes[1],
        "by exercise category (a session with several is shared between them)",
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
    parameters = as_mapping(parameters)
    fig, axes = _figure(2.0, left_in=0.6, bottom_in=0.75, name="vo2max")
    ax = axes[0, 0]
    if block is not None:
        _shade_block(ax, as_mapping(block))
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
    _legend_below(ax, ncol=2)
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
    fig, axes = _figure(2.0, left_in=0.6, right_in=1.3, bottom_in=0.5, name="lab-economy")
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


ROWS_PER_FIGURE = 40
"""Runners per forest or adherence figure: a figure of 40 rows (8.9 in) fits one
A4 page with its heading; a larger squad gets one figure per page."""

FIRST_PART_ROWS = 22
"""Runners in the first part of a split forest plot: it shares page 1 of the
squad report with the header and the squad model (about 5.7 in left), so a
squad of 60 is drawn as 22 + 38 rather than 30 + 30 on pages 2 and 3 with
page 1 two-thirds empty."""

MAX_LABELLED_RUNNERS = 200
"""Above this many runners the forest plot ranks the estimates without names
(a caterpillar plot); the table beside it names them."""


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    """``frame`` in as few consecutive pieces of at most ``size`` rows as possible,
    of about equal length (60 runners: 30 and 30, not 40 and 20); at least one."""
    parts = max(1, -(-len(frame) // size))
    step = -(-len(frame) // parts) or 1
    return [frame.iloc[k : k + step] for k in range(0, max(len(frame), 1), step)]


def _interval_range(frames) -> tuple[float, float] | None:
    """x limits that hold every finite interval of the frames, with 5 % margins and 0."""
    lows, highs = [0.0], [0.0]
    for frame, low, high in frames:
        lows += [v for v in frame[low] if np.isfinite(v)]
        highs += [v for v in frame[high] if np.isfinite(v)]
    lo, hi = min(lows), max(highs)
    pad = 0.05 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _part_title(title: str, part: int, parts: int) -> str:
    return title if parts == 1 else f"{title} ({part} of {parts})"


def _part_name(name: str, part: tuple[int, int] | None) -> str:
    """A figure's file name when it is part k of n: ``forest``, or ``forest-2`` of several."""
    k, n = part or (1, 1)
    return name if n == 1 else f"{name}-{k}"


@_styled
def forest_plot(
    per_runner: pd.DataFrame,
    squad: pd.DataFrame | None = None,
    *,
    part: tuple[int, int] | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Each runner's change in oxygen cost with its 95 % CI, and the squad estimates.

    Parameters
    ----------
    per_runner : DataFrame
        :func:`analysis.models.analyze` output; the ``field_hr`` rows are
        drawn (runners without an estimate are listed as "insufficient data").
    squad : DataFrame, optional
        :func:`analysis.models.squad_model` output, drawn as diamonds below.
    part : (int, int), optional, keyword-only
        ``(k, n)``: this figure is part k of n (in the title).
    xlim : (float, float), optional, keyword-only
        x limits shared by the parts of one squad.

    Returns
    -------
    Figure
        Filled circles: strength group; hollow squares: controls; diamonds:
        squad model effects. Left of zero = more economical. For a squad of
        any size use :func:`forest_plots`.
    """
    field = per_runner.loc[per_runner["method"].eq("field_hr")].reset_index(drop=True)
    effects = pd.DataFrame() if squad is None else squad.loc[squad["estimate_pct"].notna()]
    n_rows = len(field) + (len(effects) + 1 if len(effects) else 0)
    number = field["block"].fillna(1).astype(int) if "block" in field else pd.Series(1, field.index)
    several = number.groupby(field["runner_id"]).transform("max").gt(1)
    names = [
        figure_text(f"{r} block {k} ({g})" if many else f"{r} ({g})")
        for r, g, k, many in zip(field["runner_id"], field["group"], number, several, strict=True)
    ]
    names += [f"squad: {e}" for e in effects.get("effect", [])]
    fig, axes = _figure(
        max(1.8, 0.2 * n_rows + 0.85),
        left_in=0.25 + _label_width_in(names),
        right_in=1.15,
        bottom_in=0.5,
        name=_part_name("forest", part),
    )
    ax = axes[0, 0]
    labels = []
    y = 0
    for row in field.itertuples(index=False):
        control = is_control(row.group)
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
            # beside the name, left-aligned, so it never sits under a marker
            ax.text(
                0.01,
                y,
                "insufficient data",
                va="center",
                ha="left",
                fontsize=7,
                color="0.3",
                transform=ax.get_yaxis_transform(),
            )
        labels.append(names[y])
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
    ax.set_ylim(max(positions, default=0) + 0.7, -0.7)
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        f"change in oxygen cost [%] with {CI_LEVEL_PCT} % CI (negative = more economical)"
    )
    _title(ax, _part_title("Change over the block, per runner", *(part or (1, 1))))
    _forest_legend(ax, bool(len(effects)))
    return fig


def _forest_legend(ax, squad: bool) -> None:
    handles = [
        mpl.lines.Line2D([], [], marker="o", color="black", ls="none", label="strength"),
        mpl.lines.Line2D([], [], marker="s", mfc="white", mec="black", ls="none", label="control"),
    ]
    if squad:
        handles.append(
            mpl.lines.Line2D(
                [], [], marker="D", mfc="0.6", mec="black", ls="none", label="squad model"
            )
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))


@_styled
def caterpillar_plot(per_runner: pd.DataFrame, squad: pd.DataFrame | None = None) -> Figure:
    """Every runner's change with its 95 % CI, ranked, without names (large squads).

    Strength runners black, controls grey; the squad estimates as bands of
    their CIs. Runners without an estimate are counted in the title.
    """
    field = per_runner.loc[per_runner["method"].eq("field_hr")]
    known = field.loc[np.isfinite(field["o2_cost_change_pct"].astype(float))]
    known = known.sort_values("o2_cost_change_pct").reset_index(drop=True)
    fig, axes = _figure(6.0, left_in=0.7, right_in=1.15, bottom_in=0.5, name="forest-ranked")
    ax = axes[0, 0]
    if known.empty:
        _no_data(ax, "no runner has an estimate")
        return fig
    control = known["group"].astype(str).str.strip().str.lower().eq("control").to_numpy()
    rank = np.arange(1, len(known) + 1)
    for mask, colour, label in ((~control, "black", "strength"), (control, "0.6", "control")):
        if mask.any():
            ax.vlines(
                rank[mask],
                known["ci_low_pct"].to_numpy()[mask],
                known["ci_high_pct"].to_numpy()[mask],
                color=colour,
                lw=0.4,
            )
            ax.plot(
                rank[mask],
                known["o2_cost_change_pct"].to_numpy()[mask],
                "o",
                color=colour,
                ms=1.8,
                label=label,
            )
    effects = pd.DataFrame() if squad is None else squad.loc[squad["estimate_pct"].notna()]
    for row, hatch in zip(effects.itertuples(index=False), ("", "///", "..."), strict=False):
        ax.axhspan(
            row.ci_low_pct,
            row.ci_high_pct,
            facecolor="0.85",
            edgecolor="0.4",
            hatch=hatch,
            lw=0.5,
            alpha=0.6,
            label=f"squad: {row.effect}",
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlim(0, len(known) + 1)
    ax.set_xlabel("runners, ranked by their change")
    ax.set_ylabel(f"change in oxygen cost [%], {CI_LEVEL_PCT} % CI")
    missing = len(field) - len(known)
    extra = f"; {missing} without an estimate" if missing else ""
    _title(ax, f"Change over the block, {len(known)} runners ranked{extra}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def forest_plots(
    per_runner: pd.DataFrame,
    squad: pd.DataFrame | None = None,
    *,
    rows_per_figure: int = ROWS_PER_FIGURE,
    first_rows: int = FIRST_PART_ROWS,
) -> list[Figure]:
    """The forest plot of a squad of any size, one page-sized figure per part.

    A squad of up to ``first_rows`` runners is one figure; a larger one gets a
    first part of ``first_rows`` runners (it fits under the squad report's
    header) and then parts of up to ``rows_per_figure`` runners, all on the
    same x axis, the squad estimates on the last; above
    ``MAX_LABELLED_RUNNERS`` runners a single :func:`caterpillar_plot` instead
    (names are in the table).
    """
    field = per_runner.loc[per_runner["method"].eq("field_hr")].reset_index(drop=True)
    if len(field) > MAX_LABELLED_RUNNERS:
        return [caterpillar_plot(per_runner, squad)]
    effects = None if squad is None else squad.loc[squad["estimate_pct"].notna()]
    spans = [(field, "ci_low_pct", "ci_high_pct")]
    if effects is not None:
        spans.append((effects, "ci_low_pct", "ci_high_pct"))
    xlim = _interval_range(spans)
    if len(field) <= first_rows:
        parts = [field]
    else:
        parts = [field.iloc[:first_rows], *_chunks(field.iloc[first_rows:], rows_per_figure)]
    return [
        forest_plot(
            part,
            squad if k == len(parts) else None,
            part=(k, len(parts)),
            xlim=xlim,
        )
        for k, part in enumerate(parts, start=1)
    ]


@_styled
def adherence_plot(
    adherence: pd.DataFrame,
    *,
    part: tuple[int, int] | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Strength sessions per week during the block, per runner.

    Parameters
    ----------
    adherence : DataFrame
        :func:`analysis.models.runner_doses` output (``runner_id``, ``group``,
        ``sessions_per_week``).
    part : (int, int), optional, keyword-only
        ``(k, n)``: this figure is part k of n (in the title).
    xlim : (float, float), optional, keyword-only
        x limits shared by the parts of one squad.

    Returns
    -------
    Figure
        Horizontal bars; the dotted lines, labelled, mark the 2-3 sessions per
        week of the programmes in the meta-analyses (SCIENCE.md section 8).
        For a squad of any size use :func:`adherence_plots`.
    """
    frame = adherence.reset_index(drop=True)
    fig, axes = _figure(
        max(1.6, 0.2 * len(frame) + 0.85),
        left_in=0.25 + _label_width_in(frame["runner_id"]),
        right_in=1.15,
        bottom_in=0.5,
        name=_part_name("adherence", part),
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
    ax.set_yticks(y, [figure_text(r) for r in frame["runner_id"].astype(str)])
    ax.set_ylim(len(frame) - 0.4, -0.6)
    if xlim is not None:
        ax.set_xlim(*xlim)
    # label the reference lines above the bars, so nobody wonders what they are
    for ref, text in ((2.0, "2/week"), (3.0, "3/week")):
        ax.annotate(
            text,
            (ref, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6.5,
        )
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        "strength sessions per week during the block (dotted: the 2-3 a week of the studies)"
    )
    _title(ax, _part_title("Adherence", *(part or (1, 1))), pad=12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def adherence_plots(
    adherence: pd.DataFrame, *, rows_per_figure: int = ROWS_PER_FIGURE
) -> list[Figure]:
    """The adherence chart of a squad of any size: one page-sized figure per
    ``rows_per_figure`` runners, all on the same x axis. Above
    ``MAX_LABELLED_RUNNERS`` runners, a histogram of sessions per week by group."""
    frame = adherence.reset_index(drop=True)
    if len(frame) > MAX_LABELLED_RUNNERS:
        return [adherence_histogram(frame)]
    top = float(np.nanmax(frame["sessions_per_week"].to_numpy(dtype=float), initial=0.0))
    xlim = (0.0, max(3.3, 1.08 * top))
    parts = _chunks(frame, rows_per_figure)
    return [
        adherence_plot(part, part=(k, len(parts)), xlim=xlim)
        for k, part in enumerate(parts, start=1)
    ]


@_styled
def adherence_histogram(adherence: pd.DataFrame) -> Figure:
    """How many runners did how many strength sessions a week, by group (large squads)."""
    fig, axes = _figure(2.6, right_in=1.15, bottom_in=0.5, name="adherence-histogram")
    ax = axes[0, 0]
    values = adherence["sessions_per_week"].fillna(0).astype(float)
    control = adherence["group"].astype(str).str.strip().str.lower().eq("control")
    top = max(3.5, float(values.max()) if len(values) else 0.0)
    bins = np.arange(0.0, top + 0.5, 0.5)
    ax.hist(
        [values[~control], values[control]],
        bins=bins,
        stacked=True,
        color=["0.45", "white"],
        edgecolor="black",
        hatch=["", "////"],
        lw=0.5,
        label=["strength", "control"],
    )
    for ref in (2.0, 3.0):
        ax.axvline(ref, ls=":", color="black", lw=0.9)
    ax.set_xlabel("strength sessions per week during the block (dotted: 2 and 3 a week)")
    ax.set_ylabel("runners")
    _title(ax, f"Adherence, {len(adherence)} runners")
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
    """Each runner's own change in oxygen cost against the strength work done.

    The runner's own change (``own_*``, before pooling), as the slope is fitted.

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
    fig, axes = _figure(3.1, left_in=0.8, bottom_in=0.95, name="dose-response")
    ax = axes[0, 0]
    per_runner = first_blocks(per_runner)  # the doses are those of each runner's first block
    # each runner's own change, as the slope is fitted (analysis.models.dose)
    own = {"own_change_pct": "o2_cost_change_pct", "own_ci_low_pct": "ci_low_pct"}
    own["own_ci_high_pct"] = "ci_high_pct"
    field = per_runner.loc[
        per_runner["method"].eq("field_hr") & per_runner["own_change_pct"].notna(),
        ["runner_id", *own],
    ].rename(columns=own)
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
    _legend_below(ax, ncol=3, below_in=0.41)
    return fig
