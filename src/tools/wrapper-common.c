/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wrapper-common.c - see wrapper-common.h.
 *
 * Signals while the command runs: SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2
 * sent to the wrapper are passed on to the command; SIGINT and SIGQUIT
 * too when someone sent them to the wrapper (kill), but not when the
 * terminal generated them (si_code SI_KERNEL): the terminal signals the
 * whole foreground process group, the command included, and the wrapper
 * stays alive to report its status. The signals are blocked from before
 * the child exists until the handlers are in place; the child gets the
 * caller's mask and dispositions back before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lve-internal.h"
#include "wrapper-common.h"

/* fn's error about the privilege drop, not about exec. */
#define DROP_FAILED 0x100000

static const int fwd_signals[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGQUIT };
static volatile sig_atomic_t fwd_pid;

struct child_ctx {
	char *const *argv;
	const struct wrap_cred *cred;
	const sigset_t *mask;
};

int wrap_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* Deliberately without O_CLOEXEC: it stands in for a standard fd. */
		n = open("/dev/null", O_RDWR | O_NOCTTY);
		if (n < 0)
			return -errno;
		if (n != fd) {
			close(n);
			return -EBADF;
		}
	}
	return 0;
}

int wrap_cred_from_caller(struct wrap_cred *cred)
{
	gid_t *groups = NULL;
	int n;

	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	if (n > 0) {
		groups = calloc((size_t)n, sizeof(gid_t));
		if (!groups)
			return -ENOMEM;
		n = getgroups(n, groups);
		if (n < 0) {
			free(groups);
			return -errno;
		}
	}
	cred->drop = true;
	cred->uid = getuid();
	cred->gid = getgid();
	cred->ngroups = n;
	cred->groups = groups;
	return 0;
}

void wrap_cred_free(struct wrap_cred *cred)
{
	free(cred->groups);
	cred->groups = NULL;
	cred->ngroups = 0;
}

void wrap_err(const char *prog, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", prog);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", buf);
}

/* In the child: become cred for good and check that there is no way back. -errno. */
static int child_drop(const struct wrap_cred *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups((size_t)c->ngroups, c->groups) < 0)
		return -errno;
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		return -errno;
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != c->uid || eu != c->uid || su != c->uid || rg != c->gid || eg != c->gid || sg != c->gid)
		return -EPERM;
	if (c->uid != 0) {
		/* Root must be gone: regaining it has to fail, and no capability may remain. */
		if (setresuid((uid_t)-1, 0, (uid_t)-1) == 0 || setresgid((gid_t)-1, 0, (gid_t)-1) == 0)
			return -EPERM;
		if (syscall(SYS_capget, &hdr, data) < 0)
			return -errno;
		for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
			if (data[i].effective || data[i].permitted)
				return -EPERM;
	}
	return 0;
}

/* Runs in the child, inside the LVE: async-signal-safe calls only. */
static int child_exec(void *ud)
{
	const struct child_ctx *ctx = ud;
	int r;

	/* The dispositions are the caller's (ours are installed after the spawn). */
	if (sigprocmask(SIG_SETMASK, ctx->mask, NULL) < 0)
		return -errno;
	if (ctx->cred && ctx->cred->drop) {
		r = child_drop(ctx->cred);
		if (r < 0)
			return -(DROP_FAILED | -r);
	}
	execvp(ctx->argv[0], ctx->argv);
	return -errno;
}

static void forward(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	pid_t pid = (pid_t)fwd_pid;

	(void)uc;
	/* The terminal signalled the whole process group (the command too). */
	if ((sig == SIGINT || sig == SIGQUIT) && si && si->si_code == SI_KERNEL) {
		errno = saved;
		return;
	}
	if (pid > 0)
		kill(pid, sig);
	errno = saved;
}

static void report_enter_error(const char *prog, struct olve *h, uint32_t id, int r)
{
	uint32_t fl = 0;

	switch (r) {
	case -E2BIG:
		wrap_err(prog, "cannot enter LVE %" PRIu32 ": too many entry processes (EP limit reached)", id);
		return;
	case -EPERM:
		if (olve_get_flags(h, id, &fl) == 0 && (fl & OLVE_F_DISABLED)) {
			wrap_err(prog, "cannot enter LVE %" PRIu32 ": the LVE is disabled", id);
			return;
		}
		if (geteuid() != 0) {
			wrap_err(prog, "cannot enter LVE %" PRIu32 ": %s (%s must be installed setuid root)",
				 id, strerror(-r), prog);
			return;
		}
		break;
	default:
		break;
	}
	wrap_err(prog, "cannot enter LVE %" PRIu32 ": %s", id, strerror(-r));
}

int wrap_run(const char *prog, struct olve *h, uint32_t id, uint32_t flags, const struct wrap_cred *cred,
	     char *const argv[])
{
	struct olve_spawn sp = { .pid = 0, .slotfd = -1 };
	struct child_ctx ctx = { .argv = argv, .cred = cred };
	struct sigaction sa = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigset_t block, old;
	int r, status = 0;

	sigemptyset(&block);
	for (size_t i = 0; i < ELEMENTSOF(fwd_signals); i++)
		sigaddset(&block, fwd_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0) {
		wrap_err(prog, "sigprocmask: %s", strerror(errno));
		return WRAP_EXIT_FAIL;
	}
	ctx.mask = &old;

	r = olve_spawn(h, id, flags, child_exec, &ctx, &sp);
	if (r < 0 || sp.fn_err < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (r < 0) {
			report_enter_error(prog, h, id, r);
			return WRAP_EXIT_FAIL;
		}
		r = -sp.fn_err;
		if (r & DROP_FAILED) {
			wrap_err(prog, "cannot drop privileges to uid %u: %s", cred ? (unsigned)cred->uid : 0u,
				 strerror(r & ~DROP_FAILED));
			return WRAP_EXIT_FAIL;
		}
		if (r == ENOENT) {
			wrap_err(prog, "%s: command not found", argv[0]);
			return WRAP_EXIT_NOTFOUND;
		}
		wrap_err(prog, "%s: %s", argv[0], strerror(r));
		return WRAP_EXIT_NOEXEC;
	}

	fwd_pid = sp.pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(fwd_signals); i++)
		sigaction(fwd_signals[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	r = olve_spawn_wait(&sp, &status);
	fwd_pid = 0;
	if (r < 0) {
		wrap_err(prog, "waiting for %s: %s", argv[0], strerror(-r));
		return WRAP_EXIT_FAIL;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WRAP_EXIT_FAIL;
}
