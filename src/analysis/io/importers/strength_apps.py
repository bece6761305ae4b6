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
setting), nor does a generic strength CSV without a unit. Then the caller's
``weight_unit`` is used when given (with a warning when the loads look like
the other unit), else the unit is inferred from the loads themselves
(:func:`infer_weight_unit`), loudly; ambiguous loads keep kg, with a warning
that says so. Each row records ``weight_unit`` (the unit its numbers were
in) and ``weight_unit_source`` (``file``, ``--weight-unit``, ``inferred``
or ``default``).
An empty or zero weight is body weight (load left empty). For assisted
machines (``Chin Up (Assisted)``) the weight is the assistance, kept in
``assistance_kg``, not a load. Cardio rows (a distance, no reps, no load)
are not strength sets and are left out, with a count in the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.io.importers.csvutil import (
    clock_seconds,
    decimal_comma,
    parse_datetimes,
    read_raw_csv,
    require,
    row_labels,
    shown,
    to_number,
)

KG_PER_LB = 0.45359237
WEIGHT_UNITS = ("kg", "lb")


@dataclass
class StrengthRows:
    """Rows for strength.csv read from one app export."""

    rows: pd.DataFrame
    warnings: list
    unit_notes: list = field(default_factory=list)
    """How the weight unit was settled when the file does not say it (shown apart)."""


def _unit_factor(unit: pd.Series) -> pd.Series:
    u = unit.fillna("").str.strip().str.lower()
    return pd.Series(np.where(u.str.startswith("lb"), KG_PER_LB, 1.0), index=unit.index)


#: The heaviest load [kg] we take as plausible for a lift in a runner's log
#: (our convention, set well above what trained non-powerlifters move: the
#: open men's raw world records are about 500 kg deadlift and 490 kg squat).
#: A load above it read as kg is far more likely a pound number: a 590 leg
#: press, a 500 hip thrust, a 420 deadlift. First match wins.
PLAUSIBLE_MAX_KG = (
    ("dumbbell", 100.0),  # two of the heaviest common dumbbells (50 kg), if logged together
    ("leg press", 400.0),
    ("hip thrust", 300.0),
    ("deadlift", 300.0),
    ("squat", 300.0),
    ("bench", 200.0),
    ("machine", 200.0),
    ("cable", 150.0),
    ("", 300.0),
)

#: Barbell loads that are a 45-lb bar plus pairs of 45-lb (and one pair of
#: 25-lb) plates: the loads of a pound gym (45, 95, 135, 185, 225, ...).
LB_BAR_LOADS = (45.0, 95.0, 135.0, 185.0, 225.0, 275.0, 315.0, 365.0, 405.0, 455.0, 495.0)

_BARBELL_WORDS = ("barbell", "back squat", "front squat", "deadlift", "bench press", "hip thrust")


def infer_weight_unit(load, exercise) -> tuple[str | None, str]:
    """Whether loads written without a unit are kilograms or pounds.

    Evidence for pounds: a load that would be implausible in kilograms for
    its lift (:data:`PLAUSIBLE_MAX_KG`: a 590 leg press, a 420 deadlift), and
    barbell loads that are pound-plate sums (:data:`LB_BAR_LOADS`: 45, 95,
    135, 225, 315; two different ones). Evidence for kilograms: loads in
    2.5-kg steps that are not pound-plate steps (22.5, 62.5: 1.25-kg plates;
    two different ones; dumbbells left out, as 12.5-lb dumbbells exist) and
    an empty 20-kg bar (a barbell load of 20). Our conventions; the plate
    sets are those of commercial gyms.

    Parameters
    ----------
    load : array-like
        The loads as written (zero or missing: body weight, ignored).
    exercise : Series of str
        Exercise names, aligned with ``load``.

    Returns
    -------
    unit : {"kg", "lb"} or None
        None when there is no evidence either way, or evidence both ways.
    evidence : str
        What was found, in words (empty when nothing was).
    """
    w = np.asarray(load, dtype=float)
    names = pd.Series(exercise, dtype=object).fillna("").astype(str).to_numpy()
    ok = np.isfinite(w) & (w > 0)
    w, names = w[ok], names[ok]
    lower = np.array([n.lower() for n in names], dtype=object)
    ceiling = np.full(w.size, np.nan)
    for word, top in PLAUSIBLE_MAX_KG:
        hit = np.isnan(ceiling) & np.array([word in n for n in lower], dtype=bool)
        ceiling[hit] = top
    too_heavy = w > ceiling
    barbell = np.array([any(b in n for b in _BARBELL_WORDS) for n in lower], dtype=bool)
    dumbbell = np.array(["dumbbell" in n for n in lower], dtype=bool)
    lb_bar = barbell & np.isin(w, LB_BAR_LOADS)
    half_step = ~dumbbell & np.isclose(np.mod(w, 5.0), 2.5)
    kg_bar = barbell & np.isclose(w, 20.0)

    def examples(mask, what):
        picks = pd.Series(names[mask]).groupby(w[mask]).first().head(3)
        return ", ".join(f"{load:g} on {shown(name)}" for load, name in picks.items()) + what

    lb, kg = [], []
    if too_heavy.any():
        j = np.flatnonzero(too_heavy)[np.argmax(w[too_heavy])]
        lb.append(
            f"{int(too_heavy.sum())} loads implausible in kg (e.g. {w[j]:g} on "
            f"{shown(names[j])}, above {ceiling[j]:g} kg)"
        )
    if np.unique(w[lb_bar]).size >= 2:
        lb.append(examples(lb_bar, " (a 45-lb bar plus pound plates)"))
    if np.unique(w[half_step]).size >= 2:
        kg.append(examples(half_step, " (2.5-kg steps, not pound plates)"))
    if kg_bar.any():
        kg.append(examples(kg_bar, " (an empty 20-kg bar)"))
    if lb and not kg:
        return "lb", "; ".join(lb)
    if kg and not lb:
        return "kg", "; ".join(kg)
    if lb and kg:
        return None, "pounds: " + "; ".join(lb) + "; kilograms: " + "; ".join(kg)
    return None, ""


def resolve_weight_unit(
    name: str, load, exercise, weight_unit: str | None, notes: list
) -> tuple[str, str]:
    """The unit of loads written without one, and where it came from.

    ``weight_unit`` (the user's ``--weight-unit``) always wins, with a
    warning when the loads look like the other unit; otherwise the unit
    inferred by :func:`infer_weight_unit`, announced loudly with its
    evidence; otherwise kg, with a warning that the loads were ambiguous.

    Returns
    -------
    unit : {"kg", "lb"}
    source : {"--weight-unit", "inferred", "default"}
    """
    guess, evidence = infer_weight_unit(load, exercise)
    if weight_unit is not None:
        if guess is not None and guess != weight_unit:
            notes.append(
                f"{name}: weights were read as {weight_unit} (--weight-unit), but the loads "
                f"look like {'pounds' if guess == 'lb' else 'kilograms'}: {evidence}; if they "
                f"are {guess}, import the file again with --weight-unit {guess} --replace"
            )
        return weight_unit, "--weight-unit"
    if guess is not None:
        other = "kg" if guess == "lb" else "lb"
        notes.append(
            f"{name}: WEIGHT UNIT INFERRED AS {guess.upper()} (the file does not say): "
            f"{evidence}. If that is wrong, import the file again with --weight-unit {other} "
            "--replace"
        )
        return guess, "inferred"
    why = f"the loads point both ways ({evidence})" if evidence else "the loads do not tell"
    notes.append(
        f"{name}: the weight unit is ambiguous ({why}); kg was assumed. Give --weight-unit "
        "kg or lb (with --replace to re-read a file already imported)"
    )
    return "kg", "default"


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
    unit_notes: list[str] = []
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
    source = "file"
    if raw.has("Weight Unit"):
        unit_text = raw.get("Weight Unit").fillna("").str.strip().str.lower()
        factor = _unit_factor(raw.get("Weight Unit"))
        unit_cells = pd.Series(np.where(unit_text.str.startswith("lb"), "lb", "kg"))
    elif raw.has("Weight (lbs)") or raw.has("Weight (lb)"):
        factor = pd.Series(KG_PER_LB, index=weight.index)
        unit_cells = "lb"
    elif raw.has("Weight (kg)"):
        factor = pd.Series(1.0, index=weight.index)
        unit_cells = "kg"
    else:
        exercise = raw.get("Exercise Name").fillna("")
        unit_cells, source = resolve_weight_unit(
            name, weight.where(~rest), exercise, weight_unit, unit_notes
        )
        factor = pd.Series(KG_PER_LB if unit_cells == "lb" else 1.0, index=weight.index)
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
            "weight_unit": unit_cells,
            "weight_unit_source": source,
            "source": "strong",
            "source_file": name,
        }
    )
    if rest.any():
        warnings.append(
            f"{name}: {int(rest.sum())} 'Rest Timer' rows are not sets and were left out"
        )
    got = _sets(frame, ok_date, raw.number("Distance"), warnings, name, rest=rest)
    got.unit_notes = unit_notes
    return got


def read_hevy(path) -> StrengthRows:
    """Read a Hevy export (``weight_kg`` or ``weight_lbs``/``weight_lb``)."""
    raw = read_raw_csv(path)
    require(raw, ("start_time", "exercise_title", "reps"), "Hevy")
    name = raw.path.name
    warnings: list[str] = []
    unit = ""
    if raw.has("weight_kg"):
        load, unit = to_number(raw.get("weight_kg")), "kg"
    elif raw.has("weight_lbs") or raw.has("weight_lb"):
        load, unit = to_number(raw.first("weight_lbs", "weight_lb")) * KG_PER_LB, "lb"
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
            "weight_unit": unit,
            "weight_unit_source": "file" if unit else "",
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
    unit = ""
    if raw.has("Weight (kgs)") or raw.has("Weight (kg)"):
        load, unit = to_number(raw.first("Weight (kgs)", "Weight (kg)")), "kg"
    elif raw.has("Weight (lbs)") or raw.has("Weight (lb)"):
        load, unit = to_number(raw.first("Weight (lbs)", "Weight (lb)")) * KG_PER_LB, "lb"
    elif raw.has("Weight") and raw.has("Weight Unit"):
        load = to_number(raw.get("Weight")) * _unit_factor(raw.get("Weight Unit"))
        lbs = raw.get("Weight Unit").fillna("").str.strip().str.lower().str.startswith("lb")
        unit = pd.Series(np.where(lbs, "lb", "kg"))
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
            "weight_unit": unit,
            "weight_unit_source": "file" if not isinstance(unit, str) or unit else "",
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
    unit_notes: list[str] = []
    index = pd.RangeIndex(raw.n_rows)
    nothing = pd.Series(np.nan, index=index)
    unit_of = pd.Series("", index=index, dtype=object)
    source = pd.Series("", index=index, dtype=object)
    if "load_kg" in lookup:
        load = to_number(column("load_kg"))
        unit_of[:], source[:] = "kg", "file"
    elif "load_lb" in lookup:
        load = to_number(column("load_lb")) * KG_PER_LB
        unit_of[:], source[:] = "lb", "file"
    elif "load" in lookup:
        number = to_number(column("load"))
        unit = (
            column("unit").fillna("").str.strip().str.lower()
            if "unit" in lookup
            else pd.Series("", index=index)
        )
        bad = (unit != "") & ~unit.isin(["kg", "kgs", "lb", "lbs"]) & number.notna()
        if bad.any():
            warnings.append(
                f"{name}: {int(bad.sum())} rows with a unit other than kg or lb; "
                "their loads were left empty"
            )
        given = unit.isin(["kg", "kgs", "lb", "lbs"])
        unit_of[given] = np.where(unit[given].str.startswith("lb"), "lb", "kg")
        source[given] = "file"
        unsaid = ~given & ~bad & (number > 0)
        if unsaid.any():
            # no unit column, or rows with an empty unit cell: --weight-unit, else the loads
            said, said_source = resolve_weight_unit(
                name, number[unsaid], column("exercise")[unsaid], weight_unit, unit_notes
            )
            unit_of[unsaid], source[unsaid] = said, said_source
        factor = np.where(unit_of == "lb", KG_PER_LB, 1.0)
        load = (number * factor).where(~bad)
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
            "weight_unit": unit_of,
            "weight_unit_source": source,
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
    got = _sets(frame, everything, pd.Series(np.nan, index=frame.index), warnings, name)
    got.unit_notes = unit_notes
    return got


STRENGTH_TEMPLATE = """date,exercise,sets,reps,load,unit,rpe,notes
2026-02-16,back squat,3,5,80,kg,8,one row per exercise: 3 sets of 5 at 80 kg
2026-02-16,box jumps,3,6,,,7,no load: plyometric or bodyweight work
"""
"""``runeco template strength``: the generic strength CSV with two example rows."""

EXERCISES_TEMPLATE = """exercise,category,runner_id
back squat,heavy,
box jumps,plyometric,R01
"""
"""``runeco template exercises``: a dataset's exercise mapping (exercises.csv), with
one row for every runner (runner_id empty) and one for a single runner."""
