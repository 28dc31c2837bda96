"""The clinical bottom line of a chapter, computed from its rows: in whom, what regimen, how often,
how fast, how durable, at what harm and how certain (GRADE), one answer per question; the book's
first screen shows each disease chapter's in brief.
"""

from __future__ import annotations

import pandas as pd

from rtxreview import tables
from rtxreview import text as fmt
from rtxreview.selection import (DISEASE_CHAPTERS, NOT_A_DISEASE, OTHER_CHAPTER, RATE_STATISTICS,
                                 _patients_with, chapter_diseases, disease_name, disease_rows,
                                 failing_checks_by_row, given_rituximab, one_per_finding, rate_rows, studies_of,
                                 with_topics)
from rtxreview.tables import STATISTIC_NAMES
from rtxreview.text import listing, of_all, readable_unit

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


INFERRED_MARK = "†"


def _in_whom(review, chapter: str, studies: pd.DataFrame) -> str:
    parts = []
    for study_id, study in studies.iterrows():
        with_disease = _patients_with(review, study_id, chapter_diseases(review, chapter))
        if with_disease is None or with_disease == study.patients_enrolled:
            count = f"{study.patients_enrolled} patients with {fmt.markdown_text(study.diseases)}"
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
    """The response figures with rituximab among ``rows``, as the summary of findings has them: one
    per finding (a figure printed twice is one), a group followed at several visits at its latest, a
    share of treatment uses said to be one; counts the review inferred are marked."""
    from rtxreview import certainty
    ids = set(rate_rows(rows)["evidence_id"])
    chosen = [f for f in certainty.findings(review)
              if f.pooled is None and f.rituximab and f.estimate is not None and set(f.evidence_ids) & ids]
    chosen, _ = certainty.latest_visits(review, chosen)
    if not chosen:
        return "No source gives a response count with its denominator for rituximab."
    inferred = {f.finding_id for f in chosen
                if str(f.rows["events_source"].iloc[0]) != "printed"
                or review.row(f.finding_id)["denominator_source"] == "inferred"}

    def count(f) -> str:
        return (f"{f.events} of {f.patients}{'' if f.counts == 'patients' else ' ' + f.counts}"
                f"{INFERRED_MARK if f.finding_id in inferred else ''}")
    parts = []
    for outcome in dict.fromkeys(f.outcome for f in chosen):
        group = sorted((f for f in chosen if f.outcome == outcome), key=lambda f: f.estimate)
        counts = count(group[0]) if len(group) == 1 else f"{count(group[0])} to {count(group[-1])}"
        name = fmt.markdown_text(outcome)
        # A state ("in remission") follows its count: "17 of 20 in remission", not "in remission in 17 of 20".
        phrase = f"{counts} {name}" if outcome.startswith("in ") else f"{name} in {counts}"
        sources = {s for f in group for s in f.studies}
        parts.append(phrase if len(group) == 1 else
                     f"{phrase} ({fmt.plural(len(group), 'figure')} from {fmt.plural(len(sources), 'source')})")
    differ = (" Definitions, time points and denominators differ between sources (see the results)."
              if len({s for f in chosen for s in f.studies}) > 1 else "")
    marked = f" {INFERRED_MARK} Inferred by the review, not printed (see the results)." if inferred else ""
    return "With rituximab, the sources report " + listing(parts) + "." + differ + marked


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
    rows = one_per_finding(rows)  # a figure printed in the abstract and the results is said once
    failing = failing_checks_by_row(review)
    wrong = set(review.rows.loc[review.rows["verdict"] == "inconsistent", "evidence_id"])
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
        ids = {i for printed in group["printings"] for i in printed}
        checks = sorted({c for i in ids for c in failing.get(i, [])})
        flag = "".join([f"; a check on this figure fails: {', '.join(checks)}" if checks else "",
                        "; it does not reproduce" if ids & wrong else ""])
        flag += "; see what the audit found" if flag else ""
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


def intro_bottom_lines(review) -> str:
    """Each disease chapter's bottom line, linked, for the book's first screen."""
    chapters = [*DISEASE_CHAPTERS, OTHER_CHAPTER]
    return "\n\n".join(f"{{doc}}`{c}`: {bottom_line(review, c, brief=True).removeprefix('**In short.** ')}"
                       for c in chapters)
