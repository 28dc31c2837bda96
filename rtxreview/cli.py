"""Command line: ``python -m rtxreview <command> [DATA_DIR] [--format csv|json|table]``.

validate  check the data package against datapackage.json and the cross-field rules
audit     one verdict per reported number (recomputed from its counts or the per-patient table)
checks    the internal arithmetic checks of checks.csv (expected, observed, pass/fail)
ipd       per-patient response categories re-derived from the platelet table
pool      the pooled random-effects analyses of pooling.csv (json or csv)
diff      what changed from one data package to another (OLD_DATA_DIR NEW_DATA_DIR)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from rtxreview.commentary import CommentaryError
from rtxreview.validate import DataValidationError, validate_package

DEFAULT_DATA_DIR = Path("data")
# Columns shown by --format table (the csv and json formats carry every column).
TABLE_COLUMNS = {
    "audit": ["evidence_id", "statistic", "reported", "numerator", "denominator", "recomputed", "verdict", "explanation"],
    "checks": ["check_id", "kind", "expected", "observed", "status", "description"],
    "ipd": ["patient", "month", "platelets", "response"],
    "diff": ["change", "id", "study_id", "field", "old", "new", "detail"],
}


def _validate(args: argparse.Namespace) -> int:
    from rtxreview import appraisal
    tables = validate_package(args.data_dir)
    appraisal.check(tables, args.data_dir)
    counts = ", ".join(f"{name} {len(frame)} rows" for name, frame in tables.items())
    print(f"{args.data_dir}: valid ({counts}); checked types, required fields, enums, ranges, "
          "keys, foreign keys and cross-field rules")
    return 0


def _audit_frame(tables):
    from rtxreview.audit import audit, verdict_counts
    frame = audit(tables)
    counts = verdict_counts(frame)
    return frame, f"{len(frame)} reported numbers: " + ", ".join(f"{n} {v}" for v, n in counts.items())


def _checks_frame(tables):
    from rtxreview.checks import run_checks
    frame = run_checks(tables)
    status = frame["status"].value_counts()
    return frame, f"{len(frame)} checks: {status.get('pass', 0)} pass, {status.get('fail', 0)} fail"


def _ipd_frame(tables):
    from rtxreview import ipd
    frame = ipd.all_responses(tables["patients"])
    counts = ipd.response_counts(frame)
    summary = "; ".join(f"month {m}: CR {r.CR}, PR {r.PR}, NR {r.NR} of {r.n}" for m, r in counts.iterrows())
    return frame, summary


REPORTS = {"audit": _audit_frame, "checks": _checks_frame, "ipd": _ipd_frame}


def csv_text(frame: pd.DataFrame) -> str:
    """A report as CSV (``--format csv``): list columns (the compatible numerators) joined by spaces."""
    out = frame.assign(**{c: frame[c].map(lambda v: " ".join(map(str, v))) for c in frame if c == "compatible"})
    return out.to_csv(index=False, lineterminator="\n")


def pooled_csv_text(summary: list[dict]) -> str:
    """The pooled analyses as CSV: one row per analysis, its studies as ``study events/total; ...``."""
    flat = pd.DataFrame(summary).assign(studies=lambda d: d["studies"].map(
        lambda studies: "; ".join(f"{s['study_id']} {s['events']}/{s['total']}" for s in studies)))
    return flat.to_csv(index=False, lineterminator="\n")


def _pool(args: argparse.Namespace) -> int:
    from rtxreview.audit import audit
    from rtxreview.pooling import pooled_analyses, pooled_summary
    tables = validate_package(args.data_dir)
    summary = pooled_summary(pooled_analyses(tables, audit(tables), estimator=args.estimator))
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(pooled_csv_text(summary))
    return 0


def _report(args: argparse.Namespace) -> int:
    frame, summary = REPORTS[args.command](validate_package(args.data_dir))
    return _write(args, frame, summary)


def _diff(args: argparse.Namespace) -> int:
    from rtxreview import diff
    from rtxreview.review import load_review
    frame = diff.compare(load_review(args.old_data_dir), load_review(args.new_data_dir))
    return _write(args, frame, diff.summary(frame))


def _write(args: argparse.Namespace, frame: pd.DataFrame, summary: str) -> int:
    """A report in the chosen --format: csv, json, or a table of TABLE_COLUMNS and its summary."""
    if args.format == "csv":
        sys.stdout.write(csv_text(frame))
    elif args.format == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        json.dump(records, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        with pd.option_context("display.max_colwidth", 90, "display.width", 250, "display.max_rows", None):
            if len(frame):
                print(frame[TABLE_COLUMNS[args.command]].to_string(index=False))
        print(summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rtxreview", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the data package against datapackage.json")
    validate.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    validate.set_defaults(run=_validate)
    for name, text in (("audit", "a verdict for every reported number"),
                       ("checks", "internal arithmetic checks"),
                       ("ipd", "per-patient response categories")):
        command = commands.add_parser(name, help=text)
        command.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
        command.add_argument("--format", choices=["csv", "json", "table"], default="table")
        command.set_defaults(run=_report)
    pool = commands.add_parser("pool", help="pooled analyses")
    pool.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    pool.add_argument("--format", choices=["json", "csv"], default="json")
    pool.add_argument("--estimator", choices=["PM", "DL"], default="PM",
                      help="tau² estimator: Paule-Mandel (default) or DerSimonian-Laird (truncated at 0)")
    pool.set_defaults(run=_pool)
    notes = commands.add_parser("commentary", help="commentary pieces: list their status, render one, or "
                                                   "accept one after re-reading it against its rows")
    notes.add_argument("action", choices=["list", "render", "accept"])
    notes.add_argument("piece", nargs="?", help="the piece's name (its file name without .md)")
    notes.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    notes.set_defaults(run=_commentary)
    diff = commands.add_parser("diff", help="what changed between two data packages")
    diff.add_argument("old_data_dir", type=Path)
    diff.add_argument("new_data_dir", type=Path)
    diff.add_argument("--format", choices=["csv", "json", "table"], default="table")
    diff.set_defaults(run=_diff)
    return parser


def _commentary(args) -> int:
    """List pieces with their status (current, changed, absent), render one, or accept one."""
    from rtxreview import commentary
    if args.action == "list":
        frame = commentary.statuses(args.data_dir)
        print(frame.to_string(index=False) if len(frame) else "no commentary pieces")
        return 1 if (frame["status"] == "changed").any() else 0
    if not args.piece:
        print(f"commentary {args.action}: name a piece", file=sys.stderr)
        return 2
    if args.action == "accept":
        print(f"{args.piece}: digest {commentary.accept(args.data_dir, args.piece)}")
        return 0
    from rtxreview.review import load_review
    piece = commentary.read_piece(commentary.commentary_folder() / f"{args.piece}.md")
    print(commentary.render(load_review(args.data_dir), piece))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommentaryError as exc:
        print(exc, file=sys.stderr)
        return 1
    except DataValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was changed.", file=sys.stderr)
        return 1
