/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tap.h"

#include <ftw.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The child writes its skip reason here so the parent can print it. */
static char *shared_reason;

static const struct tap_hooks *hooks[TAP_MAX_HOOKS];
static int n_hooks;
static pid_t parent_pid;
static volatile pid_t running_child;
static volatile sig_atomic_t after_all_done;

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* One temp base dir per test binary, made by the parent before the tests
 * (children _exit, so they cannot clean up) and removed after all. */
static char tmp_base[64];

static int tmp_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int tap_mktemp(char *buf, size_t size)
{
	int n;

	if (!tmp_base[0])
		return -ENOENT;
	n = snprintf(buf, size, "%s/XXXXXX", tmp_base);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

int tap_register_hooks(const struct tap_hooks *h)
{
	if (n_hooks >= TAP_MAX_HOOKS)
		return -ENOSPC;
	hooks[n_hooks++] = h;
	return 0;
}

static void run_after_each(void)
{
	for (int i = n_hooks - 1; i >= 0; i--)
		if (hooks[i]->after_each)
			hooks[i]->after_each();
}

static void run_after_all(void)
{
	if (after_all_done)
		return;
	after_all_done = 1;
	if (tmp_base[0] && getpid() == parent_pid)
		nftw(tmp_base, tmp_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = n_hooks - 1; i >= 0; i--)
		if (hooks[i]->after_all)
			hooks[i]->after_all();
}

static void reset_signals(void)
{
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		signal(term_signals[i], SIG_DFL);
}

/*
 * Parent only: stop the running test, clean up, then die of the same
 * signal. A process forked by a test inherits this handler until it
 * execs; there it just takes the default action.
 */
static void on_term_signal(int sig)
{
	if (getpid() == parent_pid) {
		pid_t c = running_child;

		if (c > 0) {
			kill(c, SIGKILL);
			while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
				;
			running_child = 0;
		}
		run_after_all();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_term_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaddset(&sa.sa_mask, term_signals[i]);
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaction(term_signals[i], &sa, NULL);
}

int tap_main(int argc, char **argv)
{
	const char *filter = getenv("TAP_FILTER");
	int failed = 0, n = 0, setup_rc = 0;

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IONBF, 0);
	parent_pid = getpid();
	shared_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_reason == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	snprintf(tmp_base, sizeof(tmp_base), "/tmp/olt-tap-XXXXXX");
	if (!mkdtemp(tmp_base))
		tmp_base[0] = 0;
	install_signals();

	for (int i = 0; i < tap_n_tests; i++)
		if (!filter || strstr(tap_tests[i].name, filter))
			n++;
	printf("TAP version 13\n1..%d\n", n);

	for (int i = 0; i < n_hooks && setup_rc == 0; i++)
		if (hooks[i]->before_all)
			setup_rc = hooks[i]->before_all();
	if (setup_rc)
		printf("# per-binary setup failed (%d): every test fails\n", setup_rc);

	n = 0;
	for (int i = 0; i < tap_n_tests; i++) {
		struct tap_test *t = &tap_tests[i];
		int status = 1 << 8, rc; /* "exit 1" if waitpid fails */
		pid_t pid;

		if (filter && !strstr(t->name, filter))
			continue;
		n++;
		if (setup_rc) {
			printf("not ok %d - %s # setup failed\n", n, t->name);
			failed++;
			continue;
		}
		shared_reason[0] = 0;
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			printf("not ok %d - %s # fork: %s\n", n, t->name, strerror(errno));
			failed++;
			continue;
		}
		if (pid == 0) {
			reset_signals();
			for (int h = 0; h < n_hooks; h++)
				if (hooks[h]->child_init)
					hooks[h]->child_init();
			rc = t->fn();
			if (rc == 77) {
				strncpy(shared_reason, tap_skip_reason, 4095);
				shared_reason[4095] = 0;
			}
			fflush(NULL);
			_exit(rc == 0 ? 0 : rc == 77 ? 77 : 1);
		}
		running_child = pid;
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				break;
		running_child = 0;
		run_after_each();
		if (WIFSIGNALED(status)) {
			printf("not ok %d - %s # killed by signal %d (%s)\n", n, t->name, WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
			failed++;
		} else if (WEXITSTATUS(status) == 0) {
			printf("ok %d - %s\n", n, t->name);
		} else if (WEXITSTATUS(status) == 77) {
			printf("ok %d - %s # SKIP %s\n", n, t->name, shared_reason);
		} else {
			printf("not ok %d - %s\n", n, t->name);
			failed++;
		}
	}
	run_after_all();
	return failed ? 1 : 0;
}
