"""The clinical bottom line of each chapter: every question answered from the chapter's rows."""

from __future__ import annotations

import re

import pytest

from conftest import DATA_DIR
from rtxreview import bottom_line as bl, certainty, chapters
from rtxreview import text as fmt
from rtxreview.report import load_review

QUESTIONS = ("In whom", "What regimen", "How often", "How fast", "How durable", "At what harm", "How certain")
CHAPTERS = (*chapters.DISEASE_CHAPTERS, chapters.OTHER_CHAPTER)


@pytest.fixture(scope="module")
def review():
    return load_review(DATA_DIR)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_question_is_answered_once_in_order(review, chapter):
    text = chapters.bottom_line(review, chapter)
    found = re.findall(r"^- \*\*([^*]+)\.\*\*", text, flags=re.M)
    assert found == list(QUESTIONS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_brief_form_keeps_how_often_and_how_certain_without_the_list(review, chapter):
    full, brief = chapters.bottom_line(review, chapter), chapters.bottom_line(review, chapter, brief=True)
    assert "\n- " not in brief
    rows = chapters.with_topics(review).loc[chapters.disease_rows(review, chapter).index]
    assert bl._how_often(review, rows) in brief and bl._how_often(review, rows) in full
    assert bl._how_certain(review, chapter) in brief


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_how_certain_counts_the_chapters_rated_findings(review, chapter):
    diseases = chapters.chapter_diseases(review, chapter)
    rated = [f for f in certainty.findings(review) if f.disease in diseases and f.rituximab]
    text = bl._how_certain(review, chapter)
    if not rated:
        assert text.startswith("No finding")
        return
    for level in {f.certainty for f in rated}:
        assert level in text
    words = {1: "the only finding", 2: "both findings"}
    if len({f.certainty for f in rated}) == 1:
        assert words.get(len(rated), f"all {fmt.number_word(len(rated))} findings") in text


def test_a_figure_in_a_failing_check_is_flagged_where_it_is_named(review):
    failing = chapters.failing_checks_by_row(review)
    rows = chapters.with_topics(review)
    durability = rows[rows["topic"].eq("durability") & rows["context"].eq("result")
                      & chapters.given_rituximab(rows) & rows["statistic"].ne("p_value")]
    flagged = durability[durability["evidence_id"].isin(failing)]
    assert len(flagged), "the data hold a durability figure in a failing check"
    clean = durability[~durability["evidence_id"].isin(failing) & ~durability["verdict"].eq("inconsistent")]
    for frame, expect in ((flagged.head(1), True), (clean.head(1), False)):
        text = bl._phrases(review, frame, "itp", none="none")
        assert ("a check on this figure fails" in text) is expect, text


def test_equal_values_of_different_rows_are_all_named(review):
    rows = chapters.with_topics(review)
    values = rows[rows["statistic"].eq("value") & rows["context"].eq("result") & rows["topic"].eq("durability")]
    grouped = values.groupby(["study_id", "outcome", "timepoint", "subgroup"], dropna=False)
    repeated = next((g for _, g in grouped if g["reported"].duplicated().any()), None)
    assert repeated is not None, "the data hold one outcome printed with the same value for two patients"
    text = bl._phrases(review, repeated, "ttp", none="none")
    value = repeated["reported"][repeated["reported"].duplicated()].iloc[0]
    assert len(re.findall(rf"\b{re.escape(value)} month", text)) == (repeated["reported"] == value).sum()


def test_a_question_without_rows_says_so_in_one_sentence(review):
    empty = chapters.with_topics(review).iloc[0:0]
    assert bl._how_fast(review, empty, "itp") == "No source reports how soon responses came with rituximab."
    assert bl._how_durable(review, empty, "itp").startswith("No source reports relapse")


def test_a_dose_per_square_metre_never_reads_as_a_flat_dose(review):
    text = chapters.bottom_line(review, "itp")
    assert "mg/m2" not in text
    for regimen in review.tables["studies"]["regimens"]:
        if "mg/m2" in regimen:
            assert regimen.replace("mg/m2", "mg/m²") in bl._what_regimen(
                review.tables["studies"][review.tables["studies"]["regimens"].eq(regimen)])


def test_a_proportion_has_its_denominator_and_is_not_a_bound():
    import pandas as pd
    from rtxreview.selection import proportions
    rows = pd.DataFrame({"statistic": ["count", "percent", "percent", "count", "median"],
                         "denominator": [20, 20, None, 147, 20], "qualifier": ["", "", "", "at least", ""]})
    assert list(proportions(rows)) == [True, True, False, False, False]
    assert list(proportions(rows, require_denominator=False)) == [True, True, True, False, False]


def test_a_state_follows_its_count_and_an_event_precedes_it(review):
    rows = chapters.with_topics(review)
    state = chapters.rate_rows(rows)
    state = state[state["outcome"].str.startswith("in ")]
    assert len(state), "the data hold a state outcome ('in remission') with its denominator"
    outcome = state["outcome"].iloc[0]
    text = bl._how_often(review, rows[rows["outcome"].eq(outcome) & chapters.given_rituximab(rows)])
    assert re.search(rf"\d+ of \d+†? {re.escape(outcome)}\b", text) and f"{outcome} in " not in text, text
    events = chapters.rate_rows(rows)
    event = events[~events["outcome"].str.startswith("in ")]["outcome"].iloc[0]
    text = bl._how_often(review, rows[rows["outcome"].eq(event)])
    assert f"{event} in " in text, text


def test_how_often_marks_inferred_counts_and_names_what_a_denominator_counts(review):
    import pandas as pd
    rows = chapters.with_topics(review)
    text = bl._how_often(review, rows)
    counting = review.tables["counting"]
    uses = set(counting.loc[counting["counted"].eq("treatment uses"), "evidence_id"])
    response = set(chapters.rate_rows(rows)["evidence_id"])
    assert uses & response, "the data hold a response counted in treatment uses"
    assert re.search(r"\d+ of \d+ treatment uses", text), text
    assert bl.INFERRED_MARK in text and "Inferred by the review" in text
    printed = [e for e in response if review.row(e)["denominator_source"] == "stated"
               and pd.notna(review.row(e)["numerator"])]
    assert printed, "the data hold a response printed with its count and group size"
    assert bl.INFERRED_MARK not in bl._how_often(review, rows[rows["evidence_id"].isin(printed)])
