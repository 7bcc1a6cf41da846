/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recorder's WAV writer (dataplane/record/wav.c) on real files: the
 * header read back from disk after every flush matches the file's size and
 * the samples appended; a file-size limit and a full tmpfs end the file with
 * a header consistent with what is on disk and refuse further writes; the
 * SHA-256 given at close is the one sha256sum computes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <liburing.h>

#include "dataplane/record/wav.h"

static char dir[] = "/tmp/td-wav-XXXXXX";
static int dirfd_ = -1;
static struct io_uring ring;
static uint8_t buf[64 * 1024];

static uint32_t
get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Read the whole file; check the header against its size; return data bytes. */
static size_t
check_file(const char *name, uint16_t channels, uint8_t **data)
{
	char path[256];
	struct stat st;
	uint8_t *all;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size >= TD_WAV_HDR_SIZE);
	all = malloc((size_t)st.st_size);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(all, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	assert_memory_equal(all, "RIFF", 4);
	assert_memory_equal(all + 8, "WAVEfmt ", 8);
	assert_int_equal(get32(all + 4), (uint32_t)st.st_size - 8);
	assert_int_equal(get32(all + 16), 16);
	assert_int_equal(get16(all + 20), 1);
	assert_int_equal(get16(all + 22), channels);
	assert_int_equal(get32(all + 24), 8000);
	assert_int_equal(get32(all + 28), 8000u * 2 * channels);
	assert_int_equal(get16(all + 32), 2 * channels);
	assert_int_equal(get16(all + 34), 16);
	assert_memory_equal(all + 36, "data", 4);
	assert_int_equal(get32(all + 40), (uint32_t)st.st_size - TD_WAV_HDR_SIZE);
	assert_int_equal((st.st_size - TD_WAV_HDR_SIZE) % (2 * channels), 0);
	if (data != NULL)
		*data = all;
	else
		free(all);
	return (size_t)st.st_size - TD_WAV_HDR_SIZE;
}

static void
sha256sum(const char *name, uint8_t out[TD_WAV_SHA256])
{
	char cmd[300], hex[65];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s/%s'", dir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", hex), 1);
	pclose(p);
	for (int i = 0; i < TD_WAV_SHA256; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* 160 stereo frames of a pattern that names the block and the sample. */
static void
block(int16_t *s, int b, uint16_t channels)
{
	for (int i = 0; i < 160; i++)
		for (int c = 0; c < channels; c++)
			s[i * channels + c] = (int16_t)((c ? -1 : 1) * (b * 160 + i));
}

static void
test_stereo_flush_header(void **state)
{
	struct td_wav w;
	int16_t s[320];
	uint8_t digest[TD_WAV_SHA256], want[TD_WAV_SHA256], *data;

	(void)state;
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "stereo.wav", 2, 8000, buf, sizeof(buf)), 0);
	assert_int_equal(check_file("stereo.wav", 2, NULL), 0);
	for (int b = 0; b < 50; b++) {
		block(s, b, 2);
		assert_int_equal(td_wav_append(&w, s, 160), 0);
		if (b % 5 == 4) {
			assert_int_equal(td_wav_flush(&w), 0);
			assert_int_equal(check_file("stereo.wav", 2, NULL), (size_t)(b + 1) * 640);
			assert_int_equal(td_wav_duration_ms(&w), (uint64_t)(b + 1) * 20);
		}
	}
	assert_int_equal(td_wav_close(&w, digest), 0);
	assert_int_equal(w.fd, -1);
	assert_int_equal(check_file("stereo.wav", 2, &data), 50 * 640);
	for (int b = 0; b < 50; b++) {
		block(s, b, 2);
		for (int i = 0; i < 320; i++)
			assert_int_equal((int16_t)get16(data + TD_WAV_HDR_SIZE + (b * 320 + i) * 2), s[i]);
	}
	free(data);
	sha256sum("stereo.wav", want);
	assert_memory_equal(digest, want, TD_WAV_SHA256);
}

static void
test_mono_and_bad_input(void **state)
{
	struct td_wav w;
	int16_t s[160];

	(void)state;
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "x.wav", 3, 8000, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "x.wav", 1, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "no/such/dir.wav", 1, 8000, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "mono.wav", 1, 8000, buf, 1000), 0);
	assert_int_equal(td_wav_room(&w), 500);
	block(s, 0, 1);
	assert_int_equal(td_wav_append(&w, s, 160), 0);
	assert_int_equal(td_wav_append(&w, s, 160), 0);
	assert_int_equal(td_wav_append(&w, s, 160), 0);
	assert_int_equal(td_wav_append(&w, s, 160), -ENOBUFS); /* the caller flushes first */
	assert_int_equal(td_wav_flush(&w), 0);
	assert_int_equal(td_wav_flush(&w), 0); /* nothing pending: nothing written */
	assert_int_equal(check_file("mono.wav", 1, NULL), 960);
	assert_int_equal(td_wav_close(&w, NULL), 0);
	assert_int_equal(td_wav_close(&w, NULL), -EBADF);
}

/* Keep appending and flushing until the writer fails; check after each. */
static void
fill_until_error(struct td_wav *w, const char *name, uint16_t channels, int want_err)
{
	int16_t s[320];
	int rc = 0, b;

	for (b = 0; b < 100000 && rc == 0; b++) {
		block(s, b, channels);
		assert_int_equal(td_wav_append(w, s, 160), 0);
		rc = td_wav_flush(w);
		assert_int_equal(check_file(name, channels, NULL), w->data_bytes);
	}
	assert_int_equal(rc, want_err);
	assert_int_equal(td_wav_error(w), want_err);
	assert_true(w->data_bytes > 0);
	/* Finished: refused from now on, and the file unchanged. */
	assert_int_equal(td_wav_append(w, s, 160), want_err);
	assert_int_equal(td_wav_flush(w), want_err);
}

static void
test_file_size_limit(void **state)
{
	struct rlimit old, lim;
	struct td_wav w;
	uint8_t digest[TD_WAV_SHA256], want[TD_WAV_SHA256];

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(td_wav_open(&w, &ring, dirfd_, "limit.wav", 2, 8000, buf, sizeof(buf)), 0);
	/* Not a whole number of frames: the partial frame must be cut off. */
	lim = old;
	lim.rlim_cur = TD_WAV_HDR_SIZE + 10 * 640 + 2;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	fill_until_error(&w, "limit.wav", 2, -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(w.data_bytes, 10 * 640);
	assert_int_equal(td_wav_duration_ms(&w), 200);
	assert_int_equal(td_wav_close(&w, digest), -EFBIG);
	assert_int_equal(check_file("limit.wav", 2, NULL), 10 * 640);
	sha256sum("limit.wav", want);
	assert_memory_equal(digest, want, TD_WAV_SHA256);
}

static void
test_full_tmpfs(void **state)
{
	char mnt[300];
	struct td_wav w;
	uint8_t digest[TD_WAV_SHA256], want[TD_WAV_SHA256];
	int mfd;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/full", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tdwav", mnt, "tmpfs", 0, "size=64k") < 0) {
		rmdir(mnt);
		print_message("no tmpfs (%s): skipped\n", strerror(errno));
		skip();
	}
	mfd = open(mnt, O_RDONLY | O_DIRECTORY);
	assert_true(mfd >= 0);
	assert_int_equal(td_wav_open(&w, &ring, mfd, "full.wav", 2, 8000, buf, sizeof(buf)), 0);
	fill_until_error(&w, "full/full.wav", 2, -ENOSPC);
	assert_true(w.data_bytes <= 64 * 1024);
	assert_int_equal(td_wav_close(&w, digest), -ENOSPC);
	sha256sum("full/full.wav", want);
	assert_memory_equal(digest, want, TD_WAV_SHA256);
	close(mfd);
	assert_int_equal(umount(mnt), 0);
	rmdir(mnt);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
	if (dirfd_ < 0)
		return -1;
	return io_uring_queue_init(8, &ring, 0);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	io_uring_queue_exit(&ring);
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stereo_flush_header),
		cmocka_unit_test(test_mono_and_bad_input),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_full_tmpfs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
