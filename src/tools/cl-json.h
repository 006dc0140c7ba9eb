/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cl-json.h - what CloudLinux's JSON tools (cloudlinux-statistics,
 * cloudlinux-top, cloudlinux-limits) share: JSON strings, the documented
 * success/error shapes ("result": "success" / the "context" + "result"
 * error object), timestamps, user names and UID_MAX. src/tools/cl-json.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string (quotes, escapes; bytes >= 0x80 are passed through). */
void clj_str(FILE *f, const char *s);
/* Wall-clock time in seconds with microseconds, as the tools' "timestamp". */
double clj_now(void);
/*
 * The error object every cloudlinux-* tool prints on stdout:
 *   {"context": {"error_text": TEXT}, "result": "An error occured: \"%(error_text)s\"",
 *    "timestamp": T}
 * Also one line "TOOL: TEXT" on stderr. Returns exit code 1.
 */
int clj_error(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* User name of uid into buf, "N/A" when no such user (as cloudlinux-top documents). */
void clj_username(uint32_t uid, char *buf, size_t size);
/* UID_MAX of /etc/login.defs (60000 when unset or unreadable; src/shared/logindefs.c). */
uint32_t clj_uid_max(void);
/*
 * Split a list argument "a,b" (also given as several words by the caller)
 * and call fn for each non-empty item; stops at the first negative return.
 */
int clj_each_item(const char *arg, int (*fn)(const char *item, void *ud), void *ud);
/*
 * lve-stats 2's --time-unit: "1h30m", "1d12h", "45m", "90" (minutes without
 * a suffix) -> seconds (> 0); "dynamic" -> 0. -EINVAL otherwise.
 */
int clj_parse_time_unit(const char *s, int64_t *secs);
