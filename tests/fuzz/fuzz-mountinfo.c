/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-mountinfo - libFuzzer target for cg_parse_mountinfo().
 *
 * Input: mountinfo text, optionally followed by a NUL byte and the text of
 * a cgroup2 root's cgroup.controllers. Any input must parse without a crash
 * or leak into a table that satisfies the invariants checked below (a
 * violation aborts).
 *
 * Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a libFuzzer
 * target. Without, it is a plain program: `fuzz-mountinfo FILE...` runs
 * every file once (for corpus replay and crash reproduction) and exits 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-mountinfo: invariant violated: %s\n", what);
		abort();
	}
}

static void check_sys(const struct cg_sys *sys)
{
	int n_v2 = 0;

	check(sys->n_mounts >= 0 && sys->n_mounts <= CG_HIER_MAX, "mount count");
	check(sys->mode >= CGROUP_MODE_UNK && sys->mode <= CGROUP_MODE_UNIFIED, "mode");
	check((sys->n_mounts == 0) == (sys->mode == CGROUP_MODE_UNK), "mode vs mounts");
	for (int i = 0; i < sys->n_mounts; i++) {
		const struct cg_mount *m = &sys->mounts[i];

		check(m->path && m->path[0] == '/', "absolute mount point");
		check(m->fd == -1, "parse opens nothing");
		if (m->version == CGROUP_V2) {
			n_v2++;
			check(sys->unified == i, "unified index");
			check(!m->name, "cgroup2 has no name");
		} else {
			check(m->version == CGROUP_V1, "version");
			check(m->ctrls != 0 || (m->name && m->name[0]), "v1 mount addressable");
			check(!m->name || !strchr(m->name, '/'), "name is one component");
		}
		check(m->ctrls < (1u << CG_CTRL_COUNT), "controller mask");
	}
	check(n_v2 <= 1, "one cgroup2 hierarchy");
	check(n_v2 == 1 || sys->unified == -1, "no unified index without cgroup2");
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int idx = sys->ctrl_mount[c];

		check(idx >= -1 && idx < sys->n_mounts, "ctrl_mount range");
		if (idx >= 0)
			check(sys->mounts[idx].ctrls & (1u << c), "ctrl_mount bound");
		check(!sys->ns[c], "no namespace from parsing");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	const char *ctrls = NULL;
	struct cg_sys sys;
	size_t first;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	first = strlen(text);
	if (first < size)
		ctrls = text + first + 1; /* after the first NUL */

	if (cg_parse_mountinfo(text, ctrls, &sys) == 0) {
		check_sys(&sys);
		cg_sys_free(&sys);
		check(sys.n_mounts == 0 && !sys.mounts, "free resets");
	}
	free(text);
	return 0;
}

#ifndef OPENLVE_LIBFUZZER
int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;

		if (!f) {
			fprintf(stderr, "fuzz-mountinfo: cannot open %s: %m\n", argv[i]);
			rc = 1;
			continue;
		}
		for (;;) {
			size_t n;

			if (len == cap) {
				uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
				if (!nb) {
					fprintf(stderr, "fuzz-mountinfo: out of memory\n");
					free(buf);
					fclose(f);
					return 1;
				}
				buf = nb;
				cap = cap ? cap * 2 : 4096;
			}
			n = fread(buf + len, 1, cap - len, f);
			if (n == 0)
				break;
			len += n;
		}
		if (ferror(f)) {
			fprintf(stderr, "fuzz-mountinfo: cannot read %s\n", argv[i]);
			rc = 1;
		} else {
			LLVMFuzzerTestOneInput(buf, len);
			printf("%s: ok\n", argv[i]);
		}
		free(buf);
		fclose(f);
	}
	return rc;
}
#endif
