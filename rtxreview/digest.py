"""SHA-256 digests of what a computed result depends on besides its own code.

The book's runner skips a chapter whose inputs digest is unchanged (``rtxreview.notebooks``), and
``rtxreview.report.load_review`` reads back a review cached under the same digest
(``rtxreview.cache``). Both cover every file of the data package and every module of this package,
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


def files_sha256(folder: Path, pattern: str = "**/*") -> str:
    """SHA-256 over every file under ``folder`` matching ``pattern`` (subfolders included by default),
    each by its path relative to ``folder`` and its content, in path order."""
    folder = Path(folder)
    paths = sorted((p for p in folder.glob(pattern) if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    return sha256(*(part for p in paths for part in (p.relative_to(folder).as_posix(), p.read_bytes())))


# The modules as they were when this process imported the package: the code it runs. (A module
# edited while a kernel is open changes what is on disk, not the code that kernel runs.)
PACKAGE_SHA256 = files_sha256(PACKAGE_DIR, "*.py")


def pinned_requirements() -> bytes:
    """requirements.txt, which pins every direct dependency: the same on every fresh install."""
    return REQUIREMENTS.read_bytes() if REQUIREMENTS.is_file() else b""


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
