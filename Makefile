# nhri-capacity: run `make` or `make help` to list the targets.
# Every target creates .venv and installs the toolkit into it when needed;
# nothing is installed globally.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install data sample test test-fast briefs lab bench clean

help: ## Show this help
	@echo "nhri-capacity: NHRI capacity to protect migrants' rights"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name nhri-capacity --display-name "Python (nhri-capacity)" >/dev/null
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the toolkit with its dependencies

data: $(STAMP) ## Build the processed tables (UN migrant stock, treaties) under data/processed/
	$(BIN)/nhri-capacity data

sample: $(STAMP) ## Regenerate the synthetic sample survey in data/raw/ (seeded, deterministic)
	$(BIN)/nhri-capacity sample

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Run the tests that need no notebook kernel
	$(BIN)/python -m pytest -m "not slow"

briefs: $(STAMP) ## Produce the country briefs for every institution in the bundled survey (reports/briefs/)
	$(BIN)/nhri-capacity briefs

lab: $(STAMP) ## Open JupyterLab with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## Measure speed targets (cache vs. workbook, interval draws, batch)
	$(BIN)/python -m nhri_capacity.bench

clean: ## Remove derived data and reports (keeps raw data and .venv)
	find data/processed -mindepth 1 ! -name .gitkeep -delete
	find reports -mindepth 1 ! -name .gitkeep -delete
