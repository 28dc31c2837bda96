"""Validate the evidence data package described by ``data/datapackage.json``.

The Table Schemas in ``datapackage.json`` are the single source of truth for types, required
fields, enums, ranges and keys. They are turned into pandera schemas (pandera's own frictionless
importer), so the per-cell checks are pandera's, vectorised. What a Table Schema cannot say
(numerator <= denominator, a percentage printed with a '.' decimal point, a complete per-patient
grid, foreign keys) is added here as named dataframe-level pandera checks or, where pandera has no
such check, as short hand-written functions.

Every problem names the file, the line of the CSV, the row's key, the column and the value.
Nothing is modified, dropped or coerced silently: a table with any problem is refused whole.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
from pandera.io.pandas_io import FrictionlessFieldParser, deserialize_schema

from rtxreview.reported_rules import REPORTED_RULES

DESCRIPTOR = "datapackage.json"
# A number with a '.' decimal point, matched against whole values (str.fullmatch: Python's '$' would
# also match before a final line break, so "72.9\n" would pass).
DECIMAL_NUMBER = r"\d+(\.\d+)?"


@dataclass(frozen=True)
class Problem:
    """One reason a data file is refused."""

    file: str
    line: int | None
    key: str | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f": line {self.line}"
        if self.key:
            where += f" ({self.key})" if self.line is not None else f": {self.key}"
        if self.column:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.message}"


class DataValidationError(Exception):
    """Raised with every problem found; ``str()`` gives one line per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback when a chapter's first cell (``load_review``)
        raises this: the problems, one per line, as ``python -m rtxreview validate`` prints them."""
        return [str(p) for p in self.problems] + [f"{len(self.problems)} problem(s); nothing was changed."]


@dataclass(frozen=True)
class RowRule:
    """A cross-field rule: ``ok(frame)`` is a boolean Series, False on offending rows."""

    name: str
    column: str
    message: str
    ok: Callable[[pd.DataFrame], pd.Series]


def _present(s: pd.Series) -> pd.Series:
    return s.notna()


def _only(rows: pd.Series, check: Callable[[pd.Index], pd.Series], index: pd.Index) -> pd.Series:
    """A rule that can only fail on ``rows``: True elsewhere, ``check(rows' labels)`` there.

    The string checks below (regular expressions, number parsing) run on the rows of one statistic
    only, not on every row of the table: the same verdict per row at a quarter of the cost.
    """
    where = rows.to_numpy(dtype=bool, na_value=False)
    ok = np.ones(len(index), dtype=bool)
    if where.any():
        ok[where] = check(index[where]).to_numpy(dtype=bool, na_value=False)
    return pd.Series(ok, index=index)


def _matching(values: pd.Series, pattern: str) -> pd.Series:
    """``values.astype("string").str.fullmatch(pattern).fillna(False)``, at once when every value
    matches (``pattern`` must not match a line break).

    The rules below ran the match row by row in Python: 0.07 s of the 0.11 s of cross-field rules
    on the 10^5-row synthetic review (BENCHMARKS.md). When one regex over all the values joined by
    line breaks (:func:`_all_match`) says every value matches, the answer is all True; otherwise (or
    with a missing value) the row-by-row match gives it, exactly as before.
    """
    if not values.isna().any() and _all_match(values, _joined(pattern)):
        return pd.Series(True, index=values.index, dtype="boolean")
    return values.astype("string").str.fullmatch(pattern).fillna(False)


def _parses_as_percent(df: pd.DataFrame, labels: pd.Index) -> pd.Series:
    return _matching(df.loc[labels, "reported"], DECIMAL_NUMBER)


def _percent_parses(df: pd.DataFrame) -> pd.Series:
    return _only(df["statistic"] == "percent", lambda labels: _parses_as_percent(df, labels), df.index)


def _percent_in_range(df: pd.DataFrame) -> pd.Series:
    # Only rows that parse are judged here; the others are reported by _percent_parses.
    def in_range(labels):
        reported = df.loc[labels, "reported"]
        value = pd.to_numeric(reported.where(_parses_as_percent(df, labels)), errors="coerce")
        return value.isna() | value.between(0, 100)
    return _only(df["statistic"] == "percent", in_range, df.index)


def _count_matches_digits(df: pd.DataFrame) -> pd.Series:
    def matches(labels):
        printed = df.loc[labels, "reported"].astype("string")
        digits = _matching(printed, r"\d+")
        same = pd.to_numeric(printed.where(digits), errors="coerce") == df.loc[labels, "numerator"].astype("Float64")
        return ~digits | same.fillna(False)
    return _only(df["statistic"] == "count", matches, df.index)


EVIDENCE_RULES = [
    RowRule("numerator_not_above_denominator", "numerator",
            "numerator exceeds denominator",
            lambda df: ~(df["numerator"] > df["denominator"]).fillna(False)),
    RowRule("count_has_numerator", "numerator",
            "a count row needs its count in numerator",
            lambda df: (df["statistic"] != "count") | _present(df["numerator"])),
    RowRule("count_matches_printed", "numerator",
            "numerator differs from the count printed in 'reported'", _count_matches_digits),
    RowRule("numerator_only_for_counts", "numerator",
            "numerator is only for count and percent rows",
            lambda df: df["statistic"].isin(["count", "percent"]) | ~_present(df["numerator"])),
    RowRule("denominator_has_source", "denominator_source",
            "denominator_source (stated or inferred) is required when there is a denominator, and only then",
            lambda df: _present(df["denominator"]) == _present(df["denominator_source"])),
    RowRule("inferred_needs_note", "note",
            "an inferred denominator needs a note saying how it was inferred",
            lambda df: (df["denominator_source"] != "inferred").fillna(True) | _present(df["note"])),
    RowRule("percent_parses", "reported",
            "a percentage must be a plain number with a '.' decimal point (no comma, no % sign)",
            _percent_parses),
    RowRule("percent_in_range", "reported",
            "a percentage must lie between 0 and 100", _percent_in_range),
]

PLATELET_VALUE = r"\d+|/"
PATIENT_RULES = [
    RowRule("platelets_whole_or_slash", "value",
            "a platelet count must be a whole number or '/' (not measured)",
            lambda df: ~df["measure"].astype("string").str.startswith("platelets_")
            | df["value"].astype("string").str.fullmatch(PLATELET_VALUE).fillna(False)),
    RowRule("age_whole", "value", "age must be a whole number of years",
            lambda df: (df["measure"] != "age")
            | df["value"].astype("string").str.fullmatch(r"\d+").fillna(False)),
    RowRule("duration_number", "value", "disease duration must be a number of years with a '.' point",
            lambda df: (df["measure"] != "disease_duration")
            | df["value"].astype("string").str.fullmatch(DECIMAL_NUMBER).fillna(False)),
    RowRule("sex_code", "value", "sex must be F or M",
            lambda df: (df["measure"] != "sex") | df["value"].isin(["F", "M"])),
]


def _needs(method: str, *columns: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: (df["method"] != method) | df[list(columns)].notna().all(axis=1)


DERIVATION_RULES = [
    RowRule("two_by_two_groups", "group_a", "a two_by_two derivation needs group_a and group_b",
            _needs("two_by_two", "group_a", "group_b")),
    RowRule("summary_inputs", "measure", "a per_patient_summary derivation needs measure and patients",
            _needs("per_patient_summary", "measure", "patients")),
    RowRule("eligibility_inputs", "measure", "an eligibility derivation needs measure and patients",
            _needs("eligibility", "measure", "patients")),
    RowRule("t_test_inputs", "measure", "a paired_t_test derivation needs measure and patients",
            _needs("paired_t_test", "measure", "patients")),
    RowRule("response_inputs", "response", "a per_patient_response derivation needs patients, month and response",
            _needs("per_patient_response", "patients", "month", "response")),
]

TABLE_RULES: dict[str, list[RowRule]] = {"evidence": EVIDENCE_RULES + REPORTED_RULES, "patients": PATIENT_RULES,
                                         "derivations": DERIVATION_RULES}

# Plain-English wording for pandera's check names (the first word of its check string).
CHECK_WORDING = {
    "not_nullable": "a required value is missing",
    "field_uniqueness": "duplicate value: must be unique",
    "multiple_fields_uniqueness": "duplicate key: this combination must be unique",
    "isin": "not one of the allowed values",
    "str_matches": "does not match the required pattern",
    "str_length": "text has the wrong length",
    "greater_than_or_equal_to": "below the allowed minimum",
    "less_than_or_equal_to": "above the allowed maximum",
    "in_range": "outside the allowed range",
}


def load_descriptor(data_dir: Path) -> dict:
    """Read ``datapackage.json`` from ``data_dir``."""
    path = Path(data_dir) / DESCRIPTOR
    if not path.is_file():
        raise DataValidationError([Problem(str(path), None, None, None, None, "data package descriptor not found")])
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is skipped, as in the CSV files.
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        message = f"byte {_escaped_bytes(exc.object[exc.start:exc.end])} is not UTF-8; save the file as UTF-8"
        line = exc.object[:exc.start].count(b"\n") + 1
    except json.JSONDecodeError as exc:
        message, line = f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno
    raise DataValidationError([Problem(str(path), line, None, None, None, message)])


def read_table(path: Path, field_names: list[str],
               key_fields: list[str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV as UTF-8 text, checking its encoding, characters and shape record by record.

    The frame's index is the CSV line on which each record starts; empty fields are missing values.
    A UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped and CRLF line ends are read as LF.
    A well-formed file is read by pandas' C parser (:func:`_read_table_fast`); any file that parser
    might read differently from the strict csv module (a short or long record, a blank line, a
    line break or stray quote inside a field, a header problem, bytes that are not UTF-8, a control
    character, ...) is read again by :func:`_read_table_csv`, which names every problem with its
    line. A row it cannot read is left out of the frame and named once (``key_fields`` name its key).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return pd.DataFrame(columns=field_names), [Problem(str(path), None, None, None, None, "file not found")]
    except OSError as exc:
        return pd.DataFrame(columns=field_names), [Problem(str(path), None, None, None, None,
                                                           f"cannot be read ({exc.strerror or exc})")]
    wide = next((bom for bom in _WIDE_BOMS if data.startswith(bom)), None)
    if wide is not None:
        return pd.DataFrame(columns=field_names), [Problem(
            str(path), 1, None, None, None, f"the file is UTF-16 or UTF-32 (it starts with the byte-order mark "
            f"{_escaped_bytes(wide)}); {_SAVE_AS_UTF8}")]
    data = data.removeprefix(_UTF8_BOM)
    fast = _read_table_fast(data, field_names)
    if fast is not None:
        return fast, []
    return _read_table_csv(str(path), data, field_names, key_fields or [])


_COMMA, _QUOTE, _LF, _CR, _TAB, _DEL = b",", b'"', b"\n", b"\r", b"\t", b"\x7f"
_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")  # UTF-32 BE, UTF-16/32 LE, UTF-16 BE
_SAVE_AS_UTF8 = "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
# The csv module's default limit, kept as this review's: a longer value is not a quote or a label.
FIELD_LIMIT = 131_072


def _one_record_per_line(data: bytes, newlines: np.ndarray, fields: int) -> bool:
    """Whether every line of ``data`` is one record of ``fields`` fields, as the strict csv module reads it.

    Every quote must belong to a well-formed quoted field: opened at the start of the data, after a
    comma or after a line break; any text with quotes doubled; closed at the end of the data, before
    a comma or before a line break (the caller has refused lone carriage returns). No quoted field
    may hold a line break. Then the commas outside quoted fields are the delimiters, and there must
    be ``fields - 1`` of them per line (``newlines``: the positions of the line breaks).

    Split at its quotes, such data alternates outside and inside text, and an empty outside piece
    between two quotes is a doubled quote. So the rules are checked here on the positions of the
    quotes, line breaks and commas (numpy, in C). This replaced a regular expression that removed
    the quoted fields (re.sub) and counted what was left: 0.12 s of byte scans on the 15 MB
    evidence file of the 10^5-row synthetic review, against 0.04 s here (BENCHMARKS.md);
    ``tests/test_performance.py`` holds the two to the same answers on random data.
    """
    codes = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(codes == _QUOTE[0])
    commas = np.flatnonzero(codes == _COMMA[0])
    lines = len(newlines) + (0 if data.endswith(_LF) else 1)
    inside_commas = 0
    if len(quotes):
        if len(quotes) % 2:
            return False  # a quote without its pair
        opens, closes = quotes[0::2], quotes[1::2]
        doubled = opens[1:] == closes[:-1] + 1  # '""' inside a field, not the end of one
        starts = opens[np.concatenate(([True], ~doubled))]
        ends = closes[np.concatenate((~doubled, [True]))]
        before = codes[starts[starts > 0] - 1]
        if not ((before == _COMMA[0]) | (before == _LF[0])).all():
            return False  # text before an opening quote
        after = codes[ends[ends < len(codes) - 1] + 1]
        if not ((after == _COMMA[0]) | (after == _LF[0]) | (after == _CR[0])).all():
            return False  # text after a closing quote
        if (np.searchsorted(newlines, closes) != np.searchsorted(newlines, opens)).any():
            return False  # a line break inside a quoted field
        inside_commas = int((np.searchsorted(commas, closes) - np.searchsorted(commas, opens)).sum())
    return len(commas) - inside_commas == lines * (fields - 1)


def _plain_utf8(data: bytes, codes: np.ndarray, newlines: np.ndarray) -> bool:
    """Whether ``data`` is UTF-8 text whose only control characters are tabs, line feeds (at
    ``newlines``) and the carriage returns of CRLF line ends: what :func:`_read_table_csv` accepts.

    Counted on the bytes, in C: about 5 ms on the 15 MB evidence file of the 10^5-row synthetic
    review, where a regular expression over the text took 85 ms. C0 controls and DEL are single
    bytes; the C1 controls (U+0080-U+009F) are the UTF-8 pairs C2 80 to C2 9F.
    """
    returns = data.count(_CR) if _CR in data else 0  # 'in' is a memchr; count is not
    tabs = data.count(_TAB) if _TAB in data else 0
    if np.count_nonzero(codes < 0x20) != len(newlines) + returns + tabs or _DEL in data:
        return False
    if returns and returns != np.count_nonzero(codes[newlines[newlines > 0] - 1] == _CR[0]):
        return False  # a carriage return that does not end a line
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    lead = np.flatnonzero(codes[:-1] == 0xC2)
    return not (codes[lead + 1] < 0xA0).any()


def _read_table_fast(data: bytes, field_names: list[str]) -> pd.DataFrame | None:
    """The file read by pandas' C parser, or None when only the csv module can say what is wrong.

    Why not pandas alone: it fills a short record with missing values without a word, reads a
    first record with one field too many as an index, skips blank lines and accepts text after a
    closing quote (``"a"b``), all of which the csv module (strict) reports. Why not the csv module
    alone: on 10^5 evidence rows it takes twice as long as pandas takes to read the file, before
    any check (measured in BENCHMARKS.md). So the structure is proved here first, on the bytes
    (:func:`_one_record_per_line`): once every quote belongs to a well-formed quoted field, commas
    outside them are the delimiters, so every line has exactly as many fields as the header when the
    comma count is (header fields - 1) per line and pandas reads one record per line without error.
    Anything else returns None and the csv module reads the file. ``data`` has no byte-order mark.
    """
    codes = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(codes == _LF[0])
    if not data or not _plain_utf8(data, codes, newlines):
        return None  # bytes that are not UTF-8, control characters, lone carriage returns: named by the csv path
    end_of_header = data.find(b"\n")
    try:
        header_line = data[:end_of_header if end_of_header >= 0 else len(data)].decode("utf-8")
        header = next(csv.reader([header_line.removesuffix("\r")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if len(header) < 2 or len(set(header)) != len(header) or set(header) != set(field_names):
        return None  # header problems are named by the csv path
    lines = len(newlines) + (0 if data.endswith(_LF) else 1)
    if lines < 2:
        return None
    if not _one_record_per_line(data, newlines, len(header)):
        return None  # a quote outside a well-formed quoted field, a line break inside one, or some
        # line with too few or too many fields (or blank)
    if len(data) > FIELD_LIMIT:
        if np.diff(newlines, prepend=-1, append=len(data)).max() > FIELD_LIMIT:
            return None  # a field may exceed the csv module's limit, which it reports
    try:
        # Read as pandas' default text dtype (NaN for missing), which is what pandera coerces every
        # string field to: reading as "string" (pd.NA) made pandera convert every column again
        # (0.07 s) and the NA-aware parse was slower (0.03 s) on 10^5 rows (BENCHMARKS.md). The
        # values, and missing cells, are the same; integer fields are still coerced by pandera.
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""],
                            encoding="utf-8", engine="c")
    except (ValueError, UnicodeDecodeError):  # pandas.errors.ParserError is a ValueError
        return None
    records = lines - 1
    if not isinstance(frame.index, pd.RangeIndex) or len(frame) != records or list(frame.columns) != header:
        return None
    frame.index = pd.Index(np.arange(2, records + 2), name="line")
    return frame


# What a value may not hold: the C0 controls but tab and line feed, DEL, the C1 controls, and the
# surrogates by which _text stands for what it could not read as UTF-8 or for a lone carriage return.
_UNREADABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPED_WHEN_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # tab and line feed too: one line per problem
_LONE_CR = "\udc0d"  # a surrogate no decoding produces ('surrogateescape' gives U+DC80-U+DCFF only)
_NO_FIELD_LIMIT = 2**31 - 1  # the largest limit the csv module takes on every platform (a C long)


def _text(data: bytes) -> str:
    """The file as text for the csv module, every character kept so that the problem can name it.

    A byte that is not UTF-8 becomes the surrogate U+DC00 + byte (Python's 'surrogateescape').
    CRLF becomes LF, quoted line breaks included, so that a file reads the same with either line end.
    A carriage return that does not end a line becomes :data:`_LONE_CR`: the csv module would end a
    record there (or stop with "new-line character seen in unquoted field") and lose its column.
    """
    text = data.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    return text.replace("\r", _LONE_CR)


def _lines(text: str) -> list[str]:
    """The lines of ``text``, each with its line feed. Split at line feeds only: str.splitlines also
    splits at form feeds, U+001C-U+001E, U+0085, U+2028 and U+2029, which would shift the line numbers."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _escaped_bytes(data: bytes) -> str:
    return "".join(f"\\x{byte:02x}" for byte in data)


def _shown(text: str) -> str:
    """``text`` as a problem prints it: a byte that is not UTF-8 as ``\\xe9``, a control character as
    ``\\x00``, ``\\t``, ``\\n`` or ``\\r``."""
    def escape(match: re.Match) -> str:
        code = 0x0D if match.group() == _LONE_CR else ord(match.group())
        code -= 0xDC00 if 0xDC80 <= code <= 0xDCFF else 0
        return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return _ESCAPED_WHEN_SHOWN.sub(escape, text)


def _character_message(value: str) -> str:
    """What is wrong with a value holding :data:`_UNREADABLE` characters, with the text around the first."""
    found = list(dict.fromkeys(_UNREADABLE.findall(value)))
    undecoded = [c for c in found if "\udc80" <= c <= "\udcff"]
    controls = [c for c in found if c not in undecoded]
    first = _UNREADABLE.search(value).start()
    start, end = max(0, first - 20), min(len(value), first + 21)
    around = ("..." if start else "") + _shown(value[start:end]) + ("..." if end < len(value) else "")
    what = []
    if undecoded:
        what.append(f"byte {' '.join(map(_shown, undecoded))} is not UTF-8" if len(undecoded) == 1
                    else f"bytes {' '.join(map(_shown, undecoded))} are not UTF-8")
    if controls:
        what.append(f"control character{'s' if len(controls) > 1 else ''} {' '.join(map(_shown, controls))}")
    message = " and ".join(what) + f" in '{around}'"
    if undecoded:
        return f"{message}; {_SAVE_AS_UTF8}"
    return f"{message}: a value may hold tabs and quoted line breaks, no other control character"


def _csv_records(text: str) -> list[tuple[int, list[str] | None, str | None]]:
    """(line, record, None) for each record of ``text`` read by the strict csv module, or (line, None,
    error) for one it cannot read: the reading goes on at the next line, so one broken record is
    reported once and the rows after it are read. No field limit here (the caller applies
    :data:`FIELD_LIMIT` to each value and names it): at the csv module's limit, reading stopped inside
    the long field and went on in the middle of its record."""
    reader = csv.reader(_lines(text), strict=True)
    records, start = [], 1
    previous_limit = csv.field_size_limit(_NO_FIELD_LIMIT)
    try:
        while True:
            try:
                records.append((start, next(reader), None))
            except StopIteration:
                return records
            except csv.Error as exc:
                records.append((start, None, str(exc)))
            start = reader.line_num + 1
    finally:
        csv.field_size_limit(previous_limit)


def _record_key(record: list[str], header: list[str], key_fields: list[str]) -> str | None:
    """The key of a record that cannot be read, as :func:`_key_of` prints it (a long value cut short)."""
    values = {k: v if len(v) <= 60 else v[:60] + "..." for k, v in zip(header, record) if k in key_fields}
    return ", ".join(f"{k} {_key_value(_shown(values[k]))}" for k in key_fields if values.get(k)) or None


def _record_problems(path: str, line: int, record: list[str] | None, error: str | None,
                     header: list[str], key_fields: list[str]) -> list[Problem]:
    """Why one record cannot be read (an empty list when it can): the csv module's error, a wrong
    number of fields, a value over :data:`FIELD_LIMIT`, or characters a value may not hold."""
    if error is not None:
        if error == "unexpected end of data":
            error = "a quoted field that starts in this record is never closed (unexpected end of data)"
        return [Problem(path, line, None, None, None, f"unreadable CSV: {error}")]
    if len(record) != len(header):
        column = header[len(record)] if len(record) < len(header) else None
        return [Problem(path, line, None, column, None, f"record has {len(record)} fields, the header has {len(header)}"
                        + (f" (missing from '{column}' on)" if column else ""))]
    problems = []
    if max(map(len, record)) > FIELD_LIMIT or _UNREADABLE.search(",".join(record)):
        key = _record_key(record, header, key_fields)
        for column, value in zip(header, record):
            if len(value) > FIELD_LIMIT:
                problems.append(Problem(path, line, key, column, None, f"a value of {len(value):,} characters, more "
                                        f"than the {FIELD_LIMIT:,} a field may hold"))
            elif _UNREADABLE.search(value):
                problems.append(Problem(path, line, key, column, None, _character_message(value)))
    return problems


def _header_problems(path: str, header: list[str], field_names: list[str]) -> list[Problem]:
    unreadable = next((name for name in header if _UNREADABLE.search(name)), None)
    if unreadable is not None:  # no column can be matched by name: one problem, not one per column
        return [Problem(path, 1, None, _shown(unreadable), None, _character_message(unreadable))]
    problems = [Problem(path, 1, None, missing, None, "column missing from the header")
                for missing in field_names if missing not in header]
    problems += [Problem(path, 1, None, extra, None, "column not described in datapackage.json")
                 for extra in header if extra not in field_names]
    if len(set(header)) != len(header):
        problems.append(Problem(path, 1, None, None, None, "duplicate column names in the header"))
    return problems


def _read_table_csv(path: str, data: bytes, field_names: list[str],
                    key_fields: list[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV record by record with the strict csv module, naming each problem with its line.

    pandas fills a short record with missing values without a word, so the shape is checked
    here with the csv module (hand-written: no maintained library reports short rows, bytes that
    are not UTF-8 or control characters with their line, key and column). A record that cannot be
    read is named once and left out of the frame; the records after it are read. The frame's index
    is the CSV line on which each record starts. ``data`` has no byte-order mark.
    """
    records_read = _csv_records(_text(data))
    if not records_read:
        return pd.DataFrame(columns=field_names), [Problem(path, 1, None, None, None, "file is empty")]
    _, header, error = records_read[0]
    if error is not None:
        return pd.DataFrame(columns=field_names), [Problem(path, 1, None, None, None, f"unreadable CSV: {error}")]
    problems = _header_problems(path, header, field_names)
    if _UNREADABLE.search(",".join(header)):
        return pd.DataFrame(columns=field_names), problems  # the records cannot be matched to columns
    records, lines = [], []
    for line, record, error in records_read[1:]:
        record_problems = _record_problems(path, line, record, error, header, key_fields)
        if record_problems:
            problems += record_problems
        else:
            records.append(record)
            lines.append(line)
    frame = pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype="string")
    return frame.mask(frame == ""), problems


def pandera_schema(resource: dict) -> pa.DataFrameSchema:
    """The pandera schema for one resource, built from its Table Schema.

    pandera's importer maps ``integer`` to numpy int, which cannot hold a missing value, so
    optional integer fields become pandas' nullable ``Int64``; enums stay text rather than
    pandera's default 'category', so that comparisons behave like the other columns.
    Built once per Table Schema and process (schemas are not modified by validation).
    """
    return _pandera_schema(json.dumps(resource["schema"], sort_keys=True))


@functools.lru_cache(maxsize=64)
def _pandera_schema(table_schema_json: str) -> pa.DataFrameSchema:
    table_schema = json.loads(table_schema_json)
    schema = schema_from_table_schema(table_schema)
    updates = {}
    for field in table_schema["fields"]:
        update = {}
        if field["type"] == "integer":
            update["dtype"] = "Int64"
        elif field.get("constraints", {}).get("enum"):
            update["dtype"] = "string"
        pattern = field.get("constraints", {}).get("pattern")
        if pattern is not None:
            update["checks"] = _whole_value_pattern_checks(schema.columns[field["name"]].checks, pattern)
        if update:
            updates[field["name"]] = update
    # One update_columns, not one update_column per field: each deep-copies the whole schema
    # (52 deep copies were 0.07 s of a chapter's first validation, profiled). Same schema.
    return schema.update_columns(updates) if updates else schema


def whole_value_pattern(pattern: str) -> str:
    """The regex that matches a value only when ``pattern`` matches all of it, as Table Schema means.

    pandera's importer checks ``str.match('^pattern$')``, which lets a value end in a line break
    (Python's ``$`` matches before a final one) and reads a top-level alternation ``a|b`` as
    ``^a`` or ``b$``. The group and ``\\Z`` leave neither open.

    Raises
    ------
    re.error
        If ``pattern`` is not a regular expression on its own (``a)|(b`` would otherwise become
        the valid ``^(?:a)|(b)\\Z``).
    """
    re.compile(pattern)
    return f"^(?:{pattern})\\Z"


def _whole_value_pattern_checks(checks: list, pattern: str) -> list:
    """``checks`` with the importer's ``str_matches('^pattern$')`` replaced by a whole-value match."""
    kept = _without_str_matches(checks, f"^{pattern}$")
    if len(kept) != len(checks) - 1:
        raise ValueError(f"pandera's importer did not make the expected check for pattern {pattern!r}")
    return [*kept, pa.Check.str_matches(whole_value_pattern(pattern))]


def _without_str_matches(checks: list, regex: str) -> list:
    """``checks`` without pandera's ``str_matches(regex)`` check."""
    return [check for check in checks if not (check.name == "str_matches" and check.statistics.get("pattern") == regex)]


def schema_from_table_schema(table_schema: dict) -> pa.DataFrameSchema:
    """pandera's ``from_frictionless_schema``, without importing the frictionless library.

    pandera's importer only reads each field's name, type, constraints, title and description and
    the primary key, but it first loads the descriptor into a ``frictionless.Schema``, and importing
    frictionless costs about 0.45 s in every process that validates (each chapter's kernel, the
    ``validate`` command): more than validating the review's data (BENCHMARKS.md). So the same
    pandera parser (``FrictionlessFieldParser``) and the same assembly and deserialisation are run
    here on the plain descriptor. ``tests/test_performance.py`` checks the result equals pandera's
    importer for every resource of the descriptor.
    """
    primary_key = table_schema.get("primaryKey") or []
    primary_key = [primary_key] if isinstance(primary_key, str) else list(primary_key)
    columns = {}
    for field in table_schema["fields"]:
        parsed = SimpleNamespace(name=field["name"], type=field.get("type", "any"),
                                 constraints=field.get("constraints") or {},
                                 description=field.get("description"), title=field.get("title"))
        columns[field["name"]] = FrictionlessFieldParser(parsed, primary_key).to_pandera_column()
    return deserialize_schema({"columns": columns, "index": None, "checks": None, "coerce": True,
                               "strict": True, "unique": None if len(primary_key) == 1 else primary_key})


# --- A faster proof that a table is valid --------------------------------------------------------
# pandera checks a Table Schema ``pattern`` (here ``str.match(whole_value_pattern(pattern))``): one Python regex
# call per cell, through pandas' per-element wrapper. On the 10^5-row synthetic review this was
# 0.17 s of pandera's 0.26 s on evidence.csv (profiled; BENCHMARKS.md). When a pattern cannot match a
# line break, one regex over the column's values joined by line breaks says whether every value
# matches, in C. This is only ever used to prove that a table is valid: the rest of the schema is
# still pandera's, and on any doubt or failure the table is validated again by the full pandera
# schema, so every problem, and its wording, comes from exactly the same path as before.

# Pattern syntax that can never match a line break: literal letters, digits and a few punctuation
# marks, character classes of those (ranges between them start above the line break), groups without
# (?...) extensions, quantifiers, alternation inside a group, and the escapes \. \- \/ \d \w \S.
_PATTERN_LITERALS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- :,/")
_PATTERN_ESCAPES = frozenset("dwS.-/")


def _single_line_pattern(pattern: str) -> bool:
    """Whether ``pattern`` uses only syntax that cannot match a line break and has no alternation
    outside a group (so that values joined by line breaks match ``(?:pattern)(?:\n(?:pattern))*``
    exactly when each value matches on its own)."""
    depth, in_class, i = 0, False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1:i + 2] not in _PATTERN_ESCAPES or i + 1 >= len(pattern):
                return False
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char not in _PATTERN_LITERALS and char != ".":
                return False  # '^' (negation), '[' and anything unusual
        elif char == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                return False
        elif char == "(":
            if pattern[i + 1:i + 2] == "?":
                return False
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
        elif char == "|":
            if depth == 0:
                return False
        elif char not in _PATTERN_LITERALS and char not in "*+?{}.":
            return False  # '^', '$' and anything unusual
        i += 1
    return depth == 0 and not in_class


@functools.lru_cache(maxsize=64)
def _split_schema(table_schema_json: str) -> tuple[pa.DataFrameSchema, dict[str, re.Pattern]]:
    """The pandera schema without the pattern checks that :func:`_all_match` can decide, and those
    patterns, each compiled to match a whole column joined by line breaks."""
    table_schema = json.loads(table_schema_json)
    schema = _pandera_schema(table_schema_json)
    joined: dict[str, re.Pattern] = {}
    updates = {}
    for field in table_schema["fields"]:
        pattern = field.get("constraints", {}).get("pattern")
        if pattern is None or not _single_line_pattern(pattern):
            continue
        # The whole-value check _pandera_schema made from this pattern, decided by _all_match instead.
        updates[field["name"]] = {"checks": _without_str_matches(schema.columns[field["name"]].checks,
                                                                 whole_value_pattern(pattern))}
        joined[field["name"]] = _joined(pattern)
    return (schema.update_columns(updates) if updates else schema), joined


@functools.lru_cache(maxsize=64)
def _joined(pattern: str) -> re.Pattern:
    """``pattern`` over a column's values joined by line breaks, for :func:`_all_match`."""
    return re.compile(f"(?:{pattern})(?:\n(?:{pattern}))*")


def _all_match(values: pd.Series, joined: re.Pattern) -> bool:
    """True only if every non-missing value matches (``str.match(whole_value_pattern(pattern))``
    is True for each).

    A value containing a line break returns False: joined by line breaks it could not be told from
    two values, so such a table goes to pandera's own check, which refuses it.
    """
    texts = values.dropna().tolist()
    if not texts:
        return True
    try:
        text = "\n".join(texts)
    except TypeError:  # a value that is not text
        return False
    if text.count("\n") != len(texts) - 1:
        return False
    return joined.fullmatch(text) is not None


def _validate_when_valid(raw: pd.DataFrame, resource: dict) -> pd.DataFrame | None:
    """The typed frame when the table is valid, proved with the patterns checked by
    :func:`_all_match` and the rest of the schema by pandera; None when that is not proved."""
    schema, joined = _split_schema(json.dumps(resource["schema"], sort_keys=True))
    if not joined:
        return None  # nothing to gain: the full schema runs once
    for column, pattern in joined.items():
        if column not in raw.columns or not _all_match(raw[column], pattern):
            return None
    try:
        return schema.validate(raw, lazy=True)
    except pandera.errors.SchemaErrors:
        return None


def _key_value(value) -> str:
    """A key value as printed in a problem: quoted when it holds a line break or other control
    character, so that every problem stays on one line."""
    return str(value) if str(value).isprintable() else repr(str(value))


def _key_of(frame: pd.DataFrame, line, key_fields: list[str]) -> str | None:
    if line is None or line not in frame.index:
        return None
    row = frame.loc[line]
    return ", ".join(f"{k} {_key_value(row[k])}" for k in key_fields if k in frame.columns and pd.notna(row[k]))


def _problems_from_pandera(path: str, raw: pd.DataFrame, failures: pd.DataFrame,
                           key_fields: list[str]) -> tuple[list[Problem], set[int]]:
    """Turn pandera's failure cases into Problems; also return the lines whose values did not parse."""
    unparsed = {int(i) for i, c in zip(failures["index"], failures["check"])
                if str(c).startswith("coerce_dtype") and pd.notna(i)}
    broken_columns = {c for c, chk in zip(failures["column"], failures["check"]) if str(chk).startswith("coerce_dtype")}
    problems = []
    for case in failures.itertuples(index=False):
        check = str(case.check)
        line = None if pd.isna(case.index) else int(case.index)
        column = None if pd.isna(case.column) else str(case.column)
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        if check in ("column_in_dataframe", "column_in_schema"):
            continue  # read_table's header check has named the column
        if check.startswith("dtype(") or (line is None and column in broken_columns):
            continue  # a consequence of a value that did not parse, reported on its own line
        if check.startswith("coerce_dtype"):
            wording = "not a whole number" if "Int" in check else f"wrong type ({check})"
        else:
            base = check.split("(")[0]
            wording = CHECK_WORDING.get(base, check)
            if base in ("isin", "str_matches", "greater_than_or_equal_to", "less_than_or_equal_to", "in_range"):
                wording += f" ({check})"
        problems.append(Problem(path, line, _key_of(raw, line, key_fields), column, value, wording))
    return problems, unparsed


def _rule_problems(path: str, typed: pd.DataFrame, rules: list[RowRule], key_fields: list[str]) -> list[Problem]:
    """Cross-field rules on the typed frame (index = CSV line)."""
    problems = []
    for rule in rules:
        # A rule is undecided (NA) where a value it needs is missing (e.g. a blank measure in
        # patients.csv, which the validator used to crash on). Undecided is not passed: the rule
        # names the row too, so a rule on an optional column never lets a row through unseen.
        for line in typed.index[~rule.ok(typed).to_numpy(dtype=bool, na_value=False)]:
            value = typed.at[line, rule.column]
            problems.append(Problem(path, int(line), _key_of(typed, line, key_fields), rule.column,
                                    None if pd.isna(value) else str(value), rule.message))
    return problems


def _check_table(path: str, raw: pd.DataFrame, resource: dict) -> tuple[pd.DataFrame, list[Problem]]:
    """Schema (pandera) then cross-field rules; rows whose values do not parse skip the rules."""
    schema = pandera_schema(resource)
    key_fields = resource["schema"].get("primaryKey", [])
    problems: list[Problem] = []
    typed = _validate_when_valid(raw, resource)
    if typed is None:
        try:
            typed = schema.validate(raw, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            problems, unparsed = _problems_from_pandera(path, raw, exc.failure_cases, key_fields)
            typed = schema.coerce_dtype(raw.drop(index=list(unparsed)))
    problems += _rule_problems(path, typed, TABLE_RULES.get(resource["name"], []), key_fields)
    return typed, problems


def _foreign_key_problems(path: str, frame: pd.DataFrame, resource: dict,
                          tables: dict[str, pd.DataFrame], key_fields: list[str],
                          known_cache: dict | None = None, not_read: dict[str, str] | None = None,
                          unchecked: Counter | None = None) -> list[Problem]:
    """Values not found in the table they refer to. A table with rows that could not be read
    (``not_read``: resource name -> file) may hold the value on one of them: such a reference is
    counted in ``unchecked[(that file, path)]`` instead of reported, so that one broken row gives one
    problem, not one per reference to it."""
    problems = []
    known_cache = {} if known_cache is None else known_cache
    not_read = {} if not_read is None else not_read
    unchecked = Counter() if unchecked is None else unchecked
    for fk in resource["schema"].get("foreignKeys", []):
        (field,), target = fk["fields"], fk["reference"]
        if target["resource"] not in tables:
            # The referenced table could not be read; its own problems are reported.
            if target["resource"] in not_read:
                unchecked[(not_read[target["resource"]], path)] += int(frame[field].notna().sum())
            continue
        values = frame[field]
        key = (target["resource"], target["fields"][0])
        if key not in known_cache:
            known_cache[key] = _known_values(tables[target["resource"]], target["fields"][0])
        # Index.get_indexer reuses the hash table of the referenced keys, built once per validation
        # (known_cache); Series.isin(set) rebuilt it for every foreign key (5 times over 10^5 ids).
        unknown = values.notna().to_numpy(dtype=bool) & (known_cache[key].get_indexer(values) < 0)
        if target["resource"] in not_read:
            unchecked[(not_read[target["resource"]], path)] += int(unknown.sum())
            continue
        for line, value in values[unknown].items():
            problems.append(Problem(path, int(line), _key_of(frame, line, key_fields), field, str(value),
                                    f"unknown {target['resource']}.{target['fields'][0]}"))
    return problems


def _known_values(table: pd.DataFrame, column: str) -> pd.Index:
    """The distinct non-missing values of a referenced column, as an index with its hash table."""
    return pd.Index(table[column].dropna().unique())


def _patient_grid_problems(path: str, frame: pd.DataFrame, resource: dict) -> list[Problem]:
    """Every patient of a study must have every measure (hand-written: pandera has no grid check)."""
    measures = next(f for f in resource["schema"]["fields"] if f["name"] == "measure")["constraints"]["enum"]
    present: dict[tuple, set] = {}
    for study, patient, measure in zip(frame["study_id"].astype(object).tolist(),
                                       frame["patient"].astype(object).tolist(),
                                       frame["measure"].astype(object).tolist()):
        if pd.isna(study) or pd.isna(patient):
            continue  # as groupby(dropna=True)
        have = present.setdefault((study, patient), set())
        if not pd.isna(measure):
            have.add(measure)
    problems = []
    for (study, patient), have in sorted(present.items(), key=lambda item: item[0]):  # groupby's order
        for measure in sorted(set(measures) - have):
            problems.append(Problem(path, None, f"study_id {_key_value(study)}, patient {_key_value(patient)}", "measure", measure,
                                    "measure missing for this patient"))
    return problems


def _check_term_problems(path: str, checks: pd.DataFrame, evidence: pd.DataFrame,
                         evidence_not_read: str | None = None, unchecked: Counter | None = None) -> list[Problem]:
    """Every term of checks.csv must name an evidence row that has the number it asks for.

    When rows of the evidence file (``evidence_not_read``) could not be read, a term naming no row
    read may name one of them: it is counted in ``unchecked[(that file, path)]``, not reported.
    """
    unchecked = Counter() if unchecked is None else unchecked
    # evidence_id -> (denominator missing, numerator missing, reported) of the first row with that id,
    # for the ids the checks name only.
    named = list({term.partition(":")[0] for column in ("parts", "total")
                  for terms in checks[column].astype(object).tolist() for term in str(terms).split()})
    # The first evidence row of each named id, found by looking the 10^5 evidence ids up in a hash
    # table of the few thousand named ones: evidence.drop_duplicates("evidence_id") copied the whole
    # table and hashing every id into a new table cost 0.04 s on the synthetic review (BENCHMARKS.md).
    position_in_named = pd.Index(named, dtype=object).get_indexer(evidence["evidence_id"])
    rows_named = np.flatnonzero(position_in_named >= 0)
    hit, first_row = np.unique(position_in_named[rows_named], return_index=True)
    positions = np.full(len(named), -1, dtype=np.int64)
    positions[hit] = rows_named[first_row]
    found = positions >= 0
    taken = evidence.take(positions[found])
    rows = dict(zip([e for e, f in zip(named, found) if f],
                    zip(taken["denominator"].isna().tolist(), taken["numerator"].isna().tolist(),
                        taken["reported"].astype(object).tolist())))
    problems = []
    for line, check_id, parts, total in zip(checks.index.tolist(), checks["check_id"].astype(object).tolist(),
                                            checks["parts"].astype(object).tolist(),
                                            checks["total"].astype(object).tolist()):
        for column, terms in (("parts", parts), ("total", total)):
            for term in str(terms).split():
                evidence_id, _, field = term.partition(":")
                if evidence_id not in rows and evidence_not_read is not None:
                    unchecked[(evidence_not_read, path)] += 1
                    continue
                if evidence_id not in rows:
                    message = "unknown evidence_id"
                else:
                    no_denominator, no_numerator, reported = rows[evidence_id]
                    if (field == "denominator" and no_denominator
                            or not field and no_numerator and not str(reported).isdigit()):
                        message = f"evidence row has no {field or 'count'} to add up"
                    else:
                        continue
                problems.append(Problem(path, int(line), f"check_id {_key_value(check_id)}", column, term, message))
    return problems


def _unchecked_problems(unchecked: Counter) -> list[Problem]:
    """One line per file with rows that could not be read, counting the checks skipped because they
    depend on those rows (references to them, and for patients.csv the completeness of the grid)."""
    problems = []
    for target in sorted({target for target, _ in unchecked}):
        sources = sorted((Path(source).name, n) for (t, source), n in unchecked.items()
                         if t == target and source is not None and n)
        references = sum(n for _, n in sources)
        if references:
            where = ", ".join(f"{n} in {name}" for name, n in sources)
            problems.append(Problem(target, None, None, None, None, f"{references} reference"
                                    f"{'s' if references != 1 else ''} to unreadable rows not checked ({where})"))
        gaps = unchecked[(target, None)]
        if gaps:
            problems.append(Problem(target, None, None, None, None, f"{gaps} missing patient measure"
                                    f"{'s' if gaps != 1 else ''} not reported: they may be on unreadable rows"))
    return problems


def _plain_file_name(path) -> bool:
    """Whether a resource path names a file directly in the data folder, as this review requires: no
    folder, URL or drive, not hidden (the data folder's visible files are what ``rtxreview.digest``
    hashes and what the site publishes). Inline data and multipart paths are not read here."""
    return (isinstance(path, str) and path not in ("", ".", "..") and not path.startswith(".")
            and "/" not in path and "\\" not in path and not re.match(r"[A-Za-z]:", path))


def _path_problem(data_dir: Path, resource: dict) -> Problem:
    return Problem(str(data_dir / DESCRIPTOR), None, f"resource {_key_value(resource.get('name'))}", "path",
                   repr(resource.get("path")) if not isinstance(resource.get("path"), str) else resource["path"],
                   "must be the name of a file in the data folder (no folder, URL, drive or leading dot; "
                   "inline data and multipart paths are not read here)")


def _counting_problems(path: str, counting: pd.DataFrame, evidence: pd.DataFrame) -> list[Problem]:
    """A row of counting.csv says what a denominator counts: its evidence row must have one. (An id
    that names no evidence row is the foreign key's problem.)"""
    with_denominator = set(evidence.loc[evidence["denominator"].notna(), "evidence_id"])
    known = set(evidence["evidence_id"])
    return [Problem(path, line, evidence_id, "evidence_id", evidence_id,
                    "names an evidence row without a denominator: only a denominator counts uses or events")
            for line, evidence_id in zip(counting.index.tolist(), counting["evidence_id"].tolist())
            if evidence_id in known and evidence_id not in with_denominator]


def validate_package(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Validate every resource of the package; return typed frames or raise DataValidationError.

    Returned frames have a 0-based RangeIndex; problems name CSV lines (header = line 1).
    """
    data_dir = Path(data_dir)
    descriptor = load_descriptor(data_dir)
    misplaced = [_path_problem(data_dir, r) for r in descriptor["resources"] if not _plain_file_name(r.get("path"))]
    if misplaced:
        raise DataValidationError(misplaced)
    raw_tables, typed, problems = {}, {}, []
    not_read: dict[str, str] = {}  # resource name -> file, for tables with rows that could not be read
    for resource in descriptor["resources"]:
        path = data_dir / resource["path"]
        raw, shape_problems = read_table(path, [f["name"] for f in resource["schema"]["fields"]],
                                         resource["schema"].get("primaryKey", []))
        problems += shape_problems
        if shape_problems:
            not_read[resource["name"]] = str(path)
        if any(p.line in (None, 1) for p in shape_problems):
            continue  # a missing file or a wrong header: cell checks would only repeat it on every row
        raw_tables[resource["name"]] = raw
        typed[resource["name"]], table_problems = _check_table(str(path), raw, resource)
        problems += table_problems
    known_cache: dict = {}
    unchecked: Counter = Counter()  # (file with rows not read, file whose checks depend on them) -> checks skipped
    for resource in descriptor["resources"]:
        name = resource["name"]
        if name not in raw_tables:
            continue
        path = str(data_dir / resource["path"])
        key_fields = resource["schema"].get("primaryKey", [])
        problems += _foreign_key_problems(path, raw_tables[name], resource, raw_tables, key_fields, known_cache,
                                          not_read, unchecked)
        if name == "patients":
            gaps = _patient_grid_problems(path, typed[name], resource)
            if name in not_read or len(typed[name]) < len(raw_tables[name]):
                unchecked[(path, None)] += len(gaps)  # a missing measure may be on a row not read
            else:
                problems += gaps
        if name == "checks" and ("evidence" in raw_tables or "evidence" in not_read):
            # Terms are looked up among the evidence rows as read (a row whose value did not parse
            # still has its id); with no evidence table read, every term is counted, none reported.
            evidence = raw_tables.get("evidence", pd.DataFrame(columns=["evidence_id", "denominator", "numerator",
                                                                        "reported"]))
            problems += _check_term_problems(path, typed[name], evidence, not_read.get("evidence"), unchecked)
    if "counting" in typed and "evidence" in typed:
        problems += _counting_problems(str(data_dir / "counting.csv"), typed["counting"], typed["evidence"])
    problems += _unchecked_problems(unchecked)
    if problems:
        unique = list(dict.fromkeys(problems))
        raise DataValidationError(sorted(unique, key=lambda p: (p.file, p.line or 0, p.column or "", p.message)))
    return {name: frame.reset_index(drop=True) for name, frame in typed.items()}
