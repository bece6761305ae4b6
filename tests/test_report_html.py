"""The interactive HTML report (`runeco report --format html`, issue 13 item 6).

The sample squad with hostile text in runners.csv (names) and runs.csv (a run
id and a notes column) is rendered once, every runner and the squad, and
the pages are read as files: one self-contained file each, nothing loaded
from elsewhere, hover data for every run, alt text on every figure, a CSP
whose hashes are exactly the page's inline scripts, and no user text as markup.
(The same pages in a real browser: `make check-html`, tools/check_html.py.)
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from analysis import report
from analysis.blocks import runner_blocks
from analysis.formatting import format_date
from analysis.io import load_dataset
from analysis.metrics import run_metrics
from analysis.models import analyze
from tests.paths import SAMPLE_DIR

pytestmark = pytest.mark.slow

IMG = "<img src=x onerror=alert(1)>"
CLOSE = "</script><script>alert(1)</script>"
HOSTILE_RUN_ID = "</script><img src=x onerror=alert(2)>"
SHOWN = ["R01", "R02", "R03"]
"""The runners rendered (the squad report of the three): R01 and R02 carry the hostile text."""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    data = root / "squad"
    shutil.copytree(SAMPLE_DIR, data)
    with open(data / "runners.csv", newline="") as f:
        runners = list(csv.DictReader(f))
    names = {"R01": IMG, "R02": CLOSE}
    for row in runners:
        row["name"] = names.get(row["runner_id"], row["name"])
    _write(data / "runners.csv", runners)
    with open(data / "runs.csv", newline="") as f:
        runs = list(csv.DictReader(f))
    r01 = [row for row in runs if row["runner_id"] == "R01"]
    for row in runs:
        row["notes"] = ""
    r01[1]["notes"] = CLOSE
    r01[2]["notes"] = IMG
    r01[3]["run_id"] = HOSTILE_RUN_ID
    _write(data / "runs.csv", runs)
    out = root / "out"
    summary = report.render_reports(
        data, out, runner_ids=SHOWN, squad=True, fmt="html", workers=1, progress=False
    )
    assert summary.failed == [], summary.format()
    pages = {name: (out / f"{name}.html").read_text(encoding="utf-8") for name in ("R01", "squad")}
    return data, out, pages


def _write(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


class _Page(HTMLParser):
    """Tags with their attributes, and the text of every <script> and <figcaption>."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.captions: list[str] = []
        self._in: str | None = None
        self._attrs: dict = {}
        self._text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "figcaption"):
            self._in, self._attrs, self._text = tag, dict(attrs), []

    def handle_endtag(self, tag):
        if tag == self._in == "script":
            self.scripts.append((self._attrs, "".join(self._text)))
        elif tag == self._in == "figcaption":
            self.captions.append("".join(self._text))
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def _raw_scripts(page: str) -> list[tuple[str, str]]:
    """(opening tag, exact text) of every <script> element, as the browser hashes it."""
    return re.findall(r"(<script[^>]*>)(.*?)</script>", page, flags=re.S)


def _without_scripts(page: str) -> str:
    return re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)


def _chart_items(page: str) -> list[dict]:
    return [
        json.loads(text)
        for tag, text in _raw_scripts(page)
        if 'type="application/json"' in tag and "runeco-chart-data" in tag
    ]


def _objects(value, name: str):
    """Every serialized Bokeh object called ``name`` in a json_item."""
    if isinstance(value, dict):
        if value.get("name") == name and value.get("type") == "object":
            yield value
        for inner in value.values():
            yield from _objects(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _objects(inner, name)


def _columns(source: dict) -> dict:
    data = source["attributes"]["data"]
    return {key: value for key, value in data["entries"]}


def test_each_report_is_one_file_that_loads_nothing_from_elsewhere(rendered):
    _, out, pages = rendered
    names = [*SHOWN, "squad"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.{ext}" for n in names for ext in ("html", "ipynb")
    )
    for name, page in pages.items():
        parsed = _Page(page)
        for tag, attrs in parsed.tags:
            assert tag not in ("link", "iframe", "object", "embed", "base"), (name, tag)
            for attribute in ("src", "href", "action", "poster", "srcset"):
                value = (attrs.get(attribute) or "").strip().lower()
                assert not value or value.startswith("data:") or value.startswith("#"), (
                    name,
                    tag,
                    attribute,
                    value[:60],
                )
        # nothing loaded by CSS or by an attribute the parser might not name (BokehJS's own
        # code names URLs it never loads here, e.g. MathJax's: the CSP would refuse them)
        markup = _without_scripts(page)
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//|file:)""", markup, re.I)
        assert not re.search(r"url\(\s*['\"]?\s*(https?:|//|file:)", markup, re.I)
        assert "@import" not in markup


def test_every_run_of_the_runner_has_its_hover_fields(rendered):
    data, _, pages = rendered
    squad = load_dataset(data)
    metrics = run_metrics(squad.for_runner("R01"))
    _, fits = analyze(
        squad, ["R01"], metrics=metrics, blocks=runner_blocks(squad), return_fits=True
    )
    frame = fits["R01"].frame.merge(metrics[["run_id", "temp_c"]].rename(columns={"temp_c": "t"}))
    economy = _chart_items(pages["R01"])[0]
    rows = {}
    for source in _objects(economy, "ColumnDataSource"):
        columns = _columns(source)
        if "date_text" in columns:
            for i, run in enumerate(columns["run_text"]):
                rows[run] = {
                    key: values[i]
                    for key, values in columns.items()
                    if key.endswith("_text") or key == "status"
                }
    assert len(frame) == 81
    for run in frame.itertuples(index=False):
        row = rows[run.run_id]  # every run of the log is drawn, used or not
        assert row["date_text"] == format_date(run.date, "%a %d %b %Y %H:%M")
        assert re.fullmatch(r"\d+:\d\d/km \(grade-adjusted \d+:\d\d/km\)", row["pace_text"])
        assert re.fullmatch(r"\d+ bpm", row["hr_text"])
        assert row["temp_text"] == f"{run.t:.1f} °C".replace("-", "\u2212")
        expected = "used by the model" if run.used else f"left out: {run.exclude_reason}"
        assert row["status"] == expected
    assert {r["status"] for r in rows.values()} >= {"left out: interval", "left out: race"}
    hover = next(_objects(economy, "HoverTool"))["attributes"]["tooltips"]
    assert [label for label, _ in hover][:9] == [
        "date",
        "run",
        "type",
        "distance",
        "pace",
        "heart rate",
        "temperature",
        "oxygen cost",
        "model",
    ]
    legend = next(_objects(economy, "Legend"))["attributes"]
    assert legend["click_policy"] == "hide"  # a click hides or shows the runs left out


def test_the_economy_chart_draws_the_trend_and_its_band(rendered):
    _, _, pages = rendered
    economy = _chart_items(pages["R01"])[0]
    glyphs = {
        g["name"] for r in _objects(economy, "GlyphRenderer") for g in [r["attributes"]["glyph"]]
    }
    assert {"VArea", "Line", "Scatter"} <= glyphs
    labels = [item["attributes"]["label"]["value"] for item in _objects(economy, "LegendItem")]
    assert "left out by the model (reason on hover)" in labels
    assert "95 % CI of the runner's change" in labels


def test_the_squad_forest_plot_has_a_hover_per_runner(rendered):
    _, _, pages = rendered
    [forest] = _chart_items(pages["squad"])
    runners = []
    for source in _objects(forest, "ColumnDataSource"):
        columns = _columns(source)
        runners += columns.get("runner_text", [])
    assert sorted(set(runners)) == SHOWN
    names = [
        n for s in _objects(forest, "ColumnDataSource") for n in _columns(s).get("name_text", [])
    ]
    assert IMG in names and CLOSE in names  # the hostile names are there, as data


def test_every_figure_has_real_alt_text(rendered):
    _, _, pages = rendered
    for name, page in pages.items():
        parsed = _Page(page)
        images = [attrs for tag, attrs in parsed.tags if tag == "img"]
        figures = [attrs for tag, attrs in parsed.tags if tag == "figure"]
        assert figures and len(parsed.captions) == len(figures), name
        if name == "R01":
            assert len(images) >= 3 and len(figures) == 2
        for attrs in images:
            alt = attrs.get("alt") or ""
            assert len(alt) > 40 and "No description" not in alt, (name, alt)
            assert re.search(r"\d", alt), alt  # with its key numbers
        for caption in parsed.captions:
            assert len(caption) > 40 and re.search(r"\d", caption), caption
    economy_alt = _Page(pages["R01"]).captions[0]
    assert "70 steady runs used by the model" in economy_alt
    assert "11 runs left out (7 interval, 4 race)" in economy_alt


def test_the_csp_allows_exactly_the_inline_scripts(rendered):
    _, _, pages = rendered
    for name, page in pages.items():
        [csp] = [
            attrs["content"]
            for tag, attrs in _Page(page).tags
            if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
        ]
        directives = dict((d.split()[0], d.split()[1:]) for d in csp.split(";") if d.strip())
        assert directives["default-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        allowed = set(directives["script-src"])
        assert not allowed & {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:"}
        executable = [
            text
            for tag, text in _raw_scripts(page)
            if not re.search(r'type="(?!text/javascript)', tag)
        ]
        assert len(executable) == 2, name  # BokehJS and the embedding script, nothing else
        hashes = {
            "'sha256-" + base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() + "'"
            for t in executable
        }
        assert hashes == allowed, name
        # no inline event handler or javascript: URL anywhere outside the scripts
        outside = _without_scripts(page)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", outside, re.I)
        assert "javascript:" not in outside.lower()


def test_hostile_text_is_never_markup_and_cannot_close_a_script(rendered):
    _, _, pages = rendered
    for name, page in pages.items():
        for raw in (IMG, CLOSE, HOSTILE_RUN_ID, "<img src=x", "<script>alert"):
            assert raw not in page, (name, raw)
        parsed = _Page(page)
        assert [t for t, _ in parsed.tags].count("script") == len(_raw_scripts(page))
        assert not [
            a for t, a in parsed.tags if t == "img" and not a.get("src", "").startswith("data:")
        ]
        for tag, text in _raw_scripts(page):
            if "application/json" in tag:
                assert not set(text) & set("<>&"), name  # \u003c etc.: nothing ends the element
    items = json.dumps(_chart_items(pages["R01"]), ensure_ascii=False)
    for raw in (IMG, CLOSE, HOSTILE_RUN_ID):
        assert json.dumps(raw)[1:-1] in items  # there, as data, shown by BokehJS as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["R01"]  # the name, printed as text


def test_the_html_notebooks_were_run_interactive_and_the_pdf_ones_are_not(rendered):
    _, out, _ = rendered
    injected = "".join(
        "".join(c["source"])
        for c in json.loads((out / "R01.ipynb").read_text())["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    )
    assert "interactive = True" in injected
    assert report.notebook_format_parameters("pdf") == {}
    assert report.notebook_format_parameters("ipynb") == {}


def test_a_sample_run_notes_column_shows_on_hover(rendered):
    _, _, pages = rendered
    economy = _chart_items(pages["R01"])[0]
    hover = next(_objects(economy, "HoverTool"))["attributes"]["tooltips"]
    assert ["notes", "@notes_text"] in hover
    notes = [
        n for s in _objects(economy, "ColumnDataSource") for n in _columns(s).get("notes_text", [])
    ]
    assert CLOSE in notes and IMG in notes
    assert pd.Series(notes).eq("").sum() == len(notes) - 2
