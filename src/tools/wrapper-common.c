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
 *
 * What a caller controls is neutralised first (wrap_sanitize): resource
 * limits, blocked and ignored signals. lve_wrapper then drops its real uid
 * for root (wrap_become_root) so the caller cannot kill the wrapper and
 * free the EP slot it holds for the command.
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
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lve-internal.h"
#include "wrapper-common.h"

/* fn's error about the privilege drop, not about exec. */
#define DROP_FAILED 0x100000

static const int fwd_signals[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGQUIT };
static volatile sig_atomic_t fwd_pid;

/* What the caller gave us (wrap_sanitize), handed back to the command. */
static struct {
	bool saved;
	struct rlimit rl[RLIM_NLIMITS];
	bool rl_ok[RLIM_NLIMITS];
	sigset_t mask;
	bool ignored[_NSIG];
} caller;

int wrap_sanitize(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, &caller.mask) < 0)
		return -errno;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < _NSIG; sig++) {
		struct sigaction old;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) < 0)
			continue; /* glibc's reserved real-time signals */
		caller.ignored[sig] = old.sa_handler == SIG_IGN;
		(void)sigaction(sig, &dfl, NULL);
	}
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };

		if (getrlimit(res, &caller.rl[res]) < 0)
			continue;
		caller.rl_ok[res] = true;
		if (res == RLIMIT_CORE)
			continue; /* never raised: no core file of a privileged process */
		if (setrlimit(res, &inf) == 0)
			continue;
		/* RLIMIT_NOFILE cannot be infinite: the kernel's ceiling, else the hard limit */
		if (res == RLIMIT_NOFILE) {
			struct rlimit big = { 1048576, 1048576 };

			if (setrlimit(res, &big) == 0)
				continue;
		}
		inf.rlim_cur = inf.rlim_max = caller.rl[res].rlim_max;
		(void)setrlimit(res, &inf); /* no CAP_SYS_RESOURCE: at least the soft limit up to the hard one */
	}
	/* a file size limit that stayed: writes fail with EFBIG (a clean error), no SIGXFSZ */
	{
		struct rlimit fs;

		if (getrlimit(RLIMIT_FSIZE, &fs) == 0 && fs.rlim_cur != RLIM_INFINITY)
			(void)signal(SIGXFSZ, SIG_IGN);
	}
	caller.saved = true;
	return 0;
}

int wrap_become_root(void)
{
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* In the child: the caller's limits, never above what is in force now (the LVE's VMEM). */
static int child_restore_caller(void)
{
	if (!caller.saved)
		return 0;
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit now, want;

		if (!caller.rl_ok[res] || getrlimit(res, &now) < 0)
			continue;
		want = caller.rl[res];
		if (now.rlim_cur < want.rlim_cur)
			want.rlim_cur = now.rlim_cur;
		if (now.rlim_max < want.rlim_max)
			want.rlim_max = now.rlim_max;
		if (want.rlim_cur > want.rlim_max)
			want.rlim_cur = want.rlim_max;
		if (setrlimit(res, &want) < 0)
			return -errno;
	}
	for (int sig = 1; sig < _NSIG; sig++)
		if (caller.ignored[sig])
			(void)signal(sig, SIG_IGN);
	if (!caller.ignored[SIGXFSZ])
		(void)signal(SIGXFSZ, SIG_DFL); /* ours may be SIG_IGN (wrap_sanitize) */
	return 0;
}

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
	r = child_restore_caller();
	if (r < 0)
		return r;
	if (sigprocmask(SIG_SETMASK, caller.saved ? &caller.mask : ctx->mask, NULL) < 0)
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
