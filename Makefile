# SPDX-License-Identifier: MIT
# The one Makefile of dss.
#
# Adding a tool means four things: tools/dss-NAME.c (a thin main that
# parses options and calls lib/), man/dss-NAME.1, tests under tests/ that
# name it, and one word in the TOOLS list below.  All real logic goes in
# lib/, which is built into lib/libdss.a; every lib/*.c is picked up.

TOOLS = dss dss-store dss-import dss-fetch dss-teach dss-filter dss-prompt dss-sample dss-export dss-eval dss-stats

PREFIX ?= /usr/local
CC ?= cc
PKGS = sqlite3 libcurl libcjson libpcre2-8 libarchive libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
# The suite runs four tests at a time: most of them wait on sockets, sleeps
# and child processes, not on the CPU.  PROVE_FLAGS= runs them one by one.
PROVE_FLAGS ?= -j4
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	$(CFLAGS) $(PKG_CFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread
SAN = -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all
# The compiled-in fallback for the dataset manifests directory.
build/lib/manifest.o build/asan/lib/manifest.o build/fuzz/lib/manifest.o: ALL_CFLAGS += -DDSS_PREFIX='"$(PREFIX)"'

LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:lib/%.c=build/lib/%.o) build/lib/schema_sql.o
UNIT_SRC = $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/unit/%)
ASAN_LIB_OBJ = $(LIB_SRC:lib/%.c=build/asan/lib/%.o) build/asan/lib/schema_sql.o
ASAN_UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)
# Fuzz harnesses (tests/fuzz/fuzz.h): replayed over their corpus by make
# check, fuzzed with libFuzzer (clang) by make fuzz.
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz-*.c))
REPLAY_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/asan/fuzz/%)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CC = clang
FUZZ_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_LIB_OBJ = $(LIB_SRC:lib/%.c=build/fuzz/lib/%.o) build/fuzz/lib/schema_sql.o
FUZZ_SECONDS ?= 30
BINS = $(TOOLS:%=bin/%)
# The tools again, built with ASan+UBSan for a second run of the tool tests.
# bin-asan/ sits beside bin/ so that both find datasets/ as ../datasets.
ASAN_BINS = $(TOOLS:%=bin-asan/%)
MANS = $(sort $(wildcard man/*.[1-9]))

all: $(BINS)

build/lib build/tools build/unit build/asan/lib build/asan/tools build/asan/unit \
    build/asan/fuzz build/fuzz/lib bin bin-asan:
	mkdir -p $@

# Version 1 of the schema, then every migration in order (scripts/embed.sh).
SCHEMAS = schemas/dss.sql $(sort $(wildcard schemas/migrate-*.sql))

build/schema_sql.c: $(SCHEMAS) scripts/embed.sh | build/lib
	sh scripts/embed.sh $(SCHEMAS) > $@.tmp && mv $@.tmp $@

build/lib/schema_sql.o: build/schema_sql.c | build/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
build/asan/lib/schema_sql.o: build/schema_sql.c | build/asan/lib
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/lib/%.o: lib/%.c lib/*.h | build/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
build/asan/lib/%.o: lib/%.c lib/*.h | build/asan/lib
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

lib/libdss.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $(LIB_OBJ)
build/asan/libdss.a: $(ASAN_LIB_OBJ)
	rm -f $@ && ar rcs $@ $(ASAN_LIB_OBJ)

build/tools/tool.o: tools/tool.c tools/tool.h lib/err.h | build/tools
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: tools/%.c build/tools/tool.o lib/libdss.a tools/tool.h lib/*.h | bin
	$(CC) $(ALL_CFLAGS) -o $@ $< build/tools/tool.o lib/libdss.a $(LIBS)

build/asan/tools/tool.o: tools/tool.c tools/tool.h lib/err.h | build/asan/tools
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<
bin-asan/%: tools/%.c build/asan/tools/tool.o build/asan/libdss.a tools/tool.h lib/*.h | bin-asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/asan/tools/tool.o build/asan/libdss.a $(LIBS)

build/unit/%: tests/unit/%.c tests/unit/*.h lib/libdss.a | build/unit
	$(CC) $(ALL_CFLAGS) -o $@ $< lib/libdss.a $(LIBS)
build/asan/unit/%: tests/unit/%.c tests/unit/*.h build/asan/libdss.a | build/asan/unit
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/asan/libdss.a $(LIBS)

build/asan/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h build/asan/libdss.a | build/asan/fuzz
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< tests/fuzz/replay.c build/asan/libdss.a $(LIBS)

build/fuzz/lib/%.o: lib/%.c lib/*.h | build/fuzz/lib
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<
build/fuzz/lib/schema_sql.o: build/schema_sql.c | build/fuzz/lib
	$(FUZZ_CC) $(ALL_CFLAGS) -c -o $@ $<
build/fuzz/libdss.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $(FUZZ_LIB_OBJ)
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h build/fuzz/libdss.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< build/fuzz/libdss.a $(LIBS)

# Runs every fuzz harness for FUZZ_SECONDS under ASan+UBSan, seeded with
# its corpus in tests/fuzz/corpus/NAME; a crash leaves its input in
# build/fuzz/crash-NAME-* (add it to the corpus as a regression test)
# and fails.
fuzz: deps-check
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) (apt-get install clang)"; exit 1; }
	$(MAKE) $(FUZZ_BIN)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# Installs the Debian packages dss needs (as root), or prints the line.
deps:
	sh scripts/deps.sh install

deps-check:
	@sh scripts/deps.sh check

# The unit and tool tests, then both again built with ASan+UBSan (the tool
# tests run the tools in bin-asan/: tests/run-test takes the directory
# from a "bin-asan:" prefix).
# Every test, the slowest first so that four at a time end together: the
# tool tests against bin/ and again against the sanitizer builds in bin-asan/.
SHELL_TESTS = $(wildcard tests/t[0-9]*.sh)
SLOW_TESTS = $(filter $(addprefix tests/,t0310% t0330% t0370% t0391% t0396% t0800%),$(SHELL_TESTS))
CHECK_ORDER = $(SLOW_TESTS) $(patsubst %,bin-asan:%,$(SLOW_TESTS)) \
	$(UNIT_BIN) $(filter-out $(SLOW_TESTS),$(SHELL_TESTS)) $(ASAN_UNIT_BIN) $(REPLAY_BIN) \
	$(patsubst %,bin-asan:%,$(filter-out $(SLOW_TESTS),$(SHELL_TESTS)))

check: deps-check
	$(MAKE) all $(UNIT_BIN) $(ASAN_UNIT_BIN) $(ASAN_BINS) $(REPLAY_BIN)
	prove $(PROVE_FLAGS) --timer --exec 'sh tests/run-test' $(CHECK_ORDER)

demo: deps-check
	$(MAKE) all
	sh scripts/demo.sh

bench: deps-check
	$(MAKE) all
	sh bench/run.sh

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/dss
	cp $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for m in $(MANS); do s=$${m##*.}; cp $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	cp -R datasets schemas $(DESTDIR)$(PREFIX)/share/dss/

clean:
	rm -rf build bin bin-asan lib/libdss.a

.PHONY: all check demo bench fuzz deps deps-check install clean
.DELETE_ON_ERROR:
