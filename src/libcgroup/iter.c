/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iter.c - libcgroup's iterators: walk_tree, read_value, read_stats,
 * get_task, get_controller, get_all_controller, get_subsys_mount_point;
 * and cg_root_lookup(), the "controller name -> root of its group names"
 * resolution the iterators and tasks.c share.
 *
 * Owns: the iterator handles (opaque to callers; freed by *_end, which is
 * safe after a failed *_begin). Group names are resolved beneath the
 * controller's namespace root like everywhere else (no "..", no symlinks,
 * no other mounts). Every handle reads its file or directory through fds
 * opened at *_begin; nothing is re-resolved by path later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

/* Deepest tree the walk descends into. */
#define WALK_MAX_DEPTH 512

int cg_root_lookup(const char *controller, struct cg_root *out)
{
	const struct cg_sys *sys = cg_sys_get();
	const char *ns = NULL;
	int ctrl = -1, idx, fd;

	if (!sys)
		return ECGROUPNOTINITIALIZED;
	if (!controller) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	idx = cg_hier_lookup(controller, &ctrl);
	if (idx < 0) {
		cg_fail_errno(-ENOENT);
		return ECGROUPSUBSYSNOTMOUNTED;
	}
	if (ctrl >= 0) {
		fd = cg_ctrl_root_fd(ctrl, NULL);
		ns = sys->ns[ctrl];
	} else {
		fd = cg_mount_root_fd(idx);
	}
	if (fd < 0) {
		cg_fail_errno(fd);
		return ECGROUPSUBSYSNOTMOUNTED;
	}
	out->fd = fd;
	out->mount = idx;
	out->ctrl = ctrl;
	out->version = sys->mounts[idx].version;
	if (snprintf(out->path, sizeof(out->path), "%s%s%s", sys->mounts[idx].path,
		     ns && *ns ? "/" : "", ns ? ns : "") >= (int)sizeof(out->path)) {
		cg_fail_errno(-ENAMETOOLONG);
		return ECGINVAL;
	}
	return 0;
}

const char *cg_name_rel(const char *name)
{
	name += strspn(name, "/");
	if (!strcmp(name, ".") || !strcmp(name, "./"))
		return "";
	return name;
}

int cg_group_open(const struct cg_root *root, const char *name, int flags)
{
	const char *rel;
	int fd;

	if (!name) {
		cg_fail_errno(-EINVAL);
		return -ECGINVAL;
	}
	rel = cg_name_rel(name);
	if (ol_name_check(rel) < 0) {
		cg_fail_errno(-EINVAL);
		return -ECGINVAL;
	}
	fd = ol_open_dir_beneath(root->fd, rel, flags, 0);
	if (fd == -ENOTDIR)
		fd = -ENOENT;
	if (fd < 0)
		return -cg_ecg_from_errno(fd);
	return fd;
}

/* Open `file` of group `name` of `controller` for reading as a stdio stream. */
static int open_group_file(const char *controller, const char *name, const char *file, FILE **ret)
{
	struct cg_root root;
	_cleanup_close_ int gfd = -1;
	int r, fd;
	FILE *f;

	r = cg_root_lookup(controller, &root);
	if (r)
		return r;
	gfd = cg_group_open(&root, name, 0);
	if (gfd < 0)
		return -gfd;
	if (!ol_component_valid(file)) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	fd = openat(gfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cg_fail_errno(-errno);
	f = fdopen(fd, "re");
	if (!f) {
		r = -errno;
		close(fd);
		return cg_fail_errno(r);
	}
	*ret = f;
	return 0;
}

static int end_file(void **handle)
{
	if (!handle)
		return ECGINVAL;
	if (*handle)
		fclose(*handle);
	*handle = NULL;
	return 0;
}

/* ------------------------------------------------------------ walk tree */

struct walk_event {
	char *rel;   /* path below the root of the walk, "" for the root */
	short depth; /* 0 = the root of the walk */
	bool post;   /* the post-order visit of a directory */
};

struct walk {
	char *base;      /* absolute path of the walk's root directory */
	char *base_name; /* its last component */
	struct walk_event *ev;
	int n, cap, pos;
	int flags;
	/* strings of the last returned info */
	char *path, *parent, *full;
};

static int walk_push(struct walk *w, const char *rel, int depth, bool post)
{
	if (w->n >= w->cap) {
		int cap = w->cap ? w->cap * 2 : 64;
		struct walk_event *n = realloc(w->ev, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->ev = n;
		w->cap = cap;
	}
	w->ev[w->n] = (struct walk_event){ .rel = strdup(rel), .depth = (short)depth, .post = post };
	if (!w->ev[w->n].rel)
		return -ENOMEM;
	w->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Record the pre and post visits of parent_fd (rel) and its subdirectories, sorted by name. */
static int walk_scan(struct walk *w, int parent_fd, const char *rel, int depth, int maxdepth)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **names = NULL;
	int n = 0, cap = 0, r, dfd;
	struct dirent *de;

	r = walk_push(w, rel, depth, false);
	if (r < 0)
		return r;
	if (depth >= WALK_MAX_DEPTH || (maxdepth > 0 && depth >= maxdepth))
		return walk_push(w, rel, depth, true);
	r = ol_opendir_at(parent_fd, ".", &d);
	if (r < 0)
		return r;
	dfd = dirfd(d);
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)))
			continue;
		if (n >= cap) {
			char **nn;

			cap = cap ? cap * 2 : 16;
			nn = realloc(names, (size_t)cap * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				goto out;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (errno) {
		r = -errno;
		goto out;
	}
	if (n > 1)
		qsort(names, (size_t)n, sizeof(*names), cmp_str);
	for (int i = 0; i < n && r >= 0; i++) {
		_cleanup_close_ int cfd =
			openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		_cleanup_free_ char *crel = NULL;

		if (cfd < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			r = -errno;
			break;
		}
		if (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		r = walk_scan(w, cfd, crel, depth + 1, maxdepth);
	}
	if (r >= 0)
		r = walk_push(w, rel, depth, true);
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static void walk_free(struct walk *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		free(w->ev[i].rel);
	free(w->ev);
	free(w->base);
	free(w->base_name);
	free(w->path);
	free(w->parent);
	free(w->full);
	free(w);
}

static int walk_fill(struct walk *w, const struct walk_event *e, struct cgroup_file_info *info)
{
	const char *slash = strrchr(e->rel, '/');
	char *path, *parent, *full;

	if (!*e->rel) {
		path = strdup(w->base_name);
		parent = strdup(w->base_name);
		full = strdup(w->base);
	} else {
		path = strdup(slash ? slash + 1 : e->rel);
		parent = slash ? strndup(e->rel, (size_t)(slash - e->rel)) : strdup(w->base_name);
		if (parent && slash) {
			const char *ps = strrchr(parent, '/');

			if (ps)
				memmove(parent, ps + 1, strlen(ps + 1) + 1);
		}
		full = NULL;
		if (asprintf(&full, "%s/%s", w->base, e->rel) < 0)
			full = NULL;
	}
	if (!path || !parent || !full) {
		free(path);
		free(parent);
		free(full);
		return cg_ecg_from_errno(-ENOMEM);
	}
	free(w->path);
	free(w->parent);
	free(w->full);
	w->path = path;
	w->parent = parent;
	w->full = full;
	*info = (struct cgroup_file_info){
		.type = CGROUP_FILE_TYPE_DIR,
		.path = path,
		.parent = parent,
		.full_path = full,
		.depth = e->depth,
	};
	return 0;
}

_public_ int cgroup_walk_tree_begin(const char *controller, const char *base_path, int depth,
				    void **handle, struct cgroup_file_info *info, int *base_level)
{
	struct cg_root root;
	_cleanup_close_ int gfd = -1;
	struct walk *w;
	const char *rel;
	int r;

	if (!handle || !info || !base_level || !base_path || depth < 0)
		return ECGINVAL;
	*handle = NULL;
	r = cg_root_lookup(controller, &root);
	if (r)
		return r;
	gfd = cg_group_open(&root, base_path, 0);
	if (gfd < 0)
		return -gfd;
	rel = cg_name_rel(base_path);
	w = calloc(1, sizeof(*w));
	if (!w)
		return cg_ecg_from_errno(-ENOMEM);
	w->flags = CGROUP_WALK_TYPE_PRE_DIR;
	if (*rel) {
		const char *s = strrchr(rel, '/');
		size_t len = strlen(rel);

		while (len > 0 && rel[len - 1] == '/')
			len--;
		r = asprintf(&w->base, "%s/%.*s", root.path, (int)len, rel) < 0 ? -ENOMEM : 0;
		w->base_name = s && s[1] ? strdup(s + 1) : strndup(rel, len);
	} else {
		w->base = strdup(root.path);
		w->base_name = strdup(strrchr(root.path, '/') ? strrchr(root.path, '/') + 1 : "");
		r = 0;
	}
	if (r < 0 || !w->base || !w->base_name) {
		walk_free(w);
		return cg_ecg_from_errno(-ENOMEM);
	}
	r = walk_scan(w, gfd, "", 0, depth);
	if (r < 0) {
		walk_free(w);
		return cg_ecg_from_errno(r);
	}
	*handle = w;
	*base_level = 0;
	w->pos = 1;
	return walk_fill(w, &w->ev[0], info);
}

_public_ int cgroup_walk_tree_next(int depth, void **handle, struct cgroup_file_info *info,
				   int base_level)
{
	struct walk *w;

	if (!handle || !*handle || !info || depth < 0)
		return ECGINVAL;
	w = *handle;
	while (w->pos < w->n) {
		const struct walk_event *e = &w->ev[w->pos++];
		bool want = e->post ? (w->flags & CGROUP_WALK_TYPE_POST_DIR)
				    : (w->flags & CGROUP_WALK_TYPE_PRE_DIR);

		if (!want || (depth > 0 && e->depth > base_level + depth))
			continue;
		return walk_fill(w, e, info);
	}
	return ECGEOF;
}

_public_ int cgroup_walk_tree_end(void **handle)
{
	if (!handle)
		return ECGINVAL;
	walk_free(*handle);
	*handle = NULL;
	return 0;
}

_public_ int cgroup_walk_tree_set_flags(void **handle, int flags)
{
	struct walk *w;

	if (!handle || !*handle)
		return ECGINVAL;
	if ((flags & CGROUP_WALK_TYPE_PRE_DIR) && (flags & CGROUP_WALK_TYPE_POST_DIR))
		flags &= ~CGROUP_WALK_TYPE_PRE_DIR; /* libcgroup: post order wins */
	if (!(flags & (CGROUP_WALK_TYPE_PRE_DIR | CGROUP_WALK_TYPE_POST_DIR)) ||
	    (flags & ~(CGROUP_WALK_TYPE_PRE_DIR | CGROUP_WALK_TYPE_POST_DIR)))
		return ECGINVAL;
	w = *handle;
	w->flags = flags;
	return 0;
}

/* ------------------------------------------------------------ read value */

static int read_line(FILE *f, char *buffer, int max)
{
	if (max < 1)
		return ECGINVAL;
	if (!fgets(buffer, max, f)) {
		buffer[0] = 0;
		if (ferror(f))
			return cg_fail_errno(-EIO);
		return ECGEOF;
	}
	return 0;
}

_public_ int cgroup_read_value_begin(const char *const controller, const char *path,
				     const char *const name, void **handle, char *buffer, int max)
{
	FILE *f = NULL;
	int r;

	if (!handle || !buffer || !name || !path || max < 1)
		return ECGINVAL;
	*handle = NULL;
	r = open_group_file(controller, path, name, &f);
	if (r)
		return r;
	*handle = f;
	return read_line(f, buffer, max);
}

_public_ int cgroup_read_value_next(void **handle, char *buffer, int max)
{
	if (!handle || !*handle || !buffer)
		return ECGINVAL;
	return read_line(*handle, buffer, max);
}

_public_ int cgroup_read_value_end(void **handle)
{
	return end_file(handle);
}

/* ------------------------------------------------------------ read stats */

/* One "name value" line of a stats file; the value is the rest of the line. */
static int read_stat(FILE *f, struct cgroup_stat *stat)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char *sp;

	for (;;) {
		n = getline(&line, &cap, f);
		if (n < 0)
			return ferror(f) ? cg_fail_errno(-EIO) : ECGEOF;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = 0;
		if (n > 0)
			break; /* skip empty lines */
	}
	sp = strchr(line, ' ');
	if (!sp || sp == line)
		return ECGINVAL;
	*sp++ = 0;
	snprintf(stat->name, sizeof(stat->name), "%s", line);
	snprintf(stat->value, sizeof(stat->value), "%s", sp);
	return 0;
}

_public_ int cgroup_read_stats_begin(const char *controller, const char *path, void **handle,
				     struct cgroup_stat *stat)
{
	char file[NAME_MAX + 1];
	FILE *f = NULL;
	int r;

	if (!handle || !stat || !path || !controller)
		return ECGINVAL;
	*handle = NULL;
	/* "<controller>.stat"; the v1 name of io is blkio and vice versa */
	if (snprintf(file, sizeof(file), "%s.stat", controller) >= (int)sizeof(file) ||
	    !ol_component_valid(file))
		return ECGINVAL;
	r = open_group_file(controller, path, file, &f);
	if (r == ECGOTHER && cgroup_get_last_errno() == ENOENT) {
		const char *alt = !strcmp(controller, "blkio") ? "io.stat" :
				  !strcmp(controller, "io")    ? "blkio.stat" : NULL;

		if (alt)
			r = open_group_file(controller, path, alt, &f);
	}
	if (r)
		return r;
	*handle = f;
	return read_stat(f, stat);
}

_public_ int cgroup_read_stats_next(void **handle, struct cgroup_stat *stat)
{
	if (!handle || !*handle || !stat)
		return ECGINVAL;
	return read_stat(*handle, stat);
}

_public_ int cgroup_read_stats_end(void **handle)
{
	return end_file(handle);
}

/* --------------------------------------------------------------- tasks */

static int read_pid(FILE *f, pid_t *pid)
{
	char buf[32];
	uint32_t v;

	for (;;) {
		if (!fgets(buf, sizeof(buf), f))
			return ferror(f) ? cg_fail_errno(-EIO) : ECGEOF;
		if (buf[0] == '\n')
			continue;
		if (ol_parse_u32(buf, &v) < 0 || v == 0 || v > INT_MAX)
			return cg_fail_errno(-EINVAL);
		*pid = (pid_t)v;
		return 0;
	}
}

_public_ int cgroup_get_task_begin(const char *cgroup, const char *controller, void **handle,
				   pid_t *pid)
{
	struct cg_root root;
	FILE *f = NULL;
	int r;

	if (!handle || !pid || !cgroup)
		return ECGINVAL;
	*handle = NULL;
	r = cg_root_lookup(controller, &root);
	if (r)
		return r;
	/* every thread: v1 "tasks", v2 "cgroup.threads" */
	r = open_group_file(controller, cgroup, root.version == CGROUP_V1 ? "tasks" : "cgroup.threads",
			    &f);
	if (r)
		return r;
	*handle = f;
	return read_pid(f, pid);
}

_public_ int cgroup_get_task_next(void **handle, pid_t *pid)
{
	if (!handle || !*handle || !pid)
		return ECGINVAL;
	return read_pid(*handle, pid);
}

_public_ int cgroup_get_task_end(void **handle)
{
	return end_file(handle);
}

/* ------------------------------------------------- mounted controllers */

struct mount_list {
	struct cgroup_mount_point *v;
	int n, pos;
};

static int mount_list_add(struct mount_list *l, const char *name, const char *path)
{
	struct cgroup_mount_point *n = realloc(l->v, sizeof(*n) * (size_t)(l->n + 1));

	if (!n)
		return -ENOMEM;
	l->v = n;
	snprintf(n[l->n].name, sizeof(n[l->n].name), "%s", name);
	snprintf(n[l->n].path, sizeof(n[l->n].path), "%s", path);
	l->n++;
	return 0;
}

static int list_next(struct mount_list *l, struct cgroup_mount_point *info)
{
	if (l->pos >= l->n)
		return ECGEOF;
	*info = l->v[l->pos++];
	return 0;
}

_public_ int cgroup_get_controller_begin(void **handle, struct cgroup_mount_point *info)
{
	const struct cg_sys *sys = cg_sys_get();
	struct mount_list *l;
	int r = 0;

	if (!handle || !info)
		return ECGINVAL;
	*handle = NULL;
	if (!sys)
		return ECGROUPNOTINITIALIZED;
	l = calloc(1, sizeof(*l));
	if (!l)
		return cg_ecg_from_errno(-ENOMEM);
	/* in mount order: the controllers of one hierarchy next to each other */
	for (int i = 0; i < sys->n_mounts && r == 0; i++) {
		const struct cg_mount *m = &sys->mounts[i];

		for (int c = 0; c < CG_CTRL_COUNT && r == 0; c++)
			if (sys->ctrl_mount[c] == i)
				r = mount_list_add(l, cg_ctrl_name(c), m->path);
		if (r == 0 && m->name) {
			char nm[NAME_MAX + 8];

			snprintf(nm, sizeof(nm), "name=%s", m->name);
			r = mount_list_add(l, nm, m->path);
		}
	}
	if (r < 0) {
		free(l->v);
		free(l);
		return cg_ecg_from_errno(r);
	}
	*handle = l;
	return list_next(l, info);
}

_public_ int cgroup_get_controller_next(void **handle, struct cgroup_mount_point *info)
{
	if (!handle || !*handle || !info)
		return ECGINVAL;
	return list_next(*handle, info);
}

_public_ int cgroup_get_controller_end(void **handle)
{
	struct mount_list *l;

	if (!handle)
		return ECGINVAL;
	l = *handle;
	if (l) {
		free(l->v);
		free(l);
	}
	*handle = NULL;
	return 0;
}

/* --------------------------------------------------- all controllers */

/* One line of /proc/cgroups: "name hierarchy num_cgroups enabled". */
static int read_proc_cgroups(FILE *f, struct controller_data *info)
{
	char line[256], name[64];
	int h, n, e;

	for (;;) {
		if (!fgets(line, sizeof(line), f))
			return ferror(f) ? cg_fail_errno(-EIO) : ECGEOF;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %d %d %d", name, &h, &n, &e) != 4)
			return ECGINVAL;
		snprintf(info->name, sizeof(info->name), "%s", name);
		info->hierarchy = h;
		info->num_cgroups = n;
		info->enabled = e;
		return 0;
	}
}

_public_ int cgroup_get_all_controller_begin(void **handle, struct controller_data *info)
{
	FILE *f;

	if (!handle || !info)
		return ECGINVAL;
	*handle = NULL;
	f = fopen("/proc/cgroups", "re");
	if (!f)
		return cg_fail_errno(-errno);
	*handle = f;
	return read_proc_cgroups(f, info);
}

_public_ int cgroup_get_all_controller_next(void **handle, struct controller_data *info)
{
	if (!handle || !*handle || !info)
		return ECGINVAL;
	return read_proc_cgroups(*handle, info);
}

_public_ int cgroup_get_all_controller_end(void **handle)
{
	return end_file(handle);
}

/* ------------------------------------------- mount points of a hierarchy */

struct path_list {
	char **v;
	int pos;
};

static int path_next(struct path_list *l, char *path)
{
	if (!l->v[l->pos])
		return ECGEOF;
	snprintf(path, FILENAME_MAX, "%s", l->v[l->pos++]);
	return 0;
}

_public_ int cgroup_get_subsys_mount_point_begin(const char *controller, void **handle, char *path)
{
	struct path_list *l;
	int idx, r;

	if (!handle || !path || !controller)
		return ECGINVAL;
	*handle = NULL;
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	idx = cg_hier_lookup(controller, NULL);
	if (idx < 0)
		return ECGROUPSUBSYSNOTMOUNTED;
	l = calloc(1, sizeof(*l));
	if (!l)
		return cg_ecg_from_errno(-ENOMEM);
	r = cg_hier_mount_paths(idx, &l->v);
	if (r < 0) {
		free(l);
		return cg_ecg_from_errno(r);
	}
	*handle = l;
	return path_next(l, path);
}

_public_ int cgroup_get_subsys_mount_point_next(void **handle, char *path)
{
	if (!handle || !*handle || !path)
		return ECGINVAL;
	return path_next(*handle, path);
}

_public_ int cgroup_get_subsys_mount_point_end(void **handle)
{
	struct path_list *l;

	if (!handle)
		return ECGINVAL;
	l = *handle;
	if (l) {
		for (char **p = l->v; p && *p; p++)
			free(*p);
		free(l->v);
		free(l);
	}
	*handle = NULL;
	return 0;
}
