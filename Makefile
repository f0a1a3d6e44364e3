# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
FUZZ_DIR ?= build-fuzz
# `make fuzz`: seconds per target, and which targets (all of fuzz/targets.cmake by default).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= $(shell sed -n 's/^set(VESTIBULE_FUZZ_TARGETS \(.*\))$$/\1/p' fuzz/targets.cmake)
JOBS ?= $(shell nproc)
DATA_DIR ?= $(CURDIR)/data
LISTEN ?= 127.0.0.1:8080
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-unit test-asan test-tsan test-long fuzz-build fuzz \
	bench format lint clean

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

# The fuzz targets are built first (clang, in $(FUZZ_DIR)): ctest replays their seeds and fuzzes
# each one briefly (the fuzz.<target> entries).
test: build fuzz-build
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

# ThreadSanitizer cannot be combined with AddressSanitizer, hence a build of its own.
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DVESTIBULE_TSAN=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_DIR) -j $(JOBS)
	cd $(TSAN_DIR) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -j $(JOBS)

# Only the parsers the fuzz targets drive are compiled (fuzz/CMakeLists.txt), with clang,
# libFuzzer, ASan and UBSan.
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -DVESTIBULE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j $(JOBS)

# A long run: FUZZ_SECONDS per target, one after the other. New corpus entries stay in
# $(FUZZ_DIR)/corpus/<target>/ (merge the useful ones into fuzz/corpus/ by hand); a failing input
# is saved in $(FUZZ_DIR)/crashes/<target>/ and the run goes on with the next target.
fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  fuzz/run $(FUZZ_DIR) $$t $(FUZZ_SECONDS) $(FUZZ_DIR) || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: failing inputs from:$$failed (see $(FUZZ_DIR)/crashes/)"; exit 1; fi; \
	echo "make fuzz: no failing input in $(FUZZ_SECONDS) s per target"

bench: build
	@scripts/install-deps --bench
	bench/run $(BENCH_FLAGS)

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

lint: build
	find src -name '*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
