"""The built site, in a real browser (Playwright driving Debian's Chromium), with every request
that does not go to the local test server blocked. Needs the site built by `make book`
(`make test` builds it first) and Chromium at /usr/bin/chromium (installed by .ci/run)."""

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO
from rtxreview import charts, report

SITE = Path(os.environ.get("RTXREVIEW_SITE", REPO / "_build" / "html"))
PAGE_BUDGET_BYTES = 600_000   # HTML with its inline chart data, shared static files excluded
CHART_ROW_BUDGET = 500        # rows of data embedded in one chart
MARKS = "svg path, svg rect, svg line, svg circle, svg text"
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.glob("**/*.html")
               if "_static" not in p.parts and "_sources" not in p.parts) if SITE.is_dir() else []



@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (`make test` does)")
    return SITE


def serve(root: Path):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(site_browser):
    return site_browser  # one Chromium for the session (tests/conftest.py)


class Visit:
    """A page opened with only the local server reachable, recording what went wrong.
    ``options`` go to the browser context (e.g. ``color_scheme="dark"``, ``viewport``)."""

    def __init__(self, browser, base: str, **options):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.outside, self.errors, self.console_errors, self.dialogs = [], [], [], []
        self.page.route("**/*", self._route(base))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def _route(self, base):
        def handle(route):
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()
        return handle

    def open(self, url: str, wait_until: str = "networkidle"):
        self.page.goto(url, wait_until=wait_until)
        self.page.wait_for_function("() => [...document.querySelectorAll('.rtx-chart')]"
                                    ".every(c => c.querySelector('svg') || c.textContent.trim())", timeout=15000)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def base(site):
    server, url = serve(site)
    yield url
    server.shutdown()


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_with_every_chart_drawn(browser, base, name):
    visit = Visit(browser, base)
    try:
        page = visit.open(f"{base}/{name}")
        marks = page.eval_on_selector_all(".rtx-chart", f"els => els.map(e => e.querySelectorAll('{MARKS}').length)")
        assert all(n > 0 for n in marks), f"{name}: a chart drew nothing ({marks})"
        assert visit.outside == [], f"{name}: requests left the local server: {visit.outside}"
        assert visit.errors == [], f"{name}: uncaught JavaScript errors: {visit.errors}"
        assert visit.console_errors == [], f"{name}: console errors: {visit.console_errors}"
    finally:
        visit.close()


def test_chapters_have_charts(site):
    for chapter in ("itp", "audit"):
        assert "rtx-chart-" in (site / "book" / f"{chapter}.html").read_text(encoding="utf-8"), chapter


def test_no_page_names_a_cdn(site):
    for name in PAGES:
        text = (site / name).read_text(encoding="utf-8")
        assert not re.search(r"cdn\.jsdelivr|unpkg\.com|cdnjs", text), name


def test_search_finds_a_study_by_name(browser, base):
    visit = Visit(browser, base)
    try:
        page = visit.page
        page.goto(f"{base}/search.html?q=Zhang", wait_until="networkidle")
        page.wait_for_selector("#search-results li a", timeout=15000)
        results = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
        assert any("studies" in href or "references" in href for href in results), results
    finally:
        visit.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_weight_budget(site, name):
    html = (site / name).read_text(encoding="utf-8")
    assert len(html.encode()) <= PAGE_BUDGET_BYTES, f"{name}: {len(html.encode())} bytes"
    for spec in re.findall(r"rtxCharts\.embed\(\"[^\"]+\",(\{.*?\})\);</script>", html):
        for rows in json.loads(spec).get("datasets", {}).values():
            assert len(rows) <= CHART_ROW_BUDGET, f"{name}: a chart embeds {len(rows)} rows"


def luminance(colour: str) -> float:
    """Relative brightness 0..1 of '#rrggbb' or 'rgb(r, g, b)'."""
    if colour.startswith("#"):
        channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [int(v) for v in re.findall(r"\d+", colour)[:3]]
    return sum(w * c / 255 for w, c in zip((0.2126, 0.7152, 0.0722), channels))


def test_charts_follow_dark_mode(browser, base):
    visit = Visit(browser, base)
    try:
        page = visit.open(f"{base}/book/itp.html")
        axis_text = ".rtx-chart svg .role-axis-title text"
        light = page.eval_on_selector(axis_text, "e => getComputedStyle(e).fill")
        page.evaluate("document.documentElement.dataset.theme = 'dark'")
        page.wait_for_function(f"() => getComputedStyle(document.querySelector('{axis_text}')).fill !== {json.dumps(light)}",
                               timeout=10000)
        dark = page.eval_on_selector(axis_text, "e => getComputedStyle(e).fill")
        assert luminance(light) < 0.5 < luminance(dark), (light, dark)
    finally:
        visit.close()


def test_charts_print(browser, base):
    visit = Visit(browser, base)
    try:
        page = visit.open(f"{base}/book/itp.html")
        page.emulate_media(media="print")
        boxes = page.eval_on_selector_all(".rtx-chart svg", "els => els.map(e => e.getBoundingClientRect().width)")
        assert boxes and all(width > 100 for width in boxes)
        assert len(page.pdf()) > 10_000
    finally:
        visit.close()


MALICIOUS = ['</script><script>window.__pwned = 1; alert("quote")</script>',
             '<img src=x onerror="window.__pwned = 2; alert(1)">']


def test_malicious_quote_renders_as_text(browser, site, tmp_path):
    """Text from the data cannot run in a page: tables and chart tooltips escape it."""
    rows = pd.DataFrame({
        "evidence_id": ["x-001", "x-002"], "short_label": MALICIOUS, "outcome": MALICIOUS, "subgroup": "",
        "statistic": "percent",
        "intervention": "", "timepoint": "", "reported": ["50.0", "25.0"], "unit": "%", "numerator": [1, 1],
        "denominator": [2, 4], "denominator_source": "stated", "recomputed": ["50.0", "25.0"],
        "verdict": ["consistent", "inconsistent"], "explanation": MALICIOUS, "quote": MALICIOUS,
        "location": MALICIOUS, "note": MALICIOUS})
    estimates = pd.DataFrame({"label": MALICIOUS, "study": MALICIOUS, "evidence_id": ["x-001", "x-002"],
                              "events": [1, 1], "total": [2, 4], "proportion": [0.5, 0.25], "ci_low": [0.1, 0.01],
                              "ci_high": [0.9, 0.8], "weight": [float("nan")] * 2, "quote": MALICIOUS,
                              "location": MALICIOUS, "note": MALICIOUS})
    table = report.evidence_table(rows, MALICIOUS[0]).data
    chart = charts.embed_html(charts.forest_plot(estimates, None, title=MALICIOUS[1]), "fixture")
    shutil.copytree(site / "_static", tmp_path / "_static")
    scripts = "".join(f'<script src="_static/{name}"></script>' for name in
                      ("vega/vega.min.js", "vega/vega-lite.min.js", "vega/vega-embed.min.js", "rtx-charts.js"))
    (tmp_path / "fixture.html").write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="_static/rtx.css">{scripts}'
        f"</head><body>{table}{chart}</body></html>", encoding="utf-8")
    server, url = serve(tmp_path)
    visit = Visit(browser, url)
    try:
        page = visit.open(f"{url}/fixture.html")
        # move the mouse over every drawn mark, so that tooltips with the data's text are shown
        centres = page.eval_on_selector_all(".rtx-chart svg .role-mark path, .rtx-chart svg .role-mark rect",
                                            "els => els.map(e => e.getBoundingClientRect())"
                                            ".filter(b => b.width > 0 && b.height > 0)"
                                            ".map(b => [b.x + b.width / 2, b.y + b.height / 2])")
        assert centres
        for x, y in centres:
            page.mouse.move(x, y)
        assert page.eval_on_selector_all("#vg-tooltip-element", "els => els.length") == 1
        assert page.evaluate("window.__pwned") is None
        assert visit.dialogs == [] and visit.errors == []
        assert page.eval_on_selector_all("img[src=x]", "els => els.length") == 0
        text = page.inner_text("table.rtx-evidence")
        assert MALICIOUS[0] in text and MALICIOUS[1] in text
    finally:
        visit.close()
        server.shutdown()


def test_failed_build_keeps_the_previous_site(site):
    """`make site` builds into a staging folder: a failing build leaves _build/html as it was."""
    before = hashlib.sha256((site / "book" / "itp.html").read_bytes()).hexdigest()
    listing = sorted(p.name for p in site.iterdir())
    result = subprocess.run(["make", "--no-print-directory", "site", "JUPYTER_BOOK=false"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert hashlib.sha256((site / "book" / "itp.html").read_bytes()).hexdigest() == before
    assert sorted(p.name for p in site.iterdir()) == listing


def test_downloads_hold_the_data_and_the_command_line_results(site):
    """The files a page points to for rows it leaves out are the CLI's own output on data/."""
    for path in sorted((REPO / "data").glob("*.csv")) + [REPO / "data" / "datapackage.json"]:
        assert (site / "_static" / "data" / path.name).read_bytes() == path.read_bytes(), path.name
    for command, flags in (("audit", ["--format", "csv"]), ("checks", ["--format", "csv"]),
                           ("ipd", ["--format", "csv"]), ("pool", ["--format", "csv"])):
        printed = subprocess.run([sys.executable, "-m", "rtxreview", command, "data", *flags], cwd=REPO,
                                 check=True, capture_output=True, text=True).stdout
        assert (site / "_static" / "results" / f"{command}.csv").read_text(encoding="utf-8") == printed, command


@pytest.mark.parametrize("name", PAGES)
def test_local_links_resolve(site, name):
    """Every link and resource a page names on the site itself exists (downloads included)."""
    html = (site / name).read_text(encoding="utf-8")
    missing = []
    for target in re.findall(r'(?:href|src)="([^"#?]+)', html):
        if re.match(r"[a-z]+:", target) or target.startswith("//"):
            continue  # another scheme (mailto:, data:); other hosts are refused by the browser tests
        if not ((site / name).parent / target).resolve().exists():
            missing.append(target)
    assert not missing, f"{name}: {missing}"
