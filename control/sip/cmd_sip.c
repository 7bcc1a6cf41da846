/* SPDX-License-Identifier: BSD-3-Clause */
/* `show sip`: where SIP listens and what it received and answered. */
#include "mgmt/mgmt.h"
#include "sip_core.h"
#include "sip_tcp.h"
#include "sip_udp.h"

/* The TCP part: a "tcp" object in data, a line of text into buf. */
static void
show_tcp(json_t *data, char *buf, size_t len)
{
	struct sip_tcp_stats t;
	sip_tcp_stats_get(&t);
	const char *addr = sip_tcp_listen_addr();
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
		{"accepted", t.accepted},
		{"connected", t.connected},
		{"connect_failed", t.connect_failed},
		{"refused", t.refused},
		{"accept_paused", t.accept_paused},
		{"closed", t.closed},
		{"active", t.active},
		{"idle_closed", t.idle_closed},
		{"rx_bytes", t.rx_bytes},
		{"rx", t.rx},
		{"malformed", t.malformed},
		{"framing_errors", t.framing_errors},
		{"partial", t.partial},
		{"keepalives", t.keepalives},
		{"tx", t.tx},
		{"tx_bytes", t.tx_bytes},
		{"tx_errors", t.tx_errors},
		{"tx_overflow", t.tx_overflow},
		{"tx_discarded", t.tx_discarded},
		{"refused_dest", t.refused_dest},
	};
	json_t *o = json_pack("{s:s}", "listen", addr);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		json_object_set_new(o, f[i].name, json_integer((json_int_t)f[i].v));
	json_object_set_new(data, "tcp", o);
	snprintf(buf, len,
		 "SIP tcp %s: connections %llu active, %llu accepted, %llu refused (table full), %llu outbound "
		 "(%llu failed), %llu closed (%llu idle); received %llu messages, %llu malformed (%llu unframeable), "
		 "%llu cut off, %llu keep-alives; sent %llu, send errors %llu, queue overflows %llu",
		 *addr ? addr : "(not listening)", (unsigned long long)t.active, (unsigned long long)t.accepted,
		 (unsigned long long)t.refused, (unsigned long long)t.connected, (unsigned long long)t.connect_failed,
		 (unsigned long long)t.closed, (unsigned long long)t.idle_closed, (unsigned long long)t.rx,
		 (unsigned long long)t.malformed, (unsigned long long)t.framing_errors, (unsigned long long)t.partial,
		 (unsigned long long)t.keepalives, (unsigned long long)t.tx, (unsigned long long)t.tx_errors,
		 (unsigned long long)t.tx_overflow);
}

static void
cmd_show_sip(struct td_mgmt_req *req, int argc, char **argv)
{
	struct sip_udp_stats s;
	struct sip_core_stats c;
	char tcp[512];
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
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)c.requests,
				      "rejected", (json_int_t)c.rejected, "no_dialog", (json_int_t)c.no_dialog,
				      "overload_503", (json_int_t)c.overload_503, "tu_timeouts",
				      (json_int_t)c.tu_timeouts, "scanners", (json_int_t)c.scanners, "rate_limited",
				      (json_int_t)c.rate_limited, "shed_cps", (json_int_t)c.shed_cps, "shed_wait",
				      (json_int_t)c.shed_wait));
	json_object_set_new(data, "wait_max_ms", json_integer((json_int_t)s.wait_max_ms));
	show_tcp(data, tcp, sizeof(tcp));
	td_mgmt_reply(
		req, TD_MGMT_OK, data,
		"SIP udp %s: received %llu (requests %llu, responses %llu, malformed %llu, dropped %llu), "
		"sent %llu (1xx %llu, 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu, 6xx %llu), send errors %llu, "
		"refused destinations %llu\n"
		"transactions: %llu new requests, %llu refused (>= 300), %llu without dialog (481), %llu shed "
		"(503, table full); dropped: %llu from scanners, %llu over the per-source rate\n"
		"new calls shed (503): %llu over the call rate, %llu while behind (longest queue wait %llu ms)\n%s",
		*addr ? addr : "(not listening)", (unsigned long long)s.rx, (unsigned long long)s.requests,
		(unsigned long long)s.responses, (unsigned long long)s.malformed, (unsigned long long)s.dropped,
		(unsigned long long)s.tx, (unsigned long long)s.by_class[1], (unsigned long long)s.by_class[2],
		(unsigned long long)s.by_class[3], (unsigned long long)s.by_class[4], (unsigned long long)s.by_class[5],
		(unsigned long long)s.by_class[6], (unsigned long long)s.tx_errors, (unsigned long long)s.refused_dest,
		(unsigned long long)c.requests, (unsigned long long)c.rejected, (unsigned long long)c.no_dialog,
		(unsigned long long)c.overload_503, (unsigned long long)c.scanners, (unsigned long long)c.rate_limited,
		(unsigned long long)c.shed_cps, (unsigned long long)c.shed_wait, (unsigned long long)s.wait_max_ms,
		tcp);
}

TD_CMD_REGISTER(show_sip, "show sip", "", "SIP transport: where it listens, what it received and answered",
		cmd_show_sip)
