/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ubstat.h - OpenVZ's ubstat system call (beancounter statistics with a
 * one-shot periodic signal) as a library function of liblve.so.0, on LVE
 * ids, plus the /proc/user_beancounters-style view of all LVEs.
 * Constants and buffer layouts are those of OpenVZ's include/ub/ub_stat.h;
 * the layouts are those of an LP64 system (x86_64). See ubstat(3).
 */
#ifndef OPENLVE_UBSTAT_H
#define OPENLVE_UBSTAT_H

#ifdef __cplusplus
extern "C" {
#endif

/* ubstat() commands; UBSTAT_READ_ONE is or-ed with the resource id. */
#define UBSTAT_READ_ONE 0x010000
#define UBSTAT_READ_ALL 0x020000
#define UBSTAT_READ_FULL 0x030000
#define UBSTAT_UBLIST 0x040000
#define UBSTAT_UBPARMNUM 0x050000
#define UBSTAT_GETTIME 0x060000

#define UBSTAT_CMD(func) ((func) & 0xF0000)
#define UBSTAT_PARMID(func) ((func) & 0x0FFFF)

/*
 * Beancounter resource ids. Enum constants, not macros, so that a program
 * that defines UB_RESOURCES itself after including this header (as the
 * OpenVZ wiki's demo does: in OpenVZ these come from beancounter.h, not
 * ub_stat.h) compiles without a redefinition warning.
 */
enum {
	UB_KMEMSIZE = 0,
	UB_LOCKEDPAGES = 1,
	UB_PRIVVMPAGES = 2,
	UB_SHMPAGES = 3,
	UB_DUMMY = 4,
	UB_NUMPROC = 5,
	UB_PHYSPAGES = 6,
	UB_VMGUARPAGES = 7,
	UB_OOMGUARPAGES = 8,
	UB_NUMTCPSOCK = 9,
	UB_NUMFLOCK = 10,
	UB_NUMPTY = 11,
	UB_NUMSIGINFO = 12,
	UB_TCPSNDBUF = 13,
	UB_TCPRCVBUF = 14,
	UB_OTHERSOCKBUF = 15,
	UB_DGRAMRCVBUF = 16,
	UB_NUMOTHERSOCK = 17,
	UB_DCACHESIZE = 18,
	UB_NUMFILE = 19,
	UB_NUMIPTENT = 23,
	UB_SWAPPAGES = 24,
	UB_RESOURCES_COMPAT = 24, /* resources /proc/user_beancounters shows (0..23) */
	UB_RESOURCES = 25,        /* what UBSTAT_UBPARMNUM returns */
};

/* Times are in seconds (CLOCK_MONOTONIC, i.e. since boot). */
typedef unsigned long ubstattime_t;

/* UBSTAT_GETTIME */
typedef struct {
	ubstattime_t start_time;
	ubstattime_t end_time;
	ubstattime_t cur_time;
} ubgettime_t;

/* The notification request (ubstat's `notif`). */
typedef struct {
	long maxinterval; /* seconds, more than 1 */
	int signum;       /* signal to send; 0 cancels the caller's request */
} ubnotifrq_t;

/* UBSTAT_READ_ONE / UBSTAT_READ_ALL: {start_time, end_time, param[1 or UB_RESOURCES]} */
typedef struct {
	unsigned long maxheld;
	unsigned long failcnt;
} ubstatparm_t;

/* UBSTAT_READ_FULL: {start_time, end_time, param[UB_RESOURCES]} */
typedef struct {
	unsigned long barrier;
	unsigned long limit;
	unsigned long held;
	unsigned long maxheld;
	unsigned long minheld;
	unsigned long failcnt;
	unsigned long __unused1;
	unsigned long __unused2;
} ubstatparmf_t;

typedef struct {
	ubstattime_t start_time;
	ubstattime_t end_time;
	ubstatparmf_t param[];
} ubstatfull_t;

/*
 * ubstat's notif argument: a pointer to a ubnotifrq_t. With GCC or clang
 * in C it is a transparent union, so callers written for the system call
 * that pass the address as an unsigned long (the wiki demo does) compile
 * unchanged.
 */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__cplusplus)
typedef union {
	void *ptr;
	const ubnotifrq_t *rq;
	unsigned long addr;
} __attribute__((__transparent_union__)) ubstat_notif_t;
#else
typedef void *ubstat_notif_t;
#endif

/*
 * The ubstat system call on LVE ids (luid = LVE id). Returns UB_RESOURCES
 * for UBSTAT_UBPARMNUM, otherwise the number of bytes written to buf (at
 * most size: a short buffer gets the first size bytes; UBSTAT_UBLIST
 * writes whole ids only). -1 with errno: EINVAL (unknown func or resource
 * id, size < 0, notif->maxinterval <= 1, notif->signum not a signal),
 * ENOENT (no LVE luid), EFAULT (buf NULL with size > 0), or an error
 * reading the LVE. notif may be NULL: no change to the notification.
 * The READ and GETTIME commands are async-signal-safe once the process has
 * made one ubstat() call outside a signal handler. See ubstat(3).
 */
long ubstat(int func, unsigned long luid, ubstat_notif_t notif, void *buf, int size);

struct olve;

/*
 * /proc/user_beancounters of every LVE of handle h ("Version: 2.5", the
 * header line, resources 0..23 of each LVE with OpenVZ's 64-bit column
 * widths; the mapping is ubstat's, maxheld is the kernel's lifetime peak
 * where there is one). *out is malloc'd and NUL-terminated; returns its
 * length or a negative errno (openlve.h conventions).
 */
int olve_beancounters_render(struct olve *h, char **out);

#ifdef __cplusplus
}
#endif

#endif
