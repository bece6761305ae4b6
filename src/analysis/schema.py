"""Column schema of the canonical dataset (``DATA_FORMAT.md``, the contract).

One place that says, for every file, which columns exist, their type, whether
they are required and the range a value must fall in. The loader validates
against it; the simulator and the importers write to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUNNER_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
"""A runner id, matched against the whole string (:func:`is_runner_id`). No
anchors: with ``re.match`` a ``$`` also matches before a trailing newline, and
``"R01\\n"`` once created a folder ``activities/R01\\n/``."""


def is_runner_id(value) -> bool:
    """True when ``value`` is a string that is a valid runner id as a whole."""
    return isinstance(value, str) and re.fullmatch(RUNNER_ID_PATTERN, value) is not None


def is_control(group) -> bool:
    """True when a ``group`` cell names the control group: "control", in any case and
    with any spacing around it (how every part of runeco reads the column)."""
    return str(group).strip().lower() == "control"


def shown(text: str, limit: int = 40) -> str:
    """A cell or header from a file, safe to print (control characters dropped, clipped)."""
    clean = "".join(ch for ch in str(text) if ch.isprintable())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def group_kind(label) -> str | None:
    """``"strength"``, ``"control"`` or None (another label) for a runners.csv
    ``group`` cell: the two words in any case and spacing, also plural or with more
    after them ("Controls", "control group", "Strength training"), and "ctrl". A
    runner whose label is neither is read from the data
    (:func:`analysis.blocks.runner_blocks`)."""
    if label is None or (isinstance(label, float) and label != label):
        return None
    letters = re.sub(r"[^a-z]", "", str(label).lower())
    if letters.startswith("control") or letters in ("ctrl", "ctrls", "ctl"):
        return "control"
    if letters.startswith("strength"):
        return "strength"
    return None


RUN_TYPES = ("easy", "long", "recovery", "tempo", "threshold", "interval", "race", "other")
EXERCISE_CATEGORIES = (
    "heavy",
    "explosive",
    "plyometric",
    "bodyweight_strength",
    "core",
    "mobility",
    "other",
)
SEXES = ("F", "M", "X")

CHART_MIME = "application/vnd.runeco.chart+json"
"""The notebook output type of an interactive report chart (:mod:`analysis.charts`):
Bokeh's JSON and the alt text, embedded as data by :mod:`analysis.report`."""

PRINT_FIGURE_DPI = 150
"""Resolution of the figures in the print reports (PDF) [dots per inch]."""

BASELINE_WEEKS = 6
"""Default weeks of baseline before a block starts (every command and function
that takes ``baseline_weeks`` defaults to this)."""

MIN_CONTROLS = 2
"""Controls with a field estimate needed for a control-referenced answer (a
control's reference is the other controls: the other one, in a squad of 2), and
for the notes on the controls' training load that guard it
(:mod:`analysis.models.reference` has the measurements)."""

# Source kinds ``runeco import`` reads (IMPORT_FORMATS): device files with
# their extensions, summary exports with one row per activity, strength apps
# with one row per set.
DEVICE_KINDS = {"fit": (".fit", ".fit.gz"), "gpx": (".gpx", ".gpx.gz"), "tcx": (".tcx", ".tcx.gz")}
RUN_CSV_KINDS = ("garmin_csv", "strava_csv")
STRENGTH_KINDS = ("strong", "hevy", "fitnotes", "strength_csv")
SOURCE_KINDS = tuple(DEVICE_KINDS) + RUN_CSV_KINDS + STRENGTH_KINDS

# Pace limits for a run (DATA_FORMAT.md issue 2): faster than 2:30/km or slower
# than 20:00/km is not a plausible running pace.
MIN_PACE_S_PER_KM = 150.0
MAX_PACE_S_PER_KM = 1200.0


@dataclass(frozen=True)
class Column:
    """One column of a canonical file.

    ``kind`` is one of ``id``, ``text``, ``datetime``, ``date``, ``float``,
    ``int``, ``category``. ``low``/``high`` bound plausible values (inclusive);
    ``positive`` demands a value > 0.
    """

    name: str
    kind: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    positive: bool = False
    categories: tuple[str, ...] | None = None
    unit: str = ""


RUNNERS = (
    Column("runner_id", "id", required=True),
    Column("name", "text"),
    Column("sex", "category", categories=SEXES),
    Column("birth_year", "int", low=1900, high=2030),
    Column("body_mass_kg", "float", low=25, high=200, unit="kg"),
    Column("hr_rest_bpm", "float", low=25, high=120, unit="bpm"),
    Column("hr_max_bpm", "float", low=100, high=250, unit="bpm"),
    Column("vo2max_ml_kg_min", "float", low=15, high=95, unit="ml/kg/min"),
    Column("group", "text"),
)

RUNS = (
    Column("runner_id", "id", required=True),
    Column("date", "datetime", required=True),
    Column("distance_km", "float", required=True, positive=True, high=400, unit="km"),
    Column("duration_s", "float", required=True, positive=True, high=7 * 86400, unit="s"),
    Column("avg_hr_bpm", "float", low=25, high=250, unit="bpm"),
    Column("max_hr_bpm", "float", low=25, high=250, unit="bpm"),
    Column("elev_gain_m", "float", low=0, high=20000, unit="m"),
    Column("elev_loss_m", "float", low=0, high=20000, unit="m"),
    Column("temp_c", "float", low=-50, high=60, unit="degC"),
    Column("run_type", "category", categories=RUN_TYPES),
    Column("vo2max_est_ml_kg_min", "float", low=15, high=95, unit="ml/kg/min"),
    Column("cadence_spm", "float", low=60, high=260, unit="steps/min"),
    Column("rpe", "float", low=0, high=10),
    Column("run_id", "text"),
    Column("activity_file", "text"),
    Column("device", "text"),
    Column("shoes", "text"),
    # Written by the importers from a device stream (optional everywhere else).
    Column("sport", "text"),
    Column("elapsed_s", "float", low=0, high=14 * 86400, unit="s"),
    Column("avg_power_w", "float", low=0, high=2500, unit="W"),
    Column("steady_duration_s", "float", low=0, high=7 * 86400, unit="s"),
    Column("steady_avg_hr_bpm", "float", low=25, high=250, unit="bpm"),
    Column("steady_gas_m_min", "float", low=0, high=1500, unit="m/min"),
    Column("decoupling_pct", "float", low=-100, high=100, unit="%"),
)

STRENGTH = (
    Column("runner_id", "id", required=True),
    Column("date", "datetime", required=True),
    Column("exercise", "text", required=True),
    Column("sets", "int", low=1, high=100),
    Column("reps", "int", low=0, high=1000),
    Column("load_kg", "float", low=0, high=1000, unit="kg"),
    Column("duration_s", "float", low=0, high=4 * 3600, unit="s"),
    Column("rpe", "float", low=0, high=10),
)

BLOCKS = (
    Column("runner_id", "id", required=True),
    Column("block_start", "date", required=True),
    Column("block_end", "date", required=True),
    Column("label", "text"),
)

LAB_TESTS = (
    Column("runner_id", "id", required=True),
    Column("date", "date", required=True),
    Column("speed_kmh", "float", required=True, positive=True, high=30, unit="km/h"),
    Column("grade_pct", "float", low=-30, high=45, unit="%"),
    Column("vo2_ml_kg_min", "float", required=True, positive=True, high=95, unit="ml/kg/min"),
    Column("hr_bpm", "float", low=25, high=250, unit="bpm"),
    Column("rer", "float", low=0.6, high=1.5),
    Column("lactate_mmol", "float", low=0, high=30, unit="mmol/L"),
)

WELLNESS = (
    Column("runner_id", "id", required=True),
    Column("date", "date", required=True),
    Column("hr_rest_bpm", "float", low=25, high=120, unit="bpm"),
    Column("hrv_ms", "float", low=0, high=500, unit="ms"),
    Column("body_mass_kg", "float", low=25, high=200, unit="kg"),
)
"""Optional morning measurements: resting heart rate (and HRV) and body mass by day."""

EXERCISES = (
    Column("exercise", "text", required=True),
    Column("category", "category", required=True, categories=EXERCISE_CATEGORIES),
    Column("runner_id", "id"),
)
"""A coach's exercise mapping (``exercises.csv``): an exercise's category for one
runner (``runner_id``) or for all (empty), overriding the automatic one."""

MAX_EXERCISE_NAME_CHARS = 100
"""Longest exercise name accepted in exercises.csv."""

FILES = {
    "runners.csv": (RUNNERS, True),
    "runs.csv": (RUNS, True),
    "strength.csv": (STRENGTH, False),
    "blocks.csv": (BLOCKS, False),
    "lab_tests.csv": (LAB_TESTS, False),
    "wellness.csv": (WELLNESS, False),
    "exercises.csv": (EXERCISES, False),
}

QUARANTINE_COLUMNS = ("file", "line", "column", "value", "reason", "runner_id", "code")
"""Columns of ``Dataset.quarantine``: one row per problem found in a row. ``value``
is the raw cell, ``reason`` a short human sentence, ``code`` one of
:data:`QUARANTINE_CODES` (stable, for grouping), ``runner_id`` the row's raw
runner id (empty when it had none)."""

QUARANTINE_CODES = {
    "missing_required": "a required value is empty",
    "unparseable": "not a number, whole number or H:MM:SS time",
    "bad_date": "not an ISO 8601 date, outside 1900-2100, or block_end before block_start",
    "out_of_range": "outside the plausible range of the column",
    "pace_implausible": "pace faster than 2:30/km or slower than 20:00/km",
    "bad_category": "not one of the allowed values (run_type, sex, category)",
    "unknown_runner": "runner_id not in runners.csv (or its runner row was quarantined)",
    "duplicate_run": "repeats an earlier run (same runner and start, or same run_id)",
    "malformed_row": "more fields than the header has columns",
    "bad_text": "control characters, a spreadsheet formula or an over-long name",
    "duplicate_mapping": "repeats an exercises.csv row for the same exercise and runner",
}
"""Quarantine codes and what they mean (``Dataset.quarantine['code']``)."""
