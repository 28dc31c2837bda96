"""Tests for rtxreview.charts and _static/rtx-charts.js.

Every frame is made by hand here and every expected value is worked out by
hand in a comment.  Three kinds of checks:

* the Vega-Lite specification (``chart.to_dict()``, which Altair validates
  against the Vega-Lite schema): marks, encodings and the data they carry;
* :func:`embed_html`: determinism, no CDN, escaping of hostile text;
* with Node.js and the Vega builds the book ships (``_static/vega`` or
  ``node_modules``): the charts compile and render without a warning, with the
  geometry intended, and ``rtx-charts.js`` behaves as documented in a fake DOM;
  with Chromium (``/usr/bin/chromium`` or ``$RTXREVIEW_CHROMIUM``), it draws a
  chart with the real vega-embed and follows the page's theme.  These skip
  when Node.js, Chromium or the Vega builds are absent.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import unavailable
from rtxreview import charts
from rtxreview.charts import (
    RESPONSE_COLOURS,
    VERDICT_COLOURS,
    embed_html,
    forest_plot,
    platelet_trajectories,
    reported_vs_recomputed,
    response_over_time,
    show,
)

REPO = Path(__file__).resolve().parents[1]
SCRIPT_ATTACK = "</script><script>alert(1)</script>"
HTML_ATTACK = "<img src=x onerror=alert(1)>"
SECRET = "SECRET-VALUE-never-shown"

# ---------------------------------------------------------------------------
# Hand-made inputs
# ---------------------------------------------------------------------------


def forest_rows() -> pd.DataFrame:
    """Three estimates; the last is not pooled (weight NaN).

    1/16 = 6.25 % exactly: half up prints 6.3 %, where Python's float
    formatting (ties to even on the binary value) would print 6.2 %.
    """
    return pd.DataFrame({
        "label": ["Zhang 2021, 6 months", "Alem 2019, renal", "Case series"],
        "study": ["zhang_2021", "alem_renal_41", "ttp_series_5"],
        "evidence_id": ["zhang_2021-010", "alem_renal_41-020", "ttp_series_5-003"],
        "events": [6, 12, 1],
        "total": [10, 20, 16],
        "proportion": [0.6, 0.6, 1 / 16],
        "ci_low": [0.2624, 0.3605, 0.0016],
        "ci_high": [0.8784, 0.8088, 0.3023],
        "weight": [0.25, 0.75, np.nan],
        "quote": [SCRIPT_ATTACK, HTML_ATTACK, "1 of 16 patients responded"],
        "location": ["Table 2", "Results", "Abstract"],
        "note": ["", "month 6", np.nan],
        "secret_unused": [SECRET] * 3,
    })


POOLED = {
    "label": "Pooled, random effects",
    "estimate": 0.6,
    "ci_low": 0.45,
    "ci_high": 0.75,
    "pi_low": 0.2,
    "pi_high": 0.9,
    "method": "random effects, logit, DerSimonian-Laird",
    "i2": 12.5,
    "tau2": 0.0123,
    "k": 2,
}


def response_counts() -> pd.DataFrame:
    """20 patients at months 1 and 3: CR 4 / PR 6 / NR 10, then CR 9 / PR 4 / NR 7."""
    rows = [(1, "CR", 4), (1, "PR", 6), (1, "NR", 10), (3, "NR", 7), (3, "PR", 4), (3, "CR", 9)]
    frame = pd.DataFrame(rows, columns=["month", "response", "patients"])
    return frame.assign(total=20, secret_unused=SECRET)


def platelets_long() -> pd.DataFrame:
    """Two patients; patient 2 was not measured at months 6 and 12 (8 of 10 values)."""
    return pd.DataFrame({
        "patient": [1] * 5 + [2] * 5,
        "month": [0, 1, 3, 6, 12] * 2,
        "platelets": [12, 45, 110, 130, 95, 8, 20, 25, np.nan, np.nan],
        "secret_unused": SECRET,
    })


def audit_rows() -> pd.DataFrame:
    """Three plottable rows and one without a recomputed value (left out)."""
    return pd.DataFrame({
        "evidence_id": ["a-1", "a-2", "a-3", "a-4"],
        "study": ["zhang_2021"] * 4,
        "reported": [72.9, 33.3, 10.0, 50.0],
        "recomputed": [72.92, 33.33, 12.5, np.nan],
        "verdict": ["consistent", "rounding_variant", "inconsistent", "not_checkable"],
        "explanation": ["35/48 = 72.92 prints as 72.9", "truncation", SCRIPT_ATTACK, "no counts"],
        "secret_unused": SECRET,
    })


BUILDERS = {
    "forest": lambda: forest_plot(forest_rows(), POOLED, title="Overall response"),
    "forest-unpooled": lambda: forest_plot(forest_rows(), None, title="Estimates"),
    "response": lambda: response_over_time(response_counts(), title="Response by month"),
    "trajectories": lambda: platelet_trajectories(platelets_long(), title="Platelet counts"),
    "audit": lambda: reported_vs_recomputed(audit_rows(), title="Reported and recomputed"),
}


@functools.cache
def built(name: str) -> dict:
    """``BUILDERS[name]().to_dict()``, built once: Altair's validation of a concat spec is slow."""
    return BUILDERS[name]().to_dict()


# ---------------------------------------------------------------------------
# Reading a Vega-Lite spec
# ---------------------------------------------------------------------------


def units(spec: dict, data=None):
    """Yield ``(unit_spec, records)`` for every single-mark view, with inherited data."""
    data = spec.get("data", data)
    if "mark" in spec:
        yield spec, data
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from units(child, data)


def records(top: dict, data) -> list[dict]:
    """The rows a unit draws: a named top-level dataset or inline values."""
    if data is None:
        return []
    if "name" in data:
        return top["datasets"][data["name"]]
    return data["values"]


def mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def marks(spec: dict, kind: str) -> list[tuple[dict, list[dict]]]:
    """Units of one mark type, each with its rows."""
    return [(u, records(spec, d)) for u, d in units(spec) if mark_type(u) == kind]


def tooltip_fields(unit: dict) -> list[str]:
    return [t["field"] for t in unit["encoding"]["tooltip"]]


# ---------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------


def test_colour_maps_cover_every_category_with_distinct_visible_colours():
    assert list(VERDICT_COLOURS) == ["consistent", "rounding_variant", "test_dependent",
                                     "inconsistent", "not_reported", "not_checkable"]
    assert list(RESPONSE_COLOURS) == ["CR", "PR", "NR"]
    for colours in (VERDICT_COLOURS, RESPONSE_COLOURS):
        values = [c.upper() for c in colours.values()]
        assert len(set(values)) == len(values)
        for colour in values:
            assert re.fullmatch(r"#[0-9A-F]{6}", colour)
            # Black or white would vanish on one of the two page themes.
            assert colour not in {"#000000", "#FFFFFF"}


# ---------------------------------------------------------------------------
# Forest plot
# ---------------------------------------------------------------------------


def test_forest_squares_have_area_proportional_to_weight():
    spec = built("forest")
    squares = marks(spec, "square")
    weighted = [u for u, _ in squares if "size" in u["encoding"]]
    assert len(weighted) == 1
    size = weighted[0]["encoding"]["size"]
    assert (size["field"], size["type"]) == ("weight", "quantitative")
    # A zero-based linear scale on an area channel keeps area proportional to
    # weight; the largest weight (0.75) gets the largest area.
    assert size["scale"] == {"domain": [0, 0.75], "range": [0, charts.MAX_SQUARE_AREA]}
    assert weighted[0]["encoding"]["x"]["field"] == "proportion"
    assert weighted[0]["transform"] == [{"filter": "isValid(datum.weight)"}]
    fixed = [u for u, _ in squares if "size" not in u["encoding"]]
    assert len(fixed) == 1
    assert fixed[0]["mark"]["size"] == charts.UNWEIGHTED_SQUARE_AREA
    assert fixed[0]["transform"] == [{"filter": "!isValid(datum.weight)"}]


def test_forest_diamond_vertices_span_the_pooled_interval():
    spec = built("forest")
    [(area, rows)] = marks(spec, "area")
    enc = area["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"], enc["y2"]["field"]) == ("x", "y", "y2")
    assert enc["x"]["type"] == enc["y"]["type"] == "quantitative"
    # Three estimates on rows 0, 1, 2; the pooled row is one and a half rows
    # below the last: centre 3.5.  One-line labels: 24 px a row, so the
    # diamond's 10 px half height is 10/24 of a row.
    c, h = 3.5, 10 / 24
    vertices = sorted((r["x"], r["y"], r["y2"]) for r in rows)
    assert vertices == [(0.45, c, c), (0.6, pytest.approx(c - h), pytest.approx(c + h)), (0.75, c, c)]
    assert [min(v[0] for v in vertices), max(v[0] for v in vertices)] == [POOLED["ci_low"], POOLED["ci_high"]]
    assert rows[0]["ci_text"] == "45.0–75.0%"


def test_forest_prediction_interval_and_heterogeneity_note():
    spec = built("forest")
    intervals = [(u, rows) for u, rows in marks(spec, "rule") if u["encoding"]["x"]["field"] == "pi_low"]
    [(rule, rows)] = intervals
    assert rule["encoding"]["x2"]["field"] == "pi_high"
    assert [(r["pi_low"], r["pi_high"], r["row"]) for r in rows] == [(0.2, 0.9, 3.5)]
    assert rule["mark"]["strokeWidth"] < 1.5  # thinner than the CI lines
    notes = [rows[0]["note"] for u, rows in marks(spec, "text") if rows and isinstance(rows[0].get("note"), list)]
    assert notes == [[
        "Pooled: k = 2 studies; I² = 12.5%; τ² = 0.012",
        "Method: random effects, logit, DerSimonian-Laird",
        "Squares: area proportional to the weight in the pooled analysis; lines: 95% CI.",
        "Thin line through the diamond: 95% prediction interval.",
    ]]
    assert spec["vconcat"][1]["height"] == 4 * 16  # four lines of 16 px


def test_forest_note_wraps_a_long_method_to_the_chart_width():
    method = "random effects, logit, Paule-Mandel (statsmodels combine_effects iterated), " * 2
    spec = forest_plot(forest_rows(), dict(POOLED, method=method.strip()), title="t").to_dict()
    [lines] = [rows[0]["note"] for u, rows in marks(spec, "text") if rows and isinstance(rows[0].get("note"), list)]
    method_lines = lines[1:-2]
    assert len(method_lines) == 2 and all(len(line) <= charts.NOTE_CHARS for line in method_lines)
    assert " ".join(method_lines) == "Method: " + method.strip()


@pytest.mark.parametrize("absent", [None, np.nan, pd.NA])
def test_forest_without_prediction_interval_draws_no_interval_line(absent):
    pooled = dict(POOLED, pi_low=absent, pi_high=absent)
    spec = forest_plot(forest_rows(), pooled, title="t").to_dict()
    fields = [u["encoding"]["x"]["field"] for u, _ in marks(spec, "rule")]
    assert fields == ["ci_low"]
    assert "95% prediction interval" not in json.dumps(spec["vconcat"][1])


def test_forest_rows_labels_and_numbers_keep_input_order():
    spec = built("forest")
    texts = {}
    for unit, rows in marks(spec, "text"):
        field = unit["encoding"]["text"]["field"]
        texts.setdefault(field, []).extend((r["row"], r[field]) for r in rows if "row" in r)
    assert texts["label_lines"] == [(0, ["Zhang 2021, 6 months"]), (1, ["Alem 2019, renal"]),
                                    (2, ["Case series"]), (3.5, ["Pooled, random effects"])]
    # 6/10 = 60 %, 12/20 = 60 %, 1/16 = 6.25 % -> 6.3 % half up; pooled 60.0 % (45.0-75.0 %).
    assert texts["right_text"] == [(0, "6/10 (60.0%)"), (1, "12/20 (60.0%)"), (2, "1/16 (6.3%)"),
                                   (3.5, "60.0% (45.0–75.0%)")]
    assert texts["header"] == [(-1.3, "Study, subgroup"), (-1.3, "Events/total (%)")]
    # Row 0 is drawn at the top: the row scale is reversed in every unit.
    scales = [u["encoding"]["y"]["scale"] for u, _ in units(spec) if u["encoding"]["y"].get("field") == "row"]
    assert scales and all(s["reverse"] is True and s["domain"] == [-1.8, 4.4] for s in scales)


def test_forest_wraps_long_labels_and_makes_rows_taller():
    long = "SLE-associated ITP, low dose: overall response at 6 months"
    huge = " ".join(["word"] * 40)
    rows = forest_rows().assign(label=[long, "Short", huge])
    spec = forest_plot(rows, None, title="t").to_dict()
    [(text, data)] = [(u, r) for u, r in marks(spec, "text") if u["encoding"]["text"]["field"] == "label_lines"]
    # Widest label column 200 px: (200 - 4) / 6.5 -> 30 characters a line.
    assert data[0]["label_lines"] == ["SLE-associated ITP, low dose:", "overall response at 6 months"]
    assert data[1]["label_lines"] == ["Short"]
    assert len(data[2]["label_lines"]) == 3 and data[2]["label_lines"][-1].endswith("…")
    assert all(len(line) <= 30 for row in data for line in row["label_lines"])
    assert data[2]["label"] == huge  # the tooltip keeps the whole label
    # Three lines a label: 24 + 2 * 14 = 52 px a row; rows -1.8 .. 2.6 -> 4.4 rows -> 229 px.
    assert spec["hconcat"][0]["height"] == round(52 * 4.4)
    assert spec["hconcat"][0]["width"] == 200


def test_forest_x_axis_is_a_percentage_from_0_to_1():
    spec = forest_plot(forest_rows(), None, title="t", x_title="Responders (95% CI)").to_dict()
    [(ci, rows)] = marks(spec, "rule")
    x = ci["encoding"]["x"]
    assert (x["field"], ci["encoding"]["x2"]["field"]) == ("ci_low", "ci_high")
    assert x["scale"]["domain"] == [0, 1] and x["axis"]["format"] == ".0%"
    assert x["title"] == "Responders (95% CI)"
    # 0.3605 is a decimal tie: half up gives 36.1 (float formatting gave 36.0)
    assert [r["ci_text"] for r in rows] == ["26.2–87.8%", "36.1–80.9%", "0.2–30.2%"]


def test_forest_tooltips_show_estimate_counts_interval_and_quote():
    spec = built("forest")
    [(square, rows)] = [(u, r) for u, r in marks(spec, "square") if "size" in u["encoding"]]
    assert tooltip_fields(square) == ["label", "evidence_id", "events_total", "percent", "ci_text",
                                      "quote", "location", "note"]
    assert rows[0]["events_total"] == "6/10" and rows[0]["percent"] == "60.0%"
    assert rows[2]["note"] == ""  # an empty cell is shown as nothing, not "nan"
    [(area, _)] = marks(spec, "area")
    assert tooltip_fields(area) == ["label", "estimate_text", "ci_text", "pi_text", "method"]


def test_forest_without_pooled_has_no_diamond_and_no_note():
    spec = built("forest-unpooled")
    assert marks(spec, "area") == []
    assert "hconcat" in spec and "vconcat" not in spec


def note_lines(spec: dict) -> list[str]:
    [lines] = [rows[0]["note"] for u, rows in marks(spec, "text") if rows and isinstance(rows[0].get("note"), list)]
    return lines


def test_forest_note_gives_cochrans_q_with_its_p_value_and_the_hartung_knapp_diamond():
    reason = "no prediction interval with fewer than 3 studies: it uses t with k - 2 degrees of freedom"
    pooled = dict(POOLED, q=4.2807677, q_df=1, q_p=0.0385459, pi_low=None, pi_high=None,
                  ci_method="Hartung-Knapp-Sidik-Jonkman (t with k - 1 df)", prediction_interval_reason=reason)
    lines = note_lines(forest_plot(forest_rows(), pooled, title="t").to_dict())
    assert lines[0] == "Pooled: k = 2 studies; Cochran's Q = 4.28 (1 df, p = 0.039); I² = 12.5%; τ² = 0.012"
    assert "Diamond: 95% CI, Hartung-Knapp-Sidik-Jonkman (t with k - 1 df)." in lines
    assert " ".join(lines[-2:]) == ("No prediction interval with fewer than 3 studies: it uses t with k - 2 "
                                    "degrees of freedom.")
    assert all(len(line) <= charts.NOTE_CHARS for line in lines)
    tiny = note_lines(forest_plot(forest_rows(), dict(pooled, q_p=2e-5), title="t").to_dict())
    assert "Cochran's Q = 4.28 (1 df, p < 0.001);" in tiny[0]


def test_forest_not_pooled_shows_the_studies_side_by_side_with_the_reason_and_no_diamond():
    reason = "analysis set differs: evaluable (retro_series_147) vs intention to treat (zhang_2021)"
    spec = forest_plot(forest_rows().assign(weight=np.nan), None, title="t", not_pooled=reason).to_dict()
    assert marks(spec, "area") == []
    assert len(marks(spec, "square")[0][1]) == 3  # every study, same size: no weights
    assert " ".join(note_lines(spec)) == f"Not pooled: {reason}."


def test_forest_with_no_weights_draws_fixed_size_squares_only():
    rows = forest_rows().assign(weight=np.nan)
    spec = forest_plot(rows, None, title="t").to_dict()
    squares = marks(spec, "square")
    assert len(squares) == 1 and "size" not in squares[0][0]["encoding"]
    assert len(squares[0][1]) == 3


def test_forest_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"forest_plot: missing column\(s\) \['weight'\]"):
        forest_plot(forest_rows().drop(columns="weight"), title="t")


# ---------------------------------------------------------------------------
# Other charts
# ---------------------------------------------------------------------------


def test_response_over_time_stacks_cr_at_the_bottom():
    spec = built("response")
    [(bar, rows)] = marks(spec, "bar")
    enc = bar["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"], enc["x"]["title"]) == (
        "month", "ordinal", "Months after the first dose")
    assert (enc["y"]["field"], enc["y"]["stack"]) == ("patients", "zero")
    assert enc["y"]["scale"]["domain"] == [0, 20]
    assert enc["color"]["scale"] == {"domain": ["CR", "PR", "NR"], "range": list(RESPONSE_COLOURS.values())}
    # Stack order = position in ["CR", "PR", "NR"], ascending: CR is stacked first, on the axis.
    assert enc["order"] == {"field": "stack_order", "type": "quantitative", "sort": "ascending"}
    assert bar["transform"] == [{"calculate": 'indexof(["CR", "PR", "NR"], datum.response)', "as": "stack_order"}]
    assert tooltip_fields(bar) == ["month", "response", "of_total", "percent"]
    # 4/20 = 20.0 %, 9/20 = 45.0 %
    assert [(r["month"], r["response"], r["of_total"], r["percent"]) for r in rows][:1] == [
        (1, "CR", "4 of 20", "20.0%")]
    assert rows[5]["percent"] == "45.0%"


def test_platelet_trajectories_omit_missing_counts_and_draw_thresholds():
    spec = built("trajectories")
    [(line, rows)] = marks(spec, "line")
    [(points, point_rows)] = marks(spec, "circle")
    # 10 cells, 2 not measured -> 8 points; patient 2 keeps months 0, 1, 3.
    assert len(rows) == len(point_rows) == 8
    assert [r["month"] for r in rows if r["patient"] == 2] == [0, 1, 3]
    assert line["encoding"]["detail"]["field"] == "patient"
    x, y = line["encoding"]["x"], line["encoding"]["y"]
    assert (x["field"], x["type"], x["axis"]["values"]) == ("month", "quantitative", [0, 1, 3, 6, 12])
    assert y["title"] == "Platelet count (×10⁹/L)"
    [(rule, limits)] = marks(spec, "rule")
    assert [r["platelets"] for r in limits] == [30, 100]
    assert rule["mark"]["strokeDash"] == [6, 4]
    assert rule["encoding"]["y"]["field"] == "platelets"
    [(_, labels)] = marks(spec, "text")
    assert [r["label"] for r in labels] == ["30: partial response threshold",
                                            "100: complete response threshold"]


def test_reported_vs_recomputed_colours_verdicts_and_draws_the_diagonal():
    spec = built("audit")
    [(point, rows)] = marks(spec, "point")
    enc = point["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"]) == ("recomputed", "reported")
    assert enc["x"]["scale"]["domain"] == enc["y"]["scale"]["domain"] == [0, 100]
    assert enc["color"]["scale"] == {"domain": list(VERDICT_COLOURS), "range": list(VERDICT_COLOURS.values())}
    assert enc["color"]["legend"]["title"] == "Verdict"
    assert tooltip_fields(point) == ["evidence_id", "study", "rows", "reported", "recomputed", "verdict",
                                     "explanation"]
    # The row without a recomputed value cannot be placed; each other row is its own point.
    assert sorted(r["evidence_id"] for r in rows) == ["a-1", "a-2", "a-3"]
    assert [r["rows"] for r in rows] == [1, 1, 1]
    [(diagonal, _)] = marks(spec, "rule")
    d = diagonal["encoding"]
    assert [d[c]["datum"] for c in ("x", "y", "x2", "y2")] == [0, 0, 100, 100]


def test_reported_vs_recomputed_draws_equal_rows_as_one_sized_point():
    rows = pd.concat([audit_rows()] * 3, ignore_index=True)
    rows["evidence_id"] = [f"r-{i:02d}" for i in range(len(rows))]
    rows.loc[rows["evidence_id"] == "r-04", "study"] = "other_study"  # a copy of a-1 from another study
    spec = reported_vs_recomputed(rows, title="t").to_dict()
    [(point, points)] = marks(spec, "point")
    by_verdict = {p["verdict"]: p for p in points}
    assert len(points) == 3 and {p["rows"] for p in points} == {3}
    assert by_verdict["consistent"]["evidence_id"] == "r-00 and 2 more rows"
    assert by_verdict["consistent"]["study"] == "zhang_2021 and 1 more studies"
    assert by_verdict["rounding_variant"]["study"] == "zhang_2021"
    assert "subtitle" not in spec["title"]


def test_reported_vs_recomputed_groups_many_rows_into_cells():
    rng = np.random.default_rng(3)
    recomputed = rng.uniform(0, 100, 3_000)
    rows = pd.DataFrame({"evidence_id": [f"r-{i}" for i in range(3_000)], "study": "s",
                         "reported": np.round(recomputed, 1), "recomputed": recomputed,
                         "verdict": "consistent", "explanation": ""})
    rows.loc[0, ["reported", "recomputed"]] = [100.0, 100.0]  # the top edge falls in the last cell
    spec = reported_vs_recomputed(rows, title="t", max_points=150).to_dict()
    [(_, points)] = marks(spec, "point")
    assert len(points) <= 150 and sum(p["rows"] for p in points) == 3_000
    # 100 cells of 1 point along the diagonal and their neighbours are too many; 2-point cells fit.
    assert spec["title"]["subtitle"] == "3,000 numbers grouped into 2-point cells"
    centres = {(p["recomputed"], p["reported"]) for p in points}
    assert all(x % 2 == 1 and y % 2 == 1 for x, y in centres)  # centres of [0, 2), [2, 4), ...
    assert (99.0, 99.0) in centres and max(x for x, _ in centres) == 99.0
    [row_100] = [p for p in points if (p["recomputed"], p["reported"]) == (99.0, 99.0)]
    expected = int(((rows["recomputed"] >= 98) & (rows["reported"] >= 98)).sum())  # incl. the 100.0 row
    assert row_100["rows"] == expected


def test_reported_vs_recomputed_rejects_an_unknown_verdict():
    rows = audit_rows().assign(verdict="plausible")
    with pytest.raises(ValueError, match="plausible"):
        reported_vs_recomputed(rows, title="t")


def declared_width(spec: dict) -> int:
    """Width in pixels the spec asks for: panels side by side add up, stacked ones take the widest."""
    if "hconcat" in spec:
        panels = spec["hconcat"]
        return sum(declared_width(p) for p in panels) + spec.get("spacing", 20) * (len(panels) - 1)
    if "vconcat" in spec:
        return max(declared_width(p) for p in spec["vconcat"])
    return spec["width"]


@pytest.mark.parametrize("name, width", [("forest", 560), ("forest-unpooled", 560), ("response", 380),
                                         ("trajectories", 480), ("audit", 400)])
def test_every_chart_is_titled_transparent_and_of_fixed_width(name, width):
    spec = built(name)
    assert spec["title"]["text"]
    assert spec["background"] == "transparent"
    assert spec["config"]["view"]["stroke"] is None
    assert declared_width(spec) == width <= charts.WIDTH


# ---------------------------------------------------------------------------
# Only the encoded columns reach the page
# ---------------------------------------------------------------------------


def referenced_fields(node) -> set[str]:
    """Every field an encoding names, and every ``datum.X`` an expression reads."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "field" and isinstance(value, str):
                found.add(value)
            elif key != "datasets":
                found |= referenced_fields(value)
    elif isinstance(node, list):
        for value in node:
            found |= referenced_fields(value)
    elif isinstance(node, str):
        found |= set(re.findall(r"datum\.(\w+)", node))
    return found


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_datasets_hold_only_encoded_columns(name):
    chart = BUILDERS[name]()
    spec = chart.to_dict()
    used = referenced_fields(spec)
    inline = [d["values"] for u, d in units(spec) if d and "values" in d]
    for rows in list(spec.get("datasets", {}).values()) + inline:
        for row in rows:
            assert set(row) <= used, f"unencoded columns {set(row) - used}"
    page = embed_html(chart, name)
    assert "secret_unused" not in page and SECRET not in page


def test_forest_dataset_columns_are_exactly_the_display_columns():
    spec = built("forest-unpooled")
    [rows] = [d for d in spec["datasets"].values() if "label" in d[0]]
    assert set(rows[0]) == {"row", "label", "label_lines", "evidence_id", "events_total", "percent", "right_text",
                            "proportion", "ci_low", "ci_high", "ci_text", "weight", "quote",
                            "location", "note"}


# ---------------------------------------------------------------------------
# embed_html and show
# ---------------------------------------------------------------------------

CHILD = """
import sys
sys.path.insert(0, {tests!r})
import hashlib, test_charts
from rtxreview.charts import embed_html
html = embed_html(test_charts.BUILDERS["forest"](), "forest-1")
print(hashlib.sha256(html.encode()).hexdigest(), len(html.encode()))
"""


def spec_from_html(page: str, element: str) -> dict:
    prefix = f'<script type="text/javascript">rtxCharts.embed("{element}", '
    start = page.index(prefix) + len(prefix)
    end = page.rindex(");</script>")
    return json.loads(page[start:end])


def test_embed_html_layout_and_round_trip():
    chart = BUILDERS["forest"]()
    page = embed_html(chart, "forest-1")
    lines = page.split("\n")
    assert lines[0] == ('<div class="rtx-chart" id="rtx-chart-forest-1" role="figure" '
                        'aria-label="Overall response"></div>')
    assert lines[1].startswith("<noscript>") and lines[1].endswith("</noscript>")
    assert lines[2].startswith('<script type="text/javascript">rtxCharts.embed("rtx-chart-forest-1", {')
    assert lines[2].endswith("});</script>")
    # The escaped JSON is still JSON, and reads back as exactly the chart's spec.
    assert spec_from_html(page, "rtx-chart-forest-1") == chart.to_dict()


def test_embed_html_refuses_an_invalid_spec():
    import altair as alt
    import jsonschema

    def composed(width):
        # A size given to the constructor is checked by nothing but the validation of the spec.
        return alt.hconcat(alt.Chart(pd.DataFrame({"a": [1, 2]}), width=width).mark_point().encode(x=alt.X("a:Q")))

    embed_html(composed(300), "valid")
    with pytest.raises(jsonschema.ValidationError, match="wide"):
        embed_html(composed("wide"), "invalid")


def test_embed_html_is_deterministic_within_and_across_processes():
    first = embed_html(BUILDERS["forest"](), "forest-1")
    second = embed_html(BUILDERS["forest"](), "forest-1")
    assert first == second
    digest = hashlib.sha256(first.encode()).hexdigest()
    child = CHILD.format(tests=str(Path(__file__).parent))
    outputs = {subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True,
                              cwd=REPO).stdout.split()[0] for _ in range(2)}
    assert outputs == {digest}


def test_embed_html_has_no_cdn_and_no_random_ids():
    page = embed_html(BUILDERS["forest"](), "forest-1")
    assert "cdn.jsdelivr" not in page and "cdn." not in page and "<script src" not in page
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", page)
    # The only element ids are the one asked for (Altair's renderer writes "vis" + a uuid).
    assert re.findall(r'id="([^"]*)"', page) == ["rtx-chart-forest-1"]


@pytest.mark.parametrize("attack", [SCRIPT_ATTACK, HTML_ATTACK])
def test_embed_html_neutralises_html_in_the_data(attack):
    rows = forest_rows().assign(quote=attack, label=attack, note=attack + " & more")
    page = embed_html(forest_plot(rows, None, title="t"), "x")
    assert attack not in page
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert page.count("<") == 6  # <div>, </div>, <noscript>, </noscript>, <script>, </script>
    escaped = attack.replace("<", "\\u003c").replace(">", "\\u003e")
    assert escaped in page and "\\u0026 more" in page
    spec = spec_from_html(page, "rtx-chart-x")
    [rows_out] = [d for d in spec["datasets"].values() if "quote" in d[0]]
    assert rows_out[0]["quote"] == attack  # the reader still sees the text as written


def test_embed_html_escapes_the_title_in_the_label():
    chart = forest_plot(forest_rows(), None, title='Response <b>"all"</b> & more')
    first_line = embed_html(chart, "t").split("\n")[0]
    assert 'aria-label="Response &lt;b&gt;&quot;all&quot;&lt;/b&gt; &amp; more"' in first_line


@pytest.mark.parametrize("bad", ["", "Forest", "a_b", "a b", "a\n", "../x", 'a"b', "é", None, 3])
def test_embed_html_rejects_bad_ids(bad):
    with pytest.raises(ValueError):
        embed_html(BUILDERS["response"](), bad)


def test_show_wraps_embed_html():
    chart = BUILDERS["response"]()
    assert show(chart, "r-1").data == embed_html(chart, "r-1")


# ---------------------------------------------------------------------------
# Rendering with the shipped Vega builds (Node.js)
# ---------------------------------------------------------------------------

NODE = shutil.which("node")


def vega_dir() -> Path | None:
    """The vega and vega-lite UMD builds the book serves, if present."""
    built = REPO / "_static" / "vega"
    if (built / "vega.min.js").is_file() and (built / "vega-lite.min.js").is_file():
        return built
    modules = REPO / "node_modules"
    if (modules / "vega/build/vega.min.js").is_file() and (modules / "vega-lite/build/vega-lite.min.js").is_file():
        return modules
    return None


RENDER_JS = r"""
// Compile a Vega-Lite spec with the shipped UMD builds, render it headless and report
// warnings, the SVG and every data mark item with absolute coordinates.
const fs = require("fs"), vm = require("vm"), path = require("path");
const [dir, specPath] = process.argv.slice(2);
globalThis.window = globalThis; globalThis.self = globalThis;
const file = (name, sub) => fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : path.join(dir, sub, "build", name);
vm.runInThisContext(fs.readFileSync(file("vega.min.js", "vega"), "utf8"));
vm.runInThisContext(fs.readFileSync(file("vega-lite.min.js", "vega-lite"), "utf8"));
const warnings = [];
const logger = (tag) => ({level() { return this; }, info() { return this; }, debug() { return this; },
  warn(...a) { warnings.push(tag + ": " + a.join(" ")); return this; },
  error(...a) { warnings.push(tag + " error: " + a.join(" ")); return this; }});
const spec = JSON.parse(fs.readFileSync(specPath, "utf8"));
const vg = vegaLite.compile(spec, {config: {background: null}, logger: logger("vega-lite")}).spec;
const view = new vega.View(vega.parse(vg), {renderer: "none", logger: logger("vega")});
function walk(node, dx, dy, out) {
  for (const item of node.items || []) {
    if (node.marktype === "group") {
      for (const child of item.items || []) walk(child, dx + (item.x || 0), dy + (item.y || 0), out);
    } else if (node.role === "mark") {
      out.push({mark: node.name, type: node.marktype, x: dx + (item.x || 0), y: dy + (item.y || 0),
        y2: item.y2 === undefined ? null : dy + item.y2, height: item.height ?? null,
        size: item.size ?? null, text: item.text ?? null, datum: item.datum});
    }
  }
}
view.toSVG().then((svg) => {
  const items = [];
  walk(view.scenegraph().root, 0, 0, items);
  process.stdout.write(JSON.stringify({warnings, svg, items}));
}, (error) => process.stdout.write(JSON.stringify({warnings: warnings.concat(["failed: " + error]), svg: "", items: []})));
"""


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    """Render a chart with Node.js; skips without Node.js or the Vega builds."""
    directory = vega_dir()
    if NODE is None or directory is None:
        unavailable("needs Node.js and the Vega builds (_static/vega or node_modules)")
    work = tmp_path_factory.mktemp("render")
    script = work / "render.js"
    script.write_text(RENDER_JS, encoding="utf-8")

    def run(chart) -> dict:
        spec_file = work / "spec.json"
        spec_file.write_text(json.dumps(chart.to_dict()), encoding="utf-8")
        done = subprocess.run([NODE, str(script), str(directory), str(spec_file)], capture_output=True,
                              text=True, timeout=120, check=True)
        return json.loads(done.stdout)

    return run


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_chart_renders_without_warnings(render, name):
    result = render(BUILDERS[name]())
    assert result["warnings"] == []
    assert result["svg"].startswith("<svg") and len(result["items"]) > 0


def test_rendered_forest_rows_line_up_and_squares_scale_with_weight(render):
    items = render(BUILDERS["forest"]())["items"]
    labels = {i["datum"]["row"]: i["y"] for i in items if i["type"] == "text"
              and i["text"] == i["datum"].get("label_lines")}
    numbers = {i["datum"]["row"]: i["y"] for i in items if i["type"] == "text"
               and i["text"] == i["datum"].get("right_text")}
    squares = {i["datum"]["row"]: i for i in items if i["type"] == "symbol"}
    # Rows top to bottom in input order, and each label beside its own square and number.
    assert sorted(labels, key=labels.get) == [0, 1, 2, 3.5]
    for row in (0, 1, 2):
        assert labels[row] == pytest.approx(squares[row]["y"]) == pytest.approx(numbers[row])
    # Weights 0.25 and 0.75: areas in the ratio 1:3, the largest at MAX_SQUARE_AREA.
    assert squares[1]["size"] == pytest.approx(charts.MAX_SQUARE_AREA)
    assert squares[0]["size"] == pytest.approx(charts.MAX_SQUARE_AREA / 3)
    assert squares[2]["size"] == charts.UNWEIGHTED_SQUARE_AREA
    # The diamond: zero height at the interval limits, full height at the estimate,
    # and centred on the pooled row's label.
    diamond = sorted((i for i in items if i["type"] == "area"), key=lambda i: i["x"])
    heights = [round(v["y2"] - v["y"], 6) for v in diamond]
    assert heights[0] == heights[2] == 0 and heights[1] == pytest.approx(2 * charts.DIAMOND_HALF_HEIGHT, rel=0.05)
    assert diamond[0]["y"] == pytest.approx(labels[3.5])


def test_rendered_response_bars_put_cr_on_the_axis(render):
    items = render(BUILDERS["response"]())["items"]
    bars = {(i["datum"]["month"], i["datum"]["response"]): i for i in items if i["type"] == "rect"}
    for month in (1, 3):
        bottom = {r: bars[month, r]["y"] + bars[month, r]["height"] for r in ("CR", "PR", "NR")}
        # SVG y grows downwards: CR ends on the x axis (y = 300), PR sits on CR, NR on PR.
        assert bottom["CR"] == pytest.approx(300)
        assert bottom["PR"] == pytest.approx(bars[month, "CR"]["y"])
        assert bottom["NR"] == pytest.approx(bars[month, "PR"]["y"])
    # 20 patients fill the axis: NR's top is at the top of the plot.
    assert bars[1, "NR"]["y"] == pytest.approx(0)


def test_rendered_thresholds_are_labelled(render):
    result = render(BUILDERS["trajectories"]())
    texts = [i["text"] for i in result["items"] if i["type"] == "text"]
    assert texts == ["30: partial response threshold", "100: complete response threshold"]
    assert len([i for i in result["items"] if i["type"] == "symbol"]) == 8


# ---------------------------------------------------------------------------
# _static/rtx-charts.js in a fake DOM (Node.js)
# ---------------------------------------------------------------------------

JS_HARNESS = r"""
// Runs _static/rtx-charts.js against a minimal fake browser and reports what happened.
const fs = require("fs"), vm = require("vm");
const source = fs.readFileSync(process.argv[2], "utf8");
const scenario = process.argv[3];

function browser({vega = "resolve", theme = "light", mode = null, mediaDark = false, readyState = "complete"}) {
  const errors = [], calls = [], views = [], domListeners = [], observers = [], mediaListeners = [];
  const attributes = {"data-theme": theme, "data-mode": mode};
  const root = {getAttribute: (name) => attributes[name] ?? null};
  const element = {id: "rtx-chart-a", textContent: "", style: {}};
  const document = {documentElement: root, readyState,
    getElementById: (id) => (id === element.id ? element : null),
    addEventListener: (type, fn) => domListeners.push([type, fn])};
  const media = {get matches() { return env.mediaDark; }, addEventListener: (t, fn) => mediaListeners.push(fn)};
  const window = {document, console: {error: (...a) => errors.push(a.map(String).join(" "))},
    matchMedia: () => media,
    MutationObserver: class { constructor(fn) { this.fn = fn; observers.push(this); }
                              observe(target, options) { this.target = target; this.options = options; } }};
  const env = {window, element, errors, calls, views, domListeners, observers, mediaListeners, attributes, mediaDark,
    pending: []};
  if (vega !== "absent") window.vegaEmbed = (selector, spec, options) => {
    calls.push({selector, spec, options});
    if (vega === "throw") throw new Error("boom");
    if (vega === "reject") return Promise.reject(new Error("bad spec"));
    const view = {finalized: 0, finalize() { this.finalized += 1; }};
    views.push(view);
    if (vega === "manual") return new Promise((resolve) => env.pending.push(() => resolve(view)));
    return Promise.resolve(view);
  };
  window.window = window;
  vm.createContext(window);
  vm.runInContext(source, window);
  return env;
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const setTheme = async (env, theme) => {
  env.attributes["data-theme"] = theme;
  env.observers.forEach((o) => o.fn([{attributeName: "data-theme"}]));
  await tick();
};
const spec = {mark: "point", data: {values: [{a: 1}]}};
const summary = (env) => ({errors: env.errors, text: env.element.textContent,
  calls: env.calls.map((c) => ({selector: c.selector, same: JSON.stringify(c.spec) === JSON.stringify(spec),
                                copy: c.spec !== spec, options: c.options})),
  finalized: env.views.map((v) => v.finalized),
  observed: env.observers.map((o) => o.target === env.window.document.documentElement ? o.options : null)});

const scenarios = {
  async missing() {
    const env = browser({vega: "absent"});
    env.window.rtxCharts.embed("rtx-chart-a", spec);
    return summary(env);
  },
  async deferred() {  // Vega scripts arrive after the inline call but before DOMContentLoaded
    const env = browser({vega: "absent", readyState: "loading"});
    env.window.rtxCharts.embed("rtx-chart-a", spec);
    const before = env.element.textContent;
    env.window.vegaEmbed = (selector, s, options) => { env.calls.push({selector, spec: s, options});
      const view = {finalized: 0, finalize() { this.finalized += 1; }}; env.views.push(view); return Promise.resolve(view); };
    env.window.document.readyState = "interactive";
    env.domListeners.filter(([t]) => t === "DOMContentLoaded").forEach(([, fn]) => fn());
    await tick();
    return {before, ...summary(env)};
  },
  async themes() {  // light, then dark, then light again
    const env = browser({});
    env.window.rtxCharts.embed("rtx-chart-a", spec);
    await tick();
    await setTheme(env, "dark");
    await setTheme(env, "dark");  // no change: no redraw
    await setTheme(env, "light");
    return summary(env);
  },
  async auto() {  // "auto" follows the system, and redraws when the system changes
    const env = browser({theme: "auto", mediaDark: true});
    env.window.rtxCharts.embed("rtx-chart-a", spec);
    await tick();
    env.mediaDark = false;
    env.mediaListeners.forEach((fn) => fn({matches: false}));
    await tick();
    return summary(env);
  },
  async busy() {  // a theme change while the first drawing is still under way
    const env = browser({vega: "manual"});
    env.window.rtxCharts.embed("rtx-chart-a", spec);
    await setTheme(env, "dark");
    const callsWhileBusy = env.calls.length;
    env.pending.shift()();
    await tick();
    return {callsWhileBusy, ...summary(env)};
  },
  async failures() {
    const out = {};
    for (const vega of ["throw", "reject"]) {
      const env = browser({vega});
      env.window.rtxCharts.embed("rtx-chart-a", spec);
      await tick();
      out[vega] = summary(env);
    }
    const env = browser({});
    env.window.rtxCharts.embed("rtx-chart-missing", spec);
    out.noElement = summary(env);
    return out;
  },
};
scenarios[scenario]().then((result) => process.stdout.write(JSON.stringify(result)),
  (error) => { process.stdout.write(JSON.stringify({thrown: String(error)})); });
"""

MESSAGE = ("This chart needs the book's own script files (_static/vega); "
           "open the book from its built folder.")


def embed_options(ink: str, background: str, grid: str, theme: str) -> dict:
    """What rtx-charts.js passes to vega-embed: text, rules and axes in the page's ink."""
    guide = {"labelColor": ink, "titleColor": ink}
    return {"renderer": "svg", "actions": False,
            "config": {"background": None, "title": {"color": ink, "subtitleColor": ink},
                       "axis": {**guide, "domainColor": ink, "tickColor": ink, "gridColor": grid},
                       "legend": {**guide, "symbolStrokeColor": ink, "symbolFillColor": ink},
                       "header": guide, "text": {"color": ink}, "rule": {"color": ink},
                       "bar": {"stroke": background, "strokeWidth": 1}},
            "tooltip": {"theme": theme}}


# The fake DOM has no getComputedStyle, so the theme's own colours are used. The grid is a
# quarter ink, three quarters background, rounded: light 0.25*34 + 0.75*255 = 199.75 -> 200, ...;
# dark 0.25*206 + 0.75*18 = 65, 0.25*214 + 13.5 = 67, 0.25*221 + 13.5 = 68.75 -> 69.
LIGHT = embed_options("rgb(34, 40, 50)", "rgb(255, 255, 255)", "rgb(200, 201, 204)", "light")
DARK = embed_options("rgb(206, 214, 221)", "rgb(18, 18, 18)", "rgb(65, 67, 69)", "dark")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Run a scenario of the fake-browser harness; skips without Node.js."""
    if NODE is None:
        unavailable("needs Node.js")
    harness = tmp_path_factory.mktemp("js") / "harness.js"
    harness.write_text(JS_HARNESS, encoding="utf-8")
    script = REPO / "_static" / "rtx-charts.js"

    def run(scenario: str) -> dict:
        done = subprocess.run([NODE, str(harness), str(script), scenario], capture_output=True, text=True,
                              timeout=60, check=True)
        result = json.loads(done.stdout)
        assert "thrown" not in result, result
        return result

    return run


def test_js_without_vega_shows_a_message(browser):
    result = browser("missing")
    assert result["text"] == MESSAGE
    assert result["calls"] == [] and result["errors"] == []


def test_js_waits_for_deferred_vega_scripts(browser):
    result = browser("deferred")
    assert result["before"] == ""
    assert [c["selector"] for c in result["calls"]] == ["#rtx-chart-a"]
    assert result["text"] == "" and result["errors"] == []


def test_js_embeds_as_svg_and_redraws_on_theme_change(browser):
    result = browser("themes")
    assert [c["options"] for c in result["calls"]] == [LIGHT, DARK, LIGHT]
    assert all(c["selector"] == "#rtx-chart-a" and c["same"] and c["copy"] for c in result["calls"])
    # Each redraw finalizes the view it replaces; the last one is still live.
    assert result["finalized"] == [1, 1, 0]
    assert result["observed"] == [{"attributes": True, "attributeFilter": ["data-theme", "data-mode"]}]
    assert result["errors"] == []


def test_js_auto_theme_follows_the_system(browser):
    result = browser("auto")
    assert [c["options"] for c in result["calls"]] == [DARK, LIGHT]
    assert result["finalized"] == [1, 0]


def test_js_never_draws_twice_into_one_element_at_once(browser):
    result = browser("busy")
    assert result["callsWhileBusy"] == 1
    assert [c["options"]["tooltip"]["theme"] for c in result["calls"]] == ["light", "dark"]
    assert result["finalized"] == [1, 0]


def test_js_logs_failures_and_never_throws(browser):
    result = browser("failures")
    for case in ("throw", "reject"):
        assert len(result[case]["calls"]) == 1
        assert len(result[case]["errors"]) == 1 and "could not draw rtx-chart-a" in result[case]["errors"][0]
    assert result["noElement"]["calls"] == []
    assert result["noElement"]["errors"] == ["rtxCharts: no element with id rtx-chart-missing"]


# ---------------------------------------------------------------------------
# _static/rtx-charts.js with the real vega-embed in Chromium
# ---------------------------------------------------------------------------

CHROMIUM = os.environ.get("RTXREVIEW_CHROMIUM", "/usr/bin/chromium")
VEGA_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")


def vega_files() -> list[Path] | None:
    """The three UMD builds the book serves, from _static/vega or node_modules."""
    built = [REPO / "_static" / "vega" / name for name in VEGA_FILES]
    modules = [REPO / "node_modules" / name.removesuffix(".min.js") / "build" / name for name in VEGA_FILES]
    for files in (built, modules):
        if all(f.is_file() for f in files):
            return files
    return None


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium through Playwright; skips when either (or the Vega builds) is absent."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file() or vega_files() is None:
        unavailable("needs Chromium and the Vega builds")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def open_page(browser, folder: Path, body: str, with_vega: bool = True):
    """A page like the book's: the scripts in <head>, the chart HTML in <body>, no network."""
    names = []
    for source in (vega_files() if with_vega else []) + [REPO / "_static" / "rtx-charts.js"]:
        shutil.copy(source, folder / source.name)
        names.append(source.name)
    scripts = "".join(f'<script src="{name}"></script>' for name in names)
    page_file = folder / "page.html"
    # The theme's dark mode, as far as a chart sees it: light text on a dark page.
    theme = '<style>html[data-theme="dark"] body { background: #121212; color: #ced6dd; }</style>'
    page_file.write_text(f'<!DOCTYPE html><html data-theme="light"><head><meta charset="utf-8">{theme}{scripts}</head>'
                         f"<body>{body}</body></html>", encoding="utf-8")
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else (problems.append(route.request.url), route.abort()))
    page.goto(page_file.as_uri())
    return page, problems


def luminance(colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of a computed "rgb(r, g, b)" colour."""
    channels = [int(v) / 255 for v in re.findall(r"\d+", colour)[:3]]
    return sum(w * c for w, c in zip((0.2126, 0.7152, 0.0722), channels))


INK = """() => {
  const svg = document.querySelector('#rtx-chart-forest svg');
  const style = (selector, property) => getComputedStyle(svg.querySelector(selector))[property];
  return {label: style('.role-mark text', 'fill'), axis: style('.role-axis-title text', 'fill'),
          rule: style('.role-mark line', 'stroke'), svgs: document.querySelectorAll('#rtx-chart-forest svg').length};
}"""


def test_browser_draws_the_chart_and_follows_the_page_theme(chromium, tmp_path):
    page, problems = open_page(chromium, tmp_path, embed_html(BUILDERS["forest"](), "forest"))
    try:
        page.wait_for_selector("#rtx-chart-forest svg .role-mark text", timeout=15000)
        light = page.evaluate(INK)
        page.evaluate("document.documentElement.dataset.theme = 'dark'")
        page.wait_for_function(f"() => ({INK})().axis !== {json.dumps(light['axis'])}", timeout=15000)
        dark = page.evaluate(INK)
        # Labels, CI lines and axis titles are dark on the light page and light on the dark one.
        for part in ("label", "axis", "rule"):
            assert luminance(light[part]) < 0.3 < 0.7 < luminance(dark[part]), (part, light, dark)
        assert light["svgs"] == dark["svgs"] == 1  # the light view was replaced, not left beside it
        assert problems == []
    finally:
        page.close()


def test_browser_without_vega_scripts_shows_the_message(chromium, tmp_path):
    page, problems = open_page(chromium, tmp_path, embed_html(BUILDERS["response"](), "r"), with_vega=False)
    try:
        page.wait_for_function("() => document.getElementById('rtx-chart-r').textContent !== ''", timeout=15000)
        assert page.inner_text("#rtx-chart-r") == MESSAGE
        assert problems == []
    finally:
        page.close()
