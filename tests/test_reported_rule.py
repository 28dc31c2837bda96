"""`reported` is read by statistic: broken copies of the data package are refused with file, line,
id, column and value, and the real data (number words, bounds, statements) pass."""

import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview.reported_rules import REPORTED_RULES, number_word_value
from rtxreview.validate import DataValidationError, validate_package
from test_validate import break_cell

# case: (column, bad value, row selector, expected message fragment)
BROKEN = {
    "count with a decimal comma": ("reported", "72,9", dict(statistic="count", reported="102"),
                                   "a count must be a whole number"),
    "count with a decimal point": ("reported", "172.9", dict(statistic="count", numerator="17"),
                                   "a count must be a whole number"),
    "count as a word that is no number": ("reported", "all", dict(statistic="count", reported="Thirteen"),
                                          "a count must be a whole number"),
    "number word that is not the numerator": ("reported", "Twelve", dict(statistic="count", reported="Thirteen"),
                                              "differs from numerator"),
    "mean with a decimal comma": ("reported", "31,3", dict(statistic="mean", reported="31.3"), "'.' decimal point"),
    "mean with its unit": ("reported", "31.3 years", dict(statistic="mean", reported="31.3"), "'.' decimal point"),
    "negative sd": ("reported", "-7.2", dict(statistic="sd", reported="7.2"), "an SD is not negative"),
    "median with a bound sign": ("reported", "<52", dict(statistic="median", reported="52"), "'.' decimal point"),
    "correlation beyond 1": ("reported", "-1.243", dict(statistic="correlation"), "between -1 and 1"),
    "range printed with an en dash": ("reported", "15–87", dict(statistic="range", reported="15-87"),
                                      "joined by '-'"),
    "iqr with decimal commas": ("reported", "1,3-7,0", dict(statistic="iqr", reported="1.3-7.0"), "joined by '-'"),
    "range in the wrong order": ("reported", "87-15", dict(statistic="range", reported="15-87"), "in order"),
    "ci in the wrong order": ("reported", "70-58", dict(statistic="ci"), "in order"),
    "p-value claim that does not parse": ("reported", "p=0,19", dict(statistic="p_value", reported="p=0.19"),
                                          "p-value must be a claim"),
    "p-value above 1": ("reported", "p<1.5", dict(statistic="p_value", reported="p<0.01"), "p-value must be a claim"),
    "statement with a number": ("reported", "all 8", dict(statistic="statement", reported="all"),
                                "a statement has no number"),
    "bound sign in reported": ("reported", "<12", dict(evidence_id="retro_series_147-016"), "goes in 'qualifier'"),
    "bound on a median": ("qualifier", "at least", dict(statistic="median", reported="52"),
                          "only for count, percent, value"),
    "unknown qualifier": ("qualifier", "≥", dict(evidence_id="retro_series_147-054"), "not one of the allowed values"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_reported_is_refused_with_file_line_id_column_and_value(case, data_copy):
    column, value, where, message = BROKEN[case]
    line, key = break_cell(data_copy, "evidence", column, value, where)
    with pytest.raises(DataValidationError) as refused:
        validate_package(data_copy)
    expected = f"{data_copy / 'evidence.csv'}: line {line} (evidence_id {key}), column '{column}', value {value!r}: "
    found = [str(p) for p in refused.value.problems if str(p).startswith(expected) and message in str(p)]
    assert found, f"no problem starting {expected!r} with {message!r} in:\n{refused.value}"


def test_real_data_uses_what_the_rules_allow():
    """Number words, bounds and statements are in the data, and the package is valid."""
    evidence = validate_package(DATA_DIR)["evidence"]
    counts = evidence[evidence["statistic"] == "count"]
    assert {"Thirteen", "Eighteen", "seven"} <= set(counts["reported"])
    assert evidence["qualifier"].notna().sum() >= 20
    assert (evidence["statistic"] == "statement").sum() >= 10


def test_each_rule_judges_only_its_statistics():
    # A value is free text; the same text as a mean is refused.
    frame = pd.DataFrame({"statistic": ["value", "mean", "value"], "reported": ["January 2013", "January 2013", "<1"],
                          "numerator": pd.array([None] * 3, dtype="Int64"), "qualifier": [pd.NA] * 3})
    verdicts = {rule.name: rule.ok(frame).tolist() for rule in REPORTED_RULES}
    assert verdicts["number_parses"] == [True, False, True]
    assert verdicts["bound_in_qualifier"] == [True, True, False]


@pytest.mark.parametrize("text, value", [("Seven", 7), ("eighteen", 18), ("twenty-one", 21), ("one", 1),
                                         ("all", None), ("another", None), ("7", None), ("Seven\n", None)])
def test_number_words(text, value):
    assert number_word_value(text) == value
