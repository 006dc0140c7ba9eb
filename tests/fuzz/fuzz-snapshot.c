/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-snapshot - libFuzzer target for the snapshot parsers (snapshot.c):
 * SnapshotSaver.cfg (lve_snap_conf_parse) and the day files' records that
 * lve-read-snapshot reads (lve_snap_read over every record of the input).
 *
 * Input: the config text, optionally followed by a NUL byte and snapshot
 * file text. Nothing may crash or leak; every record read satisfies the
 * invariants below (a violation aborts).
 */
#include <string.h>

#include "fuzz-driver.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size, NULL);
	struct lve_snap_conf c = { 0 };
	unsigned line = 0;
	size_t first;

	if (!text)
		return 0;
	first = strlen(text);
	if (lve_snap_conf_parse(text, &c, &line) == 0)
		fuzz_check(c.snapshots_per_minute <= 86400 * 30 && c.period_between_incidents <= 86400 * 30, "ranges");
	else
		fuzz_check(line >= 1, "a bad line is named");
	if (first < size) {
		const char *snap = text + first + 1;
		FILE *f = fmemopen((void *)snap, strlen(snap), "r");
		struct lve_snap s = { 0 };
		unsigned l = 0;
		int r, guard = 0;

		if (f) {
			while ((r = lve_snap_read(f, &s, &l)) != 0 && guard++ < 100000) {
				if (r < 0)
					continue;
				fuzz_check(s.id != 0, "id");
				fuzz_check(s.nproc <= LVE_SNAP_MAX_PROCS && s.nproc <= s.nprocs, "process count");
				for (size_t i = 0; i < s.nproc; i++) {
					fuzz_check(s.procs[i].pid > 0, "pid");
					fuzz_check(strlen(s.procs[i].cmd) <= LVE_SNAP_CMD_MAX, "cmd length");
				}
			}
			lve_snap_clear(&s);
			fclose(f);
		}
	}
	free(text);
	return 0;
}
