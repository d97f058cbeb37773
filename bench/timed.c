/* SPDX-License-Identifier: MIT */
/*
 * The timer of bench/pair.py: runs one command and writes its figures to
 * a file, as "wall_s cpu_user_s cpu_sys_s max_rss_kib status".  The
 * figures come from wait4(2), so they take in every thread of the command
 * and every child it waited for.  The harness cannot fork the command
 * itself: Linux records the resident set the child had before exec
 * (the harness's Python interpreter, 16 MiB) as part of its peak RSS, so
 * `true` would show 16 MiB.  Forked from this small program, it shows
 * its own.  status is the exit status, or minus the signal that killed
 * it; 127 when the command cannot be run.
 *
 * usage: timed RESULT_FILE COMMAND [ARG]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	double t0, wall;
	FILE *out;
	pid_t pid;
	int st, status;

	if (argc < 3) {
		fprintf(stderr, "usage: timed RESULT_FILE COMMAND [ARG]...\n");
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "timed: cannot fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		execvp(argv[2], argv + 2);
		fprintf(stderr, "timed: cannot run '%s': %s\n", argv[2],
		    strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "timed: wait4: %s\n", strerror(errno));
			return 1;
		}
	}
	wall = now() - t0;
	status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : 1;
	if ((out = fopen(argv[1], "w")) == NULL) {
		fprintf(stderr, "timed: cannot open '%s': %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	fprintf(out, "%.6f %.6f %.6f %ld %d\n", wall, seconds(ru.ru_utime),
	    seconds(ru.ru_stime), ru.ru_maxrss, status);
	if (fclose(out) != 0) {
		fprintf(stderr, "timed: cannot write '%s'\n", argv[1]);
		return 1;
	}
	return 0;
}
