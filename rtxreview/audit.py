"""The reproducibility audit: a verdict for every reported number.

Percentages and counts go through the exact percentage engine (:mod:`rtxreview.percent`). Rows
linked in ``data/derivations.csv`` are recomputed from other data: p-value claims from two
percent rows (Fisher and chi-square), summary statistics and paired t-tests from the per-patient
table, response percentages from the per-patient platelet counts. Every other row is
``not_checkable`` with the reason; so is a bound ("at least 13 patients", :mod:`rtxreview.bounds`),
from which no rate is recomputed.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd

from rtxreview import ipd
from rtxreview.bounds import bounds_of, explain_bound
from rtxreview.percent import audit_percent_frame, refuse_unused_conventions
from rtxreview.rounding import printed_decimals, round_exact, verdict_for
from rtxreview.stats import (audit_summary_statistic, check_p_claim, check_p_claims, claim_holds,
                             parse_p_claim, quartiles_by_method)

AUDIT_COLUMNS = ["evidence_id", "study_id", "source_document", "statistic", "reported", "qualifier", "numerator",
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
    "statement": "A statement without a number: nothing to recompute.",
}


def audit(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per evidence row with ``recomputed``, ``verdict``, ``rounding``, ``compatible``, ``explanation``."""
    evidence = tables["evidence"].merge(tables["studies"][["study_id", "source_document"]], on="study_id", how="left")
    if "qualifier" not in evidence.columns:  # a table without bounds
        evidence = evidence.assign(qualifier=pd.Series(pd.NA, index=evidence.index, dtype="string"))
    size = len(evidence)
    # The five output columns are filled as plain lists and set once at the end: assigning cell by
    # cell into a 10^5-row frame (.loc/.at per derivation) costs a hash-table lookup and a block
    # copy each time (profiled: 20,000 get_loc calls were 60% of the audit on 10^5 rows).
    out = {"recomputed": [""] * size, "verdict": ["not_checkable"] * size, "rounding": [""] * size,
           "compatible": [()] * size,
           "explanation": evidence["statistic"].map(NOTHING_TO_RECOMPUTE).astype(object).tolist()}
    _audit_proportions(evidence, out)
    derivations = tables.get("derivations", pd.DataFrame(columns=["evidence_id", "method"]))
    if len(derivations):
        position = pd.Index(evidence["evidence_id"])
        if not position.is_unique:
            raise ValueError("evidence_id must be unique to audit derivations")
        context = _Context(tables)
        columns = ["evidence_id", "study_id", "statistic", "reported", "numerator", "qualifier"]
        values = {c: (evidence[c] if c in evidence else pd.Series("", index=evidence.index)).astype(object).tolist()
                  for c in columns}
        context.prepare_p_claims(derivations, position, values["reported"])
        context.prepare_t_tests(derivations, position, values["study_id"])
        for link in derivations.itertuples(index=False):
            i = position.get_loc(link.evidence_id)
            row = {c: values[c][i] for c in columns}
            for column, value in DERIVATIONS[link.method](link, row, context).items():
                out[column][i] = value
    tested = set(derivations.loc[derivations["method"] == "eligibility", "evidence_id"]) if len(derivations) else set()
    _audit_bounds(evidence, out, tested)
    result = evidence.assign(
        recomputed=pd.Series(out["recomputed"], index=evidence.index, dtype="str"),
        verdict=pd.Series(out["verdict"], index=evidence.index, dtype="str"),
        rounding=pd.Series(out["rounding"], index=evidence.index, dtype="str"),
        compatible=pd.Series(out["compatible"], index=evidence.index, dtype=object),
        explanation=pd.Series(out["explanation"], index=evidence.index, dtype="str"))
    return result.reset_index(drop=True)[AUDIT_COLUMNS]


class _Context:
    """The tables, with the lookups that derivations repeat done once per audit.

    Each derivation used to select its study's rows from the whole per-patient table and rebuild
    that study's response table (ipd.responses) from scratch: 50 ms per link, the largest cost of
    the audit on 10^5 rows. Here the per-patient values are indexed once, and the response
    categories of every study are classified in one pass with ``ipd.classify`` (the study's criteria,
    unchanged). ``tests/test_performance.py`` checks the results equal ipd's own functions.
    """

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self._evidence = None
        self._values = None
        self._responses = None
        self._p_claims: dict[tuple, object] = {}
        self._t_tests: dict[tuple, tuple] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def counts_of(self, evidence_id: str) -> tuple:
        """(numerator, denominator) of an evidence row: ``evidence.set_index(...).loc[id]`` without
        building a row Series (or the index) for every lookup."""
        if self._evidence is None:
            evidence = self.tables["evidence"]
            self._evidence = (pd.Index(evidence["evidence_id"]), evidence["numerator"].array,
                              evidence["denominator"].array)
        index, numerators, denominators = self._evidence
        i = index.get_loc(evidence_id)
        if not isinstance(i, (int, np.integer)):  # a duplicated id: the frame lookup, as before
            row = self.tables["evidence"].set_index("evidence_id").loc[evidence_id]
            return row["numerator"], row["denominator"]
        return numerators[i], denominators[i]

    def prepare_p_claims(self, derivations: pd.DataFrame, position: pd.Index, reported: list) -> None:
        """Re-test every two_by_two claim at once (``stats.check_p_claims``), keyed by claim and counts.

        One scipy Fisher and two chi-square calls per claim cost about 3 ms, mostly argument
        handling: 216 claims were 0.73 s of a 1.2 s audit on 10^5 rows (BENCHMARKS.md). The batch
        gives the same results bit for bit. A link whose inputs fail here (an unknown id, a missing
        count, a claim that does not parse) is left to :func:`_two_by_two`, which raises the
        same error as before, at the same point of the audit.
        """
        links = derivations[derivations["method"] == "two_by_two"]
        keys = []
        for evidence_id, group_a, group_b in zip(links["evidence_id"].tolist(), links["group_a"].tolist(),
                                                 links["group_b"].tolist()):
            try:
                (a_events, a_total), (b_events, b_total) = self.counts_of(group_a), self.counts_of(group_b)
                key = (reported[position.get_loc(evidence_id)], int(a_events), int(a_total), int(b_events),
                       int(b_total))
                parse_p_claim(key[0])
            except (KeyError, TypeError, ValueError):
                continue
            keys.append(key)
        keys = list(dict.fromkeys(keys))  # an identical claim on an identical table is tested once
        try:
            results = check_p_claims(*zip(*keys)) if keys else []
        except ValueError:
            return  # counts that check_p_claim refuses: every link raises its own error, in order
        self._p_claims = dict(zip(keys, results))

    def p_claim(self, claim: str, a_events, a_total, b_events, b_total):
        """``check_p_claim`` of a claim and its table, from the batch when it was computed there."""
        key = (claim, int(a_events), int(a_total), int(b_events), int(b_total))
        found = self._p_claims.get(key)
        return found if found is not None else check_p_claim(*key)

    def prepare_t_tests(self, derivations: pd.DataFrame, position: pd.Index, study_ids: list) -> None:
        """Run the paired and Student t-tests of every paired_t_test link at once, per number of patients.

        Two scipy t-tests per link cost about 3 ms, mostly argument handling (40 links: 0.12 s of the
        audit of the synthetic 10^5-row review, BENCHMARKS.md). scipy run on the rows of a 2-D
        array (``axis=1``) gives the same p-values bit for bit as on each row alone
        (``tests/test_performance.py`` checks it). A group whose tests warn (e.g. identical data) is
        left to :func:`_paired_t_test`, so warnings are raised as before; so is any link whose inputs
        fail here, which then raises its own error in the audit's order.
        """
        from scipy import stats as scipy_stats  # only here: most audits run no t-test

        links = derivations[derivations["method"] == "paired_t_test"]
        groups: dict[int, list[tuple]] = {}
        for evidence_id, measure, patients in zip(links["evidence_id"].tolist(), links["measure"].tolist(),
                                                  links["patients"].tolist()):
            try:
                study_id = study_ids[position.get_loc(evidence_id)]
                which = ipd.parse_patients(patients)
                after = tuple(float(v) for v in self.measure_values(study_id, measure, which))
                before = tuple(float(v) for v in self.measure_values(study_id, "platelets_month_0", which))
            except (KeyError, TypeError, ValueError):
                continue
            groups.setdefault(len(after), []).append((after, before))
        for pairs in groups.values():
            pairs = list(dict.fromkeys(pairs))
            after = np.array([a for a, _ in pairs], dtype=float)
            before = np.array([b for _, b in pairs], dtype=float)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    paired = scipy_stats.ttest_rel(after, before, axis=1).pvalue
                    unpaired = scipy_stats.ttest_ind(after, before, axis=1).pvalue
                except (TypeError, ValueError):
                    continue
            if caught:
                continue
            for k, key in enumerate(pairs):
                self._t_tests[key] = (paired[k], unpaired[k])

    def t_tests(self, after: list[float], before: list[float]) -> tuple:
        """(paired t p, Student t p) of ``after`` against ``before``: scipy's, from the batch if run there."""
        found = self._t_tests.get((tuple(after), tuple(before)))
        if found is not None:
            return found
        from scipy import stats as scipy_stats

        return scipy_stats.ttest_rel(after, before).pvalue, scipy_stats.ttest_ind(after, before).pvalue

    def measure_values(self, study_id: str, measure: str, which: list[int]) -> list[str]:
        """``ipd.measure_values`` from an index of the per-patient table built once."""
        if self._values is None:
            patients = self.tables["patients"]
            self._values = {}
            for study, name, patient, value in zip(patients["study_id"].tolist(), patients["measure"].tolist(),
                                                   patients["patient"].astype(int).tolist(),
                                                   patients["value"].astype(object).tolist()):
                self._values.setdefault((study, name), {})[patient] = value
        by_patient = self._values.get((study_id, measure), {})
        missing = [p for p in which if p not in by_patient]
        if missing:
            raise KeyError(f"{study_id}: no {measure} for patient(s) {missing}")
        return [by_patient[p] for p in which]

    def responders(self, study_id: str, which: list[int], month: int, category: str) -> int:
        """``ipd.responders``, with every study's categories classified once."""
        if self._responses is None:
            self._responses = _classify_all(self.tables["patients"])
        if study_id not in self._responses["studies"]:
            return ipd.responders(self.tables["patients"], study_id, which, month, category)
        wanted = {"CR", "PR"} if category == "OR" else {category}
        chosen = set(which)
        at_month = self._responses.get((study_id, month), {})
        return sum(1 for patient, response in at_month.items() if patient in chosen and response in wanted)


def _classify_all(patients: pd.DataFrame) -> dict:
    """``{(study_id, month): {patient: category}}`` for every study with platelet counts.

    The wide table is ``ipd.platelet_table`` with the study added to the index; the categories
    are ``ipd.classify`` of the same baseline and month columns.
    """
    rows = patients[patients["measure"].str.startswith("platelets_month_").fillna(False).astype(bool)]
    wide = rows.assign(month=rows["measure"].str.removeprefix("platelets_month_").astype(int),
                       count=rows["value"].where(rows["value"] != ipd.NOT_MEASURED))
    table = wide.pivot(index=["study_id", "patient"], columns="month", values="count").astype("Int64")
    table = table.reindex(columns=[0, *ipd.MONTHS])
    keys = list(zip(table.index.get_level_values(0).tolist(),
                    table.index.get_level_values(1).astype(int).tolist()))
    result: dict = {"studies": {study for study, _ in keys}}
    for month in ipd.MONTHS:
        for (study, patient), response in zip(keys, ipd.classify(table[0], table[month]).tolist()):
            result.setdefault((study, month), {})[patient] = response
    return result


def _audit_proportions(evidence: pd.DataFrame, out: dict[str, list]) -> None:
    """Percent rows, and count rows with a denominator (their percentage is not printed: computed)."""
    statistic = evidence["statistic"]
    is_percent = (statistic == "percent").to_numpy(dtype=bool, na_value=False)
    is_count_of = ((statistic == "count").to_numpy(dtype=bool, na_value=False)
                   & evidence["denominator"].notna().to_numpy(dtype=bool))
    positions = np.flatnonzero(is_percent | is_count_of)
    if not len(positions):
        return
    rows = evidence.iloc[positions]
    frame = pd.DataFrame({"reported": rows["reported"].where(rows["statistic"] == "percent"),
                          "numerator": rows["numerator"], "denominator": rows["denominator"]})
    checked = audit_percent_frame(frame)
    # A source's own half-up roundings elsewhere rule out a convention it would need here.
    refused = refuse_unused_conventions(checked.assign(
        group=rows["study_id"], reported=frame["reported"], numerator=frame["numerator"],
        denominator=frame["denominator"], witness=rows["denominator_source"] == "stated"))
    checked.loc[refused.index, refused.columns] = refused
    for column in checked.columns:
        target = out[column]
        for i, value in zip(positions.tolist(), checked[column].tolist()):
            target[i] = value


def _audit_bounds(evidence: pd.DataFrame, out: dict[str, list], tested: set[str] = frozenset()) -> None:
    """A bound is not a point: whatever its counts gave, it is ``not_checkable`` and says why, unless
    an eligibility derivation holds the per-patient table to it (``tested``)."""
    ids = evidence["evidence_id"].tolist()
    for i in np.flatnonzero(bounds_of(evidence).to_numpy(dtype=bool)).tolist():
        if ids[i] in tested:
            continue
        out["verdict"][i], out["recomputed"][i], out["rounding"][i], out["compatible"][i] = "not_checkable", "", "", ()
        out["explanation"][i] = explain_bound(evidence.iloc[i])


def _per_patient_response(link, row, tables) -> dict:
    """Compare a printed response percentage with the count re-derived from the platelet table."""
    which = ipd.parse_patients(link.patients)
    k = tables.responders(row["study_id"], which, int(link.month), link.response)
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
    values = tables.measure_values(row["study_id"], link.measure, ipd.parse_patients(link.patients))
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
    (a_events, a_total), (b_events, b_total) = tables.counts_of(link.group_a), tables.counts_of(link.group_b)
    check = tables.p_claim(row["reported"], int(a_events), int(a_total), int(b_events), int(b_total))
    return dict(recomputed=f"Fisher p = {check.fisher_p:.2g}; chi-square p = {check.chi2_p:.2g}",
                verdict=check.verdict, rounding="",
                explanation=f"{link.description}: {check.explanation}")


def _paired_t_test(link, row, tables) -> dict:
    """A printed p-value claim for platelets at a month vs baseline, re-tested from the table."""
    which = ipd.parse_patients(link.patients)
    after = [float(v) for v in tables.measure_values(row["study_id"], link.measure, which)]
    before = [float(v) for v in tables.measure_values(row["study_id"], "platelets_month_0", which)]
    paired, unpaired = tables.t_tests(after, before)
    relation, threshold = parse_p_claim(row["reported"])
    holds = [claim_holds(p, relation, threshold, row["reported"]) for p in (paired, unpaired)]
    verdict = "consistent" if all(holds) else "test_dependent" if any(holds) else "inconsistent"
    return dict(recomputed=f"paired t p = {paired:.2g}; Student t p = {unpaired:.2g}", verdict=verdict,
                rounding="", explanation=f"{link.description}: paired t-test p = {paired:.2g}, unpaired Student "
                                          f"t-test p = {unpaired:.2g} (the paper names Student's t test); the "
                                          f"printed {row['reported']} " + ("holds for both." if all(holds) else
                                          "holds for one of them." if any(holds) else "holds for neither."))


_HOLDS = {"less than": lambda v, b: v < b, "up to": lambda v, b: v <= b,
          "more than": lambda v, b: v > b, "at least": lambda v, b: v >= b}


def _eligibility(link, row, tables) -> dict:
    """An inclusion criterion (a bound such as "< 30 ×10⁹/L") held against every listed patient's
    value in the per-patient table: a patient who does not meet it is an eligibility finding."""
    which = ipd.parse_patients(link.patients)
    values = tables.measure_values(row["study_id"], link.measure, which)
    bound, relation = Fraction(str(row["reported"])), row["qualifier"]
    failing = [(p, v) for p, v in zip(which, values)
               if v not in ("", ipd.NOT_MEASURED) and not _HOLDS[relation](Fraction(str(v)), bound)]
    met = len(which) - len(failing)
    explanation = (f"{link.description}: {met} of {len(which)} patients meet {relation} {row['reported']} "
                   f"in the per-patient table ({link.measure})"
                   + ("." if not failing else "; not met by " + ", ".join(f"patient {p} ({v})" for p, v in failing)
                      + ", so the table contradicts the stated inclusion criterion or the patient was included "
                        "under another rule the paper does not give."))
    return dict(recomputed=f"{met} of {len(which)} meet it", verdict="inconsistent" if failing else "consistent",
                rounding="", explanation=explanation)


DERIVATIONS = {
    "eligibility": _eligibility,
    "per_patient_response": _per_patient_response,
    "per_patient_summary": _per_patient_summary,
    "two_by_two": _two_by_two,
    "paired_t_test": _paired_t_test,
}


def verdict_counts(audited: pd.DataFrame) -> pd.Series:
    """Rows per verdict, in a fixed order (zero counts kept)."""
    return audited["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)



_NUMBER = r"\d+(?:\.\d+)?"


def implausible_magnitudes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Evidence rows whose printed number is larger than plausible for their outcome in their printed
    unit (``plausibility.csv``): the unit was printed wrongly, as a rule. The data keep both as
    printed; this names the rows, the limit and why (columns: evidence_id, highest, largest,
    likely_unit, reason, explanation)."""
    columns = ["evidence_id", "highest", "largest", "likely_unit", "reason", "explanation"]
    limits = tables.get("plausibility")
    if limits is None or limits.empty:
        return pd.DataFrame(columns=columns)
    evidence = tables["evidence"]
    rows = evidence[["evidence_id", "outcome", "unit", "reported", "statistic"]].merge(
        limits, on=["outcome", "unit"])
    rows = rows[~rows["statistic"].isin(("percent", "count", "p_value"))]
    largest = rows["reported"].astype(str).str.findall(_NUMBER).map(lambda found: max(map(float, found), default=0.0))
    rows = rows.assign(largest=largest)[largest > rows["highest"]]
    from rtxreview.text import readable_unit
    explanation = [f"{r.largest:g} {readable_unit(r.unit)} is more than the {r.highest:g} {readable_unit(r.unit)} "
                   f"that is plausible for {r.outcome}: the unit is probably printed wrongly"
                   + (f" (the numbers fit {r.likely_unit}, an inference)" if isinstance(r.likely_unit, str)
                      and r.likely_unit else "") + f". {r.reason}" for r in rows.itertuples()]
    return rows.assign(explanation=explanation)[columns].reset_index(drop=True)
