"""A disk cache of computed reviews, so that each chapter's kernel need not validate and audit the
same data again (``rtxreview.report.load_review``).

An entry is a pickle named by the SHA-256 of everything the review depends on. A changed input
gives a new name, so an entry is never stale, only unused; the least recently used beyond
``KEEP`` are deleted. Entries are written to a temporary file and renamed, so two kernels that
compute the same review at once cannot leave a partial file.

Written by hand rather than with joblib.Memory, which was tried: it prints warnings into a cell's
output when an entry vanishes between its check and its read (another kernel pruning), so a
chapter's outputs would depend on timing; and it cannot leave out a result whose inputs changed
while it was computed.

A pickle runs code when it is read: keep the cache in a folder only you can write to (the default,
the checkout's ``_build/``, is).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

from rtxreview.digest import PACKAGE_DIR

ENV = "RTXREVIEW_CACHE"
OFF = ("off", "0", "false", "no")
KEEP = 8
T = TypeVar("T")


class CacheError(RuntimeError):
    """The cache folder cannot be written, or one of its entries cannot be read back."""


def cache_dir() -> Path | None:
    """``$RTXREVIEW_CACHE`` (a folder, or ``off``); else ``_build/review-cache`` of the source checkout
    this package runs from; else None (an installed package keeps no cache)."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in OFF:
        return None
    if setting:
        return Path(setting)
    checkout = PACKAGE_DIR.parent
    return checkout / "_build" / "review-cache" if (checkout / "pyproject.toml").is_file() else None


def load_or_compute(key: str, compute: Callable[[], T], current_key: Callable[[], str]) -> T:
    """The value cached under ``key``, else ``compute()``, stored under ``key`` only if
    ``current_key()`` still gives ``key`` afterwards (the inputs did not change meanwhile)."""
    folder = cache_dir()
    if folder is None:
        return compute()
    path = folder / f"{key}.pickle"
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        stored = None
    if stored is not None:
        try:
            value = pickle.loads(stored)
        except Exception as exc:  # noqa: BLE001 - any failure to unpickle means the same: unreadable
            raise CacheError(f"{path}: cannot be read back ({type(exc).__name__}: {exc}); delete it "
                             f"(`make clean` empties the cache) or set {ENV}=off") from exc
        with contextlib.suppress(FileNotFoundError):  # another kernel may have just pruned it
            os.utime(path)  # most recently used: kept by _prune
        return value
    value = compute()
    if current_key() == key:
        _store(folder, path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        _prune(folder)
    return value


def _store(folder: Path, path: Path, data: bytes) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=path.stem, suffix=".tmp", delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
    except OSError as exc:
        raise CacheError(f"cannot write the review cache in {folder} ({exc}); set {ENV} to a writable "
                         f"folder, or to off") from exc


def _prune(folder: Path) -> None:
    """Delete all but the ``KEEP`` most recently used entries."""
    entries = []
    for path in folder.glob("*.pickle"):
        with contextlib.suppress(FileNotFoundError):
            entries.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
