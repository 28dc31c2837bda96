"""The reproducibility audit: a verdict for every reported number.

Percentages and counts go through the exact percentage engine (:mod:`rtxreview.percent`). Rows
linked in ``data/derivations.csv`` are recomputed from other data: p-value claims from two
percent rows (Fisher and chi-square), summary statistics and paired t-tests from the per-patient
table, response percentages from the per-patient platelet counts. Every other row is
``not_checkable`` with the reason.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
from scipy import stats as scipy_stats

from rtxreview import ipd
from rtxreview.percent import audit_percent_frame
from rtxreview.rounding import printed_decimals, round_exact, verdict_for
from rtxreview.stats import (audit_summary_statistic, check_p_claim, claim_holds, parse_p_claim,
                             quartiles_by_method)

AUDIT_COLUMNS = ["evidence_id", "study_id", "source_document", "statistic", "reported", "numerator",
                 "denominator", "denominator_source", "recomputed", "verdict", "rounding", "compatible",
                 "explanation"]
VERDICTS = ("consistent", "rounding_variant", "test_dependent", "inconsistent", "not_reported", "not_checkable")

NOTHING_TO_RECOMPUTE = {
    "count": "A count with no group size given: nothing to recompute.",
    "value": "A dose, threshold, duration or other single quantity: nothing to recompute it from.",
    "mean": "No per-patient data behind this mean in the sources.",
    "sd": "No per-patient data behind this SD in the sources.",
    "median": "No per-patient data behind this median in the sources.",
    "range": "No per-patient data behind this range in the sources.",
    "iqr": "No per-patient data behind this interquartile range in the sources.",
    "ci": "A confidence interval without the counts behind it.",
    "correlation": "A correlation without the paired data behind it.",
    "p_value": "A p-value without the data behind it in the sources.",
    "percent": "No denominator known for this percentage.",
}


def audit(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per evidence row with ``recomputed``, ``verdict``, ``rounding``, ``compatible``, ``explanation``."""
    evidence = tables["evidence"].merge(tables["studies"][["study_id", "source_document"]], on="study_id", how="left")
    result = evidence.assign(recomputed="", verdict="not_checkable", rounding="",
                             compatible=[() for _ in range(len(evidence))],
                             explanation=evidence["statistic"].map(NOTHING_TO_RECOMPUTE))
    result = result.set_index("evidence_id", drop=False)
    _audit_proportions(result)
    derivations = tables.get("derivations", pd.DataFrame(columns=["evidence_id", "method"]))
    for link in derivations.itertuples(index=False):
        outcome = DERIVATIONS[link.method](link, result.loc[link.evidence_id], tables)
        for column, value in outcome.items():
            result.at[link.evidence_id, column] = value
    return result.reset_index(drop=True)[AUDIT_COLUMNS]


def _audit_proportions(result: pd.DataFrame) -> None:
    """Percent rows, and count rows with a denominator (their percentage is not printed: computed)."""
    is_percent = result["statistic"] == "percent"
    is_count_of = (result["statistic"] == "count") & result["denominator"].notna()
    rows = result[is_percent | is_count_of]
    frame = pd.DataFrame({"reported": rows["reported"].where(rows["statistic"] == "percent"),
                          "numerator": rows["numerator"], "denominator": rows["denominator"]})
    checked = audit_percent_frame(frame)
    for column in checked.columns:
        result.loc[rows.index, column] = checked[column]


def _per_patient_response(link, row, tables) -> dict:
    """Compare a printed response percentage with the count re-derived from the platelet table."""
    which = ipd.parse_patients(link.patients)
    k = ipd.responders(tables["patients"], row["study_id"], which, int(link.month), link.response)
    n = len(which)
    printed = row["reported"]
    value = Fraction(100 * k, n)
    verdict, rounding = verdict_for(value, printed)
    if pd.notna(row["numerator"]) and int(row["numerator"]) != k:
        verdict, rounding = "inconsistent", ""
    label = {"OR": "overall responders (CR or PR)", "CR": "complete responders", "PR": "partial responders",
             "NR": "non-responders"}[link.response]
    recomputed = str(round_exact(value, printed_decimals(printed), "half_up"))
    explanation = (f"Re-derived from the per-patient platelet counts with the study's criteria "
                   f"(intention to treat): {k} of {n} patients are {label} at month {int(link.month)}, "
                   f"{k}/{n} = {recomputed}%; printed {printed}"
                   + ("" if pd.isna(row["numerator"]) else f" with numerator {int(row['numerator'])}") + ".")
    return dict(recomputed=recomputed, verdict=verdict, rounding=rounding, explanation=explanation)


def _per_patient_summary(link, row, tables) -> dict:
    """Mean, SD, median, range or IQR recomputed from the per-patient table."""
    values = ipd.measure_values(tables["patients"], row["study_id"], link.measure, ipd.parse_patients(link.patients))
    printed, statistic = row["reported"], row["statistic"]
    if statistic in ("mean", "sd", "median"):
        check = audit_summary_statistic(values, statistic, printed)
        return dict(recomputed=check.recomputed, verdict=check.verdict, rounding=check.rounding,
                    explanation=f"From the per-patient table ({link.description}): {check.explanation}")
    low, _, high = printed.partition("-")
    numbers = [Fraction(v) for v in values]
    if statistic == "range":
        found = (min(numbers), max(numbers))
        verdicts = [verdict_for(found[0], low), verdict_for(found[1], high)]
        verdict = "consistent" if all(v == "consistent" for v, _ in verdicts) else "inconsistent"
        text = f"{float(found[0]):g}-{float(found[1]):g}"
        return dict(recomputed=text, verdict=verdict, rounding="half_up" if verdict == "consistent" else "",
                    explanation=f"From the per-patient table ({link.description}): minimum and maximum are {text}; "
                                f"printed {printed}.")
    if statistic == "iqr":
        return _iqr_verdict(values, printed, link.description)
    raise ValueError(f"{row['evidence_id']}: cannot recompute a {statistic} from per-patient data")


def _iqr_verdict(values, printed: str, description: str) -> dict:
    """Which quartile convention, if any, reproduces a printed IQR at its precision."""
    low, _, high = printed.partition("-")
    by_method = quartiles_by_method([float(v) for v in values])
    shown = {name: f"{round_exact(Fraction(str(q1)), printed_decimals(low), 'half_up')}-"
                   f"{round_exact(Fraction(str(q3)), printed_decimals(high), 'half_up')}"
             for name, (q1, q3) in by_method.items()}
    matching = [name for name, text in shown.items() if text == printed]
    listing = "; ".join(f"{name}: {text}" for name, text in shown.items())
    return dict(recomputed=shown[next(iter(shown))], verdict="consistent" if matching else "inconsistent",
                rounding=" | ".join(matching),
                explanation=f"From the per-patient table ({description}), quartiles by convention: {listing}. "
                            + (f"Printed {printed} matches {', '.join(matching)}." if matching
                               else f"No common convention gives the printed {printed}."))


def _two_by_two(link, row, tables) -> dict:
    """A printed p-value claim re-tested on the 2x2 table of two percent rows."""
    evidence = tables["evidence"].set_index("evidence_id")
    a, b = evidence.loc[link.group_a], evidence.loc[link.group_b]
    check = check_p_claim(row["reported"], int(a["numerator"]), int(a["denominator"]),
                          int(b["numerator"]), int(b["denominator"]))
    return dict(recomputed=f"Fisher p = {check.fisher_p:.2g}; chi-square p = {check.chi2_p:.2g}",
                verdict=check.verdict, rounding="",
                explanation=f"{link.description}: {check.explanation}")


def _paired_t_test(link, row, tables) -> dict:
    """A printed p-value claim for platelets at a month vs baseline, re-tested from the table."""
    which = ipd.parse_patients(link.patients)
    after = [float(v) for v in ipd.measure_values(tables["patients"], row["study_id"], link.measure, which)]
    before = [float(v) for v in ipd.measure_values(tables["patients"], row["study_id"], "platelets_month_0", which)]
    paired = scipy_stats.ttest_rel(after, before).pvalue
    unpaired = scipy_stats.ttest_ind(after, before).pvalue
    relation, threshold = parse_p_claim(row["reported"])
    holds = [claim_holds(p, relation, threshold, row["reported"]) for p in (paired, unpaired)]
    verdict = "consistent" if all(holds) else "test_dependent" if any(holds) else "inconsistent"
    return dict(recomputed=f"paired t p = {paired:.2g}; Student t p = {unpaired:.2g}", verdict=verdict,
                rounding="", explanation=f"{link.description}: paired t-test p = {paired:.2g}, unpaired Student "
                                          f"t-test p = {unpaired:.2g} (the paper names Student's t test); the "
                                          f"printed {row['reported']} " + ("holds for both." if all(holds) else
                                          "holds for one of them." if any(holds) else "holds for neither."))


DERIVATIONS = {
    "per_patient_response": _per_patient_response,
    "per_patient_summary": _per_patient_summary,
    "two_by_two": _two_by_two,
    "paired_t_test": _paired_t_test,
}


def verdict_counts(audited: pd.DataFrame) -> pd.Series:
    """Rows per verdict, in a fixed order (zero counts kept)."""
    return audited["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)

