/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup.c - struct cgroup, struct cgroup_controller and their typed
 * values: everything of the libcgroup API that never touches the kernel.
 *
 * Semantics follow libcgroup 3.x (src/wrapper.c there) with these
 * deliberate differences, all in the direction of stricter input checks:
 *   - group names are checked with ol_name_check() and normalized (no
 *     leading, trailing or duplicate '/'; "" is the root; "." and "/" also
 *     name the root). "..", control characters and over-long names -> NULL.
 *   - controller and value names must be one valid path component
 *     (ol_component_valid()): they become file names below the group.
 *   - cgroup_get_value_int64/uint64/bool parse the whole text strictly
 *     ("12abc", " 12", "" -> ECGINVAL; libcgroup's sscanf() took a prefix).
 *     The text "max" (cgroup v2's "no limit") reads as INT64_MAX / UINT64_MAX;
 *     libcgroup returned ECGINVAL there. A negative text read as uint64 is
 *     ECGINVAL (libcgroup wrapped "-1" to 2^64-1). bool accepts any integer,
 *     non-zero is true, like libcgroup; it writes "0"/"1".
 *   - count functions return -1 for a NULL argument (as libcgroup does: a
 *     count cannot carry an ECG* code); pointer functions return NULL.
 * As in libcgroup 3.x, cgroup_set_value_*() adds the value when it is not
 * present yet (ECGROUPVALUENOTEXIST is only returned by the getters), and
 * cgroup_add_value_*() fails with ECGVALUEEXISTS when it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "fileio.h"

/* ------------------------------------------------------------ helpers */

/* Copy `name` without leading, trailing and duplicate '/'. NULL on ENOMEM. */
static char *cg_normalize_name(const char *name)
{
	size_t n = strlen(name);
	char *out = malloc(n + 1), *o;
	const char *p = name;

	if (!out)
		return NULL;
	o = out;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (o != out)
			*o++ = '/';
		while (*p && *p != '/')
			*o++ = *p++;
	}
	*o = 0;
	return out;
}

static void cg_controller_free(struct cgroup_controller *c)
{
	if (!c)
		return;
	cg_controller_clear(c);
	free(c->name);
	free(c);
}

static int cg_value_names_valid(const struct cgroup_controller *c, const char *name)
{
	return c && name && ol_component_valid(name);
}

/* --------------------------------------------------------- value store */

_hidden_ struct cg_value *cg_controller_find(struct cgroup_controller *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (int i = 0; i < c->n_values; i++)
		if (strcmp(c->values[i].name, name) == 0)
			return &c->values[i];
	return NULL;
}

_hidden_ int cg_controller_put(struct cgroup_controller *c, const char *name, const char *value,
			       bool dirty)
{
	struct cg_value *v;
	char *nv;

	if (!c || !name)
		return -EINVAL;
	if (!value)
		value = "";

	v = cg_controller_find(c, name);
	if (v) {
		nv = strdup(value);
		if (!nv)
			return -ENOMEM;
		free(v->value);
		v->value = nv;
		v->dirty = dirty;
		return 0;
	}

	if (c->n_values >= c->cap_values) {
		int cap = c->cap_values ? c->cap_values * 2 : 8;
		struct cg_value *nvals;

		if (c->cap_values > INT_MAX / 4)
			return -ENOMEM;
		nvals = realloc(c->values, (size_t)cap * sizeof(*nvals));
		if (!nvals)
			return -ENOMEM;
		c->values = nvals;
		c->cap_values = cap;
	}

	v = &c->values[c->n_values];
	v->name = strdup(name);
	v->value = strdup(value);
	if (!v->name || !v->value) {
		free(v->name);
		free(v->value);
		v->name = v->value = NULL;
		return -ENOMEM;
	}
	v->dirty = dirty;
	c->n_values++;
	return 0;
}

_hidden_ void cg_controller_clear(struct cgroup_controller *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_values; i++) {
		free(c->values[i].name);
		free(c->values[i].value);
	}
	free(c->values);
	c->values = NULL;
	c->n_values = 0;
	c->cap_values = 0;
}

/* ------------------------------------------------------ cgroup objects */

_public_ struct cgroup *cgroup_new_cgroup(const char *name)
{
	struct cgroup *cg;

	if (!name)
		return NULL;
	if (strcmp(name, ".") == 0)
		name = "/";
	/*
	 * Any name is accepted here, as by libcgroup: a name that would leave
	 * the hierarchy ("../x") is refused with ECGINVAL by every operation
	 * that touches the kernel, which is where callers check for errors.
	 */
	if (strlen(name) > OL_NAME_MAX)
		return NULL;

	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return NULL;
	cg->name = cg_normalize_name(name);
	if (!cg->name) {
		free(cg);
		return NULL;
	}
	cg->tasks_uid = NO_UID_GID;
	cg->tasks_gid = NO_UID_GID;
	cg->control_uid = NO_UID_GID;
	cg->control_gid = NO_UID_GID;
	cg->control_dperm = NO_PERMS;
	cg->control_fperm = NO_PERMS;
	cg->task_fperm = NO_PERMS;
	return cg;
}

_public_ struct cgroup_controller *cgroup_add_controller(struct cgroup *cgrp, const char *name)
{
	struct cgroup_controller *c;

	if (!cgrp || !name || !ol_component_valid(name))
		return NULL;
	if (cgrp->index < 0 || cgrp->index >= CG_CONTROLLER_MAX)
		return NULL;
	if (cgroup_get_controller(cgrp, name))
		return NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = strdup(name);
	if (!c->name) {
		free(c);
		return NULL;
	}
	c->cgroup = cgrp;
	cgrp->controller[cgrp->index++] = c;
	return c;
}

_public_ struct cgroup_controller *cgroup_get_controller(struct cgroup *cgrp, const char *name)
{
	if (!cgrp || !name)
		return NULL;
	for (int i = 0; i < cgrp->index; i++)
		if (strcmp(cgrp->controller[i]->name, name) == 0)
			return cgrp->controller[i];
	return NULL;
}

_public_ void cgroup_free_controllers(struct cgroup *cgrp)
{
	if (!cgrp)
		return;
	for (int i = 0; i < cgrp->index; i++) {
		cg_controller_free(cgrp->controller[i]);
		cgrp->controller[i] = NULL;
	}
	cgrp->index = 0;
}

_public_ void cgroup_free(struct cgroup **cgrp)
{
	struct cgroup *cg;

	if (!cgrp || !*cgrp)
		return;
	cg = *cgrp;
	cg_attach_cache_drop(cg); /* attach.c's kept fds for this group */
	cgroup_free_controllers(cg);
	free(cg->name);
	free(cg);
	*cgrp = NULL;
}

_public_ int cgroup_get_controller_count(struct cgroup *cgrp)
{
	if (!cgrp)
		return -1;
	return cgrp->index;
}

_public_ struct cgroup_controller *cgroup_get_controller_by_index(struct cgroup *cgrp, int index)
{
	if (!cgrp || index < 0 || index >= cgrp->index)
		return NULL;
	return cgrp->controller[index];
}

_public_ char *cgroup_get_controller_name(struct cgroup_controller *controller)
{
	if (!controller)
		return NULL;
	return controller->name;
}

_public_ char *cgroup_get_cgroup_name(struct cgroup *cgrp)
{
	if (!cgrp)
		return NULL;
	return cgrp->name;
}

/* Deep copy of `src`'s values into a new controller named like src, all dirty. */
static int cg_controller_dup(const struct cgroup_controller *src, struct cgroup *owner,
			     struct cgroup_controller **ret)
{
	struct cgroup_controller *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->name = strdup(src->name);
	if (!c->name) {
		free(c);
		return -ENOMEM;
	}
	c->cgroup = owner;
	for (int i = 0; i < src->n_values; i++) {
		r = cg_controller_put(c, src->values[i].name, src->values[i].value, true);
		if (r < 0) {
			cg_controller_free(c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

_public_ int cgroup_copy_cgroup(struct cgroup *dst, struct cgroup *src)
{
	struct cgroup_controller *copies[CG_CONTROLLER_MAX] = { NULL };
	int n, r;

	if (!dst || !src)
		return ECGINVAL;
	if (dst == src)
		return ECGFAIL; /* like libcgroup: dst's controllers are discarded first */
	n = src->index;
	if (n < 0 || n > CG_CONTROLLER_MAX)
		return ECGINVAL;

	for (int i = 0; i < n; i++) {
		r = cg_controller_dup(src->controller[i], dst, &copies[i]);
		if (r < 0) {
			for (int j = 0; j < i; j++)
				cg_controller_free(copies[j]);
			return cg_fail_errno(r);
		}
	}

	cgroup_free_controllers(dst);
	for (int i = 0; i < n; i++)
		dst->controller[i] = copies[i];
	dst->index = n;
	return 0;
}

_public_ int cgroup_compare_controllers(struct cgroup_controller *cgca,
					struct cgroup_controller *cgcb)
{
	if (!cgca || !cgcb)
		return ECGINVAL;
	if (strcmp(cgca->name, cgcb->name) != 0)
		return ECGCONTROLLERNOTEQUAL;
	if (cgca->n_values != cgcb->n_values)
		return ECGCONTROLLERNOTEQUAL;
	/* Value names are unique per controller: equal counts + all found = equal sets. */
	for (int i = 0; i < cgca->n_values; i++) {
		const struct cg_value *b = cg_controller_find(cgcb, cgca->values[i].name);

		if (!b || strcmp(b->value, cgca->values[i].value) != 0)
			return ECGCONTROLLERNOTEQUAL;
	}
	return 0;
}

_public_ int cgroup_compare_cgroup(struct cgroup *cgrp_a, struct cgroup *cgrp_b)
{
	if (!cgrp_a || !cgrp_b)
		return ECGINVAL;
	if (strcmp(cgrp_a->name, cgrp_b->name) != 0)
		return ECGROUPNOTEQUAL;
	if (cgrp_a->tasks_uid != cgrp_b->tasks_uid || cgrp_a->tasks_gid != cgrp_b->tasks_gid ||
	    cgrp_a->control_uid != cgrp_b->control_uid ||
	    cgrp_a->control_gid != cgrp_b->control_gid)
		return ECGROUPNOTEQUAL;
	if (cgrp_a->control_dperm != cgrp_b->control_dperm ||
	    cgrp_a->control_fperm != cgrp_b->control_fperm ||
	    cgrp_a->task_fperm != cgrp_b->task_fperm)
		return ECGROUPNOTEQUAL;
	if (cgrp_a->index != cgrp_b->index)
		return ECGCONTROLLERNOTEQUAL;
	/* Controllers may be in a different order. */
	for (int i = 0; i < cgrp_a->index; i++) {
		struct cgroup_controller *b =
			cgroup_get_controller(cgrp_b, cgrp_a->controller[i]->name);

		if (!b || cgroup_compare_controllers(cgrp_a->controller[i], b) != 0)
			return ECGCONTROLLERNOTEQUAL;
	}
	return 0;
}

_public_ int cgroup_set_uid_gid(struct cgroup *cgrp, uid_t tasks_uid, gid_t tasks_gid,
				uid_t control_uid, gid_t control_gid)
{
	if (!cgrp)
		return ECGINVAL;
	cgrp->tasks_uid = tasks_uid;
	cgrp->tasks_gid = tasks_gid;
	cgrp->control_uid = control_uid;
	cgrp->control_gid = control_gid;
	return 0;
}

_public_ int cgroup_get_uid_gid(struct cgroup *cgrp, uid_t *tasks_uid, gid_t *tasks_gid,
				uid_t *control_uid, gid_t *control_gid)
{
	if (!cgrp || !tasks_uid || !tasks_gid || !control_uid || !control_gid)
		return ECGINVAL;
	*tasks_uid = cgrp->tasks_uid;
	*tasks_gid = cgrp->tasks_gid;
	*control_uid = cgrp->control_uid;
	*control_gid = cgrp->control_gid;
	return 0;
}

_public_ void cgroup_set_permissions(struct cgroup *cgrp, mode_t control_dperm,
				     mode_t control_fperm, mode_t task_fperm)
{
	if (!cgrp)
		return;
	cgrp->control_dperm = control_dperm;
	cgrp->control_fperm = control_fperm;
	cgrp->task_fperm = task_fperm;
}

/* -------------------------------------------------------- typed values */

_public_ int cgroup_add_value_string(struct cgroup_controller *controller, const char *name,
				     const char *value)
{
	int r;

	if (!cg_value_names_valid(controller, name))
		return ECGINVAL;
	if (cg_controller_find(controller, name))
		return ECGVALUEEXISTS;
	if (controller->n_values >= CG_NV_MAX)
		return ECGMAXVALUESEXCEEDED;
	/* libcgroup: a NULL value only names the setting (e.g. to read it); not dirty. */
	r = cg_controller_put(controller, name, value, value != NULL);
	if (r < 0)
		return cg_fail_errno(r);
	return 0;
}

_public_ int cgroup_set_value_string(struct cgroup_controller *controller, const char *name,
				     const char *value)
{
	struct cg_value *v;
	char *nv;

	if (!controller || !name || !value)
		return ECGINVAL;
	v = cg_controller_find(controller, name);
	if (!v)
		return cgroup_add_value_string(controller, name, value);
	nv = strdup(value);
	if (!nv)
		return cg_fail_errno(-ENOMEM);
	free(v->value);
	v->value = nv;
	v->dirty = true;
	return 0;
}

/*
 * The typed adders and setters store the value as text: through
 * cgroup_add_value_string (set false) or cgroup_set_value_string (set true).
 */
static int cg_put_text(struct cgroup_controller *controller, const char *name, const char *text,
		       bool set)
{
	return set ? cgroup_set_value_string(controller, name, text) :
		     cgroup_add_value_string(controller, name, text);
}

static int cg_put_int64(struct cgroup_controller *controller, const char *name, int64_t value,
			bool set)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	return cg_put_text(controller, name, buf, set);
}

static int cg_put_uint64(struct cgroup_controller *controller, const char *name, uint64_t value,
			 bool set)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return cg_put_text(controller, name, buf, set);
}

_public_ int cgroup_add_value_int64(struct cgroup_controller *controller, const char *name,
				    int64_t value)
{
	return cg_put_int64(controller, name, value, false);
}

_public_ int cgroup_add_value_uint64(struct cgroup_controller *controller, const char *name,
				     u_int64_t value)
{
	return cg_put_uint64(controller, name, (uint64_t)value, false);
}

_public_ int cgroup_add_value_bool(struct cgroup_controller *controller, const char *name,
				   bool value)
{
	return cg_put_text(controller, name, value ? "1" : "0", false);
}

_public_ int cgroup_set_value_int64(struct cgroup_controller *controller, const char *name,
				    int64_t value)
{
	return cg_put_int64(controller, name, value, true);
}

_public_ int cgroup_set_value_uint64(struct cgroup_controller *controller, const char *name,
				     u_int64_t value)
{
	return cg_put_uint64(controller, name, (uint64_t)value, true);
}

_public_ int cgroup_set_value_bool(struct cgroup_controller *controller, const char *name,
				   bool value)
{
	return cg_put_text(controller, name, value ? "1" : "0", true);
}

/* Look a value up for the getters: 0 and *v, or an ECG* code. */
static int cg_get_value(struct cgroup_controller *controller, const char *name, const void *out,
			const struct cg_value **v)
{
	if (!controller || !name || !out)
		return ECGINVAL;
	*v = cg_controller_find(controller, name);
	if (!*v)
		return ECGROUPVALUENOTEXIST;
	return 0;
}

/*
 * A numeric value for the getters: 0 and the number in *i (signed) or else
 * *u (written only then), "max" giving the type's maximum when max_ok; or an
 * ECG* code.
 */
static int cg_get_number(struct cgroup_controller *controller, const char *name, const void *out,
			 bool max_ok, int64_t *i, uint64_t *u)
{
	const struct cg_value *v;
	int r;

	r = cg_get_value(controller, name, out, &v);
	if (r)
		return r;
	if (max_ok && strcmp(v->value, "max") == 0) {
		if (i)
			*i = INT64_MAX;
		else
			*u = UINT64_MAX;
		return 0;
	}
	if (i ? ol_parse_i64(v->value, i) < 0 : ol_parse_u64(v->value, u) < 0)
		return ECGINVAL;
	return 0;
}

_public_ int cgroup_get_value_string(struct cgroup_controller *controller, const char *name,
				     char **value)
{
	const struct cg_value *v;
	char *s;
	int r;

	r = cg_get_value(controller, name, value, &v);
	if (r)
		return r;
	s = strdup(v->value);
	if (!s)
		return cg_fail_errno(-ENOMEM);
	*value = s;
	return 0;
}

_public_ int cgroup_get_value_int64(struct cgroup_controller *controller, const char *name,
				    int64_t *value)
{
	return cg_get_number(controller, name, value, true, value, NULL);
}

_public_ int cgroup_get_value_uint64(struct cgroup_controller *controller, const char *name,
				     u_int64_t *value)
{
	return cg_get_number(controller, name, value, true, NULL, value);
}

_public_ int cgroup_get_value_bool(struct cgroup_controller *controller, const char *name,
				   bool *value)
{
	int64_t x;
	int r = cg_get_number(controller, name, value, false, &x, NULL);

	if (r)
		return r;
	*value = x != 0;
	return 0;
}

_public_ int cgroup_get_value_name_count(struct cgroup_controller *controller)
{
	if (!controller)
		return -1;
	return controller->n_values;
}

_public_ char *cgroup_get_value_name(struct cgroup_controller *controller, int index)
{
	if (!controller || index < 0 || index >= controller->n_values)
		return NULL;
	return controller->values[index].name;
}
