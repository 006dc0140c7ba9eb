/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tools.c - cgroup_cgxget() / cgroup_cgxset(): read and write settings
 * named in the caller's cgroup version, whatever version the controller is
 * mounted as. All translation is convert.c's (cg_convert_controller); this
 * file only plans which settings go where and handles ignore_unmappable.
 *
 * Owns: nothing; works on copies and replaces the caller's controllers
 * only on success.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"

/* On-disk version of a controller (by the caller's name for it). */
static int disk_version(const char *name, enum cg_version_t *v)
{
	const char *alt = !strcmp(name, "io") ? "blkio" : !strcmp(name, "blkio") ? "io" : NULL;
	int r = cgroup_get_controller_version(name, v);

	if (r == ECGROUPNOTEXIST && alt)
		r = cgroup_get_controller_version(alt, v);
	if (r == ECGROUPNOTEXIST) {
		cg_fail_errno(-ENOENT);
		return ECGROUPSUBSYSNOTMOUNTED;
	}
	return r;
}

static const char *name_in(const char *name, enum cg_version_t v)
{
	if (v == CGROUP_V2 && !strcmp(name, "blkio"))
		return "io";
	if (v == CGROUP_V1 && !strcmp(name, "io"))
		return "blkio";
	return name;
}

/*
 * Translate controller `in` (settings of version from) into `out` for
 * version to; with ignore, settings without a counterpart are dropped one
 * by one. -errno (-EOPNOTSUPP: unmappable).
 */
static int translate(struct cgroup_controller *out, const struct cgroup_controller *in,
		     enum cg_version_t from, enum cg_version_t to, bool ignore)
{
	int r;

	if (from == to || from == CGROUP_UNK) {
		for (int j = 0; j < in->n_values; j++) {
			r = cg_controller_put(out, in->values[j].name, in->values[j].value,
					      in->values[j].dirty);
			if (r < 0)
				return r;
		}
		return 0;
	}
	r = cg_convert_controller(out, in, to);
	if (r != -EOPNOTSUPP || !ignore)
		return r;
	for (int j = 0; j < in->n_values; j++) {
		struct cgroup_controller one = *in;

		one.values = &in->values[j];
		one.n_values = one.cap_values = 1;
		r = cg_convert_controller(out, &one, to);
		if (r < 0 && r != -EOPNOTSUPP)
			return r;
	}
	return 0;
}

static int fail_translate(int r)
{
	if (r == -EOPNOTSUPP) {
		cg_fail_errno(r);
		return ECGROUPUNSUPP;
	}
	return cg_ecg_from_errno(r);
}

_public_ int cgroup_cgxget(struct cgroup **cgrp, enum cg_version_t version, bool ignore_unmappable)
{
	struct cgroup *in, *res = NULL;
	int r = 0;

	if (!cgrp || !*cgrp)
		return ECGINVAL;
	if (version != CGROUP_V1 && version != CGROUP_V2 && version != CGROUP_UNK)
		return ECGINVAL;
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	in = *cgrp;
	res = cgroup_new_cgroup(in->name);
	if (!res)
		return ECGINVAL;
	for (int i = 0; i < in->index && r == 0; i++) {
		const struct cgroup_controller *want = in->controller[i];
		enum cg_version_t disk, asked;
		struct cgroup *kern = NULL;
		struct cgroup_controller *kc, *out, disk_req = { .name = want->name };

		r = disk_version(want->name, &disk);
		if (r)
			break;
		asked = version == CGROUP_UNK ? disk : version;
		/* 1. the kernel's view of this controller, in its own version */
		kern = cgroup_new_cgroup(in->name);
		if (!kern || !cgroup_add_controller(kern, name_in(want->name, disk))) {
			cgroup_free(&kern);
			r = cg_ecg_from_errno(-ENOMEM);
			break;
		}
		r = cgroup_get_cgroup(kern);
		kc = r ? NULL : cgroup_get_controller(kern, name_in(want->name, disk));
		if (!r && !kc) {
			cg_fail_errno(-ENOENT);
			r = ECGROUPSUBSYSNOTMOUNTED;
		}
		/* 2. the asked names in the disk version, then their values */
		if (!r && want->n_values > 0) {
			int k = translate(&disk_req, want, asked, disk, ignore_unmappable);

			if (k < 0)
				r = fail_translate(k);
			for (int j = 0; !r && j < disk_req.n_values; j++) {
				struct cg_value *kv = cg_controller_find(kc, disk_req.values[j].name);

				if (!kv) {
					cg_fail_errno(-ENOENT);
					r = ECGROUPVALUENOTEXIST;
					break;
				}
				k = cg_controller_put(&disk_req, kv->name, kv->value, false);
				if (k < 0)
					r = cg_ecg_from_errno(k);
			}
		} else if (!r) {
			/* no names: every setting of the controller */
			int k = translate(&disk_req, kc, CGROUP_UNK, CGROUP_UNK, false);

			if (k < 0)
				r = cg_ecg_from_errno(k);
		}
		/* 3. back into the asked version */
		out = r ? NULL : cgroup_add_controller(res, want->name);
		if (!r && !out)
			r = ECGINVAL;
		if (!r) {
			struct cgroup_controller back = { .name = want->name };
			int k = translate(&back, &disk_req, disk, asked, ignore_unmappable || !want->n_values);

			if (k < 0)
				r = fail_translate(k);
			for (int j = 0; !r && j < back.n_values; j++) {
				/* only what was asked (a pair may bring its partner) */
				if (want->n_values > 0 &&
				    !cg_controller_find((struct cgroup_controller *)want, back.values[j].name))
					continue;
				k = cg_controller_put(out, back.values[j].name, back.values[j].value, false);
				if (k < 0)
					r = cg_ecg_from_errno(k);
			}
			for (int j = 0; !r && !ignore_unmappable && j < want->n_values; j++)
				if (!cg_controller_find(out, want->values[j].name)) {
					cg_fail_errno(-EOPNOTSUPP);
					r = ECGROUPUNSUPP;
				}
			cg_controller_clear(&back);
		}
		cg_controller_clear(&disk_req);
		cgroup_free(&kern);
	}
	if (r) {
		cgroup_free(&res);
		return r;
	}
	res->tasks_uid = in->tasks_uid;
	res->tasks_gid = in->tasks_gid;
	res->control_uid = in->control_uid;
	res->control_gid = in->control_gid;
	cgroup_free(cgrp);
	*cgrp = res;
	return 0;
}

_public_ int cgroup_cgxset(const struct cgroup *const cgrp, enum cg_version_t version,
			   bool ignore_unmappable)
{
	struct cgroup *w;
	int r = 0;

	if (!cgrp)
		return ECGINVAL;
	if (version != CGROUP_V1 && version != CGROUP_V2 && version != CGROUP_UNK)
		return ECGINVAL;
	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	w = cgroup_new_cgroup(cgrp->name);
	if (!w)
		return ECGINVAL;
	for (int i = 0; i < cgrp->index && r == 0; i++) {
		const struct cgroup_controller *c = cgrp->controller[i];
		struct cgroup_controller tmp = { .name = c->name };
		struct cgroup_controller *out;
		enum cg_version_t disk;
		int k;

		r = disk_version(c->name, &disk);
		if (r)
			break;
		k = translate(&tmp, c, version == CGROUP_UNK ? disk : version, disk, ignore_unmappable);
		if (k < 0)
			r = fail_translate(k);
		out = r ? NULL : cgroup_add_controller(w, name_in(c->name, disk));
		if (!r && !out)
			r = ECGINVAL;
		for (int j = 0; !r && j < tmp.n_values; j++) {
			k = cg_controller_put(out, tmp.values[j].name, tmp.values[j].value, true);
			if (k < 0)
				r = cg_ecg_from_errno(k);
		}
		cg_controller_clear(&tmp);
	}
	if (!r)
		r = cgroup_modify_cgroup(w);
	cgroup_free(&w);
	return r;
}
