/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WAV reader for prompts (contract in prompt_wav.h). The file is read whole
 * (at most the size ten minutes of 16 kHz PCM take, plus headers) and its
 * chunks walked as RIFF says: a four-character id, a little-endian length,
 * the body padded to an even size. fmt must come before data.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spandsp.h>

#include "prompt_wav.h"

#define WAV_FMT_PCM   1
#define WAV_FMT_ALAW  6
#define WAV_FMT_MULAW 7
/* Largest file worth reading: the longest prompt at 16 kHz 16-bit, plus room
 * for the chunks that may precede data (LIST, fact ...). */
#define WAV_FILE_MAX ((size_t)TD_PROMPT_WAV_MAX_S * 16000 * 2 + 65536)

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
read_all(const char *path, uint8_t **bufp, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADMSG;
	}
	/* A file far past the limit is refused before it is read. */
	size_t len = (size_t)st.st_size;
	if (len > WAV_FILE_MAX)
		len = WAV_FILE_MAX + 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*bufp = buf;
	*lenp = got;
	return 0;
}

int
td_prompt_wav_read(const char *path, struct td_prompt_pcm *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = read_all(path, &buf, &len);
	if (ret < 0)
		return ret;

	uint16_t format = 0, channels = 0, bits = 0;
	uint32_t rate = 0;
	const uint8_t *data = NULL;
	uint32_t data_len = 0;
	bool have_fmt = false;

	ret = -EBADMSG;
	if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
		goto out;
	for (size_t off = 12; off < len;) {
		if (len - off < 8) {
			ret = -ENODATA;
			goto out;
		}
		const uint8_t *ck = buf + off;
		uint32_t ck_len = le32(ck + 4);
		bool last = (uint64_t)off + 8 + ck_len > len;
		if (memcmp(ck, "fmt ", 4) == 0) {
			if (ck_len < 16 || last) {
				ret = ck_len < 16 ? -EBADMSG : -ENODATA;
				goto out;
			}
			format = le16(ck + 8);
			channels = le16(ck + 10);
			rate = le32(ck + 12);
			bits = le16(ck + 22);
			/* WAVE_FORMAT_EXTENSIBLE: the real tag is the sub-format's
			 * first two bytes. */
			if (format == 0xfffe && ck_len >= 40)
				format = le16(ck + 32);
			have_fmt = true;
		} else if (memcmp(ck, "data", 4) == 0) {
			if (!have_fmt)
				goto out;
			if (last) {
				ret = len > WAV_FILE_MAX ? -EFBIG : -ENODATA;
				goto out;
			}
			data = ck + 8;
			data_len = ck_len;
			break;
		} else if (last) {
			ret = -ENODATA;
			goto out;
		}
		off += 8 + (size_t)ck_len + (ck_len & 1);
	}
	if (!have_fmt || data == NULL)
		goto out;
	if (!((format == WAV_FMT_PCM && bits == 16) ||
	      ((format == WAV_FMT_ALAW || format == WAV_FMT_MULAW) && bits == 8))) {
		ret = -ENOTSUP;
		goto out;
	}
	if (channels != 1) {
		ret = -ECHRNG;
		goto out;
	}
	if (rate != 8000 && rate != 16000) {
		ret = -ERANGE;
		goto out;
	}
	uint32_t n = format == WAV_FMT_PCM ? data_len / 2 : data_len;
	if (n == 0) {
		ret = -ENOMSG;
		goto out;
	}
	if (n > TD_PROMPT_WAV_MAX_S * rate) {
		ret = -EFBIG;
		goto out;
	}
	int16_t *pcm = malloc((size_t)n * sizeof(*pcm));
	if (pcm == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (format == WAV_FMT_PCM)
			pcm[i] = (int16_t)le16(data + 2 * i);
		else if (format == WAV_FMT_ALAW)
			pcm[i] = alaw_to_linear(data[i]);
		else
			pcm[i] = ulaw_to_linear(data[i]);
	}
	*out = (struct td_prompt_pcm){.pcm = pcm, .n = n, .rate = rate, .format = format};
	ret = 0;
out:
	free(buf);
	return ret;
}

const char *
td_prompt_wav_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "not a WAV file (RIFF/WAVE with fmt and data chunks)";
	case -ENOTSUP:
		return "unsupported encoding: 16-bit PCM, A-law or mu-law only";
	case -ERANGE:
		return "unsupported sample rate: 8000 or 16000 Hz only";
	case -ECHRNG:
		return "not mono";
	case -ENODATA:
		return "truncated file";
	case -ENOMSG:
		return "no audio in the file";
	case -EFBIG:
		return "too long (10 minutes at most)";
	case -EISDIR:
		return "a directory, not a file";
	}
	return strerror(-err);
}
