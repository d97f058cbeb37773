/* SPDX-License-Identifier: MIT */
/* Token buckets, AIMD concurrency, backoff and throttle-header parsing. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ratelimit.h"

void
dss_bucket_init(struct dss_bucket *b, double per_minute, double now)
{
	b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
	b->capacity = b->rate > 1 ? b->rate : 1;
	b->level = b->capacity;
	b->last = now;
}

static void
refill(struct dss_bucket *b, double now)
{
	if (now > b->last) {
		b->level += (now - b->last) * b->rate;
		if (b->level > b->capacity)
			b->level = b->capacity;
	}
	b->last = now;
}

double
dss_bucket_wait(struct dss_bucket *b, double n, double now)
{
	double need;

	if (b->rate <= 0)
		return 0;
	refill(b, now);
	need = n < b->capacity ? n : b->capacity;
	if (b->level >= need)
		return 0;
	return (need - b->level) / b->rate;
}

void
dss_bucket_take(struct dss_bucket *b, double n, double now)
{
	if (b->rate <= 0)
		return;
	refill(b, now);
	b->level -= n;
}

void
dss_bucket_refund(struct dss_bucket *b, double n, double now)
{
	if (b->rate <= 0)
		return;
	refill(b, now);
	b->level += n;
	if (b->level > b->capacity)
		b->level = b->capacity;
}

void
dss_aimd_init(struct dss_aimd *a, int max)
{
	a->max = max > 0 ? max : 1;
	a->limit = a->max;
	a->last_cut = -1e18;
}

void
dss_aimd_throttled(struct dss_aimd *a, double now)
{
	if (now - a->last_cut < 1.0)
		return;
	a->last_cut = now;
	a->limit /= 2;
	if (a->limit < 1)
		a->limit = 1;
}

void
dss_aimd_success(struct dss_aimd *a)
{
	a->limit += 1.0 / a->limit;
	if (a->limit > a->max)
		a->limit = a->max;
}

int
dss_aimd_limit(const struct dss_aimd *a)
{
	int n = (int)a->limit;

	return n < 1 ? 1 : n;
}

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static time_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

int
dss_ratelimit_retry_after(const char *value, time_t now, double *seconds)
{
	const char *p = value;
	char *end, mon[4];
	double v;
	int d, y, h, mi, s, i, n = 0;
	time_t t;

	while (isspace((unsigned char)*p))
		p++;
	if (isdigit((unsigned char)*p)) {
		v = strtod(p, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (*end != '\0' || !isfinite(v) || v < 0)
			return -1;
		*seconds = v;
		return 0;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if ((p = strchr(p, ',')) == NULL)
		return -1;
	if (sscanf(p + 1, " %d %3s %d %d:%d:%d GMT%n", &d, mon, &y, &h, &mi,
	    &s, &n) != 6 || n == 0)
		return -1;
	for (i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			break;
	if (i == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	t = utc(y, i, d, h, mi, s);
	*seconds = t > now ? (double)(t - now) : 0;
	return 0;
}

int
dss_ratelimit_duration(const char *value, double *seconds)
{
	const char *p = value;
	double total = 0;
	int parts = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p)) {
		char *end;
		double v = strtod(p, &end), unit;

		if (end == p || v < 0 || !isfinite(v))
			return -1;
		p = end;
		if (strncmp(p, "ms", 2) == 0)
			unit = 1e-3, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			unit = 1e-6, p += 2;
		else if (strncmp(p, "ns", 2) == 0)
			unit = 1e-9, p += 2;
		else if (*p == 'h')
			unit = 3600, p++;
		else if (*p == 'm')
			unit = 60, p++;
		else if (*p == 's')
			unit = 1, p++;
		else if (*p == '\0' && parts == 0)
			unit = 1;	/* a bare number is seconds */
		else
			return -1;
		total += v * unit;
		parts++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (parts == 0 || *p != '\0')
		return -1;
	*seconds = total;
	return 0;
}

int
dss_ratelimit_rfc3339(const char *value, time_t now, double *seconds)
{
	int y, mo, d, h, mi, s, n = 0, oh = 0, om = 0;
	const char *p;
	double frac = 0, t;

	if (sscanf(value, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h,
	    &mi, &s, &n) != 6 || n == 0)
		return -1;
	p = value + n;
	if (*p == '.') {
		char *end;

		frac = strtod(p, &end);
		p = end;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	t = (double)utc(y, mo - 1, d, h, mi, s) + frac - oh * 3600.0 - om * 60.0;
	*seconds = t > (double)now ? t - (double)now : 0;
	return 0;
}

enum dss_wait
dss_ratelimit_cap(double asked, double cap, double *seconds)
{
	if (!(asked >= 0))
		return DSS_WAIT_NONE;
	*seconds = asked;
	if (cap < 0)
		cap = 0;
	return asked > cap ? DSS_WAIT_OVER_CAP : DSS_WAIT_OK;
}

enum dss_wait
dss_ratelimit_retry_after_capped(const char *value, time_t now, double cap,
    double *seconds)
{
	double s;

	if (dss_ratelimit_retry_after(value, now, &s) < 0)
		return DSS_WAIT_NONE;
	return dss_ratelimit_cap(s, cap, seconds);
}

double
dss_ratelimit_backoff(int attempt, double base, double cap,
    unsigned int *seed)
{
	double d = base, r;
	int i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	r = (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
	return d / 2 + r * d / 2;
}
