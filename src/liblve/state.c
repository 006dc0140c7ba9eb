/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state.c - the per-LVE state file <state_dir>/lve/<ID>: a fixed header
 * (struct olve_state) updated under an OFD lock on its byte range, followed
 * at OLVE_SLOT_BASE by the EP slot bytes (see lve-internal.h). Also the
 * defaults record and olve_set_flags / olve_get_flags.
 *
 * OFD locks belong to an open file description, which all threads of a
 * process share when they use the same fd. So every header access also
 * holds a process-wide mutex: without it a reader in one thread could turn
 * another thread's write lock into a read lock (same owner) and drop it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lve-internal.h"

static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;

static int header_lock(int fd, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = sizeof(struct olve_state),
	};

	while (fcntl(fd, F_OFD_SETLKW, &fl) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static void header_unlock(int fd)
{
	(void)header_lock(fd, F_UNLCK);
}

static void state_init(struct olve_state *st)
{
	memset(st, 0, sizeof(*st));
	st->magic = OLVE_STATE_MAGIC;
	st->version = OLVE_STATE_VERSION;
}

static int header_pread(int fd, struct olve_state *st)
{
	ssize_t n;

	do
		n = pread(fd, st, sizeof(*st), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(*st) || st->magic != OLVE_STATE_MAGIC || st->version != OLVE_STATE_VERSION)
		return -EBADMSG;
	return 0;
}

static int header_pwrite(int fd, const struct olve_state *st)
{
	ssize_t n;

	do
		n = pwrite(fd, st, sizeof(*st), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*st) ? 0 : -EIO;
}

/* Open/create a state file by name; a new file (or a foreign/short one) gets a fresh header. */
static int state_open_name(int dirfd, const char *name, bool create)
{
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (dirfd < 0)
		return -EBADF;
	fd = openat(dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -errno;
	if (create) {
		struct olve_state st;
		struct stat sb;

		pthread_mutex_lock(&state_mutex);
		r = header_lock(fd, F_WRLCK);
		if (r == 0) {
			if (fstat(fd, &sb) < 0)
				r = -errno;
			else if (!S_ISREG(sb.st_mode))
				r = -EINVAL;
			else if (header_pread(fd, &st) < 0) {
				/* a new file: the state is derived data, (re)initialize it */
				state_init(&st);
				r = header_pwrite(fd, &st);
			}
			header_unlock(fd);
		}
		pthread_mutex_unlock(&state_mutex);
		if (r < 0)
			return r;
	}
	return TAKE_FD(fd);
}

int olve_state_open(struct olve *h, uint32_t id, bool create)
{
	char name[16];

	if (!h || id == 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%" PRIu32, id);
	return state_open_name(h->statefd, name, create);
}

int olve_state_read(int fd, struct olve_state *out)
{
	struct olve_state st;
	int r;

	if (fd < 0 || !out)
		return -EINVAL;
	pthread_mutex_lock(&state_mutex);
	r = header_lock(fd, F_RDLCK);
	if (r == 0) {
		r = header_pread(fd, &st);
		header_unlock(fd);
	}
	pthread_mutex_unlock(&state_mutex);
	if (r < 0)
		return r;
	*out = st;
	return 0;
}

int olve_state_update(int fd, int (*fn)(struct olve_state *st, void *ud), void *ud)
{
	_cleanup_close_ int own = -1;
	struct olve_state st;
	int r;

	if (fd < 0 || !fn)
		return -EINVAL;
	/*
	 * The OFD lock must be taken on an open file description of this call's
	 * own: a cached fd may be shared with a forked child (prefork servers
	 * call init_lve before forking), and locks on one shared description do
	 * not exclude each other. Reopening through /proc gives a new one.
	 */
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		own = open(path, O_RDWR | O_CLOEXEC); /* a magic link: no O_NOFOLLOW */
		if (own >= 0)
			fd = own;
	}
	pthread_mutex_lock(&state_mutex);
	r = header_lock(fd, F_WRLCK);
	if (r < 0)
		goto out;
	r = header_pread(fd, &st);
	if (r == -EBADMSG) {
		state_init(&st);
		r = 0;
	}
	if (r == 0) {
		r = fn(&st, ud);
		if (r > 0) {
			int w;

			st.magic = OLVE_STATE_MAGIC;
			st.version = OLVE_STATE_VERSION;
			w = header_pwrite(fd, &st);
			if (w < 0)
				r = w;
		}
	}
	header_unlock(fd);
out:
	pthread_mutex_unlock(&state_mutex);
	return r;
}

static int add_one(struct olve_state *st, void *ud)
{
	size_t off = *(size_t *)ud;
	uint64_t v;

	memcpy(&v, (char *)st + off, sizeof(v));
	if (v != UINT64_MAX)
		v++;
	memcpy((char *)st + off, &v, sizeof(v));
	return 1;
}

int olve_state_add_fault(int fd, size_t offset_of_counter)
{
	if (offset_of_counter % sizeof(uint64_t) || offset_of_counter + sizeof(uint64_t) > sizeof(struct olve_state))
		return -EINVAL;
	if (offset_of_counter != offsetof(struct olve_state, fault_ep) &&
	    offset_of_counter != offsetof(struct olve_state, fault_vmem))
		return -EINVAL;
	return olve_state_update(fd, add_one, &offset_of_counter);
}

/*
 * Count the bytes locked by anyone in [start, end) (end < 0: to infinity).
 * F_OFD_GETLK reports *a* conflicting lock in the kernel's list order, not
 * the lowest, so split the range around each lock found: O(locks) calls.
 */
static long count_locked(int fd, off_t start, off_t end, int depth)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = start,
		.l_len = end < 0 ? 0 : end - start,
	};
	off_t lstart, lend;
	long n, m;

	if (end >= 0 && end <= start)
		return 0;
	if (depth > 64)
		return 0; /* pathological lock layout: undercount rather than recurse forever */
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	if (fl.l_type == F_UNLCK)
		return 0;
	lstart = fl.l_start < start ? start : fl.l_start;
	lend = fl.l_len == 0 ? -1 : fl.l_start + fl.l_len;
	if (end >= 0 && (lend < 0 || lend > end))
		lend = end;
	if (lend < 0)
		return 1; /* a lock to infinity: count it once */
	n = (long)(lend - lstart);
	m = count_locked(fd, start, lstart, depth + 1);
	if (m < 0)
		return m;
	n += m;
	m = count_locked(fd, lend, end, depth + 1);
	if (m < 0)
		return m;
	return n + m;
}

int olve_state_count_slots(struct olve *h, uint32_t id)
{
	/* a description of our own: every slot lock of anyone (us included) conflicts with it */
	_cleanup_close_ int fd = olve_state_open(h, id, false);
	long n;

	if (fd < 0)
		return fd;
	n = count_locked(fd, OLVE_SLOT_BASE, -1, 0);
	if (n < 0)
		return (int)n;
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}

int olve_state_remove(struct olve *h, uint32_t id)
{
	char name[16];

	if (!h || id == 0 || h->statefd < 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%" PRIu32, id);
	if (unlinkat(h->statefd, name, 0) < 0)
		return -errno;
	return 0;
}

/* -------------------------------------------------------------- defaults */

int olve_defaults_get(struct olve *h, struct olve_limits *out)
{
	_cleanup_close_ int fd = -1;
	struct olve_limits d;
	struct olve_state st;
	int r;

	if (!h || !out)
		return -EINVAL;
	olve_limits_default(&d);
	fd = openat(h->statefd, OLVE_STATE_DEFAULT, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*out = d;
		return 0;
	}
	/* read-only description: a plain pread; writers replace the header in one pwrite */
	pthread_mutex_lock(&state_mutex);
	r = header_lock(fd, F_RDLCK);
	if (r == 0) {
		r = header_pread(fd, &st);
		header_unlock(fd);
	}
	pthread_mutex_unlock(&state_mutex);
	if (r == 0)
		olve_limits_merge(&d, &st.limits);
	*out = d;
	return 0;
}

static int defaults_merge(struct olve_state *st, void *ud)
{
	olve_limits_merge(&st->limits, ud);
	return 1;
}

int olve_defaults_set(struct olve *h, const struct olve_limits *lim)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!h || !lim)
		return -EINVAL;
	r = olve_limits_check(lim);
	if (r < 0)
		return r;
	fd = state_open_name(h->statefd, OLVE_STATE_DEFAULT, true);
	if (fd < 0)
		return fd;
	r = olve_state_update(fd, defaults_merge, (void *)lim);
	return r < 0 ? r : 0;
}

/* ----------------------------------------------------------------- flags */

static int set_flags(struct olve_state *st, void *ud)
{
	st->flags = *(uint32_t *)ud;
	return 1;
}

_public_ int olve_set_flags(struct olve *h, uint32_t id, uint32_t flags)
{
	_cleanup_lve_put_ struct olve_lve_fds *f = NULL;
	int r;

	if (!h || id == 0 || (flags & ~(uint32_t)OLVE_F_DISABLED))
		return -EINVAL;
	/* fds opened by a privileged caller stay writable after it drops
	 * privileges: refuse explicitly, like the kernel would on a fresh open */
	if (!olve_privileged())
		return -EPERM;
	r = olve_lve_get(h, id, false, &f);
	if (r < 0)
		return r;
	if (f->statefd < 0)
		return -EACCES;
	r = olve_state_update(f->statefd, set_flags, &flags);
	return r < 0 ? r : 0;
}

_public_ int olve_get_flags(struct olve *h, uint32_t id, uint32_t *flags)
{
	_cleanup_lve_put_ struct olve_lve_fds *f = NULL;
	struct olve_state st;
	int r;

	if (!h || id == 0 || !flags)
		return -EINVAL;
	r = olve_lve_get(h, id, false, &f);
	if (r < 0)
		return r;
	if (f->statefd < 0)
		return -EACCES;
	r = olve_state_read(f->statefd, &st);
	if (r < 0)
		return r;
	*flags = st.flags;
	return 0;
}
