"""The extraction rules of data/EXTRACTION.md hold on the data: bounds are recorded one way and
audited as bounds, group sizes printed elsewhere are inferred, labels are the source's own."""

import re

import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview.audit import audit
from rtxreview.bounds import bounded_value
from rtxreview.validate import validate_package

# How each relation is printed in the sources, before the number ({n}) or after it.
RELATION_WORDS = {
    "at least": [r"at least (?:a )?{n}", r"≥ ?{n}", r"{n} or more"],
    "up to": [r"up to {n}", r"within {n}", r"≤ ?{n}"],
    "less than": [r"\$?< ?{n}", r"less than {n}"],
    "more than": [r"\$?> ?{n}", r"more than {n}"],
}


@pytest.fixture(scope="module")
def evidence() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).set_index("evidence_id")


@pytest.fixture(scope="module")
def audited() -> pd.DataFrame:
    return audit(validate_package(DATA_DIR)).set_index("evidence_id")


def relations_in_quote(row) -> set[str]:
    """The relations printed right before or after the row's number in its quote."""
    quote = row["quote"].replace("–", "-")
    number = re.escape(row["reported"].replace("–", "-"))
    found = set()
    for relation, forms in RELATION_WORDS.items():
        for form in forms:
            if re.search(r"(?<![\w.])" + form.format(n=number) + r"(?![\w.])", quote):
                found.add(relation)
    return found


# --- bounds ------------------------------------------------------------------------------------

def test_every_number_printed_with_a_relation_is_a_bound_and_only_those(evidence):
    """'at least 13 patients' is a bound (qualifier 'at least'), not a count of 13; and a row with a
    qualifier prints that relation beside its number."""
    rows = evidence[evidence["statistic"] != "p_value"]
    printed = {eid: relations_in_quote(row) for eid, row in rows.iterrows()}
    missing = [f"{eid}: {sorted(rel)} in {rows.at[eid, 'quote']!r}" for eid, rel in printed.items()
               if rel and rows.at[eid, "qualifier"] not in rel]
    assert not missing, "numbers printed with a relation but recorded as points:\n" + "\n".join(missing)
    unprinted = [eid for eid, rel in printed.items() if rows.at[eid, "qualifier"] and rows.at[eid, "qualifier"] not in rel]
    assert not unprinted, f"qualifier without its relation beside the number in the quote: {unprinted}"


def test_relation_detection_can_fail():
    row = {"quote": "Manageable reactions were observed in at least 13 patients", "reported": "13"}
    assert relations_in_quote(row) == {"at least"}
    assert relations_in_quote({"quote": "in 113 patients", "reported": "13"}) == set()
    assert relations_in_quote({"quote": "(<12 months, N=42)", "reported": "1"}) == set()


@pytest.mark.parametrize("evidence_id, qualifier, reported", [
    ("retro_series_147-054", "at least", "13"), ("retro_series_147-009", "at least", "3"),
    ("retro_series_147-037", "up to", "6"), ("alem_renal_41-072", "at least", "1"),
    ("zhang_2021-037", "at least", "one"), ("zhang_2021-043", "at least", "two"),
    ("alem_renal_41-005", "less than", "1"),
])
def test_the_bounds_the_re_extraction_found(evidence, evidence_id, qualifier, reported):
    assert (evidence.at[evidence_id, "qualifier"], evidence.at[evidence_id, "reported"]) == (qualifier, reported)


def test_a_bounded_count_is_not_audited_as_a_rate(audited):
    # at least 13 of 147: a count with a denominator would be 'not_reported' with 13/147 = 8.8% computed;
    # as a bound it is not_checkable, and the explanation gives the bound on the proportion.
    row = audited.loc["retro_series_147-054"]
    assert (row["verdict"], row["recomputed"], row["qualifier"]) == ("not_checkable", "", "at least")
    assert "≥ 13 patients" in row["explanation"] and "≥ 8.8%" in row["explanation"]
    percent_bound = audited.loc["alem_renal_41-005"]
    assert percent_bound["verdict"] == "not_checkable" and "< 1%" in percent_bound["explanation"]


def test_audit_of_tables_without_bounds_is_unchanged():
    """A bound's count would otherwise get a computed rate: the qualifier alone makes the difference."""
    studies = pd.DataFrame({"study_id": ["s"], "source_document": ["000_0000000000000000.txt"]})
    evidence = pd.DataFrame({"evidence_id": ["s-001", "s-002"], "study_id": "s", "statistic": "count",
                             "reported": ["13", "13"], "numerator": pd.array([13, 13], "Int64"),
                             "denominator": pd.array([147, 147], "Int64"), "denominator_source": "stated",
                             "unit": "patients", "qualifier": [pd.NA, "at least"]})
    result = audit({"studies": studies, "evidence": evidence}).set_index("evidence_id")
    assert result.loc["s-001", ["verdict", "recomputed"]].tolist() == ["not_reported", "8.8"]
    assert result.loc["s-002", ["verdict", "recomputed"]].tolist() == ["not_checkable", ""]
    without = audit({"studies": studies, "evidence": evidence.drop(columns="qualifier")})
    assert without["verdict"].tolist() == ["not_reported", "not_reported"]


@pytest.mark.parametrize("reported, qualifier, unit, text", [
    ("13", "at least", "patients", "≥ 13 patients"), ("1", "less than", "%", "< 1%"),
    ("6", "up to", "months", "≤ 6 months"), ("120", "more than", "g/L", "> 120 g/L"),
    ("one", "at least", "courses", "at least one course"), ("0.05", "less than", "", "< 0.05"),
    ("72.9", None, "%", "72.9%"), ("72.9", "", "%", "72.9%"), ("375", pd.NA, "mg/m2", "375 mg/m²"),
])
def test_bounded_value(reported, qualifier, unit, text):
    assert bounded_value(reported, qualifier, unit) == text


def test_bounded_value_refuses_an_unknown_qualifier():
    with pytest.raises(ValueError, match="unknown qualifier"):
        bounded_value("3", "about", "")


# --- statements without numbers ---------------------------------------------------------------

# Words that say how many patients, or how a comparison came out, without a number.
STATEMENT_WORDS = [r"\b(?:all|every|another)\b[^.;:()]{0,25}?\b(?:patients?|pts|participants)\b",
                   r"\b(?:all|every)\b (?:received|maintained)\b", r"\bno\b[^.;]{0,60}?\bw(?:as|ere) observed",
                   r"\bdid not (?:also )?(?:differ|influence)\w*", r"\bcorrelated well\b", r"\bnot given\b",
                   r"\bthe non-responder\b"]
# Matches that are not statements of the study's patients without a number (EXTRACTION.md), with why.
NOT_STATEMENTS = {
    "All patients in that study received rituximab": "about other work",
    "all other patients were observed for symptoms": "monitoring",
    "All the patients from our center provided written informed consent": "consent",
    "no significant differences were observed ($p = 0.34$)": "printed with its number: a p_value row",
}


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_statement_without_a_number_is_a_statement_row(sources, evidence):
    """One rule in all five sources: each such statement lies inside the quote of a `statement` row."""
    studies = pd.read_csv(DATA_DIR / "studies.csv", dtype=str)
    statements = evidence[evidence["statistic"] == "statement"]
    missing = []
    for study in studies.itertuples():
        text = fold((sources / study.source_document).read_text(encoding="utf-8")).split(" References 1.")[0]
        spans = [(m.start(), m.end()) for quote in statements.loc[statements["study_id"] == study.study_id, "quote"]
                 for m in re.finditer(re.escape(fold(quote)), text)]
        excluded = [(m.start(), m.end()) for phrase in NOT_STATEMENTS for m in re.finditer(re.escape(phrase), text)]
        for pattern in STATEMENT_WORDS:
            for m in re.finditer(pattern, text, flags=re.IGNORECASE):
                if not any(a <= m.start() and m.end() <= b for a, b in spans + excluded):
                    missing.append(f"{study.study_id}: ...{text[max(0, m.start() - 40):m.end() + 30]}...")
    assert not missing, "statements without a number and without a statement row:\n" + "\n".join(missing)


@pytest.mark.parametrize("phrase", ["did not also differ significantly", "No severe acute or delayed toxicity",
                                    "all ITP pts maintained a response", "all received RTX",
                                    "all AIHA pts maintained a response", "another patient developed an allergic",
                                    "all participants were women"])
def test_the_statements_the_re_extraction_found(evidence, phrase):
    rows = evidence[evidence["quote"].str.contains(phrase, regex=False)]
    assert (rows["statistic"] == "statement").any(), phrase


def test_a_statement_is_not_recomputed(audited):
    row = audited.loc["zhang_2021-073"]
    assert (row["statistic"], row["verdict"], row["reported"]) == ("statement", "not_checkable", "all")


# --- group sizes and labels --------------------------------------------------------------------

@pytest.mark.parametrize("evidence_id", [f"zhang_2021-{i:03d}" for i in (71, 72, 75, 76, 95, 96, 97, 98, 99, 100,
                                                                          115, 116)])
def test_group_size_printed_in_an_earlier_sentence_is_inferred(evidence, evidence_id):
    row = evidence.loc[evidence_id]
    assert row["denominator_source"] == "inferred" and row["note"].startswith("inferred: n = the ")
    assert not re.search(rf"(?<![\d.]){row['denominator']}(?![\d.])", row["quote"])  # n not printed with it


def test_no_note_says_an_extracted_number_was_not_extracted(evidence):
    assert not evidence["note"].str.contains("not extracted").any()


def test_summary_statistics_of_the_patients_have_a_group_size_or_say_why_not(evidence):
    own = evidence[evidence["context"].isin(["result", "baseline"])
                   & evidence["statistic"].isin(["mean", "sd", "median", "range", "iqr"])]
    silent = own[(own["denominator"] == "") & ~own["note"].str.startswith("no group size")]
    assert silent.empty, f"no group size and no note saying why: {list(silent.index)}"
    for quote, rows in own.groupby("quote"):
        assert rows["denominator"].nunique() == 1, f"one sentence, two group sizes: {list(rows.index)}"


def test_labels_are_the_sources_own(evidence):
    # The nadirs are printed for no group: no disease is asserted.
    assert set(evidence.loc[[f"alem_renal_41-{i:03d}" for i in (19, 20, 21, 22)], "disease"]) == {"mixed cytopenias"}
    # An outcome named 'complete response' where the source says 'complete remission' (and not response).
    says_remission = evidence["quote"].str.contains("complete remission") & ~evidence["quote"].str.contains(
        r"complete response|\bCR\b")
    assert not (says_remission & evidence["outcome"].str.contains("complete response")).any()
    assert evidence.at["ttp_multicentre_22-024", "outcome"] == "complete remission"


def test_t_test_derivations_state_their_assumption():
    derivations = pd.read_csv(DATA_DIR / "derivations.csv", dtype=str)
    t_tests = derivations[derivations["method"] == "paired_t_test"]
    assert len(t_tests) == 3
    assert t_tests["description"].str.contains("Student's t test").all()
    assert t_tests["description"].str.contains("paired test .* is assumed").all()
