/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar (RFC 3261 §10.3): REGISTER with digest authentication
 * (sip_auth: SHA-256 and MD5 challenges) for users kept in LMDB; each
 * user's bindings (at most its max_contacts, oldest replaced) live in memory
 * with their expiry, the address the REGISTER came from (calls go there:
 * the phone may be behind NAT) and its transport, and are written through
 * to LMDB so that a restarted control still reaches the phones.
 * Event-loop thread.
 */
#ifndef TD_REGISTRAR_H
#define TD_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "sip_tsx.h"

#define REG_MAX_CONTACTS    8
#define REG_MIN_EXPIRES	    60
#define REG_MAX_EXPIRES	    3600
#define REG_DEFAULT_EXPIRES 3600

struct reg_contact {
	char uri[256];
	char user_agent[64];
	struct sip_peer source; /* where the REGISTER came from */
	uint64_t expires_ms;	/* monotonic */
	uint64_t registered_ms;
	char call_id[128];
	uint32_t cseq;
};

struct registrar_stats {
	uint64_t requests;
	uint64_t ok;
	uint64_t challenged;  /* 401 sent (no or stale credentials) */
	uint64_t auth_failed; /* 403: wrong password, unknown user, replay */
	uint64_t bad_request; /* 400, 423, malformed contacts or credentials */
	uint64_t unregistered;
	uint64_t expired;
	uint64_t bindings; /* now */
};

/* Open the "regs" database and read back the live bindings kept there
 * (after a restart of control): their count, or -errno with a reason. */
int registrar_restore(char *err, size_t errlen);
void registrar_request(struct sip_tsx *t, const struct sip_msg *m);
void registrar_tick(uint64_t now_ms);
/* The newest live binding of user, or -ENOENT. */
int registrar_lookup(const char *user, struct reg_contact *out);
/* Call cb for every live binding; stops when cb returns non-zero. */
void registrar_foreach(int (*cb)(const char *user, const struct reg_contact *c, void *arg), void *arg);
/* Drop every binding of user (user deleted): the count removed. */
int registrar_forget(const char *user);
void registrar_stats_get(struct registrar_stats *out);

#endif
