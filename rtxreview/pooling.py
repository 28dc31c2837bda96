"""Study estimates with exact confidence intervals, and the pooled analyses of ``data/pooling.csv``.

An estimate needs events and a total. Events are the row's printed count, or, for a percentage
printed without its count, the only whole number that reproduces it (from the audit); a row where
none or several do cannot be pooled and stops the run with a message naming it.

An analysis declared in pooling.csv is pooled only if its inputs are comparable (the
*comparability rule*): every row of pooling.csv records the outcome's ``definition``, its
``timepoint`` and its ``analysis_set``, and these must be the same for every study and known
("not reported" never matches, not even itself: an unknown definition cannot be judged the same
as another). Otherwise the analysis is not pooled, and ``not_pooled_reason`` says which
attribute differs between which studies; its studies are then shown side by side, without a
pooled estimate. The statistics themselves are in :mod:`rtxreview.meta_analysis`.

Time-point rule: a study that reports the outcome at several visits contributes its latest
visit, read from evidence.csv (rows of the same study, disease, subgroup, intervention and
outcome whose ``timepoint`` is a visit such as "12 months"); a row of pooling.csv that names an
earlier visit stops the run. The latest visit is the longest follow-up the study gives (a
response that lasted), and one rule for every study means no visit is picked for its result.
"""

from __future__ import annotations

import re

import pandas as pd

from rtxreview.intervals import confidence_interval
from rtxreview.meta_analysis import pool_proportions

ESTIMATORS = {"PM": "Paule-Mandel", "DL": "DerSimonian-Laird (tau² truncated at 0)"}


NOT_REPORTED = "not reported"
COMPARABILITY_ATTRIBUTES = {"definition": "outcome definition", "timepoint": "time point",
                            "analysis_set": "analysis set"}
TIMEPOINT_RULE = ("A study that reports the outcome at several visits contributes its latest visit (its "
                  "longest follow-up), even when an earlier visit gives a better result.")
_VISIT = re.compile(r"^(?:(?P<n>\d+(?:\.\d+)?) (?P<unit>day|week|month|year)s?|(?P<unit2>day|week|month|year) (?P<n2>\d+))$")
_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
_SERIES = ["study_id", "disease", "subgroup", "intervention", "outcome"]


class EstimateError(ValueError):
    """An evidence row cannot give events and a total."""


class PoolingError(ValueError):
    """A row of pooling.csv contradicts evidence.csv or the time-point rule."""


def visit_days(timepoint) -> float | None:
    """Days after treatment of a visit written "6 months", "24 weeks" or "week 24"; None for anything else.

    Follow-up summaries ("median follow-up 28 months"), "baseline" and blanks are not visits.
    """
    match = _VISIT.match(str(timepoint).strip()) if isinstance(timepoint, str) else None
    if match is None:
        return None
    number, unit = (match["n"], match["unit"]) if match["n"] else (match["n2"], match["unit2"])
    return float(number) * _DAYS[unit]


def _latest_visits(evidence: pd.DataFrame, pooled_ids) -> dict[tuple, tuple[float, str, str]]:
    """For each outcome series reported at visits: (days, timepoint, evidence_id) of its latest visit.

    Only the studies and outcomes of ``pooled_ids`` are looked at, each distinct timepoint is
    parsed once (a living review has few), and the rows are ranked by visit with pandas.
    """
    pooled = evidence[evidence["evidence_id"].isin(pooled_ids)]
    evidence = evidence[evidence["study_id"].isin(pooled["study_id"]) & evidence["outcome"].isin(pooled["outcome"])]
    days = evidence["timepoint"].map({t: visit_days(t) for t in evidence["timepoint"].dropna().unique()})
    visits = evidence.loc[days.notna(), [*_SERIES, "timepoint", "evidence_id"]].assign(days=days[days.notna()])
    visits[_SERIES] = visits[_SERIES].astype(object).where(visits[_SERIES].notna(), "")
    last = visits.sort_values("days", kind="stable").drop_duplicates(_SERIES, keep="last")
    return {tuple(values[:-3]): (values[-1], values[-3], values[-2])
            for values in last[[*_SERIES, "timepoint", "evidence_id", "days"]].itertuples(index=False)}


def _check_declared_row(line: int, row: dict, source: dict, latest: dict) -> None:
    """Stop if the row's time point is not its evidence row's, or is an earlier visit than the latest."""
    where = f"pooling.csv line {line}, row {row['analysis_id']}/{row['evidence_id']}, column"
    printed = "" if pd.isna(source["timepoint"]) else str(source["timepoint"])
    if printed and row["timepoint"] != printed:
        raise PoolingError(f"{where} timepoint: {row['timepoint']!r}, but evidence.csv gives {printed!r}")
    if not printed and row["timepoint"] != NOT_REPORTED:
        raise PoolingError(f"{where} timepoint: {row['timepoint']!r}, but evidence.csv gives none "
                           f"(write {NOT_REPORTED!r})")
    days = visit_days(printed)
    key = tuple("" if pd.isna(source[c]) else source[c] for c in _SERIES)
    if days is not None and latest[key][0] > days:
        raise PoolingError(f"{where} evidence_id: the time-point rule takes each study's latest visit, and "
                           f"{source['study_id']} also reports {source['outcome']} at {latest[key][1]} "
                           f"({latest[key][2]})")


def comparability(rows: pd.DataFrame) -> list[dict]:
    """What keeps the rows of one analysis from being pooled; an empty list when nothing does.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per estimate with ``study`` and the columns of ``COMPARABILITY_ATTRIBUTES``.

    Returns
    -------
    list of dict
        One per problem: ``attribute`` (a column, or ``"study"`` when fewer than two studies
        contribute), ``problem`` (``"not reported"``, ``"differs"`` or ``"one study"``),
        ``values`` (study id to its value) and ``text``, e.g. ``"analysis set differs:
        evaluable (retro_series_147) vs intention to treat (zhang_2021)"``.
    """
    problems = []
    if rows["study"].nunique() < 2:
        problems.append(dict(attribute="study", problem="one study", values={},
                             text="fewer than two studies report this outcome"))
    for column, name in COMPARABILITY_ATTRIBUTES.items():
        values = dict(zip(rows["study"], rows[column]))
        unknown = [study for study, value in values.items() if value == NOT_REPORTED]
        if unknown:
            problems.append(dict(attribute=column, problem="not reported", values=values,
                                 text=f"{name} not reported ({', '.join(unknown)})"))
        known = {study: value for study, value in values.items() if value != NOT_REPORTED}
        if len(set(known.values())) > 1:
            listed = " vs ".join(f"{value} ({study})" for study, value in known.items())
            problems.append(dict(attribute=column, problem="differs", values=values,
                                 text=f"{name} differs: {listed}"))
    return problems


def events_and_total(audited_row: pd.Series) -> tuple[int, int, str]:
    """(events, total, how the events were obtained) for one audited evidence row."""
    eid = audited_row["evidence_id"]
    if pd.isna(audited_row["denominator"]):
        raise EstimateError(f"{eid}: no denominator, so no proportion")
    total = int(audited_row["denominator"])
    if pd.notna(audited_row["numerator"]):
        return int(audited_row["numerator"]), total, "printed"
    compatible = tuple(audited_row["compatible"])
    if len(compatible) != 1:
        raise EstimateError(f"{eid}: the printed {audited_row['reported']}% of {total} is reproduced by "
                            f"{len(compatible)} whole numbers {compatible}, so its count is not known")
    return compatible[0], total, f"inferred: the only whole number of {total} that prints as {audited_row['reported']}%"


def estimates(audited: pd.DataFrame, evidence: pd.DataFrame, evidence_ids: list[str],
              labels: list[str] | None = None, alpha: float = 0.05, ci_method: str = "beta") -> pd.DataFrame:
    """One row per evidence id: label, study, events, total, proportion, CI, quote, location, note."""
    return _estimates(_ById(audited, evidence, evidence_ids), evidence_ids, labels, alpha=alpha, ci_method=ci_method)


class _ById:
    """The audit and evidence values of the given evidence ids, looked up in one pass.

    Selecting each analysis' rows with ``set_index(...).loc[ids]`` rebuilt a hash table of every
    evidence id and copied every column for each analysis (profiled: 85% of pooling on 10^5 rows);
    here every id of every analysis is looked up at once, then each analysis reads plain dicts.
    """

    AUDIT_COLUMNS = ("evidence_id", "study_id", "statistic", "reported", "numerator", "denominator", "compatible")
    SOURCE_COLUMNS = ("quote", "location", "note")

    def __init__(self, audited: pd.DataFrame, evidence: pd.DataFrame, evidence_ids: list[str]):
        wanted = list(dict.fromkeys(evidence_ids))
        columns = [c for c in self.AUDIT_COLUMNS if c in audited.columns]
        self.audited = dict(zip(wanted, (dict(zip(columns, row))
                                         for row in zip(*self._take(audited, columns, wanted)))))
        self.source = dict(zip(wanted, zip(*self._take(evidence, self.SOURCE_COLUMNS, wanted))))

    @staticmethod
    def _take(frame: pd.DataFrame, columns, wanted: list[str]) -> list[list]:
        index = pd.Index(frame["evidence_id"])
        if not index.is_unique:
            raise ValueError("evidence_id is not unique")
        positions = index.get_indexer(pd.Index(wanted, dtype=object))
        if (positions < 0).any():
            raise KeyError(f"{[e for e, p in zip(wanted, positions) if p < 0]} not in index")
        return [frame[c].take(positions).astype(object).tolist() for c in columns]

    def audited_rows(self, evidence_ids: list[str]) -> list[dict]:
        return [self.audited[e] for e in evidence_ids]

    def source_values(self, column: str, evidence_ids: list[str]) -> list:
        i = self.SOURCE_COLUMNS.index(column)
        return [self.source[e][i] for e in evidence_ids]


def _estimates(by_id: _ById, evidence_ids: list[str], labels: list[str] | None, alpha: float,
               ci_method: str) -> pd.DataFrame:
    rows = by_id.audited_rows(evidence_ids)
    counts = [events_and_total(row) for row in rows]
    events = [c[0] for c in counts]
    totals = [c[1] for c in counts]
    low, high = confidence_interval(events, totals, method=ci_method, alpha=alpha)
    return pd.DataFrame({
        "label": labels if labels is not None else list(evidence_ids),
        "study": [row["study_id"] for row in rows],
        "evidence_id": list(evidence_ids),
        "events": events, "total": totals,
        "proportion": [e / t for e, t in zip(events, totals)],
        "ci_low": low, "ci_high": high,
        "events_source": [c[2] for c in counts],
        "quote": by_id.source_values("quote", evidence_ids),
        "location": by_id.source_values("location", evidence_ids),
        "note": ["" if pd.isna(v) else v for v in by_id.source_values("note", evidence_ids)],
    })


def not_pooled_text(result: dict, label=str) -> str:
    """Why an analysis is not pooled, from its comparability problems, naming each study by
    ``label(study_id)`` (a reader's label in the book; the id where no label is given)."""
    problems = result.get("comparability") or []
    if not problems:
        return result.get("not_pooled_reason") or result.get("reason") or "the studies are not comparable"
    parts = []
    for problem in problems:
        name = COMPARABILITY_ATTRIBUTES.get(problem["attribute"], problem["attribute"])
        values = problem["values"]
        if problem["problem"] == "not reported":
            unknown = [label(s) for s, v in values.items() if v == NOT_REPORTED]
            parts.append(f"{name} not reported by {', '.join(unknown[:-1]) + ' and ' + unknown[-1] if len(unknown) > 1 else unknown[0]}")
        elif problem["problem"] == "differs":
            parts.append(f"{name} differs ({'; '.join(f'{label(s)}: {v}' for s, v in values.items())})")
        else:
            parts.append(problem["text"])
    return "; ".join(parts)


def _with_comparability_columns(pooling: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """A pooling table of an earlier version of the package, written before the comparability
    columns existed (``rtxreview diff`` reads earlier versions with this library), gets its rows'
    time points from evidence.csv and "not reported" for the rest: such analyses are then judged by
    today's rule, which finds them not comparable; the declared rows' time points are not checked
    against the time-point rule, which that version did not have. A current package has every
    column (schema)."""
    missing = [c for c in COMPARABILITY_ATTRIBUTES if c not in pooling.columns]
    if not missing:
        return pooling
    pooling = pooling.copy()
    timepoints = evidence.set_index("evidence_id")["timepoint"]
    for column in missing:
        pooling[column] = (pooling["evidence_id"].map(timepoints).fillna(NOT_REPORTED) if column == "timepoint"
                           else NOT_REPORTED)
    return pooling


def pooled_analyses(tables: dict[str, pd.DataFrame], audited: pd.DataFrame,
                    estimator: str = "PM", alpha: float = 0.05, ci_method: str = "beta") -> list[dict]:
    """Every analysis of pooling.csv: its estimates and, if they are comparable, the pooled result.

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        The validated data package (``evidence`` and ``pooling`` are used).
    audited : pandas.DataFrame
        The audit of the evidence rows (their events, or the counts that reproduce a percentage).
    estimator : {"PM", "DL"}, optional
        Between-study variance estimator of :func:`rtxreview.meta_analysis.pool_proportions`.
    alpha : float, optional
        1 - confidence level of every interval.
    ci_method : str, optional
        Method of the studies' own intervals (:func:`rtxreview.intervals.confidence_interval`).

    Returns
    -------
    list of dict
        One per analysis, in file order, with ``analysis_id, title, disease, outcome, estimator,
        k, rows`` (the estimates with ``definition, timepoint, analysis_set`` and ``weight``, NaN
        when not pooled), ``comparable`` (bool), ``comparability`` (the problems found by
        :func:`comparability`), ``not_pooled_reason`` (their texts joined by "; ", empty when
        pooled; ``reason`` is the same text), ``timepoint_rule`` and ``pooled``: None when not pooled,
        else a dict of ``label, method, ci_method, estimate, ci_low, ci_high`` (Hartung-Knapp),
        ``hk_ci`` (the same pair), ``z_ci`` (normal-based pair), ``prediction_interval`` (pair
        or None), ``prediction_interval_reason``, ``pi_low, pi_high``, ``q, q_df, q_p, i2, tau2,
        k, note``.

    Raises
    ------
    PoolingError
        If a row's time point is not its evidence row's, or names an earlier visit than the
        latest its study reports (the time-point rule).
    """
    results = []
    earlier = any(c not in tables["pooling"].columns for c in COMPARABILITY_ATTRIBUTES)
    pooling, evidence = _with_comparability_columns(tables["pooling"], tables["evidence"]), tables["evidence"]
    by_id = _ById(audited, evidence, pooling["evidence_id"].tolist())
    sources = evidence.set_index("evidence_id").loc[pooling["evidence_id"].unique(), ["timepoint", *_SERIES]]
    sources = {eid: dict(zip(sources.columns, values)) for eid, values in zip(sources.index, sources.itertuples(index=False))}
    latest = _latest_visits(evidence, pooling["evidence_id"])
    for position, row in enumerate([] if earlier else pooling.to_dict("records")):
        _check_declared_row(position + 2, row, sources[row["evidence_id"]], latest)  # line 1 is the header
    for analysis_id, members in pooling.groupby("analysis_id", sort=False):
        rows = _estimates(by_id, members["evidence_id"].to_list(), members["label"].to_list(), alpha=alpha,
                          ci_method=ci_method)
        rows["note"] = members["note"].fillna("").to_list()
        for column in COMPARABILITY_ATTRIBUTES:
            rows[column] = members[column].to_list()
        first = members.iloc[0]
        result = dict(analysis_id=analysis_id, title=first["title"], disease=first["disease"],
                      outcome=first["outcome"], estimator=estimator, k=len(rows), timepoint_rule=TIMEPOINT_RULE)
        problems = comparability(rows)
        if problems:
            reason = "; ".join(problem["text"] for problem in problems)
            rows["weight"] = float("nan")
            results.append(dict(result, rows=rows, comparable=False, comparability=problems, pooled=None,
                                not_pooled_reason=reason, reason=reason))
            continue
        pooled = pool_proportions(rows["events"].to_numpy(), rows["total"].to_numpy(), estimator=estimator, alpha=alpha)
        rows["weight"] = pooled.weights
        results.append(dict(result, rows=rows, comparable=True, comparability=[], not_pooled_reason="", reason="",
                            pooled=_pooled_fields(pooled, estimator)))
    return results


def _pooled_fields(pooled, estimator: str) -> dict:
    """The chapters' view of a :class:`~rtxreview.meta_analysis.PooledProportion`."""
    prediction = None if pooled.pi_low is None else (pooled.pi_low, pooled.pi_high)
    return dict(
        label=f"Pooled ({ESTIMATORS[estimator]}, random effects, logit)", method=pooled.method,
        ci_method=pooled.ci_method, estimate=pooled.estimate, ci_low=pooled.ci_low, ci_high=pooled.ci_high,
        hk_ci=(pooled.ci_low, pooled.ci_high), z_ci=(pooled.z_ci_low, pooled.z_ci_high),
        prediction_interval=prediction, prediction_interval_reason=pooled.pi_reason,
        pi_low=pooled.pi_low, pi_high=pooled.pi_high, q=pooled.q, q_df=pooled.q_df, q_p=pooled.q_pvalue,
        i2=pooled.i2, tau2=pooled.tau2, k=pooled.k, note=pooled.note)


def pooled_summary(results: list[dict]) -> list[dict]:
    """The JSON/CSV form of ``pooled_analyses`` (the ``pool`` command)."""
    summary = []
    for result in results:
        pooled = result["pooled"] or {}
        summary.append({
            "analysis_id": result["analysis_id"], "disease": result["disease"], "outcome": result["outcome"],
            "pooled": result["pooled"] is not None, "not_pooled_reason": result["not_pooled_reason"],
            "method": pooled.get("method", ""), "estimator": result["estimator"],
            "ci_method": pooled.get("ci_method", ""),
            "studies": [{"study_id": r.study, "evidence_id": r.evidence_id, "events": int(r.events),
                         "total": int(r.total), "definition": r.definition, "timepoint": r.timepoint,
                         "analysis_set": r.analysis_set} for r in result["rows"].itertuples()],
            "estimate": pooled.get("estimate"), "ci_low": pooled.get("ci_low"), "ci_high": pooled.get("ci_high"),
            "pi_low": pooled.get("pi_low"), "pi_high": pooled.get("pi_high"),
            "q": pooled.get("q"), "q_df": pooled.get("q_df"), "q_p": pooled.get("q_p"),
            "tau2": pooled.get("tau2"), "i2": pooled.get("i2"), "note": pooled.get("note", result["reason"]),
        })
    return summary
