"""Recognising the same run from two sources, or imported twice.

Two rows are the same run when they belong to the same runner, start within
:data:`MATCH_WINDOW_S` of each other and their distances differ by at most
:data:`MATCH_DISTANCE_FRACTION` (by at most :data:`MATCH_CLOSE_DISTANCE_FRACTION`
when they start within :data:`MATCH_CLOSE_S`: the same recording as a GPX
track and as a FIT file). Start times are compared in UTC when both
rows know it (a date with an offset or ``Z``), in local time when both know
that; a row known only in UTC (Strava CSV, GPX) and one known only in local
time (Garmin Connect CSV) match when they differ by a whole number of
quarter hours (a time zone) within :data:`MATCH_WINDOW_S`. A date without a
time of day matches any run of that calendar day with the same distance.

When the same run comes from two sources, the richer one is kept
(:data:`SOURCE_PRIORITY`: a FIT file has per-second data and device totals,
TCX lap totals, GPX positions only, the CSV summaries nothing per second).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MATCH_WINDOW_S = 60.0
MATCH_DISTANCE_FRACTION = 0.02
#: Starts this close [s] are one recording exported twice (nobody starts two
#: runs within seconds): a GPX track's summed positions and the device's own
#: total then differ by a few per cent, more on very short runs.
MATCH_CLOSE_S = 10.0
MATCH_CLOSE_DISTANCE_FRACTION = 0.25
#: Smallest distance tolerance [km], for very short runs.
MATCH_DISTANCE_FLOOR_KM = 0.02
MAX_ZONE_S = 14 * 3600.0
SOURCE_PRIORITY = {"fit": 4, "tcx": 3, "gpx": 2, "strava_csv": 1, "garmin_csv": 1}

_DATE_RE = (
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def parse_starts(dates: pd.Series) -> pd.DataFrame:
    """Start times of date cells as seconds, in UTC and in local time where known.

    Returns
    -------
    DataFrame
        ``utc_s`` and ``local_s`` (float seconds since 1970, NaN when not
        known; local time counted as if it were UTC) and ``date_only``.
    """
    text = dates.fillna("").astype(str)
    parts = text.str.extract(_DATE_RE)
    naive = pd.to_datetime(
        parts["date"] + " " + parts["time"].fillna("00:00"), errors="coerce", format="mixed"
    )
    secs = (naive - pd.Timestamp(0)).dt.total_seconds()
    zone = parts["zone"].fillna("")
    sign = np.where(zone.str.startswith("-"), -1.0, 1.0)
    digits = zone.str.replace(r"[^0-9]", "", regex=True)
    hours = pd.to_numeric(digits.str[:2], errors="coerce").fillna(0.0)
    minutes = pd.to_numeric(digits.str[2:4], errors="coerce").fillna(0.0)
    offset = sign * (hours * 3600 + minutes * 60)
    has_offset = zone.str.match(r"^[+-]")
    is_z = zone == "Z"
    utc = np.where(has_offset, secs - offset, np.where(is_z, secs, np.nan))
    local = np.where(is_z, np.nan, secs)
    return pd.DataFrame(
        {
            "utc_s": utc.astype(float),
            "local_s": local.astype(float),
            "date_only": parts["time"].isna().to_numpy() & parts["date"].notna().to_numpy(),
        },
        index=dates.index,
    )


def _pairs(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i in a, j in b) whose approximate starts are within a day."""
    ta = np.where(np.isfinite(a["utc_s"]), a["utc_s"], a["local_s"])
    tb = np.where(np.isfinite(b["utc_s"]), b["utc_s"], b["local_s"])
    order = np.argsort(np.nan_to_num(tb, nan=np.inf), kind="stable")
    sorted_tb = tb[order]
    reach = MAX_ZONE_S + 86400.0  # zones plus a whole day for date-only rows
    lo = np.searchsorted(sorted_tb, ta - reach, side="left")
    hi = np.searchsorted(sorted_tb, ta + reach, side="right")
    ok = np.isfinite(ta)
    counts = np.where(ok, hi - lo, 0)
    i = np.repeat(np.arange(len(ta)), counts)
    starts = np.repeat(lo, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    j = order[starts + within]
    return i, j


def match_runs(new: pd.DataFrame, old: pd.DataFrame, *, check_distance: bool = True) -> np.ndarray:
    """For every row of ``new``, the position of the same run in ``old`` (-1 if none).

    Parameters
    ----------
    new, old : DataFrame
        ``date`` (text as in runs.csv), ``distance_km`` (float) and
        ``runner_id``.
    check_distance : bool
        False: the start alone decides (rows of one file read again, whose
        distance a corrected unit may have changed).

    Returns
    -------
    ndarray of int
        Position in ``old`` of the closest matching start, or -1.
    """
    result = np.full(len(new), -1, dtype=np.int64)
    if len(new) == 0 or len(old) == 0:
        return result
    a = parse_starts(new["date"].reset_index(drop=True))
    b = parse_starts(old["date"].reset_index(drop=True))
    i, j = _pairs(a, b)
    if i.size == 0:
        return result
    ok, gap = _same_run(a, b, new, old, i, j, check_distance=check_distance)
    if not ok.any():
        return result
    cand = pd.DataFrame({"i": i[ok], "j": j[ok], "gap": gap[ok]}).sort_values(["i", "gap", "j"])
    best = cand.drop_duplicates("i", keep="first")
    result[best["i"].to_numpy()] = best["j"].to_numpy()
    return result


def _same_run(a, b, new, old, i, j, *, check_distance=True):
    ua, ub = a["utc_s"].to_numpy()[i], b["utc_s"].to_numpy()[j]
    la, lb = a["local_s"].to_numpy()[i], b["local_s"].to_numpy()[j]
    da, db = a["date_only"].to_numpy()[i], b["date_only"].to_numpy()[j]
    both_utc = np.isfinite(ua) & np.isfinite(ub)
    both_local = np.isfinite(la) & np.isfinite(lb)
    with np.errstate(invalid="ignore"):
        gap = np.where(both_utc, np.abs(ua - ub), np.where(both_local, np.abs(la - lb), np.nan))
        # one side only in UTC, the other only in local time: a time zone apart
        cross = np.where(np.isfinite(la), la - ub, lb - ua)
        zone_gap = np.abs(cross - np.round(cross / 900.0) * 900.0)
        cross_ok = (
            ~both_utc & ~both_local & (np.abs(cross) <= MAX_ZONE_S) & (zone_gap <= MATCH_WINDOW_S)
        )
        time_ok = np.where(both_utc | both_local, gap <= MATCH_WINDOW_S, cross_ok)
        day_a = np.floor(np.where(np.isfinite(la), la, ua) / 86400.0)
        day_b = np.floor(np.where(np.isfinite(lb), lb, ub) / 86400.0)
        date_only_ok = (da | db) & (day_a == day_b)
        time_ok = np.where(da | db, date_only_ok, time_ok)
        gap = np.where(np.isfinite(gap), gap, np.where(cross_ok, zone_gap, 86400.0))
        ka = pd.to_numeric(new["distance_km"], errors="coerce").to_numpy(dtype=float)[i]
        kb = pd.to_numeric(old["distance_km"], errors="coerce").to_numpy(dtype=float)[j]
        tol = np.maximum(MATCH_DISTANCE_FRACTION * np.fmax(ka, kb), MATCH_DISTANCE_FLOOR_KM)
        close = time_ok & (gap <= MATCH_CLOSE_S) & ~(da | db)
        tol = np.where(close, np.fmax(tol, MATCH_CLOSE_DISTANCE_FRACTION * np.fmax(ka, kb)), tol)
        dist_ok = (np.abs(ka - kb) <= tol) | (not check_distance)
    runner_ok = (
        new["runner_id"].astype(str).to_numpy()[i] == old["runner_id"].astype(str).to_numpy()[j]
    )
    return time_ok & dist_ok & runner_ok, gap


def dedupe_batch(rows: pd.DataFrame) -> np.ndarray:
    """Rows of one import that repeat a richer (or earlier) row of the same run.

    Parameters
    ----------
    rows : DataFrame
        ``date``, ``distance_km``, ``runner_id``, ``source``.

    Returns
    -------
    ndarray of bool
        True for rows to drop: the poorer source of a pair, or the later of
        two equally rich ones.
    """
    n = len(rows)
    drop = np.zeros(n, dtype=bool)
    if n < 2:
        return drop
    a = parse_starts(rows["date"].reset_index(drop=True))
    i, j = _pairs(a, a)
    keep = i < j
    i, j = i[keep], j[keep]
    if i.size == 0:
        return drop
    frame = rows.reset_index(drop=True)
    ok, _ = _same_run(a, a, frame, frame, i, j)
    i, j = i[ok], j[ok]
    prio = frame["source"].map(SOURCE_PRIORITY).fillna(0).to_numpy()
    loser = np.where(prio[j] > prio[i], i, j)
    drop[loser] = True
    return drop


def existing_priority(table_sources: pd.Series, activity_files: pd.Series) -> np.ndarray:
    """Richness of existing runs.csv rows: their ``source``, else 2 with an
    activity file (a device file of unknown kind), else 0 (typed by hand)."""
    prio = table_sources.map(SOURCE_PRIORITY).to_numpy(dtype=float)
    fallback = np.where(activity_files.fillna("").str.strip() != "", 2.0, 0.0)
    return np.where(np.isfinite(prio), prio, fallback)
