"""
Random-effects meta-analysis of single proportions on the logit scale.

* :func:`logit_effects` -- logit proportions and their variances, with metafor's
  continuity correction for studies with no events or only events.
* :func:`pool_proportions` -- the pooled proportion with its Hartung-Knapp interval,
  heterogeneity statistics (Cochran's Q and its p-value, I², tau²) and a prediction
  interval from three studies up.

The between-study variance and the inverse-variance summary come from statsmodels'
``combine_effects``; what it lacks (truncating a negative DerSimonian-Laird tau², checking
the Paule-Mandel root, the prediction interval) is written here and marked so. Reference
results from R's metafor are stored in ``tests/results/``.

References
----------
Hartung, J., & Knapp, G. (2001). A refined method for the meta-analysis of controlled
clinical trials with binary outcome. Statistics in Medicine, 20(24), 3875-3889.

DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials, 7(3), 177-188.

Paule, R. C., & Mandel, J. (1982). Consensus values and weighting factors. Journal of
Research of the National Bureau of Standards, 87(5), 377-385.

Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine, 21(11), 1539-1558.

Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation of
random-effects meta-analysis. Journal of the Royal Statistical Society A, 172(1), 137-159.

Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software, 36(3), 1-48.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects

from rtxreview.intervals import _as_counts

__all__ = ["PooledProportion", "logit_effects", "pool_proportions"]


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
    estimate : float
        Pooled proportion (0..1).
    ci_low, ci_high : float
        Hartung-Knapp(-Sidik-Jonkman) confidence interval: t with k - 1 df
        and the HK variance (proportions). The interval the review reports.
    z_ci_low, z_ci_high : float
        The normal-based (Wald) interval of the same model, for comparison:
        it ignores the uncertainty in tau-squared and is too narrow with few
        studies.
    ci_method : str
        How ``ci_low, ci_high`` were computed, in words.
    pi_low, pi_high : float or None
        Prediction interval for the proportion in a new study (Higgins,
        Thompson & Spiegelhalter 2009, t with k - 2 df); None when k < 3.
    pi_reason : str
        Why there is no prediction interval; empty when there is one.
    tau2 : float
        Between-study variance on the logit scale (never negative).
    i2 : float
        I-squared in percent, ``max(0, (Q - df) / Q) * 100``: the share of
        the variability between estimates that is due to heterogeneity
        rather than chance. A description, not a test.
    q, q_df, q_pvalue : float
        Cochran's Q, its degrees of freedom (k - 1) and its chi-square
        p-value: the test of homogeneity.
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
    z_ci_low: float
    z_ci_high: float
    ci_method: str
    pi_low: float | None
    pi_high: float | None
    pi_reason: str
    tau2: float
    i2: float
    q: float
    q_df: int
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
) -> tuple[float, float, float, np.ndarray]:
    """Inverse-variance pooled mean, its SE, its Hartung-Knapp variance and relative weights.

    The same formulas as statsmodels' combine_effects (``mean_effect_re``,
    ``sd_eff_w_re``, ``var_hksj_re``, ``weights_rel_re``), for a tau2 that
    statsmodels did not produce itself.
    """
    weights = 1.0 / (variance + tau2)
    relative = weights / np.sum(weights)
    mean = float(np.sum(relative * logit))
    se = float(math.sqrt(1.0 / np.sum(weights)))
    var_hk = float(np.sum(relative * (logit - mean) ** 2) / (logit.size - 1))
    return mean, se, var_hk, relative


NO_PREDICTION_INTERVAL = (
    "no prediction interval with fewer than 3 studies: it uses t with k - 2 degrees of freedom, "
    "which do not exist for k = 2, and tau\u00b2 estimated from two studies says almost nothing "
    "about how true effects vary"
)
HARTUNG_KNAPP = "Hartung-Knapp-Sidik-Jonkman (t with k - 1 df)"


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
    (DerSimonian-Laird). The reported confidence interval is the
    Hartung-Knapp(-Sidik-Jonkman) one: ``mu +/- t_{k-1, 1-alpha/2} *
    sqrt(v_HK)`` with ``v_HK = sum w_i (y_i - mu)^2 / ((k - 1) sum w_i)``,
    the estimated-scale variance statsmodels computes as ``var_hksj_re`` and
    uses with ``combine_effects(..., use_t=True)`` (Hartung & Knapp 2001;
    Sidik & Jonkman 2002). With two studies the t quantile has one degree of
    freedom (12.7), so the interval is very wide: it carries the uncertainty
    in tau-squared that the normal (Wald) interval, kept as ``z_ci_low`` and
    ``z_ci_high``, ignores (IntHout, Ioannidis & Borm 2014). It is not
    truncated: like metafor's ``test="knha"`` (not ``"adhoc"``), it can be
    narrower than the Wald interval when the estimates agree closely, and
    `note` then says so. Both intervals are back-transformed with the
    inverse logit. Checked against metafor in ``tests/results/``.

    Cochran's Q (with its chi-square p-value on k - 1 df) tests whether the
    studies share one true proportion; with few studies the test has little
    power, so a large p-value is no evidence of homogeneity. I-squared
    describes what share of the variability is due to heterogeneity rather
    than chance; it is not a test (Higgins & Thompson 2002).

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
    (Higgins, Thompson & Spiegelhalter 2009), back-transformed; metafor's
    ``predict(fit, pi.type="riley")``. Below three studies there is none
    (`pi_reason` says why): k - 2 degrees of freedom do not exist for k = 2,
    and a tau-squared from two studies cannot describe how true effects
    vary.

    References
    ----------
    Hartung, J., & Knapp, G. (2001). A refined method for the meta-analysis
    of controlled clinical trials with binary outcome. Statistics in
    Medicine, 20(24), 3875-3889.

    Sidik, K., & Jonkman, J. N. (2002). A simple confidence interval for
    meta-analysis. Statistics in Medicine, 21(21), 3153-3159.

    IntHout, J., Ioannidis, J. P. A., & Borm, G. F. (2014). The
    Hartung-Knapp-Sidik-Jonkman method for random effects meta-analysis is
    straightforward and considerably outperforms the standard
    DerSimonian-Laird method. BMC Medical Research Methodology, 14, 25.

    Riley, R. D., Higgins, J. P. T., & Deeks, J. J. (2011). Interpretation
    of random effects meta-analyses. BMJ, 342, d549.
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
        var_hk = float(result.var_hksj_re)  # the scale combine_effects' use_t=True intervals use
        weights = np.asarray(result.weights_rel_re, dtype=float)
    else:
        # tau2 was truncated at 0 (DL) or re-solved (PM): recompute the
        # random-effects summary with the corrected tau2.
        mean_logit, se_logit, var_hk, weights = _random_effects_summary(logit, variance, tau2)

    q = float(result.q)
    q_pvalue = float(sps.chi2.sf(q, df))
    i2 = 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0

    z = sps.norm.isf(alpha / 2)
    z_ci_low = float(special.expit(mean_logit - z * se_logit))
    z_ci_high = float(special.expit(mean_logit + z * se_logit))
    hk_half_width = sps.t.isf(alpha / 2, df) * math.sqrt(var_hk)
    ci_low = float(special.expit(mean_logit - hk_half_width))
    ci_high = float(special.expit(mean_logit + hk_half_width))
    if var_hk < se_logit**2:
        notes.append(
            "the Hartung-Knapp variance is below the usual one (the estimates agree more "
            "closely than their weights expect), so its interval may be the narrower"
        )

    if k >= 3:
        t_crit = sps.t.isf(alpha / 2, k - 2)
        half_width = t_crit * math.sqrt(tau2 + se_logit**2)
        pi_low = float(special.expit(mean_logit - half_width))
        pi_high = float(special.expit(mean_logit + half_width))
        pi_reason = ""
    else:
        pi_low = pi_high = None
        pi_reason = NO_PREDICTION_INTERVAL
        notes.append(f"{NO_PREDICTION_INTERVAL} (k = {k})")

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
        z_ci_low=z_ci_low,
        z_ci_high=z_ci_high,
        ci_method=HARTUNG_KNAPP,
        pi_low=pi_low,
        pi_high=pi_high,
        pi_reason=pi_reason,
        tau2=tau2,
        i2=i2,
        q=q,
        q_df=df,
        q_pvalue=q_pvalue,
        weights=weights,
        note="; ".join(notes),
    )
