/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: the libcgroup 3.x API (names, types, constants and
 * semantics of libcgroup-api.txt) implemented on cgroup v1, hybrid and v2
 * hosts. Link with `pkg-config --libs openlve-cgroup`.
 *
 * Return convention at this boundary is libcgroup's: 0 on success, a
 * positive ECG* code (>= 50000) on failure; ECGOTHER means "see
 * cgroup_get_last_errno()". Functions returning pointers return NULL on
 * failure.
 */
#ifndef OPENLVE_LIBCGROUP_H
#define OPENLVE_LIBCGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPENLVE_CGROUP_VERSION_MAJOR 1
#define OPENLVE_CGROUP_VERSION_MINOR 0

/* Limits of libcgroup's internal structures (same values as libcgroup). */
#define CG_CONTROLLER_MAX 100
#define CG_NV_MAX 100
#define CG_VALUE_MAX 100
#define CG_HIER_MAX CG_CONTROLLER_MAX

/* Uninitialized file/directory permissions used for task/control files. */
#define NO_PERMS (-1U)
/* Uninitialized UID/GID used for task/control files. */
#define NO_UID_GID (-1U)

enum {
	ECGROUPNOTCOMPILED = 50000,
	ECGROUPNOTMOUNTED,         /* 50001 */
	ECGROUPNOTEXIST,           /* 50002 */
	ECGROUPNOTCREATED,         /* 50003 */
	ECGROUPSUBSYSNOTMOUNTED,   /* 50004 */
	ECGROUPNOTOWNER,           /* 50005 */
	ECGROUPMULTIMOUNTED,       /* 50006 */
	ECGROUPNOTALLOWED,         /* 50007 */
	ECGMAXVALUESEXCEEDED,      /* 50008 */
	ECGCONTROLLEREXISTS,       /* 50009 */
	ECGVALUEEXISTS,            /* 50010 */
	ECGINVAL,                  /* 50011 */
	ECGCONTROLLERCREATEFAILED, /* 50012 */
	ECGFAIL,                   /* 50013 */
	ECGROUPNOTINITIALIZED,     /* 50014 */
	ECGROUPVALUENOTEXIST,      /* 50015 */
	ECGOTHER,                  /* 50016: see cgroup_get_last_errno() */
	ECGROUPNOTEQUAL,           /* 50017 */
	ECGCONTROLLERNOTEQUAL,     /* 50018 */
	ECGROUPPARSEFAIL,          /* 50019 */
	ECGROUPNORULES,            /* 50020 */
	ECGMOUNTFAIL,              /* 50021 */
	ECGSENTINEL,               /* 50022: not an error, end of the list */
	ECGEOF = 50023,            /* 50023 */
	ECGCONFIGPARSEFAIL,        /* 50024 */
	ECGNAMESPACEPATHS,         /* 50025 */
	ECGNAMESPACECONTROLLER,    /* 50026 */
	ECGMOUNTNAMESPACE,         /* 50027 */
	ECGROUPUNSUPP,             /* 50028 */
	ECGCANTSETVALUE,           /* 50029 */
	ECGNONEMPTY,               /* 50030 */
};

enum cg_version_t {
	CGROUP_UNK = 0,
	CGROUP_V1,
	CGROUP_V2,
	CGROUP_DISK = 0xFF,
};

enum cg_setup_mode_t {
	CGROUP_MODE_UNK = 0,
	CGROUP_MODE_LEGACY,
	CGROUP_MODE_HYBRID,
	CGROUP_MODE_UNIFIED,
};

enum cgroup_delete_flag {
	CGFLAG_DELETE_IGNORE_MIGRATION = 1,
	CGFLAG_DELETE_RECURSIVE = 2,
	CGFLAG_DELETE_EMPTY_ONLY = 4,
};

struct cgroup;
struct cgroup_controller;

/* Initialization and errors */
int cgroup_init(void);
int cgroup_get_subsys_mount_point(const char *controller, char **mount_point);
const char *cgroup_strerror(int code);
int cgroup_get_last_errno(void);

/* Basic infrastructure (no kernel access) */
struct cgroup *cgroup_new_cgroup(const char *name);
struct cgroup_controller *cgroup_add_controller(struct cgroup *cgrp, const char *name);
int cgroup_add_all_controllers(struct cgroup *cgrp);
struct cgroup_controller *cgroup_get_controller(struct cgroup *cgrp, const char *name);
void cgroup_free(struct cgroup **cgrp);
void cgroup_free_controllers(struct cgroup *cgrp);

/* Group manipulation */
int cgroup_create_cgroup(struct cgroup *cgrp, int ignore_ownership);
int cgroup_create_cgroup_from_parent(struct cgroup *cgrp, int ignore_ownership);
int cgroup_modify_cgroup(struct cgroup *cgrp);
int cgroup_delete_cgroup(struct cgroup *cgrp, int ignore_migration);
int cgroup_delete_cgroup_ext(struct cgroup *cgrp, int flags);

/* Other functions */
int cgroup_get_cgroup(struct cgroup *cgrp);
int cgroup_copy_cgroup(struct cgroup *dst, struct cgroup *src);
int cgroup_compare_cgroup(struct cgroup *cgrp_a, struct cgroup *cgrp_b);
int cgroup_compare_controllers(struct cgroup_controller *cgca, struct cgroup_controller *cgcb);
int cgroup_set_uid_gid(struct cgroup *cgrp, uid_t tasks_uid, gid_t tasks_gid, uid_t control_uid,
		       gid_t control_gid);
int cgroup_get_uid_gid(struct cgroup *cgrp, uid_t *tasks_uid, gid_t *tasks_gid, uid_t *control_uid,
		       gid_t *control_gid);
void cgroup_set_permissions(struct cgroup *cgrp, mode_t control_dperm, mode_t control_fperm,
			    mode_t task_fperm);

/* Group parameters */
int cgroup_add_value_string(struct cgroup_controller *controller, const char *name, const char *value);
int cgroup_add_value_int64(struct cgroup_controller *controller, const char *name, int64_t value);
int cgroup_add_value_uint64(struct cgroup_controller *controller, const char *name, u_int64_t value);
int cgroup_add_value_bool(struct cgroup_controller *controller, const char *name, bool value);
int cgroup_get_value_string(struct cgroup_controller *controller, const char *name, char **value);
int cgroup_get_value_int64(struct cgroup_controller *controller, const char *name, int64_t *value);
int cgroup_get_value_uint64(struct cgroup_controller *controller, const char *name, u_int64_t *value);
int cgroup_get_value_bool(struct cgroup_controller *controller, const char *name, bool *value);
int cgroup_set_value_string(struct cgroup_controller *controller, const char *name, const char *value);
int cgroup_set_value_int64(struct cgroup_controller *controller, const char *name, int64_t value);
int cgroup_set_value_uint64(struct cgroup_controller *controller, const char *name, u_int64_t value);
int cgroup_set_value_bool(struct cgroup_controller *controller, const char *name, bool value);
int cgroup_get_value_name_count(struct cgroup_controller *controller);
char *cgroup_get_value_name(struct cgroup_controller *controller, int index);
int cgroup_get_procs(const char *name, const char *controller, pid_t **pids, int *size);
int cgroup_get_threads(const char *name, const char *controller, pid_t **pids, int *size);
int cg_chmod_recursive(struct cgroup *cgrp, mode_t dir_mode, int dirm_change, mode_t file_mode,
		       int filem_change);
char *cgroup_get_cgroup_name(struct cgroup *cgrp);
int cgroup_convert_cgroup(struct cgroup *const out_cgrp, enum cg_version_t out_version,
			  const struct cgroup *const in_cgrp, enum cg_version_t in_version);
int cgroup_list_mount_points(const enum cg_version_t cgrp_version, char ***mount_paths);
int cgroup_get_controller_version(const char *const controller, enum cg_version_t *const version);
enum cg_setup_mode_t cgroup_setup_mode(void);
int cgroup_get_controller_count(struct cgroup *cgrp);
struct cgroup_controller *cgroup_get_controller_by_index(struct cgroup *cgrp, int index);
char *cgroup_get_controller_name(struct cgroup_controller *controller);
bool is_cgroup_mode_legacy(void);
bool is_cgroup_mode_hybrid(void);
bool is_cgroup_mode_unified(void);

/* Tasks */
int cgroup_attach_task(struct cgroup *cgrp);
int cgroup_attach_task_pid(struct cgroup *cgrp, pid_t tid);
/* openlve extension: move a whole thread group (cgroup.procs), not one thread. */
int cgroup_attach_proc_pid(struct cgroup *cgrp, pid_t pid);

/*
 * openlve extension: root every group name of `controller` (NULL = every
 * controller) at `path` below that controller's mount, like libcgroup's
 * cgconfig.conf "namespace" section. `path` must exist and pass the same
 * checks as a group name; NULL or "/" clears it. Names can never leave the
 * namespace. Returns 0 or an ECG* code.
 */
int cgroup_set_namespace(const char *controller, const char *path);

#ifdef __cplusplus
}
#endif

#endif
