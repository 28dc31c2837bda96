"""Tests for rtxreview.pooling: the comparability rule, the time-point rule and the pooled result.

The expected pooled numbers come from R metafor (tests/results/results_metafor.py), not from
the module.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from results.results_metafor import CASES
from rtxreview.audit import audit
from rtxreview.pooling import (NOT_REPORTED, PoolingError, comparability, pooled_analyses, pooled_summary,
                               visit_days)
from rtxreview.validate import validate_package
from conftest import DATA_DIR


@pytest.fixture(scope="module")
def tables():
    return validate_package(DATA_DIR)


@pytest.fixture(scope="module")
def audited(tables):
    return audit(tables)


def analyses(tables, audited, **options):
    return {result["analysis_id"]: result for result in pooled_analyses(tables, audited, **options)}


def with_pooling(tables, rows: list[dict], evidence_changes: dict | None = None) -> dict:
    """The tables with pooling.csv replaced by ``rows`` and some evidence timepoints changed."""
    changed = dict(tables, pooling=pd.DataFrame(rows, columns=tables["pooling"].columns))
    if evidence_changes:
        evidence = tables["evidence"].copy()
        for evidence_id, timepoint in evidence_changes.items():
            evidence.loc[evidence["evidence_id"] == evidence_id, "timepoint"] = timepoint
        changed["evidence"] = evidence
    return changed


def row(evidence_id, timepoint, analysis_set="intention to treat", definition="platelet count > 100 ×10⁹/L"):
    return dict(analysis_id="a", evidence_id=evidence_id, label=evidence_id, title="T", disease="ITP",
                outcome="complete response", definition=definition, definition_source="", timepoint=timepoint,
                analysis_set=analysis_set, note="")


# --- the declared analyses of the five sources ---------------------------------------------------


def test_none_of_the_three_declared_analyses_passes_the_comparability_rule(tables, audited):
    results = analyses(tables, audited)
    assert list(results) == ["itp-complete-response", "ttp-complete-remission", "relapse-after-response"]
    for result in results.values():
        assert result["pooled"] is None and result["comparable"] is False
        assert result["not_pooled_reason"] == result["reason"] != ""
        assert result["rows"]["weight"].isna().all()  # drawn side by side, without weights
    itp = results["itp-complete-response"]["not_pooled_reason"]
    assert itp == ("outcome definition not reported (retro_series_147); time point not reported (retro_series_147); "
                   "analysis set differs: evaluable (retro_series_147) vs intention to treat (zhang_2021)")
    relapse = results["relapse-after-response"]["comparability"]
    assert [(p["attribute"], p["problem"]) for p in relapse] == [
        ("definition", "not reported"), ("timepoint", "differs"), ("analysis_set", "differs")]
    assert relapse[1]["values"] == {"retro_series_147": "median follow-up 28 months",
                                    "ttp_multicentre_22": "median follow-up 13 months"}


def test_the_itp_analysis_takes_the_low_dose_studys_latest_visit(tables, audited):
    rows = analyses(tables, audited)["itp-complete-response"]["rows"].set_index("study")
    assert rows.at["zhang_2021", "timepoint"] == "12 months"
    assert (rows.at["zhang_2021", "events"], rows.at["zhang_2021", "total"]) == (2, 8)  # 25.0% of 8
    assert rows.at["zhang_2021", "events_source"].startswith("inferred")


# --- the comparability rule ---------------------------------------------------------------------


def frame(*values):
    return pd.DataFrame(values, columns=["study", "definition", "timepoint", "analysis_set"])


def test_comparable_rows_have_no_problem():
    assert comparability(frame(("a", "d", "6 months", "evaluable"), ("b", "d", "6 months", "evaluable"))) == []


def test_not_reported_never_matches_not_even_itself():
    problems = comparability(frame(("a", NOT_REPORTED, "6 months", "evaluable"),
                                   ("b", NOT_REPORTED, "6 months", "evaluable")))
    assert [p["text"] for p in problems] == ["outcome definition not reported (a, b)"]


def test_each_differing_attribute_is_named_with_its_studies():
    problems = comparability(frame(("a", "d", "6 months", "evaluable"), ("b", "d", "12 months", "evaluable"),
                                   ("c", "d", "6 months", "intention to treat")))
    assert [p["text"] for p in problems] == [
        "time point differs: 6 months (a) vs 12 months (b) vs 6 months (c)",
        "analysis set differs: evaluable (a) vs evaluable (b) vs intention to treat (c)"]


def test_one_study_is_not_pooled():
    problems = comparability(frame(("a", "d", "6 months", "evaluable"), ("a", "d", "6 months", "evaluable")))
    assert [p["text"] for p in problems] == ["fewer than two studies report this outcome"]


# --- a comparable analysis is pooled, with the fields the chapters read -------------------------


def test_a_comparable_analysis_is_pooled_as_metafor_does_it(tables, audited):
    # Pretend the mixed series gave a definition, a 12-month time point and an ITT count.
    changed = with_pooling(tables, [row("retro_series_147-044", "12 months"), row("zhang_2021-089", "12 months")],
                           {"retro_series_147-044": "12 months"})
    [result] = pooled_analyses(changed, audited)
    reference = CASES["itp_cr_12_months"]["PM"]
    pooled = result["pooled"]
    assert result["comparable"] and result["not_pooled_reason"] == "" and result["comparability"] == []
    assert pooled["estimate"] == pytest.approx(reference["estimate_prop"], rel=1e-8)  # 53.5%
    assert pooled["hk_ci"] == (pooled["ci_low"], pooled["ci_high"])
    assert pooled["hk_ci"] == pytest.approx((reference["hk_ci_lb_prop"], reference["hk_ci_ub_prop"]), rel=1e-7)
    assert pooled["z_ci"] == pytest.approx((reference["ci_lb_prop"], reference["ci_ub_prop"]), rel=1e-8)
    assert (pooled["q"], pooled["q_df"], pooled["q_p"]) == pytest.approx((reference["QE"], 1, reference["QEp"]))
    assert pooled["i2"] == pytest.approx(reference["I2_dl"]) and pooled["tau2"] == pytest.approx(reference["tau2"])
    assert pooled["prediction_interval"] is None and pooled["pi_low"] is None
    assert "fewer than 3 studies" in pooled["prediction_interval_reason"]
    assert result["rows"]["weight"].tolist() == pytest.approx(reference["weights"])
    [summary] = pooled_summary([result])
    assert summary["pooled"] is True and summary["q_p"] == pooled["q_p"]
    assert summary["studies"][1]["timepoint"] == "12 months"


# --- the time-point rule and the time points' agreement with evidence.csv ------------------------


def test_an_earlier_visit_than_the_latest_stops_with_the_line_row_and_column(tables, audited):
    changed = with_pooling(tables, [row("retro_series_147-044", NOT_REPORTED, "evaluable"),
                                    row("zhang_2021-088", "6 months")])
    with pytest.raises(PoolingError, match=r"^pooling\.csv line 3, row a/zhang_2021-088, column evidence_id: the "
                                           r"time-point rule takes each study's latest visit, and zhang_2021 also "
                                           r"reports complete response at 12 months \(zhang_2021-089\)$"):
        pooled_analyses(changed, audited)


def test_a_time_point_other_than_the_evidence_rows_stops(tables, audited):
    changed = with_pooling(tables, [row("zhang_2021-089", "6 months"), row("retro_series_147-044", NOT_REPORTED)])
    with pytest.raises(PoolingError, match=r"line 2, row a/zhang_2021-089, column timepoint: '6 months', but "
                                           r"evidence\.csv gives '12 months'"):
        pooled_analyses(changed, audited)
    changed = with_pooling(tables, [row("zhang_2021-089", "12 months"), row("retro_series_147-044", "6 months")])
    with pytest.raises(PoolingError, match=r"line 3, .*column timepoint: '6 months', but evidence\.csv gives none"):
        pooled_analyses(changed, audited)


@pytest.mark.parametrize("text, days", [("6 months", 365.25 / 2), ("1 month", 365.25 / 12), ("24 weeks", 168),
                                        ("week 24", 168), ("2 years", 730.5), ("10 days", 10)])
def test_visits_are_read_in_days(text, days):
    assert visit_days(text) == pytest.approx(days)


@pytest.mark.parametrize("text", ["median follow-up 28 months", "baseline", "", None, math.nan, "months to years",
                                  "at the time of the study", "first infusion"])
def test_other_time_descriptions_are_not_visits(text):
    assert visit_days(text) is None
