/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limits-store.h - the limits store: ve.cfg compiled for liblve.
 *
 * liblve.so.0 has no XML parser (web servers and PAM stacks load it), yet an
 * LVE that liblve creates lazily - on a web request, a login, a cron job,
 * also in the seconds after a reboot before openlve.service ran `lvectl
 * apply all` - must get the limits ve.cfg gives it, never the built-in
 * defaults. lvectl therefore compiles ve.cfg (and the panel's uid -> package
 * map) into a small binary file every time it changes ve.cfg or applies it,
 * replaced atomically (temp file, fsync, rename); liblve reads it when it
 * creates an LVE. Path: openlve.conf's limits_file (default
 * /var/lib/openlve/limits; survives reboots, unlike the state dir).
 *
 * Format (host byte order; written and read on the same machine):
 *   header  struct olve_store_header (32 bytes)
 *   record  the effective defaults (<defaults> of ve.cfg over the built-in
 *           ones), id 0
 *   record  x count: effective limits of each LVE ve.cfg or a package names
 *           (<lve id> sections, users whose package has a <package> section),
 *           sorted by id, ids unique and non-zero
 *   record  x n_resellers: each reseller's own limits (<reseller id> of ve.cfg:
 *           the cap on the sum of its customers), sorted by id
 * LVE records carry the id of their reseller (0 = none): lve.c creates a
 * customer's cgroups inside the reseller's ("lvp<R>/lve<ID>").
 * The file size must be exactly 32 + (count + 1 + n_resellers) * 64 bytes; every record's
 * limits must pass olve_limits_check(). Anything else is -EBADMSG.
 *
 * Who uses what:
 *   lvectl   olve_store_write() after every change of ve.cfg and on apply
 *   liblve   olve_limits_for_new() when lve.c creates an LVE
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lve/openlve.h"
#include "macro.h"

struct olve;

#define OLVE_STORE_MAGIC "OLVELIM"
#define OLVE_STORE_VERSION 1
#define OLVE_STORE_MAX_ENTRIES (1u << 24)

struct olve_store_header {
	char magic[8];         /* "OLVELIM\0" */
	uint32_t version;      /* OLVE_STORE_VERSION */
	uint32_t record_size;  /* sizeof(struct olve_store_record) */
	uint32_t count;        /* records after the defaults record */
	uint32_t n_resellers;  /* reseller records after the LVE records (0 in stores before them) */
	uint64_t reserved1;
};

struct olve_store_record {
	uint32_t id; /* 0 for the defaults record */
	uint32_t mask;
	uint32_t speed, cpu_pct, ncpu, io, iops, ep, nproc, cpu_weight;
	uint64_t pmem, vmem;
	uint32_t reseller; /* LVE record: the reseller whose cgroup holds it, 0 = none */
	uint32_t reserved;
};

/* One LVE's effective limits (input of olve_store_write). */
struct olve_store_entry {
	uint32_t id;
	struct olve_limits limits;
	uint32_t reseller; /* LVE entry: its reseller (0 = none); unused for reseller entries */
};

/*
 * Look up `id` in the store at `path`. Fills *defaults with the defaults
 * record and, when the store has a record for id, *entry (and returns 1);
 * returns 0 when id has none (entry untouched). -ENOENT: no store; -EBADMSG:
 * not a valid store; -errno otherwise. id 0: defaults only (returns 0).
 */
_hidden_ int olve_store_lookup(const char *path, uint32_t id, struct olve_limits *defaults,
                               struct olve_limits *entry);

/*
 * Replace the store at `path` atomically with `defaults` and the n entries
 * (any order; sorted here). The parent directory is created (0755) when
 * missing. -EINVAL: an id 0, a duplicate id or limits olve_limits_check
 * refuses; nothing is written then.
 */
_hidden_ int olve_store_write(const char *path, const struct olve_limits *defaults,
                              const struct olve_store_entry *v, size_t n);
/* The same with reseller records (res[i].id = reseller id, .limits its cap). */
_hidden_ int olve_store_write_resellers(const char *path, const struct olve_limits *defaults,
                                        const struct olve_store_entry *v, size_t n,
                                        const struct olve_store_entry *res, size_t nres);
/*
 * olve_store_lookup with the reseller: for an LVE record (!reseller_rec)
 * *reseller = its reseller (0 = none); for reseller_rec the reseller record
 * `id` is looked up (*reseller = 0). Returns as olve_store_lookup.
 */
/*
 * Ids of the reseller records (sorted; *ids malloc'd, NULL when 0): the
 * resellers of ve.cfg and "retired" ones (mask 0: a reseller removed while
 * customers still run in its group, so their groups are still found).
 */
_hidden_ int olve_store_reseller_ids(const char *path, uint32_t **ids);
_hidden_ int olve_store_find(const char *path, bool reseller_rec, uint32_t id,
                             struct olve_limits *defaults, struct olve_limits *entry,
                             uint32_t *reseller);
/*
 * The reseller of LVE id in the store at path: 1 with *rid set when the
 * LVE has one, 0 when it has none (no record, or no store: -ENOENT is not
 * an error), -errno when the store cannot be read (-EBADMSG: malformed).
 * cloudlinux-top/-statistics (src/tools/cl-resellers.c) and lved's fault
 * notifications (src/stats/notify.c) ask it.
 */
_hidden_ int olve_store_reseller_of(const char *path, uint32_t id, uint32_t *rid);

/*
 * The limits a NEW LVE `id` gets (lve.c calls this when it created the
 * cgroups): its store record if there is one; otherwise the defaults for
 * new LVEs: the runtime record (<state_dir>/lve/default, olve_defaults_get:
 * lve_set_default, `lvectl apply all`) when it exists, else the store's
 * defaults record, else the built-in defaults. A missing or unreadable
 * store falls back to olve_defaults_get (an LVE is never refused for it).
 */
_hidden_ int olve_limits_for_new(struct olve *h, uint32_t id, struct olve_limits *out);
