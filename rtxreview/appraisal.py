"""Risk of bias of each source (JBI checklist for case series), the response definitions and the
external reference figures: the checks their Table Schemas cannot state, a per-study summary, and
the traffic-light and per-question charts.

The tool is the JBI Critical Appraisal Checklist for Case Series (Munn et al., JBI Evid Synth 2020;
18(10): 2127-33): ten questions written for case series of treatments and outcomes, the design of
all five sources. Murad et al. (BMJ EBM 2018) has eight, three of which (alternative causes,
challenge/rechallenge, dose-response) its authors call mostly relevant to adverse drug events;
data/APPRAISAL.md says more.

Everything here follows the data: a study of studies.csv without rows in appraisal.csv is shown as
"not yet appraised", never skipped and never given a default.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from rtxreview import charts
from rtxreview.validate import DataValidationError, Problem

TOOL = "JBI Critical Appraisal Checklist for Case Series (Munn et al. 2020)"
QUESTIONS: dict[str, str] = {
    "Q1": "Were there clear criteria for inclusion in the case series?",
    "Q2": "Was the condition measured in a standard, reliable way for all participants?",
    "Q3": "Were valid methods used for identification of the condition for all participants?",
    "Q4": "Did the case series have consecutive inclusion of participants?",
    "Q5": "Did the case series have complete inclusion of participants?",
    "Q6": "Was there clear reporting of the demographics of the participants?",
    "Q7": "Was there clear reporting of the clinical information of the participants?",
    "Q8": "Were the outcomes or follow-up results of cases reported?",
    "Q9": "Was there clear reporting of the presenting site(s)/clinic(s) demographic information?",
    "Q10": "Was the statistical analysis appropriate?",
}
SHORT_QUESTIONS: dict[str, str] = {
    "Q1": "Q1 Inclusion criteria", "Q2": "Q2 Condition measured reliably", "Q3": "Q3 Valid identification",
    "Q4": "Q4 Consecutive inclusion", "Q5": "Q5 Complete inclusion", "Q6": "Q6 Demographics reported",
    "Q7": "Q7 Clinical information reported", "Q8": "Q8 Outcomes reported", "Q9": "Q9 Site reported",
    "Q10": "Q10 Statistics appropriate",
}
NOT_REPORTED = "not reported"
NOT_APPRAISED = "not yet appraised"
JUDGEMENTS = ("yes", "unclear", "no", "not applicable", NOT_APPRAISED)
# Okabe-Ito colours (safe for colour-vision deficiencies); the judgement is also told by a symbol.
# Orange, grey and purple darkened to 3:1 against both the light and the dark page (charts.py).
JUDGEMENT_COLOURS = {"yes": "#009E73", "unclear": charts.ORANGE, "no": "#D55E00", "not applicable": charts.GREY,
                     NOT_APPRAISED: "#B5608F"}
JUDGEMENT_SHAPES = {"yes": "circle", "unclear": "triangle-up", "no": "cross", "not applicable": "square",
                    NOT_APPRAISED: "diamond"}
JUDGEMENT_SYMBOLS = {"yes": "+", "unclear": "?", "no": "−", "not applicable": "n/a", NOT_APPRAISED: "·"}

# Questions on how patients were selected and analysed: a "no" here is a high risk of bias on its own.
SELECTION_AND_ANALYSIS = ("Q4", "Q5", "Q10")


# --- checks the Table Schemas cannot state -----------------------------------------------------

def _position_line(index) -> int:
    """CSV line of a row of a frame as validate_package returns it (0-based; line 1 is the header)."""
    return int(index) + 2


def _index_line(index) -> int:
    """CSV line of a row of a frame inside validate_package, whose index is the line."""
    return int(index)


def _problems_where(bad: pd.Series, frame: pd.DataFrame, path: str, key: list[str], column: str,
                    message: str, line_of=_position_line) -> list[Problem]:
    problems = []
    for index in frame.index[bad.to_numpy(dtype=bool, na_value=False)]:
        row = frame.loc[index]
        value = row[column]
        problems.append(Problem(path, line_of(index), ", ".join(f"{k} {row[k]}" for k in key), column,
                                None if pd.isna(value) else str(value), message))
    return problems


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


def appraisal_problems(appraisal: pd.DataFrame, path: str = "appraisal.csv",
                       line_of=_position_line) -> list[Problem]:
    """A quote of 'not reported' has no location and a real quote has one; an appraised study
    answers all ten questions."""
    key = ["study_id", "question"]
    not_reported = appraisal["quote"].astype("string").str.strip().str.lower() == NOT_REPORTED
    problems = _problems_where(not_reported & ~_blank(appraisal["location"]), appraisal, path, key, "location",
                               "a quote of 'not reported' has no location", line_of=line_of)
    problems += _problems_where(~not_reported & _blank(appraisal["location"]), appraisal, path, key, "location",
                                "a quote needs its location", line_of=line_of)
    for study, rows in appraisal.groupby("study_id", sort=True):
        for question in sorted(set(QUESTIONS) - set(rows["question"]), key=lambda q: int(q[1:])):
            problems.append(Problem(path, None, f"study_id {study}", "question", question,
                                    "an appraised study must answer every question of the checklist"))
    return problems


def definition_problems(definitions: pd.DataFrame, path: str = "definitions.csv",
                        line_of=_position_line) -> list[Problem]:
    """A study's definition names its study and no standard; a standard's the reverse."""
    key = ["definition_id"]
    study = definitions["source_kind"] == "study"
    problems = _problems_where(study & _blank(definitions["study_id"]), definitions, path, key, "study_id",
                               "a study's definition needs its study_id", line_of=line_of)
    problems += _problems_where(~study & ~_blank(definitions["study_id"]), definitions, path, key, "study_id",
                                "a standard's definition has no study_id", line_of=line_of)
    problems += _problems_where(~study & _blank(definitions["standard"]), definitions, path, key, "standard",
                                "a standard's definition needs the standard's name", line_of=line_of)
    problems += _problems_where(study & (definitions["versus_standard"] == "standard"), definitions, path, key,
                                "versus_standard", "only a standard's row is 'standard'", line_of=line_of)
    problems += _problems_where(~study & (definitions["versus_standard"] != "standard"), definitions, path, key,
                                "versus_standard", "a standard's row is 'standard'", line_of=line_of)
    quoted = definitions["definition"].astype("string").str.strip().str.lower() != NOT_REPORTED
    problems += _problems_where(quoted & _blank(definitions["location"]), definitions, path, key, "location",
                                "a quoted definition needs its location", line_of=line_of)
    return problems


def context_problems(context: pd.DataFrame, path: str = "context.csv",
                     line_of=_position_line) -> list[Problem]:
    """Every external figure has a DOI or a PMID, and lies inside its confidence interval."""
    key = ["context_id"]
    problems = _problems_where(_blank(context["doi"]) & context["pmid"].isna(), context, path, key, "doi",
                               "a reference figure needs a DOI or a PMID", line_of=line_of)
    figure = context["figure"].astype("Float64")
    problems += _problems_where((context["ci_low"].astype("Float64") > figure).fillna(False), context, path, key,
                                "ci_low", "the lower confidence limit is above the figure", line_of=line_of)
    problems += _problems_where((context["ci_high"].astype("Float64") < figure).fillna(False), context, path, key,
                                "ci_high", "the upper confidence limit is below the figure", line_of=line_of)
    problems += _problems_where(context["ci_low"].isna() != context["ci_high"].isna(), context, path, key,
                                "ci_low", "give both confidence limits or neither", line_of=line_of)
    return problems


def judgement_problems(judgements: pd.DataFrame, path: str = "certainty_judgements.csv",
                       line_of=_position_line) -> list[Problem]:
    """A study's judgement names its study; a review-wide one names none."""
    key = ["judgement_id"]
    study = judgements["scope"] == "study"
    problems = _problems_where(study & _blank(judgements["study_id"]), judgements, path, key, "study_id",
                               "a study's judgement needs its study_id", line_of=line_of)
    problems += _problems_where(~study & ~_blank(judgements["study_id"]), judgements, path, key, "study_id",
                                "a review-wide judgement has no study_id", line_of=line_of)
    duplicated = judgements.assign(study_id=judgements["study_id"].fillna("")).duplicated(
        ["scope", "study_id", "domain"], keep="first")
    problems += _problems_where(duplicated, judgements, path, key, "domain",
                                "one judgement per scope, study and domain", line_of=line_of)
    return problems


CHECKS = {"appraisal": appraisal_problems, "definitions": definition_problems, "context": context_problems,
          "certainty_judgements": judgement_problems}


def problems(tables: dict[str, pd.DataFrame], data_dir=None, *, index_is_line: bool = False) -> list[Problem]:
    """Every problem of the appraisal, definitions, context and judgement tables that are present;
    tables the package does not have are not checked. ``data_dir`` names files by path;
    ``index_is_line``: the frames' index is the CSV line (as inside ``validate_package``) rather
    than a 0-based position (as it returns them)."""
    from pathlib import Path
    found = []
    for name, check in CHECKS.items():
        if name in tables:
            path = str(Path(data_dir) / f"{name}.csv") if data_dir is not None else f"{name}.csv"
            found += check(tables[name], path, _index_line if index_is_line else _position_line)
    return found


def check(tables: dict[str, pd.DataFrame], data_dir=None) -> None:
    """Raise DataValidationError with every problem :func:`problems` finds (the call for validation)."""
    found = problems(tables, data_dir)
    if found:
        raise DataValidationError(found)


# --- summaries ----------------------------------------------------------------------------------

def appraisal_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per study of studies.csv and question: the judgement, or 'not yet appraised'.

    Columns: study_id, short_label, question, question_text, judgement, quote, location, note.
    """
    studies = tables["studies"][["study_id", "short_label"]]
    grid = studies.merge(pd.DataFrame({"question": list(QUESTIONS)}), how="cross")
    appraisal = tables.get("appraisal", pd.DataFrame(columns=["study_id", "question", "judgement", "quote",
                                                              "location", "note"]))
    rows = grid.merge(appraisal, on=["study_id", "question"], how="left")
    rows["judgement"] = rows["judgement"].astype(object).where(rows["judgement"].notna(), NOT_APPRAISED)
    rows["question_text"] = rows["question"].map(QUESTIONS)
    for column in ("quote", "location", "note"):
        rows[column] = rows[column].astype(object).where(rows[column].notna(), "")
    return rows[["study_id", "short_label", "question", "question_text", "judgement", "quote", "location", "note"]]


def study_risk_of_bias(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per study: answers counted and an overall level with the rule that gave it.

    JBI gives no summary score (Munn et al. advise against one), but GRADE needs a judgement per
    study, so this review states a rule: *high* when a question on how patients were selected or
    analysed (Q4 consecutive, Q5 complete inclusion, Q10 statistics) is answered no, or when none of
    them is answered yes (unclear throughout), or when fewer than half of the applicable questions are
    answered yes; *low* when every applicable question is
    yes; *some concerns* otherwise; *not yet appraised* without rows.
    """
    rows = appraisal_rows(tables)
    out = []
    for study_id, group in rows.groupby("study_id", sort=False):
        answers = group.set_index("question")["judgement"]
        counts = {j: int((answers == j).sum()) for j in ("yes", "no", "unclear", "not applicable")}
        applicable = len(answers) - counts["not applicable"]
        out.append({"study_id": study_id, "short_label": group["short_label"].iloc[0], **counts,
                    "applicable": applicable, **_level(answers, counts, applicable)})
    return pd.DataFrame(out)


def _level(answers: pd.Series, counts: dict, applicable: int) -> dict:
    if (answers == NOT_APPRAISED).all():
        return {"level": NOT_APPRAISED, "reason": "no rows in appraisal.csv"}
    failed = [q for q in SELECTION_AND_ANALYSIS if answers.get(q) == "no"]
    if failed:
        return {"level": "high", "reason": f"{', '.join(failed)} answered no"}
    asked = [q for q in SELECTION_AND_ANALYSIS if answers.get(q) not in (None, "not applicable")]
    if asked and not any(answers.get(q) == "yes" for q in asked):  # unclear throughout is no reassurance
        return {"level": "high", "reason": f"none of {', '.join(asked)} (selection and analysis) answered yes"}
    if counts["yes"] * 2 < applicable:
        return {"level": "high", "reason": f"{counts['yes']} of {applicable} applicable questions answered yes"}
    if counts["yes"] == applicable:
        return {"level": "low", "reason": f"all {applicable} applicable questions answered yes"}
    doubtful = [q for q, a in answers.items() if a in ("no", "unclear")]
    return {"level": "some concerns", "reason": f"{', '.join(doubtful)} answered no or unclear"}


# --- charts -------------------------------------------------------------------------------------

def _chart_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = appraisal_rows(tables)
    rows["question_label"] = rows["question"].map(SHORT_QUESTIONS)
    rows["symbol"] = rows["judgement"].map(JUDGEMENT_SYMBOLS)
    return rows


def _judgement_colour(present: list[str]) -> alt.Color:
    domain = [j for j in JUDGEMENTS if j in present]
    return alt.Color("judgement:N", title="Judgement",
                     scale=alt.Scale(domain=domain, range=[JUDGEMENT_COLOURS[j] for j in domain]),
                     legend=alt.Legend(orient="bottom"))


TRAFFIC_TOOLTIP = [("short_label", "Source"), ("question", "Question"), ("question_text", "JBI question"),
                   ("judgement", "Judgement"), ("quote", "Quote"), ("location", "Location"), ("note", "Note")]


def traffic_light_chart(tables: dict[str, pd.DataFrame], *, title: str = "Risk of bias: JBI checklist for case series"
                        ) -> alt.TopLevelMixin:
    """Studies (rows) by questions (columns): a coloured circle with a symbol per judgement.

    Columns the chart encodes only (no whole table is embedded); a study without appraisal rows
    is a row of 'not yet appraised'.
    """
    rows = _chart_rows(tables)[[c for c, _ in TRAFFIC_TOOLTIP] + ["question_label", "symbol"]]
    order = list(SHORT_QUESTIONS.values())
    x = alt.X("question_label:N", sort=order, title=None, axis=alt.Axis(orient="top", labelAngle=-40, labelLimit=220))
    y = alt.Y("short_label:N", sort=list(dict.fromkeys(rows["short_label"])), title=None,
              axis=alt.Axis(labelLimit=220))
    tooltip = charts._tooltip(TRAFFIC_TOOLTIP)
    base = alt.Chart(rows)
    # The judgement is told by colour and by shape (one legend), never by colour alone; shapes rather
    # than text on the marks, which could not keep its contrast on both the mark and the page.
    domain = [j for j in JUDGEMENTS if j in set(rows["judgement"])]
    shape = alt.Shape("judgement:N", title="Judgement",
                      scale=alt.Scale(domain=domain, range=[JUDGEMENT_SHAPES[j] for j in domain]))
    chart = base.mark_point(size=260, filled=True, opacity=1).encode(
        x=x, y=y, color=_judgement_colour(list(rows["judgement"])), shape=shape, tooltip=tooltip
    ).properties(width=30 * len(order), height=30 * rows["short_label"].nunique())
    return charts._finish(chart, title)


def question_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Studies per question and judgement, with their share of the studies."""
    rows = _chart_rows(tables)
    counts = (rows.groupby(["question", "question_label", "judgement"], sort=False).size()
              .rename("studies").reset_index())
    counts["share"] = counts["studies"] / rows["study_id"].nunique()
    counts["share_text"] = [f"{n} of {rows['study_id'].nunique()}" for n in counts["studies"]]
    counts["order"] = counts["judgement"].map({j: i for i, j in enumerate(JUDGEMENTS)})
    return counts


def question_summary_chart(tables: dict[str, pd.DataFrame], *,
                           title: str = "Risk of bias across the sources, per question") -> alt.TopLevelMixin:
    """One horizontal bar per question, split into the share of studies per judgement."""
    counts = question_summary(tables)
    chart = alt.Chart(counts, width=charts.WIDTH - 240, height=24 * len(QUESTIONS)).mark_bar().encode(
        y=alt.Y("question_label:N", sort=list(SHORT_QUESTIONS.values()), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("share:Q", stack="zero", title="Share of sources", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1])),
        color=_judgement_colour(list(counts["judgement"])),
        order=alt.Order("order:Q"),
        tooltip=charts._tooltip([("question_label", "Question"), ("judgement", "Judgement"),
                                 ("share_text", "Sources")]),
    )
    return charts._finish(chart, title)


def chart_id(text: str) -> str:
    """A chart id (lower-case letters, digits, hyphens) made from any text."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "chart"


# --- response definitions and the wider literature ---------------------------------------------------

def definitions_by_disease(tables: dict[str, pd.DataFrame], disease: str) -> pd.DataFrame:
    """The standard definitions for a disease, then each source's own (those it uses for this disease
    or for all its diseases), with the reviewer's comparison: which sources' outcomes are comparable.

    Columns: outcome, source (the standard's name or the study's label), term, definition, location,
    versus_standard, note. A study whose outcomes have no rows yet is not listed: nothing is inferred.
    """
    definitions = tables.get("definitions")
    if definitions is None or definitions.empty:
        return pd.DataFrame(columns=["outcome", "source", "term", "definition", "location", "versus_standard", "note"])
    labels = tables["studies"].set_index("study_id")["short_label"]
    rows = definitions[(definitions["disease"] == disease)
                       | ((definitions["disease"] == "mixed cytopenias") & (definitions["source_kind"] == "study"))]
    rows = rows.assign(source=[r.standard if r.source_kind == "standard" else labels.get(r.study_id, r.study_id)
                               for r in rows.itertuples()],
                       standard_first=(rows["source_kind"] != "standard").astype(int))
    rows = rows.sort_values(["outcome", "standard_first"], kind="stable")
    return rows[["outcome", "source", "term", "definition", "location", "versus_standard", "note"]].reset_index(drop=True)


def comparable_outcomes(tables: dict[str, pd.DataFrame], disease: str) -> pd.DataFrame:
    """Per outcome of a disease, which sources define it as the standard does and which do not
    (not defined, or defined differently): the per-disease comparability note, from the data."""
    table = definitions_by_disease(tables, disease)
    sources = table[table["versus_standard"] != "standard"]
    out = []
    for outcome, group in sources.groupby("outcome", sort=True):
        by_status = {status: ", ".join(group[group["versus_standard"] == status]["source"])
                     for status in ("matches standard", "differs from standard", "not defined", "no standard confirmed")}
        out.append({"outcome": outcome, **by_status})
    return pd.DataFrame(out, columns=["outcome", "matches standard", "differs from standard", "not defined",
                                      "no standard confirmed"])


EXTERNAL_COLOUR = charts.GREY  # grey: external figures, told apart from the review's own blue (3:1 on both pages)


def reference_chart(tables: dict[str, pd.DataFrame], disease: str, outcome: str, *, title: str | None = None):
    """The wider literature's figures for a disease and outcome (context.csv), as points with their
    95% CI and a citation, on the forest plot's 0-100% axis: to be shown with the forest plot,
    marked external and never pooled. None when no figure is set beside this outcome."""
    context = tables.get("context")
    if context is None or context.empty:
        return None
    matches = context["review_outcomes"].astype(str).str.split(r";\s*").map(lambda names: outcome in names)
    rows = context[(context["disease"] == disease) & matches]
    if rows.empty:
        return None
    data = pd.DataFrame({
        "label": [f"{r.citation.split('.')[0]} ({r.design}, {r.studies} "
                  f"{'study' if r.studies == 1 else 'studies'}, {r.patients} patients)" for r in rows.itertuples()],
        "figure": rows["figure"].astype(float) / 100,
        "ci_low": rows["ci_low"].astype(float) / 100, "ci_high": rows["ci_high"].astype(float) / 100,
        "figure_text": [f"{r.figure:g}%" + ("" if pd.isna(r.ci_low) else f" ({r.ci_low:g}% to {r.ci_high:g}%)")
                        for r in rows.itertuples()],
        "definition": rows["response_definition"].astype(str), "regimen": rows["regimen"].astype(str),
        "source": [f"PMID {int(r.pmid)}" if pd.notna(r.pmid) else f"doi:{r.doi}" for r in rows.itertuples()],
    })
    tooltip = charts._tooltip([("label", "Publication"), ("figure_text", "Figure (95% CI)"),
                               ("regimen", "Regimen"), ("definition", "Response definition"), ("source", "Source")])
    y = alt.Y("label:N", title=None, sort=list(data["label"]), axis=alt.Axis(labelLimit=260))
    x = alt.X("figure:Q", title="Published figure (external, not pooled)", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]))
    base = alt.Chart(data)
    layers = [base.transform_filter("isValid(datum.ci_low)").mark_rule(strokeWidth=1.5, strokeDash=[4, 2]).encode(
                  x=alt.X("ci_low:Q", scale=alt.Scale(domain=[0, 1])), x2=alt.X2("ci_high:Q"), y=y, tooltip=tooltip),
              base.mark_point(shape="diamond", filled=True, size=90, color=EXTERNAL_COLOUR, opacity=1).encode(
                  x=x, y=y, tooltip=tooltip)]
    chart = alt.layer(*layers, width=charts.WIDTH - 280, height=28 * len(data))
    return charts._finish(chart, title or f"Wider literature: {outcome} with rituximab in {disease}",
                          subtitle="Published figures from other studies, for comparison only")
