"""Importers: device files and app exports into the canonical dataset.

``import_sources`` reads FIT, GPX and TCX files, Garmin Connect and Strava
activity exports, and Strong, Hevy and FitNotes strength logs, and appends
what it finds to a dataset folder (``DATA_FORMAT.md``): one runs.csv row per
run with the summary figures and the stream-derived steady-state columns,
the per-second stream as Parquet under ``activities/<runner_id>/``, one
strength.csv row per set.
"""

from analysis.io.importers.activity import Activity, NotAnActivity, summarise
from analysis.io.importers.core import import_sources
from analysis.io.importers.detect import KINDS, collect_sources, detect_kind
from analysis.io.importers.fit import read_fit
from analysis.io.importers.gpx import read_gpx
from analysis.io.importers.store import load_runner_streams, read_stream
from analysis.io.importers.summary import ImportSummary
from analysis.io.importers.tcx import read_tcx

__all__ = [
    "Activity",
    "ImportSummary",
    "KINDS",
    "NotAnActivity",
    "collect_sources",
    "detect_kind",
    "import_sources",
    "load_runner_streams",
    "read_fit",
    "read_gpx",
    "read_stream",
    "read_tcx",
    "summarise",
]
