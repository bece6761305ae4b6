"""Benchmark the importers: decode vs import time, and the Parquet stream cache.

Three measurements, printed as a table:

1. Every FIT file in ``../shared/data/real/fit/`` (skipped when absent):
   the parser alone (fitdecode, every message decoded) next to the whole
   import (decode, summary, per-second stream, Parquet, runs.csv).
2. A synthetic folder of N one-hour runs written as real FIT files (1 Hz
   records with position, distance, speed, altitude, heart rate, cadence,
   temperature; a session and an activity message), so the same decoder
   reads them: parser alone vs import.
3. Loading the same runner's streams again from the Parquet cache
   (``load_runner_streams``) vs decoding them (target: at least 20x faster).

Run ``python benchmarks/bench_import.py`` (N = 1000, several minutes) or
``--quick`` (N = 40). Files go to ``benchmarks/.out/`` (git-ignored) unless
``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import math
import shutil
import struct
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REAL_FIT = ROOT.parent / "shared" / "data" / "real" / "fit"
FIT_EPOCH_S = 631065600

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def fit_crc(data: bytes, crc: int = 0) -> int:
    """FIT's CRC-16 (FIT protocol, section "CRC")."""
    table = _CRC_TABLE
    for byte in data:
        tmp = table[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[byte & 0xF]
        tmp = table[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[(byte >> 4) & 0xF]
    return crc


def _definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    head = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
    return head + b"".join(struct.pack("<BBB", *f) for f in fields)


def synthetic_run(seed: int, seconds: int = 3600) -> dict[str, np.ndarray]:
    """One hour of running: warm-up, a hilly steady middle, cool-down; HR lags pace and drifts."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds)
    base = 3.0 + 0.4 * rng.random()
    speed = np.where(t < 600, base - 0.4, np.where(t < seconds - 600, base, base - 0.5))
    speed = speed + rng.normal(0, 0.05, t.size)
    altitude = 100 + 15 * np.sin(2 * math.pi * t / 900.0) + rng.normal(0, 0.3, t.size)
    target = 70 + 28 * speed + 0.003 * t
    hr = np.empty(t.size)
    hr[0] = 90
    alpha = 1 - math.exp(-1 / 30.0)
    for i in range(1, t.size):  # first-order HR response (benchmark data only)
        hr[i] = hr[i - 1] + alpha * (target[i] - hr[i - 1])
    distance = np.concatenate(([0.0], np.cumsum(speed[:-1])))
    heading = 2 * math.pi * distance / 5000.0  # laps of a 5 km loop
    radius_m = 5000.0 / (2 * math.pi)
    m_per_deg = 6371008.8 * math.pi / 180
    lat = 45.0 + radius_m * np.sin(heading) / m_per_deg
    lon = 6.0 + radius_m * (1 - np.cos(heading)) / (m_per_deg * math.cos(math.radians(45.0)))
    return {
        "t": t,
        "speed": speed,
        "altitude": altitude,
        "hr": np.round(hr),
        "distance": distance,
        "lat": lat,
        "lon": lon,
        "cadence": np.round(84 + 4 * (speed - base) + rng.normal(0, 1, t.size)),
        "temp": np.full(t.size, 18.0),
    }


def write_fit(path: Path, run: dict[str, np.ndarray], start_utc_s: int) -> None:
    """Write a run as a FIT activity file (file_id, records, session, activity)."""
    ts0 = start_utc_s - FIT_EPOCH_S
    n = run["t"].size
    out = bytearray()
    out += _definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (4, 4, 0x86)])
    out += struct.pack("<BBHHI", 0x00, 4, 255, 0, ts0)  # file_id: activity, development
    out += _definition(
        1,
        20,
        [
            (253, 4, 0x86),
            (0, 4, 0x85),
            (1, 4, 0x85),
            (5, 4, 0x86),
            (73, 4, 0x86),
            (78, 4, 0x86),
            (3, 1, 0x02),
            (4, 1, 0x02),
            (13, 1, 0x01),
        ],
    )
    rec = np.zeros(
        n,
        dtype=[
            ("h", "u1"),
            ("ts", "<u4"),
            ("lat", "<i4"),
            ("lon", "<i4"),
            ("dist", "<u4"),
            ("speed", "<u4"),
            ("alt", "<u4"),
            ("hr", "u1"),
            ("cad", "u1"),
            ("temp", "i1"),
        ],
    )
    rec["h"] = 0x01
    rec["ts"] = ts0 + run["t"]
    rec["lat"] = np.round(run["lat"] * 2**31 / 180.0)
    rec["lon"] = np.round(run["lon"] * 2**31 / 180.0)
    rec["dist"] = np.round(run["distance"] * 100)
    rec["speed"] = np.round(run["speed"] * 1000)
    rec["alt"] = np.round((run["altitude"] + 500) * 5)
    rec["hr"] = run["hr"]
    rec["cad"] = run["cadence"]
    rec["temp"] = run["temp"]
    out += rec.tobytes()
    duration = float(run["t"][-1])
    total = float(run["distance"][-1])
    out += _definition(
        2,
        18,
        [
            (253, 4, 0x86),
            (2, 4, 0x86),
            (7, 4, 0x86),
            (8, 4, 0x86),
            (9, 4, 0x86),
            (5, 1, 0x00),
            (6, 1, 0x00),
            (16, 1, 0x02),
            (17, 1, 0x02),
        ],
    )
    out += struct.pack(
        "<BIIIIIBBBB",
        0x02,
        ts0 + int(duration),
        ts0,
        int(duration * 1000),
        int(duration * 1000),
        int(total * 100),
        1,
        0,
        int(np.mean(run["hr"])),
        int(np.max(run["hr"])),
    )
    out += _definition(
        3,
        34,
        [
            (253, 4, 0x86),
            (0, 4, 0x86),
            (1, 2, 0x84),
            (2, 1, 0x00),
            (3, 1, 0x00),
            (4, 1, 0x00),
            (5, 4, 0x86),
        ],
    )
    out += struct.pack(
        "<BIIHBBBI",
        0x03,
        ts0 + int(duration),
        int(duration * 1000),
        1,
        0,
        26,
        1,
        ts0 + int(duration) + 3600,
    )
    header = struct.pack("<BBHI4s", 14, 0x10, 2132, len(out), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    body = header + bytes(out)
    path.write_bytes(body + struct.pack("<H", fit_crc(body)))


def make_synthetic(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    start = 1_704_096_000  # 2024-01-01T08:00:00Z
    for k in range(n):
        path = folder / f"run-{k:04d}.fit"
        if not path.exists():
            write_fit(path, synthetic_run(k), start + k * 86400)
        paths.append(path)
    return paths


def decode_all(paths) -> float:
    """Seconds to decode every file; files that fail are counted and printed, and
    the time is reported over the files that decoded (a failure is not a fast decode)."""
    from analysis.io.importers.fit import decode_fit_only

    started = time.perf_counter()
    failed = []
    for p in paths:
        try:
            decode_fit_only(p)
        except Exception as exc:  # the damaged real files fail here as they do on import
            failed.append((p.name, f"{type(exc).__name__}: {exc}"))
    seconds = time.perf_counter() - started
    if failed:
        print(f"decode: {len(failed)} of {len(paths)} files failed (listed; not in the rate):")
        for name, reason in failed:
            print(f"  {name}: {reason[:100]}")
    return seconds, len(paths) - len(failed)


def import_all(dataset: Path, runner: str, sources, workers: int = 1) -> tuple[float, object]:
    from analysis.io.importers import import_sources

    shutil.rmtree(dataset, ignore_errors=True)
    started = time.perf_counter()
    summary = import_sources(dataset, runner, sources, progress=False, workers=workers)
    return time.perf_counter() - started, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="synthetic one-hour runs (default 1000)")
    parser.add_argument("--quick", action="store_true", help="40 synthetic runs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / ".out" / "bench_import")
    parser.add_argument("--workers", type=int, default=1, help="import processes (default 1)")
    args = parser.parse_args(argv)
    n = 40 if args.quick else args.n
    out = args.out
    rows = []

    if REAL_FIT.is_dir():
        real = sorted(REAL_FIT.glob("*.fit"))
        decode_s, decoded = decode_all(real)
        decode_s = decode_s * len(real) / max(decoded, 1)  # per file decoded, scaled to all
        import_s, summary = import_all(out / "real_ds", "REAL", [REAL_FIT])
        mb = sum(p.stat().st_size for p in real) / 1e6
        rows.append(("real FIT folder", len(real), mb, decode_s, import_s, summary.imported_runs))
    else:
        print(f"{REAL_FIT} not found: real-file benchmark skipped")

    t0 = time.perf_counter()
    synthetic = make_synthetic(out / "synthetic_fit", n)
    made_s = time.perf_counter() - t0
    decode_s, decoded = decode_all(synthetic)
    if decoded < len(synthetic):
        print("MISSED: synthetic FIT files failed to decode")
        return 1
    import_s, summary = import_all(out / "synthetic_ds", "SYN", synthetic, args.workers)
    mb = sum(p.stat().st_size for p in synthetic) / 1e6
    label = f"synthetic 1 h runs (N={n})" + (
        f", {args.workers} workers" if args.workers > 1 else ""
    )
    rows.append((label, n, mb, decode_s, import_s, summary.imported_runs))

    from analysis.io.importers import load_runner_streams

    started = time.perf_counter()
    cached = load_runner_streams(out / "synthetic_ds", "SYN")
    cache_s = time.perf_counter() - started
    rows_cached = sum(len(f) for f in cached.values())

    print(f"(synthetic files written in {made_s:.1f} s)")
    print(
        f"{'source':32s} {'files':>6s} {'MB':>7s} {'decode s':>9s} {'import s':>9s} {'import/decode':>13s} {'runs':>6s}"
    )
    for name, files, size, dec, imp, runs in rows:
        print(
            f"{name:32s} {files:6d} {size:7.1f} {dec:9.2f} {imp:9.2f} {imp / dec:13.2f} {runs:6d}"
        )
        print(
            f"{'':32s} per file: decode {1000 * dec / files:.0f} ms, import {1000 * imp / files:.0f} ms"
        )
    speedup = decode_s / cache_s if cache_s > 0 else float("inf")
    verdict = "OK" if speedup >= 20 else "BELOW TARGET"
    print(
        f"Parquet cache: {len(cached)} streams ({rows_cached} s of data) loaded in {cache_s:.2f} s "
        f"vs {decode_s:.2f} s decoding: {speedup:.0f}x faster (target >= 20x: {verdict})"
    )
    return 0 if speedup >= 20 and summary.imported_runs == n else 1


if __name__ == "__main__":
    sys.exit(main())
