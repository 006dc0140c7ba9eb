/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgtest.h - the real-kernel harness every functional (host / vm) test uses.
 *
 * A test calls CGTEST_SETUP() first. That creates, in every mounted
 * cgroup hierarchy that has controllers (each v1 hierarchy; the cgroup2
 * mount if it has controllers), a fresh randomly named group
 *
 *     <mount>/<own cgroup of this process>/olt-<12 hex>      ("the root")
 *
 * and points openlve's library at it: cgroup_init() and, for every
 * controller of that hierarchy, cgroup_set_namespace(controller,
 * "<own>/olt-<hex>"). So group names the test gives the library ("lve1",
 * "a/b") land below the root, and nothing outside it is touched. On cgroup
 * v2 the available controllers are enabled in the root's
 * cgroup.subtree_control (the root itself therefore holds no processes).
 * On v1 cpuset the root gets its parent's cpuset.cpus/mems.
 *
 * Each test (tap.h forks one child per test) gets its own fresh root. The
 * parent test process removes it after the test ends, whether the test
 * passed, failed or crashed, and again at exit and on SIGINT/SIGTERM:
 * every task still in the subtree is thawed and SIGKILLed, then the groups
 * are removed depth-first. Only groups below the root are ever removed.
 *
 * CGTEST_SETUP() skips the test when no cgroup hierarchy with controllers
 * is usable, and when not root -- except in CI (tap_ci()), where not being
 * root fails (and any skip not in tests/expected-skips.txt fails the run).
 * Helpers that depend on setup return NULL / -1 / -ENXIO before it.
 *
 * Protected cgroups: a hierarchy whose own cgroup lies below a protected
 * prefix (the workplace's "/process_api") is never touched -- no group is
 * created there, nothing is moved there. Before the first test the parent
 * process enters a private mount namespace and unmounts that hierarchy, so
 * the library under test (and every tool the tests exec) sees it as not
 * mounted; tests needing its controllers skip with that reason.
 *
 * Nothing here uses the library under test except cgroup_init() and
 * cgroup_set_namespace() in cgtest_setup(): paths, reads and writes below
 * go straight to the kernel so tests can check the library against it.
 * cgtest_prepare() creates the roots without touching the library at all
 * (for tests of the uninitialized library).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lve/libcgroup.h"
#include "tap.h"

#define CGTEST_MAX_HIERS 16

struct cgtest_hier {
	const char *mount; /* mount point, e.g. "/sys/fs/cgroup/cpu" */
	int version;       /* 1 or 2 */
	const char *ctrls; /* controllers, space separated: "cpu", "cpu cpuacct", "cpuset cpu io memory pids" */
	const char *own;   /* this process's cgroup in the hierarchy, e.g. "/" or "/process_api/x" */
	const char *ns;    /* what cgroup_set_namespace() got: own + "/olt-<hex>" (leading '/') */
	const char *root;  /* absolute path of the random root: mount + ns */
	int fd;            /* O_DIRECTORY|O_CLOEXEC fd of root in this process, -1 before cgtest_open */
};

/*
 * Create the random roots (once per test; later calls in the same test are
 * no-ops) WITHOUT calling the library. Returns 0, 1 when the test should be
 * skipped (reason in cgtest_skip_reason()), or -errno.
 */
int cgtest_prepare(void);
/* cgtest_prepare() + cgroup_init() + cgroup_set_namespace() for every controller. Same returns. */
int cgtest_setup(void);
const char *cgtest_skip_reason(void);

#define CGTEST_SETUP()                                                           \
	do {                                                                     \
		int _cgr = cgtest_setup();                                       \
		if (_cgr == 1)                                                   \
			SKIP("%s", cgtest_skip_reason());                        \
		if (_cgr < 0)                                                    \
			TAP_FAIL("cgtest_setup: %s (%s)", strerror(-_cgr),        \
				 cgtest_skip_reason());                          \
	} while (0)

/* Like CGTEST_SETUP() but without the library (cgtest_prepare). */
#define CGTEST_PREPARE()                                                         \
	do {                                                                     \
		int _cgr = cgtest_prepare();                                     \
		if (_cgr == 1)                                                   \
			SKIP("%s", cgtest_skip_reason());                        \
		if (_cgr < 0)                                                    \
			TAP_FAIL("cgtest_prepare: %s (%s)", strerror(-_cgr),      \
				 cgtest_skip_reason());                          \
	} while (0)

/* Skip the test unless `controller` is available (after setup). */
#define CGTEST_REQUIRE_CTRL(controller)                                          \
	do {                                                                     \
		if (!cgtest_has_ctrl(controller))                                \
			SKIP("controller %s not available: %s", (controller),     \
			     cgtest_ctrl_missing_reason(controller));             \
	} while (0)

/* Hierarchies with a root, after prepare. */
int cgtest_n_hiers(void);
const struct cgtest_hier *cgtest_hier(int i);
/* The hierarchy holding `controller` ("cpu", "memory", "io" or "blkio", ...), or NULL. */
const struct cgtest_hier *cgtest_hier_for(const char *controller);
bool cgtest_has_ctrl(const char *controller);
/* Version (1 or 2) of the hierarchy holding `controller`, 0 when absent. */
int cgtest_version(const char *controller);
/* Why cgtest_has_ctrl() is false, for SKIP messages. */
const char *cgtest_ctrl_missing_reason(const char *controller);

/*
 * After prepare: NULL when every controller of `ctrls` (NULL-terminated)
 * that is mounted here has a random root, else a reason naming one that
 * has none -- a library placing its groups there would leave the test
 * subtree. Hierarchies hidden because their own cgroup is protected are
 * not mounted for this process, so they do not count.
 */
const char *cgtest_uncovered(const char *const *ctrls);

/* Absolute path of the random root of `controller`'s hierarchy, NULL when absent. */
const char *cgtest_root(const char *controller);
/* Namespace path given to cgroup_set_namespace() for `controller` ("/<own>/olt-<hex>"). */
const char *cgtest_ns(const char *controller);
/* Borrowed O_DIRECTORY fd of that root in this process, -1 when absent. */
int cgtest_root_fd(const char *controller);
/* malloc'd absolute path "<root>/<group>[/<file>]" (file may be NULL), NULL when absent. */
char *cgtest_path(const char *controller, const char *group, const char *file);

/* Direct kernel access below the root of `controller` (no library). -errno. */
bool cgtest_exists(const char *controller, const char *group);
int cgtest_mkdir(const char *controller, const char *group); /* NULL controller: every hierarchy */
int cgtest_read(const char *controller, const char *group, const char *file, char *buf, size_t size);
/* cgtest_read() with one trailing newline removed (the value as the kernel shows it). */
int cgtest_read_value(const char *controller, const char *group, const char *file, char *buf,
		      size_t size);
int cgtest_write(const char *controller, const char *group, const char *file, const char *value);
/* Number of pids listed in <group>/cgroup.procs, or -errno. */
int cgtest_count_procs(const char *controller, const char *group);
/* True if pid is listed in <group>/cgroup.procs of controller's hierarchy. */
bool cgtest_pid_in(const char *controller, const char *group, pid_t pid);

/*
 * Mode of this machine, detected by the harness itself from
 * /proc/self/mountinfo (not by the library): CGROUP_MODE_LEGACY (v1
 * controllers only), CGROUP_MODE_HYBRID (v1 controllers and a cgroup2
 * mount), CGROUP_MODE_UNIFIED (cgroup2 only), CGROUP_MODE_UNK.
 */
enum cg_setup_mode_t cgtest_mode(void);
/* "v2" or "legacy" inside the test VM (OPENLVE_VM_MODE), NULL on the host. */
const char *cgtest_vm_mode(void);

/*
 * Fork a child, move it into `group` (relative to the roots; "" = stay in
 * the own cgroups) in every hierarchy where that group exists (writing
 * cgroup.procs directly, not through the library), then run fn(arg) and
 * _exit with its return value (& 0xff). Returns the child's pid once it has been moved,
 * or -errno (-ENOENT when the group exists nowhere; the child is reaped).
 * The child is killed by the cleanup if still alive.
 */
pid_t cgtest_fork_in(const char *group, int (*fn)(void *), void *arg);
/*
 * Wait for a child: its exit code (0..255), CGTEST_SIGNALED(sig) (>= 256)
 * when killed by a signal, or -errno when waitpid failed.
 */
#define CGTEST_SIGNALED(sig) (256 + (sig))
int cgtest_wait(pid_t pid);
/* cgtest_fork_in() + cgtest_wait(): same returns, -errno also when the fork/move failed. */
int cgtest_run_in(const char *group, int (*fn)(void *), void *arg);

/*
 * Remove the random subtree of every hierarchy (kill its tasks, rmdir
 * depth-first). Idempotent; runs automatically in the parent after each
 * test and at exit. Never touches anything outside the roots.
 * Returns 0 or -errno of the first failure (e.g. -EBUSY when a task
 * would not die); a later call retries.
 */
int cgtest_cleanup(void);
