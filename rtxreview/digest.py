"""SHA-256 digests of what a computed result depends on besides its own code.

The book's runner skips a chapter whose inputs digest is unchanged (``rtxreview.notebooks``), and
``rtxreview.review.load_review`` reads back a review cached under the same digest
(``rtxreview.cache``). Both cover every file of the data folder and every module of this package,
so a changed data byte or module computes again and neither can serve a stale result.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REQUIREMENTS = PACKAGE_DIR.parent / "requirements.txt"
SITE_FOLDERS = ("site-packages", "dist-packages")


def sha256(*parts: bytes | str) -> str:
    """SHA-256 of the parts, each ended by a NUL byte so that no two lists of parts run together."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode() if isinstance(part, str) else part) + b"\x00")
    return digest.hexdigest()


def files_sha256(folder: Path, pattern: str = "*") -> str:
    """SHA-256 over the files in ``folder`` matching ``pattern``, each by name and content, in name order.

    Hidden files are left out: editors and notebooks leave them (``.ipynb_checkpoints``, ``.DS_Store``),
    and a digest stored in a notebook must be the same on a fresh clone. A data package's files are
    all in its folder, never hidden (``rtxreview.validate`` refuses any other resource path).
    """
    paths = sorted((p for p in Path(folder).glob(pattern) if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.name)
    return sha256(*(part for p in paths for part in (p.name, p.read_bytes())))


def installed_distributions() -> str:
    """Python's version and every installed distribution with its version, e.g. ``pandas-3.1.1``.

    Read from the names of the ``*.dist-info`` folders in the site-packages folders on ``sys.path``,
    which the wheel format spells ``{name}-{version}``. (importlib.metadata gives the same by parsing
    every distribution's METADATA file, which takes 0.16 s here: longer than a chapter's whole load
    from the cache. The working folder is left out: it is on ``sys.path`` and differs between runs.)
    """
    names = {entry.name for folder in map(Path, sys.path) if folder.name in SITE_FOLDERS and folder.is_dir()
             for entry in folder.iterdir() if entry.suffix in (".dist-info", ".egg-info")}
    return "; ".join([f"python-{platform.python_version()}", *sorted(names)])


# The package's modules and the installed libraries as they were when this process first imported
# the package (``rtxreview/__init__.py`` imports this module first): the code it runs. A reload of
# this module keeps the first snapshot (a reload runs the module again in the same namespace).
PACKAGE_SHA256 = globals().get("PACKAGE_SHA256") or files_sha256(PACKAGE_DIR, "*.py")
DISTRIBUTIONS = globals().get("DISTRIBUTIONS") or installed_distributions()


def unchanged_since_import() -> bool:
    """Whether the modules and libraries on disk are still those this process imported. A module
    edited (and perhaps reloaded) or a library upgraded since then means the code running may not
    be the code on disk, so no digest can say which code computed a result."""
    return files_sha256(PACKAGE_DIR, "*.py") == PACKAGE_SHA256 and installed_distributions() == DISTRIBUTIONS


def pinned_requirements() -> bytes:
    """requirements.txt, which pins every direct dependency: the same on every fresh install."""
    return REQUIREMENTS.read_bytes() if REQUIREMENTS.is_file() else b""
