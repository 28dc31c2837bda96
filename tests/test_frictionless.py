"""The data package checked by an independent tool: the Frictionless Framework's own validator.

rtxreview.validate turns the Table Schema into pandera schemas and adds fast paths written by
hand; frictionless reads the same datapackage.json with its own code. The package must pass
both, and a package broken in ways the Table Schema states must fail both.
"""

from __future__ import annotations

import csv

import pytest
from frictionless import validate

from conftest import DATA_DIR
from rtxreview.validate import DataValidationError, validate_package


def frictionless_errors(data_dir) -> list[tuple[str, str]]:
    """(resource, error type) of every problem frictionless finds in the package."""
    report = validate(str(data_dir / "datapackage.json"))
    return [(task.name, error.type) for task in report.tasks for error in task.errors]


def test_the_data_package_is_valid_for_frictionless():
    assert frictionless_errors(DATA_DIR) == []


def edit_cell(path, row_number: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (row_number counts data rows from 0)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0])
    rows[row_number][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("file, column, value, error", [
    ("pooling.csv", "analysis_set", "per protocol", "constraint-error"),   # not in the enum
    ("pooling.csv", "timepoint", "", "constraint-error"),                  # required
    ("pooling.csv", "definition_source", "zhang_2021-999", "foreign-key"),  # no such evidence row
    ("pooling.csv", "evidence_id", "retro_series_147-045", "primary-key"),  # the same analysis and row twice
    ("evidence.csv", "denominator", "eight", "type-error"),
])
def test_a_broken_package_fails_frictionless_and_our_validator_alike(data_copy, file, column, value, error):
    edit_cell(data_copy / file, 3 if file == "pooling.csv" else 10, column, value)
    if column == "evidence_id":  # row 3 becomes a copy of row 2's key
        edit_cell(data_copy / file, 3, "analysis_id", "ttp-complete-remission")
    resource = file.removesuffix(".csv")
    assert (resource, error) in frictionless_errors(data_copy)
    with pytest.raises(DataValidationError) as refused:
        validate_package(data_copy)
    assert file in str(refused.value)
