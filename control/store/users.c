/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP users in LMDB: see the header. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <lmdb.h>
#include <openssl/evp.h>

#include "store.h"
#include "users.h"

static MDB_dbi dbi;
static MDB_env *dbi_env; /* the environment dbi belongs to */

int
td_users_open(char *err, size_t errlen)
{
	MDB_env *env = td_store_env();
	MDB_txn *txn;
	int rc;

	if (env == NULL) {
		snprintf(err, errlen, "users: the store is not open");
		return -ENOTCONN;
	}
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, "users", MDB_CREATE, &dbi);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	if (rc) {
		snprintf(err, errlen, "cannot open the users database: %s", mdb_strerror(rc));
		return td_store_errno(rc);
	}
	dbi_env = env;
	return 0;
}

static int
ready(void)
{
	return dbi_env && dbi_env == td_store_env() ? 0 : -ENOTCONN;
}

int
td_user_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0 || n > TD_USER_NAME_MAX) {
		snprintf(err, errlen, "a user name has 1 to %d characters", TD_USER_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-' || c == '+')) {
			snprintf(err, errlen, "bad character '%c' in user name '%s' (allowed: A-Z a-z 0-9 . _ - +)",
				 c >= 32 && c < 127 ? c : '?', name);
			return -EINVAL;
		}
	}
	return 0;
}

int
td_user_ha1(const char *alg, const char *name, const char *realm, const char *password, char *out)
{
	const EVP_MD *md = strcmp(alg, "SHA-256") == 0 ? EVP_sha256() : strcmp(alg, "MD5") == 0 ? EVP_md5() : NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	EVP_MD_CTX *ctx;

	if (md == NULL)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	int ok = EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, name, strlen(name)) &&
		 EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, realm, strlen(realm)) &&
		 EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, password, strlen(password)) &&
		 EVP_DigestFinal_ex(ctx, h, &hl);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	for (unsigned int i = 0; i < hl; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
	return 0;
}

static json_t *
user_to_json(const struct td_user *u)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:I}", "display", u->display, "realm", u->realm, "ha1_md5", u->ha1_md5,
			 "ha1_sha256", u->ha1_sha256, "max_contacts", (int)u->max_contacts, "created",
			 (json_int_t)u->created);
}

static int
user_from(const MDB_val *key, const MDB_val *val, struct td_user *u)
{
	json_error_t je;
	json_t *o = json_loadb(val->mv_data, val->mv_size, 0, &je);
	const char *display = "", *realm = "", *md5 = "", *sha = "";
	int max = TD_USER_CONTACTS_DEFAULT;
	json_int_t created = 0;

	if (o == NULL || key->mv_size > TD_USER_NAME_MAX)
		goto bad;
	if (json_unpack(o, "{s?s,s:s,s:s,s:s,s?i,s?I}", "display", &display, "realm", &realm, "ha1_md5", &md5,
			"ha1_sha256", &sha, "max_contacts", &max, "created", &created) < 0 ||
	    strlen(md5) != 32 || strlen(sha) != 64)
		goto bad;
	memset(u, 0, sizeof(*u));
	memcpy(u->name, key->mv_data, key->mv_size);
	snprintf(u->display, sizeof(u->display), "%s", display);
	snprintf(u->realm, sizeof(u->realm), "%s", realm);
	memcpy(u->ha1_md5, md5, 33);
	memcpy(u->ha1_sha256, sha, 65);
	u->max_contacts = max > 0 ? (uint32_t)max : TD_USER_CONTACTS_DEFAULT;
	u->created = (uint64_t)created;
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EIO; /* a record this code did not write */
}

static int
put(const struct td_user *u, unsigned int flags)
{
	MDB_txn *txn;
	json_t *o = user_to_json(u);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	MDB_val key = {.mv_size = strlen(u->name), .mv_data = (void *)u->name};
	MDB_val val = {.mv_size = strlen(text), .mv_data = text};
	rc = mdb_txn_begin(dbi_env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_put(txn, dbi, &key, &val, flags);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	free(text);
	return td_store_errno(rc);
}

static int
fill_secret(struct td_user *u, const char *password, char *err, size_t errlen)
{
	size_t n = strlen(password);
	if (n == 0 || n > 128) {
		snprintf(err, errlen, "a password has 1 to 128 characters");
		return -EINVAL;
	}
	if (td_user_ha1("MD5", u->name, u->realm, password, u->ha1_md5) < 0 ||
	    td_user_ha1("SHA-256", u->name, u->realm, password, u->ha1_sha256) < 0) {
		snprintf(err, errlen, "cannot hash the password");
		return -EIO;
	}
	return 0;
}

int
td_user_add(const char *name, const char *password, const char *display, const char *realm, char *err, size_t errlen)
{
	struct td_user u = {.max_contacts = TD_USER_CONTACTS_DEFAULT};
	int ret;

	if ((ret = ready()) < 0) {
		snprintf(err, errlen, "the users database is not open");
		return ret;
	}
	if ((ret = td_user_name_check(name, err, errlen)) < 0)
		return ret;
	if (display && strlen(display) >= sizeof(u.display)) {
		snprintf(err, errlen, "a display name has at most %zu characters", sizeof(u.display) - 1);
		return -EINVAL;
	}
	if (realm && (strlen(realm) == 0 || strlen(realm) >= sizeof(u.realm) || strchr(realm, '"'))) {
		snprintf(err, errlen, "a realm has 1 to %zu characters and no '\"'", sizeof(u.realm) - 1);
		return -EINVAL;
	}
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.display, sizeof(u.display), "%s", display ? display : "");
	snprintf(u.realm, sizeof(u.realm), "%s", realm ? realm : TD_SIP_REALM_DEFAULT);
	u.created = (uint64_t)time(NULL);
	if ((ret = fill_secret(&u, password, err, errlen)) < 0)
		return ret;
	ret = put(&u, MDB_NOOVERWRITE);
	if (ret == -EEXIST)
		snprintf(err, errlen, "user %s exists", name);
	else if (ret < 0)
		snprintf(err, errlen, "cannot store user %s: %s", name, strerror(-ret));
	return ret;
}

int
td_user_get(const char *name, struct td_user *u)
{
	MDB_txn *txn;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name}, val;
	int rc, ret;

	if ((ret = ready()) < 0)
		return ret;
	if (key.mv_size == 0 || key.mv_size > TD_USER_NAME_MAX)
		return -ENOENT;
	rc = mdb_txn_begin(dbi_env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return td_store_errno(rc);
	rc = mdb_get(txn, dbi, &key, &val);
	ret = rc ? td_store_errno(rc) : user_from(&key, &val, u);
	mdb_txn_abort(txn);
	return ret;
}

int
td_user_del(const char *name)
{
	MDB_txn *txn;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name};
	int rc, ret;

	if ((ret = ready()) < 0)
		return ret;
	if (key.mv_size == 0 || key.mv_size > TD_USER_NAME_MAX)
		return -ENOENT;
	rc = mdb_txn_begin(dbi_env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_del(txn, dbi, &key, NULL);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	return td_store_errno(rc);
}

int
td_user_set_password(const char *name, const char *password, char *err, size_t errlen)
{
	struct td_user u;
	int ret = td_user_get(name, &u);
	if (ret < 0) {
		snprintf(err, errlen, ret == -ENOENT ? "no user %s" : "cannot read user %s", name);
		return ret;
	}
	if ((ret = fill_secret(&u, password, err, errlen)) < 0)
		return ret;
	ret = put(&u, 0);
	if (ret < 0)
		snprintf(err, errlen, "cannot store user %s: %s", name, strerror(-ret));
	return ret;
}

int
td_user_foreach(int (*cb)(const struct td_user *u, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	struct td_user u;
	int rc, ret = 0;

	if ((ret = ready()) < 0)
		return ret;
	rc = mdb_txn_begin(dbi_env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return td_store_errno(rc);
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return td_store_errno(rc);
	}
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		if (user_from(&key, &val, &u) == 0)
			ret = cb(&u, arg);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}
