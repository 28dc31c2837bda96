"""Tests for rtxreview.intervals.

Expected values are worked out by hand (in comments) or by an independent
implementation written here, never copied from the module's output.
"""

from __future__ import annotations

import math


import numpy as np
import pytest
from scipy import stats as sps

from rtxreview.intervals import clopper_pearson, confidence_interval

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
# confidence_interval
# ---------------------------------------------------------------------------


def test_confidence_interval_defaults_to_clopper_pearson():
    low, high = confidence_interval(3, 8)
    assert (float(low), float(high)) == pytest.approx(
        (sps.beta.ppf(0.025, 3, 6), sps.beta.ppf(0.975, 4, 5)), rel=1e-10)


def test_confidence_interval_passes_other_methods_to_statsmodels():
    # Wilson for 3/8 by hand: centre (p + z²/2n) / (1 + z²/n), half-width
    # z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    z, n, p = sps.norm.isf(0.025), 8, 3 / 8
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low, high = confidence_interval(3, 8, method="wilson")
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-10)
