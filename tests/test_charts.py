"""Report charts (analysis.charts), their alt text (analysis.describe) and how the
HTML exporter embeds them (analysis.report: JSON as data, ids, CSP hashes)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import charts, describe, report
from analysis.blocks import runner_blocks
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from analysis.schema import CHART_MIME
from tests.paths import SAMPLE_DIR


@pytest.fixture(scope="module")
def r01():
    squad = load_dataset(SAMPLE_DIR)
    blocks = runner_blocks(squad)
    data = squad.for_runner("R01")
    metrics = run_metrics(data)
    results, fits = analyze(squad, ["R01"], metrics=metrics, blocks=blocks, return_fits=True)
    block = blocks.loc[blocks["runner_id"] == "R01"].iloc[0]
    return data, metrics, fits["R01"].frame, block, results.iloc[0]


@given(st.text())
def test_script_json_cannot_end_its_script_element(text):
    encoded = report.script_json({"name": text, "nested": [text, {"id": text}]})
    assert not set(encoded) & set("<>&\u2028\u2029")
    assert "</" not in encoded and "<!--" not in encoded
    assert json.loads(encoded) == {"name": text, "nested": [text, {"id": text}]}


def test_script_json_refuses_nan():
    with pytest.raises(ValueError):
        report.script_json({"x": float("nan")})  # JSON.parse would fail on NaN


def test_chart_ids_are_renumbered_per_chart_and_stable():
    item = {
        "target_id": None,
        "root_id": "p1043",
        "doc": {"roots": [{"type": "object", "id": "p1043", "attributes": {"x": {"id": "p7"}}}]},
    }
    first = report._renumber_ids(item, prefix="c1-")
    assert first["root_id"] == "c1-1"
    assert first["doc"]["roots"][0]["attributes"]["x"] == {"id": "c1-2"}
    assert report._renumber_ids(item, prefix="c2-")["root_id"] == "c2-1"
    assert item["root_id"] == "p1043"  # the notebook's output is left as it was


def test_chart_markup_escapes_the_alt_text_and_carries_the_json_as_data():
    payload = {"item": {"doc": {"t": "</script><b>x</b>"}, "root_id": "r"}, "alt": "<b>a</b> & 5 %"}
    markup = report.chart_markup(payload, 3)
    assert '<figcaption class="runeco-alt">&lt;b&gt;a&lt;/b&gt; &amp; 5 %</figcaption>' in markup
    assert 'data-target="runeco-chart-3"' in markup and 'id="runeco-chart-3"' in markup
    assert "</script><b>" not in markup
    assert markup.count("</script>") == 1


def test_the_csp_lists_the_sha256_of_each_script_and_nothing_else():
    scripts = ["console.log(1)", report.EMBED_JS]
    csp = report.content_security_policy(scripts)
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()[1:]
    expected = [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    ]
    assert script_src == expected
    assert "unsafe-eval" not in csp and "default-src 'none'" in csp


def test_notebook_to_html_embeds_charts_only_when_there_are_some():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>static</p>", "text/plain": "static"}
        )
    ]
    nb.cells.append(cell)
    plain = report.notebook_to_html(nb)
    assert "<script" not in plain
    assert "script-src" not in plain and "default-src 'none'" in plain  # the print policy
    cell.outputs.append(
        nbformat.v4.new_output(
            "display_data",
            data={CHART_MIME: {"item": {"root_id": "p1", "doc": {}}, "alt": "a chart of 3 runs"}},
        )
    )
    page = report.notebook_to_html(nb)
    assert page.count('<figure class="runeco-chart">') == 1
    assert "script-src 'sha256-" in page
    assert report.bokeh_js() in page and report.EMBED_JS in page


def test_bokeh_js_is_the_core_bundle_only():
    js = report.bokeh_js()
    assert "bokeh.min.js" in js[:200]
    assert "bokeh-widgets" not in js[:200] and len(js) < 2_000_000


def test_a_chart_holds_one_figure_or_one_item():
    with pytest.raises(ValueError, match="exactly one"):
        charts.Chart("alt")


def test_interactive_chart_output_is_the_chart_type_with_its_alt_text(r01):
    data, metrics, frame, block, field = r01
    chart = charts.economy_over_time(frame, block, field, metrics, data.runs, interactive=True)
    bundle = chart._repr_mimebundle_()
    assert set(bundle) == {CHART_MIME, "text/plain"}
    assert bundle[CHART_MIME]["alt"] == chart.alt == bundle["text/plain"]
    assert bundle[CHART_MIME]["item"]["doc"]["roots"]


def test_static_chart_is_the_print_figure_with_alt_metadata(r01):
    data, metrics, frame, block, field = r01
    chart = charts.hr_vs_pace(metrics, block, frame, data.runs)
    data_bundle, metadata = chart._repr_mimebundle_()
    assert data_bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["image/png"]["alt"] == describe.hr_vs_pace(metrics, block)
    assert not chart.interactive


def test_run_table_says_why_each_run_was_left_out(r01):
    data, metrics, frame, block, field = r01
    table = charts.run_table(
        frame.assign(period=frame["period"].mask(frame.index == 0, "outside")), metrics
    )
    assert table.loc[0, "status"] == "outside the baseline and block: not analysed (interval)"
    assert set(table.loc[1:, "status"]) == {
        "used by the model",
        "left out: interval",
        "left out: race",
    }
    assert table["hr_text"].str.fullmatch(r"\d+ bpm").all()


def test_alt_texts_carry_the_key_numbers(r01):
    data, metrics, frame, block, field = r01
    economy = describe.economy_over_time(frame, block, field)
    assert "70 steady runs used by the model" in economy
    assert "11 runs left out (7 interval, 4 race)" in economy
    assert "from 178 ml/kg/km in the baseline to 170 at the end of the block" in economy
    assert "16 Feb 2026 to 26 Apr 2026" in economy
    pace = describe.hr_vs_pace(metrics, block)
    assert (
        "baseline: 26 steady runs" in pace and "last 4 weeks of the block: 16 steady runs" in pace
    )


# --------------------------------------------------------------------------- print PNG


def _matplotlib_png_on(figure, colour):
    """Matplotlib's own PNG of ``figure`` at 150 dpi, composited on ``colour``."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    image = Image.open(buffer)
    opaque = Image.new("RGB", image.size, colour)
    opaque.paste(image, mask=image.getchannel("A"))
    return np.asarray(opaque).astype(int)


@pytest.mark.parametrize(
    ("size", "face", "colour"),
    [
        ((6.9, 2.5), "white", (255, 255, 255)),
        ((2.3, 1.7), "white", (255, 255, 255)),  # 2.3 x 150 = 344.99...: 345 px, as matplotlib
        ((3.3333, 2.2222), "#ffeedd", (255, 238, 221)),
        ((4.0, 3.0), "none", (255, 255, 255)),  # a transparent face prints on white
    ],
)
def test_figure_png_is_matplotlibs_image_without_alpha(size, face, colour):
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    figure, ax = plt.subplots(figsize=size, facecolor=face)
    ax.plot(np.sin(np.linspace(0, 6, 50)), marker="o")
    ax.set_title("economy")
    figure.canvas.draw()  # lay out once, so both images below come from the same layout
    try:
        expected = _matplotlib_png_on(figure, colour)
        data = charts.figure_png(figure)
    finally:
        plt.close(figure)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.mode == "RGB"
        assert image.size == (expected.shape[1], expected.shape[0])
        got = np.asarray(image).astype(int)
    assert np.abs(got - expected).max() <= 1  # the same pixels (alpha compositing rounds)
    assert abs(image.info["dpi"][0] - 150) < 0.5


def test_png_rgb_is_a_png_of_these_pixels_that_goes_into_a_pdf_as_it_is():
    import io

    import numpy as np
    from PIL import Image

    from analysis.report import png_stream_data

    pixels = np.random.default_rng(3).integers(0, 256, size=(23, 37, 3), dtype=np.uint8)
    data = charts.png_rgb(pixels, 150)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (37, 23))
        assert np.array_equal(np.asarray(image), pixels)
        assert abs(image.info["dpi"][0] - 150) < 0.5
    # the IDAT data is a PDF image stream's (no filter search needed to read it back)
    assert png_stream_data(data, "RGB") is not None
    with pytest.raises(ValueError, match="RGB"):
        charts.png_rgb(np.zeros((2, 2, 4), dtype=np.uint8), 150)
