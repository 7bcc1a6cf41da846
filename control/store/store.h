/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's storage: one LMDB environment under <state-dir>/lmdb, opened at
 * start on the event loop's thread and closed at stop. A `meta` database
 * holds the schema version; opening a store of another schema fails and says
 * which (both numbers). LMDB's return codes become -errno here (MDB_MAP_FULL
 * -> -ENOSPC, MDB_NOTFOUND -> -ENOENT, MDB_KEYEXIST -> -EEXIST, corruption
 * -> -EIO, see td_store_errno) so that callers see one convention. Errors
 * also leave a one-line reason in err.
 */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stddef.h>

#include <jansson.h>

#define TD_STORE_SCHEMA	  1
#define TD_STORE_MAP_SIZE ((size_t)1 << 30)
#define TD_STORE_MAX_DBS  32

struct MDB_env;

int td_store_open(const char *state_dir, char *err, size_t errlen);
void td_store_close(void);
/* The open environment, or NULL. */
struct MDB_env *td_store_env(void);
/* An LMDB return code as 0 or -errno. */
int td_store_errno(int mdb_rc);

/* Create the named databases if they are not there. */
int td_store_dbs_create(const char *const *names, size_t n, char *err, size_t errlen);
/* Configuration kept as one JSON object per string key: put takes o;
 * foreach walks in key order and stops at the first non-zero return of cb
 * (returned; o is borrowed); -EIO for a value that is not JSON; -ENOTCONN
 * without a store or database. */
int td_store_json_put(const char *db, const char *key, json_t *o);
int td_store_json_del(const char *db, const char *key);
/* The object under key (the caller's): 0, -ENOENT, -EIO. */
int td_store_json_get(const char *db, const char *key, json_t **out);
/* The last max records in key order, last first: the count or -errno. */
int td_store_json_last(const char *db, unsigned int max, void (*cb)(const char *key, json_t *o, void *arg), void *arg);
int td_store_json_foreach(const char *db, int (*cb)(const char *key, json_t *o, void *arg), void *arg);

#endif
