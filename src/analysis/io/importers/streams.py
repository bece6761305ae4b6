"""Per-second activity streams: resampling, distance, elevation, moving time, steady parts.

Pure functions on arrays and frames (no file access). A device file's samples
(every 1-10 s, irregular with "smart recording", absent while auto-paused) are
put on a one-second grid by :func:`resample_1hz`; everything else here works on
that grid.

The grid covers every second from the start to the last sample. Gaps longer
than :data:`MAX_FILL_GAP_S` (a pause, or a lost signal) are not interpolated:
their seconds are present with empty values, so rolling windows never bridge
a pause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.physiology import aerobic_decoupling

#: Longest gap between two samples that is filled by linear interpolation [s].
#: Smart recording writes a sample every 1-10 s; a longer silence is a pause.
MAX_FILL_GAP_S = 30.0

#: Below this speed [m/s] (1.8 km/h) a second counts as standing still.
MAX_STREAM_S = 7 * 86400
"""Longest stream put on the one-second grid [s]: the 7 days a run may last
(``duration_s`` in DATA_FORMAT). A longer span is a corrupted time stamp; a
grid of it would take gigabytes (3 billion seconds in a fuzzed FIT: 23 GB)."""

MOVING_SPEED_M_S = 0.5

#: Window [s] over which the net displacement decides moving vs standing: GPS
#: jitter while standing adds path length but little net displacement.
MOVING_WINDOW_S = 10

#: Altitude smoothing window [s] before elevation gain/loss (SCIENCE.md §3:
#: "smooth elevation first, for example over a 5-10 s window").
ELEVATION_SMOOTH_S = 10

#: Hysteresis [m]: a climb or descent counts once the smoothed altitude has
#: turned by at least this much. Chosen on the real FIT files against the
#: devices' own session totals (see tests/test_importers.py).
ELEVATION_HYSTERESIS_M = 3.0

#: Stream columns written to the Parquet cache, in order.
STREAM_COLUMNS = (
    "time_s",
    "distance_m",
    "speed_m_s",
    "hr_bpm",
    "altitude_m",
    "cadence_spm",
    "temp_c",
    "power_w",
    "gas_m_s",
    "moving",
    "steady",
)

#: Sample columns a reader may provide (besides ``time_s``).
SAMPLE_COLUMNS = (
    "distance_m",
    "speed_m_s",
    "hr_bpm",
    "altitude_m",
    "cadence_spm",
    "temp_c",
    "power_w",
    "lat_deg",
    "lon_deg",
)

_EARTH_RADIUS_M = 6_371_008.8


def haversine_steps_m(lat_deg, lon_deg) -> np.ndarray:
    """Great-circle distance between consecutive positions.

    Parameters
    ----------
    lat_deg, lon_deg : array-like
        Positions [degrees]; NaN where the fix is missing.

    Returns
    -------
    ndarray
        Distance from the previous valid position [m]; 0 for the first
        sample and for samples without a position.

    References
    ----------
    .. [1] Sinnott RW. Virtues of the haversine. Sky and Telescope 68:159 (1984).
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    steps = np.zeros(lat.size)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if ok.size < 2:
        return steps
    phi = np.radians(lat[ok])
    lam = np.radians(lon[ok])
    dphi = np.diff(phi)
    dlam = np.diff(lam)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(dlam / 2) ** 2
    steps[ok[1:]] = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return steps


#: Fastest plausible running speed [m/s] between two GPS fixes (a sprinter's
#: top speed is about 12 m/s); a faster step is a position glitch.
MAX_STEP_SPEED_M_S = 12.5


def gps_distance_steps_m(time_s, lat_deg, lon_deg) -> np.ndarray:
    """Distance between consecutive fixes [m], GPS glitches removed.

    A fix that jumps away and straight back (the steps into and out of it
    both faster than :data:`MAX_STEP_SPEED_M_S`) is dropped; any remaining
    step is capped at that speed times its duration.
    """
    t = np.asarray(time_s, dtype=float)
    lat = np.array(lat_deg, dtype=float)
    lon = np.array(lon_deg, dtype=float)
    for _ in range(2):
        steps = haversine_steps_m(lat, lon)
        ok = np.isfinite(lat)
        idx = np.flatnonzero(ok)
        if idx.size < 3:
            break
        dt = np.diff(t[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            v_in = steps[idx[1:]] / dt
        fast_in = np.concatenate(([False], v_in > MAX_STEP_SPEED_M_S))
        fast_out = np.concatenate((v_in > MAX_STEP_SPEED_M_S, [False]))
        spike = fast_in & fast_out
        if not spike.any():
            break
        lat[idx[spike]] = np.nan
        lon[idx[spike]] = np.nan
    steps = haversine_steps_m(lat, lon)
    prev_t = pd.Series(np.where(np.isfinite(lat), t, np.nan)).ffill().shift(1).to_numpy()
    with np.errstate(invalid="ignore"):
        cap = MAX_STEP_SPEED_M_S * np.nan_to_num(t - prev_t, nan=0.0)
    return np.minimum(steps, cap)


def clean_samples(samples: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Sort samples by time, drop repeated or backwards time stamps.

    Parameters
    ----------
    samples : DataFrame
        ``time_s`` [s from the start] and any of :data:`SAMPLE_COLUMNS`.

    Returns
    -------
    samples : DataFrame
        Samples with strictly increasing ``time_s`` (the first sample at a
        repeated time stamp is kept, later ones fill its empty cells), time
        re-based so the first sample is at 0.
    dropped : int
        Samples dropped because their time went backwards (clock glitches).
    """
    t = samples["time_s"].to_numpy(dtype=float)
    finite = np.isfinite(t)
    frame = samples.loc[finite]
    t = t[finite]
    # a sample earlier than one before it is a clock glitch, not a reordering
    running_max = np.maximum.accumulate(t) if t.size else t
    backwards = t < running_max
    frame = frame.loc[~backwards]
    grouped = frame.groupby("time_s", sort=True).first()
    out = grouped.reset_index()
    if len(out):
        out["time_s"] = out["time_s"] - out["time_s"].iloc[0]
    return out, int(backwards.sum())


def _interp_column(grid: np.ndarray, t: np.ndarray, values: np.ndarray, max_gap_s: float):
    ok = np.isfinite(values)
    if ok.sum() == 0:
        return np.full(grid.size, np.nan)
    tv, vv = t[ok], values[ok]
    out = np.interp(grid, tv, vv, left=np.nan, right=np.nan)
    # no value across a gap longer than max_gap_s between this column's samples
    right = np.searchsorted(tv, grid, side="left")
    exact = (right < tv.size) & (tv[np.clip(right, 0, tv.size - 1)] == grid)
    left = np.clip(right - 1, 0, tv.size - 1)
    right_c = np.clip(right, 0, tv.size - 1)
    gap = tv[right_c] - tv[left]
    inside = (right > 0) & (right < tv.size)
    out = np.where(exact | (inside & (gap <= max_gap_s)), out, np.nan)
    return out


def resample_1hz(samples: pd.DataFrame, *, max_gap_s: float = MAX_FILL_GAP_S) -> pd.DataFrame:
    """Put cleaned samples on a one-second grid.

    Parameters
    ----------
    samples : DataFrame
        Output of :func:`clean_samples` (``time_s`` from 0, increasing).
    max_gap_s : float
        Longest gap [s] filled by linear interpolation; seconds inside longer
        gaps are kept with empty values.

    Returns
    -------
    DataFrame
        ``time_s`` (int, every second from 0 to the last sample), the
        sample columns present in ``samples``, interpolated, and ``gap``
        (True inside an unfilled pause). Cumulative ``distance_m`` is carried
        flat across long gaps, so that it stays non-decreasing.
    """
    t = samples["time_s"].to_numpy(dtype=float)
    if t.size and not t[-1] <= MAX_STREAM_S:
        raise DataError(
            f"time stamps span {t[-1] / 86400:,.0f} days, more than the "
            f"{MAX_STREAM_S // 86400} days an activity may last: a time stamp is corrupted"
        )
    end = int(np.floor(t[-1])) if t.size else -1
    grid = np.arange(end + 1, dtype=float)
    out = {"time_s": grid.astype(np.int64)}
    present = np.zeros(grid.size, dtype=bool)
    for col in SAMPLE_COLUMNS:
        if col not in samples:
            continue
        out[col] = _interp_column(grid, t, samples[col].to_numpy(dtype=float), max_gap_s)
        present |= np.isfinite(out[col])
    frame = pd.DataFrame(out)
    frame["gap"] = ~present
    if "distance_m" in frame:
        frame["distance_m"] = frame["distance_m"].ffill()
    return frame


def moving_mask(grid: pd.DataFrame) -> np.ndarray:
    """Seconds in which the runner moved (not standing, not paused).

    The net displacement over a centred :data:`MOVING_WINDOW_S` window
    (positions when present, else cumulative distance) must reach
    :data:`MOVING_SPEED_M_S`; seconds inside unfilled gaps are not moving.
    """
    n = len(grid)
    half = MOVING_WINDOW_S // 2
    idx = np.arange(n)
    a = np.clip(idx - half, 0, n - 1)
    b = np.clip(idx + half, 0, n - 1)
    span = np.maximum(b - a, 1).astype(float)
    if "lat_deg" in grid and grid["lat_deg"].notna().sum() > 1:
        lat = grid["lat_deg"].to_numpy(dtype=float)
        lon = grid["lon_deg"].to_numpy(dtype=float)
        phi_a, phi_b = np.radians(lat[a]), np.radians(lat[b])
        dlam = np.radians(lon[b] - lon[a])
        h = np.sin((phi_b - phi_a) / 2) ** 2 + np.cos(phi_a) * np.cos(phi_b) * np.sin(dlam / 2) ** 2
        net = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        speed = net / span
        # no fix: fall back on the device speed or distance
        no_fix = ~np.isfinite(speed)
    else:
        speed = np.full(n, np.nan)
        no_fix = np.ones(n, dtype=bool)
    if no_fix.any():
        if "distance_m" in grid and grid["distance_m"].notna().any():
            d = grid["distance_m"].to_numpy(dtype=float)
            alt_speed = (d[b] - d[a]) / span
        elif "speed_m_s" in grid:
            alt_speed = grid["speed_m_s"].to_numpy(dtype=float)
        else:
            alt_speed = np.full(n, np.nan)
        speed = np.where(no_fix, alt_speed, speed)
    has_data = ~grid["gap"].to_numpy(dtype=bool) if "gap" in grid else np.ones(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        return has_data & (speed >= MOVING_SPEED_M_S)


def moving_time_s(grid: pd.DataFrame, samples: pd.DataFrame) -> float:
    """Moving time [s]: moving grid seconds plus long gaps crossed at moving speed.

    A gap longer than :data:`MAX_FILL_GAP_S` counts as moving when the
    distance covered across it implies at least :data:`MOVING_SPEED_M_S`
    (a lost signal while running), and as stopped otherwise (an auto-pause or
    a stop with the recording paused).
    """
    moving = moving_mask(grid)
    # grid point i stands for the second from i to i + 1; the last point ends the run
    total = float(moving[:-1].sum())
    t = samples["time_s"].to_numpy(dtype=float)
    if t.size < 2:
        return total
    dt = np.diff(t)
    long_gap = dt > MAX_FILL_GAP_S
    if not long_gap.any():
        return total
    if "distance_m" in samples and samples["distance_m"].notna().any():
        d = samples["distance_m"].ffill().to_numpy(dtype=float)
        dd = np.diff(d)
    elif "lat_deg" in samples:
        dd = haversine_steps_m(samples["lat_deg"], samples["lon_deg"])[1:]
    else:
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        crossed = long_gap & (dd / dt >= MOVING_SPEED_M_S)
    return total + float(dt[crossed].sum())


def speed_from_distance(distance_m, *, half_window_s: int = 2) -> np.ndarray:
    """Speed [m/s] from a 1 Hz cumulative distance, by a centred difference.

    Parameters
    ----------
    distance_m : array-like
        Cumulative distance per second [m] (NaN inside gaps).
    half_window_s : int
        Half-width of the difference window [s]; 2 gives a 4 s window, which
        damps GPS position noise.
    """
    d = np.asarray(distance_m, dtype=float)
    n = d.size
    idx = np.arange(n)
    a = np.clip(idx - half_window_s, 0, n - 1)
    b = np.clip(idx + half_window_s, 0, n - 1)
    span = (b - a).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(span > 0, (d[b] - d[a]) / span, np.nan)
    return np.clip(v, 0.0, None)


def _turning_points(x: np.ndarray) -> np.ndarray:
    """Indices of the ends and of every local extremum (plateaus collapsed)."""
    keep = np.concatenate(([True], np.diff(x) != 0))
    idx = np.flatnonzero(keep)
    y = x[idx]
    if y.size < 3:
        return idx
    slope = np.sign(np.diff(y))
    turn = np.flatnonzero(slope[1:] != slope[:-1]) + 1
    return idx[np.concatenate(([0], turn, [y.size - 1]))]


def elevation_gain_loss(
    altitude_m,
    *,
    smooth_s: int = ELEVATION_SMOOTH_S,
    hysteresis_m: float = ELEVATION_HYSTERESIS_M,
) -> tuple[float, float]:
    """Total climb and descent from a 1 Hz altitude stream.

    The altitude is smoothed with a centred moving mean over ``smooth_s``
    seconds, then reduced to its confirmed turning points: a maximum (or
    minimum) is confirmed once the smoothed altitude has come back down (up)
    by at least ``hysteresis_m``. Gain is the sum of rises between confirmed
    turning points, loss the sum of falls. Unlike summing every positive
    step, noise smaller than the hysteresis never adds up.

    Parameters
    ----------
    altitude_m : array-like
        Altitude per second [m]; NaN inside gaps (skipped).
    smooth_s : int
        Smoothing window [s].
    hysteresis_m : float
        Turn needed to confirm a turning point [m].

    Returns
    -------
    gain_m, loss_m : float
        NaN when the stream has fewer than two altitude values.

    References
    ----------
    .. [1] SCIENCE.md §3 (smooth elevation over 5-10 s before using it).
    """
    alt = pd.Series(np.asarray(altitude_m, dtype=float))
    smooth = alt.rolling(int(smooth_s), center=True, min_periods=1).mean().to_numpy()
    smooth = smooth[np.isfinite(alt.to_numpy())]
    if smooth.size < 2:
        return float("nan"), float("nan")
    cand = smooth[_turning_points(smooth)]
    # zig-zag over the candidate extrema only (a few hundred per run)
    extremes = [cand[0]]
    lo = hi = cand[0]
    direction = 0
    for v in cand[1:]:
        if direction == 0:
            hi, lo = max(hi, v), min(lo, v)
            if hi - lo >= hysteresis_m:
                direction = 1 if v == hi else -1
                extremes[0] = lo if direction == 1 else hi
                cur = v
        elif direction == 1:
            if v > cur:
                cur = v
            elif cur - v >= hysteresis_m:
                extremes.append(cur)
                direction, cur = -1, v
        else:
            if v < cur:
                cur = v
            elif v - cur >= hysteresis_m:
                extremes.append(cur)
                direction, cur = 1, v
    if direction != 0:
        extremes.append(cur)
    steps = np.diff(np.asarray(extremes))
    return float(steps[steps > 0].sum()), float(-steps[steps < 0].sum())


# ------------------------------------------------------------------- steady parts

#: Rolling window [s] over which speed must hold steady (Strava's GAP model
#: uses 60 s steady windows; SCIENCE.md §3).
STEADY_WINDOW_S = 60
#: Speed smoothing [s] before the steadiness test, for a device's own speed
#: (Doppler or foot pod, already smooth) ...
STEADY_SMOOTH_S = 10
#: ... and for speed derived from GPS positions, whose 3-5 m fix noise makes
#: a 10 s speed vary by 10-15 % at a constant pace (measured on the real
#: session GPX files: median 60 s CV 0.13 at 10 s, 0.06 at 30 s).
STEADY_SMOOTH_GPS_S = 30
#: Largest coefficient of variation of grade-adjusted speed in the window.
STEADY_MAX_CV = 0.08
#: Seconds at the start of a run never counted as steady (warm-up; VO2 and HR
#: are steady only by minutes 3-4 of a stage, SCIENCE.md §5).
STEADY_SKIP_START_S = 300
#: Seconds dropped at the start of each steady stretch: heart rate lags a
#: change of pace by one to two minutes, so a stretch's first 90 s still
#: carry the HR of the pace before it.
STEADY_HR_LAG_S = 90
#: Largest heart-rate slope [bpm/s] inside a steady window (9 bpm/min): HR
#: still recovering from an interval, or still rising into one, is not steady.
STEADY_MAX_HR_SLOPE_BPM_S = 0.15
#: Slowest grade-adjusted speed counted as running [m/s] (10:00 /km).
STEADY_MIN_SPEED_M_S = 1000.0 / 600.0
#: Least total steady time [s] for the steady averages to be reported.
STEADY_MIN_TOTAL_S = 300
#: Least steady time [s] for aerobic decoupling (first vs second half).
DECOUPLING_MIN_S = 1200


def steady_mask(
    gas_m_s,
    hr_bpm,
    moving,
    *,
    window_s: int = STEADY_WINDOW_S,
    max_cv: float = STEADY_MAX_CV,
    skip_start_s: int = STEADY_SKIP_START_S,
    hr_lag_s: int = STEADY_HR_LAG_S,
    max_hr_slope_bpm_s: float = STEADY_MAX_HR_SLOPE_BPM_S,
    min_speed_m_s: float = STEADY_MIN_SPEED_M_S,
    smooth_s: int = STEADY_SMOOTH_S,
) -> np.ndarray:
    """Seconds of a 1 Hz stream that belong to steady running.

    A second is steady when, in the centred ``window_s`` window around it,
    the grade-adjusted speed (smoothed over ``smooth_s`` seconds) varies little (CV < ``max_cv``), averages at
    least ``min_speed_m_s``, the runner moves throughout, and heart rate (when
    recorded) changes by less than ``max_hr_slope_bpm_s``. The first
    ``skip_start_s`` seconds of the run are excluded, and so are the first
    ``hr_lag_s`` seconds of every steady stretch (heart rate lags a change of
    pace). A run with intervals keeps its steady warm-up, recoveries long
    enough, and easy parts.

    Parameters
    ----------
    gas_m_s : array-like
        Grade-adjusted speed per second [m/s] (plain speed on flat ground).
    hr_bpm : array-like
        Heart rate per second [bpm]; all-NaN when not recorded.
    moving : array-like of bool
        Moving seconds (:func:`moving_mask`).

    Returns
    -------
    ndarray of bool

    References
    ----------
    .. [1] Robb D. An improved GAP model. Strava Engineering (2017): 60 s
       steady windows; SCIENCE.md §3, §5, §6.
    """
    gas = pd.Series(np.asarray(gas_m_s, dtype=float))
    # second-to-second GPS speed noise is not a change of pace
    gas = gas.rolling(int(smooth_s), center=True, min_periods=1).mean()
    hr = pd.Series(np.asarray(hr_bpm, dtype=float))
    mov = pd.Series(np.asarray(moving, dtype=bool).astype(float))
    n = len(gas)
    w = int(window_s)
    min_periods = max(2, int(0.9 * w))
    roll = gas.rolling(w, center=True, min_periods=min_periods)
    mean = roll.mean().to_numpy()
    std = roll.std().to_numpy()
    all_moving = mov.rolling(w, center=True, min_periods=w).min().to_numpy() == 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        pace_steady = all_moving & (mean >= min_speed_m_s) & (std / mean < max_cv)
    pace_steady[: min(n, int(skip_start_s))] = False
    # heart rate lags a change of pace: drop the start of every steady stretch
    ok = _trim_stretch_starts(pace_steady, int(hr_lag_s))
    if hr.notna().any():
        # HR slope across the window: mean of [i, i + half) minus mean of
        # [i - half, i), over the half-window between their centres
        half = max(1, w // 2)
        trailing = hr.rolling(half, min_periods=max(1, int(0.8 * half))).mean()
        before = trailing.shift(1).to_numpy()
        after = trailing.shift(-(half - 1)).to_numpy()
        with np.errstate(invalid="ignore"):
            ok &= np.abs(after - before) / half <= max_hr_slope_bpm_s
        ok &= hr.notna().to_numpy()
    return ok


def _trim_stretch_starts(mask: np.ndarray, lag: int) -> np.ndarray:
    """Drop the first ``lag`` seconds of every run of True in ``mask``."""
    if lag <= 0 or not mask.any():
        return mask
    idx = np.arange(mask.size)
    starts = mask & ~np.concatenate(([False], mask[:-1]))
    start_idx = np.maximum.accumulate(np.where(starts, idx, 0))
    return mask & (idx - start_idx >= lag)


def stream_metrics(gas_m_s, hr_bpm, steady, time_s) -> dict[str, float]:
    """What the steady part of a run says: duration, HR, speed, decoupling.

    Parameters
    ----------
    gas_m_s, hr_bpm : array-like
        Grade-adjusted speed [m/s] and heart rate [bpm] per second.
    steady : array-like of bool
        :func:`steady_mask`.
    time_s : array-like
        Seconds from the start.

    Returns
    -------
    dict
        ``steady_duration_s`` (always), ``steady_avg_hr_bpm`` and
        ``steady_gas_m_min`` (NaN when under :data:`STEADY_MIN_TOTAL_S` of
        steady running), ``decoupling_pct`` (first vs second half of the
        steady seconds, NaN under :data:`DECOUPLING_MIN_S`).

    References
    ----------
    .. [1] SCIENCE.md §6: aerobic decoupling over the steady part of the run,
       warm-up and cool-down excluded.
    """
    steady = np.asarray(steady, dtype=bool)
    gas = np.asarray(gas_m_s, dtype=float)
    hr = np.asarray(hr_bpm, dtype=float)
    t = np.asarray(time_s, dtype=float)
    n_steady = int(steady.sum())
    out = {
        "steady_duration_s": float(n_steady),
        "steady_avg_hr_bpm": float("nan"),
        "steady_gas_m_min": float("nan"),
        "decoupling_pct": float("nan"),
    }
    if n_steady < STEADY_MIN_TOTAL_S:
        return out
    out["steady_gas_m_min"] = float(np.nanmean(gas[steady]) * 60.0)
    if np.isfinite(hr[steady]).any():
        out["steady_avg_hr_bpm"] = float(np.nanmean(hr[steady]))
        if n_steady >= DECOUPLING_MIN_S:
            out["decoupling_pct"] = float(
                aerobic_decoupling(gas[steady], hr[steady], time_s=t[steady])
            )
    return out
