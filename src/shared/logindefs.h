/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * logindefs.h - the uid range of regular users, from /etc/login.defs
 * (UID_MIN and UID_MAX: the uids useradd gives new users). Below UID_MIN are
 * system accounts, above UID_MAX are nobody (65534), systemd's dynamic users
 * (61184-65519) and other reserved ids. src/shared/logindefs.c.
 */
#pragma once

#include <stdint.h>

#define LOGIN_DEFS_PATH "/etc/login.defs"
/* shadow's defaults when a key is absent (login.defs(5)) */
#define LOGIN_DEFS_UID_MIN 1000
#define LOGIN_DEFS_UID_MAX 60000

/*
 * UID_MIN and UID_MAX of the login.defs file at `path` (last occurrence wins;
 * a missing, unreadable-as-a-number or zero value keeps the default above).
 * Returns 1 when the file was read, 0 when it does not exist (both values
 * are then the defaults), -errno when it cannot be read, -EINVAL when the
 * file's UID_MIN is above its UID_MAX. *min and *max are written only when
 * 0 or 1 is returned.
 */
int login_defs_uid_range(const char *path, uint32_t *min, uint32_t *max);
