"""``import_sources``: device files and app exports into a canonical dataset."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.errors import DataError
from analysis.execution import TaskFailed, WorkerPool
from analysis.io.importers import dedupe, replace, runtype, strength_apps
from analysis.io.importers.activity import Activity, NotAnActivity, summarise
from analysis.io.importers.detect import DEVICE_KINDS, Source, collect_sources, normalise_kind
from analysis.io.importers.fit import read_fit
from analysis.io.importers.garmin_csv import read_garmin_csv
from analysis.io.importers.gpx import MAX_RUNNING_SPEED_M_S, read_gpx
from analysis.io.importers.replace import FilesRead
from analysis.io.importers.store import (
    CsvTable,
    format_numbers,
    is_stream_name,
    own_stream,
    same_stream,
    stream_cell,
    stream_path,
    write_stream,
)
from analysis.io.importers.strava import read_strava_csv
from analysis.io.importers.summary import ImportSummary
from analysis.io.importers.tcx import read_tcx
from analysis.io.layout import refuse_partitioned
from analysis.io.load import load_dataset
from analysis.io.transaction import Transaction, dataset_lock, recover
from analysis.schema import MAX_PACE_S_PER_KM, MIN_PACE_S_PER_KM, RUNNERS, RUNS, is_runner_id
from analysis.strength import unknown_exercises

#: A running activity shorter than this is a button pressed by mistake, not a run.
MIN_RUN_KM = 0.1
MIN_RUN_S = 30.0

#: runs.csv columns written by the importer, canonical ones first.
RUN_COLUMNS = (
    "runner_id",
    "date",
    "distance_km",
    "duration_s",
    "avg_hr_bpm",
    "max_hr_bpm",
    "elev_gain_m",
    "elev_loss_m",
    "temp_c",
    "run_type",
    "vo2max_est_ml_kg_min",
    "cadence_spm",
    "rpe",
    "run_id",
    "activity_file",
    "elapsed_s",
    "avg_power_w",
    "steady_duration_s",
    "steady_avg_hr_bpm",
    "steady_gas_m_min",
    "decoupling_pct",
    "sport",
    "sub_sport",
    "source",
    "source_file",
    "utc_offset_min",
    "run_type_reason",
    "name",
    "device",
    "shoes",
    "strava_id",
)
_DECIMALS = {
    "distance_km": 3,
    "duration_s": 1,
    "elapsed_s": 1,
    "avg_hr_bpm": 1,
    "max_hr_bpm": 0,
    "elev_gain_m": 1,
    "elev_loss_m": 1,
    "temp_c": 1,
    "vo2max_est_ml_kg_min": 1,
    "cadence_spm": 1,
    "rpe": 1,
    "avg_power_w": 1,
    "steady_duration_s": 0,
    "steady_avg_hr_bpm": 1,
    "steady_gas_m_min": 2,
    "decoupling_pct": 2,
    "utc_offset_min": 0,
}
#: Columns an upgrade (a richer source of a run already there) only fills when empty.
_KEEP_ON_UPGRADE = ("runner_id", "run_id", "run_type", "rpe", "shoes")

STRENGTH_COLUMNS = (
    "runner_id",
    "date",
    "exercise",
    "sets",
    "reps",
    "load_kg",
    "duration_s",
    "rpe",
    "set_type",
    "set_number",
    "workout",
    "assistance_kg",
    "app_category",
    "notes",
    "weight_unit",
    "weight_unit_source",
    "source",
    "source_file",
)
_STRENGTH_DECIMALS = {
    "sets": 0,
    "reps": 0,
    "load_kg": 2,
    "duration_s": 1,
    "rpe": 1,
    "set_number": 0,
    "assistance_kg": 2,
}


def _check_arguments(runner_id, weight_unit) -> None:
    if not is_runner_id(runner_id):
        raise DataError(
            f"runner id {runner_id!r} is not valid: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit (it is used in file names)"
        )
    if weight_unit not in (None, "kg", "lb"):
        raise ValueError(
            f"The 'weight_unit' parameter of import_sources must be 'kg', 'lb' or None. "
            f"Got {weight_unit!r} instead."
        )


def _open_dataset(dataset: Path) -> tuple[CsvTable, CsvTable, CsvTable]:
    if dataset.exists() and not dataset.is_dir():
        raise DataError(f"{str(dataset)!r} is a file, not a dataset folder")
    if (dataset / "runners.csv").exists() and (dataset / "runs.csv").exists():
        load_dataset(dataset)  # file-level problems stop here (row problems never do)
    runners = CsvTable.read(dataset / "runners.csv")
    runs = CsvTable.read(dataset / "runs.csv")
    strength = CsvTable.read(dataset / "strength.csv")
    for table, needed in (
        (runners, ("runner_id",)),
        (runs, ("runner_id", "date", "distance_km")),
        (strength, ("runner_id", "date", "exercise")),
    ):
        absent = [c for c in needed if c not in table.header]
        if table.exists and absent:
            raise DataError(
                f"has no {', '.join(absent)} column, so it is not a canonical dataset file "
                "(see DATA_FORMAT.md)",
                file=str(table.path),
            )
    return runners, runs, strength


class _Collector:
    """Runs and strength rows gathered from all sources before writing."""

    def __init__(self, summary: ImportSummary, runner_id: str, include_non_running: bool):
        self.summary = summary
        self.runner_id = runner_id
        self.include_non_running = include_non_running
        self.rows: list[dict] = []
        self.streams: list[pd.DataFrame | None] = []
        self.strength: list[pd.DataFrame] = []
        self.untyped: list[tuple[str, float]] = []
        self.files = FilesRead()

    def finish(self) -> None:
        """Warnings that concern many files at once."""
        if self.untyped:
            speeds = [v for _, v in self.untyped]
            names = ", ".join(label for label, _ in self.untyped[:3])
            more = f" and {len(self.untyped) - 3} more" if len(self.untyped) > 3 else ""
            self.summary.warnings.append(
                f"{len(self.untyped)} files do not say their sport and were imported as runs "
                f"(average moving speed {min(speeds):.1f}-{max(speeds):.1f} km/h): {names}{more}"
            )

    def activity(self, act: Activity, overrides: dict | None = None) -> bool:
        """Summarise one decoded activity and keep it when it is a run."""
        overrides = overrides or {}
        label = act.label
        sport = act.sport
        if overrides.get("sport") and sport in ("", "generic"):
            sport = overrides["sport"]
        if sport not in ("running", "") and not self.include_non_running:
            self.summary.non_running.append((label, act.sport_shown))
            return False
        try:
            row, stream = summarise(act)
        except DataError as exc:
            self.summary.failed.append((label, exc.detail))
            return False
        if sport == "":
            dist, dur = row.get("distance_km", np.nan), row.get("duration_s", np.nan)
            speed = dist * 1000.0 / dur if dur and dur > 0 else np.nan
            if not (np.isfinite(speed) and 0 < speed <= MAX_RUNNING_SPEED_M_S):
                what = (
                    "no distance"
                    if not (np.isfinite(dist) and dist > 0)
                    else f"{speed * 3.6:.0f} km/h"
                )
                self.summary.non_running.append((label, f"unknown sport ({what})"))
                return False
            self.untyped.append((label, speed * 3.6))
        row["sport"] = sport or "running"
        for key, value in overrides.items():
            if (
                key != "sport"
                and value not in ("", None)
                and not (isinstance(value, float) and np.isnan(value))
            ):
                if key == "name" and row.get("name"):
                    continue
                row[key] = value
        row["_label"] = label
        row["_warnings"] = list(act.warnings)
        self.rows.append(row)
        self.streams.append(stream)
        return True

    def csv_rows(self, frame: pd.DataFrame) -> None:
        """Summary rows of an export (no per-second stream)."""
        frame = frame.drop(columns=["device_file"], errors="ignore").rename(
            columns={"label": "_label"}
        )
        records = frame.to_dict("records")
        self.rows.extend(records)
        self.streams.extend([None] * len(records))


def _plausible(rows: pd.DataFrame, summary: ImportSummary) -> np.ndarray:
    """Which collected runs can go into runs.csv (vectorised checks).

    A run needs a distance and a duration; a running activity must be at
    least :data:`MIN_RUN_KM` and :data:`MIN_RUN_S` and have a running pace
    (the loader's limits, so that nothing imported is quarantined on
    loading). An optional value outside its canonical range is left empty
    (with a warning) rather than losing the run.
    """
    label = rows["_label"].astype(str)
    dist = pd.to_numeric(rows["distance_km"], errors="coerce")
    dur = pd.to_numeric(rows["duration_s"], errors="coerce")
    empty = ~(dist > 0) | ~(dur > 0)
    running = (
        rows["sport"].fillna("running").eq("running")
        if "sport" in rows
        else pd.Series(True, index=rows.index)
    )
    short = running & ~empty & ((dist < MIN_RUN_KM) | (dur < MIN_RUN_S))
    pace = dur / dist
    slow_fast = running & ~empty & ~short & ~pace.between(MIN_PACE_S_PER_KM, MAX_PACE_S_PER_KM)

    def whole(x):
        return x.fillna(0).round().astype("int64").astype(str)

    reasons = [
        (
            empty,
            "no distance or duration ("
            + dist.round(3).astype(str)
            + " km, "
            + dur.round().astype(str)
            + " s)",
        ),
        (short, "too short to be a run (" + whole(dist * 1000) + " m in " + whole(dur) + " s)"),
        (
            slow_fast,
            "pace "
            + whole(pace // 60)
            + ":"
            + whole(pace % 60).str.zfill(2)
            + "/km is not a running pace",
        ),
    ]
    for mask, why in reasons:
        summary.skipped.extend(zip(label[mask], why[mask], strict=True))
    keep = ~(empty | short | slow_fast)
    for col in RUNS:
        if col.kind != "float" or col.required or col.name not in rows:
            continue
        v = pd.to_numeric(rows[col.name], errors="coerce")
        out = (v < col.low) | (v > col.high)
        out &= keep
        if out.any():
            summary.warnings.extend(
                f"{lab}: {col.name} {val:g} is outside {col.low:g}-{col.high:g}; left empty"
                for lab, val in zip(label[out], v[out], strict=True)
            )
            rows.loc[out, col.name] = np.nan
    return keep.to_numpy()


def _read_device(path: Path, kind: str) -> list[Activity]:
    return {"fit": read_fit, "gpx": read_gpx, "tcx": read_tcx}[kind](path)


def _device_kind(path: Path) -> str | None:
    lower = path.name.lower()
    for kind, exts in DEVICE_KINDS.items():
        if lower.endswith(exts):
            return kind
    return None


def _device_file(job: tuple[Source, bool]) -> tuple:
    """Decode and summarise one device file (runs in a worker process when asked).

    Returns what the file adds: rows, streams, untyped activities and the
    summary entries, to be merged in file order.
    """
    src, include_non_running = job
    summary = ImportSummary(dataset=Path("."), runner_id="")
    col = _Collector(summary, "", include_non_running)
    label = src.label or str(src.path)
    try:
        for act in _read_device(src.path, src.kind):
            act.display = src.label
            col.activity(act)
    except DataError as exc:
        summary.failed.append((label, exc.detail))
    except NotAnActivity as exc:
        summary.skipped.append((label, str(exc)))
    except Exception as exc:  # a decoder crash on one odd file must not stop the rest
        summary.failed.append((label, f"could not be read ({type(exc).__name__}: {exc})"))
    if summary.failed:  # wholly or in part: --replace keeps what came from it before
        col.files.failed(src.path.name)
    else:
        col.files.read(src.path.name, src.kind)
    return (
        col.rows,
        col.streams,
        col.untyped,
        summary.non_running,
        summary.skipped,
        summary.failed,
        summary.warnings,
        col.files,
    )


def _merge(col: _Collector, result: tuple) -> None:
    rows, stream_list, untyped, non_running, skipped, failed, warnings, files = result
    col.files.merge(files)
    col.rows.extend(rows)
    col.streams.extend(stream_list)
    col.untyped.extend(untyped)
    col.summary.non_running.extend(non_running)
    col.summary.skipped.extend(skipped)
    col.summary.failed.extend(failed)
    col.summary.warnings.extend(warnings)


def _device_files(devices: list[Source], col: _Collector, workers: int, progress: bool) -> None:
    jobs = [(src, col.include_non_running) for src in devices]
    bar = tqdm(total=len(jobs), desc="device files", unit="file", disable=not (progress and jobs))
    if workers > 1 and len(jobs) > 1:
        results = _decode_in_pool(jobs, workers, bar)
        for i in range(len(jobs)):
            _merge(col, results[i])
    else:
        for job in jobs:
            _merge(col, _device_file(job))
            bar.update()
    bar.close()


def _decode_in_pool(jobs: list, workers: int, bar) -> dict[int, tuple]:
    """Decode device files in worker processes; a worker that dies fails only its file.

    A worker killed while decoding (the out-of-memory killer, a crash in a
    decoder's C code), even while it sends its result back, loses only the
    file it held: that file is decoded once more in a fresh worker, and if it
    kills that one too it is reported as failed; the rest are imported.
    """
    results: dict[int, tuple] = {}
    pool = WorkerPool(workers)
    try:
        for (i, job), got in pool.map_unordered(_decode_one, list(enumerate(jobs))):
            if isinstance(got, TaskFailed):
                src = job[0]
                reason = f"the process decoding it died ({got.reason})"
                unread = FilesRead(unreadable={src.path.name})
                got = ([], [], [], [], [], [(src.label or str(src.path), reason)], [], unread)
            results[i] = got
            bar.update()
    finally:
        pool.close()
    return results


def _decode_one(task: tuple) -> tuple:
    return _device_file(task[1])


def _import_file(src: Source, col: _Collector, weight_unit, progress: bool) -> None:
    if src.kind == "garmin_csv":
        _csv_runs(read_garmin_csv(src.path), col, progress)
        col.files.read(src.path.name, src.kind)
    elif src.kind == "strava_csv":
        _csv_runs(read_strava_csv(src.path), col, progress)
        col.files.read(src.path.name, src.kind)
    else:
        if src.kind == "strong":
            got = strength_apps.read_strong(src.path, weight_unit=weight_unit)
        elif src.kind == "hevy":
            got = strength_apps.read_hevy(src.path)
        elif src.kind == "strength_csv":
            got = strength_apps.read_strength_csv(src.path, weight_unit=weight_unit)
        else:
            got = strength_apps.read_fitnotes(src.path)
        col.summary.warnings.extend(got.warnings)
        col.summary.weight_units.extend(got.unit_notes)
        col.strength.append(got.rows)


def _csv_runs(got, col: _Collector, progress: bool) -> None:
    col.summary.warnings.extend(got.warnings)
    if col.include_non_running and got.others is not None:
        col.csv_rows(got.others)
    else:
        col.summary.non_running.extend(got.non_running)
    from_file = dict(got.device_files)
    for path, i in tqdm(
        got.device_files,
        desc="activity files",
        unit="run",
        leave=False,
        disable=not (progress and from_file),
    ):
        row = got.rows.iloc[i]
        overrides = {
            "sport": "running",
            "name": row.get("name", ""),
            "rpe": row.get("rpe"),
            "strava_id": row.get("strava_id", ""),
            "shoes": row.get("shoes", ""),
        }
        kind = _device_kind(path)
        try:
            acts = _read_device(path, kind) if kind else []
        except (DataError, NotAnActivity) as exc:
            col.summary.warnings.append(
                f"{row['label']}: its activity file could not be read ({exc}); the CSV summary was imported"
            )
            acts = []
        failed_before = len(col.summary.failed)
        if acts:
            for act in acts:
                act.display = f"{row['label']} ({path.parent.name}/{path.name})"
                col.activity(act, overrides)
        else:
            from_file.pop(path)
        if acts and kind and len(col.summary.failed) == failed_before:
            col.files.read(path.name, kind)
        else:
            col.files.failed(path.name)
    imported_from_file = np.zeros(len(got.rows), dtype=bool)
    imported_from_file[list(from_file.values())] = True
    col.csv_rows(got.rows.loc[~imported_from_file])


def _run_ids(runner_id: str, dates: pd.Series, taken: set[str]) -> list[str]:
    base = runner_id + "-" + dates.str.slice(0, 16).str.replace(r"[-:]", "", regex=True)
    out = []
    for b in base:
        rid, k = b, 1
        while rid in taken:
            k += 1
            rid = f"{b}-{k}"
        taken.add(rid)
        out.append(rid)
    return out


def _text_rows(rows: pd.DataFrame, columns, decimals: dict) -> pd.DataFrame:
    out = {}
    for c in columns:
        if c not in rows:
            continue
        if c in decimals:
            out[c] = format_numbers(rows[c], decimals[c])
        else:
            out[c] = rows[c].fillna("").astype(str)
    return pd.DataFrame(out, index=rows.index)


def _add_columns(table: CsvTable, columns: list[str], summary: ImportSummary) -> None:
    """Widen the header for new columns, or warn why it could not be."""
    not_added = table.ensure_columns(columns)
    if not_added:
        summary.warnings.append(
            f"{table.path.name} has rows wider than its header; new columns "
            f"({', '.join(not_added)}) were not added"
        )


def _runner_hr(runners: CsvTable, runner_id: str) -> tuple[float, float]:
    """The runner's HRmax and HRrest from runners.csv (NaN when absent or implausible)."""
    ids = runners.column("runner_id").str.strip()
    out = []
    for name in ("hr_max_bpm", "hr_rest_bpm"):
        value = float("nan")
        if name in runners.header and (ids == runner_id).any():
            text = runners.column(name)[(ids == runner_id).to_numpy()].iloc[0]
            number = pd.to_numeric(pd.Series([text.strip()]), errors="coerce").iloc[0]
            spec = next(c for c in RUNNERS if c.name == name)
            if np.isfinite(number) and spec.low <= number <= spec.high:
                value = float(number)
        out.append(value)
    return out[0], out[1]


def _type_runs(new: pd.DataFrame, hr: tuple[float, float]) -> None:
    """``run_type`` and ``run_type_reason`` from the streams (a given run type is kept)."""
    types, reasons = runtype.assign_run_types(new, hr_max_bpm=hr[0], hr_rest_bpm=hr[1])
    given = (
        new["run_type"].fillna("").astype(str).str.strip()
        if "run_type" in new
        else pd.Series("", index=new.index)
    )
    mine = given == ""
    new["run_type"] = given.where(~mine, types)
    new["run_type_reason"] = reasons.where(mine, "")


def _write_runs(
    col: _Collector,
    runs: CsvTable,
    dataset: Path,
    runner_id: str,
    tx=None,
    hr: tuple[float, float] = (float("nan"), float("nan")),
    replace_runs: bool = False,
) -> None:
    summary = col.summary
    if not col.rows and not replace_runs:
        return
    new = pd.DataFrame(col.rows, columns=None if col.rows else ["date", "distance_km", "source"])
    new["runner_id"] = runner_id
    if "_warnings" not in new:
        new["_warnings"] = None
    if "_label" not in new:
        new["_label"] = ""
    streams = list(col.streams)
    ok = _plausible(new, summary) if len(new) else np.zeros(0, dtype=bool)
    for label, notes in zip(new.loc[ok, "_label"], new.loc[ok, "_warnings"], strict=True):
        if isinstance(notes, list):
            summary.warnings.extend(f"{label}: {m}" for m in notes)
    new = new.loc[ok].drop(columns=["_label", "_warnings"]).reset_index(drop=True)
    streams = [s for s, k in zip(streams, ok, strict=True) if k]
    if new.empty and not replace_runs:
        return
    drop = dedupe.dedupe_batch(new)
    summary.duplicate_runs += int(drop.sum())
    keep_idx = np.flatnonzero(~drop)
    new = new.iloc[keep_idx].reset_index(drop=True)
    streams = [streams[k] for k in keep_idx]
    if len(new):
        _type_runs(new, hr)

    old = runs.frame(_OLD_RUN_COLUMNS)
    taken = set(old["run_id"][old["run_id"] != ""])
    taken |= set(_run_ids(runner_id, old["date"][old["run_id"] == ""], set()))
    given = set(new.columns) | {"run_id", "activity_file"}  # both set below
    _add_columns(runs, [c for c in RUN_COLUMNS if c in given], summary)
    removed = np.zeros(len(old), dtype=bool)
    unlinked: list[Path] = []
    if replace_runs:
        new, streams, targeted, removed, unlinked = _replace_runs(
            col, runs, old, new, streams, dataset, runner_id, tx, taken
        )
        # the rows being replaced are not there for the usual matching below
        old = old.assign(runner_id=old["runner_id"].where(~targeted, ""))
    if len(new):
        _add_runs(col, runs, old, new, streams, dataset, runner_id, tx, taken, replace_runs)
    if removed.any():
        runs.remove(removed.tolist())
    _remove_streams(runs, unlinked, tx)


#: runs.csv columns read before an import writes (matching, replacing).
_OLD_RUN_COLUMNS = (
    "runner_id",
    "date",
    "distance_km",
    "source",
    "activity_file",
    "run_id",
    "source_file",
    "sport",
)


def _stream_cells(new: pd.DataFrame, streams: list, runner_id: str, summary) -> np.ndarray:
    """``activity_file`` of each row whose stream can be cached; which can."""
    has_stream = np.array([s is not None for s in streams], dtype=bool)
    nameable = new["run_id"].map(is_stream_name).to_numpy(dtype=bool)
    for run_id in new.loc[has_stream & ~nameable, "run_id"]:
        summary.warnings.append(
            f"run_id '{_shown(run_id)}' cannot name a file, so its per-second stream was not "
            "cached (runs.csv keeps the run)"
        )
    has_stream &= nameable
    new["activity_file"] = [
        stream_cell(runner_id, r) if h else ""
        for r, h in zip(new["run_id"], has_stream, strict=True)
    ]
    return has_stream


def _shown(text) -> str:
    """A cell as the summary prints it: control characters escaped, on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _replace_runs(col, runs, old, new, streams, dataset, runner_id, tx, taken):
    """``--replace``: rewrite or remove the rows that came from the files read.

    Returns the new runs not replacing a row (for the usual matching), their
    streams, which old rows were targets, which to remove, and the stream
    files that may go.
    """
    summary = col.summary
    targeted = replace.targets(
        old, runner_id, col.files, include_non_running=col.include_non_running
    )
    for name, n in replace.kept_unreadable(old, runner_id, col.files):
        summary.warnings.append(
            f"{_shown(name)} could not be read (or only in part), so its {n} run"
            f"{'s' if n != 1 else ''} in runs.csv {'were' if n != 1 else 'was'} kept (--replace)"
        )
    paired = replace.pair(new, old, targeted)
    hit = np.flatnonzero(paired >= 0)
    unlinked: list[Path] = []
    if hit.size:
        mine = new.iloc[hit].reset_index(drop=True)
        mine_streams = [streams[k] for k in hit]
        mine["run_id"] = [
            old.at[int(j), "run_id"] or _run_ids(runner_id, new.loc[[k], "date"], taken)[0]
            for k, j in zip(hit, paired[hit], strict=True)
        ]
        has_stream = _stream_cells(mine, mine_streams, runner_id, summary)
        columns = [c for c in RUN_COLUMNS if c in mine.columns and c in runs.header]
        text = _text_rows(mine, columns, _DECIMALS)
        width = len(runs.header)
        for k, j in enumerate(paired[hit]):
            j = int(j)
            record = runs.records[j] + [""] * (width - len(runs.records[j]))
            before = dict(zip(runs.header, record, strict=False))
            values = replace.replacement(before, text.loc[k].to_dict())
            if not before.get("run_id", ""):
                values["run_id"] = text.at[k, "run_id"]
            if before.get("activity_file", "") != text.at[k, "activity_file"]:
                values["activity_file"] = text.at[k, "activity_file"]
            changed = {c for c in values if c != "activity_file"}
            own = own_stream(dataset, runner_id, old.at[j, "run_id"], old.at[j, "activity_file"])
            if has_stream[k]:
                path = stream_path(dataset, runner_id, mine.at[k, "run_id"])
                if own != path or not same_stream(path, mine_streams[k]):
                    write_stream(path, mine_streams[k], tx)
                    changed.add("stream")
            if own is not None and (
                not has_stream[k] or own.name != f"{mine.at[k, 'run_id']}.parquet"
            ):
                unlinked.append(own)
                changed.add("stream")
            if values:
                runs.update(j, values)
            if changed or values:
                summary.replaced_runs += 1
                summary.replaced_columns.update(dict.fromkeys(changed or ["activity_file"], 1))
            else:
                summary.unchanged_runs += 1
    removed = targeted.copy()
    removed[paired[hit]] = False
    for j in np.flatnonzero(removed):
        summary.removed_runs.append(
            (
                _shown(old.at[j, "run_id"]),
                _shown(old.at[j, "date"]),
                _shown(old.at[j, "source_file"]),
            )
        )
        own = own_stream(dataset, runner_id, old.at[j, "run_id"], old.at[j, "activity_file"])
        if own is not None:
            unlinked.append(own)
    rest = np.flatnonzero(paired < 0)
    return (
        new.iloc[rest].reset_index(drop=True),
        [streams[k] for k in rest],
        targeted,
        removed,
        unlinked,
    )


def _remove_streams(runs: CsvTable, unlinked: list[Path], tx) -> None:
    """Stage the removal of stream files no row of runs.csv refers to any more."""
    if not unlinked:
        return
    referenced = set(runs.column("activity_file"))
    if "activity_file" in runs.header:
        j = runs.header.index("activity_file")
        referenced |= {r[j] for r in runs.appended if j < len(r)}
    for path in unlinked:
        cell = f"activities/{path.parent.name}/{path.name}"
        if cell not in referenced:
            tx.stage_removal(path)


def _add_runs(col, runs, old, new, streams, dataset, runner_id, tx, taken, replace_runs) -> None:
    """New runs: appended, a richer source of a run upgrading its row, or duplicates skipped."""
    summary = col.summary
    match = dedupe.match_runs(new, old)
    old_prio = dedupe.existing_priority(old["source"], old["activity_file"])
    new_prio = new["source"].map(dedupe.SOURCE_PRIORITY).fillna(0).to_numpy()

    fresh = match < 0
    upgrade = np.zeros(len(new), dtype=bool)
    seen_old: set[int] = set()
    for k in np.flatnonzero(~fresh):
        j = int(match[k])
        if new_prio[k] > old_prio[j] and j not in seen_old:
            upgrade[k] = True
            seen_old.add(j)
    summary.duplicate_runs += int((~fresh & ~upgrade).sum())
    if replace_runs:
        _say_other_files(col, old, match, ~fresh & ~upgrade)

    _warn_other_runners(new.loc[fresh], runs, runner_id, summary)
    ids = pd.Series("", index=new.index, dtype="str")
    ids[fresh] = _run_ids(runner_id, new.loc[fresh, "date"], taken)
    for k in np.flatnonzero(upgrade):
        j = int(match[k])
        ids[k] = old["run_id"][j] or _run_ids(runner_id, new.loc[[k], "date"], taken)[0]
    new["run_id"] = ids
    write_mask = fresh | upgrade
    has_stream = _stream_cells(
        new,
        [s if w else None for s, w in zip(streams, write_mask, strict=True)],
        runner_id,
        summary,
    )
    for k in np.flatnonzero(write_mask & has_stream):
        write_stream(stream_path(dataset, runner_id, new.at[k, "run_id"]), streams[k], tx)

    columns = [c for c in RUN_COLUMNS if c in new.columns]
    text = _text_rows(new, columns, _DECIMALS)
    for k in np.flatnonzero(upgrade):
        j = int(match[k])
        existing = {c: runs.column(c)[j] for c in _KEEP_ON_UPGRADE if c in runs.header}
        typed_by_us = "run_type_reason" in runs.header and runs.column("run_type_reason")[j].strip()
        if typed_by_us:
            existing.pop("run_type", None)  # typed by an import: the richer source retypes it
        values = {
            c: v
            for c, v in text.loc[k].items()
            if c in runs.header and v != "" and not existing.get(c, "").strip()
        }
        if existing.get("run_type", "").strip():
            values.pop("run_type_reason", None)  # the user's own run type stays unexplained
        if not old["run_id"][j]:
            values["run_id"] = text.at[k, "run_id"]
        runs.update(j, values)
    runs.append(text.loc[fresh])
    summary.run_types.update(new.loc[fresh, "run_type"])
    summary.untyped_reasons.update(
        new.loc[fresh & (new["run_type"] == "other"), "run_type_reason"].replace("", "given")
    )
    summary.imported_runs += int(fresh.sum())
    summary.upgraded_runs += int(upgrade.sum())
    summary.imported_km += float(new.loc[fresh, "distance_km"].sum())
    summary.runs_with_hr += (
        int(new.loc[fresh, "avg_hr_bpm"].notna().sum()) if "avg_hr_bpm" in new else 0
    )
    summary.runs_with_stream += int((has_stream & write_mask).sum())


def _say_other_files(
    col: _Collector, old: pd.DataFrame, match: np.ndarray, dup: np.ndarray
) -> None:
    """With --replace: runs of these files already in runs.csv from a file of another name."""
    files = old["source_file"].to_numpy()[match[dup]] if dup.any() else []
    elsewhere = sorted({f for f in files if f not in col.files.kinds})
    if not elsewhere:
        return
    n = sum(f in elsewhere for f in files)
    names = ", ".join(_shown(f) if f else "(typed by hand)" for f in elsewhere[:3])
    more = f" and {len(elsewhere) - 3} more" if len(elsewhere) > 3 else ""
    col.summary.warnings.append(
        f"{n} run{'s' if n != 1 else ''} of these files {'are' if n != 1 else 'is'} already in "
        f"runs.csv from other files ({names}{more}): kept as they are; --replace replaces only "
        "rows whose source_file is the name of a file imported (a re-export under a new name "
        "is a duplicate)"
    )


def _warn_other_runners(
    new: pd.DataFrame, runs: CsvTable, runner_id: str, summary: ImportSummary
) -> None:
    """Warn when new runs are already in the dataset under another runner id.

    The same start, distance and file name as another runner's run: the same
    files imported twice under two ids (a squad running together shares start
    and distance, not file names). Imported anyway; the warning names the runner.
    """
    if new.empty or "source_file" not in new or "source_file" not in runs.header:
        return
    old = runs.frame(("runner_id", "date", "distance_km", "source_file"))
    owner = old["runner_id"].str.strip()
    theirs = old.loc[(owner != runner_id) & (owner != "")].reset_index(drop=True)
    if theirs.empty:
        return
    mine = theirs.assign(runner_id=runner_id)  # match_runs pairs runs of one runner
    fresh = new.reset_index(drop=True)
    match = dedupe.match_runs(fresh, mine)
    hit = np.flatnonzero(match >= 0)
    same = [
        k for k in hit if str(fresh.at[k, "source_file"]) == theirs.at[int(match[k]), "source_file"]
    ]
    if not same:
        return
    counts = pd.Series([theirs.at[int(match[k]), "runner_id"].strip() for k in same]).value_counts()
    for other, n in counts.items():
        summary.warnings.append(
            f"{n} of these runs are already in the dataset for runner {other} (same start, "
            f"distance and file name): the same files imported under a second runner id? "
            "Check the --runner given"
        )


def _strength_key(frame: pd.DataFrame) -> pd.Series:
    """runner | start (to the minute) | exercise | set number | reps: one set.

    The load is left out on purpose: the same set imported again with the
    other weight unit is still the same set.
    """

    def whole(values) -> pd.Series:
        # formatted, not cast to int64: a Reps cell of inf crashed the import,
        # and inf is stored empty, so it keys as empty (+ 0.0 turns -0 into 0)
        n = pd.to_numeric(values, errors="coerce").astype(float).round(0) + 0.0
        finite = np.isfinite(n.to_numpy())
        return pd.Series(
            np.where(finite, n.map(lambda v: f"{v:.0f}"), ""), index=frame.index, dtype=object
        )

    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    day = dates.dt.strftime("%Y-%m-%dT%H:%M").fillna(frame["date"].astype(str))
    return (
        frame["runner_id"].astype(str)
        + "|"
        + day
        + "|"
        + frame["exercise"].astype(str).str.strip().str.lower()
        + "|"
        + whole(frame["set_number"])
        + "|"
        + whole(frame["reps"])
    )


def _write_strength(
    col: _Collector, strength: CsvTable, runner_id: str, replace: bool = False
) -> None:
    summary = col.summary
    frames = [f for f in col.strength if len(f)]
    if not frames:
        return
    new = pd.concat(frames, ignore_index=True)
    new["runner_id"] = runner_id
    if replace:
        # the runner's rows that came from the same files (a corrected unit, a
        # re-export) go, and the new reading takes their place
        files = set(new["source_file"].astype(str))
        mine = strength.column("runner_id").str.strip() == runner_id
        same = strength.column("source_file").isin(files)
        summary.replaced_strength_rows += strength.remove((mine & same).tolist())
    key = _strength_key(new)
    dup_batch = key.duplicated().to_numpy()
    old = strength.frame(("runner_id", "date", "exercise", "set_number", "reps"))
    dup_old = (
        key.isin(set(_strength_key(old))).to_numpy() if len(old) else np.zeros(len(new), dtype=bool)
    )
    dup = dup_batch | dup_old
    summary.duplicate_strength_rows += int(dup.sum())
    new = new.loc[~dup]
    columns = [c for c in STRENGTH_COLUMNS if c in new.columns]
    text = _text_rows(new, columns, _STRENGTH_DECIMALS)
    _add_columns(strength, columns, summary)
    strength.append(text)
    summary.imported_strength_rows += len(new)
    known = set(summary.unknown_exercises)
    summary.unknown_exercises.extend(
        n for n in unknown_exercises(new["exercise"]) if n not in known
    )


def _write_runner(
    runners: CsvTable, runner_id: str, name: str | None, summary: ImportSummary
) -> None:
    ids = runners.column("runner_id").str.strip()
    if (ids == runner_id).any():
        if name:
            j = int(np.flatnonzero((ids == runner_id).to_numpy())[0])
            current = runners.column("name")[j] if "name" in runners.header else ""
            if not current.strip():
                runners.ensure_columns(["name"])
                runners.update(j, {"name": name})
            elif current.strip() != name:
                summary.warnings.append(
                    f"runners.csv already names {runner_id} {current.strip()!r}; kept (not {name!r})"
                )
        return
    runners.ensure_columns(["runner_id", "name"])
    runners.append(pd.DataFrame({"runner_id": [runner_id], "name": [name or ""]}))
    summary.created_runner = True


def import_sources(
    dataset_dir,
    runner_id: str,
    sources,
    *,
    name: str | None = None,
    kind: str | None = None,
    weight_unit: str | None = None,
    include_non_running: bool = False,
    progress: bool = True,
    workers: int = 1,
    replace: bool = False,
) -> ImportSummary:
    """Import device files and app exports of one runner into a dataset.

    Parameters
    ----------
    dataset_dir : str or Path
        The dataset folder; created when absent, appended to when present.
    runner_id : str
        The runner (added to runners.csv when new).
    sources : iterable of str or Path
        Files and folders (recursed): ``.fit``/``.gpx``/``.tcx`` (optionally
        ``.gz``), Garmin Connect or Strava activities CSV, a Strava export
        folder, Strong / Hevy / FitNotes CSV.
    name : str, optional
        The runner's name, for a new runner (or one with no name yet).
    kind : str, optional
        Force the kind of every file: ``fit``, ``gpx``, ``tcx``,
        ``garmin_csv``, ``strava_csv``, ``strong``, ``hevy``, ``fitnotes``.
    weight_unit : {"kg", "lb"}, optional
        Unit of the weights of exports that do not say theirs (Strong, a
        generic strength CSV without a unit); when None it is inferred from
        the loads (:func:`analysis.io.importers.strength_apps.infer_weight_unit`),
        kg when they are ambiguous, and the summary says which and why.
    include_non_running : bool
        Also import cycling, walking, swimming... (with their ``sport``).
    progress : bool
        Show a progress bar over the files.
    workers : int
        Processes decoding device files in parallel (decoding is nearly all
        of the time; 1 = in this process). The result is the same for any
        number.
    replace : bool
        The runner's rows that came from the files read are replaced by this
        reading instead of the new rows being skipped as duplicates (a
        corrected file or ``weight_unit``, a re-export). Strength logs: the
        rows with a new row's ``source_file``. Runs
        (:mod:`analysis.io.importers.replace`): each row of a file read is
        rewritten in place from its new reading (its ``run_id``, a run type
        the user set and the columns the import does not write are kept) or
        removed with its stream when the file no longer holds it; rows of
        other files, of other runners and typed by hand are not touched.
        The summary counts runs replaced, unchanged, new and removed, and
        which columns changed.

    Returns
    -------
    ImportSummary
        Its ``ok`` is False when a source failed, and also when no
        importable file was found at all (an empty folder, only files of
        other types): that is almost always a wrong path, so the command
        line exits 1 and the summary says "no importable files found in
        ...". Files that were read but gave nothing new (all duplicates,
        all other sports) are ok.

    Raises
    ------
    DataError
        The runner id is invalid or the dataset itself cannot be appended
        to (a file where the folder should be, a runs.csv that is not UTF-8
        or not a canonical file). Problems with source files never raise:
        they are listed in the summary.

    Notes
    -----
    The same run is recognised (start within 60 s, distance within 2 %;
    :mod:`analysis.io.importers.dedupe`), so importing again adds nothing,
    and a run in both a Strava CSV and a FIT file is kept once, from the
    FIT file. Each file is written through a temporary file and a rename.

    Nothing is written unless the import adds or upgrades a run or adds a
    strength set: a failed, empty or all-duplicate import creates no
    dataset folder and no runner row, and leaves an existing dataset's
    files byte for byte as they were (a ``name`` for an existing runner
    is then not recorded either).
    """
    started = time.perf_counter()
    _check_arguments(runner_id, weight_unit)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(
            f"The 'workers' parameter of import_sources must be a positive integer. Got {workers!r} instead."
        )
    kind = normalise_kind(kind)
    dataset = Path(dataset_dir)
    refuse_partitioned(dataset, "import")
    with dataset_lock(dataset):
        recovered = recover(dataset)
        summary = _import_locked(
            dataset,
            runner_id,
            sources,
            name,
            kind,
            weight_unit,
            include_non_running,
            progress,
            workers,
            replace,
        )
        summary.warnings[:0] = [f"{dataset}: {line}" for line in recovered]
    summary.seconds = time.perf_counter() - started
    return summary


def _import_locked(
    dataset: Path,
    runner_id,
    sources,
    name,
    kind,
    weight_unit,
    include_non_running,
    progress,
    workers,
    replace=False,
) -> ImportSummary:
    """The read-modify-write of :func:`import_sources`, under the dataset's lock."""
    runners, runs, strength = _open_dataset(dataset)
    if isinstance(sources, (str, Path)):
        sources = [sources]
    sources = list(sources)
    summary = ImportSummary(dataset=dataset, runner_id=runner_id, sources=[str(s) for s in sources])
    files, failed = collect_sources(sources, kind=kind, exclude=dataset)
    summary.failed.extend(failed)
    summary.files_seen = len(files) + len(failed)
    col = _Collector(summary, runner_id, include_non_running)
    # device files first (in parallel when asked), then the exports, each in
    # the order given: the result does not depend on the number of workers
    _device_files([s for s in files if s.kind in DEVICE_KINDS], col, workers, progress)
    exports = [s for s in files if s.kind not in DEVICE_KINDS]
    for src in tqdm(exports, desc="exports", unit="file", disable=not (progress and exports)):
        try:
            _import_file(src, col, weight_unit, progress)
        except DataError as exc:
            summary.failed.append((src.label or str(src.path), exc.detail))
            col.files.failed(src.path.name)
        except NotAnActivity as exc:
            summary.skipped.append((src.label or str(src.path), str(exc)))

    col.finish()
    summary.replace = replace
    tx = Transaction(dataset)
    try:
        _write_runs(col, runs, dataset, runner_id, tx, _runner_hr(runners, runner_id), replace)
        _write_strength(col, strength, runner_id, replace)
        if summary.changed:
            _write_runner(runners, runner_id, name, summary)
            runners.write(tx)
            if runs.exists or runs.appended or not (dataset / "runs.csv").exists():
                if not runs.header:
                    runs.ensure_columns(RUN_COLUMNS[:4] + ("run_id", "activity_file"))
                runs.write(tx)
            if strength.appended or strength.rewrite:
                strength.write(tx)
            tx.commit()
        else:
            tx.abort()
    except BaseException:
        tx.abort()
        raise
    return summary
