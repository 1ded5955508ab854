# nhri-capacity: run `make` or `make help` to list the targets.
# Every target creates .venv and installs the toolkit into it when needed;
# nothing is installed globally.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Exact tested versions of every package, with hashes (refresh with `make lock`).
LOCK := requirements.lock

.DEFAULT_GOAL := help
.PHONY: help install lock data sample lint test test-fast briefs lab bench clean

help: ## Show this help
	@echo "nhri-capacity: NHRI capacity to protect migrants' rights"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name nhri-capacity --display-name "Python (nhri-capacity)" >/dev/null
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the toolkit with the locked dependencies

lock: ## Refresh requirements.lock from pyproject.toml (newest versions allowed; then run make test)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	printf 'setuptools>=69\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - --extra test --generate-hashes \
		--universal --python-version 3.11.5 --custom-compile-command "make lock" -o $(LOCK)

data: $(STAMP) ## Build the processed tables (UN migrant stock, treaties) under data/processed/
	$(BIN)/nhri-capacity data

sample: $(STAMP) ## Regenerate the synthetic sample survey in data/raw/ (seeded, deterministic)
	$(BIN)/nhri-capacity sample

lint: $(STAMP) ## Lint the code (ruff: pyflakes, bugbear, isort, pyupgrade)
	$(BIN)/ruff check .

test: lint ## Run the linter and the test suite
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
