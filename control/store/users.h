/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP users (extensions), kept in the LMDB database "users": key the user
 * name, value a JSON object. The password itself is never stored: only the
 * digest HA1 values H(user:realm:password) for MD5 and SHA-256 (RFC 7616
 * §3.4.2), which is all the registrar needs to check a response. Names are
 * 1..32 characters of [A-Za-z0-9._+-]. Event-loop thread of control; every
 * call is one LMDB transaction.
 */
#ifndef TD_USERS_H
#define TD_USERS_H

#include <stddef.h>
#include <stdint.h>

#define TD_SIP_REALM_DEFAULT	 "tongdai"
#define TD_USER_NAME_MAX	 32
#define TD_USER_CONTACTS_DEFAULT 3

struct td_user {
	char name[TD_USER_NAME_MAX + 1];
	char display[64];
	char realm[64];
	char ha1_md5[33];
	char ha1_sha256[65];
	uint32_t max_contacts;
	uint64_t created; /* unix seconds */
};

/* Create or open the database in the store (td_store_open first, and again
 * after each td_store_open). Every other call returns -ENOTCONN while the
 * store or this database is not open. */
int td_users_open(char *err, size_t errlen);
/* realm NULL: TD_SIP_REALM_DEFAULT; display NULL: none. A password has 1 to
 * 128 characters. 0, -EEXIST, -EINVAL (with a reason in err), or a store
 * error (reason in err too). */
int td_user_add(const char *name, const char *password, const char *display, const char *realm, char *err,
		size_t errlen);
int td_user_del(const char *name);		      /* -ENOENT */
int td_user_get(const char *name, struct td_user *u); /* -ENOENT */
int td_user_set_password(const char *name, const char *password, char *err, size_t errlen);
/* In name order (LMDB's byte order); stops when cb returns non-zero (returned),
 * or with -EIO at a record this code did not write. */
int td_user_foreach(int (*cb)(const struct td_user *u, void *arg), void *arg);
/* 0 when name is a valid user name, else -EINVAL with the reason. */
int td_user_name_check(const char *name, char *err, size_t errlen);
/* HA1 in hex for an algorithm ("MD5" or "SHA-256") into out (65 bytes). */
int td_user_ha1(const char *alg, const char *name, const char *realm, const char *password, char *out);

#endif
