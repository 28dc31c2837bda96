"""Tests for rtxreview.stats.

Expected values are worked out by hand (in comments) or by an independent
implementation written here, never copied from the module's output.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

from rtxreview.stats import (
    QUARTILE_METHODS,
    audit_summary_statistic,
    check_p_claim,
    clopper_pearson,
    grim_mean,
    logit_effects,
    parse_p_claim,
    pool_proportions,
    quartiles_by_method,
)

# ---------------------------------------------------------------------------
# clopper_pearson
# ---------------------------------------------------------------------------


def test_clopper_pearson_zero_events_has_closed_form():
    low, high = clopper_pearson(0, 20)
    assert float(low) == 0.0
    # Upper limit for 0/n solves (1 - p)^n = alpha/2.
    assert float(high) == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)


def test_clopper_pearson_all_events_has_closed_form():
    low, high = clopper_pearson(20, 20)
    assert float(high) == 1.0
    # Lower limit for n/n solves p^n = alpha/2.
    assert float(low) == pytest.approx(0.025 ** (1 / 20), rel=1e-12)


@pytest.mark.parametrize("events, totals", [(1, 4), (3, 20), (17, 30), (76, 113), (146, 147)])
def test_clopper_pearson_matches_beta_quantiles(events, totals):
    low, high = clopper_pearson(events, totals)
    assert float(low) == pytest.approx(sps.beta.ppf(0.025, events, totals - events + 1), rel=1e-10)
    assert float(high) == pytest.approx(sps.beta.ppf(0.975, events + 1, totals - events), rel=1e-10)


def test_clopper_pearson_is_not_the_wald_interval():
    # Wald for 1/4 would be 0.25 +/- 1.96*sqrt(0.25*0.75/4) = (-0.174, 0.674).
    low, high = clopper_pearson(1, 4)
    assert float(low) > 0
    assert float(high) == pytest.approx(0.8059, abs=1e-4)  # tabulated exact limit


def test_clopper_pearson_accepts_arrays_and_alpha():
    events = np.array([0, 5, 12])
    totals = np.array([12, 10, 12])
    low, high = clopper_pearson(events, totals, alpha=0.10)
    assert low.shape == high.shape == (3,)
    assert low[0] == 0.0 and high[2] == 1.0
    assert high[0] == pytest.approx(1 - 0.05 ** (1 / 12), rel=1e-12)
    assert low[1] == pytest.approx(sps.beta.ppf(0.05, 5, 6), rel=1e-10)
    assert high[1] == pytest.approx(sps.beta.ppf(0.95, 6, 5), rel=1e-10)


@pytest.mark.parametrize("events, totals", [(5, 4), (-1, 4), (1, 0), (1.5, 4)])
def test_clopper_pearson_rejects_impossible_counts(events, totals):
    with pytest.raises(ValueError):
        clopper_pearson(events, totals)


# ---------------------------------------------------------------------------
# logit_effects and pool_proportions
# ---------------------------------------------------------------------------


def test_logit_effects_corrects_only_zero_and_full_studies():
    logit, variance = logit_effects([0, 3, 8], [8, 10, 8])
    # 0/8 -> (0.5)/(8.5): logit = log(1/17), variance = 1/0.5 + 1/8.5 = 2 + 2/17
    assert logit[0] == pytest.approx(-math.log(17), rel=1e-12)
    assert variance[0] == pytest.approx(2 + 2 / 17, rel=1e-12)
    # 3/10 untouched: logit = log(3/7), variance = 1/3 + 1/7 = 10/21
    assert logit[1] == pytest.approx(math.log(3 / 7), rel=1e-12)
    assert variance[1] == pytest.approx(10 / 21, rel=1e-12)
    # 8/8 -> (8.5)/(0.5): logit = log(17), same variance as 0/8
    assert logit[2] == pytest.approx(math.log(17), rel=1e-12)
    assert variance[2] == pytest.approx(2 + 2 / 17, rel=1e-12)


def _from_scratch_pool(events, totals, estimator):
    """Independent random-effects pooling used as the reference."""
    events = np.asarray(events, dtype=float)
    totals = np.asarray(totals, dtype=float)
    add = np.where((events == 0) | (events == totals), 0.5, 0.0)
    x, m = events + add, totals - events + add
    y = np.log(x / m)
    v = 1 / x + 1 / m
    k = y.size

    def generalised_q(tau2):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return np.sum(w * (y - mu) ** 2)

    w_fixed = 1 / v
    q = generalised_q(0.0)
    if estimator == "DL":
        c = w_fixed.sum() - (w_fixed**2).sum() / w_fixed.sum()
        tau2 = max(0.0, (q - (k - 1)) / c)
    else:  # Paule-Mandel: solve Q_gen(tau2) = k - 1
        if q <= k - 1:
            tau2 = 0.0
        else:
            upper = 1.0
            while generalised_q(upper) > k - 1:
                upper *= 2
            tau2 = optimize.brentq(lambda t: generalised_q(t) - (k - 1), 0.0, upper, xtol=1e-14)
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    se = 1 / math.sqrt(w.sum())
    expit = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    z = sps.norm.ppf(0.975)
    out = {
        "tau2": tau2,
        "q": q,
        "i2": max(0.0, (q - (k - 1)) / q) * 100 if q > 0 else 0.0,
        "estimate": expit(mu),
        "ci_low": expit(mu - z * se),
        "ci_high": expit(mu + z * se),
        "weights": w / w.sum(),
    }
    if k >= 3:
        half = sps.t.ppf(0.975, k - 2) * math.sqrt(tau2 + se**2)
        out["pi_low"], out["pi_high"] = expit(mu - half), expit(mu + half)
    return out


HETEROGENEOUS = ([3, 12, 20, 5, 40], [10, 15, 60, 6, 147])
WITH_ZERO = ([0, 7, 9, 4], [8, 12, 30, 4])


@pytest.mark.parametrize("estimator", ["PM", "DL"])
@pytest.mark.parametrize("data", [HETEROGENEOUS, WITH_ZERO], ids=["heterogeneous", "zero_cells"])
def test_pool_proportions_matches_independent_implementation(estimator, data):
    events, totals = data
    expected = _from_scratch_pool(events, totals, estimator)
    pooled = pool_proportions(events, totals, estimator=estimator)
    assert pooled.estimator == estimator
    assert pooled.k == len(events)
    assert expected["tau2"] > 0  # the data really are heterogeneous
    assert pooled.tau2 == pytest.approx(expected["tau2"], rel=1e-7)
    for field in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "q", "i2"):
        assert getattr(pooled, field) == pytest.approx(expected[field], rel=1e-7), field
    np.testing.assert_allclose(pooled.weights, expected["weights"], rtol=1e-7)
    assert pooled.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert pooled.q_pvalue == pytest.approx(sps.chi2.sf(expected["q"], len(events) - 1))
    assert pooled.ci_low < pooled.estimate < pooled.ci_high
    assert pooled.pi_low <= pooled.ci_low and pooled.pi_high >= pooled.ci_high


@st.composite
def _study_sets(draw):
    k = draw(st.integers(min_value=2, max_value=7))
    totals = draw(st.lists(st.integers(min_value=4, max_value=147), min_size=k, max_size=k))
    events = [draw(st.integers(min_value=0, max_value=n)) for n in totals]
    return events, totals


@settings(max_examples=150, deadline=None)
@given(data=_study_sets(), estimator=st.sampled_from(["PM", "DL"]))
def test_pool_proportions_agrees_with_independent_implementation_on_random_data(data, estimator):
    events, totals = data
    expected = _from_scratch_pool(events, totals, estimator)
    pooled = pool_proportions(events, totals, estimator=estimator)
    assert pooled.tau2 == pytest.approx(expected["tau2"], rel=1e-6, abs=1e-9)
    assert pooled.estimate == pytest.approx(expected["estimate"], rel=1e-7)
    assert pooled.i2 == pytest.approx(expected["i2"], rel=1e-7, abs=1e-9)
    assert 0 <= pooled.i2 <= 100
    assert pooled.weights.sum() == pytest.approx(1.0)
    assert pooled.ci_low <= pooled.estimate <= pooled.ci_high


@pytest.mark.parametrize(
    "events, totals",
    [([0, 7, 9], [8, 12, 30]), ([0, 0, 13, 0, 0], [4, 4, 46, 4, 15])],
)
def test_pool_proportions_paule_mandel_regression_cases(events, totals):
    # statsmodels' Paule-Mandel iteration can overshoot the root and silently
    # return tau2 = 0 on data like these; the true root is clearly positive.
    expected = _from_scratch_pool(events, totals, "PM")
    assert expected["tau2"] > 0.05
    pooled = pool_proportions(events, totals)
    assert pooled.tau2 == pytest.approx(expected["tau2"], rel=1e-7)
    assert pooled.estimate == pytest.approx(expected["estimate"], rel=1e-7)
    np.testing.assert_allclose(pooled.weights, expected["weights"], rtol=1e-7)


def test_pool_proportions_notes_root_finding_fallback():
    pooled = pool_proportions([0, 0, 13, 0, 0], [4, 4, 46, 4, 15])
    assert "brentq" in pooled.note


def test_pool_proportions_method_names_the_estimator():
    assert "Paule-Mandel" in pool_proportions(*HETEROGENEOUS).method
    assert "DerSimonian-Laird" in pool_proportions(*HETEROGENEOUS, estimator="DL").method


@pytest.mark.parametrize("estimator", ["PM", "DL"])
def test_pool_proportions_homogeneous_data_truncates_tau2(estimator):
    pooled = pool_proportions([10, 10, 10], [20, 20, 20], estimator=estimator)
    assert pooled.tau2 == 0.0
    assert pooled.i2 == 0.0
    assert pooled.q == pytest.approx(0.0, abs=1e-12)
    assert pooled.estimate == pytest.approx(0.5)
    # logit variance per study 1/10 + 1/10 = 0.2; pooled SE = sqrt(0.2/3)
    se = math.sqrt(0.2 / 3)
    z = sps.norm.ppf(0.975)
    assert pooled.ci_low == pytest.approx(1 / (1 + math.exp(z * se)), rel=1e-10)
    assert pooled.ci_high == pytest.approx(1 / (1 + math.exp(-z * se)), rel=1e-10)
    assert np.all(np.isfinite([pooled.ci_low, pooled.ci_high, pooled.pi_low, pooled.pi_high]))
    np.testing.assert_allclose(pooled.weights, [1 / 3, 1 / 3, 1 / 3])


@pytest.mark.parametrize("estimator", ["PM", "DL"])
def test_pool_proportions_slightly_heterogeneous_dl_not_negative(estimator):
    # Q below its df: statsmodels' raw DL tau2 would be negative here.
    pooled = pool_proportions([10, 11, 9, 10], [20, 20, 20, 20], estimator=estimator)
    assert pooled.tau2 == 0.0
    assert pooled.i2 == 0.0
    assert math.isfinite(pooled.ci_low) and math.isfinite(pooled.ci_high)


def test_pool_proportions_notes_continuity_correction_only_for_extreme_studies():
    pooled = pool_proportions(*WITH_ZERO)
    assert "continuity correction" in pooled.note
    assert "#1 (0/8)" in pooled.note and "#4 (4/4)" in pooled.note
    assert "#2" not in pooled.note and "#3" not in pooled.note
    assert "continuity" not in pool_proportions(*HETEROGENEOUS).note


def test_pool_proportions_two_studies_have_no_prediction_interval():
    pooled = pool_proportions([3, 9], [10, 12])
    assert pooled.pi_low is None and pooled.pi_high is None
    assert "prediction interval" in pooled.note
    assert pooled.weights.sum() == pytest.approx(1.0)
    expected = _from_scratch_pool([3, 9], [10, 12], "PM")
    assert pooled.estimate == pytest.approx(expected["estimate"], rel=1e-7)


def test_pool_proportions_rejects_single_study_and_unknown_estimator():
    with pytest.raises(ValueError, match="at least two studies"):
        pool_proportions([3], [10])
    with pytest.raises(ValueError):
        pool_proportions([3, 4], [10, 10], estimator="REML")


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
