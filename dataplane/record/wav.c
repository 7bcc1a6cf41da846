/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WAV writer through io_uring; the contract is in wav.h.
 *
 * Layout (the canonical 44-byte PCM header): "RIFF" <36 + data> "WAVE"
 * "fmt " 16 <format 1, channels, rate, byte rate, block align, 16 bits>
 * "data" <data>. All little-endian. A file longer than a RIFF size can say
 * (4 GiB) is refused with -EFBIG before it gets there.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <openssl/evp.h>

#include "record/wav.h"

#define WAV_DATA_MAX (UINT32_MAX - 36)

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

void
td_wav_header(uint8_t hdr[TD_WAV_HDR_SIZE], uint16_t channels, uint32_t rate, uint64_t data_bytes)
{
	uint32_t data = data_bytes > WAV_DATA_MAX ? WAV_DATA_MAX : (uint32_t)data_bytes;

	memcpy(hdr, "RIFF", 4);
	put32(hdr + 4, 36 + data);
	memcpy(hdr + 8, "WAVEfmt ", 8);
	put32(hdr + 16, 16);
	put16(hdr + 20, 1); /* PCM */
	put16(hdr + 22, channels);
	put32(hdr + 24, rate);
	put32(hdr + 28, rate * 2u * channels);
	put16(hdr + 32, 2u * channels);
	put16(hdr + 34, 16);
	memcpy(hdr + 36, "data", 4);
	put32(hdr + 40, data);
}

static size_t
frame_size(const struct td_wav *w)
{
	return 2u * w->channels;
}

/* One write through the ring, waited for: bytes written or -errno. */
static int
wav_write_one(struct td_wav *w, const void *p, size_t len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(w->ring);
	struct io_uring_cqe *cqe;
	int rc;

	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_write(sqe, w->fd, p, len, off);
	io_uring_sqe_set_data(sqe, w);
	rc = io_uring_submit_and_wait(w->ring, 1);
	if (rc < 0)
		return rc;
	rc = io_uring_wait_cqe(w->ring, &cqe);
	if (rc < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(w->ring, cqe);
	return rc;
}

static int
wav_write_header(struct td_wav *w)
{
	uint8_t hdr[TD_WAV_HDR_SIZE];
	int rc;

	td_wav_header(hdr, w->channels, w->rate, w->data_bytes);
	rc = wav_write_one(w, hdr, sizeof(hdr), 0);
	if (rc >= 0 && rc != (int)sizeof(hdr))
		rc = -EIO;
	return rc < 0 ? rc : 0;
}

int
td_wav_open(struct td_wav *w, struct io_uring *ring, int dirfd, const char *path, uint16_t channels, uint32_t rate,
	    uint8_t *buf, size_t buf_cap)
{
	int rc;

	if (w == NULL || ring == NULL || path == NULL || (channels != 1 && channels != 2) || rate == 0 || buf == NULL ||
	    buf_cap < 4u)
		return -EINVAL;
	*w = (struct td_wav){.ring = ring, .fd = -1, .channels = channels, .rate = rate, .buf = buf};
	w->buf_cap = buf_cap - buf_cap % frame_size(w);
	w->fd = openat(dirfd, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return -errno;
	rc = wav_write_header(w);
	if (rc < 0) {
		close(w->fd);
		w->fd = -1;
		unlinkat(dirfd, path, 0);
		return rc;
	}
	return 0;
}

size_t
td_wav_room(const struct td_wav *w)
{
	return (w->buf_cap - w->buf_len) / frame_size(w);
}

int
td_wav_append(struct td_wav *w, const int16_t *frames, size_t n)
{
	size_t len = n * frame_size(w);
	uint8_t *p;

	if (w->error)
		return w->error;
	if (w->fd < 0)
		return -EBADF;
	if (len > w->buf_cap - w->buf_len)
		return -ENOBUFS;
	/* WAV samples are little-endian whatever the host. */
	p = w->buf + w->buf_len;
	for (size_t i = 0; i < n * w->channels; i++) {
		uint16_t s = (uint16_t)frames[i];
		p[2 * i] = s & 0xff;
		p[2 * i + 1] = s >> 8;
	}
	w->buf_len += len;
	return 0;
}

/*
 * A write came back short or failed: keep the whole frames that reached the
 * disk, cut the file there and make the header say so. The file stays a
 * valid WAV of what it holds; the writer is finished with err.
 */
static int
wav_fail(struct td_wav *w, size_t written, int err)
{
	size_t keep = written - written % frame_size(w);

	w->data_bytes += keep;
	w->buf_len = 0;
	w->error = err;
	/* Cutting and rewriting the header need no new blocks: a full disk
	 * still takes them. */
	if (ftruncate(w->fd, (off_t)(TD_WAV_HDR_SIZE + w->data_bytes)) < 0 && w->error == 0)
		w->error = -errno;
	wav_write_header(w);
	return w->error;
}

/* user data: the writer's address with the low bits saying which write
 * (writers are at least 8-byte aligned). */
#define WAV_UD_DATA 1u
#define WAV_UD_HDR  2u
#define WAV_UD_MASK 7u

struct td_wav *
td_wav_cqe_writer(uint64_t user_data)
{
	unsigned int tag = user_data & WAV_UD_MASK;
	return tag == WAV_UD_DATA || tag == WAV_UD_HDR
		       ? (struct td_wav *)(uintptr_t)(user_data & ~(uint64_t)WAV_UD_MASK)
		       : NULL;
}

int
td_wav_flush_submit(struct td_wav *w)
{
	struct io_uring_sqe *sqe;
	size_t len = w->buf_len;

	if (w->error)
		return w->error;
	if (w->fd < 0)
		return -EBADF;
	if (len == 0)
		return 0;
	if (w->data_bytes + len > WAV_DATA_MAX)
		return wav_fail(w, 0, -EFBIG);
	if (io_uring_sq_space_left(w->ring) < 2)
		return -EBUSY;
	/* Data first, then the header that counts it, linked: the header
	 * never claims bytes that are not written. */
	td_wav_header(w->hdr, w->channels, w->rate, w->data_bytes + len);
	w->inflight = len;
	w->cqes_left = 2;
	w->res_data = w->res_hdr = -ECANCELED;
	sqe = io_uring_get_sqe(w->ring);
	io_uring_prep_write(sqe, w->fd, w->buf, len, TD_WAV_HDR_SIZE + w->data_bytes);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)w | WAV_UD_DATA);
	sqe = io_uring_get_sqe(w->ring);
	io_uring_prep_write(sqe, w->fd, w->hdr, sizeof(w->hdr), 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)w | WAV_UD_HDR);
	return 1;
}

static int
wav_flush_finish(struct td_wav *w)
{
	size_t len = w->inflight;
	int res_data = w->res_data, res_hdr = w->res_hdr, rc;

	w->inflight = 0;
	w->flushes++;
	if (res_data == (int)len && res_hdr == (int)sizeof(w->hdr)) {
		w->data_bytes += len;
		w->buf_len = 0;
		return 0;
	}
	if (res_data == (int)len)
		return wav_fail(w, len, res_hdr < 0 ? res_hdr : -EIO);
	if (res_data < 0)
		return wav_fail(w, 0, res_data);
	/* Short write: the rest, once, to learn why (ENOSPC, EFBIG, EIO). */
	rc = wav_write_one(w, w->buf + res_data, len - (size_t)res_data, TD_WAV_HDR_SIZE + w->data_bytes + res_data);
	if (rc < 0)
		return wav_fail(w, (size_t)res_data, rc);
	return wav_fail(w, (size_t)res_data + (size_t)rc, -ENOSPC);
}

int
td_wav_flush_cqe(struct td_wav *w, uint64_t user_data, int res)
{
	if ((user_data & WAV_UD_MASK) == WAV_UD_DATA)
		w->res_data = res;
	else
		w->res_hdr = res;
	return w->cqes_left > 0 && --w->cqes_left > 0 ? 0 : 1;
}

int
td_wav_flush_end(struct td_wav *w)
{
	if (w->inflight == 0)
		return w->error;
	return wav_flush_finish(w);
}

int
td_wav_flush(struct td_wav *w)
{
	struct io_uring_cqe *cqe;
	int rc = td_wav_flush_submit(w);

	if (rc <= 0)
		return rc;
	rc = io_uring_submit_and_wait(w->ring, 2);
	while (w->cqes_left > 0) {
		if (rc < 0 || (rc = io_uring_wait_cqe(w->ring, &cqe)) < 0) {
			/* The ring failed us: nothing is known of the writes. */
			w->cqes_left = 0;
			w->inflight = 0;
			return wav_fail(w, 0, rc);
		}
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(w->ring, cqe);
		if (td_wav_cqe_writer(ud) == w)
			td_wav_flush_cqe(w, ud, res);
	}
	return td_wav_flush_end(w);
}

static int
wav_sha256(int fd, uint8_t out[TD_WAV_SHA256])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t chunk[16384];
	unsigned int n = 0;
	off_t off = 0;
	ssize_t got;
	int rc = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((got = pread(fd, chunk, sizeof(chunk), off)) > 0) {
		if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1)
			goto out;
		off += got;
	}
	if (got < 0) {
		rc = -errno;
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == TD_WAV_SHA256)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
td_wav_close(struct td_wav *w, uint8_t sha256[TD_WAV_SHA256])
{
	int rc;

	if (w->fd < 0)
		return -EBADF;
	rc = td_wav_flush(w);
	if (sha256 != NULL) {
		/* The digest is read back from the file: it is of the bytes a
		 * listener will get, header included. */
		int hrc = wav_sha256(w->fd, sha256);
		if (hrc < 0) {
			memset(sha256, 0, TD_WAV_SHA256);
			if (rc == 0)
				rc = hrc;
		}
	}
	if (close(w->fd) < 0 && rc == 0)
		rc = -errno;
	w->fd = -1;
	return rc;
}
