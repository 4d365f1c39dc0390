# The two commands: `make run` and `make test`. Both install what is missing
# (scripts/install-deps), then build with CMake + Ninja.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts qiliand on the embedded store under ./var/qilian and prints the
# URLs; Ctrl-C stops it cleanly.
run: build
	@scripts/run $(BUILD_DIR)

# Every test through CTest: unit, fuzz-corpus replay, end-to-end.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Benchmarks and load generators; figures go to docs/benchmarks.md.
bench: build
	@bench/run-all $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
