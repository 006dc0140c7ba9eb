/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OpenVZ's ubstat (include/lve/ubstat.h) on the real kernel, through
 * liblve.so.0: every command and buffer layout filled with the LVE's real
 * values, checked against the kernel's own files read directly (numproc
 * held = the tasks the test put in = pids.current; physpages =
 * memory.current; privvmpages = the sum of the tasks' VmSize; limits =
 * what olve_apply set), maxheld >= held >= minheld, the statistics stored
 * at a period end (maxheld/minheld of the period), the one-shot
 * notification (right signal, from the timer, once per registration,
 * period shortened by a smaller maxinterval, cancelled by signum 0),
 * calls from signal handlers and threads at once, the OpenVZ wiki's demo
 * program (tests/host/ubstat-demo.c) for a few periods, and the
 * /proc/user_beancounters renderer.
 *
 * Setup as tests/host/test-fairsched.c (compat-testenv.h). Signals are
 * waited for with sigtimedwait and generous timeouts; the only time
 * bound asserted is the lower one (a timer cannot fire early).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/time.h>

#include "compat-testenv.h"
#include "lve/openlve.h"
#include "lve/ubstat.h"

#define ULONG_UNLIMITED 9223372036854775807UL

struct full {
	ubstattime_t start_time, end_time;
	ubstatparmf_t param[UB_RESOURCES];
};

struct all {
	ubstattime_t start_time, end_time;
	ubstatparm_t param[UB_RESOURCES];
};

struct one {
	ubstattime_t start_time, end_time;
	ubstatparm_t param[1];
};

static long us(long r)
{
	return r < 0 ? -errno : r;
}

static unsigned long pagesize(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

static int lve_with(struct olve *h, uint32_t id, uint32_t nproc, uint64_t pmem, uint64_t vmem)
{
	struct olve_limits l = { .mask = OLVE_L_NPROC | OLVE_L_PMEM | OLVE_L_VMEM, .nproc = nproc, .pmem = pmem,
				 .vmem = vmem };

	return olve_apply(h, id, &l);
}

static long long kread_ll(const char *ctrl, uint32_t id, const char *file)
{
	char buf[128];

	if (cte_kread(ctrl, id, file, buf, sizeof(buf)) < 0)
		return -1;
	return atoll(buf);
}

/* "key N" of a flat-keyed kernel file of the LVE. */
static long long kread_key(const char *ctrl, uint32_t id, const char *file, const char *key)
{
	char buf[2048], *p;
	size_t kl = strlen(key);

	if (cte_kread(ctrl, id, file, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return atoll(p + kl + 1);
	return -1;
}

static long long mem_current(uint32_t id)
{
	return kread_ll("memory", id, cte_v2("memory") ? "memory.current" : "memory.usage_in_bytes");
}

static unsigned long statm_sum(const pid_t *pids, int n)
{
	unsigned long sum = 0;

	for (int i = 0; i < n; i++) {
		char path[64], buf[256];

		snprintf(path, sizeof(path), "/proc/%d/statm", (int)pids[i]);
		if (lte_read(path, buf, sizeof(buf)) > 0)
			sum += strtoul(buf, NULL, 10);
	}
	return sum;
}

static void block(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, NULL);
}

/* Wait up to `timeout` s for sig; its siginfo. 0, or -EAGAIN on timeout. */
static int wait_sig(int sig, double timeout, siginfo_t *si)
{
	sigset_t s;
	struct timespec ts = { (time_t)timeout, (long)((timeout - (double)(time_t)timeout) * 1e9) };

	sigemptyset(&s);
	sigaddset(&s, sig);
	for (;;) {
		int r = sigtimedwait(&s, si, &ts);

		if (r == sig)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -EIO;
	}
}

/* ---------------------------------------------------------------- basics */

TEST_CONCURRENT(parmnum_and_gettime)
{
	ubgettime_t t;
	unsigned char raw[sizeof(ubgettime_t)];
	struct timespec a, b;

	CTE_SETUP();
	ASSERT_EQ(ubstat(UBSTAT_UBPARMNUM, 0, NULL, NULL, 0), UB_RESOURCES);
	clock_gettime(CLOCK_MONOTONIC, &a);
	memset(&t, 0xee, sizeof(t));
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, NULL, &t, sizeof(t)), (long)sizeof(t));
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* no period has ended in this process yet */
	ASSERT_EQ(t.start_time, 0);
	ASSERT_EQ(t.end_time, 0);
	ASSERT((time_t)t.cur_time >= a.tv_sec && (time_t)t.cur_time <= b.tv_sec);
	/* a short buffer gets the first bytes */
	memset(raw, 0xee, sizeof(raw));
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, NULL, raw, 8), 8);
	ASSERT_EQ(*(unsigned long *)raw, 0);
	for (size_t i = 8; i < sizeof(raw); i++)
		ASSERT_EQ(raw[i], 0xee);
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, NULL, NULL, 0), 0);
	return 0;
}

TEST_CONCURRENT(ublist_lists_lve_ids)
{
	struct olve *h = NULL;
	unsigned long ids[16];
	unsigned char raw[16];

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	/* no LVE yet */
	ASSERT_EQ(ubstat(UBSTAT_UBLIST, 0, NULL, ids, sizeof(ids)), 0);
	ASSERT_OK(lve_with(h, 9, 0, 0, 0));
	ASSERT_OK(lve_with(h, 3, 0, 0, 0));
	ASSERT_OK(lve_with(h, 4000000000u, 0, 0, 0));
	memset(ids, 0, sizeof(ids));
	ASSERT_EQ(ubstat(UBSTAT_UBLIST, 0, NULL, ids, sizeof(ids)), 3 * (long)sizeof(unsigned long));
	ASSERT_EQ(ids[0], 3);
	ASSERT_EQ(ids[1], 9);
	ASSERT_EQ(ids[2], 4000000000UL);
	ASSERT_EQ(ids[3], 0);
	/* a short buffer gets the ids that fit, whole ones only */
	memset(raw, 0xee, sizeof(raw));
	ASSERT_EQ(ubstat(UBSTAT_UBLIST, 0, NULL, raw, 12), 8);
	ASSERT_EQ(*(unsigned long *)raw, 3);
	for (size_t i = 8; i < sizeof(raw); i++)
		ASSERT_EQ(raw[i], 0xee);
	ASSERT_EQ(ubstat(UBSTAT_UBLIST, 0, NULL, raw, 7), 0);
	ASSERT_EQ(raw[0], 3);
	ASSERT_EQ(ubstat(UBSTAT_UBLIST, 0, NULL, NULL, 0), 0);
	olve_close(h);
	return 0;
}

TEST_CONCURRENT(unknown_luid_is_enoent)
{
	struct olve *h = NULL;
	struct full f;
	unsigned char raw[sizeof(struct full)];

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 12, 0, 0, 0));
	memset(raw, 0xee, sizeof(raw));
	ASSERT_ERR(us(ubstat(UBSTAT_READ_FULL, 13, NULL, raw, sizeof(raw))), ENOENT);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ALL, 0, NULL, raw, sizeof(raw))), ENOENT);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE | 5, 1UL << 32, NULL, raw, sizeof(raw))), ENOENT);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE | 5, ULONG_MAX, NULL, raw, sizeof(raw))), ENOENT);
	for (size_t i = 0; i < sizeof(raw); i++)
		ASSERT_EQ(raw[i], 0xee);
	ASSERT(!cgtest_exists("pids", cte_grp(13)) || !cgtest_has_ctrl("pids"));
	/* watched, then destroyed: gone */
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 12, NULL, &f, sizeof(f)), (long)sizeof(f));
	ASSERT_OK(olve_destroy(h, 12));
	ASSERT_ERR(us(ubstat(UBSTAT_READ_FULL, 12, NULL, &f, sizeof(f))), ENOENT);
	/* re-created: found again */
	ASSERT_OK(lve_with(h, 12, 0, 0, 0));
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 12, NULL, &f, sizeof(f)), (long)sizeof(f));
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------------ the values */

TEST_CONCURRENT(read_full_all_one_carry_the_lve_values)
{
	struct olve *h = NULL;
	struct full f;
	struct all a;
	struct one o;
	unsigned char raw[sizeof(struct full)];
	pid_t kids[3] = { 0 };
	unsigned long ps = pagesize(), vm;
	long long m0, m1;

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 7, 50, 256ULL << 20, 1ULL << 30));
	ASSERT_OK(cte_sleepers(7, 3, kids));
	vm = statm_sum(kids, 3);
	m0 = cgtest_has_ctrl("memory") ? mem_current(7) : 0;
	memset(&f, 0xee, sizeof(f));
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 7, NULL, &f, sizeof(f)), (long)sizeof(f));
	m1 = cgtest_has_ctrl("memory") ? mem_current(7) : 0;
	ASSERT_EQ(f.start_time, 0);
	ASSERT_EQ(f.end_time, 0);

	/* numproc: the three tasks the test put in */
	ASSERT_EQ(f.param[UB_NUMPROC].held, 3);
	if (cgtest_has_ctrl("pids")) {
		ASSERT_EQ(kread_ll("pids", 7, "pids.current"), 3);
		ASSERT_EQ(f.param[UB_NUMPROC].barrier, 50);
		ASSERT_EQ(f.param[UB_NUMPROC].limit, 50);
		ASSERT_EQ(f.param[UB_NUMPROC].failcnt, 0);
	}
	/* privvmpages: their VmSize; the VMEM limit */
	ASSERT_EQ(f.param[UB_PRIVVMPAGES].held, vm);
	ASSERT_EQ(f.param[UB_PRIVVMPAGES].barrier, (1UL << 30) / ps);
	ASSERT_EQ(f.param[UB_PRIVVMPAGES].limit, (1UL << 30) / ps);
	/* physpages: memory.current; VSwap style barrier 0, limit PMEM */
	if (cgtest_has_ctrl("memory")) {
		unsigned long lo = (unsigned long)(m0 < m1 ? m0 : m1) / ps, hi = (unsigned long)(m0 < m1 ? m1 : m0) / ps;

		ASSERT(f.param[UB_PHYSPAGES].held >= lo && f.param[UB_PHYSPAGES].held <= hi);
		ASSERT_EQ(f.param[UB_PHYSPAGES].barrier, 0);
		ASSERT_EQ(f.param[UB_PHYSPAGES].limit, (256UL << 20) / ps);
		ASSERT_EQ(f.param[UB_OOMGUARPAGES].held, f.param[UB_PHYSPAGES].held);
		ASSERT_EQ(f.param[UB_OOMGUARPAGES].barrier, (256UL << 20) / ps);
		ASSERT_EQ(f.param[UB_OOMGUARPAGES].limit, ULONG_UNLIMITED);
	}
	/* unmapped resources */
	for (int r = 0; r < UB_RESOURCES; r++) {
		if (r == UB_NUMPROC || r == UB_PRIVVMPAGES || r == UB_PHYSPAGES || r == UB_OOMGUARPAGES)
			continue;
		ASSERT_EQ(f.param[r].held, 0);
		ASSERT_EQ(f.param[r].maxheld, 0);
		ASSERT_EQ(f.param[r].minheld, 0);
		ASSERT_EQ(f.param[r].barrier, ULONG_UNLIMITED);
		ASSERT_EQ(f.param[r].limit, ULONG_UNLIMITED);
		ASSERT_EQ(f.param[r].failcnt, 0);
	}
	for (int r = 0; r < UB_RESOURCES; r++) {
		ASSERT(f.param[r].maxheld >= f.param[r].held);
		ASSERT(f.param[r].held >= f.param[r].minheld);
		ASSERT_EQ(f.param[r].__unused1, 0);
		ASSERT_EQ(f.param[r].__unused2, 0);
	}

	/* READ_ALL and READ_ONE: the same stored statistics */
	ASSERT_EQ(ubstat(UBSTAT_READ_ALL, 7, NULL, &a, sizeof(a)), (long)sizeof(a));
	ASSERT_EQ(a.start_time, f.start_time);
	ASSERT_EQ(a.end_time, f.end_time);
	for (int r = 0; r < UB_RESOURCES; r++) {
		ASSERT_EQ(a.param[r].maxheld, f.param[r].maxheld);
		ASSERT_EQ(a.param[r].failcnt, f.param[r].failcnt);
	}
	for (int r = 0; r < UB_RESOURCES; r++) {
		memset(&o, 0xee, sizeof(o));
		ASSERT_EQ(ubstat(UBSTAT_READ_ONE | r, 7, NULL, &o, sizeof(o)), (long)sizeof(o));
		ASSERT_EQ(o.param[0].maxheld, f.param[r].maxheld);
		ASSERT_EQ(o.param[0].failcnt, f.param[r].failcnt);
	}
	/* a short buffer gets the first bytes of the record */
	memset(raw, 0xee, sizeof(raw));
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 7, NULL, raw, 20), 20);
	ASSERT_EQ(((struct full *)raw)->start_time, 0);
	for (size_t i = 20; i < sizeof(raw); i++)
		ASSERT_EQ(raw[i], 0xee);
	ASSERT_EQ(ubstat(UBSTAT_READ_ONE | 5, 7, NULL, raw, 0), 0);
	ASSERT_EQ(ubstat(UBSTAT_READ_ALL, 7, NULL, NULL, 0), 0);

	for (int i = 0; i < 3; i++)
		cte_kill(kids[i]);
	olve_close(h);
	return 0;
}

static int fork_until_refused(void *arg)
{
	(void)arg;
	for (int i = 0; i < 16; i++) {
		pid_t p = fork();

		if (p < 0)
			return errno == EAGAIN ? 0 : 2;
		if (p == 0) {
			pause();
			_exit(0);
		}
	}
	return 1;
}

TEST_CONCURRENT(numproc_failcnt_counts_refused_forks)
{
	struct olve *h = NULL;
	struct one o;
	long long events;

	CTE_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 8, 4, 0, 0));
	ASSERT_EQ(cgtest_run_in(cte_grp(8), fork_until_refused, NULL), 0);
	events = kread_key("pids", 8, "pids.events", "max");
	ASSERT(events >= 1);
	ASSERT_EQ(ubstat(UBSTAT_READ_ONE | UB_NUMPROC, 8, NULL, &o, sizeof(o)), (long)sizeof(o));
	ASSERT_EQ(o.param[0].failcnt, (unsigned long)events);
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------------ the period */

TEST_CONCURRENT(period_end_stores_maxheld_minheld)
{
	struct olve *h = NULL;
	ubnotifrq_t rq = { .maxinterval = 2, .signum = SIGUSR1 };
	struct full f;
	struct one o;
	siginfo_t si;
	pid_t kids[6] = { 0 };
	struct timespec now;

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 15, 0, 0, 0));
	block(SIGUSR1);
	ASSERT_OK(cte_sleepers(15, 3, kids));
	/* first read: a snapshot, and the notification in 2 s */
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 15, &rq, &f, sizeof(f)), (long)sizeof(f));
	ASSERT_EQ(f.param[UB_NUMPROC].held, 3);
	ASSERT_EQ(f.param[UB_NUMPROC].minheld, 3);
	ASSERT(f.param[UB_NUMPROC].maxheld >= 3);
	/* 5 tasks, seen by a call */
	ASSERT_OK(cte_sleepers(15, 2, kids + 3));
	ASSERT_EQ(ubstat(UBSTAT_READ_ONE | UB_NUMPROC, 15, NULL, &o, sizeof(o)), (long)sizeof(o));
	/* the stored statistics do not change within the period */
	ASSERT_EQ(o.param[0].maxheld, f.param[UB_NUMPROC].maxheld);
	/* 1 task, seen by a call */
	for (int i = 1; i < 5; i++)
		cte_kill(kids[i]);
	ASSERT_EQ(ubstat(UBSTAT_READ_ONE | UB_NUMPROC, 15, NULL, &o, sizeof(o)), (long)sizeof(o));
	/* 2 tasks at the period end */
	ASSERT_OK(cte_sleepers(15, 1, kids + 5));
	ASSERT_OK(wait_sig(SIGUSR1, 60, &si));
	ASSERT_EQ(si.si_code, SI_TIMER);
	memset(&f, 0xee, sizeof(f));
	/* read the stored statistics and schedule the next shot in one go */
	ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 15, &rq, &f, sizeof(f)), (long)sizeof(f));
	clock_gettime(CLOCK_MONOTONIC, &now);
	ASSERT_EQ(f.param[UB_NUMPROC].held, 2);
	ASSERT_EQ(f.param[UB_NUMPROC].maxheld, 5);
	ASSERT_EQ(f.param[UB_NUMPROC].minheld, 1);
	/* the first period: since 0 (like boot on OpenVZ) until its end, which has passed */
	ASSERT_EQ(f.start_time, 0);
	ASSERT(f.end_time > 0 && (time_t)f.end_time <= now.tv_sec);
	for (int r = 0; r < UB_RESOURCES; r++)
		ASSERT(f.param[r].maxheld >= f.param[r].held && f.param[r].held >= f.param[r].minheld);
	/* the next period started at held: 2 tasks all along */
	ASSERT_OK(wait_sig(SIGUSR1, 60, &si));
	{
		struct full g;

		ASSERT_EQ(ubstat(UBSTAT_READ_FULL, 15, NULL, &g, sizeof(g)), (long)sizeof(g));
		ASSERT_EQ(g.start_time, f.end_time);
		ASSERT_EQ(g.end_time - g.start_time, 2);
		ASSERT_EQ(g.param[UB_NUMPROC].held, 2);
		ASSERT_EQ(g.param[UB_NUMPROC].maxheld, 2);
		ASSERT_EQ(g.param[UB_NUMPROC].minheld, 2);
	}
	cte_kill(kids[0]);
	cte_kill(kids[5]);
	olve_close(h);
	return 0;
}

TEST_CONCURRENT(notification_once_per_registration)
{
	ubnotifrq_t rq = { .maxinterval = 2, .signum = SIGUSR2 };
	ubgettime_t t1, t2, t3;
	siginfo_t si;
	double t0, dt;
	int rt = SIGRTMIN + 1;

	CTE_SETUP();
	block(SIGUSR1);
	block(SIGUSR2);
	block(rt);
	t0 = cte_now();
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &rq, &t1, sizeof(t1)), (long)sizeof(t1));
	ASSERT_OK(wait_sig(SIGUSR2, 60, &si));
	dt = cte_now() - t0;
	ASSERT_EQ(si.si_signo, SIGUSR2);
	ASSERT_EQ(si.si_code, SI_TIMER);
	ASSERT(dt >= 1.9); /* a timer never fires early */

	/* registered again at once (as the demo's handler does), with another signal: that one */
	rq.signum = rt;
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &rq, &t2, sizeof(t2)), (long)sizeof(t2));
	ASSERT_EQ(t2.start_time, 0); /* the first period has ended */
	ASSERT(t2.end_time > 0);
	ASSERT_OK(wait_sig(rt, 60, &si));
	ASSERT_EQ(si.si_code, SI_TIMER);
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, NULL, &t3, sizeof(t3)), (long)sizeof(t3));
	/* the next period lasted exactly maxinterval, from where the first one ended */
	ASSERT_EQ(t3.start_time, t2.end_time);
	ASSERT_EQ(t3.end_time - t3.start_time, 2);
	/* each registration was dropped after its signal: no more signals */
	ASSERT_ERR(wait_sig(rt, 5, &si), EAGAIN);
	ASSERT_ERR(wait_sig(SIGUSR2, 0.01, &si), EAGAIN);
	return 0;
}

TEST_CONCURRENT(notification_cancelled_by_signum_0)
{
	ubnotifrq_t rq = { .maxinterval = 2, .signum = SIGUSR1 };
	ubgettime_t t;
	siginfo_t si;

	CTE_SETUP();
	block(SIGUSR1);
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &rq, &t, sizeof(t)), (long)sizeof(t));
	rq.signum = 0;
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &rq, &t, sizeof(t)), (long)sizeof(t));
	ASSERT_ERR(wait_sig(SIGUSR1, 6, &si), EAGAIN);
	return 0;
}

TEST_CONCURRENT(smaller_maxinterval_shortens_the_period)
{
	ubnotifrq_t slow = { .maxinterval = 1000, .signum = SIGUSR1 }, fast = { .maxinterval = 2, .signum = SIGUSR1 };
	ubgettime_t t;
	siginfo_t si;
	double t0;

	CTE_SETUP();
	block(SIGUSR1);
	t0 = cte_now();
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &slow, &t, sizeof(t)), (long)sizeof(t));
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &fast, &t, sizeof(t)), (long)sizeof(t));
	ASSERT_OK(wait_sig(SIGUSR1, 120, &si));
	ASSERT(cte_now() - t0 < 500); /* not the 1000 s asked first */
	/* a larger one later does not lengthen it */
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &fast, &t, sizeof(t)), (long)sizeof(t));
	ASSERT_EQ(ubstat(UBSTAT_GETTIME, 0, &slow, &t, sizeof(t)), (long)sizeof(t));
	ASSERT_OK(wait_sig(SIGUSR1, 120, &si));
	ASSERT(cte_now() - t0 < 500);
	return 0;
}

/* ------------------------------------------------ signal handlers, threads */

static volatile sig_atomic_t h_calls, h_fail, h_errno_changed;
static uint32_t h_luid;

static void alarm_handler(int sig)
{
	struct one o;
	int saved = errno;

	(void)sig;
	errno = EDOM;
	if (ubstat(UBSTAT_READ_ONE | UB_NUMPROC, h_luid, NULL, &o, sizeof(o)) != (long)sizeof(o))
		h_fail = h_fail + 1;
	if (errno != EDOM)
		h_errno_changed = 1;
	h_calls = h_calls + 1;
	errno = saved;
}

static void *reader_thread(void *p)
{
	long bad = 0;

	for (int i = 0; i < 300; i++) {
		struct full f;

		if (ubstat(UBSTAT_READ_FULL, h_luid, NULL, &f, sizeof(f)) != (long)sizeof(f) ||
		    f.param[UB_NUMPROC].held != 1)
			bad++;
	}
	*(long *)p = bad;
	return NULL;
}

TEST_CONCURRENT(calls_from_handlers_and_threads)
{
	struct olve *h = NULL;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = alarm_handler };
	pthread_t th;
	long bad_thread = -1, bad_main = 0;
	pid_t kid = 0;

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 16, 0, 0, 0));
	ASSERT_OK(cte_sleepers(16, 1, &kid));
	h_luid = 16;
	/* the first call outside a handler (once-per-process setup) */
	ASSERT_EQ(ubstat(UBSTAT_READ_ONE | UB_NUMPROC, 16, NULL, &(struct one){ 0 }, sizeof(struct one)), 32);
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
	ASSERT_EQ(pthread_create(&th, NULL, reader_thread, &bad_thread), 0);
	for (int i = 0; i < 300; i++) {
		struct full f;

		if (ubstat(UBSTAT_READ_FULL, 16, NULL, &f, sizeof(f)) != (long)sizeof(f) || f.param[UB_NUMPROC].held != 1)
			bad_main++;
	}
	ASSERT_EQ(pthread_join(th, NULL), 0);
	ASSERT_OK(setitimer(ITIMER_REAL, &off, NULL));
	printf("# %d calls from the SIGALRM handler\n", (int)h_calls);
	ASSERT_EQ(bad_main, 0);
	ASSERT_EQ(bad_thread, 0);
	ASSERT_EQ(h_fail, 0);
	ASSERT_EQ(h_errno_changed, 0);
	cte_kill(kid);
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------------- the demo */

static int demo_path(char *buf, size_t size)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	snprintf(buf, size, "%s/ubstat-demo", self);
	return access(buf, X_OK) == 0 ? 0 : -errno;
}

static int count_str(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

TEST_CONCURRENT(wiki_demo_runs_for_several_periods)
{
	struct olve *h = NULL;
	char path[4200], out[65536] = "", arg_id[16];
	size_t len = 0;
	pid_t kids[3] = { 0 }, pid;
	int master, status, rounds = 0;
	bool pty = true;
	double t0;

	CTE_SETUP();
	ASSERT_OK(demo_path(path, sizeof(path)));
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 17, 0, 0, 0));
	ASSERT_OK(cte_sleepers(17, 3, kids));
	snprintf(arg_id, sizeof(arg_id), "%d", 17);

	/* a terminal keeps the demo's stdout line buffered, so rounds show as they happen */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		int fds[2];

		if (master >= 0)
			close(master);
		ASSERT(pipe2(fds, O_CLOEXEC) == 0);
		master = fds[0];
		pty = false;
		pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			dup2(fds[1], 1);
			dup2(fds[1], 2);
			execl(path, path, arg_id, "2", "5", (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
	} else {
		char slave[256];

		ASSERT_EQ(ptsname_r(master, slave, sizeof(slave)), 0);
		pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0) {
			int s;

			setsid();
			s = open(slave, O_RDWR);
			if (s < 0)
				_exit(126);
			dup2(s, 1);
			dup2(s, 2);
			execl(path, path, arg_id, "2", "5", (char *)NULL);
			_exit(127);
		}
	}
	/* the first call right away, then one per 2 s period: wait for 3 rounds */
	t0 = cte_now();
	while (rounds < 3 && cte_now() - t0 < (pty ? 90 : 7)) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t k;

		if (!pty) {
			usleep(100000);
			continue;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		k = read(master, out + len, sizeof(out) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		out[len] = 0;
		rounds = count_str(out, "maxheld: ");
	}
	/* the LVE goes away: the demo's next ubstat fails and it exits(0) ("Can't set stat") */
	ASSERT_OK(olve_destroy(h, 17));
	for (t0 = cte_now(); cte_now() - t0 < 60;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		k = read(master, out + len, sizeof(out) - 1 - len);
		if (k <= 0)
			break; /* EOF / EIO: the demo closed its end */
		len += (size_t)k;
		out[len] = 0;
	}
	close(master);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	{
		static char copy[sizeof(out)];
		char *save = NULL;

		memcpy(copy, out, len + 1);
		printf("# demo output (%zu bytes):\n", len);
		for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
			printf("#   %s\n", line);
	}
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT(count_str(out, "maxheld: ") >= 3);
	ASSERT_EQ(count_str(out, "maxheld: "), count_str(out, "failcnt: "));
	ASSERT(strstr(out, "Can't set stat") != NULL);
	/* every round saw the three tasks */
	if (cgtest_has_ctrl("pids"))
		ASSERT_EQ(count_str(out, "maxheld: 3\r\n") + count_str(out, "maxheld: 3\n"), count_str(out, "maxheld: "));
	ASSERT_EQ(count_str(out, "failcnt: 0"), count_str(out, "failcnt: "));
	olve_close(h);
	return 0;
}

/* ---------------------------------------------------- /proc/user_beancounters */

TEST_CONCURRENT(beancounters_render_format)
{
	static const char head[] = "       uid  resource                     held              maxheld              "
				   "barrier                limit              failcnt";
	struct olve *h = NULL;
	char *text = NULL, *save = NULL, *line;
	pid_t kids[2] = { 0 };
	int n, lineno = 0, blocks = 0;

	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 5, 40, 128ULL << 20, 0));
	ASSERT_OK(lve_with(h, 123, 0, 0, 0));
	ASSERT_OK(cte_sleepers(5, 2, kids));
	n = olve_beancounters_render(h, &text);
	ASSERT(n > 0);
	ASSERT_EQ((size_t)n, strlen(text));
	ASSERT_EQ(text[n - 1], '\n');
	{
		const char *p = text;

		for (int i = 0; i < 10 && *p; i++) {
			const char *nl = strchr(p, '\n');

			printf("# %.*s\n", (int)(nl - p), p);
			p = nl + 1;
		}
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lineno++) {
		char uid[32], res[32];
		unsigned long held, maxheld, barrier, limit, failcnt;
		int bl;

		if (lineno == 0) {
			ASSERT_STREQ(line, "Version: 2.5");
			continue;
		}
		if (lineno == 1) {
			ASSERT_STREQ(line, head);
			continue;
		}
		bl = (lineno - 2) % UB_RESOURCES_COMPAT; /* resource 0..23 of a block */
		ASSERT_EQ(strlen(line), 10 + 2 + 12 + 5 * 21);
		if (bl == 0) {
			blocks++;
			ASSERT_EQ(sscanf(line, "%31s %31s %lu %lu %lu %lu %lu", uid, res, &held, &maxheld, &barrier,
					 &limit, &failcnt),
				  7);
			ASSERT_STREQ(uid, blocks == 1 ? "5:" : "123:");
			ASSERT_EQ(line[9], ':'); /* right-aligned in 10 columns */
		} else {
			ASSERT(!strncmp(line, "            ", 12));
			ASSERT_EQ(sscanf(line, "%31s %lu %lu %lu %lu %lu", res, &held, &maxheld, &barrier, &limit,
					 &failcnt),
				  6);
		}
		{
			static const char *const names[UB_RESOURCES_COMPAT] = {
				"kmemsize",     "lockedpages", "privvmpages",  "shmpages",   "dummy",
				"numproc",      "physpages",   "vmguarpages",  "oomguarpages", "numtcpsock",
				"numflock",     "numpty",      "numsiginfo",   "tcpsndbuf",  "tcprcvbuf",
				"othersockbuf", "dgramrcvbuf", "numothersock", "dcachesize", "numfile",
				"dummy",        "dummy",       "dummy",        "numiptent",
			};

			ASSERT_STREQ(res, names[bl]);
		}
		ASSERT(maxheld >= held);
		if (blocks == 1 && bl == UB_NUMPROC) {
			ASSERT_EQ(held, 2);
			if (cgtest_has_ctrl("pids")) {
				ASSERT_EQ(barrier, 40);
				ASSERT_EQ(limit, 40);
			}
		}
		if (blocks == 1 && bl == UB_PHYSPAGES && cgtest_has_ctrl("memory"))
			ASSERT_EQ(limit, (128UL << 20) / pagesize());
		if (blocks == 2 && bl == UB_NUMPROC)
			ASSERT_EQ(held, 0);
	}
	ASSERT_EQ(blocks, 2);
	ASSERT_EQ(lineno, 2 + 2 * UB_RESOURCES_COMPAT);
	free(text);
	ASSERT_ERR(olve_beancounters_render(NULL, &text), EINVAL);
	ASSERT_ERR(olve_beancounters_render(h, NULL), EINVAL);
	for (int i = 0; i < 2; i++)
		cte_kill(kids[i]);
	olve_close(h);
	return 0;
}

/* `lvectl ubc`: the same view from the command line. */
TEST_CONCURRENT(lvectl_ubc)
{
	struct olve *h = NULL;
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char tool[4096], out[65536];
	size_t len = 0;
	int fds[2], status;
	pid_t pid, kids[1] = { 0 };
	ssize_t k;

	snprintf(tool, sizeof(tool), "%s/src/tools/lvectl", b ? b : ".");
	if (access(tool, X_OK) < 0)
		TAP_FAIL("lvectl not built at %s", tool);
	CTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(lve_with(h, 31, 9, 0, 0));
	ASSERT_OK(cte_sleepers(31, 1, kids));
	ASSERT(pipe2(fds, O_CLOEXEC) == 0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(tool, tool, "ubc", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((k = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)k;
	close(fds[0]);
	out[len] = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strncmp(out, "Version: 2.5\n       uid  resource ", strlen("Version: 2.5\n       uid  resource ")))
		TAP_FAIL("lvectl ubc: status %d, output: %.300s", status, out);
	ASSERT(strstr(out, "       31:  kmemsize ") != NULL);
	ASSERT(strstr(out, "            numproc                         1                    1                    9"
			   "                    9                    0\n") != NULL);
	cte_kill(kids[0]);
	olve_close(h);
	return 0;
}

TAP_MAIN()
