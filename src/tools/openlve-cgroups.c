/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve-cgroups - show the cgroup setup openlve detected on this host:
 * the mode (legacy / hybrid / unified), every cgroup mount point with its
 * version, and for each controller the version it is served by.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lve/libcgroup.h"

static const char *const controllers[] = {
	"cpu", "cpuacct", "cpuset", "memory", "io", "blkio", "pids", "freezer",
	"devices", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc",
};

static const char *mode_name(enum cg_setup_mode_t m)
{
	switch (m) {
	case CGROUP_MODE_LEGACY:
		return "legacy (cgroup v1)";
	case CGROUP_MODE_HYBRID:
		return "hybrid (cgroup v1 controllers, cgroup v2 mounted)";
	case CGROUP_MODE_UNIFIED:
		return "unified (cgroup v2)";
	default:
		return "unknown";
	}
}

static const char *version_name(enum cg_version_t v)
{
	return v == CGROUP_V1 ? "v1" : v == CGROUP_V2 ? "v2" : "-";
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: openlve-cgroups [--json] [--help]\n"
		   "Show the cgroup mode, mount points and controller versions openlve uses.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c, r, first = 1;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "openlve-cgroups: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}

	r = cgroup_init();
	if (r) {
		fprintf(stderr, "openlve-cgroups: cannot detect cgroups: %s (is /sys/fs/cgroup mounted?)\n",
			cgroup_strerror(r));
		return 1;
	}

	enum cg_setup_mode_t mode = cgroup_setup_mode();
	if (json)
		printf("{\"mode\":\"%s\",\"mounts\":[",
		       mode == CGROUP_MODE_LEGACY ? "legacy" : mode == CGROUP_MODE_HYBRID ? "hybrid"
						     : mode == CGROUP_MODE_UNIFIED ? "unified" : "unknown");
	else
		printf("mode: %s\nmounts:\n", mode_name(mode));

	for (enum cg_version_t v = CGROUP_V1; v <= CGROUP_V2; v++) {
		char **paths = NULL;

		if (cgroup_list_mount_points(v, &paths) != 0 || !paths)
			continue;
		for (char **p = paths; *p; p++) {
			if (json)
				printf("%s{\"path\":\"%s\",\"version\":\"%s\"}", first ? "" : ",", *p,
				       version_name(v));
			else
				printf("  %-32s %s\n", *p, version_name(v));
			first = 0;
			free(*p);
		}
		free(paths);
	}

	if (json)
		printf("],\"controllers\":{");
	else
		printf("controllers:\n");
	first = 1;
	for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
		enum cg_version_t v = CGROUP_UNK;
		char *mnt = NULL;

		if (cgroup_get_controller_version(controllers[i], &v) != 0)
			v = CGROUP_UNK;
		if (v == CGROUP_UNK)
			continue;
		(void)cgroup_get_subsys_mount_point(controllers[i], &mnt);
		if (json)
			printf("%s\"%s\":{\"version\":\"%s\",\"mount\":\"%s\"}", first ? "" : ",",
			       controllers[i], version_name(v), mnt ? mnt : "");
		else
			printf("  %-10s %s  %s\n", controllers[i], version_name(v), mnt ? mnt : "");
		first = 0;
		free(mnt);
	}
	if (json)
		printf("}}\n");
	return 0;
}
