"""Synthetic living-review data for benchmarks: the same schema as ``data/``, at any size.

``python -m rtxreview.synthetic OUT_DIR --rows 100000 --studies 1000 --seed 1`` writes a complete
data package (``datapackage.json`` copied unchanged, and studies, evidence, patients, checks,
derivations and pooling CSVs) that ``python -m rtxreview validate OUT_DIR`` accepts. Nothing here
is real: the numbers are drawn at random (seeded, so the same arguments give the same bytes) in
the proportions of the real extraction, so that every part of the audit does work:

* statistics in the real mix (values, counts, percentages, ranges, medians, p-values, ...);
* percentages printed with their count, bare percentages (GRIM) and percentages without a
  denominator; mostly half-up consistent, some truncated (another rounding), some off by one digit;
* denominators from 1 up to 5,000 (study sizes log-normal, median about 60), stated or inferred
  (inferred ones carry a note), with 0, 1 or 2 printed decimals;
* per-patient tables for some studies, with per-patient summaries, paired t-tests and response
  re-derivations linked in ``derivations.csv``; two-by-two p-value claims between percent rows;
* arithmetic checks (parts that add up, or do not exceed, a total; a few fail on purpose);
* pooled analyses over count and percent rows of many studies.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np

from rtxreview.pooling import visit_days

DEFAULT_DESCRIPTOR = Path(__file__).resolve().parent.parent / "data" / "datapackage.json"
MAX_DENOMINATOR = 5_000
MIN_ROWS_PER_STUDY = 25   # room for the structured rows (checks, per-patient links, 2x2 claims)
MAX_ROWS_PER_STUDY = 999  # evidence ids end in three digits

# Proportions of the real extraction (data/evidence.csv), rounded. Allowed values themselves are
# read from the descriptor's enums, so the data stay valid when the descriptor changes.
STATISTIC_MIX = {"value": 0.32, "count": 0.20, "percent": 0.23, "range": 0.09, "median": 0.06, "p_value": 0.03,
                 "mean": 0.03, "sd": 0.025, "iqr": 0.005, "ci": 0.005, "correlation": 0.005}
CONTEXT_MIX = {"result": 0.40, "baseline": 0.24, "method": 0.20, "cited": 0.16}
DISEASE_MIX = {"ITP": 0.50, "AIHA": 0.12, "TTP": 0.12, "mixed cytopenias": 0.10}
OUTCOMES = ["overall response", "complete response", "partial response", "relapse", "remission",
            "durable remission", "infusion reaction", "infection", "death", "no response"]
SUBGROUPS = ["whole cohort", "responders", "first line", "relapsed", "refractory", "375 mg/m2", "low dose",
             "men", "women", "children"]
MONTHS = (1, 3, 6, 12)
EVIDENCE_COLUMNS = ["evidence_id", "study_id", "context", "disease", "subgroup", "intervention", "outcome",
                    "timepoint", "statistic", "numerator", "denominator", "denominator_source", "reported", "qualifier",
                    "unit", "quote", "location", "note"]
STUDY_COLUMNS = ["study_id", "short_label", "title", "design", "publication_type", "setting", "countries",
                 "centres", "patients_enrolled", "diseases", "regimens", "follow_up", "source_document",
                 "citation", "doi"]
PATIENT_COLUMNS = ["study_id", "patient", "measure", "value", "unit", "quote", "location"]
CHECK_COLUMNS = ["check_id", "study_id", "kind", "parts", "total", "description"]
DERIVATION_COLUMNS = ["evidence_id", "method", "measure", "patients", "month", "response", "group_a", "group_b",
                      "description"]
POOLING_COLUMNS = ["analysis_id", "evidence_id", "label", "title", "disease", "outcome", "definition",
                   "definition_source", "timepoint", "analysis_set", "note"]
SERIES = ("study_id", "disease", "subgroup", "intervention", "outcome")  # as rtxreview.pooling reads them


def half_up_percent(k: int, n: int, decimals: int) -> str:
    """``100k/n`` printed half-up at ``decimals`` places (integer arithmetic, no float)."""
    scale = 10 ** decimals
    scaled = (2 * 100 * scale * k + n) // (2 * n)
    return _scaled_text(scaled, decimals)


def truncated_percent(k: int, n: int, decimals: int) -> str:
    return _scaled_text(100 * 10 ** decimals * k // n, decimals)


def _scaled_text(scaled: int, decimals: int) -> str:
    whole, frac = divmod(scaled, 10 ** decimals)
    return f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)


def _half_up(value: Fraction | float, decimals: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    return str(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


@dataclass
class Study:
    study_id: str
    index: int
    size: int
    disease: str
    rows: list[dict] = field(default_factory=list)

    def add(self, **values) -> str:
        evidence_id = f"{self.study_id}-{len(self.rows) + 1:03d}"
        row = dict.fromkeys(EVIDENCE_COLUMNS, "")
        row.update(evidence_id=evidence_id, study_id=self.study_id, intervention="rituximab",
                   location=f"Results, paragraph {len(self.rows) % 9 + 1}")
        row.update({k: "" if v is None else str(v) for k, v in values.items()})
        self.rows.append(row)
        return evidence_id


def _enum(descriptor: dict, resource: str, field_name: str) -> list:
    fields = next(r for r in descriptor["resources"] if r["name"] == resource)["schema"]["fields"]
    return list(next(f for f in fields if f["name"] == field_name)["constraints"]["enum"])


def _mix(values: list[str], weights: dict[str, float], rest: float = 0.02) -> tuple[list[str], list[float]]:
    """``values`` with probabilities from ``weights`` (``rest`` for the others), normalised."""
    raw = [weights.get(v, rest) for v in values]
    return values, [w / sum(raw) for w in raw]


class Generator:
    def __init__(self, rows: int, studies: int, seed: int, descriptor: dict):
        if not MIN_ROWS_PER_STUDY * studies <= rows <= MAX_ROWS_PER_STUDY * studies:
            raise ValueError(f"rows must be between {MIN_ROWS_PER_STUDY} and {MAX_ROWS_PER_STUDY} per study "
                             f"({MIN_ROWS_PER_STUDY * studies}..{MAX_ROWS_PER_STUDY * studies} for {studies} studies)")
        if studies > 1000:
            raise ValueError("at most 1000 studies (source_document names start with three digits)")
        self.n_rows, self.n_studies = rows, studies
        self.rng = np.random.default_rng(seed)
        self.studies: list[Study] = []
        self.patients: list[list] = []
        self.checks: list[list] = []
        self.derivations: list[dict] = []
        self.poolable: list[tuple[str, str, str]] = []  # (evidence_id, outcome, disease)
        self.statistics = _mix(_enum(descriptor, "evidence", "statistic"), STATISTIC_MIX, rest=0.0)
        self.contexts = _mix(_enum(descriptor, "evidence", "context"), CONTEXT_MIX)
        self.diseases = _mix(_enum(descriptor, "evidence", "disease"), DISEASE_MIX)
        self.designs = _enum(descriptor, "studies", "design")
        self.publication_types = _enum(descriptor, "studies", "publication_type")
        self.measures = _enum(descriptor, "patients", "measure")

    # -- helpers ------------------------------------------------------------------------------

    def choice(self, items, p=None):
        return items[int(self.rng.choice(len(items), p=p))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def integer(self, low: int, high: int) -> int:
        """A whole number in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def allocation(self) -> list[int]:
        weights = self.rng.gamma(4.0, size=self.n_studies)
        alloc = np.clip(np.floor(weights / weights.sum() * self.n_rows), MIN_ROWS_PER_STUDY, MAX_ROWS_PER_STUDY)
        alloc = alloc.astype(int)
        # Give or take the remainder one row at a time, within the bounds.
        diff = self.n_rows - int(alloc.sum())
        order = np.argsort(-alloc) if diff < 0 else np.argsort(alloc)
        i = 0
        while diff:
            j = order[i % len(order)]
            step = 1 if diff > 0 else -1
            if MIN_ROWS_PER_STUDY <= alloc[j] + step <= MAX_ROWS_PER_STUDY:
                alloc[j] += step
                diff -= step
            i += 1
        return alloc.tolist()

    def study_size(self) -> int:
        return int(min(MAX_DENOMINATOR, max(5, round(self.rng.lognormal(math.log(60), 1.2)))))

    def denominator_fields(self, n: int) -> dict:
        if self.chance(0.45):
            return dict(denominator=n, denominator_source="inferred",
                        note=f"denominator inferred: the {n} patients of this subgroup")
        return dict(denominator=n, denominator_source="stated")

    def subgroup_size(self, study: Study) -> int:
        return study.size if self.chance(0.4) else self.integer(1, study.size)

    # -- rows ---------------------------------------------------------------------------------

    def percent_row(self, study: Study, n: int | None = None, *, with_count: bool | None = None,
                    decimals: int | None = None, outcome: str | None = None) -> str:
        n = self.subgroup_size(study) if n is None else n
        k = self.integer(0, n)
        decimals = self.choice([0, 1, 2], p=[0.35, 0.55, 0.10]) if decimals is None else decimals
        roll = self.rng.random()
        printed = half_up_percent(k, n, decimals)
        if roll < 0.04:
            printed = truncated_percent(k, n, decimals)   # a rounding variant when it differs
        elif roll < 0.07:                                 # a misprint: one unit of the last digit off
            scaled = int(printed.replace(".", ""))
            scaled += 1 if scaled < 100 * 10 ** decimals else -1
            printed = _scaled_text(scaled, decimals)
        outcome = outcome or self.choice(OUTCOMES)
        with_count = self.chance(0.5) if with_count is None else with_count
        fields = self.denominator_fields(n)
        quote = (f"{outcome} in {k} of {n} patients ({printed}%)" if with_count
                 else f"{outcome} was observed in {printed}% of the {n} patients")
        return study.add(context="result", disease=study.disease, subgroup=self.choice(SUBGROUPS), outcome=outcome,
                         timepoint=f"{self.choice([3, 6, 12, 24])} months", statistic="percent",
                         numerator=k if with_count else None, reported=printed, unit="%", quote=quote, **fields)

    def count_row(self, study: Study, k: int, n: int | None, outcome: str, context: str = "result") -> str:
        fields = self.denominator_fields(n) if n is not None else {}
        return study.add(context=context, disease=study.disease, subgroup=self.choice(SUBGROUPS), outcome=outcome,
                         statistic="count", numerator=k, reported=k, unit="patients",
                         quote=f"{outcome}: {k} patients" + (f" of {n}" if n is not None else ""), **fields)

    def random_row(self, study: Study) -> None:
        statistic = self.choice(*self.statistics)
        if statistic == "percent":
            roll = self.rng.random()
            if roll < 0.17:  # a percentage whose denominator is not known
                decimals = self.choice([0, 1])
                printed = _scaled_text(self.integer(0, 100 * 10 ** decimals), decimals)
                study.add(context=self.choice(*self.contexts), disease=study.disease, outcome=self.choice(OUTCOMES),
                          statistic="percent", reported=printed, unit="%", quote=f"about {printed}% responded")
            else:
                self.percent_row(study, with_count=roll > 0.5)
            return
        if statistic == "count":
            n = self.subgroup_size(study)
            k = self.integer(0, n)
            self.count_row(study, k, n if self.chance(0.8) else None, self.choice(OUTCOMES))
            return
        context = self.choice(*self.contexts)
        n = self.subgroup_size(study) if self.chance(0.6) or statistic in ("mean", "sd") else None
        fields = self.denominator_fields(n) if n is not None else {}
        if statistic == "value":
            printed, unit, outcome = self.choice(["375", "200", "100", "1000", "<12", ">12", "4", "6"]), "mg/m2", "dose"
            fields = {}
            if printed[0] in "<>":  # a bound: its relation in 'qualifier' (rtxreview.bounds)
                printed, fields = printed[1:], {"qualifier": "less than" if printed[0] == "<" else "more than"}
        elif statistic == "range":
            low = self.integer(0, 40)
            printed, unit, outcome = f"{low}-{low + self.integer(1, 120)}", "months", "follow-up"
        elif statistic in ("median", "mean"):
            printed, unit, outcome = _half_up(float(self.rng.gamma(3, 10)), self.choice([0, 1])), "years", "age"
        elif statistic == "sd":
            printed, unit, outcome = _half_up(float(self.rng.gamma(2, 5)), 1), "years", "age"
        elif statistic == "p_value":
            printed, unit, outcome = self.choice(["p<0.05", "p<0.01", "p=0.03", "p:n.s", "p=0.21"]), "", "comparison"
        elif statistic == "iqr":
            low = self.integer(1, 30)
            printed, unit, outcome = f"{low}-{low + self.integer(1, 30)}", "months", "time to response"
        elif statistic == "ci":
            low = self.integer(10, 60)
            printed, unit, outcome = f"0.{low}-0.{low + self.integer(1, 39)}", "", "response rate"
        else:
            printed, unit, outcome = f"0.{self.integer(10, 90)}", "", "correlation of dose and response"
        study.add(context=context, disease=study.disease, outcome=outcome, statistic=statistic, reported=printed,
                  unit=unit, quote=f"the {outcome} was {printed} {unit}".strip(), **fields)

    # -- structured rows: checks, per-patient tables, 2x2 claims, pooling ------------------------

    def checked_rows(self, study: Study) -> None:
        """A cohort count split by sex (equals) and responders within their group (at_most)."""
        n = study.size
        cohort = self.count_row(study, n, None, "patients enrolled", context="baseline")
        men = self.integer(0, n)
        women = n - men if self.chance(0.97) else max(0, n - men - 1)  # a few do not add up, as in real reports
        ids = [self.count_row(study, men, n, "men", "baseline"), self.count_row(study, women, n, "women", "baseline")]
        prefix = study.study_id.replace("_", "")
        self.checks.append([f"{prefix}-{1:02d}", study.study_id, "equals", " ".join(ids), cohort,
                            "Men and women add up to the cohort"])
        responders = self.percent_row(study, n, with_count=True, outcome="overall response")
        self.poolable.append((responders, "overall response", study.disease))
        self.checks.append([f"{prefix}-{2:02d}", study.study_id, "at_most", responders, f"{responders}:denominator",
                            "Responders do not exceed the patients treated"])

    def per_patient_rows(self, study: Study) -> None:
        """A small per-patient table (the low-dose study's layout) and derivations that use it."""
        m = self.integer(6, 20)
        withdrawn = m if self.chance(0.5) else None  # the last patient withdraws after month 1
        ages, durations, platelets = [], [], {}
        for patient in range(1, m + 1):
            age, duration = self.integer(16, 70), _half_up(float(self.rng.gamma(2, 3)), self.choice([0, 1]))
            ages.append(age)
            durations.append(duration)
            base = self.integer(2, 29)
            counts = {0: base}
            for month in MONTHS:
                counts[month] = None if withdrawn == patient and month > 1 else self.integer(5, 160)
            platelets[patient] = counts
            values = dict.fromkeys(self.measures, "not reported")
            values.update({"sex": self.choice(["F", "M"]), "age": age, "disease_duration": duration,
                           "sledai": self.integer(0, 20), "manifestations": "Epistaxis, petechiae",
                           "autoantibodies": "ANA, anti-dsDNA", "previous_treatment": "IVIg, CS",
                           "adverse_events": self.choice(["None", "Infusion reaction"])})
            for month, count in counts.items():
                values[f"platelets_month_{month}"] = "/" if count is None else count
            line = " ".join(str(values[f"platelets_month_{mo}"]) for mo in (0, *MONTHS))
            for measure in self.measures:
                unit = {"age": "years", "disease_duration": "years"}.get(measure, "x10^9/L" if "platelets" in measure
                                                                       else "")
                self.patients.append([study.study_id, patient, measure, values[measure], unit,
                                      f"{patient} {values['sex']} {age} {line}", f"Table 1, patient {patient}"])
        everyone, completers = f"1-{m}", f"1-{m - 1}" if withdrawn else f"1-{m}"
        n_completers = m - 1 if withdrawn else m
        for month in MONTHS:
            k = sum(1 for p, c in platelets.items() if c[month] is not None
                    and (c[month] > 100 or (30 <= c[month] <= 100 and c[month] >= 2 * c[0])))
            eid = study.add(context="result", disease="ITP", subgroup="per-patient table", outcome="overall response",
                            timepoint=f"{month} months", statistic="percent",
                            numerator=k if self.chance(0.5) else None, denominator=m, denominator_source="stated",
                            reported=half_up_percent(k, m, 1), unit="%", quote=f"overall response {k}/{m}")
            self.derivations.append(dict(evidence_id=eid, method="per_patient_response", patients=everyone,
                                         month=month, response="OR", description=f"Overall response at {month} months"))
        exact_ages = [Fraction(a) for a in ages]
        mean_age = sum(exact_ages, Fraction(0)) / m
        summaries = [("mean", "age", everyone, m, _half_up(mean_age, 1)),
                     ("sd", "age", everyone, m, _half_up(statistics.stdev(ages), 1)),
                     ("median", "disease_duration", everyone, m,
                      _half_up(Fraction(statistics.median(Fraction(d) for d in durations)), 1)),
                     ("range", "disease_duration", everyone, m,
                      f"{min(durations, key=Decimal)}-{max(durations, key=Decimal)}"),
                     ("iqr", "age", everyone, m, "-".join(_half_up(float(q), 1) for q in np.percentile(ages, [25, 75]))),
                     ("mean", "platelets_month_0", completers, n_completers,
                      _half_up(Fraction(sum(platelets[p][0] for p in range(1, n_completers + 1)), n_completers), 1))]
        for statistic, measure, which, n, printed in summaries:
            eid = study.add(context="baseline", disease="ITP", subgroup="per-patient table", outcome=measure,
                            statistic=statistic, denominator=n, denominator_source="stated", reported=printed,
                            quote=f"{statistic} {measure} {printed}")
            self.derivations.append(dict(evidence_id=eid, method="per_patient_summary", measure=measure,
                                         patients=which, description=f"{statistic} of {measure}"))
        eid = study.add(context="result", disease="ITP", subgroup="completers", outcome="platelet count vs baseline",
                        timepoint="6 months", statistic="p_value", denominator=n_completers,
                        denominator_source="stated", reported="p<0.01", quote="(p < 0.01)")
        self.derivations.append(dict(evidence_id=eid, method="paired_t_test", measure="platelets_month_6",
                                     patients=completers, description="Platelets at 6 months vs baseline"))

    def two_by_two_rows(self, study: Study) -> None:
        a = self.percent_row(study, with_count=True, outcome="response")
        b = self.percent_row(study, with_count=True, outcome="response")
        claim = self.choice(["p<0.05", "p:n.s", "p<0.01", "p=0.04"])
        eid = study.add(context="result", disease=study.disease, subgroup="375 vs 200 mg/m2", outcome="response",
                        statistic="p_value", reported=claim, quote=f"respectively, {claim}")
        self.derivations.append(dict(evidence_id=eid, method="two_by_two", group_a=a, group_b=b,
                                     description="Response in two dose groups"))

    def pooling_rows(self) -> list[list]:
        """Analyses that pass rtxreview.pooling's rules: one visit each, every row its series' latest."""
        latest: dict[tuple, float] = {}
        rows_by_id = {}
        for study in self.studies:
            for row in study.rows:
                rows_by_id[row["evidence_id"]] = row
                days = visit_days(row["timepoint"])
                key = tuple(row[c] for c in SERIES)
                if days is not None and days > latest.get(key, -1.0):
                    latest[key] = days
        by_visit: dict[str, list[tuple[str, str]]] = {}
        for eid, outcome, disease in self.poolable:
            row = rows_by_id[eid]
            if outcome == "overall response" and visit_days(row["timepoint"]) == latest[tuple(row[c] for c in SERIES)]:
                by_visit.setdefault(row["timepoint"], []).append((eid, disease))
        visits = sorted(by_visit, key=visit_days)
        analyses = max(1, self.n_studies // 20)
        rows = []
        for a in range(analyses):
            if not visits:
                break
            visit = visits[a % len(visits)]
            chosen = by_visit[visit][a // len(visits)::-(-analyses // len(visits))][:self.integer(5, 25)]
            analysis_id = f"synthetic-{a + 1:03d}"
            for eid, disease in chosen:
                rows.append([analysis_id, eid, f"{eid}: overall response", f"Synthetic pooled analysis {a + 1}",
                             disease, "overall response", "synthetic response criteria", "", visit,
                             "intention to treat", "synthetic"])
        return rows

    # -- the package -------------------------------------------------------------------------

    def build(self) -> None:
        for i, rows in enumerate(self.allocation()):
            study = Study(f"syn_{i:04d}", i, self.study_size(), self.choice(*self.diseases))
            self.checked_rows(study)
            if self.chance(0.04):
                self.per_patient_rows(study)
            if self.chance(0.2):
                self.two_by_two_rows(study)
            while len(study.rows) < rows:
                self.random_row(study)
            assert len(study.rows) == rows, "structured rows must fit in MIN_ROWS_PER_STUDY"
            self.studies.append(study)

    def study_record(self, study: Study) -> list:
        hexid = f"{self.rng.integers(0, 2**63):016x}"[-16:]
        return [study.study_id, f"Synthetic study {study.index}, {study.size} pts", f"Synthetic report {study.index}",
                self.choice(self.designs), self.choice(self.publication_types), "", "",
                self.integer(1, 30) if self.chance(0.5) else "", study.size, study.disease, "rituximab 375 mg/m2",
                f"median {self.integer(6, 60)} months", f"{study.index:03d}_{hexid}.txt", "",
                f"10.{self.integer(1000, 99999)}/syn.{study.index}" if self.chance(0.5) else ""]

    def write(self, out_dir: Path, descriptor: Path) -> dict[str, int]:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(descriptor, out_dir / "datapackage.json")
        tables = {
            "studies": (STUDY_COLUMNS, [self.study_record(s) for s in self.studies]),
            "evidence": (EVIDENCE_COLUMNS, [[r[c] for c in EVIDENCE_COLUMNS] for s in self.studies for r in s.rows]),
            "patients": (PATIENT_COLUMNS, self.patients),
            "checks": (CHECK_COLUMNS, self.checks),
            "derivations": (DERIVATION_COLUMNS, [[d.get(c, "") for c in DERIVATION_COLUMNS]
                                                 for d in self.derivations]),
            "pooling": (POOLING_COLUMNS, self.pooling_rows()),
        }
        tables.update(self.other_tables(descriptor, tables["evidence"]))
        for name, (header, rows) in tables.items():
            with (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
        return {name: len(rows) for name, (_, rows) in tables.items()}


def _other_tables(self, descriptor: Path, evidence: tuple) -> dict[str, tuple]:
    """The outcome vocabulary of the generated rows (topics from the real vocabulary beside the
    descriptor, 'other' for a label it lacks), and every other resource with its header only."""
    header, rows = evidence
    used = sorted({row[header.index("outcome")] for row in rows})
    known_path = descriptor.parent / "outcomes.csv"
    known = {}
    if known_path.is_file():
        with known_path.open(encoding="utf-8") as fh:
            known = {r["outcome"]: (r["topic"], r["importance"]) for r in csv.DictReader(fh)}
    tables = {"outcomes": (["outcome", "topic", "importance"],
                           [[o, *known.get(o, ("other", "limited"))] for o in used])}
    for resource in json.loads(descriptor.read_text(encoding="utf-8"))["resources"]:
        if resource["name"] not in ("studies", "evidence", "patients", "checks", "derivations", "pooling", "outcomes"):
            tables[resource["name"]] = ([f["name"] for f in resource["schema"]["fields"]], [])
    return tables


Generator.other_tables = _other_tables


def generate(out_dir: str | Path, rows: int = 100_000, studies: int = 1_000, seed: int = 1,
             descriptor: str | Path = DEFAULT_DESCRIPTOR) -> dict[str, int]:
    """Write a synthetic data package into ``out_dir``; return the number of rows of each table."""
    generator = Generator(rows, studies, seed, json.loads(Path(descriptor).read_text(encoding="utf-8")))
    generator.build()
    return generator.write(Path(out_dir), Path(descriptor))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtxreview.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=100_000, help="evidence rows (default 100000)")
    parser.add_argument("--studies", type=int, default=1_000, help="studies (default 1000, at most 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--descriptor", type=Path, default=DEFAULT_DESCRIPTOR,
                        help="datapackage.json to copy (default: the review's)")
    args = parser.parse_args(argv)
    counts = generate(args.out_dir, args.rows, args.studies, args.seed, args.descriptor)
    print(f"{args.out_dir}: " + ", ".join(f"{name} {n} rows" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
