"""Denominators a source does not print but its own numbers fix.

A series may print complete response per disease group only as percentages, but print
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

def fitting_counts(reported: str, max_size: int) -> list[tuple[int, int]]:
    """Every (count, group size) with size 1..max_size whose percentage prints as ``reported`` (half up)."""
    return [(k, n) for n in range(1, max_size + 1) for k in compatible_numerators(reported, n)]


def consistent_splits(fits: dict[str, list[tuple[int, int]]], total: int, events: int) -> list[dict]:
    """Every choice of one (count, size) per group whose sizes add up to ``total`` and counts to ``events``."""
    groups = list(fits)
    return [dict(zip(groups, choice)) for choice in product(*fits.values())
            if sum(n for _, n in choice) == total and sum(k for k, _ in choice) == events]


def series_split(review, groups: dict[str, tuple[str, list[str], str]], complete_row: str) -> pd.DataFrame:
    """A series by disease group: what is printed and what the search infers.

    ``groups`` maps a group name to (its complete-response percent row, the rows counting its
    enrolled patients, its relapse row whose denominator is responders); ``complete_row`` is the
    series' complete responses of its evaluable patients. The rows are named by the commentary
    that shows the reconstruction (``book/commentary``), never here.

    Columns: printed (complete-response %), enrolled, fits (every (count, size) that prints so),
    complete and evaluable (the unique consistent split), not_evaluable, responders (the printed
    relapse denominator), partial (responders minus complete), relapses. ``attrs["splits"]`` holds
    how many splits were consistent; the rest of the frame is meaningful only when it is one.
    """
    fits, rows = {}, {}
    for group, (cr_row, enrolled_rows, relapse_row) in groups.items():
        enrolled = sum(review.count(e) for e in enrolled_rows)
        fits[group] = fitting_counts(review.row(cr_row).reported, enrolled)
        relapse = review.row(relapse_row)
        rows[group] = dict(printed=review.row(cr_row).reported, enrolled=enrolled, fits=fits[group],
                           responders=int(relapse["denominator"]), relapses=int(relapse["numerator"]))
    complete = review.row(complete_row)
    splits = consistent_splits(fits, int(complete["denominator"]), int(complete["numerator"]))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if len(splits) == 1:
        frame["complete"] = [splits[0][g][0] for g in frame.index]
        frame["evaluable"] = [splits[0][g][1] for g in frame.index]
        frame["not_evaluable"] = frame["enrolled"] - frame["evaluable"]
        frame["partial"] = frame["responders"] - frame["complete"]
    frame.attrs["splits"] = len(splits)
    return frame
