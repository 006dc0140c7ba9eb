/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lvectl - the built lvectl binary against the real kernel.
 *
 * Each test gets fresh random cgroup roots below this process's own cgroup
 * in every hierarchy (tests/lib/cgtest) and an OPENLVE_CONF that puts the
 * LVE root at <root>/lveroot and ve.cfg, the state dir, the sysconfig file
 * and the list file into a private temporary directory. Results are checked
 * against the kernel's cgroup files and the bytes of ve.cfg.
 *
 * The binary is $OPENLVE_BUILD_ROOT/src/tools/lvectl (meson's test
 * environment sets OPENLVE_BUILD_ROOT); LVECTL overrides the path.
 */
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cgtest.h"
#include "macro.h"
#include "tap.h"

static char base_dir[256]; /* made once by the parent, removed at the end */
static char dir[300];      /* this test's directory */
static char lvectl_path[512];

/* ------------------------------------------------------------ harness */

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static int before_all(void)
{
	const char *p = getenv("LVECTL"), *b = getenv("OPENLVE_BUILD_ROOT");

	if (p)
		snprintf(lvectl_path, sizeof(lvectl_path), "%s", p);
	else
		snprintf(lvectl_path, sizeof(lvectl_path), "%s/src/tools/lvectl", b ? b : ".");
	snprintf(base_dir, sizeof(base_dir), "/tmp/olt-lvectl-XXXXXX");
	if (!mkdtemp(base_dir)) {
		base_dir[0] = 0;
		return 1;
	}
	return 0;
}

static void after_all(void)
{
	if (base_dir[0])
		nftw(base_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	base_dir[0] = 0;
}

static const struct tap_hooks hooks = {.before_all = before_all, .after_all = after_all};

__attribute__((constructor)) static void register_hooks(void)
{
	tap_register_hooks(&hooks);
}

static bool ctrl_ours(const char *c)
{
	static const char *const ours[] = {"cpu",   "cpuacct", "cpuset", "memory",
	                                   "blkio", "io",      "pids"};

	for (size_t i = 0; i < ELEMENTSOF(ours); i++)
		if (!strcmp(c, ours[i]))
			return true;
	return false;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	fchmod(fd, mode);
	return close(fd) < 0 ? -errno : 0;
}

/* Whole file into a malloc'd string; NULL when missing. */
static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

static char *path_in(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Random cgroup roots + conf + a "home" group for worker processes. */
static int env_setup(void)
{
	char buf[8192];
	size_t len = 0;
	int r;

	r = cgtest_prepare();
	if (r)
		return r;
	snprintf(dir, sizeof(dir), "%s/t%d", base_dir, (int)getpid());
	if (mkdir(dir, 0700) < 0)
		return -errno;
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *hi = cgtest_hier(i);
		char ctrls[256], *save = NULL;

		snprintf(ctrls, sizeof(ctrls), "%s", hi->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
			if (ctrl_ours(c))
				len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				                        "cgroup_root.%s = %s/lveroot\n", c,
				                        hi->ns + 1);
	}
	len += (size_t)snprintf(
	        buf + len, sizeof(buf) - len,
	        "state_dir = %s/state\nve_cfg = %s/container/ve.cfg\nsysconfig = %s/cloudlinux\n"
	        "info_file = %s/info\nlist_file = %s/list\n",
	        dir, dir, dir, dir, dir);
	if (len >= sizeof(buf))
		return -E2BIG;
	r = write_file(path_in("openlve.conf"), buf, 0644);
	if (r < 0)
		return r;
	setenv("OPENLVE_CONF", path_in("openlve.conf"), 1);
	r = cgtest_mkdir(NULL, "home");
	return r < 0 ? r : 0;
}

#define ENV_SETUP()                                                                                \
	do {                                                                                       \
		REQUIRE_ROOT();                                                                    \
		int _er = env_setup();                                                             \
		if (_er == 1)                                                                      \
			SKIP("%s", cgtest_skip_reason());                                          \
		if (_er < 0)                                                                       \
			TAP_FAIL("env_setup: %s (%s)", strerror(-_er), cgtest_skip_reason());      \
		if (access(lvectl_path, X_OK) < 0)                                                 \
			TAP_FAIL("lvectl binary %s: %s (set OPENLVE_BUILD_ROOT or LVECTL)",        \
			         lvectl_path, strerror(errno));                                    \
	} while (0)

struct run {
	int status; /* exit code, or 128+signal */
	char out[1 << 16];
	char err[1 << 14];
};

/* Run lvectl with NULL-terminated arguments; stdin_text may be NULL. */
static int run_v(struct run *r, const char *stdin_text, const char *const *args)
{
	const char *argv[32];
	int po[2], pe[2], pi[2], n = 0, st;
	size_t lo = 0, le = 0;
	pid_t pid;

	argv[n++] = lvectl_path;
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(pi, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(lvectl_path, (char **)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (stdin_text)
		(void)!write(pi[1], stdin_text, strlen(stdin_text));
	close(pi[1]);
	for (bool oo = true, eo = true; oo || eo;) {
		struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		ssize_t k;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (oo && (p[0].revents & (POLLIN | POLLHUP))) {
			char tmp[4096];

			k = read(po[0], tmp, sizeof(tmp));
			if (k <= 0)
				oo = false, p[0].fd = -1;
			else {
				size_t take = (size_t)k < sizeof(r->out) - 1 - lo
				                      ? (size_t)k
				                      : sizeof(r->out) - 1 - lo;

				memcpy(r->out + lo, tmp, take);
				lo += take;
			}
		}
		if (eo && (p[1].revents & (POLLIN | POLLHUP))) {
			char tmp[4096];

			k = read(pe[0], tmp, sizeof(tmp));
			if (k <= 0)
				eo = false;
			else {
				size_t take = (size_t)k < sizeof(r->err) - 1 - le
				                      ? (size_t)k
				                      : sizeof(r->err) - 1 - le;

				memcpy(r->err + le, tmp, take);
				le += take;
			}
		}
		if (!oo)
			po[0] = po[0] >= 0 ? (close(po[0]), -1) : -1;
		if (!eo)
			pe[0] = pe[0] >= 0 ? (close(pe[0]), -1) : -1;
	}
	r->out[lo] = 0;
	r->err[le] = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (r->err[0])
		fprintf(stderr, "# lvectl stderr: %s", r->err);
	return 0;
}

#define LVECTL(r, ...)        run_v((r), NULL, (const char *const[]){__VA_ARGS__, NULL})
#define LVECTL_IN(r, in, ...) run_v((r), (in), (const char *const[]){__VA_ARGS__, NULL})

static struct run R; /* one per test child */

/* Every line of stderr is one "lvectl: ..." line. */
static bool err_is_one_line(const char *err)
{
	const char *nl = strchr(err, '\n');

	return strncmp(err, "lvectl: ", 8) == 0 && nl && nl[1] == 0;
}

/* ------------------------------------------------------- kernel values */

static bool is_v2(const char *ctrl)
{
	const struct cgtest_hier *h = cgtest_hier_for(ctrl);

	return h && h->version == 2;
}

static int lve_group(char *buf, size_t size, uint32_t id)
{
	return snprintf(buf, size, "lveroot/lve%" PRIu32, id);
}

/* A number from a cgroup file of LVE id ("max" -> UINT64_MAX). -errno. */
static int kread_u64(const char *ctrl, uint32_t id, const char *file, uint64_t *out)
{
	char g[64], buf[256];
	int r;

	lve_group(g, sizeof(g), id);
	r = cgtest_read(ctrl, g, file, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!strncmp(buf, "max", 3)) {
		*out = UINT64_MAX;
		return 0;
	}
	*out = strtoull(buf, NULL, 10);
	return 0;
}

static int kernel_pmem(uint32_t id, uint64_t *v)
{
	return kread_u64("memory", id, is_v2("memory") ? "memory.max" : "memory.limit_in_bytes", v);
}

/*
 * The PMEM limit the kernel holds for LVE id, where the memory controller
 * has a test root (not on a host whose memory hierarchy is protected and
 * hidden, cgtest.h; both VM modes have it).
 */
#define CHECK_PMEM(id, want)                                                     \
	do {                                                                     \
		if (cgtest_has_ctrl("memory")) {                                 \
			ASSERT_OK(kernel_pmem(id, &v));                          \
			ASSERT_EQ(v, want);                                      \
		}                                                                \
	} while (0)

static int kernel_nproc(uint32_t id, uint64_t *v)
{
	return kread_u64("pids", id, "pids.max", v);
}

/* CPU quota in us per 100 ms period; UINT64_MAX when unlimited. */
static int kernel_cpu_quota(uint32_t id, uint64_t *v)
{
	uint64_t q;
	int r;

	if (is_v2("cpu")) {
		r = kread_u64("cpu", id, "cpu.max", &q);
	} else {
		char g[64], buf[64];

		lve_group(g, sizeof(g), id);
		r = cgtest_read("cpu", g, "cpu.cfs_quota_us", buf, sizeof(buf));
		if (r >= 0) {
			long long s = strtoll(buf, NULL, 10);

			q = s < 0 ? UINT64_MAX : (uint64_t)s;
		}
	}
	if (r < 0)
		return r;
	*v = q;
	return 0;
}

static bool lve_exists_anywhere(uint32_t id)
{
	char g[64];

	lve_group(g, sizeof(g), id);
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char ctrls[256], *save = NULL;

		snprintf(ctrls, sizeof(ctrls), "%s", cgtest_hier(i)->ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
			if (ctrl_ours(c) && cgtest_exists(c, g))
				return true;
	}
	return false;
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Some real users (uid != 0) of this machine, for package scripts. */
static int some_uids(uint32_t *out, int want)
{
	struct passwd *pw;
	int n = 0;

	setpwent();
	while (n < want && (pw = getpwent()))
		if (pw->pw_uid != 0 && pw->pw_uid < 60000)
			out[n++] = (uint32_t)pw->pw_uid;
	endpwent();
	return n;
}

static int set_script(const char *body, int timeout_s)
{
	char sc[1024];
	int r;

	r = write_file(path_in("pkg.sh"), body, 0755);
	if (r < 0)
		return r;
	if (timeout_s)
		snprintf(sc, sizeof(sc),
		         "# test\nCUSTOM_GETPACKAGE_SCRIPT=%s\nCUSTOM_GETPACKAGE_TIMEOUT=%d\n",
		         path_in("pkg.sh"), timeout_s);
	else
		snprintf(sc, sizeof(sc), "CUSTOM_GETPACKAGE_SCRIPT=\"%s\"\n", path_in("pkg.sh"));
	return write_file(path_in("cloudlinux"), sc, 0644);
}

/* -------------------------------------------------------------- tests */

TEST(set_applies_and_saves)
{
	uint64_t v;
	char *cfg, *list;

	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "1000", "--speed=50%", "--pmem=256m", "--io=2048", "--iops=300",
	                 "--nproc=40", "--maxEntryProcs=10"));
	ASSERT_EQ(R.status, 0);

	/* the kernel */
	ASSERT(lve_exists_anywhere(1000));
	CHECK_PMEM(1000, 256ULL << 20);
	ASSERT_OK(kernel_nproc(1000, &v));
	ASSERT_EQ(v, 40);
	ASSERT_OK(kernel_cpu_quota(1000, &v));
	ASSERT_EQ(v, 50000);

	/* ve.cfg: pages of 4 KiB, SPEED with a % sign */
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg);
	ASSERT(strstr(cfg, "<lve id=\"1000\">"));
	ASSERT(strstr(cfg, "<pmem limit=\"65536\"/>"));
	ASSERT(strstr(cfg, "<cpu limit=\"50%\"/>"));
	ASSERT(strstr(cfg, "<other maxentryprocs=\"10\"/>"));
	ASSERT(strstr(cfg, "<iops limit=\"300\"/>"));
	free(cfg);

	/* read back through lvectl */
	ASSERT_OK(LVECTL(&R, "limits", "1000", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"ID\":\"1000\""));
	ASSERT(strstr(R.out, "\"SPEED\":\"50\""));
	if (cgtest_has_ctrl("memory")) /* read from the kernel: needs the hierarchy (cgtest.h) */
		ASSERT(strstr(R.out, "\"PMEM\":\"256M\""));
	ASSERT(strstr(R.out, "\"NPROC\":\"40\""));
	ASSERT(strstr(R.out, "\"EP\":\"10\""));
	ASSERT(strstr(R.out, "\"IOPS\":\"300\""));

	/* the /proc/lve/list stand-in */
	list = read_file(path_in("list"));
	ASSERT(list);
	ASSERT(!strncmp(list,
	                "6:"
	                "LVE\tEP\tlCPU\tlIO\tCPU\tMEM\tIO\tlMEM\tlEP\tnCPU\tfMEM\tfEP\tlMEMPHY\tlCP"
	                "UW\tlNPROC\tMEMPHY\t"
	                "fMEMPHY\tNPROC\tfNPROC\n",
	                strlen("6:LVE")));
	{
		char want[128];

		/* LVE EP lCPU lIO: 50% of one core; lEP 10, lMEMPHY 65536 pages, lNPROC 40 */
		snprintf(want, sizeof(want), "\n1000\t0\t%d\t2048\t", (50 + ncpus() - 1) / ncpus());
		ASSERT(strstr(list, want));
		ASSERT(strstr(list, "\t10\t"));
		if (cgtest_has_ctrl("memory"))
			ASSERT(strstr(list, "\t65536\t"));
	}
	free(list);
	ASSERT_OK(LVECTL(&R, "proc-list"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!strncmp(R.out, "6:LVE\tEP\tlCPU", 13));
	ASSERT(strstr(R.out, "\n1000\t"));
	return 0;
}

TEST(set_default_reaches_existing_lves)
{
	uint64_t v;

	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "apply", "1001"));
	ASSERT_EQ(R.status, 0);
	/* built-in default PMEM 1 GiB */
	CHECK_PMEM(1001, 1ULL << 30);
	ASSERT_OK(LVECTL(&R, "set", "1002", "--pmem=512m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "default", "--speed=100%", "--pmem=128m", "--nproc=77"));
	ASSERT_EQ(R.status, 0);
	CHECK_PMEM(1001, 128ULL << 20);
	ASSERT_OK(kernel_nproc(1001, &v));
	ASSERT_EQ(v, 77);
	/* its own value wins; the new default NPROC reaches it */
	CHECK_PMEM(1002, 512ULL << 20);
	ASSERT_OK(kernel_nproc(1002, &v));
	ASSERT_EQ(v, 77);
	ASSERT_OK(LVECTL(&R, "limits", "default"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "128M"));

	/* delete: 1002 falls back to the defaults */
	ASSERT_OK(LVECTL(&R, "delete", "1002"));
	ASSERT_EQ(R.status, 0);
	CHECK_PMEM(1002, 128ULL << 20);
	return 0;
}

TEST(apply_all_from_a_cloudlinux_file)
{
	static const char sample[] = "<?xml version=\"1.0\" ?>\n"
	                             "<lveconfig>\n"
	                             " <defaults>\n"
	                             "         <cpu limit=\"25\"/>\n"
	                             "         <ncpu limit=\"1\"/>\n"
	                             "         <io limit=\"1024\"/>\n"
	                             "         <mem limit=\"262144\"/>\n"
	                             "         <other maxentryprocs=\"200\"/>\n"
	                             "         <pmem limit=\"262144\"/>\n"
	                             "         <nproc limit=\"0\"/>\n"
	                             " </defaults>\n"
	                             " <lve id=\"532\">\n"
	                             "         <cpu limit=\"30\"/>\n"
	                             "         <ncpu limit=\"5\"/>\n"
	                             " </lve>\n"
	                             " <lve id=\"533\">\n"
	                             "         <cpu limit=\"150%\"/>\n"
	                             "         <pmem limit=\"32768\"/>\n"
	                             "         <nproc limit=\"250\"/>\n"
	                             " </lve>\n"
	                             "</lveconfig>\n";
	uint64_t v, want;
	char *before, *after;

	ENV_SETUP();
	ASSERT_EQ(mkdir(path_in("container"), 0755), 0);
	ASSERT_OK(write_file(path_in("container/ve.cfg"), sample, 0644));
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 0);

	/* 532: old CPU 30% of all cores, at most 5 cores; PMEM 262144 pages = 1 GiB from defaults
	 */
	want = (uint64_t)30 * (uint64_t)ncpus() * 100;
	if (want > 50000)
		want = 50000;
	ASSERT_OK(kernel_cpu_quota(532, &v));
	ASSERT_EQ(v, want * 10);
	CHECK_PMEM(532, 1ULL << 30);
	ASSERT_OK(kernel_nproc(532, &v));
	ASSERT_EQ(v, UINT64_MAX); /* nproc 0 = unlimited */
	/* 533: SPEED 150% replaces the default CPU, capped by the default NCPU 1; its own PMEM and
	 * NPROC */
	ASSERT_OK(kernel_cpu_quota(533, &v));
	ASSERT_EQ(v, 100000);
	CHECK_PMEM(533, 128ULL << 20);
	ASSERT_OK(kernel_nproc(533, &v));
	ASSERT_EQ(v, 250);
	/* VMEM and EP from <defaults> (kept in openlve's state) */
	ASSERT_OK(LVECTL(&R, "limits", "532", "--json"));
	ASSERT(strstr(R.out, "\"VMEM\":\"1024M\""));
	ASSERT(strstr(R.out, "\"EP\":\"200\""));

	/* apply never rewrites the file */
	after = read_file(path_in("container/ve.cfg"));
	ASSERT(after);
	ASSERT_STREQ(after, sample);
	free(after);

	/* list shows both and the defaults */
	ASSERT_OK(LVECTL(&R, "list"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "default") && strstr(R.out, " 532 ") && strstr(R.out, " 533 "));

	/* a set keeps the admin's other sections and formatting-independent content */
	before = read_file(path_in("container/ve.cfg"));
	ASSERT_OK(LVECTL(&R, "set", "533", "--io=333"));
	ASSERT_EQ(R.status, 0);
	after = read_file(path_in("container/ve.cfg"));
	ASSERT(after && strstr(after, "<lve id=\"532\">") && strstr(after, "<ncpu limit=\"5\"/>") &&
	       strstr(after, "<io limit=\"333\"/>") && strstr(after, "<mem limit=\"262144\"/>"));
	ASSERT(strcmp(before, after) != 0);
	free(before);
	free(after);
	return 0;
}

TEST(destroy_and_limits_of_missing)
{
	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "1003", "--pmem=64m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "apply", "1004"));
	ASSERT_EQ(R.status, 0);
	ASSERT(lve_exists_anywhere(1003) && lve_exists_anywhere(1004));
	ASSERT_OK(LVECTL(&R, "destroy", "1003"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!lve_exists_anywhere(1003));
	ASSERT(lve_exists_anywhere(1004));
	ASSERT_OK(LVECTL(&R, "limits", "1003"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err) && strstr(R.err, "does not exist"));
	ASSERT_OK(LVECTL(&R, "destroy", "1003"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err));
	/* the list file follows */
	{
		char *list = read_file(path_in("list"));

		ASSERT(list && !strstr(list, "\n1003\t") && strstr(list, "\n1004\t"));
		free(list);
	}
	/* destroy-many / apply-many read ids from stdin */
	ASSERT_OK(LVECTL_IN(&R, "1005\n1006 1007\n", "apply-many"));
	ASSERT_EQ(R.status, 0);
	ASSERT(lve_exists_anywhere(1005) && lve_exists_anywhere(1006) && lve_exists_anywhere(1007));
	ASSERT_OK(LVECTL_IN(&R, "1005 1006\n", "destroy-many"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!lve_exists_anywhere(1005) && !lve_exists_anywhere(1006) &&
	       lve_exists_anywhere(1007));
	ASSERT_OK(LVECTL_IN(&R, "1007 x\n", "destroy-many"));
	ASSERT_EQ(R.status, 2);
	ASSERT(lve_exists_anywhere(1007)); /* bad input: nothing done */
	ASSERT_OK(LVECTL(&R, "destroy", "all"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!lve_exists_anywhere(1004) && !lve_exists_anywhere(1007));
	/* the configuration stays */
	ASSERT_OK(LVECTL(&R, "list"));
	ASSERT(strstr(R.out, " 1003 "));
	return 0;
}

TEST(usage_errors_change_nothing)
{
	static const char *const bad[][6] = {
	        {"set", "1000", NULL},
	        {"set", "0", "--pmem=1m", NULL},
	        {"set", "abc", "--pmem=1m", NULL},
	        {"set", "-5", "--pmem=1m", NULL},
	        {"set", "4294967296", "--pmem=1m", NULL},
	        {"set", "1000", "--pmem=12q", NULL},
	        {"set", "1000", "--pmem=-1", NULL},
	        {"set", "1000", "--pmem=99999999999999999999t", NULL},
	        {"set", "1000", "--speed=abc", NULL},
	        {"set", "1000", "--speed=10", "--cpu=101", NULL},
	        {"set", "1000", "--nproc=99999999999", NULL},
	        {"set", "1000", "--bogus=1", NULL},
	        {"frobnicate", NULL},
	        {"apply", NULL},
	        {"list", "--pmem=1m", NULL},
	        {"package-set", "bad\x01name", "--pmem=1m", NULL},
	        {"limit", "x", "5", NULL},
	};
	struct stat st;

	ENV_SETUP();
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ASSERT_OK(run_v(&R, NULL, bad[i]));
		if (R.status != 2)
			TAP_FAIL("lvectl %s %s: exit %d, expected 2", bad[i][0],
			         bad[i][1] ? bad[i][1] : "", R.status);
		ASSERT(err_is_one_line(R.err));
		ASSERT(stat(path_in("container/ve.cfg"), &st) < 0 && errno == ENOENT);
		ASSERT(!lve_exists_anywhere(1000));
	}
	ASSERT_OK(LVECTL(&R, "--help"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "paneluserslimits"));
	return 0;
}

TEST(bad_ve_cfg_is_not_touched)
{
	static const char bad[] =
	        "<lveconfig>\n<lve id=\"5\">\n<io limit=\"-4\"/>\n</lve>\n</lveconfig>\n";
	char *after;

	ENV_SETUP();
	ASSERT_EQ(mkdir(path_in("container"), 0755), 0);
	ASSERT_OK(write_file(path_in("container/ve.cfg"), bad, 0644));
	ASSERT_OK(LVECTL(&R, "set", "6", "--io=4"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err) && strstr(R.err, "line 3"));
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 1);
	ASSERT(!lve_exists_anywhere(5) && !lve_exists_anywhere(6));
	after = read_file(path_in("container/ve.cfg"));
	ASSERT(after);
	ASSERT_STREQ(after, bad);
	free(after);
	return 0;
}

TEST(hanging_package_script_is_killed)
{
	char body[1024], pidbuf[32];
	char *before, *after, *pidtext;
	uint64_t v;
	pid_t bg;

	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "1000", "--pmem=64m"));
	ASSERT_EQ(R.status, 0);
	before = read_file(path_in("container/ve.cfg"));
	ASSERT(before);
	snprintf(body, sizeof(body), "#!/bin/sh\nsleep 1000 &\necho $! > '%s'\nsleep 1000\n",
	         path_in("bg.pid"));
	ASSERT_OK(set_script(body, 1));
	ASSERT_OK(LVECTL(&R, "set", "1000", "--pmem=32m"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err) && strstr(R.err, "killed"));
	after = read_file(path_in("container/ve.cfg"));
	ASSERT(after);
	ASSERT_STREQ(after, before);
	CHECK_PMEM(1000, 64ULL << 20);
	/* the script's background child died with it */
	pidtext = read_file(path_in("bg.pid"));
	ASSERT(pidtext);
	bg = (pid_t)atoi(pidtext);
	free(pidtext);
	ASSERT(bg > 1);
	snprintf(pidbuf, sizeof(pidbuf), "/proc/%d/stat", (int)bg);
	for (int i = 0; i < 300; i++) {
		char *stat = read_file(pidbuf);
		bool gone = !stat || strstr(stat, ") Z ");

		free(stat);
		if (gone)
			break;
		usleep(10000);
		if (i == 299)
			TAP_FAIL("background child %d of the script still runs", (int)bg);
	}
	/* --timeout overrides the file */
	ASSERT_OK(LVECTL(&R, "apply", "all", "--timeout=1"));
	ASSERT_EQ(R.status, 1);
	free(before);
	free(after);
	return 0;
}

TEST(bad_package_output_changes_nothing)
{
	char outs[6][160], body[2048];
	uint32_t u[2];
	char *before, *after;

	ENV_SETUP();
	if (some_uids(u, 2) < 2)
		SKIP("needs 2 users besides root in the user database");
	snprintf(outs[0], sizeof(outs[0]), "printf 'this is garbage\\n'");
	snprintf(outs[1], sizeof(outs[1]), "printf '%" PRIu32 " gold\\n\\n%" PRIu32 " gold\\n'",
	         u[0], u[1]);
	snprintf(outs[2], sizeof(outs[2]), "printf '%" PRIu32 " gold\\n%" PRIu32 " silver\\n'",
	         u[0], u[0]);
	snprintf(outs[3], sizeof(outs[3]), "printf '4000000000 gold\\n'"); /* no such user */
	snprintf(outs[4], sizeof(outs[4]), "printf 'abc gold\\n'");
	snprintf(outs[5], sizeof(outs[5]), "printf '%" PRIu32 " gold\\n'; exit 3", u[0]);

	ASSERT_OK(LVECTL(&R, "package-set", "gold", "--pmem=100m"));
	ASSERT_EQ(R.status, 0);
	before = read_file(path_in("container/ve.cfg"));
	ASSERT(before);
	for (size_t i = 0; i < ELEMENTSOF(outs); i++) {
		snprintf(body, sizeof(body),
		         "#!/bin/sh\ncase \"$1\" in\n--list-all|--package=*) %s ;;\n--userid=*) "
		         "exit 0 ;;\nesac\n",
		         outs[i]);
		ASSERT_OK(set_script(body, 5));
		ASSERT_OK(LVECTL(&R, "apply", "all"));
		if (R.status != 1)
			TAP_FAIL("output %zu: apply all exit %d, expected 1", i, R.status);
		ASSERT(err_is_one_line(R.err));
		ASSERT(!lve_exists_anywhere(u[0]) && !lve_exists_anywhere(u[1]));
		ASSERT_OK(LVECTL(&R, "package-set", "gold", "--pmem=50m"));
		if (R.status != 1)
			TAP_FAIL("output %zu: package-set exit %d, expected 1", i, R.status);
		ASSERT(err_is_one_line(R.err));
		after = read_file(path_in("container/ve.cfg"));
		ASSERT(after);
		ASSERT_STREQ(after, before);
		free(after);
		ASSERT(!lve_exists_anywhere(u[0]) && !lve_exists_anywhere(u[1]));
	}
	free(before);
	return 0;
}

TEST(package_limits_reach_users)
{
	uint32_t u[3];
	char body[1024];
	uint64_t v;

	ENV_SETUP();
	if (some_uids(u, 3) < 3)
		SKIP("needs 3 users besides root in the user database");
	snprintf(body, sizeof(body),
	         "#!/bin/sh\ncase \"$1\" in\n"
	         "--list-all) printf '%" PRIu32 " gold\\n%" PRIu32 " gold\\n%" PRIu32
	         " silver\\n' ;;\n"
	         "--userid=%" PRIu32 "|--userid=%" PRIu32 ") echo gold ;;\n"
	         "--userid=%" PRIu32 ") echo silver ;;\n"
	         "--userid=*) ;;\n"
	         "--package=gold) printf '%" PRIu32 "\\n%" PRIu32 "\\n' ;;\n"
	         "--package=silver) echo %" PRIu32 " ;;\n"
	         "--package=*) ;;\n"
	         "--list-packages) printf 'gold\\nsilver\\n' ;;\n"
	         "*) exit 9 ;;\nesac\n",
	         u[0], u[1], u[2], u[0], u[1], u[2], u[0], u[1], u[2]);
	ASSERT_OK(set_script(body, 0));
	ASSERT_OK(LVECTL(&R, "package-set", "gold", "--pmem=96m", "--nproc=60"));
	ASSERT_EQ(R.status, 0);
	CHECK_PMEM(u[0], 96ULL << 20);
	CHECK_PMEM(u[1], 96ULL << 20);
	ASSERT(!lve_exists_anywhere(u[2])); /* silver has no limits of its own yet */

	/* the user's own limit beats the package's, field by field */
	ASSERT_OK(LVECTL(&R, "set", "9999", "--pmem=1m")); /* an unrelated LVE */
	{
		char id[16];

		snprintf(id, sizeof(id), "%" PRIu32, u[1]);
		ASSERT_OK(LVECTL(&R, "set", id, "--pmem=40m"));
		ASSERT_EQ(R.status, 0);
	}
	CHECK_PMEM(u[1], 40ULL << 20);
	ASSERT_OK(kernel_nproc(u[1], &v));
	ASSERT_EQ(v, 60);

	/* silver gets limits: apply all creates its user */
	ASSERT_OK(LVECTL(&R, "package-set", "silver", "--pmem=72m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "destroy", "all"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 0);
	CHECK_PMEM(u[2], 72ULL << 20);
	CHECK_PMEM(u[0], 96ULL << 20);

	ASSERT_OK(LVECTL(&R, "package-list"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "gold") && strstr(R.out, "96M") && strstr(R.out, "silver") &&
	       strstr(R.out, "72M"));
	ASSERT_OK(LVECTL(&R, "paneluserslimits", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"PACKAGE\":\"gold\"") && strstr(R.out, "\"PACKAGE\":\"silver\""));

	/* package-delete: users fall back to the defaults (1 GiB) */
	ASSERT_OK(LVECTL(&R, "package-delete", "gold"));
	ASSERT_EQ(R.status, 0);
	CHECK_PMEM(u[0], 1ULL << 30);
	return 0;
}

TEST(concurrent_sets_all_land)
{
	pid_t pids[10];
	uint64_t v;

	ENV_SETUP();
	for (int i = 0; i < 10; i++) {
		pids[i] = fork();
		ASSERT(pids[i] >= 0);
		if (pids[i] == 0) {
			char id[16], mem[32];
			int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

			snprintf(id, sizeof(id), "%d", 2001 + i);
			snprintf(mem, sizeof(mem), "--pmem=%dm", 16 + i);
			dup2(devnull, 1);
			execl(lvectl_path, lvectl_path, "set", id, mem, "--nproc=50", (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 10; i++) {
		int st;

		ASSERT_EQ(waitpid(pids[i], &st, 0), pids[i]);
		ASSERT(WIFEXITED(st));
		ASSERT_EQ(WEXITSTATUS(st), 0);
	}
	/* the file parses (lvectl list reads it strictly) and holds every change */
	ASSERT_OK(LVECTL(&R, "list", "--json"));
	ASSERT_EQ(R.status, 0);
	for (int i = 0; i < 10; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"ID\":\"%d\",\"SPEED\"", 2001 + i);
		ASSERT(strstr(R.out, want));
		snprintf(want, sizeof(want), "\"ID\":\"%d\",", 2001 + i);
		{
			const char *row = strstr(R.out, want);
			char pm[32];

			snprintf(pm, sizeof(pm), "\"PMEM\":\"%dM\"", 16 + i);
			ASSERT(row && strstr(row, pm) && strstr(row, pm) < strstr(row, "}"));
		}
		CHECK_PMEM(2001 + (uint32_t)i, (uint64_t)(16 + i) << 20);
	}
	return 0;
}

/* A process whose parent sits in "home": `release` moves it back there. */
static int parent_in_home(void *arg)
{
	int *fds = arg;
	pid_t child = fork();

	if (child == 0) {
		close(fds[0]);
		pause();
		_exit(0);
	}
	(void)!write(fds[1], &child, sizeof(child));
	waitpid(child, NULL, 0);
	return 0;
}

TEST(limit_and_release_pid)
{
	int fds[2];
	pid_t holder, worker = 0;
	char pid[16];

	ENV_SETUP();
	ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
	holder = cgtest_fork_in("home", parent_in_home, fds);
	ASSERT(holder > 0);
	ASSERT_EQ(read(fds[0], &worker, sizeof(worker)), (ssize_t)sizeof(worker));
	snprintf(pid, sizeof(pid), "%d", (int)worker);
	/* the worker is root's: refused without --force (issue 14) */
	ASSERT_OK(LVECTL(&R, "limit", pid, "1234"));
	ASSERT_EQ(R.status, 1);
	ASSERT(!cgtest_pid_in("pids", "lveroot/lve1234", worker));
	ASSERT_OK(LVECTL(&R, "limit", pid, "1234", "--force"));
	ASSERT_EQ(R.status, 0);
	ASSERT(cgtest_pid_in("pids", "lveroot/lve1234", worker));
	ASSERT(!cgtest_has_ctrl("memory") || cgtest_pid_in("memory", "lveroot/lve1234", worker));
	ASSERT_OK(LVECTL(&R, "release", pid));
	ASSERT_EQ(R.status, 0);
	ASSERT(!cgtest_pid_in("pids", "lveroot/lve1234", worker));
	ASSERT(cgtest_pid_in("pids", "home", worker));
	ASSERT_OK(LVECTL(&R, "limit", "999999999", "1234"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err));
	kill(worker, SIGKILL);
	cgtest_wait(holder);
	return 0;
}

/* ------------------------------------------- limit --enter-count [issue 10] */

static int pause_body(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

/* limit --enter-count until it succeeds (a slot became free), up to 20 s; false on another failure. */
static bool enter_count_succeeds(const char *pid, const char *id)
{
	for (int i = 0; i < 200; i++) {
		if (LVECTL(&R, "limit", pid, id, "--force", "--enter-count") < 0)
			return false;
		if (R.status == 0)
			return true;
		if (R.status != 1 || !strstr(R.err, "entry process (EP) limit"))
			return false;
		usleep(100000);
	}
	return false;
}

/*
 * The moved process counts as one entry process of the LVE while it runs
 * there: with EP 1 a second --enter-count is refused (not moved) until the
 * first ends or is released; a move without the option is not counted.
 */
TEST(limit_enter_count_holds_an_ep_slot)
{
	pid_t w[4];
	char pid[4][16];

	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "7701", "--maxEntryProcs=1"));
	ASSERT_EQ(R.status, 0);
	for (int i = 0; i < 4; i++) {
		w[i] = cgtest_fork_in("home", pause_body, NULL);
		ASSERT(w[i] > 0);
		snprintf(pid[i], sizeof(pid[i]), "%d", (int)w[i]);
	}
	/* the first takes the only slot; lvectl returns at once (its holder has no pipe of ours) */
	ASSERT_OK(LVECTL(&R, "limit", pid[0], "7701", "--force", "--enter-count", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_STREQ(R.out, "{\"status\": \"OK\"}\n");
	ASSERT(cgtest_pid_in("pids", "lveroot/lve7701", w[0]));
	/* the second is refused and stays where it was */
	ASSERT_OK(LVECTL(&R, "limit", pid[1], "7701", "--force", "--enter-count"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err));
	ASSERT(strstr(R.err, "entry process (EP) limit"));
	ASSERT(!cgtest_pid_in("pids", "lveroot/lve7701", w[1]));
	ASSERT(cgtest_pid_in("pids", "home", w[1]));
	/* without the option an admin's move is not counted (LVE_NO_MAXENTER) */
	ASSERT_OK(LVECTL(&R, "limit", pid[2], "7701", "--force"));
	ASSERT_EQ(R.status, 0);
	ASSERT(cgtest_pid_in("pids", "lveroot/lve7701", w[2]));
	/* the first ends: its slot is free again */
	kill(w[0], SIGKILL);
	cgtest_wait(w[0]);
	ASSERT(enter_count_succeeds(pid[1], "7701"));
	ASSERT(cgtest_pid_in("pids", "lveroot/lve7701", w[1]));
	/* released (still running): the slot is freed too */
	ASSERT_OK(LVECTL(&R, "release", pid[1]));
	ASSERT_EQ(R.status, 0);
	ASSERT(enter_count_succeeds(pid[3], "7701"));
	ASSERT(cgtest_pid_in("pids", "lveroot/lve7701", w[3]));
	/* the option belongs to limit; a process that does not exist */
	ASSERT_OK(LVECTL(&R, "set", "7701", "--nproc=50", "--enter-count"));
	ASSERT_EQ(R.status, 2);
	ASSERT(err_is_one_line(R.err));
	ASSERT_OK(LVECTL(&R, "limit", "999999999", "7701", "--enter-count"));
	ASSERT_EQ(R.status, 1);
	ASSERT(err_is_one_line(R.err));
	for (int i = 1; i < 4; i++) {
		kill(w[i], SIGKILL);
		cgtest_wait(w[i]);
	}
	return 0;
}

/*
 * After a reboot (cgroups gone, the state dir on tmpfs empty) LVEs are created
 * lazily by liblve - a web request, a login - before anything ran lvectl
 * apply: they get ve.cfg's limits through the limits store, never the
 * built-in ones. Simulated: destroy all, remove the runtime defaults record,
 * then let `lvectl limit PID ID` create the LVEs (it enters a process).
 */
static int lazy_create(uint32_t id, pid_t worker)
{
	char pid[16], sid[16];

	snprintf(pid, sizeof(pid), "%d", (int)worker);
	snprintf(sid, sizeof(sid), "%" PRIu32, id);
	/* the worker is root's: lvectl limit needs --force for it (issue 14) */
	if (LVECTL(&R, "limit", pid, sid, "--force") < 0 || R.status != 0) {
		fprintf(stderr, "# lvectl limit %s %s: %d %s\n", pid, sid, R.status, R.err);
		return -1;
	}
	if (LVECTL(&R, "release", pid) < 0 || R.status != 0)
		return -1;
	return 0;
}

TEST(lazy_lves_get_vecfg_limits_after_reboot)
{
	uint32_t u[1] = {0};
	char body[1024];
	int fds[2];
	pid_t holder, worker = 0;
	uint64_t v;
	bool have_user;

	ENV_SETUP();
	have_user = some_uids(u, 1) == 1;
	if (have_user) {
		snprintf(body, sizeof(body),
		         "#!/bin/sh\ncase \"$1\" in\n"
		         "--list-all) printf '%" PRIu32 " gold\\n' ;;\n"
		         "--userid=%" PRIu32 ") echo gold ;;\n"
		         "--userid=*) ;;\n"
		         "--package=gold) echo %" PRIu32 " ;;\n"
		         "--package=*) ;;\n"
		         "--list-packages) echo gold ;;\n"
		         "*) exit 9 ;;\nesac\n",
		         u[0], u[0], u[0]);
		ASSERT_OK(set_script(body, 0));
		ASSERT_OK(LVECTL(&R, "package-set", "gold", "--pmem=96m"));
		ASSERT_EQ(R.status, 0);
	}
	ASSERT_OK(LVECTL(&R, "set", "default", "--pmem=200m", "--nproc=70"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "1201", "--pmem=50m"));
	ASSERT_EQ(R.status, 0);
	/* the store sits beside this test's ve.cfg (openlve.conf(5): limits_file) */
	ASSERT_OK(access(path_in("container/ve.cfg.limits"), R_OK));

	/* "reboot" */
	ASSERT_OK(LVECTL(&R, "destroy", "all"));
	ASSERT_EQ(R.status, 0);
	ASSERT(unlink(path_in("state/lve/default")) == 0 || errno == ENOENT);
	ASSERT(!lve_exists_anywhere(1201) && !lve_exists_anywhere(1202));

	ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
	holder = cgtest_fork_in("home", parent_in_home, fds);
	ASSERT(holder > 0);
	ASSERT_EQ(read(fds[0], &worker, sizeof(worker)), (ssize_t)sizeof(worker));

	ASSERT_OK(lazy_create(1201, worker)); /* its own <lve> section */
	CHECK_PMEM(1201, 50ULL << 20);
	ASSERT_OK(kernel_nproc(1201, &v));
	ASSERT_EQ(v, 70);
	ASSERT_OK(lazy_create(1202, worker)); /* not in ve.cfg: its <defaults> */
	CHECK_PMEM(1202, 200ULL << 20);
	ASSERT_OK(kernel_nproc(1202, &v));
	ASSERT_EQ(v, 70);
	if (have_user) { /* a panel user of package gold */
		ASSERT_OK(lazy_create(u[0], worker));
		CHECK_PMEM(u[0], 96ULL << 20);
	}

	/* every change of ve.cfg reaches the store at once */
	ASSERT_OK(LVECTL(&R, "set", "1203", "--pmem=30m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "destroy", "1203"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(lazy_create(1203, worker));
	CHECK_PMEM(1203, 30ULL << 20);

	/* a damaged store never blocks creation: the defaults for new LVEs apply */
	ASSERT_OK(write_file(path_in("container/ve.cfg.limits"), "garbage", 0644));
	ASSERT(unlink(path_in("state/lve/default")) == 0 || errno == ENOENT);
	ASSERT_OK(lazy_create(1204, worker));
	CHECK_PMEM(1204, 1ULL << 30);
	/* lvectl apply all rebuilds it */
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "destroy", "1201"));
	ASSERT(unlink(path_in("state/lve/default")) == 0 || errno == ENOENT);
	ASSERT_OK(lazy_create(1201, worker));
	CHECK_PMEM(1201, 50ULL << 20);

	kill(worker, SIGKILL);
	cgtest_wait(holder);
	return 0;
}

TEST(unlimited_and_nproc_warning)
{
	uint64_t v;

	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "1010", "--unlimited"));
	ASSERT_EQ(R.status, 0);
	if (cgtest_has_ctrl("memory")) {
		ASSERT_OK(kernel_pmem(1010, &v));
		ASSERT(v >= (1ULL << 62)); /* "max" / PAGE_COUNTER_MAX */
	}
	ASSERT_OK(kernel_nproc(1010, &v));
	ASSERT_EQ(v, UINT64_MAX);
	ASSERT_OK(kernel_cpu_quota(1010, &v));
	ASSERT_EQ(v, UINT64_MAX);
	/* NPROC < EP + 15: accepted, with a warning */
	ASSERT_OK(LVECTL(&R, "set", "1011", "--nproc=20", "--maxEntryProcs=10"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.err, "warning") && strstr(R.err, "NPROC"));
	ASSERT_OK(kernel_nproc(1011, &v));
	ASSERT_EQ(v, 20);
	return 0;
}

/* The CPU's maximum frequency in MHz, read independently of lvectl; 0 when unknown. */
static uint64_t max_mhz(void)
{
	char *t = read_file("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
	double best = 0;

	if (t) {
		uint64_t khz = strtoull(t, NULL, 10);

		free(t);
		if (khz >= 1000)
			return khz / 1000;
	}
	t = read_file("/proc/cpuinfo");
	for (char *p = t; p && (p = strstr(p, "cpu MHz")); p++) {
		char *colon = strchr(p, ':');
		double v = colon ? strtod(colon + 1, NULL) : 0;

		if (v > best)
			best = v;
	}
	free(t);
	return (uint64_t)(best + 0.5);
}

TEST(speed_as_frequency)
{
	uint64_t mhz = max_mhz(), v, want;
	char arg[64];

	ENV_SETUP();
	if (mhz < 2)
		SKIP("the CPU's frequency is unknown here");
	/* half the maximum frequency = half a core */
	snprintf(arg, sizeof(arg), "--speed=%" PRIu64 "mhz", mhz / 2);
	ASSERT_OK(LVECTL(&R, "set", "1020", arg));
	ASSERT_EQ(R.status, 0);
	{
		char *cfg = read_file(path_in("container/ve.cfg")), want_s[64];

		snprintf(want_s, sizeof(want_s), "<cpu limit=\"%" PRIu64 "mhz\"/>", mhz / 2);
		ASSERT(cfg && strstr(cfg, want_s)); /* stored as a frequency: portable */
		free(cfg);
	}
	want = ((mhz / 2) * 10000 + mhz / 2) / mhz * 10; /* us per 100 ms */
	ASSERT_OK(kernel_cpu_quota(1020, &v));
	ASSERT_EQ(v, want);
	ASSERT(v >= 49000 && v <= 50000);
	/* GHz input */
	ASSERT_OK(LVECTL(&R, "set", "1021", "--speed=0.5ghz"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(kernel_cpu_quota(1021, &v));
	ASSERT_EQ(v, (500 * 10000 + mhz / 2) / mhz * 10);
	return 0;
}

/* limits without an id, list of loaded LVEs, version/help, all-package-list. */
TEST(limits_all_list_loaded_version_help)
{
	ENV_SETUP();
	ASSERT_OK(LVECTL(&R, "set", "1040", "--maxEntryProcs=17"));
	ASSERT_EQ(R.status, 0);
	/* 1041 runs with the default limits: loaded, no section of its own */
	ASSERT_OK(LVECTL(&R, "apply", "1041"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "limits"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, " default ") && strstr(R.out, " 1040 ") && strstr(R.out, " 1041 "));
	ASSERT(strstr(R.out, "     17 ")); /* 1040's EP limit, read back */
	ASSERT_OK(LVECTL(&R, "limits", "--json"));
	ASSERT(strstr(R.out, "{\"ID\":\"1041\","));
	ASSERT_OK(LVECTL(&R, "list"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, " 1040 ") && strstr(R.out, " 1041 "));
	ASSERT_OK(LVECTL(&R, "limits", "1", "2"));
	ASSERT_EQ(R.status, 2);
	/* version: command, -v, --version; help: command, -h */
	ASSERT_OK(LVECTL(&R, "version"));
	ASSERT(R.status == 0 && !strncmp(R.out, "lvectl (openlve) ", 17));
	ASSERT_OK(LVECTL(&R, "-v"));
	ASSERT(R.status == 0 && !strncmp(R.out, "lvectl (openlve) ", 17));
	ASSERT_OK(LVECTL(&R, "--version"));
	ASSERT(R.status == 0 && !strncmp(R.out, "lvectl (openlve) ", 17));
	ASSERT_OK(LVECTL(&R, "help"));
	ASSERT(R.status == 0 && strstr(R.out, "Usage: lvectl"));
	ASSERT_OK(LVECTL(&R, "-h"));
	ASSERT(R.status == 0 && strstr(R.out, "Usage: lvectl"));
	/* all-package-list = package-list (no resellers) */
	ASSERT_OK(LVECTL(&R, "package-set", "gold", "--pmem=128m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "all-package-list"));
	ASSERT(R.status == 0 && strstr(R.out, "VE_DEFAULT") && strstr(R.out, " gold ") && strstr(R.out, "128M"));
	/* lve-version and the list file's version agree */
	ASSERT_OK(LVECTL(&R, "lve-version"));
	ASSERT_STREQ(R.out, "6\n");
	{
		char *list = read_file(path_in("list"));

		ASSERT(list && !strncmp(list, "6:LVE\t", 6));
		free(list);
	}
	return 0;
}

/* --json answers of changing commands, JSON errors, --save-username, PMEM and NPROC validation. */
TEST(json_answers_save_username_validation)
{
	struct passwd *pw = getpwuid(1);
	char *cfg, want[128];

	ENV_SETUP();
	ASSERT(pw);
	ASSERT_OK(LVECTL(&R, "set", "1050", "--speed=50%", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_STREQ(R.out, "{\"status\": \"OK\"}\n");
	ASSERT_OK(LVECTL(&R, "destroy", "1050", "--json"));
	ASSERT_STREQ(R.out, "{\"status\": \"OK\"}\n");
	ASSERT_OK(LVECTL(&R, "destroy", "1050", "--json"));
	ASSERT_EQ(R.status, 1);
	ASSERT(!strncmp(R.out, "{\"status\": \"ERROR\", \"msg\": \"LVE 1050 does not exist", 51));
	ASSERT_OK(LVECTL(&R, "set", "x", "--json", "--pmem=1g"));
	ASSERT_EQ(R.status, 2);
	ASSERT(!strncmp(R.out, "{\"status\": \"ERROR\", \"msg\": ", 27));
	ASSERT_OK(LVECTL(&R, "list", "--json"));
	ASSERT(!strncmp(R.out, "{\"data\":[", 9)); /* a listing answers its data */
	/* --save-username: set-user records the name; set ID records the uid's */
	ASSERT_OK(LVECTL(&R, "set-user", pw->pw_name, "--pmem=128m", "--save-username"));
	ASSERT_EQ(R.status, 0);
	cfg = read_file(path_in("container/ve.cfg"));
	snprintf(want, sizeof(want), "<lve id=\"1\" user=\"%s\">", pw->pw_name);
	ASSERT(cfg && strstr(cfg, want));
	free(cfg);
	ASSERT_OK(LVECTL(&R, "set", "4000000", "--pmem=128m", "--save-username"));
	ASSERT_EQ(R.status, 2); /* no user has that uid: nothing changed */
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg && !strstr(cfg, "4000000"));
	free(cfg);
	ASSERT_OK(LVECTL(&R, "list", "--save-username"));
	ASSERT_EQ(R.status, 2);
	/* PMEM that leaves no room for a process is refused, a tiny one warned */
	ASSERT_OK(LVECTL(&R, "set", "1051", "--pmem=10K"));
	ASSERT_EQ(R.status, 2);
	ASSERT(err_is_one_line(R.err) && strstr(R.err, "at least 1M"));
	ASSERT(!lve_exists_anywhere(1051));
	ASSERT_OK(LVECTL(&R, "set", "1051", "--pmem=8M"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.err, "warning") && strstr(R.err, "PMEM"));
	/* NPROC < EP + 15: the documented warning, limits still applied */
	ASSERT_OK(LVECTL(&R, "set", "1052", "--nproc=20", "--maxEntryProcs=10"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.err, "NPROC 20 is less than EP 10 + 15"));
	ASSERT(lve_exists_anywhere(1052));
	return 0;
}

/* cloudlinux-limits: get/set with CloudLinux's options, the same ve.cfg and kernel as lvectl. */
TEST(cloudlinux_limits_get_set)
{
	char saved[sizeof(lvectl_path)], *cfg;
	struct passwd *pw = getpwuid(1);
	uint64_t v;

	ENV_SETUP();
	ASSERT(pw);
	memcpy(saved, lvectl_path, sizeof(saved));
	snprintf(strrchr(lvectl_path, '/') + 1, sizeof(lvectl_path) - (size_t)(strrchr(lvectl_path, '/') + 1 - lvectl_path),
	         "cloudlinux-limits");
	/* set by LVE id: saved to ve.cfg and applied to the kernel */
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "1060", "--pmem", "256m", "--maxEntryProcs", "30", "--nproc", "60",
	                 "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!strncmp(R.out, "{\"result\": \"success\", \"timestamp\": ", 35));
	CHECK_PMEM(1060, 256ull << 20);
	/* get: the LVE's effective limits in bytes, and only the keys asked for */
	ASSERT_OK(LVECTL(&R, "get", "--lve-id", "1060", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "{\"id\": 1060, \"username\": \"-\", \"package\": \"\", \"limits\": {\"speed\": "));
	ASSERT(strstr(R.out, "\"pmem\": 268435456") && strstr(R.out, "\"maxEntryProcs\": 30") &&
	       strstr(R.out, "\"nproc\": 60"));
	ASSERT_OK(LVECTL(&R, "get", "--lve-id", "1060", "--limits", "pmem,maxEntryProcs", "--human-readable-numbers",
	                 "--json"));
	ASSERT(strstr(R.out, "\"limits\": {\"pmem\": \"256M\", \"maxEntryProcs\": 30}}"));
	/* DEFAULT and --username */
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "DEFAULT", "--speed", "50%", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "--username", pw->pw_name, "--io", "2048", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "get", "--json"));
	ASSERT(strstr(R.out, "{\"id\": \"DEFAULT\", \"username\": \"DEFAULT\""));
	ASSERT(strstr(R.out, "\"speed\": 50.00"));
	ASSERT(strstr(R.out, "{\"id\": 1, \"username\": "));
	ASSERT(strstr(R.out, "\"io\": 2048"));
	/* --default: back to the inherited value */
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "1060", "--default", "pmem", "--json"));
	ASSERT_EQ(R.status, 0);
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg && strstr(cfg, "<lve id=\"1060\">") && !strstr(cfg, "<pmem limit=\"65536\"/>"));
	free(cfg);
	CHECK_PMEM(1060, 1ull << 30); /* the built-in default PMEM */
	/* errors: the cloudlinux-* error object, exit 2 / 1, nothing changed */
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "1060", "--cagefs", "enabled", "--json"));
	ASSERT_EQ(R.status, 2);
	ASSERT(strstr(R.out, "\"result\": \"An error occured: \\\"%(error_text)s\\\"\"") && strstr(R.out, "CageFS"));
	ASSERT_OK(LVECTL(&R, "set", "--username", "no-such-user-olt", "--io", "1", "--json"));
	ASSERT_EQ(R.status, 1);
	ASSERT(strstr(R.out, "No such user: no-such-user-olt"));
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "1060", "--pmem", "10K", "--json"));
	ASSERT_EQ(R.status, 2);
	ASSERT_OK(LVECTL(&R, "enable-reseller-limits", "--reseller-name", "r1", "--json"));
	ASSERT_EQ(R.status, 2);
	ASSERT_OK(LVECTL(&R, "get", "--speed", "10%"));
	ASSERT_EQ(R.status, 2);
	memcpy(lvectl_path, saved, sizeof(saved));
	return 0;
}

/* ------------------------------------------------- reseller limits (issue 10) */

/* A child that waits for a byte on `go`, burns CPU for `wall` s, writes "cpu wall" to `out`. */
static pid_t burner(int go, int out, double wall)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		struct timespec c0, c1, w0, w1;
		volatile uint64_t x = 0;
		char b, line[64];

		if (read(go, &b, 1) != 1)
			_exit(1);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &w0);
		do {
			for (int i = 0; i < 100000; i++)
				x += (uint64_t)i;
			clock_gettime(CLOCK_MONOTONIC, &w1);
		} while ((double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9 < wall);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		snprintf(line, sizeof(line), "%.6f %.6f\n",
		         (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9,
		         (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9);
		(void)!write(out, line, strlen(line));
		_exit(0);
	}
}

/* Read one "cpu wall" line per burner from fd. */
static int burner_results(int fd, int n, double *share)
{
	char buf[512];
	size_t len = 0;
	int got = 0;

	while (got < n) {
		ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (k <= 0)
			return -EIO;
		len += (size_t)k;
		buf[len] = 0;
		got = 0;
		for (char *p = buf; (p = strchr(p, '\n')); p++)
			got++;
	}
	*share = 0;
	for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		double cpu, wall;

		if (sscanf(p, "%lf %lf", &cpu, &wall) != 2 || wall <= 0)
			return -EBADMSG;
		*share += cpu / wall;
	}
	return 0;
}

/*
 * Two customers of one reseller, SPEED 50% each, the reseller capped at
 * SPEED 50%: together they get ~50% of one core (the kernel's hierarchical
 * quota on lvp<R>), measured. Their LVE ids stay theirs.
 */
TEST(reseller_caps_its_customers_together_measured)
{
	double share = 0;
	uint64_t v;

	ENV_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_OK(LVECTL(&R, "set-reseller", "7000", "--speed=50%", "--pmem=512m", "--nproc=60"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "7001", "--speed=50%", "--reseller=7000"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "7002", "--speed=50%", "--reseller=7000"));
	ASSERT_EQ(R.status, 0);
	/* nested groups: lveroot/lvp7000/lve700N, the reseller's caps on lvp7000 */
	ASSERT(cgtest_exists("cpu", "lveroot/lvp7000/lve7001"));
	ASSERT(cgtest_exists("cpu", "lveroot/lvp7000/lve7002"));
	ASSERT(!cgtest_exists("cpu", "lveroot/lve7001"));
	if (is_v2("cpu")) {
		char buf[64];

		ASSERT_OK(cgtest_read("cpu", "lveroot/lvp7000", "cpu.max", buf, sizeof(buf)));
		ASSERT(!strncmp(buf, "50000 100000", 12));
	} else {
		char buf[64];

		ASSERT_OK(cgtest_read("cpu", "lveroot/lvp7000", "cpu.cfs_quota_us", buf, sizeof(buf)));
		ASSERT_EQ(strtoll(buf, NULL, 10), 50000);
	}
	if (cgtest_has_ctrl("pids")) {
		char buf[64];

		ASSERT_OK(cgtest_read("pids", "lveroot/lvp7000", "pids.max", buf, sizeof(buf)));
		ASSERT_EQ(strtoull(buf, NULL, 10), 60);
	}
	if (cgtest_has_ctrl("memory")) {
		char buf[64];

		ASSERT_OK(cgtest_read("memory", "lveroot/lvp7000",
		                      is_v2("memory") ? "memory.max" : "memory.limit_in_bytes", buf,
		                      sizeof(buf)));
		ASSERT_EQ(strtoull(buf, NULL, 10), 512ULL << 20);
	}
	/* each customer keeps its own limit */
	{
		char buf[64];

		if (is_v2("cpu")) {
			ASSERT_OK(cgtest_read("cpu", "lveroot/lvp7000/lve7001", "cpu.max", buf, sizeof(buf)));
			ASSERT(!strncmp(buf, "50000 100000", 12));
		} else {
			ASSERT_OK(cgtest_read("cpu", "lveroot/lvp7000/lve7001", "cpu.cfs_quota_us", buf,
			                      sizeof(buf)));
			ASSERT_EQ(strtoll(buf, NULL, 10), 50000);
		}
	}
	(void)v;
	/* the test's root gets the highest weight: other load must not starve the burners */
	if (is_v2("cpu"))
		(void)cgtest_write("cpu", "", "cpu.weight", "10000");
	else
		(void)cgtest_write("cpu", "", "cpu.shares", "262144");

	for (int attempt = 0; attempt < 3; attempt++) {
		int go[2], res[2];
		pid_t k1, k2;
		char p1[16], p2[16];

		ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
		ASSERT_EQ(pipe2(res, O_CLOEXEC), 0);
		k1 = burner(go[0], res[1], 2.0);
		k2 = burner(go[0], res[1], 2.0);
		ASSERT(k1 > 0 && k2 > 0);
		snprintf(p1, sizeof(p1), "%d", (int)k1);
		snprintf(p2, sizeof(p2), "%d", (int)k2);
		ASSERT_OK(LVECTL(&R, "limit", p1, "7001", "--force"));
		ASSERT_EQ(R.status, 0);
		ASSERT_OK(LVECTL(&R, "limit", p2, "7002", "--force"));
		ASSERT_EQ(R.status, 0);
		ASSERT(cgtest_pid_in("cpu", "lveroot/lvp7000/lve7001", k1));
		ASSERT(cgtest_pid_in("cpu", "lveroot/lvp7000/lve7002", k2));
		ASSERT_EQ(write(go[1], "xx", 2), 2);
		ASSERT_OK(burner_results(res[0], 2, &share));
		waitpid(k1, NULL, 0);
		waitpid(k2, NULL, 0);
		close(go[0]), close(go[1]), close(res[0]), close(res[1]);
		printf("# attempt %d: two customers of a SPEED 50%% reseller together got %.1f%% of one core\n",
		       attempt + 1, share * 100);
		/* never above the reseller's quota (each alone could take 50%: 100% together) */
		if (!cgtest_vm_mode())
			ASSERT(share <= 0.58);
		if (share > 0.58)
			continue;
		if (share >= 0.42)
			break;
		/* below: the machine was too busy; measure again */
	}
	ASSERT(share >= 0.42 && share <= 0.58);
	return 0;
}

TEST(reseller_commands_and_bad_input)
{
	char *cfg;

	ENV_SETUP();
	/* unknown reseller */
	ASSERT_OK(LVECTL(&R, "set", "7101", "--speed=20%", "--reseller=7199"));
	ASSERT_EQ(R.status, 2);
	ASSERT(err_is_one_line(R.err));
	ASSERT(strstr(R.err, "unknown reseller"));
	ASSERT(!lve_exists_anywhere(7101)); /* nothing half-done */
	ASSERT_OK(LVECTL(&R, "set-reseller-default", "7199", "--speed=20%"));
	ASSERT_EQ(R.status, 2);
	ASSERT(strstr(R.err, "unknown reseller"));
	ASSERT_OK(LVECTL(&R, "remove-reseller", "7199"));
	ASSERT_EQ(R.status, 2);
	ASSERT(strstr(R.err, "unknown reseller"));
	ASSERT_OK(LVECTL(&R, "set-reseller", "no-such-user-xyz", "--speed=20%"));
	ASSERT_EQ(R.status, 2);
	ASSERT(err_is_one_line(R.err));

	ASSERT_OK(LVECTL(&R, "set-reseller", "7100", "--speed=80%", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "{\"status\": \"OK\"}"));
	ASSERT_OK(LVECTL(&R, "set-reseller", "7200", "--speed=30%"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set-reseller-default", "7100", "--speed=25%", "--nproc=33"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "7101", "--reseller=7100"));
	ASSERT_EQ(R.status, 0);
	/* the customer got its reseller's defaults, inside the reseller's group */
	{
		char buf[64];

		ASSERT_OK(cgtest_read("pids", "lveroot/lvp7100/lve7101", "pids.max", buf, sizeof(buf)));
		ASSERT_EQ(strtoull(buf, NULL, 10), 33);
	}
	/* limit / release of a process in a customer's nested group */
	{
		int fds[2];
		pid_t holder, worker = 0;
		char pid[16];

		ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
		holder = cgtest_fork_in("home", parent_in_home, fds);
		ASSERT(holder > 0);
		ASSERT_EQ(read(fds[0], &worker, sizeof(worker)), (ssize_t)sizeof(worker));
		snprintf(pid, sizeof(pid), "%d", (int)worker);
		ASSERT_OK(LVECTL(&R, "limit", pid, "7101", "--force"));
		ASSERT_EQ(R.status, 0);
		ASSERT(cgtest_pid_in("pids", "lveroot/lvp7100/lve7101", worker));
		ASSERT_OK(LVECTL(&R, "release", pid));
		ASSERT_EQ(R.status, 0);
		ASSERT(!cgtest_pid_in("pids", "lveroot/lvp7100/lve7101", worker));
		ASSERT(cgtest_pid_in("pids", "home", worker));
		kill(worker, SIGKILL);
		cgtest_wait(holder);
		close(fds[0]);
		close(fds[1]);
	}
	/* a customer does not move between resellers */
	ASSERT_OK(LVECTL(&R, "set", "7101", "--reseller=7200"));
	ASSERT_EQ(R.status, 2);
	ASSERT(err_is_one_line(R.err));
	ASSERT(strstr(R.err, "customer of reseller 7100"));
	ASSERT(cgtest_exists("pids", "lveroot/lvp7100/lve7101"));
	/* a running customer does not leave its group by a ve.cfg change */
	ASSERT_OK(LVECTL(&R, "set", "7101", "--reseller=none"));
	ASSERT_EQ(R.status, 1);
	ASSERT(strstr(R.err, "lvectl destroy 7101"));
	/* nesting: a reseller's own account in another reseller */
	ASSERT_OK(LVECTL(&R, "set", "7200", "--reseller=7100"));
	ASSERT_EQ(R.status, 2);
	ASSERT(strstr(R.err, "do not nest"));
	/* ...nor a customer made a reseller */
	ASSERT_OK(LVECTL(&R, "set-reseller", "7101", "--speed=10%"));
	ASSERT_EQ(R.status, 2);
	ASSERT(strstr(R.err, "do not nest"));
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg);
	ASSERT(strstr(cfg, "<reseller id=\"7100\">"));
	ASSERT(strstr(cfg, "<resellerdefaults id=\"7100\">"));
	ASSERT(strstr(cfg, "<lve id=\"7101\" reseller=\"7100\""));
	ASSERT(!strstr(cfg, "<reseller id=\"7101\""));
	free(cfg);

	/* list-reseller, JSON and bytes */
	ASSERT_OK(LVECTL(&R, "list-reseller", "--json", "--bytes"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"ID\":\"7100\""));
	ASSERT(strstr(R.out, "\"SPEED\":\"80\""));
	ASSERT(strstr(R.out, "\"ID\":\"7200\""));
	ASSERT_OK(LVECTL(&R, "list", "--bytes"));
	ASSERT_EQ(R.status, 2);

	/* the customer is listed and destroyed where it lives */
	ASSERT_OK(LVECTL(&R, "list"));
	ASSERT(strstr(R.out, "7101"));
	ASSERT_OK(LVECTL(&R, "destroy", "7101"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!cgtest_exists("pids", "lveroot/lvp7100/lve7101"));
	/* now it may leave */
	ASSERT_OK(LVECTL(&R, "set", "7101", "--reseller=none"));
	ASSERT_EQ(R.status, 0);

	/* a ve.cfg naming a reseller without a section is refused with its line */
	ASSERT_OK(write_file(path_in("container/ve.cfg"),
	                     "<lveconfig>\n<lve id=\"5\" reseller=\"9\"><cpu limit=\"10%\"/></lve>\n"
	                     "</lveconfig>\n",
	                     0644));
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 1);
	ASSERT(strstr(R.err, "line 2"));

	/* a ve.cfg brought from elsewhere: apply all creates the reseller's group with its caps */
	ASSERT_OK(write_file(path_in("container/ve.cfg"),
	                     "<lveconfig>\n<reseller id=\"7700\"><nproc limit=\"77\"/></reseller>\n"
	                     "<lve id=\"7701\" reseller=\"7700\"/>\n</lveconfig>\n",
	                     0644));
	ASSERT_OK(LVECTL(&R, "apply", "all"));
	ASSERT_EQ(R.status, 0);
	{
		char buf[64];

		ASSERT_OK(cgtest_read("pids", "lveroot/lvp7700", "pids.max", buf, sizeof(buf)));
		ASSERT_EQ(strtoull(buf, NULL, 10), 77);
	}
	/* remove-reseller: sections gone, group gone */
	ASSERT_OK(write_file(path_in("container/ve.cfg"), "<lveconfig/>\n", 0644));
	ASSERT_OK(LVECTL(&R, "set-reseller", "7300", "--speed=40%"));
	ASSERT_EQ(R.status, 0);
	ASSERT(cgtest_exists("cpu", "lveroot/lvp7300"));
	ASSERT_OK(LVECTL(&R, "remove-reseller", "7300"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!cgtest_exists("cpu", "lveroot/lvp7300"));
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg && !strstr(cfg, "7300"));
	free(cfg);
	return 0;
}

/* cloudlinux-limits' reseller commands on the same model (issue 10). */
TEST(cloudlinux_limits_resellers)
{
	char saved[sizeof(lvectl_path)], *slash, *cfg;

	ENV_SETUP();
	memcpy(saved, lvectl_path, sizeof(saved));
	slash = strrchr(lvectl_path, '/');
	ASSERT(slash);
	snprintf(slash + 1, sizeof(lvectl_path) - (size_t)(slash + 1 - lvectl_path), "cloudlinux-limits");
	ASSERT_OK(LVECTL(&R, "enable-reseller-limits", "--reseller-name", "7400", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"result\": \"success\""));
	ASSERT(cgtest_exists("pids", "lveroot/lvp7400"));
	ASSERT_OK(LVECTL(&R, "set", "--reseller-name", "7400", "--speed", "60%", "--nproc", "90", "--json"));
	ASSERT_EQ(R.status, 0);
	{
		char buf[64];

		ASSERT_OK(cgtest_read("pids", "lveroot/lvp7400", "pids.max", buf, sizeof(buf)));
		ASSERT_EQ(strtoull(buf, NULL, 10), 90);
	}
	ASSERT_OK(LVECTL(&R, "get", "--reseller-name", "7400", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"id\": 7400") && strstr(R.out, "\"speed\": 60.00") && strstr(R.out, "\"nproc\": 90"));
	/* a reseller's customer and its defaults */
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "DEFAULT", "--for-reseller", "7400", "--nproc", "44", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "7401", "--for-reseller", "7400", "--speed", "30%", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(cgtest_exists("pids", "lveroot/lvp7400/lve7401"));
	ASSERT_OK(LVECTL(&R, "get", "--for-reseller", "7400", "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.out, "\"id\": 7401") && strstr(R.out, "\"nproc\": 44") && strstr(R.out, "\"speed\": 30.00"));
	/* unknown reseller: the error object */
	ASSERT_OK(LVECTL(&R, "get", "--for-reseller", "7499", "--json"));
	ASSERT_EQ(R.status, 1);
	ASSERT(strstr(R.out, "No such reseller: 7499"));
	ASSERT_OK(LVECTL(&R, "set", "--lve-id", "7401", "--for-reseller", "7499", "--speed", "30%", "--json"));
	ASSERT_EQ(R.status, 2);
	ASSERT_OK(LVECTL(&R, "enable-reseller-limits", "--all", "--json"));
	ASSERT_EQ(R.status, 2);
	/* disable: the customer is the hoster's again in ve.cfg; it runs on inside until re-created */
	ASSERT_OK(LVECTL(&R, "disable-reseller-limits", "--reseller-name", "7400", "--json"));
	ASSERT_EQ(R.status, 0);
	cfg = read_file(path_in("container/ve.cfg"));
	ASSERT(cfg && !strstr(cfg, "reseller"));
	free(cfg);
	{
		char buf[64];

		ASSERT_OK(cgtest_read("pids", "lveroot/lvp7400", "pids.max", buf, sizeof(buf)));
		ASSERT(!strncmp(buf, "max", 3));
	}
	memcpy(lvectl_path, saved, sizeof(saved));
	ASSERT_OK(LVECTL(&R, "destroy", "7401"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!cgtest_exists("pids", "lveroot/lvp7400/lve7401"));
	return 0;
}

/* A child that touches `mb` MiB, says so on `out`, then holds it until killed. */
static pid_t toucher(int out, size_t mb)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		size_t len = mb << 20;
		char *p = malloc(len);

		if (!p)
			_exit(3);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		(void)!write(out, "k", 1);
		for (;;)
			pause();
	}
}

/*
 * The reseller's PMEM caps its customers' sum: 40 MiB fits in one customer
 * (its own PMEM 256M, the reseller's 64M), a second customer's 40 MiB does
 * not: the kernel (memory cgroup of lvp<R>) never lets both hold theirs.
 */
TEST(reseller_memory_caps_customers_together)
{
	int pa[2], pb[2];
	pid_t a, b;
	char c;
	bool a_alive, b_ok;

	ENV_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_OK(LVECTL(&R, "set-reseller", "7600", "--pmem=64m"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "7601", "--pmem=256m", "--reseller=7600"));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(LVECTL(&R, "set", "7602", "--pmem=256m", "--reseller=7600"));
	ASSERT_EQ(R.status, 0);
	ASSERT_EQ(pipe2(pa, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(pb, O_CLOEXEC), 0);
	{
		/* the children start inside the customers: move a waiting child, then let it touch */
		int go[2];
		char pid[16];

		ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
		a = fork();
		if (a == 0) {
			char x;

			close(go[1]);
			if (read(go[0], &x, 1) != 1)
				_exit(1);
			_exit(toucher(pa[1], 40) > 0 ? 0 : 1);
		}
		ASSERT(a > 0);
		snprintf(pid, sizeof(pid), "%d", (int)a);
		ASSERT_OK(LVECTL(&R, "limit", pid, "7601", "--force"));
		ASSERT_EQ(R.status, 0);
		ASSERT_EQ(write(go[1], "g", 1), 1);
		close(go[0]);
		close(go[1]);
	}
	/* a's child (in 7601, inherited) holds 40 MiB */
	ASSERT_EQ(read(pa[0], &c, 1), 1);
	{
		int go[2];
		char pid[16];

		ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
		b = fork();
		if (b == 0) {
			char x;

			close(go[1]);
			if (read(go[0], &x, 1) != 1)
				_exit(1);
			_exit(toucher(pb[1], 40) > 0 ? 0 : 1);
		}
		ASSERT(b > 0);
		snprintf(pid, sizeof(pid), "%d", (int)b);
		ASSERT_OK(LVECTL(&R, "limit", pid, "7602", "--force"));
		ASSERT_EQ(R.status, 0);
		ASSERT_EQ(write(go[1], "g", 1), 1);
		close(go[0]);
		close(go[1]);
	}
	close(pa[1]);
	close(pb[1]);
	/* b's toucher either says it holds its 40 MiB or dies (OOM) without a word */
	{
		struct pollfd p = { pb[0], POLLIN, 0 };

		b_ok = poll(&p, 1, 20000) == 1 && read(pb[0], &c, 1) == 1;
	}
	usleep(300000);
	{
		char procs[65536];
		int r = cgtest_read("memory", "lveroot/lvp7600/lve7601",
		                    is_v2("memory") ? "cgroup.procs" : "tasks", procs, sizeof(procs));

		/* a's toucher is the only task a moved there (its parent exited) */
		a_alive = r >= 0 && procs[0] >= '1' && procs[0] <= '9';
	}
	printf("# customer A holds 40 MiB: %s; customer B got its 40 MiB: %s (reseller cap 64 MiB)\n",
	       a_alive ? "yes" : "no (killed)", b_ok ? "yes" : "no (killed)");
	ASSERT(!(a_alive && b_ok));
	ASSERT_OK(LVECTL(&R, "destroy", "7601"));
	ASSERT_OK(LVECTL(&R, "destroy", "7602"));
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	return 0;
}

TAP_MAIN()
