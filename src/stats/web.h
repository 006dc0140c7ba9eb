/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * web.h - lved's usage page: a small HTTP/1.1 server on a loopback address
 * or unix socket (web_listen in lvestats2(5); off by default; TLS and a
 * public name come from a reverse proxy in front of it, see lved(8)).
 *
 *   GET /, /app.js, /app.css           the page (static files from web_root)
 *   GET /api/whoami?t=TOKEN             what the token may see
 *   GET /api/top?t=&period=|from=&to=&order=&limit=   admin: LVEs over a range
 *   GET /api/lve?t=&id=&period=|from=&to=             one LVE: summary + series
 *   GET /api/chart.svg?t=&id=&period=|from=&to=       its chart (chart.c)
 *   GET /api/snapshots?t=&id=&period=|from=&to=       its incident snapshots, newest 20
 *                                                     (lve-read-snapshot --json shapes)
 *
 * Every /api answer needs a token (webtoken.h): "admin" sees every LVE, an
 * LVE id token sees only that LVE (403 otherwise, also for an expired or
 * forged token). JSON shapes follow cloudlinux-statistics --json where they
 * overlap ("users", "usage"/"faults"/"limits" with {"lve": value}, units:
 * cpu % of one core, pmem/vmem bytes, io bytes/s). The server runs in a
 * thread of its own with its own read-only database handle, at most
 * LVE_WEB_MAX_CONN connections, each with a 10 s deadline and an 8 KiB
 * request limit. src/stats/web.c.
 */
#pragma once

#include <stdint.h>

#include "stats.h"

#define LVE_WEB_MAX_CONN 64
#define LVE_WEB_MAX_DAYS 400 /* longest range an /api request may ask for */

struct lve_web;

struct lve_web_status {
	uint64_t requests;  /* answered */
	uint64_t errors;    /* answered 4xx/5xx */
	uint64_t refused;   /* connections closed unanswered (over LVE_WEB_MAX_CONN, timeouts) */
};

/*
 * Start serving: listen on conf->web_listen, load the secret from
 * conf->web_secret_file (created when missing), serve static files from
 * conf->web_root, read history through conf's database. -EINVAL (no
 * web_listen), -EADDRINUSE, -EPERM (unsafe secret file), ...
 */
int lve_web_start(const struct lvestats_conf *conf, struct lve_web **out);
/* Stop the thread, close everything. NULL is fine. */
void lve_web_stop(struct lve_web *w);
void lve_web_status(struct lve_web *w, struct lve_web_status *out);
