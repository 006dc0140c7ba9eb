/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-lve: the cost of an LVE entry, enter + leave round trip of the
 * calling thread, on this host:
 *
 *   bare       write(tid) to the LVE's tasks file in every hierarchy, then
 *              to the origin's, on fds kept open for the run (the floor)
 *   olve       olve_enter + olve_leave (liblve.so.0 of this build; EP slot
 *              lock included: the LVE has the default EP limit)
 *   seed       lve_enter + lve_leave (the seed API LSAPI calls)
 *   libcgroup  Debian's libcgroup 2.0.2: cgroup_attach_task into the same
 *              groups and back (dlopen RTLD_LOCAL|RTLD_DEEPBIND)
 *
 * Targets: olve within 1.25x of bare; libcgroup at least 3x olve.
 *
 * Everything runs in a forked worker that first moves itself into a
 * "home" group of a random subtree "olbench-lve-XXXXXXXX" below this
 * process's own cgroup in every hierarchy; the LVE root of the run is
 * <subtree>/lveroot (an OPENLVE_CONF in a temp dir). The parent removes
 * the subtree and the temp dir afterwards, also after SIGINT/SIGTERM. The
 * worker never writes to a group it did not create.
 *
 *   bench-lve [--quick] [--iters N] [--reps N] [--no-libcgroup]
 *
 * Exit: 0 ran (targets are reported, never asserted), 1 error, 2 usage,
 * 77 cannot run here (not root, no cgroup hierarchy with controllers).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lve/lve-ctl.h"
#include "lve/openlve.h"

#define EXIT_SKIP 77
#define MAXH 16
#define LVE_ID 1

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_DLFLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define BENCH_DLFLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

struct hier {
	char mount[512];
	int version;
	char ctrls[256]; /* ours only, space separated */
	char own[1024];  /* own cgroup path, "/..." */
	char root[1600]; /* absolute path of the random subtree */
	char rel[1100];  /* subtree relative to the mount, "/..." */
	dev_t dev;
};

static struct hier H[MAXH];
static int NH;
static char tmpdir[256];
static volatile sig_atomic_t got_signal;
static pid_t worker;

static const char *const our_ctrls[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids" };

static bool is_ours(const char *c)
{
	for (size_t i = 0; i < sizeof(our_ctrls) / sizeof(our_ctrls[0]); i++)
		if (!strcmp(c, our_ctrls[i]))
			return true;
	return false;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return n < 0 ? -errno : (int)len;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void strip_nl(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

/* The path of a hierarchy (v2: "0::", v1: a controller of it) in /proc/self/cgroup. */
static int own_path(const char *text, const struct hier *h, char *out, size_t size)
{
	char first[64] = "";

	if (h->version == 1)
		sscanf(h->ctrls, "%63s", first);
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		bool match = false;

		if (c2 && h->version == 2)
			match = c2 == c1 + 1;
		else if (c2) {
			char list[256];
			size_t n = (size_t)(c2 - c1 - 1);

			if (n < sizeof(list)) {
				char *save = NULL;

				memcpy(list, c1 + 1, n);
				list[n] = 0;
				for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
					if (!strcmp(t, first))
						match = true;
			}
		}
		if (match && (size_t)(nl - c2 - 1) < size) {
			memcpy(out, c2 + 1, (size_t)(nl - c2 - 1));
			out[nl - c2 - 1] = 0;
			return 0;
		}
		line = *nl ? nl + 1 : nl;
	}
	return -ENOENT;
}

static int find_hierarchies(void)
{
	char *mi = malloc(1 << 20), pc[8192];
	char *save = NULL;

	if (!mi)
		return -ENOMEM;
	if (read_file("/proc/self/mountinfo", mi, 1 << 20) < 0 || read_file("/proc/self/cgroup", pc, sizeof(pc)) < 0) {
		free(mi);
		return -EIO;
	}
	for (char *line = strtok_r(mi, "\n", &save); line && NH < MAXH; line = strtok_r(NULL, "\n", &save)) {
		char mnt[512], fstype[64], opts[512], *dash = strstr(line, " - ");
		struct hier *h = &H[NH];
		struct stat st;
		bool dup = false;

		if (!dash || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		memset(h, 0, sizeof(*h));
		snprintf(h->mount, sizeof(h->mount), "%s", mnt);
		if (!strcmp(fstype, "cgroup2")) {
			char path[700], avail[512], *s2 = NULL;

			h->version = 2;
			snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
			if (read_file(path, avail, sizeof(avail)) < 0)
				continue;
			strip_nl(avail);
			for (char *t = strtok_r(avail, " ", &s2); t; t = strtok_r(NULL, " ", &s2))
				if (is_ours(t))
					snprintf(h->ctrls + strlen(h->ctrls), sizeof(h->ctrls) - strlen(h->ctrls), "%s%s",
						 h->ctrls[0] ? " " : "", t);
		} else if (!strcmp(fstype, "cgroup")) {
			char *s2 = NULL;

			h->version = 1;
			for (char *t = strtok_r(opts, ",", &s2); t; t = strtok_r(NULL, ",", &s2))
				if (is_ours(t))
					snprintf(h->ctrls + strlen(h->ctrls), sizeof(h->ctrls) - strlen(h->ctrls), "%s%s",
						 h->ctrls[0] ? " " : "", t);
		} else {
			continue;
		}
		if (!h->ctrls[0] || stat(mnt, &st) < 0)
			continue;
		for (int i = 0; i < NH; i++)
			dup |= H[i].dev == st.st_dev;
		if (dup)
			continue;
		h->dev = st.st_dev;
		if (own_path(pc, h, h->own, sizeof(h->own)) < 0)
			continue;
		NH++;
	}
	free(mi);
	return NH;
}

/* ---------------------------------------------------------------- setup */

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void kill_tasks(const char *dir)
{
	char path[2048], buf[65536], *save = NULL;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		kill(atoi(t), SIGKILL);
}

static int rmdir_tree(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP) {
		for (int k = 0; k < 50 && rmdir(path) < 0 && errno == EBUSY; k++) {
			kill_tasks(path);
			usleep(20000);
		}
	}
	return 0;
}

static void cleanup(void)
{
	for (int i = 0; i < NH; i++)
		if (H[i].root[0] && strstr(H[i].root, "/olbench-lve-"))
			nftw(H[i].root, rmdir_tree, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_signal(int sig)
{
	got_signal = sig;
	if (worker > 0)
		kill(worker, SIGKILL);
}

static int copy_cpuset(const char *from, const char *to)
{
	const char *files[] = { "cpuset.cpus", "cpuset.mems" };

	for (int k = 0; k < 2; k++) {
		char p[2048], v[4096];

		snprintf(p, sizeof(p), "%s/%s", from, files[k]);
		if (read_file(p, v, sizeof(v)) < 0)
			return -EIO;
		strip_nl(v);
		snprintf(p, sizeof(p), "%s/%s", to, files[k]);
		if (write_file(p, v) < 0)
			return -EIO;
	}
	return 0;
}

static int setup(void)
{
	char name[32], conf[16384], path[512];
	uint32_t rnd;
	size_t len = 0;
	FILE *f;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid() * 2654435761u;
	snprintf(name, sizeof(name), "olbench-lve-%08x", rnd);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/olbench-lve-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		return -errno;
	}
	for (int i = 0; i < NH; i++) {
		struct hier *h = &H[i];
		char parent[1600], home[1700], *save = NULL, ctrls[256];

		snprintf(h->rel, sizeof(h->rel), "%s/%s", strcmp(h->own, "/") ? h->own : "", name);
		snprintf(parent, sizeof(parent), "%s%s", h->mount, strcmp(h->own, "/") ? h->own : "");
		snprintf(h->root, sizeof(h->root), "%s%s", h->mount, h->rel);
		if (mkdir(h->root, 0755) < 0) {
			h->root[0] = 0;
			return -errno;
		}
		snprintf(home, sizeof(home), "%s/home", h->root);
		if (h->version == 1 && strstr(h->ctrls, "cpuset") && copy_cpuset(parent, h->root) < 0)
			return -EIO;
		if (h->version == 2) {
			char sc[512] = "", *s2 = NULL;

			snprintf(ctrls, sizeof(ctrls), "%s", h->ctrls);
			for (char *t = strtok_r(ctrls, " ", &s2); t; t = strtok_r(NULL, " ", &s2))
				snprintf(sc + strlen(sc), sizeof(sc) - strlen(sc), "%s+%s", sc[0] ? " " : "", t);
			snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h->root);
			if (write_file(path, sc) < 0)
				return -EIO;
		}
		if (mkdir(home, 0755) < 0)
			return -errno;
		if (h->version == 1 && strstr(h->ctrls, "cpuset") && copy_cpuset(h->root, home) < 0)
			return -EIO;
		snprintf(ctrls, sizeof(ctrls), "%s", h->ctrls);
		for (char *t = strtok_r(ctrls, " ", &save); t; t = strtok_r(NULL, " ", &save))
			len += (size_t)snprintf(conf + len, sizeof(conf) - len, "cgroup_root.%s = %s/lveroot\n", t,
						h->rel + 1);
		if (len >= sizeof(conf))
			return -E2BIG;
	}
	len += (size_t)snprintf(conf + len, sizeof(conf) - len,
				"state_dir = %s/state\nve_cfg = %s/ve.cfg\nsysconfig = %s/sysconfig\n"
				"info_file = %s/info\nlist_file = %s/list\n",
				tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	if (len >= sizeof(conf))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/openlve.conf", tmpdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(conf, f);
	if (fclose(f) != 0)
		return -EIO;
	setenv("OPENLVE_CONF", path, 1);
	return 0;
}

/* -------------------------------------------------------------- measure */

struct cgapi {
	void *d;
	int (*init)(void);
	struct cgroup *(*new_cgroup)(const char *);
	struct cgroup_controller *(*add_controller)(struct cgroup *, const char *);
	int (*attach)(struct cgroup *);
	void (*free_cg)(struct cgroup **);
};

struct groups {
	int n;
	struct cgroup *in[MAXH], *out[MAXH];
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The cgroup path of every hierarchy (index as H) in a /proc/.../cgroup text. */
static int paths_of(const char *text, char paths[MAXH][1200])
{
	for (int i = 0; i < NH; i++)
		if (own_path(text, &H[i], paths[i], sizeof(paths[i])) < 0)
			return -ENOENT;
	return 0;
}

static int open_tasks(const struct hier *h, const char *path)
{
	char p[2048];

	snprintf(p, sizeof(p), "%s%s/%s", h->mount, path, h->version == 2 ? "cgroup.procs" : "tasks");
	return open(p, O_WRONLY | O_CLOEXEC);
}

static int load_libcgroup(struct cgapi *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->d = dlopen(name, BENCH_DLFLAGS);
	if (!a->d)
		return -ENOENT;
	*(void **)&a->init = dlsym(a->d, "cgroup_init");
	*(void **)&a->new_cgroup = dlsym(a->d, "cgroup_new_cgroup");
	*(void **)&a->add_controller = dlsym(a->d, "cgroup_add_controller");
	*(void **)&a->attach = dlsym(a->d, "cgroup_attach_task");
	*(void **)&a->free_cg = dlsym(a->d, "cgroup_free");
	if (!a->init || !a->new_cgroup || !a->add_controller || !a->attach || !a->free_cg)
		return -ENOENT;
	return a->init() == 0 ? 0 : -EIO;
}

/* One struct cgroup per distinct path, holding the controllers of those hierarchies. */
static int make_groups(struct cgapi *a, char paths[MAXH][1200], struct cgroup **out, int *n)
{
	bool done[MAXH] = { false };

	*n = 0;
	for (int i = 0; i < NH; i++) {
		struct cgroup *cg;

		if (done[i])
			continue;
		cg = a->new_cgroup(paths[i]);
		if (!cg)
			return -ENOMEM;
		for (int j = i; j < NH; j++) {
			char ctrls[256], *save = NULL;

			if (strcmp(paths[j], paths[i]))
				continue;
			done[j] = true;
			snprintf(ctrls, sizeof(ctrls), "%s", H[j].ctrls);
			for (char *t = strtok_r(ctrls, " ", &save); t; t = strtok_r(NULL, " ", &save))
				if (!a->add_controller(cg, t))
					return -EINVAL;
		}
		out[(*n)++] = cg;
	}
	return 0;
}

static int run_worker(long iters, int reps, bool use_libcgroup)
{
	char home_text[8192], lve_text[8192], buf[8192], tid[16];
	static char home[MAXH][1200], lve[MAXH][1200];
	int in_fd[MAXH], out_fd[MAXH], ng_in = 0, ng_out = 0;
	struct cgroup *g_in[MAXH], *g_out[MAXH];
	double t_bare[64], t_olve[64], t_seed[64], t_cg[64];
	struct liblve *inst = NULL;
	struct cgapi cg;
	struct olve *h = NULL;
	bool have_cg = false;
	uint32_t cookie;
	size_t tl;
	int r, isz;

	/* into home, everywhere */
	for (int i = 0; i < NH; i++) {
		char p[2048];

		snprintf(p, sizeof(p), "%s/home/cgroup.procs", H[i].root);
		if (write_file(p, "0") < 0) {
			fprintf(stderr, "bench-lve: cannot move into %s: %s\n", p, strerror(errno));
			return 1;
		}
	}
	tl = (size_t)snprintf(tid, sizeof(tid), "%ld", (long)syscall(SYS_gettid));
	r = olve_open(&h, 0);
	if (r < 0) {
		fprintf(stderr, "bench-lve: olve_open: %s\n", strerror(-r));
		return 1;
	}
	isz = lve_instance_init(NULL);
	inst = calloc(1, (size_t)isz);
	if (!inst || lve_instance_init(inst) < 0) {
		fprintf(stderr, "bench-lve: lve_instance_init failed\n");
		return 1;
	}
	read_file("/proc/thread-self/cgroup", home_text, sizeof(home_text));
	r = olve_enter(h, LVE_ID, 0, &cookie);
	if (r < 0) {
		fprintf(stderr, "bench-lve: olve_enter: %s\n", strerror(-r));
		return 1;
	}
	read_file("/proc/thread-self/cgroup", lve_text, sizeof(lve_text));
	olve_leave(h, cookie);
	read_file("/proc/thread-self/cgroup", buf, sizeof(buf));
	if (strcmp(buf, home_text) || !strcmp(lve_text, home_text) || paths_of(home_text, home) < 0 ||
	    paths_of(lve_text, lve) < 0) {
		fprintf(stderr, "bench-lve: olve_enter/olve_leave did not move the thread as expected\n");
		return 1;
	}
	for (int i = 0; i < NH; i++) {
		in_fd[i] = open_tasks(&H[i], lve[i]);
		out_fd[i] = open_tasks(&H[i], home[i]);
		if (in_fd[i] < 0 || out_fd[i] < 0) {
			fprintf(stderr, "bench-lve: open tasks of %s: %s\n", H[i].mount, strerror(errno));
			return 1;
		}
	}
	if (use_libcgroup) {
		r = load_libcgroup(&cg, "libcgroup.so.2");
		if (r == 0 && make_groups(&cg, lve, g_in, &ng_in) == 0 && make_groups(&cg, home, g_out, &ng_out) == 0) {
			bool ok = true;

			for (int k = 0; k < ng_in; k++)
				ok &= cg.attach(g_in[k]) == 0;
			read_file("/proc/thread-self/cgroup", buf, sizeof(buf));
			ok &= !strcmp(buf, lve_text);
			for (int k = 0; k < ng_out; k++)
				ok &= cg.attach(g_out[k]) == 0;
			read_file("/proc/thread-self/cgroup", buf, sizeof(buf));
			ok &= !strcmp(buf, home_text);
			have_cg = ok;
			if (!ok)
				fprintf(stderr, "bench-lve: libcgroup 2.0.2 attach did not move the thread as expected: "
						"left out\n");
		} else {
			fprintf(stderr, "bench-lve: libcgroup.so.2 not usable (%s): left out\n", dlerror() ?: "init");
		}
	}

	for (int rep = 0; rep < reps; rep++) {
		double t0;

		t0 = now_us();
		for (long k = 0; k < iters; k++) {
			for (int i = 0; i < NH; i++)
				if (write(in_fd[i], tid, tl) < 0)
					return 1;
			for (int i = 0; i < NH; i++)
				if (write(out_fd[i], tid, tl) < 0)
					return 1;
		}
		t_bare[rep] = (now_us() - t0) / (double)iters;

		t0 = now_us();
		for (long k = 0; k < iters; k++)
			if (olve_enter(h, LVE_ID, 0, &cookie) < 0 || olve_leave(h, cookie) < 0)
				return 1;
		t_olve[rep] = (now_us() - t0) / (double)iters;

		t0 = now_us();
		for (long k = 0; k < iters; k++)
			if (lve_enter(inst, LVE_ID, UINT32_MAX, UINT32_MAX, &cookie) < 0 || lve_leave(inst, &cookie) < 0)
				return 1;
		t_seed[rep] = (now_us() - t0) / (double)iters;

		if (have_cg) {
			long n = iters / 4 > 0 ? iters / 4 : 1;

			t0 = now_us();
			for (long k = 0; k < n; k++) {
				for (int g = 0; g < ng_in; g++)
					if (cg.attach(g_in[g]) != 0)
						return 1;
				for (int g = 0; g < ng_out; g++)
					if (cg.attach(g_out[g]) != 0)
						return 1;
			}
			t_cg[rep] = (now_us() - t0) / (double)n;
		}
	}

	{
		double bare = median(t_bare, reps), olve = median(t_olve, reps), seed = median(t_seed, reps);
		double lcg = have_cg ? median(t_cg, reps) : 0;
		struct utsname u;

		uname(&u);
		printf("bench-lve: enter+leave round trip of one thread, %d hierarchies (", NH);
		for (int i = 0; i < NH; i++)
			printf("%s%s v%d", i ? ", " : "", H[i].ctrls, H[i].version);
		printf("), kernel %s\n", u.release);
		printf("  %ld round trips x %d reps, median per round trip; EP limit 20 (slot lock on)\n", iters, reps);
		printf("  %-44s %9.2f us\n", "bare write(2) on kept fds", bare);
		printf("  %-44s %9.2f us\n", "olve_enter + olve_leave", olve);
		printf("  %-44s %9.2f us\n", "lve_enter + lve_leave (seed API)", seed);
		if (have_cg)
			printf("  %-44s %9.2f us\n", "libcgroup 2.0.2 cgroup_attach_task there+back", lcg);
		else
			printf("  %-44s %9s\n", "libcgroup 2.0.2 cgroup_attach_task there+back", "n/a");
		printf("  olve / bare      = %.2fx  (target <= 1.25x: %s)\n", olve / bare,
		       olve <= 1.25 * bare ? "met" : "NOT met");
		printf("  seed / bare      = %.2fx  (target <= 1.25x: %s)\n", seed / bare,
		       seed <= 1.25 * bare ? "met" : "NOT met");
		if (have_cg)
			printf("  libcgroup / olve = %.2fx  (target >= 3x: %s)\n", lcg / olve,
			       lcg >= 3 * olve ? "met" : "NOT met");
		else
			printf("  libcgroup / olve = n/a    (target >= 3x: not measured)\n");
	}
	/* where the floor goes: the bare round trip per hierarchy */
	printf("  bare round trip per hierarchy:");
	for (int i = 0; i < NH; i++) {
		long n = iters / 2 > 0 ? iters / 2 : 1;
		double t0 = now_us();

		for (long k = 0; k < n; k++)
			if (write(in_fd[i], tid, tl) < 0 || write(out_fd[i], tid, tl) < 0)
				return 1;
		printf(" %s %.1f us%s", H[i].ctrls, (now_us() - t0) / (double)n, i + 1 < NH ? "," : "\n");
	}
	lve_instance_destroy(inst);
	free(inst);
	olve_close(h);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "iters", required_argument, NULL, 'i' },
		{ "reps", required_argument, NULL, 'r' },
		{ "no-libcgroup", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long iters = 20000;
	int reps = 5, c, st = 0, r;
	bool use_cg = true;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			iters = 2000;
			reps = 3;
			break;
		case 'i':
			iters = strtol(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			use_cg = false;
			break;
		case 'h':
			printf("usage: bench-lve [--quick] [--iters N] [--reps N] [--no-libcgroup]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc || iters < 1 || reps < 1 || reps > 64) {
		fprintf(stderr, "bench-lve: bad arguments (see --help)\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-lve: needs root: skipped\n");
		return EXIT_SKIP;
	}
	if (find_hierarchies() <= 0) {
		fprintf(stderr, "bench-lve: no cgroup hierarchy with controllers: skipped\n");
		return EXIT_SKIP;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	r = setup();
	if (r < 0) {
		fprintf(stderr, "bench-lve: setting up the test groups: %s\n", strerror(-r));
		cleanup();
		return 1;
	}
	fflush(NULL);
	worker = fork();
	if (worker == 0) {
		int rc = run_worker(iters, reps, use_cg);

		fflush(NULL);
		_exit(rc);
	}
	if (worker < 0) {
		cleanup();
		return 1;
	}
	while (waitpid(worker, &st, 0) < 0 && errno == EINTR)
		;
	cleanup();
	if (got_signal)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
