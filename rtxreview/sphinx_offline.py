"""Sphinx extension: keep the built pages free of scripts the book does not use.

Jupyter Book 1 always loads sphinx-thebe, which declares ``const THEBE_JS_URL`` (an unpkg.com URL)
twice on every page: a JavaScript error on each page load and a CDN address in offline pages. The
book has no live-code buttons, so thebe's assets are dropped from each page. Hand-written because
Jupyter Book 1 offers no setting to leave out its bundled extensions.
"""

from __future__ import annotations


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def setup(app):
    app.connect("html-page-context", drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
