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
 * target. Without, it is a plain program: `fuzz-lve-conf FILE...` runs
 * every file once (corpus replay, crash reproduction) and exits 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-lve-conf: invariant violated: %s\n", what);
		abort();
	}
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_root(const char *r)
{
	check(r != NULL, "cgroup root set");
	check(ol_name_check(r) == 0, "cgroup root is a clean relative name");
	check(r[strspn(r, "/")] != 0, "cgroup root is not the mount root");
}

static void check_path(const char *p)
{
	check(p && p[0] == '/', "path is absolute");
	check(ol_name_check(p) == 0, "path has no .. or control characters");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct olve_conf a, b, untouched;
	unsigned line_a = 0, line_b = 0, lines = 1;
	char *text = malloc(size + 1);
	int ra, rb;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (size_t i = 0; i < size && text[i]; i++)
		if (text[i] == '\n')
			lines++;

	memset(&a, 0x5a, sizeof(a));
	untouched = a;
	ra = olve_conf_parse(text, &a, &line_a);
	rb = olve_conf_parse(text, &b, &line_b);
	check(ra == rb, "deterministic result");
	check(ra == 0 || ra == -EINVAL || ra == -ENOMEM, "result is 0, -EINVAL or -ENOMEM");
	if (ra == 0) {
		check_root(a.cgroup_root);
		for (int i = 0; i < OLVE_CONF_CTRL_MAX; i++) {
			if (a.cgroup_root_ctrl[i])
				check_root(a.cgroup_root_ctrl[i]);
			check(same(a.cgroup_root_ctrl[i], b.cgroup_root_ctrl[i]), "deterministic override");
		}
		check(!(a.cgroup_root_ctrl[CG_CTRL_IO] && a.cgroup_root_ctrl[CG_CTRL_BLKIO]), "io and blkio once");
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			check(olve_conf_root_for(&a, c) != NULL, "root for every controller");
		check_path(a.state_dir);
		check_path(a.ve_cfg);
		check_path(a.sysconfig);
		check_path(a.info_file);
		check(a.list_file && a.list_file[0] == '/', "list_file absolute");
		check(same(a.cgroup_root, b.cgroup_root) && same(a.state_dir, b.state_dir) &&
			      same(a.list_file, b.list_file),
		      "deterministic values");
		olve_conf_free(&a);
		olve_conf_free(&b);
		check(a.cgroup_root == NULL && a.state_dir == NULL, "free resets");
	} else {
		check(!memcmp(&a, &untouched, sizeof(a)), "output untouched on failure");
		check(line_a == line_b, "deterministic error line");
		check(ra != -EINVAL || (line_a >= 1 && line_a <= lines), "error line within the text");
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
			fprintf(stderr, "fuzz-lve-conf: cannot open %s: %m\n", argv[i]);
			rc = 1;
			continue;
		}
		for (;;) {
			size_t n;

			if (len == cap) {
				uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

				if (!nb) {
					fprintf(stderr, "fuzz-lve-conf: out of memory\n");
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
			fprintf(stderr, "fuzz-lve-conf: cannot read %s\n", argv[i]);
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
