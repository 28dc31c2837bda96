"""Run every benchmark of issue 6 in one run and report ratios against the floors (`make bench`).

    python bench/run.py [--quick] [--with-test] [--repeats N] [--out _build/bench/results.json]

* ``bench/scale.py``: validate + audit + checks + pool on a synthetic 10^5-row, 10^3-study
  review against pandas' read of the same CSVs; charts and page weight on it.
* ``bench/book.py``: the site floor (execution off), cold and no-change ``make book``, the
  execution phase's use of both cores, every chapter against an import-only notebook (papermill),
  and ``make test`` with ``--with-test``; all in a temporary copy of the working tree.

Writes the results as JSON (``--out``) and a Markdown summary beside it, and prints the summary.
Nothing in the working tree is modified (``_build/bench`` is ignored by git).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, git_state, machine, ratio  # noqa: E402

GOALS = {
    "chapter_ratio": 1.3,        # each chapter within 1.3x its import-only floor
    "nochange_ratio": 1.5,       # no-change make book within 1.5x the execution-off build
    "cores_cpu_per_wall": 1.5,   # "using both cores": CPU time / wall time of the execution phase
    "scale_ratio": 3.0,          # validate + audit + checks + pool within 3x pandas' read
}


def run_part(script: str, args: list[str], out: Path) -> dict:
    command = [sys.executable, str(REPO / "bench" / script), *args, "--json", str(out)]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=REPO, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def goals(results: dict) -> list[dict]:
    rows = []
    scale = results.get("scale", {}).get("scale")
    if scale:
        total = scale["ratio_to_read_floor"]["total"]
        rows.append({"goal": "validate + audit + checks + pool on 10^5 rows <= 3x pandas read",
                     "figure": f"{total:.2f}x", "met": total <= GOALS["scale_ratio"]})
    charts = results.get("scale", {}).get("charts")
    if charts:
        over = [p["part"] for page in charts["pages"].values() for p in page["parts"] if p["over_altair_limit"]]
        over += [p["part"] for p in charts["chart_parts"] if p["over_altair_limit"]]
        rows.append({"goal": "charts on 10^5 rows within Altair's 5,000-row limit",
                     "figure": "yes" if not over else "no: " + "; ".join(over),
                     "met": charts["charts_within_altair_limit"]})
        for name, page in charts["pages"].items():
            rows.append({"goal": f"{name} page on 10^5 rows within the {charts['page_budget_bytes']:,}-byte page budget",
                         "figure": f"{page['bytes']:,} bytes", "met": page["within_budget"]})
    book = results.get("book")
    if book:
        for key, how in (("ratio_to_floor", "reading the review validated by the build"),
                         ("nocache_ratio_to_floor", "cache off: validating and auditing the data itself")):
            worst = max(book["chapters"].items(), key=lambda item: item[1][key])
            rows.append({"goal": f"each chapter (papermill, {how}) <= 1.3x the import-only floor",
                         "figure": f"worst {Path(worst[0]).stem} {worst[1][key]:.2f}x",
                         "met": all(c[key] <= GOALS["chapter_ratio"] for c in book["chapters"].values())})
        nochange = ratio(book["make_book_nochange"]["wall_s"], book["site_floor"]["wall_s"])
        rows.append({"goal": "no-change make book <= 1.5x the execution-off build",
                     "figure": f"{nochange:.2f}x", "met": nochange <= GOALS["nochange_ratio"]})
        rows.append({"goal": "no-change make book executes nothing and leaves every notebook unchanged",
                     "figure": "yes" if book["notebooks_unchanged_by_rebuild"] else "no",
                     "met": book["notebooks_unchanged_by_rebuild"]})
        cores = book["execute_forced_jobs2"]["cpu_per_wall"]
        rows.append({"goal": "cold make book uses both cores (execution phase CPU/wall >= 1.5)",
                     "figure": f"{cores:.2f} (whole cold build {book['make_book_cold']['cpu_per_wall']:.2f})",
                     "met": cores >= GOALS["cores_cpu_per_wall"]})
    return rows


def summary(results: dict) -> str:
    m = results["machine"]
    lines = [f"# Benchmark run {results['started']}", "",
             f"Machine: {m['cores_usable']} usable cores ({m['cpu_model']}), {m['memory_mib']} MiB, "
             f"Python {m['python']}, load average at start {m['load_average_at_start']}.",
             "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
             f"Working tree: {results['git']['commit']} with {results['git']['working_tree_changes']} changed "
             "or untracked paths.", ""]
    scale = results.get("scale")
    if scale:
        s = scale["scale"]
        lines += ["## Scale: synthetic living review", "",
                  f"{scale['table_rows']['evidence']} evidence rows, {scale['table_rows']['studies']} studies, "
                  f"{scale['bytes_on_disk']:,} bytes of CSV; {s['repeats']} repeats. Ratio: median over repeats of "
                  "stage / floor of the same repeat (range over repeats); ratio of medians and of minimums for "
                  "comparison.", "",
                  "| stage | median s | ratio to pandas read (dtype=str) | range | ratio of medians | "
                  "ratio of minimums |", "|---|---:|---:|---:|---:|---:|",
                  f"| read floor | {s['seconds_median']['read']:.3f} | 1.00 | | | |"]
        for stage in ("validate", "audit", "checks", "pool", "total"):
            low, high = s["ratio_to_read_floor_range"][stage]
            name = "**validate + audit + checks + pool**" if stage == "total" else stage
            lines.append(f"| {name} | {s['seconds_median'][stage]:.3f} | {s['ratio_to_read_floor'][stage]:.2f} | "
                         f"{low:.1f}-{high:.1f} | {s['ratio_of_medians'][stage]:.2f} | "
                         f"{s['ratio_of_minimums'][stage]:.2f} |")
        lines += [f"| (total against pandas' default read_csv) | {s['seconds_median']['read_default']:.3f} | "
                  f"{s['ratio_to_default_read']:.2f} | | | |", ""]
        charts = scale.get("charts")
        if charts:
            lines += [f"Pages on the synthetic review: each page's parts as its notebook calls them, plus "
                      f"{charts['page_frame_bytes']:,} bytes of page frame (theme, navigation: the built "
                      "register page less its table).", "",
                      "| page | part | bytes | largest chart data | result |", "|---|---|---:|---:|---|"]
            parts = [(name, part) for name, page in charts["pages"].items() for part in page["parts"]]
            parts += [("(chapters)", part) for part in charts["chart_parts"]]
            for name, part in parts:
                rows = max(part.get("chart_rows") or [0])
                verdict = part.get("error") or ("over the 500-row chart budget" if part["over_chart_row_budget"]
                                                else "ok")
                size = f"{part['bytes']:,}" if "bytes" in part else "-"
                lines.append(f"| {name} | {part['part']} | {size} | {rows or '-'} | {verdict} |")
            for name, page in charts["pages"].items():
                lines.append(f"| **{name} page** | total with frame | **{page['bytes']:,}** | | "
                             f"{'within budget' if page['within_budget'] else 'over budget'} |")
            lines.append("")
    book = results.get("book")
    if book:
        floor = book["site_floor"]["wall_s"]
        cold, warm = book["make_book_cold"], book["make_book_nochange"]
        lines += ["## Book", "", "A chapter's ratio is the median of its runs, each over the floor run just before "
                  "it (range of those pairs in brackets). Each chapter runs as a reviewer re-runs it after "
                  "`make book`, reading the review the build validated from `_build/review-cache`, and with "
                  "`RTXREVIEW_CACHE=off`, validating and auditing the data itself.", "",
                  "| measurement | median s | ratio | floor |", "|---|---:|---:|---|",
                  f"| jupyter-book build, execution off (site floor) | {floor:.1f} | 1.00 | - |",
                  f"| cold `make book` | {cold['wall_s']:.1f} | {ratio(cold['wall_s'], floor):.2f} | site floor |",
                  f"| no-change `make book` | {warm['wall_s']:.1f} | {ratio(warm['wall_s'], floor):.2f} | site floor |",
                  f"| chapter floor: papermill, imports only | {book['chapter_floor_s']:.1f} | 1.00 | - |",
                  f"| chapter floor, bare `import rtxreview` | {book['chapter_floor_bare_s']:.1f} | "
                  f"{ratio(book['chapter_floor_bare_s'], book['chapter_floor_s']):.2f} | chapter floor |"]
        for name, chapter in book["chapters"].items():
            for prefix, label in (("", ""), ("nocache_", ", cache off")):
                pairs = [ratio(t, f) for t, f in zip(chapter[f"{prefix}runs_s"], chapter["floor_runs_s"])]
                lines.append(f"| papermill {name}{label} | {chapter[f'{prefix}wall_s']:.1f} | "
                             f"{chapter[f'{prefix}ratio_to_floor']:.2f} ({min(pairs):.2f}-{max(pairs):.2f}) | "
                             "chapter floor |")
        if "make_test" in book:
            lines.append(f"| `make test` | {book['make_test']['wall_s']:.1f} | "
                         f"{ratio(book['make_test']['wall_s'], floor):.2f} | site floor |")
        phases = cold.get("phases_s", {})
        lines += ["", f"Cold `make book`: CPU/wall {cold['cpu_per_wall']:.2f}; phases (s) "
                  + ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
                  + f"; chapters {cold['statuses']}. Forced execution alone (`--jobs 2`): "
                  f"{book['execute_forced_jobs2']['wall_s']:.1f} s, CPU/wall "
                  f"{book['execute_forced_jobs2']['cpu_per_wall']:.2f}. No-change runs: "
                  f"{[r['statuses'] for r in warm['runs']]}.", ""]
        if book.get("papermill_failures"):
            lines += [f"Papermill failures: {sorted(book['papermill_failures'])}", ""]
    lines += ["## Goals", "", "| goal | figure | met |", "|---|---|---|"]
    lines += [f"| {g['goal']} | {g['figure']} | {'yes' if g['met'] else '**no**'} |" for g in results["goals"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "bench" / "results.json")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the book measurements (default 3)")
    parser.add_argument("--scale-repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="one repeat of everything (a rough look)")
    parser.add_argument("--with-test", action="store_true", help="also time `make test` (about 3 minutes)")
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)
    repeats, scale_repeats = (1, 3) if args.quick else (args.repeats, args.scale_repeats)

    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "git": git_state(),
                     "goals_defined": GOALS}
    with tempfile.TemporaryDirectory(prefix="rtx-bench-out-") as tmp:
        if not args.skip_scale:
            results["scale"] = run_part("scale.py", ["--repeats", str(scale_repeats)], Path(tmp) / "scale.json")
        if not args.skip_book:
            book_args = ["--repeats", str(repeats), "--logs", str(args.out.parent / "logs")]
            results["book"] = run_part("book.py", book_args + (["--with-test"] if args.with_test else []),
                                       Path(tmp) / "book.json")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["goals"] = goals(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    text = summary(results)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    print(f"results: {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
