/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * series.c - one LVE's history in equal buckets (series.h). Owns bucket
 * sizing and the list of resources a chart shows; the numbers come from
 * lve_db_query() (db.c), one exact query per bucket.
 */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "series.h"

const struct lve_series_res lve_series_res[LVE_SERIES_NRES] = {
	{ "cpu", "CPU", "% of one core", LVE_COL_ACPU, LVE_COL_LCPU, LVE_COL_CPUF, 100.0 },
	{ "pmem", "Physical memory", "MiB", LVE_COL_APMEM, LVE_COL_LPMEM, LVE_COL_PMEMF, 1048576.0 },
	{ "ep", "Entry processes", "concurrent", LVE_COL_AEP, LVE_COL_LEP, LVE_COL_EPF, 1.0 },
	{ "nproc", "Processes", "tasks", LVE_COL_ANPROC, LVE_COL_LNPROC, LVE_COL_NPROCF, 1.0 },
	{ "io", "IO", "KB/s", LVE_COL_AIO, LVE_COL_LIO, LVE_COL_IOF, 1024.0 },
	{ "iops", "IOPS", "ops/s", LVE_COL_AIOPS, LVE_COL_LIOPS, LVE_COL_IOPSF, 1.0 },
};

int64_t lve_series_unit(int64_t from, int64_t to, unsigned buckets)
{
	static const int64_t steps[] = { 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
					 43200, 86400 };
	int64_t want;

	if (buckets == 0)
		buckets = 100;
	if (to <= from)
		return 60;
	want = (to - from + buckets - 1) / buckets;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] >= want)
			return steps[i];
	return (want + 86399) / 86400 * 86400;
}

int lve_series_query(struct lve_db *db, const char *server_id, uint32_t id, int64_t from, int64_t to,
		     int64_t unit, struct lve_series **out)
{
	_cleanup_free_ struct lve_series *s = NULL;
	int64_t nb;

	if (!db || !out || id == 0 || from >= to || unit < 0)
		return -EINVAL;
	if (unit == 0)
		unit = lve_series_unit(from, to, 100);
	from = from / unit * unit; /* whole buckets on the unit's grid */
	nb = (to - from + unit - 1) / unit;
	if (nb < 1 || nb > LVE_SERIES_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s) + (size_t)nb * sizeof(s->p[0]));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->from = from;
	s->to = from + nb * unit;
	s->unit = unit;
	for (int64_t i = 0; i < nb; i++) {
		_cleanup_free_ struct lve_agg *a = NULL;
		struct lve_series_point *p = &s->p[s->n++];
		int r;

		p->from = from + i * unit;
		p->to = p->from + unit;
		r = lve_db_query(db, &(struct lve_query){ .server_id = server_id, .from = p->from,
							   .to = p->to, .id = id }, &a);
		if (r < 0)
			return r;
		p->empty = r == 0;
		if (r > 0)
			p->a = a[0];
	}
	*out = TAKE_PTR(s);
	return 0;
}
