/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbserver.c - throwaway database servers for tests and benchmarks
 * (dbserver.h): the C side of scripts/{pg,mariadb}-test-server.sh.
 */
#include "dbserver.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *script_name(enum olt_db_kind k)
{
	return k == OLT_DB_POSTGRESQL ? "pg-test-server.sh" : "mariadb-test-server.sh";
}

static void script_path(enum olt_db_kind k, char *out, size_t size)
{
	const char *src = getenv("OPENLVE_SOURCE_ROOT");
	char self[PATH_MAX - 64] = "";
	ssize_t n;

	if (src && *src) {
		snprintf(out, size, "%s/scripts/%s", src, script_name(k));
		return;
	}
	/* <source>/<build>/{tests,bench}/<exe> -> <source>/scripts */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		for (int i = 0; i < 3; i++) {
			char *slash = strrchr(self, '/');

			if (slash)
				*slash = 0;
		}
	}
	snprintf(out, size, "%s/scripts/%s", *self ? self : ".", script_name(k));
}

/* sh <script> <cmd> <srv> [arg]; the first line of its stdout into out. Exit code, or -errno. */
static int run(const struct olt_dbserver *s, const char *cmd, const char *arg, char *out, size_t size)
{
	char path[PATH_MAX];
	int pfd[2], st;
	size_t n = 0;
	pid_t pid;

	script_path(s->kind, path, sizeof(path));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/bin/sh", "sh", path, cmd, s->srv, arg, (char *)NULL);
		_exit(126);
	}
	close(pfd[1]);
	for (;;) {
		char buf[512];
		ssize_t k = read(pfd[0], buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && out && n + 1 < size; i++)
			out[n++] = buf[i];
	}
	close(pfd[0]);
	if (out && size) {
		out[n] = 0;
		out[strcspn(out, "\n")] = 0;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int olt_dbserver_start(struct olt_dbserver *s, enum olt_db_kind kind, const char *prefix)
{
	int r;

	*s = (struct olt_dbserver){ .kind = kind };
	snprintf(s->dir, sizeof(s->dir), "/tmp/%.40s-XXXXXX", prefix);
	/* 0755: the server's user (postgres, mysql) must reach srv below it */
	if (!mkdtemp(s->dir) || chmod(s->dir, 0755) < 0) {
		r = -errno;
		snprintf(s->why, sizeof(s->why), "cannot make a temp dir %s: %s", s->dir, strerror(-r));
		s->dir[0] = 0;
		return r;
	}
	snprintf(s->srv, sizeof(s->srv), "%s/srv", s->dir);
	r = run(s, "start", NULL, s->cs, sizeof(s->cs));
	if (r == 77)
		snprintf(s->why, sizeof(s->why), "%s server binaries not installed (apt-get install %s)",
			 kind == OLT_DB_POSTGRESQL ? "PostgreSQL" : "MariaDB",
			 kind == OLT_DB_POSTGRESQL ? "postgresql" : "mariadb-server");
	else if (r != 0 || !strchr(s->cs, '@'))
		snprintf(s->why, sizeof(s->why), "scripts/%s start failed (exit %d); see %s/server.log",
			 script_name(kind), r, s->srv);
	else
		return 0;
	s->cs[0] = 0;
	return r ? r : -EIO;
}

int olt_dbserver_cmd(struct olt_dbserver *s, const char *cmd, const char *arg)
{
	if (!s->dir[0])
		return -ENOENT;
	return run(s, cmd, arg, NULL, 0);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void olt_dbserver_destroy(struct olt_dbserver *s)
{
	if (!s->dir[0])
		return;
	(void)run(s, "stop", s->kind == OLT_DB_POSTGRESQL ? "immediate" : NULL, NULL, 0);
	(void)nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = 0;
	s->cs[0] = 0;
}
