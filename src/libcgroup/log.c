/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.c - libcgroup's logging API: one process-wide logger callback and
 * level, and cg_log() used by the parsers of this library.
 *
 * Owns: the logger state (set by the application; the library itself never
 * installs a logger, so it stays silent unless asked). Levels follow
 * libcgroup: ERROR=1 < WARNING < INFO < DEBUG; -1 reads CGROUP_LOGLEVEL.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cg-internal.h"
#include "fileio.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static cgroup_logger_callback log_cb;
static void *log_userdata;
static int log_level = CGROUP_LOG_ERROR;

_public_ int cgroup_parse_log_level_str(const char *levelstr)
{
	static const char *const names[] = { "ERROR", "WARNING", "INFO", "DEBUG" };
	uint32_t n;

	if (!levelstr || !*levelstr)
		return CGROUP_LOG_ERROR;
	if (ol_parse_u32(levelstr, &n) == 0)
		return n >= CGROUP_LOG_ERROR && n <= CGROUP_LOG_DEBUG ? (int)n : CGROUP_LOG_ERROR;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (!strcasecmp(levelstr, names[i]))
			return (int)i + CGROUP_LOG_ERROR;
	return CGROUP_LOG_ERROR;
}

static int level_resolve(int loglevel)
{
	if (loglevel == -1)
		return cgroup_parse_log_level_str(secure_getenv("CGROUP_LOGLEVEL"));
	if (loglevel < CGROUP_LOG_ERROR)
		return CGROUP_LOG_ERROR;
	if (loglevel > CGROUP_LOG_DEBUG)
		return CGROUP_LOG_DEBUG;
	return loglevel;
}

_public_ void cgroup_set_logger(cgroup_logger_callback logger, int loglevel, void *userdata)
{
	pthread_mutex_lock(&log_lock);
	log_cb = logger;
	log_userdata = userdata;
	log_level = level_resolve(loglevel);
	pthread_mutex_unlock(&log_lock);
}

static void stdout_logger(void *userdata, int level, const char *fmt, va_list ap)
{
	vfprintf(stdout, fmt, ap);
}

_public_ void cgroup_set_default_logger(int loglevel)
{
	cgroup_set_logger(stdout_logger, loglevel, NULL);
}

_public_ void cgroup_set_loglevel(int loglevel)
{
	pthread_mutex_lock(&log_lock);
	log_level = level_resolve(loglevel);
	pthread_mutex_unlock(&log_lock);
}

_public_ int cgroup_get_loglevel(void)
{
	int l;

	pthread_mutex_lock(&log_lock);
	l = log_level;
	pthread_mutex_unlock(&log_lock);
	return l;
}

static void log_va(int loglevel, const char *fmt, va_list ap)
{
	cgroup_logger_callback cb;
	void *ud;
	int max;

	pthread_mutex_lock(&log_lock);
	cb = log_cb;
	ud = log_userdata;
	max = log_level;
	pthread_mutex_unlock(&log_lock);
	/* CGROUP_LOG_CONT continues the previous message: shown like ERROR-level text */
	if (!cb || loglevel > max)
		return;
	cb(ud, loglevel, fmt, ap);
}

_public_ void cgroup_log(int loglevel, const char *fmt, ...)
{
	va_list ap;

	if (!fmt)
		return;
	va_start(ap, fmt);
	log_va(loglevel, fmt, ap);
	va_end(ap);
}

_hidden_ void cg_log(int loglevel, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(loglevel, fmt, ap);
	va_end(ap);
}
