"""``runeco report --figures DIR``: every figure of every report as PNG and SVG too.

The sample squad is rendered once (PDF) and its figure files are compared
with the images of the executed notebooks and of the PDFs; probe notebooks
show that no runner id, figure label or planted link writes outside DIR.
"""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from matplotlib.figure import Figure
from PIL import Image

from analysis import report
from analysis.io import DataError, load_dataset
from analysis.tempdirs import LOCK_NAME
from tests.test_report import _probe_notebook as _probe

pypdf = pytest.importorskip("pypdf")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUNNER_FIGURES = {"economy", "hr-vs-pace", "training", "vo2max"}
SQUAD_FIGURES = {"forest", "dose-response", "adherence"}


def _notebook_pngs(ipynb: Path) -> list[bytes]:
    nb = nbformat.read(ipynb, as_version=4)
    return [
        base64.b64decode(o["data"]["image/png"])
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]


def _pdf_image_count(pdf: Path) -> int:
    """Distinct images in the PDF (WeasyPrint lists the document's images on every page)."""
    return len({image.name for page in pypdf.PdfReader(str(pdf)).pages for image in page.images})


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")} if folder.exists() else set()


@pytest.mark.slow
def test_every_figure_a_report_shows_is_an_opaque_png(sample_reports):
    """charts.figure_png is the kernel's PNG formatter from a kernel's first report on
    (the notebook's own %matplotlib inline must not put matplotlib's RGBA PNG back)."""
    assert sample_reports.failed == []
    for name in sample_reports.ok:
        shown = _notebook_pngs(sample_reports.out_dir / f"{name}.ipynb")
        assert len(shown) >= 3, name
        for data in shown:
            with Image.open(io.BytesIO(data)) as image:
                assert image.mode == "RGB", name


@pytest.mark.slow
def test_sample_squad_figures_are_the_reports_figures_as_png_and_svg(sample_dir, sample_reports):
    """The session's one rendering of the sample squad, with ``figures_dir``."""
    summary = sample_reports
    out, figures = summary.out_dir, summary.figures_dir
    assert summary.failed == []
    names = ["squad", *load_dataset(sample_dir).runner_ids]
    assert sorted(summary.ok) == sorted(names)
    # one folder per report, nothing else (the private folders are gone)
    assert sorted(p.name for p in figures.iterdir()) == sorted(names)
    assert f"in {figures}" in summary.format()

    for name in names:
        folder = figures / name
        pngs = sorted(folder.glob("*.png"))
        svgs = sorted(folder.glob("*.svg"))
        assert summary.figures[name] == sorted(pngs + svgs)
        assert {p.stem for p in pngs} == {s.stem for s in svgs}  # each figure in both formats
        stems = {p.stem for p in pngs}
        assert (SQUAD_FIGURES if name == "squad" else RUNNER_FIGURES) <= stems, (name, stems)

        # the PNGs are the report's own images: as many as the notebook and
        # the PDF show, byte for byte those of the notebook
        shown = _notebook_pngs(out / f"{name}.ipynb")
        assert len(pngs) == len(shown) == _pdf_image_count(out / f"{name}.pdf"), name
        assert sorted(p.read_bytes() for p in pngs) == sorted(shown), name
        for png in pngs:
            data = png.read_bytes()
            assert data.startswith(PNG_SIGNATURE)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                assert image.size[0] == round(report.FIGURE_DPI * 6.9)  # print width, 150 dpi
                assert image.mode == "RGB"  # opaque (charts.figure_png): no mask for the PDF
        for svg in svgs:
            root = ET.parse(svg).getroot()
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            assert root.findall(".//{http://www.w3.org/2000/svg}path"), svg  # something drawn

    # the runner report's economy figure is the first figure it shows
    first = _notebook_pngs(out / "R01.ipynb")[0]
    assert (figures / "R01" / "economy.png").read_bytes() == first


# --------------------------------------------------------------------------- hostile names and paths


@pytest.fixture
def tiny_dataset(tmp_path, write_dataset) -> Path:
    return write_dataset(
        tmp_path / "tiny",
        runners="runner_id,name\nA1,Alice Probe\nB2,Bob Probe\n",
        runs="runner_id,date,distance_km,duration_s,avg_hr_bpm\n"
        "A1,2026-01-05,10,3000,140\nB2,2026-01-05,10,3000,140\n",
    )


# Two figures whose labels try to leave the folder, and one shown twice.
HOSTILE_LABELS = """
from IPython.display import display
from matplotlib.figure import Figure
for label in ["../../escaped", "/tmp/escaped", "economy", "economy"]:
    fig = Figure(figsize=(2, 1))
    fig.set_label(label)
    fig.subplots().plot([0, 1], [0, 1])
    display(fig)
"""


def test_a_hostile_runner_id_is_refused_before_any_figure_is_written(tiny_dataset, tmp_path):
    figures = tmp_path / "deep" / "figures"
    with pytest.raises(DataError, match="not valid"):
        report.render_reports(
            tiny_dataset,
            tmp_path / "out",
            runner_ids=["A1", "../../evil"],
            progress=False,
            figures_dir=figures,
        )
    assert not figures.exists()
    assert not (tmp_path / "evil").exists() and not (tmp_path / "deep" / "evil").exists()


def test_a_worker_never_builds_a_figures_path_from_a_bad_report_name(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    config = report._WorkerConfig(
        out_dir=str(tmp_path / "out"),
        fmt="ipynb",
        fresh_kernels=False,
        timeout_s=60.0,
        runner_id_pattern=report.RUNNER_ID_PATTERN,
        figures_dir=str(figures),
    )
    worker = report._Worker(config)
    for name in ("../evil", "..", "/tmp/evil", "a/b"):
        result = worker.render(report._Task(name, "unused.ipynb", {}))
        assert not result.ok and result.reason == "invalid report name"
    assert list(figures.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_figure_labels_never_leave_the_folder(tmp_path):
    from functools import partial

    from IPython.core.pylabtools import print_figure

    folder = tmp_path / "R01"
    folder.mkdir()
    saver = report._FigureSaver(folder, partial(print_figure, fmt="png", base64=True))
    for label in ["../../escaped", "/tmp/x", "Economy", "economy", "economy", ""]:
        fig = Figure(figsize=(2, 1))
        fig.set_label(label)
        fig.subplots().plot([0, 1])
        assert isinstance(saver(fig), str)  # the report still gets its image
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}.{ext}"
        for stem in ("figure", "figure-2", "figure-3", "economy", "economy-2", "figure-4")
        for ext in ("png", "svg")
    )
    assert _files_under(tmp_path) == {folder, *folder.iterdir()}


@pytest.mark.slow
def test_figures_stay_inside_dir_and_a_planted_link_is_refused(tiny_dataset, tmp_path):
    notebook = _probe(tmp_path / "probe.ipynb", HOSTILE_LABELS)
    figures, outside = tmp_path / "figures", tmp_path / "outside"
    figures.mkdir()
    outside.mkdir()
    (figures / "B2").symlink_to(outside, target_is_directory=True)  # planted: B2 -> outside
    before = _files_under(tmp_path) - _files_under(figures)
    summary = report.render_reports(
        tiny_dataset,
        tmp_path / "out",
        runner_ids=["A1", "B2"],
        fmt="ipynb",
        workers=1,
        progress=False,
        runner_notebook=notebook,
        figures_dir=figures,
    )
    assert summary.ok == ["A1"]
    assert dict(summary.failed)["B2"].startswith("figures not saved")
    assert sorted(p.name for p in (figures / "A1").iterdir()) == [
        "economy-2.png",
        "economy-2.svg",
        "economy.png",
        "economy.svg",
        "figure-2.png",
        "figure-2.svg",
        "figure.png",
        "figure.svg",
    ]
    assert list(outside.iterdir()) == []  # nothing went through the link
    # nothing new anywhere but DIR and the reports' own folder
    new = (_files_under(tmp_path) - _files_under(figures)) - before
    assert all(p.is_relative_to(tmp_path / "out") for p in new), new
    assert sorted(p.name for p in figures.iterdir()) == ["A1", "B2"]  # no private folder left


@pytest.mark.slow
def test_a_rerender_replaces_the_figures_and_a_failed_report_leaves_none(tiny_dataset, tmp_path):
    figures = tmp_path / "figures"
    first = _probe(tmp_path / "first.ipynb", HOSTILE_LABELS)
    common = dict(fmt="ipynb", workers=1, progress=False, figures_dir=figures)
    summary = report.render_reports(
        tiny_dataset, tmp_path / "out", runner_ids=["A1"], runner_notebook=first, **common
    )
    assert summary.ok == ["A1"] and len(list((figures / "A1").glob("*.png"))) == 4
    one = _probe(
        tmp_path / "one.ipynb",
        "from IPython.display import display\nfrom matplotlib.figure import Figure\n"
        "fig = Figure(); fig.set_label('training'); fig.subplots(); display(fig)\n"
        "assert runner_id != 'B2', 'probe failure'\n",
    )
    summary = report.render_reports(
        tiny_dataset, tmp_path / "out", runner_ids=["A1", "B2"], runner_notebook=one, **common
    )
    assert summary.ok == ["A1"]
    assert sorted(p.name for p in (figures / "A1").iterdir()) == ["training.png", "training.svg"]
    assert not (figures / "B2").exists() or list((figures / "B2").iterdir()) == []


def test_a_killed_reports_batch_and_figure_staging_folders_are_removed_by_the_next(
    sample_dir, tmp_path
):
    out, figures = tmp_path / "out", tmp_path / "figs"
    planted = []
    for parent, prefix in (
        (out, report.BATCH_DIR_PREFIX),
        (figures, report.FIGURES_STAGING_PREFIX),
    ):
        dead = parent / f"{prefix}R01-dead"  # its owner was killed: the lock is free
        dead.mkdir(parents=True)
        (dead / LOCK_NAME).touch()
        (dead / "economy.png").write_bytes(PNG_SIGNATURE)
        planted.append(dead)
    summary = report.render_reports(
        sample_dir,
        out,
        runner_ids=["R01"],
        workers=1,
        progress=False,
        fmt="ipynb",
        figures_dir=figures,
    )
    assert summary.ok == ["R01"]
    assert not any(p.exists() for p in planted)
    assert not [p for p in _files_under(tmp_path) if p.name.startswith(".runeco")]
    assert (figures / "R01" / "economy.png").read_bytes() != PNG_SIGNATURE
