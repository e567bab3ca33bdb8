# CV Evaluator build, run and test entry points.
#
#   make            build the binaries into $(BUILD)
#   make run        set up, start every service, evaluate the samples, stay up
#   make stop       stop everything `make run` or the tests started
#   make test       everything CI runs: unit tests, integration tests, sanitizer pass
#   make SAN=address,undefined   build with sanitizers (into build-san by default)
#
# Sources are discovered by folder, so a new module needs no Makefile change:
# common/*.c -> libcommon.a, fcgi/*.c -> cv-api, worker/**/*.c -> cv-worker,
# cvctl/*.c -> cvctl, tests/unit/test_*.c -> one test program each.

SHELL      := /bin/bash
CC         ?= cc
SAN        ?=
ifeq ($(SAN),)
BUILD      ?= build
OPTFLAGS   ?= -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
else
BUILD      ?= build-san
OPTFLAGS   ?= -O1 -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
SANLDFLAGS := -fsanitize=$(SAN)
endif

PKGS       := libpq rdkafka libcurl libcjson poppler-glib libzip libxml-2.0 libmicrohttpd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN       := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
              -Wmissing-prototypes -Wold-style-definition -Wvla -Wwrite-strings \
              -Wcast-qual -Wimplicit-fallthrough -Wnull-dereference -Werror
CFLAGS     ?= -g $(OPTFLAGS)
ALL_CFLAGS := $(WARN) $(CFLAGS) -D_GNU_SOURCE -fPIE -I. $(PKG_CFLAGS) -MMD -MP
LDFLAGS    ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLDFLAGS) $(LDFLAGS)
LIBS       := $(PKG_LIBS) -lfcgi -lpthread -lm

COMMON_SRC := $(sort $(wildcard common/*.c))
API_SRC    := $(sort $(wildcard fcgi/*.c))
WORKER_SRC := $(sort $(wildcard worker/*.c worker/*/*.c))
CTL_SRC    := $(sort $(wildcard cvctl/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
FAKE_SRC   := $(sort $(wildcard tests/fakes/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
API_OBJ    := $(call obj,$(filter-out fcgi/main.c,$(API_SRC)))
WORKER_OBJ := $(call obj,$(filter-out worker/main.c,$(WORKER_SRC)))
CTL_OBJ    := $(call obj,$(filter-out cvctl/main.c,$(CTL_SRC)))
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BINS := $(BUILD)/cv-api $(BUILD)/cv-worker $(BUILD)/cvctl

.PHONY: all clean run stop test test-unit test-integration test-san bench bench-api bench-worker fuzz
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libapi.a: $(API_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libworker.a: $(WORKER_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libctl.a: $(CTL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/cv-api: $(call obj,fcgi/main.c) $(BUILD)/libapi.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/cv-worker: $(call obj,worker/main.c) $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/cvctl: $(call obj,cvctl/main.c) $(BUILD)/libctl.a $(BUILD)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# A unit test links against every library so it may test a pure function of any binary.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(BUILD)/libapi.a $(BUILD)/libworker.a $(BUILD)/libctl.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LIBS) -lcmocka

unit: $(UNIT_BIN)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- Fuzzing ----
# `make fuzz` builds each tests/fuzz/fuzz_<name>.c into build-fuzz/fuzz_<name>, a libFuzzer
# binary made with clang and AddressSanitizer plus UBSan. The targets link against clang
# builds of libcommon, libapi and libworker in build-fuzz/, so a target may call any
# function outside the main.c files.
# `make fuzz-smoke FUZZ_SECONDS=20` runs each binary for that many seconds over its seed
# corpus tests/fuzz/corpus/<name>/ and fails on the first crash, leak or timeout; inputs it
# finds go to build-fuzz/corpus/<name>/, never into the repository.
# To add a target: write tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput (with a
# prototype, for -Wmissing-prototypes) and put a few seed inputs in tests/fuzz/corpus/<name>/;
# an optional libFuzzer dictionary goes in tests/fuzz/<name>.dict. Nothing here needs changing.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_DIR     := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# No -Werror: a warning only clang emits must not stop the fuzzing of everyone's code.
FUZZ_CFLAGS  := $(filter-out -Werror,$(WARN)) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -D_GNU_SOURCE -I. $(PKG_CFLAGS) -MMD -MP
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
fuzzobj       = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))
FUZZ_LIBS    := $(FUZZ_DIR)/libapi.a $(FUZZ_DIR)/libworker.a $(FUZZ_DIR)/libcommon.a

.PHONY: fuzz-smoke
.SECONDARY: $(call fuzzobj,$(FUZZ_SRC))
fuzz: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libcommon.a: $(call fuzzobj,$(COMMON_SRC))
$(FUZZ_DIR)/libapi.a: $(call fuzzobj,$(filter-out fcgi/main.c,$(API_SRC)))
$(FUZZ_DIR)/libworker.a: $(call fuzzobj,$(filter-out worker/main.c,$(WORKER_SRC)))
$(FUZZ_LIBS):
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(call fuzzobj,tests/fuzz/fuzz_%.c) $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	    -Wl,--start-group $(FUZZ_LIBS) -Wl,--end-group $(LIBS)

fuzz-smoke: $(FUZZ_BIN)
	@set -e; for bin in $(FUZZ_BIN); do \
	    name=$${bin#$(FUZZ_DIR)/fuzz_}; \
	    mkdir -p $(FUZZ_DIR)/corpus/$$name $(FUZZ_DIR)/artifacts; \
	    seeds=; [ -d tests/fuzz/corpus/$$name ] && seeds=tests/fuzz/corpus/$$name; \
	    dict=; [ -f tests/fuzz/$$name.dict ] && dict=-dict=tests/fuzz/$$name.dict; \
	    echo "fuzz-smoke: $$name for $(FUZZ_SECONDS) s"; \
	    $$bin $$dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$name- \
	        $(FUZZ_DIR)/corpus/$$name $$seeds; \
	done

ifneq ($(filter fuzz fuzz-smoke,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
endif

# ---- Benchmarks ----
# `make bench-worker` measures the worker, and the LLM chain alone, against the fake
# provider at concurrency 1, 8, 24 and 64; docs/benchmarks.md has the figures.
$(BUILD)/bench/bench_llm_chain: $(call obj,tests/bench/bench_llm_chain.c) $(BUILD)/libworker.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

bench-worker: $(BINS) $(BUILD)/bench/bench_llm_chain
	@/usr/bin/python3 tests/bench/bench_worker.py --build '$(BUILD)'

# `make bench-api` drives the HTTP API through nginx with wrk and measures, in the same
# run and nginx, two baselines: nginx returning a constant body and the minimal libfcgi
# responder of tests/bench/minimal_fcgi.c. docs/benchmarks.md has the figures. Options of
# tests/bench/bench_api.py go in BENCH_API_ARGS, such as BENCH_API_ARGS='--runs 1'.
$(BUILD)/bench/minimal_fcgi: $(call obj,tests/bench/minimal_fcgi.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lfcgi

bench-api: $(BINS) $(BUILD)/bench/minimal_fcgi
	@/usr/bin/python3 tests/bench/bench_api.py --build '$(BUILD)' $(BENCH_API_ARGS)

# `make bench` runs every benchmark one after another, never two at once, since each
# needs both cores: the API, the worker, then the PDF libraries against pdftotext on the
# shared corpus (tests/bench/pdf-compare.sh, which needs libmupdf-dev).
bench:
	$(MAKE) BUILD='$(BUILD)' bench-api
	$(MAKE) BUILD='$(BUILD)' bench-worker
	tests/bench/pdf-compare.sh

# ---- Running and testing ----
# The scripts install what is missing first and then build with a make of their own,
# because this Makefile reads pkg-config when it is parsed. Pass settings as variables:
# `make run HTTP_PORT=9000`, `make test BUILD=build-me` (tests then use var/test-build-me).
run:
	@MAKE='$(MAKE)' BUILD='$(BUILD)' scripts/run.sh
stop:
	@scripts/stop.sh
test:
	@MAKE='$(MAKE)' BUILD='$(BUILD)' scripts/test.sh
