/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats.h - the contract between openlve's statistics parts.
 *
 *   collect.c  sampler: kept fds of the usage files per LVE and hierarchy,
 *              pread each pass, deltas -> struct lve_sample      [lved]
 *   info.c     period averages, /var/lve/info render + atomic
 *              replace                                            [lved]
 *   prom.c     Prometheus text exposition and its tiny server     [lved]
 *   db.c       history store: SQLite (default) or PostgreSQL,
 *              rollups (minute, hour, day) and retention          [lved, lveinfo]
 *   lvestats-conf.c  /etc/sysconfig/lvestats2 parsing             [lved, lveinfo]
 *
 * All of it is the static library "olstats" (src/stats/meson.build,
 * olstats_dep); it links liblve's internals statically. Functions return
 * 0/positive or -errno; outputs are written on success only. Nothing here
 * prints. Not thread-safe: one thread drives a collector / period / server.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lve/openlve.h"

/*
 * One LVE over one sampling interval. Rates are averages over the interval;
 * "a" = average usage, "l" = limit (0 = unlimited), "f" = faults during the
 * interval (deltas of the kernel's cumulative counters). Units follow lve-stats 2:
 * CPU in hundredths of a percent of one core (10000 = 1 core, like SPEED),
 * memory in bytes, IO in bytes/s, IOPS in ops/s.
 *
 * Instantaneous values (EP, PMem, VMem, Nproc, nprocs, nthreads) are read at
 * the end of the interval; over a longer period (struct lve_period) they are
 * averaged over the passes.
 *
 * Faults: CPUf = throttled CFS periods (cpu.stat nr_throttled), PMemF =
 * memory.events "max" (v2) / failcnt (v1, at least the OOM kills), NprocF =
 * pids.events "max", EPf and VMemF = liblve's state-file counters, IOf and
 * IOPSf are emulated: 1 for an interval whose average read or write rate
 * reached 95% of the limit (the kernel only throttles, it does not count).
 */
struct lve_sample {
	uint32_t id;
	int64_t ts;       /* end of the interval, unix seconds */
	uint32_t interval;/* seconds covered (>= 1) */
	uint32_t aCPU, lCPU;   uint64_t CPUf;
	uint32_t aEP, lEP;     uint64_t EPf;
	uint64_t aVMem, lVMem; uint64_t VMemF;
	uint64_t aPMem, lPMem; uint64_t PMemF;
	uint32_t aNproc, lNproc; uint64_t NprocF;
	uint64_t aIO, lIO;     uint64_t IOf;     /* bytes/s; lIO in bytes/s */
	uint32_t aIOPS, lIOPS; uint64_t IOPSf;
	uint32_t nprocs;  /* processes (thread groups) now, for lvetop */
	uint32_t nthreads;/* threads now */
	bool quiet;       /* nothing ran in the LVE during the interval (collector): the
			   * store folds identical quiet samples into one raw row */
};

/*
 * /etc/sysconfig/lvestats2 (lve-stats 2 names), see lvestats2(5).
 * KEY=VALUE lines (blanks around '=' allowed, one pair of surrounding
 * quotes stripped), '#' comment lines, blank lines. Keys:
 *   db_type            sqlite | postgresql | mysql
 *   connect_string     USER:PASSWORD@HOST[:PORT]/DATABASE (postgresql, mysql);
 *                      for sqlite an absolute path = sqlite_path
 *   server_id          1..10 of [A-Za-z0-9._-]
 *   interval           seconds between samples, 1..3600
 *   keep_history_days  1..36500: hour and day rollups (and everything)
 *   keep_raw_hours     1..8760: single samples (lve_raw), default 24 (openlve)
 *   keep_minute_days   1..36500: minute rollups, default 7 (openlve)
 *                      A finer horizon never exceeds a coarser one: after
 *                      parsing keep_minute_days is clamped to keep_history_days
 *                      and keep_raw_hours to 24 * keep_minute_days.
 *   info_period        seconds between /var/lve/info writes, 1..86400, default 5
 *                      (lve-stats 2 rewrites it every 5 s; openlve)
 *   info_file          absolute path (openlve; default: openlve.conf's info_file)
 *   prometheus_listen  off | 127.0.0.1:PORT | [::1]:PORT | localhost:PORT |
 *                      unix:/ABSOLUTE/PATH (openlve; default off)
 *   sqlite_path        absolute path (openlve)
 *   mode               v1 | v2: lveinfo's default output mode (-m), default v1
 *   hide_lve_more_than_maxuid  true|false: readers skip LVEs above UID_MAX
 *   web_listen         off | like prometheus_listen: lved's usage page (openlve)
 *   web_root           absolute path: the page's static files (openlve)
 *   web_secret_file    absolute path: the link-signing secret (openlve)
 *   disable_snapshots  true|false: no incident snapshots (lve-stats 2)
 *   snapshot_dir       absolute path: where snapshots are kept (openlve)
 *   plugin_config_dir  absolute path: SnapshotSaver.cfg, StatsNotifier.cfg (openlve)
 *   plugins db_timeout timeout disable_snapshots use_big_uids logging_level
 *   and any other key  accepted without effect, named in `ignored` ("a, b")
 *                      so a tool can warn once; never fatal
 * Duplicate keys, lines without '=' and bad values of the keys above are -EINVAL
 * with *errline = the 1-based line (0 when the error is about the whole
 * file, e.g. postgresql without connect_string).
 */
#define LVESTATS_CONF_DEFAULT "/etc/sysconfig/lvestats2"

struct lvestats_conf {
	char db_type[16];          /* "sqlite" (default), "postgresql", "mysql" */
	char *connect_string;      /* USER:PASSWORD@HOST[:PORT]/DATABASE (postgresql), NULL if unset */
	char *sqlite_path;         /* default /var/lve/lvestats2.db */
	char server_id[11];        /* <= 10 chars, default "localhost" */
	uint32_t interval;         /* seconds, default 5 */
	uint32_t info_period;      /* seconds between /var/lve/info writes, default 5 */
	uint32_t keep_history_days;/* default 60: hour and day rollups */
	uint32_t keep_raw_hours;   /* default 24: lve_raw (0 in a hand-made struct: 24) */
	uint32_t keep_minute_days; /* default 7: lve_minute (0 in a hand-made struct: 7) */
	char *prometheus_listen;   /* "127.0.0.1:9595" or "unix:/run/lved.sock" or NULL = off */
	char *info_file;           /* NULL: openlve.conf's info_file (default /var/lve/info) */
	char mode[4];              /* "v1" (default) or "v2" */
	bool hide_lve_more_than_maxuid;
	char *ignored;             /* keys accepted without effect, "a, b"; NULL: none */
	/* [issue 11] lved's usage page (web.h): off unless web_listen is set */
	char *web_listen;          /* 127.0.0.1:PORT | [::1]:PORT | localhost:PORT | unix:/PATH; NULL = off */
	char *web_root;            /* its static files; NULL = DATADIR/openlve/web */
	char *web_secret_file;     /* link-signing secret; NULL = /etc/openlve/web.secret */
	char *snapshot_dir;        /* incident snapshots (snapshot.h); NULL = /var/lve/snapshots */
	char *plugin_config_dir;   /* SnapshotSaver.cfg, StatsNotifier.cfg; NULL = /etc/sysconfig/lvestats.config */
	bool disable_snapshots;    /* lve-stats 2's disable_snapshots */
};
/*
 * path NULL: LVESTATS_CONF_DEFAULT, and a missing default file gives the
 * built-in defaults; a missing explicit file is -ENOENT. errline may be NULL;
 * it is written on failure only.
 */
int lvestats_conf_load(const char *path, struct lvestats_conf *out, unsigned *errline);
int lvestats_conf_parse(const char *text, struct lvestats_conf *out, unsigned *errline);
void lvestats_conf_free(struct lvestats_conf *c);
/*
 * After a failed lvestats_conf_load/parse in this thread: the key the
 * error is about ("connect_string", ...), NULL when it is not about one
 * key (a line without '=', an unknown key). The line is in *errline (0 for
 * a required key that is missing).
 */
const char *lvestats_conf_error_key(void);

/* ------------------------------------------------------------ collector */
/*
 * Keeps, per LVE and hierarchy, O_RDONLY fds of the usage files and the
 * LVE's state file, and re-reads them with pread each pass. The LVE root
 * is re-listed only when its link count or mtime changes, every
 * LVE_COLLECT_RESCAN passes, or after an LVE vanished. Limits come from
 * olve_get_limits(), cached until the state file's mtime changes or
 * liblve's change log (OLVE_STATE_CHANGES) names the LVE.
 * The first pass that sees an LVE is its baseline (no sample).
 * `h` is borrowed and must outlive the collector.
 */
#define LVE_COLLECT_RESCAN 12
/*
 * fds the collector leaves free under RLIMIT_NOFILE. About 12 fds are kept
 * per LVE (v1; 8 on v2); LVEs beyond the budget are "transient": their
 * files are opened, read and closed in every pass (about 2-3x the cost).
 */
#define LVE_COLLECT_FD_RESERVE 512
struct lve_collector;
int lve_collector_new(struct olve *h, struct lve_collector **out);
void lve_collector_free(struct lve_collector *c);
/*
 * One pass over every LVE: fills *out (malloc'd array, sorted by id; NULL
 * when 0), returns the count. now_usec: CLOCK_REALTIME of the pass in
 * microseconds (stamps lve_sample.ts; rates use CLOCK_MONOTONIC).
 * An LVE whose files cannot be opened at all is skipped and counted in
 * lve_collector_status.
 */
int lve_collector_pass(struct lve_collector *c, int64_t now_usec, struct lve_sample **out);

/*
 * One pass over the resellers' own groups lvp<R> (collect.c): *out gets one
 * sample per group (id = the reseller's id R, malloc'd, sorted by id; NULL
 * when 0), returns the count. Usage is that of all R's customers together;
 * the faults are those of R's own caps (see collect.c), the limits R's
 * (olve_reseller_limits); EP, VMEM and their faults are 0. The first pass
 * that sees a group is its baseline. The ids share no namespace with LVE
 * ids: R's own account may be LVE R as well. Call after
 * lve_collector_pass (a new group is found after its LVE root listing).
 */
int lve_collector_reseller_pass(struct lve_collector *c, int64_t now_usec, struct lve_sample **out);

struct lve_collector_status {
	uint32_t n_lves;     /* LVEs tracked after the last pass */
	uint32_t n_skipped;  /* LVEs that could not be opened in the last pass */
	int last_err;        /* -errno of the last such failure, 0 */
	uint32_t last_err_id;/* its LVE */
	uint64_t n_fds;      /* fds kept open */
	uint32_t n_transient;/* LVEs over the fd budget (raise RLIMIT_NOFILE / LimitNOFILE) */
	uint32_t n_quiet;    /* LVEs read the short way in the last pass (see below) */
	uint64_t n_rescans;  /* LVE root listings so far */
};
void lve_collector_status(const struct lve_collector *c, struct lve_collector_status *out);
/*
 * Quiet LVEs: one with no task now (pids.current / tasks) and no CPU time
 * since the last pass ran nothing, so only its memory charge (and v2
 * io.stat: writeback of its pages) is re-read; every other counter keeps its
 * value (3 reads instead of 12 on v1). set_full(true) reads every file of
 * every LVE in every pass (benchmarks, debugging).
 */
void lve_collector_set_full(struct lve_collector *c, bool full);

/* Pure parsers of kernel files (NUL-terminated text), unit-tested. */
struct lve_cpu_stat {
	uint64_t usage_usec;   /* v2 only */
	uint64_t nr_periods, nr_throttled;
	uint64_t throttled_usec; /* v2 throttled_usec, v1 throttled_time / 1000 */
};
struct lve_mem_events {
	uint64_t low, high, max, oom, oom_kill;
};
struct lve_io_counters {
	uint64_t rbytes, wbytes, rios, wios;
};
/* cpu.stat, v1 or v2 (unknown keys ignored). -EINVAL on a malformed line. */
int lve_parse_cpu_stat(const char *text, struct lve_cpu_stat *out);
/* v2 memory.events. */
int lve_parse_memory_events(const char *text, struct lve_mem_events *out);
/* "key N" line of a flat-keyed file (pids.events, memory.oom_control). -ENOENT when absent. */
int lve_parse_keyed(const char *text, const char *key, uint64_t *out);
/* v2 io.stat summed over devices; returns the number of device lines. */
int lve_parse_io_stat(const char *text, struct lve_io_counters *out);
/*
 * v1 blkio.throttle.io_service_bytes / io_serviced ("MAJ:MIN Read N" lines,
 * "Total N" ignored): Read and Write summed over devices into *rd, *wr.
 * Returns the number of device lines.
 */
int lve_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr);
/* A single number ("max" = 0, i.e. unlimited). */
int lve_parse_u64_or_max(const char *text, uint64_t *out);
/* Number of non-empty lines (cgroup.procs, tasks). */
uint32_t lve_count_lines(const char *text);

/* ----------------------------------------------------------------- info */
/*
 * Averages over an info period: add every pass, take at the period's end.
 * An LVE is in the result when it was active in the period: it had
 * processes, EP, CPU or IO usage or a fault in any of its samples.
 * Averages are weighted by lve_sample.interval over the time the LVE was
 * sampled; limits and nprocs/nthreads are the last ones; faults are summed;
 * ts is the last sample's, interval the seconds covered.
 */
struct lve_period;
int lve_period_new(struct lve_period **out);
void lve_period_free(struct lve_period *p);
int lve_period_add(struct lve_period *p, const struct lve_sample *s, size_t n);
/* Result sorted by id into *out (malloc'd, NULL when 0); returns the count and empties p. */
int lve_period_take(struct lve_period *p, struct lve_sample **out);

/*
 * Render /var/lve/info text (see lved(8)): the default limits line (id 0,
 * usage fields 0), then one line per sample, 20 comma-separated integers:
 *  0 id, 1 EP, 2 EP limit, 3 CPU usage, 4 CPU limit, both in SPEED units
 *  (hundredths of % of one core: 10000 = one core; unlimited = ncpus * 10000;
 *  the usage is never above the limit), 5 VMEM pages, 6 VMEM limit pages, 7 VMEM faults,
 *  8 EP faults, 9 PMEM limit pages, 10 PMEM pages, 11 PMEM faults,
 *  12 NPROC limit, 13 NPROC, 14 NPROC faults, 15 reserved 0, 16 IO KB/s,
 *  17 IO limit KB/s, 18 IOPS limit, 19 IOPS. Pages are 4096 bytes.
 * ncpus >= 1. *out malloc'd (NUL-terminated), *len its length.
 */
#define LVE_INFO_FIELDS 20
int lve_info_render(const struct olve_limits *defaults, int ncpus, const struct lve_sample *s,
		    size_t n, char **out, size_t *len);
/*
 * Atomically replace `path` (absolute) with text: a temp file
 * ".<name>.<tid>.<seq>.tmp" beside it, fsync, rename, fsync of the
 * directory; a reader sees the old or the new file, never a part. The
 * directory is created (mode 0755) when missing; the file gets mode 0644.
 */
int lve_info_write(const char *path, const char *text, size_t len);
/* Remove temp files ".<name>.*.tmp" a killed writer left beside `path`. Returns how many. */
int lve_info_clean_temps(const char *path);

/* ------------------------------------------------------------ prometheus */
/*
 * Prometheus text exposition (version 0.0.4) of the last pass, plus fault
 * and CPU-seconds counters accumulated since the server was created.
 * Served over HTTP/1.0 on prometheus_listen (see lvestats2(5)): one
 * connection at a time, GET /metrics (or /), request <= 8 KiB, 10 s per
 * connection, Connection: close. The caller's poll loop drives it.
 */
struct lve_prom;
/*
 * A listening socket (O_CLOEXEC, O_NONBLOCK) on a loopback address or a
 * unix socket path (the syntax of prometheus_listen); *unix_path gets the
 * malloc'd path of a unix socket (the caller unlinks it), else stays NULL.
 * Shared by the Prometheus endpoint and the usage page (web.c).
 */
int lve_listen_on(const char *spec, int backlog, char **unix_path);
/* listen NULL: no socket (rendering only, for tests). -EINVAL bad address, -EADDRINUSE ... */
int lve_prom_new(const char *listen, struct lve_prom **out);
void lve_prom_free(struct lve_prom *p);
/* Record a pass (samples sorted by id, as lve_collector_pass gives them). */
int lve_prom_update(struct lve_prom *p, const struct lve_sample *s, size_t n, int64_t now_usec);
/* The exposition text of the current state; *out malloc'd. */
int lve_prom_render(const struct lve_prom *p, char **out, size_t *len);
/*
 * Poll integration: lve_prom_pollfd() gives the one fd to poll now
 * (listening socket, or the client being served) and its events, -1 when
 * none; call lve_prom_dispatch() with the revents when it is ready, and
 * also when lve_prom_timeout_ms() (ms until the client times out, -1 none)
 * expires.
 */
int lve_prom_pollfd(const struct lve_prom *p, short *events);
int lve_prom_timeout_ms(const struct lve_prom *p, int64_t now_usec);
int lve_prom_dispatch(struct lve_prom *p, short revents, int64_t now_usec);

/* ------------------------------------------------------------------- db */
struct lve_db;
int lve_db_open(const struct lvestats_conf *conf, struct lve_db **out);
void lve_db_close(struct lve_db *db);
/* Store one pass; also maintains minute/hour rollups. */
int lve_db_insert(struct lve_db *db, const struct lve_sample *s, size_t n);
/* Delete history older than each table's horizon (see below). Returns rows removed. */
int lve_db_retention(struct lve_db *db, int64_t now);

/* ====================================================== db details + query
 * [statsdb: db.c, db-sqlite.c, db-pg.c; used by lved, lveinfo]
 *
 * Backends by conf->db_type: "sqlite" (conf->sqlite_path; WAL journal,
 * synchronous=NORMAL, busy timeout 200 ms, prepared statements kept) or
 * "postgresql" (conf->connect_string, see lve_db_parse_connect_string;
 * every row carries conf->server_id so a fleet reports into one database).
 * "mysql" (conf->connect_string, the same format; db-mysql.c, MySQL or
 * MariaDB through libmariadb; -EOPNOTSUPP in a build without it).
 * Schema: src/stats/db-internal.h.
 *
 * lve_db_open(): a writer's open succeeds even when the database cannot be
 * reached now (server down, file locked): the error shows in
 * lve_db_status() and every lve_db_insert() retries. It fails only for a
 * bad configuration (-EINVAL, -EOPNOTSUPP) or ENOMEM. It returns
 * LVE_DB_RECREATED (positive, *out set) when the SQLite file was corrupt
 * and was moved aside (lve_db_status().moved_aside) and recreated.
 *
 * lve_db_insert(): copies the pass into an in-memory queue, then writes
 * queued passes oldest first, each pass in one transaction (lve_raw plus
 * its minute, hour and day rollups), for at most LVE_DB_FLUSH_BUDGET_MS;
 * what is left waits for the next call. Returns 0, LVE_DB_RECREATED (corrupt file
 * moved aside and recreated during this call; the queue went into the new
 * file), or the -errno of the failed write with the pass kept queued:
 * -EBUSY locked (busy timeout), -ENOSPC disk full, -ECONNREFUSED /
 * -ETIMEDOUT / -ECONNRESET server unreachable or gone, -EACCES denied,
 * -EIO anything else. It never blocks longer than the busy / connect /
 * query timeouts (after a connect that timed out, no new attempt for 15 s:
 * the calls in between fail at once). The queue keeps at most
 * LVE_DB_QUEUE_MAX_AGE seconds (by sample ts) and LVE_DB_QUEUE_MAX_SAMPLES
 * samples; older passes are dropped first (counted in lve_db_status().dropped_samples). A sample
 * whose (server_id, id, ts) is already stored is ignored (rollups too).
 *
 * lve_db_retention(): tiered, each table has its own horizon:
 *   raw     now - keep_raw_hours * 3600      rows with ts < horizon go
 *   minute  now - keep_minute_days * 86400   rows whose bucket ended by it
 *   hour    now - keep_history_days * 86400  (t + 60 / 3600 / 86400 <= horizon)
 *   day     now - keep_history_days * 86400
 * (finer horizons clamped to the coarser ones: they are never older). Only
 * this server_id's rows are deleted. Each table's horizon is recorded in
 * lve_meta ("horizon.<table>.<server_id>", the largest ever used) in the
 * transaction that deletes, so a query knows where each table stops being
 * complete. The work is done in chunks, each its own transaction (a backlog
 * -- the first run after keep_* were lowered -- never becomes one huge
 * transaction), for at most LVE_DB_RETENTION_BUDGET_MS; what is left is
 * flagged in lve_db_status().retention_pending and done by the next call. A
 * chunk the PostgreSQL server cancels (statement timeout) is retried at half
 * the size. Every call does at least one chunk. Returns the rows removed
 * from the four tables together.
 */
#define LVE_DB_RECREATED 1
#define LVE_DB_FLUSH_BUDGET_MS 1000
#define LVE_DB_QUEUE_MAX_AGE 3600
#define LVE_DB_QUEUE_MAX_SAMPLES 800000
#define LVE_DB_RETENTION_BUDGET_MS 5000

/* lve_db_open_flags(): LVE_DB_READONLY for readers (lveinfo): no schema
 * creation, no recovery, no queue; it connects at the first lve_db_query(),
 * whose error then has the backend's text in lve_db_errmsg(). */
#define LVE_DB_READONLY 0x1
int lve_db_open_flags(const struct lvestats_conf *conf, unsigned flags, struct lve_db **out);

/* Write queued passes now, within budget_ms (0: no bound). Passes left, or -errno. */
int lve_db_flush(struct lve_db *db, int64_t budget_ms);

struct lve_db_status {
	size_t queued_passes;     /* passes waiting in memory */
	size_t queued_samples;
	uint64_t dropped_samples; /* discarded: queue over its bound */
	uint64_t stored_passes;   /* written since open */
	uint64_t recreated;       /* corrupt files moved aside since open */
	bool retention_pending;   /* the last lve_db_retention() ran out of time: call again soon */
	int last_error;           /* -errno of the last failed write, 0 after a success */
	char message[256];        /* backend text of the last error, "" */
	char moved_aside[4096];   /* where the last corrupt file went, "" */
};
void lve_db_status(const struct lve_db *db, struct lve_db_status *out);

/* Timeouts and queue bounds (tests, lved tuning). 0 keeps a value. */
struct lve_db_tuning {
	int busy_ms;          /* SQLite busy timeout, default 200 */
	int connect_ms;       /* PostgreSQL connect deadline, default 2000 */
	int query_ms;         /* PostgreSQL statement deadline, default 3000 (readers 30000) */
	size_t queue_max_samples;
	int64_t queue_max_age;/* seconds */
	int retention_budget_ms; /* lve_db_retention() time budget, default LVE_DB_RETENTION_BUDGET_MS */
	int retention_chunks;    /* at most this many chunks that delete rows per call, default unlimited */
};
int lve_db_tune(struct lve_db *db, const struct lve_db_tuning *t);

/*
 * Columns of lveinfo (lve-stats 2 aliases). For resource r = CPU, EP,
 * VMem, PMem, Nproc, IO, IOPS (0..6): 3r = average usage, 3r+1 = limit
 * (max over the range; 0 = unlimited), 3r+2 = faults (sum). anyF = all
 * faults. Values in struct lve_sample units: CPU hundredths of a percent
 * of one core, memory bytes, IO bytes/s, IOPS ops/s, EP/Nproc counts.
 */
enum lve_col {
	LVE_COL_ACPU, LVE_COL_LCPU, LVE_COL_CPUF,
	LVE_COL_AEP, LVE_COL_LEP, LVE_COL_EPF,
	LVE_COL_AVMEM, LVE_COL_LVMEM, LVE_COL_VMEMF,
	LVE_COL_APMEM, LVE_COL_LPMEM, LVE_COL_PMEMF,
	LVE_COL_ANPROC, LVE_COL_LNPROC, LVE_COL_NPROCF,
	LVE_COL_AIO, LVE_COL_LIO, LVE_COL_IOF,
	LVE_COL_AIOPS, LVE_COL_LIOPS, LVE_COL_IOPSF,
	LVE_COL_ANYF,
	LVE_COL__MAX,
};
#define LVE_RES__MAX 7
/* "aCPU" ...; NULL out of range. */
const char *lve_col_alias(int col);
/* Alias -> enum lve_col (case-insensitive), -EINVAL unknown. */
int lve_col_parse(const char *alias);

struct lve_agg {
	uint32_t id;
	uint64_t n;               /* samples aggregated */
	double v[LVE_COL__MAX];
};

/*
 * Per-LVE aggregates over [from, to) (unix seconds, by sample ts): average
 * usage over the samples, max limit, sum of faults. The range is split so
 * each part is read from the coarsest table that covers it exactly: whole
 * UTC days from lve_day, whole hours at the edges from lve_hour, whole
 * minutes from lve_minute, the rest from lve_raw. server_id NULL: the handle's. id 0: every LVE.
 * *out malloc'd, sorted by id (NULL when 0); returns the count.
 * -EINVAL from > to or a bad server_id.
 *
 * Exact for any range, also across the retention horizons: the horizons
 * recorded by lve_db_retention() are read in the query's own snapshot, and
 * a part older than a table's horizon is read from the next coarser table
 * that still holds it whole. Where that table's buckets do not fit the
 * range, the range is widened outward to them: from is rounded down to
 * the bucket of the finest table that still holds it (a minute when older
 * than the raw horizon, an hour when older than the minute horizon, a day
 * in the last partial day before the hour horizon) and to is rounded up,
 * to the finest bucket that keeps every part exact (at most the one of
 * from). A from older than everything kept becomes the start of the oldest
 * day kept. lve_db_query_span() reports the range actually aggregated
 * (used->to >= to; used->from <= from unless from was older than all
 * history; used->from = used->to = to when nothing of the range is kept);
 * lve_db_query() is it with used NULL.
 * Ranges are clamped to +-2^62 seconds.
 */
struct lve_query {
	const char *server_id;
	int64_t from, to;
	uint32_t id;
};
struct lve_query_span {
	int64_t from, to; /* half-open */
};
int lve_db_query(struct lve_db *db, const struct lve_query *q, struct lve_agg **out);
int lve_db_query_span(struct lve_db *db, const struct lve_query *q, struct lve_agg **out,
		      struct lve_query_span *used);
/* The backend's text of the last error ("" none); valid until the next call. */
const char *lve_db_errmsg(const struct lve_db *db);

/*
 * Times for lveinfo, local time zone:
 *   lve_parse_time: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (also 'T'),
 *                   "@EPOCH", "now".
 *   lve_parse_period: "N" + s|m|h|d (N >= 1) = [now - N*unit, now + 1),
 *                   "today" = [local midnight, now + 1),
 *                   "yesterday" = [midnight of yesterday, midnight).
 * Ranges are half-open. -EINVAL on anything else or overflow.
 */
int lve_parse_time(const char *s, int64_t now, int64_t *out);
int lve_parse_period(const char *s, int64_t now, int64_t *from, int64_t *to);

/*
 * connect_string USER:PASSWORD@HOST[:PORT]/DATABASE, strictly: USER
 * non-empty without ':' '@' '/'; PASSWORD anything printable (may be empty,
 * may hold ':' '@'); HOST a name/IPv4 or [IPv6]; PORT 1..65535; DATABASE
 * non-empty of [A-Za-z0-9_.-]. No blanks or control characters.
 */
struct lve_pg_conninfo {
	char user[64];
	char password[256];
	char host[256];
	char port[6];   /* "" = default 5432 */
	char dbname[64];
};
int lve_db_parse_connect_string(const char *s, struct lve_pg_conninfo *out);
