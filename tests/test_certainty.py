"""GRADE ratings follow the stated rules, domain by domain (one study, k = 2, zero events included),
and the summary of findings follows the data, whatever the extraction."""

import html
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import DATA_DIR, REPO
from rtxreview import certainty
from rtxreview.appraisal import QUESTIONS
from rtxreview.audit import audit
from rtxreview.pooling import not_pooled_text
from rtxreview.pooling import pooled_analyses
from rtxreview.validate import validate_package

EVIDENCE_COLUMNS = ["evidence_id", "study_id", "context", "disease", "subgroup", "intervention", "outcome",
                    "timepoint", "statistic", "numerator", "denominator", "denominator_source", "reported", "unit",
                    "quote", "location", "note"]


# --- a small synthetic review ------------------------------------------------------------------------

def study(study_id, patients=20, publication_type="journal article"):
    return {"study_id": study_id, "short_label": study_id.upper(), "publication_type": publication_type,
            "patients_enrolled": patients}


def answers(study_id, judgement="yes", **overrides):
    return [{"study_id": study_id, "question": q, "judgement": overrides.get(q, judgement),
             "quote": "not reported", "location": None, "note": None} for q in QUESTIONS]


def result_row(evidence_id, study_id, events, total, outcome="complete response", disease="ITP", **extra):
    row = {"evidence_id": evidence_id, "study_id": study_id, "context": "result", "disease": disease,
           "subgroup": None, "intervention": "rituximab", "outcome": outcome, "timepoint": None,
           "statistic": "count", "numerator": events, "denominator": total, "denominator_source": "stated",
           "reported": str(events), "unit": "patients", "quote": "q", "location": "l", "note": None}
    row.update(extra)
    return row


def judgement(study_id, level="not serious", domain="indirectness"):
    return {"judgement_id": f"{study_id}-{domain.replace(' ', '_')}", "scope": "study", "study_id": study_id,
            "domain": domain, "judgement": level, "reason": f"{study_id} judged {level}"}


def definition(study_id, outcome="complete response", status="matches standard", disease="ITP"):
    return {"definition_id": f"{study_id}-{outcome.replace(' ', '_')}", "source_kind": "study", "study_id": study_id,
            "standard": None, "disease": disease, "outcome": outcome, "term": outcome, "definition": "d",
            "location": "l", "versus_standard": status, "citation": None, "doi": None, "confirmed_at": None,
            "note": None}


POOLING_COLUMNS = ["analysis_id", "evidence_id", "label", "title", "disease", "outcome", "definition",
                   "definition_source", "timepoint", "analysis_set", "note"]
VISIT = "6 months"


def analysis(analysis_id, evidence_ids, title="Complete response", outcome="complete response", disease="ITP",
             definitions=None, analysis_set="intention to treat"):
    """Rows of pooling.csv: by default comparable (the same known definition, time point and analysis set,
    the comparability rule of rtxreview.pooling), so the analysis is pooled; ``definitions`` (one per row)
    can make them differ."""
    definitions = definitions or ["platelet count ≥ 100 ×10⁹/L"] * len(evidence_ids)
    return [{"analysis_id": analysis_id, "evidence_id": e, "label": e, "title": title, "disease": disease,
             "outcome": outcome, "definition": d, "definition_source": None, "timepoint": VISIT,
             "analysis_set": analysis_set, "note": None} for e, d in zip(evidence_ids, definitions)]


def make_review(studies, evidence, appraisal_rows, definitions=(), judgements=(), pooling=(), context=()):
    tables = {
        "studies": pd.DataFrame(studies),
        "evidence": pd.DataFrame(evidence, columns=EVIDENCE_COLUMNS).astype(
            {"numerator": "Int64", "denominator": "Int64"}),
        "appraisal": pd.DataFrame(appraisal_rows),
        "definitions": pd.DataFrame(list(definitions), columns=list(definition("x"))),
        "certainty_judgements": pd.DataFrame(list(judgements), columns=list(judgement("x"))),
        "pooling": pd.DataFrame(list(pooling), columns=POOLING_COLUMNS),
        "context": pd.DataFrame(list(context)),
        "derivations": pd.DataFrame(columns=["evidence_id", "method"]),
    }
    tables["studies"]["source_document"] = [f"{i:03d}_{'0' * 16}.txt" for i in range(len(studies))]
    audited = audit(tables)
    rows = (tables["evidence"].merge(audited[["evidence_id", "recomputed", "verdict", "rounding", "compatible",
                                              "explanation"]], on="evidence_id")
            .merge(tables["studies"][["study_id", "short_label"]], on="study_id"))
    pooled = {r["analysis_id"]: r for r in pooled_analyses(tables, audited)} if len(tables["pooling"]) else {}
    return SimpleNamespace(tables=tables, rows=rows, pooled=pooled, ci_method="beta")


def two_clean_studies(events_a=30, total_a=60, events_b=40, total_b=60, **options):
    """Two studies reporting complete response at the same visit (VISIT), as pooling.csv needs to pool them."""
    studies = [study("a", total_a), study("b", total_b)]
    evidence = [result_row("a-001", "a", events_a, total_a, timepoint=VISIT),
                result_row("b-001", "b", events_b, total_b, timepoint=VISIT)]
    return make_review(studies, evidence, answers("a") + answers("b"),
                       definitions=[definition("a"), definition("b")],
                       judgements=[judgement("a"), judgement("b")], **options)


def domain(finding, name):
    return next(d for d in finding.domains if d.name == name)


def by_id(review):
    return {f.finding_id: f for f in certainty.findings(review)}


# --- start and overall ---------------------------------------------------------------------------

def test_a_finding_with_no_concern_stays_at_the_starting_level():
    finding = by_id(two_clean_studies(events_a=150, total_a=300))["a-001"]
    assert [d.down for d in finding.domains] == [0, 0, 0, 0, 0]
    assert finding.level == certainty.START_LEVEL == 2 and finding.certainty == "low"


def test_levels_add_up_and_stop_at_very_low():
    finding = by_id(two_clean_studies(events_a=3, total_a=8))["a-001"]  # imprecision very serious (-2)
    assert domain(finding, "imprecision").down == 2 and finding.level == 1 and finding.certainty == "very low"


# --- risk of bias -----------------------------------------------------------------------------------

def test_risk_of_bias_serious_when_high_risk_studies_hold_half_the_patients():
    review = make_review([study("a", 300)], [result_row("a-001", "a", 150, 300)],
                         answers("a", Q10="no"), definitions=[definition("a")], judgements=[judgement("a")])
    rob = domain(by_id(review)["a-001"], "risk of bias")
    assert rob.down == 1 and "Q10 answered no" in rob.reason


def test_risk_of_bias_not_serious_when_high_risk_studies_hold_less_than_half():
    studies = [study("a", 100), study("b", 101)]
    evidence = [result_row("a-001", "a", 50, 100, timepoint=VISIT), result_row("b-001", "b", 50, 101, timepoint=VISIT)]
    review = make_review(studies, evidence, answers("a", Q5="no") + answers("b"),
                         definitions=[definition("a"), definition("b")], judgements=[judgement("a"), judgement("b")],
                         pooling=analysis("cr", ["a-001", "b-001"], title="CR"))
    assert review.pooled["cr"]["pooled"] is not None  # comparable: one finding of 201 patients
    rob = domain(by_id(review)["cr"], "risk of bias")
    assert rob.down == 0 and "A: high risk of bias" in rob.reason  # 100 of 201 patients


def test_an_input_that_does_not_reproduce_rates_risk_of_bias_down_once_more():
    evidence = [result_row("a-001", "a", 20, 40, statistic="percent", reported="55.0", unit="%")]  # 20/40 = 50%
    review = make_review([study("a", 40)], evidence, answers("a", Q10="no"), definitions=[definition("a")],
                         judgements=[judgement("a")])
    rob = domain(by_id(review)["a-001"], "risk of bias")
    assert rob.down == 2 and "does not reproduce" in rob.reason


def test_an_inferred_denominator_is_named_in_the_reason():
    evidence = [result_row("a-001", "a", 150, 300, denominator_source="inferred", note="300 enrolled")]
    review = make_review([study("a", 300)], evidence, answers("a"), definitions=[definition("a")],
                         judgements=[judgement("a")])
    rob = domain(by_id(review)["a-001"], "risk of bias")
    assert rob.down == 0 and "denominator inferred (a-001" in rob.reason


def test_a_study_not_yet_appraised_is_not_rated():
    studies = [study("a", 300), study("new", 30)]
    evidence = [result_row("a-001", "a", 150, 300), result_row("new-001", "new", 10, 30)]
    review = make_review(studies, evidence, answers("a"), definitions=[definition("a"), definition("new")],
                         judgements=[judgement("a"), judgement("new")])
    finding = by_id(review)["new-001"]
    assert domain(finding, "risk of bias").down is None and "not yet appraised: NEW" in domain(finding, "risk of bias").reason
    assert finding.level is None and finding.certainty == "not rated"
    assert certainty.statement(finding).startswith("Not yet rated")


# --- inconsistency ----------------------------------------------------------------------------------

def test_one_study_inconsistency_is_not_applicable():
    d = domain(by_id(two_clean_studies())["a-001"], "inconsistency")
    assert d.down == 0 and d.judgement == "not applicable"


def fake_pooled(i2, pi=(None, None), k=2):
    rows = pd.DataFrame({"study": ["a", "b"], "evidence_id": ["a-001", "b-001"], "outcome": ["complete response"] * 2,
                         "disease": ["ITP"] * 2, "events": [30, 40], "total": [60, 60], "proportion": [.5, .67],
                         "ci_low": [.3, .5], "ci_high": [.7, .8], "events_source": ["printed"] * 2})
    return certainty.Finding("p", "ITP", "complete response", "CR", rows, ("a-001", "b-001"), .58, .4, .75,
                             pooled={"i2": i2, "tau2": 0.1, "pi_low": pi[0], "pi_high": pi[1], "k": k})


@pytest.mark.parametrize("i2, pi, down", [
    (30.0, (None, None), 0),  # k = 2: no prediction interval
    (49.9, (0.30, 0.79), 0),
    (30.0, (0.10, 0.95), 1),  # a prediction interval 85 points wide
    (50.0, (None, None), 1),
    (74.9, (None, None), 1),
    (75.0, (None, None), 2),
    (76.6, (None, None), 2),
])
def test_inconsistency_from_i2_and_the_prediction_interval(i2, pi, down):
    d = certainty.inconsistency(fake_pooled(i2, pi))
    assert d.down == down and f"I² = {i2:.0f}%" in d.reason
    if pi[0] is None:
        assert "no prediction interval" in d.reason


def test_inconsistency_without_i2_is_not_judged():
    assert certainty.inconsistency(fake_pooled(None)).down is None


def test_k2_pooled_analysis_is_one_finding_judged_on_its_heterogeneity():
    review = two_clean_studies(events_a=10, total_a=60, events_b=50, total_b=60,
                               pooling=analysis("cr", ["a-001", "b-001"]))
    assert review.pooled["cr"]["comparable"] and review.pooled["cr"]["pooled"] is not None
    found = by_id(review)
    assert "cr" in found and "a-001" not in found and "b-001" not in found
    finding = found["cr"]
    assert finding.patients == 120 and finding.events == 60 and len(finding.studies) == 2
    assert review.pooled["cr"]["pooled"]["i2"] > 75 and domain(finding, "inconsistency").down == 2


def test_an_analysis_that_was_not_pooled_is_shown_study_by_study():
    review = two_clean_studies(pooling=analysis("cr", ["a-001", "b-001"],
                                                definitions=["platelet count ≥ 100 ×10⁹/L", "platelet count > 50 ×10⁹/L"]))
    assert review.pooled["cr"]["pooled"] is None  # the comparability rule: the definitions differ
    found = by_id(review)
    assert "cr" not in found and {"a-001", "b-001"} <= set(found)
    assert "not pooled in 'cr': outcome definition differs" in found["a-001"].note
    assert domain(found["a-001"], "inconsistency").judgement == "not applicable"


# --- imprecision ------------------------------------------------------------------------------------

@pytest.mark.parametrize("events, total, down", [
    (0, 8, 1),  # zero events: Clopper-Pearson 0% to 36.9% (37 points), fewer than 97 patients
    (4, 8, 2),  # 15.7% to 84.3%: wider than 40 points
    (45, 90, 1),  # 21 points wide and fewer than 97 patients
    (60, 120, 0),  # 40.8% to 59.2%: 18 points wide, 120 patients
    (250, 500, 0),
    (0, 200, 0),  # zero events in many patients: 0% to 1.8%
])
def test_imprecision_against_the_optimal_information_size_and_ci_width(events, total, down):
    review = make_review([study("a", total)], [result_row("a-001", "a", events, total)], answers("a"),
                         definitions=[definition("a")], judgements=[judgement("a")])
    finding = by_id(review)["a-001"]
    width = finding.ci_high - finding.ci_low
    assert domain(finding, "imprecision").down == down, (width, total)
    if events == 0:
        assert "no events" in domain(finding, "imprecision").reason


def test_optimal_information_size_is_97_patients():
    assert certainty.OIS == 97


def test_a_count_that_is_not_known_leaves_imprecision_not_judged():
    # 33% of 12 is 4/12 = 33.3%; printed as a bare "33" of 10 no whole count fits
    evidence = [result_row("a-001", "a", None, 10, statistic="percent", reported="33", unit="%")]
    review = make_review([study("a", 10)], evidence, answers("a"), definitions=[definition("a")],
                         judgements=[judgement("a")])
    finding = by_id(review)["a-001"]
    assert domain(finding, "imprecision").down is None and finding.certainty == "not rated"


# --- indirectness -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status, reviewer, down", [
    ("matches standard", "not serious", 0),
    ("no standard confirmed", "not serious", 0),
    ("differs from standard", "not serious", 1),
    ("not defined", "not serious", 1),
    ("matches standard", "serious", 1),
    ("differs from standard", "very serious", 2),
])
def test_indirectness_is_the_worse_of_definition_and_reviewer(status, reviewer, down):
    review = make_review([study("a", 300)], [result_row("a-001", "a", 150, 300)], answers("a"),
                         definitions=[definition("a", status=status)], judgements=[judgement("a", reviewer)])
    d = domain(by_id(review)["a-001"], "indirectness")
    assert d.down == down and status in d.reason


def test_indirectness_without_the_reviewer_judgement_is_not_judged():
    review = make_review([study("a", 300)], [result_row("a-001", "a", 150, 300)], answers("a"),
                         definitions=[definition("a")])
    d = domain(by_id(review)["a-001"], "indirectness")
    assert d.down is None and "not yet judged" in d.reason


def test_a_defined_outcome_without_the_study_definition_is_not_judged():
    review = make_review([study("a", 300), study("b", 300)],
                         [result_row("a-001", "a", 150, 300), result_row("b-001", "b", 150, 300)],
                         answers("a") + answers("b"), definitions=[definition("a")],
                         judgements=[judgement("a"), judgement("b")])
    d = domain(by_id(review)["b-001"], "indirectness")
    assert d.down is None and "not yet recorded" in d.reason


def test_an_outcome_no_definition_covers_is_judged_on_the_reviewer_entry_alone():
    review = make_review([study("a", 300)], [result_row("a-001", "a", 15, 300, outcome="death")], answers("a"),
                         definitions=[definition("a")], judgements=[judgement("a", "serious")])
    assert domain(by_id(review)["a-001"], "indirectness").down == 1


# --- publication bias ---------------------------------------------------------------------------------

@pytest.mark.parametrize("publication_type, review_wide, down", [
    ("journal article", None, 0),
    ("abstract", None, 1),
    ("article excerpt", None, 1),
    ("journal article", "serious", 1),
    ("abstract", "serious", 1),  # the worse of the two, not their sum
])
def test_publication_bias_from_publication_type_and_the_review_wide_entry(publication_type, review_wide, down):
    judgements = [judgement("a")]
    if review_wide:
        judgements.append({"judgement_id": "review-x", "scope": "review", "study_id": None,
                           "domain": "publication bias", "judgement": review_wide, "reason": "selected sources"})
    review = make_review([study("a", 300, publication_type)], [result_row("a-001", "a", 150, 300)], answers("a"),
                         definitions=[definition("a")], judgements=judgements)
    assert domain(by_id(review)["a-001"], "publication bias").down == down


# --- findings follow the extraction ---------------------------------------------------------------------

def test_the_same_number_printed_twice_is_one_finding():
    evidence = [result_row("a-001", "a", 150, 300),
                result_row("a-002", "a", 150, 300, statistic="percent", reported="50.0", unit="%", numerator=None)]
    review = make_review([study("a", 300)], evidence, answers("a"), definitions=[definition("a")],
                         judgements=[judgement("a")])
    found = certainty.findings(review)
    assert len(found) == 1 and set(found[0].evidence_ids) == {"a-001", "a-002"}


def test_rows_that_are_not_rates_are_not_findings():
    evidence = [result_row("a-001", "a", 150, None), result_row("a-002", "a", 150, 300, context="baseline")]
    review = make_review([study("a", 300)], evidence, answers("a"), definitions=[definition("a")],
                         judgements=[judgement("a")])
    assert certainty.findings(review) == []


def test_no_study_or_evidence_id_is_written_in_the_library():
    tables = validate_package(DATA_DIR)
    ids = set(tables["studies"]["study_id"]) | set(tables["evidence"]["evidence_id"])
    for module in ("certainty.py", "appraisal.py"):
        text = (REPO / "rtxreview" / module).read_text(encoding="utf-8")
        assert not [i for i in ids if re.search(rf"\b{re.escape(i)}\b", text)], module


# --- the real review ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def review():
    from rtxreview.report import load_review
    return load_review(DATA_DIR)


def test_every_real_finding_is_rated_with_a_reason_for_each_down_rating(review):
    for finding in certainty.findings(review):
        assert finding.level is not None, (finding.finding_id, [d.reason for d in finding.domains])
        for d in finding.domains:
            assert d.down in (0, 1, 2) and (d.down == 0 or d.reason)


def test_summary_of_findings_layout_and_context(review):
    table = certainty.summary_of_findings(review, "ITP")
    assert list(table.columns) == certainty.SOF_COLUMNS and len(table)
    # The declared ITP analysis is not pooled (comparability rule: its definitions, time points and analysis
    # sets are not known to be the same), so its studies come first, side by side, one row each.
    result = next(r for r in review.pooled.values() if r["disease"] == "ITP")
    assert result["pooled"] is None and result["not_pooled_reason"]
    members = list(result["rows"]["evidence_id"])
    first = table.iloc[:len(members)]
    assert [m in ids for m, ids in zip(members, first["evidence_ids"])] == [True] * len(members)
    assert list(first["studies"]) == [[study] for study in result["rows"]["study"]]
    assert not table["estimate"].str.endswith("pooled").any()  # nothing is pooled, so no row says so
    for row in first.itertuples():
        assert row.studies_and_patients.startswith("1 study (") and re.match(r"\d+/\d+ = ", row.estimate)
        assert f"not pooled in '{result['analysis_id']}': {not_pooled_text(result, review.study_label)}" in row.footnotes
        assert any("PMID 17200219" in text for text in row.wider_literature)  # the external reference figure
        assert row.certainty.endswith("very low")
    assert all(row.certainty != "not rated" for row in table.itertuples())


def test_summary_of_findings_html_escapes_and_shares_footnote_letters(review):
    page = certainty.summary_of_findings_html(review, "ITP")
    table = certainty.summary_of_findings(review, "ITP")
    distinct = {note for notes in table["footnotes"] for note in notes}
    assert page.count("<li>") == len(distinct) and "external, not pooled" in page
    review.tables["context"] = review.tables["context"].assign(regimen="<script>x</script>")
    try:
        assert "<script>x" not in certainty.summary_of_findings_html(review, "ITP")
    finally:
        review.tables["context"] = validate_package(DATA_DIR)["context"]


def test_a_disease_without_findings_says_so(review):
    assert "no finding" in certainty.summary_of_findings_html(review, "immune neutropenia")


def test_a_package_whose_new_tables_are_empty_is_shown_as_not_yet_appraised_or_judged(data_copy):
    from rtxreview import appraisal
    from rtxreview.report import Review
    for name in ("appraisal", "definitions", "context", "certainty_judgements"):
        path = data_copy / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    review = Review(data_copy)  # validates
    assert set(appraisal.study_risk_of_bias(review.tables)["level"]) == {appraisal.NOT_APPRAISED}
    appraisal.traffic_light_chart(review.tables).to_dict()
    found = certainty.findings(review)
    assert found and all(f.certainty == "not rated" for f in found)
    table = certainty.summary_of_findings(review, "ITP")
    assert set(table["certainty"]) == {"not rated"} and all(not w for w in table["wider_literature"])
    assert all(any("not yet appraised" in note for note in notes) for notes in table["footnotes"])


# --- which findings the summary shows: importance, latest visit; failing checks in the reasons ------------

def one_study_at_visits(visits=("1 month", "12 months", "6 months"), extra=()):
    evidence = [result_row(f"a-{i:03d}", "a", events, 20, timepoint=visit)
                for i, (visit, events) in enumerate(zip(visits, (4, 12, 9)), start=1)]
    return make_review([study("a")], evidence + list(extra), answers("a"), definitions=[definition("a")],
                       judgements=[judgement("a")])


def test_a_group_reported_at_several_visits_shows_its_latest_with_the_earlier_in_a_footnote():
    review = one_study_at_visits()
    table = certainty.summary_of_findings(review, "ITP")
    assert len(table) == 1 and table.iloc[0]["estimate"].startswith("12/20 = ")  # 12 months, not the last row
    note = next(n for n in table.iloc[0]["footnotes"] if n.startswith("Latest visit shown"))
    assert "1 month: 4/20" in note and "6 months: 9/20" in note
    assert len(certainty.certainty_table(review)) == 3  # every visit is still rated


def test_visits_that_are_not_durations_are_each_kept():
    review = one_study_at_visits(visits=("first infusion", "12 months"))
    assert len(certainty.summary_of_findings(review, "ITP")) == 2


def test_the_summary_keeps_the_outcomes_of_the_importance_asked_for():
    extra = [result_row("a-009", "a", 3, 20, outcome="relapse"), result_row("a-010", "a", 1, 20, outcome="rash")]
    review = one_study_at_visits(visits=("12 months",), extra=extra)
    review.tables["outcomes"] = pd.DataFrame({"outcome": ["complete response", "relapse", "rash"],
                                              "topic": ["response", "durability", "harm"],
                                              "importance": ["critical", "important", "limited"]})
    outcomes = lambda **kw: [o.split(";")[0] for o in certainty.summary_of_findings(review, "ITP", **kw)["outcome"]]
    assert outcomes() == ["complete response", "relapse"]
    assert outcomes(importances=("critical",)) == ["complete response"]
    page = certainty.summary_of_findings_html(review, "ITP")
    table, fold = page.split("<details", 1)
    assert "complete response" in table and "relapse" not in table and "relapse" in fold and "rash" not in page


def with_failing_check(parts: str, total: str):
    review = make_review([study("a")], [result_row("a-001", "a", 12, 20), result_row("a-002", "a", 9, 20,
                                                                                      outcome="relapse")],
                         answers("a"), definitions=[definition("a"), definition("a", outcome="relapse")],
                         judgements=[judgement("a")])
    review.tables["checks"] = pd.DataFrame([{"check_id": "c1", "study_id": "a", "kind": "at_most", "parts": parts,
                                             "total": total, "description": "Relapses do not exceed responders"}])
    review.checks = pd.DataFrame([{"check_id": "c1", "description": "Relapses do not exceed responders",
                                   "expected": 12, "observed": 13, "status": "fail"}])
    return {f.outcome: f.domains[0] for f in certainty.findings(review)}


def test_a_figure_a_failing_check_can_only_blame_is_rated_down_for_it():
    rob = with_failing_check(parts="a-002", total="a-001:numerator")
    assert rob["relapse"].down == 1 and "this figure fails a check" in rob["relapse"].reason
    # the total is one term among others: named, not rated down (which figure is wrong is not known)
    assert rob["complete response"].down == 0
    assert "which figure is wrong is not known" in rob["complete response"].reason


def test_a_passing_check_changes_nothing():
    review = one_study_at_visits(visits=("12 months",))
    review.checks = pd.DataFrame([{"check_id": "c1", "description": "d", "expected": 1, "observed": 1,
                                   "status": "pass"}])
    (finding,) = certainty.findings(review)
    assert finding.domains[0].down == 0 and "check" not in finding.domains[0].reason


@pytest.mark.parametrize("chapter", ["itp", "aiha", "ttp", "evans_other"])
def test_a_chapters_summary_rests_on_the_rows_its_results_show(review, chapter):
    from rtxreview import chapters
    rows = chapters.with_topics(review).loc[chapters.disease_rows(review, chapter).index]
    results = set(chapters.rate_rows(rows)["evidence_id"])  # the chapter's "Response to rituximab" table
    shown = set(chapters.chapter_rows(review, chapter)["evidence_id"])
    for disease in chapters.chapter_diseases(review, chapter):
        critical = certainty.summary_of_findings(review, disease, importances=("critical",))
        for ids, is_pooled in zip(critical["evidence_ids"], critical["estimate"].str.endswith("pooled")):
            assert set(ids) <= (shown if is_pooled else results), (disease, ids)
        every = certainty.summary_of_findings(review, disease, importances=("critical", "important"))
        assert {e for ids in every["evidence_ids"] for e in ids} <= shown
    # and every response rate the chapter shows is rated (at some visit) in its summary or on the Appraisal page
    rated = {e for f in certainty.findings(review) for e in f.evidence_ids}
    assert results <= rated


@pytest.mark.parametrize("disease", ["ITP", "AIHA", "TTP"])
def test_references_shared_by_consecutive_findings_are_printed_once_per_run(review, disease):
    text = certainty.summary_of_findings_html(review, disease)
    repeats = 0
    for importance in ("critical", "important"):
        cited = [tuple(refs) for refs in
                 certainty.summary_of_findings(review, disease, importances=(importance,))["wider_literature"]]
        repeats += sum(1 for before, refs in zip(cited, cited[1:]) if refs and refs == before)
        for before, refs in zip([None, *cited], cited):
            if refs and refs != before:
                assert html.escape(refs[0]) in text
    assert text.count(certainty.SAME_LITERATURE) == repeats
    if disease == "ITP":
        assert repeats > 0, "ITP's findings of one outcome share their references"
