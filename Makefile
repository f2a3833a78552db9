# The pain-education assistant: `make run` sets everything up and serves the bot,
# `make test` runs the whole suite. Every rasa path lives here, nowhere else.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON311 ?= $(shell command -v python3.11 || echo $(HOME)/.pyenv/versions/3.11.7/bin/python3.11)
PYTHON310 ?= $(or $(wildcard $(HOME)/.pyenv/versions/3.10.13/bin/python3.10),$(shell command -v python3.10))

VENV := .venv
VENV_RASA := .venv-rasa
PY := $(VENV)/bin/python
RASA_PY := $(VENV_RASA)/bin/python
RASA := $(VENV_RASA)/bin/rasa

# The one place that names Rasa's inputs.
RASA_CONFIG := config.yml
RASA_DOMAIN := bot/domain
RASA_DATA := bot/nlu stories
RASA_TEST_STORIES := tests/stories
RASA_ENDPOINTS := bot/endpoints.yml
RASA_CREDENTIALS := bot/credentials.yml
RASA_MODEL_DIR := models
RASA_MODEL_NAME := pain-assistant

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1
export RASA_CONFIG RASA_DOMAIN RASA_DATA RASA_ENDPOINTS RASA_CREDENTIALS RASA_MODEL_DIR RASA_MODEL_NAME
# bot/endpoints.yml reads these; `make run` (bot.serving.serve) sets them from bot/settings.yml.
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook
export PAIN_TRACKER_DB ?= $(CURDIR)/var/tracker.db

.PHONY: help setup index safety-model model run chat test lint validate test-stories nlu-report \
        test-rasa-unit browser-deps eval bench bench-turns safety-eval safety-bench clean eval-e2e \
        fuzz services-deps cluster loadtest

help:
	@echo "make run    set up both environments, build the index, train, serve the bot"
	@echo "make test   run the whole suite"
	@echo "make chat   talk to the bot in this terminal"
	@echo "make eval   retrieval evaluation;  make bench  retrieval benchmark"
	@echo "make safety-eval   the safety screen on its frozen test set; make safety-bench  its latency"
	@echo "make bench-turns   per-turn latency and memory of the running bot"
	@echo "make eval-e2e      the whole bot on its frozen conversation set, through the real servers"
	@echo "make fuzz          10,000 malformed and hostile requests through the real servers"
	@echo "make cluster       the scale-out profile: PostgreSQL, Redis, replicas behind nginx"
	@echo "make loadtest      200 patients through the cluster while parts of it fail"

# ---- environments ---------------------------------------------------------
$(VENV)/.installed: requirements/app.txt requirements/dev.txt requirements/app.lock
	@test -x "$(PYTHON311)" || { echo "Python 3.11 not found (set PYTHON311=...)"; exit 1; }
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements/app.txt -r requirements/dev.txt -c requirements/app.lock
	touch $@

$(VENV_RASA)/.installed: requirements/rasa.txt requirements/rasa.lock
	@test -x "$(PYTHON310)" || { echo "Python 3.10 not found: pyenv install 3.10.13 (or set PYTHON310=...)"; exit 1; }
	test -x $(RASA_PY) || $(PYTHON310) -m venv $(VENV_RASA)
	$(RASA_PY) -m pip install --quiet -r requirements/rasa.txt -c requirements/rasa.lock
	touch $@

setup: $(VENV)/.installed $(VENV_RASA)/.installed

# ---- artefacts (rebuilt only when their inputs change) ---------------------
index: $(VENV)/.installed
	$(PY) -m knowledge build --if-stale

# The safety classifier is fine-tuned in .venv (torch) from the exported embedding
# model that `index` leaves in knowledge/model-cache; the Rasa process runs it.
safety-model: index
	$(PY) -m bot.safety.train --if-changed

model: $(VENV_RASA)/.installed safety-model
	$(RASA_PY) -m bot.serving.train --if-changed

# ---- serving --------------------------------------------------------------
run: setup index model
	$(PY) -m bot.serving.serve

chat: setup index model
	$(PY) -m bot.serving.serve --shell

# ---- quality --------------------------------------------------------------
# test-stories runs with --e2e so NLU (and the safety screen) reads the story's text.
lint: $(VENV)/.installed
	$(PY) -m ruff check .

validate: $(VENV_RASA)/.installed
	$(RASA) data validate --fail-on-warnings --domain $(RASA_DOMAIN) --data $(RASA_DATA) --config $(RASA_CONFIG)

test-stories: model
	$(RASA) test core --e2e --model $(RASA_MODEL_DIR)/$(RASA_MODEL_NAME).tar.gz \
	  --stories $(RASA_TEST_STORIES) --endpoints $(RASA_ENDPOINTS) \
	  --fail-on-prediction-errors --out reports/core

# Cross-validated NLU report: an artefact to read, not a gate.
nlu-report: $(VENV_RASA)/.installed
	-$(RASA) test nlu --nlu bot/nlu --domain $(RASA_DOMAIN) --config $(RASA_CONFIG) \
	  --cross-validation --folds 3 --out reports/nlu

test-rasa-unit: $(VENV_RASA)/.installed
	$(RASA_PY) -m pytest -q -p no:cacheprovider tests/bot

browser-deps: $(VENV)/.installed
	@bash tests/install_browser.sh

eval: index
	$(PY) -m knowledge eval

bench: index
	$(PY) -m knowledge.eval.benchmark

# The safety screen on its frozen test set, through the code the Rasa process runs.
safety-eval: model
	$(RASA_PY) -m bot.safety.eval --set test

safety-bench: model
	$(RASA_PY) -m bot.safety.bench

# The whole bot on its frozen, blind-written conversation set, through the real servers.
eval-e2e: index model
	$(PY) -m bot.serving.e2e_eval --set test

fuzz: index model
	$(PY) -m bot.serving.fuzz

# The scale-out profile on this machine (bot/serving/README.md): PostgreSQL, Redis,
# Rasa replicas and action servers behind nginx, from the distribution's packages.
services-deps:
	@bash bot/serving/install_services.sh

cluster: setup index model services-deps
	$(PY) -m bot.serving.cluster

# 200 simulated patients through nginx while a replica is killed, Redis restarted and
# PostgreSQL paused; reports/loadtest.json. `--compare` for single node against cluster.
loadtest: setup index model services-deps
	$(PY) -m bot.serving.loadtest --faults

bench-turns: index model
	$(PY) -m bot.serving.benchmark

test: setup index model lint validate test-stories nlu-report test-rasa-unit browser-deps \
      services-deps
	$(PY) -m pytest --ignore=tests/bot

clean:
	rm -rf knowledge/index $(RASA_MODEL_DIR) reports var
