/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-symbols - openlve's libopenlve-cgroup.so.1 exports the same names
 * as Debian's libcgroup.so.2 (REFERENCE.md §5). One process must be able to
 * load both and every caller must reach the implementation it meant:
 *
 *   - this binary is linked against ours and dlopen()s Debian's with
 *     RTLD_LOCAL: each handle's dlsym() gives that library's code, the two
 *     keep separate state (initializing one leaves the other
 *     uninitialized), our names carry the symbol version OPENLVE_CGROUP_1;
 *   - test-cg-symbols-debian (this file built with OPENLVE_SYMBOLS_HELPER,
 *     linked against Debian's libcgroup, not ours) dlopen()s ours, RTLD_LOCAL
 *     and RTLD_GLOBAL: its own calls stay Debian's, the handle's are ours,
 *     and ours works on its own state (-Bsymbolic + version script);
 *   - our library file has no dynamic relocation against a name it defines
 *     itself, so none of its internal calls (cgroup_delete_cgroup ->
 *     cgroup_delete_cgroup_ext, ...) can land in Debian's same-named code.
 *
 * Skips when Debian's libcgroup.so.2 is not installed. Needs no root:
 * cgroup_init() only reads /proc and the mounts.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUR_VERSION "OPENLVE_CGROUP_1"
#define OUR_LIB "libopenlve-cgroup.so.1"
#define DEBIAN_LIB "libcgroup.so.2"
#define ECG_NOT_INITIALIZED 50014 /* ECGROUPNOTINITIALIZED, same value in both */
#define ECG_NOT_EXIST 50002       /* ECGROUPNOTEXIST */

typedef int (*init_fn)(void);
typedef int (*gsmp_fn)(const char *, char **);
typedef const char *(*strerror_fn)(int);

static const char *const candidates[] = { "cpu", "memory", "pids", "cpuset", "blkio", "io", "devices", "freezer" };

/* Where our library is: $OPENLVE_BUILD_ROOT/src/libcgroup, else the soname (RUNPATH). */
static const char *our_lib_path(char *buf, size_t size)
{
	const char *root = getenv("OPENLVE_BUILD_ROOT");

	if (root && *root) {
		snprintf(buf, size, "%s/src/libcgroup/%s", root, OUR_LIB);
		return buf;
	}
	return OUR_LIB;
}

/* File name of the object that contains addr (basename), "" when unknown. */
static const char *object_of(const void *addr)
{
	Dl_info info;

	if (!addr || !dladdr(addr, &info) || !info.dli_fname)
		return "";
	return strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname;
}

static bool from_ours(const void *addr)
{
	return strncmp(object_of(addr), "libopenlve-cgroup.so", strlen("libopenlve-cgroup.so")) == 0;
}

static bool from_debian(const void *addr)
{
	return strncmp(object_of(addr), "libcgroup.so", strlen("libcgroup.so")) == 0;
}

/* A controller that `gsmp` (an initialized library) finds mounted; NULL if none. */
static const char *mounted_controller(gsmp_fn gsmp, char **mount)
{
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char *m = NULL;

		if (gsmp(candidates[i], &m) == 0 && m) {
			*mount = m;
			return candidates[i];
		}
		free(m);
	}
	return NULL;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

#ifndef OPENLVE_SYMBOLS_HELPER
/* ================================================= the test (linked to ours) */
#include <elf.h>
#include <fcntl.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "macro.h"
#include "tap.h"

struct both {
	void *deb, *ours;
};

static int open_both(struct both *b)
{
	char path[PATH_MAX];

	b->deb = dlopen(DEBIAN_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!b->deb)
		return 77;
	b->ours = dlopen(our_lib_path(path, sizeof(path)), RTLD_NOW | RTLD_LOCAL);
	if (!b->ours) {
		fprintf(stderr, "# dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	return 0;
}

#define OPEN_BOTH(b)                                                             \
	do {                                                                     \
		int _o = open_both(b);                                           \
		if (_o == 77)                                                    \
			SKIP("Debian's %s is not installed (package libcgroup2)", DEBIAN_LIB); \
		ASSERT_EQ(_o, 0);                                                \
	} while (0)

/* Names both libraries export (libcgroup 2.0 API). */
static const char *const common[] = {
	"cgroup_init",          "cgroup_strerror",        "cgroup_get_subsys_mount_point",
	"cgroup_new_cgroup",    "cgroup_add_controller",  "cgroup_create_cgroup",
	"cgroup_delete_cgroup", "cgroup_attach_task_pid", "cgroup_get_last_errno",
	"cgroup_free",          "cgroup_set_value_string", "cgroup_get_value_string",
};

TEST(each_handle_resolves_to_its_library)
{
	struct both b;

	OPEN_BOTH(&b);
	ASSERT(b.deb != b.ours);
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		void *d = dlsym(b.deb, common[i]), *o = dlsym(b.ours, common[i]);

		if (!d || !o)
			TAP_FAIL("%s: debian %p ours %p", common[i], d, o);
		if (d == o)
			TAP_FAIL("%s: both handles give the same function", common[i]);
		if (!from_debian(d) || !from_ours(o))
			TAP_FAIL("%s: debian's from \"%s\", ours from \"%s\"", common[i], object_of(d), object_of(o));
	}
	return 0;
}

TEST(our_names_carry_our_symbol_version)
{
	struct both b;

	OPEN_BOTH(&b);
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		void *o = dlsym(b.ours, common[i]);

		ASSERT(o != NULL);
		if (dlvsym(b.ours, common[i], OUR_VERSION) != o)
			TAP_FAIL("%s@%s is not what dlsym gives", common[i], OUR_VERSION);
		if (dlvsym(b.deb, common[i], OUR_VERSION) != NULL)
			TAP_FAIL("Debian's library has %s@%s", common[i], OUR_VERSION);
	}
	/* Debian's versions are not ours. */
	ASSERT(dlvsym(b.deb, "cgroup_init", "CGROUP_0.32") == dlsym(b.deb, "cgroup_init"));
	ASSERT(dlvsym(b.ours, "cgroup_init", "CGROUP_0.32") == NULL);
	/* The binary's own (link-time) reference went to ours, not to the later dlopen. */
	ASSERT((void *)cgroup_init == dlsym(b.ours, "cgroup_init"));
	ASSERT((void *)cgroup_strerror == dlsym(b.ours, "cgroup_strerror"));
	return 0;
}

TEST(extensions_exist_only_in_ours)
{
	static const char *const ext[] = { "cgroup_set_namespace", "cgroup_attach_proc_pid" };
	struct both b;

	OPEN_BOTH(&b);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		ASSERT(dlsym(b.deb, ext[i]) == NULL);
		ASSERT(dlsym(b.ours, ext[i]) != NULL);
		ASSERT(dlvsym(b.ours, ext[i], OUR_VERSION) == dlsym(b.ours, ext[i]));
	}
	/* Internal helpers stay hidden. */
	ASSERT(dlsym(b.ours, "cg_sys_get") == NULL);
	ASSERT(dlsym(b.ours, "cg_parse_mountinfo") == NULL);
	ASSERT(dlsym(b.ours, "ol_name_check") == NULL);
	return 0;
}

TEST(libraries_keep_separate_state)
{
	struct both b;
	init_fn d_init, o_init;
	gsmp_fn d_gsmp, o_gsmp;
	enum cg_setup_mode_t (*o_mode)(void);
	const char *ctrl;
	char *m = NULL, *dm = NULL;
	int r;

	OPEN_BOTH(&b);
	d_init = (init_fn)dlsym(b.deb, "cgroup_init");
	o_init = (init_fn)dlsym(b.ours, "cgroup_init");
	d_gsmp = (gsmp_fn)dlsym(b.deb, "cgroup_get_subsys_mount_point");
	o_gsmp = (gsmp_fn)dlsym(b.ours, "cgroup_get_subsys_mount_point");
	o_mode = (enum cg_setup_mode_t(*)(void))dlsym(b.ours, "cgroup_setup_mode");
	ASSERT(d_init && o_init && d_gsmp && o_gsmp && o_mode);

	/* Neither is initialized in this fresh test process. */
	ASSERT_EQ(o_gsmp("cpu", &m), ECG_NOT_INITIALIZED);
	ASSERT_EQ(d_gsmp("cpu", &dm), ECG_NOT_INITIALIZED);

	/* Initialize ours only: ours answers, Debian's still is not initialized. */
	r = o_init();
	if (r != 0)
		TAP_FAIL("our cgroup_init() = %d (%s)", r, cgroup_strerror(r));
	ctrl = mounted_controller(o_gsmp, &m);
	if (!ctrl) {
		/* only a machine without cgroups may lack one; else our library failed */
		if (cgtest_mode() == CGROUP_MODE_UNK)
			SKIP("no cgroup controller mounted here");
		TAP_FAIL("our library finds no mounted controller, /proc/self/mountinfo has cgroup mounts (mode %d)",
			 (int)cgtest_mode());
	}
	ASSERT(is_dir(m));
	ASSERT_EQ(d_gsmp(ctrl, &dm), ECG_NOT_INITIALIZED);
	ASSERT_EQ(o_mode(), cgtest_mode());
	ASSERT_EQ(cgroup_setup_mode(), cgtest_mode()); /* the linked name is the same code */

	/* Now Debian's: it finds the same mount on its own. */
	r = d_init();
	if (r != 0) {
		fprintf(stderr, "# Debian's cgroup_init() = %d here; its side not compared\n", r);
	} else {
		ASSERT_EQ(d_gsmp(ctrl, &dm), 0);
		ASSERT_STREQ(dm, m);
	}
	free(m);
	free(dm);
	return 0;
}

TEST(strerror_comes_from_each_library)
{
	struct both b;
	strerror_fn d_err, o_err;
	const char *ds, *os;

	OPEN_BOTH(&b);
	d_err = (strerror_fn)dlsym(b.deb, "cgroup_strerror");
	o_err = (strerror_fn)dlsym(b.ours, "cgroup_strerror");
	ASSERT(d_err && o_err);
	ds = d_err(ECG_NOT_EXIST);
	os = o_err(ECG_NOT_EXIST);
	ASSERT(ds && os && *ds && *os);
	ASSERT(ds != os);
	/* Text of a static table lives in its library's image. */
	if (*object_of(ds))
		ASSERT(from_debian(ds));
	if (*object_of(os))
		ASSERT(from_ours(os));
	ASSERT_STREQ(os, cgroup_strerror(ECG_NOT_EXIST));
	if (strcmp(ds, os) != 0)
		fprintf(stderr, "# texts differ: Debian \"%s\", ours \"%s\"\n", ds, os);
	return 0;
}

/*
 * Read our library file and list dynamic relocations that name a symbol the
 * library defines itself. Each would be an internal call or reference that
 * the dynamic linker may bind to a same-named definition loaded earlier
 * (Debian's libcgroup in a program linked to it). -Bsymbolic (or hidden
 * aliases) binds them at link time, so there must be none.
 */
static int self_references(const char *path, char *first, size_t size)
{
	_cleanup_free_ char *img = NULL;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	int fd, n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr) || st.st_size > (64 << 20)) {
		close(fd);
		return -EINVAL;
	}
	img = malloc((size_t)st.st_size);
	if (!img || read(fd, img, (size_t)st.st_size) != st.st_size) {
		close(fd);
		return -EIO;
	}
	close(fd);
	eh = (const Elf64_Ehdr *)img;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size)
		return -EINVAL;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *symtab, *strtab;

		if (sh[i].sh_type != SHT_RELA || sh[i].sh_link >= eh->e_shnum)
			continue;
		symtab = &sh[sh[i].sh_link];
		if (symtab->sh_type != SHT_DYNSYM || symtab->sh_link >= eh->e_shnum)
			continue;
		strtab = &sh[symtab->sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > (uint64_t)st.st_size ||
		    symtab->sh_offset + symtab->sh_size > (uint64_t)st.st_size ||
		    strtab->sh_offset + strtab->sh_size > (uint64_t)st.st_size)
			return -EINVAL;
		for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= sh[i].sh_size; off += sizeof(Elf64_Rela)) {
			const Elf64_Rela *r = (const Elf64_Rela *)(img + sh[i].sh_offset + off);
			uint64_t si = ELF64_R_SYM(r->r_info);
			const Elf64_Sym *sym;
			const char *name;

			if (si == 0 || (si + 1) * sizeof(Elf64_Sym) > symtab->sh_size)
				continue;
			sym = (const Elf64_Sym *)(img + symtab->sh_offset) + si;
			if (sym->st_shndx == SHN_UNDEF || sym->st_name >= strtab->sh_size)
				continue;
			name = img + strtab->sh_offset + sym->st_name;
			if (n++ == 0)
				snprintf(first, size, "%s", name);
		}
	}
	return n;
}

TEST(our_library_binds_its_own_names_at_link_time)
{
	char path[PATH_MAX], first[256] = "";
	int n = self_references(our_lib_path(path, sizeof(path)), first, sizeof(first));

	if (n < 0 && !getenv("OPENLVE_BUILD_ROOT"))
		SKIP("OPENLVE_BUILD_ROOT not set: library file unknown");
	ASSERT_OK(n);
	if (n > 0)
		TAP_FAIL("%d relocation(s) against symbols %s defines itself, e.g. %s: link it -Bsymbolic", n,
			 OUR_LIB, first);
	return 0;
}

/* The helper is built next to this binary when libcgroup-dev was found. */
static int run_helper(const char *how)
{
	char self[PATH_MAX], helper[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	pid_t pid;
	int status;

	if (n <= 0)
		return -errno;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	snprintf(helper, sizeof(helper), "%s/test-cg-symbols-debian", self);
	if (access(helper, X_OK) != 0)
		return -ENOENT;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl(helper, helper, how, (char *)NULL);
		_exit(126);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int helper_test(const char *how)
{
	void *deb = dlopen(DEBIAN_LIB, RTLD_NOW | RTLD_LOCAL);
	int r;

	if (!deb)
		SKIP("Debian's %s is not installed (package libcgroup2)", DEBIAN_LIB);
	dlclose(deb);
	r = run_helper(how);
	if (r == -ENOENT)
		SKIP("test-cg-symbols-debian not built (libcgroup-dev missing when configured)");
	ASSERT_EQ(r, 0);
	return 0;
}

TEST(debian_linked_program_reaches_ours_rtld_local)
{
	return helper_test("local");
}

TEST(debian_linked_program_reaches_ours_rtld_global)
{
	return helper_test("global");
}

TAP_MAIN()

#else
/* ======================= the helper (linked to Debian's libcgroup, not ours) */

/* Debian's libcgroup declarations we call (no header needed). */
int cgroup_init(void);
int cgroup_get_subsys_mount_point(const char *controller, char **mount_point);
const char *cgroup_strerror(int code);

#define CHECK(cond)                                                                                   \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "# helper %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
			return 1;                                                                     \
		}                                                                                     \
	} while (0)

int main(int argc, char **argv)
{
	bool global = argc > 1 && strcmp(argv[1], "global") == 0;
	char path[PATH_MAX], *m = NULL, *dm = NULL;
	void *ours;
	init_fn o_init;
	gsmp_fn o_gsmp;
	strerror_fn o_err;
	const char *ctrl;

	/* The names this program was linked with are Debian's. */
	CHECK(from_debian((void *)cgroup_init));
	CHECK(from_debian((void *)cgroup_get_subsys_mount_point));

	ours = dlopen(our_lib_path(path, sizeof(path)), RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
	if (!ours) {
		fprintf(stderr, "# helper: dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	o_init = (init_fn)dlsym(ours, "cgroup_init");
	o_gsmp = (gsmp_fn)dlsym(ours, "cgroup_get_subsys_mount_point");
	o_err = (strerror_fn)dlsym(ours, "cgroup_strerror");
	CHECK(o_init && o_gsmp && o_err);
	CHECK((void *)o_init != (void *)cgroup_init);
	CHECK(from_ours((void *)o_init) && from_ours((void *)o_gsmp) && from_ours((void *)o_err));
	CHECK(dlsym(ours, "cgroup_set_namespace") != NULL);
	/* Loading ours (even RTLD_GLOBAL) did not take over this program's names. */
	CHECK(from_debian(dlsym(RTLD_DEFAULT, "cgroup_init")));

	/* Ours works on its own state: initialized through the handle, it answers ... */
	CHECK(o_gsmp("cpu", &m) == ECG_NOT_INITIALIZED);
	CHECK(o_init() == 0);
	ctrl = mounted_controller(o_gsmp, &m);
	if (!ctrl) {
		/* the test runs where cgroups are mounted: our library failed */
		fprintf(stderr, "# helper: our library finds no mounted controller\n");
		return 1;
	}
	CHECK(is_dir(m));
	/* ... while Debian's, which the program uses, was not initialized by that. */
	CHECK(cgroup_get_subsys_mount_point(ctrl, &dm) == ECG_NOT_INITIALIZED);
	if (cgroup_init() == 0) {
		CHECK(cgroup_get_subsys_mount_point(ctrl, &dm) == 0);
		CHECK(dm && strcmp(dm, m) == 0);
	}
	CHECK(o_err(ECG_NOT_EXIST) != cgroup_strerror(ECG_NOT_EXIST));
	free(m);
	free(dm);
	fprintf(stderr, "# helper (%s): ours reached through the handle, Debian's through the link\n",
		global ? "RTLD_GLOBAL" : "RTLD_LOCAL");
	return 0;
}
#endif
