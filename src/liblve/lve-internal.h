/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-internal.h - the contract between the parts of liblve.
 *
 *   conf.c    openlve.conf (OPENLVE_CONF) parsing
 *   lve.c     handle: LVE root dirfds in every hierarchy, state dir, per-LVE fd
 *             cache, list, destroy, current
 *   limits.c  struct olve_limits <-> cgroup v2 settings (v1 via convert.c),
 *             disk scan, apply / get_limits / usage
 *   state.c   per-LVE state file: flags, EP limit, VMEM, fault counters, EP
 *             slots; the defaults record; olve_set_flags / olve_get_flags
 *   enter.c   enter / leave / enter_pid / leave_pid
 *   priv.c    who may enter / change LVEs; the privileged broker that hands
 *             root-opened fds to a web server's unprivileged children
 *   seed.c    the seed API of lve-ctl.h
 *   abi1.c    the CloudLinux 1.x ABI of lve-ctl.h
 *   vecfg.c   /etc/container/ve.cfg (libxml2)      [used by lvectl, lved]
 *   packages.c CUSTOM_GETPACKAGE_SCRIPT runner      [used by lvectl]
 *
 * Layout on every hierarchy (v1: each controller mount; v2: the unified mount):
 *   <mount>/<cgroup_root>/              the LVE root; created by openlve; on v2 it
 *                                       enables cpu cpuset io memory pids for children
 *   <mount>/<cgroup_root>/lve<ID>/      one LVE: limits AND its processes (it has
 *                                       no child groups, so v2's no-internal-process
 *                                       rule does not apply)
 * State (tmpfs, rebuilt from cgroups + ve.cfg after reboot):
 *   <state_dir>/lve/<ID>                struct olve_state + EP slot bytes
 *   <state_dir>/lve/default             struct olve_state: limits of new LVEs
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lve/openlve.h"
#include "macro.h"

/* ------------------------------------------------------------------ conf */

/*
 * openlve.conf: one "key = value" per line; blank lines and lines whose
 * first non-blank character is '#' are ignored (no trailing comments: a
 * '#' inside a value is part of it). Keys:
 *   cgroup_root              LVE root below every mount (relative; no "..")
 *   cgroup_root.<controller> override for the hierarchy holding <controller>
 *                            (cpu cpuacct cpuset memory blkio io pids)
 *   state_dir ve_cfg sysconfig info_file list_file limits_file   absolute paths
 *   fd_cache_size            LVEs whose fds a handle keeps open (decimal
 *                            0..65536, default 256; 0: none, every call
 *                            opens them afresh); see struct olve_lve_fds
 * An unknown key, a duplicate key, a line without '=' or a bad value is
 * -EINVAL and the 1-based line number goes to *errline.
 */
#define OLVE_CONF_CTRL_MAX 16

struct olve_conf {
	char *cgroup_root;                         /* relative to each mount; default "openlve" */
	char *cgroup_root_ctrl[OLVE_CONF_CTRL_MAX]; /* per-controller override, index enum cg_ctrl */
	char *state_dir;                           /* default "/run/openlve" */
	char *ve_cfg;                              /* default "/etc/container/ve.cfg" */
	char *sysconfig;                           /* default "/etc/sysconfig/cloudlinux" */
	char *info_file;                           /* default "/var/lve/info" */
	char *list_file;                           /* /proc/lve/list stand-in, default "<state_dir>/list" */
	char *limits_file;                         /* limits store (limits-store.h), default
	                                              "/var/lib/openlve/limits", "<ve_cfg>.limits"
	                                              when ve_cfg is not the default */
	char *binaries_file;                       /* [issue 10] lvectl set-binary's list, default
	                                              "/etc/container/lve-binaries", beside ve_cfg
	                                              when ve_cfg is not the default */
	unsigned fd_cache_size;                    /* default OLVE_FD_CACHE_DEFAULT */
	bool fd_cache_size_set;                    /* given in the file (duplicate check) */
};

#define OLVE_FD_CACHE_DEFAULT 256
#define OLVE_FD_CACHE_MAX 65536

/*
 * Parse `path` (NULL: OPENLVE_CONF via secure_getenv, else
 * SYSCONFDIR/openlve/openlve.conf; a missing default file gives built-in
 * defaults, a missing OPENLVE_CONF or explicit file is -ENOENT). -errno;
 * bad line -> -EINVAL with *errline (may be NULL) set to its number; 0 in
 * *errline for errors that are not about one line. *errline is written on
 * failure only (an exception to the output-on-success rule).
 */
_hidden_ int olve_conf_load(const char *path, struct olve_conf *out, unsigned *errline);
/* Pure parser of the file text (fuzzed). Fills defaults for keys not given. */
_hidden_ int olve_conf_parse(const char *text, struct olve_conf *out, unsigned *errline);
_hidden_ void olve_conf_free(struct olve_conf *c);
/* cgroup_root to use for controller `ctrl` (enum cg_ctrl): its override or cgroup_root. */
_hidden_ const char *olve_conf_root_for(const struct olve_conf *c, int ctrl);

/* ---------------------------------------------------------------- handle */

#define OLVE_MAX_HIER 16

struct olve_hier {
	int version;       /* 1 or 2 (enum cg_version_t) */
	uint32_t ctrls;    /* controllers served (bit = 1u << enum cg_ctrl) */
	int rootfd;        /* O_DIRECTORY fd of <mount>/<cgroup_root> */
	const char *tasks; /* "tasks" (v1) or "cgroup.procs" (v2) */
	char *root;        /* "/<cgroup_root>" as it appears in /proc/<pid>/cgroup */
	int first_ctrl;    /* a controller of it, to find its line in /proc/<pid>/cgroup (v1) */
	int mountfd;       /* borrowed O_PATH fd of the mount (owned by cg_sys) */
};

/*
 * A v1 hierarchy that serves only cpuset: it holds nothing an LVE limits or
 * lved reports unless the LVE has a CPU mask (olve_state.cpumask), so an
 * entry leaves the thread where it is there (one migration less per entry),
 * and lve<ID> is not even created there without a mask (lazy cpuset, lve.c).
 */
_hidden_ bool olve_hier_cpuset_only(const struct olve_hier *hr);

/*
 * Whether the cgroup open as dirfd has been removed (rmdir by olve_destroy,
 * another process, or systemd trimming a v1 hierarchy): the kernel unlinks
 * a removed group's files, and a live group always has "cgroup.procs".
 * Tells "this group is gone" from "this controller has no such file" when
 * a read of a limit file fails with ENOENT. One faccessat.
 */
_hidden_ bool olve_group_removed(int dirfd);

struct olve {
	struct olve_conf conf;
	int n_hier;
	struct olve_hier hier[OLVE_MAX_HIER];
	int statefd; /* O_DIRECTORY fd of <state_dir>/lve */
	int ncpus;   /* online CPUs */
	bool create; /* opened without OLVE_OPEN_NOCREATE: may make the LVE root again (lve.c) */
	pthread_mutex_t lock;
	void *cache;  /* per-LVE fd cache, owned by lve.c */
	int brokerfd; /* priv.c: socket to the broker (OLVE_OPEN_DELEGATE), -1 */
	/* threads.c: the server's cgroup v2 threaded subtree (olve_tcg_*) */
	int tcg_dirfd;      /* O_DIRECTORY fd of <server cgroup>/openlve-threads, -1 */
	int tcg_hier;       /* index of the v2 hierarchy it is on, -1 */
	const char *tcg_why; /* static text: why there is none (NULL when there is) */
	void *tcg_table;    /* per-LVE thread children of this process (threads.c) */
};

/* Index of the hierarchy serving controller `ctrl` (io and blkio are one), or -1. */
_hidden_ int olve_hier_of(const struct olve *h, int ctrl);

/*
 * Per-LVE fds, shared through a bounded cache in the handle (lve.c).
 *
 * Reference counted: olve_lve_get() returns a reference that the caller
 * drops with olve_lve_put() when done with the fds (every return path;
 * _cleanup_lve_put_ does it at scope exit). The cache holds a reference of
 * its own while the entry is listed; olve_lve_forget(), eviction and
 * olve_close() drop it. The fds are closed when the last reference goes,
 * so an entry stays valid, and its fd numbers are never reused, as long as
 * the caller holds it, whatever other threads forget or destroy meanwhile.
 * Two entries of one id may exist at once (an evicted or forgotten one
 * still in use and a fresh one): both name the same cgroups.
 *
 * Bound: at most fd_cache_size entries (openlve.conf, default 256; 0 keeps
 * none), and never more than a quarter of RLIMIT_NOFILE's soft limit worth
 * of fds (2 * n_hier + 1 per entry; at least one entry). When a new entry
 * does not fit, the least recently gotten one goes (preferring entries
 * nobody holds); references held by callers come on top of the bound.
 *
 * If the LVE was removed behind our back (another process destroyed it),
 * writes to these fds fail with -ENODEV/-ENOENT: put the entry, call
 * olve_lve_forget() and olve_lve_get() again once (olve_lve_reopen).
 *
 * statefd is shared by every thread using the handle, so OFD locks taken
 * on it do NOT exclude other threads of this process: take EP slot locks
 * on a fresh fd from olve_state_open().
 */
struct olve_lve_fds {
	uint32_t id;
	int dirfd[OLVE_MAX_HIER];   /* lve<ID> dir in each hierarchy (index as h->hier) */
	int tasksfd[OLVE_MAX_HIER]; /* its tasks / cgroup.procs, O_WRONLY */
	int statefd;                /* state file, O_RDWR */
	/* olve_state_attach(): read-only shared mapping of the state header (NULL: none), its file */
	const struct olve_state *map;
	dev_t state_dev;
	ino_t state_ino;
	/* lve.c's bookkeeping: do not touch */
	atomic_uint refs; /* the cache's (while listed) + one per olve_lve_get not yet put */
	uint64_t used;    /* cache clock at the last get (under h->lock) */
};

/*
 * Look up (and open) LVE `id`; *out is a new reference (olve_lve_put it).
 * Without `create`: -ENOENT unless lve<ID> exists in every hierarchy (but a
 * cpuset-only one: see olve_lve_cpuset_make). With
 * `create`: missing dirs are made (not in a cpuset-only hierarchy)
 * and a new LVE gets the default limits (olve_defaults_get). The state
 * file is (re)created whenever the cgroups exist. -EINVAL for id 0.
 * A hit costs the handle's mutex and one atomic increment, no syscall.
 * A miss that fails with -ENOENT/-ENODEV checks the handle's LVE roots
 * and, when one was removed behind it, opens (or makes) it again by path,
 * empties the cache and tries once more (lve.c, roots_refresh).
 */
_hidden_ int olve_lve_get(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out);
/*
 * [i12] Lazy cpuset: lve<ID> in a cpuset-only v1 hierarchy exists only for
 * an LVE given a CPU mask (its olve_lve_fds slots are -1 otherwise); this
 * creates it (parent's cpus/mems) and drops cached entries of the LVE.
 */
_hidden_ int olve_lve_cpuset_make(struct olve *h, uint32_t id);
/*
 * Drop a reference from olve_lve_get (f NULL: nothing). One atomic
 * decrement; the last reference closes the fds. Never needs the handle
 * (h may be NULL; the entry may outlive an olve_close'd handle).
 */
_hidden_ void olve_lve_put(struct olve *h, struct olve_lve_fds *f);
/* Take `id` out of the cache (its fds close once no caller holds them). */
_hidden_ void olve_lve_forget(struct olve *h, uint32_t id);
/*
 * The LVE of *lve was removed (and maybe made again) behind the handle: a
 * write or open through its fds failed with -ENOENT or -ENODEV. Drops *lve,
 * forgets the cached entry and gets the LVE again, creating it (and, when
 * the LVE root itself was removed, opening or making the root again:
 * olve_lve_get). The one re-open of the enter paths (olve_enter,
 * olve_enter_pid). 0 with a fresh *lve, or -errno with *lve NULL.
 */
_hidden_ int olve_lve_reopen(struct olve *h, uint32_t id, struct olve_lve_fds **lve);
static inline void olve_lve_putp(struct olve_lve_fds **f)
{
	olve_lve_put(NULL, *f);
}
#define _cleanup_lve_put_ _cleanup_(olve_lve_putp)
/* "lve<ID>" into buf. */
_hidden_ void olve_lve_dirname(uint32_t id, char buf[static 16]);
/*
 * Reseller limits: a customer of reseller R lives in "lvp<R>/lve<ID>" below
 * the LVE root of every hierarchy (the lvp group carries R's caps, so the
 * kernel enforces the customers' sum); other LVEs in "lve<ID>".
 * olve_lve_relpath: where LVE id is (an existing group wins: "lve<ID>"
 * first, then its reseller's), else where it would be created (the limits
 * store's reseller of id). *reseller = R or 0. Returns 1 when it exists.
 */
#define OLVE_RELPATH_MAX 40
_hidden_ int olve_lve_relpath(struct olve *h, uint32_t id, char buf[static OLVE_RELPATH_MAX],
                              uint32_t *reseller);
/* "lvp<R>" */
_hidden_ void olve_lvp_dirname(uint32_t rid, char buf[static 16]);
/* Strict "lvp<R>" parse (as olve_lve_parse_dirname). */
_hidden_ int olve_lvp_parse_dirname(const char *name, uint32_t *rid);
/*
 * Create (when missing) reseller R's group "lvp<R>" in every hierarchy and
 * write `lim` (SPEED/CPU/NCPU, PMEM, IO, IOPS, NPROC; EP and VMEM have no
 * group-wide meaning and are ignored) into it. v2: the group enables its
 * controllers for its children. -errno.
 */
_hidden_ int olve_reseller_apply(struct olve *h, uint32_t rid, const struct olve_limits *lim);
/* Ids of the lvp<R> groups that exist (*ids malloc'd). Returns the count. */
_hidden_ int olve_reseller_groups(struct olve *h, uint32_t **ids);
/* Remove reseller R's group when no customer group is left in it: 0, -ENOTEMPTY, -ENOENT. */
_hidden_ int olve_reseller_remove(struct olve *h, uint32_t rid);
/* Limits the kernel enforces on reseller R's group (read back). -ENOENT when absent. */
_hidden_ int olve_reseller_limits(struct olve *h, uint32_t rid, struct olve_limits *out);
/* Write full limits into the groups dirfd[hier] (no state record): used for reseller groups. */
_hidden_ int olve_group_limits_write(struct olve *h, const int *dirfd, const struct olve_limits *lim);
/* Read back the limits of the groups dirfd[hier]. */
_hidden_ int olve_group_limits_read(struct olve *h, const int *dirfd, struct olve_limits *out);
/* Strict "lve<ID>" parse: decimal, no sign or leading zero, 1..UINT32_MAX. 0 or -EINVAL. */
_hidden_ int olve_lve_parse_dirname(const char *name, uint32_t *id);
/* Parse /proc/<pid>/cgroup text: the LVE id under h's root (0 = none). */
_hidden_ int olve_current_parse(const struct olve *h, const char *text, uint32_t *id);
/*
 * Like olve_current_parse over every hierarchy entries move (cpuset-only ones
 * left out): *id = the LVE the task is in somewhere (0: none), *partial = the
 * hierarchies disagree (a task caught in the middle of a move, e.g. forked
 * while its parent was being moved hierarchy by hierarchy).
 */
_hidden_ int olve_current_parse_all(const struct olve *h, const char *text, uint32_t *id, bool *partial);

/* ---------------------------------------------------------------- limits */

/*
 * One cgroup setting produced by the translation: file `file` in the
 * hierarchy of controller `ctrl` gets `value`. A value of several
 * '\n'-separated lines is written one line per write(2) (io.max,
 * blkio.throttle.*). `optional` settings are skipped when the kernel does
 * not have the file (memory.swap.max without swap accounting,
 * memory.memsw.limit_in_bytes).
 */
struct olve_setting {
	int ctrl; /* enum cg_ctrl */
	char *file;
	char *value;
	bool optional;
	uint32_t fields; /* enum olve_limit_field bits this setting enforces */
};

struct olve_settings {
	struct olve_setting *v;
	size_t n;
};

_hidden_ void olve_settings_free(struct olve_settings *s);

struct olve_dev {
	uint32_t major, minor;
};

/*
 * Whole disks to throttle: the entries of /sys/block (`sysblockfd`) that
 * have a "device" link (real hardware: sd*, vd*, nvme*n*, xvd*, mmcblk*),
 * never loop*, ram*, zram*, dm-*, md*, nbd* (virtual devices sit on top of
 * disks that are throttled already). Sorted by major:minor. *devs malloc'd.
 * Returns the count.
 */
_hidden_ int olve_disks_scan(int sysblockfd, struct olve_dev **devs);

/* -EINVAL when a field of `lim` (those in lim->mask) is out of range. */
_hidden_ int olve_limits_check(const struct olve_limits *lim);

/*
 * The pure translation: settings enforcing the fields `fields` of `lim`
 * on a hierarchy of cgroup `version` (1 or 2), on a machine with `ncpus`
 * online CPUs and the disks `devs`. v2 meaning:
 *   SPEED|CPU|NCPU -> cpu.max "Q 100000": Q = 10 * min(speed,
 *                     cpu_pct * ncpus * 100, ncpu * 10000) over the non-zero
 *                     ones (us per 100 ms), at least 1000; all zero -> "max 100000"
 *   WEIGHT         -> cpu.weight (0 -> 100)
 *   PMEM           -> memory.max (0 -> max) + memory.swap.max 0 (max) [optional]
 *   NPROC          -> pids.max (0 -> max)
 *   IO|IOPS        -> io.max, one line per disk: rbps=wbps=io*1024 riops=wiops=iops
 *                     (0 -> max); no disks -> nothing
 * v1: the same converted by cg_convert_controller(), settings of the same
 * fields together (memory.max + memory.swap.max -> memory.limit_in_bytes +
 * memory.memsw.limit_in_bytes [optional]; cpu.max -> cfs_quota_us +
 * cfs_period_us; cpu.weight -> cpu.shares; io.max -> blkio.throttle.*).
 * EP and VMEM produce nothing (state file / rlimit). -EINVAL on bad input.
 */
_hidden_ int olve_limits_translate(const struct olve_limits *lim, uint32_t fields, int version,
				   int ncpus, const struct olve_dev *devs, size_t n_devs,
				   struct olve_settings *out);

/*
 * Reverse of the translation for one v2 setting read from the kernel
 * (v1 files are converted to v2 names first): fills the fields it
 * enforces into *out and sets their mask bits. io.max lines of devices
 * not in `devs` are ignored. -EINVAL on text the kernel would not print.
 */
_hidden_ int olve_limits_from_v2(const char *file, const char *value, const struct olve_dev *devs,
				 size_t n_devs, struct olve_limits *out);

/* Copy the fields in src->mask into dst and add them to dst->mask. */
_hidden_ void olve_limits_merge(struct olve_limits *dst, const struct olve_limits *src);

/*
 * Write `lim` (fields in lim->mask, merged with the state record) to an
 * open LVE and record it in the state file, all under the state lock.
 * Fields whose write failed keep their old record; the first error is
 * returned (-EBUSY: v1 memory cannot shrink below the usage).
 */
_hidden_ int olve_limits_write(struct olve *h, struct olve_lve_fds *f, const struct olve_limits *lim);
/*
 * The same, but only while the state record holds no limits yet (mask 0:
 * an LVE being created, or one whose creator died before its limits were
 * recorded); 0 without writing when someone recorded limits meanwhile.
 */
_hidden_ int olve_limits_write_initial(struct olve *h, struct olve_lve_fds *f, const struct olve_limits *lim);

/* ----------------------------------------------------------------- state */

#define OLVE_STATE_MAGIC 0x4f4c5645u /* "OLVE" */
#define OLVE_STATE_VERSION 1
/*
 * EP slot i (0 <= i < ep_limit) is the byte OLVE_SLOT_BASE + i of the state
 * file. A slot is taken by an OFD write lock (F_OFD_SETLK, l_len 1) held on
 * that byte by the entered task's own open file description; it is released
 * by F_UNLCK or when that description is closed (a crashed process frees
 * its slots). The file is never extended for slots: locks past EOF are fine.
 */
#define OLVE_SLOT_BASE 4096

/*
 * Entry notes (olve_annotate, issue 11): the holder of EP slot i may write
 * one struct olve_note at OLVE_NOTE_BASE + i * sizeof(struct olve_note) of
 * the state file (data, not the slot's lock byte: the two ranges are used
 * independently), slots below OLVE_NOTE_SLOTS only. Written with one
 * pwrite through the holder's own root-opened description of THIS LVE's
 * state file, cleared (magic 0) before the slot is unlocked. A note counts
 * only while its slot is locked and its pid runs since before `when_ns`
 * (olve_state_notes): a crashed holder's note is ignored.
 */
#define OLVE_NOTE_BASE 65536
#define OLVE_NOTE_SLOTS 4096
#define OLVE_NOTE_MAGIC 0x4e4f5445u /* "NOTE" */
#define OLVE_NOTE_TEXT 480

struct olve_note {
	uint32_t magic;
	uint32_t slot;
	int32_t pid, tid;
	int64_t when_ns; /* CLOCK_REALTIME when written */
	uint64_t reserved;
	char text[OLVE_NOTE_TEXT]; /* NUL-terminated */
};

/*
 * The valid notes of the LVE whose state file is fd (O_RDWR or O_RDONLY,
 * holding no slot lock itself): slots below the header's EP limit whose
 * byte is locked by someone and whose note has the magic and a NUL.
 * Up to max into out. Returns the number or -errno. The pid check is the
 * caller's (the snapshotter compares the process start with when_ns).
 */
_hidden_ int olve_state_notes(int fd, struct olve_note *out, int max);

struct olve_state {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;      /* OLVE_F_DISABLED */
	uint32_t ep_limit;   /* 0 = unlimited */
	uint64_t vmem_limit; /* bytes, 0 = unlimited */
	uint64_t fault_ep;
	uint64_t fault_vmem;
	struct olve_limits limits; /* as last applied successfully; mask 0 = never */
	uint64_t cpumask;          /* 1: fairsched_cpumask narrowed cpuset.cpus (entries then move into
				    * the cpuset hierarchy too, see olve_hier_cpuset_only) */
	uint64_t seq;              /* seqlock of the header: odd while a writer rewrites it (state.c) */
	uint64_t reserved[6];      /* zero; room for fields without a version bump */
};

/* Name of the defaults record in the state dir. */
#define OLVE_STATE_DEFAULT "default"

/*
 * [i12] The change log in the state dir (state.c): gen counts every state
 * header write lved reports (limits, flags, the defaults record, EP faults),
 * id[gen % OLVE_CHANGES_RING] is the LVE of write number gen (0: the
 * defaults record). Written and read under an OFD lock on the record.
 */
#define OLVE_STATE_CHANGES "changes"
#define OLVE_CHANGES_MAGIC UINT64_C(0x314547474e48434f) /* "OCHNGGE1" */
#define OLVE_CHANGES_RING 256
struct olve_changes {
	uint64_t magic;
	uint64_t gen;
	uint32_t id[OLVE_CHANGES_RING];
};
/* Note a header write of LVE id (0: defaults) in the change log. 0 or -errno (callers ignore it). */
_hidden_ int olve_changes_note(struct olve *h, uint32_t id);
/* Read the change log from fd (O_RDONLY is enough). An empty file reads as gen 0. -EBADMSG: not ours. */
_hidden_ int olve_changes_read(int fd, struct olve_changes *out);

/*
 * Open the state file of `id` in h->statefd (O_RDWR|O_CLOEXEC), a NEW open
 * file description each call. With `create` a missing file is created and
 * initialized (header: magic, version, zeros). -ENOENT without create.
 */
_hidden_ int olve_state_open(struct olve *h, uint32_t id, bool create);
/*
 * Longest wait for a state header lock. Only root can open state files
 * (mode 0600), so a lock held longer means a stuck or hostile root
 * process: the call fails with -ENOLCK and one syslog line names the pids
 * holding the file open; olve_state_lock_holder() returns the first (0:
 * none known) to the calling thread, for tools to print.
 */
#define OLVE_LOCK_TIMEOUT_MS 5000
_hidden_ pid_t olve_state_lock_holder(void);
/* Read the header (under an OFD read lock). -EBADMSG if short or not ours. Not from inside an update's fn. */
_hidden_ int olve_state_read(int fd, struct olve_state *out);
/*
 * After f->statefd is set: map its header read-only (f->map) and note its
 * device and inode (EP pools). Failure leaves f->map NULL (reads then lock).
 */
_hidden_ void olve_state_attach(struct olve_lve_fds *f);
/* Undo olve_state_attach. */
_hidden_ void olve_state_detach(struct olve_lve_fds *f);
/*
 * The entry's read of the header: without a system call through f->map
 * (seqlock: every header write makes seq odd, rewrites, makes it even),
 * else, or while a writer is busy, olve_state_read(f->statefd).
 */
_hidden_ int olve_state_read_fast(const struct olve_lve_fds *f, struct olve_state *out);
/*
 * Read-modify-write the header under an OFD write lock on
 * [0, sizeof(struct olve_state)) (polled, at most OLVE_LOCK_TIMEOUT_MS:
 * -ENOLCK) and a process-wide mutex (threads share descriptions). fn returns < 0 (abort, returned), 0 (no write) or > 0
 * (write back). Returns fn's result or -errno.
 */
_hidden_ int olve_state_update(int fd, int (*fn)(struct olve_state *st, void *ud), void *ud);
/* Add one to the uint64_t counter at offsetof(struct olve_state, ...). */
_hidden_ int olve_state_add_fault(int fd, size_t offset_of_counter);
/* Number of EP slots currently taken (see OLVE_SLOT_BASE); opens its own description. */
_hidden_ int olve_state_count_slots(struct olve *h, uint32_t id);
/*
 * EP limit and VMEM (bytes) of `id` for callers that cannot open state
 * files: from the world-readable list file (row `id`, else row 0). -ENOENT.
 */
_hidden_ int olve_state_public_limits(struct olve *h, uint32_t id, uint32_t *ep, uint64_t *vmem);
/* Remove the state file of `id` (-ENOENT if absent). */
_hidden_ int olve_state_remove(struct olve *h, uint32_t id);

/* Limits given to LVEs created implicitly (enter, lve_create): stored record, else olve_limits_default. */
_hidden_ int olve_defaults_get(struct olve *h, struct olve_limits *out);
/* Merge the fields in lim->mask into the stored defaults. */
_hidden_ int olve_defaults_set(struct olve *h, const struct olve_limits *lim);

/* ------------------------------------------------------------------ priv */
/* priv.c: the privilege model (see its header and liblve(3) "Privileges"). */

/*
 * euid 0, or CAP_SYS_ADMIN in the effective set: who may change LVEs and
 * move other tasks. Checked explicitly: cgroup files opened by root stay
 * writable after the process drops its privileges.
 */
_hidden_ bool olve_privileged(void);
/* Privileged, or h was opened privileged with OLVE_OPEN_DELEGATE (h may be NULL): may enter. */
_hidden_ bool olve_may_enter(const struct olve *h);
/* Not privileged but h has a broker: LVE, state and origin fds come from it. */
_hidden_ bool olve_broker_wanted(const struct olve *h);
/* Fork the broker for h (privileged caller): h->brokerfd. */
_hidden_ int olve_broker_start(struct olve *h);
/* lve_open through the broker: *out a new entry (refs 1) with root-opened fds. */
_hidden_ int olve_broker_lve(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out);
/* A new open file description of LVE id's state file (O_RDWR|O_CLOEXEC), from the broker. */
_hidden_ int olve_broker_state(struct olve *h, uint32_t id);
/* The calling process's thread `tid`'s origin fds and paths (malloc'd), from the broker. */
_hidden_ int olve_broker_origin(const struct olve *h, pid_t tid, int fds[static OLVE_MAX_HIER],
				int tfds[static OLVE_MAX_HIER], char *paths[static OLVE_MAX_HIER]);

/* --------------------------------------------------------------- threads */
/*
 * threads.c: CPU limits of request threads on cgroup v2 through a threaded
 * subtree below the server's delegated cgroup (see its header).
 */
#define OLVE_TCG_DIR "openlve-threads"

/* Fields to their "none" values (olve_open calls it first). */
_hidden_ void olve_tcg_init(struct olve *h);
/* Privileged opener: make <own cgroup>/openlve-threads when the cgroup is delegated. Never fails:
 * without it h->tcg_why says why. */
_hidden_ int olve_tcg_setup(struct olve *h);
/* Why thread entries are EP only (static text). */
_hidden_ const char *olve_tcg_why(const struct olve *h);
/* The cgroup path lies in an openlve-threads subtree. */
_hidden_ bool olve_tcg_path_inside(const char *path);
/* Privileged side (opener or broker): the thread child of LVE id, created when missing:
 * fds[0] its cgroup.threads, fds[1] its cpu.max (O_WRONLY). */
_hidden_ int olve_tcg_lve_open(struct olve *h, uint32_t id, int fds[static 2]);
/*
 * Entry: *threadsfd = the kept cgroup.threads fd of LVE id's thread child
 * (first call per process and LVE: made / opened, through the broker when
 * unprivileged), cpu.max rewritten when lim's CPU fields changed since the
 * last write. -EOPNOTSUPP: no tree (olve_tcg_why); -EMFILE: table full.
 */
_hidden_ int olve_tcg_get(struct olve *h, uint32_t id, const struct olve_limits *lim, int *threadsfd);
/* Close the table and the tree fd (the tree stays: threads.c). */
_hidden_ void olve_tcg_close(struct olve *h);
/* The broker's fds of olve_tcg_lve_open (priv.c). */
_hidden_ int olve_broker_tcg(struct olve *h, uint32_t id, int fds[static 2]);

/* ----------------------------------------------------------------- enter */
/*
 * enter.c (olve_enter/leave/enter_pid/leave_pid), seed.c (the seed API of
 * lve-ctl.h), abi1.c (the CloudLinux 1.x ABI of lve-ctl.h).
 */

/*
 * The broker's side of an origin request: for thread `tid` of process
 * `pid`, per hierarchy of h the O_WRONLY tasks (v1) / cgroup.procs (v2) fd
 * of its cgroup and that cgroup's path (malloc'd); tfds: on v2 hierarchies
 * that cgroup's cgroup.threads (where a thread entry leaves to), else -1.
 * -ESRCH: tid is not a thread of pid; -EPERM: it is inside an LVE (or an
 * openlve-threads child).
 */
_hidden_ int olve_origin_open(struct olve *h, pid_t pid, pid_t tid, int fds[static OLVE_MAX_HIER],
			      int tfds[static OLVE_MAX_HIER], char *paths[static OLVE_MAX_HIER]);
/* True (and *id, may be NULL) when the calling thread is inside an LVE it entered itself. No syscall. */
_hidden_ bool olve_thread_entered(uint32_t *id);

/* lve_check_fault's per-instance snapshot of one LVE's fault counters. */
struct liblve_fault_snap {
	uint32_t id;
	uint64_t vmem, pmem, nproc;
};

#define LIBLVE_MAGIC 0x4c564531u /* "LVE1" */

/* The instance behind both APIs (lve_instance_init's caller memory, init_lve's allocation). */
struct liblve {
	uint32_t magic;
	struct olve *h;
	void (*free_fn)(void *); /* init_lve's free, NULL: never freed */
	pthread_mutex_t lock;    /* guards snap */
	struct liblve_fault_snap *snap; /* sorted by id */
	size_t n_snap, cap_snap;
};

/* The boundary of both liblve APIs: -EACCES becomes -EPERM, everything else passes. */
_hidden_ int liblve_err(int r);
/* liblve_err, and errno = the positive error when negative: every public return of seed.c / abi1.c. */
_hidden_ int liblve_ret(int r);
/* Initialize / tear down caller memory as an instance (opens / closes its handle). */
_hidden_ int liblve_instance_setup(struct liblve *lve);
_hidden_ void liblve_instance_teardown(struct liblve *lve);
/* lve's handle; for lve == NULL the process-wide handle (opened on first use). -EINVAL: not an instance. */
_hidden_ int liblve_handle(struct liblve *lve, struct olve **out);
/* Shared by lve_enter and lve_enter_flags / lve_setup_enter (flags: OLVE_ENTER_*). */
_hidden_ int liblve_enter(struct liblve *lve, uint32_t id, uint32_t flags, uint32_t *cookie);
/* Shared by lve_leave and lve_exit (lve may be NULL). */
_hidden_ int liblve_leave(struct liblve *lve, uint32_t *cookie);
/* abi1.c: take the fault baseline of `id` the first time this instance enters it. */
_hidden_ void liblve_fault_baseline(struct liblve *lve, uint32_t id);

/* ----------------------------------------------------------------- spawn */
/*
 * spawn.c: start a program inside LVE `id` (lve_wrapper, lve_suwrapper).
 * The child is inside the LVE before it runs anything of the caller's:
 * clone3(CLONE_INTO_CGROUP) on a cgroup v2-only system from a
 * single-threaded caller (no migration), else fork() + the child writing
 * its pid to the LVE's cgroup.procs in every hierarchy. Then, in the child,
 * RLIMIT_AS = the LVE's VMEM (unless OLVE_ENTER_NO_UBC) and fn(ud): it
 * should exec (drop privileges first); a negative return (-errno) is
 * reported to the parent, a value >= 0 becomes the child's exit code.
 * fn runs between fork and exec: only async-signal-safe calls.
 *
 * EP: unless OLVE_ENTER_NO_MAXENTER the PARENT holds one EP slot of the
 * LVE (enter.c's protocol) from before the child exists until
 * olve_spawn_wait() reaped it: a wrapped command counts as one entry for
 * its lifetime; its own children are not counted.
 *
 * Returns -errno when no child runs (nothing held): -EINVAL id 0 / bad
 * flags, -EPERM not privileged or LVE disabled, -E2BIG EP limit reached
 * (EP fault counted), errors creating or entering the LVE. Returns 0 with
 * out->fn_err < 0 when the child entered but fn failed (child reaped,
 * nothing held, out->pid 0), or 0 with out->fn_err 0 when the child runs
 * (its exec succeeded); then call olve_spawn_wait().
 */
#define OLVE_SPAWN_CLONE3 1
#define OLVE_SPAWN_FORK 2

struct olve_spawn {
	pid_t pid;  /* the running child, 0 when none */
	int slotfd; /* state file description holding the EP slot, -1 */
	int method; /* OLVE_SPAWN_CLONE3 or OLVE_SPAWN_FORK */
	int fn_err; /* fn's -errno when it failed in the child, else 0 */
};

_hidden_ int olve_spawn(struct olve *h, uint32_t id, uint32_t flags, int (*fn)(void *), void *ud,
			struct olve_spawn *out);
/*
 * [issue 10] lvectl limit --enter-count: take one EP slot of LVE id (created
 * with the default limits when missing) with spawn.c's protocol, for an
 * entry the caller holds on behalf of a process it moves. *fd = the state
 * file description holding the slot (close it to release), -1 when the LVE
 * has no EP limit. -E2BIG the EP limit is reached (EP fault counted),
 * -EPERM not privileged or LVE disabled.
 */
_hidden_ int olve_ep_slot_hold(struct olve *h, uint32_t id, int *fd);
/* Reap the child (waitpid, EINTR retried), release the EP slot; *status = the wait status. */
_hidden_ int olve_spawn_wait(struct olve_spawn *sp, int *status);
