/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve_suwrapper - run a command inside LVE LVE_ID.
 *
 *   lve_suwrapper [-f|-n] [--no-maxenter] [--] LVE_ID CMD [ARGS...]
 *
 * As CloudLinux documents it: root, or a member of the group "lve", may use
 * it. Root's CMD keeps root's credentials and environment. A member of
 * group lve needs the wrapper installed setuid root (it is); its CMD runs
 * with the caller's own uid, gid and groups (dropped for good before exec,
 * as lve_wrapper does), so the group grants "choose the LVE", never root.
 * Such a caller already inside another LVE may not move. Anyone else is
 * refused before anything is done.
 * -f (force namespace) and -n (without namespace): CloudLinux's switches
 * about its per-LVE mount namespace; openlve has none, so both are accepted
 * and change nothing (CMD always sees the normal file system).
 * LVE_ID is decimal, 1..4294967295, without sign, blanks or leading zeros.
 * The LVE is created with the default limits if needed. The wrapper holds
 * one EP slot of the LVE while CMD runs (--no-maxenter: it does not, like
 * CloudLinux's LVE_NO_MAXENTER). Exit status: wrapper-common.h.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lve/openlve.h"
#include "wrapper-common.h"

static const char *prog = "lve_suwrapper";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-f|-n] [--no-maxenter] [--] LVE_ID CMD [ARGS...]\n"
		"Run CMD inside LVE LVE_ID (1..4294967295), creating it if needed. Root's CMD\n"
		"runs as root; a member of group lve's CMD runs as that user.\n"
		"\n"
		"  -f             force namespace (accepted: openlve has no per-LVE namespace)\n"
		"  -n             without namespace (accepted: openlve has no per-LVE namespace)\n"
		"  --no-maxenter  do not count CMD against the LVE's entry process (EP) limit\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"Exit status: CMD's; 126 CMD cannot be executed, 127 CMD not found,\n"
		"1 the LVE could not be entered, 2 bad usage.\n",
		prog);
}

/* Strict LVE id: decimal digits only, no leading zero, 1..UINT32_MAX. 0 or -EINVAL. */
static int parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || s[0] < '1' || s[0] > '9')
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Is the caller (real gid or a supplementary group) in group "lve"? */
static bool caller_in_group_lve(void)
{
	struct group *g = getgrnam("lve");
	gid_t *groups;
	bool in = false;
	int n;

	if (!g)
		return false;
	if (getgid() == g->gr_gid)
		return true;
	n = getgroups(0, NULL);
	if (n <= 0)
		return false;
	groups = calloc((size_t)n, sizeof(*groups));
	if (!groups)
		return false;
	n = getgroups(n, groups);
	for (int i = 0; i < n && !in; i++)
		in = groups[i] == g->gr_gid;
	free(groups);
	return in;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "no-maxenter", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct wrap_cred cred = { 0 };
	struct olve *h = NULL;
	uint32_t id = 0, flags = 0, cur = 0;
	bool as_root;
	int c, r, ret;

	if (wrap_std_fds() < 0 || wrap_sanitize() < 0)
		return WRAP_EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "+fnhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
		case 'n':
			break; /* namespaces: none in openlve */
		case 'N':
			flags |= OLVE_ENTER_NO_MAXENTER;
			break;
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
		wrap_err(prog, "no LVE id given");
		usage(stderr);
		return WRAP_EXIT_USAGE;
	}
	if (parse_id(argv[optind], &id) < 0) {
		wrap_err(prog, "invalid LVE id '%s' (expected 1..4294967295)", argv[optind]);
		return WRAP_EXIT_USAGE;
	}
	if (optind + 1 >= argc) {
		wrap_err(prog, "no command given");
		usage(stderr);
		return WRAP_EXIT_USAGE;
	}
	as_root = getuid() == 0 && geteuid() == 0;
	if (!as_root) {
		if (!caller_in_group_lve()) {
			wrap_err(prog, "only root and members of group lve may run commands in another "
				       "LVE; use lve_wrapper for your own");
			return WRAP_EXIT_FAIL;
		}
		if (geteuid() != 0) {
			wrap_err(prog, "lve_suwrapper must be installed setuid root for members of group lve");
			return WRAP_EXIT_FAIL;
		}
		r = wrap_cred_from_caller(&cred);
		if (r < 0) {
			wrap_err(prog, "cannot read the caller's groups: %s", strerror(-r));
			return WRAP_EXIT_FAIL;
		}
	}

	r = olve_open(&h, 0);
	if (r < 0) {
		wrap_err(prog, "cannot open openlve: %s", strerror(-r));
		wrap_cred_free(&cred);
		return WRAP_EXIT_FAIL;
	}
	if (!as_root && (r = olve_current(h, &cur)) < 0) {
		wrap_err(prog, "cannot tell which LVE we are in: %s", strerror(-r));
		ret = WRAP_EXIT_FAIL;
	} else if (!as_root && cur != 0 && cur != id) {
		wrap_err(prog, "already inside LVE %" PRIu32 "; will not move to LVE %" PRIu32, cur, id);
		ret = WRAP_EXIT_FAIL;
	} else {
		ret = wrap_run(prog, h, id, flags, as_root ? NULL : &cred, argv + optind + 1);
	}
	olve_close(h);
	wrap_cred_free(&cred);
	return ret;
}
