/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: iterators (libcgroup 3.x <libcgroup/iterators.h>).
 * Include <lve/libcgroup.h>.
 *
 * Every *_begin returns 0 with the first item, ECGEOF when there is none,
 * or an error; *_next returns 0 or ECGEOF at the end; *_end frees the
 * handle (safe after a failed begin, and sets *handle to NULL).
 */
#ifndef OPENLVE_LIBCGROUP_ITERATORS_H
#define OPENLVE_LIBCGROUP_ITERATORS_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cgroup_walk_type {
	CGROUP_WALK_TYPE_PRE_DIR = 0x1,  /* a directory, then its subdirectories */
	CGROUP_WALK_TYPE_POST_DIR = 0x2, /* subdirectories, then the directory */
};

enum cgroup_file_type {
	CGROUP_FILE_TYPE_FILE,
	CGROUP_FILE_TYPE_DIR,
	CGROUP_FILE_TYPE_OTHER,
};

struct cgroup_file_info {
	enum cgroup_file_type type;
	const char *path;      /* name of the entry */
	const char *parent;    /* name of its parent directory */
	const char *full_path; /* absolute path (mount point + namespace + group) */
	short depth;           /* directories below the start of the walk */
};

/* Maximum length of a value in a stats file. */
#define CG_VALUE_MAX 100

struct cgroup_stat {
	char name[FILENAME_MAX];
	char value[CG_VALUE_MAX];
};

struct cgroup_mount_point {
	char name[FILENAME_MAX]; /* controller */
	char path[FILENAME_MAX]; /* mount point */
};

struct controller_data {
	char name[FILENAME_MAX];
	int hierarchy; /* hierarchy id; 0 = not mounted (always 0 for cgroup v2) */
	int num_cgroups;
	int enabled;
};

int cgroup_walk_tree_begin(const char *controller, const char *base_path, int depth, void **handle,
			   struct cgroup_file_info *info, int *base_level);
int cgroup_walk_tree_next(int depth, void **handle, struct cgroup_file_info *info, int base_level);
int cgroup_walk_tree_end(void **handle);
int cgroup_walk_tree_set_flags(void **handle, int flags);

int cgroup_read_value_begin(const char *const controller, const char *path, const char *const name,
			    void **handle, char *buffer, int max);
int cgroup_read_value_next(void **handle, char *buffer, int max);
int cgroup_read_value_end(void **handle);

int cgroup_read_stats_begin(const char *controller, const char *path, void **handle,
			    struct cgroup_stat *stat);
int cgroup_read_stats_next(void **handle, struct cgroup_stat *stat);
int cgroup_read_stats_end(void **handle);

int cgroup_get_task_begin(const char *cgroup, const char *controller, void **handle, pid_t *pid);
int cgroup_get_task_next(void **handle, pid_t *pid);
int cgroup_get_task_end(void **handle);

int cgroup_get_controller_begin(void **handle, struct cgroup_mount_point *info);
int cgroup_get_controller_next(void **handle, struct cgroup_mount_point *info);
int cgroup_get_controller_end(void **handle);

int cgroup_get_all_controller_begin(void **handle, struct controller_data *info);
int cgroup_get_all_controller_next(void **handle, struct controller_data *info);
int cgroup_get_all_controller_end(void **handle);

int cgroup_get_subsys_mount_point_begin(const char *controller, void **handle, char *path);
int cgroup_get_subsys_mount_point_next(void **handle, char *path);
int cgroup_get_subsys_mount_point_end(void **handle);

#ifdef __cplusplus
}
#endif

#endif
