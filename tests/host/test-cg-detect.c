/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-detect - cgroup detection on the real kernel: setup mode, mount
 * points, controller versions, cgroup_init() before/after, namespaces.
 *
 * Expectations come from this machine, read independently of the library:
 * a small mountinfo reader here, statfs() of /sys/fs/cgroup (libcgroup's
 * own method), cgroup.controllers of the cgroup2 root, and the VM mode
 * (OPENLVE_VM_MODE) when run inside the test VM. Nothing is hard-coded, so
 * the same binary passes on hybrid hosts, pure v2 and pure v1.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "macro.h"
#include "tap.h"

static const char *const known_ctrls[] = {
	"cpu",      "cpuacct",    "cpuset",  "memory", "blkio", "io",   "pids",   "freezer",
	"devices",  "net_cls",    "net_prio", "perf_event", "hugetlb", "rdma", "misc",
};

/* ------------------------------------------- independent mountinfo reader */

#define MAX_MI 128

struct mi {
	char mnt[512];
	char dev[32];
	char fstype[32];
	char opts[1024];
};

static struct mi mis[MAX_MI];
static int n_mis;
static bool v2_at_std; /* a reachable cgroup2 mount at /sys/fs/cgroup */

static void unescape_simple(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

/*
 * cgroup and cgroup2 lines of /proc/self/mountinfo that are reachable (the
 * path is that file system, not hidden under a later mount), one per
 * hierarchy: the first of a device, one cgroup2.
 */
static int read_mis(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	if (!f)
		return -errno;
	n_mis = 0;
	v2_at_std = false;
	while (fgets(line, sizeof(line), f) && n_mis < MAX_MI) {
		char *sep = strstr(line, " - "), *tok, *save = NULL;
		char *fields[5];
		struct mi m = {};
		bool dup = false;
		int i;

		if (!sep)
			continue;
		*sep = 0;
		tok = strtok_r(line, " ", &save);
		for (i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " ", &save))
			fields[i] = tok;
		if (i < 5)
			continue;
		if (sscanf(sep + 3, "%31s %*s %1023s", m.fstype, m.opts) != 2)
			continue;
		if (strcmp(m.fstype, "cgroup") && strcmp(m.fstype, "cgroup2"))
			continue;
		snprintf(m.mnt, sizeof(m.mnt), "%s", fields[4]);
		unescape_simple(m.mnt);
		snprintf(m.dev, sizeof(m.dev), "%s", fields[2]);
		{
			struct statfs sfs;
			bool v2 = !strcmp(m.fstype, "cgroup2");

			if (statfs(m.mnt, &sfs) < 0 ||
			    sfs.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
				continue;
			if (v2 && !strcmp(m.mnt, "/sys/fs/cgroup"))
				v2_at_std = true;
		}
		for (int j = 0; j < n_mis; j++)
			dup = dup || !strcmp(mis[j].dev, m.dev) ||
			      (!strcmp(m.fstype, "cgroup2") && !strcmp(mis[j].fstype, "cgroup2"));
		if (!dup)
			mis[n_mis++] = m;
	}
	fclose(f);
	return n_mis;
}

static bool opt_has(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == 0))
			return true;
	}
	return false;
}

/* A v1 mount the library can address: a known controller or a name=. */
static bool mi_v1_addressable(const struct mi *m)
{
	if (strcmp(m->fstype, "cgroup"))
		return false;
	if (strstr(m->opts, "name="))
		return true;
	for (size_t i = 0; i < ELEMENTSOF(known_ctrls); i++)
		if (opt_has(m->opts, known_ctrls[i]))
			return true;
	return false;
}

static const struct mi *mi_v2(void)
{
	for (int i = 0; i < n_mis; i++)
		if (!strcmp(mis[i].fstype, "cgroup2"))
			return &mis[i];
	return NULL;
}

static const struct mi *mi_v1_for(const char *ctrl)
{
	for (int i = 0; i < n_mis; i++)
		if (!strcmp(mis[i].fstype, "cgroup") && opt_has(mis[i].opts, ctrl))
			return &mis[i];
	return NULL;
}

/* Whether `ctrl` is listed in the cgroup2 root's cgroup.controllers. */
static bool v2_offers(const char *ctrl)
{
	const struct mi *m = mi_v2();
	char path[600], buf[1024];
	size_t n = strlen(ctrl);
	FILE *f;
	bool found = false;

	if (!m)
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", m->mnt);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (char *p = buf; (p = strstr(p, ctrl)); p += n)
			if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == 0))
				found = true;
	fclose(f);
	return found;
}

static enum cg_setup_mode_t expected_mode(void)
{
	const struct mi *v2 = mi_v2();
	bool v1_ctrl = false, v1_any = false;

	for (int i = 0; i < n_mis; i++) {
		if (strcmp(mis[i].fstype, "cgroup"))
			continue;
		v1_any = v1_any || mi_v1_addressable(&mis[i]);
		for (size_t k = 0; k < ELEMENTSOF(known_ctrls); k++)
			v1_ctrl = v1_ctrl || opt_has(mis[i].opts, known_ctrls[k]);
	}
	if (v2 && (v2_at_std || !v1_ctrl))
		return CGROUP_MODE_UNIFIED;
	if (v2)
		return CGROUP_MODE_HYBRID;
	return v1_any ? CGROUP_MODE_LEGACY : CGROUP_MODE_UNK;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(char **l)
{
	if (l)
		for (char **p = l; *p; p++)
			free(*p);
	free(l);
}

#define REQUIRE_MOUNTS()                                                         \
	do {                                                                     \
		if (read_mis() <= 0)                                             \
			SKIP("no cgroup file system in /proc/self/mountinfo");  \
	} while (0)

/* ----------------------------------------------------------------- tests */

TEST(not_initialized)
{
	enum cg_version_t v = CGROUP_V1;
	static char *sentinel[] = { NULL };
	char *mp = (char *)"untouched";
	char **list = sentinel;
	struct cgroup *cg;

	/* each test runs in a fresh child: nothing has initialized the library */
	ASSERT_EQ(cgroup_get_subsys_mount_point("cpu", &mp), ECGROUPNOTINITIALIZED);
	ASSERT_STREQ(mp, "untouched");
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_V1, &list), ECGROUPNOTINITIALIZED);
	ASSERT(list == sentinel);
	ASSERT_EQ(cgroup_get_controller_version("cpu", &v), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(v, CGROUP_V1);
	ASSERT_EQ(cgroup_set_namespace("cpu", "x"), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_set_namespace(NULL, NULL), ECGROUPNOTINITIALIZED);
	cg = cgroup_new_cgroup("x");
	ASSERT(cg);
	ASSERT_EQ(cgroup_add_all_controllers(cg), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_get_controller_count(cg), 0);
	ASSERT_EQ(cgroup_attach_task(cg), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_attach_proc_pid(cg, getpid()), ECGROUPNOTINITIALIZED);
	cgroup_free(&cg);
	return 0;
}

TEST(init_result_matches_mounts)
{
	ASSERT(read_mis() >= 0);
	if (n_mis == 0) {
		ASSERT_EQ(cgroup_init(), ECGROUPNOTMOUNTED);
		return 0;
	}
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_init(), 0); /* idempotent */
	return 0;
}

struct init_thread {
	pthread_t t;
	int rc;
	char *cpu_mp;
};

static void *init_thread_fn(void *arg)
{
	struct init_thread *it = arg;

	it->rc = cgroup_init();
	if (it->rc == 0 && cgroup_get_subsys_mount_point(mi_v1_for("cpu") ? "cpu" : "memory", &it->cpu_mp))
		it->cpu_mp = NULL;
	return NULL;
}

TEST(init_from_many_threads)
{
	struct init_thread th[8] = {};

	REQUIRE_MOUNTS();
	for (size_t i = 0; i < ELEMENTSOF(th); i++)
		ASSERT_EQ(pthread_create(&th[i].t, NULL, init_thread_fn, &th[i]), 0);
	for (size_t i = 0; i < ELEMENTSOF(th); i++) {
		ASSERT_EQ(pthread_join(th[i].t, NULL), 0);
		ASSERT_EQ(th[i].rc, 0);
	}
	for (size_t i = 1; i < ELEMENTSOF(th); i++) {
		if (!th[0].cpu_mp || !th[i].cpu_mp)
			ASSERT(th[0].cpu_mp == th[i].cpu_mp);
		else
			ASSERT_STREQ(th[i].cpu_mp, th[0].cpu_mp);
	}
	for (size_t i = 0; i < ELEMENTSOF(th); i++)
		free(th[i].cpu_mp);
	return 0;
}

TEST(setup_mode)
{
	enum cg_setup_mode_t want, before, after;
	const char *vm = getenv("OPENLVE_VM_MODE");
	struct statfs sfs;

	ASSERT(read_mis() >= 0);
	want = expected_mode();
	/* works before cgroup_init(), like libcgroup's */
	before = cgroup_setup_mode();
	ASSERT_EQ(before, want);
	if (n_mis == 0)
		return 0;
	ASSERT_EQ(cgroup_init(), 0);
	after = cgroup_setup_mode();
	ASSERT_EQ(after, want);
	ASSERT_EQ(is_cgroup_mode_legacy(), want == CGROUP_MODE_LEGACY);
	ASSERT_EQ(is_cgroup_mode_hybrid(), want == CGROUP_MODE_HYBRID);
	ASSERT_EQ(is_cgroup_mode_unified(), want == CGROUP_MODE_UNIFIED);

	/* second opinion, libcgroup's method: what is mounted at /sys/fs/cgroup */
	if (statfs("/sys/fs/cgroup", &sfs) == 0) {
		if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
			ASSERT_EQ(after, CGROUP_MODE_UNIFIED);
		} else if (sfs.f_type == TMPFS_MAGIC) {
			struct statfs u;
			if (statfs("/sys/fs/cgroup/unified", &u) == 0 && u.f_type == CGROUP2_SUPER_MAGIC)
				ASSERT_EQ(after, CGROUP_MODE_HYBRID);
			else if (mi_v1_for("cpu") || mi_v1_for("memory"))
				ASSERT_EQ(after, CGROUP_MODE_LEGACY);
		}
	}
	/* third: the VM says what it booted */
	if (vm && !strcmp(vm, "v2"))
		ASSERT_EQ(after, CGROUP_MODE_UNIFIED);
	if (vm && !strcmp(vm, "legacy"))
		ASSERT_EQ(after, CGROUP_MODE_LEGACY);
	return 0;
}

static int check_list(enum cg_version_t version)
{
	char **list = NULL, *want[MAX_MI];
	int n_want = 0, n_got = 0;

	for (int i = 0; i < n_mis; i++) {
		bool v2 = !strcmp(mis[i].fstype, "cgroup2");
		if (version == CGROUP_V2 ? v2 : mi_v1_addressable(&mis[i]))
			want[n_want++] = mis[i].mnt;
	}
	ASSERT_EQ(cgroup_list_mount_points(version, &list), 0);
	ASSERT(list);
	while (list[n_got])
		n_got++;
	if (n_got != n_want) {
		free_list(list);
		TAP_FAIL("version %d: %d mount points listed, mountinfo has %d", version, n_got, n_want);
	}
	qsort(list, (size_t)n_got, sizeof(char *), cmpstr);
	qsort(want, (size_t)n_want, sizeof(char *), cmpstr);
	for (int i = 0; i < n_got; i++)
		if (strcmp(list[i], want[i])) {
			fprintf(stderr, "# listed %s, expected %s\n", list[i], want[i]);
			free_list(list);
			return 1;
		}
	free_list(list);
	return 0;
}

TEST(mount_points_listing)
{
	static char *sentinel[] = { NULL };
	char **list = sentinel;

	REQUIRE_MOUNTS();
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(check_list(CGROUP_V1), 0);
	ASSERT_EQ(check_list(CGROUP_V2), 0);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_UNK, &list), ECGINVAL);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_DISK, &list), ECGINVAL);
	ASSERT_EQ(cgroup_list_mount_points((enum cg_version_t)77, &list), ECGINVAL);
	ASSERT(list == sentinel);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_V1, NULL), ECGINVAL);
	return 0;
}

TEST(subsys_mount_points_and_versions)
{
	const struct mi *v2;
	int checked = 0;

	REQUIRE_MOUNTS();
	ASSERT_EQ(cgroup_init(), 0);
	v2 = mi_v2();
	for (size_t i = 0; i < ELEMENTSOF(known_ctrls); i++) {
		const char *c = known_ctrls[i];
		const struct mi *m1 = mi_v1_for(c);
		enum cg_version_t v = (enum cg_version_t)99;
		char *mp = NULL;
		int r;

		/* blkio and io stand for each other (checked in blkio_io_alias) */
		if ((!strcmp(c, "io") && mi_v1_for("blkio")) || (!strcmp(c, "blkio") && v2_offers("io")))
			continue;
		r = cgroup_get_subsys_mount_point(c, &mp);
		if (m1) {
			ASSERT_EQ(r, 0);
			ASSERT_STREQ(mp, m1->mnt);
			ASSERT_EQ(cgroup_get_controller_version(c, &v), 0);
			ASSERT_EQ(v, CGROUP_V1);
		} else if (v2_offers(c)) {
			ASSERT_EQ(r, 0);
			ASSERT_STREQ(mp, v2->mnt);
			ASSERT_EQ(cgroup_get_controller_version(c, &v), 0);
			ASSERT_EQ(v, CGROUP_V2);
		} else {
			ASSERT_EQ(r, ECGROUPNOTEXIST);
			ASSERT(mp == NULL);
			ASSERT_EQ(cgroup_get_controller_version(c, &v), ECGROUPNOTEXIST);
			ASSERT_EQ(v, CGROUP_UNK);
		}
		free(mp);
		checked++;
	}
	ASSERT(checked >= 13);
	return 0;
}

TEST(named_hierarchy)
{
	const struct mi *named = NULL;
	char name[256], *mp = NULL;
	enum cg_version_t v;
	const char *p;

	REQUIRE_MOUNTS();
	ASSERT_EQ(cgroup_init(), 0);
	for (int i = 0; i < n_mis && !named; i++)
		if (!strcmp(mis[i].fstype, "cgroup") && strstr(mis[i].opts, "name="))
			named = &mis[i];
	if (!named)
		SKIP("no named v1 hierarchy (name=...) on this machine");
	p = strstr(named->opts, "name=");
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, ","), p);
	ASSERT_EQ(cgroup_get_subsys_mount_point(name, &mp), 0);
	ASSERT_STREQ(mp, named->mnt);
	free(mp);
	ASSERT_EQ(cgroup_get_controller_version(name, &v), 0);
	ASSERT_EQ(v, CGROUP_V1);
	ASSERT_EQ(cgroup_get_subsys_mount_point("name=no-such-hierarchy", &mp), ECGROUPNOTEXIST);
	return 0;
}

TEST(blkio_io_alias)
{
	const struct mi *where = mi_v1_for("blkio");
	char *a = NULL, *b = NULL;
	enum cg_version_t va, vb;

	REQUIRE_MOUNTS();
	where = mi_v1_for("blkio");
	if (!where && v2_offers("io"))
		where = mi_v2();
	if (!where)
		SKIP("neither blkio (v1) nor io (v2) is available");
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_get_subsys_mount_point("blkio", &a), 0);
	ASSERT_EQ(cgroup_get_subsys_mount_point("io", &b), 0);
	ASSERT_STREQ(a, where->mnt);
	ASSERT_STREQ(b, where->mnt);
	free(a);
	free(b);
	ASSERT_EQ(cgroup_get_controller_version("blkio", &va), 0);
	ASSERT_EQ(cgroup_get_controller_version("io", &vb), 0);
	ASSERT_EQ(va, vb);
	ASSERT_EQ(va, strcmp(where->fstype, "cgroup2") ? CGROUP_V1 : CGROUP_V2);
	return 0;
}

TEST(controller_version_arguments)
{
	enum cg_version_t v = (enum cg_version_t)99;
	char *mp = NULL;

	REQUIRE_MOUNTS();
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_get_controller_version("cpu", NULL), ECGINVAL);
	if (mi_v2()) {
		ASSERT_EQ(cgroup_get_controller_version(NULL, &v), 0);
		ASSERT_EQ(v, CGROUP_V2);
	} else {
		ASSERT_EQ(cgroup_get_controller_version(NULL, &v), ECGINVAL);
	}
	ASSERT_EQ(cgroup_get_controller_version("no_such_ctrl", &v), ECGROUPNOTEXIST);
	ASSERT_EQ(v, CGROUP_UNK);
	ASSERT_EQ(cgroup_get_controller_version("", &v), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_get_subsys_mount_point(NULL, &mp), ECGINVAL);
	ASSERT_EQ(cgroup_get_subsys_mount_point("cpu", NULL), ECGINVAL);
	ASSERT_EQ(cgroup_get_subsys_mount_point("no_such_ctrl", &mp), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_get_subsys_mount_point("cpu,cpuacct", &mp), ECGROUPNOTEXIST);
	ASSERT(mp == NULL);
	return 0;
}

TEST(add_all_controllers)
{
	struct cgroup *cg;
	int want = 0, n;

	REQUIRE_MOUNTS();
	ASSERT_EQ(cgroup_add_all_controllers(NULL), ECGINVAL);
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_add_all_controllers(NULL), ECGINVAL);
	for (size_t i = 0; i < ELEMENTSOF(known_ctrls); i++)
		if (mi_v1_for(known_ctrls[i]) || v2_offers(known_ctrls[i]))
			want++;
	cg = cgroup_new_cgroup("x");
	ASSERT(cg);
	ASSERT_EQ(cgroup_add_all_controllers(cg), 0);
	n = cgroup_get_controller_count(cg);
	ASSERT_EQ(n, want);
	for (int i = 0; i < n; i++) {
		const char *name = cgroup_get_controller_name(cgroup_get_controller_by_index(cg, i));
		ASSERT(name);
		ASSERT(mi_v1_for(name) || v2_offers(name));
	}
	/* again: nothing added twice */
	ASSERT_EQ(cgroup_add_all_controllers(cg), 0);
	ASSERT_EQ(cgroup_get_controller_count(cg), want);
	cgroup_free(&cg);
	return 0;
}

/*
 * In a private mount namespace (this test's child only): a tmpfs over
 * /sys/fs/cgroup and cgroup2 on top, the way a unified host looks. The old
 * mounts below stay listed in mountinfo but are unreachable; detection must
 * use the reachable cgroup2 and say "unified".
 */
TEST(hidden_mounts_are_skipped)
{
	char **list = NULL;

	REQUIRE_ROOT();
	REQUIRE_MOUNTS();
	if (unshare(CLONE_NEWNS) < 0)
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	if (mount("none", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") < 0)
		SKIP("cannot mount tmpfs on /sys/fs/cgroup: %s", strerror(errno));
	if (mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
		SKIP("cannot mount cgroup2: %s", strerror(errno));
	/* the independent reader sees the same */
	ASSERT(read_mis() > 0);
	ASSERT(mi_v2());
	ASSERT_STREQ(mi_v2()->mnt, "/sys/fs/cgroup");
	ASSERT_EQ(expected_mode(), CGROUP_MODE_UNIFIED);

	ASSERT_EQ(cgroup_setup_mode(), CGROUP_MODE_UNIFIED);
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_setup_mode(), CGROUP_MODE_UNIFIED);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_V1, &list), 0);
	ASSERT(list && !list[0]);
	free_list(list);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_V2, &list), 0);
	ASSERT(list && list[0] && !list[1]);
	ASSERT_STREQ(list[0], "/sys/fs/cgroup");
	free_list(list);
	for (size_t i = 0; i < ELEMENTSOF(known_ctrls); i++) {
		const char *c = known_ctrls[i];
		char *mp = NULL;
		int r = cgroup_get_subsys_mount_point(c, &mp);
		/* blkio stands for io on a v2 host */
		bool listed = v2_offers(strcmp(c, "blkio") ? c : "io");

		if (listed) {
			ASSERT_EQ(r, 0);
			ASSERT_STREQ(mp, "/sys/fs/cgroup");
		} else {
			ASSERT_EQ(r, ECGROUPNOTEXIST);
		}
		free(mp);
	}
	return 0;
}

/* A hybrid host whose cgroup2 mount goes away (private namespace) is legacy. */
TEST(hybrid_without_cgroup2_is_legacy)
{
	const struct mi *v2;
	char **list = NULL;

	REQUIRE_ROOT();
	REQUIRE_MOUNTS();
	if (expected_mode() != CGROUP_MODE_HYBRID)
		SKIP("not a hybrid host");
	v2 = mi_v2();
	if (unshare(CLONE_NEWNS) < 0)
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_OK(umount2(v2->mnt, MNT_DETACH));
	ASSERT_EQ(cgroup_setup_mode(), CGROUP_MODE_LEGACY);
	ASSERT_EQ(cgroup_init(), 0);
	ASSERT_EQ(cgroup_setup_mode(), CGROUP_MODE_LEGACY);
	ASSERT_EQ(cgroup_list_mount_points(CGROUP_V2, &list), 0);
	ASSERT(list && !list[0]);
	free_list(list);
	return 0;
}

/* ------------------------------------------------------------- namespaces */

/* The /proc/<pid>/cgroup path of pid in hierarchy h; 0 or -errno. */
static int proc_cgroup_path(pid_t pid, const struct cgtest_hier *h, char *out, size_t size)
{
	char path[64], line[4096], first[64];
	FILE *f;
	int r = -ENOENT;

	snprintf(first, sizeof(first), "%.*s", (int)strcspn(h->ctrls, " "), h->ctrls);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool match;

		if (!c2)
			continue;
		*c1 = 0;
		*c2 = 0;
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		if (h->version == 2)
			match = !strcmp(line, "0") && !c1[1];
		else
			match = c1[1] && opt_has(c1 + 1, first);
		if (match) {
			snprintf(out, size, "%s", c2 + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* "/a" + "b" -> "/a/b", "/" + "b" -> "/b" */
static void join(char *out, size_t size, const char *a, const char *b)
{
	size_t n = strlen(a);

	while (n > 0 && a[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s/%s", (int)n, a, b);
}

static pid_t spawn_sleeper(int *wfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void reap(pid_t pid, int wfd)
{
	close(wfd);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A hierarchy with a test root whose first controller is not v1 cpuset (needs cpus/mems). */
static const struct cgtest_hier *pick_hier(char *ctrl, size_t size)
{
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *h = cgtest_hier(i);
		snprintf(ctrl, size, "%.*s", (int)strcspn(h->ctrls, " "), h->ctrls);
		if (!(h->version == 1 && !strcmp(ctrl, "cpuset")))
			return h;
	}
	return NULL;
}

/* Attach a sleeper to `group` of ctrl and return where the kernel put it. */
static int attach_and_locate(const struct cgtest_hier *h, const char *ctrl, const char *group,
			     int *ecg, char *where, size_t size)
{
	struct cgroup *cg = cgroup_new_cgroup(group);
	int wfd = -1, r;
	pid_t pid;

	if (!cg || !cgroup_add_controller(cg, ctrl))
		return -ENOMEM;
	pid = spawn_sleeper(&wfd);
	if (pid < 0)
		return pid;
	*ecg = cgroup_attach_task_pid(cg, pid);
	r = proc_cgroup_path(pid, h, where, size);
	reap(pid, wfd);
	cgroup_free(&cg);
	return r;
}

TEST(namespace_roots_names)
{
	const struct cgtest_hier *h;
	char ctrl[64], where[4096], want[4096], sub[4200];
	int ecg;

	CGTEST_PREPARE();
	ASSERT_EQ(cgroup_init(), 0);
	h = pick_hier(ctrl, sizeof(ctrl));
	if (!h)
		SKIP("no hierarchy usable without cpuset setup");
	ASSERT_OK(cgtest_mkdir(ctrl, "g"));
	ASSERT_OK(cgtest_mkdir(ctrl, "sub"));
	ASSERT_OK(cgtest_mkdir(ctrl, "sub/g"));

	ASSERT_EQ(cgroup_set_namespace(ctrl, h->ns), 0);
	ASSERT_OK(attach_and_locate(h, ctrl, "g", &ecg, where, sizeof(where)));
	ASSERT_EQ(ecg, 0);
	join(want, sizeof(want), h->ns, "g");
	ASSERT_STREQ(where, want);

	/* a leading '/' is relative to the namespace, not the file system */
	ASSERT_OK(attach_and_locate(h, ctrl, "/sub/g", &ecg, where, sizeof(where)));
	ASSERT_EQ(ecg, 0);
	join(want, sizeof(want), h->ns, "sub/g");
	ASSERT_STREQ(where, want);

	/* the mount point is not the namespace */
	{
		char *mp = NULL;
		ASSERT_EQ(cgroup_get_subsys_mount_point(ctrl, &mp), 0);
		ASSERT_STREQ(mp, h->mount);
		free(mp);
	}

	/*
	 * NULL = every controller. One path for all only works when every
	 * hierarchy has it; when the test roots differ (own cgroups differ),
	 * the call must fail and change nothing.
	 */
	{
		bool same = true;

		for (int i = 0; i < cgtest_n_hiers(); i++)
			same = same && !strcmp(cgtest_hier(i)->ns, h->ns);
		ASSERT_OK(cgtest_mkdir(NULL, "sub2"));
		ASSERT_OK(cgtest_mkdir(NULL, "sub2/g"));
		snprintf(sub, sizeof(sub), "/%s//sub2/", h->ns); /* odd slashes */
		if (same) {
			ASSERT_EQ(cgroup_set_namespace(NULL, sub), 0);
			join(want, sizeof(want), h->ns, "sub2/g");
		} else {
			ASSERT_EQ(cgroup_set_namespace(NULL, sub), ECGROUPNOTEXIST);
			join(want, sizeof(want), h->ns, "g"); /* unchanged */
		}
		ASSERT_OK(attach_and_locate(h, ctrl, "g", &ecg, where, sizeof(where)));
		ASSERT_EQ(ecg, 0);
		ASSERT_STREQ(where, want);
		ASSERT_EQ(cgroup_set_namespace(ctrl, sub), 0); /* this one has it */
		ASSERT_OK(attach_and_locate(h, ctrl, "g", &ecg, where, sizeof(where)));
		ASSERT_EQ(ecg, 0);
		join(want, sizeof(want), h->ns, "sub2/g");
		ASSERT_STREQ(where, want);
	}

	/* cleared: names start at the mount again */
	ASSERT_EQ(cgroup_set_namespace(ctrl, "/"), 0);
	join(sub, sizeof(sub), h->ns, "g");
	ASSERT_OK(attach_and_locate(h, ctrl, sub, &ecg, where, sizeof(where)));
	ASSERT_EQ(ecg, 0);
	ASSERT_STREQ(where, sub);
	return 0;
}

TEST(namespace_rejects_escapes)
{
	const struct cgtest_hier *h;
	char ctrl[64], where[4096], want[4096], buf[4200];
	_cleanup_free_ char *longname = NULL;
	int ecg;

	CGTEST_PREPARE();
	ASSERT_EQ(cgroup_init(), 0);
	h = pick_hier(ctrl, sizeof(ctrl));
	if (!h)
		SKIP("no hierarchy usable without cpuset setup");
	ASSERT_OK(cgtest_mkdir(ctrl, "g"));
	ASSERT_EQ(cgroup_set_namespace(ctrl, h->ns), 0);

	/* ".." anywhere */
	ASSERT_EQ(cgroup_set_namespace(ctrl, "../x"), ECGINVAL);
	ASSERT_EQ(cgroup_set_namespace(ctrl, ".."), ECGINVAL);
	snprintf(buf, sizeof(buf), "%s/g/../..", h->ns);
	ASSERT_EQ(cgroup_set_namespace(ctrl, buf), ECGINVAL);
	snprintf(buf, sizeof(buf), "%s/./g", h->ns);
	ASSERT_EQ(cgroup_set_namespace(ctrl, buf), ECGINVAL);
	/* control characters, too long */
	ASSERT_EQ(cgroup_set_namespace(ctrl, "a\nb"), ECGINVAL);
	longname = malloc(5000);
	ASSERT(longname);
	memset(longname, 'a', 4999);
	longname[4999] = 0;
	ASSERT_EQ(cgroup_set_namespace(ctrl, longname), ECGINVAL);
	/* an absolute file-system path is looked up below the mount, where it does not exist */
	ASSERT_EQ(cgroup_set_namespace(ctrl, h->root), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_set_namespace(ctrl, "/proc"), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_set_namespace(ctrl, "/etc"), ECGROUPNOTEXIST);
	/* missing directory, file instead of directory */
	snprintf(buf, sizeof(buf), "%s/no-such-group", h->ns);
	ASSERT_EQ(cgroup_set_namespace(ctrl, buf), ECGROUPNOTEXIST);
	snprintf(buf, sizeof(buf), "%s/cgroup.procs", h->ns);
	ASSERT(cgroup_set_namespace(ctrl, buf) != 0);
	/* unknown / unavailable controllers */
	ASSERT_EQ(cgroup_set_namespace("no_such_ctrl", h->ns), ECGROUPSUBSYSNOTMOUNTED);
	ASSERT_EQ(cgroup_set_namespace("cpu,cpuacct", h->ns), ECGROUPSUBSYSNOTMOUNTED);

	/* a symlink: cgroupfs refuses to create one; if it ever did, it must not be followed */
	snprintf(buf, sizeof(buf), "%s/link", h->root);
	if (symlink("/tmp", buf) == 0) {
		snprintf(buf, sizeof(buf), "%s/link", h->ns);
		ASSERT_EQ(cgroup_set_namespace(ctrl, buf), ECGINVAL);
	} else {
		ASSERT(errno == EPERM || errno == EACCES || errno == EOPNOTSUPP || errno == ENOSYS);
	}

	/* every failure above left the namespace as it was */
	ASSERT_OK(attach_and_locate(h, ctrl, "g", &ecg, where, sizeof(where)));
	ASSERT_EQ(ecg, 0);
	join(want, sizeof(want), h->ns, "g");
	ASSERT_STREQ(where, want);

	/* and group names cannot leave it either (refused when named, or when used) */
	{
		static const char *const bad[] = { "../g", "g/../../g", "..", "g/.." };

		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			struct cgroup *cg = cgroup_new_cgroup(bad[i]);

			if (!cg)
				continue;
			ASSERT_OK(attach_and_locate(h, ctrl, bad[i], &ecg, where, sizeof(where)));
			ASSERT_EQ(ecg, ECGINVAL);
			ASSERT_STREQ(where, h->own);
			cgroup_free(&cg);
		}
	}
	return 0;
}

TAP_MAIN()
