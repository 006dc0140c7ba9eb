/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify.c - fault notifications by e-mail (notify.h): StatsNotifier.cfg,
 * the per-recipient interval rule, the message (template + headers) and
 * sendmail(8) children. lved calls it after every pass. A customer's
 * reseller comes from the limits store (olve_store_reseller_of).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "limits-store.h"
#include "macro.h"
#include "notify.h"
#include "pathsafe.h"

#define CFG_DIR_DEFAULT "/etc/sysconfig/lvestats.config"
#define CHILD_TIMEOUT 60
#define MAX_CHILDREN 32

/* ------------------------------------------------------------- config */

static void defaults(struct lve_notify_conf *c)
{
	*c = (struct lve_notify_conf){ .min_faults_admin = 1, .min_faults_user = 1, .interval_admin = 12 * 3600,
				       .interval_user = 12 * 3600 };
	snprintf(c->from, sizeof(c->from), "root");
	snprintf(c->subject, sizeof(c->subject), "LVE limits reached");
	snprintf(c->admin_email, sizeof(c->admin_email), "root");
	snprintf(c->charset, sizeof(c->charset), "us-ascii");
	snprintf(c->sendmail, sizeof(c->sendmail), "/usr/sbin/sendmail");
	snprintf(c->template_dir, sizeof(c->template_dir), "%s", SYSCONFDIR "/openlve/emails");
}

static int parse_yn(const char *v, bool *out)
{
	if (!strcasecmp(v, "Y") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "N") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "12h", "30m", "1d", "45s" or plain seconds; 1 s .. 30 days. */
static int interval(const char *v, uint32_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t mult = 1;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || v[0] == '-')
		return -EINVAL;
	if (*end) {
		if (end[1])
			return -EINVAL;
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -EINVAL;
		}
	}
	if (n == 0 || n * mult > 30ull * 86400)
		return -EINVAL;
	*out = (uint32_t)(n * mult);
	return 0;
}

/* A header value: printable, no CR/LF (no header injection). */
static int text(const char *v, char *out, size_t size)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	if (strlen(v) >= size)
		return -EINVAL;
	snprintf(out, size, "%s", v);
	return 0;
}

/* An address: no blanks, quotes, angle brackets or control characters. */
static int address(const char *v, char *out, size_t size)
{
	if (!*v || v[0] == '-' || strpbrk(v, " \t\"<>,;()\\"))
		return -EINVAL;
	return text(v, out, size);
}

static int set_key(struct lve_notify_conf *c, const char *k, const char *v)
{
	static const struct {
		const char *k;
		size_t off;
	} flags[] = {
		{ "NOTIFY_ADMIN", offsetof(struct lve_notify_conf, admin) },
		{ "NOTIFY_CUSTOMER", offsetof(struct lve_notify_conf, customer) },
		{ "NOTIFY_CPU", offsetof(struct lve_notify_conf, cpu) },
		{ "NOTIFY_IO", offsetof(struct lve_notify_conf, io) },
		{ "NOTIFY_IOPS", offsetof(struct lve_notify_conf, iops) },
		{ "NOTIFY_MEMORY", offsetof(struct lve_notify_conf, mem) },
		{ "NOTIFY_EP", offsetof(struct lve_notify_conf, ep) },
		{ "NOTIFY_NPROC", offsetof(struct lve_notify_conf, nproc) },
	};
	for (size_t i = 0; i < ELEMENTSOF(flags); i++)
		if (!strcmp(k, flags[i].k))
			return parse_yn(v, (bool *)((char *)c + flags[i].off));
	if (!strcmp(k, "NOTIFY_RESELLER"))
		return parse_yn(v, &c->reseller);
	if (!strcmp(k, "NOTIFY_INCLUDE_RESELLER_CUSTOMER"))
		return parse_yn(v, &c->include_reseller_customer);
	if (!strcmp(k, "NOTIFY_MIN_FAULTS_ADMIN") || !strcmp(k, "NOTIFY_MIN_FAULTS_USER")) {
		uint32_t x;

		if (ol_parse_u32(v, &x) < 0 || x == 0)
			return -EINVAL;
		*(k[18] == 'A' ? &c->min_faults_admin : &c->min_faults_user) = x;
		return 0;
	}
	if (!strcmp(k, "NOTIFY_INTERVAL_ADMIN"))
		return interval(v, &c->interval_admin);
	if (!strcmp(k, "NOTIFY_INTERVAL_USER"))
		return interval(v, &c->interval_user);
	if (!strcmp(k, "NOTIFY_FROM_EMAIL"))
		return address(v, c->from, sizeof(c->from));
	if (!strcmp(k, "REPORT_ADMIN_EMAIL"))
		return address(v, c->admin_email, sizeof(c->admin_email));
	if (!strcmp(k, "NOTIFY_USER_DOMAIN"))
		return !*v ? (c->user_domain[0] = 0, 0) : address(v, c->user_domain, sizeof(c->user_domain));
	if (!strcmp(k, "NOTIFY_FROM_SUBJECT"))
		return text(v, c->subject, sizeof(c->subject));
	if (!strcmp(k, "NOTIFY_CHARSET_EMAIL")) {
		if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(v))
			return -EINVAL;
		return text(v, c->charset, sizeof(c->charset));
	}
	if (!strcmp(k, "SENDMAIL") || !strcmp(k, "TEMPLATE_DIR")) {
		if (v[0] != '/')
			return -EINVAL;
		return text(v, k[0] == 'S' ? c->sendmail : c->template_dir,
			    k[0] == 'S' ? sizeof(c->sendmail) : sizeof(c->template_dir));
	}
	return 0; /* other keys of the file (newer lve-stats): accepted */
}

int lve_notify_conf_parse(const char *txt, struct lve_notify_conf *out, unsigned *errline)
{
	struct lve_notify_conf c;
	unsigned line = 0;
	const char *p = txt;

	defaults(&c);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[1024], *k, *v, *eq, *e;

		line++;
		if (len >= sizeof(buf))
			goto bad;
		memcpy(buf, p, len);
		buf[len] = 0;
		p = nl ? nl + 1 : NULL;
		if (len && buf[len - 1] == '\r')
			buf[len - 1] = 0;
		k = buf + strspn(buf, " \t");
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			goto bad;
		v = eq + 1 + strspn(eq + 1, " \t");
		*eq = 0;
		for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = 0;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = 0;
		if (!*k || set_key(&c, k, v) < 0)
			goto bad;
	}
	*out = c;
	return 0;
bad:
	if (errline)
		*errline = line;
	return -EINVAL;
}

int lve_notify_conf_load(const char *cfgdir, struct lve_notify_conf *out, unsigned *errline)
{
	_cleanup_free_ char *txt = NULL;
	_cleanup_close_ int dfd = open(cfgdir ? cfgdir : CFG_DIR_DEFAULT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t len;
	int r;

	if (dfd >= 0) {
		r = ol_read_full_at(dfd, "StatsNotifier.cfg", &txt, &len);
		if (r < 0 && r != -ENOENT)
			return r;
	} else if (errno != ENOENT)
		return -errno;
	return lve_notify_conf_parse(txt ? txt : "", out, errline);
}

/* -------------------------------------------------------------- state */

enum { F_CPU, F_EP, F_MEM, F_NPROC, F_IO, F_IOPS, F__MAX };
static const char *const fault_title[F__MAX] = { "CPU", "EP", "memory", "NPROC", "IO", "IOPS" };

struct window {
	int64_t last_mail;        /* ts of the last mail, INT64_MIN: none yet */
	uint64_t f[F__MAX];       /* collected since then */
};

struct lve_acc {
	uint32_t id;
	uint32_t reseller;        /* its reseller when it last faulted, 0 = none */
	struct window user;
	uint64_t admin_f[F__MAX]; /* collected for the admin's next mail */
	uint64_t res_f[F__MAX];   /* collected for its reseller's next mail */
};

struct res_win {
	uint32_t rid;
	int64_t last_mail;        /* INT64_MIN: none yet */
	struct window own;        /* faults of its own caps (lvp<R>), lve_notifier_reseller_faults */
};

struct child {
	pid_t pid;
	int64_t started;          /* CLOCK_MONOTONIC seconds */
};

struct lve_notifier {
	struct lve_notify_conf c;
	int64_t res_ts;           /* newest reseller sample not yet passed, 0 none */
	struct lve_acc *acc;
	size_t n, cap;
	struct res_win *res;
	size_t nres, capres;
	uint64_t lookup_failed;
	int lookup_err;
	struct window admin;
	struct child kids[MAX_CHILDREN];
	uint64_t sent, failed;
	char hostname[256];
};

int lve_notifier_new(const struct lve_notify_conf *c, struct lve_notifier **out)
{
	struct lve_notifier *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->c = *c;
	n->admin.last_mail = INT64_MIN;
	if (gethostname(n->hostname, sizeof(n->hostname) - 1) < 0)
		snprintf(n->hostname, sizeof(n->hostname), "localhost");
	*out = n;
	return 0;
}

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void reap(struct lve_notifier *n, bool block)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *k = &n->kids[i];
		int st;
		pid_t r;

		if (!k->pid)
			continue;
		if (mono_s() - k->started > CHILD_TIMEOUT)
			kill(k->pid, SIGKILL);
		r = waitpid(k->pid, &st, block ? 0 : WNOHANG);
		if (r == k->pid || (r < 0 && errno == ECHILD)) {
			if (r == k->pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
				n->sent++;
			else
				n->failed++;
			k->pid = 0;
		}
	}
}

void lve_notifier_free(struct lve_notifier *n)
{
	if (!n)
		return;
	for (int t = 0; t < 50; t++) {
		bool any = false;

		reap(n, false);
		for (int i = 0; i < MAX_CHILDREN; i++)
			any |= n->kids[i].pid != 0;
		if (!any)
			break;
		usleep(100 * 1000);
	}
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (n->kids[i].pid) {
			kill(n->kids[i].pid, SIGKILL);
			waitpid(n->kids[i].pid, NULL, 0);
		}
	free(n->acc);
	free(n->res);
	free(n);
}

void lve_notifier_status(struct lve_notifier *n, struct lve_notify_status *out)
{
	reap(n, false);
	*out = (struct lve_notify_status){ .sent = n->sent, .failed = n->failed,
					   .reseller_lookup_failed = n->lookup_failed, .reseller_lookup_err = n->lookup_err };
	for (int i = 0; i < MAX_CHILDREN; i++)
		out->running += n->kids[i].pid != 0;
}

static struct lve_acc *acc_of(struct lve_notifier *n, uint32_t id)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->acc[i].id == id)
			return &n->acc[i];
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		struct lve_acc *a = realloc(n->acc, cap * sizeof(*a));

		if (!a)
			return NULL;
		n->acc = a;
		n->cap = cap;
	}
	n->acc[n->n] = (struct lve_acc){ .id = id, .user.last_mail = INT64_MIN };
	return &n->acc[n->n++];
}

static struct res_win *res_of(struct lve_notifier *n, uint32_t rid)
{
	for (size_t i = 0; i < n->nres; i++)
		if (n->res[i].rid == rid)
			return &n->res[i];
	if (n->nres == n->capres) {
		size_t cap = n->capres ? n->capres * 2 : 8;
		struct res_win *a = realloc(n->res, cap * sizeof(*a));

		if (!a)
			return NULL;
		n->res = a;
		n->capres = cap;
	}
	n->res[n->nres] = (struct res_win){ .rid = rid, .last_mail = INT64_MIN, .own.last_mail = INT64_MIN };
	return &n->res[n->nres++];
}

static uint64_t total(const uint64_t *f)
{
	uint64_t t = 0;

	for (int i = 0; i < F__MAX; i++)
		t += f[i];
	return t;
}

/* ------------------------------------------------------------- sending */

/*
 * The reseller of LVE id from the limits store (0 = none). The store is
 * used only when root alone can change it (pathsafe.h, checked once per
 * pass in *trusted); a store that cannot be read counts as a failed lookup
 * (lve_notify_status) and the LVE as one without reseller.
 */
static uint32_t reseller_of(struct lve_notifier *n, uint32_t id, int *trusted)
{
	uint32_t rid = 0;
	int r;

	if (!n->c.limits_file[0] || (!n->c.reseller && !n->c.customer))
		return 0;
	if (*trusted < 0) {
		r = ol_path_trusted(n->c.limits_file, NULL, 0);
		*trusted = r >= 0;
		if (r < 0 && r != -ENOENT) {
			n->lookup_failed++;
			n->lookup_err = r;
		}
	}
	if (!*trusted)
		return 0;
	r = olve_store_reseller_of(n->c.limits_file, id, &rid);
	if (r < 0) {
		n->lookup_failed++;
		n->lookup_err = r;
	}
	return r == 1 ? rid : 0;
}

/* The login of uid id; false when it has none. */
static bool login_of(uint32_t id, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[2048];

	if (getpwuid_r(id, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return false;
	snprintf(buf, size, "%s", res->pw_name);
	return true;
}

static void user_of(uint32_t id, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[2048];

	if (getpwuid_r(id, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "%" PRIu32, id);
}

static const char *const default_admin =
	"LVEs on {{hostname}} reached their limits between {{from}} and {{to}}:\n\n{{faults}}\n"
	"See lveinfo --by-fault any, lvechart and lve-read-snapshot for details.\n";
static const char *const default_user =
	"Dear {{user}},\n\nyour account on {{hostname}} reached its resource limits between {{from}} and {{to}}:\n\n"
	"{{faults}}\nWhile a limit is reached, your sites are slowed down or answer with errors.\n";

static const char *const default_reseller_limits =
	"Dear {{user}},\n\nthe accounts of your customers on {{hostname}} together reached your reseller limits between "
	"{{from}} and {{to}}:\n\n{{faults}}\nWhile your limits are reached, all your customers' sites are slowed down or "
	"answer with errors.\n";

static const char *const default_reseller =
	"Dear {{user}},\n\nthe accounts of your customers on {{hostname}} reached their resource limits between {{from}} "
	"and {{to}}:\n\n{{faults}}\nWhile a limit is reached, their sites are slowed down or answer with errors.\n";

/* The template with {{key}} replaced; unknown keys stay as they are. */
static void render(FILE *m, const char *tpl, const char *const *keys, const char *const *vals, size_t nk)
{
	for (const char *p = tpl; *p;) {
		bool done = false;

		if (p[0] == '{' && p[1] == '{')
			for (size_t i = 0; i < nk; i++) {
				size_t kl = strlen(keys[i]);

				if (!strncmp(p + 2, keys[i], kl) && !strncmp(p + 2 + kl, "}}", 2)) {
					fputs(vals[i], m);
					p += 4 + kl;
					done = true;
					break;
				}
			}
		if (!done)
			fputc(*p++, m);
	}
}

static int spawn_sendmail(struct lve_notifier *n, const char *msg, size_t len)
{
	int pfd[2], slot = -1;
	pid_t pid;

	reap(n, false);
	for (int i = 0; i < MAX_CHILDREN && slot < 0; i++)
		if (!n->kids[i].pid)
			slot = i;
	if (slot < 0) {
		n->failed++;
		return -EAGAIN;
	}
	/* a socket, not a pipe: a sendmail that exits early must not kill lved
	 * with SIGPIPE (send(MSG_NOSIGNAL) gets EPIPE instead) */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pfd) < 0) {
		n->failed++;
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(pfd[0]);
		close(pfd[1]);
		n->failed++;
		return e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(pfd[0], 0);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(n->c.sendmail, "sendmail", "-t", "-i", (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	/* a message is a few KiB: the pipe takes it without blocking the daemon */
	for (size_t off = 0; off < len;) {
		ssize_t w = send(pfd[1], msg + off, len - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	close(pfd[1]);
	n->kids[slot] = (struct child){ .pid = pid, .started = mono_s() };
	return 0;
}

static void when(int64_t ts, char *buf, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm);
}

/* One mail: to, the fault table rows (ids + counts), the window. */
static int mail(struct lve_notifier *n, const char *to, const char *tplname, const char *deftpl, const char *user,
		const char *hdr, uint32_t id, const uint32_t *ids, const uint64_t *const *rows, size_t nrows, int64_t from, int64_t until)
{
	_cleanup_free_ char *tpl = NULL, *table = NULL, *msg = NULL;
	size_t tl = 0, ml = 0, len;
	_cleanup_close_ int dfd = open(n->c.template_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char a[64], b[64], date[64], idbuf[16], uname[256];
	time_t now = time(NULL);
	struct tm tm;
	FILE *m;

	if (dfd < 0 || ol_read_full_at(dfd, tplname, &tpl, &len) < 0)
		tpl = NULL;
	m = open_memstream(&table, &tl);
	if (!m)
		return -ENOMEM;
	fprintf(m, "%-10s %-16s", "LVE", "user");
	for (int k = 0; k < F__MAX; k++)
		fprintf(m, " %7s", fault_title[k]);
	fputc('\n', m);
	for (size_t i = 0; i < nrows; i++) {
		user_of(ids[i], uname, sizeof(uname));
		fprintf(m, "%-10" PRIu32 " %-16s", ids[i], uname);
		for (int k = 0; k < F__MAX; k++)
			fprintf(m, " %7" PRIu64, rows[i][k]);
		fputc('\n', m);
	}
	if (fclose(m) != 0)
		return -ENOMEM;
	when(from, a, sizeof(a));
	when(until, b, sizeof(b));
	snprintf(idbuf, sizeof(idbuf), "%" PRIu32, id);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	m = open_memstream(&msg, &ml);
	if (!m)
		return -ENOMEM;
	fprintf(m, "From: %s\nTo: %s\nSubject: %s\nDate: %s\nMIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\n"
		   "%s: %s\n\n",
		n->c.from, to, n->c.subject, date, n->c.charset, hdr, id ? idbuf : "all");
	{
		const char *const keys[] = { "hostname", "user", "id", "from", "to", "faults" };
		const char *const vals[] = { n->hostname, user, idbuf, a, b, table };

		render(m, tpl ? tpl : deftpl, keys, vals, ELEMENTSOF(keys));
	}
	if (fclose(m) != 0)
		return -ENOMEM;
	return spawn_sendmail(n, msg, ml);
}

/* The counted faults of a sample (NOTIFY_CPU, NOTIFY_EP, ... select them). */
static void counted(const struct lve_notifier *n, const struct lve_sample *x, uint64_t f[F__MAX])
{
	f[F_CPU] = n->c.cpu ? x->CPUf : 0;
	f[F_EP] = n->c.ep ? x->EPf : 0;
	f[F_MEM] = n->c.mem ? x->PMemF + x->VMemF : 0;
	f[F_NPROC] = n->c.nproc ? x->NprocF : 0;
	f[F_IO] = n->c.io ? x->IOf : 0;
	f[F_IOPS] = n->c.iops ? x->IOPSf : 0;
}

int lve_notifier_reseller_faults(struct lve_notifier *n, const struct lve_sample *s, size_t count)
{
	if (!n || !n->c.reseller)
		return 0;
	for (size_t i = 0; i < count; i++) {
		uint64_t f[F__MAX];
		struct res_win *w;

		if (s[i].ts > n->res_ts)
			n->res_ts = s[i].ts;
		counted(n, &s[i], f);
		if (!total(f))
			continue;
		w = res_of(n, s[i].id);
		if (!w)
			return -ENOMEM;
		for (int k = 0; k < F__MAX; k++)
			w->own.f[k] += f[k];
	}
	return 0;
}

int lve_notifier_pass(struct lve_notifier *n, const struct lve_sample *s, size_t count)
{
	int started = 0, first_err = 0, trusted = -1;
	int64_t now = 0;

	if (!n || (!n->c.admin && !n->c.customer && !n->c.reseller))
		return 0;
	reap(n, false);
	for (size_t i = 0; i < count; i++) {
		const struct lve_sample *x = &s[i];
		uint64_t f[F__MAX];
		struct lve_acc *a;

		counted(n, x, f);
		if (x->ts > now)
			now = x->ts;
		if (!total(f))
			continue;
		a = acc_of(n, x->id);
		if (!a)
			return -ENOMEM;
		a->reseller = reseller_of(n, x->id, &trusted);
		for (int k = 0; k < F__MAX; k++) {
			/* NOTIFY_INCLUDE_RESELLER_CUSTOMER=N: only the host's own customers get mail */
			if (!a->reseller || n->c.include_reseller_customer)
				a->user.f[k] += f[k];
			a->admin_f[k] += f[k];
			if (a->reseller && n->c.reseller)
				a->res_f[k] += f[k];
		}
	}
	if (n->res_ts > now)
		now = n->res_ts;
	n->res_ts = 0;
	if (!now)
		return 0;
	/* customers: each their own mail */
	for (size_t i = 0; n->c.customer && i < n->n; i++) {
		struct lve_acc *a = &n->acc[i];
		char user[256], to[600];
		const uint64_t *row = a->user.f;
		int r;

		if (total(a->user.f) < n->c.min_faults_user ||
		    (a->user.last_mail != INT64_MIN && now - a->user.last_mail < (int64_t)n->c.interval_user))
			continue;
		user_of(a->id, user, sizeof(user));
		if (n->c.user_domain[0])
			snprintf(to, sizeof(to), "%s@%s", user, n->c.user_domain);
		else
			snprintf(to, sizeof(to), "%s", user);
		r = mail(n, to, "user_notify.txt", default_user, user, "X-Openlve-LVE", a->id, &a->id, &row, 1,
			 a->user.last_mail == INT64_MIN ? now - (int64_t)n->c.interval_user : a->user.last_mail, now);
		if (r < 0) {
			first_err = first_err ?: r;
			continue;
		}
		started++;
		a->user.last_mail = now;
		memset(a->user.f, 0, sizeof(a->user.f));
	}
	/* resellers: one mail each for their customers' LVEs (NOTIFY_RESELLER) */
	for (size_t i = 0; n->c.reseller && i < n->n; i++)
		if (total(n->acc[i].res_f) && !res_of(n, n->acc[i].reseller))
			return -ENOMEM;
	for (size_t j = 0; n->c.reseller && j < n->nres; j++) {
		struct res_win *w = &n->res[j];
		_cleanup_free_ uint32_t *ids = calloc(n->n ? n->n : 1, sizeof(*ids));
		_cleanup_free_ const uint64_t **rows = calloc(n->n ? n->n : 1, sizeof(*rows));
		uint64_t sum = 0;
		size_t k = 0;
		char name[256], to[600];
		int r;

		if (!ids || !rows)
			return -ENOMEM;
		for (size_t i = 0; i < n->n; i++)
			if (n->acc[i].reseller == w->rid && total(n->acc[i].res_f)) {
				ids[k] = n->acc[i].id;
				rows[k++] = n->acc[i].res_f;
				sum += total(n->acc[i].res_f);
			}
		if (!k || sum < n->c.min_faults_user ||
		    (w->last_mail != INT64_MIN && now - w->last_mail < (int64_t)n->c.interval_user))
			continue;
		if (!login_of(w->rid, name, sizeof(name))) {
			/* a reseller without a login has no address: counted, its faults dropped */
			n->lookup_failed++;
			n->lookup_err = -ENOENT;
			for (size_t i = 0; i < n->n; i++)
				if (n->acc[i].reseller == w->rid)
					memset(n->acc[i].res_f, 0, sizeof(n->acc[i].res_f));
			continue;
		}
		if (n->c.user_domain[0])
			snprintf(to, sizeof(to), "%s@%s", name, n->c.user_domain);
		else
			snprintf(to, sizeof(to), "%s", name);
		r = mail(n, to, "reseller_notify.txt", default_reseller, name, "X-Openlve-Reseller", w->rid, ids, rows,
			 k, w->last_mail == INT64_MIN ? now - (int64_t)n->c.interval_user : w->last_mail, now);
		if (r < 0) {
			first_err = first_err ?: r;
			continue;
		}
		started++;
		w->last_mail = now;
		for (size_t i = 0; i < n->n; i++)
			if (n->acc[i].reseller == w->rid)
				memset(n->acc[i].res_f, 0, sizeof(n->acc[i].res_f));
	}
	/* resellers whose own caps were reached: one mail each, apart from the one about their customers */
	for (size_t j = 0; n->c.reseller && j < n->nres; j++) {
		struct res_win *w = &n->res[j];
		const uint64_t *row = w->own.f;
		char name[256], to[600];
		int r;

		if (total(w->own.f) < n->c.min_faults_user ||
		    (w->own.last_mail != INT64_MIN && now - w->own.last_mail < (int64_t)n->c.interval_user))
			continue;
		if (!login_of(w->rid, name, sizeof(name))) {
			n->lookup_failed++;
			n->lookup_err = -ENOENT;
			memset(w->own.f, 0, sizeof(w->own.f));
			continue;
		}
		if (n->c.user_domain[0])
			snprintf(to, sizeof(to), "%s@%s", name, n->c.user_domain);
		else
			snprintf(to, sizeof(to), "%s", name);
		r = mail(n, to, "reseller_limits_notify.txt", default_reseller_limits, name, "X-Openlve-Reseller-Limits",
			 w->rid, &w->rid, &row, 1,
			 w->own.last_mail == INT64_MIN ? now - (int64_t)n->c.interval_user : w->own.last_mail, now);
		if (r < 0) {
			first_err = first_err ?: r;
			continue;
		}
		started++;
		w->own.last_mail = now;
		memset(w->own.f, 0, sizeof(w->own.f));
	}
	/* the admin: one mail for every LVE that reached the minimum */
	if (n->c.admin && (n->admin.last_mail == INT64_MIN || now - n->admin.last_mail >= (int64_t)n->c.interval_admin)) {
		_cleanup_free_ uint32_t *ids = calloc(n->n ? n->n : 1, sizeof(*ids));
		_cleanup_free_ const uint64_t **rows = calloc(n->n ? n->n : 1, sizeof(*rows));
		size_t k = 0;

		if (!ids || !rows)
			return -ENOMEM;
		for (size_t i = 0; i < n->n; i++)
			if (total(n->acc[i].admin_f) >= n->c.min_faults_admin) {
				ids[k] = n->acc[i].id;
				rows[k++] = n->acc[i].admin_f;
			}
		if (k) {
			int r = mail(n, n->c.admin_email, "admin_notify.txt", default_admin, "root", "X-Openlve-LVE", 0, ids, rows, k,
				     n->admin.last_mail == INT64_MIN ? now - (int64_t)n->c.interval_admin : n->admin.last_mail,
				     now);

			if (r < 0)
				first_err = first_err ?: r;
			else {
				started++;
				n->admin.last_mail = now;
				for (size_t i = 0; i < n->n; i++)
					memset(n->acc[i].admin_f, 0, sizeof(n->acc[i].admin_f));
			}
		}
	}
	/* forget LVEs with nothing pending and no mail in the last interval (bounded memory) */
	{
		size_t k = 0;
		int64_t keep = n->c.interval_user > n->c.interval_admin ? n->c.interval_user : n->c.interval_admin;

		for (size_t i = 0; i < n->n; i++)
			if (total(n->acc[i].user.f) || total(n->acc[i].admin_f) || total(n->acc[i].res_f) ||
			    (n->acc[i].user.last_mail != INT64_MIN && now - n->acc[i].user.last_mail < keep))
				n->acc[k++] = n->acc[i];
		n->n = k;
		k = 0;
		for (size_t j = 0; j < n->nres; j++) {
			bool pending = false;

			for (size_t i = 0; i < n->n && !pending; i++)
				pending = n->acc[i].reseller == n->res[j].rid && total(n->acc[i].res_f);
			pending = pending || total(n->res[j].own.f);
			if (pending || (n->res[j].last_mail != INT64_MIN && now - n->res[j].last_mail < keep) ||
			    (n->res[j].own.last_mail != INT64_MIN && now - n->res[j].own.last_mail < keep))
				n->res[k++] = n->res[j];
		}
		n->nres = k;
	}
	return first_err ? first_err : started;
}
