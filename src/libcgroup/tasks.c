/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tasks.c - moving tasks without a struct cgroup of the caller's: by path
 * (cgroup_change_cgroup_path), a whole thread group (cgroup_attach_thread_tid),
 * by cgrules.conf rules (cgroup_change_cgroup_flags & co, matching in
 * rules.c), where a task is (cgroup_get_current_controller_path), and the
 * cgrulesengd "leave this process alone" request.
 *
 * Owns: nothing persistent. Moves go through attach.c (one write per
 * hierarchy, names resolved beneath the namespace roots).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

/* cgrulesengd's socket (libcgroup's CGRULE_CGRED_SOCKET_PATH). */
#define CGRED_SOCKET "/var/run/cgred.socket"
#define CGRED_REPLY "SUCCESS_STORE_PID"

/* Thread group id of a task from /proc/<tid>/status; -errno. */
static int tgid_of(pid_t tid, pid_t *ret)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -1;
	const char *p;
	uint32_t v;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ol_pread_all(fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -EIO;
	p += 6;
	p += strspn(p, " \t");
	{
		char num[16];
		size_t n = strcspn(p, "\n");

		if (n == 0 || n >= sizeof(num))
			return -EIO;
		memcpy(num, p, n);
		num[n] = 0;
		if (ol_parse_u32(num, &v) < 0 || v == 0 || v > INT_MAX)
			return -EIO;
	}
	*ret = (pid_t)v;
	return 0;
}

_public_ int cgroup_attach_thread_tid(struct cgroup *cgrp, pid_t tid)
{
	pid_t tgid;
	int r;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	if (!cgrp || tid <= 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = tgid_of(tid, &tgid);
	if (r < 0)
		return cg_fail_errno(r);
	/* cgroup.procs moves every thread of the group in one write, on v1 and v2 */
	return cgroup_attach_proc_pid(cgrp, tgid);
}

_public_ int cgroup_change_cgroup_path(const char *path, pid_t pid, const char *const controllers[])
{
	struct cgroup *cg;
	int r = 0;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	if (!path || pid <= 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	cg = cgroup_new_cgroup(path);
	if (!cg) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	for (int i = 0; controllers && controllers[i] && r == 0; i++) {
		if (!strcmp(controllers[i], "*"))
			r = cgroup_add_all_controllers(cg);
		else if (!cgroup_get_controller(cg, controllers[i]) &&
			 !cgroup_add_controller(cg, controllers[i]))
			r = ECGINVAL;
	}
	if (r == 0) {
		pid_t tgid;
		int k = tgid_of(pid, &tgid);

		/* libcgroup moves the task and every thread of its process */
		if (k < 0)
			r = cg_fail_errno(k);
		else
			r = cgroup_attach_proc_pid(cg, tgid);
	}
	cgroup_free(&cg);
	return r;
}

/* Does the comma-separated v1 controller list `list` contain `want` ("cpu", "name=x")? */
static bool list_has(const char *list, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");

		if (k == n && !strncmp(p, want, n))
			return true;
		p += k;
		if (*p)
			p++;
	}
	return false;
}

/*
 * Is the /proc/<pid>/cgroup line "id:ctrls:path" the one of the hierarchy
 * asked for? v2: "0::". v1: ctrls lists the controller ("name=X" too);
 * blkio and io name the same controller on either version.
 */
static bool line_matches(const char *id, const char *ctrls, bool want_v2, const char *controller)
{
	if (want_v2)
		return !strcmp(id, "0") && !*ctrls;
	if (list_has(ctrls, controller))
		return true;
	return (!strcmp(controller, "io") && list_has(ctrls, "blkio")) ||
	       (!strcmp(controller, "blkio") && list_has(ctrls, "io"));
}

_public_ int cgroup_get_current_controller_path(pid_t pid, const char *controller,
						char **current_path)
{
	const struct cg_sys *sys = cg_sys_get();
	_cleanup_free_ char *text = NULL;
	struct cg_root root;
	char file[64];
	const char *ns = NULL;
	bool want_v2;
	int r;

	if (!sys)
		return ECGROUPNOTINITIALIZED;
	if (!current_path || pid < 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	if (controller) {
		r = cg_root_lookup(controller, &root);
		if (r)
			return r;
		want_v2 = root.version == CGROUP_V2;
		if (root.ctrl >= 0)
			ns = sys->ns[root.ctrl];
	} else {
		/* libcgroup 3: no controller = the cgroup v2 hierarchy */
		if (sys->unified < 0) {
			cg_fail_errno(-ENOENT);
			return ECGROUPSUBSYSNOTMOUNTED;
		}
		want_v2 = true;
	}
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)(pid ? pid : getpid()));
	{
		_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return errno == ENOENT ? (cg_fail_errno(-ESRCH), ECGROUPNOTEXIST)
					       : cg_fail_errno(-errno);
		r = ol_read_full_fd(fd, 1 << 20, &text, NULL);
		if (r < 0)
			return cg_fail_errno(r);
	}
	for (char *line = text, *next; line && *line; line = next) {
		char *c1, *c2, *path, *out;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = 0;
		path = c2 + 1;
		if (!line_matches(line, c1 + 1, want_v2, controller))
			continue;
		/* relative to the namespace when the task is inside it */
		if (ns && *ns) {
			size_t n = strlen(ns);

			if (path[0] == '/' && !strncmp(path + 1, ns, n) &&
			    (path[1 + n] == 0 || path[1 + n] == '/'))
				path += 1 + n;
			if (!*path)
				path = "/";
		}
		out = strdup(path);
		if (!out)
			return cg_ecg_from_errno(-ENOMEM);
		*current_path = out;
		return 0;
	}
	cg_fail_errno(-ENOENT);
	return ECGROUPNOTEXIST;
}

_public_ int cgroup_register_unchanged_process(pid_t pid, int flags)
{
	const char *path = secure_getenv("OPENLVE_CGRED_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char reply[sizeof(CGRED_REPLY)] = "";
	_cleanup_close_ int sk = -1;
	ssize_t n;

	if (pid <= 0 ||
	    (flags != CGROUP_DAEMON_UNCHANGE_CHILDREN && flags != CGROUP_DAEMON_CANCEL_UNCHANGE_PROCESS)) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	if (!path || !*path)
		path = CGRED_SOCKET;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		cg_fail_errno(-ENAMETOOLONG);
		return ECGINVAL;
	}
	strcpy(addr.sun_path, path);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return cg_fail_errno(-errno);
	if (connect(sk, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 0; /* the daemon does not run: nothing will move the task anyway */
	/* cgrulesengd's protocol: pid, flags (native ints), reply "SUCCESS_STORE_PID\0" */
	if (write(sk, &pid, sizeof(pid)) != (ssize_t)sizeof(pid) ||
	    write(sk, &flags, sizeof(flags)) != (ssize_t)sizeof(flags))
		return cg_fail_errno(-errno);
	n = read(sk, reply, sizeof(reply));
	if (n < 0)
		return cg_fail_errno(-errno);
	if ((size_t)n != sizeof(reply) || memcmp(reply, CGRED_REPLY, sizeof(reply)))
		return cg_fail_errno(-EPROTO);
	return 0;
}

/* ------------------------------------------------------------- by rules */

_public_ int cgroup_change_cgroup_flags(uid_t uid, gid_t gid, const char *procname, pid_t pid,
					int flags)
{
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	if (pid <= 0 || (flags & ~(CGFLAG_USECACHE | CGFLAG_USE_TEMPLATE_CACHE))) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	return cg_rules_apply(uid, gid, procname, pid, flags);
}

_public_ int cgroup_change_cgroup_uid_gid_flags(uid_t uid, gid_t gid, pid_t pid, int flags)
{
	return cgroup_change_cgroup_flags(uid, gid, NULL, pid, flags);
}

_public_ int cgroup_change_cgroup_uid_gid(uid_t uid, gid_t gid, pid_t pid)
{
	return cgroup_change_cgroup_uid_gid_flags(uid, gid, pid, 0);
}

/* Effective uid/gid ("Uid:" and "Gid:" second fields) and name of a process. */
static int proc_identity(int procfd, const char *pid, uid_t *uid, gid_t *gid, char *comm,
			 size_t comm_size)
{
	char buf[4096], path[64];
	_cleanup_close_ int fd = -1;
	unsigned ru, eu, rg, eg;
	const char *p;
	int r;

	snprintf(path, sizeof(path), "%s/status", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ol_pread_all(fd, buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%u %u", &ru, &eu) != 2)
		return -EIO;
	p = strstr(buf, "\nGid:");
	if (!p || sscanf(p + 5, "%u %u", &rg, &eg) != 2)
		return -EIO;
	if (strncmp(buf, "Name:", 5))
		return -EIO;
	p = buf + 5;
	p += strspn(p, " \t");
	snprintf(comm, comm_size, "%.*s", (int)strcspn(p, "\n"), p);
	*uid = eu;
	*gid = eg;
	return 0;
}

_public_ int cgroup_change_all_cgroups(void)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int procfd;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	d = opendir("/proc");
	if (!d)
		return cg_fail_errno(-errno);
	procfd = dirfd(d);
	while ((de = readdir(d))) {
		char comm[64];
		uint32_t pid;
		uid_t uid;
		gid_t gid;

		if (!isdigit((unsigned char)de->d_name[0]) || ol_parse_u32(de->d_name, &pid) < 0 ||
		    pid == 0 || pid > INT_MAX)
			continue;
		if (proc_identity(procfd, de->d_name, &uid, &gid, comm, sizeof(comm)) < 0)
			continue; /* gone, or a kernel thread we cannot read */
		/* per-process failures (kernel threads, exited tasks) do not stop the sweep */
		(void)cg_rules_apply(uid, gid, comm, (pid_t)pid, CGFLAG_USECACHE);
	}
	return 0;
}
