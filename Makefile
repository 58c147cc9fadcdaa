# The README's two commands: `make run` serves the example project, `make test` runs
# everything CI runs. Both create and update .venv themselves; they need only Python 3.10+.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.netrun-installed

# What the example project and the test suite use, beyond the base dependencies.
EXTRAS ?= drf,auth,oauth,cors,ratelimit,rbac,casbin,postgres,redis,celery,llm,fastapi,openapi,otel,prometheus,azure

# The supported Python x Django matrix, through tox (see tox.ini). tox looks for python3.1x
# on PATH, where pyenv's shims answer only for the active version: the interpreters under
# $(PYENV_ROOT)/versions are handed to tox directly. MATRIX picks envs: `make matrix
# MATRIX=py310-django52,py313-django61`; TOX_ARGS go to pytest (`TOX_ARGS="-x tests/rbac"`).
PYENV_ROOT    ?= $(HOME)/.pyenv
MATRIX_PYTHONS = $(wildcard $(PYENV_ROOT)/versions/3.1[0-3].*/bin/python3.1[0-3])
MATRIX        ?= py310-django52,py311-django52,py312-django52,py313-django52,py312-django60,py313-django60,py312-django61,py313-django61
TOX_ARGS      ?=

.PHONY: run test lint types contracts migrations pytest docs bench loadtest matrix mutation mutation-sample clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Netrun needs Python 3.10 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=25.1"

$(STAMP): $(BIN)/python pyproject.toml
	$(PIP) install --quiet --editable ".[$(EXTRAS)]" --group dev
	touch $(STAMP)

# `make run PORT=8123` serves on another port (always on 127.0.0.1).
PORT ?= 8000

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --port $(PORT)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: lint contracts types migrations pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

contracts: $(STAMP)
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy netrun

migrations: $(STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django makemigrations --check --dry-run

# The suite runs on every core (at most 4: each xdist worker takes its own Redis database);
# coverage measures the workers through its subprocess patch. PYTEST_ARGS= runs in one process.
# worksteal: a worker that runs out of tests takes some of another's, so the long tests at the
# end (PgBouncer, browsers, fresh projects) do not leave a core idle.
PYTEST_ARGS ?= -n auto --maxprocesses 4 --dist worksteal

pytest: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

matrix: $(STAMP)
	$(BIN)/tox $(if $(MATRIX_PYTHONS),--discover $(MATRIX_PYTHONS)) -e $(MATRIX) -- $(TOX_ARGS)

bench: $(STAMP)
	@for script in bench/*.py; do \
		case $$script in bench/loadtest.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The example project under load, then with faults (bench/loadtest.py, docs/scaling.md): its
# own database, PgBouncer, Redis and servers on loopback, and the shared RabbitMQ.
# LOADTEST_ARGS="--users 50 --duration 20" for a smaller run.
LOADTEST_ARGS ?= --users 200 --duration 60 --faults

loadtest: $(STAMP)
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# Mutation testing of the security core (tools/mutation.py, docs/development.md): every mutant
# takes hours on two cores; MUTATION_ARGS narrows it (`--module netrun/auth/denylist.py`).
# mutation-sample is CI's bounded run: a fixed sample, failing on a survivor not listed in
# mutation/equivalent.txt.
MUTATION_ARGS   ?=
MUTATION_SAMPLE ?= 8

mutation: $(STAMP)
	$(BIN)/python tools/mutation.py run $(MUTATION_ARGS)

mutation-sample: $(STAMP)
	$(BIN)/python tools/mutation.py run --sample $(MUTATION_SAMPLE) --no-baseline --jobs 2

clean:
	rm -rf $(VENV) site build dist .coverage .mypy_cache .ruff_cache .tox
