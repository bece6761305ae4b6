"""A run's type from its per-second stream: easy, long, tempo, threshold, interval, race, other.

Imported device files carry no run type, and the economy model needs to
know which runs are intervals and races (their heart rate is not in steady
state, so they are left out; ``analysis.metrics.STEADY_RUN_TYPES``). Two
steps, so that the stream is read where it is decoded (in a worker process
with ``--workers``) and the runner's parameters, known only to the import,
are applied once for the whole batch:

1. :func:`stream_features` reads one stream: moving time, the interval
   structure (:func:`interval_repetitions`) and the best 20-minute mean
   heart rate.
2. :func:`assign_run_types` turns those features (one row per run) and the
   runner's HRmax and HRrest from runners.csv into a ``run_type`` and the
   ``run_type_reason`` that says why, in words a coach can check.

The thresholds are our conventions, each named in the constant that holds
it; where a published number stands behind one, the constant says which.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Shortest moving time [s] a stream is typed from; a shorter one is ``other``.
#: Our convention: the economy model needs 15 min (``analysis.metrics``), and
#: 10 min of running is too little to tell an interval session from an easy run.
MIN_TYPED_S = 600.0

#: Moving time [s] from which a run is ``long`` (90 min). Our convention: the
#: usual long run of trained distance runners lasts 90 min or more, and a run
#: that long has cardiac drift the model's 60-min term handles.
LONG_RUN_S = 90 * 60.0

#: Window [s] of the sustained effort that makes a tempo or threshold run: the
#: classic tempo run is 20 min at threshold pace (Daniels, *Daniels' Running
#: Formula*, 3rd ed., 2014, on T-pace running).
SUSTAINED_S = 20 * 60

#: Fractions of HRmax (when runners.csv has no HRrest) whose best 20-minute
#: mean makes a run ``tempo`` and ``threshold``: the lower bounds of the
#: marathon (80-90 % HRmax) and threshold (88-92 % HRmax) intensities in
#: Daniels' Running Formula (3rd ed., 2014), as we read its intensity table;
#: easy running is 65-79 % HRmax there.
TEMPO_HRMAX = 0.80
THRESHOLD_HRMAX = 0.88

#: The same bounds as fractions of heart-rate reserve (when runners.csv has
#: HRrest too): Daniels gives the marathon intensity as 75-84 % and threshold
#: as 83-88 % of VO2max, and %HRR tracks %VO2 reserve 1:1 (Swain & Leutholtz
#: 1997; SCIENCE.md section 4).
TEMPO_HRR = 0.75
THRESHOLD_HRR = 0.83

#: Interval structure (our conventions, chosen on synthetic sessions and
#: checked against the real files in ../shared/data/real/, none of which is
#: a track session): speed smoothed over 30 s; a repetition is a bout of
#: 30 s to 20 min above the midpoint between the 10th and 90th percentiles
#: of the moving speed; a recovery between two is 15 s to 10 min (standing
#: included); at least 3 repetitions in a chain, whose mean speed is at
#: least 1.25 x that of their recoveries and 1.2 x the run's median speed,
#: and whose speeds agree within a CV of 15 %. A repetition that drops more
#: than 3 % on average (a descent run) does not count, nor a recovery that
#: climbs more than 3 % (a hill walked), nor a repetition whose heart rate
#: (when recorded) is not at least 3 bpm above the recovery before it.
SPEED_SMOOTH_S = 30
MIN_REP_S, MAX_REP_S = 30, 20 * 60
MIN_RECOVERY_S, MAX_RECOVERY_S = 15, 10 * 60
MIN_REPS = 3
MIN_SPEED_CONTRAST = 1.25
MIN_REP_OVER_MEDIAN = 1.2
MAX_REP_SPEED_CV = 0.15
MAX_REP_DESCENT = -0.03
MAX_RECOVERY_CLIMB = 0.03
MIN_REP_HR_RISE_BPM = 3.0

#: Words in an activity's name by which the app or the runner marks a race.
RACE_NAME = re.compile(r"\b(?:race|racing|parkrun|wettkampf|carrera|course officielle)\b", re.I)

FEATURES = (
    "_moving_s",
    "_has_speed",
    "_interval_reps",
    "_rep_pace_s_km",
    "_recovery_pace_s_km",
    "_best_20min_hr_bpm",
)
"""What :func:`stream_features` returns, in order (private: not runs.csv columns)."""


def _bouts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of every run of True."""
    m = np.concatenate(([0], mask.astype(np.int8), [0]))
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def interval_repetitions(speed_m_s, moving, *, altitude_m=None, distance_m=None, hr_bpm=None):
    """Repeated fast bouts with recoveries between them, from a 1 Hz stream.

    Parameters
    ----------
    speed_m_s : array-like
        Speed per second [m/s].
    moving : array-like of bool
        Seconds in motion; a standing recovery is not moving.
    altitude_m, distance_m : array-like, optional
        Per second; a repetition that descends more than 3 % is left out.
    hr_bpm : array-like, optional
        Per second; when recorded, a repetition counts only when the heart
        rate of its second half is above that of the recoveries around it.

    Returns
    -------
    n_reps : int
        Repetitions in the longest chain that meets the conventions of this
        module (0 when there is none).
    rep_speed_m_s, recovery_speed_m_s : float
        Mean speed of that chain's repetitions and of its recoveries (NaN
        without a chain).
    """
    v = np.asarray(speed_m_s, dtype=float)
    mov = np.asarray(moving, dtype=bool) & np.isfinite(v)
    none = (0, float("nan"), float("nan"))
    if mov.sum() < MIN_TYPED_S:
        return none
    raw = np.where(mov, v, 0.0)  # standing counts as speed 0 in a recovery
    smooth = pd.Series(raw).rolling(SPEED_SMOOTH_S, center=True, min_periods=1).mean().to_numpy()
    lo, hi = np.percentile(smooth[mov], [10, 90])
    if not hi > MIN_SPEED_CONTRAST * max(lo, 1e-9):
        return none
    median = float(np.median(smooth[mov]))
    fast = smooth >= (lo + hi) / 2.0
    starts, ends = _bouts(fast)
    length = ends - starts
    keep = (length >= MIN_REP_S) & (length <= MAX_REP_S)
    starts, ends = starts[keep], ends[keep]
    if starts.size < MIN_REPS:
        return none
    speed = np.array([raw[a:b].mean() for a, b in zip(starts, ends, strict=True)])
    ok = np.ones(starts.size, dtype=bool)
    if altitude_m is not None and distance_m is not None:
        alt = np.asarray(altitude_m, dtype=float)
        dist = np.asarray(distance_m, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            grade = (alt[ends - 1] - alt[starts]) / (dist[ends - 1] - dist[starts])
        ok &= ~(grade < MAX_REP_DESCENT)

    def climbs(a: int, b: int) -> bool:
        if altitude_m is None or distance_m is None:
            return False
        with np.errstate(invalid="ignore", divide="ignore"):
            return bool((alt[b] - alt[a]) / (dist[b] - dist[a]) > MAX_RECOVERY_CLIMB)

    hr = None if hr_bpm is None else np.asarray(hr_bpm, dtype=float)
    has_hr = hr is not None and np.isfinite(hr).sum() > 0.5 * hr.size
    best = none
    chain: list[int] = []

    def close(chain: list[int]):
        nonlocal best
        if len(chain) < MIN_REPS:
            return
        idx = np.array(chain)
        rec = np.concatenate(
            [raw[ends[i] : starts[j]] for i, j in zip(idx[:-1], idx[1:], strict=True)]
        )
        rep_v = float(speed[idx].mean())
        rec_v = float(rec.mean()) if rec.size else float("nan")
        if not (rep_v >= MIN_SPEED_CONTRAST * rec_v and rep_v >= MIN_REP_OVER_MEDIAN * median):
            return
        if np.std(speed[idx]) / rep_v > MAX_REP_SPEED_CV:
            return
        if len(chain) > best[0]:
            best = (len(chain), rep_v, rec_v)

    for k in range(starts.size):
        if not ok[k]:
            close(chain)
            chain = []
            continue
        if chain:
            gap = starts[k] - ends[chain[-1]]
            if not (MIN_RECOVERY_S <= gap <= MAX_RECOVERY_S) or climbs(ends[chain[-1]], starts[k]):
                close(chain)
                chain = []
        if has_hr and not _hr_rises(hr, starts[k], ends[k], chain and ends[chain[-1]]):
            close(chain)
            chain = []
            continue
        chain.append(k)
    close(chain)
    return best


def _hr_rises(hr: np.ndarray, start: int, end: int, prev_end) -> bool:
    """Heart rate in a repetition's second half above the recovery before it."""
    mid = (start + end) // 2
    rep = hr[mid:end]
    before = hr[prev_end:start] if prev_end else hr[max(0, start - MAX_RECOVERY_S // 4) : start]
    if not (np.isfinite(rep).any() and np.isfinite(before).any()):
        return True
    return bool(np.nanmean(rep) - np.nanmean(before) >= MIN_REP_HR_RISE_BPM)


def stream_features(grid: pd.DataFrame) -> dict:
    """The features of one 1 Hz stream that :func:`assign_run_types` needs.

    Parameters
    ----------
    grid : DataFrame
        The importer's stream (``time_s``, ``speed_m_s``, ``moving``,
        ``hr_bpm``, ``altitude_m``, ``distance_m``).

    Returns
    -------
    dict
        The keys of :data:`FEATURES`: moving time [s], whether the stream
        has a speed, the repetitions of :func:`interval_repetitions` with
        their mean paces [s/km], and the best 20-minute mean heart rate over
        moving seconds [bpm] (NaN without heart rate or under 20 min).
    """
    moving = grid["moving"].to_numpy(dtype=bool)
    speed = grid["speed_m_s"].to_numpy(dtype=float)
    hr = grid["hr_bpm"].to_numpy(dtype=float)
    has_speed = bool(np.isfinite(speed[moving]).any()) if moving.any() else False
    n, rep_v, rec_v = interval_repetitions(
        speed,
        moving,
        altitude_m=grid["altitude_m"].to_numpy(dtype=float),
        distance_m=grid["distance_m"].to_numpy(dtype=float),
        hr_bpm=hr,
    )
    hr_moving = pd.Series(np.where(moving, hr, np.nan))
    best = hr_moving.rolling(SUSTAINED_S, min_periods=int(0.8 * SUSTAINED_S)).mean().max()
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "_moving_s": float(moving.sum()),
            "_has_speed": has_speed,
            "_interval_reps": int(n),
            "_rep_pace_s_km": 1000.0 / rep_v if n else float("nan"),
            "_recovery_pace_s_km": 1000.0 / rec_v if n and rec_v > 0 else float("nan"),
            "_best_20min_hr_bpm": float(best) if np.isfinite(best) else float("nan"),
        }


def _pace(s_km: pd.Series) -> pd.Series:
    whole = s_km.round().fillna(0).astype("int64")
    return (whole // 60).astype(str) + ":" + (whole % 60).astype(str).str.zfill(2) + "/km"


def assign_run_types(
    features: pd.DataFrame, *, hr_max_bpm: float = float("nan"), hr_rest_bpm: float = float("nan")
) -> tuple[pd.Series, pd.Series]:
    """A run type and its reason for every imported run.

    Checked in this order, the first that applies: no stream -> ``other``;
    no speed -> ``other``; under :data:`MIN_TYPED_S` moving -> ``other``;
    the activity's name marks a race (:data:`RACE_NAME`) -> ``race``; at
    least :data:`MIN_REPS` repetitions (:func:`interval_repetitions`) ->
    ``interval``; :data:`LONG_RUN_S` or more -> ``long``; with HRmax known,
    the best 20-minute mean heart rate at or above the threshold bound ->
    ``threshold``, above the tempo bound -> ``tempo`` (fractions of HR
    reserve when HRrest is known too, else of HRmax); otherwise ``easy``.

    Parameters
    ----------
    features : DataFrame
        One row per run: the :data:`FEATURES` columns (NaN where the run has
        no stream) and ``name`` (the activity's name, may be absent).
    hr_max_bpm, hr_rest_bpm : float
        The runner's values from runners.csv (NaN when not given: then
        tempo and threshold are not judged, and the reason says so).

    Returns
    -------
    run_type, reason : Series of str
        Indexed like ``features``.
    """
    idx = features.index

    def col(name, default=np.nan):
        if name in features:
            return pd.to_numeric(features[name], errors="coerce")
        return pd.Series(default, index=idx, dtype=float)

    moving = col("_moving_s")
    has_stream = moving.notna()
    has_speed = (
        features["_has_speed"].fillna(False).astype(bool)
        if "_has_speed" in features
        else has_stream
    )
    reps = col("_interval_reps").fillna(0)
    best_hr = col("_best_20min_hr_bpm")
    name = (
        features["name"].fillna("").astype(str)
        if "name" in features
        else pd.Series("", index=idx, dtype=str)
    )
    raced = name.str.contains(RACE_NAME)
    hmax, rest = float(hr_max_bpm), float(hr_rest_bpm)
    if np.isfinite(hmax) and np.isfinite(rest) and hmax > rest:
        frac = (best_hr - rest) / (hmax - rest)
        tempo_at, threshold_at, basis = TEMPO_HRR, THRESHOLD_HRR, "heart-rate reserve"
    elif np.isfinite(hmax):
        frac = best_hr / hmax
        tempo_at, threshold_at, basis = TEMPO_HRMAX, THRESHOLD_HRMAX, "HRmax"
    else:
        frac = pd.Series(np.nan, index=idx)
        tempo_at = threshold_at = np.nan
        basis = ""
    pct = (frac * 100).round().fillna(0).astype("int64").astype(str)
    minutes = (moving / 60).round().fillna(0).astype("int64").astype(str)
    reps_text = reps.astype("int64").astype(str)
    conditions = [
        ~has_stream,
        ~has_speed,
        ~(moving >= MIN_TYPED_S),
        raced,
        reps >= MIN_REPS,
        moving >= LONG_RUN_S,
        frac >= threshold_at,
        frac >= tempo_at,
    ]
    types = ["other", "other", "other", "race", "interval", "long", "threshold", "tempo"]
    sustained = f"best {SUSTAINED_S // 60} min at "
    reasons = [
        pd.Series("no per-second stream to type it from (summary values only)", index=idx),
        pd.Series("no speed in the stream", index=idx),
        "only " + minutes + f" min moving (under {MIN_TYPED_S / 60:.0f} min is not typed)",
        pd.Series("its name marks a race", index=idx),
        reps_text
        + " fast repetitions at "
        + _pace(col("_rep_pace_s_km"))
        + " with recoveries at "
        + _pace(col("_recovery_pace_s_km")),
        minutes + f" min moving ({LONG_RUN_S / 60:.0f} min or more)",
        sustained + pct + f" % of {basis} (threshold from {threshold_at * 100:.0f} %)",
        sustained + pct + f" % of {basis} (tempo from {tempo_at * 100:.0f} %)",
    ]
    if np.isfinite(hmax):
        easy = np.where(
            best_hr.notna(),
            sustained + pct + f" % of {basis}: steady, below tempo",
            "steady; no heart rate over 20 min to judge its intensity",
        )
    else:
        easy = pd.Series(
            "steady; intensity not judged (no hr_max_bpm in runners.csv)", index=idx
        ).to_numpy()
    kind = np.select([c.to_numpy(dtype=bool) for c in conditions], types, default="easy")
    why = np.select(
        [c.to_numpy(dtype=bool) for c in conditions],
        [np.asarray(r, dtype=object) for r in reasons],
        default=easy,
    )
    return pd.Series(kind, index=idx, dtype=object), pd.Series(why, index=idx, dtype=object)
