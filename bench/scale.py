"""Scale benchmark: validate + audit + checks + pool on a synthetic living review.

    python bench/scale.py [--rows 100000] [--studies 1000] [--seed 1] [--repeats 7] [--json OUT]

A synthetic data package (``rtxreview.synthetic``: the review's schema, realistic denominators up to
5,000) is written to a temporary folder. In one process, after one untimed pass (imports and
first-call caches), each repeat times, back to back:

* the floor: ``pandas.read_csv(path, dtype=str, keep_default_na=False)`` of every CSV of the package
  (the same files the stages read), and, for context, ``pandas.read_csv(path)`` with its defaults;
* ``validate_package``, ``audit``, ``run_checks`` and ``pooled_analyses``, as ``make book`` and the
  chapters call them.

Each stage's figure is the median over the repeats of (stage time / floor time of the same
repeat): timings taken seconds apart share the machine's state, so the ratio drifts far less than
the seconds. The goal of issue 6 is validate + audit + checks + pool within 3x the floor.

Then the chart helpers the chapters use are run on the synthetic review, to see whether any chart
would carry more than Altair's 5,000-row limit (``altair.MaxRowsError``) or the site's budgets
(500 rows per chart, 600,000 bytes per page: ``tests/test_site.py``).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, median, ratio, timed, write_json  # noqa: E402

STAGES = ("validate", "audit", "checks", "pool")
ALTAIR_MAX_ROWS = 5_000
CHART_ROW_BUDGET = 500        # tests/test_site.py
PAGE_BUDGET_BYTES = 600_000   # tests/test_site.py
_EMBEDDED_SPEC = re.compile(r"rtxCharts\.embed\(\"[^\"]+\",\s*(\{.*?\})\);</script>", re.DOTALL)


def read_floor(data_dir: Path, **options) -> list:
    import pandas as pd
    return [pd.read_csv(path, **options) for path in sorted(glob.glob(str(data_dir / "*.csv")))]


def run_stages(data_dir: Path) -> dict[str, float]:
    from rtxreview.audit import audit
    from rtxreview.checks import run_checks
    from rtxreview.pooling import pooled_analyses
    from rtxreview.validate import validate_package

    times = {}
    _, times["read"] = timed(read_floor, data_dir, dtype=str, keep_default_na=False)
    tables, times["validate"] = timed(validate_package, data_dir)
    audited, times["audit"] = timed(audit, tables)
    _, times["checks"] = timed(run_checks, tables)
    _, times["pool"] = timed(pooled_analyses, tables, audited)
    _, times["read_default"] = timed(read_floor, data_dir)
    return times


def scale_benchmark(data_dir: Path, repeats: int) -> dict:
    first = run_stages(data_dir)  # untimed in the figures: imports, schema building, first calls
    runs = [run_stages(data_dir) for _ in range(repeats)]
    per_repeat = {stage: [ratio(run[stage], run["read"]) for run in runs] for stage in STAGES}
    per_repeat["total"] = [ratio(sum(run[s] for s in STAGES), run["read"]) for run in runs]
    seconds = {k: [run[k] for run in runs] for k in runs[0]}
    seconds["total"] = [sum(run[s] for s in STAGES) for run in runs]
    return {
        "repeats": repeats,
        "seconds_median": {k: median(v) for k, v in seconds.items()},
        "seconds_min": {k: min(v) for k, v in seconds.items()},
        "seconds_first_pass": first,
        # The headline: the median over repeats of stage / floor of the same repeat.
        "ratio_to_read_floor": {k: median(v) for k, v in per_repeat.items()},
        "ratio_to_read_floor_range": {k: [min(v), max(v)] for k, v in per_repeat.items()},
        "ratio_to_read_floor_each_repeat": per_repeat,
        # Two other estimators of the same ratio, for how much the machine's noise moves it.
        "ratio_of_medians": {k: ratio(median(seconds[k]), median(seconds["read"])) for k in (*STAGES, "total")},
        "ratio_of_minimums": {k: ratio(min(seconds[k]), min(seconds["read"])) for k in (*STAGES, "total")},
        "ratio_to_default_read": median([ratio(sum(run[s] for s in STAGES), run["read_default"]) for run in runs]),
        "goal_total_ratio": 3.0,
    }


def _chart_rows(html: str) -> list[int]:
    """Rows of every data set embedded in the charts of ``html`` (named datasets and inline values)."""
    rows = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasets" and isinstance(value, dict):
                    rows.extend(len(v) for v in value.values() if isinstance(v, list))
                elif key == "values" and isinstance(value, list) and value and isinstance(value[0], dict):
                    rows.append(len(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for spec in _EMBEDDED_SPEC.findall(html):
        walk(json.loads(spec))
    return rows


def _measure(name: str, make) -> dict:
    """Run one page part; its HTML size, the rows of its chart data, or the error it raised."""
    start = time.perf_counter()
    try:
        output = make()
    except Exception as exc:  # noqa: BLE001 - the benchmark reports what a chapter would hit
        return {"part": name, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                "seconds": time.perf_counter() - start}
    html = getattr(output, "data", output)
    return {"part": name, "bytes": len(html.encode()), "chart_rows": _chart_rows(html),
            "seconds": time.perf_counter() - start}


def _page_frame_bytes() -> int:
    """Bytes of a built chapter page around its outputs (theme, navigation, scripts): the built
    register page less its one table, on the real data. 45,000 if the site is not built."""
    page = REPO / "_build" / "html" / "book" / "register.html"
    if not page.is_file():
        return 45_000
    from rtxreview import tables
    from rtxreview.review import load_review
    review = load_review(REPO / "data")
    table = tables.evidence_table(review.rows, "Every extracted number", max_bytes=tables.REGISTER_BYTES).data
    return max(0, len(page.read_bytes()) - len(table.encode()))


PAGES_AT_SCALE = ("audit", "register")  # the chapters that show every row of the review, not chosen ones


def _executed_page(name: str, data_dir: Path) -> list[dict]:
    """Run book/<name>.ipynb on ``data_dir`` (papermill, as a reviewer would) and measure the HTML
    and Markdown each cell puts in the page, and the rows of each chart's data."""
    import nbformat
    import papermill

    with tempfile.TemporaryDirectory(prefix="rtx-scale-page-") as tmp:
        out = Path(tmp) / f"{name}.ipynb"
        start = time.perf_counter()
        papermill.execute_notebook(str(REPO / "book" / f"{name}.ipynb"), str(out), cwd=str(REPO / "book"),
                                   parameters={"data_dir": str(data_dir)}, progress_bar=False, log_output=False)
        seconds = time.perf_counter() - start
        notebook = nbformat.read(out, as_version=4)
    parts = []
    for cell in notebook.cells:
        shown = [output.get("data", {}) for output in cell.get("outputs", [])]
        texts = [data.get("text/html") or data.get("text/markdown") or "" for data in shown]
        texts += [value for data in shown for key, value in data.items() if key.startswith("application/papermill.record/text/markdown")]
        if not any(texts):
            continue
        html = "".join(texts)
        parts.append({"part": cell.source.splitlines()[0][:90], "bytes": len(html.encode()),
                      "chart_rows": _chart_rows(html), "seconds": seconds / len(notebook.cells)})
    return parts


def chart_check(data_dir: Path) -> dict:
    """The audit and register chapters executed on the synthetic review (papermill), and the chart
    helpers the other chapters call: chart rows against Altair's limit and the site's budget, and each
    page's weight (its cells' outputs plus the page frame measured on the real site)."""
    import altair as alt
    from rtxreview import pages as blocks, tables
    from rtxreview.review import load_review

    review = load_review(data_dir)
    pooled = review.pooled
    largest = max(pooled.values(), key=lambda result: len(result["rows"]))
    patients = review.tables["patients"]
    ipd_study = patients.groupby("study_id")["patient"].nunique().idxmax()
    pages = {name: _executed_page(name, data_dir) for name in PAGES_AT_SCALE}
    helpers = [
            (f"forest plot, largest pooled analysis ({len(largest['rows'])} estimates)",
             lambda: blocks.forest(review, largest["analysis_id"], title="largest")),
            (f"response chart ({ipd_study})", lambda: blocks.response_chart(review, ipd_study)),
            (f"platelet trajectories ({ipd_study})", lambda: blocks.trajectory_chart(review, ipd_study)),
            (f"studies table ({len(review.tables['studies'])} studies)", lambda: tables.studies_table(review)),
        ]
    frame = _page_frame_bytes()
    altair_limit = alt.data_transformers.options.get("max_rows", ALTAIR_MAX_ROWS)
    result = {"altair_max_rows": altair_limit, "chart_row_budget": CHART_ROW_BUDGET,
              "page_budget_bytes": PAGE_BUDGET_BYTES, "page_frame_bytes": frame, "pages": {}}
    every_part = []
    for page, parts in [*pages.items(), ("charts", helpers)]:
        measured = parts if page != "charts" else [_measure(name, make) for name, make in parts]
        for part in measured:
            rows = part.get("chart_rows") or []
            part["over_altair_limit"] = "MaxRowsError" in part.get("error", "") or any(r > altair_limit for r in rows)
            part["over_chart_row_budget"] = any(r > CHART_ROW_BUDGET for r in rows) or part["over_altair_limit"]
        every_part += measured
        if page != "charts":  # the chart helpers are spread over chapters: no single page
            weight = frame + sum(part.get("bytes", 0) for part in measured)
            result["pages"][page] = {"bytes": weight, "parts": measured,
                                     "within_budget": weight <= PAGE_BUDGET_BYTES
                                     and not any("error" in part for part in measured)}
        else:
            result["chart_parts"] = measured
    result["charts_within_altair_limit"] = not any(p["over_altair_limit"] for p in every_part)
    result["charts_within_row_budget"] = not any(p["over_chart_row_budget"] for p in every_part)
    result["errors"] = [f"{p['part']}: {p['error']}" for p in every_part if "error" in p]
    result["pages_within_budget"] = all(page["within_budget"] for page in result["pages"].values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--studies", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--data", type=Path, help="use this data package instead of generating one")
    parser.add_argument("--no-charts", action="store_true", help="skip the chart and page-weight check")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    from rtxreview.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="rtx-scale-") as tmp:
        data_dir = args.data or Path(tmp) / "data"
        result = {"machine": machine(), "rows": args.rows, "studies": args.studies, "seed": args.seed}
        if args.data is None:
            counts, result["generate_s"] = timed(generate, data_dir, rows=args.rows, studies=args.studies,
                                                 seed=args.seed)
            result["table_rows"] = counts
        result["bytes_on_disk"] = sum(p.stat().st_size for p in data_dir.glob("*.csv"))
        result["scale"] = scale_benchmark(data_dir, args.repeats)
        if not args.no_charts:
            result["charts"] = chart_check(data_dir)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
