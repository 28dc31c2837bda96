/*
 * rtx-downloads.js: under each chart, buttons that save the chart as SVG or PNG and its data as
 * CSV. Everything happens in the page with the book's own Vega libraries (_static/vega): it works
 * offline. Figures are drawn afresh from the chart's spec in the light theme on a white background,
 * so a figure saved from a dark page still suits slides and print.
 *
 * Learns each chart's spec by wrapping rtxCharts.embed (rtx-charts.js, loaded just before this
 * file). Registered by rtxreview.sphinx_publish. Plain browser JavaScript; nothing here throws.
 */
(function () {
  "use strict";

  if (!window.rtxCharts || typeof window.rtxCharts.embed !== "function") {
    return;
  }
  var PNG_SCALE = 2;  // twice the screen size: sharp on slides
  var specs = {};     // element id -> Vega-Lite spec
  var embed = window.rtxCharts.embed;

  function log(message, error) {
    if (window.console && console.error) {
      console.error("rtxDownloads: " + message, error);
    }
  }

  // The chart's title, from its spec (vega-embed replaces the element's aria-label).
  function titleOf(id, spec) {
    var title = spec.title && typeof spec.title === "object" && !Array.isArray(spec.title) ? spec.title.text : spec.title;
    return String((Array.isArray(title) ? title.join(" ") : title) || id);
  }

  // Files are named after the chart's title.
  function fileName(id, spec) {
    return titleOf(id, spec).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80) || "chart";
  }

  function save(name, url, isObjectUrl) {
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    if (isObjectUrl) {
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }
  }

  function saveText(name, text, type) {
    save(name, URL.createObjectURL(new Blob([text], {type: type})), true);
  }

  // A headless Vega view of the chart: light theme, white background.
  function view(spec) {
    var copy = JSON.parse(JSON.stringify(spec));
    copy.background = "white";
    var compiled = window.vegaLite.compile(copy).spec;
    return new window.vega.View(window.vega.parse(compiled), {renderer: "none"});
  }

  // The chart's data: of its datasets (Altair names them by content hash), the one with the most
  // cells, i.e. the plotted rows rather than the one-row headers and notes laid out beside them.
  function chartRows(spec) {
    var candidates = [];
    var datasets = spec.datasets || {};
    for (var name in datasets) {
      if (Object.prototype.hasOwnProperty.call(datasets, name)) {
        candidates.push(datasets[name]);
      }
    }
    if (spec.data && Array.isArray(spec.data.values)) {
      candidates.push(spec.data.values);
    }
    var best = [], bestCells = -1;
    candidates.forEach(function (rows) {
      var cells = rows.length * (rows.length ? Object.keys(rows[0]).length : 0);
      if (cells > bestCells) {
        best = rows;
        bestCells = cells;
      }
    });
    return best;
  }

  // RFC 4180 CSV: every field quoted only when it must be. Written by hand: Vega ships CSV
  // parsing, not writing.
  function csv(rows) {
    var columns = [];
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (key) {
        if (columns.indexOf(key) < 0) {
          columns.push(key);
        }
      });
    });
    function field(value) {
      if (value === null || value === undefined) {
        return "";
      }
      var text = Array.isArray(value) ? value.join(" ")
        : (typeof value === "object" ? JSON.stringify(value) : String(value));
      return /[",\r\n]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
    }
    var lines = [columns.map(field).join(",")];
    rows.forEach(function (row) {
      lines.push(columns.map(function (column) { return field(row[column]); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  var ACTIONS = [
    {label: "SVG", what: "the chart as SVG (vector)", run: function (spec, name) {
      return view(spec).toSVG().then(function (svg) {
        saveText(name + ".svg", svg, "image/svg+xml");
      });
    }},
    {label: "PNG", what: "the chart as PNG", run: function (spec, name) {
      return view(spec).toImageURL("png", PNG_SCALE).then(function (url) {
        save(name + ".png", url, false);
      });
    }},
    {label: "Data (CSV)", what: "the chart's data as CSV", run: function (spec, name) {
      saveText(name + ".csv", csv(chartRows(spec)), "text/csv");
      return Promise.resolve();
    }}
  ];

  function addButtons(element) {
    var bar = document.createElement("div");
    bar.className = "rtx-downloads";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Download this chart");
    bar.appendChild(document.createTextNode("Download: "));
    ACTIONS.forEach(function (action) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = action.label;
      button.setAttribute("aria-label", "Download " + action.what + ": " + titleOf(element.id, specs[element.id]));
      button.addEventListener("click", function () {
        try {
          action.run(specs[element.id], fileName(element.id, specs[element.id])).catch(function (error) {
            log("could not save " + element.id, error);
          });
        } catch (error) {
          log("could not save " + element.id, error);
        }
      });
      bar.appendChild(button);
    });
    element.insertAdjacentElement("afterend", bar);
  }

  window.rtxCharts.embed = function (id, spec) {
    embed(id, spec);
    try {
      var element = document.getElementById(id);
      if (element && window.vega && window.vegaLite && !specs[id]) {
        specs[id] = spec;
        addButtons(element);
      }
    } catch (error) {
      log("could not add downloads to " + id, error);
    }
  };
})();
