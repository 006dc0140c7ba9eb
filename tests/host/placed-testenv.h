/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placed-testenv.h - helpers shared by test-placed and test-apache: test
 * users (useradd with uids derived from the test's pid, removed at the
 * end), openlve-placed started for exactly those uids (the machine is
 * shared: the daemon never looks at anyone else's process), waiting for a
 * process to be inside an LVE. Include after lve-testenv.h.
 */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "macro.h"

#define WAIT_MS 10000

struct tuser {
	char name[32];
	uid_t uid;
	bool made;
};

static struct tuser users[3];
static pid_t placed_pid;
/* A program and its options the daemon runs under (valgrind), or NULL. */
static const char *const *placed_wrapper;

static inline int run_cmd(const char *const argv[])
{
	pid_t p = fork();
	int st;

	if (p < 0)
		return -errno;
	if (p == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 256;
}

/* Kill every process of a uid this test created (the uid is unique to the
 * test: nothing else runs as it), so that userdel can remove the user. */
static inline void kill_uid(uid_t uid)
{
	for (int round = 0; round < 50; round++) {
		DIR *d = opendir("/proc");
		int found = 0;

		if (!d)
			return;
		for (struct dirent *de; (de = readdir(d));) {
			struct stat st;
			pid_t pid = atoi(de->d_name);

			if (pid > 0 && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && st.st_uid == uid) {
				kill(pid, SIGKILL);
				found++;
			}
		}
		closedir(d);
		/* Orphans of the test may be our zombies (subreaper): reap them. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!found)
			return;
		usleep(20000);
	}
}

static inline void users_remove(void)
{
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (users[i].made) {
			kill_uid(users[i].uid);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			(void)run_cmd((const char *const[]){ "userdel", users[i].name, NULL });
			users[i].made = false;
		}
}

/*
 * Three users with consecutive uids unique to this test process. Without
 * useradd (the test VM's busybox root) the uids are used without passwd
 * entries (name ""; users_have_names() is false) and only the tests that
 * need a name (su, runuser, --exclude-user, PHP-FPM pools) skip.
 */
static bool users_named;

static inline bool users_have_names(void)
{
	return users_named;
}

static inline int users_make(void)
{
	uid_t base = 2000000000u + (uid_t)(getpid() % 100000) * 8u;

	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		char uidstr[16];

		snprintf(users[i].name, sizeof(users[i].name), "olvp%d%c", (int)getpid(), (char)('a' + i));
		users[i].uid = base + (uid_t)i;
		snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)users[i].uid);
		if (run_cmd((const char *const[]){ "useradd", "-M", "-N", "-g", "nogroup", "-d", "/nonexistent", "-s",
						 "/bin/sh", "-u", uidstr, users[i].name, NULL }) != 0) {
			if (i == 0 && access("/usr/sbin/useradd", X_OK) < 0) {
				for (size_t j = 0; j < sizeof(users) / sizeof(users[0]); j++) {
					users[j].name[0] = 0;
					users[j].uid = base + (uid_t)j;
				}
				users_named = false;
				return 0;
			}
			return -EEXIST;
		}
		users[i].made = true;
	}
	users_named = true;
	return 0;
}

static inline void placed_stop(void)
{
	if (placed_pid > 0) {
		kill(placed_pid, SIGTERM);
		waitpid(placed_pid, NULL, 0);
		placed_pid = 0;
	}
}

static char *placed_path(void)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char *p = NULL;

	if (!b || asprintf(&p, "%s/src/placed/openlve-placed", b) < 0)
		return NULL;
	return p;
}

/* Start the daemon for our users with more options (NULL-terminated, may be NULL), wait for "ready". */
static inline int placed_start_v(const char *const *extra)
{
	_cleanup_free_ char *exe = placed_path();
	char logpath[512], minuid[16], maxuid[16], buf[4096];
	int pfd[2];

	if (!exe)
		return -ENOENT;
	snprintf(logpath, sizeof(logpath), "%s/placed.log", lte_dir);
	snprintf(minuid, sizeof(minuid), "%u", (unsigned)users[0].uid);
	snprintf(maxuid, sizeof(maxuid), "%u", (unsigned)users[2].uid);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	placed_pid = fork();
	if (placed_pid < 0)
		return -errno;
	if (placed_pid == 0) {
		const char *argv[40];
		int n = 0;

		dup2(pfd[1], 2);
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlives the test */
		for (const char *const *w = placed_wrapper; w && *w && n < 16; w++)
			argv[n++] = *w;
		argv[n++] = exe;
		argv[n++] = "--min-uid";
		argv[n++] = minuid;
		argv[n++] = "--max-uid";
		argv[n++] = maxuid;
		argv[n++] = "--rescan-interval";
		argv[n++] = "0";
		argv[n++] = "--verbose";
		for (; extra && *extra && n < 38; extra++)
			argv[n++] = *extra;
		argv[n] = NULL;
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	/* Read until "ready"; then hand the pipe to a drainer child writing the log. */
	{
		size_t len = 0;
		ssize_t n;

		while ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
			len += (size_t)n;
			buf[len] = 0;
			if (strstr(buf, "ready:"))
				break;
		}
		if (!strstr(buf, "ready:")) {
			close(pfd[0]);
			fprintf(stderr, "# placed did not start: %s\n", buf);
			return -EIO;
		}
	}
	if (fork() == 0) {
		int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		ssize_t n;

		while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
			if (log >= 0)
				(void)!write(log, buf, (size_t)n);
		_exit(0);
	}
	close(pfd[0]);
	return 0;
}

/* Start the daemon for our users (extra: a user to exclude, may be NULL), wait for "ready". */
static inline int placed_start(const char *extra)
{
	const char *const args[] = { "--exclude-user", extra, NULL };

	return placed_start_v(extra ? args : NULL);
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait until pid is inside LVE id (1) or the timeout (0). */
static inline int wait_inside(pid_t pid, unsigned id)
{
	for (long long end = now_ms() + WAIT_MS; now_ms() < end; usleep(2000))
		if (lte_pid_inside(pid, id) > 0)
			return 1;
	return 0;
}

