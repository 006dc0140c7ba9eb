/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * webtoken.c - the server secret and the signed links of the usage page
 * (webtoken.h). Owns the token format; lved (web.c) checks tokens, lvectl
 * usage-url mints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "pathsafe.h"
#include "webtoken.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int parse_secret(const char *text, size_t len, unsigned char secret[LVE_WEB_SECRET_LEN])
{
	unsigned char s[LVE_WEB_SECRET_LEN];

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len != 2 * LVE_WEB_SECRET_LEN)
		return -EINVAL;
	for (size_t i = 0; i < LVE_WEB_SECRET_LEN; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		s[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(secret, s, sizeof(s));
	OPENSSL_cleanse(s, sizeof(s));
	return 0;
}

static int create_secret(const char *path)
{
	unsigned char raw[LVE_WEB_SECRET_LEN];
	char hex[2 * LVE_WEB_SECRET_LEN + 2];
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int dfd = -1;
	char *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	to_hex(raw, sizeof(raw), hex);
	OPENSSL_cleanse(raw, sizeof(raw));
	strcat(hex, "\n");
	slash = strrchr(dir, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = 0;
	dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = ol_write_atomic_at(dfd, slash + 1, hex, strlen(hex), 0600);
	OPENSSL_cleanse(hex, sizeof(hex));
	return r;
}

int lve_web_secret_load(const char *path, int create, unsigned char secret[LVE_WEB_SECRET_LEN])
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (!path || path[0] != '/' || !secret)
		return -EINVAL;
	r = ol_path_trusted(path, NULL, 0);
	if (r < 0)
		return r == -ELOOP ? -EPERM : r;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && create) {
		r = create_secret(path);
		if (r < 0)
			return r;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077))
		return -EPERM;
	r = ol_read_full_fd(fd, 4096, &text, &len);
	if (r < 0)
		return r;
	r = parse_secret(text, len, secret);
	OPENSSL_cleanse(text, len);
	return r;
}

static int mac_hex(const unsigned char secret[LVE_WEB_SECRET_LEN], const char *msg, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), secret, LVE_WEB_SECRET_LEN, (const unsigned char *)msg, len, md, &mdlen) ||
	    mdlen != 32)
		return -EIO;
	to_hex(md, 32, out);
	return 0;
}

int lve_web_token_make(const unsigned char secret[LVE_WEB_SECRET_LEN], uint32_t scope, int64_t expiry,
		       char out[LVE_WEB_TOKEN_MAX])
{
	char msg[48], mac[65];
	int n, r;

	if (!secret || !out || scope == UINT32_MAX || expiry <= 0)
		return -EINVAL;
	if (scope == LVE_WEB_SCOPE_ADMIN)
		n = snprintf(msg, sizeof(msg), "v1.admin.%" PRId64, expiry);
	else
		n = snprintf(msg, sizeof(msg), "v1.%" PRIu32 ".%" PRId64, scope, expiry);
	r = mac_hex(secret, msg, (size_t)n, mac);
	if (r < 0)
		return r;
	snprintf(out, LVE_WEB_TOKEN_MAX, "%s.%s", msg, mac);
	return 0;
}

/* Decimal digits only, no sign, no leading zero (one canonical spelling). */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int lve_web_token_check(const unsigned char secret[LVE_WEB_SECRET_LEN], const char *token, int64_t now,
			uint32_t *scope)
{
	const char *p1, *p2, *p3;
	char mac[65];
	uint64_t sc = LVE_WEB_SCOPE_ADMIN, exp;
	size_t len;
	int r;

	if (!secret || !token || !scope)
		return -EINVAL;
	len = strnlen(token, LVE_WEB_TOKEN_MAX);
	if (len >= LVE_WEB_TOKEN_MAX || strncmp(token, "v1.", 3))
		return -EINVAL;
	p1 = token + 3;
	p2 = strchr(p1, '.');
	if (!p2)
		return -EINVAL;
	p3 = strchr(p2 + 1, '.');
	if (!p3 || strlen(p3 + 1) != 64 || strchr(p3 + 1, '.'))
		return -EINVAL;
	if (!(p2 - p1 == 5 && !strncmp(p1, "admin", 5)) &&
	    (parse_dec(p1, (size_t)(p2 - p1), UINT32_MAX - 1, &sc) < 0 || sc == 0))
		return -EINVAL;
	if (parse_dec(p2 + 1, (size_t)(p3 - p2 - 1), INT64_MAX, &exp) < 0 || exp == 0)
		return -EINVAL;
	for (const char *c = p3 + 1; *c; c++)
		if (hexval(*c) < 0)
			return -EINVAL;
	r = mac_hex(secret, token, (size_t)(p3 - token), mac);
	if (r < 0)
		return r;
	if (CRYPTO_memcmp(mac, p3 + 1, 64) != 0)
		return -EACCES;
	if ((int64_t)exp < now)
		return -EKEYEXPIRED;
	*scope = (uint32_t)sc;
	return 0;
}
