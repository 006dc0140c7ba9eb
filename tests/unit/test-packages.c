/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-packages - CUSTOM_GETPACKAGE_SCRIPT output parsing, the sysconfig
 * file, and the script runner (src/liblve/packages.c). The runner tests
 * write small /bin/sh scripts into a private temporary directory.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packages.h"
#include "tap.h"

static int list_all(const char *text, struct pkg_map *m, struct pkg_error *e)
{
	return pkg_parse_list_all(text, strlen(text), m, e);
}

TEST(list_all_good)
{
	struct pkg_map m = {0};
	const char *seed = "100 package1\n101 package1\n102 package2\n103 package3\n";

	ASSERT_OK(list_all(seed, &m, NULL));
	ASSERT_EQ(m.n, 4);
	ASSERT_STREQ(pkg_map_lookup(&m, 100), "package1");
	ASSERT_STREQ(pkg_map_lookup(&m, 101), "package1");
	ASSERT_STREQ(pkg_map_lookup(&m, 102), "package2");
	ASSERT_STREQ(pkg_map_lookup(&m, 103), "package3");
	ASSERT(pkg_map_lookup(&m, 104) == NULL);
	ASSERT(pkg_map_lookup(&m, 0) == NULL);
	pkg_map_free(&m);
	ASSERT_EQ(m.n, 0);

	/* unsorted input, names with inner blanks, tabs, CRLF, no final newline */
	ASSERT_ERR(list_all("5000\tGold Plan\r\n7 a\n  \n", &m, NULL), EINVAL); /* blank line */
	ASSERT_OK(list_all("5000\tGold Plan\r\n7   reseller_Pro X\n42 p", &m, NULL));
	ASSERT_EQ(m.n, 3);
	ASSERT_EQ(m.v[0].uid, 7);
	ASSERT_EQ(m.v[1].uid, 42);
	ASSERT_EQ(m.v[2].uid, 5000);
	ASSERT_STREQ(pkg_map_lookup(&m, 5000), "Gold Plan");
	ASSERT_STREQ(pkg_map_lookup(&m, 7), "reseller_Pro X");
	ASSERT_STREQ(pkg_map_lookup(&m, 42), "p");
	pkg_map_free(&m);

	/* no output: no users */
	ASSERT_OK(list_all("", &m, NULL));
	ASSERT_EQ(m.n, 0);
	return 0;
}

static int expect_list_all_bad(const char *text, int line, const char *needle)
{
	struct pkg_map m = {.n = 12345};
	struct pkg_error e = {-1, ""};
	int r = list_all(text, &m, &e);

	if (r != -EINVAL)
		TAP_FAIL("\"%s\": expected -EINVAL, got %d", text, r);
	ASSERT_EQ(m.n, 12345); /* output untouched */
	if (e.line != line)
		TAP_FAIL("\"%s\": line %d != %d (%s)", text, e.line, line, e.msg);
	if (needle && !strstr(e.msg, needle))
		TAP_FAIL("\"%s\": message \"%s\" lacks \"%s\"", text, e.msg, needle);
	return 0;
}

TEST(list_all_bad)
{
	ASSERT_EQ(expect_list_all_bad("hello world\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("100 a\n\n101 b\n", 2, "empty line"), 0);
	ASSERT_EQ(expect_list_all_bad("100 a\n101 b\n\n", 3, "empty line"), 0);
	ASSERT_EQ(expect_list_all_bad("100\n", 1, "no valid package"), 0);
	ASSERT_EQ(expect_list_all_bad("100 \n", 1, "no valid package"), 0);
	ASSERT_EQ(expect_list_all_bad("100 pkg \n", 1, "no valid package"), 0);
	ASSERT_EQ(expect_list_all_bad(" 100 pkg\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("-1 pkg\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("+1 pkg\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("1 ok\n4294967295 pkg\n", 2, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("99999999999 pkg\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("12a pkg\n", 1, "not a user id"), 0);
	ASSERT_EQ(expect_list_all_bad("100 a\n100 b\n", 0, "twice"), 0);
	ASSERT_EQ(expect_list_all_bad("100 a\x01x\n", 1, "no valid package"), 0);
	ASSERT_EQ(expect_list_all_bad("100 a\n\r\n", 2, "empty line"), 0);

	/* a NUL byte inside the output */
	struct pkg_map m = {0};
	struct pkg_error e = {0};
	ASSERT_ERR(pkg_parse_list_all("100 a\n101 b\0c\n", 14, &m, &e), EINVAL);
	ASSERT_EQ(e.line, 2);

	/* an over-long package name */
	char big[400];
	memset(big, 'x', sizeof(big));
	memcpy(big, "1 ", 2);
	big[sizeof(big) - 1] = 0;
	ASSERT_EQ(expect_list_all_bad(big, 1, "no valid package"), 0);
	return 0;
}

TEST(uids)
{
	uint32_t *u = NULL;
	struct pkg_error e = {0};
	const char *t;

	t = "103\n100\n101\n";
	ASSERT_EQ(pkg_parse_uids(t, strlen(t), &u, NULL), 3);
	ASSERT_EQ(u[0], 100);
	ASSERT_EQ(u[1], 101);
	ASSERT_EQ(u[2], 103);
	free(u);
	u = NULL;
	ASSERT_EQ(pkg_parse_uids("", 0, &u, NULL), 0);
	ASSERT(u == NULL);

	t = "100\nabc\n";
	ASSERT_ERR(pkg_parse_uids(t, strlen(t), &u, &e), EINVAL);
	ASSERT_EQ(e.line, 2);
	t = "100\n\n101\n";
	ASSERT_ERR(pkg_parse_uids(t, strlen(t), &u, &e), EINVAL);
	ASSERT_EQ(e.line, 2);
	ASSERT(strstr(e.msg, "empty line"));
	t = "100\n100\n";
	ASSERT_ERR(pkg_parse_uids(t, strlen(t), &u, &e), EINVAL);
	ASSERT(strstr(e.msg, "twice"));
	t = "100 pkg\n";
	ASSERT_ERR(pkg_parse_uids(t, strlen(t), &u, &e), EINVAL);
	ASSERT(u == NULL);
	return 0;
}

TEST(names)
{
	struct pkg_names n = {0};
	struct pkg_error e = {0};
	const char *t;

	t = "package1\npackage2\nGold Plan\n";
	ASSERT_OK(pkg_parse_names(t, strlen(t), &n, NULL));
	ASSERT_EQ(n.n, 3);
	ASSERT_STREQ(n.v[0], "package1");
	ASSERT_STREQ(n.v[2], "Gold Plan");
	pkg_names_free(&n);

	t = "a\n\nb\n";
	ASSERT_ERR(pkg_parse_names(t, strlen(t), &n, &e), EINVAL);
	ASSERT_EQ(e.line, 2);
	t = "a\nb\na\n";
	ASSERT_ERR(pkg_parse_names(t, strlen(t), &n, &e), EINVAL);
	ASSERT_EQ(e.line, 3);
	ASSERT(strstr(e.msg, "twice"));
	t = "a\n\tb\n";
	ASSERT_ERR(pkg_parse_names(t, strlen(t), &n, &e), EINVAL);
	ASSERT_EQ(e.line, 2);
	ASSERT_EQ(n.n, 0);
	return 0;
}

TEST(one_name)
{
	char *s = NULL;
	struct pkg_error e = {0};

	ASSERT_OK(pkg_parse_one("Gold\n", 5, &s, NULL));
	ASSERT_STREQ(s, "Gold");
	free(s);
	s = (char *)"unchanged";
	ASSERT_OK(pkg_parse_one("", 0, &s, NULL));
	ASSERT(s == NULL); /* no output: no package */
	s = NULL;
	ASSERT_ERR(pkg_parse_one("\n", 1, &s, &e), EINVAL);
	ASSERT(strstr(e.msg, "empty line"));
	ASSERT_ERR(pkg_parse_one("a\nb\n", 4, &s, &e), EINVAL);
	ASSERT_EQ(e.line, 2);
	ASSERT_ERR(pkg_parse_one("a\n\n", 3, &s, &e), EINVAL);
	ASSERT_ERR(pkg_parse_one("a\x7f\n", 3, &s, &e), EINVAL);
	ASSERT(s == NULL);
	return 0;
}

TEST(sysconfig)
{
	char *v = NULL;
	const char *t = "# CloudLinux settings\n"
	                "LVE_ENABLE=yes\n"
	                "CUSTOM_GETPACKAGE_SCRIPT=/old/one\n"
	                "  export CUSTOM_GETPACKAGE_SCRIPT = \"/usr/local/bin/get pkg\"  \n"
	                "CUSTOM_GETPACKAGE_SCRIPTX=/not/this\n"
	                "#CUSTOM_GETPACKAGE_SCRIPT=/commented\n";

	ASSERT_OK(pkg_sysconfig_get(t, "CUSTOM_GETPACKAGE_SCRIPT", &v));
	ASSERT_STREQ(v, "/usr/local/bin/get pkg");
	free(v);
	ASSERT_OK(pkg_sysconfig_get("K='x y'\n", "K", &v));
	ASSERT_STREQ(v, "x y");
	free(v);
	v = NULL;
	ASSERT_ERR(pkg_sysconfig_get(t, "MISSING", &v), ENOENT);
	ASSERT_ERR(pkg_sysconfig_get("K=\n", "K", &v), ENOENT);
	ASSERT_ERR(pkg_sysconfig_get("K\n", "K", &v), ENOENT);
	ASSERT(v == NULL);
	return 0;
}

/* ------------------------------------------------------------ runner */

static char dir[64];

static int setup_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-packages.XXXXXX");
	return mkdtemp(dir) ? 0 : -errno;
}

static void cleanup_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

/* Write an executable /bin/sh script; returns its path (static buffer). */
static const char *script(const char *name, const char *body, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return NULL;
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, mode);
	return path;
}

TEST(run_script_commands)
{
	struct pkg_script s = {.timeout_ms = 10000};
	struct pkg_map m = {0};
	struct pkg_names n = {0};
	uint32_t *u = NULL;
	char *name = NULL;

	ASSERT_OK(setup_dir());
	s.path = strdup(
	        script("pkgs",
	               "case \"$1\" in\n"
	               "--list-all) printf '100 package1\\n101 package1\\n102 package2\\n' ;;\n"
	               "--userid=101) echo package1 ;;\n"
	               "--userid=*) ;;\n"
	               "--package=package1) printf '100\\n101\\n' ;;\n"
	               "--package=*) ;;\n"
	               "--list-packages) printf 'package1\\npackage2\\n' ;;\n"
	               "*) echo \"bad argument $1\" >&2; exit 3 ;;\n"
	               "esac\n",
	               0755));
	ASSERT(s.path);
	ASSERT_OK(pkg_list_all(&s, &m, NULL));
	ASSERT_EQ(m.n, 3);
	ASSERT_STREQ(pkg_map_lookup(&m, 102), "package2");
	pkg_map_free(&m);
	ASSERT_OK(pkg_of_user(&s, 101, &name, NULL));
	ASSERT_STREQ(name, "package1");
	free(name);
	ASSERT_OK(pkg_of_user(&s, 555, &name, NULL));
	ASSERT(name == NULL);
	ASSERT_EQ(pkg_users_of(&s, "package1", &u, NULL), 2);
	ASSERT_EQ(u[0], 100);
	ASSERT_EQ(u[1], 101);
	free(u);
	ASSERT_OK(pkg_list_packages(&s, &n, NULL));
	ASSERT_EQ(n.n, 2);
	pkg_names_free(&n);
	pkg_script_free(&s);
	cleanup_dir();
	return 0;
}

TEST(run_script_failures)
{
	struct pkg_error e = {0};
	char *out = NULL;
	size_t len;
	const char *p;

	ASSERT_OK(setup_dir());
	p = script("fail", "echo '100 a'\nexit 4\n", 0755);
	ASSERT_ERR(pkg_script_run(p, "--list-all", 5000, &out, &len, &e), EPROTO);
	ASSERT(strstr(e.msg, "status 4"));
	p = script("sig", "kill -TERM $$\n", 0755);
	ASSERT_ERR(pkg_script_run(p, "--list-all", 5000, &out, &len, &e), EPROTO);
	ASSERT(strstr(e.msg, "signal"));
	p = script("noexec", "echo hi\n", 0644);
	ASSERT_ERR(pkg_script_run(p, "--list-all", 5000, &out, &len, &e), EACCES);
	ASSERT(strstr(e.msg, "cannot execute"));
	ASSERT_ERR(pkg_script_run("/nonexistent/script", "--list-all", 5000, &out, &len, &e),
	           ENOENT);
	ASSERT_ERR(pkg_script_run("relative/script", "--list-all", 5000, &out, &len, &e), EINVAL);
	ASSERT(out == NULL);

	/* garbage output: the run succeeds, the parse fails with the script named */
	struct pkg_script s = {
	        .path = (char *)script("garbage", "echo 'this is not a uid list'\n", 0755),
	        .timeout_ms = 5000};
	struct pkg_map m = {0};
	ASSERT_ERR(pkg_list_all(&s, &m, &e), EINVAL);
	ASSERT(strstr(e.msg, "garbage"));
	ASSERT(strstr(e.msg, "line 1"));

	struct pkg_script none = {0};
	ASSERT_ERR(pkg_list_all(&none, &m, &e), ENOENT);
	ASSERT(strstr(e.msg, "CUSTOM_GETPACKAGE_SCRIPT"));
	cleanup_dir();
	return 0;
}

static bool pid_alive(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	char *rp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

TEST(run_script_timeout_kills_group)
{
	struct pkg_error e = {0};
	char *out = NULL, pidfile[128], buf[32];
	const char *p;
	size_t len;
	pid_t bg;
	FILE *f;

	ASSERT_OK(setup_dir());
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", dir);
	/* prints a line, starts a background sleeper (same group), then hangs */
	char body[512];
	snprintf(body, sizeof(body), "echo '100 a'\nsleep 1000 &\necho $! > '%s'\nsleep 1000\n",
	         pidfile);
	p = script("hang", body, 0755);
	ASSERT_ERR(pkg_script_run(p, "--list-all", 300, &out, &len, &e), ETIMEDOUT);
	ASSERT(out == NULL);
	ASSERT(strstr(e.msg, "killed"));
	f = fopen(pidfile, "re");
	ASSERT(f);
	ASSERT(fgets(buf, sizeof(buf), f));
	fclose(f);
	bg = (pid_t)atoi(buf);
	ASSERT(bg > 1);
	/* the background sleeper was in the script's group: killed too (may linger as a zombie
	 * briefly) */
	for (int i = 0; i < 200 && pid_alive(bg); i++)
		usleep(10000);
	ASSERT(!pid_alive(bg));

	/* a script that closes stdout and keeps running also times out */
	p = script("silent", "exec >&-\nsleep 1000\n", 0755);
	ASSERT_ERR(pkg_script_run(p, "--list-all", 300, &out, &len, &e), ETIMEDOUT);
	cleanup_dir();
	return 0;
}

TEST(script_load)
{
	struct pkg_script s = {0};
	struct pkg_error e = {0};
	char path[128];
	FILE *f;

	ASSERT_OK(setup_dir());
	snprintf(path, sizeof(path), "%s/cloudlinux", dir);
	/* missing file: no script */
	ASSERT_OK(pkg_script_load(path, &s, &e));
	ASSERT(s.path == NULL);
	ASSERT_EQ(s.timeout_ms, PKG_TIMEOUT_DEFAULT_MS);

	f = fopen(path, "we");
	ASSERT(f);
	fputs("CUSTOM_GETPACKAGE_SCRIPT=/opt/panel/getpkg\nCUSTOM_GETPACKAGE_TIMEOUT=3\n", f);
	fclose(f);
	ASSERT_OK(pkg_script_load(path, &s, &e));
	ASSERT_STREQ(s.path, "/opt/panel/getpkg");
	ASSERT_EQ(s.timeout_ms, 3000);
	pkg_script_free(&s);

	f = fopen(path, "we");
	fputs("CUSTOM_GETPACKAGE_SCRIPT=getpkg\n", f);
	fclose(f);
	ASSERT_ERR(pkg_script_load(path, &s, &e), EINVAL);
	ASSERT(strstr(e.msg, "absolute"));

	f = fopen(path, "we");
	fputs("CUSTOM_GETPACKAGE_SCRIPT=/x\nCUSTOM_GETPACKAGE_TIMEOUT=soon\n", f);
	fclose(f);
	ASSERT_ERR(pkg_script_load(path, &s, &e), EINVAL);
	ASSERT(strstr(e.msg, "TIMEOUT"));
	f = fopen(path, "we");
	fputs("CUSTOM_GETPACKAGE_SCRIPT=/x\nCUSTOM_GETPACKAGE_TIMEOUT=0\n", f);
	fclose(f);
	ASSERT_ERR(pkg_script_load(path, &s, &e), EINVAL);
	cleanup_dir();
	return 0;
}

TAP_MAIN()
