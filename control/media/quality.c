/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * E-model (ITU-T G.107) reduced to what a relay can observe: delay
 * impairment Id from the one-way mouth-to-ear delay, equipment impairment
 * Ie_eff from the codec and the packet loss, R = 93.2 - Id - Ie_eff, and the
 * R -> MOS mapping of G.107 Annex B.
 */
#include "quality.h"

/* G.113 Appendix I: Ie and the packet-loss robustness Bpl, with PLC. */
static void
codec_impairment(uint8_t pt, double *ie, double *bpl)
{
	switch (pt) {
	case 0: /* PCMU */
	case 8: /* PCMA */
		*ie = 0;
		*bpl = 25.1;
		break;
	case 18: /* G.729 */
		*ie = 11;
		*bpl = 19.0;
		break;
	default: /* G.722, Opus, others: no narrowband table entry */
		*ie = 0;
		*bpl = 20.0;
		break;
	}
}

void
td_quality_estimate(const struct td_quality_in *in, struct td_quality *out)
{
	double ie, bpl;
	codec_impairment(in->pt, &ie, &bpl);

	/* One-way delay: half the round trip, a jitter buffer of twice the
	 * jitter, and one packet of packetisation. */
	double d = in->rtt_ms / 2 + 2 * in->jitter_ms + in->ptime_ms;
	double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);

	double ppl = in->loss_pct < 0 ? 0 : in->loss_pct > 100 ? 100 : in->loss_pct;
	double ie_eff = ie + (95 - ie) * ppl / (ppl + bpl);

	double r = 93.2 - id - ie_eff;
	if (r < 0)
		r = 0;
	out->r = r;
	/* G.107 Annex B. */
	if (r <= 0)
		out->mos = 1;
	else if (r >= 100)
		out->mos = 4.5;
	else
		out->mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}
