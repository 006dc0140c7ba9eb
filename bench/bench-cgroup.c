/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-cgroup: openlve's cgroup library against Debian's libcgroup 2.0.2
 * and against bare syscalls on kept directory fds, side by side, in one run.
 *
 * Both libraries export the same symbol names, so neither is linked: each
 * is dlopen()ed with RTLD_NOW|RTLD_LOCAL|RTLD_DEEPBIND and driven through one
 * table of function pointers (struct cgapi).
 *
 * Operations (per implementation, median of --reps runs after a warm-up):
 *   create  create a group in 4 controllers with 6 values, then delete it
 *   attach  move the calling thread into a group and back
 *   get     read all values of a group (cgroup_get_cgroup), 1,000 groups
 *
 * Everything is created below a random "olbench-XXXXXXXX" directory at this
 * process's own cgroup in each hierarchy and removed at exit, also on
 * SIGINT/SIGTERM/SIGHUP and on fatal signals (the removal uses only
 * async-signal-safe system calls).
 *
 * Exit status: 0 when every requested implementation ran every operation,
 * 1 on an error (an implementation failing counts), 2 on bad usage, 77 when
 * the host cannot run the benchmark (not root, no cgroup v1 hierarchies).
 * Timing is reported, never asserted.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lve/libcgroup.h"
#include "macro.h"

#include "bench-common.h"

/* RTLD_DEEPBIND is refused by the sanitizer runtimes; both libraries are
 * RTLD_LOCAL and symbol-versioned, so dropping it there is harmless. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_DLFLAGS (RTLD_NOW | RTLD_LOCAL)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BENCH_DLFLAGS (RTLD_NOW | RTLD_LOCAL)
#endif
#endif
#ifndef BENCH_DLFLAGS
#define BENCH_DLFLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

#define OURS_SONAME "libopenlve-cgroup.so.1"
#define OURS_SUBPATH "src/libcgroup/" OURS_SONAME
#define LIBCGROUP_DEFAULT "libcgroup.so.2"

/* ------------------------------------------------------------------ */
/* Host layout                                                          */

enum { CTRL_CPU, CTRL_CPUACCT, CTRL_PIDS, CTRL_BLKIO, N_CTRL };
static const char *const ctrl_names[N_CTRL] = { "cpu", "cpuacct", "pids", "blkio" };

struct hier {
	char mount[PATH_MAX];   /* mount point of the hierarchy */
	char own[PATH_MAX];     /* this process's cgroup in it, "/" or "/a/b" */
	int ctrls[N_CTRL];      /* controllers co-mounted here (indexes) */
	int nctrls;
	int basefd;             /* O_PATH fd of mount + own */
	int topfd;              /* O_RDONLY dir fd of the olbench-* directory */
	int org_tasks;          /* tasks of the origin (own) group, O_WRONLY */
	int tgt_tasks;          /* tasks of <top>/attach, O_WRONLY */
};

struct value {
	int ctrl;
	char name[64];
	char value[64];
};

#define N_VALUES 6
static struct hier hiers[N_CTRL];
static int n_hiers;
static int ctrl_hier[N_CTRL];       /* controller -> hierarchy index */
static struct value values[N_VALUES];
static char own_path[PATH_MAX];     /* common own cgroup ("/" here) */
static char top_name[32];           /* olbench-XXXXXXXX */
static char lib_prefix[PATH_MAX];   /* "" or "own/" (no leading '/') for libcgroup names */
static char tid_str[24];
static size_t tid_len;
static volatile sig_atomic_t tree_made;
static volatile sig_atomic_t cleaned;

/* ------------------------------------------------------------------ */
/* Async-signal-safe removal of everything below <own>/olbench-*       */

static void write_all_fd(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void say_safe(const char *s)
{
	write_all_fd(STDERR_FILENO, s, strlen(s));
}

/* After a failed attach the thread may sit in the target group. */
static void move_back(void)
{
	for (int h = 0; h < n_hiers; h++)
		if (hiers[h].org_tasks >= 0)
			(void)!write(hiers[h].org_tasks, tid_str, tid_len);
}

static void cleanup_tree(void)
{
	int saved = errno;

	if (cleaned || !tree_made)
		return;
	cleaned = 1;
	/* Back to the origin group first, else rmdir of the target is EBUSY. */
	if (tid_len > 0)
		move_back();
	for (int h = 0; h < n_hiers; h++) {
		if (hiers[h].basefd < 0)
			continue;
		if (bench_rmtree_at(hiers[h].basefd, top_name, false) < 0) {
			say_safe("bench-cgroup: could not remove ");
			say_safe(hiers[h].mount);
			say_safe(hiers[h].own);
			say_safe("/");
			say_safe(top_name);
			say_safe("\n");
		}
	}
	errno = saved;
}

static void on_signal(int sig)
{
	cleanup_tree();
	/* SA_RESETHAND restored the default action; the signal is delivered
	 * again (blocked until this handler returns). */
	raise(sig);
}

static void install_signal_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

__attribute__((format(printf, 2, 3)))
static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, 256, fmt, ap);
	va_end(ap);
}

static bool list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == wl && strncmp(p, word, wl) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Host discovery                                                       */

/* Own cgroup path of a controller from /proc/self/cgroup. */
static int own_cgroup_of(const char *ctrl, char *out, size_t size)
{
	char text[8192];
	int r = bench_read_at(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));

	return r < 0 ? r : bench_cgroup_path(text, 1, ctrl, out, size);
}

/* v1 mount of a controller from /proc/self/mountinfo: mount point and root. */
static int mount_of(const char *ctrl, char *mnt, size_t msize, char *root, size_t rsize)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *save = NULL, *fstype, *super;
		char *fields[5];
		int n = 0;
		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save); /* source */
		super = strtok_r(NULL, " \n", &save);
		if (!fstype || !super || strcmp(fstype, "cgroup") != 0 || !list_has(super, ctrl))
			continue;
		save = NULL;
		for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			fields[n++] = t;
		if (n < 5)
			continue;
		/* mountinfo escapes blanks as \040; cgroup mounts have none. */
		snprintf(root, rsize, "%s", fields[3]);
		snprintf(mnt, msize, "%s", fields[4]);
		return 0;
	}
	return -ENOENT;
}

/* First real block device "maj:min" for blkio.throttle.* as a fallback. */
static int first_block_dev(char *out, size_t size)
{
	_cleanup_closedir_ DIR *d = opendir("/sys/block");
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX], buf[32];
		if (de->d_name[0] == '.' || strncmp(de->d_name, "loop", 4) == 0 ||
		    strncmp(de->d_name, "ram", 3) == 0 || strncmp(de->d_name, "zram", 4) == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		if (bench_read_at(AT_FDCWD, path, buf, sizeof(buf)) > 0) {
			snprintf(out, size, "%s", bench_strip(buf));
			return 0;
		}
	}
	return -ENOENT;
}

static int discover(char *err)
{
	for (int c = 0; c < N_CTRL; c++) {
		char mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX];
		const char *rel;
		int h, r;

		r = mount_of(ctrl_names[c], mnt, sizeof(mnt), root, sizeof(root));
		if (r < 0) {
			set_err(err, "controller %s: no cgroup v1 hierarchy mounted", ctrl_names[c]);
			return -ENOENT;
		}
		r = own_cgroup_of(ctrl_names[c], own, sizeof(own));
		if (r < 0) {
			set_err(err, "controller %s: not in /proc/self/cgroup", ctrl_names[c]);
			return -ENOENT;
		}
		/* Path inside the mount: strip the mount's root. */
		rel = own;
		if (strcmp(root, "/") != 0) {
			size_t rl = strlen(root);
			if (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0')) {
				set_err(err, "controller %s: own cgroup %s outside the mount root %s",
					ctrl_names[c], own, root);
				return -EXDEV;
			}
			rel = own + rl;
			if (*rel == '\0')
				rel = "/";
		}
		for (h = 0; h < n_hiers; h++)
			if (strcmp(hiers[h].mount, mnt) == 0)
				break;
		if (h == n_hiers) {
			struct hier *hp = &hiers[n_hiers++];
			snprintf(hp->mount, sizeof(hp->mount), "%s", mnt);
			snprintf(hp->own, sizeof(hp->own), "%s", rel);
		}
		hiers[h].ctrls[hiers[h].nctrls++] = c;
		ctrl_hier[c] = h;
		/* libcgroup 2.0.2 uses one name in every hierarchy. */
		if (c == 0)
			snprintf(own_path, sizeof(own_path), "%s", rel);
		else if (strcmp(own_path, rel) != 0) {
			set_err(err, "own cgroup differs between hierarchies (%s: %s, %s: %s); "
				"libcgroup 2.0.2 cannot name one group in all of them",
				ctrl_names[0], own_path, ctrl_names[c], rel);
			return -EXDEV;
		}
	}
	if (strcmp(own_path, "/") == 0)
		lib_prefix[0] = '\0';
	else
		snprintf(lib_prefix, sizeof(lib_prefix), "%s/", own_path + 1);
	return 0;
}

/* Create <top>/<name> in every hierarchy, optionally with the values. */
static int bare_mkgroup(const char *name, bool with_values)
{
	char path[PATH_MAX];

	for (int h = 0; h < n_hiers; h++)
		if (mkdirat(hiers[h].topfd, name, 0755) < 0 && errno != EEXIST)
			return -errno;
	if (!with_values)
		return 0;
	for (int v = 0; v < N_VALUES; v++) {
		int r;
		snprintf(path, sizeof(path), "%s/%s", name, values[v].name);
		r = bench_write_at(hiers[ctrl_hier[values[v].ctrl]].topfd, path, values[v].value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Pick 6 values that exist and are writable on this kernel. */
static int pick_values(char *err)
{
	char dev[64], buf[256], bps[80];
	struct cand {
		int ctrl;
		const char *name;
		const char *value;
	};
	const struct cand fixed[] = {
		{ CTRL_CPU, "cpu.shares", "512" },
		{ CTRL_CPU, "cpu.cfs_period_us", "100000" },
		{ CTRL_CPU, "cpu.cfs_quota_us", "50000" },
		{ CTRL_CPUACCT, "cpuacct.usage", "0" },
		{ CTRL_PIDS, "pids.max", "512" },
	};
	struct cand blk[] = {
		{ CTRL_BLKIO, "blkio.bfq.weight", "200" },
		{ CTRL_BLKIO, "blkio.weight", "200" },
		{ CTRL_BLKIO, "blkio.throttle.read_bps_device", NULL },
	};
	int n = 0, r;

	if (first_block_dev(dev, sizeof(dev)) == 0) {
		snprintf(bps, sizeof(bps), "%s 10485760", dev);
		blk[2].value = bps;
	}
	r = bare_mkgroup("probe", false);
	if (r < 0) {
		set_err(err, "mkdir probe group: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
		char path[128];
		snprintf(path, sizeof(path), "probe/%s", fixed[i].name);
		r = bench_write_at(hiers[ctrl_hier[fixed[i].ctrl]].topfd, path, fixed[i].value);
		if (r < 0) {
			set_err(err, "%s: cannot write %s: %s", fixed[i].name, fixed[i].value, strerror(-r));
			return r;
		}
		values[n].ctrl = fixed[i].ctrl;
		snprintf(values[n].name, sizeof(values[n].name), "%s", fixed[i].name);
		snprintf(values[n].value, sizeof(values[n].value), "%s", fixed[i].value);
		n++;
	}
	for (size_t i = 0; i < ELEMENTSOF(blk) && n < N_VALUES; i++) {
		char path[128];
		if (!blk[i].value)
			continue;
		snprintf(path, sizeof(path), "probe/%s", blk[i].name);
		if (bench_write_at(hiers[ctrl_hier[CTRL_BLKIO]].topfd, path, blk[i].value) < 0)
			continue;
		values[n].ctrl = CTRL_BLKIO;
		snprintf(values[n].name, sizeof(values[n].name), "%s", blk[i].name);
		snprintf(values[n].value, sizeof(values[n].value), "%s", blk[i].value);
		n++;
	}
	if (n < N_VALUES) {
		set_err(err, "no writable blkio value (blkio.bfq.weight, blkio.weight, "
			"blkio.throttle.read_bps_device)");
		return -ENOENT;
	}
	/* The values must read back as written (cpu.shares is exact). */
	if (bench_read_at(hiers[ctrl_hier[CTRL_CPU]].topfd, "probe/cpu.shares", buf, sizeof(buf)) < 0 ||
	    strcmp(bench_strip(buf), "512") != 0) {
		set_err(err, "probe: cpu.shares does not read back as 512");
		return -EIO;
	}
	for (int h = 0; h < n_hiers; h++)
		if (unlinkat(hiers[h].topfd, "probe", AT_REMOVEDIR) < 0) {
			int e = errno;
			set_err(err, "rmdir probe group: %s", strerror(e));
			return -e;
		}
	return 0;
}

static int setup_tree(int n_get_groups, char *err)
{
	char path[PATH_MAX];
	int rr = bench_random_name("olbench", top_name, sizeof(top_name));

	if (rr < 0) {
		set_err(err, "getrandom: %s", strerror(-rr));
		return -EIO;
	}
	snprintf(tid_str, sizeof(tid_str), "%d", (int)gettid());
	tid_len = strlen(tid_str);

	for (int h = 0; h < n_hiers; h++) {
		struct hier *hp = &hiers[h];
		if (snprintf(path, sizeof(path), "%s%s", hp->mount, hp->own) >= (int)sizeof(path)) {
			set_err(err, "path too long: %s%s", hp->mount, hp->own);
			return -ENAMETOOLONG;
		}
		hp->basefd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (hp->basefd < 0) {
			int e = errno;
			set_err(err, "open %s: %s", path, strerror(e));
			return -e;
		}
		hp->org_tasks = openat(hp->basefd, "tasks", O_WRONLY | O_CLOEXEC);
		if (hp->org_tasks < 0) {
			int e = errno;
			set_err(err, "open %s/tasks: %s", path, strerror(e));
			return -e;
		}
		if (mkdirat(hp->basefd, top_name, 0755) < 0) {
			int e = errno;
			set_err(err, "mkdir %s/%s: %s", path, top_name, strerror(e));
			return -e;
		}
		tree_made = 1;
		hp->topfd = openat(hp->basefd, top_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (hp->topfd < 0) {
			int e = errno;
			set_err(err, "open %s/%s: %s", path, top_name, strerror(e));
			return -e;
		}
	}
	if (pick_values(err) < 0)
		return -EIO;

	/* attach target */
	{
		int r = bare_mkgroup("attach", false);
		if (r < 0) {
			set_err(err, "mkdir attach group: %s", strerror(-r));
			return r;
		}
	}
	for (int h = 0; h < n_hiers; h++) {
		hiers[h].tgt_tasks = openat(hiers[h].topfd, "attach/tasks", O_WRONLY | O_CLOEXEC);
		if (hiers[h].tgt_tasks < 0) {
			int e = errno;
			set_err(err, "open attach/tasks: %s", strerror(e));
			return -e;
		}
	}
	/* groups read by the get benchmark */
	for (int i = 0; i < n_get_groups; i++) {
		char name[32];
		int r;
		snprintf(name, sizeof(name), "g%d", i);
		r = bare_mkgroup(name, true);
		if (r < 0) {
			set_err(err, "create %s: %s", name, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The library table                                                    */

struct cgapi {
	const char *label;
	char path[PATH_MAX];
	void *dl;
	bool ok;
	char err[256];
	typeof(cgroup_init) *init;
	typeof(cgroup_new_cgroup) *new_cgroup;
	typeof(cgroup_add_controller) *add_controller;
	typeof(cgroup_add_value_string) *add_value_string;
	typeof(cgroup_create_cgroup) *create_cgroup;
	typeof(cgroup_delete_cgroup) *delete_cgroup;
	typeof(cgroup_free) *free_cgroup;
	typeof(cgroup_attach_task) *attach_task;
	typeof(cgroup_get_cgroup) *get_cgroup;
	typeof(cgroup_get_controller) *get_controller;
	typeof(cgroup_get_value_string) *get_value_string;
	typeof(cgroup_get_value_name_count) *get_value_name_count;
	typeof(cgroup_strerror) *strerror_fn;
	typeof(cgroup_get_last_errno) *last_errno;
	typeof(cgroup_set_namespace) *set_namespace; /* openlve only, optional */
	const char *name_prefix; /* prepended to every group name */
	int values_per_group;    /* reported by cgroup_get_cgroup, per group */
};

static const char *api_strerror(struct cgapi *a, int code, char *buf, size_t size)
{
	const char *s = a->strerror_fn ? a->strerror_fn(code) : NULL;
	if (code == ECGOTHER && a->last_errno)
		snprintf(buf, size, "%d (%s: %s)", code, s ? s : "?", strerror(a->last_errno()));
	else
		snprintf(buf, size, "%d (%s)", code, s ? s : "?");
	return buf;
}

static int api_load(struct cgapi *a)
{
	struct sym {
		const char *name;
		void **slot;
		bool optional;
	} syms[] = {
		{ "cgroup_init", (void **)&a->init, false },
		{ "cgroup_new_cgroup", (void **)&a->new_cgroup, false },
		{ "cgroup_add_controller", (void **)&a->add_controller, false },
		{ "cgroup_add_value_string", (void **)&a->add_value_string, false },
		{ "cgroup_create_cgroup", (void **)&a->create_cgroup, false },
		{ "cgroup_delete_cgroup", (void **)&a->delete_cgroup, false },
		{ "cgroup_free", (void **)&a->free_cgroup, false },
		{ "cgroup_attach_task", (void **)&a->attach_task, false },
		{ "cgroup_get_cgroup", (void **)&a->get_cgroup, false },
		{ "cgroup_get_controller", (void **)&a->get_controller, false },
		{ "cgroup_get_value_string", (void **)&a->get_value_string, false },
		{ "cgroup_get_value_name_count", (void **)&a->get_value_name_count, false },
		{ "cgroup_strerror", (void **)&a->strerror_fn, false },
		{ "cgroup_get_last_errno", (void **)&a->last_errno, false },
		{ "cgroup_set_namespace", (void **)&a->set_namespace, true },
	};
	char missing[200] = "";
	char ebuf[128];
	int r;

	a->dl = dlopen(a->path, BENCH_DLFLAGS);
	if (!a->dl) {
		set_err(a->err, "dlopen: %s", dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
		*syms[i].slot = dlsym(a->dl, syms[i].name);
		if (!*syms[i].slot && !syms[i].optional) {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? " " : "", syms[i].name);
		}
	}
	if (missing[0]) {
		set_err(a->err, "missing symbols: %s", missing);
		return -ENOENT;
	}
	r = a->init();
	if (r != 0) {
		set_err(a->err, "cgroup_init: %s", api_strerror(a, r, ebuf, sizeof(ebuf)));
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The three operations, library flavour                                */

static struct cgroup *api_group(struct cgapi *a, const char *name, bool with_values, char *err)
{
	char full[PATH_MAX];
	struct cgroup *cg;

	snprintf(full, sizeof(full), "%s%s", a->name_prefix, name);
	cg = a->new_cgroup(full);
	if (!cg) {
		set_err(err, "cgroup_new_cgroup(%s) failed", full);
		return NULL;
	}
	for (int c = 0; c < N_CTRL; c++) {
		struct cgroup_controller *cc = a->add_controller(cg, ctrl_names[c]);
		if (!cc) {
			set_err(err, "cgroup_add_controller(%s, %s) failed", full, ctrl_names[c]);
			a->free_cgroup(&cg);
			return NULL;
		}
		if (!with_values)
			continue;
		for (int v = 0; v < N_VALUES; v++) {
			int r;
			if (values[v].ctrl != c)
				continue;
			r = a->add_value_string(cc, values[v].name, values[v].value);
			if (r != 0) {
				char ebuf[128];
				set_err(err, "cgroup_add_value_string(%s): %s", values[v].name,
					api_strerror(a, r, ebuf, sizeof(ebuf)));
				a->free_cgroup(&cg);
				return NULL;
			}
		}
	}
	return cg;
}

static int api_create_delete(struct cgapi *a, int first, int n, char *err)
{
	char name[64], ebuf[128];

	for (int i = 0; i < n; i++) {
		struct cgroup *cg;
		int r;
		snprintf(name, sizeof(name), "%s/c%d", top_name, first + i);
		cg = api_group(a, name, true, err);
		if (!cg)
			return -EIO;
		r = a->create_cgroup(cg, 1);
		if (r != 0) {
			set_err(err, "cgroup_create_cgroup(%s): %s", name, api_strerror(a, r, ebuf, sizeof(ebuf)));
			a->free_cgroup(&cg);
			return -EIO;
		}
		r = a->delete_cgroup(cg, 0);
		if (r != 0) {
			set_err(err, "cgroup_delete_cgroup(%s): %s", name, api_strerror(a, r, ebuf, sizeof(ebuf)));
			a->free_cgroup(&cg);
			return -EIO;
		}
		a->free_cgroup(&cg);
	}
	return 0;
}

struct attach_ctx {
	struct cgroup *tgt, *org;
};

static int api_attach(struct cgapi *a, struct attach_ctx *ctx, int n, char *err)
{
	char ebuf[128];

	for (int i = 0; i < n; i++) {
		int r = a->attach_task(ctx->tgt);
		if (r != 0) {
			set_err(err, "cgroup_attach_task(target): %s", api_strerror(a, r, ebuf, sizeof(ebuf)));
			return -EIO;
		}
		r = a->attach_task(ctx->org);
		if (r != 0) {
			set_err(err, "cgroup_attach_task(origin): %s", api_strerror(a, r, ebuf, sizeof(ebuf)));
			return -EIO;
		}
	}
	return 0;
}

static int api_get(struct cgapi *a, int first, int n, char *err)
{
	char name[64], full[PATH_MAX], ebuf[128];

	for (int i = 0; i < n; i++) {
		struct cgroup *cg;
		int r;
		snprintf(name, sizeof(name), "%s/g%d", top_name, first + i);
		snprintf(full, sizeof(full), "%s%s", a->name_prefix, name);
		cg = a->new_cgroup(full);
		if (!cg) {
			set_err(err, "cgroup_new_cgroup(%s) failed", full);
			return -EIO;
		}
		r = a->get_cgroup(cg);
		a->free_cgroup(&cg);
		if (r != 0) {
			set_err(err, "cgroup_get_cgroup(%s): %s", name, api_strerror(a, r, ebuf, sizeof(ebuf)));
			return -EIO;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The three operations, bare syscalls on kept fds                     */

static int bare_create_delete(int first, int n, char *err)
{
	char name[32], path[128];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%d", first + i);
		for (int h = 0; h < n_hiers; h++)
			if (mkdirat(hiers[h].topfd, name, 0755) < 0) {
				int e = errno;
				set_err(err, "mkdirat %s: %s", name, strerror(e));
				return -e;
			}
		for (int v = 0; v < N_VALUES; v++) {
			int fd;
			size_t len = strlen(values[v].value);
			snprintf(path, sizeof(path), "%s/%s", name, values[v].name);
			fd = openat(hiers[ctrl_hier[values[v].ctrl]].topfd, path, O_WRONLY | O_CLOEXEC);
			if (fd < 0) {
				int e = errno;
				set_err(err, "openat %s: %s", path, strerror(e));
				return -e;
			}
			if (write(fd, values[v].value, len) != (ssize_t)len) {
				set_err(err, "write %s: %s", path, strerror(errno));
				close(fd);
				return -EIO;
			}
			close(fd);
		}
		for (int h = 0; h < n_hiers; h++)
			if (unlinkat(hiers[h].topfd, name, AT_REMOVEDIR) < 0) {
				int e = errno;
				set_err(err, "rmdir %s: %s", name, strerror(e));
				return -e;
			}
	}
	return 0;
}

static int bare_attach(int n, char *err)
{
	for (int i = 0; i < n; i++) {
		for (int h = 0; h < n_hiers; h++)
			if (write(hiers[h].tgt_tasks, tid_str, tid_len) != (ssize_t)tid_len) {
				set_err(err, "write target tasks: %s", strerror(errno));
				return -EIO;
			}
		for (int h = 0; h < n_hiers; h++)
			if (write(hiers[h].org_tasks, tid_str, tid_len) != (ssize_t)tid_len) {
				set_err(err, "write origin tasks: %s", strerror(errno));
				return -EIO;
			}
	}
	return 0;
}

/* Does a directory entry belong to one of the hierarchy's controllers
 * ("<ctrl>.<something>", the files libcgroup reports as values)? */
static bool is_ctrl_file(const struct hier *hp, const char *name)
{
	for (int k = 0; k < hp->nctrls; k++) {
		const char *c = ctrl_names[hp->ctrls[k]];
		size_t l = strlen(c);
		if (strncmp(name, c, l) == 0 && name[l] == '.')
			return true;
	}
	return false;
}

/* Reads every controller file of the group; returns the number read. */
static int bare_get_one(const char *name, char *err)
{
	char buf[8192];
	int count = 0;

	for (int h = 0; h < n_hiers; h++) {
		struct dirent *de;
		DIR *d;
		int dfd = openat(hiers[h].topfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			int e = errno;
			set_err(err, "openat %s: %s", name, strerror(e));
			return -e;
		}
		d = fdopendir(dfd);
		if (!d) {
			close(dfd);
			int e = errno;
			set_err(err, "fdopendir %s: %s", name, strerror(e));
			return -e;
		}
		while ((de = readdir(d))) {
			int fd;
			if (de->d_type != DT_REG || !is_ctrl_file(&hiers[h], de->d_name))
				continue;
			fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue; /* write-only (blkio.reset_stats): EACCES */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
			count++;
		}
		closedir(d);
	}
	return count;
}

static int bare_files_per_group;

static int bare_get(int first, int n, char *err)
{
	char name[32];

	for (int i = 0; i < n; i++) {
		int r;
		snprintf(name, sizeof(name), "g%d", first + i);
		r = bare_get_one(name, err);
		if (r < 0)
			return r;
		bare_files_per_group = r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Validation: each implementation must really do the work it is timed on */

/* Does /proc/thread-self/cgroup put us in <own>[/suffix] in all 4 hierarchies? */
static bool thread_in(const char *suffix)
{
	char buf[4096], want[PATH_MAX];
	int ok = 0;

	if (bench_read_at(AT_FDCWD, "/proc/thread-self/cgroup", buf, sizeof(buf)) < 0)
		return false;
	if (suffix) {
		if (snprintf(want, sizeof(want), "%s/%s", strcmp(own_path, "/") == 0 ? "" : own_path,
			     suffix) >= (int)sizeof(want))
			return false;
	} else
		snprintf(want, sizeof(want), "%s", own_path);
	for (int c = 0; c < N_CTRL; c++) {
		char *save = NULL;
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", buf);
		for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *c1 = strchr(line, ':'), *c2;
			if (!c1 || !(c2 = strchr(c1 + 1, ':')))
				continue;
			*c2 = '\0';
			if (list_has(c1 + 1, ctrl_names[c]) && strcmp(c2 + 1, want) == 0) {
				ok++;
				break;
			}
		}
	}
	return ok == N_CTRL;
}

static int validate_create(struct cgapi *a, char *err)
{
	char name[64], buf[256], ebuf[128];
	struct cgroup *cg;
	int r;

	/* directories and values must appear, delete must remove them */
	snprintf(name, sizeof(name), "%s/validate", top_name);
	cg = api_group(a, name, true, err);
	if (!cg)
		return -EIO;
	r = a->create_cgroup(cg, 1);
	if (r != 0) {
		set_err(err, "cgroup_create_cgroup(%s): %s", name, api_strerror(a, r, ebuf, sizeof(ebuf)));
		a->free_cgroup(&cg);
		return -EIO;
	}
	for (int v = 0; v < N_VALUES; v++) {
		char path[128];
		if (strcmp(values[v].name, "cpu.shares") != 0 && strcmp(values[v].name, "pids.max") != 0 &&
		    strcmp(values[v].name, "cpu.cfs_quota_us") != 0)
			continue;
		snprintf(path, sizeof(path), "validate/%s", values[v].name);
		if (bench_read_at(hiers[ctrl_hier[values[v].ctrl]].topfd, path, buf, sizeof(buf)) < 0 ||
		    strcmp(bench_strip(buf), values[v].value) != 0) {
			set_err(err, "after cgroup_create_cgroup, %s is not %s", values[v].name, values[v].value);
			a->free_cgroup(&cg);
			return -EIO;
		}
	}
	r = a->delete_cgroup(cg, 0);
	a->free_cgroup(&cg);
	if (r != 0) {
		set_err(err, "cgroup_delete_cgroup(%s): %s", name, api_strerror(a, r, ebuf, sizeof(ebuf)));
		return -EIO;
	}
	for (int h = 0; h < n_hiers; h++) {
		struct stat st;
		if (fstatat(hiers[h].topfd, "validate", &st, AT_SYMLINK_NOFOLLOW) == 0) {
			set_err(err, "cgroup_delete_cgroup left %s%s/%s/validate", hiers[h].mount,
				strcmp(hiers[h].own, "/") == 0 ? "" : hiers[h].own, top_name);
			return -EIO;
		}
	}
	return 0;
}

static int validate_attach(struct cgapi *a, struct attach_ctx *ctx, char *err)
{
	char name[64], ebuf[128];
	int r;

	/* the thread must really move, and back */
	r = a->attach_task(ctx->tgt);
	if (r != 0) {
		set_err(err, "cgroup_attach_task(target): %s", api_strerror(a, r, ebuf, sizeof(ebuf)));
		return -EIO;
	}
	snprintf(name, sizeof(name), "%s/attach", top_name);
	if (!thread_in(name)) {
		set_err(err, "after cgroup_attach_task the thread is not in %s in all 4 hierarchies", name);
		return -EIO;
	}
	r = a->attach_task(ctx->org);
	if (r != 0) {
		set_err(err, "cgroup_attach_task(origin): %s", api_strerror(a, r, ebuf, sizeof(ebuf)));
		return -EIO;
	}
	if (!thread_in(NULL)) {
		set_err(err, "cgroup_attach_task(origin) did not move the thread back");
		return -EIO;
	}
	return 0;
}

static int validate_get(struct cgapi *a, char *err)
{
	char full[PATH_MAX], ebuf[128];
	struct cgroup_controller *cc;
	struct cgroup *cg;
	char *val = NULL;
	int r, total = 0;

	/* the group's values must come back */
	snprintf(full, sizeof(full), "%s%s/g0", a->name_prefix, top_name);
	cg = a->new_cgroup(full);
	if (!cg) {
		set_err(err, "cgroup_new_cgroup(%s) failed", full);
		return -EIO;
	}
	r = a->get_cgroup(cg);
	if (r != 0) {
		set_err(err, "cgroup_get_cgroup(%s): %s", full, api_strerror(a, r, ebuf, sizeof(ebuf)));
		a->free_cgroup(&cg);
		return -EIO;
	}
	for (int c = 0; c < N_CTRL; c++) {
		int k;
		cc = a->get_controller(cg, ctrl_names[c]);
		k = cc ? a->get_value_name_count(cc) : 0;
		if (k <= 0) {
			set_err(err, "cgroup_get_cgroup(%s) returned no %s values", full, ctrl_names[c]);
			a->free_cgroup(&cg);
			return -EIO;
		}
		total += k;
	}
	cc = a->get_controller(cg, "cpu");
	r = a->get_value_string(cc, "cpu.shares", &val);
	if (r != 0 || !val || strcmp(bench_strip(val), "512") != 0) {
		set_err(err, "cgroup_get_cgroup(%s): cpu.shares is %s, not 512", full,
			r == 0 && val ? val : "missing");
		free(val);
		a->free_cgroup(&cg);
		return -EIO;
	}
	free(val);
	a->free_cgroup(&cg);
	a->values_per_group = total;
	return 0;
}

static int api_prepare(struct cgapi *a, struct attach_ctx *ctx)
{
	char name[64], ebuf[128];

	if (strcmp(own_path, "/") != 0) {
		if (a->set_namespace) {
			/* ours: root the names at our own cgroup */
			for (int c = 0; c < N_CTRL; c++) {
				int r = a->set_namespace(ctrl_names[c], own_path);
				if (r != 0) {
					set_err(a->err, "cgroup_set_namespace(%s, %s): %s", ctrl_names[c],
						own_path, api_strerror(a, r, ebuf, sizeof(ebuf)));
					return -EIO;
				}
			}
			a->name_prefix = "";
		} else
			a->name_prefix = lib_prefix;
	} else
		a->name_prefix = "";

	snprintf(name, sizeof(name), "%s/attach", top_name);
	ctx->tgt = api_group(a, name, false, a->err);
	if (!ctx->tgt)
		return -EIO;
	/* origin: our own cgroup ("/" in ours' namespace, or the full path) */
	{
		struct cgapi tmp = *a;
		tmp.name_prefix = "";
		ctx->org = api_group(&tmp, a->name_prefix[0] ? own_path + 1 : "/", false, a->err);
	}
	if (!ctx->org)
		return -EIO;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                               */

enum { OP_CREATE, OP_ATTACH, OP_GET, N_OPS };
enum { IMPL_BARE, IMPL_OURS, IMPL_LIB, N_IMPL };

static const char *const op_keys[N_OPS] = { "create_delete", "attach", "get_cgroup" };
static const char *const op_short[N_OPS] = { "create", "attach", "get" };
static bool op_on[N_OPS] = { true, true, true };
static const char *const op_titles[N_OPS] = {
	"create+delete (4 ctrl, 6 values)",
	"attach thread + back",
	"get_cgroup (all values)",
};
static const char *const impl_keys[N_IMPL] = { "bare", "openlve", "libcgroup" };
static const char *const impl_titles[N_IMPL] = { "bare", "openlve", "libcgroup-2.0.2" };

#define MAX_REPS 51
#define N_SLICES 10

struct result {
	bool enabled;           /* requested */
	bool failed;            /* could not be loaded/prepared */
	char err[256];          /* why not */
	bool op_failed[N_OPS];  /* validation or a run failed: no figure */
	char op_err[N_OPS][256];
	double runs[N_OPS][MAX_REPS]; /* µs per op of each repetition */
	int nruns[N_OPS];
	double median[N_OPS];
};

static struct cgapi apis[N_IMPL];
static struct attach_ctx ctxs[N_IMPL];
static struct result results[N_IMPL];

static int run_op(int impl, int op, int first, int n)
{
	char *err = results[impl].op_err[op];

	switch (impl) {
	case IMPL_BARE:
		switch (op) {
		case OP_CREATE:
			return bare_create_delete(first, n, err);
		case OP_ATTACH:
			return bare_attach(n, err);
		default:
			return bare_get(first, n, err);
		}
	default:
		switch (op) {
		case OP_CREATE:
			return api_create_delete(&apis[impl], first, n, err);
		case OP_ATTACH:
			return api_attach(&apis[impl], &ctxs[impl], n, err);
		default:
			return api_get(&apis[impl], first, n, err);
		}
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static bool have(int impl, int op)
{
	return results[impl].enabled && !results[impl].failed && !results[impl].op_failed[op] &&
	       results[impl].nruns[op] > 0;
}

struct target {
	const char *what;
	int op;
	int num, den;   /* ratio = median[num] / median[den] */
	double limit;   /* met when ratio >= limit (faster) or <= limit (within) */
	bool at_least;
};

static const struct target targets[] = {
	{ "openlve >= 2x faster than libcgroup-2.0.2", OP_CREATE, IMPL_LIB, IMPL_OURS, 2.0, true },
	{ "openlve >= 2x faster than libcgroup-2.0.2", OP_ATTACH, IMPL_LIB, IMPL_OURS, 2.0, true },
	{ "openlve >= 2x faster than libcgroup-2.0.2", OP_GET, IMPL_LIB, IMPL_OURS, 2.0, true },
	{ "openlve within 1.25x of bare", OP_ATTACH, IMPL_OURS, IMPL_BARE, 1.25, false },
};

/* 1 met, 0 not met, -1 not measured */
static int target_state(const struct target *t, double *ratio)
{
	if (!have(t->num, t->op) || !have(t->den, t->op) || results[t->den].median[t->op] <= 0)
		return -1;
	*ratio = results[t->num].median[t->op] / results[t->den].median[t->op];
	return t->at_least ? *ratio >= t->limit : *ratio <= t->limit;
}

static void print_table(const int iters[N_OPS], int reps)
{
	struct utsname u;

	uname(&u);
	printf("openlve cgroup benchmark  kernel %s  controllers cpu,cpuacct,pids,blkio (%d hierarchies)\n",
	       u.release, n_hiers);
	printf("values:");
	for (int v = 0; v < N_VALUES; v++)
		printf(" %s=%s", values[v].name, values[v].value);
	printf("\ngroups under %s/%s in each hierarchy; median of %d runs, microseconds per operation\n",
	       strcmp(own_path, "/") == 0 ? "" : own_path, top_name, reps);
	for (int i = IMPL_OURS; i < N_IMPL; i++)
		if (results[i].enabled)
			printf("%-16s %s\n", impl_titles[i], apis[i].path);
	printf("\n%-34s %7s %10s %10s %16s %13s %17s\n", "operation", "iters", impl_titles[IMPL_BARE],
	       impl_titles[IMPL_OURS], impl_titles[IMPL_LIB], "openlve/bare", "libcgroup/openlve");
	for (int op = 0; op < N_OPS; op++) {
		char cell[N_IMPL][32], r1[32] = "-", r2[32] = "-";
		for (int i = 0; i < N_IMPL; i++) {
			if (have(i, op))
				snprintf(cell[i], sizeof(cell[i]), "%.2f", results[i].median[op]);
			else
				snprintf(cell[i], sizeof(cell[i]), "%s",
					 results[i].enabled && op_on[op] ? "error" : "-");
		}
		if (have(IMPL_OURS, op) && have(IMPL_BARE, op))
			snprintf(r1, sizeof(r1), "%.2fx",
				 results[IMPL_OURS].median[op] / results[IMPL_BARE].median[op]);
		if (have(IMPL_LIB, op) && have(IMPL_OURS, op))
			snprintf(r2, sizeof(r2), "%.2fx",
				 results[IMPL_LIB].median[op] / results[IMPL_OURS].median[op]);
		printf("%-34s %7d %10s %10s %16s %13s %17s\n", op_titles[op], iters[op], cell[IMPL_BARE],
		       cell[IMPL_OURS], cell[IMPL_LIB], r1, r2);
	}
	printf("\ntargets:\n");
	for (size_t t = 0; t < ELEMENTSOF(targets); t++) {
		double ratio = 0;
		int st = target_state(&targets[t], &ratio);
		printf("  %-16s %-44s ", op_keys[targets[t].op], targets[t].what);
		if (st < 0)
			printf("not measured\n");
		else
			printf("%s (%.2fx)\n", st ? "met" : "NOT met", ratio);
	}
	printf("values per group read by get_cgroup:");
	if (bare_files_per_group > 0)
		printf(" bare %d files", bare_files_per_group);
	for (int i = IMPL_OURS; i < N_IMPL; i++)
		if (results[i].enabled && apis[i].values_per_group > 0)
			printf(", %s %d", impl_titles[i], apis[i].values_per_group);
	printf("\n");
	for (int i = 0; i < N_IMPL; i++) {
		if (results[i].err[0])
			printf("ERROR %s: %s\n", impl_titles[i], results[i].err);
		for (int op = 0; op < N_OPS; op++)
			if (results[i].op_failed[op])
				printf("ERROR %s %s: %s\n", impl_titles[i], op_keys[op], results[i].op_err[op]);
	}
}

static void print_json(const int iters[N_OPS], int reps)
{
	struct utsname u;
	bool first;

	uname(&u);
	printf("{\"kernel\":");
	json_str(stdout, u.release);
	printf(",\"hierarchies\":%d,\"reps\":%d,\"top\":", n_hiers, reps);
	json_str(stdout, top_name);
	printf(",\"values\":{");
	for (int v = 0; v < N_VALUES; v++) {
		printf("%s", v ? "," : "");
		json_str(stdout, values[v].name);
		putchar(':');
		json_str(stdout, values[v].value);
	}
	printf("},\"iterations\":{");
	for (int op = 0; op < N_OPS; op++)
		printf("%s\"%s\":%d", op ? "," : "", op_keys[op], iters[op]);
	printf("},\"bare_files_per_group\":%d,\"implementations\":{", bare_files_per_group);
	for (int i = 0; i < N_IMPL; i++) {
		printf("%s\"%s\":{\"enabled\":%s,\"ok\":%s", i ? "," : "", impl_keys[i],
		       results[i].enabled ? "true" : "false",
		       results[i].enabled && !results[i].failed ? "true" : "false");
		if (i != IMPL_BARE) {
			printf(",\"path\":");
			json_str(stdout, apis[i].path);
			printf(",\"values_per_group\":%d", apis[i].values_per_group);
		}
		if (results[i].err[0]) {
			printf(",\"error\":");
			json_str(stdout, results[i].err);
		}
		printf(",\"op_errors\":{");
		first = true;
		for (int op = 0; op < N_OPS; op++) {
			if (!results[i].op_failed[op])
				continue;
			printf("%s\"%s\":", first ? "" : ",", op_keys[op]);
			json_str(stdout, results[i].op_err[op]);
			first = false;
		}
		printf("}}");
	}
	printf("},\"results_us\":{");
	for (int op = 0; op < N_OPS; op++) {
		printf("%s\"%s\":{", op ? "," : "", op_keys[op]);
		first = true;
		for (int i = 0; i < N_IMPL; i++) {
			if (!have(i, op))
				continue;
			printf("%s\"%s\":{\"median\":%.3f,\"runs\":[", first ? "" : ",", impl_keys[i],
			       results[i].median[op]);
			for (int r = 0; r < results[i].nruns[op]; r++)
				printf("%s%.3f", r ? "," : "", results[i].runs[op][r]);
			printf("]}");
			first = false;
		}
		printf("}");
	}
	printf("},\"targets\":[");
	for (size_t t = 0; t < ELEMENTSOF(targets); t++) {
		double ratio = 0;
		int st = target_state(&targets[t], &ratio);
		printf("%s{\"op\":\"%s\",\"target\":", t ? "," : "", op_keys[targets[t].op]);
		json_str(stdout, targets[t].what);
		if (st < 0)
			printf(",\"met\":null}");
		else
			printf(",\"ratio\":%.3f,\"met\":%s}", ratio, st ? "true" : "false");
	}
	printf("]}\n");
}

static int find_ours(const char *opt, char *out, size_t size)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	char exe[PATH_MAX];
	ssize_t n;

	if (opt) {
		snprintf(out, size, "%s", opt);
		return 0;
	}
	if (root && *root) {
		snprintf(out, size, "%s/%s", root, OURS_SUBPATH);
		return 0;
	}
	/* <build>/bench/bench-cgroup -> <build>/src/libcgroup/... */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		for (int up = 0; up < 2 && (slash = strrchr(exe, '/')); up++)
			*slash = '\0';
		if (snprintf(out, size, "%s/%s", exe, OURS_SUBPATH) < (int)size && access(out, F_OK) == 0)
			return 0;
	}
	snprintf(out, size, "%s", OURS_SONAME); /* the installed one */
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-cgroup [OPTIONS]\n"
		"Time openlve's cgroup library against libcgroup 2.0.2 and bare syscalls.\n\n"
		"  --quick            fewer iterations (a smoke run)\n"
		"  --json             print the results as one JSON object\n"
		"  --reps N           timed repetitions per op and implementation (default 5)\n"
		"  --ours PATH        libopenlve-cgroup.so.1 to load (default: $OPENLVE_BUILD_ROOT/"
		OURS_SUBPATH ", or relative to this executable)\n"
		"  --libcgroup PATH   libcgroup to compare with (default " LIBCGROUP_DEFAULT ")\n"
		"  --no-libcgroup     skip libcgroup 2.0.2\n"
		"  --no-openlve       skip openlve (bare and libcgroup only)\n"
		"  --no-bare          skip the bare-syscall baseline\n"
		"  --ops LIST         only these of create,attach,get (e.g. for perf record)\n"
		"  -h, --help         this text\n"
		"Needs root and cgroup v1 cpu, cpuacct, pids and blkio hierarchies (exit 77 otherwise).\n"
		"Exit status 0 when everything ran (timing is never asserted), 1 on errors.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "reps", required_argument, NULL, 'r' },
		{ "ours", required_argument, NULL, 'o' },
		{ "libcgroup", required_argument, NULL, 'l' },
		{ "no-libcgroup", no_argument, NULL, 'L' },
		{ "no-openlve", no_argument, NULL, 'O' },
		{ "ops", required_argument, NULL, 'p' },
		{ "no-bare", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *ours_opt = NULL, *lib_path = LIBCGROUP_DEFAULT;
	bool quick = false, json = false, use_lib = true, use_ours = true, use_bare = true;
	int reps = 5, iters[N_OPS] = { 1000, 10000, 1000 };
	int warm[N_OPS];
	char err[256] = "";
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quick = true;
			break;
		case 'j':
			json = true;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > MAX_REPS) {
				fprintf(stderr, "bench-cgroup: --reps must be 1..%d\n", MAX_REPS);
				return 2;
			}
			reps = (int)v;
			break;
		}
		case 'o':
			ours_opt = optarg;
			break;
		case 'l':
			lib_path = optarg;
			break;
		case 'L':
			use_lib = false;
			break;
		case 'O':
			use_ours = false;
			break;
		case 'B':
			use_bare = false;
			break;
		case 'p': {
			_cleanup_free_ char *copy = strdup(optarg);
			char *save = NULL;
			if (!copy)
				return 1;
			memset(op_on, 0, sizeof(op_on));
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int op;
				for (op = 0; op < N_OPS; op++)
					if (strcmp(t, op_short[op]) == 0 || strcmp(t, op_keys[op]) == 0)
						break;
				if (op == N_OPS) {
					fprintf(stderr, "bench-cgroup: unknown op '%s' (create, attach, get)\n", t);
					return 2;
				}
				op_on[op] = true;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (quick) {
		iters[OP_CREATE] = 100;
		iters[OP_ATTACH] = 1000;
		iters[OP_GET] = 100;
	}
	for (int op = 0; op < N_OPS; op++)
		warm[op] = iters[op] / 10 > 10 ? iters[op] / 10 : 10;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int h = 0; h < N_CTRL; h++)
		hiers[h].basefd = hiers[h].topfd = hiers[h].org_tasks = hiers[h].tgt_tasks = -1;

	if (geteuid() != 0) {
		fprintf(stderr, "bench-cgroup: needs root (creates cgroups); skipped\n");
		return BENCH_EXIT_SKIP;
	}
	if (discover(err) < 0) {
		fprintf(stderr, "bench-cgroup: host not supported: %s; skipped\n", err);
		return BENCH_EXIT_SKIP;
	}

	install_signal_handlers();
	atexit(cleanup_tree);
	if (setup_tree(op_on[OP_GET] ? iters[OP_GET] : 0, err) < 0) {
		fprintf(stderr, "bench-cgroup: setup failed: %s\n", err);
		cleanup_tree();
		return 1;
	}

	apis[IMPL_OURS].label = impl_titles[IMPL_OURS];
	apis[IMPL_LIB].label = impl_titles[IMPL_LIB];
	if (find_ours(ours_opt, apis[IMPL_OURS].path, sizeof(apis[IMPL_OURS].path)) > 0 && use_ours && !json)
		fprintf(stderr, "bench-cgroup: no %s in a build tree (--ours, $OPENLVE_BUILD_ROOT or "
			"<build>/bench/..), trying the installed one\n", OURS_SONAME);
	snprintf(apis[IMPL_LIB].path, sizeof(apis[IMPL_LIB].path), "%s", lib_path);

	results[IMPL_BARE].enabled = use_bare;
	for (int i = IMPL_OURS; i < N_IMPL; i++) {
		struct cgapi *a = &apis[i];
		if ((i == IMPL_OURS && !use_ours) || (i == IMPL_LIB && !use_lib))
			continue;
		results[i].enabled = true;
		if (api_load(a) < 0 || api_prepare(a, &ctxs[i]) < 0) {
			results[i].failed = true;
			snprintf(results[i].err, sizeof(results[i].err), "%s", a->err);
			fprintf(stderr, "bench-cgroup: %s (%s): %s\n", impl_titles[i], a->path, a->err);
			move_back();
			continue;
		}
		if (!json)
			fprintf(stderr, "bench-cgroup: %s loaded from %s\n", impl_titles[i], a->path);
	}

	for (int op = 0; op < N_OPS; op++) {
		if (!op_on[op])
			continue;
		/* check the work is really done, then warm up */
		for (int i = 0; i < N_IMPL; i++) {
			struct result *res = &results[i];
			int r = 0;
			if (!res->enabled || res->failed)
				continue;
			if (i != IMPL_BARE) {
				if (op == OP_CREATE)
					r = validate_create(&apis[i], res->op_err[op]);
				else if (op == OP_ATTACH)
					r = validate_attach(&apis[i], &ctxs[i], res->op_err[op]);
				else
					r = validate_get(&apis[i], res->op_err[op]);
			}
			if (r >= 0)
				r = run_op(i, op, 0, warm[op]);
			if (r < 0) {
				res->op_failed[op] = true;
				fprintf(stderr, "bench-cgroup: %s %s: %s\n", impl_titles[i], op_keys[op],
					res->op_err[op]);
				move_back();
			}
		}
		for (int r = 0; r < reps; r++) {
			/* One repetition = iters[op] iterations of each implementation, run
			 * interleaved in N_SLICES slices (rotating which goes first), so
			 * slow drifts of the host hit all implementations alike. */
			double spent[N_IMPL] = { 0 };
			int slice = iters[op] / N_SLICES > 0 ? iters[op] / N_SLICES : iters[op];
			for (int first = 0, s = 0; first < iters[op]; first += slice, s++) {
				int n = iters[op] - first < slice ? iters[op] - first : slice;
				for (int k = 0; k < N_IMPL; k++) {
					int i = (k + s + r) % N_IMPL;
					struct result *res = &results[i];
					double t0, t1;
					if (!res->enabled || res->failed || res->op_failed[op])
						continue;
					t0 = bench_now_us();
					if (run_op(i, op, first, n) < 0) {
						res->op_failed[op] = true;
						fprintf(stderr, "bench-cgroup: %s %s: %s\n", impl_titles[i],
							op_keys[op], res->op_err[op]);
						move_back();
						continue;
					}
					t1 = bench_now_us();
					spent[i] += t1 - t0;
				}
			}
			for (int i = 0; i < N_IMPL; i++)
				if (results[i].enabled && !results[i].failed && !results[i].op_failed[op])
					results[i].runs[op][results[i].nruns[op]++] = spent[i] / iters[op];
		}
		for (int i = 0; i < N_IMPL; i++)
			results[i].median[op] = bench_median(results[i].runs[op], results[i].nruns[op]);
		if (!json)
			fprintf(stderr, "bench-cgroup: %s done\n", op_keys[op]);
	}

	for (int i = 0; i < N_IMPL; i++) {
		if (results[i].failed)
			ret = 1;
		for (int op = 0; op < N_OPS; op++)
			if (results[i].op_failed[op])
				ret = 1;
	}

	if (json)
		print_json(iters, reps);
	else
		print_table(iters, reps);

	for (int i = IMPL_OURS; i < N_IMPL; i++) {
		if (ctxs[i].tgt)
			apis[i].free_cgroup(&ctxs[i].tgt);
		if (ctxs[i].org)
			apis[i].free_cgroup(&ctxs[i].org);
	}
	cleanup_tree();
	for (int h = 0; h < n_hiers; h++) {
		safe_close(hiers[h].tgt_tasks);
		safe_close(hiers[h].org_tasks);
		safe_close(hiers[h].topfd);
		safe_close(hiers[h].basefd);
	}
	/* The libraries stay loaded: their destructors may run at exit. */
	return ret;
}
