/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: systemd scopes through D-Bus (libcgroup 3.x
 * <libcgroup/systemd.h>). Include <lve/libcgroup.h>.
 */
#ifndef OPENLVE_LIBCGROUP_SYSTEMD_H
#define OPENLVE_LIBCGROUP_SYSTEMD_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cgroup_systemd_mode_t {
	CGROUP_SYSTEMD_MODE_FAIL = 0,
	CGROUP_SYSTEMD_MODE_REPLACE,
	CGROUP_SYSTEMD_MODE_ISOLATE,
	CGROUP_SYSTEMD_MODE_IGNORE_DEPS,
	CGROUP_SYSTEMD_MODE_IGNORE_REQS,

	CGROUP_SYSTEMD_MODE_CNT,
	CGROUP_SYSTEMD_MODE_DFLT = CGROUP_SYSTEMD_MODE_REPLACE
};

struct cgroup_systemd_scope_opts {
	int delegated;                   /* 1: Delegate=yes */
	enum cgroup_systemd_mode_t mode; /* job mode when the scope exists */
	pid_t pid;                       /* 0: a placeholder process is started */
};

struct cgroup_systemd_opts {
	char slice_name[FILENAME_MAX];
	char scope_name[FILENAME_MAX];
	int setdefault;
	pid_t pid;
	struct cgroup_systemd_opts *next;
};

struct cgroup;

int cgroup_set_default_scope_opts(struct cgroup_systemd_scope_opts *const opts);
int cgroup_create_scope(const char *const scope_name, const char *const slice_name,
			const struct cgroup_systemd_scope_opts *const opts);
int cgroup_create_scope2(struct cgroup *cgroup, int ignore_ownership,
			 const struct cgroup_systemd_scope_opts *const opts);
int cgroup_set_default_systemd_cgroup(void);
int cgroup_alloc_systemd_opts(const char *const conf, const char *const value);
int cgroup_add_systemd_opts(const char *const conf, const char *const value);
void cgroup_cleanup_systemd_opts(void);
int cgroup_write_systemd_default_cgroup(const char *const slice, const char *const scope);
bool cgroup_is_systemd_enabled(void);

#ifdef __cplusplus
}
#endif

#endif
