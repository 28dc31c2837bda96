"""The reconstruction of the 147-patient series' groups, checked by hand and against the data."""

import pytest

from conftest import DATA_DIR
from rtxreview.reconstruct import consistent_splits, fitting_counts, series_split
from rtxreview.report import load_review


def test_fitting_counts_by_hand():
    # 75.4% of at most 67: 43/57 = 75.44, 46/61 = 75.41, 49/65 = 75.38 (52/69 needs more than 67)
    assert fitting_counts("75.4", 67) == [(43, 57), (46, 61), (49, 65)]
    # 64.5% of at most 31: only 20/31 = 64.52 (11/17 = 64.71, 9/14 = 64.29)
    assert fitting_counts("64.5", 31) == [(20, 31)]


def test_consistent_splits_need_both_totals():
    fits = {"a": [(1, 2), (2, 4)], "b": [(3, 5), (6, 10)]}
    # sizes 4 + 10 = 14 and 2 + 10 = 12; counts 2 + 6 = 8 and 1 + 6 = 7
    assert consistent_splits(fits, total=14, events=8) == [{"a": (2, 4), "b": (6, 10)}]
    assert consistent_splits(fits, total=12, events=8) == []


@pytest.fixture(scope="module")
def split():
    # The 147-patient series' groups, as its reconstruction commentary declares them.
    row = "retro_series_147-{:03d}".format
    groups = {"AIHA": (row(43), [row(2)], row(58)), "ITP": (row(44), [row(3)], row(59)),
              "TTP": (row(45), [row(4)], row(60)), "other diseases": (row(46), [row(i) for i in (5, 6, 7, 8)], row(61))}
    return series_split(load_review(DATA_DIR), groups, row(40))


def test_one_split_and_it_is_the_one_in_the_data(split):
    assert split.attrs["splits"] == 1
    # AIHA 20/31, ITP 46/61, TTP 23/31, other 13/17 (found by hand search too)
    assert split[["complete", "evaluable"]].to_dict("index") == {
        "AIHA": {"complete": 20, "evaluable": 31}, "ITP": {"complete": 46, "evaluable": 61},
        "TTP": {"complete": 23, "evaluable": 31}, "other diseases": {"complete": 13, "evaluable": 17}}
    review = load_review(DATA_DIR)
    for row in ("retro_series_147-043", "retro_series_147-044", "retro_series_147-045", "retro_series_147-046"):
        assert review.row(row)["denominator_source"] == "inferred"
    assert [int(review.row(r)["denominator"]) for r in ("retro_series_147-043", "retro_series_147-044",
                                                        "retro_series_147-045", "retro_series_147-046")] == [31, 61, 31, 17]


def test_implied_partial_responders(split):
    # (26 - 20) + (53 - 46) + (25 - 23) = 6 + 7 + 2 = 15, the printed partial responses
    assert int(split.loc[["AIHA", "ITP", "TTP"], "partial"].sum()) == 15
    assert split.loc["ITP", "not_evaluable"] == 6 and split.loc["TTP", "not_evaluable"] == 1
