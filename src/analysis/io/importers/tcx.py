"""Garmin Training Center files (``.tcx``, ``.tcx.gz``), read with lxml.

A TCX file holds one or more ``<Activity Sport="Running|Biking|Other">``,
each split into ``<Lap>`` elements with the device's own totals
(``TotalTimeSeconds``, ``DistanceMeters``, average and maximum heart rate)
and ``<Trackpoint>`` samples (time, position, altitude, cumulative distance,
heart rate, cadence; speed, run cadence and watts in the ``TPX`` extension).
Elements are matched by local name, so any namespace prefix works. Leading
white space before the XML declaration (some exports have it; strict
parsers refuse it) is stripped.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from fitdecode.profile import FIELD_TYPES
from lxml import etree

from analysis.errors import DataError
from analysis.io.importers.activity import Activity, normalise_sport
from analysis.io.importers.files import read_source

_POINT_FIELDS = {
    "Time": "time",
    "LatitudeDegrees": "lat_deg",
    "LongitudeDegrees": "lon_deg",
    "AltitudeMeters": "altitude_m",
    "DistanceMeters": "distance_m",
    "Cadence": "cadence_spm",
    "RunCadence": "cadence_spm",
    "Speed": "speed_m_s",
    "Watts": "power_w",
}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(el, name: str) -> str | None:
    for child in el:
        if _local(child.tag) == name:
            return child.text
    return None


def _device_name(activity) -> str:
    """The recording device of a TCX ``<Activity>``: its ``<Creator>``'s ``<Name>``
    when the creator is a device (``xsi:type="Device_t"``, as Garmin and Polar
    write it, e.g. "Forerunner 245"), else "" (an application).

    A Garmin watch is named as its FIT files name it (:func:`_garmin_name`), so
    a runner's FIT and TCX files of one watch are one device to the field
    model's heart-rate offset, not two."""
    for child in activity:
        if _local(child.tag) != "Creator":
            continue
        kind = next((v for k, v in child.attrib.items() if _local(k) == "type"), "")
        if kind.split(":")[-1] == "Device_t":
            name = (_child_text(child, "Name") or "").strip()
            return _garmin_name(name, _child_text(child, "ProductID")) or name
    return ""


def _letters_and_digits(text: str) -> str:
    """``text`` case- and accent-folded, letters and digits only ("vívoactive HR"
    -> "vivoactivehr")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


def _garmin_name(name: str, product_id: str | None) -> str:
    """``"garmin <product>"`` as a Garmin FIT file's ``file_id`` names the watch
    (``manufacturer`` and ``garmin_product``: "garmin fr220"), from the TCX
    creator's ``<ProductID>`` looked up in the FIT profile's ``garmin_product``
    table (fitdecode), when the creator's ``<Name>`` starts with that product
    ("Garmin Forerunner 220": its letters and digits, "Garmin" aside, start
    with "forerunner220", the profile's "fr220" with Garmin's "fr" written
    out, and no longer model number follows). Else "": the
    product IDs of other makers (Polar's V800 writes 13, a Garmin heart-rate
    strap's number) mean something else."""
    digits = (product_id or "").strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        return ""
    product = _GARMIN_PRODUCTS.get(int(digits))
    if not product:
        return ""
    key = _letters_and_digits(product)
    key = "forerunner" + key[2:] if key.startswith("fr") else key
    # the name starts with the product (after "Garmin"), not with a longer model
    # number ("Forerunner 105" is not fr10, "fenix 3" not fenix)
    folded = _letters_and_digits(name).removeprefix("garmin")
    follows = folded[len(key) : len(key) + 1]
    return f"garmin {product}" if folded.startswith(key) and not follows.isdigit() else ""


_GARMIN_PRODUCTS = FIELD_TYPES["garmin_product"].enum
"""Garmin product IDs to the FIT profile's names (1632 -> "fr220")."""


def _value_of(el, name: str) -> float:
    """``<Name><Value>n</Value></Name>`` or ``<Name>n</Name>`` below ``el``."""
    for child in el:
        if _local(child.tag) == name:
            text = _child_text(child, "Value") if len(child) else child.text
            try:
                return float(text)
            except (TypeError, ValueError):
                return float("nan")
    return float("nan")


def _point(tp) -> dict:
    out = {}
    for el in tp.iter():
        tag = _local(el.tag)
        if tag == "HeartRateBpm":
            text = _child_text(el, "Value")
            if text is not None:
                out["hr_bpm"] = text
            continue
        key = _POINT_FIELDS.get(tag)
        if key is not None and el.text is not None and key not in out:
            out[key] = el.text
    return out


def _lap_totals(laps) -> dict:
    tot: dict = {}
    if not laps:
        return tot
    time_s = np.array([_value_of(lap, "TotalTimeSeconds") for lap in laps])
    dist = np.array([_value_of(lap, "DistanceMeters") for lap in laps])
    avg_hr = np.array([_value_of(lap, "AverageHeartRateBpm") for lap in laps])
    max_hr = np.array([_value_of(lap, "MaximumHeartRateBpm") for lap in laps])
    if np.isfinite(time_s).any():
        tot["timer_s"] = float(np.nansum(time_s))
    if np.isfinite(dist).any() and np.nansum(dist) > 0:
        tot["distance_m"] = float(np.nansum(dist))
    ok = np.isfinite(avg_hr) & np.isfinite(time_s) & (avg_hr > 0)
    if ok.any() and time_s[ok].sum() > 0:
        tot["avg_hr_bpm"] = float(np.sum(avg_hr[ok] * time_s[ok]) / time_s[ok].sum())
    if np.isfinite(max_hr).any() and np.nanmax(max_hr) > 0:
        tot["max_hr_bpm"] = float(np.nanmax(max_hr))
    return tot


def read_tcx(path) -> list[Activity]:
    """Read a TCX file: one :class:`Activity` per ``<Activity>`` element.

    Raises
    ------
    DataError
        Not XML, not TCX, no activities, no time-stamped track points.
    """
    path = Path(path)
    data = read_source(path).lstrip()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DataError(f"not a valid TCX (XML) file ({exc})", file=str(path)) from exc
    if _local(root.tag) != "TrainingCenterDatabase":
        raise DataError(
            f"not a TCX file: its root element is <{_local(root.tag)}>, not <TrainingCenterDatabase>",
            file=str(path),
        )
    activities = [el for el in root.iter() if _local(el.tag) == "Activity"]
    if not activities:
        raise DataError("no <Activity> in the TCX file (a course or workout file?)", file=str(path))
    out = []
    for i, act in enumerate(activities):
        label = act.get("Sport", "")
        laps = [el for el in act if _local(el.tag) == "Lap"]
        points = [_point(tp) for tp in act.iter() if _local(tp.tag) == "Trackpoint"]
        frame = pd.DataFrame.from_records(points) if points else pd.DataFrame({"time": []})
        if "time" not in frame or frame["time"].isna().all():
            raise DataError("no time-stamped track points in the TCX activity", file=str(path))
        times = pd.to_datetime(frame.pop("time"), utc=True, errors="coerce", format="ISO8601")
        keep = times.notna().to_numpy()
        frame = frame.loc[keep].apply(pd.to_numeric, errors="coerce")
        times = times[keep]
        epoch = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
        first = int(np.argmin(epoch))
        start_utc = times.iloc[first]
        frame.insert(0, "time_s", epoch - epoch[first])
        if "hr_bpm" in frame:
            frame.loc[frame["hr_bpm"] <= 0, "hr_bpm"] = np.nan
        for col in list(frame.columns):
            if col != "time_s" and frame[col].isna().all():
                frame = frame.drop(columns=col)
        out.append(
            Activity(
                file=path,
                source="tcx",
                sport=normalise_sport(label),
                sport_label=label,
                start_utc=start_utc,
                samples=frame.reset_index(drop=True),
                totals=_lap_totals(laps),
                name=(_child_text(act, "Notes") or "").strip(),
                device=_device_name(act),
                leg=(i + 1) if len(activities) > 1 else None,
            )
        )
    return out
