/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: logging (libcgroup 3.x <libcgroup/log.h>).
 * Include <lve/libcgroup.h>.
 *
 * Unlike libcgroup, no logger is installed by cgroup_init(): the library
 * is silent until the application calls cgroup_set_logger() or
 * cgroup_set_default_logger().
 */
#ifndef OPENLVE_LIBCGROUP_LOG_H
#define OPENLVE_LIBCGROUP_LOG_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cgroup_log_level {
	CGROUP_LOG_CONT = 0, /* continuation of the previous message */
	CGROUP_LOG_ERROR,
	CGROUP_LOG_WARNING,
	CGROUP_LOG_INFO,
	CGROUP_LOG_DEBUG,
};

typedef void (*cgroup_logger_callback)(void *userdata, int level, const char *fmt, va_list ap);

/* loglevel -1: from the CGROUP_LOGLEVEL environment variable (default ERROR). */
void cgroup_set_logger(cgroup_logger_callback logger, int loglevel, void *userdata);
void cgroup_set_default_logger(int loglevel);
void cgroup_set_loglevel(int loglevel);
int cgroup_get_loglevel(void);
void cgroup_log(int loglevel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cgroup_parse_log_level_str(const char *levelstr);

#ifdef __cplusplus
}
#endif

#endif
