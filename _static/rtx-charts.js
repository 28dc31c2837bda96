/*
 * rtx-charts.js: draws the review's Altair (Vega-Lite) charts with the book's own copies of
 * vega, vega-lite and vega-embed (_static/vega), so pages need no network.
 *
 * Each chart's HTML (written by rtxreview.charts.embed_html) calls
 *     rtxCharts.embed("rtx-chart-<id>", <Vega-Lite spec>);
 * right after its <div>.  Charts are drawn as SVG (so they print), with their text, rules and
 * axes in the text colour of the page behind them (light or dark theme), and drawn again
 * whenever the page's theme changes.  Under each chart a folded table lists the numbers the
 * chart shows (its tooltip fields), so that they can be read without seeing the chart.
 * Scrolling table and chart boxes are made keyboard-focusable and named.
 * Plain browser JavaScript: no modules, no build step.  Nothing here throws.
 */
(function () {
  "use strict";

  var MISSING_MESSAGE = "This chart needs the book's own script files (_static/vega); " +
    "open the book from its built folder.";
  // The pydata-sphinx-theme's text and background colours, used when the page's own colours
  // cannot be read (no getComputedStyle).
  var FALLBACK = {
    light: {ink: "rgb(34, 40, 50)", background: "rgb(255, 255, 255)"},
    dark: {ink: "rgb(206, 214, 221)", background: "rgb(18, 18, 18)"}
  };
  var SCROLLERS = ".rtx-table-wrap, .rtx-chart";

  var charts = {};      // element id -> {spec, result, busy, again, colours}

  function log(message, error) {
    if (window.console && console.error) {
      if (error === undefined) {
        console.error("rtxCharts: " + message);
      } else {
        console.error("rtxCharts: " + message, error);
      }
    }
  }

  // pydata-sphinx-theme writes the theme in use ("light" or "dark") to <html data-theme>;
  // "auto" (in data-theme, or in data-mode while the theme's script has not resolved it yet)
  // follows the operating system.  Without either attribute the page is light.
  function isDark() {
    var root = document.documentElement;
    var theme = root.getAttribute("data-theme");
    if (theme === "dark" || theme === "light") {
      return theme === "dark";
    }
    if (theme === "auto" || root.getAttribute("data-mode") === "auto") {
      return Boolean(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
    }
    return false;
  }

  // "rgb(r, g, b)" or "rgba(r, g, b, a)" -> [r, g, b, a]; null when unreadable.
  function parseColour(text) {
    var parts = String(text || "").match(/[\d.]+/g);
    if (!parts || parts.length < 3 || !/^rgb/.test(String(text))) {
      return null;
    }
    return [Number(parts[0]), Number(parts[1]), Number(parts[2]), parts.length > 3 ? Number(parts[3]) : 1];
  }

  function rgb(channels) {
    return "rgb(" + channels.slice(0, 3).map(Math.round).join(", ") + ")";
  }

  // weight * a + (1 - weight) * b, channel by channel.
  function mix(a, b, weight) {
    return [0, 1, 2].map(function (i) { return weight * a[i] + (1 - weight) * b[i]; });
  }

  // The colour actually behind an element: the backgrounds of it and its ancestors, composited
  // from the first opaque one up (the theme may put a box with its own background around outputs).
  function backgroundBehind(element, fallback) {
    var layers = [];
    for (var node = element; node && node.nodeType === 1; node = node.parentElement) {
      var colour = parseColour(window.getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) {
          break;
        }
      }
    }
    var result = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop() : parseColour(fallback);
    while (layers.length) {
      var top = layers.pop();
      result = mix(top, result, top[3]);
    }
    return result;
  }

  // Ink (text, rules, axes) and background for a chart: the page's own colours where it sits.
  function coloursFor(element) {
    var dark = isDark();
    var fallback = dark ? FALLBACK.dark : FALLBACK.light;
    if (typeof window.getComputedStyle !== "function") {
      return {dark: dark, ink: fallback.ink, background: fallback.background};
    }
    var ink = parseColour(window.getComputedStyle(element).color) || parseColour(fallback.ink);
    return {dark: dark, ink: rgb(ink), background: rgb(backgroundBehind(element, fallback.background))};
  }

  function embedOptions(colours) {
    var ink = colours.ink;
    var grid = rgb(mix(parseColour(ink), parseColour(colours.background), 0.25));  // faint: decoration only
    var guide = {labelColor: ink, titleColor: ink};
    var legend = {labelColor: ink, titleColor: ink, symbolStrokeColor: ink, symbolFillColor: ink};
    return {
      renderer: "svg",
      actions: false,
      config: {
        background: null,  // transparent: the page's own background shows
        title: {color: ink, subtitleColor: ink},
        axis: {labelColor: ink, titleColor: ink, domainColor: ink, tickColor: ink, gridColor: grid},
        legend: legend,  // symbols without a colour scale (sizes, shapes) are drawn in ink
        header: guide,
        // Vega-Lite draws text and rule marks (labels, confidence intervals, thresholds) in black;
        // the charts give them no colour of their own, so that they take the page's ink here.
        text: {color: ink},
        rule: {color: ink},
        // Stacked bars are parted by a line of the page's colour, so each keeps its contrast.
        bar: {stroke: colours.background, strokeWidth: 1}
      },
      tooltip: {theme: colours.dark ? "dark" : "light"}
    };
  }

  function sameColours(a, b) {
    return Boolean(a && b) && a.ink === b.ink && a.background === b.background && a.dark === b.dark;
  }

  // Draw one chart, finalizing the view it replaces.  A chart still being drawn is drawn
  // again once that finishes, so two views never write into the same element at once.
  function render(id) {
    var entry = charts[id];
    if (entry.busy) {
      entry.again = true;
      return;
    }
    var element = document.getElementById(id);
    var colours = coloursFor(element);
    entry.colours = colours;
    if (entry.result) {
      try {
        entry.result.finalize();
      } catch (error) {
        log("could not finalize the previous view of " + id, error);
      }
      entry.result = null;
    }
    entry.busy = true;
    entry.again = false;
    var spec = JSON.parse(JSON.stringify(entry.spec));  // vega-embed gets its own copy
    var done = function () {
      entry.busy = false;
      markScrollers();
      if (entry.again) {
        render(id);
      }
    };
    try {
      window.vegaEmbed("#" + id, spec, embedOptions(colours)).then(function (result) {
        entry.result = result;
        done();
      }, function (error) {
        log("could not draw " + id, error);
        done();
      });
    } catch (error) {
      log("could not draw " + id, error);
      done();
    }
  }

  // ---------------------------------------------------------------------------------------
  // The chart's numbers as a table
  // ---------------------------------------------------------------------------------------

  function titleOf(spec) {
    var title = spec.title;
    if (title && typeof title === "object" && !Array.isArray(title)) {
      title = title.text;
    }
    return Array.isArray(title) ? title.join(" ") : String(title || "Chart");
  }

  // Every (data, tooltip) pair of the spec's views: the tooltips name the fields a reader is
  // meant to see, with their titles and formats.  Views sharing data and tooltip are one table.
  function tooltipTables(spec) {
    var tables = [];
    var byKey = {};
    function visit(node, data) {
      if (!node || typeof node !== "object") {
        return;
      }
      data = node.data || data;
      var tooltip = node.encoding && node.encoding.tooltip;
      if (data && Array.isArray(tooltip) && tooltip.length) {
        var key = JSON.stringify([data, tooltip]);
        if (!byKey[key]) {
          byKey[key] = true;
          tables.push({data: data, columns: tooltip});
        }
      }
      ["layer", "hconcat", "vconcat", "concat"].forEach(function (part) {
        (node[part] || []).forEach(function (child) { visit(child, data); });
      });
      if (node.spec) {
        visit(node.spec, data);
      }
    }
    visit(spec, null);
    return tables;
  }

  function rowsOf(spec, data) {
    if (Array.isArray(data.values)) {
      return data.values;
    }
    return (spec.datasets && spec.datasets[data.name]) || [];
  }

  function formatted(value, column) {
    if (value === null || value === undefined) {
      return "";
    }
    if (typeof value === "number" && column.format && window.vega && window.vega.defaultLocale) {
      try {
        return window.vega.defaultLocale().format(column.format)(value);
      } catch (error) {
        log("unknown number format " + column.format, error);
      }
    }
    return Array.isArray(value) ? value.join(" ") : String(value);
  }

  function cell(tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;  // text, never HTML: the data hold quotes from the sources
    return element;
  }

  function dataTable(spec, table, caption) {
    var element = document.createElement("table");
    element.className = "rtx-evidence rtx-chart-data-table";
    element.appendChild(cell("caption", caption));
    var head = element.createTHead().insertRow();
    table.columns.forEach(function (column) {
      var th = cell("th", column.title || column.field);
      th.scope = "col";
      head.appendChild(th);
    });
    var body = element.createTBody();
    var seen = {};
    rowsOf(spec, table.data).forEach(function (row) {
      var texts = table.columns.map(function (column) { return formatted(row[column.field], column); });
      var key = JSON.stringify(texts);
      if (!seen[key]) {  // one line per distinct row (a diamond's three vertices are one estimate)
        seen[key] = true;
        var tr = body.insertRow();
        texts.forEach(function (text) { tr.appendChild(cell("td", text)); });
      }
    });
    return element;
  }

  // A folded "Data table" under the chart, filled the first time it is opened.
  function addDataTables(id, spec) {
    var element = document.getElementById(id);
    var tables = tooltipTables(spec);
    if (!tables.length || !element.parentNode || document.getElementById(id + "-data")) {
      return;
    }
    var title = titleOf(spec);
    var details = document.createElement("details");
    details.className = "rtx-chart-data";
    details.id = id + "-data";
    details.appendChild(cell("summary", "Data table: " + title));
    details.addEventListener("toggle", function () {
      if (!details.open || details.getAttribute("data-filled")) {
        markScrollers();
        return;
      }
      details.setAttribute("data-filled", "true");
      tables.forEach(function (table, index) {
        var wrap = document.createElement("div");
        wrap.className = "rtx-table-wrap";
        var caption = tables.length > 1 ? title + " (" + (index + 1) + " of " + tables.length + ")" : title;
        wrap.appendChild(dataTable(spec, table, caption));
        details.appendChild(wrap);
      });
      markScrollers();
    });
    var after = element.nextSibling;
    while (after && after.nodeName === "NOSCRIPT") {
      after = after.nextSibling;
    }
    element.parentNode.insertBefore(details, after);
    element.setAttribute("aria-describedby", details.id);
  }

  // ---------------------------------------------------------------------------------------
  // Scrolling boxes
  // ---------------------------------------------------------------------------------------

  // A box that scrolls sideways must be reachable with the keyboard (WCAG 2.1.1) and say what it
  // holds; one that fits is left out of the tab order.
  function markScrollers() {
    if (typeof document.querySelectorAll !== "function") {
      return;  // not a full DOM
    }
    try {
      var boxes = document.querySelectorAll(SCROLLERS);
      for (var i = 0; i < boxes.length; i += 1) {
        var box = boxes[i];
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
          if (!box.getAttribute("role")) {
            box.setAttribute("role", "region");
          }
          if (!box.getAttribute("aria-label")) {
            var caption = box.querySelector("caption");
            box.setAttribute("aria-label", (caption ? caption.textContent : "Table") + " (scrolls sideways)");
          }
        } else if (box.getAttribute("tabindex") === "0") {
          box.removeAttribute("tabindex");
        }
      }
    } catch (error) {
      log("could not mark the scrolling boxes", error);
    }
  }

  // ---------------------------------------------------------------------------------------

  function embed(id, spec) {
    try {
      var element = document.getElementById(id);
      if (!element) {
        log("no element with id " + id);
        return;
      }
      if (typeof window.vegaEmbed !== "function") {
        if (document.readyState === "loading") {
          // The Vega scripts may be deferred: try again once the page has been parsed.
          document.addEventListener("DOMContentLoaded", function () { embed(id, spec); });
          return;
        }
        element.textContent = MISSING_MESSAGE;
        return;
      }
      element.style.maxWidth = "100%";
      element.style.overflowX = "auto";  // wide charts scroll on narrow screens
      charts[id] = charts[id] || {result: null, busy: false, again: false};
      charts[id].spec = spec;
      render(id);
      addDataTables(id, spec);
    } catch (error) {
      log("could not embed " + id, error);
    }
  }

  function onThemeChange() {
    try {
      for (var id in charts) {
        if (Object.prototype.hasOwnProperty.call(charts, id) &&
            !sameColours(charts[id].colours, coloursFor(document.getElementById(id)))) {
          render(id);
        }
      }
    } catch (error) {
      log("could not redraw the charts for the new theme", error);
    }
  }

  function watchTheme() {
    try {
      if (window.MutationObserver) {
        new MutationObserver(onThemeChange).observe(document.documentElement, {
          attributes: true,
          attributeFilter: ["data-theme", "data-mode"]
        });
      }
      if (window.matchMedia) {
        var query = window.matchMedia("(prefers-color-scheme: dark)");
        if (query.addEventListener) {
          query.addEventListener("change", onThemeChange);
        } else if (query.addListener) {
          query.addListener(onThemeChange);  // Safari before 14
        }
      }
      if (window.addEventListener) {
        window.addEventListener("resize", markScrollers);
      }
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", markScrollers);
      } else {
        markScrollers();
      }
    } catch (error) {
      log("cannot follow theme changes", error);
    }
  }

  watchTheme();
  window.rtxCharts = {embed: embed};
})();
