/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVE limits on the real kernel, through liblve.so.0's openlve.h API. The
 * enforced quantities are MEASURED, not read from the code under test:
 *   SPEED 50%   a CPU-bound loop gets 50% +- 5% of one core (its own CPU
 *               time over ~2 s of wall time)
 *   NPROC N     fork until EAGAIN: exactly N tasks (also with threads)
 *   PMEM        memory growth stops at the limit (OOM kill), the peak stays
 *               below it, the fault counter grows
 *   IO          an O_DIRECT read from a real block device runs at the limit
 *               +- 15% (skipped on tmpfs/overlay/virtual devices)
 * plus the kernel files written, read-back from the kernel, merge rules,
 * list/destroy, current, flags, usage and every bad input.
 *
 * Groups live below a random root under the test's own cgroup in every
 * hierarchy (tests/lib/cgtest, via lve-testenv.h: OPENLVE_CONF points the
 * LVE root at <random root>/lveroot and the state dir at a temp dir). The
 * child processes join an LVE by writing their pid to its cgroup.procs
 * directly (cgtest_fork_in), not through liblve's enter.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>

#include "lve-testenv.h"
#include "lve/openlve.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ setup */

/* Temp dirs live below lve-testenv.h's base dir, removed after all tests by its hook. */

/*
 * Every hierarchy liblve will use must have a cgtest root (lte_setup
 * overrides cgroup_root only for those); otherwise liblve would create
 * "openlve" at the top of a foreign hierarchy. Returns NULL or a reason.
 */
static const char *uncovered(void)
{
	static const char *const ours[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids", NULL };

	return cgtest_uncovered(ours);
}

#define LVE_SETUP()                                                             \
	do {                                                                    \
		const char *_why;                                               \
		LTE_SETUP();                                                    \
		_why = uncovered();                                             \
		if (_why)                                                       \
			SKIP("%s", _why);                                       \
	} while (0)

static char *lvegrp(uint32_t id)
{
	static char g[64];

	snprintf(g, sizeof(g), "lveroot/lve%" PRIu32, id);
	return g;
}

/* Kernel file of the LVE, stripped. */
static int kread(const char *ctrl, uint32_t id, const char *file, char *buf, size_t size)
{
	int r = cgtest_read(ctrl, lvegrp(id), file, buf, size);

	if (r >= 0) {
		size_t n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = 0;
	}
	return r;
}

static bool v2_for(const char *ctrl)
{
	const struct cgtest_hier *h = cgtest_hier_for(ctrl);
	return h && h->version == 2;
}

static struct olve_limits unlimited(void)
{
	struct olve_limits l = { .mask = OLVE_L_ALL };
	return l;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child that runs fn in LVE `id` and reports through a pipe. */
struct kid {
	pid_t pid;
	int rd; /* parent reads the child's report */
	int wr; /* parent -> child ("go on") */
};

struct kid_arg {
	int (*fn)(int out, int in, void *);
	void *arg;
	int out, in;
	int close_a, close_b;
};

static int kid_main(void *p)
{
	struct kid_arg *a = p;

	close(a->close_a);
	close(a->close_b);
	return a->fn(a->out, a->in, a->arg);
}

/* A kid in `group` (below the test roots). */
static int kid_start_in(struct kid *k, const char *group, int (*fn)(int out, int in, void *), void *arg)
{
	int up[2], down[2];
	struct kid_arg a = { .fn = fn, .arg = arg };

	if (pipe(up) < 0 || pipe(down) < 0)
		return -errno;
	a.out = up[1];
	a.in = down[0];
	a.close_a = up[0];
	a.close_b = down[1];
	k->pid = cgtest_fork_in(group, kid_main, &a);
	close(up[1]);
	close(down[0]);
	if (k->pid < 0) {
		close(up[0]);
		close(down[1]);
		return k->pid;
	}
	k->rd = up[0];
	k->wr = down[1];
	return 0;
}

static int kid_start(struct kid *k, uint32_t id, int (*fn)(int out, int in, void *), void *arg)
{
	return kid_start_in(k, lvegrp(id), fn, arg);
}

/* Read one '\n'-terminated report line. */
static int kid_line(struct kid *k, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(k->rd, buf + n, 1);
		if (r <= 0)
			return -EPIPE;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

static int kid_finish(struct kid *k)
{
	close(k->wr);
	close(k->rd);
	return cgtest_wait(k->pid);
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, b, (size_t)n) < 0)
		_exit(99);
}

static void wait_parent(int in)
{
	char c;

	while (read(in, &c, 1) > 0)
		;
}

/* ---------------------------------------------------------- basic kernel */

TEST(open_creates_roots_and_state)
{
	struct olve *h = NULL;
	char path[512];
	struct stat st;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *hi = cgtest_hier(i);
		bool ours = false;
		char ctrls[256], *save = NULL;

		snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
			ours |= lte_ctrl_ours(c);
		snprintf(path, sizeof(path), "%s/lveroot", hi->root);
		if (!ours) {
			ASSERT(stat(path, &st) < 0); /* a hierarchy without our controllers is not used */
			continue;
		}
		ASSERT(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
		if (hi->version == 2) {
			char sub[512], *s2 = NULL;

			/* the LVE root hands every controller it has to the LVEs */
			snprintf(path, sizeof(path), "%s/lveroot/cgroup.subtree_control", hi->root);
			ASSERT_OK(lte_read(path, sub, sizeof(sub)));
			snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
			for (char *c = strtok_r(ctrls, " ", &s2); c; c = strtok_r(NULL, " ", &s2))
				if (lte_ctrl_ours(c) && strcmp(c, "cpuacct"))
					ASSERT(strstr(sub, c) != NULL);
		}
	}
	snprintf(path, sizeof(path), "%s/state/lve", lte_dir);
	ASSERT(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	olve_close(h);
	olve_close(NULL);
	return 0;
}

TEST(apply_writes_kernel_files)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited(), got;
	char buf[4096];

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	l.speed = 5000;
	l.cpu_weight = 200;
	l.pmem = 256ULL << 20;
	l.nproc = 50;
	l.io = 2048;
	l.iops = 500;
	l.ep = 7;
	l.vmem = 1ULL << 30;
	ASSERT_OK(olve_apply(h, 42, &l));

	if (cgtest_has_ctrl("cpu")) {
		if (v2_for("cpu")) {
			ASSERT_OK(kread("cpu", 42, "cpu.max", buf, sizeof(buf)));
			ASSERT_STREQ(buf, "50000 100000");
			ASSERT_OK(kread("cpu", 42, "cpu.weight", buf, sizeof(buf)));
			ASSERT_STREQ(buf, "200");
		} else {
			ASSERT_OK(kread("cpu", 42, "cpu.cfs_quota_us", buf, sizeof(buf)));
			ASSERT_STREQ(buf, "50000");
			ASSERT_OK(kread("cpu", 42, "cpu.cfs_period_us", buf, sizeof(buf)));
			ASSERT_STREQ(buf, "100000");
		}
	}
	if (cgtest_has_ctrl("memory")) {
		ASSERT_OK(kread("memory", 42, v2_for("memory") ? "memory.max" : "memory.limit_in_bytes", buf, sizeof(buf)));
		ASSERT_STREQ(buf, "268435456");
		/* no swap around PMEM, where the kernel has the knob */
		if (v2_for("memory")) {
			if (kread("memory", 42, "memory.swap.max", buf, sizeof(buf)) >= 0)
				ASSERT_STREQ(buf, "0");
		} else if (kread("memory", 42, "memory.memsw.limit_in_bytes", buf, sizeof(buf)) >= 0) {
			ASSERT_STREQ(buf, "268435456");
		}
	}
	if (cgtest_has_ctrl("pids")) {
		ASSERT_OK(kread("pids", 42, "pids.max", buf, sizeof(buf)));
		ASSERT_STREQ(buf, "50");
	}
	if (cgtest_has_ctrl("io") || cgtest_has_ctrl("blkio")) {
		const char *c = cgtest_has_ctrl("io") ? "io" : "blkio";

		if (v2_for(c)) {
			ASSERT_OK(kread(c, 42, "io.max", buf, sizeof(buf)));
			if (buf[0]) /* a line per real disk (none: nothing to throttle) */
				ASSERT(strstr(buf, "rbps=2097152 wbps=2097152 riops=500 wiops=500"));
		} else {
			ASSERT_OK(kread(c, 42, "blkio.throttle.read_bps_device", buf, sizeof(buf)));
			if (buf[0])
				ASSERT(strstr(buf, " 2097152"));
			ASSERT_OK(kread(c, 42, "blkio.throttle.write_iops_device", buf, sizeof(buf)));
			if (buf[0])
				ASSERT(strstr(buf, " 500"));
		}
	}

	/* read back: what the kernel enforces, EP and VMEM from the state file */
	ASSERT_OK(olve_get_limits(h, 42, &got));
	if (cgtest_has_ctrl("cpu")) {
		ASSERT_EQ(got.speed, 5000);
		ASSERT_EQ(got.cpu_weight, 200);
	}
	if (cgtest_has_ctrl("memory"))
		ASSERT_EQ(got.pmem, 256ULL << 20);
	if (cgtest_has_ctrl("pids"))
		ASSERT_EQ(got.nproc, 50);
	ASSERT_EQ(got.ep, 7);
	ASSERT_EQ(got.vmem, 1ULL << 30);
	olve_close(h);
	return 0;
}

TEST(get_limits_reads_the_kernel)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited(), got;

	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(olve_open(&h, 0));
	l.nproc = 50;
	ASSERT_OK(olve_apply(h, 5, &l));
	/* someone changes the kernel behind liblve's back: the report follows the kernel */
	ASSERT_OK(cgtest_write("pids", lvegrp(5), "pids.max", "77"));
	ASSERT_OK(olve_get_limits(h, 5, &got));
	ASSERT_EQ(got.nproc, 77);
	ASSERT_OK(cgtest_write("pids", lvegrp(5), "pids.max", "max"));
	ASSERT_OK(olve_get_limits(h, 5, &got));
	ASSERT_EQ(got.nproc, 0);
	if (cgtest_has_ctrl("cpu")) {
		if (v2_for("cpu"))
			ASSERT_OK(cgtest_write("cpu", lvegrp(5), "cpu.max", "30000 100000"));
		else
			ASSERT_OK(cgtest_write("cpu", lvegrp(5), "cpu.cfs_quota_us", "30000"));
		ASSERT_OK(olve_get_limits(h, 5, &got));
		ASSERT_EQ(got.speed, 3000);
	}
	olve_close(h);
	return 0;
}

TEST(apply_merges_fields)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited(), got;
	char buf[256];

	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_OK(olve_open(&h, 0));
	l.speed = 2500;
	l.nproc = 30;
	ASSERT_OK(olve_apply(h, 9, &l));
	/* only NPROC given: SPEED stays */
	l = (struct olve_limits){ .mask = OLVE_L_NPROC, .nproc = 31, .speed = 9999 };
	ASSERT_OK(olve_apply(h, 9, &l));
	ASSERT_OK(kread("pids", 9, "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "31");
	ASSERT_OK(olve_get_limits(h, 9, &got));
	ASSERT_EQ(got.speed, 2500);
	/* CPU (old) of all cores combines with the SPEED kept from before: min() */
	l = (struct olve_limits){ .mask = OLVE_L_CPU, .cpu_pct = 100 };
	ASSERT_OK(olve_apply(h, 9, &l));
	ASSERT_OK(olve_get_limits(h, 9, &got));
	ASSERT_EQ(got.speed, 2500);
	ASSERT_EQ(got.cpu_pct, 100);
	l = (struct olve_limits){ .mask = OLVE_L_SPEED, .speed = 0 };
	ASSERT_OK(olve_apply(h, 9, &l));
	ASSERT_OK(olve_get_limits(h, 9, &got));
	ASSERT_EQ(got.speed, (uint32_t)sysconf(_SC_NPROCESSORS_ONLN) * 10000); /* 100% of all cores */
	olve_close(h);
	return 0;
}

TEST(new_lve_gets_documented_defaults)
{
	struct olve *h = NULL;
	struct olve_limits l = { .mask = OLVE_L_EP, .ep = 3 }, got;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 11, &l));
	ASSERT_OK(olve_get_limits(h, 11, &got));
	ASSERT_EQ(got.ep, 3);
	ASSERT_EQ(got.vmem, 0);
	if (cgtest_has_ctrl("cpu"))
		ASSERT_EQ(got.speed, 10000);
	if (cgtest_has_ctrl("memory"))
		ASSERT_EQ(got.pmem, 1024ULL << 20);
	if (cgtest_has_ctrl("pids"))
		ASSERT_EQ(got.nproc, 100);
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------------- measured */

static int cpu_kid(int out, int in, void *arg)
{
	struct timespec c0, c1;
	double t0, t1, w = *(double *)arg;
	volatile uint64_t x = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	t0 = now_s();
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		t1 = now_s();
	} while (t1 - t0 < w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	say(out, "%.6f %.6f\n",
	    (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9, t1 - t0);
	wait_parent(in);
	return 0;
}

TEST(cpu_speed_50_percent_measured)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	struct olve_usage u0, u1;
	double wall = 2.0, share = 0, cpu = 0, real = 0, used;
	const char *ctrl;

	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_OK(olve_open(&h, 0));
	l.speed = 5000; /* SPEED 50% */
	ASSERT_OK(olve_apply(h, 50, &l));
	/*
	 * The test's own random root (ours) gets the highest CPU weight so other
	 * load on the machine does not starve the LVE below its quota: the
	 * upper bound is the enforced quantity, the lower bound needs the CPU.
	 */
	ctrl = "cpu";
	if (v2_for(ctrl))
		(void)cgtest_write(ctrl, "", "cpu.weight", "10000");
	else
		(void)cgtest_write(ctrl, "", "cpu.shares", "262144");

	for (int attempt = 0; attempt < 3; attempt++) {
		struct kid k;
		char line[128];

		ASSERT_OK(olve_usage(h, 50, &u0));
		ASSERT_OK(kid_start(&k, 50, cpu_kid, &wall));
		ASSERT(kid_line(&k, line, sizeof(line)) > 0);
		ASSERT_EQ(sscanf(line, "%lf %lf", &cpu, &real), 2);
		ASSERT_OK(olve_usage(h, 50, &u1));
		ASSERT_EQ(kid_finish(&k), 0);
		share = cpu / real;
		printf("# attempt %d: CPU %.3f s over %.3f s wall = %.1f%% of one core; cgroup usage %.3f s, "
		       "throttled periods %" PRIu64 "\n",
		       attempt + 1, cpu, real, share * 100, (double)(u1.cpu_usec - u0.cpu_usec) / 1e6,
		       u1.cpu_throttled - u0.cpu_throttled);
		/* never above the quota; only in the VM, where the emulator's clock can
		 * jump under host load, is one high reading retried */
		if (!cgtest_vm_mode())
			ASSERT(share <= 0.55);
		if (share > 0.55)
			continue;
		/* olve_usage saw the same CPU time (within 10%, it includes the fork/exit);
		 * under TCG in the VM a busy host skews the two clocks apart: retried there */
		used = (double)(u1.cpu_usec - u0.cpu_usec) / 1e6;
		if (cgtest_vm_mode() && attempt < 2 && (used < cpu * 0.9 || used > cpu * 1.1 + 0.05))
			continue;
		ASSERT(used >= cpu * 0.9);
		ASSERT(used <= cpu * 1.1 + 0.05);
		ASSERT(u1.cpu_throttled > u0.cpu_throttled);
		if (share >= 0.45)
			break;
		/* below: the machine was too busy to give even half a core; measure again */
	}
	/* the emulated VM's CFS bandwidth timer lands a few points under the quota */
	ASSERT(share >= (cgtest_vm_mode() ? 0.35 : 0.45) && share <= 0.55);
	olve_close(h);
	return 0;
}

struct nproc_arg {
	int threads; /* 1: create threads, 0: fork processes */
};

static void *idle_thread(void *p)
{
	int fd = *(int *)p;
	char c;

	while (read(fd, &c, 1) > 0)
		;
	return NULL;
}

static int nproc_kid(int out, int in, void *arg)
{
	struct nproc_arg *a = arg;
	int n = 1, err = 0;
	pid_t kids[1024];
	int nk = 0;

	for (int i = 0; i < 1000; i++) {
		if (a->threads) {
			pthread_t t;
			int r = pthread_create(&t, NULL, idle_thread, &in);

			if (r) {
				err = r;
				break;
			}
		} else {
			pid_t p = fork();

			if (p < 0) {
				err = errno;
				break;
			}
			if (p == 0) {
				wait_parent(in);
				_exit(0);
			}
			kids[nk++] = p;
		}
		n++;
	}
	say(out, "%d %d\n", n, err);
	wait_parent(in); /* the parent reads the usage meanwhile */
	for (int i = 0; i < nk; i++)
		waitpid(kids[i], NULL, 0);
	_exit(0);
}

static int nproc_test(int threads)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	struct olve_usage u;
	struct nproc_arg a = { .threads = threads };
	struct kid k;
	char line[64];
	int n, err;
	const uint32_t N = 12;

	ASSERT_OK(olve_open(&h, 0));
	l.nproc = N;
	ASSERT_OK(olve_apply(h, 12, &l));
	ASSERT_OK(kid_start(&k, 12, nproc_kid, &a));
	ASSERT(kid_line(&k, line, sizeof(line)) > 0);
	ASSERT_EQ(sscanf(line, "%d %d", &n, &err), 2);
	ASSERT_OK(olve_usage(h, 12, &u));
	ASSERT_EQ(kid_finish(&k), 0);
	printf("# NPROC %u: %d tasks, then %s; usage nproc %u (processes %u), faults %" PRIu64 "\n", N, n,
	       strerror(err), u.nproc, u.nprocs_only, u.fault_nproc);
	ASSERT_EQ(n, N);
	ASSERT_EQ(err, EAGAIN);
	ASSERT_EQ(u.nproc, N);
	ASSERT_EQ(u.nprocs_only, threads ? 1 : N);
	ASSERT(u.fault_nproc >= 1);
	olve_close(h);
	return 0;
}

TEST(nproc_exact_processes)
{
	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	return nproc_test(0);
}

TEST(nproc_exact_threads)
{
	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	return nproc_test(1);
}

static int mem_kid(int out, int in, void *arg)
{
	size_t step = 1 << 20, max = *(size_t *)arg;

	(void)in;
	for (size_t got = step; got <= max; got += step) {
		char *p = mmap(NULL, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			say(out, "mmapfail %zu\n", got);
			return 3;
		}
		memset(p, 0x5a, step); /* really charge every page */
		say(out, "%zu\n", got);
	}
	return 2; /* never stopped: the limit did nothing */
}

TEST(pmem_stops_growth_at_limit)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	struct olve_usage u;
	size_t max = 512u << 20, last = 0;
	const uint64_t LIM = 64ULL << 20;
	struct kid k;
	char line[64];
	int rc;

	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_OK(olve_open(&h, 0));
	l.pmem = LIM;
	ASSERT_OK(olve_apply(h, 64, &l));
	ASSERT_OK(kid_start(&k, 64, mem_kid, &max));
	while (kid_line(&k, line, sizeof(line)) > 0)
		last = strtoull(line, NULL, 10);
	rc = kid_finish(&k);
	ASSERT_OK(olve_usage(h, 64, &u));
	printf("# PMEM 64 MiB: child touched %zu MiB, ended %d (256+9 = SIGKILL); peak %" PRIu64 " KiB, "
	       "faults %" PRIu64 "\n",
	       last >> 20, rc, u.pmem_peak >> 10, u.fault_pmem);
	ASSERT_EQ(rc, CGTEST_SIGNALED(SIGKILL)); /* the OOM killer inside the LVE */
	ASSERT(last < LIM);                      /* growth stopped at the limit */
	ASSERT(last >= LIM / 2);                 /* ... not far below it */
	ASSERT(u.pmem_peak > 0);
	ASSERT(u.pmem_peak <= LIM);
	ASSERT(u.pmem_peak >= LIM / 2);
	ASSERT(u.fault_pmem > 0);
	olve_close(h);
	return 0;
}

static int hold_kid(int out, int in, void *arg)
{
	size_t sz = *(size_t *)arg;
	char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 3;
	memset(p, 1, sz);
	say(out, "ready\n");
	wait_parent(in);
	return 0;
}

TEST(pmem_lowering_below_usage)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited(), got;
	size_t sz = 48u << 20;
	struct kid k;
	char line[64];
	int r, rc;

	LVE_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_OK(olve_open(&h, 0));
	l.pmem = 128ULL << 20;
	ASSERT_OK(olve_apply(h, 65, &l));
	ASSERT_OK(kid_start(&k, 65, hold_kid, &sz));
	ASSERT(kid_line(&k, line, sizeof(line)) > 0);
	l = (struct olve_limits){ .mask = OLVE_L_PMEM, .pmem = 8ULL << 20 };
	r = olve_apply(h, 65, &l);
	ASSERT_OK(olve_get_limits(h, 65, &got));
	rc = kid_finish(&k);
	printf("# lowering PMEM below usage: apply %d, reported %" PRIu64 " MiB, child %d\n", r, got.pmem >> 20, rc);
	if (v2_for("memory")) {
		/* v2 takes it and reclaims / OOM-kills */
		ASSERT_OK(r);
		ASSERT_EQ(got.pmem, 8ULL << 20);
		ASSERT_EQ(rc, CGTEST_SIGNALED(SIGKILL));
	} else {
		/* v1 refuses: without swap at memory.limit_in_bytes, with swap at
		 * memory.memsw.limit_in_bytes after the first file took it; either
		 * way reported as such and the old limit still in force (rolled back) */
		ASSERT_ERR(r, EBUSY);
		ASSERT_EQ(got.pmem, 128ULL << 20);
		ASSERT_EQ(rc, 0);
	}
	olve_close(h);
	return 0;
}

/* A directory on a real (non-virtual) block device, or a whole disk to read raw. */
static int io_target(char *file, size_t fsize, char *why, size_t wsize)
{
	const char *cands[] = { getenv("OPENLVE_BUILD_ROOT"), "/var/tmp", "/tmp", "." };

	for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
		struct stat st;
		struct statfs sf;
		char sys[128], real[512];

		if (!cands[i] || stat(cands[i], &st) < 0 || statfs(cands[i], &sf) < 0)
			continue;
		if (sf.f_type == 0x01021994 /* tmpfs */ || sf.f_type == 0x794c7630 /* overlay */ ||
		    sf.f_type == 0x858458f6 /* ramfs */ || major(st.st_dev) == 0) {
			snprintf(why, wsize, "%s is on tmpfs/overlay/a virtual filesystem", cands[i]);
			continue;
		}
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
		if (!realpath(sys, real) || strstr(real, "/devices/virtual/")) {
			snprintf(why, wsize, "%s is on a virtual block device (loop/dm/zram)", cands[i]);
			continue;
		}
		snprintf(file, fsize, "%s/olt-io-XXXXXX", cands[i]);
		return 0;
	}
	/* the VM's scratch disk: read it raw (read-only) */
	{
		DIR *d = opendir("/sys/block");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char p[300], swaps[4096];
			struct stat st;

			if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) || !strncmp(de->d_name, "zram", 4) ||
			    !strncmp(de->d_name, "ram", 3) || !strncmp(de->d_name, "dm-", 3))
				continue;
			/* never the swap device (the VM's /dev/vdb) */
			snprintf(p, sizeof(p), "/dev/%s ", de->d_name);
			if (lte_read("/proc/swaps", swaps, sizeof(swaps)) >= 0 && strstr(swaps, p))
				continue;
			snprintf(p, sizeof(p), "/sys/block/%s/device", de->d_name);
			if (stat(p, &st) < 0)
				continue;
			snprintf(file, fsize, "/dev/%s", de->d_name);
			if (stat(file, &st) == 0 && S_ISBLK(st.st_mode)) {
				closedir(d);
				return 1;
			}
		}
		if (d)
			closedir(d);
	}
	return -ENOENT;
}

struct io_arg {
	const char *path;
	bool write;
	off_t base;           /* first byte used (raw device: a region of the scratch disk) */
	size_t total, chunk;
};

/* O_DIRECT reads or writes of `chunk` bytes until `total`; reports "<bytes> <ops> <seconds>"
 * counted from the end of the first op (it may pass before the throttle slice starts). */
static int io_kid(int out, int in, void *arg)
{
	struct io_arg *a = arg;
	void *buf;
	int fd = open(a->path, (a->write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	double t1 = 0, t2;
	size_t done = 0, first = 0, ops = 0;

	(void)in;
	if (fd < 0 || posix_memalign(&buf, 4096, a->chunk))
		return 3;
	memset(buf, 0x5a, a->chunk);
	while (done < a->total) {
		ssize_t n = a->write ? pwrite(fd, buf, a->chunk, a->base + (off_t)done)
				     : pread(fd, buf, a->chunk, a->base + (off_t)done);

		if (n <= 0)
			return 4;
		done += (size_t)n;
		if (!first) {
			first = done;
			t1 = now_s();
		} else {
			ops++;
		}
	}
	t2 = now_s();
	close(fd);
	say(out, "%zu %zu %.6f\n", done - first, ops, t2 - t1);
	return 0;
}

/*
 * Measure what the kernel lets through in an LVE with limit `l` (io KB/s or
 * iops): the child does O_DIRECT reads or writes on a real disk (a 4 MiB
 * file written beforehand outside the LVE, or the VM's raw scratch disk).
 * *rate gets KB/s (want_iops false) or ops/s. 0, 77 (skip: reason in why),
 * or -1 after printing the failure.
 */
static int io_measure(uint32_t id, const struct olve_limits *l, bool wr, size_t total, size_t chunk,
		      bool want_iops, double *rate, char *why, size_t wsize)
{
	struct olve *h = NULL;
	struct olve_limits got;
	struct olve_usage u;
	char path[512], line[128];
	struct io_arg a = { .write = wr, .total = total, .chunk = chunk };
	struct kid k;
	size_t bytes, ops;
	double secs;
	int raw, rc;

	if (!cgtest_has_ctrl("io") && !cgtest_has_ctrl("blkio")) {
		snprintf(why, wsize, "no io/blkio controller");
		return 77;
	}
	raw = io_target(path, sizeof(path), why, wsize);
	if (raw < 0)
		return 77;
	if (raw == 0) {
		/* a file on a real disk, written outside the LVE; the test
		 * framework's parent removes it even if this test crashes */
		int fd = mkstemp(path);
		char *blk = malloc(1 << 20);

		if (fd < 0 || !blk || tap_cleanup_path(path) < 0) {
			fprintf(stderr, "# io file %s: %s\n", path, strerror(errno));
			return -1;
		}
		memset(blk, 0x33, 1 << 20);
		for (int i = 0; i < 4; i++)
			if (write(fd, blk, 1 << 20) != 1 << 20)
				return -1;
		if (fsync(fd) < 0)
			return -1;
		close(fd);
		free(blk);
	} else if (wr) {
		a.base = 64 << 20; /* the scratch disk is the VM's own, fresh each boot */
	}
	a.path = path;
	if (olve_open(&h, 0) < 0 || olve_apply(h, id, l) < 0 || olve_get_limits(h, id, &got) < 0) {
		fprintf(stderr, "# olve_open/apply/get_limits failed\n");
		return -1;
	}
	/* a real disk exists (io_target found one): the limits must read back */
	if (got.io != l->io || got.iops != l->iops) {
		fprintf(stderr, "# limits read back io %u iops %u, applied io %u iops %u\n", got.io, got.iops, l->io,
			l->iops);
		return -1;
	}
	if (kid_start(&k, id, io_kid, &a) < 0)
		return -1;
	rc = kid_line(&k, line, sizeof(line));
	if (kid_finish(&k) != 0 || rc <= 0 || sscanf(line, "%zu %zu %lf", &bytes, &ops, &secs) != 3 || secs <= 0) {
		fprintf(stderr, "# the IO child failed (report \"%s\")\n", rc > 0 ? line : "");
		return -1;
	}
	*rate = want_iops ? (double)ops / secs : (double)bytes / secs / 1024.0;
	if (olve_usage(h, id, &u) < 0)
		return -1;
	printf("# %s io %u KB/s iops %u: O_DIRECT %s of %s: %zu bytes, %zu ops in %.3f s = %.0f %s; usage "
	       "rbytes %" PRIu64 " wbytes %" PRIu64 " rios %" PRIu64 " wios %" PRIu64 "\n",
	       wr ? "write" : "read", l->io, l->iops, wr ? "writes" : "reads", path, bytes, ops, secs, *rate,
	       want_iops ? "ops/s" : "KB/s", u.io_rbytes, u.io_wbytes, u.io_rios, u.io_wios);
	/* the kernel counted what went through */
	if (wr ? (u.io_wbytes < bytes || u.io_wios < ops) : (u.io_rbytes < bytes || u.io_rios < ops)) {
		fprintf(stderr, "# usage counters below what the child did\n");
		return -1;
	}
	olve_close(h);
	return 0;
}

#define IO_MEASURE(id, l, wr, total, chunk, iops, rate)                                        \
	do {                                                                                      \
		char _why[256] = "no block device found";                                          \
		int _r = io_measure(id, l, wr, total, chunk, iops, rate, _why, sizeof(_why));       \
		if (_r == 77)                                                                     \
			SKIP("%s", _why);                                                         \
		if (_r != 0)                                                                      \
			TAP_FAIL("IO measurement failed (see above)");                            \
	} while (0)

/*
 * The upper bound proves the limit. The lower bound only says "not far
 * below": inside the emulated VM (TCG) each op costs extra emulator time,
 * so there it is looser.
 */
#define IO_LOW (cgtest_vm_mode() ? 0.70 : 0.85)

TEST(io_rate_measured)
{
	struct olve_limits l = unlimited();
	double rate;

	LVE_SETUP();
	l.io = 1024; /* KB/s */
	IO_MEASURE(77, &l, false, 3u << 20, 64u << 10, false, &rate);
	ASSERT(rate >= 1024 * IO_LOW && rate <= 1024 * 1.15);
	return 0;
}

TEST(io_write_rate_measured)
{
	struct olve_limits l = unlimited();
	double rate;

	LVE_SETUP();
	l.io = 1024; /* KB/s, reads and writes */
	IO_MEASURE(78, &l, true, 3u << 20, 64u << 10, false, &rate);
	ASSERT(rate >= 1024 * IO_LOW && rate <= 1024 * 1.15);
	return 0;
}

TEST(iops_measured)
{
	struct olve_limits l = unlimited();
	double rate;

	LVE_SETUP();
	l.iops = 100;
	/* 4 KiB ops: bandwidth is no limit; 301 ops take ~3 s at 100/s */
	IO_MEASURE(79, &l, false, 301u << 12, 4096, true, &rate);
	ASSERT(rate >= 100 * IO_LOW && rate <= 100 * 1.15);
	return 0;
}

TEST(iops_write_measured)
{
	struct olve_limits l = unlimited();
	double rate;

	LVE_SETUP();
	l.iops = 100;
	IO_MEASURE(80, &l, true, 301u << 12, 4096, true, &rate);
	ASSERT(rate >= 100 * IO_LOW && rate <= 100 * 1.15);
	return 0;
}

/* ------------------------------------------------------------ usage */

static void *park(void *p)
{
	int fd = *(int *)p;
	char c;

	while (read(fd, &c, 1) > 0)
		;
	return NULL;
}

static int usage_kid(int out, int in, void *arg)
{
	size_t vsz = 200u << 20;
	pthread_t t[3];
	pid_t sub;
	void *m = mmap(NULL, vsz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED)
		return 3;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, park, &in))
			return 4;
	sub = fork();
	if (sub == 0) {
		wait_parent(in);
		_exit(0);
	}
	say(out, "ready\n");
	wait_parent(in);
	waitpid(sub, NULL, 0);
	_exit(0);
}

/* A web-server worker: enters LVE *arg (its whole process), reports, waits, leaves. */
static int ep_kid(int out, int in, void *arg)
{
	uint32_t id = *(uint32_t *)arg, cookie = 0;
	struct olve *h = NULL;

	if (olve_open(&h, 0) < 0)
		return 3;
	if (olve_enter(h, id, 0, &cookie) < 0)
		return 4;
	say(out, "in\n");
	wait_parent(in);
	if (olve_leave(h, cookie) < 0)
		return 5;
	olve_close(h);
	return 0;
}

TEST(usage_counts_tasks_vmem_ep)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	struct olve_usage u;
	struct kid k, e1, e2;
	char line[64];
	uint32_t id = 31;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	/* an EP limit, as every hosting LVE has (entries take slots only then) */
	l.ep = 10;
	ASSERT_OK(olve_apply(h, 31, &l));
	ASSERT_OK(olve_usage(h, 31, &u));
	ASSERT_EQ(u.nproc, 0);
	ASSERT_EQ(u.ep, 0);
	ASSERT_OK(kid_start(&k, 31, usage_kid, NULL));
	ASSERT(kid_line(&k, line, sizeof(line)) > 0);

	/* two web-server workers enter the LVE through the public API: each holds an EP slot */
	ASSERT_OK(kid_start_in(&e1, "home", ep_kid, &id));
	ASSERT_OK(kid_start_in(&e2, "home", ep_kid, &id));
	ASSERT(kid_line(&e1, line, sizeof(line)) > 0 && !strcmp(line, "in"));
	ASSERT(kid_line(&e2, line, sizeof(line)) > 0 && !strcmp(line, "in"));
	ASSERT_OK(olve_usage(h, 31, &u));
	/* last started first: each kid holds copies of the earlier kids' pipe ends */
	ASSERT_EQ(kid_finish(&e2), 0);
	ASSERT_EQ(kid_finish(&e1), 0);
	ASSERT_EQ(kid_finish(&k), 0);
	printf("# usage: nproc %u processes %u vmem %" PRIu64 " MiB ep %u\n", u.nproc, u.nprocs_only, u.vmem >> 20,
	       u.ep);
	/* 2 processes, one with 3 more threads, + the 2 entered workers */
	ASSERT_EQ(u.nproc, 7);
	ASSERT_EQ(u.nprocs_only, 4);
	ASSERT(u.vmem >= 2 * (200ULL << 20)); /* the child and its fork both map 200 MiB */
	ASSERT_EQ(u.ep, 2);
	if (cgtest_has_ctrl("memory"))
		ASSERT(u.pmem > 0);
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------- list, destroy */

static int sleeper(int out, int in, void *arg)
{
	(void)arg;
	say(out, "in\n");
	wait_parent(in);
	return 0;
}

TEST(list_and_destroy)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	uint32_t *ids = NULL;
	struct kid k;
	char line[16], sf[512];
	struct stat st;
	int n, rc;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	n = olve_list(h, &ids);
	ASSERT_EQ(n, 0);
	free(ids);
	ASSERT_OK(olve_apply(h, 7, &l));
	ASSERT_OK(olve_apply(h, 3, &l));
	ASSERT_OK(olve_apply(h, 4294967295u, &l));
	/* groups that are not LVEs are never listed */
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[600];
		static const char *const junk[] = { "lve0", "lve01", "lvex", "lve4294967296", "xlve5" };

		for (size_t j = 0; j < ELEMENTSOF(junk); j++) {
			snprintf(p, sizeof(p), "%s/lveroot/%s", cgtest_hier(i)->root, junk[j]);
			(void)mkdir(p, 0755);
		}
	}
	ids = NULL;
	n = olve_list(h, &ids);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(ids[0], 3);
	ASSERT_EQ(ids[1], 7);
	ASSERT_EQ(ids[2], 4294967295u);
	free(ids);

	/* destroy kills what runs inside and removes it everywhere */
	ASSERT_OK(kid_start(&k, 7, sleeper, NULL));
	ASSERT(kid_line(&k, line, sizeof(line)) > 0);
	ASSERT_OK(olve_destroy(h, 7));
	rc = kid_finish(&k);
	ASSERT_EQ(rc, CGTEST_SIGNALED(SIGKILL));
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/lveroot/lve7", cgtest_hier(i)->root);
		ASSERT(stat(p, &st) < 0 && errno == ENOENT);
	}
	snprintf(sf, sizeof(sf), "%s/state/lve/7", lte_dir);
	ASSERT(stat(sf, &st) < 0 && errno == ENOENT);
	ASSERT_ERR(olve_destroy(h, 7), ENOENT);
	ASSERT_ERR(olve_get_limits(h, 7, &l), ENOENT);
	ids = NULL;
	n = olve_list(h, &ids);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(ids[0], 3);
	ASSERT_EQ(ids[1], 4294967295u);
	free(ids);
	/* the junk groups are still there: destroy touches only lve<ID> */
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/lveroot/lvex", cgtest_hier(i)->root);
		if (stat(p, &st) < 0)
			continue; /* a hierarchy liblve does not use has no lveroot */
		ASSERT(S_ISDIR(st.st_mode));
		snprintf(p, sizeof(p), "%s/lveroot/lve3", cgtest_hier(i)->root);
		/* lazy cpuset: no lve3 in a cpuset-only v1 hierarchy (no CPU mask) */
		ASSERT_EQ(stat(p, &st) == 0,
			  !(cgtest_hier(i)->version == 1 && !strcmp(cgtest_hier(i)->ctrls, "cpuset")));
	}
	olve_close(h);
	return 0;
}

TEST(destroy_refuses_own_lve)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	pid_t pid;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 8, &l));
	/* a process inside LVE 8 destroying LVE 8 gets EBUSY and survives */
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		char s[32];
		int r;

		snprintf(s, sizeof(s), "%d", (int)getpid());
		for (int i = 0; i < cgtest_n_hiers(); i++) {
			char p[600];
			int fd;

			snprintf(p, sizeof(p), "%s/lveroot/lve8/cgroup.procs", cgtest_hier(i)->root);
			fd = open(p, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, s, strlen(s)) < 0)
					_exit(5);
				close(fd);
			}
		}
		r = olve_destroy(h, 8);
		_exit(r == -EBUSY ? 0 : 1);
	}
	ASSERT_EQ(cgtest_wait(pid), 0);
	ASSERT(cgtest_exists("cpu", "lveroot/lve8") || !cgtest_has_ctrl("cpu"));
	ASSERT_OK(olve_destroy(h, 8));
	olve_close(h);
	return 0;
}

static int current_kid(int out, int in, void *arg)
{
	struct olve *h = arg;
	uint32_t id = 1234;
	int r = olve_current(h, &id);

	say(out, "%d %u\n", r, id);
	wait_parent(in);
	return 0;
}

TEST(current_finds_the_lve)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	uint32_t id = 99;
	struct kid k;
	char line[64];
	int r;
	unsigned got;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_current(h, &id));
	ASSERT_EQ(id, 0);
	ASSERT_OK(olve_apply(h, 123456, &l));
	ASSERT_OK(kid_start(&k, 123456, current_kid, h));
	ASSERT(kid_line(&k, line, sizeof(line)) > 0);
	ASSERT_EQ(kid_finish(&k), 0);
	ASSERT_EQ(sscanf(line, "%d %u", &r, &got), 2);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(got, 123456);
	ASSERT_ERR(olve_current(h, NULL), EINVAL);
	ASSERT_ERR(olve_current(NULL, &id), EINVAL);
	olve_close(h);
	return 0;
}

TEST(flags)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited();
	uint32_t f = 77;

	LVE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_ERR(olve_set_flags(h, 20, OLVE_F_DISABLED), ENOENT);
	ASSERT_ERR(olve_get_flags(h, 20, &f), ENOENT);
	ASSERT_OK(olve_apply(h, 20, &l));
	ASSERT_OK(olve_get_flags(h, 20, &f));
	ASSERT_EQ(f, 0);
	ASSERT_OK(olve_set_flags(h, 20, OLVE_F_DISABLED));
	ASSERT_OK(olve_get_flags(h, 20, &f));
	ASSERT_EQ(f, OLVE_F_DISABLED);
	ASSERT_ERR(olve_set_flags(h, 20, 0x2), EINVAL);
	ASSERT_ERR(olve_set_flags(h, 0, 0), EINVAL);
	ASSERT_ERR(olve_get_flags(h, 20, NULL), EINVAL);
	ASSERT_OK(olve_get_flags(h, 20, &f));
	ASSERT_EQ(f, OLVE_F_DISABLED);
	/* limits applied later keep the flags */
	l.nproc = 40;
	ASSERT_OK(olve_apply(h, 20, &l));
	ASSERT_OK(olve_get_flags(h, 20, &f));
	ASSERT_EQ(f, OLVE_F_DISABLED);
	ASSERT_OK(olve_set_flags(h, 20, 0));
	ASSERT_OK(olve_get_flags(h, 20, &f));
	ASSERT_EQ(f, 0);
	olve_close(h);
	return 0;
}

/* ------------------------------------------------------------- bad input */

static bool lve_dir_exists(uint32_t id)
{
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[600];
		struct stat st;

		snprintf(p, sizeof(p), "%s/lveroot/lve%" PRIu32, cgtest_hier(i)->root, id);
		if (stat(p, &st) == 0)
			return true;
	}
	return false;
}

TEST(bad_arguments)
{
	struct olve *h = NULL;
	struct olve_limits l = unlimited(), got;
	struct olve_usage u;
	uint32_t *ids;

	LVE_SETUP();
	ASSERT_ERR(olve_open(NULL, 0), EINVAL);
	ASSERT_ERR(olve_open(&h, 0x100), EINVAL);
	ASSERT(h == NULL);
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_ERR(olve_apply(h, 0, &l), EINVAL); /* LVE 0 is the host */
	ASSERT_ERR(olve_apply(h, 1, NULL), EINVAL);
	ASSERT_ERR(olve_apply(NULL, 1, &l), EINVAL);
	/* out-of-range limits: refused before anything is created */
	l.cpu_pct = 101;
	ASSERT_ERR(olve_apply(h, 2, &l), EINVAL);
	l = unlimited();
	l.cpu_weight = 10001;
	ASSERT_ERR(olve_apply(h, 2, &l), EINVAL);
	l = unlimited();
	l.pmem = 100;
	ASSERT_ERR(olve_apply(h, 2, &l), EINVAL);
	l = unlimited();
	l.nproc = 4194305;
	ASSERT_ERR(olve_apply(h, 2, &l), EINVAL);
	l = unlimited();
	l.mask = 1u << 31;
	ASSERT_ERR(olve_apply(h, 2, &l), EINVAL);
	ASSERT(!lve_dir_exists(2));

	ASSERT_ERR(olve_get_limits(h, 2, &got), ENOENT);
	ASSERT_ERR(olve_get_limits(h, 0, &got), EINVAL);
	ASSERT_ERR(olve_get_limits(h, 2, NULL), EINVAL);
	ASSERT_ERR(olve_usage(h, 2, &u), ENOENT);
	ASSERT_ERR(olve_usage(h, 0, &u), EINVAL);
	ASSERT_ERR(olve_usage(h, 2, NULL), EINVAL);
	ASSERT_ERR(olve_destroy(h, 2), ENOENT);
	ASSERT_ERR(olve_destroy(h, 0), EINVAL);
	ASSERT_ERR(olve_list(h, NULL), EINVAL);
	ASSERT_ERR(olve_list(NULL, &ids), EINVAL);
	ASSERT(!lve_dir_exists(2));
	olve_close(h);
	return 0;
}

TEST(open_nocreate_creates_nothing)
{
	struct olve *h = NULL;
	char p[600];
	struct stat st;

	LVE_SETUP();
	ASSERT_ERR(olve_open(&h, OLVE_OPEN_NOCREATE), ENOENT);
	ASSERT(h == NULL);
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		snprintf(p, sizeof(p), "%s/lveroot", cgtest_hier(i)->root);
		ASSERT(stat(p, &st) < 0 && errno == ENOENT);
	}
	snprintf(p, sizeof(p), "%s/state", lte_dir);
	ASSERT(stat(p, &st) < 0 && errno == ENOENT);
	/* once created, NOCREATE opens it */
	ASSERT_OK(olve_open(&h, 0));
	olve_close(h);
	h = NULL;
	ASSERT_OK(olve_open(&h, OLVE_OPEN_NOCREATE));
	olve_close(h);
	return 0;
}

TEST(bad_conf_is_refused)
{
	struct olve *h = NULL;
	char p[600];
	FILE *f;
	struct stat st;

	LVE_SETUP();
	snprintf(p, sizeof(p), "%s/bad.conf", lte_dir);
	f = fopen(p, "we");
	ASSERT(f);
	/* escaping the mount is refused at parse time */
	fprintf(f, "cgroup_root = ../../escape\nstate_dir = %s/badstate\n", lte_dir);
	fclose(f);
	setenv("OPENLVE_CONF", p, 1);
	ASSERT_ERR(olve_open(&h, 0), EINVAL);
	ASSERT(h == NULL);
	snprintf(p, sizeof(p), "%s/badstate", lte_dir);
	ASSERT(stat(p, &st) < 0);
	setenv("OPENLVE_CONF", "/nonexistent/openlve.conf", 1);
	ASSERT_ERR(olve_open(&h, 0), ENOENT);
	return 0;
}

TAP_MAIN()
