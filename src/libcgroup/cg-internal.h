/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cg-internal.h - the contract between the parts of openlve's cgroup layer
 * and its internal users (liblve, lved). Nothing here is installed.
 *
 *   error.c    ECG* codes, thread-local last errno, strerror
 *   cgroup.c   struct cgroup / cgroup_controller and typed values (no kernel)
 *   convert.c  v1 <-> v2 translation of settings: THE one place for it
 *   mount.c    detection: mounts, setup mode, controller versions, init,
 *              namespaces; dirfds of every hierarchy root
 *   ops.c      create / modify / delete / get / procs / chmod (kernel side)
 *   attach.c   attach tasks and processes
 *   iter.c     iterators; cg_root_lookup() (controller name -> root of names)
 *   tasks.c    moving tasks by path, by thread group, by cgrules.conf rules
 *   rules.c    cgrules.conf parser and rule cache
 *   config.c   cgconfig.conf parser, load/unload, defaults, templates
 *   tools.c    cgxget/cgxset: version-converting get and set
 *   systemd.c  systemd scopes over sd-bus
 *   log.c      logger callback and level; cg_log()
 *   version.c  cgroup_version()
 *
 * Internal functions return 0/positive or -errno unless their comment says
 * they return an ECG* code. Exported symbols are only the public libcgroup
 * names (see libopenlve-cgroup.sym); everything here is hidden.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lve/libcgroup.h"
#include "macro.h"

/* ---------------------------------------------------------------- errors */

/* Record -errno (or errno if positive) as the thread's last errno; returns ECGOTHER. */
_hidden_ int cg_fail_errno(int err);
/*
 * Map a -errno from an internal call to the public ECG* code, recording the
 * errno: -ENOENT -> ECGROUPNOTEXIST, -EPERM/-EACCES -> ECGROUPNOTOWNER,
 * -EINVAL/-ENAMETOOLONG/-ELOOP/-EXDEV -> ECGINVAL, -EBUSY/-ENOTEMPTY -> ECGNONEMPTY,
 * -ENOMEM -> ECGFAIL, anything else -> ECGOTHER. 0 -> 0.
 */
_hidden_ int cg_ecg_from_errno(int neg_errno);

/* ----------------------------------------------------------- controllers */

enum cg_ctrl {
	CG_CTRL_CPU,
	CG_CTRL_CPUACCT,
	CG_CTRL_CPUSET,
	CG_CTRL_MEMORY,
	CG_CTRL_BLKIO, /* v1 name of io */
	CG_CTRL_IO,    /* v2 name of blkio */
	CG_CTRL_PIDS,
	CG_CTRL_FREEZER,
	CG_CTRL_DEVICES,
	CG_CTRL_NET_CLS,
	CG_CTRL_NET_PRIO,
	CG_CTRL_PERF_EVENT,
	CG_CTRL_HUGETLB,
	CG_CTRL_RDMA,
	CG_CTRL_MISC,
	CG_CTRL_COUNT
};

/* "cpu" -> CG_CTRL_CPU, ...; -1 when unknown. */
_hidden_ int cg_ctrl_lookup(const char *name);
_hidden_ const char *cg_ctrl_name(int ctrl);

/* ------------------------------------------------------------------- data */

struct cg_value {
	char *name;  /* file name, e.g. "cpu.max" */
	char *value; /* exact text, no trailing newline */
	bool dirty;  /* added/set since loaded from the kernel: modify writes it */
};

struct cgroup_controller {
	char *name; /* "cpu", "memory", ... as given by the caller */
	struct cg_value *values;
	int n_values;
	int cap_values;
	struct cgroup *cgroup; /* owner */
};

struct cgroup {
	char *name; /* normalized: no leading or trailing '/', "" = root */
	struct cgroup_controller *controller[CG_CONTROLLER_MAX];
	int index; /* number of controllers */
	uid_t tasks_uid;
	gid_t tasks_gid;
	uid_t control_uid;
	gid_t control_gid;
	mode_t control_dperm;
	mode_t control_fperm;
	mode_t task_fperm;
	void *attach_cache; /* attach.c: kept tasks/cgroup.procs fds; NULL until first attach */
};

/* Add or replace a value without the public API's checks; dirty as given. -errno. */
_hidden_ int cg_controller_put(struct cgroup_controller *c, const char *name, const char *value,
			       bool dirty);
/* Find a value by name, NULL if absent. */
_hidden_ struct cg_value *cg_controller_find(struct cgroup_controller *c, const char *name);
/* Drop every value of a controller. */
_hidden_ void cg_controller_clear(struct cgroup_controller *c);

/* -------------------------------------------------------------- convert */

/*
 * Translate every setting of `in` for a hierarchy of version `to` and add
 * the results to `out` (same controller, or "io"/"blkio" when renamed),
 * marked dirty. Settings that mean the same in both versions (pids.max,
 * cpuset.cpus, ...) are copied. Pairs (cpu.cfs_quota_us + cpu.cfs_period_us
 * <-> cpu.max; blkio.throttle.* per device <-> io.max lines) are combined.
 * A setting with no counterpart -> -EOPNOTSUPP, with `out` untouched.
 * Values that cannot be parsed -> -EINVAL. See convert.c for the table.
 */
_hidden_ int cg_convert_controller(struct cgroup_controller *out, const struct cgroup_controller *in,
				   enum cg_version_t to);
/* Version a setting name belongs to: CGROUP_V1, CGROUP_V2, or CGROUP_UNK when both. */
_hidden_ enum cg_version_t cg_setting_version(const char *setting);

/* --------------------------------------------------------------- mounts */

struct cg_mount {
	char *path;                /* mount point */
	enum cg_version_t version; /* CGROUP_V1 or CGROUP_V2 */
	uint32_t ctrls;            /* bit (1u << enum cg_ctrl): v1 bound / v2 available at root */
	char *name;                /* v1 "name=" option, or NULL */
	int fd;                    /* O_PATH|O_DIRECTORY|O_CLOEXEC of the mount point, or -1 */
};

struct cg_sys {
	enum cg_setup_mode_t mode;
	struct cg_mount *mounts;
	int n_mounts;
	int ctrl_mount[CG_CTRL_COUNT]; /* index into mounts, -1 when not available */
	int unified;                   /* index of the cgroup2 mount, -1 when none */
	char *ns[CG_CTRL_COUNT];       /* namespace prefix per controller, NULL = none */
	int ns_fd[CG_CTRL_COUNT];      /* dirfd of the namespace root, -1 = mount root */
};

/*
 * Parse /proc/self/mountinfo text into sys->mounts (v1 controller masks
 * from super options; v2 ctrls left 0) and compute mode and ctrl_mount
 * assuming v2 carries nothing. Pure: no file access, fds stay -1.
 * `v2_controllers` is the text of the cgroup2 root's cgroup.controllers
 * (NULL when unknown) and fills the v2 mask and ctrl_mount for
 * controllers not bound to v1.
 */
_hidden_ int cg_parse_mountinfo(const char *mountinfo, const char *v2_controllers, struct cg_sys *sys);
_hidden_ void cg_sys_free(struct cg_sys *sys);
/*
 * The fds the process-wide state of cgroup_init() keeps open (mount and
 * namespace dirfds) into fds (at most max); the count, 0 before
 * cgroup_init, -E2BIG when more than max. For a process that closes every
 * other fd (liblve's broker).
 */
_hidden_ int cg_sys_fds(int *fds, int max);

/* The process-wide state loaded by cgroup_init(); NULL before. */
_hidden_ struct cg_sys *cg_sys_get(void);

/*
 * Borrowed dirfd where group names of controller `ctrl` are rooted (mount or
 * namespace root). -ENOENT if the controller is not mounted/available,
 * -ENODEV when not initialized.
 */
_hidden_ int cg_ctrl_root_fd(int ctrl, const struct cg_mount **mount);

/*
 * blkio/io alias: the controller that serves `ctrl` on this host. ctrl
 * itself when available; else CG_CTRL_IO for CG_CTRL_BLKIO (v2 host) and
 * CG_CTRL_BLKIO for CG_CTRL_IO (v1 host); -1 when neither is. Namespaces
 * are kept under the resolved controller. cg_ctrl_root_fd() resolves.
 */
_hidden_ int cg_ctrl_resolve(const struct cg_sys *sys, int ctrl);
/*
 * A controller name as callers give it ("cpu", "blkio", "io",
 * "name=systemd") -> index of its hierarchy in cg_sys_get()->mounts.
 * *ctrl (may be NULL) gets the resolved controller whose namespace applies,
 * -1 for a named v1 hierarchy. -ENODEV before init, -ENOENT when unknown or
 * not mounted/available.
 */
_hidden_ int cg_hier_lookup(const char *name, int *ctrl);
/*
 * Borrowed dirfd where group names of hierarchy `mount_index` are rooted
 * when no controller is named: the namespace of the first controller of
 * that hierarchy that has one, else the mount. -ENODEV before init.
 */
_hidden_ int cg_mount_root_fd(int mount_index);
/* Changes with every cgroup_set_namespace(): caches of resolved dirs compare it. */
_hidden_ unsigned cg_ns_generation(void);

/* ------------------------------------------------------------ kernel ops */

/* Open the group directory `name` of controller `ctrl` (OL_OPEN_* flags). */
_hidden_ int cg_open_group(int ctrl, const char *name, int flags, mode_t mode);

/* ---------------------------------------------------------------- attach */

/* Close and free the attach fd cache of cg (cgroup_free must call it). */
_hidden_ void cg_attach_cache_drop(struct cgroup *cg);

/* ------------------------------------------------------------ roots (iter.c) */

/* Where the group names of one controller (or "name=X" hierarchy) are rooted. */
struct cg_root {
	int fd;                    /* borrowed dirfd: namespace root or mount */
	int mount;                 /* index into cg_sys_get()->mounts */
	int ctrl;                  /* resolved controller, -1 for a named v1 hierarchy */
	enum cg_version_t version; /* CGROUP_V1 or CGROUP_V2 */
	char path[4096];           /* absolute path of fd: mount point [+ "/" namespace] */
};

/* Resolve a controller name. Returns 0 or an ECG* code (errno recorded). */
_hidden_ int cg_root_lookup(const char *controller, struct cg_root *out);
/* "/a/b" -> "a/b", "/" "." -> "" (names relative to the root). */
_hidden_ const char *cg_name_rel(const char *name);
/* Open group `name` below root (OL_OPEN_* flags): an fd, or MINUS an ECG* code. */
_hidden_ int cg_group_open(const struct cg_root *root, const char *name, int flags);
/* mount.c: every mount point of hierarchy mount_index (strv, in-use one first). -errno. */
_hidden_ int cg_hier_mount_paths(int mount_index, char ***ret);

/* ------------------------------------------------------------------ log.c */

/* Send a message to the application's logger (if any, and level allows). */
_hidden_ void cg_log(int loglevel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- rules.c */

#define CG_RULE_CTRL_MAX 32

struct cg_rule {
	char *key;      /* "user", "@group", "*", or "%" (continuation) */
	char *procname; /* NULL: any process */
	char *ctrl[CG_RULE_CTRL_MAX];
	int n_ctrl;
	char *dest; /* destination template */
	bool ignore;
	bool cont;
	uid_t uid; /* resolved at load: (uid_t)-2 any, (uid_t)-1 none */
	gid_t gid;
	unsigned line;
};

struct cg_rules {
	struct cg_rule *v;
	int n, cap;
};

/* Parse cgrules.conf text (pure: no NSS). -EINVAL with *err_line set on bad syntax. */
_hidden_ int cg_rules_parse(const char *text, size_t len, struct cg_rules *out, unsigned *err_line);
_hidden_ void cg_rules_free(struct cg_rules *rs);
/* Move pid by the first matching rule (cache with CGFLAG_USECACHE). 0 or an ECG* code. */
_hidden_ int cg_rules_apply(uid_t uid, gid_t gid, const char *procname, pid_t pid, int flags);

/* --------------------------------------------------------------- config.c */

/*
 * Make group `name` (with controllers ctrls, NULL-terminated) exist: when a
 * template named `tmpl` is configured, from it; otherwise plainly. A group
 * that exists is left alone. 0 or an ECG* code.
 */
_hidden_ int cg_template_ensure(const char *name, const char *tmpl, const char *const *ctrls,
				bool use_cache);

#define CONF_GROUPS_MAX 4096

struct cg_perms {
	uid_t tasks_uid;
	gid_t tasks_gid;
	uid_t control_uid;
	gid_t control_gid;
	mode_t control_dperm;
	mode_t control_fperm;
	mode_t task_fperm;
	bool set;
};

struct cg_conf_group {
	char *name;
	bool is_template;
	struct cgroup *cg; /* controllers and settings */
	struct cg_perms perms;
};

/* One "key = value;" of a mount, namespace or systemd section. */
struct cg_conf_kv {
	char *section;
	char *key;
	char *value;
};

struct cg_conf {
	struct cg_conf_group *groups;
	int n_groups;
	struct cg_conf_kv *kv;
	int n_kv;
	struct cg_perms defaults;
};

/* Read a whole configuration file (dirfd-relative or absolute), at most max bytes. -errno. */
_hidden_ int cg_read_conf_file(int dirfd, const char *path, size_t max, char **text, size_t *len);
/* Parse cgconfig.conf text. -EINVAL (with *err_line) on bad syntax, -ENOMEM. */
_hidden_ int cg_conf_parse(const char *text, size_t len, struct cg_conf *out, unsigned *err_line);
_hidden_ void cg_conf_free(struct cg_conf *c);

/* -------------------------------------------------------------- systemd.c */

/* Create the scope of the options collected by cgroup_alloc/add_systemd_opts. 0 or ECG*. */
_hidden_ int cg_systemd_apply_opts(void);
