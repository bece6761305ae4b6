"""What an import did, as a dataclass and as text for the command line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: Files listed one by one under each heading before the rest are counted.
MAX_LISTED = 25


@dataclass
class ImportSummary:
    """Outcome of :func:`analysis.io.importers.import_sources`.

    Attributes
    ----------
    dataset : Path
        The dataset folder written.
    runner_id : str
    created_runner : bool
        True when the runner was added to runners.csv by this import.
    imported_runs : int
        New rows in runs.csv.
    imported_km : float
        Their total distance [km].
    runs_with_hr : int
        How many of them have an average heart rate.
    runs_with_stream : int
        How many have a per-second stream cached under ``activities/``.
    upgraded_runs : int
        Existing rows replaced by a richer source of the same run (a device
        file for a CSV summary row); their run_id and own columns are kept.
    duplicate_runs : int
        Runs already in the dataset (or twice in the sources), skipped.
    imported_strength_rows, duplicate_strength_rows : int
        Set rows added to strength.csv, and skipped as already there.
    replaced_strength_rows : int
        With ``replace``: the runner's earlier rows from the same source files,
        removed before the new ones were added.
    replace : bool
        True when the import was asked to replace (``--replace``).
    replaced_runs : int
        With ``replace``: runs of the files imported that were in runs.csv
        and got new values (the same run, its row rewritten in place).
    unchanged_runs : int
        With ``replace``: runs of those files read again with the same values.
    removed_runs : list of (str, str, str)
        With ``replace``: (run_id, date, source_file) of runs that were in
        runs.csv from those files and are not in them any more (removed with
        their streams).
    replaced_columns : Counter
        For the replaced runs: how many runs each column changed on
        (``stream`` for the per-second stream).
    run_types : Counter
        Run types of the new runs (assigned from their streams,
        :mod:`analysis.io.importers.runtype`).
    untyped_reasons : Counter
        Why new runs were typed ``other`` (the ``run_type_reason`` column).
    weight_units : list of str
        How the weight unit of each export that does not say it was settled
        (given, inferred with its evidence, or ambiguous); never cut short.
    non_running : list of (str, str)
        (file or row, sport) of activities skipped as not running.
    skipped : list of (str, str)
        (file or row, reason) skipped for another reason: not an activity
        (a FIT monitoring file), too short, implausible pace.
    failed : list of (str, str)
        (file, reason) that could not be read at all.
    warnings : list of str
        Things imported with a caveat ("file: what").
    unknown_exercises : list of str
        Exercise names with no category (kept, categorised "other").
    files_seen : int
        Source files considered.
    sources : list of str
        The files and folders given (named when none held an importable file).
    seconds : float
        Wall time of the import.
    """

    dataset: Path
    runner_id: str
    created_runner: bool = False
    imported_runs: int = 0
    imported_km: float = 0.0
    runs_with_hr: int = 0
    runs_with_stream: int = 0
    upgraded_runs: int = 0
    duplicate_runs: int = 0
    imported_strength_rows: int = 0
    duplicate_strength_rows: int = 0
    replaced_strength_rows: int = 0
    replace: bool = False
    replaced_runs: int = 0
    unchanged_runs: int = 0
    removed_runs: list = field(default_factory=list)
    replaced_columns: Counter = field(default_factory=Counter)
    run_types: Counter = field(default_factory=Counter)
    untyped_reasons: Counter = field(default_factory=Counter)
    weight_units: list = field(default_factory=list)
    non_running: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    unknown_exercises: list = field(default_factory=list)
    files_seen: int = 0
    sources: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def nothing_found(self) -> bool:
        """True when the sources held no file of a kind runeco imports."""
        return self.files_seen == len(self.failed)

    @property
    def changed(self) -> bool:
        """True when the import added or upgraded a run or added a strength set."""
        return bool(
            self.imported_runs
            or self.upgraded_runs
            or self.imported_strength_rows
            or self.replaced_strength_rows
            or self.replaced_runs
            or self.removed_runs
        )

    @property
    def ok(self) -> bool:
        """True when no file failed and at least one importable file was found."""
        return not self.failed and self.files_seen > 0

    def format(self) -> str:
        """A readable multi-line summary (what the CLI prints)."""
        done = "Imported into" if self.changed else "Nothing imported into"
        lines = [
            f"{done} {self.dataset} for runner {self.runner_id}"
            f"{' (new runner)' if self.created_runner else ''}: {self.files_seen} source files "
            f"in {self.seconds:.1f} s"
        ]
        if self.nothing_found:
            where = ", ".join(self.sources) if self.sources else "the sources given"
            lines.append(
                f"  no importable files found in {where} (runeco imports .fit, .gpx, .tcx, "
                "optionally .gz, and Garmin Connect, Strava, Strong, Hevy or FitNotes .csv exports)"
            )
        if not self.changed:
            lines.append(f"  nothing new, so {self.dataset} was not written")
        hr_share = f", {self.runs_with_hr} with heart rate" if self.imported_runs else ""
        lines.append(
            f"  runs: {self.imported_runs} new ({self.imported_km:.1f} km{hr_share}, "
            f"{self.runs_with_stream} with a per-second stream), {self.upgraded_runs} upgraded to a "
            f"richer source, {self.duplicate_runs} duplicates skipped"
        )
        if self.replace:
            lines.extend(self._replace_lines())
        if self.run_types:
            order = ("easy", "long", "recovery", "tempo", "threshold", "interval", "race", "other")
            counts = ", ".join(f"{t} {self.run_types[t]}" for t in order if self.run_types[t])
            lines.append(
                f"  run types (from the streams; why in runs.csv run_type_reason): {counts}"
            )
            lines.extend(
                f"    other {n}: {why}" for why, n in self.untyped_reasons.most_common(MAX_LISTED)
            )
        lines.append(
            f"  strength: {self.imported_strength_rows} new set rows, "
            f"{self.duplicate_strength_rows} duplicates skipped"
            + (
                f", {self.replaced_strength_rows} rows from the same files replaced (--replace)"
                if self.replaced_strength_rows
                else ""
            )
        )
        if self.weight_units:
            lines.append("  weight units:")
            lines.extend(f"    {note}" for note in self.weight_units)
        if self.non_running:
            sports = Counter(sport for _, sport in self.non_running)
            by_sport = ", ".join(f"{s} {n}" for s, n in sports.most_common())
            lines.append(f"  skipped as not running: {len(self.non_running)} ({by_sport})")
            lines.extend(_listed(_grouped_rows(self.non_running)))
        if self.skipped:
            lines.append(f"  skipped: {len(self.skipped)}")
            lines.extend(_listed(_grouped_rows(self.skipped)))
        if self.failed:
            lines.append(f"  failed: {len(self.failed)} files")
            lines.extend(_listed(self.failed))
        if self.unknown_exercises:
            lines.append(
                f"  unknown exercises (kept, category 'other'): {', '.join(self.unknown_exercises)}"
            )
        if self.warnings:
            lines.append(f"  warnings: {len(self.warnings)}")
            shown = self.warnings[:MAX_LISTED]
            lines.extend(f"    {w}" for w in shown)
            if len(self.warnings) > len(shown):
                lines.append(f"    ... and {len(self.warnings) - len(shown)} more")
        return "\n".join(lines)

    def _replace_lines(self) -> list[str]:
        """What ``--replace`` did to the runs of the files imported."""
        columns = ", ".join(
            f"{col} on {n} run{'s' if n != 1 else ''}"
            for col, n in sorted(self.replaced_columns.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        lines = [
            f"  --replace, runs from these files: {self.replaced_runs} replaced"
            + (f" ({columns})" if columns else "")
            + f", {self.unchanged_runs} unchanged, {self.imported_runs} new, "
            f"{len(self.removed_runs)} removed (in runs.csv from these files, not in them now)"
        ]
        shown = [
            (f"removed {run_id or '(no run_id)'}", f"{date}, from {source_file}")
            for run_id, date, source_file in self.removed_runs
        ]
        lines.extend(_listed(shown))
        return lines


def _listed(pairs: list) -> list[str]:
    shown = pairs[:MAX_LISTED]
    out = [f"    {what}: {why}" for what, why in shown]
    if len(pairs) > len(shown):
        out.append(f"    ... and {len(pairs) - len(shown)} more")
    return out


def _grouped_rows(pairs: list) -> list:
    """Rows of one CSV export (``file line N``) folded into one entry per file."""
    files: dict[str, Counter] = {}
    out = []
    for what, why in pairs:
        head, sep, _ = str(what).rpartition(" line ")
        if sep and head:
            if head not in files:
                files[head] = Counter()
                out.append((head, files[head]))
            files[head][why] += 1
        else:
            out.append((what, why))
    result = []
    for what, why in out:
        if isinstance(why, Counter):
            n = sum(why.values())
            detail = ", ".join(f"{k} {v}" for k, v in why.most_common())
            result.append((what, f"{n} rows ({detail})"))
        else:
            result.append((what, why))
    return result
