/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP digest authentication, server side (RFC 3261 §22, RFC 7616, RFC
 * 8760): challenges for 401/407 offering SHA-256 first and MD5 second
 * (each can be switched off), and the check of an Authorization or
 * Proxy-Authorization header against the users in LMDB.
 *
 * Nonces carry their own birth time, a sequence number and an HMAC-SHA-256
 * of both under a secret drawn at start, so any nonce can be checked without keeping it;
 * a nonce older than the TTL is stale (the client is challenged again
 * with stale=true). Replays are refused with a bounded table of recently
 * used nonces and the highest nonce count seen for each: a count that does
 * not grow is a replay. Event-loop thread of control.
 */
#ifndef TD_SIP_AUTH_H
#define TD_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_msg.h"
#include "store/users.h"

#define SIP_AUTH_NONCE_TTL_S  300
#define SIP_AUTH_REPLAY_SLOTS 8192

enum sip_auth_result {
	SIP_AUTH_OK,
	SIP_AUTH_MISSING,   /* no credentials for us: challenge */
	SIP_AUTH_MALFORMED, /* unparseable, or a nonce we never made */
	SIP_AUTH_UNKNOWN_USER,
	SIP_AUTH_BAD_PASSWORD,
	SIP_AUTH_STALE,	 /* our nonce, too old: challenge with stale=true */
	SIP_AUTH_REPLAY, /* a nonce count already used */
	SIP_AUTH_WRONG_REALM,
	SIP_AUTH_BAD_URI,	/* uri= is not the Request-URI */
	SIP_AUTH_BAD_ALGORITHM, /* not one we offer */
};

struct sip_auth_stats {
	uint64_t challenges;
	uint64_t ok;
	uint64_t by_result[SIP_AUTH_BAD_ALGORITHM + 1];
};

/* Draw the nonce secret; realm NULL: TD_SIP_REALM_DEFAULT. */
int sip_auth_init(const char *realm, uint32_t nonce_ttl_s);
void sip_auth_set_algorithms(bool sha256, bool md5);
/* The WWW-Authenticate (Proxy-Authenticate when proxy) lines, CRLF ended,
 * into out: the length or -ENOBUFS. */
int sip_auth_challenge(bool proxy, bool stale, uint64_t now_ms, char *out, size_t max);
/* Check req's credentials; on SIP_AUTH_OK *user is the user. */
enum sip_auth_result sip_auth_verify(const struct sip_msg *req, bool proxy, uint64_t now_ms, struct td_user *user);
const char *sip_auth_result_name(enum sip_auth_result r);
void sip_auth_stats_get(struct sip_auth_stats *out);

/* One digest response in hex (RFC 7616 §3.4.1, qop=auth or none): for
 * tests and the client side. alg "MD5" or "SHA-256"; qop NULL for none. */
int sip_auth_response(const char *alg, const char *ha1, const char *nonce, const char *nc, const char *cnonce,
		      const char *qop, const char *method, const char *uri, char *out);

#endif
