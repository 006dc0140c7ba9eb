/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve_wrapper - run a command inside the caller's own LVE (id = real uid).
 *
 *   lve_wrapper [--] CMD [ARGS...]
 *
 * Installed setuid root (CloudLinux does the same): entering an LVE needs
 * root. The command is created inside the LVE (see liblve's spawn.c), then
 * - still before exec - the child takes the caller's real uid, gid and
 * supplementary groups for good and checks that root cannot come back
 * (saved ids, no capabilities); only then execvp. The environment is
 * passed on unchanged (the command runs as the caller, who controls it
 * anyway); lve_wrapper itself reads no environment variable while
 * privileged (glibc's secure mode ignores OPENLVE_CONF, LD_* and friends).
 * The wrapper stays alive, holding one EP slot of the LVE while the
 * command runs, and exits with its status (wrapper-common.h). Before any
 * privileged work it lifts the resource limits and resets the signals the
 * caller set (wrap_sanitize; the command gets them back), and it takes
 * root as its real and saved uid too (wrap_become_root): the caller
 * cannot signal or kill it, so the EP slot lives as long as the command.
 *
 * Refused: root (uid 0 has no LVE; use lve_suwrapper), and a caller that
 * is already inside another LVE (it could otherwise leave it).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lve/openlve.h"
#include "wrapper-common.h"

static const char *prog = "lve_wrapper";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--] CMD [ARGS...]\n"
		"Run CMD inside your own LVE (LVE id = your uid), as you.\n"
		"\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"Exit status: CMD's; 126 CMD cannot be executed, 127 CMD not found,\n"
		"1 the LVE could not be entered, 2 bad usage.\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct wrap_cred cred = { 0 };
	struct olve *h = NULL;
	uint32_t cur = 0;
	uid_t uid;
	int c, r, ret;

	if (wrap_std_fds() < 0 || wrap_sanitize() < 0)
		return WRAP_EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s (openlve) %s\n", prog, OPENLVE_VERSION);
			return 0;
		default:
			usage(stderr);
			return WRAP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		wrap_err(prog, "no command given");
		usage(stderr);
		return WRAP_EXIT_USAGE;
	}

	uid = getuid();
	if (uid == 0) {
		wrap_err(prog, "root has no LVE; use lve_suwrapper");
		return WRAP_EXIT_FAIL;
	}
	r = wrap_cred_from_caller(&cred);
	if (r < 0) {
		wrap_err(prog, "cannot read the caller's groups: %s", strerror(-r));
		return WRAP_EXIT_FAIL;
	}
	/* as su does: a wrapper the caller cannot kill keeps the EP slot as long as the command runs */
	if (geteuid() == 0 && (r = wrap_become_root()) < 0) {
		wrap_err(prog, "cannot switch to root: %s", strerror(-r));
		wrap_cred_free(&cred);
		return WRAP_EXIT_FAIL;
	}
	r = olve_open(&h, 0);
	if (r < 0) {
		wrap_err(prog, "cannot open openlve: %s%s", strerror(-r),
			 geteuid() != 0 ? " (lve_wrapper must be installed setuid root)" : "");
		wrap_cred_free(&cred);
		return WRAP_EXIT_FAIL;
	}
	r = olve_current(h, &cur);
	if (r < 0) {
		wrap_err(prog, "cannot tell which LVE we are in: %s", strerror(-r));
		ret = WRAP_EXIT_FAIL;
	} else if (cur != 0 && cur != (uint32_t)uid) {
		wrap_err(prog, "already inside LVE %" PRIu32 "; will not move to LVE %u", cur, (unsigned)uid);
		ret = WRAP_EXIT_FAIL;
	} else {
		ret = wrap_run(prog, h, (uint32_t)uid, 0, &cred, argv + optind);
	}
	olve_close(h);
	wrap_cred_free(&cred);
	return ret;
}
