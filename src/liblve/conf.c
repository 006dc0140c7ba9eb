/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conf.c - openlve.conf: where openlve keeps its cgroups and state.
 * Format and keys: see lve-internal.h. Tests point OPENLVE_CONF at a file
 * that puts everything below their own cgroup and a temporary directory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "config.h"
#include "fileio.h"
#include "lve-internal.h"

#define DEFAULT_CONF SYSCONFDIR "/openlve/openlve.conf"

void olve_conf_free(struct olve_conf *c)
{
	if (!c)
		return;
	free(c->cgroup_root);
	for (size_t i = 0; i < ELEMENTSOF(c->cgroup_root_ctrl); i++)
		free(c->cgroup_root_ctrl[i]);
	free(c->state_dir);
	free(c->ve_cfg);
	free(c->sysconfig);
	free(c->info_file);
	free(c->list_file);
	free(c->limits_file);
	free(c->binaries_file);
	memset(c, 0, sizeof(*c));
}

/* Controllers openlve places LVEs in; cgroup_root.<controller> accepts only these. */
static bool ctrl_is_ours(int ctrl)
{
	switch (ctrl) {
	case CG_CTRL_CPU:
	case CG_CTRL_CPUACCT:
	case CG_CTRL_CPUSET:
	case CG_CTRL_MEMORY:
	case CG_CTRL_BLKIO:
	case CG_CTRL_IO:
	case CG_CTRL_PIDS:
		return true;
	default:
		return false;
	}
}

const char *olve_conf_root_for(const struct olve_conf *c, int ctrl)
{
	if (ctrl >= 0 && ctrl < OLVE_CONF_CTRL_MAX) {
		if (c->cgroup_root_ctrl[ctrl])
			return c->cgroup_root_ctrl[ctrl];
		/* io and blkio are one controller under two names */
		if (ctrl == CG_CTRL_IO && c->cgroup_root_ctrl[CG_CTRL_BLKIO])
			return c->cgroup_root_ctrl[CG_CTRL_BLKIO];
		if (ctrl == CG_CTRL_BLKIO && c->cgroup_root_ctrl[CG_CTRL_IO])
			return c->cgroup_root_ctrl[CG_CTRL_IO];
	}
	return c->cgroup_root;
}

/* A cgroup root: relative (a leading '/' is allowed and means the mount), no "..", not empty. */
static int check_cgroup_root(const char *v)
{
	int r = ol_name_check(v);

	if (r < 0)
		return -EINVAL;
	if (v[strspn(v, "/")] == 0)
		return -EINVAL; /* the mount root itself: never ours */
	return 0;
}

/* An absolute path without "." / ".." components or control characters. */
static int check_abs_path(const char *v)
{
	if (v[0] != '/' || strlen(v) >= PATH_MAX)
		return -EINVAL;
	if (ol_name_check(v) < 0)
		return -EINVAL;
	for (const char *p = v; *p;) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 1 && p[0] == '.')
			return -EINVAL;
		p = e;
	}
	return 0;
}

/* Set *slot to a copy of v, -EINVAL if already set (duplicate key). */
static int set_once(char **slot, const char *v)
{
	char *s;

	if (*slot)
		return -EINVAL;
	s = strdup(v);
	if (!s)
		return -ENOMEM;
	*slot = s;
	return 0;
}

static int conf_set(struct olve_conf *c, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t off;
	} paths[] = {
		{ "state_dir", offsetof(struct olve_conf, state_dir) },
		{ "ve_cfg", offsetof(struct olve_conf, ve_cfg) },
		{ "sysconfig", offsetof(struct olve_conf, sysconfig) },
		{ "info_file", offsetof(struct olve_conf, info_file) },
		{ "list_file", offsetof(struct olve_conf, list_file) },
		{ "limits_file", offsetof(struct olve_conf, limits_file) },
		{ "binaries_file", offsetof(struct olve_conf, binaries_file) }, /* [issue 10] */
	};

	if (!strcmp(key, "cgroup_root")) {
		if (check_cgroup_root(value) < 0)
			return -EINVAL;
		return set_once(&c->cgroup_root, value);
	}
	if (!strncmp(key, "cgroup_root.", 12)) {
		int ctrl = cg_ctrl_lookup(key + 12);

		if (ctrl < 0 || ctrl >= OLVE_CONF_CTRL_MAX || !ctrl_is_ours(ctrl))
			return -EINVAL;
		if (check_cgroup_root(value) < 0)
			return -EINVAL;
		/* io and blkio name the same hierarchy: one override for both */
		if ((ctrl == CG_CTRL_IO && c->cgroup_root_ctrl[CG_CTRL_BLKIO]) ||
		    (ctrl == CG_CTRL_BLKIO && c->cgroup_root_ctrl[CG_CTRL_IO]))
			return -EINVAL;
		return set_once(&c->cgroup_root_ctrl[ctrl], value);
	}
	if (!strcmp(key, "fd_cache_size")) {
		uint32_t v;

		if (c->fd_cache_size_set)
			return -EINVAL;
		/* digits only: ol_parse_u32 would take a trailing newline */
		if (value[strspn(value, "0123456789")] || ol_parse_u32(value, &v) < 0 || v > OLVE_FD_CACHE_MAX)
			return -EINVAL;
		c->fd_cache_size = v;
		c->fd_cache_size_set = true;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		if (!strcmp(key, paths[i].key)) {
			if (check_abs_path(value) < 0)
				return -EINVAL;
			return set_once((char **)((char *)c + paths[i].off), value);
		}
	return -EINVAL;
}

static int fill_default(char **slot, const char *v)
{
	if (*slot)
		return 0;
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int conf_defaults(struct olve_conf *c)
{
	int r;

	if ((r = fill_default(&c->cgroup_root, "openlve")) < 0 ||
	    (r = fill_default(&c->state_dir, "/run/openlve")) < 0 ||
	    (r = fill_default(&c->ve_cfg, "/etc/container/ve.cfg")) < 0 ||
	    (r = fill_default(&c->sysconfig, "/etc/sysconfig/cloudlinux")) < 0 ||
	    (r = fill_default(&c->info_file, "/var/lve/info")) < 0)
		return r;
	if (!c->fd_cache_size_set)
		c->fd_cache_size = OLVE_FD_CACHE_DEFAULT;
	if (!c->list_file) {
		size_t n = strlen(c->state_dir);
		char *s = malloc(n + sizeof("/list"));

		if (!s)
			return -ENOMEM;
		memcpy(s, c->state_dir, n);
		/* "/" as state_dir gives "/list", not "//list" */
		memcpy(s + (n > 0 && c->state_dir[n - 1] == '/' ? n - 1 : n), "/list", sizeof("/list"));
		c->list_file = s;
	}
	/* limits store (limits-store.h): the compiled form of ve_cfg, kept
	 * beside it when ve_cfg is not the system one (tests, demo) */
	if (!c->limits_file) {
		if (!strcmp(c->ve_cfg, "/etc/container/ve.cfg"))
			c->limits_file = strdup("/var/lib/openlve/limits");
		else if (asprintf(&c->limits_file, "%s.limits", c->ve_cfg) < 0)
			c->limits_file = NULL;
		if (!c->limits_file)
			return -ENOMEM;
	}
	/* [issue 10] lvectl set-binary's list: beside ve_cfg when that is not the system one */
	if (!c->binaries_file) {
		const char *slash = strrchr(c->ve_cfg, '/');

		if (!strcmp(c->ve_cfg, "/etc/container/ve.cfg") || !slash)
			c->binaries_file = strdup("/etc/container/lve-binaries");
		else if (asprintf(&c->binaries_file, "%.*s/lve-binaries", (int)(slash - c->ve_cfg),
		                  c->ve_cfg) < 0)
			c->binaries_file = NULL;
		if (!c->binaries_file)
			return -ENOMEM;
	}
	return 0;
}

int olve_conf_parse(const char *text, struct olve_conf *out, unsigned *errline)
{
	struct olve_conf c = { 0 };
	unsigned line = 0;
	const char *p = text;
	int r;

	if (!text || !out) {
		if (errline)
			*errline = 0;
		return -EINVAL;
	}
	while (*p) {
		_cleanup_free_ char *buf = NULL;
		const char *e = strchrnul(p, '\n');
		char *s, *eq, *key, *value;
		size_t n = (size_t)(e - p);

		line++;
		buf = strndup(p, n);
		if (!buf) {
			r = -ENOMEM;
			goto fail;
		}
		p = *e ? e + 1 : e;

		s = buf;
		while (isspace((unsigned char)*s))
			s++;
		ol_strip(s);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			r = -EINVAL;
			goto fail;
		}
		*eq = 0;
		key = s;
		ol_strip(key);
		value = eq + 1;
		while (isspace((unsigned char)*value))
			value++;
		if (!*key || !*value) {
			r = -EINVAL;
			goto fail;
		}
		for (const char *k = key; *k; k++)
			if (!isalnum((unsigned char)*k) && *k != '_' && *k != '.') {
				r = -EINVAL;
				goto fail;
			}
		r = conf_set(&c, key, value);
		if (r < 0)
			goto fail;
	}
	r = conf_defaults(&c);
	if (r < 0) {
		line = 0;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	olve_conf_free(&c);
	if (errline)
		*errline = line;
	return r;
}

/* Read a whole file by absolute path (symlinks followed: the admin's file). */
static int read_file(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return ol_read_full_fd(fd, 1u << 20, out, len); /* a config file is small */
}

int olve_conf_load(const char *path, struct olve_conf *out, unsigned *errline)
{
	_cleanup_free_ char *text = NULL;
	bool may_be_missing = false;
	size_t len = 0;
	int r;

	if (!out) {
		if (errline)
			*errline = 0;
		return -EINVAL;
	}
	if (!path) {
		path = secure_getenv("OPENLVE_CONF");
		if (!path || !*path) {
			path = DEFAULT_CONF;
			may_be_missing = true;
		}
	}
	if (path[0] != '/') {
		/* relative names would depend on the caller's cwd: refuse */
		if (errline)
			*errline = 0;
		return -EINVAL;
	}
	r = read_file(path, &text, &len);
	if (r == -ENOENT && may_be_missing)
		return olve_conf_parse("", out, errline);
	if (r < 0) {
		if (errline)
			*errline = 0;
		return r;
	}
	if (strlen(text) != len) {
		/* a NUL byte: not a text file */
		if (errline)
			*errline = 0;
		return -EINVAL;
	}
	return olve_conf_parse(text, out, errline);
}
