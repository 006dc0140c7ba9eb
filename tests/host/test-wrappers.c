/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-wrappers - lve_suwrapper, lve_wrapper and liblve's olve_spawn on the
 * real kernel (host: hybrid v1; VM: v2 and legacy). Every body runs in the
 * test's own "home" group (lve-testenv.h) with OPENLVE_CONF putting the
 * LVE root at <random test root>/lveroot in every hierarchy and the state
 * in a temporary directory; the wrappers are exec'd from there.
 *
 * lve_wrapper as a user: it is meant to be installed setuid root, and a
 * setuid program ignores OPENLVE_CONF (glibc secure mode), so it would read
 * the system's openlve.conf and create LVEs outside the test root. The
 * test therefore runs it in a private mount namespace: a tmpfs over
 * SYSCONFDIR holds the test's openlve.conf as SYSCONFDIR/openlve/openlve.conf
 * (in the VM, whose root is a throwaway initramfs, SYSCONFDIR is created
 * when missing; on a host without it the test skips), and a setuid-root copy
 * of lve_wrapper lives on a tmpfs of that namespace. The child then takes
 * uid/gid 65534 ("nobody", present on Debian and in the test VM; the
 * wrapper does not need a passwd entry) with extra groups, for good
 * (setresuid), and execs the copy: exactly a user running the installed
 * setuid program.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "lve-internal.h"
#include "lve-testenv.h"
#include "lve/openlve.h"

#define USER_ID 65534
#define EXTRA_GID1 4242
#define EXTRA_GID2 4343

/* ---------------------------------------------------------------- helpers */

static char *tool_path(const char *name)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char *p = NULL;

	if (!b)
		return NULL;
	if (asprintf(&p, "%s/src/tools/%s", b, name) < 0)
		return NULL;
	if (access(p, X_OK) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

#define NEED_TOOL(var, name)                                                             \
	_cleanup_free_ char *var = tool_path(name);                                       \
	do {                                                                             \
		if (!var)                                                                \
			SKIP("%s not built (OPENLVE_BUILD_ROOT unset?)", name);           \
	} while (0)

struct spec {
	const char *path;    /* program to exec */
	char **argv;
	bool drop;           /* become USER_ID with extra groups before exec */
	bool suid;           /* private mount ns, conf in SYSCONFDIR, exec a setuid copy of path */
	bool lve_group;      /* with suid: an /etc/group where group "lve" has gid EXTRA_GID1 */
	uint32_t pre_lve;    /* move into lveroot/lve<N> first (0: no) */
	bool stdin_pipe;
};

struct proc {
	pid_t pid;
	int in, out, err;
};

struct result {
	int status; /* cgtest_wait()-style: exit code or CGTEST_SIGNALED(sig) */
	char out[16384];
	char err[4096];
};

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

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				return 0;
		}
	}
}

/* In the child: SYSCONFDIR/openlve/openlve.conf and a setuid copy of path, in a private mount ns. */
static int suid_setup(const char *path, char *copy, size_t size)
{
	char dir[PATH_MAX], conf[PATH_MAX];
	const char *src = getenv("OPENLVE_CONF");
	struct stat st;
	int r;

	if (!src)
		return -ENOENT;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (stat(SYSCONFDIR, &st) < 0) {
		if (!cgtest_vm_mode())
			return -ENOENT;
		r = mkdir_p(SYSCONFDIR); /* the VM's root is a throwaway initramfs */
		if (r < 0)
			return r;
	}
	/* not nosuid: the setuid copy of the wrapper lives here too */
	if (mount("olt-conf", SYSCONFDIR, "tmpfs", MS_NODEV, "mode=0755") < 0)
		return -errno;
	snprintf(conf, sizeof(conf), "%s/openlve", SYSCONFDIR);
	if (mkdir(conf, 0755) < 0)
		return -errno;
	snprintf(conf, sizeof(conf), "%s/openlve/openlve.conf", SYSCONFDIR);
	r = copy_file(src, conf, 0644);
	if (r < 0)
		return r;
	/* the setuid copy on the same tmpfs (the user can reach it there) */
	snprintf(dir, sizeof(dir), "%s/olt-suid", SYSCONFDIR);
	if (mkdir(dir, 0755) < 0)
		return -errno;
	snprintf(copy, size, "%s/%s", dir, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	return copy_file(path, copy, 04755);
}

/*
 * In the child, before suid_setup(): /etc/group's text. It is read first
 * because SYSCONFDIR may be /etc itself (prefix /usr), which suid_setup()
 * covers with its tmpfs.
 */
static char *lve_group_read(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *in = fopen("/etc/group", "re"), *mem;

	if (!in)
		return NULL;
	mem = open_memstream(&text, &size);
	if (mem) {
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, mem);
		if (ferror(in) || fclose(mem) != 0) {
			free(text);
			text = NULL;
		}
	}
	fclose(in);
	return text;
}

/* In the child's private mount ns: that text plus "lve:x:EXTRA_GID1:" bind-mounted over /etc/group. */
static int lve_group_setup(const char *text)
{
	char path[PATH_MAX];
	FILE *f;
	int fd;

	if (!text)
		return -EIO;
	snprintf(path, sizeof(path), "%s/olt-group", SYSCONFDIR);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%slve:x:%d:\n", text, EXTRA_GID1);
	if (fclose(f) != 0)
		return -EIO;
	/* the mount point: on the tmpfs when SYSCONFDIR is /etc, else the real file */
	fd = open("/etc/group", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !strcmp(SYSCONFDIR, "/etc"))
		fd = open("/etc/group", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	if (mount(path, "/etc/group", NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

static bool hier_ours(int i, char *first, size_t size);

static int move_self(uint32_t id)
{
	char group[64], pid[16];

	snprintf(group, sizeof(group), "lveroot/lve%u", id);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char ctrl[64];
		int r;

		if (!hier_ours(i, ctrl, sizeof(ctrl)))
			continue;
		/* like an entry: no LVE group in a cpuset-only v1 hierarchy without a CPU mask */
		if (cgtest_hier(i)->version == 1 && !strcmp(cgtest_hier(i)->ctrls, "cpuset"))
			continue;
		r = cgtest_write(ctrl, group, "cgroup.procs", pid);
		if (r < 0)
			return r;
	}
	return 0;
}

_Noreturn static void child_run(const struct spec *s, int in, int out, int err)
{
	char copy[2 * PATH_MAX];
	const char *path = s->path;
	int r;

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(90);
	if (s->pre_lve && (r = move_self(s->pre_lve)) < 0) {
		fprintf(stderr, "move_self: %s\n", strerror(-r));
		_exit(91);
	}
	if (s->suid) {
		char *group_text = s->lve_group ? lve_group_read() : NULL;

		r = suid_setup(s->path, copy, sizeof(copy));
		if (r < 0) {
			fprintf(stderr, "suid_setup: %s\n", strerror(-r));
			_exit(r == -ENOENT ? 77 : 92);
		}
		path = copy;
		if (s->lve_group && (r = lve_group_setup(group_text)) < 0) {
			fprintf(stderr, "lve_group_setup: %s\n", strerror(-r));
			_exit(92);
		}
	}
	if (s->drop) {
		gid_t groups[] = { EXTRA_GID1, EXTRA_GID2 };

		if (setgroups(2, groups) < 0 || setresgid(USER_ID, USER_ID, USER_ID) < 0 ||
		    setresuid(USER_ID, USER_ID, USER_ID) < 0) {
			fprintf(stderr, "drop: %s\n", strerror(errno));
			_exit(93);
		}
		/* a user's PATH: the test's may hold directories the user cannot search (EACCES) */
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", 1);
	}
	execv(path, s->argv);
	fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
	_exit(94);
}

static int proc_start(const struct spec *s, struct proc *p)
{
	int in[2], out[2], err[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = s->stdin_pipe ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);

		child_run(s, devnull, out[1], err[1]);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->pid = pid;
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	return 0;
}

/* Read one line of p's stdout (for "ready" handshakes). */
static int proc_read_line(struct proc *p, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(p->out, buf + n, 1);

		if (r <= 0)
			return -EIO;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
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
	if (p->in >= 0)
		close(p->in); /* only now: closing it earlier could end a command waiting on a read */
	p->in = -1;
	if (ne)
		fprintf(stderr, "# stderr: %s", res->err);
	return res->status < 0 ? res->status : 0;
}

static int run(const struct spec *s, struct result *res)
{
	struct proc p;
	int r = proc_start(s, &p);

	if (r < 0)
		return r;
	return proc_finish(&p, res);
}

/* Run `tool` with a NULL-terminated list of arguments as root; the result. */
#define RUN_ARGS(res, toolpath, ...)                                                     \
	({                                                                               \
		char *_argv[] = { (char *)(toolpath), __VA_ARGS__, NULL };                \
		struct spec _s = { .path = (toolpath), .argv = _argv };                   \
		run(&_s, (res));                                                         \
	})

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

/* Number of hierarchies openlve uses (lte_inside's count when inside everywhere:
 * a cpuset-only v1 hierarchy is not entered without a CPU mask, lte_inside skips it). */
static int n_ours(void)
{
	int n = 0;

	/* lte_inside() leaves out a v1 hierarchy of cpuset alone (entered only with a CPU mask) */
	for (int i = 0; i < cgtest_n_hiers(); i++)
		if (!(cgtest_hier(i)->version == 1 && !strcmp(cgtest_hier(i)->ctrls, "cpuset")))
			n += hier_ours(i, NULL, 0);
	return n;
}

static bool lve_exists(uint32_t id)
{
	char g[32];

	snprintf(g, sizeof(g), "lveroot/lve%u", id);
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", cgtest_hier(i)->root, g);
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

/* Value of "Key:" in a /proc/<pid>/status text, whitespace collapsed. */
static const char *status_field(const char *text, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');

		if ((size_t)(nl - line) > kl && !strncmp(line, key, kl) && line[kl] == ':') {
			size_t n = 0;
			bool sp = false;

			for (const char *p = line + kl + 1; p < nl && n + 1 < size; p++) {
				if (*p == ' ' || *p == '\t') {
					sp = n > 0;
					continue;
				}
				if (sp)
					buf[n++] = ' ';
				sp = false;
				buf[n++] = *p;
			}
			buf[n] = 0;
			return buf;
		}
		line = *nl ? nl + 1 : nl;
	}
	return NULL;
}

/* ------------------------------------------------------------ lve_suwrapper */

static int body_su_runs_inside(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	struct result res;

	(void)arg;
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "sh", "-c", "cat /proc/self/cgroup"));
	ASSERT_EQ(res.status, 0);
	/* every openlve hierarchy line shows lveroot/lve1234 */
	ASSERT_EQ(lte_inside(res.out, 1234), n_ours());
	ASSERT(lve_exists(1234));
	/* the wrapper itself stayed where it was */
	ASSERT_EQ(lte_self_inside(0), 0);

	/* the largest id works too */
	ASSERT_OK(RUN_ARGS(&res, su, "4294967295", "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, 4294967295u), n_ours());
	return 0;
}

TEST(suwrapper_runs_command_inside_lve)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_runs_inside, NULL), 0);
	return 0;
}

static int body_su_status(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	char plain[PATH_MAX];
	struct result res;
	int fd;

	(void)arg;
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "sh", "-c", "exit 42"));
	ASSERT_EQ(res.status, 42);
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "true"));
	ASSERT_EQ(res.status, 0);
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "sh", "-c", "kill -TERM $$"));
	ASSERT_EQ(res.status, 128 + SIGTERM);

	ASSERT_OK(RUN_ARGS(&res, su, "1234", "olt-no-such-command-xyz"));
	ASSERT_EQ(res.status, 127);
	ASSERT(strstr(res.err, "olt-no-such-command-xyz") && strstr(res.err, "not found"));
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "/olt/no/such/path"));
	ASSERT_EQ(res.status, 127);

	snprintf(plain, sizeof(plain), "%s/not-executable", lte_dir);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_OK(RUN_ARGS(&res, su, "1234", plain));
	ASSERT_EQ(res.status, 126);
	ASSERT(strstr(res.err, "Permission denied"));
	ASSERT_OK(RUN_ARGS(&res, su, "1234", lte_dir)); /* a directory */
	ASSERT_EQ(res.status, 126);
	/* one line per error */
	ASSERT(strchr(res.err, '\n') == res.err + strlen(res.err) - 1);
	return 0;
}

TEST(suwrapper_exit_status)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_status, NULL), 0);
	return 0;
}

static int body_su_bad_usage(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	static const char *const bad[] = { "0",   "-1",  "abc",        "99999999999", "4294967296", "",  "012",
					   "+5",  " 5",  "5 ",         "0x10",        "1e3",        "5a", "-5",
					   "--5", "1.5", "18446744073709551617" };
	char marker[PATH_MAX];
	struct result res;

	(void)arg;
	snprintf(marker, sizeof(marker), "%s/marker", lte_dir);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *argv[] = { su, "--", (char *)bad[i], "touch", marker, NULL };
		struct spec s = { .path = su, .argv = argv };

		ASSERT_OK(run(&s, &res));
		if (res.status != 2 || !strstr(res.err, "invalid LVE id"))
			TAP_FAIL("id '%s': status %d, stderr '%s'", bad[i], res.status, res.err);
		ASSERT_EQ(access(marker, F_OK), -1);
	}
	/* no LVE was created by any of them */
	ASSERT(!lve_exists(0) && !lve_exists(1) && !lve_exists(5) && !lve_exists(12) && !lve_exists(16));

	{
		char *argv[] = { su, NULL };
		struct spec s = { .path = su, .argv = argv };

		ASSERT_OK(run(&s, &res));
		ASSERT_EQ(res.status, 2);
	}
	ASSERT_OK(RUN_ARGS(&res, su, "5"));
	ASSERT_EQ(res.status, 2);
	ASSERT(strstr(res.err, "no command"));
	ASSERT_OK(RUN_ARGS(&res, su, "-x", "5", "true"));
	ASSERT_EQ(res.status, 2);
	ASSERT(!lve_exists(5));
	ASSERT_OK(RUN_ARGS(&res, su, "--help"));
	ASSERT_EQ(res.status, 0);
	ASSERT(strstr(res.out, "Usage"));
	return 0;
}

TEST(suwrapper_bad_usage)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_bad_usage, NULL), 0);
	return 0;
}

static int body_su_not_root(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	char marker[PATH_MAX];
	struct result res;

	(void)arg;
	/* the marker directory must be writable by the user for the check to mean something */
	snprintf(marker, sizeof(marker), "/tmp/olt-wr-marker-%d", (int)getpid());
	unlink(marker);
	ASSERT_OK(tap_cleanup_path(marker)); /* if the wrapper wrongly ran the command */
	{
		char *argv[] = { su, "1234", "touch", marker, NULL };
		struct spec s = { .path = su, .argv = argv, .drop = true };

		ASSERT_OK(run(&s, &res));
	}
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "only root"));
	ASSERT_EQ(access(marker, F_OK), -1);
	ASSERT(!lve_exists(1234));
	return 0;
}

TEST(suwrapper_refuses_non_root)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_not_root, NULL), 0);
	return 0;
}

static int body_su_ep(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 1 };
	struct olve_usage u;
	struct olve *h = NULL;
	struct result res, hres;
	struct proc holder;
	char line[64];
	uint64_t faults;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 1234, &lim));
	ASSERT_OK(olve_usage(h, 1234, &u));
	ASSERT_EQ(u.ep, 0);
	faults = u.fault_ep;

	/* a command that runs until we let it go: it holds the one EP slot */
	{
		char *argv[] = { su, "1234", "sh", "-c", "sh -c 'echo ready; read x'", NULL };
		struct spec s = { .path = su, .argv = argv, .stdin_pipe = true };

		ASSERT_OK(proc_start(&s, &holder));
	}
	ASSERT(proc_read_line(&holder, line, sizeof(line)) >= 0);
	ASSERT_STREQ(line, "ready");
	ASSERT_OK(olve_usage(h, 1234, &u));
	ASSERT_EQ(u.ep, 1); /* the wrapper's slot; the command's children do not count */
	ASSERT_EQ(lte_pid_inside(holder.pid, 0), 0); /* the wrapper itself stays outside */

	ASSERT_OK(RUN_ARGS(&res, su, "1234", "true"));
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "EP limit"));
	ASSERT_OK(olve_usage(h, 1234, &u));
	ASSERT_EQ(u.fault_ep, faults + 1);

	/* --no-maxenter: not counted */
	ASSERT_OK(RUN_ARGS(&res, su, "--no-maxenter", "1234", "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, 1234), n_ours());

	/* another LVE is not affected */
	ASSERT_OK(RUN_ARGS(&res, su, "1235", "true"));
	ASSERT_EQ(res.status, 0);

	/* let the holder go: its slot is free again */
	ASSERT_EQ(write(holder.in, "\n", 1), 1);
	ASSERT_OK(proc_finish(&holder, &hres));
	ASSERT_EQ(hres.status, 0);
	ASSERT_OK(olve_usage(h, 1234, &u));
	ASSERT_EQ(u.ep, 0);
	ASSERT_OK(RUN_ARGS(&res, su, "1234", "true"));
	ASSERT_EQ(res.status, 0);
	olve_close(h);
	return 0;
}

TEST(suwrapper_holds_ep_slot)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_ep, NULL), 0);
	return 0;
}

static int body_su_signal(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	struct result res;
	struct proc p;
	char line[64];

	(void)arg;
	{
		char *argv[] = { su, "1234", "sh", "-c", "echo ready; read x; echo not-killed", NULL };
		struct spec s = { .path = su, .argv = argv, .stdin_pipe = true };

		ASSERT_OK(proc_start(&s, &p));
	}
	ASSERT(proc_read_line(&p, line, sizeof(line)) >= 0);
	ASSERT_STREQ(line, "ready");
	/* SIGTERM to the wrapper reaches the command; the wrapper reports it */
	ASSERT_OK(kill(p.pid, SIGTERM));
	ASSERT_OK(proc_finish(&p, &res));
	ASSERT_EQ(res.status, 128 + SIGTERM);
	ASSERT(!strstr(res.out, "not-killed"));
	return 0;
}

TEST(suwrapper_forwards_sigterm)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_signal, NULL), 0);
	return 0;
}

static int body_su_disabled_vmem(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	struct olve_limits lim = { .mask = OLVE_L_VMEM, .vmem = 512ull << 20 };
	struct olve *h = NULL;
	struct result res;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	/* VMEM becomes the command's RLIMIT_AS (ulimit -v prints KiB) */
	ASSERT_OK(olve_apply(h, 77, &lim));
	ASSERT_OK(RUN_ARGS(&res, su, "77", "sh", "-c", "ulimit -v"));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(strtoull(res.out, NULL, 10), 512 * 1024);

	ASSERT_OK(olve_set_flags(h, 77, OLVE_F_DISABLED));
	ASSERT_OK(RUN_ARGS(&res, su, "77", "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "disabled"));
	ASSERT_EQ(res.out[0], 0);
	ASSERT_OK(olve_set_flags(h, 77, 0));
	ASSERT_OK(RUN_ARGS(&res, su, "77", "true"));
	ASSERT_EQ(res.status, 0);
	olve_close(h);
	return 0;
}

TEST(suwrapper_disabled_lve_and_vmem)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_disabled_vmem, NULL), 0);
	return 0;
}

/* CloudLinux's switches: -f (force namespace) and -n (without namespace) are accepted. */
static int body_su_switches(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	struct result res;

	(void)arg;
	ASSERT_OK(RUN_ARGS(&res, su, "-f", "1236", "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, 1236), n_ours());
	ASSERT_OK(RUN_ARGS(&res, su, "-n", "1236", "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, 1236), n_ours());
	ASSERT_OK(RUN_ARGS(&res, su, "-x", "1236", "true"));
	ASSERT_EQ(res.status, 2);
	return 0;
}

TEST(suwrapper_cloudlinux_switches)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_switches, NULL), 0);
	return 0;
}

/*
 * Group lve (setuid copy): a member runs CMD in any LVE, as itself; a user
 * outside the group is refused and nothing is created.
 */
static int body_su_group_lve(void *arg)
{
	NEED_TOOL(su, "lve_suwrapper");
	char f[256];
	struct result res;

	(void)arg;
	{
		char *argv[] = { "lve_suwrapper", "1237", "cat", "/proc/self/cgroup", "/proc/self/status", NULL };
		struct spec s = { .path = su, .argv = argv, .suid = true, .drop = true, .lve_group = true };

		ASSERT_OK(run(&s, &res));
	}
	if (res.status == 77)
		SKIP("%s does not exist: cannot give a setuid lve_suwrapper the test's openlve.conf", SYSCONFDIR);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, 1237), n_ours());
	/* as the user, never root */
	ASSERT_STREQ(status_field(res.out, "Uid", f, sizeof(f)), "65534 65534 65534 65534");
	ASSERT_STREQ(status_field(res.out, "CapEff", f, sizeof(f)), "0000000000000000");
	/* not in group lve: refused, the LVE is not created */
	{
		char *argv[] = { "lve_suwrapper", "1238", "true", NULL };
		struct spec s = { .path = su, .argv = argv, .suid = true, .drop = true };

		ASSERT_OK(run(&s, &res));
	}
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "group lve"));
	ASSERT(!lve_exists(1238));
	return 0;
}

TEST(suwrapper_group_lve_runs_as_user)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_su_group_lve, NULL), 0);
	return 0;
}

/* -------------------------------------------------------------- lve_wrapper */

static int body_wrapper_user(void *arg)
{
	NEED_TOOL(w, "lve_wrapper");
	char want_groups[64], f[256];
	struct result res;

	(void)arg;
	{
		char *argv[] = { "lve_wrapper", "cat", "/proc/self/cgroup", "/proc/self/status", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true };

		ASSERT_OK(run(&s, &res));
	}
	if (res.status == 77)
		SKIP("%s does not exist: cannot give a setuid lve_wrapper the test's openlve.conf", SYSCONFDIR);
	ASSERT_EQ(res.status, 0);
	/* inside LVE = uid in every hierarchy */
	ASSERT_EQ(lte_inside(res.out, USER_ID), n_ours());
	/* ... and running as the user, for good, with the user's groups, without capabilities */
	ASSERT_STREQ(status_field(res.out, "Uid", f, sizeof(f)), "65534 65534 65534 65534");
	ASSERT_STREQ(status_field(res.out, "Gid", f, sizeof(f)), "65534 65534 65534 65534");
	snprintf(want_groups, sizeof(want_groups), "%d %d", EXTRA_GID1, EXTRA_GID2);
	ASSERT_STREQ(status_field(res.out, "Groups", f, sizeof(f)), want_groups);
	ASSERT_STREQ(status_field(res.out, "CapEff", f, sizeof(f)), "0000000000000000");
	ASSERT_STREQ(status_field(res.out, "CapPrm", f, sizeof(f)), "0000000000000000");

	/* exit statuses as the command's */
	{
		char *argv[] = { "lve_wrapper", "sh", "-c", "exit 7", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true };

		ASSERT_OK(run(&s, &res));
		ASSERT_EQ(res.status, 7);
	}
	{
		char *argv[] = { "lve_wrapper", "olt-no-such-command-xyz", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true };

		ASSERT_OK(run(&s, &res));
		ASSERT_EQ(res.status, 127);
	}
	/* the user cannot read a root-only file through the wrapper */
	{
		char *argv[] = { "lve_wrapper", "cat", "/proc/1/environ", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true };

		ASSERT_OK(run(&s, &res));
		ASSERT(res.status != 0);
	}
	return 0;
}

TEST(wrapper_user_enters_own_lve_as_user)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_wrapper_user, NULL), 0);
	return 0;
}

static int body_wrapper_other_lve(void *arg)
{
	NEED_TOOL(w, "lve_wrapper");
	NEED_TOOL(su, "lve_suwrapper");
	struct result res;

	(void)arg;
	/* create LVE 777 and LVE 65534 */
	ASSERT_OK(RUN_ARGS(&res, su, "777", "true"));
	ASSERT_EQ(res.status, 0);
	ASSERT_OK(RUN_ARGS(&res, su, "65534", "true"));
	ASSERT_EQ(res.status, 0);
	/* a user already in another LVE may not move to its own */
	{
		char *argv[] = { "lve_wrapper", "cat", "/proc/self/cgroup", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true, .pre_lve = 777 };

		ASSERT_OK(run(&s, &res));
	}
	if (res.status == 77)
		SKIP("%s does not exist: cannot give a setuid lve_wrapper the test's openlve.conf", SYSCONFDIR);
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "already inside LVE 777"));
	ASSERT_EQ(res.out[0], 0);
	/* already in its own LVE: fine */
	{
		char *argv[] = { "lve_wrapper", "cat", "/proc/self/cgroup", NULL };
		struct spec s = { .path = w, .argv = argv, .suid = true, .drop = true, .pre_lve = USER_ID };

		ASSERT_OK(run(&s, &res));
	}
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(lte_inside(res.out, USER_ID), n_ours());
	return 0;
}

TEST(wrapper_refuses_caller_in_other_lve)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_wrapper_other_lve, NULL), 0);
	return 0;
}

static int body_wrapper_refusals(void *arg)
{
	NEED_TOOL(w, "lve_wrapper");
	struct result res;

	(void)arg;
	/* root has no LVE */
	ASSERT_OK(RUN_ARGS(&res, w, "cat", "/proc/self/cgroup"));
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "root has no LVE"));
	ASSERT_EQ(res.out[0], 0);
	/* a user with a copy that is not setuid: cannot enter, nothing runs */
	{
		char *argv[] = { w, "cat", "/proc/self/cgroup", NULL };
		struct spec s = { .path = w, .argv = argv, .drop = true };

		ASSERT_OK(run(&s, &res));
	}
	ASSERT_EQ(res.status, 1);
	ASSERT(strstr(res.err, "LVE 65534") || strstr(res.err, "openlve"));
	ASSERT_EQ(res.out[0], 0);
	/* usage */
	{
		char *argv[] = { w, NULL };
		struct spec s = { .path = w, .argv = argv };

		ASSERT_OK(run(&s, &res));
	}
	ASSERT_EQ(res.status, 2);
	ASSERT_OK(RUN_ARGS(&res, w, "-q", "true"));
	ASSERT_EQ(res.status, 2);
	return 0;
}

TEST(wrapper_refuses_root_and_non_setuid)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_wrapper_refusals, NULL), 0);
	return 0;
}

/* ------------------------------------------------------ olve_spawn directly */

static int probe_fn(void *ud)
{
	int out = *(int *)ud, fd;
	char buf[4096];
	ssize_t n;

	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	close(fd);
	return 3;
}

static int fail_fn(void *ud)
{
	(void)ud;
	return -ENOEXEC;
}

static int body_spawn(void *arg)
{
	struct olve_spawn sp = { 0 };
	struct olve *h = NULL;
	char buf[8192];
	int p[2], status = -1;
	ssize_t n, len = 0;
	bool single = __libc_single_threaded;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_OK(olve_spawn(h, 4321, 0, probe_fn, &p[1], &sp));
	close(p[1]);
	ASSERT_EQ(sp.fn_err, 0);
	ASSERT(sp.pid > 0);
	/* cgroup v2 only: created inside by clone3(CLONE_INTO_CGROUP); else fork + move */
	if (cgtest_mode() == CGROUP_MODE_UNIFIED) {
		ASSERT(single); /* this worker has no threads: clone3 must be used */
		ASSERT_EQ(sp.method, OLVE_SPAWN_CLONE3);
	} else {
		ASSERT_EQ(sp.method, OLVE_SPAWN_FORK);
	}
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = 0;
	close(p[0]);
	ASSERT_EQ(lte_inside(buf, 4321), n_ours());
	ASSERT_OK(olve_spawn_wait(&sp, &status));
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 3);
	ASSERT_EQ(sp.slotfd, -1);
	ASSERT_ERR(olve_spawn_wait(&sp, &status), EINVAL); /* reaped already */

	/* fn's failure comes back, the child is reaped */
	memset(&sp, 0, sizeof(sp));
	ASSERT_OK(olve_spawn(h, 4321, 0, fail_fn, NULL, &sp));
	ASSERT_EQ(sp.fn_err, -ENOEXEC);
	ASSERT_EQ(sp.pid, 0);
	ASSERT_EQ(sp.slotfd, -1);
	ASSERT_ERR(waitpid(-1, NULL, WNOHANG) < 0 ? -errno : 0, ECHILD);

	/* bad calls */
	ASSERT_ERR(olve_spawn(h, 0, 0, probe_fn, &p[1], &sp), EINVAL);
	ASSERT_ERR(olve_spawn(h, 5, 0, NULL, NULL, &sp), EINVAL);
	ASSERT_ERR(olve_spawn(h, 5, 0x40000000u, fail_fn, NULL, &sp), EINVAL);
	ASSERT_ERR(olve_spawn(NULL, 5, 0, fail_fn, NULL, &sp), EINVAL);
	ASSERT_ERR(olve_spawn(h, 5, 0, fail_fn, NULL, NULL), EINVAL);
	ASSERT(!lve_exists(5));
	olve_close(h);
	return 0;
}

TEST(spawn_places_child_before_it_runs)
{
	LTE_SETUP();
	ASSERT_EQ(lte_run_home(body_spawn, NULL), 0);
	return 0;
}

TAP_MAIN()
