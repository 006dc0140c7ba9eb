/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: moving tasks, by group and by cgrules.conf rules
 * (libcgroup 3.x <libcgroup/tasks.h>). Include <lve/libcgroup.h>.
 */
#ifndef OPENLVE_LIBCGROUP_TASKS_H
#define OPENLVE_LIBCGROUP_TASKS_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include "groups.h"

#include <features.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of cgroup_change_cgroup_flags() and cgroup_change_cgroup_uid_gid_flags(). */
enum cgflags {
	CGFLAG_USECACHE = 0x01,           /* use the cached rules */
	CGFLAG_USE_TEMPLATE_CACHE = 0x02, /* use the cached templates */
};

/* Flags of cgroup_register_unchanged_process(). */
enum cgroup_daemon_type {
	CGROUP_DAEMON_UNCHANGE_CHILDREN = 0x1,
	CGROUP_DAEMON_CANCEL_UNCHANGE_PROCESS = 0x2,
};

int cgroup_attach_task(struct cgroup *cgrp);
int cgroup_attach_task_pid(struct cgroup *cgrp, pid_t tid);
/* Every thread of tid's thread group (cgroup v1: one write per thread; v2: cgroup.procs). */
int cgroup_attach_thread_tid(struct cgroup *cgrp, pid_t tid);
int cgroup_change_cgroup_path(const char *path, pid_t pid, const char *const controllers[]);
int cgroup_get_current_controller_path(pid_t pid, const char *controller, char **current_path);

/* Rules (cgrules.conf, default /etc/cgrules.conf and /etc/cgrules.d/ *.conf) */
int cgroup_init_rules_cache(void);
int cgroup_reload_cached_rules(void);
void cgroup_print_rules_config(FILE *fp);
int cgroup_change_all_cgroups(void);
int cgroup_change_cgroup_flags(uid_t uid, gid_t gid, const char *procname, pid_t pid, int flags);
int cgroup_change_cgroup_uid_gid_flags(uid_t uid, gid_t gid, pid_t pid, int flags);
int cgroup_change_cgroup_uid_gid(uid_t uid, gid_t gid, pid_t pid);

/* cgrulesengd: 0 when the daemon does not run (nothing to tell it). */
int cgroup_register_unchanged_process(pid_t pid, int flags);

#ifdef __cplusplus
}
#endif

#endif
