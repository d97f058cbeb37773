/* SPDX-License-Identifier: MIT */
/*
 * The provider table: every teacher provider dss knows, by the name a
 * SPEC gives before its colon.  A new provider is one teacher_NAME.c and
 * one line here.
 */
#include <string.h>

#include "teacher_impl.h"

static const struct dss_teacher_ops *const providers[] = {
	&dss_teacher_openai,
	&dss_teacher_openai_completions,
	&dss_teacher_anthropic,
	&dss_teacher_gemini,
	&dss_teacher_replay,
};

const struct dss_teacher_ops *
dss_teacher_provider(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strlen(providers[i]->provider) == len &&
		    strncmp(providers[i]->provider, name, len) == 0)
			return providers[i];
	return NULL;
}
