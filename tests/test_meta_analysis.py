"""Tests for rtxreview.meta_analysis.

Expected values are worked out by hand (in comments) or by an independent
implementation written here, never copied from the module's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

from rtxreview.meta_analysis import logit_effects, pool_proportions

from results import results_metafor  # stored R output, written by tests/results/metafor_pooling.R

RESULTS = Path(__file__).parent / "results"

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
    # Hartung-Knapp: weighted residual variance about mu, t with k - 1 df.
    hk_half = sps.t.ppf(0.975, k - 1) * math.sqrt(np.sum(w * (y - mu) ** 2) / ((k - 1) * w.sum()))
    out = {
        "tau2": tau2,
        "q": q,
        "i2": max(0.0, (q - (k - 1)) / q) * 100 if q > 0 else 0.0,
        "estimate": expit(mu),
        "ci_low": expit(mu - hk_half),
        "ci_high": expit(mu + hk_half),
        "z_ci_low": expit(mu - z * se),
        "z_ci_high": expit(mu + z * se),
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
    for field in ("estimate", "ci_low", "ci_high", "z_ci_low", "z_ci_high", "pi_low", "pi_high", "q", "i2"):
        assert getattr(pooled, field) == pytest.approx(expected[field], rel=1e-7), field
    np.testing.assert_allclose(pooled.weights, expected["weights"], rtol=1e-7)
    assert pooled.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert pooled.q_pvalue == pytest.approx(sps.chi2.sf(expected["q"], len(events) - 1))
    assert pooled.q_df == len(events) - 1
    assert pooled.ci_low < pooled.estimate < pooled.ci_high
    assert pooled.pi_low <= pooled.z_ci_low and pooled.pi_high >= pooled.z_ci_high
    assert pooled.pi_reason == ""


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
    assert pooled.z_ci_low == pytest.approx(1 / (1 + math.exp(z * se)), rel=1e-10)
    assert pooled.z_ci_high == pytest.approx(1 / (1 + math.exp(-z * se)), rel=1e-10)
    # Identical estimates: the Hartung-Knapp variance is 0, so its interval has no width
    # (as metafor's test="knha"), and the note says it is the narrower one.
    assert pooled.ci_low == pytest.approx(0.5) and pooled.ci_high == pytest.approx(0.5)
    assert "Hartung-Knapp variance is below the usual one" in pooled.note
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
    assert pooled.pi_reason.startswith("no prediction interval with fewer than 3 studies")
    assert "k - 2 degrees of freedom" in pooled.pi_reason
    assert pooled.pi_reason in pooled.note
    assert pooled.weights.sum() == pytest.approx(1.0)
    expected = _from_scratch_pool([3, 9], [10, 12], "PM")
    assert pooled.estimate == pytest.approx(expected["estimate"], rel=1e-7)


def test_pool_proportions_rejects_single_study_and_unknown_estimator():
    with pytest.raises(ValueError, match="at least two studies"):
        pool_proportions([3], [10])
    with pytest.raises(ValueError):
        pool_proportions([3, 4], [10, 10], estimator="REML")


# ---------------------------------------------------------------------------
# Stored reference results from R metafor (tests/results/metafor_pooling.R)
# ---------------------------------------------------------------------------

METAFOR = results_metafor.CASES


@pytest.mark.parametrize("estimator", ["PM", "DL"])
@pytest.mark.parametrize("case", sorted(METAFOR))
def test_pool_proportions_matches_metafor(case, estimator):
    stored = METAFOR[case]
    ref = stored[estimator]
    pooled = pool_proportions(stored["events"], stored["totals"], estimator=estimator)
    logit, variance = logit_effects(stored["events"], stored["totals"])
    np.testing.assert_allclose(logit, stored["yi"], rtol=1e-12)
    np.testing.assert_allclose(variance, stored["vi"], rtol=1e-12)
    # tau2 to metafor's root-finding tolerance; what follows from it to a little more.
    assert pooled.tau2 == pytest.approx(ref["tau2"], rel=1e-8, abs=1e-10)
    assert pooled.estimate == pytest.approx(ref["estimate_prop"], rel=1e-8)
    assert (pooled.z_ci_low, pooled.z_ci_high) == pytest.approx((ref["ci_lb_prop"], ref["ci_ub_prop"]), rel=1e-8)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((ref["hk_ci_lb_prop"], ref["hk_ci_ub_prop"]),
                                                            rel=1e-7, abs=1e-12)
    assert pooled.q == pytest.approx(ref["QE"], rel=1e-10, abs=1e-12)
    assert pooled.q_pvalue == pytest.approx(ref["QEp"], rel=1e-10)
    assert pooled.i2 == pytest.approx(ref["I2_dl"], rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(pooled.weights, ref["weights"], rtol=1e-8)
    if ref["pi_lb_prop"] is None:
        assert pooled.pi_low is None and pooled.pi_high is None and pooled.k < 3
    else:
        assert (pooled.pi_low, pooled.pi_high) == pytest.approx((ref["pi_lb_prop"], ref["pi_ub_prop"]), rel=1e-8)


def test_metafor_results_keep_the_r_call_that_made_them():
    for case in METAFOR.values():
        for estimator in ("PM", "DL"):
            call = case[estimator]["r_call"]
            assert f'method="{estimator}"' in call and 'test="knha"' in call
            assert "xi=c({})".format(",".join(map(str, case["events"]))) in call
    assert (RESULTS / "metafor_pooling.R").is_file()


def test_the_issue_figures_hartung_knapp_intervals_for_the_three_declared_pools():
    # The three pools of pooling.csv before the comparability rule, as metafor gives them: the
    # normal interval 24.3-88.3% for ITP widens to about 0-100% under Hartung-Knapp.
    itp = pool_proportions([46, 3], [61, 8])
    assert round(itp.estimate * 100, 1) == 60.9 and round(itp.z_ci_low * 100, 1) == 24.3
    assert itp.ci_low < 0.001 and itp.ci_high > 0.999
    assert round(pool_proportions([46, 2], [61, 8]).estimate * 100, 1) == 53.5  # 12-month visit
    ttp, relapse = pool_proportions([23, 20], [31, 22]), pool_proportions([32, 3], [117, 20])
    assert (round(ttp.ci_low * 100, 1), round(ttp.ci_high * 100, 2)) == (0.2, 99.99)
    assert (round(relapse.ci_low * 100, 1), round(relapse.ci_high * 100, 1)) == (0.7, 93.7)
    assert round(itp.q_pvalue, 3) == 0.039
