"""Denominators a source does not print but its own numbers fix.

The 147-patient series prints complete response per disease group only as percentages, but it prints
the totals (evaluable patients, complete and partial responses) and the relapse denominators per
group. Searching every group size up to the patients enrolled in each group, and keeping the splits
whose sizes add up to the evaluable patients and whose counts add up to the complete responses,
leaves one split. This module does that search (hand-written: it is specific to this kind of
reconstruction) so that every chapter uses the same result.
"""

from __future__ import annotations

from itertools import product

import pandas as pd

from rtxreview.percent import compatible_numerators

# group: (complete-response percent row, rows of patients enrolled, relapse row whose denominator is responders)
MIXED_SERIES_GROUPS = {
    "AIHA": ("retro_series_147-043", ["retro_series_147-002"], "retro_series_147-058"),
    "ITP": ("retro_series_147-044", ["retro_series_147-003"], "retro_series_147-059"),
    "TTP": ("retro_series_147-045", ["retro_series_147-004"], "retro_series_147-060"),
    "other diseases": ("retro_series_147-046", [f"retro_series_147-00{i}" for i in (5, 6, 7, 8)],
                       "retro_series_147-061"),
}
COMPLETE_ROW = "retro_series_147-040"   # complete responses, of the evaluable patients
PARTIAL_ROW = "retro_series_147-041"    # partial responses


def fitting_counts(reported: str, max_size: int) -> list[tuple[int, int]]:
    """Every (count, group size) with size 1..max_size whose percentage prints as ``reported`` (half up)."""
    return [(k, n) for n in range(1, max_size + 1) for k in compatible_numerators(reported, n)]


def consistent_splits(fits: dict[str, list[tuple[int, int]]], total: int, events: int) -> list[dict]:
    """Every choice of one (count, size) per group whose sizes add up to ``total`` and counts to ``events``."""
    groups = list(fits)
    return [dict(zip(groups, choice)) for choice in product(*fits.values())
            if sum(n for _, n in choice) == total and sum(k for k, _ in choice) == events]


def mixed_series_split(review) -> pd.DataFrame:
    """The 147-patient series by disease group: what is printed and what the search infers.

    Columns: printed (complete-response %), enrolled, fits (every (count, size) that prints so),
    complete and evaluable (the unique consistent split), not_evaluable, responders (the printed
    relapse denominator), partial (responders minus complete), relapses. ``attrs["splits"]`` holds
    how many splits were consistent; the rest of the frame is meaningful only when it is one.
    """
    fits, rows = {}, {}
    for group, (cr_row, enrolled_rows, relapse_row) in MIXED_SERIES_GROUPS.items():
        enrolled = sum(review.count(e) for e in enrolled_rows)
        fits[group] = fitting_counts(review.row(cr_row).reported, enrolled)
        relapse = review.row(relapse_row)
        rows[group] = dict(printed=review.row(cr_row).reported, enrolled=enrolled, fits=fits[group],
                           responders=int(relapse["denominator"]), relapses=int(relapse["numerator"]))
    complete = review.row(COMPLETE_ROW)
    splits = consistent_splits(fits, int(complete["denominator"]), int(complete["numerator"]))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if len(splits) == 1:
        frame["complete"] = [splits[0][g][0] for g in frame.index]
        frame["evaluable"] = [splits[0][g][1] for g in frame.index]
        frame["not_evaluable"] = frame["enrolled"] - frame["evaluable"]
        frame["partial"] = frame["responders"] - frame["complete"]
    frame.attrs["splits"] = len(splits)
    return frame
