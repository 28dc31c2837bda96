"""Tests for rtxreview.rounding: exact rounding to a printed precision.

Expected values are worked out by hand in the comments, or come from the
standard library's ``decimal`` module (an independent implementation of the
same rounding rules), never from the code under test.
"""

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    localcontext,
)
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtxreview.rounding import (
    RULES,
    matching_rules,
    parse_reported,
    printed_decimals,
    round_exact,
    verdict_for,
)

DECIMAL_MODE = {
    "half_up": ROUND_HALF_UP,  # decimal's HALF_UP sends ties away from zero
    "half_even": ROUND_HALF_EVEN,
    "truncate": ROUND_DOWN,  # decimal's ROUND_DOWN is toward zero
    "ceiling": ROUND_CEILING,
}


def test_rules_order():
    assert RULES == ("half_up", "half_even", "truncate", "ceiling")


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("72.9", Decimal("72.9")),
        ("  72.9 ", Decimal("72.9")),
        ("68", Decimal("68")),
        ("0.48", Decimal("0.48")),
        ("-3.50", Decimal("-3.50")),
        ("100.0", Decimal("100.0")),
    ],
)
def test_parse_reported_values(text, expected):
    got = parse_reported(text)
    assert got == expected
    # The printed exponent must survive: "25.0" is not "25".
    assert got.as_tuple().exponent == expected.as_tuple().exponent


def test_parse_reported_keeps_trailing_zero():
    assert str(parse_reported("25.0")) == "25.0"


@pytest.mark.parametrize(
    "text",
    ["12,5", "", "   ", "abc", "1e3", "1E3", ".5", "5.", "+5", "1 2", "5%", "NaN", "inf", "--1"],
)
def test_parse_reported_rejects(text):
    with pytest.raises(ValueError, match="cannot read"):
        parse_reported(text)


def test_parse_reported_rejects_non_text():
    # A float has already lost the printed number of decimals.
    with pytest.raises(TypeError):
        parse_reported(25.0)


@pytest.mark.parametrize(
    "text, d", [("72.9", 1), ("68", 0), ("0.48", 2), ("25.0", 1), ("-1.250", 3), (" 7 ", 0)]
)
def test_printed_decimals(text, d):
    assert printed_decimals(text) == d


def test_printed_decimals_rejects_bad_text():
    with pytest.raises(ValueError):
        printed_decimals("12,5")


# ---------------------------------------------------------------- rounding


def test_tie_31_25_one_decimal():
    # 31.25 is exactly halfway between 31.2 and 31.3.
    value = Fraction(3125, 100)
    assert round_exact(value, 1, "half_up") == Decimal("31.3")  # tie goes up
    assert round_exact(value, 1, "half_even") == Decimal("31.2")  # 2 is even
    assert round_exact(value, 1, "truncate") == Decimal("31.2")
    assert round_exact(value, 1, "ceiling") == Decimal("31.3")
    # The float trap this module exists to avoid:
    assert round(31.25, 1) == 31.2


def test_negative_ties_and_directions():
    value = Fraction(-3125, 100)
    assert round_exact(value, 1, "half_up") == Decimal("-31.3")  # away from zero
    assert round_exact(value, 1, "half_even") == Decimal("-31.2")
    assert round_exact(value, 1, "truncate") == Decimal("-31.2")  # toward zero
    assert round_exact(value, 1, "ceiling") == Decimal("-31.2")  # toward +inf


def test_non_tie_percentages():
    # 102/140 = 0.728571... -> 72.857...% -> 72.9 (any nearest rule), truncate 72.8
    v = Fraction(100 * 102, 140)
    assert round_exact(v, 1, "half_up") == Decimal("72.9")
    assert round_exact(v, 1, "half_even") == Decimal("72.9")
    assert round_exact(v, 1, "truncate") == Decimal("72.8")
    assert round_exact(v, 1, "ceiling") == Decimal("72.9")
    # 7/1431 = 0.4891684...% -> 0.49 half-up, 0.48 truncated
    v = Fraction(700, 1431)
    assert round_exact(v, 2, "half_up") == Decimal("0.49")
    assert round_exact(v, 2, "truncate") == Decimal("0.48")


@pytest.mark.parametrize(
    "value, decimals, text",
    [
        (Fraction(5), 2, "5.00"),
        (0, 1, "0.0"),
        (100, 1, "100.0"),
        (Decimal("2.5"), 0, "3"),  # half-up: 2.5 -> 3
        (Fraction(1, 3), 3, "0.333"),
        (Fraction(2, 3), 0, "1"),
    ],
)
def test_result_has_exactly_the_requested_places(value, decimals, text):
    got = round_exact(value, decimals, "half_up")
    assert str(got) == text
    assert got.as_tuple().exponent == -decimals


def test_decimal_and_int_inputs_are_exact():
    # Decimal("0.125") is exactly 1/8; half_even keeps 0.12, half_up gives 0.13.
    assert round_exact(Decimal("0.125"), 2, "half_even") == Decimal("0.12")
    assert round_exact(Decimal("0.125"), 2, "half_up") == Decimal("0.13")
    assert round_exact(7, 0, "truncate") == Decimal("7")


def test_huge_precision_is_exact():
    # 1/3 to 40 places: forty 3s, no 28-digit context rounding.
    got = round_exact(Fraction(1, 3), 40, "half_up")
    assert str(got) == "0." + "3" * 40


def test_round_exact_rejects_bad_input():
    with pytest.raises(TypeError):
        round_exact(31.25, 1, "half_up")  # float: inexact by nature
    with pytest.raises(ValueError):
        round_exact(Fraction(1, 2), 1, "bankers")
    with pytest.raises(ValueError):
        round_exact(Fraction(1, 2), -1, "half_up")


# ---------------------------------------------------------------- matching and verdicts


def test_matching_rules_on_a_tie():
    assert matching_rules(Fraction(3125, 100), "31.2") == ("half_even", "truncate")
    assert matching_rules(Fraction(3125, 100), "31.3") == ("half_up", "ceiling")
    assert matching_rules(Fraction(3125, 100), "31.4") == ()


def test_matching_rules_uses_printed_precision():
    # 2/8 = 25% exactly: "25.0" and "25" both reproduced by every rule.
    assert matching_rules(Fraction(200, 8), "25.0") == RULES
    assert matching_rules(Fraction(200, 8), "25") == RULES
    assert matching_rules(Fraction(200, 8), "25.00") == RULES


@pytest.mark.parametrize(
    "k, n, reported, expected",
    [
        (102, 140, "72.9", ("consistent", "half_up")),  # 72.857%
        (34, 1431, "2.3", ("rounding_variant", "truncate")),  # 2.376%
        (7, 1431, "0.48", ("rounding_variant", "truncate")),  # 0.4892%
        (10, 32, "31", ("consistent", "half_up")),  # 31.25% -> 31
        (20, 32, "62", ("rounding_variant", "half_even|truncate")),  # 62.5% tie
        (23, 140, "16.3", ("inconsistent", "")),  # 16.43%
        (6, 22, "28", ("rounding_variant", "ceiling")),  # 27.27% rounded up
    ],
)
def test_verdict_for(k, n, reported, expected):
    assert verdict_for(Fraction(100 * k, n), reported) == expected


# ---------------------------------------------------------------- properties


RULE = st.sampled_from(RULES)


@settings(max_examples=400, deadline=None)
@given(
    digits=st.integers(min_value=-(10**12), max_value=10**12),
    exponent=st.integers(min_value=0, max_value=8),
    decimals=st.integers(min_value=0, max_value=6),
    rule=RULE,
)
def test_round_exact_matches_decimal_quantize(digits, exponent, decimals, rule):
    # A Decimal built from integer digits is exact, so ties really are ties;
    # decimal.quantize is an independent implementation of the same rules.
    value = Decimal(digits).scaleb(-exponent)
    with localcontext() as ctx:
        ctx.prec = 60
        expected = value.quantize(Decimal(1).scaleb(-decimals), rounding=DECIMAL_MODE[rule])
    got = round_exact(value, decimals, rule)
    assert got == expected
    assert got.as_tuple().exponent == -decimals


@settings(max_examples=400, deadline=None)
@given(
    num=st.integers(min_value=-(10**7), max_value=10**7),
    den=st.integers(min_value=1, max_value=10**4),
    decimals=st.integers(min_value=0, max_value=4),
    rule=RULE,
)
def test_round_exact_matches_high_precision_division(num, den, decimals, rule):
    # num/den either terminates (then 60 digits hold it exactly, ties stay
    # ties) or stays at least 1/(2*den*10**decimals) >= 5e-9 away from every
    # rounding boundary, far more than the ~1e-53 error of a 60-digit division.
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(num) / Decimal(den)
        expected = value.quantize(Decimal(1).scaleb(-decimals), rounding=DECIMAL_MODE[rule])
    assert round_exact(Fraction(num, den), decimals, rule) == expected


@settings(max_examples=200, deadline=None)
@given(
    num=st.integers(min_value=0, max_value=10**6),
    den=st.integers(min_value=1, max_value=5000),
    decimals=st.integers(min_value=0, max_value=3),
)
def test_verdict_for_is_consistent_with_matching_rules(num, den, decimals):
    value = Fraction(num, den)
    for rule in RULES:
        printed = str(round_exact(value, decimals, rule))
        rules = matching_rules(value, printed)
        assert rule in rules  # a rule always reproduces its own output
        verdict, joined = verdict_for(value, printed)
        if "half_up" in rules:
            assert (verdict, joined) == ("consistent", "half_up")
        else:
            assert (verdict, joined) == ("rounding_variant", "|".join(rules))
