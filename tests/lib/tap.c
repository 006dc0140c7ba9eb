/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tap.h"

#include <signal.h>
#include <sys/mman.h>

/* The child writes its skip reason here so the parent can print it. */
static char *shared_reason;

int tap_main(int argc, char **argv)
{
	const char *filter = getenv("TAP_FILTER");
	int failed = 0, n = 0;

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IONBF, 0);
	shared_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_reason == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	for (int i = 0; i < tap_n_tests; i++)
		if (!filter || strstr(tap_tests[i].name, filter))
			n++;
	printf("TAP version 13\n1..%d\n", n);

	n = 0;
	for (int i = 0; i < tap_n_tests; i++) {
		struct tap_test *t = &tap_tests[i];
		int status, rc;
		pid_t pid;

		if (filter && !strstr(t->name, filter))
			continue;
		n++;
		shared_reason[0] = 0;
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			printf("not ok %d - %s # fork: %s\n", n, t->name, strerror(errno));
			failed++;
			continue;
		}
		if (pid == 0) {
			rc = t->fn();
			if (rc == 77) {
				strncpy(shared_reason, tap_skip_reason, 4095);
				shared_reason[4095] = 0;
			}
			fflush(NULL);
			_exit(rc == 0 ? 0 : rc == 77 ? 77 : 1);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				break;
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
	return failed ? 1 : 0;
}
