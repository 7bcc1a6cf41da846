/* SPDX-License-Identifier: BSD-3-Clause */
/* `show sip`: where SIP listens and what it received and answered. */
#include "mgmt/mgmt.h"
#include "sip_udp.h"

static void
cmd_show_sip(struct td_mgmt_req *req, int argc, char **argv)
{
	struct sip_udp_stats s;
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%s' (show sip takes none)", argv[0]);
		return;
	}
	sip_udp_stats_get(&s);
	const char *addr = sip_udp_listen_addr();
	json_t *data = json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "udp", addr, "rx",
		(json_int_t)s.rx, "rx_bytes", (json_int_t)s.rx_bytes, "requests", (json_int_t)s.requests, "responses",
		(json_int_t)s.responses, "malformed", (json_int_t)s.malformed, "dropped", (json_int_t)s.dropped,
		"refused_dest", (json_int_t)s.refused_dest, "tx", (json_int_t)s.tx, "tx_errors",
		(json_int_t)s.tx_errors, "sent_by_class", "1xx", (json_int_t)s.by_class[1], "2xx",
		(json_int_t)s.by_class[2], "3xx", (json_int_t)s.by_class[3], "4xx", (json_int_t)s.by_class[4], "5xx",
		(json_int_t)s.by_class[5], "6xx", (json_int_t)s.by_class[6]);
	td_mgmt_reply(req, TD_MGMT_OK, data,
		      "SIP udp %s: received %llu (requests %llu, responses %llu, malformed %llu, dropped %llu), "
		      "sent %llu (1xx %llu, 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu, 6xx %llu), send errors %llu, "
		      "refused destinations %llu",
		      *addr ? addr : "(not listening)", (unsigned long long)s.rx, (unsigned long long)s.requests,
		      (unsigned long long)s.responses, (unsigned long long)s.malformed, (unsigned long long)s.dropped,
		      (unsigned long long)s.tx, (unsigned long long)s.by_class[1], (unsigned long long)s.by_class[2],
		      (unsigned long long)s.by_class[3], (unsigned long long)s.by_class[4],
		      (unsigned long long)s.by_class[5], (unsigned long long)s.by_class[6],
		      (unsigned long long)s.tx_errors, (unsigned long long)s.refused_dest);
}

TD_CMD_REGISTER(show_sip, "show sip", "", "SIP transport: where it listens, what it received and answered",
		cmd_show_sip)
