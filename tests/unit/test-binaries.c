/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-binaries - the lists of lvectl set-binary (src/liblve/binaries.c):
 * path syntax, parsing (comments, blanks, CRLF, repeated lines, garbage),
 * the canonical text, and the file side (missing file, atomic replace,
 * raw text kept for editing). Issue 10.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binaries.h"
#include "tap.h"

static int parse(const char *text, struct olve_binaries *b, struct olve_binaries_error *e)
{
	return olve_binaries_parse(text, strlen(text), b, e);
}

TEST(path_syntax)
{
	static const char *const good[] = { "/usr/bin/php", "/a", "/opt/x y/bin/z", "/usr/bin/php8.2",
					    "/a/.hidden", "/a/..b", "/a/b..", "/a/..." };
	static const char *const bad[] = { "",         "php",       "bin/php",  "/",          "/usr/bin/",
					   "/usr//bin", "/usr/./bin", "/usr/../x", "/x/.",       "/x/..",
					   "/a\tb",     "/a\nb",      "/a\rb",     "/a\x7f",     "./x" };
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ASSERT_OK(olve_binary_path_check(good[i], &why));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ASSERT_EQ(olve_binary_path_check(bad[i], &why), -EINVAL);
		ASSERT(why && why[0]);
	}
	{
		char longp[PATH_MAX + 2];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = 0;
		ASSERT_EQ(olve_binary_path_check(longp, &why), -EINVAL);
		/* one component of 256 bytes */
		memset(longp, 'a', 258);
		longp[0] = '/';
		longp[257] = 0;
		ASSERT_EQ(olve_binary_path_check(longp, &why), -EINVAL);
		longp[256] = 0;
		ASSERT_OK(olve_binary_path_check(longp, &why));
	}
	return 0;
}

TEST(parse_comments_blanks_crlf_and_repeats)
{
	struct olve_binaries b = { 0 };
	struct olve_binaries_error e;

	ASSERT_OK(parse("# list\n\n  /usr/bin/php  \r\n\t/opt/x y/bin/z\n   # indented comment\n"
			"/usr/bin/php\n/usr/local/bin/node",
			&b, &e));
	ASSERT_EQ(b.n, 3);
	ASSERT_STREQ(b.path[0], "/usr/bin/php");
	ASSERT_STREQ(b.path[1], "/opt/x y/bin/z");
	ASSERT_STREQ(b.path[2], "/usr/local/bin/node");
	ASSERT_EQ(b.dup_line, 6);
	ASSERT_EQ(b.dup_of, 3);
	ASSERT(olve_binaries_has(&b, "/usr/local/bin/node"));
	ASSERT(!olve_binaries_has(&b, "/usr/local/bin"));
	ASSERT_EQ(olve_binaries_add(&b, "/usr/bin/php"), 0);
	ASSERT_EQ(olve_binaries_add(&b, "/bin/sh"), 1);
	ASSERT_EQ(b.n, 4);
	ASSERT_EQ(olve_binaries_remove(&b, "/opt/x y/bin/z"), 1);
	ASSERT_EQ(olve_binaries_remove(&b, "/opt/x y/bin/z"), 0);
	ASSERT_EQ(b.n, 3);
	ASSERT_STREQ(b.path[1], "/usr/local/bin/node");
	olve_binaries_free(&b);
	ASSERT_OK(parse("", &b, &e));
	ASSERT_EQ(b.n, 0);
	ASSERT_EQ(b.dup_line, 0);
	olve_binaries_free(&b);
	return 0;
}

TEST(parse_refuses_garbage_naming_the_line)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "/usr/bin/php\nphp\n", 2 },
		{ "# c\n\n/usr/bin//php\n", 3 },
		{ "/usr/bin/\n", 1 },
		{ "/a\n/b\n/c\x01\n", 3 },
		{ "/ok\n /x/../y\n", 2 },
	};
	struct olve_binaries b = { 0 };
	struct olve_binaries_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(parse(bad[i].text, &b, &e), -EINVAL);
		ASSERT_EQ(e.line, bad[i].line);
		ASSERT(e.msg[0]);
		ASSERT(b.n == 0 && b.path == NULL); /* no output on error */
	}
	/* a NUL byte: not a text file */
	ASSERT_EQ(olve_binaries_parse("/a\n\0/b\n", 6, &b, &e), -EINVAL);
	ASSERT(strstr(e.msg, "NUL"));
	return 0;
}

TEST(format_round_trip)
{
	struct olve_binaries b = { 0 }, again = { 0 };
	struct olve_binaries_error e;
	char *text = NULL;
	size_t len = 0;

	ASSERT_OK(parse("/b\n# x\n/a\n/b\n", &b, &e));
	ASSERT_OK(olve_binaries_format(&b, "# head\n", &text, &len));
	ASSERT_STREQ(text, "# head\n/b\n/a\n");
	ASSERT_EQ(len, strlen(text));
	ASSERT_OK(olve_binaries_parse(text, len, &again, &e));
	ASSERT_EQ(again.n, 2);
	ASSERT_STREQ(again.path[0], "/b");
	ASSERT_STREQ(again.path[1], "/a");
	free(text);
	olve_binaries_free(&again);
	olve_binaries_free(&b);
	return 0;
}

TEST(files_missing_written_and_raw_text)
{
	char dir[256], path[300], sub[320];
	struct olve_binaries b = { 0 };
	struct olve_binaries_error e;
	char *text = NULL;
	struct stat st;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/lve-binaries", dir);
	/* missing file, missing directory: empty lists */
	ASSERT_OK(olve_binaries_load(path, &b, &text, &e));
	ASSERT_EQ(b.n, 0);
	ASSERT_STREQ(text, "");
	free(text);
	snprintf(sub, sizeof(sub), "%s/none/lve-binaries", dir);
	ASSERT_OK(olve_binaries_load(sub, &b, NULL, &e));
	ASSERT_EQ(b.n, 0);
	/* written (directory created), read back with the raw text */
	ASSERT_OK(olve_binaries_write(sub, "# mine\n/usr/bin/php\n", 20));
	ASSERT_EQ(stat(sub, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0644);
	ASSERT_OK(olve_binaries_load(sub, &b, &text, &e));
	ASSERT_EQ(b.n, 1);
	ASSERT_STREQ(text, "# mine\n/usr/bin/php\n");
	free(text);
	olve_binaries_free(&b);
	/* a bad file: the error names the line, nothing returned */
	ASSERT_OK(olve_binaries_write(path, "/ok\nbad\n", 8));
	text = NULL;
	ASSERT_EQ(olve_binaries_load(path, &b, &text, &e), -EINVAL);
	ASSERT_EQ(e.line, 2);
	ASSERT(text == NULL && b.n == 0);
	/* a directory where the file should be */
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(mkdir(path, 0755), 0);
	ASSERT(olve_binaries_load(path, &b, NULL, &e) < 0);
	return 0;
}

TAP_MAIN()
