"""Exact rounding of a value to the precision a paper printed.

A review that recomputes printed numbers (percentages, means, SDs) has to
decide whether a recomputed value "prints as" the reported text.  Binary
floating point cannot make that decision reliably: ``round(31.25, 1)`` in
Python gives ``31.2`` because ``31.25`` is stored as ``31.249999...`` or
because ``round`` uses ties-to-even, whereas a paper printing ``31.3`` has
used the school rule (half up).  Every function here therefore works on
exact rationals (:class:`fractions.Fraction`) and returns
:class:`decimal.Decimal` values with an explicit number of places.

Rounding rules
--------------
``half_up``
    Ties away from zero (the school rule; what most papers and SAS/Excel do).
``half_even``
    Ties to the even last digit (R's ``round``, IEEE 754 default, numpy).
``truncate``
    Drop the extra digits, i.e. round toward zero.
``ceiling``
    Round toward plus infinity.

``RULES`` is ordered by preference: a value that half-up reproduces is
called consistent; one that only another rule reproduces is a rounding
variant.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "RULES",
    "parse_reported",
    "printed_decimals",
    "round_exact",
    "matching_rules",
    "verdict_for",
]

RULES: tuple[str, ...] = ("half_up", "half_even", "truncate", "ceiling")

# Only plain decimal text: an optional minus, digits, optionally a point and
# digits.  Exponents ("1e3"), decimal commas ("12,5"), bare points (".5",
# "5.") and signs like "+" are rejected so that the number of printed
# decimals is never ambiguous.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def parse_reported(reported: str) -> Decimal:
    """Parse a printed number exactly, keeping its trailing zeros.

    Parameters
    ----------
    reported : str
        The number as printed, e.g. ``"72.9"`` or ``"25.0"``.  Surrounding
        whitespace is ignored.

    Returns
    -------
    decimal.Decimal
        The exact value with the printed exponent (``"25.0"`` gives
        ``Decimal("25.0")``, not ``Decimal("25")``).

    Raises
    ------
    ValueError
        If the text is not a plain decimal with a ``.`` point (for example
        ``"12,5"``, ``""``, ``"abc"`` or ``"1e3"``).
    """
    if not isinstance(reported, str):
        # A float has already lost its trailing zeros, so it cannot say how
        # many decimals were printed.
        raise TypeError(f"reported value must be text, got {type(reported).__name__}")
    text = reported.strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(
            f"cannot read {reported!r} as a printed number: expected plain "
            "digits with an optional '-' and '.' decimal point (e.g. '72.9')"
        )
    return Decimal(text)


def printed_decimals(reported: str) -> int:
    """Number of decimal places printed.

    Parameters
    ----------
    reported : str
        The number as printed.

    Returns
    -------
    int
        ``"72.9"`` -> 1, ``"68"`` -> 0, ``"0.48"`` -> 2, ``"25.0"`` -> 1.
    """
    exponent = parse_reported(reported).as_tuple().exponent
    # The regex guarantees a finite number written without an exponent, so
    # the exponent is 0 or minus the count of digits after the point.
    return -int(exponent)


def _as_fraction(value: Fraction | int | Decimal) -> Fraction:
    """Convert to an exact Fraction, refusing binary floats."""
    if isinstance(value, bool) or isinstance(value, float):
        # A float such as 31.25 may be exact, but 0.1 is not; accepting
        # floats would reintroduce exactly the error this module avoids.
        raise TypeError(
            f"value must be Fraction, int or Decimal (exact), got {type(value).__name__}"
        )
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"value must be finite, got {value}")
        return Fraction(value)  # exact: a Decimal is a terminating fraction
    raise TypeError(f"value must be Fraction, int or Decimal, got {type(value).__name__}")


def _round_scaled(x: Fraction, rule: str) -> int:
    """Round an exact rational to an integer under one of ``RULES``."""
    floor, rem = divmod(x.numerator, x.denominator)  # floor division: rem >= 0
    if rem == 0:
        return floor  # already whole: every rule agrees
    if rule == "ceiling":
        return floor + 1
    if rule == "truncate":
        # Toward zero: floor for positives, ceiling for negatives.
        return floor if x >= 0 else floor + 1
    # Compare the fractional part with one half without leaving integers.
    twice = 2 * rem
    if twice < x.denominator:
        return floor
    if twice > x.denominator:
        return floor + 1
    if rule == "half_up":
        # "Up" means away from zero, as printed tables do for negatives too.
        return floor + 1 if x > 0 else floor
    if rule == "half_even":
        return floor if floor % 2 == 0 else floor + 1
    raise ValueError(f"unknown rounding rule {rule!r}; expected one of {RULES}")


def _scaled_to_decimal(scaled: int, decimals: int) -> Decimal:
    """Build ``scaled / 10**decimals`` as a Decimal with exactly ``decimals`` places.

    The tuple constructor is exact, unlike arithmetic under a 28-digit context.
    """
    digits = tuple(int(c) for c in str(abs(scaled)))
    return Decimal((1 if scaled < 0 else 0, digits, -decimals))


def round_exact(value: Fraction | int | Decimal, decimals: int, rule: str) -> Decimal:
    """Round a value exactly to a number of decimal places.

    Parameters
    ----------
    value : Fraction, int or Decimal
        The exact value, e.g. ``Fraction(100 * 23, 140)`` for 23/140 in percent.
    decimals : int
        Number of places to keep (>= 0).
    rule : {"half_up", "half_even", "truncate", "ceiling"}
        Rounding rule; ``half_up`` sends ties away from zero, ``truncate``
        rounds toward zero and ``ceiling`` toward plus infinity.

    Returns
    -------
    decimal.Decimal
        The rounded value with exactly ``decimals`` places.

    Examples
    --------
    >>> round_exact(Fraction(3125, 100), 1, "half_up")
    Decimal('31.3')
    >>> round_exact(Fraction(3125, 100), 1, "half_even")
    Decimal('31.2')
    """
    if rule not in RULES:
        raise ValueError(f"unknown rounding rule {rule!r}; expected one of {RULES}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative int, got {decimals!r}")
    scaled = _round_scaled(_as_fraction(value) * 10**decimals, rule)
    return _scaled_to_decimal(scaled, decimals)


def matching_rules(value: Fraction | int | Decimal, reported: str) -> tuple[str, ...]:
    """Rules under which ``value`` prints exactly as ``reported``.

    Parameters
    ----------
    value : Fraction, int or Decimal
        The exact recomputed value.
    reported : str
        The printed number; its number of decimals sets the precision.

    Returns
    -------
    tuple of str
        The matching members of ``RULES``, in ``RULES`` order (possibly empty).
    """
    target = parse_reported(reported)
    decimals = printed_decimals(reported)
    exact = _as_fraction(value)
    # Decimal equality is numeric, so "-0.0" and "0.0" compare equal.
    return tuple(r for r in RULES if round_exact(exact, decimals, r) == target)


def verdict_for(value: Fraction | int | Decimal, reported: str) -> tuple[str, str]:
    """Classify a printed number against its exact recomputed value.

    Parameters
    ----------
    value : Fraction, int or Decimal
        The exact recomputed value.
    reported : str
        The printed number.

    Returns
    -------
    tuple of (str, str)
        ``("consistent", "half_up")`` if half-up rounding reproduces the
        printed text; ``("rounding_variant", rules)`` if only other rules do,
        with ``rules`` joined by ``"|"`` (e.g. ``"truncate"``); otherwise
        ``("inconsistent", "")``.
    """
    rules = matching_rules(value, reported)
    if "half_up" in rules:
        return "consistent", "half_up"
    if rules:
        return "rounding_variant", "|".join(rules)
    return "inconsistent", ""
