"""Every importer on random bytes, truncations and byte flips of real files (issue 10).

Only our error types ever leave an importer, never a traceback, and each file
given is accounted for exactly once: read, skipped or failed with a reason.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.io.importers import import_sources
from tests.paths import FIXTURES_DIR, REAL_DIR

IMPORT = FIXTURES_DIR / "import"
SEEDS = {
    "run.gpx": IMPORT / "tiny_run.gpx",
    "run.tcx": IMPORT / "tiny_run.tcx",
    "garmin.csv": IMPORT / "garmin_activities.csv",
    "strava.csv": IMPORT / "strava_tiny_run.csv",
    "strong.csv": IMPORT / "strong_lb.csv",
    "hevy.csv": IMPORT / "hevy.csv",
    "fitnotes.csv": IMPORT / "fitnotes.csv",
}
_real_fit = sorted(REAL_DIR.rglob("*.fit"))[:1] if REAL_DIR.is_dir() else []
if _real_fit:
    SEEDS["run.fit"] = _real_fit[0]
KINDS = {
    "garmin.csv": "garmin_csv",
    "strava.csv": "strava_csv",
    "strong.csv": "strong",
    "hevy.csv": "hevy",
    "fitnotes.csv": "fitnotes",
}


def _mutate(data: bytes, how: str, position: float, noise: bytes) -> bytes:
    if how == "random":
        return noise
    cut = int(position * len(data))
    if how == "truncate":
        return data[:cut]
    flipped = bytearray(data)
    for i, b in enumerate(noise[:16]):
        flipped[(cut + i * 97) % len(flipped)] ^= b or 0xFF
    return bytes(flipped)


def _import_one(name: str, data: bytes, kind: str | None):
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / name
        source.write_bytes(data)
        try:
            summary = import_sources(
                Path(tmp) / "ds", "F1", [str(source)], kind=kind, progress=False
            )
        except DataError:
            return None  # our own error type, with its message: allowed
        labels = [label for label, _ in summary.failed + summary.skipped]
        outcomes = sum(1 for label in labels if label.endswith(name))
        read = summary.imported_runs + summary.duplicate_runs + summary.imported_strength_rows
        # each file once: read (possibly nothing new) or listed with a reason, never both
        assert outcomes <= 1, labels
        assert summary.files_seen == 1
        if outcomes and read:
            pytest.fail(f"{name} both imported and listed as {labels}")
        return summary


@pytest.mark.parametrize("name", sorted(SEEDS))
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    how=st.sampled_from(["random", "truncate", "flip"]),
    position=st.floats(0, 1),
    noise=st.binary(min_size=1, max_size=400),
)
def test_importers_survive_damaged_files(name, how, position, noise):
    data = SEEDS[name].read_bytes()
    _import_one(name, _mutate(data, how, position, noise), KINDS.get(name))


def test_a_mix_of_good_and_broken_files_is_fully_accounted_for(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(IMPORT / "tiny_run.gpx", src / "good.gpx")
    (src / "cut.tcx").write_bytes((IMPORT / "tiny_run.tcx").read_bytes()[:300])
    (src / "noise.gpx").write_bytes(bytes(range(256)) * 4)
    (src / "empty.tcx").write_bytes(b"")
    summary = import_sources(tmp_path / "ds", "F1", [str(src)], progress=False)
    listed = {label for label, _ in summary.failed + summary.skipped}
    assert listed == {"src/cut.tcx", "src/noise.gpx", "src/empty.tcx"}
    assert summary.imported_runs == 1
    assert summary.files_seen == 4
