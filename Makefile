# The two commands users need: `make demo` and `make test`. Both install what is
# missing first (scripts/install-deps.sh is idempotent and quick when nothing is).
JOBS ?= $(shell nproc)
BUILD ?= build/release
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-release asan tsan bench fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
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

clean:
	rm -rf build
