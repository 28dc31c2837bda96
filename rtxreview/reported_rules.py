"""What ``reported`` may hold, by statistic: the validator's rules for printed values.

``reported`` is the value as printed, so it is text; but a count, a mean or a range has a
grammar (data/datapackage.json describes it, data/EXTRACTION.md gives the reasons):

- count: a whole number, or a number word where the source prints one ("Seven"), equal to its numerator;
- mean, median, correlation: a number with a '.' decimal point, optionally negative; sd: not negative;
  a correlation lies between -1 and 1;
- range, iqr, ci: two such numbers joined by '-', the low end first;
- p_value: a claim as ``rtxreview.stats.parse_p_claim`` reads it ('p<0.01', 'p=0.19', 'p:n.s');
- statement: words without digits (a row with a number needs a numeric statistic);
- any statistic but p_value: no relation sign in front; a bound's relation goes in ``qualifier``,
  which only a count, a percentage or a single value can have.

(Percentages, 0 to 100 with a '.' point, and counts printed in digits are checked by the rules in
``rtxreview.validate``.) Each rule has the shape of ``validate.RowRule``: ``ok(frame)`` is a
boolean Series, False on the rows it refuses, and the validator names file, line, id, column and
value for each. The string checks run on the rows of their statistics only, and each distinct
number word is read once, so the rules stay cheap on a 10^5-row review.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
from text_to_num import text2num

from rtxreview.bounds import BOUNDED_STATISTICS

NUMBER = r"-?\d+(?:\.\d+)?"  # a '.' decimal point; a comma, a unit or a '%' sign does not match
UNSIGNED = r"\d+(?:\.\d+)?"
RANGE = re.compile(rf"({NUMBER})-({NUMBER})")  # '15-87', '-0.5-0.3'
WORDS = r"[A-Za-z]+(?:[- ][A-Za-z]+)*"
RELATION_SIGN = r"\s*[<>≤≥]"
SIGNED_STATISTICS = ("mean", "median", "correlation")
RANGE_STATISTICS = ("range", "iqr", "ci")


class ReportedRule(NamedTuple):
    """A rule on ``reported`` (or a column beside it), in the shape of ``validate.RowRule``."""

    name: str
    column: str
    message: str
    ok: Callable[[pd.DataFrame], pd.Series]


def _on(statistics, check: Callable[[pd.DataFrame], pd.Series]) -> Callable:
    """A rule that judges only rows of ``statistics`` (a tuple, or a predicate on the statistic column):
    True elsewhere, and where reported is missing (the schema names a missing value already)."""
    def ok(df: pd.DataFrame) -> pd.Series:
        chosen = statistics(df["statistic"]) if callable(statistics) else df["statistic"].isin(statistics)
        rows = (chosen & df["reported"].notna()).to_numpy(dtype=bool, na_value=False)
        result = np.ones(len(df), dtype=bool)
        if rows.any():
            result[rows] = check(df[rows]).to_numpy(dtype=bool, na_value=False)
        return pd.Series(result, index=df.index)
    return ok


def _not_p_value(statistic: pd.Series) -> pd.Series:
    return statistic.notna() & (statistic != "p_value")


def _text(df: pd.DataFrame) -> pd.Series:
    return df["reported"].astype("string")


def number_word_value(text: str) -> int | None:
    """The number a word or words print ('Seven' -> 7, 'twenty-one' -> 21), or None.

    Read by text2num (a maintained parser of English number words); words that are not a number
    ('all', 'another') give None.
    """
    if not re.fullmatch(WORDS, text):
        return None
    try:
        return int(text2num(text.lower(), "en"))
    except ValueError:
        return None


def _word_values(text: pd.Series) -> pd.Series:
    """:func:`number_word_value` of every value, each distinct text parsed once (NA where not a number word)."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    values = np.array([number_word_value(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(values[codes], index=text.index, dtype="Int64")


def _count_form(df: pd.DataFrame) -> pd.Series:
    text = _text(df)
    return text.str.fullmatch(r"\d+").fillna(False) | _word_values(text).notna()


def _count_word_equals_numerator(df: pd.DataFrame) -> pd.Series:
    words, numerator = _word_values(_text(df)), df["numerator"].astype("Int64")
    # A count without numerator is refused by validate's count_has_numerator; it is not named twice.
    return words.isna() | numerator.isna() | (words == numerator).fillna(False)


def _plain_number(df: pd.DataFrame) -> pd.Series:
    signed = df["statistic"].isin(SIGNED_STATISTICS)
    text = _text(df)
    return text.str.fullmatch(NUMBER).fillna(False).where(signed, text.str.fullmatch(UNSIGNED).fillna(False))


def _correlation_in_range(df: pd.DataFrame) -> pd.Series:
    text = _text(df)
    value = pd.to_numeric(text.where(text.str.fullmatch(NUMBER).fillna(False)), errors="coerce")
    return value.isna() | value.between(-1, 1)  # a value that does not parse is _plain_number's to report


def _ends(df: pd.DataFrame) -> pd.DataFrame:
    """Low and high end of each range as numbers (NA where the text is not two numbers)."""
    ends = _text(df).str.extract(f"^{RANGE.pattern}$")
    return ends.apply(pd.to_numeric, errors="coerce")


def _range_form(df: pd.DataFrame) -> pd.Series:
    return _text(df).str.fullmatch(RANGE.pattern).fillna(False)


def _range_ordered(df: pd.DataFrame) -> pd.Series:
    ends = _ends(df)
    return ends[0].isna() | ends[1].isna() | (ends[0] <= ends[1])


def _p_claim_parses(df: pd.DataFrame) -> pd.Series:
    from rtxreview.stats import parse_p_claim  # only here: scipy and statsmodels are not needed to validate

    def parses(text: str) -> bool:
        try:
            parse_p_claim(text)
        except ValueError:
            return False
        return True

    codes, uniques = pd.factorize(_text(df), use_na_sentinel=True)
    verdicts = np.array([parses(str(u)) for u in uniques] + [True], dtype=bool)
    return pd.Series(verdicts[codes], index=df.index)


def _statement_without_digits(df: pd.DataFrame) -> pd.Series:
    return ~_text(df).str.contains(r"\d").fillna(False)


def _no_relation_sign(df: pd.DataFrame) -> pd.Series:
    return ~_text(df).str.match(RELATION_SIGN).fillna(False)


def _qualifier_allowed(df: pd.DataFrame) -> pd.Series:
    if "qualifier" not in df.columns:
        return pd.Series(True, index=df.index)
    return df["qualifier"].isna() | df["statistic"].isin(BOUNDED_STATISTICS)


REPORTED_RULES = [
    ReportedRule("count_form", "reported",
                 "a count must be a whole number or a number word as printed ('Seven'); a statement without a "
                 "number ('all', 'no') has statistic 'statement'", _on(("count",), _count_form)),
    ReportedRule("count_word_matches", "reported",
                 "the number word printed in 'reported' differs from numerator",
                 _on(("count",), _count_word_equals_numerator)),
    ReportedRule("number_parses", "reported",
                 "a mean, median, SD or correlation must be a plain number with a '.' decimal point (no comma, unit "
                 "or sign of a bound; an SD is not negative)",
                 _on(SIGNED_STATISTICS + ("sd",), _plain_number)),
    ReportedRule("correlation_in_range", "reported", "a correlation must lie between -1 and 1",
                 _on(("correlation",), _correlation_in_range)),
    ReportedRule("range_parses", "reported",
                 "a range, IQR or CI must be two plain numbers with a '.' decimal point joined by '-' (e.g. '15-87')",
                 _on(RANGE_STATISTICS, _range_form)),
    ReportedRule("range_ordered", "reported", "the ends of a range, IQR or CI must be in order, low end first",
                 _on(RANGE_STATISTICS, _range_ordered)),
    ReportedRule("p_value_parses", "reported",
                 "a p-value must be a claim as printed, such as 'p<0.01', 'p=0.19' or 'p:n.s', with p from 0 to 1",
                 _on(("p_value",), _p_claim_parses)),
    ReportedRule("statement_has_no_number", "reported",
                 "a statement has no number: a printed number needs a numeric statistic",
                 _on(("statement",), _statement_without_digits)),
    ReportedRule("bound_in_qualifier", "reported",
                 "the relation of a bound goes in 'qualifier' (at least, up to, less than, more than), not in "
                 "'reported'", _on(_not_p_value, _no_relation_sign)),
    ReportedRule("qualifier_only_for_bounds", "qualifier",
                 f"a qualifier (a bound) is only for {', '.join(BOUNDED_STATISTICS)} rows", _qualifier_allowed),
]
