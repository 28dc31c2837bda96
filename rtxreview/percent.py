"""Percentages recomputed from counts, exactly and in bulk.

A paper prints a percentage ``p`` with ``d`` decimals for ``k`` events out of
``n``.  The audit asks whether ``100 * k / n`` prints as ``p``.  When the
numerator is not printed it asks the GRIM question instead: is there *any*
whole ``k`` in ``0..n`` that prints as ``p``?

Exact integer formulation
-------------------------
Write the printed value as an integer ``V = p * 10**d`` and let
``S = 100 * 10**d``, so that ``100 * k / n`` at the printed scale is
``t = S * k / n``.  Each rounding rule maps ``t`` to ``V`` on an interval,
which becomes a pair of integer inequalities in ``k`` (``k >= 0`` so
"away from zero" and "toward zero" mean up and down):

=============  =========================================================
``half_up``    ``n(2V-1) <= 2Sk <  n(2V+1)``
``half_even``  same ends, both closed if ``V`` is even, both open if odd
``truncate``   ``nV      <=  Sk <  n(V+1)``
``ceiling``    ``n(V-1)  <   Sk <= nV``
=============  =========================================================

Dividing through by ``2S`` (or ``S``) with floor/ceiling division gives the
smallest and largest whole ``k`` for every row at once in int64 numpy
arithmetic (``_rule_bounds``).  That single function decides every verdict:
the scalar :func:`audit_percent`, the batch :func:`audit_percent_frame`,
:func:`compatible_numerators` and :func:`nearest_denominators` all call it,
so they cannot disagree.  No float is ever rounded.

Verdicts
--------
``consistent``
    Half-up rounding reproduces the printed value (for an unknown
    numerator: some whole ``k`` does, listed in ``compatible``).
``rounding_variant``
    Numerator known; only another rule (half-even, truncation, ceiling)
    reproduces it.
``inconsistent``
    No rule reproduces it (numerator known), or no whole ``k`` does under
    half-up (numerator unknown).
``not_reported``
    Counts given but no percentage printed; we compute it to one decimal.
``not_checkable``
    No denominator known (or nothing to check).

With an unknown numerator only half-up is tested: admitting all four rules
at once would double the window of accepted values (from one unit of the
last digit to two) and make the GRIM test much weaker.  The explanation
still says when another rule would have reproduced the value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rounding import RULES, parse_reported, printed_decimals

__all__ = [
    "VERDICTS",
    "PercentAudit",
    "audit_percent",
    "audit_percent_frame",
    "compatible_numerators",
    "nearest_denominators",
    "refuse_unused_conventions",
]

VERDICTS: tuple[str, ...] = (
    "consistent",
    "rounding_variant",
    "inconsistent",
    "not_reported",
    "not_checkable",
)

_OUTPUT_COLUMNS = ("verdict", "recomputed", "rounding", "compatible", "explanation")

_RULE_WORDS = {
    "half_up": "half-up rounding",
    "half_even": "round-half-to-even (a tie goes to the even digit)",
    "truncate": "truncation (extra digits dropped)",
    "ceiling": "rounding up (ceiling)",
}

# int64 arithmetic is used when every intermediate product stays below this;
# otherwise the same code runs on Python integers in object arrays.
_INT64_SAFE = 2**62


@dataclass(frozen=True)
class PercentAudit:
    """Outcome of checking one printed percentage against its counts.

    Attributes
    ----------
    verdict : str
        One of ``VERDICTS``.
    recomputed : str
        ``100*k/n`` at the printed decimals under half-up rounding (one
        decimal for ``not_reported``); empty when ``k`` is unknown or the row
        is not checkable.
    rounding : str
        Rule(s) reproducing the printed value, joined by ``"|"``, or ``""``.
    compatible : tuple of int
        Numerator unknown: every whole ``k`` in ``[0, n]`` that reproduces
        the printed value under half-up (GRIM).  Numerator known: ``()``.
    explanation : str
        Plain-English account for a clinical reader.
    """

    verdict: str
    recomputed: str
    rounding: str
    compatible: tuple[int, ...]
    explanation: str


# --------------------------------------------------------------------------
# The integer core: the one place where rounding rules are decided.
# --------------------------------------------------------------------------


def _ceil_div(a, b):
    """Ceiling of a / b for integer arrays (b > 0), via floor division."""
    return -((-a) // b)


def _rule_bounds(V, S, n, rule):
    """Smallest and largest whole k in [0, n] with ``S*k/n`` rounding to ``V``.

    Parameters
    ----------
    V, S, n : ndarray of int (int64 or object), broadcastable
        Printed value scaled to an integer, ``100 * 10**d``, and denominator.
    rule : str
        One of ``RULES``.

    Returns
    -------
    lo, hi : ndarray
        The rule reproduces ``V`` exactly for the whole ``k`` with
        ``lo <= k <= hi`` (none if ``lo > hi``).
    """
    two_s = 2 * S
    if rule == "half_up":
        # n(2V-1) <= 2Sk (closed: a tie rounds up to V)
        # 2Sk < n(2V+1)  (open: the upper tie rounds up to V+1)
        lo = _ceil_div(n * (2 * V - 1), two_s)
        hi = _ceil_div(n * (2 * V + 1), two_s) - 1
    elif rule == "half_even":
        # A tie lands on V only when V's last digit is even, at either end.
        even = np.asarray(V % 2 == 0, dtype=bool)
        lo = np.where(even, _ceil_div(n * (2 * V - 1), two_s), (n * (2 * V - 1)) // two_s + 1)
        hi = np.where(even, (n * (2 * V + 1)) // two_s, _ceil_div(n * (2 * V + 1), two_s) - 1)
    elif rule == "truncate":
        # nV <= Sk < n(V+1): everything from V up to (not including) V+1.
        lo = _ceil_div(n * V, S)
        hi = _ceil_div(n * (V + 1), S) - 1
    elif rule == "ceiling":
        # n(V-1) < Sk <= nV: everything above V-1 up to and including V.
        lo = (n * (V - 1)) // S + 1
        hi = (n * V) // S
    else:
        raise ValueError(f"unknown rounding rule {rule!r}; expected one of {RULES}")
    # Counts cannot be negative or exceed the denominator.
    return np.maximum(lo, 0), np.minimum(hi, n)


def _needs_object(max_n: int, max_abs_v: int, max_d: int) -> bool:
    """Whether int64 could overflow for these magnitudes (then use Python ints)."""
    s_max = 100 * 10**max_d
    worst = max(max_n * (2 * max_abs_v + 2), (2 * s_max + 1) * max(max_n, 1))
    return worst >= _INT64_SAFE


def _int_column(values, use_object: bool) -> np.ndarray:
    """An integer array in the chosen representation."""
    if use_object:
        return np.array([int(v) for v in values], dtype=object)
    return np.asarray(values, dtype=np.int64)


def _scale_of(d: np.ndarray, use_object: bool) -> np.ndarray:
    """``S = 100 * 10**d`` per row."""
    if use_object:
        return np.array([100 * 10 ** int(x) for x in d], dtype=object)
    return 100 * np.power(10, d.astype(np.int64))


def _parse_one(reported: str) -> tuple[int, int]:
    """Printed text -> (V, d) with ``V = value * 10**d`` an exact integer."""
    sign, digits, exponent = parse_reported(reported).as_tuple()
    # Plain decimal text has exponent 0 or -(digits after the point), so the
    # digit string read as an integer is already value * 10**d.
    d = -int(exponent)
    scaled = int("".join(map(str, digits)))
    return (-scaled if sign else scaled), d


def _parse_reported_column(values) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Parse many printed values, each distinct text once.

    Returns
    -------
    has_rep : ndarray of bool
    V : list of int
    d : ndarray of int64
    """
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    blank = (False, 0, 0)
    parsed = []  # (has_rep, V, d) per distinct text
    for u in uniques:
        if not isinstance(u, str):
            if not pd.isna(u):
                # A number has lost its printed trailing zeros; refuse to guess.
                raise TypeError(f"reported percentages must be text, got {u!r}")
            parsed.append(blank)
        elif not u.strip():
            parsed.append(blank)
        else:
            parsed.append((True, *_parse_one(u)))
    # One more "blank" entry so that the NA sentinel -1 indexes it.
    parsed.append(blank)
    codes = np.asarray(codes)
    has_rep = np.array([p[0] for p in parsed], dtype=bool)[codes]
    v_obj = np.array([p[1] for p in parsed], dtype=object)[codes]
    d = np.array([p[2] for p in parsed], dtype=np.int64)[codes]
    return has_rep, list(v_obj), d


def _validate(labels, has_k, k, has_n, n) -> None:
    """Refuse impossible counts instead of computing nonsense."""
    problems = [
        (has_n & (n <= 0), "denominator must be a positive whole number"),
        (has_k & (k < 0), "numerator must not be negative"),
        (has_k & has_n & (k > n), "numerator exceeds denominator"),
    ]
    for mask, message in problems:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            where = [labels[i] for i in np.flatnonzero(mask)[:5]]
            raise ValueError(f"{message} (rows {where})")


def _audit_columns(labels, reported, k_vals, k_missing, n_vals, n_missing) -> dict[str, list]:
    """Audit aligned columns; the single engine behind both public entry points.

    Parameters
    ----------
    labels : sequence
        Row labels, only used in error messages.
    reported : sequence of str or NA
    k_vals, n_vals : ndarray of int64
        Counts with missing entries filled by any integer.
    k_missing, n_missing : ndarray of bool

    Returns
    -------
    dict of str to list
        One list per output column.
    """
    has_rep, v_list, d = _parse_reported_column(reported)
    has_k, has_n = ~np.asarray(k_missing, bool), ~np.asarray(n_missing, bool)
    k_raw = np.where(has_k, k_vals, 0).astype(np.int64)
    n_raw = np.where(has_n, n_vals, 1).astype(np.int64)
    _validate(labels, has_k, k_raw, has_n, n_raw)
    # Harmless fillers keep the vectorised arithmetic defined (and within
    # the overflow bound, which assumes k <= n) on rows that are not checked.
    k_raw = np.where(has_n, k_raw, 0)

    size = len(has_rep)
    max_n = int(n_raw.max()) if size else 1
    max_v = max((abs(v) for v in v_list), default=0)
    max_d = int(d.max()) if size else 0
    # max(max_d, 1): not_reported rows are recomputed at one decimal.
    use_object = _needs_object(max_n, max_v, max(max_d, 1))
    V = _int_column(v_list, use_object)
    k = _int_column(k_raw, use_object) if use_object else k_raw
    n = _int_column(n_raw, use_object) if use_object else n_raw
    S = _scale_of(d, use_object)

    checkable = has_rep & has_n
    known = checkable & has_k
    grim = checkable & ~has_k
    listing = has_n & has_k & ~has_rep

    # Bit i of `mask` says RULES[i] reproduces the printed value for known k.
    mask = np.zeros(size, dtype=np.int64)
    bounds = {}
    for i, rule in enumerate(RULES):
        lo, hi = _rule_bounds(V, S, n, rule)
        bounds[rule] = (lo, hi)
        hit = ((lo <= k) & (k <= hi)).astype(bool)
        mask |= hit.astype(np.int64) << i
    lo_h, hi_h = bounds["half_up"]
    grim_ok = (lo_h <= hi_h).astype(bool)

    verdict = np.full(size, "not_checkable", dtype=object)
    verdict[listing] = "not_reported"
    verdict[known & (mask & 1 == 1)] = "consistent"
    verdict[known & (mask & 1 == 0) & (mask > 0)] = "rounding_variant"
    verdict[known & (mask == 0)] = "inconsistent"
    verdict[grim & grim_ok] = "consistent"
    verdict[grim & ~grim_ok] = "inconsistent"

    table = np.array(
        ["|".join(r for i, r in enumerate(RULES) if m >> i & 1) for m in range(2 ** len(RULES))],
        dtype=object,
    )
    rounding = np.full(size, "", dtype=object)
    rounding[known] = table[mask[known]]
    rounding[known & (mask & 1 == 1)] = "half_up"
    rounding[grim & grim_ok] = "half_up"

    # Half-up recomputation at the printed scale: floor((2Sk + n) / 2n).
    scaled = (2 * S * k + n) // (2 * n)
    scaled_1dp = (2000 * k + n) // (2 * n)

    # Plain Python lists: per-row indexing of numpy arrays is slow. The text is written one kind of
    # row at a time, so that the common kinds (consistent, GRIM-consistent, computed here) cost one
    # f-string per row and no branching (10^5-row audits spent most of their time in this loop).
    k_l, n_l, d_l = k.tolist(), n.tolist(), d.tolist()
    recomputed = [""] * size
    compatible = [()] * size
    explanation = [""] * size
    consistent = verdict == "consistent"

    def rows(mask) -> list[int]:
        return np.flatnonzero(mask).tolist()

    scaled_l = scaled.tolist()
    for i in rows(known):
        di = int(d_l[i])
        recomputed[i] = _fmt_scaled(int(scaled_l[i]), di) if di else str(int(scaled_l[i]))
    for i in rows(known & consistent):
        explanation[i] = f"{int(k_l[i])}/{int(n_l[i])} gives {recomputed[i]}% under half-up rounding, as printed."
    for i in rows(known & (verdict == "rounding_variant")):
        explanation[i] = _explain_variant(int(k_l[i]), int(n_l[i]), _reported_text(reported, i), recomputed[i],
                                          rounding[i])
    for i in rows(known & (verdict == "inconsistent")):
        explanation[i] = _explain_inconsistent(int(k_l[i]), int(n_l[i]), _reported_text(reported, i),
                                               recomputed[i])
    lo_l, hi_l = lo_h.tolist(), hi_h.tolist()
    for i in rows(grim & consistent):
        compatible[i] = comp = tuple(range(int(lo_l[i]), int(hi_l[i]) + 1))
        explanation[i] = _explain_grim_ok(int(n_l[i]), _reported_text(reported, i), comp)
    for i in rows(grim & ~consistent):
        others = {r: (int(bounds[r][0][i]), int(bounds[r][1][i])) for r in RULES[1:]}
        explanation[i] = _explain_grim_bad(int(n_l[i]), int(V[i]), int(d_l[i]), _reported_text(reported, i), others)
    scaled_1dp_l = scaled_1dp.tolist()
    for i in rows(listing):
        recomputed[i] = rec = _fmt_scaled(int(scaled_1dp_l[i]), 1)
        explanation[i] = (f"No percentage printed; {int(k_l[i])}/{int(n_l[i])} = {rec}% "
                          "(computed here, half-up rounding to one decimal).")
    has_rep_l, has_k_l = has_rep.tolist(), has_k.tolist()
    for i in rows(~(known | grim | listing)):
        explanation[i] = _explain_unchecked(has_rep_l[i], has_k_l[i], reported, i, int(k_l[i]))
    return {"verdict": verdict.tolist(), "recomputed": recomputed, "rounding": rounding.tolist(),
            "compatible": compatible, "explanation": explanation}


# --------------------------------------------------------------------------
# Text helpers (run per row; the expensive ones only for non-consistent rows).
# --------------------------------------------------------------------------


def _reported_text(reported, i: int) -> str:
    """The i-th printed value without surrounding spaces."""
    return str(reported[i]).strip()


def _fmt_scaled(scaled: int, d: int) -> str:
    """Integer ``scaled / 10**d`` as text with exactly ``d`` decimals."""
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**d)
    return f"{sign}{whole}.{frac:0{d}d}" if d else f"{sign}{whole}"


def _exact_percent(k: int, n: int, places: int) -> str:
    """``100k/n`` for a reader: ``"= 31.25"`` if exact, else ``"≈ 16.429"``."""
    num, rem = divmod(100 * k * 10**places * 2 + n, 2 * n)  # half-up at `places`
    exact = (100 * k * 10**places) % n == 0
    if exact:
        text = _fmt_scaled(num, places)
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return f"= {text}"
    return f"≈ {_fmt_scaled(num, places)}"


def _prints_as(k: int, n: int, d: int) -> str:
    """Half-up printing of ``100k/n`` at ``d`` decimals (integer arithmetic)."""
    return _fmt_scaled((2 * 100 * 10**d * k + n) // (2 * n), d)


def _join_or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _denominator_hint(rep: str, k: int | None, n: int) -> str:
    """Sentence naming the nearest denominators that reproduce ``rep``."""
    ms = nearest_denominators(rep, k, n)
    if not ms:
        span = max(50, n)
        who = f"numerator {k}" if k is not None else "any whole numerator"
        return f"No denominator within {span} of {n} reproduces {rep} with {who}."
    if k is not None:
        parts = [f"{k}/{ms[0]} (n = {ms[0]})"] + [f"{k}/{m}" for m in ms[1:]]
        return f"{rep} is reproduced by {_join_or(parts)}."
    return f"{rep} is reproduced with n = {_join_or([str(m) for m in ms])}."


def _explain_variant(k: int, n: int, rep: str, rec: str, rules: str) -> str:
    d = printed_decimals(rep)
    words = " or ".join(_RULE_WORDS[r] for r in rules.split("|"))
    return (
        f"{k}/{n} {_exact_percent(k, n, d + 2)}%, printed as {rep}: half-up rounding "
        f"gives {rec}, but {words} gives {rep}, so the paper likely rounded that way."
    )


def _explain_inconsistent(k: int, n: int, rep: str, rec: str) -> str:
    d = printed_decimals(rep)
    text = (
        f"{k}/{n} {_exact_percent(k, n, d + 2)}%, printed as {rep}, which no usual "
        f"rounding gives; under half-up rounding it should read {rec}. "
    )
    same_n = compatible_numerators(rep, n)
    if len(same_n):
        ks = [f"{j}/{n}" for j in list(same_n)[:3]]
        text += f"Out of {n} it would need {_join_or(ks)}; "
        return text + _denominator_hint(rep, k, n)
    return text + _denominator_hint(rep, k, n)


def _explain_grim_ok(n: int, rep: str, comp: tuple[int, ...]) -> str:
    if len(comp) <= 3:
        which = _join_or([f"{j}/{n}" for j in comp])
    else:
        which = f"any count from {comp[0]} to {comp[-1]} out of {n}"
    return f"Numerator not given: {rep}% of {n} is reproduced under half-up rounding by {which}."


def _explain_grim_bad(n: int, V: int, d: int, rep: str, others: dict) -> str:
    """GRIM failure: the nearest attainable values, other rules, other n."""
    S = 100 * 10**d
    below = min(max(-((-n * V) // S) - 1, 0), n)  # largest k with 100k/n < p
    near = sorted({below, min(below + 1, n)})
    shown = [
        f"{j}/{n} {_exact_percent(j, n, d + 2)}% prints as {_prints_as(j, n, d)}" for j in near
    ]
    text = (
        f"Numerator not given: no whole count out of {n} prints as {rep} under half-up "
        f"rounding ({'; '.join(shown)}). "
    )
    alt = [(r, lo) for r, (lo, hi) in others.items() if lo <= hi]
    if alt:
        names = _join_or([_RULE_WORDS[r] for r, _ in alt])
        froms = _join_or(sorted({f"{lo}/{n}" for _, lo in alt}))
        text += f"Only {names} would give {rep}, from {froms}. "
    return text + _denominator_hint(rep, None, n)


def _explain_unchecked(has_rep: bool, has_k: bool, reported, i: int, k: int) -> str:
    if has_rep:
        rep = _reported_text(reported, i)
        return f"No denominator is known, so the printed {rep}% cannot be checked."
    if has_k:
        return f"No denominator is known, so no percentage can be computed from {k}."
    return "Nothing to check: no percentage printed and no numerator given."


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def audit_percent(
    reported: str | None, numerator: int | None, denominator: int | None
) -> PercentAudit:
    """Check one printed percentage against its counts.

    Parameters
    ----------
    reported : str or None
        The percentage as printed (``"16.4"``); ``None`` or blank if not printed.
    numerator : int or None
        Number of patients with the outcome, if printed.
    denominator : int or None
        Number of patients the percentage refers to, if known.

    Returns
    -------
    PercentAudit

    Raises
    ------
    ValueError
        If the denominator is not positive, the numerator is negative or
        exceeds the denominator, or ``reported`` is not a plain decimal.

    Notes
    -----
    Runs the same integer engine as :func:`audit_percent_frame` on one row.

    Examples
    --------
    >>> audit_percent("72.9", 102, 140).verdict
    'consistent'
    """
    k_missing = numerator is None
    n_missing = denominator is None
    k_val = 0 if k_missing else _whole(numerator, "numerator")
    n_val = 1 if n_missing else _whole(denominator, "denominator")
    out = _audit_columns(
        [0],
        np.array([reported], dtype=object),
        np.array([k_val], dtype=np.int64),
        np.array([k_missing]),
        np.array([n_val], dtype=np.int64),
        np.array([n_missing]),
    )
    return PercentAudit(**{c: out[c][0] for c in _OUTPUT_COLUMNS})


def _whole(value, name: str) -> int:
    """Accept whole numbers only (numpy ints included, floats and bools not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def audit_percent_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Check many printed percentages at once.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``reported`` (text; empty or NA if not printed),
        ``numerator`` and ``denominator`` (whole numbers, nullable).

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``verdict``, ``recomputed``, ``rounding``,
        ``compatible`` (tuple of int) and ``explanation``; see
        :class:`PercentAudit`.

    Raises
    ------
    ValueError
        On any row with a non-positive denominator, a negative numerator, a
        numerator above its denominator, or an unreadable percentage.
    """
    missing = [c for c in ("reported", "numerator", "denominator") if c not in df.columns]
    if missing:
        raise ValueError(f"audit_percent_frame needs columns {missing}")
    try:
        # Int64 refuses non-whole floats such as 3.5 instead of truncating.
        num = pd.array(df["numerator"], dtype="Int64")
        den = pd.array(df["denominator"], dtype="Int64")
    except (TypeError, ValueError) as err:
        raise ValueError(f"numerator and denominator must be whole numbers: {err}") from err
    out = _audit_columns(
        df.index,
        df["reported"].to_numpy(dtype=object),
        num.to_numpy(dtype=np.int64, na_value=0),
        np.asarray(num.isna(), dtype=bool),
        den.to_numpy(dtype=np.int64, na_value=1),
        np.asarray(den.isna(), dtype=bool),
    )
    result = pd.DataFrame(
        {c: pd.Series(out[c], index=df.index, dtype=object) for c in _OUTPUT_COLUMNS},
        index=df.index,
    )
    return result


def _scaled_under(k: np.ndarray, n: np.ndarray, d: np.ndarray, rule: str) -> np.ndarray:
    """``100k/n`` at ``d`` decimals, times ``10**d``, under one rule (k, n >= 0; int64)."""
    floor, rem = np.divmod(k * 100 * 10**d, n)
    if rule == "truncate":
        return floor
    if rule == "ceiling":
        return floor + (rem > 0)
    if rule == "half_up":
        return floor + (2 * rem >= n)
    if rule == "half_even":
        return floor + ((2 * rem > n) | ((2 * rem == n) & (floor % 2 == 1)))
    raise ValueError(f"unknown rounding rule {rule!r}; expected one of {RULES}")


def refuse_unused_conventions(rows: pd.DataFrame) -> pd.DataFrame:
    """Turn rounding variants into ``inconsistent`` where the same source shows it does not round that way.

    A printed 2.3 for 34/1431 (2.376%) is a truncation, and truncation is a convention some
    software uses; but if the same source prints 6/7 (85.71%) as 86, it rounds half up, and
    its 2.3 is then not a rounding choice but a number that does not reproduce. A rule is
    contradicted in a source when one of its consistent percentages, with both counts stated,
    would print differently under that rule; a variant is refused when every rule that
    reproduces it is contradicted, and the explanation names the first such percentage.

    Parameters
    ----------
    rows : DataFrame
        Audited percent rows: ``group`` (the source), ``reported``, ``numerator``,
        ``denominator``, ``witness`` (True where the counts are stated, so the row may show a
        convention), ``verdict``, ``rounding``, ``recomputed``, ``explanation``.

    Returns
    -------
    DataFrame
        The refused rows only (same index): ``verdict``, ``rounding``, ``explanation``.
    """
    refused = pd.DataFrame(columns=["verdict", "rounding", "explanation"], dtype=object)
    variants = rows[rows["verdict"] == "rounding_variant"]
    shown = rows[(rows["verdict"] == "consistent") & rows["witness"].astype(bool)
                 & rows["numerator"].notna() & rows["group"].isin(variants["group"])]
    if variants.empty or shown.empty:
        return refused
    d = _parse_reported_column(shown["reported"].to_numpy(dtype=object))[2]
    use_object = _needs_object(int(shown["denominator"].max()), 0, int(d.max()))
    k = _int_column(shown["numerator"], use_object)
    n = _int_column(shown["denominator"], use_object)
    d = d.astype(object) if use_object else d
    printed = _scaled_under(k, n, d, "half_up")  # consistent: the printed value
    first_witness = {}  # (source, rule) -> position in `shown` of the first row the rule misprints
    for rule in RULES[1:]:
        misprints = np.asarray(_scaled_under(k, n, d, rule) != printed, dtype=bool)
        firsts = shown.assign(at=np.arange(len(shown)))[misprints].groupby("group")["at"].first()
        first_witness.update({(group, rule): at for group, at in firsts.items()})
    counts = ("numerator", "denominator", "reported")
    shown_counts = list(zip(*(shown[c].tolist() for c in counts)))
    found = {}
    for index, group, rounding, *row in zip(variants.index, variants["group"].tolist(),
                                            variants["rounding"].tolist(),
                                            *(variants[c].tolist() for c in (*counts, "recomputed"))):
        rules = rounding.split("|")
        witnesses = [first_witness.get((group, rule)) for rule in rules]
        if all(w is not None for w in witnesses):
            found[index] = ("inconsistent", "",
                            _explain_refused(row, rules, [shown_counts[w] for w in witnesses]))
    return pd.DataFrame.from_dict(found, orient="index", columns=refused.columns).astype(object) if found else refused


def _explain_refused(row: list, rules: list[str], witnesses: list[tuple]) -> str:
    """Why a variant is refused: (numerator, denominator, reported, recomputed) and its witnesses."""
    k, n, rep, recomputed = int(row[0]), int(row[1]), str(row[2]).strip(), row[3]
    words = " or ".join(_RULE_WORDS[r] for r in rules)
    shown = []
    for rule, (wk, wn, wrep) in zip(rules, witnesses):
        wk, wn, wrep = int(wk), int(wn), str(wrep).strip()
        wd = printed_decimals(wrep)
        other = _fmt_scaled(int(_scaled_under(wk, wn, wd, rule)), wd)
        shown.append(f"{wk}/{wn} ({_exact_percent(wk, wn, wd + 2)}%) as {wrep}, where "
                     f"{_RULE_WORDS[rule].split(' (')[0]} would give {other}")
    return (f"{k}/{n} {_exact_percent(k, n, printed_decimals(rep) + 2)}%, printed as {rep}: only {words} "
            f"gives {rep}, but the same source rounds half up elsewhere (it prints {'; '.join(shown)}), "
            f"so that is not its convention. Under half-up rounding it should read {recomputed}.")


def compatible_numerators(reported: str, denominator: int, rule: str = "half_up") -> range:
    """Every whole numerator ``k`` in ``[0, n]`` whose percentage prints as ``reported``.

    Parameters
    ----------
    reported : str
        The printed percentage.
    denominator : int
        The denominator ``n`` (>= 1).
    rule : str, default "half_up"
        One of ``RULES``.

    Returns
    -------
    range
        Contiguous (possibly empty) range of numerators, from the integer
        bounds of :func:`_rule_bounds`, not from trying every ``k``.
    """
    n = _whole(denominator, "denominator")
    if n <= 0:
        raise ValueError("denominator must be a positive whole number")
    if rule not in RULES:
        raise ValueError(f"unknown rounding rule {rule!r}; expected one of {RULES}")
    V, d = _parse_one(reported)
    use_object = _needs_object(n, abs(V), max(d, 1))
    arr = lambda x: _int_column([x], use_object)  # noqa: E731 - tiny local helper
    lo, hi = _rule_bounds(arr(V), arr(100 * 10**d), arr(n), rule)
    lo, hi = int(lo[0]), int(hi[0])
    return range(lo, max(lo, hi + 1))


def nearest_denominators(
    reported: str, numerator: int | None, denominator: int, how_many: int = 3
) -> list[int]:
    """Denominators near ``n`` for which the printed percentage is reproducible.

    Parameters
    ----------
    reported : str
        The printed percentage.
    numerator : int or None
        Known numerator, or ``None`` to accept any whole numerator ``0..m``.
    denominator : int
        The stated denominator ``n`` (excluded from the answer).
    how_many : int, default 3
        Maximum number of denominators to return.

    Returns
    -------
    list of int
        Denominators ``m >= 1`` (``m >= numerator`` when known), ``m != n``,
        with ``|m - n| <= max(50, n)``, that reproduce ``reported`` under
        half-up rounding; nearest to ``n`` first, ties to the smaller.
    """
    n = _whole(denominator, "denominator")
    if n <= 0:
        raise ValueError("denominator must be a positive whole number")
    k = None if numerator is None else _whole(numerator, "numerator")
    if k is not None and not 0 <= k <= n:
        raise ValueError("numerator must be between 0 and the denominator")
    V, d = _parse_one(reported)
    limit = max(50, n)
    use_object = _needs_object(n + limit, abs(V), max(d, 1))
    found: list[int] = []
    start, width = 1, 64
    # Search outward in growing rings so that the usual case (a hit within a
    # few units of n) costs one small vectorised call.
    while start <= limit and len(found) < how_many:
        stop = min(limit, start + width - 1)
        dist = np.arange(start, stop + 1, dtype=np.int64)
        cand = np.column_stack([n - dist, n + dist]).ravel()  # smaller first on ties
        cand = cand[cand >= max(1, k or 0)]
        m = _int_column(cand, use_object) if use_object else cand
        lo, hi = _rule_bounds(V, 100 * 10**d, m, "half_up")
        ok = (lo <= k) & (k <= hi) if k is not None else lo <= hi
        found.extend(int(x) for x in cand[np.asarray(ok, dtype=bool)][: how_many - len(found)])
        start, width = stop + 1, width * 4
    return found
