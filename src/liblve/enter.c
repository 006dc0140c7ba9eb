/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * enter.c - olve_enter / olve_leave / olve_enter_pid / olve_leave_pid / olve_current.
 *
 * What moves
 *   cgroup v1 hierarchies: the calling THREAD (its tid is written to the
 *   LVE's `tasks`), or the whole process with OLVE_ENTER_PROCESS (its pid to
 *   `cgroup.procs`). cgroup v2: the domain controllers (memory, io) cannot
 *   split the threads of one process across cgroups, so a single-threaded
 *   caller (prefork child, CGI) and OLVE_ENTER_PROCESS move the whole
 *   process (`cgroup.procs`), while a thread of a multi-threaded process
 *   (Apache event/worker, LiteSpeed) is entered WITHOUT moving its process:
 *   the entry holds its EP slot (exact, -E2BIG past the limit) and VMEM, the
 *   process and its other threads stay where they are and are never
 *   throttled by one customer's limits. When the server's cgroup is
 *   delegated, the thread itself moves into the LVE's threaded child below
 *   it (threads.c: cgroup.threads there, back to the origin's
 *   cgroup.threads; cpu.max = the LVE's CPU limits, re-synced at entry);
 *   otherwise nothing moves (EP only, one syslog line per process says
 *   why). Memory, IO and NPROC never apply to such an entry. The thread
 *   count is one fstat of /proc/self/task per v2 entry, unless glibc's
 *   __libc_single_threaded says the process never had a second thread.
 *   (A cgroup2 mount without controllers, as in hybrid mode, is not among
 *   the handle's hierarchies: it limits nothing.)
 *   An entry that moves the whole process (v2, OLVE_ENTER_PROCESS) excludes
 *   every other entry in the process (-EPERM) until it leaves.
 *
 * Returning "exactly where it was"
 *   Every thread keeps (thread-local) the origin it was in before its first
 *   entry: per hierarchy the cgroup path from /proc/thread-self/cgroup and a
 *   kept O_WRONLY fd of that cgroup's tasks (v1) / cgroup.procs (v2) file,
 *   resolved beneath the hierarchy's mount fd (ol_open_dir_beneath; a path
 *   can never leave the mount). Leaving writes the tid/pid to those fds.
 *   Caching rule: the origin is re-read from /proc/thread-self/cgroup when
 *   the thread first enters, after fork(), when a handle on other
 *   hierarchies is used (handles on the same mounts share it), when a
 *   leave could not return to it, and otherwise at most once per second
 *   (CLOCK_MONOTONIC_COARSE, no system call). Within that second the origin is trusted: a thread
 *   moved by someone else in that window is returned to the old origin.
 *   Each re-read also checks that the thread is not inside an LVE (put
 *   there by someone else: -EPERM). If the origin cgroup vanished while
 *   the thread was inside, leave moves it to the nearest existing ancestor.
 *
 * EP admission (exact across processes and threads, crash-safe, no daemon)
 *   Slot i of LVE N is the byte OLVE_SLOT_BASE + i of N's state file. An
 *   entry locks a free byte with F_OFD_SETLK/F_WRLCK on an open file
 *   description of its own (pools of O_RDWR fds per state file, shared by
 *   the handles of the process, one fd per concurrent entry, reused after
 *   leave). The kernel drops the lock when the holder dies. The search
 *   starts at the thread's last slot, so it is O(1) unless the LVE is
 *   nearly full. After fork() the child closes every pool fd, so a child
 *   never keeps its parent's slot alive.
 *
 * VMEM is per process: RLIMIT_AS. The first entry that applies a VMEM limit
 * saves the process's rlimit, every such entry sets the soft limit to its
 * LVE's VMEM (never above the hard limit), and the last one to leave
 * restores the saved value.
 *
 * Who may enter or leave: priv.c decides (olve_may_enter). Privileged
 * callers open every file themselves. An unprivileged child of a process
 * that opened its handle privileged with OLVE_OPEN_DELEGATE gets the same
 * fds opened by root from priv.c's broker: the LVE's (through the handle's
 * cache, lve.c), its thread's origin (origin_resolve) and each EP pool fd
 * (pool_get); each once, then they are kept. A thread may leave an entry
 * it made through such a handle after dropping privileges; otherwise
 * leaving needs privilege like entering. Refusals are -EPERM, never -EACCES.
 *
 * Hot path (enter or leave): no /proc read, no allocation, no path
 * building: a credential check, one pread of the state header, one OFD
 * lock when EP is limited, one write per hierarchy on kept fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define OLVE_HAVE_SINGLE_THREADED 1
#endif
#endif

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"

#define ORIGIN_RECHECK_NS 1000000000LL
#define ENTRY_PROCESS 0x80000000u
#define POOL_BUCKETS 64
#define PID_ORIGIN_MAX 1024
#define PROC_CGROUP_MAX (1024 * 1024)

#define ENTER_FLAGS_ALL                                                                            \
	(OLVE_ENTER_NO_UBC | OLVE_ENTER_NO_NAMESPACE | OLVE_ENTER_NO_MAXENTER | OLVE_ENTER_SILENCE | \
	 OLVE_ENTER_PROCESS)

/* ------------------------------------------------------------ structures */

struct ep_pool {
	struct ep_pool *next;
	dev_t dev;
	ino_t ino;
	int *fds;   /* every fd of this pool (busy or free) */
	int n, cap;
	int *freestk; /* free fds, capacity cap */
	int nfree;
};

struct ent_origin {
	int fd;     /* origin's tasks (v1) / cgroup.procs (v2), O_WRONLY, or -1 */
	int tfd;    /* v2: origin's cgroup.threads (a thread entry leaves to it), O_WRONLY, or -1 */
	int mountfd; /* borrowed O_PATH fd of the hierarchy's mount (cg_sys) */
	char *path; /* the origin below the mount, as /proc shows it */
};

struct ent_thread {
	struct ent_thread *next, *prev; /* g_threads */
	uint64_t gen;                   /* g_fork_gen this state belongs to */

	/* origin cache */
	bool origin_ok;
	int n;                     /* hierarchies resolved (index as the handle's hier[]) */
	struct ent_origin o[OLVE_MAX_HIER];
	struct timespec checked;

	/* identity */
	char tidstr[16], pidstr[16];
	size_t tidlen, pidlen;
	uint32_t salt, seq, hint;

	/* the current entry */
	bool entered;
	uint32_t id, cookie, ebits;
	int nmoved;
	int wfd[OLVE_MAX_HIER];    /* where leave writes: o[i].fd or leavefd[i] */
	int leavefd[OLVE_MAX_HIER]; /* owned extra fds (process mode on v1), -1 */
	bool whole[OLVE_MAX_HIER];  /* pid (true) or tid */
	const char *tasks[OLVE_MAX_HIER]; /* the hierarchy's tasks file name */
	struct ep_pool *pool;
	int slotfd, slot;
	bool noted; /* olve_annotate wrote a note for this slot */
	bool vmem;
	bool delegated; /* entered through a delegating handle: may leave unprivileged */
};

struct pid_origin {
	struct pid_origin *next;
	pid_t pid;
	unsigned long long start;
	int n;
	int mountfd[OLVE_MAX_HIER];
	char *path[OLVE_MAX_HIER];
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;
static _Atomic uint64_t g_fork_gen = 1;
static _Atomic uint32_t g_entries; /* ENTRY_PROCESS | number of thread entries */
static struct ent_thread *g_threads;
static struct ep_pool *g_pools[POOL_BUCKETS];
static unsigned g_pool_creations;
static int g_vmem_users;
static struct rlimit g_vmem_saved;
static struct pid_origin *g_pids;
static int g_n_pids;
static __thread struct ent_thread *t_cur;
static _Atomic int g_statfd = -1; /* /proc/self/task of this process (process_threads) */

/* --------------------------------------------------------------- helpers */

static int err_perm(int r)
{
	return r == -EACCES ? -EPERM : r;
}

static int write_str(int fd, const char *s, size_t len)
{
	ssize_t n = write(fd, s, len);

	if (n < 0)
		return err_perm(-errno);
	return (size_t)n == len ? 0 : -EIO;
}

static void pool_release_fd(struct ep_pool *p, int fd);
static void pool_forget_all(void);

static void origin_clear(struct ent_origin *o)
{
	o->fd = safe_close(o->fd);
	o->tfd = safe_close(o->tfd);
	free(o->path);
	o->path = NULL;
	o->mountfd = -1;
}

static void thread_release_entry(struct ent_thread *t, bool unlock_slot);
static int move_back(struct ent_thread *t, int n);
static void move_forget(struct ent_thread *t);

static void thread_free(struct ent_thread *t)
{
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		origin_clear(&t->o[i]);
		t->leavefd[i] = safe_close(t->leavefd[i]);
	}
	free(t);
}

static void thread_destructor(void *p)
{
	struct ent_thread *t = p;

	if (!t)
		return;
	if (t->gen == atomic_load(&g_fork_gen) && t->entered) {
		/* A whole-process entry ends with its thread: the rest of the process goes back. */
		if (t->ebits & ENTRY_PROCESS)
			(void)move_back(t, t->nmoved);
		thread_release_entry(t, true);
	}
	pthread_mutex_lock(&g_lock);
	if (t->prev)
		t->prev->next = t->next;
	else if (g_threads == t)
		g_threads = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&g_lock);
	if (t_cur == t)
		t_cur = NULL;
	thread_free(t);
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&g_lock);
}

/*
 * In the child: drop every pool fd (a child must not keep its parent's EP
 * slots alive), forget entries (the child did not enter; it is inside the
 * LVE its parent was in, and finds out when its origin is re-read), and
 * free the state of the threads that do not exist here.
 */
static void atfork_child(void)
{
	struct ent_thread *t, *next;

	atomic_fetch_add(&g_fork_gen, 1);
	atomic_store(&g_entries, 0);
	{
		int sfd = atomic_exchange(&g_statfd, -1);

		if (sfd >= 0)
			close(sfd);
	}
	g_vmem_users = 0;
	pool_forget_all();
	for (t = g_threads; t; t = next) {
		next = t->next;
		if (t == t_cur) {
			/* Close now: the child may reuse fd numbers before it calls us again. */
			for (int i = 0; i < OLVE_MAX_HIER; i++) {
				origin_clear(&t->o[i]);
				t->leavefd[i] = safe_close(t->leavefd[i]);
			}
			t->slotfd = -1; /* a pool fd: closed above */
			t->noted = false; /* the parent's label stays the parent's */
			t->pool = NULL;
			t->next = t->prev = NULL;
			continue;
		}
		thread_free(t);
	}
	g_threads = t_cur;
	pthread_mutex_unlock(&g_lock);
}

static void enter_once(void)
{
	if (pthread_key_create(&g_key, thread_destructor) == 0)
		g_key_ok = true;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void pid_origin_free(struct pid_origin *o);

/*
 * The library is being unloaded (a web server's graceful reload dlclose()s
 * it) or the process exits: its key destructor must not run later, and the
 * state of every thread (origin fds), the EP pools and the enter_pid
 * records go with the image, so a dlclose/dlopen cycle leaks nothing.
 */
__attribute__((destructor)) static void enter_fini(void)
{
	struct ent_thread *t, *next;

	if (g_key_ok) {
		pthread_key_delete(g_key);
		g_key_ok = false;
	}
	pthread_mutex_lock(&g_lock);
	for (t = g_threads; t; t = next) {
		next = t->next;
		thread_free(t);
	}
	g_threads = NULL;
	t_cur = NULL;
	pool_forget_all();
	{
		int sfd = atomic_exchange(&g_statfd, -1);

		if (sfd >= 0)
			close(sfd);
	}
	while (g_pids) {
		struct pid_origin *o = g_pids;

		g_pids = o->next;
		pid_origin_free(o);
	}
	g_n_pids = 0;
	pthread_mutex_unlock(&g_lock);
}

static void thread_identity(struct ent_thread *t)
{
	pid_t tid = (pid_t)syscall(SYS_gettid), pid = getpid();
	uint32_t r;

	t->tidlen = (size_t)snprintf(t->tidstr, sizeof(t->tidstr), "%d", (int)tid);
	t->pidlen = (size_t)snprintf(t->pidstr, sizeof(t->pidstr), "%d", (int)pid);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)ts.tv_nsec ^ ((uint32_t)tid * 2654435761u) ^ (uint32_t)(uintptr_t)t;
	}
	t->salt = r;
	t->hint = r >> 16;
}

/* Reset everything except the list links (after fork, or fresh). */
static void thread_reset(struct ent_thread *t)
{
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		origin_clear(&t->o[i]);
		t->leavefd[i] = safe_close(t->leavefd[i]);
		t->wfd[i] = -1;
		t->whole[i] = false;
	}
	t->origin_ok = false;
	t->n = 0;
	t->entered = false;
	t->nmoved = 0;
	t->pool = NULL;
	t->slotfd = -1;
	t->slot = -1;
	t->vmem = false;
	t->delegated = false;
	t->ebits = 0;
	t->gen = atomic_load(&g_fork_gen);
	thread_identity(t);
}

/* The calling thread's state, created on first use. */
static int thread_get(struct ent_thread **out)
{
	struct ent_thread *t = t_cur;

	if (_likely_(t)) {
		if (_unlikely_(t->gen != atomic_load(&g_fork_gen)))
			thread_reset(t); /* after fork: atfork_child closed the fds */
		*out = t;
		return 0;
	}
	pthread_once(&g_once, enter_once);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		t->o[i].fd = -1;
		t->o[i].tfd = -1;
		t->o[i].mountfd = -1;
		t->leavefd[i] = -1;
	}
	thread_reset(t);
	if (g_key_ok)
		pthread_setspecific(g_key, t);
	pthread_mutex_lock(&g_lock);
	t->next = g_threads;
	if (g_threads)
		g_threads->prev = t;
	g_threads = t;
	pthread_mutex_unlock(&g_lock);
	t_cur = t;
	*out = t;
	return 0;
}

/* The calling thread's state if it has one (never allocates). */
static struct ent_thread *thread_peek(void)
{
	struct ent_thread *t = t_cur;

	if (t && _unlikely_(t->gen != atomic_load(&g_fork_gen)))
		thread_reset(t);
	return t;
}

/* -------------------------------------------------- /proc/<pid>/cgroup */

/* Whole /proc/thread-self/cgroup (pid 0), /proc/<pid>/cgroup (tid 0) or /proc/<pid>/task/<tid>/cgroup. */
static int proc_cgroup_read_task(pid_t pid, pid_t tid, char **out)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/thread-self/cgroup");
	else if (tid == 0)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= PROC_CGROUP_MAX)
				return -EFBIG;
			nb = realloc(buf, cap * 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ESRCH ? -ESRCH : -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	*out = TAKE_PTR(buf);
	return 0;
}

static int proc_cgroup_read(pid_t pid, char **out)
{
	return proc_cgroup_read_task(pid, 0, out);
}

/* The path of hierarchy hr in a /proc/<pid>/cgroup text, copied into out. -ENOENT when absent. */
static int proc_cgroup_path(const char *text, const struct olve_hier *hr, char *out, size_t size)
{
	const char *want = hr->version == 2 ? NULL : cg_ctrl_name(hr->first_ctrl);
	size_t wl = want ? strlen(want) : 0;

	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		bool match = false;

		if (c2 && !want) {
			match = c2 == c1 + 1 && c1 - line == 1 && line[0] == '0';
		} else if (c2) {
			for (const char *tk = c1 + 1; tk < c2 && !match;) {
				const char *te = memchr(tk, ',', (size_t)(c2 - tk));

				if (!te)
					te = c2;
				match = (size_t)(te - tk) == wl && !memcmp(tk, want, wl);
				tk = te + 1;
			}
		}
		if (match) {
			size_t n = (size_t)(nl - c2 - 1);

			if (n == 0 || n >= size)
				return -ENAMETOOLONG;
			memcpy(out, c2 + 1, n);
			out[n] = 0;
			return 0;
		}
		line = *nl ? nl + 1 : nl;
	}
	return -ENOENT;
}

/* LVE id when `path` lies in <root>/lve<ID>[/...] or <root>/lvp<R>/lve<ID>[/...] (root: "/a/openlve"), else 0. */
static uint32_t path_lve_id(const char *path, const char *root)
{
	size_t rl = strlen(root);
	const char *p;
	uint64_t id = 0;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (strncmp(path, root, rl))
		return 0;
	p = path + rl;
	/* [issue 10] a reseller's customer: <root>/lvp<R>/lve<ID> */
	if (!strncmp(p, "/lvp", 4) && p[4] >= '1' && p[4] <= '9') {
		for (p += 4; *p >= '0' && *p <= '9'; p++)
			;
		if (*p != '/')
			return 0;
	}
	if (strncmp(p, "/lve", 4))
		return 0;
	p += 4;
	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		id = id * 10 + (uint64_t)(*p - '0');
		if (id > UINT32_MAX)
			return 0;
	}
	return (*p == 0 || *p == '/') ? (uint32_t)id : 0;
}

/* Open `file` in the cgroup `path` below the mount mountfd, O_WRONLY. */
static int open_cgroup_file(int mountfd, const char *path, const char *file)
{
	_cleanup_close_ int dfd = -1;
	int fd;

	if (mountfd < 0)
		return -ENODEV;
	dfd = ol_open_dir_beneath(mountfd, path, OL_OPEN_PATH, 0);
	if (dfd < 0)
		return err_perm(dfd);
	fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? err_perm(-errno) : fd;
}

/* Write s to `file` of the cgroup `path` below mountfd, or of its nearest existing ancestor. */
static int write_cgroup_or_ancestor(int mountfd, const char *path, const char *file, const char *s,
				    size_t len)
{
	char buf[PATH_MAX];
	int r = -ENOENT;

	if (!path)
		return -ENOENT;
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (;;) {
		_cleanup_close_ int fd = open_cgroup_file(mountfd, buf[0] ? buf : "/", file);
		char *slash;

		if (fd >= 0) {
			r = write_str(fd, s, len);
			if (r != -ENODEV && r != -ENOENT)
				return r;
		} else if (fd != -ENOENT && fd != -ENODEV) {
			return fd;
		}
		slash = strrchr(buf, '/');
		if (!slash || buf[0] == 0 || !strcmp(buf, "/"))
			return r;
		*slash = 0;
	}
}

/* ---------------------------------------------------------------- origin */

static bool origin_fresh(const struct olve *h, const struct ent_thread *t)
{
	struct timespec now;
	long long d;

	/* The origin belongs to the thread, not to a handle: any handle on the same mounts shares it. */
	if (!t->origin_ok || t->n != h->n_hier)
		return false;
	for (int i = 0; i < t->n; i++)
		if (t->o[i].mountfd != h->hier[i].mountfd)
			return false;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	d = (long long)(now.tv_sec - t->checked.tv_sec) * 1000000000LL + (now.tv_nsec - t->checked.tv_nsec);
	return d >= 0 && d < ORIGIN_RECHECK_NS;
}

/* Every origin fd of the thread, opened by priv.c's broker (unprivileged child of a delegating opener). */
static int origin_from_broker(const struct olve *h, struct ent_thread *t)
{
	int fds[OLVE_MAX_HIER], tfds[OLVE_MAX_HIER];
	char *paths[OLVE_MAX_HIER];
	int r = olve_broker_origin(h, (pid_t)syscall(SYS_gettid), fds, tfds, paths);

	if (r < 0)
		return r;
	for (int i = 0; i < h->n_hier; i++) {
		origin_clear(&t->o[i]);
		t->o[i].fd = fds[i];
		t->o[i].tfd = tfds[i];
		t->o[i].mountfd = h->hier[i].mountfd;
		t->o[i].path = paths[i];
	}
	for (int i = h->n_hier; i < OLVE_MAX_HIER; i++)
		origin_clear(&t->o[i]);
	t->n = h->n_hier;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t->checked);
	t->origin_ok = true;
	return 0;
}

_hidden_ int olve_origin_open(struct olve *h, pid_t pid, pid_t tid, int fds[static OLVE_MAX_HIER],
			      int tfds[static OLVE_MAX_HIER], char *paths[static OLVE_MAX_HIER])
{
	_cleanup_free_ char *text = NULL;
	int r, n = 0;

	if (!h || pid <= 0 || tid <= 0 || h->n_hier <= 0 || h->n_hier > OLVE_MAX_HIER)
		return -EINVAL;
	/* the task dir exists only when tid is a thread of pid */
	r = proc_cgroup_read_task(pid, tid, &text);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	for (; n < h->n_hier; n++) {
		const struct olve_hier *hr = &h->hier[n];
		char path[PATH_MAX];

		tfds[n] = -1;
		r = proc_cgroup_path(text, hr, path, sizeof(path));
		if (r == 0 && (path_lve_id(path, hr->root) || olve_tcg_path_inside(path)))
			r = -EPERM;
		if (r == 0 && hr->version == 2) {
			r = open_cgroup_file(hr->mountfd, path, "cgroup.threads");
			if (r >= 0) {
				tfds[n] = r;
				r = 0;
			}
		}
		if (r == 0)
			r = open_cgroup_file(hr->mountfd, path, hr->version == 2 ? "cgroup.procs" : "tasks");
		if (r >= 0) {
			fds[n] = r;
			paths[n] = strdup(path);
			r = paths[n] ? 0 : -ENOMEM;
			if (r < 0)
				safe_close(fds[n]);
		}
		if (r < 0) {
			tfds[n] = safe_close(tfds[n]);
			break;
		}
	}
	if (r < 0) {
		for (int i = 0; i < n; i++) {
			safe_close(fds[i]);
			safe_close(tfds[i]);
			free(paths[i]);
			paths[i] = NULL;
		}
		return r;
	}
	return 0;
}

/* Re-read /proc/thread-self/cgroup: -EPERM when inside an LVE, else refresh the origin fds. */
static int origin_resolve(const struct olve *h, struct ent_thread *t)
{
	_cleanup_free_ char *text = NULL;
	int r;

	t->origin_ok = false;
	if (h->n_hier <= 0 || h->n_hier > OLVE_MAX_HIER)
		return -ENODEV;
	r = proc_cgroup_read(0, &text);
	if (r < 0)
		return r;
	for (int i = 0; i < h->n_hier; i++) {
		const struct olve_hier *hr = &h->hier[i];
		char path[PATH_MAX];
		char *dup;
		int fd, tfd = -1;

		r = proc_cgroup_path(text, hr, path, sizeof(path));
		if (r < 0)
			return r;
		if (path_lve_id(path, hr->root) || olve_tcg_path_inside(path))
			return -EPERM;
		if (t->o[i].fd >= 0 && t->o[i].mountfd == hr->mountfd && t->o[i].path &&
		    !strcmp(t->o[i].path, path))
			continue;
		if (olve_broker_wanted(h))
			return origin_from_broker(h, t);
		fd = open_cgroup_file(hr->mountfd, path, hr->version == 2 ? "cgroup.procs" : "tasks");
		if (fd < 0)
			return fd;
		if (hr->version == 2) {
			tfd = open_cgroup_file(hr->mountfd, path, "cgroup.threads");
			if (tfd < 0) {
				safe_close(fd);
				return tfd;
			}
		}
		dup = strdup(path);
		if (!dup) {
			safe_close(fd);
			safe_close(tfd);
			return -ENOMEM;
		}
		origin_clear(&t->o[i]);
		t->o[i].fd = fd;
		t->o[i].tfd = tfd;
		t->o[i].mountfd = hr->mountfd;
		t->o[i].path = dup;
	}
	for (int i = h->n_hier; i < OLVE_MAX_HIER; i++)
		origin_clear(&t->o[i]);
	t->n = h->n_hier;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t->checked);
	t->origin_ok = true;
	return 0;
}

/* ------------------------------------------------------------- EP pools */

static struct ep_pool **pool_bucket(dev_t dev, ino_t ino)
{
	return &g_pools[(size_t)((uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev) % POOL_BUCKETS];
}

static void pool_free(struct ep_pool *p)
{
	for (int k = 0; k < p->n; k++)
		safe_close(p->fds[k]);
	free(p->fds);
	free(p->freestk);
	free(p);
}

/* Under g_lock (or in the fork child): close and drop every pool. */
static void pool_forget_all(void)
{
	for (size_t b = 0; b < POOL_BUCKETS; b++) {
		struct ep_pool *p = g_pools[b], *next;

		for (; p; p = next) {
			next = p->next;
			pool_free(p);
		}
		g_pools[b] = NULL;
	}
}

/* Under g_lock: drop idle pools of state files that were removed. */
static void pool_gc(void)
{
	for (size_t b = 0; b < POOL_BUCKETS; b++) {
		struct ep_pool **pp = &g_pools[b];

		while (*pp) {
			struct ep_pool *p = *pp;
			struct stat st;

			if (p->nfree == p->n && (p->n == 0 || (fstat(p->fds[0], &st) == 0 && st.st_nlink == 0))) {
				*pp = p->next;
				pool_free(p);
				continue;
			}
			pp = &p->next;
		}
	}
}

/* Under g_lock. */
static struct ep_pool *pool_find(dev_t dev, ino_t ino, bool create)
{
	struct ep_pool **b = pool_bucket(dev, ino), *p;

	for (p = *b; p; p = p->next)
		if (p->dev == dev && p->ino == ino)
			return p;
	if (!create)
		return NULL;
	if ((++g_pool_creations & 63) == 0)
		pool_gc();
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->dev = dev;
	p->ino = ino;
	p->next = *b;
	*b = p;
	return p;
}

/* A free fd of the state file behind lve->statefd with its own open file description. */
static int pool_get(struct olve *h, uint32_t id, const struct olve_lve_fds *lve, struct ep_pool **out_pool)
{
	struct stat st, nst;
	struct ep_pool *p;
	int fd;

	if (lve->map) {
		/* noted by olve_state_attach: no fstat per entry */
		st.st_dev = lve->state_dev;
		st.st_ino = lve->state_ino;
	} else if (fstat(lve->statefd, &st) < 0) {
		return -errno;
	}
	pthread_mutex_lock(&g_lock);
	p = pool_find(st.st_dev, st.st_ino, true);
	if (p && p->nfree > 0) {
		fd = p->freestk[--p->nfree];
		pthread_mutex_unlock(&g_lock);
		*out_pool = p;
		return fd;
	}
	pthread_mutex_unlock(&g_lock);
	if (!p)
		return -ENOMEM;

	fd = olve_broker_wanted(h) ? olve_broker_state(h, id) : olve_state_open(h, id, false);
	if (fd < 0)
		return fd;
	if (fstat(fd, &nst) < 0 || nst.st_dev != st.st_dev || nst.st_ino != st.st_ino) {
		safe_close(fd);
		return -ESTALE; /* replaced under us; the next entry sees the new file */
	}
	pthread_mutex_lock(&g_lock);
	p = pool_find(st.st_dev, st.st_ino, true);
	if (p && p->n == p->cap) {
		int ncap = p->cap ? p->cap * 2 : 4;
		int *nf = realloc(p->fds, sizeof(int) * (size_t)ncap);

		if (nf)
			p->fds = nf;
		int *ns = nf ? realloc(p->freestk, sizeof(int) * (size_t)ncap) : NULL;
		if (ns) {
			p->freestk = ns;
			p->cap = ncap;
		}
	}
	if (!p || p->n == p->cap) {
		pthread_mutex_unlock(&g_lock);
		safe_close(fd);
		return -ENOMEM;
	}
	p->fds[p->n++] = fd;
	pthread_mutex_unlock(&g_lock);
	*out_pool = p;
	return fd;
}

static void pool_release_fd(struct ep_pool *p, int fd)
{
	pthread_mutex_lock(&g_lock);
	if (p->nfree < p->cap)
		p->freestk[p->nfree++] = fd;
	pthread_mutex_unlock(&g_lock);
}

static int slot_lock(int fd, int slot, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = (off_t)OLVE_SLOT_BASE + slot,
		.l_len = 1,
	};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* Take a free EP slot of LVE id (limit > 0): -E2BIG (and fault_ep + 1) when all are busy. */
static int slot_take(struct olve *h, uint32_t id, const struct olve_lve_fds *lve, uint32_t limit,
		     struct ent_thread *t)
{
	struct ep_pool *p = NULL;
	uint32_t s;
	int fd;

	fd = pool_get(h, id, lve, &p);
	if (fd < 0)
		return fd;
	s = t->hint % limit;
	for (uint32_t k = 0; k < limit; k++) {
		int r = slot_lock(fd, (int)s, F_WRLCK);

		if (r == 0) {
			t->pool = p;
			t->slotfd = fd;
			t->slot = (int)s;
			t->hint = s;
			return 0;
		}
		if (r != -EAGAIN && r != -EACCES) {
			pool_release_fd(p, fd);
			return r;
		}
		if (++s == limit)
			s = 0;
	}
	pool_release_fd(p, fd);
	if (olve_state_add_fault(lve->statefd, offsetof(struct olve_state, fault_ep)) >= 0)
		(void)olve_changes_note(h, id); /* root only (the log is root's, 0600) */
	return -E2BIG;
}

static void slot_release(struct ent_thread *t, bool unlock)
{
	if (t->slotfd < 0)
		return;
	if (t->noted && unlock) {
		/* entry notes: the note goes before the slot is free again */
		static const uint32_t zero;

		(void)!pwrite(t->slotfd, &zero, sizeof(zero),
			      (off_t)OLVE_NOTE_BASE + (off_t)t->slot * (off_t)sizeof(struct olve_note));
	}
	t->noted = false;
	if (unlock)
		(void)slot_lock(t->slotfd, t->slot, F_UNLCK);
	if (t->pool)
		pool_release_fd(t->pool, t->slotfd);
	t->slotfd = -1;
	t->slot = -1;
	t->pool = NULL;
}

/* ------------------------------------------------------------------ VMEM */

static int vmem_apply(uint64_t limit)
{
	struct rlimit nl;
	int r = 0;

	pthread_mutex_lock(&g_lock);
	if (g_vmem_users == 0 && getrlimit(RLIMIT_AS, &g_vmem_saved) < 0) {
		r = -errno;
		goto out;
	}
	nl.rlim_max = g_vmem_saved.rlim_max;
	nl.rlim_cur = (rlim_t)limit < nl.rlim_max ? (rlim_t)limit : nl.rlim_max;
	if (setrlimit(RLIMIT_AS, &nl) < 0) {
		r = -errno;
		goto out;
	}
	g_vmem_users++;
out:
	pthread_mutex_unlock(&g_lock);
	return r;
}

static void vmem_restore(void)
{
	pthread_mutex_lock(&g_lock);
	if (g_vmem_users > 0 && --g_vmem_users == 0)
		(void)setrlimit(RLIMIT_AS, &g_vmem_saved);
	pthread_mutex_unlock(&g_lock);
}

/* -------------------------------------------------------------- entries */

static int entries_take(bool whole, uint32_t *bits)
{
	uint32_t cur = atomic_load(&g_entries), next;

	for (;;) {
		if (cur & ENTRY_PROCESS)
			return -EPERM;
		if (whole && cur)
			return -EPERM;
		next = whole ? ENTRY_PROCESS : cur + 1;
		if (atomic_compare_exchange_weak(&g_entries, &cur, next))
			break;
	}
	*bits = whole ? ENTRY_PROCESS : 1;
	return 0;
}

/* Undo an entry's bookkeeping (slot, VMEM, process flag, owned fds); no cgroup write. */
static void thread_release_entry(struct ent_thread *t, bool unlock_slot)
{
	slot_release(t, unlock_slot);
	if (t->vmem)
		vmem_restore();
	t->vmem = false;
	if (t->ebits)
		atomic_fetch_sub(&g_entries, t->ebits);
	t->ebits = 0;
	move_forget(t);
	t->entered = false;
}

/* Forget where the entry moved (after move_back): owned leave fds, nmoved. No cgroup write. */
static void move_forget(struct ent_thread *t)
{
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		t->leavefd[i] = safe_close(t->leavefd[i]);
		t->wfd[i] = -1;
		t->whole[i] = false;
	}
	t->nmoved = 0;
}

/* Return the first n moved hierarchies to the origin. First error, 0 when all went back. */
static int move_back(struct ent_thread *t, int n)
{
	int ret = 0;

	for (int i = n - 1; i >= 0; i--) {
		const char *s = t->whole[i] ? t->pidstr : t->tidstr;
		size_t len = t->whole[i] ? t->pidlen : t->tidlen;
		int r;

		if (t->wfd[i] < 0)
			continue;
		r = write_str(t->wfd[i], s, len);
		if (r == -ENODEV || r == -ENOENT) {
			/* The origin was removed meanwhile: its nearest existing ancestor. */
			r = write_cgroup_or_ancestor(t->o[i].mountfd, t->o[i].path,
						     t->whole[i] ? "cgroup.procs" : t->tasks[i], s, len);
			t->origin_ok = false;
		}
		if (r < 0) {
			t->origin_ok = false;
			if (!ret)
				ret = r;
		}
	}
	return ret;
}

/*
 * Threads of the calling process, or -errno: procfs gives a task directory
 * a link count of 2 + the number of threads (proc_task_getattr), so one
 * fstat(2) of /proc/self/task, kept open (g_statfd), answers in O(1)
 * without formatting /proc/self/stat. The fork child closes it (it names
 * the parent) and opens its own on first use.
 */
static int process_threads(void)
{
	struct stat st;
	int fd;

#ifdef OLVE_HAVE_SINGLE_THREADED
	/* glibc clears it before the first thread is created: no system call for a
	 * process that never had a thread (prefork children, CGI, bench-lve) */
	if (__libc_single_threaded)
		return 1;
#endif
	fd = atomic_load(&g_statfd);
	if (fd < 0) {
		int expect = -1;

		fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!atomic_compare_exchange_strong(&g_statfd, &expect, fd)) {
			close(fd);
			fd = expect;
		}
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_nlink < 3 || st.st_nlink > 2 + (nlink_t)INT32_MAX)
		return -EIO;
	return (int)(st.st_nlink - 2);
}

/* One line per process (a fork child says it again for itself). */
static void log_thread_entries_once(const char *why)
{
	static _Atomic pid_t said;
	pid_t me = getpid();

	if (atomic_exchange(&said, me) != me)
		syslog(LOG_NOTICE | LOG_USER,
		       "openlve: process %d: cgroup v2: entries of this process's threads into LVEs are counted "
		       "in EP only, their CPU is not limited: %s",
		       (int)me, why);
}

/*
 * Move the calling thread (or process) into lve in every hierarchy (a
 * cpuset-only v1 hierarchy only when the LVE has a CPU mask); t->nmoved
 * counts the hierarchies passed, skipped ones have wfd -1.
 * A thread of a multi-threaded process on v2 (thread): with tfd >= 0 its
 * tid goes to that cgroup.threads (the LVE's thread child, threads.c) and
 * back to the origin's cgroup.threads; without, v2 is not written (EP only).
 */
static int move_in(const struct olve *h, const struct olve_lve_fds *lve, struct ent_thread *t, bool whole,
		   bool thread, int tfd, bool cpumask)
{
	for (int i = 0; i < h->n_hier; i++) {
		const struct olve_hier *hr = &h->hier[i];
		bool w = whole || hr->version == 2;
		_cleanup_close_ int own_in = -1;
		int in_fd = lve->tasksfd[i], r;

		/* [i12] no lve<ID> there without a CPU mask (olve_lve_cpuset_make); wfd stays as
		 * the entry began (-1) or as an earlier attempt of this entry moved it */
		if ((!cpumask || lve->tasksfd[i] < 0) && olve_hier_cpuset_only(hr))
			continue;
		if (thread && hr->version == 2) {
			/* wfd: -1 (nothing to move back) as the entry began, unless a write
			 * here succeeded */
			t->whole[i] = false;
			if (tfd >= 0 && t->o[i].tfd >= 0) {
				r = write_str(tfd, t->tidstr, t->tidlen);
				if (r == -EOPNOTSUPP) {
					/* the process is not in the server's threaded domain */
					log_thread_entries_once("the process is not in the cgroup of the process that "
								"called init_lve");
				} else if (r < 0) {
					return r;
				} else {
					t->tasks[i] = "cgroup.threads";
					t->wfd[i] = t->o[i].tfd;
				}
			}
			t->nmoved = i + 1;
			continue;
		}
		/*
		 * Where leave writes, set before the write: should the write fail,
		 * olve_enter's move_back writes the origin there all the same (a
		 * no-op unless an earlier attempt of this entry moved the thread).
		 */
		t->whole[i] = w;
		t->tasks[i] = hr->tasks;
		if (w && hr->version != 2) {
			/* Whole process on v1: cgroup.procs of the LVE and of the origin (kept
			 * from an earlier attempt of this entry) */
			own_in = openat(lve->dirfd[i], "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (own_in < 0)
				return err_perm(-errno);
			in_fd = own_in;
			if (t->leavefd[i] < 0) {
				r = open_cgroup_file(t->o[i].mountfd, t->o[i].path, "cgroup.procs");
				if (r < 0)
					return r;
				t->leavefd[i] = r;
			}
			t->wfd[i] = t->leavefd[i];
		} else {
			t->wfd[i] = t->o[i].fd;
		}
		r = write_str(in_fd, w ? t->pidstr : t->tidstr, w ? t->pidlen : t->tidlen);
		if (r < 0)
			return r;
		t->nmoved = i + 1;
	}
	return 0;
}

/* Undo one attempt's admission (slot, VMEM); its moves stay for the next attempt or move_back. */
static void thread_release_admission(struct ent_thread *t)
{
	slot_release(t, true);
	if (t->vmem)
		vmem_restore();
	t->vmem = false;
}

/* An LVE removed (olve_destroy) or its state file replaced while an attempt was entering it. */
static bool enter_lost_lve(int r)
{
	return r == -ENODEV || r == -ENOENT || r == -ESTALE;
}

/*
 * One attempt of olve_enter after the thread's checks: open (or create)
 * the LVE, admission (disabled, EP slot, VMEM), the moves. On failure the
 * admission is undone; the hierarchies moved stay moved (t->wfd, nmoved)
 * for the next attempt, which writes them again (a no-op: a group the
 * thread is in cannot be removed), or for olve_enter's move_back.
 * *opened: the LVE was open.
 */
static int enter_attempt(struct olve *h, uint32_t id, uint32_t flags, struct ent_thread *t,
			 bool whole, bool thread, bool *opened)
{
	/*
	 * The LVE's fds are needed only until the thread is inside: leave
	 * writes to the origin's fds and the EP slot lives on a pool fd of its
	 * own, so the reference is dropped when the attempt returns.
	 */
	_cleanup_lve_put_ struct olve_lve_fds *lve = NULL;
	struct olve_state st;
	int r, tfd = -1;

	r = olve_lve_get(h, id, true, &lve);
	if (r < 0)
		return r;
	*opened = true;
	r = olve_state_read_fast(lve, &st);
	if (r < 0)
		goto fail;
	if (st.flags & OLVE_F_DISABLED) {
		r = -EPERM;
		goto fail;
	}
	if (st.ep_limit && !(flags & OLVE_ENTER_NO_MAXENTER)) {
		r = slot_take(h, id, lve, st.ep_limit, t);
		if (r < 0)
			goto fail;
	}
	if (st.vmem_limit && !(flags & OLVE_ENTER_NO_UBC)) {
		r = vmem_apply(st.vmem_limit);
		if (r < 0)
			goto fail;
		t->vmem = true;
	}

	/* [i12] a CPU mask set after this entry was cached: reopen to see its cpuset group */
	for (int i = 0; st.cpumask && i < h->n_hier; i++)
		if (olve_hier_cpuset_only(&h->hier[i]) && lve->tasksfd[i] < 0) {
			r = olve_lve_reopen(h, id, &lve);
			if (r < 0)
				goto fail;
			break;
		}
	if (thread) {
		/* the LVE's thread child: kept fd after the first time, cpu.max re-synced from st */
		r = olve_tcg_get(h, id, &st.limits, &tfd);
		if (r < 0) {
			log_thread_entries_once(r == -EOPNOTSUPP ? olve_tcg_why(h)
					       : r == -EMFILE	 ? "too many LVEs for one process (fd bound)"
								 : strerror(-r));
			tfd = -1;
		}
	}
	r = move_in(h, lve, t, whole, thread, tfd, st.cpumask != 0);
	if (r == 0)
		return 0;
fail:
	thread_release_admission(t);
	return r;
}

_public_ int olve_enter(struct olve *h, uint32_t id, uint32_t flags, uint32_t *cookie)
{
	struct ent_thread *t;
	bool whole, v2 = false, thread = false, opened = false;
	int r, moved = 0;

	if (!h || id == 0 || (flags & ~(uint32_t)ENTER_FLAGS_ALL))
		return -EINVAL;
	if (!cookie)
		return -EFAULT;
	if (!olve_may_enter(h))
		return -EPERM;
	r = thread_get(&t);
	if (r < 0)
		return r;
	if (t->entered)
		return -EPERM;
	if (!origin_fresh(h, t)) {
		r = origin_resolve(h, t);
		if (r < 0)
			return r;
	}

	whole = (flags & OLVE_ENTER_PROCESS) != 0;
	for (int i = 0; i < h->n_hier; i++)
		if (h->hier[i].version == 2)
			v2 = true;
	if (v2 && !whole) {
		r = process_threads();
		if (r < 0)
			return r;
		if (r > 1)
			thread = true;
		else
			whole = true;
	}
	r = entries_take(whole, &t->ebits);
	if (r < 0)
		return r;

	/*
	 * An LVE removed behind the entry (olve_destroy racing it, hierarchy
	 * after hierarchy, or a cached LVE destroyed by another process) shows
	 * as ENODEV/ENOENT of a cgroup write or open, or ESTALE of its state
	 * file, at any step: the attempt's admission is undone, the cached fds
	 * are dropped and the next attempt re-creates the LVE and moves on.
	 * The hierarchies already entered stay entered: a group the thread is
	 * in cannot be removed, so a destroy going hierarchy after hierarchy
	 * stops at the first of them (EBUSY, or it moves the thread back when
	 * it runs in another process) and each attempt gets at least one
	 * hierarchy further; n_hier + 1 attempts reach the end of a destroy,
	 * one more covers a removal while the LVE is being opened. The entry
	 * ends fully inside the LVE in every hierarchy, or fails with every
	 * hierarchy moved back: -ESTALE when the LVE vanished under every
	 * attempt.
	 */
	for (int attempt = 1;; attempt++) {
		r = enter_attempt(h, id, flags, t, whole, thread, &opened);
		if (t->nmoved > moved)
			moved = t->nmoved;
		if (r == 0 || !enter_lost_lve(r) || attempt >= h->n_hier + 2)
			break;
		olve_lve_forget(h, id);
	}
	if (r < 0) {
		(void)move_back(t, moved);
		thread_release_entry(t, true);
		/* an LVE that was opened and then vanished (not: its root is missing) */
		return enter_lost_lve(r) && opened ? -ESTALE : err_perm(r);
	}
	t->nmoved = moved;

	t->entered = true;
	t->delegated = h->brokerfd >= 0;
	t->id = id;
	t->seq++;
	t->cookie = t->salt ^ (t->seq * 0x9E3779B9u);
	if (t->cookie == 0)
		t->cookie = 1;
	*cookie = t->cookie;
	return 0;
}

_public_ int olve_leave(struct olve *h, uint32_t cookie)
{
	struct ent_thread *t = thread_peek();
	int r;

	(void)h; /* the entry state is the thread's: h may be NULL */
	if (!t || !t->entered)
		return -ESRCH;
	if (cookie != t->cookie)
		return -EINVAL;
	if (!t->delegated && !olve_privileged())
		return -EPERM;
	r = move_back(t, t->nmoved);
	thread_release_entry(t, true);
	return r;
}

/* ------------------------------------------ entry notes (issue 11) */

_public_ int olve_annotate(uint32_t cookie, const char *text)
{
	struct ent_thread *t = thread_peek();
	struct olve_note n = { .magic = OLVE_NOTE_MAGIC };
	struct timespec ts;
	size_t len;
	ssize_t w;

	if (!text)
		return -EINVAL;
	if (!t || !t->entered)
		return -ESRCH;
	if (cookie != t->cookie)
		return -EINVAL;
	if (t->slotfd < 0 || t->slot < 0 || t->slot >= OLVE_NOTE_SLOTS)
		return -ENOENT;
	len = strnlen(text, OLVE_NOTE_TEXT - 1);
	memcpy(n.text, text, len);
	n.slot = (uint32_t)t->slot;
	n.pid = getpid();
	n.tid = (int32_t)syscall(SYS_gettid);
	clock_gettime(CLOCK_REALTIME, &ts);
	n.when_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	w = pwrite(t->slotfd, &n, sizeof(n), (off_t)OLVE_NOTE_BASE + (off_t)t->slot * (off_t)sizeof(n));
	if (w < 0)
		return -errno;
	if (w != (ssize_t)sizeof(n))
		return -EIO;
	t->noted = true;
	return 0;
}

_hidden_ bool olve_thread_entered(uint32_t *id)
{
	struct ent_thread *t = thread_peek();

	if (!t || !t->entered)
		return false;
	if (id)
		*id = t->id;
	return true;
}

/* --------------------------------------------------- enter_pid / leave_pid */

/* Field 22 (starttime) and 4 (ppid) of /proc/<pid>/stat. */
static int proc_stat(pid_t pid, unsigned long long *start, pid_t *ppid)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	unsigned long long st = 0;
	const char *p;
	ssize_t n;
	int pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	 *  cutime cstime priority nice threads itrealvalue starttime" */
	if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &pp, &st) != 2)
		return -EIO;
	if (start)
		*start = st;
	if (ppid)
		*ppid = pp;
	return 0;
}

/* Under g_lock. */
static struct pid_origin *pid_origin_find(pid_t pid, unsigned long long start, struct pid_origin ***prevp)
{
	struct pid_origin **pp = &g_pids;

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid && (*pp)->start == start) {
			if (prevp)
				*prevp = pp;
			return *pp;
		}
	return NULL;
}

static void pid_origin_free(struct pid_origin *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->path[i]);
	free(o);
}

/*
 * Processes an administrator almost never means to limit: PID 1, kernel
 * threads (PF_KTHREAD in /proc/<pid>/stat, or children of kthreadd) and
 * processes with real or effective uid 0 (daemons, root's shells).
 * -EPERM for those, 0 otherwise, -ESRCH when gone.
 */
#define PF_KTHREAD_ 0x00200000u
static int pid_protected(pid_t pid)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -1;
	unsigned pflags = 0;
	int ppid = 0;
	const char *p;
	ssize_t n;

	if (pid == 1)
		return -EPERM;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d %*d %*d %*d %*d %u", &ppid, &pflags) != 2)
		return -EIO;
	if ((pflags & PF_KTHREAD_) || ppid == 2 || pid == 2)
		return -EPERM;
	safe_close(fd);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	p = strstr(buf, "\nUid:");
	if (p) {
		unsigned ruid = 1, euid = 1;

		if (sscanf(p + 5, "%u %u", &ruid, &euid) == 2 && (ruid == 0 || euid == 0))
			return -EPERM;
	}
	return 0;
}

_public_ int olve_enter_pid_flags(struct olve *h, uint32_t id, pid_t pid, uint32_t flags)
{
	int r;

	if (!h || id == 0 || pid <= 0 || (flags & ~(uint32_t)OLVE_ENTER_PID_FORCE))
		return -EINVAL;
	if (!(flags & OLVE_ENTER_PID_FORCE)) {
		r = pid_protected(pid);
		if (r < 0)
			return r;
	}
	return olve_enter_pid(h, id, pid);
}

_public_ int olve_enter_pid(struct olve *h, uint32_t id, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_lve_put_ struct olve_lve_fds *lve = NULL;
	struct olve_state st;
	struct pid_origin *rec = NULL;
	unsigned long long start = 0;
	char pidstr[16];
	size_t plen;
	int r = 0, moved = 0;

	if (!h || id == 0 || pid <= 0)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	if (h->n_hier <= 0 || h->n_hier > OLVE_MAX_HIER)
		return -ENODEV;
	r = proc_stat(pid, &start, NULL);
	if (r < 0)
		return r;
	r = proc_cgroup_read(pid, &text);
	if (r < 0)
		return r;
	r = olve_lve_get(h, id, true, &lve);
	if (r < 0)
		return err_perm(r);
	r = olve_state_read(lve->statefd, &st);
	if (r < 0)
		return r;
	if (st.flags & OLVE_F_DISABLED)
		return -EPERM;

	/* Where it is now, unless that is an LVE already (then keep what we knew). */
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rec->pid = pid;
	rec->start = start;
	rec->n = h->n_hier;
	for (int i = 0; i < h->n_hier; i++) {
		const struct olve_hier *hr = &h->hier[i];
		char path[PATH_MAX];

		rec->mountfd[i] = hr->mountfd;
		if (proc_cgroup_path(text, hr, path, sizeof(path)) < 0 || path_lve_id(path, hr->root))
			continue;
		rec->path[i] = strdup(path);
		if (!rec->path[i]) {
			pid_origin_free(rec);
			return -ENOMEM;
		}
	}

	plen = (size_t)snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	for (int attempt = 0;; attempt++) {
		for (int i = 0; i < h->n_hier; i++) {
			_cleanup_close_ int fd = -1;

			if (lve->dirfd[i] < 0)
				continue; /* [i12] cpuset-only hierarchy, LVE without a CPU mask */
			fd = openat(lve->dirfd[i], "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0) {
				r = err_perm(-errno);
				break;
			}
			r = write_str(fd, pidstr, plen);
			if (r < 0)
				break;
			moved = i + 1;
		}
		if (!enter_lost_lve(r) || attempt > 0)
			break;
		/*
		 * The LVE (or the LVE root) was removed behind our back, maybe
		 * in one hierarchy only: reopen it once and move again from
		 * the first hierarchy (moving a process into the group it is
		 * in is a no-op); a process that exited meanwhile is -ESRCH.
		 */
		r = olve_lve_reopen(h, id, &lve);
		if (r < 0)
			break;
	}
	if (r < 0) {
		for (int i = 0; i < moved; i++)
			(void)write_cgroup_or_ancestor(rec->mountfd[i], rec->path[i], "cgroup.procs", pidstr, plen);
		pid_origin_free(rec);
		return r;
	}

	pthread_mutex_lock(&g_lock);
	{
		struct pid_origin **oldp = NULL, *old = pid_origin_find(pid, start, &oldp);

		if (old) {
			/* Moved from one LVE to another: keep the first origin. */
			for (int i = 0; i < old->n && i < rec->n; i++)
				if (old->path[i] && old->mountfd[i] == rec->mountfd[i]) {
					free(rec->path[i]);
					rec->path[i] = TAKE_PTR(old->path[i]);
				}
			*oldp = old->next;
			pid_origin_free(old);
			g_n_pids--;
		}
		rec->next = g_pids;
		g_pids = rec;
		g_n_pids++;
		if (g_n_pids > PID_ORIGIN_MAX) {
			/* Forget the oldest record. */
			struct pid_origin **pp = &g_pids;

			while ((*pp)->next)
				pp = &(*pp)->next;
			pid_origin_free(*pp);
			*pp = NULL;
			g_n_pids--;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return 0;
}

/* The cgroup (of hierarchy hr) of pid's nearest ancestor process that is outside LVEs. */
static int ancestor_path(const struct olve_hier *hr, pid_t pid, char *out, size_t size)
{
	pid_t cur = pid;

	for (int depth = 0; depth < 64; depth++) {
		_cleanup_free_ char *text = NULL;
		pid_t pp = 0;

		if (proc_stat(cur, NULL, &pp) < 0 || pp <= 0)
			return -ENOENT;
		cur = pp;
		if (proc_cgroup_read(cur, &text) < 0 || proc_cgroup_path(text, hr, out, size) < 0)
			return -ENOENT;
		if (!path_lve_id(out, hr->root))
			return 0;
	}
	return -ENOENT;
}

_public_ int olve_leave_pid(struct olve *h, pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	struct pid_origin *rec, **prevp = NULL;
	unsigned long long start = 0;
	char *dest[OLVE_MAX_HIER] = { 0 };
	char pidstr[16];
	size_t plen;
	bool inside = false;
	int r, ret = 0;

	if (!h || pid <= 0)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	if (h->n_hier <= 0 || h->n_hier > OLVE_MAX_HIER)
		return -ENODEV;
	r = proc_stat(pid, &start, NULL);
	if (r < 0)
		return r;
	r = proc_cgroup_read(pid, &text);
	if (r < 0)
		return r;
	plen = (size_t)snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);

	pthread_mutex_lock(&g_lock);
	rec = pid_origin_find(pid, start, &prevp);
	for (int i = 0; rec && i < h->n_hier; i++)
		for (int k = 0; k < rec->n; k++)
			if (rec->mountfd[k] == h->hier[i].mountfd && rec->path[k]) {
				dest[i] = strdup(rec->path[k]);
				break;
			}
	pthread_mutex_unlock(&g_lock);

	for (int i = 0; i < h->n_hier; i++) {
		const struct olve_hier *hr = &h->hier[i];
		char path[PATH_MAX], anc[PATH_MAX];
		const char *to = dest[i];

		if (proc_cgroup_path(text, hr, path, sizeof(path)) < 0 || !path_lve_id(path, hr->root))
			continue;
		inside = true;
		if (!to) {
			if (ancestor_path(hr, pid, anc, sizeof(anc)) < 0) {
				/* No ancestor outside LVEs: the directory holding the LVE root. */
				char *slash;

				snprintf(anc, sizeof(anc), "%s", hr->root);
				slash = strrchr(anc, '/');
				if (slash)
					*slash = 0;
			}
			to = anc;
		}
		r = write_cgroup_or_ancestor(hr->mountfd, to[0] ? to : "/", "cgroup.procs", pidstr, plen);
		if (r < 0 && !ret)
			ret = r;
	}
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		free(dest[i]);
	if (!inside)
		return -ESRCH;
	if (ret == 0) {
		pthread_mutex_lock(&g_lock);
		rec = pid_origin_find(pid, start, &prevp);
		if (rec) {
			*prevp = rec->next;
			pid_origin_free(rec);
			g_n_pids--;
		}
		pthread_mutex_unlock(&g_lock);
	}
	return err_perm(ret);
}
