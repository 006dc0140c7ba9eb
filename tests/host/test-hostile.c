/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-hostile - a hostile shared-hosting customer against openlve (issue
 * 14, SECURITY.md): every attack must fail. Host (hybrid v1) and the VM
 * (v2, legacy).
 *
 * The customer is a real user created by the suite (useradd; where the
 * system has no useradd, as in the test VM, a uid without a passwd entry:
 * the kernel only knows numbers) and removed after each test. It gets a
 * shell (/bin/sh -c SCRIPT) and the setuid-root lve_wrapper, installed
 * setuid in a private prefix: a private mount namespace with a tmpfs over
 * SYSCONFDIR holding the test's openlve.conf and a setuid copy of the
 * wrapper ($W in the scripts), exactly what the user would find on a
 * server (a setuid program ignores OPENLVE_CONF). The LVE root is the
 * test's random cgroup subtree (lve-testenv.h); the state dir is made
 * searchable for everybody so that file modes, not a private temp dir,
 * are what stops the user.
 *
 * Attacks (issue 14) and what must happen:
 *   - `ulimit -f 0` (SIGXFSZ), SIGKILL storms and other ulimit squeezes on
 *     the creating wrapper: no LVE without limits, ever;
 *   - a half-created LVE (directories without a state record) is completed
 *     with its limits before anyone can use it;
 *   - opening/locking state files (freeze root writers, steal EP slots):
 *     files are 0600, a stuck root holder makes writers fail (bounded) and
 *     names the holder's pid;
 *   - SIGKILL of one's own wrapper to free its EP slot: not permitted;
 *   - lvectl limit / olve_enter_pid_flags on PID 1, kthreadd, root's
 *     processes: refused unless forced;
 *   - unsafe ownership of the state dir and ve.cfg dir, a symlink at the
 *     SQLite path: refused;
 * and the escapes that held before, kept as regression tests: writes to
 * every reachable cgroup file, dlopen of liblve and lve_exit / lve_leave /
 * lve_leave_pid / lve_enter_pid, setsid + double fork, inherited fds, an
 * evil OPENLVE_CONF.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "config.h"
#include "lve-internal.h"
#include "lve-testenv.h"
#include "lve/lve-ctl.h"
#include "lve/openlve.h"
#include "stats.h"
#include "vecfg.h"

#define diag(...)                                                                        \
	do {                                                                             \
		fprintf(stderr, "# ");                                                   \
		fprintf(stderr, __VA_ARGS__);                                            \
		fprintf(stderr, "\n");                                                  \
	} while (0)

#define DEF_NPROC 37
#define DEF_EP 3

/* ---------------------------------------------------------------- the user */

static uid_t user_uid;
static char user_name[32];
static bool user_made;

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Create the customer. 0 or -errno. */
static int user_create(void)
{
	char cmd[256];
	struct passwd *pw;

	snprintf(user_name, sizeof(user_name), "olvh%d", (int)(getpid() % 1000000));
	if (access("/usr/sbin/useradd", X_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "/usr/sbin/useradd -M -N -s /bin/sh %s >/dev/null 2>&1", user_name);
		if (sh(cmd) != 0)
			return -EIO;
		pw = getpwnam(user_name);
		if (!pw)
			return -ENOENT;
		user_uid = pw->pw_uid;
		user_made = true;
		return 0;
	}
	/* no useradd (the test VM): a uid nobody uses */
	user_uid = 61000 + (uid_t)(getpid() % 3000);
	return 0;
}

static void user_delete(void)
{
	char cmd[256];

	if (!user_made)
		return;
	snprintf(cmd, sizeof(cmd), "/usr/sbin/userdel %s >/dev/null 2>&1", user_name);
	(void)sh(cmd);
	user_made = false;
}

/* ------------------------------------------------------------- processes */

static char *tool_path(const char *name)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char *p = NULL;

	if (!b || asprintf(&p, "%s/src/tools/%s", b, name) < 0)
		return NULL;
	if (access(p, X_OK) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in, out, r = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	if (r == 0 && fchmod(out, mode) < 0)
		r = -errno;
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	return r;
}

/* In the child: the private prefix (SYSCONFDIR tmpfs: conf + setuid wrapper). Path of the copy. */
static int prefix_setup(char *copy, size_t size)
{
	_cleanup_free_ char *w = tool_path("lve_wrapper");
	const char *src = getenv("OPENLVE_CONF");
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (!w || !src)
		return -ENOENT;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (stat(SYSCONFDIR, &st) < 0) {
		if (!cgtest_vm_mode())
			return -ENOENT;
		if (mkdir(SYSCONFDIR, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	if (mount("olt-prefix", SYSCONFDIR, "tmpfs", MS_NODEV, "mode=0755") < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/openlve", SYSCONFDIR);
	if (mkdir(path, 0755) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/openlve/openlve.conf", SYSCONFDIR);
	r = copy_file(src, path, 0644);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/bin", SYSCONFDIR);
	if (mkdir(path, 0755) < 0)
		return -errno;
	snprintf(copy, size, "%s/bin/lve_wrapper", SYSCONFDIR);
	return copy_file(w, copy, 04755);
}

struct proc {
	pid_t pid;
	int out, err;
};

struct result {
	int status;
	char out[16384];
	char err[4096];
};

/* Start `script` as the customer (sh -c), $W = the setuid wrapper. */
static int user_start(const char *script, struct proc *p)
{
	int out[2], err[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char copy[PATH_MAX];
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int r;

		if (dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(90);
		r = prefix_setup(copy, sizeof(copy));
		if (r < 0) {
			fprintf(stderr, "prefix_setup: %s\n", strerror(-r));
			_exit(r == -ENOENT ? 77 : 92);
		}
		if (setgroups(0, NULL) < 0 || setresgid(user_uid, user_uid, user_uid) < 0 ||
		    setresuid(user_uid, user_uid, user_uid) < 0)
			_exit(93);
		setenv("W", copy, 1);
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
		unsetenv("OPENLVE_CONF"); /* a user's environment; test_evil_conf sets its own */
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(94);
	}
	close(out[1]);
	close(err[1]);
	p->pid = pid;
	p->out = out[0];
	p->err = err[0];
	return 0;
}

static int proc_finish(struct proc *p, struct result *res)
{
	size_t no = 0, ne = 0;
	struct pollfd pf[2] = { { .fd = p->out, .events = POLLIN }, { .fd = p->err, .events = POLLIN } };

	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int k = 0; k < 2; k++) {
			char *buf = k ? res->err : res->out;
			size_t *len = k ? &ne : &no, cap = k ? sizeof(res->err) : sizeof(res->out);
			char tmp[4096];
			ssize_t r;

			if (pf[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pf[k].fd, tmp, sizeof(tmp));
			if (r <= 0) {
				close(pf[k].fd);
				pf[k].fd = -1;
				continue;
			}
			if (*len + (size_t)r >= cap)
				r = (ssize_t)(cap - 1 - *len);
			memcpy(buf + *len, tmp, (size_t)r);
			*len += (size_t)r;
		}
	}
	res->out[no] = 0;
	res->err[ne] = 0;
	res->status = cgtest_wait(p->pid);
	if (ne)
		fprintf(stderr, "# stderr: %s", res->err);
	return res->status < 0 ? res->status : 0;
}

static int user_run(const char *script, struct result *res)
{
	struct proc p;
	int r = user_start(script, &p);

	if (r < 0)
		return r;
	return proc_finish(&p, res);
}

#define USER_RUN(res, script)                                                            \
	do {                                                                             \
		ASSERT_OK(user_run((script), (res)));                                    \
		if ((res)->status == 77)                                                 \
			SKIP("%s does not exist: no private prefix for the setuid wrapper", \
			     SYSCONFDIR);                                                \
	} while (0)

/* fork; the child becomes the customer and returns fn()'s value as exit code. */
static int as_user(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(user_uid, user_uid, user_uid) < 0 ||
		    setresuid(user_uid, user_uid, user_uid) < 0)
			_exit(93);
		_exit(fn(arg));
	}
	return cgtest_wait(pid);
}

/* ------------------------------------------------------------- LVE checks */

static bool hier_ours(int i, char *first, size_t size)
{
	char ctrls[256], *save = NULL;

	snprintf(ctrls, sizeof(ctrls), "%s", cgtest_hier(i)->ctrls);
	for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save))
		if (lte_ctrl_ours(c)) {
			if (first)
				snprintf(first, size, "%s", c);
			return true;
		}
	return false;
}

static int n_ours(void)
{
	int n = 0;

	/* lte_inside() leaves out a v1 hierarchy of cpuset alone (entered only with a CPU mask) */
	for (int i = 0; i < cgtest_n_hiers(); i++)
		n += hier_ours(i, NULL, 0) && !(cgtest_hier(i)->version == 1 && !strcmp(cgtest_hier(i)->ctrls, "cpuset"));
	return n;
}

static char *lve_group(void)
{
	static char g[64];

	snprintf(g, sizeof(g), "lveroot/lve%u", (unsigned)user_uid);
	return g;
}

/* pids.max of the customer's LVE as the kernel enforces it ("" when absent). */
static const char *kernel_nproc(void)
{
	static char buf[64];

	if (cgtest_read_value("pids", lve_group(), "pids.max", buf, sizeof(buf)) < 0)
		buf[0] = 0;
	return buf;
}

static void state_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/state/lve/%s", lte_dir, name);
}

/* Defaults of new LVEs: NPROC 37, EP 3 (so "limits in force" is tellable from the kernel's default). */
static int set_defaults(struct olve *h, uint32_t ep)
{
	struct olve_limits d = { .mask = OLVE_L_NPROC | OLVE_L_EP, .nproc = DEF_NPROC, .ep = ep };

	return olve_defaults_set(h, &d);
}

/* The common start: searchable test dirs, a handle, the defaults. */
static int prepare(struct olve **h, uint32_t ep)
{
	char path[PATH_MAX], *slash;
	int r;

	/* the tap base dir and the test dir: searchable, so modes of the files are what counts */
	snprintf(path, sizeof(path), "%s", lte_dir);
	if (chmod(path, 0755) < 0)
		return -errno;
	slash = strrchr(path, '/');
	if (slash) {
		*slash = 0;
		if (chmod(path, 0755) < 0)
			return -errno;
	}
	r = olve_open(h, 0);
	if (r < 0)
		return r;
	return set_defaults(*h, ep);
}

/* ---------------------------------------------------------------- runner */

static int run_body(int (*body)(void *))
{
	int r = user_create();

	if (r < 0)
		TAP_FAIL("cannot create the test user: %s", strerror(-r));
	r = lte_run_home(body, NULL);
	user_delete();
	return r;
}

#define HOSTILE_TEST(name, body)                                                         \
	TEST(name)                                                                       \
	{                                                                                \
		LTE_SETUP();                                                             \
		if (!cgtest_has_ctrl("pids"))                                            \
			SKIP("%s", cgtest_ctrl_missing_reason("pids"));                  \
		return run_body(body);                                                   \
	}

/* ------------------------------------------------- 1: an LVE without limits */

static int body_fsize_zero(void *arg)
{
	struct olve *h = NULL;
	struct olve_limits l;
	struct result res;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	/* the LVE does not exist yet: the wrapper creates it with a file size limit of 0 */
	ASSERT(!cgtest_exists("pids", lve_group()));
	USER_RUN(&res, "ulimit -S -f 0; \"$W\" sh -c 'ulimit -f; cat /proc/self/cgroup'");
	ASSERT_EQ(res.status, 0);
	/* the command got the caller's limit back, and runs inside the LVE */
	ASSERT(!strncmp(res.out, "0\n", 2));
	ASSERT_EQ(lte_inside(res.out + 2, user_uid), n_ours());
	/* limits are in force: the kernel's pids.max and the state's EP */
	ASSERT_STREQ(kernel_nproc(), "37");
	ASSERT_OK(olve_get_limits(h, user_uid, &l));
	ASSERT_EQ(l.ep, DEF_EP);

	/*
	 * The hard limit too. Root lifts it where it has CAP_SYS_RESOURCE (a
	 * real server); without it (this sandbox) the state write fails with
	 * EFBIG: a clean refusal, never a wrapper killed by SIGXFSZ half-way.
	 */
	ASSERT_OK(olve_destroy(h, user_uid));
	USER_RUN(&res, "ulimit -f 0; \"$W\" true; echo \"rc=$?\"");
	diag("ulimit -f 0 (hard): %s", res.out);
	ASSERT(!strcmp(res.out, "rc=0\n") || !strcmp(res.out, "rc=1\n"));
	if (!strcmp(res.out, "rc=1\n"))
		ASSERT(strstr(res.err, "lve_wrapper: cannot enter LVE"));
	if (!strcmp(res.out, "rc=0\n"))
		ASSERT_STREQ(kernel_nproc(), "37");
	/* whatever it left, the next use has the limits */
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(kernel_nproc(), "37");
	olve_close(h);
	return 0;
}
HOSTILE_TEST(creation_survives_ulimit_f_0, body_fsize_zero)

/* A creator that died after mkdir (no record / an empty state file): completed before use. */
static int body_half_created(void *arg)
{
	struct olve *h = NULL;
	struct olve_limits l;
	struct result res;
	char path[PATH_MAX];
	int fd;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	for (int empty_state = 0; empty_state < 2; empty_state++) {
		(void)olve_destroy(h, user_uid);
		for (int i = 0; i < cgtest_n_hiers(); i++) {
			char ctrl[64];
			int r;

			if (!hier_ours(i, ctrl, sizeof(ctrl)))
				continue;
			r = cgtest_mkdir(ctrl, lve_group());
			if (r < 0 && r != -EEXIST)
				TAP_FAIL("mkdir %s in %s: %s", lve_group(), ctrl, strerror(-r));
		}
		if (empty_state) {
			state_path(path, sizeof(path), "");
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "%u", (unsigned)user_uid);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			ASSERT(fd >= 0);
			close(fd);
		}
		ASSERT_STREQ(kernel_nproc(), "max"); /* the hole: directories without limits */
		USER_RUN(&res, "\"$W\" cat /proc/self/cgroup");
		ASSERT_EQ(res.status, 0);
		ASSERT_EQ(lte_inside(res.out, user_uid), n_ours());
		ASSERT_STREQ(kernel_nproc(), "37");
		ASSERT_OK(olve_get_limits(h, user_uid, &l));
		ASSERT_EQ(l.ep, DEF_EP);
	}
	olve_close(h);
	return 0;
}
HOSTILE_TEST(half_created_lve_gets_limits_before_use, body_half_created)

/* SIGKILL of the creating wrapper at random points: afterwards, never an LVE without limits. */
static int body_kill_storm(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	int killed_early = 0;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	srand((unsigned)getpid());
	for (int i = 0; i < 25; i++) {
		struct timespec ts = { 0, (long)(rand() % 4000) * 1000 };
		struct proc p;

		(void)olve_destroy(h, user_uid);
		ASSERT_OK(user_start("exec \"$W\" true", &p));
		nanosleep(&ts, NULL);
		ASSERT_OK(kill(p.pid, SIGKILL)); /* root can (the customer cannot: see below) */
		ASSERT_OK(proc_finish(&p, &res));
		if (res.status == 77)
			SKIP("no private prefix for the setuid wrapper");
		killed_early += res.status == CGTEST_SIGNALED(SIGKILL);
		/* whatever was left, the next use finds the limits in force */
		if (cgtest_exists("pids", lve_group()) && strcmp(kernel_nproc(), "37")) {
			USER_RUN(&res, "\"$W\" true");
			ASSERT_EQ(res.status, 0);
		}
		if (cgtest_exists("pids", lve_group()))
			ASSERT_STREQ(kernel_nproc(), "37");
	}
	diag("%d of 25 wrappers killed before they finished", killed_early);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(sigkill_storm_leaves_no_unlimited_lve, body_kill_storm)

/* Other squeezes: the wrapper lifts them, the command gets them back. */
static int body_squeezes(void *arg)
{
	static const char *const squeeze[] = {
		"ulimit -S -n 5", "ulimit -n 5", "ulimit -S -t 1", "ulimit -v 20000", "ulimit -s 16",
		"ulimit -S -f 0; ulimit -S -n 4; ulimit -S -t 1", "ulimit -f 0; ulimit -n 4; ulimit -t 1",
	};
	struct olve *h = NULL;
	struct result res;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	for (size_t i = 0; i < sizeof(squeeze) / sizeof(squeeze[0]); i++) {
		char script[256];

		(void)olve_destroy(h, user_uid);
		snprintf(script, sizeof(script), "%s; \"$W\" true; echo \"rc=$?\"", squeeze[i]);
		USER_RUN(&res, script);
		diag("%s: %s", squeeze[i], res.out);
		/* soft limits are always lifted; a hard one root cannot lift gives a clean refusal */
		if (strstr(squeeze[i], "-S"))
			ASSERT_STREQ(res.out, "rc=0\n");
		/* a hard one root cannot lift: a clean refusal, or the wrapper dies (a 16 KiB stack) */
		if (!strcmp(res.out, "rc=0\n"))
			ASSERT_STREQ(kernel_nproc(), "37");
		USER_RUN(&res, "\"$W\" true");
		ASSERT_EQ(res.status, 0);
		ASSERT_STREQ(kernel_nproc(), "37");
	}
	USER_RUN(&res, "ulimit -S -n 17; \"$W\" sh -c 'ulimit -n'");
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.out, "17\n");
	olve_close(h);
	return 0;
}
HOSTILE_TEST(ulimit_squeezes_do_not_break_creation, body_squeezes)

/* ------------------------------------------- 2 + 3: state files and locks */

static int try_open_state(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

		fprintf(stderr, "# opened %s as the customer; lock: %d\n", path, fcntl(fd, F_OFD_SETLK, &fl));
		return 1;
	}
	return errno == EACCES ? 0 : 2;
}

static int body_state_private(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	char path[PATH_MAX], id[16];
	struct stat st;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 0);
	snprintf(id, sizeof(id), "%u", (unsigned)user_uid);
	state_path(path, sizeof(path), id);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_uid, 0);
	/* the customer can neither open (nor so lock) its own, another LVE's or the defaults record */
	ASSERT_EQ(as_user(try_open_state, path), 0);
	state_path(path, sizeof(path), "default");
	ASSERT_EQ(as_user(try_open_state, path), 0);
	/* a file of an older install (0644) is narrowed by the next root open */
	state_path(path, sizeof(path), id);
	ASSERT_OK(chmod(path, 0644));
	olve_close(h);
	ASSERT_OK(olve_open(&h, 0));
	{
		uint32_t fl;

		ASSERT_OK(olve_get_flags(h, user_uid, &fl));
	}
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(as_user(try_open_state, path), 0);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(state_files_closed_to_customers, body_state_private)

/* A stuck root process holding a header lock: writers give up (bounded) and name it. */
static int body_lock_bounded(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	char path[PATH_MAX], id[16];
	int ready[2];
	pid_t holder;
	uint32_t fl;
	char c;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 0);
	snprintf(id, sizeof(id), "%u", (unsigned)user_uid);
	state_path(path, sizeof(path), id);
	ASSERT_OK(pipe2(ready, O_CLOEXEC));
	holder = fork();
	ASSERT(holder >= 0);
	if (holder == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 64 };

		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &lk) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	/* a writer: fails instead of hanging, and knows who holds the file */
	ASSERT_ERR(olve_set_flags(h, user_uid, OLVE_F_DISABLED), ENOLCK);
	ASSERT_EQ(olve_state_lock_holder(), holder);
	/* readers are not blocked by a read lock */
	ASSERT_OK(olve_get_flags(h, user_uid, &fl));
	ASSERT_EQ(fl, 0);
	kill(holder, SIGKILL);
	ASSERT_EQ(cgtest_wait(holder), CGTEST_SIGNALED(SIGKILL));
	ASSERT_OK(olve_set_flags(h, user_uid, 0));
	olve_close(h);
	return 0;
}
HOSTILE_TEST(stuck_lock_holder_bounded_and_named, body_lock_bounded)

/* ------------------------------------------------ 4: EP slot and the wrapper */

struct kill_arg {
	pid_t pid;
};

static int try_kill(void *arg)
{
	struct kill_arg *k = arg;

	if (kill(k->pid, SIGKILL) == 0 || kill(k->pid, SIGTERM) == 0 || kill(k->pid, SIGSTOP) == 0)
		return 1;
	return errno == EPERM ? 0 : 2;
}

static pid_t first_child(pid_t pid)
{
	char path[64], buf[256];
	long c;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (lte_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	c = strtol(buf, NULL, 10);
	return c > 0 ? (pid_t)c : -1;
}

static int body_wrapper_unkillable(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	struct proc p;
	struct kill_arg k;
	pid_t wrapper = -1, cmd = -1;

	(void)arg;
	ASSERT_OK(prepare(&h, 1));
	ASSERT_OK(user_start("exec \"$W\" sleep 60", &p));
	/* the wrapper is the customer's sh exec'd; wait until its command runs inside */
	for (int i = 0; i < 3000 && cmd <= 0; i++) {
		wrapper = p.pid;
		cmd = first_child(wrapper);
		if (cmd > 0 && lte_pid_inside(cmd, user_uid) <= 0)
			cmd = -1;
		if (cmd <= 0)
			usleep(10000);
	}
	ASSERT(cmd > 0);
	ASSERT_EQ(olve_state_count_slots(h, user_uid), 1);
	/* the customer can signal its command but not the wrapper holding the slot */
	k.pid = wrapper;
	ASSERT_EQ(as_user(try_kill, &k), 0);
	/* so the slot stays taken: EP 1 refuses a second entry */
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "EP limit"));
	/* the command ends: the slot is free again */
	k.pid = cmd;
	ASSERT_OK(kill(cmd, SIGKILL));
	ASSERT_OK(proc_finish(&p, &res));
	ASSERT_EQ(res.status, 128 + SIGKILL);
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 0);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(customer_cannot_kill_wrapper_to_free_ep_slot, body_wrapper_unkillable)

/* ------------------------------------------ 6: enter_pid on system processes */

static int body_enter_pid_protected(void *arg)
{
	struct olve *h = NULL;
	pid_t rootp, userp;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	ASSERT_ERR(olve_enter_pid_flags(h, user_uid, 1, 0), EPERM);
	ASSERT_ERR(olve_enter_pid_flags(h, user_uid, 2, 0), EPERM); /* kthreadd */
	ASSERT_ERR(olve_enter_pid_flags(h, user_uid, 1, 0x80), EINVAL);
	ASSERT(lte_pid_inside(1, user_uid) <= 0);
	rootp = fork();
	ASSERT(rootp >= 0);
	if (rootp == 0) {
		pause();
		_exit(0);
	}
	userp = fork();
	ASSERT(userp >= 0);
	if (userp == 0) {
		if (setresuid(user_uid, user_uid, user_uid) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	/* wait until the child dropped root */
	for (int i = 0; i < 1000; i++) {
		char path[64], buf[4096];

		snprintf(path, sizeof(path), "/proc/%d/status", (int)userp);
		if (lte_read(path, buf, sizeof(buf)) > 0 && !strstr(buf, "\nUid:\t0\t"))
			break;
		usleep(1000);
	}
	ASSERT_ERR(olve_enter_pid_flags(h, user_uid, rootp, 0), EPERM);
	ASSERT_EQ(lte_pid_inside(rootp, 0), 0);
	ASSERT_OK(olve_enter_pid_flags(h, user_uid, userp, 0));
	ASSERT_EQ(lte_pid_inside(userp, user_uid), n_ours());
	ASSERT_OK(olve_enter_pid_flags(h, user_uid, rootp, OLVE_ENTER_PID_FORCE));
	ASSERT_EQ(lte_pid_inside(rootp, user_uid), n_ours());
	kill(rootp, SIGKILL);
	kill(userp, SIGKILL);
	cgtest_wait(rootp);
	cgtest_wait(userp);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(enter_pid_refuses_init_kthreads_and_root, body_enter_pid_protected)

/* ------------------------------------------------ 5: careless admin paths */

static int body_strict_modes(void *arg)
{
	struct olve *h = NULL;
	struct vecfg *cfg = NULL;
	struct result res;
	char path[PATH_MAX], target[PATH_MAX];

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	olve_close(h);
	h = NULL;
	/* a state dir owned by the customer: root refuses it, the wrapper fails */
	snprintf(path, sizeof(path), "%s/state", lte_dir);
	ASSERT_OK(chown(path, user_uid, 0));
	ASSERT_ERR(olve_open(&h, 0), EPERM);
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 1);
	ASSERT_OK(chown(path, 0, 0));
	/* group/world-writable: refused too */
	ASSERT_OK(chmod(path, 0777));
	ASSERT_ERR(olve_open(&h, 0), EPERM);
	ASSERT_OK(chmod(path, 0755));
	ASSERT_OK(olve_open(&h, 0));
	olve_close(h);

	/* ve.cfg in a directory the customer owns */
	snprintf(path, sizeof(path), "%s/custdir", lte_dir);
	ASSERT_OK(mkdir(path, 0755));
	ASSERT_OK(chown(path, user_uid, 0));
	snprintf(path, sizeof(path), "%s/custdir/ve.cfg", lte_dir);
	ASSERT_ERR(vecfg_load(path, &cfg, NULL), EPERM);
	ASSERT(cfg == NULL);
	/* a symlinked ve.cfg */
	snprintf(target, sizeof(target), "%s/ve.cfg.real", lte_dir);
	ASSERT_OK(copy_file("/dev/null", target, 0644));
	snprintf(path, sizeof(path), "%s/ve.cfg.link", lte_dir);
	ASSERT_OK(symlink(target, path));
	ASSERT_ERR(vecfg_load(path, &cfg, NULL), EPERM);

	/* a symlink planted at the SQLite path: no root-owned database elsewhere */
	{
		struct lvestats_conf c = { .db_type = "sqlite", .keep_history_days = 60, .interval = 5 };
		struct lve_db *db = NULL;
		struct stat st;
		int r;

		snprintf(target, sizeof(target), "%s/elsewhere.db", lte_dir);
		snprintf(path, sizeof(path), "%s/lvestats2.db", lte_dir);
		ASSERT_OK(symlink(target, path));
		snprintf(c.server_id, sizeof(c.server_id), "localhost");
		c.sqlite_path = path;
		r = lve_db_open(&c, &db);
		if (r == 0) {
			struct lve_sample s = { .id = 1, .ts = 1000, .interval = 5 };

			(void)lve_db_insert(db, &s, 1);
			(void)lve_db_flush(db, 1000);
			diag("lve_db: %s", lve_db_errmsg(db) ? lve_db_errmsg(db) : "(no message)");
			lve_db_close(db);
		}
		ASSERT(stat(target, &st) < 0 && errno == ENOENT);
	}
	return 0;
}
HOSTILE_TEST(unsafe_paths_refused, body_strict_modes)

/* ------------------------------------------------------ escapes that held */

struct walk_arg {
	int tried, opened;
};

static void try_write_dir(const char *dir, struct walk_arg *w)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		w->tried++;
		fd = open(p, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0) {
			fprintf(stderr, "# customer opened %s for writing\n", p);
			w->opened++;
			close(fd);
		}
	}
	closedir(d);
}

static int try_cgroup_writes(void *arg)
{
	struct walk_arg *w = arg;

	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[PATH_MAX];

		if (!hier_ours(i, NULL, 0))
			continue;
		snprintf(p, sizeof(p), "%s/lveroot", cgtest_hier(i)->root);
		try_write_dir(p, w);
		snprintf(p, sizeof(p), "%s/lveroot/lve%u", cgtest_hier(i)->root, (unsigned)user_uid);
		try_write_dir(p, w);
		snprintf(p, sizeof(p), "%s/lveroot/evil", cgtest_hier(i)->root);
		if (mkdir(p, 0755) == 0)
			w->opened++;
	}
	return w->tried > 0 && w->opened == 0 ? 0 : 1;
}

static int body_cgroup_files(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	struct walk_arg w = { 0 };

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	USER_RUN(&res, "\"$W\" true");
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(as_user(try_cgroup_writes, &w), 0);
	/* and from inside the LVE, through the shell's own redirections */
	USER_RUN(&res, "\"$W\" sh -c 'for f in /sys/fs/cgroup/*/*/lveroot/lve*/* /sys/fs/cgroup/*/lveroot/lve*/*; do "
		       "[ -f \"$f\" ] && (echo 1 > \"$f\") 2>/dev/null && echo \"WROTE $f\"; done; true'");
	ASSERT_EQ(res.status, 0);
	ASSERT(!strstr(res.out, "WROTE"));
	olve_close(h);
	return 0;
}
HOSTILE_TEST(customer_cannot_write_cgroup_files, body_cgroup_files)

/* Inside its LVE, the customer loads liblve and tries every way out. */
static int try_liblve_escape(void *arg)
{
	char path[PATH_MAX];
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	void *dl;
	struct liblve *(*init)(liblve_alloc, liblve_free);
	int (*leave_pid)(struct liblve *, pid_t);
	int (*enter_pid)(struct liblve *, uint32_t, pid_t);
	int (*lexit)(struct liblve *, uint32_t *);
	int (*lleave)(struct liblve *, uint32_t *);
	struct liblve *lve;
	uint32_t cookie = 0;
	int bad = 0;

	(void)arg;
	snprintf(path, sizeof(path), "%s/src/liblve/liblve.so.0", b ? b : ".");
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return 10;
	init = (struct liblve * (*)(liblve_alloc, liblve_free)) dlsym(dl, "init_lve");
	leave_pid = (int (*)(struct liblve *, pid_t))dlsym(dl, "lve_leave_pid");
	enter_pid = (int (*)(struct liblve *, uint32_t, pid_t))dlsym(dl, "lve_enter_pid");
	lexit = (int (*)(struct liblve *, uint32_t *))dlsym(dl, "lve_exit");
	lleave = (int (*)(struct liblve *, uint32_t *))dlsym(dl, "lve_leave");
	if (!init || !leave_pid || !enter_pid || !lexit || !lleave)
		return 11;
	lve = init(malloc, free);
	if (leave_pid(lve, getpid()) >= 0)
		bad |= 1;
	if (enter_pid(lve, 1, getpid()) >= 0)
		bad |= 2;
	if (lexit(lve, &cookie) >= 0)
		bad |= 4;
	if (lleave(lve, &cookie) >= 0)
		bad |= 8;
	if (enter_pid(lve, user_uid + 1, 1) >= 0)
		bad |= 16;
	if (lte_self_inside(user_uid) != n_ours())
		bad |= 32;
	/* the parent cgroup's procs file */
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char p[PATH_MAX], pid[16];
		int fd;

		if (!hier_ours(i, NULL, 0))
			continue;
		snprintf(p, sizeof(p), "%s/home/cgroup.procs", cgtest_hier(i)->root);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (fd >= 0 && write(fd, pid, strlen(pid)) > 0)
			bad |= 64;
		if (fd >= 0)
			close(fd);
	}
	if (lte_self_inside(user_uid) != n_ours())
		bad |= 128;
	return bad;
}

static int body_dlopen(void *arg)
{
	struct olve *h = NULL;
	pid_t pid;
	int ready[2], go[2];
	char c = 0;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	ASSERT_OK(pipe2(ready, O_CLOEXEC));
	ASSERT_OK(pipe2(go, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(90);
		if (setgroups(0, NULL) < 0 || setresgid(user_uid, user_uid, user_uid) < 0 ||
		    setresuid(user_uid, user_uid, user_uid) < 0)
			_exit(93);
		_exit(try_liblve_escape(NULL));
	}
	/* root puts the customer's process into its LVE (as a login would) */
	ASSERT_OK(olve_enter_pid(h, user_uid, pid));
	ASSERT_EQ(write(go[1], "g", 1), 1);
	{
		int st = cgtest_wait(pid);

		if (st != 0)
			TAP_FAIL("escape attempt: status %d (bits: 1 leave_pid 2 enter_pid 4 exit 8 leave 16 "
				 "enter_pid(1) 32/128 moved 64 parent procs)", st);
	}
	close(ready[0]);
	close(ready[1]);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(liblve_calls_do_not_escape, body_dlopen)

static int body_setsid(void *arg)
{
	struct olve *h = NULL;
	struct result res;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	USER_RUN(&res, "\"$W\" sh -c '(setsid sh -c \"sleep 0.2; cat /proc/self/cgroup\" &) ; true'");
	ASSERT_EQ(res.status, 0);
	/* the orphan of a double fork in a new session is still inside */
	ASSERT_EQ(lte_inside(res.out, user_uid), n_ours());
	olve_close(h);
	return 0;
}
HOSTILE_TEST(setsid_double_fork_stays_inside, body_setsid)

static int body_fds(void *arg)
{
	struct olve *h = NULL;
	struct result res;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	USER_RUN(&res, "exec 7</dev/null; \"$W\" sh -c 'for f in /proc/$$/fd/*; do readlink \"$f\"; done'");
	ASSERT_EQ(res.status, 0);
	diag("command's fds: %s", res.out);
	/* nothing of the wrapper's: no state file, cgroup file or dir */
	ASSERT(!strstr(res.out, "/state"));
	ASSERT(!strstr(res.out, "cgroup"));
	ASSERT(!strstr(res.out, "lveroot"));
	/* the caller's own fds are the caller's business: passed on */
	ASSERT(strstr(res.out, "/dev/null"));
	olve_close(h);
	return 0;
}
HOSTILE_TEST(wrapper_leaks_no_fds, body_fds)

static int body_evil_conf(void *arg)
{
	struct olve *h = NULL;
	struct result res;
	char dir[PATH_MAX], script[2 * PATH_MAX + 256];
	struct stat st;
	FILE *f;

	(void)arg;
	ASSERT_OK(prepare(&h, DEF_EP));
	snprintf(dir, sizeof(dir), "%s/evil", lte_dir);
	ASSERT_OK(mkdir(dir, 0755));
	ASSERT_OK(chown(dir, user_uid, 0));
	snprintf(script, sizeof(script), "%s/evil.conf", dir);
	f = fopen(script, "we");
	ASSERT(f);
	fprintf(f, "cgroup_root = evilroot\nstate_dir = %s/state\n", dir);
	fclose(f);
	snprintf(script, sizeof(script), "OPENLVE_CONF=%s/evil.conf \"$W\" cat /proc/self/cgroup", dir);
	USER_RUN(&res, script);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, user_uid), n_ours());
	ASSERT(!strstr(res.out, "evilroot"));
	snprintf(script, sizeof(script), "%s/state", dir);
	ASSERT(stat(script, &st) < 0 && errno == ENOENT);
	olve_close(h);
	return 0;
}
HOSTILE_TEST(evil_openlve_conf_ignored, body_evil_conf)

/* ------------------------------------------------------------ lvectl (6) */

static int body_lvectl(void *arg)
{
	_cleanup_free_ char *lvectl = tool_path("lvectl");
	struct olve *h = NULL;
	struct result res;
	char script[2 * PATH_MAX], cmd[2 * PATH_MAX], stale[PATH_MAX], live[PATH_MAX];
	struct stat st;
	int fd;

	(void)arg;
	if (!lvectl)
		SKIP("lvectl not built");
	ASSERT_OK(prepare(&h, DEF_EP));
	/* temp files of a killed lvectl: a dead writer's are removed, a live one's kept */
	snprintf(stale, sizeof(stale), "%s/.ve.cfg.999999999.1.tmp", lte_dir);
	snprintf(live, sizeof(live), "%s/.list.%d.2.tmp", lte_dir, (int)getpid());
	fd = open(stale, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT(fd >= 0);
	close(fd);
	fd = open(live, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT(fd >= 0);
	close(fd);
	/* root sets EP 7 for the customer */
	snprintf(cmd, sizeof(cmd), "%s set %u --maxEntryProcs=7 >/dev/null", lvectl, (unsigned)user_uid);
	ASSERT_EQ(sh(cmd), 0);
	ASSERT(stat(stale, &st) < 0 && errno == ENOENT);
	ASSERT_OK(stat(live, &st));
	/* PID 1 is refused without --force, and stays where it is */
	snprintf(cmd, sizeof(cmd), "%s limit 1 %u 2>/dev/null", lvectl, (unsigned)user_uid);
	ASSERT_EQ(sh(cmd), 1);
	ASSERT(lte_pid_inside(1, user_uid) <= 0);
	snprintf(cmd, sizeof(cmd), "%s limit 1 %u 2>&1 | grep -q 'refusing to move process 1'", lvectl,
		 (unsigned)user_uid);
	ASSERT_EQ(sh(cmd), 0);
	/* the customer reads its EP limit (state files are root's, the list is public) */
	snprintf(script, sizeof(script), "OPENLVE_CONF=%s/openlve.conf %s limits %u --json", lte_dir, lvectl,
		 (unsigned)user_uid);
	USER_RUN(&res, script);
	diag("lvectl limits as the customer: %s", res.out);
	ASSERT_EQ(res.status, 0);
	ASSERT(strstr(res.out, "\"EP\":\"7\""));
	olve_close(h);
	return 0;
}
HOSTILE_TEST(lvectl_limit_refuses_pid1_and_customer_sees_ep, body_lvectl)

TAP_MAIN()
