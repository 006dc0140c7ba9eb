/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lvectl-binaries - lvectl's binaries commands (set-binary, del-binary,
 * list-binaries, load-binaries, reload-binaries; issue 10) and
 * openlve-placed enforcing the loaded list on the real kernel: a customer
 * (a non-root user made by the test) exec's a listed program and its
 * process lands in LVE <uid>; an unlisted program does not; a listed
 * program run by root never; a list changed while the daemon runs applies
 * to processes already running. Every bad input of the commands is refused
 * with one line and leaves both lists byte for byte as they were.
 *
 * "Not placed" is proven without timing: the unlisted program exec's
 * first, then a listed one; the daemon handles the kernel's process events
 * in order, so once the listed one is inside, the unlisted one's exec was
 * decided already.
 *
 * The machine is shared: the daemon only looks at the three uids this test
 * creates (placed-testenv.h); the LVE root, ve.cfg, the binaries file and
 * the state dir are the test's own (lve-testenv.h). The programs are copies
 * of /bin/sleep in a directory of the test's own.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-testenv.h"
#include "placed-testenv.h"
#include "macro.h"

static char bin_dir[64];  /* the programs: /tmp/olvb-XXXXXX, 0755 */
static char listed[128], plain[128], other[128];

/* ---------------------------------------------------------- lvectl runs */

struct out {
	int status;
	char out[8192];
	char err[8192];
};

static void slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

static int lvectl_v(struct out *o, const char *const *args)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char exe[512], po[600], pe[600];
	const char *argv[16];
	int n = 0, st;
	pid_t p;

	snprintf(exe, sizeof(exe), "%s/src/tools/lvectl", b ? b : ".");
	snprintf(po, sizeof(po), "%s/lvectl.out", lte_dir);
	snprintf(pe, sizeof(pe), "%s/lvectl.err", lte_dir);
	argv[n++] = exe;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fo < 0 || fe < 0)
			_exit(126);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) != p)
		return -errno;
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(po, o->out, sizeof(o->out));
	slurp(pe, o->err, sizeof(o->err));
	if (o->err[0])
		fprintf(stderr, "# lvectl stderr: %s", o->err);
	return 0;
}

#define LVECTL(o, ...) lvectl_v((o), (const char *const[]){ __VA_ARGS__, NULL })

static struct out R;

/* Exactly one "lvectl: ..." line on stderr. */
static bool one_error_line(const char *err)
{
	const char *nl = strchr(err, '\n');

	return !strncmp(err, "lvectl: ", 8) && nl && nl[1] == 0;
}

/* Whole file, "" when missing (static buffer per slot). */
static const char *file_text(const char *name, int slot)
{
	static char buf[2][16384];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", lte_dir, name);
	slurp(path, buf[slot], sizeof(buf[slot]));
	return buf[slot];
}

#define CONFIG() file_text("lve-binaries", 0)
#define LOADED() file_text("state/binaries", 1)

static int write_config(const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/lve-binaries", lte_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Is `path` a line of text (blanks around it allowed)? */
static bool has_line(const char *text, const char *path)
{
	size_t n = strlen(path);

	for (const char *p = text; *p;) {
		const char *nl = strchrnul(p, '\n');
		const char *a = p, *z = nl;

		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
			z--;
		if ((size_t)(z - a) == n && !memcmp(a, path, n))
			return true;
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

/* ------------------------------------------------------------- programs */

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (fchmod(out, mode) < 0 || close(out) < 0 || n < 0)
		return -EIO;
	return 0;
}

/* Three copies of sleep in a directory every user may enter. */
static int programs_make(void)
{
	snprintf(bin_dir, sizeof(bin_dir), "/tmp/olvb-XXXXXX");
	if (!mkdtemp(bin_dir))
		return -errno;
	if (tap_cleanup_path(bin_dir) < 0 || chmod(bin_dir, 0755) < 0)
		return -EIO;
	snprintf(listed, sizeof(listed), "%s/listed-sleep", bin_dir);
	snprintf(plain, sizeof(plain), "%s/plain-sleep", bin_dir);
	snprintf(other, sizeof(other), "%s/other-sleep", bin_dir);
	if (copy_file("/bin/sleep", listed, 0755) < 0 || copy_file("/bin/sleep", plain, 0755) < 0 ||
	    copy_file("/bin/sleep", other, 0755) < 0)
		return -EIO;
	return 0;
}

struct exec_arg {
	uid_t uid;
	const char *prog;
};

static int exec_body(void *p)
{
	const struct exec_arg *a = p;

	if (a->uid != 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(a->uid, a->uid, a->uid) < 0))
		return 1;
	execl(a->prog, "sleep", "1000", (char *)NULL);
	return 127;
}

/* Readlink of /proc/pid/exe == prog (the exec happened), waiting up to WAIT_MS. */
static bool wait_exec(pid_t pid, const char *prog)
{
	char path[64], exe[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	for (long long end = now_ms() + WAIT_MS; now_ms() < end; usleep(2000)) {
		ssize_t n = readlink(path, exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = 0;
			if (!strcmp(exe, prog))
				return true;
		}
	}
	return false;
}

/* A process (in "home") that takes uid (0: stays root) and exec's prog; its pid once exec'd. */
static pid_t run_as(uid_t uid, const char *prog)
{
	struct exec_arg a = { uid, prog };
	pid_t p = cgtest_fork_in("home", exec_body, &a);

	if (p > 0 && !wait_exec(p, prog)) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		return -ETIMEDOUT;
	}
	return p;
}

static void stop(pid_t p)
{
	if (p > 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
}

/* ---------------------------------------------------------------- tests */

#define SETUP()                                                                          \
	LTE_SETUP();                                                                     \
	if (programs_make() < 0)                                                         \
		TAP_FAIL("cannot copy /bin/sleep into %s", bin_dir);                     \
	if (users_make() < 0) {                                                          \
		users_remove();                                                          \
		SKIP("useradd failed");                                                 \
	}

#define TEARDOWN()                                                                       \
	do {                                                                             \
		placed_stop();                                                           \
		users_remove();                                                          \
	} while (0)

#define BIN_TEST(name)                                                                   \
	static int name##_body(void);                                                    \
	TEST(name)                                                                       \
	{                                                                                \
		int _r;                                                                  \
		REQUIRE_ROOT();                                                          \
		SETUP();                                                                 \
		_r = name##_body();                                                      \
		TEARDOWN();                                                              \
		return _r;                                                               \
	}                                                                                \
	static int name##_body(void)

/* Both lists exactly as before a refused command: compare copies. */
#define ASSERT_LISTS_UNCHANGED(conf_before, loaded_before)                               \
	do {                                                                             \
		ASSERT_STREQ(CONFIG(), conf_before);                                     \
		ASSERT_STREQ(LOADED(), loaded_before);                                   \
	} while (0)

BIN_TEST(binaries_commands_and_lists)
{
	char conf[16384], loaded[16384];

	/* nothing yet: an empty list */
	ASSERT_OK(LVECTL(&R, "list-binaries"));
	ASSERT_EQ(R.status, 0);
	ASSERT_STREQ(R.out, "");
	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	ASSERT(has_line(CONFIG(), listed));
	ASSERT(strstr(CONFIG(), "# ") == CONFIG()); /* the explaining header */
	ASSERT(has_line(LOADED(), listed));
	ASSERT_OK(LVECTL(&R, "list-binaries"));
	ASSERT_EQ(R.status, 0);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s\n", listed);
		ASSERT_STREQ(R.out, want);
	}
	ASSERT_OK(LVECTL(&R, "list-binaries", "--json"));
	ASSERT_EQ(R.status, 0);
	{
		char want[256];

		snprintf(want, sizeof(want), "{\"data\":[\"%s\"]}\n", listed);
		ASSERT_STREQ(R.out, want);
	}
	/* the same again: no change, said so */
	snprintf(conf, sizeof(conf), "%s", CONFIG());
	ASSERT_OK(LVECTL(&R, "set-binary", listed, "--json"));
	ASSERT_EQ(R.status, 0);
	ASSERT_STREQ(R.out, "{\"status\": \"OK\"}\n");
	ASSERT(strstr(R.err, "already listed"));
	ASSERT_STREQ(CONFIG(), conf);

	/* an admin's comment survives set-binary and del-binary */
	{
		char text[1024];

		snprintf(text, sizeof(text), "# our PHP\n%s\n", listed);
		ASSERT_OK(write_config(text));
	}
	ASSERT_OK(LVECTL(&R, "set-binary", other));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(CONFIG(), "# our PHP\n") == CONFIG());
	ASSERT(has_line(CONFIG(), other) && has_line(LOADED(), other) && has_line(LOADED(), listed));
	ASSERT_OK(LVECTL(&R, "del-binary", other));
	ASSERT_EQ(R.status, 0);
	ASSERT(!has_line(CONFIG(), other) && !has_line(LOADED(), other));
	ASSERT(strstr(CONFIG(), "# our PHP\n") == CONFIG() && has_line(CONFIG(), listed));

	/* edited by hand: load-binaries adds, reload-binaries makes it exact */
	{
		char text[1024];

		snprintf(text, sizeof(text), "%s\n", other);
		ASSERT_OK(write_config(text));
	}
	ASSERT_OK(LVECTL(&R, "load-binaries"));
	ASSERT_EQ(R.status, 0);
	ASSERT(has_line(LOADED(), listed) && has_line(LOADED(), other));
	ASSERT_OK(LVECTL(&R, "reload-binaries"));
	ASSERT_EQ(R.status, 0);
	ASSERT(!has_line(LOADED(), listed) && has_line(LOADED(), other));

	/* a repeated line: loaded once, with a warning naming both lines */
	{
		char text[1024];

		snprintf(text, sizeof(text), "%s\n\n%s\n", other, other);
		ASSERT_OK(write_config(text));
	}
	ASSERT_OK(LVECTL(&R, "reload-binaries"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.err, "line 3 repeats line 1"));
	ASSERT_OK(LVECTL(&R, "list-binaries"));
	{
		char want[256];

		snprintf(want, sizeof(want), "%s\n", other);
		ASSERT_STREQ(R.out, want);
	}
	/* a listed program that is gone: loaded with a warning (it may come back) */
	{
		char text[1024];

		snprintf(text, sizeof(text), "%s\n%s/gone\n", other, bin_dir);
		ASSERT_OK(write_config(text));
	}
	ASSERT_OK(LVECTL(&R, "reload-binaries"));
	ASSERT_EQ(R.status, 0);
	ASSERT(strstr(R.err, "is not a program here now"));
	ASSERT(has_line(LOADED(), other));
	/* del-binary of a program that no longer exists works */
	{
		char gone[128];

		snprintf(gone, sizeof(gone), "%s/gone", bin_dir);
		ASSERT_OK(LVECTL(&R, "del-binary", gone));
		ASSERT_EQ(R.status, 0);
		ASSERT(!has_line(CONFIG(), gone) && !has_line(LOADED(), gone));
	}
	(void)loaded;
	return 0;
}

BIN_TEST(binaries_bad_input_changes_nothing)
{
	char conf[16384], loaded[16384], dir_arg[128], noexec[128], dotted[160];
	const char *const usage_bad[][3] = {
		{ "set-binary", NULL, NULL },                 /* no path */
		{ "set-binary", "sleep", NULL },              /* relative */
		{ "set-binary", "bin/sleep", NULL },          /* relative */
		{ "set-binary", "/usr/bin/", NULL },          /* trailing slash */
		{ "set-binary", "/usr//bin/sleep", NULL },    /* not canonical */
		{ "set-binary", "/usr/bin/../bin/sleep", NULL },
		{ "set-binary", "/usr/./bin/sleep", NULL },
		{ "set-binary", "/usr/bin/sle\nep", NULL },   /* control character */
		{ "del-binary", "sleep", NULL },
		{ "del-binary", NULL, NULL },
		{ "list-binaries", "/usr/bin/php", NULL },    /* no argument */
		{ "load-binaries", "x", NULL },
		{ "reload-binaries", "x", NULL },
		{ "set-binary", "/bin/sleep", "--speed=50%" }, /* not a limit command */
		{ "set-binary", "/bin/sleep", "--enter-count" },
	};

	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	snprintf(conf, sizeof(conf), "%s", CONFIG());
	snprintf(loaded, sizeof(loaded), "%s", LOADED());
	for (size_t i = 0; i < ELEMENTSOF(usage_bad); i++) {
		const char *a[4] = { usage_bad[i][0], usage_bad[i][1], usage_bad[i][2], NULL };

		ASSERT_OK(lvectl_v(&R, a));
		ASSERT_EQ(R.status, 2);
		ASSERT(one_error_line(R.err));
		ASSERT_LISTS_UNCHANGED(conf, loaded);
	}
	/* runtime refusals: missing program, a directory, not executable, not listed */
	snprintf(dir_arg, sizeof(dir_arg), "%s", bin_dir);
	snprintf(noexec, sizeof(noexec), "%s/noexec", bin_dir);
	ASSERT_OK(copy_file("/bin/sleep", noexec, 0644));
	snprintf(dotted, sizeof(dotted), "%s/missing-program", bin_dir);
	{
		const char *const runtime_bad[][2] = {
			{ "set-binary", dotted },
			{ "set-binary", dir_arg },
			{ "set-binary", noexec },
			{ "del-binary", other },
		};

		for (size_t i = 0; i < ELEMENTSOF(runtime_bad); i++) {
			ASSERT_OK(LVECTL(&R, runtime_bad[i][0], runtime_bad[i][1]));
			ASSERT_EQ(R.status, 1);
			ASSERT(one_error_line(R.err));
			ASSERT_LISTS_UNCHANGED(conf, loaded);
		}
	}
	/* all-or-nothing: one bad path among good ones adds none */
	ASSERT_OK(LVECTL(&R, "set-binary", other, dotted));
	ASSERT_EQ(R.status, 1);
	ASSERT_LISTS_UNCHANGED(conf, loaded);

	/* garbage in the binaries file: every command that reads it refuses, naming the line */
	{
		static const char *const garbage[] = {
			"/usr/bin/php\nphp\n",               /* relative */
			"/usr/bin/php\n/usr/bin//php\n",     /* not canonical */
			"/usr/bin/php\n\0binary\n",          /* only the part before NUL is written */
			"/usr/bin/php\n/usr/bin/\n",         /* a directory */
		};

		for (size_t g = 0; g < ELEMENTSOF(garbage); g++) {
			const char *const cmds[][2] = {
				{ "set-binary", other }, { "del-binary", listed },
				{ "load-binaries", NULL }, { "reload-binaries", NULL },
			};
			char bad[256];

			snprintf(bad, sizeof(bad), "%s", garbage[g]);
			if (g == 2) /* a NUL byte in the file */
				memcpy(strchr(bad, '\n') + 1, "\0binary\n", 8);
			{
				char path[512];
				size_t len = g == 2 ? strlen("/usr/bin/php\n") + 8 : strlen(bad);
				int fd;

				snprintf(path, sizeof(path), "%s/lve-binaries", lte_dir);
				fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
				ASSERT(fd >= 0);
				ASSERT_EQ(write(fd, bad, len), (ssize_t)len);
				close(fd);
			}
			for (size_t k = 0; k < ELEMENTSOF(cmds); k++) {
				char before[16384];

				snprintf(before, sizeof(before), "%s", CONFIG());
				ASSERT_OK(LVECTL(&R, cmds[k][0], cmds[k][1]));
				ASSERT_EQ(R.status, 1);
				ASSERT(one_error_line(R.err));
				ASSERT(strstr(R.err, g == 2 ? "NUL" : "line 2"));
				ASSERT_STREQ(CONFIG(), before);
				ASSERT_STREQ(LOADED(), loaded);
			}
		}
	}
	/* a binaries file others may write is refused by root */
	ASSERT_OK(write_config("/usr/bin/php\n"));
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/lve-binaries", lte_dir);
		ASSERT_EQ(chmod(path, 0666), 0);
		ASSERT_OK(LVECTL(&R, "reload-binaries"));
		ASSERT_EQ(R.status, 1);
		ASSERT(one_error_line(R.err));
		ASSERT(strstr(R.err, "writable by others"));
		ASSERT_STREQ(LOADED(), loaded);
		ASSERT_EQ(chmod(path, 0644), 0);
	}
	return 0;
}

BIN_TEST(listed_binary_runs_inside_only_mode)
{
	const char *const opts[] = { "--binaries-only", NULL };
	pid_t a, b, r0;

	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(placed_start_v(opts));
	/* unlisted first, root's listed second, then the customer's listed one */
	a = run_as(users[0].uid, plain);
	ASSERT(a > 0);
	r0 = run_as(0, listed);
	ASSERT(r0 > 0);
	b = run_as(users[0].uid, listed);
	ASSERT(b > 0);
	ASSERT_EQ(wait_inside(b, users[0].uid), 1);
	/* events are handled in order: a and r0 were decided before b */
	ASSERT_EQ(lte_pid_inside(a, 0), 0);
	ASSERT_EQ(lte_pid_inside(r0, 0), 0);
	/* after a SIGHUP (list re-read, rescan) the unlisted one is still out */
	kill(placed_pid, SIGHUP);
	{
		pid_t c = run_as(users[1].uid, listed);

		ASSERT(c > 0);
		ASSERT_EQ(wait_inside(c, users[1].uid), 1);
		ASSERT_EQ(lte_pid_inside(a, 0), 0);
		stop(c);
	}
	stop(a);
	stop(b);
	stop(r0);
	return 0;
}

BIN_TEST(listed_binary_of_excluded_user_runs_inside)
{
	pid_t a, b, c;

	if (!users_have_names())
		SKIP("no useradd: --exclude-user needs a user name");
	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(placed_start(users[1].name));
	a = run_as(users[1].uid, plain);   /* excluded, unlisted: stays out */
	ASSERT(a > 0);
	b = run_as(users[1].uid, listed);  /* excluded, listed: inside */
	ASSERT(b > 0);
	ASSERT_EQ(wait_inside(b, users[1].uid), 1);
	ASSERT_EQ(lte_pid_inside(a, 0), 0);
	c = run_as(users[0].uid, plain);   /* not excluded: every process, as before */
	ASSERT(c > 0);
	ASSERT_EQ(wait_inside(c, users[0].uid), 1);
	stop(a);
	stop(b);
	stop(c);
	return 0;
}

BIN_TEST(list_changes_reach_the_running_daemon)
{
	const char *const opts[] = { "--binaries-only", NULL };
	pid_t a, b, c, d;

	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(placed_start_v(opts));
	a = run_as(users[0].uid, other); /* not listed yet */
	ASSERT(a > 0);
	b = run_as(users[0].uid, listed);
	ASSERT(b > 0);
	ASSERT_EQ(wait_inside(b, users[0].uid), 1);
	ASSERT_EQ(lte_pid_inside(a, 0), 0);
	/* listed now: the daemon re-reads the list and rescans, the running one goes in */
	ASSERT_OK(LVECTL(&R, "set-binary", other));
	ASSERT_EQ(R.status, 0);
	ASSERT_EQ(wait_inside(a, users[0].uid), 1);
	/* removed again: a new run of it stays out (decided before the later listed one) */
	ASSERT_OK(LVECTL(&R, "del-binary", other));
	ASSERT_EQ(R.status, 0);
	/* the daemon has the new list once a rescan would no longer place it: use a
	 * process of `other` started after the change, then a listed one behind it */
	for (long long end = now_ms() + WAIT_MS;; usleep(20000)) {
		c = run_as(users[1].uid, other);
		ASSERT(c > 0);
		d = run_as(users[1].uid, listed);
		ASSERT(d > 0);
		ASSERT_EQ(wait_inside(d, users[1].uid), 1);
		if (lte_pid_inside(c, 0) == 0)
			break; /* the new list was in force */
		stop(c);
		stop(d);
		ASSERT(now_ms() < end);
	}
	stop(a);
	stop(b);
	stop(c);
	stop(d);
	return 0;
}

/*
 * The listed path may be a symbolic link (/usr/bin/php -> alternatives ->
 * php8.2: /proc/PID/exe shows the target) and the program may be run by
 * another name of the same file (a hard link): both count.
 */
BIN_TEST(symlinked_and_hard_linked_binaries_count)
{
	const char *const opts[] = { "--binaries-only", NULL };
	char target[160], alias[160], hard[160];
	pid_t a, b, c;

	snprintf(target, sizeof(target), "%s/target-sleep", bin_dir);
	snprintf(alias, sizeof(alias), "%s/alias", bin_dir);
	snprintf(hard, sizeof(hard), "%s/hard-sleep", bin_dir);
	ASSERT_OK(copy_file("/bin/sleep", target, 0755));
	ASSERT_EQ(symlink(target, alias), 0);
	ASSERT_EQ(link(listed, hard), 0);
	ASSERT_OK(LVECTL(&R, "set-binary", alias, listed));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(placed_start_v(opts));
	a = run_as(users[0].uid, plain); /* the barrier's "no" */
	ASSERT(a > 0);
	b = run_as(users[0].uid, target); /* what the listed symlink points to */
	ASSERT(b > 0);
	ASSERT_EQ(wait_inside(b, users[0].uid), 1);
	c = run_as(users[1].uid, hard); /* the listed file by another name */
	ASSERT(c > 0);
	ASSERT_EQ(wait_inside(c, users[1].uid), 1);
	ASSERT_EQ(lte_pid_inside(a, 0), 0);
	stop(a);
	stop(b);
	stop(c);
	return 0;
}

BIN_TEST(placed_refuses_a_bad_loaded_list_keeps_the_old)
{
	const char *const opts[] = { "--binaries-only", NULL };
	char path[512];
	pid_t a, b;
	int fd;

	ASSERT_OK(LVECTL(&R, "set-binary", listed));
	ASSERT_EQ(R.status, 0);
	ASSERT_OK(placed_start_v(opts));
	/* garbage put in place of the loaded list (not by lvectl; renamed over it so
	 * the daemon never sees a half-written file): logged, the old list kept */
	{
		char tmp[600];

		snprintf(path, sizeof(path), "%s/state/binaries", lte_dir);
		snprintf(tmp, sizeof(tmp), "%s/state/garbage.tmp", lte_dir);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		ASSERT(fd >= 0);
		ASSERT_EQ(write(fd, "garbage\n", 8), 8);
		close(fd);
		ASSERT_EQ(rename(tmp, path), 0);
	}
	kill(placed_pid, SIGHUP);
	a = run_as(users[0].uid, listed);
	ASSERT(a > 0);
	ASSERT_EQ(wait_inside(a, users[0].uid), 1);
	b = run_as(users[0].uid, plain);
	ASSERT(b > 0);
	stop(a);
	a = run_as(users[0].uid, listed);
	ASSERT(a > 0);
	ASSERT_EQ(wait_inside(a, users[0].uid), 1);
	ASSERT_EQ(lte_pid_inside(b, 0), 0);
	/* the daemon said why (its log is written by a drainer process: wait for it) */
	{
		bool said = false;

		for (long long end = now_ms() + WAIT_MS; !said && now_ms() < end; usleep(10000)) {
			const char *text = file_text("placed.log", 0);

			said = strstr(text, "line 1") && strstr(text, "previous binaries list stays in force");
		}
		ASSERT(said);
	}
	stop(a);
	stop(b);
	return 0;
}

TAP_MAIN()
