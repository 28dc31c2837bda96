"""Execute the book's chapter notebooks in place, deterministically, skipping unchanged ones.

A chapter's outputs depend on its code, on the data it reads, on this package and on the libraries
it uses. Their SHA-256 (``rtxreview.digest``) is stored in the notebook's metadata
(``rtxreview.inputs_sha256``); a chapter whose inputs have the same digest is not executed again,
and any change to a data file, to the package or to a pinned requirement runs it again, so nothing
goes stale (unlike a cache keyed on the code cells alone). Execution uses
nbclient without timing metadata, and a notebook is rewritten only when its content changed, so
building twice leaves the working tree clean.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from rtxreview import digest

METADATA_KEY = "rtxreview"


def _code_of(notebook: nbformat.NotebookNode) -> bytes:
    cells = [cell.source for cell in notebook.cells]
    return "\n\x00\n".join(cells).encode()


def inputs_digest(notebook: nbformat.NotebookNode, data_dir: Path) -> str:
    """SHA-256 over the notebook's cells, every data file, the book's commentary pieces, every module
    of the package and the pinned requirements (not the installed versions, which a fresh install may
    resolve differently for unpinned dependencies: the stored digest must match on every machine that
    installs the pins)."""
    commentary = Path(data_dir).resolve().parent / "book" / "commentary"
    return digest.sha256(_code_of(notebook), digest.files_sha256(data_dir),
                         digest.files_sha256(commentary) if commentary.is_dir() else "",
                         digest.PACKAGE_SHA256, digest.pinned_requirements())


def _clean(notebook: nbformat.NotebookNode) -> None:
    """Drop what differs between runs without meaning anything: execution timing and papermill records."""
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)


def execute(path: Path, data_dir: Path, force: bool = False, timeout: int = 600) -> str:
    """Execute one notebook in its own folder; return 'executed', 'unchanged' or 'skipped'."""
    notebook = nbformat.read(path, as_version=4)
    inputs = inputs_digest(notebook, data_dir)
    if not force and notebook.metadata.get(METADATA_KEY, {}).get("inputs_sha256") == inputs:
        return "skipped"
    before = nbformat.writes(notebook)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    _clean(notebook)
    notebook.metadata[METADATA_KEY] = {"inputs_sha256": inputs}
    after = nbformat.writes(notebook)
    if after == before:
        return "unchanged"
    path.write_text(after, encoding="utf-8")
    return "executed"


def _run(job: tuple[Path, Path, bool]) -> tuple[Path, str, str]:
    path, data_dir, force = job
    try:
        return path, execute(path, data_dir, force), ""
    except CellExecutionError as exc:
        return path, "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - report any failure per notebook, then stop the build
        return path, "failed", f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtxreview.notebooks", description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--force", action="store_true", help="execute even if the inputs are unchanged")
    args = parser.parse_args(argv)
    jobs = [(path, args.data_dir, args.force) for path in args.notebooks]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(_run, jobs))
    failed = False
    for path, status, error in results:
        print(f"{path}: {status}")
        if error:
            failed = True
            print(error, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
