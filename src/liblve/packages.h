/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * packages.h - hosting packages from a control panel's script (internal to
 * liblve; used by lvectl). CloudLinux's integration guide: the admin sets
 * CUSTOM_GETPACKAGE_SCRIPT=/absolute/path in /etc/sysconfig/cloudlinux; the
 * script answers
 *   --list-all          "UID PACKAGE" lines
 *   --userid=ID         the user's package name (one line)
 *   --package="NAME"    the package's users, one uid per line
 *   --list-packages     package names, one per line
 *
 * Parsers are pure and strict (fuzzed): an empty line, a non-numeric or
 * out-of-range uid, a duplicate uid, a control character or an over-long
 * name -> -EINVAL with a message naming the line. The runner forks and
 * execs the script directly (no shell) in its own process group, stdin
 * /dev/null, stdout to a pipe, stderr inherited, and kills the whole group
 * with SIGKILL when the timeout passes.
 *
 * All functions return 0/positive or -errno; outputs written on success only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define PKG_NAME_MAX           256         /* bytes of a package name */
#define PKG_OUTPUT_MAX         (64u << 20) /* bytes of script output accepted */
#define PKG_TIMEOUT_DEFAULT_MS 10000       /* CUSTOM_GETPACKAGE_TIMEOUT default */

struct pkg_error {
	int line; /* 1-based line of the output, 0 when not about a line */
	char msg[300];
};

struct pkg_entry {
	uint32_t uid;
	char *package;
};

/* uid -> package, sorted by uid, uids unique. */
struct pkg_map {
	struct pkg_entry *v;
	size_t n;
};

/* A list of package names (in output order, unique). */
struct pkg_names {
	char **v;
	size_t n;
};

_hidden_ void pkg_map_free(struct pkg_map *m);
_hidden_ void pkg_names_free(struct pkg_names *n);
/* Package of `uid` (borrowed), NULL when not in the map. */
_hidden_ const char *pkg_map_lookup(const struct pkg_map *m, uint32_t uid);

/* A package name is valid: 1..PKG_NAME_MAX bytes, no control characters,
 * no leading/trailing blank. */
_hidden_ bool pkg_name_valid(const char *name);

/* Pure parsers of script output (text need not be NUL-terminated). */
/* --list-all: "UID PACKAGE" per line (one or more blanks between; the package
 * is the rest of the line). Empty output = empty map. */
_hidden_ int pkg_parse_list_all(const char *text, size_t len, struct pkg_map *out,
                                struct pkg_error *err);
/* --package=NAME: one uid per line, no duplicates; *uids malloc'd. Returns the count. */
_hidden_ int pkg_parse_uids(const char *text, size_t len, uint32_t **uids, struct pkg_error *err);
/* --list-packages: one name per line, no duplicates. */
_hidden_ int pkg_parse_names(const char *text, size_t len, struct pkg_names *out,
                             struct pkg_error *err);
/* --userid=ID: exactly one line holding a package name. */
_hidden_ int pkg_parse_one(const char *text, size_t len, char **name, struct pkg_error *err);

/*
 * KEY=VALUE text (/etc/sysconfig/cloudlinux): value of `key`, with optional
 * surrounding double or single quotes removed; '#' lines and blank lines
 * ignored; the last assignment wins. -ENOENT when the key is absent or empty.
 */
_hidden_ int pkg_sysconfig_get(const char *text, const char *key, char **value);

/* Script settings read from the sysconfig file. */
struct pkg_script {
	char *path;     /* NULL: no CUSTOM_GETPACKAGE_SCRIPT configured */
	int timeout_ms; /* CUSTOM_GETPACKAGE_TIMEOUT (seconds) or the default */
};
/*
 * Read `sysconfig_path`. A missing file or key -> script->path NULL and 0.
 * A path that is not absolute or a bad timeout -> -EINVAL (err filled).
 */
_hidden_ int pkg_script_load(const char *sysconfig_path, struct pkg_script *out,
                             struct pkg_error *err);
_hidden_ void pkg_script_free(struct pkg_script *s);

/*
 * Run `script arg` and collect its stdout. -ETIMEDOUT (group killed),
 * -ENOEXEC / -errno of execve (cannot run), -EPROTO (non-zero exit or
 * killed by a signal), -EFBIG (more than PKG_OUTPUT_MAX bytes); err says
 * which. *out is malloc'd and NUL-terminated.
 */
_hidden_ int pkg_script_run(const char *script, const char *arg, int timeout_ms, char **out,
                            size_t *len, struct pkg_error *err);

/* Run + parse helpers. */
_hidden_ int pkg_list_all(const struct pkg_script *s, struct pkg_map *out, struct pkg_error *err);
_hidden_ int pkg_of_user(const struct pkg_script *s, uint32_t uid, char **name,
                         struct pkg_error *err);
_hidden_ int pkg_users_of(const struct pkg_script *s, const char *package, uint32_t **uids,
                          struct pkg_error *err);
_hidden_ int pkg_list_packages(const struct pkg_script *s, struct pkg_names *out,
                               struct pkg_error *err);
