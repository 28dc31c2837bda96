# Two commands for a fresh machine: `make book` and `make test`.
# Both create (or reuse) the virtual environment .venv and install requirements.txt into it;
# `make book` also installs the pinned Vega libraries from the npm registry (package-lock.json).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
VEGA := _static/vega
VEGA_FILES := $(VEGA)/vega.min.js $(VEGA)/vega-lite.min.js $(VEGA)/vega-embed.min.js
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
STAGING := _build/staging
JUPYTER_BOOK := $(BIN)/jupyter-book

.PHONY: book test validate execute site clean

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

validate: $(INSTALLED)
	$(BIN)/python -m rtxreview validate data

# Runs only the chapters whose code, data or library changed (see rtxreview/notebooks.py).
execute: validate
	$(BIN)/python -m rtxreview.notebooks --jobs 2 $(NOTEBOOKS)

# Build into a staging folder; the previous _build/html is replaced only after a good build.
site: $(VEGA_FILES)
	$(JUPYTER_BOOK) build . --path-output $(STAGING) --warningiserror --keep-going
	rm -rf _build/html.new _build/html.previous
	cp -a $(STAGING)/_build/html _build/html.new
	if [ -d _build/html ]; then mv _build/html _build/html.previous; fi
	mv _build/html.new _build/html
	rm -rf _build/html.previous

book: execute
	$(MAKE) site

# Unit, data and notebook tests (nbval) run on the committed notebooks first, so stale outputs fail;
# then the site is built (executing nothing whose inputs are unchanged) and tested in Chromium.
BROWSER_TESTS := tests/test_site.py tests/test_accessibility.py
test: $(INSTALLED) $(VEGA_FILES)
	$(BIN)/python -m pytest $(addprefix --ignore=,$(BROWSER_TESTS))
	$(MAKE) --no-print-directory book
	$(BIN)/python -m pytest $(BROWSER_TESTS)

clean:
	rm -rf _build

# Benchmarks (not part of `make test`): floors, cold and no-change builds, chapters and a 10^5-row
# synthetic review, measured in one run in a temporary copy of the working tree and reported as
# ratios (BENCHMARKS.md). `make bench BENCH_ARGS=--with-test` also times `make test`.
.PHONY: bench
bench: $(INSTALLED) $(VEGA_FILES)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
