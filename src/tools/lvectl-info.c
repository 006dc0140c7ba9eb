/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: detect, ubc, version, lve-version.
 */
#include "lvectl.h"

/* The integration guide's detection checks, in one place for panels and admins. */
int cmd_detect(struct ctx *c, int argc, char **argv)
{
	int avail, cagefs;
	const char *list = c->conf.list_file ? c->conf.list_file : "";

	if (argc != 0)
		return fail(EXIT_USAGE, "detect takes no arguments");
	avail = lve_is_available();
	cagefs = olve_cagefs_inside(NULL);
	if (cagefs < 0)
		return fail(EXIT_RUNTIME, "cannot examine / for the CageFS token: %s",
		            strerror(-cagefs));
	if (c->o.json) {
		printf("{\"lve_available\":%s,\"lve_version\":%d,\"list_file\":\"",
		       avail ? "true" : "false", LIST_VERSION);
		for (const char *p = list; *p; p++)
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				printf("\\u%04x", (unsigned char)*p);
			else
				putchar(*p);
		printf("\",\"inside_cagefs\":%s}\n", cagefs ? "true" : "false");
	} else {
		printf("lve: %s\n",
		       avail ? "available"
		             : "not available (needs root and mounted cgroup controllers)");
		printf("lve-version: %d\n", LIST_VERSION);
		printf("list-file: %s\n", list);
		printf("cagefs: %s\n",
		       cagefs ? "inside (/var/.cagefs/.cagefs.token present)" : "outside");
	}
	return 0;
}

/* OpenVZ's /proc/user_beancounters (version 2.5) over the LVEs: see ubstat(3). */
int cmd_ubc(struct ctx *c, int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "ubc takes no arguments");
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_beancounters_render(c->h, &text);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read the LVE beancounters: %s%s", strerror(-r),
		            hint(r));
	fwrite(text, 1, (size_t)r, stdout);
	return 0;
}

int cmd_version(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "version takes no arguments");
	if (c->o.json)
		printf("{\"version\":\"%s\"}\n", OPENLVE_VERSION);
	else
		printf("lvectl (openlve) %s\n", OPENLVE_VERSION);
	return 0;
}

int cmd_lve_version(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "lve-version takes no arguments");
	if (c->o.json)
		printf("{\"lve_version\":%d}\n", LIST_VERSION);
	else
		printf("%d\n", LIST_VERSION);
	return 0;
}
