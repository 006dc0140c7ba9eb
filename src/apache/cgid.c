/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgid.c - CGI scripts started through mod_cgid (worker/event MPMs) are
 * created inside the LVE of the request that asked for them. Owner: the
 * web-stack integration (issue 8); mod_openlve.c is the only caller.
 *
 * The problem: mod_cgid's handler (a worker thread, entered into the LVE
 * by mod_openlve) does not fork the script; it sends the request over a
 * UNIX socket to mod_cgid's daemon, a single-threaded child of Apache's
 * parent that runs as the web server's user and forks every script. The
 * daemon runs no module hook between reading a request and forking it,
 * and its connection says only which PROCESS asked (SO_PEERCRED), not
 * which of its threads, so not which LVE.
 *
 * The design (no message content names an LVE, so nothing a customer
 * controls can pick one):
 *   1. Tickets. A table of slots in an anonymous shared mapping created by
 *      the root parent (once per Apache parent, kept across graceful
 *      restarts), inherited by the children and the daemon, never by an
 *      exec'd program. The handler of an entered request takes a slot:
 *      {random 64-bit nonce, LVE id, its pid} and puts "<slot>:<nonce>" in
 *      the request's environment (OPENLVE_CGID_TICKET), which mod_cgid
 *      sends to its daemon with the rest of the CGI environment. It sets
 *      the variable after every fixup ran, so SetEnv/RewriteRule [E=] of a
 *      customer's .htaccess cannot replace it, and revokes the slot (nonce
 *      0) when the handler returns.
 *   2. The daemon's process creation. mod_cgid calls apr_proc_create()
 *      (plain CGI, SSI exec) or ap_os_create_privileged_process() (suexec)
 *      to fork each script. In the root parent, before mod_cgid forks the
 *      daemon, mod_openlve replaces those two entries of mod_cgid.so's own
 *      relocation table (its GOT; the slot must hold exactly the address
 *      of the real function, else nothing is changed) with the wrappers
 *      below, and puts them back in a cleanup of the configuration pool
 *      (before the modules are unloaded). Nothing else in Apache or APR
 *      is touched. The wrapper removes every *OPENLVE_CGID_TICKET variable
 *      from the script's environment, then:
 *        - a ticket whose slot holds that nonce: the daemon enters the
 *          slot's LVE (lve_enter_flags, LVE_NO_MAXENTER: the request
 *          already holds its EP slot), forks the script through the real
 *          function, and leaves. The script is created inside (a child
 *          starts in its forking task's cgroups) before it runs a single
 *          instruction of its own, with every limit on v1 and v2;
 *        - a ticket that is not (or no longer) valid: refused, the script
 *          is not started (mod_cgid logs "couldn't create child process",
 *          the client gets 500);
 *        - no ticket: allowed only when the peer of the daemon's
 *          connection (SO_PEERCRED) is a child of Apache's parent (a
 *          worker serving a request mod_openlve does not limit, or an SSI
 *          exec of such a request): the script is started outside, as
 *          configured. Anything else that connects to the daemon's socket
 *          (the socket is owned by the web server's user, so a customer's
 *          CGI running as www-data can) is refused and logged: a script
 *          cannot ask the daemon for a process outside its LVE.
 * Trust: the table is reachable only through the memory of Apache's own
 * processes. A program running as the web server's user that may ptrace
 * Apache's children (they are not dumpable after the switch from root,
 * unless CoreDumpDirectory is set) controls the web server anyway; mod_php
 * code runs inside a worker and is trusted like it.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"

#include "apr_strings.h"
#include "ap_mpm.h"
#include "apr_thread_proc.h"
#include "http_config.h"
#include "http_log.h"
#include "unixd.h"

#include <lve/lve-ctl.h>

#include "cgid.h"
#include "macro.h"

APLOG_USE_MODULE(openlve);

#define TICKET_SLOTS 8192
#if __ELF_NATIVE_CLASS == 64
#define REL_SYM(info) ELF64_R_SYM(info)
#else
#define REL_SYM(info) ELF32_R_SYM(info)
#endif
#define NONCE_RESERVED 1u
#define TABLE_KEY "openlve-cgid-tickets"

struct slot {
	_Atomic uint64_t nonce; /* 0 free, 1 being filled, else valid */
	_Atomic uint32_t id;
	_Atomic int32_t pid;    /* the worker that took it (reclaimed when dead) */
};

static struct slot *g_table;
static struct liblve *g_lve;
static server_rec *g_server;

/* ------------------------------------------------------------ the tickets */

int olve_cgid_active(void)
{
	return g_table != NULL;
}

static int take_slot(uint32_t id, uint64_t nonce, unsigned start)
{
	for (unsigned i = 0; i < TICKET_SLOTS; i++) {
		unsigned k = (start + i) % TICKET_SLOTS;
		struct slot *s = &g_table[k];
		uint64_t free_ = 0;

		if (atomic_compare_exchange_strong(&s->nonce, &free_, NONCE_RESERVED)) {
			atomic_store(&s->id, id);
			atomic_store(&s->pid, (int32_t)getpid());
			atomic_store_explicit(&s->nonce, nonce, memory_order_release);
			return (int)k;
		}
	}
	return -ENOSPC;
}

/* Free the slots of workers that died (kill -9) while holding them. */
static void reclaim_dead(void)
{
	for (unsigned k = 0; k < TICKET_SLOTS; k++) {
		struct slot *s = &g_table[k];
		uint64_t n = atomic_load(&s->nonce);
		pid_t pid = atomic_load(&s->pid);

		if (n > NONCE_RESERVED && pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
			atomic_compare_exchange_strong(&s->nonce, &n, 0);
	}
}

int olve_cgid_issue(uint32_t id, struct olve_cgid_ticket *t)
{
	uint64_t nonce;
	int k;

	t->slot = -1;
	if (!g_table)
		return -ENXIO;
	if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return -EIO;
	nonce |= 2; /* never 0 (free) or 1 (reserved) */
	k = take_slot(id, nonce, (unsigned)(nonce >> 32));
	if (k < 0) {
		reclaim_dead();
		k = take_slot(id, nonce, (unsigned)(nonce >> 32));
		if (k < 0)
			return k;
	}
	t->slot = k;
	t->nonce = nonce;
	snprintf(t->text, sizeof(t->text), "%d:%016" PRIx64, k, nonce);
	return 0;
}

void olve_cgid_revoke(struct olve_cgid_ticket *t)
{
	uint64_t n;

	if (!g_table || t->slot < 0)
		return;
	n = t->nonce;
	atomic_compare_exchange_strong(&g_table[t->slot].nonce, &n, 0);
	t->slot = -1;
}

/* The LVE id of a ticket's text; -EPERM when it is not valid (now). */
static int64_t ticket_lookup(const char *text)
{
	char *end;
	unsigned long k;
	unsigned long long nonce;
	struct slot *s;
	uint32_t id;

	errno = 0;
	k = strtoul(text, &end, 10);
	if (errno || end == text || *end != ':' || k >= TICKET_SLOTS)
		return -EPERM;
	text = end + 1;
	if (strlen(text) != 16)
		return -EPERM;
	nonce = strtoull(text, &end, 16);
	if (errno || *end || nonce <= NONCE_RESERVED)
		return -EPERM;
	s = &g_table[k];
	if (atomic_load_explicit(&s->nonce, memory_order_acquire) != nonce)
		return -EPERM;
	id = atomic_load(&s->id);
	if (atomic_load_explicit(&s->nonce, memory_order_acquire) != nonce)
		return -EPERM;
	return id;
}

/* ------------------------------------------------ inside mod_cgid's daemon */

/*
 * The peer of the connection this daemon is serving: the daemon has closed
 * its accepted fd already; the dups mod_cgid made for the script's stdin and
 * stdout are AF_UNIX stream sockets bound to the path of the daemon's
 * listening socket. >0 the peer's pid, -ESRCH none, -EEXIST two peers.
 */
static pid_t connection_peer(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct sockaddr_un listen_addr = { 0 };
	bool have_listen = false;
	int fds[64], nfds = 0;
	pid_t peer = -ESRCH;

	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		int fd, v = 0, type = 0;
		socklen_t l = sizeof(v);
		struct stat st;
		struct sockaddr_un a = { 0 };
		socklen_t al = sizeof(a);

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_UNIX)
			continue;
		l = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&a, &al) < 0 || al <= offsetof(struct sockaddr_un, sun_path) ||
		    !a.sun_path[0])
			continue;
		l = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0)
			continue;
		if (v) {
			listen_addr = a;
			have_listen = true;
		} else if (nfds < (int)ELEMENTSOF(fds)) {
			fds[nfds++] = fd;
		}
	}
	if (!have_listen)
		return -ESRCH;
	for (int i = 0; i < nfds; i++) {
		struct sockaddr_un a = { 0 };
		socklen_t al = sizeof(a);
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockname(fds[i], (struct sockaddr *)&a, &al) < 0 ||
		    strncmp(a.sun_path, listen_addr.sun_path, sizeof(a.sun_path)) != 0)
			continue;
		if (getsockopt(fds[i], SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.pid <= 0)
			continue;
		if (peer > 0 && peer != cr.pid)
			return -EEXIST;
		peer = cr.pid;
	}
	return peer;
}

/* 1 when pid is a child of this daemon's parent (Apache's parent). */
static int is_apache_child(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int ppid = -1;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may contain anything */
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid == (int)getppid();
}

/*
 * The script's environment without any *OPENLVE_CGID_TICKET variable
 * (internal redirects rename it REDIRECT_...); *ticket = the value of the
 * exact one, or NULL.
 */
static const char *const *strip_env(apr_pool_t *p, const char *const *env, const char **ticket)
{
	static const char var[] = OLVE_CGID_TICKET_VAR "=";
	const char **out;
	int n = 0, j = 0;

	*ticket = NULL;
	if (!env)
		return env;
	while (env[n])
		n++;
	out = apr_pcalloc(p, sizeof(*out) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '='), *hit = strstr(env[i], var);

		if (hit && eq && hit + sizeof(var) - 2 == eq) {
			if (hit == env[i])
				*ticket = eq + 1;
			continue;
		}
		out[j++] = env[i];
	}
	out[j] = NULL;
	return out;
}

typedef apr_status_t (*create_fn)(const request_rec *r, apr_proc_t *np, const char *prog, const char *const *args,
				  const char *const *env, apr_procattr_t *attr, apr_pool_t *p);

static apr_status_t create_plain(const request_rec *r, apr_proc_t *np, const char *prog, const char *const *args,
				 const char *const *env, apr_procattr_t *attr, apr_pool_t *p)
{
	return apr_proc_create(np, prog, args, env, attr, p);
}

static apr_status_t create_suexec(const request_rec *r, apr_proc_t *np, const char *prog, const char *const *args,
				  const char *const *env, apr_procattr_t *attr, apr_pool_t *p)
{
	return ap_os_create_privileged_process(r, np, prog, args, env, attr, p);
}

static apr_status_t spawn(create_fn fn, const request_rec *r, apr_proc_t *np, const char *prog,
			  const char *const *args, const char *const *env, apr_procattr_t *attr, apr_pool_t *p)
{
	const char *ticket;
	const char *const *clean = strip_env(p, env, &ticket);
	uint32_t cookie = 0;
	apr_status_t rv;
	int64_t id;
	int e;

	if (!ticket) {
		pid_t peer = connection_peer();

		if (peer > 0 && is_apache_child(peer))
			return fn(r, np, prog, args, clean, attr, p); /* a request openlve does not limit */
		ap_log_error(APLOG_MARK, APLOG_ERR, 0, g_server,
			     "mod_openlve: refusing to start %s for a cgid request without an LVE ticket from "
			     "pid %d, which is not an Apache worker",
			     prog, (int)peer);
		return APR_EACCES;
	}
	id = g_table ? ticket_lookup(ticket) : -EPERM;
	if (id < 0) {
		ap_log_error(APLOG_MARK, APLOG_ERR, 0, g_server,
			     "mod_openlve: refusing to start %s: its LVE ticket is not valid (forged, or the "
			     "request ended)",
			     prog);
		return APR_EACCES;
	}
	if (!g_lve)
		return fn(r, np, prog, args, clean, attr, p); /* LVEs unavailable (SkipErrors): as the handler */
	e = lve_enter_flags(g_lve, (uint32_t)id, &cookie, LVE_NO_MAXENTER);
	if (e < 0) {
		ap_log_error(APLOG_MARK, APLOG_ERR, 0, g_server,
			     "mod_openlve: cannot enter LVE %u to start %s: %s; not started", (unsigned)id, prog,
			     strerror(-e));
		return APR_FROM_OS_ERROR(-e);
	}
	rv = fn(r, np, prog, args, clean, attr, p);
	e = lve_exit(g_lve, &cookie);
	if (e < 0)
		ap_log_error(APLOG_MARK, APLOG_ERR, 0, g_server, "mod_openlve: cgid daemon cannot leave LVE %u: %s",
			     (unsigned)id, strerror(-e));
	return rv;
}

static apr_status_t hooked_proc_create(apr_proc_t *np, const char *prog, const char *const *args,
				       const char *const *env, apr_procattr_t *attr, apr_pool_t *p)
{
	return spawn(create_plain, NULL, np, prog, args, env, attr, p);
}

static apr_status_t hooked_privileged(const request_rec *r, apr_proc_t *np, const char *prog,
				      const char *const *args, const char *const *env, apr_procattr_t *attr,
				      apr_pool_t *p)
{
	return spawn(create_suexec, r, np, prog, args, env, attr, p);
}

/* -------------------------------------------- mod_cgid's relocation slots */

struct got_patch {
	const char *sym;
	void *real, *ours;
	void **slot;    /* NULL: not found */
	bool relro;     /* slot lies in PT_GNU_RELRO: read-only after the change */
};

struct got_search {
	struct got_patch *patches;
	int n;
	bool found_lib;
};

static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) v)
{
	/* glibc stores relocated addresses in .dynamic on most architectures, not on all */
	return v >= base ? (uintptr_t)v : base + (uintptr_t)v;
}

static void scan_rela(uintptr_t base, const ElfW(Rela) *rela, size_t size, const ElfW(Sym) *symtab,
		      const char *strtab, struct got_search *gs)
{
	for (size_t i = 0; rela && i < size / sizeof(*rela); i++) {
		const ElfW(Sym) *sym = &symtab[REL_SYM(rela[i].r_info)];
		const char *name = strtab + sym->st_name;
		void **slot = (void **)(base + rela[i].r_offset);

		for (int k = 0; k < gs->n; k++)
			if (!strcmp(name, gs->patches[k].sym) && *slot == gs->patches[k].real)
				gs->patches[k].slot = slot;
	}
}

static int find_cgid_slots(struct dl_phdr_info *info, size_t size, void *data)
{
	struct got_search *gs = data;
	const char *name = info->dlpi_name, *base;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t relro_lo = 0, relro_hi = 0, addr = info->dlpi_addr;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	size_t jmprelsz = 0, relasz = 0;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;

	if (!name || !(base = strrchr(name, '/')) || strcmp(base + 1, "mod_cgid.so") != 0)
		return 0;
	gs->found_lib = true;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(addr + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO) {
			relro_lo = addr + ph->p_vaddr;
			relro_hi = relro_lo + ph->p_memsz;
		}
	}
	if (!dyn)
		return 1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_addr(addr, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: jmprelsz = dyn->d_un.d_val; break;
		case DT_RELA: rela = (const ElfW(Rela) *)dyn_addr(addr, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_addr(addr, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const char *)dyn_addr(addr, dyn->d_un.d_ptr); break;
		case DT_PLTREL:
			if (dyn->d_un.d_val != DT_RELA)
				return 1; /* REL-only architectures: not supported */
			break;
		default: break;
		}
	}
	if (!symtab || !strtab)
		return 1;
	scan_rela(addr, jmprel, jmprelsz, symtab, strtab, gs);
	scan_rela(addr, rela, relasz, symtab, strtab, gs);
	for (int k = 0; k < gs->n; k++) {
		uintptr_t s = (uintptr_t)gs->patches[k].slot;

		gs->patches[k].relro = s && s >= relro_lo && s < relro_hi;
	}
	return 1;
}

static int write_slot(void **slot, void *value, bool relro)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t page = (uintptr_t)slot & ~((uintptr_t)pg - 1);
	size_t len = ((uintptr_t)slot + sizeof(void *) > page + (uintptr_t)pg) ? 2 * (size_t)pg : (size_t)pg;

	if (mprotect((void *)page, len, PROT_READ | PROT_WRITE) < 0)
		return -errno;
	atomic_store((_Atomic(void *) *)slot, value);
	if (relro && mprotect((void *)page, len, PROT_READ) < 0)
		return -errno;
	return 0;
}

static struct got_patch g_patches[2];
static int g_npatched;

static apr_status_t unhook(void *unused)
{
	for (int k = 0; k < g_npatched; k++)
		if (g_patches[k].slot)
			write_slot(g_patches[k].slot, g_patches[k].real, g_patches[k].relro);
	g_npatched = 0;
	g_lve = NULL;
	return APR_SUCCESS;
}

int olve_cgid_setup(apr_pool_t *pconf, server_rec *s, struct liblve *lve)
{
	struct got_search gs;
	void *data = NULL;
	int r;

	if (!ap_find_linked_module("mod_cgid.c"))
		return 0;
	g_patches[0] = (struct got_patch){ .sym = "apr_proc_create",
					   .real = (void *)apr_proc_create,
					   .ours = (void *)hooked_proc_create };
	g_patches[1] = (struct got_patch){ .sym = "ap_os_create_privileged_process",
					   .real = (void *)ap_os_create_privileged_process,
					   .ours = (void *)hooked_privileged };
	gs = (struct got_search){ .patches = g_patches, .n = 2 };
	dl_iterate_phdr(find_cgid_slots, &gs);
	if (!gs.found_lib || !g_patches[0].slot || !g_patches[1].slot) {
		ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
			     "mod_openlve: mod_cgid is loaded but its process creation could not be found "
			     "(%s): CGI scripts run by mod_cgid stay OUTSIDE the LVEs; use mod_cgi",
			     gs.found_lib ? "unknown mod_cgid.so build" : "mod_cgid is not a loaded mod_cgid.so");
		return -ENOENT;
	}

	apr_pool_userdata_get(&data, TABLE_KEY, s->process->pool);
	if (!data) {
		data = mmap(NULL, sizeof(struct slot) * TICKET_SLOTS, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (data == MAP_FAILED) {
			r = -errno;
			ap_log_error(APLOG_MARK, APLOG_ERR, -r, s,
				     "mod_openlve: no memory for mod_cgid's LVE tickets: CGI scripts run by "
				     "mod_cgid stay OUTSIDE the LVEs");
			return r;
		}
		apr_pool_userdata_set(data, TABLE_KEY, apr_pool_cleanup_null, s->process->pool);
	}
	g_table = data;
	g_lve = lve;
	g_server = s;
	for (int k = 0; k < 2; k++) {
		r = write_slot(g_patches[k].slot, g_patches[k].ours, g_patches[k].relro);
		if (r < 0) {
			ap_log_error(APLOG_MARK, APLOG_ERR, -r, s,
				     "mod_openlve: cannot change mod_cgid's call of %s: CGI scripts run by "
				     "mod_cgid stay OUTSIDE the LVEs",
				     g_patches[k].sym);
			g_npatched = k;
			unhook(NULL);
			g_table = NULL;
			return r;
		}
	}
	g_npatched = 2;
	apr_pool_cleanup_register(pconf, NULL, unhook, apr_pool_cleanup_null);
	ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "mod_openlve: mod_cgid's scripts start inside their request's LVE");
	return 1;
}
