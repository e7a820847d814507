# graphrec — `make demo` and `make test` do all their own set-up on a fresh clone.
#
#   make test     virtualenv + dependencies, then pytest against a throwaway real Neo4j
#   make demo     virtualenv, local Neo4j, MovieLens-100K, train, write back, recommendations via Cypher
#   make bench    benchmarks; results go to BENCHMARKS.md
#   make lint     ruff + mypy
#
# Variables:
#   PYTHON=python3.11        interpreter used to create the virtualenv (3.11+)
#   VENV=.venv               where the virtualenv lives
#   TORCH_INDEX_URL=...      pip index for torch, e.g. .../whl/cu124; unset = chosen (see `torch` below):
#                            without nvidia-smi the CPU-only TORCH_CPU_INDEX, else PyPI's default wheel
#   PYTEST_ARGS=...          extra pytest arguments
# pip's download cache (~/.cache/pip) is reused between runs, so a second set-up downloads nothing.

PYTHON ?= python3
VENV ?= .venv
TORCH_INDEX_URL ?=
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?=
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.graphrec-installed

.PHONY: venv torch test demo bench lint clean browser-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "graphrec needs Python 3.11+, found " + sys.version)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@$(MAKE) --no-print-directory torch
	$(PIP) install -e '.[dev]'
	touch $(STAMP)

# torch before graphrec, so that pip does not pull PyPI's CUDA build (~5.9 GB of nvidia-* wheels) onto a
# machine without a GPU. TORCH_INDEX_URL when set; else, without nvidia-smi, the CPU-only wheels of
# TORCH_CPU_INDEX (~200 MB), or PyPI's default torch when that index cannot be reached (a network that only
# reaches PyPI or a mirror); with nvidia-smi, PyPI's default (CUDA) wheel. One line says which was chosen.
TORCH_REACHABLE = $(PY) -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/torch/", timeout=10)' \
	"$(TORCH_CPU_INDEX)" >/dev/null 2>&1
torch:
	@if [ -n "$(TORCH_INDEX_URL)" ]; then \
	  echo "torch: from $(TORCH_INDEX_URL) (TORCH_INDEX_URL)"; \
	  $(PIP) install torch --index-url "$(TORCH_INDEX_URL)"; \
	elif command -v nvidia-smi >/dev/null 2>&1; then \
	  echo "torch: PyPI's default wheel, with CUDA (nvidia-smi found; TORCH_INDEX_URL=... to choose)"; \
	  $(PIP) install torch; \
	elif $(TORCH_REACHABLE); then \
	  echo "torch: CPU-only wheel from $(TORCH_CPU_INDEX) (no nvidia-smi; TORCH_INDEX_URL=... to choose)"; \
	  $(PIP) install torch --index-url "$(TORCH_CPU_INDEX)"; \
	else \
	  echo "torch: $(TORCH_CPU_INDEX) cannot be reached; PyPI's default wheel instead (no nvidia-smi; it may" \
	    "bring CUDA libraries; TORCH_INDEX_URL=... to choose)"; \
	  $(PIP) install torch; \
	fi

test: venv browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# Headless Chromium + ChromeDriver for the Neo4j Browser test (Debian packages). Installed when missing and
# this user may run apt-get; otherwise that one test is skipped and says how to install them.
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "note: could not install chromium/chromium-driver; the Browser test will be skipped"; \
	else echo "note: chromium/chromedriver not installed (apt-get install chromium chromium-driver); the Browser test will be skipped"; fi

lint: venv
	$(VENV)/bin/ruff check graphrec benchmarks tests examples
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# --- the demo: everything end to end on the embedded default (local Neo4j, MovieLens-100K) -------------
G := $(VENV)/bin/graphrec
DEMO_USERS ?= 1 42 314
DEMO_MODEL ?= graph

demo: venv
	$(G) db start
	$(G) init
	$(G) load movielens-100k --split u1
	$(G) embed-text --label Item
	$(G) embed-text --label Entity
	$(G) train --model $(DEMO_MODEL)
	@for u in $(DEMO_USERS); do $(G) recommend $$u -k 5 || exit 1; echo; done
	@item=$$($(G) -q recommend 1 -k 1 --json | $(PY) -c 'import json,sys; print(json.load(sys.stdin)[0]["item"])'); \
	  echo "why item $$item for user 1:"; $(G) explain 1 $$item --limit 3
	@echo; $(G) browser
	@echo; echo "The server keeps running for Browser; stop it with: $(G) db stop"

# --- benchmarks (benchmarks/, not installed): each writes its own section of BENCHMARKS.md ------------
# Datasets come from the data_dir setting: GRAPHREC_DATA_DIR, else ../shared/datasets beside the checkout.
bench: venv
	$(PY) -m benchmarks.server_bench
	$(PY) -m benchmarks.ingest_bench
	$(PY) -m benchmarks.loader_bench
	$(PY) -m benchmarks.train_bench
	$(PY) -m benchmarks.model_bench
	$(PY) -m benchmarks.scale_bench
	$(PY) -m benchmarks.e2e_bench
	$(PY) -m benchmarks.text_bench
	$(PY) -m benchmarks.serve_bench
	$(PY) -m benchmarks.hnsw_bench --graphs lastfm-2k --vectors graph --grid 32:200,16:800,16:1600,32:1600
	$(PY) -m benchmarks.http_bench
	$(PY) -m benchmarks.refresh_bench
	$(PY) -m benchmarks.diverse_bench
	$(PY) -m benchmarks.rerank_bench
