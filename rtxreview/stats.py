"""
Statistics for the rituximab cytopenia review: intervals, pooling and checks.

The studies in this review are small (4 to 147 patients), so the module
prefers exact methods wherever they exist:

* :func:`clopper_pearson` -- exact binomial confidence intervals.
* :func:`logit_effects`, :func:`pool_proportions` -- random-effects pooled
  proportions on the logit scale, with heterogeneity statistics and a
  prediction interval.
* :func:`check_p_claim`, :func:`parse_p_claim` -- does a printed p-value
  claim ("p<0.01", "n.s.") hold when the 2x2 table is re-tested?
* :func:`audit_summary_statistic` -- recompute a mean, SD, median, minimum
  or maximum exactly from raw values and compare at the printed precision.
* :func:`grim_mean` -- the GRIM test for means of whole-number data.
* :func:`quartiles_by_method` -- the quartiles that different software
  prints for the same data.

Everything that a well-kept library already does is delegated to it
(statsmodels for confidence intervals and the meta-analysis, scipy for the
tests, numpy for quantiles, :mod:`rtxreview.rounding` for the rounding
rules). Code written by hand is marked as such in a comment.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
from scipy import optimize, special
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from rtxreview import rounding

__all__ = [
    "clopper_pearson",
    "PooledProportion",
    "logit_effects",
    "pool_proportions",
    "PClaimCheck",
    "parse_p_claim",
    "check_p_claim",
    "check_p_claims",
    "two_by_two_p_values",
    "SummaryCheck",
    "audit_summary_statistic",
    "grim_mean",
    "QUARTILE_METHODS",
    "quartiles_by_method",
]


# ---------------------------------------------------------------------------
# Input checking shared by the binomial functions
# ---------------------------------------------------------------------------


def _as_counts(events, totals) -> tuple[np.ndarray, np.ndarray]:
    """Return events and totals as broadcast integer arrays, validated.

    Raises
    ------
    ValueError
        If a value is not a whole number, a total is not positive, or the
        events are outside ``0 .. total``.
    """
    events_arr = np.asarray(events, dtype=float)
    totals_arr = np.asarray(totals, dtype=float)
    events_arr, totals_arr = np.broadcast_arrays(events_arr, totals_arr)
    if not (np.all(np.isfinite(events_arr)) and np.all(np.isfinite(totals_arr))):
        raise ValueError("events and totals must be finite")
    if np.any(events_arr != np.round(events_arr)) or np.any(
        totals_arr != np.round(totals_arr)
    ):
        raise ValueError("events and totals must be whole numbers")
    if np.any(totals_arr <= 0):
        raise ValueError("every total must be positive")
    if np.any(events_arr < 0) or np.any(events_arr > totals_arr):
        raise ValueError("events must lie between 0 and the total")
    return events_arr.astype(np.int64), totals_arr.astype(np.int64)


# ---------------------------------------------------------------------------
# Exact binomial confidence intervals
# ---------------------------------------------------------------------------


def clopper_pearson(events, totals, alpha=0.05) -> tuple[np.ndarray, np.ndarray]:
    """
    Clopper-Pearson (exact) confidence interval for a binomial proportion.

    Parameters
    ----------
    events : int or array_like of int
        Number of patients with the outcome (e.g. responders).
    totals : int or array_like of int
        Number of patients evaluated. Broadcast against `events`.
    alpha : float, optional
        Significance level; the interval has nominal coverage ``1 - alpha``.
        Default 0.05 (a 95% interval).

    Returns
    -------
    ci_low, ci_high : ndarray
        Lower and upper limits, with the broadcast shape of the inputs
        (0-d arrays for scalar input; use ``float()`` to unwrap).

    Notes
    -----
    Delegates to ``statsmodels.stats.proportion.proportion_confint`` with
    ``method="beta"``; its default (``"normal"``, the Wald interval) is
    unsuitable for the small samples in this review. The limits are the
    ``alpha/2`` quantile of Beta(x, n - x + 1) and the ``1 - alpha/2``
    quantile of Beta(x + 1, n - x); for 0/n the lower limit is exactly 0 and
    the upper is ``1 - (alpha/2)**(1/n)``, for n/n the upper limit is
    exactly 1.

    Examples
    --------
    >>> low, high = clopper_pearson(0, 20)
    >>> float(low), round(float(high), 4)
    (0.0, 0.1684)
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    events_arr, totals_arr = _as_counts(events, totals)
    ci_low, ci_high = proportion_confint(events_arr, totals_arr, alpha=alpha, method="beta")
    return np.asarray(ci_low, dtype=float), np.asarray(ci_high, dtype=float)


# ---------------------------------------------------------------------------
# Random-effects pooling of proportions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PooledProportion:
    """
    Random-effects pooled proportion (logit scale, back-transformed).

    Attributes
    ----------
    method : str
        Plain description of the model, e.g. ``"random effects, logit,
        Paule-Mandel (statsmodels combine_effects iterated)"``.
    estimator : str
        Between-study variance estimator, ``"PM"`` or ``"DL"``.
    k : int
        Number of studies pooled.
    estimate, ci_low, ci_high : float
        Pooled proportion and its confidence interval (proportions, 0..1).
    pi_low, pi_high : float or None
        Prediction interval for the proportion in a new study (Higgins,
        Thompson & Spiegelhalter 2009, t with k - 2 df); None when k < 3.
    tau2 : float
        Between-study variance on the logit scale (never negative).
    i2 : float
        I-squared in percent, ``max(0, (Q - df) / Q) * 100``.
    q, q_pvalue : float
        Cochran's Q and its chi-square p-value with k - 1 df.
    weights : ndarray
        Relative random-effects weights in input order, summing to 1.
    note : str
        Caveats: why the prediction interval is missing, which studies
        received a continuity correction. Empty when there is none.
    """

    method: str
    estimator: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    tau2: float
    i2: float
    q: float
    q_pvalue: float
    weights: np.ndarray
    note: str


def _needs_continuity_correction(events_arr: np.ndarray, totals_arr: np.ndarray) -> np.ndarray:
    """Boolean mask of studies with no events or only events."""
    return (events_arr == 0) | (events_arr == totals_arr)


def logit_effects(events, totals) -> tuple[np.ndarray, np.ndarray]:
    """
    Logit-transformed proportions and their sampling variances.

    Parameters
    ----------
    events : array_like of int
        Number of patients with the outcome in each study.
    totals : array_like of int
        Number of patients in each study.

    Returns
    -------
    logit : ndarray
        ``log(x / (n - x))`` for each study.
    variance : ndarray
        ``1 / x + 1 / (n - x)`` for each study.

    Notes
    -----
    Studies with 0 or n events have an infinite logit. For those studies
    only, 0.5 is added to the events and to the non-events, so the logit
    becomes ``log((x + 0.5) / (n - x + 0.5))`` and the variance
    ``1 / (x + 0.5) + 1 / (n - x + 0.5)``. Other studies are untouched.
    This is the default of ``escalc(measure="PLO")`` in R's metafor
    (``add = 1/2, to = "only0"``). Written by hand: statsmodels has no
    effect-size helper for single proportions.
    """
    events_arr, totals_arr = _as_counts(events, totals)
    events_f = events_arr.astype(float)
    non_events_f = (totals_arr - events_arr).astype(float)
    correction = np.where(_needs_continuity_correction(events_arr, totals_arr), 0.5, 0.0)
    events_f = events_f + correction
    non_events_f = non_events_f + correction
    logit = np.log(events_f) - np.log(non_events_f)
    variance = 1.0 / events_f + 1.0 / non_events_f
    return logit, variance


def _generalised_q(logit: np.ndarray, variance: np.ndarray, tau2: float) -> float:
    """Generalised Q statistic sum w_i (y_i - mu_w)^2 with w_i = 1/(v_i + tau2)."""
    weights = 1.0 / (variance + tau2)
    mean = np.sum(weights * logit) / np.sum(weights)
    return float(np.sum(weights * (logit - mean) ** 2))


def _solves_paule_mandel(logit: np.ndarray, variance: np.ndarray, tau2: float) -> bool:
    """Whether tau2 solves the Paule-Mandel equation Q_gen(tau2) = k - 1.

    tau2 = 0 is the solution when Q_gen(0) <= k - 1 (truncation).
    """
    excess = _generalised_q(logit, variance, tau2) - (logit.size - 1)
    if tau2 > 0:
        return abs(excess) <= 1e-6
    return tau2 == 0 and excess <= 1e-6


def _paule_mandel_by_root_finding(logit: np.ndarray, variance: np.ndarray) -> float:
    """Paule-Mandel tau2 by bracketing the root of Q_gen(tau2) - (k - 1).

    Written by hand as a fallback for statsmodels' iteration. Q_gen
    decreases in tau2 towards 0, so the root is unique and bracketed by
    doubling an upper bound.
    """
    df = logit.size - 1

    def excess(tau2: float) -> float:
        return _generalised_q(logit, variance, tau2) - df

    if excess(0.0) <= 0:
        return 0.0
    upper = max(1.0, float(np.var(logit)))
    while excess(upper) > 0:
        upper *= 2
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-14, rtol=1e-14))


def _random_effects_summary(
    logit: np.ndarray, variance: np.ndarray, tau2: float
) -> tuple[float, float, np.ndarray]:
    """Inverse-variance pooled mean, its SE and relative weights for a given tau2.

    The same formulas as statsmodels' combine_effects, for a tau2 that
    statsmodels did not produce itself.
    """
    weights = 1.0 / (variance + tau2)
    mean = float(np.sum(weights * logit) / np.sum(weights))
    se = float(math.sqrt(1.0 / np.sum(weights)))
    return mean, se, weights / np.sum(weights)


_METHOD_DESCRIPTIONS = {
    "PM": "random effects, logit, Paule-Mandel (statsmodels combine_effects iterated)",
    "DL": (
        "random effects, logit, DerSimonian-Laird (statsmodels combine_effects chi2, "
        "tau\u00b2 truncated at 0)"
    ),
}


def pool_proportions(events, totals, estimator="PM", alpha=0.05) -> PooledProportion:
    """
    Random-effects meta-analysis of single proportions on the logit scale.

    Parameters
    ----------
    events : array_like of int
        Number of patients with the outcome in each study.
    totals : array_like of int
        Number of patients in each study.
    estimator : {"PM", "DL"}, optional
        Between-study variance estimator: Paule-Mandel (default) or
        DerSimonian-Laird.
    alpha : float, optional
        Significance level for the confidence and prediction intervals.

    Returns
    -------
    PooledProportion
        Pooled estimate, intervals (as proportions), heterogeneity
        statistics, weights and notes.

    Raises
    ------
    ValueError
        If fewer than two studies are given ("pooling needs at least two
        studies") or the estimator is unknown.

    Notes
    -----
    Effects and variances come from :func:`logit_effects`. Pooling uses
    ``statsmodels.stats.meta_analysis.combine_effects`` with
    ``method_re="iterated"`` (Paule-Mandel) or ``method_re="chi2"``
    (DerSimonian-Laird). The confidence interval is the normal (Wald)
    interval on the logit scale, back-transformed with the inverse logit.

    statsmodels does not truncate the DerSimonian-Laird tau-squared at 0:
    on homogeneous data it returns a negative tau-squared, a NaN standard
    error and a negative I-squared. Here tau-squared is clamped at 0 and the
    weights, pooled mean and standard error are recomputed with it (they
    then equal the inverse-variance ones). I-squared is computed by hand
    from Q as ``max(0, (Q - df) / Q)`` in percent.

    statsmodels' Paule-Mandel iteration can overshoot the root and then
    silently return tau-squared = 0 (about 2% of random sets of small
    studies, often with zero-event studies). The result is therefore checked
    against the Paule-Mandel equation ``Q_gen(tau2) = k - 1``; if it fails,
    tau-squared is found with ``scipy.optimize.brentq`` instead and `note`
    says so.

    The prediction interval (written by hand, statsmodels has none) is
    ``mu +/- t_{k-2, 1-alpha/2} * sqrt(tau2 + SE(mu)^2)`` on the logit scale
    (Higgins, Thompson & Spiegelhalter 2009), back-transformed.
    """
    estimator = str(estimator).upper()
    if estimator not in _METHOD_DESCRIPTIONS:
        raise ValueError(f"estimator must be 'PM' or 'DL', not {estimator!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    events_arr, totals_arr = _as_counts(events, totals)
    events_arr, totals_arr = np.atleast_1d(events_arr), np.atleast_1d(totals_arr)
    if events_arr.ndim != 1:
        raise ValueError("events and totals must be one-dimensional")
    k = events_arr.shape[0]
    if k < 2:
        raise ValueError("pooling needs at least two studies")

    logit, variance = logit_effects(events_arr, totals_arr)
    df = k - 1

    notes = []
    if estimator == "PM":
        # atol: tighter than statsmodels' default (1e-5 on the estimating
        # equation) but well above rounding noise.
        # errstate: statsmodels divides by Q for its own I-squared (unused).
        with np.errstate(divide="ignore", invalid="ignore"):
            result = combine_effects(
                logit, variance, method_re="iterated", atol=1e-8, maxiter=500
            )
        tau2 = float(result.tau2)
        if not _solves_paule_mandel(logit, variance, tau2):
            # statsmodels' update step can overshoot the root; it then sets
            # tau2 to 0 without warning (seen on 0/4, 0/4, 13/46, 0/4, 0/15,
            # and with atol=1e-10 on 0/8, 7/12, 9/30). Fall back to a
            # bracketing root finder on the same equation.
            tau2 = _paule_mandel_by_root_finding(logit, variance)
            notes.append(
                "tau\u00b2 from scipy brentq on the Paule-Mandel equation "
                "(statsmodels' iteration did not converge)"
            )
    else:
        # A negative raw tau2 can make var + tau2 zero or negative inside
        # statsmodels; those random-effects values are replaced below.
        with np.errstate(divide="ignore", invalid="ignore"):
            result = combine_effects(logit, variance, method_re="chi2")
        tau2 = max(0.0, float(result.tau2))

    if tau2 == float(result.tau2):
        mean_logit = float(result.mean_effect_re)
        se_logit = float(result.sd_eff_w_re)
        weights = np.asarray(result.weights_rel_re, dtype=float)
    else:
        # tau2 was truncated at 0 (DL) or re-solved (PM): recompute the
        # random-effects summary with the corrected tau2.
        mean_logit, se_logit, weights = _random_effects_summary(logit, variance, tau2)

    q = float(result.q)
    q_pvalue = float(sps.chi2.sf(q, df))
    i2 = 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0

    z = sps.norm.isf(alpha / 2)
    ci_low = float(special.expit(mean_logit - z * se_logit))
    ci_high = float(special.expit(mean_logit + z * se_logit))

    if k >= 3:
        t_crit = sps.t.isf(alpha / 2, k - 2)
        half_width = t_crit * math.sqrt(tau2 + se_logit**2)
        pi_low = float(special.expit(mean_logit - half_width))
        pi_high = float(special.expit(mean_logit + half_width))
    else:
        pi_low = pi_high = None
        notes.append(
            f"no prediction interval: it needs at least 3 studies (t with k - 2 df), k = {k}"
        )

    corrected = np.flatnonzero(_needs_continuity_correction(events_arr, totals_arr))
    if corrected.size:
        listed = ", ".join(
            f"#{i + 1} ({events_arr[i]}/{totals_arr[i]})" for i in corrected
        )
        studies = "study" if corrected.size == 1 else "studies"
        notes.append(
            "continuity correction 0.5 added to events and non-events for "
            f"{studies} {listed} (input order, 1-based)"
        )

    return PooledProportion(
        method=_METHOD_DESCRIPTIONS[estimator],
        estimator=estimator,
        k=k,
        estimate=float(special.expit(mean_logit)),
        ci_low=ci_low,
        ci_high=ci_high,
        pi_low=pi_low,
        pi_high=pi_high,
        tau2=tau2,
        i2=i2,
        q=q,
        q_pvalue=q_pvalue,
        weights=weights,
        note="; ".join(notes),
    )


# ---------------------------------------------------------------------------
# Printed p-value claims for a 2x2 table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PClaimCheck:
    """
    Result of re-testing a printed p-value claim on a 2x2 table.

    Attributes
    ----------
    claim : str
        The claim as printed, e.g. ``"p<0.01"``.
    relation : str
        Parsed relation: ``"<"``, ``"<="``, ``"="``, ``">="``, ``">"`` or
        ``"n.s."`` (not significant, read as p >= 0.05).
    threshold : float or None
        Parsed number; None for ``"n.s."``.
    fisher_p : float
        Two-sided Fisher's exact test p-value.
    chi2_p, chi2_yates_p : float
        Pearson chi-square p-value without and with Yates' continuity
        correction (NaN when a margin of the table is zero).
    fisher_holds, chi2_holds : bool
        Whether the claim is true for Fisher's test, and for the chi-square
        test (with or without Yates' correction, as papers use either).
    verdict : str
        ``"consistent"`` if both hold, ``"test_dependent"`` if one holds,
        ``"inconsistent"`` if neither.
    explanation : str
        Plain-English summary.
    """

    claim: str
    relation: str
    threshold: float | None
    fisher_p: float
    chi2_p: float
    chi2_yates_p: float
    fisher_holds: bool
    chi2_holds: bool
    verdict: str
    explanation: str


_NOT_SIGNIFICANT = re.compile(r"^n\.?\s*s\.?$")
_RELATIONS = {
    "<": "<",
    "<=": "<=",
    "\u2264": "<=",
    "=": "=",
    ":": "=",
    ">=": ">=",
    "\u2265": ">=",
    ">": ">",
}
_P_CLAIM = re.compile(
    r"""^\s*
    (?:p(?:[\s-]*value)?)?\s*                    # optional "p" or "p-value"
    (?P<relation><=|>=|\u2264|\u2265|<|>|=|:)?\s*
    (?P<rest>.*?)\s*$""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)?|\.\d+)$")


def parse_p_claim(claim: str) -> tuple[str, float | None]:
    """
    Parse a printed p-value claim.

    Parameters
    ----------
    claim : str
        Text as printed, e.g. ``"p<0.01"``, ``"p < 0.05"``, ``"p<.001"``,
        ``"p = 0.34"``, ``"p:n.s"``, ``"n.s."``, ``"NS"``, ``"p \u2264 0.05"``.

    Returns
    -------
    relation : str
        ``"<"``, ``"<="``, ``"="``, ``">="``, ``">"`` or ``"n.s."``. A colon
        is read as ``"="``.
    threshold : float or None
        The printed number, None for ``"n.s."``.

    Raises
    ------
    ValueError
        If the text is not a recognisable claim or the number is not a
        probability.
    """
    if not isinstance(claim, str):
        raise ValueError(f"p-value claim must be text, not {type(claim).__name__}")
    text = claim.strip().lower()
    match = _P_CLAIM.match(text)
    if match is None or not match.group("rest"):
        raise ValueError(f"cannot parse p-value claim {claim!r}")
    relation_text, rest = match.group("relation"), match.group("rest")
    if _NOT_SIGNIFICANT.match(rest):
        if relation_text not in (None, "=", ":"):
            raise ValueError(f"cannot parse p-value claim {claim!r}")
        return "n.s.", None
    if relation_text is None or not _NUMBER.match(rest):
        raise ValueError(f"cannot parse p-value claim {claim!r}")
    threshold = float(rest)
    if not 0 <= threshold <= 1:
        raise ValueError(f"p-value in claim {claim!r} is not between 0 and 1")
    return _RELATIONS[relation_text], threshold


def claim_holds(p: float, relation: str, threshold: float | None, claim: str) -> bool:
    """Whether a recomputed p-value makes the parsed claim true."""
    if math.isnan(p):
        return False
    if relation == "n.s.":
        return p >= 0.05
    if relation == "<":
        return p < threshold
    if relation == "<=":
        return p <= threshold
    if relation == ">":
        return p > threshold
    if relation == ">=":
        return p >= threshold
    # "=": the printed value must be p rounded at the printed decimals.
    # p is a float from scipy, not an exact number; rounding it to 12
    # decimals first removes binary noise (e.g. 0.0449999999999999 for a
    # true 0.045) before rounding.verdict_for treats it as exact.
    printed = re.search(r"\d*\.?\d+", claim).group(0)
    if printed.startswith("."):
        printed = "0" + printed
    verdict, _ = rounding.verdict_for(Fraction(str(round(p, 12))), printed)
    return verdict in ("consistent", "rounding_variant")


def _format_p(p: float) -> str:
    """Format a p-value with two significant digits, without exponent if >= 1e-4."""
    if math.isnan(p):
        return "undefined"
    if p < 1e-4:
        return f"{p:.1e}"
    return np.format_float_positional(p, precision=2, fractional=False, trim="-")


def check_p_claim(
    claim: str, events_a: int, total_a: int, events_b: int, total_b: int
) -> PClaimCheck:
    """
    Check a printed p-value claim against the 2x2 table it summarises.

    Parameters
    ----------
    claim : str
        The claim as printed (see :func:`parse_p_claim`).
    events_a, total_a : int
        Events and patients in group A.
    events_b, total_b : int
        Events and patients in group B.

    Returns
    -------
    PClaimCheck
        Recomputed p-values, whether the claim holds for each test, and a
        verdict.

    Notes
    -----
    The table is ``[[events_a, total_a - events_a], [events_b, total_b -
    events_b]]``. Fisher's exact test is ``scipy.stats.fisher_exact``
    (two-sided); the chi-square tests are ``scipy.stats.chi2_contingency``
    with ``correction=False`` and ``correction=True`` (Yates). When a margin
    of the table is zero the chi-square statistic is undefined (0/0) and its
    p-values are NaN, as in R's ``chisq.test``.

    ``"n.s."`` is read as p >= 0.05. An ``"="`` claim holds when the
    recomputed p-value rounds to the printed value at the printed number of
    decimals, under half-up or another common rounding rule
    (:func:`rtxreview.rounding.verdict_for`). The chi-square test is said to
    hold when either the uncorrected or the Yates-corrected version makes
    the claim true, because papers use both.
    """
    relation, threshold = parse_p_claim(claim)
    (events_a, events_b), (total_a, total_b) = _as_counts(
        [events_a, events_b], [total_a, total_b]
    )
    table = np.array(
        [[events_a, total_a - events_a], [events_b, total_b - events_b]], dtype=np.int64
    )
    fisher_p = float(sps.fisher_exact(table, alternative="two-sided").pvalue)
    if np.any(table.sum(axis=0) == 0):
        chi2_p = chi2_yates_p = float("nan")
    else:
        chi2_p = float(sps.chi2_contingency(table, correction=False).pvalue)
        chi2_yates_p = float(sps.chi2_contingency(table, correction=True).pvalue)
    return _p_claim_result(claim, relation, threshold, (events_a, total_a, events_b, total_b),
                           (fisher_p, chi2_p, chi2_yates_p))


def check_p_claims(claims, events_a, totals_a, events_b, totals_b) -> list[PClaimCheck]:
    """
    :func:`check_p_claim` for many claims at once: the same results, bit for bit.

    Each claim is parsed and its counts checked in order exactly as
    :func:`check_p_claim` does (so the same error is raised for the same
    input); the p-values of all tables are then computed together by
    :func:`two_by_two_p_values`.

    Why: ``scipy.stats.fisher_exact`` and ``chi2_contingency`` cost about
    1 ms per table in argument handling, most of it outside the arithmetic;
    216 claims of a synthetic 10^5-row review took 0.73 s, 60% of its audit
    (BENCHMARKS.md). The batch computes them in a few milliseconds.
    """
    parsed, counts = [], []
    for claim, ea, ta, eb, tb in zip(claims, events_a, totals_a, events_b, totals_b, strict=True):
        parsed.append(parse_p_claim(claim))
        (ea, eb), (ta, tb) = _as_counts([ea, eb], [ta, tb])
        counts.append((int(ea), int(ta), int(eb), int(tb)))
    if not counts:
        return []
    ea, ta, eb, tb = (np.array(column, dtype=np.int64) for column in zip(*counts))
    fisher, chi2, chi2_yates = two_by_two_p_values(ea, ta, eb, tb)
    return [
        _p_claim_result(claim, relation, threshold, table_counts, (float(f), float(c), float(y)))
        for claim, (relation, threshold), table_counts, f, c, y
        in zip(claims, parsed, counts, fisher.tolist(), chi2.tolist(), chi2_yates.tolist())
    ]


def two_by_two_p_values(events_a, totals_a, events_b, totals_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Fisher (two-sided), chi-square and Yates chi-square p-values of many 2x2 tables.

    The tables are ``[[events_a, totals_a - events_a], [events_b, totals_b -
    events_b]]`` (counts already checked, totals positive). The chi-square
    p-values are NaN when a column of the table sums to zero, as in
    :func:`check_p_claim`.

    Hand-written, but only as a vectorised replay of scipy 1.17's own
    algorithms with scipy's own distribution functions, so that every
    p-value equals ``scipy.stats.fisher_exact(table).pvalue`` and
    ``scipy.stats.chi2_contingency(table, correction=...).pvalue`` bit for
    bit (``tests/test_performance.py`` compares them on every table of the
    review, a synthetic review and an exhaustive grid of small tables):

    * Fisher: the mode of the hypergeometric distribution, then the tail on
      the other side of the mode found by scipy's binary search (run here on
      all tables in lockstep), summed as scipy sums it (``cdf + sf``), with
      the same relative tolerance ``1 + 1e-14``.
    * chi-square: expected counts ``row * column / total``, Yates' correction
      ``min(0.5, |expected - observed|)`` towards the expected count, the
      four terms ``(observed - expected)**2 / expected`` added in scipy's
      order, and ``scipy.special.chdtrc(1, statistic)``.
    """
    a = np.asarray(events_a, dtype=np.int64)
    b = np.asarray(totals_a, dtype=np.int64) - a
    c = np.asarray(events_b, dtype=np.int64)
    d = np.asarray(totals_b, dtype=np.int64) - c
    return _fisher_two_sided(a, b, c, d), *_chi2_p_values(a, b, c, d)


def _fisher_two_sided(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue`` for arrays of tables (scipy 1.17)."""
    hypergeom = sps.hypergeom
    p = np.ones(len(a), dtype=np.float64)
    zero_margin = (a + c == 0) | (b + d == 0) | (a + b == 0) | (c + d == 0)  # p = 1, as scipy
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2
    live = np.flatnonzero(~zero_margin)
    if not len(live):
        return p
    a, n1, n, total = a[live], n1[live], n[live], total[live]
    mode = ((n + 1) * (n1 + 1) / (total + 2)).astype(np.int64)
    pexact = hypergeom.pmf(a, total, n1, n)
    pmode = hypergeom.pmf(mode, total, n1, n)
    epsilon = 1e-14
    gamma = 1 + epsilon
    result = np.ones(len(live), dtype=np.float64)
    decided = np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= epsilon  # p = 1
    lower = ~decided & (a < mode)
    upper = ~decided & ~(a < mode)
    if lower.any():
        i = np.flatnonzero(lower)
        plower = hypergeom.cdf(a[i], total[i], n1[i], n[i])
        at_end = hypergeom.pmf(n[i], total[i], n1[i], n[i]) > pexact[i] * gamma
        result[i[at_end]] = plower[at_end]
        j = i[~at_end]
        if len(j):
            guess = _binary_search_many(lambda x, k: -hypergeom.pmf(x, total[k], n1[k], n[k]),
                                        -pexact[j] * gamma, mode[j], n[j], j)
            result[j] = plower[~at_end] + hypergeom.sf(guess, total[j], n1[j], n[j])
    if upper.any():
        i = np.flatnonzero(upper)
        pupper = hypergeom.sf(a[i] - 1, total[i], n1[i], n[i])
        at_end = hypergeom.pmf(np.zeros(len(i), dtype=np.int64), total[i], n1[i], n[i]) > pexact[i] * gamma
        result[i[at_end]] = pupper[at_end]
        j = i[~at_end]
        if len(j):
            guess = _binary_search_many(lambda x, k: hypergeom.pmf(x, total[k], n1[k], n[k]),
                                        pexact[j] * gamma, np.zeros(len(j), dtype=np.int64), mode[j], j)
            result[j] = pupper[~at_end] + hypergeom.cdf(guess, total[j], n1[j], n[j])
    p[live] = np.minimum(result, 1.0)
    return p


def _binary_search_many(fn, target: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """scipy's ``_binary_search_for_binom_tst`` run on many searches in lockstep.

    ``fn(x, rows)`` evaluates the searched function of each row at ``x``; the result is, per
    search, the index i in [lo, hi] with fn(i) <= target < fn(i + 1), with scipy's exact steps
    (including its early return when a midpoint equals the target, or is NaN).
    """
    lo, hi = lo.astype(np.int64).copy(), hi.astype(np.int64).copy()
    found = np.full(len(lo), -1, dtype=np.int64)
    done = np.zeros(len(lo), dtype=bool)
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = lo[active] + (hi[active] - lo[active]) // 2
        value = fn(mid, rows[active])
        below = value < target[active]
        above = value > target[active]
        lo[active[below]] = mid[below] + 1
        hi[active[above]] = mid[above] - 1
        hit = ~below & ~above
        found[active[hit]] = mid[hit]
        done[active[hit]] = True
        active = active[~hit]
        active = active[lo[active] < hi[active]]
    rest = np.flatnonzero(~done)
    if len(rest):
        ends = lo[rest]
        found[rest] = np.where(fn(ends, rows[rest]) <= target[rest], ends, ends - 1)
    return found


def _chi2_p_values(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``chi2_contingency([[a, b], [c, d]], correction=False/True).pvalue`` for arrays of tables.

    NaN where a column sums to zero (the statistic is 0/0; check_p_claim does not call scipy then).
    """
    observed = np.stack([a, b, c, d], axis=1).astype(np.float64)  # row-major, as scipy ravels it
    rows = np.stack([a + b, a + b, c + d, c + d], axis=1).astype(np.float64)
    columns = np.stack([a + c, b + d, a + c, b + d], axis=1).astype(np.float64)
    total = (a + b + c + d).astype(np.float64)
    undefined = (a + c == 0) | (b + d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = rows * columns / total[:, None]
        plain = _pearson_p(observed, expected)
        diff = expected - observed
        corrected = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
        yates = _pearson_p(corrected, expected)
    plain[undefined] = np.nan
    yates[undefined] = np.nan
    return plain, yates


def _pearson_p(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    terms = (observed - expected) ** 2 / expected
    statistic = ((terms[:, 0] + terms[:, 1]) + terms[:, 2]) + terms[:, 3]  # numpy's order for 4 terms
    return special.chdtrc(1.0, statistic)


def _p_claim_result(claim: str, relation: str, threshold: float | None, counts: tuple,
                    p_values: tuple[float, float, float]) -> PClaimCheck:
    """The verdict and explanation of a claim, given its table's counts and p-values."""
    events_a, total_a, events_b, total_b = counts
    fisher_p, chi2_p, chi2_yates_p = p_values
    fisher_holds = claim_holds(fisher_p, relation, threshold, claim)
    chi2_plain_holds = claim_holds(chi2_p, relation, threshold, claim)
    chi2_yates_holds = claim_holds(chi2_yates_p, relation, threshold, claim)
    chi2_holds = chi2_plain_holds or chi2_yates_holds

    if fisher_holds and chi2_holds:
        verdict, outcome = "consistent", "holds"
    elif fisher_holds:
        verdict, outcome = "test_dependent", "holds for Fisher's exact test only"
    elif chi2_holds:
        verdict, outcome = "test_dependent", "holds for the chi-square test only"
    else:
        verdict, outcome = "inconsistent", "does not hold for either test"
    if chi2_holds and chi2_plain_holds != chi2_yates_holds:
        which = "without" if chi2_plain_holds else "with"
        outcome += f" (chi-square {which} Yates' correction)"

    explanation = (
        f"Fisher p = {_format_p(fisher_p)}, chi-square p = {_format_p(chi2_p)} "
        f"(Yates-corrected {_format_p(chi2_yates_p)}) for {events_a}/{total_a} vs "
        f"{events_b}/{total_b}: the printed {claim.strip()} {outcome}."
    )
    if relation == "n.s.":
        explanation += " n.s. is read as p >= 0.05."
    return PClaimCheck(
        claim=claim,
        relation=relation,
        threshold=threshold,
        fisher_p=fisher_p,
        chi2_p=chi2_p,
        chi2_yates_p=chi2_yates_p,
        fisher_holds=bool(fisher_holds),
        chi2_holds=bool(chi2_holds),
        verdict=verdict,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------
# Exact recomputation of summary statistics from raw values
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryCheck:
    """
    Result of comparing a printed summary statistic with the raw values.

    Attributes
    ----------
    statistic : str
        ``"mean"``, ``"sd"``, ``"median"``, ``"min"`` or ``"max"``.
    reported : str
        The value as printed.
    recomputed : str
        The exact recomputed value rounded half-up at the printed decimals
        (for ``"sd"``, the SD with the requested ``ddof``; sample SD by
        default).
    verdict : str
        ``"consistent"``, ``"rounding_variant"`` or ``"inconsistent"``, from
        :func:`rtxreview.rounding.verdict_for`.
    rounding : str
        The rounding rule(s) under which the printed value matches.
    explanation : str
        Plain-English account of the arithmetic.
    """

    statistic: str
    reported: str
    recomputed: str
    verdict: str
    rounding: str
    explanation: str


_STATISTICS = ("mean", "sd", "median", "min", "max")


def _exact(value) -> Fraction:
    """Convert a raw value to an exact Fraction.

    Floats go through their shortest repr, so ``0.1`` becomes 1/10 (the
    decimal that was typed), not the binary approximation.
    """
    if isinstance(value, bool):
        raise ValueError("raw values must be numbers, not booleans")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError("raw values must be finite")
        return Fraction(repr(float(value)))
    if isinstance(value, np.integer):
        return Fraction(int(value))
    if isinstance(value, str):
        return Fraction(rounding.parse_reported(value))
    return Fraction(value)


def _decimal_text(value: Fraction, digits: int = 4) -> str:
    """Show a Fraction exactly if it is a short decimal, else to `digits` places with '...'."""
    scaled = value * 10**digits
    if scaled.denominator == 1:
        text = f"{Decimal(value.numerator) / Decimal(value.denominator):f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return f"{rounding.round_exact(value, digits, 'half_up')}..."


def _sqrt_fraction(value: Fraction) -> Fraction:
    """Square root of a non-negative Fraction to 40 significant digits.

    Written by hand: neither Fraction nor numpy has an exact square root.
    Decimal's sqrt is correctly rounded (and exact when the root is a short
    decimal), so at 40 digits it cannot change a comparison at the few
    decimals a paper prints.
    """
    with localcontext() as context:
        context.prec = 40
        root = (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()
    return Fraction(root)


def _matching_description(verdict: str, rules: str, reported: str, half_up: str) -> str:
    """Describe how the printed value relates to the recomputed one."""
    if verdict == "consistent":
        return f"printed {reported} (half-up)"
    if verdict == "rounding_variant":
        return f"printed {reported} (only under {rules.replace('|', ' or ')}; half-up gives {half_up})"
    return f"printed {reported}: no rounding rule gives this (half-up gives {half_up})"


def audit_summary_statistic(values, statistic: str, reported: str, ddof: int = 1) -> SummaryCheck:
    """
    Recompute a summary statistic exactly and compare it with the printed value.

    Parameters
    ----------
    values : sequence of numbers or decimal strings
        The raw values as listed in the paper (ints, decimal strings,
        Decimals, Fractions or floats; floats are read as the decimal they
        display).
    statistic : {"mean", "sd", "median", "min", "max"}
        The statistic that was printed.
    reported : str
        The printed value, e.g. ``"31.3"``.
    ddof : {1, 0}, optional
        For ``"sd"``: 1 for the sample SD (n - 1 denominator, the default),
        0 for the population SD. The verdict refers to this one; the
        explanation also reports the other and says which the figure matches.

    Returns
    -------
    SummaryCheck

    Notes
    -----
    Written by hand, because floating point cannot decide ties: the mean
    and median are exact Fractions (250/8 = 31.25 rounds half-up to 31.3,
    whereas ``round(31.25, 1)`` gives 31.2). The SD is the square root of
    the exact Fraction variance, taken with 40-digit Decimal arithmetic.
    Comparison at the printed precision uses
    :func:`rtxreview.rounding.verdict_for`.
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be one of {_STATISTICS}, not {statistic!r}")
    if ddof not in (0, 1):
        raise ValueError("ddof must be 0 or 1")
    exact_values = [_exact(value) for value in values]
    n = len(exact_values)
    if n == 0:
        raise ValueError("no values to summarise")
    decimals = rounding.printed_decimals(reported)

    def half_up(value: Fraction) -> str:
        return str(rounding.round_exact(value, decimals, "half_up"))

    total = sum(exact_values, Fraction(0))
    mean = total / n

    if statistic == "sd":
        if n - ddof < 1:
            raise ValueError(f"the SD with ddof={ddof} needs at least {ddof + 1} values")
        sum_squares = sum(((value - mean) ** 2 for value in exact_values), Fraction(0))
        sds = {}
        for d in (1, 0):
            if n - d >= 1:
                sds[d] = _sqrt_fraction(sum_squares / (n - d))
        value = sds[ddof]
        verdict, rules = rounding.verdict_for(value, reported)
        matches = {d: rounding.verdict_for(sd, reported)[0] != "inconsistent" for d, sd in sds.items()}
        parts = [
            f"sample SD (n - 1) of {n} values = sqrt({_decimal_text(sum_squares)}/{n - 1}) "
            f"= {_decimal_text(sds[1])}" if 1 in sds else f"sample SD undefined for {n} value",
            f"population SD (n) = sqrt({_decimal_text(sum_squares)}/{n}) = {_decimal_text(sds[0])}",
        ]
        label = {1: "sample", 0: "population"}
        matched = [label[d] for d in (1, 0) if matches.get(d)]
        if len(matched) == 2:
            which = "the printed figure matches both the sample and the population SD"
        elif matched:
            which = f"the printed figure matches the {matched[0]} SD"
        else:
            which = "the printed figure matches neither SD"
        explanation = (
            "; ".join(parts)
            + f"; {label[ddof]} SD: "
            + _matching_description(verdict, rules, reported, half_up(value))
            + f"; {which}"
        )
    else:
        if statistic == "mean":
            value = mean
            how = f"mean of {n} values = {_decimal_text(total)}/{n} = {_decimal_text(mean)}"
        elif statistic == "median":
            ordered = sorted(exact_values)
            middle = n // 2
            if n % 2:
                value = ordered[middle]
                how = f"median of {n} values = value #{middle + 1} when sorted = {_decimal_text(value)}"
            else:
                value = (ordered[middle - 1] + ordered[middle]) / 2
                how = (
                    f"median of {n} values = ({_decimal_text(ordered[middle - 1])} + "
                    f"{_decimal_text(ordered[middle])})/2 = {_decimal_text(value)}"
                )
        elif statistic == "min":
            value = min(exact_values)
            how = f"minimum of {n} values = {_decimal_text(value)}"
        else:
            value = max(exact_values)
            how = f"maximum of {n} values = {_decimal_text(value)}"
        verdict, rules = rounding.verdict_for(value, reported)
        explanation = f"{how}, {_matching_description(verdict, rules, reported, half_up(value))}"

    return SummaryCheck(
        statistic=statistic,
        reported=reported,
        recomputed=half_up(value),
        verdict=verdict,
        rounding=rules,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------
# GRIM
# ---------------------------------------------------------------------------


def grim_mean(reported: str, n: int, items: int = 1) -> tuple[bool, tuple[Fraction, ...]]:
    """
    GRIM test: can a mean of whole-number data print as `reported`?

    Parameters
    ----------
    reported : str
        The printed mean, e.g. ``"5.19"``.
    n : int
        Number of patients.
    items : int, optional
        Number of whole-number items averaged per patient (default 1).

    Returns
    -------
    possible : bool
        True if some whole total T makes ``T / (n * items)`` round half-up
        to `reported` at its printed decimals.
    candidates : tuple of Fraction
        If possible, the means ``T / (n * items)`` nearest to the printed
        value that do print as it (one or two). If impossible, the nearest
        attainable means just below and just above the printed value.

    Notes
    -----
    Written by hand (Brown & Heathers 2017), with interval arithmetic rather
    than a search over totals: the means that print as `reported` form an
    interval around it, so one exists exactly when ``floor(N * r) / N`` or
    ``ceil(N * r) / N`` (N = n * items, r the printed value) prints as
    `reported`. The test is informative only when N < 10**decimals.

    Examples
    --------
    >>> grim_mean("5.19", 28)
    (False, (Fraction(145, 28), Fraction(73, 14)))
    """
    if n < 1 or items < 1 or int(n) != n or int(items) != items:
        raise ValueError("n and items must be positive whole numbers")
    count = int(n) * int(items)
    printed = rounding.parse_reported(reported)
    decimals = rounding.printed_decimals(reported)
    scaled = Fraction(printed) * count
    nearest_totals = sorted({math.floor(scaled), math.ceil(scaled)})
    nearest_means = [Fraction(total, count) for total in nearest_totals]
    matching = tuple(
        mean for mean in nearest_means if rounding.round_exact(mean, decimals, "half_up") == printed
    )
    if matching:
        return True, matching
    return False, tuple(nearest_means)


# ---------------------------------------------------------------------------
# Quartiles under different software conventions
# ---------------------------------------------------------------------------


QUARTILE_METHODS = (
    "R type 7 / numpy linear (Excel QUARTILE.INC)",
    "R type 6 / SPSS (weibull)",
    "R type 5 (hazen)",
    "Tukey hinges",
)
_NUMPY_QUANTILE_METHOD = {
    QUARTILE_METHODS[0]: "linear",
    QUARTILE_METHODS[1]: "weibull",
    QUARTILE_METHODS[2]: "hazen",
}


def _median_of_sorted(ordered: np.ndarray) -> float:
    """Median of an already sorted one-dimensional array."""
    middle = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def quartiles_by_method(values) -> dict[str, tuple[float, float]]:
    """
    First and third quartiles under the conventions clinicians meet.

    Parameters
    ----------
    values : array_like of float
        The raw values (at least two).

    Returns
    -------
    dict
        Maps a method name (see ``QUARTILE_METHODS``) to ``(Q1, Q3)``:

        * ``"R type 7 / numpy linear (Excel QUARTILE.INC)"`` -- position
          ``1 + (n - 1) p``; R's and numpy's default.
        * ``"R type 6 / SPSS (weibull)"`` -- position ``(n + 1) p``; SPSS,
          Minitab, Excel QUARTILE.EXC.
        * ``"R type 5 (hazen)"`` -- position ``n p + 1/2``.
        * ``"Tukey hinges"`` -- medians of the lower and upper halves, the
          middle value included in both halves when n is odd (as R's
          ``fivenum`` and ``boxplot.stats``).

    Notes
    -----
    The first three use ``numpy.quantile(method=...)``. Tukey's hinges are
    written by hand: numpy has no such method.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size < 2:
        raise ValueError("quartiles need a one-dimensional set of at least two values")
    if not np.all(np.isfinite(data)):
        raise ValueError("values must be finite")
    result = {}
    for name, numpy_method in _NUMPY_QUANTILE_METHOD.items():
        q1, q3 = np.quantile(data, [0.25, 0.75], method=numpy_method)
        result[name] = (float(q1), float(q3))
    ordered = np.sort(data)
    half = (ordered.size + 1) // 2  # odd n: the median belongs to both halves
    result["Tukey hinges"] = (
        _median_of_sorted(ordered[:half]),
        _median_of_sorted(ordered[ordered.size - half :]),
    )
    return result
