/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgsample-set GROUP CONTROLLER SETTING VALUE - a libcgroup program
 * (cgcreate + cgset + cgget): creates GROUP (a path from the hierarchy's
 * root) with SETTING=VALUE, reads the group back from the kernel and prints
 * "SETTING=<value>"; with VALUE "-" it deletes GROUP instead. Written
 * against libcgroup's documented API only; test-cg-api runs it.
 */
#if __has_include(<lve/libcgroup.h>)
#include <lve/libcgroup.h>
#else
#include <libcgroup.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int ret)
{
	fprintf(stderr, "cgsample-set: %s: %s\n", what, cgroup_strerror(ret));
	return 1;
}

int main(int argc, char **argv)
{
	struct cgroup *cg, *rd;
	struct cgroup_controller *c;
	char *value = NULL;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: cgsample-set GROUP CONTROLLER SETTING VALUE|-\n");
		return 2;
	}
	ret = cgroup_init();
	if (ret)
		return fail("cgroup_init", ret);
	cg = cgroup_new_cgroup(argv[1]);
	if (!cg || !(c = cgroup_add_controller(cg, argv[2])))
		return fail("cgroup_new_cgroup", ECGFAIL);
	if (!strcmp(argv[4], "-")) {
		ret = cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_RECURSIVE);
		cgroup_free(&cg);
		return ret ? fail("cgroup_delete_cgroup_ext", ret) : 0;
	}
	ret = cgroup_add_value_string(c, argv[3], argv[4]);
	if (ret == 0)
		ret = cgroup_create_cgroup(cg, 0);
	cgroup_free(&cg);
	if (ret)
		return fail("cgroup_create_cgroup", ret);

	rd = cgroup_new_cgroup(argv[1]);
	if (!rd || !cgroup_add_controller(rd, argv[2]))
		return fail("cgroup_new_cgroup", ECGFAIL);
	ret = cgroup_get_cgroup(rd);
	if (ret)
		return fail("cgroup_get_cgroup", ret);
	ret = cgroup_get_value_string(cgroup_get_controller(rd, argv[2]), argv[3], &value);
	if (ret)
		return fail("cgroup_get_value_string", ret);
	printf("%s=%s\n", argv[3], value);
	free(value);
	cgroup_free(&rd);
	return 0;
}
