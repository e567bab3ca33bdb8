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

.PHONY: all clean run stop test test-unit test-integration test-san bench bench-worker fuzz
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
