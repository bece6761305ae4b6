"""GPX tracks (``.gpx``, ``.gpx.gz``), read with gpxpy.

A GPX file has positions, time stamps and optionally elevation; heart rate,
cadence, temperature and power come from the Garmin TrackPointExtension
(``gpxtpx:hr``, ``cad``, ``atemp``) or similar extensions, matched by local
name. It has no totals of its own: distance is the sum of great-circle steps
between positions (2-D, as Garmin and Strava report it), duration the moving
time. Every track and segment of the file is one activity.

The sport comes from ``<trk><type>`` (``running``, Strava's numeric ``9``);
a file that does not say is taken as running, since runners import their own
runs, unless its median moving speed is above
:data:`MAX_RUNNING_SPEED_M_S` (then it is reported as "not running").
"""

from __future__ import annotations

from pathlib import Path

import gpxpy
import gpxpy.gpx
import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.importers.activity import Activity, normalise_sport
from analysis.io.importers.files import read_source

#: Above this median moving speed [m/s] (25 km/h) an untyped track is not a run.
MAX_RUNNING_SPEED_M_S = 7.0

_EXT_NAMES = {
    "hr": "hr_bpm",
    "heartrate": "hr_bpm",
    "heart_rate": "hr_bpm",
    "cad": "cadence_spm",
    "cadence": "cadence_spm",
    "runcadence": "cadence_spm",
    "atemp": "temp_c",
    "temp": "temp_c",
    "temperature": "temp_c",
    "power": "power_w",
    "watts": "power_w",
}


def _extension_values(point) -> dict:
    out = {}
    for ext in point.extensions:
        for el in ext.iter():
            tag = el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""
            name = _EXT_NAMES.get(tag)
            if name is None or name in out or el.text is None:
                continue
            try:
                out[name] = float(el.text)
            except ValueError:
                continue
    return out


def read_gpx(path) -> list[Activity]:
    """Read a GPX file into one :class:`Activity`.

    Raises
    ------
    DataError
        Not XML / not GPX, no track points, or no time stamps.
    """
    path = Path(path)
    data = read_source(path)
    try:
        doc = gpxpy.parse(data.decode("utf-8", errors="replace").lstrip())
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise DataError(f"not a valid GPX file ({exc})", file=str(path)) from exc

    points = [p for trk in doc.tracks for seg in trk.segments for p in seg.points]
    if not points:
        routes = sum(len(r.points) for r in doc.routes)
        what = f"{len(doc.waypoints)} waypoints" if doc.waypoints else "metadata only"
        if routes:
            what = f"a route of {routes} points (a plan, not a recording)"
        raise DataError(f"no track points: the file holds {what}", file=str(path))
    timed = [p for p in points if p.time is not None]
    if not timed:
        raise DataError(
            "no time stamps: the track has positions but no <time> on its points, so "
            "neither duration nor pace is known",
            file=str(path),
        )
    warnings = []
    if len(timed) < len(points):
        warnings.append(
            f"{len(points) - len(timed)} track points without a time stamp were dropped"
        )

    epoch = np.array([p.time.timestamp() for p in timed], dtype=float)
    cols = {
        "time_s": epoch,
        "lat_deg": np.array([p.latitude for p in timed], dtype=float),
        "lon_deg": np.array([p.longitude for p in timed], dtype=float),
        "altitude_m": np.array(
            [np.nan if p.elevation is None else p.elevation for p in timed], dtype=float
        ),
    }
    ext = [_extension_values(p) for p in timed]
    for name in set(_EXT_NAMES.values()):
        values = np.array([e.get(name, np.nan) for e in ext], dtype=float)
        if np.isfinite(values).any():
            cols[name] = values
    if "hr_bpm" in cols:
        cols["hr_bpm"] = np.where(cols["hr_bpm"] > 0, cols["hr_bpm"], np.nan)
    samples = pd.DataFrame(cols)
    if samples["altitude_m"].isna().all():
        samples = samples.drop(columns="altitude_m")

    # the start is the earliest time stamp (clock glitches out of order are
    # dropped later, when the samples are cleaned)
    first = int(np.argmin(epoch))
    t0 = timed[first].time
    start_utc = pd.Timestamp(epoch[first], unit="s", tz="UTC")
    offset = t0.utcoffset()
    start_local = None
    if offset is not None and offset.total_seconds() != 0:
        start_local = pd.Timestamp(t0.replace(tzinfo=None))
    samples["time_s"] = samples["time_s"] - epoch[first]

    track = next(t for t in doc.tracks if any(s.points for s in t.segments))
    label = (track.type or "").strip()
    return [
        Activity(
            file=path,
            source="gpx",
            sport=normalise_sport(label),
            sport_label=label,
            start_utc=start_utc,
            start_local=start_local,
            samples=samples,
            totals={},
            name=(track.name or doc.name or "").strip(),
            # no device: a GPX file's creator names the exporting software
            # ("Garmin Connect", "StravaGPX", "GPSBabel") more often than the
            # watch, and the field model gives each device its own heart-rate offset
            device="",
            warnings=warnings,
        )
    ]
