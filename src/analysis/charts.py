"""Report figures as the notebooks display them: static for print, interactive for the screen.

Each function takes the frames of :mod:`analysis.plots`' figure of the same
name plus ``interactive``, and returns a :class:`Chart` (or a list of them)
that a notebook passes to ``display``:

- ``interactive=False`` (the PDF): the matplotlib figure of
  :mod:`analysis.plots`, unchanged, shown by the notebook's inline backend
  as it always was, with its alt text (:mod:`analysis.describe`) in the
  output's metadata.
- ``interactive=True`` (``runeco report --format html``): a Bokeh figure
  whose every run shows its date, pace, heart rate, temperature and model
  status (used, or left out and why) on hover, with a legend that hides or
  shows each group of runs (the runs left out among them) when clicked.
  The notebook output holds Bokeh's JSON description under
  :data:`analysis.schema.CHART_MIME`; :mod:`analysis.report` embeds it in
  the HTML as data (never as script) beside one inline copy of BokehJS.

User text (run ids, notes, names, groups) reaches the chart as data only:
BokehJS writes tooltip values into the page as text (it escapes them; no
``{safe}`` format is ever used here), and the exporter encodes the JSON so
that it cannot close its ``<script>`` element. No chart uses ``CustomJS``
or a JavaScript tick formatter, so the page needs no ``'unsafe-eval'``.

Bokeh is imported only when an interactive chart is built: the PDF path
never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import describe, plots
from analysis.formatting import (
    CI_LEVEL_PCT,
    as_mapping,
    clean_text,
    display_name,
    format_change,
    format_date,
    format_number,
    format_pace,
)
from analysis.models.prepare import TEMP_FILL_DAYS
from analysis.schema import CHART_MIME, PRINT_FIGURE_DPI

CHART_HEIGHT_PX = 440
"""Height of a runner chart on screen [px]; the width follows the page."""
_FOREST_ROW_PX = 18
_TOOLS = "pan,box_zoom,reset"


class Chart:
    """One report figure and its alt text, displayed by a notebook's ``display``.

    Attributes
    ----------
    alt : str
        What the figure shows, with its key numbers (plain text).
    figure : matplotlib Figure or None
        The static figure (print).
    item : dict or None
        The interactive figure: Bokeh's ``json_item`` with its object ids
        numbered from 1 (the same report gives the same bytes).
    """

    def __init__(self, alt: str, *, figure: Figure | None = None, item: dict | None = None):
        if (figure is None) == (item is None):
            raise ValueError("A Chart holds exactly one of 'figure' and 'item'.")
        self.alt = alt
        self.figure = figure
        self.item = item

    @property
    def interactive(self) -> bool:
        return self.item is not None

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.item is not None:
            return {CHART_MIME: {"item": self.item, "alt": self.alt}, "text/plain": self.alt}
        data, metadata = _static_bundle(self.figure)
        metadata = dict(metadata or {})
        metadata["image/png"] = {**metadata.get("image/png", {}), "alt": self.alt}
        return data, metadata


def figure_png(figure: Figure, dpi: float = PRINT_FIGURE_DPI) -> bytes:
    """The figure as the print reports embed it: an opaque RGB PNG, quickly compressed.

    Matplotlib's PNG carries an alpha channel that a report never uses (every
    figure has an opaque face), and WeasyPrint splits it off again and
    compresses both parts anew for the PDF; its default zlib level costs more
    than the smaller file saves, since the PDF is compressed again anyway.
    The figure is drawn as RGBA, composited on its face colour (white where
    that is transparent; nothing to do when it is opaque, as every report
    figure is) and written as 8-bit RGB rows at zlib level 1 (:func:`png_rgb`):
    matplotlib's pixels, for about 35 ms less CPU per report than its own PNG,
    and 4 ms less per figure again than Pillow's encoder at level 1.
    """
    import io

    with io.BytesIO() as buffer:
        figure.savefig(buffer, format="rgba", dpi=dpi)
        raw = buffer.getvalue()
    shown_dpi = figure.dpi
    figure.dpi = dpi  # the canvas size as savefig's renderer had it (RendererAgg truncates)
    try:
        width, height = (int(v) for v in figure.bbox.size)
    finally:
        figure.dpi = shown_dpi
    if width * height * 4 == len(raw):
        rgba = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)
        if rgba[..., 3].min() == 255:  # opaque: compositing would change no pixel
            return png_rgb(rgba[..., :3], dpi)
        image = _pil_image(raw, (width, height))
    else:  # pragma: no cover - never guess a size: read matplotlib's own PNG
        from PIL import Image

        with io.BytesIO() as buffer:
            figure.savefig(buffer, format="png", dpi=dpi)
            image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGBA")
    return png_rgb(np.asarray(_on_face(image, figure)), dpi)


def _pil_image(raw: bytes, size: tuple[int, int]):
    from PIL import Image

    return Image.frombuffer("RGBA", size, raw, "raw", "RGBA", 0, 1)


def _on_face(image, figure: Figure):
    """An RGBA Pillow image composited on the figure's face colour (white if transparent)."""
    from matplotlib.colors import to_rgba
    from PIL import Image

    face = to_rgba(figure.get_facecolor())
    colour = tuple(round(255 * c) for c in face[:3]) if face[3] > 0 else (255, 255, 255)
    opaque = Image.new("RGB", image.size, colour)
    opaque.paste(image, mask=image.getchannel("A"))
    return opaque


def png_rgb(pixels: np.ndarray, dpi: float) -> bytes:
    """An 8-bit RGB PNG of ``pixels`` (height x width x 3, uint8), rows unfiltered, zlib level 1.

    Pillow's encoder tries each of PNG's five row filters on every row to
    keep the best; at level 1 the file is hardly smaller for it, and the
    search was about half of the encoding time. The PNG's IDAT data is what
    the PDF's image stream holds (:func:`analysis.report.png_stream_data`).
    ``dpi`` is written as Pillow writes it (pHYs, pixels per metre).
    """
    import struct
    import zlib

    height, width, channels = pixels.shape
    if channels != 3:
        raise ValueError(f"png_rgb takes RGB pixels; got {channels} channels")
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = pixels.reshape(height, 3 * width)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    per_metre = int(dpi / 0.0254 + 0.5)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            chunk(b"IEND", b""),
        )
    )


def _static_bundle(figure: Figure) -> tuple[dict, dict]:
    """The figure as the kernel's inline backend shows it (the same PNG as ``display(figure)``)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython is a dependency of the reports
        shell = None
    if shell is not None:
        data, metadata = shell.display_formatter.format(figure, include={"image/png"})
        if "image/png" in data:
            return data, metadata
    return {"image/png": figure_png(figure), "text/plain": repr(figure)}, {}


def figure(static: Figure, alt: str) -> Chart:
    """A static figure with its alt text (the figures that gain nothing from hovering)."""
    return Chart(alt, figure=static)


def _change_texts(frame: pd.DataFrame, change: str) -> list[str]:
    """Each row's change with its CI (``ci_low_pct``, ``ci_high_pct``) as the reports print it."""
    return [
        format_change(c, lo, hi)
        for c, lo, hi in zip(frame[change], frame["ci_low_pct"], frame["ci_high_pct"], strict=True)
    ]


# --------------------------------------------------------------------------- runner charts


def economy_over_time(
    fit_frame: pd.DataFrame,
    block: Mapping | pd.Series,
    field: Mapping | pd.Series,
    metrics: pd.DataFrame,
    runs: pd.DataFrame | None = None,
    *,
    interactive: bool = False,
) -> Chart:
    """Oxygen cost of every run over time with the model's trend (:func:`plots.economy_over_time`).

    Interactive: runs used by the model (filled), runs left out in the
    baseline and block (hollow, the reason on hover) and runs outside them
    (crosses), each a legend entry that hides or shows them; the trend with a
    band of the runner's own 95 % CI of the change, accruing along the ramp
    from the baseline level (``raw_ci_*_pct`` of the field row).
    """
    alt = describe.economy_over_time(fit_frame, block, field)
    if not interactive:
        return figure(plots.economy_over_time(fit_frame, block), alt)
    bk = _bokeh()
    block, field = as_mapping(block), as_mapping(field)
    table = run_table(fit_frame, metrics, runs)
    fig = bk.figure(
        x_axis_type="datetime",
        height=CHART_HEIGHT_PX,
        sizing_mode="stretch_width",
        tools=_TOOLS,
        title="Economy over time (field estimate from heart rate; lower = more economical)",
        y_axis_label="oxygen cost [ml/kg/km]",
    )
    _shade_block(bk, fig, block)
    trend = table.loc[table["o2_cost_trend_ml_kg_km"].notna()].sort_values("date")
    if len(trend):
        low, high = _trend_band(trend, field)
        if low is not None:
            fig.varea(
                x=trend["date"].to_numpy(),
                y1=low,
                y2=high,
                fill_color="#9e9e9e",
                fill_alpha=0.35,
                legend_label=f"{CI_LEVEL_PCT} % CI of the runner's change",
            )
        fig.line(
            trend["date"].to_numpy(),
            trend["o2_cost_trend_ml_kg_km"].to_numpy(dtype=float),
            line_color="black",
            line_width=2.5,
            legend_label="model: baseline level, then the change through the block",
        )
    cost = table["o2_cost_ml_kg_km"]
    floor = float(np.nanmin(cost)) * 0.97 if cost.notna().any() else 0.0
    groups = (
        (
            table["used"],
            dict(marker="circle", size=8, fill_color="#1f4e79", line_color="black"),
            "used by the model",
        ),
        (
            table["status_kind"].eq("left out"),
            dict(marker="circle", size=8, fill_color="white", line_color="#b03a2e", line_width=1.5),
            "left out by the model (reason on hover)",
        ),
        (
            table["status_kind"].eq("outside"),
            dict(marker="x", size=8, line_color="#7f7f7f", line_width=1.5),
            "outside the baseline and block (not analysed)",
        ),
    )
    renderers = []
    for mask, style, label in groups:
        part = table.loc[mask & cost.notna()]
        if len(part):
            renderers.append(
                fig.scatter(
                    "date",
                    "o2_cost_ml_kg_km",
                    source=_source(bk, part),
                    legend_label=label,
                    **style,
                )
            )
    no_cost = table.loc[cost.isna()]
    if len(no_cost):  # runs without heart rate: no cost to plot, shown along the bottom
        renderers.append(
            fig.scatter(
                "date",
                "y_floor",
                source=_source(bk, no_cost.assign(y_floor=floor)),
                marker="triangle",
                size=8,
                fill_color="white",
                line_color="black",
                legend_label="no oxygen cost (no heart rate), at the bottom",
            )
        )
    adjusted = table.loc[table["used"] & table["o2_cost_adjusted_ml_kg_km"].notna()]
    if len(adjusted):
        fig.scatter(
            adjusted["date"].to_numpy(),
            adjusted["o2_cost_adjusted_ml_kg_km"].to_numpy(dtype=float),
            marker="circle",
            size=4,
            fill_color="black",
            line_color="black",
            legend_label="adjusted to reference temperature, distance and speed",
        )
    _hover(bk, fig, renderers, runs=table)
    _legend_below(fig)
    return Chart(alt, item=_item(bk, fig))


def hr_vs_pace(
    metrics: pd.DataFrame,
    block: Mapping | pd.Series,
    fit_frame: pd.DataFrame,
    runs: pd.DataFrame | None = None,
    *,
    late_weeks: int = 4,
    interactive: bool = False,
) -> Chart:
    """Heart rate against grade-adjusted pace (:func:`plots.hr_vs_pace`).

    Interactive: the steady runs of the baseline and of the last
    ``late_weeks`` of the block as in print, each with its least-squares
    guide line; the other steady runs of the block and the runs left out
    (hidden at first) are one legend click away.
    """
    alt = describe.hr_vs_pace(metrics, block, late_weeks=late_weeks)
    if not interactive:
        return figure(plots.hr_vs_pace(metrics, block, late_weeks=late_weeks), alt)
    bk = _bokeh()
    block = as_mapping(block)
    table = run_table(fit_frame, metrics, runs)
    table = table.loc[np.isfinite(table["gas_pace_s_per_km"]) & table["hr_bpm"].notna()]
    fig = bk.figure(
        height=CHART_HEIGHT_PX,
        sizing_mode="stretch_width",
        tools=_TOOLS,
        title="Heart rate at a given pace, before and late in the block",
        x_axis_label="grade-adjusted pace [min:s per km], faster to the right",
        y_axis_label="heart rate [bpm]",
    )
    if pd.isna(block.get("block_start")) or table.empty:
        return Chart(alt, item=_item(bk, fig))
    start = pd.Timestamp(block["block_start"])
    end = pd.Timestamp(block["block_end"]) + pd.Timedelta(days=1)
    base_start = pd.Timestamp(block["baseline_start"])
    late_start = max(start, end - pd.Timedelta(weeks=late_weeks))
    steady = table["steady"]
    date = table["date"]
    groups = (
        (
            steady & (date >= base_start) & (date < start),
            "baseline",
            dict(marker="circle", size=8, fill_color="white", line_color="black", line_width=1.5),
            "dashed",
            True,
        ),
        (
            steady & (date >= late_start) & (date < end),
            f"last {late_weeks} weeks of the block",
            dict(marker="triangle", size=9, fill_color="black", line_color="black"),
            "solid",
            True,
        ),
        (
            steady & (date >= start) & (date < late_start),
            "earlier in the block",
            dict(marker="square", size=6, fill_color="#bdbdbd", line_color="#616161"),
            None,
            False,
        ),
        (
            ~steady,
            "left out (not steady: reason on hover)",
            dict(marker="x", size=8, line_color="#b03a2e", line_width=1.5),
            None,
            False,
        ),
    )
    renderers = []
    for mask, label, style, line, visible in groups:
        part = table.loc[mask]
        if part.empty:
            continue
        n_label = f"{label}, n = {len(part)}"
        renderer = fig.scatter(
            "gas_pace_s_per_km", "hr_bpm", source=_source(bk, part), legend_label=n_label, **style
        )
        renderer.visible = visible
        renderers.append(renderer)
        pace = part["gas_pace_s_per_km"].to_numpy(dtype=float)
        if line and len(part) >= 3 and np.ptp(pace) > 0:
            slope, intercept = np.polyfit(pace, part["hr_bpm"].to_numpy(dtype=float), 1)
            xs = np.linspace(pace.min(), pace.max(), 20)
            fig.line(
                xs,
                intercept + slope * xs,
                line_dash=line,
                line_color="black",
                line_width=1.5,
                legend_label=n_label,
            )
    pace = table["gas_pace_s_per_km"].to_numpy(dtype=float)
    lo, hi = float(pace.min()), float(pace.max())
    pad = max(5.0, 0.05 * (hi - lo))
    fig.x_range = bk.Range1d(hi + pad, lo - pad)  # faster to the right, as in print
    ticks = _pace_ticks(lo - pad, hi + pad)
    fig.xaxis.ticker = bk.FixedTicker(ticks=ticks)
    fig.xaxis.major_label_overrides = {t: format_pace(t).removesuffix("/km") for t in ticks}
    _hover(bk, fig, renderers, runs=table)
    _legend_below(fig)
    return Chart(alt, item=_item(bk, fig))


def run_table(
    fit_frame: pd.DataFrame, metrics: pd.DataFrame, runs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per run with what the charts draw and the text their hover shows.

    Columns: ``date``, ``run_id``, ``used``, ``steady``, ``status_kind``
    (``used``, ``left out`` or ``outside``), ``o2_cost_ml_kg_km``,
    ``o2_cost_adjusted_ml_kg_km``, ``o2_cost_trend_ml_kg_km``, ``ramp``,
    ``gas_pace_s_per_km``, ``hr_bpm`` and the hover texts ``date_text``,
    ``run_text``, ``type_text``, ``distance_text``, ``pace_text``,
    ``hr_text``, ``temp_text``, ``cost_text``, ``status`` and, when the runs
    have a ``notes`` column, ``notes_text``. User text is cleaned of control
    and bidirectional characters (:func:`clean_text`), never turned into markup.
    """
    frame = fit_frame.reset_index(drop=True).copy()
    keep = ["run_id", "run_type", "distance_km", "pace_s_per_km", "gas_m_min", "hr_used_bpm"]
    extra = metrics[[c for c in keep if c in metrics]].drop_duplicates("run_id")
    frame = frame.merge(extra, on="run_id", how="left")
    has_notes = runs is not None and "notes" in runs
    if has_notes:
        notes = runs[["run_id", "notes"]].drop_duplicates("run_id")
        frame = frame.merge(notes, on="run_id", how="left")
    frame["used"] = frame["used"].astype(bool)
    frame["steady"] = frame["steady"].astype(bool)
    outside = frame["period"].eq("outside")
    frame["status_kind"] = np.where(frame["used"], "used", np.where(outside, "outside", "left out"))
    reason = frame["exclude_reason"].fillna("").astype(str).map(clean_text)
    frame["status"] = np.select(
        [frame["used"], outside, reason.ne("")],
        [
            "used by the model",
            "outside the baseline and block: not analysed"
            + np.where(reason.ne(""), " (" + reason + ")", ""),
            "left out: " + reason,
        ],
        "left out",
    )
    gas = pd.to_numeric(frame.get("gas_m_min"), errors="coerce").astype(float)
    frame["gas_pace_s_per_km"] = (60_000.0 / gas.where(gas > 0)).to_numpy(dtype=float)
    frame["hr_bpm"] = pd.to_numeric(frame.get("hr_used_bpm"), errors="coerce").astype(float)
    for column in ("o2_cost_ml_kg_km", "o2_cost_adjusted_ml_kg_km", "o2_cost_trend_ml_kg_km"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["date_text"] = [format_date(d, "%a %d %b %Y %H:%M") for d in frame["date"]]
    frame["run_text"] = frame["run_id"].astype(str).map(clean_text)
    frame["type_text"] = frame.get("run_type", pd.Series("", index=frame.index)).astype(str)
    frame["distance_text"] = [
        _unit(v, 2, "km") for v in frame.get("distance_km", [np.nan] * len(frame))
    ]
    frame["pace_text"] = [
        _or_none(format_pace(p)) + (f" (grade-adjusted {format_pace(g)})" if np.isfinite(g) else "")
        for p, g in zip(
            frame.get("pace_s_per_km", [np.nan] * len(frame)),
            frame["gas_pace_s_per_km"],
            strict=True,
        )
    ]
    frame["hr_text"] = [_unit(v, 0, "bpm") for v in frame["hr_bpm"]]
    filled = frame.get("temp_filled", pd.Series(False, index=frame.index)).fillna(False)
    frame["temp_text"] = [
        _unit(v, 1, "°C")
        + (f" (none logged: from the runs within {TEMP_FILL_DAYS} days)" if f else "")
        for v, f in zip(frame["temp_c"], filled.astype(bool), strict=True)
    ]
    frame["cost_text"] = [
        _unit(c, 1, "ml/kg/km") + (f", adjusted {format_number(a, 1)}" if np.isfinite(a) else "")
        for c, a in zip(frame["o2_cost_ml_kg_km"], frame["o2_cost_adjusted_ml_kg_km"], strict=True)
    ]
    if has_notes:
        frame["notes_text"] = frame["notes"].fillna("").astype(str).map(clean_text)
    return frame


def _unit(value, digits: int, unit: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "not recorded"
    return f"{format_number(number, digits)} {unit}" if np.isfinite(number) else "not recorded"


def _or_none(text: str) -> str:
    return text or "not recorded"


def _trend_band(trend: pd.DataFrame, field: Mapping):
    """The runner's own 95 % CI of the change, accruing along the ramp from the baseline level."""
    lo, hi = field.get("raw_ci_low_pct"), field.get("raw_ci_high_pct")
    change = field.get("raw_change_pct")
    values = [lo, hi, change]
    if any(v is None or not np.isfinite(float(v)) for v in values):
        return None, None
    ramp = trend["ramp"].to_numpy(dtype=float)
    level = trend["o2_cost_trend_ml_kg_km"].to_numpy(dtype=float) / (1 + change / 100.0) ** ramp
    return level * (1 + lo / 100.0) ** ramp, level * (1 + hi / 100.0) ** ramp


def _pace_ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next((s for s in (10, 15, 30, 60, 120) if span / s <= 8), 300)
    first = np.ceil(lo / step) * step
    return [float(t) for t in np.arange(first, hi + 1e-9, step)]


# --------------------------------------------------------------------------- squad charts


def forest(
    per_runner: pd.DataFrame,
    squad: pd.DataFrame | None = None,
    runners: pd.DataFrame | None = None,
    *,
    interactive: bool = False,
) -> list[Chart]:
    """Each runner's change with its 95 % CI and the squad's (:func:`plots.forest_plots`).

    Interactive: one chart, a row per runner (names on the axis up to
    :data:`plots.MAX_LABELLED_RUNNERS` runners, ranked without names above),
    the runner's name, group, change with its CI and verdict on hover.
    """
    alt = describe.forest(per_runner, squad)
    if not interactive:
        parts = plots.forest_plots(per_runner, squad)
        return [
            figure(part, alt if len(parts) == 1 else f"Part {k} of {len(parts)}. {alt}")
            for k, part in enumerate(parts, start=1)
        ]
    bk = _bokeh()
    field = per_runner.loc[per_runner["method"].eq("field_hr")].reset_index(drop=True)
    named = len(field) <= plots.MAX_LABELLED_RUNNERS
    change = pd.to_numeric(field["o2_cost_change_pct"], errors="coerce")
    if not named:  # ranked, as the print version's caterpillar plot
        field = field.assign(_c=change).sort_values("_c", na_position="last").reset_index(drop=True)
        change = pd.to_numeric(field["o2_cost_change_pct"], errors="coerce")
    names = {}
    if runners is not None and "runner_id" in runners:
        names = {r["runner_id"]: display_name(r) for r in runners.to_dict("records")}
    table = pd.DataFrame(
        {
            "y": np.arange(len(field), dtype=float),
            "change": change.to_numpy(dtype=float),
            "low": pd.to_numeric(field["ci_low_pct"], errors="coerce").to_numpy(dtype=float),
            "high": pd.to_numeric(field["ci_high_pct"], errors="coerce").to_numpy(dtype=float),
            "runner_text": [clean_text(r) for r in field["runner_id"]],
            "name_text": [clean_text(names.get(r, r)) for r in field["runner_id"]],
            "group_text": [clean_text(g) for g in field["group"]],
            "change_text": _change_texts(field, "o2_cost_change_pct"),
            "verdict_text": [clean_text(v) for v in field["verdict"]],
        }
    )
    table["x"] = np.where(np.isfinite(table["change"]), table["change"], 0.0)
    effects = pd.DataFrame() if squad is None else squad.loc[squad["estimate_pct"].notna()]
    rows = len(table) + (len(effects) + 1 if len(effects) else 0)
    fig = bk.figure(
        height=max(220, 90 + _FOREST_ROW_PX * min(rows, 400)),
        sizing_mode="stretch_width",
        tools=_TOOLS,
        title="Change over the block, per runner",
        x_axis_label=f"change in oxygen cost [%] with {CI_LEVEL_PCT} % CI (negative = more economical)",
    )
    fig.add_layout(bk.Span(location=0, dimension="height", line_color="black", line_width=1))
    control = table["group_text"].str.strip().str.lower().eq("control")
    known = np.isfinite(table["change"])
    renderers = []
    for mask, label, style in (
        (
            ~control & known,
            "strength",
            dict(marker="circle", fill_color="black", line_color="black"),
        ),
        (control & known, "control", dict(marker="square", fill_color="white", line_color="black")),
        (
            ~known,
            "insufficient data (no estimate)",
            dict(marker="x", line_color="#7f7f7f", line_width=1.5),
        ),
    ):
        part = table.loc[mask]
        if part.empty:
            continue
        source = _source(bk, part)
        if label != "insufficient data (no estimate)":
            fig.segment(
                "low",
                "y",
                "high",
                "y",
                source=source,
                line_color="black",
                line_width=1.2,
                legend_label=label,
            )
        renderers.append(fig.scatter("x", "y", source=source, size=8, legend_label=label, **style))
    hover_fields = [
        ("runner", "@runner_text"),
        ("name", "@name_text"),
        ("group", "@group_text"),
        ("change", "@change_text"),
        ("verdict", "@verdict_text"),
    ]
    fig.add_tools(bk.HoverTool(renderers=renderers, tooltips=hover_fields))
    labels = {
        float(y): clean_text(f"{r} ({g})")[:40]
        for y, r, g in zip(table["y"], table["runner_text"], table["group_text"], strict=True)
    }
    if len(effects):
        start = len(table) + 0.5
        squad_table = pd.DataFrame(
            {
                "y": start + np.arange(len(effects), dtype=float),
                "x": effects["estimate_pct"].to_numpy(dtype=float),
                "low": effects["ci_low_pct"].to_numpy(dtype=float),
                "high": effects["ci_high_pct"].to_numpy(dtype=float),
                "effect_text": [clean_text(e) for e in effects["effect"]],
                "change_text": _change_texts(effects, "estimate_pct"),
            }
        )
        source = _source(bk, squad_table)
        fig.segment(
            "low",
            "y",
            "high",
            "y",
            source=source,
            line_color="black",
            line_width=2,
            legend_label="squad model",
        )
        squad_renderer = fig.scatter(
            "x",
            "y",
            source=source,
            marker="diamond",
            size=13,
            fill_color="#9e9e9e",
            line_color="black",
            legend_label="squad model",
        )
        fig.add_tools(
            bk.HoverTool(
                renderers=[squad_renderer],
                tooltips=[("squad model", "@effect_text"), ("estimate", "@change_text")],
            )
        )
        labels.update(
            {
                float(y): f"squad: {e}"
                for y, e in zip(squad_table["y"], squad_table["effect_text"], strict=True)
            }
        )
    top = max(labels, default=0.0)
    fig.y_range = bk.Range1d(top + 0.8, -0.8)
    if named:
        fig.yaxis.ticker = bk.FixedTicker(ticks=sorted(labels))
        # PlainText: Bokeh would typeset a "$$...$$" in a name as TeX (loading MathJax)
        fig.yaxis.major_label_overrides = {y: bk.PlainText(text=t) for y, t in labels.items()}
    else:
        fig.yaxis.axis_label = "runners, ranked by their change (names on hover)"
    fig.ygrid.visible = False
    _legend_below(fig)
    return [Chart(alt, item=_item(bk, fig))]


# --------------------------------------------------------------------------- Bokeh plumbing


class _Bokeh:
    """The few Bokeh names the charts use, imported on first use."""

    def __init__(self):
        from bokeh.embed import json_item
        from bokeh.models import (
            BoxAnnotation,
            ColumnDataSource,
            FixedTicker,
            HoverTool,
            PlainText,
            Range1d,
            Span,
        )
        from bokeh.plotting import figure as bokeh_figure

        self.figure = bokeh_figure
        self.json_item = json_item
        self.BoxAnnotation = BoxAnnotation
        self.ColumnDataSource = ColumnDataSource
        self.FixedTicker = FixedTicker
        self.HoverTool = HoverTool
        self.PlainText = PlainText
        self.Range1d = Range1d
        self.Span = Span


_BK: _Bokeh | None = None


def _bokeh() -> _Bokeh:
    global _BK
    if _BK is None:
        _BK = _Bokeh()
    return _BK


_HOVER_FIELDS = (
    ("date", "@date_text"),
    ("run", "@run_text"),
    ("type", "@type_text"),
    ("distance", "@distance_text"),
    ("pace", "@pace_text"),
    ("heart rate", "@hr_text"),
    ("temperature", "@temp_text"),
    ("oxygen cost", "@cost_text"),
    ("model", "@status"),
)


def _hover(bk: _Bokeh, fig, renderers: list, *, runs: pd.DataFrame) -> None:
    tooltips = list(_HOVER_FIELDS)
    if "notes_text" in runs:
        tooltips.append(("notes", "@notes_text"))
    fig.add_tools(bk.HoverTool(renderers=renderers, tooltips=tooltips))


_SOURCE_COLUMNS = (
    "date",
    "o2_cost_ml_kg_km",
    "gas_pace_s_per_km",
    "hr_bpm",
    "y_floor",
    "x",
    "y",
    "low",
    "high",
)


def _source(bk: _Bokeh, frame: pd.DataFrame):
    """A data source of the drawn numbers and the hover texts (``*_text`` and ``status``)."""
    data = {}
    for column in frame.columns:
        if column in _SOURCE_COLUMNS:
            values = frame[column]
            data[column] = values.to_numpy() if column == "date" else values.to_numpy(dtype=float)
        elif column.endswith("_text") or column == "status":
            data[column] = [str(v) for v in frame[column]]
    return bk.ColumnDataSource(data)


def _shade_block(bk: _Bokeh, fig, block: Mapping) -> None:
    if pd.isna(block.get("block_start")):
        return
    start = pd.Timestamp(block["block_start"])
    end = pd.Timestamp(block["block_end"]) + pd.Timedelta(days=1)
    fig.add_layout(
        bk.BoxAnnotation(
            left=start, right=end, fill_color="#d9d9d9", fill_alpha=0.5, level="underlay"
        )
    )
    fig.title.text += f"\nshaded: the strength block, {format_date(start)} to {format_date(end - pd.Timedelta(days=1))}"


def _legend_below(fig) -> None:
    if not fig.legend:
        return
    legend = fig.legend[0]
    legend.click_policy = "hide"
    legend.title = "click an entry to hide or show it"
    legend.label_text_font_size = "11px"
    legend.orientation = "horizontal"
    legend.ncols = 2
    fig.add_layout(legend, "below")


def _item(bk: _Bokeh, fig) -> dict:
    """Bokeh's JSON of ``fig`` (:func:`bokeh.embed.json_item`); the exporter gives its
    object ids a per-chart prefix (:func:`analysis.report.chart_markup`)."""
    return bk.json_item(fig)
