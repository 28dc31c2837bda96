"""Shared helpers of the benchmarks: timing, medians and a description of the machine.

Every figure the benchmarks report is a ratio of two times measured in the same run (absolute
seconds drift between runs on a shared machine); the seconds are recorded too, for context.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "pandera", "altair", "jupyter-book", "sphinx", "myst-nb",
            "papermill", "nbclient", "ipykernel", "pytest"]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def timed(function, *args, **kwargs) -> tuple[object, float]:
    """(result, seconds) of one call, after a garbage collection so that none is owed from before."""
    gc.collect()
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def run_command(command: list[str], cwd: Path, env: dict | None = None, log: Path | None = None,
                marks: dict[str, str] | None = None) -> dict:
    """Run a command to completion; wall time, CPU time of it and its children, exit code.

    ``marks`` maps a name to a text: the time (from the start) at which the first output line
    containing that text appeared is recorded, e.g. when ``make`` echoes a command, so that the
    phases of one ``make`` run are timed without running them separately.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    seen: dict[str, float] = {}
    lines: list[str] = []
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as process:
        for line in process.stdout:
            lines.append(line)
            for name, text in (marks or {}).items():
                if name not in seen and text in line:
                    seen[name] = time.perf_counter() - start
        code = process.wait()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(lines), encoding="utf-8")
    return {"command": " ".join(command), "wall_s": wall, "cpu_s": cpu, "cpu_per_wall": ratio(cpu, wall),
            "exit_code": code, "marks_s": seen, "output_tail": "".join(lines[-15:])}


def machine() -> dict:
    """Cores, memory, Python and the versions of the packages that do the work."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    memory = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            memory = next(int(line.split()[1]) // 1024 for line in fh if line.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        pass
    cpu_model = None
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            cpu_model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), None)
    except OSError:
        pass
    return {
        "cores_online": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_mib": memory,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
    }


def git_state(repo: Path = REPO) -> dict:
    """The commit measured and whether the working tree differs from it (the bench measures the tree)."""
    def git(*args):
        result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None
    status = git("status", "--porcelain")
    return {"commit": git("rev-parse", "HEAD"),
            "working_tree_changes": None if status is None else len(status.splitlines())}


def write_json(result: dict, path: Path | None) -> None:
    """Write ``result`` as JSON to ``path`` (its folder made if needed), or print it when None."""
    text = json.dumps(result, indent=2, default=str)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
