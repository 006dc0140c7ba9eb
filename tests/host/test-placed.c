/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-placed - openlve-placed on the real kernel: processes that take a
 * customer's uid land in LVE <uid> by themselves (setuid, su -c, runuser,
 * a fork storm right after the uid change, processes that existed before
 * the daemon started), root and excluded users are never moved, bad
 * options are refused, and the daemon is clean under valgrind's memcheck.
 *
 * The machine is shared: the daemon is always started with --min-uid and
 * --max-uid around the users this test creates (useradd with uids derived
 * from the test's pid, removed at the end), so it never looks at anyone
 * else's process. The LVE root is the test's private one (lve-testenv.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-testenv.h"
#include "placed-testenv.h"
#include "lve/openlve.h"
#include "macro.h"

#define SETUP()                                                                          \
	LTE_SETUP();                                                                     \
	if (users_make() < 0) {                                                          \
		users_remove();                                                          \
		SKIP("useradd failed");                                                 \
	}

/* The body runs between SETUP and TEARDOWN; TEARDOWN also runs when it fails
 * (the users and the daemon never outlive the test). */
#define PLACED_TEST(name)                                                                \
	static int name##_body(void);                                                    \
	TEST(name)                                                                       \
	{                                                                                \
		int _r;                                                                  \
		REQUIRE_ROOT();                                                          \
		SETUP();                                                                 \
		_r = name##_body();                                                      \
		TEARDOWN();                                                              \
		return _r;                                                               \
	}                                                                                \
	static int name##_body(void)

#define TEARDOWN()                                                                       \
	do {                                                                             \
		placed_stop();                                                           \
		users_remove();                                                          \
	} while (0)

/* A child (in "home") that takes uid `uid`, forks nchildren, and sleeps; its pid. */
struct spawn_arg {
	uid_t uid;
	int nchildren;
	int wfd;
};

static int spawn_body(void *p)
{
	struct spawn_arg *a = p;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(a->uid, a->uid, a->uid) < 0)
		return 1;
	for (int i = 0; i < a->nchildren; i++)
		if (fork() == 0) {
			pause();
			_exit(0);
		}
	(void)!write(a->wfd, "x", 1);
	pause();
	return 0;
}

static pid_t spawn_as(uid_t uid, int nchildren)
{
	struct spawn_arg a = { uid, nchildren, -1 };
	int pfd[2];
	pid_t p;
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	a.wfd = pfd[1];
	p = cgtest_fork_in("home", spawn_body, &a);
	close(pfd[1]);
	if (p < 0 || read(pfd[0], &c, 1) != 1) {
		close(pfd[0]);
		return p < 0 ? p : -EIO;
	}
	close(pfd[0]);
	return p;
}

static void kill_tree(pid_t p)
{
	kill(-p, SIGKILL);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* ------------------------------------------------------------------ tests */

PLACED_TEST(setuid_process_lands_in_its_lve)
{
	pid_t p;

	ASSERT_OK(placed_start(NULL));
	p = spawn_as(users[0].uid, 0);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[0].uid), 1);
	kill_tree(p);
	/* The daemon (root) and this test process (root) were never moved. */
	ASSERT_EQ(lte_pid_inside(placed_pid, 0), 0);
	ASSERT_EQ(lte_pid_inside(getpid(), 0), 0);
	return 0;
}

PLACED_TEST(fork_storm_after_uid_change_all_placed)
{
	char path[64], buf[65536];
	pid_t p;
	int n = 0, inside = 0;

	ASSERT_OK(placed_start(NULL));
	p = spawn_as(users[1].uid, 40);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[1].uid), 1);
	/* Every child forked right after setresuid (maybe before the parent was
	 * moved) is inside as well. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)p, (int)p);
	ASSERT(lte_read(path, buf, sizeof(buf)) >= 0);
	for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		n++;
		inside += wait_inside(atoi(t), users[1].uid);
	}
	fprintf(stderr, "# %d children, %d inside\n", n, inside);
	ASSERT_EQ(n, 40);
	ASSERT_EQ(inside, 40);
	kill_tree(p);
	return 0;
}

PLACED_TEST(processes_running_before_start_are_placed_by_the_rescan)
{
	pid_t p;

	p = spawn_as(users[0].uid, 0);
	ASSERT(p > 0);
	usleep(100000);
	ASSERT_EQ(lte_pid_inside(p, 0), 0);
	ASSERT_OK(placed_start(NULL));
	/* "ready" is printed after the start rescan: already inside. */
	ASSERT(lte_pid_inside(p, users[0].uid) > 0);
	kill_tree(p);
	return 0;
}

/*
 * The system VM's v1 bug (NOTES.md): systemd removed the empty LVEs and the
 * LVE root of one hierarchy behind the running daemon and a login made the
 * root again. The daemon's handle must reach the LVEs as they are now: an
 * LVE it had used and one it never saw.
 */
PLACED_TEST(lve_root_removed_and_made_again_behind_the_daemon)
{
	struct olve *h = NULL;
	char name[16];
	pid_t p;

	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_OK(placed_start(NULL));
	p = spawn_as(users[0].uid, 0);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[0].uid), 1);
	kill_tree(p);
	snprintf(name, sizeof(name), "lve%u", (unsigned)users[0].uid);
	ASSERT_OK(lte_rmdir("pids", name));
	ASSERT_OK(lte_rmdir("pids", NULL));
	ASSERT_OK(olve_open(&h, 0)); /* makes the LVE root again, as a login would */
	olve_close(h);

	p = spawn_as(users[0].uid, 0);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[0].uid), 1);
	kill_tree(p);
	p = spawn_as(users[1].uid, 0);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[1].uid), 1);
	kill_tree(p);
	return 0;
}

PLACED_TEST(excluded_user_and_root_never_moved)
{
	pid_t p, q;

	if (!users_have_names())
		SKIP("no useradd here: --exclude-user needs a user name");
	ASSERT_OK(placed_start(users[2].name));
	p = spawn_as(users[2].uid, 3);
	ASSERT(p > 0);
	/* A root process in the same range of time (and one that execs). */
	q = spawn_as(0, 0);
	ASSERT(q > 0);
	/* A placed user afterwards proves the daemon processed these events. */
	{
		pid_t r = spawn_as(users[0].uid, 0);

		ASSERT(r > 0);
		ASSERT_EQ(wait_inside(r, users[0].uid), 1);
		kill_tree(r);
	}
	ASSERT_EQ(lte_pid_inside(p, 0), 0);
	ASSERT_EQ(lte_pid_inside(q, 0), 0);
	kill_tree(p);
	kill_tree(q);
	return 0;
}

/* su -c and runuser as cron and admins use them: the command lands inside. */
static int su_like(const char *tool)
{
	char buf[32];
	pid_t p;
	int r = 0;

	p = fork();
	if (p == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		setsid();
		if (!strcmp(tool, "su"))
			execlp("su", "su", "-s", "/bin/sh", "-c", "exec sleep 30", users[1].name, (char *)NULL);
		else
			execlp("runuser", "runuser", "-u", users[1].name, "--", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	/* Find the user's sleep below p. */
	for (long long end = now_ms() + WAIT_MS; now_ms() < end && r == 0; usleep(5000)) {
		_cleanup_close_ int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fdopendir(dup(procfd));
		struct dirent *de;

		if (!d)
			break;
		while ((de = readdir(d)) && r == 0) {
			struct stat st;
			char path[300];
			pid_t pid = atoi(de->d_name);

			if (pid <= 0 || fstatat(procfd, de->d_name, &st, 0) < 0 || st.st_uid != users[1].uid)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (lte_read(path, buf, sizeof(buf)) > 0 && !strncmp(buf, "sleep", 5))
				r = wait_inside(pid, users[1].uid) ? 1 : -1;
		}
		closedir(d);
	}
	kill(-p, SIGKILL);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	return r;
}

PLACED_TEST(su_c_and_runuser_land_in_the_lve)
{
	if (!users_have_names() || access("/usr/bin/su", X_OK) < 0 || access("/usr/sbin/runuser", X_OK) < 0)
		SKIP("su/runuser or useradd not installed");
	ASSERT_OK(placed_start(NULL));
	ASSERT_EQ(su_like("su"), 1);
	ASSERT_EQ(su_like("runuser"), 1);
	return 0;
}

/* The daemon under valgrind's memcheck through a start, event placements, a
 * SIGHUP rescan and SIGTERM: no error, no definite or indirect leak. */
PLACED_TEST(valgrind_clean_daemon)
{
	const char *v = NULL, *src = getenv("OPENLVE_SOURCE_ROOT");
	char supp[600], logpath[600];
	static char log[1 << 16];
	int st = -1;
	pid_t p;

	REQUIRE_VALGRIND(v);
	ASSERT(src);
	snprintf(supp, sizeof(supp), "--suppressions=%s/tests/valgrind.supp", src);
	{
		const char *const wrap[] = { v, "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
					     "--error-exitcode=99", supp, NULL };

		placed_wrapper = wrap;
		ASSERT_OK(placed_start(NULL));
		placed_wrapper = NULL;
	}
	p = spawn_as(users[0].uid, 3);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[0].uid), 1);
	kill_tree(p);
	ASSERT_EQ(kill(placed_pid, SIGHUP), 0);
	p = spawn_as(users[1].uid, 0);
	ASSERT(p > 0);
	ASSERT_EQ(wait_inside(p, users[1].uid), 1);
	kill_tree(p);
	ASSERT_EQ(kill(placed_pid, SIGTERM), 0);
	ASSERT_EQ(waitpid(placed_pid, &st, 0), placed_pid);
	placed_pid = 0;
	snprintf(logpath, sizeof(logpath), "%s/placed.log", lte_dir);
	usleep(200000); /* the log drainer writes what valgrind printed last */
	/* valgrind's summary proves it ran (and shows any leak) */
	ASSERT(lte_read(logpath, log, sizeof(log)) > 0);
	fprintf(stderr, "# %s\n", strstr(log, "ERROR SUMMARY") ? strstr(log, "ERROR SUMMARY") : log);
	ASSERT(strstr(log, "ERROR SUMMARY: 0 errors") != NULL);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
	return 0;
}

TEST(bad_options_refused)
{
	_cleanup_free_ char *exe = placed_path();
	static const char *const bad[][4] = {
		{ "--min-uid", "abc", NULL },
		{ "--min-uid", "0", NULL },
		{ "--min-uid", "-5", NULL },
		{ "--rescan-interval", "1x", NULL },
		{ "--exclude-user", "no-such-user-olvp", NULL },
		{ "--exclude-group", "no-such-group-olvp", NULL },
		{ "--min-uid", "2000", "--max-uid", "1000" },
		/* above UID_MAX of /etc/login.defs (60000 on Debian and when it is absent) */
		{ "--min-uid", "70000", NULL },
		{ "extra-arg", NULL },
	};

	ASSERT(exe);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[6] = { exe };
		int k = 1;

		for (int j = 0; j < 4 && bad[i][j]; j++)
			argv[k++] = bad[i][j];
		argv[k] = NULL;
		ASSERT_EQ(run_cmd(argv), 2);
	}
	return 0;
}

TAP_MAIN()
