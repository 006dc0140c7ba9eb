/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgid.h - mod_openlve's part inside mod_cgid (worker/event CGI): scripts
 * forked by mod_cgid's daemon are created inside the request's LVE.
 * See cgid.c for the design; mod_openlve.c is the only caller.
 */
#pragma once

#include <stdint.h>

#include "httpd.h"

struct liblve;

/* The environment variable carrying a request's ticket to mod_cgid's daemon. */
#define OLVE_CGID_TICKET_VAR "OPENLVE_CGID_TICKET"

/* A request's ticket: valid from olve_cgid_issue until olve_cgid_revoke. */
struct olve_cgid_ticket {
	int slot;       /* -1: none */
	uint64_t nonce;
	char text[48];  /* "<slot>:<nonce hex>" */
};

/*
 * Root parent, post_config of every generation, before mod_cgid forks its
 * daemon: when mod_cgid is loaded, redirect its two process-creation calls
 * to ours and create (once per Apache parent) the shared ticket table.
 * 1 hooked, 0 mod_cgid not loaded, -errno (logged) when it could not be
 * hooked. The hook is undone by a cleanup of pconf.
 */
int olve_cgid_setup(apr_pool_t *pconf, server_rec *s, struct liblve *lve);

/* 1 when this process can issue tickets (mod_cgid is hooked). */
int olve_cgid_active(void);

/*
 * Handler (worker thread inside LVE id): take a ticket for id. 0, or
 * -ENOSPC when every slot is taken by running requests.
 */
int olve_cgid_issue(uint32_t id, struct olve_cgid_ticket *t);

/* The handler returned: the ticket is no longer valid. */
void olve_cgid_revoke(struct olve_cgid_ticket *t);
