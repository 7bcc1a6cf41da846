/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show calls`, `show call <id>`, `call hangup <id>`, `show registrations`:
 * the B2BUA's calls and the registrar's bindings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua.h"
#include "mgmt/mgmt.h"
#include "registrar.h"
#include "sip_core.h"
#include "sip_transport.h"

static int
parse_id(const char *s, uint32_t *id)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static void
cmd_show_calls(struct td_mgmt_req *req, int argc, char **argv)
{
	struct b2bua_stats s;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;
	size_t i;
	json_t *c;

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	b2bua_stats_get(&s);
	json_t *calls = b2bua_calls_json();
	f = open_memstream(&text, &tlen);
	if (f == NULL) {
		json_decref(calls);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(f,
		"%zu active call(s); since start: %llu INVITEs, %llu answered, %llu completed, %llu failed, %llu "
		"cancelled, %llu media timeouts, %llu refused for load",
		json_array_size(calls), (unsigned long long)s.invites, (unsigned long long)s.answered,
		(unsigned long long)s.completed, (unsigned long long)s.failed, (unsigned long long)s.cancelled,
		(unsigned long long)s.media_timeouts, (unsigned long long)s.overload);
	if (json_array_size(calls))
		fprintf(f, "\n%-8s %-10s %-16s %-16s %8s %-22s %-22s", "id", "state", "from", "to", "secs", "caller",
			"callee");
	json_array_foreach (calls, i, c) {
		if (ftell(f) > 60000) {
			fprintf(f, "\n... (%zu more; use --json)", json_array_size(calls) - i);
			break;
		}
		fprintf(f, "\n%-8lld %-10s %-16s %-16s %8lld %-22s %-22s", json_integer_value(json_object_get(c, "id")),
			json_string_value(json_object_get(c, "state")), json_string_value(json_object_get(c, "from")),
			json_string_value(json_object_get(c, "to")),
			json_integer_value(json_object_get(c, "duration_s")),
			json_string_value(json_object_get(json_object_get(c, "a"), "peer")),
			json_string_value(json_object_get(json_object_get(c, "b"), "peer")));
	}
	fclose(f);
	json_t *data = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
				 "calls", calls, "stats", "invites", (json_int_t)s.invites, "answered",
				 (json_int_t)s.answered, "completed", (json_int_t)s.completed, "failed",
				 (json_int_t)s.failed, "cancelled", (json_int_t)s.cancelled, "media_timeouts",
				 (json_int_t)s.media_timeouts, "challenged", (json_int_t)s.challenged, "auth_failed",
				 (json_int_t)s.auth_failed, "not_found", (json_int_t)s.not_found, "unavailable",
				 (json_int_t)s.unavailable, "overload", (json_int_t)s.overload, "reinvites",
				 (json_int_t)s.reinvites, "ack_timeouts", (json_int_t)s.ack_timeouts, "transfers",
				 (json_int_t)s.transfers, "transfers_failed", (json_int_t)s.transfers_failed,
				 "transcoded", (json_int_t)s.transcoded, "ringbacks", (json_int_t)s.ringbacks);
	td_mgmt_reply(req, TD_MGMT_OK, data, "%s", text ? text : "");
	free(text);
}

static void
cmd_show_call(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show call takes one call id");
		return;
	}
	if (parse_id(argv[0], &id) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad call id '%s'", argv[0]);
		return;
	}
	json_t *c = b2bua_call_json(id);
	if (c == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no call %u", id);
		return;
	}
	char *dump = json_dumps(c, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	td_mgmt_reply(req, TD_MGMT_OK, c, "%s", dump ? dump : "");
	free(dump);
}

static void
cmd_call_hangup(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "call hangup takes one call id");
		return;
	}
	if (parse_id(argv[0], &id) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad call id '%s'", argv[0]);
		return;
	}
	int ret = b2bua_hangup(id, "Hung up by operator");
	if (ret == -ENOENT)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no call %u", id);
	else if (ret == -EALREADY)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "call %u has already ended", id);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:I}", "call", (json_int_t)id), "call %u hung up", id);
}

struct reg_walk {
	json_t *arr;
	FILE *f;
	uint64_t now;
};

static int
reg_one(const char *user, const struct reg_contact *c, void *arg)
{
	struct reg_walk *w = arg;
	char src[48];
	uint64_t left = (c->expires_ms - w->now) / 1000;
	sip_peer_str(&c->source, src, sizeof(src));
	const char *tp = c->source.transport == SIP_TRANSPORT_TCP ? "tcp" : "udp";
	json_array_append_new(w->arr,
			      json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "user", user, "contact", c->uri, "source", src,
					"transport", tp, "expires_s", (json_int_t)left, "user_agent", c->user_agent));
	if (ftell(w->f) < 60000)
		fprintf(w->f, "\n%-16s %-40s %-22s %-4s %6llu %s", user, c->uri, src, tp, (unsigned long long)left,
			c->user_agent);
	return 0;
}

static void
cmd_show_registrations(struct td_mgmt_req *req, int argc, char **argv)
{
	struct registrar_stats s;
	char *text = NULL;
	size_t tlen = 0;
	struct reg_walk w = {.arr = json_array(), .now = sip_core_now_ms()};

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	registrar_stats_get(&s);
	w.f = open_memstream(&text, &tlen);
	if (w.f == NULL) {
		json_decref(w.arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(w.f,
		"%llu binding(s); REGISTERs %llu: %llu ok, %llu challenged, %llu refused (credentials), %llu bad, "
		"%llu unregistered, %llu expired",
		(unsigned long long)s.bindings, (unsigned long long)s.requests, (unsigned long long)s.ok,
		(unsigned long long)s.challenged, (unsigned long long)s.auth_failed, (unsigned long long)s.bad_request,
		(unsigned long long)s.unregistered, (unsigned long long)s.expired);
	if (s.bindings)
		fprintf(w.f, "\n%-16s %-40s %-22s %-4s %6s %s", "user", "contact", "source", "tp", "expires",
			"user agent");
	registrar_foreach(reg_one, &w);
	fclose(w.f);
	json_t *data = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "registrations", w.arr, "stats", "requests",
				 (json_int_t)s.requests, "ok", (json_int_t)s.ok, "challenged", (json_int_t)s.challenged,
				 "auth_failed", (json_int_t)s.auth_failed, "bad_request", (json_int_t)s.bad_request,
				 "unregistered", (json_int_t)s.unregistered, "expired", (json_int_t)s.expired);
	td_mgmt_reply(req, TD_MGMT_OK, data, "%s", text ? text : "");
	free(text);
}

TD_CMD_REGISTER(show_calls, "show calls", "", "calls through the B2BUA, with their legs and state", cmd_show_calls)
TD_CMD_REGISTER(show_call, "show call", "<id>", "one call in full", cmd_show_call)
TD_CMD_REGISTER(call_hangup, "call hangup", "<id>", "end a call: BYE or CANCEL on both legs", cmd_call_hangup)
TD_CMD_REGISTER(show_registrations, "show registrations", "", "the registrar's bindings", cmd_show_registrations)
