/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve.c - the liblve handle: one LVE root per cgroup hierarchy, the state
 * directory, the per-LVE fd cache; list, destroy, current.
 *
 * Hierarchies (from the cgroup layer's detection, cg_sys_get()):
 *   v1      one olve_hier per mounted hierarchy holding any of cpu, cpuacct,
 *           cpuset, memory, blkio, pids (co-mounted controllers share it)
 *   v2      the unified mount, for the controllers of cpu cpuset io memory
 *           pids it offers
 *   hybrid  the v1 hierarchies; a cgroup2 mount without those controllers
 *           is ignored
 *
 * The LVE root <mount>/<cgroup_root> is created (missing components too,
 * mode 0755; on v1 cpuset each directory we create gets its parent's
 * cpus/mems). On v2 the root enables every controller it can in its own
 * cgroup.subtree_control. Only when the root lacks one of those
 * controllers, ancestors strictly below the mount root get it enabled in
 * their subtree_control, and only if they hold no processes themselves
 * (otherwise the kernel would refuse and we would break their layout). The
 * mount root is never written: on a v2 host without systemd the admin
 * enables controllers there once (echo +memory ... > cgroup.subtree_control).
 * A controller that still is not available is simply not used: its limits
 * are not applied and read back as unlimited.
 *
 * Lazy cpuset [i12]: in a v1 hierarchy serving only cpuset (legacy and
 * hybrid hosts), lve<ID> is created only when the LVE gets a CPU mask
 * (olve_lve_cpuset_make, called by fairsched_cpumask); every other
 * hierarchy holds what an LVE limits or lved reports and is created with
 * the LVE. v1 cpuset groups were what made creating 10,000 LVEs
 * super-linear (the kernel validates a new group's cpus against all its
 * siblings). On v2 there is one hierarchy; the LVE root enables cpuset for
 * its children as before, and nothing of cpuset is written for an LVE
 * without a mask (an empty cpuset.cpus inherits; bench-apply's v2 curve).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "limits-store.h"
#include "lve-internal.h"
#include "pathsafe.h"

#define ROOT_MAX_DEPTH 64
#define DESTROY_TIMEOUT_MS 5000

static const int our_ctrls[] = {
	CG_CTRL_CPU, CG_CTRL_CPUACCT, CG_CTRL_CPUSET, CG_CTRL_MEMORY, CG_CTRL_BLKIO, CG_CTRL_IO, CG_CTRL_PIDS,
};

/* Controllers a v2 LVE root enables for its children. */
static const int v2_ctrls[] = { CG_CTRL_CPU, CG_CTRL_CPUSET, CG_CTRL_IO, CG_CTRL_MEMORY, CG_CTRL_PIDS };

/*
 * The handle's per-LVE fd cache (under h->lock): entries sorted by id
 * (binary search), each holding one reference of its own. `clock` counts
 * gets; an entry's `used` is the clock at its last get, the smallest is the
 * least recently used (found by an O(n) scan, only when evicting).
 */
struct lve_cache {
	struct olve_lve_fds **v;
	size_t n, cap;
	uint64_t clock;
};

void olve_lve_dirname(uint32_t id, char buf[static 16])
{
	snprintf(buf, 16, "lve%" PRIu32, id);
}

void olve_lvp_dirname(uint32_t rid, char buf[static 16])
{
	snprintf(buf, 16, "lvp%" PRIu32, rid);
}

static int parse_prefixed(const char *name, const char *prefix, uint32_t *id);

int olve_lvp_parse_dirname(const char *name, uint32_t *rid)
{
	return parse_prefixed(name, "lvp", rid);
}

int olve_lve_parse_dirname(const char *name, uint32_t *id)
{
	return parse_prefixed(name, "lve", id);
}

static int parse_prefixed(const char *name, const char *prefix, uint32_t *id)
{
	uint64_t v = 0;
	const char *d;

	if (!name || strncmp(name, prefix, 3))
		return -EINVAL;
	d = name + 3;
	if (*d < '1' || *d > '9')
		return -EINVAL; /* empty, "0", leading zero, sign, space */
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*d - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*id = (uint32_t)v;
	return 0;
}

int olve_hier_of(const struct olve *h, int ctrl)
{
	uint32_t bit;

	if (ctrl < 0 || ctrl >= 32)
		return -1;
	bit = 1u << ctrl;
	if (ctrl == CG_CTRL_IO || ctrl == CG_CTRL_BLKIO)
		bit = (1u << CG_CTRL_IO) | (1u << CG_CTRL_BLKIO);
	for (int i = 0; i < h->n_hier; i++)
		if (h->hier[i].ctrls & bit)
			return i;
	return -1;
}

/* "a//b/" -> "a/b" (malloc'd). */
static char *normalize_root(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		if (o != out)
			*o++ = '/';
		while (*s && *s != '/')
			*o++ = *s++;
	}
	*o = 0;
	return out;
}

/* Bitmask of controllers listed (space separated) in a cgroup.controllers-like file. */
static uint32_t read_ctrl_list(int dirfd, const char *file)
{
	char buf[512];
	uint32_t mask = 0;
	char *save = NULL;

	if (ol_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return 0;
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		int c = cg_ctrl_lookup(t);
		if (c >= 0 && c < 32)
			mask |= 1u << c;
	}
	return mask;
}

/* True when the cgroup holds no process of its own (or we cannot tell: then false). */
static bool cgroup_unpopulated_self(int dirfd)
{
	char buf[64];
	int r = ol_read_at(dirfd, "cgroup.procs", buf, sizeof(buf));

	if (r == -EFBIG)
		return false;
	return r == 0;
}

/* v1 cpuset: a new group has empty cpus/mems and refuses tasks; copy the parent's. */
static int cpuset_inherit(int parentfd, int childfd)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		char cur[4096], par[4096];
		int r;

		r = ol_read_at(childfd, files[i], cur, sizeof(cur));
		if (r < 0)
			return r;
		if (*ol_strip(cur))
			continue;
		r = ol_read_at(parentfd, files[i], par, sizeof(par));
		if (r < 0)
			return r;
		if (!*ol_strip(par))
			return -ENOSPC; /* parent has nothing to give */
		r = ol_write_at(childfd, files[i], par);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * v1 memory's cgroup.event_control is mode 0222 by the kernel: any user
 * could register eventfd notifiers (kernel memory) on a customer's LVE.
 * Only root needs it: 0200. Absent elsewhere (v2, other controllers).
 */
static void close_event_control(int dirfd)
{
	if (dirfd >= 0)
		(void)fchmodat(dirfd, "cgroup.event_control", 0200, 0);
}

/* v2: make `wanted` controllers available to the LVE root's children. Returns the mask served. */
static int v2_enable(int *fds, int depth, uint32_t wanted, bool create, uint32_t *served)
{
	int root = fds[depth - 1];
	uint32_t avail = read_ctrl_list(root, "cgroup.controllers");
	uint32_t missing = wanted & ~avail;
	uint32_t sub;

	if (missing && create) {
		/* ancestors strictly below the mount root, top-down */
		for (int i = 1; i < depth - 1; i++) {
			uint32_t a_avail = read_ctrl_list(fds[i], "cgroup.controllers");
			uint32_t a_sub = read_ctrl_list(fds[i], "cgroup.subtree_control");
			uint32_t todo = missing & a_avail & ~a_sub;

			if (!todo || !cgroup_unpopulated_self(fds[i]))
				continue;
			for (int c = 0; c < 32; c++) {
				char cmd[32];

				if (!(todo & (1u << c)))
					continue;
				snprintf(cmd, sizeof(cmd), "+%s", cg_ctrl_name(c));
				(void)ol_write_at(fds[i], "cgroup.subtree_control", cmd);
			}
		}
		avail = read_ctrl_list(root, "cgroup.controllers");
	}
	sub = read_ctrl_list(root, "cgroup.subtree_control");
	if (create) {
		for (int c = 0; c < 32; c++) {
			char cmd[32];
			int r;

			if (!(wanted & avail & (1u << c)) || (sub & (1u << c)))
				continue;
			snprintf(cmd, sizeof(cmd), "+%s", cg_ctrl_name(c));
			r = ol_write_at(root, "cgroup.subtree_control", cmd);
			if (r < 0)
				return r; /* e.g. -EBUSY: someone put processes into our root */
		}
		sub = read_ctrl_list(root, "cgroup.subtree_control");
	}
	*served = wanted & sub;
	return 0;
}

/*
 * Open (creating with `create`) <mount>/<norm> below hr's mount fd, never
 * leaving it: the root's O_DIRECTORY fd in *rootfd and, on v2, the
 * controllers it serves its children in *served (hr->ctrls, narrowed).
 * hr is only read.
 */
static int root_walk(const struct olve_hier *hr, const char *norm, bool create, int *rootfd, uint32_t *served)
{
	int fds[ROOT_MAX_DEPTH];
	int depth = 0, r = 0;
	uint32_t sv = hr->ctrls;
	bool cpuset_v1 = hr->version == 1 && (hr->ctrls & (1u << CG_CTRL_CPUSET));
	const char *p = norm;

	fds[depth] = ol_open_dir_beneath(hr->mountfd, "", 0, 0);
	if (fds[depth] < 0)
		return fds[depth];
	depth++;

	while (*p) {
		char comp[256];
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		bool made = false;
		int fd;

		if (n >= sizeof(comp)) {
			r = -ENAMETOOLONG;
			goto out;
		}
		if (depth >= ROOT_MAX_DEPTH) {
			r = -ELOOP;
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		p = *e ? e + 1 : e;
		if (!ol_component_valid(comp)) {
			r = -EINVAL;
			goto out;
		}
		if (create) {
			if (mkdirat(fds[depth - 1], comp, 0755) == 0)
				made = true;
			else if (errno != EEXIST) {
				r = -errno;
				goto out;
			}
		}
		fd = ol_open_dir_beneath(fds[depth - 1], comp, 0, 0);
		if (fd < 0) {
			r = fd;
			goto out;
		}
		fds[depth++] = fd;
		if (made && cpuset_v1) {
			r = cpuset_inherit(fds[depth - 2], fd);
			if (r < 0)
				goto out;
		}
	}
	if (depth < 2) {
		r = -EINVAL; /* never the mount root itself */
		goto out;
	}
	if (hr->version == 2) {
		uint32_t wanted = 0;

		for (size_t i = 0; i < ELEMENTSOF(v2_ctrls); i++)
			if (hr->ctrls & (1u << v2_ctrls[i]))
				wanted |= 1u << v2_ctrls[i];
		r = v2_enable(fds, depth, wanted, create, &sv);
		if (r < 0)
			goto out;
		if (sv & (1u << CG_CTRL_IO))
			sv |= 1u << CG_CTRL_BLKIO;
	}
	if (create)
		close_event_control(fds[depth - 1]);
	*served = sv;
	*rootfd = TAKE_FD(fds[depth - 1]);
	depth--;
out:
	for (int i = 0; i < depth; i++)
		safe_close(fds[i]);
	return r;
}

bool olve_group_removed(int dirfd)
{
	return faccessat(dirfd, "cgroup.procs", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* root_walk() into hr->rootfd and hr->ctrls (the handle's open). */
static int open_root(struct olve_hier *hr, const char *norm, bool create)
{
	uint32_t served = 0;
	int fd = -1, r;

	r = root_walk(hr, norm, create, &fd, &served);
	if (r < 0)
		return r;
	hr->rootfd = fd;
	hr->ctrls = served;
	return 0;
}

static void cache_shrink(struct olve *h, size_t keep);

/*
 * The LVE root removed (and maybe made again) behind the handle.
 * A handle keeps each hierarchy's LVE root open for its whole life. When
 * someone removes the root, or a group above it, the kept fd names a
 * removed directory for good: every LVE opened or created through it
 * fails with -ENOENT, whatever exists under the same path now. On cgroup
 * v1, systemd does exactly that to the empty groups below a unit's group
 * in a hierarchy it drops from the unit (cg_trim), and the next lvectl or
 * login makes the path again; a daemon's handle (openlve-placed, lved, a
 * web server's) would then never reach an LVE again.
 * A root is dead when even its own "cgroup.procs" is gone (the kernel
 * unlinks a removed group's files; a live group always has it), one
 * faccessat per hierarchy, only after an LVE could not be opened. A dead
 * root is opened again by path from the mount (made again when the handle
 * may create) and dup3()ed over the kept fd: its number stays valid for
 * the threads using it meanwhile, which see the old or the new directory.
 * Every cached LVE lived below the old root: the cache is emptied (held
 * entries stay valid until their holders drop them). Under h->lock.
 * Returns the number of roots replaced, or -errno when a dead root cannot
 * be opened again.
 */
static int roots_refresh(struct olve *h)
{
	int replaced = 0;

	for (int i = 0; i < h->n_hier; i++) {
		struct olve_hier *hr = &h->hier[i];
		_cleanup_close_ int fd = -1;
		uint32_t served = 0;
		int r;

		if (hr->rootfd < 0 || !olve_group_removed(hr->rootfd))
			continue;
		r = root_walk(hr, hr->root + 1, h->create, &fd, &served);
		if (r < 0)
			return r;
		if (dup3(fd, hr->rootfd, O_CLOEXEC) < 0)
			return -errno;
		replaced++;
	}
	if (replaced)
		cache_shrink(h, 0);
	return replaced;
}

static int discover(struct olve *h, const struct cg_sys *sys, bool create)
{
	int mount_of[OLVE_MAX_HIER];
	int n = 0;

	for (size_t k = 0; k < ELEMENTSOF(our_ctrls); k++) {
		int c = our_ctrls[k], m = sys->ctrl_mount[c], i;
		const struct cg_mount *mnt;

		if (m < 0 || m >= sys->n_mounts)
			continue;
		mnt = &sys->mounts[m];
		if (mnt->fd < 0)
			continue;
		for (i = 0; i < n; i++)
			if (mount_of[i] == m)
				break;
		if (i == n) {
			if (n == OLVE_MAX_HIER)
				return -E2BIG;
			mount_of[n] = m;
			h->hier[n] = (struct olve_hier){
				.version = mnt->version == CGROUP_V2 ? 2 : 1,
				.rootfd = -1,
				.tasks = mnt->version == CGROUP_V2 ? "cgroup.procs" : "tasks",
				.first_ctrl = c,
				.mountfd = mnt->fd,
			};
			n++;
		}
		h->hier[i].ctrls |= 1u << c;
		if (c == CG_CTRL_IO || c == CG_CTRL_BLKIO)
			h->hier[i].ctrls |= (1u << CG_CTRL_IO) | (1u << CG_CTRL_BLKIO);
	}

	for (int i = 0; i < n; i++) {
		struct olve_hier *hr = &h->hier[i];
		_cleanup_free_ char *norm = NULL;
		const char *want = NULL;
		size_t len;
		int r;

		/* every controller of the hierarchy must agree on the root */
		for (int c = 0; c < 32; c++) {
			const char *rt;

			if (!(hr->ctrls & (1u << c)))
				continue;
			rt = olve_conf_root_for(&h->conf, c);
			if (!want) {
				want = rt;
				continue;
			}
			if (strcmp(want, rt)) {
				_cleanup_free_ char *a = normalize_root(want), *b = normalize_root(rt);
				if (!a || !b)
					return -ENOMEM;
				if (strcmp(a, b))
					return -EINVAL;
			}
		}
		norm = normalize_root(want);
		if (!norm)
			return -ENOMEM;
		if (!*norm)
			return -EINVAL;
		len = strlen(norm);
		hr->root = malloc(len + 2);
		if (!hr->root)
			return -ENOMEM;
		hr->root[0] = '/';
		memcpy(hr->root + 1, norm, len + 1);
		h->n_hier = i + 1; /* so olve_close releases it on failure */
		r = open_root(hr, norm, create);
		if (r < 0)
			return r;
	}
	h->n_hier = n;

	/* drop v2 hierarchies left without a controller; keep order otherwise */
	for (int i = 0; i < h->n_hier;) {
		if (h->hier[i].ctrls) {
			i++;
			continue;
		}
		safe_close(h->hier[i].rootfd);
		free(h->hier[i].root);
		memmove(&h->hier[i], &h->hier[i + 1], sizeof(h->hier[0]) * (size_t)(h->n_hier - i - 1));
		h->n_hier--;
		/* the vacated last slot still names the moved (or the just released) fd and
		 * root: olve_close() walks every slot, so it would close and free them twice */
		h->hier[h->n_hier] = (struct olve_hier){ .rootfd = -1 };
	}
	return h->n_hier > 0 ? 0 : -ENODEV;
}

/* mkdir -p for an absolute path (0755). */
static int mkdir_p(const char *path)
{
	_cleanup_free_ char *s = strdup(path);

	if (!s)
		return -ENOMEM;
	for (char *p = s + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;

			*p = 0;
			if (mkdir(s, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/*
 * <state_dir>/lve. A privileged caller (who writes there) refuses a state
 * dir that someone else could change (ol_path_trusted: a user owning it
 * could plant files or symlinks and set its own EP to 0): -EPERM.
 */
static int open_state_dir(struct olve *h, bool create)
{
	_cleanup_close_ int fd = -1;
	bool priv = olve_privileged();
	char lvedir[PATH_MAX];
	int r;

	if (create) {
		r = mkdir_p(h->conf.state_dir);
		if (r < 0)
			return r;
	}
	if (priv) {
		r = ol_path_trusted(h->conf.state_dir, NULL, 0);
		if (r < 0)
			return r == -ELOOP ? -EPERM : r;
	}
	fd = open(h->conf.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ol_open_dir_beneath(fd, "lve", create ? OL_OPEN_CREATE : 0, 0755);
	if (r < 0)
		return r;
	h->statefd = r;
	if (priv) {
		if (snprintf(lvedir, sizeof(lvedir), "%s/lve", h->conf.state_dir) >= (int)sizeof(lvedir))
			return -ENAMETOOLONG;
		r = ol_path_trusted(lvedir, NULL, 0);
		if (r < 0)
			return r == -ELOOP ? -EPERM : r;
	}
	return 0;
}

static int errno_from_ecg(int ecg)
{
	int e;

	if (ecg == 0)
		return 0;
	if (ecg == ECGOTHER) {
		e = cgroup_get_last_errno();
		return e > 0 ? -e : -EIO;
	}
	return -ENODEV;
}

_public_ int olve_open(struct olve **out, unsigned flags)
{
	struct olve *h;
	struct cg_sys *sys;
	bool create = !(flags & OLVE_OPEN_NOCREATE);
	long n;
	int r;

	if (!out || (flags & ~(OLVE_OPEN_NOCREATE | OLVE_OPEN_DELEGATE)))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->statefd = -1;
	h->brokerfd = -1;
	olve_tcg_init(h);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		h->hier[i].rootfd = -1;
	pthread_mutex_init(&h->lock, NULL);

	r = olve_conf_load(NULL, &h->conf, NULL);
	if (r < 0)
		goto fail;
	r = errno_from_ecg(cgroup_init());
	if (r < 0)
		goto fail;
	sys = cg_sys_get();
	if (!sys) {
		r = -ENODEV;
		goto fail;
	}
	h->create = create;
	r = discover(h, sys, create);
	if (r < 0)
		goto fail;
	r = open_state_dir(h, create);
	if (r < 0)
		goto fail;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	h->ncpus = n > 0 ? (int)n : 1;
	if ((flags & OLVE_OPEN_DELEGATE) && olve_privileged()) {
		(void)olve_tcg_setup(h); /* threads.c: before the broker, which inherits the tree */
		r = olve_broker_start(h); /* priv.c */
		if (r < 0)
			goto fail;
	}
	*out = h;
	return 0;
fail:
	olve_close(h);
	return r;
}

static void lve_fds_free(struct olve_lve_fds *f)
{
	if (!f)
		return;
	olve_state_detach(f);
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		safe_close(f->dirfd[i]);
		safe_close(f->tasksfd[i]);
	}
	safe_close(f->statefd);
	free(f);
}

void olve_lve_put(struct olve *h, struct olve_lve_fds *f)
{
	(void)h;
	if (!f)
		return;
	/* acq_rel: every holder's use of the fds happens before the close */
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
		lve_fds_free(f);
}

_public_ void olve_close(struct olve *h)
{
	struct lve_cache *c;

	if (!h)
		return;
	c = h->cache;
	if (c) {
		/* the cache's references; a caller still holding one keeps its entry */
		for (size_t i = 0; i < c->n; i++)
			olve_lve_put(h, c->v[i]);
		free(c->v);
		free(c);
	}
	for (int i = 0; i < OLVE_MAX_HIER; i++) {
		safe_close(h->hier[i].rootfd);
		free(h->hier[i].root);
	}
	safe_close(h->statefd);
	safe_close(h->brokerfd);
	olve_tcg_close(h);
	olve_conf_free(&h->conf);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ------------------------------------------------------------ fd cache */

/* Index of id in the cache, or -(insertion point) - 1. */
static long cache_find(const struct lve_cache *c, uint32_t id)
{
	size_t lo = 0, hi = c ? c->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid]->id == id)
			return (long)mid;
		if (c->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static int cache_insert(struct olve *h, struct olve_lve_fds *f, long pos)
{
	struct lve_cache *c = h->cache;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		h->cache = c;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct olve_lve_fds **nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	memmove(&c->v[pos + 1], &c->v[pos], (c->n - (size_t)pos) * sizeof(*c->v));
	c->v[pos] = f;
	c->n++;
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); /* the cache's own */
	f->used = ++c->clock;
	return 0;
}

/* Unlist entry i; the cache's reference passes to the caller. */
static struct olve_lve_fds *cache_remove(struct lve_cache *c, size_t i)
{
	struct olve_lve_fds *f = c->v[i];

	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
	c->n--;
	return f;
}

/*
 * Entries the cache may hold: fd_cache_size, and no more than a quarter of
 * the soft RLIMIT_NOFILE in fds (at least one entry), so touching any
 * number of LVEs never exhausts the caller's fds. Read on every miss (one
 * getrlimit next to a dozen opens): a process may lower its limit later.
 */
static size_t cache_limit(const struct olve *h)
{
	size_t lim = h->conf.fd_cache_size, per = 2 * (size_t)h->n_hier + 1;
	struct rlimit rl;

	if (lim > 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t budget = rl.rlim_cur / 4 / per;

		if (budget < 1)
			budget = 1;
		if ((rlim_t)lim > budget)
			lim = (size_t)budget;
	}
	return lim;
}

/*
 * Under h->lock: evict least recently used entries until at most `keep`
 * remain, preferring those no caller holds. Their cache references are
 * dropped (fds of held entries close at the holder's put).
 */
static void cache_shrink(struct olve *h, size_t keep)
{
	struct lve_cache *c = h->cache;

	while (c && c->n > keep) {
		size_t victim = 0;
		bool idle_found = false;

		for (size_t i = 0; i < c->n; i++) {
			bool idle = atomic_load_explicit(&c->v[i]->refs, memory_order_relaxed) == 1;

			if (idle_found && !idle)
				continue;
			if ((idle && !idle_found) || c->v[i]->used < c->v[victim]->used)
				victim = i;
			idle_found = idle_found || idle;
		}
		olve_lve_put(h, cache_remove(c, victim));
	}
}

static bool errno_is_perm(int r)
{
	return r == -EACCES || r == -EPERM || r == -EROFS;
}

/*
 * Limits of an LVE created now (or completed after its creator died): the
 * one place to read them is the limits store, ve.cfg compiled by lvectl
 * (limits-store.h), else the defaults.
 */
static int creation_limits(struct olve *h, uint32_t id, struct olve_limits *out)
{
	return olve_limits_for_new(h, id, out); /* ve.cfg's limits (limits-store.h) */
}

/*
 * Creation is all or nothing, whatever kills the creating process or
 * whatever resource limit stops it half-way (SIGKILL, SIGXFSZ from
 * RLIMIT_FSIZE, a full fd table): an LVE is complete when its state record
 * holds the limits it was given (limits.mask != 0; olve_limits_write()
 * records them under the header lock after the kernel accepted them).
 * Every privileged open checks the record before handing out the fds:
 *   - `fresh` (this call made a directory): the creation limits are written
 *     in full (a record left over from a destroy that died half-way is
 *     overwritten, so new cgroups never run on a stale record);
 *   - no record yet (the creator died between mkdir and the record): the
 *     LVE is treated as new and gets its creation limits now, unless
 *     another process records limits first (olve_limits_write_initial);
 *     v1 cpuset directories of such an LVE get their parent's cpus/mems.
 * Nobody can enter an LVE before this ran: every enter path goes through
 * olve_lve_get(). Returns 0 or -errno (the caller then fails the open).
 */
static int lve_complete(struct olve *h, struct olve_lve_fds *f, bool fresh)
{
	struct olve_limits lim;
	struct olve_state st;
	int r;

	if (!fresh && olve_state_read(f->statefd, &st) == 0 && st.limits.mask)
		return 0;
	for (int i = 0; i < h->n_hier; i++)
		close_event_control(f->dirfd[i]);
	if (!fresh) {
		for (int i = 0; i < h->n_hier; i++) {
			const struct olve_hier *hr = &h->hier[i];

			if (hr->version == 1 && (hr->ctrls & (1u << CG_CTRL_CPUSET)) && f->dirfd[i] >= 0) {
				r = cpuset_inherit(hr->rootfd, f->dirfd[i]);
				if (r < 0)
					return r;
			}
		}
	}
	r = creation_limits(h, f->id, &lim);
	if (r < 0)
		return r;
	return fresh ? olve_limits_write(h, f, &lim) : olve_limits_write_initial(h, f, &lim);
}

static int lve_open(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out)
{
	struct olve_lve_fds *f;
	bool made[OLVE_MAX_HIER] = { false };
	int parent[OLVE_MAX_HIER];
	bool fresh = false;
	char rel[OLVE_RELPATH_MAX], name[16];
	uint32_t rid = 0;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->id = id;
	f->statefd = -1;
	atomic_init(&f->refs, 1); /* the caller's */
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		f->dirfd[i] = f->tasksfd[i] = parent[i] = -1;
	olve_lve_dirname(id, name);
	r = olve_lve_relpath(h, id, rel, &rid);
	if (r < 0)
		goto fail;
	if (strcmp(rel, name)) {
		/* a reseller's customer: its group lives in lvp<R> (made with R's caps when missing) */
		char lvp[16];

		olve_lvp_dirname(rid, lvp);
		if (create && r == 0) {
			struct olve_limits d, rl;
			uint32_t none;

			if (olve_store_find(h->conf.limits_file, true, rid, &d, &rl, &none) == 1)
				r = olve_reseller_apply(h, rid, &rl);
			else
				r = olve_reseller_apply(h, rid, &(struct olve_limits){ 0 });
			if (r < 0)
				goto fail;
		}
		for (int i = 0; i < h->n_hier; i++) {
			parent[i] = ol_open_dir_beneath(h->hier[i].rootfd, lvp, 0, 0);
			if (parent[i] < 0) {
				r = parent[i];
				goto fail;
			}
		}
	} else {
		for (int i = 0; i < h->n_hier; i++) {
			parent[i] = fcntl(h->hier[i].rootfd, F_DUPFD_CLOEXEC, 3);
			if (parent[i] < 0) {
				r = -errno;
				goto fail;
			}
		}
	}

	for (int i = 0; i < h->n_hier; i++) {
		struct olve_hier *hr = &h->hier[i];
		int fd;

		/* [i12] lazy cpuset: see olve_lve_cpuset_make */
		if (olve_hier_cpuset_only(hr)) {
			fd = ol_open_dir_beneath(parent[i], name, 0, 0);
			if (fd == -ENOENT)
				continue; /* dirfd, tasksfd stay -1 */
			if (fd < 0) {
				r = fd;
				goto fail;
			}
			f->dirfd[i] = fd;
			f->tasksfd[i] = openat(fd, hr->tasks, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (f->tasksfd[i] < 0 && !errno_is_perm(-errno)) {
				r = -errno;
				goto fail;
			}
			continue;
		}
		if (create) {
			if (mkdirat(parent[i], name, 0755) == 0)
				made[i] = fresh = true;
			else if (errno != EEXIST) {
				r = -errno;
				goto fail;
			}
		}
		fd = ol_open_dir_beneath(parent[i], name, 0, 0);
		if (fd < 0) {
			r = fd;
			goto fail;
		}
		f->dirfd[i] = fd;
		if (made[i] && hr->version == 1 && (hr->ctrls & (1u << CG_CTRL_CPUSET))) {
			r = cpuset_inherit(parent[i], fd);
			if (r < 0)
				goto fail;
		}
		fd = openat(f->dirfd[i], hr->tasks, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && !errno_is_perm(-errno)) {
			r = -errno;
			goto fail;
		}
		f->tasksfd[i] = fd;
	}
	r = olve_state_open(h, id, true);
	if (r < 0 && !errno_is_perm(r))
		goto fail;
	f->statefd = r < 0 ? -1 : r;
	olve_state_attach(f); /* state.c: the entry's lock-free header read */

	if (f->statefd >= 0) {
		r = lve_complete(h, f, fresh);
		if (r < 0)
			goto fail;
	}
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		safe_close(parent[i]);
	*out = f;
	return 0;
fail:
	for (int i = 0; i < h->n_hier; i++) {
		safe_close(f->dirfd[i]);
		f->dirfd[i] = -1;
		if (made[i] && parent[i] >= 0)
			(void)unlinkat(parent[i], name, AT_REMOVEDIR);
	}
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		safe_close(parent[i]);
	lve_fds_free(f);
	return r;
}

/*
 * [i12] Lazy cpuset. A v1 hierarchy serving only cpuset holds nothing an LVE
 * limits or lved reports unless the LVE has a CPU mask, and on v1 each
 * cpuset group costs the kernel more with every sibling (creation of
 * 10,000 LVEs was super-linear because of it, see NOTES.md). So lve_open
 * never creates lve<ID> there (it opens it when it exists: dirfd and
 * tasksfd stay -1 otherwise, and entries, olve_enter_pid, spawn and the
 * broker leave such a hierarchy alone); the group is made here, by the
 * one writer of a CPU mask (fairsched_cpumask), with its parent's
 * cpus/mems. Cached entries of the LVE are dropped so the next
 * olve_lve_get opens the new group. Returns 0 (also when it existed or
 * there is no cpuset-only hierarchy) or -errno.
 */
int olve_lve_cpuset_make(struct olve *h, uint32_t id)
{
	char rel[OLVE_RELPATH_MAX], name[16], lvp[16];
	uint32_t rid = 0;
	bool made = false;
	int r;

	if (!h || id == 0)
		return -EINVAL;
	olve_lve_dirname(id, name);
	/* a reseller's customer lives in lvp<R> (made in every hierarchy by olve_reseller_apply) */
	r = olve_lve_relpath(h, id, rel, &rid);
	if (r < 0)
		return r;
	olve_lvp_dirname(rid, lvp);
	r = 0;
	for (int i = 0; i < h->n_hier && r >= 0; i++) {
		const struct olve_hier *hr = &h->hier[i];
		_cleanup_close_ int pfd = -1, fd = -1;

		if (!olve_hier_cpuset_only(hr))
			continue;
		pfd = strcmp(rel, name) ? ol_open_dir_beneath(hr->rootfd, lvp, 0, 0)
					: fcntl(hr->rootfd, F_DUPFD_CLOEXEC, 3);
		if (pfd < 0)
			return strcmp(rel, name) ? pfd : -errno;
		if (mkdirat(pfd, name, 0755) == 0)
			made = true;
		else if (errno != EEXIST)
			return -errno;
		fd = ol_open_dir_beneath(pfd, name, 0, 0);
		if (fd < 0)
			return fd;
		r = cpuset_inherit(pfd, fd);
		if (r < 0 && made)
			(void)unlinkat(pfd, name, AT_REMOVEDIR);
	}
	if (r >= 0)
		olve_lve_forget(h, id);
	return r;
}

/* ------------------------------------------------------------ resellers */

static bool entry_is_dir(DIR *d, const struct dirent *de);

int olve_lve_relpath(struct olve *h, uint32_t id, char buf[static OLVE_RELPATH_MAX], uint32_t *reseller)
{
	struct olve_limits d, e;
	char name[16], lvp[16];
	struct stat st;
	uint32_t rid = 0;
	int r;

	olve_lve_dirname(id, name);
	if (fstatat(h->hier[0].rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(buf, OLVE_RELPATH_MAX, "%s", name);
		*reseller = 0;
		return 1;
	}
	/* the store another user could have written is not trusted (pathsafe.h): no reseller then */
	r = h->conf.limits_file && h->conf.limits_file[0] == '/' ? ol_path_trusted(h->conf.limits_file, NULL, 0)
	                                                          : -ENOENT;
	if (r >= 0 && olve_store_find(h->conf.limits_file, false, id, &d, &e, &rid) != 1)
		rid = 0;
	if (r < 0)
		rid = 0;
	if (rid) {
		olve_lvp_dirname(rid, lvp);
		snprintf(buf, OLVE_RELPATH_MAX, "%s/%s", lvp, name);
		if (fstatat(h->hier[0].rootfd, buf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			*reseller = rid;
			return 1;
		}
	}
	/* a customer whose reseller changed or was removed while it ran: in another lvp group */
	if (r >= 0) {
		_cleanup_free_ uint32_t *rids = NULL;
		int n = olve_store_reseller_ids(h->conf.limits_file, &rids);

		for (int i = 0; i < n; i++) {
			char alt[OLVE_RELPATH_MAX];

			if (rids[i] == rid)
				continue;
			olve_lvp_dirname(rids[i], lvp);
			snprintf(alt, sizeof(alt), "%s/%s", lvp, name);
			if (fstatat(h->hier[0].rootfd, alt, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
				snprintf(buf, OLVE_RELPATH_MAX, "%s", alt);
				*reseller = rids[i];
				return 1;
			}
		}
	}
	if (rid) {
		olve_lvp_dirname(rid, lvp);
		snprintf(buf, OLVE_RELPATH_MAX, "%s/%s", lvp, name);
	} else
		snprintf(buf, OLVE_RELPATH_MAX, "%s", name);
	*reseller = rid;
	return 0;
}

int olve_reseller_groups(struct olve *h, uint32_t **ids)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ uint32_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r;

	r = ol_opendir_at(h->hier[0].rootfd, ".", &d);
	if (r < 0)
		return r;
	while ((errno = 0, de = readdir(d))) {
		uint32_t rid;

		if (olve_lvp_parse_dirname(de->d_name, &rid) < 0 || !entry_is_dir(d, de))
			continue;
		if (n == cap) {
			uint32_t *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			v = nv;
		}
		v[n++] = rid;
	}
	if (errno)
		return -errno;
	*ids = TAKE_PTR(v);
	return (int)n;
}

int olve_reseller_apply(struct olve *h, uint32_t rid, const struct olve_limits *lim)
{
	int dirfd[OLVE_MAX_HIER];
	char lvp[16];
	int r = 0;

	if (!h || rid == 0 || !lim)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	olve_lvp_dirname(rid, lvp);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		dirfd[i] = -1;
	for (int i = 0; i < h->n_hier && r >= 0; i++) {
		struct olve_hier *hr = &h->hier[i];
		bool made = mkdirat(hr->rootfd, lvp, 0755) == 0;

		if (!made && errno != EEXIST) {
			r = -errno;
			break;
		}
		dirfd[i] = ol_open_dir_beneath(hr->rootfd, lvp, 0, 0);
		if (dirfd[i] < 0) {
			r = dirfd[i];
			break;
		}
		if (made)
			close_event_control(dirfd[i]);
		if (hr->version == 1 && (hr->ctrls & (1u << CG_CTRL_CPUSET)))
			r = cpuset_inherit(hr->rootfd, dirfd[i]);
		if (r >= 0 && hr->version == 2) {
			uint32_t sub = read_ctrl_list(dirfd[i], "cgroup.subtree_control");

			/* the v2 controllers only (hr->ctrls also carries the blkio alias of io) */
			for (size_t k = 0; k < ELEMENTSOF(v2_ctrls) && r >= 0; k++) {
				int c = v2_ctrls[k];
				char cmd[32];

				if (!(hr->ctrls & (1u << c)) || (sub & (1u << c)))
					continue;
				snprintf(cmd, sizeof(cmd), "+%s", cg_ctrl_name(c));
				r = ol_write_at(dirfd[i], "cgroup.subtree_control", cmd);
			}
		}
	}
	if (r >= 0 && lim->mask)
		r = olve_group_limits_write(h, dirfd, lim);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		safe_close(dirfd[i]);
	return r;
}

int olve_reseller_limits(struct olve *h, uint32_t rid, struct olve_limits *out)
{
	int dirfd[OLVE_MAX_HIER];
	char lvp[16];
	int r = 0;

	if (!h || rid == 0 || !out)
		return -EINVAL;
	olve_lvp_dirname(rid, lvp);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		dirfd[i] = -1;
	for (int i = 0; i < h->n_hier && r >= 0; i++) {
		dirfd[i] = ol_open_dir_beneath(h->hier[i].rootfd, lvp, 0, 0);
		if (dirfd[i] < 0)
			r = dirfd[i];
	}
	if (r >= 0)
		r = olve_group_limits_read(h, dirfd, out);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		safe_close(dirfd[i]);
	return r;
}

int olve_reseller_remove(struct olve *h, uint32_t rid)
{
	char lvp[16];
	bool found = false;

	if (!h || rid == 0)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	olve_lvp_dirname(rid, lvp);
	for (int i = 0; i < h->n_hier; i++) {
		if (unlinkat(h->hier[i].rootfd, lvp, AT_REMOVEDIR) == 0)
			found = true;
		else if (errno == ENOTEMPTY || errno == EBUSY)
			return -ENOTEMPTY;
		else if (errno != ENOENT)
			return -errno;
	}
	return found ? 0 : -ENOENT;
}

int olve_lve_get(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out)
{
	struct lve_cache *c;
	struct olve_lve_fds *f = NULL;
	size_t lim;
	long pos;
	int r;

	if (!h || !out || id == 0)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	c = h->cache;
	pos = cache_find(c, id);
	if (_likely_(pos >= 0)) {
		f = c->v[pos];
		/* the cache holds a reference, so refs > 0 here: no resurrection */
		atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
		f->used = ++c->clock;
		pthread_mutex_unlock(&h->lock);
		*out = f;
		return 0;
	}
	/* an unprivileged child of a delegating opener: root-opened fds from the broker (priv.c) */
	if (olve_broker_wanted(h)) {
		r = olve_broker_lve(h, id, create, &f);
	} else {
		r = lve_open(h, id, create, &f);
		/* the LVE root removed behind the handle: open it again, then the LVE once more */
		if ((r == -ENOENT || r == -ENODEV) && roots_refresh(h) > 0)
			r = lve_open(h, id, create, &f);
	}
	if (r < 0) {
		pthread_mutex_unlock(&h->lock);
		return r;
	}
	lim = cache_limit(h);
	if (lim > 0) {
		cache_shrink(h, lim - 1);
		/* no room for the index (ENOMEM): the caller still gets a working, uncached entry */
		(void)cache_insert(h, f, -cache_find(h->cache, id) - 1);
	}
	pthread_mutex_unlock(&h->lock);
	*out = f;
	return 0;
}

void olve_lve_forget(struct olve *h, uint32_t id)
{
	struct olve_lve_fds *f = NULL;
	long pos;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	pos = cache_find(h->cache, id);
	if (pos >= 0)
		f = cache_remove(h->cache, (size_t)pos);
	pthread_mutex_unlock(&h->lock);
	olve_lve_put(h, f); /* the cache's reference: closes unless a caller holds it */
}

int olve_lve_reopen(struct olve *h, uint32_t id, struct olve_lve_fds **lve)
{
	olve_lve_put(h, TAKE_PTR(*lve));
	olve_lve_forget(h, id);
	return olve_lve_get(h, id, true, lve);
}

/* ---------------------------------------------------------------- list */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool entry_is_dir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return true;
	if (de->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Append the lve<ID> groups of directory fd (taken); with `resellers` also those inside lvp<R>. */
static int list_dir(int fd, bool resellers, uint32_t **v, size_t *n, size_t *cap)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = ol_fdopendir(fd, &d);

	if (r < 0)
		return r;
	while ((errno = 0, de = readdir(d))) {
		uint32_t id;

		if (resellers && olve_lvp_parse_dirname(de->d_name, &id) == 0 && entry_is_dir(d, de)) {
			int sub = ol_open_dir_beneath(dirfd(d), de->d_name, 0, 0);

			if (sub == -ENOENT)
				continue;
			if (sub < 0)
				return sub;
			r = list_dir(sub, false, v, n, cap);
			if (r < 0)
				return r;
			continue;
		}
		if (olve_lve_parse_dirname(de->d_name, &id) < 0 || !entry_is_dir(d, de))
			continue;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			uint32_t *nv;

			if (ncap > (size_t)INT32_MAX)
				return -E2BIG;
			nv = realloc(*v, ncap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = ncap;
		}
		(*v)[(*n)++] = id;
	}
	return errno ? -errno : 0;
}

_public_ int olve_list(struct olve *h, uint32_t **ids)
{
	_cleanup_free_ uint32_t *v = NULL;
	size_t n = 0, cap = 0;
	int fd, r;

	if (!h || !ids)
		return -EINVAL;
	fd = openat(h->hier[0].rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* customers of resellers live in lvp<R>/lve<ID> */
	r = list_dir(fd, true, &v, &n, &cap);
	if (r < 0)
		return r;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u32);
	/* the same id twice (moved between a reseller and the top while we read): once */
	if (n > 1) {
		size_t k = 1;

		for (size_t i = 1; i < n; i++)
			if (v[i] != v[k - 1])
				v[k++] = v[i];
		n = k;
	}
	*ids = TAKE_PTR(v);
	return (int)n;
}

/* ------------------------------------------------------------- destroy */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Path of `pid` (a tid works too) in hierarchy hr per /proc/<pid>/cgroup, into buf. */
static int proc_cgroup_path(const struct olve_hier *hr, pid_t pid, char *buf, size_t size)
{
	char file[64];
	_cleanup_free_ char *text = NULL;
	const char *want = hr->version == 2 ? NULL : cg_ctrl_name(hr->first_ctrl);
	int r;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	{
		_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		text = malloc(16384);
		if (!text)
			return -ENOMEM;
		r = ol_pread_all(fd, text, 16384);
		if (r < 0)
			return r;
	}
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2;
		bool match = false;

		if (!c1)
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		*c2 = 0;
		if (!want)
			match = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
		else {
			char *save2 = NULL;
			for (char *t = strtok_r(c1 + 1, ",", &save2); t; t = strtok_r(NULL, ",", &save2))
				if (!strcmp(t, want))
					match = true;
		}
		if (match) {
			if (strlen(c2 + 1) >= size)
				return -ENAMETOOLONG;
			strcpy(buf, c2 + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	long r = syscall(SYS_pidfd_open, pid, 0);
	return r < 0 ? -errno : (int)r;
#else
	return -ENOSYS;
#endif
}

static int pidfd_kill(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
	long r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	return r < 0 ? -errno : 0;
#else
	return -ENOSYS;
#endif
}

/*
 * Deal with one task listed in the LVE: SIGKILL its process when the
 * process lives in the LVE (its leader is there), or, on v1, move a thread
 * that entered the LVE on its own back to its process's group (killing it
 * would kill e.g. a whole web server). The check runs against a pidfd so a
 * recycled pid is never signalled.
 */
static int evict_task(const struct olve_hier *hr, const char *lvepath, pid_t tid)
{
	char path[4096], file[64], tgid_s[32] = "";
	_cleanup_close_ int pidfd = -1;
	pid_t tgid = tid;

	/* thread group of tid */
	snprintf(file, sizeof(file), "/proc/%d/status", (int)tid);
	{
		_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
		char st[4096];
		char *p;

		if (fd < 0 || ol_pread_all(fd, st, sizeof(st)) < 0)
			return 0; /* gone */
		p = strstr(st, "\nTgid:");
		if (p && sscanf(p + 6, "%31s", tgid_s) == 1) {
			long t = strtol(tgid_s, NULL, 10);
			if (t > 0)
				tgid = (pid_t)t;
		}
	}
	if (tgid == getpid())
		return -EBUSY; /* never ourselves */
	pidfd = pidfd_open_(tgid);
	if (pidfd < 0 && pidfd != -ENOSYS)
		return 0; /* gone */
	if (proc_cgroup_path(hr, tgid, path, sizeof(path)) < 0)
		return 0;
	if (!strcmp(path, lvepath)) {
		if (pidfd >= 0) {
			if (pidfd_kill(pidfd, 0) == 0)
				(void)pidfd_kill(pidfd, SIGKILL);
		} else
			(void)kill(tgid, SIGKILL);
		return 0;
	}
	if (hr->version == 1 && tid != tgid) {
		/* a thread inside, its process outside: send the thread home */
		_cleanup_close_ int home = -1;
		char tids[32];

		if (pidfd >= 0 && pidfd_kill(pidfd, 0) < 0)
			return 0;
		home = ol_open_dir_beneath(hr->mountfd, path, 0, 0);
		if (home < 0)
			return 0;
		snprintf(tids, sizeof(tids), "%d", (int)tid);
		(void)ol_write_at(home, "tasks", tids);
	}
	return 0;
}

/* Kill/evict everything in the LVE dirs until they are empty; -EBUSY after the timeout. */
static int lve_evict_all(struct olve *h, const int *dirfd, const char *name, long deadline)
{
	for (;;) {
		bool any = false;

		for (int i = 0; i < h->n_hier; i++) {
			struct olve_hier *hr = &h->hier[i];
			_cleanup_free_ char *text = NULL;
			char lvepath[4096];

			if (dirfd[i] < 0)
				continue;
			snprintf(lvepath, sizeof(lvepath), "%s/%s", hr->root, name);
			if (hr->version == 2) {
				char self[4096];

				/* cgroup.kill would take us along */
				if (proc_cgroup_path(hr, getpid(), self, sizeof(self)) == 0 && !strcmp(self, lvepath))
					return -EBUSY;
				/* cgroup.kill (5.14+) kills every process inside atomically */
				if (ol_write_at(dirfd[i], "cgroup.kill", "1") == 0) {
					char buf[16];
					if (ol_read_at(dirfd[i], "cgroup.procs", buf, sizeof(buf)) != 0)
						any = true;
					continue;
				}
			}
			if (ol_read_full_at(dirfd[i], hr->tasks, &text, NULL) < 0)
				continue;
			if (!*text)
				continue;
			any = true;
			for (char *save = NULL, *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
				uint32_t tid;
				if (ol_parse_u32(t, &tid) < 0 || tid == 0 || tid > INT32_MAX)
					continue;
				if (evict_task(hr, lvepath, (pid_t)tid) < 0)
					return -EBUSY; /* the caller itself is inside */
			}
		}
		if (!any)
			return 0;
		if (now_ms() > deadline)
			return -EBUSY;
		sleep_ms(5);
	}
}

_public_ int olve_destroy(struct olve *h, uint32_t id)
{
	int dirfd[OLVE_MAX_HIER];
	char name[OLVE_RELPATH_MAX];
	uint32_t rid;
	bool found = false;
	long deadline = now_ms() + DESTROY_TIMEOUT_MS;
	int r = 0;

	if (!h || id == 0)
		return -EINVAL;
	/* fds opened by a privileged caller stay writable after it drops
	 * privileges: refuse explicitly, like the kernel would on a fresh open */
	if (!olve_privileged())
		return -EPERM;
	olve_lve_forget(h, id);
	(void)olve_lve_relpath(h, id, name, &rid); /* lve<ID>, or lvp<R>/lve<ID> for a reseller's customer */
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		dirfd[i] = -1;
	for (int i = 0; i < h->n_hier; i++) {
		int fd = ol_open_dir_beneath(h->hier[i].rootfd, name, 0, 0);

		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			r = fd;
			goto out;
		}
		dirfd[i] = fd;
		found = true;
	}
	if (!found) {
		(void)olve_state_remove(h, id);
		r = -ENOENT;
		goto out;
	}
	r = lve_evict_all(h, dirfd, name, deadline);
	if (r < 0)
		goto out;
	for (int i = 0; i < h->n_hier; i++) {
		if (dirfd[i] < 0)
			continue;
		for (;;) {
			/* ENOENT/ENODEV: removed meanwhile (an entry undoing its creation) */
			if (unlinkat(h->hier[i].rootfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ||
			    errno == ENODEV)
				break;
			if (errno != EBUSY || now_ms() > deadline) {
				r = -errno;
				goto out;
			}
			/* exiting tasks still leaving the group */
			sleep_ms(5);
		}
	}
	r = olve_state_remove(h, id);
	if (r == -ENOENT)
		r = 0;
out:
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		safe_close(dirfd[i]);
	olve_lve_forget(h, id);
	return r;
}

/* ------------------------------------------------------------- current */

bool olve_hier_cpuset_only(const struct olve_hier *hr)
{
	return hr->version == 1 && hr->ctrls == (1u << CG_CTRL_CPUSET);
}

/*
 * The LVE hierarchy hr shows in a /proc/<pid>/cgroup text: *id = its id, 0
 * when the task is not in "<root>/lve<ID>" there. -ENOENT: no line of hr.
 */
static int current_in(const struct olve_hier *hr, const char *text, uint32_t *id)
{
	const char *want = hr->version == 2 ? NULL : cg_ctrl_name(hr->first_ctrl);
	size_t rootlen = strlen(hr->root);

	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(end - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		bool match = false;

		if (c2) {
			if (!want)
				match = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			else {
				size_t wl = strlen(want);
				for (const char *t = c1 + 1; t < c2;) {
					const char *te = memchr(t, ',', (size_t)(c2 - t));
					if (!te)
						te = c2;
					if ((size_t)(te - t) == wl && !memcmp(t, want, wl))
						match = true;
					t = te + 1;
				}
			}
		}
		if (match) {
			const char *p = c2 + 1;
			size_t plen = (size_t)(end - p);
			char name[32];
			uint32_t v;

			*id = 0;
			/* "<root>/lve<ID>" exactly */
			if (plen <= rootlen + 1 || memcmp(p, hr->root, rootlen) || p[rootlen] != '/')
				return 0;
			p += rootlen + 1;
			plen = (size_t)(end - p);
			/* a reseller's customer: "<root>/lvp<R>/lve<ID>" */
			if (plen > 3 && !memcmp(p, "lvp", 3)) {
				const char *slash = memchr(p, '/', plen);
				uint32_t rid;

				if (!slash || (size_t)(slash - p) >= sizeof(name))
					return 0;
				memcpy(name, p, (size_t)(slash - p));
				name[slash - p] = 0;
				if (olve_lvp_parse_dirname(name, &rid) < 0)
					return 0;
				p = slash + 1;
				plen = (size_t)(end - p);
			}
			if (plen >= sizeof(name))
				return 0;
			memcpy(name, p, plen);
			name[plen] = 0;
			if (olve_lve_parse_dirname(name, &v) == 0)
				*id = v;
			return 0;
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

int olve_current_parse(const struct olve *h, const char *text, uint32_t *id)
{
	const struct olve_hier *hr;

	if (!h || !text || !id || h->n_hier < 1)
		return -EINVAL;
	/* a cpuset-only hierarchy is entered only for LVEs with a CPU mask (enter.c) */
	hr = &h->hier[0];
	for (int i = 0; i < h->n_hier; i++)
		if (!olve_hier_cpuset_only(&h->hier[i])) {
			hr = &h->hier[i];
			break;
		}
	return current_in(hr, text, id);
}

int olve_current_parse_all(const struct olve *h, const char *text, uint32_t *id, bool *partial)
{
	uint32_t first = 0;
	bool seen = false, part = false;

	if (!h || !text || !id || !partial || h->n_hier < 1)
		return -EINVAL;
	for (int i = 0; i < h->n_hier; i++) {
		uint32_t v;

		if (olve_hier_cpuset_only(&h->hier[i]) || current_in(&h->hier[i], text, &v) < 0)
			continue;
		if (!seen) {
			first = v;
			seen = true;
		} else if (v != first)
			part = true;
		if (v && !first)
			first = v;
	}
	if (!seen)
		return -ENOENT;
	*id = first;
	*partial = part;
	return 0;
}

_public_ int olve_current(struct olve *h, uint32_t *id)
{
	char buf[16384];
	uint32_t v;
	int fd, r;

	if (!h || !id)
		return -EINVAL;
	fd = open("/proc/thread-self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%ld/cgroup", (long)syscall(SYS_gettid));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	r = ol_pread_all(fd, buf, sizeof(buf));
	safe_close(fd);
	if (r < 0)
		return r;
	r = olve_current_parse(h, buf, &v);
	if (r < 0)
		return r;
	*id = v;
	return 0;
}
