# OpenAMI -- the two commands anyone needs:
#   make run    install missing Debian packages, build, run the most complete system
#   make test   install missing Debian packages, build, run every test
# Everything else here is a convenience over CMake presets (CMakePresets.json).

.PHONY: all run test deps build build-dev test-asan fuzz bench metrology-table vee-accuracy analytics-report format lint clean

all: build

deps:
	@./scripts/deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

build-dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev

run: build
	@./scripts/run.sh build/release/ami

test: build
	@ctest --preset release

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: build-dev
	@ctest --preset dev

# Build the libFuzzer targets and run each for FUZZ_SECONDS (default 30).
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@./scripts/fuzz.sh build/fuzz $${FUZZ_SECONDS:-30}

bench: build
	@./scripts/deps.sh --bench
	@./build/release/bench/ami_bench

# The metrology accuracy table against analytic truth -> docs/metrology.md.
metrology-table: build
	@./build/release/bench/ami_metro_table > docs/metrology.md; rc=$$?; \
	  tail -n 1 docs/metrology.md; exit $$rc

# VEE estimation accuracy on real London households -> docs/mdm-vee.md.
AMI_SHARED_DIR ?= ../shared
vee-accuracy: build
	@zcat $(AMI_SHARED_DIR)/data/lcl-london-100-households-2013.csv.gz | \
	  ./build/release/bench/vee_accuracy --doc docs/mdm-vee.md
	@echo "docs/mdm-vee.md: accuracy table updated"

# MDM analytics on real London households (held-out forecasts, clusters,
# monthly aggregates) -> docs/mdm-analytics.md.
analytics-report: build
	@zcat $(AMI_SHARED_DIR)/data/lcl-london-100-households-2013.csv.gz | \
	  ./build/release/bench/mdm_analytics_eval --doc docs/mdm-analytics.md
	@echo "docs/mdm-analytics.md: report updated"

# Formatting, static analysis (cppcheck findings are bugs) and layering.
lint: deps
	@./scripts/lint.sh

format:
	@find include lib plugins apps tests bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build
