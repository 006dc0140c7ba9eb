/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openlve.conf parsing (src/liblve/conf.c): every key, defaults, and every kind of bad line. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "lve-internal.h"
#include "tap.h"

static int parse(const char *text, struct olve_conf *c, unsigned *line)
{
	return olve_conf_parse(text, c, line);
}

/* Expect -EINVAL on `line` and no output. */
static int bad(const char *text, unsigned want_line)
{
	struct olve_conf c;
	unsigned line = 12345;
	int r;

	memset(&c, 0xa5, sizeof(c));
	r = parse(text, &c, &line);
	if (r != -EINVAL) {
		fprintf(stderr, "# %s: expected -EINVAL, got %d\n", text, r);
		if (r == 0)
			olve_conf_free(&c);
		return 1;
	}
	if (line != want_line) {
		fprintf(stderr, "# %s: error line %u, expected %u\n", text, line, want_line);
		return 1;
	}
	/* output untouched */
	for (size_t i = 0; i < sizeof(c); i++)
		if (((unsigned char *)&c)[i] != 0xa5) {
			fprintf(stderr, "# %s: output written on failure\n", text);
			return 1;
		}
	return 0;
}

TEST(defaults_from_empty_text)
{
	struct olve_conf c;

	ASSERT_OK(parse("", &c, NULL));
	ASSERT_STREQ(c.cgroup_root, "openlve");
	ASSERT_STREQ(c.state_dir, "/run/openlve");
	ASSERT_STREQ(c.ve_cfg, "/etc/container/ve.cfg");
	ASSERT_STREQ(c.sysconfig, "/etc/sysconfig/cloudlinux");
	ASSERT_STREQ(c.info_file, "/var/lve/info");
	ASSERT_STREQ(c.list_file, "/run/openlve/list");
	for (int i = 0; i < OLVE_CONF_CTRL_MAX; i++)
		ASSERT(c.cgroup_root_ctrl[i] == NULL);
	ASSERT_STREQ(olve_conf_root_for(&c, CG_CTRL_MEMORY), "openlve");
	olve_conf_free(&c);
	return 0;
}

TEST(every_key)
{
	static const char text[] = "# openlve test configuration\n"
				   "\n"
				   "cgroup_root = lve/root\n"
				   "  cgroup_root.memory=/process_api/x/olt-1/lve  \n"
				   "cgroup_root.blkio = b\n"
				   "cgroup_root.pids = p\n"
				   "\t# indented comment\n"
				   "state_dir = /tmp/olve state\n"
				   "ve_cfg = /tmp/ve.cfg\n"
				   "sysconfig = /tmp/cloudlinux\n"
				   "info_file = /tmp/info\n"
				   "list_file = /tmp/list\r\n";
	struct olve_conf c;

	ASSERT_OK(parse(text, &c, NULL));
	ASSERT_STREQ(c.cgroup_root, "lve/root");
	ASSERT_STREQ(c.cgroup_root_ctrl[CG_CTRL_MEMORY], "/process_api/x/olt-1/lve");
	ASSERT_STREQ(c.cgroup_root_ctrl[CG_CTRL_PIDS], "p");
	ASSERT_STREQ(c.state_dir, "/tmp/olve state"); /* inner blanks are part of the value */
	ASSERT_STREQ(c.ve_cfg, "/tmp/ve.cfg");
	ASSERT_STREQ(c.sysconfig, "/tmp/cloudlinux");
	ASSERT_STREQ(c.info_file, "/tmp/info");
	ASSERT_STREQ(c.list_file, "/tmp/list");
	ASSERT_STREQ(olve_conf_root_for(&c, CG_CTRL_MEMORY), "/process_api/x/olt-1/lve");
	ASSERT_STREQ(olve_conf_root_for(&c, CG_CTRL_CPU), "lve/root");
	/* blkio and io name one hierarchy */
	ASSERT_STREQ(olve_conf_root_for(&c, CG_CTRL_IO), "b");
	ASSERT_STREQ(olve_conf_root_for(&c, CG_CTRL_BLKIO), "b");
	olve_conf_free(&c);
	return 0;
}

TEST(list_file_follows_state_dir)
{
	struct olve_conf c;

	ASSERT_OK(parse("state_dir = /var/tmp/x\n", &c, NULL));
	ASSERT_STREQ(c.list_file, "/var/tmp/x/list");
	olve_conf_free(&c);
	ASSERT_OK(parse("state_dir = /var/tmp/x/\n", &c, NULL));
	ASSERT_STREQ(c.list_file, "/var/tmp/x/list");
	olve_conf_free(&c);
	/* no final newline */
	ASSERT_OK(parse("state_dir=/s", &c, NULL));
	ASSERT_STREQ(c.state_dir, "/s");
	olve_conf_free(&c);
	return 0;
}

/* [issue 10] lvectl set-binary's file: the system one, beside a non-default ve_cfg, or given */
TEST(binaries_file_default_derived_and_given)
{
	struct olve_conf c;

	ASSERT_OK(parse("", &c, NULL));
	ASSERT_STREQ(c.binaries_file, "/etc/container/lve-binaries");
	olve_conf_free(&c);
	ASSERT_OK(parse("ve_cfg = /tmp/t/ve.cfg\n", &c, NULL));
	ASSERT_STREQ(c.binaries_file, "/tmp/t/lve-binaries");
	olve_conf_free(&c);
	ASSERT_OK(parse("ve_cfg = /ve.cfg\n", &c, NULL));
	ASSERT_STREQ(c.binaries_file, "/lve-binaries");
	olve_conf_free(&c);
	ASSERT_OK(parse("ve_cfg = /tmp/t/ve.cfg\nbinaries_file = /srv/bins\n", &c, NULL));
	ASSERT_STREQ(c.binaries_file, "/srv/bins");
	olve_conf_free(&c);
	ASSERT(parse("binaries_file = relative\n", &c, NULL) < 0);
	ASSERT(parse("binaries_file = /a\nbinaries_file = /b\n", &c, NULL) < 0);
	return 0;
}

TEST(hash_inside_a_value_is_not_a_comment)
{
	struct olve_conf c;

	ASSERT_OK(parse("ve_cfg = /tmp/a#b\n", &c, NULL));
	ASSERT_STREQ(c.ve_cfg, "/tmp/a#b");
	olve_conf_free(&c);
	return 0;
}

TEST(unknown_key)
{
	ASSERT_EQ(bad("cgroup_root = a\nfoo = bar\n", 2), 0);
	ASSERT_EQ(bad("\n\n\nCgroup_Root = a\n", 4), 0);   /* keys are case sensitive */
	ASSERT_EQ(bad("state_dir.x = /a\n", 1), 0);
	ASSERT_EQ(bad("cgroup_rootx = a\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root. = a\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root.freezer = a\n", 1), 0); /* not a controller openlve uses */
	ASSERT_EQ(bad("cgroup_root.nosuch = a\n", 1), 0);
	ASSERT_EQ(bad("cgroup root = a\n", 1), 0);
	return 0;
}

TEST(malformed_lines)
{
	ASSERT_EQ(bad("cgroup_root\n", 1), 0);       /* no '=' */
	ASSERT_EQ(bad("# c\n= a\n", 2), 0);          /* no key */
	ASSERT_EQ(bad("cgroup_root =\n", 1), 0);     /* no value */
	ASSERT_EQ(bad("cgroup_root =   \n", 1), 0);  /* blank value */
	ASSERT_EQ(bad("a\x01 = b\n", 1), 0);
	return 0;
}

TEST(duplicate_key)
{
	ASSERT_EQ(bad("cgroup_root = a\ncgroup_root = b\n", 2), 0);
	ASSERT_EQ(bad("state_dir = /a\n#\nstate_dir = /a\n", 3), 0);
	ASSERT_EQ(bad("cgroup_root.io = a\ncgroup_root.blkio = a\n", 2), 0);
	ASSERT_EQ(bad("cgroup_root.cpu = a\ncgroup_root.cpu = b\n", 2), 0);
	return 0;
}

TEST(bad_cgroup_root)
{
	ASSERT_EQ(bad("cgroup_root = ../x\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root = a/../../x\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root = a/./b\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root = /\n", 1), 0);     /* the mount root itself */
	ASSERT_EQ(bad("cgroup_root = ///\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root.cpu = ..\n", 1), 0);
	ASSERT_EQ(bad("cgroup_root = a\x7f\n", 1), 0);
	{
		char text[5000] = "cgroup_root = ";
		memset(text + strlen(text), 'x', 300); /* component > NAME_MAX */
		ASSERT_EQ(bad(text, 1), 0);
	}
	return 0;
}

TEST(bad_paths)
{
	ASSERT_EQ(bad("state_dir = run/openlve\n", 1), 0); /* relative */
	ASSERT_EQ(bad("state_dir = /run/../etc\n", 1), 0);
	ASSERT_EQ(bad("state_dir = /run/./x\n", 1), 0);
	ASSERT_EQ(bad("ve_cfg = ve.cfg\n", 1), 0);
	ASSERT_EQ(bad("sysconfig = ~/x\n", 1), 0);
	ASSERT_EQ(bad("info_file = /var/lve/\x02info\n", 1), 0);
	ASSERT_EQ(bad("list_file = ./list\n", 1), 0);
	return 0;
}

TEST(fd_cache_size)
{
	static const struct {
		const char *text;
		unsigned want;
	} good[] = {
		{ "", OLVE_FD_CACHE_DEFAULT },
		{ "fd_cache_size = 0\n", 0 },
		{ "fd_cache_size=1", 1 },
		{ "  fd_cache_size =  4096  \n", 4096 },
		{ "fd_cache_size = 65536\n", OLVE_FD_CACHE_MAX },
		{ "fd_cache_size = 007\n", 7 },
	};
	struct olve_conf c;

	ASSERT_EQ(OLVE_FD_CACHE_DEFAULT, 256);
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		ASSERT_OK(parse(good[i].text, &c, NULL));
		ASSERT_EQ(c.fd_cache_size, good[i].want);
		ASSERT_STREQ(c.cgroup_root, "openlve"); /* the other defaults are still filled */
		olve_conf_free(&c);
	}
	ASSERT_EQ(bad("fd_cache_size = 65537\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = 4294967296\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = 99999999999999999999999\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = -1\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = +4\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = 0x10\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = 12k\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = 1 2\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size = abc\n", 1), 0);
	ASSERT_EQ(bad("fd_cache_size =\n", 1), 0);
	ASSERT_EQ(bad("# x\nfd_cache_size = 5\nfd_cache_size = 5\n", 3), 0); /* duplicate */
	return 0;
}

TEST(null_arguments)
{
	struct olve_conf c;
	unsigned line = 7;

	ASSERT_ERR(olve_conf_parse(NULL, &c, &line), EINVAL);
	ASSERT_EQ(line, 0);
	ASSERT_ERR(olve_conf_parse("", NULL, NULL), EINVAL);
	ASSERT_ERR(olve_conf_load("/x", NULL, NULL), EINVAL);
	olve_conf_free(NULL);
	return 0;
}

static char *write_tmp(const char *text, size_t len)
{
	char *path = strdup("/tmp/test-lve-conf-XXXXXX");
	int fd;

	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

TEST(load_file_and_env)
{
	static const char text[] = "cgroup_root = from/file\nstate_dir = /tmp/st\n";
	char *path = write_tmp(text, sizeof(text) - 1);
	struct olve_conf c;

	ASSERT(path);
	ASSERT_OK(olve_conf_load(path, &c, NULL));
	ASSERT_STREQ(c.cgroup_root, "from/file");
	olve_conf_free(&c);

	ASSERT_OK(setenv("OPENLVE_CONF", path, 1));
	ASSERT_OK(olve_conf_load(NULL, &c, NULL));
	ASSERT_STREQ(c.state_dir, "/tmp/st");
	olve_conf_free(&c);
	unlink(path);

	/* OPENLVE_CONF naming a missing file is an error, not the defaults */
	ASSERT_ERR(olve_conf_load(NULL, &c, NULL), ENOENT);
	ASSERT_ERR(olve_conf_load(path, &c, NULL), ENOENT);
	free(path);
	return 0;
}

TEST(load_reports_line)
{
	static const char text[] = "# ok\ncgroup_root = a\n\nbogus\n";
	char *path = write_tmp(text, sizeof(text) - 1);
	struct olve_conf c;
	unsigned line = 0;

	ASSERT(path);
	ASSERT_ERR(olve_conf_load(path, &c, &line), EINVAL);
	ASSERT_EQ(line, 4);
	unlink(path);
	free(path);
	return 0;
}

TEST(load_rejects_nul_and_relative)
{
	static const char text[] = "cgroup_root = a\0b\n";
	char *path = write_tmp(text, sizeof(text) - 1);
	struct olve_conf c;
	unsigned line = 9;

	ASSERT(path);
	ASSERT_ERR(olve_conf_load(path, &c, &line), EINVAL);
	ASSERT_EQ(line, 0);
	unlink(path);
	free(path);
	ASSERT_ERR(olve_conf_load("relative.conf", &c, NULL), EINVAL);
	ASSERT_ERR(olve_conf_load("/nonexistent/openlve.conf", &c, NULL), ENOENT);
	return 0;
}

TEST(load_directory_fails)
{
	struct olve_conf c;

	ASSERT(olve_conf_load("/tmp", &c, NULL) < 0);
	return 0;
}

TAP_MAIN()
