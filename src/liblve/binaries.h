/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * binaries.h - the list of binaries whose processes run inside the LVE of
 * their user when executed (CloudLinux's lvectl set-binary, del-binary,
 * list-binaries, load-binaries, reload-binaries). Internal to openlve's
 * admin tools: lvectl edits the lists, openlve-placed enforces the loaded one.
 *
 * Two files of the same format:
 *   the configuration, openlve.conf's binaries_file (default
 *   /etc/container/lve-binaries): what an admin keeps, comments included;
 *   the loaded list, <state_dir>/binaries: what openlve-placed enforces now
 *   (written by lvectl only, re-read by the daemon when it changes).
 * Format: one absolute path per line; blanks around it are ignored; empty
 * lines and lines whose first non-blank character is '#' are comments. A
 * path is canonical: starts with '/', no empty, "." or ".." component, no
 * trailing '/', no control character, shorter than PATH_MAX. A path listed
 * twice is kept once (olve_binaries.dup_line names the first repetition).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define OLVE_BINARIES_MAX 4096          /* entries of one list */
#define OLVE_BINARIES_FILE_MAX (1 << 20) /* bytes of one file */

struct olve_binaries {
	char **path;       /* as listed, file order, each once */
	size_t n;
	unsigned dup_line; /* first line that repeated an earlier path (dropped), 0 none */
	unsigned dup_of;   /* the line it repeated */
};

struct olve_binaries_error {
	unsigned line; /* 0: not about one line */
	char msg[160];
};

/* Syntax of one path (see above). 0, or -EINVAL with *why (static text). */
_hidden_ int olve_binary_path_check(const char *path, const char **why);
/* Parse a list's text (fuzzed). -EINVAL with e filled on a bad line, -E2BIG past the maximum. */
_hidden_ int olve_binaries_parse(const char *text, size_t len, struct olve_binaries *out,
                                 struct olve_binaries_error *e);
/*
 * Read and parse the file at `path` (absolute). A missing file is an empty
 * list (0). When root reads it, the file and its directories must be
 * root's and not writable by others (-EPERM). *text (may be NULL) gets the
 * raw text ("" for a missing file), for editing in place.
 */
_hidden_ int olve_binaries_load(const char *path, struct olve_binaries *out, char **text,
                                struct olve_binaries_error *e);
/* Atomically replace the file at `path` (mode 0644; its directory created when missing). */
_hidden_ int olve_binaries_write(const char *path, const char *text, size_t len);
/* The canonical text of a list (header comment `header`, may be NULL, then one path per line). */
_hidden_ int olve_binaries_format(const struct olve_binaries *b, const char *header, char **out,
                                  size_t *len);
_hidden_ bool olve_binaries_has(const struct olve_binaries *b, const char *path);
/* Append path (copied) unless listed: 1 added, 0 already there, -ENOMEM / -E2BIG. */
_hidden_ int olve_binaries_add(struct olve_binaries *b, const char *path);
/* Remove path: 1 removed, 0 not listed. */
_hidden_ int olve_binaries_remove(struct olve_binaries *b, const char *path);
_hidden_ void olve_binaries_free(struct olve_binaries *b);
