"""A report worker's own costs (issue 14, item 5): what it imports and how it exports."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import report
from analysis.schema import CHART_MIME

_PROBE = """
import ctypes.util, json, subprocess, sys, threading
spawned = []
start = subprocess.Popen._execute_child
def counting(self, args, *rest, **kw):
    spawned.append(str(args[0] if isinstance(args, (list, tuple)) else args))
    return start(self, args, *rest, **kw)
subprocess.Popen._execute_child = counting
search = ctypes.util.find_library
{before}
from analysis.report import _import_export_modules
_import_export_modules(pdf=True)
from weasyprint.text import ffi  # Pango and co. loaded
state = {{
    "spawned": len(spawned),
    "pyarrow": "pyarrow" in sys.modules,
    "numpy": "numpy" in sys.modules,
    "find_library_restored": ctypes.util.find_library is search,
}}
state["format_checkers"] = sorted(
    m for m in ("isoduration", "arrow", "webcolors", "jsonpointer") if m in sys.modules
)
import pyarrow  # still importable afterwards
import isoduration
state["pyarrow_after"] = pyarrow.__name__
state["isoduration_after"] = isoduration.__name__
print(json.dumps(state))
"""


def _probe(before: str = "") -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(before=before)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *printed, last = done.stdout.strip().splitlines() or [""]
    return json.loads(last), "\n".join(printed)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the library search is Linux's")
def test_a_worker_imports_papermill_and_weasyprint_without_pyarrow_or_a_library_search():
    # papermill's optional HDFS handler pulled in pyarrow and numpy (~0.25 s CPU), and
    # WeasyPrint's library names ran ldconfig, gcc and ld about 200 times (~0.15 s CPU)
    state, printed = _probe()
    assert state == {
        "spawned": 0,
        "pyarrow": False,
        "numpy": False,
        "find_library_restored": True,
        "format_checkers": [],  # jsonschema's, for formats nbformat never checks (~70 ms)
        "pyarrow_after": "pyarrow",
        "isoduration_after": "isoduration",
    }
    assert printed == ""


def test_with_another_thread_running_nothing_is_skipped():
    # a Dask worker's other tasks may import at the same moment: no module marked absent there
    state, _ = _probe(
        "stop = threading.Event()\nthreading.Thread(target=stop.wait, daemon=True).start()"
    )
    assert state["pyarrow"] is True
    assert state["find_library_restored"] is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the library search is Linux's")
def test_weasyprint_is_imported_with_the_search_when_a_soname_does_not_load():
    # a system whose libraries only the search finds: the first import fails
    # silently (WeasyPrint's printed advice is swallowed) and the usual one follows
    state, printed = _probe(
        "import cffi\n"
        "dlopen = cffi.FFI.dlopen\n"
        "def only_with_search(self, name, *args):\n"
        "    if ctypes.util.find_library is not search:\n"
        "        raise OSError(f'cannot load library {name!r}')\n"
        "    return dlopen(self, name, *args)\n"
        "cffi.FFI.dlopen = only_with_search"
    )
    assert state["find_library_restored"] is True
    assert state["spawned"] > 0  # the search ran: the import that works
    assert printed == ""


def test_print_html_leaves_the_executed_notebook_as_it_was():
    chart = {"item": {"doc": {"roots": [{"id": "p1001"}]}, "root_id": "p1001"}, "alt": "a chart"}
    nb = new_notebook(
        cells=[
            new_code_cell(
                "x",
                outputs=[
                    new_output("stream", name="stderr", text="a warning\n"),
                    new_output("stream", name="stdout", text="kept\n"),
                    new_output("display_data", data={CHART_MIME: chart, "text/plain": "a chart"}),
                    new_output("error", ename="ValueError", evalue="boom", traceback=[]),
                ],
            )
        ]
    )
    before = copy.deepcopy(nb)
    html = report.notebook_to_html(nb)
    assert nb == before  # no copy of the notebook is made: nothing may change in it
    assert "kept" in html
    assert "a warning" not in html and "boom" not in html
    assert 'id="runeco-chart-1"' in html and "c1-1" in html


def _png(width: int, height: int, colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    with io.BytesIO() as buffer:
        Image.new("RGB", (width, height), colour).save(buffer, format="png")
        return buffer.getvalue()


def _page_images(pdf_path) -> list[tuple[int, int]]:
    pypdf = pytest.importorskip("pypdf")
    page = pypdf.PdfReader(str(pdf_path)).pages[0]
    return sorted((image.image.width, image.image.height) for image in page.images)


def test_embedded_figures_reach_the_pdf_by_reference_with_their_bytes(tmp_path):
    import base64

    pngs = [_png(40, 30), _png(50, 20, (0, 90, 200))]
    html = (
        "<html><body>"
        + "".join(
            f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(p).decode()}">'
            for p in pngs
        )
        + "</body></html>"
    )
    referenced, images = report._images_by_reference(html)
    assert "base64" not in referenced  # WeasyPrint's parser no longer reads them
    assert list(images.values()) == pngs
    assert referenced.count('src="runeco-image:') == 2
    report.html_to_pdf(html, tmp_path / "figures.pdf")
    assert _page_images(tmp_path / "figures.pdf") == [(40, 30), (50, 20)]


def test_an_image_name_the_document_does_not_carry_is_refused(tmp_path):
    # only this document's own PNGs are served by name; nothing else, as before
    fetcher = report.safe_url_fetcher({"runeco-image:1": _png(4, 4)})
    with pytest.raises(ValueError):
        fetcher("runeco-image:2")
    with pytest.raises(ValueError):
        fetcher("file:///etc/passwd")
    report.html_to_pdf(
        '<html><body><p>text</p><img alt="x" src="runeco-image:1"></body></html>',
        tmp_path / "none.pdf",
    )
    assert _page_images(tmp_path / "none.pdf") == []


def _frozen_objects(_item) -> int:
    import gc

    return gc.get_freeze_count()


def test_a_pool_worker_freezes_what_it_loaded_and_a_calling_process_does_not(tmp_path):
    # the full collections during each report's export then skip the worker's modules
    # (~40 ms per report); a process that calls render_reports keeps its own GC as it is
    import gc
    from functools import partial

    from analysis.execution import ProcessBackend

    config = report._WorkerConfig(
        out_dir=str(tmp_path),
        fmt="ipynb",
        fresh_kernels=True,  # no kernel: only the worker's own start
        timeout_s=60.0,
        runner_id_pattern=report.RUNNER_ID_PATTERN,
    )
    setup = partial(report._start_worker, config)
    pool = ProcessBackend(2, setup=setup)
    try:
        frozen = [n for _, n in pool.map_unordered(_frozen_objects, [1, 2])]
    finally:
        pool.close()
    assert all(isinstance(n, int) and n > 10_000 for n in frozen), frozen
    before = gc.get_freeze_count()
    here = ProcessBackend(1, setup=setup)  # workers=1: this very process
    try:
        assert [n for _, n in here.map_unordered(_frozen_objects, [1])] == [before]
    finally:
        here.close()


def _noisy_png(width: int, height: int, **save) -> tuple[bytes, object]:
    """A PNG of varied pixels (rows that filter differently) and its image."""
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    pixels[: height // 2] //= 64  # flat areas too, as in a chart
    image = Image.fromarray(pixels, "RGB")
    with io.BytesIO() as buffer:
        image.save(buffer, format="png", **save)
        return buffer.getvalue(), image


def _pdf_image_streams(pdf_path) -> list:
    pypdf = pytest.importorskip("pypdf")
    page = pypdf.PdfReader(str(pdf_path)).pages[0]
    objects = page["/Resources"]["/XObject"]
    return [objects[name].get_object() for name in sorted(objects)]


def test_a_figure_png_goes_into_the_pdf_as_it_is_with_the_same_pixels(tmp_path):
    # WeasyPrint decoded and recompressed every figure (~50 ms a report); an 8-bit RGB
    # PNG's IDAT data is what the PDF's image stream holds, so it goes in unchanged
    import base64

    from matplotlib.figure import Figure

    from analysis.charts import figure_png

    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1])
    chart = figure_png(fig)
    noisy, noisy_image = _noisy_png(37, 23, compress_level=1)
    html = "".join(
        f'<img alt="f" src="data:image/png;base64,{base64.b64encode(p).decode()}">'
        for p in (chart, noisy)
    )
    report.html_to_pdf(f"<html><body>{html}</body></html>", tmp_path / "f.pdf")
    streams = _pdf_image_streams(tmp_path / "f.pdf")
    raw = sorted(bytes(s._data) for s in streams)
    expected = sorted(report.png_stream_data(p, "RGB") for p in (chart, noisy))
    assert None not in expected and raw == expected
    decoded = {(s["/Width"], s["/Height"]): s.decode_as_image() for s in streams}
    assert decoded[(37, 23)].convert("RGB").tobytes() == noisy_image.tobytes()


def _with_header(png: bytes, *, depth=8, colour=2, interlace=0) -> bytes:
    at = png.index(b"IHDR") + 4 + 8  # after the type, width and height
    return png[:at] + bytes([depth, colour, 0, 0, interlace]) + png[at + 5 :]


def test_only_8_bit_rgb_or_grey_pngs_without_interlacing_go_in_as_they_are():
    png, _ = _noisy_png(21, 13)
    assert report.png_stream_data(png, "RGB") is not None
    assert report.png_stream_data(png, "RGBA") is None  # a mode it does not take
    assert report.png_stream_data(_with_header(png, interlace=1), "RGB") is None
    assert report.png_stream_data(_with_header(png, depth=16), "RGB") is None
    assert report.png_stream_data(_with_header(png, colour=6), "RGB") is None  # alpha
    assert report.png_stream_data(_with_header(png, colour=0), "L") is not None
    assert report.png_stream_data(png[:-12], "RGB") is None  # truncated: no IEND
    assert report.png_stream_data(png[:40], "RGB") is None  # cut inside a chunk
    assert report.png_stream_data(b"GIF89a" + png[6:], "RGB") is None


@pytest.mark.parametrize("mode", ["RGBA", "P", "L;4"])
def test_any_other_png_takes_weasyprints_own_path_with_the_same_pixels(tmp_path, mode):
    import base64
    import io

    from PIL import Image

    _, image = _noisy_png(21, 13)
    image = image.convert(mode.split(";")[0])
    with io.BytesIO() as buffer:
        image.save(buffer, format="png", **({"bits": 4} if mode == "L;4" else {}))
        png = buffer.getvalue()
    assert report.png_stream_data(png, Image.open(io.BytesIO(png)).mode) is None
    src = base64.b64encode(png).decode()
    report.html_to_pdf(
        f'<html><body><img alt="f" src="data:image/png;base64,{src}"></body></html>',
        tmp_path / "f.pdf",
    )
    (stream,) = _pdf_image_streams(tmp_path / "f.pdf")
    shown = stream.decode_as_image()
    expected = Image.open(io.BytesIO(png)).convert("RGB")
    assert shown.size == (21, 13)
    assert shown.convert("RGB").tobytes() == expected.tobytes()


def test_the_stylesheet_parsed_once_prints_the_same_pdf_as_the_one_in_the_page(tmp_path):
    # WeasyPrint parsed the page's <style> for every report (~25 ms); the worker's
    # pages go without it and WeasyPrint gets the stylesheet it parsed once
    import base64

    from matplotlib.figure import Figure
    from nbformat.v4 import new_markdown_cell

    from analysis.charts import figure_png

    pdftoppm = pytest.importorskip("shutil").which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1])
    png = base64.b64encode(figure_png(fig)).decode()
    rows = "".join(f"<tr><td>R{i:02d}</td><td>{i * 1.5:.1f}</td></tr>" for i in range(40))
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Runner R01\n\nA paragraph " * 20),
            new_code_cell(
                "x",
                outputs=[
                    new_output("display_data", data={"image/png": png, "text/plain": "fig"}),
                    new_output(
                        "display_data",
                        data={"text/html": f'<table class="runeco"><tbody>{rows}</tbody></table>'},
                    ),
                ],
            ),
            new_markdown_cell("## Methods\n\n" + "Small print. " * 200),
        ]
    )
    inline = report.notebook_to_html(nb, title="R01")
    bare = report.notebook_to_html(nb, title="R01", inline_css=False)
    assert report.print_css() in inline and report.print_css() not in bare
    report.html_to_pdf(inline, tmp_path / "inline.pdf")
    report.html_to_pdf(bare, tmp_path / "parsed.pdf", print_stylesheet=True)
    report.html_to_pdf(bare, tmp_path / "none.pdf")  # the stylesheet matters at all

    def pages(name: str) -> list[bytes]:
        subprocess.run(
            [pdftoppm, "-r", "40", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
            check=True,
        )
        return [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.png"))]

    assert len(pages("inline")) >= 2
    assert pages("parsed") == pages("inline")
    assert pages("none") != pages("inline")


def test_the_print_exporter_leaves_out_only_nbconverts_closing_soup_pass():
    # the page for WeasyPrint is not parsed and written out again by BeautifulSoup
    # (~17 ms a report); written out by it, it is the HTML format's page to the byte
    import base64

    from bs4 import BeautifulSoup
    from matplotlib.figure import Figure
    from nbformat.v4 import new_markdown_cell

    from analysis.charts import figure_png

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    png = base64.b64encode(figure_png(fig)).decode()
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "# R01 & co\n\nText <b>bold</b> &nbsp; and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
            ),
            new_code_cell(
                "x",
                outputs=[
                    new_output(
                        "display_data",
                        data={"image/png": png, "text/plain": "fig"},
                        metadata={"image/png": {"alt": "a chart"}},
                    ),
                    new_output(
                        "display_data",
                        data={"text/html": "<table><tr><td>1<br>2</td></tr></table>"},
                    ),
                    new_output("stream", name="stdout", text="kept <here>\n"),
                ],
            ),
        ]
    )
    normal = report.notebook_to_html(nb, exporter=report.make_html_exporter())
    fast = report.notebook_to_html(nb, exporter=report.make_html_exporter(for_print=True))
    assert fast != normal  # the pass is really left out
    assert str(BeautifulSoup(fast, features="html.parser")) == normal


def test_the_kept_font_configuration_prints_the_pdf_a_new_one_prints(tmp_path):
    # a FontConfiguration per document loaded and measured the fonts again for every
    # report (~25 ms); the worker keeps one, and each PDF is byte for byte the same
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    html = report.notebook_to_html(
        new_notebook(
            cells=[
                new_markdown_cell("# Runner R01\n\n**Bold**, *italic* and `code`. " * 30),
                new_markdown_cell("## Methods\n\n" + "Small print. " * 200),
            ]
        ),
        title="R01",
    )
    assert report.font_config() is report.font_config()  # one per thread, kept
    first = report.html_to_pdf(html, tmp_path / "first.pdf").read_bytes()
    again = report.html_to_pdf(html, tmp_path / "again.pdf").read_bytes()
    fresh = weasyprint.HTML(string=html, url_fetcher=report.safe_url_fetcher()).write_pdf(
        font_config=FontConfiguration()
    )
    assert first == again == fresh


def test_glyph_arrays_are_made_without_a_c_parse_and_the_pdf_is_the_same(tmp_path, monkeypatch):
    # WeasyPrint's font subsetting asked cffi for "hb_codepoint_t[n]" with a new n for
    # nearly every font of every PDF, and cffi parsed C for each (~2 ms)
    from weasyprint.text.ffi import ffi

    html = report.notebook_to_html(
        new_notebook(cells=[new_markdown_cell("# Glyphs\n\n**Bold** *italic* `mono` äöü ñ " * 9)]),
        title="glyphs",
    )
    first = report.html_to_pdf(html, tmp_path / "first.pdf").read_bytes()
    assert getattr(ffi.new, "runeco", False)
    values = [3, 5, 8]
    array = ffi.new("hb_codepoint_t[3]", values)
    assert list(array) == values and len(array) == 3
    assert ffi.typeof(array) is ffi.typeof("hb_codepoint_t[]")  # the open array type
    assert list(ffi.new("hb_codepoint_t[4]", values)) == [*values, 0]  # another length: cffi's
    assert ffi.typeof(ffi.new("int[2]")) is ffi.typeof("int[2]")
    patched = ffi.__dict__.pop("new")
    monkeypatch.setattr(report, "_open_codepoint_arrays", lambda: None)  # cffi's own, this once
    try:
        plain = report.html_to_pdf(html, tmp_path / "plain.pdf").read_bytes()
        assert not getattr(ffi.new, "runeco", False)
    finally:
        ffi.new = patched
    assert first == plain


def _figure_and_notes(lines: int) -> str:
    """A figure of about four fifths of an A4 page, then ``lines`` short paragraphs."""
    import base64

    figure = base64.b64encode(_png(1000, 1300)).decode()
    notes = "".join(f"<p>Note {i} on the settings.</p>" for i in range(lines))
    return (
        f'<html><body><img alt="figure" src="data:image/png;base64,{figure}">{notes}</body></html>'
    )


def _pages(pdf_path) -> int:
    pypdf = pytest.importorskip("pypdf")
    return len(pypdf.PdfReader(str(pdf_path)).pages)


def test_a_report_that_would_end_on_a_nearly_empty_page_prints_smaller_figures(tmp_path):
    import weasyprint

    html = _figure_and_notes(10)
    plain = weasyprint.HTML(string=html).render(stylesheets=[report.parsed_print_css()])
    assert len(plain.pages) == 2 and report.last_page_fill(plain) < report.SPARE_PAGE_FILL
    report.html_to_pdf(html, tmp_path / "compact.pdf", print_stylesheet=True)
    assert _pages(tmp_path / "compact.pdf") == 1
    assert _page_images(tmp_path / "compact.pdf") == [
        (1000, 1300)
    ]  # the same figure, drawn smaller


def test_a_well_filled_last_page_or_one_smaller_figures_cannot_save_is_kept(tmp_path, monkeypatch):
    import weasyprint

    html = _figure_and_notes(30)  # half of page 2
    filled = weasyprint.HTML(string=html).render(stylesheets=[report.parsed_print_css()])
    assert len(filled.pages) == 2 and report.last_page_fill(filled) > 0.4

    def never(scale):
        raise AssertionError("a well-filled page was printed again")

    with monkeypatch.context() as patched:
        patched.setattr(report, "compact_css", never)
        report.html_to_pdf(html, tmp_path / "filled.pdf", print_stylesheet=True)
    assert _pages(tmp_path / "filled.pdf") == 2
    # text alone spilling a line: smaller figures cannot help, the pages stay as they were
    text = "".join(f"<p>Line {i}.</p>" for i in range(200))
    report.html_to_pdf(
        f"<html><body>{text}</body></html>", tmp_path / "text.pdf", print_stylesheet=True
    )
    only_text = weasyprint.HTML(string=f"<html><body>{text}</body></html>").render(
        stylesheets=[report.parsed_print_css()]
    )
    assert _pages(tmp_path / "text.pdf") == len(only_text.pages) > 1


def test_the_last_page_fill_is_read_from_the_layout_or_taken_as_full():
    import weasyprint

    short = weasyprint.HTML(string="<p>one line</p>").render(
        stylesheets=[report.parsed_print_css()]
    )
    assert 0.0 < report.last_page_fill(short) < 0.05
    assert report.last_page_fill(object()) == 1.0  # not a layout it can read: nothing is tried
