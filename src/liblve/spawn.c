/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn.c - start a program inside an LVE (lve_wrapper, lve_suwrapper).
 *
 * The child never runs the caller's code outside the LVE:
 *   - cgroup v2 only (every hierarchy of the handle is v2, i.e. unified
 *     mode) and a single-threaded caller: clone3(CLONE_INTO_CGROUP) with
 *     the LVE directory fd; the kernel creates the child inside the LVE,
 *     no migration (Linux 5.7+).
 *   - otherwise (v1 or hybrid hierarchies, clone3 missing or filtered:
 *     ENOSYS, E2BIG, EINVAL, EPERM, EOPNOTSUPP, EBADF): fork(); the child
 *     writes its own pid to the LVE's cgroup.procs in every hierarchy
 *     (fds opened by the parent before the fork) and only then calls fn.
 * A report pipe (O_CLOEXEC) tells the parent how far the child got: EOF
 * means fn exec'd (or returned >= 0 and the child exited), a record means
 * entering or fn failed; the child is then reaped.
 *
 * EP: unless OLVE_ENTER_NO_MAXENTER, the parent takes an EP slot of the
 * LVE with the protocol of enter.c (an OFD write lock on one slot byte of
 * the state file, through a description of its own) before creating the
 * child, and holds it until olve_spawn_wait() reaped the child. A wrapped
 * command is therefore one entry for its whole lifetime; the processes it
 * creates are not counted (as with any entry). Over the limit: -E2BIG and
 * the EP fault counter grows.
 * The same slot protocol serves olve_ep_slot_hold() (lvectl limit
 * --enter-count, issue 10): a slot held for a process moved by an admin.
 * VMEM: unless OLVE_ENTER_NO_UBC, the child's RLIMIT_AS soft limit is set
 * to the LVE's VMEM limit (never above the hard limit) before fn.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lve-internal.h"
#include "macro.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define SPAWN_FLAGS_ALL                                                                            \
	(OLVE_ENTER_NO_UBC | OLVE_ENTER_NO_NAMESPACE | OLVE_ENTER_NO_MAXENTER | OLVE_ENTER_SILENCE | \
	 OLVE_ENTER_PROCESS)

/* struct clone_args of <linux/sched.h>, version 2 (88 bytes, with cgroup). */
struct olve_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

enum { STAGE_ENTER = 1, STAGE_FN = 2 };

struct report {
	int stage;
	int err; /* positive errno */
};

/* Everything the child needs, prepared by the parent (the child only makes system calls). */
struct child_plan {
	int procfd[OLVE_MAX_HIER]; /* cgroup.procs of the LVE (fork path), -1 */
	int n;
	bool self_move;
	bool vmem;
	struct rlimit as;
	int report_fd;
	int (*fn)(void *);
	void *ud;
};

static void plan_close(struct child_plan *p)
{
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		p->procfd[i] = safe_close(p->procfd[i]);
}

static void child_report(int fd, int stage, int err)
{
	struct report rep = { .stage = stage, .err = err > 0 ? err : EIO };
	ssize_t n;

	do
		n = write(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
}

/* Decimal of a positive pid into buf; returns the length. Async-signal-safe. */
static size_t fmt_pid(pid_t pid, char buf[static 16])
{
	char tmp[16];
	size_t n = 0, len = 0;
	unsigned long v = (unsigned long)pid;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = 0;
	return len;
}

/* In the new child: enter (fork path), limits, fn. Never returns. */
_Noreturn static void child_main(struct child_plan *p)
{
	int r;

	if (p->self_move) {
		char pidbuf[16];
		size_t len = fmt_pid((pid_t)syscall(SYS_getpid), pidbuf);

		for (int i = 0; i < p->n; i++) {
			ssize_t w;

			if (p->procfd[i] < 0)
				continue; /* [i12] not made: lazy cpuset */
			w = write(p->procfd[i], pidbuf, len);
			if (w != (ssize_t)len) {
				child_report(p->report_fd, STAGE_ENTER, w < 0 ? errno : EIO);
				_exit(127);
			}
		}
	}
	if (p->vmem && setrlimit(RLIMIT_AS, &p->as) < 0) {
		child_report(p->report_fd, STAGE_ENTER, errno);
		_exit(127);
	}
	for (int i = 0; i < p->n; i++)
		if (p->procfd[i] >= 0)
			close(p->procfd[i]);
	r = p->fn(p->ud);
	if (r < 0) {
		child_report(p->report_fd, STAGE_FN, -r);
		_exit(127);
	}
	_exit(r & 0xff);
}

/* Take a free EP slot (limit > 0) on a description of our own. The fd, or -E2BIG / -errno. */
static int slot_take(struct olve *h, uint32_t id, const struct olve_lve_fds *lve, uint32_t limit)
{
	_cleanup_close_ int fd = olve_state_open(h, id, false);
	uint32_t s;

	if (fd < 0)
		return fd;
	s = (uint32_t)getpid() % limit;
	for (uint32_t k = 0; k < limit; k++) {
		struct flock fl = {
			.l_type = F_WRLCK,
			.l_whence = SEEK_SET,
			.l_start = (off_t)OLVE_SLOT_BASE + s,
			.l_len = 1,
		};

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return TAKE_FD(fd);
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (++s == limit)
			s = 0;
	}
	(void)olve_state_add_fault(lve->statefd, offsetof(struct olve_state, fault_ep));
	return -E2BIG;
}

static bool clone3_fallback(int err)
{
	return err == ENOSYS || err == E2BIG || err == EINVAL || err == EPERM || err == EOPNOTSUPP ||
	       err == EBADF;
}

static bool lve_vanished(int err)
{
	return err == ENODEV || err == ENOENT;
}

/*
 * One attempt: create the child inside lve. 0 with *pid set (and
 * *report_stage / *report_err when the child reported a failure, the
 * child then reaped), or -errno when no child was created.
 */
static int spawn_once(struct olve *h, const struct olve_lve_fds *lve, struct child_plan *plan,
		      bool try_clone3, pid_t *pid, int *method, struct report *rep)
{
	int pipefd[2];
	pid_t child = -1;
	ssize_t n;
	int r = 0;

	for (int i = 0; i < OLVE_MAX_HIER; i++)
		plan->procfd[i] = -1;
	plan->n = h->n_hier;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	plan->report_fd = pipefd[1];

	if (try_clone3) {
		struct olve_clone_args args = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)lve->dirfd[0],
		};

		plan->self_move = false;
		child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (child == 0)
			child_main(plan);
		if (child > 0)
			*method = OLVE_SPAWN_CLONE3;
		else if (!clone3_fallback(errno)) {
			r = -errno;
			goto out;
		}
	}
	if (child < 0) {
		for (int i = 0; i < h->n_hier; i++) {
			if (lve->dirfd[i] < 0)
				continue; /* [i12] cpuset-only hierarchy, LVE without a CPU mask */
			plan->procfd[i] = openat(lve->dirfd[i], "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (plan->procfd[i] < 0) {
				r = -errno;
				goto out;
			}
		}
		plan->self_move = true;
		child = fork();
		if (child == 0)
			child_main(plan);
		if (child < 0) {
			r = -errno;
			goto out;
		}
		*method = OLVE_SPAWN_FORK;
	}

	safe_close(pipefd[1]);
	pipefd[1] = -1;
	*rep = (struct report){ 0 };
	do
		n = read(pipefd[0], rep, sizeof(*rep));
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		/* A report (or a broken pipe): the child has failed; reap it. */
		if (n != (ssize_t)sizeof(*rep) || rep->stage == 0) {
			rep->stage = STAGE_ENTER;
			rep->err = n < 0 ? errno : EIO;
		}
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	*pid = child;
out:
	safe_close(pipefd[0]);
	safe_close(pipefd[1]);
	plan_close(plan);
	return r;
}

int olve_spawn(struct olve *h, uint32_t id, uint32_t flags, int (*fn)(void *), void *ud,
	       struct olve_spawn *out)
{
	_cleanup_lve_put_ struct olve_lve_fds *lve = NULL;
	struct olve_state st;
	struct child_plan plan = { .fn = fn, .ud = ud };
	_cleanup_close_ int slotfd = -1;
	bool v2_only, try_clone3;
	int r, method = 0;

	if (!h || id == 0 || !fn || !out || (flags & ~(uint32_t)SPAWN_FLAGS_ALL))
		return -EINVAL;
	if (h->n_hier <= 0 || h->n_hier > OLVE_MAX_HIER)
		return -ENODEV;
	if (!olve_privileged())
		return -EPERM;
	v2_only = true;
	for (int i = 0; i < h->n_hier; i++)
		if (h->hier[i].version != 2)
			v2_only = false;
	/* clone3 bypasses glibc's fork handling: only when no other thread can hold a lock. */
	try_clone3 = v2_only && h->n_hier == 1 && __libc_single_threaded;

	for (int attempt = 0;; attempt++) {
		struct report rep = { 0 };
		pid_t pid = -1;

		olve_lve_put(h, TAKE_PTR(lve)); /* a retry's stale entry */
		r = olve_lve_get(h, id, true, &lve);
		if (r < 0)
			return r == -EACCES ? -EPERM : r;
		if (lve->statefd < 0)
			return -EPERM;
		r = olve_state_read(lve->statefd, &st);
		if (r < 0)
			return r;
		if (st.flags & OLVE_F_DISABLED)
			return -EPERM;
		if (slotfd < 0 && st.ep_limit && !(flags & OLVE_ENTER_NO_MAXENTER)) {
			slotfd = slot_take(h, id, lve, st.ep_limit);
			if (slotfd < 0)
				return slotfd;
		}
		plan.vmem = false;
		if (st.vmem_limit && !(flags & OLVE_ENTER_NO_UBC)) {
			if (getrlimit(RLIMIT_AS, &plan.as) < 0)
				return -errno;
			if ((rlim_t)st.vmem_limit < plan.as.rlim_max)
				plan.as.rlim_cur = (rlim_t)st.vmem_limit;
			else
				plan.as.rlim_cur = plan.as.rlim_max;
			plan.vmem = true;
		}

		r = spawn_once(h, lve, &plan, try_clone3, &pid, &method, &rep);
		if (r < 0 && lve_vanished(-r) && attempt == 0) {
			olve_lve_forget(h, id);
			slotfd = safe_close(slotfd); /* retaken on the recreated state file */
			continue;
		}
		if (r < 0)
			return r == -EACCES ? -EPERM : r;
		if (rep.stage == STAGE_ENTER) {
			if (lve_vanished(rep.err) && attempt == 0) {
				olve_lve_forget(h, id);
				slotfd = safe_close(slotfd);
				continue;
			}
			return rep.err == EACCES ? -EPERM : -rep.err;
		}
		out->pid = rep.stage == STAGE_FN ? 0 : pid;
		out->slotfd = rep.stage == STAGE_FN ? -1 : TAKE_FD(slotfd);
		out->method = method;
		out->fn_err = rep.stage == STAGE_FN ? -rep.err : 0;
		return 0;
	}
}

int olve_ep_slot_hold(struct olve *h, uint32_t id, int *fd)
{
	_cleanup_lve_put_ struct olve_lve_fds *lve = NULL;
	struct olve_state st;
	int r;

	if (!h || id == 0 || !fd)
		return -EINVAL;
	if (!olve_privileged())
		return -EPERM;
	r = olve_lve_get(h, id, true, &lve);
	if (r < 0)
		return r == -EACCES ? -EPERM : r;
	if (lve->statefd < 0)
		return -EPERM;
	r = olve_state_read(lve->statefd, &st);
	if (r < 0)
		return r;
	if (st.flags & OLVE_F_DISABLED)
		return -EPERM;
	if (!st.ep_limit) {
		*fd = -1;
		return 0;
	}
	r = slot_take(h, id, lve, st.ep_limit);
	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

int olve_spawn_wait(struct olve_spawn *sp, int *status)
{
	int st = 0;
	pid_t p;

	if (!sp || sp->pid <= 0)
		return -EINVAL;
	do
		p = waitpid(sp->pid, &st, 0);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		return -errno;
	sp->pid = 0;
	sp->slotfd = safe_close(sp->slotfd);
	if (status)
		*status = st;
	return 0;
}
