/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgsample-tree CONTROLLER BASE - a libcgroup program (lscgroup-like): walks
 * the groups below BASE (a path from the hierarchy's root) and prints one
 * "CONTROLLER:/path" line per group, pre-order. Written against libcgroup's
 * documented API only; test-cg-api runs it.
 */
#if __has_include(<lve/libcgroup.h>)
#include <lve/libcgroup.h>
#else
#include <libcgroup.h>
#endif
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct cgroup_file_info info;
	void *handle = NULL;
	char *mount = NULL;
	size_t skip;
	int level, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: cgsample-tree CONTROLLER BASE\n");
		return 2;
	}
	ret = cgroup_init();
	if (ret == 0)
		ret = cgroup_get_subsys_mount_point(argv[1], &mount);
	if (ret) {
		fprintf(stderr, "cgsample-tree: %s\n", cgroup_strerror(ret));
		return 1;
	}
	skip = strlen(mount);
	ret = cgroup_walk_tree_begin(argv[1], argv[2], 0, &handle, &info, &level);
	while (ret == 0) {
		if (info.type == CGROUP_FILE_TYPE_DIR)
			printf("%s:%s\n", argv[1],
			       strlen(info.full_path) > skip ? info.full_path + skip : "/");
		ret = cgroup_walk_tree_next(0, &handle, &info, level);
	}
	cgroup_walk_tree_end(&handle);
	if (ret != ECGEOF) {
		fprintf(stderr, "cgsample-tree: %s\n", cgroup_strerror(ret));
		return 1;
	}
	return 0;
}
