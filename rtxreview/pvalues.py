"""
Printed p-value claims for a 2x2 table.

* :func:`parse_p_claim` -- read a claim as printed ("p<0.01", "p = 0.04", "n.s.").
* :func:`check_p_claim`, :func:`check_p_claims` -- does the claim hold when the 2x2 table it
  summarises is re-tested with Fisher's exact test and Pearson's chi-square test (with and
  without Yates' correction)? A claim that holds under one test and not another is
  "test dependent".
* :func:`two_by_two_p_values` -- the three p-values for many tables at once.

References
----------
Fisher, R. A. (1922). On the interpretation of chi-square from contingency tables, and the
calculation of P. Journal of the Royal Statistical Society, 85(1), 87-94.

Yates, F. (1934). Contingency tables involving small numbers and the chi-square test.
Supplement to the Journal of the Royal Statistical Society, 1(2), 217-235.

Agresti, A. (2013). Categorical Data Analysis (3rd ed.), section 3.5. Wiley.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import special
from scipy import stats as sps

from rtxreview import rounding
from rtxreview.intervals import _as_counts

__all__ = ['PClaimCheck', 'parse_p_claim', 'claim_holds', 'check_p_claim', 'check_p_claims', 'two_by_two_p_values']


# ---------------------------------------------------------------------------
# Printed p-value claims for a 2x2 table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PClaimCheck:
    """
    Result of re-testing a printed p-value claim on a 2x2 table.

    Attributes
    ----------
    claim : str
        The claim as printed, e.g. ``"p<0.01"``.
    relation : str
        Parsed relation: ``"<"``, ``"<="``, ``"="``, ``">="``, ``">"`` or
        ``"n.s."`` (not significant, read as p >= 0.05).
    threshold : float or None
        Parsed number; None for ``"n.s."``.
    fisher_p : float
        Two-sided Fisher's exact test p-value.
    chi2_p, chi2_yates_p : float
        Pearson chi-square p-value without and with Yates' continuity
        correction (NaN when a margin of the table is zero).
    fisher_holds, chi2_holds : bool
        Whether the claim is true for Fisher's test, and for the chi-square
        test (with or without Yates' correction, as papers use either).
    verdict : str
        ``"consistent"`` if both hold, ``"test_dependent"`` if one holds,
        ``"inconsistent"`` if neither.
    explanation : str
        Plain-English summary.
    """

    claim: str
    relation: str
    threshold: float | None
    fisher_p: float
    chi2_p: float
    chi2_yates_p: float
    fisher_holds: bool
    chi2_holds: bool
    verdict: str
    explanation: str


_NOT_SIGNIFICANT = re.compile(r"^n\.?\s*s\.?$")
_RELATIONS = {
    "<": "<",
    "<=": "<=",
    "\u2264": "<=",
    "=": "=",
    ":": "=",
    ">=": ">=",
    "\u2265": ">=",
    ">": ">",
}
_P_CLAIM = re.compile(
    r"""^\s*
    (?:p(?:[\s-]*value)?)?\s*                    # optional "p" or "p-value"
    (?P<relation><=|>=|\u2264|\u2265|<|>|=|:)?\s*
    (?P<rest>.*?)\s*$""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)?|\.\d+)$")


def parse_p_claim(claim: str) -> tuple[str, float | None]:
    """
    Parse a printed p-value claim.

    Parameters
    ----------
    claim : str
        Text as printed, e.g. ``"p<0.01"``, ``"p < 0.05"``, ``"p<.001"``,
        ``"p = 0.34"``, ``"p:n.s"``, ``"n.s."``, ``"NS"``, ``"p \u2264 0.05"``.

    Returns
    -------
    relation : str
        ``"<"``, ``"<="``, ``"="``, ``">="``, ``">"`` or ``"n.s."``. A colon
        is read as ``"="``.
    threshold : float or None
        The printed number, None for ``"n.s."``.

    Raises
    ------
    ValueError
        If the text is not a recognisable claim or the number is not a
        probability.
    """
    if not isinstance(claim, str):
        raise ValueError(f"p-value claim must be text, not {type(claim).__name__}")
    text = claim.strip().lower()
    match = _P_CLAIM.match(text)
    if match is None or not match.group("rest"):
        raise ValueError(f"cannot parse p-value claim {claim!r}")
    relation_text, rest = match.group("relation"), match.group("rest")
    if _NOT_SIGNIFICANT.match(rest):
        if relation_text not in (None, "=", ":"):
            raise ValueError(f"cannot parse p-value claim {claim!r}")
        return "n.s.", None
    if relation_text is None or not _NUMBER.match(rest):
        raise ValueError(f"cannot parse p-value claim {claim!r}")
    threshold = float(rest)
    if not 0 <= threshold <= 1:
        raise ValueError(f"p-value in claim {claim!r} is not between 0 and 1")
    return _RELATIONS[relation_text], threshold


def claim_holds(p: float, relation: str, threshold: float | None, claim: str) -> bool:
    """Whether a recomputed p-value makes the parsed claim true."""
    if math.isnan(p):
        return False
    if relation == "n.s.":
        return p >= 0.05
    if relation == "<":
        return p < threshold
    if relation == "<=":
        return p <= threshold
    if relation == ">":
        return p > threshold
    if relation == ">=":
        return p >= threshold
    # "=": the printed value must be p rounded at the printed decimals.
    # p is a float from scipy, not an exact number; rounding it to 12
    # decimals first removes binary noise (e.g. 0.0449999999999999 for a
    # true 0.045) before rounding.verdict_for treats it as exact.
    printed = re.search(r"\d*\.?\d+", claim).group(0)
    if printed.startswith("."):
        printed = "0" + printed
    verdict, _ = rounding.verdict_for(Fraction(str(round(p, 12))), printed)
    return verdict in ("consistent", "rounding_variant")


def _format_p(p: float) -> str:
    """Format a p-value with two significant digits, without exponent if >= 1e-4."""
    if math.isnan(p):
        return "undefined"
    if p < 1e-4:
        return f"{p:.1e}"
    return np.format_float_positional(p, precision=2, fractional=False, trim="-")


def check_p_claim(
    claim: str, events_a: int, total_a: int, events_b: int, total_b: int
) -> PClaimCheck:
    """
    Check a printed p-value claim against the 2x2 table it summarises.

    Parameters
    ----------
    claim : str
        The claim as printed (see :func:`parse_p_claim`).
    events_a, total_a : int
        Events and patients in group A.
    events_b, total_b : int
        Events and patients in group B.

    Returns
    -------
    PClaimCheck
        Recomputed p-values, whether the claim holds for each test, and a
        verdict.

    Notes
    -----
    The table is ``[[events_a, total_a - events_a], [events_b, total_b -
    events_b]]``. Fisher's exact test is ``scipy.stats.fisher_exact``
    (two-sided); the chi-square tests are ``scipy.stats.chi2_contingency``
    with ``correction=False`` and ``correction=True`` (Yates). When a margin
    of the table is zero the chi-square statistic is undefined (0/0) and its
    p-values are NaN, as in R's ``chisq.test``.

    ``"n.s."`` is read as p >= 0.05. An ``"="`` claim holds when the
    recomputed p-value rounds to the printed value at the printed number of
    decimals, under half-up or another common rounding rule
    (:func:`rtxreview.rounding.verdict_for`). The chi-square test is said to
    hold when either the uncorrected or the Yates-corrected version makes
    the claim true, because papers use both.
    """
    relation, threshold = parse_p_claim(claim)
    (events_a, events_b), (total_a, total_b) = _as_counts(
        [events_a, events_b], [total_a, total_b]
    )
    table = np.array(
        [[events_a, total_a - events_a], [events_b, total_b - events_b]], dtype=np.int64
    )
    fisher_p = float(sps.fisher_exact(table, alternative="two-sided").pvalue)
    if np.any(table.sum(axis=0) == 0):
        chi2_p = chi2_yates_p = float("nan")
    else:
        chi2_p = float(sps.chi2_contingency(table, correction=False).pvalue)
        chi2_yates_p = float(sps.chi2_contingency(table, correction=True).pvalue)
    return _p_claim_result(claim, relation, threshold, (events_a, total_a, events_b, total_b),
                           (fisher_p, chi2_p, chi2_yates_p))


def check_p_claims(claims, events_a, totals_a, events_b, totals_b) -> list[PClaimCheck]:
    """
    :func:`check_p_claim` for many claims at once: the same results, bit for bit.

    Each claim is parsed and its counts checked in order exactly as
    :func:`check_p_claim` does (so the same error is raised for the same
    input); the p-values of all tables are then computed together by
    :func:`two_by_two_p_values`.

    Why: ``scipy.stats.fisher_exact`` and ``chi2_contingency`` cost about
    1 ms per table in argument handling, most of it outside the arithmetic;
    216 claims of a synthetic 10^5-row review took 0.73 s, 60% of its audit
    (BENCHMARKS.md). The batch computes them in a few milliseconds.
    """
    parsed, counts = [], []
    for claim, ea, ta, eb, tb in zip(claims, events_a, totals_a, events_b, totals_b, strict=True):
        parsed.append(parse_p_claim(claim))
        (ea, eb), (ta, tb) = _as_counts([ea, eb], [ta, tb])
        counts.append((int(ea), int(ta), int(eb), int(tb)))
    if not counts:
        return []
    ea, ta, eb, tb = (np.array(column, dtype=np.int64) for column in zip(*counts))
    fisher, chi2, chi2_yates = two_by_two_p_values(ea, ta, eb, tb)
    return [
        _p_claim_result(claim, relation, threshold, table_counts, (float(f), float(c), float(y)))
        for claim, (relation, threshold), table_counts, f, c, y
        in zip(claims, parsed, counts, fisher.tolist(), chi2.tolist(), chi2_yates.tolist())
    ]


def two_by_two_p_values(events_a, totals_a, events_b, totals_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Fisher (two-sided), chi-square and Yates chi-square p-values of many 2x2 tables.

    The tables are ``[[events_a, totals_a - events_a], [events_b, totals_b -
    events_b]]`` (counts already checked, totals positive). The chi-square
    p-values are NaN when a column of the table sums to zero, as in
    :func:`check_p_claim`.

    Hand-written, but only as a vectorised replay of scipy 1.17's own
    algorithms with scipy's own distribution functions, so that every
    p-value equals ``scipy.stats.fisher_exact(table).pvalue`` and
    ``scipy.stats.chi2_contingency(table, correction=...).pvalue`` bit for
    bit (``tests/test_performance.py`` compares them on every table of the
    review, a synthetic review and an exhaustive grid of small tables):

    * Fisher: the mode of the hypergeometric distribution, then the tail on
      the other side of the mode found by scipy's binary search (run here on
      all tables in lockstep), summed as scipy sums it (``cdf + sf``), with
      the same relative tolerance ``1 + 1e-14``.
    * chi-square: expected counts ``row * column / total``, Yates' correction
      ``min(0.5, |expected - observed|)`` towards the expected count, the
      four terms ``(observed - expected)**2 / expected`` added in scipy's
      order, and ``scipy.special.chdtrc(1, statistic)``.
    """
    a = np.asarray(events_a, dtype=np.int64)
    b = np.asarray(totals_a, dtype=np.int64) - a
    c = np.asarray(events_b, dtype=np.int64)
    d = np.asarray(totals_b, dtype=np.int64) - c
    return _fisher_two_sided(a, b, c, d), *_chi2_p_values(a, b, c, d)


def _fisher_two_sided(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue`` for arrays of tables (scipy 1.17)."""
    hypergeom = sps.hypergeom
    p = np.ones(len(a), dtype=np.float64)
    zero_margin = (a + c == 0) | (b + d == 0) | (a + b == 0) | (c + d == 0)  # p = 1, as scipy
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2
    live = np.flatnonzero(~zero_margin)
    if not len(live):
        return p
    a, n1, n, total = a[live], n1[live], n[live], total[live]
    mode = ((n + 1) * (n1 + 1) / (total + 2)).astype(np.int64)
    pexact = hypergeom.pmf(a, total, n1, n)
    pmode = hypergeom.pmf(mode, total, n1, n)
    epsilon = 1e-14
    gamma = 1 + epsilon
    result = np.ones(len(live), dtype=np.float64)
    decided = np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= epsilon  # p = 1
    lower = ~decided & (a < mode)
    upper = ~decided & ~(a < mode)
    if lower.any():
        i = np.flatnonzero(lower)
        plower = hypergeom.cdf(a[i], total[i], n1[i], n[i])
        at_end = hypergeom.pmf(n[i], total[i], n1[i], n[i]) > pexact[i] * gamma
        result[i[at_end]] = plower[at_end]
        j = i[~at_end]
        if len(j):
            guess = _binary_search_many(lambda x, k: -hypergeom.pmf(x, total[k], n1[k], n[k]),
                                        -pexact[j] * gamma, mode[j], n[j], j)
            result[j] = plower[~at_end] + hypergeom.sf(guess, total[j], n1[j], n[j])
    if upper.any():
        i = np.flatnonzero(upper)
        pupper = hypergeom.sf(a[i] - 1, total[i], n1[i], n[i])
        at_end = hypergeom.pmf(np.zeros(len(i), dtype=np.int64), total[i], n1[i], n[i]) > pexact[i] * gamma
        result[i[at_end]] = pupper[at_end]
        j = i[~at_end]
        if len(j):
            guess = _binary_search_many(lambda x, k: hypergeom.pmf(x, total[k], n1[k], n[k]),
                                        pexact[j] * gamma, np.zeros(len(j), dtype=np.int64), mode[j], j)
            result[j] = pupper[~at_end] + hypergeom.cdf(guess, total[j], n1[j], n[j])
    p[live] = np.minimum(result, 1.0)
    return p


def _binary_search_many(fn, target: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """scipy's ``_binary_search_for_binom_tst`` run on many searches in lockstep.

    ``fn(x, rows)`` evaluates the searched function of each row at ``x``; the result is, per
    search, the index i in [lo, hi] with fn(i) <= target < fn(i + 1), with scipy's exact steps
    (including its early return when a midpoint equals the target, or is NaN).
    """
    lo, hi = lo.astype(np.int64).copy(), hi.astype(np.int64).copy()
    found = np.full(len(lo), -1, dtype=np.int64)
    done = np.zeros(len(lo), dtype=bool)
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = lo[active] + (hi[active] - lo[active]) // 2
        value = fn(mid, rows[active])
        below = value < target[active]
        above = value > target[active]
        lo[active[below]] = mid[below] + 1
        hi[active[above]] = mid[above] - 1
        hit = ~below & ~above
        found[active[hit]] = mid[hit]
        done[active[hit]] = True
        active = active[~hit]
        active = active[lo[active] < hi[active]]
    rest = np.flatnonzero(~done)
    if len(rest):
        ends = lo[rest]
        found[rest] = np.where(fn(ends, rows[rest]) <= target[rest], ends, ends - 1)
    return found


def _chi2_p_values(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``chi2_contingency([[a, b], [c, d]], correction=False/True).pvalue`` for arrays of tables.

    NaN where a column sums to zero (the statistic is 0/0; check_p_claim does not call scipy then).
    """
    observed = np.stack([a, b, c, d], axis=1).astype(np.float64)  # row-major, as scipy ravels it
    rows = np.stack([a + b, a + b, c + d, c + d], axis=1).astype(np.float64)
    columns = np.stack([a + c, b + d, a + c, b + d], axis=1).astype(np.float64)
    total = (a + b + c + d).astype(np.float64)
    undefined = (a + c == 0) | (b + d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = rows * columns / total[:, None]
        plain = _pearson_p(observed, expected)
        diff = expected - observed
        corrected = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
        yates = _pearson_p(corrected, expected)
    plain[undefined] = np.nan
    yates[undefined] = np.nan
    return plain, yates


def _pearson_p(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    terms = (observed - expected) ** 2 / expected
    statistic = ((terms[:, 0] + terms[:, 1]) + terms[:, 2]) + terms[:, 3]  # numpy's order for 4 terms
    return special.chdtrc(1.0, statistic)


def _p_claim_result(claim: str, relation: str, threshold: float | None, counts: tuple,
                    p_values: tuple[float, float, float]) -> PClaimCheck:
    """The verdict and explanation of a claim, given its table's counts and p-values."""
    events_a, total_a, events_b, total_b = counts
    fisher_p, chi2_p, chi2_yates_p = p_values
    fisher_holds = claim_holds(fisher_p, relation, threshold, claim)
    chi2_plain_holds = claim_holds(chi2_p, relation, threshold, claim)
    chi2_yates_holds = claim_holds(chi2_yates_p, relation, threshold, claim)
    chi2_holds = chi2_plain_holds or chi2_yates_holds

    if fisher_holds and chi2_holds:
        verdict, outcome = "consistent", "holds"
    elif fisher_holds:
        verdict, outcome = "test_dependent", "holds for Fisher's exact test only"
    elif chi2_holds:
        verdict, outcome = "test_dependent", "holds for the chi-square test only"
    else:
        verdict, outcome = "inconsistent", "does not hold for either test"
    if chi2_holds and chi2_plain_holds != chi2_yates_holds:
        which = "without" if chi2_plain_holds else "with"
        outcome += f" (chi-square {which} Yates' correction)"

    explanation = (
        f"Fisher p = {_format_p(fisher_p)}, chi-square p = {_format_p(chi2_p)} "
        f"(Yates-corrected {_format_p(chi2_yates_p)}) for {events_a}/{total_a} vs "
        f"{events_b}/{total_b}: the printed {claim.strip()} {outcome}."
    )
    if relation == "n.s.":
        explanation += " n.s. is read as p >= 0.05."
    return PClaimCheck(
        claim=claim,
        relation=relation,
        threshold=threshold,
        fisher_p=fisher_p,
        chi2_p=chi2_p,
        chi2_yates_p=chi2_yates_p,
        fisher_holds=bool(fisher_holds),
        chi2_holds=bool(chi2_holds),
        verdict=verdict,
        explanation=explanation,
    )
