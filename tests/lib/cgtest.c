/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgtest.c - see cgtest.h. The description of the random roots lives in a
 * MAP_SHARED page made before main(), so the parent test process knows
 * what a test's child created and can remove it after the child is gone.
 * Everything here talks to the kernel directly; the only library calls are
 * cgroup_init() and cgroup_set_namespace() in cgtest_setup().
 */
#include "cgtest.h"
#include "fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#define ROOT_PREFIX "olt-"
#define ROOT_HEX 12
#define SPATH 1024

/* Own cgroups below these are the workplace's: never written, not even cgroup.procs. */
static const char *const protected_prefixes[] = { "/process_api" };

struct shared_hier {
	char mount[SPATH];
	int version;
	char ctrls[256];
	char own[SPATH];
	char ns[SPATH];
	char root[SPATH];
};

struct shared_state {
	int prepared;           /* roots of the current test exist */
	int failed;             /* -errno when preparing them failed halfway */
	pid_t owner;            /* the parent test process */
	int n;
	char reason[512];       /* skip / failure reason */
	char missing[1024];     /* why controllers are absent (v2 not delegated, ...) */
	struct shared_hier h[CGTEST_MAX_HIERS];
};

/* One per tap.h slot (concurrent tests each have their roots); S is the current test's. */
static struct shared_state *S, *S_all;
static struct shared_state fallback_state; /* if mmap failed: still works within one process */
static int n_states = 1;

/* Per-process view. */
static struct cgtest_hier view[CGTEST_MAX_HIERS];
static int view_n = -1;     /* -1: not built */
static pid_t view_pid;
static pid_t setup_pid;     /* process that ran cgroup_init()+namespaces */

static void set_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(S->reason, sizeof(S->reason), fmt, ap);
	va_end(ap);
}

static void add_missing(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_missing(const char *fmt, ...)
{
	size_t l = strlen(S->missing);
	va_list ap;

	if (l + 2 >= sizeof(S->missing))
		return;
	if (l) {
		S->missing[l++] = ';';
		S->missing[l++] = ' ';
		S->missing[l] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(S->missing + l, sizeof(S->missing) - l, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ file helpers */

static int read_file_at(int dirfd, const char *file, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = 0;
	return (int)total;
}

static int write_file_at(int dirfd, const char *file, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

/* Whole small file by absolute path, malloc'd. */
static char *read_all(const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

static void strip(char *s)
{
	size_t l = strlen(s);

	while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = 0;
}

/* Decode mountinfo's octal escapes (\040 ...) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

static bool word_in(const char *list, const char *word, char sep)
{
	size_t wl = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, sep);
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == wl && strncmp(p, word, wl) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* A relative group name below a root: no "..", ".", empty or absolute escapes. */
static bool group_valid(const char *group)
{
	const char *p = group;

	if (!group || group[0] == '/')
		return false;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == 0 || l > NAME_MAX || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += l;
		if (*p == '/')
			p++;
	}
	return true;
}

/* ---------------------------------------------------------- detection */

struct mnt {
	char *path;
	char *root;
	char *devno;
	int version;
	char ctrls[256]; /* v1: bound controllers, ' ' separated */
};

/* Known controller names (first column of /proc/cgroups). */
static char *known_controllers(void)
{
	char *txt = read_all("/proc/cgroups"), *out, *save = NULL;
	size_t len = 0;

	if (!txt)
		return NULL;
	out = calloc(1, strlen(txt) + 2);
	if (!out) {
		free(txt);
		return NULL;
	}
	for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (line[0] == '#' || sscanf(line, "%63s", name) != 1)
			continue;
		len += (size_t)sprintf(out + len, "%s%s", len ? " " : "", name);
	}
	free(txt);
	return out;
}

static void mnts_free(struct mnt *m, int n)
{
	for (int i = 0; i < n; i++) {
		free(m[i].path);
		free(m[i].root);
		free(m[i].devno);
	}
	free(m);
}

/* cgroup and cgroup2 mounts of /proc/self/mountinfo. */
static int parse_mounts(struct mnt **out, int *n_out)
{
	char *txt = read_all("/proc/self/mountinfo"), *save = NULL;
	char *known = known_controllers();
	struct mnt *m = NULL;
	int n = 0;

	if (!txt) {
		free(known);
		return errno > 0 ? -errno : -EIO;
	}
	for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[64], *s2 = NULL, *sep;
		int nf = 0;
		struct mnt *nm;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = 0;
		for (char *t = strtok_r(line, " ", &s2); t && nf < 64; t = strtok_r(NULL, " ", &s2))
			f[nf++] = t;
		if (nf < 5)
			continue;
		{
			char *g[3], *s3 = NULL;
			int ng = 0;

			for (char *t = strtok_r(sep + 3, " ", &s3); t && ng < 3; t = strtok_r(NULL, " ", &s3))
				g[ng++] = t;
			if (ng < 3)
				continue;
			if (strcmp(g[0], "cgroup") && strcmp(g[0], "cgroup2"))
				continue;
			nm = realloc(m, sizeof(*m) * (size_t)(n + 1));
			if (!nm)
				break;
			m = nm;
			memset(&m[n], 0, sizeof(m[n]));
			m[n].version = strcmp(g[0], "cgroup2") ? 1 : 2;
			unescape(f[4]);
			unescape(f[3]);
			m[n].path = strdup(f[4]);
			m[n].root = strdup(f[3]);
			m[n].devno = strdup(f[2]);
			if (m[n].version == 1 && known) {
				char *s4 = NULL;
				size_t l = 0;

				for (char *o = strtok_r(g[2], ",", &s4); o; o = strtok_r(NULL, ",", &s4))
					if (word_in(known, o, ' ') && l + strlen(o) + 2 < sizeof(m[n].ctrls))
						l += (size_t)sprintf(m[n].ctrls + l, "%s%s", l ? " " : "", o);
			}
			if (!m[n].path || !m[n].root || !m[n].devno) {
				n++;
				mnts_free(m, n);
				free(txt);
				free(known);
				return -ENOMEM;
			}
			n++;
		}
	}
	free(txt);
	free(known);
	*out = m;
	*n_out = n;
	return 0;
}

/*
 * Own cgroup path for a hierarchy from /proc/self/cgroup: v1 by any of its
 * controllers, v2 by the "0::" line. malloc'd, NULL when not found.
 */
static char *own_path(const char *proc_cgroup, const struct mnt *m)
{
	const char *p = proc_cgroup;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char line[SPATH + 512];
		char *c1, *c2;

		if (l < sizeof(line)) {
			memcpy(line, p, l);
			line[l] = 0;
			c1 = strchr(line, ':');
			c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c1 && c2) {
				*c2 = 0;
				if (m->version == 2 && c2 == c1 + 1 && strncmp(line, "0:", 2) == 0)
					return strdup(c2 + 1);
				if (m->version == 1 && c2 > c1 + 1) {
					char first[64];

					if (sscanf(m->ctrls, "%63s", first) == 1 && word_in(c1 + 1, first, ','))
						return strdup(c2 + 1);
				}
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

enum cg_setup_mode_t cgtest_mode(void)
{
	struct mnt *m = NULL;
	int n = 0;
	bool v1 = false, v2 = false;

	if (parse_mounts(&m, &n) < 0)
		return CGROUP_MODE_UNK;
	for (int i = 0; i < n; i++) {
		if (m[i].version == 1 && m[i].ctrls[0])
			v1 = true;
		if (m[i].version == 2)
			v2 = true;
	}
	mnts_free(m, n);
	if (v1 && v2)
		return CGROUP_MODE_HYBRID;
	if (v1)
		return CGROUP_MODE_LEGACY;
	if (v2)
		return CGROUP_MODE_UNIFIED;
	return CGROUP_MODE_UNK;
}

const char *cgtest_vm_mode(void)
{
	const char *m = getenv("OPENLVE_VM_MODE");

	return m && *m ? m : NULL;
}

const char *cgtest_uncovered(const char *const *ctrls)
{
	static char why[2048];
	struct mnt *m = NULL;
	int n = 0;

	if (parse_mounts(&m, &n) < 0)
		return "cannot read /proc/self/mountinfo";
	why[0] = 0;
	for (int i = 0; i < n && !why[0]; i++) {
		char avail[1024] = "";

		if (m[i].version == 1) {
			snprintf(avail, sizeof(avail), "%s", m[i].ctrls);
		} else {
			int fd = open(m[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fd >= 0) {
				if (read_file_at(fd, "cgroup.controllers", avail, sizeof(avail)) < 0)
					avail[0] = 0;
				close(fd);
			}
			strip(avail);
		}
		for (const char *const *c = ctrls; *c && !why[0]; c++)
			if (word_in(avail, *c, ' ') && !cgtest_has_ctrl(*c))
				snprintf(why, sizeof(why), "v%d controller %.32s (mounted at %.256s) has no test root: %.1024s",
					 m[i].version, *c, m[i].path, cgtest_ctrl_missing_reason(*c));
	}
	mnts_free(m, n);
	return why[0] ? why : NULL;
}

/* ------------------------------------------------------------- sanity */

static bool is_protected(const char *own)
{
	for (size_t i = 0; i < sizeof(protected_prefixes) / sizeof(protected_prefixes[0]); i++) {
		size_t l = strlen(protected_prefixes[i]);

		if (strncmp(own, protected_prefixes[i], l) == 0 && (own[l] == 0 || own[l] == '/'))
			return true;
	}
	return false;
}

/* The recorded root really is <mount><own>/olt-<12 hex>: refuse to clean anything else. */
static bool root_sane(const struct shared_hier *h)
{
	char expect[SPATH * 2 + 32];
	const char *base;

	if (h->mount[0] != '/' || h->ns[0] != '/' || h->own[0] != '/')
		return false;
	snprintf(expect, sizeof(expect), "%s%s", strcmp(h->mount, "/") ? h->mount : "", h->ns);
	if (strcmp(expect, h->root))
		return false;
	base = strrchr(h->ns, '/');
	if (!base || strncmp(base + 1, ROOT_PREFIX, strlen(ROOT_PREFIX)) || strlen(base + 1) != strlen(ROOT_PREFIX) + ROOT_HEX)
		return false;
	for (const char *c = base + 1 + strlen(ROOT_PREFIX); *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	/* ns = own + "/olt-..." */
	if (strcmp(h->own, "/") == 0)
		return base == h->ns;
	return (size_t)(base - h->ns) == strlen(h->own) && strncmp(h->ns, h->own, strlen(h->own)) == 0;
}

/* ------------------------------------------------------------ cleanup */

/* Apply fn to every group dir below (and including) dirfd, parents first. */
static void walk_groups(int dirfd, int depth, void (*fn)(int dirfd, void *ud), void *ud)
{
	DIR *d;
	struct dirent *de;

	fn(dirfd, ud);
	if (depth > 64)
		return;
	if (ol_opendir_at(dirfd, ".", &d) < 0)
		return;
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		walk_groups(sub, depth + 1, fn, ud);
		close(sub);
	}
	closedir(d);
}

static void thaw_one(int dirfd, void *ud)
{
	(void)ud;
	write_file_at(dirfd, "freezer.state", "THAWED");
	write_file_at(dirfd, "cgroup.freeze", "0");
}

struct kill_ctx {
	int found;
	pid_t self, owner;
	int migrate_fd; /* own cgroup dir to move survivors to, -1 = kill only */
};

static void kill_one(int dirfd, void *ud)
{
	struct kill_ctx *k = ud;
	char buf[65536];
	char *p, *save = NULL;

	/* v1 "tasks" also lists threads of processes whose leader moved elsewhere. */
	for (int pass = 0; pass < 2; pass++) {
		if (read_file_at(dirfd, pass ? "tasks" : "cgroup.procs", buf, sizeof(buf)) <= 0)
			continue;
		for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
			long pid = strtol(p, NULL, 10);

			if (pid <= 0 || pid == k->self || pid == k->owner)
				continue;
			k->found++;
			if (k->migrate_fd >= 0) {
				char s[32];

				snprintf(s, sizeof(s), "%ld", pid);
				write_file_at(k->migrate_fd, pass ? "tasks" : "cgroup.procs", s);
			} else {
				kill((pid_t)pid, SIGKILL);
			}
		}
	}
}

/* rmdir every group below dirfd, children first. Returns first error. */
static int rmdir_below(int dirfd, int depth)
{
	DIR *d;
	struct dirent *de;
	int r;

	if (depth > 64)
		return -ELOOP;
	r = ol_opendir_at(dirfd, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		int sub, q;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0) {
			if (errno != ENOENT && !r)
				r = -errno;
			continue;
		}
		q = rmdir_below(sub, depth + 1);
		close(sub);
		if (q < 0 && !r)
			r = q;
		if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && !r)
			r = -errno;
	}
	closedir(d);
	return r;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Own cgroup directory of a hierarchy (to move survivors back), -1 when protected. */
static int open_own(const struct shared_hier *h)
{
	char own_abs[SPATH * 2];

	if (is_protected(h->own))
		return -1;
	snprintf(own_abs, sizeof(own_abs), "%s%s", strcmp(h->mount, "/") ? h->mount : "",
		 strcmp(h->own, "/") ? h->own : "");
	return open(own_abs[0] ? own_abs : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/*
 * Remove every recorded root: thaw everything (all hierarchies first: a
 * frozen task ignores SIGKILL until thawed), kill, wait until the groups
 * are empty, move survivors back to the own cgroup, rmdir depth-first.
 * Results per hierarchy in res[] (0 or -errno).
 */
static void cleanup_all(int *res)
{
	struct kill_ctx k = { .self = getpid(), .owner = S->owner, .migrate_fd = -1 };
	int fds[CGTEST_MAX_HIERS];

	for (int i = 0; i < S->n; i++) {
		res[i] = 0;
		fds[i] = -1;
		if (!root_sane(&S->h[i])) {
			fprintf(stderr, "# cgtest: refusing to clean unexpected root \"%s\"\n", S->h[i].root);
			res[i] = -EINVAL;
			continue;
		}
		fds[i] = open(S->h[i].root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fds[i] < 0 && errno != ENOENT)
			res[i] = -errno;
	}
	for (int i = 0; i < S->n; i++)
		if (fds[i] >= 0)
			walk_groups(fds[i], 0, thaw_one, NULL);
	for (int i = 0; i < S->n; i++)
		if (fds[i] >= 0 && S->h[i].version == 2)
			write_file_at(fds[i], "cgroup.kill", "1"); /* whole subtree, 5.14+ */
	/* Killed tasks leave their groups within milliseconds; allow ~10 s. */
	for (int round = 0; round < 500; round++) {
		k.found = 0;
		for (int i = 0; i < S->n; i++)
			if (fds[i] >= 0)
				walk_groups(fds[i], 0, kill_one, &k);
		if (!k.found)
			break;
		sleep_ms(round < 50 ? 2 : 20);
	}
	for (int i = 0; i < S->n && k.found; i++) {
		struct kill_ctx m = k;

		if (fds[i] < 0)
			continue;
		m.found = 0;
		m.migrate_fd = open_own(&S->h[i]);
		walk_groups(fds[i], 0, kill_one, &m);
		if (m.found)
			fprintf(stderr, "# cgtest: %d task(s) in %s survived SIGKILL%s\n", m.found, S->h[i].root,
				m.migrate_fd >= 0 ? ", moved back to the own cgroup" : "");
		if (m.migrate_fd >= 0)
			close(m.migrate_fd);
	}
	for (int i = 0; i < S->n; i++) {
		int r = 0;

		if (fds[i] < 0)
			continue;
		for (int t = 0; t < 50; t++) {
			r = rmdir_below(fds[i], 0);
			if (r != -EBUSY)
				break;
			sleep_ms(20);
		}
		close(fds[i]);
		if (r == 0 && rmdir(S->h[i].root) < 0 && errno != ENOENT)
			r = -errno;
		if (r < 0)
			fprintf(stderr, "# cgtest: could not remove %s: %s\n", S->h[i].root, strerror(-r));
		res[i] = r;
	}
}

static void view_close(void)
{
	if (view_pid != getpid()) {
		/* fds of another process's view were inherited: just forget them */
		view_n = -1;
		return;
	}
	for (int i = 0; i < view_n; i++)
		if (view[i].fd >= 0)
			close(view[i].fd);
	view_n = -1;
}

int cgtest_cleanup(void)
{
	int res[CGTEST_MAX_HIERS];
	int r = 0, kept = 0;

	if (!S)
		return 0;
	view_close();
	cleanup_all(res);
	for (int i = 0; i < S->n; i++) {
		int q = res[i];

		if (q < 0) {
			if (!r)
				r = q;
			if (q != -EINVAL) /* keep for a retry */
				S->h[kept++] = S->h[i];
		}
	}
	S->n = kept;
	S->prepared = 0;
	S->failed = 0;
	S->reason[0] = 0;
	S->missing[0] = 0;
	if (setup_pid == getpid())
		setup_pid = 0;
	return r;
}

/* Parent, after a test: the roots of the test that ended (its tap_slot()). */
static void parent_cleanup(void)
{
	int slot = tap_slot();

	if (slot >= 0 && slot < n_states)
		S = &S_all[slot];
	if (S && getpid() == S->owner)
		cgtest_cleanup();
	S = &S_all[0];
}

/* Parent, after all tests (or on a signal): every slot's roots. */
static void parent_cleanup_all(void)
{
	for (int i = 0; i < n_states; i++) {
		S = &S_all[i];
		if (getpid() == S->owner)
			cgtest_cleanup();
	}
	S = &S_all[0];
}

/* A test's child: its slot's state. */
static void child_use_slot(void)
{
	int slot = tap_slot();

	if (slot >= 0 && slot < n_states)
		S = &S_all[slot];
}

/*
 * Before the first test (parent): a hierarchy whose own cgroup is
 * protected gets no random root, so nothing may use it at all -- not the
 * library under test either, which would otherwise place its groups at the
 * mount's top. The test process therefore moves to a private mount
 * namespace where those mounts are gone; children (and the tools they
 * exec) inherit it. The hierarchy then reads as "not mounted".
 */
static char hidden[1024]; /* what hide_protected() unmounted, for skip reasons (inherited by children) */

static int hide_protected(void)
{
	struct mnt *m = NULL;
	char *proc_cgroup;
	bool unshared = false;
	int n = 0, r = 0;

	if (geteuid() != 0 || parse_mounts(&m, &n) < 0)
		return 0;
	proc_cgroup = read_all("/proc/self/cgroup");
	for (int i = 0; proc_cgroup && i < n && r == 0; i++) {
		char *own = own_path(proc_cgroup, &m[i]);

		if (own && is_protected(own)) {
			if (!unshared) {
				if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
					r = -errno;
					fprintf(stderr, "# cgtest: cannot hide the protected cgroup %s of %s: %s\n", own,
						m[i].path, strerror(-r));
				}
				unshared = true;
			}
			if (r == 0 && umount2(m[i].path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
				r = -errno;
				fprintf(stderr, "# cgtest: cannot unmount %s (own cgroup %s is protected): %s\n",
					m[i].path, own, strerror(-r));
			}
			if (r == 0) {
				size_t l = strlen(hidden);

				snprintf(hidden + l, sizeof(hidden) - l, "%s%s (%s) hidden: own cgroup %s there is protected",
					 l ? "; " : "", m[i].path, m[i].ctrls, own);
			}
		}
		free(own);
	}
	free(proc_cgroup);
	mnts_free(m, n);
	return r;
}

static const struct tap_hooks cgtest_hooks = {
	.before_all = hide_protected,
	.child_init = child_use_slot,
	.after_each = parent_cleanup,
	.after_all = parent_cleanup_all,
};

__attribute__((constructor)) static void cgtest_init(void)
{
	S_all = mmap(NULL, sizeof(struct shared_state) * TAP_MAX_JOBS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S_all == MAP_FAILED) {
		S_all = &fallback_state;
		n_states = 1;
	} else {
		n_states = TAP_MAX_JOBS;
	}
	memset(S_all, 0, sizeof(*S_all) * (size_t)n_states);
	for (int i = 0; i < n_states; i++)
		S_all[i].owner = getpid();
	S = &S_all[0];
	tap_register_hooks(&cgtest_hooks);
}

/* ------------------------------------------------------------ prepare */

static int random_name(char *out, size_t size)
{
	unsigned char b[ROOT_HEX / 2];
	size_t l;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	l = (size_t)snprintf(out, size, ROOT_PREFIX);
	for (size_t i = 0; i < sizeof(b); i++)
		l += (size_t)snprintf(out + l, size - l, "%02x", b[i]);
	return 0;
}

/* v1 cpuset: a new group has no cpus/mems; give the root its parent's. */
static void cpuset_inherit(int parent_fd, int root_fd)
{
	/* "cpus"/"mems" with the noprefix mount option */
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems", "cpus", "mems" };
	char buf[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (read_file_at(parent_fd, files[i], buf, sizeof(buf)) > 0) {
			strip(buf);
			if (buf[0])
				write_file_at(root_fd, files[i], buf);
		}
}

/* v2: enable every controller the root may use; ctrls gets the enabled ones. */
static int v2_enable(int root_fd, char *ctrls, size_t size)
{
	char avail[1024], want[2048];
	size_t l = 0;
	char *save = NULL;
	int r;

	r = read_file_at(root_fd, "cgroup.controllers", avail, sizeof(avail));
	if (r < 0)
		return r;
	strip(avail);
	want[0] = 0;
	for (char *c = strtok_r(avail, " ", &save); c; c = strtok_r(NULL, " ", &save))
		l += (size_t)snprintf(want + l, sizeof(want) - l, "%s+%s", l ? " " : "", c);
	if (l) {
		r = write_file_at(root_fd, "cgroup.subtree_control", want);
		if (r < 0)
			return r;
	}
	r = read_file_at(root_fd, "cgroup.subtree_control", ctrls, size);
	if (r < 0)
		return r;
	strip(ctrls);
	return 0;
}

static int prepare_hier(const struct mnt *m, const char *own, struct shared_hier *h)
{
	char name[32], own_abs[SPATH * 2], ns[SPATH];
	const char *rel;
	size_t rl = strlen(m->root);
	int own_fd, root_fd, r;

	/* The own cgroup as seen below this mount (mount root may be a subgroup). */
	if (strcmp(m->root, "/") == 0)
		rel = own;
	else if (strncmp(own, m->root, rl) == 0 && (own[rl] == 0 || own[rl] == '/'))
		rel = own[rl] ? own + rl : "/";
	else
		return 1; /* own cgroup not visible below this mount */

	memset(h, 0, sizeof(*h));
	if (strlen(m->path) >= sizeof(h->mount) || strlen(rel) + 2 + sizeof(name) >= sizeof(h->ns))
		return -ENAMETOOLONG;
	r = random_name(name, sizeof(name));
	if (r < 0)
		return r;
	snprintf(h->mount, sizeof(h->mount), "%s", m->path);
	h->version = m->version;
	snprintf(h->own, sizeof(h->own), "%s", rel);
	snprintf(ns, sizeof(ns), "%s/%s", strcmp(rel, "/") ? rel : "", name);
	snprintf(h->ns, sizeof(h->ns), "%s", ns);
	snprintf(h->root, sizeof(h->root), "%s%s", strcmp(m->path, "/") ? m->path : "", ns);
	if (!root_sane(h))
		return -EINVAL;

	snprintf(own_abs, sizeof(own_abs), "%s%s", strcmp(m->path, "/") ? m->path : "", strcmp(rel, "/") ? rel : "");
	own_fd = open(own_abs[0] ? own_abs : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (own_fd < 0)
		return -errno;
	if (mkdirat(own_fd, name, 0755) < 0) {
		r = -errno;
		close(own_fd);
		return r;
	}
	root_fd = openat(own_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (root_fd < 0) {
		r = -errno;
		unlinkat(own_fd, name, AT_REMOVEDIR);
		close(own_fd);
		return r;
	}
	if (m->version == 1) {
		snprintf(h->ctrls, sizeof(h->ctrls), "%s", m->ctrls);
		if (word_in(m->ctrls, "cpuset", ' '))
			cpuset_inherit(own_fd, root_fd);
		r = 0;
	} else {
		r = v2_enable(root_fd, h->ctrls, sizeof(h->ctrls));
	}
	close(root_fd);
	if (r < 0)
		unlinkat(own_fd, name, AT_REMOVEDIR);
	close(own_fd);
	return r;
}

/*
 * The view is built by the first call in each process, and the first calls
 * in a freshly forked worker often come from several of its threads at
 * once (lte_self_inside in test-lve-cache, test-lve-enter): it is filled
 * under view_lock and published (view_n, release) only when complete, so a
 * racing thread never sees a partial view (it used to, and then called an
 * entered thread "outside part of its LVE"). The lock is held across fork()
 * so a child never inherits it taken.
 */
static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t view_once = PTHREAD_ONCE_INIT;

static void view_lock_take(void)
{
	pthread_mutex_lock(&view_lock);
}

static void view_lock_drop(void)
{
	pthread_mutex_unlock(&view_lock);
}

static void view_atfork(void)
{
	pthread_atfork(view_lock_take, view_lock_drop, view_lock_drop);
}

static void view_build(void)
{
	pid_t me = getpid();
	int n = 0;

	if (__atomic_load_n(&view_n, __ATOMIC_ACQUIRE) >= 0 &&
	    __atomic_load_n(&view_pid, __ATOMIC_RELAXED) == me)
		return;
	pthread_once(&view_once, view_atfork);
	pthread_mutex_lock(&view_lock);
	if (view_n >= 0 && view_pid == me) {
		pthread_mutex_unlock(&view_lock);
		return;
	}
	__atomic_store_n(&view_n, -1, __ATOMIC_RELAXED);
	for (int i = 0; i < S->n && i < CGTEST_MAX_HIERS; i++) {
		struct shared_hier *h = &S->h[i];

		view[i] = (struct cgtest_hier){
			.mount = h->mount,
			.version = h->version,
			.ctrls = h->ctrls,
			.own = h->own,
			.ns = h->ns,
			.root = h->root,
			.fd = open(h->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW),
		};
		n++;
	}
	__atomic_store_n(&view_pid, me, __ATOMIC_RELAXED);
	__atomic_store_n(&view_n, n, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&view_lock);
}

int cgtest_prepare(void)
{
	struct mnt *m = NULL;
	char *proc_cgroup;
	int n = 0, r;

	if (!S)
		return -ENOMEM;
	if (S->prepared) {
		view_build();
		if (S->failed)
			return S->failed;
		return S->n > 0 ? 0 : 1;
	}
	if (S->n > 0 && cgtest_cleanup() < 0 && S->n > 0) {
		/* leftovers of a failed cleanup stay recorded for the next retry */
		set_reason("the groups of an earlier test could not be removed (%s)", S->h[0].root);
		return -EBUSY;
	}
	S->reason[0] = 0;
	S->missing[0] = 0;
	if (hidden[0])
		add_missing("%s", hidden);
	if (geteuid() != 0) {
		if (tap_ci()) {
			set_reason("needs root (creates cgroups), and CI must run as root");
			return -EPERM;
		}
		set_reason("needs root (creates cgroups)");
		return 1;
	}
	r = parse_mounts(&m, &n);
	if (r < 0) {
		set_reason("cannot read /proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	proc_cgroup = read_all("/proc/self/cgroup");
	if (!proc_cgroup) {
		mnts_free(m, n);
		set_reason("cannot read /proc/self/cgroup");
		return -EIO;
	}

	S->n = 0;
	for (int i = 0; i < n && S->n < CGTEST_MAX_HIERS; i++) {
		bool dup = false;
		char *own;

		if (m[i].version == 1 && !m[i].ctrls[0])
			continue; /* named hierarchy without controllers (name=systemd) */
		for (int k = 0; k < i && !dup; k++)
			dup = !strcmp(m[k].devno, m[i].devno);
		if (dup)
			continue; /* another mount of a hierarchy seen before */
		if (m[i].version == 2) {
			char avail[1024];

			r = -1;
			{
				int mfd = open(m[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

				if (mfd >= 0) {
					r = read_file_at(mfd, "cgroup.controllers", avail, sizeof(avail));
					close(mfd);
				}
			}
			if (r < 0)
				continue;
			strip(avail);
			if (!avail[0]) {
				add_missing("cgroup2 at %s has no controllers", m[i].path);
				continue;
			}
		}
		own = own_path(proc_cgroup, &m[i]);
		if (!own) {
			add_missing("no own cgroup for %s in /proc/self/cgroup", m[i].path);
			continue;
		}
		if (is_protected(own)) {
			/* hidden from this process by hide_protected() before the tests */
			add_missing("own cgroup %s in %s is protected (not ours to create groups in)", own, m[i].path);
			free(own);
			continue;
		}
		r = prepare_hier(&m[i], own, &S->h[S->n]);
		if (r == 1) {
			add_missing("own cgroup %s is outside the mount %s", own, m[i].path);
			free(own);
			continue;
		}
		if (r < 0) {
			set_reason("creating the random root below %s%s: %s", m[i].path, own, strerror(-r));
			free(own);
			free(proc_cgroup);
			mnts_free(m, n);
			S->prepared = 1; /* what was made is recorded: cleanup removes it */
			S->failed = r;
			return r;
		}
		if (S->h[S->n].version == 2 && !S->h[S->n].ctrls[0]) {
			/* nothing usable: cgroup.subtree_control of the own group lacks them */
			add_missing("cgroup2 controllers at %s are not enabled for own cgroup %s (its "
				    "cgroup.subtree_control is not ours to write)",
				    m[i].path, own);
			if (rmdir(S->h[S->n].root) < 0)
				fprintf(stderr, "# cgtest: rmdir %s: %s\n", S->h[S->n].root, strerror(errno));
			free(own);
			continue;
		}
		free(own);
		S->n++;
	}
	free(proc_cgroup);
	mnts_free(m, n);
	S->prepared = 1;
	view_build();
	if (S->n == 0) {
		set_reason("no cgroup hierarchy with controllers is mounted%s%s", S->missing[0] ? ": " : "",
			   S->missing);
		return 1;
	}
	return 0;
}

/* Controllers openlve's library knows (enum cg_ctrl); others get no namespace. */
static const char lib_controllers[] =
	"cpu cpuacct cpuset memory blkio io pids freezer devices net_cls net_prio perf_event hugetlb rdma misc";

int cgtest_setup(void)
{
	int r = cgtest_prepare();

	if (r != 0)
		return r;
	if (setup_pid == getpid())
		return 0;
	r = cgroup_init();
	if (r != 0) {
		set_reason("cgroup_init() = %d (%s)", r, cgroup_strerror(r));
		return -EIO;
	}
	for (int i = 0; i < S->n; i++) {
		char ctrls[256], *save = NULL;

		snprintf(ctrls, sizeof(ctrls), "%s", S->h[i].ctrls);
		for (char *c = strtok_r(ctrls, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
			if (!word_in(lib_controllers, c, ' '))
				continue;
			r = cgroup_set_namespace(c, S->h[i].ns);
			if (r != 0) {
				set_reason("cgroup_set_namespace(\"%s\", \"%s\") = %d (%s)", c, S->h[i].ns, r,
					   cgroup_strerror(r));
				return -EIO;
			}
		}
	}
	setup_pid = getpid();
	return 0;
}

const char *cgtest_skip_reason(void)
{
	return S && S->reason[0] ? S->reason : "unknown";
}

/* -------------------------------------------------------------- lookups */

int cgtest_n_hiers(void)
{
	if (!S || !S->prepared)
		return 0;
	view_build();
	return view_n;
}

const struct cgtest_hier *cgtest_hier(int i)
{
	if (i < 0 || i >= cgtest_n_hiers())
		return NULL;
	return &view[i];
}

const struct cgtest_hier *cgtest_hier_for(const char *controller)
{
	const char *alias = NULL;
	int n = cgtest_n_hiers();

	if (!controller)
		return NULL;
	if (!strcmp(controller, "io"))
		alias = "blkio";
	else if (!strcmp(controller, "blkio"))
		alias = "io";
	for (int i = 0; i < n; i++)
		if (word_in(view[i].ctrls, controller, ' ') || (alias && word_in(view[i].ctrls, alias, ' ')))
			return &view[i];
	return NULL;
}

bool cgtest_has_ctrl(const char *controller)
{
	return cgtest_hier_for(controller) != NULL;
}

int cgtest_version(const char *controller)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);

	return h ? h->version : 0;
}

const char *cgtest_ctrl_missing_reason(const char *controller)
{
	if (!S || !S->prepared)
		return "cgtest_setup() not done";
	if (cgtest_has_ctrl(controller))
		return "available";
	return S->missing[0] ? S->missing : "not mounted";
}

const char *cgtest_root(const char *controller)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);

	return h ? h->root : NULL;
}

const char *cgtest_ns(const char *controller)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);

	return h ? h->ns : NULL;
}

int cgtest_root_fd(const char *controller)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);

	return h ? h->fd : -1;
}

char *cgtest_path(const char *controller, const char *group, const char *file)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);
	char *p;

	if (!h || (group && *group && !group_valid(group)) || (file && (!*file || strchr(file, '/'))))
		return NULL;
	if (asprintf(&p, "%s%s%s%s%s", h->root, group && *group ? "/" : "", group ? group : "", file ? "/" : "",
		     file ? file : "") < 0)
		return NULL;
	return p;
}

/* Open <root>/<group> of controller's hierarchy. */
static int open_group(const char *controller, const char *group)
{
	const struct cgtest_hier *h = cgtest_hier_for(controller);
	int fd;

	if (!h)
		return -ENXIO;
	if (h->fd < 0)
		return -EBADF;
	if (!group || !*group)
		fd = openat(h->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (!group_valid(group))
		return -EINVAL;
	else
		fd = openat(h->fd, group, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

bool cgtest_exists(const char *controller, const char *group)
{
	int fd = open_group(controller, group);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* mkdir one component below dirfd; v1 cpuset groups get their parent's cpus/mems. */
static int mkdir_one(int dirfd, const char *name, bool cpuset, bool excl)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0) {
		if (errno != EEXIST || excl)
			return -errno;
		return 0;
	}
	if (cpuset) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			cpuset_inherit(dirfd, fd);
			close(fd);
		}
	}
	return 0;
}

static int mkdir_in(const struct cgtest_hier *h, const char *group)
{
	bool cpuset = h->version == 1 && word_in(h->ctrls, "cpuset", ' ');
	char buf[SPATH];
	size_t l = strlen(group);
	int dirfd, r;

	if (l >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, group, l + 1);
	dirfd = openat(h->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	/* intermediate components may exist; the last one must be new */
	for (char *c = buf, *e; c; c = e) {
		int sub;

		e = strchr(c, '/');
		if (e)
			*e++ = 0;
		r = mkdir_one(dirfd, c, cpuset, !e);
		if (r < 0 || !e)
			break;
		sub = openat(dirfd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(dirfd);
		dirfd = sub;
		if (dirfd < 0) {
			r = -errno;
			break;
		}
	}
	if (dirfd >= 0)
		close(dirfd);
	return r;
}

int cgtest_mkdir(const char *controller, const char *group)
{
	int n = cgtest_n_hiers(), r;

	if (!group_valid(group))
		return -EINVAL;
	if (controller) {
		const struct cgtest_hier *h = cgtest_hier_for(controller);

		if (!h)
			return -ENXIO;
		return mkdir_in(h, group);
	}
	if (n == 0)
		return -ENXIO;
	for (int i = 0; i < n; i++) {
		r = mkdir_in(&view[i], group);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgtest_read(const char *controller, const char *group, const char *file, char *buf, size_t size)
{
	int fd, r;

	if (!file || !*file || strchr(file, '/'))
		return -EINVAL;
	fd = open_group(controller, group);
	if (fd < 0)
		return fd;
	r = read_file_at(fd, file, buf, size);
	close(fd);
	return r;
}

int cgtest_read_value(const char *controller, const char *group, const char *file, char *buf,
		      size_t size)
{
	int r = cgtest_read(controller, group, file, buf, size);

	if (r > 0 && buf[r - 1] == '\n')
		buf[--r] = 0;
	return r;
}

int cgtest_write(const char *controller, const char *group, const char *file, const char *value)
{
	int fd, r;

	if (!file || !*file || strchr(file, '/') || !value)
		return -EINVAL;
	fd = open_group(controller, group);
	if (fd < 0)
		return fd;
	r = write_file_at(fd, file, value);
	close(fd);
	return r;
}

int cgtest_count_procs(const char *controller, const char *group)
{
	char buf[65536];
	int r = cgtest_read(controller, group, "cgroup.procs", buf, sizeof(buf)), n = 0;

	if (r < 0)
		return r;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			n++;
	return n;
}

bool cgtest_pid_in(const char *controller, const char *group, pid_t pid)
{
	char buf[65536], *save = NULL;

	if (cgtest_read(controller, group, "cgroup.procs", buf, sizeof(buf)) < 0)
		return false;
	for (char *p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strtol(p, NULL, 10) == (long)pid)
			return true;
	return false;
}

/* ---------------------------------------------------------------- fork */

pid_t cgtest_fork_in(const char *group, int (*fn)(void *), void *arg)
{
	int p[2], err = 0, n;
	pid_t pid;
	ssize_t got;

	if (!fn || !group || (*group && !group_valid(group)))
		return -EINVAL;
	n = cgtest_n_hiers();
	if (*group && n == 0)
		return -ENXIO;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		int moved = 0;

		close(p[0]);
		for (int i = 0; i < n && *group && !err; i++) {
			int fd = openat(view[i].fd, group, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

			if (fd < 0) {
				if (errno != ENOENT)
					err = -errno;
				continue;
			}
			err = write_file_at(fd, "cgroup.procs", "0");
			close(fd);
			if (!err)
				moved++;
		}
		if (!err && *group && !moved)
			err = -ENOENT;
		if (write(p[1], &err, sizeof(err)) != (ssize_t)sizeof(err))
			_exit(127);
		close(p[1]);
		if (err)
			_exit(127);
		n = fn(arg);
		fflush(NULL);
		_exit(n & 0xff);
	}
	close(p[1]);
	do
		got = read(p[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(p[0]);
	if (got != (ssize_t)sizeof(err))
		err = -EIO;
	if (err) {
		cgtest_wait(pid);
		return err;
	}
	return pid;
}

int cgtest_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status))
		return CGTEST_SIGNALED(WTERMSIG(status));
	return WEXITSTATUS(status);
}

int cgtest_run_in(const char *group, int (*fn)(void *), void *arg)
{
	pid_t pid = cgtest_fork_in(group, fn, arg);

	if (pid < 0)
		return pid;
	return cgtest_wait(pid);
}
