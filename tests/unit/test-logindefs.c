/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-logindefs - src/shared/logindefs.c: UID_MIN/UID_MAX of a login.defs
 * file (Debian's own text, custom ranges, comments and blanks, bad values
 * keep the defaults, a missing file gives the defaults, UID_MIN above
 * UID_MAX is refused and leaves the outputs alone). Files live in a
 * tap_mktemp() dir.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "logindefs.h"
#include "tap.h"

/* Write `text` to a fresh file; its path into path. */
static int defs(const char *text, char *path, size_t size)
{
	char dir[256];
	FILE *f;
	int r = tap_mktemp(dir, sizeof(dir));

	if (r < 0)
		return r;
	snprintf(path, size, "%s/login.defs", dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

TEST(debian_login_defs)
{
	/* the lines of Debian 12's /etc/login.defs around the keys */
	static const char text[] = "#\n# Min/max values for automatic uid selection in useradd(8)\n#\n"
				   "UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n# System accounts\n"
				   "#SYS_UID_MIN\t\t  100\n#SYS_UID_MAX\t\t  999\nGID_MIN\t\t\t 1000\n";
	char path[512];
	uint32_t lo = 0, hi = 0;

	ASSERT_OK(defs(text, path, sizeof(path)));
	ASSERT_EQ(login_defs_uid_range(path, &lo, &hi), 1);
	ASSERT_EQ(lo, 1000);
	ASSERT_EQ(hi, 60000);
	return 0;
}

TEST(custom_range_last_line_wins_comments_ignored)
{
	char path[512];
	uint32_t lo = 0, hi = 0;

	ASSERT_OK(defs("UID_MIN 500\n  UID_MAX\t2000000 # hosting users\n# UID_MIN 7\nUID_MIN 600\n"
		       "SYS_UID_MIN 100\nUID_MINIMUM 9\n",
		       path, sizeof(path)));
	ASSERT_EQ(login_defs_uid_range(path, &lo, &hi), 1);
	ASSERT_EQ(lo, 600);
	ASSERT_EQ(hi, 2000000);
	return 0;
}

TEST(bad_values_keep_the_defaults)
{
	static const char *const bad[] = {
		"UID_MIN abc\nUID_MAX -5\n", "UID_MIN 0\nUID_MAX 12x\n", "UID_MIN 4294967295\nUID_MAX 99999999999\n",
		"UID_MIN\nUID_MAX\n", "UID_MIN=500\nUID_MAX=900\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[512];
		uint32_t lo = 0, hi = 0;

		ASSERT_OK(defs(bad[i], path, sizeof(path)));
		ASSERT_EQ(login_defs_uid_range(path, &lo, &hi), 1);
		ASSERT_EQ(lo, LOGIN_DEFS_UID_MIN);
		ASSERT_EQ(hi, LOGIN_DEFS_UID_MAX);
	}
	return 0;
}

TEST(missing_file_gives_the_defaults)
{
	char dir[256], path[512];
	uint32_t lo = 0, hi = 0;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/none", dir);
	ASSERT_EQ(login_defs_uid_range(path, &lo, &hi), 0);
	ASSERT_EQ(lo, 1000);
	ASSERT_EQ(hi, 60000);
	return 0;
}

TEST(min_above_max_refused_outputs_untouched)
{
	char path[512];
	uint32_t lo = 7, hi = 8;

	ASSERT_OK(defs("UID_MIN 5000\nUID_MAX 4000\n", path, sizeof(path)));
	ASSERT_ERR(login_defs_uid_range(path, &lo, &hi), EINVAL);
	ASSERT_EQ(lo, 7);
	ASSERT_EQ(hi, 8);
	/* a directory cannot be read as the file */
	path[strlen(path) - strlen("/login.defs")] = 0;
	ASSERT(login_defs_uid_range(path, &lo, &hi) < 0);
	ASSERT_EQ(lo, 7);
	return 0;
}

TAP_MAIN()
