"""Tests for rtxreview.pvalues.

Expected values are worked out by hand (in comments) or by an independent
implementation written here, never copied from the module's output.
"""

from __future__ import annotations

import math

import pytest

from rtxreview.pvalues import check_p_claim, parse_p_claim

# ---------------------------------------------------------------------------
# parse_p_claim and check_p_claim
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim, expected",
    [
        ("p<0.01", ("<", 0.01)),
        ("p < 0.05", ("<", 0.05)),
        ("P<.001", ("<", 0.001)),
        ("p=0.77", ("=", 0.77)),
        ("p = 0.34", ("=", 0.34)),
        ("p > 0.05", (">", 0.05)),
        ("p \u2264 0.05", ("<=", 0.05)),
        ("p:n.s", ("n.s.", None)),
        ("n.s.", ("n.s.", None)),
        ("NS", ("n.s.", None)),
        ("p = n.s.", ("n.s.", None)),
    ],
)
def test_parse_p_claim(claim, expected):
    assert parse_p_claim(claim) == expected


@pytest.mark.parametrize("claim", ["", "p", "significant", "p < n.s.", "p 0.05", "p < 1.5", "p<0.0.1"])
def test_parse_p_claim_rejects_unparseable_text(claim):
    with pytest.raises(ValueError):
        parse_p_claim(claim)


def _fisher_two_sided_by_hand(a, n1, b, n2):
    """Two-sided Fisher p from the hypergeometric distribution, summing the
    probabilities of all tables with the same margins that are no more
    likely than the observed one (R's convention, relative tolerance 1e-7)."""
    column = a + b
    total = n1 + n2

    def prob(x):
        return math.comb(n1, x) * math.comb(n2, column - x) / math.comb(total, column)

    observed = prob(a)
    support = range(max(0, column - n2), min(n1, column) + 1)
    return sum(prob(x) for x in support if prob(x) <= observed * (1 + 1e-7))


def _pearson_chi2_p_by_hand(a, n1, b, n2, yates=False):
    """Pearson chi-square p on the 2x2 table from the shortcut formula."""
    c, d = n1 - a, n2 - b
    total = n1 + n2
    diff = abs(a * d - b * c)
    if yates:
        diff = max(0.0, diff - total / 2)
    statistic = total * diff**2 / (n1 * n2 * (a + b) * (c + d))
    return math.erfc(math.sqrt(statistic / 2))  # chi-square survival, 1 df


def test_check_p_claim_relapse_table_below_001():
    # 10/88 vs 21/55 relapsed.
    result = check_p_claim("p<0.01", 10, 88, 21, 55)
    fisher = _fisher_two_sided_by_hand(10, 88, 21, 55)
    assert fisher < 0.001
    assert result.fisher_p == pytest.approx(fisher, rel=1e-9)
    assert result.chi2_p == pytest.approx(_pearson_chi2_p_by_hand(10, 88, 21, 55), rel=1e-9)
    assert result.chi2_yates_p == pytest.approx(
        _pearson_chi2_p_by_hand(10, 88, 21, 55, yates=True), rel=1e-9
    )
    assert (result.relation, result.threshold) == ("<", 0.01)
    assert result.fisher_holds and result.chi2_holds
    assert result.verdict == "consistent"
    assert "p<0.01 holds" in result.explanation
    assert "Fisher p = 0.00029" in result.explanation


def test_check_p_claim_not_significant_holds():
    # 76/113 vs 18/26: 67% vs 69%, nowhere near significant.
    result = check_p_claim("p:n.s", 76, 113, 18, 26)
    assert result.relation == "n.s." and result.threshold is None
    assert result.fisher_p == pytest.approx(_fisher_two_sided_by_hand(76, 113, 18, 26), rel=1e-9)
    assert result.fisher_p >= 0.05 and result.chi2_p >= 0.05
    assert result.verdict == "consistent"


def test_check_p_claim_flags_false_claim():
    result = check_p_claim("p<0.01", 76, 113, 18, 26)
    assert not result.fisher_holds and not result.chi2_holds
    assert result.verdict == "inconsistent"
    assert "does not hold" in result.explanation
    # and the reverse: claiming "n.s." for a clearly significant table
    assert check_p_claim("n.s.", 10, 88, 21, 55).verdict == "inconsistent"


def test_check_p_claim_test_dependent():
    # 1/10 vs 6/10: uncorrected chi-square p < 0.05, Fisher and Yates > 0.05.
    fisher = _fisher_two_sided_by_hand(1, 10, 6, 10)
    chi2 = _pearson_chi2_p_by_hand(1, 10, 6, 10)
    yates = _pearson_chi2_p_by_hand(1, 10, 6, 10, yates=True)
    assert chi2 < 0.05 < min(fisher, yates)
    result = check_p_claim("p < 0.05", 1, 10, 6, 10)
    assert result.chi2_holds and not result.fisher_holds
    assert result.verdict == "test_dependent"
    assert "chi-square test only" in result.explanation
    assert "without Yates" in result.explanation


def test_check_p_claim_equality_uses_printed_decimals():
    # Fisher 0.000288 -> "0.0003"; chi-square 0.000153 -> "0.0002" (no), but
    # Yates 0.000346 -> "0.0003" (yes), so the chi-square test holds via Yates.
    assert round(_fisher_two_sided_by_hand(10, 88, 21, 55), 4) == 0.0003
    assert round(_pearson_chi2_p_by_hand(10, 88, 21, 55), 4) == 0.0002
    result = check_p_claim("p = 0.0003", 10, 88, 21, 55)
    assert result.fisher_holds and result.chi2_holds
    assert result.verdict == "consistent"
    assert "with Yates" in result.explanation
    # one decimal too many in the wrong place fails both
    assert check_p_claim("p = 0.003", 10, 88, 21, 55).verdict == "inconsistent"
    # 76/113 vs 18/26: uncorrected chi-square p = 0.846 rounds to 0.85, Fisher p = 1.
    assert round(_pearson_chi2_p_by_hand(76, 113, 18, 26), 2) == 0.85
    assert check_p_claim("p=0.85", 76, 113, 18, 26).verdict == "test_dependent"


def test_check_p_claim_chi_square_undefined_with_empty_column():
    # Nobody relapsed in either group: Fisher p = 1, chi-square is 0/0.
    result = check_p_claim("n.s.", 0, 10, 0, 12)
    assert result.fisher_p == pytest.approx(1.0)
    assert math.isnan(result.chi2_p) and math.isnan(result.chi2_yates_p)
    assert result.verdict == "test_dependent"


def test_check_p_claim_parse_error_raises():
    with pytest.raises(ValueError):
        check_p_claim("significant", 10, 88, 21, 55)
    with pytest.raises(ValueError):
        check_p_claim("p<0.05", 12, 10, 3, 10)
