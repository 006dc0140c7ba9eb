/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-detect - olve_cagefs_inside(): the guide's CageFS token check. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lve/openlve.h"
#include "tap.h"

static char root[PATH_MAX];

/* A fresh root per test, removed by the tap framework after all tests. */
static int make_root(void)
{
	return tap_mktemp(root, sizeof(root));
}

static int sub(const char *rel, char *out, size_t n)
{
	return snprintf(out, n, "%s/%s", root, rel) < (int)n ? 0 : -ENAMETOOLONG;
}

TEST(token_present_absent)
{
	char p[PATH_MAX];
	int fd;

	ASSERT_OK(make_root());
	ASSERT_EQ(olve_cagefs_inside(root), 0); /* no /var at all */
	ASSERT_OK(sub("var", p, sizeof(p)));
	ASSERT_EQ(mkdir(p, 0755), 0);
	ASSERT_OK(sub("var/.cagefs", p, sizeof(p)));
	ASSERT_EQ(mkdir(p, 0755), 0);
	ASSERT_EQ(olve_cagefs_inside(root), 0); /* directory but no token */
	ASSERT_OK(sub("var/.cagefs/.cagefs.token", p, sizeof(p)));
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_EQ(olve_cagefs_inside(root), 1);
	ASSERT_EQ(unlink(p), 0);
	ASSERT_EQ(mkdir(p, 0755), 0); /* a directory named like the token is not the token */
	ASSERT_EQ(olve_cagefs_inside(root), 0);
	return 0;
}

TEST(symlinks_do_not_count)
{
	char p[PATH_MAX], target[PATH_MAX];
	int fd;

	ASSERT_OK(make_root());
	/* a real token elsewhere, reached only through symlinks */
	ASSERT_OK(sub("elsewhere", target, sizeof(target)));
	ASSERT_EQ(mkdir(target, 0755), 0);
	ASSERT_OK(sub("elsewhere/.cagefs.token", p, sizeof(p)));
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_OK(sub("var", p, sizeof(p)));
	ASSERT_EQ(mkdir(p, 0755), 0);
	ASSERT_OK(sub("var/.cagefs", p, sizeof(p)));
	ASSERT_EQ(symlink(target, p), 0); /* symlinked directory */
	ASSERT_EQ(olve_cagefs_inside(root), 0);
	ASSERT_EQ(unlink(p), 0);
	ASSERT_EQ(mkdir(p, 0755), 0);
	ASSERT_OK(sub("var/.cagefs/.cagefs.token", p, sizeof(p)));
	ASSERT_OK(sub("elsewhere/.cagefs.token", target, sizeof(target)));
	ASSERT_EQ(symlink(target, p), 0); /* symlinked token */
	ASSERT_EQ(olve_cagefs_inside(root), 0);
	return 0;
}

TEST(bad_root)
{
	ASSERT(olve_cagefs_inside("/nonexistent-openlve-root") < 0);
	ASSERT(olve_cagefs_inside(NULL) >= 0); /* the real "/" can be examined */
	return 0;
}

TAP_MAIN()
