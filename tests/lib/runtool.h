/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtool.h - run one of the built tools the way a user does and capture
 * what it said: tool_run("lvechart", args) runs
 * $OPENLVE_BUILD_ROOT/src/tools/<tool> with stdout and stderr captured and
 * the exit status (128 + signal when killed). Header only.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct tool_run {
	int code;
	char out[65536];
	char err[4096];
};

static inline void tool_read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char junk[4096];

	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	while (read(fd, junk, sizeof(junk)) > 0) { /* drain: the child never blocks */
	}
}

/* args NULL-terminated, without argv[0]. Returns 0 or -errno (could not run at all). */
static inline int tool_run(struct tool_run *r, const char *tool, const char *const *args)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	const char *argv[64];
	char exe[1024];
	int out[2], err[2], st, k;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/src/tools/%s", root ? root : ".", tool);
	argv[0] = tool;
	for (k = 1; args[k - 1] && k < 63; k++)
		argv[k] = args[k - 1];
	argv[k] = NULL;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	tool_read_all(out[0], r->out, sizeof(r->out));
	tool_read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (r->code == 127)
		fprintf(stderr, "# could not run %s\n", exe);
	return 0;
}
