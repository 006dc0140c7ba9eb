/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-api - the libcgroup 3.x functions beyond the seed list, used the
 * way a libcgroup program uses them (only <lve/libcgroup.h>): iterators,
 * task moves, cgrules.conf rules, cgconfig.conf loading and templates,
 * logging, cgroup_version, cgxget/cgxset, systemd scopes and named v1
 * hierarchies. Runs on this host (v1) and in the VM (v2 and legacy).
 *
 * Groups live below the random roots of tests/lib/cgtest (namespaces);
 * results are checked against the kernel directly (cgtest_* helpers,
 * /proc), never through the library. Rule and config files are written to
 * a per-test temp dir and found through OPENLVE_CGRULES_CONF/_DIR and
 * OPENLVE_CGCONFIG_CONF. Rules only ever match a process name made up per
 * test, so no process of this machine but the test's own can be moved.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "tap.h"

static const char *const PIDS[] = { "pids", NULL };

static struct cgroup *mkcg(const char *name, const char *const *ctrls)
{
	struct cgroup *cg = cgroup_new_cgroup(name);

	for (int i = 0; cg && ctrls && ctrls[i]; i++)
		if (!cgroup_add_controller(cg, ctrls[i]))
			cgroup_free(&cg);
	return cg;
}

static int create(const char *name, const char *const *ctrls)
{
	struct cgroup *cg = mkcg(name, ctrls);
	int r = cg ? cgroup_create_cgroup(cg, 0) : ECGINVAL;

	cgroup_free(&cg);
	return r;
}

static void rand_name(char *buf, size_t size, const char *prefix)
{
	unsigned v;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		v = (unsigned)getpid() * 2654435761u;
	if (fd >= 0)
		close(fd);
	snprintf(buf, size, "%s%08x", prefix, v);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

/* A child that renames itself (comm) and waits to be killed. */
static int sleeper(void *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
	if (arg)
		prctl(PR_SET_NAME, (const char *)arg);
	for (;;)
		pause();
	return 0;
}

static void kill_wait(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		cgtest_wait(pid);
	}
}

/* Wait until the child's comm is `name` (it renames itself after fork). */
static bool comm_is(pid_t pid, const char *name)
{
	char path[64], buf[64] = "";

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "re");

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				buf[strcspn(buf, "\n")] = 0;
			fclose(f);
		}
		if (!strcmp(buf, name))
			return true;
		usleep(1000);
	}
	return false;
}

/* ================================================================ iterators */

TEST(walk_tree_pre_post_and_depth)
{
	static const char *const want_pre[] = { "w", "a", "d", "c" };
	static const short depth_pre[] = { 0, 1, 2, 1 };
	static const char *const want_post[] = { "d", "a", "c", "w" };
	struct cgroup_file_info info;
	char full[4200];
	void *h = NULL;
	int base, n = 0, r;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(create("w/a/d", PIDS), 0);
	ASSERT_EQ(create("w/c", PIDS), 0);

	/* pre-order (the default): the start, then each directory before its children */
	ASSERT_EQ(cgroup_walk_tree_begin("pids", "/w", 0, &h, &info, &base), 0);
	ASSERT(h);
	do {
		ASSERT(n < 4);
		ASSERT_EQ(info.type, CGROUP_FILE_TYPE_DIR);
		ASSERT_STREQ(info.path, want_pre[n]);
		ASSERT_EQ(info.depth, depth_pre[n]);
		n++;
	} while ((r = cgroup_walk_tree_next(0, &h, &info, base)) == 0);
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(n, 4);
	ASSERT_EQ(cgroup_walk_tree_end(&h), 0);
	ASSERT(h == NULL);

	/* full_path is the directory in the kernel's tree */
	ASSERT_EQ(cgroup_walk_tree_begin("pids", "w", 0, &h, &info, &base), 0);
	snprintf(full, sizeof(full), "%s/w", cgtest_root("pids"));
	ASSERT_STREQ(info.full_path, full);
	/* post-order after set_flags: children before their parent, the start last */
	ASSERT_EQ(cgroup_walk_tree_set_flags(&h, CGROUP_WALK_TYPE_POST_DIR), 0);
	for (n = 0; (r = cgroup_walk_tree_next(0, &h, &info, base)) == 0; n++) {
		ASSERT(n < 4);
		ASSERT_STREQ(info.path, want_post[n]);
		if (n == 0) {
			snprintf(full, sizeof(full), "%s/w/a/d", cgtest_root("pids"));
			ASSERT_STREQ(info.full_path, full);
			ASSERT_STREQ(info.parent, "a");
		}
	}
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(n, 4);
	ASSERT_EQ(cgroup_walk_tree_set_flags(&h, 0x8), ECGINVAL);
	cgroup_walk_tree_end(&h);

	/* depth 1: the start and its children only */
	ASSERT_EQ(cgroup_walk_tree_begin("pids", "w", 1, &h, &info, &base), 0);
	for (n = 1; cgroup_walk_tree_next(1, &h, &info, base) == 0; n++)
		ASSERT(info.depth <= 1);
	ASSERT_EQ(n, 3);
	cgroup_walk_tree_end(&h);

	/* errors: missing start, unknown controller, escaping name; end is safe after them */
	ASSERT_EQ(cgroup_walk_tree_begin("pids", "nope", 0, &h, &info, &base), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_walk_tree_end(&h), 0);
	ASSERT_EQ(cgroup_walk_tree_begin("no_such_ctrl", "w", 0, &h, &info, &base),
		  ECGROUPSUBSYSNOTMOUNTED);
	ASSERT_EQ(cgroup_walk_tree_begin("pids", "../..", 0, &h, &info, &base), ECGINVAL);
	ASSERT_EQ(cgroup_walk_tree_next(0, NULL, &info, base), ECGINVAL);
	return 0;
}

TEST(read_value_lines_and_errors)
{
	char buf[64];
	void *h = NULL;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(create("rv", PIDS), 0);
	ASSERT_OK(cgtest_write("pids", "rv", "pids.max", "42"));
	/* like fgets(): the line with its newline */
	ASSERT_EQ(cgroup_read_value_begin("pids", "rv", "pids.max", &h, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "42\n");
	ASSERT_EQ(cgroup_read_value_next(&h, buf, sizeof(buf)), ECGEOF);
	ASSERT_EQ(cgroup_read_value_end(&h), 0);
	/* a short buffer gets max-1 characters per call */
	ASSERT_EQ(cgroup_read_value_begin("pids", "rv", "pids.max", &h, buf, 2), 0);
	ASSERT_STREQ(buf, "4");
	ASSERT_EQ(cgroup_read_value_next(&h, buf, 2), 0);
	ASSERT_STREQ(buf, "2");
	cgroup_read_value_end(&h);

	ASSERT_EQ(cgroup_read_value_begin("pids", "rv", "no.such.file", &h, buf, sizeof(buf)), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ENOENT);
	ASSERT_EQ(cgroup_read_value_end(&h), 0);
	ASSERT_EQ(cgroup_read_value_begin("pids", "rv", "../../etc/passwd", &h, buf, sizeof(buf)),
		  ECGINVAL);
	ASSERT_EQ(cgroup_read_value_begin("pids", "gone", "pids.max", &h, buf, sizeof(buf)),
		  ECGROUPNOTEXIST);
	return 0;
}

TEST(read_stats_matches_the_kernel_file)
{
	struct cgroup_stat st;
	char text[65536], first[256];
	void *h = NULL;
	int n = 0, lines = 0, r;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_EQ(create("st", (const char *const[]){ "memory", NULL }), 0);
	ASSERT_OK(cgtest_read("memory", "st", "memory.stat", text, sizeof(text)));
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(text, "\n"), text);

	ASSERT_EQ(cgroup_read_stats_begin("memory", "st", &h, &st), 0);
	{
		char line[FILENAME_MAX + CG_VALUE_MAX + 2];

		snprintf(line, sizeof(line), "%s %s", st.name, st.value);
		ASSERT_STREQ(line, first);
	}
	for (n = 1; (r = cgroup_read_stats_next(&h, &st)) == 0; n++)
		ASSERT(st.name[0] && st.value[0]);
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(n, lines);
	ASSERT_EQ(cgroup_read_stats_end(&h), 0);
	ASSERT_EQ(cgroup_read_stats_begin("memory", "missing", &h, &st), ECGROUPNOTEXIST);
	cgroup_read_stats_end(&h);
	return 0;
}

TEST(get_task_lists_the_group)
{
	pid_t child, pid = 0;
	void *h = NULL;
	bool seen = false;
	int r;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(create("gt", PIDS), 0);
	ASSERT_EQ(cgroup_get_task_begin("gt", "pids", &h, &pid), ECGEOF); /* empty */
	cgroup_get_task_end(&h);
	child = cgtest_fork_in("gt", sleeper, NULL);
	ASSERT(child > 0);
	r = cgroup_get_task_begin("gt", "pids", &h, &pid);
	while (r == 0) {
		seen = seen || pid == child;
		r = cgroup_get_task_next(&h, &pid);
	}
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(cgroup_get_task_end(&h), 0);
	kill_wait(child);
	ASSERT(seen);
	ASSERT_EQ(cgroup_get_task_begin("nope", "pids", &h, &pid), ECGROUPNOTEXIST);
	return 0;
}

TEST(get_controller_and_subsys_mount_points)
{
	struct cgroup_mount_point mp;
	char path[FILENAME_MAX], *mount = NULL;
	void *h = NULL;
	bool pids = false;
	int r;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	r = cgroup_get_controller_begin(&h, &mp);
	while (r == 0) {
		if (!strcmp(mp.name, "pids")) {
			pids = true;
			ASSERT_STREQ(mp.path, cgtest_hier_for("pids")->mount);
		}
		r = cgroup_get_controller_next(&h, &mp);
	}
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(cgroup_get_controller_end(&h), 0);
	ASSERT(pids);

	ASSERT_EQ(cgroup_get_subsys_mount_point("pids", &mount), 0);
	ASSERT_EQ(cgroup_get_subsys_mount_point_begin("pids", &h, path), 0);
	ASSERT_STREQ(path, mount); /* the first is the one in use */
	while ((r = cgroup_get_subsys_mount_point_next(&h, path)) == 0)
		ASSERT(path[0] == '/');
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(cgroup_get_subsys_mount_point_end(&h), 0);
	free(mount);
	ASSERT_EQ(cgroup_get_subsys_mount_point_begin("no_such_ctrl", &h, path),
		  ECGROUPSUBSYSNOTMOUNTED);
	cgroup_get_subsys_mount_point_end(&h);
	return 0;
}

TEST(get_all_controller_is_proc_cgroups)
{
	struct controller_data cd;
	char line[256];
	void *h = NULL;
	FILE *f;
	int r;

	CGTEST_SETUP();
	f = fopen("/proc/cgroups", "re");
	if (!f)
		SKIP("no /proc/cgroups on this kernel");
	r = cgroup_get_all_controller_begin(&h, &cd);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int hier, num, en;

		if (line[0] == '#')
			continue;
		ASSERT_EQ(sscanf(line, "%63s %d %d %d", name, &hier, &num, &en), 4);
		ASSERT_EQ(r, 0);
		ASSERT_STREQ(cd.name, name);
		ASSERT_EQ(cd.hierarchy, hier);
		ASSERT_EQ(cd.enabled, en);
		r = cgroup_get_all_controller_next(&h, &cd);
	}
	fclose(f);
	ASSERT_EQ(r, ECGEOF);
	ASSERT_EQ(cgroup_get_all_controller_end(&h), 0);
	return 0;
}

/* ==================================================================== tasks */

TEST(change_cgroup_path_and_current_path)
{
	const char *const star[] = { "*", NULL };
	char *path = NULL;
	pid_t child;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(create("dest", PIDS), 0);
	child = cgtest_fork_in("", sleeper, NULL);
	ASSERT(child > 0);
	ASSERT_EQ(cgroup_change_cgroup_path("dest", child, PIDS), 0);
	ASSERT(cgtest_pid_in("pids", "dest", child));
	ASSERT_EQ(cgroup_get_current_controller_path(child, "pids", &path), 0);
	ASSERT_STREQ(path, "/dest");
	free(path);
	path = NULL;

	/* "*": every mounted controller; the group must exist in each */
	{
		struct cgroup *cg = cgroup_new_cgroup("all");
		char cpus[256], mems[256];

		ASSERT_EQ(cgroup_add_all_controllers(cg), 0);
		ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
		cgroup_free(&cg);
		/* a v1 cpuset group takes tasks only with cpus and mems set */
		if (cgtest_version("cpuset") == 1) {
			ASSERT(cgtest_read_value("cpuset", "", "cpuset.cpus", cpus, sizeof(cpus)) >= 0);
			ASSERT(cgtest_read_value("cpuset", "", "cpuset.mems", mems, sizeof(mems)) >= 0);
			ASSERT_OK(cgtest_write("cpuset", "all", "cpuset.cpus", cpus));
			ASSERT_OK(cgtest_write("cpuset", "all", "cpuset.mems", mems));
		}
	}
	if (cgroup_change_cgroup_path("all", child, star) != 0)
		TAP_FAIL("change to all: %s", strerror(cgroup_get_last_errno()));
	ASSERT(cgtest_pid_in("pids", "all", child));

	/* errors */
	ASSERT_EQ(cgroup_change_cgroup_path("missing", child, PIDS), ECGROUPNOTEXIST);
	ASSERT(cgtest_pid_in("pids", "all", child));
	ASSERT_EQ(cgroup_change_cgroup_path("../../x", child, PIDS), ECGINVAL);
	ASSERT_EQ(cgroup_get_current_controller_path(child, "no_such_ctrl", &path),
		  ECGROUPSUBSYSNOTMOUNTED);
	kill_wait(child);
	ASSERT_EQ(cgroup_change_cgroup_path("dest", child, PIDS), ECGOTHER); /* gone */
	ASSERT_EQ(cgroup_get_current_controller_path(child, "pids", &path), ECGROUPNOTEXIST);
	ASSERT(path == NULL);
	return 0;
}

struct threads {
	pthread_t t[3];
};

static void *idle_thread(void *p)
{
	for (;;)
		pause();
	return p;
}

/* A child with three extra threads; it writes one thread's tid to the pipe. */
static int threaded(void *arg)
{
	int *fd = arg;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct threads th;
	pid_t tid = 0;

	for (int i = 0; i < 3; i++)
		pthread_create(&th.t[i], NULL, idle_thread, NULL);
	/* any thread id of ours other than the process's: from /proc/self/task */
	{
		DIR *d = opendir("/proc/self/task");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && atoi(de->d_name) != getpid())
				tid = atoi(de->d_name);
		if (d)
			closedir(d);
	}
	if (write(fd[1], &tid, sizeof(tid)) != sizeof(tid))
		return 1;
	for (;;)
		pause();
	return 0;
}

TEST(attach_thread_tid_moves_every_thread)
{
	int fd[2];
	pid_t child, tid = 0;
	struct cgroup *cg;
	char path[128], task[4096];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(create("thr", PIDS), 0);
	ASSERT_OK(pipe(fd));
	child = cgtest_fork_in("", threaded, fd);
	ASSERT(child > 0);
	ASSERT_EQ(read(fd[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	ASSERT(tid > 0);
	cg = mkcg("thr", PIDS);
	ASSERT_EQ(cgroup_attach_thread_tid(cg, tid), 0);
	/* every thread of the process is in the group ("tasks" on v1, cgroup.threads on v2) */
	task[0] = '\n';
	ASSERT_OK(cgtest_read("pids", "thr", cgtest_version("pids") == 1 ? "tasks" : "cgroup.threads",
			      task + 1, sizeof(task) - 1));
	{
		DIR *d;
		struct dirent *de;
		int n = 0;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)child);
		d = opendir(path);
		ASSERT(d);
		while ((de = readdir(d))) {
			char line[300];

			if (de->d_name[0] == '.')
				continue;
			snprintf(line, sizeof(line), "\n%s\n", de->d_name);
			/* task has the list with a leading newline added: "\n1\n2\n" */
			if (!strstr(task, line))
				TAP_FAIL("thread %s of %d not in the group", de->d_name, (int)child);
			n++;
		}
		closedir(d);
		ASSERT_EQ(n, 4);
	}
	ASSERT_EQ(cgroup_attach_thread_tid(cg, 0), ECGINVAL);
	ASSERT_EQ(cgroup_attach_thread_tid(NULL, tid), ECGINVAL);
	kill_wait(child);
	ASSERT_EQ(cgroup_attach_thread_tid(cg, child), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ENOENT);
	cgroup_free(&cg);
	return 0;
}

struct fake_cgred {
	int listen_fd;
	const char *reply;
	pid_t got_pid;
	int got_flags;
};

static void *cgred_thread(void *p)
{
	struct fake_cgred *d = p;
	int c = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return NULL;
	if (read(c, &d->got_pid, sizeof(d->got_pid)) == sizeof(d->got_pid) &&
	    read(c, &d->got_flags, sizeof(d->got_flags)) == sizeof(d->got_flags))
		(void)!write(c, d->reply, strlen(d->reply) + 1);
	close(c);
	return NULL;
}

TEST(register_unchanged_process_speaks_cgreds_protocol)
{
	char dir[256], sock[300];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct fake_cgred d = { .reply = "SUCCESS_STORE_PID" };
	pthread_t t;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(sock, sizeof(sock), "%s/cgred.socket", dir);
	setenv("OPENLVE_CGRED_SOCKET", sock, 1);
	/* no daemon: nothing to tell, success (libcgroup) */
	ASSERT_EQ(cgroup_register_unchanged_process(getpid(), CGROUP_DAEMON_UNCHANGE_CHILDREN), 0);
	ASSERT_EQ(cgroup_register_unchanged_process(getpid(), 7), ECGINVAL);

	d.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT(d.listen_fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", sock);
	ASSERT_OK(bind(d.listen_fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(d.listen_fd, 1));
	ASSERT_OK(-pthread_create(&t, NULL, cgred_thread, &d));
	ASSERT_EQ(cgroup_register_unchanged_process(getpid(), CGROUP_DAEMON_UNCHANGE_CHILDREN), 0);
	pthread_join(t, NULL);
	ASSERT_EQ(d.got_pid, getpid());
	ASSERT_EQ(d.got_flags, CGROUP_DAEMON_UNCHANGE_CHILDREN);

	/* a daemon that refuses */
	d.reply = "FAILED";
	ASSERT_OK(-pthread_create(&t, NULL, cgred_thread, &d));
	ASSERT_EQ(cgroup_register_unchanged_process(getpid(), CGROUP_DAEMON_CANCEL_UNCHANGE_PROCESS),
		  ECGOTHER);
	pthread_join(t, NULL);
	ASSERT_EQ(d.got_flags, CGROUP_DAEMON_CANCEL_UNCHANGE_PROCESS);
	close(d.listen_fd);
	return 0;
}

/* ==================================================================== rules */

static char rules_dir[256], rules_file[300];

static int rules_setup(const char *text)
{
	char d[320];
	int r = tap_mktemp(rules_dir, sizeof(rules_dir));

	if (r < 0)
		return r;
	snprintf(rules_file, sizeof(rules_file), "%s/cgrules.conf", rules_dir);
	snprintf(d, sizeof(d), "%s/cgrules.d", rules_dir);
	if (mkdir(d, 0755) < 0)
		return -errno;
	setenv("OPENLVE_CGRULES_CONF", rules_file, 1);
	setenv("OPENLVE_CGRULES_DIR", d, 1);
	return write_file(rules_file, text);
}

TEST(rules_move_by_process_name_user_and_template)
{
	char comm[16], text[1024], dest[64];
	pid_t child;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	rand_name(comm, sizeof(comm), "olt-r-");
	snprintf(text, sizeof(text),
		 "# cgrules.conf written by test-cg-api\n"
		 "*:olt-ignored-x   pids   nowhere   ignore\n"
		 "@no-such-group-olt pids  never\n"
		 "%%                 pids   never2\n"
		 "root:%s           pids   rules/%%U/%%p\n"
		 "%%                 pids   second\n",
		 comm);
	ASSERT_OK(rules_setup(text));
	ASSERT_EQ(create("second", PIDS), 0);
	child = cgtest_fork_in("", sleeper, comm);
	ASSERT(child > 0);
	ASSERT(comm_is(child, comm));

	/* no rule for another name: nothing moves, success */
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, "olt-other", child, 0), 0);
	ASSERT(!cgtest_exists("pids", "rules"));
	/* the rule matches: the templated destination is made, then the '%' line applies */
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, comm, child, 0), 0);
	snprintf(dest, sizeof(dest), "rules/0/%s", comm);
	ASSERT(cgtest_exists("pids", dest));
	ASSERT(cgtest_pid_in("pids", "second", child));
	/* uid_gid variants match no process-name rule: nothing moves */
	ASSERT_EQ(cgroup_change_cgroup_uid_gid(0, 0, child), 0);
	ASSERT_EQ(cgroup_change_cgroup_uid_gid_flags(0, 0, child, 0), 0);
	ASSERT(cgtest_pid_in("pids", "second", child));
	/* "ignore": matched and left alone */
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, "olt-ignored-x", child, 0), 0);
	ASSERT(!cgtest_exists("pids", "nowhere"));
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, comm, child, 0x40), ECGINVAL);
	kill_wait(child);

	/* a broken file: parse failure, named in the error */
	ASSERT_OK(write_file(rules_file, "root pids\n"));
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, comm, getpid(), 0), ECGRULESPARSEFAIL);
	unlink(rules_file);
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, comm, getpid(), 0), ECGRULESPARSEFAIL);
	ASSERT_EQ(cgroup_get_last_errno(), ENOENT);
	return 0;
}

TEST(rules_cache_print_reload_and_change_all)
{
	char comm[16], text[512];
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	pid_t child;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	rand_name(comm, sizeof(comm), "olt-a-");
	snprintf(text, sizeof(text), "*:%s pids swept\n", comm);
	ASSERT_OK(rules_setup(text));
	ASSERT_EQ(create("swept", PIDS), 0);
	ASSERT_EQ(cgroup_init_rules_cache(), 0);

	f = open_memstream(&out, &len);
	cgroup_print_rules_config(f);
	fclose(f);
	ASSERT(strstr(out, "Rule: *:"));
	ASSERT(strstr(out, comm));
	ASSERT(strstr(out, "UID: any"));
	ASSERT(strstr(out, "DEST: swept"));
	ASSERT(strstr(out, "    pids\n"));
	free(out);

	/* the sweep: only our child carries that name */
	child = cgtest_fork_in("", sleeper, comm);
	ASSERT(child > 0);
	ASSERT(comm_is(child, comm));
	ASSERT_EQ(cgroup_change_all_cgroups(), 0);
	ASSERT(cgtest_pid_in("pids", "swept", child));
	ASSERT_EQ(cgtest_count_procs("pids", "swept"), 1);

	/* cached: a changed file counts only after a reload; a bad one keeps the cache */
	ASSERT_OK(write_file(rules_file, "root:nothing-olt pids elsewhere ignore\n"));
	ASSERT_EQ(cgroup_change_cgroup_flags(0, 0, comm, child, CGFLAG_USECACHE), 0);
	ASSERT_OK(write_file(rules_file, "root:x pids a b c\n"));
	ASSERT_EQ(cgroup_reload_cached_rules(), ECGRULESPARSEFAIL);
	ASSERT_OK(write_file(rules_file, "root:nothing-olt pids elsewhere ignore\n"));
	ASSERT_EQ(cgroup_reload_cached_rules(), 0);
	out = NULL;
	f = open_memstream(&out, &len);
	cgroup_print_rules_config(f);
	fclose(f);
	ASSERT(strstr(out, "IS_IGNORE: True"));
	ASSERT(!strstr(out, comm));
	free(out);
	kill_wait(child);
	return 0;
}

/* =================================================================== config */

static char conf_dir[256], conf_file[300];

static int conf_write(const char *text)
{
	if (!conf_dir[0]) {
		int r = tap_mktemp(conf_dir, sizeof(conf_dir));

		if (r < 0)
			return r;
		snprintf(conf_file, sizeof(conf_file), "%s/cgconfig.conf", conf_dir);
		setenv("OPENLVE_CGCONFIG_CONF", conf_file, 1);
	}
	return write_file(conf_file, text);
}

TEST(config_load_unload_and_errors)
{
	char buf[64];
	struct stat st;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(conf_write("# test\n"
			     "mount { pids = /anywhere; }\n"
			     "group cfg {\n"
			     "  perm { task { uid = root; gid = 0; fperm = 660; }\n"
			     "         admin { uid = 0; gid = root; dperm = 755; fperm = 640; } }\n"
			     "  pids { pids.max = 17; }\n"
			     "}\n"
			     "group cfg/sub { pids { pids.max = \"5\"; } }\n"
			     "template tpl/%u { pids { pids.max = 9; } }\n"));
	ASSERT_EQ(cgroup_config_load_config(conf_file), 0);
	ASSERT_OK(cgtest_read_value("pids", "cfg", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "17");
	ASSERT_OK(cgtest_read_value("pids", "cfg/sub", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "5");
	{
		char *p = cgtest_path("pids", "cfg", "pids.max");

		ASSERT_OK(stat(p, &st));
		free(p);
		ASSERT_EQ(st.st_mode & 0777, 0640 & (st.st_mode | 0777));
	}
	ASSERT(!cgtest_exists("pids", "tpl")); /* templates are not groups */

	ASSERT_EQ(cgroup_config_unload_config(conf_file, 0), 0);
	ASSERT(!cgtest_exists("pids", "cfg/sub"));
	ASSERT(!cgtest_exists("pids", "cfg"));
	/* unloading again: the groups are gone already */
	ASSERT_EQ(cgroup_config_unload_config(conf_file, 0), 0);

	/* syntax error: nothing is created */
	ASSERT_OK(conf_write("group bad1 { pids { pids.max = 3; } }\ngroup bad2 { pids { pids.max 3; } }\n"));
	ASSERT_EQ(cgroup_config_load_config(conf_file), ECGCONFIGPARSEFAIL);
	ASSERT(!cgtest_exists("pids", "bad1"));
	/* a value the kernel refuses: the groups of this load are removed again */
	ASSERT_OK(conf_write("group ok1 { pids { pids.max = 3; } }\ngroup ok2 { pids { pids.max = lots; } }\n"));
	ASSERT_EQ(cgroup_config_load_config(conf_file), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), EINVAL);
	ASSERT(!cgtest_exists("pids", "ok1"));
	ASSERT(!cgtest_exists("pids", "ok2"));
	/* a hierarchy that is not mounted: openlve never mounts */
	ASSERT_OK(conf_write("mount { \"name=olt-not-mounted\" = /tmp/x; }\n"));
	ASSERT_EQ(cgroup_config_load_config(conf_file), ECGMOUNTFAIL);
	ASSERT_OK(conf_write("namespace { pids = /a; pids = /b; }\n"));
	ASSERT_EQ(cgroup_config_load_config(conf_file), ECGNAMESPACEPATHS);
	ASSERT_EQ(cgroup_config_load_config("/nonexistent/olt.conf"), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ENOENT);
	ASSERT_EQ(cgroup_config_load_config(NULL), ECGINVAL);
	return 0;
}

TEST(config_namespace_and_default_permissions)
{
	char text[1024];
	struct cgroup *dflt;
	struct stat st;
	char *p;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(cgtest_mkdir("pids", "nsroot"));
	/* namespace paths are relative to the mount, like libcgroup's */
	snprintf(text, sizeof(text), "namespace { pids = %s/nsroot; }\ngroup inner { pids { } }\n",
		 cgtest_ns("pids"));
	ASSERT_OK(conf_write(text));
	dflt = cgroup_new_cgroup("default");
	ASSERT_EQ(cgroup_set_uid_gid(dflt, 65534, 65534, 65534, 65534), 0);
	cgroup_set_permissions(dflt, NO_PERMS, NO_PERMS, NO_PERMS);
	ASSERT_EQ(cgroup_config_set_default(dflt), 0);
	ASSERT_EQ(cgroup_config_set_default(NULL), ECGINVAL);
	cgroup_free(&dflt);
	ASSERT_EQ(cgroup_config_load_config(conf_file), 0);
	ASSERT(cgtest_exists("pids", "nsroot/inner"));
	p = cgtest_path("pids", "nsroot/inner", "pids.max");
	ASSERT_OK(stat(p, &st));
	free(p);
	ASSERT_EQ(st.st_uid, 65534); /* the default owner (no perm section) */
	/* a default section in the file wins over cgroup_config_set_default() */
	snprintf(text, sizeof(text),
		 "namespace { pids = %s/nsroot; }\n"
		 "default { perm { task { uid = 0; gid = 0; } admin { uid = 0; gid = 0; } } }\n"
		 "group inner2 { pids { } }\n",
		 cgtest_ns("pids"));
	ASSERT_OK(conf_write(text));
	ASSERT_EQ(cgroup_config_load_config(conf_file), 0);
	p = cgtest_path("pids", "nsroot/inner2", "pids.max");
	ASSERT_OK(stat(p, &st));
	free(p);
	ASSERT_EQ(st.st_uid, 0);
	return 0;
}

TEST(templates_and_unload_cgroups)
{
	struct cgroup *cg;
	char buf[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(conf_write("template tpl/%u { pids { pids.max = 9; } }\n"));
	ASSERT_EQ(cgroup_init_templates_cache(conf_file), 0);
	cg = mkcg("made", PIDS);
	ASSERT_EQ(cgroup_config_create_template_group(cg, "tpl/%u", CGFLAG_USE_TEMPLATE_CACHE), 0);
	ASSERT_OK(cgtest_read_value("pids", "made", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "9");
	cgroup_free(&cg);
	/* the cache changes only on reload */
	ASSERT_OK(conf_write("template tpl/%u { pids { pids.max = 11; } }\n"));
	cg = mkcg("made2", PIDS);
	ASSERT_EQ(cgroup_config_create_template_group(cg, "tpl/%u", CGFLAG_USE_TEMPLATE_CACHE), 0);
	ASSERT_OK(cgtest_read_value("pids", "made2", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "9");
	cgroup_free(&cg);
	ASSERT_EQ(cgroup_reload_cached_templates(conf_file), 0);
	cg = mkcg("made3", PIDS);
	ASSERT_EQ(cgroup_config_create_template_group(cg, "tpl/%u", CGFLAG_USE_TEMPLATE_CACHE), 0);
	ASSERT_OK(cgtest_read_value("pids", "made3", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "11");
	cgroup_free(&cg);
	/* without the cache flag the file is read; an unknown template makes a plain group */
	cg = mkcg("plain", PIDS);
	ASSERT_EQ(cgroup_config_create_template_group(cg, "no-such-template", 0), 0);
	ASSERT_OK(cgtest_read_value("pids", "plain", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "max");
	cgroup_free(&cg);
	ASSERT_EQ(cgroup_init_templates_cache("/nonexistent/olt.conf"), ECGOTHER);

	/*
	 * cgroup_unload_cgroups() removes every group below the root of every
	 * hierarchy with controllers: here the roots are the test's own
	 * (namespaces on every such hierarchy, checked first).
	 */
	{
		struct cgroup_mount_point mp;
		void *h = NULL;
		int r = cgroup_get_controller_begin(&h, &mp);

		for (; r == 0; r = cgroup_get_controller_next(&h, &mp))
			if (strncmp(mp.name, "name=", 5) && !cgtest_hier_for(mp.name)) {
				cgroup_get_controller_end(&h);
				SKIP("hierarchy of %.64s has no test root: unload would reach outside", mp.name);
			}
		cgroup_get_controller_end(&h);
	}
	ASSERT_EQ(create("u1/u2", PIDS), 0);
	ASSERT_EQ(cgroup_unload_cgroups(), 0);
	ASSERT(!cgtest_exists("pids", "u1"));
	ASSERT(!cgtest_exists("pids", "made"));
	ASSERT(cgtest_exists("pids", ""));
	return 0;
}

/* ============================================================ log, version */

static char log_buf[1024];
static int log_last_level = -1;
static bool log_bad_userdata;

static void capture(void *ud, int level, const char *fmt, va_list ap)
{
	size_t n = strlen(log_buf);

	if ((intptr_t)ud != 42)
		log_bad_userdata = true;
	log_last_level = level;
	vsnprintf(log_buf + n, sizeof(log_buf) - n, fmt, ap);
}

TEST(logging_levels_callback_and_default_logger)
{
	char tmp[256], path[300], out[256] = "";
	int fd, saved;

	CGTEST_SETUP();
	ASSERT_EQ(cgroup_parse_log_level_str("ERROR"), CGROUP_LOG_ERROR);
	ASSERT_EQ(cgroup_parse_log_level_str("warning"), CGROUP_LOG_WARNING);
	ASSERT_EQ(cgroup_parse_log_level_str("INFO"), CGROUP_LOG_INFO);
	ASSERT_EQ(cgroup_parse_log_level_str("4"), CGROUP_LOG_DEBUG);
	ASSERT_EQ(cgroup_parse_log_level_str("bogus"), CGROUP_LOG_ERROR);
	ASSERT_EQ(cgroup_parse_log_level_str(NULL), CGROUP_LOG_ERROR);

	setenv("CGROUP_LOGLEVEL", "INFO", 1);
	cgroup_set_logger(capture, -1, (void *)(intptr_t)42);
	ASSERT_EQ(cgroup_get_loglevel(), CGROUP_LOG_INFO);
	cgroup_log(CGROUP_LOG_ERROR, "x=%d\n", 5);
	ASSERT_STREQ(log_buf, "x=5\n");
	ASSERT_EQ(log_last_level, CGROUP_LOG_ERROR);
	cgroup_log(CGROUP_LOG_DEBUG, "hidden\n");
	ASSERT_STREQ(log_buf, "x=5\n");
	cgroup_set_loglevel(CGROUP_LOG_DEBUG);
	ASSERT_EQ(cgroup_get_loglevel(), CGROUP_LOG_DEBUG);
	cgroup_log(CGROUP_LOG_DEBUG, "shown\n");
	ASSERT(strstr(log_buf, "shown"));

	/* the library reports a parse error with its line through the logger */
	ASSERT_OK(conf_write("group g {\n pids { x = ; }\n}\n"));
	log_buf[0] = 0;
	ASSERT_EQ(cgroup_config_load_config(conf_file), ECGCONFIGPARSEFAIL);
	ASSERT(strstr(log_buf, "line 2"));
	ASSERT(!log_bad_userdata);

	/* NULL logger: silent */
	cgroup_set_logger(NULL, CGROUP_LOG_DEBUG, NULL);
	log_buf[0] = 0;
	cgroup_log(CGROUP_LOG_ERROR, "nothing\n");
	ASSERT_STREQ(log_buf, "");

	/* the default logger writes to stdout */
	ASSERT_OK(tap_mktemp(tmp, sizeof(tmp)));
	snprintf(path, sizeof(path), "%s/out", tmp);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT(fd >= 0 && saved >= 0);
	dup2(fd, 1);
	cgroup_set_default_logger(CGROUP_LOG_WARNING);
	cgroup_log(CGROUP_LOG_WARNING, "to stdout %s\n", "ok");
	cgroup_log(CGROUP_LOG_INFO, "not shown\n");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	cgroup_set_logger(NULL, CGROUP_LOG_ERROR, NULL);
	{
		FILE *f = fopen(path, "re");

		ASSERT(f);
		ASSERT((void *)fgets(out, sizeof(out), f) != NULL);
		fclose(f);
	}
	ASSERT_STREQ(out, "to stdout ok\n");
	return 0;
}

TEST(library_version)
{
	const struct cgroup_library_version *v = cgroup_version();

	ASSERT(v);
	ASSERT_EQ(v->major, CGROUP_VER_MAJOR);
	ASSERT_EQ(v->minor, CGROUP_VER_MINOR);
	ASSERT_EQ(v->release, CGROUP_VER_RELEASE);
	ASSERT_EQ(v->major, 3u);
	return 0;
}

/* ============================================================ cgxget/cgxset */

TEST(cgxset_cgxget_convert_between_versions)
{
	enum cg_version_t disk, other;
	struct cgroup *cg;
	struct cgroup_controller *c;
	char *val = NULL, buf[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_EQ(cgroup_get_controller_version("cpu", &disk), 0);
	other = disk == CGROUP_V1 ? CGROUP_V2 : CGROUP_V1;
	ASSERT_EQ(create("x", (const char *const[]){ "cpu", NULL }), 0);

	/* set in the other version's terms; the kernel gets its own */
	cg = mkcg("x", (const char *const[]){ "cpu", NULL });
	c = cgroup_get_controller(cg, "cpu");
	if (other == CGROUP_V2) {
		ASSERT_EQ(cgroup_add_value_string(c, "cpu.max", "50000 100000"), 0);
	} else {
		ASSERT_EQ(cgroup_add_value_string(c, "cpu.cfs_quota_us", "50000"), 0);
		ASSERT_EQ(cgroup_add_value_string(c, "cpu.cfs_period_us", "100000"), 0);
	}
	ASSERT_EQ(cgroup_cgxset(cg, other, false), 0);
	if (disk == CGROUP_V1) {
		ASSERT_OK(cgtest_read_value("cpu", "x", "cpu.cfs_quota_us", buf, sizeof(buf)));
		ASSERT_STREQ(buf, "50000");
	} else {
		ASSERT_OK(cgtest_read_value("cpu", "x", "cpu.max", buf, sizeof(buf)));
		ASSERT_STREQ(buf, "50000 100000");
	}
	cgroup_free(&cg);

	/* read back in the other version's terms */
	ASSERT_OK(cgtest_write("cpu", "x", disk == CGROUP_V1 ? "cpu.cfs_quota_us" : "cpu.max",
			       disk == CGROUP_V1 ? "25000" : "25000 100000"));
	cg = mkcg("x", (const char *const[]){ "cpu", NULL });
	c = cgroup_get_controller(cg, "cpu");
	ASSERT_EQ(cgroup_add_value_string(c, other == CGROUP_V2 ? "cpu.max" : "cpu.cfs_quota_us", ""), 0);
	ASSERT_EQ(cgroup_cgxget(&cg, other, false), 0);
	c = cgroup_get_controller(cg, "cpu");
	ASSERT(c);
	ASSERT_EQ(cgroup_get_value_string(c, other == CGROUP_V2 ? "cpu.max" : "cpu.cfs_quota_us", &val),
		  0);
	ASSERT_STREQ(val, other == CGROUP_V2 ? "25000 100000" : "25000");
	free(val);
	cgroup_free(&cg);

	/* a setting without a counterpart: refused, or dropped with ignore_unmappable */
	cg = mkcg("x", (const char *const[]){ "cpu", NULL });
	c = cgroup_get_controller(cg, "cpu");
	ASSERT_EQ(cgroup_add_value_string(c, other == CGROUP_V2 ? "cpu.weight.nice" : "cpu.rt_runtime_us",
					  "1"),
		  0);
	ASSERT_EQ(cgroup_cgxset(cg, other, false), ECGROUPUNSUPP);
	ASSERT_EQ(cgroup_cgxset(cg, other, true), 0);
	ASSERT_EQ(cgroup_cgxget(&cg, other, false), ECGROUPUNSUPP);
	ASSERT_EQ(cgroup_cgxget(&cg, other, true), 0);
	ASSERT_EQ(cgroup_get_value_name_count(cgroup_get_controller(cg, "cpu")), 0);
	cgroup_free(&cg);
	ASSERT_EQ(cgroup_cgxget(NULL, other, false), ECGINVAL);
	return 0;
}

/* ================================================================== systemd */

/* The default scope's test dirs (at the pids mount root), removed by the parent after the test. */
static char (*sd_dirs)[3][400];

static void sd_cleanup(void)
{
	for (int i = 2; i >= 0; i--)
		if ((*sd_dirs)[i][0] && rmdir((*sd_dirs)[i]) == 0)
			(*sd_dirs)[i][0] = 0;
}

static const struct tap_hooks sd_hooks = { .after_each = sd_cleanup, .after_all = sd_cleanup };

__attribute__((constructor)) static void sd_init(void)
{
	sd_dirs = mmap(NULL, sizeof(*sd_dirs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sd_dirs == MAP_FAILED)
		abort();
	memset(sd_dirs, 0, sizeof(*sd_dirs));
	tap_register_hooks(&sd_hooks);
}

TEST(systemd_scopes_options_and_default_file)
{
	struct cgroup_systemd_scope_opts o;
	char tmp[256], file[300], buf[128] = "";
	struct cgroup *cg;
	FILE *f;
	int r;

	CGTEST_SETUP();
	ASSERT(cgroup_is_systemd_enabled());
	ASSERT_EQ(cgroup_set_default_scope_opts(&o), 0);
	ASSERT_EQ(o.delegated, 1);
	ASSERT_EQ(o.mode, CGROUP_SYSTEMD_MODE_DFLT);
	ASSERT_EQ(cgroup_set_default_scope_opts(NULL), ECGINVAL);
	ASSERT_EQ(cgroup_create_scope("bad", "x.slice", &o), ECGINVAL);
	ASSERT_EQ(cgroup_create_scope("a.scope", "x.notslice", &o), ECGINVAL);
	ASSERT_EQ(cgroup_create_scope("a/b.scope", "x.slice", &o), ECGINVAL);
	cg = cgroup_new_cgroup("noslash.scope");
	ASSERT_EQ(cgroup_create_scope2(cg, 0, &o), ECGINVAL);
	cgroup_free(&cg);

	if (access("/run/systemd/system", F_OK) != 0) {
		/* no systemd on this machine: a clear failure, not a hang */
		r = cgroup_create_scope("olt-test.scope", "olt-test.slice", &o);
		ASSERT_EQ(r, ECGOTHER);
		ASSERT(cgroup_get_last_errno() != 0);
	}

	/* options as cgconfig.conf's systemd section gives them */
	ASSERT_EQ(cgroup_alloc_systemd_opts("slice", "db.slice"), 1);
	ASSERT_EQ(cgroup_add_systemd_opts("scope", "db.scope"), 1);
	ASSERT_EQ(cgroup_add_systemd_opts("setdefault", "yes"), 1);
	ASSERT_EQ(cgroup_add_systemd_opts("setdefault", "maybe"), 0);
	ASSERT_EQ(cgroup_add_systemd_opts("bogus", "1"), 0);
	ASSERT_EQ(cgroup_alloc_systemd_opts("slice", "no-suffix"), 0);
	cgroup_cleanup_systemd_opts();
	ASSERT_EQ(cgroup_add_systemd_opts("scope", "db.scope"), 0); /* nothing allocated */

	/* the default cgroup file */
	ASSERT_OK(tap_mktemp(tmp, sizeof(tmp)));
	snprintf(file, sizeof(file), "%s/run/systemd", tmp);
	setenv("OPENLVE_CGSYSTEMD_FILE", file, 1);
	ASSERT_EQ(cgroup_set_default_systemd_cgroup(), 0); /* no file */
	ASSERT_EQ(cgroup_write_systemd_default_cgroup("olt.slice", "x.scope"), 0);
	f = fopen(file, "re");
	ASSERT(f);
	ASSERT((void *)fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	ASSERT_STREQ(buf, "olt.slice/x.scope");
	/* olt.slice/x.scope does not exist below the mounts: not set */
	ASSERT_EQ(cgroup_set_default_systemd_cgroup(), 0);
	ASSERT_EQ(cgroup_write_systemd_default_cgroup("bad", "x.scope"), ECGINVAL);
	/*
	 * A scope present in one v1 hierarchy only (systemd makes a unit's
	 * group only where it manages a controller for it): group names of that
	 * controller are rooted there, the others keep theirs.
	 */
	{
		const struct cgtest_hier *ph = cgtest_hier_for("pids");
		char slice[64], kid[450];
		struct cgroup *k;

		if (!ph || ph->version != 1 || strcmp(ph->own, "/") || cgtest_version("cpu") != 1)
			return 0; /* this host's layout does not allow it without touching others' groups */
		snprintf(slice, sizeof(slice), "olt%08x.slice", (unsigned)random());
		snprintf((*sd_dirs)[0], sizeof((*sd_dirs)[0]), "%s/%s", ph->mount, slice);
		snprintf((*sd_dirs)[1], sizeof((*sd_dirs)[1]), "%s/%s/x.scope", ph->mount, slice);
		snprintf((*sd_dirs)[2], sizeof((*sd_dirs)[2]), "%s/%s/x.scope/kid", ph->mount, slice);
		ASSERT_OK(mkdir((*sd_dirs)[0], 0755));
		ASSERT_OK(mkdir((*sd_dirs)[1], 0755));
		ASSERT_EQ(cgroup_write_systemd_default_cgroup(slice, "x.scope"), 0);
		ASSERT_EQ(cgroup_set_default_systemd_cgroup(), 1);
		k = cgroup_new_cgroup("kid");
		ASSERT(k && cgroup_add_controller(k, "pids"));
		ASSERT_EQ(cgroup_create_cgroup(k, 0), 0);
		ASSERT_OK(access((*sd_dirs)[2], F_OK));
		/* cpu has no such scope: its names stay in the test's own root */
		snprintf(kid, sizeof(kid), "%s/kid", cgtest_root("cpu"));
		ASSERT(access(kid, F_OK) != 0);
		ASSERT(cgroup_add_controller(k, "cpu"));
		ASSERT_EQ(cgroup_create_cgroup(k, 0), 0);
		ASSERT_OK(access(kid, F_OK));
		ASSERT_EQ(cgroup_delete_cgroup(k, 0), 0);
		ASSERT(access((*sd_dirs)[2], F_OK) != 0 && access(kid, F_OK) != 0);
		cgroup_free(&k);
	}
	return 0;
}

/* ====================================================== named v1 hierarchy */

/*
 * The hierarchy's mount point and options live in a MAP_SHARED page, so the
 * parent test process can remove it after the test's child ended, even
 * when the test failed half way (tap after_each hook).
 */
static struct named_state {
	char dir[256];
	char opts[64];
	char last[64]; /* "name=X" of the last hierarchy, for the check after cleanup */
} *named;
#define named_dir (named->dir)
#define named_opts (named->opts)

static bool named_alive(const char *name)
{
	char buf[8192], want[80];
	FILE *f = fopen("/proc/self/cgroup", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	snprintf(want, sizeof(want), ":%s:", name);
	return strstr(buf, want) != NULL;
}

/*
 * Remove the private hierarchy: its groups, then the mount. A v1 hierarchy
 * unmounted while a removed group is still dying stays alive (and
 * unreachable) in the kernel, so mount it again and retry until it is gone.
 */
static void named_cleanup(void)
{
	const char *name = named_opts + strlen("none,");

	if (!named_dir[0])
		return;
	for (int i = 0; i < 100; i++) {
		char sub[400];

		snprintf(sub, sizeof(sub), "%s/grp/kid/copy", named_dir);
		rmdir(sub);
		snprintf(sub, sizeof(sub), "%s/grp/kid", named_dir);
		rmdir(sub);
		snprintf(sub, sizeof(sub), "%s/grp", named_dir);
		rmdir(sub);
		umount2(named_dir, 0);
		/* a removed group can take a moment to die */
		for (int k = 0; k < 10 && named_alive(name); k++)
			usleep(20000);
		if (!named_alive(name))
			break;
		if (mount("cgroup", named_dir, "cgroup", 0, named_opts) < 0)
			break;
	}
	named_dir[0] = 0;
}

static const struct tap_hooks named_hooks = { .after_each = named_cleanup, .after_all = named_cleanup };

__attribute__((constructor)) static void named_init(void)
{
	named = mmap(NULL, sizeof(*named), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (named == MAP_FAILED)
		abort();
	memset(named, 0, sizeof(*named));
	tap_register_hooks(&named_hooks);
}

TEST(named_v1_hierarchy_create_modify_delete)
{
	char name[32], ctrl[40], path[400], buf[64];
	const char *ctrls[2] = { ctrl, NULL };
	struct cgroup *cg;
	pid_t child;

	REQUIRE_ROOT();
	rand_name(name, sizeof(name), "olt");
	snprintf(ctrl, sizeof(ctrl), "name=%s", name);
	ASSERT_OK(tap_mktemp(named_dir, sizeof(named_dir)));
	/* a private named hierarchy, before cgroup_init() so the library sees it */
	snprintf(named_opts, sizeof(named_opts), "none,%s", ctrl);
	if (mount("cgroup", named_dir, "cgroup", 0, named_opts) < 0) {
		named_dir[0] = 0;
		SKIP("cannot mount a named cgroup v1 hierarchy here: %s", strerror(errno));
	}
	CGTEST_SETUP();

	cg = mkcg("grp/kid", ctrls);
	ASSERT(cg);
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
	snprintf(path, sizeof(path), "%s/grp/kid", named_dir);
	ASSERT_OK(access(path, F_OK));
	/* modify: a v1 core file of the hierarchy */
	ASSERT_EQ(cgroup_set_value_string(cgroup_get_controller(cg, ctrl), "notify_on_release", "1"), 0);
	ASSERT_EQ(cgroup_modify_cgroup(cg), 0);
	snprintf(path, sizeof(path), "%s/grp/kid/notify_on_release", named_dir);
	{
		FILE *f = fopen(path, "re");

		ASSERT(f);
		ASSERT((void *)fgets(buf, sizeof(buf), f) != NULL);
		fclose(f);
	}
	ASSERT_STREQ(buf, "1\n");
	/* get: the group exists in the named hierarchy only; its settings read back */
	{
		struct cgroup *got = cgroup_new_cgroup("grp/kid");
		struct cgroup_controller *gc;
		char *v = NULL;
		struct stat st;

		ASSERT(got);
		ASSERT(cgroup_add_controller(got, ctrl));
		ASSERT_EQ(cgroup_get_cgroup(got), 0);
		ASSERT_EQ(cgroup_get_controller_count(got), 1);
		gc = cgroup_get_controller(got, ctrl);
		ASSERT(gc);
		ASSERT_EQ(cgroup_get_value_string(gc, "notify_on_release", &v), 0);
		ASSERT_STREQ(v, "1");
		free(v);
		v = NULL;
		ASSERT_EQ(cgroup_get_value_string(gc, "cgroup.clone_children", &v), 0);
		ASSERT_STREQ(v, "0");
		free(v);
		v = NULL;
		/* no control files other than the two settings */
		ASSERT_EQ(cgroup_get_value_name_count(gc), 2);
		ASSERT(cgroup_get_value_string(gc, "tasks", &v) != 0);
		/* owners from the hierarchy's files */
		snprintf(path, sizeof(path), "%s/grp/kid/tasks", named_dir);
		ASSERT_OK(stat(path, &st));
		{
			uid_t tu, cu;
			gid_t tg, cgid;

			ASSERT_EQ(cgroup_get_uid_gid(got, &tu, &tg, &cu, &cgid), 0);
			ASSERT_EQ(tu, st.st_uid);
			ASSERT_EQ(tg, st.st_gid);
		}
		cgroup_free(&got);
		/* reading every hierarchy (no controller asked) includes the named one */
		got = cgroup_new_cgroup("grp/kid");
		ASSERT(got);
		ASSERT_EQ(cgroup_get_cgroup(got), 0);
		ASSERT(cgroup_get_controller(got, ctrl) != NULL);
		cgroup_free(&got);
		/* a group that is not there */
		got = cgroup_new_cgroup("grp/none");
		ASSERT(cgroup_add_controller(got, ctrl));
		ASSERT_EQ(cgroup_get_cgroup(got), ECGROUPNOTEXIST);
		cgroup_free(&got);
		/* create_from_parent copies the named hierarchy's settings */
		got = cgroup_new_cgroup("grp/kid/copy");
		ASSERT(got);
		ASSERT_EQ(cgroup_create_cgroup_from_parent(got, 0), 0);
		snprintf(path, sizeof(path), "%s/grp/kid/copy/notify_on_release", named_dir);
		{
			FILE *f = fopen(path, "re");

			ASSERT(f);
			ASSERT((void *)fgets(buf, sizeof(buf), f) != NULL);
			fclose(f);
		}
		ASSERT_STREQ(buf, "1\n");
		ASSERT_EQ(cgroup_delete_cgroup(got, 0), 0);
		ASSERT(access(path, F_OK) != 0);
		cgroup_free(&got);
	}
	/* attach and delete (tasks go to the parent) */
	child = cgtest_fork_in("", sleeper, NULL);
	ASSERT(child > 0);
	ASSERT_EQ(cgroup_attach_task_pid(cg, child), 0);
	ASSERT_EQ(cgroup_delete_cgroup(cg, 0), 0);
	snprintf(path, sizeof(path), "%s/grp/kid", named_dir);
	ASSERT(access(path, F_OK) != 0);
	{
		char *cur = NULL;

		ASSERT_EQ(cgroup_get_current_controller_path(child, ctrl, &cur), 0);
		ASSERT_STREQ(cur, "/grp");
		free(cur);
	}
	kill_wait(child);
	cgroup_free(&cg);
	cg = mkcg("grp", ctrls);
	ASSERT_EQ(cgroup_delete_cgroup(cg, 0), 0);
	cgroup_free(&cg);
	cg = mkcg("x", (const char *const[]){ "name=olt-not-mounted", NULL });
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), ECGROUPSUBSYSNOTMOUNTED);
	cgroup_free(&cg);
	/* the parent removes the hierarchy after this child (and its fds) is gone */
	snprintf(named->last, sizeof(named->last), "%s", ctrl);
	return 0;
}

TEST(named_v1_hierarchy_is_gone_after_the_test)
{
	if (!named->last[0])
		SKIP("no named hierarchy was made");
	ASSERT(!named_alive(named->last));
	return 0;
}

/* ======================================================== sample programs */

/* Run a sample program of tests/host/cg-programs; its stdout into out. Exit status or -1. */
static int run_sample(const char *cmdline, char *out, size_t size)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char cmd[4096];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/tests/%s 2>&1", b ? b : ".", cmdline);
	p = popen(cmd, "re");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, (int)(size - n), p))
		n += strlen(out + n);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Programs written against libcgroup's documented API only (they build
 * against Debian's libcgroup too, see tests/meson.build), run as programs:
 * they know nothing of namespaces, so they get paths from the hierarchy's
 * root that lead into the test root.
 */
TEST(sample_programs_run_against_the_library)
{
	char cmd[1024], out[4096], want[2048], buf[64];
	const char *ns;
	pid_t child;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	snprintf(cmd, sizeof(cmd), "%s/tests/cgsample-tree", getenv("OPENLVE_BUILD_ROOT") ?: ".");
	if (access(cmd, X_OK) != 0)
		SKIP("sample programs not built here (OPENLVE_BUILD_ROOT unset?)");
	ns = cgtest_ns("pids");

	snprintf(cmd, sizeof(cmd), "cgsample-set %s/prog pids pids.max 7", ns);
	ASSERT_EQ(run_sample(cmd, out, sizeof(out)), 0);
	ASSERT_STREQ(out, "pids.max=7\n");
	ASSERT_OK(cgtest_read_value("pids", "prog", "pids.max", buf, sizeof(buf)));
	ASSERT_STREQ(buf, "7");

	ASSERT_OK(cgtest_mkdir("pids", "prog/child"));
	snprintf(cmd, sizeof(cmd), "cgsample-tree pids %s/prog", ns);
	ASSERT_EQ(run_sample(cmd, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "pids:%s/prog\npids:%s/prog/child\n", ns, ns);
	ASSERT_STREQ(out, want);

	child = cgtest_fork_in("", sleeper, NULL);
	ASSERT(child > 0);
	snprintf(cmd, sizeof(cmd), "cgsample-classify %s/prog pids %d", ns, (int)child);
	ASSERT_EQ(run_sample(cmd, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/prog\n", ns);
	ASSERT_STREQ(out, want);
	ASSERT(cgtest_pid_in("pids", "prog", child));
	kill_wait(child);

	snprintf(cmd, sizeof(cmd), "cgsample-set %s/prog pids pids.max -", ns);
	ASSERT_EQ(run_sample(cmd, out, sizeof(out)), 0);
	ASSERT(!cgtest_exists("pids", "prog"));

	/* the library's refusals reach the program as libcgroup's texts */
	ASSERT_EQ(run_sample("cgsample-set ../../x pids pids.max 1", out, sizeof(out)), 1);
	ASSERT(strstr(out, "Cgroup invalid operation"));
	ASSERT_EQ(run_sample("cgsample-tree no_such_ctrl /", out, sizeof(out)), 1);
	ASSERT(strstr(out, "Cgroup does not exist") || strstr(out, "not mounted"));
	return 0;
}

/* ======================================================= ownership fixes */

TEST(ignore_ownership_skips_chown_but_sets_modes)
{
	struct cgroup *cg;
	struct stat st;
	char *p;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	cg = mkcg("own", PIDS);
	ASSERT_EQ(cgroup_set_uid_gid(cg, 1001, 1002, 1003, 1004), 0);
	cgroup_set_permissions(cg, 0700, NO_PERMS, NO_PERMS);
	ASSERT_EQ(cgroup_create_cgroup(cg, 1), 0);
	p = cgtest_path("pids", "own", NULL);
	ASSERT_OK(stat(p, &st));
	free(p);
	ASSERT_EQ(st.st_uid, 0);
	ASSERT_EQ(st.st_mode & 0777, 0700);
	p = cgtest_path("pids", "own", cgtest_version("pids") == 1 ? "tasks" : "cgroup.procs");
	ASSERT_OK(stat(p, &st));
	free(p);
	ASSERT_EQ(st.st_uid, 0);
	cgroup_free(&cg);
	return 0;
}

TAP_MAIN()
