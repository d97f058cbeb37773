/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/teach.c: shards of a prompt stream. */
#include <stdio.h>

#include "../../lib/teach.h"
#include "tap.h"

static void
test_shard(void)
{
	char id[32];
	int i, n, count[4] = { 0 }, once = 1;

	for (i = 0; i < 4000; i++) {
		snprintf(id, sizeof(id), "esnli-train-%06d", i);
		n = dss_teach_in_shard(id, 0, 4) + dss_teach_in_shard(id, 1, 4) +
		    dss_teach_in_shard(id, 2, 4) + dss_teach_in_shard(id, 3, 4);
		if (n != 1)
			once = 0;
		count[0] += dss_teach_in_shard(id, 0, 4);
		count[1] += dss_teach_in_shard(id, 1, 4);
		count[2] += dss_teach_in_shard(id, 2, 4);
		count[3] += dss_teach_in_shard(id, 3, 4);
	}
	ok(once, "shard: every id in exactly one of 4 shards");
	ok(count[0] > 850 && count[1] > 850 && count[2] > 850 && count[3] > 850,
	    "shard: about a quarter each (%d %d %d %d)", count[0], count[1],
	    count[2], count[3]);
	ok(dss_teach_in_shard("x", 0, 1), "shard: 0/1 takes everything");
}

int
main(void)
{
	test_shard();
	return done();
}
