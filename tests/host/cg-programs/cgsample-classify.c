/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgsample-classify GROUP CONTROLLER PID - a libcgroup program
 * (cgclassify-like): moves process PID into GROUP (a path from the
 * hierarchy's root) and prints where the kernel now has it. Written against
 * libcgroup's documented API only; test-cg-api runs it.
 */
#if __has_include(<lve/libcgroup.h>)
#include <lve/libcgroup.h>
#else
#include <libcgroup.h>
#endif
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *controllers[2];
	char *path = NULL;
	pid_t pid;
	int ret;

	if (argc != 4) {
		fprintf(stderr, "usage: cgsample-classify GROUP CONTROLLER PID\n");
		return 2;
	}
	controllers[0] = argv[2];
	controllers[1] = NULL;
	pid = (pid_t)atoi(argv[3]);
	ret = cgroup_init();
	if (ret == 0)
		ret = cgroup_change_cgroup_path(argv[1], pid, controllers);
	if (ret == 0)
		ret = cgroup_get_current_controller_path(pid, argv[2], &path);
	if (ret) {
		fprintf(stderr, "cgsample-classify: %s\n", cgroup_strerror(ret));
		return 1;
	}
	printf("%s\n", path);
	free(path);
	return 0;
}
