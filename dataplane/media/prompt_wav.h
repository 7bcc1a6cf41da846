/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a prompt's WAV file (main lcore only: file I/O and malloc).
 * Accepted: RIFF/WAVE, mono, 8000 or 16000 Hz, either 16-bit linear PCM
 * (format 1) or 8-bit A-law (6) / mu-law (7), at most TD_PROMPT_WAV_MAX_S
 * seconds. Anything else is refused with its own errno, so that the
 * reason reaches the operator:
 *   -ENOENT, -EACCES ...  the file cannot be opened (open(2)'s error)
 *   -EBADMSG   not a RIFF/WAVE file, or no fmt / data chunk
 *   -ENOTSUP   an encoding other than those above, or PCM not 16-bit
 *   -ERANGE    a sample rate other than 8000 or 16000 Hz
 *   -ECHRNG    more than one channel
 *   -ENODATA   truncated: a chunk ends past the end of the file
 *   -ENOMSG    no audio at all
 *   -EFBIG     longer than TD_PROMPT_WAV_MAX_S
 * The samples come back as 16-bit linear PCM in memory the caller frees.
 */
#ifndef TD_PROMPT_WAV_H
#define TD_PROMPT_WAV_H

#include <stdint.h>

#define TD_PROMPT_WAV_MAX_S 600 /* ten minutes of music on hold */

struct td_prompt_pcm {
	int16_t *pcm;	 /* malloc'd; free() it */
	uint32_t n;	 /* samples */
	uint32_t rate;	 /* 8000 or 16000 */
	uint16_t format; /* WAVE format tag the file had: 1 PCM, 6 A-law, 7 mu-law */
};

int td_prompt_wav_read(const char *path, struct td_prompt_pcm *out);
/* A sentence for one of td_prompt_wav_read's errors. */
const char *td_prompt_wav_strerror(int err);

#endif
