"""The review: the validated data package with its audit, arithmetic checks, pooled analyses and
GRADE ratings, computed once per data version (``rtxreview.cache``). Every chapter's first cell
calls :func:`load_review`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from rtxreview import digest, ipd
from rtxreview.audit import audit, implausible_magnitudes
from rtxreview.cache import cache_dir, load_or_compute
from rtxreview.checks import run_checks
from rtxreview.pooling import estimates, pooled_analyses
from rtxreview.tables import printed_value
from rtxreview.validate import DESCRIPTOR, validate_package


def find_data_dir(data_dir: str | Path | None = None) -> Path:
    """``data_dir`` as given, or the nearest ``data/`` with a datapackage.json from here upwards.

    Chapters run from ``book/`` (Jupyter Book, nbval) and from the repository root (papermill);
    both find the same data without a path typed into the notebook.
    """
    if data_dir is not None:
        return Path(data_dir)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / DESCRIPTOR).is_file():
            return folder / "data"
    raise FileNotFoundError(f"no data/{DESCRIPTOR} in {here} or its parents; pass data_dir")


@dataclass
class Review:
    """The validated data package with its audit, checks and pooled analyses."""

    data_dir: Path
    ci_method: str = "beta"
    estimator: str = "PM"
    tables: dict[str, pd.DataFrame] = field(init=False)

    def __post_init__(self):
        from rtxreview import appraisal  # what the appraisal tables' schemas cannot say
        self.tables = validate_package(self.data_dir)
        appraisal.check(self.tables, self.data_dir)

    @cached_property
    def audit(self) -> pd.DataFrame:
        return audit(self.tables)

    @cached_property
    def checks(self) -> pd.DataFrame:
        return run_checks(self.tables)

    @cached_property
    def pooled(self) -> dict[str, dict]:
        return {result["analysis_id"]: result for result in
                pooled_analyses(self.tables, self.audit, estimator=self.estimator, ci_method=self.ci_method)}

    @cached_property
    def rows(self) -> pd.DataFrame:
        """Evidence joined with its audit and the study's label, in file order."""
        audit_columns = ["evidence_id", "recomputed", "verdict", "rounding", "compatible", "explanation",
                         "source_document"]
        labels = self.tables["studies"][["study_id", "short_label"]]
        rows = (self.tables["evidence"].merge(self.audit[audit_columns], on="evidence_id")
                .merge(labels, on="study_id"))
        implausible = implausible_magnitudes(self.tables).set_index("evidence_id")["explanation"]
        return rows.assign(implausible=rows["evidence_id"].map(implausible).fillna(""))

    def select(self, *, diseases=None, studies=None, contexts=None, outcomes=None, statistics=None) -> pd.DataFrame:
        """Rows matching every given filter (each a collection of allowed values)."""
        rows = self.rows
        for column, allowed in (("disease", diseases), ("study_id", studies), ("context", contexts),
                                ("outcome", outcomes), ("statistic", statistics)):
            if allowed is not None:
                rows = rows[rows[column].isin(list(allowed))]
        return rows

    def study(self, study_id: str) -> pd.Series:
        """One source's row of studies.csv."""
        return self._studies_by_id.loc[study_id]

    def study_label(self, study_id: str) -> str:
        return self._studies_by_id.at[study_id, "short_label"]

    def estimates(self, evidence_ids: list[str], labels: list[str] | None = None) -> pd.DataFrame:
        return estimates(self.audit, self.tables["evidence"], evidence_ids, labels, ci_method=self.ci_method)

    # Indexed once: a chapter looks up dozens of rows by id, and a checks table a study per row.
    @cached_property
    def _studies_by_id(self) -> pd.DataFrame:
        return self.tables["studies"].set_index("study_id")

    @cached_property
    def _checks_by_id(self) -> pd.DataFrame:
        return self.checks.set_index("check_id")

    @cached_property
    def _rows_by_id(self) -> pd.DataFrame:
        return self.rows.set_index("evidence_id")

    def check(self, check_id: str) -> pd.Series:
        """One arithmetic check with its expected and observed totals."""
        return self._checks_by_id.loc[check_id].rename(check_id)

    def row(self, evidence_id: str) -> pd.Series:
        return self._rows_by_id.loc[evidence_id].rename(evidence_id)

    def printed(self, evidence_id: str) -> str:
        """A number as the source prints it, with its unit ('75.4%', '67 patients')."""
        return printed_value(self.row(evidence_id))

    def count(self, evidence_id: str) -> int:
        """The whole count of a count row or of a percent row printed with its count."""
        return int(self.row(evidence_id)["numerator"])

    def responses(self, study_id: str) -> pd.DataFrame:
        """The study's patients classified at every visit (a copy: a chapter draws it several times)."""
        if study_id not in self._responses:
            self._responses[study_id] = ipd.responses(self.tables["patients"], study_id)
        return self._responses[study_id].copy()

    @cached_property
    def _responses(self) -> dict[str, pd.DataFrame]:
        return {}


def _computed_review(data_dir: Path, ci_method: str, estimator: str, ratings: bool = True) -> Review:
    """The review with its audit, checks, pooled analyses and lookups computed (what a cache keeps)."""
    from rtxreview import certainty
    review = Review(data_dir, ci_method=ci_method, estimator=estimator)
    for name in ("rows", "checks", "pooled", "_rows_by_id", "_checks_by_id", "_studies_by_id"):
        getattr(review, name)
    if ratings:  # the GRADE ratings, kept with a cached review: every disease chapter shows them
        certainty.findings(review)
    return review


def load_review(data_dir: str | Path | None = None, ci_method: str = "beta", estimator: str = "PM") -> Review:
    """Validate and audit the data package (the first cell of every chapter).

    Validation, audit, checks and pooling depend only on the data files, this package's modules,
    the installed libraries and the options. A review computed from the same inputs (the same
    SHA-256 of all of them) is read back from the cache (``rtxreview.cache``) instead of being
    computed again: after ``make book``, a re-run chapter reads the review the build validated.
    Any change to those inputs validates the data again, and so does a kernel whose modules or
    libraries changed on disk after it imported them.
    """
    folder = find_data_dir(data_dir)

    def key() -> str | None:
        if not digest.unchanged_since_import():
            return None
        return digest.sha256("review", ci_method, estimator, str(folder.resolve()), digest.PACKAGE_SHA256,
                             digest.DISTRIBUTIONS, digest.files_sha256(folder))

    # Uncached (RTXREVIEW_CACHE=off), a chapter rates the findings only if it shows them.
    return load_or_compute(key, lambda: _computed_review(folder, ci_method, estimator,
                                                         ratings=cache_dir() is not None))
