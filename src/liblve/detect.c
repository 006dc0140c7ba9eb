/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * detect.c - the detection checks of CloudLinux's integration guide that are
 * not about the kernel: "Check for the presence of /var/.cagefs/.cagefs.token
 * file - if present, it means that you are inside CageFS."
 * (LVE availability is lve_is_available(), seed.c; the /proc/lve/list
 * content is served by `lvectl proc-list` and the list_file.)
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"

#define CAGEFS_TOKEN "var/.cagefs/.cagefs.token"

_public_ int olve_cagefs_inside(const char *root)
{
	_cleanup_close_ int rfd = -1, vfd = -1;
	struct stat st;

	rfd = open(root ? root : "/", O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	/* resolve var/.cagefs beneath root: a symlinked directory does not count */
	vfd = ol_open_dir_beneath(rfd, "var/.cagefs", OL_OPEN_PATH, 0);
	if (vfd == -ENOENT || vfd == -ENOTDIR || vfd == -ELOOP || vfd == -EXDEV)
		return 0;
	if (vfd < 0)
		return vfd;
	if (fstatat(vfd, ".cagefs.token", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return S_ISREG(st.st_mode) ? 1 : 0;
}
