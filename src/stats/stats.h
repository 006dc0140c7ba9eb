/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats.h - the contract between openlve's statistics parts.
 *
 *   collect.c  sampler: kept dirfds per LVE and hierarchy, pread of the
 *              usage files, deltas -> struct lve_sample          [lved]
 *   info.c     /var/lve/info writer (atomic replace)             [lved]
 *   prom.c     Prometheus text exposition                         [lved]
 *   db.c       history store: SQLite (default) or PostgreSQL,
 *              rollups (minute, hour) and retention               [lved, lveinfo]
 *   lvestats-conf.c  /etc/sysconfig/lvestats2 parsing             [lved, lveinfo]
 *
 * All functions return 0/positive or -errno; outputs written on success only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lve/openlve.h"

/*
 * One LVE over one sampling interval. Rates are averages over the interval;
 * "a" = average usage, "l" = limit (0 = unlimited), "f" = faults during the
 * interval (deltas of the kernel's cumulative counters). Units follow lve-stats 2:
 * CPU in hundredths of a percent of one core (10000 = 1 core, like SPEED),
 * memory in bytes, IO in bytes/s, IOPS in ops/s.
 */
struct lve_sample {
	uint32_t id;
	int64_t ts;       /* end of the interval, unix seconds */
	uint32_t interval;/* seconds covered */
	uint32_t aCPU, lCPU;   uint64_t CPUf;
	uint32_t aEP, lEP;     uint64_t EPf;
	uint64_t aVMem, lVMem; uint64_t VMemF;
	uint64_t aPMem, lPMem; uint64_t PMemF;
	uint32_t aNproc, lNproc; uint64_t NprocF;
	uint64_t aIO, lIO;     uint64_t IOf;     /* bytes/s; lIO in bytes/s */
	uint32_t aIOPS, lIOPS; uint64_t IOPSf;
	uint32_t nprocs;  /* processes (thread groups) now, for lvetop */
	uint32_t nthreads;/* threads now */
};

/* /etc/sysconfig/lvestats2 (lve-stats 2 names). */
struct lvestats_conf {
	char db_type[16];          /* "sqlite" (default), "postgresql" */
	char *connect_string;      /* USER:PASSWORD@HOST[:PORT]/DATABASE (postgresql) */
	char *sqlite_path;         /* default /var/lve/lvestats2.db */
	char server_id[11];        /* <= 10 chars, default "localhost" */
	uint32_t interval;         /* seconds, default 5 */
	uint32_t info_period;      /* seconds between /var/lve/info writes, default 300 */
	uint32_t keep_history_days;/* default 60 */
	char *prometheus_listen;   /* "127.0.0.1:9595" or "unix:/run/lved.sock" or NULL = off */
	char *info_file;           /* default /var/lve/info */
};
int lvestats_conf_load(const char *path, struct lvestats_conf *out);
int lvestats_conf_parse(const char *text, struct lvestats_conf *out);
void lvestats_conf_free(struct lvestats_conf *c);

/* ------------------------------------------------------------ collector */
struct lve_collector;
int lve_collector_new(struct olve *h, struct lve_collector **out);
void lve_collector_free(struct lve_collector *c);
/* One pass over every LVE: fills *out (malloc'd array), returns the count. */
int lve_collector_pass(struct lve_collector *c, int64_t now_usec, struct lve_sample **out);

/* ----------------------------------------------------------------- info */
/* Render /var/lve/info text: default limits line, then one line per sample. */
int lve_info_render(const struct olve_limits *defaults, int ncpus, const struct lve_sample *s,
		    size_t n, char **out, size_t *len);
int lve_info_write(const char *path, const char *text, size_t len);

/* ------------------------------------------------------------------- db */
struct lve_db;
int lve_db_open(const struct lvestats_conf *conf, struct lve_db **out);
void lve_db_close(struct lve_db *db);
/* Store one pass; also maintains minute/hour rollups. */
int lve_db_insert(struct lve_db *db, const struct lve_sample *s, size_t n);
/* Delete history older than keep_history_days. Returns rows removed. */
int lve_db_retention(struct lve_db *db, int64_t now);
