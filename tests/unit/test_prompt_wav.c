/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prompt WAV reader (dataplane/media/prompt_wav.c) on files written
 * here: each accepted format (16-bit PCM at 8 and 16 kHz, A-law, mu-law,
 * extensible PCM, chunks before data) gives back its samples, and each
 * refusal has its own reason: not WAV, encoding, bit depth, rate, channels,
 * truncated, empty, too long, missing file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <spandsp.h>

#include "dataplane/media/prompt_wav.h"

static char path[64];

struct fmt {
	uint16_t tag, channels;
	uint32_t rate;
	uint16_t bits;
	bool extensible;
	bool junk_first;	/* a LIST chunk before fmt */
	int32_t data_len_delta; /* declared data length minus what is written */
};

static void
put16(FILE *f, uint16_t v)
{
	fputc(v & 0xff, f);
	fputc(v >> 8, f);
}

static void
put32(FILE *f, uint32_t v)
{
	put16(f, (uint16_t)v);
	put16(f, (uint16_t)(v >> 16));
}

static void
write_wav(const struct fmt *fm, const uint8_t *data, uint32_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("RIFF", 1, 4, f);
	put32(f, 36 + len);
	fwrite("WAVE", 1, 4, f);
	if (fm->junk_first) {
		fwrite("LIST", 1, 4, f);
		put32(f, 5);
		fwrite("abcde\0", 1, 6, f); /* odd length, padded */
	}
	fwrite("fmt ", 1, 4, f);
	put32(f, fm->extensible ? 40 : 16);
	put16(f, fm->extensible ? 0xfffe : fm->tag);
	put16(f, fm->channels);
	put32(f, fm->rate);
	put32(f, fm->rate * fm->channels * fm->bits / 8);
	put16(f, (uint16_t)(fm->channels * fm->bits / 8));
	put16(f, fm->bits);
	if (fm->extensible) {
		put16(f, 22);
		put16(f, fm->bits);
		put32(f, 4);
		put16(f, fm->tag);
		fwrite("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71", 1, 14, f);
	}
	fwrite("data", 1, 4, f);
	put32(f, (uint32_t)((int64_t)len + fm->data_len_delta));
	fwrite(data, 1, len, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/td-test-prompt-%d.wav", (int)getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
pcm16_accepted(void **state)
{
	(void)state;
	for (int r = 0; r < 2; r++) {
		uint32_t rate = r ? 16000 : 8000;
		uint8_t data[2 * 400];
		for (int i = 0; i < 400; i++) {
			int16_t v = (int16_t)(i * 80 - 16000);
			data[2 * i] = (uint8_t)v;
			data[2 * i + 1] = (uint8_t)((uint16_t)v >> 8);
		}
		for (int ext = 0; ext < 2; ext++) {
			struct fmt fm = {.tag = 1,
					 .channels = 1,
					 .rate = rate,
					 .bits = 16,
					 .extensible = ext,
					 .junk_first = ext};
			write_wav(&fm, data, sizeof(data));
			struct td_prompt_pcm p;
			assert_int_equal(td_prompt_wav_read(path, &p), 0);
			assert_int_equal(p.n, 400);
			assert_int_equal(p.rate, rate);
			assert_int_equal(p.format, 1);
			for (int i = 0; i < 400; i++)
				assert_int_equal(p.pcm[i], i * 80 - 16000);
			free(p.pcm);
		}
	}
}

static void
g711_accepted(void **state)
{
	(void)state;
	for (int law = 0; law < 2; law++) {
		uint8_t data[256];
		for (int i = 0; i < 256; i++)
			data[i] = (uint8_t)i;
		struct fmt fm = {.tag = law ? 7 : 6, .channels = 1, .rate = 8000, .bits = 8};
		write_wav(&fm, data, sizeof(data));
		struct td_prompt_pcm p;
		assert_int_equal(td_prompt_wav_read(path, &p), 0);
		assert_int_equal(p.n, 256);
		assert_int_equal(p.rate, 8000);
		for (int i = 0; i < 256; i++)
			assert_int_equal(p.pcm[i], law ? ulaw_to_linear((uint8_t)i) : alaw_to_linear((uint8_t)i));
		free(p.pcm);
	}
}

static void
expect_refused(const struct fmt *fm, uint32_t len, int err)
{
	uint8_t *data = calloc(1, len ? len : 1);
	write_wav(fm, data, len);
	free(data);
	struct td_prompt_pcm p = {0};
	assert_int_equal(td_prompt_wav_read(path, &p), err);
	assert_null(p.pcm);
	assert_non_null(td_prompt_wav_strerror(err));
}

static void
refusals(void **state)
{
	(void)state;
	struct fmt ok = {.tag = 1, .channels = 1, .rate = 8000, .bits = 16};
	struct fmt fm;

	fm = ok, fm.tag = 3, fm.bits = 32; /* float */
	expect_refused(&fm, 320, -ENOTSUP);
	fm = ok, fm.bits = 8; /* 8-bit PCM */
	expect_refused(&fm, 320, -ENOTSUP);
	fm = ok, fm.tag = 6, fm.bits = 16; /* A-law must be 8-bit */
	expect_refused(&fm, 320, -ENOTSUP);
	fm = ok, fm.rate = 44100;
	expect_refused(&fm, 320, -ERANGE);
	fm = ok, fm.rate = 48000;
	expect_refused(&fm, 320, -ERANGE);
	fm = ok, fm.channels = 2;
	expect_refused(&fm, 320, -ECHRNG);
	fm = ok, fm.data_len_delta = 100; /* declares more than the file holds */
	expect_refused(&fm, 320, -ENODATA);
	fm = ok;
	expect_refused(&fm, 0, -ENOMSG);
	fm = ok; /* 600 s at 8 kHz is the limit: one sample more */
	expect_refused(&fm, (600 * 8000 + 1) * 2, -EFBIG);

	/* Not WAV: text, RIFF of another form, WAVE without fmt. */
	FILE *f = fopen(path, "wb");
	fputs("this is not audio at all, just words\n", f);
	fclose(f);
	struct td_prompt_pcm p = {0};
	assert_int_equal(td_prompt_wav_read(path, &p), -EBADMSG);
	f = fopen(path, "wb");
	fwrite("RIFF\x04\x00\x00\x00"
	       "AVI ",
	       1, 12, f);
	fclose(f);
	assert_int_equal(td_prompt_wav_read(path, &p), -EBADMSG);
	f = fopen(path, "wb");
	fwrite("RIFF\x0c\x00\x00\x00"
	       "WAVEdata\x00\x00\x00\x00",
	       1, 20, f);
	fclose(f);
	assert_int_equal(td_prompt_wav_read(path, &p), -EBADMSG);
	/* Cut inside the fmt chunk. */
	f = fopen(path, "wb");
	fwrite("RIFF\x24\x00\x00\x00"
	       "WAVEfmt \x10\x00\x00\x00\x01\x00",
	       1, 22, f);
	fclose(f);
	assert_int_equal(td_prompt_wav_read(path, &p), -ENODATA);
	assert_null(p.pcm);

	unlink(path);
	assert_int_equal(td_prompt_wav_read(path, &p), -ENOENT);
	assert_int_equal(td_prompt_wav_read("/tmp", &p), -EISDIR);
}

static void
longest_accepted(void **state)
{
	(void)state;
	struct fmt fm = {.tag = 1, .channels = 1, .rate = 8000, .bits = 16};
	uint32_t len = 600 * 8000 * 2;
	uint8_t *data = calloc(1, len);
	write_wav(&fm, data, len);
	free(data);
	struct td_prompt_pcm p;
	assert_int_equal(td_prompt_wav_read(path, &p), 0);
	assert_int_equal(p.n, 600 * 8000);
	free(p.pcm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pcm16_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(g711_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(longest_accepted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
