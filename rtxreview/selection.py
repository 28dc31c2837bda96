"""Which rows each chapter shows, decided here once, from the data alone.

A disease chapter shows the rows whose ``disease`` is the chapter's; a topic chapter (dose, relapse,
safety) the rows whose outcome has the chapter's topic in ``outcomes.csv``; every chapter also shows
the rows its commentary discusses. A proportion is a count or percentage with its denominator and not
a bound. The chapters, the bottom lines and the GRADE ratings (``rtxreview.certainty``) all select
through these functions, so a chapter's results and its summary of findings rest on the same rows.
Nothing here names a study or an evidence row.
"""

from __future__ import annotations

import pandas as pd

from rtxreview import commentary
from rtxreview import text as fmt
from rtxreview.text import listing
from rtxreview.bounds import bounds_of

# Disease chapters and the diseases each shows; every other disease label of the data (but the two
# that name no disease) belongs to the chapter on Evans syndrome and related disorders.
DISEASE_CHAPTERS = {"itp": ("ITP",), "aiha": ("AIHA",), "ttp": ("TTP",)}
OTHER_CHAPTER = "evans_other"
NOT_A_DISEASE = ("mixed cytopenias", "not specific")
# Topic chapters: the outcome topics (outcomes.csv) each shows.
TOPIC_CHAPTERS = {"dose": ("regimen",), "relapse": ("durability", "time to response"),
                  "safety": ("harm", "disease outcome", "screening")}
RATE_STATISTICS = ("count", "percent")
PATIENT_COUNT_OUTCOMES = ("patients enrolled",)  # outcome labels that count a disease's patients
EVIDENCE_CONTEXTS = ("result", "baseline")
CHAPTER_CONTEXTS = (*EVIDENCE_CONTEXTS, "method")  # a chapter's table of every number and its audit findings
DISEASE_NAMES = {"ITP": "immune thrombocytopenia (ITP)", "AIHA": "autoimmune haemolytic anaemia (AIHA)",
                 "TTP": "thrombotic thrombocytopenic purpura (TTP)",
                 "APS": "antiphospholipid syndrome (APS, a thrombophilia)",
                 "acquired haemophilia": "acquired haemophilia (an acquired coagulopathy)"}


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
    own = review.rows.loc[chapter_index(review, chapter, contexts=CHAPTER_CONTEXTS)]
    cited = review.rows[review.rows["evidence_id"].isin(commentary.cited_rows(review, chapter))]
    return pd.concat([own, cited.drop(columns=[], errors="ignore")]).drop_duplicates("evidence_id").sort_index()


def chapter_index(review, chapter: str, contexts=EVIDENCE_CONTEXTS) -> pd.Index:
    """The chapter's own rows (a disease chapter's of the given contexts; a topic chapter's all)."""
    return (topic_rows(review, chapter) if chapter in TOPIC_CHAPTERS
            else disease_rows(review, chapter, contexts=contexts)).index


def studies_of(review, rows: pd.DataFrame) -> pd.DataFrame:
    ids = list(dict.fromkeys(rows["study_id"]))
    return review.tables["studies"].set_index("study_id").loc[ids]


def _patients_with(review, study_id: str, diseases) -> int | None:
    """Patients of a study with the given diseases, from its 'patients enrolled' count rows."""
    rows = review.select(studies=[study_id], diseases=diseases, contexts=["baseline"], statistics=["count", "percent"])
    rows = rows[rows["outcome"].isin(PATIENT_COUNT_OUTCOMES) | rows["outcome"].str.startswith("developed")]
    counts = rows.dropna(subset=["numerator"]).groupby("disease")["numerator"].max()
    if len(counts):
        return int(counts.sum())
    # A study all of whose rows are on these diseases enrolled only patients with them.
    own = set(review.select(studies=[study_id])["disease"]) - set(NOT_A_DISEASE)
    if own and own <= set(diseases):
        return int(review.study(study_id)["patients_enrolled"])
    return None


def rate_rows(rows: pd.DataFrame, topics=("response",), contexts=("result",), rituximab: bool | None = True
              ) -> pd.DataFrame:
    """Rows that are proportions with a denominator, of the given topics; with ``rituximab`` True, only
    rows whose intervention is rituximab (alone or combined), False only the others, None all."""
    keep = proportions(rows) & rows["context"].isin(contexts) & rows["topic"].isin(topics)
    if rituximab is not None:
        keep &= given_rituximab(rows) == rituximab
    return rows[keep]


def proportions(rows: pd.DataFrame, require_denominator: bool = True) -> pd.Series:
    """Rows that are proportions: a count or a percentage with its denominator (with
    ``require_denominator`` False, a bare percentage too), and not a bound ("at least 13 of 147")."""
    counted = rows["statistic"].isin(RATE_STATISTICS) & rows["denominator"].notna()
    if not require_denominator:
        counted |= rows["statistic"] == "percent"
    return counted & ~bounds_of(rows)


# The same finding: one count of the same patients (same study, group, treatment, outcome, time point
# and denominator), printed once in the abstract, again in the results, as a percentage and as a count.
FINDING_KEY = ["study_id", "disease", "subgroup", "intervention", "outcome", "timepoint", "denominator"]


# A group has one median (mean, range, …) of an outcome at a time point: the same one printed twice
# is one finding. A "value" (one patient's, or one of a list) is never merged with another.
GROUP_SUMMARIES = ("median", "mean", "sd", "range", "iqr", "ci")


def _value_keys(rows: pd.DataFrame) -> pd.Series:
    """What each printing says: a count (of a proportion or alone) when printed or uniquely inferred (the count
    :func:`rtxreview.pooling.events_and_total` gives); a group summary's statistic and value as
    printed; otherwise (a single value, a proportion whose count is not known) its own id, so that it
    stands alone. Vectorised: a chapter groups its rows several times."""
    statistic = rows["statistic"].astype("string")
    keys = "only " + rows["evidence_id"].astype("string")
    summary = statistic.isin(GROUP_SUMMARIES).fillna(False)
    unit = rows["unit"].astype("string").fillna("") if "unit" in rows else ""
    keys[summary] = (statistic + "=" + rows["reported"].astype("string").fillna("") + " " + unit)[summary]
    with_total = statistic.isin(RATE_STATISTICS).fillna(False) & rows["denominator"].notna()
    # A count of one group's outcome is one number however often it is printed, with a group size or not.
    printed = (with_total | statistic.eq("count").fillna(False)) & rows["numerator"].notna()
    keys[printed] = rows.loc[printed, "numerator"].astype(int).astype(str)
    if "compatible" in rows:  # an audited row: the only whole count that prints as its percentage
        single = rows["compatible"].map(lambda c: isinstance(c, (tuple, list)) and len(c) == 1)
        inferred = with_total & rows["numerator"].isna() & single
        keys[inferred] = rows.loc[inferred, "compatible"].map(lambda c: str(c[0]))
    return keys


def same_findings(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """The rows grouped by finding (:data:`FINDING_KEY` and what they say), in the order of first
    printing: each group is one finding printed one or more times."""
    if rows.empty:
        return []
    key = rows[FINDING_KEY].astype("string").fillna("").assign(value=_value_keys(rows))
    return [group for _, group in rows.groupby(list(key.to_dict("series").values()), sort=False)]


def representative(group: pd.DataFrame) -> pd.Series:
    """The printing that speaks for a finding: the first printed with its count, else the first."""
    return group.sort_values("numerator", na_position="last", kind="stable").iloc[0]


def one_per_finding(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per finding (:func:`same_findings`), its representative, with ``printings``: the
    evidence ids of every printing of it, in file order. The audit keeps every printing; a table of
    results shows a finding once."""
    groups = same_findings(rows)
    if not groups:
        return rows.assign(printings=pd.Series(dtype=object))
    chosen = rows.loc[[representative(g).name for g in groups]]  # by index label: the columns keep their types
    return chosen.assign(printings=[tuple(g["evidence_id"]) for g in groups])


def given_rituximab(rows: pd.DataFrame) -> pd.Series:
    return rows["intervention"].fillna("").str.contains("rituximab", case=False)


def failing_check_rows(review) -> dict[str, tuple[set[str], set[str]]]:
    """Each failing arithmetic check's part rows and total rows (evidence ids: a term ``id:column``
    names its row). A review without checks (a hand-built one) has none."""
    results = getattr(review, "checks", None)
    failing = [] if results is None else list(results.loc[results["status"] == "fail", "check_id"])
    if not failing:
        return {}
    terms = review.tables["checks"].set_index("check_id")

    def rows(text) -> set[str]:
        return {term.split(":")[0] for term in str(text).split()}
    return {check_id: (rows(terms.at[check_id, "parts"]), rows(terms.at[check_id, "total"]))
            for check_id in failing}


def counted(review) -> dict[str, str]:
    """What each row's denominator counts when it is not patients (``counting.csv``): 'treatment
    uses' (a patient may count more than once) or 'events' (one patient may have several)."""
    cached = getattr(review, "_counted", None)
    if cached is None:
        table = getattr(review, "tables", {}).get("counting")
        cached = {} if table is None else dict(zip(table["evidence_id"], table["counted"]))
        review._counted = cached  # asked once per finding and per table: read once per review
    return cached


def doubtful_denominators(review) -> dict[str, list[str]]:
    """Rows whose printed denominator alone a failing check contradicts (the check's only part is
    ``id:denominator``, as in "responders with other diseases do not exceed the patients with them"):
    no proportion is estimated from such a denominator. A check with several parts does not say
    which is wrong and marks none here. Computed once per review (asked once per finding)."""
    cached = getattr(review, "_doubtful_denominators", None)
    if cached is None:
        cached = _doubtful_denominators(review)
        review._doubtful_denominators = cached
    return cached


def _doubtful_denominators(review) -> dict[str, list[str]]:
    results = getattr(review, "checks", None)
    if results is None:
        return {}
    failing = set(results.loc[results["status"] == "fail", "check_id"])
    found: dict[str, list[str]] = {}
    if not failing:
        return found
    for check in review.tables["checks"].itertuples():
        terms = str(check.parts).split()
        if check.check_id in failing and len(terms) == 1 and terms[0].endswith(":denominator"):
            found.setdefault(terms[0].rsplit(":", 1)[0], []).append(check.check_id)
    return found


def failing_checks_by_row(review) -> dict[str, list[str]]:
    """For each evidence row, the failing arithmetic checks it is a part or the total of."""
    found: dict[str, list[str]] = {}
    for check_id, (parts, total) in failing_check_rows(review).items():
        for eid in parts | total:
            found.setdefault(eid, []).append(check_id)
    return found


def disease_name(chapter: str, review) -> str:
    diseases = chapter_diseases(review, chapter)
    return listing([DISEASE_NAMES.get(d, d) for d in diseases]) or "related disorders"


def _estimable(review, rows: pd.DataFrame) -> pd.DataFrame:
    """Estimates (events, total, exact CI) of the rows whose events are known or uniquely inferred."""
    from rtxreview.pooling import EstimateError, events_and_total
    audited = review.audit.set_index("evidence_id", drop=False)
    doubtful = doubtful_denominators(review)
    events = {eid for eid, what in counted(review).items() if what == "events"}
    keep = []
    for eid in rows["evidence_id"]:
        if eid in doubtful or eid in events:  # no interval: see results_table
            continue
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
