/*
 * rtx-charts.js: draws the review's Altair (Vega-Lite) charts with the book's own copies of
 * vega, vega-lite and vega-embed (_static/vega), so pages need no network.
 *
 * Each chart's HTML (written by rtxreview.charts.embed_html) calls
 *     rtxCharts.embed("rtx-chart-<id>", <Vega-Lite spec>);
 * right after its <div>.  Charts are drawn as SVG (so they print), with vega-embed's "dark"
 * theme when the page is dark, and drawn again whenever the page's theme changes.
 * Plain browser JavaScript: no modules, no build step.  Nothing here throws.
 */
(function () {
  "use strict";

  var MISSING_MESSAGE = "This chart needs the book's own script files (_static/vega); " +
    "open the book from its built folder.";
  // Vega-Lite draws text and rule marks (labels, confidence intervals, thresholds) in black,
  // and vega-embed's dark theme leaves them so; the charts give these marks no colour of
  // their own, so that this light ink can be supplied on dark pages.
  var DARK_INK = "#e6e6e6";

  var charts = {};      // element id -> {spec, result, busy, again}
  var renderedDark = null;

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

  function embedOptions(dark) {
    var config = {background: null};  // transparent: the page's own background shows
    if (dark) {
      config.text = {color: DARK_INK};
      config.rule = {color: DARK_INK};
    }
    return {
      renderer: "svg",
      actions: false,
      theme: dark ? "dark" : undefined,
      config: config,
      tooltip: {theme: dark ? "dark" : "light"}
    };
  }

  // Draw one chart, finalizing the view it replaces.  A chart still being drawn is drawn
  // again once that finishes, so two views never write into the same element at once.
  function render(id) {
    var entry = charts[id];
    if (entry.busy) {
      entry.again = true;
      return;
    }
    var dark = isDark();
    renderedDark = dark;
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
      if (entry.again) {
        render(id);
      }
    };
    try {
      window.vegaEmbed("#" + id, spec, embedOptions(dark)).then(function (result) {
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
    } catch (error) {
      log("could not embed " + id, error);
    }
  }

  function onThemeChange() {
    try {
      var dark = isDark();
      if (dark === renderedDark) {
        return;
      }
      for (var id in charts) {
        if (Object.prototype.hasOwnProperty.call(charts, id)) {
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
    } catch (error) {
      log("cannot follow theme changes", error);
    }
  }

  watchTheme();
  window.rtxCharts = {embed: embed};
})();
