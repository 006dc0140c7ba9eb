/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve.h - openlve's own LVE API (namespace olve_), in liblve.so.0 beside
 * the CloudLinux-compatible lve-ctl.h API. All limits in one call, usage,
 * faults, listing. Every function returns 0 (or a positive count) on success
 * and a negative errno on failure; output parameters are written only on
 * success. Handles are opaque. Thread-safe unless noted.
 *
 * Limits have cgroup v2 meaning whatever the host runs (v1 is translated).
 */
#ifndef OPENLVE_OPENLVE_H
#define OPENLVE_OPENLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which fields of struct olve_limits are given (the others are inherited). */
enum olve_limit_field {
	OLVE_L_SPEED = 1u << 0,  /* speed */
	OLVE_L_CPU = 1u << 1,    /* cpu_pct (old CPU, % of all cores) */
	OLVE_L_NCPU = 1u << 2,   /* ncpu */
	OLVE_L_PMEM = 1u << 3,   /* pmem */
	OLVE_L_VMEM = 1u << 4,   /* vmem */
	OLVE_L_IO = 1u << 5,     /* io */
	OLVE_L_IOPS = 1u << 6,   /* iops */
	OLVE_L_EP = 1u << 7,     /* ep */
	OLVE_L_NPROC = 1u << 8,  /* nproc */
	OLVE_L_WEIGHT = 1u << 9, /* cpu_weight */
	OLVE_L_ALL = (1u << 10) - 1,
};

/*
 * Limits of one LVE. 0 means unlimited for every field (except cpu_weight,
 * where 0 means the default, 100). Units:
 *   speed      hundredths of a percent of ONE core: 10000 = one core (SPEED 100%)
 *   cpu_pct    old CPU limit, % of ALL cores; effective = min(cpu_pct, ncpu cores)
 *   ncpu       cores
 *   pmem, vmem bytes (ve.cfg and /var/lve/info use 4 KiB pages, lvectl KB)
 *   io         KB/s, read + write each, every disk
 *   iops       operations/s, read + write each, every disk
 *   ep         concurrent entry processes
 *   nproc      processes and threads
 *   cpu_weight 1..10000 (cgroup v2 cpu.weight), 0 = default
 */
struct olve_limits {
	uint32_t mask; /* enum olve_limit_field bits */
	uint32_t speed;
	uint32_t cpu_pct;
	uint32_t ncpu;
	uint64_t pmem;
	uint64_t vmem;
	uint32_t io;
	uint32_t iops;
	uint32_t ep;
	uint32_t nproc;
	uint32_t cpu_weight;
};

/* Documented CloudLinux defaults (REFERENCE: SPEED 100%, PMEM 1 GiB, IO 1024, IOPS 1024, NPROC 100, EP 20). */
void olve_limits_default(struct olve_limits *out);

/* Usage and fault counters of one LVE, read from the kernel (and the EP slot file). */
struct olve_usage {
	uint64_t cpu_usec;     /* CPU time consumed since the LVE was created */
	uint64_t cpu_throttled;/* periods throttled (CPU fault indicator) */
	uint32_t ep;           /* current entry processes */
	uint32_t nproc;        /* current processes + threads */
	uint32_t nprocs_only;  /* current processes (thread groups) */
	uint64_t pmem;         /* bytes of memory charged now */
	uint64_t pmem_peak;    /* highest pmem seen by the kernel, 0 if unknown */
	uint64_t vmem;         /* sum of the LVE processes' virtual memory, bytes */
	uint64_t io_rbytes, io_wbytes; /* cumulative bytes read / written */
	uint64_t io_rios, io_wios;     /* cumulative read / write operations */
	uint64_t fault_ep;     /* entries refused over the EP limit */
	uint64_t fault_pmem;   /* memory limit hits (memory.events max / failcnt) */
	uint64_t fault_vmem;   /* allocations refused by the VMEM limit (best effort) */
	uint64_t fault_nproc;  /* forks refused by pids.max */
};

struct olve;

/*
 * Open a handle. Configuration comes from the file named by the environment
 * variable OPENLVE_CONF (secure_getenv; tests use it) or /etc/openlve/openlve.conf,
 * falling back to built-in defaults. The handle keeps directory fds of the
 * LVE root in every cgroup hierarchy and of the state directory.
 * flags: 0, or OLVE_OPEN_NOCREATE to fail with -ENOENT instead of creating
 * the LVE root.
 */
#define OLVE_OPEN_NOCREATE 0x1
int olve_open(struct olve **out, unsigned flags);
void olve_close(struct olve *h);

/* Create LVE `id` if needed and apply `lim` (fields not in lim->mask are left unchanged). */
int olve_apply(struct olve *h, uint32_t id, const struct olve_limits *lim);
/* Limits in force for `id` (read back from the kernel and the state file). -ENOENT if absent. */
int olve_get_limits(struct olve *h, uint32_t id, struct olve_limits *out);
/* Kill the LVE's tasks and remove it. -ENOENT if absent. */
int olve_destroy(struct olve *h, uint32_t id);
/* LVE ids that exist, sorted; *ids is malloc'd. Returns the count. */
int olve_list(struct olve *h, uint32_t **ids);
int olve_usage(struct olve *h, uint32_t id, struct olve_usage *out);

/* LVE flags (CloudLinux LVE_VE_DISABLE). */
#define OLVE_F_DISABLED 0x1
int olve_set_flags(struct olve *h, uint32_t id, uint32_t flags);
int olve_get_flags(struct olve *h, uint32_t id, uint32_t *flags);

/* Enter flags: same bits as CloudLinux's enum liblve_enter_flags. */
#define OLVE_ENTER_NO_UBC 0x1       /* do not apply VMEM rlimit */
#define OLVE_ENTER_NO_NAMESPACE 0x2 /* accepted, no effect */
#define OLVE_ENTER_NO_MAXENTER 0x4  /* not counted against EP */
#define OLVE_ENTER_SILENCE 0x8      /* accepted, no effect */
#define OLVE_ENTER_PROCESS 0x100    /* move the whole process, not only this thread */

/*
 * Put the calling thread (v1) or process (v2, or OLVE_ENTER_PROCESS) into LVE
 * `id`, creating it with default limits when it does not exist.
 * -EINVAL id 0; -EPERM disabled LVE, already inside an LVE, or not allowed;
 * -E2BIG over the EP limit (the EP fault counter grows).
 */
int olve_enter(struct olve *h, uint32_t id, uint32_t flags, uint32_t *cookie);
/* Return to exactly where the thread was before olve_enter. -ESRCH not in an LVE, -EINVAL bad cookie. */
int olve_leave(struct olve *h, uint32_t cookie);
/* Admin: move process `pid` (all its threads) into / out of an LVE. */
int olve_enter_pid(struct olve *h, uint32_t id, pid_t pid);
int olve_leave_pid(struct olve *h, pid_t pid);
/* LVE id the calling thread is in, 0 when none. */
int olve_current(struct olve *h, uint32_t *id);

#ifdef __cplusplus
}
#endif

#endif
