/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's storage: one LMDB environment under <state-dir>/lmdb, opened at
 * start on the event loop's thread and closed at stop. A `meta` database
 * holds the schema version; opening a store of another schema fails and says
 * which. LMDB's return codes become -errno here (MDB_MAP_FULL -> -ENOSPC,
 * MDB_NOTFOUND -> -ENOENT, others -EIO) so that callers see one convention.
 */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stddef.h>

#define TD_STORE_SCHEMA 1

struct MDB_env;

int td_store_open(const char *state_dir, char *err, size_t errlen);
void td_store_close(void);
struct MDB_env *td_store_env(void);
int td_store_errno(int mdb_rc);

#endif
