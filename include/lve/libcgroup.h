/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: the public libcgroup 3.x API (names, types,
 * constants, signatures and return codes of upstream's include/libcgroup/
 * headers) implemented on cgroup v1, hybrid and v2 hosts. Link with
 * `pkg-config --libs openlve-cgroup`. libopenlve-cgroup(3) lists every
 * upstream function with its status here.
 *
 * Like upstream's <libcgroup.h>, this header includes the per-topic headers
 * below (include only this one). Return convention: 0 on success, a
 * positive ECG* code (>= 50000) on failure; ECGOTHER means "see
 * cgroup_get_last_errno()". Functions returning pointers return NULL on
 * failure.
 */
#ifndef OPENLVE_LIBCGROUP_H
#define OPENLVE_LIBCGROUP_H

#define _LIBCGROUP_H_INSIDE

#include "libcgroup/error.h"
#include "libcgroup/init.h"
#include "libcgroup/iterators.h"
#include "libcgroup/groups.h"
#include "libcgroup/tasks.h"
#include "libcgroup/config.h"
#include "libcgroup/log.h"
#include "libcgroup/tools.h"
#include "libcgroup/systemd.h"

#undef _LIBCGROUP_H_INSIDE

#ifdef __cplusplus
extern "C" {
#endif

#define OPENLVE_CGROUP_VERSION_MAJOR 1
#define OPENLVE_CGROUP_VERSION_MINOR 0

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
