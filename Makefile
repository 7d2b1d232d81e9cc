# The two commands a newcomer needs: `make deck` and `make test`. Both set up what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Nothing may download a browser: we drive Debian's chromium (or $CHROME_PATH).
export PUPPETEER_SKIP_DOWNLOAD := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help setup demos-setup browser deck export html pdf present rehearse test bench demo clean

help:
	@echo "make deck          build every deck to build/<deck>.html and .pdf (sets everything up first)"
	@echo "make export        also build/<deck>.pptx and build/<deck>-handout.pdf (slides with their notes)"
	@echo "make present       the talk on stage: Temporal, demo workers, deck served and rebuilt on save"
	@echo "                   (DECK=training PORT=8090 to choose; SHARE=1: the audience follows on its phones; Ctrl-C stops everything)"
	@echo "make rehearse      run every demo once live, as on stage, and report each one's outcome"
	@echo "make test          run the whole test suite"
	@echo "make bench         benchmark the build (prints a table of ratios)"
	@echo "make demos-setup   Python-only setup for running demos (no Node, no browser)"
	@echo "make demo NAME=x   run one demo end to end (python -m demos.x)"
	@echo "make clean         remove build/ (keeps node_modules/ and .venv/)"

# --- setup -------------------------------------------------------------------------------
# The venv is rebuilt when the pinned requirements change.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

browser:
	@$(PYTHON) -m deckbuild.browser --ensure

demos-setup: $(VENV)/.installed
setup: $(VENV)/.installed node_modules/.installed browser

# --- build -------------------------------------------------------------------------------
deck: setup
	$(PY) build.py all

export: setup
	$(PY) build.py export

html: setup
	$(PY) build.py html

pdf: setup
	$(PY) build.py pdf

DECK ?= talk
PORT ?= 8090
SHARE ?=
present: setup
	@$(PY) build.py present --deck $(DECK) --port $(PORT) $(if $(SHARE),--share)

rehearse: demos-setup
	$(PY) build.py rehearse

demo: demos-setup
	@test -n "$(NAME)" || { echo "usage: make demo NAME=<demo>  (demos: $$(ls -d demos/*/ | xargs -n1 basename | grep -v common | tr '\n' ' '))"; exit 2; }
	$(PY) -m demos.$(NAME)

# --- checks ------------------------------------------------------------------------------
test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: setup
	$(PY) bench/bench.py

clean:
	rm -rf build
