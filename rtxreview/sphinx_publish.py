"""Sphinx extension: the release on every page, and the files that let readers take it away.

Every page carries, in the theme's announcement bar, the version of the data package it was built
from, the SHA-256 of the data files (``rtxreview.publish.data_sha256``), a link to the PDF of the
whole book (printed by ``python -m rtxreview.publish pdf`` into the site's root after the build) and
to CITATION.cff (copied beside it). Links are relative, so the site works from any folder or host.
Registers the print rules (``_static/rtx-publish.css``) and the chart downloads
(``_static/rtx-downloads.js``: SVG, PNG and CSV of each chart, drawn in the page, offline).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from rtxreview.publish import edition

CITATION = "CITATION.cff"


def _remember_edition(app, config) -> None:
    app.rtx_edition = edition(Path(app.srcdir) / "data")
    # A config value that Sphinx compares with the last build's: a new version or data digest
    # rewrites every page, not only those whose source changed.
    config.rtx_edition = f"{app.rtx_edition.version} {app.rtx_edition.data_sha256}"


def announce(app, pagename, templatename, context, doctree) -> None:
    ed = app.rtx_edition
    pathto = context["pathto"]
    context["theme_announcement"] = (
        f'<span class="rtx-edition">Version {html.escape(ed.version)}'
        f' &middot; <a href="{pathto(ed.pdf_name, 1)}" download>PDF of the whole book</a>'
        f' &middot; <a href="{pathto(CITATION, 1)}">How to cite (CITATION.cff)</a>'
        f' &middot; data SHA-256 <code title="{ed.data_sha256}">{ed.data_sha256[:12]}</code></span>')


def _copy_citation(app, exception) -> None:
    source = Path(app.srcdir) / CITATION
    if exception is None and app.builder.format == "html" and source.is_file():
        shutil.copyfile(source, Path(app.outdir) / CITATION)


def _add_assets(app, config) -> None:
    # Appended to the book's own lists, so that rtx-downloads.js loads after rtx-charts.js, whose
    # rtxCharts.embed it wraps (files an extension adds itself load before the configured ones).
    for option, name in (("html_css_files", "rtx-publish.css"), ("html_js_files", "rtx-downloads.js")):
        if name not in config[option]:
            config[option] = [*config[option], name]


def setup(app):
    app.add_config_value("rtx_edition", "", "html")
    app.connect("config-inited", _add_assets)
    app.connect("config-inited", _remember_edition)
    app.connect("html-page-context", announce)
    app.connect("build-finished", _copy_citation)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
