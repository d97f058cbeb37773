/* SPDX-License-Identifier: MIT */
/* When to retry a request, and how long to wait first. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retry.h"

int
dss_retry_throttle(long status)
{
	return status == 429 || status == 503 || status == 529;
}

int
dss_retry_status(long status)
{
	return status == 408 || status == 409 || status == 425 ||
	    status == 429 || status >= 500;
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

/*
 * Parses an HTTP-date in any of the three forms RFC 9110 (5.6.7) has
 * recipients accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the
 * obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year
 * taken as 19xx from 70, else 20xx) and asctime "Sun Nov  6 08:49:37
 * 1994".  Returns 0 with *t set, or -1.
 */
static int
http_date(const char *p, time_t *t)
{
	const char *comma = strchr(p, ',');
	char mon[4], wday[4];
	int d, y, h, mi, s, i, n = 0;

	if (comma != NULL) {
		if (sscanf(comma + 1, " %d %3s %d %d:%d:%d GMT%n", &d, mon, &y,
		    &h, &mi, &s, &n) != 6 || n == 0) {
			n = 0;
			if (sscanf(comma + 1, " %d-%3[A-Za-z]-%d %d:%d:%d GMT%n", &d,
			    mon, &y, &h, &mi, &s, &n) != 6 || n == 0 || y > 99)
				return -1;
			y += y < 70 ? 2000 : 1900;
		}
	} else if (sscanf(p, "%3s %3s %d %d:%d:%d %d%n", wday, mon, &d, &h, &mi,
	    &s, &y, &n) != 7 || n == 0) {
		return -1;
	}
	for (i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			break;
	if (i == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	*t = utc(y, i, d, h, mi, s);
	return 0;
}

int
dss_retry_after(const char *value, time_t now, double *seconds)
{
	const char *p = value;
	char *end;
	double v;
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
	if (http_date(p, &t) < 0)
		return -1;
	*seconds = t > now ? (double)(t - now) : 0;
	return 0;
}

int
dss_retry_duration(const char *value, double *seconds)
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
dss_retry_rfc3339(const char *value, time_t now, double *seconds)
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
dss_retry_cap(double asked, double cap, double *seconds)
{
	if (!(asked >= 0))
		return DSS_WAIT_NONE;
	*seconds = asked;
	if (cap < 0)
		cap = 0;
	return asked > cap ? DSS_WAIT_OVER_CAP : DSS_WAIT_OK;
}

double
dss_retry_backoff(int attempt, double base, double cap,
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

enum dss_retry_verdict
dss_retry_next(const struct dss_retry *p, int attempt, double asked,
    unsigned int *seed, double *seconds)
{
	switch (dss_retry_cap(asked, p->max_wait, seconds)) {
	case DSS_WAIT_OVER_CAP:
		if (!p->cut)
			return DSS_RETRY_TOO_LONG;
		*seconds = p->max_wait > 0 ? p->max_wait : 0;
		break;
	case DSS_WAIT_OK:
		break;
	default:
		*seconds = -1;
	}
	if (attempt > p->retries)
		return DSS_RETRY_GIVE_UP;
	if (*seconds < 0)
		*seconds = dss_retry_backoff(attempt, p->base, p->cap, seed);
	return DSS_RETRY_WAIT;
}
