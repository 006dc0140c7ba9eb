/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: version-converting get/set as used by cgxget and
 * cgxset (libcgroup 3.x <libcgroup/tools.h>). Include <lve/libcgroup.h>.
 */
#ifndef OPENLVE_LIBCGROUP_TOOLS_H
#define OPENLVE_LIBCGROUP_TOOLS_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>
#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read the settings named in *cgrp (values given as version `version`)
 * from the kernel, converting names and values from the on-disk version
 * and back. Settings without a counterpart fail with ECGROUPUNSUPP unless
 * ignore_unmappable (then they are dropped).
 */
int cgroup_cgxget(struct cgroup **cgrp, enum cg_version_t version, bool ignore_unmappable);
/* Write *cgrp's settings (given as version `version`) converted to the on-disk version. */
int cgroup_cgxset(const struct cgroup *const cgrp, enum cg_version_t version,
		  bool ignore_unmappable);

#ifdef __cplusplus
}
#endif

#endif
