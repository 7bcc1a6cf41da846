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

#endif
