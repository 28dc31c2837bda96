"""
Summary statistics recomputed from raw values: means, SDs, medians, quartiles and GRIM.

* :func:`audit_summary_statistic` -- recompute a mean, SD, median, minimum or maximum exactly
  from raw values and compare it with the printed value at its printed precision.
* :func:`grim_mean` -- the GRIM test: can a mean of whole-number data print as reported?
* :func:`quartiles_by_method` -- the quartiles that different software prints for the same
  data.

References
----------
Brown, N. J. L., & Heathers, J. A. J. (2017). The GRIM test: a simple technique detects
numerous anomalies in the reporting of results in psychology. Social Psychological and
Personality Science, 8(4), 363-369.

Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. The American
Statistician, 50(4), 361-365.

Tukey, J. W. (1977). Exploratory Data Analysis. Addison-Wesley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from rtxreview import rounding

__all__ = ['SummaryCheck', 'audit_summary_statistic', 'grim_mean', 'quartiles_by_method', 'QUARTILE_METHODS']


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
