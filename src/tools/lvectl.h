/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl internals shared by its files (src/tools/lvectl*.c): the context, the
 * options, rows/tables and the functions each file offers the others.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "pathsafe.h"
#include "lve-internal.h"
#include "lve/lve-ctl.h"
#include "lve/ubstat.h"
#include "packages.h"
#include "vecfg.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define NPROC_MAX    4194304u /* the kernel's PID_MAX_LIMIT: pids.max accepts up to this */
#define LIST_VERSION 6 /* the /proc/lve/list format served in full (no IOPS columns: those are 8+) */
#define PMEM_MIN_PAGES 256u     /* 1 MiB: below it no process can start in the LVE */
#define PMEM_WARN_PAGES 4096u   /* 16 MiB: warn below (one PHP worker needs tens of MB) */

/* ------------------------------------------------------------ context */

struct opts {
	struct vecfg_limits set; /* limits given on the command line */
	bool unlimited;
	bool save_all;
	bool json;
	bool save_username; /* --save-username: user="NAME" on the <lve> section */
	bool version;       /* -v / --version */
	const char *reseller; /* set/set-user --reseller=NAME|ID|none: the LVE's reseller */
	bool bytes;           /* list-reseller --bytes: PMEM/VMEM in bytes */
	bool force;         /* limit: no protected-process check */
	bool enter_count;   /* limit --enter-count: the process holds one EP slot while it runs */
	uint32_t ttl;          /* usage-url: seconds the link stays valid, 0 = default */
	const char *base_url;  /* usage-url: where the page is reached */
	const char *secret_file; /* usage-url: the link-signing secret */
	int timeout_s; /* 0: from sysconfig */
};

struct ctx {
	struct opts o;
	struct olve_conf conf;
	struct olve *h;
	struct pkg_script script;
	bool script_loaded;
	uint32_t mhz;
	bool mhz_loaded;
};

/* -------------------------------------------------------------- rows */

struct row {
	char id[300];
	char speed[40], cpu[40], ncpu[16], pmem[32], vmem[32], ep[16], nproc[16], io[16], iops[16];
};

struct table {
	bool json;
	size_t n;
	const char *extra_name; /* extra column (PACKAGE / USER), NULL = none */
};

/* lvectl-common.c */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *hint(int r);
int compile_store(struct ctx *c, const struct vecfg *cfg);
int ctx_open_note(struct ctx *c, const char *note);
int ctx_open(struct ctx *c);
uint32_t ctx_mhz(struct ctx *c);
int ctx_script(struct ctx *c);
int script_fail(const struct ctx *c, int r, const struct pkg_error *e);
int check_uids(const struct ctx *c, const uint32_t *uids, size_t n, const char *what);
int ctx_pkg_map(struct ctx *c, struct pkg_map *pm);
int ctx_pkg_of(struct ctx *c, uint32_t uid, char **pkg);
int load_cfg(struct ctx *c, struct vecfg **cfg);
int lock_and_load(struct ctx *c, int *lockfd, struct vecfg **cfg);
int store_cfg(struct ctx *c, const struct vecfg *cfg);
void effective_row(struct ctx *c, const struct vecfg *cfg, uint32_t id, const char *pkg,
                   struct row *row);
void check_nproc_ep(const struct vecfg_limits *eff, const char *who);
/* --json: the first failure's text (for the {"status": "ERROR"} answer), "" none. */
extern char lvectl_first_error[512];
/* The program name in error lines ("lvectl"; cloudlinux-limits shares these files). */
extern const char *lvectl_prog;
/* Set ve.cfg's limits of LVE id from c->o.set (validated, applied, list file written). */
int lvectl_set_lve(struct ctx *c, uint32_t id, const char *who, const char *user);
int lvectl_set_default(struct ctx *c);
int apply_fail_note(uint32_t id, int r, const char *note);
int apply_fail(uint32_t id, int r);
int push_defaults(struct ctx *c, const struct vecfg *cfg);
int apply_each(struct ctx *c, const struct vecfg *cfg, const uint32_t *ids, size_t n,
               const struct pkg_map *pm, const char *pkg, size_t *failed);
int apply_ids(struct ctx *c, const struct vecfg *cfg, const struct pkg_map *pm, const uint32_t *ids,
              size_t n);
int read_ids(uint32_t **ids, size_t *n);

/* lvectl-options.c */
int parse_u32_opt(const char *s, uint32_t max, uint32_t *out);
int parse_id(const char *s, uint32_t *id);
int parse_options(int argc, char **argv, struct opts *o, int *first_arg);

/* lvectl-output.c */
int build_proc_list(struct ctx *c, char **out, size_t *len);
int write_list_file(struct ctx *c);
void row_from_olve(struct row *r, const struct olve_limits *o, int ncpus);
void row_from_vecfg(struct row *r, const struct vecfg_limits *v, uint32_t mhz, int ncpus);
void table_begin(struct table *t);
void table_row(struct table *t, const struct row *r, const char *extra);
void table_end(struct table *t);
int ncpus_online(const struct ctx *c);
void json_str(FILE *f, const char *s);

/* lvectl-limits.c */
int cmd_apply(struct ctx *c, int argc, char **argv);
int cmd_apply_many(struct ctx *c, int argc, char **argv);
int need_limits(const struct ctx *c, const char *cmd);
int cmd_set(struct ctx *c, int argc, char **argv);
int cmd_set_user(struct ctx *c, int argc, char **argv);
int cmd_delete(struct ctx *c, int argc, char **argv);
int cmd_delete_user(struct ctx *c, int argc, char **argv);
int cmd_destroy(struct ctx *c, int argc, char **argv);
int cmd_destroy_many(struct ctx *c, int argc, char **argv);
int cmd_limit(struct ctx *c, int argc, char **argv);
int cmd_release(struct ctx *c, int argc, char **argv);

/* lvectl-list.c */
int cmd_limits(struct ctx *c, int argc, char **argv);
int cmd_list_cmd(struct ctx *c, int argc, char **argv);
int cmd_list_user(struct ctx *c, int argc, char **argv);
int cmd_proc_list(struct ctx *c, int argc, char **argv);

/* lvectl-packages.c */
int cmd_package_set(struct ctx *c, int argc, char **argv);
int cmd_package_delete(struct ctx *c, int argc, char **argv);
int cmd_package_list(struct ctx *c, int argc, char **argv);
int cmd_paneluserslimits(struct ctx *c, int argc, char **argv);

/* lvectl-resellers.c */
int cmd_set_reseller(struct ctx *c, int argc, char **argv);
int cmd_set_reseller_default(struct ctx *c, int argc, char **argv);
int cmd_remove_reseller(struct ctx *c, int argc, char **argv);
int cmd_list_reseller(struct ctx *c, int argc, char **argv);
/* --reseller of set/set-user: validate and record the membership of LVE id (cfg locked). */
int reseller_assign(struct ctx *c, struct vecfg *cfg, uint32_t id, const char *who);
/* apply all: every reseller's group with its caps (created when missing). 0 or an exit code. */
int reseller_apply_all(struct ctx *c, const struct vecfg *cfg);
/* The effective limits of reseller R's group: built-in <- <defaults> <- <reseller id=R>. */
void reseller_effective(const struct vecfg *cfg, uint32_t rid, struct vecfg_limits *out);

/* lvectl-binaries.c [issue 10] */
int cmd_set_binary(struct ctx *c, int argc, char **argv);
int cmd_del_binary(struct ctx *c, int argc, char **argv);
int cmd_list_binaries(struct ctx *c, int argc, char **argv);
int cmd_load_binaries(struct ctx *c, int argc, char **argv);
int cmd_reload_binaries(struct ctx *c, int argc, char **argv);

/* lvectl-info.c */
int cmd_detect(struct ctx *c, int argc, char **argv);
/* lvectl-web.c */
int cmd_usage_url(struct ctx *c, int argc, char **argv);
int cmd_ubc(struct ctx *c, int argc, char **argv);
int cmd_version(struct ctx *c, int argc, char **argv);
int cmd_lve_version(struct ctx *c, int argc, char **argv);

/* lvectl.c */
void usage(FILE *f);
