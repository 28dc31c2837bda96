"""The appraisal, definitions, context and reviewer-judgement tables: they validate, broken copies are
refused with file, line and column, every quote is verbatim in its source, and the charts are valid
Vega-Lite that follow the data (a new study is shown as not yet appraised)."""

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview import appraisal
from rtxreview.cli import main
from rtxreview.validate import DataValidationError, validate_package


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def edit(path: Path, row: int, column: str, value: str) -> None:
    rows = read_rows(path)
    rows[row + 1][rows[0].index(column)] = value
    write_rows(path, rows)


def validate_cli(data_dir: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture(scope="module")
def tables():
    return validate_package(DATA_DIR)


# --- the tables validate, and broken copies are refused ------------------------------------------

def test_new_tables_are_in_the_package_and_valid(tables):
    for name in ("appraisal", "definitions", "context", "certainty_judgements"):
        assert name in tables and len(tables[name])
    assert appraisal.problems(tables, DATA_DIR) == []


BROKEN_CELLS = [
    ("appraisal.csv", 0, "judgement", "probably", "judgement"),
    ("appraisal.csv", 3, "question", "Q11", "question"),
    ("appraisal.csv", 5, "study_id", "nobody_2020", "study_id"),
    ("appraisal.csv", 2, "quote", "", "quote"),
    ("definitions.csv", 0, "versus_standard", "roughly", "versus_standard"),
    ("definitions.csv", 9, "disease", "lupus", "disease"),
    ("context.csv", 0, "figure", "143.6", "figure"),
    ("context.csv", 1, "pmid", "PMID17200219", "pmid"),
    ("context.csv", 2, "doi", "doi:10.1080/x", "doi"),
    ("certainty_judgements.csv", 1, "judgement", "serious-ish", "judgement"),
    ("certainty_judgements.csv", 2, "domain", "bias", "domain"),
]


@pytest.mark.parametrize("file, row, column, value, named", BROKEN_CELLS)
def test_broken_cell_is_refused_with_file_line_and_column(file, row, column, value, named, data_copy, capsys):
    edit(data_copy / file, row, column, value)
    code, output = validate_cli(data_copy, capsys)
    assert code == 1
    line = row + 2
    assert re.search(rf"{re.escape(file)}: line {line} .*column '{named}'", output), output


def test_duplicate_appraisal_row_is_refused(data_copy, capsys):
    rows = read_rows(data_copy / "appraisal.csv")
    write_rows(data_copy / "appraisal.csv", rows + [rows[1]])
    code, output = validate_cli(data_copy, capsys)
    assert code == 1 and "appraisal.csv" in output and "duplicate" in output


BROKEN_RULES = [
    ("appraisal.csv", 0, "location", "", "location", "a quote needs its location"),
    ("appraisal.csv", 0, "quote", "not reported", "location", "a quote of 'not reported' has no location"),
    ("definitions.csv", 0, "study_id", "zhang_2021", "study_id", "a standard's definition has no study_id"),
    ("definitions.csv", 8, "study_id", "", "study_id", "a study's definition needs its study_id"),
    ("definitions.csv", 8, "versus_standard", "standard", "versus_standard", "only a standard's row is 'standard'"),
    ("context.csv", 4, "doi", "", "doi", "a reference figure needs a DOI or a PMID"),
    ("context.csv", 0, "ci_low", "50", "ci_low", "the lower confidence limit is above the figure"),
    ("context.csv", 0, "ci_high", "", "ci_low", "give both confidence limits or neither"),
    ("certainty_judgements.csv", 0, "study_id", "zhang_2021", "study_id", "a review-wide judgement has no study_id"),
    ("certainty_judgements.csv", 1, "study_id", "", "study_id", "a study's judgement needs its study_id"),
]


@pytest.mark.parametrize("file, row, column, value, named, message", BROKEN_RULES)
def test_cross_field_rules_name_file_line_and_column(file, row, column, value, named, message, data_copy):
    edit(data_copy / file, row, column, value)
    tables = validate_package(data_copy)  # the schema alone accepts these
    with pytest.raises(DataValidationError) as caught:
        appraisal.check(tables, data_copy)
    text = str(caught.value)
    assert f"{data_copy / file}: line {row + 2}" in text and f"column '{named}'" in text and message in text


def test_an_appraised_study_must_answer_every_question(data_copy):
    rows = read_rows(data_copy / "appraisal.csv")
    header = rows[0]
    kept = [r for r in rows[1:] if not (r[header.index("study_id")] == rows[1][0]
                                        and r[header.index("question")] == "Q7")]
    write_rows(data_copy / "appraisal.csv", [header] + kept)
    problems = appraisal.problems(validate_package(data_copy), data_copy)
    assert [(p.key, p.column, p.value) for p in problems] == [(f"study_id {rows[1][0]}", "question", "Q7")]


# --- quotes are verbatim ---------------------------------------------------------------------------

def _texts(sources: Path) -> dict[str, str]:
    studies = pd.read_csv(DATA_DIR / "studies.csv", dtype=str)
    return {row.study_id: fold((sources / row.source_document).read_text(encoding="utf-8"))
            for row in studies.itertuples()}


def test_every_appraisal_quote_is_verbatim_in_its_source(sources):
    texts = _texts(sources)
    table = pd.read_csv(DATA_DIR / "appraisal.csv", dtype=str, keep_default_na=False)
    missing = [f"{r.study_id} {r.question}: {r.quote!r}" for r in table.itertuples()
               if r.quote != appraisal.NOT_REPORTED and fold(r.quote) not in texts[r.study_id]]
    assert not missing, "appraisal quotes not found in their source:\n" + "\n".join(missing)


def test_every_source_definition_is_verbatim_in_its_source(sources):
    texts = _texts(sources)
    table = pd.read_csv(DATA_DIR / "definitions.csv", dtype=str, keep_default_na=False)
    studies = table[table["source_kind"] == "study"]
    missing = [f"{r.definition_id}: {r.definition!r}" for r in studies.itertuples()
               if r.definition != appraisal.NOT_REPORTED and fold(r.definition) not in texts[r.study_id]]
    assert not missing, "definitions not found in their source:\n" + "\n".join(missing)


def test_quotes_are_short_fragments():
    table = pd.read_csv(DATA_DIR / "appraisal.csv", dtype=str, keep_default_na=False)
    assert not [f"{r.study_id} {r.question}" for r in table.itertuples() if len(r.quote.split()) > 25]


def test_the_verbatim_check_can_fail(sources):
    texts = _texts(sources)
    assert fold("four of five patients achieved durable remission") in texts["ttp_series_5"]
    assert fold("five of five patients achieved durable remission") not in texts["ttp_series_5"]


# --- risk of bias per study ---------------------------------------------------------------------------

def _tables(answers: dict[str, dict[str, str]], studies=None) -> dict[str, pd.DataFrame]:
    ids = studies or list(answers)
    return {"studies": pd.DataFrame({"study_id": ids, "short_label": [s.upper() for s in ids]}),
            "appraisal": pd.DataFrame([{"study_id": s, "question": q, "judgement": j, "quote": "not reported",
                                        "location": None, "note": None}
                                       for s, qs in answers.items() for q, j in qs.items()])}


def _all(judgement: str, **overrides) -> dict[str, str]:
    return {**{q: judgement for q in appraisal.QUESTIONS}, **overrides}


@pytest.mark.parametrize("answers, level", [
    (_all("yes"), "low"),
    (_all("yes", Q9="not applicable"), "low"),
    (_all("yes", Q4="unclear"), "some concerns"),
    (_all("yes", Q6="no"), "some concerns"),
    (_all("yes", Q5="no"), "high"),
    (_all("yes", Q10="no"), "high"),
    (_all("unclear", Q1="yes", Q2="yes", Q3="yes", Q6="yes", Q10="yes"), "some concerns"),  # 5 of 10 yes
    (_all("yes", Q4="unclear", Q5="unclear", Q10="unclear"), "high"),  # selection and analysis all unclear
    (_all("yes", Q4="unclear", Q5="not applicable", Q10="unclear"), "high"),
    (_all("yes", Q4="unclear", Q5="unclear", Q10="yes"), "some concerns"),
    (_all("unclear", Q1="yes", Q2="yes", Q3="yes", Q6="yes"), "high"),  # 4 of 10 yes
    (_all("unclear", Q1="yes", Q2="yes", Q3="yes", Q6="yes", Q10="not applicable"), "high"),  # 4 of 9
])
def test_study_level_follows_the_stated_rule(answers, level):
    result = appraisal.study_risk_of_bias(_tables({"a": answers}))
    assert result.loc[0, "level"] == level


def test_a_study_without_rows_is_not_yet_appraised():
    result = appraisal.study_risk_of_bias(_tables({"a": _all("yes")}, studies=["a", "new_2026"]))
    assert result.set_index("study_id").at["new_2026", "level"] == appraisal.NOT_APPRAISED
    rows = appraisal.appraisal_rows(_tables({"a": _all("yes")}, studies=["a", "new_2026"]))
    assert set(rows[rows["study_id"] == "new_2026"]["judgement"]) == {appraisal.NOT_APPRAISED}


def test_real_levels(tables):
    levels = appraisal.study_risk_of_bias(tables).set_index("study_id")["level"]
    assert set(levels.index) == set(tables["studies"]["study_id"])
    assert set(levels) <= {"low", "some concerns", "high"}


# --- charts ------------------------------------------------------------------------------------------

def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_traffic_light_is_valid_vega_lite_with_one_mark_per_study_and_question(tables):
    spec = appraisal.traffic_light_chart(tables).to_dict()  # validates against the Vega-Lite schema
    data = next(iter(spec["datasets"].values()))
    assert len(data) == len(tables["studies"]) * len(appraisal.QUESTIONS)
    marks = next(layer for layer in _layers(spec) if layer["mark"]["type"] == "point")
    scale = marks["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"])) == {j: appraisal.JUDGEMENT_COLOURS[j] for j in scale["domain"]}
    shapes = marks["encoding"]["shape"]["scale"]  # told by shape too, not by colour alone
    assert dict(zip(shapes["domain"], shapes["range"])) == {j: appraisal.JUDGEMENT_SHAPES[j] for j in shapes["domain"]}
    assert len(set(shapes["range"])) == len(shapes["range"])
    answered = {(r["short_label"], r["question"]): r["judgement"] for r in data}
    real = tables["appraisal"].merge(tables["studies"][["study_id", "short_label"]], on="study_id")
    assert answered == {(r.short_label, r.question): r.judgement for r in real.itertuples()}


def test_traffic_light_shows_a_new_study_as_not_yet_appraised(tables):
    studies = pd.concat([tables["studies"], pd.DataFrame([{"study_id": "new_2026", "short_label": "New 2026"}])])
    spec = appraisal.traffic_light_chart({**tables, "studies": studies}).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert {r["judgement"] for r in data if r["short_label"] == "New 2026"} == {appraisal.NOT_APPRAISED}
    marks = next(layer for layer in _layers(spec) if layer["mark"]["type"] == "point")
    assert appraisal.NOT_APPRAISED in marks["encoding"]["color"]["scale"]["domain"]


def test_question_summary_is_valid_vega_lite_and_shares_add_up(tables):
    spec = appraisal.question_summary_chart(tables).to_dict()
    data = next(iter(spec["datasets"].values()))
    by_question: dict[str, float] = {}
    for r in data:
        by_question[r["question"]] = by_question.get(r["question"], 0) + r["share"]
    assert set(by_question) == set(appraisal.QUESTIONS)
    assert all(abs(total - 1) < 1e-9 for total in by_question.values())
    summary = appraisal.question_summary(tables)
    q10 = summary[summary["question"] == "Q10"].set_index("judgement")["studies"].to_dict()
    real = tables["appraisal"][tables["appraisal"]["question"] == "Q10"]["judgement"].value_counts().to_dict()
    assert q10 == real


def test_problems_name_the_line_inside_the_validator_too(data_copy):
    edit(data_copy / "context.csv", 4, "doi", "")
    tables = validate_package(data_copy)
    inside = {name: frame.set_axis(frame.index + 2) for name, frame in tables.items()}  # index = CSV line
    assert [p.line for p in appraisal.problems(inside, data_copy, index_is_line=True)] == [6]
    assert [p.line for p in appraisal.problems(tables, data_copy)] == [6]


# --- definitions and the wider literature -------------------------------------------------------------

def test_definitions_by_disease_put_the_standard_first_and_follow_the_data(tables):
    itp = appraisal.definitions_by_disease(tables, "ITP")
    complete = itp[itp["outcome"] == "complete response"]
    assert complete.iloc[0]["versus_standard"] == "standard"
    real = tables["definitions"][(tables["definitions"]["outcome"] == "complete response")
                                 & tables["definitions"]["disease"].isin(["ITP", "mixed cytopenias"])]
    assert len(complete) == len(real)
    table = appraisal.comparable_outcomes(tables, "ITP").set_index("outcome")
    for row in real[real["source_kind"] == "study"].itertuples():
        label = tables["studies"].set_index("study_id").at[row.study_id, "short_label"]
        assert label in table.at["complete response", row.versus_standard]


def test_reference_chart_is_valid_vega_lite_with_every_matching_figure(tables):
    spec = appraisal.reference_chart(tables, "ITP", "complete response").to_dict()
    data = next(iter(spec["datasets"].values()))
    context = tables["context"]
    expected = context[(context["disease"] == "ITP")
                       & context["review_outcomes"].str.split("; ").map(lambda o: "complete response" in o)]
    assert sorted(r["figure"] for r in data) == sorted(expected["figure"] / 100)
    assert "external" in spec["layer"][1]["encoding"]["x"]["title"]
    assert appraisal.reference_chart(tables, "ITP", "an outcome nobody reports") is None
