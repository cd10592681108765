# Two commands on a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 3
# pytest-xdist: one test process per CPU, each with its own test database; an idle process
# takes tests queued for a busy one, so the long browser tests do not end the run on one CPU.
# TEST_PROCESSES=0 runs the suite in one process.
TEST_PROCESSES ?= auto
PYTEST := $(BIN)/pytest --numprocesses=$(TEST_PROCESSES) --dist=worksteal

.PHONY: run setup dev test test-postgres lint bench screenshots icons clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# The Nu Html Checker for tests/test_html_validity.py. --ignore-scripts: vnu-jar's install
# script would try to download a Java runtime; Debian's (or the machine's) is used instead.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

setup: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_knowledge
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# gunicorn.conf.py sets the rest: threaded workers, timeouts, an access log without queries.
run: setup
	@echo "cramplog is serving on http://127.0.0.1:$(PORT) (Ctrl-C stops it); for passkeys open http://localhost:$(PORT)"
	$(BIN)/gunicorn cramplog.wsgi --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) \
	  --workers $(WORKERS) --access-logfile -

dev: $(VENV)/.installed-dev
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_knowledge
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive --severity-level medium --confidence-level medium -c pyproject.toml cramplog diary knowledge

test: lint node_modules/.package-lock.json
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(PYTEST)

# The whole pytest suite on PostgreSQL; .ci/run starts a server and passes its URL.
test-postgres: $(VENV)/.installed-dev node_modules/.package-lock.json
	@case "$(DATABASE_URL)" in postgres://*|postgresql://*) ;; \
	  *) echo "Set DATABASE_URL=postgres://user:password@host:port/name"; exit 2;; esac
	DATABASE_URL="$(DATABASE_URL)" $(PYTEST)

# Pages against bare WSGI, plain Django and fortunes baselines, into docs/performance.md
# (bench/README.md). Installs wrk from Debian when missing. BENCH_ARGS="--rounds 1" for a quick run.
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { \
	  sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Phone and desktop screenshots of the main pages into docs/screenshots/, from a throw-away
# database with the demo diaries and the knowledge base (tests/browser/screenshots.py).
screenshots: $(VENV)/.installed-dev
	$(BIN)/pytest tests/browser/screenshots.py -q -p no:cacheprovider

# The home-screen icons in static/img/, drawn from the foot drawing (tests/icons.py).
icons: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=cramplog.settings $(BIN)/python -c \
	  "import django; django.setup(); from tests.icons import write_icons; write_icons()"

clean:
	rm -rf $(VENV) var/static node_modules
