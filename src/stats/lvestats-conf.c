/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvestats-conf.c - /etc/sysconfig/lvestats2, lve-stats 2's configuration,
 * with openlve's own keys. Strict: see stats.h and lvestats2(5).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "stats.h"

#define CONF_MAX_SIZE (1024 * 1024)
#define DEFAULT_SQLITE "/var/lve/lvestats2.db"

/*
 * lve-stats 2 keys that mean nothing to openlve: accepted so a CloudLinux file
 * parses, and named in lvestats_conf.ignored so the tools can say so once.
 * Any other unknown key (a plugin's, a newer lve-stats') is treated the same:
 * never fatal.
 */
static const char *const ignored_keys[] = { "plugins", "db_timeout", "timeout",
					    "use_big_uids", "logging_level", "collect_usernames",
					    "lve_stats_log" };

enum {
	K_DB_TYPE,
	K_CONNECT,
	K_SERVER_ID,
	K_INTERVAL,
	K_KEEP,
	K_KEEP_RAW,
	K_KEEP_MINUTE,
	K_INFO_PERIOD,
	K_INFO_FILE,
	K_PROM,
	K_SQLITE,
	K_MODE,
	K_HIDE_MAXUID,
	K_WEB_LISTEN,
	K_WEB_ROOT,
	K_WEB_SECRET,
	K_SNAP_DIR,
	K_PLUGIN_DIR,
	K_DISABLE_SNAP,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_DB_TYPE] = "db_type",
	[K_CONNECT] = "connect_string",
	[K_SERVER_ID] = "server_id",
	[K_INTERVAL] = "interval",
	[K_KEEP] = "keep_history_days",
	[K_KEEP_RAW] = "keep_raw_hours",
	[K_KEEP_MINUTE] = "keep_minute_days",
	[K_INFO_PERIOD] = "info_period",
	[K_INFO_FILE] = "info_file",
	[K_PROM] = "prometheus_listen",
	[K_SQLITE] = "sqlite_path",
	[K_MODE] = "mode",
	[K_HIDE_MAXUID] = "hide_lve_more_than_maxuid",
	[K_WEB_LISTEN] = "web_listen",
	[K_WEB_ROOT] = "web_root",
	[K_WEB_SECRET] = "web_secret_file",
	[K_SNAP_DIR] = "snapshot_dir",
	[K_PLUGIN_DIR] = "plugin_config_dir",
	[K_DISABLE_SNAP] = "disable_snapshots",
};

void lvestats_conf_free(struct lvestats_conf *c)
{
	if (!c)
		return;
	free(c->connect_string);
	free(c->sqlite_path);
	free(c->prometheus_listen);
	free(c->info_file);
	free(c->ignored);
	free(c->web_listen);
	free(c->web_root);
	free(c->web_secret_file);
	free(c->snapshot_dir);
	free(c->plugin_config_dir);
	c->snapshot_dir = c->plugin_config_dir = NULL;
	c->connect_string = c->sqlite_path = c->prometheus_listen = c->info_file = c->ignored = NULL;
	c->web_listen = c->web_root = c->web_secret_file = NULL;
}

static bool has_ctrl_chars(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return true;
	return false;
}

static int parse_range(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint32_t x;

	if (ol_parse_u32(v, &x) < 0 || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int check_abs_path(const char *v)
{
	if (v[0] != '/' || ol_name_check(v) < 0 || strlen(v) >= PATH_MAX)
		return -EINVAL;
	return 0;
}

static int parse_port(const char *s)
{
	uint32_t port;

	if (ol_parse_u32(s, &port) < 0 || port == 0 || port > 65535)
		return -EINVAL;
	return (int)port;
}

/* Loopback TCP or a unix socket path; see stats.h. */
static int check_listen(const char *v)
{
	const char *colon;

	if (!strncmp(v, "unix:", 5)) {
		const char *p = v + 5;

		/* sun_path holds 108 bytes including the NUL */
		if (check_abs_path(p) < 0 || strlen(p) > 107 || p[strlen(p) - 1] == '/')
			return -EINVAL;
		return 0;
	}
	if (v[0] == '[') {
		const char *end = strchr(v, ']');

		if (!end || strncmp(v, "[::1]", 5) || end != v + 4 || end[1] != ':')
			return -EINVAL;
		return parse_port(end + 2) < 0 ? -EINVAL : 0;
	}
	colon = strrchr(v, ':');
	if (!colon)
		return -EINVAL;
	if (!((colon - v == 9 && !strncmp(v, "127.0.0.1", 9)) || (colon - v == 9 && !strncmp(v, "localhost", 9))))
		return -EINVAL;
	return parse_port(colon + 1) < 0 ? -EINVAL : 0;
}

/* USER:PASSWORD@HOST[:PORT]/DATABASE: every part non-empty, no blanks. */
static int check_connect(const char *v)
{
	const char *at = strrchr(v, '@'), *colon, *slash, *port;

	if (!at)
		return -EINVAL;
	colon = memchr(v, ':', (size_t)(at - v));
	if (!colon || colon == v || colon + 1 == at)
		return -EINVAL;
	slash = strchr(at + 1, '/');
	if (!slash || slash == at + 1 || !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	port = memchr(at + 1, ':', (size_t)(slash - at - 1));
	if (port) {
		char num[8];
		size_t n = (size_t)(slash - port - 1);

		if (port == at + 1 || n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, port + 1, n);
		num[n] = 0;
		if (parse_port(num) < 0)
			return -EINVAL;
	}
	for (const char *p = at + 1; *p; p++)
		if (isspace((unsigned char)*p))
			return -EINVAL;
	return 0;
}

static int check_server_id(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 10)
		return -EINVAL;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return -EINVAL;
	return 0;
}

static int set_str(char **slot, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

static int conf_set(struct lvestats_conf *c, int key, const char *v)
{
	switch (key) {
	case K_DB_TYPE:
		if (strcmp(v, "sqlite") && strcmp(v, "postgresql") && strcmp(v, "mysql"))
			return -EINVAL;
		snprintf(c->db_type, sizeof(c->db_type), "%s", v);
		return 0;
	case K_CONNECT:
		if (!v[0])
			return -EINVAL;
		return set_str(&c->connect_string, v);
	case K_SERVER_ID:
		if (check_server_id(v) < 0)
			return -EINVAL;
		snprintf(c->server_id, sizeof(c->server_id), "%s", v);
		return 0;
	case K_INTERVAL:
		return parse_range(v, 1, 3600, &c->interval);
	case K_KEEP:
		return parse_range(v, 1, 36500, &c->keep_history_days);
	case K_KEEP_RAW:
		return parse_range(v, 1, 8760, &c->keep_raw_hours);
	case K_KEEP_MINUTE:
		return parse_range(v, 1, 36500, &c->keep_minute_days);
	case K_INFO_PERIOD:
		return parse_range(v, 1, 86400, &c->info_period);
	case K_INFO_FILE:
		if (check_abs_path(v) < 0 || v[strlen(v) - 1] == '/')
			return -EINVAL;
		return set_str(&c->info_file, v);
	case K_PROM:
		if (!strcmp(v, "off") || !v[0]) {
			free(c->prometheus_listen);
			c->prometheus_listen = NULL;
			return 0;
		}
		if (check_listen(v) < 0)
			return -EINVAL;
		return set_str(&c->prometheus_listen, v);
	case K_SQLITE:
		if (check_abs_path(v) < 0 || v[strlen(v) - 1] == '/')
			return -EINVAL;
		return set_str(&c->sqlite_path, v);
	case K_WEB_LISTEN:
		if (!strcmp(v, "off") || !v[0]) {
			free(c->web_listen);
			c->web_listen = NULL;
			return 0;
		}
		if (check_listen(v) < 0)
			return -EINVAL;
		return set_str(&c->web_listen, v);
	case K_WEB_ROOT:
		if (check_abs_path(v) < 0)
			return -EINVAL;
		return set_str(&c->web_root, v);
	case K_WEB_SECRET:
		if (check_abs_path(v) < 0 || v[strlen(v) - 1] == '/')
			return -EINVAL;
		return set_str(&c->web_secret_file, v);
	case K_SNAP_DIR:
		if (check_abs_path(v) < 0)
			return -EINVAL;
		return set_str(&c->snapshot_dir, v);
	case K_PLUGIN_DIR:
		if (check_abs_path(v) < 0)
			return -EINVAL;
		return set_str(&c->plugin_config_dir, v);
	case K_DISABLE_SNAP:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
			c->disable_snapshots = true;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
			 !strcasecmp(v, "off") || !v[0])
			c->disable_snapshots = false;
		else
			return -EINVAL;
		return 0;
	case K_MODE:
		if (!strcasecmp(v, "v1") || !strcasecmp(v, "v2")) {
			snprintf(c->mode, sizeof(c->mode), "v%c", v[1]);
			return 0;
		}
		return -EINVAL;
	case K_HIDE_MAXUID:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
		    !strcasecmp(v, "on"))
			c->hide_lve_more_than_maxuid = true;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
			 !strcasecmp(v, "off") || !v[0])
			c->hide_lve_more_than_maxuid = false;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static void conf_init(struct lvestats_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->db_type, sizeof(c->db_type), "sqlite");
	snprintf(c->server_id, sizeof(c->server_id), "localhost");
	c->interval = 5;
	c->info_period = 5;
	snprintf(c->mode, sizeof(c->mode), "v1");
	c->keep_history_days = 60;
	c->keep_raw_hours = 24;
	c->keep_minute_days = 7;
}

/* [issue 14] the key of the last failed parse in this thread (lvestats_conf_error_key) */
static _Thread_local const char *err_key;

const char *lvestats_conf_error_key(void)
{
	return err_key;
}

/* Whole-file rules, after every line was read. */
static int conf_finish(struct lvestats_conf *c, bool sqlite_given)
{
	bool sqlite = !strcmp(c->db_type, "sqlite");

	if (sqlite && c->connect_string && !sqlite_given) {
		/* lve-stats 2 keeps the sqlite file name in connect_string */
		if (check_abs_path(c->connect_string) < 0) {
			err_key = key_names[K_CONNECT];
			return -EINVAL;
		}
		if (set_str(&c->sqlite_path, c->connect_string) < 0)
			return -ENOMEM;
	}
	if (!sqlite) {
		if (!c->connect_string || check_connect(c->connect_string) < 0) {
			err_key = key_names[K_CONNECT];
			return -EINVAL;
		}
	}
	if (!c->sqlite_path && set_str(&c->sqlite_path, DEFAULT_SQLITE) < 0)
		return -ENOMEM;
	/* a finer table never outlives a coarser one (given or default) */
	if (c->keep_minute_days > c->keep_history_days)
		c->keep_minute_days = c->keep_history_days;
	if (c->keep_raw_hours > c->keep_minute_days * 24)
		c->keep_raw_hours = c->keep_minute_days * 24;
	return 0;
}

/* Append key to c->ignored ("a, b"), once. Keys are [A-Za-z0-9_.-], else shown as "?". */
static int note_ignored(struct lvestats_conf *c, const char *key)
{
	size_t have = c->ignored ? strlen(c->ignored) : 0, n = strlen(key);
	char safe[64];
	char *p;

	if (n >= sizeof(safe))
		n = sizeof(safe) - 1;
	for (size_t i = 0; i < n; i++)
		safe[i] = isalnum((unsigned char)key[i]) || strchr("_.-", key[i]) ? key[i] : '?';
	safe[n] = 0;
	if (c->ignored) {
		for (const char *q = c->ignored; (q = strstr(q, safe)); q += n)
			if ((q == c->ignored || q[-1] == ' ') && (q[n] == ',' || !q[n]))
				return 0;
	}
	p = realloc(c->ignored, have + n + 3);
	if (!p)
		return -ENOMEM;
	snprintf(p + have, n + 3, "%s%s", have ? ", " : "", safe);
	c->ignored = p;
	return 0;
}

/* Strip one pair of matching surrounding quotes in place. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = 0;
		v++;
	}
	return v;
}

int lvestats_conf_parse(const char *text, struct lvestats_conf *out, unsigned *errline)
{
	struct lvestats_conf c;
	bool seen[K_COUNT] = { false };
	unsigned line = 0, line_of[K_COUNT] = { 0 };
	int r = 0;

	if (!text || !out)
		return -EINVAL;
	err_key = NULL;
	conf_init(&c);
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');
		size_t n = (size_t)(end - p);
		_cleanup_free_ char *l = strndup(p, n);
		char *k, *v, *eq;
		int key = -1;

		line++;
		err_key = NULL;
		p = *end ? end + 1 : end;
		if (!l) {
			r = -ENOMEM;
			goto fail;
		}
		if (n && l[n - 1] == '\r')
			l[n - 1] = 0;
		k = l + strspn(l, " \t");
		ol_strip(k);
		if (!*k || *k == '#')
			continue;
		if (has_ctrl_chars(k)) {
			r = -EINVAL;
			goto fail_line;
		}
		eq = strchr(k, '=');
		if (!eq) {
			r = -EINVAL;
			goto fail_line;
		}
		*eq = 0;
		v = eq + 1;
		ol_strip(k);
		v = unquote(v + strspn(v, " \t"));
		if (!*k) {
			r = -EINVAL; /* "=value": no key */
			goto fail_line;
		}
		for (int i = 0; i < K_COUNT; i++)
			if (!strcmp(k, key_names[i]))
				key = i;
		if (key >= 0)
			err_key = key_names[key];
		if (key < 0) {
			bool ignored = false;

			for (size_t i = 0; i < ELEMENTSOF(ignored_keys); i++)
				if (!strcmp(k, ignored_keys[i]))
					ignored = true;
			/* known or not, it is named once in c.ignored, never fatal */
			(void)ignored;
			r = note_ignored(&c, k);
			if (r < 0)
				goto fail;
			continue;
		}
		if (seen[key]) {
			r = -EINVAL;
			goto fail_line;
		}
		seen[key] = true;
		line_of[key] = line;
		r = conf_set(&c, key, v);
		if (r < 0)
			goto fail_line;
	}
	err_key = NULL;
	r = conf_finish(&c, seen[K_SQLITE]);
	if (r < 0) {
		/* a whole-file rule: the line of the key it is about (0 when that key is absent) */
		line = 0;
		for (int i = 0; i < K_COUNT; i++)
			if (err_key && !strcmp(err_key, key_names[i]))
				line = line_of[i];
		goto fail_line;
	}
	err_key = NULL;
	*out = c;
	return 0;
fail_line:
	if (errline && r == -EINVAL)
		*errline = line;
fail:
	if (errline && r != -EINVAL)
		*errline = 0;
	lvestats_conf_free(&c);
	return r;
}

int lvestats_conf_load(const char *path, struct lvestats_conf *out, unsigned *errline)
{
	const char *p = path ? path : LVESTATS_CONF_DEFAULT;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	if (!out)
		return -EINVAL;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && !path) {
			struct lvestats_conf c;
			int r = lvestats_conf_parse("", &c, errline);

			if (r >= 0)
				*out = c;
			return r;
		}
		if (errline)
			*errline = 0;
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		if (errline)
			*errline = 0;
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		if (errline)
			*errline = 0;
		return -EINVAL;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nt;

			cap = cap ? cap * 2 : 8192;
			if (cap > CONF_MAX_SIZE + 8192) {
				if (errline)
					*errline = 0;
				return -EFBIG;
			}
			nt = realloc(text, cap);
			if (!nt)
				return -ENOMEM;
			text = nt;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errline)
				*errline = 0;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = 0;
	if (strlen(text) != len) {
		/* a NUL byte: report its line */
		if (errline) {
			unsigned line = 1;

			for (const char *q = text; *q; q++)
				line += *q == '\n';
			*errline = line;
		}
		return -EINVAL;
	}
	return lvestats_conf_parse(text, out, errline);
}
