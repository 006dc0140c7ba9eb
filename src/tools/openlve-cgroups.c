/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve-cgroups - show the cgroup setup openlve detected on this host:
 * the mode (legacy / hybrid / unified), every cgroup mount point with its
 * version, and for each controller the version it is served by.
 * "openlve-cgroups scope": a systemd scope created through libcgroup's
 * cgroup_create_scope / cgroup_create_scope2 (issue 13; libcgroup 3.x's
 * cgcreate -c), the default scope file and cgroup_set_default_systemd_cgroup.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
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
		   "       openlve-cgroups scope [options] SLICE/SCOPE   (see openlve-cgroups scope --help)\n"
		   "Show the cgroup mode, mount points and controller versions openlve uses.\n");
}

/* ------------------------------------------------ scope (issue 13) */

static void scope_usage(FILE *f)
{
	fprintf(f, "Usage: openlve-cgroups scope [options] SLICE/SCOPE\n"
		   "Create the systemd scope SCOPE in SLICE through libcgroup (systemd's D-Bus API).\n"
		   "  -g, --controller C      also create the scope's group for controller C (repeatable;\n"
		   "                          cgroup_create_scope2), with settings given by -r\n"
		   "  -r, --set NAME=VALUE    a setting of the group (with -g)\n"
		   "  -p, --pid PID           put PID in the scope (default: a placeholder process that\n"
		   "                          keeps the scope alive until the scope is stopped)\n"
		   "      --no-delegate       do not delegate the scope's subtree to its processes\n"
		   "      --mode MODE         job mode: fail (default), replace, isolate,\n"
		   "                          ignore-dependencies, ignore-requirements\n"
		   "  -d, --set-default       make SLICE/SCOPE the default systemd cgroup (the file\n"
		   "                          libcgroup reads) and apply it\n"
		   "  -c, --child NAME        then create group NAME (relative to the default when -d)\n"
		   "                          for the controllers of -g (none: an empty cgroup v2 group)\n");
}

static int scope_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "controller", required_argument, NULL, 'g' },
		{ "set", required_argument, NULL, 'r' },
		{ "pid", required_argument, NULL, 'p' },
		{ "no-delegate", no_argument, NULL, 'D' },
		{ "mode", required_argument, NULL, 'm' },
		{ "set-default", no_argument, NULL, 'd' },
		{ "child", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const modes[] = { "fail", "replace", "isolate", "ignore-dependencies",
					     "ignore-requirements" };
	struct cgroup_systemd_scope_opts so;
	const char *ctrls[16], *sets[16], *child = NULL;
	char slice[FILENAME_MAX];
	const char *name, *scope;
	int nctrl = 0, nset = 0, setdef = 0, c, r;
	struct cgroup *cg = NULL;

	if (cgroup_set_default_scope_opts(&so) != 0)
		return 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "g:r:p:dc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
		case 'r':
			if ((c == 'g' ? nctrl : nset) >= 16) {
				fprintf(stderr, "openlve-cgroups scope: at most 16 -%c options\n", c);
				return 2;
			}
			if (c == 'g')
				ctrls[nctrl++] = optarg;
			else if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "openlve-cgroups scope: -r wants NAME=VALUE, not '%s'\n", optarg);
				return 2;
			} else
				sets[nset++] = optarg;
			break;
		case 'p': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v <= 0 || v > INT32_MAX) {
				fprintf(stderr, "openlve-cgroups scope: --pid wants a process id, not '%s'\n", optarg);
				return 2;
			}
			so.pid = (pid_t)v;
			break;
		}
		case 'D':
			so.delegated = 0;
			break;
		case 'm': {
			size_t k;

			for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
				if (!strcmp(optarg, modes[k]))
					break;
			if (k == sizeof(modes) / sizeof(modes[0])) {
				fprintf(stderr, "openlve-cgroups scope: unknown --mode '%s' (see --help)\n", optarg);
				return 2;
			}
			so.mode = (enum cgroup_systemd_mode_t)k;
			break;
		}
		case 'd':
			setdef = 1;
			break;
		case 'c':
			child = optarg;
			break;
		case 'h':
			scope_usage(stdout);
			return 0;
		default:
			scope_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "openlve-cgroups scope: give one SLICE/SCOPE (see --help)\n");
		return 2;
	}
	name = argv[optind];
	scope = strchr(name, '/');
	if (!scope || strchr(scope + 1, '/') || (size_t)(scope - name) >= sizeof(slice) || (nset && !nctrl)) {
		fprintf(stderr, "openlve-cgroups scope: want SLICE/SCOPE (e.g. user.slice/x.scope); -r needs -g\n");
		return 2;
	}
	memcpy(slice, name, (size_t)(scope - name));
	slice[scope - name] = 0;
	scope++;
	if (!cgroup_is_systemd_enabled()) {
		fprintf(stderr, "openlve-cgroups scope: this libopenlve-cgroup has no systemd support\n");
		return 1;
	}
	r = cgroup_init();
	if (r) {
		fprintf(stderr, "openlve-cgroups scope: cannot detect cgroups: %s\n", cgroup_strerror(r));
		return 1;
	}
	if (nctrl) {
		cg = cgroup_new_cgroup(name);
		for (int i = 0; cg && i < nctrl; i++) {
			struct cgroup_controller *cc = cgroup_add_controller(cg, ctrls[i]);

			for (int k = 0; cc && k < nset; k++) {
				char key[256];
				const char *eq = strchr(sets[k], '=');

				snprintf(key, sizeof(key), "%.*s", (int)(eq - sets[k]), sets[k]);
				/* a setting goes to the controller its name starts with */
				if (!strncmp(key, ctrls[i], strlen(ctrls[i])) && key[strlen(ctrls[i])] == '.' &&
				    cgroup_add_value_string(cc, key, eq + 1) != 0)
					cc = NULL;
			}
			if (!cc) {
				fprintf(stderr, "openlve-cgroups scope: bad controller or setting for '%s'\n", ctrls[i]);
				cgroup_free(&cg);
				return 2;
			}
		}
		if (!cg) {
			fprintf(stderr, "openlve-cgroups scope: out of memory\n");
			return 1;
		}
		r = cgroup_create_scope2(cg, 0, &so);
	} else {
		r = cgroup_create_scope(scope, slice, &so);
	}
	if (r) {
		/* ENOENT/ECONNREFUSED: no system bus socket (sd_bus_open_system) */
		int e = cgroup_get_last_errno();

		fprintf(stderr, "openlve-cgroups scope: cannot create %s: %s%s\n", name, cgroup_strerror(r),
			e == ENOENT || e == ECONNREFUSED ? " (no D-Bus system bus: is dbus installed and running?)" : "");
		cgroup_free(&cg);
		return 1;
	}
	printf("created %s\n", name);
	if (setdef) {
		r = cgroup_write_systemd_default_cgroup(slice, scope);
		if (r || cgroup_set_default_systemd_cgroup() != 1) {
			fprintf(stderr, "openlve-cgroups scope: cannot make %s the default: %s\n", name,
				r ? cgroup_strerror(r) : "not applied");
			cgroup_free(&cg);
			return 1;
		}
		printf("default %s\n", name);
	}
	if (child) {
		struct cgroup *k = cgroup_new_cgroup(child);

		for (int i = 0; k && i < nctrl; i++)
			if (!cgroup_add_controller(k, ctrls[i]))
				cgroup_free(&k);
		r = k ? cgroup_create_cgroup(k, 0) : ECGINVAL;
		cgroup_free(&k);
		if (r) {
			fprintf(stderr, "openlve-cgroups scope: cannot create group %s: %s\n", child, cgroup_strerror(r));
			cgroup_free(&cg);
			return 1;
		}
		printf("created group %s\n", child);
	}
	cgroup_free(&cg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c, r, first = 1;

	if (argc > 1 && !strcmp(argv[1], "scope"))
		return scope_main(argc - 1, argv + 1);
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
