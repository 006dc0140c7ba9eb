/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvetop - live per-LVE usage, like top: read through liblve
 * (olve_list + olve_usage), rates from the deltas between two refreshes.
 * It does not read the statistics database. See lvetop(8).
 *
 * Exit: 0 success, 1 error (one line on stderr), 2 bad options.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "lve/openlve.h"
#include "macro.h"

enum col { C_ID, C_EP, C_PNO, C_TNO, C_SPEED, C_MEM, C_IO, C_IOPS, C_FAULTS, C__MAX };
static const char *const col_name[C__MAX] = { "ID", "EP", "PNO", "TNO", "SPEED", "MEM", "IO", "IOPS", "FAULTS" };

struct row {
	uint32_t id;
	double v[C__MAX];
};

struct prev {
	uint32_t id;
	struct olve_usage u;
};

struct snap {
	struct prev *p; /* sorted by id */
	size_t n;
	int64_t t_usec; /* CLOCK_MONOTONIC */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(FILE *f)
{
	fputs("Usage: lvetop [OPTIONS]\n"
	      "Live usage of every LVE, refreshed every -d seconds (q or Ctrl-C quits).\n"
	      "\n"
	      "  -d, --delay SECONDS    refresh interval, 0.1..3600 (default 2)\n"
	      "  -n, --iterations N     print N refreshes as plain text and exit (batch mode)\n"
	      "  -o, --order-by COLUMN  ID EP PNO TNO SPEED MEM IO IOPS FAULTS (default SPEED)\n"
	      "  -l, --limit N          at most N rows (default: all; the screen height on a terminal)\n"
	      "  -i, --ids              LVE ids in the ID column (default: user names, as CloudLinux)\n"
	      "      --json             one refresh as JSON and exit (ID number, USER name or null)\n"
	      "  -h, --help             this text\n"
	      "      --version          version\n"
	      "\n"
	      "Columns: EP entry processes, PNO processes, TNO threads, SPEED CPU in % of\n"
	      "one core, MEM physical memory, IO KB/s read + written, IOPS operations/s,\n"
	      "FAULTS limit hits (EP, memory, processes) since the previous refresh.\n",
	      f);
}

/* ------------------------------------------------------------ sampling */

static void snap_free(struct snap *s)
{
	free(s->p);
	s->p = NULL;
	s->n = 0;
}

static int take(struct olve *h, struct snap *out)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct snap s = { 0 };
	int n, r;

	n = olve_list(h, &ids);
	if (n < 0)
		return n;
	s.t_usec = mono_usec();
	if (n > 0) {
		s.p = calloc((size_t)n, sizeof(*s.p));
		if (!s.p)
			return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		r = olve_usage(h, ids[i], &s.p[s.n].u);
		if (r == -ENOENT)
			continue; /* destroyed meanwhile */
		if (r < 0) {
			free(s.p);
			return r;
		}
		s.p[s.n++].id = ids[i];
	}
	*out = s;
	return 0;
}

static const struct prev *find(const struct snap *s, uint32_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->p[mid].id == id)
			return &s->p[mid];
		if (s->p[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Counter delta; a counter that went back (LVE recreated) counts from 0. */
static double delta(uint64_t now, uint64_t before)
{
	return now >= before ? (double)(now - before) : (double)now;
}

static size_t rows_from(const struct snap *a, const struct snap *b, struct row *rows)
{
	double dt = (double)(b->t_usec - a->t_usec) / 1e6;
	size_t k = 0;

	if (dt <= 0)
		dt = 1e-6;
	for (size_t i = 0; i < b->n; i++) {
		const struct olve_usage *u = &b->p[i].u;
		const struct prev *pa = find(a, b->p[i].id);
		struct olve_usage z = { 0 };
		const struct olve_usage *o = pa ? &pa->u : &z;
		struct row *r = &rows[k++];

		r->id = b->p[i].id;
		r->v[C_ID] = r->id;
		r->v[C_EP] = u->ep;
		r->v[C_PNO] = u->nprocs_only;
		r->v[C_TNO] = u->nproc;
		r->v[C_MEM] = (double)u->pmem;
		if (pa) {
			r->v[C_SPEED] = delta(u->cpu_usec, o->cpu_usec) / (dt * 1e6) * 100.0;
			r->v[C_IO] = (delta(u->io_rbytes, o->io_rbytes) + delta(u->io_wbytes, o->io_wbytes)) / dt / 1024.0;
			r->v[C_IOPS] = (delta(u->io_rios, o->io_rios) + delta(u->io_wios, o->io_wios)) / dt;
			r->v[C_FAULTS] = delta(u->fault_ep, o->fault_ep) + delta(u->fault_pmem, o->fault_pmem) +
					 delta(u->fault_vmem, o->fault_vmem) + delta(u->fault_nproc, o->fault_nproc);
		}
	}
	return k;
}

static int sort_col;

static int cmp_row(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (sort_col != C_ID && a->v[sort_col] != b->v[sort_col])
		return a->v[sort_col] > b->v[sort_col] ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* -------------------------------------------------------------- output */

static void human(char *buf, size_t size, double v)
{
	static const char sfx[] = "KMGTPE";
	int i = -1;

	while (v >= 1024.0 && i < 5) {
		v /= 1024.0;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.1f%c", v, sfx[i]);
}

/* -i/--ids: numeric ids; default: the user name of the LVE id where there is one (as CloudLinux's lvetop). */
static bool show_ids;

static void cell(char *buf, size_t size, int c, double v, bool json)
{
	switch (c) {
	case C_ID:
		if (!json && !show_ids) {
			struct passwd *pw = getpwuid((uid_t)v);

			if (pw) {
				snprintf(buf, size, "%s", pw->pw_name);
				return;
			}
		}
		snprintf(buf, size, "%.0f", v);
		return;
	case C_SPEED:
	case C_IO:
	case C_IOPS:
		snprintf(buf, size, "%.1f", v);
		return;
	case C_MEM:
		if (!json) {
			human(buf, size, v);
			return;
		}
		/* fall through */
	default:
		snprintf(buf, size, "%.0f", v);
	}
}

static void print_table(FILE *f, const struct row *rows, size_t n, size_t limit, bool tty)
{
	static const int w[C__MAX] = { 10, 5, 5, 5, 7, 8, 10, 8, 7 };
	char buf[64];

	if (tty)
		fputs("\033[7m", f);
	for (int c = 0; c < C__MAX; c++)
		fprintf(f, "%s%*s", c ? " " : "", w[c], col_name[c]);
	if (tty)
		fputs("\033[0m\033[K", f);
	fputc('\n', f);
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		for (int c = 0; c < C__MAX; c++) {
			cell(buf, sizeof(buf), c, rows[i].v[c], false);
			fprintf(f, "%s%*s", c ? " " : "", w[c], buf);
		}
		if (tty)
			fputs("\033[K", f);
		fputc('\n', f);
	}
}

static void print_json(FILE *f, const struct row *rows, size_t n, size_t limit, double delay)
{
	char buf[64];

	fprintf(f, "{\"interval\": %.3f, \"lves\": [", delay);
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		fprintf(f, "%s\n  {", i ? "," : "");
		for (int c = 0; c < C__MAX; c++) {
			cell(buf, sizeof(buf), c, rows[i].v[c], true);
			fprintf(f, "%s\"%s\": %s", c ? ", " : "", col_name[c], buf);
		}
		{
			/* the user of the LVE id, null when none */
			struct passwd *pw = getpwuid((uid_t)rows[i].id);

			fputs(", \"USER\": ", f);
			if (pw) {
				fputc('"', f);
				for (const char *p = pw->pw_name; *p; p++)
					if (*p == '"' || *p == '\\')
						fprintf(f, "\\%c", *p);
					else if ((unsigned char)*p >= 0x20)
						fputc(*p, f);
				fputc('"', f);
			} else
				fputs("null", f);
		}
		fputc('}', f);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
}

/* ------------------------------------------------------------- options */

static int parse_delay(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0.1 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

__attribute__((format(printf, 1, 2))) static int bad_opt(const char *fmt, ...)
{
	va_list ap;


	fputs("lvetop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see lvetop --help)\n", stderr);
	return 2;
}

/* ---------------------------------------------------------------- main */

static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	fputs("\033[?25h", stdout);
	fflush(stdout);
}

/* Sleep `usec`, returning early on a signal or (interactive) on 'q'. */
static void wait_refresh(int64_t usec, bool interactive)
{
	int64_t end = mono_usec() + usec;

	while (!stop) {
		int64_t left = end - mono_usec();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

		if (left <= 0)
			return;
		if (poll(&pfd, interactive ? 1 : 0, (int)((left + 999) / 1000)) > 0 && (pfd.revents & POLLIN)) {
			char ch;

			if (read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
				stop = 1;
			else if (pfd.revents & (POLLHUP | POLLERR))
				interactive = false;
		}
	}
}

int main(int argc, char **argv)
{
	double delay = 2.0;
	unsigned long iterations = 0, limit = 0;
	bool json = false, batch, tty, interactive = false;
	struct olve *h = NULL;
	struct snap prev = { 0 }, cur = { 0 };
	struct row *rows = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int r, rc = 0;

	sort_col = C_SPEED;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char opt;

		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(a, "-i") || !strcmp(a, "--ids")) {
			show_ids = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("lvetop (openlve) %s\n", OPENLVE_VERSION);
			return 0;
		}
		if (!strncmp(a, "--delay", 7) && (a[7] == '=' || !a[7]))
			opt = 'd', val = a[7] ? a + 8 : NULL;
		else if (!strncmp(a, "--iterations", 12) && (a[12] == '=' || !a[12]))
			opt = 'n', val = a[12] ? a + 13 : NULL;
		else if (!strncmp(a, "--order-by", 10) && (a[10] == '=' || !a[10]))
			opt = 'o', val = a[10] ? a + 11 : NULL;
		else if (!strncmp(a, "--limit", 7) && (a[7] == '=' || !a[7]))
			opt = 'l', val = a[7] ? a + 8 : NULL;
		else if (a[0] == '-' && a[1] && strchr("dnol", a[1]) && a[1] != 0)
			opt = a[1], val = a[2] ? a + 2 : NULL;
		else
			return bad_opt("unknown option or argument '%s'", a);
		if (!val) {
			if (i + 1 >= argc)
				return bad_opt("option '%s' needs a value", a);
			val = argv[++i];
		}
		switch (opt) {
		case 'd':
			if (parse_delay(val, &delay) < 0)
				return bad_opt("-d: '%s' is not a number of seconds 0.1..3600", val);
			break;
		case 'n':
			if (parse_count(val, 1000000000UL, &iterations) < 0 || iterations == 0)
				return bad_opt("-n: '%s' is not a positive number", val);
			break;
		case 'l':
			if (parse_count(val, 1000000000UL, &limit) < 0)
				return bad_opt("-l: '%s' is not a number", val);
			break;
		case 'o': {
			int c;

			for (c = 0; c < C__MAX; c++)
				if (!strcasecmp(val, col_name[c]))
					break;
			if (c == C__MAX)
				return bad_opt("-o: unknown column '%s' (ID EP PNO TNO SPEED MEM IO IOPS FAULTS)", val);
			sort_col = c;
			break;
		}
		}
	}

	r = olve_open(&h, OLVE_OPEN_NOCREATE);
	if (r == -ENOENT) {
		fprintf(stderr, "lvetop: no LVEs on this system (the LVE root does not exist)\n");
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "lvetop: cannot open the LVE library: %s\n", strerror(-r));
		return 1;
	}

	tty = isatty(STDOUT_FILENO) && !json;
	batch = json || iterations > 0 || !tty;
	if (!batch && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios t = saved_tio;

		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tio_saved = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		interactive = tio_saved;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!batch) {
		atexit(restore_terminal);
		fputs("\033[?25l\033[2J", stdout);
	}

	r = take(h, &prev);
	if (r < 0) {
		fprintf(stderr, "lvetop: reading usage: %s\n", strerror(-r));
		rc = 1;
		goto out;
	}
	for (unsigned long it = 0; !stop && (iterations == 0 || it < iterations); it++) {
		struct row *nr;
		size_t n, lim = limit;
		time_t now;
		char tbuf[32];

		wait_refresh((int64_t)(delay * 1e6), interactive);
		if (stop)
			break;
		r = take(h, &cur);
		if (r < 0) {
			fprintf(stderr, "lvetop: reading usage: %s\n", strerror(-r));
			rc = 1;
			break;
		}
		nr = realloc(rows, (cur.n ? cur.n : 1) * sizeof(*rows));
		if (!nr) {
			fprintf(stderr, "lvetop: out of memory\n");
			rc = 1;
			break;
		}
		rows = nr;
		n = rows_from(&prev, &cur, rows);
		qsort(rows, n, sizeof(*rows), cmp_row);
		snap_free(&prev);
		prev = cur;
		cur = (struct snap){ 0 };

		if (json) {
			print_json(stdout, rows, n, lim, delay);
			break;
		}
		now = time(NULL);
		if (!strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now)))
			tbuf[0] = 0;
		if (!batch) {
			struct winsize ws;

			if (!lim && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3)
				lim = ws.ws_row - 3;
			fputs("\033[H", stdout);
		} else if (it)
			fputc('\n', stdout);
		printf("lvetop - %s  %zu LVEs  refresh %.1f s%s\n", tbuf, n, delay, batch ? "" : "  (q quits)\033[K");
		print_table(stdout, rows, n, lim, !batch);
		if (!batch)
			fputs("\033[J", stdout);
		if (fflush(stdout) != 0) {
			rc = 1;
			break;
		}
	}
out:
	snap_free(&prev);
	snap_free(&cur);
	free(rows);
	olve_close(h);
	return rc;
}
