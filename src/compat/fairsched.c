/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fairsched.c - OpenVZ's Fairsched API (openvz-fairsched-api.txt) on LVE
 * ids, as library functions of liblve.so.0. Return -1 + errno like the
 * system calls. What each call changes (see also fairsched(3)):
 *
 *   fairsched_chwt    cpu_weight of the LVE's limits = (500000 / wght) / 10
 *                     clamped to 1..10000 (OpenVZ: cpuunits = 500000 /
 *                     weight, cgroup v2 cpu.weight = cpuunits / 10). Written
 *                     through olve_limits_write, so cgroup v1 gets cpu.shares
 *                     from convert.c's weight mapping like every LVE (the
 *                     relative weights of LVEs are kept; OpenVZ's own v1
 *                     mapping shares = cpuunits * 1024 / 1000 is NOT used:
 *                     LVEs weighted through lvectl and through fairsched
 *                     must be comparable).
 *   fairsched_rate    SET: SPEED of the LVE's limits = rate * 10000 / 1024
 *                     (1024 = one CPU = SPEED 100%), rounded, and the old
 *                     CPU limit (cpu_pct) cleared: the rate IS the LVE's CPU
 *                     limit. One quota for the whole LVE (cpu.max / cfs
 *                     quota), which is OpenVZ's rhel5 "container-wide"
 *                     meaning: rate 1024 on 2 CPUs may be 100/0% or 50/50%.
 *                     Clamped to [10, 1024 * CPUs of the LVE's cpuset]: 10 =
 *                     the kernel's minimum quota of 1 ms per 100 ms period.
 *                     Returns the rate in force read back from the kernel.
 *                     DROP: SPEED and cpu_pct 0. GET: the kernel's quota as
 *                     a rate (rounded), ENODATA when unlimited. The kernel
 *                     has one quota, so GET reports min(rate, vcpus * 1024,
 *                     lvectl's CPU/NCPU limits).
 *   fairsched_vcpus   NCPU of the LVE's limits (the quota emulation of
 *                     upstream-kernel OpenVZ: limit = min(rate, vcpus *
 *                     100%)); 0 or >= online CPUs stores 0 (no cap: all
 *                     online CPUs, also those that come online later).
 *   fairsched_cpumask cpuset.cpus of the LVE = mask AND the LVE root's
 *                     effective CPUs (v1: cpuset.mems filled from the parent
 *                     when empty). Kept only in the kernel (no LVE limit
 *                     field): lost when the LVE is re-created.
 *
 * The host, id INT_MAX, is the LVE root group <mount>/<cgroup_root>: its
 * cpu.weight / cpu.max (v1 cpu.shares, cfs quota) and cpuset.cpus are
 * written directly (through the same translation), i.e. all LVEs together
 * are weighted / limited against the rest of the system. There is no
 * limits record for it: rate and vcpus both write its cpu.max and the
 * last call wins (vcpus 0 = no limit). On cgroup v1 the kernel refuses
 * (EINVAL) a host quota below the quota of one of the LVEs.
 *
 * Errors: EPERM (not root / CAP_SYS_ADMIN; checked first, like the
 * kernel), EINVAL (id 0, bad arguments), ENOENT (no such LVE), ENOSYS (the
 * cpu controller, or cpuset for the mask, is not available), others from
 * the kernel. Settings go through liblve's process-wide handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "compat-internal.h"
#include "fileio.h"
#include "lve/fairsched.h"

#define FS_NR_CPUS 8192 /* the largest NR_CPUS of distribution kernels */
#define FS_BITS_PER_UL (8 * sizeof(unsigned long))
#define FS_MASK_LONGS (FS_NR_CPUS / FS_BITS_PER_UL)
#define FS_RATE_MIN 10 /* 1% of a CPU: 1000 us per 100000 us */

struct fs_target {
	struct olve *h;
	uint32_t id;            /* 0: the host */
	struct olve_lve_fds *f; /* the LVE (a reference, put by fs_run), NULL: the host */
	int dirfd[OLVE_MAX_HIER];
};

static int fs_ret(int r)
{
	if (r < 0) {
		errno = r == -EACCES ? EPERM : -r;
		return -1;
	}
	return r;
}

static int fs_check(unsigned int id)
{
	if (!olve_privileged())
		return -EPERM;
	if (id == 0)
		return -EINVAL;
	return 0;
}

static int fs_open(unsigned int id, struct fs_target *t)
{
	struct olve *h;
	char name[OLVE_RELPATH_MAX];
	uint32_t rid;
	int r;

	r = liblve_handle(NULL, &h);
	if (r < 0)
		return r;
	memset(t, 0, sizeof(*t));
	t->h = h;
	if (id == FAIRSCHED_HOST_ID) {
		for (int i = 0; i < h->n_hier; i++)
			t->dirfd[i] = h->hier[i].rootfd;
		return 0;
	}
	t->id = id;
	(void)olve_lve_relpath(h, id, name, &rid); /* lvp<R>/lve<ID> for a reseller's customer */
	/* a fresh look: the handle's fd cache does not see an LVE destroyed by another process */
	for (int i = 0; i < h->n_hier; i++) {
		struct stat st;

		if (olve_hier_cpuset_only(&h->hier[i]))
			continue; /* [i12] made only for a CPU mask (olve_lve_cpuset_make) */
		if (fstatat(h->hier[i].rootfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
		else if (!S_ISDIR(st.st_mode))
			r = -ENOENT;
		if (r < 0) {
			if (r == -ENOENT)
				olve_lve_forget(h, id);
			return r;
		}
	}
	r = olve_lve_get(h, id, false, &t->f);
	if (r < 0)
		return r;
	for (int i = 0; i < h->n_hier; i++)
		t->dirfd[i] = t->f->dirfd[i];
	return 0;
}

/* Run op on id's group; once more with fresh fds when the cached ones belong to a removed group. */
static int fs_run(unsigned int id, int (*op)(struct fs_target *t, void *ud), void *ud)
{
	for (int attempt = 0;; attempt++) {
		struct fs_target t;
		int r = fs_open(id, &t);

		if (r < 0)
			return r;
		r = op(&t, ud);
		olve_lve_put(t.h, t.f);
		if ((r == -ENODEV || r == -ENOENT) && t.f && attempt < 2) {
			olve_lve_forget(t.h, t.id);
			continue;
		}
		return r;
	}
}

/* Write the translation of `lim` (its mask) to the LVE root of every hierarchy: the host. */
static int host_write(struct olve *h, const struct olve_limits *lim)
{
	struct olve_settings s[3] = { { 0 } };
	bool retry[64] = { false };
	int r = 0;

	for (int v = 1; v <= 2 && r >= 0; v++) {
		bool need = false;

		for (int i = 0; i < h->n_hier; i++)
			need |= h->hier[i].version == v;
		if (need)
			r = olve_limits_translate(lim, lim->mask, v, h->ncpus, NULL, 0, &s[v]);
	}
	/* two passes: v1 refuses some orders (cfs period vs quota) with EINVAL */
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		size_t k = 0;

		for (int v = 1; v <= 2 && r >= 0; v++)
			for (size_t i = 0; i < s[v].n && r >= 0; i++, k++) {
				const struct olve_setting *set = &s[v].v[i];
				int hi = olve_hier_of(h, set->ctrl), w;

				if (hi < 0 || h->hier[hi].version != v)
					continue;
				if (pass == 1 && (k >= ELEMENTSOF(retry) || !retry[k]))
					continue;
				w = ol_write_at(h->hier[hi].rootfd, set->file, set->value);
				if (w == -ENOENT && set->optional)
					w = 0;
				if (w == -EINVAL && pass == 0 && k < ELEMENTSOF(retry)) {
					retry[k] = true;
					continue;
				}
				if (k < ELEMENTSOF(retry))
					retry[k] = false;
				r = w;
			}
	}
	for (int v = 0; v < 3; v++)
		olve_settings_free(&s[v]);
	return r < 0 ? r : 0;
}

/* Apply CPU limits to the target: the LVE's limits record, or the host group. */
static int target_apply(struct fs_target *t, const struct olve_limits *lim)
{
	if (olve_hier_of(t->h, CG_CTRL_CPU) < 0)
		return -ENOSYS;
	if (t->f)
		return olve_limits_write(t->h, t->f, lim);
	return host_write(t->h, lim);
}

/* The CPU limit the kernel enforces on the target, in SPEED units (0 = none). */
static int read_speed(struct fs_target *t, uint32_t *speed)
{
	struct olve *h = t->h;
	struct olve_limits l = { 0 };
	int hi = olve_hier_of(h, CG_CTRL_CPU);
	int r;

	if (hi < 0)
		return -ENOSYS;
	if (h->hier[hi].version == 2) {
		char buf[128];

		r = ol_read_at(t->dirfd[hi], "cpu.max", buf, sizeof(buf));
		if (r < 0)
			return r;
		r = olve_limits_from_v2("cpu.max", ol_strip(buf), NULL, 0, &l);
	} else {
		/* the v1 files are those of the translation of a template; read them, convert back */
		struct olve_limits tmpl = { .mask = OLVE_L_SPEED, .speed = 10000 };
		struct olve_settings s = { 0 };
		struct cgroup_controller in = { 0 }, back = { 0 };

		in.name = back.name = (char *)"cpu";
		r = olve_limits_translate(&tmpl, OLVE_L_SPEED, 1, 1, NULL, 0, &s);
		for (size_t i = 0; i < s.n && r >= 0; i++) {
			char buf[64];

			r = ol_read_at(t->dirfd[hi], s.v[i].file, buf, sizeof(buf));
			if (r >= 0)
				r = cg_controller_put(&in, s.v[i].file, ol_strip(buf), true);
		}
		if (r >= 0)
			r = cg_convert_controller(&back, &in, CGROUP_V2);
		if (r >= 0) {
			struct cg_value *cm = cg_controller_find(&back, "cpu.max");

			r = cm ? olve_limits_from_v2("cpu.max", cm->value, NULL, 0, &l) : -EINVAL;
		}
		olve_settings_free(&s);
		cg_controller_clear(&in);
		cg_controller_clear(&back);
	}
	if (r < 0)
		return r;
	*speed = l.speed;
	return 0;
}

static int rate_of_speed(uint32_t speed)
{
	return (int)(((uint64_t)speed * FAIRSCHED_RATE_ONE_CPU + 5000) / 10000);
}

/* ------------------------------------------------------------ cpu lists */

static int cpulist_parse(const char *s, unsigned long *bm)
{
	memset(bm, 0, FS_MASK_LONGS * sizeof(unsigned long));
	while (*s && *s != '\n') {
		char *end;
		unsigned long a, b;

		errno = 0;
		a = strtoul(s, &end, 10);
		if (end == s || errno)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || errno || b < a)
				return -EINVAL;
		}
		for (unsigned long c = a; c <= b && c < FS_NR_CPUS; c++)
			bm[c / FS_BITS_PER_UL] |= 1UL << (c % FS_BITS_PER_UL);
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return 0;
}

static bool cpu_isset(const unsigned long *bm, unsigned c)
{
	return bm[c / FS_BITS_PER_UL] & (1UL << (c % FS_BITS_PER_UL));
}

static unsigned cpulist_count(const unsigned long *bm)
{
	unsigned n = 0;

	for (size_t i = 0; i < FS_MASK_LONGS; i++)
		n += (unsigned)__builtin_popcountl(bm[i]);
	return n;
}

/* "0-3,5" (malloc'd) of a non-empty bitmap. */
static char *cpulist_format(const unsigned long *bm)
{
	size_t cap = 256, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = 0;
	for (unsigned c = 0; c < FS_NR_CPUS; c++) {
		unsigned e = c;
		int n;

		if (!cpu_isset(bm, c))
			continue;
		while (e + 1 < FS_NR_CPUS && cpu_isset(bm, e + 1))
			e++;
		if (cap - len < 32) {
			char *ns = realloc(s, cap * 2);

			if (!ns) {
				free(s);
				return NULL;
			}
			s = ns;
			cap *= 2;
		}
		if (e == c)
			n = snprintf(s + len, cap - len, "%s%u", len ? "," : "", c);
		else
			n = snprintf(s + len, cap - len, "%s%u-%u", len ? "," : "", c, e);
		len += (size_t)n;
		c = e;
	}
	return s;
}

/* The name of the v2 file `v2name` on a hierarchy of `version`. */
static int file_name(const char *ctrl, const char *v2name, int version, char *buf, size_t size)
{
	if (version == 2) {
		if (strlen(v2name) >= size)
			return -ERANGE;
		strcpy(buf, v2name);
		return 0;
	}
	return compat_v1_name(ctrl, v2name, buf, size);
}

/* Effective CPUs of the group at dirfd (hierarchy hi, which has cpuset). */
static int read_effective(struct olve *h, int hi, int dirfd, unsigned long *bm)
{
	char name[64], buf[8192];
	int r;

	r = file_name("cpuset", "cpuset.cpus.effective", h->hier[hi].version, name, sizeof(name));
	if (r < 0)
		return r;
	r = ol_read_at(dirfd, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	return cpulist_parse(ol_strip(buf), bm);
}

/* CPUs the target may run on: its effective cpuset, else the online CPUs. */
static unsigned target_ncpus(struct fs_target *t)
{
	unsigned long bm[FS_MASK_LONGS];
	int hi = olve_hier_of(t->h, CG_CTRL_CPUSET);

	/* [i12] no cpuset group of its own (no CPU mask): the LVE root's CPUs */
	if (hi >= 0 && read_effective(t->h, hi, t->dirfd[hi] >= 0 ? t->dirfd[hi] : t->h->hier[hi].rootfd, bm) == 0 &&
	    cpulist_count(bm) > 0)
		return cpulist_count(bm);
	return t->h->ncpus > 0 ? (unsigned)t->h->ncpus : 1;
}

/* The host's parent group (the parent of the LVE root, same mount). */
static int host_parent(struct olve *h, int hi)
{
	struct stat a, b;
	int fd;

	if (fstat(h->hier[hi].rootfd, &a) < 0)
		return -errno;
	if (h->hier[hi].mountfd >= 0 && fstat(h->hier[hi].mountfd, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return -EINVAL; /* the LVE root is the mount's root: nothing above it to intersect with */
	fd = openat(h->hier[hi].rootfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &b) < 0 || b.st_dev != a.st_dev) {
		safe_close(fd);
		return -EXDEV;
	}
	return fd;
}

/* ------------------------------------------------------------------ API */

static int op_chwt(struct fs_target *t, void *ud)
{
	unsigned int wght = *(unsigned int *)ud;
	unsigned int units = 500000u / wght;
	struct olve_limits lim = { .mask = OLVE_L_WEIGHT };

	lim.cpu_weight = units / 10;
	if (lim.cpu_weight < 1)
		lim.cpu_weight = 1;
	if (lim.cpu_weight > 10000)
		lim.cpu_weight = 10000;
	return target_apply(t, &lim);
}

_public_ int fairsched_chwt(unsigned int id, unsigned int wght)
{
	int r = fs_check(id);

	if (r >= 0 && (wght < FSCHWEIGHT_MIN || wght > FSCHWEIGHT_MAX))
		r = -EINVAL;
	if (r >= 0)
		r = fs_run(id, op_chwt, &wght);
	return fs_ret(r < 0 ? r : 0);
}

struct rate_req {
	int op;
	unsigned int rate;
};

static int op_rate(struct fs_target *t, void *ud)
{
	struct rate_req *q = ud;
	struct olve_limits lim = { 0 };
	uint32_t speed = 0;
	int r;

	if (olve_hier_of(t->h, CG_CTRL_CPU) < 0)
		return -ENOSYS;
	switch (q->op) {
	case FAIRSCHED_SET_RATE: {
		uint64_t max = (uint64_t)FAIRSCHED_RATE_ONE_CPU * target_ncpus(t);
		uint64_t rate = q->rate > max ? max : q->rate;

		if (rate < FS_RATE_MIN)
			rate = FS_RATE_MIN;
		lim.speed = (uint32_t)((rate * 10000 + FAIRSCHED_RATE_ONE_CPU / 2) / FAIRSCHED_RATE_ONE_CPU);
		lim.mask = t->f ? OLVE_L_SPEED | OLVE_L_CPU : OLVE_L_SPEED;
		r = target_apply(t, &lim);
		if (r < 0)
			return r;
		r = read_speed(t, &speed);
		if (r < 0)
			return r;
		return speed ? rate_of_speed(speed) : -ENODATA;
	}
	case FAIRSCHED_DROP_RATE:
		lim.mask = t->f ? OLVE_L_SPEED | OLVE_L_CPU : OLVE_L_SPEED;
		return target_apply(t, &lim);
	case FAIRSCHED_GET_RATE:
		r = read_speed(t, &speed);
		if (r < 0)
			return r;
		return speed ? rate_of_speed(speed) : -ENODATA;
	}
	return -EINVAL;
}

_public_ int fairsched_rate(unsigned int id, int op, unsigned int rate)
{
	struct rate_req q = { op, rate };
	int r = fs_check(id);

	if (r >= 0 && op != FAIRSCHED_SET_RATE && op != FAIRSCHED_DROP_RATE && op != FAIRSCHED_GET_RATE)
		r = -EINVAL;
	if (r >= 0 && op == FAIRSCHED_SET_RATE && (rate < 1 || rate >= (1u << 31)))
		r = -EINVAL;
	if (r >= 0)
		r = fs_run(id, op_rate, &q);
	return fs_ret(r);
}

static int op_vcpus(struct fs_target *t, void *ud)
{
	unsigned int vcpus = *(unsigned int *)ud;
	uint32_t ncpu = vcpus == 0 || vcpus >= (unsigned)t->h->ncpus ? 0 : vcpus;
	struct olve_limits lim = { 0 };

	if (t->f) {
		lim.mask = OLVE_L_NCPU;
		lim.ncpu = ncpu;
	} else {
		lim.mask = OLVE_L_SPEED;
		lim.speed = ncpu * 10000u;
	}
	return target_apply(t, &lim);
}

_public_ int fairsched_vcpus(unsigned int id, unsigned int vcpus)
{
	int r = fs_check(id);

	if (r >= 0)
		r = fs_run(id, op_vcpus, &vcpus);
	return fs_ret(r < 0 ? r : 0);
}

struct mask_req {
	unsigned int len;
	const unsigned long *mask;
};

static int cpumask_set(struct olve_state *st, void *ud)
{
	uint64_t v = *(bool *)ud;

	if (st->cpumask == v)
		return 0;
	st->cpumask = v;
	return 1; /* write the header */
}

/* Record in the LVE's state whether a mask narrows its CPUs: entries then move into its cpuset too. */
static int cpumask_mark(int statefd, bool narrowed)
{
	return olve_state_update(statefd, cpumask_set, &narrowed);
}

static int op_cpumask(struct fs_target *t, void *ud)
{
	struct mask_req *q = ud;
	struct olve *h = t->h;
	unsigned long want[FS_MASK_LONGS] = { 0 }, parent[FS_MASK_LONGS];
	_cleanup_free_ char *list = NULL;
	_cleanup_close_ int pfd = -1;
	int hi = olve_hier_of(h, CG_CTRL_CPUSET);
	int parentfd, r;

	if (hi < 0)
		return -ENOSYS;
	if (t->f)
		parentfd = h->hier[hi].rootfd;
	else {
		pfd = host_parent(h, hi);
		if (pfd < 0)
			return pfd;
		parentfd = pfd;
	}
	r = read_effective(h, hi, parentfd, parent);
	if (r < 0)
		return r;
	/* CPUs beyond FS_NR_CPUS cannot be online: their bits are ignored */
	if (q->len > 0)
		memcpy(want, q->mask, q->len < sizeof(want) ? q->len : sizeof(want));
	for (size_t i = 0; i < FS_MASK_LONGS; i++)
		want[i] &= parent[i];
	if (cpulist_count(want) == 0)
		return -ENOSPC;
	list = cpulist_format(want);
	if (!list)
		return -ENOMEM;
	if (t->f && t->dirfd[hi] < 0) {
		/* [i12] lazy cpuset: the LVE's first valid CPU mask makes its group; fs_run retries on -ENOENT */
		r = olve_lve_cpuset_make(h, t->id);
		return r < 0 ? r : -ENOENT;
	}
	if (h->hier[hi].version == 1) {
		/* a v1 cpuset takes tasks only with mems too (LVEs get them at creation) */
		char mems[4096];

		r = ol_read_at(t->dirfd[hi], "cpuset.mems", mems, sizeof(mems));
		if (r >= 0 && !*ol_strip(mems)) {
			r = ol_read_at(parentfd, "cpuset.mems", mems, sizeof(mems));
			if (r >= 0)
				r = ol_write_at(t->dirfd[hi], "cpuset.mems", ol_strip(mems));
		}
		if (r < 0)
			return r;
	}
	r = ol_write_at(t->dirfd[hi], "cpuset.cpus", list);
	if (r >= 0 && t->f) {
		r = cpumask_mark(t->f->statefd, memcmp(want, parent, sizeof(want)) != 0);
		if (r > 0)
			r = 0;
	}
	return r;
}

_public_ int fairsched_cpumask(unsigned int id, unsigned int len, unsigned long *mask)
{
	struct mask_req q = { len, mask };
	int r = fs_check(id);

	if (r >= 0 && !mask && len > 0)
		r = -EFAULT;
	if (r >= 0)
		r = fs_run(id, op_cpumask, &q);
	return fs_ret(r < 0 ? r : 0);
}
