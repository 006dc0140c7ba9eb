/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wrapper-common.h - the part lve_wrapper and lve_suwrapper share: start a
 * command inside an LVE (liblve's olve_spawn), forward signals to it, wait,
 * and turn the outcome into an exit status.
 *
 * Exit status: the command's; 128+N when it was killed by signal N; 127
 * when it was not found, 126 when it was found but could not be executed;
 * WRAP_EXIT_FAIL (1) when the LVE could not be entered or another error
 * kept the command from starting; WRAP_EXIT_USAGE (2) for bad usage.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lve/openlve.h"

#define WRAP_EXIT_FAIL 1
#define WRAP_EXIT_USAGE 2
#define WRAP_EXIT_NOEXEC 126
#define WRAP_EXIT_NOTFOUND 127

struct wrap_cred {
	bool drop;     /* switch to the real uid/gid/groups before exec */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t *groups; /* the caller's supplementary groups (getgroups at start) */
};

/*
 * First thing in main(), before anything privileged: save the caller's
 * resource limits, signal mask and ignored signals, then lift every
 * resource limit (a setuid program must not be stopped half-way by a limit
 * its caller chose: `ulimit -f 0` kills with SIGXFSZ while a state file is
 * written, a tiny RLIMIT_NOFILE or RLIMIT_CPU stops it between two steps),
 * reset every signal to its default action and unblock all. The command
 * gets the caller's limits (never above what the LVE sets, e.g. VMEM),
 * mask and ignored signals back before exec (wrap_run). 0 or -errno.
 */
int wrap_sanitize(void);

/*
 * lve_wrapper, after wrap_cred_from_caller(): become root in the real and
 * saved uid/gid too, so the caller can no longer signal the wrapper
 * (kill(2) needs the sender's uid to match the target's real or saved
 * uid). The wrapper holds the command's EP slot: a user who could SIGKILL
 * it would free the slot while the command keeps running. 0 or -errno.
 */
int wrap_become_root(void);

/* Make sure fds 0, 1 and 2 are open (/dev/null), so nothing we open lands there. 0 or -errno. */
int wrap_std_fds(void);
/*
 * Fill cred with the real uid, gid and supplementary groups of the caller
 * (drop = true). 0 or -errno.
 */
int wrap_cred_from_caller(struct wrap_cred *cred);
void wrap_cred_free(struct wrap_cred *cred);

/* The one error line "<prog>: ...\n" on stderr. */
void wrap_err(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Run argv (argv[0] looked up in PATH) inside LVE `id` with enter flags
 * `flags` and the credentials `cred` (NULL: keep ours). Prints one error line
 * on failure. Returns the exit status for the wrapper (see above).
 */
int wrap_run(const char *prog, struct olve *h, uint32_t id, uint32_t flags, const struct wrap_cred *cred,
	     char *const argv[]);
