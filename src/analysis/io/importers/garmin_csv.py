"""Garmin Connect "Activities" CSV export (one row per activity).

Columns are read by name (IMPORT_FORMATS.md): ``Activity Type``, ``Date``
(local time, no zone), ``Title``, ``Distance``, ``Time`` / ``Moving Time`` /
``Elapsed Time`` (``01:03:58`` or ``00:28:10.5``), ``Avg HR``, ``Max HR``,
``Avg Run Cadence`` (steps/min), ``Total Ascent`` / ``Total Descent``
(older exports: ``Activity Time``, ``Elev Gain``, ``Elev Loss``),
``Avg Power``. ``--`` is missing; values may carry thousands separators
(``"4,808"``) or decimal commas (``"7,00"``), told apart per file.

The export does not say whether distances are km or miles (nor whether
elevation is m or ft): it follows the account's unit setting. Where stride
length and cadence are given, distance = stride x cadence x time tells:
the median ratio over the running rows is 1 for km, 1.609 for miles. Without
them km is assumed, with a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.io.importers.activity import normalise_sport
from analysis.io.importers.csvutil import (
    KM_PER_MILE,
    CsvRuns,
    RawCsv,
    decimal_comma,
    parse_datetimes,
    read_raw_csv,
    require,
    row_labels,
    split_runs,
    to_number,
)

M_PER_FT = 0.3048
HEADER_KEYS = ("Activity Type", "Date", "Distance")


def _first_valid(raw: RawCsv, name: str, comma: bool) -> pd.Series:
    """First positive value among the columns called ``name`` (Garmin repeats some)."""
    out = pd.Series(np.nan, index=range(raw.n_rows))
    k = 0
    while (col := raw.get(name, k)) is not None:
        values = to_number(col, comma_decimal=comma)
        out = out.where(out.notna(), values.where(values > 0))
        k += 1
    return out


def _distance_unit(dist, stride_m, cadence_spm, duration_s, running) -> tuple[float, str | None]:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (stride_m * cadence_spm * duration_s / 60.0) / (dist * 1000.0)
    ratio = ratio[running & np.isfinite(ratio) & (ratio > 0)]
    if len(ratio) >= 1:
        r = float(np.median(ratio))
        if 0.85 <= r <= 1.15:
            return 1.0, None
        if 1.45 <= r <= 1.8:
            return KM_PER_MILE, None
    return 1.0, (
        "the export does not say whether distances are km or miles and stride length x "
        "cadence could not tell; km assumed"
    )


def read_garmin_csv(path) -> CsvRuns:
    """Read a Garmin Connect activities export into runs.csv rows."""
    raw = read_raw_csv(path)
    require(raw, HEADER_KEYS, "Garmin Connect activities")
    comma = decimal_comma(
        [raw.get("Distance"), raw.get("Avg Stride Length"), raw.get("Aerobic TE")]
    )
    label = row_labels(raw)
    sport_label = raw.get("Activity Type").fillna("").str.strip()
    sport = sport_label.map(normalise_sport)
    running = (sport == "running").to_numpy()

    dist = to_number(raw.get("Distance"), comma_decimal=comma)
    moving = raw.seconds("Moving Time")
    timer = raw.seconds("Time", "Activity Time")
    elapsed = raw.seconds("Elapsed Time")
    duration = moving.where(moving > 0, timer.where(timer > 0, elapsed))
    cadence = _first_valid(raw, "Avg Run Cadence", comma)
    stride = raw.number("Avg Stride Length", comma_decimal=comma)
    km_factor, unit_note = _distance_unit(
        dist.to_numpy(), stride.to_numpy(), cadence.to_numpy(), duration.to_numpy(), running
    )
    elev_factor = M_PER_FT if km_factor != 1.0 else 1.0
    warnings = [f"{raw.path.name}: {unit_note}"] if unit_note and running.any() else []
    if km_factor != 1.0:
        warnings.append(
            f"{raw.path.name}: distances read as miles and elevation as feet (converted)"
        )

    dates = parse_datetimes(
        raw.get("Date"), ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M")
    )
    date_text = dates.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    cad = cadence.where(cadence >= 120, cadence * 2.0)  # strides/min in some layouts
    rows = pd.DataFrame(
        {
            "label": label,
            "date": date_text,
            "distance_km": dist * km_factor,
            "duration_s": duration,
            "elapsed_s": elapsed.where(elapsed > 0),
            "avg_hr_bpm": raw.number("Avg HR", comma_decimal=comma),
            "max_hr_bpm": raw.number("Max HR", comma_decimal=comma),
            "elev_gain_m": raw.number("Total Ascent", "Elev Gain", comma_decimal=comma)
            * elev_factor,
            "elev_loss_m": raw.number("Total Descent", "Elev Loss", comma_decimal=comma)
            * elev_factor,
            "cadence_spm": cad,
            "avg_power_w": _first_valid(raw, "Avg Power", comma),
            "sport": sport,
            "sub_sport": sport_label.str.lower().str.replace(" ", "_"),
            "source": "garmin_csv",
            "source_file": raw.path.name,
            "name": raw.get("Title").fillna("") if raw.has("Title") else "",
        }
    )
    for col in ("avg_hr_bpm", "max_hr_bpm"):
        rows[col] = rows[col].where(rows[col] > 0)
    return split_runs(raw, rows, running, sport_label, date_column="Date", warnings=warnings)
