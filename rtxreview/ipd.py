"""Per-patient re-derivation: response categories from the printed platelet counts.

The low-dose SLE-ITP study prints each patient's platelet count at months 0, 1, 3, 6
and 12 and defines response as for primary ITP: complete response (CR) above 100 x10^9/L; partial
response (PR) from 30 to 100 x10^9/L with at least a doubling of the baseline count; otherwise no
response (NR). Analysis is by intention to treat, so a patient without a count (the one who
withdrew) counts as NR. Overall response (OR) is CR or PR.
"""

from __future__ import annotations

import pandas as pd

MONTHS = (1, 3, 6, 12)
CR_ABOVE = 100
PR_FROM, PR_TO = 30, 100
NOT_MEASURED = "/"
CATEGORIES = ("CR", "PR", "NR")


def parse_patients(spec: str) -> list[int]:
    """``"1-7"`` -> [1, ..., 7]; ``"1,3,5-6"`` -> [1, 3, 5, 6]."""
    patients: list[int] = []
    for part in str(spec).split(","):
        first, _, last = part.partition("-")
        patients += list(range(int(first), int(last or first) + 1))
    return patients


def measure_values(patients: pd.DataFrame, study_id: str, measure: str, which: list[int]) -> list[str]:
    """Printed values of one measure for the given patients, in patient order ('/' kept)."""
    rows = patients[(patients["study_id"] == study_id) & (patients["measure"] == measure)]
    by_patient = dict(zip(rows["patient"].astype(int), rows["value"]))
    missing = [p for p in which if p not in by_patient]
    if missing:
        raise KeyError(f"{study_id}: no {measure} for patient(s) {missing}")
    return [by_patient[p] for p in which]


def platelet_table(patients: pd.DataFrame, study_id: str) -> pd.DataFrame:
    """Wide table: one row per patient, one nullable integer column per month (0, 1, 3, 6, 12)."""
    rows = patients[(patients["study_id"] == study_id) & patients["measure"].str.startswith("platelets_month_")]
    wide = rows.assign(month=rows["measure"].str.removeprefix("platelets_month_").astype(int),
                       count=rows["value"].where(rows["value"] != NOT_MEASURED))
    table = wide.pivot(index="patient", columns="month", values="count").astype("Int64")
    return table.reindex(columns=[0, *MONTHS])


def classify(baseline: pd.Series, count: pd.Series) -> pd.Series:
    """Response category per patient; a missing count is NR (intention to treat)."""
    complete = count > CR_ABOVE
    partial = count.between(PR_FROM, PR_TO) & (count >= 2 * baseline)
    category = pd.Series("NR", index=count.index, dtype="string")
    category[partial.fillna(False).astype(bool)] = "PR"
    category[complete.fillna(False).astype(bool)] = "CR"
    return category


def responses(patients: pd.DataFrame, study_id: str) -> pd.DataFrame:
    """Long table ``patient, month, platelets, response`` for every patient and follow-up month."""
    table = platelet_table(patients, study_id)
    frames = [pd.DataFrame({"patient": table.index, "month": month, "platelets": table[month].to_numpy(),
                            "response": classify(table[0], table[month]).to_numpy()})
              for month in MONTHS]
    return pd.concat(frames, ignore_index=True).astype({"patient": int, "month": int})


def studies_with_table(patients: pd.DataFrame) -> list[str]:
    """The studies that print a per-patient platelet table, in file order."""
    return list(dict.fromkeys(patients.loc[patients["measure"].str.startswith("platelets_month_"), "study_id"]))


def all_responses(patients: pd.DataFrame) -> pd.DataFrame:
    """:func:`responses` of every study with a per-patient platelet table, with a ``study_id`` column."""
    frames = [responses(patients, study).assign(study_id=study) for study in studies_with_table(patients)]
    columns = ["study_id", "patient", "month", "platelets", "response"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def response_counts(long: pd.DataFrame) -> pd.DataFrame:
    """Patients per category and month, with OR = CR + PR and n = all patients (ITT)."""
    counts = pd.crosstab(long["month"], long["response"]).reindex(columns=list(CATEGORIES), fill_value=0)
    counts["OR"] = counts["CR"] + counts["PR"]
    counts["n"] = long.groupby("month")["patient"].nunique()
    return counts


def responders(patients: pd.DataFrame, study_id: str, which: list[int], month: int, category: str) -> int:
    """Number of the given patients in ``category`` (CR, PR, NR or OR) at ``month``."""
    long = responses(patients, study_id)
    at_month = long[(long["month"] == month) & long["patient"].isin(which)]
    wanted = {"CR", "PR"} if category == "OR" else {category}
    return int(at_month["response"].isin(wanted).sum())
