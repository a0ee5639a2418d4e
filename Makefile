# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-test.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: demo test lint format bench install lock upgrade clean

$(STAMP): requirements.txt requirements-test.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (found %s)." % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m app.devservices demo

test: $(STAMP)
	$(PY) -m app.devservices exec -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m app.devservices exec -- $(PY) -m bench

# requirements*.txt are compiled from requirements*.in (every transitive dependency pinned, with
# hashes, for every platform). `lock` keeps the current pins where the .in files allow them;
# `upgrade` moves every pin to the newest allowed release. The runtime lock constrains the test
# lock, which constrains the dev lock, so the three files always agree.
COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_FLAGS)

lock: $(STAMP)
	$(COMPILE) requirements.in -o requirements.txt
	$(COMPILE) requirements-test.in -c requirements.txt -o requirements-test.txt
	$(COMPILE) requirements-dev.in -c requirements-test.txt -o requirements-dev.txt

upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

clean:
	rm -rf $(VENV) staticfiles
