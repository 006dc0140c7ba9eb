/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * logindefs.c - UID_MIN/UID_MAX of /etc/login.defs, the one place that reads
 * them. Owner: shared helpers; used by openlve-placed (which uids it places:
 * regular users only) and the CloudLinux JSON tools (UID_MAX hides LVEs of
 * non-users). The format (login.defs(5)): "KEY VALUE" per line, blanks
 * around, "#" comments; only the two keys are looked at.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logindefs.h"
#include "macro.h"

/* "KEY<blank>NUMBER..." -> the number (1 .. UINT32_MAX-1); 0 when not that key or not a number. */
static uint32_t key_value(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *p = line + strspn(line, " \t");
	unsigned long long v;
	char *end;

	if (strncmp(p, key, n) || (p[n] != ' ' && p[n] != '\t'))
		return 0;
	p += n;
	p += strspn(p, " \t");
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end && !strchr(" \t\r\n#", *end)) || v == 0 || v >= UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

int login_defs_uid_range(const char *path, uint32_t *min, uint32_t *max)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	uint32_t lo = LOGIN_DEFS_UID_MIN, hi = LOGIN_DEFS_UID_MAX, v;
	char line[512];

	if (!f) {
		if (errno != ENOENT)
			return -errno;
		*min = lo;
		*max = hi;
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if ((v = key_value(line, "UID_MIN")))
			lo = v;
		else if ((v = key_value(line, "UID_MAX")))
			hi = v;
	}
	if (ferror(f))
		return -EIO;
	if (lo > hi)
		return -EINVAL;
	*min = lo;
	*max = hi;
	return 1;
}
