/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* olve-vm.py self-test: a binary that sends SIGUSR1 to its process group, as
 * Apache's graceful restart does (init is in that group in the VM), then
 * finishes normally: it must pass, not be taken for a stuck binary. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	signal(SIGUSR1, SIG_IGN);
	printf("1..1\n");
	fflush(stdout);
	for (int i = 0; i < 3; i++) {
		kill(0, SIGUSR1);
		sleep(1);
	}
	printf("ok 1 - signalled my group and ended\n");
	return 0;
}
