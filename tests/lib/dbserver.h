/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbserver.h - the one way tests and benchmarks get a throwaway database
 * server (PostgreSQL or MariaDB) on 127.0.0.1: a temp base directory plus
 * scripts/pg-test-server.sh or scripts/mariadb-test-server.sh run in its
 * "srv" subdirectory (the script hands that one to the server's user).
 * Used by tests/host/test-lve-db-{pg,mysql}.c and bench/bench-collect.c
 * (--backends). libc only: no tap.h, so a benchmark can link it.
 *
 * The scripts are found in $OPENLVE_SOURCE_ROOT/scripts, else three levels
 * above the running executable (<source>/<build>/{tests,bench}/<exe>).
 */
#pragma once

#include <stddef.h>

enum olt_db_kind {
	OLT_DB_POSTGRESQL,
	OLT_DB_MARIADB,
};

struct olt_dbserver {
	enum olt_db_kind kind;
	char dir[64];  /* the base dir (mode 0755; callers may put files there), "" none */
	char srv[96];  /* <dir>/srv: the server's data, socket and log */
	char cs[512];  /* lve-stats connect_string USER:PASSWORD@127.0.0.1:PORT/DATABASE */
	char why[300]; /* after a failed start: what failed and what to do */
};

/*
 * mkdtemp /tmp/<prefix>-XXXXXX and start the server there. Returns 0 (s->cs
 * set), 77 when the server binaries are absent (s->why names the Debian
 * package), or another non-zero value (the script's exit code or -errno;
 * s->why says where its log is). The base dir is kept on failure until
 * olt_dbserver_destroy().
 */
int olt_dbserver_start(struct olt_dbserver *s, enum olt_db_kind kind, const char *prefix);
/* Run the script's `cmd` (stop, restart, status) with an optional extra argument. Its exit code or -errno. */
int olt_dbserver_cmd(struct olt_dbserver *s, const char *cmd, const char *arg);
/* Stop the server (PostgreSQL: immediate; nothing is kept) and remove the base dir. Idempotent. */
void olt_dbserver_destroy(struct olt_dbserver *s);
