/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lve-abi - liblve.so.0 as web-server modules see it: dlopen() from
 * the build dir (this binary does not link liblve), dlsym() of every name
 * of lve-ctl.h and openlve.h, the 1.x struct layouts, init_lve(malloc,
 * NULL), lve_exit(NULL, ...), the API version, the seed API codes, and a
 * process that loaded Debian's libcgroup.so.2 first (RTLD_GLOBAL, and
 * LD_PRELOAD) still running openlve's cgroup code inside liblve.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/wait.h>

#include "lve-testenv.h"
#include "lve/lve-ctl.h"
#include "lve/openlve.h"

#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const lve_ctl_names[] = {
	"lve_is_available", "lve_set_default", "lve_create", "lve_destroy", "lve_setup",
	"lve_instance_init", "lve_instance_destroy", "lve_enter", "lve_leave", "init_lve",
	"destroy_lve", "lve_enter_flags", "lve_exit", "lve_setup_enter", "lve_check_fault",
	"is_in_lve", "lve_get_api_version", "lve_kapi_ver", "lve_flush", "lve_info",
	"lve_setup_flags", "lve_enter_pid", "lve_leave_pid", "lve_start",
};

static const char *const openlve_names[] = {
	"olve_limits_default", "olve_open", "olve_close", "olve_apply", "olve_get_limits",
	"olve_destroy", "olve_list", "olve_usage", "olve_set_flags", "olve_get_flags",
	"olve_enter", "olve_leave", "olve_enter_pid", "olve_leave_pid", "olve_current",
};

/* dlopen liblve.so.0 of this build (the soname link, or the file itself where only it was copied). */
static void *open_liblve(int flags)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	static const char *const names[] = { "liblve.so.0", "liblve.so.0.0.0" };
	char path[1024];

	if (!root)
		return NULL;
	for (size_t i = 0; i < ELEMENTS(names); i++) {
		void *d;

		snprintf(path, sizeof(path), "%s/src/liblve/%s", root, names[i]);
		d = dlopen(path, flags);
		if (d)
			return d;
	}
	fprintf(stderr, "# dlopen %s: %s\n", path, dlerror());
	return NULL;
}

#define SYM(d, type, name) ((type)dlsym((d), #name))

TEST(every_name_resolves)
{
	void *d = open_liblve(RTLD_NOW | RTLD_LOCAL);
	int missing = 0;

	ASSERT(d);
	for (size_t i = 0; i < ELEMENTS(lve_ctl_names); i++)
		if (!dlsym(d, lve_ctl_names[i])) {
			fprintf(stderr, "# missing %s\n", lve_ctl_names[i]);
			missing++;
		}
	for (size_t i = 0; i < ELEMENTS(openlve_names); i++)
		if (!dlsym(d, openlve_names[i])) {
			fprintf(stderr, "# missing %s\n", openlve_names[i]);
			missing++;
		}
	ASSERT_EQ(missing, 0);
	/* the cgroup core inside is not exported: it cannot clash with libcgroup */
	ASSERT(!dlsym(d, "cgroup_init"));
	ASSERT(!dlsym(d, "cgroup_attach_task"));
	ASSERT(!dlsym(d, "olve_privileged"));
	dlclose(d);
	return 0;
}

TEST(struct_layout_1x)
{
	ASSERT_EQ(sizeof(struct liblve_settings), 9 * sizeof(int32_t));
	ASSERT_EQ(offsetof(struct liblve_settings, ls_cpu), 0);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_cpus), 4);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_io), 8);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_enters), 12);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_memory), 16);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_cpu_weight), 20);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_memory_phy), 24);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_nproc), 28);
	ASSERT_EQ(offsetof(struct liblve_settings, ls_iops), 32);
	ASSERT_EQ(offsetof(struct liblve_info, li_set), 0);
	ASSERT_EQ(offsetof(struct liblve_info, li_flags), 36);
	ASSERT_EQ(sizeof(struct liblve_info), 40);
	ASSERT_EQ(sizeof(enum liblve_ve_flags), 4);
	ASSERT_EQ(LVE_NO_UBC, 1);
	ASSERT_EQ(LVE_NO_NAMESPACE, 2);
	ASSERT_EQ(LVE_NO_MAXENTER, 4);
	ASSERT_EQ(LVE_SILENCE, 8);
	ASSERT_EQ(LVE_VE_DISABLE, 1);
	ASSERT_EQ(LVE_FAIL_MEM, 1);
	ASSERT_EQ(LVE_FAIL_MEM_PHY, 2);
	ASSERT_EQ(LVE_FAIL_NPROC, 4);
	return 0;
}

TEST(api_version_and_pure_calls)
{
	void *d = open_liblve(RTLD_NOW | RTLD_LOCAL);
	uint32_t cookie = 77;

	ASSERT(d);
	ASSERT_EQ(SYM(d, uint32_t (*)(void), lve_get_api_version)(), 0x10003);
	ASSERT_EQ(SYM(d, uint32_t (*)(struct liblve *), lve_kapi_ver)(NULL), 6);
	/* mysql-governor: lve_exit with a NULL instance, outside any LVE */
	ASSERT_ERR(SYM(d, int (*)(struct liblve *, uint32_t *), lve_exit)(NULL, &cookie), ESRCH);
	ASSERT_ERR(SYM(d, int (*)(struct liblve *, uint32_t *), lve_exit)(NULL, NULL), EFAULT);
	ASSERT_ERR(SYM(d, int (*)(struct liblve *, uint32_t *), lve_leave)(NULL, NULL), EFAULT);
	ASSERT(SYM(d, int (*)(struct liblve *), lve_instance_init)(NULL) > 0);
	ASSERT_ERR(SYM(d, int (*)(struct liblve *), lve_instance_destroy)(NULL), EINVAL);
	ASSERT_ERR(SYM(d, int (*)(struct liblve *), destroy_lve)(NULL), EINVAL);
	dlclose(d);
	return 0;
}

/* ------------------------------------------------- with a real LVE root */

struct api {
	void *d;
	int (*is_available)(void);
	int (*set_default)(uint32_t, uint32_t);
	int (*create)(uint32_t);
	int (*destroy)(uint32_t);
	int (*setup)(uint32_t, int32_t, int32_t);
	int (*instance_init)(struct liblve *);
	int (*instance_destroy)(struct liblve *);
	int (*enter)(struct liblve *, uint32_t, uint32_t, uint32_t, uint32_t *);
	int (*leave)(struct liblve *, uint32_t *);
	struct liblve *(*init_lve)(liblve_alloc, liblve_free);
	int (*destroy_lve)(struct liblve *);
	int (*enter_flags)(struct liblve *, uint32_t, uint32_t *, enum liblve_enter_flags);
	int (*exit)(struct liblve *, uint32_t *);
	int (*setup_enter)(struct liblve *, uint32_t, struct liblve_settings *, uint32_t *, enum liblve_enter_flags);
	int (*check_fault)(struct liblve *, uint32_t *);
	int (*is_in_lve)(struct liblve *);
	int (*flush)(struct liblve *, int);
	int (*info)(struct liblve *, uint32_t, struct liblve_info *);
	int (*setup_flags)(struct liblve *, uint32_t, enum liblve_ve_flags);
	int (*enter_pid)(struct liblve *, uint32_t, pid_t);
	int (*leave_pid)(struct liblve *, pid_t);
	int (*start)(struct liblve *);
	int (*olve_open)(struct olve **, unsigned);
	void (*olve_close)(struct olve *);
	int (*olve_list)(struct olve *, uint32_t **);
	int (*olve_get_limits)(struct olve *, uint32_t, struct olve_limits *);
};

static int api_load(struct api *a, int flags)
{
	memset(a, 0, sizeof(*a));
	a->d = open_liblve(flags);
	if (!a->d)
		return -ENOENT;
#define L(field, name)                                                 \
	do {                                                           \
		*(void **)&a->field = dlsym(a->d, #name);              \
		if (!a->field)                                         \
			return -ENOENT;                                \
	} while (0)
	L(is_available, lve_is_available);
	L(set_default, lve_set_default);
	L(create, lve_create);
	L(destroy, lve_destroy);
	L(setup, lve_setup);
	L(instance_init, lve_instance_init);
	L(instance_destroy, lve_instance_destroy);
	L(enter, lve_enter);
	L(leave, lve_leave);
	L(init_lve, init_lve);
	L(destroy_lve, destroy_lve);
	L(enter_flags, lve_enter_flags);
	L(exit, lve_exit);
	L(setup_enter, lve_setup_enter);
	L(check_fault, lve_check_fault);
	L(is_in_lve, is_in_lve);
	L(flush, lve_flush);
	L(info, lve_info);
	L(setup_flags, lve_setup_flags);
	L(enter_pid, lve_enter_pid);
	L(leave_pid, lve_leave_pid);
	L(start, lve_start);
	L(olve_open, olve_open);
	L(olve_close, olve_close);
	L(olve_list, olve_list);
	L(olve_get_limits, olve_get_limits);
#undef L
	return 0;
}

static int body_seed(void *arg)
{
	char before[8192], after[8192];
	struct liblve *lve;
	struct api a;
	uint32_t cookie = 0, c2;
	int size;

	(void)arg;
	ASSERT_OK(api_load(&a, RTLD_NOW | RTLD_LOCAL));
	ASSERT_EQ(a.is_available(), 1);
	size = a.instance_init(NULL);
	ASSERT(size > 0);
	lve = calloc(1, (size_t)size);
	ASSERT(lve);
	ASSERT_OK(a.instance_init(lve));
	ASSERT(lte_read("/proc/thread-self/cgroup", before, sizeof(before)) > 0);

	/* bad input: clear codes, nothing moved */
	ASSERT_ERR(a.enter(lve, 31, 0, UINT32_MAX, &cookie), EINVAL);
	ASSERT_ERR(a.enter(lve, 31, UINT32_MAX, 1000, &cookie), EINVAL);
	ASSERT_ERR(a.enter(lve, 31, UINT32_MAX, UINT32_MAX, NULL), EFAULT);
	ASSERT_ERR(a.enter(lve, 0, UINT32_MAX, UINT32_MAX, &cookie), EINVAL);
	ASSERT_ERR(a.leave(lve, &cookie), ESRCH);
	ASSERT_ERR(a.create(0), EINVAL);
	ASSERT_ERR(a.destroy(0), EINVAL);
	ASSERT_ERR(a.setup(0, 10, 10), EINVAL);
	ASSERT_ERR(a.setup(31, -2, 10), EINVAL);
	ASSERT_ERR(a.setup(31, 10, -7), EINVAL);
	ASSERT(lte_read("/proc/thread-self/cgroup", after, sizeof(after)) > 0);
	ASSERT_STREQ(after, before);

	/* admin calls, read back through openlve's API */
	ASSERT_OK(a.create(31));
	ASSERT_OK(a.create(31)); /* existing: fine */
	ASSERT_OK(a.setup(31, 50, 2048));
	{
		struct olve *h = NULL;
		struct olve_limits l;

		ASSERT_OK(a.olve_open(&h, 0));
		ASSERT_OK(a.olve_get_limits(h, 31, &l));
		ASSERT(l.mask & OLVE_L_IO);
		ASSERT_EQ(l.io, 2048);
		ASSERT(l.mask & OLVE_L_CPU);
		ASSERT_EQ(l.cpu_pct, 50);
		ASSERT_OK(a.setup(31, -1, 4096)); /* cpu unchanged */
		ASSERT_OK(a.olve_get_limits(h, 31, &l));
		ASSERT_EQ(l.io, 4096);
		ASSERT_EQ(l.cpu_pct, 50);
		/* defaults go to LVEs created later */
		ASSERT_OK(a.set_default(40, 3000));
		ASSERT_OK(a.create(32));
		ASSERT_OK(a.olve_get_limits(h, 32, &l));
		ASSERT_EQ(l.io, 3000);
		ASSERT_EQ(l.cpu_pct, 40);
		a.olve_close(h);
	}

	/* enter / leave (what LSAPI does) */
	ASSERT_OK(a.enter(lve, 31, UINT32_MAX, UINT32_MAX, &cookie));
	ASSERT(lte_self_inside(31) > 0);
	ASSERT_ERR(a.enter(lve, 31, UINT32_MAX, UINT32_MAX, &c2), EPERM);
	c2 = cookie + 1;
	ASSERT_ERR(a.leave(lve, &c2), EINVAL);
	ASSERT_OK(a.leave(lve, &cookie));
	ASSERT(lte_read("/proc/thread-self/cgroup", after, sizeof(after)) > 0);
	ASSERT_STREQ(after, before);

	ASSERT_OK(a.destroy(32));
	ASSERT_ERR(a.destroy(32), ENOENT);
	ASSERT_OK(a.instance_destroy(lve));
	ASSERT_ERR(a.instance_destroy(lve), EINVAL);
	free(lve);
	return 0;
}

TEST(seed_api)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_seed, NULL), 0);
	return 0;
}

/* A second process (outside, in home) entering LVE 34 whose EP limit is held. */
static int ep_second(void *arg)
{
	struct api *a = arg;
	struct liblve *l2 = a->init_lve(malloc, free);
	uint32_t c;

	if (!l2)
		return 1;
	if (a->enter_flags(l2, 34, &c, 0) != -E2BIG)
		return 2;
	if (a->enter_flags(l2, 34, &c, LVE_NO_MAXENTER | LVE_SILENCE) != 0)
		return 3;
	if (a->exit(l2, &c) != 0)
		return 4;
	return a->destroy_lve(l2) == 0 ? 0 : 5;
}

static int body_abi(void *arg)
{
	struct liblve_settings set = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	char before[8192], after[8192];
	struct liblve_info info;
	struct liblve *lve;
	struct api a;
	uint32_t cookie = 0, mask = 99;

	(void)arg;
	ASSERT_OK(api_load(&a, RTLD_NOW | RTLD_LOCAL));
	ASSERT(!a.init_lve(NULL, NULL));
	ASSERT_EQ(errno, EINVAL);
	lve = a.init_lve(malloc, NULL); /* a NULL free works (mod_hostinglimits does this) */
	ASSERT(lve);
	ASSERT_OK(a.start(lve));
	ASSERT(lte_read("/proc/thread-self/cgroup", before, sizeof(before)) > 0);
	ASSERT_EQ(a.is_in_lve(lve), 0);

	/* setup_enter: settings applied (negative = unchanged), then entered */
	set.ls_enters = 5;
	set.ls_memory_phy = 65536; /* 256 MiB in pages */
	set.ls_nproc = 40;
	ASSERT_OK(a.setup_enter(lve, 33, &set, &cookie, LVE_NO_MAXENTER));
	ASSERT(lte_self_inside(33) > 0);
	ASSERT_EQ(a.is_in_lve(lve), 1);
	ASSERT_OK(a.check_fault(lve, &mask));
	ASSERT_EQ(mask, 0);
	ASSERT_ERR(a.check_fault(lve, NULL), EFAULT);
	/* mysql-governor leaves with a NULL instance */
	ASSERT_OK(a.exit(NULL, &cookie));
	ASSERT_EQ(a.is_in_lve(lve), 0);
	ASSERT(lte_read("/proc/thread-self/cgroup", after, sizeof(after)) > 0);
	ASSERT_STREQ(after, before);

	ASSERT_OK(a.info(lve, 33, &info));
	ASSERT_EQ(info.li_set.ls_enters, 5);
	if (cgtest_has_ctrl("memory")) /* else hidden (cgtest.h): nothing holds the limit */
		ASSERT_EQ(info.li_set.ls_memory_phy, 65536);
	ASSERT_EQ(info.li_set.ls_nproc, 40);
	ASSERT_EQ(info.li_flags, 0);
	ASSERT_ERR(a.info(lve, 33, NULL), EFAULT);
	ASSERT_ERR(a.info(lve, 0, &info), EINVAL);

	/* disable: entering refused with -EPERM (mod_hostinglimits declines quietly) */
	ASSERT_ERR(a.setup_flags(lve, 33, 0x80), EINVAL);
	ASSERT_OK(a.setup_flags(lve, 33, LVE_VE_DISABLE));
	ASSERT_OK(a.info(lve, 33, &info));
	ASSERT_EQ(info.li_flags, LVE_VE_DISABLE);
	ASSERT_ERR(a.enter_flags(lve, 33, &cookie, 0), EPERM);
	ASSERT_OK(a.setup_flags(lve, 33, 0));

	/* EP via the 1.x path: limit 1, a second process gets -E2BIG */
	set = (struct liblve_settings){ -1, -1, -1, 1, -1, -1, -1, -1, -1 };
	ASSERT_OK(a.setup_enter(lve, 34, &set, &cookie, 0));
	ASSERT_EQ(lte_run_home(ep_second, &a), 0);
	ASSERT_OK(a.exit(lve, &cookie));

	/* NPROC faults: limit 1 (the entered thread itself), a fork fails, check_fault says so once */
	set = (struct liblve_settings){ -1, -1, -1, -1, -1, -1, -1, 1, -1 };
	ASSERT_OK(a.setup_enter(lve, 38, &set, &cookie, 0));
	{
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		ASSERT(pid < 0); /* refused by pids.max */
	}
	ASSERT_OK(a.check_fault(lve, &mask));
	ASSERT_EQ(mask, LVE_FAIL_NPROC);
	ASSERT_OK(a.check_fault(lve, &mask));
	ASSERT_EQ(mask, 0); /* cleared on read */
	ASSERT_OK(a.exit(lve, &cookie));
	ASSERT_OK(a.check_fault(lve, &mask));
	ASSERT_EQ(mask, 0); /* outside any LVE */

	/* enter_pid / leave_pid of a helper process */
	{
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		ASSERT(pid > 0);
		ASSERT_OK(a.enter_pid(lve, 35, pid));
		ASSERT(lte_pid_inside(pid, 35) > 0);
		ASSERT_OK(a.leave_pid(lve, pid));
		ASSERT_EQ(lte_pid_inside(pid, 0), 0);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}

	/* flush(all = 0) keeps LVEs with processes; flush(all) removes every one */
	{
		struct olve *h = NULL;
		uint32_t *ids = NULL;
		int n;

		ASSERT_OK(a.setup_enter(lve, 36, NULL, &cookie, 0));
		ASSERT_OK(a.flush(lve, 0));
		ASSERT_OK(a.olve_open(&h, 0));
		ASSERT(lte_self_inside(36) > 0);
		n = a.olve_list(h, &ids);
		ASSERT_EQ(n, 1);
		ASSERT_EQ(ids[0], 36);
		free(ids);
		ASSERT_OK(a.exit(lve, &cookie));
		ASSERT_OK(a.flush(lve, 1));
		n = a.olve_list(h, &ids);
		ASSERT_EQ(n, 0);
		free(ids);
		a.olve_close(h);
	}
	ASSERT_OK(a.destroy_lve(lve)); /* free was NULL: the memory stays ours */
	free(lve);
	return 0;
}

TEST(abi_1x)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_abi, NULL), 0);
	return 0;
}

/*
 * Debian's libcgroup.so.2 loaded first: as RTLD_GLOBAL dlopen, and in a
 * re-executed copy of this binary with LD_PRELOAD (so its cgroup_* names
 * come before anything else). liblve must still use its own cgroup code:
 * enter/leave work and Debian's library stays uninitialized.
 */
#define DEB_ENV "OPENLVE_TEST_DEBIAN_FIRST"
#define ECG_NOT_INITIALIZED 50014

static int debian_first_check(void)
{
	char before[8192], after[8192];
	void *deb = dlopen("libcgroup.so.2", RTLD_NOW | RTLD_GLOBAL);
	int (*deb_mount_point)(const char *, char **);
	char *mp = NULL;
	struct api a;
	struct liblve *lve;
	uint32_t cookie;

	if (!deb)
		return 10;
	deb_mount_point = (int (*)(const char *, char **))dlsym(deb, "cgroup_get_subsys_mount_point");
	if (!deb_mount_point || deb_mount_point("cpu", &mp) != ECG_NOT_INITIALIZED)
		return 11;
	if (api_load(&a, RTLD_NOW | RTLD_GLOBAL) < 0)
		return 12;
	lve = a.init_lve(malloc, free);
	if (!lve)
		return 13;
	if (lte_read("/proc/thread-self/cgroup", before, sizeof(before)) <= 0)
		return 14;
	if (a.enter_flags(lve, 37, &cookie, 0) != 0)
		return 15;
	if (lte_read("/proc/thread-self/cgroup", after, sizeof(after)) <= 0 || !strstr(after, "/lveroot/lve37\n"))
		return 24;
	if (a.exit(lve, &cookie) != 0)
		return 16;
	if (lte_read("/proc/thread-self/cgroup", after, sizeof(after)) <= 0 || strcmp(before, after))
		return 17;
	if (a.destroy_lve(lve) != 0)
		return 18;
	/* liblve never called Debian's cgroup_init */
	if (deb_mount_point("cpu", &mp) != ECG_NOT_INITIALIZED)
		return 19;
	return 0;
}

/* In the re-executed child: run the check before tap_main and exit with its result. */
__attribute__((constructor)) static void debian_first_child(void)
{
	if (getenv(DEB_ENV))
		_exit(debian_first_check());
}

static int body_debian_rtld_global(void *arg)
{
	(void)arg;
	return debian_first_check();
}

static int body_debian_preload(void *arg)
{
	char exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	pid_t pid;
	int st;

	(void)arg;
	if (n <= 0)
		return 20;
	exe[n] = 0;
	pid = fork();
	if (pid == 0) {
		char asan[512];
		const char *old = getenv("ASAN_OPTIONS");

		/* a preloaded library precedes the sanitizer runtime: allowed here */
		snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old ? old : "", old ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
		setenv("LD_PRELOAD", "libcgroup.so.2", 1);
		setenv(DEB_ENV, "1", 1);
		execl(exe, exe, (char *)NULL);
		_exit(21);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 22;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 23;
}

static bool debian_libcgroup_present(void)
{
	void *d = dlopen("libcgroup.so.2", RTLD_NOW | RTLD_LOCAL);

	if (d)
		dlclose(d);
	return d != NULL;
}

TEST(debian_libcgroup_loaded_first_rtld_global)
{
	if (!debian_libcgroup_present())
		SKIP("Debian's libcgroup.so.2 is not installed (package libcgroup2)");
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_debian_rtld_global, NULL), 0);
	return 0;
}

TEST(debian_libcgroup_loaded_first_ld_preload)
{
	if (!debian_libcgroup_present())
		SKIP("Debian's libcgroup.so.2 is not installed (package libcgroup2)");
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_debian_preload, NULL), 0);
	return 0;
}

TAP_MAIN()
