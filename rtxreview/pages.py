"""Building blocks of the chapters and pages beside the tables: prose glued into the page
(myst-nb), the sentence for a pooled analysis, and the charts a page shows (forest plot, responses
and platelet counts per patient, the audit's scatter), each drawn offline (``rtxreview.charts``).
"""

from __future__ import annotations

import re

import pandas as pd
from IPython.display import HTML

from rtxreview import charts, ipd
from rtxreview.review import Review
from rtxreview.text import ci_text, fixed, markdown_text, pct, plural


def glue_markdown(name: str, text: str) -> None:
    """Make Markdown ``text`` available to the chapter's prose as {glue:md}`name` (myst-nb).

    Every number in a chapter's prose is glued from the data this way, never typed by hand.
    """
    from IPython.display import Markdown
    from myst_nb import glue
    glue(name, Markdown(text), display=False)


def show_chart(chart, chart_id: str) -> HTML:
    return charts.show(chart, chart_id)


def forest(review: Review, analysis_id: str, title: str) -> HTML:
    """Forest plot of a pooled analysis, with its diamond when at least two studies contribute."""
    result = review.pooled[analysis_id]
    return charts.show(charts.forest_plot(result["rows"], result["pooled"], title=title), f"forest-{analysis_id}")


def pooled_sentence(result: dict) -> str:
    """A plain-English sentence for a pooled analysis, or why it was not pooled (Markdown)."""
    rows, pooled = result["rows"], result["pooled"]
    studies = (f"{plural(rows['study'].nunique(), 'study', 'studies')}, "
               f"{int(rows['events'].sum())} of {int(rows['total'].sum())} patients")
    if pooled is None:
        return f"Not pooled: {markdown_text(result['reason'])} ({studies})."
    interval = ("" if pooled["pi_low"] is None
                else f"; 95% prediction interval {ci_text(pooled['pi_low'], pooled['pi_high'])}")
    return (f"Pooled {markdown_text(result['outcome'])}: **{pct(pooled['estimate'])}** (95% CI {ci_text(pooled['ci_low'], pooled['ci_high'])}"
            f"{interval}; {studies}; {pooled['label'].removeprefix('Pooled (').removesuffix(')')}; "
            f"I² = {fixed(pooled['i2'], 0)}%, τ² = {fixed(pooled['tau2'], 3)}).")


def response_counts_long(review: Review, study_id: str) -> pd.DataFrame:
    """Patients per month and response category (CR, PR, NR), intention to treat."""
    counts = ipd.response_counts(review.responses(study_id))
    long = counts[list(ipd.CATEGORIES)].reset_index().melt(id_vars="month", var_name="response",
                                                           value_name="patients")
    return long.assign(total=long["month"].map(counts["n"])).astype({"patients": int, "total": int})


def response_chart(review: Review, study_id: str) -> HTML:
    chart = charts.response_over_time(response_counts_long(review, study_id),
                                      title="Response by month after the first dose (intention to treat)")
    return charts.show(chart, f"response-{re.sub('[^a-z0-9]+', '-', study_id.lower())}")


def trajectory_chart(review: Review, study_id: str) -> HTML:
    table = ipd.platelet_table(review.tables["patients"], study_id)
    long = table.reset_index().melt(id_vars="patient", var_name="month", value_name="platelets")
    long = long.astype({"patient": int, "month": int}).assign(platelets=long["platelets"].astype("Float64"))
    chart = charts.platelet_trajectories(long, title="Platelet count of each patient")
    return charts.show(chart, f"platelets-{re.sub('[^a-z0-9]+', '-', study_id.lower())}")


def audit_scatter(review: Review) -> HTML:
    """Printed vs recomputed percentages for every percentage that could be recomputed."""
    rows = review.rows[(review.rows["statistic"] == "percent") & (review.rows["recomputed"] != "")]
    frame = pd.DataFrame({"evidence_id": rows["evidence_id"], "study": rows["short_label"],
                          "reported": rows["reported"].astype(float), "recomputed": rows["recomputed"].astype(float),
                          "verdict": rows["verdict"], "explanation": rows["explanation"]})
    chart = charts.reported_vs_recomputed(frame, title="Printed against recomputed percentages")
    return charts.show(chart, "audit-reported-vs-recomputed")
