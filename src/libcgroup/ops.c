/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ops.c - the kernel side of libcgroup's group operations: create, modify,
 * delete, get, procs/threads and chmod.
 *
 * Everything works on directory fds: a group is opened with cg_open_group()
 * (names resolved beneath the controller's namespace root, no "..", no
 * symlinks) and must lie on the hierarchy's own filesystem (group_open()),
 * its files are opened with openat(O_NOFOLLOW). No path strings are built
 * and no stdio is used.
 *
 * "Hierarchy" below means one directory tree where group names are rooted:
 * a v1 mount (or the cgroup2 mount) together with the namespace root of the
 * controllers using it. Controllers whose roots are the same directory
 * (co-mounted v1 controllers, or all v2 controllers sharing a namespace)
 * form one hierarchy, so a group is created/deleted/read there once.
 *
 * Error codes (libcgroup's):
 *   ECGROUPNOTINITIALIZED  cgroup_init() was not called
 *   ECGROUPNOTALLOWED      NULL struct cgroup
 *   ECGINVAL               invalid name/flags/arguments; no controllers and no
 *                          cgroup v2 hierarchy for a controller-less group
 *   ECGROUPSUBSYSNOTMOUNTED a controller is unknown or not mounted/available
 *   ECGROUPNOTEXIST        the group does not exist
 *   ECGCANTSETVALUE        modify: a value could not be written
 *   ECGROUPVALUENOTEXIST   modify: the setting does not exist (no such file)
 *   ECGROUPNOTEQUAL        create_from_parent: an inherited value failed
 *   ECGNONEMPTY            delete with CGFLAG_DELETE_EMPTY_ONLY: tasks or children
 *   ECGOTHER               (errno EBUSY) delete: children or tasks remain;
 *                          (errno ENOENT) delete: no such group; (errno of the
 *                          write) create: a value was refused, the group removed
 *   others via cg_ecg_from_errno(); cgroup_get_last_errno() holds the errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "macro.h"

#define GROUP_DIR_MODE 0755
/* Rounds of "read the task list, move every task" before giving up. */
#define MIGRATE_ROUNDS 64
/* Deepest subtree a recursive delete/chmod descends into. */
#define MAX_DEPTH 512
/* Stack buffer for reading one control file; bigger files go to the heap. */
#define READ_BUF 8192

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ---------------------------------------------------------- hierarchies */

struct hier {
	int ctrl;                  /* controller used to open groups here, -1: named v1 hierarchy */
	int mount;                 /* named hierarchy: index into cg_sys_get()->mounts */
	uint32_t ctrls;            /* controllers of the request bound here */
	enum cg_version_t version; /* CGROUP_V1 or CGROUP_V2 */
	dev_t dev;                 /* identity of the root directory */
	ino_t ino;
};

/* Hierarchies one request can span: every controller's, plus named v1 ones. */
#define OPS_HIER_MAX (CG_CTRL_COUNT + 8)

struct hier_set {
	struct hier h[OPS_HIER_MAX];
	int n;
	/* per controller of the struct cgroup: index of its hierarchy */
	int of[CG_CONTROLLER_MAX];
	/* per resolved controller: the name the caller used ("io" for blkio), or NULL */
	const char *asked[CG_CTRL_COUNT];
};

/* Name a controller has in a hierarchy of version v (blkio is "io" on v2). */
static const char *ctrl_name_in(int ctrl, enum cg_version_t v)
{
	if (v == CGROUP_V2 && ctrl == CG_CTRL_BLKIO)
		return "io";
	if (v == CGROUP_V1 && ctrl == CG_CTRL_IO)
		return "blkio";
	return cg_ctrl_name(ctrl);
}

/*
 * Resolve a controller to its enum value, root dirfd and version, following
 * the blkio <-> io rename. -ENOENT when unknown or not available.
 */
static int ctrl_resolve(int ctrl, int *ret_ctrl, int *ret_root, enum cg_version_t *ret_version)
{
	const struct cg_mount *m = NULL;
	int fd;

	if (ctrl < 0 || ctrl >= CG_CTRL_COUNT)
		return -ENOENT;
	ctrl = cg_ctrl_resolve(cg_sys_get(), ctrl);
	if (ctrl < 0)
		return cg_sys_get() ? -ENOENT : -ENODEV;
	fd = cg_ctrl_root_fd(ctrl, &m);
	if (fd < 0)
		return fd == -ENODEV ? -ENODEV : -ENOENT;
	if (!m || (m->version != CGROUP_V1 && m->version != CGROUP_V2))
		return -ENOENT;
	*ret_ctrl = ctrl;
	*ret_root = fd;
	*ret_version = m->version;
	return 0;
}

/*
 * Identity of a controller's root directory. fstat() once per thread and
 * namespace setting: the root fd only changes with cgroup_set_namespace(),
 * which bumps the generation.
 */
static int root_identity(int ctrl, int root, dev_t *dev, ino_t *ino)
{
	static _Thread_local struct {
		bool valid;
		unsigned gen;
		int fd;
		dev_t dev;
		ino_t ino;
	} cache[CG_CTRL_COUNT];
	unsigned gen = cg_ns_generation();
	struct stat st;

	if (cache[ctrl].valid && cache[ctrl].gen == gen && cache[ctrl].fd == root) {
		*dev = cache[ctrl].dev;
		*ino = cache[ctrl].ino;
		return 0;
	}
	if (fstat(root, &st) < 0)
		return -errno;
	cache[ctrl].valid = true;
	cache[ctrl].gen = gen;
	cache[ctrl].fd = root;
	cache[ctrl].dev = *dev = st.st_dev;
	cache[ctrl].ino = *ino = st.st_ino;
	return 0;
}

/* Add controller `ctrl` to the set; returns the hierarchy index or -errno. */
static int hier_add(struct hier_set *s, int ctrl)
{
	enum cg_version_t v;
	dev_t dev = 0;
	ino_t ino = 0;
	int r, root;

	r = ctrl_resolve(ctrl, &ctrl, &root, &v);
	if (r < 0)
		return r;
	r = root_identity(ctrl, root, &dev, &ino);
	if (r < 0)
		return r;
	for (int i = 0; i < s->n; i++)
		if (s->h[i].dev == dev && s->h[i].ino == ino && s->h[i].version == v) {
			s->h[i].ctrls |= 1u << ctrl;
			return i;
		}
	if (s->n >= (int)ELEMENTSOF(s->h))
		return -E2BIG;
	s->h[s->n] = (struct hier){
		.ctrl = ctrl,
		.ctrls = 1u << ctrl,
		.version = v,
		.dev = dev,
		.ino = ino,
	};
	return s->n++;
}

/* A named v1 hierarchy ("name=X", no controllers): returns the hierarchy index or -errno. */
static int hier_add_named(struct hier_set *s, const char *name)
{
	const struct cg_sys *sys = cg_sys_get();
	int ctrl = -1, idx = cg_hier_lookup(name, &ctrl);
	struct stat st;

	if (idx < 0)
		return idx;
	if (ctrl >= 0 || sys->mounts[idx].version != CGROUP_V1)
		return -ENOENT;
	for (int i = 0; i < s->n; i++)
		if (s->h[i].ctrl < 0 && s->h[i].mount == idx)
			return i;
	if (s->n >= (int)ELEMENTSOF(s->h))
		return -E2BIG;
	if (fstat(cg_mount_root_fd(idx), &st) < 0)
		return -errno;
	s->h[s->n] = (struct hier){
		.ctrl = -1,
		.mount = idx,
		.ctrls = 0,
		.version = CGROUP_V1,
		.dev = st.st_dev,
		.ino = st.st_ino,
	};
	return s->n++;
}

/*
 * The hierarchies covering the controllers of cgrp. A group without
 * controllers lives on the cgroup v2 hierarchy (libcgroup 3.x: "an empty
 * cgroup v2 group"), reached through any controller of it so namespaces
 * apply. Returns 0 or an ECG* code.
 */
static int hier_set_build(struct hier_set *s, const struct cgroup *cgrp, bool allow_empty)
{
	*s = (struct hier_set){};

	if (cgrp->index <= 0) {
		if (!allow_empty)
			return ECGINVAL;
		for (int c = 0; c < CG_CTRL_COUNT; c++) {
			enum cg_version_t v;
			int ctrl, root, i;

			if (ctrl_resolve(c, &ctrl, &root, &v) < 0 || v != CGROUP_V2)
				continue;
			i = hier_add(s, ctrl);
			if (i < 0)
				return cg_ecg_from_errno(i);
			s->h[i].ctrls = 0; /* no controller to enable */
			return 0;
		}
		return ECGINVAL;
	}

	for (int i = 0; i < cgrp->index && i < CG_CONTROLLER_MAX; i++) {
		const struct cgroup_controller *c = cgrp->controller[i];
		int ctrl, hi;

		if (!c || !c->name)
			return ECGINVAL;
		ctrl = cg_ctrl_lookup(c->name);
		if (ctrl < 0 && !strncmp(c->name, "name=", 5)) {
			hi = hier_add_named(s, c->name);
			if (hi == -ENODEV)
				return ECGROUPNOTINITIALIZED;
			if (hi < 0) {
				cg_fail_errno(hi);
				return hi == -ENOENT ? ECGROUPSUBSYSNOTMOUNTED : cg_ecg_from_errno(hi);
			}
			s->of[i] = hi;
			continue;
		}
		if (ctrl < 0) {
			cg_fail_errno(-ENOENT);
			return ECGROUPSUBSYSNOTMOUNTED;
		}
		hi = hier_add(s, ctrl);
		if (hi == -ENODEV)
			return ECGROUPNOTINITIALIZED;
		if (hi < 0) {
			if (hi == -ENOENT) {
				cg_fail_errno(hi);
				return ECGROUPSUBSYSNOTMOUNTED;
			}
			return cg_ecg_from_errno(hi);
		}
		s->of[i] = hi;
		ctrl = cg_ctrl_resolve(cg_sys_get(), ctrl);
		if (ctrl >= 0 && !s->asked[ctrl])
			s->asked[ctrl] = c->name;
	}
	return 0;
}

/* Common entry checks. Returns 0 or an ECG* code. */
static int check_entry(const struct cgroup *cgrp)
{
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	if (!cgrp)
		return ECGROUPNOTALLOWED;
	if (!cgrp->name || ol_name_check(cgrp->name) < 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	return 0;
}

/* Length of the parent part of a normalized name ("a/b/c" -> 3, "c" -> 0). */
static size_t parent_len(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? (size_t)(slash - name) : 0;
}

static const char *base_name(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? slash + 1 : name;
}

/*
 * Open group `name` of a hierarchy. The directory is on the hierarchy's own
 * filesystem: ol_open_dir_beneath() never crosses into another mount placed
 * inside the cgroup tree (a tmpfs with symlinks, ...) and never follows a
 * symlink; -EXDEV when it would have to. No fstat() needed here.
 */
static int group_open(int ctrl, const char *name, int flags, mode_t mode)
{
	int fd;

	fd = cg_open_group(ctrl, name, flags, mode);
	if (fd < 0)
		return fd == -ENOTDIR && !(flags & OL_OPEN_CREATE) ? -ENOENT : fd;
	return fd;
}

/* Borrowed dirfd where the hierarchy's group names are rooted. */
static int hier_root_fd(const struct hier *h)
{
	return h->ctrl >= 0 ? cg_ctrl_root_fd(h->ctrl, NULL) : cg_mount_root_fd(h->mount);
}

static int hier_open(const struct hier *h, const char *name, int flags, mode_t mode)
{
	int root, fd;

	if (h->ctrl >= 0)
		return group_open(h->ctrl, name, flags, mode);
	root = hier_root_fd(h);
	if (root < 0)
		return root;
	fd = ol_open_dir_beneath(root, name ? name : "", flags, mode);
	return fd == -ENOTDIR && !(flags & OL_OPEN_CREATE) ? -ENOENT : fd;
}

/*
 * O_PATH fd of the parent directory of group `name` (which has a '/'; its
 * last component is not ""). One openat2 where the kernel has it.
 */
static int open_parent(const struct hier *h, const char *name)
{
	char p[OL_NAME_MAX + 1];
	size_t n = parent_len(name);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, name, n);
	p[n] = 0;
	return hier_open(h, p, OL_OPEN_PATH, 0);
}

/*
 * O_PATH fd of group `name` of a hierarchy, creating it and any missing
 * parents. The common case (the parent exists) is one open of the parent,
 * one mkdirat and one open of the group, all beneath the hierarchy root on
 * its own filesystem (see group_open); a missing parent falls back to
 * ol_open_dir_beneath(OL_OPEN_CREATE), which creates one component at a
 * time and never creates anything on a foreign mount inside the tree.
 * O_PATH: a full open (and close) of a cgroup directory costs about as much
 * as writing a value, and the fd only serves as the base of openat().
 */
static int hier_create(const struct hier *h, const char *name, mode_t mode, bool *created)
{
	_cleanup_close_ int pfd = -1;
	const char *base = base_name(name);
	int parent;

	*created = false;
	if (!*name)
		return hier_open(h, "", OL_OPEN_PATH, 0);
	if (!strchr(name, '/')) {
		parent = hier_root_fd(h); /* borrowed */
		if (parent < 0)
			return parent;
	} else {
		parent = pfd = open_parent(h, name);
		if (parent == -ENOENT) {
			*created = true; /* (some of) the path is new */
			return hier_open(h, name, OL_OPEN_CREATE | OL_OPEN_PATH, mode);
		}
		if (parent < 0)
			return parent;
	}
	if (mkdirat(parent, base, mode) == 0)
		*created = true;
	else if (errno != EEXIST)
		return -errno;
	return ol_open_dir_beneath(parent, base, OL_OPEN_PATH, 0);
}

/* Skip leading '/' so "/a/b" is root-relative; "." alone is the root. */
static const char *name_rel(const char *name)
{
	name += strspn(name, "/");
	if (streq(name, "."))
		return "";
	return name;
}

/* -------------------------------------------------------- small file io */

/* Read a whole control file below dirfd (no symlink following). malloc'd, NUL-terminated. */
static int read_file_at(int dirfd, const char *file, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *heap = NULL;
	char buf[READ_BUF];
	size_t got = 0, cap = sizeof(buf);
	char *p = buf;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nb;

			if (ncap > (64u << 20))
				return -EFBIG;
			nb = realloc(heap, ncap);
			if (!nb)
				return -ENOMEM;
			if (!heap)
				memcpy(nb, buf, got);
			heap = nb;
			p = heap;
			cap = ncap;
		}
		n = read(fd, p + got, cap - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	p[got] = 0;
	if (!heap) {
		heap = malloc(got + 1);
		if (!heap)
			return -ENOMEM;
		memcpy(heap, buf, got + 1);
	}
	if (ret_len)
		*ret_len = got;
	*ret = TAKE_PTR(heap);
	return 0;
}

/*
 * Write one setting. Empty text is written as "\n" (a zero-length write is
 * a no-op in the kernel, "\n" clears e.g. cpuset.cpus). A multi-line value
 * (io.max, blkio.throttle.* for several devices) is written one line per
 * write(2), as the kernel parses one entry per write.
 */
static int write_setting(int gfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = -1;
	bool wrote = false;
	const char *p;

	if (!ol_component_valid(name))
		return -EINVAL;
	if (!value)
		value = "";
	/* gfd is on the cgroup filesystem (checked), which holds only files and dirs */
	fd = openat(gfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	p = value;
	while (*p) {
		const char *e = strchrnul(p, '\n');
		int r;

		if (e > p) {
			r = ol_write_fd(fd, p, (size_t)(e - p));
			if (r < 0)
				return r;
			wrote = true;
		}
		p = *e ? e + 1 : e;
	}
	if (!wrote)
		return ol_write_fd(fd, "\n", 1);
	return 0;
}

/* Does a whitespace separated list contain word? */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (*p) {
		size_t k;

		p += strspn(p, " \t\n");
		k = strcspn(p, " \t\n");
		if (k == n && memcmp(p, word, n) == 0)
			return true;
		p += k;
	}
	return false;
}

/* ------------------------------------------------------ cgroup v2 setup */

/* Enable every controller of mask in dirfd's cgroup.subtree_control (skip enabled ones). */
static int v2_enable_in(int dirfd, uint32_t mask)
{
	char cur[1024];
	int r;

	r = ol_read_at(dirfd, "cgroup.subtree_control", cur, sizeof(cur));
	if (r < 0)
		return r;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		char word[64];
		const char *nm;

		if (!(mask & (1u << c)))
			continue;
		nm = ctrl_name_in(c, CGROUP_V2);
		if (!nm || list_has(cur, nm))
			continue;
		if ((size_t)snprintf(word, sizeof(word), "+%s", nm) >= sizeof(word))
			return -EINVAL;
		r = ol_write_at(dirfd, "cgroup.subtree_control", word);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Enable the controllers of h in every ancestor of `name`, from the
 * namespace root down to the parent. Never above the namespace root.
 */
static int v2_enable_path(const struct hier *h, const char *name)
{
	_cleanup_close_ int cur = -1;
	const char *p = name;
	int r;

	if (!h->ctrls || !*name)
		return 0;
	cur = cg_open_group(h->ctrl, "", OL_OPEN_PATH, 0);
	if (cur < 0)
		return cur;
	for (;;) {
		char comp[NAME_MAX + 1];
		const char *e;
		size_t n;
		int next;

		p += strspn(p, "/");
		e = strchrnul(p, '/');
		if (!*e || !e[strspn(e, "/")])
			break; /* p is the last component: the group itself */
		r = v2_enable_in(cur, h->ctrls);
		if (r < 0)
			return r;
		n = (size_t)(e - p);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = 0;
		next = ol_open_dir_beneath(cur, comp, OL_OPEN_PATH, 0);
		if (next < 0)
			return next;
		safe_close(cur);
		cur = next;
		p = e;
	}
	return v2_enable_in(cur, h->ctrls);
}

/* -------------------------------------------------- ownership and modes */

static mode_t mode_masked(mode_t want, mode_t cur)
{
	mode_t u = cur & S_IRWXU;

	return want & (u | (u >> 3) | (u >> 6) | S_ISUID | S_ISGID | S_ISVTX);
}

/*
 * The files that get tasks_uid/gid and task_fperm: v1 "tasks" only (v1
 * cgroup.procs is a control file, owned by control_uid, as in libcgroup);
 * v2 cgroup.procs and cgroup.threads.
 */
static bool is_task_file(enum cg_version_t v, const char *name)
{
	if (v == CGROUP_V1)
		return streq(name, "tasks");
	return streq(name, "cgroup.procs") || streq(name, "cgroup.threads");
}

/* chmod a regular file without following symlinks. */
static int chmod_at(int dirfd, const char *name, mode_t mode)
{
	if (fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	/* old libc/kernel without fchmodat2 and no /proc: caller checked S_ISREG */
	if (errno == ENOTSUP || errno == ENOSYS || errno == ENOENT) {
		struct stat st;

		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    fchmodat(dirfd, name, mode, 0) == 0)
			return 0;
	}
	return -errno;
}

/*
 * Apply cgrp's owners and permissions to a freshly created group (gfd may
 * be O_PATH): control files and the directory get control_uid/gid, the task
 * files tasks_uid/gid; modes are masked with the file's owner bits
 * (libcgroup). Returns the first -errno, after trying everything.
 */
static int group_apply_owner(const struct cgroup *cgrp, int gfd, enum cg_version_t v, bool do_chown)
{
	bool ctl_own = do_chown && (cgrp->control_uid != NO_UID_GID || cgrp->control_gid != NO_UID_GID);
	bool task_own = do_chown && (cgrp->tasks_uid != NO_UID_GID || cgrp->tasks_gid != NO_UID_GID);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int r = 0, dfd;

	if (!ctl_own && !task_own && cgrp->control_dperm == NO_PERMS &&
	    cgrp->control_fperm == NO_PERMS && cgrp->task_fperm == NO_PERMS)
		return 0;

	/* a readable fd of the group: fchown/fchmod refuse O_PATH fds */
	dfd = openat(gfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (ctl_own && fchown(dfd, cgrp->control_uid, cgrp->control_gid) < 0 && r == 0)
		r = -errno;
	if (cgrp->control_dperm != NO_PERMS) {
		int k = fstat(dfd, &st) < 0 ? -errno : 0;

		if (k == 0 && fchmod(dfd, mode_masked(cgrp->control_dperm, st.st_mode)) < 0)
			k = -errno;
		if (k < 0 && r == 0)
			r = k;
	}

	{
		int k = ol_fdopendir(dfd, &d);

		if (k < 0)
			return r ? r : k;
	}
	while ((errno = 0, de = readdir(d))) {
		bool task;
		mode_t perm;
		uid_t uid;
		gid_t gid;

		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		task = is_task_file(v, de->d_name);
		uid = task ? cgrp->tasks_uid : cgrp->control_uid;
		gid = task ? cgrp->tasks_gid : cgrp->control_gid;
		if ((task ? task_own : ctl_own) &&
		    fchownat(dfd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && r == 0)
			r = -errno;
		perm = task ? cgrp->task_fperm : cgrp->control_fperm;
		if (perm != NO_PERMS) {
			int k = chmod_at(dfd, de->d_name, mode_masked(perm, st.st_mode));

			if (k < 0 && r == 0)
				r = k;
		}
	}
	if (errno != 0 && r == 0)
		r = -errno;
	return r;
}

/* ------------------------------------------------------- writing values */

struct write_op {
	int hier;            /* index into the hierarchy set */
	int ci;              /* index of the controller in the struct cgroup */
	const char *name;    /* borrowed */
	const char *value;   /* borrowed */
	struct cg_value *orig; /* value written as is (dirty flag to clear), NULL if converted */
	int err;             /* 0 or -errno */
	bool final;          /* failed in a way a retry cannot fix */
};

struct write_plan {
	struct write_op *ops;
	int n, cap;
	/* converted settings, owned; index = controller index in the cgroup */
	struct cgroup_controller conv[CG_CONTROLLER_MAX];
	bool conv_used[CG_CONTROLLER_MAX];
	int conv_err[CG_CONTROLLER_MAX]; /* conversion failure, -errno */
};

static void write_plan_done(struct write_plan *p)
{
	free(p->ops);
	for (int i = 0; i < CG_CONTROLLER_MAX; i++)
		if (p->conv_used[i])
			cg_controller_clear(&p->conv[i]);
}

static int plan_push(struct write_plan *p, struct write_op op)
{
	if (p->n >= p->cap) {
		int cap = p->cap ? p->cap * 2 : 32;
		struct write_op *n = realloc(p->ops, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->ops = n;
		p->cap = cap;
	}
	p->ops[p->n++] = op;
	return 0;
}

static bool value_selected(const struct cg_value *v, bool dirty_only)
{
	if (dirty_only)
		return v->dirty;
	/* a value added with a NULL text only names the setting: nothing to write */
	return v->dirty || (v->value && *v->value);
}

/*
 * Plan the writes of controller ci: settings of the hierarchy's own version
 * (or valid in both) go as they are; the others are translated together by
 * cg_convert_controller() (pairs such as quota + period combine).
 */
static int plan_controller(struct write_plan *p, const struct hier_set *s, struct cgroup *cgrp,
			   int ci, bool dirty_only)
{
	struct cgroup_controller *c = cgrp->controller[ci];
	enum cg_version_t v = s->h[s->of[ci]].version;
	_cleanup_free_ struct cg_value *foreign = NULL;
	int n_foreign = 0, r;

	for (int j = 0; j < c->n_values; j++) {
		struct cg_value *val = &c->values[j];
		enum cg_version_t sv;

		if (!value_selected(val, dirty_only))
			continue;
		sv = cg_setting_version(val->name);
		if (sv == CGROUP_UNK || sv == v) {
			r = plan_push(p, (struct write_op){ .hier = s->of[ci], .ci = ci,
							    .name = val->name, .value = val->value,
							    .orig = val });
			if (r < 0)
				return r;
			continue;
		}
		if (!foreign) {
			foreign = calloc((size_t)c->n_values, sizeof(*foreign));
			if (!foreign)
				return -ENOMEM;
		}
		foreign[n_foreign++] = *val; /* shallow: convert only reads */
	}
	if (n_foreign == 0)
		return 0;

	{
		const struct cgroup_controller in = {
			.name = c->name,
			.values = foreign,
			.n_values = n_foreign,
			.cap_values = n_foreign,
			.cgroup = cgrp,
		};
		struct cgroup_controller *out = &p->conv[ci];

		*out = (struct cgroup_controller){ .name = c->name, .cgroup = cgrp };
		p->conv_used[ci] = true;
		/* together, so pairs combine (quota + period -> cpu.max) */
		r = cg_convert_controller(out, &in, v);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			/* one has no counterpart (out is untouched): translate each alone */
			for (int j = 0; j < n_foreign; j++) {
				const struct cgroup_controller one = {
					.name = c->name,
					.values = &foreign[j],
					.n_values = 1,
					.cap_values = 1,
					.cgroup = cgrp,
				};

				r = cg_convert_controller(out, &one, v);
				if (r == -ENOMEM)
					return r;
				if (r < 0) {
					int k;

					p->conv_err[ci] = r;
					k = plan_push(p, (struct write_op){
								 .hier = s->of[ci],
								 .ci = ci,
								 .name = foreign[j].name,
								 .value = foreign[j].value,
								 .err = r,
								 .final = true });
					if (k < 0)
						return k;
				}
			}
		}
		for (int j = 0; j < out->n_values; j++) {
			/* a name without a value (libcgroup's "read this") is not written */
			if (!out->values[j].dirty && !*out->values[j].value)
				continue;
			r = plan_push(p, (struct write_op){ .hier = s->of[ci], .ci = ci,
							    .name = out->values[j].name,
							    .value = out->values[j].value });
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Write every planned setting in order, then retry the failed ones once
 * (ordering dependencies: memsw after limit, quota after period, cpuset.cpus
 * before exclusive flags ...). Clears the dirty flag of what was written.
 * Returns the index of the first failed op, or -1 when all succeeded.
 */
static int plan_execute(struct write_plan *p, struct cgroup *cgrp, const int *gfds)
{
	int first = -1;

	for (int i = 0; i < p->n; i++) {
		struct write_op *op = &p->ops[i];

		if (op->final)
			continue;
		op->err = write_setting(gfds[op->hier], op->name, op->value);
	}
	for (int i = 0; i < p->n; i++) {
		struct write_op *op = &p->ops[i];

		if (op->err && !op->final)
			op->err = write_setting(gfds[op->hier], op->name, op->value);
		if (op->err && first < 0)
			first = i;
	}

	/* dirty flags: as-is values individually, converted ones per controller */
	for (int i = 0; i < p->n; i++)
		if (p->ops[i].orig && !p->ops[i].err)
			p->ops[i].orig->dirty = false;
	for (int ci = 0; ci < cgrp->index && ci < CG_CONTROLLER_MAX; ci++) {
		bool ok = p->conv_used[ci] && !p->conv_err[ci];

		if (!ok)
			continue;
		for (int i = 0; i < p->n; i++)
			if (p->ops[i].ci == ci && !p->ops[i].orig && p->ops[i].err)
				ok = false;
		if (!ok)
			continue;
		/* every translated setting landed: the originals are clean */
		for (int j = 0; j < cgrp->controller[ci]->n_values; j++) {
			struct cg_value *val = &cgrp->controller[ci]->values[j];
			bool as_is = false;

			for (int i = 0; i < p->n; i++)
				if (p->ops[i].orig == val)
					as_is = true;
			if (!as_is)
				val->dirty = false;
		}
	}
	return first;
}

/* Plan and write the values of every controller. -1 = all written, else index of first failure. */
static int write_values(struct write_plan *p, const struct hier_set *s, struct cgroup *cgrp,
			const int *gfds, bool dirty_only, int *ret_first)
{
	int r;

	for (int ci = 0; ci < cgrp->index && ci < CG_CONTROLLER_MAX; ci++) {
		r = plan_controller(p, s, cgrp, ci, dirty_only);
		if (r < 0)
			return r;
	}
	*ret_first = plan_execute(p, cgrp, gfds);
	return 0;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		fds[i] = safe_close(fds[i]);
}

/* --------------------------------------------------------------- create */

/* Remove group `name` of a hierarchy again (it was created by this call and holds no tasks). */
static void hier_undo_create(const struct hier *h, const char *name)
{
	_cleanup_close_ int pfd = -1;
	int parent;

	if (!*name)
		return;
	parent = strchr(name, '/') ? (pfd = open_parent(h, name)) : hier_root_fd(h);
	if (parent >= 0)
		(void)unlinkat(parent, base_name(name), AT_REMOVEDIR);
}

/*
 * libcgroup 3.x semantics: with ignore_ownership nothing is chown'ed (the
 * permissions are still applied); a value the kernel refuses removes the
 * group again (when this call created it) and returns ECGOTHER with the
 * write's errno (EINVAL for a bad value). create_from_parent keeps the
 * group instead (keep_on_refused_value: ECGCANTSETVALUE, mapped by it).
 */
static int create_cgroup(struct cgroup *cgrp, int ignore_ownership, bool keep_on_refused_value)
{
	struct hier_set s;
	int gfds[OPS_HIER_MAX];
	bool created[OPS_HIER_MAX] = {};
	struct write_plan plan = {};
	int r, first = -1, ret = 0;

	r = check_entry(cgrp);
	if (r)
		return r;
	r = hier_set_build(&s, cgrp, true);
	if (r)
		return r;
	for (int i = 0; i < (int)ELEMENTSOF(gfds); i++)
		gfds[i] = -1;

	/* 1. directories (missing parents too) and v2 controller enabling */
	for (int i = 0; i < s.n; i++) {
		gfds[i] = hier_create(&s.h[i], cgrp->name, GROUP_DIR_MODE, &created[i]);
		if (gfds[i] < 0) {
			r = gfds[i];
			gfds[i] = -1;
			ret = r == -ENODEV ? ECGROUPNOTINITIALIZED : cg_ecg_from_errno(r);
			goto out;
		}
		if (s.h[i].version == CGROUP_V2) {
			r = v2_enable_path(&s.h[i], cgrp->name);
			if (r < 0) {
				/* the controller is not available at some level */
				if (r == -ENOENT) {
					cg_fail_errno(r);
					ret = ECGROUPSUBSYSNOTMOUNTED;
				} else
					ret = cg_ecg_from_errno(r);
				goto out;
			}
		}
	}

	/* 2. owners (unless ignore_ownership) and permissions */
	for (int i = 0; i < s.n; i++) {
		r = group_apply_owner(cgrp, gfds[i], s.h[i].version, !ignore_ownership);
		if (r < 0) {
			ret = cg_fail_errno(r);
			goto undo;
		}
	}

	/* 3. values, in order, failed ones retried once at the end */
	r = write_values(&plan, &s, cgrp, gfds, false, &first);
	if (r < 0) {
		ret = cg_ecg_from_errno(r);
		goto undo;
	}
	if (first >= 0) {
		ret = cg_fail_errno(plan.ops[first].err);
		if (keep_on_refused_value) {
			ret = ECGCANTSETVALUE;
			goto out;
		}
		goto undo;
	}
	goto out;
undo:
	{
		int saved = cgroup_get_last_errno();

		close_all(gfds, s.n);
		for (int i = s.n - 1; i >= 0; i--)
			if (created[i])
				hier_undo_create(&s.h[i], cgrp->name);
		cg_fail_errno(saved);
	}
out:
	write_plan_done(&plan);
	close_all(gfds, s.n);
	return ret;
}

_public_ int cgroup_create_cgroup(struct cgroup *cgrp, int ignore_ownership)
{
	return create_cgroup(cgrp, ignore_ownership, false);
}

/* ---------------------------------------------------------------- read */

struct load_ctrl {
	const char *prefix; /* "cpu" */
	size_t len;
	struct cgroup_controller *c;
};

/* Bitmask of the controllers listed in a v2 group's cgroup.controllers. */
static uint32_t v2_enabled(int gfd)
{
	char buf[1024];
	uint32_t mask = 0;

	if (ol_read_at(gfd, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return 0;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		const char *nm = ctrl_name_in(c, CGROUP_V2);

		if (nm && list_has(buf, nm))
			mask |= 1u << c;
	}
	return mask;
}

/* libcgroup: memory.limit_in_bytes is listed before memory.memsw.limit_in_bytes. */
static void order_memory(struct cgroup_controller *c)
{
	int lim = -1, sw = -1;

	for (int j = 0; j < c->n_values; j++) {
		if (streq(c->values[j].name, "memory.limit_in_bytes"))
			lim = j;
		else if (streq(c->values[j].name, "memory.memsw.limit_in_bytes"))
			sw = j;
	}
	if (lim >= 0 && sw >= 0 && sw < lim) {
		struct cg_value t = c->values[sw];

		c->values[sw] = c->values[lim];
		c->values[lim] = t;
	}
}

/*
 * Read setting file `name` (d_type from the directory entry) of group gfd
 * into the controller it belongs to, when it belongs to one of lc[0..n).
 * Unreadable files are skipped. Returns 0 or -errno (-ENOMEM).
 */
static int load_file(const struct load_ctrl *lc, int n, int gfd, const char *name,
		     unsigned char d_type, bool writable_only)
{
	const char *dot = strchr(name, '.');
	const struct load_ctrl *hit = NULL;
	_cleanup_close_ int fd = -1;
	char buf[READ_BUF];
	size_t got = 0;
	char *heap = NULL, *text;
	int r;

	if (!dot || (d_type != DT_REG && d_type != DT_UNKNOWN))
		return 0;
	for (int i = 0; i < n; i++)
		if ((size_t)(dot - name) == lc[i].len && memcmp(name, lc[i].prefix, lc[i].len) == 0) {
			hit = &lc[i];
			break;
		}
	if (!hit)
		return 0;
	if (writable_only || d_type == DT_UNKNOWN) {
		struct stat st;

		if (fstatat(gfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IRUSR))
			return 0;
		if (writable_only && !(st.st_mode & S_IWUSR))
			return 0;
	}
	/* write-only files: open fails (EACCES) or, for root on v1, read does (EINVAL) */
	fd = openat(gfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	text = buf;
	for (;;) {
		ssize_t k = read(fd, text + got, sizeof(buf) - 1 - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return 0; /* read failed: not a readable setting */
		if (k == 0)
			break;
		got += (size_t)k;
		if (got == sizeof(buf) - 1)
			break;
	}
	if (got == sizeof(buf) - 1) {
		/* large file: read it whole on the heap */
		size_t len;

		if (read_file_at(gfd, name, &heap, &len) < 0)
			return 0;
		text = heap;
		got = len;
	} else
		buf[got] = 0;
	if (got > 0 && text[got - 1] == '\n')
		text[got - 1] = 0;
	r = cg_controller_put(hit->c, name, text, false);
	free(heap);
	return r < 0 ? r : 0;
}

/*
 * A named v1 hierarchy ("name=X") has no controller files. Upstream
 * libcgroup reports it as a controller "name=X" without values (the group
 * exists there); openlve also reports the hierarchy's two per-group
 * settings, the ones cgroup_modify_cgroup() writes on it, so what was
 * written reads back (documented in libopenlve-cgroup(3)). release_agent
 * exists on the root only and is left out: create_from_parent could not
 * copy it to a child. Returns 1 (one controller) or -errno.
 */
static const char *const named_settings[] = { "notify_on_release", "cgroup.clone_children" };

static int named_load(struct cgroup *out, const struct hier *h, int gfd)
{
	const struct cg_sys *sys = cg_sys_get();
	char nm[FILENAME_MAX];
	struct cgroup_controller *cc;

	if (!sys || h->mount < 0 || h->mount >= sys->n_mounts || !sys->mounts[h->mount].name)
		return -ENOENT;
	if (snprintf(nm, sizeof(nm), "name=%s", sys->mounts[h->mount].name) >= (int)sizeof(nm))
		return -ENAMETOOLONG;
	cc = cgroup_get_controller(out, nm);
	if (!cc)
		cc = cgroup_add_controller(out, nm);
	if (!cc)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(named_settings); i++) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		int r;

		if (read_file_at(gfd, named_settings[i], &text, &len) < 0)
			continue; /* not there (an old kernel): no value */
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = 0;
		r = cg_controller_put(cc, named_settings[i], text, false);
		if (r < 0)
			return r;
	}
	return 1;
}

/* Size of the getdents64() buffer: a cgroup directory's entries fit in one call. */
#define DENTS_BUF 16384

/*
 * Read one hierarchy's group gfd (O_RDONLY, not O_PATH) into `out`: every
 * controller of h (on v2 only those enabled for the group) with every
 * readable "<ctrl>.*" file. With writable_only, only files with the owner's
 * write bit. Lists gfd itself with getdents64() (it is not used for anything
 * else afterwards). Returns number of controllers added or -errno.
 */
static int hier_load(struct cgroup *out, const struct hier *h, const char *const *asked, int gfd,
		     bool writable_only)
{
	struct load_ctrl lc[CG_CTRL_COUNT];
	_cleanup_free_ char *dents = NULL;
	uint32_t mask = h->ctrls;
	int n = 0;

	if (h->ctrl < 0)
		return named_load(out, h, gfd);
	if (h->version == CGROUP_V2)
		mask &= v2_enabled(gfd);
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		const char *nm;
		struct cgroup_controller *cc;

		if (!(mask & (1u << c)))
			continue;
		nm = ctrl_name_in(c, h->version);
		if (!nm)
			continue;
		/* named as the caller asked ("io" on a v1 host reads blkio.*) */
		cc = cgroup_get_controller(out, asked[c] ? asked[c] : nm);
		if (!cc)
			cc = cgroup_add_controller(out, asked[c] ? asked[c] : nm);
		if (!cc)
			return -ENOMEM;
		lc[n++] = (struct load_ctrl){ .prefix = nm, .len = strlen(nm), .c = cc };
	}
	if (n == 0)
		return 0;

	dents = malloc(DENTS_BUF);
	if (!dents)
		return -ENOMEM;
	for (;;) {
		ssize_t got = getdents64(gfd, dents, DENTS_BUF);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *de = (const struct dirent64 *)(void *)(dents + off);
			int r;

			off += de->d_reclen;
			r = load_file(lc, n, gfd, de->d_name, de->d_type, writable_only);
			if (r < 0)
				return r;
		}
	}
	for (int i = 0; i < n; i++)
		if (streq(lc[i].prefix, "memory"))
			order_memory(lc[i].c);
	return n;
}

/* Owners as libcgroup reports them: tasks file (v1) / cgroup.procs (v2), and the directory. */
static void load_owner(struct cgroup *out, int gfd, enum cg_version_t v)
{
	const char *tasks = v == CGROUP_V1 ? "tasks" : "cgroup.procs";
	struct stat st;

	if (fstatat(gfd, tasks, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		out->tasks_uid = st.st_uid;
		out->tasks_gid = st.st_gid;
	}
	if (fstat(gfd, &st) == 0) {
		out->control_uid = st.st_uid;
		out->control_gid = st.st_gid;
	}
}

/* Move the controllers of src into dst (dst's own are freed first). */
static void cgroup_take_controllers(struct cgroup *dst, struct cgroup *src)
{
	cgroup_free_controllers(dst);
	for (int i = 0; i < src->index; i++) {
		dst->controller[i] = src->controller[i];
		dst->controller[i]->cgroup = dst;
		src->controller[i] = NULL;
	}
	dst->index = src->index;
	src->index = 0;
}

/*
 * The body of cgroup_get_cgroup(): read group `name` into a new struct
 * (controllers restricted to those of `want` when it has any).
 */
static int get_cgroup_into(const struct cgroup *want, const char *name, bool writable_only,
			   struct cgroup **ret)
{
	struct cgroup *tmp = NULL;
	struct hier_set s = {};
	int r, found = 0;

	if (want && want->index > 0) {
		r = hier_set_build(&s, want, false);
		if (r)
			return r;
	} else {
		for (int c = 0; c < CG_CTRL_COUNT; c++) {
			int hi = hier_add(&s, c);

			if (hi == -ENODEV)
				return ECGROUPNOTINITIALIZED;
			if (hi < 0 && hi != -ENOENT)
				return cg_ecg_from_errno(hi);
		}
		/* every named v1 hierarchy too, as upstream reads its whole mount table */
		for (int m = 0; cg_sys_get() && m < cg_sys_get()->n_mounts; m++) {
			const struct cg_mount *mt = &cg_sys_get()->mounts[m];
			char nm[FILENAME_MAX];
			int hi;

			if (!mt->name || mt->version != CGROUP_V1 || mt->ctrls)
				continue;
			snprintf(nm, sizeof(nm), "name=%s", mt->name);
			hi = hier_add_named(&s, nm);
			if (hi < 0 && hi != -ENOENT)
				return cg_ecg_from_errno(hi);
		}
	}

	tmp = cgroup_new_cgroup(name[0] ? name : "/");
	if (!tmp)
		return cg_fail_errno(-ENOMEM);

	for (int i = 0; i < s.n; i++) {
		_cleanup_close_ int gfd = hier_open(&s.h[i], name, 0, 0);

		if (gfd == -ENOENT || gfd == -ENOTDIR)
			continue;
		if (gfd < 0) {
			cgroup_free(&tmp);
			return cg_ecg_from_errno(gfd);
		}
		found++;
		load_owner(tmp, gfd, s.h[i].version);
		r = hier_load(tmp, &s.h[i], s.asked, gfd, writable_only);
		if (r < 0) {
			cgroup_free(&tmp);
			return cg_ecg_from_errno(r);
		}
	}
	if (!found || tmp->index == 0) {
		cgroup_free(&tmp);
		cg_fail_errno(-ENOENT);
		return ECGROUPNOTEXIST;
	}
	*ret = tmp;
	return 0;
}

_public_ int cgroup_get_cgroup(struct cgroup *cgrp)
{
	struct cgroup *tmp = NULL;
	int r;

	r = check_entry(cgrp);
	if (r)
		return r;
	r = get_cgroup_into(cgrp, cgrp->name, false, &tmp);
	if (r)
		return r;
	cgroup_take_controllers(cgrp, tmp);
	cgrp->tasks_uid = tmp->tasks_uid;
	cgrp->tasks_gid = tmp->tasks_gid;
	cgrp->control_uid = tmp->control_uid;
	cgrp->control_gid = tmp->control_gid;
	cgroup_free(&tmp);
	return 0;
}

/* --------------------------------------------------- create from parent */

/* Remove value j of c. */
static void value_drop(struct cgroup_controller *c, int j)
{
	free(c->values[j].name);
	free(c->values[j].value);
	memmove(&c->values[j], &c->values[j + 1],
		(size_t)(c->n_values - j - 1) * sizeof(c->values[0]));
	c->n_values--;
}

/*
 * Settings that are another view of one already inherited: writing both
 * would make the later one win with its rounding (cgroup v2's
 * cpu.weight.nice maps back to a slightly different cpu.weight).
 */
static void drop_aliases(struct cgroup_controller *c)
{
	static const struct {
		const char *alias, *primary;
	} aliases[] = {
		{ "cpu.weight.nice", "cpu.weight" },
	};

	for (size_t a = 0; a < ELEMENTSOF(aliases); a++) {
		struct cg_value *v = cg_controller_find(c, aliases[a].alias);

		if (v && cg_controller_find(c, aliases[a].primary))
			value_drop(c, (int)(v - c->values));
	}
}

_public_ int cgroup_create_cgroup_from_parent(struct cgroup *cgrp, int ignore_ownership)
{
	struct cgroup *parent = NULL;
	_cleanup_free_ char *pname = NULL;
	int r;

	r = check_entry(cgrp);
	if (r)
		return r;
	if (!cgrp->name[0]) {
		/* the root has no parent */
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	pname = strndup(cgrp->name, parent_len(cgrp->name));
	if (!pname)
		return cg_fail_errno(-ENOMEM);

	r = get_cgroup_into(NULL, pname, true, &parent);
	if (r)
		return r;

	/* inherited values are marked dirty: they are to be written */
	for (int i = 0; i < parent->index; i++) {
		drop_aliases(parent->controller[i]);
		for (int j = 0; j < parent->controller[i]->n_values; j++)
			parent->controller[i]->values[j].dirty = true;
	}
	cgroup_take_controllers(cgrp, parent);
	cgroup_free(&parent);

	/* libcgroup: inherited values that cannot be set are expected; the group stays */
	r = create_cgroup(cgrp, ignore_ownership, true);
	if (r == ECGCANTSETVALUE)
		return ECGROUPNOTEQUAL;
	return r;
}

/* --------------------------------------------------------------- modify */

_public_ int cgroup_modify_cgroup(struct cgroup *cgrp)
{
	struct hier_set s;
	int gfds[OPS_HIER_MAX];
	struct write_plan plan = {};
	int r, first = -1, ret = 0;

	r = check_entry(cgrp);
	if (r)
		return r;
	if (cgrp->index <= 0)
		return 0; /* nothing to write */
	r = hier_set_build(&s, cgrp, false);
	if (r)
		return r;
	for (int i = 0; i < (int)ELEMENTSOF(gfds); i++)
		gfds[i] = -1;

	/* the group must exist everywhere before anything is written */
	for (int i = 0; i < s.n; i++) {
		gfds[i] = hier_open(&s.h[i], cgrp->name, OL_OPEN_PATH, 0);
		if (gfds[i] < 0) {
			r = gfds[i];
			gfds[i] = -1;
			if (r == -ENOTDIR)
				r = -ENOENT;
			ret = cg_ecg_from_errno(r);
			goto out;
		}
	}

	r = write_values(&plan, &s, cgrp, gfds, true, &first);
	if (r < 0) {
		ret = cg_ecg_from_errno(r);
		goto out;
	}
	if (first >= 0) {
		int err = plan.ops[first].err;

		cg_fail_errno(err);
		if (err == -ENOENT || err == -EOPNOTSUPP)
			ret = ECGROUPVALUENOTEXIST;
		else
			ret = ECGCANTSETVALUE;
	}
out:
	write_plan_done(&plan);
	close_all(gfds, s.n);
	return ret;
}

/* --------------------------------------------------------------- delete */

static const char *task_file(enum cg_version_t v)
{
	return v == CGROUP_V1 ? "tasks" : "cgroup.procs";
}

struct delete_ctx {
	enum cg_version_t version;
	int target_dir; /* group receiving the tasks */
	int target_fd;  /* its task file, opened when first needed; -1 before */
	int flags;
};

/*
 * Move every task of group gfd into the target group, until the group is
 * empty (tasks may fork meanwhile). ESRCH (task gone) is fine.
 */
static int migrate_tasks(int gfd, struct delete_ctx *ctx)
{
	enum cg_version_t v = ctx->version;

	for (int round = 0; round < MIGRATE_ROUNDS; round++) {
		_cleanup_free_ char *list = NULL;
		bool any = false;
		int err = 0, r;

		r = read_file_at(gfd, task_file(v), &list, NULL);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		for (char *p = list; *p;) {
			char *e = strchrnul(p, '\n');
			size_t n = (size_t)(e - p);

			if (n > 0 && n < 16) {
				any = true;
				if (ctx->target_fd < 0) {
					ctx->target_fd = openat(ctx->target_dir, task_file(v),
								O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
					if (ctx->target_fd < 0)
						return -errno;
				}
				r = ol_write_fd(ctx->target_fd, p, n);
				if (r < 0 && r != -ESRCH && !err)
					err = r;
			}
			p = *e ? e + 1 : e;
		}
		if (!any)
			return 0;
		if (err)
			return err;
	}
	return -EBUSY;
}

/* Does group gfd hold tasks or child groups? */
static int group_busy(int gfd, enum cg_version_t v)
{
	_cleanup_free_ char *list = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = read_file_at(gfd, task_file(v), &list, NULL);
	if (r < 0)
		return r;
	if (list[strspn(list, " \n")])
		return 1;
	r = ol_opendir_at(gfd, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, ".."))
			return 1;
	return 0;
}

struct name_list {
	char **v;
	int n, cap;
};

static void name_list_free(struct name_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Names of the subdirectories of dirfd (no symlinks). */
static int list_subdirs(int dirfd, struct name_list *l)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = ol_opendir_at(dirfd, ".", &d);
	if (r < 0)
		return r;
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR) {
			struct stat st;

			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
		}
		if (l->n >= l->cap) {
			int cap = l->cap ? l->cap * 2 : 16;
			char **nv = realloc(l->v, (size_t)cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			l->v = nv;
			l->cap = cap;
		}
		l->v[l->n] = strdup(de->d_name);
		if (!l->v[l->n])
			return -ENOMEM;
		l->n++;
	}
	return errno ? -errno : 0;
}

/*
 * Remove child `name` of dirfd (gfd is the group): migrate its tasks, rmdir.
 * Returns 0, -errno, or ECGOTHER (errno recorded) when tasks could not be moved.
 */
static int delete_one(struct delete_ctx *ctx, int dirfd, int gfd, const char *name)
{
	int r;

	if (!(ctx->flags & CGFLAG_DELETE_EMPTY_ONLY)) {
		r = migrate_tasks(gfd, ctx);
		if (r < 0 && !(ctx->flags & CGFLAG_DELETE_IGNORE_MIGRATION))
			return cg_fail_errno(r);
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return errno == ENOTEMPTY ? -EBUSY : -errno;
	return 0;
}

/* Delete every child group of gfd, depth first. */
static int delete_children(struct delete_ctx *ctx, int gfd, int depth)
{
	struct name_list l = {};
	int r;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	r = list_subdirs(gfd, &l);
	for (int i = 0; r >= 0 && i < l.n; i++) {
		_cleanup_close_ int cfd =
			openat(gfd, l.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

		if (cfd < 0) {
			if (errno == ENOENT)
				continue;
			r = -errno;
			break;
		}
		r = delete_children(ctx, cfd, depth + 1);
		if (r != 0)
			break;
		r = delete_one(ctx, gfd, cfd, l.v[i]);
		if (r != 0)
			break;
	}
	name_list_free(&l);
	return r;
}

/*
 * ECG code for a failed rmdir/open step, as libcgroup 3.x: a busy group
 * (children or tasks left) is ECGNONEMPTY with CGFLAG_DELETE_EMPTY_ONLY and
 * ECGOTHER with errno EBUSY otherwise.
 */
static int delete_error(int r, int flags)
{
	if (r == -EBUSY || r == -ENOTEMPTY) {
		cg_fail_errno(-EBUSY);
		return (flags & CGFLAG_DELETE_EMPTY_ONLY) ? ECGNONEMPTY : ECGOTHER;
	}
	if (r == -ESRCH || r == -EINVAL)
		return cg_fail_errno(r);
	return cg_ecg_from_errno(r);
}

/*
 * Delete the group in one hierarchy. Returns 0, 1 when it does not exist
 * there, an ECG* code (errno recorded), or -errno.
 */
static int delete_in_hier(const struct hier *h, const char *name, int flags)
{
	_cleanup_close_ int gfd = -1, pfd = -1;
	bool root = !*name;
	struct delete_ctx ctx = { .version = h->version, .flags = flags, .target_fd = -1 };
	int r, parent;

	if (root) {
		gfd = hier_open(h, name, 0, 0);
		if (gfd < 0)
			return gfd == -ENOENT ? 1 : gfd;
		if (!(flags & CGFLAG_DELETE_RECURSIVE))
			return 0; /* libcgroup: the root group itself is never removed */
		parent = gfd; /* children's tasks go to the root itself */
	} else {
		if (!strchr(name, '/'))
			parent = hier_root_fd(h); /* borrowed, identity checked */
		else
			parent = pfd = open_parent(h, name);
		if (parent < 0)
			return parent == -ENOENT ? 1 : parent;

		/* an empty leaf (the common case) goes with one rmdir */
		if (!(flags & CGFLAG_DELETE_RECURSIVE)) {
			if (unlinkat(parent, base_name(name), AT_REMOVEDIR) == 0)
				return 0;
			if (errno == ENOENT || errno == ENOTDIR)
				return 1;
			if (errno != EBUSY && errno != ENOTEMPTY)
				return -errno;
		}
		gfd = hier_open(h, name, 0, 0);
		if (gfd < 0)
			return gfd == -ENOENT ? 1 : gfd;
	}
	/* all tasks of the subtree go to the deleted group's parent */
	ctx.target_dir = parent;

	if (flags & CGFLAG_DELETE_RECURSIVE)
		r = delete_children(&ctx, gfd, 0);
	else
		r = 0;
	if (r == 0 && !root)
		r = delete_one(&ctx, parent, gfd, base_name(name));
	safe_close(ctx.target_fd);
	return r;
}

_public_ int cgroup_delete_cgroup_ext(struct cgroup *cgrp, int flags)
{
	const int known = CGFLAG_DELETE_IGNORE_MIGRATION | CGFLAG_DELETE_RECURSIVE |
			  CGFLAG_DELETE_EMPTY_ONLY;
	struct hier_set s;
	int r, found = 0, first = 0, first_errno = 0;

	r = check_entry(cgrp);
	if (r)
		return r;
	if ((flags & ~known) ||
	    ((flags & CGFLAG_DELETE_RECURSIVE) && (flags & CGFLAG_DELETE_EMPTY_ONLY))) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = hier_set_build(&s, cgrp, true);
	if (r)
		return r;

	if (flags & CGFLAG_DELETE_EMPTY_ONLY) {
		/* refuse before removing anything anywhere */
		for (int i = 0; i < s.n; i++) {
			_cleanup_close_ int gfd = hier_open(&s.h[i], cgrp->name, 0, 0);

			if (gfd < 0)
				continue;
			r = group_busy(gfd, s.h[i].version);
			if (r != 0) {
				if (r > 0) {
					cg_fail_errno(-EBUSY);
					return ECGNONEMPTY;
				}
				return cg_ecg_from_errno(r);
			}
		}
	}

	for (int i = 0; i < s.n; i++) {
		r = delete_in_hier(&s.h[i], cgrp->name, flags);
		if (r == 1)
			continue;
		found++;
		if (r != 0) {
			int code = r > 1 ? r : delete_error(r, flags);

			/* ECGNONEMPTY yields to any other error (libcgroup) */
			if (!first || (first == ECGNONEMPTY && code != ECGNONEMPTY)) {
				first = code;
				first_errno = cgroup_get_last_errno();
			}
		}
	}
	if (!found) {
		/* libcgroup 3.x: a missing group is ECGOTHER with errno ENOENT */
		return cg_fail_errno(-ENOENT);
	}
	if (first)
		cg_fail_errno(first_errno);
	return first;
}

_public_ int cgroup_delete_cgroup(struct cgroup *cgrp, int ignore_migration)
{
	int flags = ignore_migration ? CGFLAG_DELETE_IGNORE_MIGRATION : 0;

	return cgroup_delete_cgroup_ext(cgrp, flags);
}

/* ---------------------------------------------------- procs and threads */

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int get_pids(const char *name, const char *controller, bool threads, pid_t **pids,
		    int *size)
{
	_cleanup_close_ int gfd = -1;
	_cleanup_free_ char *list = NULL;
	_cleanup_free_ pid_t *v = NULL;
	enum cg_version_t ver;
	int ctrl, root, r, n = 0, cap;
	const char *rel;
	size_t len;

	if (!name || !controller || !pids || !size) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	rel = name_rel(name);
	if (ol_name_check(rel) < 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = ctrl_resolve(cg_ctrl_lookup(controller), &ctrl, &root, &ver);
	if (r < 0) {
		if (r == -ENODEV)
			return ECGROUPNOTINITIALIZED;
		cg_fail_errno(r);
		return ECGROUPSUBSYSNOTMOUNTED;
	}
	gfd = group_open(ctrl, rel, 0, 0);
	if (gfd < 0)
		return cg_ecg_from_errno(gfd);
	r = read_file_at(gfd,
			 threads ? (ver == CGROUP_V1 ? "tasks" : "cgroup.threads") : "cgroup.procs",
			 &list, &len);
	if (r < 0)
		return cg_ecg_from_errno(r);

	cap = 16;
	for (size_t i = 0; i < len; i++)
		if (list[i] == '\n')
			cap++;
	v = malloc((size_t)cap * sizeof(*v));
	if (!v)
		return cg_fail_errno(-ENOMEM);
	for (char *p = list; *p && n < cap;) {
		char *e = strchrnul(p, '\n');
		char save = *e;
		uint32_t x;

		*e = 0;
		if (*p && ol_parse_u32(p, &x) == 0 && x > 0 && x <= INT_MAX)
			v[n++] = (pid_t)x;
		*e = save;
		p = *e ? e + 1 : e;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_pid);
	*pids = TAKE_PTR(v);
	*size = n;
	return 0;
}

_public_ int cgroup_get_procs(const char *name, const char *controller, pid_t **pids, int *size)
{
	return get_pids(name, controller, false, pids, size);
}

_public_ int cgroup_get_threads(const char *name, const char *controller, pid_t **pids, int *size)
{
	return get_pids(name, controller, true, pids, size);
}

/* ---------------------------------------------------------------- chmod */

static int chmod_tree(int gfd, mode_t dir_mode, int dirm_change, mode_t file_mode,
		      int filem_change, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = 0, dfd;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	if (dirm_change && fchmod(gfd, dir_mode) < 0)
		r = -errno;
	dfd = ol_opendir_at(gfd, ".", &d);
	if (dfd < 0)
		return r ? r : dfd;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		struct stat st;
		int k = 0;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			const int fl = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
			_cleanup_close_ int cfd = openat(dfd, de->d_name, fl);

			if (cfd < 0)
				k = -errno;
			else
				k = chmod_tree(cfd, dir_mode, dirm_change, file_mode, filem_change,
					       depth + 1);
		} else if (S_ISREG(st.st_mode) && filem_change)
			k = chmod_at(dfd, de->d_name, file_mode);
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

_public_ int cg_chmod_recursive(struct cgroup *cgrp, mode_t dir_mode, int dirm_change,
				mode_t file_mode, int filem_change)
{
	struct hier_set s;
	int r, found = 0, ret = 0;

	r = check_entry(cgrp);
	if (r)
		return r;
	r = hier_set_build(&s, cgrp, true);
	if (r)
		return r;
	for (int i = 0; i < s.n; i++) {
		_cleanup_close_ int gfd = hier_open(&s.h[i], cgrp->name, 0, 0);

		if (gfd == -ENOENT || gfd == -ENOTDIR)
			continue;
		if (gfd < 0)
			return cg_ecg_from_errno(gfd);
		found++;
		r = chmod_tree(gfd, dir_mode, dirm_change, file_mode, filem_change, 0);
		if (r < 0 && !ret)
			ret = cg_ecg_from_errno(r);
	}
	if (!found) {
		cg_fail_errno(-ENOENT);
		return ECGROUPNOTEXIST;
	}
	return ret;
}
