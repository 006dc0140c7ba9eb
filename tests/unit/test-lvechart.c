/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lvechart: lvechart draws what the history holds. A SQLite history
 * with a known shape (LVE 4242 over one hour: first half CPU 50% of a 100%
 * limit, second half 25% of a 50% limit, CPU faults in one 10-minute
 * stretch only) is drawn as PNG, the PNG is decoded with cairo and the
 * pixels are measured: the usage line sits at half the height of the limit
 * line in both halves, the limit halves in the second half, fault markers
 * appear under the faulty stretch only. SVG output, and every bad input
 * (exit 2 for usage errors, 1 for runtime errors, never a file written).
 */
#include <cairo.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "chart.h"
#include "runtool.h"
#include "stats.h"
#include "tap.h"

#define ID 4242
#define T0 1700000000LL /* a whole hour: 2023-11-14 22:13:20 UTC is not; rounded below */

static char dir[512], dbfile[700], conffile[700];
static int64_t t0;

static int make_db(void)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 36500,
				   .keep_raw_hours = 8760 * 10, .keep_minute_days = 36500, .interval = 5 };
	struct lve_db *db = NULL;
	FILE *f;
	int r;

	r = tap_mktemp(dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dir);
	snprintf(conffile, sizeof(conffile), "%s/lvestats2", dir);
	f = fopen(conffile, "we");
	if (!f)
		return -errno;
	fprintf(f, "db_type=sqlite\nsqlite_path=%s\nserver_id=localhost\n", dbfile);
	if (fclose(f) != 0)
		return -EIO;
	c.sqlite_path = dbfile;
	r = lve_db_open(&c, &db);
	if (r < 0)
		return r;
	t0 = T0 / 3600 * 3600;
	for (int64_t ts = t0 + 5; ts <= t0 + 3600 && r >= 0; ts += 5) {
		bool second = ts > t0 + 1800;
		struct lve_sample s = { .id = ID, .ts = ts, .interval = 5,
					.aCPU = second ? 2500 : 5000, .lCPU = second ? 5000 : 10000,
					.aPMem = 256ull << 20, .lPMem = 1ull << 30, .aEP = 2, .lEP = 20,
					.aNproc = 5, .lNproc = 100, .aIO = 100 << 10, .lIO = 1 << 20,
					.aIOPS = 10, .lIOPS = 1024 };

		if (ts > t0 + 600 && ts <= t0 + 1200)
			s.CPUf = 3;
		r = lve_db_insert(db, &s, 1);
	}
	lve_db_close(db);
	return r < 0 ? r : 0;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static unsigned px(cairo_surface_t *s, int x, int y)
{
	unsigned char *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);

	return *(uint32_t *)(d + (size_t)y * (size_t)stride + (size_t)x * 4) & 0xffffff;
}

/* Topmost row of colour rgb in column x of rect r, -1 if none. */
static int row_of(cairo_surface_t *s, const struct lve_chart_rect *r, int x, unsigned rgb)
{
	for (int y = r->y; y < r->y + r->h; y++)
		if (px(s, x, y) == rgb)
			return y;
	return -1;
}

/* Does the colour occur in columns [x0, x1) of rect r? */
static bool has_colour(cairo_surface_t *s, const struct lve_chart_rect *r, int x0, int x1, unsigned rgb)
{
	for (int x = x0; x < x1; x++)
		for (int y = r->y; y < r->y + r->h; y++)
			if (px(s, x, y) == rgb)
				return true;
	return false;
}

#define DRAW(run, ...) \
	ASSERT_OK(tool_run(run, "lvechart", (const char *const[]){ "--config", conffile, __VA_ARGS__, NULL }))

TEST(png_measures_usage_against_limit)
{
	static struct tool_run run;
	char out[800], from[32], to[32];
	struct lve_chart_rect r;
	cairo_surface_t *img;
	int bottom, x1, x2, u1, l1, u2, l2, dash = 0;

	ASSERT_OK(make_db());
	snprintf(out, sizeof(out), "%s/chart.png", dir);
	snprintf(from, sizeof(from), "@%lld", (long long)t0);
	snprintf(to, sizeof(to), "@%lld", (long long)(t0 + 3599));
	setenv("TZ", "UTC", 1);
	DRAW(&run, "--id", "4242", "--from", from, "--to", to, "--output", out);
	if (run.code != 0)
		TAP_FAIL("lvechart exited %d: %s", run.code, run.err);
	img = cairo_image_surface_create_from_png(out);
	ASSERT(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
	ASSERT_EQ(cairo_image_surface_get_width(img), LVE_CHART_WIDTH);
	ASSERT_EQ(cairo_image_surface_get_height(img), lve_chart_height());
	cairo_surface_flush(img);

	lve_chart_plot_rect(0, &r); /* CPU */
	bottom = r.y + r.h - 1;
	x1 = r.x + r.w / 4;     /* first half */
	x2 = r.x + r.w * 3 / 4; /* second half */
	/* the dashed limit may have a gap in one column: look a few columns around */
	for (int d = 0; d < 12; d++) {
		l1 = row_of(img, &r, x1 + d, LVE_CHART_LIMIT_RGB);
		if (l1 >= 0)
			break;
	}
	for (int d = 0; d < 12; d++) {
		l2 = row_of(img, &r, x2 + d, LVE_CHART_LIMIT_RGB);
		if (l2 >= 0)
			break;
	}
	u1 = row_of(img, &r, x1, LVE_CHART_USAGE_RGB);
	u2 = row_of(img, &r, x2, LVE_CHART_USAGE_RGB);
	fprintf(stderr, "# CPU panel rows: usage %d/%d limit %d/%d bottom %d\n", u1, u2, l1, l2, bottom);
	ASSERT(u1 > 0 && u2 > 0 && l1 > 0 && l2 > 0);
	/* usage / limit = 0.5 in both halves (2 px of line width and rounding) */
	ASSERT(abs(2 * (bottom - u1) - (bottom - l1)) <= 4);
	ASSERT(abs(2 * (bottom - u2) - (bottom - l2)) <= 4);
	/* the second half's limit is half the first's */
	ASSERT(abs(2 * (bottom - l2) - (bottom - l1)) <= 4);
	/* the limit is dashed: gaps along its row */
	for (int x = r.x + 2; x < r.x + r.w / 2 - 2; x++)
		dash += px(img, x, l1) != LVE_CHART_LIMIT_RGB && px(img, x, l1 + 1) != LVE_CHART_LIMIT_RGB;
	ASSERT(dash > 10);
	/* faults only in [600, 1200) s: columns 1/6..2/6 of the plot */
	ASSERT(has_colour(img, &r, r.x + r.w / 6 + 3, r.x + r.w / 3 - 3, LVE_CHART_FAULT_RGB));
	ASSERT(!has_colour(img, &r, r.x + r.w / 2, r.x + r.w - 1, LVE_CHART_FAULT_RGB));
	ASSERT(!has_colour(img, &r, r.x + 1, r.x + r.w / 6 - 8, LVE_CHART_FAULT_RGB));
	/* memory panel: no faults at all, usage 256 MiB of 1 GiB = a quarter */
	lve_chart_plot_rect(1, &r);
	bottom = r.y + r.h - 1;
	u1 = row_of(img, &r, x1, LVE_CHART_USAGE_RGB);
	for (int d = 0; d < 12; d++) {
		l1 = row_of(img, &r, x1 + d, LVE_CHART_LIMIT_RGB);
		if (l1 >= 0)
			break;
	}
	ASSERT(u1 > 0 && l1 > 0);
	ASSERT(abs(4 * (bottom - u1) - (bottom - l1)) <= 8);
	ASSERT(!has_colour(img, &r, r.x + 1, r.x + r.w - 1, LVE_CHART_FAULT_RGB));
	cairo_surface_destroy(img);
	return 0;
}

/* --style=user: CPU as % of its limit, so 50% of a 100% limit and 25% of 50% are both at half the limit line */
TEST(user_style_draws_cpu_against_its_limit)
{
	static struct tool_run run;
	char out[800], from[32], to[32];
	struct lve_chart_rect r;
	cairo_surface_t *img;
	int bottom, u1, u2, l1 = -1, l2 = -1;

	ASSERT_OK(make_db());
	snprintf(out, sizeof(out), "%s/user.png", dir);
	snprintf(from, sizeof(from), "@%lld", (long long)t0);
	snprintf(to, sizeof(to), "@%lld", (long long)(t0 + 3599));
	DRAW(&run, "--id", "4242", "--from", from, "--to", to, "--style", "user", "--show-all", "--output", out);
	ASSERT_EQ(run.code, 0);
	img = cairo_image_surface_create_from_png(out);
	ASSERT(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
	cairo_surface_flush(img);
	lve_chart_plot_rect(0, &r);
	bottom = r.y + r.h - 1;
	for (int d = 0; d < 12 && l1 < 0; d++)
		l1 = row_of(img, &r, r.x + r.w / 4 + d, LVE_CHART_LIMIT_RGB);
	for (int d = 0; d < 12 && l2 < 0; d++)
		l2 = row_of(img, &r, r.x + r.w * 3 / 4 + d, LVE_CHART_LIMIT_RGB);
	u1 = row_of(img, &r, r.x + r.w / 4, LVE_CHART_USAGE_RGB);
	u2 = row_of(img, &r, r.x + r.w * 3 / 4, LVE_CHART_USAGE_RGB);
	ASSERT(l1 > 0 && l2 > 0 && u1 > 0 && u2 > 0);
	ASSERT(abs(l1 - l2) <= 2);         /* the limit is 100% in both halves */
	ASSERT(abs(u1 - u2) <= 2);         /* and usage is 50% of it in both */
	ASSERT(abs(2 * (bottom - u1) - (bottom - l1)) <= 4);
	cairo_surface_destroy(img);
	DRAW(&run, "--id", "4242", "--style", "fancy", "--output", out);
	ASSERT_EQ(run.code, 2);
	return 0;
}

TEST(svg_and_stdout)
{
	static struct tool_run run;
	char out[800];
	int fd;
	char head[256] = { 0 };

	ASSERT_OK(make_db());
	snprintf(out, sizeof(out), "%s/chart.svg", dir);
	DRAW(&run, "--id", "4242", "--from", "@1700000000", "--to", "@1700003600", "--output", out);
	ASSERT_EQ(run.code, 0);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT(read(fd, head, sizeof(head) - 1) > 0);
	close(fd);
	ASSERT(strstr(head, "<svg") != NULL);
	DRAW(&run, "--id", "4242", "--period", "2h", "--format", "svg", "--output", "-");
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "<svg") != NULL);
	DRAW(&run, "--id", "4242", "--period", "2h", "--output", "-");
	ASSERT_EQ(run.code, 0);
	ASSERT(memcmp(run.out, "\x89PNG", 4) == 0);
	return 0;
}

TEST(bad_input_clear_error_nothing_written)
{
	static struct tool_run run;
	char out[800], missing[800];
	static const struct {
		const char *a[10];
		int code;
	} cases[] = {
		{ { "--id", "4242", NULL }, 2 },                                      /* no --output */
		{ { "--id", "0", "--output", "OUT", NULL }, 2 },
		{ { "--id", "-5", "--output", "OUT", NULL }, 2 },
		{ { "--id", "x", "--output", "OUT", NULL }, 2 },
		{ { "--output", "OUT", NULL }, 2 },                                   /* no id */
		{ { "--id", "1", "--user", "root", "--output", "OUT", NULL }, 2 },
		{ { "--id", "4242", "--format", "gif", "--output", "OUT", NULL }, 2 },
		{ { "--id", "4242", "--period", "2x", "--output", "OUT", NULL }, 2 },
		{ { "--id", "4242", "--period", "1d", "--from", "now", "--output", "OUT", NULL }, 2 },
		{ { "--id", "4242", "--from", "2030-01-01", "--to", "2029-01-01", "--output", "OUT", NULL }, 2 },
		{ { "--id", "4242", "--from", "1970-01-02", "--output", "OUT", NULL }, 2 }, /* huge range */
		{ { "--user", "no-such-user-olt", "--output", "OUT", NULL }, 1 },
		{ { "--user", "root", "--output", "OUT", NULL }, 1 },
		{ { "--id", "4242", "stray", "--output", "OUT", NULL }, 2 },
	};

	ASSERT_OK(make_db());
	snprintf(out, sizeof(out), "%s/bad.png", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16];
		int k = 0;

		argv[k++] = "--config";
		argv[k++] = conffile;
		for (int j = 0; cases[i].a[j]; j++)
			argv[k++] = strcmp(cases[i].a[j], "OUT") ? cases[i].a[j] : out;
		argv[k] = NULL;
		ASSERT_OK(tool_run(&run, "lvechart", argv));
		if (run.code != cases[i].code)
			TAP_FAIL("case %zu: exit %d, want %d (%s)", i, run.code, cases[i].code, run.err);
		ASSERT(strncmp(run.err, "lvechart: ", 10) == 0);
		ASSERT(strchr(run.err, '\n') == run.err + strlen(run.err) - 1); /* one line */
		ASSERT(!exists(out));
	}
	/* a database that does not exist, an unwritable output directory */
	snprintf(missing, sizeof(missing), "%s/none/lvestats2.db", dir);
	ASSERT_OK(tool_run(&run, "lvechart", (const char *const[]){ "--config", conffile, "--db", missing, "--id",
								 "4242", "--output", out, NULL }));
	ASSERT_EQ(run.code, 1);
	ASSERT(!exists(out));
	snprintf(missing, sizeof(missing), "%s/nodir/x.png", dir);
	DRAW(&run, "--id", "4242", "--period", "1h", "--output", missing);
	ASSERT_EQ(run.code, 1);
	ASSERT(strstr(run.err, "cannot write") != NULL);
	return 0;
}

TAP_MAIN()
