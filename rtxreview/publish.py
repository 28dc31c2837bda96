"""Publishing: the whole book as one PDF, and a release archive a reader can cite and verify.

``python -m rtxreview.publish pdf SITE`` prints the built site (``make book`` calls it before the new
site replaces the old one); ``python -m rtxreview.publish dist`` packs the site, the PDF, the data
package and the audit's results into one archive with a SHA-256 manifest (``make dist``).

Why the PDF is printed from the built pages by Debian's Chromium:
- Jupyter Book's LaTeX builder ignores ``text/html`` outputs, so every chart would vanish, and its
  HTML-to-PDF builder (pyppeteer) downloads a browser at run time, which is not possible here.
- LaTeX with charts converted by vl-convert would need a TeX installation, a second rendering of
  every chart and a LaTeX twin of every HTML table with its folded quotes.
- Chromium (the browser the tests already drive through Playwright, never downloaded) prints what a
  reader sees: charts drawn by vega-embed as SVG stay vector graphics, tables and quotes keep the
  site's styles (print rules in ``_static/rtx-publish.css``). pypdf merges the chapters behind a
  title page and a table of contents, with a bookmark for each.
Chromium numbers each printed document from 1 and has no offset, so page numbers are printed by
Chromium on a blank document of the book's length and laid over the merged pages with pypdf.
Nothing is fetched: the site is served from a local port and every other request is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import hashlib
import html
import http.server
import io
import json
import os
import posixpath
import shutil
import sys
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RTXREVIEW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE = {"format": "A4", "margin": {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}}
INPUTS_KEY = "/RtxreviewInputs"   # PDF metadata: digest of what the PDF was printed from
CHART_TIMEOUT_MS = 30_000
MANIFEST = "SHA256SUMS"


class PublishError(Exception):
    """Something needed to publish is missing or inconsistent; the message says what and where."""


@dataclass(frozen=True)
class Edition:
    """What a reader cites: the data package's version and a digest of its files."""
    version: str
    data_sha256: str

    @property
    def pdf_name(self) -> str:
        return f"rtxreview-{self.version}.pdf"


def data_sha256(data_dir: Path) -> str:
    """SHA-256 of the data folder's manifest, so a reader can recompute it with coreutils:
    ``cd data && LC_ALL=C sha256sum -- * | sha256sum`` (visible files, in byte order of their names)."""
    files = sorted((p for p in Path(data_dir).iterdir() if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.name.encode())
    return hashlib.sha256(_manifest_text(Path(data_dir), files).encode()).hexdigest()


def edition(data_dir: Path) -> Edition:
    package = Path(data_dir) / "datapackage.json"
    try:
        version = json.loads(package.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError) as exc:
        raise PublishError(f"{package}: cannot read the data package ({exc})") from exc
    if not isinstance(version, str) or not version.strip():
        raise PublishError(f"{package}: no top-level 'version' (the release a reader cites)")
    return Edition(version.strip(), data_sha256(data_dir))


@dataclass(frozen=True)
class Chapter:
    part: str       # the table of contents' caption ('' for the root page)
    docname: str    # e.g. 'book/itp'

    @property
    def html(self) -> str:
        return f"{self.docname}.html"


def chapters(toc_file: Path) -> list[Chapter]:
    """The book's pages in reading order, from Jupyter Book's ``_toc.yml`` (format jb-book)."""
    toc = yaml.safe_load(Path(toc_file).read_text(encoding="utf-8"))
    if not isinstance(toc, dict) or "root" not in toc:
        raise PublishError(f"{toc_file}: no 'root' page")
    pages = [Chapter("", _docname(toc["root"]))]
    for part in toc.get("parts", []):
        pages += [Chapter(part.get("caption", ""), _docname(entry["file"])) for entry in part.get("chapters", [])]
    pages += [Chapter("", _docname(entry["file"])) for entry in toc.get("chapters", [])]
    return pages


def _docname(file: str) -> str:
    return posixpath.splitext(file)[0]


# ---------------------------------------------------------------------------------------------
# Printing


@contextlib.contextmanager
def _served(root: Path):
    """The site on a local port, as a static host would serve it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()


@contextlib.contextmanager
def _browser(chromium: str):
    if not Path(chromium).is_file():
        raise PublishError(f"Chromium not found at {chromium}: `make chromium` installs it (as root) "
                           "or says how; RTXREVIEW_CHROMIUM names another path")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _local_only(base: str):
    def handle(route):
        url = route.request.url
        if url.startswith(base) or url.startswith("data:"):
            route.continue_()
        else:
            route.abort()
    return handle


_TEMPLATE_STYLE = "font-family: sans-serif; font-size: 8px; color: #555; width: 100%; margin: 0 14mm;"


def _header(book: str, chapter: str) -> str:
    return (f'<div style="{_TEMPLATE_STYLE} display: flex; justify-content: space-between;">'
            f"<span>{html.escape(book)}</span><span>{html.escape(chapter)}</span></div>")


def _print_page(page, url: str, book_title: str) -> tuple[str, bytes]:
    """Print one built page; return its title (its first heading) and the PDF."""
    page.goto(url, wait_until="load")
    try:
        # every chart drawn (an <svg>) or showing its message; see _static/rtx-charts.js
        page.wait_for_function("() => [...document.querySelectorAll('.rtx-chart')]"
                               ".every(c => c.querySelector('svg') || c.textContent.trim())",
                               timeout=CHART_TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 - Playwright's timeout, named with the page
        raise PublishError(f"{url}: charts not drawn within {CHART_TIMEOUT_MS // 1000} s ({exc})") from exc
    title = page.evaluate("() => { const h = document.querySelector('article h1, main h1');"
                          " return h ? h.textContent.replace(/#\\s*$/, '').trim() : document.title; }")
    # Folded quotes print open (print CSS alone cannot open a <details>); folded code stays out.
    page.evaluate("() => document.querySelectorAll('details:not(.hide)').forEach(d => { d.open = true; })")
    pdf = page.pdf(**PAGE, display_header_footer=True, header_template=_header(book_title, title),
                   footer_template="<span></span>", print_background=True,
                   # Chromium's tagged PDF with heading bookmarks doubles the time and size of a print;
                   # pypdf bookmarks each chapter instead.
                   tagged=False, outline=False)
    return title, pdf


def _front_matter_html(title: str, author: str, ed: Edition, contents: list[tuple[str, str, int]]) -> tuple[str, str]:
    """HTML of the title page and of the table of contents (part, chapter title, page number)."""
    import jinja2
    env = jinja2.Environment(autoescape=True)
    style = ("body { font-family: sans-serif; color: #111; } h1 { font-size: 26pt; margin: 40mm 0 8mm; }"
             " .meta { font-size: 11pt; line-height: 1.6; } code { font-size: 9pt; word-break: break-all; }"
             " table { width: 100%; border-collapse: collapse; font-size: 11pt; }"
             " td { padding: 1.2mm 0; } td.n { text-align: right; width: 15mm; }"
             " tr.part td { font-weight: bold; padding-top: 4mm; }")
    title_page = env.from_string(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{{ title }}</title><style>{{ style }}</style>"
        "</head><body><h1>{{ title }}</h1><div class='meta'><p>{{ author }}</p>"
        "<p>Version {{ ed.version }} (data package version)</p>"
        "<p>SHA-256 of the data files: <code>{{ ed.data_sha256 }}</code><br>"
        "(recompute it in the data folder with <code>LC_ALL=C sha256sum -- * | sha256sum</code>)</p>"
        "<p>Cite this version with the repository's CITATION.cff; the release archive carries this PDF, "
        "the site, the data package and the audit's results with their SHA-256 sums.</p></div></body></html>"
    ).render(title=title, author=author, ed=ed, style=style)
    rows, part = [], None
    for caption, name, number in contents:
        if caption and caption != part:
            rows.append((caption, None))
        part = caption
        rows.append((name, number))
    toc_page = env.from_string(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>{{ style }}</style></head><body>"
        "<h2>Contents</h2><table>{% for name, number in rows %}{% if number is none %}"
        "<tr class='part'><td colspan='2'>{{ name }}</td></tr>{% else %}"
        "<tr><td>{{ name }}</td><td class='n'>{{ number }}</td></tr>{% endif %}{% endfor %}</table></body></html>"
    ).render(rows=rows, style=style)
    return title_page, toc_page


def _print_html(page, markup: str, **options) -> bytes:
    page.set_content(markup, wait_until="load")
    return page.pdf(**PAGE, print_background=True, **options)


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _number_stamp(page, count: int) -> bytes:
    """``count`` blank pages whose footers Chromium numbers 1..count, to lay over the book."""
    blank = "<!DOCTYPE html><html><body>" + "<div style='break-after: page'>&#8203;</div>" * count + "</body></html>"
    footer = (f'<div style="{_TEMPLATE_STYLE} text-align: center;"><span class="pageNumber"></span>'
              ' / <span class="totalPages"></span></div>')
    stamp = _print_html(page, blank, display_header_footer=True, header_template="<span></span>",
                        footer_template=footer)
    if _page_count(stamp) != count:
        raise PublishError(f"page-number stamp has {_page_count(stamp)} pages, expected {count}")
    return stamp


def site_inputs_sha256(site: Path) -> str:
    """What a printed PDF depends on: every file of the site except PDFs, and this module."""
    from rtxreview.digest import sha256
    files = sorted((p for p in Path(site).rglob("*") if p.is_file() and p.suffix != ".pdf"),
                   key=lambda p: p.relative_to(site).as_posix())
    return sha256(Path(__file__).read_bytes(),
                  *(part for p in files for part in (p.relative_to(site).as_posix(), p.read_bytes())))


def build_pdf(site: Path, toc_file: Path, data_dir: Path, config_file: Path, chromium: str = CHROMIUM,
              force: bool = False) -> Path:
    """Print the built site into ``site/<pdf_name>``; return its path. A PDF printed from the same
    site (same inputs digest in its metadata) is kept as it is."""
    from pypdf import PdfReader, PdfWriter

    site, ed = Path(site), edition(data_dir)
    config = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
    book_title, author = config.get("title", "Book"), config.get("author", "")
    target = site / ed.pdf_name
    inputs = site_inputs_sha256(site)
    if not force and target.is_file() and PdfReader(target).metadata.get(INPUTS_KEY) == inputs:
        return target
    pages = chapters(toc_file)
    missing = [c.html for c in pages if not (site / c.html).is_file()]
    if missing:
        raise PublishError(f"{site}: pages of {toc_file} not built: {', '.join(missing)} (run `make book`)")

    with _served(site) as base, _browser(chromium) as browser:
        context = browser.new_context(color_scheme="light", viewport={"width": 1000, "height": 1400})
        page = context.new_page()
        page.route("**/*", _local_only(base))
        printed = [(chapter, *_print_page(page, base + chapter.html, book_title)) for chapter in pages]
        contents_pages, contents_html = 1, ""
        for _ in range(3):  # the contents' own length shifts the page numbers it lists
            first = 2 + contents_pages
            numbers, entries = first, []
            for chapter, title, pdf in printed:
                entries.append((chapter.part, title, numbers))
                numbers += _page_count(pdf)
            title_html, contents_html = _front_matter_html(book_title, author, ed, entries)
            toc_pdf = _print_html(page, contents_html)
            if _page_count(toc_pdf) == contents_pages:
                break
            contents_pages = _page_count(toc_pdf)
        title_pdf = _print_html(page, title_html)
        total = 1 + contents_pages + sum(_page_count(pdf) for _, _, pdf in printed)
        stamp = PdfReader(io.BytesIO(_number_stamp(page, total)))
        context.close()

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(title_pdf)), outline_item=book_title)
    writer.append(PdfReader(io.BytesIO(toc_pdf)), outline_item="Contents")
    for chapter, title, pdf in printed:
        writer.append(PdfReader(io.BytesIO(pdf)), outline_item=title)
    for number, book_page in enumerate(writer.pages):
        if number > 0:   # the title page carries no number
            book_page.merge_page(stamp.pages[number])
            book_page.compress_content_streams()  # merge_page leaves the page's content uncompressed
    _relative_links(writer, base)
    writer.add_metadata({"/Title": book_title, "/Author": author,
                         "/Subject": f"Version {ed.version}; data SHA-256 {ed.data_sha256}",
                         "/Producer": "rtxreview.publish (Chromium, pypdf)", INPUTS_KEY: inputs})
    _deterministic(writer, inputs)
    partial = target.with_suffix(".pdf.partial")
    with partial.open("wb") as out:
        writer.write(out)
    partial.replace(target)
    return target


def _relative_links(writer, base: str) -> None:
    """Links to the site were printed against the local port: make them relative to the PDF,
    which sits at the site's root, so they work wherever the site is hosted."""
    from pypdf.generic import NameObject, TextStringObject
    for book_page in writer.pages:
        for annotation in book_page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            if isinstance(uri, str) and uri.startswith(base):
                action.get_object()[NameObject("/URI")] = TextStringObject(uri[len(base):] or "index.html")


def _deterministic(writer, inputs: str) -> None:
    """The same site prints the same bytes: no creation dates, and a file ID derived from the inputs."""
    from pypdf.generic import ArrayObject, ByteStringObject
    for key in ("/CreationDate", "/ModDate"):
        if key in writer._info.get_object():  # noqa: SLF001 - pypdf exposes no setter that removes keys
            del writer._info.get_object()[key]
    identifier = ByteStringObject(bytes.fromhex(inputs[:32]))
    writer._ID = ArrayObject([identifier, identifier])  # noqa: SLF001 - else pypdf uses the time


# ---------------------------------------------------------------------------------------------
# Release archive


def _manifest_text(root: Path, files: list[Path]) -> str:
    """``sha256sum`` format (two spaces, path relative to ``root``), so ``sha256sum -c`` checks it."""
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
                   for p in files)


def verify_manifest(root: Path) -> list[str]:
    """Problems of the folder ``root`` against its SHA256SUMS: files changed, missing or unlisted."""
    root = Path(root)
    listed = {}
    for line in (root / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest_hex, _, name = line.partition("  ")
        listed[name] = digest_hex
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"{name}: not in {MANIFEST}" for name in sorted(present - listed.keys())]
    problems += [f"{name}: listed in {MANIFEST} but missing" for name in sorted(listed.keys() - present)]
    problems += [f"{name}: SHA-256 differs from {MANIFEST}" for name in sorted(present & listed.keys())
                 if hashlib.sha256((root / name).read_bytes()).hexdigest() != listed[name]]
    return problems


def _stale_site(site: Path, data_dir: Path, results: Path) -> list[str]:
    """Files the site publishes that differ from the data and from the results computed now."""
    from rtxreview.sphinx_data import DATA_FOLDER, RESULTS_FOLDER
    stale = []
    for name in sorted(p.name for p in results.iterdir()):
        if not (site / RESULTS_FOLDER / name).is_file() or \
                (site / RESULTS_FOLDER / name).read_bytes() != (results / name).read_bytes():
            stale.append(f"{RESULTS_FOLDER}/{name}")
    for path in sorted(Path(data_dir).glob("*.csv")) + [Path(data_dir) / "datapackage.json"]:
        published = site / DATA_FOLDER / path.name
        if not published.is_file() or published.read_bytes() != path.read_bytes():
            stale.append(f"{DATA_FOLDER}/{path.name}")
    return stale


def build_dist(site: Path, data_dir: Path, out_dir: Path, citation: Path) -> Path:
    """One archive ``rtxreview-<version>.tar.gz`` holding ``site/``, the PDF, ``data/``, ``results/``
    and CITATION.cff under ``rtxreview-<version>/``, with a SHA256SUMS manifest of every file.
    Entries are sorted and carry no dates or owners, so the same inputs give the same archive."""
    from rtxreview.sphinx_data import RESULTS_FOLDER, publish

    site, data_dir, ed = Path(site), Path(data_dir), edition(data_dir)
    if not (site / ed.pdf_name).is_file():
        raise PublishError(f"{site / ed.pdf_name}: no PDF of version {ed.version} (run `make book`)")
    with tempfile.TemporaryDirectory() as tmp:
        computed = Path(tmp) / "computed"
        publish(data_dir, computed)      # the results as the library computes them now
        stale = _stale_site(site, data_dir, computed / RESULTS_FOLDER)
        if stale:
            raise PublishError(f"{site}: the built site is older than the data or library "
                               f"({', '.join(stale)}); run `make book` first")
        root = Path(tmp) / f"rtxreview-{ed.version}"
        shutil.copytree(site, root / "site")
        shutil.copyfile(site / ed.pdf_name, root / ed.pdf_name)
        shutil.copytree(data_dir, root / "data", ignore=shutil.ignore_patterns(".*"))
        shutil.copytree(computed / RESULTS_FOLDER, root / "results")
        shutil.copyfile(citation, root / "CITATION.cff")
        files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
        (root / MANIFEST).write_text(_manifest_text(root, files), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        archive = out_dir / f"rtxreview-{ed.version}.tar.gz"
        _write_tar(root, archive)
    (out_dir / f"{archive.name}.sha256").write_text(_manifest_text(out_dir, [archive]), encoding="utf-8")
    return archive


def _write_tar(root: Path, archive: Path) -> None:
    def normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        info.mode = 0o755 if info.isdir() else 0o644
        return info

    partial = archive.with_name(archive.name + ".partial")
    with partial.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [root, *sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())]:
            name = posixpath.join(root.name, path.relative_to(root).as_posix()) if path != root else root.name
            tar.add(path, arcname=name, recursive=False, filter=normalised)
    partial.replace(archive)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtxreview.publish", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pdf = commands.add_parser("pdf", help="print the built site into SITE/rtxreview-<version>.pdf")
    pdf.add_argument("site", type=Path)
    pdf.add_argument("--force", action="store_true", help="print even if the site is unchanged")
    dist = commands.add_parser("dist", help="pack site, PDF, data and results with a SHA-256 manifest")
    dist.add_argument("--site", type=Path, default=Path("_build/html"))
    dist.add_argument("--out", type=Path, default=Path("_build/dist"))
    edition_parser = commands.add_parser("edition", help="print the version and the data digest")
    for sub in (pdf, dist, edition_parser):
        sub.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args(argv)
    try:
        if args.command == "pdf":
            path = build_pdf(args.site, Path("_toc.yml"), args.data_dir, Path("_config.yml"), force=args.force)
            print(f"{path}: {_page_count(path.read_bytes())} pages")
        elif args.command == "dist":
            archive = build_dist(args.site, args.data_dir, args.out, Path("CITATION.cff"))
            print(f"{archive} (SHA-256 in {archive.name}.sha256; {MANIFEST} inside)")
        else:
            ed = edition(args.data_dir)
            print(f"version {ed.version}\ndata SHA-256 {ed.data_sha256}")
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
