"""Accessibility of the built site, in Chromium, in the light and the dark colour scheme.

Each page is opened once per scheme (the reader's system setting; the theme's default mode is
"auto") and measured there:

* axe-core (pinned in package-lock.json, installed by `npm ci`, injected into the page) with
  every chart's data table unfolded: no serious or critical violation, except those listed in
  THEME_OWNED, which come from the theme's own navigation and are not the project's to fix;
* the contrast of every chart's text (4.5:1) and of its marks, reference lines and axes (3:1,
  WCAG 2.1 1.4.11) against the colour actually behind the chart, as this file works it out
  (independently of rtx-charts.js);
* every chart's accessible name and description, and its printed numbers in its data table;
* at 1280 px, every table fits the text column or scrolls in a box that says so.

Needs the site built by `make book` and Chromium (tests/conftest.py); `make test` runs it after
the build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO
from test_site import PAGES, SITE, Visit, serve

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ("light", "dark")
WIDE = {"width": 1280, "height": 900}  # the width issue 14 measured the tables at
SERIOUS = {"serious", "critical"}
# Pages with content: index.html only redirects to the first chapter (measured under its own name),
# and measuring a page while it navigates away would be measuring neither.
CONTENT = [name for name in PAGES if 'http-equiv="Refresh"' not in (SITE / name).read_text(encoding="utf-8")[:500]]

# (axe rule, pattern the node's HTML matches, why it is not the project's to fix)
THEME_OWNED = [
    ("label-content-name-mismatch", r'class="[^"]*\bsearch-button__button\b',
     "pydata-sphinx-theme's search button: its accessible name is 'Search' while it shows the keyboard "
     "hint 'Ctrl+K' as text (the hint: pydata/pydata-sphinx-theme#1499)"),
    ("label-content-name-mismatch", r'class="[^"]*\btheme-switch-button\b',
     "pydata-sphinx-theme's colour-mode button: its accessible name is 'Color mode' while its icons carry "
     "the titles 'Light', 'Dark', 'System Settings' (added by pydata/pydata-sphinx-theme#1924)"),
]

# In-page measurement, written here independently of _static/rtx-charts.js: WCAG 2.x relative
# luminance and contrast ratio; the background behind a chart is the composite of the
# backgrounds of its element and their ancestors (and of the SVG's own background, if any).
MEASURE_JS = r"""
() => {
  const parse = (text) => {
    const m = String(text || "").match(/^rgba?\(([^)]+)\)$/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom, alpha) => [0, 1, 2].map((i) => alpha * top[i] + (1 - alpha) * bottom[i]);
  const behind = (element) => {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop() : [255, 255, 255, 1];
    while (layers.length) { const top = layers.pop(); colour = over(top, colour, top[3]); }
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const opacity = (element, svg) => {
    let value = 1;
    for (let node = element; node && node !== svg.parentElement; node = node.parentElement) {
      value *= Number(getComputedStyle(node).opacity);
    }
    return value;
  };
  const drawn = (element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return (box.width > 0 || box.height > 0) && style.display !== "none" && style.visibility !== "hidden";
  };
  const name = (element) => (element.textContent || "").trim().slice(0, 40) ||
    [...element.classList].join(".") || element.parentElement.getAttribute("class");
  const out = {checked: {text: 0, marks: 0}, failures: [], charts: []};
  for (const chart of document.querySelectorAll(".rtx-chart")) {
    const svg = chart.querySelector("svg");
    if (!svg) { out.failures.push({chart: chart.id, what: "no SVG drawn"}); continue; }
    let background = behind(chart);
    const own = svg.querySelector("path.background");
    if (own) {
      const fill = parse(getComputedStyle(own).fill);
      if (fill) background = over(fill, background, fill[3] * Number(getComputedStyle(own).fillOpacity));
    }
    const judge = (element, kind, colour, alpha, need) => {
      if (!colour || alpha * colour[3] <= 0) return;
      const seen = over(colour, background, alpha * colour[3]);
      const r = ratio(seen, background);
      out.checked[kind] += 1;
      if (r < need) out.failures.push({chart: chart.id, kind, what: name(element), colour: colour.slice(0, 3),
        background: background.map(Math.round), ratio: Math.round(r * 100) / 100, need});
    };
    for (const text of svg.querySelectorAll("text")) {
      if (!text.textContent.trim() || !drawn(text)) continue;
      const style = getComputedStyle(text);
      judge(text, "text", parse(style.fill), opacity(text, svg) * Number(style.fillOpacity), 4.5);
    }
    const marks = ".role-mark > :not(text), .role-legend-symbol path, .role-axis-domain line, .role-axis-tick line";
    for (const mark of svg.querySelectorAll(marks)) {
      if (mark.closest(".mark-text") || !drawn(mark)) continue;
      const style = getComputedStyle(mark);
      const fill = parse(style.fill);
      const filled = fill && fill[3] > 0 && Number(style.fillOpacity) > 0;
      const colour = filled ? fill : parse(style.stroke);
      const alpha = opacity(mark, svg) * Number(filled ? style.fillOpacity : style.strokeOpacity);
      judge(mark, "marks", colour, alpha, 3);
    }
    const markText = [...svg.querySelectorAll(".mark-text.role-mark text")].map((t) => t.textContent).join(" ");
    out.charts.push({id: chart.id, role: chart.getAttribute("role"), name: chart.getAttribute("aria-label") || "",
      title: [...svg.querySelectorAll(".role-title-text text")].map((t) => t.textContent).join(" "),
      hidden: svg.querySelectorAll(".role-mark:not([aria-hidden='true'])").length,
      describedBy: chart.getAttribute("aria-describedby") || "",
      numbers: [...new Set(markText.match(/\d+\/\d+|\d+(?:\.\d+)?%/g) || [])]});
  }
  return out;
}
"""

# Unfold every chart's data table (rtx-charts.js fills it when opened) and read it.
DATA_TABLES_JS = r"""
async () => {
  for (const d of document.querySelectorAll("details.rtx-chart-data")) d.open = true;
  await new Promise((resolve) => setTimeout(resolve, 50));
  return Object.fromEntries([...document.querySelectorAll(".rtx-chart")].map((chart) => {
    const details = document.getElementById(chart.id + "-data");
    return [chart.id, details ? {summary: details.querySelector("summary").textContent,
      rows: details.querySelectorAll("tbody tr").length, text: details.textContent} : null];
  }));
}
"""

AXE_JS = r"""
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 300), impact: n.impact}))}));
}
"""

# Tables inside the article at the current width: each fits the text column, or sits in a
# sideways-scrolling box (inside the column) that can be focused and is named.
TABLES_JS = r"""
() => {
  const article = document.querySelector("article.bd-article");
  if (!article) return [];  // a redirect or the search page
  const column = article.getBoundingClientRect();
  return [...document.querySelectorAll("article.bd-article table")].map((table) => {
    const box = table.getBoundingClientRect();
    let scroller = table.parentElement;
    while (scroller && !["auto", "scroll"].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
    const frame = scroller ? scroller.getBoundingClientRect() : null;
    return {caption: table.caption ? table.caption.textContent : table.textContent.trim().slice(0, 60),
      fits: box.left >= column.left - 1 && box.right <= column.right + 1,
      scrolls: Boolean(scroller) && scroller.scrollWidth > scroller.clientWidth + 1
               && frame.right <= column.right + 1 && frame.left >= column.left - 1,
      focusable: Boolean(scroller) && scroller.getAttribute("tabindex") === "0",
      named: Boolean(scroller) && Boolean(scroller.getAttribute("aria-label") || scroller.getAttribute("aria-labelledby")),
      width: Math.round(box.width), column: Math.round(column.width)};
  });
}
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core not installed at {AXE}: run `npm ci` (make test does)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def base():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (`make test` does)")
    server, url = serve(SITE)
    yield url
    server.shutdown()


def open_page(browser, base: str, name: str, scheme: str, viewport=WIDE) -> Visit:
    visit = Visit(browser, base, color_scheme=scheme, viewport=viewport)
    visit.open(f"{base}/{name}", wait_until="load")
    return visit


@pytest.fixture(scope="module")
def measured(site_browser, base, axe_source):
    """Each page measured once per scheme, on first use: {(page, scheme): results}."""
    cache: dict[tuple[str, str], dict] = {}

    def measure(name: str, scheme: str) -> dict:
        if (name, scheme) not in cache:
            visit = open_page(site_browser, base, name, scheme)
            try:
                page = visit.page
                result = {"theme": page.evaluate("document.documentElement.dataset.theme"),
                          "contrast": page.evaluate(MEASURE_JS), "tables": page.evaluate(TABLES_JS),
                          "data": page.evaluate(DATA_TABLES_JS)}
                page.add_script_tag(content=axe_source)
                result["axe"] = page.evaluate(AXE_JS)
                result["errors"] = visit.errors + visit.console_errors + visit.outside
            finally:
                visit.close()
            cache[(name, scheme)] = result
        return cache[(name, scheme)]

    return measure


def project_violations(violations: list[dict]) -> list[str]:
    """Serious and critical axe violations, less the theme's own (THEME_OWNED)."""
    found = []
    for violation in violations:
        for node in violation["nodes"]:
            if (node["impact"] or violation["impact"]) not in SERIOUS:
                continue
            if any(rule == violation["id"] and re.search(pattern, node["html"]) for rule, pattern, _ in THEME_OWNED):
                continue
            found.append(f"{violation['id']} ({node['impact']}): {violation['help']}: {node['target']}: {node['html']}")
    return found


CASES = [(name, scheme) for name in CONTENT for scheme in SCHEMES]


@pytest.mark.parametrize("name, scheme", CASES)
def test_axe_finds_no_serious_violation(measured, name, scheme):
    result = measured(name, scheme)
    assert result["theme"] == scheme, f"{name}: the page did not follow the {scheme} system setting"
    problems = project_violations(result["axe"])
    assert not problems, f"{name} ({scheme}):\n" + "\n".join(problems)
    assert result["errors"] == [], f"{name} ({scheme}): {result['errors']}"


@pytest.mark.parametrize("name, scheme", CASES)
def test_chart_text_and_marks_contrast_with_what_is_behind_them(measured, name, scheme):
    contrast = measured(name, scheme)["contrast"]
    assert not contrast["failures"], f"{name} ({scheme}): " + json.dumps(contrast["failures"][:20], ensure_ascii=False)
    if contrast["charts"]:
        assert contrast["checked"]["text"] > 0 and contrast["checked"]["marks"] > 0, contrast["checked"]


@pytest.mark.parametrize("name", CONTENT)
def test_every_chart_is_named_described_and_has_its_numbers_in_a_table(measured, name):
    result = measured(name, "light")
    for chart in result["contrast"]["charts"]:
        where = f"{name}: {chart['id']}"
        # Vega names the chart's element (role graphics-document) with the spec's description, which
        # starts with the title; the marks are left out of the accessibility tree (the table has them).
        assert chart["role"] == "graphics-document" and chart["title"], where
        assert chart["name"].startswith(chart["title"]) and len(chart["name"]) > len(chart["title"]) + 20, \
            f"{where}: no description beyond the title ({chart['name']!r})"
        assert chart["hidden"] == 0, f"{where}: marks in the accessibility tree, unnamed"
        table = result["data"][chart["id"]]
        assert table and table["rows"] > 0, f"{where}: no data table under the chart"
        assert chart["describedBy"] == chart["id"] + "-data", where
        for number in chart["numbers"]:  # every count and percentage printed in the chart
            assert number in table["text"] or number in chart["name"], f"{where}: {number} is in no table"


@pytest.mark.parametrize("name", CONTENT)
def test_tables_fit_the_text_column_or_scroll_visibly(measured, name):
    for table in measured(name, "light")["tables"]:
        assert table["fits"] or (table["scrolls"] and table["focusable"] and table["named"]), f"{name}: {table}"


def test_the_verdict_by_source_table_fits_at_1280_px(measured):
    """Issue 14, point 10: its last columns were cut off."""
    tables = {t["caption"]: t for t in measured("book/audit.html", "light")["tables"]}
    table = tables["Every extracted number by source and verdict"]
    assert table["fits"], table


def test_pages_have_no_code_toggles():
    """Chapters show results, not code: code cells are tagged remove-input (reviewers use the notebooks),
    since the theme's "Show code cell source" toggles fail WCAG 2.5.3 (label in name)."""
    with_toggles = [name for name in PAGES if "above-input" in (SITE / name).read_text(encoding="utf-8")]
    assert not with_toggles, f"pages with code toggles (tag those cells remove-input): {with_toggles}"


AXIS_TITLE_FILLS = """() => [...document.querySelectorAll('.rtx-chart svg .role-axis-title text')]
                            .map((e) => getComputedStyle(e).fill)"""


@pytest.mark.parametrize("start, target", [("light", "dark"), ("dark", "light")])
def test_theme_toggle_redraws_the_charts_legibly(site_browser, base, start, target):
    """The theme's own button, pressed while the page is open, switches the charts' colours too."""
    visit = open_page(site_browser, base, "book/itp.html", start)
    try:
        page = visit.page
        before = page.evaluate(AXIS_TITLE_FILLS)
        for _ in range(3):  # the button cycles light, dark and system (auto)
            if page.evaluate("document.documentElement.dataset.theme") == target:
                break
            page.click(".theme-switch-button:visible")
        assert page.evaluate("document.documentElement.dataset.theme") == target
        page.wait_for_function(f"(before) => {{ const now = ({AXIS_TITLE_FILLS})(); "
                               "return now.length > 0 && now.every((fill, i) => fill !== before[i]); }",
                               arg=before, timeout=10000)
        page.wait_for_timeout(200)  # every chart of the page redrawn
        contrast = page.evaluate(MEASURE_JS)
        assert contrast["checked"]["text"] > 0
        assert not contrast["failures"], json.dumps(contrast["failures"][:10], ensure_ascii=False)
        assert visit.errors == [] and visit.console_errors == []
    finally:
        visit.close()


def test_scrolling_tables_are_focusable_and_named_on_a_narrow_screen(site_browser, base, axe_source):
    """On a phone-sized screen wide tables scroll in a box that takes the keyboard focus and is named
    after the table; widened again, the boxes that now fit leave the tab order."""
    visit = open_page(site_browser, base, "book/audit.html", "light", viewport={"width": 420, "height": 800})
    try:
        page = visit.page
        boxes = """() => [...document.querySelectorAll('.rtx-table-wrap')].map((b) => ({
            scrolls: b.scrollWidth > b.clientWidth + 1, tabindex: b.getAttribute('tabindex'),
            role: b.getAttribute('role'), label: b.getAttribute('aria-label')}))"""
        narrow = page.evaluate(boxes)
        scrolling = [b for b in narrow if b["scrolls"]]
        assert scrolling, narrow
        assert all(b["tabindex"] == "0" and b["role"] == "region" and b["label"] for b in scrolling), scrolling
        page.add_script_tag(content=axe_source)
        found = page.evaluate("async () => (await axe.run(document, {runOnly: ['scrollable-region-focusable']}))"
                              ".violations.length")
        assert found == 0
        page.set_viewport_size(WIDE)
        page.wait_for_timeout(300)
        wide = page.evaluate(boxes)
        assert all(b["tabindex"] is None for b in wide if not b["scrolls"]), wide
    finally:
        visit.close()
