/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compat-testenv.h - setup shared by the OpenVZ compatibility tests
 * (test-fairsched, test-ubstat): lve-testenv.h's OPENLVE_CONF (LVE root
 * <random test root>/lveroot in every hierarchy, private state dir), a
 * check that every hierarchy liblve will use has a test root (else the
 * test is skipped: liblve would create its root in a group the test does
 * not own), and direct kernel access to LVE groups for the checks.
 */
#pragma once

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-testenv.h"

/* A controller liblve uses that is bound somewhere but has no cgtest root: its name, else NULL. */
static const char *cte_uncovered(void)
{
	static const char *const ours[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids", NULL };

	return cgtest_uncovered(ours);
}

#define CTE_SETUP()                                                             \
	do {                                                                    \
		const char *_why;                                               \
		LTE_SETUP();                                                    \
		_why = cte_uncovered();                                         \
		if (_why)                                                       \
			SKIP("%s", _why);                                       \
	} while (0)

/* Group of LVE id below the test roots; id 0: the LVE root itself ("the host"). */
static inline const char *cte_grp(uint32_t id)
{
	static char g[64];

	if (id == 0)
		snprintf(g, sizeof(g), "lveroot");
	else
		snprintf(g, sizeof(g), "lveroot/lve%" PRIu32, id);
	return g;
}

/* A kernel file of an LVE group (id 0: the LVE root), trailing blanks stripped. */
static inline int cte_kread(const char *ctrl, uint32_t id, const char *file, char *buf, size_t size)
{
	int r = cgtest_read(ctrl, cte_grp(id), file, buf, size);

	if (r >= 0) {
		size_t n = strlen(buf);

		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = 0;
	}
	return r;
}

static inline bool cte_v2(const char *ctrl)
{
	const struct cgtest_hier *hi = cgtest_hier_for(ctrl);

	return hi && hi->version == 2;
}

static inline double cte_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child parked in a group: it sleeps until killed. */
static inline int cte_sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* Start n sleepers in LVE id; pids into out. 0 or -errno. */
static inline int cte_sleepers(uint32_t id, int n, pid_t *out)
{
	for (int i = 0; i < n; i++) {
		pid_t p = cgtest_fork_in(cte_grp(id), cte_sleeper, NULL);

		if (p < 0)
			return (int)p;
		out[i] = p;
	}
	return 0;
}

static inline void cte_kill(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}
