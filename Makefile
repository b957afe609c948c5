# Two commands for readers (`make lab`, `make test`); the rest for maintainers.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.mathprog-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: setup lab test lint notebooks bench clean

# Set-up is idempotent: the venv is made once, and the project is (re)installed only when
# pyproject.toml is newer than the stamp left by the last successful install.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(PY) -m jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check mathprog tests benchmarks notebooks

# Re-execute every notebook in place, each in a fresh kernel (nbconvert drives nbclient).
notebooks: setup
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 $(NOTEBOOKS)

# Portability (issue 9): nbval over every notebook under other BLAS kernels
# (OPENBLAS_CORETYPE), one BLAS thread, the lowest versions pyproject.toml allows (.venv-low,
# Python 3.10) and the newest (.venv-new, Python 3.13 else 3.12); the two venvs are made once
# and reused while pyproject.toml and tests/portable/constraints-low.txt are unchanged.
.PHONY: test-portable portable-constraints
test-portable: setup
	$(PY) tests/portable/check.py

# Re-pin the lowest versions (needs the network; uv is installed into .venv for it).
portable-constraints: setup
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile --resolution lowest-direct --python-version 3.10 --extra dev \
	    pyproject.toml -o tests/portable/constraints-low.txt

bench: setup
	$(PY) benchmarks/run_all.py

# The static book (book/build.py): its own venv (Jupyter Book 1 pins markdown-it-py 3, kept
# out of .venv), made once and reused like setup; the browser assets from npm (`npm ci`).
.PHONY: book test-book
BOOK_VENV  ?= .venv-book
BOOK_PY    := $(BOOK_VENV)/bin/python
BOOK_STAMP := $(BOOK_VENV)/.mathprog-book-installed

$(BOOK_STAMP): book/requirements.txt pyproject.toml
	test -x $(BOOK_PY) || $(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_PY) -m pip install --quiet -r book/requirements.txt -e .
	touch $(BOOK_STAMP)

book/node_modules/.package-lock.json: book/package.json book/package-lock.json
	cd book && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

book: $(BOOK_STAMP) book/node_modules/.package-lock.json
	$(BOOK_PY) book/build.py

test-book: setup
	$(PY) -m pytest tests/book

clean:
	rm -rf $(VENV) build dist *.egg-info
