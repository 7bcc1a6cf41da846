/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up for any PMD (PCI NICs, net_af_packet, net_tap, net_pcap,
 * net_ring, net_null): one rx and one tx queue per worker, promiscuous where
 * the PMD allows it. Runs on the main lcore only, before the workers start and
 * after they stop; td_port_publish runs on the main lcore's housekeeping tick.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "port.h"

struct td_port td_ports[TD_MAX_PORTS];
uint16_t td_n_ports;

static uint32_t pending_ipv4[TD_MAX_PORTS];
static uint8_t pending_plen[TD_MAX_PORTS];

int
td_port_set_ipv4(uint16_t i, uint32_t ipv4, uint8_t plen)
{
	if (i >= TD_MAX_PORTS || plen > 32)
		return -EINVAL;
	pending_ipv4[i] = ipv4;
	pending_plen[i] = plen;
	return 0;
}

static int
port_init(struct td_port *p, struct rte_mempool *mp, uint16_t n_queues, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	rte_eth_dev_get_name_by_port(p->port_id, name);
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", name, strerror(-ret));
		return ret;
	}
	if (info.max_rx_queues < n_queues || info.max_tx_queues < n_queues) {
		snprintf(err, errlen,
			 "port %s (%s) has %u rx / %u tx queues, %u workers need one each "
			 "(net_af_packet: add qpairs=%u to its --vdev)",
			 name, info.driver_name, info.max_rx_queues, info.max_tx_queues, n_queues, n_queues);
		return -EINVAL;
	}
	if (n_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	ret = rte_eth_dev_configure(p->port_id, n_queues, n_queues, &conf);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: configure failed: %s", name, strerror(-ret));
		return ret;
	}
	uint16_t nb_rxd = TD_RX_DESC, nb_txd = TD_TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	int socket = rte_eth_dev_socket_id(p->port_id);
	for (uint16_t q = 0; q < n_queues; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, socket, NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, socket, NULL);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: queue %u set-up failed: %s", name, q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: start failed: %s", name, strerror(-ret));
		return ret;
	}
	/* The ports see traffic for other hosts on a shared segment (a veth,
	 * a tap): we filter by MAC ourselves and count what is not ours. */
	rte_eth_promiscuous_enable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &p->mac);
	p->n_queues = n_queues;
	return 0;
}

int
td_port_init_all(struct rte_mempool *mp, uint16_t n_queues, char *err, size_t errlen)
{
	uint16_t port_id;
	int ret;

	td_n_ports = 0;
	RTE_ETH_FOREACH_DEV (port_id) {
		if (td_n_ports == TD_MAX_PORTS) {
			snprintf(err, errlen, "more than %d ports", TD_MAX_PORTS);
			return -E2BIG;
		}
		struct td_port *p = &td_ports[td_n_ports];
		*p = (struct td_port){
			.port_id = port_id, .ipv4 = pending_ipv4[td_n_ports], .plen = pending_plen[td_n_ports]};
		td_n_ports++;
		ret = port_init(p, mp, n_queues, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (td_n_ports == 0) {
		snprintf(
			err, errlen,
			"no usable port: give one with --vdev (e.g. net_af_packet0,iface=IFNAME) or a PCI device (-a)");
		return -ENODEV;
	}
	return 0;
}

void
td_port_close_all(void)
{
	for (uint16_t i = 0; i < td_n_ports; i++) {
		rte_eth_dev_stop(td_ports[i].port_id);
		rte_eth_dev_close(td_ports[i].port_id);
	}
	td_n_ports = 0;
}

void
td_port_publish(struct td_dp_shm_hdr *hdr)
{
	for (uint16_t i = 0; i < td_n_ports; i++) {
		const struct td_port *p = &td_ports[i];
		struct td_dp_port_info *pi = &hdr->ports[i];
		struct rte_eth_dev_info info;
		struct rte_eth_stats st = {0};
		struct rte_eth_link link = {0};

		rte_eth_stats_get(p->port_id, &st);
		rte_eth_link_get_nowait(p->port_id, &link);
		td_dp_seq_begin(&pi->seq);
		pi->port_id = p->port_id;
		pi->link_up = link.link_status == RTE_ETH_LINK_UP;
		pi->link_speed = link.link_speed;
		memcpy(pi->mac, p->mac.addr_bytes, sizeof(pi->mac));
		pi->ipv4 = p->ipv4;
		pi->rx_queues = p->n_queues;
		pi->tx_queues = p->n_queues;
		rte_eth_dev_get_name_by_port(p->port_id, pi->name);
		if (rte_eth_dev_info_get(p->port_id, &info) == 0)
			snprintf(pi->driver, sizeof(pi->driver), "%s", info.driver_name);
		pi->ipackets = st.ipackets;
		pi->opackets = st.opackets;
		pi->ibytes = st.ibytes;
		pi->obytes = st.obytes;
		pi->imissed = st.imissed;
		pi->ierrors = st.ierrors;
		pi->oerrors = st.oerrors;
		pi->rx_nombuf = st.rx_nombuf;
		td_dp_seq_end(&pi->seq);
	}
	hdr->n_ports = td_n_ports;
}
