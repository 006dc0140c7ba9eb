/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ubstat.c - OpenVZ's ubstat system call (openvz-ubstat-syscall.txt) on
 * LVE ids, as a library function of liblve.so.0. Beancounter values come
 * from beancounters.c (mapping documented there and in ubstat(3)).
 *
 * There is no kernel part: the statistics period and the notification are
 * kept IN THE CALLING PROCESS, following OpenVZ's kernel/bc/statd.c:
 *   - one period clock per process: it ends at `next_end`; a request with
 *     maxinterval shorter than the time left pulls the end in to now +
 *     maxinterval; when a period ends the next one lasts the smallest
 *     maxinterval requested during the period that ended (none requested:
 *     the clock stops until the next request);
 *   - at a period end (noticed at the next ubstat call of the process) the
 *     statistics of every LVE this process watches are stored (what the
 *     READ commands return, with the period's start_time/end_time) and
 *     minheld = maxheld = held restart; held is sampled at that moment;
 *   - maxheld/minheld of the running period are the extremes of the values
 *     sampled at every ubstat call and period end, and of the kernel peak
 *     where it can be restarted per period (cgroup v2 memory.peak opened
 *     for per-fd reset, kernel 6.12+). The first read of an LVE returns a
 *     snapshot (maxheld = the kernel's lifetime peak where there is one);
 *   - the notification: one registration per process (a later request
 *     replaces it; signum 0 cancels it); a POSIX timer (CLOCK_MONOTONIC,
 *     SIGEV_SIGNAL with the requested signal, process-directed) fires at
 *     the period end; the registration is then dropped: the signal comes
 *     once. The next call with notif re-registers (stats read and next
 *     shot scheduled in one go, as in the demo's signal handler).
 *   - times are seconds of CLOCK_MONOTONIC (OpenVZ: jiffies since boot);
 *     before the first period end start_time = end_time = 0.
 *   - up to UBS_MAX_LVES LVEs are watched at once (the least recently read
 *     one is forgotten).
 *
 * Async-signal-safety: READ_ONE, READ_ALL, READ_FULL and GETTIME use no
 * malloc, stdio or locks an interrupted thread may hold: all signals are
 * blocked while the state is used and threads exclude each other with a
 * spin lock; files are read with open/pread into stack buffers; the timer
 * is re-armed with timer_settime (and timer_create/timer_delete, which
 * glibc implements as plain system calls for SIGEV_SIGNAL, only when the
 * signal number changes). Once-per-process setup (liblve handle, names of
 * v1 files) needs one earlier call outside a signal handler; UBLIST and
 * UBPARMNUM are not async-signal-safe (UBLIST allocates). errno is kept
 * on success.
 *
 * Deviations from the system call, documented in ubstat(3): an unknown
 * luid is ENOENT (the kernel said ESRCH); notif may be NULL (no change to
 * the registration; the kernel failed with EFAULT); UBLIST writes whole
 * ids only; func bits outside the command and resource id are EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat-internal.h"

#define UBS_MAX_LVES 32
#define NSEC 1000000000LL
#define UBS_NEVER INT64_MAX
/* OpenVZ's TIME_MAX_SEC is LONG_MAX / HZ; ours: what fits in nanoseconds */
#define UBS_TIME_MAX_SEC (INT64_MAX / NSEC / 2)

struct ubs_ent {
	bool used;
	uint64_t lru;
	struct ubc_lve l;
	ubstatparmf_t store[UB_RESOURCES]; /* the last period's statistics */
	unsigned long acc_max[UB_RESOURCES], acc_min[UB_RESOURCES];
};

static struct {
	pid_t pid; /* owner of the timer and fds (a forked child starts over) */
	struct olve *h;
	struct ubc_names names;
	int procfd;
	unsigned long pagesize;
	int64_t next_end;  /* CLOCK_MONOTONIC ns of the period end, UBS_NEVER: stopped */
	long min_interval; /* smallest maxinterval requested this period, 0: none */
	ubstattime_t start_time, end_time;
	int reg_signum; /* the registration: 0 none */
	bool timer_ok;
	int timer_signo;
	timer_t timer;
	uint64_t lru_clock;
	struct ubs_ent ent[UBS_MAX_LVES];
} g;

static atomic_flag g_lock = ATOMIC_FLAG_INIT;
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool g_ready, g_have_h;

/* ------------------------------------------------------------------ init */

/* Once per process, outside signal handlers; the handle again until the LVE root exists. */
static int ubs_init(bool need_handle)
{
	int r = 0;

	if (atomic_load_explicit(&g_ready, memory_order_acquire) &&
	    (!need_handle || atomic_load_explicit(&g_have_h, memory_order_acquire)))
		return 0;
	pthread_mutex_lock(&g_init_lock);
	if (!atomic_load_explicit(&g_ready, memory_order_relaxed)) {
		long ps = sysconf(_SC_PAGESIZE);

		r = ubc_names_init(&g.names);
		if (r >= 0) {
			g.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			g.pagesize = ps > 0 ? (unsigned long)ps : 4096;
			g.next_end = UBS_NEVER;
			g.pid = getpid();
			atomic_store_explicit(&g_ready, true, memory_order_release);
		}
	}
	if (r >= 0 && need_handle && !atomic_load_explicit(&g_have_h, memory_order_relaxed)) {
		struct olve *h = NULL;

		/* read-only use: never create the LVE root or state dir */
		r = olve_open(&h, OLVE_OPEN_NOCREATE);
		if (r >= 0) {
			g.h = h;
			atomic_store_explicit(&g_have_h, true, memory_order_release);
		}
	}
	pthread_mutex_unlock(&g_init_lock);
	return r < 0 ? r : 0;
}

static void ubs_lock(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
	while (atomic_flag_test_and_set_explicit(&g_lock, memory_order_acquire))
		sched_yield();
}

static void ubs_unlock(const sigset_t *old)
{
	atomic_flag_clear_explicit(&g_lock, memory_order_release);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static int64_t add_sec(int64_t t, long sec)
{
	if (sec >= (UBS_NEVER - t) / NSEC)
		return UBS_NEVER;
	return t + (int64_t)sec * NSEC;
}

static void ent_drop(struct ubs_ent *e)
{
	ubc_lve_close(&e->l);
	e->used = false;
}

/* A forked child has no timer and shares the parent's fds: it starts without registration and LVEs. */
static void ubs_fork_check(void)
{
	pid_t pid = getpid();

	if (pid == g.pid)
		return;
	g.pid = pid;
	g.reg_signum = 0;
	g.timer_ok = false; /* timers are not inherited */
	for (int i = 0; i < UBS_MAX_LVES; i++)
		if (g.ent[i].used)
			ent_drop(&g.ent[i]);
}

/* ------------------------------------------------------------- the timer */

/* A timer that sends `signum` (created or re-created when the signal changes). */
static int timer_ensure(int signum)
{
	struct sigevent sev;

	if (g.timer_ok && g.timer_signo == signum)
		return 0;
	if (g.timer_ok) {
		timer_delete(g.timer);
		g.timer_ok = false;
	}
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = signum;
	if (timer_create(CLOCK_MONOTONIC, &sev, &g.timer) < 0)
		return -errno;
	g.timer_ok = true;
	g.timer_signo = signum;
	return 0;
}

/* Arm the timer for the period end when registered, disarm it otherwise. */
static int timer_arm(void)
{
	struct itimerspec its = { 0 };
	int r;

	if (!g.reg_signum) {
		if (g.timer_ok)
			timer_settime(g.timer, 0, &its, NULL);
		return 0;
	}
	r = timer_ensure(g.reg_signum);
	if (r < 0)
		return r;
	if (g.next_end != UBS_NEVER) {
		its.it_value.tv_sec = (time_t)(g.next_end / NSEC);
		its.it_value.tv_nsec = (long)(g.next_end % NSEC);
	}
	if (timer_settime(g.timer, TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	return 0;
}

/* ----------------------------------------------------------- statistics */

static void acc_sample(struct ubs_ent *e, const struct ubc_val *v)
{
	for (int r = 0; r < UB_RESOURCES; r++) {
		unsigned long hi = v[r].held;

		if (v[r].has_peak && !v[r].peak_lifetime && v[r].peak > hi)
			hi = v[r].peak;
		if (hi > e->acc_max[r])
			e->acc_max[r] = hi;
		if (v[r].held < e->acc_min[r])
			e->acc_min[r] = v[r].held;
	}
}

/* Store `v` as the statistics of a period; the next one starts at held. */
static void store_period(struct ubs_ent *e, const struct ubc_val *v, bool first)
{
	for (int r = 0; r < UB_RESOURCES; r++) {
		ubstatparmf_t *p = &e->store[r];
		unsigned long maxheld = v[r].held;

		if (first && v[r].has_peak && v[r].peak > maxheld)
			maxheld = v[r].peak; /* a snapshot: the kernel's peak so far */
		*p = (ubstatparmf_t){
			.barrier = v[r].barrier,
			.limit = v[r].limit,
			.held = v[r].held,
			.maxheld = first ? maxheld : e->acc_max[r],
			.minheld = first ? v[r].held : e->acc_min[r],
			.failcnt = v[r].failcnt,
		};
		e->acc_max[r] = e->acc_min[r] = v[r].held;
	}
	ubc_peak_reset(&e->l);
}

/* (Re)open e for id and take the first snapshot. */
static int ent_open(struct ubs_ent *e, uint32_t id)
{
	struct ubc_val v[UB_RESOURCES];
	int r;

	r = ubc_lve_open(g.h, &g.names, id, true, &e->l);
	if (r < 0)
		return r;
	r = ubc_sample(&e->l, g.procfd, g.pagesize, v);
	if (r < 0) {
		ubc_lve_close(&e->l);
		return r;
	}
	e->used = true;
	e->lru = ++g.lru_clock;
	store_period(e, v, true);
	return 0;
}

/* Sample a watched LVE; a group gone (or re-created) is reopened once. `store`: a period ended. */
static int ent_update(struct ubs_ent *e, bool store)
{
	struct ubc_val v[UB_RESOURCES];
	uint32_t id = e->l.id;
	int r = ubc_sample(&e->l, g.procfd, g.pagesize, v);

	if (r == -ENOENT) {
		ent_drop(e);
		return ent_open(e, id);
	}
	if (r < 0)
		return r;
	acc_sample(e, v);
	if (store)
		store_period(e, v, false);
	return 0;
}

static int ent_get(uint32_t id, struct ubs_ent **out)
{
	struct ubs_ent *victim = NULL;
	int r;

	for (int i = 0; i < UBS_MAX_LVES; i++) {
		struct ubs_ent *e = &g.ent[i];

		if (e->used && e->l.id == id) {
			r = ent_update(e, false);
			if (r < 0)
				return r;
			e->lru = ++g.lru_clock;
			*out = e;
			return 0;
		}
		if (!e->used) {
			if (!victim || victim->used)
				victim = e;
		} else if (!victim || (victim->used && e->lru < victim->lru))
			victim = e;
	}
	if (victim->used)
		ent_drop(victim);
	r = ent_open(victim, id);
	if (r < 0)
		return r;
	*out = victim;
	return 0;
}

/*
 * Run the period clock up to now. When a period ended: the registered
 * signal is due exactly once (the timer sent it, or is disarmed here
 * before it could and the signal is sent now), the registration is
 * dropped, and every watched LVE's statistics are stored.
 */
static void advance(int64_t now)
{
	bool ended = false;

	while (g.next_end != UBS_NEVER && now >= g.next_end) {
		g.start_time = g.end_time;
		g.end_time = (ubstattime_t)(g.next_end / NSEC);
		g.next_end = g.min_interval ? add_sec(g.next_end, g.min_interval) : UBS_NEVER;
		g.min_interval = 0;
		ended = true;
	}
	if (!ended)
		return;
	if (g.reg_signum) {
		struct itimerspec zero = { 0 }, old = { 0 };

		if (!g.timer_ok ||
		    (timer_settime(g.timer, 0, &zero, &old) == 0 && (old.it_value.tv_sec || old.it_value.tv_nsec)))
			kill(getpid(), g.reg_signum);
		g.reg_signum = 0;
	}
	for (int i = 0; i < UBS_MAX_LVES; i++)
		if (g.ent[i].used && ent_update(&g.ent[i], true) < 0)
			ent_drop(&g.ent[i]);
}

/* A notification request (validated): shorten the period, (re)register. */
static int request(int64_t now, const ubnotifrq_t *rq)
{
	long mi = rq->maxinterval > UBS_TIME_MAX_SEC ? UBS_TIME_MAX_SEC : rq->maxinterval;

	if (!g.min_interval || mi < g.min_interval) {
		g.min_interval = mi;
		if (g.next_end == UBS_NEVER || g.next_end - now > (int64_t)mi * NSEC)
			g.next_end = add_sec(now, mi);
	}
	g.reg_signum = rq->signum;
	return timer_arm();
}

/* ------------------------------------------------------------- commands */

static long copy_out(void *buf, int size, const void *data, size_t len)
{
	size_t n = len < (size_t)size ? len : (size_t)size;

	if (n)
		memcpy(buf, data, n);
	return (long)n;
}

static long do_read(int cmd, int parm, uint32_t id, void *buf, int size)
{
	union {
		struct {
			ubstattime_t start_time, end_time;
			ubstatparm_t param[UB_RESOURCES];
		} all;
		struct {
			ubstattime_t start_time, end_time;
			ubstatparmf_t param[UB_RESOURCES];
		} full;
	} out;
	struct ubs_ent *e;
	size_t len;
	int r;

	if (!g.h)
		return -ENOENT;
	r = ent_get(id, &e);
	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	if (cmd == UBSTAT_READ_FULL) {
		out.full.start_time = g.start_time;
		out.full.end_time = g.end_time;
		for (int i = 0; i < UB_RESOURCES; i++) {
			out.full.param[i] = e->store[i];
			out.full.param[i].__unused1 = out.full.param[i].__unused2 = 0;
		}
		len = sizeof(out.full);
	} else {
		int first = cmd == UBSTAT_READ_ONE ? parm : 0;
		int n = cmd == UBSTAT_READ_ONE ? 1 : UB_RESOURCES;

		out.all.start_time = g.start_time;
		out.all.end_time = g.end_time;
		for (int i = 0; i < n; i++) {
			out.all.param[i].maxheld = e->store[first + i].maxheld;
			out.all.param[i].failcnt = e->store[first + i].failcnt;
		}
		len = 2 * sizeof(ubstattime_t) + (size_t)n * sizeof(ubstatparm_t);
	}
	return copy_out(buf, size, &out, len);
}

static long do_ublist(void *buf, int size)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t room = (size_t)size / sizeof(unsigned long), n;
	int cnt, r;

	r = ubs_init(true);
	if (r == -ENOENT)
		return 0; /* no LVE root yet: no LVEs */
	if (r < 0)
		return r;
	cnt = olve_list(g.h, &ids);
	if (cnt < 0)
		return cnt;
	n = (size_t)cnt < room ? (size_t)cnt : room;
	for (size_t i = 0; i < n; i++) {
		unsigned long v = ids[i];

		memcpy((char *)buf + i * sizeof(v), &v, sizeof(v));
	}
	return (long)(n * sizeof(unsigned long));
}

static bool signum_valid(int s)
{
	if (s < 0 || s > SIGRTMAX)
		return false;
	/* glibc keeps the signals between 31 and SIGRTMIN for itself */
	return s <= 31 || s >= SIGRTMIN;
}

static long do_ubstat(int func, unsigned long luid, const ubnotifrq_t *rq, void *buf, int size)
{
	int cmd = UBSTAT_CMD(func), parm = UBSTAT_PARMID(func);
	sigset_t old;
	int64_t now;
	long ret;
	int r;

	if (func == UBSTAT_UBPARMNUM)
		return UB_RESOURCES;
	if ((unsigned)func & ~0xFFFFFu)
		return -EINVAL;
	switch (cmd) {
	case UBSTAT_READ_ONE:
		if (parm >= UB_RESOURCES)
			return -EINVAL;
		break;
	case UBSTAT_READ_ALL:
	case UBSTAT_READ_FULL:
	case UBSTAT_UBLIST:
	case UBSTAT_GETTIME:
		if (parm)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (size < 0)
		return -EINVAL;
	if (!buf && size > 0)
		return -EFAULT;
	if (cmd == UBSTAT_UBLIST)
		return do_ublist(buf, size);
	if (rq && (rq->maxinterval <= 1 || !signum_valid(rq->signum)))
		return -EINVAL;

	r = ubs_init(cmd != UBSTAT_GETTIME);
	if (r == -ENOENT && cmd == UBSTAT_GETTIME)
		r = 0;
	if (r < 0)
		return r;
	ubs_lock(&old);
	ubs_fork_check();
	/* the timer a request needs exists before anything is read: a failure writes nothing */
	if (rq && rq->signum) {
		r = timer_ensure(rq->signum);
		if (r < 0) {
			ubs_unlock(&old);
			return r;
		}
	}
	now = now_ns();
	advance(now);
	if (cmd == UBSTAT_GETTIME) {
		ubgettime_t t = { g.start_time, g.end_time, (ubstattime_t)(now / NSEC) };

		ret = copy_out(buf, size, &t, sizeof(t));
	} else if (luid == 0 || luid > UINT32_MAX)
		ret = -ENOENT;
	else
		ret = do_read(cmd, parm, (uint32_t)luid, buf, size);
	if (ret >= 0 && rq) {
		r = request(now, rq);
		if (r < 0)
			ret = r;
	}
	ubs_unlock(&old);
	return ret;
}

_public_ long ubstat(int func, unsigned long luid, ubstat_notif_t notif, void *buf, int size)
{
	int saved = errno;
	long r = do_ubstat(func, luid, notif.rq, buf, size);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	errno = saved;
	return r;
}
