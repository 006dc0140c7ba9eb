/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lvestats-conf - /etc/sysconfig/lvestats2 parsing: defaults, a real
 * lve-stats 2 file, every openlve key, and every kind of bad input (clear
 * -EINVAL with the line, output untouched).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"
#include "tap.h"

TEST(defaults)
{
	struct lvestats_conf c;
	unsigned line = 99;

	ASSERT_OK(lvestats_conf_parse("", &c, &line));
	ASSERT_EQ(line, 99); /* written on failure only */
	ASSERT_STREQ(c.db_type, "sqlite");
	ASSERT_STREQ(c.server_id, "localhost");
	ASSERT_EQ(c.interval, 5);
	ASSERT_EQ(c.info_period, 5); /* /var/lve/info every 5 s, as lve-stats 2 */
	ASSERT_STREQ(c.mode, "v1");
	ASSERT(!c.hide_lve_more_than_maxuid);
	ASSERT(c.ignored == NULL);
	ASSERT_EQ(c.keep_history_days, 60);
	ASSERT_EQ(c.keep_raw_hours, 24);
	ASSERT_EQ(c.keep_minute_days, 7);
	ASSERT_STREQ(c.sqlite_path, "/var/lve/lvestats2.db");
	ASSERT(c.connect_string == NULL);
	ASSERT(c.prometheus_listen == NULL);
	ASSERT(c.info_file == NULL);
	lvestats_conf_free(&c);
	ASSERT(c.sqlite_path == NULL);
	lvestats_conf_free(&c); /* twice is fine */
	return 0;
}

TEST(cloudlinux_file)
{
	struct lvestats_conf c;

	/* as lve-stats 2 ships it: sqlite keeps the file name in connect_string */
	ASSERT_OK(lvestats_conf_parse("db_type = sqlite\n"
				      "connect_string = /var/lve/lve.db\n"
				      "server_id = localhost\n"
				      "plugins = /usr/share/lve-stats/plugins\n"
				      "db_timeout = 60\n"
				      "timeout = 20\n"
				      "interval = 5\n"
				      "keep_history_days = 60\n"
				      "mode = v1\n"
				      "disable_snapshots = false\n",
				      &c, NULL));
	ASSERT_STREQ(c.sqlite_path, "/var/lve/lve.db");
	ASSERT_STREQ(c.connect_string, "/var/lve/lve.db");
	ASSERT_STREQ(c.ignored, "plugins, db_timeout, timeout");
	ASSERT(!c.disable_snapshots);
	lvestats_conf_free(&c);
	return 0;
}

static int bad(const char *text, unsigned want_line);

/* Every key lve-stats 2 documents parses; those without effect are named once. */
TEST(documented_keys)
{
	struct lvestats_conf c;

	ASSERT_OK(lvestats_conf_parse("db_type=sqlite\n"
				      "connect_string=/var/lve/lvestats2.db\n"
				      "server_id=web1\n"
				      "plugins=/usr/share/lve-stats/plugins\n"
				      "db_timeout=60\n"
				      "timeout=5\n"
				      "interval=5\n"
				      "keep_history_days=60\n"
				      "mode=v2\n"
				      "disable_snapshots=false\n"
				      "hide_lve_more_than_maxuid=true\n"
				      "use_big_uids=false\n"
				      "logging_level=info\n"
				      "some_plugin_option=42\n"
				      "logging_level=debug\n",
				      &c, NULL));
	ASSERT_STREQ(c.mode, "v2");
	ASSERT(c.hide_lve_more_than_maxuid);
	ASSERT_STREQ(c.server_id, "web1");
	ASSERT_STREQ(c.ignored, "plugins, db_timeout, timeout, use_big_uids, "
				"logging_level, some_plugin_option");
	lvestats_conf_free(&c);
	ASSERT_EQ(bad("mode=v3\n", 1), 0);
	ASSERT_EQ(bad("hide_lve_more_than_maxuid=maybe\n", 1), 0);
	return 0;
}

TEST(all_keys)
{
	struct lvestats_conf c;

	ASSERT_OK(lvestats_conf_parse("# central database\r\n"
				      "\n"
				      "   db_type=postgresql\r\n"
				      "connect_string=\"lve:s3cr=t@db.example.com:5433/lvestats\"\n"
				      "server_id='web-01.eu'\n"
				      "interval=1\n"
				      "keep_history_days=36500\n"
				      "keep_raw_hours=8760\n"
				      "keep_minute_days=400\n"
				      "info_period=86400\n"
				      "info_file=/srv/lve/info\n"
				      "prometheus_listen=[::1]:9595\n"
				      "sqlite_path=/srv/lve/db\n",
				      &c, NULL));
	ASSERT_STREQ(c.db_type, "postgresql");
	ASSERT_STREQ(c.connect_string, "lve:s3cr=t@db.example.com:5433/lvestats");
	ASSERT_STREQ(c.server_id, "web-01.eu");
	ASSERT_EQ(c.interval, 1);
	ASSERT_EQ(c.keep_history_days, 36500);
	ASSERT_EQ(c.keep_raw_hours, 8760);
	ASSERT_EQ(c.keep_minute_days, 400);
	ASSERT_EQ(c.info_period, 86400);
	ASSERT_STREQ(c.info_file, "/srv/lve/info");
	ASSERT_STREQ(c.prometheus_listen, "[::1]:9595");
	ASSERT_STREQ(c.sqlite_path, "/srv/lve/db");
	lvestats_conf_free(&c);

	ASSERT_OK(lvestats_conf_parse("prometheus_listen=unix:/run/lved.sock\n", &c, NULL));
	ASSERT_STREQ(c.prometheus_listen, "unix:/run/lved.sock");
	lvestats_conf_free(&c);
	ASSERT_OK(lvestats_conf_parse("prometheus_listen=127.0.0.1:9595\n", &c, NULL));
	ASSERT_STREQ(c.prometheus_listen, "127.0.0.1:9595");
	lvestats_conf_free(&c);
	ASSERT_OK(lvestats_conf_parse("prometheus_listen=off\n", &c, NULL));
	ASSERT(c.prometheus_listen == NULL);
	lvestats_conf_free(&c);
	/* mysql is a valid lve-stats 2 type (the database layer may not serve it) */
	ASSERT_OK(lvestats_conf_parse("db_type=mysql\nconnect_string=u:p@h/d\n", &c, NULL));
	ASSERT_STREQ(c.db_type, "mysql");
	ASSERT_STREQ(c.sqlite_path, "/var/lve/lvestats2.db");
	lvestats_conf_free(&c);
	/* sqlite_path given: connect_string is not a path then */
	ASSERT_OK(lvestats_conf_parse("sqlite_path=/a/b\nconnect_string=whatever\n", &c, NULL));
	ASSERT_STREQ(c.sqlite_path, "/a/b");
	lvestats_conf_free(&c);
	return 0;
}

/* Tiered retention: each horizon within its range, finer ones clamped to the coarser. */
TEST(retention_keys_and_clamping)
{
	static const struct {
		const char *text;
		uint32_t days, minute_days, raw_hours;
	} cases[] = {
		{ "keep_raw_hours=1\nkeep_minute_days=1\nkeep_history_days=1\n", 1, 1, 1 },
		{ "keep_raw_hours=8760\nkeep_minute_days=36500\nkeep_history_days=36500\n", 36500, 36500, 8760 },
		{ "keep_raw_hours = 48\nkeep_minute_days = \"14\"\n", 60, 14, 48 },
		/* defaults clamped to a short history: minutes to 3 days, raw to 72 h -> 24 h default stays */
		{ "keep_history_days=3\n", 3, 3, 24 },
		{ "keep_history_days=1\n", 1, 1, 24 },
		/* given values clamped too */
		{ "keep_history_days=2\nkeep_minute_days=30\n", 2, 2, 24 },
		{ "keep_minute_days=1\nkeep_raw_hours=100\n", 60, 1, 24 },
		{ "keep_minute_days=2\nkeep_raw_hours=8760\n", 60, 2, 48 },
		{ "keep_history_days=1\nkeep_minute_days=36500\nkeep_raw_hours=8760\n", 1, 1, 24 },
		/* order of the lines does not matter */
		{ "keep_raw_hours=8760\nkeep_history_days=5\n", 5, 5, 120 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lvestats_conf c;

		ASSERT_OK(lvestats_conf_parse(cases[i].text, &c, NULL));
		if (c.keep_history_days != cases[i].days || c.keep_minute_days != cases[i].minute_days ||
		    c.keep_raw_hours != cases[i].raw_hours)
			TAP_FAIL("%s: got %u %u %u", cases[i].text, c.keep_history_days, c.keep_minute_days,
				 c.keep_raw_hours);
		ASSERT(c.keep_raw_hours <= 24 * c.keep_minute_days && c.keep_minute_days <= c.keep_history_days);
		lvestats_conf_free(&c);
	}
	return 0;
}

/* text must fail with -EINVAL at `want_line`, leaving the output untouched. */
static int bad(const char *text, unsigned want_line)
{
	struct lvestats_conf c, untouched;
	unsigned line = 12345;
	int r;

	memset(&c, 0x5a, sizeof(c));
	untouched = c;
	r = lvestats_conf_parse(text, &c, &line);
	if (r != -EINVAL) {
		fprintf(stderr, "# %s: got %d\n", text, r);
		return 1;
	}
	if (line != want_line) {
		fprintf(stderr, "# %s: line %u, want %u\n", text, line, want_line);
		return 1;
	}
	if (memcmp(&c, &untouched, sizeof(c))) {
		fprintf(stderr, "# %s: output written on failure\n", text);
		return 1;
	}
	return 0;
}

TEST(bad_values)
{
	static const char *const one_line[] = {
		"interval=0", "interval=3601", "interval=abc", "interval=-5", "interval=", "interval=5s",
		"interval=99999999999999999999", "keep_history_days=0", "keep_history_days=36501", "info_period=0",
		"info_period=86401", "server_id=", "server_id=elevenchars", "server_id=a b", "server_id=a/b",
		"db_type=oracle", "db_type=", "db_type=SQLITE", "info_file=relative", "info_file=/var/../etc/x",
		"info_file=/var/lve/", "sqlite_path=db", "connect_string=", "prometheus_listen=0.0.0.0:9595",
		"prometheus_listen=192.168.1.1:9595", "prometheus_listen=127.0.0.1:0", "prometheus_listen=127.0.0.1:65536",
		"prometheus_listen=127.0.0.1", "prometheus_listen=127.0.0.1:", "prometheus_listen=127.0.0.1:-1",
		"prometheus_listen=[::]:9595", "prometheus_listen=unix:", "prometheus_listen=unix:relative",
		"prometheus_listen=unix:/run/", "prometheus_listen=:9595",
		"prometheus_listen=unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"interval", "=5", "interval=1\x01", "interval=\"5",
		"keep_raw_hours=0", "keep_raw_hours=8761", "keep_raw_hours=-1", "keep_raw_hours=24h",
		"keep_raw_hours=", "keep_raw_hours=1.5", "keep_raw_hours=99999999999999999999", "keep_minute_days=0",
		"keep_minute_days=36501", "keep_minute_days=7d", "keep_minute_days=", "keep_minute_days= 7 x",
	};

	for (size_t i = 0; i < sizeof(one_line) / sizeof(one_line[0]); i++)
		ASSERT_EQ(bad(one_line[i], 1), 0);
	/* the line number counts comments and blank lines */
	ASSERT_EQ(bad("# c\n\ninterval=1\nserver_id=x\ninterval=2\n", 5), 0);     /* duplicate */
	ASSERT_EQ(bad("db_type=sqlite\r\nbogus line\r\n", 2), 0);
	ASSERT_EQ(bad("keep_raw_hours=2\nkeep_minute_days=3\nkeep_raw_hours=2\n", 3), 0);
	ASSERT_EQ(bad("keep_minute_days=3\nkeep_raw_hours=1\nkeep_minute_days=3\n", 3), 0);
	/* whole-file errors: the line of the key they are about (issue 14), 0 when it is missing */
	ASSERT_EQ(bad("db_type=postgresql\n", 0), 0);                         /* no connect_string */
	ASSERT_EQ(bad("db_type=postgresql\nconnect_string=nouser\n", 2), 0);
	ASSERT_EQ(bad("db_type=postgresql\nconnect_string=u:p@host\n", 2), 0);  /* no database */
	ASSERT_EQ(bad("db_type=postgresql\nconnect_string=u@host/db\n", 2), 0); /* no password */
	ASSERT_EQ(bad("db_type=postgresql\nconnect_string=u:p@host:99999/db\n", 2), 0);
	ASSERT_EQ(bad("connect_string=not-a-path\n", 1), 0);                    /* sqlite: a path */
	return 0;
}

TEST(bad_arguments)
{
	struct lvestats_conf c;

	ASSERT_ERR(lvestats_conf_parse(NULL, &c, NULL), EINVAL);
	ASSERT_ERR(lvestats_conf_parse("", NULL, NULL), EINVAL);
	ASSERT_ERR(lvestats_conf_load("/x", NULL, NULL), EINVAL);
	return 0;
}

TEST(load_files)
{
	char dir[] = "/tmp/olt-lsconf-XXXXXX", path[64];
	struct lvestats_conf c;
	unsigned line = 0;
	int fd;

	ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lvestats2", dir);
	ASSERT_ERR(lvestats_conf_load(path, &c, &line), ENOENT);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "interval=7\nserver_id=s1\n", 24), 24);
	close(fd);
	ASSERT_OK(lvestats_conf_load(path, &c, &line));
	ASSERT_EQ(c.interval, 7);
	ASSERT_STREQ(c.server_id, "s1");
	lvestats_conf_free(&c);
	/* a NUL byte in the file: the line it is on */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "interval=7\nserver\0_id=s1\n", 25), 25);
	close(fd);
	ASSERT_ERR(lvestats_conf_load(path, &c, &line), EINVAL);
	ASSERT_EQ(line, 2);
	/* a bad line through the loader */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "interval=7\n\ninterval=8\n", 23), 23);
	close(fd);
	ASSERT_ERR(lvestats_conf_load(path, &c, &line), EINVAL);
	ASSERT_EQ(line, 3);
	/* a directory */
	ASSERT_ERR(lvestats_conf_load(dir, &c, &line), EINVAL);
	ASSERT_EQ(line, 0);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* [issue 14] a libpq key=value connect_string: the error names its line and key */
TEST(connect_string_error_names_line_and_key)
{
	struct lvestats_conf c;
	unsigned line = 0;

	ASSERT_ERR(lvestats_conf_parse("# pg\ndb_type = postgresql\n\nconnect_string = host=db dbname=lve user=x\n"
				       "server_id = s1\n",
				       &c, &line),
		   EINVAL);
	ASSERT_EQ(line, 4);
	ASSERT_STREQ(lvestats_conf_error_key(), "connect_string");
	/* missing altogether: the key, line 0 */
	ASSERT_ERR(lvestats_conf_parse("db_type = postgresql\n", &c, &line), EINVAL);
	ASSERT_EQ(line, 0);
	ASSERT_STREQ(lvestats_conf_error_key(), "connect_string");
	/* a bad value of another key on its line */
	ASSERT_ERR(lvestats_conf_parse("interval = 7\ninterval_x = 1\nkeep_history_days = -1\n", &c, &line), EINVAL);
	/* an unknown key is accepted (lve-stats 2 plugins add their own): the error is the bad value's */
	ASSERT_EQ(line, 3);
	ASSERT_STREQ(lvestats_conf_error_key(), "keep_history_days");
	ASSERT_ERR(lvestats_conf_parse("interval = 7\nkeep_history_days = -1\n", &c, &line), EINVAL);
	ASSERT_EQ(line, 2);
	ASSERT_STREQ(lvestats_conf_error_key(), "keep_history_days");
	/* success clears it */
	ASSERT_OK(lvestats_conf_parse("interval = 7\n", &c, &line));
	ASSERT(lvestats_conf_error_key() == NULL);
	lvestats_conf_free(&c);
	return 0;
}

TAP_MAIN()
