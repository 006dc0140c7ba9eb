/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chart.h - draws an LVE's series (series.h) as one picture: a panel per
 * resource (CPU, physical memory, EP, processes, IO, IOPS) with usage as a
 * filled line, the limit as a red dashed step line, faults as markers with
 * their count under the bucket they happened in, axes with units and local
 * times. PNG or SVG, rendered by cairo into memory. Used by lvechart and by
 * lved's usage page. src/stats/chart.c, static library "olchart".
 */
#pragma once

#include <stddef.h>

#include "series.h"

enum lve_chart_format {
	LVE_CHART_PNG,
	LVE_CHART_SVG,
};

/* Picture geometry (pixels; the same for PNG and SVG). */
#define LVE_CHART_WIDTH 960
#define LVE_CHART_TOP 44     /* title band */
#define LVE_CHART_LEFT 78    /* y-axis labels */
#define LVE_CHART_RIGHT 24
#define LVE_CHART_PANEL_H 130 /* plot height */
#define LVE_CHART_PANEL_GAP 56 /* panel title above + time labels below */

/* The plot rectangle of panel i (0..LVE_SERIES_NRES-1) and the picture height. */
struct lve_chart_rect {
	int x, y, w, h;
};
void lve_chart_plot_rect(int panel, struct lve_chart_rect *out);
int lve_chart_height(void);

/* The usage colour (stroke) and the limit colour, 0xRRGGBB (tests find them in a PNG). */
#define LVE_CHART_USAGE_RGB 0x1f5a99
#define LVE_CHART_LIMIT_RGB 0xcc1a1a
#define LVE_CHART_FAULT_RGB 0xe0661a

/*
 * LVE_CHART_USER: lvechart's --style=user: CPU is drawn as % of its limit
 * (the limit is the 100% line), as a customer reads it.
 */
#define LVE_CHART_USER 0x1u

/*
 * Render `s` with `title` (UTF-8, may be NULL) into *out (malloc'd bytes,
 * *len). Times are shown in the local time zone. -EINVAL for an empty
 * series or unknown flags, -ENOMEM, -EIO when cairo fails.
 */
int lve_chart_render(const struct lve_series *s, const char *title, enum lve_chart_format fmt, unsigned flags,
		     char **out, size_t *len);
