/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz harnesses share.  Each tests/fuzz/fuzz-NAME.c defines
 * LLVMFuzzerTestOneInput for one parser of untrusted input.  Built with
 * clang's -fsanitize=fuzzer it is a libFuzzer target (make fuzz); built
 * with tests/fuzz/replay.c instead it replays the files of
 * tests/fuzz/corpus/NAME/ once each as a TAP test (make check), so every
 * input a fuzzer once crashed on stays a regression test.
 */
#ifndef DSS_FUZZ_H
#define DSS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input; abort()s when out of memory. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
