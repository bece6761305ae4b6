"""Which files to import, and what each one is.

A source is a file or a folder (searched recursively). The kind of a file
comes from its extension (``.fit``, ``.gpx``, ``.tcx``, each optionally
``.gz``) or, for ``.csv``, from its header row; ``kind=`` forces it.

A Strava bulk-export folder is recognised by its ``activities.csv``: the
activity files that CSV names are imported through it (so each run is read
once, from the device file, with the CSV's name and perceived exertion), not
as loose files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from analysis.io.importers.csvutil import read_header_line, read_raw_csv, split_header
from analysis.io.importers.strava import referenced_files
from analysis.io.importers.strength_apps import is_generic_header
from analysis.schema import DEVICE_KINDS, SOURCE_KINDS

KINDS = SOURCE_KINDS
#: Other spellings accepted by ``kind=``.
KIND_ALIASES = {
    "garmin": "garmin_csv",
    "strava": "strava_csv",
    "garmin-csv": "garmin_csv",
    "strava-csv": "strava_csv",
}

_HEADER_SIGNATURES = (
    ("strava_csv", {"Activity ID", "Activity Date", "Activity Type"}),
    ("garmin_csv", {"Activity Type", "Date", "Distance"}),
    ("hevy", {"exercise_title", "start_time"}),
    ("strong", {"Exercise Name", "Set Order"}),
    ("strong", {"Workout Name", "Exercise Name"}),
    ("fitnotes", {"Date", "Exercise", "Category"}),
    ("fitnotes", {"Date", "Exercise", "Reps"}),
)


@dataclass(frozen=True)
class Source:
    """One file to import."""

    path: Path
    kind: str
    label: str = ""


def normalise_kind(kind: str | None) -> str | None:
    """A ``kind=`` value checked against :data:`KINDS` (aliases allowed)."""
    if kind is None:
        return None
    k = KIND_ALIASES.get(str(kind).strip().lower(), str(kind).strip().lower())
    if k not in KINDS:
        raise ValueError(
            f"The 'kind' parameter of import_sources must be one of {', '.join(KINDS)} "
            f"(or garmin, strava). Got {kind!r} instead."
        )
    return k


def kind_from_header(header: list[str]) -> str | None:
    """The app export a CSV header row belongs to, or None."""
    names = set(header)
    if is_generic_header(header):  # a coach's own log: before FitNotes' Date/Exercise/Reps
        return "strength_csv"
    for kind, required in _HEADER_SIGNATURES:
        if required <= names:
            return kind
    return None


def detect_kind(path) -> tuple[str | None, str]:
    """The kind of one file and, when unknown, why.

    Returns
    -------
    kind : str or None
        One of :data:`KINDS`, or None.
    reason : str
        Empty when recognised; otherwise a sentence for the summary.
    """
    path = Path(path)
    lower = path.name.lower()
    for kind, exts in DEVICE_KINDS.items():
        if lower.endswith(exts):
            return kind, ""
    if lower.endswith(".csv"):
        line = read_header_line(path)
        if not line:
            return None, "empty CSV file"
        header = split_header(line)
        kind = kind_from_header(header)
        if kind is None:
            shown = ", ".join(header[:8]) + (" ..." if len(header) > 8 else "")
            return None, (
                f"unknown CSV header ({shown}); expected a Garmin Connect or Strava activities "
                "export, a Strong, Hevy or FitNotes log, or a strength log with date, exercise, "
                "sets, reps, load and unit columns (`runeco template strength` writes one; "
                "or give --kind)"
            )
        return kind, ""
    return None, "not a file type runeco imports (.fit, .gpx, .tcx, optionally .gz, or an app .csv)"


def collect_sources(sources, *, kind: str | None = None, exclude=None) -> tuple[list[Source], list]:
    """Expand sources into files with their kinds.

    Parameters
    ----------
    sources : iterable of str or Path
        Files and folders (folders are searched recursively; hidden files and
        files of other types inside them are ignored).
    kind : str, optional
        Force every file to this kind.
    exclude : Path, optional
        A folder never searched (the dataset being written).

    Returns
    -------
    files : list of Source
        In a stable order (as given; folders sorted by path), each file once.
        Activity files named by a Strava ``activities.csv`` found here are
        left to that CSV.
    failed : list of (str, str)
        Sources that do not exist or that were named explicitly but cannot
        be imported.
    """
    kind = normalise_kind(kind)
    exclude = Path(exclude).resolve() if exclude is not None else None
    files: list[Source] = []
    failed: list = []
    seen: set[Path] = set()
    for src in sources:
        path = Path(src)
        if not path.exists():
            failed.append((str(path), "no such file or folder"))
            continue
        if path.is_dir():
            candidates, odd = _folder_files(path)
            failed += [(str(p.relative_to(path.parent)), why) for p, why in odd]
            explicit = False
            shown_from = path.parent
        else:
            candidates = [path]
            explicit = True
            shown_from = None
        for p in candidates:
            resolved = p.resolve()
            if resolved in seen:
                continue
            if exclude is not None and (resolved == exclude or exclude in resolved.parents):
                continue
            rel_parts = p.relative_to(path).parts if not explicit else ()
            if any(part.startswith(".") for part in rel_parts):
                continue
            label = str(p) if shown_from is None else str(p.relative_to(shown_from))
            if kind is not None and (explicit or _looks_importable(p)):
                seen.add(resolved)
                files.append(Source(p, kind, label))
                continue
            k, why = detect_kind(p)
            if k is None:
                if explicit or p.name.lower().endswith(".csv"):
                    failed.append((label, why))
                continue
            seen.add(resolved)
            files.append(Source(p, k, label))
    # a Strava export imports its own activity files
    owned: set[str] = set()
    for s in files:
        if s.kind == "strava_csv":
            try:
                owned.update(f for f in referenced_files(read_raw_csv(s.path)) if f)
            except Exception:  # an unreadable CSV fails later, with its reason
                continue
    if owned:
        files = [
            s for s in files if s.kind not in DEVICE_KINDS or str(s.path.resolve()) not in owned
        ]
    return files, failed


def _folder_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Regular files under ``folder`` (sorted), and the importable-looking entries skipped.

    Symbolic links are not followed out of the folder (a link to
    ``/etc/passwd`` named ``x.gpx`` is not read) nor into loops, and pipes,
    devices or folders named like a source file (``x.fit/``) are listed with
    the reason instead of being read (a pipe would block the import forever).
    """
    root = folder.resolve()
    files, odd = [], []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for name in dirnames:
            if _looks_importable(base / name) and not name.startswith("."):
                odd.append((base / name, "a folder, not a file: skipped"))
        for name in sorted(filenames):
            p = base / name
            try:
                st = os.stat(p)  # follows a link
            except OSError as exc:
                if _looks_importable(p):
                    odd.append((p, f"cannot be read ({exc.strerror or exc}): skipped"))
                continue
            if p.is_symlink():
                target = p.resolve()
                if root not in target.parents:
                    if _looks_importable(p):
                        odd.append((p, "a link to a file outside the folder: skipped"))
                    continue
            if not stat.S_ISREG(st.st_mode):
                if _looks_importable(p):
                    odd.append((p, "not a regular file (a pipe or device): skipped"))
                continue
            files.append(p)
    return files, odd


def _looks_importable(path: Path) -> bool:
    lower = path.name.lower()
    return lower.endswith(".csv") or any(
        lower.endswith(e) for exts in DEVICE_KINDS.values() for e in exts
    )
