"""Reports on hostile data files: nothing is fetched, embedded or executed, text stays text.

One squad whose runners.csv was written by an attacker is rendered once (PDF
and HTML) and checked many ways (issue 10, S1, C7 and the layout items).
"""

from __future__ import annotations

import csv
import http.server
import os
import shutil
import subprocess
import threading

import numpy as np
import pytest

from analysis import report
from tests.paths import SAMPLE_DIR

pypdf = pytest.importorskip("pypdf")

LONG_NAME = "X" * 125
RLO = "\u202e"


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, server):
    root = tmp_path_factory.mktemp("hostile")
    data = root / "squad"
    shutil.copytree(SAMPLE_DIR, data)
    port = server.server_address[1]
    secret = root / "secret.txt"
    secret.write_text("TOPSECRET-CONTENT\n")
    evil_css = root / "evil.css"
    evil_css.write_text("body { background: red }\n")
    with open(data / "runners.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    hostile_text = {
        "R01": {"name": f"<img src=http://127.0.0.1:{port}/img.png><script>alert(1)</script>"},
        "R02": {"group": f"<link rel=attachment href=file://{secret}>"},
        "R03": {"name": f"<link rel=stylesheet href=file://{evil_css}>"},
        "R05": {"group": "ctl $\\undefinedmacro{x}$", "name": "David \U0001f3c3 Schmidt"},
        "R06": {"name": LONG_NAME},
        "R07": {"name": f"Ana {RLO}reversed"},
        "R08": {"name": f"<img src=file://{secret}>"},
    }
    for row in rows:
        row.update(hostile_text.get(row["runner_id"], {}))
    with open(data / "runners.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    pdf = report.render_reports(
        data,
        root / "pdf",
        runner_ids=["R01", "R02", "R05", "R06", "R07", "R08"],
        squad=True,
        workers=1,
        progress=False,
    )
    html = report.render_reports(
        data,
        root / "html",
        runner_ids=["R01"],
        squad=True,
        fmt="html",
        workers=1,
        progress=False,
    )
    return pdf, html


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_every_hostile_report_renders(hostile):
    pdf, html = hostile
    assert pdf.failed == [] and sorted(pdf.ok) == [
        "R01",
        "R02",
        "R05",
        "R06",
        "R07",
        "R08",
        "squad",
    ]
    assert html.failed == []


def test_no_local_file_is_embedded_and_nothing_is_fetched(hostile):
    pdf, _ = hostile
    for path in pdf.paths.values():
        reader = pypdf.PdfReader(path)
        assert reader.attachments == {}
        raw = path.read_bytes()
        assert b"TOPSECRET" not in raw
    assert _Recorder.requests == []


def test_user_markup_is_printed_as_text(hostile):
    pdf, _ = hostile
    squad = _text(pdf.paths["squad"])
    assert "\\<" not in squad and "\\>" not in squad  # no stray escapes
    # R02's group label is neither strength nor control: its report's notes quote it
    # (the squad report shows the group it was read as)
    r02 = _text(pdf.paths["R02"])
    assert "group '<link rel=attachment" in r02  # shown, not obeyed
    assert "\\<" not in r02 and "\\>" not in r02
    r01 = _text(pdf.paths["R01"])
    assert "<script>alert(1)</script>" in r01


def test_html_has_no_raw_user_markup_and_a_strict_csp(hostile):
    _, html = hostile
    page = html.paths["R01"].read_text()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<img src=http://127.0.0.1" not in page
    assert 'href="http://127' not in page  # no autolink made of user text


def test_bidirectional_override_is_removed(hostile):
    pdf, _ = hostile
    for name in ("R07", "squad"):
        text = _text(pdf.paths[name])
        assert RLO not in text
        assert "Ana reversed" in text


def test_a_long_name_wraps_inside_the_page(hostile):
    pdf, _ = hostile
    reader = pypdf.PdfReader(pdf.paths["squad"])
    width = float(reader.pages[0].mediabox.width)
    positions = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            positions.append(tm[4] * cm[0] + cm[4])

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert positions and max(positions) < width  # nothing starts beyond the page edge
    # the table keeps its short words whole: "improved", "control" are not broken
    squad = _text(pdf.paths["squad"])
    assert "improved" in squad and "inconclusive" in squad
    assert "&gt;" not in squad and "&lt;" not in squad  # entities never printed


def test_table_cells_drop_bidi_controls_and_break_long_words():
    from analysis.tables import table_cell

    assert table_cell(f"Ana {RLO}reversed") == "Ana reversed"
    assert table_cell("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    cell = table_cell(LONG_NAME)
    assert cell.replace("\u200b", "") == LONG_NAME and cell.count("\u200b") == 10


EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


@pytest.mark.skipif(
    not (os.path.exists(EMOJI_FONT) and shutil.which("pdftoppm")),
    reason="emoji font or pdftoppm not installed",
)
def test_emoji_are_drawn_with_an_emoji_font(hostile, tmp_path):
    """The reports are greyscale: colour on the runners' table page is the emoji."""
    from PIL import Image

    pdf, _ = hostile
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(pdf.paths["squad"]), str(tmp_path / "p")], check=True
    )
    colourful = 0
    for page in sorted(tmp_path.glob("p-*.png")):
        rgb = np.asarray(Image.open(page).convert("RGB")).astype(int)
        colourful += int((rgb.max(axis=2) - rgb.min(axis=2) > 60).sum())
    assert colourful > 20


def test_figure_labels_name_emoji_instead_of_drawing_boxes():
    from analysis.formatting import figure_text

    assert figure_text("Ana \U0001f3c3\u200d\u2640\ufe0f R01") == "Ana [runner] R01"


def test_figure_labels_are_shortened_so_the_axis_stays_on_the_figure():
    import pandas as pd

    from analysis import plots
    from analysis.formatting import FIGURE_LABEL_CHARS, figure_text

    long = "<link rel=attachment href=file:///" + "x" * 200 + ">"
    assert len(figure_text(long)) == FIGURE_LABEL_CHARS and figure_text(long).endswith("\u2026")
    results = pd.DataFrame(
        [
            {
                "runner_id": "R01",
                "group": long,
                "method": "field_hr",
                "o2_cost_change_pct": -3.0,
                "ci_low_pct": -6.0,
                "ci_high_pct": 0.5,
                "verdict": "inconclusive",
            }
        ]
    )
    fig = plots.forest_plot(results)  # raised "left cannot be >= right" before
    assert 0 < fig.subplotpars.left < fig.subplotpars.right
