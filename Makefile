# Two commands set everything up on a fresh machine with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# aws-sam-cli pins click, boto3 and aws-sam-translator to versions that clash with ours: it gets its own venv.
SAM_CLI_VERSION := 1.170.0
SAM_VENV := $(VENV)/sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)

.PHONY: demo test lint bench bench-split clean test-tools
# The report tests run Mermaid's parser under Node (skipped when npm is absent) and the HTML in Debian's chromium.
NODE_DIR := tests/reporting/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

$(STAMP): pyproject.toml sample_monolith/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -r sample_monolith/requirements.txt
	touch $(STAMP)

$(SAM_STAMP): | $(STAMP)
	rm -rf $(SAM_VENV)
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	touch $(SAM_STAMP)

DEMO := build/demo/sample_monolith
DEMO_ROUTES := --extract "GET /orders/{order_id}" --extract "POST /orders" --extract "S3 UploadsBucket"

demo: $(STAMP)
	$(BIN)/decompose analyze sample_monolith
	rm -rf $(DEMO) && mkdir -p $(dir $(DEMO)) && cp -r sample_monolith $(DEMO) && rm -rf $(DEMO)/.pytest_cache
	$(BIN)/decompose plan $(DEMO) $(DEMO_ROUTES)
	$(BIN)/decompose apply $(DEMO) --dry-run
	$(BIN)/decompose dry-run $(DEMO) --format html -o build/demo/dry-run.html

$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	if command -v npm >/dev/null; then cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm is not installed: the Mermaid parser test will be skipped"; fi

test-tools: $(NODE_STAMP)
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(SAM_STAMP) test-tools
	DECOMPOSE_SAM=$(abspath $(SAM)) $(BIN)/python -m pytest tests
	cd sample_monolith && ../$(BIN)/python -m pytest tests

bench: $(STAMP)
	$(BIN)/python bench/bench_analyze.py

bench-split: $(STAMP) $(SAM_STAMP)
	DECOMPOSE_SAM=$(abspath $(SAM)) $(BIN)/python bench/bench_split.py

clean:
	rm -rf $(VENV) build *.egg-info
