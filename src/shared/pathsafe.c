/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathsafe.c - see pathsafe.h. Used by liblve (state dir), ve.cfg
 * loading/storing (vecfg.c), lved's SQLite store and info file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "pathsafe.h"

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

static int unsafe(char *why, size_t size, const char *path, const char *what)
{
	if (why && size)
		snprintf(why, size, "%s %s", path, what);
	return -EPERM;
}

/* One directory on the way (or the target directory, sticky not allowed then). */
static int check_dir(const char *path, const struct stat *st, bool allow_sticky, char *why, size_t size)
{
	if (!owner_ok(st))
		return unsafe(why, size, path, "is not owned by root");
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		if (allow_sticky && (st->st_mode & S_ISVTX) && st->st_uid == 0)
			return 0;
		return unsafe(why, size, path, "is writable by group or others");
	}
	return 0;
}

int ol_path_trusted(const char *path, char *why, size_t why_size)
{
	_cleanup_free_ char *dir = NULL, *real = NULL;
	const char *base;
	struct stat st;
	char *slash;
	int r;

	if (!path || path[0] != '/')
		return -EINVAL;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	/* trailing slashes name the directory itself */
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = 0;
	slash = strrchr(dir, '/');
	base = slash + 1;
	if (slash == dir)
		real = strdup("/");
	else {
		*slash = 0;
		real = realpath(dir, NULL);
		if (!real)
			return -errno;
	}
	if (!real)
		return -ENOMEM;

	/* every directory from / down to the parent */
	{
		_cleanup_free_ char *walk = strdup(real);
		char *p;

		if (!walk)
			return -ENOMEM;
		p = walk;
		for (;;) {
			char *next = strchr(p + 1, '/');
			char c = 0;

			if (next) {
				c = *next;
				*next = 0;
			}
			if (lstat(walk[0] ? walk : "/", &st) < 0)
				return -errno;
			r = check_dir(walk[0] ? walk : "/", &st, true, why, why_size);
			if (r < 0)
				return r;
			if (!next)
				break;
			*next = c;
			p = next;
		}
	}

	/* the last component */
	if (*base) {
		_cleanup_free_ char *full = NULL;

		if (asprintf(&full, "%s/%s", strcmp(real, "/") ? real : "", base) < 0)
			return -ENOMEM;
		if (lstat(full, &st) < 0)
			return errno == ENOENT ? 0 : -errno;
		if (S_ISLNK(st.st_mode)) {
			unsafe(why, why_size, full, "is a symbolic link");
			return -ELOOP;
		}
		if (S_ISDIR(st.st_mode))
			return check_dir(full, &st, false, why, why_size);
		if (!owner_ok(&st))
			return unsafe(why, why_size, full, "is not owned by root");
		if (st.st_mode & (S_IWGRP | S_IWOTH))
			return unsafe(why, why_size, full, "is writable by group or others");
	}
	return 0;
}
