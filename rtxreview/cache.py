"""A disk cache of computed reviews, so that each chapter's kernel need not validate and audit the
same data again (``rtxreview.review.load_review``).

An entry is a pickle named by the SHA-256 of everything the review depends on. A changed input
gives a new name, so an entry is never stale, only unused; the least recently used beyond
``KEEP`` are deleted. Entries are written to a temporary file and renamed, so two kernels that
compute the same review at once cannot leave a partial file.

Warnings raised while a review is computed (scipy's, for instance) are stored with it and shown
again, the same way, each time it is loaded: a chapter prints the same whether its review was
computed, read back or computed with the cache off.

Written by hand. joblib.Memory was tried: it prints its own warnings into a cell's output when an
entry vanishes between its check and its read (another kernel pruning), so a chapter's outputs
depended on timing, and it cannot leave out a result whose inputs changed while it was computed.
diskcache would need the same wrapping and has had no release since 2023.

A pickle runs code when it is read: keep the cache in a folder only you can write to (the default,
the checkout's ``_build/``, is).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable, TypeVar

from rtxreview.digest import PACKAGE_DIR

ENV = "RTXREVIEW_CACHE"
OFF = ("off", "0", "false", "no")
KEEP = 8
ENTRY = re.compile(r"review-[0-9a-f]{64}\.pickle")
TEMPORARY = re.compile(r"\.review-[0-9a-f]{64}\.pickle\.[^.]+\.tmp")
T = TypeVar("T")


class CacheError(RuntimeError):
    """The cache folder cannot be used, or one of its entries cannot be read back."""


def cache_dir() -> Path | None:
    """``$RTXREVIEW_CACHE`` (an absolute folder, or ``off``); else ``_build/review-cache`` of the source
    checkout this package runs from; else None (an installed package keeps no cache)."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in OFF:
        return None
    if setting:
        if not Path(setting).is_absolute():  # chapters run from book/, papermill from the root
            raise CacheError(f"{ENV}={setting!r}: give an absolute folder, or off")
        return Path(setting)
    checkout = PACKAGE_DIR.parent
    return checkout / "_build" / "review-cache" if (checkout / "pyproject.toml").is_file() else None


def load_or_compute(key: Callable[[], str | None], compute: Callable[[], T]) -> T:
    """The value cached under ``key()``, else ``compute()``, stored only if ``key()`` gives the same
    key afterwards (its inputs did not change meanwhile). A key of None means: do not use the cache."""
    folder, before = cache_dir(), key()
    path = folder / f"review-{before}.pickle" if folder and before else None
    entry = _read(path) if path else None
    if entry is None:
        entry = _computed(compute)
        if path and key() == before:
            try:
                data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, AttributeError, TypeError):
                data = None  # e.g. a warning class defined inside a function: computed each time
            if data is not None:
                _store(folder, path, data)
                _prune(folder)
    value, caught = entry
    _show(caught)
    return value


def _computed(compute: Callable[[], T]) -> tuple[T, list[tuple]]:
    """The value with the warnings raised while computing it, each once, in order (shown at once
    if the computation fails)."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            value, error = compute(), None
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after its warnings
            error = exc
    caught = list({(str(w.message), w.category, w.filename, w.lineno): (w.message, w.category, w.filename, w.lineno,
                                                                          _module_of(w.filename))
                   for w in records}.values())
    if error is not None:
        _show(caught)
        raise error
    return value, caught


def _module_of(filename: str) -> str | None:
    """The name of the module a warning came from, which filters such as ``module="scipy"`` match
    (a caught warning keeps only its file)."""
    return next((name for name, module in list(sys.modules.items())
                 if getattr(module, "__file__", None) == filename), None)


def _show(caught: list[tuple]) -> None:
    """Issue the warnings again as they were first issued, through the filters in force now."""
    for message, category, filename, lineno, module in caught:
        warnings.warn_explicit(message, category, filename, lineno, module=module)


def _read(path: Path):
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CacheError(f"{path}: cannot be read ({exc}); set {ENV} to a usable folder, or to off") from exc
    try:
        entry = pickle.loads(stored)
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle means the same: unreadable
        raise CacheError(f"{path}: cannot be read back ({type(exc).__name__}: {exc}); delete it "
                         f"(`make clean` empties the cache) or set {ENV}=off") from exc
    with contextlib.suppress(OSError):  # most recently used, for _prune; pruned meanwhile or read-only: no matter
        os.utime(path)
    return entry


def _store(folder: Path, path: Path, data: bytes) -> None:
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False) as file:
            tmp = file.name
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # whole on disk before it takes the entry's name
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise CacheError(f"cannot write the review cache in {folder} ({exc}); set {ENV} to a writable "
                         f"folder, or to off") from exc


def _prune(folder: Path) -> None:
    """Delete all but the ``KEEP`` most recently used entries, and temporary files a day old (left by
    a writer that was killed); nothing else in the folder."""
    entries, abandoned = [], []
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if ENTRY.fullmatch(path.name):
                entries.append((path.stat().st_mtime_ns, path))
            elif TEMPORARY.fullmatch(path.name) and time.time() - path.stat().st_mtime > 86_400:
                abandoned.append(path)
    for path in [path for _, path in sorted(entries, reverse=True)[KEEP:]] + abandoned:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
