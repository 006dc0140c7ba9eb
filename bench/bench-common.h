/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-common: what the benchmarks share. C library only, since bench-lve
 * and bench-cgroup link no internal library (bench-cgroup links no cgroup
 * library at all).
 *
 *   clocks, medians, messages   bench_now_s/us, bench_cpu_s, bench_median,
 *                               bench_die
 *   signals                     bench_catch_signals: SIGINT/SIGTERM/SIGHUP
 *                               set bench_stop (checked between steps)
 *   small files                 bench_read_at, bench_write_at, bench_strip
 *   the test subtree            a random "<prefix>-XXXXXXXX" below this
 *                               process's own cgroup in every hierarchy with
 *                               our controllers (bench_hiers_find,
 *                               bench_subtree_make, bench_subgroup_make),
 *                               a temp dir with an openlve.conf whose LVE root
 *                               is in that subtree (bench_tmpdir_make,
 *                               bench_conf_write), and their removal
 *                               (bench_cleanup, bench_rmtree_at).
 *
 * Nothing outside the subtree and the temp dir is ever written.
 */
#pragma once

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BENCH_EXIT_SKIP 77 /* meson: SKIP (not root, no cgroup hierarchy) */
#define BENCH_MAX_HIER  16

/* CLOCK_MONOTONIC in seconds / microseconds. */
double bench_now_s(void);
double bench_now_us(void);
/* CPU time of this process (user + system), seconds. */
double bench_cpu_s(void);
/* Median of v[0..n) (v is not reordered); 0 when n <= 0. */
double bench_median(const double *v, int n);
/* "<program>: <message>\n" on stderr; returns 1 (the exit status of an error). */
int bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The signal that asked us to stop (0: none). */
extern volatile sig_atomic_t bench_stop;
/* SIGINT, SIGTERM, SIGHUP set bench_stop, then call hook (if any) in the handler. */
void bench_catch_signals(void (*hook)(int sig));

/* Whole small file below dirfd (AT_FDCWD: a path) into buf, NUL-terminated: length or -errno. */
int bench_read_at(int dirfd, const char *path, char *buf, size_t size);
/* One write(2) of s to an existing file below dirfd: 0, -errno, -EIO when short. */
int bench_write_at(int dirfd, const char *path, const char *s);
/* Trailing white space removed; returns s. */
char *bench_strip(char *s);
/* Copy a value file (cpuset.cpus, ...) from one group to another; empty values are skipped. */
int bench_copy_file_at(int from, int to, const char *name);

/*
 * The path ("/" or "/a/b") of a hierarchy in the text of /proc/<pid>/cgroup:
 * version 2 the "0::" line, version 1 the line whose controller list has
 * ctrl. -ENOENT when there is none, -ENAMETOOLONG when it does not fit.
 */
int bench_cgroup_path(const char *text, int version, const char *ctrl, char *out, size_t size);

/*
 * Remove dirfd/name and every directory below it (cgroup directories hold no
 * removable files). With kill_busy, the tasks of a group that stays busy are
 * sent SIGKILL and the removal retried for up to a second. Uses only
 * async-signal-safe calls. 0 or -errno.
 */
int bench_rmtree_at(int dirfd, const char *name, bool kill_busy);

/* "<prefix>-XXXXXXXX" with 32 random bits: 0 or -errno. */
int bench_random_name(const char *prefix, char *out, size_t size);

struct bench_hier {
	char mount[512];
	int version;     /* 1 or 2 */
	char ctrls[256]; /* our controllers bound (v1) / available (v2), space separated */
	char own[PATH_MAX]; /* this process's cgroup, "/" or "/a/b" */
	dev_t dev;
	int ownfd; /* <mount><own>, or -1 */
	int topfd; /* <mount><own>/<bench_top>, or -1 */
	bool made; /* <bench_top> was made here (and only then is removed) */
};

extern struct bench_hier bench_hier[BENCH_MAX_HIER];
extern int bench_nhier;
extern char bench_top[64];     /* name of the subtree ("" until made) */
extern char bench_tmpdir[64];  /* the temp dir ("" until made) */

/*
 * Every mounted hierarchy with at least one of our controllers (cpu, cpuacct,
 * cpuset, memory, blkio, io, pids) in which this process has a cgroup, each
 * once, in mountinfo order. Returns their number (0: none) or -errno.
 */
int bench_hiers_find(void);
/* h's path in the text of /proc/<pid>/cgroup (see bench_cgroup_path). */
int bench_hier_path(const struct bench_hier *h, const char *text, char *out, size_t size);
/* Whether ctrl is one of h's controllers. */
bool bench_hier_has(const struct bench_hier *h, const char *ctrl);
/* Path of h's subtree relative to the mount without the leading '/' ("a/b/<top>"). */
void bench_hier_rel(const struct bench_hier *h, char *out, size_t size);

/*
 * mkdir <own>/<prefix>-XXXXXXXX in every hierarchy: v1 cpuset gets its
 * parent's cpus and mems, v2 enables the controllers for its children.
 * 0 or -errno; whatever was made is removed by bench_cleanup().
 */
int bench_subtree_make(const char *prefix);
/*
 * mkdir <top>/<name> in every hierarchy (cpuset copied; with delegate, v2
 * controllers enabled for its children). fds (may be NULL): an O_DIRECTORY
 * fd of it per hierarchy, closed by the caller. 0 or -errno.
 */
int bench_subgroup_make(const char *name, bool delegate, int *fds);

/* mkdtemp /tmp/<prefix>-XXXXXX into bench_tmpdir: 0 or -errno. */
int bench_tmpdir_make(const char *prefix);
/*
 * <tmpdir>/openlve.conf: the LVE root of every controller is <top>/<lveroot>,
 * state and configuration files in the temp dir; exported as OPENLVE_CONF.
 */
int bench_conf_write(const char *lveroot);

/* Remove the subtree (bench_rmtree_at with kill_busy) and the temp dir; close the fds. */
void bench_cleanup(bool kill_busy);
