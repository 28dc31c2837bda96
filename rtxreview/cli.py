"""Command line: ``python -m rtxreview <command> [DATA_DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rtxreview.validate import DataValidationError, validate_package

DEFAULT_DATA_DIR = Path("data")


def _validate(args: argparse.Namespace) -> int:
    tables = validate_package(args.data_dir)
    counts = ", ".join(f"{name} {len(frame)} rows" for name, frame in tables.items())
    print(f"{args.data_dir}: valid ({counts}); checked types, required fields, enums, ranges, "
          "keys, foreign keys and cross-field rules")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rtxreview", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check the data package against datapackage.json")
    validate.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    validate.set_defaults(run=_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DataValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was changed.", file=sys.stderr)
        return 1
