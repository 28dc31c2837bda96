"""Values and quotes as a reader sees them: grammar of units, bounds and source LaTeX."""

import pytest

from rtxreview.bounds import bounded_value
from rtxreview.text import readable_latex, readable_unit


@pytest.mark.parametrize("reported, qualifier, unit, shown", [
    ("1", "", "days", "1 day"),
    ("one", "", "patients", "one patient"),
    ("2", "", "days", "2 days"),
    ("one", "at least", "courses", "at least one course"),
    ("13", "at least", "patients", "≥ 13 patients"),
    ("2", "", "CTCAE grade", "CTCAE grade 2"),
    ("twice", "", "infusions", "twice"),
    ("10", "less than", "x10^9/L", "< 10 ×10⁹/L"),
    ("72.9", "", "%", "72.9%"),
    ("375", "", "mg/m2", "375 mg/m²"),
    ("1", "", "class", "1 class"),
])
def test_values_read_as_prose(reported, qualifier, unit, shown):
    assert bounded_value(reported, qualifier, unit) == shown


@pytest.mark.parametrize("quote, shown", [
    ("The mean PLT level at baseline was $14.3 \\pm 10.1 \\times 10^9/L$.",
     "The mean PLT level at baseline was 14.3 ± 10.1 × 10⁹/L."),
    ("a PLT level of $30\\text{--}100 \\times 10^9/L$", "a PLT level of 30–100 × 10⁹/L"),
    ("no formula here, 5%", "no formula here, 5%"),
])
def test_latex_quotes_read_as_text(quote, shown):
    assert readable_latex(quote) == shown


def test_units_typed_in_ascii_read_as_printed():
    assert readable_unit("x10^9/L") == "×10⁹/L" and readable_unit("g/L") == "g/L"


def test_only_formulas_change():
    assert readable_latex("costs $500 a dose") == "costs $500 a dose"
    assert readable_latex("$\\left(14.3\\right) \\leq 20$") == "\\left(14.3\\right) ≤ 20"
    assert bounded_value("1", "", "series") == "1 series"
