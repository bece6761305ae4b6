"""FIT activity files (``.fit``, ``.fit.gz``), decoded with fitdecode.

Why fitdecode: measured against Garmin's own garmin-fit-sdk (21.218) on the
40 real files in ``../shared/data/real/fit/``. Correctness first: both decode
the same sessions, laps and records on 36 files and stop at the same byte on
the four damaged ones, but the SDK refuses compressed-timestamp records
("Compressed timestamp messages are not currently supported") and so loses
the whole of a Forerunner 70 run (``compressed-speed-distance.fit``, 755
records), which fitdecode reads (its records match the reference decode in
``csv/``). Speed second: all 40 files, best of three interleaved runs on a
shared 2-core machine: fitdecode with its data processor off (raw FIT time
stamps, converted here in one vectorised step) and no CRC check 6.5 s,
garmin-fit-sdk 8.8 s (9.0 s with its CRC check), fitdecode with defaults and
its pure-Python CRC check 13.4 s. ``benchmarks/bench_import.py`` times the
decoder against the whole import.

The SDK's one advantage, merging the ``hr`` messages of an HRM-Swim/Tri
strap or an HRM plugin into the records (the other three files that differ),
only concerns swims and a walk, which are not imported.

What a FIT file gives (Garmin FIT profile): ``session`` totals (distance,
timer time, ascent, HR, running cadence in strides/min, temperature),
``record`` samples, ``activity.local_timestamp`` for the local time zone, and
the device's VO2max estimate in one of three places: the FIT 21.x
``max_met_data.vo2_max``, Garmin's undocumented message 140 field 7 (maximal
METs scaled by 65536, VO2max = 3.5 x METs, as decoded by GoldenCheetah's
``FitRideFile.cpp`` and Gadgetbridge's ``FitPhysiologicalMetrics``), or a
developer field named ``estimated_vo2_max`` (Suunto).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import fitdecode
import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.importers.activity import Activity, NotAnActivity, normalise_sport
from analysis.io.importers.files import read_source

#: Seconds from the Unix epoch to the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631065600
#: FIT date_time values below this are seconds since device power-on, not UTC.
FIT_SYSTEM_TIME_MAX = 0x10000000
#: A device VO2max outside this range [ml/kg/min] is a decoding artefact.
VO2MAX_RANGE = (15.0, 95.0)

_RECORD_FIELDS = {
    "distance": "distance_m",
    "heart_rate": "hr_bpm",
    "temperature": "temp_c",
    "power": "power_w",
}
_SESSION_TOTALS = {
    "total_distance": "distance_m",
    "total_timer_time": "timer_s",
    "total_elapsed_time": "elapsed_s",
    "total_moving_time": "moving_s",
    "total_ascent": "ascent_m",
    "total_descent": "descent_m",
    "avg_heart_rate": "avg_hr_bpm",
    "max_heart_rate": "max_hr_bpm",
    "avg_temperature": "temp_c",
    "avg_power": "power_w",
}


def _fields(message) -> dict:
    out = {}
    for f in message.fields:
        if f.value is not None:
            out[f.name] = f.value
    return out


class _Decoded:
    """Everything read from one FIT file, message by message."""

    def __init__(self):
        self.file_type = None
        self.device = ""
        self.sessions: list[dict] = []
        self.activity: dict = {}
        self.sport_msg: dict = {}
        self.records: list[dict] = []
        self.vo2max: list[float] = []
        self.dev_scale: dict[str, float] = {}
        self.n_data = 0


def _decode(data: bytes, path: Path) -> tuple[_Decoded, str | None, list[str]]:
    """Decode all messages; return what was read, the error that stopped it, warnings."""
    out = _Decoded()
    stop = None
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = fitdecode.FitReader(
            io.BytesIO(data),
            processor=None,
            # fitdecode computes the CRC in pure Python (+50 % decode time);
            # a damaged file still fails on its structure
            check_crc=fitdecode.CrcCheck.DISABLED,
            error_handling=fitdecode.ErrorHandling.WARN,
        )
        try:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                out.n_data += 1
                name = frame.name
                if name == "record":
                    out.records.append(_fields(frame))
                elif name == "session":
                    out.sessions.append(_fields(frame))
                elif name == "file_id" and out.file_type is None:
                    f = _fields(frame)
                    out.file_type = f.get("type")
                    maker = f.get("manufacturer", "")
                    product = f.get("garmin_product", f.get("product", ""))
                    out.device = " ".join(str(x) for x in (maker, product) if x not in ("", None))
                elif name == "activity":
                    out.activity = _fields(frame)
                elif name == "sport":
                    out.sport_msg = _fields(frame)
                elif name == "field_description":
                    f = _fields(frame)
                    if f.get("field_name") and f.get("scale"):
                        out.dev_scale[str(f["field_name"])] = float(f["scale"])
                elif name in ("max_met_data", "unknown_229"):
                    f = _fields(frame)
                    value = f.get("vo2_max", f.get("unknown_2"))
                    if isinstance(value, (int, float)):
                        out.vo2max.append(value / 10.0 if name == "unknown_229" else float(value))
                elif name == "unknown_140":
                    met = _fields(frame).get("unknown_7")
                    if isinstance(met, (int, float)) and met > 0:
                        out.vo2max.append(3.5 * met / 65536.0)
        except fitdecode.FitHeaderError as exc:
            stop = f"header:{exc}"
        except fitdecode.FitEOFError as exc:
            stop = f"eof:{exc}"
        except fitdecode.FitParseError as exc:
            stop = f"parse:{exc}"
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            stop = f"parse:{type(exc).__name__}: {exc}"
        finally:
            reader.close()
    for w in caught:
        text = f"decoder warning: {w.message}"
        if text not in notes:
            notes.append(text)
    return out, stop, notes


def _fit_time(value) -> pd.Timestamp | None:
    if not isinstance(value, (int, np.integer)) or value < FIT_SYSTEM_TIME_MAX:
        return None
    return pd.Timestamp(int(value) + FIT_EPOCH_S, unit="s", tz="UTC")


def _local_offset_s(activity: dict) -> int | None:
    ts, local = activity.get("timestamp"), activity.get("local_timestamp")
    if not isinstance(ts, (int, np.integer)) or not isinstance(local, (int, np.integer)):
        return None
    if ts < FIT_SYSTEM_TIME_MAX:
        return None
    offset = int(round((local - ts) / 900.0)) * 900
    return offset if abs(offset) <= 14 * 3600 else None


def _records_frame(records: list[dict], dev_scale: dict) -> pd.DataFrame:
    """Raw record samples as columns, time in raw FIT seconds."""
    if not records:
        return pd.DataFrame({"time_s": []})
    frame = pd.DataFrame.from_records(records)
    if "timestamp" not in frame:
        return pd.DataFrame({"time_s": []})
    out = pd.DataFrame({"time_s": pd.to_numeric(frame["timestamp"], errors="coerce")})

    def num(col):
        if col not in frame:
            return None
        return pd.to_numeric(frame[col], errors="coerce")

    speed = num("enhanced_speed")
    speed = speed if speed is not None and speed.notna().any() else num("speed")
    alt = num("enhanced_altitude")
    alt = alt if alt is not None and alt.notna().any() else num("altitude")
    if speed is not None:
        out["speed_m_s"] = speed
    if alt is not None:
        out["altitude_m"] = alt
    for src, dst in _RECORD_FIELDS.items():
        col = num(src)
        if col is not None:
            out[dst] = col
    if "power_w" not in out or out["power_w"].isna().all():
        # running power from a pod as a developer field (e.g. Stryd "Power")
        dev = num("Power")
        if dev is not None:
            out["power_w"] = dev / dev_scale.get("Power", 1.0)
    cad = num("cadence")
    if cad is not None:
        frac = num("fractional_cadence")
        out["cadence_spm"] = cad + (frac.fillna(0.0) if frac is not None else 0.0)
    lat, lon = num("position_lat"), num("position_long")
    if lat is not None and lon is not None:
        out["lat_deg"] = lat * (180.0 / 2**31)
        out["lon_deg"] = lon * (180.0 / 2**31)
    # a GPS-less sample is stored as 0 in some apps
    if "lat_deg" in out:
        null_island = (out["lat_deg"] == 0) & (out["lon_deg"] == 0)
        out.loc[null_island, ["lat_deg", "lon_deg"]] = np.nan
    if "hr_bpm" in out:
        out.loc[out["hr_bpm"] <= 0, "hr_bpm"] = np.nan
    return out


def _totals(session: dict, dev_scale: dict) -> dict:
    tot = {}
    for src, dst in _SESSION_TOTALS.items():
        v = session.get(src)
        if isinstance(v, (int, float)) and np.isfinite(v):
            tot[dst] = float(v)
    cad = session.get("avg_running_cadence", session.get("avg_cadence"))
    if isinstance(cad, (int, float)) and cad > 0:
        frac = session.get("avg_fractional_cadence")
        tot["cadence_spm"] = float(cad) + (float(frac) if isinstance(frac, (int, float)) else 0.0)
    vo2 = session.get("estimated_vo2_max")
    if isinstance(vo2, (int, float)) and vo2 > 0:
        # developer field: fitdecode leaves its declared scale to us
        tot["vo2max_ml_kg_min"] = float(vo2) / dev_scale.get("estimated_vo2_max", 1.0)
    if tot.get("avg_hr_bpm", 1) <= 0:
        tot.pop("avg_hr_bpm")
    if tot.get("max_hr_bpm", 1) <= 0:
        tot.pop("max_hr_bpm")
    return tot


def read_fit(path) -> list[Activity]:
    """Decode a FIT activity file into one :class:`Activity` per session.

    A multisport file (triathlon, brick) gives one activity per leg, each
    with the records inside that leg's time span; the caller keeps the
    running legs.

    Parameters
    ----------
    path : str or Path
        ``.fit`` or ``.fit.gz`` file.

    Returns
    -------
    list of Activity

    Raises
    ------
    DataError
        Empty, not a FIT file, truncated, undecodable, or no records.
    NotAnActivity
        A valid FIT file of another type (monitoring, settings, ...).
    """
    path = Path(path)
    data = read_source(path)
    dec, stop, notes = _decode(data, path)
    size = len(data)
    if stop is not None:
        kind, _, msg = stop.partition(":")
        if kind == "header":
            if dec.n_data == 0:
                raise DataError(
                    "not a FIT file: its header is not a valid FIT header (a FIT file starts "
                    "with a 12- or 14-byte header holding '.FIT')",
                    file=str(path),
                )
            raise DataError(
                f"corrupt FIT file: a second, chained FIT header is damaged ({msg}); "
                "the file cannot be trusted",
                file=str(path),
            )
        if kind == "eof":
            raise DataError(
                f"truncated FIT file: it ends before its data are complete ({msg}; "
                f"{size} bytes); copy the file from the device again",
                file=str(path),
            )
    if dec.file_type is not None and dec.file_type != "activity":
        raise NotAnActivity(f"not an activity (FIT file type {dec.file_type!r})")

    samples_all = _records_frame(dec.records, dec.dev_scale)
    offset = _local_offset_s(dec.activity)
    partial = stop is not None
    if partial and not dec.sessions:
        kind, _, msg = stop.partition(":")
        raise DataError(f"cannot decode the FIT file: {msg}", file=str(path))
    if partial:
        notes.append(
            f"decoding stopped part-way ({stop.partition(':')[2]}; {size} bytes); only the "
            "session totals were imported, without the per-second stream"
        )
    if not dec.sessions and dec.n_data and len(dec.records) == 0:
        raise DataError("no records: a FIT file without activity samples", file=str(path))

    sessions = dec.sessions or [
        {"sport": dec.sport_msg.get("sport"), "sub_sport": dec.sport_msg.get("sub_sport")}
    ]
    out = []
    multi = len(sessions) > 1
    for i, sess in enumerate(sessions):
        label = sess.get("sport")
        if label is None and "activity_type" in (dec.records[0] if dec.records else {}):
            label = dec.records[0].get("activity_type")
        sport = normalise_sport(label)
        start_raw = sess.get("start_time")
        t_raw = samples_all["time_s"].to_numpy(dtype=float)
        if multi and isinstance(start_raw, (int, np.integer)):
            end_raw = start_raw + float(sess.get("total_elapsed_time", 0.0) or 0.0)
            in_leg = (t_raw >= start_raw) & (t_raw <= end_raw)
            samples = samples_all.loc[in_leg].copy()
        else:
            samples = samples_all.copy()
        if not isinstance(start_raw, (int, np.integer)):
            finite = samples["time_s"].dropna()
            start_raw = int(finite.min()) if len(finite) else None
        start_utc = _fit_time(start_raw)
        start_local = None
        if start_utc is not None and offset is not None:
            start_local = (start_utc + pd.Timedelta(seconds=offset)).tz_localize(None)
        elif start_utc is None and start_raw is not None:
            # clock never set: anchor on the activity's local time stamp
            ts, local = dec.activity.get("timestamp"), dec.activity.get("local_timestamp")
            if isinstance(ts, (int, np.integer)) and isinstance(local, (int, np.integer)):
                start_local = pd.Timestamp(
                    int(local) - (int(ts) - int(start_raw)) + FIT_EPOCH_S, unit="s"
                )
        if start_raw is not None:
            samples["time_s"] = samples["time_s"] - float(start_raw)
        act = Activity(
            file=path,
            source="fit",
            sport=sport,
            sport_label=str(label) if label is not None else "",
            sub_sport=str(sess.get("sub_sport") or ""),
            start_utc=start_utc,
            start_local=start_local,
            samples=samples,
            totals=_totals(sess, dec.dev_scale),
            device=dec.device,
            warnings=list(notes),
            stream_ok=not partial,
            leg=(i + 1) if multi else None,
        )
        if dec.vo2max and "vo2max_ml_kg_min" not in act.totals:
            act.totals["vo2max_ml_kg_min"] = float(dec.vo2max[-1])
        vo2 = act.totals.get("vo2max_ml_kg_min")
        if vo2 is not None and not VO2MAX_RANGE[0] <= vo2 <= VO2MAX_RANGE[1]:
            act.totals.pop("vo2max_ml_kg_min")
        out.append(act)
    return out


def decode_fit_only(path) -> int:
    """Decode a FIT file with fitdecode and nothing else (benchmark baseline).

    Returns
    -------
    int
        Number of data messages decoded (0 when decoding failed at once).
    """
    data = read_source(Path(path))
    dec, _, _ = _decode(data, Path(path))
    return dec.n_data
