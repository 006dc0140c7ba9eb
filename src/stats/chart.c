/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chart.c - an LVE's usage against its limits, one panel per resource
 * (chart.h). Owns the picture: layout, scales, colours, labels. The data
 * comes in as a struct lve_series (series.c); output is PNG or SVG bytes in
 * memory (cairo's stream writers), so lvechart writes them to a file and
 * lved sends them over HTTP without a temp file.
 */
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "macro.h"

struct membuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static cairo_status_t mem_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct membuf *b = closure;

	if (b->n + length > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		char *p;

		while (cap < b->n + length)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, length);
	b->n += length;
	return CAIRO_STATUS_SUCCESS;
}

void lve_chart_plot_rect(int panel, struct lve_chart_rect *out)
{
	out->x = LVE_CHART_LEFT;
	out->w = LVE_CHART_WIDTH - LVE_CHART_LEFT - LVE_CHART_RIGHT;
	out->y = LVE_CHART_TOP + 22 + panel * (LVE_CHART_PANEL_H + LVE_CHART_PANEL_GAP);
	out->h = LVE_CHART_PANEL_H;
}

int lve_chart_height(void)
{
	return LVE_CHART_TOP + LVE_SERIES_NRES * (LVE_CHART_PANEL_H + LVE_CHART_PANEL_GAP) + 8;
}

static void rgb(cairo_t *cr, unsigned c, double alpha)
{
	cairo_set_source_rgba(cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0,
			      (c & 0xff) / 255.0, alpha);
}

/* 1, 2, 2.5 or 5 times a power of ten, >= x. */
static double nice_step(double x)
{
	double p, f;

	if (!(x > 0))
		return 1;
	p = pow(10, floor(log10(x)));
	f = x / p;
	if (f <= 1)
		return p;
	if (f <= 2)
		return 2 * p;
	if (f <= 2.5)
		return 2.5 * p;
	if (f <= 5)
		return 5 * p;
	return 10 * p;
}

static void fmt_num(char *buf, size_t size, double v)
{
	if (v != 0 && fabs(v) < 10 && fabs(v - round(v)) > 1e-9)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.0f", v);
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - align * e.x_advance, y);
	cairo_show_text(cr, s);
}

static unsigned chart_flags; /* set for one render; the rendering is single-threaded per call */

static double value(const struct lve_series_point *p, int col, double div)
{
	/* user style: CPU usage as % of the limit, the limit itself 100 */
	if ((chart_flags & LVE_CHART_USER) && (col == LVE_COL_ACPU || col == LVE_COL_LCPU)) {
		double lim = p->a.v[LVE_COL_LCPU];

		if (lim > 0)
			return col == LVE_COL_LCPU ? 100.0 : p->a.v[LVE_COL_ACPU] * 100.0 / lim;
	}
	return p->a.v[col] / div;
}

static void draw_panel(cairo_t *cr, const struct lve_series *s, int panel)
{
	const struct lve_series_res *res = &lve_series_res[panel];
	struct lve_chart_rect r;
	double vmax = 0, step, top, bw;
	char buf[64];
	bool any = false;

	lve_chart_plot_rect(panel, &r);
	for (size_t i = 0; i < s->n; i++) {
		const struct lve_series_point *p = &s->p[i];

		if (p->empty)
			continue;
		any = true;
		if (value(p, res->use, res->div) > vmax)
			vmax = value(p, res->use, res->div);
		if (value(p, res->lim, res->div) > vmax)
			vmax = value(p, res->lim, res->div);
	}
	step = nice_step((vmax > 0 ? vmax * 1.08 : 1) / 4);
	top = step * ceil((vmax > 0 ? vmax * 1.08 : 1) / step);
	bw = (double)r.w / (double)s->n;

	/* title and unit */
	rgb(cr, 0x222222, 1);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 13);
	snprintf(buf, sizeof(buf), "%s (%s)", res->title,
		 panel == 0 && (chart_flags & LVE_CHART_USER) ? "% of the limit" : res->unit);
	text_at(cr, r.x, r.y - 8, buf, 0);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 11);

	/* frame, grid, y labels */
	rgb(cr, 0xf7f7f7, 1);
	cairo_rectangle(cr, r.x, r.y, r.w, r.h);
	cairo_fill(cr);
	cairo_set_line_width(cr, 1);
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = r.y + r.h - v / top * r.h;

		rgb(cr, 0xdddddd, 1);
		cairo_move_to(cr, r.x, floor(y) + 0.5);
		cairo_line_to(cr, r.x + r.w, floor(y) + 0.5);
		cairo_stroke(cr);
		rgb(cr, 0x444444, 1);
		fmt_num(buf, sizeof(buf), v);
		text_at(cr, r.x - 6, y + 4, buf, 1);
	}
	rgb(cr, 0x888888, 1);
	cairo_rectangle(cr, r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
	cairo_stroke(cr);

	/* time labels: about six, on bucket edges */
	{
		size_t every = s->n / 6 ? s->n / 6 : 1;
		bool days = s->to - s->from > 86400;

		rgb(cr, 0x444444, 1);
		for (size_t i = 0; i <= s->n; i += every) {
			time_t t = (time_t)(s->from + (int64_t)i * s->unit);
			struct tm tm;
			double x = r.x + (double)i * bw;

			localtime_r(&t, &tm);
			strftime(buf, sizeof(buf), days ? "%m-%d %H:%M" : "%H:%M", &tm);
			text_at(cr, x, r.y + r.h + 14, buf, i == 0 ? 0 : (i + every > s->n ? 1 : 0.5));
			rgb(cr, 0x888888, 1);
			cairo_move_to(cr, floor(x) + 0.5, r.y + r.h);
			cairo_line_to(cr, floor(x) + 0.5, r.y + r.h + 4);
			cairo_stroke(cr);
			rgb(cr, 0x444444, 1);
		}
	}
	if (!any) {
		rgb(cr, 0x999999, 1);
		text_at(cr, r.x + r.w / 2.0, r.y + r.h / 2.0, "no samples in this range", 0.5);
		return;
	}

	/* usage: filled area + line, one run per stretch of non-empty buckets */
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < s->n) {
			size_t start;

			while (i < s->n && s->p[i].empty)
				i++;
			if (i >= s->n)
				break;
			start = i;
			cairo_new_path(cr);
			if (pass == 0)
				cairo_move_to(cr, r.x + (double)start * bw, r.y + r.h);
			for (; i < s->n && !s->p[i].empty; i++) {
				double v = value(&s->p[i], res->use, res->div);
				double y = r.y + r.h - v / top * r.h;

				if (pass == 1 && i == start)
					cairo_move_to(cr, r.x + (double)i * bw, y);
				else
					cairo_line_to(cr, r.x + (double)i * bw, y);
				cairo_line_to(cr, r.x + (double)(i + 1) * bw, y);
			}
			if (pass == 0) {
				cairo_line_to(cr, r.x + (double)i * bw, r.y + r.h);
				cairo_close_path(cr);
				rgb(cr, LVE_CHART_USAGE_RGB, 0.25);
				cairo_fill(cr);
			} else {
				rgb(cr, LVE_CHART_USAGE_RGB, 1);
				cairo_set_line_width(cr, 2);
				cairo_stroke(cr);
			}
		}
	}

	/* limit: dashed step line where a limit is set (0 = unlimited: no line) */
	{
		static const double dash[] = { 6, 4 };
		bool open = false;

		cairo_new_path(cr);
		cairo_set_line_width(cr, 2);
		for (size_t i = 0; i < s->n; i++) {
			double v = s->p[i].empty ? 0 : value(&s->p[i], res->lim, res->div);
			double y = r.y + r.h - v / top * r.h;

			if (v <= 0) {
				open = false;
				continue;
			}
			if (!open)
				cairo_move_to(cr, r.x + (double)i * bw, y);
			else
				cairo_line_to(cr, r.x + (double)i * bw, y);
			cairo_line_to(cr, r.x + (double)(i + 1) * bw, y);
			open = true;
		}
		cairo_set_dash(cr, dash, 2, 0);
		rgb(cr, LVE_CHART_LIMIT_RGB, 1);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
	}

	/* faults: a marker under the bucket, with the count */
	cairo_set_font_size(cr, 9);
	for (size_t i = 0; i < s->n; i++) {
		double f = s->p[i].empty ? 0 : s->p[i].a.v[res->flt];
		double x = r.x + ((double)i + 0.5) * bw, y = r.y + r.h - 2;

		if (f <= 0)
			continue;
		rgb(cr, LVE_CHART_FAULT_RGB, 1);
		cairo_move_to(cr, x, y - 9);
		cairo_line_to(cr, x - 5, y);
		cairo_line_to(cr, x + 5, y);
		cairo_close_path(cr);
		cairo_fill(cr);
		if (bw >= 18) { /* room for the count; narrower buckets show the marker only */
			fmt_num(buf, sizeof(buf), f);
			text_at(cr, x, y - 11, buf, 0.5);
		}
	}
	cairo_set_font_size(cr, 11);
}

static void draw(cairo_t *cr, const struct lve_series *s, const char *title)
{
	char buf[256];
	char a[32], b[32];
	time_t tf = (time_t)s->from, tt = (time_t)s->to;
	struct tm tm;

	rgb(cr, 0xffffff, 1);
	cairo_paint(cr);
	localtime_r(&tf, &tm);
	strftime(a, sizeof(a), "%Y-%m-%d %H:%M", &tm);
	localtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M", &tm);
	snprintf(buf, sizeof(buf), "%s   %s - %s", title ? title : "", a, b);
	rgb(cr, 0x111111, 1);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 15);
	text_at(cr, LVE_CHART_LEFT, 26, buf, 0);
	/* legend */
	cairo_set_font_size(cr, 11);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	{
		double x = LVE_CHART_WIDTH - LVE_CHART_RIGHT - 250;

		rgb(cr, LVE_CHART_USAGE_RGB, 1);
		cairo_rectangle(cr, x, 17, 14, 4);
		cairo_fill(cr);
		rgb(cr, 0x333333, 1);
		text_at(cr, x + 18, 23, "usage", 0);
		rgb(cr, LVE_CHART_LIMIT_RGB, 1);
		cairo_rectangle(cr, x + 70, 17, 14, 4);
		cairo_fill(cr);
		rgb(cr, 0x333333, 1);
		text_at(cr, x + 88, 23, "limit", 0);
		rgb(cr, LVE_CHART_FAULT_RGB, 1);
		cairo_move_to(cr, x + 147, 15);
		cairo_line_to(cr, x + 142, 24);
		cairo_line_to(cr, x + 152, 24);
		cairo_close_path(cr);
		cairo_fill(cr);
		rgb(cr, 0x333333, 1);
		text_at(cr, x + 158, 23, "faults", 0);
	}
	for (int i = 0; i < LVE_SERIES_NRES; i++)
		draw_panel(cr, s, i);
}

int lve_chart_render(const struct lve_series *s, const char *title, enum lve_chart_format fmt, unsigned flags,
		     char **out, size_t *len)
{
	struct membuf b = { 0 };
	cairo_surface_t *sf;
	cairo_t *cr;
	cairo_status_t st;
	int h = lve_chart_height();

	if (!s || s->n == 0 || !out || !len || (flags & ~LVE_CHART_USER))
		return -EINVAL;
	chart_flags = flags;
	if (fmt == LVE_CHART_SVG)
		sf = cairo_svg_surface_create_for_stream(mem_write, &b, LVE_CHART_WIDTH, h);
	else
		sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, LVE_CHART_WIDTH, h);
	if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(sf);
		return -ENOMEM;
	}
	cr = cairo_create(sf);
	draw(cr, s, title);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && fmt == LVE_CHART_PNG)
		st = cairo_surface_write_to_png_stream(sf, mem_write, &b);
	cairo_surface_finish(sf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS || b.oom || b.n == 0) {
		free(b.p);
		return b.oom || st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
	}
	*out = b.p;
	*len = b.n;
	return 0;
}
