/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl - CloudLinux-compatible LVE control: limits in /etc/container/ve.cfg,
 * applied to the kernel through liblve. See man/lvectl.8.
 *
 * This file: usage text, the command table and main(). Each command group lives
 * in its own file: lvectl-limits.c (apply/set/delete/destroy/limit/release),
 * lvectl-list.c (list/limits/proc-list), lvectl-packages.c (package-*),
 * lvectl-info.c (detect/ubc/version), lvectl-binaries.c (set-binary and the other
 * binaries commands); options in lvectl-options.c, tables and
 * /proc/lve/list rendering in lvectl-output.c, the shared context in lvectl-common.c.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 usage error. Every failure is
 * one line on stderr: what failed and what to do.
 */
#include "lvectl.h"

void usage(FILE *f)
{
	fputs("Usage: lvectl COMMAND [ARGUMENTS] [OPTIONS]\n"
	      "Manage LVE limits (stored in ve.cfg, applied to the kernel's cgroups).\n"
	      "\n"
	      "Commands:\n"
	      "  apply ID|all            apply the limits of ve.cfg to LVE ID / every LVE\n"
	      "  apply-many              apply to the LVE ids read from standard input\n"
	      "  set ID|default OPTIONS  save limits to ve.cfg and apply them\n"
	      "  set-user NAME OPTIONS   the same for the LVE of user NAME\n"
	      "  list                    limits of the defaults, every configured and every loaded LVE\n"
	      "  list-user               the same, with user names\n"
	      "  limits [ID|default]     limits in force for LVE ID, or every loaded LVE (kernel)\n"
	      "  delete ID               remove LVE ID's own limits (it falls back to defaults)\n"
	      "  delete-user NAME        the same for user NAME\n"
	      "  destroy ID|all          remove LVE ID / every LVE from the kernel (kills its "
	      "tasks)\n"
	      "  destroy-many            destroy the LVE ids read from standard input\n"
	      "  package-set PKG OPTIONS save limits of package PKG and apply them to its users\n"
	      "  package-list            limits of every package (also: all-package-list)\n"
	      "  package-delete PKG      remove package PKG's limits\n"
	      "  paneluserslimits        limits of every control panel user\n"
	      "  set-reseller R OPTIONS  reseller R's limits: the total of its customers (R: user or id)\n"
	      "  set-reseller-default R OPTIONS  default limits of reseller R's customers\n"
	      "  remove-reseller R       remove reseller R's limits (its customers become the hoster's)\n"
	      "  list-reseller           limits of every reseller (--bytes: memory in bytes)\n"
	      "  limit PID ID            move process PID into LVE ID (PID 1, kernel threads and\n"
	      "                          root's processes only with --force)\n"
	      "                          --enter-count: it also counts as an entry process (EP)\n"
	      "  release PID             move process PID out of its LVE\n"
	      "  set-binary PATH...      processes of program PATH run inside their user's LVE\n"
	      "  del-binary PATH...      remove PATH from the binaries list\n"
	      "  list-binaries           the binaries list in force (loaded)\n"
	      "  load-binaries           add the binaries file's programs to the loaded list (boot)\n"
	      "  reload-binaries         make the loaded list exactly the binaries file\n"
	      "  proc-list               the /proc/lve/list table (version 6)\n"
	      "  ubc                     OpenVZ /proc/user_beancounters view (Version: 2.5)\n"
	      "  usage-url USER|ID|admin a signed link to lved's usage page for a customer (or admin)\n"
	      "  detect                  LVE available?, LVE version, list file, inside CageFS?\n"
	      "  version                 lvectl version\n"
	      "  help                    this text\n"
	      "  lve-version             version of the LVE interface (/proc/lve/list format)\n"
	      "\n"
	      "Options:\n"
	      "  --speed=N%|Nmhz|Nghz    CPU speed: % of ONE core, or a frequency\n"
	      "  --cpu=N                 old CPU limit: % of ALL cores (0-100)\n"
	      "  --ncpu=N                old limit: number of cores\n"
	      "  --pmem=N[KMGT]          physical memory (plain number: KB)\n"
	      "  --vmem=N[KMGT], --mem   virtual memory (plain number: KB)\n"
	      "  --io=N                  IO, KB/s (read + write)\n"
	      "  --iops=N                IO operations/s\n"
	      "  --nproc=N               processes and threads\n"
	      "  --maxEntryProcs=N       concurrent entry processes (EP)\n"
	      "  --unlimited             every limit unlimited (0)\n"
	      "  --save-all-parameters   store values even when equal to the inherited ones\n"
	      "  --timeout=SECONDS       package script timeout (default: "
	      "CUSTOM_GETPACKAGE_TIMEOUT or 10)\n"
	      "  --save-username         set/set-user: record the user name in ve.cfg\n"
	      "  --reseller=R|none       set/set-user: the LVE is a customer of reseller R\n"
	      "  --json                  JSON output; changes answer {\"status\": \"OK\"}, failures\n"
	      "                          {\"status\": \"ERROR\", \"msg\": TEXT}\n"
	      "  --force                 limit: also PID 1, kernel threads, root's processes\n"
	      "  --enter-count           limit: the process holds one EP slot of the LVE while it\n"
	      "                          runs there (refused when the LVE's EP limit is reached)\n"
	      "  --ttl=SECONDS           usage-url: how long the link works (default 86400)\n"
	      "  --base-url=URL          usage-url: where lved's usage page is reached\n"
	      "  --secret-file=PATH      usage-url: the secret (default: lvestats2 web_secret_file)\n"
	      "  -h, --help              this text (also: lvectl help)\n"
	      "  -v, --version           lvectl version\n"
	      "0 means unlimited. Exit status: 0 ok, 1 failure, 2 usage error. See lvectl(8).\n",
	      f);
}

struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	bool takes_limits;
	bool changes; /* with --json it answers {"status": "OK"} on success */
};

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static const struct command commands[] = {
        {"apply", cmd_apply, false, true},
        {"apply-many", cmd_apply_many, false, true},
        {"set", cmd_set, true, true},
        {"set-user", cmd_set_user, true, true},
        {"list", cmd_list_cmd, false, false},
        {"list-user", cmd_list_user, false, false},
        {"limits", cmd_limits, false, false},
        {"delete", cmd_delete, false, true},
        {"delete-user", cmd_delete_user, false, true},
        {"destroy", cmd_destroy, false, true},
        {"destroy-many", cmd_destroy_many, false, true},
        {"package-set", cmd_package_set, true, true},
        {"package-list", cmd_package_list, false, false},
        {"all-package-list", cmd_package_list, false, false},
        {"package-delete", cmd_package_delete, false, true},
        {"paneluserslimits", cmd_paneluserslimits, false, false},
        {"set-reseller", cmd_set_reseller, true, true},
        {"set-reseller-default", cmd_set_reseller_default, true, true},
        {"remove-reseller", cmd_remove_reseller, false, true},
        {"list-reseller", cmd_list_reseller, false, false},
        {"limit", cmd_limit, false, true},
        {"release", cmd_release, false, true},
        {"set-binary", cmd_set_binary, false, true},       /* [issue 10] */
        {"del-binary", cmd_del_binary, false, true},
        {"list-binaries", cmd_list_binaries, false, false},
        {"load-binaries", cmd_load_binaries, false, true},
        {"reload-binaries", cmd_reload_binaries, false, true},
        {"proc-list", cmd_proc_list, false, false},
        {"ubc", cmd_ubc, false, false},
        {"detect", cmd_detect, false, false},
        {"version", cmd_version, false, false},
        {"lve-version", cmd_lve_version, false, false},
        {"help", cmd_help, false, false},
        {"usage-url", cmd_usage_url, false, false},
};

/* --json: {"status": "OK"} after a change, {"status": "ERROR", "msg": TEXT} after a failure. */
static int json_answer(const struct opts *o, const struct command *cmd, int r)
{
	if (!o->json)
		return r;
	if (r) {
		fputs("{\"status\": \"ERROR\", \"msg\": ", stdout);
		json_str(stdout, lvectl_first_error[0] ? lvectl_first_error : "failed");
		fputs("}\n", stdout);
	} else if (cmd && cmd->changes) {
		fputs("{\"status\": \"OK\"}\n", stdout);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct ctx c = {0};
	const struct command *cmd = NULL;
	unsigned errline = 0;
	int nargs = 1, r;

	r = parse_options(argc, argv, &c.o, &nargs);
	if (r)
		return json_answer(&c.o, NULL, r);
	/* argv[1 .. nargs-1] now holds the non-option words in order */
	if (nargs < 2 && c.o.version) {
		argv[1] = (char *)"version";
		nargs = 2;
	}
	if (nargs < 2) {
		if (!c.o.json)
			usage(stderr);
		return json_answer(&c.o, NULL, fail(EXIT_USAGE, "no command given (see lvectl --help)"));
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (!strcmp(commands[i].name, argv[1]))
			cmd = &commands[i];
	if (!cmd)
		return json_answer(&c.o, NULL,
		                   fail(EXIT_USAGE, "unknown command \"%s\" (see lvectl --help)", argv[1]));
	if (!cmd->takes_limits && (c.o.set.mask || c.o.unlimited))
		return json_answer(&c.o, cmd,
		                   fail(EXIT_USAGE,
		                        "%s does not take limit options (they belong to set, set-user and "
		                        "package-set)",
		                        cmd->name));
	if (c.o.save_username && cmd->fn != cmd_set && cmd->fn != cmd_set_user)
		return json_answer(&c.o, cmd,
		                   fail(EXIT_USAGE, "--save-username belongs to set and set-user"));
	if (c.o.reseller && cmd->fn != cmd_set && cmd->fn != cmd_set_user)
		return json_answer(&c.o, cmd, fail(EXIT_USAGE, "--reseller belongs to set and set-user"));
	if (c.o.enter_count && cmd->fn != cmd_limit)
		return json_answer(&c.o, cmd, fail(EXIT_USAGE, "--enter-count belongs to limit"));
	if (c.o.bytes && cmd->fn != cmd_list_reseller)
		return json_answer(&c.o, cmd, fail(EXIT_USAGE, "--bytes belongs to list-reseller"));
	if (cmd->fn != cmd_version && cmd->fn != cmd_lve_version && cmd->fn != cmd_help) {
		r = olve_conf_load(NULL, &c.conf, &errline);
		if (r < 0) {
			const char *env = secure_getenv("OPENLVE_CONF");

			if (r == -EINVAL)
				return json_answer(&c.o, cmd,
				                   fail(EXIT_RUNTIME,
				                        "bad openlve configuration %s line %u (fix it)",
				                        env ? env : SYSCONFDIR "/openlve/openlve.conf",
				                        errline));
			return json_answer(&c.o, cmd,
			                   fail(EXIT_RUNTIME,
			                        "cannot read the openlve configuration %s: %s",
			                        env ? env : SYSCONFDIR "/openlve/openlve.conf",
			                        strerror(-r)));
		}
	}
	/* [issue 14] temp files of a killed lvectl next to ve.cfg and the list file */
	if (geteuid() == 0) {
		if (c.conf.ve_cfg)
			(void)ol_clean_stale_temps(c.conf.ve_cfg);
		if (c.conf.list_file)
			(void)ol_clean_stale_temps(c.conf.list_file);
		if (c.conf.binaries_file) /* [issue 10] */
			(void)ol_clean_stale_temps(c.conf.binaries_file);
	}
	r = cmd->fn(&c, nargs - 2, argv + 2);
	if (c.h)
		olve_close(c.h);
	pkg_script_free(&c.script);
	olve_conf_free(&c.conf);
	r = json_answer(&c.o, cmd, r);
	if (fflush(stdout) != 0 && !r)
		r = fail(EXIT_RUNTIME, "cannot write the output: %s", strerror(errno));
	return r;
}
