/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-lve-conf - libFuzzer target for olve_conf_parse() (openlve.conf).
 *
 * Any input must parse without a crash or leak. On success every setting
 * is present and valid (relative cgroup roots without "..", absolute
 * paths); on failure the output is untouched and the error line is within
 * the text. Parsing is deterministic. A violation aborts.
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
#include "fileio.h"
#include "lve-internal.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_root(const char *r)
{
	fuzz_check(r != NULL, "cgroup root set");
	fuzz_check(ol_name_check(r) == 0, "cgroup root is a clean relative name");
	fuzz_check(r[strspn(r, "/")] != 0, "cgroup root is not the mount root");
}

static void check_path(const char *p)
{
	fuzz_check(p && p[0] == '/', "path is absolute");
	fuzz_check(ol_name_check(p) == 0, "path has no .. or control characters");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct olve_conf a, b, untouched;
	unsigned line_a = 0, line_b = 0, lines;
	char *text = fuzz_text(data, size, &lines);
	int ra, rb;

	if (!text)
		return 0;

	memset(&a, 0x5a, sizeof(a));
	untouched = a;
	ra = olve_conf_parse(text, &a, &line_a);
	rb = olve_conf_parse(text, &b, &line_b);
	fuzz_check(ra == rb, "deterministic result");
	fuzz_check(ra == 0 || ra == -EINVAL || ra == -ENOMEM, "result is 0, -EINVAL or -ENOMEM");
	if (ra == 0) {
		check_root(a.cgroup_root);
		for (int i = 0; i < OLVE_CONF_CTRL_MAX; i++) {
			if (a.cgroup_root_ctrl[i])
				check_root(a.cgroup_root_ctrl[i]);
			fuzz_check(same(a.cgroup_root_ctrl[i], b.cgroup_root_ctrl[i]), "deterministic override");
		}
		fuzz_check(!(a.cgroup_root_ctrl[CG_CTRL_IO] && a.cgroup_root_ctrl[CG_CTRL_BLKIO]), "io and blkio once");
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			fuzz_check(olve_conf_root_for(&a, c) != NULL, "root for every controller");
		check_path(a.state_dir);
		check_path(a.ve_cfg);
		check_path(a.sysconfig);
		check_path(a.info_file);
		fuzz_check(a.list_file && a.list_file[0] == '/', "list_file absolute");
		fuzz_check(same(a.cgroup_root, b.cgroup_root) && same(a.state_dir, b.state_dir) &&
			           same(a.list_file, b.list_file),
		           "deterministic values");
		olve_conf_free(&a);
		olve_conf_free(&b);
		fuzz_check(a.cgroup_root == NULL && a.state_dir == NULL, "free resets");
	} else {
		fuzz_check(!memcmp(&a, &untouched, sizeof(a)), "output untouched on failure");
		fuzz_check(line_a == line_b, "deterministic error line");
		fuzz_check(ra != -EINVAL || (line_a >= 1 && line_a <= lines), "error line within the text");
	}
	free(text);
	return 0;
}
