/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap.h - openlve's tiny test framework. Each test binary defines tests with
 * TEST(name) { ... return 0; } and ends with TAP_MAIN(). Output is TAP 13,
 * one line per test, so `meson test` (protocol: 'tap') and scripts/test.sh
 * count every test case.
 *
 *   ASSERT(cond)            fails the test (returns 1) with file:line
 *   ASSERT_EQ(a, b)         integer equality, prints both
 *   ASSERT_STREQ(a, b)      string equality
 *   ASSERT_OK(expr)         expr >= 0 (for -errno returns), prints strerror
 *   ASSERT_ERR(expr, err)   expr == -err
 *   SKIP("why")             marks the test skipped (returns 77)
 *
 * A test returns 0 (pass), 77 (skip) or anything else (fail). Tests run in
 * a forked child so a crash or a leaked group in one test does not take down
 * the others. The child records in shared memory that the test function
 * returned and what it returned; only that counts: a child that exits
 * (even with status 0) without the test function returning -- exit() in
 * library code, a forked path that fell out of a helper -- fails, and so
 * does a forked process that returns through the test function itself.
 * TAP_FILTER=substring runs only matching tests.
 *
 * TEST_CONCURRENT(name) declares a test that may run beside the binary's
 * other concurrent tests, up to TAP_JOBS at a time (default 6, at most
 * TAP_MAX_JOBS; TAP_JOBS=1 runs everything one by one). For tests that
 * mostly wait (a daemon's passes, a timer's periods) and share nothing
 * with the others: each has its own cgtest.h root and temp dir, but
 * fixed ports, files outside tap_mktemp() or CPU-rate measurements
 * (which another test's load would disturb) rule it out. A TEST() runs
 * alone, as before: it starts when everything before it has ended and
 * nothing starts until it has. Output is as if run one by one: a
 * concurrent test's stdout and stderr are held (memfd) and replayed in
 * test order before its TAP line.
 *
 * Skips are for a genuinely missing environment only. In CI (tap_ci():
 * CI=true or OPENLVE_REQUIRE_VM=1) REQUIRE_ROOT() fails instead, and every
 * skip that is not listed in tests/expected-skips.txt fails the run
 * (scripts/count-tests.py). Something the library did wrong is never a skip.
 *
 * Anything a test creates outside tap_mktemp() and the cgtest.h roots
 * (a file in /etc/pam.d, a cgroup elsewhere, a big data file) is registered
 * with tap_cleanup_path() right before it is created: the parent process
 * removes it when the test ends, whether it passed, failed or crashed.
 */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_MAX_TESTS 512

struct tap_test {
	const char *name;
	int (*fn)(void);
	bool concurrent; /* TEST_CONCURRENT */
};

#define TAP_MAX_JOBS 8

extern struct tap_test tap_tests[TAP_MAX_TESTS];
extern int tap_n_tests;
extern char tap_skip_reason[256];

#define TAP_DEFINE_TEST(tname, conc)                                             \
	static int test_##tname(void);                                           \
	__attribute__((constructor)) static void tap_register_##tname(void)      \
	{                                                                        \
		if (tap_n_tests < TAP_MAX_TESTS) {                               \
			tap_tests[tap_n_tests].name = #tname;                    \
			tap_tests[tap_n_tests].fn = test_##tname;                \
			tap_tests[tap_n_tests].concurrent = (conc);              \
			tap_n_tests++;                                           \
		}                                                                \
	}                                                                        \
	static int test_##tname(void)

#define TEST(tname) TAP_DEFINE_TEST(tname, false)
#define TEST_CONCURRENT(tname) TAP_DEFINE_TEST(tname, true)

#define TAP_FAIL(...)                                                            \
	do {                                                                     \
		fprintf(stderr, "# %s:%d: ", __FILE__, __LINE__);                \
		fprintf(stderr, __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                           \
		return 1;                                                        \
	} while (0)

#define ASSERT(cond)                                                             \
	do {                                                                     \
		if (!(cond))                                                     \
			TAP_FAIL("assertion failed: %s", #cond);                 \
	} while (0)

#define ASSERT_EQ(a, b)                                                          \
	do {                                                                     \
		long long _a = (long long)(a), _b = (long long)(b);              \
		if (_a != _b)                                                    \
			TAP_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);      \
	} while (0)

#define ASSERT_STREQ(a, b)                                                       \
	do {                                                                     \
		const char *_a = (a), *_b = (b);                                 \
		if (!_a || !_b || strcmp(_a, _b))                                \
			TAP_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,           \
				 _a ? _a : "(null)", _b ? _b : "(null)");        \
	} while (0)

#define ASSERT_OK(expr)                                                          \
	do {                                                                     \
		long long _r = (long long)(expr);                                \
		if (_r < 0)                                                      \
			TAP_FAIL("%s failed: %lld (%s)", #expr, _r,              \
				 strerror((int)-_r));                            \
	} while (0)

#define ASSERT_ERR(expr, err)                                                    \
	do {                                                                     \
		long long _r = (long long)(expr);                                \
		if (_r != -(long long)(err))                                     \
			TAP_FAIL("%s: expected -%s, got %lld (%s)", #expr, #err, \
				 _r, _r < 0 ? strerror((int)-_r) : "success");   \
	} while (0)

#define SKIP(...)                                                                \
	do {                                                                     \
		snprintf(tap_skip_reason, sizeof(tap_skip_reason), __VA_ARGS__); \
		fprintf(stderr, "# SKIP %s\n", tap_skip_reason);                 \
		return 77;                                                       \
	} while (0)

/* True in CI: CI=true/1/yes or OPENLVE_REQUIRE_VM=1. A missing environment fails there. */
bool tap_ci(void);

/* valgrind's path (/usr/bin, /usr/local/bin), or NULL when not installed. */
const char *tap_valgrind(void);

/*
 * Sets `v` to valgrind for a memcheck case, or skips it: an
 * AddressSanitizer build (valgrind cannot run one; the normal build runs
 * the case), valgrind not installed, a sanitizer environment.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TAP_ASAN_BUILD 1
#else
#define TAP_ASAN_BUILD 0
#endif
#define REQUIRE_VALGRIND(v)                                                      \
	do {                                                                     \
		if (TAP_ASAN_BUILD)                                              \
			SKIP("valgrind cannot run an AddressSanitizer build "    \
			     "(the normal build runs this test)");               \
		(v) = tap_valgrind();                                            \
		if (!(v))                                                        \
			SKIP("valgrind not installed");                          \
		if (getenv("ASAN_OPTIONS") || getenv("OPENLVE_SANITIZED"))       \
			SKIP("sanitizer build");                                 \
	} while (0)

/* Skip unless running as root; in CI (tap_ci()) not being root fails. */
#define REQUIRE_ROOT()                                                           \
	do {                                                                     \
		if (geteuid() != 0) {                                            \
			if (tap_ci())                                            \
				TAP_FAIL("needs root, and CI must run as root"); \
			SKIP("needs root");                                      \
		}                                                                \
	} while (0)

int tap_main(int argc, char **argv);

/*
 * A fresh temp directory for the calling test: "<base>/XXXXXX", where the
 * binary's base dir is made by the parent before the tests and removed with
 * everything in it after all tests (and on SIGINT/SIGTERM/SIGHUP).
 * 0 or -errno; buf is written on success.
 */
int tap_mktemp(char *buf, size_t size);

/*
 * Remove `path` (absolute) in the parent process after the current test
 * has ended -- passed, failed or crashed -- or, when called outside a test,
 * after the last test; also on SIGINT/SIGTERM/SIGHUP. Register right before
 * creating the thing (a path that does not exist then is simply skipped).
 * A file or symlink is unlinked; a directory is removed with everything in
 * it; a directory on a cgroup file system is removed depth-first after the
 * tasks in it were SIGKILLed. Callable from any process of the test (the list
 * is in shared memory). Returns 0, -EINVAL (not absolute, "..", "/") or
 * -ENOSPC (TAP_MAX_CLEANUP paths per test).
 */
#define TAP_MAX_CLEANUP 32
int tap_cleanup_path(const char *path);

/*
 * Optional per-binary hooks (e.g. tests/lib/cgtest.c registers its cleanup
 * from a constructor). All run in the parent test process, never in a
 * test's child, except child_init:
 *   before_all  once before the first test; non-zero fails every test
 *   child_init  in each test's child right after fork
 *   after_each  after each test's child has ended (passed, failed, crashed);
 *               tap_slot() says which one, when tests run concurrently
 *   after_all   once after the last test, and when the parent gets
 *               SIGINT/SIGTERM/SIGHUP (the running test's child is
 *               SIGKILLed and reaped first)
 * Hooks registered later run their after_* first.
 */
struct tap_hooks {
	int (*before_all)(void);
	void (*child_init)(void);
	void (*after_each)(void);
	void (*after_all)(void);
};
#define TAP_MAX_HOOKS 8
/* Returns 0, or -ENOSPC when TAP_MAX_HOOKS are registered. `h` must stay valid. */
int tap_register_hooks(const struct tap_hooks *h);

/*
 * The slot (0..TAP_MAX_JOBS-1) of the current test among those running at
 * once: in a test's child (from child_init on) and in the parent's
 * after_each for that test; 0 elsewhere. A TEST() always has slot 0.
 * Harness state kept in shared memory per test (cgtest.c) is per slot.
 */
int tap_slot(void);

#define TAP_MAIN()                                                               \
	struct tap_test tap_tests[TAP_MAX_TESTS];                                \
	int tap_n_tests;                                                         \
	char tap_skip_reason[256];                                               \
	int main(int argc, char **argv)                                          \
	{                                                                        \
		return tap_main(argc, argv);                                     \
	}
