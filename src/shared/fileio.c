/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"

bool ol_component_valid(const char *name)
{
	size_t n;

	if (!name || !*name)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	n = strlen(name);
	if (n > NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int ol_name_check(const char *name)
{
	size_t total;
	const char *p;

	if (!name)
		return -EINVAL;
	total = strlen(name);
	if (total > OL_NAME_MAX)
		return -ENAMETOOLONG;
	p = name;
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		for (const char *c = p; c < e; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return -EINVAL;
		p = e;
	}
	return 0;
}

static int openat2_beneath(int dirfd, const char *rel, int oflags)
{
	static int have_openat2 = -1; /* racy but idempotent */
	struct open_how how = {
		.flags = (uint64_t)oflags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long r;

	if (have_openat2 == 0)
		return -ENOSYS;
	r = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (r < 0) {
		if (errno == ENOSYS) {
			have_openat2 = 0;
			return -ENOSYS;
		}
		return -errno;
	}
	have_openat2 = 1;
	return (int)r;
}

/*
 * Walk one component at a time with O_NOFOLLOW; optionally mkdir. Every
 * directory entered is compared with dirfd's st_dev (like RESOLVE_NO_XDEV:
 * never cross into another filesystem mounted inside the tree, and never
 * mkdir there). dirfd itself is used for the first step, not reopened.
 */
static int walk_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	_cleanup_close_ int owned = -1;
	int cur = dirfd; /* borrowed until the first component is open */
	const char *p = rel;
	int oflags = O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;

	struct stat st0, st;

	if (fstat(dirfd, &st0) < 0)
		return -errno;

	while (*p) {
		char comp[NAME_MAX + 1];
		const char *e;
		size_t n;
		bool last;
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = 0;
		p = e;
		while (*p == '/')
			p++;
		last = !*p;

		if (flags & OL_OPEN_CREATE) {
			/* an existing entry on another filesystem is refused below
			 * before anything is created beneath it */
			if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev != st0.st_dev)
				return -EXDEV;
			if (mkdirat(cur, comp, mode) < 0) {
				if (errno != EEXIST || (last && (flags & OL_OPEN_EXCL)))
					return -errno;
			}
		}
		next = openat(cur, comp, (last && !(flags & OL_OPEN_PATH)) ? (oflags | O_RDONLY) : (oflags | O_PATH));
		if (next < 0)
			return errno == ELOOP ? -ELOOP : -errno;
		if (fstat(next, &st) < 0) {
			int r = -errno;
			safe_close(next);
			return r;
		}
		if (st.st_dev != st0.st_dev) {
			safe_close(next);
			return -EXDEV;
		}
		safe_close(owned);
		cur = owned = next;
	}
	if (owned < 0) {
		/* no component: dirfd itself, as a new fd */
		int fd = openat(dirfd, ".", O_DIRECTORY | O_CLOEXEC |
						 ((flags & OL_OPEN_PATH) ? O_PATH : O_RDONLY));
		return fd < 0 ? -errno : fd;
	}
	return TAKE_FD(owned);
}

/*
 * OL_OPEN_CREATE through openat2: an existing directory is opened in one
 * call; a missing last component costs one openat2 of the parent, one
 * mkdirat and one openat2. Everything is resolved with RESOLVE_NO_XDEV, so
 * the parent (where mkdirat runs) is on dirfd's mount. -ENOSYS without
 * openat2; -ENOENT when more than the last component is missing (or the
 * tree changed meanwhile): the caller then walks.
 */
static int create_fast(int dirfd, const char *rel, int flags, mode_t mode, int oflags)
{
	_cleanup_close_ int pfd = -1;
	char comp[NAME_MAX + 1];
	size_t end, start;
	int fd, pdir = dirfd;

	fd = openat2_beneath(dirfd, rel, oflags);
	if (fd >= 0) {
		if (flags & OL_OPEN_EXCL) {
			safe_close(fd);
			return -EEXIST;
		}
		return fd;
	}
	if (fd != -ENOENT)
		return fd;

	/* rel (checked, no leading '/') = parent part + last component */
	end = strlen(rel);
	while (end > 0 && rel[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && rel[start - 1] != '/')
		start--;
	if (end == start || end - start > NAME_MAX)
		return -EINVAL; /* not reached: ol_name_check() passed */
	memcpy(comp, rel + start, end - start);
	comp[end - start] = 0;
	if (start > 0) {
		char parent[OL_NAME_MAX + 1];

		memcpy(parent, rel, start);
		parent[start] = 0;
		pfd = openat2_beneath(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			return pfd; /* -ENOENT: a parent is missing too */
		pdir = pfd;
	}
	if (mkdirat(pdir, comp, mode) < 0 && (errno != EEXIST || (flags & OL_OPEN_EXCL)))
		return -errno;
	return openat2_beneath(pdir, comp, oflags);
}

int ol_open_dir_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	const char *rel;
	int r, oflags;

	r = ol_name_check(relpath);
	if (r < 0)
		return r;
	rel = relpath + strspn(relpath, "/");
	if (!*rel)
		rel = ".";

	oflags = O_DIRECTORY | O_CLOEXEC | ((flags & OL_OPEN_PATH) ? O_PATH : O_RDONLY);
	if (!(flags & OL_OPEN_CREATE) || !strcmp(rel, ".")) {
		r = openat2_beneath(dirfd, rel, oflags);
		if (r != -ENOSYS)
			return r;
	} else {
		r = create_fast(dirfd, rel, flags, mode, oflags);
		if (r != -ENOSYS && r != -ENOENT)
			return r;
	}
	return walk_beneath(dirfd, strcmp(rel, ".") ? rel : "", flags, mode);
}

int ol_pread_all(int fd, char *buf, size_t size)
{
	size_t got = 0;

	if (size == 0)
		return -EINVAL;
	for (;;) {
		ssize_t n;

		if (got == size - 1) {
			char extra;

			/* buffer full: the text fits only if the file ends here */
			do
				n = pread(fd, &extra, 1, (off_t)got);
			while (n < 0 && errno == EINTR);
			if (n < 0)
				return -errno;
			if (n > 0)
				return -EFBIG;
			break;
		}
		n = pread(fd, buf + got, size - 1 - got, (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	return (int)got;
}

static int open_file_beneath(int dirfd, const char *file, int oflags)
{
	int fd;

	if (!ol_component_valid(file)) {
		/* allow nested relative names, checked and resolved beneath */
		_cleanup_close_ int parent = -1;
		_cleanup_free_ char *dir = NULL;
		char *slash;
		const char *base;
		size_t n;
		int r = ol_name_check(file);

		if (r < 0)
			return r;
		if (!*file || file[0] == '/')
			return -EINVAL;
		fd = openat2_beneath(dirfd, file, oflags | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -ENOSYS)
			return fd;
		/* no openat2: walk the directory part without following symlinks */
		dir = strdup(file);
		if (!dir)
			return -ENOMEM;
		n = strlen(dir);
		while (n > 0 && dir[n - 1] == '/')
			dir[--n] = 0;
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = 0;
			base = slash + 1;
		} else {
			base = dir;
		}
		if (!ol_component_valid(base))
			return -EINVAL;
		parent = ol_open_dir_beneath(dirfd, slash ? dir : "", OL_OPEN_PATH, 0);
		if (parent < 0)
			return parent;
		fd = openat(parent, base, oflags | O_CLOEXEC | O_NOFOLLOW);
		return fd < 0 ? -errno : fd;
	}
	fd = openat(dirfd, file, oflags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int ol_fdopendir(int fd, DIR **ret)
{
	DIR *d;

	if (!ret) {
		safe_close(fd);
		return -EINVAL;
	}
	if (fd < 0)
		return -EBADF;
	d = fdopendir(fd);
	if (!d) {
		int r = negative_errno();

		safe_close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

int ol_opendir_at(int dirfd, const char *name, DIR **ret)
{
	int fd;

	if (!ret)
		return -EINVAL;
	fd = openat(dirfd, name ? name : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	return ol_fdopendir(fd, ret);
}

int ol_read_at(int dirfd, const char *file, char *buf, size_t size)
{
	_cleanup_close_ int fd = open_file_beneath(dirfd, file, O_RDONLY);

	if (fd < 0)
		return fd;
	return ol_pread_all(fd, buf, size);
}

int ol_read_full_fd(int fd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, got = 0;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			char *nb;

			if (cap > max || cap > (SIZE_MAX / 2))
				return -EFBIG;
			nb = realloc(buf, cap * 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max)
			return -EFBIG;
	}
	buf[got] = 0;
	if (len)
		*len = got;
	*out = TAKE_PTR(buf);
	return 0;
}

int ol_read_full_at(int dirfd, const char *file, char **out, size_t *len)
{
	_cleanup_close_ int fd = open_file_beneath(dirfd, file, O_RDONLY);

	if (fd < 0)
		return fd;
	return ol_read_full_fd(fd, SIZE_MAX / 2, out, len);
}

int ol_write_fd(int fd, const char *s, size_t len)
{
	ssize_t n;

	do
		n = pwrite(fd, s, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* cgroup files are not seekable on some kernels: fall back */
		if (errno == ESPIPE) {
			do
				n = write(fd, s, len);
			while (n < 0 && errno == EINTR);
		}
		if (n < 0)
			return -errno;
	}
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int ol_write_at(int dirfd, const char *file, const char *s)
{
	_cleanup_close_ int fd = open_file_beneath(dirfd, file, O_WRONLY);

	if (fd < 0)
		return fd;
	return ol_write_fd(fd, s, strlen(s));
}

static unsigned long atomic_seq;

int ol_write_atomic_at(int dirfd, const char *file, const void *data, size_t len, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	const char *p = data;
	size_t left = len;
	int r;

	if (!ol_component_valid(file))
		return -EINVAL;
	/* unique per thread and call: concurrent writers never share a temp file */
	r = snprintf(tmp, sizeof(tmp), ".%s.%ld.%lu.tmp", file, (long)gettid(),
		     (unsigned long)__atomic_add_fetch(&atomic_seq, 1, __ATOMIC_RELAXED));
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, file) < 0) {
		r = -errno;
		goto fail;
	}
	/* fsync(2) on an O_PATH fd fails with EBADF: sync through a readable fd */
	{
		_cleanup_close_ int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
fail:
	(void)unlinkat(dirfd, tmp, 0);
	return r;
}

/* ".<file>.<tid>.<seq>.tmp" of ol_write_atomic_at: the tid, or 0 when name is not one of file's. */
static long temp_tid(const char *name, const char *file)
{
	size_t fl = strlen(file);
	const char *p;
	char *end;
	long tid;

	if (name[0] != '.' || strncmp(name + 1, file, fl) || name[1 + fl] != '.')
		return 0;
	p = name + 2 + fl;
	if (*p < '0' || *p > '9')
		return 0;
	tid = strtol(p, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return 0;
	strtoul(end + 1, &end, 10);
	return strcmp(end, ".tmp") ? 0 : tid;
}

int ol_clean_stale_temps(const char *path)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	const char *slash, *file;
	struct dirent *de;
	int n = 0;

	if (!path || path[0] != '/')
		return -EINVAL;
	slash = strrchr(path, '/');
	file = slash + 1;
	if (!ol_component_valid(file))
		return -EINVAL;
	dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		char proc[64];
		long tid = temp_tid(de->d_name, file);

		if (tid <= 0)
			continue;
		/* a live thread of that id may still be writing it */
		snprintf(proc, sizeof(proc), "/proc/%ld", tid);
		if (access(proc, F_OK) == 0 || errno != ENOENT)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			return -errno;
	}
	return errno ? -errno : n;
}

static bool only_trailing_newline(const char *end)
{
	return *end == 0 || (end[0] == '\n' && end[1] == 0);
}

int ol_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || !only_trailing_newline(end))
		return -EINVAL;
	*out = v;
	return 0;
}

int ol_parse_i64(const char *s, int64_t *out)
{
	long long v;
	char *end;

	if (!s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || !only_trailing_newline(end))
		return -EINVAL;
	*out = v;
	return 0;
}

int ol_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int r = ol_parse_u64(s, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

char *ol_strip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}
