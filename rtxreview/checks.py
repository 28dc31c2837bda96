"""Internal arithmetic: evaluate the declarative checks of ``data/checks.csv``.

A check names parts that must add up to a total (``equals``) or must not exceed it (``at_most``).
Each side is a list of terms; a term is an evidence_id, standing for that row's count (its
numerator, or its printed whole number), or ``evidence_id:denominator``.
"""

from __future__ import annotations

import pandas as pd

CHECK_COLUMNS = ["check_id", "study_id", "source_document", "kind", "description", "expected", "observed", "status"]


def split_term(term: str) -> tuple[str, str]:
    """``"x-001:denominator"`` -> ("x-001", "denominator"); a bare id means its count."""
    evidence_id, _, field = term.partition(":")
    return evidence_id, field or "numerator"


def term_value(evidence: pd.DataFrame, term: str) -> int | None:
    """The number a term stands for, or None when the row has no such number."""
    evidence_id, field = split_term(term)
    row = evidence.loc[evidence_id]
    value = row[field]
    if pd.isna(value) and field == "numerator" and str(row["reported"]).isdigit():
        return int(row["reported"])
    return None if pd.isna(value) else int(value)


def side_total(evidence: pd.DataFrame, terms: str) -> int:
    return sum(term_value(evidence, term) for term in terms.split())


def run_checks(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per check: expected (the total side), observed (the parts), status pass/fail."""
    evidence = tables["evidence"].set_index("evidence_id")
    checks = tables["checks"].merge(tables["studies"][["study_id", "source_document"]], on="study_id", how="left")
    observed = checks["parts"].map(lambda terms: side_total(evidence, terms))
    expected = checks["total"].map(lambda terms: side_total(evidence, terms))
    holds = (observed == expected).where(checks["kind"] == "equals", observed <= expected)
    return checks.assign(expected=expected, observed=observed,
                         status=holds.map({True: "pass", False: "fail"}))[CHECK_COLUMNS]
