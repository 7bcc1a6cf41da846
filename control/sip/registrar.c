/* SPDX-License-Identifier: BSD-3-Clause */
/* The registrar: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <lmdb.h>
#include <time.h>

#include "log.h"
#include "registrar.h"
#include "sip_auth.h"
#include "sip_core.h"
#include "sip_uri.h"
#include "store/store.h"
#include "store/users.h"

#define REG_BUCKETS 4096

struct reg {
	char user[33];
	uint32_t n;
	struct reg_contact c[REG_MAX_CONTACTS];
	struct reg *next;
};

static struct reg *buckets[REG_BUCKETS];
static struct registrar_stats st;
static uint64_t next_expiry_scan;

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct reg *
reg_find(const char *user, bool create)
{
	uint32_t b = hash_str(user) & (REG_BUCKETS - 1);
	for (struct reg *r = buckets[b]; r; r = r->next)
		if (strcmp(r->user, user) == 0)
			return r;
	if (!create)
		return NULL;
	struct reg *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	snprintf(r->user, sizeof(r->user), "%s", user);
	r->next = buckets[b];
	buckets[b] = r;
	return r;
}

static void
reg_remove(struct reg *r, uint32_t i)
{
	r->c[i] = r->c[--r->n];
	st.bindings--;
}

static void
reg_free_if_empty(struct reg *r)
{
	if (r->n)
		return;
	uint32_t b = hash_str(r->user) & (REG_BUCKETS - 1);
	for (struct reg **pp = &buckets[b]; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			free(r);
			return;
		}
	}
}

/* --- bindings in LMDB (database "regs"), so that a restarted control
 * still reaches the phones; one JSON record per user --- */

static MDB_env *reg_env;
static MDB_dbi reg_dbi;

static uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
reg_save(const struct reg *r)
{
	MDB_txn *txn;
	MDB_val key = {.mv_size = strlen(r->user), .mv_data = (void *)r->user};
	char *text = NULL;
	int rc;

	if (reg_env == NULL || reg_env != td_store_env())
		return;
	if (r->n) {
		uint64_t mono = sip_core_now_ms(), wall = wall_ms();
		json_t *arr = json_array();
		for (uint32_t i = 0; i < r->n; i++) {
			const struct reg_contact *c = &r->c[i];
			char addr[48] = "";
			inet_ntop(c->source.family == AF_INET6 ? AF_INET6 : AF_INET, c->source.addr, addr,
				  sizeof(addr));
			json_array_append_new(arr,
					      json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:s,s:I}", "uri", c->uri, "ua",
							c->user_agent, "addr", addr, "family", c->source.family, "port",
							c->source.port, "transport", (int)c->source.transport,
							"expires_wall", (json_int_t)(wall + (c->expires_ms - mono)),
							"call_id", c->call_id, "cseq", (json_int_t)c->cseq));
		}
		text = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		if (text == NULL)
			return;
	}
	rc = mdb_txn_begin(reg_env, NULL, 0, &txn);
	if (rc == 0) {
		if (text) {
			MDB_val val = {.mv_size = strlen(text), .mv_data = text};
			rc = mdb_put(txn, reg_dbi, &key, &val, 0);
		} else {
			rc = mdb_del(txn, reg_dbi, &key, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	if (rc)
		LOG_WARN("registrar: cannot keep the bindings of %s: %s", r->user, mdb_strerror(rc));
	free(text);
}

int
registrar_restore(char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	uint64_t mono = sip_core_now_ms(), wall = wall_ms();
	int rc, n = 0;

	reg_env = td_store_env();
	if (reg_env == NULL) {
		snprintf(err, errlen, "registrar: the store is not open");
		return -ENOTCONN;
	}
	rc = mdb_txn_begin(reg_env, NULL, 0, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "regs", MDB_CREATE, &reg_dbi);
	if (rc == 0)
		rc = mdb_cursor_open(txn, reg_dbi, &cur);
	if (rc) {
		snprintf(err, errlen, "cannot open the registrations database: %s", mdb_strerror(rc));
		reg_env = NULL;
		return td_store_errno(rc);
	}
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		char user[33];
		json_t *arr, *o;
		size_t i;
		if (key.mv_size == 0 || key.mv_size >= sizeof(user))
			continue;
		memcpy(user, key.mv_data, key.mv_size);
		user[key.mv_size] = '\0';
		arr = json_loadb(val.mv_data, val.mv_size, 0, NULL);
		struct reg *r = arr ? reg_find(user, true) : NULL;
		json_array_foreach (arr, i, o) {
			const char *uri, *ua, *addr, *cid;
			int family, port, tp;
			json_int_t exp, cseq;
			if (r == NULL || r->n == REG_MAX_CONTACTS ||
			    json_unpack(o, "{s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:s,s:I}", "uri", &uri, "ua", &ua, "addr",
					&addr, "family", &family, "port", &port, "transport", &tp, "expires_wall", &exp,
					"call_id", &cid, "cseq", &cseq) < 0 ||
			    (uint64_t)exp <= wall)
				continue;
			struct reg_contact *c = &r->c[r->n];
			memset(c, 0, sizeof(*c));
			c->source = (struct sip_peer){
				.family = (uint8_t)family, .port = (uint16_t)port, .transport = (enum sip_transport)tp};
			if (inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, addr, c->source.addr) != 1)
				continue;
			snprintf(c->uri, sizeof(c->uri), "%s", uri);
			snprintf(c->user_agent, sizeof(c->user_agent), "%s", ua);
			snprintf(c->call_id, sizeof(c->call_id), "%s", cid);
			c->cseq = (uint32_t)cseq;
			c->expires_ms = mono + ((uint64_t)exp - wall);
			c->registered_ms = mono;
			r->n++;
			st.bindings++;
			n++;
		}
		json_decref(arr);
		if (r)
			reg_free_if_empty(r);
	}
	mdb_cursor_close(cur);
	rc = mdb_txn_commit(txn);
	if (rc) {
		snprintf(err, errlen, "cannot open the registrations database: %s", mdb_strerror(rc));
		reg_env = NULL;
		return td_store_errno(rc);
	}
	return n;
}

static const struct sip_hdr *
hdr_named(const struct sip_msg *m, const char *name)
{
	for (uint32_t i = 0; i < m->n_hdrs; i++)
		if (sip_str_ieq(m->hdrs[i].name, name))
			return &m->hdrs[i];
	return NULL;
}

static void
reply(struct sip_tsx *t, const struct sip_msg *m, uint16_t code, const char *reason, const char *extra)
{
	sip_core_respond(t, m, code, reason, NULL, extra, NULL, 0);
}

static void
challenge(struct sip_tsx *t, const struct sip_msg *m, bool stale)
{
	char hdr[1024];
	if (sip_auth_challenge(false, stale, sip_core_now_ms(), hdr, sizeof(hdr)) < 0) {
		reply(t, m, 500, "Server Internal Error", NULL);
		return;
	}
	st.challenged++;
	reply(t, m, 401, "Unauthorized", hdr);
}

/* The expiry a contact asks for: its own parameter, else the Expires
 * header, else the default. -1 when malformed. */
static long
contact_expires(const struct sip_addr *a, const struct sip_msg *m)
{
	struct sip_str v;
	const struct sip_hdr *h = m->first[SIP_HDR_EXPIRES];
	if (sip_param_get(a->params, "expires", &v) == 0) {
		if (h == NULL)
			return REG_DEFAULT_EXPIRES;
		v = h->value;
	}
	while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.len--;
	while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	if (v.len == 0 || v.len > 10)
		return -1;
	long e = 0;
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		e = e * 10 + (v.p[i] - '0');
	}
	return e;
}

static int
bind_contact(struct reg *r, const struct td_user *u, const struct sip_addr *a, long expires, const struct sip_msg *m,
	     const struct sip_peer *src, uint64_t now)
{
	char uri[256];
	uint32_t i;
	if (sip_str_copy(a->uri, uri, sizeof(uri)) < 0)
		return -ENOBUFS;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->c[i].uri, uri) == 0)
			break;
	if (expires == 0) {
		if (i < r->n) {
			reg_remove(r, i);
			st.unregistered++;
		}
		return 0;
	}
	if (i == r->n) {
		uint32_t max = u->max_contacts ? u->max_contacts : 3;
		if (max > REG_MAX_CONTACTS)
			max = REG_MAX_CONTACTS;
		if (r->n >= max) {
			/* Replace the oldest binding: a phone that rebooted
			 * must not be locked out by its own stale contact. */
			uint32_t old = 0;
			for (uint32_t k = 1; k < r->n; k++)
				if (r->c[k].registered_ms < r->c[old].registered_ms)
					old = k;
			reg_remove(r, old);
			i = r->n;
		}
		r->n++;
		st.bindings++;
		memset(&r->c[i], 0, sizeof(r->c[i]));
	}
	struct reg_contact *c = &r->c[i];
	snprintf(c->uri, sizeof(c->uri), "%s", uri);
	c->source = *src;
	c->expires_ms = now + (uint64_t)expires * 1000;
	c->registered_ms = now;
	c->cseq = m->cseq;
	if (sip_str_copy(m->call_id, c->call_id, sizeof(c->call_id)) < 0)
		c->call_id[0] = '\0';
	const struct sip_hdr *ua = hdr_named(m, "User-Agent");
	c->user_agent[0] = '\0';
	if (ua)
		snprintf(c->user_agent, sizeof(c->user_agent), "%.*s", (int)ua->value.len, ua->value.p);
	return 0;
}

void
registrar_request(struct sip_tsx *t, const struct sip_msg *m)
{
	struct td_user u;
	struct sip_uri to;
	char user[33], extra[4096];
	uint64_t now = sip_core_now_ms();
	size_t off = 0;

	st.requests++;
	if (m->to.uri.len < 4 ||
	    (strncasecmp(m->to.uri.p, "sip:", 4) != 0 && strncasecmp(m->to.uri.p, "sips:", 5) != 0)) {
		/* RFC 4475 §3.1.2.3: an address of record we cannot have. */
		st.bad_request++;
		reply(t, m, 416, "Unsupported URI Scheme", NULL);
		return;
	}
	if (sip_uri_parse(m->to.uri, &to) < 0 || to.user.len == 0 || sip_str_copy(to.user, user, sizeof(user)) < 0) {
		st.bad_request++;
		reply(t, m, 400, "Bad To URI", NULL);
		return;
	}
	enum sip_auth_result ar = sip_auth_verify(m, false, now, &u);
	switch (ar) {
	case SIP_AUTH_OK:
		break;
	case SIP_AUTH_MISSING:
	case SIP_AUTH_STALE:
		challenge(t, m, ar == SIP_AUTH_STALE);
		return;
	case SIP_AUTH_MALFORMED:
	case SIP_AUTH_BAD_URI:
	case SIP_AUTH_WRONG_REALM:
		st.bad_request++;
		reply(t, m, 400, "Bad Authorization", NULL);
		return;
	default:
		st.auth_failed++;
		reply(t, m, 403, "Forbidden", NULL);
		return;
	}
	if (strcmp(u.name, user) != 0) {
		/* §10.3 step 6: the credentials must be allowed to bind this
		 * address of record; here only its own user may. */
		st.auth_failed++;
		reply(t, m, 403, "Forbidden (credentials for another user)", NULL);
		return;
	}

	/* Check every contact before changing anything (§10.3 step 6-7). */
	bool star = false;
	unsigned n_contacts = 0;
	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		struct sip_str item;
		uint32_t pos = 0;
		int rc;
		if (h->id != SIP_HDR_CONTACT)
			continue;
		while ((rc = sip_list_next(h->value, &pos, &item)) > 0) {
			struct sip_addr a;
			n_contacts++;
			if (sip_str_eq(item, "*")) {
				star = true;
				continue;
			}
			long e;
			if (sip_addr_parse(item, &a) < 0 || (e = contact_expires(&a, m)) < 0) {
				st.bad_request++;
				reply(t, m, 400, "Bad Contact", NULL);
				return;
			}
			if (e > 0 && e < REG_MIN_EXPIRES) {
				st.bad_request++;
				snprintf(extra, sizeof(extra), "Min-Expires: %d\r\n", REG_MIN_EXPIRES);
				reply(t, m, 423, "Interval Too Brief", extra);
				return;
			}
		}
		if (rc < 0) {
			st.bad_request++;
			reply(t, m, 400, "Bad Contact", NULL);
			return;
		}
	}
	struct reg *r = reg_find(user, n_contacts > 0);
	if (star) {
		const struct sip_hdr *eh = m->first[SIP_HDR_EXPIRES];
		if (n_contacts != 1 || eh == NULL || !sip_str_eq(eh->value, "0")) {
			st.bad_request++;
			reply(t, m, 400, "Contact * needs Expires: 0 and no other contact", NULL);
			return;
		}
		if (r) {
			st.unregistered += r->n;
			st.bindings -= r->n;
			r->n = 0;
		}
	} else if (n_contacts) {
		if (r == NULL) {
			reply(t, m, 500, "Server Internal Error", NULL);
			return;
		}
		for (uint32_t i = 0; i < m->n_hdrs; i++) {
			const struct sip_hdr *h = &m->hdrs[i];
			struct sip_str item;
			uint32_t pos = 0;
			if (h->id != SIP_HDR_CONTACT)
				continue;
			while (sip_list_next(h->value, &pos, &item) > 0) {
				struct sip_addr a;
				long e;
				if (sip_addr_parse(item, &a) < 0)
					continue;
				e = contact_expires(&a, m);
				if (e > REG_MAX_EXPIRES)
					e = REG_MAX_EXPIRES;
				if (bind_contact(r, &u, &a, e, m, &t->peer, now) < 0) {
					st.bad_request++;
					reply(t, m, 400, "Contact too long", NULL);
					return;
				}
			}
		}
	}
	/* §10.3 step 8: the 200 lists every current binding. */
	for (uint32_t i = 0; r && i < r->n && off < sizeof(extra) - 300; i++) {
		uint64_t left = r->c[i].expires_ms > now ? (r->c[i].expires_ms - now + 999) / 1000 : 0;
		off += (size_t)snprintf(extra + off, sizeof(extra) - off, "Contact: <%s>;expires=%llu\r\n", r->c[i].uri,
					(unsigned long long)left);
	}
	extra[off] = '\0';
	st.ok++;
	reply(t, m, 200, "OK", off ? extra : NULL);
	if (r) {
		reg_save(r);
		reg_free_if_empty(r);
	}
}

void
registrar_tick(uint64_t now_ms)
{
	if (now_ms < next_expiry_scan)
		return;
	next_expiry_scan = now_ms + 1000;
	for (uint32_t b = 0; b < REG_BUCKETS; b++) {
		struct reg *r = buckets[b];
		while (r) {
			struct reg *next = r->next;
			uint32_t before = r->n;
			for (uint32_t i = 0; i < r->n;) {
				if (r->c[i].expires_ms <= now_ms) {
					reg_remove(r, i);
					st.expired++;
				} else {
					i++;
				}
			}
			if (r->n != before)
				reg_save(r);
			reg_free_if_empty(r);
			r = next;
		}
	}
}

int
registrar_lookup(const char *user, struct reg_contact *out)
{
	struct reg *r = reg_find(user, false);
	uint64_t now = sip_core_now_ms();
	int best = -1;
	for (uint32_t i = 0; r && i < r->n; i++)
		if (r->c[i].expires_ms > now && (best < 0 || r->c[i].registered_ms > r->c[best].registered_ms))
			best = (int)i;
	if (best < 0)
		return -ENOENT;
	*out = r->c[best];
	return 0;
}

void
registrar_foreach(int (*cb)(const char *user, const struct reg_contact *c, void *arg), void *arg)
{
	uint64_t now = sip_core_now_ms();
	for (uint32_t b = 0; b < REG_BUCKETS; b++)
		for (struct reg *r = buckets[b]; r; r = r->next)
			for (uint32_t i = 0; i < r->n; i++)
				if (r->c[i].expires_ms > now && cb(r->user, &r->c[i], arg))
					return;
}

int
registrar_forget(const char *user)
{
	struct reg *r = reg_find(user, false);
	if (r == NULL)
		return 0;
	int n = (int)r->n;
	st.bindings -= r->n;
	r->n = 0;
	reg_save(r);
	reg_free_if_empty(r);
	return n;
}

void
registrar_stats_get(struct registrar_stats *out)
{
	*out = st;
}
