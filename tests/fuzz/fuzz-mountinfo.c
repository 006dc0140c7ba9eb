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
 * target; otherwise fuzz-driver.c makes it a plain program that runs every
 * file named on the command line once (corpus replay, crash reproduction).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-driver.h"
#include "cg-internal.h"

static void check_sys(const struct cg_sys *sys)
{
	int n_v2 = 0;

	fuzz_check(sys->n_mounts >= 0 && sys->n_mounts <= CG_HIER_MAX, "mount count");
	fuzz_check(sys->mode >= CGROUP_MODE_UNK && sys->mode <= CGROUP_MODE_UNIFIED, "mode");
	fuzz_check((sys->n_mounts == 0) == (sys->mode == CGROUP_MODE_UNK), "mode vs mounts");
	for (int i = 0; i < sys->n_mounts; i++) {
		const struct cg_mount *m = &sys->mounts[i];

		fuzz_check(m->path && m->path[0] == '/', "absolute mount point");
		fuzz_check(m->fd == -1, "parse opens nothing");
		if (m->version == CGROUP_V2) {
			n_v2++;
			fuzz_check(sys->unified == i, "unified index");
			fuzz_check(!m->name, "cgroup2 has no name");
		} else {
			fuzz_check(m->version == CGROUP_V1, "version");
			fuzz_check(m->ctrls != 0 || (m->name && m->name[0]), "v1 mount addressable");
			fuzz_check(!m->name || !strchr(m->name, '/'), "name is one component");
		}
		fuzz_check(m->ctrls < (1u << CG_CTRL_COUNT), "controller mask");
	}
	fuzz_check(n_v2 <= 1, "one cgroup2 hierarchy");
	fuzz_check(n_v2 == 1 || sys->unified == -1, "no unified index without cgroup2");
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int idx = sys->ctrl_mount[c];

		fuzz_check(idx >= -1 && idx < sys->n_mounts, "ctrl_mount range");
		if (idx >= 0)
			fuzz_check(sys->mounts[idx].ctrls & (1u << c), "ctrl_mount bound");
		fuzz_check(!sys->ns[c], "no namespace from parsing");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size, NULL);
	const char *ctrls = NULL;
	struct cg_sys sys;
	size_t first;

	if (!text)
		return 0;
	first = strlen(text);
	if (first < size)
		ctrls = text + first + 1; /* after the first NUL */

	if (cg_parse_mountinfo(text, ctrls, &sys) == 0) {
		check_sys(&sys);
		cg_sys_free(&sys);
		fuzz_check(sys.n_mounts == 0 && !sys.mounts, "free resets");
	}
	free(text);
	return 0;
}
