/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: initialization and library version
 * (libcgroup 3.x <libcgroup/init.h>). Include <lve/libcgroup.h>.
 */
#ifndef OPENLVE_LIBCGROUP_INIT_H
#define OPENLVE_LIBCGROUP_INIT_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The libcgroup API level this library implements (programs test
 * CGROUP_VER_MAJOR to know cgroup_version() exists). openlve's own version
 * is OPENLVE_CGROUP_VERSION_MAJOR/MINOR in <lve/libcgroup.h>.
 */
#define CGROUP_VER_MAJOR 3
#define CGROUP_VER_MINOR 1
#define CGROUP_VER_RELEASE 0

struct cgroup_library_version {
	unsigned int major;
	unsigned int minor;
	unsigned int release;
};

int cgroup_init(void);
int cgroup_get_subsys_mount_point(const char *controller, char **mount_point);
const struct cgroup_library_version *cgroup_version(void);

#ifdef __cplusplus
}
#endif

#endif
