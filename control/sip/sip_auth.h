/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760), qop "auth"
 * or none, algorithms SHA-256 and MD5.
 *
 * Server side (registrar, B2BUA): challenges for 401/407 offering SHA-256
 * first and MD5 second (each can be switched off), and the check of an
 * Authorization or Proxy-Authorization header against the users in LMDB.
 *
 * Nonces carry their own birth time, a sequence number and an HMAC-SHA-256
 * of both under a secret drawn at start, so any nonce can be checked without keeping it;
 * a nonce older than the TTL is stale (the client is challenged again
 * with stale=true). Replays are refused with a bounded table of recently
 * used nonces and the highest nonce count seen for each: a count that does
 * not grow is a replay.
 *
 * Client side (trunk registration, outbound calls): read the challenge of
 * a 401/407 (SHA-256 chosen when offered) and write the credentials for the
 * next request, counting nc and drawing a fresh cnonce each time.
 *
 * Event-loop thread of control; the server side keeps its secret, replay
 * table and counters in this module, the client side only in the caller's
 * struct sip_auth_client. Headers are written into caller buffers.
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
	SIP_AUTH_MALFORMED, /* unparseable, a required parameter missing */
	SIP_AUTH_UNKNOWN_USER,
	SIP_AUTH_BAD_PASSWORD,
	SIP_AUTH_STALE,	 /* too old, or not ours (e.g. an earlier run's): challenge with stale=true */
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

enum sip_auth_alg { SIP_AUTH_MD5, SIP_AUTH_SHA256 };

/* One challenge, as the client keeps it between requests. */
struct sip_auth_client {
	char realm[64], nonce[128], opaque[128];
	enum sip_auth_alg alg;
	bool qop_auth;	 /* the server asked for qop=auth: nc and cnonce are sent */
	bool has_opaque; /* opaque (maybe empty) is echoed */
	bool proxy;	 /* the challenge came in Proxy-Authenticate (407) */
	uint32_t nc;	 /* the last nonce count sent */
	char cnonce[64];
};

/* Read the WWW-Authenticate or Proxy-Authenticate challenges of a
 * response into *c (nc 0): SHA-256 if offered, else MD5. -ENOENT: no
 * challenge; -EINVAL: a Digest challenge is malformed (or its realm,
 * nonce or opaque does not fit *c); -ENOTSUP: only schemes, algorithms or
 * qop values not spoken here (Basic, MD5-sess, SHA-512-256, auth-int). */
int sip_auth_client_parse(const struct sip_msg *resp, struct sip_auth_client *c);
/* The Authorization (Proxy-Authorization when proxy) line, CRLF ended, for
 * the next request: with qop, nc is incremented and a new cnonce drawn
 * (only when the line was written). The length, -ENOBUFS, -EINVAL for an
 * empty user/method/uri, a method that is not a token or a control
 * character in a quoted value, -EOVERFLOW when nc would wrap. */
int sip_auth_client_header(struct sip_auth_client *c, bool proxy, const char *user, const char *password,
			   const char *method, const char *uri, char *out, size_t max);
/* The same with c's nc and cnonce as they are: for tests and retries. */
int sip_auth_client_build(const struct sip_auth_client *c, bool proxy, const char *user, const char *password,
			  const char *method, const char *uri, char *out, size_t max);

#endif
