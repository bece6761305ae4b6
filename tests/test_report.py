"""Report rendering: the batch engine (kernels, isolation, failures, ids) and the real reports.

Engine behaviour is tested with small probe notebooks (``fmt="ipynb"``: no
PDF needed to see what ran in which kernel); the real notebooks are rendered
to PDF for a subset of the sample squad and read back with pypdf.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis import formatting, report
from analysis.io import DataError, load_dataset
from analysis.models import analyze

pypdf = pytest.importorskip("pypdf")


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def tiny_dataset(tmp_path, write_dataset) -> Path:
    """Three runners, one run each: enough for load_dataset and the probe notebooks."""
    return write_dataset(
        tmp_path / "tiny",
        runners="""
            runner_id,name
            A1,Alice Probe
            B2,Bob Probe
            C3,Cleo Probe
        """,
        runs="""
            runner_id,date,distance_km,duration_s,avg_hr_bpm
            A1,2026-01-05,10,3000,140
            B2,2026-01-05,10,3000,140
            C3,2026-01-05,10,3000,140
        """,
    )


def _probe_notebook(path: Path, body: str) -> Path:
    """A notebook with a papermill parameters cell and one code cell."""
    params = new_code_cell('dataset = "."\nrunner_id = "A1"')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _render_probe(dataset, out, notebook, runner_ids, **options):
    """``render_reports`` of the probe notebook: ipynb, in this process, no progress bar."""
    options = {"fmt": "ipynb", "workers": 1, "progress": False, **options}
    return report.render_reports(
        dataset, out, runner_ids=runner_ids, runner_notebook=notebook, **options
    )


def _stdout(ipynb: Path) -> str:
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    return "".join(
        "".join(o.get("text", ""))
        for cell in nb["cells"]
        for o in cell.get("outputs", [])
        if o.get("name") == "stdout"
    )


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


def _squash(text: str) -> str:
    """Whitespace (line breaks, no-break spaces) collapsed to one space."""
    return re.sub(r"\s+", " ", text)


# A probe that fails if it sees another runner's variable, rc change or warning
# filter, then leaves its own behind and prints the kernel's pid.
PROBE = """
import os, warnings
import matplotlib
leaked = sorted(k for k in globals() if k.startswith("secret_"))
assert not leaked, f"namespace leaked from a previous report: {leaked}"
assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsDefault["lines.linewidth"], "rc leaked"
globals()["secret_" + runner_id] = runner_id
matplotlib.rcParams["lines.linewidth"] = 9.0
assert not any(f[0] == "error" for f in warnings.filters), "warning filters leaked"
warnings.simplefilter("error")
from matplotlib_inline.config import InlineBackend
assert InlineBackend.instance().figure_formats == {"png"}, "figure formats leaked"
get_ipython().run_line_magic("config", "InlineBackend.figure_formats = ['svg']")
if runner_id == "B2" and os.environ.get("RUNECO_PROBE_FAIL") == "1":
    raise RuntimeError("probe failure for B2")
print("pid", os.getpid(), "runner", runner_id)
"""


# --------------------------------------------------------------------------- ids and arguments


@pytest.mark.parametrize(
    "bad",
    ["../etc", "a/b", "..", "", "-rf", "R01\n", "R 01", "x" * 65, "R01/../../x", None, 3],
)
def test_invalid_runner_ids_are_rejected(bad):
    with pytest.raises(DataError, match="runner id"):
        report.validate_runner_id(bad)


@pytest.mark.parametrize("good", ["R01", "a", "runner_7-b", "9" * 64])
def test_valid_runner_ids_pass(good):
    assert report.validate_runner_id(good) == good


def test_path_traversal_id_is_rejected_before_any_file_is_written(tiny_dataset, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(DataError, match="not valid"):
        report.render_reports(tiny_dataset, out, runner_ids=["A1", "../../evil"], progress=False)
    assert not out.exists()
    assert not (tmp_path / "evil.pdf").exists()


def test_reserved_and_bad_parameters_are_rejected(tiny_dataset, tmp_path):
    with pytest.raises(ValueError, match="identifiers other than"):
        report.render_reports(tiny_dataset, tmp_path, parameters={"runner_id": "../x"})
    with pytest.raises(ValueError, match="identifiers other than"):
        report.render_reports(tiny_dataset, tmp_path, parameters={"os.system('x')": 1})
    with pytest.raises(ValueError, match="string, number, bool or None"):
        report.render_reports(tiny_dataset, tmp_path, parameters={"weeks": [1, 2]})
    with pytest.raises(ValueError, match="'fmt' parameter"):
        report.render_reports(tiny_dataset, tmp_path, fmt="docx")


def test_summary_format_lists_failures_with_reasons(tmp_path):
    summary = report.RenderSummary(out_dir=tmp_path, fmt="pdf", ok=["A1"], seconds=2.0)
    summary.failed.append(("B2", "KeyError: 'B2'"))
    text = summary.format()
    assert "rendered 1 of 2 reports" in text
    assert "B2: KeyError: 'B2'" in text


# --------------------------------------------------------------------------- kernels


@pytest.mark.slow
def test_reused_kernel_isolates_runners_and_survives_a_failure(tiny_dataset, tmp_path, monkeypatch):
    notebook = _probe_notebook(tmp_path / "probe.ipynb", PROBE)
    monkeypatch.setenv("RUNECO_PROBE_FAIL", "1")  # inherited by the kernel
    out = tmp_path / "out"
    summary = _render_probe(tiny_dataset, out, notebook, ["A1", "B2", "C3", "ZZ9"])
    # B2 raised, ZZ9 is not in runners.csv: both listed, the batch went on.
    assert summary.ok == ["A1", "C3"]
    assert dict(summary.failed) == {
        "ZZ9": "runner id not in runners.csv",
        "B2": "RuntimeError: probe failure for B2",
    }
    assert "B2: RuntimeError: probe failure for B2" in summary.format()
    # Every report ran clean in its kernel: A1's variable, rc change and
    # warning filter were gone for the next report.
    a1, c3 = _stdout(out / "A1.ipynb"), _stdout(out / "C3.ipynb")
    assert "runner A1" in a1 and "runner C3" in c3
    assert (out / "B2.ipynb").is_file()  # kept with the error, for inspection
    assert not (out / "B2.pdf").exists()


def test_each_executed_notebook_is_written_once(tiny_dataset, tmp_path, monkeypatch):
    """papermill can write the notebook before and after every cell (about 35
    times a report); a report's is written once, when it ends (also when a cell
    raised): request_save_on_cell_execute=False."""
    import papermill.engines
    import papermill.execute

    written: list[str] = []
    original = papermill.engines.write_ipynb

    def counting(nb, path):
        written.append(Path(path).name)
        return original(nb, path)

    # the execution manager's saves (request_save_on_cell_execute) and the final write
    monkeypatch.setattr(papermill.engines, "write_ipynb", counting)
    monkeypatch.setattr(papermill.execute, "write_ipynb", counting)
    monkeypatch.setenv("RUNECO_PROBE_FAIL", "1")  # B2 raises
    notebook = _probe_notebook(tmp_path / "probe.ipynb", PROBE)
    out = tmp_path / "out"
    # in this process (workers=1), where write_ipynb is counted
    summary = _render_probe(tiny_dataset, out, notebook, ["A1", "B2"])
    assert summary.ok == ["A1"]
    assert len(written) == 2  # one temporary file per report, renamed into place
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["A1.ipynb", "B2.ipynb"]
    assert "runner A1" in _stdout(out / "A1.ipynb")


def test_a_notebook_that_cannot_be_written_leaves_no_half_file(tiny_dataset, tmp_path, monkeypatch):
    """On a full disk the truncated executed notebook replaced R01.ipynb (and a
    0-byte R02.ipynb was left) with the reason "OSError: [Errno 28] ..."."""
    import errno

    import papermill.execute

    original = papermill.execute.write_ipynb

    def full_disk(nb, path):
        if "B2" in str(path):
            Path(path).write_text('{"cells": [', encoding="utf-8")  # half written
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(nb, path)

    monkeypatch.setattr(papermill.execute, "write_ipynb", full_disk)
    notebook = _probe_notebook(tmp_path / "probe.ipynb", PROBE)
    out = tmp_path / "out"
    summary = _render_probe(tiny_dataset, out, notebook, ["A1", "B2"])
    assert summary.ok == ["A1"]
    assert sorted(p.name for p in out.iterdir()) == ["A1.ipynb"]
    reason = dict(summary.failed)["B2"]
    assert str(out / "B2.ipynb") in reason and "No space left" in reason


@pytest.mark.slow
def test_kernel_is_reused_between_runners_and_fresh_on_request(tiny_dataset, tmp_path):
    notebook = _probe_notebook(tmp_path / "probe.ipynb", PROBE)
    pids = {}
    for fresh in (False, True):
        out = tmp_path / f"out-{fresh}"
        summary = _render_probe(tiny_dataset, out, notebook, ["A1", "B2"], fresh_kernels=fresh)
        assert summary.ok == ["A1", "B2"], summary.format()
        pids[fresh] = [
            re.search(r"pid (\d+)", _stdout(out / f"{r}.ipynb")).group(1) for r in ("A1", "B2")
        ]
    assert pids[False][0] == pids[False][1]  # one kernel, reset between the two
    assert pids[True][0] != pids[True][1]  # strict isolation: one kernel each


@pytest.mark.slow
def test_stderr_and_warnings_never_reach_the_html(tiny_dataset, tmp_path):
    body = (
        "import sys, warnings\n"
        "warnings.warn('WARNING-TEXT-XYZ')\n"
        "print('STDERR-TEXT-XYZ', file=sys.stderr)\n"
        "from IPython.display import Markdown, display\n"
        "display(Markdown(f'# Probe {runner_id}'))\n"
    )
    notebook = _probe_notebook(tmp_path / "probe.ipynb", body)
    summary = _render_probe(tiny_dataset, tmp_path / "out", notebook, ["A1"], fmt="html")
    assert summary.ok == ["A1"], summary.format()
    page = (tmp_path / "out" / "A1.html").read_text(encoding="utf-8")
    assert "Probe A1" in page
    assert "STDERR-TEXT-XYZ" not in page
    assert "WARNING-TEXT-XYZ" not in page
    assert 'dataset = "' not in page  # no input cells
    # the executed notebook keeps the stderr for debugging
    assert "STDERR-TEXT-XYZ" in (tmp_path / "out" / "A1.ipynb").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the real reports


@pytest.mark.slow
def test_sample_reports_render_with_the_analyze_numbers(sample_dir, sample_reports):
    """A strength runner, a control and the squad report of the sample squad, as PDFs
    (the session's one rendering of the sample squad)."""
    ds = load_dataset(sample_dir)
    all_results = analyze(ds)
    field = all_results.loc[all_results["method"].eq("field_hr")]
    strength = field.loc[field["group"].ne("control"), "runner_id"].iloc[0]
    control = field.loc[field["group"].eq("control"), "runner_id"].iloc[0]
    ids = [strength, control]
    summary, out = sample_reports, sample_reports.out_dir
    assert summary.failed == []
    assert summary.ok == ["squad", *ds.runner_ids]

    # PDFs on A4 with page numbers, each beside its executed notebook
    texts = {}
    for name in ["squad", *ids]:
        pdf = out / f"{name}.pdf"
        assert summary.paths[name] == pdf
        assert (out / f"{name}.ipynb").is_file()
        pages = pypdf.PdfReader(str(pdf)).pages
        assert 2 <= len(pages) <= 8, (name, len(pages))
        box = pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 [pt]
        assert f"Page 1 of {len(pages)}" in _squash(pages[0].extract_text())
        texts[name] = _squash(_pdf_text(pdf))

    # each runner report states the runner's name and the same change and CI as analyze
    results = analyze(ds, ids)
    for rid in ids:
        assert formatting.display_name(ds.runner(rid)) in texts[rid]
        for row in results.loc[results["runner_id"].eq(rid)].itertuples():
            expected = formatting.format_change(
                row.o2_cost_change_pct, row.ci_low_pct, row.ci_high_pct
            )
            assert _squash(expected) in texts[rid], (rid, row.method, expected)

    # ... and nobody else's name or id
    for rid in ids:
        for other in ds.runner_ids:
            if other == rid:
                continue
            assert not re.search(rf"\b{re.escape(other)}\b", texts[rid]), (rid, other)
            assert formatting.display_name(ds.runner(other)) not in texts[rid], (rid, other)

    # the squad report lists the runners with their field results
    for row in results.loc[results["method"].eq("field_hr")].itertuples():
        assert row.runner_id in texts["squad"]
        expected = formatting.format_change(row.o2_cost_change_pct, row.ci_low_pct, row.ci_high_pct)
        assert _squash(expected) in texts["squad"]


@pytest.mark.slow
def test_notebooks_run_clean_with_their_default_parameters(sample_dir, tmp_path):
    """As in JupyterLab: the notebook's folder as cwd and the defaults untouched
    (no parameters injected); one kernel, reset between the two notebooks."""
    session = report._KernelSession(cwd=str(report.notebook_path(report.RUNNER_NOTEBOOK).parent))
    try:
        for name in (report.RUNNER_NOTEBOOK, report.SQUAD_NOTEBOOK):
            path = report.notebook_path(name)
            source = nbformat.read(path, as_version=4)
            assert "parameters" in source.cells[0].metadata.get("tags", [])
            code = [c for c in source.cells if c.cell_type == "code"]
            assert all(not c.get("outputs") for c in code), f"{name}: strip the outputs"
            assert not any(
                re.search(r"^\s*(def|class|lambda)\b|lambda ", c.source, re.M) for c in code
            )
            nb = session.execute_notebook(str(path), str(tmp_path / name), {}, timeout_s=300)
            outputs = [o for c in nb.cells for o in c.get("outputs", [])]
            assert [o for o in outputs if o.output_type == "error"] == []
            assert any("image/png" in o.get("data", {}) for o in outputs), name
            assert any("text/markdown" in o.get("data", {}) for o in outputs), name
            assert not any(c.metadata.get("tags") == ["injected-parameters"] for c in nb.cells)
    finally:
        session.shutdown()


@pytest.mark.slow
def test_unknown_exercise_names_are_listed_in_the_runner_report(tmp_path):
    from analysis.simulate import simulate_squad

    data = simulate_squad(tmp_path / "squad", n_runners=2, seed=4, strength_fraction=1.0)
    strength = pd.read_csv(data / "strength.csv")
    first = strength.iloc[[0]].assign(exercise="Zercher hybrid thing")
    pd.concat([strength, first, first]).to_csv(data / "strength.csv", index=False)
    rid = str(first["runner_id"].iloc[0])
    summary = report.render_reports(
        data, tmp_path / "out", runner_ids=[rid], fmt="html", workers=1, progress=False
    )
    assert summary.ok == [rid], summary.format()
    page = (tmp_path / "out" / f"{rid}.html").read_text(encoding="utf-8")
    assert "Exercise names not recognised, counted as <em>other</em> (1)" in page
    assert "Zercher hybrid thing (2)" in page


@pytest.mark.slow
def test_braces_in_the_output_folder_and_one_blocked_report(tmp_path, sample_dir):
    """papermill formats path strings with the parameters: braces once failed every
    report or wrote elsewhere. And one report that cannot be written never stops the
    batch, even with one worker (issue 10, C4 and C3)."""
    out = tmp_path / "reports {2026}" / "a{runner_id}"
    (out / "R02.pdf").mkdir(parents=True)  # a folder where R02's report goes
    summary = report.render_reports(
        sample_dir, out, runner_ids=["R02", "R03"], workers=1, progress=False
    )
    assert summary.ok == ["R03"]
    assert (out / "R03.pdf").is_file() and (out / "R03.ipynb").is_file()
    [(name, reason)] = summary.failed
    assert name == "R02" and reason.startswith("cannot replace") and "Is a directory" in reason
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == ["R02.pdf", "R03.pdf"]


def test_a_long_table_flows_from_the_page_it_starts_on(tmp_path):
    """The print CSS keeps an HTML output in one piece; a long table's box is
    marked so it may break. Unmarked, a 60-runner table jumped to the next page
    and left the page before it with one paragraph (issue 13)."""
    from nbformat.v4 import new_output
    from pypdf import PdfReader

    from analysis import tables

    frame = pd.DataFrame({"runner": [f"R{k:02d}" for k in range(70)], "value": range(70)})

    def pdf_pages(long: bool) -> list[str]:
        cell = new_code_cell("")
        cell.outputs = [
            new_output("display_data", data={"text/html": tables.html_table(frame, long=long)})
        ]
        intro = new_code_cell("")
        intro.outputs = [new_output("display_data", data={"text/html": "<p>intro paragraph</p>"})]
        html = report.notebook_to_html(new_notebook(cells=[intro, cell]))
        boxes = re.findall(r'<div class="output_html[^"]*"', html)
        assert [b.endswith(' long"') for b in boxes] == [False, long]
        path = report.html_to_pdf(html, tmp_path / f"t{long}.pdf")
        return [p.extract_text() for p in PdfReader(path).pages]

    pages = pdf_pages(long=True)
    assert "intro paragraph" in pages[0] and "R00" in pages[0]
    kept = pdf_pages(long=False)
    assert "R00" not in kept[0]  # what happened before: the whole table pushed on


@pytest.mark.slow
def test_a_report_uses_and_states_the_datasets_settings(sample_copy, tmp_path):
    """runeco.toml's baseline and smallest worthwhile change reach the runner report
    (the same numbers as `runeco analyze` on the dataset), and the report says so."""
    folder = sample_copy
    (folder / "runeco.toml").write_text("[analysis]\nbaseline_weeks = 4\nswc_pct = 3.5\n")
    expected = analyze(load_dataset(folder), baseline_weeks=4, swc_pct=3.5)
    row = expected.query("runner_id == 'R03' and method == 'field_hr'").iloc[0]
    out = tmp_path / "reports"
    summary = report.render_reports(folder, out, runner_ids=["R03"], workers=1, progress=False)
    assert summary.failed == []
    text = _squash(_pdf_text(out / "R03.pdf"))
    assert "baseline 4 weeks (runeco.toml)" in text
    assert "smallest worthwhile change 3.5 % (runeco.toml)" in text
    assert (
        _squash(
            formatting.format_change(
                row["o2_cost_change_pct"], row["ci_low_pct"], row["ci_high_pct"]
            )
        )
        in text
    )


def test_squad_only_renders_the_squad_report_of_every_runner_and_nothing_else(sample_dir, tmp_path):
    import pypdf

    from analysis.cli import main

    out = tmp_path / "out"
    code = main(["report", str(sample_dir), "--squad-only", "--out", str(out), "--quiet"])
    assert code == 0
    assert sorted(p.name for p in out.glob("*.pdf")) == ["squad.pdf"]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out / "squad.pdf").pages)
    for rid in [f"R0{k}" for k in range(1, 9)]:
        assert rid in text  # the whole squad, not a subset
    with pytest.raises(ValueError, match="nothing to render"):
        report.render_reports(sample_dir, tmp_path / "none", runner_reports=False)


def test_a_squad_without_a_dose_estimate_gets_a_sentence_not_an_empty_chart(sample_dir, tmp_path):
    import pypdf

    summary = report.render_reports(
        sample_dir,
        tmp_path / "out",
        runner_ids=["R01", "R02"],  # one strength runner: no dose-response slope
        squad=True,
        runner_reports=False,
        progress=False,
        workers=1,
    )
    assert summary.ok == ["squad"]
    reader = pypdf.PdfReader(tmp_path / "out" / "squad.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "No dose-response estimate" in text
    # distinct images (WeasyPrint shares one resource dictionary between pages)
    images = {image.name for page in reader.pages for image in page.images}
    assert len(images) == 2  # the forest plot and the adherence chart, no dose-response chart
