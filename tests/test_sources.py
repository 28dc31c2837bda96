"""Every extracted number is traceable: each quote is verbatim in its source, and each number
printed in a source lies inside some quote (a reader can find any number's row)."""

import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA_DIR

# Numbers in the sources that are not reported quantities, each with its reason. They are masked
# before the coverage check; everything else printed as digits must be inside a quote.
NOT_QUANTITIES = [
    (r"CD\d+\+?|\bC[34]\b|complement 3|β ?2 ?GPI|β 2-glycoprotein", "marker and antigen names"),
    (r"\[\d+(?:,\d+)*\]|\^\{[\d,–-]+\}", "citation markers"),
    (r"\(Rodeghiero,Blood,2009\)", "citation"),
    (r"Received: \d+ \w+ \d{4}|accepted: \d+ \w+ \d{4}", "submission and acceptance dates"),
    (r"Ther Adv Chronic Dis \d{4}, Vol\. \d+: [\d–]+", "journal volume line"),
    (r"DOI: 10\.\d+/ ?\d+|\(\d+\), \d{4}\.|© The Author\(s\), \d{4}", "DOI and copyright"),
    (r"No\. 1 Shuaifuyuan|Beijing \d+|wangli\d+@", "postal and e-mail address"),
    (r"\(SLICC\)-2012", "name of a classification standard"),
    (r"No\. S-K\d+|approval number: S-K\d+", "ethics approval number"),
    (r"SPSS \d+\.\d+|version \d+\.\d+\.\d+", "software versions"),
    (r"Table 1|Figure [12]|Month (?:0|1|3|6|12)(?= Month| 1 F| Adverse)|PLT count, \$\\times 10\^9/L\$",
     "table and figure labels, table headings"),
    (r"grant number \w+", "grant numbers"),
    (r"orcid\.org/[\d-]+", "ORCID identifiers"),
]
REFERENCES_START = " References 1."


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def texts(sources) -> dict[str, str]:
    studies = pd.read_csv(DATA_DIR / "studies.csv", dtype=str)
    return {row.study_id: fold((sources / row.source_document).read_text(encoding="utf-8"))
            for row in studies.itertuples()}


def quotes() -> pd.DataFrame:
    evidence = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False)
    patients = pd.read_csv(DATA_DIR / "patients.csv", dtype=str, keep_default_na=False)
    patients["evidence_id"] = "patient " + patients["patient"] + " " + patients["measure"]
    return pd.concat([evidence[["evidence_id", "study_id", "quote"]], patients[["evidence_id", "study_id", "quote"]]])


def test_every_quote_is_verbatim_in_its_source(texts):
    missing = [f"{row.evidence_id}: {row.quote!r}" for row in quotes().itertuples()
               if fold(row.quote) not in texts[row.study_id]]
    assert not missing, "quotes not found in their source:\n" + "\n".join(missing)


def test_every_quote_contains_its_number():
    evidence = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False)
    for row in evidence.itertuples():
        digits = re.findall(r"\d+(?:\.\d+)?", row.reported)
        folded = fold(row.quote).replace("–", "-").replace(" ", "")
        for number in digits:
            assert number in folded, f"{row.evidence_id}: {number} (of {row.reported!r}) is not in its quote"


def test_quotes_are_short_fragments():
    too_long = [row.evidence_id for row in quotes().itertuples() if len(row.quote.split()) > 25]
    assert not too_long, f"quotes over 25 words: {too_long}"


def uncovered_numbers(text: str, spans: list[tuple[int, int]]) -> list[str]:
    text = text.split(REFERENCES_START)[0]
    for pattern, _reason in NOT_QUANTITIES:
        text = re.sub(pattern, lambda m: "#" * len(m.group()), text)
    return [text[max(0, m.start() - 40):m.end() + 15] for m in re.finditer(r"\d+(?:\.\d+)?", text)
            if not any(a <= m.start() and m.end() <= b for a, b in spans)]


def test_every_printed_number_is_in_some_quote(texts):
    spans = {study: [] for study in texts}
    for row in quotes().itertuples():
        text, quote = texts[row.study_id], fold(row.quote)
        spans[row.study_id] += [(m.start(), m.end()) for m in re.finditer(re.escape(quote), text)]
    uncovered = {study: uncovered_numbers(text, spans[study]) for study, text in texts.items()}
    report = [f"{study}: ...{context}..." for study, found in uncovered.items() for context in found]
    assert not report, "numbers printed in a source but in no row's quote:\n" + "\n".join(report)


def test_coverage_check_can_fail():
    text = "Of 12 patients, 7 responded."
    assert uncovered_numbers(text, [(0, 14)]) == ["Of 12 patients, 7 responded."]
