/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-attach - cgroup_attach_task / _task_pid / _proc_pid on the real
 * kernel, in every hierarchy of this machine (v1, v2 or both).
 *
 * Groups live below the random test roots of tests/lib/cgtest (the library
 * is pointed at them with namespaces). Where a task is, is read back from
 * /proc/<pid>/[task/<tid>/]cgroup, never from the library. Expectations
 * follow the hierarchy's version: on v1 a thread id moves one thread, on v2
 * it moves the whole process. "Attach back" clears the namespace and names
 * the test's own cgroup, which is where the task came from.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "macro.h"
#include "tap.h"

static const char *const known_ctrls[] = {
	"cpu",     "cpuacct", "cpuset",     "memory",  "blkio", "io",   "pids", "freezer",
	"devices", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc",
};

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void first_ctrl(const struct cgtest_hier *h, char *out, size_t size)
{
	snprintf(out, size, "%.*s", (int)strcspn(h->ctrls, " "), h->ctrls);
}

static bool word_in(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, seps);
		if (k == n && !strncmp(p, word, n))
			return true;
		p += k;
		p += strspn(p, seps);
	}
	return false;
}

/*
 * Path of hierarchy h in a /proc cgroup file ("/proc/1/cgroup",
 * "/proc/1/task/2/cgroup"). h == NULL with name != NULL: the line of a
 * named hierarchy ("name=systemd"). 0 or -errno.
 */
static int proc_path(const char *file, const struct cgtest_hier *h, const char *name, char *out,
		     size_t size)
{
	char line[4096], first[64] = "";
	FILE *f;
	int r = -ENOENT;

	if (h)
		first_ctrl(h, first, sizeof(first));
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool match;

		if (!c2)
			continue;
		*c1 = 0;
		*c2 = 0;
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		if (!h)
			match = word_in(c1 + 1, name, ",");
		else if (h->version == 2)
			match = !strcmp(line, "0") && !c1[1];
		else
			match = c1[1] && word_in(c1 + 1, first, ",");
		if (match) {
			snprintf(out, size, "%s", c2 + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static int pid_path(pid_t pid, const struct cgtest_hier *h, char *out, size_t size)
{
	char file[64];

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	return proc_path(file, h, NULL, out, size);
}

static int tid_path(pid_t pid, pid_t tid, const struct cgtest_hier *h, char *out, size_t size)
{
	char file[96];

	snprintf(file, sizeof(file), "/proc/%d/task/%d/cgroup", (int)pid, (int)tid);
	return proc_path(file, h, NULL, out, size);
}

/* "/a" + "b" -> "/a/b", "/" + "b" -> "/b" */
static void join(char *out, size_t size, const char *a, const char *b)
{
	size_t n = strlen(a);

	while (n > 0 && a[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s/%s", (int)n, a, b);
}

/* Where hierarchy h holds a process (tid 0) or one of its threads. */
static int task_path(pid_t pid, pid_t tid, const struct cgtest_hier *h, char *out, size_t size)
{
	return tid ? tid_path(pid, tid, h, out, size) : pid_path(pid, h, out, size);
}

#define ASSERT_TASK_AT(pid, tid, h, path)                                        \
	do {                                                                     \
		char _w[4096];                                                   \
		ASSERT_OK(task_path((pid), (tid), (h), _w, sizeof(_w)));         \
		if (strcmp(_w, (path)))                                          \
			TAP_FAIL("%s: task %d in %s, expected %s", (h)->mount,   \
				 (int)((tid) ? (tid) : (pid)), _w, (path));      \
	} while (0)
/* ... in `group` below the test root */
#define ASSERT_TASK_IN(pid, tid, h, group)                                       \
	do {                                                                     \
		char _e[4096];                                                   \
		join(_e, sizeof(_e), (h)->ns, (group));                          \
		ASSERT_TASK_AT(pid, tid, h, _e);                                 \
	} while (0)

/* mkdir group below the root of h's hierarchy; v1 cpuset gets the root's cpus and mems. */
static int prep_group(const struct cgtest_hier *h, const char *group)
{
	char ctrl[64], buf[4096];
	int r;

	first_ctrl(h, ctrl, sizeof(ctrl));
	r = cgtest_mkdir(ctrl, group);
	if (r < 0 && r != -EEXIST)
		return r;
	if (h->version == 1 && word_in(h->ctrls, "cpuset", " ")) {
		static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
		for (size_t i = 0; i < ELEMENTSOF(files); i++) {
			r = cgtest_read(ctrl, "", files[i], buf, sizeof(buf));
			if (r < 0)
				return r;
			r = cgtest_write(ctrl, group, files[i], buf);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int prep_all(const char *group)
{
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		int r = prep_group(cgtest_hier(i), group);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct cgroup *cg_with(const char *group, const char *ctrl)
{
	struct cgroup *cg = cgroup_new_cgroup(group);

	if (cg && ctrl && !cgroup_add_controller(cg, ctrl))
		cgroup_free(&cg);
	return cg;
}

/* A cgroup for the test's own group of h (namespace of ctrl cleared): where tasks came from. */
static struct cgroup *cg_own(const struct cgtest_hier *h, const char *ctrl)
{
	if (cgroup_set_namespace(ctrl, "/") != 0)
		return NULL;
	return cg_with(h->own, ctrl);
}

static int rmdir_group(const struct cgtest_hier *h, const char *group)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", h->root, group);
	return rmdir(path) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------- sleepers */

struct sleeper {
	pid_t pid;
	int wfd;
	int n_tids;
	pid_t tids[8]; /* tids[0] = pid */
};

struct block_arg {
	int rfd; /* blocks on it */
	int wfd; /* reports its thread id on it */
};

static void *block_thread(void *arg)
{
	const struct block_arg *a = arg;
	pid_t tid = my_tid();
	char c;

	if (write(a->wfd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(5);
	while (read(a->rfd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* A child process that blocks until the test ends, with `extra` more threads. */
static int spawn(struct sleeper *s, int extra)
{
	int p[2], ready[2];
	ssize_t got = 0;

	if (extra > (int)ELEMENTSOF(s->tids) - 1)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		struct block_arg a = { .rfd = p[0], .wfd = ready[1] };
		pid_t self = getpid();
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[1]);
		close(ready[0]);
		if (write(ready[1], &self, sizeof(self)) != sizeof(self))
			_exit(5);
		for (int i = 0; i < extra; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, block_thread, &a) != 0)
				_exit(3);
		}
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	close(ready[1]);
	s->wfd = p[1];
	/* the child's pid first, then each thread's id as it starts */
	while (got < (ssize_t)(sizeof(pid_t) * (size_t)(1 + extra))) {
		ssize_t n = read(ready[0], (char *)s->tids + got,
				 sizeof(pid_t) * (size_t)(1 + extra) - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(ready[0]);
	if (got != (ssize_t)(sizeof(pid_t) * (size_t)(1 + extra)) || s->tids[0] != s->pid)
		return -EIO;
	s->n_tids = 1 + extra;
	return 0;
}

static void reap(struct sleeper *s)
{
	if (s->pid <= 0)
		return;
	close(s->wfd);
	kill(s->pid, SIGKILL);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
}

/* A thread of the test process that blocks on a pipe. */
struct blocker {
	pthread_t t;
	int p[2];
	pid_t tid;
	pthread_mutex_t m;
	pthread_cond_t c;
};

static void *blocker_fn(void *arg)
{
	struct blocker *b = arg;
	char c;

	pthread_mutex_lock(&b->m);
	b->tid = my_tid();
	pthread_cond_signal(&b->c);
	pthread_mutex_unlock(&b->m);
	while (read(b->p[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int blocker_start(struct blocker *b)
{
	memset(b, 0, sizeof(*b));
	if (pipe2(b->p, O_CLOEXEC) < 0)
		return -errno;
	pthread_mutex_init(&b->m, NULL);
	pthread_cond_init(&b->c, NULL);
	if (pthread_create(&b->t, NULL, blocker_fn, b) != 0)
		return -EAGAIN;
	pthread_mutex_lock(&b->m);
	while (!b->tid)
		pthread_cond_wait(&b->c, &b->m);
	pthread_mutex_unlock(&b->m);
	return 0;
}

static void blocker_stop(struct blocker *b)
{
	close(b->p[1]);
	pthread_join(b->t, NULL);
	close(b->p[0]);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* ----------------------------------------------------------------- tests */

TEST(not_initialized)
{
	struct cgroup *cg = cg_with("g", "cpu");

	ASSERT(cg);
	ASSERT_EQ(cgroup_attach_task(cg), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_attach_proc_pid(cg, getpid()), ECGROUPNOTINITIALIZED);
	ASSERT_EQ(cgroup_attach_task_pid(NULL, getpid()), ECGROUPNOTINITIALIZED);
	cgroup_free(&cg);
	return 0;
}

TEST(child_in_each_hierarchy_and_back)
{
	CGTEST_SETUP();
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *h = cgtest_hier(i);
		struct sleeper s = {};
		struct cgroup *cg, *back;
		char ctrl[64];

		first_ctrl(h, ctrl, sizeof(ctrl));
		ASSERT_OK(prep_group(h, "g"));
		cg = cg_with("g", ctrl);
		ASSERT(cg);
		ASSERT_OK(spawn(&s, 0));
		ASSERT_TASK_AT(s.pid, 0, h, h->own);

		ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
		ASSERT_TASK_IN(s.pid, 0, h, "g");
		ASSERT(cgtest_pid_in(ctrl, "g", s.pid));
		/* no other hierarchy moved */
		for (int j = 0; j < cgtest_n_hiers(); j++)
			if (j != i)
				ASSERT_TASK_AT(s.pid, 0, cgtest_hier(j),
					  cgtest_hier(j)->own);

		back = cg_own(h, ctrl);
		ASSERT(back);
		ASSERT_EQ(cgroup_attach_task_pid(back, s.pid), 0);
		ASSERT_TASK_AT(s.pid, 0, h, h->own);
		ASSERT(!cgtest_pid_in(ctrl, "g", s.pid));
		ASSERT_OK(rmdir_group(h, "g"));
		ASSERT_EQ(cgroup_set_namespace(ctrl, h->ns), 0);
		reap(&s);
		cgroup_free(&back);
		cgroup_free(&cg);
	}
	return 0;
}

TEST(thread_in_each_hierarchy_and_back)
{
	struct blocker b;
	pid_t pid = getpid();

	CGTEST_SETUP();
	ASSERT_OK(blocker_start(&b));
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *h = cgtest_hier(i);
		struct cgroup *cg, *back;
		char ctrl[64];

		first_ctrl(h, ctrl, sizeof(ctrl));
		ASSERT_OK(prep_group(h, "g"));
		cg = cg_with("g", ctrl);
		ASSERT(cg);
		ASSERT_EQ(cgroup_attach_task_pid(cg, b.tid), 0);
		ASSERT_TASK_IN(pid, b.tid, h, "g");
		if (h->version == 1) /* one thread moved */
			ASSERT_TASK_AT(pid, pid, h, h->own);
		else /* cgroup.procs: the whole process */
			ASSERT_TASK_IN(pid, pid, h, "g");

		back = cg_own(h, ctrl);
		ASSERT(back);
		ASSERT_EQ(cgroup_attach_task_pid(back, b.tid), 0);
		ASSERT_TASK_AT(pid, b.tid, h, h->own);
		ASSERT_TASK_AT(pid, pid, h, h->own);
		ASSERT_OK(rmdir_group(h, "g"));
		ASSERT_EQ(cgroup_set_namespace(ctrl, h->ns), 0);
		cgroup_free(&back);
		cgroup_free(&cg);
	}
	blocker_stop(&b);
	return 0;
}

TEST(attach_calling_thread)
{
	pid_t pid = getpid();

	CGTEST_SETUP();
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *h = cgtest_hier(i);
		struct cgroup *cg, *back;
		char ctrl[64];

		first_ctrl(h, ctrl, sizeof(ctrl));
		ASSERT_OK(prep_group(h, "g"));
		cg = cg_with("g", ctrl);
		ASSERT(cg);
		ASSERT_EQ(cgroup_attach_task(cg), 0);
		ASSERT_TASK_IN(pid, my_tid(), h, "g");
		back = cg_own(h, ctrl);
		ASSERT(back);
		ASSERT_EQ(cgroup_attach_task(back), 0);
		ASSERT_TASK_AT(pid, my_tid(), h, h->own);
		ASSERT_OK(rmdir_group(h, "g"));
		ASSERT_EQ(cgroup_set_namespace(ctrl, h->ns), 0);
		cgroup_free(&back);
		cgroup_free(&cg);
	}
	return 0;
}

TEST(proc_pid_moves_every_thread)
{
	CGTEST_SETUP();
	for (int i = 0; i < cgtest_n_hiers(); i++) {
		const struct cgtest_hier *h = cgtest_hier(i);
		struct sleeper s = {};
		struct cgroup *cg, *cg2;
		char ctrl[64];

		first_ctrl(h, ctrl, sizeof(ctrl));
		ASSERT_OK(prep_group(h, "g"));
		ASSERT_OK(prep_group(h, "g2"));
		cg = cg_with("g", ctrl);
		cg2 = cg_with("g2", ctrl);
		ASSERT(cg && cg2);
		ASSERT_OK(spawn(&s, 2));
		ASSERT_EQ(s.n_tids, 3);

		ASSERT_EQ(cgroup_attach_proc_pid(cg, s.pid), 0);
		for (int t = 0; t < s.n_tids; t++)
			ASSERT_TASK_IN(s.pid, s.tids[t], h, "g");

		/* a thread id: on v1 only that thread, on v2 the process */
		ASSERT_EQ(cgroup_attach_task_pid(cg2, s.tids[2]), 0);
		ASSERT_TASK_IN(s.pid, s.tids[2], h, "g2");
		for (int t = 0; t < 2; t++)
			ASSERT_TASK_IN(s.pid, s.tids[t], h,
				  h->version == 1 ? "g" : "g2");

		/* the process variant gathers them again */
		ASSERT_EQ(cgroup_attach_proc_pid(cg2, s.pid), 0);
		for (int t = 0; t < s.n_tids; t++)
			ASSERT_TASK_IN(s.pid, s.tids[t], h, "g2");
		reap(&s);
		cgroup_free(&cg);
		cgroup_free(&cg2);
	}
	return 0;
}

/* Named hierarchies (name=systemd) this process is in, with their paths. */
struct named {
	char name[64];
	char path[4096];
};

static int named_lines(pid_t pid, struct named *out, int max)
{
	char file[64], line[4200];
	FILE *f;
	int n = 0;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || strncmp(c1 + 1, "name=", 5))
			continue;
		*c2 = 0;
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		snprintf(out[n].name, sizeof(out[n].name), "%s", c1 + 1);
		snprintf(out[n].path, sizeof(out[n].path), "%s", c2 + 1);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Hierarchies where the library offers a controller but the harness made no
 * test root: on a hybrid host, a controller such as hugetlb available on the
 * cgroup2 mount whose root cgroup.subtree_control is not ours to write. An
 * attach to "every hierarchy" reaches them too, so the test makes its group
 * there by hand below its own cgroup, points the controller's namespace at
 * the own cgroup, and removes the group afterwards.
 */
struct extra {
	struct cgtest_hier h;
	char mount[4096], ctrl[64], own[4096], dir[4200];
	bool made;
};

/* The own cgroup of this process in the hierarchy of ctrl (v1) or cgroup2. */
static int own_of(const char *ctrl, enum cg_version_t v, char *out, size_t size)
{
	struct cgtest_hier h = { .version = v == CGROUP_V2 ? 2 : 1, .ctrls = ctrl };

	return pid_path(getpid(), &h, out, size);
}

static int extras_make(struct extra *x, int max, const char *group)
{
	int n = 0;

	for (size_t i = 0; i < ELEMENTSOF(known_ctrls); i++) {
		const char *c = known_ctrls[i];
		enum cg_version_t v;
		char *mp = NULL;
		bool done = false;
		int r;

		if (cgtest_has_ctrl(c) || cgroup_get_controller_version(c, &v) != 0 ||
		    cgroup_get_subsys_mount_point(c, &mp) != 0)
			continue;
		/* the same hierarchy as a test root: share its namespace */
		for (int k = 0; k < cgtest_n_hiers() && !done; k++)
			if (!strcmp(cgtest_hier(k)->mount, mp)) {
				done = true;
				if (cgroup_set_namespace(c, cgtest_hier(k)->ns) != 0) {
					free(mp);
					return -EIO;
				}
			}
		for (int k = 0; k < n && !done; k++)
			if (!strcmp(x[k].mount, mp)) {
				done = true;
				if (cgroup_set_namespace(c, x[k].own) != 0) {
					free(mp);
					return -EIO;
				}
			}
		if (done || n == max) {
			free(mp);
			continue;
		}
		memset(&x[n], 0, sizeof(x[n]));
		snprintf(x[n].mount, sizeof(x[n].mount), "%s", mp);
		free(mp);
		snprintf(x[n].ctrl, sizeof(x[n].ctrl), "%s", c);
		r = own_of(c, v, x[n].own, sizeof(x[n].own));
		if (r < 0)
			return r;
		r = snprintf(x[n].dir, sizeof(x[n].dir), "%s%s/%s", x[n].mount,
			     strcmp(x[n].own, "/") ? x[n].own : "", group);
		if (r < 0 || (size_t)r >= sizeof(x[n].dir))
			return -ENAMETOOLONG;
		if (mkdir(x[n].dir, 0755) < 0)
			return -errno;
		x[n].made = true;
		x[n].h = (struct cgtest_hier){ .mount = x[n].mount,
					       .version = v == CGROUP_V2 ? 2 : 1,
					       .ctrls = x[n].ctrl,
					       .own = x[n].own,
					       .ns = x[n].own,
					       .root = x[n].dir,
					       .fd = -1 };
		n++;
		if (cgroup_set_namespace(c, x[n - 1].own) != 0)
			return -EIO;
	}
	return n;
}

static int extras_remove(struct extra *x, int n)
{
	int r = 0;

	for (int i = 0; i < n; i++)
		if (x[i].made && rmdir(x[i].dir) < 0) {
			fprintf(stderr, "# rmdir %s: %m\n", x[i].dir);
			r = -errno;
		}
	return r;
}

static int check_all_inner(bool add_all, const char *group, struct sleeper *s,
			   const struct extra *x, int nx)
{
	struct named before[8], after[8];
	struct cgroup *cg;
	int nb, na;

	ASSERT_OK(prep_all(group));
	cg = cg_with(group, NULL);
	ASSERT(cg);
	if (add_all) {
		ASSERT_EQ(cgroup_add_all_controllers(cg), 0);
		ASSERT(cgroup_get_controller_count(cg) > 0);
	} else {
		ASSERT_EQ(cgroup_get_controller_count(cg), 0);
	}
	ASSERT_OK(spawn(s, 0));
	nb = named_lines(s->pid, before, 8);
	ASSERT_OK(nb);
	ASSERT_EQ(cgroup_attach_task_pid(cg, s->pid), 0);
	for (int i = 0; i < cgtest_n_hiers(); i++)
		ASSERT_TASK_IN(s->pid, 0, cgtest_hier(i), group);
	for (int i = 0; i < nx; i++)
		ASSERT_TASK_IN(s->pid, 0, &x[i].h, group);
	/* named hierarchies are only touched when asked for by name */
	na = named_lines(s->pid, after, 8);
	ASSERT_EQ(na, nb);
	for (int i = 0; i < na; i++) {
		ASSERT_STREQ(after[i].name, before[i].name);
		ASSERT_STREQ(after[i].path, before[i].path);
	}
	cgroup_free(&cg);
	return 0;
}

static int check_all_hierarchies(bool add_all)
{
	struct extra x[8];
	struct sleeper s = {};
	char group[64];
	int nx, r;

	snprintf(group, sizeof(group), "olt-all-%d", (int)getpid());
	nx = extras_make(x, (int)ELEMENTSOF(x), group);
	if (nx < 0) {
		extras_remove(x, (int)ELEMENTSOF(x));
		TAP_FAIL("cannot prepare the hierarchies without a test root: %s", strerror(-nx));
	}
	r = check_all_inner(add_all, group, &s, x, nx);
	reap(&s);
	if (extras_remove(x, nx) < 0 && r == 0)
		TAP_FAIL("cleanup failed");
	return r;
}

TEST(all_controllers_one_call)
{
	CGTEST_SETUP();
	return check_all_hierarchies(true);
}

TEST(no_controllers_means_every_hierarchy)
{
	CGTEST_SETUP();
	return check_all_hierarchies(false);
}

TEST(shared_hierarchy_written_once)
{
	const struct cgtest_hier *h = NULL;
	char a[64], b[64];
	struct sleeper s = {};
	struct cgroup *cg;

	CGTEST_SETUP();
	for (int i = 0; i < cgtest_n_hiers() && !h; i++)
		if (strchr(cgtest_hier(i)->ctrls, ' '))
			h = cgtest_hier(i);
	if (!h)
		SKIP("no hierarchy with two controllers here");
	first_ctrl(h, a, sizeof(a));
	snprintf(b, sizeof(b), "%.*s", (int)strcspn(strchr(h->ctrls, ' ') + 1, " "),
		 strchr(h->ctrls, ' ') + 1);
	ASSERT_OK(prep_group(h, "g"));
	cg = cg_with("g", a);
	ASSERT(cg);
	ASSERT(cgroup_add_controller(cg, b));
	ASSERT_OK(spawn(&s, 0));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h, "g");
	reap(&s);
	cgroup_free(&cg);
	return 0;
}

static pid_t free_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	long max = 32768;

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 32768;
		fclose(f);
	}
	for (long p = max - 1; p > 300; p--)
		if (kill((pid_t)p, 0) < 0 && errno == ESRCH)
			return (pid_t)p;
	return -1;
}

TEST(errors)
{
	const struct cgtest_hier *h;
	char ctrl[64], unavailable[64] = "";
	struct cgroup *cg;
	pid_t nopid;

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "g"));

	/* group missing: nothing is created */
	cg = cg_with("missing", ctrl);
	ASSERT(cg);
	ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_attach_proc_pid(cg, getpid()), ECGROUPNOTEXIST);
	ASSERT(!cgtest_exists(ctrl, "missing"));
	cgroup_free(&cg);

	/* no such task */
	cg = cg_with("g", ctrl);
	ASSERT(cg);
	nopid = free_pid();
	ASSERT(nopid > 0);
	ASSERT_EQ(cgroup_attach_task_pid(cg, nopid), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ESRCH);
	ASSERT_EQ(cgroup_attach_proc_pid(cg, nopid), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ESRCH);
	ASSERT_EQ(cgtest_count_procs(ctrl, "g"), 0);
	/* bad ids */
	ASSERT_EQ(cgroup_attach_task_pid(cg, -1), ECGINVAL);
	ASSERT_EQ(cgroup_attach_proc_pid(cg, -5), ECGINVAL);
	ASSERT_EQ(cgtest_count_procs(ctrl, "g"), 0);
	cgroup_free(&cg);

	/* a controller that is not available here; an unknown named hierarchy */
	for (size_t i = 0; i < ELEMENTSOF(known_ctrls) && !unavailable[0]; i++) {
		enum cg_version_t v;
		if (cgroup_get_controller_version(known_ctrls[i], &v) == ECGROUPNOTEXIST)
			snprintf(unavailable, sizeof(unavailable), "%s", known_ctrls[i]);
	}
	if (unavailable[0]) {
		cg = cg_with("g", ctrl);
		ASSERT(cg);
		if (cgroup_add_controller(cg, unavailable)) {
			ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGROUPSUBSYSNOTMOUNTED);
			ASSERT_EQ(cgtest_count_procs(ctrl, "g"), 0); /* checked before any write */
		}
		cgroup_free(&cg);
	}
	cg = cg_with("g", "name=no-such-hierarchy");
	if (cg) {
		ASSERT_EQ(cgroup_attach_task_pid(cg, getpid()), ECGROUPSUBSYSNOTMOUNTED);
		cgroup_free(&cg);
	}
	return 0;
}

TEST(not_permitted)
{
	const struct cgtest_hier *h;
	char ctrl[64];
	pid_t pid;
	int status;

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "g"));
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct cgroup *cg = cg_with("g", ctrl);
		int r;

		if (!cg || setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		r = cgroup_attach_task(cg);
		_exit(r == ECGROUPNOTOWNER ? 0 : r == 0 ? 3 : 4);
	}
	ASSERT(waitpid(pid, &status, 0) == pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(cgtest_count_procs(ctrl, "g"), 0);
	return 0;
}

TEST(stale_fd_is_reopened)
{
	const struct cgtest_hier *h;
	struct sleeper s = {};
	struct cgroup *cg, *cg2;
	char ctrl[64];

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "g"));
	ASSERT_OK(prep_group(h, "g2"));
	cg = cg_with("g", ctrl);
	cg2 = cg_with("g2", ctrl);
	ASSERT(cg && cg2);
	ASSERT_OK(spawn(&s, 0));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0); /* cg keeps g's fd */
	ASSERT_EQ(cgroup_attach_task_pid(cg2, s.pid), 0);
	ASSERT_OK(rmdir_group(h, "g"));
	ASSERT_OK(prep_group(h, "g")); /* a new group of the same name */
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h, "g");
	ASSERT(cgtest_pid_in(ctrl, "g", s.pid));

	/* removed for good */
	ASSERT_EQ(cgroup_attach_task_pid(cg2, s.pid), 0);
	ASSERT_OK(rmdir_group(h, "g"));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), ECGROUPNOTEXIST);
	ASSERT(!cgtest_exists(ctrl, "g"));
	ASSERT_TASK_IN(s.pid, 0, h, "g2");
	reap(&s);
	cgroup_free(&cg);
	cgroup_free(&cg2);
	return 0;
}

TEST(controller_set_change)
{
	const struct cgtest_hier *h0, *h1;
	struct sleeper s = {};
	struct cgroup *cg;
	char c0[64], c1[64];

	CGTEST_SETUP();
	if (cgtest_n_hiers() < 2)
		SKIP("one hierarchy only");
	h0 = cgtest_hier(0);
	h1 = cgtest_hier(1);
	first_ctrl(h0, c0, sizeof(c0));
	first_ctrl(h1, c1, sizeof(c1));
	ASSERT_OK(prep_group(h0, "g"));
	ASSERT_OK(prep_group(h1, "g"));
	cg = cg_with("g", c0);
	ASSERT(cg);
	ASSERT_OK(spawn(&s, 0));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h0, "g");
	ASSERT_TASK_AT(s.pid, 0, h1, h1->own);
	ASSERT(cgroup_add_controller(cg, c1));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h1, "g");
	reap(&s);
	cgroup_free(&cg);
	return 0;
}

TEST(namespace_change)
{
	const struct cgtest_hier *h;
	struct sleeper s = {};
	struct cgroup *cg;
	char ctrl[64], sub[4200];

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "g"));
	ASSERT_OK(prep_group(h, "sub"));
	ASSERT_OK(prep_group(h, "sub/g"));
	cg = cg_with("g", ctrl);
	ASSERT(cg);
	ASSERT_OK(spawn(&s, 0));
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h, "g");
	join(sub, sizeof(sub), h->ns, "sub");
	ASSERT_EQ(cgroup_set_namespace(ctrl, sub), 0);
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_TASK_IN(s.pid, 0, h, "sub/g");
	reap(&s);
	cgroup_free(&cg);
	return 0;
}

TEST(fds_kept_and_released)
{
	const struct cgtest_hier *h;
	struct sleeper s = {};
	struct cgroup *cg, *cg2;
	char ctrl[64];
	int base, after_one, after_many;

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "g"));
	ASSERT_OK(prep_group(h, "g2"));
	cg = cg_with("g", ctrl);
	cg2 = cg_with("g2", ctrl);
	ASSERT(cg && cg2);
	ASSERT_OK(spawn(&s, 0));
	base = count_fds();
	ASSERT_OK(base);
	ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
	ASSERT_EQ(cgroup_attach_task_pid(cg2, s.pid), 0);
	after_one = count_fds();
	ASSERT_EQ(after_one, base + 2); /* one kept fd per group and hierarchy */
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(cgroup_attach_task_pid(cg, s.pid), 0);
		ASSERT_EQ(cgroup_attach_task_pid(cg2, s.pid), 0);
	}
	after_many = count_fds();
	ASSERT_EQ(after_many, after_one);
	ASSERT_TASK_IN(s.pid, 0, h, "g2");
	cgroup_free(&cg);
	cgroup_free(&cg2);
	ASSERT_EQ(count_fds(), base); /* cgroup_free closes them */
	reap(&s);
	return 0;
}

struct hammer {
	struct cgroup *a, *b;
	int failures;
	int *stop;
	int rounds;
};

static void *hammer_fn(void *arg)
{
	struct hammer *hm = arg;
	pid_t tid = my_tid();

	for (int i = 0; (hm->rounds ? i < hm->rounds : !__atomic_load_n(hm->stop, __ATOMIC_ACQUIRE)); i++) {
		if (cgroup_attach_task_pid(hm->a, tid) != 0)
			hm->failures++;
		if (cgroup_attach_task_pid(hm->b, tid) != 0)
			hm->failures++;
	}
	return NULL;
}

TEST(threads_share_one_cgroup)
{
	const struct cgtest_hier *h;
	struct hammer hm[8];
	pthread_t t[8];
	struct cgroup *a, *b;
	char ctrl[64];
	int stop = 0;

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "a"));
	ASSERT_OK(prep_group(h, "b"));
	a = cg_with("a", ctrl);
	b = cg_with("b", ctrl);
	ASSERT(a && b);
	for (int i = 0; i < 8; i++) {
		hm[i] = (struct hammer){ .a = a, .b = b, .stop = &stop, .rounds = 100 };
		ASSERT_EQ(pthread_create(&t[i], NULL, hammer_fn, &hm[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
		ASSERT_EQ(hm[i].failures, 0);
	}
	/* every thread ended its loop in b */
	ASSERT_EQ(cgtest_count_procs(ctrl, "a"), 0);
	cgroup_free(&a);
	cgroup_free(&b);
	return 0;
}

TEST(fork_while_attaching)
{
	const struct cgtest_hier *h;
	struct hammer hm;
	pthread_t t;
	struct cgroup *a, *b;
	char ctrl[64];
	int stop = 0;

	CGTEST_SETUP();
	h = cgtest_hier(0);
	first_ctrl(h, ctrl, sizeof(ctrl));
	ASSERT_OK(prep_group(h, "a"));
	ASSERT_OK(prep_group(h, "b"));
	a = cg_with("a", ctrl);
	b = cg_with("b", ctrl);
	ASSERT(a && b);
	hm = (struct hammer){ .a = a, .b = b, .stop = &stop };
	ASSERT_EQ(pthread_create(&t, NULL, hammer_fn, &hm), 0);
	for (int i = 0; i < 30; i++) {
		int status;
		pid_t pid = fork();

		ASSERT(pid >= 0);
		if (pid == 0) {
			/* the forked child must never find the cache locked */
			alarm(20);
			_exit(cgroup_attach_task_pid(a, getpid()) == 0 &&
				      cgroup_attach_task_pid(b, getpid()) == 0
			      ? 0
			      : 1);
		}
		ASSERT(waitpid(pid, &status, 0) == pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
			pthread_join(t, NULL);
			TAP_FAIL("child %d: status 0x%x", i, status);
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(hm.failures, 0);
	cgroup_free(&a);
	cgroup_free(&b);
	return 0;
}

TAP_MAIN()
