# The two commands: `make reproduce` (everything, raw data -> paper) and
# `make test` (the whole test suite). Both create .venv and install the locked
# environment first. Needs only Python 3.11+ and make.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := sbw-compendium

.PHONY: help reproduce test unit notebooks lab clean lock paper venv

help:
	@echo "make reproduce   set up .venv from the lock and run the whole pipeline (raw data -> paper)"
	@echo "make test        set up .venv and run every test, notebooks included (nbval)"
	@echo "make lab         JupyterLab with the project's kernel"
	@echo "make clean       remove generated outputs (never data/raw/ nor .venv)"
	@echo "make lock        regenerate requirements.lock from pyproject.toml (needs uv; network)"

venv: $(STAMP)

# Recreated when the lock or the package metadata change.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run make PYTHON=python3.X")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked environment into $(VENV) (first time: a few minutes) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (SBW compendium)" >/dev/null
	@touch $(STAMP)

reproduce: $(STAMP)
	$(PY) -m analysis reproduce

# Unit tests and doctests in parallel; then every notebook rerun in order under
# nbval (strict) against its committed outputs; then the pipeline as a user runs
# it, and its claims compared with the published lock.
test: $(STAMP)
	$(PY) -m pytest -n 2 -p no:cacheprovider --doctest-modules --ignore=analysis/__main__.py tests analysis
	$(PY) -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks
	$(PY) -m analysis reproduce
	$(PY) -m analysis verify

paper: $(STAMP)
	$(PY) -m analysis run paper

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

# Generated outputs only: the tracked files in these folders (.gitkeep, the
# published claims lock) and the executed notebooks stay.
clean:
	find data/processed results figures -mindepth 1 -maxdepth 1 \
	    ! -name .gitkeep ! -name claims.lock.json -exec rm -rf {} +
	rm -rf paper/build .pipeline runs notebooks/_failed

# Regenerate the lock: every package, direct and transitive, pinned with hashes,
# for every platform (markers), from pyproject.toml's dependencies and extras.
lock:
	uv pip compile pyproject.toml --extra test --extra build --python-version 3.11 \
	    --generate-hashes --universal -o requirements.lock
