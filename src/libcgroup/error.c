/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * error.c - libcgroup's ECG* codes: the thread's last errno, the mapping of
 * internal -errno results to ECG* codes, and cgroup_strerror().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cg-internal.h"

/* The errno behind the calling thread's last ECGOTHER (or other mapped) failure. */
static _Thread_local int cg_last_errno;

/* Per-thread buffer for messages that are built at run time. */
#define CG_ERRBUF_SIZE 256
static _Thread_local char cg_errbuf[CG_ERRBUF_SIZE];

/* libcgroup 3.x's texts, verbatim: programs and scripts compare them. */
static const char *const cg_messages[] = {
	"Cgroup is not compiled in",
	"Cgroup is not mounted",
	"Cgroup does not exist",
	"Cgroup has not been created",
	"Cgroup one of the needed subsystems is not mounted",
	"Cgroup, request came in from non owner",
	"Cgroup controllers are bound to different mount points",
	"Cgroup, operation not allowed",
	"Cgroup value set exceeds maximum",
	"Cgroup controller already exists",
	"Cgroup value already exists",
	"Cgroup invalid operation",
	"Cgroup, creation of controller failed",
	"Cgroup operation failed",
	"Cgroup not initialized",
	"Cgroup, requested group parameter does not exist",
	"Cgroup generic error",
	"Cgroup values are not equal",
	"Cgroup controllers are different",
	"Cgroup parsing failed",
	"Cgroup, rules file does not exist",
	"Cgroup mounting failed",
	"",
	"End of File or iterator",
	"Failed to parse config file",
	"Have multiple paths for the same namespace",
	"Controller in namespace does not exist",
	"Either mount or namespace keyword has to be specified in the configuration file",
	"This kernel does not support this feature",
	"Value setting does not succeed",
	"Failed to remove a non-empty group",
};

_Static_assert(ELEMENTSOF(cg_messages) == ECGNONEMPTY - ECGROUPNOTCOMPILED + 1,
	       "one message per ECG* code");

static void cg_set_last_errno(int err)
{
	if (err == INT_MIN)
		err = EIO;
	cg_last_errno = err < 0 ? -err : err;
}

_hidden_ int cg_fail_errno(int err)
{
	cg_set_last_errno(err);
	return ECGOTHER;
}

_hidden_ int cg_ecg_from_errno(int neg_errno)
{
	int e;

	if (neg_errno == 0)
		return 0;
	/* Already an ECG* code: pass it through unchanged. */
	if (neg_errno >= ECGROUPNOTCOMPILED && neg_errno <= ECGNONEMPTY)
		return neg_errno;

	cg_set_last_errno(neg_errno);
	e = cg_last_errno;
	switch (e) {
	case ENOENT:
		return ECGROUPNOTEXIST;
	case EPERM:
	case EACCES:
		return ECGROUPNOTOWNER;
	case EINVAL:
	case ENAMETOOLONG:
	case ELOOP:
	case EXDEV:
		return ECGINVAL;
	case EBUSY:
	case ENOTEMPTY:
		return ECGNONEMPTY;
	case ENOMEM:
		return ECGFAIL;
	default:
		return ECGOTHER;
	}
}

static const char *cg_errno_text(int e)
{
	/* GNU strerror_r: returns either a static string or cg_errbuf. */
	return strerror_r(e, cg_errbuf, sizeof(cg_errbuf));
}

_public_ const char *cgroup_strerror(int code)
{
	if (code >= ECGROUPNOTCOMPILED && code <= ECGNONEMPTY) {
		/* libcgroup: ECGOTHER is the text of the errno behind it */
		if (code == ECGOTHER)
			return cg_errno_text(cg_last_errno);
		return cg_messages[code - ECGROUPNOTCOMPILED];
	}
	/* openlve extension: an errno (or -errno) gives its strerror text */
	if (code >= 0 && code < ECGROUPNOTCOMPILED)
		return cg_errno_text(code);
	if (code < 0 && code != INT_MIN && -code < ECGROUPNOTCOMPILED)
		return cg_errno_text(-code);
	return "Invalid error code";
}

_public_ int cgroup_get_last_errno(void)
{
	return cg_last_errno;
}
