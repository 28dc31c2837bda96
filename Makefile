# Two commands for a fresh machine: `make book` and `make test`.
# Both create (or reuse) the virtual environment .venv and install requirements.txt into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test validate clean

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

validate: $(INSTALLED)
	$(BIN)/python -m rtxreview validate data

book: validate
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: $(INSTALLED)
	$(BIN)/python -m pytest

clean:
	rm -rf _build
