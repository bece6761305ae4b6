"""Strava bulk export: ``activities.csv`` and the activity files next to it.

The export's ``activities.csv`` repeats some column names (IMPORT_FORMATS.md):
the first ``Distance`` is in the account's display unit (km or miles,
rounded to 10 m), the second in metres; the first ``Elapsed Time`` is whole
seconds, the second a float. The precise second ``Distance`` is used where
filled; an older export with a single ``Distance`` is taken as km, unless
``Average Speed`` x ``Moving Time`` says miles. ``Activity Date`` (``Oct 6,
2022, 11:19:20 PM``) is UTC (an "Evening Run" at 11 PM UTC in an American
account), written with ``Z``.

``Filename`` points into the export's ``activities/`` folder
(``activities/123.fit.gz``, ``.gpx``, ``.tcx.gz``); when that file exists the
run is imported from it (per-second stream, device totals) and the CSV row
only adds the activity name and the perceived exertion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io.importers.activity import normalise_sport
from analysis.io.importers.csvutil import (
    KM_PER_MILE,
    CsvRuns,
    RawCsv,
    clock_seconds,
    missing,
    parse_datetimes,
    read_raw_csv,
    require,
    row_labels,
    split_runs,
    to_number,
)

HEADER_KEYS = ("Activity ID", "Activity Date", "Activity Type")
DATE_FORMATS = (
    "%b %d, %Y, %I:%M:%S %p",
    "%d %b %Y, %H:%M:%S",
    "%b %d, %Y, %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


def _any_occurrence(raw: RawCsv, name: str) -> pd.Series:
    """First filled value among all the columns called ``name``."""
    out = pd.Series(np.nan, index=range(raw.n_rows))
    k = 0
    while (col := raw.get(name, k)) is not None:
        out = out.where(out.notna(), to_number(col))
        k += 1
    return out


def confined_path(base: Path, name: str) -> str:
    """``base / name`` resolved, or ``""`` when it leaves ``base``.

    A Strava export names its activity files relative to itself; an absolute
    path, ``..`` or a symlink that resolves outside the export folder is
    never read (an ``activities.csv`` must not make runeco import a file from
    elsewhere on the machine).
    """
    if not name or Path(name).is_absolute():
        return ""
    root = Path(base).resolve()
    full = (root / name).resolve()
    return str(full) if root in full.parents else ""


def referenced_files(raw: RawCsv) -> pd.Series:
    """Absolute paths of the activity files the export names, confined to its
    folder (empty where none, or where the name leaves the folder)."""
    names = raw.get("Filename")
    if names is None:
        return pd.Series([""] * raw.n_rows, dtype="str")
    base = raw.path.parent
    names = names.fillna("").str.strip()
    return names.map(lambda n: confined_path(base, n))


def read_strava_csv(path) -> CsvRuns:
    """Read a Strava ``activities.csv`` into runs.csv rows."""
    raw = read_raw_csv(path)
    require(raw, HEADER_KEYS + ("Distance",), "Strava activities.csv")
    label = row_labels(raw)
    sport_label = raw.get("Activity Type").fillna("").str.strip()
    sport = sport_label.map(normalise_sport)
    running = (sport == "running").to_numpy()
    warnings: list[str] = []

    first_dist = to_number(raw.get("Distance", 0))
    second = raw.get("Distance", 1)
    metres = to_number(second) if second is not None else None
    moving = raw.seconds("Moving Time")
    elapsed = clock_seconds(raw.get("Elapsed Time", 0))
    if raw.get("Elapsed Time", 1) is not None:
        elapsed_precise = clock_seconds(raw.get("Elapsed Time", 1))
        elapsed = elapsed_precise.where(elapsed_precise.notna(), elapsed)
    duration = moving.where(moving > 0, elapsed)

    km_factor = 1.0
    if metres is None or metres.isna().all():
        speed = raw.number("Average Speed")
        if speed.notna().any():
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = (speed * duration / 1000.0) / first_dist
            r = ratio[running & np.isfinite(ratio)]
            if len(r) and 1.45 <= float(np.median(r)) <= 1.8:
                km_factor = KM_PER_MILE
        if running.any():
            warnings.append(
                f"{raw.path.name}: no distance in metres (an older export); the display distance "
                f"was read as {'miles' if km_factor != 1.0 else 'km'}"
            )
    dist_km = first_dist * km_factor
    if metres is not None:
        dist_km = (metres / 1000.0).where(metres > 0, dist_km)

    dates = parse_datetimes(raw.get("Activity Date"), DATE_FORMATS)
    date_text = (dates.dt.strftime("%Y-%m-%dT%H:%M:%S") + "Z").fillna("")
    cadence = raw.number("Average Cadence")
    rpe = raw.number("Perceived Exertion")
    rows = pd.DataFrame(
        {
            "label": label,
            "date": date_text,
            "distance_km": dist_km,
            "duration_s": duration,
            "elapsed_s": elapsed.where(elapsed > 0),
            "avg_hr_bpm": _any_occurrence(raw, "Average Heart Rate"),
            "max_hr_bpm": _any_occurrence(raw, "Max Heart Rate"),
            "elev_gain_m": _any_occurrence(raw, "Elevation Gain"),
            "elev_loss_m": _any_occurrence(raw, "Elevation Loss"),
            "temp_c": _any_occurrence(raw, "Average Temperature"),
            "cadence_spm": cadence.where(cadence >= 120, cadence * 2.0),
            "avg_power_w": _any_occurrence(raw, "Average Watts"),
            "rpe": rpe.where((rpe >= 1) & (rpe <= 10)),
            "sport": sport,
            "sub_sport": sport_label.str.lower().str.replace(" ", "_"),
            "source": "strava_csv",
            "source_file": raw.path.name,
            "name": raw.get("Activity Name").fillna("") if raw.has("Activity Name") else "",
            "strava_id": raw.get("Activity ID").fillna("").str.strip(),
            # the gear Strava has the run in: shoes (runs.csv's shoes)
            "shoes": raw.get("Activity Gear").fillna("").str.strip()
            if raw.has("Activity Gear")
            else "",
        }
    )
    for col in ("avg_hr_bpm", "max_hr_bpm", "cadence_spm", "avg_power_w"):
        rows[col] = rows[col].where(rows[col] > 0)
    files = referenced_files(raw)
    if raw.has("Filename"):
        given = raw.get("Filename").fillna("").str.strip()
        outside = (given != "") & (files == "")
        if outside.any():
            warnings.append(
                f"{raw.path.name}: {int(outside.sum())} rows name a file outside the export "
                f"folder (e.g. {given[outside].iloc[0]!r}): not read; their CSV values were "
                "imported"
            )
    exists = files.map(lambda f: bool(f) and Path(f).is_file()).to_numpy(dtype=bool)
    rows["device_file"] = files.where(exists, "")
    got = split_runs(
        raw, rows, running, sport_label, date_column="Activity Date", warnings=warnings
    )
    named = (
        ~missing(raw.get("Filename"))
        if raw.has("Filename")
        else pd.Series(False, index=range(raw.n_rows))
    )
    absent = int((named.to_numpy() & ~exists & (date_text != "").to_numpy() & running).sum())
    if absent:
        got.warnings.append(
            f"{raw.path.name}: {absent} runs name an activity file that is not next to the CSV; "
            "their summary values from the CSV were imported (no per-second stream)"
        )
    return got
