"""The squad report at any size, read back from the PDF (issue 13, item 4).

Squads of 8 (the sample), 60 and 200 runners: every figure lies inside the
page's content box (never in the margins that hold the header and the page
numbers), and every runner is listed.
"""

from __future__ import annotations

import pypdf
import pytest

from analysis.io import load_dataset
from analysis.report import render_reports
from analysis.simulate import simulate_squad

MM = 72 / 25.4
MARGIN_PT = {"top": 15 * MM, "right": 16 * MM, "bottom": 16 * MM, "left": 16 * MM}
"""The @page margins of the print stylesheet (templates/runeco_print/print.css)."""


def _image_boxes(page) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) in points of every image drawn on the page (the ``cm``
    in force at each ``Do``: WeasyPrint draws images unrotated)."""
    boxes = []

    def before(operator, args, cm, tm):
        if operator == b"Do":
            a, _, _, d, e, f = (float(v) for v in cm)
            boxes.append((min(e, e + a), min(f, f + d), max(e, e + a), max(f, f + d)))

    page.extract_text(visitor_operand_before=before)
    return boxes


@pytest.fixture(scope="module", params=[8, 60, 200])
def squad_pdf(request, tmp_path_factory, sample_dir):
    n = request.param
    if n == 8:  # the session's one rendering of the sample squad
        summary = request.getfixturevalue("sample_reports")
        dataset, out = sample_dir, summary.out_dir
    else:
        root = tmp_path_factory.mktemp(f"squad{n}")
        dataset = simulate_squad(root / "data", n_runners=n, seed=31, lab_tests=False)
        out = root / "out"
        summary = render_reports(
            dataset, out, squad=True, runner_reports=False, progress=False, workers=1
        )
        assert summary.ok == ["squad"]
    assert summary.failed == []
    ids = list(load_dataset(dataset).runners["runner_id"])
    assert len(ids) == n
    return pypdf.PdfReader(out / "squad.pdf"), ids


@pytest.mark.slow
def test_every_figure_lies_inside_its_page(squad_pdf):
    reader, _ = squad_pdf
    n_images = 0
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        for x0, y0, x1, y1 in _image_boxes(page):
            n_images += 1
            where = f"page {number}: image at ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) pt"
            assert x0 >= MARGIN_PT["left"] - 0.5, where
            assert x1 <= width - MARGIN_PT["right"] + 0.5, where
            assert y0 >= MARGIN_PT["bottom"] - 0.5, where
            assert y1 <= height - MARGIN_PT["top"] + 0.5, where
    assert n_images >= 3  # forest, dose-response and adherence at least


@pytest.mark.slow
def test_every_runner_is_listed(squad_pdf):
    reader, ids = squad_pdf
    text = "\n".join(page.extract_text() for page in reader.pages)
    missing = [rid for rid in ids if rid not in text]
    assert missing == []
