"""Open an interactive HTML report in headless Chromium and check it as a reader would.

    python tests/browser/check_html.py REPORT.html [--screenshot OUT.png] [--expect-text TEXT ...]

`make check-html` renders the sample runner's and the squad's HTML reports and
runs this on each (Debian's `chromium` is installed with apt-get when missing
and we are root). Through the Chrome DevTools Protocol it:

1. records every request the page makes (Network domain): the only URL
   allowed is the report's own file:// URL; anything else (http, https, a
   second file, a data: URL is counted but allowed: the static figures are
   data: images inside the page) fails the check;
2. records console errors and Content-Security-Policy violations (a refused
   inline script would show here): any fails the check;
3. waits for every chart to be drawn by BokehJS, moves the mouse onto a run
   point of the first chart and reads the tooltip that appears: it must hold
   that point's hover fields (date, pace, heart rate, temperature, model
   status, as in the chart's data); with `--expect-text TEXT` the point
   whose data hold TEXT is hovered and TEXT must show as text (no element
   made of it: try a name or note like `<img src=x onerror=alert(1)>`);
4. fails if the page opened a dialog (an injected `alert`).

Exit code 0 when every check passes, 1 otherwise; a line per check.
Needs Chromium and the `websocket-client` package (installed with runeco's
dev extras). Nothing here is part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class DevTools:
    """A minimal Chrome DevTools Protocol client on one page target."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds``."""
        end = time.monotonic() + seconds
        self.ws.settimeout(0.1)
        try:
            while time.monotonic() < end:
                try:
                    self.events.append(json.loads(self.ws.recv()))
                except websocket.WebSocketTimeoutException:
                    pass
        finally:
            self.ws.settimeout(30)

    def evaluate(self, expression: str):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def find_chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium not found: apt-get install chromium (make check-html does it as root)")


def launch(chromium: str, profile: Path) -> subprocess.Popen:
    args = [
        chromium,
        "--headless=new",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
        "about:blank",
    ]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def page_websocket(profile: Path, timeout_s: float = 30.0) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline:
            raise RuntimeError("Chromium did not open its DevTools port")
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
        targets = json.load(response)
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


# Runs in the page: every chart's drawn run points with their hover data, in client pixels.
_POINTS_JS = """
(() => {
  const out = [];
  for (const plot of Bokeh.index.roots.filter((v) => v.canvas_view)) {
    const canvas = plot.canvas_view.events_el.getBoundingClientRect();
    const points = [];
    for (const view of plot.renderer_views.values()) {
      const model = view.model;
      if (!model.visible || model.data_source === undefined) continue;
      const data = model.data_source.data;
      if (!("date_text" in data) && !("runner_text" in data)) continue;
      const glyph = view.glyph;
      if (!glyph || !glyph.sx) continue;  // a line or segment: no points to hover
      for (let i = 0; i < glyph.sx.length; i++) {
        const x = canvas.left + glyph.sx[i], y = canvas.top + glyph.sy[i];
        if (!isFinite(x) || !isFinite(y)) continue;
        const row = {};
        for (const key of Object.keys(data)) {
          if (key.endsWith("_text") || key === "status") row[key] = String(data[key][i]);
        }
        points.push({x: x, y: y, row: row});
      }
    }
    out.push({title: plot.model.title ? plot.model.title.text : "", points: points});
  }
  return out;
})()
"""

# Runs in the page: the visible tooltip's text and whether it holds any element made of data.
_TOOLTIP_JS = """
(() => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const cls = typeof el.className === "string" ? el.className : "";
      if (cls.includes("bk-Tooltip") || el.tagName.toLowerCase() === "bk-tooltip") {
        const scope = el.shadowRoot || el;
        const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
        let text = "";
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (node.parentElement && node.parentElement.tagName === "STYLE") continue;
          text += node.textContent + " ";
        }
        if (text.trim()) {
          found.push({text: text, imgs: scope.querySelectorAll("img, script, link").length});
        }
      }
    }
  };
  walk(document);
  return found;
})()
"""


def check(report: Path, *, screenshot: Path | None, expect: list[str]) -> bool:
    report = report.resolve()
    url = report.as_uri()
    ok = True

    def result(passed: bool, text: str) -> None:
        nonlocal ok
        ok &= passed
        print(f"{'ok  ' if passed else 'FAIL'} {text}")

    with tempfile.TemporaryDirectory(prefix="runeco-chromium-") as tmp:
        browser = launch(find_chromium(), Path(tmp))
        try:
            tools = DevTools(page_websocket(Path(tmp)))
            for domain in ("Network", "Page", "Runtime", "Log"):
                tools.send(f"{domain}.enable")
            tools.send("Page.navigate", url=url)
            # wait for every chart to be drawn (or give up after 30 s)
            deadline = time.monotonic() + 30
            n_targets = 0
            drawn = 0
            while time.monotonic() < deadline:
                tools.pump(0.25)
                try:
                    n_targets = tools.evaluate(
                        "document.querySelectorAll('.runeco-chart-target').length"
                    )
                    drawn = tools.evaluate(
                        "typeof Bokeh === 'undefined' ? 0 : "
                        "Bokeh.index.roots.filter((v) => v.canvas_view).length"
                    )
                except RuntimeError:
                    continue
                if n_targets and drawn >= n_targets:
                    break
            result(
                n_targets > 0 and drawn == n_targets,
                f"{drawn} of {n_targets} interactive charts drawn by BokehJS",
            )
            charts = tools.evaluate(_POINTS_JS) if drawn else []
            hovered = False
            for chart in charts:
                if not chart["points"]:
                    continue
                point = chart["points"][len(chart["points"]) // 2]
                if expect:  # hover the point whose data hold the expected text
                    point = next(
                        (
                            p
                            for p in chart["points"]
                            if any(e in v for e in expect for v in p["row"].values())
                        ),
                        point,
                    )
                tools.send(
                    "Input.dispatchMouseEvent", type="mouseMoved", x=point["x"], y=point["y"]
                )
                tools.pump(0.6)
                tips = tools.evaluate(_TOOLTIP_JS)
                text = " ".join(t["text"] for t in tips)
                wanted = [v for v in point["row"].values() if v]
                missing = [v for v in wanted if v not in text]
                result(
                    bool(tips) and not missing,
                    f"hover on a point of '{chart['title'][:50]}' shows its tooltip"
                    + (f" (missing {missing[:3]})" if missing else f": {text[:140]!r}"),
                )
                result(
                    all(t["imgs"] == 0 for t in tips), "the tooltip holds text only (no elements)"
                )
                hovered = True
                if expect:
                    shown = [e for e in expect if e in text]
                    result(bool(shown), f"expected text shown as text in a tooltip: {shown!r}")
                break
            result(hovered, "a run point was hovered")
            if screenshot is not None:
                import base64

                shot = tools.send("Page.captureScreenshot", format="png")
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            tools.pump(0.5)
            requests = [
                e["params"]["request"]["url"]
                for e in tools.events
                if e.get("method") == "Network.requestWillBeSent"
            ]
            external = [u for u in requests if u != url and not u.startswith("data:")]
            result(
                not external,
                f"no network request besides the file itself ({len(requests)} requests, "
                f"{sum(u.startswith('data:') for u in requests)} of them data: images inside the page)"
                + (f"; external: {external[:5]}" if external else ""),
            )
            problems = [
                e["params"]["entry"]["text"]
                for e in tools.events
                if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
            ] + [
                " ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
                for e in tools.events
                if e.get("method") == "Runtime.consoleAPICalled"
                and e["params"]["type"] in ("error", "assert")
            ]
            result(not problems, f"no console errors or CSP violations {problems[:3] or ''}")
            dialogs = [e for e in tools.events if e.get("method") == "Page.javascriptDialogOpening"]
            result(not dialogs, "no dialog opened (no injected script ran)")
        finally:
            browser.terminate()
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                browser.kill()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the (last) page")
    parser.add_argument("--expect-text", action="append", default=[])
    args = parser.parse_args(argv)
    ok = True
    for report in args.reports:
        print(f"== {report}")
        ok &= check(report, screenshot=args.screenshot, expect=args.expect_text)
    print("check-html: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
