/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message parsing (RFC 3261 §7, §20, §25), strict and bounded: the
 * parser reads only inside [buf, buf+len), never trusts a length it has not
 * checked, allocates nothing, and keeps at most SIP_MAX_HDRS headers. All
 * strings point into the caller's buffer (which must outlive the message) and
 * carry their length: a NUL in a value is data, not an end.
 *
 * sip_msg_parse() frames and parses one message: from a datagram (the
 * Content-Length governs, trailing octets are ignored, RFC 3261 §18.3) or
 * from a stream (-EAGAIN until the whole message is there). On a malformed
 * request it fills `err` with the response code to send (400 or 505) and a
 * reason; a malformed response is to be dropped. sip_uas_check() then
 * applies the checks a UAS makes before acting (RFC 3261 §8.2): method,
 * CSeq, URI scheme, Require, Content-Type, Accept.
 * Event-loop thread of control; no state.
 */
#ifndef TD_SIP_MSG_H
#define TD_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIP_MAX_MSG  (64 * 1024)
#define SIP_MAX_HDRS 128

struct sip_str {
	const char *p;
	uint32_t len;
};

enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,
	SIP_HDR_FROM,
	SIP_HDR_TO,
	SIP_HDR_CALL_ID,
	SIP_HDR_CSEQ,
	SIP_HDR_CONTACT,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_SUPPORTED,
	SIP_HDR_ACCEPT,
	SIP_HDR_EXPIRES,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_EVENT,
	SIP_HDR_REFER_TO,
	SIP_HDR__COUNT,
};

enum sip_method {
	SIP_M_UNKNOWN = 0,
	SIP_M_INVITE,
	SIP_M_ACK,
	SIP_M_BYE,
	SIP_M_CANCEL,
	SIP_M_OPTIONS,
	SIP_M_REGISTER,
	SIP_M_PRACK,
	SIP_M_UPDATE,
	SIP_M_REFER,
	SIP_M_NOTIFY,
	SIP_M_SUBSCRIBE,
	SIP_M_INFO,
	SIP_M_MESSAGE,
};

struct sip_hdr {
	enum sip_hdr_id id;
	struct sip_str name;
	struct sip_str value; /* may hold folded lines: LWS includes CRLF */
};

/* A name-addr or addr-spec (From, To, Contact, Refer-To). */
struct sip_addr {
	struct sip_str display;
	struct sip_str uri;
	struct sip_str params; /* after the URI: ";tag=..;expires=.." */
	struct sip_str tag;
};

struct sip_via {
	struct sip_str transport;
	struct sip_str host;
	uint16_t port; /* 0: not given */
	struct sip_str branch;
	struct sip_str received;
	bool rport;
};

struct sip_msg {
	bool is_request;
	/* request line */
	enum sip_method method;
	struct sip_str method_name;
	struct sip_str ruri;
	/* status line */
	uint16_t status;
	struct sip_str reason;

	struct sip_hdr hdrs[SIP_MAX_HDRS];
	uint32_t n_hdrs;
	const struct sip_hdr *first[SIP_HDR__COUNT]; /* first of each kind */
	uint16_t count[SIP_HDR__COUNT];

	struct sip_via via; /* the top one */
	struct sip_addr from, to;
	struct sip_str call_id;
	uint32_t cseq;
	enum sip_method cseq_method;
	struct sip_str cseq_method_name;
	int32_t max_forwards; /* -1: absent */
	struct sip_str content_type;
	struct sip_str body;
	size_t size; /* octets the message took (headers + body) */
};

struct sip_err {
	uint16_t code; /* response to send for a request; 0: drop */
	char reason[96];
};

int sip_msg_parse(const char *buf, size_t len, bool stream, struct sip_msg *m, struct sip_err *err);

/* The UAS checks of RFC 3261 §8.2.1-8.2.3 for a parsed request: 0, or the
 * response code with its reason and the header it needs (Allow,
 * Unsupported, Accept) in err. */
int sip_uas_check(const struct sip_msg *m, struct sip_err *err, char *extra, size_t extra_len);

/* Helpers on values. */
int sip_addr_parse(struct sip_str v, struct sip_addr *a);
bool sip_str_eq(struct sip_str s, const char *lit);  /* exact */
bool sip_str_ieq(struct sip_str s, const char *lit); /* case-insensitive */
enum sip_method sip_method_of(struct sip_str name);
/* The next item of a comma-separated value (outside quotes and <>): 1 with
 * *item set, 0 at the end, -EINVAL for an unterminated quote. */
int sip_list_next(struct sip_str s, uint32_t *pos, struct sip_str *item);
const char *sip_method_name(enum sip_method m);

#endif
