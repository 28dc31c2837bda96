"""Altair chart specifications for the review, and their offline embedding.

Every figure of the book is a Vega-Lite specification built here with Altair.
The book must render without a network, so charts are never shown with
Altair's default HTML renderer (which loads Vega from a CDN and writes a
random element id).  :func:`embed_html` instead writes a fixed ``<div>`` and a
call to ``rtxCharts.embed`` (``_static/rtx-charts.js``), which draws the chart
with the book's own copies of vega, vega-lite and vega-embed.

Design rules shared by the builders:

* Only the columns a chart encodes are passed to Altair, so a chart never
  carries a whole evidence table (or anything a reader should not see).
* Percentages printed in labels and tooltips are formatted in Python with the
  review's exact half-up rounding (:func:`rtxreview.rounding.round_exact`),
  so a chart never disagrees with the tables by a binary-float rounding.
* Vega-Lite cannot wrap text, so long forest-plot labels are wrapped here
  (as lists of lines, which Vega draws one under the other).
* Colours come from the Okabe-Ito palette (safe for colour-vision
  deficiencies) without its black, with orange and grey darkened so that every
  mark has a contrast of at least 3:1 (WCAG 2.1, 1.4.11) against both the light
  (#ffffff) and the dark (#121212) page.  Marks that Vega-Lite draws in black by
  default (text and rules: labels, confidence intervals, thresholds) and the
  axes are given no colour here: ``rtx-charts.js`` draws them in the text colour
  of the page behind the chart; the background is transparent.
* Every chart carries a ``description`` (its accessible name) and leaves
  its marks out of the accessibility tree: ``rtx-charts.js`` puts a table of
  the chart's numbers (its tooltip fields) under it instead.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from fractions import Fraction

import altair as alt
import pandas as pd

from rtxreview import text as fmt  # every number in a label or tooltip: the sentences' rules

__all__ = [
    "VERDICT_COLOURS",
    "RESPONSE_COLOURS",
    "forest_plot",
    "response_over_time",
    "platelet_trajectories",
    "reported_vs_recomputed",
    "embed_html",
    "show",
]

# Okabe & Ito (2008), "Color Universal Design"; black is left out because it
# vanishes on the dark theme.  A mark needs a contrast of 3:1 against the page, light
# (#ffffff) or dark (#121212): a relative luminance between about 0.12 and 0.30. Okabe-Ito's
# orange (#E69F00, 2.2:1 on white) and a #999999 grey (2.8:1) are too light, so they are
# darkened here (tests/test_accessibility.py measures the drawn charts).  Verdicts are also
# told apart by shape.
ORANGE = "#C47900"  # Okabe-Ito orange #E69F00, darkened: 3.4:1 on white, 5.4:1 on the dark page
GREY = "#888888"  # 3.5:1 on white, 5.3:1 on the dark page
VERDICT_COLOURS: dict[str, str] = {
    "consistent": "#009E73",  # bluish green
    "rounding_variant": "#0072B2",  # blue
    "test_dependent": ORANGE,
    "inconsistent": "#D55E00",  # vermillion
    "not_reported": "#CC79A7",  # reddish purple
    "not_checkable": GREY,
}
RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#009E73",  # complete response: bluish green
    "PR": ORANGE,  # partial response
    "NR": GREY,  # no response
}
STUDY_COLOUR = "#0072B2"  # Okabe-Ito blue: study estimates, trajectories
POOLED_COLOUR = "#D55E00"  # Okabe-Ito vermillion: the pooled diamond

WIDTH = 560  # pixels; fits the book's text column
ROW_STEP = 24  # pixels per forest-plot row of one-line labels
LINE_HEIGHT = 14  # pixels per extra line of a wrapped label
MAX_SQUARE_AREA = 300  # px², the square of the largest weight (about 17 px wide)
UNWEIGHTED_SQUARE_AREA = 64  # px², estimates that are not in a pooled analysis
DIAMOND_HALF_HEIGHT = 10  # pixels from the diamond's centre to its top
FONT_SIZE = 12
CHAR_WIDTH = 6.5  # average pixels per character of 12 px sans-serif, to size and wrap text
LABEL_WIDTH = 200  # pixels: the widest label column
MAX_LABEL_LINES = 3  # a longer label is cut with an ellipsis (the tooltip shows it whole)
NOTE_CHARS = 88  # characters per line of the note under the forest plot (11 px, 560 px)
PERCENT_AXIS = alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1.0])  # 5 labels fit ~200 px
FOREST_COLUMNS = ["label", "evidence_id", "events", "total", "proportion", "ci_low", "ci_high",
                  "weight", "quote", "location", "note"]
RESPONSE_LABELS = {"CR": "Complete response (CR)", "PR": "Partial response (PR)",
                   "NR": "No response (NR)"}
THRESHOLDS = ((30, "30: partial response threshold"), (100, "100: complete response threshold"))
_CHART_ID = re.compile(r"[a-z0-9-]+")
NUMBERS_NOTE = "The numbers are in the data table under the chart."


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _select(frame: pd.DataFrame, columns: list[str], chart: str) -> pd.DataFrame:
    """Keep only ``columns`` (the ones the chart encodes), in a fresh frame.

    Raises
    ------
    ValueError
        If a column is missing, naming the chart and the columns.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart}: missing column(s) {missing}")
    return frame.loc[:, columns].reset_index(drop=True)


def _exact_percent(events: int, total: int) -> str:
    """``events/total`` as ``"60.0%"``: the sentences' rule (rtxreview.text), from the exact count ratio."""
    return fmt.pct(Fraction(int(events), int(total)))


# Labels and tooltips print numbers with the same functions as the sentences and tables.
_percent = fmt.pct
_interval = fmt.interval_text


def _missing(value) -> bool:
    """True for None, NaN and pandas.NA (how an empty cell or an absent interval arrives)."""
    return value is None or bool(pd.isna(value))


def _text(series: pd.Series) -> pd.Series:
    """Free text for tooltips: empty cells become "" rather than null."""
    return series.astype(object).where(series.notna(), "").astype(str)


def _wrap(text: str, chars: int, max_lines: int | None = None) -> list[str]:
    """Break text into lines of at most ``chars`` characters (Vega draws a list as lines).

    Vega-Lite has no text wrapping, so long forest-plot labels and notes are
    wrapped here instead of being cut at the column's edge.
    """
    lines = textwrap.wrap(text, chars, break_on_hyphens=False) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = textwrap.shorten(lines[-1] + " …", chars, placeholder=" …")
    return lines


def _tooltip(pairs: list[tuple[str, str]]) -> list[alt.Tooltip]:
    """Tooltip entries from ``(field, title)``; every tooltip field is preformatted text."""
    return [alt.Tooltip(f"{field}:N", title=title) for field, title in pairs]


def _finish(chart, title: str, subtitle: str | None = None, description: str | None = None):
    """Title (and subtitle), description, transparent background and view style shared by every chart.

    The background stays transparent so that the page's own (light or dark)
    background shows; the JS supplies the theme's text and axis colours.

    The title and ``description`` become the drawn chart's accessible name (Vega writes
    them to the chart element's ``aria-label``): what the chart shows, its key numbers, and
    where the others are.  ``aria=False`` (for the chart and its marks) leaves marks and axes out of the
    accessibility tree, where Vega would name them with raw field names ("ci_low: 0.36; row: 0")
    or leave them unnamed: a screen reader reads the description and the table of the chart's
    numbers that ``rtx-charts.js`` adds under the chart.

    ``chart`` is the caller's newly built chart and is finished in place. Altair's
    ``.properties()`` and ``.configure_*()`` would validate each value on its own
    and copy the chart each time, and a copy of a layered or concatenated chart
    deep-copies every part of it: together a third of a forest plot's time
    (profiled). ``to_dict()`` still validates the whole chart when it is drawn.
    """
    chart.title = alt.Title(title, anchor="start", fontSize=15, **({"subtitle": subtitle} if subtitle else {}))
    chart.background = "transparent"
    chart.description = f"{title}. {description}. {NUMBERS_NOTE}" if description else f"{title}. {NUMBERS_NOTE}"
    chart.config = alt.Config(
        aria=False,
        mark=alt.MarkConfig(aria=False),
        view=alt.ViewConfig(stroke=None),
        axis=alt.AxisConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE),
        legend=alt.LegendConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE),
    )
    return chart


def _forest_description(est: pd.DataFrame, pooled: dict | None) -> str:
    """What a forest plot shows, with its range and pooled estimate, for a screen reader."""
    text = f"Forest plot of {len(est)} estimates of a proportion of patients, each with its 95% CI"
    if len(est):
        low, high = est["proportion"].idxmin(), est["proportion"].idxmax()
        text += f", from {est['percent'][low]} to {est['percent'][high]}"
    if pooled is not None:
        text += (f"; pooled estimate {_percent(pooled['estimate'])} "
                 f"(95% CI {_interval(pooled['ci_low'], pooled['ci_high'])}); {_heterogeneity_note(pooled)[0]}")
    return text


# ---------------------------------------------------------------------------
# Forest plot
# ---------------------------------------------------------------------------


def _forest_rows(rows: pd.DataFrame, label_chars: int) -> pd.DataFrame:
    """One display row per estimate: position, numbers and preformatted text."""
    data = _select(rows, FOREST_COLUMNS, "forest_plot")
    events_total = [f"{int(e)}/{int(t)}" for e, t in zip(data["events"], data["total"])]
    percent = [_exact_percent(e, t) for e, t in zip(data["events"], data["total"])]
    return pd.DataFrame({
        "row": range(len(data)),  # top-to-bottom position = input order
        "label": data["label"].astype(str),
        "label_lines": [_wrap(str(label), label_chars, MAX_LABEL_LINES) for label in data["label"]],
        "evidence_id": _text(data["evidence_id"]),
        "events_total": events_total,
        "percent": percent,
        "right_text": [f"{n} ({p})" for n, p in zip(events_total, percent)],
        "proportion": data["proportion"].astype(float),
        "ci_low": data["ci_low"].astype(float),
        "ci_high": data["ci_high"].astype(float),
        "ci_text": [_interval(lo, hi) for lo, hi in zip(data["ci_low"], data["ci_high"])],
        "weight": data["weight"].astype(float),
        "quote": _text(data["quote"]),
        "location": _text(data["location"]),
        "note": _text(data["note"]),
    })


FOREST_TOOLTIP = [("label", "Estimate"), ("evidence_id", "Evidence row"),
                  ("events_total", "Events/total"), ("percent", "Proportion"),
                  ("ci_text", "95% CI (Clopper-Pearson)"), ("quote", "Quote"),
                  ("location", "Location"), ("note", "Note")]


def _pooled_frames(pooled: dict, centre: float, half: float, label_chars: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pooled row (label, text, prediction interval) and the diamond's three vertices.

    Vega-Lite has no diamond mark with a data-driven width, so the diamond is
    drawn by hand as an area between ``y`` and ``y2``: zero height at the CI
    limits (the left and right tips) and a full row height at the estimate.
    """
    ci = _interval(pooled["ci_low"], pooled["ci_high"])
    info = {
        "row": centre,
        "label": str(pooled["label"]),
        "label_lines": _wrap(str(pooled["label"]), label_chars, MAX_LABEL_LINES),
        "estimate_text": _percent(pooled["estimate"]),
        "ci_text": ci,
        "pi_text": _interval(pooled.get("pi_low"), pooled.get("pi_high")),
        "right_text": f"{_percent(pooled['estimate'])} ({ci})",
        "method": str(pooled.get("method", "")),
    }
    vertices = pd.DataFrame([
        {"x": pooled["ci_low"], "y": centre, "y2": centre},
        {"x": pooled["estimate"], "y": centre - half, "y2": centre + half},
        {"x": pooled["ci_high"], "y": centre, "y2": centre},
    ]).astype(float)
    for key in ("label", "estimate_text", "ci_text", "pi_text", "method"):
        vertices[key] = info[key]  # the area's tooltip reads its first vertex
    row = pd.DataFrame([info])
    if not (_missing(pooled.get("pi_low")) or _missing(pooled.get("pi_high"))):
        row["pi_low"], row["pi_high"] = float(pooled["pi_low"]), float(pooled["pi_high"])
    return row, vertices


POOLED_TOOLTIP = [("label", "Pooled estimate"), ("estimate_text", "Proportion"),
                  ("ci_text", "95% CI (Hartung-Knapp)"), ("pi_text", "95% prediction interval"), ("method", "Method")]


def _heterogeneity_note(pooled: dict) -> list[str]:
    """Lines printed under the forest plot: heterogeneity (Q test and I²), method, how to read the marks."""
    i2 = "not estimable" if _missing(pooled.get("i2")) else f"{fmt.fixed(pooled['i2'], 1)}%"
    tau2 = "not estimable" if _missing(pooled.get("tau2")) else fmt.fixed(pooled["tau2"], 3)
    q = "" if _missing(pooled.get("q")) else (
        f"; Cochran's Q = {fmt.fixed(pooled['q'], 2)} ({pooled.get('q_df')} df, {_p_value(pooled.get('q_p'))})")
    lines = [f"Pooled: k = {pooled.get('k')} studies{q}; I² = {i2}; τ² = {tau2}",
             *_wrap(f"Method: {pooled.get('method', '')}", NOTE_CHARS)]
    if pooled.get("ci_method"):
        lines += _wrap(f"Diamond: 95% CI, {pooled['ci_method']}.", NOTE_CHARS)
    lines.append("Squares: area proportional to the weight in the pooled analysis; lines: 95% CI.")
    if not (_missing(pooled.get("pi_low")) or _missing(pooled.get("pi_high"))):
        lines.append("Thin line through the diamond: 95% prediction interval.")
    elif pooled.get("prediction_interval_reason"):
        lines += _wrap(pooled["prediction_interval_reason"][:1].upper() + pooled["prediction_interval_reason"][1:] + ".",
                       NOTE_CHARS)
    return lines


def _p_value(p) -> str:
    """Cochran's Q p-value for the note: ``p = 0.039`` (two significant digits), ``p < 0.001`` below."""
    return fmt.p_text(p)


def _note_chart(lines: list[str]) -> alt.Chart:
    """Lines of text under the forest plot, the full width of the chart."""
    return alt.Chart(alt.InlineData(values=[{"note": lines}]), width=WIDTH, height=16 * len(lines)).mark_text(
        align="left", baseline="top", fontSize=FONT_SIZE - 1, lineHeight=16
    ).encode(x=alt.XValue(0), y=alt.YValue(0), text=alt.Text("note:N"))


def _row_step(labels: list[str], label_chars: int) -> int:
    """Pixels per row: rows grow with the longest wrapped label, so wrapped lines never overlap."""
    lines = max((len(_wrap(label, label_chars, MAX_LABEL_LINES)) for label in labels), default=1)
    return ROW_STEP + LINE_HEIGHT * (lines - 1)


def _row_scale(lo: float, hi: float) -> alt.Scale:
    """The shared quantitative row-position scale (row 0 at the top).

    Quantitative rather than nominal so that the diamond can span part of a
    row; every panel uses the same explicit domain so that rows line up.
    """
    return alt.Scale(domain=[lo, hi], reverse=True, nice=False, zero=False)


def _header(text: str, y: alt.Y) -> alt.Chart:
    """A bold column header, drawn as text in a row above the first estimate."""
    return alt.Chart(alt.InlineData(values=[{"row": -1.3, "header": text}])).mark_text(
        align="left", baseline="middle", fontSize=FONT_SIZE, fontWeight="bold"
    ).encode(x=alt.XValue(0), y=y, text=alt.Text("header:N"))


def _text_panel(est, pooled_row, field, header, y, width, height):
    """A column of text (labels at the left, numbers at the right of the plot)."""
    text = dict(align="left", baseline="middle", fontSize=FONT_SIZE, lineHeight=LINE_HEIGHT, limit=width)
    layers = [_header(header, y),
              alt.Chart(est).mark_text(**text).encode(
                  x=alt.XValue(0), y=y, text=alt.Text(f"{field}:N"), tooltip=_tooltip(FOREST_TOOLTIP))]
    if pooled_row is not None:
        layers.append(alt.Chart(pooled_row).mark_text(fontWeight="bold", **text).encode(
            x=alt.XValue(0), y=y, text=alt.Text(f"{field}:N"), tooltip=_tooltip(POOLED_TOOLTIP)))
    return alt.layer(*layers, width=width, height=height)


def _estimate_layers(est: pd.DataFrame, x_axis: alt.X, y: alt.Y) -> list[alt.Chart]:
    """CI lines and squares (area proportional to weight; fixed size without a weight)."""
    base = alt.Chart(est).encode(y=y, tooltip=_tooltip(FOREST_TOOLTIP))
    layers = [base.mark_rule(strokeWidth=1.5).encode(x=x_axis, x2=alt.X2("ci_high:Q"))]
    weights = est["weight"].dropna()
    if len(weights):
        # Square marks' size is an area, and a zero-based linear scale keeps it
        # proportional to the weight; the largest weight gets MAX_SQUARE_AREA.
        size = alt.Size("weight:Q", legend=None,
                        scale=alt.Scale(domain=[0, float(weights.max())], range=[0, MAX_SQUARE_AREA]))
        layers.append(base.transform_filter("isValid(datum.weight)").mark_square(
            color=STUDY_COLOUR, opacity=1).encode(x=alt.X("proportion:Q"), size=size))
    if weights.size < len(est):
        layers.append(base.transform_filter("!isValid(datum.weight)").mark_square(
            color=STUDY_COLOUR, opacity=1, size=UNWEIGHTED_SQUARE_AREA).encode(x=alt.X("proportion:Q")))
    return layers


def _pooled_layers(row: pd.DataFrame, vertices: pd.DataFrame, scale: alt.Scale) -> list[alt.Chart]:
    """Prediction interval (thin line, drawn first so the diamond covers its middle) and diamond."""
    layers = []
    if "pi_low" in row.columns:
        layers.append(alt.Chart(row).mark_rule(strokeWidth=1).encode(
            x=alt.X("pi_low:Q"), x2=alt.X2("pi_high:Q"), y=alt.Y("row:Q", scale=scale, axis=None),
            tooltip=_tooltip(POOLED_TOOLTIP)))
    layers.append(alt.Chart(vertices).mark_area(color=POOLED_COLOUR, opacity=1, line=False).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q", scale=scale, axis=None), y2=alt.Y2("y2:Q"),
        tooltip=_tooltip(POOLED_TOOLTIP)))
    return layers


def _panel_widths(labels: list[str]) -> tuple[int, int, int]:
    """Widths of the label, plot and number panels, adding up to WIDTH.

    The label panel is sized from the longest label, up to LABEL_WIDTH;
    longer labels are wrapped to that width.
    """
    longest = max((len(label) for label in labels), default=10)
    left = int(min(LABEL_WIDTH, max(130, CHAR_WIDTH * longest + 8)))
    right = 130
    return left, WIDTH - left - right - 2 * 8, right


def forest_plot(rows: pd.DataFrame, pooled: dict | None = None, *, title: str,
                x_title: str = "Proportion of patients (95% CI)", not_pooled: str | None = None
                ) -> alt.TopLevelMixin:
    """Classic horizontal forest plot of proportions, optionally with a pooled diamond.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per estimate, drawn top to bottom in input order, with columns
        ``label, evidence_id, events, total, proportion, ci_low, ci_high,
        weight, quote, location, note`` (``study`` and other columns are
        ignored).  ``weight`` is the relative weight in the pooled analysis,
        NaN for an estimate that is not pooled.
    pooled : dict, optional
        ``label, estimate, ci_low, ci_high, pi_low, pi_high, method, i2, tau2, k``
        and, when known, ``q, q_df, q_p, ci_method, prediction_interval_reason``
        (the ``pooled`` of :func:`rtxreview.pooling.pooled_analyses`;
        proportions on the 0..1 scale, ``i2`` in percent); ``pi_low`` and
        ``pi_high`` may be None.
    title : str
        Chart title.
    x_title : str
        Title of the proportion axis.
    not_pooled : str, optional
        Why the estimates are not pooled (``not_pooled_reason``); printed
        under the plot, which then shows the studies side by side without a
        diamond.

    Returns
    -------
    altair.HConcatChart or altair.VConcatChart
        Label, plot and number panels side by side; with ``pooled``, a note
        with k, I², τ² and the method below them.  Labels longer than the
        label column are wrapped onto up to three lines.
    """
    labels = [str(label) for label in _select(rows, ["label"], "forest_plot")["label"]]
    if pooled is not None:
        labels.append(str(pooled["label"]))
    left, middle, right = _panel_widths(labels)
    label_chars = int((left - 4) // CHAR_WIDTH)
    step = _row_step(labels, label_chars)
    est = _forest_rows(rows, label_chars)
    centre = len(est) + 0.5 if pooled is not None else None  # a blank half row above the pooled row
    lo, hi = -1.8, (centre + 0.9 if pooled is not None else len(est) - 0.4)  # room for the headers
    scale = _row_scale(lo, hi)
    y = alt.Y("row:Q", scale=scale, axis=None)
    x_axis = alt.X("ci_low:Q", title=x_title, scale=alt.Scale(domain=[0, 1], nice=False), axis=PERCENT_AXIS)
    layers = _estimate_layers(est, x_axis, y)
    pooled_row = None
    if pooled is not None:
        pooled_row, vertices = _pooled_frames(pooled, centre, DIAMOND_HALF_HEIGHT / step, label_chars)
        layers += _pooled_layers(pooled_row, vertices, scale)
    height = round(step * (hi - lo))
    panels = alt.hconcat(
        _text_panel(est, pooled_row, "label_lines", "Study, subgroup", y, left, height),
        alt.layer(*layers, width=middle, height=height),
        _text_panel(est, pooled_row, "right_text", "Events/total (%)", y, right, height),
        spacing=8,
    )
    description = _forest_description(est, pooled)
    if pooled is not None:
        note = _heterogeneity_note(pooled)
    elif not_pooled:
        note = _wrap(f"Not pooled: {not_pooled}.", NOTE_CHARS)
    else:
        return _finish(panels, title, description=description)
    return _finish(alt.vconcat(panels, _note_chart(note), spacing=6), title, description=description)


# ---------------------------------------------------------------------------
# Per-patient charts
# ---------------------------------------------------------------------------


def response_over_time(counts: pd.DataFrame, *, title: str) -> alt.TopLevelMixin:
    """Stacked bars of response categories per follow-up month (CR at the bottom).

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``month`` (1, 3, 6, 12), ``response`` ("CR", "PR", "NR"),
        ``patients`` and ``total`` (patients analysed that month).
    title : str
        Chart title.

    Returns
    -------
    altair.Chart
    """
    data = _select(counts, ["month", "response", "patients", "total"], "response_over_time")
    data["percent"] = [_exact_percent(p, t) for p, t in zip(data["patients"], data["total"])]
    data["of_total"] = [f"{int(p)} of {int(t)}" for p, t in zip(data["patients"], data["total"])]
    top = int(data["total"].max())
    data = data.drop(columns="total")  # shown through of_total; not needed twice
    order = list(RESPONSE_COLOURS)
    # Stack order is the position in RESPONSE_COLOURS, so CR sits on the axis.
    names = ", ".join(f"'{code}': '{name}'" for code, name in RESPONSE_LABELS.items())
    chart = alt.Chart(data, width=WIDTH - 180, height=300).transform_calculate(
        stack_order=f"indexof({json.dumps(order)}, datum.response)"
    ).mark_bar().encode(
        x=alt.X("month:O", title="Months after the first dose", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("patients:Q", stack="zero", title="Patients (n)",
                scale=alt.Scale(domain=[0, top], nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("response:N", scale=alt.Scale(domain=order, range=list(RESPONSE_COLOURS.values())),
                        legend=alt.Legend(title="Response", labelLimit=220,
                                          labelExpr=f"{{{names}}}[datum.label]")),
        order=alt.Order("stack_order:Q", sort="ascending"),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("response:N", title="Response"),
                 alt.Tooltip("of_total:N", title="Patients"), alt.Tooltip("percent:N", title="Percent")],
    )
    months = ", ".join(str(m) for m in sorted(data["month"].unique()))
    return _finish(chart, title, description=f"Stacked bars of patients with a complete, partial or no response "
                                               f"at months {months} after the first dose")


def platelet_trajectories(long: pd.DataFrame, *, title: str) -> alt.TopLevelMixin:
    """One line with points per patient, with the 30 and 100 ×10⁹/L response thresholds.

    Parameters
    ----------
    long : pandas.DataFrame
        Columns ``patient``, ``month`` (0, 1, 3, 6, 12) and ``platelets``
        (NaN when not measured; those points are left out and the line joins
        the measured ones).
    title : str
        Chart title.

    Returns
    -------
    altair.LayerChart
    """
    data = _select(long, ["patient", "month", "platelets"], "platelet_trajectories")
    data = data[data["platelets"].notna()].astype({"patient": int, "month": int, "platelets": float})
    y = alt.Y("platelets:Q", title="Platelet count (×10⁹/L)")
    base = alt.Chart(data).encode(
        x=alt.X("month:Q", title="Months after the first dose", scale=alt.Scale(domain=[0, 12]),
                axis=alt.Axis(values=[0, 1, 3, 6, 12])),
        y=y, detail=alt.Detail("patient:N"),
        tooltip=[alt.Tooltip("patient:N", title="Patient"), alt.Tooltip("month:Q", title="Month"),
                 alt.Tooltip("platelets:Q", title="Platelets (×10⁹/L)")],
    )
    lines = base.mark_line(color=STUDY_COLOUR, opacity=1, strokeWidth=1.5)  # opaque: 3:1 on both pages
    points = base.mark_circle(color=STUDY_COLOUR, opacity=1, size=36)
    limits = alt.Chart(alt.InlineData(values=[{"platelets": v, "label": t} for v, t in THRESHOLDS]))
    rules = limits.mark_rule(strokeDash=[6, 4], strokeWidth=1).encode(y=y)
    labels = limits.mark_text(align="right", baseline="bottom", dy=-3, fontSize=FONT_SIZE - 1).encode(
        x=alt.XValue(WIDTH - 80), y=y, text=alt.Text("label:N"))
    chart = alt.layer(rules, labels, lines, points, width=WIDTH - 80, height=320)
    return _finish(chart, title, description=f"Line chart of the platelet count of each of {data['patient'].nunique()} "
                                               "patients over 12 months, with the 30 and 100 ×10⁹/L response thresholds")


# ---------------------------------------------------------------------------
# Dose groups and the audit
# ---------------------------------------------------------------------------


MAX_CHART_POINTS = 500  # marks one chart may embed (the site's per-chart row budget, tests/test_site.py)
CELL_WIDTHS = (0.5, 1, 2, 5, 10, 25)  # percentage points per cell, tried in turn when points are too many


def _first_and_more(values: pd.Series, noun: str) -> str:
    """``"a-1"``, or ``"a-1 and 4 more"`` for a group of rows (the tooltip of an aggregated point)."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else f"{distinct[0]} and {len(distinct) - 1} more {noun}"


def _group_points(data: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """One point per (x, y, verdict), with the number of rows it stands for."""
    grouped = data.groupby([x, y, "verdict"], sort=True, dropna=False)
    return grouped.agg(rows=("evidence_id", "size"), evidence_id=("evidence_id", lambda v: _first_and_more(v, "rows")),
                       study=("study", lambda v: _first_and_more(v, "studies")),
                       explanation=("explanation", "first")).reset_index()


def _cell_centre(values: pd.Series, width: float) -> pd.Series:
    """The centre of the cell [k*width, (k+1)*width) holding each value; 100% joins the last cell."""
    return (values.clip(upper=100 - width / 2) // width) * width + width / 2


def _percent_points(data: pd.DataFrame, max_points: int) -> tuple[pd.DataFrame, float | None]:
    """The scatter's points: one per distinct (reported, recomputed, verdict); when those are more
    than ``max_points``, one per cell of a square grid (the narrowest of :data:`CELL_WIDTHS` that
    fits) and verdict, placed at the cell's centre. Returns the points and the cell width (None: exact).

    Aggregated here, not by a Vega-Lite transform, so that a page embeds the points and not every
    row behind them (a living review has 10^4 percentages and more).
    """
    points = _group_points(data, "recomputed", "reported")
    if len(points) <= max_points:
        return points, None
    for width in CELL_WIDTHS:
        cells = data.assign(recomputed=_cell_centre(data["recomputed"], width),
                            reported=_cell_centre(data["reported"], width))
        points = _group_points(cells, "recomputed", "reported")
        if len(points) <= max_points:
            return points, width
    raise ValueError(f"reported_vs_recomputed: more than {max_points} points even in {CELL_WIDTHS[-1]}-point cells")


def reported_vs_recomputed(rows: pd.DataFrame, *, title: str, max_points: int = MAX_CHART_POINTS) -> alt.TopLevelMixin:
    """Printed percentages against the percentages recomputed from the counts.

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns ``evidence_id, study, reported, recomputed`` (percent, 0-100),
        ``verdict`` (a key of :data:`VERDICT_COLOURS`) and ``explanation``.
        Rows without both numbers cannot be placed and are left out.
    title : str
        Chart title.
    max_points : int
        Most marks drawn. Rows with the same printed and recomputed values and verdict are one
        point (its size shows how many rows); beyond ``max_points`` such points, rows are grouped
        into square cells of the grid, and the subtitle says how wide.

    Returns
    -------
    altair.LayerChart

    Raises
    ------
    ValueError
        If a verdict has no colour in :data:`VERDICT_COLOURS`.
    """
    data = _select(rows, ["evidence_id", "study", "reported", "recomputed", "verdict", "explanation"],
                   "reported_vs_recomputed")
    data = data[data["reported"].notna() & data["recomputed"].notna()].reset_index(drop=True)
    unknown = sorted(set(data["verdict"]) - set(VERDICT_COLOURS))
    if unknown:
        raise ValueError(f"reported_vs_recomputed: verdict(s) without a colour: {unknown}")
    for column in ("evidence_id", "study", "verdict", "explanation"):
        data[column] = _text(data[column])
    data = data.astype({"reported": float, "recomputed": float})
    points, cell = _percent_points(data, max_points)
    scale = alt.Scale(domain=[0, 100], nice=False)
    verdicts = alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values()))
    legend = alt.Legend(title="Verdict", labelExpr="replace(datum.label, '_', ' ')")
    place = ", cell centre" if cell else ""
    points = alt.Chart(points).mark_point(filled=True, opacity=1).encode(  # opaque: 3:1 on both pages
        x=alt.X("recomputed:Q", title="Recomputed from the counts (%)", scale=scale),
        y=alt.Y("reported:Q", title="Reported in the paper (%)", scale=scale),
        color=alt.Color("verdict:N", scale=verdicts, legend=legend),
        shape=alt.Shape("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLOURS)), legend=legend),
        size=alt.Size("rows:Q", title="Numbers", scale=alt.Scale(type="sqrt", range=[70, 600], zero=False),
                      legend=alt.Legend(format="d", tickMinStep=1, tickCount=4)),
        tooltip=[alt.Tooltip("evidence_id:N", title="Evidence row"), alt.Tooltip("study:N", title="Study"),
                 alt.Tooltip("rows:Q", title="Numbers at this point"),
                 alt.Tooltip("reported:Q", title=f"Reported (%{place})", format=".6~g"),
                 alt.Tooltip("recomputed:Q", title=f"Recomputed (%{place})", format=".2f"),
                 alt.Tooltip("verdict:N", title="Verdict"), alt.Tooltip("explanation:N", title="Explanation (first row)")],
    )
    # The line of agreement y = x, as a rule between two data-free positions.
    diagonal = alt.Chart(alt.InlineData(values=[{}])).mark_rule(strokeDash=[4, 4], strokeWidth=1).encode(
        x=alt.XDatum(0), y=alt.YDatum(0), x2=alt.X2Datum(100), y2=alt.Y2Datum(100))
    chart = alt.layer(diagonal, points, width=400, height=400)
    return _finish(chart, title, subtitle=f"{len(data):,} numbers grouped into {cell:g}-point cells" if cell else None,
                   description=f"Scatter plot of {len(data):,} printed percentages against the same percentages "
                               "recomputed from the counts, coloured and shaped by verdict; points on the diagonal agree")


# ---------------------------------------------------------------------------
# Offline embedding
# ---------------------------------------------------------------------------


def _title_of(spec: dict) -> str:
    """Plain title of a Vega-Lite spec (a string, a list of lines, or a title object)."""
    title = spec.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(line) for line in title)
    return str(title) or "Chart"


def _script_json(spec: dict) -> str:
    """Deterministic JSON that is safe inside a <script> element.

    ``json.dumps`` alone would let a quote containing ``</script>`` end the
    element; ``<``, ``>`` and ``&`` are therefore written as JSON unicode
    escapes, which JavaScript reads back as the same characters.
    """
    text = json.dumps(spec, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def embed_html(chart, chart_id: str) -> str:
    """HTML that draws ``chart`` with the book's own Vega scripts (no CDN, no random id).

    Parameters
    ----------
    chart : altair chart
        Any Altair top-level chart; ``chart.to_dict()`` validates it.
    chart_id : str
        Lower-case letters, digits and hyphens; the element id is
        ``rtx-chart-{chart_id}``.

    Returns
    -------
    str
        A ``<div>``, a ``<noscript>`` note and a ``<script>`` calling
        ``rtxCharts.embed``; byte-identical for the same chart and id.

    Raises
    ------
    ValueError
        If ``chart_id`` is not of the allowed form.
    """
    if not isinstance(chart_id, str) or not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must match ^[a-z0-9-]+$, got {chart_id!r}")
    spec = chart.to_dict()  # validates the whole spec against the Vega-Lite schema
    element = f"rtx-chart-{chart_id}"
    label = html.escape(_title_of(spec), quote=True)
    return (
        f'<div class="rtx-chart" id="{element}" role="figure" aria-label="{label}"></div>\n'
        f"<noscript>The chart &#8220;{label}&#8221; needs JavaScript.</noscript>\n"
        f'<script type="text/javascript">rtxCharts.embed("{element}", {_script_json(spec)});</script>'
    )


def show(chart, chart_id: str):
    """Display ``chart`` in a notebook through :func:`embed_html`.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML  # imported here: the library itself does not need IPython

    return HTML(embed_html(chart, chart_id))
