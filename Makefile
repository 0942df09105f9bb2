# ssai-lab front door. `make demo` and `make test` each set up, build and run; see README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
CMAKE_COMMON := -G Ninja -DSSAI_WERROR=$(WERROR)
PYTHON := /usr/bin/python3
FUZZ_SECONDS ?= 20

.PHONY: all setup setup-demo build build-demo build-asan build-fuzz build-tsan demo test unit fuzz pytest tsan bench clean

all: build

setup:
	@bash scripts/bootstrap.sh

# Only the packages the `ssai` binary builds with (the demo needs nothing else).
setup-demo:
	@bash scripts/bootstrap.sh demo

# ThreadSanitizer build of the `ssai` CLI alone (TSan excludes ASan: a tree of its own).
build-tsan: setup
	@cmake -S . -B build-tsan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSAI_TSAN=ON \
	  -DSSAI_TESTS=OFF -DSSAI_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target ssai

# serve: (coordinator + one edge per POP, one process) under TSan; ~5 min of real time after the
# build, so not part of `make test` (conformance/README.md "ThreadSanitizer").
tsan: build-tsan
	@bash scripts/tsan.sh build-tsan/cli/ssai reports/tsan

# Optimised build: the `ssai` CLI, benchmarks, and the binaries pytest drives.
build: setup
	@cmake -S . -B build $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DSSAI_TESTS=OFF -DSSAI_BENCH=ON >/dev/null
	@cmake --build build -j $(JOBS)

# The `ssai` binary alone, in the same build tree (no benchmarks, no test frameworks needed).
build-demo: setup-demo
	@echo "demo: [2/4] building ssai (Release, $(JOBS) jobs; the first build takes a few minutes)"
	@cmake -S . -B build $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DSSAI_TESTS=OFF -DSSAI_BENCH=OFF >/dev/null
	@cmake --build build -j $(JOBS) --target ssai | { grep -v '^\[' || true; }

# ASan+UBSan build the unit tests run under.
build-asan: setup
	@cmake -S . -B build-asan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
	  -DSSAI_SANITIZE=ON -DSSAI_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)

# libFuzzer targets (clang).
build-fuzz: setup
	@CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSSAI_FUZZ=ON -DSSAI_TESTS=OFF -DSSAI_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers

demo:
	@echo "demo: [1/4] checking the Debian packages ssai builds with (scripts/bootstrap.sh demo)"
	@$(MAKE) --no-print-directory build-demo
	@bash scripts/demo.sh build/cli/ssai

unit: build-asan
	@cd build-asan && ctest --output-on-failure -j $(JOBS)

fuzz: build-fuzz
	@bash scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

pytest: build
	@SSAI_BIN=$(CURDIR)/build/cli/ssai $(PYTHON) -m pytest -q tests; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests collected" >&2; exit 1; fi; exit $$rc

test: unit fuzz pytest

# Microbenchmarks, 5 repetitions; the table in bench/README.md comes from this.
bench: build
	@mkdir -p reports/bench
	@build/bench/micro/ssai_bench_micro --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
	  --benchmark_out=reports/bench/micro.json --benchmark_out_format=json
	@$(PYTHON) scripts/bench_table.py reports/bench/micro.json

clean:
	rm -rf build build-asan build-fuzz build-tsan
