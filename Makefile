# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
DATA_DIR ?= $(CURDIR)/data
LISTEN ?= 127.0.0.1:8080
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-unit test-asan test-long bench format lint clean

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/vestibule serve --data-dir $(DATA_DIR) --listen $(LISTEN)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DVESTIBULE_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# The soak (bench/soak): a mixed workload at 80 % of its measured peak for SOAK_SECONDS
# (default 1800), no error allowed, memory flat. Not part of `make test`.
SOAK_SECONDS ?= 1800
test-long: build
	@scripts/install-deps --bench
	SOAK_SECONDS=$(SOAK_SECONDS) bench/soak

bench: build
	@scripts/install-deps --bench
	bench/run $(BENCH_FLAGS)

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

lint: build
	find src -name '*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
