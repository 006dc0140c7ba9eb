/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fileio.h - small, allocation-free file helpers that work on directory fds.
 * All return 0/positive on success or -errno; output parameters are written
 * only on success. Every fd opened here is O_CLOEXEC.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest relative name we accept below a cgroup mount or LVE root. */
#define OL_NAME_MAX 4095

/*
 * Check a relative name: components separated by '/', no "..", no empty
 * component other than leading/trailing/duplicate '/', every component
 * <= NAME_MAX, total <= OL_NAME_MAX, no control characters.
 * A leading '/' means "relative to the root" and is accepted.
 * Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int ol_name_check(const char *name);

/* A single path component: non-empty, not "." or "..", no '/', <= NAME_MAX. */
bool ol_component_valid(const char *name);

/*
 * Open a directory below dirfd, never leaving it: refuses "..", absolute
 * escapes, and symlinks in any component (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS where the kernel has it, a component walk with
 * O_NOFOLLOW otherwise). It never leaves dirfd's filesystem either
 * (RESOLVE_NO_XDEV, or st_dev compared at every component of the walk):
 * -EXDEV at a mount point, nothing is created beyond one, and callers need
 * no fstat() of the result to know it is on dirfd's filesystem.
 * With OL_OPEN_CREATE missing components are created with mode (with openat2:
 * one call when the directory exists, parent + mkdirat + open when only the
 * last component is missing); with OL_OPEN_EXCL the last component must not
 * exist yet. "" or "/" opens dirfd itself (a new fd). Returns an
 * O_DIRECTORY|O_CLOEXEC fd.
 */
#define OL_OPEN_CREATE 0x1
#define OL_OPEN_EXCL 0x2
#define OL_OPEN_PATH 0x4 /* O_PATH instead of O_RDONLY */
int ol_open_dir_beneath(int dirfd, const char *relpath, int flags, mode_t mode);

/*
 * A directory stream of `name` below dirfd: openat(dirfd, name, O_RDONLY |
 * O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) + fdopendir, the fd closed again when
 * fdopendir fails. name NULL or "." reads dirfd itself through a new open
 * file (its own offset; dirfd stays untouched and open). One openat, no
 * beneath-walk (a symlink is refused: -ENOTDIR on Linux, not followed):
 * name is a single component the caller trusts (or checked
 * with ol_component_valid); use ol_open_dir_beneath + ol_fdopendir for
 * user-given paths. 0 or -errno; *ret written on success only. Close with
 * closedir() or hold it in a _cleanup_closedir_ variable (macro.h).
 */
int ol_opendir_at(int dirfd, const char *name, DIR **ret);
/* fdopendir() that owns fd in every case: on failure fd is closed. 0 or -errno. */
int ol_fdopendir(int fd, DIR **ret);

/* Read a whole small file below dirfd into buf (NUL-terminated). Returns length. */
int ol_read_at(int dirfd, const char *file, char *buf, size_t size);
/* pread from offset 0 of an open fd into buf (NUL-terminated). Returns length. */
int ol_pread_all(int fd, char *buf, size_t size);
/* Read an open fd to its end, at most max bytes (-EFBIG beyond); *out is malloc'd, NUL-terminated. */
int ol_read_full_fd(int fd, size_t max, char **out, size_t *len);
/* Read a whole file of any size; *out is malloc'd and NUL-terminated. */
int ol_read_full_at(int dirfd, const char *file, char **out, size_t *len);
/* Open file below dirfd (no symlink follow) with O_WRONLY, write s in one write(2). */
int ol_write_at(int dirfd, const char *file, const char *s);
/* One write(2) of s to an open fd at offset 0. */
int ol_write_fd(int fd, const char *s, size_t len);

/* Atomically replace dirfd/file: temp file, fsync, rename, fsync dir. */
int ol_write_atomic_at(int dirfd, const char *file, const void *data, size_t len, mode_t mode);

/*
 * Remove the temp files ol_write_atomic_at left next to `path` (absolute)
 * when its writer died (".<name>.<tid>.<seq>.tmp" whose thread id no
 * longer exists). Returns the number removed.
 */
int ol_clean_stale_temps(const char *path);

/* Strict number parsing: whole string (a trailing '\n' allowed), no sign for u64. */
int ol_parse_u64(const char *s, uint64_t *out);
int ol_parse_i64(const char *s, int64_t *out);
int ol_parse_u32(const char *s, uint32_t *out);

/* Strip trailing whitespace/newlines in place; returns s. */
char *ol_strip(char *s);
