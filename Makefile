# The two commands: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
SOURCES := app.py config.py core accounts registration question_bank exam scoring certificates cockpit templates
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test translations extract-messages lint serve-prod bench clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d translations -f --statistics 2>&1 | grep -v "^$$" || true
	@test -f translations/zh_Hans_CN/LC_MESSAGES/messages.mo

# The address printed in QR codes and e-mails: where `make run` serves, unless BASE_URL says otherwise.
run: export BASE_URL ?= http://$(HOST):$(PORT)
run: translations
	$(FLASK) core create-db
	$(FLASK) core load-demo
	@echo "Serving on http://$(HOST):$(PORT)  (the scheduler runs beside it; Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(FLASK) scheduler run & \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# Production: granian (deploy/serve.py) on the DATABASE_URL given, migrations applied, and the one
# scheduler process beside it. It refuses, before doing anything, unless IIOM_CONFIG=production,
# which needs SECRET_KEY and CERT_SIGNING_KEY_FILE; see the README's deployment section.
ifneq ($(filter serve-prod,$(MAKECMDGOALS)),)
ifneq ($(IIOM_CONFIG),production)
$(error make serve-prod runs production: set IIOM_CONFIG=production (and SECRET_KEY, DATABASE_URL, CERT_SIGNING_KEY_FILE: see the README's deployment section); for development use make run)
endif
endif
serve-prod: translations
	$(FLASK) core create-db
	@trap 'kill 0' INT TERM EXIT; \
	  $(FLASK) scheduler run & \
	  $(BIN)/python deploy/serve.py

# The benchmarks (not part of the suite): reports go to bench/results/.
bench: install translations
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/exam_load.py --config sqlite --candidates 1000
	$(BIN)/python bench/slow_clients.py --config sqlite
	$(BIN)/python bench/sync_start.py --config sqlite --candidates 3000
	$(BIN)/python bench/certificates.py --count 3000

test: install-test translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# For developers: refresh the catalogs after changing user-facing strings.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --ignore-dirs=".* __pycache__" \
	  --project iiom-platform -o translations/messages.pot $(SOURCES)
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/iiom.sqlite3* translations/*/LC_MESSAGES/*.mo
