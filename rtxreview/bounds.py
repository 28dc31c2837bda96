"""Bounds: numbers a source prints with a relation ("at least 13 patients", "< 1%", "up to 6 months").

``evidence.csv`` records a bound one way: ``reported`` holds the number as printed, ``qualifier``
its relation (``at least``, ``up to``, ``less than``, ``more than``; empty for a point value). A
bound is not a point estimate, so the audit recomputes no rate from it, and tables and charts show
it with its sign through :func:`bounded_value`.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from rtxreview.rounding import round_exact

# The relation of each qualifier, as a sign for numbers ("≥ 13") and in words otherwise ("at least one").
SIGNS = {"at least": "≥", "up to": "≤", "less than": "<", "more than": ">"}
QUALIFIERS = tuple(SIGNS)
# Statistics a bound can qualify: a count, a percentage, or a single value (a dose, a threshold).
BOUNDED_STATISTICS = ("count", "percent", "value")


def is_bound(qualifier) -> bool:
    """Whether a row's ``qualifier`` makes its number a bound (empty or missing: a point)."""
    return isinstance(qualifier, str) and qualifier != ""


def bounds_of(evidence: pd.DataFrame) -> pd.Series:
    """True on rows whose number is a bound (a table without the column has none)."""
    if "qualifier" not in evidence.columns:
        return pd.Series(False, index=evidence.index)
    return evidence["qualifier"].fillna("").astype(str).ne("")


def bounded_value(reported, qualifier=None, unit=None) -> str:
    """A printed number with its relation and unit: ``"≥ 13 patients"``, ``"< 1%"``, ``"at least one course"``.

    A point (no qualifier) prints as before, ``"72.9%"`` or ``"375 mg/m2"``. The sign is used where
    the value begins with a digit, the words where it is a word ("at least doubling").
    """
    text = str(reported)
    if is_bound(qualifier):
        if qualifier not in SIGNS:
            raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {QUALIFIERS}")
        relation = SIGNS[qualifier] if text[:1].isdigit() else qualifier
        text = f"{relation} {text}"
    if not isinstance(unit, str) or unit == "":
        return text
    if unit == "%":
        return f"{text}%"
    from rtxreview.text import is_one, value_with_unit
    return value_with_unit(text, unit, singular=is_one(reported))


def bound_text(row) -> str:
    """:func:`bounded_value` of an evidence row (a Series or a mapping with reported, qualifier, unit)."""
    return bounded_value(row["reported"], row.get("qualifier"), row.get("unit"))


def explain_bound(row) -> str:
    """The audit's explanation for a bounded row: what it bounds, and for a count of a known group
    the bound on the proportion (computed here, half up to one decimal)."""
    text = f"Printed as a bound ({bound_text(row)}), not a point value: no rate is recomputed from it."
    denominator, count = row.get("denominator"), row.get("numerator")
    if row.get("statistic") == "count" and not pd.isna(denominator) and not pd.isna(count):
        share = round_exact(Fraction(100 * int(count), int(denominator)), 1, "half_up")
        text += (f" Of {int(denominator)}, that is {SIGNS[row['qualifier']]} {share}% (computed here), "
                 "a bound on the proportion.")
    return text
