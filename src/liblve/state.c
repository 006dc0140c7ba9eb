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
 *
 * Who may touch the files (SECURITY.md): state files are mode 0600, owned
 * by root; files of an older install (0644) are narrowed when root opens
 * them. Nobody else can open them, so nobody else can take a lock on a
 * header or on EP slot bytes. Root still never waits for a header lock
 * without bound: the lock is polled (F_OFD_SETLK) for OLVE_LOCK_TIMEOUT_MS
 * and then the call fails with -ENOLCK, after one syslog line (LOG_ERR)
 * naming the processes that hold the file open (olve_state_lock_holder()
 * gives the first to tools, which print it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "lve-internal.h"

static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;

static _Thread_local pid_t lock_holder;

pid_t olve_state_lock_holder(void)
{
	return lock_holder;
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Pids of other processes having the file behind fd open (through any fd),
 * at most n of them, by a scan of /proc/<pid>/fd. The number found.
 * For the administrator message only: it is slow on a busy host.
 */
static int file_openers(int fd, pid_t *out, int n)
{
	_cleanup_closedir_ DIR *proc = NULL;
	struct dirent *de;
	struct stat want;
	int found = 0;

	if (fstat(fd, &want) < 0)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (found < n && (de = readdir(proc))) {
		_cleanup_closedir_ DIR *fds = NULL;
		struct dirent *fe;
		char path[64];
		long pid = strtol(de->d_name, NULL, 10);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if (ol_opendir_at(AT_FDCWD, path, &fds) < 0)
			continue;
		while ((fe = readdir(fds))) {
			struct stat sb;

			if (fe->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(fds), fe->d_name, &sb, 0) == 0 && sb.st_dev == want.st_dev &&
			    sb.st_ino == want.st_ino) {
				out[found++] = (pid_t)pid;
				break;
			}
		}
	}
	return found;
}

/* Log who blocks a header lock (one line, LOG_ERR) and remember the first for tools. */
static void report_holder(int fd)
{
	pid_t pids[8];
	char list[128] = "";
	char target[64], path[PATH_MAX] = "?";
	size_t len = 0;
	ssize_t pl;
	int n = file_openers(fd, pids, 8);

	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	pl = readlink(target, path, sizeof(path) - 1);
	path[pl > 0 ? pl : 1] = 0;
	for (int i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d", i ? " " : "", (int)pids[i]);
	lock_holder = n > 0 ? pids[0] : 0;
	syslog(LOG_ERR | LOG_AUTHPRIV,
	       "openlve: state file %s locked for more than %d ms; held open by pid(s) %s; giving up",
	       path, OLVE_LOCK_TIMEOUT_MS, n ? list : "(unknown)");
}

/*
 * Lock (F_RDLCK/F_WRLCK) or unlock the header, never blocking for more
 * than OLVE_LOCK_TIMEOUT_MS: -ENOLCK then (holder logged).
 */
static int range_lock(int fd, short type, off_t len)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = len,
	};
	long deadline = 0;
	long wait_us = 50;

	lock_holder = 0;
	for (;;) {
		struct timespec ts;

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (!deadline)
			deadline = mono_ms() + OLVE_LOCK_TIMEOUT_MS;
		else if (mono_ms() >= deadline) {
			report_holder(fd);
			return -ENOLCK;
		}
		/* writers hold the header for microseconds: back off from 50 us to 20 ms */
		ts.tv_sec = 0;
		ts.tv_nsec = wait_us * 1000;
		nanosleep(&ts, NULL);
		if (wait_us < 20000)
			wait_us *= 2;
	}
}

static int header_lock(int fd, short type)
{
	return range_lock(fd, type, sizeof(struct olve_state));
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

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pwrite(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * Under the header's write lock. The seqlock for lock-free readers of the
 * mapped header (olve_state_read_fast): seq odd, the header (seq still
 * odd), seq even; three writes, each complete before the next starts. A
 * writer that died in between leaves seq odd: readers take the lock until
 * the next write makes it even again.
 */
static int header_pwrite(int fd, const struct olve_state *st)
{
	struct olve_state w = *st;
	uint64_t odd = (st->seq | 1u), even = odd + 1;
	int r;

	w.seq = odd;
	r = pwrite_all(fd, &odd, sizeof(odd), (off_t)offsetof(struct olve_state, seq));
	if (r == 0)
		r = pwrite_all(fd, &w, sizeof(w), 0);
	if (r == 0)
		r = pwrite_all(fd, &even, sizeof(even), (off_t)offsetof(struct olve_state, seq));
	return r;
}

void olve_state_attach(struct olve_lve_fds *f)
{
	struct stat st;
	void *m;

	f->map = NULL;
	if (f->statefd < 0 || fstat(f->statefd, &st) < 0)
		return;
	f->state_dev = st.st_dev;
	f->state_ino = st.st_ino;
	/* state files are never truncated (replaced by a new inode): the mapping cannot fault */
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct olve_state))
		return;
	m = mmap(NULL, sizeof(struct olve_state), PROT_READ, MAP_SHARED, f->statefd, 0);
	if (m != MAP_FAILED)
		f->map = m;
}

void olve_state_detach(struct olve_lve_fds *f)
{
	if (f->map)
		munmap((void *)f->map, sizeof(struct olve_state));
	f->map = NULL;
}

int olve_state_read_fast(const struct olve_lve_fds *f, struct olve_state *out)
{
	const struct olve_state *m = f->map;

	if (m) {
		for (int tries = 0; tries < 4; tries++) {
			struct olve_state st;
			uint64_t s1 = __atomic_load_n(&m->seq, __ATOMIC_ACQUIRE), s2;

			if (s1 & 1u)
				break; /* a writer is busy (or died busy): take the lock */
			memcpy(&st, (const void *)m, sizeof(st));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&m->seq, __ATOMIC_RELAXED);
			if (s1 != s2)
				continue;
			if (st.magic != OLVE_STATE_MAGIC || st.version != OLVE_STATE_VERSION)
				return -EBADMSG;
			*out = st;
			return 0;
		}
	}
	return olve_state_read(f->statefd, out);
}

/*
 * A state file must be a regular root-owned file (a FIFO or device planted
 * in a state dir someone else could write must not be used: O_NONBLOCK
 * keeps the open itself from hanging). A wider mode of an older install
 * is narrowed to 0600.
 */
static int state_fd_check(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return -EPERM;
	if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		return -errno;
	return 0;
}

/* Open/create a state file by name; a new file (or a foreign/short one) gets a fresh header. */
static int state_open_name(int dirfd, const char *name, bool create)
{
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (dirfd < 0)
		return -EBADF;
	fd = openat(dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return -errno;
	r = state_fd_check(fd);
	if (r < 0)
		return r;
	if (create) {
		struct olve_state st;

		/* the common case, a valid header: a read lock (readers never wait for each other) */
		pthread_mutex_lock(&state_mutex);
		r = header_lock(fd, F_RDLCK);
		if (r == 0) {
			r = header_pread(fd, &st) == 0 ? 1 : 0;
			header_unlock(fd);
		}
		if (r == 0) {
			r = header_lock(fd, F_WRLCK);
			if (r == 0) {
				if (header_pread(fd, &st) < 0) {
					/* a new file: the state is derived data, (re)initialize it */
					state_init(&st);
					r = header_pwrite(fd, &st);
				}
				header_unlock(fd);
			}
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
	fd = openat(h->statefd, OLVE_STATE_DEFAULT, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*out = d;
		return 0;
	}
	{
		struct stat sb;

		if (fstat(fd, &sb) < 0)
			return -errno;
		if (!S_ISREG(sb.st_mode) || (sb.st_uid != 0 && sb.st_uid != geteuid()))
			return -EPERM;
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
	if (r < 0)
		return r;
	(void)olve_changes_note(h, 0);
	return 0;
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
	if (r < 0)
		return r;
	(void)olve_changes_note(h, id);
	return 0;
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

/* ------------------------------------------------- readers without access */

/*
 * EP and VMEM of `id` for a caller that cannot open state files (mode
 * 0600): the world-readable LVE list (list_file, the /proc/lve/list
 * stand-in lvectl keeps up to date; columns LVE ... lMEM lEP, lMEM in
 * 4 KiB pages), the row of `id`, else row 0 (the defaults new LVEs get).
 * 0, -ENOENT (no list or no row), -errno.
 */
int olve_state_public_limits(struct olve *h, uint32_t id, uint32_t *ep, uint64_t *vmem)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	bool found = false, have_def = false;
	uint64_t def_vmem = 0, got_vmem = 0;
	uint32_t def_ep = 0, got_ep = 0;
	int r;

	if (!h || !ep || !vmem)
		return -EINVAL;
	if (!h->conf.list_file)
		return -ENOENT;
	fd = open(h->conf.list_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = ol_read_full_fd(fd, 64 << 20, &text, NULL);
	if (r < 0)
		return r;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[10], *save2 = NULL;
		uint64_t v[3];
		int n = 0;

		if (strchr(line, ':'))
			continue; /* the header */
		for (char *t = strtok_r(line, "\t", &save2); t && n < 10; t = strtok_r(NULL, "\t", &save2))
			f[n++] = t;
		if (n < 9 || ol_parse_u64(f[0], &v[0]) < 0 || ol_parse_u64(f[7], &v[1]) < 0 ||
		    ol_parse_u64(f[8], &v[2]) < 0 || v[2] > UINT32_MAX || v[1] > UINT64_MAX / 4096)
			continue;
		if (v[0] == id) {
			got_ep = (uint32_t)v[2];
			got_vmem = v[1] * 4096;
			found = true;
		} else if (v[0] == 0) {
			def_ep = (uint32_t)v[2];
			def_vmem = v[1] * 4096;
			have_def = true;
		}
	}
	if (!found && !have_def)
		return -ENOENT;
	*ep = found ? got_ep : def_ep;
	*vmem = found ? got_vmem : def_vmem;
	return 0;
}

/* ------------------------------------------ entry notes (issue 11) */

int olve_state_notes(int fd, struct olve_note *out, int max)
{
	struct olve_state st;
	uint32_t n;
	int found = 0, r;

	r = olve_state_read(fd, &st);
	if (r < 0)
		return r;
	n = st.ep_limit < OLVE_NOTE_SLOTS ? st.ep_limit : OLVE_NOTE_SLOTS;
	for (uint32_t i = 0; i < n && found < max; i++) {
		struct olve_note note;
		struct flock fl = {
			.l_type = F_WRLCK,
			.l_whence = SEEK_SET,
			.l_start = (off_t)OLVE_SLOT_BASE + i,
			.l_len = 1,
		};
		ssize_t got = pread(fd, &note, sizeof(note), (off_t)OLVE_NOTE_BASE + (off_t)i * (off_t)sizeof(note));

		if (got < 0)
			return -errno;
		if (got != (ssize_t)sizeof(note))
			break; /* past the end: no note there or after */
		if (note.magic != OLVE_NOTE_MAGIC || note.slot != i || note.pid <= 0 ||
		    !memchr(note.text, 0, sizeof(note.text)))
			continue;
		if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
			return -errno;
		if (fl.l_type == F_UNLCK)
			continue; /* its holder is gone */
		out[found++] = note;
	}
	return found;
}

/* ---------------------------------------------------------------- changes */

/*
 * [i12] The change log <state_dir>/lve/changes (struct olve_changes): every
 * write of a state header that lved reports (limits, flags, the defaults
 * record, a counted EP fault) adds one to gen and notes
 * the LVE in ring slot gen % OLVE_CHANGES_RING, under an OFD write lock on
 * the record, after the header write. lved reads it once per pass (read
 * lock) instead of re-reading every idle LVE's state file on a timer.
 * Root's file (0600), like the state files: other callers cannot open it
 * and their changes cannot write headers anyway.
 */
int olve_changes_note(struct olve *h, uint32_t id)
{
	_cleanup_close_ int fd = -1;
	struct olve_changes ch;
	ssize_t n;
	int r;

	if (!h || h->statefd < 0)
		return -EINVAL;
	fd = openat(h->statefd, OLVE_STATE_CHANGES, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	r = state_fd_check(fd);
	if (r < 0)
		return r;
	r = range_lock(fd, F_WRLCK, sizeof(ch));
	if (r < 0)
		return r;
	do
		n = pread(fd, &ch, sizeof(ch), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(ch) || ch.magic != OLVE_CHANGES_MAGIC) {
		/* new (or not ours): start over; a reader seeing gen go back re-reads everything */
		memset(&ch, 0, sizeof(ch));
		ch.magic = OLVE_CHANGES_MAGIC;
	}
	ch.gen++;
	ch.id[ch.gen % OLVE_CHANGES_RING] = id;
	r = pwrite_all(fd, &ch, sizeof(ch), 0);
	(void)range_lock(fd, F_UNLCK, sizeof(ch));
	return r;
}

int olve_changes_read(int fd, struct olve_changes *out)
{
	struct olve_changes ch;
	ssize_t n;
	int r;

	if (fd < 0 || !out)
		return -EINVAL;
	r = range_lock(fd, F_RDLCK, sizeof(ch));
	if (r < 0)
		return r;
	do
		n = pread(fd, &ch, sizeof(ch), 0);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
	(void)range_lock(fd, F_UNLCK, sizeof(ch));
	if (r < 0)
		return r;
	if (n == 0) {
		/* created, nothing noted yet */
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (n != (ssize_t)sizeof(ch) || ch.magic != OLVE_CHANGES_MAGIC)
		return -EBADMSG;
	*out = ch;
	return 0;
}
