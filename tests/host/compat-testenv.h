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
	static const char *const ours[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids" };
	static char why[128];
	char cg[8192], mi[65536];

	if (lte_read("/proc/self/cgroup", cg, sizeof(cg)) < 0 || lte_read("/proc/self/mountinfo", mi, sizeof(mi)) < 0)
		return "cannot read /proc/self/cgroup or /proc/self/mountinfo";
	/* v1: "N:ctrl,ctrl:/path" lines */
	for (char *line = cg; *line;) {
		char *nl = strchrnul(line, '\n'), *c1 = strchr(line, ':');
		char *c2 = c1 && c1 < nl ? strchr(c1 + 1, ':') : NULL;

		if (c2 && c2 < nl && c2 > c1 + 1 && (size_t)(c2 - c1) < 256) {
			char list[256], *save = NULL;

			memcpy(list, c1 + 1, (size_t)(c2 - c1 - 1));
			list[c2 - c1 - 1] = 0;
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
				for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
					if (!strcmp(t, ours[i]) && !cgtest_has_ctrl(t)) {
						snprintf(why, sizeof(why), "v1 controller %s has no test root", t);
						return why;
					}
		}
		line = *nl ? nl + 1 : nl;
	}
	/* v2: the controllers of the cgroup2 mount's root */
	for (char *line = mi; *line;) {
		char *nl = strchrnul(line, '\n');
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && sep < nl) {
			char f[5][512], path[600], ctl[1024], *save = NULL;

			if (sscanf(line, "%511s %511s %511s %511s %511s", f[0], f[1], f[2], f[3], f[4]) != 5)
				break;
			snprintf(path, sizeof(path), "%s/cgroup.controllers", f[4]);
			if (lte_read(path, ctl, sizeof(ctl)) < 0)
				break;
			for (char *t = strtok_r(ctl, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
				for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
					if (!strcmp(t, ours[i]) && !cgtest_has_ctrl(t)) {
						snprintf(why, sizeof(why), "cgroup2 controller %s has no test root", t);
						return why;
					}
			break;
		}
		line = *nl ? nl + 1 : nl;
	}
	return NULL;
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
