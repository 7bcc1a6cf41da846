/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP trunks: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <lmdb.h>

#include "log.h"
#include "sip_core.h"
#include "sip_uri.h"
#include "store/store.h"
#include "trunk.h"

struct trunk {
	bool used;
	bool leaving; /* deleted: only its un-REGISTER is still out */
	uint32_t gen; /* in the cookie of its transactions */
	struct trunk_cfg cfg;
	/* outbound registration (RFC 3261 §10.2) */
	enum trunk_reg_state state;
	uint16_t last_code;
	char last_reason[64];
	uint32_t expires;    /* asked for; raised by a 423 */
	uint32_t granted_s;  /* by the last 200 */
	uint64_t expires_ms; /* monotonic; 0: not registered */
	uint64_t next_ms;    /* next REGISTER; 0: none planned */
	uint32_t backoff_s;
	struct sip_tsx *tsx; /* the REGISTER out, or NULL */
	bool unreg;	     /* it is the Expires: 0 one */
	bool answered;	     /* credentials already sent for this attempt */
	struct sip_auth_client auth;
	bool have_auth;
	char call_id[48], from_tag[24];
	uint32_t cseq;
	uint64_t calls_in, calls_out, denied_out, no_did;
};

static struct trunk trunks[TRUNK_MAX];
static uint32_t next_gen = 1;

/* --- checks and parsing --- */

int
trunk_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0 || n > TRUNK_NAME_MAX) {
		snprintf(err, errlen, "a trunk name has 1 to %d characters", TRUNK_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-')) {
			snprintf(err, errlen, "bad character '%c' in trunk name '%s' (allowed: A-Z a-z 0-9 . _ -)",
				 c >= 32 && c < 127 ? c : '?', name);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
number_chars(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '*' || s[i] == '#' || s[i] == '+'))
			return false;
	return true;
}

int
trunk_number_check(const char *number, char *err, size_t errlen)
{
	if (number_chars(number, TRUNK_NUMBER_LEN))
		return 0;
	snprintf(err, errlen, "bad number '%s' (1 to %d of 0-9 * # +)", number, TRUNK_NUMBER_LEN);
	return -EINVAL;
}

/* "IP[:PORT]", IPv4 only. port_any: a missing port is 0, else 5060. */
static int
parse_hostport(const char *s, uint8_t addr[4], uint16_t *port, bool port_any)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	struct in_addr a;

	if (n == 0 || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr == 0)
		return -EINVAL;
	memcpy(addr, &a, 4);
	*port = port_any ? 0 : 5060;
	if (colon) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end || p == 0 || p > 65535)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	return 0;
}

/* A SIP user part we send as it is: unreserved characters only. */
static bool
user_chars(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-' || c == '+' || c == '!' || c == '~' || c == '*'))
			return false;
	}
	return true;
}

static bool
password_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
parse_prefix(struct trunk_prefix *p, const char *s, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char digits[TRUNK_PREFIX_LEN + 2];

	if (n == 0 || n > TRUNK_PREFIX_LEN) {
		snprintf(err, errlen, "bad prefix '%s' (1 to %d of 0-9 * # +, then /strip N)", s, TRUNK_PREFIX_LEN);
		return -EINVAL;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (!number_chars(digits, TRUNK_PREFIX_LEN)) {
		snprintf(err, errlen, "bad prefix '%s' (1 to %d of 0-9 * # +, then /strip N)", s, TRUNK_PREFIX_LEN);
		return -EINVAL;
	}
	memcpy(p->digits, digits, n + 1);
	p->strip = 0;
	if (slash) {
		/* "P/N", "P/stripN", "P/strip=N" or "P/strip N". */
		const char *v = slash + 1;
		char *end;
		if (strncmp(v, "strip", 5) == 0)
			v += 5;
		while (*v == ' ' || *v == '=')
			v++;
		unsigned long k = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || k > n) {
			snprintf(err, errlen, "bad strip count in prefix '%s' (0 to the prefix's %zu digits)", s, n);
			return -EINVAL;
		}
		p->strip = (uint8_t)k;
	}
	return 0;
}

int
trunk_cfg_parse(struct trunk_cfg *t, int argc, char *const *argv, char *err, size_t errlen)
{
	bool have_host = false, have_reg = false, have_expires = false;
	char *end;

	memset(t, 0, sizeof(*t));
	t->expires = TRUNK_EXPIRES_DEF;
	if (argc < 1) {
		snprintf(err, errlen, "trunk add takes <name> host IP[:PORT] [options]");
		return -EINVAL;
	}
	if (trunk_name_check(argv[0], err, errlen) < 0)
		return -EINVAL;
	snprintf(t->name, sizeof(t->name), "%s", argv[0]);
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			snprintf(err, errlen, "'%s' needs a value", k);
			return -EINVAL;
		}
		if (strcmp(k, "host") == 0) {
			if (parse_hostport(v, t->addr, &t->port, false) < 0) {
				snprintf(err, errlen, "bad host '%s' (want an IPv4 address, optionally :PORT 1-65535)",
					 v);
				return -EINVAL;
			}
			have_host = true;
		} else if (strcmp(k, "user") == 0) {
			if (!user_chars(v, sizeof(t->user) - 1)) {
				snprintf(err, errlen, "bad user '%s' (1 to %zu of A-Z a-z 0-9 . _ - + ! ~ *)", v,
					 sizeof(t->user) - 1);
				return -EINVAL;
			}
			snprintf(t->user, sizeof(t->user), "%s", v);
		} else if (strcmp(k, "password") == 0) {
			if (!password_ok(v)) {
				snprintf(err, errlen, "a password has 1 to 128 characters and no control character");
				return -EINVAL;
			}
			snprintf(t->password, sizeof(t->password), "%s", v);
		} else if (strcmp(k, "register") == 0) {
			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				snprintf(err, errlen, "bad register '%s' (yes or no)", v);
				return -EINVAL;
			}
			t->reg = v[0] == 'y';
			have_reg = true;
		} else if (strcmp(k, "expires") == 0) {
			unsigned long e = strtoul(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end || e < TRUNK_EXPIRES_MIN || e > TRUNK_EXPIRES_MAX) {
				snprintf(err, errlen, "bad expires '%s' (%d to %d seconds)", v, TRUNK_EXPIRES_MIN,
					 TRUNK_EXPIRES_MAX);
				return -EINVAL;
			}
			t->expires = (uint32_t)e;
			have_expires = true;
		} else if (strcmp(k, "prefix") == 0) {
			if (t->n_prefix == TRUNK_PREFIX_MAX) {
				snprintf(err, errlen, "at most %d prefixes", TRUNK_PREFIX_MAX);
				return -EINVAL;
			}
			char joined[64];
			size_t vl = strlen(v);
			if (vl >= 6 && strcmp(v + vl - 6, "/strip") == 0 && i + 2 < argc) {
				/* `prefix 9/strip 1`: the count is the next word */
				snprintf(joined, sizeof(joined), "%s %s", v, argv[i + 2]);
				v = joined;
				i++;
			}
			if (parse_prefix(&t->prefix[t->n_prefix], v, err, errlen) < 0)
				return -EINVAL;
			for (unsigned j = 0; j < t->n_prefix; j++)
				if (strcmp(t->prefix[j].digits, t->prefix[t->n_prefix].digits) == 0) {
					snprintf(err, errlen, "prefix %s given twice", t->prefix[j].digits);
					return -EINVAL;
				}
			t->n_prefix++;
		} else if (strcmp(k, "source") == 0) {
			if (t->n_source == TRUNK_SOURCE_MAX) {
				snprintf(err, errlen, "at most %d sources", TRUNK_SOURCE_MAX);
				return -EINVAL;
			}
			struct trunk_source *s = &t->source[t->n_source];
			if (parse_hostport(v, s->addr, &s->port, true) < 0) {
				snprintf(err, errlen, "bad source '%s' (want an IPv4 address, optionally :PORT)", v);
				return -EINVAL;
			}
			t->n_source++;
		} else {
			snprintf(err, errlen,
				 "unknown option '%s' (host, user, password, register, expires, prefix, source)", k);
			return -EINVAL;
		}
	}
	if (!have_host) {
		snprintf(err, errlen, "trunk %s needs a host IP[:PORT]", t->name);
		return -EINVAL;
	}
	if (t->password[0] && !t->user[0]) {
		snprintf(err, errlen, "a password needs a user");
		return -EINVAL;
	}
	if (t->reg && (!t->user[0] || !t->password[0])) {
		snprintf(err, errlen, "register yes needs a user and a password");
		return -EINVAL;
	}
	if (have_expires && have_reg && !t->reg) {
		snprintf(err, errlen, "expires is for register yes");
		return -EINVAL;
	}
	if (t->n_source == 0) {
		/* The trunk's host by default, from the port it listens on. */
		memcpy(t->source[0].addr, t->addr, 4);
		t->source[0].port = t->port;
		t->n_source = 1;
	}
	return 0;
}

int
trunk_prefix_match(const struct trunk_cfg *t, const char *number, char *out, size_t outlen)
{
	int best = -1;
	size_t best_len = 0;
	for (unsigned i = 0; i < t->n_prefix; i++) {
		size_t n = strlen(t->prefix[i].digits);
		if (n > best_len && strncmp(number, t->prefix[i].digits, n) == 0) {
			best = (int)i;
			best_len = n;
		}
	}
	if (best < 0)
		return -ENOENT;
	const char *dial = number + t->prefix[best].strip;
	if (*dial == '\0' || strlen(dial) >= outlen)
		return -ENOENT;
	memcpy(out, dial, strlen(dial) + 1);
	return (int)best_len;
}

/* --- storage --- */

static json_t *
cfg_to_json(const struct trunk_cfg *t, bool secret)
{
	char ip[INET_ADDRSTRLEN];
	json_t *pfx = json_array(), *dids = json_array(), *src = json_array();

	for (unsigned i = 0; i < t->n_prefix; i++)
		json_array_append_new(
			pfx, json_pack("{s:s,s:i}", "prefix", t->prefix[i].digits, "strip", (int)t->prefix[i].strip));
	for (unsigned i = 0; i < t->n_did; i++)
		json_array_append_new(dids,
				      json_pack("{s:s,s:s}", "number", t->did[i].number, "extension", t->did[i].ext));
	for (unsigned i = 0; i < t->n_source; i++) {
		inet_ntop(AF_INET, t->source[i].addr, ip, sizeof(ip));
		json_array_append_new(src, json_pack("{s:s,s:i}", "ip", ip, "port", (int)t->source[i].port));
	}
	inet_ntop(AF_INET, t->addr, ip, sizeof(ip));
	json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:b,s:i,s:o,s:o,s:o}", "name", t->name, "ip", ip, "port", (int)t->port,
			      "user", t->user, "register", t->reg, "expires", (int)t->expires, "prefixes", pfx, "dids",
			      dids, "sources", src);
	if (o && secret)
		json_object_set_new(o, "password", json_string(t->password));
	return o;
}

static int
cfg_from_json(const char *text, size_t len, struct trunk_cfg *t)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je), *pfx = NULL, *dids = NULL, *src = NULL, *v;
	const char *name = "", *ip = "", *user = "", *password = "";
	int port = 0, reg = 0, expires = TRUNK_EXPIRES_DEF;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (o == NULL || json_unpack(o, "{s:s,s:s,s:i,s:s,s?s,s:b,s:i,s:o,s:o,s:o}", "name", &name, "ip", &ip, "port",
				     &port, "user", &user, "password", &password, "register", &reg, "expires", &expires,
				     "prefixes", &pfx, "dids", &dids, "sources", &src) < 0)
		goto bad;
	if (strlen(name) > TRUNK_NAME_MAX || strlen(user) >= sizeof(t->user) ||
	    strlen(password) >= sizeof(t->password) || inet_pton(AF_INET, ip, t->addr) != 1 || port <= 0 ||
	    port > 65535 || json_array_size(pfx) > TRUNK_PREFIX_MAX || json_array_size(dids) > TRUNK_DID_MAX ||
	    json_array_size(src) > TRUNK_SOURCE_MAX)
		goto bad;
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->user, sizeof(t->user), "%s", user);
	snprintf(t->password, sizeof(t->password), "%s", password);
	t->port = (uint16_t)port;
	t->reg = reg;
	t->expires = (uint32_t)expires;
	json_array_foreach (pfx, i, v) {
		const char *d = "";
		int strip = 0;
		if (json_unpack(v, "{s:s,s:i}", "prefix", &d, "strip", &strip) < 0 || strlen(d) > TRUNK_PREFIX_LEN)
			goto bad;
		snprintf(t->prefix[i].digits, sizeof(t->prefix[i].digits), "%s", d);
		t->prefix[i].strip = (uint8_t)strip;
		t->n_prefix++;
	}
	json_array_foreach (dids, i, v) {
		const char *n = "", *e = "";
		if (json_unpack(v, "{s:s,s:s}", "number", &n, "extension", &e) < 0 || strlen(n) > TRUNK_NUMBER_LEN ||
		    strlen(e) > TRUNK_NAME_MAX)
			goto bad;
		snprintf(t->did[i].number, sizeof(t->did[i].number), "%s", n);
		snprintf(t->did[i].ext, sizeof(t->did[i].ext), "%s", e);
		t->n_did++;
	}
	json_array_foreach (src, i, v) {
		const char *a = "";
		int p = 0;
		if (json_unpack(v, "{s:s,s:i}", "ip", &a, "port", &p) < 0 ||
		    inet_pton(AF_INET, a, t->source[i].addr) != 1 || p < 0 || p > 65535)
			goto bad;
		t->source[i].port = (uint16_t)p;
		t->n_source++;
	}
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EIO; /* a record this code did not write */
}

static int
trunks_txn(unsigned int flags, MDB_txn **txn, MDB_dbi *dbi)
{
	MDB_env *env = td_store_env();
	int ret;

	if (env == NULL)
		return -ENOTCONN;
	ret = td_store_errno(mdb_txn_begin(env, NULL, flags & MDB_RDONLY, txn));
	if (ret < 0)
		return ret;
	int rc = mdb_dbi_open(*txn, "trunks", flags & MDB_CREATE, dbi);
	ret = rc == MDB_NOTFOUND ? -ENOTCONN : td_store_errno(rc);
	if (ret < 0)
		mdb_txn_abort(*txn);
	return ret;
}

static int
store_put(const struct trunk_cfg *t)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	json_t *o = cfg_to_json(t, true);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret;

	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	MDB_val key = {.mv_size = strlen(t->name), .mv_data = (void *)t->name};
	MDB_val val = {.mv_size = strlen(text), .mv_data = text};
	ret = trunks_txn(0, &txn, &dbi);
	if (ret == 0) {
		ret = td_store_errno(mdb_put(txn, dbi, &key, &val, 0));
		ret = ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
	}
	free(text);
	return ret;
}

static int
store_del(const char *name)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name};
	int ret = trunks_txn(0, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_del(txn, dbi, &key, NULL));
	return ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
}

static struct trunk *
find(const char *name)
{
	for (unsigned i = 0; i < TRUNK_MAX; i++)
		if (trunks[i].used && !trunks[i].leaving && strcmp(trunks[i].cfg.name, name) == 0)
			return &trunks[i];
	return NULL;
}

static struct trunk *
slot_new(const struct trunk_cfg *cfg)
{
	for (unsigned i = 0; i < TRUNK_MAX; i++) {
		struct trunk *t = &trunks[i];
		if (t->used)
			continue;
		memset(t, 0, sizeof(*t));
		t->used = true;
		t->gen = next_gen++;
		t->cfg = *cfg;
		t->expires = cfg->expires;
		t->backoff_s = TRUNK_RETRY_FIRST_S;
		t->state = cfg->reg ? TRUNK_REG_REGISTERING : TRUNK_REG_OFF;
		t->next_ms = cfg->reg ? 1 : 0; /* at the next tick */
		return t;
	}
	return NULL;
}

int
trunks_open(char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val key, val;
	struct trunk_cfg cfg;
	int rc, ret, n = 0;

	ret = trunks_txn(MDB_CREATE, &txn, &dbi);
	if (ret == 0)
		ret = td_store_errno(mdb_txn_commit(txn));
	if (ret == 0)
		ret = trunks_txn(MDB_RDONLY, &txn, &dbi);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open the trunks database: %s", strerror(-ret));
		return ret;
	}
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		snprintf(err, errlen, "cannot read the trunks database: %s", strerror(-td_store_errno(rc)));
		return td_store_errno(rc);
	}
	memset(trunks, 0, sizeof(trunks));
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		if (cfg_from_json(val.mv_data, val.mv_size, &cfg) < 0) {
			snprintf(err, errlen, "trunks database: record '%.*s' is not readable",
				 (int)(key.mv_size > 64 ? 64 : key.mv_size), (const char *)key.mv_data);
			ret = -EIO;
		} else if (slot_new(&cfg) == NULL) {
			snprintf(err, errlen, "trunks database: more than %d trunks", TRUNK_MAX);
			ret = -ENOSPC;
		} else {
			n++;
		}
	}
	if (ret == 0 && rc != MDB_NOTFOUND) {
		ret = td_store_errno(rc);
		snprintf(err, errlen, "cannot read the trunks database: %s", strerror(-ret));
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret < 0 ? ret : n;
}

int
trunk_add(const struct trunk_cfg *cfg, char *err, size_t errlen)
{
	struct trunk *t;
	int ret;

	if (find(cfg->name)) {
		snprintf(err, errlen, "trunk %s exists (trunk del it first)", cfg->name);
		return -EEXIST;
	}
	t = slot_new(cfg);
	if (t == NULL) {
		snprintf(err, errlen, "at most %d trunks", TRUNK_MAX);
		return -ENOSPC;
	}
	ret = store_put(cfg);
	if (ret < 0) {
		t->used = false;
		snprintf(err, errlen, "cannot store trunk %s: %s", cfg->name, strerror(-ret));
		return ret;
	}
	return 0;
}

static void reg_send(struct trunk *t, bool unreg, const char *auth);

int
trunk_del(const char *name, char *err, size_t errlen)
{
	struct trunk *t = find(name);
	if (t == NULL) {
		snprintf(err, errlen, "no trunk %s", name);
		return -ENOENT;
	}
	int ret = store_del(name);
	if (ret < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete trunk %s: %s", name, strerror(-ret));
		return ret;
	}
	if (t->state == TRUNK_REG_REGISTERED && sip_core_tsx()) {
		/* Kept, out of routing, until the carrier answers the un-REGISTER. */
		t->leaving = true;
		t->next_ms = 0;
		reg_send(t, true, NULL);
		if (t->tsx == NULL)
			t->used = false;
	} else {
		t->used = false;
	}
	return 0;
}

static int
did_change(const char *name, const char *number, const char *ext, char *err, size_t errlen)
{
	struct trunk *t = find(name);
	struct trunk_cfg cfg;
	unsigned i;

	if (t == NULL) {
		snprintf(err, errlen, "no trunk %s", name);
		return -ENOENT;
	}
	if (trunk_number_check(number, err, errlen) < 0)
		return -EINVAL;
	cfg = t->cfg;
	for (i = 0; i < cfg.n_did && strcmp(cfg.did[i].number, number) != 0; i++)
		;
	if (ext) {
		if (td_user_name_check(ext, err, errlen) < 0)
			return -EINVAL;
		if (i < cfg.n_did) {
			snprintf(err, errlen, "trunk %s already maps %s (to %s)", name, number, cfg.did[i].ext);
			return -EEXIST;
		}
		if (cfg.n_did == TRUNK_DID_MAX) {
			snprintf(err, errlen, "at most %d DIDs per trunk", TRUNK_DID_MAX);
			return -ENOSPC;
		}
		snprintf(cfg.did[i].number, sizeof(cfg.did[i].number), "%s", number);
		snprintf(cfg.did[i].ext, sizeof(cfg.did[i].ext), "%s", ext);
		cfg.n_did++;
	} else {
		if (i == cfg.n_did) {
			snprintf(err, errlen, "trunk %s has no DID %s", name, number);
			return -ENOENT;
		}
		memmove(&cfg.did[i], &cfg.did[i + 1], (cfg.n_did - i - 1) * sizeof(cfg.did[0]));
		cfg.n_did--;
	}
	int ret = store_put(&cfg);
	if (ret < 0) {
		snprintf(err, errlen, "cannot store trunk %s: %s", name, strerror(-ret));
		return ret;
	}
	t->cfg = cfg;
	return 0;
}

int
trunk_did_add(const char *name, const char *number, const char *ext, char *err, size_t errlen)
{
	return did_change(name, number, ext, err, errlen);
}

int
trunk_did_del(const char *name, const char *number, char *err, size_t errlen)
{
	return did_change(name, number, NULL, err, errlen);
}

/* --- routing --- */

const struct trunk_cfg *
trunk_find(const char *name)
{
	struct trunk *t = find(name);
	return t ? &t->cfg : NULL;
}

const struct trunk_cfg *
trunk_by_source(const struct sip_peer *from)
{
	if (from->family != AF_INET)
		return NULL;
	for (unsigned i = 0; i < TRUNK_MAX; i++) {
		const struct trunk *t = &trunks[i];
		if (!t->used || t->leaving)
			continue;
		for (unsigned k = 0; k < t->cfg.n_source; k++) {
			const struct trunk_source *s = &t->cfg.source[k];
			if (memcmp(s->addr, from->addr, 4) == 0 && (s->port == 0 || s->port == from->port))
				return &t->cfg;
		}
	}
	return NULL;
}

const struct trunk_cfg *
trunk_route_out(const char *number, char *dial, size_t dial_len)
{
	const struct trunk_cfg *best = NULL;
	char tmp[TRUNK_NUMBER_LEN + 1];
	int best_len = 0;

	for (unsigned i = 0; i < TRUNK_MAX; i++) {
		const struct trunk *t = &trunks[i];
		if (!t->used || t->leaving)
			continue;
		int n = trunk_prefix_match(&t->cfg, number, tmp, sizeof(tmp));
		if (n > best_len || (n > 0 && n == best_len && strcmp(t->cfg.name, best->name) < 0)) {
			if (strlen(tmp) >= dial_len)
				continue;
			best = &t->cfg;
			best_len = n;
			memcpy(dial, tmp, strlen(tmp) + 1);
		}
	}
	return best;
}

const char *
trunk_did_ext(const struct trunk_cfg *t, const char *number)
{
	for (unsigned i = 0; i < t->n_did; i++)
		if (strcmp(t->did[i].number, number) == 0)
			return t->did[i].ext;
	return NULL;
}

void
trunk_count(const char *name, enum trunk_count what)
{
	struct trunk *t = find(name);
	if (t == NULL)
		return;
	switch (what) {
	case TRUNK_CALL_IN:
		t->calls_in++;
		break;
	case TRUNK_CALL_OUT:
		t->calls_out++;
		break;
	case TRUNK_DENIED_OUT:
		t->denied_out++;
		break;
	case TRUNK_NO_DID:
		t->no_did++;
		break;
	}
}

int
trunk_auth_header(const char *name, struct sip_auth_client *c, const char *method, const char *uri, char *out,
		  size_t max)
{
	const struct trunk *t = find(name);
	if (t == NULL)
		return -ENOENT;
	if (!t->cfg.user[0] || !t->cfg.password[0])
		return -EACCES; /* no account to answer with */
	return sip_auth_client_header(c, c->proxy, t->cfg.user, t->cfg.password, method, uri, out, max);
}

/* --- outbound registration --- */

static void reg_cb(uint64_t cookie, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m);

static void
reg_send(struct trunk *t, bool unreg, const char *auth)
{
	static char buf[SIP_MAX_MSG];
	char ip[INET_ADDRSTRLEN], hp[64], branch[40], tok[24];
	struct sip_peer to = {.family = AF_INET, .port = t->cfg.port, .transport = SIP_TRANSPORT_UDP};
	char hdr[1024] = "";

	if (t->call_id[0] == '\0') {
		/* Drawn here, not at load: tokens are random once SIP started. */
		sip_core_token(t->call_id, 33);
		strcat(t->call_id, "@tongdai");
		sip_core_token(t->from_tag, sizeof(t->from_tag));
	}
	memcpy(to.addr, t->cfg.addr, 4);
	inet_ntop(AF_INET, t->cfg.addr, ip, sizeof(ip));
	sip_core_local_hostport(&to, hp, sizeof(hp));
	sip_core_token(tok, sizeof(tok));
	snprintf(branch, sizeof(branch), SIP_TSX_BRANCH_COOKIE "%s", tok);
	char ruri[96];
	snprintf(ruri, sizeof(ruri), "sip:%s:%u", ip, t->cfg.port);
	if (auth == NULL && unreg && t->have_auth &&
	    sip_auth_client_header(&t->auth, t->auth.proxy, t->cfg.user, t->cfg.password, "REGISTER", ruri, hdr,
				   sizeof(hdr)) > 0)
		auth = hdr; /* the last challenge's nonce, with the next count */
	t->cseq++;
	int len = snprintf(buf, sizeof(buf),
			   "REGISTER %s SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:%s@%s>;tag=%s\r\n"
			   "To: <sip:%s@%s>\r\n"
			   "Call-ID: %s\r\n"
			   "CSeq: %u REGISTER\r\n"
			   "Contact: <sip:%s@%s>\r\n"
			   "Expires: %u\r\n"
			   "%s"
			   "User-Agent: tongdai/%s\r\n"
			   "Content-Length: 0\r\n\r\n",
			   ruri, hp, branch, t->cfg.user, ip, t->from_tag, t->cfg.user, ip, t->call_id, t->cseq,
			   t->cfg.user, hp, unreg ? 0 : t->expires, auth ? auth : "", TD_VERSION);
	t->unreg = unreg;
	if (len < 0 || (size_t)len >= sizeof(buf) ||
	    sip_core_request(buf, (size_t)len, SIP_M_REGISTER, branch, &to, reg_cb,
			     (uint64_t)(t - trunks) << 32 | t->gen, &t->tsx) < 0) {
		t->tsx = NULL;
		if (!unreg) {
			t->state = TRUNK_REG_FAILED;
			t->last_code = 503;
			snprintf(t->last_reason, sizeof(t->last_reason), "cannot send");
		}
	}
}

static void
reg_fail(struct trunk *t, uint16_t code, const char *reason, uint64_t now)
{
	if (t->leaving) {
		t->used = false;
		return;
	}
	t->state = TRUNK_REG_FAILED;
	t->last_code = code;
	snprintf(t->last_reason, sizeof(t->last_reason), "%s", reason);
	t->expires_ms = 0;
	t->next_ms = now + (uint64_t)t->backoff_s * 1000;
	LOG_WARN("trunk %s: registration failed: %u %s; next try in %u s", t->cfg.name, code, reason, t->backoff_s);
	t->backoff_s = t->backoff_s * 2 > TRUNK_RETRY_MAX_S ? TRUNK_RETRY_MAX_S : t->backoff_s * 2;
}

/* The expiry the registrar granted our contact (§10.2.4): the Contact's
 * expires parameter, else the Expires header, else what we asked. */
static uint32_t
granted(const struct trunk *t, const struct sip_msg *m)
{
	struct sip_addr a;
	struct sip_str v;
	char num[16];
	const struct sip_hdr *ct = m->first[SIP_HDR_CONTACT];
	const struct sip_hdr *ex = m->first[SIP_HDR_EXPIRES];

	if (ct && sip_addr_parse(ct->value, &a) == 0 && sip_param_get(a.params, "expires", &v) == 1 &&
	    sip_str_copy(v, num, sizeof(num)) >= 0 && atoi(num) > 0)
		return (uint32_t)atoi(num);
	if (ex && sip_str_copy(ex->value, num, sizeof(num)) >= 0 && atoi(num) > 0)
		return (uint32_t)atoi(num);
	return t->expires;
}

static uint32_t
min_expires(const struct sip_msg *m)
{
	char num[16];
	for (uint32_t i = 0; i < m->n_hdrs; i++)
		if (sip_str_ieq(m->hdrs[i].name, "Min-Expires") &&
		    sip_str_copy(m->hdrs[i].value, num, sizeof(num)) >= 0)
			return (uint32_t)strtoul(num, NULL, 10);
	return 0;
}

static void
reg_response(struct trunk *t, const struct sip_msg *m, uint64_t now)
{
	char reason[64], hdr[1024], ruri[96], ip[INET_ADDRSTRLEN];

	if (m->status < 200)
		return;
	snprintf(reason, sizeof(reason), "%.*s", (int)(m->reason.len < 63 ? m->reason.len : 63), m->reason.p);
	if (m->status < 300) {
		if (t->leaving || t->unreg) {
			t->used = !t->leaving;
			return;
		}
		t->granted_s = granted(t, m);
		t->state = TRUNK_REG_REGISTERED;
		t->last_code = m->status;
		snprintf(t->last_reason, sizeof(t->last_reason), "%s", reason);
		t->expires_ms = now + (uint64_t)t->granted_s * 1000;
		/* Refresh a minute before expiry, or at half time for short ones. */
		uint32_t in = t->granted_s > 120 ? t->granted_s - 60 : t->granted_s / 2;
		t->next_ms = now + (uint64_t)(in ? in : 1) * 1000;
		t->backoff_s = TRUNK_RETRY_FIRST_S;
		t->answered = false;
		LOG_INFO("trunk %s: registered for %u s", t->cfg.name, t->granted_s);
		return;
	}
	if ((m->status == 401 || m->status == 407) && !t->answered) {
		/* Answered once per challenge: a second one for the
		 * credentials we sent means they are wrong. */
		int r = sip_auth_client_parse(m, &t->auth);
		inet_ntop(AF_INET, t->cfg.addr, ip, sizeof(ip));
		snprintf(ruri, sizeof(ruri), "sip:%s:%u", ip, t->cfg.port);
		if (r == 0 && sip_auth_client_header(&t->auth, t->auth.proxy, t->cfg.user, t->cfg.password, "REGISTER",
						     ruri, hdr, sizeof(hdr)) > 0) {
			t->have_auth = true;
			t->answered = true;
			reg_send(t, t->unreg, hdr);
			return;
		}
		snprintf(reason, sizeof(reason), "%s", r == -ENOTSUP ? "challenge not supported" : "bad challenge");
	}
	if (m->status == 423 && !t->unreg) {
		uint32_t me = min_expires(m);
		if (me > t->expires && me <= TRUNK_EXPIRES_MAX) {
			t->expires = me; /* §10.2.8: retry with at least Min-Expires */
			reg_send(t, false, NULL);
			return;
		}
	}
	t->answered = false;
	reg_fail(t, m->status, reason, now);
}

static void
reg_cb(uint64_t cookie, struct sip_tsx *tx, enum sip_tsx_event ev, const struct sip_msg *m)
{
	uint32_t slot = (uint32_t)(cookie >> 32);
	struct trunk *t = slot < TRUNK_MAX ? &trunks[slot] : NULL;
	uint64_t now = sip_core_now_ms();

	if (t == NULL || !t->used || t->gen != (uint32_t)cookie || t->tsx != tx)
		return;
	switch (ev) {
	case SIP_TSX_EV_RESPONSE:
		/* A final response ends our interest: the transaction lingers
		 * (Timer K) but must not hold back the next REGISTER. */
		if (m->status >= 200)
			t->tsx = NULL;
		reg_response(t, m, now);
		break;
	case SIP_TSX_EV_TIMEOUT:
		t->tsx = NULL;
		t->answered = false;
		reg_fail(t, 408, "Request Timeout", now);
		break;
	case SIP_TSX_EV_TRANSPORT_ERROR:
		t->tsx = NULL;
		t->answered = false;
		reg_fail(t, 503, "Service Unavailable", now);
		break;
	case SIP_TSX_EV_TERMINATED:
		t->tsx = NULL;
		if (t->leaving)
			t->used = false;
		break;
	default:
		break;
	}
}

void
trunk_tick(uint64_t now_ms)
{
	if (sip_core_tsx() == NULL)
		return;
	for (unsigned i = 0; i < TRUNK_MAX; i++) {
		struct trunk *t = &trunks[i];
		if (!t->used || t->leaving || !t->cfg.reg)
			continue;
		if (t->state == TRUNK_REG_REGISTERED && t->expires_ms && now_ms >= t->expires_ms) {
			t->state = TRUNK_REG_FAILED;
			t->last_code = 408;
			snprintf(t->last_reason, sizeof(t->last_reason), "expired");
			t->expires_ms = 0;
		}
		if (t->next_ms == 0 || now_ms < t->next_ms || t->tsx)
			continue;
		t->next_ms = 0;
		t->answered = false;
		if (t->state != TRUNK_REG_REGISTERED)
			t->state = t->state == TRUNK_REG_FAILED ? TRUNK_REG_FAILED : TRUNK_REG_REGISTERING;
		reg_send(t, false, NULL);
	}
}

void
trunk_shutdown(void)
{
	for (unsigned i = 0; i < TRUNK_MAX; i++) {
		struct trunk *t = &trunks[i];
		if (t->used && !t->leaving && t->state == TRUNK_REG_REGISTERED && sip_core_tsx())
			reg_send(t, true, NULL);
	}
	memset(trunks, 0, sizeof(trunks));
}

const char *
trunk_reg_state_name(enum trunk_reg_state s)
{
	static const char *const names[] = {"not registering", "registering", "registered", "failed"};
	return s <= TRUNK_REG_FAILED ? names[s] : "?";
}

json_t *
trunks_json(uint64_t now_ms)
{
	json_t *arr = json_array();
	const struct trunk *order[TRUNK_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < TRUNK_MAX; i++)
		if (trunks[i].used && !trunks[i].leaving)
			order[n++] = &trunks[i];
	/* By name, as LMDB keeps them. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k > 0 && strcmp(order[k - 1]->cfg.name, order[k]->cfg.name) > 0; k--) {
			const struct trunk *x = order[k];
			order[k] = order[k - 1];
			order[k - 1] = x;
		}
	for (unsigned i = 0; i < n; i++) {
		const struct trunk *t = order[i];
		json_t *o = cfg_to_json(&t->cfg, false);
		json_int_t left = t->state == TRUNK_REG_REGISTERED && t->expires_ms > now_ms
					  ? (json_int_t)((t->expires_ms - now_ms) / 1000)
					  : 0;
		json_object_set_new(o, "password_set", json_boolean(t->cfg.password[0] != '\0'));
		json_object_set_new(o, "state", json_string(trunk_reg_state_name(t->state)));
		json_object_set_new(o, "last_code", json_integer(t->last_code));
		json_object_set_new(o, "last_reason", json_string(t->last_reason));
		json_object_set_new(o, "expires_in", json_integer(left));
		json_object_set_new(o, "retry_in",
				    json_integer(t->state == TRUNK_REG_FAILED && t->next_ms > now_ms
							 ? (json_int_t)((t->next_ms - now_ms) / 1000)
							 : 0));
		json_object_set_new(o, "calls_in", json_integer((json_int_t)t->calls_in));
		json_object_set_new(o, "calls_out", json_integer((json_int_t)t->calls_out));
		json_object_set_new(o, "denied_out", json_integer((json_int_t)t->denied_out));
		json_object_set_new(o, "no_did", json_integer((json_int_t)t->no_did));
		json_array_append_new(arr, o);
	}
	return arr;
}
