/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-beancounters - print /proc/user_beancounters (OpenVZ format,
 * "Version: 2.5") for every LVE, from liblve's olve_beancounters_render().
 * Usage: lve-beancounters [--help]. Exit 0, or 1 with a message on stderr.
 * OPENLVE_CONF selects the configuration like every liblve client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lve/openlve.h"
#include "lve/ubstat.h"

int main(int argc, char **argv)
{
	struct olve *h = NULL;
	char *text = NULL;
	int r;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("Usage: %s\nPrint the beancounters of every LVE in /proc/user_beancounters format.\n",
			       argv[0]);
			return 0;
		}
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", argv[0], argv[1]);
		return 1;
	}
	r = olve_open(&h, OLVE_OPEN_NOCREATE);
	if (r == -ENOENT) {
		/* no LVE root (nothing created yet): no LVEs, only the header */
		printf("Version: 2.5\n%10s  %-12s %20s %20s %20s %20s %20s\n", "uid", "resource", "held", "maxheld",
		       "barrier", "limit", "failcnt");
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (r < 0) {
		fprintf(stderr, "%s: cannot open the LVE roots: %s\n", argv[0], strerror(-r));
		return 1;
	}
	r = olve_beancounters_render(h, &text);
	olve_close(h);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], strerror(-r));
		return 1;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		free(text);
		return 1;
	}
	free(text);
	return 0;
}
