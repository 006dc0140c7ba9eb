/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * series.h - one LVE's history as a time series of equal buckets, for the
 * pictures of it: lvechart, the charts and JSON of lved's usage page.
 * src/stats/series.c builds it from lve_db_query() (one exact query per
 * bucket, so every bucket agrees with what lveinfo prints for the same
 * range); chart.c draws it. Part of olstats: no cairo here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* At most this many buckets in one series (a chart is ~1000 px wide). */
#define LVE_SERIES_MAX 2000

struct lve_series_point {
	int64_t from, to;   /* half-open bucket */
	bool empty;         /* no sample in the bucket (a gap in the chart) */
	struct lve_agg a;   /* valid when !empty (lve_agg units: stats.h) */
};

struct lve_series {
	uint32_t id;
	int64_t from, to;   /* what was asked, after rounding to the unit */
	int64_t unit;       /* seconds per bucket */
	size_t n;
	struct lve_series_point p[];
};

/*
 * The unit for about `buckets` buckets over [from, to): a whole number of
 * minutes (at least one), rounded up to 5/10/15/30 minutes, hours or days.
 */
int64_t lve_series_unit(int64_t from, int64_t to, unsigned buckets);

/*
 * Query LVE `id` (> 0) over [from, to) in buckets of `unit` seconds (0:
 * lve_series_unit(from, to, 100)). server_id NULL: the handle's.
 * *out is malloc'd (free()). -EINVAL for id 0, from >= to, or more than
 * LVE_SERIES_MAX buckets; the db's -errno otherwise.
 */
int lve_series_query(struct lve_db *db, const char *server_id, uint32_t id, int64_t from, int64_t to,
		     int64_t unit, struct lve_series **out);

/*
 * The resources a chart shows, in panel order: usage column, limit column,
 * fault column (enum lve_col), a title and the unit the values are shown in
 * (value shown = agg value / div).
 */
struct lve_series_res {
	const char *key;    /* "cpu", "pmem", "ep", "nproc", "io", "iops" (JSON keys) */
	const char *title;  /* "CPU" ... */
	const char *unit;   /* "% of one core" ... */
	int use, lim, flt;  /* enum lve_col */
	double div;         /* shown = value / div */
};
#define LVE_SERIES_NRES 6
extern const struct lve_series_res lve_series_res[LVE_SERIES_NRES];
