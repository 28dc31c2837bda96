"""Chapters as views of the data: what each chapter shows is selected here, from the data alone.

A disease chapter shows the rows whose ``disease`` is the chapter's; a topic chapter (dose, relapse,
safety) the rows whose outcome has the chapter's topic in ``outcomes.csv``. Nothing here names a
study or an evidence row: every count, list of studies and sentence about them is computed, so a
chapter reads true on any extraction that validates (a study added or removed, ids renamed).
Editorial commentary about particular studies is kept apart, in ``book/commentary``
(``rtxreview.commentary``), and is shown only while the rows it discusses are there.
"""

from __future__ import annotations

import html
import re

import pandas as pd
from IPython.display import HTML, Markdown, display

from rtxreview import charts, commentary, ipd
from rtxreview import pages, tables
from rtxreview import text as fmt
from rtxreview.text import readable_unit

# Disease chapters and the diseases each shows; every other disease label of the data (but the two
# that name no disease) belongs to the chapter on Evans syndrome and related disorders.
DISEASE_CHAPTERS = {"itp": ("ITP",), "aiha": ("AIHA",), "ttp": ("TTP",)}
OTHER_CHAPTER = "evans_other"
NOT_A_DISEASE = ("mixed cytopenias", "not specific")
DISEASE_NAMES = {"ITP": "immune thrombocytopenia (ITP)", "AIHA": "autoimmune haemolytic anaemia (AIHA)",
                 "TTP": "thrombotic thrombocytopenic purpura (TTP)",
                 "APS": "antiphospholipid syndrome (APS, a thrombophilia)",
                 "acquired haemophilia": "acquired haemophilia (an acquired coagulopathy)"}
# Topic chapters: the outcome topics (outcomes.csv) each shows.
TOPIC_CHAPTERS = {"dose": ("regimen",), "relapse": ("durability", "time to response"),
                  "safety": ("harm", "disease outcome", "screening")}
RATE_STATISTICS = ("count", "percent")
STATISTIC_NAMES = {"sd": "SD", "iqr": "IQR", "ci": "95% CI", "p_value": "p-value", "value": "value"}
PATIENT_COUNT_OUTCOMES = ("patients enrolled",)  # outcome labels that count a disease's patients
EVIDENCE_CONTEXTS = ("result", "baseline")


def chapter_diseases(review, chapter: str) -> tuple[str, ...]:
    if chapter in DISEASE_CHAPTERS:
        return DISEASE_CHAPTERS[chapter]
    named = {d for diseases in DISEASE_CHAPTERS.values() for d in diseases}
    return tuple(sorted(set(review.rows["disease"]) - named - set(NOT_A_DISEASE)))


def with_topics(review) -> pd.DataFrame:
    """Every evidence row with its outcome's topic."""
    cached = getattr(review, "_rows_with_topics", None)
    if cached is None:
        topics = review.tables["outcomes"][["outcome", "topic"]]
        cached = review.rows.merge(topics, on="outcome", how="left")
        cached.index = review.rows.index
        review._rows_with_topics = cached
    return cached


def disease_rows(review, chapter: str, contexts=EVIDENCE_CONTEXTS) -> pd.DataFrame:
    return review.select(diseases=chapter_diseases(review, chapter), contexts=contexts)


def topic_rows(review, chapter: str, contexts=("result", "baseline", "method")) -> pd.DataFrame:
    rows = with_topics(review)
    return rows[rows["topic"].isin(TOPIC_CHAPTERS[chapter]) & rows["context"].isin(contexts)]


def chapter_rows(review, chapter: str) -> pd.DataFrame:
    """The rows a chapter shows: its disease's or topic's rows and every row its commentary discusses."""
    own = topic_rows(review, chapter) if chapter in TOPIC_CHAPTERS else disease_rows(review, chapter)
    cited = review.rows[review.rows["evidence_id"].isin(commentary.cited_rows(review, chapter))]
    return pd.concat([own, cited.drop(columns=[], errors="ignore")]).drop_duplicates("evidence_id").sort_index()


# --- words ------------------------------------------------------------------------------------

def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def of_all(k: int, n: int) -> str:
    """'one of the five', 'all three', 'both', 'the only' (never 'all one' or 'three of the three')."""
    if k == n == 1:
        return "the only"
    if k == n == 2:
        return "both"
    if k == n:
        return f"all {fmt.number_word(k)}"
    return f"{fmt.number_word(k)} of the {fmt.number_word(n)}"


def disease_name(chapter: str, review) -> str:
    diseases = chapter_diseases(review, chapter)
    return listing([DISEASE_NAMES.get(d, d) for d in diseases]) or "related disorders"


# --- sections ---------------------------------------------------------------------------------

def show_summary_of_findings(review, chapter: str) -> None:
    """The GRADE summary of findings of each of the chapter's diseases (rtxreview.certainty)."""
    from rtxreview import certainty
    diseases = chapter_diseases(review, chapter)
    if not diseases:
        nothing("No finding to summarise.")
    for disease in diseases:
        display(certainty.show_summary_of_findings(review, disease))


def show_every_rating(review) -> None:
    """Every finding rated for certainty, whatever its outcome's importance, with each domain's
    judgement and reason (folded: the long form behind the summaries of findings)."""
    from rtxreview import certainty
    table = certainty.certainty_table(review)
    if table.empty:
        nothing("No finding to rate.")
        return
    table = table.assign(importance=[certainty.importance(review, f.outcome) for f in certainty.findings(review)])
    columns = ["disease", "outcome", "importance", "studies", "patients", "estimate", "certainty",
               *[d for d in certainty.DOMAINS if d in table.columns]]
    head = "".join(f"<th>{html.escape(c.capitalize())}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(
            f"<td>{html.escape(str(r[c]))}" + (f"<br><small>{html.escape(str(r[c + ': reason']))}</small>"
                                                if c in certainty.DOMAINS else "") + "</td>" for c in columns)
        + "</tr>" for _, r in table.fillna("").iterrows())
    caption = f"Every finding rated for certainty ({fmt.plural(len(table), 'finding')})"
    display(HTML(f'<details class="rtx-all-rows"><summary>{html.escape(caption)}: open to read each domain\'s '
                 f'judgement and reason</summary><div class="rtx-table-wrap" tabindex="0" role="region" '
                 f'aria-label="{html.escape(caption)}"><table class="rtx-evidence"><caption>{html.escape(caption)}'
                 f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"))


def show_commentary(review, chapter: str, section: str) -> None:
    """Display the chapter section's commentary pieces (left out when their rows are gone)."""
    for shown in commentary.pieces_for(review, chapter, section):
        display(Markdown(shown.markdown()))


def nothing(what: str) -> None:
    display(Markdown(f"*{what}*"))


def studies_of(review, rows: pd.DataFrame) -> pd.DataFrame:
    ids = list(dict.fromkeys(rows["study_id"]))
    return review.tables["studies"].set_index("study_id").loc[ids]


def sources_sentence(review, chapter: str) -> str:
    """Which sources report on the chapter's diseases, with their size and design, computed."""
    rows = disease_rows(review, chapter)
    total = len(review.tables["studies"])
    if rows.empty:
        return f"None of the {fmt.number_word(total)} sources reports on {disease_name(chapter, review)}."
    studies = studies_of(review, rows)
    items = []
    for study_id, study in studies.iterrows():
        enrolled = _patients_with(review, study_id, chapter_diseases(review, chapter))
        within = ("" if enrolled == study.patients_enrolled else ", the number with the disease not stated"
                  if enrolled is None else f", {enrolled} with the disease")
        items.append(f"{fmt.markdown_text(study.short_label)} ({fmt.markdown_text(study.design)}, "
                     f"{fmt.markdown_text(study.publication_type)}; {study.patients_enrolled} patients{within})")
    controlled = "all without a control group" if len(studies) > 1 else "without a control group"
    lead = of_all(len(studies), total).capitalize()
    noun, verb = ("source", "reports") if len(studies) == 1 else ("sources", "report")
    return f"{lead} {noun} {verb} on {disease_name(chapter, review)}, {controlled}: {listing(items)}."


def _patients_with(review, study_id: str, diseases) -> int | None:
    """Patients of a study with the given diseases, from its 'patients enrolled' count rows."""
    rows = review.select(studies=[study_id], diseases=diseases, contexts=["baseline"], statistics=["count", "percent"])
    rows = rows[rows["outcome"].isin(PATIENT_COUNT_OUTCOMES) | rows["outcome"].str.startswith("developed")]
    counts = rows.dropna(subset=["numerator"]).groupby("disease")["numerator"].max()
    return int(counts.sum()) if len(counts) else None


def rate_rows(rows: pd.DataFrame, topics=("response",), contexts=("result",), rituximab: bool | None = True
              ) -> pd.DataFrame:
    """Rows that are proportions with a denominator, of the given topics; with ``rituximab`` True, only
    rows whose intervention is rituximab (alone or combined), False only the others, None all."""
    keep = (rows["statistic"].isin(RATE_STATISTICS) & rows["denominator"].notna() & rows["context"].isin(contexts)
            & rows["topic"].isin(topics) & ~_bounded(rows))  # a bound ("at least 13") is not a proportion
    if rituximab is not None:
        keep &= given_rituximab(rows) == rituximab
    return rows[keep]


def _bounded(rows: pd.DataFrame) -> pd.Series:
    from rtxreview.bounds import bounds_of
    return bounds_of(rows)


def given_rituximab(rows: pd.DataFrame) -> pd.Series:
    return rows["intervention"].fillna("").str.contains("rituximab", case=False)


def _estimable(review, rows: pd.DataFrame) -> pd.DataFrame:
    """Estimates (events, total, exact CI) of the rows whose events are known or uniquely inferred."""
    from rtxreview.pooling import EstimateError, events_and_total
    audited = review.audit.set_index("evidence_id", drop=False)
    keep = []
    for eid in rows["evidence_id"]:
        try:
            events_and_total(audited.loc[eid])
            keep.append(eid)
        except EstimateError:
            continue
    if not keep:
        return pd.DataFrame()
    return review.estimates(keep, [estimate_label(review.row(e)) for e in keep])


def estimate_label(row: pd.Series) -> str:
    """'Short label: outcome (subgroup, time point, intervention); denominator inferred'."""
    details = [v for v in (row.get("disease"), row.get("subgroup"), row.get("timepoint"), row.get("intervention"))
               if isinstance(v, str) and v and v not in ("whole cohort", "rituximab", "mixed cytopenias")]
    text = f"{row['short_label']}: {row['outcome']}" + (f" ({'; '.join(details)})" if details else "")
    return fmt.readable_label(text + ("; denominator inferred" if row.get("denominator_source") == "inferred" else ""))


def results_table(review, rows: pd.DataFrame, caption: str) -> HTML:
    """The chapter's results: study, outcome, events/total, proportion with its exact 95% CI, verdict."""
    est = _estimable(review, rows)
    if est.empty:
        return HTML(f"<p><em>No {html.escape(caption.lower())} with a count and a denominator.</em></p>")
    verdicts = dict(zip(rows["evidence_id"], tables.shown_verdicts(rows)))
    failing = failing_checks_by_row(review)
    head = "".join(f"<th>{h}</th>" for h in ("Finding", "Events/total", "Proportion (95% CI)", "Verdict"))
    body = "".join(
        f"<tr><td>{html.escape(r.label)}</td><td>{r.events}/{r.total}"
        f"{'' if r.events_source == 'printed' else ' (events inferred)'}</td>"
        f"<td>{fmt.pct(r.events / r.total if r.total else 0)} ({fmt.ci_text(r.ci_low, r.ci_high)})</td>"
        f"<td>{tables.verdict_badge(verdicts[r.evidence_id])}{_failing_note(failing.get(r.evidence_id))}</td></tr>"
        for r in est.itertuples())
    return HTML(f'<div class="rtx-table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
                f'<table class="rtx-evidence"><caption>{html.escape(caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def failing_checks_by_row(review) -> dict[str, list[str]]:
    """For each evidence row, the failing arithmetic checks it is a part or the total of."""
    terms = review.tables["checks"].set_index("check_id")
    found: dict[str, list[str]] = {}
    for check_id in review.checks.loc[review.checks["status"] == "fail", "check_id"]:
        for eid in set(re.findall(r"[^\s:]+", f"{terms.at[check_id, 'parts']} {terms.at[check_id, 'total']}")):
            found.setdefault(eid, []).append(check_id)
    return found


def _failing_note(checks: list[str] | None) -> str:
    if not checks:
        return ""
    return (f'<div class="rtx-explanation">A check on this number fails ({html.escape(", ".join(sorted(checks)))}): '
            "read it with the audit's finding below.</div>")


def show_results(review, chapter: str, topics=("response",), title: str = "Response to rituximab") -> None:
    """Every rate of the chapter's topics given with rituximab, as a table and a chart; then, apart,
    the same sources' rates under other treatments (context, not evidence on rituximab)."""
    rows = with_topics(review).loc[chapter_index(review, chapter)]
    own = rate_rows(rows, topics=topics)
    if own.empty:
        nothing(f"No source gives a {title[0].lower() + title[1:]} with a denominator for this chapter.")
    else:
        display(results_table(review, own, f"{title}: every result with a denominator"))
        est = _estimable(review, own)
        if len(est):
            chart = charts.forest_plot(est.assign(weight=float("nan")), None,
                                       title=f"{title}: single estimates, not pooled",
                                       x_title="Proportion (exact 95% CI)")
            display(charts.show(chart, _slug(f"{chapter}-{title}-estimates")))
    other = rate_rows(rows, topics=topics, rituximab=False)
    if len(other):
        display(results_table(review, other, "The same sources: results under other treatments or none "
                                             "(context only, not evidence on rituximab)"))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def chapter_index(review, chapter: str) -> pd.Index:
    return (topic_rows(review, chapter) if chapter in TOPIC_CHAPTERS else disease_rows(review, chapter)).index


def analyses_for(review, chapter: str) -> list[dict]:
    diseases = set(chapter_diseases(review, chapter))
    if chapter in TOPIC_CHAPTERS:
        topics = set(TOPIC_CHAPTERS[chapter])
        outcome_topic = dict(zip(review.tables["outcomes"]["outcome"], review.tables["outcomes"]["topic"]))
        return [r for r in review.pooled.values() if outcome_topic.get(r["outcome"]) in topics]
    return [r for r in review.pooled.values() if r["disease"] in diseases]


def not_pooled_reason(review, result: dict) -> str:
    """Why an analysis is not pooled, naming studies by their labels (``rtxreview.pooling``)."""
    from rtxreview.pooling import not_pooled_text
    return not_pooled_text(result, review.study_label)


def pooled_text(review, result: dict) -> str:
    """What a declared analysis shows, in words computed from it: pooled or not, and why."""
    rows, pooled = result["rows"], result["pooled"]
    k = rows["study"].nunique()
    studies = fmt.markdown_text(listing([review.study_label(s) for s in dict.fromkeys(rows["study"])]))
    if pooled is None and k == 1:
        return f"Only one study reports this outcome ({studies}): there is nothing to pool."
    if pooled is None:
        return (f"{of_all(k, k).capitalize()} studies report this outcome ({studies}). They are shown side by "
                f"side and not pooled: {fmt.markdown_text(not_pooled_reason(review, result))}. "
                f"{fmt.markdown_text(result.get('timepoint_rule', ''))}")
    parts = [pages.pooled_sentence(result)]
    q_p = pooled.get("q_p")
    if q_p is not None:
        parts.append(f"Cochran's Q tests whether the studies differ more than chance would explain "
                     f"({fmt.p_text(q_p)}); I² = {fmt.fixed(pooled['i2'], 0)}% is the share of the variation between the "
                     f"studies' results that is due to real differences rather than chance, not a test.")
    else:
        parts.append(f"I² = {fmt.fixed(pooled['i2'], 0)}% describes the share of the variation between the studies' results "
                     "that is due to real differences rather than chance; it is not a test.")
    if pooled.get("pi_low") is None:
        parts.append(f"With k = {k} {'study' if k == 1 else 'studies'} there is no prediction interval: "
                     "it needs at least three.")
    inferred = rows[rows["events_source"] != "printed"]
    if len(inferred):
        parts.append(f"{fmt.plural(len(inferred), 'input')} {'is' if len(inferred) == 1 else 'are'} inferred, "
                     "not printed (see the labels).")
    return " ".join(parts)


def show_analyses(review, chapter: str) -> None:
    results = analyses_for(review, chapter)
    if not results:
        nothing("The data declare no pooled analysis for this chapter.")
        return
    for result in results:
        display(Markdown(f"### {fmt.markdown_text(result['title'])}"))
        rows = result["rows"] if "weight" in result["rows"] else result["rows"].assign(weight=float("nan"))
        reason = None if result["pooled"] is not None else not_pooled_reason(review, result)
        chart = charts.forest_plot(rows, result["pooled"], title=result["title"], not_pooled=reason)
        display(charts.show(chart, _slug(f"forest-{result['analysis_id']}")))
        display(Markdown(pooled_text(review, result)))
        show_literature(review, result["disease"], result["outcome"], result["title"])


def show_literature(review, disease: str, outcome: str, title: str) -> None:
    """The wider literature's figures for the outcome (context.csv), on the forest plot's axis, marked
    external and never pooled; nothing when the data hold none."""
    from rtxreview import appraisal
    chart = appraisal.reference_chart(review.tables, disease, outcome,
                                      title=f"{title}: the wider literature (external, not pooled)")
    if chart is not None:
        display(charts.show(chart, _slug(f"literature-{disease}-{outcome}")))


def definitions_table(table: pd.DataFrame, caption: str) -> HTML:
    columns = [("outcome", "Outcome"), ("source", "Source"), ("term", "Term"), ("definition", "Definition"),
               ("versus_standard", "Against the standard")]
    head = "".join(f"<th>{title}</th>" for _, title in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else str(r[c]))}</td>" for c, _ in columns)
                   + "</tr>" for _, r in table.iterrows())
    return HTML(f'<div class="rtx-table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
                f'<table class="rtx-evidence"><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>'
                f"</thead><tbody>{body}</tbody></table></div>")


def show_definitions(review, chapter: str) -> None:
    """Each source's own response definitions beside the standard ones, and which are comparable."""
    from rtxreview import appraisal
    shown = False
    for disease in chapter_diseases(review, chapter):
        table = appraisal.definitions_by_disease(review.tables, disease)
        if table.empty:
            continue
        shown = True
        display(definitions_table(table, f"Response definitions in {DISEASE_NAMES.get(disease, disease)}"))
        notes = [f"- **{fmt.markdown_text(r['outcome'])}**: " + "; ".join(
                     f"{status} by {fmt.markdown_text(r[status])}" for status in
                     ("matches standard", "differs from standard", "not defined", "no standard confirmed") if r[status])
                 for _, r in appraisal.comparable_outcomes(review.tables, disease).iterrows()]
        if notes:
            display(Markdown("Which sources define each outcome as the standard does:\n\n" + "\n".join(notes)))
    if not shown:
        nothing("The data hold no response definitions for this chapter's diseases.")


def per_patient_studies(review, chapter: str) -> list[str]:
    """Studies with a per-patient platelet table whose rows report on the chapter's diseases."""
    with_table = set(ipd.studies_with_table(review.tables["patients"]))
    return [s for s in dict.fromkeys(disease_rows(review, chapter)["study_id"]) if s in with_table]


def show_per_patient(review, chapter: str) -> None:
    studies = per_patient_studies(review, chapter)
    if not studies:
        nothing("No source of this chapter prints a per-patient table.")
        return
    for study_id in studies:
        display(Markdown(f"### {fmt.markdown_text(review.study_label(study_id))}"))
        display(pages.response_chart(review, study_id))
        display(pages.trajectory_chart(review, study_id))
        display(tables.rederived_table(review, study_id))


def show_findings(review, chapter: str) -> None:
    """The chapter's own numbers that do not reproduce, and the failing checks about them."""
    rows = review.rows.loc[chapter_index(review, chapter)]
    found = rows[rows["verdict"].isin(tables.SHOWN_EXPLANATIONS)]
    implausible = rows[rows["implausible"] != ""]
    about = {c for eid in rows["evidence_id"] for c in failing_checks_by_row(review).get(eid, [])}
    checks = review.checks[review.checks["check_id"].isin(about)]
    if found.empty and checks.empty and implausible.empty:
        nothing("Every number of this chapter that could be recomputed reproduces, every check passes, and every "
                "printed magnitude is plausible for its unit.")
        return
    if len(found):
        display(Markdown("\n".join(f"- **{fmt.markdown_text(r.short_label)}**, {fmt.markdown_text(tables.finding_text(r._asdict()))} "
                                   f"(`{r.evidence_id}`): {fmt.markdown_text(r.explanation)}" for r in found.itertuples())))
    if len(implausible):
        display(Markdown(implausible_markdown(implausible)))
    if len(checks):
        display(tables.checks_table(review, check_ids=list(checks["check_id"])))


def implausible_markdown(rows: pd.DataFrame) -> str:
    """One line per outcome, study and unit whose printed magnitudes are implausible (plausibility.csv)."""
    lines = []
    for (label, outcome, unit), group in rows.groupby(["short_label", "outcome", "unit"], sort=False):
        lines.append(f"- **{fmt.markdown_text(label)}**, {fmt.markdown_text(outcome)}: "
                     f"{fmt.plural(len(group), 'number')} printed in {fmt.markdown_text(readable_unit(unit))} "
                     f"({', '.join(f'`{e}`' for e in group['evidence_id'])}); the largest: "
                     f"{fmt.markdown_text(max(group['implausible'], key=lambda text: float(text.split(' ')[0])))}")
    return "\n".join(lines)


def show_implausible(review) -> None:
    """Every number whose printed magnitude is implausible for its printed unit (audit page)."""
    rows = tables.implausible_rows(review)
    if rows.empty:
        nothing("Every number with a plausibility limit (plausibility.csv) is within it for its printed unit.")
        return
    display(Markdown(implausible_markdown(rows)))


def show_all_rows(review, rows: pd.DataFrame, caption: str) -> None:
    """Every number of the chapter with its verdict, folded: the results above are what most read."""
    summary = tables.verdict_summary(rows)
    display(HTML(f'<details class="rtx-all-rows"><summary>All {html.escape(summary)} (open to read every '
                 f"number, its quote and its verdict)</summary>{tables.evidence_table(rows, caption).data}</details>"))


# The clinical bottom line: what a clinician asks first, each answered from the chapter's rows.
BOTTOM_LINE_ITEMS = 4  # figures named per question; the rest are in the chapter's sections
NO_CONTROL = ("No source compares rituximab with another treatment, so these figures describe the patients "
              "reported, not the effect of rituximab.")


def bottom_line(review, chapter: str, brief: bool = False) -> str:
    """The chapter's clinical bottom line, computed from its rows: in whom, what regimen, how often,
    how fast, how durable, at what harm and how certain. ``brief``: the sources, how often and how
    certain only (the book's first screen, one paragraph per chapter)."""
    rows = with_topics(review).loc[disease_rows(review, chapter).index]
    if rows.empty:
        return f"**In short.** No source in this review reports on {disease_name(chapter, review)}."
    studies = studies_of(review, rows)
    kinds = studies["publication_type"].value_counts()
    kinds_text = listing([f"{fmt.number_word(n)} {k if n == 1 else k + 's'}" for k, n in kinds.items()])
    noun, verb = ("source", "reports") if len(studies) == 1 else ("sources", "report")
    lead = (f"**In short.** {fmt.number_word(len(studies), capital=True)} uncontrolled {noun} "
            f"({fmt.markdown_text(kinds_text)}) {verb} on {disease_name(chapter, review)}.")
    answers = {"How often": _how_often(review, rows), "How certain": _how_certain(review, chapter)}
    if brief:
        return " ".join([lead, *(f"{a}" for a in answers.values() if a), NO_CONTROL])
    answers = {"In whom": _in_whom(review, chapter, studies), "What regimen": _what_regimen(studies),
               "How often": answers["How often"], "How fast": _how_fast(review, rows, chapter),
               "How durable": _how_durable(review, rows, chapter), "At what harm": _at_what_harm(review, chapter),
               "How certain": answers["How certain"]}
    items = [f"- **{question}.** {answer}" for question, answer in answers.items()]
    return "\n".join([lead, "", *items, "", NO_CONTROL])


def _in_whom(review, chapter: str, studies: pd.DataFrame) -> str:
    parts = []
    for study_id, study in studies.iterrows():
        with_disease = _patients_with(review, study_id, chapter_diseases(review, chapter))
        if with_disease is None or with_disease == study.patients_enrolled:
            count = f"{study.patients_enrolled} patients ({fmt.markdown_text(study.diseases)})"
            if with_disease is None and len(studies_of(review, review.select(studies=[study_id]))) and \
                    set(review.select(studies=[study_id])["disease"]) - set(chapter_diseases(review, chapter)) \
                    - set(NOT_A_DISEASE):
                count += ", the number with this chapter's disorders not stated"
        else:
            count = f"{with_disease} of its {study.patients_enrolled} patients (a mixed series)"
        parts.append(f"{fmt.markdown_text(study.short_label)}: {count}")
    return "; ".join(parts) + ". Baseline details are under *Who the patients were*."


def _what_regimen(studies: pd.DataFrame) -> str:
    return "; ".join(f"{fmt.markdown_text(s.short_label)}: {fmt.markdown_text(readable_unit(s.regimens))}"
                     for s in studies.itertuples()) + "."


def _how_often(review, rows: pd.DataFrame) -> str:
    est = _estimable(review, rate_rows(rows))
    if not len(est):
        return "No source gives a response count with its denominator for rituximab."
    est = est.merge(rows[["evidence_id", "outcome", "subgroup", "timepoint"]], on="evidence_id")
    est = est.drop_duplicates(["study", "outcome", "subgroup", "timepoint", "events", "total"])
    parts = []
    for outcome, group in est.groupby("outcome", sort=False):
        share = group.events / group.total
        lo, hi = group.loc[share.idxmin()], group.loc[share.idxmax()]
        if len(group) == 1:
            parts.append(f"{fmt.markdown_text(outcome)} in {lo.events} of {lo.total}")
        else:
            parts.append(f"{fmt.markdown_text(outcome)} in {lo.events} of {lo.total} to {hi.events} of {hi.total} "
                         f"({fmt.plural(len(group), 'figure')} from {fmt.plural(group['study'].nunique(), 'source')})")
    differ = (" Definitions, time points and denominators differ between sources (see the results)."
              if est["study"].nunique() > 1 else "")
    return "With rituximab, the sources report " + listing(parts) + "." + differ


def _value_phrase(row: pd.Series) -> str:
    """A printed figure as a reader says it: '14 of 53', '≥ 13 of 147', 'median 21 days', 'No'."""
    printed = tables.printed_value(row)
    if row["statistic"] in RATE_STATISTICS and pd.notna(row["denominator"]) and pd.notna(row["numerator"]):
        relation = printed.split(" ")[0] + " " if printed[:1] in "≥≤<>" else ""
        return f"{relation}{int(row['numerator'])} of {int(row['denominator'])}"
    if row["statistic"] in ("value", "statement", "count", "percent"):
        return printed
    return f"{STATISTIC_NAMES.get(row['statistic'], row['statistic'])} {printed}"


def _phrases(review, rows: pd.DataFrame, chapter: str, none: str) -> str:
    """The rows as clauses, one per outcome, group and source ('relapse 14 of 53 (responders, median
    follow-up 28 months; Retrospective series)'); a figure that fails a check or does not reproduce
    says so."""
    if rows.empty:
        return none
    flagged = set(failing_checks_by_row(review)) | set(review.rows.loc[review.rows["verdict"] == "inconsistent",
                                                                        "evidence_id"])
    key = ["study_id", "outcome", "intervention", "subgroup", "timepoint"]
    clauses = []
    blank = {"subgroup": "", "timepoint": "", "intervention": ""}
    for (study_id, outcome, intervention, subgroup, timepoint), group in rows.fillna(blank).groupby(key, sort=False):
        values = ", ".join(_value_phrase(r) for _, r in group.iterrows())
        if set(group["statistic"]) == {"statement"}:
            values = f": {values}"
        where = [v for v in (intervention, subgroup, timepoint) if v and v not in ("whole cohort", "rituximab")]
        whose = fmt.markdown_text(review.study_label(study_id))
        if not set(group["disease"]) & set(chapter_diseases(review, chapter)):
            whose += ", all its patients"
        flag = ("; a check on this figure fails or it does not reproduce: see what the audit found"
                if set(group["evidence_id"]) & flagged else "")
        clauses.append(f"{fmt.markdown_text(outcome)}{'' if values.startswith(':') else ' '}{fmt.markdown_text(values)} "
                       f"({fmt.markdown_text(', '.join(where)) + '; ' if where else ''}{whose}{flag})")
    shown = clauses[:BOTTOM_LINE_ITEMS]
    more = len(clauses) - len(shown)
    text = "; ".join(shown)
    return text[:1].upper() + text[1:] + (f"; and {fmt.plural(more, 'more figure')} in the chapter" if more else "") + "."


def _topic_rows_with_rituximab(review, rows: pd.DataFrame, topics: tuple[str, ...]) -> pd.DataFrame:
    picked = rows[rows["topic"].isin(topics) & (rows["context"] == "result") & given_rituximab(rows)]
    return picked[picked["statistic"] != "p_value"]


def _how_fast(review, rows: pd.DataFrame, chapter: str) -> str:
    return _phrases(review, _topic_rows_with_rituximab(review, rows, ("time to response",)), chapter,
                    "No source reports how soon responses came with rituximab.")


def _how_durable(review, rows: pd.DataFrame, chapter: str) -> str:
    return _phrases(review, _topic_rows_with_rituximab(review, rows, ("durability",)), chapter,
                    "No source reports relapse or duration of response with rituximab.")


def _at_what_harm(review, chapter: str) -> str:
    """Harms under rituximab printed by the chapter's sources, for its diseases or for all their patients."""
    own = disease_rows(review, chapter)
    sources = set(own["study_id"])
    rows = with_topics(review)
    rows = rows[rows["study_id"].isin(sources)
                & rows["disease"].isin((*chapter_diseases(review, chapter), *NOT_A_DISEASE))]
    return _phrases(review, _topic_rows_with_rituximab(review, rows, ("harm",)), chapter,
                    "No source of this chapter reports harms under rituximab.") + (
        " The {doc}`safety` chapter separates drug harms from disease outcomes and screening.")


def _how_certain(review, chapter: str) -> str:
    from rtxreview import certainty
    levels = [f.certainty for d in chapter_diseases(review, chapter)
              for f in certainty.findings(review) if f.disease == d and f.rituximab]
    if not levels:
        return "No finding about rituximab is rated for certainty."
    counts = pd.Series(levels).value_counts()
    if len(counts) == 1:
        noun = "finding" if len(levels) == 1 else "findings"
        parts = [f"{counts.index[0]} for {of_all(len(levels), len(levels))} {noun}"]
    else:
        parts = [f"{name} for {fmt.plural(n, 'finding')}" for name, n in counts.items()]
    return f"Certainty of the evidence (GRADE): {listing(parts)}; the reasons are in the summary of findings."


def facts_table(rows: pd.DataFrame, caption: str) -> HTML:
    """Numbers that are not proportions (medians, ranges, doses, counts without a group), as printed."""
    body = "".join(f"<tr><td>{html.escape(r['short_label'])}</td><td>{html.escape(tables.finding_text(r))}</td>"
                   f"<td>{html.escape(STATISTIC_NAMES.get(r['statistic'], r['statistic']))}</td>"
                   f"<td>{tables.printed_cell(r)}</td><td>{html.escape(tables.fraction_text(r))}</td></tr>"
                   for _, r in rows.iterrows())
    head = "".join(f"<th>{h}</th>" for h in ("Source", "What", "Statistic", "As printed", "n/N"))
    return HTML(f'<div class="rtx-table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
                f'<table class="rtx-evidence"><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>'
                f"</thead><tbody>{body}</tbody></table></div>")


def show_patients(review, chapter: str) -> None:
    """Who the patients were: the chapter's baseline rows (age, sex, phase, previous treatment …)."""
    rows = disease_rows(review, chapter, contexts=("baseline",))
    if rows.empty:
        nothing("No source describes the patients of this chapter separately.")
        return
    display(facts_table(rows, "Patient characteristics as the sources print them"))


def show_topic(review, chapter: str, topics: tuple[str, ...], title: str, rituximab: bool | None = True) -> None:
    """A topic's proportions (table and chart) and its other numbers, for rows given rituximab
    (``rituximab`` True), under other or unstated treatment (False), or all (None)."""
    rows = with_topics(review).loc[topic_rows(review, chapter, contexts=("result", "baseline")).index]
    rows = rows[rows["topic"].isin(topics)]
    if rituximab is not None:
        rows = rows[given_rituximab(rows) == rituximab]
    if rows.empty:
        nothing(f"No source reports {title[0].lower() + title[1:]}.")
        return
    rates = rate_rows(rows, topics=topics, contexts=("result", "baseline"), rituximab=None)
    if len(rates):
        display(results_table(review, rates, f"{title}: proportions"))
        est = _estimable(review, rates)
        if len(est):
            chart = charts.forest_plot(est.assign(weight=float("nan")), None, title=title,
                                       x_title="Proportion (exact 95% CI)")
            display(charts.show(chart, _slug(f"{chapter}-{title}")))
    others = rows.drop(index=rates.index)
    if len(others):
        display(facts_table(others, f"{title}: other numbers as printed"))


def comparisons(review, rows: pd.DataFrame) -> pd.DataFrame:
    """The two-group comparisons (derivations.csv, method two_by_two) among ``rows``: each group's
    counts and the difference of proportions (second minus first) with its Newcombe 95% CI."""
    from rtxreview.intervals import difference_interval
    links = review.tables["derivations"]
    links = links[(links["method"] == "two_by_two") & links["evidence_id"].isin(rows["evidence_id"])]
    out = []
    for link in links.itertuples():
        a, b = review.row(link.group_a), review.row(link.group_b)
        if pd.isna(a.numerator) or pd.isna(b.numerator) or pd.isna(a.denominator) or pd.isna(b.denominator):
            continue
        ka, na, kb, nb = int(a.numerator), int(a.denominator), int(b.numerator), int(b.denominator)
        diff, low, high = difference_interval(kb, nb, ka, na)
        out.append(dict(evidence_id=link.evidence_id, description=link.description, a=estimate_label(a),
                        b=estimate_label(b), ka=ka, na=na, kb=kb, nb=nb, diff=diff, low=low, high=high,
                        printed=review.row(link.evidence_id).reported))
    return pd.DataFrame(out)


def show_comparisons(review, rows: pd.DataFrame) -> None:
    found = comparisons(review, rows)
    if found.empty:
        nothing("No source compares two groups of this chapter's patients.")
        return
    lines = [f"- **{fmt.markdown_text(fmt.readable_label(c.description))}.** {fmt.markdown_text(c.a)}: {c.ka}/{c.na} "
             f"({fmt.pct(c.ka / c.na)}); {fmt.markdown_text(c.b)}: {c.kb}/{c.nb} ({fmt.pct(c.kb / c.nb)}). "
             f"Difference (second minus first) {fmt.signed_points(c.diff)} percentage points, 95% CI "
             f"{fmt.signed_points(c.low)} to {fmt.signed_points(c.high)} (Newcombe, computed here); printed: "
             f"“{fmt.markdown_text(c.printed)}”."
             + (" The interval includes no difference, but a test that finds no significant difference does not "
                "show that the groups are equivalent: the interval shows which differences the data still allow."
                if c.low <= 0 <= c.high else "")
             for c in found.itertuples()]
    display(Markdown("\n".join(lines)))


def intro_bottom_lines(review) -> str:
    """Each disease chapter's bottom line, linked, for the book's first screen."""
    chapters = [*DISEASE_CHAPTERS, OTHER_CHAPTER]
    return "\n\n".join(f"{{doc}}`{c}`: {bottom_line(review, c, brief=True).removeprefix('**In short.** ')}"
                       for c in chapters)


def show_study_cards(review) -> None:
    """Every source's card and its design facts and definitions, in the order of studies.csv."""
    for study_id in review.tables["studies"]["study_id"]:
        display(tables.study_card(review, study_id))
        methods = review.select(studies=[study_id], contexts=["method"])
        if len(methods):
            display(tables.evidence_table(methods, f"{review.study_label(study_id)}: design facts and definitions"))


def show_all_rederived(review) -> None:
    """The per-patient re-derivation of every study with a per-patient platelet table."""
    studies = ipd.studies_with_table(review.tables["patients"])
    if not len(studies):
        nothing("No source prints a per-patient platelet table.")
    for study_id in studies:
        display(tables.rederived_table(review, study_id))


def show_speed_and_durability(review, chapter: str) -> None:
    """How fast responses came and how long they lasted, for the chapter's diseases (with rituximab)."""
    rows = with_topics(review).loc[disease_rows(review, chapter, contexts=("result",)).index]
    rows = rows[rows["topic"].isin(("time to response", "durability")) & given_rituximab(rows)]
    if rows.empty:
        nothing("No source of this chapter reports how fast responses came or how long they lasted with rituximab.")
        return
    rates = rate_rows(rows, topics=("durability",), rituximab=True)
    if len(rates):
        display(results_table(review, rates, "Relapse and maintained response after rituximab"))
    others = rows.drop(index=rates.index)
    if len(others):
        display(facts_table(others, "Time to response, duration of response and time to relapse, as printed"))
