"""Sphinx extension: keep the built pages free of scripts the book does not use, and give the
bibliography list valid ARIA.

Jupyter Book 1 always loads sphinx-thebe, which declares ``const THEBE_JS_URL`` (an unpkg.com URL)
twice on every page: a JavaScript error on each page load and a CDN address in offline pages. The
book has no live-code buttons, so thebe's assets are dropped from each page. Hand-written because
Jupyter Book 1 offers no setting to leave out its bundled extensions.

Sphinx writes a citation list as ``<div role="list">`` whose entries carry ``role="doc-biblioentry"``,
a role ARIA 1.2 deprecates and no longer allows as a child of a list: screen readers announce an
empty list, and axe-core reports ``aria-required-children`` (critical). Each entry becomes a
``listitem``. Hand-written because neither Sphinx 7 nor sphinxcontrib-bibtex has a setting for it.
"""

from __future__ import annotations

import re

_BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def list_items_for_citations(app, pagename, templatename, context, doctree) -> None:
    """``role="doc-biblioentry"`` -> ``role="listitem"`` on each entry of a citation list."""
    body = context.get("body")
    if isinstance(body, str) and "doc-biblioentry" in body:
        context["body"] = _BIBLIOENTRY.sub(r'\1 role="listitem"', body)


def setup(app):
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("html-page-context", list_items_for_citations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
