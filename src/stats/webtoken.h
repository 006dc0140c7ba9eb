/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * webtoken.h - the signed links of lved's usage page (lved(8), section
 * "Usage page"). A link carries a token
 *
 *     v1.<scope>.<expiry>.<mac>
 *
 * scope   "admin", or the decimal LVE id a customer may see (1..2^32-2)
 * expiry  unix seconds after which the token is refused
 * mac     64 lowercase hex digits: HMAC-SHA256 over "v1.<scope>.<expiry>"
 *         with the server secret
 *
 * The secret is 32 random bytes in a root-only file (default
 * /etc/openlve/web.secret, hex on one line). `lvectl usage-url` mints
 * links, lved checks them. Nothing else is trusted: a customer can read the
 * token of their own link, and can change nothing in it without the secret.
 * src/stats/webtoken.c (libcrypto for HMAC and constant-time compare).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LVE_WEB_SECRET_DEFAULT "/etc/openlve/web.secret"
#define LVE_WEB_SECRET_LEN 32
#define LVE_WEB_TOKEN_MAX 128
#define LVE_WEB_SCOPE_ADMIN 0u /* scope "admin"; any other value is an LVE id */

/*
 * Load the secret from `path`. The file must be a regular file owned by
 * root (or the caller's euid), mode 0600 or stricter, not a symlink, in a
 * directory only root can change (ol_path_trusted). With `create`, a
 * missing file is created (random secret, mode 0600, atomically).
 * -ENOENT missing (without create), -EPERM unsafe owner/mode/path,
 * -EINVAL malformed content.
 */
int lve_web_secret_load(const char *path, int create, unsigned char secret[LVE_WEB_SECRET_LEN]);

/* Write a token for scope (LVE_WEB_SCOPE_ADMIN or an LVE id) valid until expiry into out. */
int lve_web_token_make(const unsigned char secret[LVE_WEB_SECRET_LEN], uint32_t scope, int64_t expiry,
		       char out[LVE_WEB_TOKEN_MAX]);

/*
 * Check `token` at time `now`: 0 and *scope on success; -EINVAL malformed,
 * -EACCES wrong signature, -EKEYEXPIRED expired (the signature is checked
 * first: an expired token is reported only when it is genuine).
 */
int lve_web_token_check(const unsigned char secret[LVE_WEB_SECRET_LEN], const char *token, int64_t now,
			uint32_t *scope);
