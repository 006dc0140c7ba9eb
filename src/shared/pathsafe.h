/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathsafe.h - may root trust a path it is about to write? (sshd's
 * StrictModes for openlve's files: the state dir, ve.cfg, the lved
 * database, the info and list files.)
 *
 * A path is trusted when nobody but root can change what it names:
 *   - every directory from "/" down to it (after resolving symlinks in
 *     the directories, as realpath does: /var/run -> /run is fine) is owned
 *     by root and not writable by group or others, except a sticky
 *     directory owned by root (/tmp: others cannot rename or remove root's
 *     entries there);
 *   - the last component, when it exists, is not a symlink, is owned by
 *     root and is not writable by group or others (directories: the same
 *     rule as above, without the sticky exception).
 * "root" is uid 0 or the caller's euid (a test or an unprivileged run can
 * check its own files).
 * Returns 0, -EPERM (unsafe: *why, when not NULL, gets a short reason
 * naming the offending path), -ELOOP (the last component is a symlink) or
 * -errno of a failed lookup (-ENOENT only for a missing directory: a
 * missing last component is fine, it is about to be created).
 */
#pragma once

#include <stddef.h>

int ol_path_trusted(const char *path, char *why, size_t why_size);
