# SPDX-License-Identifier: MIT
# The one Makefile of dss.
#
# Adding a tool means four things: tools/dss-NAME.c (a thin main that
# parses options and calls lib/), man/dss-NAME.1, tests under tests/ that
# name it, and one word in the TOOLS list below.  All real logic goes in
# lib/, which is built into lib/libdss.a; every lib/*.c is picked up.

TOOLS = dss-store dss-import dss-fetch dss-teach dss-filter dss-prompt dss-export

PREFIX ?= /usr/local
CC ?= cc
PKGS = sqlite3 libcurl libcjson libpcre2-8 libarchive libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	$(CFLAGS) $(PKG_CFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The compiled-in fallback for the dataset manifests directory.
build/lib/manifest.o build/asan/lib/manifest.o: ALL_CFLAGS += -DDSS_PREFIX='"$(PREFIX)"'

LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:lib/%.c=build/lib/%.o) build/lib/schema_sql.o
UNIT_SRC = $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/unit/%)
ASAN_LIB_OBJ = $(LIB_SRC:lib/%.c=build/asan/lib/%.o) build/asan/lib/schema_sql.o
ASAN_UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)
BINS = $(TOOLS:%=bin/%)
MANS = $(sort $(wildcard man/*.[1-9]))

all: $(BINS)

build/lib build/tools build/unit build/asan/lib build/asan/unit bin:
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

bin/dss-%: tools/dss-%.c build/tools/tool.o lib/libdss.a tools/tool.h lib/*.h | bin
	$(CC) $(ALL_CFLAGS) -o $@ $< build/tools/tool.o lib/libdss.a $(LIBS)

build/unit/%: tests/unit/%.c tests/unit/tap.h lib/libdss.a | build/unit
	$(CC) $(ALL_CFLAGS) -o $@ $< lib/libdss.a $(LIBS)
build/asan/unit/%: tests/unit/%.c tests/unit/tap.h build/asan/libdss.a | build/asan/unit
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/asan/libdss.a $(LIBS)

# Installs the Debian packages dss needs (as root), or prints the line.
deps:
	sh scripts/deps.sh install

deps-check:
	@sh scripts/deps.sh check

check: deps-check
	$(MAKE) all $(UNIT_BIN) $(ASAN_UNIT_BIN)
	prove --exec 'sh tests/run-test' $(UNIT_BIN) tests/t[0-9]*.sh $(ASAN_UNIT_BIN)

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
	rm -rf build bin lib/libdss.a

.PHONY: all check demo bench deps deps-check install clean
.DELETE_ON_ERROR:
