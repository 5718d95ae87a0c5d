# swarmtop: top for agent fleets.
#
#   make run     install what is missing, build, open the dashboard on the demo runtime
#   make test    install what is missing, build with ASan+UBSan, run every test
#   make bench   release build, benchmarks, docs/performance.md
#   make fuzz    libFuzzer targets for a bounded time (FUZZ_SECONDS each)
#   make soak    long resource soak (not part of make test)
#   make lint    cppcheck + clang-tidy (.clang-tidy) on src/; fails on findings not in
#                tests/lint-baseline.txt.  make valgrind: pure unit tests under valgrind
#   make screenshots, make install, make clean, make format
#
# Pure modules (everything in src/ not listed in IO_MODULES) are archived into
# libswarmtop_pure.a and their unit tests link against it alone: a pure module
# that reaches for ncurses, libwebsockets or SQLite fails to link its tests.

PREFIX      ?= /usr/local
CC          ?= cc
PKG_CONFIG  ?= pkg-config

# Debian packages make deps installs when missing (tests and tools included).
DEB_PKGS := gcc make pkg-config libncurses-dev libwebsockets-dev libcjson-dev \
            libsqlite3-dev libcmocka-dev sqlite3 tmux python3 python3-websockets \
            openssl libssl-dev procps clang cppcheck clang-tidy valgrind

# Modules that do I/O (terminal, network, files, clock, threads). The rest are pure.
IO_MODULES := main app conn crt store demo demo_sim cli headless replay procstat sigsafe otlp ui

PKGS      := ncursesw libwebsockets libcjson sqlite3 openssl
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PURE_LIBS  = $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null) -lm
TEST_LIBS  = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wcast-qual -Wundef -Wwrite-strings -Wno-format-nonliteral -Wno-format-truncation
BASE_CFLAGS := $(WARN) -D_GNU_SOURCE -Iinclude -MMD -MP
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
BASE_CFLAGS += -DSWARMTOP_VERSION='"$(VERSION)"'

# Release: optimised and hardened. Test: sanitizers, warnings are errors.
REL_CFLAGS  := $(BASE_CFLAGS) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=3 \
               -Wformat-security -fPIE
REL_LDFLAGS := -pie -Wl,-z,relro,-z,now
# The test build also compiles the test hooks (SWARMTOP_TEST_HOOKS: crt's injected crash);
# the release binary has none.
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -Werror \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined -DSWARMTOP_TEST_HOOKS
ASAN_LDFLAGS := -fsanitize=address,undefined

SRCS       := $(wildcard src/*.c)
THEMES     := $(sort $(wildcard themes/*.theme))
# Files compiled into the binary (themes, default prices): build/<mode>/builtin.c.
EMBED = { echo '/* Generated from themes/ and docs/prices by the Makefile. Do not edit. */'; \
	  echo '\#include "swarmtop/builtin.h"'; echo '\#include <string.h>'; \
	  echo 'const char builtin_prices[] ='; $(call cstr,docs/prices); echo ';'; \
	  echo 'const BuiltinFile builtin_themes[] = {'; \
	  for f in $(THEMES); do n=$$(basename $$f .theme); echo "{ \"$$n\","; $(call cstr,$$f); echo '},'; done; \
	  echo '{ 0, 0 } };'; echo 'const size_t builtin_themes_count = $(words $(THEMES));'; \
	  echo 'const char *builtin_theme(const char *name) {'; \
	  echo '	for (size_t i = 0; i < builtin_themes_count; i++)'; \
	  echo '		if (strcmp(builtin_themes[i].name, name) == 0) return builtin_themes[i].text;'; \
	  echo '	return NULL; }'; }
cstr = { [ -f $(1) ] && sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(1) || true; echo '""'; }
IO_SRCS    := $(filter $(addprefix src/,$(addsuffix .c,$(IO_MODULES))),$(SRCS))
PURE_SRCS  := $(filter-out $(IO_SRCS),$(SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
# A unit test named after an IO module (test_store.c) links the whole program minus main.
IO_TESTS   := $(filter $(addprefix test_,$(IO_MODULES)),$(UNIT_NAMES))

.PHONY: all deps build run test unit bench fuzz soak lint valgrind screenshots install uninstall clean format check-pure

all: deps build

deps:
	@sh .ci/deps.sh $(DEB_PKGS)

build: build/release/swarmtop
	@ln -sf build/release/swarmtop swarmtop

run: all
	./build/release/swarmtop $(ARGS)

test: deps build/asan/swarmtop $(addprefix build/asan/tests/,$(UNIT_NAMES))
	@SWARMTOP=$(CURDIR)/build/asan/swarmtop BUILD=$(CURDIR)/build/asan bash tests/run.sh

unit: $(addprefix build/asan/tests/,$(UNIT_NAMES))
	@SWARMTOP=$(CURDIR)/build/asan/swarmtop BUILD=$(CURDIR)/build/asan ONLY=unit bash tests/run.sh

# bench/run.sh builds the bench programs itself (one failing to build marks its row).
bench: deps build/release/swarmtop
	@MAKE="$(MAKE)" sh bench/run.sh

fuzz: deps
	@sh tests/fuzz/run.sh $(or $(FUZZ_SECONDS),600)

soak: deps build/release/swarmtop
	@sh tests/soak/run.sh

lint:
	@sh tests/lint.sh

valgrind:
	@ROOT=$(CURDIR) sh tests/integration/harden_valgrind.sh

screenshots: deps build/release/swarmtop
	@sh tests/screenshots.sh

install: build/release/swarmtop
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/swarmtop/themes
	install -m 755 build/release/swarmtop $(DESTDIR)$(PREFIX)/bin/swarmtop
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/swarmtop/themes/
	[ ! -f docs/prices ] || install -m 644 docs/prices $(DESTDIR)$(PREFIX)/share/swarmtop/prices

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/swarmtop
	rm -rf $(DESTDIR)$(PREFIX)/share/swarmtop

clean:
	rm -rf build swarmtop

format:
	clang-format -i src/*.c include/swarmtop/*.h tests/unit/*.c

# ---- release build ----
build/release/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(PKG_CFLAGS) -DSWARMTOP_DATADIR='"$(PREFIX)/share/swarmtop"' -c $< -o $@

build/%/builtin.c: $(THEMES) $(wildcard docs/prices) Makefile
	@mkdir -p $(@D)
	@$(EMBED) > $@

build/release/builtin.o: build/release/builtin.c
	$(CC) $(REL_CFLAGS) -c $< -o $@

build/asan/builtin.o: build/asan/builtin.c
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/release/libswarmtop_pure.a: build/release/builtin.o $(patsubst src/%.c,build/release/%.o,$(PURE_SRCS))
	@rm -f $@
	ar rcs $@ $^

build/release/swarmtop: $(patsubst src/%.c,build/release/%.o,$(IO_SRCS)) build/release/libswarmtop_pure.a
	$(CC) $(REL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

# ---- sanitizer build (make test) ----
build/asan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(PKG_CFLAGS) -DSWARMTOP_DATADIR='"$(CURDIR)"' -c $< -o $@

build/asan/libswarmtop_pure.a: build/asan/builtin.o $(patsubst src/%.c,build/asan/%.o,$(PURE_SRCS))
	@rm -f $@
	ar rcs $@ $^

build/asan/libswarmtop_io.a: $(patsubst src/%.c,build/asan/%.o,$(filter-out src/main.c,$(IO_SRCS)))
	@rm -f $@
	ar rcs $@ $^

build/asan/swarmtop: $(patsubst src/%.c,build/asan/%.o,$(IO_SRCS)) build/asan/libswarmtop_pure.a
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

build/asan/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(PKG_CFLAGS) -Wno-missing-prototypes -DFIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

# Pure tests: only the pure archive, cJSON, libm and CMocka.
$(addprefix build/asan/tests/,$(filter-out $(IO_TESTS),$(UNIT_NAMES))): build/asan/tests/%: build/asan/tests/%.o build/asan/libswarmtop_pure.a
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(PURE_LIBS) $(TEST_LIBS)

# IO tests: everything but main.
$(addprefix build/asan/tests/,$(IO_TESTS)): build/asan/tests/%: build/asan/tests/%.o build/asan/libswarmtop_io.a build/asan/libswarmtop_pure.a
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lpthread -lm

# ---- benchmarks (make bench): bench/bench_*.c, release flags, linked like the program ----
build/release/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(PKG_CFLAGS) -Wno-missing-prototypes -c $< -o $@

build/release/libswarmtop_io.a: $(patsubst src/%.c,build/release/%.o,$(filter-out src/main.c,$(IO_SRCS)))
	@rm -f $@
	ar rcs $@ $^

build/release/bench/%: build/release/bench/%.o build/release/libswarmtop_io.a build/release/libswarmtop_pure.a
	$(CC) $(REL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

-include $(wildcard build/*/*.d build/*/tests/*.d build/release/bench/*.d)
