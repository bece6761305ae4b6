"""Tests for analysis.io.importers: device files and app exports into the dataset.

Hand-made fixtures in tests/fixtures/import/ run everywhere; the real device
files and exports in ../shared/data/real/ are used when that folder exists."""

from __future__ import annotations

import re

import pytest

from analysis.errors import DataError
from analysis.io.importers import (
    read_fit,
    read_gpx,
    read_tcx,
)
from tests.io.importers._support_importers import FIXTURES


def test_device_files_are_read_gunzipped_and_empty_ones_refused(tmp_path):
    import gzip

    from analysis.io.importers.files import read_source

    text = (FIXTURES / "tiny_run.gpx").read_bytes()
    (tmp_path / "a.gpx.gz").write_bytes(gzip.compress(text))
    assert read_source(tmp_path / "a.gpx.gz") == text
    (tmp_path / "b.fit.gz").write_bytes(b"not gzip")
    (tmp_path / "c.tcx").write_bytes(b" \n\t")
    (tmp_path / "d.gpx.gz").write_bytes(gzip.compress(b""))
    for name, reason in (
        ("b.fit.gz", "not a readable gzip file"),
        ("c.tcx", "empty file (only white space)"),
        ("d.gpx.gz", "empty file (0 bytes)"),
        ("missing.fit", "cannot read the file"),
    ):
        with pytest.raises(DataError, match=re.escape(reason)):
            read_source(tmp_path / name)
    for reader, name in ((read_fit, "d.gpx.gz"), (read_gpx, "c.tcx"), (read_tcx, "c.tcx")):
        with pytest.raises(DataError, match="empty file"):
            reader(tmp_path / name)
