/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-internal.h - the contract between the parts of liblve.
 *
 *   conf.c    openlve.conf (OPENLVE_CONF) parsing
 *   lve.c     handle: LVE root dirfds in every hierarchy, state dir, per-LVE fd cache
 *   limits.c  struct olve_limits <-> cgroup v2 settings (v1 via convert.c),
 *             apply / get / destroy / list / usage
 *   state.c   per-LVE state file: flags, EP limit, VMEM, fault counters, EP slots
 *   enter.c   enter / leave / enter_pid / leave_pid / current
 *   seed.c    the seed API of lve-ctl.h
 *   abi1.c    the CloudLinux 1.x ABI of lve-ctl.h
 *   vecfg.c   /etc/container/ve.cfg (libxml2)      [used by lvectl, lved]
 *   packages.c CUSTOM_GETPACKAGE_SCRIPT runner      [used by lvectl]
 *
 * Layout on every hierarchy (v1: each controller mount; v2: the unified mount):
 *   <mount>/<cgroup_root>/              the LVE root; created by openlve; on v2 it
 *                                       enables cpu cpuset io memory pids for children
 *   <mount>/<cgroup_root>/lve<ID>/      one LVE: limits AND its processes (it has
 *                                       no child groups, so v2's no-internal-process
 *                                       rule does not apply)
 * State (tmpfs, rebuilt from cgroups + ve.cfg after reboot):
 *   <state_dir>/lve/<ID>                struct olve_state + EP slot bytes
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lve/openlve.h"
#include "macro.h"

/* ------------------------------------------------------------------ conf */

struct olve_conf {
	char *cgroup_root;                 /* relative to each mount; default "openlve" */
	char *cgroup_root_ctrl[16];        /* per-controller override, index enum cg_ctrl */
	char *state_dir;                   /* default "/run/openlve" */
	char *ve_cfg;                      /* default "/etc/container/ve.cfg" */
	char *sysconfig;                   /* default "/etc/sysconfig/cloudlinux" */
	char *info_file;                   /* default "/var/lve/info" */
	char *list_file;                   /* /proc/lve/list stand-in, default "<state_dir>/list" */
};

/* Parse `path` (NULL: OPENLVE_CONF via secure_getenv, else /etc/openlve/openlve.conf;
 * a missing default file gives built-in defaults). -errno; bad line -> -EINVAL. */
_hidden_ int olve_conf_load(const char *path, struct olve_conf *out);
/* Pure parser of the file text (fuzzed). */
_hidden_ int olve_conf_parse(const char *text, struct olve_conf *out);
_hidden_ void olve_conf_free(struct olve_conf *c);

/* ---------------------------------------------------------------- handle */

#define OLVE_MAX_HIER 16

struct olve_hier {
	int version;       /* 1 or 2 (enum cg_version_t) */
	uint32_t ctrls;    /* controllers served (bit = enum cg_ctrl) */
	int rootfd;        /* O_DIRECTORY fd of <mount>/<cgroup_root> */
	const char *tasks; /* "tasks" (v1) or "cgroup.procs" (v2) */
};

struct olve {
	struct olve_conf conf;
	int n_hier;
	struct olve_hier hier[OLVE_MAX_HIER];
	int statefd; /* O_DIRECTORY fd of <state_dir>/lve */
	int ncpus;   /* online CPUs */
	pthread_mutex_t lock;
	void *cache; /* per-LVE fd cache, owned by lve.c */
};

/* Per-LVE fds, cached in the handle (borrowed; valid until olve_close / destroy). */
struct olve_lve_fds {
	uint32_t id;
	int dirfd[OLVE_MAX_HIER];   /* lve<ID> dir in each hierarchy */
	int tasksfd[OLVE_MAX_HIER]; /* its tasks / cgroup.procs, O_WRONLY */
	int statefd;                /* state file, O_RDWR */
};

/* Look up (and open; create with default limits when `create`) LVE `id`. */
_hidden_ int olve_lve_get(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out);
_hidden_ void olve_lve_forget(struct olve *h, uint32_t id);
/* "lve<ID>" into buf. */
_hidden_ void olve_lve_dirname(uint32_t id, char buf[static 16]);

/* ----------------------------------------------------------------- state */

#define OLVE_STATE_MAGIC 0x4f4c5645u /* "OLVE" */
#define OLVE_STATE_VERSION 1
#define OLVE_SLOT_BASE 4096          /* EP slot i is the byte OLVE_SLOT_BASE + i */

struct olve_state {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;      /* OLVE_F_DISABLED */
	uint32_t ep_limit;   /* 0 = unlimited */
	uint64_t vmem_limit; /* bytes, 0 = unlimited */
	uint64_t fault_ep;
	uint64_t fault_vmem;
	struct olve_limits limits; /* as last applied */
};

/* Create/open the state file of `id` in h->statefd (O_RDWR|O_CLOEXEC). */
_hidden_ int olve_state_open(struct olve *h, uint32_t id, bool create);
_hidden_ int olve_state_read(int fd, struct olve_state *out);
/* Update under an OFD write lock on the header. */
_hidden_ int olve_state_update(int fd, int (*fn)(struct olve_state *st, void *ud), void *ud);
_hidden_ int olve_state_add_fault(int fd, size_t offset_of_counter);
