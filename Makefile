# AIStore-C: the two commands are `make deploy` and `make test`.
#
#   make deploy [PROXIES=1 TARGETS=3]  deps, Release build in build/, start a local
#                                      cluster under ./.ais-data (primary: http://localhost:8080)
#   make test                          deps, build/ and build-asan/ (ASan+UBSan+LSan),
#                                      ctest in build-asan (unit tests + cluster scenarios)
#   make build                         deps + build/ only
#   make stop                          SIGTERM the recorded node PIDs (SIGKILL after a bound)
#   make status                        one line per node of ./.ais-data
#   make clean                         stop, then remove .ais-data, build/ and build-asan/

PROXIES ?= 1
TARGETS ?= 3
BUILD_DIR := build
ASAN_DIR := build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
# Extra configure arguments for both trees, e.g. CMAKE_ARGS=-DAIS_WERROR=OFF
CMAKE_ARGS ?=

SHELL := /bin/bash

.PHONY: all deps build build-asan deploy stop status clean test

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan $(CMAKE_ARGS)
	cmake --build $(ASAN_DIR) -j$(JOBS)

deploy: build
	@PROXIES=$(PROXIES) TARGETS=$(TARGETS) AIS_BIN=$(CURDIR)/$(BUILD_DIR)/bin scripts/deploy.sh start

stop:
	@scripts/deploy.sh stop

status:
	@scripts/deploy.sh status

clean: stop
	rm -rf .ais-data $(BUILD_DIR) $(ASAN_DIR)

# ctest prints its summary ("100% tests passed, 0 tests failed out of N") and
# then label timings; the summary is repeated last so it ends the output.
test: build build-asan
	@set -o pipefail; cd $(ASAN_DIR) && \
	ctest --output-on-failure -j$(CTEST_JOBS) 2>&1 | tee ctest.log; rc=$${PIPESTATUS[0]}; \
	echo; grep -E '^[0-9]+% tests passed' ctest.log | tail -n 1; exit $$rc
