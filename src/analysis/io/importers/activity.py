"""One decoded activity and how it becomes a runs.csv row plus a per-second stream.

The FIT, GPX and TCX readers each return :class:`Activity` objects: the
file's own totals (what the device wrote in its session or laps) and its raw
samples. :func:`summarise` turns one into the canonical summary row and the
one-second stream that is cached as Parquet.

Start time and zone. ``date`` in runs.csv is written with the offset when
the file gives one (FIT ``activity.local_timestamp`` minus its UTC
``timestamp``, rounded to 15 min), e.g. ``2019-06-15T05:42:23-04:00``: the
local wall-clock time plus its offset, which the loader reads as local time.
GPX and TCX time stamps are UTC with no zone, so their ``date`` is the UTC
time written with ``Z`` (the loader keeps the UTC clock time). A FIT file
whose clock was never set (a "system time" under 0x10000000) but that has a
local time stamp gives local time without an offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.importers import runtype, streams
from analysis.physiology import grade_adjusted_speed_stream

#: Strava's numeric activity types in its GPX/TCX exports (``<type>9</type>``).
#: Only the codes confirmed by the real files (9 run, 16 swim) and Strava's
#: published list of the common ones are mapped.
STRAVA_TYPE_CODES = {
    "1": "cycling",
    "4": "hiking",
    "9": "running",
    "10": "walking",
    "16": "swimming",
}

_SPORT_WORDS = (
    ("run", "running"),
    ("jog", "running"),
    ("cycl", "cycling"),
    ("bik", "cycling"),
    ("ride", "cycling"),
    ("walk", "walking"),
    ("hik", "hiking"),
    ("swim", "swimming"),
)

#: Altitude window [s] for the per-second grade. SCIENCE.md §3 asks for 5-10 s
#: or 20-50 m; altimeters report in 1 m (or 0.2 m) steps, and 1 m over the
#: 40 m of a 10 s window at 4 m/s is already a 2.5 % grade, a 10 % swing of
#: grade-adjusted speed. 30 s (90-120 m at running speed) keeps the
#: quantisation under 1 % grade.
GRADE_SMOOTH_S = 30.0

#: A running cadence below this is in strides (one foot) per minute, as FIT,
#: Garmin TCX/GPX extensions and Strava record it; it is doubled to steps/min.
STRIDE_CADENCE_MAX = 120.0


def normalise_sport(label) -> str:
    """Map a sport name from any source to a short lower-case name.

    ``running`` for every running variant (trail, treadmill, track, virtual,
    Strava "Run", GPX type ``9``); ``cycling``, ``walking``, ``hiking``,
    ``swimming`` likewise; anything else lower-cased with spaces as
    underscores (``generic``, ``rowing``, ``transition``); ``""`` when the
    file does not say.
    """
    if label is None:
        return ""
    text = str(label).strip().lower()
    if not text or text in ("none", "nan"):
        return ""
    if text in STRAVA_TYPE_CODES:
        return STRAVA_TYPE_CODES[text]
    for word, sport in _SPORT_WORDS:
        if word in text:
            return sport
    return text.replace(" ", "_")


def strides_to_steps(cadence) -> np.ndarray:
    """Running cadence in steps/min, doubling values given per stride.

    A median (of positive values) below :data:`STRIDE_CADENCE_MAX` means the
    series is strides/min (FIT ``cadence`` is "rpm": one foot's cycles per
    minute) and is doubled; steps/min (Garmin Connect, some apps) are left
    as they are.
    """
    c = np.asarray(cadence, dtype=float)
    positive = c[np.isfinite(c) & (c > 0)]
    if positive.size and np.median(positive) < STRIDE_CADENCE_MAX:
        return c * 2.0
    return c


@dataclass
class Activity:
    """An activity decoded from a device file.

    ``totals`` holds what the file itself says (any of ``distance_m``,
    ``timer_s``, ``elapsed_s``, ``moving_s``, ``ascent_m``, ``descent_m``,
    ``avg_hr_bpm``, ``max_hr_bpm``, ``cadence_spm``, ``temp_c``,
    ``vo2max_ml_kg_min``, ``power_w``); ``samples`` the raw samples,
    ``time_s`` from the start plus any of
    :data:`~analysis.io.importers.streams.SAMPLE_COLUMNS`.
    ``stream_ok`` is False when decoding stopped part-way, so that only the
    file's own totals can be trusted.
    """

    file: Path
    source: str
    sport: str
    sport_label: str = ""
    sub_sport: str = ""
    start_utc: pd.Timestamp | None = None
    start_local: pd.Timestamp | None = None
    samples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"time_s": []}))
    totals: dict = field(default_factory=dict)
    name: str = ""
    device: str = ""
    warnings: list = field(default_factory=list)
    stream_ok: bool = True
    leg: int | None = None
    display: str = ""

    @property
    def label(self) -> str:
        """The file as shown in the summary, with the leg of a multisport file."""
        base = self.display or str(self.file)
        return base if self.leg is None else f"{base} (leg {self.leg})"

    @property
    def sport_shown(self) -> str:
        """The sport for the summary: normalised, with the file's own word if different."""
        sport = self.sport or "unknown sport"
        raw = self.sport_label.strip()
        return sport if not raw or raw.lower() == sport else f"{sport} ({raw})"


class NotAnActivity(Exception):
    """A readable file that holds no activity (a FIT monitoring or settings
    file): skipped, not failed."""


_TIMEZONES = None


def local_start(start_utc: pd.Timestamp | None, samples: pd.DataFrame) -> pd.Timestamp | None:
    """The local wall-clock start from the time zone at the first GPS position.

    GPX and TCX times are UTC (``...Z``) and a FIT file may lack its local
    timestamp; runs.csv holds local time (DATA_FORMAT.md), so a run at 07:05
    in Berlin must not be stored as 05:05. The zone comes from the
    well-kept ``timezonefinder`` (offline polygons of the IANA zones) and
    ``zoneinfo`` gives its offset on that day (summer time included). None
    without a start time or a position.
    """
    global _TIMEZONES
    if start_utc is None or "lat_deg" not in samples or "lon_deg" not in samples:
        return None
    ok = samples["lat_deg"].notna() & samples["lon_deg"].notna()
    if not ok.any():
        return None
    lat = float(samples.loc[ok, "lat_deg"].iloc[0])
    lon = float(samples.loc[ok, "lon_deg"].iloc[0])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if _TIMEZONES is None:
        from timezonefinder import TimezoneFinder

        _TIMEZONES = TimezoneFinder()
    name = _TIMEZONES.timezone_at(lng=lon, lat=lat)
    if not name:
        return None
    try:
        return start_utc.tz_convert(ZoneInfo(name)).tz_localize(None)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def format_date(start_utc: pd.Timestamp | None, start_local: pd.Timestamp | None) -> str:
    """ISO 8601 start for runs.csv: local time with offset, UTC with ``Z``, or local."""
    if start_local is not None and start_utc is not None:
        offset_s = int(round((start_local - start_utc.tz_localize(None)).total_seconds()))
        sign = "+" if offset_s >= 0 else "-"
        h, m = divmod(abs(offset_s) // 60, 60)
        return f"{start_local:%Y-%m-%dT%H:%M:%S}{sign}{h:02d}:{m:02d}"
    if start_utc is not None:
        return f"{start_utc.tz_convert('UTC'):%Y-%m-%dT%H:%M:%S}Z"
    if start_local is not None:
        return f"{start_local:%Y-%m-%dT%H:%M:%S}"
    return ""


def _finite(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return v if np.isfinite(v) else float("nan")


def _first(*values) -> float:
    for v in values:
        f = _finite(v)
        if np.isfinite(f):
            return f
    return float("nan")


def _mean_where(values: np.ndarray, mask: np.ndarray) -> float:
    v = values[mask & np.isfinite(values)]
    return float(v.mean()) if v.size else float("nan")


def build_stream(activity: Activity) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cleaned samples and their one-second grid (stream columns added).

    Returns
    -------
    samples : DataFrame
        Cleaned samples (:func:`streams.clean_samples`), cumulative distance
        filled from speed or positions when the file has none.
    grid : DataFrame
        :data:`streams.STREAM_COLUMNS` (all present; empty where not
        recorded) plus ``lat_deg``/``lon_deg`` when recorded.
    """
    samples, dropped = streams.clean_samples(activity.samples)
    if dropped:
        activity.warnings.append(f"{dropped} samples with time stamps going backwards were dropped")
    samples = samples.copy()
    has_dist = "distance_m" in samples and samples["distance_m"].notna().sum() > 1
    if not has_dist and "lat_deg" in samples and samples["lat_deg"].notna().sum() > 1:
        samples["distance_m"] = np.cumsum(
            streams.gps_distance_steps_m(samples["time_s"], samples["lat_deg"], samples["lon_deg"])
        )
        has_dist = True
    if not has_dist and "speed_m_s" in samples and samples["speed_m_s"].notna().sum() > 1:
        t = samples["time_s"].to_numpy(dtype=float)
        v = samples["speed_m_s"].fillna(0.0).to_numpy(dtype=float)
        dt = np.diff(t, prepend=t[:1])
        dt = np.where(dt > streams.MAX_FILL_GAP_S, 0.0, dt)
        samples["distance_m"] = np.cumsum(v * dt)
    if "distance_m" in samples:
        # a leg of a multisport file carries the file's cumulative distance
        first = samples["distance_m"].dropna()
        if len(first):
            samples["distance_m"] = samples["distance_m"] - first.iloc[0]
    if "cadence_spm" in samples:
        samples["cadence_spm"] = strides_to_steps(samples["cadence_spm"])

    grid = streams.resample_1hz(samples)
    device_speed = "speed_m_s" in grid and grid["speed_m_s"].notna().any()
    if not device_speed:
        if "distance_m" in grid:
            speed = streams.speed_from_distance(grid["distance_m"])
            grid["speed_m_s"] = np.where(grid["gap"], np.nan, speed)
    grid["moving"] = streams.moving_mask(grid)
    for col in streams.STREAM_COLUMNS:
        if col not in grid and col not in ("gas_m_s", "moving", "steady"):
            grid[col] = np.nan
    speed = grid["speed_m_s"].to_numpy(dtype=float)
    if grid["altitude_m"].notna().sum() > 1 and grid["distance_m"].notna().sum() > 1:
        gas = np.asarray(
            grade_adjusted_speed_stream(
                speed,
                grid["altitude_m"].to_numpy(dtype=float),
                grid["distance_m"].to_numpy(dtype=float),
                smooth_s=GRADE_SMOOTH_S,
            ),
            dtype=float,
        )
        # no altitude (a gap in the barometer only): flat
        gas = np.where(np.isfinite(gas), gas, speed)
    else:
        gas = speed
    grid["gas_m_s"] = gas
    smooth = streams.STEADY_SMOOTH_S if device_speed else streams.STEADY_SMOOTH_GPS_S
    grid["steady"] = streams.steady_mask(gas, grid["hr_bpm"], grid["moving"], smooth_s=smooth)
    return samples, grid


def summarise(activity: Activity) -> tuple[dict, pd.DataFrame | None]:
    """The runs.csv row of an activity and its one-second stream.

    Distance is the file's own total where it has one (FIT session, TCX laps),
    else the samples' cumulative distance. ``duration_s`` is the moving time
    (:func:`streams.moving_time_s`), never more than the device's timer time.
    Elevation gain and loss come from the smoothed altitude with hysteresis
    (:func:`streams.elevation_gain_loss`), the device's totals only when the
    file has no altitude samples.

    Returns
    -------
    row : dict
        runs.csv values (numbers as floats; ``date`` as text), and the
        private ``_`` keys of :data:`runtype.FEATURES` from which the
        importer types the run.
    stream : DataFrame or None
        :data:`streams.STREAM_COLUMNS` per second; None when the file's
        samples cannot be trusted (decoding stopped part-way).

    Raises
    ------
    DataError
        No usable samples and no totals to fall back on.
    """
    tot = activity.totals
    start_local = activity.start_local
    if start_local is None:
        start_local = local_start(activity.start_utc, activity.samples)
    offset = (
        (start_local - activity.start_utc.tz_convert("UTC").tz_localize(None)).total_seconds() / 60
        if start_local is not None and activity.start_utc is not None
        else float("nan")
    )
    row: dict = {
        "date": format_date(activity.start_utc, start_local),
        "utc_offset_min": round(offset) if np.isfinite(offset) else float("nan"),
        "sport": activity.sport,
        "sub_sport": activity.sub_sport,
        "source": activity.source,
        "source_file": Path(activity.file).name,
        "name": activity.name,
        "device": activity.device,
    }
    n_samples = len(activity.samples)
    if not activity.stream_ok or n_samples < 2:
        if not activity.stream_ok and np.isfinite(_finite(tot.get("distance_m"))):
            row.update(_totals_only(tot))
            return row, None
        if n_samples == 0:
            raise DataError(
                "no records: the file holds no time-stamped samples", file=str(activity.file)
            )
        raise DataError(
            f"only {n_samples} time-stamped sample: not enough for an activity",
            file=str(activity.file),
        )

    samples, grid = build_stream(activity)
    if len(samples) < 2:
        raise DataError(
            f"time stamps out of order: only {len(samples)} of {n_samples} samples run forward "
            "in time, not enough for an activity",
            file=str(activity.file),
        )
    moving = grid["moving"].to_numpy(dtype=bool)
    has_motion = grid[["distance_m", "speed_m_s"]].notna().any().any()

    stream_dist_m = _finite(grid["distance_m"].max())
    file_dist_m = _finite(tot.get("distance_m"))
    if np.isfinite(file_dist_m) and file_dist_m > 0:
        distance_m = file_dist_m
        if np.isfinite(stream_dist_m) and abs(stream_dist_m - file_dist_m) > 0.01 * file_dist_m:
            activity.warnings.append(
                f"the records add up to {stream_dist_m / 1000:.2f} km but the file's total says "
                f"{file_dist_m / 1000:.2f} km; the file's total is used"
            )
    else:
        distance_m = stream_dist_m

    timer_s = _first(tot.get("moving_s"), tot.get("timer_s"))
    elapsed_s = _first(tot.get("elapsed_s"), float(samples["time_s"].iloc[-1]))
    if has_motion:
        moving_s = streams.moving_time_s(grid, samples)
        duration_s = min(moving_s, timer_s) if np.isfinite(timer_s) else moving_s
        if duration_s <= 0 and np.isfinite(timer_s):
            duration_s = timer_s
    else:
        duration_s = _first(timer_s, elapsed_s)

    hr = grid["hr_bpm"].to_numpy(dtype=float)
    avg_hr = _first(
        tot.get("avg_hr_bpm"), _mean_where(hr, moving if moving.any() else np.isfinite(hr))
    )
    max_hr = _first(tot.get("max_hr_bpm"), np.nanmax(hr) if np.isfinite(hr).any() else np.nan)

    if grid["altitude_m"].notna().sum() > 1:
        gain, loss = streams.elevation_gain_loss(grid["altitude_m"])
        gain, loss = gain + 0.0, loss + 0.0
    else:
        gain, loss = _finite(tot.get("ascent_m")), _finite(tot.get("descent_m"))

    temp = grid["temp_c"].to_numpy(dtype=float)
    cad = grid["cadence_spm"].to_numpy(dtype=float)
    power = grid["power_w"].to_numpy(dtype=float)
    file_cad = _finite(tot.get("cadence_spm"))
    if np.isfinite(file_cad) and file_cad < STRIDE_CADENCE_MAX:
        file_cad *= 2.0
    cad_mask = moving & (cad > 0)
    row.update(
        {
            "distance_km": distance_m / 1000.0,
            "duration_s": duration_s,
            "elapsed_s": elapsed_s,
            "avg_hr_bpm": avg_hr,
            "max_hr_bpm": max_hr,
            "elev_gain_m": gain,
            "elev_loss_m": loss,
            "temp_c": _first(tot.get("temp_c"), _mean_where(temp, np.isfinite(temp))),
            "cadence_spm": _first(file_cad, _mean_where(cad, cad_mask)),
            "vo2max_est_ml_kg_min": _finite(tot.get("vo2max_ml_kg_min")),
            "avg_power_w": _first(tot.get("power_w"), _mean_where(power, moving & (power > 0))),
        }
    )
    row.update(
        streams.stream_metrics(grid["gas_m_s"], grid["hr_bpm"], grid["steady"], grid["time_s"])
    )
    row.update(runtype.stream_features(grid))
    if not np.isfinite(hr).any():
        activity.warnings.append("no heart rate recorded")
    stream = grid[list(streams.STREAM_COLUMNS)].copy()
    return row, stream


def _totals_only(tot: dict) -> dict:
    cad = _finite(tot.get("cadence_spm"))
    if np.isfinite(cad) and cad < STRIDE_CADENCE_MAX:
        cad *= 2.0
    return {
        "steady_duration_s": float("nan"),
        "steady_avg_hr_bpm": float("nan"),
        "steady_gas_m_min": float("nan"),
        "decoupling_pct": float("nan"),
        "distance_km": _finite(tot.get("distance_m")) / 1000.0,
        "duration_s": _first(tot.get("moving_s"), tot.get("timer_s"), tot.get("elapsed_s")),
        "elapsed_s": _finite(tot.get("elapsed_s")),
        "avg_hr_bpm": _finite(tot.get("avg_hr_bpm")),
        "max_hr_bpm": _finite(tot.get("max_hr_bpm")),
        "elev_gain_m": _finite(tot.get("ascent_m")),
        "elev_loss_m": _finite(tot.get("descent_m")),
        "temp_c": _finite(tot.get("temp_c")),
        "cadence_spm": cad,
        "vo2max_est_ml_kg_min": _finite(tot.get("vo2max_ml_kg_min")),
        "avg_power_w": _finite(tot.get("power_w")),
    }
