"""runeco.toml: one place for the analysis options, so analyze, check and report agree."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.io import load_dataset
from analysis.io.settings import SETTINGS_FILE, Settings, load_settings


@pytest.fixture
def squad(sample_copy):
    return sample_copy


def test_no_file_no_settings_and_defaults_resolve(tmp_path):
    assert load_settings(tmp_path) == Settings()
    assert Settings().resolve() == {"baseline_weeks": 6}
    assert Settings(baseline_weeks=12, swc_pct=2.0).resolve(baseline_weeks=8, swc_pct=None) == {
        "baseline_weeks": 8,
        "swc_pct": 2.0,
    }


def test_settings_are_read_and_carried_by_the_dataset(squad):
    (squad / SETTINGS_FILE).write_text(
        "[analysis]\nbaseline_weeks = 5\nswc_pct = 2.0\ncontrol_reference = false\n"
    )
    ds = load_dataset(squad)
    assert ds.settings.options() == {
        "baseline_weeks": 5,
        "swc_pct": 2.0,
        "control_reference": False,
    }
    assert ds.for_runner("R01").settings == ds.settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[analysis]\nbaseline_weeks = 0\n", "baseline_weeks must be a whole number from 1 to 520"),
        ("[analysis]\nbaseline_weeks = 6.5\n", "must be a whole number"),
        ("[analysis]\nbaseline_weeks = true\n", "must be a whole number"),
        ("[analysis]\nswc_pct = nan\n", "swc_pct must be a number from 0.1 to 50"),
        ("[analysis]\ncontrol_reference = 'yes'\n", "must be true or false"),
        ("[analysis]\nbaseline_week = 6\n", "unknown setting 'baseline_week'"),
        ("[report]\nx = 1\n", "unknown section(s) 'report'"),
        ("analysis = 3\n", "[analysis] must be a table"),
        ("[analysis\nbaseline_weeks = 6\n", "not valid TOML"),
        (b"[analysis]\nbaseline_weeks = \xff\n", "not UTF-8"),
    ],
)
def test_a_bad_settings_file_is_one_clear_error_naming_it(squad, text, message):
    path = squad / SETTINGS_FILE
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    with pytest.raises(DataError) as err:
        load_dataset(squad)
    assert message in str(err.value) and SETTINGS_FILE in str(err.value)


def test_a_huge_or_odd_settings_file_is_refused(squad):
    (squad / SETTINGS_FILE).write_text("# " + "x" * 70_000)
    with pytest.raises(DataError, match="larger than 64 KB"):
        load_dataset(squad)
    (squad / SETTINGS_FILE).unlink()
    (squad / SETTINGS_FILE).mkdir()
    with pytest.raises(DataError, match="not a regular file"):
        load_dataset(squad)


def test_analyze_and_check_use_the_file_and_a_flag_overrides_it(squad, tmp_path, capsys):
    """A 1-week baseline leaves runners without an answer: set in the file, analyze
    and check both see it; the flag on the command line wins."""
    (squad / SETTINGS_FILE).write_text("[analysis]\nbaseline_weeks = 1\nswc_pct = 3.0\n")
    out = tmp_path / "a.csv"
    assert main(["analyze", str(squad), "--out", str(out), "--quiet"]) == 0
    assert (
        "settings from baseline_weeks = 1, swc_pct = 3.0 (runeco.toml)" in capsys.readouterr().out
    )
    field = pd.read_csv(out).query("method == 'field_hr'")
    assert field["verdict"].str.startswith("insufficient data").any()
    assert (field["swc_pct"] == 3.0).all()
    assert main(["check", str(squad)]) == 1
    assert main(["check", str(squad), "--baseline-weeks", "6"]) == 0
    assert main(["analyze", str(squad), "--out", str(out), "--quiet", "--baseline-weeks", "6"]) == 0
    field = pd.read_csv(out).query("method == 'field_hr'")
    assert not field["verdict"].str.startswith("insufficient data").any()


def test_the_settings_file_is_never_an_output(squad):
    with pytest.raises(DataError, match="dataset's own files"):
        from analysis.io.write import refuse_dataset_files

        refuse_dataset_files(squad, squad / SETTINGS_FILE)
