/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compat-internal.h - the contract between the OpenVZ compatibility parts
 * of liblve (src/compat, compiled into liblve.so.0):
 *
 *   fairsched.c     fairsched_chwt / _rate / _vcpus / _cpumask
 *   ubstat.c        ubstat(): commands, per-process period, notification
 *   beancounters.c  the beancounter view of an LVE (shared by ubstat and
 *                   the /proc/user_beancounters renderer) and the renderer
 *
 * The beancounter sampling below is async-signal-safe (ubstat is called
 * from signal handlers): no malloc, no stdio, no locks; only open/openat,
 * read/pread, write, close, lseek and fixed buffers. Everything that is not
 * (name translation through convert.c) is done once beforehand.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lve-internal.h"
#include "lve/ubstat.h"
#include "macro.h"

/*
 * The v1 name of the v2 cgroup file `v2name` of controller `ctrl`
 * (e.g. "memory.current" -> "memory.usage_in_bytes"), asked from
 * convert.c. -EOPNOTSUPP without a counterpart, -ERANGE when buf is short.
 */
_hidden_ int compat_v1_name(const char *ctrl, const char *v2name, char *buf, size_t size);

/* File names on this host, resolved once (not async-signal-safe). */
struct ubc_names {
	char mem_current_v1[64]; /* memory.current on v1 */
	char mem_peak_v1[64];    /* memory.peak on v1 */
};
_hidden_ int ubc_names_init(struct ubc_names *n);

/*
 * An open LVE for sampling. Directory fds of lve<ID> in the hierarchies
 * that matter, its state file, and (cgroup v2) an fd of memory.peak:
 * opened O_RDWR it is reset per file description (kernel 6.12+), which
 * gives the peak since the last ubc_peak_reset().
 */
struct ubc_lve {
	uint32_t id;
	int hier0fd;  /* lve<ID> in the first hierarchy (cgroup.procs; tasks fallback) */
	bool hier0_v2;
	int memfd;    /* lve<ID> in the memory hierarchy, -1 without memory */
	bool mem_v2;
	int pidsfd;   /* lve<ID> in the pids hierarchy, -1 without pids */
	int statefd;  /* <state_dir>/lve/<ID> read-only, -1 when absent */
	int peakfd;   /* v2 memory.peak, -1 when absent */
	bool peak_resettable;
	const struct ubc_names *names;
};

/*
 * Open LVE `id` below h's LVE roots (async-signal-safe). With `reset`,
 * memory.peak is opened for per-fd reset when the kernel allows it.
 * -ENOENT when lve<ID> is missing in some hierarchy.
 */
_hidden_ int ubc_lve_open(const struct olve *h, const struct ubc_names *n, uint32_t id, bool reset,
			  struct ubc_lve *out);
_hidden_ void ubc_lve_close(struct ubc_lve *l);
/* Restart the per-fd memory.peak from the current usage (no-op when not resettable). */
_hidden_ void ubc_peak_reset(struct ubc_lve *l);

/* One resource now, in beancounter units (pages or counts). */
struct ubc_val {
	unsigned long held;
	unsigned long barrier;
	unsigned long limit;
	unsigned long failcnt;
	unsigned long peak;  /* kernel peak, valid when has_peak */
	bool has_peak;
	bool peak_lifetime;  /* peak covers the LVE's lifetime (not since ubc_peak_reset) */
};

/* ULONG value of "unlimited" (LONG_MAX, as OpenVZ prints it). */
#define UBC_UNLIMITED ((unsigned long)9223372036854775807L)

/*
 * Sample every resource of an open LVE (async-signal-safe; procfd is an
 * O_DIRECTORY fd of /proc, pagesize the system's). Unmapped resources are
 * held 0, barrier = limit = UBC_UNLIMITED, failcnt 0. -ENOENT when the
 * LVE's group is gone (its cgroup.procs cannot be read).
 */
_hidden_ int ubc_sample(const struct ubc_lve *l, int procfd, unsigned long pagesize,
			struct ubc_val v[UB_RESOURCES]);

/* Resource names of /proc/user_beancounters ("kmemsize", ..., "dummy", "swappages"). */
_hidden_ const char *ubc_resource_name(int res);

/* Async-signal-safe helpers. */
/* Decimal of v into buf (at least 21 bytes), NUL-terminated; returns the length. */
_hidden_ size_t ubc_fmt_u64(char *buf, uint64_t v);
