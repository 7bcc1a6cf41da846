/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP users in LMDB: see the header. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <lmdb.h>
#include <openssl/evp.h>

#include "store.h"
#include "users.h"

/*
 * The handle is looked up by name in every transaction (a scan of at most
 * TD_STORE_MAX_DBS names) rather than kept: a handle kept across
 * td_store_close() and td_store_open() could name another database of the
 * new environment.
 */
static int
users_dbi(MDB_txn *txn, unsigned int flags, MDB_dbi *dbi)
{
	int rc = mdb_dbi_open(txn, "users", flags, dbi);
	return rc == MDB_NOTFOUND ? -ENOTCONN : td_store_errno(rc);
}

/* A transaction on the open store with the users database: 0 or -errno. */
static int
users_txn(unsigned int flags, MDB_txn **txn, MDB_dbi *dbi)
{
	MDB_env *env = td_store_env();
	int ret;

	if (env == NULL)
		return -ENOTCONN;
	ret = td_store_errno(mdb_txn_begin(env, NULL, flags, txn));
	if (ret < 0)
		return ret;
	ret = users_dbi(*txn, 0, dbi);
	if (ret < 0)
		mdb_txn_abort(*txn);
	return ret;
}

int
td_users_open(char *err, size_t errlen)
{
	MDB_env *env = td_store_env();
	MDB_txn *txn;
	MDB_dbi dbi;
	int ret;

	if (env == NULL) {
		snprintf(err, errlen, "users: the store is not open");
		return -ENOTCONN;
	}
	ret = td_store_errno(mdb_txn_begin(env, NULL, 0, &txn));
	if (ret == 0) {
		ret = users_dbi(txn, MDB_CREATE, &dbi);
		ret = ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
	}
	if (ret < 0)
		snprintf(err, errlen, "cannot open the users database: %s", strerror(-ret));
	return ret;
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
	MDB_dbi dbi;
	json_t *o = user_to_json(u);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret;

	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	MDB_val key = {.mv_size = strlen(u->name), .mv_data = (void *)u->name};
	MDB_val val = {.mv_size = strlen(text), .mv_data = text};
	ret = users_txn(0, &txn, &dbi);
	if (ret == 0) {
		ret = td_store_errno(mdb_put(txn, dbi, &key, &val, flags));
		ret = ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
	}
	free(text);
	return ret;
}

/* Printable ASCII or UTF-8 octets, none of the control characters that
 * could end a header line or a log line. */
static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
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

	if ((ret = td_user_name_check(name, err, errlen)) < 0)
		return ret;
	if (display && (strlen(display) >= sizeof(u.display) || !printable(display))) {
		snprintf(err, errlen, "a display name has at most %zu characters and no control character",
			 sizeof(u.display) - 1);
		return -EINVAL;
	}
	if (realm && (strlen(realm) == 0 || strlen(realm) >= sizeof(u.realm) || strchr(realm, '"') ||
		      strchr(realm, '\\') || !printable(realm))) {
		snprintf(err, errlen, "a realm has 1 to %zu characters, no '\"', '\\' or control character",
			 sizeof(u.realm) - 1);
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
	else if (ret == -ENOTCONN)
		snprintf(err, errlen, "the users database is not open");
	else if (ret < 0)
		snprintf(err, errlen, "cannot store user %s: %s", name, strerror(-ret));
	return ret;
}

int
td_user_get(const char *name, struct td_user *u)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name}, val;
	int ret;

	if (key.mv_size == 0 || key.mv_size > TD_USER_NAME_MAX)
		return -ENOENT;
	ret = users_txn(MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_get(txn, dbi, &key, &val));
	if (ret == 0)
		ret = user_from(&key, &val, u);
	mdb_txn_abort(txn);
	return ret;
}

int
td_user_del(const char *name)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name};
	int ret;

	if (key.mv_size == 0 || key.mv_size > TD_USER_NAME_MAX)
		return -ENOENT;
	ret = users_txn(0, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_del(txn, dbi, &key, NULL));
	return ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
}

int
td_user_set_password(const char *name, const char *password, char *err, size_t errlen)
{
	struct td_user u;
	int ret = td_user_get(name, &u);
	if (ret < 0) {
		if (ret == -ENOENT)
			snprintf(err, errlen, "no user %s", name);
		else
			snprintf(err, errlen, "cannot read user %s: %s", name, strerror(-ret));
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
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val key, val;
	struct td_user u;
	int rc, ret;

	ret = users_txn(MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return td_store_errno(rc);
	}
	/* A record this code cannot read ends the walk with -EIO rather than
	 * leaving a user out unnoticed. */
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		ret = user_from(&key, &val, &u);
		if (ret == 0)
			ret = cb(&u, arg);
	}
	if (ret == 0 && rc != MDB_NOTFOUND)
		ret = td_store_errno(rc);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}
