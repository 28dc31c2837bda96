"""GRADE certainty for every finding the review reports, and the summary-of-findings table.

A *finding* is a disease and outcome the book reports:

* each pooled analysis of ``data/pooling.csv`` that was pooled (``review.pooled[...]["pooled"]`` is
  not None); an analysis that was not pooled (the comparability rule of :mod:`rtxreview.pooling`)
  is shown study by study, as single-study findings that say why it was not pooled;
* each result row of ``data/evidence.csv`` (``context`` result) with a rate: a percentage, or a
  count with its denominator. The same number printed twice (abstract and results) is one finding.

The rules, stated once here and in ``data/APPRAISAL.md`` (every threshold is a named constant):

* **Start**: low. GRADE rates a body of non-randomised evidence low to start with (Balshem et al.,
  J Clin Epidemiol 2011; 64: 401-6); every source here is an uncontrolled case series. (Some
  reviews start case series at very low; starting at low and rating down for their risk of bias
  says why instead.) Rating up (large effect, dose-response) needs a comparison; there is none.
* **Risk of bias** (from appraisal.csv, rule in :func:`rtxreview.appraisal.study_risk_of_bias`):
  serious when studies at high risk of bias hold at least half of the finding's patients; one
  level more when one of the finding's own printed numbers does not reproduce (the audit). An
  inferred denominator or count is named in the reason.
* **Inconsistency**: one study: not applicable. Pooled: very serious when I² ≥ 75%, serious when
  I² ≥ 50% or the prediction interval is wider than 50 points (Cochrane Handbook 10.10.2 bands).
* **Imprecision**: against an optimal information size of 97 patients (the n that gives a 95%
  interval of ±10 points around 50%): serious when fewer patients or a 95% CI wider than 20
  points, very serious when wider than 40 points.
* **Indirectness**: the worse of (a) the source's own definition of the outcome against the
  standard (definitions.csv: 'differs from standard' or 'not defined' is serious) and (b) the
  reviewer's judgement of population and regimen per study (certainty_judgements.csv).
* **Publication bias**: serious when half or more of the patients come from conference abstracts
  or excerpts (studies.csv publication_type); the worse of that and a review-wide reviewer entry.

Where a domain cannot be computed (a study not yet appraised, a definition or reviewer judgement
not yet recorded, a count that is not known), the finding is *not rated* and says what is missing:
nothing is filled in by default. Study and evidence ids come from the data only.

Interface to the pooled analyses (``review.pooled``, a mapping of analysis id to a result):
``analysis_id, title, disease, outcome``; ``rows``: a DataFrame with ``study, evidence_id, events,
total, proportion, ci_low, ci_high``; ``pooled``: None, or a mapping with ``estimate, ci_low,
ci_high`` (0..1), optional ``i2`` (percent), ``tau2``, ``pi_low``/``pi_high`` (None below k = 3),
``q_p`` (or ``p_q``); the reason an analysis was not pooled in ``not_pooled_reason`` or ``reason``.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pandas as pd

from rtxreview.appraisal import NOT_APPRAISED, study_risk_of_bias
from rtxreview.pooling import EstimateError, confidence_interval, events_and_total, not_pooled_text
from rtxreview import text as fmt
from rtxreview.selection import counted, doubtful_denominators, proportions, representative, same_findings

START_LEVEL = 2
LEVEL_NAMES = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
LEVEL_SYMBOLS = {4: "⊕⊕⊕⊕", 3: "⊕⊕⊕◯", 2: "⊕⊕◯◯", 1: "⊕◯◯◯"}
START_REASON = ("uncontrolled case series start at low (GRADE, Balshem et al. 2011: "
                "non-randomised evidence starts low)")
DOMAINS = ("risk of bias", "inconsistency", "imprecision", "indirectness", "publication bias")
CONCERN = {0: "not serious", 1: "serious", 2: "very serious"}
LEVEL_OF = {v: k for k, v in CONCERN.items()}

HIGH_RISK_SHARE = 0.5  # share of patients in high-risk studies that makes risk of bias serious
I2_SERIOUS, I2_VERY_SERIOUS = 50.0, 75.0  # percent (Cochrane Handbook 10.10.2: substantial, considerable)
PI_WIDTH_SERIOUS = 0.5  # a prediction interval wider than 50 points
OIS_HALF_WIDTH, OIS_Z = 0.10, 1.959963984540054
OIS = math.ceil(OIS_Z ** 2 * 0.25 / OIS_HALF_WIDTH ** 2)  # 97 patients
CI_WIDTH_SERIOUS, CI_WIDTH_VERY_SERIOUS = 0.20, 0.40
ABSTRACT_SHARE = 0.5
FULL_REPORT = "journal article"
RITUXIMAB = re.compile(r"rituximab|\bRTX\b", re.IGNORECASE)
CONCERNING_DEFINITIONS = ("differs from standard", "not defined")
# Outcomes in the order a clinician reads them: response first, then durability, then harms.
OUTCOME_ORDER = ("complete response", "complete remission", "overall response", "response (R)",
                 "response rate (type not specified)", "partial response", "durable remission", "in remission",
                 "no response", "relapse")


@dataclass
class Domain:
    """One GRADE domain of one finding: levels rated down (None: not judged) and why."""

    name: str
    down: int | None
    judgement: str
    reason: str


@dataclass
class Finding:
    """A disease and outcome the book reports, with what GRADE needs."""

    finding_id: str
    disease: str
    outcome: str
    label: str
    rows: pd.DataFrame  # one row per study: study, evidence_id, outcome, disease, events, total, ci...
    evidence_ids: tuple[str, ...]  # every printed occurrence behind the finding
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    pooled: dict | None = None
    note: str = ""
    rituximab: bool = True
    domains: list[Domain] = field(default_factory=list)
    counts: str = "patients"  # what the denominators count (counting.csv): patients or treatment uses

    @property
    def studies(self) -> list[str]:
        return list(dict.fromkeys(self.rows["study"]))

    @property
    def patients(self) -> int | None:
        totals = self.rows["total"]
        return None if totals.isna().any() else int(totals.sum())

    @property
    def events(self) -> int | None:
        events = self.rows["events"]
        return None if events.isna().any() else int(events.sum())

    @property
    def level(self) -> int | None:
        if any(d.down is None for d in self.domains):
            return None
        return max(1, START_LEVEL - sum(d.down for d in self.domains))

    @property
    def certainty(self) -> str:
        return "not rated" if self.level is None else LEVEL_NAMES[self.level]


# --- findings ------------------------------------------------------------------------------------

def _pooled_value(result: dict, key: str):
    """A pooled statistic wherever the pooled result keeps it (in ``pooled`` or at the top level)."""
    pooled = result.get("pooled") or {}
    for source in (pooled, result):
        value = source.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return value
    return None


def _label(row) -> str:
    parts = [str(row["outcome"])]
    for column in ("timepoint", "subgroup", "intervention"):
        value = row.get(column)
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    return "; ".join(parts)


def _rate_rows(review) -> pd.DataFrame:
    """Result rows that are proportions, by the chapters' rule (:func:`rtxreview.selection.proportions`);
    a bare percentage is a finding too, rated 'not estimable' when its count is not known."""
    rows = review.rows
    events = [eid for eid, what in counted(review).items() if what == "events"]  # shares of events, not patients
    return rows[(rows["context"] == "result") & proportions(rows, require_denominator=False)
                & ~rows["evidence_id"].isin(events)]


def _single_finding(review, group: pd.DataFrame, note: str = "") -> Finding:
    row = representative(group)
    doubtful = doubtful_denominators(review).get(row["evidence_id"])
    try:
        if doubtful:
            raise EstimateError(f"{DOUBTFUL_DENOMINATOR}the printed denominator {_total(row)} fails check "
                                  f"{', '.join(doubtful)}")
        events, total, how = events_and_total(row)
        low, high = (float(v[0]) for v in confidence_interval([events], [total], method=review.ci_method))
        estimate = events / total
    except EstimateError as exc:
        events, total, how, estimate, low, high = None, _total(row), str(exc), None, None, None
    frame = pd.DataFrame([{"study": row["study_id"], "evidence_id": row["evidence_id"], "outcome": row["outcome"],
                           "disease": row["disease"], "events": events, "total": total, "proportion": estimate,
                           "ci_low": low, "ci_high": high, "events_source": how}])
    return Finding(finding_id=row["evidence_id"], disease=row["disease"], outcome=row["outcome"], label=_label(row),
                   rows=frame, evidence_ids=tuple(group["evidence_id"]), estimate=estimate, ci_low=low,
                   ci_high=high, note=note, counts=counted(review).get(row["evidence_id"], "patients"),
                   rituximab=bool(RITUXIMAB.search(str(row["intervention"])))
                   if pd.notna(row["intervention"]) else False)


def _total(row) -> int | None:
    return None if pd.isna(row["denominator"]) else int(row["denominator"])


def _pooled_finding(review, result: dict, occurrences: dict[str, tuple]) -> Finding:
    members = result["rows"]
    by_id = review.rows.set_index("evidence_id")
    frame = pd.DataFrame({
        "study": list(members["study"]), "evidence_id": list(members["evidence_id"]),
        "outcome": [by_id.at[e, "outcome"] for e in members["evidence_id"]],
        "disease": [by_id.at[e, "disease"] for e in members["evidence_id"]],
        "events": list(members["events"]), "total": list(members["total"]), "proportion": list(members["proportion"]),
        "ci_low": list(members["ci_low"]), "ci_high": list(members["ci_high"]),
        "events_source": list(members.get("events_source", [""] * len(members)))})
    pooled = result["pooled"]
    evidence_ids = tuple(e for member in members["evidence_id"] for e in occurrences.get(member, (member,)))
    return Finding(finding_id=str(result["analysis_id"]), disease=str(result["disease"]),
                   outcome=str(result["outcome"]), label=str(result.get("title") or result["outcome"]), rows=frame,
                   evidence_ids=evidence_ids, estimate=float(pooled["estimate"]), ci_low=float(pooled["ci_low"]),
                   ci_high=float(pooled["ci_high"]),
                   pooled={k: _pooled_value(result, k) for k in ("i2", "tau2", "pi_low", "pi_high", "q_p", "p_q", "k",
                                                                "method")},
                   counts=_pooled_counts(review, members["evidence_id"]))


def _pooled_counts(review, evidence_ids) -> str:
    """Patients, unless every pooled denominator counts the same other thing (counting.csv)."""
    what = {counted(review).get(e, "patients") for e in evidence_ids}
    return what.pop() if len(what) == 1 else " or ".join(sorted(what))


def findings(review) -> list[Finding]:
    """Every finding with its five GRADE domains judged (see the module's rules).

    Computed once per review and kept on it: a chapter asks for them in its bottom line and in each
    summary of findings (the Appraisal page, one per disease)."""
    cached = getattr(review, "_certainty_findings", None)
    if cached is not None:
        return cached
    groups = same_findings(_rate_rows(review))
    occurrences = {e: tuple(g["evidence_id"]) for g in groups for e in g["evidence_id"]}
    results = list(review.pooled.values())
    pooled_members = {e for r in results if r.get("pooled") is not None
                      for member in r["rows"]["evidence_id"] for e in occurrences.get(member, (member,))}
    not_pooled = {member: f"not pooled in '{r['analysis_id']}': {not_pooled_text(r, getattr(review, 'study_label', str))}"
                  for r in results if r.get("pooled") is None for member in r["rows"]["evidence_id"]}
    found = [_pooled_finding(review, r, occurrences) for r in results if r.get("pooled") is not None]
    for group in groups:
        if set(group["evidence_id"]) & pooled_members:
            continue
        note = next((not_pooled[e] for e in group["evidence_id"] if e in not_pooled), "")
        found.append(_single_finding(review, group, note))
    context = _Context(review)
    for finding in found:
        finding.domains = [risk_of_bias(finding, context), inconsistency(finding), imprecision(finding),
                           indirectness(finding, context), publication_bias(finding, context)]
    review._certainty_findings = found
    return found


class _Context:
    """What the domains look up, indexed once per review."""

    def __init__(self, review):
        tables = review.tables
        self.rob = study_risk_of_bias(tables).set_index("study_id")
        self.studies = tables["studies"].set_index("study_id")
        self.rows = review.rows.set_index("evidence_id")
        self.definitions = tables.get("definitions", pd.DataFrame(columns=[
            "source_kind", "study_id", "disease", "outcome", "versus_standard", "term"]))
        self.defined_outcomes = set(self.definitions["outcome"])
        own = self.definitions[self.definitions["source_kind"] == "study"]
        self.study_definitions = {key: group for key, group in own.groupby(["study_id", "outcome"], sort=False)}
        judgements = tables.get("certainty_judgements", pd.DataFrame(columns=[
            "scope", "study_id", "domain", "judgement", "reason"]))
        self.judgements = {(j.scope, "" if pd.isna(j.study_id) else j.study_id, j.domain): j
                           for j in judgements.itertuples(index=False)}
        self.failing = review.rows[review.rows["verdict"] == "inconsistent"].groupby("study_id")["evidence_id"].apply(list)
        from rtxreview.selection import failing_check_rows
        self.check_rows = failing_check_rows(review)
        self.checks = review.checks.set_index("check_id") if self.check_rows else None

    def failing_checks(self, evidence_ids) -> tuple[list, list]:
        """The failing arithmetic checks on ``evidence_ids``: those whose parts are all among these
        rows (the figures conflict with the source's others through these rows alone), and those in
        which they are one term among others (which term is wrong is not known)."""
        ids = set(evidence_ids)
        culprit, involved = [], []
        for check_id, (parts, total) in self.check_rows.items():
            if not (parts | total) & ids:
                continue
            check = self.checks.loc[check_id]
            (culprit if parts <= ids and not total & ids else involved).append(check)
        return culprit, involved

    def label(self, study: str) -> str:
        return str(self.studies.at[study, "short_label"]) if study in self.studies.index else study

    def judgement(self, domain: str, study: str | None = None):
        return self.judgements.get(("study", study, domain) if study else ("review", "", domain))


# --- domains -------------------------------------------------------------------------------------

def _domain(name: str, down: int | None, reason: str, not_applicable: bool = False) -> Domain:
    judgement = "not applicable" if not_applicable else ("not judged" if down is None else CONCERN[down])
    return Domain(name, down, judgement, reason)


def _patients_by_study(finding: Finding, context: _Context) -> dict[str, int]:
    """Patients per study: the finding's totals, or the study's enrolment where a total is unknown."""
    out: dict[str, int] = {}
    for study, total in zip(finding.rows["study"], finding.rows["total"]):
        n = int(total) if pd.notna(total) else int(context.studies.at[study, "patients_enrolled"])
        out[study] = out.get(study, 0) + n
    return out


def risk_of_bias(finding: Finding, context: _Context) -> Domain:
    patients = _patients_by_study(finding, context)
    missing = [s for s in patients if s not in context.rob.index or context.rob.at[s, "level"] == NOT_APPRAISED]
    if missing:
        return _domain("risk of bias", None, f"{NOT_APPRAISED}: {', '.join(map(context.label, missing))}")
    high = [s for s in patients if context.rob.at[s, "level"] == "high"]
    share = sum(patients[s] for s in high) / sum(patients.values())
    down = int(share >= HIGH_RISK_SHARE)
    parts = [f"{context.label(s)}: {context.rob.at[s, 'level']} risk of bias ({context.rob.at[s, 'reason']})"
             for s in patients]
    if down:
        parts.append(f"{_share(share)} of patients in studies at high risk of bias")
    own_failing = [e for e in finding.evidence_ids if context.rows.at[e, "verdict"] == "inconsistent"]
    if own_failing:
        down = min(2, down + 1)
        parts.append("printed input does not reproduce: " + "; ".join(
            f"{e} ({context.rows.at[e, 'explanation']})" for e in own_failing))
    else:
        parts += [f"{len(context.failing[s])} other printed {'number' if len(context.failing[s]) == 1 else 'numbers'}"
                  f" of {context.label(s)} {'does' if len(context.failing[s]) == 1 else 'do'} not reproduce"
                  for s in patients if s in context.failing.index]
    culprit, involved = context.failing_checks(finding.evidence_ids)
    if culprit:
        down = min(2, down + 1)
    blamed = "this figure fails a check against the source's other figures"
    shared = "a check on these and other printed figures fails (which figure is wrong is not known)"
    parts += [f"{lead}: {c['description']} ({c['expected']:g} expected, {c['observed']:g} found)"
              for lead, checks in ((blamed, culprit), (shared, involved)) for c in checks]
    inferred = [e for e in finding.evidence_ids if context.rows.at[e, "denominator_source"] == "inferred"]
    if inferred:
        parts.append(f"denominator inferred ({', '.join(inferred)}; see their notes)")
    counted = [r.evidence_id for r in _records(finding.rows) if str(r.events_source).startswith("inferred")]
    if counted:
        parts.append(f"count inferred from the printed percentage ({', '.join(counted)})")
    return _domain("risk of bias", down, "; ".join(parts))


def inconsistency(finding: Finding) -> Domain:
    if finding.pooled is None:
        return _domain("inconsistency", 0, "one study: inconsistency cannot be judged (not rated down)",
                       not_applicable=True)
    i2 = finding.pooled.get("i2")
    if i2 is None:
        return _domain("inconsistency", None, "I² not reported by the pooled analysis")
    low, high = finding.pooled.get("pi_low"), finding.pooled.get("pi_high")
    k = finding.pooled.get("k") or len(finding.rows)
    parts = [f"k = {k}, I² = {fmt.fixed(i2, 0)}%"]
    tau2 = finding.pooled.get("tau2")
    if tau2 is not None:
        parts.append(f"τ² = {fmt.fixed(tau2, 2)}")
    q_p = finding.pooled.get("q_p") or finding.pooled.get("p_q")
    if q_p is not None:
        parts.append(f"Cochran's Q {fmt.p_text(q_p)}")
    wide_pi = low is not None and high is not None and float(high) - float(low) > PI_WIDTH_SERIOUS
    parts.append(f"prediction interval {_percent(low)} to {_percent(high)}" if low is not None and high is not None
                 else "no prediction interval (fewer than 3 studies)")
    down = 2 if float(i2) >= I2_VERY_SERIOUS else int(float(i2) >= I2_SERIOUS or wide_pi)
    return _domain("inconsistency", down, "; ".join(parts))


def imprecision(finding: Finding) -> Domain:
    if finding.estimate is None or finding.patients is None:
        how = finding.rows["events_source"].iloc[0] if len(finding.rows) else ""
        if how.startswith(DOUBTFUL_DENOMINATOR):
            # No usable estimate at all: as imprecise as a finding can be (rated, so that it is not read as unrated).
            return _domain("imprecision", 2, f"no estimate and no interval: {how.removeprefix(DOUBTFUL_DENOMINATOR)}")
        return _domain("imprecision", None, f"count not known, so no interval: {how}")
    width = finding.ci_high - finding.ci_low
    events = finding.events
    parts = [f"{finding.patients} {finding.counts}, {events} with the outcome" if events is not None
             else f"{finding.patients} {finding.counts}",
             f"95% CI {_percent(finding.ci_low)} to {_percent(finding.ci_high)} ({_points(width)} points wide)"]
    if events == 0:
        parts.append("no events")
    if finding.patients < OIS:
        parts.append(f"fewer than the optimal information size of {OIS} patients")
    down = 2 if width > CI_WIDTH_VERY_SERIOUS else int(width > CI_WIDTH_SERIOUS or finding.patients < OIS)
    return _domain("imprecision", down, "; ".join(parts))


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """A small frame's rows with attribute access (``itertuples`` builds a namedtuple class per call,
    which was most of the time spent rating findings)."""
    return [SimpleNamespace(**record) for record in frame.to_dict("records")]


def _definition(context: _Context, study: str, outcome: str, disease: str):
    rows = context.study_definitions.get((study, outcome))
    if rows is None:
        return context.definitions.iloc[0:0]
    same = rows[rows["disease"].isin([disease, "mixed cytopenias"])]
    return (same if len(same) else rows).head(1)


def indirectness(finding: Finding, context: _Context) -> Domain:
    downs, parts, missing = [], [], []
    for row in _records(finding.rows):
        if row.outcome in context.defined_outcomes:
            found = _definition(context, row.study, row.outcome, row.disease)
            if found.empty:
                missing.append(f"definition of '{row.outcome}' for {context.label(row.study)} not yet recorded")
            else:
                status = found["versus_standard"].iloc[0]
                downs.append(int(status in CONCERNING_DEFINITIONS))
                parts.append(f"{context.label(row.study)}: '{found['term'].iloc[0]}' {status}")
    for study in finding.studies:
        entry = context.judgement("indirectness", study)
        if entry is None:
            missing.append(f"population and regimen of {context.label(study)} not yet judged")
        else:
            downs.append(LEVEL_OF[entry.judgement])
            parts.append(f"{context.label(study)}: {entry.reason}")
    if missing:
        return _domain("indirectness", None, "; ".join(missing))
    return _domain("indirectness", max(downs, default=0), "; ".join(parts))


def publication_bias(finding: Finding, context: _Context) -> Domain:
    patients = _patients_by_study(finding, context)
    partial = [s for s in patients if context.studies.at[s, "publication_type"] != FULL_REPORT]
    share = sum(patients[s] for s in partial) / sum(patients.values())
    down = int(share >= ABSTRACT_SHARE)
    parts = [f"{context.label(s)}: {context.studies.at[s, 'publication_type']} only" for s in partial]
    entry = context.judgement("publication bias")
    if entry is not None:
        down = max(down, LEVEL_OF[entry.judgement])
        parts.append(entry.reason)
    return _domain("publication bias", down, "; ".join(parts) or "full reports; no review-wide concern recorded")


# --- summary of findings -------------------------------------------------------------------------

def _percent(value, digits: int = 1) -> str:
    return "?" if fmt.missing(value) else fmt.pct(value, digits)


def _share(value: float) -> str:
    return fmt.pct(value, 0)


def _points(width: float) -> str:
    return fmt.points(width)


_per_100 = _points  # 'about 61 in 100 patients'


DOUBTFUL_DENOMINATOR = "denominator contradicted: "  # marks a finding selection.doubtful_denominators names


def _no_estimate_reason(finding: Finding) -> str:
    how = str(finding.rows["events_source"].iloc[0]) if len(finding.rows) else ""
    return how.removeprefix(DOUBTFUL_DENOMINATOR) if how.startswith(DOUBTFUL_DENOMINATOR) else "count not known"


def estimate_text(finding: Finding) -> str:
    if finding.estimate is None:
        return f"not estimable ({_no_estimate_reason(finding)})"
    interval = f"({_percent(finding.ci_low)} to {_percent(finding.ci_high)})"
    if finding.pooled is not None:
        return f"{_percent(finding.estimate)} {interval}, pooled"
    return f"{finding.events}/{finding.patients} = {_percent(finding.estimate)} {interval}"


def statement(finding: Finding) -> str:
    """A plain-language statement in GRADE's wording for its certainty (Santesso et al. 2016)."""
    if finding.estimate is None:
        reason = _no_estimate_reason(finding)
        return ("No estimate: the count behind the printed percentage is not known." if reason == "count not known"
                else f"No estimate: {reason} against the source's other figures.")
    if finding.counts == "patients":
        what = (f"about {_per_100(finding.estimate)} in 100 patients ({_per_100(finding.ci_low)} to "
                f"{_per_100(finding.ci_high)}) {fmt.outcome_predicate(finding.outcome)}")
    else:  # a patient may count more than once: the figure is of the uses, not of patients
        what = (f"about {_per_100(finding.estimate)} in 100 {finding.counts} ({_per_100(finding.ci_low)} to "
                f"{_per_100(finding.ci_high)}; {finding.counts}, not patients) were followed by {finding.outcome}")
    n = len(finding.studies)
    where = f"in {n} uncontrolled {'series' if n > 1 else 'series'}"
    level = finding.level
    if level is None:
        return f"Not yet rated: {what} {where}."
    return {4: f"In these patients {what}.", 3: f"In these patients {what}, probably.",
            2: f"In these patients {what}; the true figure may differ.",
            1: f"The evidence is very uncertain: {what} {where}."}[level]


def context_rows(review, disease: str, outcome: str) -> pd.DataFrame:
    """External reference figures set beside a disease and outcome (context.csv)."""
    context = review.tables.get("context")
    if context is None or context.empty:
        return pd.DataFrame()
    matches = context["review_outcomes"].astype(str).str.split(r";\s*").map(lambda names: outcome in names)
    return context[(context["disease"] == disease) & matches]


def context_text(row) -> str:
    ci = "" if pd.isna(row["ci_low"]) else f" ({row['ci_low']:g}% to {row['ci_high']:g}%)"
    ident = f"PMID {int(row['pmid'])}" if pd.notna(row["pmid"]) else f"doi:{row['doi']}"
    return (f"{row['figure']:g}%{ci}; {row['studies']} {'study' if row['studies'] == 1 else 'studies'}, "
            f"{row['patients']} {fmt.readable_text(str(row['population']))}; {fmt.readable_text(row['regimen'])}; "
            f"definition: {fmt.readable_text(row['response_definition'])} "
            f"({row['citation'].split('.')[0]}, {ident})")


def _declared_positions(review) -> dict[str, tuple[int, int]]:
    """(analysis, member) position in pooling.csv of each evidence row of an analysis that was not pooled."""
    return {evidence_id: (a, m) for a, result in enumerate(review.pooled.values()) if result.get("pooled") is None
            for m, evidence_id in enumerate(result["rows"]["evidence_id"])}


def _order(finding: Finding, declared: dict[str, tuple[int, int]] | None = None) -> tuple:
    """Pooled analyses first; then the studies of each declared analysis that was not pooled, side by
    side in pooling.csv's order; then the other findings, by outcome (OUTCOME_ORDER) and id."""
    rank = OUTCOME_ORDER.index(finding.outcome) if finding.outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)
    position = min((declared[e] for e in finding.evidence_ids if e in (declared or {})), default=None)
    return (finding.pooled is None, position is None, position or (0, 0), rank, finding.finding_id)


# Outcome importance (outcomes.csv, GRADE): critical outcomes make the summary-of-findings table,
# important ones follow it in a fold, limited ones are rated on the Appraisal page only.
SOF_IMPORTANCE = ("critical", "important")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(day|week|month|year)s?$", re.IGNORECASE)
_DAYS = {"day": 1, "week": 7, "month": 30.4375, "year": 365.25}


def importance(review, outcome: str) -> str:
    """The outcome's GRADE importance from outcomes.csv. A review built without that table (a test's
    hand-made one; a validated package always has it) hides nothing: every outcome counts as critical."""
    table = review.tables.get("outcomes")
    if table is None or "importance" not in table.columns:
        return "critical"
    ratings = getattr(review, "_outcome_importance", None)
    if ratings is None:
        ratings = review._outcome_importance = dict(zip(table["outcome"], table["importance"].astype(str)))
    return ratings.get(outcome, "limited")


def _days(timepoint) -> float | None:
    match = _DURATION.match(str(timepoint).strip()) if isinstance(timepoint, str) else None
    return float(match.group(1)) * _DAYS[match.group(2).lower()] if match else None


def latest_visits(review, chosen: list[Finding]) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """One finding per study, group and outcome reported at several visits: the latest visit (the
    pooling rule of :mod:`rtxreview.pooling`), with the earlier visits kept for its footnote.
    Findings whose time points are not all durations ('1 month', '12 months') are all kept."""
    rows = review.rows.set_index("evidence_id")
    groups: dict[tuple, list[Finding]] = {}
    for f in chosen:
        if f.pooled is not None:
            groups[("pooled", f.finding_id)] = [f]
            continue
        row = rows.loc[f.finding_id]
        key = (row["study_id"], f.outcome, str(row["subgroup"]), str(row["intervention"]),
               _days(row["timepoint"]) is not None)
        groups.setdefault(key if key[-1] else (f.finding_id,), []).append(f)
    kept, earlier = [], {}
    for members in groups.values():
        members = sorted(members, key=lambda f: _days(rows.at[f.finding_id, "timepoint"]) or 0) \
            if len(members) > 1 else members
        kept.append(members[-1])
        if len(members) > 1:
            earlier[members[-1].finding_id] = members[:-1]
    return kept, earlier


SOF_COLUMNS = ["finding_id", "outcome", "studies_and_patients", "estimate", "certainty", "footnotes", "statement",
               "wider_literature", "studies", "patients", "level", "evidence_ids"]


def summary_of_findings(review, disease: str, *, rituximab_only: bool = True, outcomes=None,
                        importances=SOF_IMPORTANCE) -> pd.DataFrame:
    """The GRADE summary-of-findings table of one disease, one row per finding.

    Rows: pooled analyses first, then the studies of each declared analysis that was not pooled,
    side by side (each with the reason it was not pooled among its footnotes), then the rest.

    Columns: outcome, studies and patients, estimate with 95% CI, certainty (symbols, name and
    footnote letters), footnotes (one per domain rated down or not judged, with its reason),
    plain-language statement, and the wider literature (context.csv; external, never pooled).
    ``rituximab_only`` keeps findings about a rituximab regimen (the intervention names it);
    ``outcomes``, a collection of outcome names, keeps those outcomes only; ``importances``, the
    outcome importances (outcomes.csv) to keep. A group reported at several visits shows its latest
    (:func:`latest_visits`), the earlier ones in a footnote.
    """
    rows = []
    chosen = [f for f in findings(review) if f.disease == disease
              and (f.rituximab or not rituximab_only or f.pooled is not None)
              and (outcomes is None or f.outcome in set(outcomes))
              and importance(review, f.outcome) in importances]
    chosen, earlier = latest_visits(review, chosen)
    declared = _declared_positions(review)
    visit = review.rows.set_index("evidence_id")["timepoint"]
    for finding in sorted(chosen, key=lambda f: _order(f, declared)):
        notes = [f"{d.name.capitalize()} ({'not judged' if d.down is None else f'−{d.down}'}): {d.reason}"
                 for d in finding.domains if d.down is None or d.down > 0]
        if finding.note:
            notes.append(finding.note)
        if finding.finding_id in earlier:
            notes.append("Latest visit shown; earlier visits: " + "; ".join(
                f"{visit[f.finding_id]}: {estimate_text(f)}" for f in earlier[finding.finding_id]))
        level = finding.level
        certainty = "not rated" if level is None else f"{LEVEL_SYMBOLS[level]} {LEVEL_NAMES[level]}"
        patients = finding.patients
        k = len(finding.studies)
        literature = context_rows(review, finding.disease, finding.outcome)
        rows.append({
            "finding_id": finding.finding_id, "outcome": finding.label,
            "studies_and_patients": f"{k} {'study' if k == 1 else 'studies'}"
                                    + ("" if patients is None else f" ({patients} {finding.counts})"),
            "estimate": estimate_text(finding), "certainty": certainty, "footnotes": notes,
            "statement": statement(finding),
            "wider_literature": [context_text(r) for _, r in literature.iterrows()],
            "studies": finding.studies, "patients": patients, "level": level, "evidence_ids": finding.evidence_ids,
        })
    return pd.DataFrame(rows, columns=SOF_COLUMNS)


def certainty_table(review) -> pd.DataFrame:
    """Every finding with each domain's judgement and reason (the long form behind the tables)."""
    out = []
    for finding in findings(review):
        entry = {"finding_id": finding.finding_id, "disease": finding.disease, "outcome": finding.label,
                 "studies": ", ".join(finding.studies), "patients": finding.patients, "estimate": estimate_text(finding),
                 "start": LEVEL_NAMES[START_LEVEL], "certainty": finding.certainty}
        for d in finding.domains:
            entry[d.name] = d.judgement
            entry[f"{d.name}: reason"] = d.reason
        out.append(entry)
    return pd.DataFrame(out)


SAME_LITERATURE = "As in the row above."


def _letters(n: int) -> list[str]:
    return [chr(ord("a") + i) if i < 26 else f"z{i - 25}" for i in range(n)]


def summary_of_findings_html(review, disease: str, *, title: str | None = None, rituximab_only: bool = True,
                             outcomes=None) -> str:
    """The summary-of-findings table as HTML (every value from the data escaped): the critical
    outcomes in the table, the important ones (outcomes.csv) under it in a fold; footnotes below,
    one letter per distinct footnote, so rows that share a reason share its letter."""
    options = dict(rituximab_only=rituximab_only, outcomes=outcomes)
    critical = summary_of_findings(review, disease, importances=("critical",), **options)
    important = summary_of_findings(review, disease, importances=("important",), **options)
    caption = html.escape(title or f"Summary of findings: rituximab in {disease}")
    if critical.empty and important.empty:
        return f'<p class="rtx-sof-empty">{caption}: no finding about rituximab in {html.escape(disease)}.</p>'
    letters: dict[str, str] = {}
    head = ("<tr><th>Outcome</th><th>Studies (patients)</th><th>Estimate (95% CI)</th><th>Certainty (GRADE)</th>"
            "<th>What this means</th><th>Wider literature (external, not pooled)</th></tr>")

    def table(rows: pd.DataFrame, table_caption: str) -> str:
        body, previous = [], None
        for row in rows.itertuples():
            for note in row.footnotes:
                letters.setdefault(note, _letters(len(letters) + 1)[-1])
            marks = "".join(f"<sup>{letters[n]}</sup>" for n in row.footnotes)
            # The same references under each finding of an outcome are printed once per run of rows.
            literature = ("<br>".join(html.escape(t) for t in row.wider_literature) or "—"
                          if not row.wider_literature or tuple(row.wider_literature) != previous else SAME_LITERATURE)
            previous = tuple(row.wider_literature)
            body.append(f"<tr><td>{html.escape(row.outcome)}</td><td>{html.escape(row.studies_and_patients)}</td>"
                        f"<td>{html.escape(row.estimate)}</td><td>{html.escape(row.certainty)}{marks}</td>"
                        f"<td>{html.escape(row.statement)}</td><td class=\"rtx-external\">{literature}</td></tr>")
        return (f'<div class="rtx-table-wrap"><table class="rtx-evidence rtx-sof"><caption>{table_caption}</caption>'
                f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table></div>")

    parts = [table(critical, f"{caption}: critical outcomes (response)") if len(critical) else
             f'<p class="rtx-sof-empty">{caption}: no finding on a critical outcome (response).</p>']
    if len(important):
        levels = important["certainty"].value_counts()
        rated = (levels.index[0] if len(important) == 1 else f"all {levels.index[0]}" if len(levels) == 1 else
                 ", ".join(f"{n} {name}" for name, n in levels.items()))
        parts.append(f'<details class="rtx-sof-more"><summary>Important outcomes (durability, harms, time to '
                     f"response): {len(important)} more {'finding' if len(important) == 1 else 'findings'}, "
                     f"certainty {html.escape(rated)}</summary>"
                     f"{table(important, f'{caption}: important outcomes')}</details>")
    footnotes = "".join(f"<li>{html.escape(n)}</li>" for n in letters)
    legend = (f"Certainty starts at {LEVEL_NAMES[START_LEVEL]}: {START_REASON}. ⊕◯◯◯ very low, ⊕⊕◯◯ low, ⊕⊕⊕◯ "
              "moderate, ⊕⊕⊕⊕ high. Outcomes rated critical, important or of limited importance in "
              "outcomes.csv; findings on outcomes of limited importance are rated on the Appraisal page. A group "
              "reported at several visits shows its latest. Wider literature: published figures from other "
              "studies, shown for comparison only and never pooled with these sources.")
    return ("".join(parts) + f'<ol class="rtx-footnotes" type="a">{footnotes}</ol>'
            f'<p class="rtx-legend">{html.escape(legend)}</p>')


def show_summary_of_findings(review, disease: str, **options):
    """The table for a chapter cell (IPython HTML)."""
    from IPython.display import HTML
    return HTML(summary_of_findings_html(review, disease, **options))
