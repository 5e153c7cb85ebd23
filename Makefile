# dealcoach: `make chat` to talk to the coach, `make test` to check everything.
# Both set up what they need: the virtualenv, the packages and a trained model.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
BIN   := $(VENV)/bin
# Ports and paths come from dealcoach/settings.py (any python3 runs it, no venv needed):
# the model's default path, and the action port ($DEALCOACH_ACTION_PORT or its default).
SETTING := python3 dealcoach/settings.py
MODEL := $(shell $(SETTING) --default model)
ifndef ACTION_PORT
ACTION_PORT := $(shell $(SETTING) action_port)
endif

# Rasa 3.6 runs on Python 3.8-3.10 only; the machines' default python3 is 3.11.
# PYTHON=/path/to/python3.10 overrides the search.
PYTHON ?= $(shell for p in python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) \
             /usr/local/bin/python3.10 /usr/bin/python3.10; do \
             "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 \
             && { command -v "$$p"; break; }; done)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

# What the model is built from: a change to any of these retrains it. The
# representative deals (knowledge/advice/deals/) only test the advice, the web page's
# words (knowledge/web_page.yml) only show on the page: no retraining.
TRAIN_INPUTS := config.yml domain.yml \
	$(shell find data knowledge annotated -name '*.yml' -not -path 'knowledge/advice/deals/*' \
	  -not -path knowledge/web_page.yml) \
	$(wildcard nlu_components/*.py) \
	dealcoach/knowledge_base/loader.py dealcoach/knowledge_base/schemas.py \
	dealcoach/understanding/extraction.py dealcoach/understanding/numbers.py \
	dealcoach/understanding/learned.py

# Stamped when npm ci has installed web/package-lock.json (npm ci empties node_modules first).
WEB_DEPS := web/node_modules/.installed

.PHONY: help install train chat serve serve-team web browser postgres redis haproxy test lint format clean eval bench docs prune

help:
	@echo "make chat     talk to dealcoach in the terminal, on loopback (sets everything up first)"
	@echo "make serve    Rasa server, action server and the web chat page (Ctrl-C stops all)"
	@echo "make serve-team  the team topology on loopback: PostgreSQL, Redis, REPLICAS Rasa (2)"
	@echo "              and ACTION_SERVERS action servers (2) behind HAProxy (Ctrl-C stops all)"
	@echo "make test     lint, unit tests, data validation, model tests (installs PostgreSQL's server when root)"
	@echo "make eval     NLU quality on the held-out set, against Rasa's default pipeline"
	@echo "make install  create .venv and install dealcoach with its dependencies"
	@echo "make train    train the Rasa model when its inputs changed"
	@echo "make bench    latency, throughput, memory and training time (results/bench.md)"
	@echo "make docs     the trainer's review page of every advice rule (docs/advice_review.md)"
	@echo "make prune    remove conversation events older than RETENTION_DAYS (90) from var/tracker.db"
	@echo "make format   reformat the code with ruff"
	@echo "make clean    remove .venv, models and local databases"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: dealcoach needs Python 3.10 (Rasa 3.6 does not run on 3.11)." >&2; \
	  echo "       Install it (e.g. 'pyenv install 3.10') or run 'make PYTHON=/path/to/python3.10 ...'." >&2; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	@"$(PYTHON)" -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing dealcoach and its packages into $(VENV) (a few minutes, once)..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	@mkdir -p models var
	@# Rasa's output goes to var/train.log; the terminal gets one progress line.
	@# The model is dated when training started, so an input edited while it trained
	@# is newer than the model and the next make trains again.
	@touch var/.training-started
	@$(BIN)/dealcoach train --out models
	@touch -r var/.training-started $@

train: $(MODEL)

# The terminal conversation (channels/terminal.py): Rasa's agent in-process (no Rasa
# port), the action server on 127.0.0.1:ACTION_PORT, both stopped however the chat
# ends. It is named after your login, so your deals and the review in progress are
# there again next time. Logs: var/chat.log, var/actions.log.
chat: $(MODEL)
	@DEALCOACH_ACTION_PORT=$(ACTION_PORT) $(BIN)/python -m channels.terminal

# The chat page's socket.io client, from the npm registry, served by the project; and
# axe-core, which the browser tests run in the page (never served).
$(WEB_DEPS): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	@touch $@

web: $(WEB_DEPS)

serve: $(MODEL) $(WEB_DEPS)
	$(BIN)/dealcoach serve

# The team topology on this machine, for a try-out (README "Running it for a team"):
# throwaway PostgreSQL and Redis, REPLICAS Rasa servers on deploy/endpoints.team.yml and
# ACTION_SERVERS action servers, HAProxy (deploy/haproxy.cfg) in front of each group.
# It prints what runs where; one Ctrl-C stops everything (testkit/team.py).
REPLICAS ?= 2
ACTION_SERVERS ?= 2
serve-team: $(MODEL) postgres redis haproxy
	$(BIN)/python -m testkit.team --replicas $(REPLICAS) --action-servers $(ACTION_SERVERS)

# Debian's Chromium for the browser test (the test drives it with Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: no chromium; run 'sudo apt-get install chromium' or the browser test skips" >&2; fi; }

# Debian's PostgreSQL server binaries for the deal store's tests: each test session
# starts its own throwaway cluster from them on a free loopback port (tests/services/
# postgres.py). Installed without the system cluster Debian would otherwise create and
# start, so nothing is left listening. Without them and without root, make test stops.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's postgresql for the deal store's tests"; \
	    mkdir -p /etc/postgresql-common/createcluster.d && \
	    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/dealcoach.conf && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "error: the deal store's tests need PostgreSQL's server: run 'sudo apt-get install postgresql', then make test again" >&2; exit 1; fi; }

# Debian's redis-server for the lock store tests (tests/rasa_stores/: each test session
# starts its own on a free loopback port). Unlike Chromium it is not optional: without
# it make test stops here with one sentence instead of skipping the tests.
redis:
	@command -v redis-server >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
	  echo "Installing Debian's redis-server for the lock store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "error: the lock store tests need Debian's redis-server and it could not be installed; run 'sudo apt-get install redis-server' (make test installs it itself when run as root)." >&2; \
	  exit 1; }

# Debian's haproxy for the team topology (make serve-team, its tests, make bench): the
# load balancer in front of the Rasa replicas and the action servers. Installed without
# starting Debian's own service (the package's start is refused where there is no init,
# and the tests start their own). Like redis, not optional.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || [ "$$(id -u)" != 0 ] || { \
	  echo "Installing Debian's haproxy for the team topology"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  echo "error: the team topology needs Debian's haproxy and it could not be installed; run 'sudo apt-get install haproxy' (make test installs it itself when run as root)." >&2; \
	  exit 1; }

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint $(MODEL) $(WEB_DEPS) browser postgres redis haproxy
	$(BIN)/pytest

# Quality: our model against a baseline trained on the same data (results/eval.*).
eval: $(MODEL)
	$(BIN)/python benchmarks/nlu_eval.py

# Speed: latency against a bare Rasa floor, throughput, memory, start and training time.
# BENCH_ARGS=--skip-train leaves out the training run (about 4 minutes);
# BENCH_ARGS=--long-history adds one salesperson's 1,200 messages beside a fresh one
# (about 3 more minutes; --long-history-only runs just that); the team run, 1 against
# 2 Rasa replicas in the team topology (about 10 minutes; --skip-team leaves it out,
# --team-only runs just that); see --help.
BENCH_ARGS ?=
bench: $(MODEL) postgres redis haproxy
	$(BIN)/python -m benchmarks.bench $(BENCH_ARGS)

# Retention: conversation events older than RETENTION_DAYS leave Rasa's tracker store
# (each salesperson's current session stays); deals, reviews, advice and quiz scores are
# in the deal store and never touched. Run it daily (cron) on a server.
RETENTION_DAYS ?= 90
prune: $(VENV)/.installed
	$(BIN)/dealcoach prune-conversations --older-than $(RETENTION_DAYS)

# The trainer's review page: every advice rule in plain words and the advice each
# representative deal gets. Commit it: make test fails when it is out of date.
docs: $(VENV)/.installed
	$(BIN)/dealcoach docs

clean:
	rm -rf $(VENV) models results .rasa .pytest_cache .ruff_cache .hypothesis *.egg-info web/node_modules
	@# var/ stays, with its .gitignore: `rasa run` puts the tracker store there.
	find var -mindepth 1 -maxdepth 1 ! -name .gitignore -exec rm -rf {} +
