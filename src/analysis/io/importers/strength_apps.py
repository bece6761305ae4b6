"""Strength logs from Strong, Hevy and FitNotes (one row per set).

Each reader returns strength.csv rows: ``date``, ``exercise`` (the app's
name, kept as written), ``sets`` (1: one row per set), ``reps``,
``load_kg``, ``duration_s`` (timed holds), ``rpe``, plus ``set_number``
(1-based within the exercise on that day, used to recognise a set imported
before), ``set_type`` (``normal``, ``warmup``, ``dropset``, ``failure``:
warm-up sets are kept but flagged, so that working volume can leave them
out), ``workout``, ``source`` and ``source_file``.

Units: Hevy and FitNotes say theirs (``weight_kg`` / ``weight_lbs``,
``Weight (kgs)`` / ``Weight (lbs)``); Strong's export does not (an app
setting), so the caller's ``weight_unit`` is used, kg when not given, and a
warning is raised when the loads look like the other unit (an empty 45-lb
bar, every load a multiple of 5 lb; or an empty 20-kg bar, 2.5 kg steps).
An empty or zero weight is body weight (load left empty). For assisted
machines (``Chin Up (Assisted)``) the weight is the assistance, kept in
``assistance_kg``, not a load. Cardio rows (a distance, no reps, no load)
are not strength sets and are left out, with a count in the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.io.importers.csvutil import (
    clock_seconds,
    decimal_comma,
    parse_datetimes,
    read_raw_csv,
    require,
    row_labels,
    to_number,
)

KG_PER_LB = 0.45359237
WEIGHT_UNITS = ("kg", "lb")


@dataclass
class StrengthRows:
    """Rows for strength.csv read from one app export."""

    rows: pd.DataFrame
    warnings: list


def _unit_factor(unit: pd.Series) -> pd.Series:
    u = unit.fillna("").str.strip().str.lower()
    return pd.Series(np.where(u.str.startswith("lb"), KG_PER_LB, 1.0), index=unit.index)


def unit_mismatch(load, exercise: pd.Series, assumed: str) -> str | None:
    """Why the loads (in the file's own numbers) look like the other unit, or None.

    Pounds: an empty 45-lb bar on a barbell exercise, and every load a
    multiple of 5 (pound plates: 45, 35, 25, 10, 5, 2.5 per side). Kilograms:
    an empty 20-kg bar, or loads in 2.5-kg steps that are not multiples of 5
    (22.5, 37.5: 1.25-kg plates). A heuristic for a warning only; the data
    are never changed by it.
    """
    w = np.asarray(load, dtype=float)
    ok = np.isfinite(w) & (w > 0)
    if ok.sum() < 3:
        return None
    w = w[ok]
    barbell = exercise[ok].fillna("").str.lower().str.contains("barbell").to_numpy()
    all_fives = bool(np.all(np.isclose(np.mod(w, 5.0), 0.0)))
    half_steps = np.isclose(np.mod(w, 5.0), 2.5) & ~np.isclose(np.mod(w, 1.0), 0.0)
    lb_bar = bool(np.any(np.isclose(w[barbell], 45.0)))
    kg_bar = bool(np.any(np.isclose(w[barbell], 20.0)))
    if assumed == "kg" and lb_bar and all_fives:
        return "an empty 45-lb bar on a barbell exercise and every load a multiple of 5 look like pounds"
    if assumed == "lb" and (kg_bar or half_steps.mean() > 0.2):
        return "an empty 20-kg bar or loads in 2.5-kg steps look like kilograms"
    return None


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Set numbers, bodyweight and assisted loads, cardio rows dropped."""
    frame = frame.reset_index(drop=True)
    group = [frame["date"], frame["workout"], frame["exercise"].str.strip().str.lower()]
    frame["set_number"] = frame.groupby(group, sort=False).cumcount() + 1
    assisted = frame["exercise"].str.lower().str.contains("assist").to_numpy()
    frame["assistance_kg"] = frame["load_kg"].where(assisted)
    frame["load_kg"] = frame["load_kg"].where(~assisted & (frame["load_kg"] > 0))
    frame["reps"] = frame["reps"].where(frame["reps"] > 0)
    frame["duration_s"] = frame["duration_s"].where(frame["duration_s"] > 0)
    frame["sets"] = 1
    return frame


def _drop_cardio(
    frame: pd.DataFrame, distance: pd.Series, warnings: list, name: str
) -> pd.DataFrame:
    cardio = (
        (distance.fillna(0) > 0)
        & ~(frame["reps"].fillna(0) > 0)
        & ~(frame["load_kg"].fillna(0) > 0)
    )
    if cardio.any():
        warnings.append(
            f"{name}: {int(cardio.sum())} cardio rows (a distance, no reps or load) are not "
            "strength sets and were left out"
        )
    return frame.loc[~cardio.to_numpy()]


def _dates(text: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    dt = parse_datetimes(text, formats)
    has_time = (dt.dt.hour + dt.dt.minute + dt.dt.second) > 0
    iso = pd.Series(
        np.where(has_time, dt.dt.strftime("%Y-%m-%dT%H:%M:%S"), dt.dt.strftime("%Y-%m-%d")),
        index=text.index,
    )
    return iso.where(dt.notna(), ""), dt.notna()


def read_strong(path, *, weight_unit: str | None = None) -> StrengthRows:
    """Read a Strong export (comma or semicolon separated, any of its layouts)."""
    raw = read_raw_csv(path)
    require(raw, ("Date", "Exercise Name", "Reps"), "Strong")
    name = raw.path.name
    warnings: list[str] = []
    comma = raw.delimiter == ";" and decimal_comma([raw.first("Weight", "Weight (kg)")])
    order = raw.get("Set Order")
    order = (
        order.fillna("").str.strip()
        if order is not None
        else pd.Series("", index=range(raw.n_rows))
    )
    rest = order.str.lower().str.contains("rest").to_numpy()
    weight_text = raw.first("Weight", "Weight (kg)", "Weight (lbs)", "Weight (lb)")
    weight = (
        to_number(weight_text, comma_decimal=comma)
        if weight_text is not None
        else pd.Series(np.nan, index=range(raw.n_rows))
    )
    if raw.has("Weight Unit"):
        factor = _unit_factor(raw.get("Weight Unit"))
    elif raw.has("Weight (lbs)") or raw.has("Weight (lb)"):
        factor = pd.Series(KG_PER_LB, index=weight.index)
    elif raw.has("Weight (kg)"):
        factor = pd.Series(1.0, index=weight.index)
    else:
        unit = weight_unit or "kg"
        factor = pd.Series(KG_PER_LB if unit == "lb" else 1.0, index=weight.index)
        exercise = raw.get("Exercise Name").fillna("")
        why = unit_mismatch(weight.where(~rest), exercise, unit)
        if weight_unit is None:
            warnings.append(
                f"{name}: Strong does not record whether weights are kg or lb; kg was assumed "
                "(give --weight-unit lb if the app is set to pounds)"
            )
        if why:
            other = "lb" if unit == "kg" else "kg"
            warnings.append(
                f"{name}: weights were read as {unit}, but {why}; if they are {other}, import "
                f"the file again with --weight-unit {other} --replace"
            )
    set_type = np.select(
        [order.str.upper() == "W", order.str.upper() == "D", order.str.upper() == "F"],
        ["warmup", "dropset", "failure"],
        "normal",
    )
    date, ok_date = _dates(
        raw.get("Date"), ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %H:%M")
    )
    frame = pd.DataFrame(
        {
            "label": row_labels(raw),
            "date": date,
            "exercise": raw.get("Exercise Name").fillna("").str.strip(),
            "reps": to_number(raw.get("Reps")),
            "load_kg": weight * factor,
            "duration_s": raw.number("Seconds"),
            "rpe": raw.number("RPE"),
            "set_type": set_type,
            "workout": raw.get("Workout Name").fillna("").str.strip()
            if raw.has("Workout Name")
            else "",
            "source": "strong",
            "source_file": name,
        }
    )
    if rest.any():
        warnings.append(
            f"{name}: {int(rest.sum())} 'Rest Timer' rows are not sets and were left out"
        )
    return _sets(frame, ok_date, raw.number("Distance"), warnings, name, rest=rest)


def read_hevy(path) -> StrengthRows:
    """Read a Hevy export (``weight_kg`` or ``weight_lbs``/``weight_lb``)."""
    raw = read_raw_csv(path)
    require(raw, ("start_time", "exercise_title", "reps"), "Hevy")
    name = raw.path.name
    warnings: list[str] = []
    if raw.has("weight_kg"):
        load = to_number(raw.get("weight_kg"))
    elif raw.has("weight_lbs") or raw.has("weight_lb"):
        load = to_number(raw.first("weight_lbs", "weight_lb")) * KG_PER_LB
    else:
        load = pd.Series(np.nan, index=range(raw.n_rows))
        warnings.append(f"{name}: no weight column (weight_kg / weight_lbs); loads left empty")
    distance = raw.number("distance_km", "distance_miles")  # only tells cardio rows apart
    set_type = (
        raw.get("set_type").fillna("normal").str.strip().str.lower()
        if raw.has("set_type")
        else "normal"
    )
    date, ok_date = _dates(
        raw.get("start_time"), ("%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
    )
    frame = pd.DataFrame(
        {
            "label": row_labels(raw),
            "date": date,
            "exercise": raw.get("exercise_title").fillna("").str.strip(),
            "reps": to_number(raw.get("reps")),
            "load_kg": load,
            "duration_s": raw.number("duration_seconds"),
            "rpe": raw.number("rpe"),
            "set_type": pd.Series(set_type, index=load.index).replace("", "normal"),
            "workout": raw.get("title").fillna("").str.strip() if raw.has("title") else "",
            "source": "hevy",
            "source_file": name,
        }
    )
    return _sets(frame, ok_date, distance, warnings, name)


def read_fitnotes(path) -> StrengthRows:
    """Read a FitNotes export (``Weight (kgs)`` / ``Weight (lbs)``, or ``Weight`` + ``Weight Unit``)."""
    raw = read_raw_csv(path)
    require(raw, ("Date", "Exercise", "Reps"), "FitNotes")
    name = raw.path.name
    warnings: list[str] = []
    if raw.has("Weight (kgs)") or raw.has("Weight (kg)"):
        load = to_number(raw.first("Weight (kgs)", "Weight (kg)"))
    elif raw.has("Weight (lbs)") or raw.has("Weight (lb)"):
        load = to_number(raw.first("Weight (lbs)", "Weight (lb)")) * KG_PER_LB
    elif raw.has("Weight") and raw.has("Weight Unit"):
        load = to_number(raw.get("Weight")) * _unit_factor(raw.get("Weight Unit"))
    else:
        load = pd.Series(np.nan, index=range(raw.n_rows))
        warnings.append(f"{name}: no weight column with a unit; loads left empty")
    date, ok_date = _dates(raw.get("Date"), ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"))
    distance = raw.number("Distance")
    frame = pd.DataFrame(
        {
            "label": row_labels(raw),
            "date": date,
            "exercise": raw.get("Exercise").fillna("").str.strip(),
            "reps": to_number(raw.get("Reps")),
            "load_kg": load,
            "duration_s": clock_seconds(raw.get("Time")) if raw.has("Time") else np.nan,
            "rpe": np.nan,
            "set_type": "normal",
            "workout": "",
            "app_category": raw.get("Category").fillna("").str.strip()
            if raw.has("Category")
            else "",
            "source": "fitnotes",
            "source_file": name,
        }
    )
    return _sets(frame, ok_date, distance, warnings, name)


def _sets(
    frame: pd.DataFrame,
    ok_date: pd.Series,
    distance: pd.Series,
    warnings: list,
    name: str,
    rest: np.ndarray | None = None,
) -> StrengthRows:
    """The end of every strength reader: keep dated, named sets that are not cardio."""
    keep = ok_date.to_numpy() & (frame["exercise"] != "").to_numpy()
    if rest is not None:
        keep &= ~rest
    _warn_bad_dates(ok_date, name, warnings)
    frame = _drop_cardio(frame.loc[keep], distance.loc[keep], warnings, name)
    return StrengthRows(rows=_finish(frame), warnings=warnings)


def _warn_bad_dates(ok_date: pd.Series, name: str, warnings: list) -> None:
    bad = int((~ok_date).sum())
    if bad:
        warnings.append(f"{name}: {bad} rows with an unreadable date were left out")


GENERIC_COLUMNS = ("date", "exercise", "sets", "reps", "load", "unit", "rpe", "notes")
"""The generic strength CSV (``runeco template strength``): one row per exercise
(``sets`` > 1) or per set; ``load`` in ``unit`` (kg or lb) per row, or
columns ``load_kg`` / ``load_lb``; names matched without regard to case."""

MAX_SETS_PER_ROW = 50


def is_generic_header(header: list[str]) -> bool:
    """A generic strength CSV header: date, exercise and sets or a load column."""
    names = {h.strip().lower() for h in header}
    return {"date", "exercise"} <= names and (
        "sets" in names or any(n in names for n in ("load", "load_kg", "load_lb"))
    )


def read_strength_csv(path, *, weight_unit: str | None = None) -> StrengthRows:
    """Read a coach's own strength log (the generic strength CSV).

    Columns, any case: ``date`` (ISO, or day/month/year), ``exercise``,
    ``sets`` (default 1; a row with sets = 3 becomes 3 sets), ``reps``,
    ``load`` with ``unit`` (``kg``/``lb`` per row; without a unit column,
    ``weight_unit`` or kg, with the "looks like the other unit" warning), or
    ``load_kg`` / ``load_lb``; optional ``rpe``, ``duration_s`` and
    ``notes``. Rows without a readable date or an exercise are left out with
    a count in the warnings; ``sets`` above 50 in one row is refused as a typo.
    """
    raw = read_raw_csv(path)
    name = raw.path.name
    lookup = {h.strip().lower(): h for h in reversed(raw.header)}

    def column(key: str) -> pd.Series | None:
        return raw.get(lookup[key]) if key in lookup else None

    if "date" not in lookup or "exercise" not in lookup:
        require(raw, ("date", "exercise"), "the generic strength CSV")
    warnings: list[str] = []
    index = pd.RangeIndex(raw.n_rows)
    nothing = pd.Series(np.nan, index=index)
    if "load_kg" in lookup:
        load = to_number(column("load_kg"))
    elif "load_lb" in lookup:
        load = to_number(column("load_lb")) * KG_PER_LB
    elif "load" in lookup:
        number = to_number(column("load"))
        if "unit" in lookup:
            unit = column("unit").fillna("").str.strip().str.lower()
            bad = (unit != "") & ~unit.isin(["kg", "kgs", "lb", "lbs"]) & number.notna()
            if bad.any():
                warnings.append(
                    f"{name}: {int(bad.sum())} rows with a unit other than kg or lb; "
                    "their loads were left empty"
                )
            load = (number * _unit_factor(unit)).where(~bad)
        else:
            assumed = weight_unit or "kg"
            hint = unit_mismatch(number, column("exercise").fillna(""), assumed)
            if hint:
                warnings.append(
                    f"{name}: loads were read as {assumed} (no unit column) but {hint}; "
                    "add a unit column or use --weight-unit"
                )
            load = number * (KG_PER_LB if assumed == "lb" else 1.0)
    else:
        load = nothing
    date, ok_date = _dates(
        column("date"), ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y")
    )
    sets = to_number(column("sets")) if "sets" in lookup else pd.Series(1.0, index=index)
    sets = sets.fillna(1.0)
    too_many = (sets > MAX_SETS_PER_ROW) | (sets < 1) | (sets != np.floor(sets))
    if too_many.any():
        warnings.append(
            f"{name}: {int(too_many.sum())} rows with sets not a whole number from 1 to "
            f"{MAX_SETS_PER_ROW} were left out"
        )
    frame = pd.DataFrame(
        {
            "label": row_labels(raw),
            "date": date,
            "exercise": column("exercise").fillna("").str.strip(),
            "reps": to_number(column("reps")) if "reps" in lookup else nothing,
            "load_kg": load,
            "duration_s": to_number(column("duration_s")) if "duration_s" in lookup else nothing,
            "rpe": to_number(column("rpe")) if "rpe" in lookup else nothing,
            "set_type": "normal",
            "workout": "",
            "source": "strength_csv",
            "source_file": name,
        }
    )
    if "notes" in lookup:
        frame["notes"] = column("notes").fillna("").str.strip()
    _warn_bad_dates(ok_date, name, warnings)  # counted as rows of the file, not as sets
    keep = ~too_many.to_numpy() & ok_date.to_numpy()
    frame, sets = frame.loc[keep], sets.loc[keep]
    frame = frame.loc[frame.index.repeat(sets.astype(int).to_numpy())]
    frame.index = pd.RangeIndex(len(frame))
    everything = pd.Series(True, index=frame.index)
    return _sets(frame, everything, pd.Series(np.nan, index=frame.index), warnings, name)


STRENGTH_TEMPLATE = """date,exercise,sets,reps,load,unit,rpe,notes
2026-02-16,back squat,3,5,80,kg,8,one row per exercise: 3 sets of 5 at 80 kg
2026-02-16,box jumps,3,6,,,7,no load: plyometric or bodyweight work
"""
"""``runeco template strength``: the generic strength CSV with two example rows."""
