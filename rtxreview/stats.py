"""
Index of the review's statistics, one module per topic (kept so ``rtxreview.stats`` imports work).

* :mod:`rtxreview.intervals` -- exact confidence intervals for single proportions.
* :mod:`rtxreview.meta_analysis` -- random-effects pooling of proportions, heterogeneity,
  Hartung-Knapp and prediction intervals.
* :mod:`rtxreview.pvalues` -- printed p-value claims re-tested on their 2x2 tables.
* :mod:`rtxreview.summary_stats` -- means, SDs, medians, quartiles and GRIM from raw values.

Which pooled analyses are run, and whether their inputs may be pooled at all, is decided in
:mod:`rtxreview.pooling`.
"""

from __future__ import annotations

from rtxreview.intervals import clopper_pearson, confidence_interval
from rtxreview.meta_analysis import PooledProportion, logit_effects, pool_proportions
from rtxreview.pvalues import (PClaimCheck, check_p_claim, check_p_claims, claim_holds, parse_p_claim,
                               two_by_two_p_values)
from rtxreview.summary_stats import QUARTILE_METHODS, SummaryCheck, audit_summary_statistic, grim_mean, quartiles_by_method

__all__ = [
    "clopper_pearson",
    "confidence_interval",
    "PooledProportion",
    "logit_effects",
    "pool_proportions",
    "PClaimCheck",
    "parse_p_claim",
    "claim_holds",
    "check_p_claim",
    "check_p_claims",
    "two_by_two_p_values",
    "SummaryCheck",
    "audit_summary_statistic",
    "grim_mean",
    "QUARTILE_METHODS",
    "quartiles_by_method",
]
