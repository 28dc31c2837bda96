"""The validator accepts the real data package and refuses broken copies, naming file, line and column."""

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from conftest import DATA_DIR, REPO
from rtxreview.cli import main
from rtxreview.validate import DataValidationError, pandera_schema, validate_package, whole_value_pattern


def run_validate(data_dir: Path) -> subprocess.CompletedProcess:
    """The command line as a user runs it, in a separate process."""
    return subprocess.run([sys.executable, "-m", "rtxreview", "validate", str(data_dir)],
                          capture_output=True, text=True, cwd=REPO)


def run_validate_here(data_dir: Path, capsys) -> subprocess.CompletedProcess:
    """The same command line, run in this process (much faster for the broken corpus)."""
    code = main(["validate", str(data_dir)])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["validate"], code, out, err)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def file_line(path: Path, row_index: int) -> int:
    """CSV line on which data row ``row_index`` (0-based, after the header) starts."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        start = reader.line_num + 1
        for i, _ in enumerate(reader):
            if i == row_index:
                return start
            start = reader.line_num + 1
    raise IndexError(row_index)


def find_row(rows: list[list[str]], **wanted) -> int:
    """Index (0-based, data rows) of the first row whose columns satisfy ``wanted`` (value or predicate)."""
    header = rows[0]
    for i, row in enumerate(rows[1:]):
        record = dict(zip(header, row))
        if all(v(record[k]) if callable(v) else record[k] == v for k, v in wanted.items()):
            return i
    raise LookupError(wanted)


def break_cell(data_dir: Path, table: str, column: str, new_value: str, where: dict) -> tuple[int, str]:
    """Set one cell of the first matching row; return (line, key of that row)."""
    path = data_dir / f"{table}.csv"
    rows = read_rows(path)
    index = find_row(rows, **where)
    line = file_line(path, index)
    rows[index + 1][rows[0].index(column)] = new_value
    key = rows[index + 1][0]
    write_rows(path, rows)
    return line, key


def assert_refused(capsys, data_dir: Path, table: str, line: int | None, column: str, message: str,
                   key: str | None = None):
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()}
    result = run_validate_here(data_dir, capsys)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    where = f"{data_dir / (table + '.csv')}"
    if line is not None:
        where += f": line {line}"
    matching = [l for l in result.stderr.splitlines()
                if l.startswith(where) and f"column '{column}'" in l and message in l and (key is None or key in l)]
    assert matching, f"no problem line for {where} column {column!r} {message!r} in:\n{result.stderr}"
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()}
    assert after == digest, "the validator must never modify a file"


def test_real_data_package_is_valid():
    tables = validate_package(DATA_DIR)
    assert set(tables) == {"studies", "evidence", "patients", "checks", "derivations", "pooling", "outcomes",
                           "plausibility", "counting", "appraisal",
                           "definitions", "context", "certainty_judgements"}
    result = run_validate(DATA_DIR)
    assert result.returncode == 0, result.stderr
    for name, frame in tables.items():
        assert f"{name} {len(frame)} rows" in result.stdout


def is_percent_with_counts(rec):
    return rec["statistic"] == "percent" and rec["numerator"] != "" and rec["denominator"] != ""


# (table, column, bad value, row selector, expected message fragment)
CELL_CASES = {
    "word instead of integer": ("evidence", "denominator", "eight", dict(denominator=lambda v: v != ""), "not a whole number"),
    "fractional count": ("evidence", "numerator", "2.5", dict(statistic="count"), "not a whole number"),
    "numerator above denominator": ("evidence", "numerator", "999", dict(statistic="count", denominator=lambda v: v != ""),
                                    "numerator exceeds denominator"),
    "negative count": ("evidence", "numerator", "-1", dict(statistic="count"), "below the allowed minimum"),
    "zero denominator": ("evidence", "denominator", "0", dict(denominator=lambda v: v != ""), "below the allowed minimum"),
    "comma decimal": ("evidence", "reported", "72,9", dict(statistic="percent"), "'.' decimal point"),
    "percent sign kept": ("evidence", "reported", "72.9%", dict(statistic="percent"), "'.' decimal point"),
    "percent above 100": ("evidence", "reported", "172.9", dict(statistic="percent"), "between 0 and 100"),
    "unknown statistic": ("evidence", "statistic", "percentage", dict(statistic="percent"), "not one of the allowed values"),
    "unknown disease": ("evidence", "disease", "ITQ", dict(disease="ITP"), "not one of the allowed values"),
    "missing quote": ("evidence", "quote", "", dict(statistic="percent"), "required value is missing"),
    "unknown study": ("evidence", "study_id", "smith_1999", dict(statistic="count"), "unknown studies.study_id"),
    "denominator without source": ("evidence", "denominator_source", "", dict(denominator=lambda v: v != ""),
                                   "denominator_source"),
    "inferred without note": ("evidence", "note", "", dict(denominator_source="inferred"), "needs a note"),
    "count differs from print": ("evidence", "numerator", "1", dict(statistic="count", reported="147"),
                                 "differs from the count printed"),
    # Python's $ also matches before a final line break: these values must still be refused.
    "percent ending in a line break": ("evidence", "reported", "72.9\n", dict(statistic="percent"), "'.' decimal point"),
    "platelet count ending in a line break": ("patients", "value", "21\n", dict(measure="platelets_month_1", value="21"),
                                              "whole number or '/'"),
    "age ending in a line break": ("patients", "value", "30\n", dict(measure="age", value="30"), "whole number of years"),
    "duration ending in a line break": ("patients", "value", "6\n", dict(measure="disease_duration"), "'.' point"),
    "platelet count not whole": ("patients", "value", "21.5", dict(measure="platelets_month_1", value="21"),
                                 "whole number or '/'"),
    "sex code": ("patients", "value", "female", dict(measure="sex"), "F or M"),
    "bad doi": ("studies", "doi", "doi:10.1177", dict(doi=lambda v: v != ""), "does not match the required pattern"),
    "check names unknown row": ("checks", "parts", "retro_series_147-999", dict(check_id="retro-02"),
                                "unknown evidence_id"),
    "check needs a missing denominator": ("checks", "total", "retro_series_147-001:denominator",
                                          dict(check_id="retro-02"), "has no denominator"),
    "check term malformed": ("checks", "parts", "retro_series_147-010 + retro_series_147-011",
                             dict(check_id="retro-02"), "does not match the required pattern"),
    "derivation without its groups": ("derivations", "group_a", "", dict(method="two_by_two"), "needs group_a"),
    "derivation of unknown row": ("derivations", "evidence_id", "zhang_2021-999", dict(method="per_patient_summary"),
                                  "unknown evidence.evidence_id"),
}


@pytest.mark.parametrize("case", sorted(CELL_CASES))
def test_broken_cell_is_refused(case, data_copy, capsys):
    table, column, value, where, message = CELL_CASES[case]
    line, key = break_cell(data_copy, table, column, value, where)
    assert_refused(capsys, data_copy, table, line, column, message, key=key if table != "patients" else None)


def _pattern_fields() -> list[tuple[str, str]]:
    descriptor = json.loads((DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    return [(resource["name"], field["name"]) for resource in descriptor["resources"]
            for field in resource["schema"]["fields"] if "pattern" in field.get("constraints", {})]


@pytest.mark.parametrize("table, column", _pattern_fields())
def test_pattern_must_match_the_whole_value(table, column, data_copy, capsys):
    """A Table Schema pattern matches the whole value: a valid value followed by a line break is refused."""
    path = data_copy / f"{table}.csv"
    rows = read_rows(path)
    index = find_row(rows, **{column: lambda v: v != ""})
    cell = rows[0].index(column)
    rows[index + 1][cell] += "\n"
    write_rows(path, rows)
    assert_refused(capsys, data_copy, table, file_line(path, index), column, "does not match the required pattern")


def test_whole_value_pattern_reads_alternation_as_one_group():
    # The importer's '^ab|cd$' would accept 'abX' (starts with ab) and 'Xcd' (ends with cd).
    whole = re.compile(whole_value_pattern("ab|cd"))
    assert [bool(whole.match(v)) for v in ("ab", "cd", "abX", "Xcd", "ab\n")] == [True, True, False, False, False]


def test_top_level_alternation_is_one_group_in_the_schema():
    resource = {"name": "codes", "schema": {"fields": [{"name": "code", "type": "string",
                                                         "constraints": {"pattern": "ab|cd"}}]}}
    schema = pandera_schema(resource)
    schema.validate(pd.DataFrame({"code": ["ab", "cd"]}, dtype="string"))
    for value in ("abX", "Xcd", "ab\n"):
        with pytest.raises(pandera.errors.SchemaError):
            schema.validate(pd.DataFrame({"code": [value]}, dtype="string"))


@pytest.mark.parametrize("table, column, where, extra", [
    ("patients", "study_id", dict(study_id="zhang_2021"), None),  # its measures, keyed by study and patient
    ("checks", "check_id", dict(check_id="retro-02"), ("parts", "retro_series_147-999")),  # a term's key
])
def test_each_problem_stays_on_one_line(table, column, where, extra, data_copy, capsys):
    """Keys printed with a problem are quoted when they hold a line break."""
    path = data_copy / f"{table}.csv"
    rows = read_rows(path)
    index = find_row(rows, **where)
    rows[index + 1][rows[0].index(column)] += "\n"
    if extra:
        rows[index + 1][rows[0].index(extra[0])] = extra[1]
    write_rows(path, rows)
    result = run_validate_here(data_copy, capsys)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) >= 2 and lines[-1].endswith("problem(s); nothing was changed.")
    assert all(line.startswith(str(data_copy)) for line in lines[:-1]), result.stderr
    assert any("\\n" in line for line in lines[:-1]), result.stderr  # the quoted key is shown


def test_duplicate_evidence_id(data_copy, capsys):
    path = data_copy / "evidence.csv"
    rows = read_rows(path)
    rows[2][0] = rows[1][0]
    write_rows(path, rows)
    assert_refused(capsys, data_copy, "evidence", file_line(path, 1), "evidence_id", "must be unique", key=rows[1][0])


def test_duplicate_source_document(data_copy, capsys):
    path = data_copy / "studies.csv"
    rows = read_rows(path)
    column = rows[0].index("source_document")
    rows[2][column] = rows[1][column]
    write_rows(path, rows)
    assert_refused(capsys, data_copy, "studies", file_line(path, 1), "source_document", "must be unique")


def test_missing_column(data_copy, capsys):
    path = data_copy / "evidence.csv"
    rows = read_rows(path)
    column = rows[0].index("location")
    write_rows(path, [row[:column] + row[column + 1:] for row in rows])
    assert_refused(capsys, data_copy, "evidence", 1, "location", "column missing")


def test_short_row(data_copy, capsys):
    path = data_copy / "evidence.csv"
    rows = read_rows(path)
    rows[5] = rows[5][:-2]
    write_rows(path, rows)
    header = rows[0]
    assert_refused(capsys, data_copy, "evidence", file_line(path, 4), header[len(header) - 2], "fields, the header has")


def test_missing_patient_measure(data_copy, capsys):
    path = data_copy / "patients.csv"
    rows = read_rows(path)
    index = find_row(rows, measure="platelets_month_6", patient="3")
    del rows[index + 1]
    write_rows(path, rows)
    result = run_validate_here(data_copy, capsys)
    assert result.returncode == 1
    assert "patient 3, column 'measure', value 'platelets_month_6': measure missing" in result.stderr


def test_every_problem_reported_at_once(data_copy):
    break_cell(data_copy, "evidence", "numerator", "999", dict(statistic="count", denominator=lambda v: v != ""))
    break_cell(data_copy, "evidence", "reported", "72,9", dict(statistic="percent"))
    with pytest.raises(DataValidationError) as info:
        validate_package(data_copy)
    messages = [p.message for p in info.value.problems]
    assert any("exceeds" in m for m in messages) and any("decimal point" in m for m in messages)


@pytest.mark.parametrize("path", ["../evidence.csv", "tables/evidence.csv", "/tmp/evidence.csv",
                                  "https://example.org/evidence.csv", "C:evidence.csv", "tables\\evidence.csv",
                                  ".evidence.csv", "", ["evidence.csv"], None])
def test_a_resource_that_is_not_a_file_of_the_data_folder_is_refused(data_copy, capsys, path):
    """Every data file must be a visible file of the data folder: the folder's files are what the book's
    digests hash and what the site publishes, and the book reads nothing from the network."""
    descriptor = data_copy / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    if path is None:
        del package["resources"][1]["path"]   # inline data, which the standard allows
        package["resources"][1]["data"] = [{"evidence_id": "x"}]
    else:
        package["resources"][1]["path"] = path
    descriptor.write_text(json.dumps(package), encoding="utf-8")
    result = run_validate_here(data_copy, capsys)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    shown = path if isinstance(path, str) else repr(path)
    assert (f"{descriptor}: resource evidence, column 'path', value {shown!r}: must be the name of a file in the "
            "data folder") in result.stderr


@pytest.mark.parametrize("column, value, message", [
    ("counted", "cycles", "not one of the allowed values"),
    ("evidence_id", "nobody-999", "evidence"),
    ("reason", "", "required"),
])
def test_a_bad_counting_row_is_refused_naming_file_row_and_column(data_copy, column, value, message):
    path = data_copy / "counting.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, column] = value
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        validate_package(data_copy)
    text = str(info.value)
    assert "counting.csv" in text and column in text and "line 3" in text and message in text, text


def test_only_a_row_with_a_denominator_can_say_what_it_counts(data_copy):
    evidence = pd.read_csv(data_copy / "evidence.csv", dtype=str, keep_default_na=False)
    without = evidence.loc[evidence["denominator"].eq(""), "evidence_id"].iloc[0]
    path = data_copy / "counting.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "evidence_id"] = without
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        validate_package(data_copy)
    text = str(info.value)
    assert "counting.csv" in text and "line 2" in text and without in text and "without a denominator" in text, text
