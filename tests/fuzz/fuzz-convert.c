/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-convert - arbitrary setting names and values through
 * cg_convert_controller() in both directions, and through the public
 * cgroup_convert_cgroup().
 *
 * Input: fields separated by NUL bytes, read as name, value, name, value...
 * A name field of one byte below 0x40 picks a known setting name (so the
 * fuzzer reaches the converters quickly); anything else is used as is.
 *
 * Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a libFuzzer
 * target; otherwise fuzz-driver.c makes it a plain program that runs every
 * file named on the command line once (corpus replay, crash reproduction).
 *
 * Checked invariants (abort() on violation):
 *   - the result is 0, -EINVAL, -EOPNOTSUPP or -ENOMEM;
 *   - on failure the output controller is untouched;
 *   - on success every result has a name and a value, converting the
 *     result back returns one of the allowed codes, and a second
 *     conversion of the same input gives the same result;
 *   - cgroup_convert_cgroup() returns 0 or an ECG* code.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-driver.h"
#include "cg-internal.h"

static const char *const known[] = {
	"cpu.shares",
	"cpu.weight",
	"cpu.cfs_quota_us",
	"cpu.cfs_period_us",
	"cpu.max",
	"cpu.cfs_burst_us",
	"cpu.max.burst",
	"cpu.idle",
	"cpu.stat",
	"cpuset.cpus",
	"cpuset.mems",
	"cpuset.effective_cpus",
	"cpuset.cpus.effective",
	"cpuset.cpu_exclusive",
	"cpuset.cpus.partition",
	"memory.limit_in_bytes",
	"memory.max",
	"memory.soft_limit_in_bytes",
	"memory.low",
	"memory.high",
	"memory.memsw.limit_in_bytes",
	"memory.swap.max",
	"memory.usage_in_bytes",
	"memory.current",
	"hugetlb.2MB.limit_in_bytes",
	"hugetlb.2MB.max",
	"hugetlb.1GB.rsvd.max",
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
	"io.max",
	"blkio.weight",
	"blkio.weight_device",
	"io.weight",
	"blkio.bfq.weight",
	"blkio.bfq.weight_device",
	"io.bfq.weight",
	"pids.max",
	"pids.current",
	"cgroup.procs",
	"freezer.state",
	"cgroup.freeze",
	"tasks",
};

static bool allowed(int r)
{
	return r == 0 || r == -EINVAL || r == -EOPNOTSUPP || r == -ENOMEM;
}

static bool same_values(const struct cgroup_controller *a, const struct cgroup_controller *b)
{
	if (a->n_values != b->n_values)
		return false;
	for (int i = 0; i < a->n_values; i++)
		if (strcmp(a->values[i].name, b->values[i].name) ||
		    strcmp(a->values[i].value, b->values[i].value) ||
		    a->values[i].dirty != b->values[i].dirty)
			return false;
	return true;
}

static void one_direction(struct cgroup *cg, struct cgroup_controller *in, enum cg_version_t to)
{
	struct cgroup_controller *out = cgroup_get_controller(cg, "out");
	struct cgroup_controller *again = cgroup_get_controller(cg, "again");
	struct cgroup_controller *back = cgroup_get_controller(cg, "back");
	enum cg_version_t other = to == CGROUP_V1 ? CGROUP_V2 : CGROUP_V1;
	int r, r2;

	cg_controller_clear(out);
	cg_controller_clear(again);
	cg_controller_clear(back);
	fuzz_check(cg_controller_put(out, "sentinel", "keep", false) == 0, "setup");
	fuzz_check(cg_controller_put(again, "sentinel", "keep", false) == 0, "setup");

	r = cg_convert_controller(out, in, to);
	fuzz_check(allowed(r), "unexpected return code");
	if (r < 0) {
		fuzz_check(out->n_values == 1 && strcmp(out->values[0].value, "keep") == 0,
		           "failed conversion changed the output");
		return;
	}
	for (int i = 0; i < out->n_values; i++)
		fuzz_check(out->values[i].name && out->values[i].value, "result without name or value");

	/* deterministic */
	r2 = cg_convert_controller(again, in, to);
	fuzz_check(r2 == r, "second conversion returned another code");
	fuzz_check(same_values(out, again), "second conversion gave another result");

	/* and back: any allowed outcome, no crash */
	cg_controller_clear(again);
	for (int i = 0; i < out->n_values; i++)
		if (strcmp(out->values[i].name, "sentinel") != 0)
			fuzz_check(cg_controller_put(again, out->values[i].name, out->values[i].value,
						     out->values[i].dirty) == 0,
			           "copy");
	r = cg_convert_controller(back, again, other);
	fuzz_check(allowed(r), "unexpected return code converting back");
}

static void run_input(const uint8_t *data, size_t size)
{
	char *buf = fuzz_text(data, size, NULL);
	struct cgroup *cg = cgroup_new_cgroup("fuzz");
	struct cgroup *out = cgroup_new_cgroup("fuzz");
	struct cgroup_controller *in;
	size_t pos = 0;
	int r;

	if (!buf || !cg || !out)
		goto done;
	in = cgroup_add_controller(cg, "blkio");
	if (!in || !cgroup_add_controller(cg, "out") || !cgroup_add_controller(cg, "again") ||
	    !cgroup_add_controller(cg, "back"))
		goto done;

	while (pos < size) {
		const char *name = buf + pos, *value;

		pos += strlen(name) + 1;
		value = pos < size ? buf + pos : "";
		if (pos < size)
			pos += strlen(value) + 1;
		if (strlen(name) == 1 && (unsigned char)name[0] < 0x40)
			name = known[(unsigned char)name[0] % ELEMENTSOF(known)];
		(void)cg_setting_version(name);
		if (cg_controller_put(in, name, value, true) < 0)
			goto done;
	}

	one_direction(cg, in, CGROUP_V2);
	one_direction(cg, in, CGROUP_V1);

	/* the public entry point, with the other helper controllers emptied */
	for (int i = 1; i < cg->index; i++)
		cg_controller_clear(cg->controller[i]);
	r = cgroup_convert_cgroup(out, CGROUP_V2, cg, CGROUP_V1);
	fuzz_check(r == 0 || (r >= ECGROUPNOTCOMPILED && r <= ECGNONEMPTY), "public return code");
	r = cgroup_convert_cgroup(out, CGROUP_V1, cg, CGROUP_V2);
	fuzz_check(r == 0 || (r >= ECGROUPNOTCOMPILED && r <= ECGNONEMPTY), "public return code");
done:
	cgroup_free(&cg);
	cgroup_free(&out);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	run_input(data, size);
	return 0;
}
