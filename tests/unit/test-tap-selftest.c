/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tap-selftest - the TAP runner itself (tests/lib/tap.c). The binary
 * re-executes itself with TAP_SELFTEST_INNER=1; then it registers only the
 * "inner" cases below, some of which misbehave on purpose (exit(0) without
 * returning, a forked child falling out of the test, a crash after
 * registering a file for cleanup). The outer tests read the inner TAP
 * stream and check that the runner judged each case right and that the
 * parent removed every registered path. A second inner run
 * (TAP_SELFTEST_INNER=2) has TEST_CONCURRENT cases that only pass when
 * they run at the same time, and a TEST() between them that only passes
 * when it runs alone; its TAP stream must still be in test order, each
 * case's own output before its line.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"

static bool inner(void)
{
	const char *e = getenv("TAP_SELFTEST_INNER");

	return e && !strcmp(e, "1");
}

static bool inner_concurrent(void)
{
	const char *e = getenv("TAP_SELFTEST_INNER");

	return e && !strcmp(e, "2");
}

static const char *inner_dir(void)
{
	const char *d = getenv("TAP_SELFTEST_DIR");

	return d ? d : "/nonexistent";
}

/* Make <dir>/<name> (a file, or a directory tree when tree) after registering it. */
static int make_registered(const char *name, bool tree)
{
	char p[512], q[600];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", inner_dir(), name);
	if (tap_cleanup_path(p) < 0)
		return -1;
	if (!tree) {
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		return fd < 0 ? -1 : close(fd);
	}
	if (mkdir(p, 0755) < 0)
		return -1;
	snprintf(q, sizeof(q), "%s/sub", p);
	if (mkdir(q, 0755) < 0)
		return -1;
	snprintf(q, sizeof(q), "%s/sub/file", p);
	fd = open(q, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	return fd < 0 ? -1 : close(fd);
}

/* ---------------------------------------------------- inner cases */

/* Inner cases exist only in the inner run (registered below), so they never
 * count as cases of the real run. */
#define INNER(name) static int inner_##name(void)

INNER(pass)
{
	return 0;
}

INNER(fail)
{
	return 1;
}

INNER(skip)
{
	SKIP("environment missing");
}

INNER(exit0_without_returning)
{
	exit(0); /* like exit(0) in library code */
}

INNER(forked_child_returns)
{
	pid_t p;

	p = fork();
	if (p == 0)
		return 0; /* the child falls out through the test function */
	waitpid(p, NULL, 0);
	return 0;
}

INNER(crash_after_registering)
{
	if (make_registered("crash-file", false) < 0 || make_registered("crash-tree", true) < 0)
		return 1;
	raise(SIGSEGV);
	return 0;
}

INNER(pass_registers)
{
	return make_registered("pass-file", false) < 0 ? 1 : 0;
}

INNER(bad_cleanup_paths)
{
	if (tap_cleanup_path("relative") != -EINVAL || tap_cleanup_path("/") != -EINVAL ||
	    tap_cleanup_path("/tmp/../etc") != -EINVAL || tap_cleanup_path("/tmp/x/..") != -EINVAL)
		return 1;
	return 0;
}

/* --------------------------------------- inner concurrent cases (run 2) */

static bool marker(const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", inner_dir(), name);
	return access(p, F_OK) == 0;
}

static int make_marker(const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", inner_dir(), name);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	return fd < 0 ? -1 : close(fd);
}

/* Wait up to 30 s for marker `name` (made by a test running at the same time). */
static bool wait_marker(const char *name)
{
	for (int i = 0; i < 3000; i++) {
		if (marker(name))
			return true;
		usleep(10000);
	}
	return false;
}

/* Passes only if conc_b starts while it runs; ends after conc_b. */
INNER(conc_a)
{
	printf("# conc_a on stdout\n");
	fprintf(stderr, "# conc_a on stderr\n");
	if (make_registered("a-file", false) < 0 || !wait_marker("b-started"))
		return 1;
	return make_marker("a-done") < 0 ? 1 : 0;
}

INNER(conc_b)
{
	printf("# conc_b on stdout\n");
	return make_marker("b-started") < 0 ? 1 : 0;
}

INNER(conc_crash)
{
	if (make_registered("conc-crash-file", false) < 0)
		return 1;
	raise(SIGSEGV);
	return 0;
}

/* A TEST(): alone, after all of the above ended. */
INNER(alone)
{
	printf("# alone on stdout\n");
	if (!marker("a-done") || !marker("b-started"))
		return 1;
	return make_marker("alone-done") < 0 ? 1 : 0;
}

/* Concurrent again, but only after the TEST() before it ended. */
INNER(conc_after)
{
	return marker("alone-done") ? 0 : 1;
}

__attribute__((constructor)) static void register_inner(void)
{
#define ADD(name) tap_tests[tap_n_tests++] = (struct tap_test){ "inner_" #name, inner_##name, false }
#define ADD_CONC(name) tap_tests[tap_n_tests++] = (struct tap_test){ "inner_" #name, inner_##name, true }
	if (inner_concurrent()) {
		ADD_CONC(conc_a);
		ADD_CONC(conc_b);
		ADD_CONC(conc_crash);
		ADD(alone);
		ADD_CONC(conc_after);
		return;
	}
	if (!inner())
		return;
	ADD(pass);
	ADD(fail);
	ADD(skip);
	ADD(exit0_without_returning);
	ADD(forked_child_returns);
	ADD(crash_after_registering);
	ADD(pass_registers);
	ADD(bad_cleanup_paths);
#undef ADD
#undef ADD_CONC
}

/* ---------------------------------------------------- outer cases */

static char out[16384];
static char dir[256];

/* Run this binary as inner runner `mode` ("1", "2"); its stdout into `out`, exit status returned. */
static int run_inner_mode(const char *mode)
{
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (tap_mktemp(dir, sizeof(dir)) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(p[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2); /* the inner cases' own diagnostics */
		setenv("TAP_SELFTEST_INNER", mode, 1);
		setenv("TAP_SELFTEST_DIR", dir, 1);
		setenv("TAP_FILTER", "inner_", 1);
		setenv("TAP_JOBS", "4", 1);
		execl("/proc/self/exe", "test-tap-selftest", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	close(p[0]);
	out[len] = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The first inner run, once. */
static int run_inner(void)
{
	if (out[0])
		return 0;
	/* the inner run has failing cases: it must exit 1 */
	return run_inner_mode("1") == 1 ? 0 : -1;
}

/* The TAP line of inner case `name`, or NULL. */
static const char *line_of(const char *name, char *buf, size_t size)
{
	char want[128];

	snprintf(want, sizeof(want), " - inner_%s", name);
	for (const char *l = out; *l;) {
		const char *nl = strchrnul(l, '\n');
		const char *m = memmem(l, (size_t)(nl - l), want, strlen(want));

		if (m && (m[strlen(want)] == '\n' || m[strlen(want)] == ' ' || m + strlen(want) == nl)) {
			snprintf(buf, size, "%.*s", (int)(nl - l), l);
			return buf;
		}
		l = *nl ? nl + 1 : nl;
	}
	return NULL;
}

#define OUTER_SETUP()                                                                    \
	do {                                                                             \
		if (run_inner() < 0)                                                     \
			TAP_FAIL("inner run failed or exited wrongly; output:\n%s", out); \
	} while (0)

#define EXPECT_LINE(name, prefix, contains)                                              \
	do {                                                                             \
		char _b[512];                                                            \
		const char *_l = line_of(name, _b, sizeof(_b));                          \
		if (!_l)                                                                 \
			TAP_FAIL("no TAP line for inner_%s in:\n%s", name, out);         \
		if (strncmp(_l, prefix, strlen(prefix)) || !strstr(_l, contains))       \
			TAP_FAIL("inner_%s: \"%s\", want \"%s...%s\"", name, _l, prefix, \
				 contains);                                              \
	} while (0)

TEST(passing_and_failing_cases)
{
	OUTER_SETUP();
	ASSERT(!strncmp(out, "TAP version 13\n1..8\n", 20));
	EXPECT_LINE("pass", "ok ", "inner_pass");
	EXPECT_LINE("fail", "not ok ", "inner_fail");
	EXPECT_LINE("skip", "ok ", "# SKIP environment missing");
	EXPECT_LINE("bad_cleanup_paths", "ok ", "inner_bad_cleanup_paths");
	return 0;
}

TEST(exit_zero_without_returning_fails)
{
	OUTER_SETUP();
	EXPECT_LINE("exit0_without_returning", "not ok ", "without returning from the test function");
	return 0;
}

TEST(forked_child_returning_through_the_test_fails)
{
	OUTER_SETUP();
	EXPECT_LINE("forked_child_returns", "not ok ", "returned through the test function");
	return 0;
}

TEST(crash_fails_and_registered_paths_are_removed)
{
	char p[512];
	struct stat st;

	OUTER_SETUP();
	EXPECT_LINE("crash_after_registering", "not ok ", "killed by signal");
	EXPECT_LINE("pass_registers", "ok ", "inner_pass_registers");
	for (const char *const *n = (const char *const[]){ "crash-file", "crash-tree", "pass-file", NULL }; *n; n++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		if (lstat(p, &st) == 0)
			TAP_FAIL("%s is left behind", p);
	}
	return 0;
}

TEST(concurrent_cases_overlap_plain_ones_run_alone_output_in_order)
{
	char p[512];
	struct stat st;
	const char *a_out, *a_line, *b_out, *b_line, *alone_out, *alone_line;

	/* conc_crash fails: exit 1 */
	if (run_inner_mode("2") != 1)
		TAP_FAIL("inner run 2 failed or exited wrongly; output:\n%s", out);
	ASSERT(!strncmp(out, "TAP version 13\n1..5\n", 20));
	EXPECT_LINE("conc_a", "ok 1 ", "inner_conc_a");
	EXPECT_LINE("conc_b", "ok 2 ", "inner_conc_b");
	EXPECT_LINE("conc_crash", "not ok 3 ", "killed by signal");
	EXPECT_LINE("alone", "ok 4 ", "inner_alone");
	EXPECT_LINE("conc_after", "ok 5 ", "inner_conc_after");
	/* each case's held stdout right before its own line, in test order (conc_b ended first) */
	a_out = strstr(out, "# conc_a on stdout\n");
	a_line = strstr(out, "ok 1 - inner_conc_a\n");
	b_out = strstr(out, "# conc_b on stdout\n");
	b_line = strstr(out, "ok 2 - inner_conc_b\n");
	alone_out = strstr(out, "# alone on stdout\n");
	alone_line = strstr(out, "ok 4 - inner_alone\n");
	ASSERT(a_out && a_line && b_out && b_line && alone_out && alone_line);
	ASSERT(a_out < a_line && a_line < b_out && b_out < b_line && b_line < alone_out && alone_out < alone_line);
	ASSERT(!strstr(out, "conc_a on stderr")); /* stderr stays on stderr */
	/* the paths registered by the concurrent cases (one crashed) are removed */
	for (const char *const *n = (const char *const[]){ "a-file", "conc-crash-file", NULL }; *n; n++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		if (lstat(p, &st) == 0)
			TAP_FAIL("%s is left behind", p);
	}
	return 0;
}

TEST(ci_detection)
{
	const char *ci = getenv("CI"), *vm = getenv("OPENLVE_REQUIRE_VM");
	char *save_ci = ci ? strdup(ci) : NULL, *save_vm = vm ? strdup(vm) : NULL;
	bool a, b, c, d;

	unsetenv("CI");
	unsetenv("OPENLVE_REQUIRE_VM");
	a = tap_ci();
	setenv("CI", "true", 1);
	b = tap_ci();
	setenv("CI", "false", 1);
	setenv("OPENLVE_REQUIRE_VM", "1", 1);
	c = tap_ci();
	setenv("OPENLVE_REQUIRE_VM", "0", 1);
	d = tap_ci();
	if (save_ci)
		setenv("CI", save_ci, 1);
	else
		unsetenv("CI");
	if (save_vm)
		setenv("OPENLVE_REQUIRE_VM", save_vm, 1);
	else
		unsetenv("OPENLVE_REQUIRE_VM");
	free(save_ci);
	free(save_vm);
	ASSERT(!a && b && c && !d);
	return 0;
}

TAP_MAIN()
