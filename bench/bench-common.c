/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-common: the helpers every benchmark shares (see bench-common.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"

struct bench_hier bench_hier[BENCH_MAX_HIER];
int bench_nhier;
char bench_top[64];
char bench_tmpdir[64];
volatile sig_atomic_t bench_stop;

static void (*signal_hook)(int sig);

static const char *const our_ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids"};

/* ------------------------------------------------------------- clocks */

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(const double *v, int n)
{
	double *s, m;

	if (n <= 0)
		return 0;
	s = malloc(sizeof(*s) * (size_t)n);
	if (!s)
		return 0;
	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

int bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ------------------------------------------------------------ signals */

static void on_signal(int sig)
{
	bench_stop = sig;
	if (signal_hook)
		signal_hook(sig);
}

void bench_catch_signals(void (*hook)(int sig))
{
	struct sigaction sa = {.sa_handler = on_signal};

	signal_hook = hook;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* -------------------------------------------------------- small files */

int bench_read_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (size)
		buf[len] = '\0';
	return r < 0 ? r : (int)len;
}

int bench_write_at(int dirfd, const char *path, const char *s)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(s);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

char *bench_strip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int bench_copy_file_at(int from, int to, const char *name)
{
	char buf[4096];
	int r = bench_read_at(from, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	bench_strip(buf);
	if (!buf[0])
		return 0;
	return bench_write_at(to, name, buf);
}

/* ---------------------------------------------------- cgroup discovery */

int bench_cgroup_path(const char *text, int version, const char *ctrl, char *out, size_t size)
{
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		bool match = false;

		if (c2 && version == 2) {
			match = c2 == c1 + 1;
		} else if (c2) {
			for (const char *p = c1 + 1; p < c2;) {
				const char *e = memchr(p, ',', (size_t)(c2 - p));
				size_t l = (size_t)((e ? e : c2) - p);

				if (l == strlen(ctrl) && !strncmp(p, ctrl, l))
					match = true;
				p = e ? e + 1 : c2;
			}
		}
		if (match) {
			size_t l = (size_t)(nl - c2 - 1);

			if (l >= size)
				return -ENAMETOOLONG;
			memcpy(out, c2 + 1, l);
			out[l] = 0;
			return 0;
		}
		line = *nl ? nl + 1 : nl;
	}
	return -ENOENT;
}

static bool is_ours(const char *c)
{
	for (size_t i = 0; i < sizeof(our_ctrls) / sizeof(our_ctrls[0]); i++)
		if (!strcmp(c, our_ctrls[i]))
			return true;
	return false;
}

/* Append the controllers of list (separated by sep) that are ours to h->ctrls. */
static void add_ours(struct bench_hier *h, char *list, const char *sep)
{
	char *save = NULL;

	for (char *t = strtok_r(list, sep, &save); t; t = strtok_r(NULL, sep, &save))
		if (is_ours(t))
			snprintf(h->ctrls + strlen(h->ctrls), sizeof(h->ctrls) - strlen(h->ctrls), "%s%s",
			         h->ctrls[0] ? " " : "", t);
}

int bench_hier_path(const struct bench_hier *h, const char *text, char *out, size_t size)
{
	char first[64] = "";

	if (h->version == 1)
		sscanf(h->ctrls, "%63s", first);
	return bench_cgroup_path(text, h->version, first, out, size);
}

bool bench_hier_has(const struct bench_hier *h, const char *ctrl)
{
	size_t l = strlen(ctrl);

	for (const char *p = h->ctrls; *p;) {
		const char *e = strchrnul(p, ' ');

		if ((size_t)(e - p) == l && !strncmp(p, ctrl, l))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

int bench_hiers_find(void)
{
	char *mi = malloc(1 << 20), pc[8192];
	char *save = NULL;

	if (!mi)
		return -ENOMEM;
	if (bench_read_at(AT_FDCWD, "/proc/self/mountinfo", mi, 1 << 20) < 0 ||
	    bench_read_at(AT_FDCWD, "/proc/self/cgroup", pc, sizeof(pc)) < 0) {
		free(mi);
		return -EIO;
	}
	for (char *line = strtok_r(mi, "\n", &save); line && bench_nhier < BENCH_MAX_HIER;
	     line = strtok_r(NULL, "\n", &save)) {
		char mnt[512], fstype[64], opts[512], *dash = strstr(line, " - ");
		struct bench_hier *h = &bench_hier[bench_nhier];
		struct stat st;
		bool dup = false;

		if (!dash || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		memset(h, 0, sizeof(*h));
		h->ownfd = h->topfd = -1;
		snprintf(h->mount, sizeof(h->mount), "%s", mnt);
		if (!strcmp(fstype, "cgroup2")) {
			char path[700], avail[512];

			h->version = 2;
			snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
			if (bench_read_at(AT_FDCWD, path, avail, sizeof(avail)) < 0)
				continue;
			add_ours(h, bench_strip(avail), " ");
		} else if (!strcmp(fstype, "cgroup")) {
			h->version = 1;
			add_ours(h, opts, ",");
		} else {
			continue;
		}
		if (!h->ctrls[0] || stat(mnt, &st) < 0)
			continue;
		for (int i = 0; i < bench_nhier; i++)
			dup |= bench_hier[i].dev == st.st_dev;
		if (dup)
			continue;
		h->dev = st.st_dev;
		if (bench_hier_path(h, pc, h->own, sizeof(h->own)) < 0)
			continue;
		bench_nhier++;
	}
	free(mi);
	return bench_nhier;
}

void bench_hier_rel(const struct bench_hier *h, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", h->own + 1, h->own[1] ? "/" : "", bench_top);
}

/* ------------------------------------------------------ the subtree */

/* v2: "+c" for each of h's controllers into <dfd>/cgroup.subtree_control. */
static int delegate_ctrls(const struct bench_hier *h, int dfd)
{
	char ctrls[256], sc[512] = "", *save = NULL;

	snprintf(ctrls, sizeof(ctrls), "%s", h->ctrls);
	for (char *t = strtok_r(ctrls, " ", &save); t; t = strtok_r(NULL, " ", &save))
		snprintf(sc + strlen(sc), sizeof(sc) - strlen(sc), "%s+%s", sc[0] ? " " : "", t);
	return bench_write_at(dfd, "cgroup.subtree_control", sc);
}

/* mkdir parent/name, opened into *fd; cpuset of v1 copied from parent; v2 delegated. */
static int make_group(const struct bench_hier *h, int parent, const char *name, bool delegate, int *fd,
                      bool *made)
{
	int r;

	if (mkdirat(parent, name, 0755) < 0)
		return -errno;
	if (made)
		*made = true;
	*fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return -errno;
	if (h->version == 1 && bench_hier_has(h, "cpuset")) {
		r = bench_copy_file_at(parent, *fd, "cpuset.cpus");
		if (r >= 0)
			r = bench_copy_file_at(parent, *fd, "cpuset.mems");
		if (r < 0)
			return r;
	}
	if (h->version == 2 && delegate)
		return delegate_ctrls(h, *fd);
	return 0;
}

int bench_subtree_make(const char *prefix)
{
	int r = bench_random_name(prefix, bench_top, sizeof(bench_top));

	if (r < 0)
		return r;
	for (int k = 0; k < bench_nhier; k++) {
		struct bench_hier *h = &bench_hier[k];
		char path[sizeof(h->mount) + sizeof(h->own)];

		if ((size_t)snprintf(path, sizeof(path), "%s%s", h->mount, strcmp(h->own, "/") ? h->own : "") >=
		    sizeof(path))
			return -ENAMETOOLONG;
		h->ownfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->ownfd < 0)
			return -errno;
		r = make_group(h, h->ownfd, bench_top, true, &h->topfd, &h->made);
		if (r < 0)
			return r;
	}
	return 0;
}

int bench_subgroup_make(const char *name, bool delegate, int *fds)
{
	for (int k = 0; k < bench_nhier; k++) {
		int fd = -1, r = make_group(&bench_hier[k], bench_hier[k].topfd, name, delegate, &fd, NULL);

		if (r < 0 || !fds) {
			if (fd >= 0)
				close(fd);
			if (r < 0)
				return r;
		} else {
			fds[k] = fd;
		}
	}
	return 0;
}

int bench_random_name(const char *prefix, char *out, size_t size)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return errno ? -errno : -EIO;
	if ((size_t)snprintf(out, size, "%s-%08x", prefix, rnd) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int bench_tmpdir_make(const char *prefix)
{
	if ((size_t)snprintf(bench_tmpdir, sizeof(bench_tmpdir), "/tmp/%s-XXXXXX", prefix) >= sizeof(bench_tmpdir)) {
		bench_tmpdir[0] = 0;
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(bench_tmpdir)) {
		int e = errno;

		bench_tmpdir[0] = 0;
		return -e;
	}
	return 0;
}

int bench_conf_write(const char *lveroot)
{
	char conf[16384], path[sizeof(bench_tmpdir) + 16];
	size_t len = 0;
	FILE *f;

	for (int k = 0; k < bench_nhier; k++) {
		char ctrls[256], rel[PATH_MAX + 64], *save = NULL;

		bench_hier_rel(&bench_hier[k], rel, sizeof(rel));
		snprintf(ctrls, sizeof(ctrls), "%s", bench_hier[k].ctrls);
		for (char *t = strtok_r(ctrls, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			len += (size_t)snprintf(conf + len, sizeof(conf) - len, "cgroup_root.%s = %s/%s\n", t, rel,
			                        lveroot);
			if (len >= sizeof(conf))
				return -E2BIG;
		}
	}
	len += (size_t)snprintf(conf + len, sizeof(conf) - len,
	                        "state_dir = %s/state\nve_cfg = %s/ve.cfg\nsysconfig = %s/sysconfig\n"
	                        "info_file = %s/info\nlist_file = %s/list\n",
	                        bench_tmpdir, bench_tmpdir, bench_tmpdir, bench_tmpdir, bench_tmpdir);
	if (len >= sizeof(conf))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/openlve.conf", bench_tmpdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(conf, f);
	if (fclose(f) != 0)
		return -EIO;
	setenv("OPENLVE_CONF", path, 1);
	return 0;
}

/* ------------------------------------------------------------ removal */

/* SIGKILL every task of parent/name (its cgroup.procs); async-signal-safe. */
static void kill_tasks(int parent, const char *name)
{
	static const char procs[] = "/cgroup.procs";
	char path[NAME_MAX + sizeof(procs)], buf[8192];
	size_t l = strlen(name);
	ssize_t n;
	int fd;
	pid_t pid = 0;

	if (l > NAME_MAX)
		return;
	memcpy(path, name, l);
	memcpy(path + l, procs, sizeof(procs));
	fd = openat(parent, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (ssize_t i = 0; i <= n; i++) {
		if (i < n && buf[i] >= '0' && buf[i] <= '9') {
			pid = pid * 10 + (buf[i] - '0');
		} else {
			if (pid > 0)
				kill(pid, SIGKILL);
			pid = 0;
		}
	}
}

static int rmtree_at(int dirfd, const char *name, bool kill_busy, int depth)
{
	char buf[2048];
	int fd, removed;

	if (depth > 32)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* until a pass removes nothing more (getdents after rmdir may skip entries) */
	do {
		removed = 0;
		if (lseek(fd, 0, SEEK_SET) < 0)
			break;
		for (;;) {
			ssize_t n = getdents64(fd, buf, sizeof(buf));

			if (n <= 0)
				break;
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);

				off += de->d_reclen;
				if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				if (rmtree_at(fd, de->d_name, kill_busy, depth + 1) == 0)
					removed++;
			}
		}
	} while (removed > 0);
	close(fd);
	for (int k = 0; unlinkat(dirfd, name, AT_REMOVEDIR) < 0; k++) {
		struct timespec ts = {0, 20000000};

		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || !kill_busy || k == 50)
			return -errno;
		kill_tasks(dirfd, name);
		nanosleep(&ts, NULL);
	}
	return 0;
}

int bench_rmtree_at(int dirfd, const char *name, bool kill_busy)
{
	return rmtree_at(dirfd, name, kill_busy, 0);
}

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

void bench_cleanup(bool kill_busy)
{
	for (int k = 0; k < bench_nhier; k++) {
		struct bench_hier *h = &bench_hier[k];
		int r;

		if (h->topfd >= 0)
			close(h->topfd);
		h->topfd = -1;
		r = h->made ? bench_rmtree_at(h->ownfd, bench_top, kill_busy) : 0;
		if (r < 0)
			fprintf(stderr, "%s: could not remove %s%s/%s: %s\n", program_invocation_short_name,
			        h->mount, strcmp(h->own, "/") ? h->own : "", bench_top, strerror(-r));
		if (h->ownfd >= 0)
			close(h->ownfd);
		h->ownfd = -1;
		h->made = false;
	}
	if (bench_tmpdir[0]) {
		nftw(bench_tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		bench_tmpdir[0] = 0;
	}
}
