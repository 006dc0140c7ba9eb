/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * abi1.c - the CloudLinux liblve 1.x ABI of lve-ctl.h (API version 1.3),
 * as web-server modules dlopen("liblve.so.0") and dlsym it.
 *
 *   init_lve(alloc, free)    instance from alloc(); free may be NULL (the
 *                            memory is then never released). NULL + errno.
 *   lve_enter_flags          LVE_* bits as OLVE_ENTER_* (same values); bits
 *                            unknown to 1.3 are ignored (newer callers).
 *   lve_exit                 = lve_leave; a NULL instance is fine.
 *   lve_setup_enter          applies the settings (negative = unchanged),
 *                            then enters; settings NULL: only enters.
 *   lve_check_fault          liblve_ve_fails bits seen since the previous
 *                            call of this instance for the LVE the thread
 *                            is in: MEM = VMEM faults, MEM_PHY = PMEM
 *                            faults, NPROC = NPROC faults (EP faults are
 *                            not reported: the refused entry returned
 *                            -E2BIG already). The baseline is taken the
 *                            first time the instance enters that LVE (or
 *                            at the first call). Outside an LVE: 0.
 *   is_in_lve                1 inside an LVE, 0 outside.
 *   lve_kapi_ver             6 (the /proc/lve/list format openlve serves).
 *   lve_flush(lve, all)      all != 0: destroys every LVE; all == 0: only
 *                            the LVEs without processes. Returns 0 or the
 *                            first error (it goes on with the others).
 *   lve_info                 limits in force in 1.x units + LVE_VE_DISABLE.
 *   lve_setup_flags          LVE_VE_DISABLE on/off; other bits -EINVAL.
 *   lve_enter_pid/leave_pid  olve_enter_pid / olve_leave_pid.
 *   lve_start                checks that LVEs can be managed (the LVE root
 *                            exists: the instance's handle created it).
 *
 * Units of struct liblve_settings: see lve-ctl.h (SPEED 1/100 %, memory in
 * 4 KiB pages, cpu weight 1..100 = cpu.weight with 100 the default).
 *
 * errno: every function returning a negative error also sets errno to its
 * positive value (modules decide on errno: EPERM "already inside" serves the
 * request outside any LVE); success leaves errno alone. The public names are
 * thin wrappers at the end of the file around static *_impl functions.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lve-internal.h"
#include "lve/lve-ctl.h"
#include "macro.h"

#define PAGE_4K 4096ull
#define LVE_ENTER_FLAGS_1_3 (LVE_NO_UBC | LVE_NO_NAMESPACE | LVE_NO_MAXENTER | LVE_SILENCE)

_Static_assert(OLVE_ENTER_NO_UBC == LVE_NO_UBC && OLVE_ENTER_NO_NAMESPACE == LVE_NO_NAMESPACE &&
		       OLVE_ENTER_NO_MAXENTER == LVE_NO_MAXENTER && OLVE_ENTER_SILENCE == LVE_SILENCE,
	       "enter flags must keep CloudLinux values");

/* ------------------------------------------------------------ faults */

/* Under lve->lock: index of id in lve->snap, or -(insertion point) - 1. */
static long snap_find(const struct liblve *lve, uint32_t id)
{
	size_t lo = 0, hi = lve->n_snap;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (lve->snap[mid].id == id)
			return (long)mid;
		if (lve->snap[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

/* Under lve->lock. */
static int snap_insert(struct liblve *lve, long pos, const struct liblve_fault_snap *s)
{
	size_t at = (size_t)(-pos - 1);

	if (lve->n_snap == lve->cap_snap) {
		size_t ncap = lve->cap_snap ? lve->cap_snap * 2 : 8;
		struct liblve_fault_snap *n = realloc(lve->snap, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		lve->snap = n;
		lve->cap_snap = ncap;
	}
	memmove(&lve->snap[at + 1], &lve->snap[at], (lve->n_snap - at) * sizeof(*s));
	lve->snap[at] = *s;
	lve->n_snap++;
	return 0;
}

static int usage_snap(struct olve *h, uint32_t id, struct liblve_fault_snap *out)
{
	struct olve_usage u;
	int r = olve_usage(h, id, &u);

	if (r == -ENOENT) {
		memset(&u, 0, sizeof(u));
		r = 0;
	}
	if (r < 0)
		return r;
	*out = (struct liblve_fault_snap){ .id = id, .vmem = u.fault_vmem, .pmem = u.fault_pmem, .nproc = u.fault_nproc };
	return 0;
}

_hidden_ void liblve_fault_baseline(struct liblve *lve, uint32_t id)
{
	struct liblve_fault_snap s;
	bool known;

	pthread_mutex_lock(&lve->lock);
	known = snap_find(lve, id) >= 0;
	pthread_mutex_unlock(&lve->lock);
	if (known || usage_snap(lve->h, id, &s) < 0)
		return;
	pthread_mutex_lock(&lve->lock);
	{
		long pos = snap_find(lve, id);

		if (pos < 0)
			(void)snap_insert(lve, pos, &s);
	}
	pthread_mutex_unlock(&lve->lock);
}

static int lve_check_fault_impl(struct liblve *lve, uint32_t *failmask)
{
	struct liblve_fault_snap now;
	struct olve *h = NULL;
	uint32_t id = 0, mask = 0;
	long pos;
	int r;

	if (!failmask)
		return -EFAULT;
	r = liblve_handle(lve, &h);
	if (r < 0 || !lve)
		return r < 0 ? liblve_err(r) : -EINVAL;
	if (!olve_thread_entered(&id)) {
		r = olve_current(h, &id);
		if (r < 0)
			return liblve_err(r);
	}
	if (id == 0) {
		*failmask = 0;
		return 0;
	}
	r = usage_snap(h, id, &now);
	if (r < 0)
		return liblve_err(r);
	pthread_mutex_lock(&lve->lock);
	pos = snap_find(lve, id);
	if (pos >= 0) {
		struct liblve_fault_snap *old = &lve->snap[pos];

		if (now.vmem > old->vmem)
			mask |= LVE_FAIL_MEM;
		if (now.pmem > old->pmem)
			mask |= LVE_FAIL_MEM_PHY;
		if (now.nproc > old->nproc)
			mask |= LVE_FAIL_NPROC;
		*old = now;
		r = 0;
	} else {
		r = snap_insert(lve, pos, &now);
	}
	pthread_mutex_unlock(&lve->lock);
	if (r < 0)
		return r;
	*failmask = mask;
	return 0;
}

/* -------------------------------------------------------- settings */

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)v;
}

static int32_t to_i32(uint64_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* 1.x settings (negative = leave unchanged) -> olve_limits with the given fields in mask. */
static void settings_to_limits(const struct liblve_settings *s, struct olve_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	if (s->ls_cpu >= 0) {
		lim->mask |= OLVE_L_SPEED;
		lim->speed = clamp_u32(s->ls_cpu);
	}
	if (s->ls_cpus >= 0) {
		lim->mask |= OLVE_L_NCPU;
		lim->ncpu = clamp_u32(s->ls_cpus);
	}
	if (s->ls_io >= 0) {
		lim->mask |= OLVE_L_IO;
		lim->io = clamp_u32(s->ls_io);
	}
	if (s->ls_enters >= 0) {
		lim->mask |= OLVE_L_EP;
		lim->ep = clamp_u32(s->ls_enters);
	}
	if (s->ls_memory >= 0) {
		lim->mask |= OLVE_L_VMEM;
		lim->vmem = (uint64_t)s->ls_memory * PAGE_4K;
	}
	if (s->ls_cpu_weight >= 0) {
		lim->mask |= OLVE_L_WEIGHT;
		lim->cpu_weight = clamp_u32(s->ls_cpu_weight);
	}
	if (s->ls_memory_phy >= 0) {
		lim->mask |= OLVE_L_PMEM;
		lim->pmem = (uint64_t)s->ls_memory_phy * PAGE_4K;
	}
	if (s->ls_nproc >= 0) {
		lim->mask |= OLVE_L_NPROC;
		lim->nproc = clamp_u32(s->ls_nproc);
	}
	if (s->ls_iops >= 0) {
		lim->mask |= OLVE_L_IOPS;
		lim->iops = clamp_u32(s->ls_iops);
	}
}

static void limits_to_settings(const struct olve_limits *lim, struct liblve_settings *s)
{
	s->ls_cpu = to_i32(lim->speed);
	s->ls_cpus = to_i32(lim->ncpu);
	s->ls_io = to_i32(lim->io);
	s->ls_enters = to_i32(lim->ep);
	s->ls_memory = to_i32(lim->vmem / PAGE_4K);
	s->ls_cpu_weight = lim->cpu_weight ? to_i32(lim->cpu_weight) : 100;
	s->ls_memory_phy = to_i32(lim->pmem / PAGE_4K);
	s->ls_nproc = to_i32(lim->nproc);
	s->ls_iops = to_i32(lim->iops);
}

/* ------------------------------------------------------------ the ABI */

_public_ struct liblve *init_lve(liblve_alloc alloc, liblve_free free_fn)
{
	struct liblve *lve;
	int r;

	if (!alloc) {
		errno = EINVAL;
		return NULL;
	}
	lve = alloc(sizeof(*lve));
	if (!lve) {
		errno = ENOMEM;
		return NULL;
	}
	r = liblve_instance_setup(lve);
	if (r < 0) {
		if (free_fn)
			free_fn(lve);
		errno = -liblve_err(r);
		return NULL;
	}
	lve->free_fn = free_fn;
	return lve;
}

static int destroy_lve_impl(struct liblve *lve)
{
	void (*free_fn)(void *);

	if (!lve || lve->magic != LIBLVE_MAGIC)
		return -EINVAL;
	free_fn = lve->free_fn;
	liblve_instance_teardown(lve);
	if (free_fn)
		free_fn(lve);
	return 0;
}

static int lve_enter_flags_impl(struct liblve *lve, uint32_t lve_id, uint32_t *cookie,
				enum liblve_enter_flags flags)
{
	return liblve_enter(lve, lve_id, (uint32_t)flags & LVE_ENTER_FLAGS_1_3, cookie);
}

static int lve_exit_impl(struct liblve *lve, uint32_t *cookie)
{
	return liblve_leave(lve, cookie);
}

static int lve_setup_enter_impl(struct liblve *lve, uint32_t ve_id, struct liblve_settings *set,
				uint32_t *cookie, enum liblve_enter_flags flags)
{
	struct olve *h = NULL;
	int r;

	if (!cookie)
		return -EFAULT;
	if (ve_id == 0)
		return -EINVAL;
	if (set) {
		struct olve_limits lim;

		if (!olve_privileged())
			return -EPERM;
		r = liblve_handle(lve, &h);
		if (r < 0)
			return liblve_err(r);
		settings_to_limits(set, &lim);
		r = olve_apply(h, ve_id, &lim);
		if (r < 0)
			return liblve_err(r);
	}
	return lve_enter_flags_impl(lve, ve_id, cookie, flags);
}

static int is_in_lve_impl(struct liblve *lve)
{
	struct olve *h = NULL;
	uint32_t id;
	int r;

	if (olve_thread_entered(NULL))
		return 1;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	r = olve_current(h, &id);
	if (r < 0)
		return liblve_err(r);
	return id != 0;
}

_public_ uint32_t lve_get_api_version(void)
{
	return (LIBLVE_API_MAJOR << 16) | LIBLVE_API_MINOR;
}

_public_ uint32_t lve_kapi_ver(struct liblve *lve)
{
	(void)lve;
	return 6;
}

static int lve_flush_impl(struct liblve *lve, int all)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct olve *h = NULL;
	int n, r, ret = 0;

	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	n = olve_list(h, &ids);
	if (n < 0)
		return liblve_err(n);
	for (int i = 0; i < n; i++) {
		if (!all) {
			struct olve_usage u;

			if (olve_usage(h, ids[i], &u) < 0 || u.nproc > 0)
				continue;
		}
		r = olve_destroy(h, ids[i]);
		if (r < 0 && r != -ENOENT && !ret)
			ret = r;
	}
	return liblve_err(ret);
}

static int lve_info_impl(struct liblve *lve, uint32_t ve_id, struct liblve_info *info)
{
	struct olve_limits lim;
	struct olve *h = NULL;
	uint32_t flags;
	int r;

	if (!info)
		return -EFAULT;
	if (ve_id == 0)
		return -EINVAL;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	r = olve_get_limits(h, ve_id, &lim);
	if (r < 0)
		return liblve_err(r);
	r = olve_get_flags(h, ve_id, &flags);
	if (r < 0)
		return liblve_err(r);
	limits_to_settings(&lim, &info->li_set);
	info->li_flags = (flags & OLVE_F_DISABLED) ? LVE_VE_DISABLE : 0;
	return 0;
}

static int lve_setup_flags_impl(struct liblve *lve, uint32_t ve_id, enum liblve_ve_flags flags)
{
	struct olve *h = NULL;
	int r;

	if (ve_id == 0 || ((uint32_t)flags & ~(uint32_t)LVE_VE_DISABLE))
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_set_flags(h, ve_id, (flags & LVE_VE_DISABLE) ? OLVE_F_DISABLED : 0));
}

static int lve_enter_pid_impl(struct liblve *lve, uint32_t ve_id, pid_t pid)
{
	struct olve *h = NULL;
	int r = liblve_handle(lve, &h);

	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_enter_pid(h, ve_id, pid));
}

static int lve_leave_pid_impl(struct liblve *lve, pid_t pid)
{
	struct olve *h = NULL;
	int r = liblve_handle(lve, &h);

	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_leave_pid(h, pid));
}

static int lve_start_impl(struct liblve *lve)
{
	struct olve *h = NULL;
	int r;

	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	return h->n_hier > 0 ? 0 : -ENODEV;
}

/* ------------------------------------------------ errno at the boundary */

_public_ int lve_check_fault(struct liblve *lve, uint32_t *failmask)
{
	return liblve_ret(lve_check_fault_impl(lve, failmask));
}

_public_ int destroy_lve(struct liblve *lve)
{
	return liblve_ret(destroy_lve_impl(lve));
}

_public_ int lve_enter_flags(struct liblve *lve, uint32_t lve_id, uint32_t *cookie,
			     enum liblve_enter_flags flags)
{
	return liblve_ret(lve_enter_flags_impl(lve, lve_id, cookie, flags));
}

_public_ int lve_exit(struct liblve *lve, uint32_t *cookie)
{
	return liblve_ret(lve_exit_impl(lve, cookie));
}

_public_ int lve_setup_enter(struct liblve *lve, uint32_t ve_id, struct liblve_settings *set, uint32_t *cookie,
			     enum liblve_enter_flags flags)
{
	return liblve_ret(lve_setup_enter_impl(lve, ve_id, set, cookie, flags));
}

_public_ int is_in_lve(struct liblve *lve)
{
	return liblve_ret(is_in_lve_impl(lve));
}

_public_ int lve_flush(struct liblve *lve, int all)
{
	return liblve_ret(lve_flush_impl(lve, all));
}

_public_ int lve_info(struct liblve *lve, uint32_t ve_id, struct liblve_info *info)
{
	return liblve_ret(lve_info_impl(lve, ve_id, info));
}

_public_ int lve_setup_flags(struct liblve *lve, uint32_t ve_id, enum liblve_ve_flags flags)
{
	return liblve_ret(lve_setup_flags_impl(lve, ve_id, flags));
}

_public_ int lve_enter_pid(struct liblve *lve, uint32_t ve_id, pid_t pid)
{
	return liblve_ret(lve_enter_pid_impl(lve, ve_id, pid));
}

_public_ int lve_leave_pid(struct liblve *lve, pid_t pid)
{
	return liblve_ret(lve_leave_pid_impl(lve, pid));
}

_public_ int lve_start(struct liblve *lve)
{
	return liblve_ret(lve_start_impl(lve));
}
