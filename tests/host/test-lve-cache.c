/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lve-cache - liblve's per-handle LVE fd cache (src/liblve/lve.c) on
 * the real kernel: it is bounded (fd_cache_size in openlve.conf, a quarter
 * of RLIMIT_NOFILE) and reference counted (an entry's fds stay open while
 * anyone holds it, whatever other threads forget, evict or destroy).
 *
 * Linked statically against liblve's internals (olve_lve_get / put /
 * forget are hidden); the public API comes from the same objects. Every
 * worker runs in the test's own "home" group (lve-testenv.h); nothing
 * outside the random test root is touched.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "cg-internal.h"
#include "lve-internal.h"
#include "lve-testenv.h"
#include "lve/openlve.h"

static bool mode_v2(void)
{
	return cgtest_mode() == CGROUP_MODE_UNIFIED;
}

/* Open fds of this process (the directory stream's own fd included: constant). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Open fds whose target's path contains `what` (e.g. LVE cgroup dirs and tasks files). */
static int count_fds_to(const char *what)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char target[4096];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (strstr(target, what))
			n++;
	}
	closedir(d);
	return n;
}

/* Is fd open? */
static bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* Append a line to the test's openlve.conf (after LTE_SETUP, before olve_open). */
static int conf_append(const char *line)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/openlve.conf", lte_dir);
	f = fopen(path, "ae");
	if (!f)
		return -errno;
	fputs(line, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

#define RUN_HOME_CONF(fn, confline)                                                      \
	do {                                                                             \
		LTE_SETUP();                                                             \
		if (confline)                                                            \
			ASSERT_OK(conf_append(confline));                                \
		ASSERT_EQ(lte_run_home(fn, NULL), 0);                                        \
	} while (0)

/*
 * The library's process-wide fds (the cgroup layer's mount fds, opened on
 * the first olve_open, and its lazily opened roots) are not the cache's:
 * open them before counting.
 */
static int warm_up(void)
{
	struct olve *h = NULL;
	struct olve_limits got;
	int r = olve_open(&h, 0);

	if (r < 0)
		return r;
	(void)olve_get_limits(h, 1, &got);
	olve_close(h);
	return 0;
}

/* fds of one cache entry as root: a dir and a tasks fd per hierarchy, the state file; an LVE
 * without a CPU mask has no group in a cpuset-only v1 hierarchy (lazy cpuset), so none there. */
static int per_entry(const struct olve *h)
{
	int n = 0;

	for (int i = 0; i < h->n_hier; i++)
		if (!(h->hier[i].version == 1 && h->hier[i].ctrls == (1u << CG_CTRL_CPUSET)))
			n++;
	return 2 * n + 1;
}

/* ------------------------------------------------- the bound, 3000 LVEs */

/* Under the VM's software emulation creating cgroups is ~50x slower: fewer
 * LVEs and a lower fd limit keep the same premise (no bound -> EMFILE). */
#define MANY (cgtest_vm_mode() ? 600u : 3000u)
#define MANY_FDLIMIT (cgtest_vm_mode() ? 256u : 1024u)
#define MANY_BASE 10000u

static int body_many(void *arg)
{
	struct rlimit rl;
	struct olve *h = NULL;
	struct olve_limits got;
	int before, base, now, peak = 0, per;

	(void)arg;
	ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = MANY_FDLIMIT;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < MANY_FDLIMIT)
		rl.rlim_cur = rl.rlim_max;
	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_OK(warm_up());
	before = count_fds();
	ASSERT_OK(olve_open(&h, 0));
	per = per_entry(h);
	base = count_fds();
	ASSERT(base > 0);
	/* MANY entries would need MANY * per fds: far beyond the limit without a bound */
	ASSERT((rlim_t)MANY * (rlim_t)per > rl.rlim_cur);
	for (uint32_t i = 0; i < MANY; i++) {
		struct olve_limits lim = { .mask = OLVE_L_NPROC, .nproc = 100 + i % 500 };
		int r = olve_apply(h, MANY_BASE + i, &lim);

		if (r < 0)
			TAP_FAIL("olve_apply(%u) after %u LVEs: %s", MANY_BASE + i, i, strerror(-r));
		if (i % 50 == 0 || i == MANY - 1) {
			now = count_fds();
			ASSERT(now >= base);
			if (now - base > peak)
				peak = now - base;
		}
	}
	fprintf(stderr, "# %u LVEs, %d fds per entry, RLIMIT_NOFILE %llu: at most %d fds held by the cache\n",
		MANY, per, (unsigned long long)rl.rlim_cur, peak);
	/* a quarter of the soft limit, whole entries */
	ASSERT(peak <= (int)(rl.rlim_cur / 4));
	ASSERT(peak % per == 0);
	ASSERT(peak >= per);
	/* evicted long ago: reopened on demand, the applied value is there */
	for (uint32_t i = 0; i < MANY; i += 997) {
		ASSERT_OK(olve_get_limits(h, MANY_BASE + i, &got));
		ASSERT(got.mask & OLVE_L_NPROC);
		ASSERT_EQ(got.nproc, 100 + i % 500);
	}
	ASSERT(count_fds() - base <= peak);
	olve_close(h);
	ASSERT_EQ(count_fds(), before);
	return 0;
}

TEST(many_lves_bounded_by_rlimit)
{
	RUN_HOME_CONF(body_many, NULL);
	return 0;
}

/* --------------------------------------------- fd_cache_size in the conf */

static int body_size4(void *arg)
{
	struct olve *h = NULL;
	int before, base, per;

	(void)arg;
	ASSERT_OK(warm_up());
	before = count_fds();
	ASSERT_OK(olve_open(&h, 0));
	per = per_entry(h);
	base = count_fds();
	for (uint32_t id = 1; id <= 40; id++) {
		struct olve_limits lim = { .mask = OLVE_L_NPROC, .nproc = 50 + id };

		ASSERT_OK(olve_apply(h, id, &lim));
		ASSERT_EQ(count_fds() - base, per * (int)(id < 4 ? id : 4));
	}
	olve_close(h);
	ASSERT_EQ(count_fds(), before);
	return 0;
}

TEST(fd_cache_size_bounds_entries)
{
	RUN_HOME_CONF(body_size4, "fd_cache_size = 4\n");
	return 0;
}

static int body_size0(void *arg)
{
	struct olve *h = NULL;
	struct olve_lve_fds *f = NULL;
	uint32_t cookie = 0;
	int base, per;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	per = per_entry(h);
	/* EP 0: no EP slot fds (process-wide pools); a first entry makes the thread's origin fds */
	for (uint32_t id = 1; id <= 5; id++) {
		struct olve_limits lim = { .mask = OLVE_L_NPROC | OLVE_L_EP, .nproc = 60 + id, .ep = 0 };

		ASSERT_OK(olve_apply(h, id, &lim));
	}
	/* round 0 warms up the library's process-wide fds (origin fds, cgroup layer), round 1 counts */
	base = -1;
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			base = count_fds();
		for (uint32_t id = 1; id <= 5; id++) {
			struct olve_limits lim = { .mask = OLVE_L_NPROC, .nproc = 70 + id + (uint32_t)round }, got;

			ASSERT_OK(olve_apply(h, id, &lim));
			ASSERT(base < 0 || count_fds() == base);
			ASSERT_OK(olve_get_limits(h, id, &got));
			ASSERT_EQ(got.nproc, 70 + id + (uint32_t)round);
			ASSERT_OK(olve_enter(h, id, 0, &cookie));
			ASSERT(lte_self_inside(id) > 0);
			ASSERT_OK(olve_leave(h, cookie));
			ASSERT_EQ(lte_self_inside(0), 0);
			ASSERT(base < 0 || count_fds() == base);
		}
	}
	/* an uncached entry is the caller's alone */
	ASSERT_OK(olve_lve_get(h, 1, false, &f));
	ASSERT_EQ(count_fds(), base + per);
	olve_lve_put(h, f);
	ASSERT_EQ(count_fds(), base);
	olve_close(h);
	return 0;
}

TEST(fd_cache_size_zero_keeps_nothing)
{
	RUN_HOME_CONF(body_size0, "fd_cache_size = 0\n");
	return 0;
}

/* ------------------------------------------------- reference semantics */

static int body_refs(void *arg)
{
	struct olve *h = NULL;
	struct olve_lve_fds *f1 = NULL, *f2 = NULL, *f3 = NULL;
	int before, base, per, d1, s1;

	(void)arg;
	ASSERT_OK(warm_up());
	before = count_fds();
	ASSERT_OK(olve_open(&h, 0));
	per = per_entry(h);
	base = count_fds();

	ASSERT_ERR(olve_lve_get(h, 0, true, &f1), EINVAL);
	ASSERT_ERR(olve_lve_get(NULL, 7, true, &f1), EINVAL);
	ASSERT_ERR(olve_lve_get(h, 7, true, NULL), EINVAL);
	ASSERT_ERR(olve_lve_get(h, 7, false, &f1), ENOENT);
	ASSERT(f1 == NULL); /* output untouched on failure */
	olve_lve_put(h, NULL);     /* no-op */
	olve_lve_forget(h, 12345); /* not cached: no-op */
	olve_lve_forget(NULL, 7);
	ASSERT_EQ(count_fds(), base);

	/* two gets: one entry, cached */
	ASSERT_OK(olve_lve_get(h, 7, true, &f1));
	ASSERT_OK(olve_lve_get(h, 7, false, &f2));
	ASSERT(f1 == f2);
	ASSERT_EQ(f1->id, 7);
	ASSERT_EQ(count_fds(), base + per);
	d1 = f1->dirfd[0];
	s1 = f1->statefd;

	/* forgotten while held: the fds stay open for the holders */
	olve_lve_forget(h, 7);
	ASSERT(fd_open(d1) && fd_open(s1));
	ASSERT_EQ(count_fds(), base + per);

	/* the next get opens a fresh entry next to the held one */
	ASSERT_OK(olve_lve_get(h, 7, false, &f3));
	ASSERT(f3 != f1);
	ASSERT_EQ(count_fds(), base + 2 * per);
	olve_lve_put(h, f1);
	ASSERT(fd_open(d1) && fd_open(s1)); /* f2 still holds it */
	ASSERT_EQ(count_fds(), base + 2 * per);
	olve_lve_put(h, f2); /* last reference: closed */
	ASSERT(!fd_open(d1) && !fd_open(s1));
	ASSERT_EQ(count_fds(), base + per);
	olve_lve_put(h, f3); /* the cache keeps f3 */
	ASSERT_EQ(count_fds(), base + per);

	/* a reference outlives the handle */
	ASSERT_OK(olve_lve_get(h, 7, false, &f1));
	ASSERT(f1 == f3);
	olve_close(h);
	ASSERT(fd_open(f1->dirfd[0]) && fd_open(f1->statefd));
	ASSERT_EQ(count_fds(), before + per); /* the handle's own fds are gone */
	d1 = f1->dirfd[0];
	olve_lve_put(NULL, f1);
	ASSERT(!fd_open(d1));
	ASSERT_EQ(count_fds(), before);
	return 0;
}

TEST(reference_outlives_forget_and_close)
{
	RUN_HOME_CONF(body_refs, NULL);
	return 0;
}

static int body_evict(void *arg)
{
	struct olve *h = NULL;
	struct olve_lve_fds *held = NULL, *f = NULL, *again = NULL, *hold3[3] = { 0 };
	int base, per;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	per = per_entry(h);
	base = count_fds();

	/* a held entry is evicted last: the idle ones go first */
	ASSERT_OK(olve_lve_get(h, 1, true, &held));
	for (uint32_t id = 2; id <= 10; id++) {
		ASSERT_OK(olve_lve_get(h, id, true, &f));
		olve_lve_put(h, f);
		ASSERT_EQ(count_fds(), base + 2 * per);
	}
	ASSERT_OK(olve_lve_get(h, 1, false, &again));
	ASSERT(again == held); /* still cached */
	olve_lve_put(h, again);
	olve_lve_put(h, held);

	/* least recently used goes: 1 was got last, so 10 is evicted for 11 */
	ASSERT_OK(olve_lve_get(h, 11, true, &f));
	olve_lve_put(h, f);
	ASSERT_EQ(count_fds(), base + 2 * per);
	ASSERT_OK(olve_lve_get(h, 1, false, &again));
	ASSERT_EQ(count_fds(), base + 2 * per); /* hit: nothing opened */
	olve_lve_put(h, again);
	ASSERT_OK(olve_lve_get(h, 10, false, &again));
	ASSERT_EQ(count_fds(), base + 2 * per); /* miss: 11 evicted for it (1 was used later) */
	olve_lve_put(h, again);

	/* everything held: evicted anyway, closed at the holders' put */
	for (int i = 0; i < 3; i++)
		ASSERT_OK(olve_lve_get(h, 20 + (uint32_t)i, true, &hold3[i]));
	ASSERT_EQ(count_fds(), base + 3 * per);
	for (int i = 0; i < 3; i++)
		ASSERT(fd_open(hold3[i]->dirfd[0]) && fd_open(hold3[i]->statefd));
	for (int i = 0; i < 3; i++)
		olve_lve_put(h, hold3[i]);
	ASSERT_EQ(count_fds(), base + 2 * per);
	olve_close(h);
	return 0;
}

TEST(eviction_prefers_idle_then_lru)
{
	RUN_HOME_CONF(body_evict, "fd_cache_size = 2\n");
	return 0;
}

/* ------------------------------------- enter/leave vs forget / destroy */

#define CONC_THREADS 4
#define CONC_ROUNDS 300
#define CONC_LVES 2

struct conc {
	struct olve *h;
	atomic_bool stop;
	atomic_int enter_ok, enter_err, bad_err, wrong_place, canary_hits, destroyed;
	int first_bad;
	const char *first_bad_op; /* which call returned first_bad */
	char first_wrong[2048];   /* /proc/thread-self/cgroup of the first wrong place */
	atomic_flag wrong_said;
};

static void note_wrong(struct conc *c, const char *when)
{
	char buf[1800] = "";

	atomic_fetch_add(&c->wrong_place, 1);
	if (atomic_flag_test_and_set(&c->wrong_said))
		return;
	lte_read("/proc/thread-self/cgroup", buf, sizeof(buf));
	snprintf(c->first_wrong, sizeof(c->first_wrong), "%s:\n%s", when, buf);
}

/* Is /proc/thread-self/cgroup exactly `home` (every hierarchy, openlve's or not)? */
static bool same_place(const char *home)
{
	char now[2048];

	return lte_read("/proc/thread-self/cgroup", now, sizeof(now)) > 0 && !strcmp(now, home);
}

/*
 * The contract of an entry racing olve_destroy (olve_enter(3)): it ends
 * with the thread inside the (re-created) LVE in every hierarchy, or fails
 * with -ESTALE and the thread exactly where it was; never half-placed,
 * never another error. Leaving returns it exactly where it was.
 */
static void *thr_enter(void *p)
{
	struct conc *c = p;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char home[2048];

	if (lte_read("/proc/thread-self/cgroup", home, sizeof(home)) <= 0) {
		note_wrong(c, "reading /proc/thread-self/cgroup");
		return NULL;
	}
	for (int i = 0; i < CONC_ROUNDS; i++) {
		uint32_t id = 1 + (uint32_t)((tid + i) % CONC_LVES), cookie = 0;
		int r = olve_enter(c->h, id, 0, &cookie);

		if (r < 0) {
			/* lost a race with destroy (removed under every attempt) */
			if (r == -ESTALE)
				atomic_fetch_add(&c->enter_err, 1);
			else if (atomic_fetch_add(&c->bad_err, 1) == 0)
				c->first_bad = r, c->first_bad_op = "olve_enter";
			if (!same_place(home))
				note_wrong(c, "after a failed olve_enter");
			continue;
		}
		atomic_fetch_add(&c->enter_ok, 1);
		/* v1: the thread is in its LVE; v2: a thread of this multi-threaded
		 * process is counted in EP without being moved (enter.c) */
		if (mode_v2() ? lte_self_inside(0) != 0 : lte_self_inside(id) <= 0)
			note_wrong(c, "after olve_enter");
		r = olve_leave(c->h, cookie);
		if (r < 0 && atomic_fetch_add(&c->bad_err, 1) == 0)
			c->first_bad = r, c->first_bad_op = "olve_leave";
		if (!same_place(home))
			note_wrong(c, "after olve_leave");
	}
	return NULL;
}

/* Forget, destroy and evict (touching other LVEs) the LVEs being entered. */
static void *thr_churn(void *p)
{
	struct conc *c = p;
	uint32_t other = 100;

	while (!atomic_load(&c->stop)) {
		for (uint32_t id = 1; id <= CONC_LVES; id++) {
			struct olve_lve_fds *f = NULL;
			int r;

			olve_lve_forget(c->h, id);
			/*
			 * v2 destroys with cgroup.kill: a thread of ours entering
			 * between its self-check and the kill would take this
			 * process along. v1 refuses (-EBUSY) while we are inside.
			 */
			r = mode_v2() ? 0 : olve_destroy(c->h, id);
			if (r == 0 && !mode_v2())
				atomic_fetch_add(&c->destroyed, 1);
			if (r < 0 && r != -EBUSY && r != -ENOENT && atomic_fetch_add(&c->bad_err, 1) == 0)
				c->first_bad = r, c->first_bad_op = "olve_destroy";
			if (olve_lve_get(c->h, other, true, &f) == 0)
				olve_lve_put(c->h, f);
			if (++other > 110)
				other = 100;
		}
	}
	return NULL;
}

/* Fresh pipes must never receive a byte: a write to a closed-and-reused fd number would land here. */
static void *thr_canary(void *p)
{
	struct conc *c = p;

	while (!atomic_load(&c->stop)) {
		int pfd[2];
		char b;

		if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
			continue;
		sched_yield();
		if (read(pfd[0], &b, 1) > 0)
			atomic_fetch_add(&c->canary_hits, 1);
		close(pfd[0]);
		close(pfd[1]);
	}
	return NULL;
}

static int body_concurrent(void *arg)
{
	struct conc c = { 0 };
	pthread_t th[CONC_THREADS], churn, canary;

	(void)arg;
	ASSERT_OK(olve_open(&c.h, 0));
	for (uint32_t id = 1; id <= CONC_LVES; id++) {
		struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 0 };

		ASSERT_OK(olve_apply(c.h, id, &lim));
	}
	ASSERT_EQ(pthread_create(&churn, NULL, thr_churn, &c), 0);
	ASSERT_EQ(pthread_create(&canary, NULL, thr_canary, &c), 0);
	for (int i = 0; i < CONC_THREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, thr_enter, &c), 0);
	for (int i = 0; i < CONC_THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&c.stop, true);
	pthread_join(churn, NULL);
	pthread_join(canary, NULL);
	fprintf(stderr, "# entries: %d ok, %d lost to destroy (ESTALE), %d bad; %d destroys done\n",
		atomic_load(&c.enter_ok), atomic_load(&c.enter_err), atomic_load(&c.bad_err),
		atomic_load(&c.destroyed));
	if (atomic_load(&c.wrong_place))
		fprintf(stderr, "# %d wrong places; the first %s\n", atomic_load(&c.wrong_place), c.first_wrong);
	if (atomic_load(&c.bad_err))
		fprintf(stderr, "# first unexpected error: %s: %s\n", c.first_bad_op,
			strerror(-c.first_bad));
	if (atomic_load(&c.bad_err))
		TAP_FAIL("unexpected error of %s: %s", c.first_bad_op, strerror(-c.first_bad));
	ASSERT_EQ(atomic_load(&c.wrong_place), 0);
	ASSERT_EQ(atomic_load(&c.canary_hits), 0);
	ASSERT(atomic_load(&c.enter_ok) > 0);
	if (!mode_v2())
		ASSERT(atomic_load(&c.destroyed) > 0); /* the race was run */
	/* the cache's entries at most (fd_cache_size 2); none left after close */
	ASSERT(count_fds_to("/lveroot/lve") <= 2 * 2 * c.h->n_hier);
	olve_close(c.h);
	ASSERT_EQ(count_fds_to("/lveroot/lve"), 0);
	return 0;
}

TEST(enter_leave_while_forgetting_and_destroying)
{
	LTE_SETUP();
	ASSERT_OK(conf_append("fd_cache_size = 2\n"));
	ASSERT_EQ(lte_run_home(body_concurrent, NULL), 0);
	return 0;
}

/* ------------------------------------- an LVE removed behind the cache */

/*
 * The cache keeps an LVE's fds; olve_destroy (here or in another process)
 * removes its groups hierarchy after hierarchy. An entry through fds of a
 * group that is gone must not fail, and must not end half-placed: it
 * re-creates the LVE and ends inside it in every hierarchy. Each
 * hierarchy is removed alone (an entry used to be re-opened only when the
 * first hierarchy it wrote was gone, and failed with ENODEV for ever on
 * the others), then the whole LVE with its state file.
 */
#define GONE_ID 7

static int enter_check_leave(struct olve *h, const char *home)
{
	char now[4096];
	uint32_t cookie = 0;

	ASSERT_OK(olve_enter(h, GONE_ID, 0, &cookie));
	ASSERT(lte_self_inside(GONE_ID) > 0); /* in every openlve hierarchy */
	ASSERT_OK(olve_leave(h, cookie));
	ASSERT(lte_read("/proc/thread-self/cgroup", now, sizeof(now)) > 0);
	ASSERT_STREQ(now, home);
	return 0;
}

static bool gone_exists(const struct olve *h, int k)
{
	struct stat st;

	return fstatat(h->hier[k].rootfd, "lve7", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

static int body_removed_behind(void *arg)
{
	struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 0 };
	char home[4096];
	struct olve *h = NULL;
	int removed = 0;

	(void)arg;
	ASSERT(lte_read("/proc/thread-self/cgroup", home, sizeof(home)) > 0);
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, GONE_ID, &lim));
	for (int k = 0; k < h->n_hier; k++) {
		if (olve_hier_cpuset_only(&h->hier[k]))
			continue; /* no group there without a CPU mask (lazy cpuset) */
		ASSERT_OK(enter_check_leave(h, home)); /* the LVE's fds are cached now */
		ASSERT_EQ(unlinkat(h->hier[k].rootfd, "lve7", AT_REMOVEDIR), 0);
		removed++;
		ASSERT_OK(enter_check_leave(h, home));
		ASSERT(gone_exists(h, k));
	}
	ASSERT(removed > 0);
	/* all of it, as a destroy by another process does */
	ASSERT_OK(enter_check_leave(h, home));
	for (int k = 0; k < h->n_hier; k++)
		if (gone_exists(h, k))
			ASSERT_EQ(unlinkat(h->hier[k].rootfd, "lve7", AT_REMOVEDIR), 0);
	ASSERT_OK(olve_state_remove(h, GONE_ID));
	ASSERT_OK(enter_check_leave(h, home));
	ASSERT(olve_state_count_slots(h, GONE_ID) >= 0); /* the state file is back */
	ASSERT_OK(olve_destroy(h, GONE_ID));
	olve_close(h);
	return 0;
}

TEST(enter_recreates_an_lve_removed_behind_its_cached_fds)
{
	RUN_HOME_CONF(body_removed_behind, NULL);
	return 0;
}

/*
 * The limits of an LVE whose groups were removed behind the cached fds
 * (olve_destroy in another thread or process, systemd's trim on v1) are
 * those of an LVE that is gone: -ENOENT. Reading them used to skip every
 * file the removed group no longer had, as if the controller had no such
 * file: a group removed between two reads gave half a v1 pair
 * (cpu.cfs_quota_us without cpu.cfs_period_us), a malformed cpu.max and
 * EINVAL, which an entry re-creating the LVE then returned (vm-legacy,
 * enter_leave_while_forgetting_and_destroying, once in ~20 runs).
 */
#define LIM_GONE_ID 8

static int body_limits_removed_behind(void *arg)
{
	struct olve_limits lim = { .mask = OLVE_L_SPEED | OLVE_L_NPROC, .speed = 5000, .nproc = 40 }, got;
	struct olve *h = NULL;
	char name[16];
	int removed = 0;

	(void)arg;
	snprintf(name, sizeof(name), "lve%d", LIM_GONE_ID);
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, LIM_GONE_ID, &lim));
	ASSERT_OK(olve_get_limits(h, LIM_GONE_ID, &got)); /* the LVE's fds are cached now */
	for (int k = 0; k < h->n_hier; k++) {
		if (olve_hier_cpuset_only(&h->hier[k]))
			continue; /* no group there without a CPU mask */
		ASSERT_EQ(unlinkat(h->hier[k].rootfd, name, AT_REMOVEDIR), 0);
		removed++;
	}
	ASSERT(removed > 0);
	ASSERT_EQ(olve_get_limits(h, LIM_GONE_ID, &got), -ENOENT);
	/* a fresh look (nothing cached) agrees */
	olve_lve_forget(h, LIM_GONE_ID);
	ASSERT_EQ(olve_get_limits(h, LIM_GONE_ID, &got), -ENOENT);
	ASSERT_EQ(olve_destroy(h, LIM_GONE_ID), -ENOENT); /* and removes the state file */
	olve_close(h);
	return 0;
}

TEST(limits_of_an_lve_removed_behind_its_cached_fds_are_enoent)
{
	RUN_HOME_CONF(body_limits_removed_behind, NULL);
	return 0;
}

/* ------------------------------------- the harness's own place checks */

/*
 * The place checks above (lte_self_inside) run in several threads of a
 * freshly forked worker at once. They read the test library's per-process
 * view of the hierarchies, which the first call in a new process builds:
 * it used to be published before it was filled, so a thread racing the
 * builder saw some hierarchies (or none) and called an entered thread
 * "outside part of its LVE" although /proc/thread-self/cgroup, read right
 * after, showed it inside everywhere (the vm-legacy failures of session 4).
 * Every thread of each fresh worker must get the same, complete answer.
 */
#define VIEW_THREADS 8
#define VIEW_WORKERS 150

struct view_race {
	pthread_barrier_t go;
	int inside[VIEW_THREADS];
	int nhier[VIEW_THREADS];
};

struct view_arg {
	struct view_race *v;
	int i;
};

static void *thr_view(void *p)
{
	struct view_arg *a = p;

	pthread_barrier_wait(&a->v->go);
	a->v->inside[a->i] = lte_self_inside(0);
	a->v->nhier[a->i] = cgtest_n_hiers();
	return NULL;
}

static int body_view_race(void *arg)
{
	struct view_race v;
	struct view_arg a[VIEW_THREADS];
	pthread_t th[VIEW_THREADS];
	int want_n;

	(void)arg;
	pthread_barrier_init(&v.go, NULL, VIEW_THREADS);
	for (int i = 0; i < VIEW_THREADS; i++) {
		a[i] = (struct view_arg){ &v, i };
		ASSERT_EQ(pthread_create(&th[i], NULL, thr_view, &a[i]), 0);
	}
	for (int i = 0; i < VIEW_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&v.go);
	want_n = cgtest_n_hiers();
	ASSERT(want_n > 0);
	for (int i = 0; i < VIEW_THREADS; i++) {
		/* in "home": in no LVE, every openlve hierarchy seen */
		ASSERT_EQ(v.inside[i], 0);
		ASSERT_EQ(v.nhier[i], want_n);
	}
	return 0;
}

TEST(place_checks_agree_across_threads_of_a_fresh_worker)
{
	LTE_SETUP();
	for (int w = 0; w < VIEW_WORKERS; w++)
		ASSERT_EQ(lte_run_home(body_view_race, NULL), 0);
	return 0;
}

/* ------------------------------------- a hierarchy dropped while opening */

/*
 * An LVE root inside a group that holds a process (here: "home", where the
 * worker runs). cgroup v2 cannot pass controllers below a populated group
 * (no internal processes), so olve_open() finds the hierarchy serving none
 * and drops it: the handle has no hierarchy left and the open fails with
 * ENODEV; v1 has no such rule and opens. Either way the handle's slots are
 * released once: a dropped slot used to stay behind as a copy of the moved
 * or released one, and olve_close() freed its root twice (glibc aborted
 * "double free" in lvectl apply all when it ran while openlve.scope's first
 * process was still in the scope's own group).
 */
static int body_dropped_hierarchy(void *arg)
{
	char path[512], busy[512], *text = NULL, *p;
	size_t len = 0;
	struct olve *h = NULL;
	FILE *f;
	int r;

	(void)arg;
	snprintf(path, sizeof(path), "%s/openlve.conf", lte_dir);
	f = fopen(path, "re");
	ASSERT(f != NULL);
	ASSERT(getdelim(&text, &len, 0, f) > 0);
	fclose(f);
	snprintf(busy, sizeof(busy), "%s/busy.conf", lte_dir);
	f = fopen(busy, "we");
	ASSERT(f != NULL);
	/* every "<ns>/lveroot" becomes "<ns>/home/lveroot" */
	for (p = text; *p;) {
		char *m = strstr(p, "/lveroot\n");

		if (!m) {
			fputs(p, f);
			break;
		}
		fwrite(p, 1, (size_t)(m - p), f);
		fputs("/home/lveroot\n", f);
		p = m + strlen("/lveroot\n");
	}
	free(text);
	ASSERT_EQ(fclose(f), 0);
	setenv("OPENLVE_CONF", busy, 1);
	for (int i = 0; i < 3; i++) { /* a freed-twice slot shows at the first close already */
		r = olve_open(&h, 0);
		if (mode_v2()) {
			ASSERT_EQ(r, -ENODEV);
		} else {
			ASSERT_OK(r);
			olve_close(h);
			h = NULL;
		}
	}
	return 0;
}

TEST(open_with_a_dropped_hierarchy_releases_each_slot_once)
{
	RUN_HOME_CONF(body_dropped_hierarchy, NULL);
	return 0;
}

TAP_MAIN()
