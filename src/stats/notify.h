/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify.h - e-mail when an LVE hits its limits (lve-stats 2's notifier).
 *
 * Configuration: StatsNotifier.cfg in plugin_config_dir, with lve-stats 2's
 * keys and defaults: NOTIFY_ADMIN, NOTIFY_CUSTOMER (Y/N, N),
 * NOTIFY_CPU/IO/IOPS/MEMORY/EP/NPROC (Y/N, N: which faults count),
 * NOTIFY_MIN_FAULTS_ADMIN / _USER (1), NOTIFY_INTERVAL_ADMIN / _USER (12h;
 * "30m", "2h", "1d" or seconds), NOTIFY_FROM_EMAIL, NOTIFY_FROM_SUBJECT,
 * REPORT_ADMIN_EMAIL (default root), NOTIFY_CHARSET_EMAIL (us-ascii);
 * NOTIFY_RESELLER (N: Y sends each reseller a mail about the faults of
 * its customers' LVEs), NOTIFY_INCLUDE_RESELLER_CUSTOMER (N: customer mails
 * go only to the host's own customers, those without a reseller; Y: to
 * resellers' customers too). A reseller mail follows the customers' rule
 * (NOTIFY_MIN_FAULTS_USER, NOTIFY_INTERVAL_USER) and goes to the
 * reseller's login (its id is a uid, lvectl(8)), like a customer's.
 * NOTIFY_RESELLER=Y also mails a reseller when its customers together
 * reached the reseller's own limits (CloudLinux's reseller option "notify
 * me when I hit my limits"): faults of its group lvp<R> fed by
 * lve_notifier_reseller_faults, a mail of their own (header
 * X-Openlve-Reseller-Limits: R, template reseller_limits_notify.txt) with
 * the same rule (NOTIFY_MIN_FAULTS_USER, NOTIFY_INTERVAL_USER, its own
 * interval window). The admin's mail lists LVEs only.
 * Reseller membership: the limits store (limits_file, which lved takes from
 * openlve.conf; empty: nobody has a reseller). openlve's own keys: SENDMAIL
 * (/usr/sbin/sendmail), NOTIFY_USER_DOMAIN (customers and resellers get
 * LOGIN@DOMAIN; unset: local LOGIN), TEMPLATE_DIR (/etc/openlve/emails:
 * admin_notify.txt, user_notify.txt, reseller_notify.txt,
 * reseller_limits_notify.txt).
 *
 * Rule, per recipient (the admin; each customer): the first pass whose
 * counted faults reach the minimum after a quiet interval sends a mail at
 * once; faults after it are collected and sent together when the interval
 * has passed since that mail. So a recipient gets at most one mail per
 * interval, and never waits longer than one interval for news.
 *
 * Mail goes through sendmail(8) ("sendmail -t -i", the message on its
 * standard input), started without waiting; children are reaped by later
 * calls and killed after 60 s. Templates: {{hostname}} {{user}} {{id}}
 * {{from}} {{to}} {{faults}} (a table of LVEs and their fault counts).
 * src/stats/notify.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct lve_notify_conf {
	bool admin, customer, reseller, include_reseller_customer;
	bool cpu, io, iops, mem, ep, nproc;
	uint32_t min_faults_admin, min_faults_user;
	uint32_t interval_admin, interval_user; /* seconds */
	char from[256], subject[256], admin_email[256], charset[32], user_domain[256];
	char sendmail[256], template_dir[256];
	char limits_file[256]; /* not a StatsNotifier key: set by the caller (lved: openlve.conf) */
};
/* Defaults, then StatsNotifier.cfg in cfgdir (NULL: /etc/sysconfig/lvestats.config; missing: defaults). */
int lve_notify_conf_load(const char *cfgdir, struct lve_notify_conf *out, unsigned *errline);
int lve_notify_conf_parse(const char *text, struct lve_notify_conf *out, unsigned *errline);

struct lve_notifier;
int lve_notifier_new(const struct lve_notify_conf *c, struct lve_notifier **out);
void lve_notifier_free(struct lve_notifier *n); /* waits up to 5 s for mails still being sent */
/*
 * Faults of the resellers' own caps (lve_collector_reseller_pass samples,
 * id = reseller), counted for the next lve_notifier_pass, which mails them.
 * Nothing without NOTIFY_RESELLER. 0 or -ENOMEM.
 */
int lve_notifier_reseller_faults(struct lve_notifier *n, const struct lve_sample *s, size_t count);
/* One pass (the samples' ts is the clock). Returns mails started, or -errno (sendmail could not start). */
int lve_notifier_pass(struct lve_notifier *n, const struct lve_sample *s, size_t count);

struct lve_notify_status {
	uint64_t sent;     /* sendmail exited 0 */
	uint64_t failed;   /* sendmail could not start, failed or was killed */
	uint32_t running;
	uint64_t reseller_lookup_failed; /* the store could not be read / untrusted, or a reseller has no login */
	int reseller_lookup_err;         /* -errno of the last such failure */
};
void lve_notifier_status(struct lve_notifier *n, struct lve_notify_status *out);
