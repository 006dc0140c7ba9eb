/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cl-resellers.c - reseller membership for cloudlinux-top and
 * cloudlinux-statistics, read from the compiled limits store. See
 * cl-resellers.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl-resellers.h"
#include "limits-store.h"
#include "lve-internal.h"

static struct olve_conf conf;
static bool conf_loaded, conf_ok;

static const char *store_path(void)
{
	if (!conf_loaded) {
		conf_ok = olve_conf_load(NULL, &conf, NULL) >= 0 && conf.limits_file;
		conf_loaded = true;
	}
	return conf_ok ? conf.limits_file : NULL;
}

uint32_t clr_reseller_of(uint32_t id)
{
	const char *path = store_path();
	uint32_t rid = 0;

	if (!path || olve_store_reseller_of(path, id, &rid) != 1)
		return 0;
	return rid;
}

int clr_reseller_arg(const char *arg, uint32_t *rid, struct olve_limits *lim)
{
	const char *path = store_path();
	struct olve_limits d, e;
	struct passwd *pw;
	uint32_t none, r;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] >= '1' && arg[0] <= '9' && !*end && !errno && v <= UINT32_MAX)
		r = (uint32_t)v;
	else if ((pw = getpwnam(arg)))
		r = (uint32_t)pw->pw_uid;
	else
		return -ENOENT;
	/* a retired record (mask 0) is a reseller removed while customers ran: not a reseller */
	if (!path || olve_store_find(path, true, r, &d, &e, &none) != 1 || !e.mask)
		return -ENOENT;
	*rid = r;
	*lim = e;
	return 0;
}

void clr_name(uint32_t rid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)rid);

	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%" PRIu32, rid);
}
