/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* olve-vm.py self-test (legacy mode): a binary that freezes itself in a v1
 * freezer group, so its limit's SIGKILL cannot end it (a task that cannot
 * die). The group is the VM's own: nothing of the host is touched. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int main(void)
{
	char pid[32];

	printf("1..1\n");
	fflush(stdout);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((mkdir("/sys/fs/cgroup/freezer/olve-selftest", 0755) < 0 && access("/sys/fs/cgroup/freezer/olve-selftest", F_OK) < 0) ||
	    put("/sys/fs/cgroup/freezer/olve-selftest/cgroup.procs", pid) < 0 ||
	    put("/sys/fs/cgroup/freezer/olve-selftest/freezer.state", "FROZEN") < 0) {
		printf("not ok 1 - could not freeze myself\n");
		return 1;
	}
	for (;;)
		pause();
}
