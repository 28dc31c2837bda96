"""Sphinx extension: the build says which commentary pieces it left out and warns about stale ones.

A piece whose rows are gone from the data is left out of its chapter (an info line names it); a
piece whose rows changed since a reviewer last read it is shown under a visible mark, and the build
warns, which fails the book's ``--warningiserror`` build until the piece is re-read and accepted
(``python -m rtxreview commentary accept NAME``): no published sentence quietly outlives its rows.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def report(app) -> None:
    from rtxreview import commentary
    root = Path(app.srcdir)
    folder = root / commentary.FOLDER
    if not folder.is_dir():
        return
    for row in commentary.statuses(root / "data", folder).itertuples():
        if row.status == "absent":
            logger.info(f"commentary {row.piece} ({row.chapter}) left out: rows {row.missing} are not in the data")
        elif row.status == "changed":
            logger.warning(f"commentary {row.piece} ({row.chapter}): the evidence changed since it was written; "
                           f"re-read it, then run: python -m rtxreview commentary accept {row.piece}")


def setup(app):
    app.connect("builder-inited", report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
