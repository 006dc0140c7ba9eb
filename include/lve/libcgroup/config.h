/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: cgconfig.conf loading and templates (libcgroup
 * 3.x <libcgroup/config.h>). Include <lve/libcgroup.h>.
 */
#ifndef OPENLVE_LIBCGROUP_CONFIG_H
#define OPENLVE_LIBCGROUP_CONFIG_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cgroup;

int cgroup_config_load_config(const char *pathname);
int cgroup_unload_cgroups(void);
int cgroup_config_unload_config(const char *pathname, int flags);
int cgroup_config_set_default(struct cgroup *new_default);
int cgroup_init_templates_cache(char *pathname);
int cgroup_reload_cached_templates(char *pathname);
int cgroup_config_create_template_group(struct cgroup *cgroup, char *template_name, int flags);

#ifdef __cplusplus
}
#endif

#endif
