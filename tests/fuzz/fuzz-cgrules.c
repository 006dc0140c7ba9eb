/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-cgrules - libFuzzer target for cg_rules_parse() (cgrules.conf).
 *
 * Any input must parse without a crash or leak, deterministically. On
 * success every rule has a key, a destination and 1..CG_RULE_CTRL_MAX
 * controllers, the first rule is not a '%' continuation, and no field is
 * empty; on failure the error line is within the text. A violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-driver.h"
#include "cg-internal.h"
#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_rules a = {}, b = {};
	unsigned la = 0, lb = 0, lines = 1;
	int ra, rb;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	ra = cg_rules_parse((const char *)data, size, &a, &la);
	rb = cg_rules_parse((const char *)data, size, &b, &lb);
	fuzz_check(ra == rb, "deterministic result");
	fuzz_check(ra == 0 || ra == -EINVAL || ra == -ENOMEM, "result is 0, -EINVAL or -ENOMEM");
	if (ra == 0) {
		fuzz_check(a.n == b.n, "deterministic rule count");
		fuzz_check(a.n == 0 || !a.v[0].cont, "first rule is not a continuation");
		for (int i = 0; i < a.n; i++) {
			const struct cg_rule *r = &a.v[i];

			fuzz_check(r->key && *r->key && r->dest && *r->dest, "key and destination set");
			fuzz_check(strlen(r->dest) <= OL_NAME_MAX, "destination length bounded");
			fuzz_check(r->n_ctrl >= 1 && r->n_ctrl <= CG_RULE_CTRL_MAX, "controller count");
			for (int k = 0; k < r->n_ctrl; k++)
				fuzz_check(r->ctrl[k] && *r->ctrl[k], "controller names non-empty");
			fuzz_check(!r->procname || *r->procname, "process name non-empty");
			fuzz_check(!strcmp(r->dest, b.v[i].dest) && r->ignore == b.v[i].ignore,
				   "deterministic rules");
			fuzz_check(r->line >= 1 && r->line <= lines, "line within the text");
		}
		cg_rules_free(&a);
		cg_rules_free(&b);
	} else {
		fuzz_check(la == lb && la >= 1 && la <= lines, "error line within the text");
		fuzz_check(a.v == NULL && a.n == 0, "output untouched on failure");
	}
	return 0;
}
