# Reference results for rtxreview.meta_analysis.pool_proportions, computed with R's metafor.
#
# Run from the repository root:  Rscript tests/results/metafor_pooling.R
# It rewrites tests/results/results_metafor.py; the tests read that file and never need R.
#
# Each case pools single proportions on the logit scale the way the review does:
#   escalc(measure = "PLO")            logit proportions; 0.5 added only to studies with
#                                      0 or all events (metafor's default add = 1/2, to = "only0")
#   rma(..., method = "PM" | "DL")     Paule-Mandel or DerSimonian-Laird tau^2, z-based CI
#   rma(..., test = "knha")            the same model with the Hartung-Knapp(-Sidik-Jonkman) CI
#   predict(fit, pi.type = "riley")    prediction interval with t on k - 2 df (k >= 3 only)
# I^2 is Higgins & Thompson's (Q - df) / Q, which metafor reports for method = "DL"; for
# other estimators metafor's I2 is tau^2 / (tau^2 + typical variance), so the DL fit's I2
# is stored as the reference for both.

suppressPackageStartupMessages(library(metafor))

cases <- list(
  itp_cr_6_months  = list(xi = c(46, 3),  ni = c(61, 8),   note = "ITP complete response: mixed series 46/61 evaluable (inferred), low-dose study 3/8 at 6 months (ITT)"),
  itp_cr_12_months = list(xi = c(46, 2),  ni = c(61, 8),   note = "the same with the low-dose study's 12-month visit, 2/8 (the only count that prints as 25.0%)"),
  ttp_remission    = list(xi = c(23, 20), ni = c(31, 22),  note = "TTP: mixed series 23/31 evaluable (inferred), multicentre series 20/22 (ITT)"),
  relapse          = list(xi = c(32, 3),  ni = c(117, 20), note = "relapse among responders: 32/117 and 3/20"),
  one_zero_event   = list(xi = c(0, 5, 8),  ni = c(10, 20, 15), note = "one study with no events (continuity correction on it alone)"),
  all_events       = list(xi = c(10, 12, 7), ni = c(10, 15, 9),  note = "one study in which every patient had the event"),
  homogeneous      = list(xi = c(6, 12, 9), ni = c(20, 40, 30),  note = "identical proportions: tau^2 is 0 for both estimators (DL truncated)"),
  pm_root_finding  = list(xi = c(0, 0, 13, 0, 0), ni = c(4, 4, 46, 4, 15), note = "statsmodels' Paule-Mandel iteration overshoots here; the review solves the equation with brentq"),
  five_studies     = list(xi = c(2, 10, 15, 30, 8), ni = c(20, 25, 20, 40, 30), note = "k = 5, clearly heterogeneous")
)

num <- function(x) if (is.null(x) || is.na(x)) "None" else trimws(formatC(x, digits = 17, format = "g"))
vec <- function(x) paste0("[", paste(vapply(x, num, ""), collapse = ", "), "]")

out <- c(
  '"""Pooled proportions computed with R metafor: the reference for rtxreview.meta_analysis.',
  "",
  "Written by tests/results/metafor_pooling.R; do not edit by hand. Each case keeps the exact R",
  "calls that produced it (``r_call``). Values are on the logit scale unless named ``*_prop``",
  "(back-transformed with the inverse logit, as metafor's ``transf.ilogit``).",
  "",
  paste0(R.version.string, ", metafor ", as.character(packageVersion("metafor")), "."),
  '"""',
  "",
  "CASES = {"
)

for (name in names(cases)) {
  case <- cases[[name]]
  xi <- case$xi; ni <- case$ni
  dat <- escalc(measure = "PLO", xi = xi, ni = ni)
  out <- c(out, sprintf('    "%s": {', name),
           sprintf('        "note": "%s",', case$note),
           sprintf('        "events": %s, "totals": %s,', vec(xi), vec(ni)),
           sprintf('        "yi": %s, "vi": %s,', vec(dat$yi), vec(dat$vi)))
  dl <- rma(yi, vi, data = dat, method = "DL")
  for (method in c("PM", "DL")) {
    ctl <- if (method == "PM") list(tol = 1e-12, maxiter = 1000) else list()
    fit <- rma(yi, vi, data = dat, method = method, control = ctl)
    hk  <- rma(yi, vi, data = dat, method = method, test = "knha", control = ctl)
    pi  <- if (fit$k >= 3) predict(fit, pi.type = "riley") else NULL
    call <- sprintf(paste0(
      'dat <- escalc(measure="PLO", xi=c(%s), ni=c(%s)); ',
      'fit <- rma(yi, vi, data=dat, method="%s"%s); ',
      'hk <- rma(yi, vi, data=dat, method="%s", test="knha"%s); ',
      '%s'),
      paste(xi, collapse = ","), paste(ni, collapse = ","),
      method, if (method == "PM") ", control=list(tol=1e-12, maxiter=1000)" else "",
      method, if (method == "PM") ", control=list(tol=1e-12, maxiter=1000)" else "",
      if (fit$k >= 3) 'predict(fit, pi.type="riley")' else "no prediction interval (k < 3)")
    out <- c(out,
      sprintf('        "%s": {', method),
      sprintf('            "r_call": %s,', deparse(call, width.cutoff = 500L)),
      sprintf('            "b": %s, "se": %s, "ci_lb": %s, "ci_ub": %s,', num(fit$b), num(fit$se), num(fit$ci.lb), num(fit$ci.ub)),
      sprintf('            "estimate_prop": %s, "ci_lb_prop": %s, "ci_ub_prop": %s,', num(transf.ilogit(fit$b)), num(transf.ilogit(fit$ci.lb)), num(transf.ilogit(fit$ci.ub))),
      sprintf('            "tau2": %s, "QE": %s, "QEp": %s, "I2_dl": %s,', num(fit$tau2), num(fit$QE), num(fit$QEp), num(dl$I2)),
      sprintf('            "weights": %s,', vec(weights(fit) / 100)),
      sprintf('            "hk_se": %s, "hk_ci_lb": %s, "hk_ci_ub": %s, "hk_dfs": %s,', num(hk$se), num(hk$ci.lb), num(hk$ci.ub), num(hk$dfs)),
      sprintf('            "hk_ci_lb_prop": %s, "hk_ci_ub_prop": %s,', num(transf.ilogit(hk$ci.lb)), num(transf.ilogit(hk$ci.ub))),
      sprintf('            "pi_lb_prop": %s, "pi_ub_prop": %s,', num(if (is.null(pi)) NA else transf.ilogit(pi$pi.lb)), num(if (is.null(pi)) NA else transf.ilogit(pi$pi.ub))),
      "        },")
  }
  out <- c(out, "    },")
}
out <- c(out, "}")
writeLines(out, "tests/results/results_metafor.py")
