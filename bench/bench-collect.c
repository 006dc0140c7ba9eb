/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-collect: lved's sampler (olstats' collector) against a bare pread
 * loop over the same files, and lved's own cost as a daemon.
 *
 *   collector  lve_collector_pass(): pread of every kept usage file of every
 *              LVE, parsing, the state file (fstat; EP slots by F_OFD_GETLK),
 *              deltas into struct lve_sample.
 *   bare       pread(fd, buf, 4 KiB, 0) of exactly the files the collector
 *              keeps (same rules, opened here), nothing else.
 * Both run in the same process, interleaved pass by pass; the median of
 * --reps passes is reported, with the collector's first pass (opening
 * everything, reading limits through liblve) separately.
 *
 *   daemon     the built lved (--foreground, interval 1 s, info_period 300,
 *              SQLite history in a temp dir) over 1,000 LVEs for --seconds
 *              (default 60; --quick 15), in its own group of every
 *              hierarchy: CPU time (utime + stime) between READY=1 and the
 *              end, RSS, peak RSS, kernel memory charged to its group, fds.
 *              Extrapolated to interval 5 s (the lve-stats default): CPU per
 *              pass x 720 passes per hour -- clearly an extrapolation.
 *
 *   long       --daemon-count=N: the built lved as in production (interval
 *              5 s, info_period 300) over N idle LVEs for --seconds (default
 *              150, at least 120), history in SQLite in the temp dir or, with
 *              --pg=USER:PASSWORD@HOST:PORT/DB, in that PostgreSQL database
 *              (e.g. one started by scripts/pg-test-server.sh; server_id
 *              "bench"; with --sqlite-too a SQLite run comes first over the
 *              same LVEs); --mysql=CONNECT_STRING likewise for MariaDB/MySQL.
 *              --backends=LIST (sqlite,postgresql,mysql; [i12]) runs lved
 *              once per backend over the same LVEs, one after the other; a
 *              database backend without --pg/--mysql gets a throwaway server
 *              on 127.0.0.1 started by the bench itself
 *              (scripts/pg-test-server.sh, scripts/mariadb-test-server.sh in
 *              OPENLVE_SOURCE_ROOT, else next to the build dir; fsync off,
 *              data in a /tmp dir removed at the end; its CPU is not lved's
 *              and is not counted). Measured, not extrapolated: lved's own CPU time
 *              (utime + stime of its /proc/PID/stat: other load on the host
 *              does not count in it) from 75 s after READY=1 (idle LVEs
 *              in their steady state) to the end,
 *              divided by the wall time, RSS and peak RSS, fds, and the load
 *              average (a loaded host still inflates it a little: caches).
 *
 * The LVEs are made with liblve (olve_apply, default limits) in a random
 * subtree "olbench-collect-XXXXXXXX/lveroot" below this process's cgroup in
 * every hierarchy (v1 here: cpu, cpuacct, cpuset, memory -- below our own
 * memory group only --, blkio, pids) and removed at the end, also after
 * SIGINT/SIGTERM/SIGHUP (handled between steps).
 *
 *   bench-collect [--counts=N,N...] [--reps=R] [--seconds=S] [--no-daemon] [--quick]
 *     defaults: --counts=1000,10000 --reps=7 --seconds=60; --quick: 1000, 3 reps, 15 s
 *   bench-collect --daemon-count=N [--seconds=S] [--pg=CONNECT_STRING [--sqlite-too]]
 *   bench-collect --daemon-count=N [--seconds=S] --backends=sqlite,postgresql,mysql [--pg=CS] [--mysql=CS]
 *
 * Exit status: 0 done, 1 error, 2 usage, 77 cannot run here (not root, no
 * cgroup hierarchy). Times are reported, never asserted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "stats.h"

#include "bench-common.h"

#define MAX_COUNTS 8

static pid_t lved_pid;

/* [i12] Throwaway database servers for --backends (scripts/pg-test-server.sh, mariadb-test-server.sh). */
struct dbsrv {
	const char *type;   /* lvestats2 db_type */
	const char *script; /* in <source>/scripts */
	char dir[64];       /* its data dir, "" when not started */
	char cs[512];       /* connect_string */
};
static struct dbsrv dbsrv[2] = { { "postgresql", "pg-test-server.sh", "", "" },
				 { "mysql", "mariadb-test-server.sh", "", "" } };

static void script_path(const char *name, char *out, size_t size)
{
	const char *src = getenv("OPENLVE_SOURCE_ROOT");
	char self[PATH_MAX - 64] = "";
	ssize_t n;

	if (src) {
		snprintf(out, size, "%s/scripts/%s", src, name);
		return;
	}
	/* <source>/<build>/bench/bench-collect -> <source>/scripts */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		for (int i = 0; i < 3; i++) {
			char *slash = strrchr(self, '/');

			if (slash)
				*slash = 0;
		}
	}
	snprintf(out, size, "%s/scripts/%s", *self ? self : ".", name);
}

/* sh <script> <cmd> <dir>; its first stdout line into out. Exit code, or -errno. */
static int dbsrv_run(const struct dbsrv *d, const char *cmd, char *out, size_t size)
{
	char path[PATH_MAX];
	int pfd[2], st;
	size_t n = 0;
	pid_t pid;

	script_path(d->script, path, sizeof(path));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/bin/sh", "sh", path, cmd, d->dir, (char *)NULL);
		_exit(126);
	}
	close(pfd[1]);
	for (;;) {
		char buf[256];
		ssize_t k = read(pfd[0], buf, sizeof(buf));

		if (k <= 0)
			break;
		if (out && n + 1 < size) {
			size_t c = (size_t)k < size - 1 - n ? (size_t)k : size - 1 - n;

			memcpy(out + n, buf, c);
			n += c;
		}
	}
	close(pfd[0]);
	if (out && size) {
		out[n] = 0;
		out[strcspn(out, "\n")] = 0;
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int dbsrv_start(struct dbsrv *d)
{
	int r;

	snprintf(d->dir, sizeof(d->dir), "/tmp/olbench-db-XXXXXX");
	if (!mkdtemp(d->dir)) {
		d->dir[0] = 0;
		return -errno;
	}
	r = dbsrv_run(d, "start", d->cs, sizeof(d->cs));
	if (r != 0 || !strchr(d->cs, '@')) {
		fprintf(stderr, "bench-collect: %s: start failed (exit %d); see %s\n", d->script, r, d->dir);
		return r == 77 ? -ENOPKG : -EIO;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

static void dbsrv_stop_all(void)
{
	for (size_t i = 0; i < ELEMENTSOF(dbsrv); i++) {
		if (!dbsrv[i].dir[0])
			continue;
		(void)dbsrv_run(&dbsrv[i], "stop", NULL, 0);
		(void)nftw(dbsrv[i].dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		dbsrv[i].dir[0] = 0;
	}
}

static void cleanup(void)
{
	if (lved_pid > 0) {
		kill(lved_pid, SIGKILL);
		waitpid(lved_pid, NULL, 0);
		lved_pid = 0;
	}
	dbsrv_stop_all();
	bench_cleanup(false);
}

/* <own>/top and <own>/top/lved in every hierarchy with our controllers. */
static int setup_hiers(void)
{
	int r = bench_hiers_find();

	if (r <= 0)
		return r == 0 ? -ENODEV : r;
	r = bench_subtree_make("olbench-collect");
	if (r < 0)
		return r;
	/* lved's own group (its kernel memory is read from here) */
	return bench_subgroup_make("lved", false, NULL);
}

/* openlve.conf (LVEs in <top>/lveroot) and lved's lvestats2 in the temp dir. */
static int write_conf(void)
{
	char path[sizeof(bench_tmpdir) + 16];
	FILE *f;
	int r = bench_conf_write("lveroot");

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lvestats2", bench_tmpdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "interval=1\ninfo_period=300\nsqlite_path=%s/lvestats2.db\n", bench_tmpdir);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* ------------------------------------------------------------ bare fds */

struct bare {
	int *fd;
	size_t n, cap;
	struct olve *h;
	uint32_t kept_to;    /* LVEs 1..kept_to have their fds in fd[] */
	uint32_t last;       /* LVEs kept_to+1..last are opened, read and closed per pass */
};

static int bare_add(struct bare *b, int fd)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		int *nf = realloc(b->fd, ncap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		b->fd = nf;
		b->cap = ncap;
	}
	b->fd[b->n++] = fd;
	return 0;
}

static void bare_free(struct bare *b)
{
	for (size_t i = 0; i < b->n; i++)
		close(b->fd[i]);
	free(b->fd);
	memset(b, 0, sizeof(*b));
}

static void open_if(struct bare *b, int dirfd, const char *name, const char *alt)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && alt)
		fd = openat(dirfd, alt, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && bare_add(b, fd) < 0)
		close(fd);
}

/* The files collect.c keeps for LVE id (same rules), appended to b. */
static int bare_open_lve(struct bare *b, uint32_t id)
{
	struct olve *h = b->h;
	int cpu = olve_hier_of(h, CG_CTRL_CPU), acct = olve_hier_of(h, CG_CTRL_CPUACCT);
	int mem = olve_hier_of(h, CG_CTRL_MEMORY), pids = olve_hier_of(h, CG_CTRL_PIDS);
	int io = olve_hier_of(h, CG_CTRL_IO);
	int d[OLVE_MAX_HIER];
	char name[16];

	if (io < 0)
		io = olve_hier_of(h, CG_CTRL_BLKIO);
	olve_lve_dirname(id, name);
	for (int i = 0; i < h->n_hier; i++) {
		/* only the hierarchies read below; liblve makes no cpuset group for an
		 * LVE without a CPU mask */
		bool used = i == cpu || i == acct || i == mem || i == pids || i == io || (i == 0 && (cpu < 0 || pids < 0));

		d[i] = used ? ol_open_dir_beneath(h->hier[i].rootfd, name, 0, 0) : -1;
		if (used && d[i] < 0) {
			while (i-- > 0)
				if (d[i] >= 0)
					close(d[i]);
			return -ENOENT;
		}
	}
	if (cpu >= 0)
		open_if(b, d[cpu], "cpu.stat", NULL);
	else if (h->hier[0].version == 2)
		open_if(b, d[0], "cpu.stat", NULL);
	if (!(cpu >= 0 && h->hier[cpu].version == 2) && acct >= 0)
		open_if(b, d[acct], "cpuacct.usage", NULL);
	if (mem >= 0 && h->hier[mem].version == 2) {
		open_if(b, d[mem], "memory.current", NULL);
		open_if(b, d[mem], "memory.events", NULL);
	} else if (mem >= 0) {
		open_if(b, d[mem], "memory.usage_in_bytes", NULL);
		open_if(b, d[mem], "memory.failcnt", NULL);
		open_if(b, d[mem], "memory.memsw.failcnt", NULL);
		open_if(b, d[mem], "memory.oom_control", NULL);
	}
	if (pids >= 0) {
		open_if(b, d[pids], "pids.current", NULL);
		open_if(b, d[pids], "pids.events", NULL);
	}
	if (io >= 0 && h->hier[io].version == 2) {
		open_if(b, d[io], "io.stat", NULL);
	} else if (io >= 0) {
		open_if(b, d[io], "blkio.throttle.io_service_bytes", "blkio.throttle.io_service_bytes_recursive");
		open_if(b, d[io], "blkio.throttle.io_serviced", "blkio.throttle.io_serviced_recursive");
	}
	open_if(b, d[pids >= 0 ? pids : 0], "cgroup.procs", NULL);
	if (pids < 0)
		open_if(b, d[0], h->hier[0].version == 2 ? "cgroup.threads" : "tasks", NULL);
	for (int i = 0; i < h->n_hier; i++)
		if (d[i] >= 0)
			close(d[i]);
	{
		char sname[16];

		snprintf(sname, sizeof(sname), "%" PRIu32, id);
		open_if(b, h->statefd, sname, NULL);
	}
	return 0;
}

/*
 * Keep the fds of LVEs 1..k where k is as many as the same fd budget as the
 * collector's allows (RLIMIT_NOFILE minus LVE_COLLECT_FD_RESERVE); the rest
 * are opened, read and closed in every pass.
 */
static int bare_open(struct olve *h, uint32_t n, struct bare *b)
{
	struct rlimit rl;
	uint64_t budget = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		budget = rl.rlim_cur > 2 * LVE_COLLECT_FD_RESERVE ? rl.rlim_cur - LVE_COLLECT_FD_RESERVE : rl.rlim_cur / 2;
	b->h = h;
	b->last = n;
	b->kept_to = 0;
	for (uint32_t id = 1; id <= n; id++) {
		size_t before = b->n;
		int r;

		if (id > 1 && b->n + b->n / (id - 1) + 1 > budget)
			break; /* the next LVE would go over the budget */
		r = bare_open_lve(b, id);
		if (r < 0)
			return r;
		if (b->n > budget) {
			while (b->n > before)
				close(b->fd[--b->n]);
			break;
		}
		b->kept_to = id;
	}
	return 0;
}

static double bare_pass(struct bare *b)
{
	static char buf[4096]; /* the collector's buffer size (it grows only for longer files) */
	double t0 = bench_now_s();
	size_t kept = b->n;

	for (size_t i = 0; i < kept; i++)
		(void)!pread(b->fd[i], buf, sizeof(buf), 0);
	/* beyond the fd budget: the same files opened, read, closed */
	for (uint32_t id = b->kept_to + 1; id <= b->last; id++) {
		if (bare_open_lve(b, id) < 0)
			continue;
		for (size_t i = kept; i < b->n; i++) {
			(void)!pread(b->fd[i], buf, sizeof(buf), 0);
			close(b->fd[i]);
		}
		b->n = kept;
	}
	return bench_now_s() - t0;
}

#define ROUNDS 2

struct series {
	double t[128];
	int n;
	double cpu;
};

/* reps timed passes of c into *sr (after one warm-up pass). */
static int time_passes(struct lve_collector *c, uint32_t n, int reps, struct series *sr)
{
	struct lve_sample *s = NULL;
	int r = lve_collector_pass(c, 1000000, &s);

	free(s);
	for (int i = 0; r >= 0 && i < reps && !bench_stop && sr->n < 128; i++) {
		double c0 = bench_cpu_s(), t0 = bench_now_s();

		s = NULL;
		r = lve_collector_pass(c, (int64_t)(i + 2) * 1000000, &s);
		sr->t[sr->n++] = bench_now_s() - t0;
		sr->cpu += bench_cpu_s() - c0;
		free(s);
		if (r >= 0 && (uint32_t)r != n) {
			fprintf(stderr, "bench-collect: a pass gave %d samples, want %" PRIu32 "\n", r, n);
			r = -EIO;
		}
	}
	return r < 0 ? r : 0;
}

/*
 * Rows for n LVEs (already created, all idle). The collector and the bare
 * loop cannot hold their fds at the same time under this host's
 * RLIMIT_NOFILE, so they alternate in blocks: ROUNDS x (collector: new, first
 * pass, reps timed passes as lved runs them, then reps with every file read
 * (lve_collector_set_full), freed; bare: open, warm-up, reps timed).
 */
static int measure(struct olve *h, uint32_t n, int reps)
{
	struct lve_collector_status st = { 0 };
	struct series quiet = { .n = 0 }, full = { .n = 0 }, bare = { .n = 0 };
	double t_first = 0;
	uint32_t n_quiet = 0;
	uint64_t fds_quiet = 0;
	size_t bare_fds = 0;
	uint32_t bare_transient = 0;
	int r = 0;

	if (reps > 64)
		reps = 64;
	for (int round = 0; round < ROUNDS && !bench_stop; round++) {
		struct lve_collector *c = NULL;
		struct lve_sample *s = NULL;
		struct bare b = { 0 };
		double t0;

		r = lve_collector_new(h, &c);
		if (r < 0)
			return r;
		t0 = bench_now_s();
		r = lve_collector_pass(c, 0, &s);
		if (round == 0)
			t_first = bench_now_s() - t0;
		free(s);
		if (r >= 0)
			r = time_passes(c, n, reps, &quiet);
		lve_collector_status(c, &st);
		n_quiet = st.n_quiet;
		fds_quiet = st.n_fds;
		lve_collector_set_full(c, true);
		if (r >= 0)
			r = time_passes(c, n, reps, &full);
		lve_collector_status(c, &st);
		lve_collector_free(c);
		if (r < 0)
			return r;
		if (st.n_lves != n || st.n_skipped) {
			fprintf(stderr, "bench-collect: collector tracks %" PRIu32 " LVEs, %" PRIu32 " skipped (%s)\n",
				st.n_lves, st.n_skipped, strerror(-st.last_err));
			return -EIO;
		}
		r = bare_open(h, n, &b);
		if (r >= 0) {
			bare_fds = b.n;
			bare_transient = n - b.kept_to;
			bare_pass(&b); /* warm-up */
			for (int i = 0; i < reps && !bench_stop && bare.n < 128; i++)
				bare.t[bare.n++] = bare_pass(&b);
		}
		bare_free(&b);
		if (r < 0)
			return r;
	}
	if (quiet.n == 0 || full.n == 0 || bare.n == 0)
		return -EINTR;
	{
		double mq = bench_median(quiet.t, quiet.n), mf = bench_median(full.t, full.n), mb = bench_median(bare.t, bare.n);

		printf("%7" PRIu32 " %-6s %8" PRIu64 " %8zu %9" PRIu32 " %11.1f %11.2f %9.2f %6.2f %8.1f %11.2f\n", n,
		       "lved", fds_quiet, bare_fds, st.n_transient, t_first * 1e3, mq * 1e3, mb * 1e3, mb > 0 ? mq / mb : 0,
		       mq * 1e6 / n, quiet.cpu / quiet.n * 1e3);
		printf("%7" PRIu32 " %-6s %8" PRIu64 " %8zu %9" PRIu32 " %11s %11.2f %9.2f %6.2f %8.1f %11.2f\n", n,
		       "full", st.n_fds, bare_fds, st.n_transient, "", mf * 1e3, mb * 1e3, mb > 0 ? mf / mb : 0,
		       mf * 1e6 / n, full.cpu / full.n * 1e3);
		if (n_quiet)
			printf("        (lved: %" PRIu32 " of %" PRIu32 " LVEs idle, read the short way)\n", n_quiet, n);
		if (bare_transient)
			printf("        (bare: %" PRIu32 " LVEs over the fd budget, opened/read/closed per pass)\n",
			       bare_transient);
		fflush(stdout);
	}
	return 0;
}

#define HEADER()                                                                                          \
	printf("%7s %-6s %8s %8s %9s %11s %11s %9s %6s %8s %11s\n", "LVEs", "mode", "fds", "bare fds", "transient", \
	       "1st pass ms", "collect ms", "bare ms", "ratio", "us/LVE", "cpu ms/pass")

static int create_lves(struct olve *h, uint32_t from, uint32_t to, double *secs)
{
	struct olve_limits none = { 0 };
	double t0 = bench_now_s();

	for (uint32_t id = from; id <= to && !bench_stop; id++) {
		int r = olve_apply(h, id, &none);

		if (r < 0) {
			fprintf(stderr, "bench-collect: olve_apply(%" PRIu32 "): %s\n", id, strerror(-r));
			return r;
		}
		/* the handle's per-LVE fd cache would hold 13 fds per LVE: not what lved holds */
		olve_lve_forget(h, id);
	}
	*secs = bench_now_s() - t0;
	return bench_stop ? -EINTR : 0;
}

/* ----------------------------------------------------------------- lved */

static int find_lved(char *out, size_t size)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (root) {
		snprintf(out, size, "%s/src/lved/lved", root);
		if (access(out, X_OK) == 0)
			return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(out, size, "%s/../src/lved/lved", self);
			if (access(out, X_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

struct procstat {
	double cpu;      /* utime + stime, s */
	long rss_kb, hwm_kb;
	int fds;
};

static int read_proc(pid_t pid, struct procstat *ps)
{
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, stt = 0;
	long tck = sysconf(_SC_CLK_TCK);
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (bench_read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2)
		return -EINVAL;
	ps->cpu = (double)(ut + stt) / (double)(tck > 0 ? tck : 100);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (bench_read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	p = strstr(buf, "VmRSS:");
	ps->rss_kb = p ? strtol(p + 6, NULL, 10) : 0;
	p = strstr(buf, "VmHWM:");
	ps->hwm_kb = p ? strtol(p + 6, NULL, 10) : 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ps->fds = 0;
	d = opendir(path);
	if (d) {
		while ((de = readdir(d)))
			ps->fds += de->d_name[0] != '.';
		closedir(d);
	}
	return 0;
}

/* Kernel memory charged to lved's memory group (v1 memory.kmem.usage_in_bytes, v2 memory.stat kernel). */
static long long lved_kmem(void)
{
	int mem = -1;
	char buf[8192];

	for (int k = 0; k < bench_nhier; k++)
		if (bench_hier_has(&bench_hier[k], "memory"))
			mem = k;
	if (mem < 0 || bench_hier[mem].topfd < 0)
		return -1;
	if (bench_hier[mem].version == 1) {
		if (ol_read_at(bench_hier[mem].topfd, "lved/memory.kmem.usage_in_bytes", buf, sizeof(buf)) < 0)
			return -1;
		return strtoll(buf, NULL, 10);
	}
	if (ol_read_at(bench_hier[mem].topfd, "lved/memory.stat", buf, sizeof(buf)) >= 0) {
		char *p = strstr(buf, "\nkernel ");

		if (!strncmp(buf, "kernel ", 7))
			return strtoll(buf + 7, NULL, 10);
		if (p)
			return strtoll(p + 8, NULL, 10);
	}
	return -1;
}

static bool wait_ready(int nfd, double timeout)
{
	double end = bench_now_s() + timeout;

	while (bench_now_s() < end && !bench_stop) {
		struct pollfd p = { .fd = nfd, .events = POLLIN };
		char buf[512];
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(nfd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (strstr(buf, "READY=1"))
			return true;
	}
	return false;
}

static int run_daemon(uint32_t n, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char bin[PATH_MAX], conf[128];
	struct procstat a, b;
	_cleanup_close_ int nfd = -1;
	double t0, t1, passes, per_pass;
	long long kmem;
	int st;

	if (find_lved(bin, sizeof(bin)) < 0) {
		fprintf(stderr, "bench-collect: lved not found (OPENLVE_BUILD_ROOT): daemon run skipped\n");
		return 0;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", bench_tmpdir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	snprintf(conf, sizeof(conf), "%s/lvestats2", bench_tmpdir);
	lved_pid = fork();
	if (lved_pid < 0)
		return -errno;
	if (lved_pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int k = 0; k < bench_nhier; k++)
			if (ol_write_at(bench_hier[k].topfd, "lved/cgroup.procs", "0") < 0)
				_exit(126);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		if (null >= 0)
			dup2(null, 1);
		execl(bin, bin, "--foreground", "--config", conf, (char *)NULL);
		_exit(127);
	}
	if (!wait_ready(nfd, 300)) {
		fprintf(stderr, "bench-collect: lved did not get ready\n");
		return -ETIMEDOUT;
	}
	if (read_proc(lved_pid, &a) < 0)
		return -ESRCH;
	t0 = bench_now_s();
	for (int i = 0; i < seconds * 10 && !bench_stop; i++) {
		struct timespec ts = { 0, 100000000 };

		nanosleep(&ts, NULL);
	}
	if (read_proc(lved_pid, &b) < 0)
		return -ESRCH;
	t1 = bench_now_s();
	kmem = lved_kmem();
	kill(lved_pid, SIGTERM);
	waitpid(lved_pid, &st, 0);
	lved_pid = 0;

	passes = (double)(long)(t1 - t0 + 0.5); /* interval 1 s on an absolute schedule */
	per_pass = passes > 0 ? (b.cpu - a.cpu) / passes : 0;
	printf("\nlved daemon, %" PRIu32 " LVEs, interval 1 s, %.0f s measured (%.0f passes) after READY=1:\n", n,
	       t1 - t0, passes);
	printf("  CPU time            %.2f s (utime+stime; clock ticks of 10 ms: +-0.01 s)\n", b.cpu - a.cpu);
	printf("  CPU per pass        %.2f ms (sampling, period averages, SQLite insert of %" PRIu32 " rows)\n",
	       per_pass * 1e3, n);
	printf("  RSS                 %ld KiB now, %ld KiB peak\n", b.rss_kb, b.hwm_kb);
	printf("  fds                 %d\n", b.fds);
	if (kmem >= 0)
		printf("  kernel memory       %.1f MiB charged to lved's group (kept seq_files, struct files, ...)\n",
		       (double)kmem / 1048576.0);
	printf("EXTRAPOLATED to interval 5 s (720 passes/h, same cost per pass):\n");
	printf("  CPU per hour        %.1f s = %.3f %% of one core (target < 0.5 %%)\n", per_pass * 720,
	       per_pass / 5.0 * 100.0);
	printf("  RSS                 %.1f MiB peak (target < 32 MiB; does not grow with passes)\n",
	       (double)b.hwm_kb / 1024.0);
	return 0;
}

/* lvestats2 for the long run: interval 5 s, SQLite in the temp dir or db_type (postgresql, mysql) at cs. */
static int write_conf_long(const char *type, const char *pg, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/lvestats2-long", bench_tmpdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "interval=5\ninfo_period=300\n");
	if (pg)
		fprintf(f, "db_type=%s\nconnect_string=%s\nserver_id=bench\n", type, pg);
	else
		fprintf(f, "sqlite_path=%s/lvestats2-long.db\n", bench_tmpdir);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* The real daemon at interval 5 s over n LVEs for `seconds`: its own CPU time / wall time. */
static int run_daemon_long(uint32_t n, int seconds, const char *type, const char *pg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char bin[PATH_MAX], conf[PATH_MAX], load0[128] = "", load1[128] = "";
	struct procstat a, b;
	_cleanup_close_ int nfd = -1;
	double t0, t1, ready, cpu;
	long long kmem;
	int st, r;

	if (find_lved(bin, sizeof(bin)) < 0) {
		fprintf(stderr, "bench-collect: lved not found (OPENLVE_BUILD_ROOT)\n");
		return -ENOENT;
	}
	r = write_conf_long(type, pg, conf, sizeof(conf));
	if (r < 0)
		return r;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify-long", bench_tmpdir);
	(void)unlink(sa.sun_path);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	ready = bench_now_s();
	lved_pid = fork();
	if (lved_pid < 0)
		return -errno;
	if (lved_pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int k = 0; k < bench_nhier; k++)
			if (ol_write_at(bench_hier[k].topfd, "lved/cgroup.procs", "0") < 0)
				_exit(126);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		if (null >= 0)
			dup2(null, 1);
		execl(bin, bin, "--foreground", "--config", conf, (char *)NULL);
		_exit(127);
	}
	if (!wait_ready(nfd, 600)) {
		fprintf(stderr, "bench-collect: lved did not get ready\n");
		return -ETIMEDOUT;
	}
	ready = bench_now_s() - ready;
	/* past the first minute: every idle LVE in its steady state (probed every third pass) */
	for (int i = 0; i < 750 && !bench_stop; i++) {
		struct timespec ts = { 0, 100000000 };

		nanosleep(&ts, NULL);
	}
	if (read_proc(lved_pid, &a) < 0)
		return -ESRCH;
	(void)bench_read_at(AT_FDCWD, "/proc/loadavg", load0, sizeof(load0));
	t0 = bench_now_s();
	for (int i = 0; i < seconds * 10 && !bench_stop; i++) {
		struct timespec ts = { 0, 100000000 };

		nanosleep(&ts, NULL);
	}
	if (read_proc(lved_pid, &b) < 0)
		return -ESRCH;
	t1 = bench_now_s();
	(void)bench_read_at(AT_FDCWD, "/proc/loadavg", load1, sizeof(load1));
	load0[strcspn(load0, "\n")] = 0;
	load1[strcspn(load1, "\n")] = 0;
	kmem = lved_kmem();
	kill(lved_pid, SIGTERM);
	waitpid(lved_pid, &st, 0);
	lved_pid = 0;
	cpu = b.cpu - a.cpu;
	printf("\nlved daemon, %" PRIu32 " idle LVEs, interval 5 s, history in %s, %.0f s measured (about %.0f passes), "
	       "from 75 s after READY=1 (startup %.1f s):\n",
	       n, !pg ? "SQLite" : !strcmp(type, "mysql") ? "MariaDB" : "PostgreSQL", t1 - t0, (t1 - t0) / 5, ready);
	printf("  CPU time            %.2f s (utime+stime of lved only; clock ticks of 10 ms)\n", cpu);
	printf("  CPU per pass        %.2f ms\n", cpu / ((t1 - t0) / 5) * 1e3);
	printf("  RSS                 %.1f MiB now, %.1f MiB peak (target <= 64 MiB)\n", (double)b.rss_kb / 1024.0,
	       (double)b.hwm_kb / 1024.0);
	printf("  fds                 %d\n", b.fds);
	if (kmem >= 0)
		printf("  kernel memory       %.1f MiB charged to lved's group\n", (double)kmem / 1048576.0);
	printf("  load average        %s at the start, %s at the end\n", load0, load1);
	printf("MEASURED (%s): %.1f s of CPU per hour = %.3f %% of one core (target %s %%)\n",
	       !pg ? "sqlite" : type, cpu / (t1 - t0) * 3600, cpu / (t1 - t0) * 100.0, n <= 1000 ? "<= 0.1" : "<= 0.5");
	fflush(stdout);
	return 0;
}

static int parse_counts(const char *s, uint32_t *v, int *n)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_COUNTS || ol_parse_u32(t, &v[*n]) < 0 || v[*n] == 0 || v[*n] > 200000)
			return -EINVAL;
		if (*n && v[*n] <= v[*n - 1])
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "counts", required_argument, NULL, 'n' }, { "reps", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' }, { "no-daemon", no_argument, NULL, 'D' },
		{ "quick", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
		{ "daemon-count", required_argument, NULL, 'N' }, { "pg", required_argument, NULL, 'P' },
		{ "sqlite-too", no_argument, NULL, 'S' }, { "mysql", required_argument, NULL, 'M' },
		{ "backends", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t daemon_count = 0;
	const char *pg = NULL, *my = NULL;
	bool seconds_set = false, pg_too = false, backends_set = false;
	bool use_sqlite = false, use_pg = false, use_my = false;
	uint32_t counts[MAX_COUNTS] = { 1000, 10000 }, made = 0, reps = 7, seconds = 60;
	int ncounts = 2, ch, r, rc = 0;
	bool daemon = true, daemon_done = false;
	struct olve *h = NULL;
	struct rlimit rl;

	while ((ch = getopt_long(argc, argv, "n:r:s:DqhN:P:SM:B:", opts, NULL)) != -1) {
		switch (ch) {
		case 'M':
			if (!strchr(optarg, '@')) {
				fprintf(stderr, "bench-collect: --mysql=%s: expected USER:PASSWORD@HOST[:PORT]/DATABASE\n",
					optarg);
				return 2;
			}
			my = optarg;
			break;
		case 'B': {
			char buf[128], *save = NULL;

			snprintf(buf, sizeof(buf), "%s", optarg);
			backends_set = true;
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "sqlite"))
					use_sqlite = true;
				else if (!strcmp(t, "postgresql") || !strcmp(t, "pg"))
					use_pg = true;
				else if (!strcmp(t, "mysql") || !strcmp(t, "mariadb"))
					use_my = true;
				else {
					fprintf(stderr, "bench-collect: --backends=%s: expected sqlite,postgresql,mysql\n",
						optarg);
					return 2;
				}
			}
			break;
		}
		case 'S':
			pg_too = true;
			break;
		case 'N':
			if (ol_parse_u32(optarg, &daemon_count) < 0 || daemon_count == 0 || daemon_count > 200000) {
				fprintf(stderr, "bench-collect: --daemon-count=%s: expected 1..200000\n", optarg);
				return 2;
			}
			break;
		case 'P':
			if (!strchr(optarg, '@')) {
				fprintf(stderr, "bench-collect: --pg=%s: expected USER:PASSWORD@HOST[:PORT]/DATABASE\n", optarg);
				return 2;
			}
			pg = optarg;
			break;
		case 'n':
			if (parse_counts(optarg, counts, &ncounts) < 0) {
				fprintf(stderr, "bench-collect: --counts=%s: ascending numbers 1..200000\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (ol_parse_u32(optarg, &reps) < 0 || reps == 0 || reps > 64) {
				fprintf(stderr, "bench-collect: --reps=%s: expected 1..64\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (ol_parse_u32(optarg, &seconds) < 0 || seconds < 5 || seconds > 3600) {
				fprintf(stderr, "bench-collect: --seconds=%s: expected 5..3600\n", optarg);
				return 2;
			}
			seconds_set = true;
			break;
		case 'D':
			daemon = false;
			break;
		case 'q':
			counts[0] = 1000;
			ncounts = 1;
			reps = 3;
			seconds = 15;
			break;
		case 'h':
			printf("Usage: bench-collect [--counts=N,N...] [--reps=R] [--seconds=S] [--no-daemon] [--quick]\n"
			       "       bench-collect --daemon-count=N [--seconds=S] [--pg=CONNECT_STRING [--sqlite-too]]\n"
			       "       bench-collect --daemon-count=N [--seconds=S] --backends=sqlite,postgresql,mysql\n"
			       "                     [--pg=CS] [--mysql=CS]  (servers started here unless given)\n"
			       "One collector pass over N LVEs vs a bare pread loop over the same files,\n"
			       "and lved's CPU/RSS over S seconds at 1,000 LVEs (extrapolated to interval 5 s);\n"
			       "--daemon-count: lved at interval 5 s over N LVEs for S seconds (default 150), measured.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (daemon_count && !seconds_set)
		seconds = 150;
	if (daemon_count && seconds < 120) {
		fprintf(stderr, "bench-collect: --daemon-count runs at least 120 s (--seconds)\n");
		return 2;
	}
	if ((pg || my || backends_set) && !daemon_count) {
		fprintf(stderr, "bench-collect: --pg, --mysql and --backends are for --daemon-count\n");
		return 2;
	}
	if (!backends_set) {
		use_sqlite = !pg || pg_too;
		use_pg = pg != NULL;
		use_my = my != NULL;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-collect: needs root (skipped)\n");
		return BENCH_EXIT_SKIP;
	}
	/* ~12 fds per LVE: as many as this host allows (lved does the same) */
	rl.rlim_cur = rl.rlim_max = 1048576;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	bench_catch_signals(NULL);
	r = bench_tmpdir_make("olbench-collect");
	if (r < 0)
		return bench_die("cannot make a temporary directory: %s", strerror(-r));
	r = setup_hiers();
	if (r == -ENODEV) {
		cleanup();
		fprintf(stderr, "bench-collect: no cgroup hierarchy with our controllers (skipped)\n");
		return BENCH_EXIT_SKIP;
	}
	if (r < 0) {
		cleanup();
		return bench_die("cannot create the benchmark groups: %s", strerror(-r));
	}
	r = write_conf();
	if (r < 0) {
		cleanup();
		return bench_die("cannot write the configuration: %s", strerror(-r));
	}
	r = olve_open(&h, 0);
	if (r < 0) {
		cleanup();
		return bench_die("olve_open: %s", strerror(-r));
	}
	if (daemon_count) {
		double secs;

		printf("bench-collect: %d hierarchies, %d CPUs, RLIMIT_NOFILE %llu; creating %" PRIu32 " LVEs\n",
		       h->n_hier, h->ncpus, (unsigned long long)rl.rlim_cur, daemon_count);
		fflush(stdout);
		r = create_lves(h, 1, daemon_count, &secs);
		if (r < 0) {
			rc = bench_die("cannot create the LVEs: %s", strerror(-r));
			goto out;
		}
		printf("  %" PRIu32 " LVEs created in %.1f s\n", daemon_count, secs);
		if (use_sqlite)
			r = run_daemon_long(daemon_count, (int)seconds, "sqlite", NULL);
		if (r >= 0 && use_pg && !bench_stop) {
			if (!pg && (r = dbsrv_start(&dbsrv[0])) >= 0)
				pg = dbsrv[0].cs;
			if (r >= 0)
				r = run_daemon_long(daemon_count, (int)seconds, "postgresql", pg);
		}
		if (r >= 0 && use_my && !bench_stop) {
			if (!my && (r = dbsrv_start(&dbsrv[1])) >= 0)
				my = dbsrv[1].cs;
			if (r >= 0)
				r = run_daemon_long(daemon_count, (int)seconds, "mysql", my);
		}
		if (r < 0)
			rc = bench_die("lved run: %s", strerror(-r));
		goto out;
	}
	printf("bench-collect: %d hierarchies, %d CPUs, %" PRIu32 " timed passes each (median)\n", h->n_hier,
	       h->ncpus, reps);
	HEADER();
	fflush(stdout);
	for (int i = 0; i < ncounts && !bench_stop; i++) {
		double secs;

		r = create_lves(h, made + 1, counts[i], &secs);
		if (r < 0) {
			rc = bench_die("cannot create the LVEs: %s", strerror(-r));
			goto out;
		}
		made = counts[i];
		r = measure(h, counts[i], (int)reps);
		if (r < 0) {
			rc = bench_die("measuring %" PRIu32 " LVEs: %s", counts[i], strerror(-r));
			goto out;
		}
		if (daemon && !daemon_done && counts[i] == 1000) {
			daemon_done = true;
			r = run_daemon(counts[i], (int)seconds);
			if (r < 0) {
				rc = bench_die("lved run: %s", strerror(-r));
				goto out;
			}
			if (i + 1 < ncounts) {
				printf("\n");
				HEADER();
			}
		}
	}
	printf("ratio = collector pass / bare pread pass over every kept file (target <= 1.5). mode lved: as the\n"
	       "daemon runs it (idle LVEs read the short way); full: every file of every LVE parsed each pass.\n"
	       "transient: LVEs over the fd budget (RLIMIT_NOFILE %llu here), whose files both sides open,\n"
	       "read and close each pass.\n",
	       (unsigned long long)rl.rlim_cur);
out:
	olve_close(h);
	cleanup();
	return rc;
}
