"""Book benchmarks: the build, the chapters and the tests, measured in a temporary copy of the repository.

    python bench/book.py [--repeats 3] [--with-test] [--keep] [--json OUT]

The working tree's files (tracked and untracked, not ignored: what ``git status`` sees, so
uncommitted changes are measured) are copied to a temporary folder, with ``_static/vega``;
``.venv`` and ``node_modules`` are linked, not copied. Every command runs there with
``PYTHONPATH`` set to the copy, so the copy's ``rtxreview`` is imported (the editable install
points at the original), and ``make`` is told never to remake ``.venv/.installed`` or the npm
packages (``-o``), so nothing is installed into the shared environment. The original working
tree, its ``_build`` and git are not touched.

Measured, in this order, in one run:

1. the site floor: ``jupyter-book build`` of the same pages with execution off (the book's
   ``execute_notebooks: "off"``), with ``make site``'s flags, into a temporary output folder;
2. cold ``make book``: every chapter's stored input digest removed and ``_build`` deleted, so every
   chapter is executed (two at a time) and the site built from nothing; wall time, the CPU time
   of all its processes (CPU / wall above 1 means more than one core was busy) and the phases;
3. ``make book`` again with nothing changed (every chapter skipped, Sphinx reuses its environment);
4. the execution phase alone, forced (``python -m rtxreview.notebooks --force --jobs 2``): CPU / wall;
5. the chapter floor: a notebook that only imports pandas, altair and the package
   (``from rtxreview import chapters`` and ``load_review``, what every chapter imports), run with papermill from
   the repository root, as a reviewer re-runs a chapter; and a bare ``import rtxreview`` variant;
6. every chapter run with papermill the same way, each right after its own floor run, ``--repeats``
   times; a chapter's ratio is the median of its paired ratios. Each chapter runs twice after its
   floor: first as a reviewer re-runs it after ``make book``, reading the review validated in the
   build from ``_build/review-cache`` (``rtxreview.review.load_review``), then with
   ``RTXREVIEW_CACHE=off``, validating and auditing the data itself, as on data never seen before;
7. with ``--with-test``: ``make test`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, median, ratio, run_command, write_json  # noqa: E402

MAKE_NEVER_REMAKE = ["-o", ".venv/.installed", "-o", "node_modules/.package-lock.json"]
SITE_FLAGS = ["--warningiserror", "--keep-going"]  # as `make site`
FLOOR_IMPORTS = {
    "floor": "import pandas\nimport altair\nfrom rtxreview import chapters\nfrom rtxreview.review import load_review",
    "floor_bare": "import pandas\nimport altair\nimport rtxreview",
}


def working_tree_files(repo: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                         capture_output=True, check=True).stdout.decode()
    return sorted({name for name in out.split("\0") if name and (repo / name).is_file()})


def make_copy(repo: Path, target: Path) -> None:
    """The working tree as it is now, with the built Vega files; the environments linked."""
    for name in working_tree_files(repo):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, destination)
    if (repo / "_static" / "vega").is_dir():
        shutil.copytree(repo / "_static" / "vega", target / "_static" / "vega", dirs_exist_ok=True)
    for linked in (".venv", "node_modules"):
        if (repo / linked).exists():
            (target / linked).symlink_to(repo / linked)


def environment(copy: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("RTXREVIEW_CACHE", None)  # the copy's own review cache, in its _build (rtxreview.cache)
    env.pop("MAKEFLAGS", None)  # `make bench` must not pass its own flags (e.g. -j) to the measured makes
    env.pop("MFLAGS", None)
    env.pop("MAKELEVEL", None)
    return env


def forget_digests(copy: Path) -> None:
    """Remove each chapter's stored input digest so that `make book` executes it (a cold build)."""
    for path in sorted((copy / "book").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        notebook.metadata.pop("rtxreview", None)
        nbformat.write(notebook, path)


def statuses(output: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("book/") and line.rsplit(": ", 1)[-1] in ("executed", "unchanged", "skipped", "failed"):
            status = line.rsplit(": ", 1)[-1]
            counts[status] = counts.get(status, 0) + 1
    return counts


def write_floor_notebooks(folder: Path) -> dict[str, Path]:
    paths = {}
    for name, source in FLOOR_IMPORTS.items():
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source)]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(notebook, paths[name])
    return paths


def book_benchmark(repeats: int, with_test: bool, keep: bool, logs: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="rtx-bench-"))
    copy = tmp / "repo"
    result: dict = {"copy": str(copy), "repeats": repeats}
    try:
        make_copy(REPO, copy)
        env = environment(copy)
        python = str(copy / ".venv" / "bin" / "python")
        make = ["make", "--no-print-directory", *MAKE_NEVER_REMAKE]
        chapters = sorted(p.relative_to(copy).as_posix() for p in (copy / "book").glob("*.ipynb"))

        # 1. Site floor: the same pages, execution off, into a fresh output folder.
        floors = []
        for i in range(repeats):
            out = tmp / f"site-floor-{i}"
            floors.append(run_command([str(copy / ".venv" / "bin" / "jupyter-book"), "build", ".", "--path-output",
                                       str(out), *SITE_FLAGS], copy, env, logs / f"site-floor-{i}.log"))
            shutil.rmtree(out, ignore_errors=True)
        result["site_floor"] = {"runs": floors, "wall_s": median([r["wall_s"] for r in floors])}

        # 2. Cold make book.
        forget_digests(copy)
        shutil.rmtree(copy / "_build", ignore_errors=True)
        cold = run_command([*make, "book"], copy, env, logs / "make-book-cold.log",
                           marks={"execute": "rtxreview.notebooks", "site": "jupyter-book build"})
        cold["statuses"] = statuses((logs / "make-book-cold.log").read_text())
        marks = cold["marks_s"]
        if "execute" in marks and "site" in marks:
            cold["phases_s"] = {"validate": marks["execute"], "execute": marks["site"] - marks["execute"],
                                "site": cold["wall_s"] - marks["site"]}
        result["make_book_cold"] = cold

        # 3. No-change make book.
        warm = []
        for i in range(repeats):
            run = run_command([*make, "book"], copy, env, logs / f"make-book-nochange-{i}.log")
            run["statuses"] = statuses((logs / f"make-book-nochange-{i}.log").read_text())
            warm.append(run)
        result["make_book_nochange"] = {"runs": warm, "wall_s": median([r["wall_s"] for r in warm])}
        result["notebooks_unchanged_by_rebuild"] = all(
            r["statuses"].get("skipped", 0) == len(chapters) for r in warm)

        # 4. The execution phase alone, forced, two at a time.
        forced = run_command([python, "-m", "rtxreview.notebooks", "--force", "--jobs", "2", *chapters], copy, env,
                             logs / "execute-forced.log")
        forced["statuses"] = statuses((logs / "execute-forced.log").read_text())
        result["execute_forced_jobs2"] = forced

        # 5-6. Chapters with papermill, each run right after a run of the import-only floor: a chapter's
        # ratio is the median over repeats of chapter / the floor run just before it. (Chapters take
        # 4-7 s and single runs vary by a second on this shared machine, so a floor taken once per
        # round, minutes away from most chapters, moved the ratios more than the chapters did.)
        outputs = tmp / "papermill"
        outputs.mkdir()
        floor_notebooks = write_floor_notebooks(tmp)
        papermill = [str(copy / ".venv" / "bin" / "papermill"), "-k", "python3", "--no-progress-bar"]
        failures = {}

        no_cache = {**env, "RTXREVIEW_CACHE": "off"}

        def run_notebook(name: str, source: Path, i: int, run_env: dict = env, tag: str = "") -> float:
            run = run_command([*papermill, str(source), str(outputs / Path(name).name)], copy, run_env,
                              logs / f"papermill-{Path(name).stem}{tag}-{i}.log")
            if run["exit_code"]:
                failures[name + tag] = run["output_tail"]
            return run["wall_s"]

        times: dict[str, list[float]] = {name: [] for name in chapters}
        uncached: dict[str, list[float]] = {name: [] for name in chapters}
        floors: dict[str, list[float]] = {name: [] for name in chapters}
        bare_floors: list[float] = []
        for i in range(repeats):
            bare_floors.append(run_notebook("floor_bare", floor_notebooks["floor_bare"], i))
            for name in chapters:
                floors[name].append(run_notebook("floor", floor_notebooks["floor"], i))
                times[name].append(run_notebook(name, copy / name, i))
                uncached[name].append(run_notebook(name, copy / name, i, no_cache, "-nocache"))
        result["chapter_floor_s"] = median([t for runs in floors.values() for t in runs])
        result["chapter_floor_bare_s"] = median(bare_floors)
        result["chapters"] = {
            name: {"wall_s": median(times[name]), "runs_s": times[name], "floor_runs_s": floors[name],
                   "ratio_to_floor": median([ratio(t, f) for t, f in zip(times[name], floors[name])]),
                   "nocache_wall_s": median(uncached[name]), "nocache_runs_s": uncached[name],
                   "nocache_ratio_to_floor": median([ratio(t, f) for t, f in zip(uncached[name], floors[name])])}
            for name in chapters}
        result["papermill_failures"] = failures

        # 7. make test (optional).
        if with_test:
            test = run_command([*make, "test"], copy, env, logs / "make-test.log")
            result["make_test"] = test
    finally:
        if keep:
            result["kept"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--with-test", action="store_true", help="also time `make test` (about 3 minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    parser.add_argument("--logs", type=Path, default=REPO / "_build" / "bench" / "logs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = book_benchmark(args.repeats, args.with_test, args.keep, args.logs)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
