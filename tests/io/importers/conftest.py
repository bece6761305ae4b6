"""Fixtures of the tests in tests/io/importers."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.io.importers import (
    read_fit,
    read_gpx,
    read_tcx,
    summarise,
)
from analysis.io.importers.activity import NotAnActivity
from tests.io.importers._support_importers import REAL


@pytest.fixture(scope="module")
def real() -> Path:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is not available")
    return REAL


@pytest.fixture(scope="module")
def real_activities(real):
    """Every real device file decoded once: {file name: [(activity, row, stream) or exception]}."""
    out = {}
    readers = {"fit": read_fit, "gpx": read_gpx, "tcx": read_tcx}
    for folder, reader in readers.items():
        for path in sorted((real / folder).glob(f"*.{folder}")):
            try:
                acts = reader(path)
            except (DataError, NotAnActivity) as exc:
                out[path.name] = exc
                continue
            items = []
            for act in acts:
                if act.sport != "running":
                    items.append((act, None, None))
                    continue
                try:
                    row, stream = summarise(act)
                except DataError as exc:
                    items.append((act, exc, None))
                    continue
                items.append((act, row, stream))
            out[path.name] = items
    return out
