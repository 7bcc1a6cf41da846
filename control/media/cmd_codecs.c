/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show codecs`: the codecs the media pipeline has (SDP name, static
 * payload type, PCM rate, RTP clock, frame) and, per worker of the attached
 * dataplane, the transcoding budget, its use and the refusals. The codec
 * list is the dataplane's own ops table, linked here read-only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "codecs/td_codec.h"
#include "dp_link.h"
#include "mgmt/mgmt.h"

static void
cmd_show_codecs(struct td_mgmt_req *req, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	json_t *codecs = json_array(), *workers = json_array();

	if (td_mgmt_reply_extra_args(req, argc, argv)) {
		json_decref(codecs);
		json_decref(workers);
		return;
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		json_decref(codecs);
		json_decref(workers);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(f, "%-8s %4s %8s %8s %6s", "codec", "pt", "pcm Hz", "rtp Hz", "frame");
	for (const struct td_codec_ops *o = td_codec_first(); o; o = o->next) {
		char pt[8];
		if (o->static_pt == TD_CODEC_PT_DYNAMIC)
			snprintf(pt, sizeof(pt), "dyn");
		else
			snprintf(pt, sizeof(pt), "%u", o->static_pt);
		fprintf(f, "\n%-8s %4s %8u %8u %4u ms", o->name, pt, o->sample_rate, o->rtp_clock, o->frame_ms);
		json_array_append_new(codecs, json_pack("{s:s,s:i,s:i,s:i,s:i}", "name", o->name, "static_pt",
							o->static_pt == TD_CODEC_PT_DYNAMIC ? -1 : o->static_pt,
							"sample_rate", (int)o->sample_rate, "rtp_clock",
							(int)o->rtp_clock, "frame_ms", (int)o->frame_ms));
	}
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL) {
		fprintf(f, "\ntranscoders: dataplane not running (%s)", dp_link_reason());
	} else {
		fprintf(f, "\n%-8s %8s %8s %8s", "worker", "budget", "in use", "refused");
		for (uint32_t w = 0; w < shm->hdr->n_workers; w++) {
			struct td_dp_worker_stats s;
			td_dp_stats_read(td_dp_shm_stats(shm, w), &s);
			fprintf(f, "\n%-8u %8u %8u %8llu", w, s.transcoders_max, s.transcoders_used,
				(unsigned long long)s.transcoders_refused);
			json_array_append_new(
				workers, json_pack("{s:i,s:i,s:i,s:I}", "worker", (int)w, "transcoders_max",
						   (int)s.transcoders_max, "transcoders_used", (int)s.transcoders_used,
						   "transcoders_refused", (json_int_t)s.transcoders_refused));
		}
	}
	fclose(f);
	td_mgmt_reply(req, TD_MGMT_OK,
		      json_pack("{s:o,s:o,s:b}", "codecs", codecs, "workers", workers, "running", shm != NULL), "%s",
		      text ? text : "");
	free(text);
}

TD_CMD_REGISTER(show_codecs, "show codecs", "",
		"the media codecs, and each worker's transcoding budget, use and refusals", cmd_show_codecs)
