# The whole set-up on a fresh Debian 12 machine is two commands:
#   make run    install deps if missing, build Release, start a local 3-node
#               cluster in the foreground (Ctrl-C stops all three)
#   make test   install deps if missing, build, run the whole suite via ctest
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
CLUSTER_DIR ?= cluster-data
NODES ?= 3
JOBS ?= $(shell nproc)
# ctest parallelism; tests that start clusters or servers take resource locks.
TEST_JOBS ?= 2
# Seconds each libFuzzer target runs during `make test` (scripts/fuzz.sh).
FUZZ_SECONDS ?= 15
# Let ccache share objects between clones of this repo in different folders.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all run test deps configure build clean bench-etcd

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/bin/synod models demo $(CLUSTER_DIR)-models >/dev/null
	@$(BUILD_DIR)/bin/synod cluster up -n $(NODES) --dir $(CLUSTER_DIR) --models $(CLUSTER_DIR)-models --foreground

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --no-tests=error -j $(TEST_JOBS) --timeout 1200
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)  # libFuzzer targets, bounded (docs/crypto.md)

bench-etcd: build
	@bash bench/compare_etcd.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
