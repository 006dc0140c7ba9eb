/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-placed: placement latency of openlve-placed, from a process's uid
 * change (setresuid) to the moment the process sees itself inside LVE
 * <uid> in /proc/self/cgroup, against a baseline measured in the same run:
 * the same child moved by this program itself with olve_enter_pid() as
 * soon as it reports its uid change through a pipe (a placement with no
 * event delivery, no /proc checks, no daemon wake-up). Also: a storm of
 * 100 forks right after a uid change, time until every child is inside.
 *
 * The uid is a number unique to this run (no passwd entry needed); the
 * daemon is started with --min-uid/--max-uid on exactly that uid, so it
 * never looks at another process of this shared machine. Everything lives
 * in a random subtree below this process's cgroup (bench-common.h).
 *
 * Usage: bench-placed [--quick]   (root; OPENLVE_BUILD_ROOT finds the daemon)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"
#include "lve/openlve.h"

static uid_t g_uid;
static char g_want[32];

static bool self_inside(void)
{
	char buf[4096];

	if (bench_read_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, g_want) != NULL;
}

/* Child: report "uid changed" (pipe), spin until inside, send the latency (us). */
static void child_run(int notify_fd, int result_fd)
{
	double t0, t1, lat;

	t0 = bench_now_us();
	if (setresgid(65534, 65534, 65534) < 0 || setresuid(g_uid, g_uid, g_uid) < 0)
		_exit(1);
	if (notify_fd >= 0)
		(void)!write(notify_fd, "x", 1);
	for (long spins = 0; !self_inside(); spins++)
		if (bench_now_us() - t0 > 5e6)
			_exit(2);
	t1 = bench_now_us();
	lat = t1 - t0;
	(void)!write(result_fd, &lat, sizeof(lat));
	_exit(0);
}

/* One placement; latency in us, or < 0. With h: this program moves the child. */
static double one(struct olve *h)
{
	int res[2], note[2] = { -1, -1 };
	double lat = -1;
	pid_t p;

	if (pipe2(res, O_CLOEXEC) < 0 || (h && pipe2(note, O_CLOEXEC) < 0))
		return -1;
	p = fork();
	if (p == 0) {
		close(res[0]);
		if (h)
			close(note[0]);
		child_run(h ? note[1] : -1, res[1]);
	}
	close(res[1]);
	if (h) {
		char c;

		close(note[1]);
		if (read(note[0], &c, 1) == 1)
			(void)olve_enter_pid(h, g_uid, p);
		close(note[0]);
	}
	if (read(res[0], &lat, sizeof(lat)) != sizeof(lat))
		lat = -1;
	close(res[0]);
	waitpid(p, NULL, 0);
	return lat;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n ? v[(int)(q * (n - 1))] : 0;
}

static pid_t daemon_start(void)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char exe[PATH_MAX], uid[16], buf[4096] = "";
	size_t len = 0;
	int pfd[2];
	pid_t p;
	ssize_t n;

	snprintf(exe, sizeof(exe), "%s/src/placed/openlve-placed", b ? b : ".");
	snprintf(uid, sizeof(uid), "%u", (unsigned)g_uid);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	p = fork();
	if (p == 0) {
		dup2(pfd[1], 2);
		execl(exe, exe, "--min-uid", uid, "--max-uid", uid, "--rescan-interval", "0", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (len < sizeof(buf) - 1 && (n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, "ready:"))
			break;
	}
	if (!strstr(buf, "ready:")) {
		fprintf(stderr, "bench-placed: daemon did not start: %s\n", buf);
		close(pfd[0]);
		return -1;
	}
	/* Keep its stderr drained. */
	if (fork() == 0) {
		while (read(pfd[0], buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(pfd[0]);
	return p;
}

/* 100 forks right after a uid change: ms until all are inside. */
static double storm(void)
{
	int res[2];
	double ms = -1;
	pid_t p;

	if (pipe2(res, O_CLOEXEC) < 0)
		return -1;
	p = fork();
	if (p == 0) {
		double t0 = bench_now_us();
		pid_t kids[100];
		bool all = false;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(g_uid, g_uid, g_uid) < 0)
			_exit(1);
		for (int i = 0; i < 100; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				pause();
				_exit(0);
			}
			if (kids[i] < 0) { /* refused (NPROC): no result, the parent reads -1 */
				while (--i >= 0)
					kill(kids[i], SIGKILL);
				while (wait(NULL) > 0)
					;
				_exit(2);
			}
		}
		while (!all && bench_now_us() - t0 < 10e6) {
			all = true;
			for (int i = 0; i < 100 && all; i++) {
				char path[64], buf[4096];

				snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)kids[i]);
				if (bench_read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 || !strstr(buf, g_want))
					all = false;
			}
		}
		ms = all ? (bench_now_us() - t0) / 1000 : -1;
		for (int i = 0; i < 100; i++)
			kill(kids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		(void)!write(res[1], &ms, sizeof(ms));
		_exit(0);
	}
	close(res[1]);
	if (read(res[0], &ms, sizeof(ms)) != sizeof(ms))
		ms = -1;
	close(res[0]);
	waitpid(p, NULL, 0);
	return ms;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	int n = quick ? 20 : 200, nd = 0, nb = 0;
	double *d = calloc((size_t)n, sizeof(double)), *base = calloc((size_t)n, sizeof(double));
	struct olve *h = NULL;
	pid_t daemon;
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "bench-placed: needs root\n");
		return BENCH_EXIT_SKIP;
	}
	if (!d || !base)
		return bench_die("out of memory");
	if (bench_hiers_find() <= 0)
		return BENCH_EXIT_SKIP;
	bench_catch_signals(NULL);
	r = bench_tmpdir_make("olbench-placed");
	if (r == 0)
		r = bench_subtree_make("olbench-placed");
	if (r == 0)
		r = bench_conf_write("lveroot");
	if (r < 0) {
		bench_cleanup(true);
		return bench_die("setup: %s", strerror(-r));
	}
	g_uid = 2100000000u + (uid_t)(getpid() % 100000);
	snprintf(g_want, sizeof(g_want), "/lve%u\n", (unsigned)g_uid);
	r = olve_open(&h, 0);
	if (r < 0) {
		bench_cleanup(true);
		return bench_die("olve_open: %s", strerror(-r));
	}
	/* Baseline: this program moves the child (no daemon running). */
	for (int i = 0; i < n && !bench_stop; i++) {
		double v = one(h);

		if (v >= 0)
			base[nb++] = v;
	}
	daemon = daemon_start();
	if (daemon < 0) {
		olve_close(h);
		bench_cleanup(true);
		return 1;
	}
	for (int i = 0; i < n && !bench_stop; i++) {
		double v = one(NULL);

		if (v >= 0)
			d[nd++] = v;
	}
	{
		/* the storm's 101 processes need more than the default NPROC (100) */
		struct olve_limits lim = { .mask = OLVE_L_NPROC, .nproc = 1000 };
		double sm = olve_apply(h, (uint32_t)g_uid, &lim) == 0 ? storm() : -1;
		double bmed = pct(base, nb, 0.5), bp99 = pct(base, nb, 0.99);
		double dmed = pct(d, nd, 0.5), dp99 = pct(d, nd, 0.99), dmax = pct(d, nd, 1.0);

		printf("placement latency, uid change -> inside LVE (%d runs, %d placed, %d baseline)\n", n, nd, nb);
		printf("  openlve-placed     median %8.1f us   p99 %8.1f us   max %8.1f us\n", dmed, dp99, dmax);
		printf("  direct enter_pid   median %8.1f us   p99 %8.1f us\n", bmed, bp99);
		printf("  ratio placed/direct (median) %.2fx\n", bmed > 0 ? dmed / bmed : 0);
		printf("  storm: 100 forks right after setresuid, all inside after %.1f ms\n", sm);
		r = (nd == n && sm >= 0) ? 0 : 1;
	}
	kill(daemon, SIGTERM);
	waitpid(daemon, NULL, 0);
	olve_close(h);
	bench_cleanup(true);
	free(d);
	free(base);
	return r;
}
