"""The audit, the arithmetic checks and the per-patient re-derivation on the real data and on
small hand-made cases. Expected values are worked out by hand in the comments."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import DATA_DIR, REPO
from rtxreview import ipd
from rtxreview.audit import audit, verdict_counts
from rtxreview.checks import run_checks
from rtxreview.cli import main
from rtxreview.validate import DataValidationError
from rtxreview.validate import validate_package


@pytest.fixture(scope="module")
def tables():
    return validate_package(DATA_DIR)


@pytest.fixture(scope="module")
def audited(tables):
    return audit(tables).set_index("evidence_id")


def test_every_evidence_row_gets_one_verdict(tables, audited):
    assert len(audited) == len(tables["evidence"])
    assert audited.index.is_unique
    assert set(audited["verdict"]) <= {"consistent", "rounding_variant", "test_dependent", "inconsistent",
                                       "not_reported", "not_checkable"}


def row_where(audited, quote_part, statistic=None):
    """The audited row whose quote contains ``quote_part`` (and of that statistic); exactly one must match."""
    evidence = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).set_index("evidence_id")
    chosen = evidence["quote"].str.contains(quote_part, regex=False)
    if statistic:
        chosen &= evidence["statistic"] == statistic
    ids = evidence.index[chosen]
    assert len(ids) == 1, (quote_part, list(ids))
    return audited.loc[ids[0]]


def test_consistent_percentage(audited):
    # 102/140 = 72.857... -> 72.9 under half-up
    row = row_where(audited, "complete response was achieved by 102 patients (72.9%)")
    assert (row["verdict"], row["recomputed"], row["rounding"]) == ("consistent", "72.9", "half_up")


def test_inconsistent_percentage_names_the_denominator_that_fits(audited):
    # 23/140 = 16.43 -> 16.4, not the printed 16.3; 23/141 = 16.31 -> 16.3
    row = row_where(audited, "23 patients (16.3%)")
    assert (row["verdict"], row["recomputed"]) == ("inconsistent", "16.4")
    assert "n = 141" in row["explanation"]


def test_a_rounding_the_source_does_not_use_is_not_accepted(audited):
    # 34/1431 = 2.376 -> 2.4 half-up, 2.3 truncated; 7/1431 = 0.4892 -> 0.49 half-up, 0.48 truncated.
    # The same abstract prints 6/7 = 85.71 as 86 and 3/7 = 42.86 as 43: half up, where truncation
    # would give 85 and 42. Truncation is therefore not its convention, and the two do not reproduce.
    for quote, half_up in (("34 (2.3%)", "2.4"), ("7 (0.48%)", "0.49")):
        row = row_where(audited, quote)
        assert (row["verdict"], row["recomputed"]) == ("inconsistent", half_up)
        assert "truncat" in row["explanation"] and "6/7" in row["explanation"]


def evidence_frame(rows):
    """A minimal evidence table of percent rows (study s) for the audit."""
    columns = ["evidence_id", "reported", "numerator", "denominator"]
    frame = pd.DataFrame(rows, columns=columns).assign(
        study_id="s", statistic="percent", denominator_source="stated")
    return frame.astype({"numerator": "Int64", "denominator": "Int64"})


def small_tables(rows):
    studies = pd.DataFrame({"study_id": ["s"], "source_document": ["000_0000000000000000.txt"]})
    return {"studies": studies, "evidence": evidence_frame(rows)}


def test_truncation_stays_a_variant_when_the_source_never_shows_half_up():
    # 34/1431 -> 2.3 only by truncation; 1/4 = 25.0 prints the same under every convention,
    # so nothing in this source contradicts truncation.
    result = audit(small_tables([("s-001", "2.3", 34, 1431), ("s-002", "25.0", 1, 4)])).set_index("evidence_id")
    assert result.loc["s-001", "verdict"] == "rounding_variant"
    assert result.loc["s-001", "rounding"] == "truncate"


def test_truncation_is_refused_when_the_source_rounds_half_up_elsewhere():
    # 6/7 = 85.71: half up prints 86, truncation 85. The source printed 86.
    result = audit(small_tables([("s-001", "2.3", 34, 1431), ("s-002", "86", 6, 7)])).set_index("evidence_id")
    assert result.loc["s-001", "verdict"] == "inconsistent"
    assert result.loc["s-002", "verdict"] == "consistent"


def test_presenting_symptoms_of_ttp_fit_18_patients_not_22(tables, audited):
    # 5/22 = 22.7 and 3/22 = 13.6 do not print as 28 and 17; 5/18 = 27.8 and 3/18 = 16.7 do, and no other
    # group size does. 2/18 = 11.1 (2/22 = 9.1) does not print as 17 either.
    for quote, verdict, recomputed in (("five (28%)", "consistent", "28"), ("three (17%)", "consistent", "17"),
                                       ("two (17%) fever", "inconsistent", "11")):
        row = row_where(audited, quote)
        assert (row["verdict"], row["recomputed"], row["denominator"]) == (verdict, recomputed, 18)
        assert row["denominator_source"] == "inferred"
    # The base the percentages imply is not the cohort: the check says so.
    check = run_checks(tables).set_index("check_id").loc["ttp22-05"]
    assert (check["observed"], check["expected"], check["status"]) == (18, 22, "fail")


def test_bare_percentage_lists_compatible_numerators(audited):
    # 91% of 32: 29/32 = 90.6 -> 91; 28/32 = 87.5 and 30/32 = 93.75 do not
    row = row_where(audited, "Of the remaining 32, 91% received", "percent")
    assert row["verdict"] == "consistent" and tuple(row["compatible"]) == (29,)


def test_count_with_denominator_gets_its_percentage(audited):
    # 4/143 = 2.797 -> 2.8
    row = row_where(audited, "Four out of 143 patients were HBsAg positive")
    assert (row["verdict"], row["recomputed"]) == ("not_reported", "2.8")


def test_dose_is_not_checkable(audited):
    row = row_where(audited, "at a dose of 375 mg/m2 each week")
    assert row["verdict"] == "not_checkable" and "nothing to recompute" in row["explanation"]


def test_p_value_claims_on_two_by_two_tables(audited):
    relapse = row_where(audited, "such a treatment (p<0.01)")
    assert relapse["verdict"] == "consistent"
    dose = row_where(audited, "respectively, p:n.s")
    assert dose["verdict"] == "consistent"


def test_per_patient_summaries(audited):
    # ages 30,21,35,24,38,29,30,43: mean 250/8 = 31.25 -> 31.3 (a half-up tie)
    assert audited.loc[row_where(audited, "The mean age was 31.3", "mean").name, "verdict"] == "consistent"
    # baseline platelets of patients 1-7 (7,12,1,14,30,8,28): mean 100/7 = 14.29; squared deviations
    # sum to 709.43, sample SD sqrt(709.43/6) = 10.87 -> 10.9, not the printed 8.9
    sd = audited.loc[(audited["reported"] == "8.9")].iloc[0]
    assert (sd["verdict"], sd["recomputed"]) == ("inconsistent", "10.9")


def test_iqr_reports_each_quartile_convention(audited):
    # durations 0.5,1,2,3,4,6,8,15: type 6 Q1 = 1.25 -> 1.3 but Q3 = 7.5; Tukey hinges 1.5 and 7.0
    row = audited.loc[audited["reported"] == "1.3-7.0"].iloc[0]
    assert row["verdict"] == "inconsistent"
    assert "1.3-7.5" in row["explanation"] and "1.5-7.0" in row["explanation"]


def test_response_percentages_rederived_from_platelets(audited):
    # 3 months: 7 of 8 patients at 30-100 with doubling (patient 8 withdrew) -> 87.5
    # printed twice: in the abstract and in the results
    rows = audited[(audited["reported"] == "87.5") & audited["explanation"].str.contains("partial responders")]
    assert len(rows) == 2
    assert set(rows["verdict"]) == {"consistent"} and rows["explanation"].str.contains("7 of 8").all()


def test_verdict_counts_keep_every_class(audited):
    counts = verdict_counts(audited.reset_index())
    assert list(counts.index) == ["consistent", "rounding_variant", "test_dependent", "inconsistent",
                                  "not_reported", "not_checkable"]
    assert counts.sum() == len(audited)


# --- the per-patient response criteria, by hand ---------------------------------------------------

@pytest.mark.parametrize("baseline, count, expected", [
    (10, 101, "CR"),   # above 100
    (10, 100, "PR"),   # 30-100 with doubling (100 >= 20)
    (50, 100, "PR"),   # exactly double
    (51, 100, "NR"),   # not doubled
    (15, 30, "PR"),    # lower bound, doubled
    (14, 29, "NR"),    # below 30
    (30, 56, "NR"),    # patient 5 at month 1: 56 < 60
    (5, None, "NR"),   # not measured: intention to treat
])
def test_response_criteria(baseline, count, expected):
    got = ipd.classify(pd.Series([baseline], dtype="Int64"), pd.Series([count], dtype="Int64"))
    assert got.iloc[0] == expected


def test_response_counts_from_table(tables):
    study = tables["patients"]["study_id"].iloc[0]  # the one study with a per-patient table
    counts = ipd.response_counts(ipd.responses(tables["patients"], study))
    # worked out from Table 1 by hand: month -> (CR, PR, OR)
    expected = {1: (0, 2, 2), 3: (0, 7, 7), 6: (3, 3, 6), 12: (2, 4, 6)}
    assert {m: (r.CR, r.PR, r.OR) for m, r in counts.iterrows()} == expected
    assert set(counts["n"]) == {8}


def test_parse_patients():
    assert ipd.parse_patients("1-3,5,7-8") == [1, 2, 3, 5, 7, 8]


# --- the arithmetic checks --------------------------------------------------------------------

def test_checks_on_real_data(tables):
    checks = run_checks(tables).set_index("check_id")
    failing = checks[checks["status"] == "fail"]
    # hand: 26+53+25+25 = 129 vs 102+15 = 117; 25 > 10+4+2+1 = 17; 10+21 = 31 vs 32; 88+55 = 143 vs 117;
    # the 18 patients the TTP symptom percentages imply vs the 22 enrolled
    assert {cid: (r.observed, r.expected) for cid, r in failing.iterrows()} == {
        "retro-08": (129, 117), "retro-12": (25, 17), "retro-13": (31, 32), "retro-14": (143, 117),
        "ttp22-05": (18, 22)}
    assert checks.loc["retro-01", ["observed", "expected", "status"]].tolist() == [147, 147, "pass"]


def test_checks_engine_on_small_tables():
    studies = pd.DataFrame({"study_id": ["s"], "source_document": ["000_0000000000000000.txt"]})
    evidence = pd.DataFrame({"evidence_id": ["s-001", "s-002", "s-003"], "numerator": pd.array([3, 4, 7], "Int64"),
                             "denominator": pd.array([10, 10, pd.NA], "Int64"), "reported": ["3", "4", "7"]})
    checks = pd.DataFrame({"check_id": ["a-01", "a-02", "a-03", "a-04"], "study_id": "s",
                           "kind": ["equals", "equals", "at_most", "at_most"],
                           "parts": ["s-001 s-002", "s-001 s-001", "s-003", "s-001:denominator"],
                           "total": ["s-003", "s-003", "s-002:denominator", "s-003"],
                           "description": "x"})
    result = run_checks({"studies": studies, "evidence": evidence, "checks": checks}).set_index("check_id")
    assert result["status"].to_dict() == {"a-01": "pass", "a-02": "fail", "a-03": "pass", "a-04": "fail"}
    assert result.loc["a-04", ["observed", "expected"]].tolist() == [10, 7]


# --- the command line -------------------------------------------------------------------------

def test_audit_cli_csv_has_the_promised_columns(capsys):
    assert main(["audit", str(DATA_DIR), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("evidence_id,study_id,source_document,statistic,reported,qualifier,numerator,denominator,"
                        "denominator_source,recomputed,verdict,rounding,compatible,explanation")
    assert len(lines) - 1 == len(pd.read_csv(DATA_DIR / "evidence.csv"))


def test_audit_cli_json_and_table(capsys):
    assert main(["audit", str(DATA_DIR), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["verdict"] for r in records} >= {"consistent", "inconsistent", "not_reported", "not_checkable"}
    assert len(records) == len(pd.read_csv(DATA_DIR / "evidence.csv"))
    assert main(["audit", str(DATA_DIR)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"{len(records)} reported numbers: ") and "inconsistent" in last


def test_checks_and_ipd_cli(capsys):
    assert main(["checks", str(DATA_DIR), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "check_id,study_id,source_document,kind,description,expected,observed,status"
    assert main(["ipd", str(DATA_DIR), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "study_id,patient,month,platelets,response" and len(out) == 1 + 8 * 4


def test_cli_refuses_broken_data_without_traceback(data_copy):
    (data_copy / "evidence.csv").write_text("evidence_id\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "rtxreview", "audit", str(data_copy)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "column 'study_id'" in result.stderr and "column missing" in result.stderr


def test_eligibility_holds_the_inclusion_criterion_against_each_patient(tables):
    """The low-dose study includes platelets < 30 ×10⁹/L (with bleeding); Table 1 prints 30 for patient 5."""
    links = tables["derivations"][tables["derivations"]["method"] == "eligibility"]
    assert len(links) == 1
    row = audit(tables).set_index("evidence_id").loc[links["evidence_id"].iloc[0]]
    assert row["verdict"] == "inconsistent" and row["recomputed"] == "7 of 8 meet it"
    assert "not met by patient 5 (30)" in row["explanation"]
    # the same table against a limit every baseline count meets
    looser = {**tables, "evidence": tables["evidence"].assign(
        reported=tables["evidence"]["reported"].where(tables["evidence"]["evidence_id"] != row.name, "31"))}
    again = audit(looser).set_index("evidence_id").loc[row.name]
    assert again["verdict"] == "consistent" and again["recomputed"] == "8 of 8 meet it"


# --- magnitudes implausible for their printed unit (plausibility.csv) --------------------------------

def plausibility_tables(reported_values, statistic="mean"):
    evidence = pd.DataFrame({"evidence_id": [f"e{i}" for i in range(len(reported_values))],
                             "outcome": "B-cell count", "unit": "x10^9/L", "reported": reported_values,
                             "statistic": statistic})
    limits = pd.DataFrame([{"outcome": "B-cell count", "unit": "x10^9/L", "highest": 5.0,
                            "likely_unit": "cells/µL", "reason": "Why."}])
    return {"evidence": evidence, "plausibility": limits}


def test_a_number_above_its_plausible_limit_is_named_with_the_limit_and_the_reason():
    from rtxreview.audit import implausible_magnitudes
    found = implausible_magnitudes(plausibility_tables(["5", "5.1", "0.2-7", "1-4"]))
    assert list(found["evidence_id"]) == ["e1", "e2"]  # at the limit is plausible; a range by its largest end
    assert found.loc[1, "explanation"].startswith("7 ×10⁹/L is more than the 5 ×10⁹/L")
    assert "cells/µL" in found.loc[0, "explanation"] and found.loc[0, "explanation"].endswith("Why.")


def test_percentages_counts_and_p_values_have_no_magnitude_limit():
    from rtxreview.audit import implausible_magnitudes
    for statistic in ("percent", "count", "p_value"):
        assert implausible_magnitudes(plausibility_tables(["50"], statistic)).empty


def test_the_real_data_flag_every_b_cell_count_printed_above_its_limit_and_no_platelet_count():
    from rtxreview.audit import implausible_magnitudes
    tables = validate_package(DATA_DIR)
    found = tables["evidence"].set_index("evidence_id").loc[implausible_magnitudes(tables)["evidence_id"]]
    assert len(found) and set(found["outcome"]) == {"CD19+ B-cell count"}
    limit = tables["plausibility"].set_index(["outcome", "unit"]).at[("CD19+ B-cell count", "x10^9/L"), "highest"]
    b_cells = tables["evidence"][tables["evidence"]["outcome"].eq("CD19+ B-cell count")
                                 & tables["evidence"]["unit"].eq("x10^9/L")]
    above = b_cells[b_cells["reported"].astype(float) > limit]
    assert set(found.index) == set(above["evidence_id"])
    assert (found["unit"] == "x10^9/L").all()  # the data keep the unit as printed


def test_tables_mark_an_implausible_magnitude_where_they_show_it():
    from rtxreview.report import evidence_table, implausible_rows, load_review
    review = load_review(DATA_DIR)
    rows = implausible_rows(review)
    page = evidence_table(rows, "caption").data
    assert page.count("Unit as printed; implausible for this outcome") == len(rows)
    clean = review.rows[review.rows["implausible"].eq("")].head(20)
    assert "Unit as printed" not in evidence_table(clean, "caption").data


@pytest.mark.parametrize("column, value", [("highest", "-1"), ("outcome", "no such outcome")])
def test_a_bad_plausibility_row_is_refused_naming_file_row_and_column(data_copy, column, value):
    path = data_copy / "plausibility.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        validate_package(data_copy)
    text = str(info.value)
    assert "plausibility.csv" in text and column in text and "line 2" in text
