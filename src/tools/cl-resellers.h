/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cl-resellers.h - reseller membership for the read-only JSON tools
 * (cloudlinux-top, cloudlinux-statistics), from the limits store lvectl
 * compiles from ve.cfg (limits-store.h): no XML parser needed. A reseller's
 * name is the login of the user whose uid is its id (lvectl(8), RESELLER
 * LIMITS).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lve/openlve.h"

/* The reseller of LVE id (0 = none, or no store). */
uint32_t clr_reseller_of(uint32_t id);
/*
 * A reseller by login or id with reseller limits: *rid and its caps (*lim,
 * with OLVE_L_* in mask). -ENOENT: not a reseller (or one removed).
 */
int clr_reseller_arg(const char *arg, uint32_t *rid, struct olve_limits *lim);
/* The reseller's name (its login, else the id as text). */
void clr_name(uint32_t rid, char *buf, size_t size);
