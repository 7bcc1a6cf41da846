/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Established calls in LMDB (database "calls"): one JSON record per call,
 * written when a call is answered and whenever its dialog state changes,
 * removed when it ends. After control is killed and restarted, the B2BUA
 * reads them back and finds the calls' dataplane sessions still there.
 * Commits do not wait for the disk (MDB_NOSYNC on the environment): a
 * killed process loses nothing, and call_store_sync() flushes once a
 * second for machine crashes. Event-loop thread of control.
 */
#ifndef TD_CALL_STORE_H
#define TD_CALL_STORE_H

#include <stdint.h>

#include <jansson.h>

int call_store_open(char *err, size_t errlen);
/* Takes rec. 0 or -errno. */
int call_store_put(uint32_t id, json_t *rec);
int call_store_del(uint32_t id);
/* Every record in id order; cb borrows rec. */
int call_store_foreach(void (*cb)(uint32_t id, json_t *rec, void *arg), void *arg);
void call_store_sync(void);

#endif
