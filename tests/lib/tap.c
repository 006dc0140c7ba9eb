/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tap.h"

#include "fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * What a test's child tells the parent, in a MAP_SHARED page made before
 * the first fork: the child's pid, whether the test function returned in
 * that very process and with what, its skip reason, and the paths to
 * remove after the test (tap_cleanup_path, from any process of the test).
 */
struct tap_shared {
	pid_t test_pid;      /* the test's child (set by itself right after fork) */
	int returned;        /* the test function returned in test_pid */
	int rc;              /* what it returned */
	pid_t stray;         /* another process returned through the test function */
	char reason[1024];   /* skip reason */
	int n_cleanup;
	char cleanup[TAP_MAX_CLEANUP][512];
};
/* One per slot (TAP_MAX_JOBS, concurrent tests); shm is the current test's. */
static struct tap_shared *shm_all, *shm;
static int cur_slot;

static const struct tap_hooks *hooks[TAP_MAX_HOOKS];
static int n_hooks;
static pid_t parent_pid;
static volatile pid_t running[TAP_MAX_JOBS]; /* the running tests' children, by slot */
static volatile sig_atomic_t after_all_done;

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* One temp base dir per test binary, made by the parent before the tests
 * (children _exit, so they cannot clean up) and removed after all. */
static char tmp_base[64];

int tap_mktemp(char *buf, size_t size)
{
	int n;

	if (!tmp_base[0])
		return -ENOENT;
	n = snprintf(buf, size, "%s/XXXXXX", tmp_base);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

bool tap_ci(void)
{
	const char *ci = getenv("CI"), *vm = getenv("OPENLVE_REQUIRE_VM");

	if (vm && !strcmp(vm, "1"))
		return true;
	return ci && (!strcmp(ci, "true") || !strcmp(ci, "1") || !strcmp(ci, "yes"));
}

const char *tap_valgrind(void)
{
	static const char *const vg[] = { "/usr/bin/valgrind", "/usr/local/bin/valgrind" };

	for (size_t i = 0; i < sizeof(vg) / sizeof(vg[0]); i++)
		if (access(vg[i], X_OK) == 0)
			return vg[i];
	return NULL;
}

int tap_cleanup_path(const char *path)
{
	int i;

	if (!shm)
		return -ENOMEM;
	if (!path || path[0] != '/' || !path[1] || strstr(path, "/../") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")) ||
	    strlen(path) >= sizeof(shm->cleanup[0]))
		return -EINVAL;
	i = __atomic_fetch_add(&shm->n_cleanup, 1, __ATOMIC_SEQ_CST);
	if (i >= TAP_MAX_CLEANUP)
		return -ENOSPC;
	snprintf(shm->cleanup[i], sizeof(shm->cleanup[i]), "%s", path);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGKILL every task of one cgroup directory (v1 tasks and procs, v2 procs). */
static int cg_kill_tasks(int dirfd)
{
	static const char *const files[] = { "cgroup.procs", "tasks" };
	int found = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char buf[16384];
		ssize_t n;
		int fd = openat(dirfd, files[f], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (char *p = buf, *e; *p; p = e) {
			long pid = strtol(p, &e, 10);

			if (e == p)
				break;
			if (pid > 0 && pid != getpid()) {
				kill((pid_t)pid, SIGKILL);
				found++;
			}
			while (*e == '\n')
				e++;
		}
	}
	return found;
}

/* Remove a cgroup directory depth-first, killing its tasks. 0 or -errno. */
static int cg_remove(int parent_fd, const char *name, int depth)
{
	int fd, r = 0;
	DIR *d = NULL;
	struct dirent *de;

	if (depth > 64)
		return -ELOOP;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	(void)ol_opendir_at(fd, ".", &d);
	while (d && (de = readdir(d))) {
		int q;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		q = cg_remove(fd, de->d_name, depth + 1);
		if (q < 0 && !r)
			r = q;
	}
	if (d)
		closedir(d);
	for (int t = 0; t < 250; t++) {
		int fz = openat(fd, "cgroup.freeze", O_WRONLY | O_CLOEXEC);

		if (fz >= 0) {
			(void)!write(fz, "0", 1);
			close(fz);
		}
		fz = openat(fd, "freezer.state", O_WRONLY | O_CLOEXEC);
		if (fz >= 0) {
			(void)!write(fz, "THAWED", 6);
			close(fz);
		}
		cg_kill_tasks(fd);
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			close(fd);
			return r;
		}
		if (errno != EBUSY)
			break;
		sleep_ms(20);
	}
	r = -errno;
	close(fd);
	return r;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Parent: remove what the test registered, newest first. */
static void run_cleanup_paths(void)
{
	int n;

	if (!shm)
		return;
	n = shm->n_cleanup < TAP_MAX_CLEANUP ? shm->n_cleanup : TAP_MAX_CLEANUP;
	for (int i = n - 1; i >= 0; i--) {
		const char *p = shm->cleanup[i];
		struct stat st;
		struct statfs sf;

		if (!p[0] || lstat(p, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			if (unlink(p) < 0)
				fprintf(stderr, "# tap: cannot remove %s: %s\n", p, strerror(errno));
		} else if (statfs(p, &sf) == 0 &&
			   (sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC)) {
			char parent[512], *slash;
			int pfd, r;

			snprintf(parent, sizeof(parent), "%s", p);
			slash = strrchr(parent, '/');
			*slash = 0;
			pfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = pfd < 0 ? -errno : cg_remove(pfd, slash + 1, 0);
			if (pfd >= 0)
				close(pfd);
			if (r < 0)
				fprintf(stderr, "# tap: cannot remove cgroup %s: %s\n", p, strerror(-r));
		} else if (nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
			fprintf(stderr, "# tap: cannot remove %s: %s\n", p, strerror(errno));
		}
		shm->cleanup[i][0] = 0;
	}
	shm->n_cleanup = 0;
}

int tap_register_hooks(const struct tap_hooks *h)
{
	if (n_hooks >= TAP_MAX_HOOKS)
		return -ENOSPC;
	hooks[n_hooks++] = h;
	return 0;
}

int tap_slot(void)
{
	return cur_slot;
}

/* Make `slot` the current one (its shm); in the parent only between tests' ends. */
static void use_slot(int slot)
{
	cur_slot = slot;
	if (shm_all)
		shm = &shm_all[slot];
}

static void run_after_each(void)
{
	run_cleanup_paths();
	for (int i = n_hooks - 1; i >= 0; i--)
		if (hooks[i]->after_each)
			hooks[i]->after_each();
}

static void run_after_all(void)
{
	if (after_all_done)
		return;
	after_all_done = 1;
	if (getpid() != parent_pid)
		return;
	for (int i = TAP_MAX_JOBS - 1; i >= 0; i--) {
		use_slot(i);
		run_cleanup_paths();
	}
	if (tmp_base[0])
		nftw(tmp_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = n_hooks - 1; i >= 0; i--)
		if (hooks[i]->after_all)
			hooks[i]->after_all();
}

static void reset_signals(void)
{
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		signal(term_signals[i], SIG_DFL);
}

/* A test's outcome, printed in test order (concurrent tests end in any order). */
struct tap_result {
	bool done;
	const char *name;
	int out_fd, err_fd; /* held output of a concurrent test, or -1 */
	char line[1400];
};
/* The parent's outcomes, for on_term_signal: results[n_printed..n_results) are not printed yet. */
static struct tap_result *results;
static int n_results;
static volatile int n_printed;

/* Write the whole memfd `fd` (from its start) to `to`, then close it. */
static void replay(int fd, int to)
{
	char buf[8192];
	off_t off = 0;
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(to, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				goto out;
			w += k;
		}
		off += n;
	}
out:
	close(fd);
}

/*
 * Parent only: stop the running test, clean up, then die of the same
 * signal. A process forked by a test inherits this handler until it
 * execs; there it just takes the default action.
 */
static void on_term_signal(int sig)
{
	if (getpid() == parent_pid) {
		for (int i = 0; i < TAP_MAX_JOBS; i++) {
			pid_t c = running[i];

			if (c > 0)
				kill(c, SIGKILL);
		}
		for (int i = 0; i < TAP_MAX_JOBS; i++) {
			pid_t c = running[i];

			if (c > 0) {
				while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
					;
				running[i] = 0;
			}
		}
		/* what the unprinted concurrent tests said: diagnostics of the one that hung */
		for (int i = n_printed; results && i < n_results; i++) {
			static const char m[] = "# tap: interrupted; the held output of ";

			if (results[i].out_fd < 0 && results[i].err_fd < 0)
				continue;
			(void)!write(2, m, sizeof(m) - 1);
			(void)!write(2, results[i].name, strlen(results[i].name));
			(void)!write(2, results[i].done ? " (ended):\n" : " (killed):\n", results[i].done ? 10 : 11);
			replay(results[i].out_fd, 1);
			replay(results[i].err_fd, 2);
			results[i].out_fd = results[i].err_fd = -1;
		}
		run_after_all();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_term_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaddset(&sa.sa_mask, term_signals[i]);
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaction(term_signals[i], &sa, NULL);
}

/* How many concurrent tests at once: TAP_JOBS (1..TAP_MAX_JOBS), default 6. */
static int tap_jobs(void)
{
	const char *e = getenv("TAP_JOBS");
	char *end;
	long j;

	if (!e || !*e)
		return 6;
	j = strtol(e, &end, 10);
	if (*end || j < 1)
		return 1;
	return j > TAP_MAX_JOBS ? TAP_MAX_JOBS : (int)j;
}

/* The outcome of the test that ran in the current slot (shm) and ended with `status`. */
static bool judge(struct tap_result *r, int n, const char *name, pid_t pid, int status)
{
	if (WIFSIGNALED(status)) {
		snprintf(r->line, sizeof(r->line), "not ok %d - %s # killed by signal %d (%s)\n", n, name,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return false;
	}
	if (shm->stray) {
		snprintf(r->line, sizeof(r->line),
			 "not ok %d - %s # process %d forked by the test returned through the test function\n", n,
			 name, (int)shm->stray);
		return false;
	}
	if (!shm->returned || shm->test_pid != pid) {
		snprintf(r->line, sizeof(r->line),
			 "not ok %d - %s # exited with status %d without returning from the test function\n", n, name,
			 WEXITSTATUS(status));
		return false;
	}
	if (shm->rc == 0 && WEXITSTATUS(status) == 0) {
		snprintf(r->line, sizeof(r->line), "ok %d - %s\n", n, name);
		return true;
	}
	if (shm->rc == 77 && WEXITSTATUS(status) == 77) {
		snprintf(r->line, sizeof(r->line), "ok %d - %s # SKIP %s\n", n, name, shm->reason);
		return true;
	}
	snprintf(r->line, sizeof(r->line), "not ok %d - %s\n", n, name);
	return false;
}

/*
 * Start test `t` in `slot`; with `hold`, its stdout and stderr
 * go to memfds (r->out_fd, r->err_fd) replayed when its turn to print comes.
 * The child pid, or -errno (fork failed).
 */
static pid_t start_test(struct tap_test *t, int slot, bool hold, struct tap_result *r)
{
	pid_t pid;
	int rc;

	use_slot(slot);
	shm->test_pid = 0;
	shm->returned = 0;
	shm->rc = 1;
	shm->stray = 0;
	shm->reason[0] = 0;
	r->out_fd = r->err_fd = -1;
	if (hold) {
		r->out_fd = memfd_create("tap-stdout", MFD_CLOEXEC);
		r->err_fd = memfd_create("tap-stderr", MFD_CLOEXEC);
		if (r->out_fd < 0 || r->err_fd < 0) { /* no memfd: output interleaves, nothing else changes */
			if (r->out_fd >= 0)
				close(r->out_fd);
			if (r->err_fd >= 0)
				close(r->err_fd);
			r->out_fd = r->err_fd = -1;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		use_slot(0);
		return e;
	}
	if (pid == 0) {
		pid_t me = getpid();

		if (r->out_fd >= 0) {
			dup2(r->out_fd, 1); /* the copies on 1 and 2 are not O_CLOEXEC: tools the test runs write there */
			dup2(r->err_fd, 2);
			close(r->out_fd);
			close(r->err_fd);
		}
		shm->test_pid = me;
		reset_signals();
		for (int h = 0; h < n_hooks; h++)
			if (hooks[h]->child_init)
				hooks[h]->child_init();
		rc = t->fn();
		fflush(NULL);
		if (getpid() != me) {
			/* a process forked inside the test fell out of it */
			shm->stray = getpid();
			_exit(1);
		}
		if (rc == 77)
			snprintf(shm->reason, sizeof(shm->reason), "%s", tap_skip_reason);
		shm->rc = rc;
		__atomic_store_n(&shm->returned, 1, __ATOMIC_SEQ_CST);
		_exit(rc == 0 ? 0 : rc == 77 ? 77 : 1);
	}
	running[slot] = pid;
	use_slot(0);
	return pid;
}

/*
 * Wait for one of the running tests to end: its slot, its wait status in
 * *status. One running: a blocking waitpid, as one by one always did; more:
 * each polled (waitpid(-1) could reap a child a hook started, e.g. a
 * database server).
 */
static int wait_one(int *status)
{
	for (;;) {
		int nrun = 0;

		for (int i = 0; i < TAP_MAX_JOBS; i++)
			if (running[i] > 0)
				nrun++;
		if (nrun == 0)
			return -1;
		for (int i = 0; i < TAP_MAX_JOBS; i++) {
			pid_t r;

			if (running[i] <= 0)
				continue;
			r = waitpid(running[i], status, nrun == 1 ? 0 : WNOHANG);
			if (r == running[i])
				return i;
			if (r < 0 && errno != EINTR) {
				*status = 1 << 8; /* "exit 1" if waitpid fails */
				return i;
			}
		}
		if (nrun > 1)
			sleep_ms(10);
	}
}

int tap_main(int argc, char **argv)
{
	const char *filter = getenv("TAP_FILTER");
	int failed = 0, n = 0, setup_rc = 0, jobs = tap_jobs(), next = 0, printed = 0, nrun = 0;
	int order[TAP_MAX_TESTS], slot_test[TAP_MAX_JOBS];
	pid_t slot_pid[TAP_MAX_JOBS];
	bool alone = false; /* a TEST() is running */
	struct tap_result *res;

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IONBF, 0);
	parent_pid = getpid();
	shm_all = mmap(NULL, sizeof(*shm_all) * TAP_MAX_JOBS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (shm_all == MAP_FAILED) {
		shm_all = NULL;
		perror("mmap");
		return 1;
	}
	use_slot(0);
	snprintf(tmp_base, sizeof(tmp_base), "/tmp/olt-tap-XXXXXX");
	if (!mkdtemp(tmp_base))
		tmp_base[0] = 0;
	install_signals();

	for (int i = 0; i < tap_n_tests; i++)
		if (!filter || strstr(tap_tests[i].name, filter))
			order[n++] = i;
	res = calloc((size_t)n + 1, sizeof(*res));
	if (!res) {
		perror("calloc");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		res[i].name = tap_tests[order[i]].name;
		res[i].out_fd = res[i].err_fd = -1;
	}
	results = res;
	n_results = n;
	printf("TAP version 13\n1..%d\n", n);

	for (int i = 0; i < n_hooks && setup_rc == 0; i++)
		if (hooks[i]->before_all)
			setup_rc = hooks[i]->before_all();
	if (setup_rc)
		printf("# per-binary setup failed (%d): every test fails\n", setup_rc);

	/*
	 * Start what may start (a TEST() when nothing runs; a TEST_CONCURRENT()
	 * beside other concurrent ones, up to `jobs`), print the outcomes that
	 * are next in order, wait for one test to end; until all are printed.
	 */
	while (printed < n) {
		for (; printed < n && res[printed].done; printed++) {
			fflush(stderr);
			replay(res[printed].out_fd, 1);
			replay(res[printed].err_fd, 2);
			res[printed].out_fd = res[printed].err_fd = -1;
			fputs(res[printed].line, stdout);
			n_printed = printed + 1;
		}
		while (next < n) {
			struct tap_test *t = &tap_tests[order[next]];
			bool conc = t->concurrent && jobs > 1;
			struct tap_result *r = &res[next];
			int slot = 0;
			pid_t pid;

			if (setup_rc) {
				snprintf(r->line, sizeof(r->line), "not ok %d - %s # setup failed\n", next + 1, t->name);
				r->out_fd = r->err_fd = -1;
				r->done = true;
				failed++;
				next++;
				continue;
			}
			if (nrun > 0 && (alone || !conc || nrun >= jobs))
				break;
			if (!conc && printed < next)
				break; /* nothing runs: print the earlier outcomes first (top of the loop) */
			while (conc && running[slot] > 0)
				slot++;
			pid = start_test(t, slot, conc, r);
			if (pid < 0) {
				snprintf(r->line, sizeof(r->line), "not ok %d - %s # fork: %s\n", next + 1, t->name,
					 strerror((int)-pid));
				r->done = true;
				failed++;
				next++;
				continue;
			}
			slot_test[slot] = next;
			slot_pid[slot] = pid;
			nrun++;
			alone = !conc;
			next++;
		}
		if (nrun == 0)
			continue; /* only printing (or setup failures) left */
		{
			int status = 1 << 8, slot = wait_one(&status), k;
			struct tap_test *t;

			if (slot < 0)
				break; /* cannot happen: nrun > 0 */
			k = slot_test[slot];
			t = &tap_tests[order[k]];
			running[slot] = 0;
			nrun--;
			alone = false;
			use_slot(slot);
			run_after_each();
			if (!judge(&res[k], k + 1, t->name, slot_pid[slot], status))
				failed++;
			res[k].done = true;
			use_slot(0);
		}
	}
	run_after_all();
	results = NULL;
	free(res);
	return failed ? 1 : 0;
}
