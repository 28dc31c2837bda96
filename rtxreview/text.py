"""Text a reader sees, made from the data: units with grammar and source LaTeX made readable.

The data keep every value and quote as printed; these functions change only how they are shown.
"""

from __future__ import annotations

import re

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
    return re.sub(r"x10\^(\d+)", lambda m: "×10" + _POWERS.get(m.group(1), "^" + m.group(1)), unit)


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
