/* SPDX-License-Identifier: MIT */
/*
 * dss: the front door.  "dss COMMAND ARGS..." runs dss-COMMAND with ARGS,
 * git-style, taking the program from the directory dss itself is in (so a
 * build tree or a moved install works as it is) and else from PATH.
 * "dss help" lists the commands, "dss help COMMAND" shows a command's
 * --help.  The command's exit status is dss's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* The commands, in pipeline order, with what each does. */
static const struct command {
	const char *name;
	const char *what;
} commands[] = {
	{ "fetch", "download a dataset and emit its examples in the official split" },
	{ "prompt", "render few-shot chain-of-thought prompts for examples" },
	{ "teach", "ask a teacher model for rationales, caching every response" },
	{ "filter", "extract answers and keep rationales that agree" },
	{ "store", "upsert records into a dss database, or merge shard databases" },
	{ "import", "read the official release's examples and PaLM completions" },
	{ "sample", "make nested, stratified or official data fractions" },
	{ "export", "stream training files for a student model" },
	{ "eval", "score a student's predictions, with the ablation table" },
	{ "stats", "report a corpus's quality from its database" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char synopsis[] =
    "usage: dss COMMAND [ARG ...]\n"
    "       dss help [COMMAND]\n"
    "       dss --help\n"
    "       dss --version\n";
static const char options[] =
    "  -h, --help    list the commands (as dss help)\n"
    "  --version     print the version\n";

/* The directory of the running program, with a trailing '/', or "". */
static void
self_dir(char *dir, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", dir, n - 1);
	char *slash;

	if (len <= 0) {
		dir[0] = '\0';
		return;
	}
	dir[len] = '\0';
	slash = strrchr(dir, '/');
	if (slash != NULL)
		slash[1] = '\0';
	else
		dir[0] = '\0';
}

/*
 * The program of command name: DIR/dss-NAME when it is there, else the
 * bare dss-NAME for a PATH search.  Returns 1 when it can be run.
 */
static int
find(const char *name, char *path, size_t n)
{
	char dir[PATH_MAX];
	const char *p;

	self_dir(dir, sizeof(dir));
	if (dir[0] != '\0' &&
	    (size_t)snprintf(path, n, "%sdss-%s", dir, name) < n &&
	    access(path, X_OK) == 0)
		return 1;
	snprintf(path, n, "dss-%s", name);
	if ((p = getenv("PATH")) == NULL)
		return 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ":");
		char full[PATH_MAX];

		if (len > 0 && (size_t)snprintf(full, sizeof(full), "%.*s/dss-%s",
		    (int)len, p, name) < sizeof(full) && access(full, X_OK) == 0)
			return 1;
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* A command name is lowercase letters only, so it names no path. */
static int
valid_name(const char *name)
{
	return *name != '\0' && strspn(name, "abcdefghijklmnopqrstuvwxyz") ==
	    strlen(name);
}

static int
list(void)
{
	char path[PATH_MAX];
	size_t i;

	printf("%s\n%s\ncommands:\n", synopsis, options);
	for (i = 0; i < NCOMMANDS; i++)
		if (find(commands[i].name, path, sizeof(path)))
			printf("  %-8s %s\n", commands[i].name, commands[i].what);
	printf("\n'dss help COMMAND' shows a command's options; "
	    "man dss-COMMAND has the whole story.\n");
	return tool_fshut(stdout, "stdout");
}

__attribute__((noreturn)) static void
run(const char *name, char **argv)
{
	char path[PATH_MAX];

	if (!valid_name(name) || !find(name, path, sizeof(path))) {
		warnx("'%s' is not a dss command; see 'dss help'", name);
		exit(2);
	}
	argv[0] = path;
	execvp(path, argv);
	die("cannot run '%s': %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	tool_start("dss", synopsis, options);
	if (argc < 2)
		tool_usage(stderr, 2);
	if (strcmp(argv[1], "--version") == 0)
		tool_version();
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2))
		return list();
	if (strcmp(argv[1], "help") == 0) {
		char *args[] = { NULL, "--help", NULL };

		if (argc > 3)
			tool_usage(stderr, 2);
		run(argv[2], args);
	}
	if (argv[1][0] == '-')
		tool_usage(stderr, 2);
	run(argv[1], argv + 1);
}
