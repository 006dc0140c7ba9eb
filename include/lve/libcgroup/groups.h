/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: groups, controllers and values (libcgroup 3.x
 * <libcgroup/groups.h>). Include <lve/libcgroup.h>.
 *
 * A controller name is a kernel controller ("cpu", "memory", "io" or its v1
 * name "blkio", ...) or a named cgroup v1 hierarchy "name=X".
 */
#ifndef OPENLVE_LIBCGROUP_GROUPS_H
#define OPENLVE_LIBCGROUP_GROUPS_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of libcgroup's internal structures (same values as libcgroup). */
#define CG_CONTROLLER_MAX 100
#define CG_NV_MAX 100
#define CG_HIER_MAX CG_CONTROLLER_MAX

/* Uninitialized file/directory permissions used for task/control files. */
#define NO_PERMS (-1U)
/* Uninitialized UID/GID used for task/control files. */
#define NO_UID_GID (-1U)

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

#ifdef __cplusplus
}
#endif

#endif
