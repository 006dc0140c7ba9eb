/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * snapshot.h - what ran in an LVE when it hit a limit (lve-stats 2's
 * "snapshots", read with lve-read-snapshot(8)).
 *
 * After every pass lved hands the samples to the snapper. A sample with any
 * fault (CPU throttling, EP, PMEM, VMEM, NPROC, IO, IOPS) is part of an
 * incident: faults of one LVE less than period_between_incidents seconds
 * apart are one incident. During an incident the snapper records the LVE's
 * processes (pid, ppid, uid, state, threads, CPU time, RSS, IO bytes,
 * command line), at most snapshots_per_minute per minute and
 * max_snapshots_per_incident per incident (SnapshotSaver.cfg, the names and
 * defaults lve-stats 2 documents: 300, 2, 10). Each snapshot lists at most
 * LVE_SNAP_MAX_PROCS processes, command lines cut at LVE_SNAP_CMD_MAX bytes,
 * and a day file never grows past LVE_SNAP_FILE_MAX: bounded in size and rate.
 *
 * Storage: <dir>/<id>/<YYYY-MM-DD>.snap (UTC day of the snapshot), dirs
 * 0700 and files 0600 (command lines are the customer's business), one
 * record per snapshot, appended in one write(2):
 *
 *   S <ts> <id> <incident_start> <faults: cpu ep pmem vmem nproc io iops>
 *     <usage: cpu(1/100 % of a core) pmem(bytes) ep nproc io(bytes/s) iops> <nprocs> <truncated>
 *   P <pid> <ppid> <uid> <state> <threads> <cpu_ms> <rss_bytes> <read_bytes> <write_bytes> <cmdline>
 *   ...
 *   R <pid> <tid> <when> <text>
 *   ...
 *   E
 *
 * R lines (none in files of older versions): the entries of the LVE that
 * were labelled with olve_annotate(3) (mod_openlve: "METHOD HOST URI") and
 * still running at snapshot time: the labelling pid/tid, when (UNIX
 * seconds), the text escaped like cmdline; at most LVE_SNAP_MAX_REQS.
 *
 * (one line each; cmdline escaped: bytes outside 0x21..0x7e as \xHH, '\' as \\).
 * src/stats/snapshot.c writes and parses it; lve-read-snapshot reads it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"

#define LVE_SNAP_DIR_DEFAULT "/var/lve/snapshots"
#define LVE_SNAP_CONF_DIR_DEFAULT "/etc/sysconfig/lvestats.config"
#define LVE_SNAP_MAX_PROCS 256
#define LVE_SNAP_CMD_MAX 512
#define LVE_SNAP_FILE_MAX (16u << 20)
#define LVE_SNAP_MAX_REQS 64
#define LVE_SNAP_REQ_MAX 480 /* label bytes (olve_annotate keeps 479) */

struct lve_snap_conf {
	const char *dir;                 /* NULL: LVE_SNAP_DIR_DEFAULT */
	bool disabled;                   /* lvestats2 disable_snapshots */
	uint32_t period_between_incidents; /* seconds, default 300 */
	uint32_t snapshots_per_minute;   /* default 2 */
	uint32_t max_snapshots_per_incident; /* default 10 */
};
/*
 * Defaults, then SnapshotSaver.cfg in cfgdir (NULL: the default dir; a
 * missing file keeps the defaults). KEY = VALUE lines, '#' comments;
 * unknown keys are ignored. -EINVAL with *errline for a bad line.
 */
int lve_snap_conf_load(const char *cfgdir, struct lve_snap_conf *out, unsigned *errline);
int lve_snap_conf_parse(const char *text, struct lve_snap_conf *out, unsigned *errline);

struct lve_snapper;
/*
 * The dir must be one only root can change (ol_path_trusted); it is created
 * 0700. A limit of 0 in c means its default (300, 2, 10).
 */
int lve_snapper_new(const struct lve_snap_conf *c, struct lve_snapper **out);
void lve_snapper_free(struct lve_snapper *s);
/*
 * One pass: samples sorted by id (lve_collector_pass). Returns the number
 * of snapshots written, or -errno of the first failure (the others are
 * still tried). h gives the LVEs' cgroups.
 */
int lve_snapper_pass(struct lve_snapper *s, struct olve *h, const struct lve_sample *smp, size_t n);
/* Remove day files older than keep_days before now. Returns files removed. */
int lve_snapper_retention(struct lve_snapper *s, uint32_t keep_days, int64_t now);

/* ------------------------------------------------------------ reading */
struct lve_snap_proc {
	int32_t pid, ppid;
	uint32_t uid;
	char state;
	uint32_t threads;
	uint64_t cpu_ms, rss, read_bytes, write_bytes;
	char cmd[LVE_SNAP_CMD_MAX + 1]; /* unescaped, NUL-terminated (NULs as spaces) */
};
struct lve_snap_req {
	int32_t pid, tid;
	int64_t when;
	char text[LVE_SNAP_REQ_MAX + 1]; /* unescaped, NUL-terminated (NULs as spaces) */
};
struct lve_snap {
	int64_t ts, incident;
	uint32_t id;
	uint64_t faults[7];   /* cpu ep pmem vmem nproc io iops */
	uint64_t usage[6];    /* cpu pmem ep nproc io iops */
	uint32_t nprocs;      /* processes the LVE had (the list may hold fewer) */
	bool truncated;
	size_t nproc;
	struct lve_snap_proc *procs; /* malloc'd */
	size_t nreq;
	struct lve_snap_req *reqs; /* malloc'd */
};
void lve_snap_clear(struct lve_snap *s);
/*
 * Read the next record from f into *out (cleared first). 1 read, 0 end of
 * file, -EINVAL a malformed record (*errline = its first line; the reader
 * may go on with the next call, which skips to the next "S" line).
 */
int lve_snap_read(FILE *f, struct lve_snap *out, unsigned *line);
/* Parse one whole record from text (fuzzing, tests). */
int lve_snap_parse(const char *text, struct lve_snap *out);

/* Every record of LVE id with from <= ts < to, from its day files in dir, in file order. */
struct lve_snaps {
	struct lve_snap *v;
	size_t n, cap;
};
/* 0 or -errno; *bad counts damaged records skipped. Free with lve_snaps_free (also after a failure). */
int lve_snaps_load(const char *dir, uint32_t id, int64_t from, int64_t to, struct lve_snaps *out, int *bad);
void lve_snaps_free(struct lve_snaps *s);
/* "cpu" "ep" "pmem" "vmem" "nproc" "io" "iops": the JSON names of struct lve_snap's faults */
extern const char *const lve_snap_fault_names[7];
/* s as a JSON string (control and non-ASCII bytes as \u00XX) */
void lve_snap_json_str(FILE *f, const char *s);
/* One record as lve-read-snapshot --json prints it (a JSON object, no newline). */
void lve_snap_json(FILE *o, const struct lve_snap *s);
