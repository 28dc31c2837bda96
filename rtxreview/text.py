"""Text a reader sees, made from the data: numbers, units with grammar and source LaTeX made readable.

Every number the book prints (in a sentence, a table cell, a chart label or tooltip, a commentary
piece) goes through the functions here, so one figure prints the same everywhere. Numbers are
rounded half up on their decimal value (``rtxreview.rounding.round_exact``), like the sources and the
audit: 0.60950 prints 61.0%, where float formatting (``f"{60.95:.1f}"``) gives 60.9. The data keep
every value and quote as printed; these functions change only how they are shown.
"""

from __future__ import annotations

import html
import math
import re
from decimal import Decimal
from fractions import Fraction

from rtxreview.rounding import round_exact


# --- numbers ------------------------------------------------------------------------------------

def _exact(value) -> Fraction:
    """A count ratio exactly; a float as the shortest decimal that prints it (0.3125 is the tie it looks like)."""
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    return Fraction(Decimal(repr(float(value))))


def missing(value) -> bool:
    """True for None and NaN (an empty cell, an interval that was not computed)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "nan")


def fixed(value, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, rounded half up: fixed(0.125, 2) -> '0.13', fixed(76.5, 0) -> '77'."""
    return str(round_exact(_exact(value), digits, "half_up"))


def pct(proportion, digits: int = 1) -> str:
    """0.8831 -> '88.3%', rounded half up like the audit (5/16 -> '31.3%', not the float format's '31.2%').

    A float is read as the shortest decimal that prints it (``repr``); pass a Fraction for exact counts.
    """
    return f"{fixed(100 * _exact(proportion), digits)}%"


def points(proportion, digits: int = 0) -> str:
    """A proportion in percentage points, without the sign: 0.615 -> '62' (an interval's width, 'in 100')."""
    return fixed(100 * _exact(proportion), digits)


def ci_text(low, high, digits: int = 1) -> str:
    """'36.1% to 80.9%' (a sentence's interval)."""
    return f"{pct(low, digits)} to {pct(high, digits)}"


def interval_text(low, high, digits: int = 1) -> str:
    """'36.1–80.9%' (a chart's or a table's compact interval); 'not given' when a limit is missing."""
    if missing(low) or missing(high):
        return "not given"
    return f"{fixed(100 * _exact(low), digits)}–{pct(high, digits)}"


def signed_points(difference, digits: int = 1) -> str:
    """A difference of proportions in percentage points with its sign: 0.02 -> '+2.0', -0.18 -> '−18.0'."""
    text = points(difference, digits)
    return text.replace("-", "−") if text.startswith("-") else f"+{text}"


def p_text(p) -> str:
    """'p = 0.039' (two significant digits), 'p < 0.001' below that."""
    if missing(p):
        return "p not estimable"
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    digits = 1 - math.floor(math.log10(p))  # two significant digits
    return f"p = {fixed(p, digits)}"


# --- words --------------------------------------------------------------------------------------

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve")


def number_word(n: int, capital: bool = False) -> str:
    """Small counts in words, as prose prints them ('three'); larger ones as digits."""
    word = NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)
    return word.capitalize() if capital else word


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 study', '2 studies'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def markdown_text(text) -> str:
    """Text from the data, safe inside glued Markdown: HTML escaped, Markdown syntax made literal."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def outcome_predicate(outcome: str) -> str:
    """What the patients did, for 'about 20 in 100 patients …': 'had relapse', 'were in remission'
    (a state), 'died' (death)."""
    if outcome.startswith("in "):
        return f"were {outcome}"
    return "died" if outcome == "death" else f"had {outcome}"


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def of_all(k: int, n: int) -> str:
    """'one of the five', 'all three', 'both', 'the only' (never 'all one' or 'three of the three')."""
    if k == n == 1:
        return "the only"
    if k == n == 2:
        return "both"
    if k == n:
        return f"all {number_word(k)}"
    return f"{number_word(k)} of the {number_word(n)}"


# --- units and source typesetting ---------------------------------------------------------------

# Source typesetting (the article prints its formulas in LaTeX): the commands the quotes use, as text.
# Hand-written: a LaTeX-to-text converter (pylatexenc) would be one more dependency for six commands.
_LATEX = [(r"\\times(?![a-zA-Z])\s*", "× "), (r"\\pm(?![a-zA-Z])\s*", "± "), (r"\\text\{--?\}", "–"),
          (r"\\geq?(?![a-zA-Z])\s*", "≥ "), (r"\\leq?(?![a-zA-Z])\s*", "≤ "), (r"\\%", "%"), (r"\\,", " "),
          (r"\\mu(?![a-zA-Z])\s*", "µ")]
_POWERS = {"9": "⁹", "12": "¹²", "6": "⁶", "3": "³", "-1": "⁻¹"}
_ONE = {"1", "one", "a single"}


def readable_latex(text: str) -> str:
    """'$14.3 \\pm 8.9 \\times 10^9/L$' -> '14.3 ± 8.9 × 10⁹/L'; text without '$' is unchanged."""
    return re.sub(r"\$([^$]+)\$", lambda m: _formula(m.group(1)), text)


# A power of ten whose superscript a copy lost: '× 109/L' and 'x 10(9)' (no one writes ×109/L).
_LOST_POWER = re.compile(r"([×x]\s?)10\(?(9|12)\)?(?=\s?(?:/|cells))")


def readable_text(text: str) -> str:
    """Quoted text as a reader should see it: source LaTeX as text, units as printed
    ('mg/m2' -> 'mg/m²') and a power of ten whose superscript was lost in a copy restored
    ('≥ 100 × 109/L' -> '≥ 100 × 10⁹/L'). The data keep the verbatim text."""
    text = _LOST_POWER.sub(lambda m: m.group(1).replace("x", "×") + "10" + _POWERS[m.group(2)], readable_latex(text))
    return readable_unit(text)


def _formula(formula: str) -> str:
    """One $…$ formula as text (only inside a pair of dollars: '$500' stays as printed)."""
    for pattern, replacement in _LATEX:
        formula = re.sub(pattern, replacement, formula)
    formula = re.sub(r"\^\{?(-?\d+)\}?", lambda m: _POWERS.get(m.group(1), "^" + m.group(1)), formula)
    return re.sub(r"\s{2,}", " ", formula).strip()


def readable_unit(unit: str) -> str:
    """'x10^9/L' -> '×10⁹/L', 'mg/m2' -> 'mg/m²': units typed in ASCII in the data, shown as printed
    in the source (a dose per square metre of body surface must not read like a flat dose)."""
    unit = re.sub(r"/m2\b", "/m²", unit)
    return re.sub(r"[x×]10\^(\d+)", lambda m: "×10" + _POWERS.get(m.group(1), "^" + m.group(1)), unit)


def readable_label(text: str) -> str:
    """Units inside a label from the data ('rituximab 375 mg/m2' -> 'rituximab 375 mg/m²')."""
    return readable_unit(text)


def value_with_unit(text: str, unit: str, singular: bool) -> str:
    """'1 days' -> '1 day', 'twice infusions' -> 'twice', '2 CTCAE grade' -> 'CTCAE grade 2'."""
    unit = readable_unit(unit)
    if "grade" in unit.lower():
        return f"{unit} {text}"
    if not re.search(r"\d", text) and text.lower() in ("once", "twice", "thrice"):
        return text
    if singular and unit.endswith("s") and not unit.endswith(("ss", "series", "us")):
        unit = unit[:-1]
    return f"{text} {unit}"


def is_one(reported: str) -> bool:
    return str(reported).strip().lower() in _ONE
