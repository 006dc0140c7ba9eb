/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* olve-vm.py self-test: a binary that keeps the guest silent for 60 s (what a
 * hung guest looks like from the host when OPENLVE_VM_STALL is shorter). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("1..1\n");
	fflush(stdout);
	sleep(60);
	printf("ok 1 - slept\n");
	return 0;
}
