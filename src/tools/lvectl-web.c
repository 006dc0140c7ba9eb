/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: usage-url - a signed link to lved's usage page (lved(8), "Usage
 * page") for one customer (a user name or LVE id) or for the administrator
 * ("admin"). The link is what a control panel shows its customer; the
 * token in it (webtoken.h) names the LVE and an expiry and is signed with
 * the server secret, which only root can read.
 */
#include "lvectl.h"
#include "stats.h"
#include "webtoken.h"

#define DEFAULT_TTL 86400u

int cmd_usage_url(struct ctx *c, int argc, char **argv)
{
	unsigned char secret[LVE_WEB_SECRET_LEN];
	char tok[LVE_WEB_TOKEN_MAX], base[300] = "";
	struct lvestats_conf lc = { 0 };
	const char *secret_file = c->o.secret_file;
	uint32_t id = LVE_WEB_SCOPE_ADMIN;
	int64_t expiry;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "usage-url needs one argument: a user name, an LVE id or \"admin\"");
	if (strcmp(argv[0], "admin")) {
		if (parse_id(argv[0], &id) < 0) {
			struct passwd *pw = getpwnam(argv[0]);

			if (!pw)
				return fail(EXIT_USAGE, "usage-url: \"%s\" is neither an LVE id nor a user", argv[0]);
			if (pw->pw_uid == 0)
				return fail(EXIT_USAGE, "usage-url: %s is root, which has no LVE (use \"admin\")",
				            argv[0]);
			id = pw->pw_uid;
		}
	}
	/* the page's address and the secret's path from lved's configuration, unless given */
	r = lvestats_conf_load(NULL, &lc, NULL);
	if (r < 0)
		lc = (struct lvestats_conf){ 0 };
	if (!secret_file)
		secret_file = lc.web_secret_file ? lc.web_secret_file : LVE_WEB_SECRET_DEFAULT;
	if (c->o.base_url)
		snprintf(base, sizeof(base), "%s", c->o.base_url);
	else if (lc.web_listen && strncmp(lc.web_listen, "unix:", 5))
		snprintf(base, sizeof(base), "http://%s", lc.web_listen);
	r = lve_web_secret_load(secret_file, geteuid() == 0, secret);
	if (r < 0) {
		int code = fail(EXIT_RUNTIME, "cannot read the page secret %s: %s%s", secret_file, strerror(-r),
		                r == -EPERM ? " (it must be a root-owned file of mode 0600)" : hint(r));

		lvestats_conf_free(&lc);
		return code;
	}
	lvestats_conf_free(&lc);
	expiry = (int64_t)time(NULL) + (c->o.ttl ? c->o.ttl : DEFAULT_TTL);
	r = lve_web_token_make(secret, id, expiry, tok);
	explicit_bzero(secret, sizeof(secret));
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot sign the link: %s", strerror(-r));
	while (base[0] && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = 0;
	if (c->o.json) {
		char url[sizeof(base) + LVE_WEB_TOKEN_MAX + 8];

		snprintf(url, sizeof(url), "%s/?t=%s", base, tok);
		fputs("{\"status\": \"OK\", \"url\": ", stdout);
		json_str(stdout, url);
		printf(", \"token\": \"%s\", \"expires\": %lld}\n", tok, (long long)expiry);
	} else
		printf("%s/?t=%s\n", base, tok);
	return 0;
}
