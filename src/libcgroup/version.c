/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * version.c - cgroup_version(): the libcgroup API level this library
 * implements (CGROUP_VER_* of <lve/libcgroup/init.h>), not openlve's version.
 */
#include "cg-internal.h"

/* The libcgroup API level implemented (see <lve/libcgroup/init.h>). */
static const struct cgroup_library_version library_version = {
	.major = CGROUP_VER_MAJOR,
	.minor = CGROUP_VER_MINOR,
	.release = CGROUP_VER_RELEASE,
};

_public_ const struct cgroup_library_version *cgroup_version(void)
{
	return &library_version;
}
