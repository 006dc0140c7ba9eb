/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * binaries.c - the lists of binaries run inside LVEs on execution (see
 * binaries.h): the path syntax, the parser (fuzzed: tests/fuzz/fuzz-binaries.c),
 * and the file side (read, atomic replace). Owner: lvectl's binaries
 * commands (src/tools/lvectl-binaries.c) write the lists; openlve-placed
 * (src/placed/placed.c) reads the loaded one. Nothing here looks at
 * processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binaries.h"
#include "fileio.h"
#include "vecfg.h"

int olve_binary_path_check(const char *path, const char **why)
{
	const char *p;
	size_t len;

	if (!path || path[0] != '/') {
		*why = "is not an absolute path (it must start with /)";
		return -EINVAL;
	}
	len = strlen(path);
	if (len >= PATH_MAX) {
		*why = "is longer than 4095 bytes";
		return -EINVAL;
	}
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*why = "holds a control character";
			return -EINVAL;
		}
	if (len == 1 || path[len - 1] == '/') {
		*why = "names a directory (it ends with /)";
		return -EINVAL;
	}
	/* every component: not empty, not ".", not ".." */
	for (p = path; *p;) {
		const char *c = p + 1, *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			*why = "is not canonical (no //, /./ or /../; give the path as it is)";
			return -EINVAL;
		}
		if (n > NAME_MAX) {
			*why = "has a component longer than 255 bytes";
			return -EINVAL;
		}
		p = e ? e : c + n;
	}
	return 0;
}

bool olve_binaries_has(const struct olve_binaries *b, const char *path)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->path[i], path))
			return true;
	return false;
}

int olve_binaries_add(struct olve_binaries *b, const char *path)
{
	char **nv, *copy;

	if (olve_binaries_has(b, path))
		return 0;
	if (b->n >= OLVE_BINARIES_MAX)
		return -E2BIG;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	nv = realloc(b->path, (b->n + 1) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[b->n++] = copy;
	b->path = nv;
	return 1;
}

int olve_binaries_remove(struct olve_binaries *b, const char *path)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->path[i], path)) {
			free(b->path[i]);
			memmove(&b->path[i], &b->path[i + 1], (b->n - i - 1) * sizeof(*b->path));
			b->n--;
			return 1;
		}
	return 0;
}

void olve_binaries_free(struct olve_binaries *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->path[i]);
	free(b->path);
	*b = (struct olve_binaries){0};
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

int olve_binaries_parse(const char *text, size_t len, struct olve_binaries *out,
                        struct olve_binaries_error *e)
{
	struct olve_binaries b = {0};
	unsigned *lines = NULL; /* line of each entry, for the duplicate report */
	unsigned lineno = 0;
	size_t pos = 0;
	int r = 0;

	*e = (struct olve_binaries_error){0};
	if (len > OLVE_BINARIES_FILE_MAX) {
		snprintf(e->msg, sizeof(e->msg), "larger than %d bytes", OLVE_BINARIES_FILE_MAX);
		return -EFBIG;
	}
	if (memchr(text, 0, len)) {
		snprintf(e->msg, sizeof(e->msg), "holds a NUL byte (not a text file)");
		return -EINVAL;
	}
	while (pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		char path[PATH_MAX + 1];
		const char *why;
		size_t a = 0, z = n;

		pos += n + (nl ? 1 : 0);
		lineno++;
		while (a < z && is_blank(start[a]))
			a++;
		while (z > a && is_blank(start[z - 1]))
			z--;
		if (a == z || start[a] == '#')
			continue;
		if (z - a > PATH_MAX) {
			e->line = lineno;
			snprintf(e->msg, sizeof(e->msg), "the path is longer than 4095 bytes");
			r = -EINVAL;
			break;
		}
		memcpy(path, start + a, z - a);
		path[z - a] = 0;
		if (olve_binary_path_check(path, &why) < 0) {
			e->line = lineno;
			snprintf(e->msg, sizeof(e->msg), "\"%.80s%s\" %s", path,
			         strlen(path) > 80 ? "..." : "", why);
			for (char *m = e->msg; *m; m++) /* one printable error line */
				if ((unsigned char)*m < 0x20 || *m == 0x7f)
					*m = '?';
			r = -EINVAL;
			break;
		}
		if (olve_binaries_has(&b, path)) {
			if (!b.dup_line) {
				b.dup_line = lineno;
				for (size_t i = 0; i < b.n; i++)
					if (!strcmp(b.path[i], path))
						b.dup_of = lines[i];
			}
			continue;
		}
		r = olve_binaries_add(&b, path);
		if (r == -E2BIG) {
			e->line = lineno;
			snprintf(e->msg, sizeof(e->msg), "more than %d binaries", OLVE_BINARIES_MAX);
		}
		if (r < 0)
			break;
		{
			unsigned *nl2 = realloc(lines, b.n * sizeof(*lines));

			if (!nl2) {
				r = -ENOMEM;
				break;
			}
			lines = nl2;
			lines[b.n - 1] = lineno;
		}
		r = 0;
	}
	free(lines);
	if (r < 0) {
		olve_binaries_free(&b);
		return r;
	}
	*out = b;
	return 0;
}

int olve_binaries_load(const char *path, struct olve_binaries *out, char **text,
                       struct olve_binaries_error *e)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	_cleanup_free_ char *buf = NULL;
	const char *base;
	size_t len = 0;
	int r;

	*e = (struct olve_binaries_error){0};
	dfd = vecfg_open_parent(path, false, &base);
	if (dfd == -ENOENT) {
		buf = strdup("");
	} else if (dfd < 0) {
		return dfd;
	} else {
		fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0 && errno != ENOENT)
			return errno == ELOOP ? -EPERM : -errno;
		if (fd < 0) {
			buf = strdup("");
		} else {
			r = ol_read_full_fd(fd, OLVE_BINARIES_FILE_MAX, &buf, &len);
			if (r == -EFBIG)
				snprintf(e->msg, sizeof(e->msg), "larger than %d bytes",
				         OLVE_BINARIES_FILE_MAX);
			if (r < 0)
				return r;
		}
	}
	if (!buf)
		return -ENOMEM;
	r = olve_binaries_parse(buf, len, out, e);
	if (r < 0)
		return r;
	if (text)
		*text = TAKE_PTR(buf);
	return 0;
}

int olve_binaries_write(const char *path, const char *text, size_t len)
{
	_cleanup_close_ int dfd = -1;
	const char *base;

	dfd = vecfg_open_parent(path, true, &base);
	if (dfd < 0)
		return dfd;
	return ol_write_atomic_at(dfd, base, text, len, 0644);
}

int olve_binaries_format(const struct olve_binaries *b, const char *header, char **out,
                         size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	if (header)
		fputs(header, f);
	for (size_t i = 0; i < b->n; i++)
		fprintf(f, "%s\n", b->path[i]);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = size;
	return 0;
}
