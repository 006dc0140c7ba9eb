/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-notify: fault e-mails (src/stats/notify.c) through a sendmail
 * stand-in that records every message it is given: the first faults mail
 * the customer and the admin at once, later ones wait for the interval and
 * arrive together, only the fault kinds StatsNotifier.cfg names count, the
 * minimum is honoured, templates are used, a failing sendmail is counted,
 * and every bad configuration line is refused with its line number.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "notify.h"
#include "tap.h"

static char dir[200], outdir[260], stub[260];

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f) != 0)
		return -EIO;
	return chmod(path, mode) < 0 ? -errno : 0;
}

static int setup(int exit_code)
{
	char script[2048];
	int r = tap_mktemp(dir, sizeof(dir));

	if (r < 0)
		return r;
	snprintf(outdir, sizeof(outdir), "%s/mail", dir);
	snprintf(stub, sizeof(stub), "%s/sendmail", dir);
	if (mkdir(outdir, 0700) < 0)
		return -errno;
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n# a sendmail stand-in: keeps the arguments and the message\n"
		 "n=$(date +%%s%%N)\necho \"$*\" > %s/args.$n\ncat > %s/msg.$n\nexit %d\n",
		 outdir, outdir, exit_code);
	return write_file(stub, script, 0755);
}

static int conf(struct lve_notify_conf *c, const char *extra)
{
	char text[2048];
	unsigned line = 0;

	snprintf(text, sizeof(text),
		 "NOTIFY_ADMIN=Y\nNOTIFY_CUSTOMER=Y\nNOTIFY_CPU=Y\nNOTIFY_EP=Y\nNOTIFY_IO=N\n"
		 "NOTIFY_INTERVAL_ADMIN=1h\nNOTIFY_INTERVAL_USER=1h\nNOTIFY_FROM_EMAIL=lve@example.test\n"
		 "NOTIFY_FROM_SUBJECT=Limits reached\nREPORT_ADMIN_EMAIL=hostmaster\nSENDMAIL=%s\n"
		 "TEMPLATE_DIR=%s/none\n%s",
		 stub, dir, extra);
	return lve_notify_conf_parse(text, c, &line);
}

/* Wait for the notifier's children, then read every recorded message into one text. */
static int collect(struct lve_notifier *n, char *buf, size_t size, int *count)
{
	struct lve_notify_status st;
	DIR *d;
	struct dirent *de;
	size_t len = 0;

	for (int i = 0; i < 100; i++) {
		lve_notifier_status(n, &st);
		if (!st.running)
			break;
		usleep(50 * 1000);
	}
	*count = 0;
	buf[0] = 0;
	d = opendir(outdir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char p[1200];
		FILE *f;
		size_t k;

		if (strncmp(de->d_name, "msg.", 4))
			continue;
		snprintf(p, sizeof(p), "%s/%s", outdir, de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		k = fread(buf + len, 1, size - len - 1, f);
		fclose(f);
		len += k;
		buf[len] = 0;
		unlink(p);
		(*count)++;
	}
	closedir(d);
	return 0;
}

static struct lve_sample smp(uint32_t id, int64_t ts, uint64_t cpuf, uint64_t epf, uint64_t iof)
{
	return (struct lve_sample){ .id = id, .ts = ts, .interval = 5, .CPUf = cpuf, .EPf = epf, .IOf = iof };
}

TEST(first_fault_mails_at_once_later_ones_after_the_interval)
{
	static char buf[1 << 16];
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_sample x;
	int64_t t = 1700000000;
	int cnt;

	ASSERT_OK(setup(0));
	ASSERT_OK(conf(&c, ""));
	ASSERT_OK(lve_notifier_new(&c, &n));
	x = smp(4242, t, 3, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 2); /* the customer and the admin */
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 2);
	ASSERT(strstr(buf, "To: hostmaster\n"));
	ASSERT(strstr(buf, "To: 4242\n")); /* no such user: its id, delivered locally */
	ASSERT(strstr(buf, "From: lve@example.test\n"));
	ASSERT(strstr(buf, "Subject: Limits reached\n"));
	ASSERT(strstr(buf, "Auto-Submitted: auto-generated\n"));
	/* the fault table: LVE 4242, CPU 3, EP 0 */
	ASSERT(strstr(buf, "4242       4242                   3       0"));
	/* within the hour: collected, not sent */
	x = smp(4242, t + 60, 5, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 0);
	x = smp(4242, t + 120, 0, 2, 7); /* IO faults do not count (NOTIFY_IO=N) */
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 0);
	x = smp(4242, t + 3600, 0, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 2);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 2);
	ASSERT(strstr(buf, "4242       4242                   5       2       0       0       0       0"));
	/* nothing new: nothing more */
	x = smp(4242, t + 7300, 0, 0, 3);
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 0);
	lve_notifier_free(n);
	return 0;
}

TEST(minimum_and_kinds_and_templates)
{
	static char buf[1 << 16];
	char tdir[700], path[800];
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_sample x[2];
	int cnt;

	ASSERT_OK(setup(0));
	snprintf(tdir, sizeof(tdir), "%s/none", dir);
	ASSERT(mkdir(tdir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/user_notify.txt", tdir);
	ASSERT_OK(write_file(path, "Hello {{user}} (LVE {{id}}) on {{hostname}}:\n{{faults}}{{unknown}}\n", 0644));
	ASSERT_OK(conf(&c, "NOTIFY_MIN_FAULTS_USER=10\nNOTIFY_MIN_FAULTS_ADMIN=4\nNOTIFY_USER_DOMAIN=example.test\n"));
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(54321, 1700000000, 4, 0, 0);  /* admin minimum reached, customer's not */
	x[1] = smp(54322, 1700000000, 0, 0, 50); /* IO only: counts for nobody */
	ASSERT_EQ(lve_notifier_pass(n, x, 2), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT(strstr(buf, "To: hostmaster\n") && strstr(buf, "\n54321 ") && !strstr(buf, "\n54322 "));
	x[0] = smp(54321, 1700000100, 6, 0, 0); /* the customer's 10 now */
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT(strstr(buf, "To: 54321@example.test\n"));
	ASSERT(strstr(buf, "Hello 54321 (LVE 54321) on "));
	ASSERT(strstr(buf, "{{unknown}}")); /* unknown keys stay as they are */
	lve_notifier_free(n);
	return 0;
}

TEST(failing_sendmail_is_counted)
{
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_notify_status st;
	struct lve_sample x = smp(4242, 1700000000, 1, 0, 0);

	ASSERT_OK(setup(75));
	ASSERT_OK(conf(&c, ""));
	ASSERT_OK(lve_notifier_new(&c, &n));
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 2);
	for (int i = 0; i < 100; i++) {
		lve_notifier_status(n, &st);
		if (!st.running)
			break;
		usleep(50 * 1000);
	}
	ASSERT_EQ(st.failed, 2);
	ASSERT_EQ(st.sent, 0);
	lve_notifier_free(n);
	/* a sendmail that does not exist */
	snprintf(c.sendmail, sizeof(c.sendmail), "%s/no-sendmail", dir);
	ASSERT_OK(lve_notifier_new(&c, &n));
	ASSERT_EQ(lve_notifier_pass(n, &x, 1), 2);
	for (int i = 0; i < 100; i++) {
		lve_notifier_status(n, &st);
		if (!st.running)
			break;
		usleep(50 * 1000);
	}
	ASSERT_EQ(st.failed, 2);
	lve_notifier_free(n);
	return 0;
}

TEST(bad_configuration_lines)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "NOTIFY_ADMIN=maybe\n", 1 },
		{ "# c\nNOTIFY_INTERVAL_USER=12x\n", 2 },
		{ "NOTIFY_INTERVAL_USER=0\n", 1 },
		{ "NOTIFY_INTERVAL_ADMIN=99d\n", 1 },
		{ "NOTIFY_MIN_FAULTS_USER=0\n", 1 },
		{ "NOTIFY_FROM_EMAIL=a b@c\n", 1 },
		{ "REPORT_ADMIN_EMAIL=<x>\n", 1 },
		{ "REPORT_ADMIN_EMAIL=-oQ/tmp\n", 1 },
		{ "NOTIFY_FROM_SUBJECT=a\x01" "b\n", 1 },
		{ "NOTIFY_CHARSET_EMAIL=utf 8\n", 1 },
		{ "SENDMAIL=sendmail\n", 1 },
		{ "NOTIFY_CPU\n", 1 },
		{ "=Y\n", 1 },
	};
	struct lve_notify_conf c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned line = 0;

		if (lve_notify_conf_parse(bad[i].text, &c, &line) != -EINVAL || line != bad[i].line)
			TAP_FAIL("case %zu accepted or wrong line %u", i, line);
	}
	/* defaults and lve-stats 2 keys without effect here */
	ASSERT_OK(lve_notify_conf_parse("NOTIFY_RESELLER=Y\nNOTIFY_INCLUDE_RESELLER_CUSTOMER=N\nFUTURE_KEY=1\n", &c, NULL));
	ASSERT(!c.admin && !c.customer && c.interval_admin == 43200 && c.min_faults_user == 1);
	ASSERT_STREQ(c.admin_email, "root");
	return 0;
}

TAP_MAIN()
