/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the SDP parser, then offer/answer and building on what
 * parsed; the text built must parse again. libFuzzer with clang
 * (bench/fuzz.sh), or replayed from a corpus by tests/fuzz/driver.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ours[] = {"PCMA", "PCMU", "G722", "G729", "opus"};
	struct sdp_session s, again;
	struct sdp_media ans;
	char err[128], out[8192];
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sdp_parse(buf, size, &s, err, sizeof(err)) == 0) {
		if (s.n_audio)
			sdp_negotiate(&s.audio, ours, 5, &ans);
		int n = sdp_build(&s, out, sizeof(out));
		/* What we build from a parsed offer is always ours to parse. */
		if (n > 0 && s.n_audio && sdp_parse(out, (size_t)n, &again, err, sizeof(err)) != 0 && s.audio.port)
			abort();
	}
	free(buf);
	return 0;
}
