# The course's commands. `make book` and `make test` create .venv and install from constraints.txt first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Chapters in book order (those named in _toc.yml); NB=book/x.ipynb restricts `make notebooks` to one.
CHAPTERS = $(shell $(BIN)/python .ci/execute_notebooks.py --list)
NB ?=

.PHONY: help install lint unit widgets7 live-widgets nbval nbval-perturbed book book-strict browser test notebooks \
	bench spread constraints clean compat-lowest compat-newest

help:
	@echo "make book       build the rendered book into _build/html (installs .venv first)"
	@echo "make test       lint, unit and property tests (and the explorers under ipywidgets 7.7), the explorers"
	@echo "                live in JupyterLab (ipywidgets 8 and 7.7), nbval on every chapter (normal and"
	@echo "                perturbed numerical path), strict book build, browser check"
	@echo "make live-widgets  every chapter's explorer in JupyterLab and headless Chromium, under ipywidgets 8"
	@echo "                and 7.7 (part of make test; about 2 min)"
	@echo "make notebooks  re-execute every chapter (NB=book/x.ipynb for one) and save its outputs"
	@echo "make bench      run benchmarks/ and write benchmarks/results/"
	@echo "make spread     measure which chapter outputs move under other numerical paths"
	@echo "make clean      remove the built book"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not browser" tests

# The explorers under ipywidgets 7.7 (what Colab ships), beside the 8.x of constraints.txt: 7.7.1 is installed
# into a temporary folder placed first on PYTHONPATH, and the explorer tests run against it. ipywidgets 7
# warns that ipykernel's Comm class is deprecated; that warning is its own, hence the filter.
WIDGETS7 = ipywidgets==7.7.1 ipython_genutils==0.2.0
widgets7: $(STAMP)
	rm -rf .widgets7 && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--target .widgets7 $(WIDGETS7)
	PYTHONPATH=.widgets7 $(BIN)/python -c "import ipywidgets; assert ipywidgets.__version__ == '7.7.1'"
	PYTHONPATH=.widgets7 $(BIN)/python -m pytest -p no:cacheprovider -q -W ignore::DeprecationWarning \
		tests/test_explore*.py
	rm -rf .widgets7

# The explorers live in a real front end (tests/test_live_widgets.py): a JupyterLab server and headless
# Chromium run a notebook that shows every chapter's explorer; each view must render without errors (no error
# output, nothing in the browser console), its toggle labels sit beside their buttons, and moving one control
# (arrow key on a slider, click on a toggle) must redraw its figure. Twice, one server each: under the
# environment's ipywidgets 8, and under Colab's 7.7.1 with the widget manager that 7.x needs in JupyterLab
# (jupyterlab_widgets 1.1.x, built for JupyterLab 3 and 4; the default 3.x refuses 7.x models). That pair is
# installed into a temporary folder which the test puts first on the server's PYTHONPATH and JUPYTER_PATH.
LIVE_WIDGETS7 = ipywidgets==7.7.1 ipython_genutils==0.2.0 jupyterlab_widgets==1.1.11
live-widgets: $(STAMP)
	rm -rf _build/live-widgets7 && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--target _build/live-widgets7 $(LIVE_WIDGETS7)
	LIVE_WIDGETS7=_build/live-widgets7 $(BIN)/python -m pytest -p no:cacheprovider -q -m browser \
		tests/test_live_widgets.py
	rm -rf _build/live-widgets7

# nbval re-executes every chapter and compares its outputs with the committed ones, twice: on this machine's
# normal numerical path, then on a perturbed one (scalar ATen kernels, oneDNN limited to SSE4.1, MKL's
# compatible branch, 3 threads; see .ci/numerical_paths.py). An output that another processor would print
# differently fails the second pass on any one machine.
NBVAL = $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg

nbval: $(STAMP)
	$(NBVAL) $(CHAPTERS)

nbval-perturbed: $(STAMP)
	$(BIN)/python .ci/numerical_paths.py perturbed -- $(NBVAL) $(CHAPTERS)

# The book is built from the committed outputs (execution is off) with warnings as errors.
book: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going

browser: $(STAMP)
	$(BIN)/python -m pytest -m browser tests/test_rendered_book.py

test: lint unit widgets7 live-widgets nbval nbval-perturbed book browser

# Compatibility jobs, outside `test` (each takes 15-25 min on 2 cores; .ci/compat/README.md has the last run):
# a fresh environment in $(COMPAT_DIR)/compat-lowest from the LOWEST versions pyproject's ranges admit (pins
# written by .ci/lower_bounds.py), or in $(COMPAT_DIR)/compat-newest from the NEWEST releases the index
# serves; torch stays 2.13.0 in both (its bound is checked in .ci/compat/torch_api.md). Each runs the unit
# tests and nbval in lax mode (errors and asserts only) on every chapter; no book build. COMPAT_RECORD=--record
# copies the freeze and the results into .ci/compat/.
COMPAT_DIR ?= /tmp
COMPAT_RECORD ?=
compat-lowest compat-newest:
	COMPAT_DIR=$(COMPAT_DIR) PYTHON=$(PYTHON) .ci/compat.sh $(@:compat-%=%) $(COMPAT_RECORD)

notebooks: $(STAMP)
	$(BIN)/python .ci/execute_notebooks.py $(NB)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Execute every chapter under every numerical path and record which printed numbers move (about 45 min).
spread: $(STAMP)
	$(BIN)/python benchmarks/numerical_spread.py

# Regenerate constraints.txt from the current environment (after changing dependencies).
constraints: $(STAMP)
	.ci/freeze_constraints.sh $(BIN)/python > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf _build
