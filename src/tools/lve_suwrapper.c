/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve_suwrapper - run a command as root inside LVE LVE_ID.
 *
 *   lve_suwrapper [-n] [--] LVE_ID CMD [ARGS...]
 *
 * Root only (real AND effective uid 0: a setuid-root install does not open
 * it to users). LVE_ID is decimal, 1..4294967295, without sign, blanks or
 * leading zeros. The LVE is created with the default limits if needed.
 * The wrapper holds one EP slot of the LVE while CMD runs (-n: it does
 * not; CMD is not counted against the EP limit, like CloudLinux's
 * LVE_NO_MAXENTER). CMD keeps root's credentials and environment.
 * Exit status: wrapper-common.h.
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

static const char *prog = "lve_suwrapper";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-n] [--] LVE_ID CMD [ARGS...]\n"
		"Run CMD as root inside LVE LVE_ID (1..4294967295), creating it if needed.\n"
		"\n"
		"  -n             do not count CMD against the LVE's entry process (EP) limit\n"
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct olve *h = NULL;
	uint32_t id = 0, flags = 0;
	int c, r, ret;

	if (wrap_std_fds() < 0 || wrap_sanitize() < 0)
		return WRAP_EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "+nhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
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
	if (getuid() != 0 || geteuid() != 0) {
		wrap_err(prog, "only root may run commands in an LVE; use lve_wrapper");
		return WRAP_EXIT_FAIL;
	}

	r = olve_open(&h, 0);
	if (r < 0) {
		wrap_err(prog, "cannot open openlve: %s", strerror(-r));
		return WRAP_EXIT_FAIL;
	}
	ret = wrap_run(prog, h, id, flags, NULL, argv + optind + 1);
	olve_close(h);
	return ret;
}
