/* SPDX-License-Identifier: BSD-3-Clause */
/* `show sip`: where SIP listens and what it received and answered. */
#include "mgmt/mgmt.h"
#include "sip_core.h"
#include "sip_udp.h"

static void
cmd_show_sip(struct td_mgmt_req *req, int argc, char **argv)
{
	struct sip_udp_stats s;
	struct sip_core_stats c;
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%s' (show sip takes none)", argv[0]);
		return;
	}
	sip_udp_stats_get(&s);
	sip_core_stats_get(&c);
	const char *addr = sip_udp_listen_addr();
	json_t *data = json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "udp", addr, "rx",
		(json_int_t)s.rx, "rx_bytes", (json_int_t)s.rx_bytes, "requests", (json_int_t)s.requests, "responses",
		(json_int_t)s.responses, "malformed", (json_int_t)s.malformed, "dropped", (json_int_t)s.dropped,
		"refused_dest", (json_int_t)s.refused_dest, "tx", (json_int_t)s.tx, "tx_errors",
		(json_int_t)s.tx_errors, "sent_by_class", "1xx", (json_int_t)s.by_class[1], "2xx",
		(json_int_t)s.by_class[2], "3xx", (json_int_t)s.by_class[3], "4xx", (json_int_t)s.by_class[4], "5xx",
		(json_int_t)s.by_class[5], "6xx", (json_int_t)s.by_class[6]);
	json_object_set_new(data, "core",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)c.requests, "rejected",
				      (json_int_t)c.rejected, "no_dialog", (json_int_t)c.no_dialog, "overload_503",
				      (json_int_t)c.overload_503, "tu_timeouts", (json_int_t)c.tu_timeouts, "scanners",
				      (json_int_t)c.scanners, "rate_limited", (json_int_t)c.rate_limited));
	td_mgmt_reply(
		req, TD_MGMT_OK, data,
		"SIP udp %s: received %llu (requests %llu, responses %llu, malformed %llu, dropped %llu), "
		"sent %llu (1xx %llu, 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu, 6xx %llu), send errors %llu, "
		"refused destinations %llu\n"
		"transactions: %llu new requests, %llu refused (>= 300), %llu without dialog (481), %llu shed "
		"(503, table full); dropped: %llu from scanners, %llu over the per-source rate",
		*addr ? addr : "(not listening)", (unsigned long long)s.rx, (unsigned long long)s.requests,
		(unsigned long long)s.responses, (unsigned long long)s.malformed, (unsigned long long)s.dropped,
		(unsigned long long)s.tx, (unsigned long long)s.by_class[1], (unsigned long long)s.by_class[2],
		(unsigned long long)s.by_class[3], (unsigned long long)s.by_class[4], (unsigned long long)s.by_class[5],
		(unsigned long long)s.by_class[6], (unsigned long long)s.tx_errors, (unsigned long long)s.refused_dest,
		(unsigned long long)c.requests, (unsigned long long)c.rejected, (unsigned long long)c.no_dialog,
		(unsigned long long)c.overload_503, (unsigned long long)c.scanners, (unsigned long long)c.rate_limited);
}

TD_CMD_REGISTER(show_sip, "show sip", "", "SIP transport: where it listens, what it received and answered",
		cmd_show_sip)
