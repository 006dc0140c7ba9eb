/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-notify: fault e-mails (src/stats/notify.c) through a sendmail
 * stand-in that records every message it is given: the first faults mail
 * the customer and the admin at once, later ones wait for the interval and
 * arrive together, only the fault kinds StatsNotifier.cfg names count, the
 * minimum is honoured, templates are used, a failing sendmail is counted,
 * and every bad configuration line is refused with its line number.
 * Resellers (NOTIFY_RESELLER, NOTIFY_INCLUDE_RESELLER_CUSTOMER) from a
 * limits store written as lvectl writes it: one mail per reseller naming
 * its faulting customers, none when off, none for customers without one,
 * and a broken store or a reseller without a login is counted, not fatal.
 */
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>

#include "limits-store.h"
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
		 "n=$(date +%%s%%N).$$\necho \"$*\" > %s/args.$n\ncat > %s/msg.$n\nexit %d\n",
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
	/* defaults, the reseller keys and lve-stats 2 keys without effect here */
	ASSERT_OK(lve_notify_conf_parse("NOTIFY_RESELLER=Y\nNOTIFY_INCLUDE_RESELLER_CUSTOMER=N\nFUTURE_KEY=1\n", &c, NULL));
	ASSERT(!c.admin && !c.customer && c.interval_admin == 43200 && c.min_faults_user == 1);
	ASSERT(c.reseller && !c.include_reseller_customer && !c.limits_file[0]);
	ASSERT_OK(lve_notify_conf_parse("", &c, NULL));
	ASSERT(!c.reseller && !c.include_reseller_customer);
	if (lve_notify_conf_parse("NOTIFY_RESELLER=sometimes\n", &c, NULL) != -EINVAL)
		TAP_FAIL("NOTIFY_RESELLER=sometimes accepted");
	ASSERT_STREQ(c.admin_email, "root");
	return 0;
}

/*
 * The limits store: reseller 65534 ("nobody" on Debian: a login to mail)
 * with customers 4301 and 4302; reseller 4000000001 (no such user) with
 * customer 4303; LVE 4400 has no reseller.
 */
#define RES_UID 65534u
static int store(char *path, size_t size, char *nobody, size_t nsize)
{
	const struct olve_limits d = { .mask = OLVE_L_NPROC, .nproc = 100 };
	const struct olve_store_entry v[] = {
		{ .id = 4301, .limits = d, .reseller = RES_UID },
		{ .id = 4302, .limits = d, .reseller = RES_UID },
		{ .id = 4303, .limits = d, .reseller = 4000000001u },
		{ .id = 4400, .limits = d },
	};
	const struct olve_store_entry res[] = { { .id = RES_UID, .limits = d }, { .id = 4000000001u, .limits = d } };
	struct passwd *pw = getpwuid(RES_UID);

	if (!pw)
		return -ENOENT;
	snprintf(nobody, nsize, "%s", pw->pw_name);
	if (getpwuid(4000000001u))
		return -EEXIST;
	snprintf(path, size, "%s/limits", dir);
	return olve_store_write_resellers(path, &d, v, ELEMENTSOF(v), res, ELEMENTSOF(res));
}

static int count_of(const char *buf, const char *needle)
{
	int k = 0;

	for (const char *p = buf; (p = strstr(p, needle)); p++)
		k++;
	return k;
}

TEST(reseller_gets_one_mail_naming_its_faulting_customer)
{
	static char buf[1 << 16];
	char path[220], nobody[64], to[100];
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_notify_status st;
	struct lve_sample x[3];
	int cnt;

	ASSERT_OK(setup(0));
	ASSERT_OK(store(path, sizeof(path), nobody, sizeof(nobody)));
	snprintf(to, sizeof(to), "To: %s\n", nobody);
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=Y\n"));
	snprintf(c.limits_file, sizeof(c.limits_file), "%s", path);
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4301, 1700000000, 3, 0, 0); /* the reseller's customer that faulted */
	x[1] = smp(4302, 1700000000, 0, 0, 0); /* its other customer: quiet */
	x[2] = smp(4400, 1700000000, 2, 0, 0); /* the host's own customer */
	/* customer 4400, reseller, admin; 4301 is a reseller's customer (INCLUDE_RESELLER_CUSTOMER=N) */
	ASSERT_EQ(lve_notifier_pass(n, x, 3), 3);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 3);
	ASSERT_EQ(count_of(buf, to), 1);
	ASSERT_EQ(count_of(buf, "X-Openlve-Reseller: 65534\n"), 1);
	ASSERT(strstr(buf, "To: 4400\n") && !strstr(buf, "To: 4301\n") && !strstr(buf, "To: 4302\n"));
	{
		/* the reseller's mail names 4301 only */
		const char *m = strstr(buf, "X-Openlve-Reseller:"), *end;

		ASSERT(m);
		end = strstr(m, "\nFrom: ");
		ASSERT(strstr(m, "\n4301       4301                   3       0"));
		ASSERT(!strstr(m, "\n4302 ") || (end && strstr(m, "\n4302 ") > end));
		ASSERT(!strstr(m, "\n4400 ") || (end && strstr(m, "\n4400 ") > end));
		ASSERT(strstr(m, "your customers"));
	}
	/* within NOTIFY_INTERVAL_USER: collected, then sent together */
	x[0] = smp(4301, 1700000060, 1, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 0);
	x[0] = smp(4302, 1700003600, 0, 4, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 2); /* the reseller and the admin */
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 2);
	ASSERT_EQ(count_of(buf, to), 1);
	ASSERT(strstr(buf, "\n4301       4301                   1       0") &&
	       strstr(buf, "\n4302       4302                   0       4"));
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 0);
	lve_notifier_free(n);

	/* NOTIFY_RESELLER=N: no reseller mail; INCLUDE_RESELLER_CUSTOMER=Y: 4301 gets its own */
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=N\nNOTIFY_INCLUDE_RESELLER_CUSTOMER=Y\n"));
	snprintf(c.limits_file, sizeof(c.limits_file), "%s", path);
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4301, 1700000000, 3, 0, 0);
	x[1] = smp(4400, 1700000000, 2, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 2), 3);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 3);
	ASSERT_EQ(count_of(buf, to), 0);
	ASSERT(!strstr(buf, "X-Openlve-Reseller"));
	ASSERT(strstr(buf, "To: 4301\n") && strstr(buf, "To: 4400\n") && strstr(buf, "To: hostmaster\n"));
	lve_notifier_free(n);

	/* only a customer without reseller faulting: no reseller mail */
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=Y\nNOTIFY_ADMIN=N\nNOTIFY_CUSTOMER=N\n"));
	snprintf(c.limits_file, sizeof(c.limits_file), "%s", path);
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4400, 1700000000, 9, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 0);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 0);
	/* reseller mails alone work (NOTIFY_ADMIN=N, NOTIFY_CUSTOMER=N) */
	x[0] = smp(4302, 1700000010, 1, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT(strstr(buf, to) && strstr(buf, "\n4302 "));
	lve_notifier_free(n);
	return 0;
}

/* Faults of a reseller's own caps (its group lvp<R>): a mail of their own, the customers' rule. */
TEST(reseller_own_limits_get_their_own_mail)
{
	static char buf[1 << 16];
	char path[220], nobody[64], to[100], row[200];
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_notify_status st;
	struct lve_sample r[2], x[1];
	int cnt;

	ASSERT_OK(setup(0));
	ASSERT_OK(store(path, sizeof(path), nobody, sizeof(nobody)));
	snprintf(to, sizeof(to), "To: %s\n", nobody);
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=Y\nNOTIFY_ADMIN=N\nNOTIFY_CUSTOMER=N\n"));
	snprintf(c.limits_file, sizeof(c.limits_file), "%s", path);
	ASSERT_OK(lve_notifier_new(&c, &n));
	/* the reseller's group was throttled 5 times; a quiet reseller group beside it */
	r[0] = smp(RES_UID, 1700000000, 5, 0, 0);
	r[1] = smp(4000000001u, 1700000000, 0, 0, 0);
	ASSERT_EQ(lve_notifier_reseller_faults(n, r, 2), 0);
	/* a pass without any LVE sample still sends it: its clock is the reseller samples' */
	ASSERT_EQ(lve_notifier_pass(n, NULL, 0), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT_EQ(count_of(buf, to), 1);
	ASSERT(strstr(buf, "X-Openlve-Reseller-Limits: 65534\n"));
	ASSERT(!strstr(buf, "X-Openlve-Reseller: ") && !strstr(buf, "X-Openlve-LVE"));
	snprintf(row, sizeof(row), "\n%-10u %-16s %7u %7u", RES_UID, nobody, 5u, 0u);
	ASSERT(strstr(buf, row));
	ASSERT(strstr(buf, "reached your reseller limits"));
	/* within NOTIFY_INTERVAL_USER: collected; a customer's fault is a separate mail */
	r[0] = smp(RES_UID, 1700000060, 2, 0, 0);
	ASSERT_EQ(lve_notifier_reseller_faults(n, r, 1), 0);
	x[0] = smp(4301, 1700000060, 1, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 1); /* the customers' mail (its own window) */
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT(strstr(buf, "X-Openlve-Reseller: 65534\n") && !strstr(buf, "X-Openlve-Reseller-Limits"));
	r[0] = smp(RES_UID, 1700003600, 1, 0, 0);
	ASSERT_EQ(lve_notifier_reseller_faults(n, r, 1), 0);
	ASSERT_EQ(lve_notifier_pass(n, NULL, 0), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	snprintf(row, sizeof(row), "\n%-10u %-16s %7u %7u", RES_UID, nobody, 3u, 0u); /* 2 + 1 */
	ASSERT(strstr(buf, "X-Openlve-Reseller-Limits: 65534\n") && strstr(buf, row));
	/* a reseller without a login: no address, counted, no mail */
	r[0] = smp(4000000001u, 1700003605, 4, 0, 0);
	ASSERT_EQ(lve_notifier_reseller_faults(n, r, 1), 0);
	ASSERT_EQ(lve_notifier_pass(n, NULL, 0), 0);
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 1);
	ASSERT_EQ(st.reseller_lookup_err, -ENOENT);
	lve_notifier_free(n);

	/* NOTIFY_RESELLER=N: nothing about a reseller's own limits (the admin's mail lists LVEs only) */
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=N\n"));
	ASSERT_OK(lve_notifier_new(&c, &n));
	r[0] = smp(RES_UID, 1700000000, 5, 0, 0);
	ASSERT_EQ(lve_notifier_reseller_faults(n, r, 1), 0);
	ASSERT_EQ(lve_notifier_pass(n, NULL, 0), 0);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 0);
	lve_notifier_free(n);
	return 0;
}

TEST(bad_reseller_data_is_counted_not_fatal)
{
	static char buf[1 << 16];
	char path[220], nobody[64], to[100];
	struct lve_notify_conf c;
	struct lve_notifier *n = NULL;
	struct lve_notify_status st;
	struct lve_sample x[2];
	int cnt;

	ASSERT_OK(setup(0));
	ASSERT_OK(store(path, sizeof(path), nobody, sizeof(nobody)));
	snprintf(to, sizeof(to), "To: %s\n", nobody);
	ASSERT_OK(conf(&c, "NOTIFY_RESELLER=Y\n"));
	snprintf(c.limits_file, sizeof(c.limits_file), "%s", path);
	/* a reseller without a login: no address, counted; the admin still gets the mail */
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4303, 1700000000, 5, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 1);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 1);
	ASSERT(strstr(buf, "To: hostmaster\n") && !strstr(buf, "X-Openlve-Reseller"));
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 1);
	ASSERT_EQ(st.reseller_lookup_err, -ENOENT);
	lve_notifier_free(n);

	/* a malformed store: lookups fail and are counted; mails as if nobody had a reseller */
	ASSERT_OK(write_file(path, "OLVELIM garbage, not a limits store\n", 0644));
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4301, 1700000000, 3, 0, 0);
	x[1] = smp(4400, 1700000000, 2, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 2), 3); /* 4301 and 4400 as customers, the admin */
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(cnt, 3);
	ASSERT(!strstr(buf, "X-Openlve-Reseller") && strstr(buf, "To: 4301\n"));
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 2);
	ASSERT_EQ(st.reseller_lookup_err, -EBADMSG);
	lve_notifier_free(n);

	/* a store others may write is not read (pathsafe.h): counted, no reseller mail */
	ASSERT_OK(store(path, sizeof(path), nobody, sizeof(nobody)));
	ASSERT(chmod(path, 0666) == 0);
	ASSERT_OK(lve_notifier_new(&c, &n));
	x[0] = smp(4301, 1700000000, 3, 0, 0);
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 2);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	ASSERT_EQ(count_of(buf, to), 0);
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 1);
	ASSERT_EQ(st.reseller_lookup_err, -EPERM);
	lve_notifier_free(n);

	/* no store at all: nobody has a reseller, nothing counted */
	ASSERT(unlink(path) == 0);
	ASSERT_OK(lve_notifier_new(&c, &n));
	ASSERT_EQ(lve_notifier_pass(n, x, 1), 2);
	ASSERT_OK(collect(n, buf, sizeof(buf), &cnt));
	lve_notifier_status(n, &st);
	ASSERT_EQ(st.reseller_lookup_failed, 0);
	lve_notifier_free(n);
	return 0;
}

TAP_MAIN()
