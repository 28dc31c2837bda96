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


# --- one rule for numbers: chart, table and sentence print a figure alike -------------------------

import json  # noqa: E402

import pandas as pd  # noqa: E402

from rtxreview import charts, text  # noqa: E402
from rtxreview.report import pooled_sentence  # noqa: E402

# Decimal ties: half up (the sources' and the audit's rule) against Python's float formatting of the
# same value, which rounds a binary value stored just below the tie down, and an exact tie to even.
TIES = [(0.3125, "31.3%", "31.2%"), (0.0625, "6.3%", "6.2%"), (0.8835, "88.4%", "88.3%"),
        (0.2435, "24.4%", "24.3%"), (0.4565, "45.7%", "45.6%")]


@pytest.mark.parametrize("value, half_up, float_format", TIES)
def test_ties_round_half_up_where_float_formatting_does_not(value, half_up, float_format):
    assert f"{value * 100:.1f}%" == float_format  # the trap this module exists to avoid
    assert text.pct(value) == half_up


def chart_texts(chart) -> set[str]:
    """Every string value in a chart's inline data (labels, tooltips, notes)."""
    spec = chart.to_dict()
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.add(node)
    walk(spec.get("datasets", {}))
    walk(spec.get("data", {}))
    return found


@pytest.mark.parametrize("estimate, low, high", [(0.4565, 0.2435, 0.8835), (0.3125, 0.0625, 0.7715)])
def test_the_pooled_estimate_prints_the_same_in_the_chart_and_the_sentence(estimate, low, high):
    rows = pd.DataFrame({"label": ["A", "B"], "study": ["a", "b"], "evidence_id": ["a-1", "b-1"],
                         "events": [6, 12], "total": [10, 20], "proportion": [0.6, 0.6],
                         "ci_low": [0.26, 0.36], "ci_high": [0.88, 0.81], "weight": [0.5, 0.5],
                         "quote": ["q", "q"], "location": ["l", "l"], "note": ["", ""]})
    pooled = {"label": "Pooled (random effects)", "estimate": estimate, "ci_low": low, "ci_high": high,
              "pi_low": None, "pi_high": None, "method": "m", "i2": 76.5, "tau2": 0.0125, "k": 2}
    labels = chart_texts(charts.forest_plot(rows, pooled, title="t"))
    sentence = pooled_sentence({"rows": rows.assign(study=["a", "b"]), "pooled": pooled, "outcome": "response",
                                "reason": ""})
    assert text.pct(estimate) in sentence and text.ci_text(low, high) in sentence
    assert any(text.pct(estimate) in label for label in labels)
    assert any(text.interval_text(low, high) in label for label in labels)
    # and never the float formatting's other answer
    float_estimate = f"{estimate * 100:.1f}%"
    if float_estimate != text.pct(estimate):
        assert not any(float_estimate in label for label in labels) and float_estimate not in sentence
    assert "I² = 77%" in sentence and "77" == text.fixed(76.5, 0)


def test_signed_points_use_a_true_minus_and_half_up():
    assert text.signed_points(0.02) == "+2.0"
    assert text.signed_points(-0.18045) == "−18.0" and text.signed_points(-0.18055) == "−18.1"
    assert text.signed_points(0) == "+0.0"


def test_p_values_have_two_significant_digits():
    assert [text.p_text(p) for p in (0.0394, 0.2, 0.00099, None)] == [
        "p = 0.039", "p = 0.20", "p < 0.001", "p not estimable"]


@pytest.mark.parametrize("quoted, shown", [
    ("CR: platelet count ≥ 100 × 109/L and absence of bleeding", "CR: platelet count ≥ 100 × 10⁹/L and absence of bleeding"),
    ("platelet count > 150 x 10(9) cells/L", "platelet count > 150 × 10⁹ cells/L"),
    (r"PLT $>100 \times 10^9/L$", "PLT >100 × 10⁹/L"),
    ("100 mg or 100 mg/m2 weekly", "100 mg or 100 mg/m² weekly"),
    ("x 109 patients were screened", "x 109 patients were screened"),  # a count, not a lost power
    ("a dose of 109 mg/kg", "a dose of 109 mg/kg"),
])
def test_quoted_text_is_shown_readably_and_only_lost_powers_are_restored(quoted, shown):
    assert text.readable_text(quoted) == shown


def test_definitions_and_references_show_readable_units():
    from conftest import DATA_DIR
    from rtxreview import appraisal, certainty, chapters
    from rtxreview.report import load_review
    review = load_review(DATA_DIR)
    definitions = appraisal.definitions_by_disease(review.tables, "ITP")
    assert definitions["definition"].str.contains(r"× 109/L|\\times").any(), "the data keep the verbatim text"
    page = chapters.definitions_table(definitions, "ITP").data
    assert "× 109/L" not in page and "\\times" not in page and "× 10⁹/L" in page
    sof = certainty.summary_of_findings_html(review, "ITP")
    assert "10(9)" not in sof and "× 109/L" not in sof


@pytest.mark.parametrize("outcome, predicate", [("relapse", "had relapse"), ("in remission", "were in remission"),
                                                ("death", "died"), ("complete response", "had complete response")])
def test_an_outcome_reads_as_what_the_patients_did(outcome, predicate):
    assert text.outcome_predicate(outcome) == predicate


def test_a_power_of_ten_typed_with_a_caret_reads_as_a_superscript():
    assert text.readable_text("platelet count < 30 ×10^9/L") == "platelet count < 30 ×10⁹/L"
    assert text.readable_unit("x10^9/L") == "×10⁹/L"
