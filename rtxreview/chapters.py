"""Chapters as views of the data: the sections each chapter shows, from the rows
:mod:`rtxreview.selection` chooses for it (its disease's, or its topic's in ``outcomes.csv``) and
its bottom line (:mod:`rtxreview.bottom_line`). Nothing here names a study or an evidence row: every count, list of studies and sentence about them is computed, so a
chapter reads true on any extraction that validates (a study added or removed, ids renamed).
Editorial commentary about particular studies is kept apart, in ``book/commentary``
(``rtxreview.commentary``), and is shown only while the rows it discusses are there.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML, Markdown, display

from rtxreview import charts, commentary, ipd
from rtxreview import pages, tables
from rtxreview import text as fmt
from rtxreview.bottom_line import bottom_line, intro_bottom_lines  # noqa: F401 (what the chapters call)
from rtxreview.selection import (  # noqa: F401 (the notebooks and tests reach them as chapters.*)
    CHAPTER_CONTEXTS, DISEASE_CHAPTERS, DISEASE_NAMES, NOT_A_DISEASE, OTHER_CHAPTER, PATIENT_COUNT_OUTCOMES, RATE_STATISTICS,
    TOPIC_CHAPTERS, _estimable, _patients_with, chapter_diseases, chapter_index, chapter_rows, disease_name,
    counted, disease_rows, doubtful_denominators, estimate_label, failing_checks_by_row, given_rituximab, one_per_finding, rate_rows, studies_of, topic_rows,
    with_topics)
from rtxreview.tables import STATISTIC_NAMES
from rtxreview.text import listing, of_all, readable_unit  # noqa: F401


# --- words ------------------------------------------------------------------------------------


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
    controlled = {1: "without a control group", 2: "both without a control group"}.get(len(studies),
                                                                                        "all without a control group")
    lead = of_all(len(studies), total).capitalize()
    noun, verb = ("source", "reports") if len(studies) == 1 else ("sources", "report")
    return f"{lead} {noun} {verb} on {disease_name(chapter, review)}, {controlled}: {listing(items)}."


def results_table(review, rows: pd.DataFrame, caption: str) -> HTML:
    """The chapter's results, one row per finding (a count printed in the abstract and again in the
    results is one finding, :func:`rtxreview.selection.one_per_finding`): study, outcome, events/total,
    proportion with its exact 95% CI, and the audit's verdict on each printing. A count whose printed
    denominator a check contradicts is shown as printed, without a proportion."""
    findings = one_per_finding(rows)
    est = _estimable(review, findings)
    doubtful = doubtful_denominators(review)
    counts = counted(review)
    contradicted = findings[findings["evidence_id"].isin(doubtful) & findings["numerator"].notna()]
    events = findings[findings["evidence_id"].map(counts).eq("events") & findings["numerator"].notna()
                      & ~findings["evidence_id"].isin(doubtful)]
    if est.empty and contradicted.empty and events.empty:
        return HTML(f"<p><em>No {html.escape(caption.lower())} with a count and a denominator.</em></p>")
    verdicts = dict(zip(rows["evidence_id"], tables.shown_verdicts(rows)))
    locations = dict(zip(rows["evidence_id"], rows["location"]))
    printings = dict(zip(findings["evidence_id"], findings["printings"]))
    failing = failing_checks_by_row(review)

    def finding_cell(evidence_id: str, label: str) -> str:
        return html.escape(label) + printed_places(locations, printings[evidence_id])

    def verdict_cell(evidence_id: str) -> str:
        ids = printings[evidence_id]
        checks = sorted({c for i in ids for c in failing.get(i, [])})
        return "".join(tables.verdict_badge(v) for v in dict.fromkeys(verdicts[i] for i in ids)) + _failing_note(checks)

    def table_row(evidence_id: str, label: str, count: str, proportion: str) -> str:
        return (f"<tr><td>{finding_cell(evidence_id, label)}</td><td>{count}</td><td>{proportion}</td>"
                f"<td>{verdict_cell(evidence_id)}</td></tr>")

    head = "".join(f"<th>{h}</th>" for h in ("Finding", "Events/total", "Proportion (95% CI)", "Verdict"))
    body = "".join(table_row(
        r.evidence_id, r.label,
        f"{r.events}/{r.total}{' ' + counts[r.evidence_id] if r.evidence_id in counts else ''}"
        f"{'' if r.events_source == 'printed' else ' (events inferred)'}",
        f"{fmt.pct(r.events / r.total if r.total else 0)} ({fmt.ci_text(r.ci_low, r.ci_high)})")
        for r in est.itertuples())
    body += "".join(table_row(
        r.evidence_id, estimate_label(review.row(r.evidence_id)),
        f"{int(r.numerator)}/{int(r.denominator)}"
        f"{' (denominator inferred)' if r.denominator_source == 'inferred' else ' as printed'}",
        "not estimated: the denominator is contradicted by the source's other figures "
        f"(check {html.escape(', '.join(doubtful[r.evidence_id]))})")
        for r in contradicted.itertuples())
    body += "".join(table_row(
        r.evidence_id, estimate_label(review.row(r.evidence_id)), f"{int(r.numerator)}/{int(r.denominator)} events",
        f"{fmt.pct(r.numerator / r.denominator)} of events (no interval: one patient may have several)")
        for r in events.itertuples())
    return HTML(f'<div class="rtx-table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
                f'<table class="rtx-evidence"><caption>{html.escape(caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


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
        est = _estimable(review, one_per_finding(own))
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
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else fmt.readable_text(str(r[c])))}</td>"
                                    for c, _ in columns)
                   + "</tr>" for _, r in table.iterrows())
    return HTML(f'<div class="rtx-table-wrap" tabindex="0" role="region" aria-label="{html.escape(caption)}">'
                f'<table class="rtx-evidence"><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>'
                f"</thead><tbody>{body}</tbody></table></div>")


def show_definitions(review, chapter: str) -> None:
    """Each source's own response definitions beside the standard ones, and which are comparable;
    diseases with the same definitions (a mixed series' groups) share one table."""
    from rtxreview import appraisal
    shown: dict[str, tuple] = {}  # the table and notes as text -> (table, notes, the diseases they are for)
    for disease in chapter_diseases(review, chapter):
        table = appraisal.definitions_by_disease(review.tables, disease)
        if table.empty:
            continue
        notes = [f"- **{fmt.markdown_text(r['outcome'])}**: " + "; ".join(
                     f"{status} by {fmt.markdown_text(r[status])}" for status in
                     ("matches standard", "differs from standard", "not defined", "no standard confirmed") if r[status])
                 for _, r in appraisal.comparable_outcomes(review.tables, disease).iterrows()]
        shown.setdefault(table.to_csv(index=False) + "\n".join(notes), (table, notes, []))[2].append(disease)
    for table, notes, diseases in shown.values():
        names = listing([DISEASE_NAMES.get(d, d) for d in diseases])
        display(definitions_table(table, f"Response definitions in {names}"))
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
    """The chapter's own numbers that do not reproduce (its design facts too: an inclusion criterion a
    patient does not meet), and the failing checks about them."""
    rows = review.rows.loc[chapter_index(review, chapter, contexts=CHAPTER_CONTEXTS)]
    found = rows[rows["verdict"].isin(tables.SHOWN_EXPLANATIONS)]
    implausible = rows[rows["implausible"] != ""]
    failing = failing_checks_by_row(review)
    about = {c for eid in rows["evidence_id"] for c in failing.get(eid, [])}
    checks = review.checks[review.checks["check_id"].isin(about)]
    if found.empty and checks.empty and implausible.empty:
        nothing("Every number of this chapter that could be recomputed reproduces, every check passes, and every "
                "printed magnitude is plausible for its unit.")
        return
    if len(found):
        display(Markdown("\n".join(f"- **{fmt.markdown_text(r.short_label)}**, {fmt.markdown_text(tables.finding_text(r._asdict()))} "
                                   f"(`{r.evidence_id}`): {fmt.markdown_text(fmt.readable_text(r.explanation))}" for r in found.itertuples())))
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


def printed_places(locations: dict, ids) -> str:
    """'Printed two times (Abstract; Results ×2)' under a finding printed more than once; '' otherwise."""
    if len(ids) == 1:
        return ""
    places = pd.Series([str(locations[i]) for i in ids]).value_counts(sort=False)
    where = "; ".join(place + (f" ×{n}" if n > 1 else "") for place, n in places.items())
    return f'<div class="rtx-explanation">Printed {fmt.number_word(len(ids))} times ({html.escape(where)})</div>'


def facts_table(rows: pd.DataFrame, caption: str) -> HTML:
    """Numbers that are not proportions (medians, ranges, doses, counts without a group), as printed;
    a number printed more than once is one row (:func:`rtxreview.selection.one_per_finding`)."""
    locations = dict(zip(rows["evidence_id"], rows["location"]))
    body = "".join(f"<tr><td>{html.escape(r['short_label'])}</td><td>{html.escape(tables.finding_text(r))}"
                   f"{printed_places(locations, r['printings'])}</td>"
                   f"<td>{html.escape(STATISTIC_NAMES.get(r['statistic'], r['statistic']))}</td>"
                   f"<td>{tables.printed_cell(r)}</td><td>{html.escape(tables.fraction_text(r))}</td></tr>"
                   for _, r in one_per_finding(rows).iterrows())
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
        est = _estimable(review, one_per_finding(rates))
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
                        printed=review.row(link.evidence_id).reported, groups=(link.group_a, link.group_b)))
    return pd.DataFrame(out)


def show_comparisons(review, rows: pd.DataFrame) -> None:
    text = comparisons_markdown(review, rows)
    if not text:
        nothing("No source compares two groups of this chapter's patients.")
        return
    display(Markdown(text))


def comparisons_markdown(review, rows: pd.DataFrame) -> str:
    """Each two-group comparison among ``rows`` as a Markdown item ('' when there is none)."""
    found = comparisons(review, rows)
    if found.empty:
        return ""
    failing = failing_checks_by_row(review)

    def checked(groups) -> str:
        checks = sorted({c for g in groups for c in failing.get(g, [])})
        return (f" A check on these groups' counts fails ({', '.join(checks)}): the comparison is only as sound as "
                "the groups (see the reproducibility audit)." if checks else "")
    lines = [f"- **{fmt.markdown_text(fmt.readable_label(c.description))}.** {fmt.markdown_text(c.a)}: {c.ka}/{c.na} "
             f"({fmt.pct(c.ka / c.na)}); {fmt.markdown_text(c.b)}: {c.kb}/{c.nb} ({fmt.pct(c.kb / c.nb)}). "
             f"Difference (second minus first) {fmt.signed_points(c.diff)} percentage points, 95% CI "
             f"{fmt.signed_points(c.low)} to {fmt.signed_points(c.high)} (Newcombe, computed here); printed: "
             f"“{fmt.markdown_text(c.printed)}”."
             + (" The interval includes no difference, but a test that finds no significant difference does not "
                "show that the groups are equivalent: the interval shows which differences the data still allow."
                if c.low <= 0 <= c.high else "") + checked(c.groups)
             for c in found.itertuples()]
    return "\n".join(lines)


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
