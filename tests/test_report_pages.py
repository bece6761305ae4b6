"""No paper wasted (issue 13): a runner report fits in 3 pages and no page is nearly empty.

Measured from the PDFs of the whole sample squad: pages per report, and per
page the lines of text (without the running header and footer) and the
figures it draws (image XObjects painted by its content stream: WeasyPrint
lists every image of the document in each page's resources).
"""

from __future__ import annotations

import re

import pytest

from analysis import report
from analysis.io import load_dataset

pypdf = pytest.importorskip("pypdf")

MAX_RUNNER_PAGES = 3
MIN_TEXT_LINES = 12
"""A page that draws no figure holds at least this many lines of text (a spilled
methods note was 3-8 lines on a page of its own)."""

_RUNNING_LINES = re.compile(r"^(runeco|Page \d+ of \d+|Running economy: .*|Squad report: .*)$")


def _page_content(page) -> tuple[int, int]:
    """(lines of text without header and footer, figures drawn) of one PDF page."""
    lines = [
        line.strip()
        for line in (page.extract_text() or "").splitlines()
        if line.strip() and not _RUNNING_LINES.match(line.strip())
    ]
    xobjects = page["/Resources"].get("/XObject", {})
    drawn = re.findall(rb"/(\S+)\s+Do\b", page.get_contents().get_data())
    figures = sum(
        1
        for name in drawn
        if (obj := xobjects.get("/" + name.decode())) is not None
        and obj.get_object().get("/Subtype") == "/Image"
    )
    return len(lines), figures


@pytest.mark.slow
def test_every_sample_report_fits_its_pages_without_a_near_empty_one(sample_dir, sample_reports):
    assert sample_reports.failed == []
    runners = load_dataset(sample_dir).runner_ids
    for name in ["squad", *runners]:
        pages = pypdf.PdfReader(str(sample_reports.out_dir / f"{name}.pdf")).pages
        if name != "squad":
            assert len(pages) <= MAX_RUNNER_PAGES, (name, len(pages))
        content = [_page_content(page) for page in pages]
        for k, (lines, figures) in enumerate(content, start=1):
            assert figures or lines >= MIN_TEXT_LINES, (name, k, lines, figures)
        # the report ends with the methods note on a page that has other content too
        last_lines, last_figures = content[-1]
        last_text = pages[-1].extract_text()
        assert "Methods" in last_text
        assert last_figures or last_lines >= 2 * MIN_TEXT_LINES, (name, content[-1])


@pytest.mark.slow
def test_pooled_runner_reports_fit_their_pages(tmp_path):
    """A squad of 10 (5 strength runners, 5 controls) pools every headline: the
    sentences about pooling and the runner's own runs still fit in 3 pages
    (two reports of each group)."""
    import pandas as pd

    from analysis.simulate import simulate_squad

    squad = simulate_squad(tmp_path / "squad", n_runners=10, seed=3)
    truth = pd.read_csv(squad / "truth.csv")
    ids = [r for _, g in truth.groupby("group") for r in g["runner_id"].head(2)]
    out = tmp_path / "reports"
    summary = report.render_reports(squad, out, runner_ids=ids, workers=1, progress=False)
    assert summary.failed == [] and sorted(summary.ok) == sorted(ids)
    for runner in ids:
        pages = pypdf.PdfReader(str(out / f"{runner}.pdf")).pages
        assert "Without the squad" in pages[0].extract_text(), runner
        assert len(pages) <= MAX_RUNNER_PAGES, (runner, len(pages))
        content = [_page_content(page) for page in pages]
        for k, (lines, figures) in enumerate(content, start=1):
            assert figures or lines >= MIN_TEXT_LINES, (runner, k, lines, figures)
