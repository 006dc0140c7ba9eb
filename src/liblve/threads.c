/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * threads.c - CPU limits for the request threads of a threaded web server
 * on cgroup v2 (issue 7): a cgroup v2 threaded subtree below the server's
 * own, delegated, cgroup. enter.c moves a thread there; this file owns the
 * tree, the per-LVE threaded children and their cpu.max.
 *
 * Why
 *   cgroup v2 keeps all threads of a process in one domain cgroup (memory,
 *   io), so the thread of an Apache event / LiteSpeed child that serves a
 *   customer's request cannot be moved into that customer's LVE. cpu and
 *   pids are threaded controllers: inside a threaded subtree, threads of one
 *   process may sit in different cgroups, each with its own cpu.max.
 *
 * The tree (one per server, made by the privileged opener)
 *   <S>/                          the server's cgroup (where the process that
 *                                 called init_lve / lve_instance_init /
 *                                 olve_open(OLVE_OPEN_DELEGATE) as root runs);
 *                                 becomes the threaded domain; "+cpu" in its
 *                                 cgroup.subtree_control
 *   <S>/openlve-threads/          threaded; "+cpu" in its subtree_control
 *   <S>/openlve-threads/lve<ID>/  threaded; cpu.max = the LVE's SPEED / CPU /
 *                                 NCPU in v2 meaning (olve_limits_translate)
 *   Only when <S> is delegated: systemd marks a unit's cgroup with
 *   Delegate=yes by the extended attribute trusted.delegate=1 (user.delegate=1
 *   for a user manager's units); the drop-ins in units/ (openlve-delegate.conf) set
 *   it. A cgroup systemd did not delegate belongs to systemd and is left
 *   alone: thread entries are then counted in EP only and enter.c logs one
 *   line per process with the reason (olve_tcg_why). The root cgroup and
 *   cgroups inside the LVE root are never used.
 *
 * Who opens what (the privilege model of priv.c)
 *   The opener (root) makes <S>/openlve-threads and keeps an O_DIRECTORY fd
 *   of it in the handle; the broker inherits that fd. A thread child and
 *   its cgroup.threads and cpu.max fds are made and opened by the opener
 *   (privileged callers) or by the broker (PRIV_OP_TLVE, for the server's
 *   unprivileged children), once per process and LVE, then kept in the
 *   handle's table (below). Root-owned files, mode 0644: nothing a child
 *   exec()s can write them, and every fd is O_CLOEXEC.
 *
 * Limits stay in sync without lvectl knowing about servers: every entry
 * reads the LVE's state header anyway (enter.c); it holds the limits as
 * last applied. olve_tcg_get() compares their CPU fields with what it last
 * wrote to the thread child's cpu.max and rewrites it (through the kept
 * root-opened fd) when they differ. So `lvectl set` takes effect on the
 * next thread entry of each server process; no extra system call otherwise.
 *
 * The tree is never removed by openlve: children of a server that reloads
 * (graceful restart: destroy_lve + init_lve in the parent) keep serving
 * with fds of the old handle, and the next init_lve finds the tree as it
 * is. It lives as long as the server's cgroup (systemd removes a unit's
 * cgroup with everything below it when the unit stops).
 *
 * Bound: a handle keeps at most max(16, RLIMIT_NOFILE soft / 8) thread
 * children (2 fds each); entries into further LVEs are counted in EP only
 * (logged like the undelegated case).
 *
 * Not applied to a thread entry: memory, IO and VMEM are per process
 * (domain controllers, rlimit), NPROC (pids.max) is not written: the
 * thread child would count the server's threads that entered (EP bounds
 * those) and what they fork, not the customer's processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"

#define TCG_CPU_FIELDS (OLVE_L_SPEED | OLVE_L_CPU | OLVE_L_NCPU)

struct tcg_lve {
	uint32_t id;
	int threadsfd; /* lve<ID>/cgroup.threads, O_WRONLY, opened by root */
	int cpufd;     /* lve<ID>/cpu.max, O_WRONLY, opened by root */
	uint64_t sig;  /* CPU limits last written to cpu.max (0: never) */
};

struct tcg_table {
	struct tcg_lve *v; /* sorted by id */
	size_t n, cap, max;
};

_hidden_ void olve_tcg_init(struct olve *h)
{
	h->tcg_dirfd = -1;
	h->tcg_hier = -1;
	h->tcg_why = "the handle was not opened with OLVE_OPEN_DELEGATE by a privileged process";
	h->tcg_table = NULL;
}

_hidden_ const char *olve_tcg_why(const struct olve *h)
{
	return h->tcg_why ? h->tcg_why : "unknown";
}

_hidden_ bool olve_tcg_path_inside(const char *path)
{
	const char *p = strstr(path, "/" OLVE_TCG_DIR);
	size_t l = strlen("/" OLVE_TCG_DIR);

	for (; p; p = strstr(p + 1, "/" OLVE_TCG_DIR))
		if (p[l] == 0 || p[l] == '/')
			return true;
	return false;
}

/* Has the word w in the space-separated list s. */
static bool has_word(const char *s, const char *w)
{
	size_t wl = strlen(w);

	for (const char *p = s; (p = strstr(p, w)); p += wl)
		if ((p == s || p[-1] == ' ' || p[-1] == '\n') && (p[wl] == 0 || p[wl] == ' ' || p[wl] == '\n'))
			return true;
	return false;
}

static bool delegated(int dfd)
{
	static const char *const names[] = { "trusted.delegate", "user.delegate" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		char v[8];
		ssize_t n = fgetxattr(dfd, names[i], v, sizeof(v) - 1);

		if (n > 0) {
			v[n] = 0;
			if (!strcmp(v, "1"))
				return true;
		}
	}
	return false;
}

/* Make `name` below dfd a threaded cgroup (created when missing); its O_DIRECTORY fd. */
static int threaded_child(int dfd, const char *name)
{
	_cleanup_close_ int fd = -1;
	char type[64];
	int r;

	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ol_read_at(fd, "cgroup.type", type, sizeof(type));
	if (r < 0)
		return r;
	if (strncmp(type, "threaded", 8)) {
		r = ol_write_at(fd, "cgroup.type", "threaded");
		if (r < 0)
			return r;
	}
	return TAKE_FD(fd);
}

_hidden_ int olve_tcg_setup(struct olve *h)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int pfd = -1, cfd = -1, tfd = -1;
	const struct olve_hier *hr = NULL;
	char path[PATH_MAX], ctrls[512], sub[512];
	const char *line;
	size_t len, rl;
	int i, r;

	for (i = 0; i < h->n_hier; i++)
		if (h->hier[i].version == 2) {
			hr = &h->hier[i];
			break;
		}
	if (!hr) {
		h->tcg_why = "no cgroup v2 hierarchy with controllers";
		return 0;
	}
	cfd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (cfd < 0 || ol_read_full_fd(cfd, 1024 * 1024, &text, &len) < 0) {
		h->tcg_why = "cannot read /proc/self/cgroup";
		return 0;
	}
	line = strstr(text, "0::");
	if (!line || (line != text && line[-1] != '\n')) {
		h->tcg_why = "no cgroup v2 line in /proc/self/cgroup";
		return 0;
	}
	line += 3;
	len = strcspn(line, "\n");
	if (len == 0 || len >= sizeof(path)) {
		h->tcg_why = "cgroup v2 path unusable";
		return 0;
	}
	memcpy(path, line, len);
	path[len] = 0;
	rl = strlen(hr->root);
	if (!strcmp(path, "/")) {
		h->tcg_why = "the server runs in the root cgroup";
		return 0;
	}
	if (!strncmp(path, hr->root, rl) && (path[rl] == 0 || path[rl] == '/')) {
		h->tcg_why = "the server runs inside the LVE root";
		return 0;
	}
	if (olve_tcg_path_inside(path)) {
		h->tcg_why = "the server runs inside an openlve thread cgroup";
		return 0;
	}
	pfd = ol_open_dir_beneath(hr->mountfd, path, 0, 0);
	if (pfd < 0) {
		h->tcg_why = "cannot open the server's cgroup";
		return 0;
	}
	if (!delegated(pfd)) {
		h->tcg_why = "the server's cgroup is not delegated (systemd Delegate=yes sets trusted.delegate=1; "
			     "see the openlve drop-ins for apache2, php-fpm and lsws)";
		return 0;
	}
	if (ol_read_at(pfd, "cgroup.controllers", ctrls, sizeof(ctrls)) < 0 || !has_word(ctrls, "cpu")) {
		h->tcg_why = "the cpu controller is not available in the server's cgroup";
		return 0;
	}
	if (ol_read_at(pfd, "cgroup.subtree_control", sub, sizeof(sub)) < 0) {
		h->tcg_why = "cannot read the server's cgroup.subtree_control";
		return 0;
	}
	tfd = threaded_child(pfd, OLVE_TCG_DIR);
	if (tfd < 0) {
		(void)unlinkat(pfd, OLVE_TCG_DIR, AT_REMOVEDIR);
		h->tcg_why = "the server's cgroup cannot become a threaded domain (it has populated child "
			     "cgroups or domain controllers in cgroup.subtree_control)";
		return 0;
	}
	if (!has_word(sub, "cpu")) {
		r = ol_write_at(pfd, "cgroup.subtree_control", "+cpu");
		if (r < 0) {
			tfd = safe_close(tfd);
			(void)unlinkat(pfd, OLVE_TCG_DIR, AT_REMOVEDIR);
			h->tcg_why = "cannot enable cpu in the server's cgroup.subtree_control";
			return 0;
		}
	}
	r = ol_write_at(tfd, "cgroup.subtree_control", "+cpu");
	if (r < 0) {
		h->tcg_why = "cannot enable cpu in openlve-threads/cgroup.subtree_control";
		return 0;
	}
	h->tcg_hier = i;
	h->tcg_dirfd = TAKE_FD(tfd);
	h->tcg_why = NULL;
	return 0;
}

_hidden_ int olve_tcg_lve_open(struct olve *h, uint32_t id, int fds[static 2])
{
	_cleanup_close_ int dfd = -1, tf = -1, cf = -1;
	char name[16];

	if (h->tcg_dirfd < 0)
		return -EOPNOTSUPP;
	if (id == 0)
		return -EINVAL;
	olve_lve_dirname(id, name);
	dfd = threaded_child(h->tcg_dirfd, name);
	if (dfd < 0)
		return dfd;
	tf = openat(dfd, "cgroup.threads", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (tf < 0)
		return -errno;
	cf = openat(dfd, "cpu.max", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (cf < 0)
		return -errno;
	fds[0] = TAKE_FD(tf);
	fds[1] = TAKE_FD(cf);
	return 0;
}

static uint64_t cpu_sig(const struct olve_limits *lim)
{
	uint32_t m = lim->mask & TCG_CPU_FIELDS;
	uint64_t s = 1469598103934665603ull;
	uint32_t v[4] = { m, m & OLVE_L_SPEED ? lim->speed : 0, m & OLVE_L_CPU ? lim->cpu_pct : 0,
			  m & OLVE_L_NCPU ? lim->ncpu : 0 };

	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		s = (s ^ v[i]) * 1099511628211ull;
	return s | 1; /* never 0 */
}

static int write_cpu_max(const struct olve *h, int fd, const struct olve_limits *lim)
{
	_cleanup_(olve_settings_free) struct olve_settings s = { 0 };
	int r = olve_limits_translate(lim, TCG_CPU_FIELDS, 2, h->ncpus, NULL, 0, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < s.n; i++)
		if (!strcmp(s.v[i].file, "cpu.max"))
			return ol_write_fd(fd, s.v[i].value, strlen(s.v[i].value));
	return ol_write_fd(fd, "max 100000", 10);
}

/* Index of id in the table, or -(insertion point) - 1. Under h->lock. */
static long table_find(const struct tcg_table *t, uint32_t id)
{
	size_t lo = 0, hi = t ? t->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id == id)
			return (long)mid;
		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

_hidden_ int olve_tcg_get(struct olve *h, uint32_t id, const struct olve_limits *lim, int *threadsfd)
{
	struct tcg_table *t;
	uint64_t sig = cpu_sig(lim);
	long k;
	int fds[2], r = 0;

	if (h->tcg_dirfd < 0)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&h->lock);
	t = h->tcg_table;
	k = table_find(t, id);
	if (k >= 0)
		goto found; /* the hot path: one lock, no system call unless the limits changed */
	pthread_mutex_unlock(&h->lock);
	{
		/* first entry of this process into id: fds from the broker or opened here */
		r = olve_broker_wanted(h) ? olve_broker_tcg(h, id, fds) : olve_tcg_lve_open(h, id, fds);
		if (r < 0)
			return r;
		pthread_mutex_lock(&h->lock);
		t = h->tcg_table;
		if (!t) {
			struct rlimit rl;

			t = h->tcg_table = calloc(1, sizeof(*t));
			if (t) {
				t->max = 16;
				if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
				    rl.rlim_cur / 8 > t->max)
					t->max = (size_t)(rl.rlim_cur / 8);
			}
		}
		k = table_find(t, id);
		if (t && k < 0 && t->n < t->max) {
			size_t at = (size_t)(-k - 1);

			if (t->n == t->cap) {
				size_t nc = t->cap ? t->cap * 2 : 16;
				struct tcg_lve *nv = realloc(t->v, nc * sizeof(*nv));

				if (nv) {
					t->v = nv;
					t->cap = nc;
				}
			}
			if (t->n < t->cap) {
				memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
				t->v[at] = (struct tcg_lve){ .id = id, .threadsfd = fds[0], .cpufd = fds[1] };
				t->n++;
				fds[0] = fds[1] = -1;
				k = (long)at;
			}
		}
		pthread_mutex_unlock(&h->lock);
		safe_close(fds[0]);
		safe_close(fds[1]);
		if (!t)
			return -ENOMEM;
		if (k < 0)
			return -EMFILE;
	}
	/* look again: other threads may have inserted (and shifted entries) meanwhile */
	pthread_mutex_lock(&h->lock);
	t = h->tcg_table;
	k = table_find(t, id);
	if (k < 0) {
		pthread_mutex_unlock(&h->lock);
		return -EMFILE;
	}
found:
	/* entries never leave the table before olve_close: the fds stay valid without the lock */
	{
		struct tcg_lve *e = &t->v[k];

		if (e->sig != sig) {
			r = write_cpu_max(h, e->cpufd, lim);
			if (r == 0)
				e->sig = sig;
		}
		*threadsfd = e->threadsfd;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

_hidden_ void olve_tcg_close(struct olve *h)
{
	struct tcg_table *t = h->tcg_table;

	if (t) {
		for (size_t i = 0; i < t->n; i++) {
			safe_close(t->v[i].threadsfd);
			safe_close(t->v[i].cpufd);
		}
		free(t->v);
		free(t);
		h->tcg_table = NULL;
	}
	h->tcg_dirfd = safe_close(h->tcg_dirfd);
}
