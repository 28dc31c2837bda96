"""One finding, several printings: the rule that a table of results, the bottom line and the GRADE
ratings share (rtxreview.selection.same_findings)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview import certainty, chapters, selection
from rtxreview.report import load_review


@pytest.fixture(scope="module")
def review():
    return load_review(DATA_DIR)


def printing(base: pd.Series, evidence_id: str, **changes) -> pd.Series:
    row = base.copy()
    row["evidence_id"] = evidence_id
    for column, value in changes.items():
        row[column] = value
    return row


@pytest.fixture
def count_row(review) -> pd.Series:
    rows = review.rows
    counted = rows[rows["statistic"].eq("count") & rows["numerator"].notna() & rows["denominator"].notna()]
    return counted.iloc[0]


def frame(*rows: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).reset_index(drop=True)


def test_a_count_printed_again_as_a_percentage_is_one_finding_kept_with_its_count(count_row):
    k, n = int(count_row["numerator"]), int(count_row["denominator"])
    bare = printing(count_row, "x-abstract", statistic="percent", reported=f"{100 * k / n:.1f}", numerator=None,
                    compatible=(k,), location="Abstract")
    counted = printing(count_row, "x-results", location="Results")
    found = selection.one_per_finding(frame(bare, counted))
    assert list(found["evidence_id"]) == ["x-results"]  # the printing with its count speaks for both
    assert list(found["printings"]) == [("x-abstract", "x-results")]


def test_other_denominators_or_counts_are_other_findings(count_row):
    n = int(count_row["denominator"])
    rows = frame(count_row, printing(count_row, "x-other-total", denominator=n + 1),
                 printing(count_row, "x-other-count", numerator=int(count_row["numerator"]) + 1),
                 printing(count_row, "x-other-time", timepoint="12 months"))
    assert len(selection.same_findings(rows)) == 4


def test_a_percentage_whose_count_is_not_known_stands_alone(count_row):
    unknown = dict(statistic="percent", reported="50", numerator=None, compatible=(3, 4))
    rows = frame(printing(count_row, "x-1", **unknown), printing(count_row, "x-2", **unknown))
    assert [tuple(g["evidence_id"]) for g in selection.same_findings(rows)] == [("x-1",), ("x-2",)]


def test_equal_single_values_are_different_patients_but_a_group_median_printed_twice_is_one(count_row):
    values = frame(*(printing(count_row, f"v-{i}", statistic="value", reported="29", numerator=None)
                     for i in range(2)))
    medians = frame(*(printing(count_row, f"m-{i}", statistic="median", reported="21", numerator=None,
                               location=place) for i, place in enumerate(("Abstract", "Results"))))
    assert len(selection.same_findings(values)) == 2
    assert [tuple(g["evidence_id"]) for g in selection.same_findings(medians)] == [("m-0", "m-1")]


def test_no_rows_no_findings(review):
    empty = review.rows.iloc[0:0]
    assert selection.same_findings(empty) == []
    assert selection.one_per_finding(empty).empty


def repeated_finding(review) -> pd.DataFrame:
    rates = review.rows[review.rows["context"].eq("result") & selection.proportions(review.rows)]
    group = next((g for g in selection.same_findings(rates) if len(g) > 1), None)
    assert group is not None, "the data hold a count printed more than once"
    return group


def test_a_results_table_shows_a_finding_once_with_where_it_is_printed(review):
    group = repeated_finding(review)
    html = chapters.results_table(review, group, "Results").data
    assert len(re.findall(r"<tr><td>", html)) == 1
    assert f"Printed {chapters.fmt.number_word(len(group))} times" in html
    for place in group["location"]:
        assert place in html


@pytest.mark.parametrize("chapter", [*chapters.DISEASE_CHAPTERS, chapters.OTHER_CHAPTER])
def test_a_chapters_results_table_has_as_many_rows_as_findings(review, chapter):
    rows = chapters.rate_rows(chapters.with_topics(review).loc[chapters.chapter_index(review, chapter)])
    html = chapters.results_table(review, rows, "Results").data
    estimable = chapters._estimable(review, selection.one_per_finding(rows))
    assert len(re.findall(r"<tr><td>", html)) == len(estimable)


def test_the_grade_findings_group_printings_by_the_same_rule(review):
    rated = {f.evidence_ids for f in certainty.findings(review) if f.note == "" and len(f.rows) == 1}
    group = tuple(repeated_finding(review)["evidence_id"])
    assert group in rated


@pytest.mark.parametrize("chapter", [*chapters.DISEASE_CHAPTERS, chapters.OTHER_CHAPTER])
def test_the_sources_sentence_counts_the_chapters_sources_in_words(review, chapter):
    studies = chapters.studies_of(review, chapters.disease_rows(review, chapter))
    text = chapters.sources_sentence(review, chapter)
    total = len(review.tables["studies"])
    assert text.startswith(chapters.of_all(len(studies), total).capitalize())
    expected = {1: " without a control group", 2: "both without a control group"}.get(len(studies),
                                                                                     "all without a control group")
    assert expected in text and (len(studies) == 2) == ("both" in text), text
    for label in studies["short_label"]:
        assert chapters.fmt.markdown_text(label) in text


def test_the_count_that_groups_printings_is_the_count_pooling_uses(review):
    from rtxreview.pooling import EstimateError, events_and_total
    rows = review.rows[review.rows["statistic"].isin(selection.RATE_STATISTICS)]
    keys = selection._value_keys(rows)
    inferred = 0
    for (_, row), key in zip(rows.iterrows(), keys):
        try:
            events, _, how = events_and_total(row)
            expected, inferred = str(events), inferred + (how != "printed")
        except EstimateError:  # no proportion; a count without its group size is still its count
            expected = (str(int(row["numerator"])) if row["statistic"] == "count" and pd.notna(row["numerator"])
                        else f"only {row['evidence_id']}")
        assert key == expected, row["evidence_id"]
    assert inferred, "the data hold percentages whose count is inferred"


def test_only_a_denominator_that_a_failing_check_contradicts_alone_is_doubtful(review):
    doubtful = selection.doubtful_denominators(review)
    status = review.checks.set_index("check_id")["status"]
    checks = review.tables["checks"].set_index("check_id")
    expected = {}
    for check_id, check in checks.iterrows():
        terms = check["parts"].split()
        if len(terms) == 1 and terms[0].endswith(":denominator") and status[check_id] == "fail":
            expected.setdefault(terms[0].split(":")[0], []).append(check_id)
    assert doubtful == expected and doubtful, "the data hold a denominator that a failing check contradicts"
    several = [c for c, check in checks.iterrows() if status[c] == "fail" and len(check["parts"].split()) > 1]
    assert several, "the data hold a failing check with several parts"
    for check_id in several:  # which of several parts is wrong is not known: none is marked
        for term in checks.at[check_id, "parts"].split():
            assert check_id not in doubtful.get(term.split(":")[0], [])


def test_no_proportion_is_estimated_from_a_contradicted_denominator(review):
    doubtful = selection.doubtful_denominators(review)
    rows = review.rows[review.rows["evidence_id"].isin(doubtful) & selection.proportions(review.rows)
                       & review.rows["numerator"].notna()]
    assert len(rows), "a count with its denominator is among them"
    assert chapters._estimable(review, rows).empty
    page = chapters.results_table(review, rows, "Relapse").data
    row = rows.iloc[0]
    assert f"{int(row['numerator'])}/{int(row['denominator'])}" in page and not re.search(r"\d\.\d%", page)
    assert "not estimated" in page
    finding = next(f for f in certainty.findings(review) if row["evidence_id"] in f.evidence_ids)
    assert finding.estimate is None and finding.ci_low is None
    assert doubtful[row["evidence_id"]][0] in certainty.estimate_text(finding)
    assert "about" not in certainty.statement(finding)


def test_a_comparison_says_when_a_check_on_its_groups_fails(review):
    found = chapters.comparisons(review, review.rows)
    failing = chapters.failing_checks_by_row(review)
    flagged = [c for c in found.itertuples() if any(g in failing for g in c.groups)]
    clean = [c for c in found.itertuples() if not any(g in failing for g in c.groups)]
    assert flagged and clean, "the data hold comparisons with and without a failing check on their groups"
    for comparison, expect in ((flagged[0], True), (clean[0], False)):
        rows = review.rows[review.rows["evidence_id"].eq(comparison.evidence_id)]
        text = chapters.comparisons_markdown(review, rows)
        assert ("A check on these groups' counts fails" in text) is expect, text
        for check in {c for g in comparison.groups for c in failing.get(g, [])}:
            assert check in text


def test_a_study_only_on_a_chapters_diseases_has_all_its_patients_with_them(review):
    single = 0
    for study_id, study in review.tables["studies"].set_index("study_id").iterrows():
        own = set(review.select(studies=[study_id])["disease"]) - set(selection.NOT_A_DISEASE)
        for chapter in [*chapters.DISEASE_CHAPTERS, chapters.OTHER_CHAPTER]:
            diseases = chapters.chapter_diseases(review, chapter)
            if own and own <= set(diseases):
                single += 1
                assert selection._patients_with(review, study_id, diseases) == study["patients_enrolled"]
                assert "not stated" not in chapters.sources_sentence(review, chapter).split(study["short_label"])[1][:80]
    assert single, "the data hold a study on one disease only"


def test_a_count_printed_again_without_its_group_is_one_row_of_a_facts_table(review):
    counts = review.rows[review.rows["statistic"].eq("count") & review.rows["denominator"].isna()
                         & review.rows["numerator"].notna()]
    group = next((g for g in selection.same_findings(counts) if len(g) > 1), None)
    assert group is not None, "the data hold a count printed more than once without its group size"
    page = chapters.facts_table(group, "Facts").data
    assert len(re.findall(r"<tr><td>", page)) == 1
    assert f"Printed {chapters.fmt.number_word(len(group))} times" in page


def test_diseases_with_the_same_definitions_share_one_table(review, monkeypatch):
    from rtxreview import appraisal
    shown = []
    monkeypatch.setattr(chapters, "display", shown.append)
    chapter = chapters.OTHER_CHAPTER
    chapters.show_definitions(review, chapter)
    tables = [o.data for o in shown if hasattr(o, "data") and "<table" in str(o.data)]
    distinct = {appraisal.definitions_by_disease(review.tables, d).to_csv(index=False)
                for d in chapters.chapter_diseases(review, chapter)
                if not appraisal.definitions_by_disease(review.tables, d).empty}
    assert len(tables) == len(distinct) < len(chapters.chapter_diseases(review, chapter)), len(tables)
