"""Publishing (rtxreview/publish.py, rtxreview/sphinx_publish.py, _static/rtx-downloads.js): the PDF
of the book, figure downloads, the deploy workflow, CITATION.cff and the release archive; and
`make chromium`. Needs the site built by `make book` (`make test` builds it first) and Chromium at
/usr/bin/chromium (`make chromium` installs it as root)."""

import functools
import hashlib
import html
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
import unicodedata
from pathlib import Path

import pytest
import yaml

from conftest import DATA_DIR, REPO
from rtxreview import publish

SITE = Path(os.environ.get("RTXREVIEW_SITE", REPO / "_build" / "html"))
CHROMIUM = os.environ.get("RTXREVIEW_CHROMIUM", "/usr/bin/chromium")
EDITION = publish.edition(DATA_DIR)
PDF = SITE / EDITION.pdf_name


def normalised(text: str) -> str:
    """Compatibility forms (the PDF's ligatures such as 'ﬁ'), whitespace collapsed, and words broken
    after a hyphen at a line's end joined again (pdfium marks that hyphen with U+0002)."""
    text = unicodedata.normalize("NFKC", text).replace("\x02", "-")
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def page_texts(path: Path) -> list[str]:
    """Each page's text (pdfium's extraction: a reader's copy and paste)."""
    import pypdfium2 as pdfium
    return [normalised(page.get_textpage().get_text_bounded()) for page in pdfium.PdfDocument(path)]


def outline(path: Path) -> list[tuple[str, int]]:
    """The PDF's top-level bookmarks: (title, 1-based page)."""
    from pypdf import PdfReader
    reader = PdfReader(path)
    return [(item.title, reader.get_destination_page_number(item) + 1)
            for item in reader.outline if not isinstance(item, list)]


def heading(page_html: str) -> str:
    """A built page's first heading, as a reader sees it."""
    match = re.search(r"<h1>(.*?)</h1>", page_html, re.S)
    return normalised(html.unescape(re.sub(r"<[^>]+>|#", "", match.group(1))))


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (`make test` does)")
    return SITE


@pytest.fixture(scope="module")
def book_pages(site) -> list[str]:
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: `make book` prints it")
    return page_texts(PDF)


# --- The PDF of the built book ---------------------------------------------------------------


def test_pdf_title_page_carries_the_version_and_data_digest(book_pages):
    assert EDITION.version in book_pages[0] and EDITION.data_sha256 in book_pages[0]
    # the digest printed is the one coreutils give for the data folder
    listing = subprocess.run("LC_ALL=C sha256sum -- * | sha256sum", shell=True, cwd=DATA_DIR, check=True,
                             capture_output=True, text=True).stdout.split()[0]
    assert listing == EDITION.data_sha256


def test_pdf_holds_every_chapter_where_its_contents_say(site, book_pages):
    chapters = publish.chapters(REPO / "_toc.yml")
    titles = [heading((site / chapter.html).read_text(encoding="utf-8")) for chapter in chapters]
    bookmarks = outline(PDF)
    assert [title for title, _ in bookmarks[2:]] == titles
    contents = book_pages[1]
    for title, page in bookmarks[2:]:
        assert f"{title} {page}" in contents, f"contents do not give page {page} for {title!r}"
        assert book_pages[page - 1].find(title[:30]) >= 0, f"page {page} does not start {title!r}"


def test_pdf_pages_are_numbered(book_pages):
    total = len(book_pages)
    assert f"1 / {total}" not in book_pages[0]   # the title page carries no number
    unnumbered = [n for n, text in enumerate(book_pages[1:], start=2) if not text.endswith(f"{n} / {total}")]
    assert unnumbered == []


def test_pdf_holds_recomputed_percentages_with_their_quotes(site, book_pages):
    """Rows whose percentage the audit computed ('computed here'): in the PDF the row's id, the
    recomputed value and the verbatim quote (folded on the site, opened for print) share a page."""
    import pandas as pd
    audited = pd.read_csv(site / "_static" / "results" / "audit.csv", dtype=str, keep_default_na=False)
    quotes = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).set_index("evidence_id")["quote"]
    computed = audited[(audited["verdict"] == "not_reported") & (audited["recomputed"] != "")]
    checked = 0
    for row in computed.itertuples():
        quote = normalised(quotes[row.evidence_id])
        if not quote.isascii():
            continue   # text extraction may spell symbols differently; plain quotes suffice here
        pages = [text for text in book_pages if f"{row.evidence_id} " in text + " "]
        if not pages:
            continue
        assert any(row.recomputed in text and quote in text for text in pages), row.evidence_id
        checked += 1
    assert checked >= 5


def test_pdf_draws_every_chart(site, book_pages):
    """Every chart's title (drawn by Vega inside the chart's SVG, not in the page's text) is in the PDF."""
    text = " ".join(book_pages)
    labels = {normalised(html.unescape(label)) for page in sorted(site.glob("book/*.html"))
              for label in re.findall(r'class="rtx-chart" id="[^"]+" role="figure" aria-label="([^"]+)"',
                                      page.read_text(encoding="utf-8"))}
    assert labels
    assert sorted(label for label in labels if label not in text) == []


def coloured_pixels_below(path: Path, title: str, height_pt: float = 200) -> list[int]:
    """For each place ``title`` is printed: the saturated (coloured) pixels in the band below it."""
    import pypdfium2 as pdfium
    document, counts, scale = pdfium.PdfDocument(path), [], 2
    for page in document:
        search = page.get_textpage().search(title)
        while (hit := search.get_next()):
            top = page.get_textpage().get_charbox(hit[0])[3]
            image = page.render(scale=scale).to_numpy()[:, :, :3].astype(int)
            start = int((page.get_size()[1] - top) * scale)
            band = image[start:start + int(height_pt * scale)]
            counts.append(int(((band.max(axis=2) - band.min(axis=2)) > 80).sum()))
    return counts


def test_a_chart_page_is_not_blank(site):
    """The ITP forest plot is drawn: below its title the rendered page holds its coloured marks."""
    counts = coloured_pixels_below(PDF, chart_title(site))
    assert counts and max(counts) > 500, counts
    assert max(coloured_pixels_below(PDF, EDITION.version)) == 0   # the title page: black text only


# --- The PDF from a small site (exact behaviour, fast) ----------------------------------------


@pytest.fixture
def small_book(tmp_path, site):
    """Two pages, a chart and a link, with the book's own static files; data at version 9.9.9."""
    import altair as alt
    import pandas as pd
    from rtxreview import charts

    root = tmp_path / "html"
    shutil.copytree(site / "_static", root / "_static", ignore=shutil.ignore_patterns("data", "results"))
    chart = alt.Chart(pd.DataFrame({"x": ["a", "b"], "y": [1, 3]}), title="Small chart").mark_bar(
        color="#0072B2").encode(x="x", y="y")
    scripts = "".join(f'<script src="../_static/{name}"></script>' for name in
                      ("vega/vega.min.js", "vega/vega-lite.min.js", "vega/vega-embed.min.js", "rtx-charts.js"))
    for name, body in (("intro", '<p>See <a href="chapter.html#part">the chapter</a>.</p>'),
                       ("chapter", charts.embed_html(chart, "small") + "<p>Last words.</p>")):
        (root / "book").mkdir(exist_ok=True)
        (root / "book" / f"{name}.html").write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'>{scripts}</head><body><article>"
            f"<h1>The {name}<a class='headerlink' href='#'>#</a></h1>{body}</article></body></html>", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "book/intro", "parts": [
        {"caption": "Part one", "chapters": [{"file": "book/chapter"}]}]}), encoding="utf-8")
    (tmp_path / "_config.yml").write_text("title: Small book\nauthor: Someone\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "datapackage.json").write_text(json.dumps({"version": "9.9.9", "resources": []}), encoding="utf-8")
    return tmp_path


def print_small(book: Path, force: bool = False) -> Path:
    return publish.build_pdf(book / "html", book / "_toc.yml", book / "data", book / "_config.yml", force=force)


def test_small_book_pdf(small_book):
    from pypdf import PdfReader
    path = print_small(small_book)
    assert path.name == "rtxreview-9.9.9.pdf"
    pages = page_texts(path)
    assert len(pages) == 4
    assert "Small book" in pages[0] and "9.9.9" in pages[0] and publish.data_sha256(small_book / "data") in pages[0]
    assert "Part one" in pages[1] and "The intro 3" in pages[1] and "The chapter 4" in pages[1]
    assert outline(path) == [("Small book", 1), ("Contents", 2), ("The intro", 3), ("The chapter", 4)]
    assert [text.endswith(f"{n} / 4") for n, text in enumerate(pages, start=1)] == [False, True, True, True]
    assert "Small chart" in pages[3] and "#" not in pages[3].split("The chapter")[0]
    links = [annotation.get_object()["/A"]["/URI"] for page in PdfReader(path).pages
             for annotation in page.get("/Annots") or [] if "/A" in annotation.get_object()]
    assert links == ["book/chapter.html#part"]   # relative to the PDF, not to the printing server


def test_small_book_pdf_is_kept_when_unchanged_and_reprinted_when_not(small_book):
    path = print_small(small_book)
    first, stamp = path.read_bytes(), path.stat().st_mtime_ns
    assert print_small(small_book).stat().st_mtime_ns == stamp
    assert print_small(small_book, force=True).read_bytes() == first   # the same site, the same bytes
    page = small_book / "html" / "book" / "chapter.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Last words.", "New last words."), encoding="utf-8")
    assert "New last words." in page_texts(print_small(small_book))[3]


def test_pdf_refuses_a_missing_page_and_missing_version(small_book):
    (small_book / "html" / "book" / "chapter.html").unlink()
    with pytest.raises(publish.PublishError, match=r"book/chapter\.html"):
        print_small(small_book, force=True)
    (small_book / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    with pytest.raises(publish.PublishError, match="datapackage.json: no top-level 'version'"):
        print_small(small_book, force=True)


# --- The site: release links and figure downloads ---------------------------------------------


def test_every_page_links_the_pdf_and_citation_and_shows_the_version(site):
    pages = [p for p in site.glob("**/*.html") if "_static" not in p.parts and "_sources" not in p.parts]
    assert pages and (site / "CITATION.cff").read_bytes() == (REPO / "CITATION.cff").read_bytes()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if 'http-equiv="Refresh"' in text:
            continue   # index.html only redirects to the first page
        links = re.findall(r'href="([^"]*%s)"' % re.escape(EDITION.pdf_name), text)
        assert links and all((page.parent / link).resolve() == PDF.resolve() for link in links), page
        assert f"Version {EDITION.version}" in text and EDITION.data_sha256[:12] in text, page


def serve(root: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def browser():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM} (`make chromium` installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=publish.CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_chart_downloads_work_offline(browser, site, tmp_path):
    """With every request outside the local server refused, the first ITP chart saves as SVG (its
    marks and title), PNG and CSV (the rows it plots)."""
    server, base = serve(site)
    context = browser.new_context(accept_downloads=True)
    outside, errors = [], []
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                   else (outside.append(route.request.url), route.abort()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{base}/book/itp.html", wait_until="networkidle")
        title = chart_title(site)
        saved = {}
        for label in ("SVG", "PNG", "Data (CSV)"):
            with page.expect_download() as download:
                page.locator(".rtx-downloads").first.get_by_role("button", name=re.compile(
                    {"SVG": "as SVG", "PNG": "as PNG", "Data (CSV)": "data as CSV"}[label])).click()
            saved[label] = (download.value.suggested_filename, Path(download.value.path()).read_bytes())
        assert outside == [] and errors == []
    finally:
        context.close()
        server.shutdown()
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    name, svg = saved["SVG"]
    assert name == f"{stem}.svg"
    svg = svg.decode()
    assert svg.startswith("<svg") and html.escape(title, quote=False) in svg and svg.count("<path") > 3
    assert 'fill="white"' in svg or "fill=\"#fff" in svg.lower()   # drawn on white, for slides
    name, png = saved["PNG"]
    assert name == f"{stem}.png" and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    name, data = saved["Data (CSV)"]
    spec = json.loads(re.search(r'rtxCharts\.embed\("%s", (\{.*?\})\);</script>' % re.escape(chart_id(site)),
                                (site / "book" / "itp.html").read_text(encoding="utf-8")).group(1))
    rows = max(spec["datasets"].values(), key=lambda rows: len(rows) * len(rows[0]))
    import pandas as pd
    table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert name == f"{stem}.csv" and len(table) == len(rows)
    assert table["evidence_id"].tolist() == [row["evidence_id"] for row in rows]
    assert table["quote"].tolist() == [row["quote"] for row in rows]


def chart_id(site: Path) -> str:
    """The first ITP chart's element id."""
    return re.search(r'class="rtx-chart" id="([^"]+)"', (site / "book" / "itp.html").read_text(encoding="utf-8")).group(1)


def chart_title(site: Path) -> str:
    """The first ITP chart's title, as the built page labels its figure."""
    page = (site / "book" / "itp.html").read_text(encoding="utf-8")
    return html.unescape(re.search(r'class="rtx-chart" id="[^"]+" role="figure" aria-label="([^"]+)"', page).group(1))


# --- Workflow, citation, Chromium --------------------------------------------------------------


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, capture_output=True, text=True)


def test_workflow_and_citation_pass_the_linters():
    result = make("lint")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("changes, message", [
    ([("runs-on: ubuntu-24.04\n    container", "container")], "runs-on"),                    # schema
    ([("    timeout-minutes: 15\n", "")], "timeout-minutes"),                                 # no time limit
    ([("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "actions/checkout@v7")], "unpinned-uses"),
    ([("        with:\n          persist-credentials: false\n", "")], "artipacked"),           # token kept on disk
    ([("permissions: {}", "permissions: write-all"), ("    permissions:\n      contents: read\n", "")],
     "excessive-permissions"),
])
def test_lint_refuses_a_broken_workflow(tmp_path, changes, message):
    text = (REPO / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "publish.yml").write_text(text, encoding="utf-8")
    result = make("lint", f"WORKFLOWS={tmp_path}")
    assert result.returncode != 0 and message in result.stdout + result.stderr


def test_citation_names_this_release():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert str(citation["version"]) == EDITION.version
    assert citation["title"] == config["title"]


def test_lint_refuses_a_broken_citation(tmp_path):
    text = (REPO / "CITATION.cff").read_text(encoding="utf-8")
    (tmp_path / "CITATION.cff").write_text(text.replace("cff-version: 1.2.0", "cff-version: 9"), encoding="utf-8")
    result = make("lint", f"CITATION={tmp_path / 'CITATION.cff'}")
    assert result.returncode != 0 and "cff-version" in result.stdout + result.stderr


def test_missing_chromium_names_the_command_to_run():
    result = make("chromium", "CHROMIUM=/nonexistent/chromium", "AS_ROOT=")
    assert result.returncode != 0
    assert "Chromium not found at /nonexistent/chromium. Install it with: sudo apt-get install -y chromium" \
        in result.stderr


def test_missing_chromium_is_installed_with_apt_as_root(tmp_path):
    log = tmp_path / "apt.log"
    fake = tmp_path / "apt-get"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n', encoding="utf-8")
    fake.chmod(0o755)
    result = make("chromium", "CHROMIUM=/nonexistent/chromium", "AS_ROOT=yes", f"APT_GET={fake}")
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert result.returncode != 0 and "Chromium not found" in result.stderr   # the fake installed nothing


# --- The release archive ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    archive = publish.build_dist(site, DATA_DIR, out, REPO / "CITATION.cff")
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    return archive, unpacked / f"rtxreview-{EDITION.version}"


def test_dist_manifest_matches_its_files(release):
    archive, root = release
    assert publish.verify_manifest(root) == []
    check = subprocess.run(["sha256sum", "--check", "--quiet", publish.MANIFEST], cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split("  ", 1)[1] for line in (root / publish.MANIFEST).read_text().splitlines()}
    for required in (EDITION.pdf_name, "site/index.html", f"site/{EDITION.pdf_name}", "data/datapackage.json",
                     "data/evidence.csv", "results/audit.csv", "results/pool.csv", "CITATION.cff"):
        assert required in listed, required
    assert (root / "data" / "evidence.csv").read_bytes() == (DATA_DIR / "evidence.csv").read_bytes()
    assert publish.data_sha256(root / "data") == EDITION.data_sha256
    side = (archive.parent / f"{archive.name}.sha256").read_text().split()
    assert side == [hashlib.sha256(archive.read_bytes()).hexdigest(), archive.name]


def test_dist_is_reproducible(release, site, tmp_path):
    archive, _ = release
    again = publish.build_dist(site, DATA_DIR, tmp_path, REPO / "CITATION.cff")
    assert again.read_bytes() == archive.read_bytes()


def test_verify_manifest_finds_changed_missing_and_unlisted_files(release, tmp_path):
    _, root = release
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "results" / "audit.csv").write_text("tampered\n", encoding="utf-8")
    (copy / "data" / "patients.csv").unlink()
    (copy / "extra.txt").write_text("x", encoding="utf-8")
    assert publish.verify_manifest(copy) == [
        "extra.txt: not in SHA256SUMS", "data/patients.csv: listed in SHA256SUMS but missing",
        "results/audit.csv: SHA-256 differs from SHA256SUMS"]


def test_dist_refuses_a_site_older_than_the_data(site, data_copy, tmp_path):
    package = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    package["description"] += " Changed after the build."
    (data_copy / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    with pytest.raises(publish.PublishError, match=r"_static/data/datapackage\.json\); run `make book` first"):
        publish.build_dist(site, data_copy, tmp_path, REPO / "CITATION.cff")
