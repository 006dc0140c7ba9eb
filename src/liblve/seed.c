/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seed.c - the seed LVE userland API of lve-ctl.h (liblve-userland-api.txt),
 * with its exact signatures and return codes, on top of openlve's olve_*.
 *
 *   lve_is_available()   1 when LVEs can be managed here: the caller is root
 *                        (or has CAP_SYS_ADMIN) and the LVE root exists, or
 *                        does not exist yet but the cpu, memory or pids
 *                        controller is mounted. A probe: creates nothing.
 *                        0 otherwise.
 *   lve_set_default()    cpu: % of ALL cores, io: KB/s. Stored as the default
 *                        limits for LVEs created later (the "default" record
 *                        in <state_dir>/lve/, olve_defaults_set); existing
 *                        LVEs keep their limits.
 *   lve_create()         creates LVE ve_id with the default limits; an
 *                        existing LVE is not an error (0).
 *   lve_destroy()        kills its tasks and removes it; -ENOENT if absent.
 *   lve_setup()          cpu (% of all cores) and io (KB/s) of ve_id, -1 =
 *                        unchanged, other negatives -EINVAL; creates the LVE
 *                        when absent.
 *   lve_instance_init()  NULL: the size of struct liblve to allocate (> 0);
 *                        else initializes that memory (opens a handle with
 *                        OLVE_OPEN_DELEGATE: initialised as root, the
 *                        instance keeps the right to enter and leave in
 *                        children that drop privileges, see priv.c).
 *   lve_enter()          uid and gid must be (uint32_t)-1 (-EINVAL otherwise);
 *                        NULL cookie -EFAULT; see olve_enter for the rest
 *                        (-EPERM, -E2BIG, -EINVAL for id 0).
 *   lve_leave()          -ESRCH when the thread did not enter, -EINVAL for a
 *                        wrong cookie, NULL cookie -EFAULT. lve may be NULL.
 *
 * The admin functions have no instance argument: they share one
 * process-wide handle, opened on first use. Every refusal for lack of
 * privilege is -EPERM (the boundary maps -EACCES). Every negative return
 * also sets errno to its positive value (liblve_ret); success leaves errno
 * alone. The public names wrap static *_impl functions (end of file).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "cg-internal.h"
#include "lve-internal.h"
#include "lve/lve-ctl.h"
#include "macro.h"

static pthread_mutex_t g_seed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct olve *g_seed_h;

_hidden_ int liblve_err(int r)
{
	return r == -EACCES ? -EPERM : r;
}

_hidden_ int liblve_ret(int r)
{
	r = liblve_err(r);
	if (r < 0)
		errno = -r;
	return r;
}

_hidden_ int liblve_handle(struct liblve *lve, struct olve **out)
{
	int r = 0;

	if (lve) {
		if (lve->magic != LIBLVE_MAGIC || !lve->h)
			return -EINVAL;
		*out = lve->h;
		return 0;
	}
	pthread_mutex_lock(&g_seed_lock);
	if (!g_seed_h)
		r = olve_open(&g_seed_h, 0);
	if (r == 0)
		*out = g_seed_h;
	pthread_mutex_unlock(&g_seed_lock);
	return r;
}

/* Unloaded (dlclose on a web server's reload) or exiting: the process-wide handle goes too. */
__attribute__((destructor)) static void seed_fini(void)
{
	pthread_mutex_lock(&g_seed_lock);
	olve_close(g_seed_h);
	g_seed_h = NULL;
	pthread_mutex_unlock(&g_seed_lock);
}

_hidden_ int liblve_instance_setup(struct liblve *lve)
{
	struct olve *h = NULL;
	int r;

	/* web-server modules init as root, then their children drop privileges (priv.c) */
	r = olve_open(&h, OLVE_OPEN_DELEGATE);
	if (r < 0)
		return r;
	memset(lve, 0, sizeof(*lve));
	pthread_mutex_init(&lve->lock, NULL);
	lve->h = h;
	lve->magic = LIBLVE_MAGIC;
	return 0;
}

_hidden_ void liblve_instance_teardown(struct liblve *lve)
{
	lve->magic = 0;
	olve_close(lve->h);
	lve->h = NULL;
	free(lve->snap);
	lve->snap = NULL;
	lve->n_snap = lve->cap_snap = 0;
	pthread_mutex_destroy(&lve->lock);
}

_hidden_ int liblve_enter(struct liblve *lve, uint32_t id, uint32_t flags, uint32_t *cookie)
{
	struct olve *h = NULL;
	uint32_t c;
	int r;

	if (!cookie)
		return -EFAULT;
	if (id == 0)
		return -EINVAL;
	r = liblve_handle(lve, &h);
	if (r < 0)
		return liblve_err(r);
	if (lve && olve_may_enter(h) && !olve_thread_entered(NULL))
		liblve_fault_baseline(lve, id);
	r = olve_enter(h, id, flags, &c);
	if (r < 0)
		return liblve_err(r);
	*cookie = c;
	return 0;
}

_hidden_ int liblve_leave(struct liblve *lve, uint32_t *cookie)
{
	if (!cookie)
		return -EFAULT;
	if (lve && lve->magic != LIBLVE_MAGIC)
		return -EINVAL;
	return liblve_err(olve_leave(lve ? lve->h : NULL, *cookie));
}

/* ------------------------------------------------------------ seed API */

_public_ int lve_is_available(void)
{
	static const int ctrls[] = { CG_CTRL_CPU, CG_CTRL_MEMORY, CG_CTRL_PIDS };
	struct olve *h = NULL;
	bool open;
	int r;

	if (!olve_privileged())
		return 0;
	pthread_mutex_lock(&g_seed_lock);
	open = g_seed_h != NULL;
	pthread_mutex_unlock(&g_seed_lock);
	if (open)
		return 1;
	/* a probe: never create the LVE root just because a panel asked */
	r = olve_open(&h, OLVE_OPEN_NOCREATE);
	if (r == 0) {
		int ok = h->n_hier > 0;

		olve_close(h);
		return ok;
	}
	if (r != -ENOENT || cgroup_init() != 0)
		return 0;
	/* no LVE root yet: available when the controllers LVEs need are mounted */
	for (size_t i = 0; i < ELEMENTSOF(ctrls); i++)
		if (cg_ctrl_root_fd(ctrls[i], NULL) >= 0)
			return 1;
	return 0;
}

static int lve_set_default_impl(uint32_t cpu, uint32_t io)
{
	/* cpu is the default CPU limit (% of all cores): SPEED is lifted so it governs */
	struct olve_limits lim = { .mask = OLVE_L_CPU | OLVE_L_SPEED | OLVE_L_IO, .cpu_pct = cpu, .speed = 0, .io = io };
	struct olve *h = NULL;
	int r;

	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(NULL, &h);
	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_defaults_set(h, &lim));
}

static int lve_create_impl(uint32_t ve_id)
{
	struct olve_lve_fds *f;
	struct olve *h = NULL;
	int r;

	if (ve_id == 0)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(NULL, &h);
	if (r < 0)
		return liblve_err(r);
	r = olve_lve_get(h, ve_id, true, &f);
	if (r == 0)
		olve_lve_put(h, f);
	return liblve_err(r);
}

static int lve_destroy_impl(uint32_t ve_id)
{
	struct olve *h = NULL;
	int r;

	if (ve_id == 0)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	r = liblve_handle(NULL, &h);
	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_destroy(h, ve_id));
}

static int lve_setup_impl(uint32_t ve_id, int32_t cpu, int32_t io)
{
	struct olve_limits lim = { 0 };
	struct olve *h = NULL;
	int r;

	if (ve_id == 0 || cpu < -1 || io < -1)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	if (cpu >= 0) {
		/* the seed's "CPU power" is THE cpu limit of this LVE: lift SPEED
		 * (whose default, one core, would otherwise win the min()) */
		lim.mask |= OLVE_L_CPU | OLVE_L_SPEED;
		lim.cpu_pct = (uint32_t)cpu;
		lim.speed = 0;
	}
	if (io >= 0) {
		lim.mask |= OLVE_L_IO;
		lim.io = (uint32_t)io;
	}
	r = liblve_handle(NULL, &h);
	if (r < 0)
		return liblve_err(r);
	return liblve_err(olve_apply(h, ve_id, &lim));
}

static int lve_instance_init_impl(struct liblve *lve)
{
	if (!lve)
		return (int)sizeof(struct liblve);
	return liblve_err(liblve_instance_setup(lve));
}

static int lve_instance_destroy_impl(struct liblve *lve)
{
	if (!lve || lve->magic != LIBLVE_MAGIC)
		return -EINVAL;
	liblve_instance_teardown(lve);
	return 0;
}

static int lve_enter_impl(struct liblve *lve, uint32_t ve_id, uint32_t uid, uint32_t gid, uint32_t *cookie)
{
	if (!cookie)
		return -EFAULT;
	if (uid != UINT32_MAX || gid != UINT32_MAX)
		return -EINVAL;
	if (!lve)
		return -EINVAL;
	return liblve_enter(lve, ve_id, 0, cookie);
}

static int lve_leave_impl(struct liblve *lve, uint32_t *cookie)
{
	return liblve_leave(lve, cookie);
}

/* ------------------------------------------------ errno at the boundary */

_public_ int lve_set_default(uint32_t cpu, uint32_t io)
{
	return liblve_ret(lve_set_default_impl(cpu, io));
}

_public_ int lve_create(uint32_t ve_id)
{
	return liblve_ret(lve_create_impl(ve_id));
}

_public_ int lve_destroy(uint32_t ve_id)
{
	return liblve_ret(lve_destroy_impl(ve_id));
}

_public_ int lve_setup(uint32_t ve_id, int32_t cpu, int32_t io)
{
	return liblve_ret(lve_setup_impl(ve_id, cpu, io));
}

_public_ int lve_instance_init(struct liblve *lve)
{
	return lve ? liblve_ret(lve_instance_init_impl(lve)) : lve_instance_init_impl(lve);
}

_public_ int lve_instance_destroy(struct liblve *lve)
{
	return liblve_ret(lve_instance_destroy_impl(lve));
}

_public_ int lve_enter(struct liblve *lve, uint32_t ve_id, uint32_t uid, uint32_t gid, uint32_t *cookie)
{
	return liblve_ret(lve_enter_impl(lve, ve_id, uid, gid, cookie));
}

_public_ int lve_leave(struct liblve *lve, uint32_t *cookie)
{
	return liblve_ret(lve_leave_impl(lve, cookie));
}
