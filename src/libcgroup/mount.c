/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mount.c - where the cgroup hierarchies are: /proc/self/mountinfo parsing,
 * setup mode (legacy / hybrid / unified), controller versions, the
 * process-wide state of cgroup_init() with an O_PATH dirfd of every
 * hierarchy, and namespaces (group names rooted below a mount).
 *
 * blkio / io: the v1 controller is called "blkio", the v2 one "io". Both
 * have their own enum cg_ctrl entry and sys->ctrl_mount[] records only what
 * the host really has (blkio -> the v1 blkio hierarchy, io -> cgroup2).
 * Every lookup by controller (cg_ctrl_root_fd, cg_hier_lookup and the public
 * functions taking a controller name) goes through cg_ctrl_resolve(), which
 * maps a missing one to the other: "blkio" on a v2 host resolves to the io
 * controller of the cgroup2 mount, "io" on a legacy host to the blkio
 * hierarchy. Callers see the version of the mount they got and translate
 * settings with convert.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

#define VER_1 0x1u
#define VER_2 0x2u

static const struct {
	const char *name;
	unsigned versions; /* VER_1 | VER_2: where the kernel offers it under this name */
} ctrl_table[] = {
	[CG_CTRL_CPU] = { "cpu", VER_1 | VER_2 },
	[CG_CTRL_CPUACCT] = { "cpuacct", VER_1 },
	[CG_CTRL_CPUSET] = { "cpuset", VER_1 | VER_2 },
	[CG_CTRL_MEMORY] = { "memory", VER_1 | VER_2 },
	[CG_CTRL_BLKIO] = { "blkio", VER_1 },
	[CG_CTRL_IO] = { "io", VER_2 },
	[CG_CTRL_PIDS] = { "pids", VER_1 | VER_2 },
	[CG_CTRL_FREEZER] = { "freezer", VER_1 },
	[CG_CTRL_DEVICES] = { "devices", VER_1 },
	[CG_CTRL_NET_CLS] = { "net_cls", VER_1 },
	[CG_CTRL_NET_PRIO] = { "net_prio", VER_1 },
	[CG_CTRL_PERF_EVENT] = { "perf_event", VER_1 | VER_2 },
	[CG_CTRL_HUGETLB] = { "hugetlb", VER_1 | VER_2 },
	[CG_CTRL_RDMA] = { "rdma", VER_1 | VER_2 },
	[CG_CTRL_MISC] = { "misc", VER_1 | VER_2 },
};
_Static_assert(ELEMENTSOF(ctrl_table) == CG_CTRL_COUNT, "controller table incomplete");
_Static_assert(CG_CTRL_COUNT <= 32, "controller mask is 32 bits");

#define CTRL_BIT(c) (1u << (unsigned)(c))

int cg_ctrl_lookup(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < CG_CTRL_COUNT; i++)
		if (!strcmp(ctrl_table[i].name, name))
			return i;
	return -1;
}

const char *cg_ctrl_name(int ctrl)
{
	if (ctrl < 0 || ctrl >= CG_CTRL_COUNT)
		return NULL;
	return ctrl_table[ctrl].name;
}

/* ------------------------------------------------------------ parsing */

static void sys_init_empty(struct cg_sys *sys)
{
	memset(sys, 0, sizeof(*sys));
	sys->mode = CGROUP_MODE_UNK;
	sys->unified = -1;
	for (int i = 0; i < CG_CTRL_COUNT; i++) {
		sys->ctrl_mount[i] = -1;
		sys->ns_fd[i] = -1;
	}
}

void cg_sys_free(struct cg_sys *sys)
{
	if (!sys)
		return;
	for (int i = 0; i < sys->n_mounts; i++) {
		free(sys->mounts[i].path);
		free(sys->mounts[i].name);
		if (sys->mounts[i].fd >= 0)
			safe_close(sys->mounts[i].fd);
	}
	free(sys->mounts);
	/* ns_fd is only meaningful while ns is set: a zeroed struct is safe here */
	for (int i = 0; i < CG_CTRL_COUNT; i++) {
		if (sys->ns[i] && sys->ns_fd[i] >= 0)
			safe_close(sys->ns_fd[i]);
		free(sys->ns[i]);
	}
	sys_init_empty(sys);
}

/* Next field separated by spaces, NUL-terminated in place; NULL at end of line. */
static char *next_field(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	e = s + strcspn(s, " \t");
	if (*e)
		*e++ = 0;
	*p = e;
	return s;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Decode the kernel's \ooo escapes (space, tab, newline, backslash) in place. */
static int unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
			unsigned v = (unsigned)(r[1] - '0') * 64 + (unsigned)(r[2] - '0') * 8 +
				     (unsigned)(r[3] - '0');
			if (v == 0 || v > 255)
				return -EINVAL;
			*w++ = (char)v;
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return 0;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "MAJ:MIN" -> a comparable key. */
static bool parse_dev(const char *s, unsigned long long *dev)
{
	const char *colon = strchr(s, ':');
	unsigned long long maj = 0, min = 0;

	if (!colon || colon == s || !colon[1] || colon - s > 10 || strlen(colon + 1) > 10)
		return false;
	for (const char *p = s; p < colon; p++) {
		if (*p < '0' || *p > '9')
			return false;
		maj = maj * 10 + (unsigned)(*p - '0');
	}
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		min = min * 10 + (unsigned)(*p - '0');
	}
	*dev = (maj << 32) ^ min;
	return true;
}

struct parse_state {
	bool dedup;    /* drop further mounts of a hierarchy already seen */
	int max;       /* mounts kept at most */
	bool v2_at_std; /* a cgroup2 line mounted at /sys/fs/cgroup */
	unsigned long long *devs; /* per kept mount */
};

#define MOUNT_LINES_MAX 4096 /* candidates init() looks at, duplicates included */

static int add_mount(struct cg_sys *sys, struct parse_state *st, unsigned long long dev,
		     enum cg_version_t version, const char *path, uint32_t ctrls, const char *name)
{
	struct cg_mount *m;
	unsigned long long *d;
	_cleanup_free_ char *p = NULL, *n = NULL;

	if (sys->n_mounts >= st->max)
		return 0; /* more hierarchies than libcgroup's limit: ignore the rest */
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	if (name) {
		n = strdup(name);
		if (!n)
			return -ENOMEM;
	}
	m = realloc(sys->mounts, sizeof(*m) * (size_t)(sys->n_mounts + 1));
	if (!m)
		return -ENOMEM;
	sys->mounts = m;
	d = realloc(st->devs, sizeof(*d) * (size_t)(sys->n_mounts + 1));
	if (!d)
		return -ENOMEM;
	st->devs = d;
	d[sys->n_mounts] = dev;
	sys->mounts[sys->n_mounts++] = (struct cg_mount){
		.path = TAKE_PTR(p),
		.version = version,
		.ctrls = ctrls,
		.name = TAKE_PTR(n),
		.fd = -1,
	};
	return 0;
}

/* Two mounts of one hierarchy: same device, or (v1) the same controllers and name. */
static bool same_hierarchy(const struct cg_mount *a, unsigned long long dev_a, const struct cg_mount *b,
			   unsigned long long dev_b)
{
	if (a->version != b->version)
		return false;
	if (a->version == CGROUP_V2) /* there is one cgroup2 hierarchy */
		return true;
	if (dev_a == dev_b)
		return true;
	return a->ctrls == b->ctrls &&
	       ((!a->name && !b->name) || (a->name && b->name && !strcmp(a->name, b->name)));
}

/*
 * One mountinfo line (see proc(5)):
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
 * Lines that are not cgroup mounts, or malformed, are ignored.
 */
static int parse_line(char *line, struct cg_sys *sys, struct parse_state *st)
{
	char *p = line, *f[6], *type, *source, *opts, *mnt;
	unsigned long long dev;
	enum cg_version_t version;
	uint32_t ctrls = 0;
	const char *name = NULL;

	for (size_t i = 0; i < ELEMENTSOF(f); i++) {
		f[i] = next_field(&p);
		if (!f[i])
			return 0;
	}
	if (!is_number(f[0]) || !is_number(f[1]) || !parse_dev(f[2], &dev))
		return 0;
	for (;;) { /* optional fields "tag[:value]" up to the separator */
		char *o = next_field(&p);
		if (!o)
			return 0;
		if (!strcmp(o, "-"))
			break;
	}
	type = next_field(&p);
	source = next_field(&p);
	opts = next_field(&p);
	if (!type || !source || !opts)
		return 0;
	if (!strcmp(type, "cgroup"))
		version = CGROUP_V1;
	else if (!strcmp(type, "cgroup2"))
		version = CGROUP_V2;
	else
		return 0;

	mnt = f[4];
	if (unescape(mnt) < 0 || mnt[0] != '/')
		return 0;

	if (version == CGROUP_V1) {
		for (char *o = opts, *e; o; o = e) {
			int c;

			e = strchr(o, ',');
			if (e)
				*e++ = 0;
			if (!strncmp(o, "name=", 5)) {
				if (unescape(o) < 0 || !ol_component_valid(o + 5))
					return 0;
				name = o + 5;
				continue;
			}
			c = cg_ctrl_lookup(o);
			if (c >= 0 && (ctrl_table[c].versions & VER_1))
				ctrls |= CTRL_BIT(c);
		}
		if (!ctrls && !name)
			return 0; /* nothing addressable */
	} else if (!strcmp(mnt, "/sys/fs/cgroup")) {
		st->v2_at_std = true;
	}

	if (st->dedup) {
		struct cg_mount m = { .version = version, .ctrls = ctrls, .name = (char *)name };

		for (int i = 0; i < sys->n_mounts; i++)
			if (same_hierarchy(&sys->mounts[i], st->devs[i], &m, dev))
				return 0; /* bind mount of a hierarchy seen before: keep the first */
	}
	return add_mount(sys, st, dev, version, mnt, ctrls, name);
}

/* ctrl_mount and unified from the mounts, v1 bindings first, v2 masks included. */
static void sys_index(struct cg_sys *sys)
{
	sys->unified = -1;
	for (int c = 0; c < CG_CTRL_COUNT; c++)
		sys->ctrl_mount[c] = -1;
	for (int i = 0; i < sys->n_mounts; i++) {
		if (sys->mounts[i].version == CGROUP_V2) {
			if (sys->unified < 0)
				sys->unified = i;
			continue;
		}
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			if ((sys->mounts[i].ctrls & CTRL_BIT(c)) && sys->ctrl_mount[c] < 0)
				sys->ctrl_mount[c] = i;
	}
	if (sys->unified >= 0)
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			if ((sys->mounts[sys->unified].ctrls & CTRL_BIT(c)) && sys->ctrl_mount[c] < 0)
				sys->ctrl_mount[c] = sys->unified;
}

/* Controllers listed in the cgroup2 root's cgroup.controllers. */
static void sys_apply_v2(struct cg_sys *sys, const char *text)
{
	uint32_t mask = 0;

	if (sys->unified < 0 || !text)
		return;
	for (const char *p = text; *p;) {
		char word[32];
		size_t n;
		int c;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 0)
			break;
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = 0;
			c = cg_ctrl_lookup(word);
			if (c >= 0 && (ctrl_table[c].versions & VER_2))
				mask |= CTRL_BIT(c);
		}
		p += n;
	}
	sys->mounts[sys->unified].ctrls = mask;
	sys_index(sys);
}

/*
 * Mode from the mounts kept: unified when cgroup2 is at /sys/fs/cgroup or
 * there is no v1 controller hierarchy beside it, hybrid when there is,
 * legacy with v1 only.
 */
static enum cg_setup_mode_t compute_mode(const struct cg_sys *sys, bool v2_at_std)
{
	bool v1_any = false, v1_ctrl = false;

	for (int i = 0; i < sys->n_mounts; i++)
		if (sys->mounts[i].version == CGROUP_V1) {
			v1_any = true;
			v1_ctrl = v1_ctrl || sys->mounts[i].ctrls != 0;
		}
	if (sys->unified >= 0)
		return (v2_at_std || !v1_ctrl) ? CGROUP_MODE_UNIFIED : CGROUP_MODE_HYBRID;
	return v1_any ? CGROUP_MODE_LEGACY : CGROUP_MODE_UNK;
}

/* The cgroup lines of mountinfo into *sys (index and mode not computed); devs per mount. */
static int parse_text(const char *mountinfo, struct parse_state *st, struct cg_sys *sys)
{
	_cleanup_free_ char *copy = NULL;
	struct cg_sys tmp;
	int r = 0;

	copy = strdup(mountinfo);
	if (!copy)
		return -ENOMEM;
	sys_init_empty(&tmp);
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		r = parse_line(line, &tmp, st);
		if (r < 0) {
			cg_sys_free(&tmp);
			free(st->devs);
			st->devs = NULL;
			return r;
		}
	}
	*sys = tmp;
	return 0;
}

int cg_parse_mountinfo(const char *mountinfo, const char *v2_controllers, struct cg_sys *sys)
{
	struct parse_state st = { .dedup = true, .max = CG_HIER_MAX };
	struct cg_sys tmp;
	int r;

	if (!mountinfo || !sys)
		return -EINVAL;
	r = parse_text(mountinfo, &st, &tmp);
	if (r < 0)
		return r;
	free(st.devs);
	sys_index(&tmp);
	tmp.mode = compute_mode(&tmp, st.v2_at_std);
	sys_apply_v2(&tmp, v2_controllers);
	*sys = tmp;
	return 0;
}

/* ------------------------------------------------------ process state */

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ns_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Published once, with release order; freed by the library destructor
 * (cg_sys_fini): a web server's `apachectl graceful` dlclose()s liblve and
 * dlopen()s it again on every reload, so the mount fds and the memory must
 * go with the image (issue 7: 10 fds leaked per reload before). Readers
 * never hold the pointer across calls into the library, so only a thread
 * still inside the library while it is unloaded or while exit() runs could
 * see it go, which is the caller's bug in both cases.
 */
static struct cg_sys *g_sys;
static unsigned g_ns_gen;

struct cg_sys *cg_sys_get(void)
{
	return __atomic_load_n(&g_sys, __ATOMIC_ACQUIRE);
}

unsigned cg_ns_generation(void)
{
	return __atomic_load_n(&g_ns_gen, __ATOMIC_ACQUIRE);
}

static int read_mountinfo(char **out)
{
	_cleanup_close_ int fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return ol_read_full_at(fd, "mountinfo", out, NULL);
}

/* O_PATH fd of a mount point, or -errno when it is not the cgroup fs it should be. */
static int open_mount(const struct cg_mount *m)
{
	_cleanup_close_ int fd = open(m->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sfs;

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	/* mounted over since mountinfo was read, or a stale entry */
	if ((m->version == CGROUP_V1 && sfs.f_type != CGROUP_SUPER_MAGIC) ||
	    (m->version == CGROUP_V2 && sfs.f_type != CGROUP2_SUPER_MAGIC))
		return -ENOMEDIUM;
	return TAKE_FD(fd);
}

/*
 * The whole detection with fds: -ENOMEDIUM when no cgroup hierarchy is
 * usable. Every cgroup line is a candidate; of the mounts of one hierarchy
 * the first that opens as that cgroup file system is kept, so a mount
 * hidden under a later one (cgroup2 mounted over the v1 tmpfs) is skipped.
 */
static int sys_load(struct cg_sys *out)
{
	struct parse_state st = { .dedup = false, .max = MOUNT_LINES_MAX };
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ unsigned long long *devs = NULL;
	struct cg_sys sys;
	bool v2_at_std = false;
	int r, n = 0;

	r = read_mountinfo(&text);
	if (r < 0)
		return r;
	r = parse_text(text, &st, &sys);
	if (r < 0)
		return r;
	devs = st.devs;

	for (int i = 0; i < sys.n_mounts; i++) {
		struct cg_mount *m = &sys.mounts[i];
		bool dup = false;
		int fd;

		for (int k = 0; k < n && !dup; k++)
			dup = same_hierarchy(&sys.mounts[k], devs[k], m, devs[i]);
		fd = dup || n >= CG_HIER_MAX ? -1 : open_mount(m);
		if (fd < 0) {
			free(m->path);
			free(m->name);
			continue;
		}
		m->fd = fd;
		if (m->version == CGROUP_V2 && !strcmp(m->path, "/sys/fs/cgroup"))
			v2_at_std = true;
		devs[n] = devs[i];
		sys.mounts[n++] = *m;
	}
	sys.n_mounts = n;
	if (n == 0) {
		cg_sys_free(&sys);
		return -ENOMEDIUM;
	}
	sys_index(&sys);
	sys.mode = compute_mode(&sys, v2_at_std);

	if (sys.unified >= 0) {
		char buf[1024];

		r = ol_read_at(sys.mounts[sys.unified].fd, "cgroup.controllers", buf, sizeof(buf));
		sys_apply_v2(&sys, r >= 0 ? buf : "");
	}
	*out = sys;
	return 0;
}

_public_ int cgroup_init(void)
{
	struct cg_sys *sys;
	int r;

	if (cg_sys_get())
		return 0;
	pthread_mutex_lock(&init_lock);
	if (g_sys) {
		pthread_mutex_unlock(&init_lock);
		return 0;
	}
	sys = malloc(sizeof(*sys));
	if (!sys) {
		pthread_mutex_unlock(&init_lock);
		return cg_ecg_from_errno(-ENOMEM);
	}
	r = sys_load(sys);
	if (r < 0) {
		free(sys);
		pthread_mutex_unlock(&init_lock);
		if (r == -ENOMEDIUM)
			return ECGROUPNOTMOUNTED;
		if (r == -ENOMEM)
			return cg_ecg_from_errno(r);
		return cg_fail_errno(r);
	}
	__atomic_store_n(&g_sys, sys, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&init_lock);
	return 0;
}

__attribute__((destructor)) static void cg_sys_fini(void)
{
	struct cg_sys *sys;

	pthread_mutex_lock(&init_lock);
	sys = __atomic_exchange_n(&g_sys, NULL, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&init_lock);
	if (sys) {
		cg_sys_free(sys);
		free(sys);
	}
}

int cg_sys_fds(int *fds, int max)
{
	const struct cg_sys *sys = cg_sys_get();
	int n = 0;

	if (!sys)
		return 0;
	for (int i = 0; i < sys->n_mounts; i++)
		if (sys->mounts[i].fd >= 0) {
			if (n >= max)
				return -E2BIG;
			fds[n++] = sys->mounts[i].fd;
		}
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int fd = __atomic_load_n(&sys->ns_fd[c], __ATOMIC_ACQUIRE);

		if (sys->ns[c] && fd >= 0) {
			if (n >= max)
				return -E2BIG;
			fds[n++] = fd;
		}
	}
	return n;
}

/* ------------------------------------------------------------ lookups */

int cg_ctrl_resolve(const struct cg_sys *sys, int ctrl)
{
	if (!sys || ctrl < 0 || ctrl >= CG_CTRL_COUNT)
		return -1;
	if (sys->ctrl_mount[ctrl] >= 0)
		return ctrl;
	if (ctrl == CG_CTRL_BLKIO && sys->ctrl_mount[CG_CTRL_IO] >= 0)
		return CG_CTRL_IO;
	if (ctrl == CG_CTRL_IO && sys->ctrl_mount[CG_CTRL_BLKIO] >= 0)
		return CG_CTRL_BLKIO;
	return -1;
}

int cg_hier_lookup(const char *name, int *ctrl)
{
	const struct cg_sys *sys = cg_sys_get();
	int c;

	if (!sys)
		return -ENODEV;
	if (!name)
		return -EINVAL;
	if (!strncmp(name, "name=", 5)) {
		for (int i = 0; i < sys->n_mounts; i++)
			if (sys->mounts[i].name && !strcmp(sys->mounts[i].name, name + 5)) {
				if (ctrl)
					*ctrl = -1;
				return i;
			}
		return -ENOENT;
	}
	c = cg_ctrl_resolve(sys, cg_ctrl_lookup(name));
	if (c < 0)
		return -ENOENT;
	if (ctrl)
		*ctrl = c;
	return sys->ctrl_mount[c];
}

int cg_ctrl_root_fd(int ctrl, const struct cg_mount **mount)
{
	const struct cg_sys *sys = cg_sys_get();
	int c, fd, idx;

	if (!sys)
		return -ENODEV;
	if (ctrl < 0 || ctrl >= CG_CTRL_COUNT)
		return -EINVAL;
	c = cg_ctrl_resolve(sys, ctrl);
	if (c < 0)
		return -ENOENT;
	idx = sys->ctrl_mount[c];
	fd = __atomic_load_n(&sys->ns_fd[c], __ATOMIC_ACQUIRE);
	if (fd < 0)
		fd = sys->mounts[idx].fd;
	if (fd < 0)
		return -ENOENT;
	if (mount)
		*mount = &sys->mounts[idx];
	return fd;
}

int cg_mount_root_fd(int mount_index)
{
	const struct cg_sys *sys = cg_sys_get();

	if (!sys)
		return -ENODEV;
	if (mount_index < 0 || mount_index >= sys->n_mounts)
		return -EINVAL;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int fd;

		if (sys->ctrl_mount[c] != mount_index)
			continue;
		fd = __atomic_load_n(&sys->ns_fd[c], __ATOMIC_ACQUIRE);
		if (fd >= 0)
			return fd;
	}
	return sys->mounts[mount_index].fd >= 0 ? sys->mounts[mount_index].fd : -ENOENT;
}

int cg_open_group(int ctrl, const char *name, int flags, mode_t mode)
{
	int root = cg_ctrl_root_fd(ctrl, NULL);

	if (root < 0)
		return root;
	return ol_open_dir_beneath(root, name ? name : "", flags, mode);
}

/* ------------------------------------------------------------- public */

_public_ int cgroup_get_subsys_mount_point(const char *controller, char **mount_point)
{
	const struct cg_sys *sys = cg_sys_get();
	char *p;
	int idx;

	if (!controller || !mount_point)
		return ECGINVAL;
	if (!sys)
		return ECGROUPNOTINITIALIZED;
	idx = cg_hier_lookup(controller, NULL);
	if (idx < 0)
		return ECGROUPNOTEXIST;
	p = strdup(sys->mounts[idx].path);
	if (!p)
		return cg_ecg_from_errno(-ENOMEM);
	*mount_point = p;
	return 0;
}

_public_ int cgroup_list_mount_points(const enum cg_version_t cgrp_version, char ***mount_paths)
{
	const struct cg_sys *sys = cg_sys_get();
	_cleanup_strv_free_ char **list = NULL;
	int n = 0;

	if (!mount_paths || (cgrp_version != CGROUP_V1 && cgrp_version != CGROUP_V2))
		return ECGINVAL;
	if (!sys)
		return ECGROUPNOTINITIALIZED;
	list = calloc((size_t)sys->n_mounts + 1, sizeof(char *));
	if (!list)
		return cg_ecg_from_errno(-ENOMEM);
	for (int i = 0; i < sys->n_mounts; i++) {
		if (sys->mounts[i].version != cgrp_version)
			continue;
		list[n] = strdup(sys->mounts[i].path);
		if (!list[n])
			return cg_ecg_from_errno(-ENOMEM);
		n++;
	}
	*mount_paths = TAKE_PTR(list);
	return 0;
}

_public_ int cgroup_get_controller_version(const char *const controller, enum cg_version_t *const version)
{
	const struct cg_sys *sys = cg_sys_get();
	int idx;

	if (!version)
		return ECGINVAL;
	if (!sys)
		return ECGROUPNOTINITIALIZED;
	if (!controller) {
		/* libcgroup: no controller means the cgroup2 hierarchy itself */
		if (sys->unified < 0)
			return ECGINVAL;
		*version = CGROUP_V2;
		return 0;
	}
	idx = cg_hier_lookup(controller, NULL);
	if (idx < 0) {
		*version = CGROUP_UNK; /* documented by libcgroup */
		return ECGROUPNOTEXIST;
	}
	*version = sys->mounts[idx].version;
	return 0;
}

_public_ enum cg_setup_mode_t cgroup_setup_mode(void)
{
	const struct cg_sys *sys = cg_sys_get();
	struct cg_sys tmp;
	enum cg_setup_mode_t mode;

	if (sys)
		return sys->mode;
	/* Like libcgroup's, this works before cgroup_init(): a one-off look. */
	if (sys_load(&tmp) < 0)
		return CGROUP_MODE_UNK;
	mode = tmp.mode;
	cg_sys_free(&tmp);
	return mode;
}

_public_ bool is_cgroup_mode_legacy(void)
{
	return cgroup_setup_mode() == CGROUP_MODE_LEGACY;
}

_public_ bool is_cgroup_mode_hybrid(void)
{
	return cgroup_setup_mode() == CGROUP_MODE_HYBRID;
}

_public_ bool is_cgroup_mode_unified(void)
{
	return cgroup_setup_mode() == CGROUP_MODE_UNIFIED;
}

_public_ int cgroup_add_all_controllers(struct cgroup *cgrp)
{
	const struct cg_sys *sys = cg_sys_get();

	if (!cgrp)
		return ECGINVAL;
	if (!sys)
		return ECGROUPNOTINITIALIZED;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		if (sys->ctrl_mount[c] < 0)
			continue;
		if (cgroup_get_controller(cgrp, ctrl_table[c].name))
			continue; /* already there: keep its settings */
		if (!cgroup_add_controller(cgrp, ctrl_table[c].name))
			return ECGINVAL;
	}
	return 0;
}

/* True for NULL, "" and "/", "//": no namespace. */
static bool ns_is_root(const char *path)
{
	return !path || path[strspn(path, "/")] == 0;
}

/* "/a//b/" -> "a/b" (the path has passed ol_name_check). */
static char *ns_normalize(const char *path)
{
	char *s = malloc(strlen(path) + 1), *w = s;

	if (!s)
		return NULL;
	for (const char *p = path; *p;) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (w != s)
			*w++ = '/';
		memcpy(w, p, n);
		w += n;
		p += n;
	}
	*w = 0;
	return s;
}

_public_ int cgroup_set_namespace(const char *controller, const char *path)
{
	struct cg_sys *sys = cg_sys_get();
	int new_fd[CG_CTRL_COUNT];
	char *new_ns[CG_CTRL_COUNT] = {};
	bool sel[CG_CTRL_COUNT] = {};
	bool clear = ns_is_root(path);
	int r = 0;

	if (!sys)
		return ECGROUPNOTINITIALIZED;
	if (controller) {
		int c = cg_ctrl_resolve(sys, cg_ctrl_lookup(controller));
		if (c < 0)
			return ECGROUPSUBSYSNOTMOUNTED;
		sel[c] = true;
	} else {
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			sel[c] = sys->ctrl_mount[c] >= 0;
	}
	if (!clear) {
		r = ol_name_check(path);
		if (r < 0)
			return cg_ecg_from_errno(r);
	}

	/* open everything first, so a failure changes nothing */
	for (int c = 0; c < CG_CTRL_COUNT; c++)
		new_fd[c] = -1;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		if (!sel[c] || clear)
			continue;
		r = ol_open_dir_beneath(sys->mounts[sys->ctrl_mount[c]].fd, path, OL_OPEN_PATH, 0);
		if (r < 0)
			break;
		new_fd[c] = r;
		new_ns[c] = ns_normalize(path);
		if (!new_ns[c]) {
			r = -ENOMEM;
			break;
		}
		r = 0;
	}
	if (r < 0) {
		for (int c = 0; c < CG_CTRL_COUNT; c++) {
			safe_close(new_fd[c]);
			free(new_ns[c]);
		}
		return cg_ecg_from_errno(r);
	}

	/*
	 * Swap in. A configuration call: fds borrowed from cg_ctrl_root_fd()
	 * by a concurrent operation on the same controller would be closed
	 * under it, so set namespaces before other threads use the library
	 * (as with libcgroup's configuration loading).
	 */
	pthread_mutex_lock(&ns_lock);
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int old_fd;
		char *old_ns;

		if (!sel[c])
			continue;
		old_ns = sys->ns[c];
		old_fd = old_ns ? sys->ns_fd[c] : -1;
		sys->ns[c] = new_ns[c];
		__atomic_store_n(&sys->ns_fd[c], new_fd[c], __ATOMIC_RELEASE);
		safe_close(old_fd);
		free(old_ns);
	}
	__atomic_add_fetch(&g_ns_gen, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&ns_lock);
	return 0;
}

/* ------------------------------------------ all mount points (issue 13) */

/*
 * Every mount point of hierarchy `mount_index` (bind mounts included), in
 * mountinfo order, the one in use first: a NULL-terminated strv. Same
 * hierarchy = same device as the kept mount's root (or the cgroup2 mount).
 */
int cg_hier_mount_paths(int mount_index, char ***ret)
{
	const struct cg_sys *sys = cg_sys_get();
	struct parse_state st = { .dedup = false, .max = MOUNT_LINES_MAX };
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_free_ char **list = NULL;
	const struct cg_mount *want;
	struct cg_sys all;
	struct stat sb;
	unsigned long long dev;
	int r, n = 0;

	if (!sys)
		return -ENODEV;
	if (mount_index < 0 || mount_index >= sys->n_mounts)
		return -EINVAL;
	want = &sys->mounts[mount_index];
	if (fstat(want->fd, &sb) < 0)
		return -errno;
	dev = ((unsigned long long)major(sb.st_dev) << 32) ^ minor(sb.st_dev);
	r = read_mountinfo(&text);
	if (r < 0)
		return r;
	r = parse_text(text, &st, &all);
	if (r < 0)
		return r;
	list = calloc((size_t)all.n_mounts + 2, sizeof(char *));
	r = list ? 0 : -ENOMEM;
	if (r == 0) {
		list[n] = strdup(want->path);
		r = list[n++] ? 0 : -ENOMEM;
	}
	for (int i = 0; r == 0 && i < all.n_mounts; i++) {
		const struct cg_mount *m = &all.mounts[i];

		if (!same_hierarchy(m, st.devs[i], want, dev) || !strcmp(m->path, want->path))
			continue;
		list[n] = strdup(m->path);
		r = list[n++] ? 0 : -ENOMEM;
	}
	free(st.devs);
	cg_sys_free(&all);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(list);
	return 0;
}
