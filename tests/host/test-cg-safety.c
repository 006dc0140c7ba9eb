/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-safety - bad input to the kernel-side group operations: names
 * that try to leave the cgroup tree ("..", absolute, over-long), symlinks
 * and foreign mounts inside the tree, unknown or absent controllers, values
 * the kernel refuses and read-only files. Each gets a documented ECG* code
 * and nothing is created or changed outside the test's own subtree.
 *
 * Debian's libcgroup 2.0.2 creates /tmp/x for the name "../../../../tmp/x";
 * these tests prove openlve's does not.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "macro.h"
#include "tap.h"

static bool path_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* A fresh unique name below /tmp that does not exist yet ("olt-safety-<hex>"). */
static void tmp_name(char *out, size_t size)
{
	unsigned char b[6] = { 0 };

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0x5a, sizeof(b));
	snprintf(out, size, "olt-safety-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5]);
}

/* The names that try to climb out; each variant below is checked. */
static const char *const escapes[] = {
	"../x",
	"a/../../b",
	"..",
	"./..",
	"a/./b",
	"g/..",
};

TEST(dotdot_names_are_refused_by_every_entry_point)
{
	char t[64], esc[128], tmp[128];
	pid_t *pids = NULL;
	int n = -1;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	tmp_name(t, sizeof(t));
	snprintf(esc, sizeof(esc), "../../../../tmp/%s", t);
	snprintf(tmp, sizeof(tmp), "/tmp/%s", t);
	ASSERT(!path_exists(tmp));

	/*
	 * libcgroup accepts any name in the structure; every operation that
	 * would reach the kernel refuses it with ECGINVAL and creates nothing.
	 */
	for (size_t i = 0; i <= ELEMENTSOF(escapes); i++) {
		const char *name = i < ELEMENTSOF(escapes) ? escapes[i] : esc;
		struct cgroup *cg = cgroup_new_cgroup(name);

		ASSERT(cg);
		ASSERT(cgroup_add_controller(cg, "pids"));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGINVAL);
		ASSERT_EQ(cgroup_create_cgroup_from_parent(cg, 0), ECGINVAL);
		ASSERT_EQ(cgroup_modify_cgroup(cg), ECGINVAL);
		ASSERT_EQ(cgroup_get_cgroup(cg), ECGINVAL);
		ASSERT_EQ(cgroup_delete_cgroup(cg, 0), ECGINVAL);
		ASSERT_EQ(cg_chmod_recursive(cg, 0700, 1, 0600, 1), ECGINVAL);
		ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGINVAL);
		cgroup_free(&cg);
	}

	/* entry points taking a raw name check it themselves */
	ASSERT_EQ(cgroup_get_procs(esc, "pids", &pids, &n), ECGINVAL);
	ASSERT_EQ(cgroup_get_threads(esc, "pids", &pids, &n), ECGINVAL);
	for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
		ASSERT_EQ(cgroup_get_procs(escapes[i], "pids", &pids, &n), ECGINVAL);
		ASSERT_EQ(cgroup_get_threads(escapes[i], "pids", &pids, &n), ECGINVAL);
	}
	ASSERT(pids == NULL && n == -1);
	ASSERT(!path_exists(tmp));
	ASSERT(!path_exists("/tmp/x"));
	return 0;
}

TEST(absolute_name_stays_in_the_namespace)
{
	static const char *const ctrls[] = { "pids", NULL };
	char t[64], abs_name[128], outside[4096];
	struct cgroup *cg;
	const struct cgtest_hier *h;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	h = cgtest_hier_for("pids");
	tmp_name(t, sizeof(t));
	snprintf(abs_name, sizeof(abs_name), "/%s/olute", t);
	/* where a path-joining implementation would put it: the mount root */
	snprintf(outside, sizeof(outside), "%s/%s", h->mount, t);
	ASSERT(!path_exists(outside));

	cg = cgroup_new_cgroup(abs_name);
	ASSERT(cg);
	for (int i = 0; ctrls[i]; i++)
		ASSERT(cgroup_add_controller(cg, ctrls[i]));
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
	snprintf(abs_name, sizeof(abs_name), "%s/olute", t);
	ASSERT(cgtest_exists("pids", abs_name));
	ASSERT(!path_exists(outside));

	/* the raw-name functions read it at the same place */
	{
		pid_t *pids = NULL;
		int n = -1;

		snprintf(abs_name, sizeof(abs_name), "/%s/olute", t);
		ASSERT_EQ(cgroup_get_procs(abs_name, "pids", &pids, &n), 0);
		ASSERT_EQ(n, 0);
		free(pids);
	}
	ASSERT_EQ(cgroup_delete_cgroup(cg, 0), 0);
	snprintf(abs_name, sizeof(abs_name), "%s/olute", t);
	ASSERT(!cgtest_exists("pids", abs_name));
	ASSERT(!path_exists(outside));
	cgroup_free(&cg);
	return 0;
}

TEST(overlong_names)
{
	static char longpath[PATH_MAX + 200], longcomp[NAME_MAX + 50];
	pid_t *pids = NULL;
	int n = -1;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	/* a path longer than PATH_MAX made of valid components */
	for (size_t i = 0; i + 2 < sizeof(longpath); i += 2) {
		longpath[i] = 'a';
		longpath[i + 1] = '/';
	}
	longpath[sizeof(longpath) - 2] = 'a';
	longpath[sizeof(longpath) - 1] = 0;
	memset(longcomp, 'b', sizeof(longcomp) - 1);
	longcomp[sizeof(longcomp) - 1] = 0;

	ASSERT(cgroup_new_cgroup(longpath) == NULL);
	{
		/* a component longer than NAME_MAX can be named, but not created */
		struct cgroup *cg = cgroup_new_cgroup(longcomp);

		ASSERT(cg && cgroup_add_controller(cg, "pids"));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGINVAL);
		cgroup_free(&cg);
	}
	ASSERT_EQ(cgroup_get_procs(longpath, "pids", &pids, &n), ECGINVAL);
	ASSERT_EQ(cgroup_get_threads(longcomp, "pids", &pids, &n), ECGINVAL);
	ASSERT(pids == NULL && n == -1);
	ASSERT(!cgtest_exists("pids", "a"));
	ASSERT(!cgtest_exists("pids", longcomp));
	return 0;
}

/* Names that are valid but awkward: stay inside, work, round-trip. */
TEST(odd_but_valid_names)
{
	static const char *const names[] = { "-dash", "with space", "dot.in.name", "...",
					     "a//b///c/" };
	static const char *const ctrls[] = { "pids", NULL };

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		struct cgroup *cg = cgroup_new_cgroup(names[i]);

		ASSERT(cg);
		for (int k = 0; ctrls[k]; k++)
			ASSERT(cgroup_add_controller(cg, ctrls[k]));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
		ASSERT_EQ(cgroup_get_cgroup(cg), 0);
		ASSERT_EQ(cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_RECURSIVE), 0);
		cgroup_free(&cg);
	}
	ASSERT(!cgtest_exists("pids", "-dash"));
	ASSERT(!cgtest_exists("pids", "with space"));
	/* "a//b///c/" is the group a/b/c: its parents were made, c removed */
	ASSERT(cgtest_exists("pids", "a/b"));
	ASSERT(!cgtest_exists("pids", "a/b/c"));
	return 0;
}

/*
 * A foreign filesystem inside the cgroup tree with symlinks pointing out:
 * made in a private mount namespace of this test's process, so it is
 * invisible to everyone else and vanishes with the process.
 */
struct outside {
	char dir[128];  /* /tmp/olt-safety-x: symlink target directory */
	char file[192]; /* <dir>/file with known content and mode */
};

static int setup_foreign_mount(struct outside *o, const char *ctrl)
{
	char *mnt;
	int fd;

	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	tmp_name(o->dir, sizeof(o->dir));
	memmove(o->dir + 5, o->dir, strlen(o->dir) + 1);
	memcpy(o->dir, "/tmp/", 5);
	if (mkdir(o->dir, 0755) < 0)
		return -errno;
	snprintf(o->file, sizeof(o->file), "%s/file", o->dir);
	fd = open(o->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, "orig\n", 5) != 5) {
		close(fd);
		return -EIO;
	}
	close(fd);

	/* <root>/mnt: a cgroup directory with a tmpfs on top */
	if (cgtest_mkdir(ctrl, "mnt") < 0)
		return -EIO;
	mnt = cgtest_path(ctrl, "mnt", NULL);
	if (!mnt)
		return -ENOMEM;
	if (mount("tmpfs", mnt, "tmpfs", 0, "mode=755") < 0) {
		free(mnt);
		return -errno;
	}
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/evil", mnt);
		if (symlink(o->dir, p) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/cpu.shares", mnt);
		if (symlink(o->file, p) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/pids.max", mnt);
		if (symlink(o->file, p) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/sub", mnt);
		if (mkdir(p, 0755) < 0)
			goto fail;
	}
	free(mnt);
	return 0;
fail:
	free(mnt);
	return -errno;
}

static int outside_untouched(const struct outside *o)
{
	char buf[64] = { 0 }, p[256];
	struct stat st;
	int fd;
	ssize_t n;

	fd = open(o->file, O_RDONLY | O_CLOEXEC);
	ASSERT(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_EQ(n, 5);
	ASSERT_STREQ(buf, "orig\n");
	ASSERT(stat(o->file, &st) == 0);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	ASSERT(stat(o->dir, &st) == 0);
	ASSERT_EQ(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/x", o->dir);
	ASSERT(!path_exists(p));
	snprintf(p, sizeof(p), "%s/sub", o->dir);
	ASSERT(!path_exists(p));
	return 0;
}

static void outside_remove(const struct outside *o)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/x", o->dir);
	rmdir(p);
	unlink(o->file);
	rmdir(o->dir);
}

TEST(symlinks_and_foreign_mounts_are_never_followed)
{
	const char *ctrl;
	const char *val;
	struct outside o = { { 0 } };
	struct cgroup *cg;
	struct cgroup_controller *c;
	pid_t *pids = NULL;
	int n = -1, r, fail = 0;

	/* the tree is made before the library is set up, in this process's own mount namespace */
	CGTEST_PREPARE();
	ctrl = cgtest_has_ctrl("cpu") ? "cpu" : "pids";
	CGTEST_REQUIRE_CTRL(ctrl);
	val = !strcmp(ctrl, "pids") ? "pids.max"
				    : (cgtest_version("cpu") == 1 ? "cpu.shares" : "cpu.weight");
	r = setup_foreign_mount(&o, ctrl);
	if (r == -EPERM || r == -ENOSYS) {
		outside_remove(&o);
		SKIP("no private mount namespace: %s", strerror(-r));
	}
	ASSERT_OK(r);
	CGTEST_SETUP();

	/* create through the symlink: refused, nothing appears at the target */
	cg = cgroup_new_cgroup("mnt/evil/x");
	ASSERT(cg && cgroup_add_controller(cg, ctrl));
	r = cgroup_create_cgroup(cg, 0);
	if (r == 0)
		fail = 1;
	cgroup_free(&cg);

	/* create inside the foreign mount: refused (not the cgroup filesystem) */
	cg = cgroup_new_cgroup("mnt/sub/x");
	ASSERT(cg && cgroup_add_controller(cg, ctrl));
	if (cgroup_create_cgroup(cg, 0) != ECGINVAL)
		fail = 2;
	cgroup_free(&cg);

	/* modify where the setting file is a symlink to the outside file */
	cg = cgroup_new_cgroup("mnt");
	ASSERT(cg && (c = cgroup_add_controller(cg, ctrl)));
	ASSERT_EQ(cgroup_add_value_string(c, val, "2"), 0);
	if (cgroup_modify_cgroup(cg) != ECGINVAL)
		fail = 3;
	/* read it: refused, the outside content is never returned */
	if (cgroup_get_cgroup(cg) != ECGINVAL)
		fail = 4;
	/* chmod the tree: refused, the outside file keeps its mode */
	if (cg_chmod_recursive(cg, 0700, 1, 0600, 1) != ECGINVAL)
		fail = 5;
	/* delete it recursively: refused, nothing behind the links removed */
	if (cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_RECURSIVE) != ECGINVAL)
		fail = 6;
	cgroup_free(&cg);

	/* read task lists through the link */
	if (cgroup_get_procs("mnt/evil", ctrl, &pids, &n) == 0)
		fail = 7;
	if (cgroup_get_threads("mnt/sub", ctrl, &pids, &n) == 0)
		fail = 8;

	/* nothing was made inside the foreign mount either */
	{
		char *x = cgtest_path(ctrl, "mnt/sub/x", NULL);

		if (!x || path_exists(x))
			fail = 9;
		free(x);
	}
	r = outside_untouched(&o);
	outside_remove(&o);
	{
		char *mnt = cgtest_path(ctrl, "mnt", NULL);

		if (mnt) {
			umount2(mnt, MNT_DETACH);
			free(mnt);
		}
	}
	ASSERT_EQ(r, 0);
	if (fail)
		TAP_FAIL("step %d was not refused", fail);
	ASSERT(pids == NULL && n == -1);
	return 0;
}

TEST(unknown_and_absent_controllers)
{
	static const char *const candidates[] = { "rdma",     "misc",    "perf_event", "net_cls",
						  "net_prio", "hugetlb", "devices" };
	const char *absent = NULL;
	struct cgroup *cg;
	pid_t *pids = NULL;
	int n = -1;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");

	/* a name the library does not know at all */
	cg = cgroup_new_cgroup("uc");
	ASSERT(cg && cgroup_add_controller(cg, "pids") && cgroup_add_controller(cg, "bogus"));
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGROUPSUBSYSNOTMOUNTED);
	ASSERT(!cgtest_exists("pids", "uc")); /* not even in the hierarchies that exist */
	ASSERT_EQ(cgroup_modify_cgroup(cg), ECGROUPSUBSYSNOTMOUNTED);
	ASSERT_EQ(cgroup_delete_cgroup(cg, 0), ECGROUPSUBSYSNOTMOUNTED);
	ASSERT_EQ(cgroup_get_cgroup(cg), ECGROUPSUBSYSNOTMOUNTED);
	ASSERT_EQ(cgroup_get_procs("uc", "bogus", &pids, &n), ECGROUPSUBSYSNOTMOUNTED);
	cgroup_free(&cg);

	/* a real controller that this machine does not offer */
	for (size_t i = 0; i < ELEMENTSOF(candidates) && !absent; i++) {
		char *mp = NULL;

		if (cgroup_get_subsys_mount_point(candidates[i], &mp) != 0)
			absent = candidates[i];
		free(mp);
	}
	if (absent) {
		cg = cgroup_new_cgroup("uc");
		ASSERT(cg && cgroup_add_controller(cg, "pids"));
		ASSERT(cgroup_add_controller(cg, absent));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGROUPSUBSYSNOTMOUNTED);
		ASSERT(!cgtest_exists("pids", "uc"));
		ASSERT_EQ(cgroup_get_threads("uc", absent, &pids, &n), ECGROUPSUBSYSNOTMOUNTED);
		cgroup_free(&cg);
	} else
		fprintf(stderr, "# every candidate controller is mounted: absent case not run\n");
	ASSERT(pids == NULL && n == -1);
	return 0;
}

TEST(values_the_kernel_refuses)
{
	static const char *const bad[] = { "abc", "12abc", "-5", "1 2", "99999999999999999999999" };
	struct cgroup *cg;
	struct cgroup_controller *c;
	char buf[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	cg = cgroup_new_cgroup("val");
	ASSERT(cg && (c = cgroup_add_controller(cg, "pids")));
	ASSERT_EQ(cgroup_add_value_string(c, "pids.max", "8"), 0);
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ASSERT_EQ(cgroup_set_value_string(c, "pids.max", bad[i]), 0);
		ASSERT_EQ(cgroup_modify_cgroup(cg), ECGCANTSETVALUE);
		ASSERT(cgroup_get_last_errno() != 0);
		ASSERT_OK(cgtest_read_value("pids", "val", "pids.max", buf, sizeof(buf)));
		ASSERT_STREQ(buf, "8");
	}
	cgroup_free(&cg);

	/* at creation (libcgroup 3.x): the new group is removed again, ECGOTHER/EINVAL */
	cg = cgroup_new_cgroup("val2");
	ASSERT(cg && (c = cgroup_add_controller(cg, "pids")));
	ASSERT_EQ(cgroup_add_value_string(c, "pids.max", "lots"), 0);
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), EINVAL);
	ASSERT(!cgtest_exists("pids", "val2"));
	cgroup_free(&cg);

	/* a setting name that is a path: refused before the kernel */
	cg = cgroup_new_cgroup("val");
	ASSERT(cg && (c = cgroup_add_controller(cg, "pids")));
	ASSERT_EQ(cgroup_add_value_string(c, "../pids.max", "1"), ECGINVAL);
	ASSERT_EQ(cgroup_add_value_string(c, "/etc/passwd", "1"), ECGINVAL);
	cgroup_free(&cg);
	ASSERT_OK(cgtest_read_value("pids", "", "pids.max", buf, sizeof(buf)));
	ASSERT(strcmp(buf, "1") != 0);
	return 0;
}

TEST(read_only_files)
{
	const char *ro[4];
	int n_ro = 0;
	struct cgroup *cg;
	struct cgroup_controller *c;
	char before[4096], after[4096];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ro[n_ro++] = "pids.current";
	ro[n_ro++] = "pids.events";
	if (cgtest_version("pids") == 2)
		ro[n_ro++] = "cgroup.controllers";
	cg = cgroup_new_cgroup("ro");
	ASSERT(cg && cgroup_add_controller(cg, "pids"));
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
	cgroup_free(&cg);
	for (int i = 0; i < n_ro; i++) {
		ASSERT_OK(cgtest_read_value("pids", "ro", ro[i], before, sizeof(before)));
		cg = cgroup_new_cgroup("ro");
		ASSERT(cg && (c = cgroup_add_controller(cg, "pids")));
		ASSERT_EQ(cgroup_add_value_string(c, ro[i], "5"), 0);
		ASSERT_EQ(cgroup_modify_cgroup(cg), ECGCANTSETVALUE);
		ASSERT(cgroup_get_last_errno() != 0);
		ASSERT_OK(cgtest_read_value("pids", "ro", ro[i], after, sizeof(after)));
		ASSERT_STREQ(after, before);
		cgroup_free(&cg);
	}
	if (cgtest_has_ctrl("memory") && cgtest_version("memory") == 1) {
		cg = cgroup_new_cgroup("ro");
		ASSERT(cg && (c = cgroup_add_controller(cg, "memory")));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
		ASSERT_EQ(cgroup_add_value_string(c, "memory.usage_in_bytes", "5"), 0);
		ASSERT_EQ(cgroup_modify_cgroup(cg), ECGCANTSETVALUE);
		cgroup_free(&cg);
	}
	return 0;
}

TEST(namespace_root_is_never_removed)
{
	static const char *const ctrls[] = { "pids", NULL };
	struct cgroup *cg;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(cgtest_mkdir("pids", "k1/k2"));
	for (int flags = 0; flags < 8; flags++) {
		int r;

		cg = cgroup_new_cgroup("/");
		ASSERT(cg);
		for (int i = 0; ctrls[i]; i++)
			ASSERT(cgroup_add_controller(cg, ctrls[i]));
		r = cgroup_delete_cgroup_ext(cg, flags);
		if ((flags & CGFLAG_DELETE_RECURSIVE) && (flags & CGFLAG_DELETE_EMPTY_ONLY))
			ASSERT_EQ(r, ECGINVAL);
		ASSERT(cgtest_exists("pids", ""));
		cgroup_free(&cg);
	}
	/* the test root's parent (the own cgroup) is untouched too */
	{
		const struct cgtest_hier *h = cgtest_hier_for("pids");
		char own[4096];

		snprintf(own, sizeof(own), "%s%s", h->mount, h->own);
		ASSERT(path_exists(own));
	}
	return 0;
}

TEST(set_namespace_escape_is_refused)
{
	char t[64], esc[128];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	tmp_name(t, sizeof(t));
	snprintf(esc, sizeof(esc), "../../../../tmp/%s", t);
	ASSERT(cgroup_set_namespace("pids", esc) != 0);
	ASSERT(cgroup_set_namespace("pids", "..") != 0);
	/* the namespace is unchanged: names still land below the test root */
	{
		struct cgroup *cg = cgroup_new_cgroup("still-inside");

		ASSERT(cg && cgroup_add_controller(cg, "pids"));
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
		ASSERT(cgtest_exists("pids", "still-inside"));
		cgroup_free(&cg);
	}
	snprintf(esc, sizeof(esc), "/tmp/%s", t);
	ASSERT(!path_exists(esc));
	return 0;
}

TAP_MAIN()
