/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-cgconfig - libFuzzer target for cg_conf_parse() (cgconfig.conf).
 *
 * Any input must parse without a crash or leak, deterministically. On
 * success every group has a name that stays inside the hierarchy and a
 * struct cgroup, every key/value belongs to a mount, namespace or systemd
 * section; on failure the error line is within the text. A violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-driver.h"
#include "cg-internal.h"
#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_conf a = {}, b = {};
	unsigned la = 0, lb = 0, lines = 1;
	int ra, rb;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	ra = cg_conf_parse((const char *)data, size, &a, &la);
	rb = cg_conf_parse((const char *)data, size, &b, &lb);
	fuzz_check(ra == rb, "deterministic result");
	fuzz_check(ra == 0 || ra == -EINVAL || ra == -ENOMEM, "result is 0, -EINVAL or -ENOMEM");
	if (ra == 0) {
		fuzz_check(a.n_groups == b.n_groups && a.n_kv == b.n_kv, "deterministic counts");
		fuzz_check(a.n_groups <= CONF_GROUPS_MAX, "group count bounded");
		for (int i = 0; i < a.n_groups; i++) {
			const struct cg_conf_group *g = &a.groups[i];

			fuzz_check(g->name && g->cg, "group has a name and a struct");
			fuzz_check(ol_name_check(g->name) == 0, "group name stays inside the hierarchy");
			fuzz_check(!strcmp(g->name, b.groups[i].name), "deterministic names");
			fuzz_check(cgroup_get_controller_count(g->cg) ==
					   cgroup_get_controller_count(b.groups[i].cg),
				   "deterministic controllers");
		}
		for (int i = 0; i < a.n_kv; i++)
			fuzz_check(!strcmp(a.kv[i].section, "mount") || !strcmp(a.kv[i].section, "namespace") ||
					   !strcmp(a.kv[i].section, "systemd"),
				   "key/value in a known section");
		cg_conf_free(&a);
		cg_conf_free(&b);
	} else {
		fuzz_check(la == lb && la >= 1 && la <= lines, "error line within the text");
		fuzz_check(a.groups == NULL && a.kv == NULL, "output untouched on failure");
	}
	return 0;
}
