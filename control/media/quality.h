/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call quality estimate from a session's counters: the E-model's R factor
 * (ITU-T G.107, the simplified form used for VoIP monitoring, with G.113
 * Appendix I impairment values) and the MOS it maps to. Pure functions; used
 * by control and the CLI when a session is shown.
 */
#ifndef TD_QUALITY_H
#define TD_QUALITY_H

#include <stdint.h>

struct td_quality_in {
	uint8_t pt;	  /* payload type: picks the codec's impairment */
	double loss_pct;  /* packets lost / expected, in % */
	double jitter_ms; /* interarrival jitter */
	double rtt_ms;	  /* round trip; 0 when unknown */
	double ptime_ms;  /* packetisation */
};

struct td_quality {
	double r;   /* 0 .. 93.2 */
	double mos; /* 1 .. 4.5 */
};

void td_quality_estimate(const struct td_quality_in *in, struct td_quality *out);

#endif
