/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP UA core: receives every parsed message from the transports, runs
 * the transaction layer on control's event loop, applies the UAS checks of
 * RFC 3261 §8.2 and hands requests to the registrar and the B2BUA. OPTIONS
 * is answered here. Event-loop thread of control.
 */
#ifndef TD_SIP_CORE_H
#define TD_SIP_CORE_H

#include <stdint.h>

#include "sip_tsx.h"

int sip_core_init(void);
void sip_core_fini(void);

/* Milliseconds on the monotonic clock, the transaction layer's time. */
uint64_t sip_core_now_ms(void);
struct sip_tsx_layer *sip_core_tsx(void);

#endif
