/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands for call recording (docs/recording.md): `record start
 * CUSTOMER AGENT NAME [stereo|mono|both]`, `record pause|resume|stop ID`,
 * `show recordings`. Each parses its words and calls record.c; the reply
 * goes out when the worker acks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "mgmt/mgmt.h"
#include "record.h"

static int
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static void
done(void *arg, int result, uint32_t id)
{
	struct td_mgmt_req *req = arg;
	if (result < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", result), "%s", record_strerror(result));
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:i,s:I}", "result", 0, "id", (json_int_t)id),
			      "recording %u", id);
}

static void
started(struct td_mgmt_req *req, int ret)
{
	if (ret == -ENOTCONN)
		dp_cmd_not_running(req);
	else if (ret < 0)
		td_mgmt_reply(req, ret == -EINVAL ? TD_MGMT_USAGE : TD_MGMT_FAILED, json_pack("{s:i}", "result", ret),
			      "%s", record_strerror(ret));
}

static void
cmd_record_start(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t c = 0, a = 0;
	uint8_t mode = TD_DP_REC_STEREO;

	if (argc < 3 || argc > 4) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "usage: record start CUSTOMER-SESSION|- AGENT-SESSION|- NAME [stereo|mono|both]");
		return;
	}
	if ((strcmp(argv[0], "-") != 0 && parse_u32(argv[0], &c) < 0) ||
	    (strcmp(argv[1], "-") != 0 && parse_u32(argv[1], &a) < 0)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s' or '%s' (a number, or - for none)",
			      argv[0], argv[1]);
		return;
	}
	if (argc == 4) {
		mode = strcmp(argv[3], "stereo") == 0 ? TD_DP_REC_STEREO
		       : strcmp(argv[3], "mono") == 0 ? TD_DP_REC_MONO
		       : strcmp(argv[3], "both") == 0 ? TD_DP_REC_BOTH
						      : 0;
		if (mode == 0) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad mode '%s' (stereo, mono or both)", argv[3]);
			return;
		}
	}
	started(req, record_start(c, a, argv[2], mode, done, req));
}

static void
cmd_record_ref(struct td_mgmt_req *req, int argc, char **argv, const char *verb)
{
	uint32_t id;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: record %s ID", verb);
		return;
	}
	if (parse_u32(argv[0], &id) < 0 || id == 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad recording id '%s'", argv[0]);
		return;
	}
	if (strcmp(verb, "stop") == 0)
		started(req, record_stop(id, done, req));
	else
		started(req, record_pause(id, strcmp(verb, "pause") == 0, done, req));
}

static void
cmd_record_pause(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_record_ref(req, argc, argv, "pause");
}

static void
cmd_record_resume(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_record_ref(req, argc, argv, "resume");
}

static void
cmd_record_stop(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_record_ref(req, argc, argv, "stop");
}

static void
show_reply(void *arg, int result, uint32_t id)
{
	struct td_mgmt_req *req = arg;
	const struct record_info *list[RECORD_MAX];
	unsigned int n = record_list(list, RECORD_MAX);
	json_t *arr = json_array();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)result;
	(void)id;
	if (f == NULL) {
		json_decref(arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(f, "%-6s %-9s %-6s %-11s %10s %9s %5s  %s", "id", "state", "mode", "sessions", "bytes", "duration",
		"gaps", "file");
	for (unsigned int i = 0; i < n; i++) {
		const struct record_info *r = list[i];
		json_t *o = record_json(r), *jf;
		size_t k;
		json_array_foreach (json_object_get(o, "files"), k, jf) {
			bool done = json_is_true(json_object_get(jf, "done"));
			const struct record_file *rf = &r->file[k];
			fprintf(f, "\n%-6u %-9s %-6s %5u/%-5u %10llu %8.1fs %5u  %s", r->id,
				record_state_name(r->state), record_mode_name(r->mode), r->customer, r->agent,
				(unsigned long long)(done ? rf->bytes : r->bytes),
				(done ? rf->duration_ms : r->duration_ms) / 1000.0, r->gaps,
				json_string_value(json_object_get(jf, "name")));
			if (r->call[0])
				fprintf(f, "  call %s", r->call);
			if (done)
				fprintf(f, "\n       %s sha256 %s", rf->complete ? "complete" : "INCOMPLETE",
					json_string_value(json_object_get(jf, "sha256")));
			if (done && !rf->complete)
				fprintf(f, " (%s)", strerror(-rf->error));
		}
		json_array_append_new(arr, o);
	}
	fclose(f);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "recordings", arr), "%s", text ? text : "");
	free(text);
}

struct history {
	json_t *arr;
	FILE *f;
};

static void
history_one(json_t *rec, void *arg)
{
	struct history *h = arg;
	json_t *jf;
	size_t k;
	json_array_append(h->arr, rec);
	json_array_foreach (json_object_get(rec, "files"), k, jf) {
		json_t *c = json_object_get(jf, "complete");
		fprintf(h->f, "\n%-6lld %-9s %10lld %9.1fs  %-9s %s%s%s",
			(long long)json_integer_value(json_object_get(rec, "id")),
			json_string_value(json_object_get(rec, "state")),
			(long long)json_integer_value(json_object_get(jf, "bytes")),
			(double)json_integer_value(json_object_get(jf, "duration_ms")) / 1000.0,
			c == NULL	  ? "live"
			: json_is_true(c) ? "complete"
					  : "INCOMPLETE",
			json_string_value(json_object_get(jf, "name")),
			json_is_string(json_object_get(jf, "error")) ? " " : "",
			json_is_string(json_object_get(jf, "error")) ? json_string_value(json_object_get(jf, "error"))
								     : "");
	}
}

static void
cmd_show_recordings(struct td_mgmt_req *req, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "history") == 0) {
		uint32_t max = 20;
		struct history h = {.arr = json_array()};
		char *text = NULL;
		size_t len = 0;
		if (argc > 2 || (argc == 2 && (parse_u32(argv[1], &max) < 0 || max == 0 || max > 10000))) {
			json_decref(h.arr);
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show recordings history takes a count, 1 to 10000");
			return;
		}
		h.f = open_memstream(&text, &len);
		if (h.f == NULL) {
			json_decref(h.arr);
			td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
			return;
		}
		fprintf(h.f, "%-6s %-9s %10s %10s  %-9s %s", "id", "state", "bytes", "duration", "result", "file");
		int n = record_history(max, history_one, &h);
		fclose(h.f);
		if (n < 0)
			td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "cannot read the recordings: %s", strerror(-n));
		else
			td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:O}", "recordings", h.arr), "%s\n%d recording(s)",
				      text ? text : "", n);
		json_decref(h.arr);
		free(text);
		return;
	}
	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	/* Live figures first (bytes and duration at the last flush), then the
	 * reply; without a dataplane, what this control remembers. */
	if (record_refresh(show_reply, req) < 0)
		show_reply(req, 0, 0);
}

TD_CMD_REGISTER(record_start, "record start", "CUSTOMER|- AGENT|- NAME [stereo|mono|both]",
		"record two sessions (customer left, agent right) into NAME under the dataplane's --record-dir",
		cmd_record_start)
TD_CMD_REGISTER(record_pause, "record pause", "ID", "pause a recording (silence is written meanwhile)",
		cmd_record_pause)
TD_CMD_REGISTER(record_resume, "record resume", "ID", "resume a paused recording", cmd_record_resume)
TD_CMD_REGISTER(record_stop, "record stop", "ID", "stop a recording; its files are closed and checksummed",
		cmd_record_stop)
TD_CMD_REGISTER(show_recordings, "show recordings", "[history [N]]",
		"live recordings (bytes, duration, state, gaps) and recently done ones (complete or not, SHA-256); "
		"history: the newest N (20) kept in the store, across restarts",
		cmd_show_recordings)
