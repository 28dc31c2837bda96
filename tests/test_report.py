"""The chapter helpers of rtxreview.report: verdict display, wording, HTML tables and lists.

Expected values are worked out by hand (in the comments) from the data files or from first
principles, or counted in the test with pandas from data/*.csv and the audit frame; none is copied
from the output of the function under test. HTML is read back with the standard library's parser.
"""

import copy
import os
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview.report import (SHOWN_EXPLANATIONS, VERDICT_LABELS, VERDICT_PLURALS, VERDICT_SINGULARS, checks_table,
                              ci_text, discrepancies, discrepancies_markdown, evidence_table,
                              failing_checks_markdown, find_data_dir, finding_text, markdown_text, fraction_text, load_review,
                              not_a_count_of, number_word, pct, pooled_sentence, printed_value,
                              recomputed_text,
                              rederived_table, shown_verdicts, studies_table, study_card, verdict_badge,
                              verdict_breakdown, verdict_legend, verdict_matrix, verdict_summary)

AUDIT_VERDICTS = ["consistent", "rounding_variant", "test_dependent", "inconsistent", "not_reported", "not_checkable"]
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


# --- reading HTML back --------------------------------------------------------------------------

class _Tree(HTMLParser):
    """Every element with its tag, attributes, parent and text (entities decoded)."""

    VOID = {"br", "img", "hr", "meta", "link", "input", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, "attrs": dict(attrs), "text": "", "parent": self.stack[-1] if self.stack else None,
                "children": []}
        if self.stack:
            self.stack[-1]["children"].append(node)
        self.nodes.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for node in self.stack:
            node["text"] += data


def parse(markup) -> list[dict]:
    tree = _Tree()
    tree.feed(markup.data if hasattr(markup, "data") else markup)
    tree.close()
    return tree.nodes


def find(nodes, tag, cls=None):
    return [n for n in nodes if n["tag"] == tag and (cls is None or cls in n["attrs"].get("class", "").split())]


def within(node, tag, cls=None):
    """Descendants of ``node`` with that tag (and class), in document order."""
    found = []
    for child in node["children"]:
        if child["tag"] == tag and (cls is None or cls in child["attrs"].get("class", "").split()):
            found.append(child)
        found.extend(within(child, tag, cls))
    return found


def body_rows(nodes) -> list[list[dict]]:
    """The cells (td/th nodes) of each row of the table body."""
    tbody, = find(nodes, "tbody")
    return [[c for c in tr["children"] if c["tag"] in ("td", "th")] for tr in within(tbody, "tr")]


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def review():
    return load_review(DATA_DIR)


@pytest.fixture(scope="module")
def evidence():
    return pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def studies():
    return pd.read_csv(DATA_DIR / "studies.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def shown(review, evidence):
    """The verdict a reader should see for every evidence row, worked out here from the audit's
    verdict and the CSV: a consistent percentage whose count is empty in the CSV is 'count_fits'."""
    verdicts = review.audit.set_index("evidence_id")["verdict"].reindex(evidence["evidence_id"]).to_numpy()
    bare = (evidence["statistic"] == "percent") & (evidence["numerator"] == "")
    return pd.Series(np.where(bare & (verdicts == "consistent"), "count_fits", verdicts),
                     index=evidence["evidence_id"].to_numpy())


def make_rows(*specs: dict) -> pd.DataFrame:
    """Evidence rows as the chapters pass them (evidence + audit + label), from a few given fields."""
    defaults = dict(study_id="s", short_label="Study A", context="result", disease="ITP", subgroup="",
                    intervention="", outcome="complete response", timepoint="", statistic="percent",
                    numerator=pd.NA, denominator=pd.NA, denominator_source="stated", reported="50.0", unit="%",
                    recomputed="", verdict="consistent", rounding="", compatible=(), explanation="why",
                    quote="a quote", location="Abstract", note="", source_document="s.txt")
    rows = [dict(defaults, evidence_id=f"s-{i:03d}", **spec) for i, spec in enumerate(specs, 1)]
    frame = pd.DataFrame(rows)
    return frame.astype({"numerator": "Int64", "denominator": "Int64"})


# --- shown_verdicts -----------------------------------------------------------------------------

def test_shown_verdicts_splits_only_consistent_bare_percentages():
    rows = pd.DataFrame({
        "statistic": ["percent", "percent", "mean", "percent", "percent", "count", "percent", "percent"],
        "numerator": pd.array([pd.NA, 46, pd.NA, pd.NA, 23, pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "verdict": ["consistent", "consistent", "consistent", "inconsistent", "inconsistent", "not_checkable",
                    "not_checkable", "rounding_variant"]},
        index=[10, 11, 12, 13, 14, 15, 16, 17])
    result = shown_verdicts(rows)
    assert result.tolist() == ["count_fits",        # 75.4% with no count: only some count fits
                               "consistent",        # printed with its count
                               "consistent",        # a mean without numerator is not a bare percentage
                               "inconsistent", "inconsistent", "not_checkable", "not_checkable",
                               "rounding_variant"]
    assert result.index.tolist() == rows.index.tolist()
    assert rows["verdict"].iloc[0] == "consistent"  # the input is not modified


def test_shown_verdicts_with_float_nan_numerators():
    rows = pd.DataFrame({"statistic": ["percent", "percent"], "numerator": [np.nan, 3.0],
                         "verdict": ["consistent", "consistent"]})
    assert shown_verdicts(rows).tolist() == ["count_fits", "consistent"]


def test_shown_verdicts_on_the_review(review, shown):
    rows = review.rows
    assert dict(zip(rows["evidence_id"], shown_verdicts(rows))) == shown.to_dict()
    assert (shown == "count_fits").sum() > 0


# --- wording ------------------------------------------------------------------------------------

def test_every_verdict_has_a_label_singular_and_plural():
    assert set(AUDIT_VERDICTS) | {"count_fits"} == set(VERDICT_LABELS) == set(VERDICT_SINGULARS) == set(VERDICT_PLURALS)
    assert set(SHOWN_EXPLANATIONS) == {"rounding_variant", "test_dependent", "inconsistent"}


def test_verdict_breakdown_by_hand():
    # 2 consistent with counts, 1 inconsistent, 1 not_checkable mean
    rows = make_rows(dict(numerator=1, denominator=2), dict(numerator=3, denominator=4),
                     dict(verdict="inconsistent", numerator=1, denominator=3, reported="34.0"),
                     dict(statistic="mean", unit="years", reported="40", verdict="not_checkable"))
    assert verdict_breakdown(rows) == "2 reproduce, 1 does not reproduce, 1 cannot be checked"
    assert verdict_summary(rows) == "4 numbers: 2 reproduce, 1 does not reproduce, 1 cannot be checked"
    # a single consistent row: singular verb; zero counts left out
    assert verdict_breakdown(rows.iloc[:1]) == "1 reproduces"
    assert verdict_breakdown(rows.iloc[2:3]) == "1 does not reproduce"


def parts(breakdown: str) -> list[tuple[int, str]]:
    return [(int(n), text) for n, text in re.findall(r"(\d+) ([^,]+)(?:, |$)", breakdown)]


def test_verdict_breakdown_all_verdicts_in_legend_order():
    # listed in reverse legend order; counts 1..7 so that each count is distinct, one singular
    legend = list(VERDICT_LABELS)
    specs = []
    for n, verdict in enumerate(reversed(legend), 1):
        if verdict == "count_fits":
            spec = dict(verdict="consistent", numerator=pd.NA, denominator=61)
        else:
            spec = dict(verdict=verdict, numerator=1, denominator=61)
        specs += [spec] * n
    rows = make_rows(*specs)
    found = parts(verdict_breakdown(rows))
    expected_counts = {v: n for n, v in enumerate(reversed(legend), 1)}
    assert [n for n, _ in found] == [expected_counts[v] for v in legend]
    for (n, text), verdict in zip(found, legend):
        assert text == (VERDICT_SINGULARS if n == 1 else VERDICT_PLURALS)[verdict]
    assert sum(n for n, _ in found) == len(rows) == 28
    assert verdict_summary(rows).startswith("28 numbers: ")


def test_verdict_breakdown_omits_zero_counts():
    rows = make_rows(dict(verdict="not_checkable", statistic="value", unit="mg"),
                     dict(verdict="not_checkable", statistic="value", unit="mg"))
    assert verdict_breakdown(rows) == f"2 {VERDICT_PLURALS['not_checkable']}"
    assert "0 " not in verdict_breakdown(rows)


def test_verdict_summary_of_one_row_is_singular():
    rows = make_rows(dict(numerator=1, denominator=2))
    assert verdict_summary(rows).startswith("1 number: ")


def test_verdict_breakdown_on_the_review_matches_the_audit(review, shown):
    text_to_verdict = {}
    for verdict in VERDICT_LABELS:
        text_to_verdict[VERDICT_SINGULARS[verdict]] = verdict
        text_to_verdict[VERDICT_PLURALS[verdict]] = verdict
    found = parts(verdict_breakdown(review.rows))
    counts = shown.value_counts()
    assert {text_to_verdict[text]: n for n, text in found} == counts.to_dict()
    assert [text_to_verdict[text] for _, text in found] == [v for v in VERDICT_LABELS if v in counts]
    assert sum(n for n, _ in found) == len(shown) == 396
    assert verdict_summary(review.rows).startswith(f"{len(shown)} numbers: ")


def test_verdict_badge_and_legend():
    badge = parse(verdict_badge("count_fits"))
    span, = find(badge, "span")
    assert span["attrs"]["class"].split() == ["rtx-verdict", "rtx-verdict-count_fits"]
    assert span["attrs"]["title"] == "count_fits" and span["text"] == VERDICT_LABELS["count_fits"]
    with pytest.raises(KeyError):
        verdict_badge("made_up")
    nodes = parse(verdict_legend())
    items = find(nodes, "li")
    assert [within(li, "span", "rtx-verdict")[0]["attrs"]["title"] for li in items] == list(VERDICT_LABELS)
    for li in items:  # every badge has a meaning beside it
        assert len(li["text"]) > len(within(li, "span")[0]["text"]) + 20


# --- formatting ---------------------------------------------------------------------------------

def test_pct_and_ci_text():
    assert pct(46 / 61) == "75.4%"        # 75.409...
    assert pct(0.8831) == "88.3%"
    assert pct(1 / 3, 2) == "33.33%"
    assert pct(0) == "0.0%" and pct(1) == "100.0%"
    assert pct(2 / 3, 0) == "67%"
    assert ci_text(0.243, 0.883) == "24.3% to 88.3%"
    assert ci_text(0.05, 0.5, digits=0) == "5% to 50%"


def test_number_word():
    assert number_word(0) == "no" and number_word(1) == "one" and number_word(3) == "three"
    assert number_word(12) == "twelve" and number_word(13) == "13" and number_word(147) == "147"
    assert number_word(3, capital=True) == "Three" and number_word(0, capital=True) == "No"
    assert number_word(20, capital=True) == "20"
    assert number_word(-1) == "-1"


@pytest.mark.parametrize("row, expected", [
    (dict(reported="75.4", unit="%"), "75.4%"),
    (dict(reported="375", unit="mg/m2"), "375 mg/m²"),
    (dict(reported="67", unit="patients"), "67 patients"),
    (dict(reported="52", unit=np.nan), "52"),
    (dict(reported="52", unit=""), "52"),
    (dict(reported="15-87"), "15-87"),
])
def test_printed_value(row, expected):
    assert printed_value(pd.Series(row)) == expected


@pytest.mark.parametrize("statistic, numerator, denominator, source, expected", [
    ("count", 102, 140, "stated", "102/140"),
    ("percent", 23, 140, "inferred", "23/140†"),
    ("percent", pd.NA, 32, "stated", "?/32"),
    ("percent", np.nan, 61, "inferred", "?/61†"),
    ("count", 147, pd.NA, np.nan, "147"),
    ("count", pd.NA, pd.NA, np.nan, ""),
    ("count", 3, 10, np.nan, "3/10"),
    ("mean", pd.NA, 8, "stated", "n = 8"),
    ("median", pd.NA, 147, "inferred", "n = 147†"),
    ("p_value", pd.NA, pd.NA, np.nan, ""),
])
def test_fraction_text(statistic, numerator, denominator, source, expected):
    row = pd.Series(dict(statistic=statistic, numerator=numerator, denominator=denominator,
                         denominator_source=source), dtype=object)
    assert fraction_text(row) == expected


def test_fraction_text_marks_exactly_the_inferred_denominators(review, evidence):
    marked = {r.evidence_id: "†" in fraction_text(r._asdict()) for r in review.rows.itertuples()}
    assert marked == dict(zip(evidence["evidence_id"], evidence["denominator_source"] == "inferred"))


def test_finding_text():
    row = pd.Series(dict(outcome="complete response", subgroup="ITP", intervention=np.nan, timepoint="6 months"))
    assert finding_text(row) == "complete response; ITP; 6 months"
    row = pd.Series(dict(outcome="relapse", subgroup="relapse", intervention="rituximab", timepoint=""))
    assert finding_text(row) == "relapse; rituximab"
    assert finding_text({"outcome": "fever"}) == "fever"


def test_not_a_count_of():
    # 46/61 = 75.41 -> 75.4; 45/61 = 73.77 and 47/61 = 77.05 do not print as 75.4
    assert not_a_count_of("75.4", 61) == "75.4% can be 46/61"
    # 22/140 = 15.714 -> 15.7 and 23/140 = 16.429 -> 16.4: nothing prints as 16.3
    assert not_a_count_of("16.3", 140) == "16.3% is not a whole count of 140 (22/140 = 15.7% and 23/140 = 16.4%)"
    # 1/200 = 0.5 -> 1 and 2/200 = 1.0 -> 1 (half up); 3/200 = 1.5 -> 2
    assert not_a_count_of("1", 200) == "1% can be 1/200 or 2/200"
    # no third of 3 prints as 50: 1/3 = 33.3, 2/3 = 66.7
    assert not_a_count_of("50", 3) == "50% is not a whole count of 3 (1/3 = 33.3% and 2/3 = 66.7%)"


def test_not_a_count_of_rounds_its_neighbours_half_up():
    # 5/16 = 31.25 exactly: half up (the review's rule) gives 31.3, so 31.2 is not a count of 16;
    # 4/16 = 25.0. The sentence must not claim that 5/16 is 31.2%.
    assert not_a_count_of("31.2", 16) == "31.2% is not a whole count of 16 (4/16 = 25.0% and 5/16 = 31.3%)"


# --- evidence_table -----------------------------------------------------------------------------

def test_evidence_table_rows_verdicts_and_daggers(review, evidence, shown):
    rows = review.rows
    nodes = parse(evidence_table(rows, "All numbers", max_bytes=None))
    cells = body_rows(nodes)
    assert len(cells) == len(rows) == len(evidence)
    ids = [within(row[6], "summary")[0]["text"] for row in cells]
    assert ids == rows["evidence_id"].tolist() and len(set(ids)) == len(ids)
    inferred = dict(zip(evidence["evidence_id"], evidence["denominator_source"] == "inferred"))
    for evidence_id, row in zip(ids, cells):
        assert [len(row), row[0]["tag"]] == [7, "td"]
        badge, = within(row[5], "span", "rtx-verdict")
        assert badge["attrs"]["title"] == shown[evidence_id], evidence_id
        assert ("†" in row[3]["text"]) == inferred[evidence_id], evidence_id
    caption, = find(nodes, "caption")
    assert caption["text"] == "All numbers"
    legend, = find(nodes, "p", "rtx-legend")
    assert "†" in legend["text"] and "?" in legend["text"]


def test_evidence_table_hand_made_cells():
    rows = make_rows(dict(numerator=46, denominator=61, denominator_source="inferred", reported="75.4",
                          recomputed="75.4", subgroup="evaluable", timepoint="6 months"),
                     dict(statistic="count", numerator=67, denominator=147, reported="67", unit="patients",
                          verdict="not_reported", recomputed="45.6"))
    cells = body_rows(parse(evidence_table(rows, "c")))
    assert [c["text"] for c in cells[0][:5]] == ["Study A", "complete response; evaluable; 6 months", "75.4%",
                                                 "46/61†", "75.4"]
    assert [c["text"] for c in cells[1][1:5]] == ["complete response", "67 patients", "67/147", "45.6"]


def test_evidence_table_shows_explanations_only_for_discrepancies():
    specs = [dict(verdict=v, numerator=1, denominator=3, explanation=f"explained {v}") for v in AUDIT_VERDICTS]
    specs.append(dict(verdict="consistent", numerator=pd.NA, denominator=3, explanation="explained bare"))
    rows = make_rows(*specs)
    cells = body_rows(parse(evidence_table(rows, "c")))
    for verdict, explanation, row in zip(rows["verdict"], rows["explanation"], cells):
        shown_div = within(row[5], "div", "rtx-explanation")
        if verdict in ("rounding_variant", "test_dependent", "inconsistent"):
            assert [d["text"] for d in shown_div] == [explanation]
        else:
            assert shown_div == [], verdict
        assert explanation in within(row[6], "details")[0]["text"]  # always available under Source


def test_evidence_table_escapes_text_from_the_data(review):
    rows = review.rows.head(5).copy()
    for column in ("evidence_id", "quote", "location", "note", "explanation", "short_label", "outcome",
                   "subgroup", "reported", "unit", "recomputed"):
        rows[column] = [f"{HOSTILE}{column}{i}" for i in range(len(rows))]
    rows["verdict"] = "inconsistent"  # so the explanation div is drawn too
    page = evidence_table(rows, HOSTILE).data
    nodes = parse(page)
    assert find(nodes, "script") == [] and find(nodes, "img") == []
    assert "<script" not in page and "<img" not in page
    cells = body_rows(nodes)
    assert [within(r[6], "summary")[0]["text"] for r in cells] == rows["evidence_id"].tolist()
    assert [within(r[6], "q")[0]["text"] for r in cells] == rows["quote"].tolist()
    assert [find_tr["attrs"]["title"] for find_tr in within(find(nodes, "tbody")[0], "tr")] == rows["quote"].tolist()
    assert [r[0]["text"] for r in cells] == rows["short_label"].tolist()
    assert find(nodes, "caption")[0]["text"] == HOSTILE


# --- verdict_matrix -----------------------------------------------------------------------------

def test_verdict_matrix_counts_every_row(review, evidence, studies, shown):
    nodes = parse(verdict_matrix(review))
    thead, = find(nodes, "thead")
    columns = [within(th, "span")[0]["attrs"]["title"] for th in within(thead, "th")[1:-1]]
    assert columns == list(VERDICT_LABELS)
    table = {row[0]["text"]: [int(c["text"]) for c in row[1:]] for row in body_rows(nodes)}
    label = evidence["study_id"].map(studies.set_index("study_id")["short_label"])
    expected = pd.crosstab(label.to_numpy(), shown.to_numpy())
    per_source = evidence.groupby(label)["evidence_id"].count()
    assert list(table)[-1] == "All sources"
    assert set(table) == set(studies["short_label"]) | {"All sources"}
    for source, values in table.items():
        counts, total = values[:-1], values[-1]
        assert sum(counts) == total
        if source == "All sources":
            assert total == len(evidence)
            assert counts == [int((shown == v).sum()) for v in columns]
        else:
            assert total == per_source[source]
            assert counts == [int(expected.at[source, v]) if v in expected.columns else 0 for v in columns]


def test_verdict_matrix_escapes_source_labels():
    rows = make_rows(dict(short_label=HOSTILE, numerator=1, denominator=2),
                     dict(short_label=HOSTILE, verdict="inconsistent", numerator=1, denominator=3))
    page = verdict_matrix(SimpleNamespace(rows=rows)).data
    assert "<script" not in page and "<img" not in page
    table = {row[0]["text"]: [int(c["text"]) for c in row[1:]] for row in body_rows(parse(page))}
    assert list(table) == [HOSTILE, "All sources"]
    assert table[HOSTILE][-1] == table["All sources"][-1] == 2


# --- other tables -------------------------------------------------------------------------------

def test_studies_table(review, studies):
    cells = body_rows(parse(studies_table(review)))
    assert [r[0]["text"] for r in cells] == studies["short_label"].tolist()
    assert [r[4]["text"] for r in cells] == studies["patients_enrolled"].tolist()
    hostile = SimpleNamespace(tables={"studies": studies.assign(setting=HOSTILE, short_label=HOSTILE)})
    page = studies_table(hostile).data
    assert "<script" not in page and "<img" not in page
    assert [r[3]["text"] for r in body_rows(parse(page))] == [HOSTILE] * len(studies)


def test_study_card(review, evidence, studies):
    for study in studies.itertuples():
        nodes = parse(study_card(review, study.study_id))
        facts = {r[0]["text"]: r[1]["text"] for r in body_rows(nodes)}
        assert find(nodes, "caption")[0]["text"] == study.short_label
        assert facts["Title"] == study.title
        assert ("DOI" in facts) == (study.doi != "")
        assert ("Countries" in facts) == (study.countries != "")
        n = int((evidence["study_id"] == study.study_id).sum())
        assert facts["Numbers extracted"].startswith(f"{n} numbers: ")
    review.rows  # cached before the shallow copy below, so it keeps the real rows
    hostile = copy.copy(review)
    hostile.tables = dict(review.tables, studies=review.tables["studies"].assign(title=HOSTILE, short_label=HOSTILE))
    vars(hostile).pop("_studies_by_id", None)  # the copy has new studies: its cached index of them goes
    page = study_card(hostile, "zhang_2021").data
    assert "<script" not in page and "<img" not in page
    assert find(parse(page), "caption")[0]["text"] == HOSTILE


def test_checks_table_filters(review):
    checks = pd.read_csv(DATA_DIR / "checks.csv", dtype=str, keep_default_na=False)
    every = body_rows(parse(checks_table(review)))
    assert [r[0]["text"] for r in every] == checks["check_id"].tolist()
    retro = body_rows(parse(checks_table(review, study_ids=["retro_series_147"])))
    assert [r[0]["text"] for r in retro] == checks.loc[checks["study_id"] == "retro_series_147", "check_id"].tolist()
    failing = review.checks.loc[review.checks["status"] == "fail", "check_id"].tolist()
    shown_failing = body_rows(parse(checks_table(review, only_failing=True)))
    assert [r[0]["text"] for r in shown_failing] == failing and failing
    assert all(within(r[5], "span")[0]["text"] == "fail" for r in shown_failing)
    picked = body_rows(parse(checks_table(review, check_ids=["retro-13", "retro-01"])))
    assert [r[0]["text"] for r in picked] == ["retro-01", "retro-13"]  # file order
    # retro-13: relapses with (10) and without (21) maintenance add up to 31, printed total 32
    assert [c["text"] for c in picked[1][3:6]] == ["32", "31", "fail"]


def test_checks_table_escapes():
    checks = pd.DataFrame({"check_id": ["c-1", "c-2"], "study_id": ["a", "b"], "description": [HOSTILE, "ok"],
                           "expected": [3, 4], "observed": [3, 5], "status": ["pass", "fail"]})
    stub = SimpleNamespace(checks=checks, study_label=lambda study: f"{HOSTILE} {study}")
    page = checks_table(stub).data
    assert "<script" not in page and "<img" not in page
    cells = body_rows(parse(page))
    assert [[c["text"] for c in r] for r in cells] == [["c-1", f"{HOSTILE} a", HOSTILE, "3", "3", "pass"],
                                                      ["c-2", f"{HOSTILE} b", "ok", "4", "5", "fail"]]


def test_rederived_table_from_the_platelet_counts(review):
    """Response per month classified here from patients.csv with the study's criteria (methods page):
    CR above 100; PR 30 to 100 with at least a doubling of baseline; the withdrawn patient is NR."""
    patients = pd.read_csv(DATA_DIR / "patients.csv", dtype=str, keep_default_na=False)
    platelets = patients[(patients["study_id"] == "zhang_2021")
                         & patients["measure"].str.startswith("platelets_month_")]
    counts = {}
    for (patient, measure), value in platelets.set_index(["patient", "measure"])["value"].items():
        counts.setdefault(int(patient), {})[int(measure.removeprefix("platelets_month_"))] = value
    expected = []
    for month in (1, 3, 6, 12):
        tally = {"CR": 0, "PR": 0, "NR": 0}
        for by_month in counts.values():
            value = by_month[month]
            baseline = int(by_month[0])
            if value == "/":
                tally["NR"] += 1
            elif int(value) > 100:
                tally["CR"] += 1
            elif int(value) >= 30 and int(value) >= 2 * baseline:
                tally["PR"] += 1
            else:
                tally["NR"] += 1
        n = sum(tally.values())
        responders = tally["CR"] + tally["PR"]
        expected.append([str(month), str(tally["CR"]), str(tally["PR"]), str(tally["NR"]),
                         f"{responders}/{n} ({100 * responders / n:.1f}%)"])
    # by hand, month 6: patients 2, 3, 7 above 100 (CR); 1, 4, 6 doubled (PR); 5 (35 from 30) and 8 NR
    assert expected[2] == ["6", "3", "3", "2", "6/8 (75.0%)"]
    cells = body_rows(parse(rederived_table(review, review.tables["patients"]["study_id"].iloc[0])))
    assert [[c["text"] for c in r[:5]] for r in cells] == expected
    # the printed column carries the paper's percentages for that month
    derivations = pd.read_csv(DATA_DIR / "derivations.csv", dtype=str, keep_default_na=False)
    evidence = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False)
    linked = derivations[derivations["method"] == "per_patient_response"].merge(evidence, on="evidence_id")
    for row in cells:
        for printed in linked.loc[linked["month"] == row[0]["text"], "reported"]:
            assert f"{printed}%" in row[5]["text"]


# --- lists and pooled text ----------------------------------------------------------------------

def test_discrepancies_are_the_three_verdicts(review):
    audit = review.audit
    wanted = audit.loc[audit["verdict"].isin(["rounding_variant", "test_dependent", "inconsistent"]), "evidence_id"]
    found = discrepancies(review)
    assert found["evidence_id"].tolist() == wanted.tolist() and len(wanted) > 0
    rows = make_rows(*[dict(verdict=v, numerator=1, denominator=2) for v in AUDIT_VERDICTS * 2],
                     dict(verdict="consistent", numerator=pd.NA, denominator=3))
    picked = discrepancies(SimpleNamespace(rows=rows))
    assert picked["verdict"].tolist() == ["rounding_variant", "test_dependent", "inconsistent"] * 2
    assert picked["evidence_id"].tolist() == ["s-002", "s-003", "s-004", "s-008", "s-009", "s-010"]


def test_discrepancies_markdown_one_bullet_each(review):
    found = discrepancies(review)
    lines = discrepancies_markdown(review).split("\n")
    assert len(lines) == len(found)
    for line, row in zip(lines, found.itertuples()):
        assert line.startswith(f"- **{row.short_label}**, {row.outcome}")
        assert f"(`{row.evidence_id}`)" in line and line.endswith(markdown_text(row.explanation))


def test_failing_checks_markdown(review, studies):
    checks = review.checks
    failing = checks[checks["status"] == "fail"]
    lines = failing_checks_markdown(review).split("\n")
    labels = studies.set_index("study_id")["short_label"]
    assert len(lines) == len(failing) > 0
    for line, check in zip(lines, failing.itertuples()):
        assert line.startswith(f"- **{labels[check.study_id]}**: {check.description}")
        assert f"add up to {check.observed}, the total is {check.expected} (`{check.check_id}`)" in line


@pytest.mark.parametrize("which", ["discrepancies", "checks"])
def test_markdown_lists_escape_html_from_the_data(which):
    if which == "discrepancies":
        rows = make_rows(dict(verdict="inconsistent", numerator=1, denominator=3, short_label=HOSTILE,
                              explanation=HOSTILE, outcome=HOSTILE))
        text = discrepancies_markdown(SimpleNamespace(rows=rows))
    else:
        checks = pd.DataFrame({"check_id": ["c-1"], "study_id": ["a"], "description": [HOSTILE],
                               "expected": [3], "observed": [4], "status": ["fail"]})
        text = failing_checks_markdown(SimpleNamespace(checks=checks, study_label=lambda s: HOSTILE))
    assert "<script" not in text and "<img" not in text


def pooled_result(events, totals, pooled=None, reason=""):
    rows = pd.DataFrame({"study": [f"s{i}" for i in range(len(events))], "events": events, "total": totals})
    return dict(analysis_id="a", title="T", outcome="complete response", rows=rows, pooled=pooled, reason=reason)


def test_pooled_sentence_by_hand():
    pooled = dict(label="Pooled (Paule-Mandel, random effects, logit)", estimate=0.6094, ci_low=0.2431,
                  ci_high=0.8829, pi_low=None, pi_high=None, i2=77.3, tau2=1.02044)
    text = pooled_sentence(pooled_result([46, 3], [61, 8], pooled))
    # 46 + 3 = 49 events of 61 + 8 = 69 patients
    assert text == ("Pooled complete response: **60.9%** (95% CI 24.3% to 88.3%; 2 studies, 49 of 69 patients; "
                    "Paule-Mandel, random effects, logit; I² = 77%, τ² = 1.020).")
    with_pi = pooled_sentence(pooled_result([1, 2, 3], [10, 10, 10], dict(pooled, pi_low=0.01, pi_high=0.99)))
    assert "; 95% prediction interval 1.0% to 99.0%; 3 studies, 6 of 30 patients;" in with_pi
    not_pooled = pooled_sentence(pooled_result([5, 7], [10, 10], None, reason="the outcomes differ"))
    assert not_pooled == "Not pooled: the outcomes differ (2 studies, 12 of 20 patients)."


def test_pooled_sentence_one_study_is_singular():
    text = pooled_sentence(pooled_result([5], [8], None, reason="fewer than two studies report this outcome"))
    assert text == "Not pooled: fewer than two studies report this outcome (1 study, 5 of 8 patients)."


# --- loading ------------------------------------------------------------------------------------

def test_review_selection_and_lookups(review, evidence):
    chosen = review.select(diseases=["ITP"], statistics=["percent"])
    expected = evidence.loc[(evidence["disease"] == "ITP") & (evidence["statistic"] == "percent"), "evidence_id"]
    assert chosen["evidence_id"].tolist() == expected.tolist() and len(expected) > 0
    assert review.select()["evidence_id"].tolist() == evidence["evidence_id"].tolist()
    assert review.printed("retro_series_147-044") == "75.4%"
    assert review.printed("retro_series_147-003") == "67 patients"
    assert review.count("retro_series_147-042") == 23
    assert review.study_label("zhang_2021") == "Zhang 2021, 8 pts"


def test_load_review_from_a_copy_in_another_directory(data_copy, tmp_path, monkeypatch):
    evidence_file = data_copy / "evidence.csv"
    original = "Immune Thrombocytopenic Purpura-ITP N=67"
    text = evidence_file.read_text(encoding="utf-8")
    assert text.count(original) == 1
    evidence_file.write_text(text.replace(original, "ITP N=67 (the copy)"), encoding="utf-8")
    chapter = tmp_path / "book"
    chapter.mkdir()
    monkeypatch.chdir(chapter)  # as Jupyter Book runs a chapter: from book/, data/ one level up
    found = load_review()
    assert found.data_dir.resolve() == data_copy.resolve()
    assert found.row("retro_series_147-003")["quote"] == "ITP N=67 (the copy)"
    assert len(found.rows) == len(pd.read_csv(evidence_file))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    given = load_review(str(data_copy), ci_method="wilson", estimator="DL")
    assert given.data_dir == data_copy and (given.ci_method, given.estimator) == ("wilson", "DL")
    assert os.getcwd() == str(elsewhere)


def test_find_data_dir_without_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="pass data_dir"):
        find_data_dir()
    assert find_data_dir(tmp_path / "x") == tmp_path / "x"


def test_a_count_that_fits_shows_the_counts_that_give_the_percentage():
    # 57% of 7: 4/7 = 57.14 is the only whole count; 64% of 1746: 1109/1746 = 63.52 ... 1126/1746 = 64.49.
    one = pd.Series(dict(recomputed="", compatible=(4,), denominator=7))
    many = pd.Series(dict(recomputed="", compatible=tuple(range(1109, 1127)), denominator=1746))
    gaps = pd.Series(dict(recomputed="", compatible=(1, 3), denominator=9))
    assert recomputed_text(one, "count_fits") == "4/7"
    assert recomputed_text(many, "count_fits") == "1109 to 1126 of 1746"
    assert recomputed_text(gaps, "count_fits") == "1, 3 of 9"
    known = pd.Series(dict(recomputed="75.4", compatible=(), denominator=61))
    assert recomputed_text(known, "consistent") == "75.4"
    assert recomputed_text(one, "consistent") == ""


# --- Tables and lists that would outgrow a page: their first rows, and where all of them are -------

def row_bytes(page: str) -> list[int]:
    """UTF-8 sizes of the <tr>...</tr> rows of a table body, as they appear in the page."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [len(f"<tr{row}".encode()) for row in body.split("<tr")[1:]]


def test_evidence_table_keeps_the_rows_that_fit_and_links_to_all(review):
    whole = evidence_table(review.rows, "All", max_bytes=None).data
    sizes = row_bytes(whole)
    assert len(sizes) == len(review.rows) and not find(parse(whole), "p", "rtx-left-out")
    limit = sum(sizes[:10]) + sizes[10] - 1  # the 11th row does not fit
    page = evidence_table(review.rows, "All", max_bytes=limit).data
    nodes = parse(page)
    assert row_bytes(page) == sizes[:10]
    note, = find(nodes, "p", "rtx-left-out")
    assert note["text"] == (f"The first 10 of {len(review.rows)} numbers are shown here; all {len(review.rows)} "
                            "are in audit.csv (see the Data appendix).")
    link, = within(note, "a")
    assert link["attrs"]["href"] == "../_static/results/audit.csv"
    assert evidence_table(review.rows, "All", max_bytes=sum(sizes)).data == whole  # exactly enough


def test_checks_table_puts_failing_checks_first_when_cut(review):
    failing = review.checks.loc[review.checks["status"] == "fail", "check_id"].tolist()
    page = checks_table(review, max_bytes=3_000).data
    shown = [r[0]["text"] for r in body_rows(parse(page))]
    assert 0 < len(shown) < len(review.checks) and sum(row_bytes(page)) <= 3_000
    assert shown[:len(failing)] == failing  # failing first, in file order
    note, = find(parse(page), "p", "rtx-left-out")
    assert f"of {len(review.checks)} checks" in note["text"] and within(note, "a")[0]["attrs"]["href"].endswith("checks.csv")


def test_verdict_matrix_keeps_the_sources_with_most_findings(review, shown):
    nodes = parse(verdict_matrix(review, max_sources=2))
    labels = [r[0]["text"] for r in body_rows(nodes)]
    # worked out from the verdicts a reader sees: non-reproducing numbers per source
    findings = review.rows.assign(shown=review.rows["evidence_id"].map(shown)).groupby("short_label")["shown"].apply(
        lambda v: int(v.isin(SHOWN_EXPLANATIONS).sum()))
    top = findings.sort_values(ascending=False, kind="stable").index[:2]
    assert labels == sorted(top) + ["All sources"]
    assert body_rows(nodes)[-1][-1]["text"] == str(len(review.rows))  # the total still counts every source
    assert find(nodes, "p", "rtx-left-out")


def test_markdown_lists_stop_after_max_items(review):
    found = discrepancies(review)
    lines = discrepancies_markdown(review, max_items=3).split("\n")
    assert lines[:3] == discrepancies_markdown(review).split("\n")[:3]
    assert lines[3] == f"- and {len(found) - 3} more: every one, with its explanation, is in the file audit.csv (Data appendix)."
    assert len(lines) == 4
    failing = review.checks[review.checks["status"] == "fail"]
    lines = failing_checks_markdown(review, max_items=1).split("\n")
    assert len(lines) == 2 and lines[1].startswith(f"- and {len(failing) - 1} more")
