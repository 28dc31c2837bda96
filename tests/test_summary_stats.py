"""Tests for rtxreview.summary_stats.

Expected values are worked out by hand (in comments) or by an independent
implementation written here, never copied from the module's output.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtxreview.summary_stats import QUARTILE_METHODS, audit_summary_statistic, grim_mean, quartiles_by_method

# ---------------------------------------------------------------------------
# audit_summary_statistic
# ---------------------------------------------------------------------------

AGES = [30, 21, 35, 24, 38, 29, 30, 43]  # sum 250, mean 31.25
PLATELETS = [7, 12, 1, 14, 30, 8, 28, 14]  # sum 114, mean 14.25


def test_audit_mean_half_up_tie_is_consistent():
    # 250/8 = 31.25 exactly; half-up prints 31.3 although float round says 31.2.
    assert round(31.25, 1) == 31.2
    check = audit_summary_statistic(AGES, "mean", "31.3")
    assert check.verdict == "consistent"
    assert check.recomputed == "31.3"
    assert "250/8 = 31.25" in check.explanation
    assert "printed 31.3 (half-up)" in check.explanation


def test_audit_mean_half_even_printing_is_a_rounding_variant():
    # 31.25 printed as 31.2 matches half-even (and truncation), not half-up.
    check = audit_summary_statistic(AGES, "mean", "31.2")
    assert check.verdict == "rounding_variant"
    assert "half_even" in check.rounding
    assert check.recomputed == "31.3"


def test_audit_sd_sample_is_consistent():
    # Squared deviations from 31.25 sum to 363.5; 363.5/7 = 51.93; sqrt = 7.206.
    check = audit_summary_statistic(AGES, "sd", "7.2")
    assert check.verdict == "consistent"
    assert check.recomputed == "7.2"
    assert "363.5/7" in check.explanation
    assert "the printed figure matches the sample SD" in check.explanation


def test_audit_sd_population_figure_is_named():
    # Population SD: sqrt(363.5/8) = sqrt(45.4375) = 6.7407...
    check = audit_summary_statistic(AGES, "sd", "6.74")
    assert check.verdict == "inconsistent"  # verdict refers to the sample SD (ddof=1)
    assert check.recomputed == "7.21"
    assert "the printed figure matches the population SD" in check.explanation
    population = audit_summary_statistic(AGES, "sd", "6.74", ddof=0)
    assert population.verdict == "consistent"


def test_audit_platelets_mean_and_sd():
    # 114/8 = 14.25 -> 14.3 half-up. Squared deviations sum to 709.5;
    # 709.5/7 = 101.357..., sqrt = 10.0676 -> 10.1.
    mean_check = audit_summary_statistic(PLATELETS, "mean", "14.3")
    assert mean_check.verdict == "consistent"
    assert "114/8 = 14.25" in mean_check.explanation
    sd_check = audit_summary_statistic(PLATELETS, "sd", "10.1")
    assert sd_check.verdict == "consistent"
    assert "709.5/7" in sd_check.explanation


def test_audit_median_min_max():
    # sorted platelets: 1 7 8 12 14 14 28 30 -> median (12 + 14)/2 = 13
    assert audit_summary_statistic(PLATELETS, "median", "13").verdict == "consistent"
    assert audit_summary_statistic(PLATELETS, "median", "13.0").verdict == "consistent"
    assert audit_summary_statistic(PLATELETS, "min", "1").verdict == "consistent"
    assert audit_summary_statistic(PLATELETS, "max", "30").verdict == "consistent"
    # odd count: median of 1 3 8 is 3
    assert audit_summary_statistic([8, 1, 3], "median", "3").verdict == "consistent"


def test_audit_wrong_value_is_inconsistent():
    check = audit_summary_statistic(PLATELETS, "mean", "15.3")
    assert check.verdict == "inconsistent"
    assert check.recomputed == "14.3"
    assert audit_summary_statistic(AGES, "sd", "8.2").verdict == "inconsistent"


def test_audit_decimal_values_are_exact():
    # (2.6 + 2.75)/2 = 2.675 exactly -> 2.68 half-up. The binary float 2.675 is
    # 2.67499999..., so float rounding would print 2.67.
    assert round((2.6 + 2.75) / 2, 2) == 2.67
    for values in (["2.6", "2.75"], [2.6, 2.75], [Decimal("2.6"), Fraction(11, 4)]):
        check = audit_summary_statistic(values, "mean", "2.68")
        assert check.verdict == "consistent", values
        assert "5.35/2 = 2.675" in check.explanation


def test_audit_rejects_bad_input():
    with pytest.raises(ValueError):
        audit_summary_statistic(AGES, "mode", "30")
    with pytest.raises(ValueError):
        audit_summary_statistic([], "mean", "1")
    with pytest.raises(ValueError):
        audit_summary_statistic([5], "sd", "0")


# ---------------------------------------------------------------------------
# grim_mean
# ---------------------------------------------------------------------------


def test_grim_classic_impossible_mean():
    # 5.19 * 28 = 145.32: 145/28 = 5.1786 and 146/28 = 5.2143, neither prints 5.19.
    possible, nearest = grim_mean("5.19", 28)
    assert possible is False
    assert nearest == (Fraction(145, 28), Fraction(146, 28))


def test_grim_possible_mean():
    # 5.18 * 28 = 145.04: 145/28 = 5.17857 -> 5.18.
    possible, candidates = grim_mean("5.18", 28)
    assert possible is True
    assert Fraction(145, 28) in candidates


def test_grim_with_items_uses_total_count():
    # 2 items per patient, 14 patients: 28 responses, as above.
    assert grim_mean("5.19", 14, items=2)[0] is False
    assert grim_mean("5.18", 14, items=2)[0] is True


def test_grim_half_up_tie():
    # 1/8 = 0.125 prints 0.13 half-up.
    possible, candidates = grim_mean("0.13", 8)
    assert possible and Fraction(1, 8) in candidates


def _grim_brute_force(reported: str, count: int) -> bool:
    target = Decimal(reported)
    quantum = Decimal(1).scaleb(target.as_tuple().exponent)
    upper = int(math.ceil(float(target) * count)) + 2
    return any(
        (Decimal(total) / Decimal(count)).quantize(quantum, rounding=ROUND_HALF_UP) == target
        for total in range(0, upper + 1)
    )


@settings(max_examples=200, deadline=None)
@given(
    whole=st.integers(min_value=0, max_value=9),
    hundredths=st.integers(min_value=0, max_value=99),
    count=st.integers(min_value=1, max_value=150),
)
def test_grim_agrees_with_brute_force(whole, hundredths, count):
    reported = f"{whole}.{hundredths:02d}"
    assert grim_mean(reported, count)[0] == _grim_brute_force(reported, count)


# ---------------------------------------------------------------------------
# quartiles_by_method
# ---------------------------------------------------------------------------


def test_quartiles_by_method_hand_computed():
    data = [15, 0.5, 3, 1, 8, 2, 6, 4]  # sorted: 0.5 1 2 3 4 6 8 15, n = 8
    result = quartiles_by_method(data)
    assert set(result) == set(QUARTILE_METHODS)
    # Type 7: position 1 + (n-1)p. Q1: 2.75 -> 1 + 0.75*(2-1) = 1.75;
    #         Q3: 6.25 -> 6 + 0.25*(8-6) = 6.5.
    assert result["R type 7 / numpy linear (Excel QUARTILE.INC)"] == pytest.approx((1.75, 6.5))
    # Type 6: position (n+1)p. Q1: 2.25 -> 1 + 0.25*(2-1) = 1.25;
    #         Q3: 6.75 -> 6 + 0.75*(8-6) = 7.5.
    assert result["R type 6 / SPSS (weibull)"] == pytest.approx((1.25, 7.5))
    # Type 5: position np + 0.5. Q1: 2.5 -> 1 + 0.5*(2-1) = 1.5;
    #         Q3: 6.5 -> 6 + 0.5*(8-6) = 7.0.
    assert result["R type 5 (hazen)"] == pytest.approx((1.5, 7.0))
    # Tukey hinges: medians of 0.5 1 2 3 and 4 6 8 15 -> 1.5 and 7.0.
    assert result["Tukey hinges"] == pytest.approx((1.5, 7.0))


def test_tukey_hinges_odd_count_include_median():
    # 1 2 3 4 5 6 7 8 9: halves 1..5 and 5..9 -> hinges 3 and 7 (R fivenum).
    result = quartiles_by_method(range(1, 10))
    assert result["Tukey hinges"] == (3.0, 7.0)


def test_quartiles_reject_too_few_values():
    with pytest.raises(ValueError):
        quartiles_by_method([4.0])
