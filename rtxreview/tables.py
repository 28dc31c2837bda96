"""Tables of the book: evidence rows with their verdicts, arithmetic checks, sources, the verdict
matrix, the per-patient re-derivation, and the cell texts they share (printed value, n/N,
recomputed value, badges). Every piece of text that comes from the data is HTML-escaped here before
it reaches a page; numbers print through ``rtxreview.text``.
"""

from __future__ import annotations

import html
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable

import pandas as pd
from IPython.display import HTML

from rtxreview import ipd
from rtxreview.text import markdown_text, pct, plural, readable_label

if TYPE_CHECKING:
    from rtxreview.review import Review


# The audit's verdicts, with one split for readers: a percentage printed without its count that
# some whole count reproduces (GRIM) is shown as "count fits", not "reproduces": nothing printed
# says which count it was (see shown_verdicts).
VERDICT_LABELS = {
    "consistent": "reproduces",
    "count_fits": "count fits",
    "rounding_variant": "other rounding",
    "test_dependent": "depends on test",
    "inconsistent": "does not reproduce",
    "not_reported": "computed here",
    "not_checkable": "not checkable",
}

VERDICT_PLURALS = {
    "consistent": "reproduce",
    "count_fits": "fit a whole count (the count is not printed)",
    "rounding_variant": "reproduce only under another rounding",
    "test_dependent": "hold for one test only",
    "inconsistent": "do not reproduce",
    "not_reported": "are computed here (not printed)",
    "not_checkable": "cannot be checked",
}

VERDICT_SINGULARS = {
    "consistent": "reproduces",
    "count_fits": "fits a whole count (the count is not printed)",
    "rounding_variant": "reproduces only under another rounding",
    "test_dependent": "holds for one test only",
    "inconsistent": "does not reproduce",
    "not_reported": "is computed here (not printed)",
    "not_checkable": "cannot be checked",
}

# How a table names each summary statistic.
STATISTIC_NAMES = {"sd": "SD", "iqr": "IQR", "ci": "95% CI", "p_value": "p-value", "value": "value"}
SHOWN_EXPLANATIONS = ("rounding_variant", "test_dependent", "inconsistent")

# Most bytes of HTML one table puts in a page, and most bullets in a glued list: pages stay within
# the site's page-weight budget (600,000 bytes, tests/test_site.py) as a living review grows. Rows
# left out are listed in full in the results files the site publishes (rtxreview/sphinx_data.py),
# and the table says so. The audit page holds three tables, a chart and lists, so each of its
# tables gets less; the register page inlines more: it has nothing else to show.
TABLE_BYTES = 150_000

AUDIT_TABLE_BYTES = 100_000

REGISTER_BYTES = 450_000

LIST_ITEMS = 100

MATRIX_SOURCES = 100

RESULTS_URL = "../_static/results"  # from a chapter page (book/*.html) to rtxreview.sphinx_data's files


def printed_value(row: pd.Series) -> str:
    """The printed value with its unit and any bound, as a reader expects it ('72.9%', '≥ 13 patients')."""
    from rtxreview.bounds import bounded_value
    return bounded_value(row["reported"], row.get("qualifier"), row.get("unit"))


def printed_cell(row) -> str:
    """The printed value for a table cell (HTML), marked when its magnitude is implausible for its
    printed unit (``plausibility.csv``; the audit says why)."""
    flag = row.get("implausible")
    mark = (f'<div class="rtx-explanation">Unit as printed; implausible for this outcome: '
            f"{html.escape(str(flag))}</div>" if isinstance(flag, str) and flag else "")
    return html.escape(printed_value(row)) + mark


def implausible_rows(review) -> pd.DataFrame:
    """Rows whose printed number is implausible in its printed unit (see :func:`printed_cell`)."""
    return review.rows[review.rows["implausible"] != ""]


def fraction_text(row: pd.Series) -> str:
    """'102/140', '?/32' for a bare percentage, 'n = 8' for a summary statistic; † marks an inferred denominator."""
    mark = "†" if row["denominator_source"] == "inferred" else ""
    if row["statistic"] not in ("count", "percent"):
        return "" if pd.isna(row["denominator"]) else f"n = {int(row['denominator'])}{mark}"
    if pd.isna(row["denominator"]):
        return "" if pd.isna(row["numerator"]) else str(int(row["numerator"]))
    top = "?" if pd.isna(row["numerator"]) else str(int(row["numerator"]))
    return f"{top}/{int(row['denominator'])}{mark}"


def recomputed_text(row: pd.Series, verdict: str) -> str:
    """The recomputed value; for a count that fits, the whole counts that give the printed percentage."""
    counts = row.get("compatible", ())
    if verdict != "count_fits" or not isinstance(counts, tuple) or not counts:
        return str(row["recomputed"])
    n = int(row["denominator"])
    if len(counts) == 1:
        return f"{counts[0]}/{n}"
    if list(counts) == list(range(counts[0], counts[-1] + 1)):
        return f"{counts[0]} to {counts[-1]} of {n}"
    return f"{', '.join(map(str, counts))} of {n}"


def finding_text(row: pd.Series) -> str:
    parts = [row["outcome"]]
    for column in ("subgroup", "intervention", "timepoint"):
        value = row.get(column)
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    return readable_label("; ".join(parts))


def not_a_count_of(reported: str, total: int) -> str:
    """Why a printed percentage cannot be a whole count of ``total`` (or which counts it can be)."""
    from rtxreview.percent import compatible_numerators
    compatible = list(compatible_numerators(reported, total))
    if compatible:
        return f"{reported}% can be {' or '.join(f'{k}/{total}' for k in compatible)}"
    k = int(Fraction(Decimal(reported)) * total // 100)  # the whole count just below the printed value
    near = " and ".join(f"{j}/{total} = {pct(Fraction(j, total))}" for j in (k, k + 1) if 0 <= j <= total)
    return f"{reported}% is not a whole count of {total}" + (f" ({near})" if near else "")


def shown_verdicts(rows: pd.DataFrame) -> pd.Series:
    """The verdict a reader sees: ``consistent`` bare percentages become ``count_fits``."""
    bare = (rows["statistic"] == "percent") & rows["numerator"].isna()
    return rows["verdict"].mask(bare & (rows["verdict"] == "consistent"), "count_fits")


def verdict_badge(verdict: str) -> str:
    return (f'<span class="rtx-verdict rtx-verdict-{html.escape(verdict)}" title="{html.escape(verdict)}">'
            f"{html.escape(VERDICT_LABELS[verdict])}</span>")


def status_badge(status: str) -> str:
    """pass/fail of an arithmetic check, styled like the verdicts it corresponds to."""
    verdict = {"pass": "consistent", "fail": "inconsistent"}[status]
    return f'<span class="rtx-verdict rtx-verdict-{verdict}" title="{status}">{status}</span>'


def _source_cell(row: pd.Series) -> str:
    """The evidence id; opened, the quote, its location, the note and the audit's reasoning."""
    from rtxreview.text import readable_latex
    quote, location = html.escape(readable_latex(str(row["quote"]))), html.escape(str(row["location"]))
    note = "" if pd.isna(row.get("note")) or not row.get("note") else f'<br><em>Note:</em> {html.escape(str(row["note"]))}'
    return (f'<details><summary>{html.escape(str(row["evidence_id"]))}</summary>'
            f"<q>{quote}</q><br>{location}{note}<br><em>Audit:</em> {html.escape(str(row['explanation']))}</details>")


def _rows_within(rows_html: Iterable[str], max_bytes: int | None) -> list[str]:
    """The leading rows that fit in ``max_bytes`` of UTF-8 (all of them when None). Rows are taken
    from an iterator, so the rows of a long table past the allowance are never rendered."""
    if max_bytes is None:
        return list(rows_html)
    taken, used = [], 0
    for row in rows_html:
        used += len(row.encode("utf-8"))
        if used > max_bytes:
            break
        taken.append(row)
    return taken


def left_out_note(shown: int, total: int, noun: str, file: str) -> str:
    """The line under a table that shows only its first rows: how many, and where all of them are."""
    if shown == total:
        return ""
    return (f'<p class="rtx-legend rtx-left-out">The first {shown} of {total} {noun} are shown here; all {total} '
            f'are in <a href="{RESULTS_URL}/{file}">{file}</a> (see the Data appendix).</p>')


def _evidence_row(row: pd.Series, verdict: str) -> str:
    """One row of :func:`evidence_table`."""
    explanation = (f'<div class="rtx-explanation">{html.escape(str(row["explanation"]))}</div>'
                   if row["verdict"] in SHOWN_EXPLANATIONS else "")
    return (f'<tr title="{html.escape(str(row["quote"]))}">'
            f"<td>{html.escape(row['short_label'])}</td><td>{html.escape(finding_text(row))}</td>"
            f"<td>{printed_cell(row)}</td><td>{html.escape(fraction_text(row))}</td>"
            f"<td>{html.escape(recomputed_text(row, verdict))}</td>"
            f'<td>{verdict_badge(verdict)}{explanation}</td>'
            f"<td>{_source_cell(row)}</td></tr>")


def evidence_table(rows: pd.DataFrame, caption: str, max_bytes: int | None = TABLE_BYTES) -> HTML:
    """The chapter table: printed value, n/N, recomputed value, verdict, and the source on demand.

    Rows past ``max_bytes`` of HTML are left out, with a note naming the file that lists them all.
    """
    head = "".join(f"<th>{h}</th>" for h in ("Study", "Finding", "Printed", "n/N", "Recomputed", "Verdict",
                                             "Source"))
    body = _rows_within((_evidence_row(row, verdict) for (_, row), verdict in zip(rows.iterrows(), shown_verdicts(rows))),
                        max_bytes)
    return HTML(f'<div class="rtx-table-wrap"><table class="rtx-evidence"><caption>{html.escape(caption)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
                + left_out_note(len(body), len(rows), "numbers", "audit.csv") +
                '<p class="rtx-legend">† denominator inferred (see the note under Source). '
                "? count not printed: the recomputed column lists the whole counts that give the percentage.</p>")


def verdict_breakdown(rows: pd.DataFrame) -> str:
    """'9 reproduce, 1 does not reproduce, ...': the shown verdicts of ``rows``, in legend order."""
    counts = shown_verdicts(rows).value_counts().reindex(list(VERDICT_LABELS), fill_value=0)
    return ", ".join(f"{n} {(VERDICT_SINGULARS if n == 1 else VERDICT_PLURALS)[v]}" for v, n in counts.items() if n)


def verdict_summary(rows: pd.DataFrame) -> str:
    """'12 numbers: 9 reproduce, 1 does not reproduce, ...' for a chapter's rows."""
    if not len(rows):
        return "no numbers"
    return f"{plural(len(rows), 'number')}: {verdict_breakdown(rows)}"


def rederived_table(review: Review, study_id: str) -> HTML:
    """Responders per month re-derived from the platelet table, beside what the paper prints."""
    counts = ipd.response_counts(review.responses(study_id))
    links = review.tables["derivations"]
    links = links[links["method"] == "per_patient_response"].merge(review.rows, on="evidence_id")
    links = links[links["study_id"] == study_id]
    cells = []
    for month, row in counts.iterrows():
        printed = links[links["month"] == month]
        shown = "; ".join(f"{r.response} {r.reported}% ({r.location.split(',')[0]})"
                          for r in printed.drop_duplicates(["response", "reported"]).itertuples())
        cells.append(f"<tr><td>{month}</td><td>{row.CR}</td><td>{row.PR}</td><td>{row.NR}</td>"
                     f"<td>{row.OR}/{row.n} ({pct(row.OR / row.n)})</td><td>{html.escape(shown)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Month", "CR", "PR", "NR", "Overall response", "Printed in the paper"))
    return HTML(f'<table class="rtx-evidence"><caption>Re-derived from the per-patient platelet counts '
                f"(CR &gt; 100; PR 30-100 with at least a doubling of baseline; ×10⁹/L; withdrawn patient = NR)"
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(cells)}</tbody></table>")


def checks_table(review: Review, study_ids: list[str] | None = None, only_failing: bool = False,
                 check_ids: list[str] | None = None, max_bytes: int | None = TABLE_BYTES) -> HTML:
    """Arithmetic checks: what must add up, expected, observed, pass or fail.

    Failing checks come first when not every check fits in ``max_bytes`` of HTML.
    """
    checks = review.checks
    if check_ids is not None:
        checks = checks[checks["check_id"].isin(check_ids)]
    if study_ids is not None:
        checks = checks[checks["study_id"].isin(study_ids)]
    if only_failing:
        checks = checks[checks["status"] == "fail"]
    head = "".join(f"<th>{h}</th>" for h in ("Check", "Study", "What must hold", "Expected", "Observed", "Result"))

    def rows_html(frame):
        return (f"<tr><td>{html.escape(r.check_id)}</td><td>{html.escape(review.study_label(r.study_id))}</td>"
                f"<td>{html.escape(r.description)}</td><td>{r.expected}</td><td>{r.observed}</td>"
                f"<td>{status_badge(r.status)}</td></tr>" for r in frame.itertuples())

    body = _rows_within(rows_html(checks), max_bytes)
    if len(body) < len(checks):
        body = _rows_within(rows_html(checks.sort_values("status", key=lambda s: s != "fail", kind="stable")),
                            max_bytes)
    return HTML(f'<table class="rtx-evidence"><caption>Internal arithmetic</caption><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>"
                + left_out_note(len(body), len(checks), "checks (failing checks first)", "checks.csv"))


def studies_table(review: Review) -> HTML:
    """The five sources: design, setting, patients, diseases, regimens, follow-up (from studies.csv)."""
    columns = [("short_label", "Source"), ("design", "Design"), ("publication_type", "Document"),
               ("setting", "Setting"), ("patients_enrolled", "Patients"), ("diseases", "Diseases"),
               ("regimens", "Regimens"), ("follow_up", "Follow-up")]
    head = "".join(f"<th>{title}</th>" for _, title in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(row[c]) else str(row[c]))}</td>"
                                    for c, _ in columns) + "</tr>"
                   for _, row in review.tables["studies"].iterrows())
    return HTML(f'<div class="rtx-table-wrap"><table class="rtx-evidence"><caption>The five sources</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def verdict_matrix(review: Review, max_sources: int = MATRIX_SOURCES) -> HTML:
    """Numbers per source and verdict; with more than ``max_sources`` sources, those with the most
    numbers that do not reproduce (the total row still counts every source)."""
    counts = pd.crosstab(review.rows["short_label"], shown_verdicts(review.rows)).reindex(
        columns=list(VERDICT_LABELS), fill_value=0)
    total = counts.sum()
    note = ""
    if len(counts) > max_sources:
        findings = counts[list(SHOWN_EXPLANATIONS)].sum(axis=1)
        keep = findings.sort_values(ascending=False, kind="stable").index[:max_sources]
        note = (f'<p class="rtx-legend rtx-left-out">The {max_sources} of {len(counts)} sources with the most numbers '
                f'that do not reproduce are shown; the last row counts every source; each number\'s verdict is in '
                f'<a href="{RESULTS_URL}/audit.csv">audit.csv</a>.</p>')
        counts = counts.loc[sorted(keep)]
    counts.loc["All sources"] = total
    head = "<th>Source</th>" + "".join(f"<th>{verdict_badge(v)}</th>" for v in counts.columns) + "<th>Total</th>"
    body = "".join(f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{n}</td>" for n in row)
                   + f"<td>{row.sum()}</td></tr>" for label, row in counts.iterrows())
    return HTML(f'<div class="rtx-table-wrap"><table class="rtx-evidence"><caption>Every extracted number by '
                f"source and verdict</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}")


def verdict_legend() -> HTML:
    """What each badge means."""
    meaning = {
        "consistent": "recomputed from its counts (or the per-patient table) and it prints as the source prints it",
        "count_fits": "a percentage printed without its count: some whole count of its denominator gives it "
                      "(the row lists which), but the source does not say which count it was",
        "rounding_variant": "reproduces only under another rounding convention (for example truncation), named in the row",
        "test_dependent": "a p-value claim that holds under one test and not under another",
        "inconsistent": "does not reproduce; the row says what it should read and which denominators would fit",
        "not_reported": "the source gives the counts but no percentage: the percentage is computed here",
        "not_checkable": "nothing to recompute it from (a dose, a threshold, a count without its group)",
    }
    items = "".join(f"<li>{verdict_badge(v)} {html.escape(text)}</li>" for v, text in meaning.items())
    return HTML(f'<ul class="rtx-legend-list">{items}</ul>')


def study_card(review: Review, study_id: str) -> HTML:
    """One source: its facts from studies.csv, what was extracted, and its design facts and definitions."""
    study = review.study(study_id)
    facts = [("Title", study["title"]), ("Design", study["design"]), ("Document", study["publication_type"]),
             ("Setting", study["setting"]), ("Countries", study["countries"]), ("Centres", study["centres"]),
             ("Patients", study["patients_enrolled"]), ("Diseases", study["diseases"]),
             ("Regimens", study["regimens"]), ("Follow-up", study["follow_up"]),
             ("Citation", study["citation"]), ("DOI", study["doi"]), ("Source file", study["source_document"])]
    rows = "".join(f"<tr><th>{name}</th><td>{html.escape(str(value))}</td></tr>" for name, value in facts
                   if not pd.isna(value) and str(value) != "")
    extracted = review.select(studies=[study_id])
    return HTML(f'<table class="rtx-evidence rtx-card"><caption>{html.escape(study["short_label"])}</caption>'
                f"<tbody>{rows}<tr><th>Numbers extracted</th><td>{html.escape(verdict_summary(extracted))}</td></tr>"
                "</tbody></table>")


def discrepancies(review: Review) -> pd.DataFrame:
    """Rows whose printed value does not reproduce, or reproduces only under another rounding or test."""
    return review.rows[review.rows["verdict"].isin(SHOWN_EXPLANATIONS)]


def _bullet_list(items: list[str], total: int, where_all_are: str) -> str:
    """A Markdown list of ``items``; when they are fewer than ``total``, a last bullet says how many
    more there are and ``where_all_are``."""
    bullets = [f"- {item}" for item in items]
    if total > len(items):
        bullets.append(f"- and {total - len(items)} more: {where_all_are}")
    return "\n".join(bullets)


def discrepancies_markdown(review: Review, max_items: int = LIST_ITEMS) -> str:
    """One bullet per discrepancy (the first ``max_items``): source, what, printed value, and the
    audit's explanation; then how many more there are and where."""
    rows = discrepancies(review)
    return _bullet_list([f"**{markdown_text(row.short_label)}**, {markdown_text(finding_text(row._asdict()))} "
                         f"(`{row.evidence_id}`): {markdown_text(row.explanation)}"
                         for row in rows.head(max_items).itertuples()],
                        len(rows), "every one, with its explanation, is in the file audit.csv (Data appendix).")


def failing_checks_markdown(review: Review, max_items: int = LIST_ITEMS) -> str:
    """One bullet per failing check (the first ``max_items``), then how many more and where."""
    failing = review.checks[review.checks["status"] == "fail"]
    return _bullet_list([f"**{markdown_text(review.study_label(r.study_id))}**: {markdown_text(r.description)}: "
                         f"the parts add up to {r.observed}, the total is {r.expected} (`{r.check_id}`)."
                         for r in failing.head(max_items).itertuples()],
                        len(failing), "every check is in the file checks.csv (Data appendix).")
