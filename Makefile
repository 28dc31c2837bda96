# Two commands for a fresh machine: `make book` and `make test`.
# Both create (or reuse) the virtual environment .venv and install requirements.txt into it;
# `make book` also installs the pinned Vega libraries from the npm registry (package-lock.json);
# both need Debian's Chromium (the PDF is printed with it, the browser tests drive it) and install
# it when they run as root with apt, as CI does.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
VEGA := _static/vega
VEGA_FILES := $(VEGA)/vega.min.js $(VEGA)/vega-lite.min.js $(VEGA)/vega-embed.min.js
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
STAGING := _build/staging
JUPYTER_BOOK := $(BIN)/jupyter-book
CHROMIUM ?= /usr/bin/chromium
export RTXREVIEW_CHROMIUM := $(CHROMIUM)
AS_ROOT ?= $(shell [ "$$(id -u)" = 0 ] && echo yes)
APT_GET ?= apt-get
WORKFLOWS ?= .github/workflows
CITATION ?= CITATION.cff

.PHONY: book test validate execute site clean chromium lint dist

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# The browser libraries come from the installed npm packages, never from a CDN.
$(VEGA_FILES): node_modules/.package-lock.json
	mkdir -p $(VEGA)
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
	   node_modules/vega-embed/build/vega-embed.min.js $(VEGA)/

# Chromium prints the PDF and runs the browser tests. Missing, it is installed from Debian's
# packages when make runs as root with apt (CI, containers); otherwise make stops and says how.
chromium:
	@if [ ! -x "$(CHROMIUM)" ] && [ -n "$(AS_ROOT)" ] && command -v $(firstword $(APT_GET)) > /dev/null; then \
	  echo "Chromium not found at $(CHROMIUM): installing Debian's chromium package"; \
	  $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium > /dev/null; \
	fi
	@test -x "$(CHROMIUM)" || { echo "Chromium not found at $(CHROMIUM). Install it with: sudo apt-get install -y chromium" >&2; exit 1; }

validate: $(INSTALLED)
	$(BIN)/python -m rtxreview validate data

# Runs only the chapters whose code, data or library changed (see rtxreview/notebooks.py).
execute: validate
	$(BIN)/python -m rtxreview.notebooks --jobs 2 $(NOTEBOOKS)

# Build into a staging folder, print the PDF of the whole book into it (rtxreview/publish.py; kept
# when the pages are unchanged); the previous _build/html is replaced only after a good build.
site: $(VEGA_FILES) chromium
	$(JUPYTER_BOOK) build . --path-output $(STAGING) --warningiserror --keep-going
	# Sphinx copies _static only when it rewrites a page: a change to a style or script alone is copied here.
	cp -p _static/*.css _static/*.js $(STAGING)/_build/html/_static/
	$(BIN)/python -m rtxreview.publish pdf $(STAGING)/_build/html
	rm -rf _build/html.new _build/html.previous
	cp -a $(STAGING)/_build/html _build/html.new
	if [ -d _build/html ]; then mv _build/html _build/html.previous; fi
	mv _build/html.new _build/html
	rm -rf _build/html.previous

book: execute
	$(MAKE) site

# Unit, data and notebook tests (nbval) run on the committed notebooks first, so stale outputs fail,
# one worker per core (pytest-xdist; a test file stays on one worker, so each notebook and each
# module's fixtures run in one process); then the site is built (executing nothing whose inputs
# are unchanged) and tested in Chromium.
# The publishing tests start their own Playwright; the site and accessibility tests share one browser
# for the session (tests/conftest.py), and Playwright's sync API cannot run inside another's loop.
BROWSER_TESTS := tests/test_site.py tests/test_accessibility.py
PUBLISH_TESTS := tests/test_publish.py
test: $(INSTALLED) $(VEGA_FILES) chromium
	$(BIN)/python -m pytest -n auto --dist loadfile $(addprefix --ignore=,$(BROWSER_TESTS) $(PUBLISH_TESTS))
	$(MAKE) --no-print-directory book
	$(BIN)/python -m pytest $(BROWSER_TESTS)
	$(BIN)/python -m pytest $(PUBLISH_TESTS)

# The deploy workflow against the GitHub Actions schema and zizmor's audits, and CITATION.cff
# against the Citation File Format schema: all offline (schemas shipped in check-jsonschema).
lint: $(INSTALLED)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)/*.yml
	$(BIN)/check-jsonschema --builtin-schema custom.github-workflows-require-timeout $(WORKFLOWS)/*.yml
	$(BIN)/zizmor --offline --no-progress --strict-collection $(WORKFLOWS)/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.citation-file-format $(CITATION)

# The citable release: site, PDF, data package and audit results in one archive with a SHA-256
# manifest (_build/dist/rtxreview-<version>.tar.gz, and its own SHA-256 beside it).
dist: book
	$(BIN)/python -m rtxreview.publish dist --site _build/html --out _build/dist

clean:
	rm -rf _build

# Benchmarks (not part of `make test`): floors, cold and no-change builds, chapters and a 10^5-row
# synthetic review, measured in one run in a temporary copy of the working tree and reported as
# ratios (BENCHMARKS.md). `make bench BENCH_ARGS=--with-test` also times `make test`.
.PHONY: bench
bench: $(INSTALLED) $(VEGA_FILES)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
