/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openlve cgroup library: error codes (libcgroup 3.x <libcgroup/error.h>).
 * Include <lve/libcgroup.h>, not this file.
 *
 * Every int-returning function returns 0 on success and a positive ECG*
 * code (>= 50000) on failure; ECGOTHER means "see cgroup_get_last_errno()".
 */
#ifndef OPENLVE_LIBCGROUP_ERROR_H
#define OPENLVE_LIBCGROUP_ERROR_H

#ifndef _LIBCGROUP_H_INSIDE
#error "Only <lve/libcgroup.h> should be included directly."
#endif

#include <features.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	ECGROUPNOTCOMPILED = 50000,
	ECGROUPNOTMOUNTED,         /* 50001 */
	ECGROUPNOTEXIST,           /* 50002 */
	ECGROUPNOTCREATED,         /* 50003 */
	ECGROUPSUBSYSNOTMOUNTED,   /* 50004 */
	ECGROUPNOTOWNER,           /* 50005 */
	ECGROUPMULTIMOUNTED,       /* 50006 */
	ECGROUPNOTALLOWED,         /* 50007 */
	ECGMAXVALUESEXCEEDED,      /* 50008 */
	ECGCONTROLLEREXISTS,       /* 50009 */
	ECGVALUEEXISTS,            /* 50010 */
	ECGINVAL,                  /* 50011 */
	ECGCONTROLLERCREATEFAILED, /* 50012 */
	ECGFAIL,                   /* 50013 */
	ECGROUPNOTINITIALIZED,     /* 50014 */
	ECGROUPVALUENOTEXIST,      /* 50015 */
	ECGOTHER,                  /* 50016: see cgroup_get_last_errno() */
	ECGROUPNOTEQUAL,           /* 50017 */
	ECGCONTROLLERNOTEQUAL,     /* 50018 */
	ECGROUPPARSEFAIL,          /* 50019 */
	ECGROUPNORULES,            /* 50020 */
	ECGMOUNTFAIL,              /* 50021 */
	ECGSENTINEL,               /* 50022: reserved */
	ECGEOF = 50023,            /* 50023: end of an iterator, not an error */
	ECGCONFIGPARSEFAIL,        /* 50024 */
	ECGNAMESPACEPATHS,         /* 50025 */
	ECGNAMESPACECONTROLLER,    /* 50026 */
	ECGMOUNTNAMESPACE,         /* 50027 */
	ECGROUPUNSUPP,             /* 50028 */
	ECGCANTSETVALUE,           /* 50029 */
	ECGNONEMPTY,               /* 50030 */
};

/* Legacy name of ECGROUPPARSEFAIL. */
#define ECGRULESPARSEFAIL ECGROUPPARSEFAIL

/* English text of an ECG* code; for ECGOTHER strerror(cgroup_get_last_errno()). */
const char *cgroup_strerror(int code);
/* The errno behind the calling thread's last ECGOTHER. */
int cgroup_get_last_errno(void);

#ifdef __cplusplus
}
#endif

#endif
