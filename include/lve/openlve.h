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

/*
 * Documented CloudLinux defaults: SPEED 100% (10000), PMEM 1024 MB, IO 1024
 * KB/s, IOPS 1024, NPROC 100, EP 20, VMEM 0 (off), cpu_weight 0 (100). CPU
 * (old) and NCPU are unset: their mask bits are clear. These are the limits
 * of an LVE created implicitly (enter, lve_create) unless lve_set_default
 * stored others.
 */
void olve_limits_default(struct olve_limits *out);

/*
 * Usage and fault counters of one LVE, read from the kernel (and the state
 * file). Counters of a controller that is not available stay 0.
 *   cpu_usec       v2 cpu.stat usage_usec; v1 cpuacct.usage / 1000
 *   cpu_throttled  cpu.stat nr_throttled (both versions)
 *   nproc          pids.current (without pids: lines of tasks / cgroup.threads)
 *   nprocs_only    lines of cgroup.procs
 *   pmem, peak     memory.current / memory.peak (v2, peak 0 before 5.19);
 *                  memory.usage_in_bytes / max_usage_in_bytes (v1)
 *   vmem           sum of /proc/<pid>/statm size of the processes in it
 *   io_*           v2 io.stat rbytes wbytes rios wios summed over devices;
 *                  v1 blkio.throttle.io_service_bytes / io_serviced
 *   fault_pmem     v2 memory.events "max"; v1 memory.failcnt +
 *                  memory.memsw.failcnt, at least the OOM kills of
 *                  memory.oom_control (some kernels leave failcnt at 0)
 *   fault_nproc    pids.events "max"
 *   ep             EP slots held now; fault_ep, fault_vmem: state file
 */
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
 * variable OPENLVE_CONF (secure_getenv; tests use it; a missing file is
 * -ENOENT) or SYSCONFDIR/openlve/openlve.conf (/etc/openlve/openlve.conf in
 * packages), falling back to built-in defaults when that is absent; a bad
 * line is -EINVAL. The handle keeps directory fds of the LVE root in every
 * cgroup hierarchy that has cpu, cpuacct, cpuset, memory, blkio/io or pids
 * (v1: each such mount; v2: the unified mount) and of <state_dir>/lve.
 * The LVE root <mount>/<cgroup_root> is created as needed; on v2 it enables
 * the controllers it can for the LVEs below it (see lve.c for which
 * ancestors may be touched). -ENODEV: no usable hierarchy.
 * flags: 0, or OLVE_OPEN_NOCREATE to fail with -ENOENT instead of creating
 * the LVE root or the state directory (nothing is written), and/or
 * OLVE_OPEN_DELEGATE: when the caller is privileged (euid 0 or
 * CAP_SYS_ADMIN), processes forked from it keep the right to olve_enter /
 * olve_leave through this handle after they drop privileges (a small
 * privileged broker process serves them; nothing survives execve). See
 * liblve(3), section "Privileges". Ignored when the caller is unprivileged.
 */
#define OLVE_OPEN_NOCREATE 0x1
#define OLVE_OPEN_DELEGATE 0x2
int olve_open(struct olve **out, unsigned flags);
void olve_close(struct olve *h);

/*
 * Create LVE `id` if needed (a new one starts with the default limits) and
 * apply `lim`: fields not in lim->mask are left unchanged. CPU: the
 * effective limit is min(speed, cpu_pct * online CPUs * 100, ncpu * 10000)
 * over the non-zero ones, written as cpu.max (v1: cfs quota/period, 100 ms
 * period), at least 1% of a core (the kernel's minimum quota). PMEM also
 * caps swap (memory.swap.max 0 / memsw). IO and IOPS apply to every whole
 * physical disk (/sys/block entries with a device; not loop, ram, zram,
 * dm, md, nbd), read and write each. A controller that is not available
 * is skipped. -EINVAL: id 0, cpu_pct > 100, cpu_weight > 10000, pmem or
 * vmem below 4096 bytes or above INT64_MAX, nproc > 4194304, unknown mask
 * bits (nothing is created then). -EBUSY: v1 cannot shrink memory below
 * the current usage (the old limit stays in force and is reported).
 */
int olve_apply(struct olve *h, uint32_t id, const struct olve_limits *lim);
/*
 * Limits in force for `id`, read back from the kernel files (so a change
 * made behind liblve's back shows), EP and VMEM from the state file. speed
 * is the effective CPU limit the kernel enforces; cpu_pct and ncpu are the
 * values last applied. Fields of controllers that are not available are
 * absent from out->mask. -ENOENT if absent.
 */
int olve_get_limits(struct olve *h, uint32_t id, struct olve_limits *out);
/*
 * Kill the LVE's processes (v2 cgroup.kill, else SIGKILL through pidfds,
 * repeated until empty; on v1 a thread that entered alone while its process
 * lives elsewhere is moved back to its process's group instead) and remove
 * it from every hierarchy and the state directory. -ENOENT if absent,
 * -EBUSY if the caller itself is inside or tasks survive 5 s.
 */
int olve_destroy(struct olve *h, uint32_t id);
/*
 * LVE ids that exist (lve<ID> groups under the LVE root of the first
 * hierarchy; other names are ignored), sorted; *ids is malloc'd (NULL when
 * the count is 0). Returns the count.
 */
int olve_list(struct olve *h, uint32_t **ids);
/* Usage and faults of `id` now (see struct olve_usage). -ENOENT if absent. */
int olve_usage(struct olve *h, uint32_t id, struct olve_usage *out);

/* LVE flags (CloudLinux LVE_VE_DISABLE), kept in the state file. Unknown bits -EINVAL, absent LVE -ENOENT. */
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
/*
 * Label the calling thread's current entry (cookie from olve_enter) with
 * `text` (e.g. the HTTP request: "GET example.com /index.php"), cut at 479
 * bytes; a later call replaces it, leaving removes it. lved's snapshots of
 * the LVE list the labels of the entries running at fault time. Only an
 * entry counted against EP has a place for a label: -ENOENT for entries of
 * LVEs without an EP limit or with OLVE_ENTER_NO_MAXENTER (and for EP slots
 * past 4096). -ESRCH not in an LVE, -EINVAL bad cookie or NULL text.
 */
int olve_annotate(uint32_t cookie, const char *text);
/* Admin: move process `pid` (all its threads) into / out of an LVE. */
int olve_enter_pid(struct olve *h, uint32_t id, pid_t pid);
/*
 * olve_enter_pid with a safety check: without OLVE_ENTER_PID_FORCE, PID 1,
 * kernel threads and processes with real or effective uid 0 are refused
 * (-EPERM). olve_enter_pid() itself does not check (pam_lve moves root's
 * session process). Unknown flag bits -EINVAL.
 */
#define OLVE_ENTER_PID_FORCE 0x1
int olve_enter_pid_flags(struct olve *h, uint32_t id, pid_t pid, uint32_t flags);
int olve_leave_pid(struct olve *h, pid_t pid);
/* LVE id the calling thread is in (per /proc/thread-self/cgroup, first hierarchy), 0 when none. */
int olve_current(struct olve *h, uint32_t *id);

/*
 * CloudLinux's documented check "am I inside CageFS": the regular file
 * /var/.cagefs/.cagefs.token exists below `root` (NULL = "/"). openlve has no
 * CageFS of its own; panels that run on a CloudLinux host keep working.
 * 1 inside, 0 outside, -errno when root cannot be examined.
 */
int olve_cagefs_inside(const char *root);

#ifdef __cplusplus
}
#endif

#endif
