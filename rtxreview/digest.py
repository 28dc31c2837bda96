"""SHA-256 of everything a computed result depends on besides its own code.

That is every file of the data package, every module of this package, Python's version and the
versions of the libraries whose results the package uses. The book's runner skips a chapter whose
digest is unchanged (``rtxreview.notebooks``). ``rtxreview.report.load_review`` reuses a validated
review whose digest is unchanged. So a new data row, an edited module or an upgraded library
makes both compute again, and neither can serve a stale result.
"""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import version
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Distributions whose behaviour reaches the results: validation, audit, pooling, charts, glue.
LIBRARIES = ("pandas", "numpy", "scipy", "statsmodels", "pandera", "frictionless", "altair", "myst-nb")


def environment() -> bytes:
    """Python's version and each library's installed version, e.g. ``python 3.11.7; pandas 3.1.1; ...``."""
    parts = [f"python {platform.python_version()}", *(f"{name} {version(name)}" for name in LIBRARIES)]
    return "; ".join(parts).encode()


def inputs_sha256(head: bytes, data_dir: Path) -> str:
    """SHA-256 over ``head`` (what the caller adds: a notebook's code, a review's options), the
    environment, every file in ``data_dir`` and every module of this package, each file by name and content."""
    digest = hashlib.sha256(head)
    digest.update(b"\x00" + environment())
    for folder, pattern in ((Path(data_dir), "*"), (PACKAGE_DIR, "*.py")):
        for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
            digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()
