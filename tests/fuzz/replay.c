/* SPDX-License-Identifier: MIT */
/*
 * The regression side of the fuzz harnesses (see fuzz.h): linked with
 * one harness as build/asan/fuzz/fuzz-NAME, it feeds every file of
 * tests/fuzz/corpus/NAME/ (or of the directories given as arguments) to
 * LLVMFuzzerTestOneInput once, under ASan+UBSan, and reports a TAP test
 * for each.  An input that crashes aborts the run, which prove reports.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir, int n)
{
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, i;
	DIR *d = opendir(dir);

	if (d == NULL) {
		printf("Bail out! cannot open '%s'\n", dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((names = realloc(names, (count + 1) * sizeof(*names))) == NULL ||
		    (names[count++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);
	for (i = 0; i < count; i++) {
		char path[4096];
		unsigned char *data = NULL;
		size_t len = 0, cap = 0, got;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((fp = fopen(path, "rb")) == NULL) {
			printf("not ok %d - cannot read %s\n", ++n, path);
			continue;
		}
		do {
			if (len == cap && (data = realloc(data, cap = cap * 2 + 4096)) == NULL)
				abort();
			got = fread(data + len, 1, cap - len, fp);
			len += got;
		} while (got > 0);
		fclose(fp);
		LLVMFuzzerTestOneInput(data, len);
		printf("ok %d - %s\n", ++n, path);
		fflush(stdout);
		free(data);
		free(names[i]);
	}
	free(names);
	return n;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	char dir[4096];
	int i, n = 0;

	base = base != NULL ? base + 1 : argv[0];
	if (strncmp(base, "fuzz-", 5) == 0)
		base += 5;
	if (argc < 2) {
		snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", base);
		n = replay_dir(dir, n);
	}
	for (i = 1; i < argc; i++)
		n = replay_dir(argv[i], n);
	printf("1..%d\n", n);
	return 0;
}
