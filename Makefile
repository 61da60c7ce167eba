# Two commands on a fresh machine: `make serve` and `make test`. Both set themselves up.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: serve test venv install install-test lint data clean bench system-deps node-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TESTSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test,data]'
	touch $@

install: $(STAMP)
install-test: $(TESTSTAMP)

# Debian packages the browser tests and GDAL interoperability tests need (root on CI; skipped if present).
system-deps:
	@bash scripts/system-deps.sh

# Leaflet, Folium's front-end assets and plugins come from the npm registry, never from a CDN.
node-deps: webmap/static/vendor/.stamp
webmap/static/vendor/.stamp: package.json package-lock.json scripts/vendor-assets.sh
	bash scripts/vendor-assets.sh

serve: $(STAMP) node-deps
	$(BIN)/greenmap serve --host $(HOST) --port $(PORT)

lint: $(TESTSTAMP)
	$(BIN)/ruff check geo layers webmap greenmap tests bench data
	$(BIN)/ruff format --check geo layers webmap greenmap tests bench data
	$(BIN)/mypy

test: $(TESTSTAMP) system-deps node-deps
	$(MAKE) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

data: $(TESTSTAMP)
	$(BIN)/python data/build_xicheng.py

# Benchmarks print ratios and write JSON to bench/results/ (the naive reference at 100k parcels takes minutes).
bench: $(TESTSTAMP) node-deps
	$(BIN)/python bench/xicheng.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/network.py

clean:
	rm -rf $(VENV) node_modules webmap/static/vendor
