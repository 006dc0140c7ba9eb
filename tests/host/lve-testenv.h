/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-testenv.h - shared setup of the liblve functional tests
 * (test-lve-enter, test-lve-abi): an OPENLVE_CONF that puts the LVE root
 * of every hierarchy at <random test root>/lveroot, a temporary state dir,
 * and a "home" group next to it where the test's worker processes run (so
 * entering and leaving never writes to a cgroup the test did not create).
 */
#pragma once

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgtest.h"
#include "tap.h"

/* Temp files: each test's conf and state dir live in a tap_mktemp() dir,
 * removed by the tap framework after the last test (also when interrupted). */
static char lte_dir[256];

static bool lte_ctrl_ours(const char *c)
{
	static const char *const ours[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids" };

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!strcmp(c, ours[i]))
			return true;
	return false;
}

/* After CGTEST_PREPARE(): write the conf, export OPENLVE_CONF, create "home". 0 or -errno. */
static int lte_setup(void)
{
	char path[512], buf[8192];
	size_t len = 0;
	FILE *f;
	int r;

	r = tap_mktemp(lte_dir, sizeof(lte_dir));
	if (r < 0)
		return r;
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *hi = cgtest_hier(i);
		char ctrls[256], *save = NULL;

		snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
			if (!lte_ctrl_ours(c))
				continue;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "cgroup_root.%s = %s/lveroot\n", c,
						hi->ns + 1);
			if (len >= sizeof(buf))
				return -E2BIG;
		}
	}
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"state_dir = %s/state\nve_cfg = %s/ve.cfg\nsysconfig = %s/sysconfig\n"
				"info_file = %s/info\nlist_file = %s/list\n",
				lte_dir, lte_dir, lte_dir, lte_dir, lte_dir);
	if (len >= sizeof(buf))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/openlve.conf", lte_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(buf, f);
	if (fclose(f) != 0)
		return -EIO;
	setenv("OPENLVE_CONF", path, 1);
	r = cgtest_mkdir(NULL, "home");
	return r < 0 ? r : 0;
}

#define LTE_SETUP()                                                                      \
	do {                                                                             \
		CGTEST_PREPARE();                                                        \
		int _lr = lte_setup();                                                   \
		if (_lr < 0)                                                             \
			TAP_FAIL("lte_setup: %s", strerror(-_lr));                       \
	} while (0)

/*
 * Workers end with _exit() (cgtest_fork_in), which skips LeakSanitizer's
 * exit-time check: run it explicitly where the sanitizer is linked in.
 */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

struct lte_call {
	int (*fn)(void *);
	void *arg;
};

static int lte_trampoline(void *p)
{
	struct lte_call *c = p;
	int r = c->fn(c->arg);

	if (r == 0 && __lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() != 0)
		return 99;
	return r;
}

/* cgtest_run_in("home", fn, arg) with a leak check at the end of fn. */
static inline int lte_run_home(int (*fn)(void *), void *arg)
{
	struct lte_call c = { fn, arg };

	return cgtest_run_in("home", lte_trampoline, &c);
}

/* Whole /proc/<path> text into buf. */
static int lte_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -errno;
	buf[len] = 0;
	return (int)len;
}

/*
 * Is every openlve hierarchy line of a /proc/<pid>/cgroup text at
 * .../lveroot/lve<id> (id 0: at none)? Lines of other hierarchies are ignored,
 * and so is a v1 line of cpuset alone: an entry moves a thread there only
 * when the LVE has a CPU mask (lte_cpuset_at() looks at it).
 * Returns the number of our lines that are inside, or -1 on mismatch.
 */
static int lte_inside(const char *text, unsigned id)
{
	char want[64];
	int inside = 0, ours = 0;
	bool v2 = false;

	/* a cgroup2 hierarchy counts when it has a controller liblve uses (a hybrid
	 * host's cgroup2 may carry only e.g. hugetlb) */
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *hi = cgtest_hier(i);
		char ctrls[256], *save = NULL;

		if (hi->version != 2)
			continue;
		snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
			if (lte_ctrl_ours(c))
				v2 = true;
	}
	snprintf(want, sizeof(want), "/lveroot/lve%u", id);
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		bool our = false;

		if (c2 && c2 == c1 + 1) {
			our = v2;
		} else if (c2 && (size_t)(c2 - c1 - 1) == 6 && !memcmp(c1 + 1, "cpuset", 6)) {
			our = false;
		} else if (c2) {
			char ctrls[256], *save = NULL;
			size_t n = (size_t)(c2 - c1 - 1);

			if (n < sizeof(ctrls)) {
				memcpy(ctrls, c1 + 1, n);
				ctrls[n] = 0;
				/* hierarchies without a test root (hidden: cgtest.h) hold no LVEs */
				for (char *c = strtok_r(ctrls, ",", &save); c; c = strtok_r(NULL, ",", &save))
					if (lte_ctrl_ours(c) && cgtest_has_ctrl(c))
						our = true;
			}
		}
		if (our) {
			size_t plen = (size_t)(nl - c2 - 1), wl = strlen(want);
			bool in = plen >= wl && !memcmp(c2 + 1 + plen - wl, want, wl);
			bool any = memmem(c2 + 1, plen, "/lveroot/lve", 12) != NULL;

			ours++;
			if (id ? !in : any)
				return -1;
			if (in)
				inside++;
		}
		line = *nl ? nl + 1 : nl;
	}
	return ours ? inside : -1;
}

/*
 * The v1 line of exactly the controllers `ctrls` ("cpuset", "cpu,cpuacct")
 * of a /proc/<pid>/cgroup text: 1 when it is at .../lveroot/lve<id>, 0 when
 * not, -1 when there is no such line.
 */
static inline int lte_line_at(const char *text, const char *ctrls, unsigned id)
{
	char want[64];
	size_t cl = strlen(ctrls);

	snprintf(want, sizeof(want), "/lveroot/lve%u", id);
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));

		if (c1 && (size_t)(nl - c1) > cl + 2 && !memcmp(c1 + 1, ctrls, cl) && c1[1 + cl] == ':') {
			const char *p = c1 + 2 + cl;
			size_t plen = (size_t)(nl - p), wl = strlen(want);

			return plen >= wl && !memcmp(p + plen - wl, want, wl);
		}
		line = *nl ? nl + 1 : nl;
	}
	return -1;
}

/* The v1 cpuset-only line (see lte_line_at). */
static inline int lte_cpuset_at(const char *text, unsigned id)
{
	return lte_line_at(text, "cpuset", id);
}

/*
 * rmdir <test root>/lveroot[/name] in every hierarchy holding LVEs (only
 * non-NULL: in the one of that controller), as another process (lvectl
 * destroy, systemd trimming a unit's groups on v1) removes groups behind a
 * handle. 0 or -errno (reason on stderr).
 */
static inline int lte_rmdir(const char *only, const char *name)
{
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *hi = cgtest_hier(i);
		char ctrls[256], path[512], *save = NULL;
		bool ours = false;

		if (only && hi != cgtest_hier_for(only))
			continue;
		snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
			ours = ours || lte_ctrl_ours(c);
		if (!ours)
			continue;
		snprintf(path, sizeof(path), "%s/lveroot%s%s", hi->root, name ? "/" : "", name ? name : "");
		if (rmdir(path) < 0) {
			fprintf(stderr, "# rmdir %s: %s\n", path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* lte_inside() of the calling thread. */
static inline int lte_self_inside(unsigned id)
{
	char buf[8192];

	if (lte_read("/proc/thread-self/cgroup", buf, sizeof(buf)) < 0)
		return -1;
	return lte_inside(buf, id);
}

static inline int lte_pid_inside(pid_t pid, unsigned id)
{
	char path[64], buf[8192];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (lte_read(path, buf, sizeof(buf)) < 0)
		return -1;
	return lte_inside(buf, id);
}
