"""
Confidence intervals for single proportions.

* :func:`clopper_pearson` -- exact binomial confidence intervals, the review's default: its
  studies are small (4 to 147 patients), where the Wald interval fails.
* :func:`confidence_interval` -- Clopper-Pearson, or any other method of statsmodels'
  ``proportion_confint`` by name (a chapter's ``ci_method`` option).

Both delegate to ``statsmodels.stats.proportion.proportion_confint``; only the input checks
are written here.

References
----------
Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
in the case of the binomial. Biometrika, 26(4), 404-413.

Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
proportion. Statistical Science, 16(2), 101-133.
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

__all__ = ["clopper_pearson", "confidence_interval"]


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


def confidence_interval(events, totals, method: str = "beta", alpha: float = 0.05):
    """
    Confidence interval for proportions by a named statsmodels method.

    Parameters
    ----------
    events, totals : int or array_like of int
        Events and group sizes (broadcast together).
    method : str, optional
        ``"beta"`` (Clopper-Pearson, the default, through :func:`clopper_pearson`) or any
        other ``method`` of ``statsmodels.stats.proportion.proportion_confint``, such as
        ``"wilson"``.
    alpha : float, optional
        Significance level (0.05 gives a 95% interval).

    Returns
    -------
    ci_low, ci_high : ndarray or float
        Lower and upper limits.
    """
    if method == "beta":
        return clopper_pearson(events, totals, alpha=alpha)
    return proportion_confint(events, totals, alpha=alpha, method=method)


def difference_interval(events_b: int, total_b: int, events_a: int, total_a: int,
                        alpha: float = 0.05) -> tuple[float, float, float]:
    """Difference of two independent proportions, b minus a, with its Newcombe hybrid-score interval.

    Parameters
    ----------
    events_b, total_b, events_a, total_a : int
        Events and patients of the two groups.
    alpha : float, optional
        1 - confidence level.

    Returns
    -------
    tuple of float
        (difference, lower, upper), as proportions.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent proportions: comparison
    of eleven methods. Stat Med 1998;17:873-90 (method 10), as statsmodels
    ``confint_proportions_2indep(method="newcomb")``.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep
    low, high = confint_proportions_2indep(events_b, total_b, events_a, total_a, method="newcomb",
                                           compare="diff", alpha=alpha)
    return events_b / total_b - events_a / total_a, float(low), float(high)
