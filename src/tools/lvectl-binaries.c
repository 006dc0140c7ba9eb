/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: the binaries commands (CloudLinux's documented set-binary,
 * del-binary, list-binaries, load-binaries, reload-binaries): programs whose
 * processes run inside the LVE of their user (LVE id = uid) when executed.
 *
 * Two lists (format and rules: src/liblve/binaries.h):
 *   the configuration, openlve.conf's binaries_file (default
 *   /etc/container/lve-binaries): kept by the admin, comments preserved;
 *   the loaded list, <state_dir>/binaries: what openlve-placed enforces
 *   (it re-reads the file whenever it is replaced; see openlve-placed(8)).
 * set-binary / del-binary change both; load-binaries adds the configuration
 * to the loaded list (boot: openlve-placed.service runs it before the
 * daemon); reload-binaries makes the loaded list exactly the configuration
 * (after editing the file by hand); list-binaries prints the loaded list.
 * Every change holds the configuration's lock (".lve-binaries.lock" beside
 * it) and replaces files atomically: a failure leaves both as they were.
 */
#include "binaries.h"
#include "lvectl.h"

static const char config_header[] =
        "# Programs whose processes run inside the LVE of their user (LVE id = uid)\n"
        "# when executed: one absolute path per line, # starts a comment.\n"
        "# Changed by lvectl set-binary / del-binary; after editing by hand run\n"
        "# lvectl reload-binaries. See lvectl(8) and openlve-placed(8).\n";

static const char loaded_header[] =
        "# Loaded by lvectl (load-binaries, reload-binaries, set-binary, del-binary):\n"
        "# the binaries openlve-placed puts into LVEs now. Do not edit; see lvectl(8).\n";

/* <state_dir>/binaries */
static int loaded_path(const struct ctx *c, char *buf, size_t size)
{
	size_t n = strlen(c->conf.state_dir);
	int r = snprintf(buf, size, "%.*s/binaries",
	                 (int)(n > 1 && c->conf.state_dir[n - 1] == '/' ? n - 1 : n),
	                 c->conf.state_dir);

	if (r < 0 || (size_t)r >= size)
		return fail(EXIT_RUNTIME, "the state directory path %s is too long", c->conf.state_dir);
	return 0;
}

/* Load one list; what = "configuration" / "loaded list". 0 or an exit code. */
static int load_list(const char *path, const char *what, const char *fix, struct olve_binaries *b,
                     char **text)
{
	struct olve_binaries_error e;
	int r = olve_binaries_load(path, b, text, &e);

	if (r == -EINVAL || r == -EFBIG || r == -E2BIG) {
		if (e.line)
			return fail(EXIT_RUNTIME, "%s %s line %u: %s (%s; nothing was changed)", what,
			            path, e.line, e.msg, fix);
		return fail(EXIT_RUNTIME, "%s %s: %s (%s; nothing was changed)", what, path,
		            e.msg[0] ? e.msg : strerror(-r), fix);
	}
	if (r == -EPERM && geteuid() == 0)
		return fail(EXIT_RUNTIME,
		            "refusing %s %s: it or a directory above it is not root's or is "
		            "writable by others (fix the owner and mode)",
		            what, path);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read %s %s: %s%s", what, path, strerror(-r), hint(r));
	return 0;
}

static int load_config(const struct ctx *c, struct olve_binaries *b, char **text)
{
	int r = load_list(c->conf.binaries_file, "the binaries file", "fix the file", b, text);

	if (r == 0 && b->dup_line)
		fprintf(stderr, "%s: warning: %s line %u repeats line %u; the repetition is ignored\n",
		        lvectl_prog, c->conf.binaries_file, b->dup_line, b->dup_of);
	return r;
}

static int load_loaded(const struct ctx *c, struct olve_binaries *b)
{
	char path[PATH_MAX];
	int r = loaded_path(c, path, sizeof(path));

	if (r)
		return r;
	return load_list(path, "the loaded binaries list",
	                 "lvectl reload-binaries replaces it from the binaries file", b, NULL);
}

static int store_loaded(const struct ctx *c, const struct olve_binaries *b, bool config_changed)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	size_t len;
	int r = loaded_path(c, path, sizeof(path));

	if (r)
		return r;
	r = olve_binaries_format(b, loaded_header, &text, &len);
	if (r == 0)
		r = olve_binaries_write(path, text, len);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot write the loaded binaries list %s: %s%s%s", path,
		            strerror(-r), hint(r),
		            config_changed ? " (the binaries file was saved: fix the cause and run "
		                             "lvectl reload-binaries)"
		                           : " (nothing was changed)");
	return 0;
}

static int lock_binaries(const struct ctx *c, int *fd)
{
	*fd = vecfg_lock(c->conf.binaries_file, true, true);
	if (*fd == -EPERM && geteuid() == 0)
		return fail(EXIT_RUNTIME,
		            "refusing the binaries file %s: it or a directory above it is not root's or "
		            "is writable by others (fix the owner and mode)",
		            c->conf.binaries_file);
	if (*fd < 0)
		return fail(EXIT_RUNTIME, "cannot lock the binaries file %s: %s%s",
		            c->conf.binaries_file, strerror(-*fd), hint(*fd));
	return 0;
}

/*
 * Under the binaries file's lock (*lockfd): the file (its text too when text
 * is not NULL) and, when loaded is not NULL, the loaded list. 0 or the exit
 * status of the line already printed.
 */
static int open_lists(const struct ctx *c, int *lockfd, struct olve_binaries *conf, char **text,
                      struct olve_binaries *loaded)
{
	int r = lock_binaries(c, lockfd);

	if (!r)
		r = load_config(c, conf, text);
	if (!r && loaded)
		r = load_loaded(c, loaded);
	return r;
}

/* s for an error line: control characters as '?', cut at 200 bytes. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	for (; s[i] && i + 4 < size && i < 200; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	snprintf(buf + i, size - i, "%s", s[i] ? "..." : "");
	return buf;
}

/* The path arguments of set-binary / del-binary: at least one, each canonical. */
static int check_args(const char *cmd, int argc, char **argv)
{
	if (argc < 1)
		return fail(EXIT_USAGE, "%s needs the absolute path of a program (for example lvectl %s "
		            "/usr/bin/php)", cmd, cmd);
	for (int i = 0; i < argc; i++) {
		const char *why;
		char buf[256];

		if (olve_binary_path_check(argv[i], &why) < 0)
			return fail(EXIT_USAGE, "%s: \"%s\" %s", cmd, printable(argv[i], buf, sizeof(buf)),
			            why);
	}
	return 0;
}

int cmd_set_binary(struct ctx *c, int argc, char **argv)
{
	_cleanup_(olve_binaries_free) struct olve_binaries conf = {0}, loaded = {0};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lockfd = -1;
	char *newtext = NULL;
	size_t len = 0;
	FILE *f;
	bool changed = false;
	int r = check_args("set-binary", argc, argv);

	if (r)
		return r;
	/* the program must exist now: a typo is an error, not a silent no-op */
	for (int i = 0; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0)
			return fail(EXIT_RUNTIME, "set-binary: %s: %s (check the path; nothing was changed)",
			            argv[i], strerror(errno));
		if (!S_ISREG(st.st_mode))
			return fail(EXIT_RUNTIME, "set-binary: %s is not a regular file (give the program "
			            "itself; nothing was changed)", argv[i]);
		if (!(st.st_mode & 0111))
			return fail(EXIT_RUNTIME, "set-binary: %s is not executable (nothing was changed)",
			            argv[i]);
	}
	r = open_lists(c, &lockfd, &conf, &text, &loaded);
	if (r)
		return r;
	/* append the new lines, keeping the admin's text (comments) as it is */
	f = open_memstream(&newtext, &len);
	if (!f)
		return fail(EXIT_RUNTIME, "out of memory");
	fputs(text[0] ? text : config_header, f);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', f);
	for (int i = 0; i < argc; i++) {
		r = olve_binaries_add(&conf, argv[i]);
		if (r == 0)
			fprintf(stderr, "%s: %s is already listed\n", lvectl_prog, argv[i]);
		if (r > 0) {
			fprintf(f, "%s\n", argv[i]);
			changed = true;
		}
		if (r >= 0)
			r = olve_binaries_add(&loaded, argv[i]);
		if (r < 0)
			break;
	}
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(newtext);
		return fail(EXIT_RUNTIME, "set-binary: %s (nothing was changed)",
		            r == -E2BIG ? "more than 4096 binaries" : strerror(-r));
	}
	if (changed) {
		r = olve_binaries_write(c->conf.binaries_file, newtext, len);
		if (r < 0) {
			free(newtext);
			return fail(EXIT_RUNTIME, "cannot write the binaries file %s: %s%s (nothing was "
			            "changed)", c->conf.binaries_file, strerror(-r), hint(r));
		}
	}
	free(newtext);
	return store_loaded(c, &loaded, changed);
}

/* text without the lines that list `path`; *removed counts them. */
static char *drop_lines(const char *text, const char *path, unsigned *removed)
{
	size_t plen = strlen(path), len = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		size_t a = 0, z = nl ? n - 1 : n;

		while (a < z && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r'))
			a++;
		while (z > a && (p[z - 1] == ' ' || p[z - 1] == '\t' || p[z - 1] == '\r'))
			z--;
		if (z - a == plen && !memcmp(p + a, path, plen))
			(*removed)++;
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int cmd_del_binary(struct ctx *c, int argc, char **argv)
{
	_cleanup_(olve_binaries_free) struct olve_binaries conf = {0}, loaded = {0};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lockfd = -1;
	unsigned removed = 0;
	int r = check_args("del-binary", argc, argv);

	if (r)
		return r;
	r = open_lists(c, &lockfd, &conf, &text, &loaded);
	if (r)
		return r;
	for (int i = 0; i < argc; i++)
		if (!olve_binaries_has(&conf, argv[i]) && !olve_binaries_has(&loaded, argv[i]))
			return fail(EXIT_RUNTIME, "del-binary: %s is not listed (lvectl list-binaries "
			            "shows the list; nothing was changed)", argv[i]);
	for (int i = 0; i < argc; i++) {
		char *t = drop_lines(text, argv[i], &removed);

		if (!t)
			return fail(EXIT_RUNTIME, "out of memory");
		free(text);
		text = t;
		(void)olve_binaries_remove(&loaded, argv[i]);
	}
	if (removed) {
		r = olve_binaries_write(c->conf.binaries_file, text, strlen(text));
		if (r < 0)
			return fail(EXIT_RUNTIME, "cannot write the binaries file %s: %s%s (nothing was "
			            "changed)", c->conf.binaries_file, strerror(-r), hint(r));
	}
	return store_loaded(c, &loaded, removed > 0);
}

int cmd_list_binaries(struct ctx *c, int argc, char **argv)
{
	_cleanup_(olve_binaries_free) struct olve_binaries loaded = {0};
	int r;

	(void)argv;
	if (argc != 0)
		return fail(EXIT_USAGE, "list-binaries takes no argument");
	r = load_loaded(c, &loaded);
	if (r)
		return r;
	if (c->o.json) {
		fputs("{\"data\":[", stdout);
		for (size_t i = 0; i < loaded.n; i++) {
			if (i)
				fputc(',', stdout);
			json_str(stdout, loaded.path[i]);
		}
		fputs("]}\n", stdout);
		return 0;
	}
	for (size_t i = 0; i < loaded.n; i++)
		printf("%s\n", loaded.path[i]);
	return 0;
}

/* load-binaries (replace = false) and reload-binaries (replace = true). */
static int load_binaries(struct ctx *c, int argc, const char *cmd, bool replace)
{
	_cleanup_(olve_binaries_free) struct olve_binaries conf = {0}, loaded = {0};
	_cleanup_close_ int lockfd = -1;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "%s takes no argument (it reads %s)", cmd,
		            c->conf.binaries_file);
	r = open_lists(c, &lockfd, &conf, NULL, replace ? NULL : &loaded);
	if (r)
		return r;
	for (size_t i = 0; i < conf.n; i++) {
		struct stat st;

		if (stat(conf.path[i], &st) < 0 || !S_ISREG(st.st_mode))
			fprintf(stderr, "%s: warning: %s (listed in %s) is not a program here now; "
			        "loaded anyway\n", lvectl_prog, conf.path[i], c->conf.binaries_file);
		r = olve_binaries_add(&loaded, conf.path[i]);
		if (r < 0)
			return fail(EXIT_RUNTIME, "%s: %s (nothing was changed)", cmd,
			            r == -E2BIG ? "more than 4096 binaries" : strerror(-r));
	}
	return store_loaded(c, &loaded, false);
}

int cmd_load_binaries(struct ctx *c, int argc, char **argv)
{
	(void)argv;
	return load_binaries(c, argc, "load-binaries", false);
}

int cmd_reload_binaries(struct ctx *c, int argc, char **argv)
{
	(void)argv;
	return load_binaries(c, argc, "reload-binaries", true);
}
