"""Strength training: 1RM estimates, exercise categories, volume and weekly load.

Exercise names are free text. :func:`exercise_category` maps a name to one of
``schema.EXERCISE_CATEGORIES`` (``heavy``, ``explosive``, ``plyometric``,
``bodyweight_strength``, ``core``, ``mobility``, ``other``) through a table of
common names (:data:`EXERCISE_RULES`), insensitive to case, punctuation,
plurals and equipment words ("Squat (Barbell)", "back squats" and
"BACK-SQUAT" all match ``squat``). Unknown names become ``other`` and are
listed by :func:`unknown_exercises`; they are never an error.

Heavy versus bodyweight_strength
--------------------------------
Lifts whose external load is the whole resistance (squat, deadlift, hip
thrust, lunge, step-up, bench press, row...) are *load-dependent*:

1. no external load (empty or 0 kg) -> ``bodyweight_strength``;
2. with a known 1RM: load >= 80 % of 1RM -> ``heavy`` (DATA_FORMAT.md:
   "heavy (>= ~80 % 1RM compound lifts)"), else ``bodyweight_strength``;
3. 1RM unknown but reps known: 1-6 reps -> ``heavy``. A set of 6 taken close
   to failure is about 83 % of 1RM by Epley (1/(1 + 6/30)); this assumes
   sets are hard sets (few reps in reserve);
4. load but neither 1RM nor reps -> ``bodyweight_strength`` (not enough to
   call it heavy).

``bodyweight_strength`` therefore means "strength work that is not heavy":
bodyweight moves and loaded sets below the heavy threshold.
:func:`categorise_strength` estimates each runner's 1RM per exercise from
their own log (the best Epley estimate over sets of 1-12 reps), so rule 2
applies wherever the log has a loaded set with reps. A log-based 1RM is a
lower bound (sets are rarely to failure), which errs towards ``heavy``.

Bodyweight moves (push-up, pull-up, dip, pistol squat, Nordic curl...) and
lower-body accessories (leg curl, leg extension, calf raise, hip abduction)
are always ``bodyweight_strength``: an external load there is not a fraction
of the lift's 1RM. Upper-body isolation work (curls, triceps, flies,
lateral raises) is known but mapped to ``other``: it is not the strength
work the running-economy literature studies.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.schema import EXERCISE_CATEGORIES

__all__ = [
    "EXERCISE_RULES",
    "HEAVY_FRACTION_1RM",
    "HEAVY_MAX_REPS",
    "MAX_REPS_1RM",
    "estimate_1rm",
    "normalise_exercise_name",
    "exercise_category",
    "categorise",
    "categorise_strength",
    "unknown_exercises",
    "volume_load",
    "week_start",
    "weekly_strength",
]

# Load at or above this fraction of 1RM is "heavy" (DATA_FORMAT.md; SCIENCE.md §8).
HEAVY_FRACTION_1RM = 0.80
# Without a 1RM, loaded compound sets of at most this many reps count as heavy.
HEAVY_MAX_REPS = 6
# Epley and Brzycki are not used above 12 reps (SCIENCE.md §10).
MAX_REPS_1RM = 12

_LIFT = "lift"  # load-dependent: heavy or bodyweight_strength

# Phrase -> category (or _LIFT). Phrases are normalised like names, so write
# them naturally. The longest matching phrase wins; ties go to the earlier entry.
EXERCISE_RULES: dict[str, str] = {
    # explosive (DATA_FORMAT.md: jump squats, cleans, fast concentric)
    "jump squat": "explosive",
    "squat jump": "explosive",
    "trap bar jump": "explosive",
    "power clean": "explosive",
    "hang clean": "explosive",
    "hang power clean": "explosive",
    "clean and jerk": "explosive",
    "clean": "explosive",
    "snatch": "explosive",
    "jerk": "explosive",
    "push press": "explosive",
    "kettlebell swing": "explosive",
    "swing": "explosive",
    "medicine ball throw": "explosive",
    "med ball throw": "explosive",
    "ball slam": "explosive",
    "throw": "explosive",
    "speed squat": "explosive",
    "dynamic effort": "explosive",
    "sprint": "explosive",
    "hill sprint": "explosive",
    "sled push": "explosive",
    "sled sprint": "explosive",
    # plyometric (DATA_FORMAT.md: jumps, bounds, hops, burpees)
    "box jump": "plyometric",
    "depth jump": "plyometric",
    "drop jump": "plyometric",
    "broad jump": "plyometric",
    "standing long jump": "plyometric",
    "tuck jump": "plyometric",
    "hurdle jump": "plyometric",
    "hurdle hop": "plyometric",
    "lateral jump": "plyometric",
    "single leg lateral jump": "plyometric",
    "skater jump": "plyometric",
    "split jump": "plyometric",
    "jump lunge": "plyometric",
    "jumping lunge": "plyometric",
    "lunge jump": "plyometric",
    "star jump": "plyometric",
    "jumping jack": "plyometric",
    "jump rope": "plyometric",
    "rope skipping": "plyometric",
    "jump": "plyometric",
    "jumping": "plyometric",
    "bound": "plyometric",
    "bounding": "plyometric",
    "hop": "plyometric",
    "hopping": "plyometric",
    "pogo": "plyometric",
    "ankle hop": "plyometric",
    "skip": "plyometric",
    "skipping": "plyometric",
    "a skip": "plyometric",
    "b skip": "plyometric",
    "high knee": "plyometric",
    "butt kick": "plyometric",
    "burpee": "plyometric",
    "plyometric": "plyometric",
    "plyo": "plyometric",
    # load-dependent lower-body and compound lifts
    "squat": _LIFT,
    "back squat": _LIFT,
    "front squat": _LIFT,
    "goblet squat": _LIFT,
    "hack squat": _LIFT,
    "box squat": _LIFT,
    "split squat": _LIFT,
    "bulgarian split squat": _LIFT,
    "bss": _LIFT,
    "deadlift": _LIFT,
    "romanian deadlift": _LIFT,
    "rdl": _LIFT,
    "stiff leg deadlift": _LIFT,
    "sumo deadlift": _LIFT,
    "trap bar deadlift": _LIFT,
    "hex bar deadlift": _LIFT,
    "single leg deadlift": _LIFT,
    "single leg rdl": _LIFT,
    "good morning": _LIFT,
    "hip thrust": _LIFT,
    "glute bridge": _LIFT,
    "single leg glute bridge": _LIFT,
    "hip bridge": _LIFT,
    "lunge": _LIFT,
    "walking lunge": _LIFT,
    "reverse lunge": _LIFT,
    "forward lunge": _LIFT,
    "lateral lunge": _LIFT,
    "side lunge": _LIFT,
    "curtsy lunge": _LIFT,
    "step up": _LIFT,
    "stepup": _LIFT,
    "leg press": _LIFT,
    "bench press": _LIFT,
    "floor press": _LIFT,
    "overhead press": _LIFT,
    "ohp": _LIFT,
    "military press": _LIFT,
    "shoulder press": _LIFT,
    "press": _LIFT,
    "row": _LIFT,
    "bent over row": _LIFT,
    "pendlay row": _LIFT,
    "lat pulldown": _LIFT,
    "pulldown": _LIFT,
    "pull down": _LIFT,
    "farmer carry": "core",
    "farmer walk": "core",
    "suitcase carry": "core",
    # bodyweight moves: always bodyweight_strength
    "pistol squat": "bodyweight_strength",
    "single leg squat": "bodyweight_strength",
    "skater squat": "bodyweight_strength",
    "shrimp squat": "bodyweight_strength",
    "air squat": "bodyweight_strength",
    "bodyweight squat": "bodyweight_strength",
    "wall sit": "bodyweight_strength",
    "push up": "bodyweight_strength",
    "pushup": "bodyweight_strength",
    "press up": "bodyweight_strength",
    "dive bomber push up": "bodyweight_strength",
    "pull up": "bodyweight_strength",
    "pullup": "bodyweight_strength",
    "chin up": "bodyweight_strength",
    "chinup": "bodyweight_strength",
    "inverted row": "bodyweight_strength",
    "dip": "bodyweight_strength",
    "nordic curl": "bodyweight_strength",
    "nordic hamstring curl": "bodyweight_strength",
    "nordic": "bodyweight_strength",
    "fire hydrant": "bodyweight_strength",
    "clamshell": "bodyweight_strength",
    "clam shell": "bodyweight_strength",
    "clam": "bodyweight_strength",
    "donkey kick": "bodyweight_strength",
    "monster walk": "bodyweight_strength",
    "lateral band walk": "bodyweight_strength",
    "band walk": "bodyweight_strength",
    "crab walk": "bodyweight_strength",
    "step down": "bodyweight_strength",
    "eccentric step down": "bodyweight_strength",
    # lower-body accessories: bodyweight_strength whatever the load
    "leg curl": "bodyweight_strength",
    "hamstring curl": "bodyweight_strength",
    "leg extension": "bodyweight_strength",
    "calf raise": "bodyweight_strength",
    "calf extension": "bodyweight_strength",
    "heel raise": "bodyweight_strength",
    "soleus raise": "bodyweight_strength",
    "tibialis raise": "bodyweight_strength",
    "toe raise": "bodyweight_strength",
    "hip abduction": "bodyweight_strength",
    "hip adduction": "bodyweight_strength",
    "abduction": "bodyweight_strength",
    "adduction": "bodyweight_strength",
    "glute kickback": "bodyweight_strength",
    "hip extension": "bodyweight_strength",
    # core
    "plank": "core",
    "side plank": "core",
    "copenhagen plank": "core",
    "copenhagen": "core",
    "dead bug": "core",
    "deadbug": "core",
    "bird dog": "core",
    "russian twist": "core",
    "superman": "core",
    "lying superman": "core",
    "back extension": "core",
    "hyperextension": "core",
    "crunch": "core",
    "bicycle crunch": "core",
    "sit up": "core",
    "situp": "core",
    "v up": "core",
    "hollow hold": "core",
    "hollow body": "core",
    "leg raise": "core",
    "knee raise": "core",
    "hanging knee raise": "core",
    "hanging leg raise": "core",
    "toe to bar": "core",
    "ab wheel": "core",
    "ab rollout": "core",
    "rollout": "core",
    "pallof press": "core",
    "woodchop": "core",
    "wood chop": "core",
    "mountain climber": "core",
    "flutter kick": "core",
    "l sit": "core",
    "dragon flag": "core",
    "ab": "core",
    "core": "core",
    "pilate": "core",
    # mobility
    "mobility": "mobility",
    "hip mobility": "mobility",
    "ankle mobility": "mobility",
    "foam roll": "mobility",
    "foam rolling": "mobility",
    "foam roller": "mobility",
    "rolling": "mobility",
    "massage": "mobility",
    "stretch": "mobility",
    "stretching": "mobility",
    "yoga": "mobility",
    "leg swing": "mobility",
    "hip circle": "mobility",
    "hip opener": "mobility",
    "cat cow": "mobility",
    "pigeon": "mobility",
    "90 90": "mobility",
    "world greatest stretch": "mobility",
    "thoracic rotation": "mobility",
    "dynamic warm up": "mobility",
    "warm up": "mobility",
    # known, not running-relevant strength: upper-body isolation and cardio
    "curl": "other",
    "bicep": "other",
    "tricep": "other",
    "pushdown": "other",
    "push down": "other",
    "skull crusher": "other",
    "fly": "other",
    "flye": "other",
    "pec deck": "other",
    "butterfly": "other",
    "lateral raise": "other",
    "front raise": "other",
    "upright row": "other",
    "shrug": "other",
    "face pull": "other",
    "pullover": "other",
    "kickback": "other",
    "treadmill": "other",
    "bike": "other",
    "cycling": "other",
    "elliptical": "other",
    "rower": "other",
    "rowing": "other",
    "ski erg": "other",
    "stair climber": "other",
    "cardio": "other",
}

# Equipment and modifier words ignored when matching ("Squat (Barbell)").
_IGNORED_WORDS = frozenset(
    "barbell dumbbell db bb kettlebell kb cable machine smith band banded weighted "
    "assisted pulley plate ez the a an with of".split()
)
_IRREGULAR = {"calves": "calf", "flies": "fly", "worlds": "world", "world's": "world"}
_SYNONYMS = (
    (re.compile(r"\b(one|1|single) legged\b"), "single leg"),
    (re.compile(r"\b(one|1) leg\b"), "single leg"),
    (re.compile(r"\bsingle arm\b"), "single arm"),
)


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 2:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def normalise_exercise_name(name) -> str:
    """Canonical form of an exercise name used for matching.

    Lower case; ``&`` becomes "and"; apostrophes are dropped; other
    punctuation, brackets and hyphens become spaces; each word is made
    singular; "one-leg"/"1 leg"/"single-legged" become "single leg".
    Equipment words are kept here (they are ignored only when matching).

    Parameters
    ----------
    name : str
        Free-text exercise name; NaN/None gives "".

    Returns
    -------
    str
        For example ``"Walking Lunges (Dumbbell)"`` -> ``"walking lunge dumbbell"``.
    """
    if not isinstance(name, str):
        return ""
    s = name.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    for pattern, repl in _SYNONYMS:
        s = pattern.sub(repl, s)
    return " ".join(_singular(w) for w in s.split())


def _match_key(name) -> str:
    words = normalise_exercise_name(name).split()
    return " ".join(w for w in words if w not in _IGNORED_WORDS)


def _compile_rules():
    rules = []
    for order, (phrase, category) in enumerate(EXERCISE_RULES.items()):
        key = _match_key(phrase)
        if category != _LIFT and category not in EXERCISE_CATEGORIES:
            raise ValueError(f"EXERCISE_RULES maps {phrase!r} to unknown category {category!r}")
        rules.append((-len(key.split()), order, f" {key} ", category))
    rules.sort()
    return [(key, category) for _, _, key, category in rules]


_RULES = _compile_rules()


def _base_category(name) -> str | None:
    """Category (or _LIFT) of a name from the phrase table; None when unknown."""
    key = f" {_match_key(name)} "
    if key.strip() == "":
        return None
    for phrase, category in _RULES:
        if phrase in key:
            return category
    return None


def estimate_1rm(load_kg, reps, method="epley"):
    """Estimated one-repetition maximum from a set of ``reps`` at ``load_kg``.

    Epley: 1RM = w (1 + reps/30). Brzycki: 1RM = w 36 / (37 - reps). Both
    agree at 10 reps (1.3333 w).

    Parameters
    ----------
    load_kg : float or array-like
        External load lifted [kg]. A load <= 0 (body weight only) gives NaN:
        there is no external 1RM to estimate.
    reps : int or array-like
        Repetitions completed in the set, a positive integer. Sets of more
        than 12 reps give NaN (the equations are not used above 12 reps);
        NaN reps give NaN.
    method : {"epley", "brzycki"}
        Which equation.

    Returns
    -------
    float, ndarray or Series
        Estimated 1RM [kg]; a Series keeps its index.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or any non-missing ``reps`` is not a
        positive integer (for example 0, -3 or 2.5).

    References
    ----------
    .. [1] Epley B. Poundage chart. Boyd Epley Workout (1985).
    .. [2] Brzycki M. Strength testing: predicting a one-rep max from
       reps-to-fatigue. J Phys Educ Recreat Dance 64:88-90 (1993);
       SCIENCE.md §10.
    """
    if method not in ("epley", "brzycki"):
        raise ValueError(
            "The 'method' parameter of estimate_1rm must be one of 'epley', 'brzycki'. "
            f"Got {method!r} instead."
        )
    index = None
    for a in (load_kg, reps):
        if isinstance(a, pd.Series):
            if index is not None and not a.index.equals(index):
                raise ValueError("The 'load_kg' and 'reps' Series must share the same index.")
            index = a.index
    w = _to_float(load_kg)
    r = _to_float(reps)
    scalar = index is None and w.ndim == 0 and r.ndim == 0
    bad = np.isfinite(r) & ((r < 1) | (r != np.round(r)))
    bad |= np.isinf(r)
    if np.any(bad):
        example = np.asarray(r)[np.asarray(bad)] if np.ndim(r) else r
        value = float(np.ravel(example)[0])
        shown = int(value) if np.isfinite(value) and value == int(value) else value
        raise ValueError(
            f"The 'reps' parameter of estimate_1rm must be a positive integer. Got {shown} instead."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "epley":
            one_rm = w * (1.0 + r / 30.0)
        else:
            one_rm = w * 36.0 / (37.0 - r)
    one_rm = np.where((w > 0) & (r <= MAX_REPS_1RM), one_rm, np.nan)
    if index is not None:
        return pd.Series(np.broadcast_to(one_rm, (len(index),)).copy(), index=index)
    return float(one_rm) if scalar else one_rm


def _to_float(x):
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=float, na_value=np.nan)
    if x is None or x is pd.NA:
        return np.asarray(np.nan)
    return np.asarray(x, dtype=float)


def _lift_category(load_kg, one_rm_kg, reps):
    """heavy / bodyweight_strength for load-dependent lifts (rules in the module doc)."""
    load = np.nan_to_num(load_kg, nan=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = load / one_rm_kg
    rm_known = np.isfinite(rel) & (one_rm_kg > 0)
    reps_known = np.isfinite(reps)
    heavy = np.where(
        rm_known,
        rel >= HEAVY_FRACTION_1RM,
        reps_known & (reps >= 1) & (reps <= HEAVY_MAX_REPS),
    )
    heavy &= load > 0
    return np.where(heavy, "heavy", "bodyweight_strength")


def exercise_category(name, load_kg=None, one_rm_kg=None, *, reps=None):
    """Category of one exercise entry.

    Parameters
    ----------
    name : str
        Free-text exercise name (case, punctuation, plurals and equipment
        words do not matter).
    load_kg : float, optional
        External load of the set [kg]; empty or 0 = body weight.
    one_rm_kg : float, optional
        The runner's 1RM for this exercise [kg], if known.
    reps : int, optional
        Repetitions per set (used when the 1RM is unknown).

    Returns
    -------
    str
        One of ``schema.EXERCISE_CATEGORIES``; unknown names give "other".
        For a load-dependent lift the rules in the module docstring decide
        between "heavy" and "bodyweight_strength". An array or Series of
        names is passed on to :func:`categorise`.

    References
    ----------
    .. [1] DATA_FORMAT.md, "Exercise categories"; SCIENCE.md §8 and §10.
    """
    if not (isinstance(name, str) or name is None or np.ndim(name) == 0):
        return categorise(name, load_kg, one_rm_kg, reps=reps)
    base = _base_category(name)
    if base is None:
        return "other"
    if base != _LIFT:
        return base
    return str(_lift_category(_to_float(load_kg), _to_float(one_rm_kg), _to_float(reps)))


def categorise(names, load_kg=None, one_rm_kg=None, *, reps=None):
    """Vectorised :func:`exercise_category` over many entries.

    Parameters
    ----------
    names : array-like or Series of str
        Exercise names.
    load_kg, one_rm_kg, reps : scalar, array-like or Series, optional
        As in :func:`exercise_category`, broadcast against ``names``.

    Returns
    -------
    Series
        Categorical with categories ``schema.EXERCISE_CATEGORIES``, indexed
        like ``names`` when it is a Series.
    """
    if isinstance(names, pd.Series):
        index = names.index
        values = names.astype("object")
    else:
        values = pd.Series(list(np.atleast_1d(np.asarray(names, dtype=object))), dtype=object)
        index = values.index
    n = len(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    base_unique = np.array([_base_category(u) or "other" for u in uniques], dtype=object)
    base = np.where(
        codes >= 0, base_unique[np.clip(codes, 0, None)] if len(uniques) else "other", "other"
    )

    def arr(x):
        a = _to_float(x)
        return np.broadcast_to(a, (n,)) if a.ndim == 0 else a

    lifts = base == _LIFT
    out = base.astype(object)
    if lifts.any():
        out[lifts] = _lift_category(arr(load_kg)[lifts], arr(one_rm_kg)[lifts], arr(reps)[lifts])
    return pd.Series(
        pd.Categorical(out, categories=EXERCISE_CATEGORIES), index=index, name="category"
    )


def _frame_column(frame, name):
    if name in frame.columns:
        return frame[name].to_numpy(dtype=float, na_value=np.nan)
    return np.full(len(frame), np.nan)


def categorise_strength(frame, *, method="epley"):
    """Categories for a strength.csv frame, with 1RM estimated from the log.

    For each runner and exercise (matched by its normalised name) the 1RM
    is the best :func:`estimate_1rm` over that runner's sets with 1-12 reps
    and a load > 0; a ``one_rm_kg`` column, where present and filled, takes
    precedence. Each entry is then categorised by :func:`categorise`.

    Parameters
    ----------
    frame : DataFrame
        Columns ``runner_id``, ``exercise`` and optionally ``load_kg``,
        ``reps``, ``one_rm_kg``.
    method : {"epley", "brzycki"}
        1RM equation.

    Returns
    -------
    Series
        Categorical categories, indexed like ``frame``.
    """
    if method not in ("epley", "brzycki"):
        raise ValueError(
            "The 'method' parameter of categorise_strength must be one of 'epley', "
            f"'brzycki'. Got {method!r} instead."
        )
    if len(frame) == 0:
        return pd.Series(
            pd.Categorical([], categories=EXERCISE_CATEGORIES), index=frame.index, name="category"
        )
    load = _frame_column(frame, "load_kg")
    reps = _frame_column(frame, "reps")
    usable_reps = np.where((reps >= 1) & (reps == np.round(reps)), reps, np.nan)
    set_1rm = estimate_1rm(load, usable_reps, method=method)
    codes, uniques = pd.factorize(frame["exercise"].astype("object"), use_na_sentinel=True)
    unique_keys = np.array([_match_key(u) for u in uniques] + [""], dtype=object)
    keys = pd.Series(unique_keys[codes], dtype=object)  # code -1 (missing name) -> ""
    runner = pd.Series(frame["runner_id"].astype("object").to_numpy(), dtype=object)
    best = (
        pd.Series(set_1rm)
        .groupby([runner, keys], dropna=False, sort=False)
        .transform("max")
        .to_numpy(dtype=float)
    )
    given = _frame_column(frame, "one_rm_kg")
    one_rm = np.where(np.isfinite(given) & (given > 0), given, best)
    out = categorise(frame["exercise"].to_numpy(dtype=object), load, one_rm, reps=reps)
    out.index = frame.index
    return out


def unknown_exercises(names) -> list[str]:
    """Exercise names that match no entry of the category table.

    Parameters
    ----------
    names : iterable of str
        Exercise names (for example ``strength["exercise"]``).

    Returns
    -------
    list of str
        The distinct unrecognised names (stripped, original spelling),
        sorted case-insensitively; these are categorised "other" and
        should be listed in the report.
    """
    seen = {}
    for name in pd.unique(pd.Series(list(names), dtype=object).dropna()):
        text = str(name).strip()
        if text and _base_category(text) is None:
            seen.setdefault(text.lower(), text)
    return [seen[k] for k in sorted(seen)]


def volume_load(frame):
    """Volume load of each strength entry, sets x reps x load [kg].

    Parameters
    ----------
    frame : DataFrame
        Columns ``sets`` (missing = 1), ``reps`` (missing = 0, e.g. timed
        holds) and ``load_kg`` (missing or 0 = body weight).

    Returns
    -------
    Series
        ``volume_load_kg`` per row, indexed like ``frame``. Only external
        load counts: a bodyweight move adds 0 kg (SCIENCE.md §10: "for
        bodyweight moves, log the external load only and note it"). Warm-up
        sets (``set_type`` ``warmup``, as Hevy and Strong exports flag them)
        are not working volume and add 0 kg.

    References
    ----------
    .. [1] SCIENCE.md §10 (volume load).
    """
    sets = np.nan_to_num(_frame_column(frame, "sets"), nan=1.0)
    reps = np.nan_to_num(_frame_column(frame, "reps"), nan=0.0)
    load = np.where(
        _warmup_rows(frame),
        0.0,
        np.clip(np.nan_to_num(_frame_column(frame, "load_kg"), nan=0.0), 0.0, None),
    )
    return pd.Series(sets * reps * load, index=frame.index, name="volume_load_kg", dtype=float)


def repetitions(frame):
    """Working repetitions of each strength entry, sets x reps, whatever the load.

    A load measure that counts the work volume load cannot see: a bodyweight
    squat or a box jump adds 0 kg of volume load but its repetitions (for
    plyometric work, the jump or ground contacts) count here, the usual
    count of plyometric dose (SCIENCE.md §8: "≤200 jumps" per session).

    Parameters
    ----------
    frame : DataFrame
        Columns ``sets`` (missing = 1) and ``reps`` (missing = 0, e.g. timed
        holds); ``set_type`` ``warmup`` rows count 0, as in :func:`volume_load`.

    Returns
    -------
    Series
        ``repetitions`` per row, indexed like ``frame``.
    """
    sets = np.nan_to_num(_frame_column(frame, "sets"), nan=1.0)
    reps = np.where(
        _warmup_rows(frame),
        0.0,
        np.clip(np.nan_to_num(_frame_column(frame, "reps"), nan=0.0), 0.0, None),
    )
    return pd.Series(sets * reps, index=frame.index, name="repetitions", dtype=float)


def _warmup_rows(frame) -> np.ndarray:
    """True for warm-up sets (``set_type`` warmup, warm-up or w, any case), which count 0."""
    if "set_type" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    kind = frame["set_type"].astype(str).str.strip().str.lower()
    return kind.isin(("warmup", "warm-up", "w")).to_numpy()


def week_start(dates):
    """Monday 00:00 of the ISO week of each date.

    Parameters
    ----------
    dates : array-like or Series of datetime
        Dates or date-times (naive local time).

    Returns
    -------
    Series
        datetime64 Mondays, indexed like ``dates`` when it is a Series.
    """
    d = pd.to_datetime(pd.Series(dates)).dt.normalize()
    return d - pd.to_timedelta(d.dt.day_of_week, unit="D")


def weekly_strength(strength_frame):
    """Strength training per runner and ISO week.

    A *session* is one runner on one calendar day. Categories come from the
    frame's ``category`` column when present (the loader fills it), else
    from :func:`categorise_strength`.

    Session-RPE load (Foster) needs the session's duration, which
    strength.csv does not require: it is computed when the frame has a
    ``session_duration_s`` (or ``session_duration_min``) column, with the
    session's RPE taken from ``session_rpe`` if present, else the mean of
    its entries' ``rpe``; otherwise it is NaN.

    Parameters
    ----------
    strength_frame : DataFrame
        The dataset's strength frame (``runner_id``, ``date``, ``exercise``,
        ``sets``, ``reps``, ``load_kg``, ``rpe``...).

    Returns
    -------
    DataFrame
        One row per runner_id x week with columns ``runner_id``, ``week``
        (Monday of the ISO week), ``sessions``, ``sessions_<category>`` for
        every category (sessions with at least one entry of it),
        ``volume_load_kg``, ``volume_load_<category>_kg``, ``repetitions``
        (sets x reps of every entry, bodyweight and jumps included:
        :func:`repetitions`) and ``session_rpe_load`` [AU]. Weeks without
        sessions are absent.

    References
    ----------
    .. [1] Foster C et al. J Strength Cond Res 15:109-115 (2001); SCIENCE.md §10.
    """
    cat_cols = [f"sessions_{c}" for c in EXERCISE_CATEGORIES]
    vol_cols = [f"volume_load_{c}_kg" for c in EXERCISE_CATEGORIES]
    columns = ["runner_id", "week", "sessions", *cat_cols, "volume_load_kg", *vol_cols]
    columns += ["repetitions", "session_rpe_load"]
    if len(strength_frame) == 0:
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        out["runner_id"] = out["runner_id"].astype(object)
        out["week"] = pd.Series(dtype="datetime64[ns]")
        return out
    f = strength_frame
    if "category" in f.columns and f["category"].notna().all():
        category = f["category"].astype("object")
    else:
        category = categorise_strength(f).astype("object")
    day = pd.to_datetime(f["date"]).dt.normalize()
    work = pd.DataFrame(
        {
            "runner_id": f["runner_id"].astype("object").to_numpy(),
            "day": day.to_numpy(),
            "category": pd.Categorical(category.to_numpy(), categories=EXERCISE_CATEGORIES),
            "volume": volume_load(f).to_numpy(),
            "reps": repetitions(f).to_numpy(),
            "rpe": _frame_column(f, "session_rpe")
            if "session_rpe" in f.columns
            else _frame_column(f, "rpe"),
            "session_s": _session_seconds(f),
        }
    )
    work["week"] = week_start(work["day"]).to_numpy()

    sessions = (
        work.groupby(["runner_id", "week", "day"], sort=True)
        .agg(rpe=("rpe", "mean"), session_s=("session_s", "max"))
        .reset_index()
    )
    sessions["srpe"] = np.where(
        np.isfinite(sessions["session_s"]),
        sessions["rpe"] * sessions["session_s"] / 60.0,
        np.nan,
    )
    weekly = sessions.groupby(["runner_id", "week"], sort=True).agg(
        sessions=("day", "size"), srpe_sum=("srpe", "sum"), srpe_n=("srpe", "count")
    )
    weekly["repetitions"] = work.groupby(["runner_id", "week"], sort=True)["reps"].sum()
    weekly["session_rpe_load"] = weekly["srpe_sum"].where(weekly["srpe_n"] > 0)
    weekly = weekly.drop(columns=["srpe_sum", "srpe_n"])
    by_cat_sessions = (
        work.drop_duplicates(["runner_id", "week", "day", "category"])
        .groupby(["runner_id", "week", "category"], observed=True)
        .size()
        .unstack("category", fill_value=0)
        .reindex(columns=list(EXERCISE_CATEGORIES), fill_value=0)
    )
    by_cat_sessions.columns = cat_cols
    by_cat_volume = (
        work.groupby(["runner_id", "week", "category"], observed=True)["volume"]
        .sum()
        .unstack("category", fill_value=0.0)
        .reindex(columns=list(EXERCISE_CATEGORIES), fill_value=0.0)
    )
    by_cat_volume.columns = vol_cols
    out = weekly.join(by_cat_sessions, how="left").join(by_cat_volume, how="left")
    out[cat_cols] = out[cat_cols].fillna(0).astype(int)
    out[vol_cols] = out[vol_cols].fillna(0.0)
    out["volume_load_kg"] = out[vol_cols].sum(axis=1)
    out = out.reset_index()
    out["sessions"] = out["sessions"].astype(int)
    return out[columns]


def _session_seconds(frame):
    if "session_duration_s" in frame.columns:
        return _frame_column(frame, "session_duration_s")
    if "session_duration_min" in frame.columns:
        return _frame_column(frame, "session_duration_min") * 60.0
    return np.full(len(frame), np.nan)
