/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for numpy's default_rng in C (lib/pcg64): every reference
 * value of FACTS.md (the SeedSequence words of seed 0, the leading values
 * of default_rng(0).permutation(n) for the four train sizes and
 * default_rng(1).permutation(10), and the train rows of cqa's
 * train_test_split at each fraction), checksums of whole permutations
 * taken from numpy 1.24.2, and agreement with tests/unit/numpy_pcg64.py,
 * an independent reimplementation in Python's standard library, over
 * many seeds and sizes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/pcg64.h"
#include "../../lib/sha256.h"
#include "tap.h"

static const char *script = "tests/unit/numpy_pcg64.py";
static char script_buf[4096];

/* Finds the Python script from the source tree or beside argv0's tree. */
static void
find_script(const char *argv0)
{
	const char *slash;

	if (access(script, R_OK) == 0 || (slash = strrchr(argv0, '/')) == NULL)
		return;
	snprintf(script_buf, sizeof script_buf, "%.*s/../../%s",
	    (int)(slash - argv0), argv0, script);
	script = script_buf;
}

static int
run_python(const char *args, struct dss_buf *out)
{
	char cmd[8192], chunk[65536];
	FILE *fp;
	size_t n;

	dss_buf_reset(out);
	snprintf(cmd, sizeof cmd, "python3 '%s' %s", script, args);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (dss_buf_add(out, chunk, n) < 0)
			break;
	return pclose(fp) == 0 ? 0 : -1;
}

static void
format_perm(struct dss_buf *b, const size_t *p, size_t n)
{
	size_t i;

	dss_buf_reset(b);
	for (i = 0; i < n; i++)
		dss_buf_addf(b, i ? " %zu" : "%zu", p[i]);
	dss_buf_addch(b, '\n');
}

static int
leads_with(const size_t *p, const size_t *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != want[i])
			return 0;
	return 1;
}

static int
is_permutation(const size_t *p, size_t n)
{
	char *seen = calloc(n ? n : 1, 1);
	size_t i;
	int good = seen != NULL;

	for (i = 0; good && i < n; i++) {
		if (p[i] >= n || seen[p[i]])
			good = 0;
		else
			seen[p[i]] = 1;
	}
	free(seen);
	return good;
}

static void
test_seedseq(void)
{
	static const uint64_t words0[4] = { 0xdb2cd7e7b0f478beULL,
		0xabf4641a2c71ba49ULL, 0x20c6ed6d9d7b8d41ULL,
		0x2c4099de223c39d4ULL };
	/* SeedSequence(2**32 + 5).generate_state(4, uint32), from numpy. */
	static const uint32_t words_big[4] = { 0xe249d9acU, 0xf9c15bd6U,
		0x36320ed7U, 0xb2021b40U };
	struct dss_seedseq ss;
	uint64_t w[4];
	uint32_t w32[8];
	int good, i;

	dss_seedseq_init(&ss, 0);
	dss_seedseq_generate64(&ss, w, 4);
	good = 1;
	for (i = 0; i < 4; i++)
		if (w[i] != words0[i])
			good = 0;
	ok(good, "SeedSequence(0).generate_state(4, uint64) is FACTS.md's words");
	dss_seedseq_generate(&ss, w32, 8);
	good = 1;
	for (i = 0; i < 4; i++)
		if (w32[2 * i] != (uint32_t)w[i] || w32[2 * i + 1] !=
		    (uint32_t)(w[i] >> 32))
			good = 0;
	ok(good, "uint64 words are pairs of uint32 words, low word first");

	dss_seedseq_init(&ss, 0x100000005ULL);
	dss_seedseq_generate(&ss, w32, 4);
	good = 1;
	for (i = 0; i < 4; i++)
		if (w32[i] != words_big[i])
			good = 0;
	ok(good, "a seed above 32 bits is two entropy words, low first");
}

static void
test_outputs(void)
{
	/* numpy.random.PCG64(0).random_raw(3). */
	static const uint64_t raw[3] = { 0xa30febcfd9c2825fULL,
		0x4510bdf882d9d721ULL, 0x0a7d3da94ecde8b8ULL };
	struct dss_pcg64 g;
	int good, i;
	uint32_t lo, hi;

	dss_pcg64_seed(&g, 0);
	good = 1;
	for (i = 0; i < 3; i++)
		if (dss_pcg64_next64(&g) != raw[i])
			good = 0;
	ok(good, "PCG64(0) gives numpy's first three raw outputs");

	dss_pcg64_seed(&g, 0);
	lo = dss_pcg64_next32(&g);
	hi = dss_pcg64_next32(&g);
	ok(lo == (uint32_t)raw[0] && hi == (uint32_t)(raw[0] >> 32),
	    "32-bit draws take the low half of an output, then its high half");
	ok(dss_pcg64_next64(&g) == raw[1],
	    "a 64-bit draw after two 32-bit ones is the next output");

	dss_pcg64_seed(&g, 9);
	good = 1;
	for (i = 0; i < 10000; i++)
		if (dss_pcg64_interval(&g, 6) > 6)
			good = 0;
	ok(good, "bounded draws stay within [0, max]");
	is_int((long long)dss_pcg64_interval(&g, 0), 0, "interval(0) is 0");
	ok(dss_pcg64_interval(&g, 0x1ffffffffULL) <= 0x1ffffffffULL,
	    "a 64-bit bounded draw stays within range");
}

static void
test_reference(void)
{
	static const size_t n800[12] = { 759, 697, 2, 105, 672, 620, 201, 711,
		696, 449, 126, 406 };
	static const size_t n9741[12] = { 4032, 2432, 4722, 1506, 47, 8187,
		9316, 8471, 1713, 485, 5439, 1500 };
	static const size_t n16946[12] = { 994, 11331, 485, 3037, 9435, 14708,
		2752, 11042, 14204, 9084, 6801, 8031 };
	static const size_t n549367[12] = { 192306, 24133, 186405, 284332,
		474862, 503749, 136217, 365951, 299707, 102009, 181041, 277256 };
	static const size_t s1n10[10] = { 8, 4, 7, 0, 1, 2, 5, 9, 6, 3 };
	size_t *p = malloc(549367 * sizeof(*p));
	size_t one[1], none[1];

	if (p == NULL) {
		ok(0, "memory for the permutations");
		return;
	}
	dss_pcg64_permutation(0, p, 800);
	ok(leads_with(p, n800, 12), "default_rng(0).permutation(800) leads as FACTS.md");
	ok(is_permutation(p, 800), "... and is a permutation");
	dss_pcg64_permutation(0, p, 9741);
	ok(leads_with(p, n9741, 12), "default_rng(0).permutation(9741) leads as FACTS.md");
	ok(is_permutation(p, 9741), "... and is a permutation");
	dss_pcg64_permutation(0, p, 16946);
	ok(leads_with(p, n16946, 12), "default_rng(0).permutation(16946) leads as FACTS.md");
	ok(is_permutation(p, 16946), "... and is a permutation");
	dss_pcg64_permutation(0, p, 549367);
	ok(leads_with(p, n549367, 12), "default_rng(0).permutation(549367) leads as FACTS.md");
	ok(is_permutation(p, 549367), "... and is a permutation");
	dss_pcg64_permutation(1, p, 10);
	ok(leads_with(p, s1n10, 10), "default_rng(1).permutation(10) is FACTS.md's");
	dss_pcg64_permutation(5, one, 1);
	is_int((long long)one[0], 0, "a permutation of one element is [0]");
	none[0] = 77;
	dss_pcg64_permutation(5, none, 0);
	is_int((long long)none[0], 77, "a permutation of nothing writes nothing");
	free(p);
}

/* cqa train (9,741 rows), train_test_split(test_size=1.0 - f, seed=0). */
static void
test_cqa_fractions(void)
{
	static const struct {
		double f;
		size_t size, nlead, lead[8];
	} want[] = {
		{ 0.125, 1217, 8, { 2242, 6350, 7003, 4797, 3122, 1762, 1969, 3329 } },
		{ 0.25, 2435, 8, { 2500, 857, 9510, 8615, 4230, 3218, 9353, 2208 } },
		{ 0.5, 4870, 4, { 2133, 5684, 4488, 1441 } },
		{ 0.75, 7305, 4, { 8802, 2602, 1173, 3058 } },
	};
	size_t p[9741], i, ntest;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ntest = (size_t)ceil((1.0 - want[i].f) * 9741.0);
		dss_pcg64_permutation(0, p, 9741);
		is_int((long long)(9741 - ntest), (long long)want[i].size,
		    "cqa train at a fraction has FACTS.md's size");
		ok(leads_with(p + ntest, want[i].lead, want[i].nlead),
		    "cqa train at fraction %g begins with FACTS.md's rows",
		    want[i].f);
	}
}

static void
test_checksums(void)
{
	/* sha256 of the permutation printed space-separated, from numpy 1.24.2. */
	static const struct {
		uint64_t seed;
		size_t n;
		const char *sha;
	} want[] = {
		{ 0, 549367, "9e800536be136281264a472f960e7f200dbe2f3f83aa4636f5306f6886bab668" },
		{ 3, 16946, "fdb8e6ea71f3a2cb0a601e8e2b2a1bc50d320b11f70a814034ab5475769bca35" },
		{ 0x100000005ULL, 9741, "25c3d40a7cbf60059da1bce3304bd0ef7d250e3db93bde982007d05673ccd4ff" },
		{ 0x7fffffffffffffffULL, 800, "70fdf2ab724744be6ee936cca4f443e602666f9593f700a5f6ad6acc408bea32" },
	};
	struct dss_buf b = DSS_BUF_INIT;
	char hex[DSS_SHA256_HEX];
	size_t *p = malloc(549367 * sizeof(*p)), i;

	for (i = 0; p != NULL && i < sizeof(want) / sizeof(want[0]); i++) {
		dss_pcg64_permutation(want[i].seed, p, want[i].n);
		format_perm(&b, p, want[i].n);
		dss_sha256_hex(b.data, b.len, hex);
		is_str(hex, want[i].sha, "the whole permutation has numpy's checksum");
	}
	free(p);
	dss_buf_free(&b);
}

static void
test_python(void)
{
	static const char *seeds[] = { "0", "1", "2", "7", "42", "1000003",
		"4294967295", "4294967296", "9223372036854775807" };
	static const size_t sizes[] = { 1, 2, 10, 800, 9741, 16946 };
	struct dss_buf args = DSS_BUF_INIT, py = DSS_BUF_INIT, c = DSS_BUF_INIT;
	size_t *p = malloc(549367 * sizeof(*p)), i, j;

	dss_buf_adds(&args, "perm");
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			dss_buf_addf(&args, " %s %zu", seeds[i], sizes[j]);
	ok(p != NULL && run_python(args.data, &py) == 0, "numpy_pcg64.py runs");
	for (i = 0; p != NULL && i < sizeof(seeds) / sizeof(seeds[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			struct dss_buf one = DSS_BUF_INIT;

			dss_pcg64_permutation(strtoull(seeds[i], NULL, 10), p,
			    sizes[j]);
			format_perm(&one, p, sizes[j]);
			dss_buf_add(&c, one.data, one.len);
			dss_buf_free(&one);
		}
	ok(py.data != NULL && strcmp(c.data, py.data) == 0,
	    "numpy_pcg64.py agrees on 9 seeds and 6 sizes");
	if (p != NULL && run_python("perm 11 549367", &py) == 0) {
		dss_pcg64_permutation(11, p, 549367);
		format_perm(&c, p, 549367);
		ok(strcmp(c.data, py.data) == 0,
		    "numpy_pcg64.py agrees on 549367 elements");
	} else {
		ok(0, "numpy_pcg64.py runs on 549367 elements");
	}
	free(p);
	dss_buf_free(&args);
	dss_buf_free(&py);
	dss_buf_free(&c);
}

int
main(int argc, char **argv)
{
	(void)argc;
	find_script(argv[0]);
	test_seedseq();
	test_outputs();
	test_reference();
	test_cqa_fractions();
	test_checksums();
	test_python();
	return done();
}
