/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP trunks toward carriers: kept in the LMDB database "trunks" (key the
 * trunk's name, value a JSON object) and mirrored in memory. A trunk has a
 * registrar/proxy (IPv4 host and port, UDP), an optional account (user and
 * password: the password is stored as given, since a client must answer
 * digest challenges with it, and is never shown), optional outbound
 * registration (RFC 3261 §10.2, digest via sip_auth's client side, refresh
 * before expiry, back-off after failure, 423 Min-Expires, Expires: 0 when
 * deleted and at shutdown), dial prefixes that route outbound calls to it
 * (a prefix and how many of its digits are stripped), the DIDs it delivers
 * (number -> extension) and the addresses its INVITEs come from.
 * Event-loop thread of control; every change is one LMDB transaction.
 */
#ifndef TD_TRUNK_H
#define TD_TRUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sip_auth.h"
#include "sip_tsx.h"

#define TRUNK_NAME_MAX	    32
#define TRUNK_MAX	    64
#define TRUNK_PREFIX_MAX    8
#define TRUNK_PREFIX_LEN    16
#define TRUNK_DID_MAX	    64
#define TRUNK_NUMBER_LEN    32
#define TRUNK_SOURCE_MAX    4
#define TRUNK_EXPIRES_MIN   60
#define TRUNK_EXPIRES_MAX   86400
#define TRUNK_EXPIRES_DEF   3600
#define TRUNK_RETRY_FIRST_S 30
#define TRUNK_RETRY_MAX_S   600

struct trunk_prefix {
	char digits[TRUNK_PREFIX_LEN + 1];
	uint8_t strip; /* leading digits removed before dialing */
};

struct trunk_did {
	char number[TRUNK_NUMBER_LEN + 1];
	char ext[TRUNK_NAME_MAX + 1]; /* a user (extension) */
};

struct trunk_source {
	uint8_t addr[4];
	uint16_t port; /* 0: any port */
};

struct trunk_cfg {
	char name[TRUNK_NAME_MAX + 1];
	uint8_t addr[4]; /* registrar and proxy */
	uint16_t port;
	char user[65];
	char password[129];
	bool reg;
	uint32_t expires; /* asked for in REGISTER */
	unsigned n_prefix, n_did, n_source;
	struct trunk_prefix prefix[TRUNK_PREFIX_MAX];
	struct trunk_did did[TRUNK_DID_MAX];
	struct trunk_source source[TRUNK_SOURCE_MAX];
};

enum trunk_reg_state {
	TRUNK_REG_OFF,	       /* register no */
	TRUNK_REG_REGISTERING, /* a REGISTER is out, none succeeded yet */
	TRUNK_REG_REGISTERED,
	TRUNK_REG_FAILED, /* last_code says why; retried after the back-off */
};

/* Parse `<name> host IP[:PORT] [user U] [password P] [register yes|no]
 * [expires S] [prefix P[/strip N]]... [source IP[:PORT]]...` into *t:
 * 0, or -EINVAL with the reason in err. No store needed. */
int trunk_cfg_parse(struct trunk_cfg *t, int argc, char *const *argv, char *err, size_t errlen);
/* 0 when name is a valid trunk name (1..32 of [A-Za-z0-9._-]). */
int trunk_name_check(const char *name, char *err, size_t errlen);
/* 0 when number is a valid dialed number or DID (1..32 of [0-9*#+]). */
int trunk_number_check(const char *number, char *err, size_t errlen);
/* The longest of t's prefixes that number starts with: the number to dial
 * (its strip digits removed) into out and the prefix's length; -ENOENT when
 * none matches or nothing would be left to dial. */
int trunk_prefix_match(const struct trunk_cfg *t, const char *number, char *out, size_t outlen);

/* Open (create) the database and load the trunks; registration starts with
 * the next tick. 0 or -errno with a reason. */
int trunks_open(char *err, size_t errlen);
/* 0, -EEXIST, -ENOSPC (TRUNK_MAX), or a store error; reason in err. */
int trunk_add(const struct trunk_cfg *t, char *err, size_t errlen);
/* Forget the trunk; a registered one is un-REGISTERed. -ENOENT. */
int trunk_del(const char *name, char *err, size_t errlen);
int trunk_did_add(const char *name, const char *number, const char *ext, char *err, size_t errlen);
int trunk_did_del(const char *name, const char *number, char *err, size_t errlen);

/* Routing, for the B2BUA. The trunk whose sources include `from`, or NULL. */
const struct trunk_cfg *trunk_by_source(const struct sip_peer *from);
const struct trunk_cfg *trunk_find(const char *name);
/* The trunk for an outbound number: the longest matching prefix over all
 * trunks (the first trunk by name on a tie); dial gets the number to send. */
const struct trunk_cfg *trunk_route_out(const char *number, char *dial, size_t dial_len);
/* The extension a DID of t goes to, or NULL. */
const char *trunk_did_ext(const struct trunk_cfg *t, const char *number);
enum trunk_count { TRUNK_CALL_IN, TRUNK_CALL_OUT, TRUNK_DENIED_OUT, TRUNK_NO_DID };
void trunk_count(const char *name, enum trunk_count what);
/* The credentials line for a request to trunk name after the challenge in
 * c (read with sip_auth_client_parse): the length or -errno. The password
 * stays in this module. */
int trunk_auth_header(const char *name, struct sip_auth_client *c, const char *method, const char *uri, char *out,
		      size_t max);

/* Registration timers; from control's tick. */
void trunk_tick(uint64_t now_ms);
/* Stop: un-REGISTER every registered trunk (sent once, not awaited) and
 * free what is kept. */
void trunk_shutdown(void);
/* `show trunks`: every trunk without its password, with its state. */
json_t *trunks_json(uint64_t now_ms);
const char *trunk_reg_state_name(enum trunk_reg_state s);

#endif
