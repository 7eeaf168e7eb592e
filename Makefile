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

# Every layer runs, even when an earlier one fails, and each reports on its own
# line; the target fails at the end if any layer failed (tests/run_layers.py):
#   unit      unit tests and doctests, in parallel
#   notebooks every notebook rerun in order under nbval (strict) against its committed outputs
#   pipeline  the pipeline as a user runs it, then its claims compared with the published lock
test: $(STAMP)
	$(PY) tests/run_layers.py

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
