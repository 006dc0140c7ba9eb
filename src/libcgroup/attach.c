/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attach.c - move a thread or a process into a group.
 *
 * One write(2) of the id per hierarchy, on a file descriptor kept open in
 * the struct cgroup (cg->attach_cache), so the hot path is a lookup of the
 * controller names plus the bare writes: no path building, no stdio, no
 * reads of cgroup.type/subtree_control. Hierarchies are deduplicated (cpu
 * and cpuacct may share a mount). The cache is rebuilt when the group's
 * name, its set of hierarchies or any namespace changes; a kept fd whose
 * group was removed (ENODEV/ENOENT) is reopened once.
 *
 * Files written:
 *   v1  thread: "tasks"           process: "cgroup.procs"
 *   v2  both:   "cgroup.procs"
 * On cgroup v2 a thread id written to cgroup.procs moves its whole thread
 * group (the kernel takes the group leader); threads can only be placed
 * individually inside threaded subtrees (cgroup.threads), which this API
 * does not create. So on v2 and on the cgroup2 part of a hybrid host
 * cgroup_attach_task_pid() moves the process, as libcgroup 3 does.
 *
 * A group without controllers (or NULL = the root group) is attached in
 * every hierarchy that carries controllers, plus the cgroup2 mount on a
 * unified host; named v1 hierarchies (name=systemd) are touched only when
 * asked for by name. On failure the hierarchies before the failing one stay
 * attached (libcgroup behaves the same).
 *
 * Concurrency: a struct cgroup may be shared by threads that attach at the
 * same time (one LVE entered from many request threads); its cache has a
 * mutex. Every cache is registered so fork() (pthread_atfork) can take all
 * cache locks first: a child never inherits a cache locked mid-update.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

enum { FILE_TASKS, FILE_PROCS, FILE_COUNT };

static const char *const file_name[FILE_COUNT] = {
	[FILE_TASKS] = "tasks",
	[FILE_PROCS] = "cgroup.procs",
};

struct attach_target {
	int mount; /* index into cg_sys_get()->mounts */
	int ctrl;  /* controller whose namespace roots the name, -1: cg_mount_root_fd() */
};

struct attach_slot {
	struct attach_target t;
	int fd[FILE_COUNT]; /* -1 until first use */
};

struct cg_attach_cache {
	pthread_mutex_t lock;
	struct cg_attach_cache *prev, *next; /* registry, for fork */
	unsigned ns_gen;
	char *name; /* group name the fds belong to; NULL = nothing cached */
	int n;
	int cap;
	struct attach_slot slot[];
};

/* ------------------------------------------------------------ registry */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cg_attach_cache *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
	for (struct cg_attach_cache *c = registry; c; c = c->next)
		pthread_mutex_lock(&c->lock);
}

static void fork_release(void)
{
	for (struct cg_attach_cache *c = registry; c; c = c->next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&registry_lock);
}

static void atfork_register(void)
{
	(void)pthread_atfork(fork_prepare, fork_release, fork_release);
}

/* ------------------------------------------------------------- helpers */

/* Decimal digits of v into buf (>= 11 bytes); returns the length. */
static size_t format_id(char *buf, unsigned v)
{
	char tmp[12];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}

/* Which hierarchies an attach of cg writes to. Returns the count or an ECG* code (negated). */
static int attach_targets(const struct cg_sys *sys, const struct cgroup *cg,
			  struct attach_target *t)
{
	int n = 0;

	if (!cg || cg->index == 0) {
		for (int i = 0; i < sys->n_mounts; i++) {
			if (sys->mounts[i].ctrls == 0 &&
			    !(i == sys->unified && sys->mode == CGROUP_MODE_UNIFIED))
				continue;
			t[n++] = (struct attach_target){ .mount = i, .ctrl = -1 };
		}
		return n;
	}
	for (int k = 0; k < cg->index && k < CG_CONTROLLER_MAX; k++) {
		const struct cgroup_controller *c = cg->controller[k];
		int idx, ctrl = -1;
		bool dup = false;

		if (!c || !c->name)
			return -ECGINVAL;
		idx = cg_hier_lookup(c->name, &ctrl);
		if (idx < 0)
			return -ECGROUPSUBSYSNOTMOUNTED;
		for (int j = 0; j < n && !dup; j++)
			dup = t[j].mount == idx;
		if (!dup)
			t[n++] = (struct attach_target){ .mount = idx, .ctrl = ctrl };
	}
	return n;
}

static int target_root_fd(const struct attach_target *t)
{
	return t->ctrl >= 0 ? cg_ctrl_root_fd(t->ctrl, NULL) : cg_mount_root_fd(t->mount);
}

/* Open <root>/<name>/<file> for writing. -errno. */
static int open_attach_file(const struct attach_target *t, const char *name, int file)
{
	_cleanup_close_ int dfd = -1;
	int root, fd;

	root = target_root_fd(t);
	if (root < 0)
		return root;
	dfd = ol_open_dir_beneath(root, name, OL_OPEN_PATH, 0);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, file_name[file], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* Errors of opening the group's file: ENOENT -> ECGROUPNOTEXIST, EPERM/EACCES -> ECGROUPNOTOWNER ... */
static int open_error(int r)
{
	if (r == -ENODEV) /* group removed while we looked */
		r = -ENOENT;
	return cg_ecg_from_errno(r);
}

/* Errors of the write: ESRCH and the rest -> ECGOTHER with the errno kept. */
static int write_error(int r)
{
	if (r == -EPERM || r == -EACCES)
		return cg_ecg_from_errno(r);
	if (r == -ENODEV || r == -ENOENT) {
		(void)cg_fail_errno(r);
		return ECGROUPNOTEXIST;
	}
	return cg_fail_errno(r);
}

static int file_for(const struct cg_sys *sys, int mount, bool proc)
{
	return (proc || sys->mounts[mount].version == CGROUP_V2) ? FILE_PROCS : FILE_TASKS;
}

/* No cache: open, write, close for each hierarchy. */
static int attach_uncached(const struct cg_sys *sys, const struct attach_target *t, int n,
			   const char *name, bool proc, const char *buf, size_t len)
{
	for (int i = 0; i < n; i++) {
		_cleanup_close_ int fd = open_attach_file(&t[i], name, file_for(sys, t[i].mount, proc));
		int r;

		if (fd < 0)
			return open_error(fd);
		r = ol_write_fd(fd, buf, len);
		if (r < 0)
			return write_error(r);
	}
	return 0;
}

/* ---------------------------------------------------------------- cache */

static void cache_close_fds(struct cg_attach_cache *c)
{
	for (int i = 0; i < c->n; i++)
		for (int f = 0; f < FILE_COUNT; f++)
			c->slot[i].fd[f] = safe_close(c->slot[i].fd[f]);
}

static struct cg_attach_cache *cache_get(struct cgroup *cg, int cap)
{
	struct cg_attach_cache *c;
	void *expected = NULL;

	c = __atomic_load_n(&cg->attach_cache, __ATOMIC_ACQUIRE);
	if (c)
		return c;
	(void)pthread_once(&atfork_once, atfork_register);
	c = calloc(1, sizeof(*c) + sizeof(c->slot[0]) * (size_t)cap);
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->cap = cap;
	if (!__atomic_compare_exchange_n(&cg->attach_cache, &expected, (void *)c, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return expected;
	}
	pthread_mutex_lock(&registry_lock);
	c->next = registry;
	if (registry)
		registry->prev = c;
	registry = c;
	pthread_mutex_unlock(&registry_lock);
	return c;
}

void cg_attach_cache_drop(struct cgroup *cg)
{
	struct cg_attach_cache *c;

	if (!cg)
		return;
	c = __atomic_exchange_n(&cg->attach_cache, NULL, __ATOMIC_ACQ_REL);
	if (!c)
		return;
	pthread_mutex_lock(&registry_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		registry = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&registry_lock);
	cache_close_fds(c);
	free(c->name);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* With c->lock held: does the cache describe these targets of this name? */
static bool cache_matches(const struct cg_attach_cache *c, const char *name, unsigned gen,
			  const struct attach_target *t, int n)
{
	if (!c->name || c->ns_gen != gen || c->n != n || strcmp(c->name, name))
		return false;
	for (int i = 0; i < n; i++)
		if (c->slot[i].t.mount != t[i].mount || c->slot[i].t.ctrl != t[i].ctrl)
			return false;
	return true;
}

static int cache_reset(struct cg_attach_cache *c, const char *name, unsigned gen,
		       const struct attach_target *t, int n)
{
	char *copy = strdup(name);

	if (!copy)
		return -ENOMEM;
	cache_close_fds(c);
	free(c->name);
	c->name = copy;
	c->ns_gen = gen;
	c->n = n;
	for (int i = 0; i < n; i++) {
		c->slot[i].t = t[i];
		for (int f = 0; f < FILE_COUNT; f++)
			c->slot[i].fd[f] = -1;
	}
	return 0;
}

/* With c->lock held. Returns 0 or an ECG* code. */
static int slot_write(struct cg_attach_cache *c, struct attach_slot *s, int file, const char *buf,
		      size_t len)
{
	bool fresh = false;
	int r;

	if (s->fd[file] < 0) {
		r = open_attach_file(&s->t, c->name, file);
		if (r < 0)
			return open_error(r);
		s->fd[file] = r;
		fresh = true;
	}
	r = ol_write_fd(s->fd[file], buf, len);
	if ((r == -ENODEV || r == -ENOENT) && !fresh) {
		/* the group was removed (and maybe created again) since we opened it */
		s->fd[file] = safe_close(s->fd[file]);
		r = open_attach_file(&s->t, c->name, file);
		if (r < 0)
			return open_error(r);
		s->fd[file] = r;
		r = ol_write_fd(s->fd[file], buf, len);
	}
	return r < 0 ? write_error(r) : 0;
}

/* ----------------------------------------------------------------- attach */

static int attach(struct cgroup *cg, pid_t id, bool proc)
{
	const struct cg_sys *sys = cg_sys_get();
	struct attach_target t[CG_HIER_MAX];
	struct cg_attach_cache *c;
	const char *name;
	char buf[16];
	size_t len;
	unsigned gen;
	int n, r = 0;

	if (!sys)
		return ECGROUPNOTINITIALIZED;
	if (id < 0)
		return ECGINVAL;
	n = attach_targets(sys, cg, t);
	if (n < 0)
		return -n;
	if (n == 0)
		return ECGROUPSUBSYSNOTMOUNTED;
	len = format_id(buf, (unsigned)id);
	name = (cg && cg->name) ? cg->name : "";
	if (!cg)
		return attach_uncached(sys, t, n, name, proc, buf, len);

	gen = cg_ns_generation();
	c = cache_get(cg, sys->n_mounts);
	if (!c)
		return attach_uncached(sys, t, n, name, proc, buf, len);

	pthread_mutex_lock(&c->lock);
	if (!cache_matches(c, name, gen, t, n) && cache_reset(c, name, gen, t, n) < 0) {
		pthread_mutex_unlock(&c->lock);
		return attach_uncached(sys, t, n, name, proc, buf, len);
	}
	for (int i = 0; i < n && r == 0; i++)
		r = slot_write(c, &c->slot[i], file_for(sys, t[i].mount, proc), buf, len);
	pthread_mutex_unlock(&c->lock);
	return r;
}

_public_ int cgroup_attach_task_pid(struct cgroup *cgrp, pid_t tid)
{
	return attach(cgrp, tid, false);
}

_public_ int cgroup_attach_task(struct cgroup *cgrp)
{
	return attach(cgrp, (pid_t)syscall(SYS_gettid), false);
}

_public_ int cgroup_attach_proc_pid(struct cgroup *cgrp, pid_t pid)
{
	return attach(cgrp, pid, true);
}
