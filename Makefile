# The two commands users need: `make demo` and `make test`. Both install what is
# missing first (scripts/install-deps.sh is idempotent and quick when nothing is).
JOBS ?= $(shell nproc)
# ccache (used when installed) keys on paths relative to the checkout, so a
# second clone on the same machine (CI's) reuses what this one compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true
BUILD ?= build/release
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-release asan tsan bench fuzz deb format format-check tidy clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The demo needs the command and the taxi ETL only: not every test and benchmark.
demo: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target baton_cli taxi_etl
	@./scripts/demo.sh $(BUILD)

# The whole suite runs under AddressSanitizer + UndefinedBehaviorSanitizer: one
# build serves both "the tests pass" and "the tests pass under ASan+UBSan".
test: deps
	@cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_SANITIZE=address >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 900

test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

tsan: deps
	@cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_SANITIZE=thread >/dev/null
	@cmake --build build/tsan -j $(JOBS)
	@cd build/tsan && TSAN_OPTIONS="halt_on_error=1" ctest --output-on-failure -j $(JOBS) --timeout 900

asan: test

bench: build
	@./scripts/bench.sh $(BUILD)

# The Debian package: the libraries, headers, CMake package, baton.pc and the
# `baton` command, built without tests, benchmarks and examples, for /usr.
deb: deps
	@cmake -S . -B build/package -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	  -DBATON_BUILD_TESTS=OFF -DBATON_BUILD_BENCH=OFF -DBATON_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/package -j $(JOBS)
	@cd build/package && cpack -G DEB
	@ls build/package/*.deb

# libFuzzer on the Parquet reader for a bounded time (FUZZ_TIME seconds), seeded
# with the parquet-testing corpus; findings land in build/fuzz/ as crash-* files.
FUZZ_TIME ?= 60
PARQUET_TESTING ?= ../shared/parquet-testing
fuzz:
	@command -v clang++ >/dev/null 2>&1 || { echo "make fuzz needs clang++ (apt-get install clang)"; exit 1; }
	@cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DBATON_FUZZ=ON >/dev/null
	@cmake --build build/fuzz -j $(JOBS) --target parquet_reader_fuzz
	@mkdir -p build/fuzz/corpus build/fuzz/seeds
	@find $(PARQUET_TESTING)/data $(PARQUET_TESTING)/bad_data -name '*.parquet' -size -256k -exec cp {} build/fuzz/seeds/ \;
	@cd build/fuzz && ./fuzz/parquet_reader_fuzz -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -max_len=262144 \
	  -timeout=10 -print_final_stats=1 corpus seeds

# The conventions a machine keeps: .clang-format (format: rewrite in place;
# format-check: list the files that differ, exit 1 if any) and .clang-tidy
# (bugprone-*, performance-*) over the library sources, with the compile commands
# of a release build. TIDY_FILES narrows tidy, e.g. TIDY_FILES="src/engine/*.cpp".
format:
	@./scripts/format.sh

format-check:
	@./scripts/format.sh --check

TIDY_FILES ?= $(shell git ls-files 'src/*.cpp' 'cli/*.cpp')
tidy:
	@command -v clang-tidy >/dev/null 2>&1 || { echo "make tidy needs clang-tidy (scripts/install-deps.sh)"; exit 1; }
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON $(CMAKE_FLAGS) >/dev/null
	@run-clang-tidy -quiet -p $(BUILD) -j $(JOBS) $(TIDY_FILES)

clean:
	rm -rf build
