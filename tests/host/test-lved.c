/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lved - the statistics daemon against the real kernel.
 *
 * Every test: an OPENLVE_CONF putting the LVE root in a random cgroup
 * subtree (lve-testenv.h), an lvestats2 file and the info file / database
 * in a temp dir, three LVEs made with liblve (olve_apply), and lved started
 * from the built tree inside the subtree's "home" group (so the harness
 * kills it whatever happens; PR_SET_PDEATHSIG too).
 *
 *   once_info_lines        lved --once: fields, limits in the documented
 *                          units, the busy LVE's CPU > 0, idle LVE absent
 *   valgrind_once          valgrind --leak-check=full lved --once
 *   daemon_notify_prom     Type=notify READY/STOPPING, Prometheus over a
 *                          unix socket, SIGTERM exits 0
 *   reader_never_partial   a reader looping on the info file over rewrites
 *   sighup_reload          SIGHUP changes the interval; a bad file is refused
 *   kill9_leaves_whole     kill -9 at random moments: old or new file;
 *                          temp files removed at the next start
 *   bad_config             bad lvestats2 / options: exit codes, nothing written
 *   fd_budget_transient    with few fds, LVEs over the budget are read
 *                          without kept fds and give the same lines
 *   faults_counted         EP faults, NPROC faults, EP in use, after the baseline
 *   idle_limits_seen_next_pass  limits set on a quiet LVE: in the next info
 *                          files (liblve's change log, i12)
 *   info_and_db_failures   unwritable info file: exit 1; unusable database:
 *                          sampling and the info file go on
 *   delegated_leaf         in a cgroup marked trusted.delegate, lved moves
 *                          itself into the child "daemon"
 *   reseller_own_cap_fault_mail  two customers over their reseller's SPEED:
 *                          the reseller's group is throttled, the reseller
 *                          gets a mail about its own limits
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sqlite3.h>
#include <time.h>

#include "lve-testenv.h"
#include "runtool.h"
#include "lve/openlve.h"

#define NF 20
#define MAXROWS 64

static char lved_bin[512], conf_path[512], info_path[512], log_path[512];
static int ncpus;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_text(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int write_text(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "we");
	va_list ap;

	if (!f)
		return -errno;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* lvestats2 in the temp dir; the database always in the temp dir too. */
static int write_conf_db(const char *extra, const char *db)
{
	return write_text(conf_path, "# test\nsqlite_path=%s/%s\n%s", lte_dir, db, extra);
}

static int write_conf(const char *extra)
{
	return write_conf_db(extra, "db.sqlite");
}

static int read_all(const char *path, char *buf, size_t size)
{
	return lte_read(path, buf, size);
}

/* Parse the info text: every line NF unsigned numbers, the file ends with a newline. Rows or -1. */
static int info_parse(const char *text, uint64_t rows[][NF], int max)
{
	int n = 0;

	if (!*text || text[strlen(text) - 1] != '\n')
		return -1;
	for (const char *p = text; *p;) {
		int f = 0;

		if (n == max)
			return -1;
		for (;;) {
			char *end;

			if (*p < '0' || *p > '9' || f == NF)
				return -1;
			rows[n][f++] = strtoull(p, &end, 10);
			p = end;
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p != '\n')
				return -1;
			p++;
			break;
		}
		if (f != NF)
			return -1;
		n++;
	}
	return n;
}

static int info_load(uint64_t rows[][NF], int max)
{
	static char buf[1 << 16];

	if (read_all(info_path, buf, sizeof(buf)) < 0)
		return -2;
	return info_parse(buf, rows, max);
}

static const uint64_t *row_of(uint64_t rows[][NF], int n, uint64_t id)
{
	for (int i = 1; i < n; i++)
		if (rows[i][0] == id)
			return rows[i];
	return NULL;
}

/* ------------------------------------------------------------ lved runs */

struct run {
	char *argv[12];
	const char *unified_procs; /* move into this cgroup2 group before exec (delegated_leaf) */
	unsigned nofile;           /* RLIMIT_NOFILE for lved, 0 = inherited */
};

static int exec_lved(void *p)
{
	struct run *r = p;
	int fd;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (r->nofile) {
		struct rlimit rl = { r->nofile, r->nofile };

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 125;
	}
	if (r->unified_procs) {
		fd = open(r->unified_procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			return 126;
		close(fd);
	}
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	execv(r->argv[0], r->argv);
	return 127;
}

/* Start lved with args (NULL-terminated, after the binary). Pid or -errno. */
static pid_t start_lved(const char *unified_procs, ...)
{
	struct run r = { .unified_procs = unified_procs };
	va_list ap;
	int i = 0;

	r.argv[i++] = lved_bin;
	va_start(ap, unified_procs);
	for (const char *a; (a = va_arg(ap, const char *)) && i < 11;)
		r.argv[i++] = (char *)a;
	va_end(ap);
	r.argv[i] = NULL;
	return cgtest_fork_in("home", exec_lved, &r);
}

/* Exit code, 256+sig, or -ETIMEDOUT. */
static int wait_exit(pid_t pid, long timeout_ms)
{
	long end = now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
		if (r < 0)
			return -errno;
		if (now_ms() > end)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
}

static int run_once(void)
{
	pid_t pid = start_lved(NULL, "--config", conf_path, "--once", NULL);

	if (pid < 0)
		return pid;
	return wait_exit(pid, 60000);
}

static bool log_has(const char *s)
{
	static char buf[1 << 16];

	return read_all(log_path, buf, sizeof(buf)) >= 0 && strstr(buf, s);
}

/* -------------------------------------------------------------- notify */

static int notify_open(char *path, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(path, size, "%s/notify", lte_dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	setenv("NOTIFY_SOCKET", path, 1);
	return fd;
}

/* Wait for a datagram containing `want`. */
static bool notify_wait(int fd, const char *want, long timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[1024];
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (strstr(buf, want))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ the LVEs */

static struct olve_limits lim1001, lim1002;

/* Three LVEs: 1001 and 1002 with own limits, 1003 with the defaults. */
static int make_lves(void)
{
	struct olve *h = NULL;
	struct olve_limits def;
	int r;

	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	lim1001 = (struct olve_limits){
		.mask = OLVE_L_SPEED | OLVE_L_PMEM | OLVE_L_NPROC | OLVE_L_EP | OLVE_L_IO | OLVE_L_IOPS,
		.speed = (uint32_t)ncpus * 1000, /* 10% of all cores */
		.pmem = 256ull << 20,
		.nproc = 50,
		.ep = 10,
		.io = 2048,
		.iops = 500,
	};
	lim1002 = (struct olve_limits){
		.mask = OLVE_L_SPEED | OLVE_L_PMEM | OLVE_L_VMEM | OLVE_L_NPROC | OLVE_L_EP | OLVE_L_IO | OLVE_L_IOPS,
		.speed = (uint32_t)ncpus * 5000, /* 50% of all cores */
		.pmem = 512ull << 20,
		.vmem = 1ull << 30,
		.nproc = 80,
		.ep = 15,
		.io = 4096,
		.iops = 700,
	};
	r = olve_open(&h, 0);
	if (r < 0)
		return r;
	olve_limits_default(&def);
	if ((r = olve_apply(h, 1001, &lim1001)) < 0 || (r = olve_apply(h, 1002, &lim1002)) < 0 ||
	    (r = olve_apply(h, 1003, &def)) < 0) {
		olve_close(h);
		return r;
	}
	olve_close(h);
	return 0;
}

static int burn(void *arg)
{
	/* Memory is charged where it is first touched (v2 and v1 alike): touch
	 * 4 MiB now that we are inside, so the LVE's PMEM in use is not ~0. */
	static volatile char touch[4 << 20];

	(void)arg;
	for (size_t i = 0; i < sizeof(touch); i += 4096)
		touch[i] = 1;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

static int nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static int env_setup(void)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");

	snprintf(lved_bin, sizeof(lved_bin), "%s/src/lved/lved", root ? root : ".");
	if (access(lved_bin, X_OK) < 0)
		return -ENOENT;
	snprintf(conf_path, sizeof(conf_path), "%s/lvestats2", lte_dir);
	snprintf(info_path, sizeof(info_path), "%s/info", lte_dir); /* lte_setup's info_file */
	snprintf(log_path, sizeof(log_path), "%s/lved.log", lte_dir);
	return make_lves();
}

#define SETUP()                                                                          \
	do {                                                                             \
		LTE_SETUP();                                                             \
		int _er = env_setup();                                                   \
		if (_er == -ENOENT)                                                      \
			SKIP("lved not built (OPENLVE_BUILD_ROOT)");                     \
		if (_er < 0)                                                             \
			TAP_FAIL("setup: %s", strerror(-_er));                           \
	} while (0)

/* ---------------------------------------------------------------- tests */

TEST_CONCURRENT(once_info_lines)
{
	uint64_t rows[MAXROWS][NF];
	const uint64_t *a, *b;
	int n, nburn;

	SETUP();
	/* enough burners that, unthrottled, they would use >= 25% of all cores
	 * (one burner is only 100/ncpus %): the 10% bound below can fail anywhere */
	nburn = (ncpus + 3) / 4;
	for (int i = 0; i < nburn; i++)
		ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	ASSERT(cgtest_fork_in("lveroot/lve1002", nap, NULL) > 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=300\n"));
	ASSERT_EQ(run_once(), 0);
	n = info_load(rows, MAXROWS);
	ASSERT(n >= 3);
	/* line 1: default limits (olve_limits_default: SPEED 100% = 10000 in SPEED units, 1 GiB) */
	ASSERT_EQ(rows[0][0], 0);
	ASSERT_EQ(rows[0][1], 0);
	ASSERT_EQ(rows[0][2], 20);
	ASSERT_EQ(rows[0][3], 0);
	ASSERT_EQ(rows[0][4], 10000);
	ASSERT_EQ(rows[0][9], 262144);
	ASSERT_EQ(rows[0][10], 0);
	ASSERT_EQ(rows[0][12], 100);
	ASSERT_EQ(rows[0][17], 1024);
	ASSERT_EQ(rows[0][18], 1024);
	/* the busy LVE: limits as applied, in /var/lve/info units */
	a = row_of(rows, n, 1001);
	ASSERT(a);
	ASSERT_EQ(a[2], 10);              /* EP limit */
	ASSERT(a[3] > 0);                 /* CPU usage, SPEED units (10000 = one core) */
	/* throttled at its limit: /var/lve/info never shows an average above it */
	ASSERT(a[3] <= a[4]);
	ASSERT_EQ(a[4], (uint64_t)ncpus * 1000); /* CPU limit: SPEED ncpus*10% */
	ASSERT_EQ(a[6], 0);               /* VMEM limit: unlimited */
	if (cgtest_has_ctrl("memory")) { /* else hidden (protected, cgtest.h) */
		ASSERT_EQ(a[9], 65536);   /* 256 MiB in 4 KiB pages */
		ASSERT(a[10] > 0);        /* PMEM in use */
	}
	ASSERT_EQ(a[12], 50);             /* NPROC limit */
	ASSERT(a[13] >= (uint64_t)nburn); /* the burners */
	ASSERT_EQ(a[15], 0);
	ASSERT_EQ(a[17], 2048);           /* IO KB/s */
	ASSERT_EQ(a[18], 500);            /* IOPS */
	b = row_of(rows, n, 1002);
	ASSERT(b);
	ASSERT_EQ(b[2], 15);
	ASSERT(b[3] <= 100);              /* sleeping: at most 1% of a core */
	ASSERT_EQ(b[4], (uint64_t)ncpus * 5000);
	ASSERT(b[5] > 0);                 /* VMEM of its process, pages */
	ASSERT_EQ(b[6], 262144);          /* 1 GiB VMEM limit */
	ASSERT(!cgtest_has_ctrl("memory") || b[9] == 131072); /* 512 MiB */
	ASSERT_EQ(b[12], 80);
	ASSERT(b[13] >= 1);
	ASSERT_EQ(b[17], 4096);
	ASSERT_EQ(b[18], 700);
	/* 1003: no processes, no usage: not active, not listed */
	ASSERT(row_of(rows, n, 1003) == NULL);
	return 0;
}

/* Few fds: LVEs over the budget are read without kept fds, with the same results. */
TEST_CONCURRENT(fd_budget_transient)
{
	uint64_t rows[MAXROWS][NF];
	const uint64_t *a, *b;
	struct run r = { .nofile = 200 };
	struct olve_limits def;
	struct olve *h = NULL;
	pid_t pid;
	int n;

	SETUP();
	/* 120 more LVEs with lower ids take the fd budget (100 of 200, one per LVE): 1001-1003 go over it */
	olve_limits_default(&def);
	ASSERT_OK(olve_open(&h, 0));
	for (uint32_t id = 1; id <= 120; id++)
		ASSERT_OK(olve_apply(h, id, &def));
	olve_close(h);
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	ASSERT(cgtest_fork_in("lveroot/lve1002", nap, NULL) > 0);
	ASSERT_OK(write_conf("interval=1\n"));
	r.argv[0] = lved_bin;
	r.argv[1] = (char *)"--config";
	r.argv[2] = conf_path;
	r.argv[3] = (char *)"--once";
	pid = cgtest_fork_in("home", exec_lved, &r);
	ASSERT(pid > 0);
	if (wait_exit(pid, 60000) != 0) {
		static char lb[1 << 16];

		if (read_all(log_path, lb, sizeof(lb)) >= 0)
			fprintf(stderr, "# lved: %.2000s\n", lb);
		TAP_FAIL("lved --once failed");
	}
	ASSERT(log_has("LVEs read without kept fds (RLIMIT_NOFILE 200)"));
	n = info_load(rows, MAXROWS);
	a = row_of(rows, n, 1001);
	b = row_of(rows, n, 1002);
	ASSERT(a && b);
	ASSERT(a[3] > 0);
	ASSERT_EQ(a[4], (uint64_t)ncpus * 1000);
	if (cgtest_has_ctrl("memory")) /* else hidden (protected, cgtest.h): no limit held */
		ASSERT_EQ(a[9], 65536);
	ASSERT(a[13] >= 1);
	ASSERT_EQ(b[6], 262144);
	ASSERT(b[13] >= 1);
	ASSERT(row_of(rows, n, 1003) == NULL);
	return 0;
}

TEST_CONCURRENT(valgrind_once)
{
	const char *v = NULL;
	uint64_t rows[MAXROWS][NF];
	pid_t pid;

	REQUIRE_VALGRIND(v);
	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1002", nap, NULL) > 0);
	ASSERT_OK(write_conf("interval=1\n"));
	{
		struct run r = { .argv = { (char *)v, (char *)"-q", (char *)"--leak-check=full",
					   (char *)"--error-exitcode=1", lved_bin, (char *)"--config", conf_path,
					   (char *)"--once", NULL } };

		pid = cgtest_fork_in("home", exec_lved, &r);
	}
	ASSERT(pid > 0);
	ASSERT_EQ(wait_exit(pid, 180000), 0);
	ASSERT(info_load(rows, MAXROWS) >= 2);
	return 0;
}

static int prom_get(const char *sock, const char *req, char *out, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long end = now_ms() + 10000;
	size_t len = 0;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, req, strlen(req)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	while (now_ms() < end && len < size - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	out[len] = 0;
	return (int)len;
}

TEST_CONCURRENT(daemon_notify_prom)
{
	char npath[600], sock[600], extra[800];
	static char resp[1 << 20];
	uint64_t rows[MAXROWS][NF];
	long end;
	int nfd;
	pid_t pid;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	snprintf(sock, sizeof(sock), "%s/prom.sock", lte_dir);
	snprintf(extra, sizeof(extra), "interval=1\ninfo_period=1\nprometheus_listen=unix:%s\n", sock);
	ASSERT_OK(write_conf(extra));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	/* the info file appears after the first pass */
	for (end = now_ms() + 20000; now_ms() < end && info_load(rows, MAXROWS) < 2;)
		sleep_ms(100);
	ASSERT(row_of(rows, info_load(rows, MAXROWS), 1001));
	/* Prometheus: samples appear after the second pass */
	for (end = now_ms() + 20000; now_ms() < end;) {
		ASSERT(prom_get(sock, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)) > 0);
		if (strstr(resp, "openlve_lve_cpu_usage_ratio{lve=\"1001\"}"))
			break;
		sleep_ms(200);
	}
	ASSERT(!strncmp(resp, "HTTP/1.0 200 OK\r\n", 17));
	ASSERT(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
	ASSERT(strstr(resp, "openlve_lve_cpu_usage_ratio{lve=\"1001\"} "));
	if (cgtest_has_ctrl("memory"))
		ASSERT(strstr(resp, "openlve_lve_memory_limit_bytes{lve=\"1001\"} 268435456\n"));
	ASSERT(strstr(resp, "openlve_lve_tasks_limit{lve=\"1001\"} 50\n"));
	/* the burner is throttled at 10% of all cores: CPU faults (throttled periods) grow */
	for (end = now_ms() + 20000; now_ms() < end; sleep_ms(300)) {
		const char *f;

		ASSERT(prom_get(sock, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)) > 0);
		f = strstr(resp, "openlve_lve_faults_total{lve=\"1001\",resource=\"cpu\"} ");
		ASSERT(f);
		if (strtoull(f + strlen("openlve_lve_faults_total{lve=\"1001\",resource=\"cpu\"} "), NULL, 10) > 0)
			break;
	}
	ASSERT(strtoull(strstr(resp, "resource=\"cpu\"} ") + 16, NULL, 10) > 0);
	ASSERT(prom_get(sock, "POST /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.0 405 ", 13));
	ASSERT(prom_get(sock, "GET /nope HTTP/1.0\r\n\r\n", resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.0 404 ", 13));
	ASSERT(prom_get(sock, "garbage\r\n\r\n", resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.0 400 ", 13));
	/* still serving after the bad requests */
	ASSERT(prom_get(sock, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.0 200 OK\r\n", 17));
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT(notify_wait(nfd, "STOPPING=1", 20000));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	/* the unix socket is removed at exit */
	ASSERT(access(sock, F_OK) < 0);
	close(nfd);
	return 0;
}

TEST_CONCURRENT(reader_never_partial)
{
	uint64_t rows[MAXROWS][NF];
	ino_t last = 0;
	int rewrites = 0, reads = 0, bad = 0;
	long end;
	pid_t pid;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	ASSERT(cgtest_fork_in("lveroot/lve1002", nap, NULL) > 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	/* every rewrite is a rename: a new inode; read in a tight loop meanwhile */
	for (end = now_ms() + 60000; now_ms() < end && rewrites < 8;) {
		struct stat st;
		int n;

		if (stat(info_path, &st) < 0)
			continue;
		if (st.st_ino != last) {
			last = st.st_ino;
			rewrites++;
		}
		n = info_load(rows, MAXROWS);
		reads++;
		if (n < 1 || rows[0][0] != 0)
			bad++;
	}
	fprintf(stderr, "# %d reads over %d rewrites, %d partial\n", reads, rewrites, bad);
	ASSERT(rewrites >= 8);
	ASSERT_EQ(bad, 0);
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	return 0;
}

static int count_rewrites(long ms)
{
	struct stat st;
	ino_t last = 0;
	int n = 0;

	for (long end = now_ms() + ms; now_ms() < end; sleep_ms(50))
		if (stat(info_path, &st) == 0 && st.st_ino != last) {
			last = st.st_ino;
			n++;
		}
	return n;
}

TEST_CONCURRENT(sighup_reload)
{
	char npath[600];
	int nfd;
	pid_t pid;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	ASSERT_OK(write_conf("interval=3600\ninfo_period=3600\n"));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	/* an hourly schedule: nothing is written in the next seconds */
	ASSERT_EQ(count_rewrites(2000), 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	ASSERT_OK(kill(pid, SIGHUP));
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	ASSERT(log_has("reloaded: sampling every 1 s"));
	ASSERT(count_rewrites(6000) >= 2);
	/* a bad file on reload: refused with its line, the daemon goes on */
	ASSERT_OK(write_conf("interval=0\n"));
	ASSERT_OK(kill(pid, SIGHUP));
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	ASSERT(log_has("lvestats2:3: invalid line"));
	ASSERT(log_has("reload failed: keeping the running configuration"));
	ASSERT(count_rewrites(4000) >= 2);
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	close(nfd);
	return 0;
}

/* Use `arg` ms of CPU time, then exit. */
static int burn_ms(void *arg)
{
	long want = *(long *)arg;
	struct timespec ts;

	do {
		for (volatile int i = 0; i < 100000; i++) {
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec * 1000 + ts.tv_nsec / 1000000 < want);
	return 0;
}

/*
 * An LVE idle for over a minute of passes is probed only every third pass;
 * the CPU time of a short wake-up in between still reaches the history
 * whole (in the sample of the pass that sees it): CPU-seconds stored =
 * CPU-seconds the kernel charged.
 */
TEST_CONCURRENT(idle_wakeup_cpu_kept)
{
	char db[600];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	double stored = -1;
	long ms = 700;
	pid_t pid, kid;

	SETUP();
	ASSERT_OK(write_conf("interval=1\ninfo_period=300\n"));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	sleep_ms(17000); /* > 12 quiet passes: LVE 1003 is probed every third pass now */
	kid = cgtest_fork_in("lveroot/lve1003", burn_ms, &ms);
	ASSERT(kid > 0);
	ASSERT_EQ(wait_exit(kid, 60000), 0);
	sleep_ms(5000);
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	snprintf(db, sizeof(db), "%s/db.sqlite", lte_dir);
	ASSERT_EQ(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* aCPU: 1/100 % of one core, times the seconds of each sample (a run: n samples of secs / n) */
	ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT total(acpu * secs) / 10000.0, count(*) FROM lve_raw WHERE id = 1003",
				     -1, &st, NULL),
		  SQLITE_OK);
	ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
	stored = sqlite3_column_double(st, 0);
	ASSERT(sqlite3_column_int(st, 1) > 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	/* fork + exit add a little; interval rounding a few % */
	if (stored < 0.6 || stored > 0.85)
		TAP_FAIL("CPU-seconds in the history %.3f, the burner used 0.700", stored);
	return 0;
}

TEST_CONCURRENT(kill9_leaves_whole)
{
	uint64_t rows[MAXROWS][NF];
	char tmp[600], buf[256];
	int fd;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	for (int i = 0; i < 6; i++) {
		uint16_t rnd = 0;
		pid_t pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);

		ASSERT(pid > 0);
		ASSERT(getrandom(&rnd, sizeof(rnd), 0) == sizeof(rnd));
		sleep_ms(1000 + rnd % 2000);
		ASSERT_OK(kill(pid, SIGKILL));
		ASSERT_EQ(wait_exit(pid, 20000), 256 + SIGKILL);
		if (access(info_path, F_OK) == 0)
			ASSERT(info_load(rows, MAXROWS) >= 1);
	}
	/* a temp file as a writer killed between write and rename leaves it */
	snprintf(tmp, sizeof(tmp), "%s/.info.4242.7.tmp", lte_dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "0,0,2", 5), 5);
	close(fd);
	{
		/* ours, and one a killed lved of the loop above may have left
		 * (killed between its write and its rename) */
		DIR *d = opendir(lte_dir);
		struct dirent *de;
		int temps = 0;

		ASSERT(d);
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, ".info.", 6) && strlen(de->d_name) > 4 &&
			    !strcmp(de->d_name + strlen(de->d_name) - 4, ".tmp"))
				temps++;
		closedir(d);
		ASSERT(temps >= 1);
		snprintf(buf, sizeof(buf), "removed %d temporary files", temps);
	}
	ASSERT_EQ(run_once(), 0);
	ASSERT(access(tmp, F_OK) < 0);
	ASSERT(log_has(buf));
	ASSERT(info_load(rows, MAXROWS) >= 2);
	snprintf(tmp, sizeof(tmp), "%s", lte_dir);
	{
		DIR *d = opendir(tmp);
		struct dirent *de;
		int temps = 0;

		ASSERT(d);
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".tmp"))
				temps++;
		closedir(d);
		ASSERT_EQ(temps, 0);
	}
	return 0;
}

TEST_CONCURRENT(bad_config)
{
	pid_t pid;

	SETUP();
	ASSERT_OK(write_conf("interval=1\nserver_id=waytoolongid\n"));
	ASSERT_EQ(run_once(), 1);
	ASSERT(log_has("lvestats2:4: invalid line"));
	ASSERT(access(info_path, F_OK) < 0);
	unlink(conf_path);
	ASSERT_EQ(run_once(), 1);
	ASSERT(log_has("No such file or directory"));
	pid = start_lved(NULL, "--bogus", NULL);
	ASSERT(pid > 0);
	ASSERT_EQ(wait_exit(pid, 20000), 2);
	pid = start_lved(NULL, "extra-arg", NULL);
	ASSERT(pid > 0);
	ASSERT_EQ(wait_exit(pid, 20000), 2);
	/* openlve.conf broken: the LVE root cannot be opened */
	ASSERT_OK(write_conf("interval=1\n"));
	{
		char bad[600];

		snprintf(bad, sizeof(bad), "%s/broken.conf", lte_dir);
		ASSERT_OK(write_text(bad, "cgroup_root = ../escape\n"));
		setenv("OPENLVE_CONF", bad, 1);
	}
	ASSERT_EQ(run_once(), 1);
	ASSERT(log_has("cannot open the LVE root"));
	ASSERT(access(info_path, F_OK) < 0);
	return 0;
}

/* Enter LVE *(uint32_t *)arg through liblve and hold the EP slot until killed; exit 3 on -E2BIG. */
static int enter_and_hold(void *arg)
{
	uint32_t id = *(uint32_t *)arg, cookie;
	struct olve *h = NULL;
	int r = olve_open(&h, OLVE_OPEN_NOCREATE);

	if (r < 0)
		return 2;
	r = olve_enter(h, id, 0, &cookie);
	if (r == -E2BIG)
		return 3;
	if (r < 0)
		return 4;
	for (;;)
		pause();
	return 0;
}

/* Inside an LVE: fork until pids.max refuses; exit with the number of refusals (children killed). */
static int fork_until_refused(void *arg)
{
	pid_t kids[16];
	int n = 0, refused = 0;

	(void)arg;
	for (int i = 0; i < 16; i++) {
		pid_t p = fork();

		if (p == 0) {
			for (;;)
				pause();
		}
		if (p < 0)
			refused++;
		else
			kids[n++] = p;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return refused > 250 ? 250 : refused;
}

TEST_CONCURRENT(faults_counted)
{
	uint64_t rows[MAXROWS][NF];
	struct olve_limits lim = { .mask = OLVE_L_EP | OLVE_L_NPROC, .ep = 1, .nproc = 3 };
	struct olve *h = NULL;
	uint32_t id = 1003;
	const uint64_t *x = NULL;
	char npath[600];
	int nfd, rc;
	long end;
	pid_t pid, holder;
	bool seen_ep = false, seen_nproc = false;

	SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 1003, &lim));
	olve_close(h);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	/* after the baseline: one entry holds the only EP slot, a second is refused */
	holder = cgtest_fork_in("home", enter_and_hold, &id);
	ASSERT(holder > 0);
	for (end = now_ms() + 10000; now_ms() < end && lte_pid_inside(holder, 1003) <= 0;)
		sleep_ms(20);
	ASSERT(lte_pid_inside(holder, 1003) > 0);
	ASSERT_EQ(cgtest_run_in("home", enter_and_hold, &id), 3);
	/* forks over NPROC 3 are refused by pids.max */
	rc = cgtest_run_in("lveroot/lve1003", fork_until_refused, NULL);
	ASSERT(rc >= 1 && rc < 256);
	/* the next info files show them: EP 1 of 1, EP faults, NPROC faults (each
	 * file holds one period's faults: on a slow machine (TCG) the EP and the
	 * NPROC faults may land in different periods, so each is looked for) */
	for (end = now_ms() + 20000; now_ms() < end; sleep_ms(200)) {
		int n = info_load(rows, MAXROWS);

		x = n > 0 ? row_of(rows, n, 1003) : NULL;
		if (x) {
			seen_ep |= x[8] >= 1;
			seen_nproc |= x[14] >= 1;
			ASSERT_EQ(x[2], 1);  /* EP limit */
			ASSERT_EQ(x[12], 3); /* NPROC limit */
		}
		if (seen_ep && seen_nproc)
			break;
	}
	ASSERT(x);
	ASSERT(seen_ep);    /* EP faults */
	ASSERT(seen_nproc); /* NPROC faults */
	/* EP in use while the holder stays: 1 */
	for (end = now_ms() + 10000; now_ms() < end; sleep_ms(200)) {
		int n = info_load(rows, MAXROWS);

		x = n > 0 ? row_of(rows, n, 1003) : NULL;
		if (x && x[1] == 1)
			break;
	}
	ASSERT(x && x[1] == 1);
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	close(nfd);
	return 0;
}

/*
 * [i12] Limits set on a quiet LVE (a sleeping process, no CPU time) show in
 * the next info files: liblve notes every state write in the change log
 * (<state_dir>/lve/changes), lved reads it each pass and re-reads only the
 * LVEs it names. Before, an idle LVE's state file was re-read on a timer
 * (every 60 passes): this test then failed (the next look was a minute
 * after the change, the test waits 20 s).
 * The other quiet LVE (1002) keeps its limits.
 */
TEST_CONCURRENT(idle_limits_seen_next_pass)
{
	uint64_t rows[MAXROWS][NF];
	struct olve_limits lim = { .mask = OLVE_L_EP | OLVE_L_NPROC, .ep = 7, .nproc = 33 };
	struct olve *h = NULL;
	const uint64_t *x = NULL, *y = NULL;
	char npath[600];
	int nfd;
	long end;
	pid_t pid;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1003", nap, NULL) > 0);
	ASSERT(cgtest_fork_in("lveroot/lve1002", nap, NULL) > 0);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	close(nfd); /* lved's STATUS= datagrams would fill an unread socket and block it */
	/*
	 * Past pass 17, when the old timer (pass + id) % 60 re-read LVE 1003's
	 * state: the timer would next look at pass 77, a minute after the change
	 * below. Quiet for over 12 passes: probed every third pass only.
	 */
	sleep_ms(20000);
	{
		int n = info_load(rows, MAXROWS);

		x = n > 0 ? row_of(rows, n, 1003) : NULL;
		ASSERT(x);
		ASSERT(x[2] != 7 && x[12] != 33);
	}
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 1003, &lim));
	olve_close(h);
	for (end = now_ms() + 20000; now_ms() < end; sleep_ms(200)) {
		int n = info_load(rows, MAXROWS);

		x = n > 0 ? row_of(rows, n, 1003) : NULL;
		y = n > 0 ? row_of(rows, n, 1002) : NULL;
		if (x && x[2] == 7 && x[12] == 33)
			break;
	}
	printf("# limits seen %ld ms after olve_apply\n", 20000 - (end - now_ms()));
	ASSERT(x);
	ASSERT_EQ(x[2], 7);   /* EP limit */
	ASSERT_EQ(x[12], 33); /* NPROC limit */
	ASSERT(y);
	ASSERT_EQ(y[2], lim1002.ep);
	ASSERT_EQ(y[12], lim1002.nproc);
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	return 0;
}

/* `lved --version` says whether the history database is built in. */
static bool lved_has_db(void)
{
	char cmd[600], out[256] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --version", lved_bin);
	p = popen(cmd, "re");
	if (!p)
		return false;
	if (!fgets(out, sizeof(out), p))
		out[0] = 0;
	pclose(p);
	return strstr(out, "history database: sqlite") != NULL;
}

TEST_CONCURRENT(info_and_db_failures)
{
	uint64_t rows[MAXROWS][NF];
	char extra[700];

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	/* the info file cannot be written: --once fails, says why, leaves nothing */
	snprintf(extra, sizeof(extra), "interval=1\ninfo_file=%s/no/such/info\n", lte_dir);
	ASSERT_OK(write_conf(extra));
	ASSERT_EQ(run_once(), 1);
	ASSERT(log_has("cannot write"));
	ASSERT(access(info_path, F_OK) < 0);
	/* the database cannot be opened (its directory is a file): sampling and the info file go on */
	ASSERT_OK(write_conf_db("interval=1\n", "lvestats2/db.sqlite"));
	ASSERT_EQ(run_once(), 0);
	ASSERT(info_load(rows, MAXROWS) >= 2);
	ASSERT(row_of(rows, info_load(rows, MAXROWS), 1001));
	if (lved_has_db())
		ASSERT(log_has("statistics database"));
	return 0;
}

/* -------------------------------------------------------- delegated_leaf */

static char deleg_dir[5200];

static void deleg_cleanup(void)
{
	char p[5300];

	if (!deleg_dir[0])
		return;
	snprintf(p, sizeof(p), "%s/daemon", deleg_dir);
	rmdir(p);
	rmdir(deleg_dir);
	deleg_dir[0] = 0;
}

TEST_CONCURRENT(delegated_leaf)
{
	char line[4096], mnt[1024] = "", own[4096] = "", procs[5300], want[5300], npath[600];
	uint8_t rnd[6];
	FILE *f;
	int nfd, r;
	pid_t pid;

	SETUP();
	f = fopen("/proc/self/mountinfo", "re");
	ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		char root[1024], mp[1024];

		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %1023s %1023s", root, mp) == 2 &&
		    !strcmp(root, "/")) {
			snprintf(mnt, sizeof(mnt), "%s", mp);
			break;
		}
	}
	fclose(f);
	if (!mnt[0])
		SKIP("no cgroup2 mount");
	f = fopen("/proc/self/cgroup", "re");
	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			snprintf(own, sizeof(own), "%s", line + 3);
	fclose(f);
	own[strcspn(own, "\n")] = 0;
	ASSERT(own[0] == '/');
	ASSERT(getrandom(rnd, sizeof(rnd), 0) == sizeof(rnd));
	snprintf(deleg_dir, sizeof(deleg_dir), "%s%s%solt-lved-%02x%02x%02x%02x%02x%02x", mnt, own,
		 strcmp(own, "/") ? "/" : "", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	/* removed by the test framework's parent even if this test crashes */
	ASSERT_OK(tap_cleanup_path(deleg_dir));
	/* root on a mounted cgroup2: neither may fail (xattrs on cgroupfs: kernel >= 5.7) */
	if (mkdir(deleg_dir, 0755) < 0)
		TAP_FAIL("cannot create the cgroup2 group %s: %s", deleg_dir, strerror(errno));
	r = setxattr(deleg_dir, "trusted.delegate", "1", 1, 0);
	if (r < 0)
		TAP_FAIL("setxattr trusted.delegate on %s: %s", deleg_dir, strerror(errno));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", deleg_dir);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	ASSERT_OK(write_conf("interval=1\ninfo_period=1\n"));
	pid = start_lved(procs, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	snprintf(line, sizeof(line), "/proc/%d/cgroup", (int)pid);
	{
		char buf[4096];

		ASSERT(lte_read(line, buf, sizeof(buf)) > 0);
		snprintf(want, sizeof(want), "0::%s/daemon\n", deleg_dir + strlen(mnt));
		if (!strstr(buf, want))
			fprintf(stderr, "# %s: want %s", buf, want);
		ASSERT(strstr(buf, want));
	}
	ASSERT(log_has("moved into the leaf cgroup"));
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	close(nfd);
	deleg_cleanup();
	return 0;
}

/* nr_throttled of cpu.stat of group (in the test's cpu hierarchy); -1 when unreadable. */
static long long nr_throttled(const char *group)
{
	char buf[1024], *p;

	if (cgtest_read("cpu", group, "cpu.stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "nr_throttled ");
	return p ? strtoll(p + 13, NULL, 10) : -1;
}

/*
 * [s4-dup] A reseller's own cap reached: two burning customers of reseller
 * 65534 ("nobody", SPEED 10% of one core) need more than it while their own
 * SPEED is 100%, so the kernel throttles the reseller's group lvp65534
 * (its cpu.stat nr_throttled, read here, grows). lved samples that group
 * and mails the reseller about its own limits (X-Openlve-Reseller-Limits,
 * NOTIFY_RESELLER=Y) with a CPU count the kernel's counter covers.
 */
TEST_CONCURRENT(reseller_own_cap_fault_mail)
{
	char npath[600], extra[2000], plug[600], mail[600], path[900], want[100], nobody[64];
	static char msg[1 << 16], found[1 << 16];
	static struct tool_run run;
	struct passwd *pw;
	long long t0, t1, counted = -1;
	const char *row;
	long end;
	int nfd, own_mails = 0;
	pid_t pid;

	SETUP();
	if (!cgtest_has_ctrl("cpu"))
		SKIP("%s", cgtest_ctrl_missing_reason("cpu"));
	pw = getpwuid(65534);
	ASSERT(pw);
	snprintf(nobody, sizeof(nobody), "%s", pw->pw_name);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "set-reseller", "65534", "--speed=10%", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT_OK(tool_run(&run, "lvectl",
			   (const char *const[]){ "set", "1005", "--reseller=65534", "--speed=100%", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT_OK(tool_run(&run, "lvectl",
			   (const char *const[]){ "set", "1006", "--reseller=65534", "--speed=100%", NULL }));
	ASSERT_EQ(run.code, 0);
	t0 = nr_throttled("lveroot/lvp65534");
	ASSERT(t0 >= 0);
	ASSERT(cgtest_fork_in("lveroot/lvp65534/lve1005", burn, NULL) > 0);
	ASSERT(cgtest_fork_in("lveroot/lvp65534/lve1006", burn, NULL) > 0);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	snprintf(plug, sizeof(plug), "%s/plugins", lte_dir);
	snprintf(mail, sizeof(mail), "%s/mail", lte_dir);
	ASSERT(mkdir(plug, 0755) == 0 && mkdir(mail, 0700) == 0);
	snprintf(path, sizeof(path), "%s/sendmail", plug);
	ASSERT_OK(write_text(path, "#!/bin/sh\ncat > %s/msg.$$\n", mail));
	ASSERT(chmod(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/StatsNotifier.cfg", plug);
	ASSERT_OK(write_text(path,
			     "NOTIFY_ADMIN=N\nNOTIFY_CUSTOMER=N\nNOTIFY_RESELLER=Y\nNOTIFY_CPU=Y\n"
			     "NOTIFY_INTERVAL_USER=1h\nSENDMAIL=%s/sendmail\n",
			     plug));
	snprintf(extra, sizeof(extra), "interval=1\ninfo_period=1\nplugin_config_dir=%s\ndisable_snapshots=true\n", plug);
	ASSERT_OK(write_conf(extra));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	for (end = now_ms() + 30000; now_ms() < end && !own_mails; sleep_ms(300)) {
		DIR *d = opendir(mail);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "msg.", 4))
				continue;
			snprintf(path, sizeof(path), "%s/%s", mail, de->d_name);
			if (read_all(path, msg, sizeof(msg)) >= 0 && strstr(msg, "X-Openlve-Reseller-Limits: 65534\n")) {
				own_mails++;
				snprintf(found, sizeof(found), "%s", msg);
			}
		}
		if (d)
			closedir(d);
	}
	t1 = nr_throttled("lveroot/lvp65534");
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	close(nfd);
	/* the kernel throttled the reseller's group itself */
	ASSERT(t1 > t0);
	/* one mail about the reseller's own limits, to its login, counting that throttling */
	ASSERT_EQ(own_mails, 1);
	snprintf(want, sizeof(want), "To: %s\n", nobody);
	ASSERT(strstr(found, want));
	snprintf(want, sizeof(want), "\n65534      %-16s ", nobody);
	row = strstr(found, want);
	if (!row)
		TAP_FAIL("no row for reseller 65534 in: %s", found);
	counted = strtoll(row + strlen(want), NULL, 10);
	fprintf(stderr, "# reseller 65534: the mail counts %lld CPU faults, the kernel throttled lvp65534 %lld times\n",
		counted, t1 - t0);
	if (counted <= 0 || counted > t1 - t0)
		TAP_FAIL("the mail counts %lld CPU faults; the kernel throttled the group %lld times", counted, t1 - t0);
	return 0;
}

TAP_MAIN()

/*
 * [issue 11] The real daemon with its usage page, snapshots and
 * notifications on: a throttled burner in LVE 1001 (CPU faults every pass)
 * gets snapshots naming it and one admin mail through a sendmail stand-in;
 * a second burner in LVE 1004, a customer of reseller 65534 ("nobody") made
 * with lvectl, gives that reseller one mail naming 1004 only
 * (NOTIFY_RESELLER=Y); the page answers a link lvectl minted and refuses a
 * forged one.
 */
TEST_CONCURRENT(daemon_usage_page_snapshots_and_mail)
{
	char npath[600], sock[600], extra[3000], plug[600], snaps[600], mail[600], secret[600];
	char path[900], req[1200], *t, nobody[64], to[100];
	static char resp[1 << 16], msgs[1 << 16];
	static struct tool_run run;
	struct passwd *pw;
	long end;
	int nfd, mails = 0, to_reseller = 0;
	pid_t pid;

	SETUP();
	ASSERT(cgtest_fork_in("lveroot/lve1001", burn, NULL) > 0);
	/* a reseller with a login and a throttled customer of it, as an admin makes them */
	pw = getpwuid(65534);
	ASSERT(pw);
	snprintf(nobody, sizeof(nobody), "%s", pw->pw_name);
	snprintf(to, sizeof(to), "To: %s\n", nobody);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "set-reseller", "65534", "--speed=50%", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT_OK(tool_run(&run, "lvectl",
			   (const char *const[]){ "set", "1004", "--reseller=65534", "--speed=5%", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(cgtest_fork_in("lveroot/lvp65534/lve1004", burn, NULL) > 0);
	nfd = notify_open(npath, sizeof(npath));
	ASSERT(nfd >= 0);
	snprintf(sock, sizeof(sock), "%s/web.sock", lte_dir);
	snprintf(plug, sizeof(plug), "%s/plugins", lte_dir);
	snprintf(snaps, sizeof(snaps), "%s/snaps", lte_dir);
	snprintf(mail, sizeof(mail), "%s/mail", lte_dir);
	snprintf(secret, sizeof(secret), "%s/web.secret", lte_dir);
	ASSERT(mkdir(plug, 0755) == 0 && mkdir(mail, 0700) == 0);
	snprintf(path, sizeof(path), "%s/sendmail", plug);
	ASSERT_OK(write_text(path, "#!/bin/sh\ncat > %s/msg.$$\n", mail));
	ASSERT(chmod(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/StatsNotifier.cfg", plug);
	ASSERT_OK(write_text(path,
			     "NOTIFY_ADMIN=Y\nNOTIFY_RESELLER=Y\nNOTIFY_CPU=Y\nNOTIFY_INTERVAL_ADMIN=1h\n"
			     "NOTIFY_INTERVAL_USER=1h\nSENDMAIL=%s/sendmail\n",
			     plug));
	snprintf(path, sizeof(path), "%s/SnapshotSaver.cfg", plug);
	ASSERT_OK(write_text(path, "snapshots_per_minute = 10\nmax_snapshots_per_incident = 3\n"));
	snprintf(extra, sizeof(extra),
		 "interval=1\ninfo_period=1\nweb_listen=unix:%s\nweb_secret_file=%s\nsnapshot_dir=%s\n"
		 "plugin_config_dir=%s\n",
		 sock, secret, snaps, plug);
	ASSERT_OK(write_conf(extra));
	pid = start_lved(NULL, "--config", conf_path, "--foreground", NULL);
	ASSERT(pid > 0);
	ASSERT(notify_wait(nfd, "READY=1", 20000));
	/* the burners are throttled: snapshots, the admin's mail and the reseller's follow */
	for (end = now_ms() + 30000; now_ms() < end; sleep_ms(300)) {
		DIR *d = opendir(mail);
		struct dirent *de;

		mails = to_reseller = 0;
		msgs[0] = 0;
		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "msg.", 4))
				continue;
			mails++;
			snprintf(path, sizeof(path), "%s/%s", mail, de->d_name);
			if (read_all(path, resp, sizeof(resp)) >= 0 && strstr(resp, to)) {
				to_reseller++;
				snprintf(msgs, sizeof(msgs), "%s", resp);
			}
		}
		if (d)
			closedir(d);
		snprintf(path, sizeof(path), "%s/1001", snaps);
		if (mails >= 2 && to_reseller && access(path, F_OK) == 0)
			break;
	}
	/* one mail each: the admin (both LVEs) and the reseller (its customer only) */
	ASSERT_EQ(mails, 2);
	ASSERT_EQ(to_reseller, 1);
	ASSERT(strstr(msgs, "X-Openlve-Reseller: 65534\n"));
	ASSERT(strstr(msgs, "\n1004 ") && !strstr(msgs, "\n1001 "));
	ASSERT_OK(tool_run(&run, "lve-read-snapshot",
			   (const char *const[]){ "--dir", snaps, "-i", "1001", "-p", "1h", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "LVE 1001"));
	ASSERT(strstr(run.out, "test-lved")); /* the burner is a fork of this test */
	/* the page: a link lvectl minted works, a forged one does not */
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "1001", "--secret-file", secret,
								   "--base-url", "http://x", NULL }));
	ASSERT_EQ(run.code, 0);
	t = strstr(run.out, "?t=");
	ASSERT(t);
	t[strcspn(t, "\n")] = 0;
	snprintf(req, sizeof(req), "GET /api/lve%s&period=10m HTTP/1.1\r\n\r\n", t);
	ASSERT(prom_get(sock, req, resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.1 200 ", 13));
	ASSERT(strstr(resp, "\"id\": 1001"));
	snprintf(req, sizeof(req), "GET /api/lve%s&id=1002 HTTP/1.1\r\n\r\n", t);
	ASSERT(prom_get(sock, req, resp, sizeof(resp)) > 0);
	ASSERT(!strncmp(resp, "HTTP/1.1 403 ", 13));
	ASSERT_OK(kill(pid, SIGTERM));
	ASSERT_EQ(wait_exit(pid, 20000), 0);
	ASSERT(access(sock, F_OK) < 0);
	close(nfd);
	return 0;
}
